/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ICMPv6 (RFC 4443) and the Neighbor Discovery messages (RFC 4861 4):
 * RS, RA, NS, NA and Redirect, their fixed parts and their options. Options
 * come in 8-byte units; a zero length is malformed (RFC 4861 4.6: nodes
 * MUST silently discard it), which also guarantees the walk advances, and
 * the count is capped. Only the link-layer address options (exactly one
 * unit: Ethernet) and prefix information (exactly four units) are read; a
 * second link-layer option is malformed; the rest are skipped.
 *
 * The checksum covers a pseudo-header (RFC 8200 8.1); it is always
 * computed, and enforced only when the caller asks: on a host tap a guest's
 * offloaded checksum is still partial.
 */
#include "learn/frame6.h"

#include <string.h>

#include "util/cursor.h"

#define ND_OPT_SOURCE_LLADDR 1
#define ND_OPT_TARGET_LLADDR 2
#define ND_OPT_PREFIX_INFO   3

#define NA_FLAG_ROUTER    0x80000000u
#define NA_FLAG_SOLICITED 0x40000000u
#define NA_FLAG_OVERRIDE  0x20000000u
#define RA_FLAG_MANAGED   0x80
#define RA_FLAG_OTHER     0x40
#define PI_FLAG_ONLINK    0x80
#define PI_FLAG_AUTO      0x40

static const uint8_t unspecified[16];

const char *learn_icmpv6_type_name(uint8_t type)
{
	switch (type) {
	case 1:
		return "destination-unreachable";
	case 2:
		return "packet-too-big";
	case 3:
		return "time-exceeded";
	case 4:
		return "parameter-problem";
	case 128:
		return "echo-request";
	case 129:
		return "echo-reply";
	case LEARN_ICMPV6_RS:
		return "router-solicitation";
	case LEARN_ICMPV6_RA:
		return "router-advertisement";
	case LEARN_ICMPV6_NS:
		return "neighbor-solicitation";
	case LEARN_ICMPV6_NA:
		return "neighbor-advertisement";
	case LEARN_ICMPV6_REDIRECT:
		return "redirect";
	default:
		return "other";
	}
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len >= 2; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

/* RFC 1071 over the pseudo-header and the message; 0 when the checksum holds. */
static uint16_t csum6(const uint8_t src[16], const uint8_t dst[16], const uint8_t *buf, size_t len)
{
	uint32_t sum = 0;

	sum = sum16(src, 16, sum);
	sum = sum16(dst, 16, sum);
	/* An IPv6 payload length is 16 bits, so len fits; the upper half is zero. */
	sum += (uint32_t)(len & 0xffff) + (uint32_t)(len >> 16 & 0xffff);
	sum += LEARN6_PROTO_ICMPV6;
	/* len <= 65535: at most 32767 words plus the above, no overflow of 32 bits. */
	sum = sum16(buf, len, sum);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static int prefix_take(struct cursor v, struct learn_icmpv6 *m)
{
	struct learn6_prefix p;
	uint8_t flags;
	uint32_t reserved;

	/* type and length are read; 30 bytes remain (RFC 4861 4.6.2) */
	(void)(cursor_u8(&v, &p.len) && cursor_u8(&v, &flags) && cursor_u32be(&v, &p.valid_s) &&
	       cursor_u32be(&v, &p.preferred_s) && cursor_u32be(&v, &reserved) &&
	       cursor_bytes(&v, p.prefix, 16));
	if (p.len > 128)
		return -LEARN6_DROP_BAD_ND_OPTION;
	p.is_onlink = flags & PI_FLAG_ONLINK;
	p.is_autonomous = flags & PI_FLAG_AUTO;
	if (m->n_prefixes >= LEARN6_PREFIX_MAX) {
		m->has_more_prefixes = true;
		return 0;
	}
	m->prefixes[m->n_prefixes++] = p;
	return 0;
}

/* The options after the fixed part; lladdr_type is the link-layer option this message may carry. */
static int options_parse(struct cursor c, uint8_t lladdr_type, struct learn_icmpv6 *m)
{
	unsigned n = 0;
	uint8_t type, units;

	while (c.rem > 0) {
		struct cursor v;

		if (++n > LEARN6_ND_OPTIONS_MAX)
			return -LEARN6_DROP_TOO_MANY_OPTIONS;
		if (!cursor_u8(&c, &type) || !cursor_u8(&c, &units) || units == 0)
			return -LEARN6_DROP_BAD_ND_OPTION;
		if (!cursor_sub(&c, (size_t)units * 8 - 2, &v))
			return -LEARN6_DROP_BAD_ND_OPTION;
		if (type == lladdr_type) {
			/* Ethernet: one unit. Other link types do not reach a bridge port. */
			if (units != 1 || m->has_lladdr)
				return -LEARN6_DROP_BAD_ND_OPTION;
			m->has_lladdr = cursor_bytes(&v, m->lladdr, 6);
		} else if (type == ND_OPT_PREFIX_INFO && m->type == LEARN_ICMPV6_RA) {
			int r;

			if (units != 4)
				return -LEARN6_DROP_BAD_ND_OPTION;
			r = prefix_take(v, m);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* The fixed part of an ND message after type, code and checksum. */
static int nd_parse(struct cursor *c, struct learn_icmpv6 *m, uint8_t *ret_lladdr_type)
{
	uint32_t u32;
	uint8_t flags;
	bool ok = true;

	switch (m->type) {
	case LEARN_ICMPV6_RS:
		ok = cursor_u32be(c, &u32);
		*ret_lladdr_type = ND_OPT_SOURCE_LLADDR;
		break;
	case LEARN_ICMPV6_RA:
		ok = cursor_u8(c, &m->cur_hop_limit) && cursor_u8(c, &flags) &&
		     cursor_u16be(c, &m->router_lifetime_s) && cursor_u32be(c, &m->reachable_ms) &&
		     cursor_u32be(c, &m->retrans_ms);
		if (ok) {
			m->is_managed = flags & RA_FLAG_MANAGED;
			m->is_other = flags & RA_FLAG_OTHER;
		}
		*ret_lladdr_type = ND_OPT_SOURCE_LLADDR;
		break;
	case LEARN_ICMPV6_NS:
		ok = cursor_u32be(c, &u32) && cursor_bytes(c, m->target, 16);
		*ret_lladdr_type = ND_OPT_SOURCE_LLADDR;
		break;
	case LEARN_ICMPV6_NA:
		ok = cursor_u32be(c, &u32) && cursor_bytes(c, m->target, 16);
		if (ok) {
			m->is_router = u32 & NA_FLAG_ROUTER;
			m->is_solicited = u32 & NA_FLAG_SOLICITED;
			m->is_override = u32 & NA_FLAG_OVERRIDE;
		}
		*ret_lladdr_type = ND_OPT_TARGET_LLADDR;
		break;
	case LEARN_ICMPV6_REDIRECT:
		ok = cursor_u32be(c, &u32) && cursor_bytes(c, m->target, 16) &&
		     cursor_bytes(c, m->dest, 16);
		*ret_lladdr_type = ND_OPT_TARGET_LLADDR;
		break;
	default:
		break;
	}
	/* RFC 4861 6.1, 7.1, 8.1: code 0 and the fixed part present, else discard. */
	if (!ok || m->code != 0)
		return -LEARN6_DROP_BAD_ICMPV6;
	return 0;
}

int learn_icmpv6_parse(const uint8_t src[16], const uint8_t dst[16], const uint8_t *buf, size_t len,
		       bool verify_csum, struct learn_icmpv6 *ret)
{
	struct cursor c = cursor_init(buf, len);
	struct learn_icmpv6 m = { 0 };
	uint8_t lladdr_type = 0;
	int r;

	if (!cursor_u8(&c, &m.type) || !cursor_u8(&c, &m.code) || !cursor_u16be(&c, &m.csum))
		return -LEARN6_DROP_TRUNCATED;
	if (len > 0xffff)
		return -LEARN6_DROP_BAD_ICMPV6;
	m.is_csum_ok = csum6(src, dst, buf, len) == 0;
	if (verify_csum && !m.is_csum_ok)
		return -LEARN6_DROP_BAD_CHECKSUM;
	m.is_nd = m.type >= LEARN_ICMPV6_RS && m.type <= LEARN_ICMPV6_REDIRECT;
	if (!m.is_nd) {
		*ret = m;
		return 0;
	}
	r = nd_parse(&c, &m, &lladdr_type);
	if (r < 0)
		return r;
	r = options_parse(c, lladdr_type, &m);
	if (r < 0)
		return r;
	if (m.type == LEARN_ICMPV6_NS && memcmp(src, unspecified, 16) == 0) {
		/* RFC 4861 7.1.1: from :: there MUST NOT be a source link-layer option. */
		if (m.has_lladdr)
			return -LEARN6_DROP_BAD_ND_OPTION;
		m.is_dad = true;
	}
	*ret = m;
	return 0;
}
