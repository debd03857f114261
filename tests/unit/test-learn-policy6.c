/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The IPv6 learning policy on real frames (tests/lib/learn-frames6.c): what
 * DAD, a new source and a DHCPv6 exchange teach, and every way to fool it
 * (a spoofed MAC, MLD from ::, a REPLY to an exchange the VM never started
 * or for another client, an ADVERTISE, an untrusted server, addresses that
 * are never an address, dhcp mode).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "learn-frames6.h"
#include "learn/policy6.h"

static struct fx6_frame fx[_FX6_MAX];
static uint8_t addr_list[1][16], server_list[1][16];

/* A list of one address for the port's view (the fixtures' addresses are const). */
static const uint8_t (*one(uint8_t (*list)[16], const uint8_t addr[16]))[16]
{
	memcpy(list[0], addr, 16);
	return (const uint8_t(*)[16])list;
}

static int setup(void **state)
{
	(void)state;
	fx6_build_all(fx);
	return 0;
}

static struct learn6_port port_new(enum learn_mode mode, struct learn_xids *xids)
{
	struct learn6_port p = { .mode = mode, .xids = xids };

	memset(xids, 0, sizeof(*xids));
	memcpy(p.vm_mac, fx6_vm_mac, 6);
	return p;
}

static int decide(const struct learn6_port *p, enum learn_dir dir, const uint8_t *buf, size_t len,
		  struct learn6_decision *d)
{
	struct learn_frame f;

	assert_int_equal(learn_eth_parse(buf, len, &f), 0);
	assert_int_equal(f.l3, LEARN_L3_IPV6);
	return learn6_decide(p, dir, &f, d);
}

static void expect_ignore(const struct learn6_port *p, enum learn_dir dir, const uint8_t *buf,
			  size_t len, enum learn_drop reason)
{
	struct learn6_decision d;

	assert_int_equal(decide(p, dir, buf, len, &d), LEARN_VERDICT_IGNORE);
	if (d.reason != reason)
		fail_msg("ignored for %s, expected %s", learn_drop_name(d.reason),
			 learn_drop_name(reason));
}

static void expect_one(const struct learn6_port *p, enum learn_dir dir, const uint8_t *buf,
		       size_t len, enum learn_verdict item, enum learn_source source,
		       const uint8_t addr[16], struct learn6_decision *d)
{
	if (decide(p, dir, buf, len, d) != LEARN_VERDICT_LEARN)
		fail_msg("ignored for %s", learn_drop_name(d->reason));
	assert_int_equal(d->source, source);
	assert_int_equal(d->n_items, 1);
	assert_int_equal(d->items[0].verdict, item);
	assert_memory_equal(d->items[0].addr, addr, 16);
}

/* Records the VM's REQUEST in xids, as the engine does with RECORD_XID. */
static void record_request(const struct learn6_port *p, struct learn_xids *xids)
{
	struct learn6_decision d;

	assert_int_equal(
		decide(p, LEARN_DIR_FROM_VM, fx[FX6_REQUEST].bytes, fx[FX6_REQUEST].len, &d),
		LEARN_VERDICT_RECORD_XID);
	assert_int_equal(d.xid, FX6_XID_REQ);
	learn_xids_record(xids, d.xid, (const uint8_t[4]){ 0 }, 0)->duid_hash = d.duid_hash;
}

static void test_dad_and_first_packet(void **state)
{
	struct learn_xids xids;
	struct learn6_port p = port_new(LEARN_MODE_ANY, &xids);
	struct learn6_decision d;
	uint8_t b[FX6_MAX];

	(void)state;
	expect_one(&p, LEARN_DIR_FROM_VM, fx[FX6_DAD_NS].bytes, fx[FX6_DAD_NS].len,
		   LEARN_VERDICT_LEARN, LEARN_SOURCE_DAD, fx6_vm_ll, &d);
	expect_one(&p, LEARN_DIR_FROM_VM, fx[FX6_UNSOL_NA].bytes, fx[FX6_UNSOL_NA].len,
		   LEARN_VERDICT_LEARN, LEARN_SOURCE_IPV6, fx6_vm_ll, &d);
	/* an address the port has whose gate entry lapsed: put back, not learned twice */
	p.addrs = one(addr_list, fx6_vm_ll);
	p.n_addrs = 1;
	expect_one(&p, LEARN_DIR_FROM_VM, fx[FX6_RS].bytes, fx[FX6_RS].len, LEARN_VERDICT_RENEW,
		   LEARN_SOURCE_IPV6, fx6_vm_ll, &d);
	/* MLD before any address is from ::, and teaches nothing */
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx[FX6_MLD_REPORT].bytes, fx[FX6_MLD_REPORT].len,
		      LEARN_DROP_UNSPECIFIED_SOURCE);
	/* another MAC claiming the VM's address (the control above used the VM's) */
	memcpy(b, fx[FX6_DAD_NS].bytes, fx[FX6_DAD_NS].len);
	b[11] ^= 1;
	expect_ignore(&p, LEARN_DIR_FROM_VM, b, fx[FX6_DAD_NS].len, LEARN_DROP_SPOOFED_MAC);
	/* nothing is learned from frames towards the VM but a DHCPv6 REPLY */
	expect_ignore(&p, LEARN_DIR_TO_VM, fx[FX6_RA].bytes, fx[FX6_RA].len,
		      LEARN_DROP_WRONG_DIRECTION);
}

static void test_dhcp_mode(void **state)
{
	struct learn_xids xids;
	struct learn6_port p = port_new(LEARN_MODE_DHCP, &xids);
	struct learn6_decision d;
	uint8_t b[FX6_MAX];

	(void)state;
	/* link-local still teaches: DHCPv6 needs it and never hands it out */
	expect_one(&p, LEARN_DIR_FROM_VM, fx[FX6_DAD_NS].bytes, fx[FX6_DAD_NS].len,
		   LEARN_VERDICT_LEARN, LEARN_SOURCE_DAD, fx6_vm_ll, &d);
	/* a global address the VM chose itself does not (the DAD target, byte 62 on) */
	memcpy(b, fx[FX6_DAD_NS].bytes, fx[FX6_DAD_NS].len);
	memcpy(b + 14 + 40 + 8, fx6_lease, 16);
	{
		struct learn_frame f;

		/* its checksum no longer holds: the policy never asks (offload-partial taps) */
		assert_int_equal(learn_eth_parse(b, fx[FX6_DAD_NS].len, &f), 0);
		assert_int_equal(learn6_decide(&p, LEARN_DIR_FROM_VM, &f, &d),
				 LEARN_VERDICT_IGNORE);
		assert_int_equal(d.reason, LEARN_DROP_MODE_DHCP);
	}
}

static void test_dhcpv6_exchange(void **state)
{
	struct learn_xids xids;
	struct learn6_port p = port_new(LEARN_MODE_DHCP, &xids);
	struct learn6_decision d;

	(void)state;
	assert_int_equal(
		decide(&p, LEARN_DIR_FROM_VM, fx[FX6_SOLICIT].bytes, fx[FX6_SOLICIT].len, &d),
		LEARN_VERDICT_RECORD_XID);
	assert_int_equal(d.xid, FX6_XID_SOL);
	expect_ignore(&p, LEARN_DIR_TO_VM, fx[FX6_ADVERTISE].bytes, fx[FX6_ADVERTISE].len,
		      LEARN_DROP_DHCPV6_ADVERTISE);
	/* a REPLY to an exchange the VM never started */
	expect_ignore(&p, LEARN_DIR_TO_VM, fx[FX6_REPLY].bytes, fx[FX6_REPLY].len,
		      LEARN_DROP_DHCP_XID);
	record_request(&p, &xids);
	expect_one(&p, LEARN_DIR_TO_VM, fx[FX6_REPLY].bytes, fx[FX6_REPLY].len, LEARN_VERDICT_LEARN,
		   LEARN_SOURCE_DHCPV6, fx6_lease, &d);
	assert_true(d.items[0].has_lease);
	assert_int_equal(d.items[0].valid_s, 7200);
	/* held already: a renewal */
	p.addrs = one(addr_list, fx6_lease);
	p.n_addrs = 1;
	expect_one(&p, LEARN_DIR_TO_VM, fx[FX6_REPLY].bytes, fx[FX6_REPLY].len, LEARN_VERDICT_RENEW,
		   LEARN_SOURCE_DHCPV6, fx6_lease, &d);
	/* a REPLY is no message a VM sends */
	expect_ignore(&p, LEARN_DIR_FROM_VM, fx[FX6_REPLY].bytes, fx[FX6_REPLY].len,
		      LEARN_DROP_SPOOFED_MAC);
}

static void test_reply_attacks(void **state)
{
	struct learn_xids xids;
	struct learn6_port p = port_new(LEARN_MODE_ANY, &xids);
	static const uint8_t other_server[16] = { 0xfe, 0x80, [15] = 9 };
	struct learn6_decision d;
	uint8_t b[FX6_MAX];
	size_t duid_at;

	(void)state;
	record_request(&p, &xids);
	/* for another client: the same xid, another DUID (its last byte changed) */
	memcpy(b, fx[FX6_REPLY].bytes, fx[FX6_REPLY].len);
	for (duid_at = 14 + 40 + 8; duid_at < fx[FX6_REPLY].len; duid_at++)
		if (memcmp(b + duid_at, fx6_vm_duid, sizeof(fx6_vm_duid)) == 0)
			break;
	assert_true(duid_at < fx[FX6_REPLY].len);
	b[duid_at + sizeof(fx6_vm_duid) - 1] ^= 0x55;
	expect_ignore(&p, LEARN_DIR_TO_VM, b, fx[FX6_REPLY].len, LEARN_DROP_DHCPV6_CLIENT_ID);
	/* DHCPSERVERV6 names another server: the REPLY's source is not trusted */
	p.servers = &other_server;
	p.n_servers = 1;
	expect_ignore(&p, LEARN_DIR_TO_VM, fx[FX6_REPLY].bytes, fx[FX6_REPLY].len,
		      LEARN_DROP_DHCP_UNTRUSTED);
	/* control: the server it names is trusted */
	p.servers = one(server_list, fx6_router_ll);
	expect_one(&p, LEARN_DIR_TO_VM, fx[FX6_REPLY].bytes, fx[FX6_REPLY].len, LEARN_VERDICT_LEARN,
		   LEARN_SOURCE_DHCPV6, fx6_lease, &d);
}

static void test_never_learned(void **state)
{
	static const uint8_t loopback[16] = { [15] = 1 }, mcast[16] = { 0xff, 0x02, [15] = 1 },
			     mapped[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 },
			     discard[16] = { 0x01, 0x00, [15] = 7 }, zero[16] = { 0 };

	(void)state;
	assert_int_equal(learn6_addr_check(zero), LEARN_DROP_ADDR_ZERO);
	assert_int_equal(learn6_addr_check(loopback), LEARN_DROP_ADDR_LOOPBACK);
	assert_int_equal(learn6_addr_check(mcast), LEARN_DROP_ADDR_MULTICAST);
	assert_int_equal(learn6_addr_check(mapped), LEARN_DROP_ADDR6_RESERVED);
	assert_int_equal(learn6_addr_check(discard), LEARN_DROP_ADDR6_RESERVED);
	assert_int_equal(learn6_addr_check(fx6_lease), LEARN_DROP_NONE);
	assert_int_equal(learn6_addr_check(fx6_vm_ll), LEARN_DROP_NONE);
	assert_true(learn6_is_link_local(fx6_vm_ll));
	assert_false(learn6_is_link_local(fx6_lease));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dad_and_first_packet), cmocka_unit_test(test_dhcp_mode),
		cmocka_unit_test(test_dhcpv6_exchange),      cmocka_unit_test(test_reply_attacks),
		cmocka_unit_test(test_never_learned),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
