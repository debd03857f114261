/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The learning policy on real frames: the DHCP exchange of
 * tests/lib/learn-frames.c step by step, then every way to fool the learner
 * (an OFFER, a forged or misdirected ACK, an untrusted server, ARP targets
 * and probes, spoofed source MACs, addresses that are never an address).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "learn-frames.h"
#include "learn/policy.h"

static const uint8_t zero4[4];

static struct learn_port port_new(enum learn_mode mode)
{
	struct learn_port p = { .mode = mode, .is_learning = true };

	memcpy(p.vm_mac, fx_vm_mac, 6);
	return p;
}

/* Parses an Ethernet frame (it must parse) and decides. */
static int decide(const struct learn_port *port, enum learn_dir dir, const uint8_t *buf, size_t len,
		  struct learn_decision *d)
{
	struct learn_frame f;
	int r;

	assert_int_equal(learn_eth_parse(buf, len, &f), 0);
	r = learn_decide(port, dir, &f, d);
	assert_int_equal(r, d->verdict);
	return r;
}

static void expect_ignore(const struct learn_port *port, enum learn_dir dir, const uint8_t *buf,
			  size_t len, enum learn_drop reason)
{
	struct learn_decision d;

	assert_int_equal(decide(port, dir, buf, len, &d), LEARN_VERDICT_IGNORE);
	if (d.reason != reason)
		fail_msg("ignored for %s, expected %s", learn_drop_name(d.reason),
			 learn_drop_name(reason));
}

static void expect_verdict(const struct learn_port *port, enum learn_dir dir, const uint8_t *buf,
			   size_t len, enum learn_verdict v, enum learn_source source,
			   const uint8_t addr[4], struct learn_decision *d)
{
	int r = decide(port, dir, buf, len, d);

	if (r == LEARN_VERDICT_IGNORE)
		fail_msg("ignored for %s", learn_drop_name(d->reason));
	assert_int_equal(r, v);
	assert_int_equal(d->reason, LEARN_DROP_NONE);
	assert_int_equal(d->source, source);
	assert_memory_equal(d->addr, addr, 4);
}

/* The VM's DISCOVER and REQUEST recorded, as the daemon would after RECORD_XID. */
static void record_exchange(struct learn_port *p)
{
	struct learn_decision d;

	assert_int_equal(decide(p, LEARN_DIR_FROM_VM, fx_dhcp_request, FX_DHCP_LEN, &d),
			 LEARN_VERDICT_RECORD_XID);
	learn_xids_record(&p->xids, d.xid, d.addr, 0);
}

static void copy(uint8_t *b, const uint8_t *fx)
{
	memcpy(b, fx, FX_DHCP_LEN);
}

static void test_dhcp_exchange(void **state)
{
	struct learn_port p = port_new(LEARN_MODE_ANY);
	struct learn_decision d;

	/* DISCOVER: record the xid; it concerns no address yet. */
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_dhcp_discover, FX_DHCP_LEN,
		       LEARN_VERDICT_RECORD_XID, LEARN_SOURCE_DHCP, zero4, &d);
	assert_int_equal(d.xid, FX_XID);
	learn_xids_record(&p.xids, d.xid, d.addr, 0);

	/* OFFER, for this very exchange: never learned. */
	expect_ignore(&p, LEARN_DIR_TO_VM, fx_dhcp_offer, FX_DHCP_LEN, LEARN_DROP_DHCP_OFFER);

	/* REQUEST: same xid, now about 192.168.122.50; recorded once. */
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_dhcp_request, FX_DHCP_LEN,
		       LEARN_VERDICT_RECORD_XID, LEARN_SOURCE_DHCP, fx_lease_ip, &d);
	learn_xids_record(&p.xids, d.xid, d.addr, 0);
	assert_non_null(learn_xids_find(&p.xids, FX_XID));
	assert_memory_equal(learn_xids_find(&p.xids, FX_XID)->addr, fx_lease_ip, 4);

	/* ACK: learned, with its lease and server. */
	expect_verdict(&p, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN, LEARN_VERDICT_LEARN,
		       LEARN_SOURCE_DHCP, fx_lease_ip, &d);
	assert_int_equal(d.xid, FX_XID);
	assert_true(d.has_lease);
	assert_false(d.lease_is_default);
	assert_int_equal(d.lease_s, 3600);
	assert_true(d.has_server_id);
	assert_memory_equal(d.server_id, fx_server_ip, 4);

	/* The same exchange through NFLOG records. */
	uint8_t rec[1024];
	struct learn_frame f;
	size_t n = fx_nflog_from_eth(fx_dhcp_ack, FX_DHCP_LEN, 7, rec, sizeof(rec));

	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_int_equal(learn_decide(&p, LEARN_DIR_TO_VM, &f, &d), LEARN_VERDICT_LEARN);
	assert_memory_equal(d.addr, fx_lease_ip, 4);
}

static void test_dhcp_mode(void **state)
{
	struct learn_port p = port_new(LEARN_MODE_DHCP);
	struct learn_decision d;

	record_exchange(&p);
	expect_ignore(&p, LEARN_DIR_TO_VM, fx_dhcp_offer, FX_DHCP_LEN, LEARN_DROP_DHCP_OFFER);
	expect_verdict(&p, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN, LEARN_VERDICT_LEARN,
		       LEARN_SOURCE_DHCP, fx_lease_ip, &d);

	/* Only DHCP counts: the VM's ARP and IPv4 teach nothing, each for its reason. */
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_arp_gratuitous, sizeof(fx_arp_gratuitous),
		      LEARN_DROP_MODE_DHCP);
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_icmp_echo, sizeof(fx_icmp_echo),
		      LEARN_DROP_NOT_UDP);
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_dns_query, sizeof(fx_dns_query),
		      LEARN_DROP_NOT_DHCP_PORT);
	uint8_t b[sizeof(fx_icmp_echo)];

	memcpy(b, fx_icmp_echo, sizeof(b));
	b[FX_OFF_IP_FRAG] = 0x20;
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_FRAGMENT);
	memcpy(b, fx_arp_request, sizeof(b));
	b[FX_OFF_ETHERTYPE] = 0x88; /* local experimental */ /* not ARP nor IPv4 any more */
	b[FX_OFF_ETHERTYPE + 1] = 0xb5;
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_OTHER_L3);
}

static void test_ack_attacks(void **state)
{
	struct learn_port p = port_new(LEARN_MODE_ANY);
	uint8_t b[FX_DHCP_LEN];

	/* No exchange recorded: a blind ACK. */
	expect_ignore(&p, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN, LEARN_DROP_DHCP_XID);

	record_exchange(&p);
	/* Wrong xid. */
	copy(b, fx_dhcp_ack);
	b[FX_OFF_XID + 3] ^= 1;
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_XID);

	/* Wrong chaddr: an ACK for another client. */
	copy(b, fx_dhcp_ack);
	memcpy(b + FX_OFF_CHADDR, fx_other_mac, 6);
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_CHADDR);
	/* Right bytes, wrong hardware type. */
	copy(b, fx_dhcp_ack);
	b[FX_OFF_BOOTP + 1] = 6;
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_CHADDR);

	/* To the wrong VM: this port belongs to another MAC (with the same xid recorded). */
	struct learn_port other = p;

	memcpy(other.vm_mac, fx_other_mac, 6);
	expect_ignore(&other, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN, LEARN_DROP_DHCP_CHADDR);

	/* Sent by the VM: a VM cannot serve itself an address. */
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_dhcp_ack, FX_DHCP_LEN, LEARN_DROP_WRONG_DIRECTION);

	/* BOOTREQUEST op with an ACK type. */
	copy(b, fx_dhcp_ack);
	b[FX_OFF_BOOTP] = LEARN_BOOTREQUEST;
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_BAD_OP);

	/* No magic cookie (plain BOOTP reply). */
	copy(b, fx_dhcp_ack);
	b[FX_OFF_COOKIE] = 0;
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_NO_COOKIE);

	/* No message type: the options hold only the server id. */
	copy(b, fx_dhcp_ack);
	b[FX_OFF_OPTIONS] = 153; /* 53 -> an unknown option, skipped */
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_NO_TYPE);

	/* INFORM from the VM: nothing to do. */
	copy(b, fx_dhcp_request);
	b[FX_OFF_OPTIONS + 2] = LEARN_DHCPINFORM;
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_UNUSED);
}

static void test_ack_untrusted_server(void **state)
{
	static const uint8_t other_server[4] = { 192, 168, 122, 254 };
	const uint8_t servers_bad[][4] = { { 192, 168, 122, 254 } };
	const uint8_t servers_ok[][4] = { { 10, 0, 0, 1 }, { 192, 168, 122, 1 } };
	struct learn_port p = port_new(LEARN_MODE_DHCP);
	struct learn_decision d;
	uint8_t b[FX_DHCP_LEN];

	record_exchange(&p);
	p.servers = servers_bad;
	p.n_servers = 1;
	expect_ignore(&p, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN, LEARN_DROP_DHCP_UNTRUSTED);

	p.servers = servers_ok;
	p.n_servers = 2;
	expect_verdict(&p, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN, LEARN_VERDICT_LEARN,
		       LEARN_SOURCE_DHCP, fx_lease_ip, &d);

	/* A trusted source claiming another server identifier. */
	copy(b, fx_dhcp_ack);
	memcpy(b + FX_OFF_OPTIONS + 5, other_server, 4);
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_UNTRUSTED);

	/* A rogue server naming the trusted one as its identifier. */
	copy(b, fx_dhcp_ack);
	memcpy(b + FX_OFF_IP_SRC, other_server, 4);
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_UNTRUSTED);

	/* Behind a relay (source 10.0.0.1) with the real server's identifier: both listed. */
	copy(b, fx_dhcp_ack);
	memcpy(b + FX_OFF_IP_SRC, servers_ok[0], 4);
	expect_verdict(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_VERDICT_LEARN, LEARN_SOURCE_DHCP,
		       fx_lease_ip, &d);

	/* No list: any server. */
	p.n_servers = 0;
	copy(b, fx_dhcp_ack);
	memcpy(b + FX_OFF_IP_SRC, other_server, 4);
	expect_verdict(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_VERDICT_LEARN, LEARN_SOURCE_DHCP,
		       fx_lease_ip, &d);
}

static void test_ack_bad_addresses(void **state)
{
	static const struct {
		uint8_t addr[4];
		enum learn_drop reason;
	} bad[] = {
		{ { 0, 0, 0, 0 }, LEARN_DROP_ADDR_ZERO },
		{ { 0, 1, 2, 3 }, LEARN_DROP_ADDR_ZERO },
		{ { 127, 0, 0, 1 }, LEARN_DROP_ADDR_LOOPBACK },
		{ { 224, 0, 0, 251 }, LEARN_DROP_ADDR_MULTICAST },
		{ { 239, 255, 255, 250 }, LEARN_DROP_ADDR_MULTICAST },
		{ { 240, 1, 2, 3 }, LEARN_DROP_ADDR_CLASS_E },
		{ { 255, 255, 255, 254 }, LEARN_DROP_ADDR_CLASS_E },
		{ { 255, 255, 255, 255 }, LEARN_DROP_ADDR_BROADCAST },
	};
	struct learn_port p = port_new(LEARN_MODE_ANY);
	uint8_t b[FX_DHCP_LEN];

	record_exchange(&p);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		copy(b, fx_dhcp_ack);
		memcpy(b + FX_OFF_YIADDR, bad[i].addr, 4);
		expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, bad[i].reason);
		assert_int_equal(learn_addr_check(bad[i].addr), bad[i].reason);
	}
	assert_int_equal(learn_addr_check(fx_lease_ip), LEARN_DROP_NONE);
	assert_int_equal(learn_addr_check((const uint8_t[]){ 223, 255, 255, 255 }),
			 LEARN_DROP_NONE);
	assert_int_equal(learn_addr_check((const uint8_t[]){ 169, 254, 1, 1 }), LEARN_DROP_NONE);
	assert_int_equal(learn_addr_check((const uint8_t[]){ 1, 0, 0, 0 }), LEARN_DROP_NONE);
}

static void test_ack_lease_times(void **state)
{
	struct learn_port p = port_new(LEARN_MODE_ANY);
	struct learn_decision d;
	uint8_t b[FX_DHCP_LEN];

	record_exchange(&p);
	/* Option 51 (at options + 9) set to 0xffffffff: infinite. */
	copy(b, fx_dhcp_ack);
	assert_int_equal(b[FX_OFF_OPTIONS + 9], 51);
	memset(b + FX_OFF_OPTIONS + 11, 0xff, 4);
	expect_verdict(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_VERDICT_LEARN, LEARN_SOURCE_DHCP,
		       fx_lease_ip, &d);
	assert_int_equal(d.lease_s, LEARN_LEASE_INFINITE);

	/* No option 51 (turned into unknown option 151): the default, and said so. */
	copy(b, fx_dhcp_ack);
	b[FX_OFF_OPTIONS + 9] = 151;
	expect_verdict(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_VERDICT_LEARN, LEARN_SOURCE_DHCP,
		       fx_lease_ip, &d);
	assert_true(d.has_lease);
	assert_true(d.lease_is_default);
	assert_int_equal(d.lease_s, LEARN_DEFAULT_LEASE_S);
}

static void test_renewal(void **state)
{
	const uint8_t addrs[][4] = { { 192, 168, 122, 50 } };
	struct learn_port p = port_new(LEARN_MODE_DHCP);
	struct learn_decision d;

	p.is_learning = false;
	p.addrs = addrs;
	p.n_addrs = 1;
	/* The renewal REQUEST (unicast, ciaddr) is recorded with its address. */
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_dhcp_renew, FX_DHCP_LEN, LEARN_VERDICT_RECORD_XID,
		       LEARN_SOURCE_DHCP, fx_lease_ip, &d);
	assert_int_equal(d.xid, FX_XID_RENEW);
	learn_xids_record(&p.xids, d.xid, d.addr, 0);

	expect_verdict(&p, LEARN_DIR_TO_VM, fx_dhcp_renew_ack, FX_DHCP_LEN, LEARN_VERDICT_RENEW,
		       LEARN_SOURCE_DHCP, fx_lease_ip, &d);
	assert_int_equal(d.lease_s, 3600);

	/* A lease for another address while learned: a second address. */
	const uint8_t other[][4] = { { 192, 168, 122, 60 } };

	p.addrs = other;
	expect_verdict(&p, LEARN_DIR_TO_VM, fx_dhcp_renew_ack, FX_DHCP_LEN, LEARN_VERDICT_LEARN,
		       LEARN_SOURCE_DHCP, fx_lease_ip, &d);
}

static void test_release_decline(void **state)
{
	const uint8_t addrs[][4] = { { 10, 0, 0, 9 }, { 192, 168, 122, 50 } };
	struct learn_port p = port_new(LEARN_MODE_ANY);
	struct learn_decision d;
	uint8_t b[FX_DHCP_LEN];

	p.is_learning = false;
	p.addrs = addrs;
	p.n_addrs = 2;
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_dhcp_release, FX_DHCP_LEN, LEARN_VERDICT_REMOVE,
		       LEARN_SOURCE_DHCP, fx_lease_ip, &d);
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_dhcp_decline, FX_DHCP_LEN, LEARN_VERDICT_REMOVE,
		       LEARN_SOURCE_DHCP, fx_lease_ip, &d);

	/* Only from the VM, with its MAC, for its own addresses. */
	expect_ignore(&p, LEARN_DIR_TO_VM, fx_dhcp_release, FX_DHCP_LEN,
		      LEARN_DROP_WRONG_DIRECTION);
	copy(b, fx_dhcp_release);
	memcpy(b + FX_OFF_ETH_SRC, fx_other_mac, 6);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, FX_DHCP_LEN, LEARN_DROP_SPOOFED_MAC);
	copy(b, fx_dhcp_release);
	memcpy(b + FX_OFF_CHADDR, fx_other_mac, 6);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_CHADDR);
	p.n_addrs = 1;
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_dhcp_release, FX_DHCP_LEN,
		      LEARN_DROP_DHCP_NOT_OURS);
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_dhcp_decline, FX_DHCP_LEN,
		      LEARN_DROP_DHCP_NOT_OURS);

	/* A DECLINE without option 50 (turned into unknown option 150). */
	p.n_addrs = 2;
	copy(b, fx_dhcp_decline);
	assert_int_equal(b[FX_OFF_OPTIONS + 12], 50);
	b[FX_OFF_OPTIONS + 12] = 150;
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_NO_ADDR);
}

static void test_nak(void **state)
{
	const uint8_t addrs[][4] = { { 192, 168, 122, 50 } };
	const uint8_t servers[][4] = { { 192, 168, 122, 1 } };
	struct learn_port p = port_new(LEARN_MODE_DHCP);
	struct learn_decision d;
	uint8_t b[FX_DHCP_LEN];

	p.is_learning = false;
	p.addrs = addrs;
	p.n_addrs = 1;
	/* Before the renewal was seen: not an exchange of this VM. */
	expect_ignore(&p, LEARN_DIR_TO_VM, fx_dhcp_nak, FX_DHCP_LEN, LEARN_DROP_DHCP_XID);

	assert_int_equal(decide(&p, LEARN_DIR_FROM_VM, fx_dhcp_renew, FX_DHCP_LEN, &d),
			 LEARN_VERDICT_RECORD_XID);
	learn_xids_record(&p.xids, d.xid, d.addr, 0);
	p.servers = servers;
	p.n_servers = 1;
	expect_verdict(&p, LEARN_DIR_TO_VM, fx_dhcp_nak, FX_DHCP_LEN, LEARN_VERDICT_REMOVE,
		       LEARN_SOURCE_DHCP, fx_lease_ip, &d);

	/* From an untrusted server. */
	copy(b, fx_dhcp_nak);
	memcpy(b + FX_OFF_IP_SRC, (const uint8_t[]){ 192, 168, 122, 254 }, 4);
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_UNTRUSTED);

	/* A NAK to a DISCOVER-only exchange concerns no address of the port. */
	copy(b, fx_dhcp_nak);
	memcpy(b + FX_OFF_XID, (const uint8_t[]){ 0x5a, 0x17, 0xc0, 0xde }, 4);
	learn_xids_record(&p.xids, FX_XID, zero4, 0);
	expect_ignore(&p, LEARN_DIR_TO_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_NOT_OURS);
}

static void test_client_messages(void **state)
{
	struct learn_port p = port_new(LEARN_MODE_ANY);
	uint8_t b[FX_DHCP_LEN];

	/* A DISCOVER with the VM's chaddr but another Ethernet source: not the VM's. */
	copy(b, fx_dhcp_discover);
	memcpy(b + FX_OFF_ETH_SRC, fx_other_mac, 6);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, FX_DHCP_LEN, LEARN_DROP_SPOOFED_MAC);
	/* The VM asking on behalf of another client. */
	copy(b, fx_dhcp_discover);
	memcpy(b + FX_OFF_CHADDR, fx_other_mac, 6);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_CHADDR);
	/* Someone else's DISCOVER flooded to the VM. */
	expect_ignore(&p, LEARN_DIR_TO_VM, fx_dhcp_discover, FX_DHCP_LEN,
		      LEARN_DROP_WRONG_DIRECTION);
	/* A BOOTREPLY op on a REQUEST. */
	copy(b, fx_dhcp_request);
	b[FX_OFF_BOOTP] = LEARN_BOOTREPLY;
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, FX_DHCP_LEN, LEARN_DROP_DHCP_BAD_OP);

	/* NFLOG without NFULA_HWADDR: who sent it is unknown. */
	const struct fx_nflog spec = {
		.family = 7,
		.hw_protocol = LEARN_ETHERTYPE_IPV4,
		.physindev = 7,
		.payload = fx_dhcp_discover + 14,
		.payload_len = FX_DHCP_LEN - 14,
	};
	uint8_t rec[1024];
	struct learn_frame f;
	struct learn_decision d;
	size_t n = fx_nflog_build(&spec, rec, sizeof(rec));

	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_int_equal(learn_decide(&p, LEARN_DIR_FROM_VM, &f, &d), LEARN_VERDICT_IGNORE);
	assert_int_equal(d.reason, LEARN_DROP_NO_SRC_MAC);
}

static void test_arp_learns_sender(void **state)
{
	struct learn_port p = port_new(LEARN_MODE_ANY);
	struct learn_decision d;

	/* A request for the gateway: the VM's own address, never the gateway's. */
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_arp_request, sizeof(fx_arp_request),
		       LEARN_VERDICT_LEARN, LEARN_SOURCE_ARP, fx_lease_ip, &d);
	assert_false(d.has_lease);
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_arp_reply, sizeof(fx_arp_reply),
		       LEARN_VERDICT_LEARN, LEARN_SOURCE_ARP, fx_lease_ip, &d);
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_arp_gratuitous, sizeof(fx_arp_gratuitous),
		       LEARN_VERDICT_LEARN, LEARN_SOURCE_ARP, fx_lease_ip, &d);

	/* Through NFLOG, as the bridge logs it. */
	uint8_t rec[512];
	struct learn_frame f;
	size_t n = fx_nflog_from_eth(fx_arp_request, sizeof(fx_arp_request), 7, rec, sizeof(rec));

	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_int_equal(learn_decide(&p, LEARN_DIR_FROM_VM, &f, &d), LEARN_VERDICT_LEARN);
	assert_memory_equal(d.addr, fx_lease_ip, 4);
}

static void test_arp_attacks(void **state)
{
	struct learn_port p = port_new(LEARN_MODE_ANY);
	uint8_t b[60];

	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_arp_probe, sizeof(fx_arp_probe),
		      LEARN_DROP_ARP_PROBE);

	/* Spoofed Ethernet source, and a forged sender hardware address. */
	memcpy(b, fx_arp_gratuitous, sizeof(b));
	memcpy(b + FX_OFF_ETH_SRC, fx_other_mac, 6);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_SPOOFED_MAC);
	memcpy(b, fx_arp_gratuitous, sizeof(b));
	memcpy(b + FX_OFF_ARP_SHA, fx_other_mac, 6);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_ARP_SHA);

	/* The gateway's request to the VM says nothing about the VM. */
	expect_ignore(&p, LEARN_DIR_TO_VM, fx_arp_request, sizeof(fx_arp_request),
		      LEARN_DROP_WRONG_DIRECTION);

	/* Neither request nor reply (InARP request, 8). */
	memcpy(b, fx_arp_gratuitous, sizeof(b));
	b[FX_OFF_ARP + 7] = 8;
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_ARP_OP);

	/* Senders that are no address. */
	memcpy(b, fx_arp_gratuitous, sizeof(b));
	memcpy(b + FX_OFF_ARP_SPA, (const uint8_t[]){ 224, 0, 0, 1 }, 4);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_ADDR_MULTICAST);
	memcpy(b + FX_OFF_ARP_SPA, (const uint8_t[]){ 255, 255, 255, 255 }, 4);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_ADDR_BROADCAST);
	memcpy(b + FX_OFF_ARP_SPA, (const uint8_t[]){ 127, 0, 0, 1 }, 4);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_ADDR_LOOPBACK);

	/* Once learned, ARP teaches no more; in dhcp mode it never does. */
	p.is_learning = false;
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_arp_gratuitous, sizeof(fx_arp_gratuitous),
		      LEARN_DROP_LEARNED);
	p = port_new(LEARN_MODE_DHCP);
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_arp_gratuitous, sizeof(fx_arp_gratuitous),
		      LEARN_DROP_MODE_DHCP);
}

static void test_ipv4_first_packet(void **state)
{
	struct learn_port p = port_new(LEARN_MODE_ANY);
	struct learn_decision d;
	uint8_t b[sizeof(fx_dns_query)];

	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_icmp_echo, sizeof(fx_icmp_echo),
		       LEARN_VERDICT_LEARN, LEARN_SOURCE_IPV4, fx_static_ip, &d);
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_dns_query, sizeof(fx_dns_query),
		       LEARN_VERDICT_LEARN, LEARN_SOURCE_IPV4, fx_static_ip, &d);

	/* The DHCP client's 0.0.0.0 is judged as DHCP, never as its IPv4 source. */
	expect_verdict(&p, LEARN_DIR_FROM_VM, fx_dhcp_discover, FX_DHCP_LEN,
		       LEARN_VERDICT_RECORD_XID, LEARN_SOURCE_DHCP, zero4, &d);
	/* Another packet from 0.0.0.0. */
	memcpy(b, fx_dns_query, sizeof(b));
	memset(b + FX_OFF_IP_SRC, 0, 4);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_ADDR_ZERO);

	/* Spoofed source MAC. */
	memcpy(b, fx_dns_query, sizeof(b));
	memcpy(b + FX_OFF_ETH_SRC, fx_other_mac, 6);
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), LEARN_DROP_SPOOFED_MAC);

	/* Sources that are no address. */
	static const struct {
		uint8_t addr[4];
		enum learn_drop reason;
	} bad[] = {
		{ { 255, 255, 255, 255 }, LEARN_DROP_ADDR_BROADCAST },
		{ { 224, 0, 0, 9 }, LEARN_DROP_ADDR_MULTICAST },
		{ { 250, 0, 0, 1 }, LEARN_DROP_ADDR_CLASS_E },
		{ { 127, 1, 2, 3 }, LEARN_DROP_ADDR_LOOPBACK },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b, fx_dns_query, sizeof(b));
		memcpy(b + FX_OFF_IP_SRC, bad[i].addr, 4);
		expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(b), bad[i].reason);
	}

	/* Traffic to the VM, from the gateway, says nothing about the VM. */
	expect_ignore(&p, LEARN_DIR_TO_VM, fx_icmp_echo, sizeof(fx_icmp_echo),
		      LEARN_DROP_WRONG_DIRECTION);
	/* Only the first packet: learned ports learn no more this way. */
	p.is_learning = false;
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx_icmp_echo, sizeof(fx_icmp_echo),
		      LEARN_DROP_LEARNED);
	/* Neither ARP nor IPv4. */
	p.is_learning = true;
	memcpy(b, fx_icmp_echo, sizeof(fx_icmp_echo));
	b[FX_OFF_ETHERTYPE] = 0x88; /* local experimental */
	b[FX_OFF_ETHERTYPE + 1] = 0xb5;
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, sizeof(fx_icmp_echo), LEARN_DROP_OTHER_L3);
}

static void test_xids_ring(void **state)
{
	struct learn_xids x = { 0 };
	const uint8_t a[4] = { 10, 0, 0, 1 }, b[4] = { 10, 0, 0, 2 };

	assert_null(learn_xids_find(&x, 0));
	for (uint32_t i = 1; i <= LEARN_XIDS_MAX; i++)
		learn_xids_record(&x, i, a, 0);
	assert_non_null(learn_xids_find(&x, 1));
	/* Recording a known xid updates it in place. */
	learn_xids_record(&x, 1, b, 0);
	assert_memory_equal(learn_xids_find(&x, 1)->addr, b, 4);
	/* A ninth evicts the oldest. */
	learn_xids_record(&x, 100, a, 0);
	assert_null(learn_xids_find(&x, 1));
	assert_non_null(learn_xids_find(&x, 2));
	assert_non_null(learn_xids_find(&x, 100));
	for (uint32_t i = 101; i < 101 + LEARN_XIDS_MAX - 1; i++)
		learn_xids_record(&x, i, a, 0);
	assert_null(learn_xids_find(&x, LEARN_XIDS_MAX));
	assert_non_null(learn_xids_find(&x, 100));
}

/* An exchange answers once, and not forever. */
static void test_xids_single_use_and_age(void **state)
{
	struct learn_xids x = { 0 };
	const uint8_t a[4] = { 10, 0, 0, 1 };

	learn_xids_record(&x, 7, a, 100);
	learn_xids_record(&x, 8, a, 130);
	learn_xids_forget(&x, 7);
	assert_null(learn_xids_find(&x, 7));
	assert_non_null(learn_xids_find(&x, 8));
	/* used again by the VM: live again, from then on */
	learn_xids_record(&x, 7, a, 150);
	learn_xids_expire(&x, 150 + LEARN_XID_MAX_AGE_S - 1, LEARN_XID_MAX_AGE_S);
	assert_non_null(learn_xids_find(&x, 7));
	assert_null(learn_xids_find(&x, 8)); /* seen at 130: 79 s old */
	learn_xids_expire(&x, 150 + LEARN_XID_MAX_AGE_S, LEARN_XID_MAX_AGE_S);
	assert_null(learn_xids_find(&x, 7));
	/* a time from the future does not expire at once, nor wrap */
	learn_xids_record(&x, 9, a, INT64_MAX);
	learn_xids_expire(&x, INT64_MIN, LEARN_XID_MAX_AGE_S);
	assert_non_null(learn_xids_find(&x, 9));
}

static void test_names(void **state)
{
	assert_string_equal(learn_verdict_name(LEARN_VERDICT_RECORD_XID), "record-xid");
	assert_string_equal(learn_verdict_name(_LEARN_VERDICT_MAX), "unknown");
	assert_string_equal(learn_source_name(LEARN_SOURCE_ARP), "arp");
	assert_string_equal(learn_source_name(_LEARN_SOURCE_MAX), "unknown");
	for (int i = 0; i < _LEARN_VERDICT_MAX; i++)
		assert_non_null(learn_verdict_name((enum learn_verdict)i));
	for (int i = 0; i < _LEARN_SOURCE_MAX; i++)
		assert_non_null(learn_source_name((enum learn_source)i));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dhcp_exchange),
		cmocka_unit_test(test_dhcp_mode),
		cmocka_unit_test(test_ack_attacks),
		cmocka_unit_test(test_ack_untrusted_server),
		cmocka_unit_test(test_ack_bad_addresses),
		cmocka_unit_test(test_ack_lease_times),
		cmocka_unit_test(test_renewal),
		cmocka_unit_test(test_release_decline),
		cmocka_unit_test(test_nak),
		cmocka_unit_test(test_client_messages),
		cmocka_unit_test(test_arp_learns_sender),
		cmocka_unit_test(test_arp_attacks),
		cmocka_unit_test(test_ipv4_first_packet),
		cmocka_unit_test(test_xids_ring),
		cmocka_unit_test(test_xids_single_use_and_age),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
