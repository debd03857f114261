/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The frame parsers on real bytes: the fixtures of tests/lib/learn-frames.c
 * as Ethernet frames and wrapped in NFLOG records, then each malformation
 * the parsers must name, with the output left untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "learn-frames.h"
#include "learn/frame.h"

#define NFLOG_CAP 2048

static const uint8_t zero4[4];

/* A frame the parser must reject with reason, leaving *ret as it was. */
static void expect_eth_drop(const uint8_t *buf, size_t len, enum learn_drop reason)
{
	struct learn_frame f, before;

	memset(&f, 0xa5, sizeof(f));
	before = f;
	assert_int_equal(learn_eth_parse(buf, len, &f), -(int)reason);
	assert_memory_equal(&f, &before, sizeof(f));
}

static void expect_nflog_drop(const uint8_t *buf, size_t len, enum learn_drop reason)
{
	struct learn_frame f, before;

	memset(&f, 0x5a, sizeof(f));
	before = f;
	assert_int_equal(learn_nflog_parse(buf, len, &f), -(int)reason);
	assert_memory_equal(&f, &before, sizeof(f));
}

static void eth_ok(const uint8_t *buf, size_t len, struct learn_frame *f)
{
	assert_int_equal(learn_eth_parse(buf, len, f), 0);
}

/* The fixtures are real frames: their IPv4 and UDP checksums hold. */
static void test_fixture_checksums(void **state)
{
	for (const struct fx_frame *fx = fx_all; fx->name; fx++) {
		const uint8_t *ip = fx->bytes + FX_OFF_IP;
		size_t ip_len;

		if (fx->bytes[FX_OFF_ETHERTYPE + 1] != 0x00)
			continue; /* ARP */
		ip_len = (size_t)(ip[2] << 8 | ip[3]);
		assert_int_equal(fx_csum(ip, 20, 0), 0);
		assert_int_equal(FX_OFF_IP + ip_len, fx->len);
		if (ip[9] == 17) {
			/* pseudo header: src, dst, zero, protocol, UDP length */
			uint32_t sum = 17 + (uint32_t)(ip[24] << 8 | ip[25]);

			for (int i = 12; i < 20; i += 2)
				sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
			assert_int_equal(fx_csum(ip + 20, ip_len - 20, sum), 0);
		}
	}
}

static void test_dhcp_discover(void **state)
{
	struct learn_frame f;

	eth_ok(fx_dhcp_discover, sizeof(fx_dhcp_discover), &f);
	assert_true(f.has_src_mac);
	assert_memory_equal(f.src_mac, fx_vm_mac, 6);
	assert_int_equal(f.indev, 0);
	assert_int_equal(f.ethertype, LEARN_ETHERTYPE_IPV4);
	assert_int_equal(f.n_vlan, 0);
	assert_int_equal(f.l3, LEARN_L3_IPV4);
	assert_memory_equal(f.ipv4.src, zero4, 4);
	assert_false(f.ipv4.is_fragment);
	assert_int_equal(f.ipv4.proto, 17);
	assert_true(f.is_udp);
	assert_int_equal(f.udp.sport, 68);
	assert_int_equal(f.udp.dport, 67);
	assert_true(f.is_dhcp);
	assert_int_equal(f.dhcp.op, LEARN_BOOTREQUEST);
	assert_int_equal(f.dhcp.htype, 1);
	assert_int_equal(f.dhcp.hlen, 6);
	assert_int_equal(f.dhcp.xid, FX_XID);
	assert_memory_equal(f.dhcp.chaddr, fx_vm_mac, 6);
	assert_true(f.dhcp.has_cookie);
	assert_int_equal(f.dhcp.msg_type, LEARN_DHCPDISCOVER);
	assert_false(f.dhcp.has_server_id);
	assert_false(f.dhcp.has_requested);
	assert_false(f.dhcp.has_lease);
}

/* Everything above the link layer of the OFFER, ACK and renewal ACK. */
static void check_server_reply(const struct learn_frame *f, uint8_t msg_type)
{
	assert_memory_equal(f->ipv4.src, fx_server_ip, 4);
	assert_memory_equal(f->ipv4.dst, fx_lease_ip, 4);
	assert_int_equal(f->udp.sport, 67);
	assert_int_equal(f->udp.dport, 68);
	assert_true(f->is_dhcp);
	assert_int_equal(f->dhcp.op, LEARN_BOOTREPLY);
	assert_int_equal(f->dhcp.msg_type, msg_type);
	assert_memory_equal(f->dhcp.yiaddr, fx_lease_ip, 4);
	assert_memory_equal(f->dhcp.siaddr, fx_server_ip, 4);
	assert_memory_equal(f->dhcp.chaddr, fx_vm_mac, 6);
	assert_true(f->dhcp.has_server_id);
	assert_memory_equal(f->dhcp.server_id, fx_server_ip, 4);
	assert_true(f->dhcp.has_lease);
	assert_int_equal(f->dhcp.lease_s, 3600);
	assert_true(f->dhcp.has_t1);
	assert_int_equal(f->dhcp.t1, 1800);
	assert_true(f->dhcp.has_t2);
	assert_int_equal(f->dhcp.t2, 3150);
}

static void test_dhcp_offer_request_ack(void **state)
{
	struct learn_frame f;

	eth_ok(fx_dhcp_offer, sizeof(fx_dhcp_offer), &f);
	assert_memory_equal(f.src_mac, fx_server_mac, 6);
	check_server_reply(&f, LEARN_DHCPOFFER);
	assert_int_equal(f.dhcp.xid, FX_XID);

	eth_ok(fx_dhcp_request, sizeof(fx_dhcp_request), &f);
	assert_int_equal(f.dhcp.msg_type, LEARN_DHCPREQUEST);
	assert_int_equal(f.dhcp.xid, FX_XID);
	assert_true(f.dhcp.has_requested);
	assert_memory_equal(f.dhcp.requested, fx_lease_ip, 4);
	assert_true(f.dhcp.has_server_id);
	assert_memory_equal(f.dhcp.server_id, fx_server_ip, 4);
	assert_memory_equal(f.dhcp.ciaddr, zero4, 4);

	eth_ok(fx_dhcp_ack, sizeof(fx_dhcp_ack), &f);
	check_server_reply(&f, LEARN_DHCPACK);
	assert_int_equal(f.dhcp.xid, FX_XID);
}

static void test_dhcp_renew_nak_release_decline(void **state)
{
	struct learn_frame f;

	eth_ok(fx_dhcp_renew, sizeof(fx_dhcp_renew), &f);
	assert_int_equal(f.dhcp.msg_type, LEARN_DHCPREQUEST);
	assert_int_equal(f.dhcp.xid, FX_XID_RENEW);
	assert_memory_equal(f.dhcp.ciaddr, fx_lease_ip, 4);
	assert_memory_equal(f.ipv4.src, fx_lease_ip, 4);
	assert_false(f.dhcp.has_requested);

	eth_ok(fx_dhcp_renew_ack, sizeof(fx_dhcp_renew_ack), &f);
	check_server_reply(&f, LEARN_DHCPACK);
	assert_int_equal(f.dhcp.xid, FX_XID_RENEW);

	eth_ok(fx_dhcp_nak, sizeof(fx_dhcp_nak), &f);
	assert_int_equal(f.dhcp.msg_type, LEARN_DHCPNAK);
	assert_memory_equal(f.dhcp.yiaddr, zero4, 4);
	assert_false(f.dhcp.has_lease);

	eth_ok(fx_dhcp_release, sizeof(fx_dhcp_release), &f);
	assert_int_equal(f.dhcp.msg_type, LEARN_DHCPRELEASE);
	assert_memory_equal(f.dhcp.ciaddr, fx_lease_ip, 4);

	eth_ok(fx_dhcp_decline, sizeof(fx_dhcp_decline), &f);
	assert_int_equal(f.dhcp.msg_type, LEARN_DHCPDECLINE);
	assert_memory_equal(f.dhcp.requested, fx_lease_ip, 4);
}

static void test_arp(void **state)
{
	static const uint8_t gw[4] = { 192, 168, 122, 1 };
	struct learn_frame f;

	eth_ok(fx_arp_request, sizeof(fx_arp_request), &f);
	assert_int_equal(f.l3, LEARN_L3_ARP);
	assert_int_equal(f.ethertype, LEARN_ETHERTYPE_ARP);
	assert_int_equal(f.arp.op, 1);
	assert_memory_equal(f.arp.sha, fx_vm_mac, 6);
	assert_memory_equal(f.arp.spa, fx_lease_ip, 4);
	assert_memory_equal(f.arp.tpa, gw, 4);
	assert_false(f.is_udp);

	eth_ok(fx_arp_reply, sizeof(fx_arp_reply), &f); /* 42 bytes: no padding */
	assert_int_equal(f.arp.op, 2);
	assert_memory_equal(f.arp.tha, fx_server_mac, 6);

	eth_ok(fx_arp_gratuitous, sizeof(fx_arp_gratuitous), &f);
	assert_memory_equal(f.arp.spa, f.arp.tpa, 4);

	eth_ok(fx_arp_probe, sizeof(fx_arp_probe), &f);
	assert_memory_equal(f.arp.spa, zero4, 4);
	assert_memory_equal(f.arp.tpa, fx_lease_ip, 4);
}

static void test_arp_rejects(void **state)
{
	uint8_t b[60];

	/* Shorter than the 28 bytes of Ethernet/IPv4 ARP. */
	expect_eth_drop(fx_arp_reply, 14 + 27, LEARN_DROP_TRUNCATED);
	expect_eth_drop(fx_arp_reply, 14 + 7, LEARN_DROP_TRUNCATED);
	for (int i = 0; i < 4; i++) {
		static const struct {
			size_t off;
			uint8_t val;
		} bad[] = { { 15, 6 } /* htype IEEE 802 */,
			    { 16, 0x86 } /* ptype 0x86dd */,
			    { 18, 8 } /* hlen */,
			    { 19, 16 } /* plen */ };

		memcpy(b, fx_arp_request, sizeof(b));
		b[bad[i].off] = bad[i].val;
		expect_eth_drop(b, sizeof(b), LEARN_DROP_BAD_ARP);
	}
}

static void test_ipv4_other_protocols(void **state)
{
	struct learn_frame f;

	eth_ok(fx_icmp_echo, sizeof(fx_icmp_echo), &f);
	assert_int_equal(f.l3, LEARN_L3_IPV4);
	assert_int_equal(f.ipv4.proto, 1);
	assert_memory_equal(f.ipv4.src, fx_static_ip, 4);
	assert_false(f.ipv4.is_fragment); /* DF is not a fragment */
	assert_false(f.is_udp);
	assert_false(f.is_dhcp);

	eth_ok(fx_dns_query, sizeof(fx_dns_query), &f);
	assert_true(f.is_udp);
	assert_int_equal(f.udp.sport, 40000);
	assert_int_equal(f.udp.dport, 53);
	assert_false(f.is_dhcp);
}

static void test_ipv4_padding_and_options(void **state)
{
	uint8_t b[FX_DHCP_LEN + 8];
	struct learn_frame f;

	/* Ethernet padding after the IPv4 total length is ignored. */
	memset(b, 0xee, sizeof(b));
	memcpy(b, fx_icmp_echo, sizeof(fx_icmp_echo));
	eth_ok(b, 60, &f);
	assert_int_equal(f.ipv4.proto, 1);

	/* IHL 6: a 4-byte option (NOP x3, EOL) before UDP; DHCP is still found. */
	memcpy(b, fx_dhcp_ack, FX_OFF_IP + 20);
	b[FX_OFF_IP] = 0x46;
	b[FX_OFF_IP + 2] = (FX_DHCP_LEN - 14 + 4) >> 8;
	b[FX_OFF_IP + 3] = (FX_DHCP_LEN - 14 + 4) & 0xff;
	memcpy(b + FX_OFF_IP + 20, (const uint8_t[]){ 1, 1, 1, 0 }, 4);
	memcpy(b + FX_OFF_IP + 24, fx_dhcp_ack + FX_OFF_UDP, FX_DHCP_LEN - FX_OFF_UDP);
	eth_ok(b, FX_DHCP_LEN + 4, &f);
	assert_true(f.is_dhcp);
	assert_int_equal(f.dhcp.msg_type, LEARN_DHCPACK);
}

static void test_ipv4_rejects(void **state)
{
	uint8_t b[FX_DHCP_LEN];

	expect_eth_drop(fx_icmp_echo, 14 + 19, LEARN_DROP_TRUNCATED);

	memcpy(b, fx_icmp_echo, sizeof(fx_icmp_echo));
	b[FX_OFF_IP] = 0x65; /* version 6 */
	expect_eth_drop(b, sizeof(fx_icmp_echo), LEARN_DROP_BAD_IPV4);
	b[FX_OFF_IP] = 0x44; /* IHL 4 */
	expect_eth_drop(b, sizeof(fx_icmp_echo), LEARN_DROP_BAD_IPV4);
	b[FX_OFF_IP] = 0x4f; /* IHL 15 = 60 bytes > total 36 */
	expect_eth_drop(b, sizeof(fx_icmp_echo), LEARN_DROP_BAD_IPV4);

	memcpy(b, fx_icmp_echo, sizeof(fx_icmp_echo));
	b[FX_OFF_IP + 3] = 19; /* total < header */
	expect_eth_drop(b, sizeof(fx_icmp_echo), LEARN_DROP_BAD_IPV4);
	b[FX_OFF_IP + 3] = 37; /* one byte more than captured */
	expect_eth_drop(b, sizeof(fx_icmp_echo), LEARN_DROP_TRUNCATED);

	/* A DHCP frame cut by a snaplen. */
	expect_eth_drop(fx_dhcp_ack, 200, LEARN_DROP_TRUNCATED);
}

static void test_ipv4_fragments(void **state)
{
	uint8_t b[FX_DHCP_LEN];
	struct learn_frame f;

	memcpy(b, fx_dhcp_ack, sizeof(b));
	b[FX_OFF_IP_FRAG] = 0x20; /* MF, offset 0: the first fragment */
	eth_ok(b, sizeof(b), &f);
	assert_true(f.ipv4.is_fragment);
	assert_false(f.is_udp);
	assert_false(f.is_dhcp);

	b[FX_OFF_IP_FRAG] = 0x00;
	b[FX_OFF_IP_FRAG + 1] = 0x10; /* offset 16 * 8, no MF: the last one */
	eth_ok(b, sizeof(b), &f);
	assert_true(f.ipv4.is_fragment);
	assert_false(f.is_dhcp);
}

static void set_u16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void test_udp(void **state)
{
	uint8_t b[FX_DHCP_LEN];
	struct learn_frame f;

	memcpy(b, fx_dhcp_ack, sizeof(b));
	set_u16(b + FX_OFF_UDP + 4, 7);
	expect_eth_drop(b, sizeof(b), LEARN_DROP_BAD_UDP);
	set_u16(b + FX_OFF_UDP + 4, FX_DHCP_LEN - FX_OFF_UDP + 1);
	expect_eth_drop(b, sizeof(b), LEARN_DROP_BAD_UDP);

	/* An IPv4 payload too short for a UDP header. */
	memcpy(b, fx_dhcp_ack, sizeof(b));
	set_u16(b + FX_OFF_IP + 2, 20 + 7);
	expect_eth_drop(b, sizeof(b), LEARN_DROP_BAD_UDP);

	/* Ports decide what is DHCP: 67 -> 67 is a relay, 68 -> 53 is not DHCP. */
	memcpy(b, fx_dhcp_ack, sizeof(b));
	set_u16(b + FX_OFF_UDP + 2, 67);
	eth_ok(b, sizeof(b), &f);
	assert_true(f.is_dhcp);
	set_u16(b + FX_OFF_UDP + 2, 53);
	eth_ok(b, sizeof(b), &f);
	assert_true(f.is_udp);
	assert_false(f.is_dhcp);

	/* A UDP length shorter than the IPv4 payload bounds the DHCP message. */
	memcpy(b, fx_dhcp_ack, sizeof(b));
	set_u16(b + FX_OFF_UDP + 4, 8 + 235);
	expect_eth_drop(b, sizeof(b), LEARN_DROP_BAD_BOOTP);
}

static void test_bootp(void **state)
{
	uint8_t b[FX_DHCP_LEN];
	struct learn_frame f;

	memcpy(b, fx_dhcp_ack, sizeof(b));
	b[FX_OFF_BOOTP] = 3; /* op */
	expect_eth_drop(b, sizeof(b), LEARN_DROP_BAD_BOOTP);

	memcpy(b, fx_dhcp_ack, sizeof(b));
	b[FX_OFF_BOOTP + 2] = 17; /* hlen > 16 */
	expect_eth_drop(b, sizeof(b), LEARN_DROP_BAD_BOOTP);

	/* Another hardware type: chaddr is not an Ethernet address. */
	b[FX_OFF_BOOTP + 1] = 6;
	b[FX_OFF_BOOTP + 2] = 6;
	eth_ok(b, sizeof(b), &f);
	assert_memory_equal(f.dhcp.chaddr, (uint8_t[6]){ 0 }, 6);

	/* No magic cookie: plain BOOTP, options not read. */
	memcpy(b, fx_dhcp_ack, sizeof(b));
	b[FX_OFF_COOKIE + 3] = 0x64;
	eth_ok(b, sizeof(b), &f);
	assert_true(f.is_dhcp);
	assert_false(f.dhcp.has_cookie);
	assert_int_equal(f.dhcp.msg_type, 0);
	assert_false(f.dhcp.has_server_id);

	/* Exactly the fixed part: no room for a cookie. */
	struct learn_dhcp d;

	assert_int_equal(learn_dhcp_parse(fx_dhcp_ack + FX_OFF_BOOTP, 236, &d), 0);
	assert_false(d.has_cookie);
	assert_int_equal(learn_dhcp_parse(fx_dhcp_ack + FX_OFF_BOOTP, 235, &d),
			 -LEARN_DROP_BAD_BOOTP);
}

/* The ACK with its options replaced by opts (followed by zero padding). */
static int parse_options(const uint8_t *opts, size_t n, struct learn_dhcp *d)
{
	uint8_t b[FX_DHCP_LEN - FX_OFF_BOOTP];

	memcpy(b, fx_dhcp_ack + FX_OFF_BOOTP, sizeof(b));
	memset(b + FX_OFF_OPTIONS - FX_OFF_BOOTP, 0, sizeof(b) - (FX_OFF_OPTIONS - FX_OFF_BOOTP));
	memcpy(b + FX_OFF_OPTIONS - FX_OFF_BOOTP, opts, n);
	return learn_dhcp_parse(b, sizeof(b), d);
}

static void expect_bad_options(const uint8_t *opts, size_t n)
{
	struct learn_dhcp d, before;

	memset(&d, 0x77, sizeof(d));
	before = d;
	assert_int_equal(parse_options(opts, n, &d), -LEARN_DROP_BAD_OPTIONS);
	assert_memory_equal(&d, &before, sizeof(d));
}

#define BAD_OPTIONS(...)                                     \
	expect_bad_options((const uint8_t[]){ __VA_ARGS__ }, \
			   sizeof((const uint8_t[]){ __VA_ARGS__ }))

static void test_options_rejects(void **state)
{
	BAD_OPTIONS(53, 2, 5, 0, 255);              /* message type of size 2 */
	BAD_OPTIONS(53, 0, 255);                    /* ... of size 0 */
	BAD_OPTIONS(53, 1, 0, 255);                 /* type 0 does not exist */
	BAD_OPTIONS(53, 1, 5, 53, 1, 2, 255);       /* two message types */
	BAD_OPTIONS(54, 3, 10, 0, 0, 255);          /* server id of size 3 */
	BAD_OPTIONS(50, 5, 10, 0, 0, 1, 1, 255);    /* requested address of size 5 */
	BAD_OPTIONS(51, 2, 0, 1, 255);              /* lease time of size 2 */
	BAD_OPTIONS(58, 8, 0, 0, 0, 1, 0, 0, 0, 1); /* T1 of size 8 */
	BAD_OPTIONS(59, 0);                         /* T2 of size 0 */
	BAD_OPTIONS(51, 4, 0, 0, 0, 1, 51, 4, 0, 0, 0, 2);

	/* An option running past the end of the message, and a missing length byte. */
	uint8_t b[FX_DHCP_LEN - FX_OFF_BOOTP];
	struct learn_dhcp d;

	memcpy(b, fx_dhcp_ack + FX_OFF_BOOTP, sizeof(b));
	memset(b + 240, 0, sizeof(b) - 240);
	b[sizeof(b) - 3] = 12;
	b[sizeof(b) - 2] = 2;
	assert_int_equal(learn_dhcp_parse(b, sizeof(b), &d), -LEARN_DROP_BAD_OPTIONS);
	b[sizeof(b) - 1] = 12;
	b[sizeof(b) - 2] = 0;
	assert_int_equal(learn_dhcp_parse(b, sizeof(b), &d), -LEARN_DROP_BAD_OPTIONS);

	/* Too many options: 257 empty hostnames before the end. */
	uint8_t many[257 * 2 + 1];

	for (size_t i = 0; i < 257; i++) {
		many[2 * i] = 12;
		many[2 * i + 1] = 0;
	}
	many[sizeof(many) - 1] = 255;
	uint8_t big[236 + 4 + sizeof(many)];

	memcpy(big, fx_dhcp_ack + FX_OFF_BOOTP, 240);
	memcpy(big + 240, many, sizeof(many));
	assert_int_equal(learn_dhcp_parse(big, sizeof(big), &d), -LEARN_DROP_BAD_OPTIONS);
	/* 256 are fine. */
	big[240 + 256 * 2] = 255;
	assert_int_equal(learn_dhcp_parse(big, 240 + 256 * 2 + 1, &d), 0);
}

static void test_options_accepts(void **state)
{
	struct learn_dhcp d;

	/* Pads anywhere, unknown options skipped, infinite lease. */
	assert_int_equal(parse_options((const uint8_t[]){ 0, 0, 53, 1, 5, 0, 224, 3, 1, 2, 3, 0, 51,
							  4, 0xff, 0xff, 0xff, 0xff, 255 },
				       19, &d),
			 0);
	assert_int_equal(d.msg_type, LEARN_DHCPACK);
	assert_true(d.has_lease);
	assert_int_equal(d.lease_s, LEARN_LEASE_INFINITE);
	assert_false(d.has_server_id);

	/* Nothing after END is read, even a second message type. */
	assert_int_equal(parse_options((const uint8_t[]){ 53, 1, 5, 255, 53, 1, 2 }, 7, &d), 0);
	assert_int_equal(d.msg_type, LEARN_DHCPACK);

	/* Overload (52) is skipped like any option: sname/file are never read. */
	assert_int_equal(parse_options((const uint8_t[]){ 52, 1, 3, 53, 1, 5, 255 }, 7, &d), 0);
	assert_int_equal(d.msg_type, LEARN_DHCPACK);

	/* No options at all, only padding: no message type. */
	assert_int_equal(parse_options((const uint8_t[]){ 0 }, 1, &d), 0);
	assert_true(d.has_cookie);
	assert_int_equal(d.msg_type, 0);

	/* A missing END is accepted when the options fill the message exactly. */
	uint8_t b[240 + 3] = { 0 };

	memcpy(b, fx_dhcp_ack + FX_OFF_BOOTP, 240);
	memcpy(b + 240, (const uint8_t[]){ 53, 1, 5 }, 3);
	assert_int_equal(learn_dhcp_parse(b, sizeof(b), &d), 0);
	assert_int_equal(d.msg_type, LEARN_DHCPACK);
}

static void test_eth_vlans(void **state)
{
	uint8_t b[FX_DHCP_LEN + 12];
	struct learn_frame f;

	/* One 802.1Q tag, VID 100, PCP 5. */
	memcpy(b, fx_dhcp_ack, 12);
	memcpy(b + 12, (const uint8_t[]){ 0x81, 0x00, 0xa0, 0x64 }, 4);
	memcpy(b + 16, fx_dhcp_ack + 12, FX_DHCP_LEN - 12);
	eth_ok(b, FX_DHCP_LEN + 4, &f);
	assert_int_equal(f.n_vlan, 1);
	assert_int_equal(f.vlan[0], 100);
	assert_int_equal(f.ethertype, LEARN_ETHERTYPE_IPV4);
	assert_int_equal(f.dhcp.msg_type, LEARN_DHCPACK);

	/* QinQ: 802.1ad 200 outside, 802.1Q 100 inside. */
	memcpy(b + 12, (const uint8_t[]){ 0x88, 0xa8, 0x00, 0xc8, 0x81, 0x00, 0x00, 0x64 }, 8);
	memcpy(b + 20, fx_dhcp_ack + 12, FX_DHCP_LEN - 12);
	eth_ok(b, FX_DHCP_LEN + 8, &f);
	assert_int_equal(f.n_vlan, 2);
	assert_int_equal(f.vlan[0], 200);
	assert_int_equal(f.vlan[1], 100);
	assert_true(f.is_dhcp);

	/* A third tag. */
	memcpy(b + 12,
	       (const uint8_t[]){ 0x88, 0xa8, 0x00, 0xc8, 0x81, 0x00, 0x00, 0x64, 0x81, 0x00, 0x00,
				  0x01 },
	       12);
	memcpy(b + 24, fx_dhcp_ack + 12, FX_DHCP_LEN - 12);
	expect_eth_drop(b, FX_DHCP_LEN + 12, LEARN_DROP_TOO_MANY_VLANS);

	/* A tag cut short. */
	expect_eth_drop(b, 16, LEARN_DROP_TRUNCATED);
}

static void test_eth_rejects(void **state)
{
	uint8_t b[60];
	struct learn_frame f;

	expect_eth_drop(fx_arp_request, 13, LEARN_DROP_TRUNCATED);
	expect_eth_drop(fx_arp_request, 0, LEARN_DROP_TRUNCATED);
	expect_eth_drop(NULL, 0, LEARN_DROP_TRUNCATED);

	/* 802.3 length field instead of an ethertype. */
	memcpy(b, fx_arp_request, sizeof(b));
	set_u16(b + 12, 46);
	expect_eth_drop(b, sizeof(b), LEARN_DROP_BAD_ETHERTYPE);

	/* Another protocol: not ours, not an error. */
	set_u16(b + 12, 0x88b5);
	eth_ok(b, sizeof(b), &f);
	assert_int_equal(f.l3, LEARN_L3_OTHER);
	assert_int_equal(f.ethertype, 0x88b5);

	/* IPv6 is parsed now (frame6.h): an ARP body behind its ethertype is not IPv6. */
	set_u16(b + 12, 0x86dd);
	expect_eth_drop(b, sizeof(b), LEARN_DROP_BAD_IPV6);
}

static void test_nflog_bridge_record(void **state)
{
	uint8_t rec[NFLOG_CAP];
	struct learn_frame f;
	size_t n;

	/* From the VM: the kernel names the bridge (3) as INDEV and the port (7) as PHYSINDEV. */
	n = fx_nflog_from_eth(fx_arp_request, sizeof(fx_arp_request), 7, rec, sizeof(rec));
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_int_equal(f.indev, 7);
	assert_int_equal(f.outdev, 0);
	assert_true(f.has_src_mac);
	assert_memory_equal(f.src_mac, fx_vm_mac, 6);
	assert_int_equal(f.l3, LEARN_L3_ARP);
	assert_memory_equal(f.arp.spa, fx_lease_ip, 4);

	/* To the VM: plain OUTDEV, no HWADDR, no extras. */
	const struct fx_nflog spec = {
		.family = 7,
		.hw_protocol = LEARN_ETHERTYPE_IPV4,
		.outdev = 9,
		.payload = fx_dhcp_ack + 14,
		.payload_len = FX_DHCP_LEN - 14,
	};

	n = fx_nflog_build(&spec, rec, sizeof(rec));
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_int_equal(f.indev, 0);
	assert_int_equal(f.outdev, 9);
	assert_false(f.has_src_mac);
	check_server_reply(&f, LEARN_DHCPACK);

	/* PHYSOUTDEV wins over OUTDEV; INDEV alone is used as it is. */
	struct fx_nflog s2 = spec;

	s2.outdev = 3;
	s2.physoutdev = 8;
	s2.indev = 4;
	n = fx_nflog_build(&s2, rec, sizeof(rec));
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_int_equal(f.outdev, 8);
	assert_int_equal(f.indev, 4);

	/* The last TLV without its padding (a record cut to its exact length). */
	n = fx_nflog_from_eth(fx_dns_query, sizeof(fx_dns_query), 7, rec, sizeof(rec));
	assert_int_equal((sizeof(fx_dns_query) - 14) % 4, 1);
	assert_int_equal(learn_nflog_parse(rec, n - 3, &f), 0);
	assert_int_equal(f.udp.dport, 53);
}

static void test_nflog_vlans(void **state)
{
	uint8_t rec[NFLOG_CAP], payload[FX_DHCP_LEN + 8];
	struct fx_nflog spec = {
		.family = 7,
		.hw_protocol = LEARN_ETHERTYPE_IPV4,
		.physindev = 7,
		.src_mac = fx_vm_mac,
		.has_vlan = true,
		.vlan_tci = 0x2064, /* PCP 1, VID 100 */
		.payload = fx_dhcp_discover + 14,
		.payload_len = FX_DHCP_LEN - 14,
	};
	struct learn_frame f;
	size_t n;

	/* The stripped tag arrives as NFULA_VLAN. */
	n = fx_nflog_build(&spec, rec, sizeof(rec));
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_int_equal(f.n_vlan, 1);
	assert_int_equal(f.vlan[0], 100);
	assert_int_equal(f.dhcp.msg_type, LEARN_DHCPDISCOVER);

	/* QinQ: the inner tag stays in the payload, hw_protocol says 802.1Q. */
	memcpy(payload, (const uint8_t[]){ 0x00, 0x05, 0x08, 0x00 }, 4);
	memcpy(payload + 4, fx_dhcp_discover + 14, FX_DHCP_LEN - 14);
	spec.hw_protocol = LEARN_ETHERTYPE_8021Q;
	spec.payload = payload;
	spec.payload_len = FX_DHCP_LEN - 14 + 4;
	n = fx_nflog_build(&spec, rec, sizeof(rec));
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_int_equal(f.n_vlan, 2);
	assert_int_equal(f.vlan[0], 100);
	assert_int_equal(f.vlan[1], 5);
	assert_int_equal(f.ethertype, LEARN_ETHERTYPE_IPV4);
	assert_true(f.is_dhcp);

	/* Two in-band tags plus the stripped one: three. */
	memcpy(payload, (const uint8_t[]){ 0x00, 0x05, 0x81, 0x00, 0x00, 0x06, 0x08, 0x00 }, 8);
	memcpy(payload + 8, fx_dhcp_discover + 14, FX_DHCP_LEN - 14);
	spec.payload_len = FX_DHCP_LEN - 14 + 8;
	n = fx_nflog_build(&spec, rec, sizeof(rec));
	expect_nflog_drop(rec, n, LEARN_DROP_TOO_MANY_VLANS);
	/* Without the stripped one, two in-band tags are fine. */
	spec.has_vlan = false;
	n = fx_nflog_build(&spec, rec, sizeof(rec));
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_int_equal(f.n_vlan, 2);
	assert_int_equal(f.vlan[1], 6);
}

static const uint8_t macvtap_egress_arp[148];

/* A record with the given TLVs after a valid PACKET_HDR (IPv4) and before a valid PAYLOAD. */
static size_t nflog_with(uint8_t *rec, const uint8_t *tlvs, size_t n_tlvs, bool payload)
{
	const uint8_t hdr[4] = { 0x08, 0x00, 3, 0 };
	size_t off = 4;

	memcpy(rec, (const uint8_t[]){ 7, 0, 0, 5 }, 4);
	off = fx_tlv(rec, off, 1, hdr, 4);
	if (n_tlvs)
		memcpy(rec + off, tlvs, n_tlvs);
	off += n_tlvs;
	if (payload)
		off = fx_tlv(rec, off, 9, fx_icmp_echo + 14, sizeof(fx_icmp_echo) - 14);
	return off;
}

static void test_nflog_rejects(void **state)
{
	uint8_t rec[NFLOG_CAP] = { 0 }, t[64];
	size_t n;

	expect_nflog_drop(rec, 0, LEARN_DROP_TRUNCATED);
	expect_nflog_drop((const uint8_t[]){ 7, 0, 0 }, 3, LEARN_DROP_TRUNCATED);

	/* A valid record, then each field broken. */
	n = nflog_with(rec, NULL, 0, true);
	struct learn_frame f;

	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	rec[1] = 1; /* version */
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);

	/* Zero and short TLV lengths: the cursor must advance. */
	for (uint16_t len = 0; len < 4; len++) {
		uint16_t type = 12;

		memcpy(t, &len, 2);
		memcpy(t + 2, &type, 2);
		n = nflog_with(rec, t, 4, true);
		expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
	}
	/* A TLV longer than the record. */
	n = nflog_with(rec, NULL, 0, true);
	expect_nflog_drop(rec, n - 4, LEARN_DROP_TRUNCATED);
	/* A lone byte after the last TLV: half a header. */
	rec[n] = 0;
	expect_nflog_drop(rec, n + 1, LEARN_DROP_BAD_NFLOG);

	/* No PACKET_HDR; no PAYLOAD; an empty one. */
	memcpy(rec, (const uint8_t[]){ 7, 0, 0, 5 }, 4);
	n = fx_tlv(rec, 4, 9, fx_icmp_echo + 14, sizeof(fx_icmp_echo) - 14);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
	n = nflog_with(rec, NULL, 0, false);
	expect_nflog_drop(rec, n, LEARN_DROP_NO_PAYLOAD);
	n = fx_tlv(t, 0, 9, NULL, 0);
	n = nflog_with(rec, t, n, false);
	expect_nflog_drop(rec, n, LEARN_DROP_NO_PAYLOAD);

	/* Duplicates: a second PACKET_HDR, a second PAYLOAD. */
	n = fx_tlv(t, 0, 1, (const uint8_t[]){ 0x08, 0x06, 0, 0 }, 4);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
	n = fx_tlv(t, 0, 9, fx_arp_request + 14, 28);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);

	/* Wrong sizes: ifindex of 2 bytes, HWADDR of 8, hw_addrlen 9, VLAN TCI of 4. */
	n = fx_tlv(t, 0, 4, (const uint8_t[]){ 0, 7 }, 2);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
	n = fx_tlv(t, 0, 8, (const uint8_t[]){ 0, 6, 0, 0, 1, 2, 3, 4 }, 8);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
	n = fx_tlv(t, 0, 8, (const uint8_t[]){ 0, 9, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8 }, 12);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
	uint8_t nest[8];
	size_t nn = fx_tlv(nest, 0, 2, (const uint8_t[]){ 0, 0, 0, 100 }, 4);

	n = fx_tlv(t, 0, 20 | 0x8000, nest, nn);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);

	/* An ifindex that does not fit an int. */
	n = fx_tlv(t, 0, 6, (const uint8_t[]){ 0x80, 0, 0, 1 }, 4);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);

	/* hw_protocol 0 (never set): not an ethertype. */
	memcpy(rec, (const uint8_t[]){ 7, 0, 0, 5 }, 4);
	n = fx_tlv(rec, 4, 1, (const uint8_t[]){ 0, 0, 0, 0 }, 4);
	n = fx_tlv(rec, n, 9, fx_icmp_echo + 14, sizeof(fx_icmp_echo) - 14);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_ETHERTYPE);
}

/* A record with a PREFIX TLV of these exact bytes (NUL included or not). */
static size_t nflog_prefix(uint8_t *rec, const void *value, size_t len)
{
	uint8_t t[128];

	return nflog_with(rec, t, fx_tlv(t, 0, 10, value, len), true);
}

static void expect_prefix(const void *value, size_t len, const char *expected)
{
	uint8_t rec[NFLOG_CAP];
	struct learn_frame f;
	size_t n = nflog_prefix(rec, value, len);

	if (!expected) {
		expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
		return;
	}
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_true(f.has_prefix);
	assert_string_equal(f.prefix, expected);
}

static void test_nflog_prefix(void **state)
{
	char longest[LEARN_PREFIX_MAX + 1];
	uint8_t rec[NFLOG_CAP], t[128];
	struct learn_frame f;
	size_t n;

	/* none; a drop sample's; the lone NUL of a rule without a prefix (the kernel's records) */
	n = nflog_with(rec, NULL, 0, true);
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_false(f.has_prefix);
	expect_prefix("vgd source-mac o", 17, "vgd source-mac o");
	expect_prefix("", 1, "");
	assert_int_equal(learn_nflog_parse(macvtap_egress_arp, sizeof(macvtap_egress_arp), &f), 0);
	assert_true(f.has_prefix);
	assert_string_equal(f.prefix, "");

	/* the longest kept, NUL included: LEARN_PREFIX_MAX bytes; one more is malformed */
	memset(longest, 'x', sizeof(longest));
	longest[LEARN_PREFIX_MAX - 1] = '\0';
	expect_prefix(longest, LEARN_PREFIX_MAX, longest);
	longest[LEARN_PREFIX_MAX - 1] = 'x';
	longest[LEARN_PREFIX_MAX] = '\0';
	expect_prefix(longest, LEARN_PREFIX_MAX + 1, NULL);

	/* empty, unterminated, a NUL inside, bytes that are not printable ASCII */
	expect_prefix("", 0, NULL);
	expect_prefix("vgd", 3, NULL);
	expect_prefix("vgd\0x", 6, NULL);
	expect_prefix("vgd\x1b[31m", 9, NULL);
	expect_prefix("vgd\x7f", 5, NULL);
	expect_prefix("vgd \xc3\xa9", 7, NULL);
	expect_prefix("vgd\n", 5, NULL);
	expect_prefix(" ~", 3, " ~");

	/* twice */
	n = fx_tlv(t, 0, 10, "a", 2);
	n = fx_tlv(t, n, 10, "a", 2);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);

	/* cut inside the prefix TLV's header and inside its value */
	memcpy(rec, (const uint8_t[]){ 7, 0, 0, 5 }, 4);
	n = fx_tlv(rec, 4, 1, (const uint8_t[]){ 0x08, 0x00, 3, 0 }, 4);
	n = fx_tlv(rec, n, 10, "vgd filter i", 13);
	for (size_t cut = n - 16 - 3; cut < n - 3; cut++)
		expect_nflog_drop(rec, cut,
				  cut < n - 16 ? LEARN_DROP_BAD_NFLOG : LEARN_DROP_TRUNCATED);
	(void)state;
}

/* NFULA_L2HDR: the source MAC when NFULA_HWADDR is not there (postrouting has no indev). */
static void test_nflog_l2hdr(void **state)
{
	uint8_t rec[NFLOG_CAP], t[64], eth[14];
	struct learn_frame f;
	size_t n;

	memcpy(eth, fx_icmp_echo, 14); /* dst the gateway, src the VM, IPv4 */
	n = nflog_with(rec, t, fx_tlv(t, 0, 21, eth, 14), true);
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_true(f.has_src_mac);
	assert_memory_equal(f.src_mac, fx_vm_mac, 6);

	/* HWADDR wins when both are there */
	n = fx_tlv(t, 0, 8, (const uint8_t[]){ 0, 6, 0, 0, 0x52, 0x54, 0, 0x66, 0x66, 0x66, 0, 0 },
		   12);
	n = fx_tlv(t, n, 21, eth, 14);
	n = nflog_with(rec, t, n, true);
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	assert_memory_equal(f.src_mac, fx_other_mac, 6);

	/* shorter than an Ethernet header; twice */
	n = nflog_with(rec, t, fx_tlv(t, 0, 21, eth, 13), true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
	n = fx_tlv(t, 0, 21, eth, 14);
	n = fx_tlv(t, n, 21, eth, 14);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
	(void)state;
}

static void test_nflog_header(void **state)
{
	uint8_t rec[NFLOG_CAP], body[28];
	const uint8_t *payload;
	size_t n, payload_len;
	struct learn_frame f, before;

	/* a broken ARP body: the whole record fails, its header alone parses */
	memcpy(body, fx_arp_request + 14, 28);
	body[4] = 4; /* hlen */
	const struct fx_nflog spec = {
		.family = 7,
		.hw_protocol = LEARN_ETHERTYPE_ARP,
		.indev = 3,
		.physindev = 7,
		.src_mac = fx_other_mac,
		.payload = body,
		.payload_len = sizeof(body),
		.prefix = "vgd arp-spoofing o",
	};

	n = fx_nflog_build(&spec, rec, sizeof(rec));
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_ARP);
	assert_int_equal(learn_nflog_parse_header(rec, n, &f, &payload, &payload_len), 0);
	assert_int_equal(f.indev, 7);
	assert_int_equal(f.outdev, 0);
	assert_true(f.has_src_mac);
	assert_memory_equal(f.src_mac, fx_other_mac, 6);
	assert_int_equal(f.ethertype, LEARN_ETHERTYPE_ARP);
	assert_int_equal(f.l3, LEARN_L3_OTHER);
	assert_string_equal(f.prefix, "vgd arp-spoofing o");
	assert_ptr_equal(payload, rec + n - 28);
	assert_int_equal(payload_len, 28);
	assert_int_equal(learn_l3_parse(f.ethertype, payload, payload_len, &f),
			 -LEARN_DROP_BAD_ARP);

	/* the netdev egress header: the ethertype from the Ethernet header, the payload after it */
	assert_int_equal(learn_nflog_parse_header(macvtap_egress_arp, sizeof(macvtap_egress_arp),
						  &f, &payload, &payload_len),
			 0);
	assert_int_equal(f.origin, LEARN_ORIGIN_NETDEV_EGRESS);
	assert_int_equal(f.ethertype, LEARN_ETHERTYPE_ARP);
	assert_int_equal(payload_len, 64 - 4 - 14);

	/* a malformed header leaves everything untouched */
	memset(&before, 0xa5, sizeof(before));
	f = before;
	payload = NULL;
	payload_len = 77;
	assert_int_equal(learn_nflog_parse_header(rec, 3, &f, &payload, &payload_len),
			 -LEARN_DROP_TRUNCATED);
	assert_memory_equal(&f, &before, sizeof(f));
	assert_null(payload);
	assert_int_equal(payload_len, 77);
	(void)state;
}

static void test_nflog_tlv_cap(void **state)
{
	uint8_t rec[NFLOG_CAP], t[64 * 8];
	size_t n = 0;
	struct learn_frame f;

	/* 62 marks + PACKET_HDR + PAYLOAD = 64 TLVs: accepted; one more is not. */
	for (int i = 0; i < 62; i++)
		n = fx_tlv(t, n, 2, (const uint8_t[]){ 0, 0, 0, 1 }, 4);
	n = nflog_with(rec, t, n, true);
	assert_int_equal(learn_nflog_parse(rec, n, &f), 0);
	n = fx_tlv(t, 62 * 8, 2, (const uint8_t[]){ 0, 0, 0, 1 }, 4);
	n = nflog_with(rec, t, n, true);
	expect_nflog_drop(rec, n, LEARN_DROP_BAD_NFLOG);
}

static void test_nflog_payload_drops(void **state)
{
	uint8_t rec[NFLOG_CAP];
	size_t n;

	/* The payload's own drop reasons come through: a snaplen-cut DHCP ACK. */
	const struct fx_nflog spec = {
		.family = 7,
		.hw_protocol = LEARN_ETHERTYPE_IPV4,
		.physoutdev = 7,
		.payload = fx_dhcp_ack + 14,
		.payload_len = 128,
	};

	n = fx_nflog_build(&spec, rec, sizeof(rec));
	expect_nflog_drop(rec, n, LEARN_DROP_TRUNCATED);
}

/*
 * Two records read by libpcap from nflog:N on this kernel (6.18), logged by
 * netdev-family chains on a macvtap: an ARP request the VM wrote to its tap
 * (egress hook 1, OUTDEV, payload from the Ethernet header) and a frame sent
 * to the VM (ingress hook 0, INDEV and HWADDR, payload from the network
 * header, here 46 zero bytes).
 */
static const uint8_t macvtap_egress_arp[148] = {
	0x05, 0x00, 0x0e, 0xd7, 0x08, 0x00, 0x01, 0x00, 0x08, 0x06, 0x01, 0x00, 0x05, 0x00, 0x0a,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00, 0x04, 0x14, 0x00,
	0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6b, 0x0c, 0xab, 0xe7, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x04, 0x9f, 0x9e, 0x08, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x0e, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x15, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52,
	0x54, 0x00, 0x11, 0x22, 0x33, 0x08, 0x06, 0x00, 0x00, 0x40, 0x00, 0x09, 0x00, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0x00, 0x11, 0x22, 0x33, 0x08, 0x06, 0x00, 0x01, 0x08,
	0x00, 0x06, 0x04, 0x00, 0x01, 0x52, 0x54, 0x00, 0x11, 0x22, 0x33, 0x0a, 0x09, 0x00, 0x05,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t macvtap_ingress[] = {
	0x05, 0x00, 0x0e, 0xd7, 0x08, 0x00, 0x01, 0x00, 0x08, 0x06, 0x00, 0x00, 0x05, 0x00, 0x0a,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x04, 0x10, 0x00,
	0x08, 0x00, 0x00, 0x06, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x06,
	0x00, 0x0f, 0x00, 0x00, 0x01, 0x00, 0x00, 0x06, 0x00, 0x11, 0x00, 0x00, 0x0e, 0x00, 0x00,
	0x12, 0x00, 0x10, 0x00, 0x52, 0x54, 0x00, 0x11, 0x22, 0x33, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x01, 0x08, 0x06, 0x00, 0x00, 0x14, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x6b, 0x0c,
	0xab, 0xe7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x59, 0xe3, 0x08, 0x00, 0x0b, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x08, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00, 0x15, 0x00,
	0x52, 0x54, 0x00, 0x11, 0x22, 0x33, 0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00,
	0x00, 0x32, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void test_nflog_netdev_records(void **state)
{
	static const uint8_t vm_mac[6] = { 0x52, 0x54, 0x00, 0x11, 0x22, 0x33 };
	static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	uint8_t rec[NFLOG_CAP];
	struct learn_frame f;

	assert_int_equal(learn_nflog_parse(macvtap_egress_arp, sizeof(macvtap_egress_arp), &f), 0);
	assert_int_equal(f.origin, LEARN_ORIGIN_NETDEV_EGRESS);
	assert_int_equal(f.outdev, 4);
	assert_int_equal(f.indev, 0);
	assert_true(f.has_src_mac);
	assert_memory_equal(f.src_mac, vm_mac, 6);
	assert_int_equal(f.l3, LEARN_L3_ARP);
	assert_memory_equal(f.arp.spa, ((const uint8_t[]){ 10, 9, 0, 5 }), 4);
	assert_memory_equal(f.arp.tpa, ((const uint8_t[]){ 10, 9, 0, 1 }), 4);
	assert_true(f.has_timestamp);
	assert_int_equal(f.timestamp_us, INT64_C(0x6b0cabe7) * 1000000 + 0x49f9e);

	/* its zero-filled ARP body is refused; with a real one, the rest is read right */
	expect_nflog_drop(macvtap_ingress, sizeof(macvtap_ingress), LEARN_DROP_BAD_ARP);
	memcpy(rec, macvtap_ingress, sizeof(macvtap_ingress));
	memcpy(rec + 140, fx_arp_request + 14, 28);
	assert_int_equal(learn_nflog_parse(rec, sizeof(macvtap_ingress), &f), 0);
	assert_int_equal(f.origin, LEARN_ORIGIN_NETDEV_INGRESS);
	assert_int_equal(f.indev, 4);
	assert_int_equal(f.outdev, 0);
	assert_memory_equal(f.src_mac, peer_mac, 6);
	assert_int_equal(f.l3, LEARN_L3_ARP);
	assert_true(f.has_timestamp);

	/* an egress payload shorter than an Ethernet header */
	memcpy(rec, macvtap_egress_arp, sizeof(macvtap_egress_arp));
	rec[sizeof(macvtap_egress_arp) - 64] = 4 + 13; /* PAYLOAD TLV length: 13 bytes */
	expect_nflog_drop(rec, sizeof(macvtap_egress_arp) - 64 + 4 + 13, LEARN_DROP_TRUNCATED);

	/* a netdev hook that does not exist */
	memcpy(rec, macvtap_egress_arp, sizeof(macvtap_egress_arp));
	rec[10] = 2;
	expect_nflog_drop(rec, sizeof(macvtap_egress_arp), LEARN_DROP_BAD_NFLOG);

	/* a timestamp of the wrong size; one that is no clock is ignored */
	memcpy(rec, macvtap_egress_arp, sizeof(macvtap_egress_arp));
	rec[28] = 4 + 12;
	expect_nflog_drop(rec, sizeof(macvtap_egress_arp), LEARN_DROP_BAD_NFLOG);
	memcpy(rec, macvtap_egress_arp, sizeof(macvtap_egress_arp));
	rec[32] = 1; /* seconds >= 2^56 */
	assert_int_equal(learn_nflog_parse(rec, sizeof(macvtap_egress_arp), &f), 0);
	assert_false(f.has_timestamp);
	(void)state;
}

static void test_drop_names(void **state)
{
	for (int i = 0; i < _LEARN_DROP_MAX; i++) {
		const char *name = learn_drop_name((enum learn_drop)i);

		assert_non_null(name);
		assert_string_not_equal(name, "unknown");
		for (int j = 0; j < i; j++)
			assert_string_not_equal(name, learn_drop_name((enum learn_drop)j));
	}
	assert_string_equal(learn_drop_name(LEARN_DROP_TOO_MANY_VLANS), "too-many-vlans");
	assert_string_equal(learn_drop_name(_LEARN_DROP_MAX), "unknown");
	assert_string_equal(learn_drop_name((enum learn_drop) - 1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture_checksums),
		cmocka_unit_test(test_nflog_netdev_records),
		cmocka_unit_test(test_dhcp_discover),
		cmocka_unit_test(test_dhcp_offer_request_ack),
		cmocka_unit_test(test_dhcp_renew_nak_release_decline),
		cmocka_unit_test(test_arp),
		cmocka_unit_test(test_arp_rejects),
		cmocka_unit_test(test_ipv4_other_protocols),
		cmocka_unit_test(test_ipv4_padding_and_options),
		cmocka_unit_test(test_ipv4_rejects),
		cmocka_unit_test(test_ipv4_fragments),
		cmocka_unit_test(test_udp),
		cmocka_unit_test(test_bootp),
		cmocka_unit_test(test_options_rejects),
		cmocka_unit_test(test_options_accepts),
		cmocka_unit_test(test_eth_vlans),
		cmocka_unit_test(test_eth_rejects),
		cmocka_unit_test(test_nflog_bridge_record),
		cmocka_unit_test(test_nflog_vlans),
		cmocka_unit_test(test_nflog_rejects),
		cmocka_unit_test(test_nflog_prefix),
		cmocka_unit_test(test_nflog_header),
		cmocka_unit_test(test_nflog_l2hdr),
		cmocka_unit_test(test_nflog_tlv_cap),
		cmocka_unit_test(test_nflog_payload_drops),
		cmocka_unit_test(test_drop_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
