/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The IPv6 parsers: the bytes go to learn_ipv6_parse() as a packet, and its
 * upper layer to learn_icmpv6_parse() (both with and without checksum
 * verification) or learn_udp6_parse() and learn_dhcpv6_parse(); the bytes
 * also go straight to the ICMPv6 and DHCPv6 parsers. Besides "never crash":
 * a rejection names an IPv6 drop reason and leaves the output untouched; an
 * accepted result stays within its caps and its offsets within the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "learn/frame.h"
#include "learn/frame6.h"
#include "learn/policy6.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_drop(int r, const void *out, const void *before, size_t n)
{
	if (r > 0 || (r < 0 && -r >= _LEARN6_DROP_MAX))
		abort();
	if (r < 0 && memcmp(out, before, n) != 0)
		abort();
	(void)learn6_drop_name((enum learn6_drop) - r);
}

static void icmpv6(const uint8_t src[16], const uint8_t dst[16], const uint8_t *buf, size_t len)
{
	struct learn_icmpv6 m, before;

	memset(&before, 0xa5, sizeof(before));
	for (int verify = 0; verify < 2; verify++) {
		int r;

		m = before;
		r = learn_icmpv6_parse(src, dst, buf, len, verify, &m);
		check_drop(r, &m, &before, sizeof(m));
		if (r == 0 && (m.n_prefixes > LEARN6_PREFIX_MAX || (verify && !m.is_csum_ok) ||
			       (m.is_dad && m.has_lladdr)))
			abort();
		if (r == 0)
			(void)learn_icmpv6_type_name(m.type);
	}
}

static void dhcpv6(const uint8_t *buf, size_t len)
{
	struct learn_dhcpv6 d, before;
	int r;

	memset(&before, 0x5a, sizeof(before));
	d = before;
	r = learn_dhcpv6_parse(buf, len, &d);
	check_drop(r, &d, &before, sizeof(d));
	if (r < 0)
		return;
	if (d.n_ias > LEARN6_IA_MAX || d.client_id_len > LEARN6_DUID_MAX ||
	    d.server_id_len > LEARN6_DUID_MAX || d.xid > 0xffffff ||
	    d.msg_type == LEARN_DHCPV6_RELAY_FORW || d.msg_type == LEARN_DHCPV6_RELAY_REPL)
		abort();
	for (unsigned i = 0; i < d.n_ias; i++)
		if (d.ias[i].n_addrs > LEARN6_IAADDR_MAX)
			abort();
	(void)learn_dhcpv6_msg_name(d.msg_type);
}

/* The layers together, and the policy on them from both sides of a port that has seen exchanges. */
static void frame_and_policy(const uint8_t *data, size_t size)
{
	static const uint8_t vm_mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	static const uint8_t owned[1][16] = { { 0xfe, 0x80, [15] = 1 } };
	struct learn_xids xids = { 0 };
	struct learn_frame f;
	struct learn6_decision d;

	memset(&f, 0, sizeof(f));
	if (learn_frame6_parse(data, size, &f.v6) < 0)
		return;
	f.l3 = LEARN_L3_IPV6;
	f.has_src_mac = true;
	memcpy(f.src_mac, vm_mac, 6);
	/* the exchange ids a fuzzed REPLY most likely carries */
	for (uint32_t xid = 0; xid < LEARN_XIDS_MAX; xid++)
		learn_xids_record(&xids, xid, (const uint8_t[4]){ 0 }, 0)->duid_hash =
			learn6_duid_hash(f.v6.dhcp.client_id, f.v6.dhcp.client_id_len);
	for (int mode = 0; mode < 2; mode++)
		for (int dir = 0; dir < 2; dir++) {
			struct learn6_port port = { .mode = (enum learn_mode)mode,
						    .xids = &xids,
						    .addrs = owned,
						    .n_addrs = 1 };

			memcpy(port.vm_mac, vm_mac, 6);
			if (learn6_decide(&port, (enum learn_dir)dir, &f, &d) != (int)d.verdict ||
			    d.verdict >= _LEARN_VERDICT_MAX || d.reason >= _LEARN_DROP_MAX ||
			    d.n_items > LEARN6_ITEMS_MAX)
				abort();
			for (size_t i = 0; i < d.n_items; i++)
				if (d.items[i].verdict != LEARN_VERDICT_REMOVE &&
				    learn6_addr_check(d.items[i].addr) != LEARN_DROP_NONE)
					abort();
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t zero[16];
	struct learn_ipv6 ip, before;
	int r;

	memset(&before, 0xa5, sizeof(before));
	ip = before;
	r = learn_ipv6_parse(data, size, &ip);
	check_drop(r, &ip, &before, sizeof(ip));
	if (r == 0) {
		(void)learn6_walk_name(ip.walk);
		if (ip.n_ext > LEARN6_EXT_MAX || ip.walk >= _LEARN6_WALK_MAX)
			abort();
		if (ip.walk == LEARN6_WALK_UPPER) {
			const uint8_t *l4 = data + ip.l4_off;
			struct learn_udp6 u;

			if (ip.l4_off < 40 || ip.l4_off > size || ip.l4_len > size - ip.l4_off)
				abort();
			if (ip.proto == LEARN6_PROTO_ICMPV6)
				icmpv6(ip.src, ip.dst, l4, ip.l4_len);
			if (ip.proto == LEARN6_PROTO_UDP &&
			    learn_udp6_parse(l4, ip.l4_len, &u) == 0) {
				if (u.payload_off + u.payload_len != ip.l4_len)
					abort();
				dhcpv6(l4 + u.payload_off, u.payload_len);
			}
		}
	}
	icmpv6(zero, zero, data, size);
	dhcpv6(data, size);
	frame_and_policy(data, size);
	return 0;
}
