/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv6 (RFC 8200) and UDP over it: the 40-byte header, then a bounded walk
 * of the extension headers to the upper layer. The payload length bounds
 * the walk, so Ethernet padding is never read as a header. The walk stops,
 * successfully, at anything it does not walk (a non-first fragment, AH, ESP,
 * an unknown header) and says why; it fails on a malformed header, on
 * hop-by-hop anywhere but first, and after LEARN6_EXT_MAX headers, since a
 * chain of empty options headers is a cheap way to hide the upper layer.
 * Also the names of the IPv6 drop reasons and walk results.
 */
#include "learn/frame6.h"

#include "util/cleanup.h"
#include "util/cursor.h"

#define FRAG_OFFSET 0xfff8
#define FRAG_MORE   0x0001

static const char *const drop_names[_LEARN6_DROP_MAX] = {
	[LEARN6_DROP_NONE] = "none",
	[LEARN6_DROP_TRUNCATED] = "truncated",
	[LEARN6_DROP_BAD_IPV6] = "bad-ipv6",
	[LEARN6_DROP_BAD_EXT] = "bad-ext-header",
	[LEARN6_DROP_TOO_MANY_EXT] = "too-many-ext-headers",
	[LEARN6_DROP_BAD_UDP] = "bad-udp",
	[LEARN6_DROP_BAD_ICMPV6] = "bad-icmpv6",
	[LEARN6_DROP_BAD_CHECKSUM] = "bad-checksum",
	[LEARN6_DROP_BAD_ND_OPTION] = "bad-nd-option",
	[LEARN6_DROP_TOO_MANY_OPTIONS] = "too-many-options",
	[LEARN6_DROP_BAD_DHCPV6] = "bad-dhcpv6",
	[LEARN6_DROP_DHCPV6_RELAY] = "dhcpv6-relay",
	[LEARN6_DROP_BAD_DHCPV6_OPTION] = "bad-dhcpv6-option",
	[LEARN6_DROP_DHCPV6_NESTING] = "dhcpv6-nesting",
};

static const char *const walk_names[_LEARN6_WALK_MAX] = {
	[LEARN6_WALK_UPPER] = "upper",
	[LEARN6_WALK_NO_NEXT] = "no-next-header",
	[LEARN6_WALK_FRAGMENT] = "fragment",
	[LEARN6_WALK_UNKNOWN] = "unknown-header",
};

const char *learn6_drop_name(enum learn6_drop reason)
{
	if ((unsigned)reason >= ARRAY_SIZE(drop_names) || !drop_names[reason])
		return "unknown";
	return drop_names[reason];
}

const char *learn6_walk_name(enum learn6_walk walk)
{
	if ((unsigned)walk >= ARRAY_SIZE(walk_names) || !walk_names[walk])
		return "unknown";
	return walk_names[walk];
}

static bool is_walked(uint8_t nh)
{
	return nh == LEARN6_PROTO_HOPOPTS || nh == LEARN6_PROTO_ROUTING ||
	       nh == LEARN6_PROTO_FRAGMENT || nh == LEARN6_PROTO_DSTOPTS;
}

/*
 * Extension headers with no upper layer behind them that we could parse:
 * AH (51) and ESP (50), Mobility (135), HIP (139), Shim6 (140), and the
 * experimental 253/254 (RFC 8200 4, IANA "IPv6 Extension Header Types").
 */
static bool is_unwalked_ext(uint8_t nh)
{
	return nh == 50 || nh == 51 || nh == 135 || nh == 139 || nh == 140 || nh == 253 ||
	       nh == 254;
}

/* One extension header at c; *nh becomes its next header. */
static int ext_parse(struct cursor *c, uint8_t *nh, struct learn_ipv6 *ip, bool *ret_stop)
{
	uint8_t next, hlen;

	if (!cursor_u8(c, &next) || !cursor_u8(c, &hlen))
		return -LEARN6_DROP_BAD_EXT;
	if (*nh == LEARN6_PROTO_FRAGMENT) {
		uint16_t off;
		uint32_t id;

		/* RFC 8200 4.5: fixed 8 bytes; the second byte is reserved, not a length. */
		if (!cursor_u16be(c, &off) || !cursor_u32be(c, &id))
			return -LEARN6_DROP_BAD_EXT;
		ip->is_fragment = true;
		if (off & FRAG_OFFSET) {
			*ret_stop = true;
			ip->walk = LEARN6_WALK_FRAGMENT;
			return 0;
		}
		ip->is_incomplete = off & FRAG_MORE;
	} else if (!cursor_skip(c, (size_t)hlen * 8 + 6)) {
		/* (hlen + 1) * 8 bytes in all, two of them read */
		return -LEARN6_DROP_BAD_EXT;
	}
	*nh = next;
	return 0;
}

int learn_ipv6_parse(const uint8_t *buf, size_t len, struct learn_ipv6 *ret)
{
	struct cursor c = cursor_init(buf, len);
	struct learn_ipv6 ip = { 0 };
	uint32_t vtcfl;
	uint8_t nh;

	if (!cursor_u32be(&c, &vtcfl) || !cursor_u16be(&c, &ip.payload_len) ||
	    !cursor_u8(&c, &nh) || !cursor_u8(&c, &ip.hop_limit) || !cursor_bytes(&c, ip.src, 16) ||
	    !cursor_bytes(&c, ip.dst, 16))
		return -LEARN6_DROP_TRUNCATED;
	if (vtcfl >> 28 != 6)
		return -LEARN6_DROP_BAD_IPV6;
	/*
	 * Past the bytes present: a snaplen cut it. Less is link padding. A
	 * zero payload length with hop-by-hop is a jumbogram (RFC 2675), which
	 * cannot cross an Ethernet port: the walk finds no room and rejects it.
	 */
	if (!cursor_truncate(&c, ip.payload_len))
		return -LEARN6_DROP_TRUNCATED;

	ip.walk = LEARN6_WALK_UPPER;
	for (;;) {
		bool stop = false;
		int r;

		if (nh == LEARN6_PROTO_NONE) {
			ip.walk = LEARN6_WALK_NO_NEXT;
			break;
		}
		if (is_unwalked_ext(nh)) {
			ip.walk = LEARN6_WALK_UNKNOWN;
			break;
		}
		if (!is_walked(nh))
			break;
		/* RFC 8200 4.1: hop-by-hop only immediately after the IPv6 header. */
		if (nh == LEARN6_PROTO_HOPOPTS && ip.n_ext > 0)
			return -LEARN6_DROP_BAD_EXT;
		if (ip.n_ext >= LEARN6_EXT_MAX)
			return -LEARN6_DROP_TOO_MANY_EXT;
		ip.n_ext++;
		r = ext_parse(&c, &nh, &ip, &stop);
		if (r < 0)
			return r;
		if (stop)
			break;
	}
	ip.proto = nh;
	if (ip.walk == LEARN6_WALK_UPPER) {
		ip.l4_off = (size_t)(c.p - buf);
		ip.l4_len = c.rem;
	}
	*ret = ip;
	return 0;
}

int learn_udp6_parse(const uint8_t *buf, size_t len, struct learn_udp6 *ret)
{
	struct cursor c = cursor_init(buf, len);
	struct learn_udp6 u;
	uint16_t ulen, csum;

	if (!cursor_u16be(&c, &u.sport) || !cursor_u16be(&c, &u.dport) ||
	    !cursor_u16be(&c, &ulen) || !cursor_u16be(&c, &csum))
		return -LEARN6_DROP_TRUNCATED;
	/* The IPv6 payload length already dropped the padding: the lengths must agree. */
	if (ulen < 8 || ulen != len)
		return -LEARN6_DROP_BAD_UDP;
	u.payload_off = 8;
	u.payload_len = ulen - 8u;
	*ret = u;
	return 0;
}
