/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The IPv6 parsers on real bytes (tests/lib/learn-frames6.c): each field of
 * each frame, every truncation of each frame in a buffer of exactly that
 * size (so ASan sees any read past the end), then each malformation with
 * the reason the parser must give and the output left untouched.
 * `test-learn-parse6 --write-corpus DIR` writes the frames' IPv6 packets as
 * the fuzz corpus.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn-frames6.h"
#include "learn/frame6.h"

static struct fx6_frame fx[_FX6_MAX];

static const uint8_t unspec[16];

static int setup(void **state)
{
	fx6_build_all(fx);
	return 0;
}

static const uint8_t *ip6(int i)
{
	return fx[i].bytes + FX6_OFF_IP;
}

static size_t ip6_len(int i)
{
	return fx[i].len - FX6_OFF_IP;
}

static void ipv6_ok(const uint8_t *buf, size_t len, struct learn_ipv6 *ip)
{
	assert_int_equal(learn_ipv6_parse(buf, len, ip), 0);
}

static void icmp_ok(int i, struct learn_ipv6 *ip, struct learn_icmpv6 *m)
{
	ipv6_ok(ip6(i), ip6_len(i), ip);
	assert_int_equal(ip->walk, LEARN6_WALK_UPPER);
	assert_int_equal(ip->proto, LEARN6_PROTO_ICMPV6);
	assert_int_equal(
		learn_icmpv6_parse(ip->src, ip->dst, ip6(i) + ip->l4_off, ip->l4_len, true, m), 0);
	assert_true(m->is_csum_ok);
}

static void dhcp_ok(int i, struct learn_udp6 *u, struct learn_dhcpv6 *d)
{
	struct learn_ipv6 ip;
	const uint8_t *l4;

	ipv6_ok(ip6(i), ip6_len(i), &ip);
	assert_int_equal(ip.proto, LEARN6_PROTO_UDP);
	l4 = ip6(i) + ip.l4_off;
	assert_int_equal(learn_udp6_parse(l4, ip.l4_len, u), 0);
	assert_int_equal(learn_dhcpv6_parse(l4 + u->payload_off, u->payload_len, d), 0);
}

static void test_mld_behind_hop_by_hop(void **state)
{
	struct learn_ipv6 ip;
	struct learn_icmpv6 m;

	ipv6_ok(ip6(FX6_MLD_REPORT), ip6_len(FX6_MLD_REPORT), &ip);
	assert_int_equal(ip.n_ext, 1);
	assert_int_equal(ip.walk, LEARN6_WALK_UPPER);
	assert_int_equal(ip.proto, 58);
	assert_int_equal(ip.l4_off, 48);
	assert_int_equal(ip.l4_len, 28);
	assert_int_equal(ip.hop_limit, 1);
	assert_memory_equal(ip.src, unspec, 16);
	assert_int_equal(learn_icmpv6_parse(ip.src, ip.dst, ip6(FX6_MLD_REPORT) + ip.l4_off,
					    ip.l4_len, true, &m),
			 0);
	assert_int_equal(m.type, 143);
	assert_false(m.is_nd);
	assert_string_equal(learn_icmpv6_type_name(m.type), "other");
}

static void test_dad_ns(void **state)
{
	struct learn_ipv6 ip;
	struct learn_icmpv6 m;

	icmp_ok(FX6_DAD_NS, &ip, &m);
	assert_int_equal(ip.n_ext, 0);
	assert_int_equal(ip.hop_limit, 255);
	assert_int_equal(ip.payload_len, 32);
	assert_int_equal(ip.dst[0], 0xff);
	assert_int_equal(m.type, LEARN_ICMPV6_NS);
	assert_true(m.is_nd);
	assert_true(m.is_dad);
	assert_memory_equal(m.target, fx6_vm_ll, 16);
	assert_false(m.has_lladdr); /* the nonce option is skipped */
	assert_string_equal(learn_icmpv6_type_name(m.type), "neighbor-solicitation");
}

static void test_na_rs(void **state)
{
	struct learn_ipv6 ip;
	struct learn_icmpv6 m;

	icmp_ok(FX6_UNSOL_NA, &ip, &m);
	assert_memory_equal(ip.src, fx6_vm_ll, 16);
	assert_int_equal(m.type, LEARN_ICMPV6_NA);
	assert_false(m.is_router);
	assert_false(m.is_solicited);
	assert_true(m.is_override);
	assert_false(m.is_dad);
	assert_memory_equal(m.target, fx6_vm_ll, 16);
	assert_true(m.has_lladdr);
	assert_memory_equal(m.lladdr, fx6_vm_mac, 6);

	icmp_ok(FX6_RS, &ip, &m);
	assert_int_equal(m.type, LEARN_ICMPV6_RS);
	assert_true(m.has_lladdr);
	assert_memory_equal(m.lladdr, fx6_vm_mac, 6);
}

static void test_ra(void **state)
{
	struct learn_ipv6 ip;
	struct learn_icmpv6 m;

	icmp_ok(FX6_RA, &ip, &m);
	assert_memory_equal(ip.src, fx6_router_ll, 16);
	assert_int_equal(m.type, LEARN_ICMPV6_RA);
	assert_int_equal(m.cur_hop_limit, 64);
	assert_false(m.is_managed);
	assert_true(m.is_other);
	assert_int_equal(m.router_lifetime_s, 1800);
	assert_int_equal(m.reachable_ms, 0);
	assert_int_equal(m.retrans_ms, 0);
	assert_int_equal(m.n_prefixes, 1);
	assert_false(m.has_more_prefixes);
	assert_memory_equal(m.prefixes[0].prefix, fx6_prefix, 16);
	assert_int_equal(m.prefixes[0].len, 64);
	assert_true(m.prefixes[0].is_onlink);
	assert_true(m.prefixes[0].is_autonomous);
	assert_int_equal(m.prefixes[0].valid_s, 86400);
	assert_int_equal(m.prefixes[0].preferred_s, 14400);
	assert_true(m.has_lladdr);
	assert_memory_equal(m.lladdr, fx6_router_mac, 6);
}

static void check_ia(const struct learn_dhcpv6 *d, uint32_t t1, uint32_t t2, unsigned n_addrs,
		     uint32_t pref, uint32_t valid)
{
	assert_int_equal(d->n_ias, 1);
	assert_int_equal(d->ias[0].type, LEARN_DHCPV6_OPT_IA_NA);
	assert_int_equal(d->ias[0].iaid, 1);
	assert_int_equal(d->ias[0].t1, t1);
	assert_int_equal(d->ias[0].t2, t2);
	assert_int_equal(d->ias[0].n_addrs, n_addrs);
	if (n_addrs) {
		assert_memory_equal(d->ias[0].addrs[0].addr, fx6_lease, 16);
		assert_int_equal(d->ias[0].addrs[0].preferred_s, pref);
		assert_int_equal(d->ias[0].addrs[0].valid_s, valid);
		assert_false(d->ias[0].addrs[0].has_status);
	}
}

static void test_dhcpv6_exchange(void **state)
{
	struct learn_udp6 u;
	struct learn_dhcpv6 d;

	dhcp_ok(FX6_SOLICIT, &u, &d);
	assert_int_equal(u.sport, 546);
	assert_int_equal(u.dport, 547);
	assert_int_equal(d.msg_type, LEARN_DHCPV6_SOLICIT);
	assert_string_equal(learn_dhcpv6_msg_name(d.msg_type), "solicit");
	assert_int_equal(d.xid, FX6_XID_SOL);
	assert_int_equal(d.client_id_len, sizeof(fx6_vm_duid));
	assert_memory_equal(d.client_id, fx6_vm_duid, sizeof(fx6_vm_duid));
	assert_int_equal(d.server_id_len, 0);
	assert_false(d.has_rapid_commit);
	check_ia(&d, 0, 0, 0, 0, 0);
	assert_false(d.ias[0].has_status);

	dhcp_ok(FX6_ADVERTISE, &u, &d);
	assert_int_equal(u.sport, 547);
	assert_int_equal(d.msg_type, LEARN_DHCPV6_ADVERTISE);
	assert_string_equal(learn_dhcpv6_msg_name(d.msg_type), "advertise");
	assert_int_equal(d.xid, FX6_XID_SOL);
	assert_int_equal(d.server_id_len, sizeof(fx6_server_duid));
	assert_memory_equal(d.server_id, fx6_server_duid, sizeof(fx6_server_duid));
	check_ia(&d, 1800, 2880, 1, 3600, 3600);
	assert_true(d.ias[0].has_status);
	assert_int_equal(d.ias[0].status, 0);
	assert_false(d.has_status);

	dhcp_ok(FX6_REQUEST, &u, &d);
	assert_int_equal(d.msg_type, LEARN_DHCPV6_REQUEST);
	assert_int_equal(d.xid, FX6_XID_REQ);
	assert_int_equal(d.client_id_len, sizeof(fx6_vm_duid));
	assert_int_equal(d.server_id_len, sizeof(fx6_server_duid));
	check_ia(&d, 0, 0, 1, 0, 0);

	dhcp_ok(FX6_REPLY, &u, &d);
	assert_int_equal(d.msg_type, LEARN_DHCPV6_REPLY);
	assert_string_equal(learn_dhcpv6_msg_name(d.msg_type), "reply");
	assert_int_equal(d.xid, FX6_XID_REQ);
	assert_memory_equal(d.client_id, fx6_vm_duid, sizeof(fx6_vm_duid));
	assert_memory_equal(d.server_id, fx6_server_duid, sizeof(fx6_server_duid));
	check_ia(&d, 1800, 2880, 1, 3600, 7200);
	assert_true(d.has_status);
	assert_int_equal(d.status, 0);
}

/*
 * Every prefix of every frame, in a heap buffer of exactly that size: the
 * IPv6 parser must call a short header or a payload length past the end
 * TRUNCATED; the upper-layer parsers, fed every prefix of their bytes, must
 * fail or succeed without reading past the end (ASan watches).
 */
static void test_truncations(void **state)
{
	for (int i = 0; i < _FX6_MAX; i++) {
		struct learn_ipv6 full;
		size_t len = ip6_len(i);

		ipv6_ok(ip6(i), len, &full);
		for (size_t n = 0; n < len; n++) {
			uint8_t *b = malloc(n ? n : 1);
			struct learn_ipv6 ip;

			assert_non_null(b);
			memcpy(b, ip6(i), n);
			assert_int_equal(learn_ipv6_parse(b, n, &ip), -LEARN6_DROP_TRUNCATED);
			free(b);
		}
		for (size_t n = 0; n <= full.l4_len; n++) {
			uint8_t *b = malloc(n ? n : 1);
			struct learn_icmpv6 m;
			struct learn_udp6 u;
			struct learn_dhcpv6 d;
			int r;

			assert_non_null(b);
			memcpy(b, ip6(i) + full.l4_off, n);
			r = learn_icmpv6_parse(full.src, full.dst, b, n, false, &m);
			assert_true(r <= 0 && r > -_LEARN6_DROP_MAX);
			r = learn_udp6_parse(b, n, &u);
			if (full.proto == LEARN6_PROTO_UDP)
				assert_int_equal(r, n == full.l4_len ? 0
						    : n < 8          ? -LEARN6_DROP_TRUNCATED
								     : -LEARN6_DROP_BAD_UDP);
			if (full.proto == LEARN6_PROTO_UDP && n >= 8) {
				r = learn_dhcpv6_parse(b + 8, n - 8, &d);
				assert_true(r <= 0 && r > -_LEARN6_DROP_MAX);
				if (n - 8 < 4)
					assert_int_equal(r, -LEARN6_DROP_TRUNCATED);
			}
			free(b);
		}
	}
}

/* A copy of frame i's IPv6 packet to edit. */
static size_t copy(int i, uint8_t *out)
{
	memcpy(out, ip6(i), ip6_len(i));
	return ip6_len(i);
}

static void expect_ipv6_drop(const uint8_t *b, size_t len, enum learn6_drop reason)
{
	struct learn_ipv6 ip, before;

	memset(&ip, 0xa5, sizeof(ip));
	before = ip;
	assert_int_equal(learn_ipv6_parse(b, len, &ip), -(int)reason);
	assert_memory_equal(&ip, &before, sizeof(ip));
}

static void expect_icmp_drop(const uint8_t *b, size_t len, bool verify, enum learn6_drop reason)
{
	struct learn_icmpv6 m, before;
	struct learn_ipv6 ip;

	ipv6_ok(b, len, &ip);
	memset(&m, 0xa5, sizeof(m));
	before = m;
	assert_int_equal(learn_icmpv6_parse(ip.src, ip.dst, b + ip.l4_off, ip.l4_len, verify, &m),
			 -(int)reason);
	assert_memory_equal(&m, &before, sizeof(m));
}

static void expect_dhcp_drop(const uint8_t *msg, size_t len, enum learn6_drop reason)
{
	struct learn_dhcpv6 d, before;

	memset(&d, 0xa5, sizeof(d));
	before = d;
	assert_int_equal(learn_dhcpv6_parse(msg, len, &d), -(int)reason);
	assert_memory_equal(&d, &before, sizeof(d));
}

static void test_ipv6_rejects(void **state)
{
	uint8_t b[FX6_MAX + 128];
	struct learn_ipv6 ip;
	size_t len;

	/* version 4 */
	len = copy(FX6_DAD_NS, b);
	b[0] = 0x40;
	expect_ipv6_drop(b, len, LEARN6_DROP_BAD_IPV6);
	/* payload length lies: one byte more than present */
	len = copy(FX6_DAD_NS, b);
	b[5]++;
	expect_ipv6_drop(b, len, LEARN6_DROP_TRUNCATED);
	/* payload length lies short: the upper layer is cut, the checksum no longer holds */
	len = copy(FX6_DAD_NS, b);
	b[5] -= 8;
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_CHECKSUM);
	ipv6_ok(b, len, &ip);
	assert_int_equal(ip.l4_len, 24);
	/* trailing Ethernet padding is not payload */
	len = copy(FX6_RS, b);
	memset(b + len, 0, 8);
	ipv6_ok(b, len + 8, &ip);
	assert_int_equal(ip.l4_len, 16);
	/* hop-by-hop after another extension header */
	len = copy(FX6_MLD_REPORT, b);
	memmove(b + 48, b + 40, len - 40);
	b[6] = LEARN6_PROTO_DSTOPTS;
	memcpy(b + 40, (const uint8_t[]){ 0, 0, 1, 4, 0, 0, 0, 0 }, 8);
	b[5] += 8;
	expect_ipv6_drop(b, len + 8, LEARN6_DROP_BAD_EXT);
	/* hop-by-hop claiming more than the payload */
	len = copy(FX6_MLD_REPORT, b);
	b[41] = 200;
	expect_ipv6_drop(b, len, LEARN6_DROP_BAD_EXT);
}

/* n destination options headers of 8 bytes in front of the RS. */
static size_t chain(uint8_t *b, unsigned n)
{
	size_t len = copy(FX6_RS, b), l4 = len - 40;

	memmove(b + 40 + 8 * n, b + 40, l4);
	for (unsigned k = 0; k < n; k++)
		memcpy(b + 40 + 8 * k,
		       (const uint8_t[]){ k + 1 < n ? LEARN6_PROTO_DSTOPTS : 58, 0, 1, 4, 0, 0, 0,
					  0 },
		       8);
	b[6] = LEARN6_PROTO_DSTOPTS;
	b[4] = (uint8_t)((l4 + 8 * n) >> 8);
	b[5] = (uint8_t)(l4 + 8 * n);
	return 40 + 8 * n + l4;
}

static void test_ipv6_ext_walk(void **state)
{
	uint8_t b[FX6_MAX + 128];
	struct learn_ipv6 ip;
	struct learn_icmpv6 m;
	size_t len;

	len = chain(b, LEARN6_EXT_MAX);
	ipv6_ok(b, len, &ip);
	assert_int_equal(ip.n_ext, LEARN6_EXT_MAX);
	assert_int_equal(ip.walk, LEARN6_WALK_UPPER);
	assert_int_equal(ip.l4_off, 40 + 8 * LEARN6_EXT_MAX);
	assert_int_equal(learn_icmpv6_parse(ip.src, ip.dst, b + ip.l4_off, ip.l4_len, true, &m), 0);
	assert_int_equal(m.type, LEARN_ICMPV6_RS);

	len = chain(b, LEARN6_EXT_MAX + 1);
	expect_ipv6_drop(b, len, LEARN6_DROP_TOO_MANY_EXT);

	/* a non-first fragment stops the walk */
	len = chain(b, 1);
	b[6] = LEARN6_PROTO_FRAGMENT;
	memcpy(b + 40, (const uint8_t[]){ 58, 0, 0x00, 0x08, 0, 0, 0, 42 }, 8);
	ipv6_ok(b, len, &ip);
	assert_int_equal(ip.walk, LEARN6_WALK_FRAGMENT);
	assert_true(ip.is_fragment);
	assert_int_equal(ip.l4_off, 0);
	assert_string_equal(learn6_walk_name(ip.walk), "fragment");
	/* a first fragment with more to come reaches the upper layer, flagged incomplete */
	b[42] = 0;
	b[43] = 1;
	ipv6_ok(b, len, &ip);
	assert_int_equal(ip.walk, LEARN6_WALK_UPPER);
	assert_true(ip.is_fragment);
	assert_true(ip.is_incomplete);
	assert_int_equal(ip.proto, 58);
	/* AH: not walked */
	b[6] = 51;
	ipv6_ok(b, len, &ip);
	assert_int_equal(ip.walk, LEARN6_WALK_UNKNOWN);
	assert_int_equal(ip.proto, 51);
	/* no next header */
	b[6] = LEARN6_PROTO_NONE;
	ipv6_ok(b, len, &ip);
	assert_int_equal(ip.walk, LEARN6_WALK_NO_NEXT);
	/* a routing header */
	len = chain(b, 1);
	b[6] = LEARN6_PROTO_ROUTING;
	ipv6_ok(b, len, &ip);
	assert_int_equal(ip.walk, LEARN6_WALK_UPPER);
	assert_int_equal(ip.n_ext, 1);
	/* a fragment header cut short */
	b[6] = LEARN6_PROTO_FRAGMENT;
	b[4] = 0;
	b[5] = 6;
	expect_ipv6_drop(b, 46, LEARN6_DROP_BAD_EXT);
}

/* Recomputes the ICMPv6 checksum of an edited packet without extension headers. */
static void fix_csum(uint8_t *b, size_t len)
{
	uint8_t out[FX6_MAX + 128];

	fx6_wrap(out, fx6_vm_mac, fx6_vm_mac, b + 8, b + 24, b[7], 58, b + 40, len - 40, 0, 2, 58);
	memcpy(b, out + FX6_OFF_IP, len);
}

static void test_icmpv6_rejects(void **state)
{
	uint8_t b[FX6_MAX + 600];
	struct learn_ipv6 ip;
	struct learn_icmpv6 m;
	size_t len;

	/* bad checksum: rejected when verifying, reported otherwise */
	len = copy(FX6_RA, b);
	b[42] ^= 1;
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_CHECKSUM);
	ipv6_ok(b, len, &ip);
	assert_int_equal(learn_icmpv6_parse(ip.src, ip.dst, b + 40, ip.l4_len, false, &m), 0);
	assert_false(m.is_csum_ok);
	assert_int_equal(m.n_prefixes, 1);
	/* zero-length option */
	len = copy(FX6_RA, b);
	b[40 + 16 + 1] = 0;
	fix_csum(b, len);
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_ND_OPTION);
	/* an option running past the end */
	len = copy(FX6_RS, b);
	b[40 + 9] = 2;
	fix_csum(b, len);
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_ND_OPTION);
	/* prefix information of the wrong size, and a prefix length over 128 */
	len = copy(FX6_RA, b);
	b[40 + 17] = 3;
	fix_csum(b, len);
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_ND_OPTION);
	len = copy(FX6_RA, b);
	b[40 + 18] = 129;
	fix_csum(b, len);
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_ND_OPTION);
	/* two source link-layer options */
	len = copy(FX6_RS, b);
	memcpy(b + len, b + 48, 8);
	b[5] += 8;
	len += 8;
	fix_csum(b, len);
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_ND_OPTION);
	/* DAD with a source link-layer option (RFC 4861 7.1.1) */
	len = copy(FX6_DAD_NS, b);
	b[64] = 1;
	fix_csum(b, len);
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_ND_OPTION);
	/* code not 0; NS too short for its target */
	len = copy(FX6_DAD_NS, b);
	b[41] = 1;
	fix_csum(b, len);
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_ICMPV6);
	len = copy(FX6_DAD_NS, b);
	b[5] = 20;
	len = 60;
	fix_csum(b, len);
	expect_icmp_drop(b, len, true, LEARN6_DROP_BAD_ICMPV6);
	/* too many options: nonces up to one past the cap */
	len = copy(FX6_DAD_NS, b);
	for (unsigned k = 1; k <= LEARN6_ND_OPTIONS_MAX; k++)
		memcpy(b + len + 8 * (k - 1), b + 64, 8);
	len += 8 * LEARN6_ND_OPTIONS_MAX;
	b[4] = (uint8_t)((len - 40) >> 8);
	b[5] = (uint8_t)(len - 40);
	fix_csum(b, len);
	expect_icmp_drop(b, len, true, LEARN6_DROP_TOO_MANY_OPTIONS);
	len -= 8;
	b[4] = (uint8_t)((len - 40) >> 8);
	b[5] = (uint8_t)(len - 40);
	fix_csum(b, len);
	ipv6_ok(b, len, &ip);
	assert_int_equal(learn_icmpv6_parse(ip.src, ip.dst, b + 40, ip.l4_len, true, &m), 0);
	assert_true(m.is_dad);
}

/* The DHCPv6 message of frame i. */
static size_t dhcp_msg(int i, uint8_t *out)
{
	size_t len = ip6_len(i) - 48;

	memcpy(out, ip6(i) + 48, len);
	return len;
}

static void test_dhcpv6_rejects(void **state)
{
	uint8_t m[FX6_MAX + 64];
	struct learn_dhcpv6 d;
	size_t len, ia;

	/* relay messages */
	len = dhcp_msg(FX6_SOLICIT, m);
	m[0] = LEARN_DHCPV6_RELAY_FORW;
	expect_dhcp_drop(m, len, LEARN6_DROP_DHCPV6_RELAY);
	m[0] = LEARN_DHCPV6_RELAY_REPL;
	expect_dhcp_drop(m, len, LEARN6_DROP_DHCPV6_RELAY);
	m[0] = 0;
	expect_dhcp_drop(m, len, LEARN6_DROP_BAD_DHCPV6);
	m[0] = 14;
	expect_dhcp_drop(m, len, LEARN6_DROP_BAD_DHCPV6);
	/* the client id running past the end */
	len = dhcp_msg(FX6_SOLICIT, m);
	m[7] = 200;
	expect_dhcp_drop(m, len, LEARN6_DROP_BAD_DHCPV6_OPTION);
	/* the client id twice */
	len = dhcp_msg(FX6_SOLICIT, m);
	memcpy(m + len, m + 4, 14);
	expect_dhcp_drop(m, len + 14, LEARN6_DROP_BAD_DHCPV6_OPTION);
	/* a DUID over 130 bytes; 130 is fine */
	len = dhcp_msg(FX6_SOLICIT, m);
	memcpy(m + len, (const uint8_t[]){ 0, 2, 0, 130 }, 4);
	memset(m + len + 4, 7, 131);
	assert_int_equal(learn_dhcpv6_parse(m + 0, len, &d), 0);
	m[len + 3] = 131;
	expect_dhcp_drop(m, len + 4 + 131, LEARN6_DROP_BAD_DHCPV6_OPTION);
	m[len + 3] = 130;
	assert_int_equal(learn_dhcpv6_parse(m, len + 4 + 130, &d), 0);
	assert_int_equal(d.server_id_len, 130);
	/* rapid commit: empty only */
	len = dhcp_msg(FX6_SOLICIT, m);
	memcpy(m + len, (const uint8_t[]){ 0, 14, 0, 0 }, 4);
	assert_int_equal(learn_dhcpv6_parse(m, len + 4, &d), 0);
	assert_true(d.has_rapid_commit);
	memcpy(m + len, (const uint8_t[]){ 0, 14, 0, 1, 0 }, 5);
	expect_dhcp_drop(m, len + 5, LEARN6_DROP_BAD_DHCPV6_OPTION);
	/* IA nesting: the Reply's IA_NA (after server id 18 and client id 14) as an IAADDR at the
	 * top */
	len = dhcp_msg(FX6_REPLY, m);
	ia = 4 + 18 + 14;
	assert_int_equal(m[ia + 1], 3);
	m[ia + 1] = 5;
	expect_dhcp_drop(m, len, LEARN6_DROP_DHCPV6_NESTING);
	/* ... and its IAADDR as an IA_NA inside the IA_NA */
	len = dhcp_msg(FX6_REPLY, m);
	assert_int_equal(m[ia + 16 + 1], 5);
	m[ia + 16 + 1] = 3;
	expect_dhcp_drop(m, len, LEARN6_DROP_DHCPV6_NESTING);
	/* IAADDR shorter than its fixed part */
	len = dhcp_msg(FX6_SOLICIT, m);
	memcpy(m + len,
	       (const uint8_t[]){ 0, 3, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0 },
	       20);
	expect_dhcp_drop(m, len + 20, LEARN6_DROP_BAD_DHCPV6_OPTION);
	/* too many options */
	len = dhcp_msg(FX6_SOLICIT, m);
	len = 4;
	for (unsigned k = 0; k <= LEARN6_DHCP_OPTIONS_MAX; k++, len += 4)
		memcpy(m + len, (const uint8_t[]){ 0, 99, 0, 0 }, 4);
	expect_dhcp_drop(m, len, LEARN6_DROP_TOO_MANY_OPTIONS);
	assert_int_equal(learn_dhcpv6_parse(m, len - 4, &d), 0);
}

static void test_names(void **state)
{
	for (int i = 0; i < _LEARN6_DROP_MAX; i++)
		assert_string_not_equal(learn6_drop_name(i), "unknown");
	assert_string_equal(learn6_drop_name(_LEARN6_DROP_MAX), "unknown");
	assert_string_equal(learn6_drop_name(LEARN6_DROP_TOO_MANY_EXT), "too-many-ext-headers");
	for (int i = 0; i < _LEARN6_WALK_MAX; i++)
		assert_string_not_equal(learn6_walk_name(i), "unknown");
	for (int i = 0; i < _LEARN_DHCPV6_MSG_MAX; i++)
		assert_string_not_equal(learn_dhcpv6_msg_name(i), "unknown");
	assert_string_equal(learn_dhcpv6_msg_name(LEARN_DHCPV6_REBIND), "rebind");
	assert_string_equal(learn_icmpv6_type_name(LEARN_ICMPV6_REDIRECT), "redirect");
}

static int write_corpus(const char *dir)
{
	fx6_build_all(fx);
	for (int i = 0; i < _FX6_MAX; i++) {
		char path[4096];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, fx[i].name);
		f = fopen(path, "wb");
		if (!f || fwrite(ip6(i), 1, ip6_len(i), f) != ip6_len(i) || fclose(f) != 0)
			return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mld_behind_hop_by_hop),
		cmocka_unit_test(test_dad_ns),
		cmocka_unit_test(test_na_rs),
		cmocka_unit_test(test_ra),
		cmocka_unit_test(test_dhcpv6_exchange),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_ipv6_rejects),
		cmocka_unit_test(test_ipv6_ext_walk),
		cmocka_unit_test(test_icmpv6_rejects),
		cmocka_unit_test(test_dhcpv6_rejects),
		cmocka_unit_test(test_names),
	};

	if (argc == 3 && strcmp(argv[1], "--write-corpus") == 0)
		return write_corpus(argv[2]);
	return cmocka_run_group_tests(tests, setup, NULL);
}
