/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Layer-2 attribute -> nftables selector tables. RARP and STP have no nft
 * protocol expressions (nft's arp expressions imply ethertype 0x0806), so
 * their fields are raw payload offsets:
 *   RARP (network header): htype 0, ptype 16, oper 48, sha 64, spa 112,
 *     tha 144, tpa 192 (bits);
 *   STP (link layer: 14 bytes Ethernet + 3 bytes LLC, then the BPDU):
 *     type @ll,160, flags 168, root id 176 (priority) and 192 (address),
 *     root path cost 240, bridge id 272 and 288, port 336, message age 352,
 *     max age 368, hello time 384, forward delay 400.
 * The ND target (vifguard's ndtarget) has no nft expression in 1.0.6 either:
 * it is the 128 bits after the 8-byte ICMPv6 header of an NS or NA (RFC 4861
 * 4.3, 4.4), @th,64,128, and its values are 128-bit integers, because a set
 * keyed by that selector refuses IPv6 address elements (datatype mismatch).
 *
 * The ipv6 element's protocol is matched with meta l4proto, not ip6 nexthdr:
 * ebtables' ip6 match (libvirt's) skips extension headers to find it, and a
 * guard on nexthdr alone is evaded by a hop-by-hop or destination options
 * header in front of the UDP or ICMPv6 header.
 */
#include "fw/match.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/addr.h"

#define F(sel, a, p, kind, fmt)                                                           \
	{                                                                                 \
		sel, FILTER_ATTR_##a, FILTER_ATTR_##p, FW_PARTNER_##kind, FW_FORMAT_##fmt \
	}
#define SINGLE(sel, a, fmt)       F(sel, a, _MAX, NONE, fmt)
#define RANGE(sel, a, end, fmt)   F(sel, a, end, RANGE, fmt)
#define MASKED(sel, a, mask, fmt) F(sel, a, mask, MASK, fmt)

#define ETHER_FIELDS                                        \
	MASKED("ether saddr", SRCMACADDR, SRCMACMASK, MAC), \
		MASKED("ether daddr", DSTMACADDR, DSTMACMASK, MAC)

#define FIELDS(...)                \
	.fields = { __VA_ARGS__ }, \
	.n_fields = sizeof((struct fw_field[]){ __VA_ARGS__ }) / sizeof(struct fw_field)

static const struct fw_proto_fields l2_fields[FILTER_PROTO__MAX] = {
	[FILTER_PROTO_NONE] = { .implied = NULL },
	[FILTER_PROTO_MAC] = { FIELDS(ETHER_FIELDS, SINGLE("ether type", PROTOCOLID, HEX16)) },
	[FILTER_PROTO_VLAN] = { .implied = "ether type 8021q",
				FIELDS(ETHER_FIELDS, SINGLE("vlan id", VLANID, NUM),
				       SINGLE("vlan type", ENCAP_PROTOCOL, HEX16)) },
	[FILTER_PROTO_STP] = { .implied = "ether daddr 01:80:c2:00:00:00",
			       FIELDS(MASKED("ether saddr", SRCMACADDR, SRCMACMASK, MAC),
				      SINGLE("@ll,160,8", STP_TYPE, NUM),
				      SINGLE("@ll,168,8", STP_FLAGS, NUM),
				      RANGE("@ll,176,16", ROOT_PRIORITY, ROOT_PRIORITY_HI, NUM),
				      MASKED("@ll,192,48", ROOT_ADDRESS, ROOT_ADDRESS_MASK,
					     RAW_MAC),
				      RANGE("@ll,240,32", ROOT_COST, ROOT_COST_HI, NUM),
				      RANGE("@ll,272,16", SENDER_PRIORITY, SENDER_PRIORITY_HI, NUM),
				      MASKED("@ll,288,48", SENDER_ADDRESS, SENDER_ADDRESS_MASK,
					     RAW_MAC),
				      RANGE("@ll,336,16", PORT, PORT_HI, NUM),
				      RANGE("@ll,352,16", AGE, AGE_HI, NUM),
				      RANGE("@ll,368,16", MAX_AGE, MAX_AGE_HI, NUM),
				      RANGE("@ll,384,16", HELLO_TIME, HELLO_TIME_HI, NUM),
				      RANGE("@ll,400,16", FORWARD_DELAY, FORWARD_DELAY_HI, NUM)) },
	[FILTER_PROTO_ARP] = { .implied = "ether type arp",
			       FIELDS(ETHER_FIELDS, SINGLE("arp htype", HWTYPE, NUM),
				      SINGLE("arp ptype", PROTOCOLTYPE, HEX16),
				      SINGLE("arp operation", OPCODE, NUM),
				      SINGLE("arp saddr ether", ARPSRCMACADDR, MAC),
				      SINGLE("arp daddr ether", ARPDSTMACADDR, MAC),
				      MASKED("arp saddr ip", ARPSRCIPADDR, ARPSRCIPMASK, IPV4),
				      MASKED("arp daddr ip", ARPDSTIPADDR, ARPDSTIPMASK, IPV4)) },
	[FILTER_PROTO_RARP] = { .implied = "ether type 0x8035",
				FIELDS(ETHER_FIELDS, SINGLE("@nh,0,16", HWTYPE, NUM),
				       SINGLE("@nh,16,16", PROTOCOLTYPE, HEX16),
				       SINGLE("@nh,48,16", OPCODE, NUM),
				       SINGLE("@nh,64,48", ARPSRCMACADDR, RAW_MAC),
				       SINGLE("@nh,144,48", ARPDSTMACADDR, RAW_MAC),
				       MASKED("@nh,112,32", ARPSRCIPADDR, ARPSRCIPMASK, RAW_IPV4),
				       MASKED("@nh,192,32", ARPDSTIPADDR, ARPDSTIPMASK,
					      RAW_IPV4)) },
	[FILTER_PROTO_IP] = { .implied = "ether type ip",
			      FIELDS(ETHER_FIELDS, MASKED("ip saddr", SRCIPADDR, SRCIPMASK, IPV4),
				     MASKED("ip daddr", DSTIPADDR, DSTIPMASK, IPV4),
				     SINGLE("ip protocol", PROTOCOL, NUM),
				     RANGE("th sport", SRCPORTSTART, SRCPORTEND, NUM),
				     RANGE("th dport", DSTPORTSTART, DSTPORTEND, NUM),
				     SINGLE("ip dscp", DSCP, NUM)) },
	[FILTER_PROTO_IPV6] = { .implied = "ether type ip6",
				FIELDS(ETHER_FIELDS,
				       MASKED("ip6 saddr", SRCIPADDR, SRCIPMASK, IPV6),
				       MASKED("ip6 daddr", DSTIPADDR, DSTIPMASK, IPV6),
				       SINGLE("meta l4proto", PROTOCOL, NUM),
				       RANGE("th sport", SRCPORTSTART, SRCPORTEND, NUM),
				       RANGE("th dport", DSTPORTSTART, DSTPORTEND, NUM),
				       RANGE("icmpv6 type", ICMP_TYPE, ICMP_TYPEEND, NUM),
				       RANGE("icmpv6 code", ICMP_CODE, ICMP_CODEEND, NUM),
				       SINGLE("@th,64,128", NDTARGET, RAW_IPV6)) },
};

#define L3_V4(proto, ...)                                                                         \
	{                                                                                         \
		.implied = "meta nfproto ipv4" proto,                                             \
		FIELDS(SINGLE("ether saddr", SRCMACADDR, MAC),                                    \
		       MASKED("ip saddr", SRCIPADDR, SRCIPMASK, IPV4),                            \
		       MASKED("ip daddr", DSTIPADDR, DSTIPMASK, IPV4),                            \
		       RANGE("ip saddr", SRCIPFROM, SRCIPTO, IPV4),                               \
		       RANGE("ip daddr", DSTIPFROM, DSTIPTO, IPV4), SINGLE("ip dscp", DSCP, NUM), \
		       ##__VA_ARGS__)                                                             \
	}
#define L3_V6(proto, ...)                                               \
	{                                                               \
		.implied = "meta nfproto ipv6" proto,                   \
		FIELDS(SINGLE("ether saddr", SRCMACADDR, MAC),          \
		       MASKED("ip6 saddr", SRCIPADDR, SRCIPMASK, IPV6), \
		       MASKED("ip6 daddr", DSTIPADDR, DSTIPMASK, IPV6), \
		       RANGE("ip6 saddr", SRCIPFROM, SRCIPTO, IPV6),    \
		       RANGE("ip6 daddr", DSTIPFROM, DSTIPTO, IPV6),    \
		       SINGLE("ip6 dscp", DSCP, NUM), ##__VA_ARGS__)    \
	}
#define L3_PORTS                                          \
	RANGE("th sport", SRCPORTSTART, SRCPORTEND, NUM), \
		RANGE("th dport", DSTPORTSTART, DSTPORTEND, NUM)

/*
 * The iptables-like group, for the inet table. The ether saddr field is
 * only emitted on chains that see the packet as the rule was written
 * (libvirt emits -m mac --mac-source only there); compile.c decides.
 */
static const struct fw_proto_fields l3_fields[FILTER_PROTO__MAX] = {
	[FILTER_PROTO_TCP] = L3_V4(" meta l4proto tcp", L3_PORTS),
	[FILTER_PROTO_UDP] = L3_V4(" meta l4proto udp", L3_PORTS),
	[FILTER_PROTO_SCTP] = L3_V4(" meta l4proto sctp", L3_PORTS),
	[FILTER_PROTO_UDPLITE] = L3_V4(" meta l4proto udplite"),
	[FILTER_PROTO_ESP] = L3_V4(" meta l4proto esp"),
	[FILTER_PROTO_AH] = L3_V4(" meta l4proto ah"),
	[FILTER_PROTO_ICMP] = L3_V4(" meta l4proto icmp", SINGLE("icmp type", ICMP_TYPE, NUM),
				    SINGLE("icmp code", ICMP_CODE, NUM)),
	[FILTER_PROTO_IGMP] = L3_V4(" meta l4proto igmp"),
	[FILTER_PROTO_ALL] = L3_V4(""),
	[FILTER_PROTO_TCP_IPV6] = L3_V6(" meta l4proto tcp", L3_PORTS),
	[FILTER_PROTO_UDP_IPV6] = L3_V6(" meta l4proto udp", L3_PORTS),
	[FILTER_PROTO_SCTP_IPV6] = L3_V6(" meta l4proto sctp", L3_PORTS),
	[FILTER_PROTO_UDPLITE_IPV6] = L3_V6(" meta l4proto udplite"),
	[FILTER_PROTO_ESP_IPV6] = L3_V6(" meta l4proto esp"),
	[FILTER_PROTO_AH_IPV6] = L3_V6(" meta l4proto ah"),
	[FILTER_PROTO_ICMPV6] =
		L3_V6(" meta l4proto ipv6-icmp", SINGLE("icmpv6 type", ICMP_TYPE, NUM),
		      SINGLE("icmpv6 code", ICMP_CODE, NUM)),
	[FILTER_PROTO_ALL_IPV6] = L3_V6(""),
};

const struct fw_proto_fields *fw_proto_fields(enum filter_proto proto)
{
	if (filter_proto_info[proto].layer == FILTER_LAYER_L3)
		return &l3_fields[proto];
	return &l2_fields[proto];
}

enum filter_attr_id fw_attr_swapped(enum filter_attr_id attr)
{
	static const enum filter_attr_id pairs[][2] = {
		{ FILTER_ATTR_SRCMACADDR, FILTER_ATTR_DSTMACADDR },
		{ FILTER_ATTR_SRCMACMASK, FILTER_ATTR_DSTMACMASK },
		{ FILTER_ATTR_SRCIPADDR, FILTER_ATTR_DSTIPADDR },
		{ FILTER_ATTR_SRCIPMASK, FILTER_ATTR_DSTIPMASK },
		{ FILTER_ATTR_SRCIPFROM, FILTER_ATTR_DSTIPFROM },
		{ FILTER_ATTR_SRCIPTO, FILTER_ATTR_DSTIPTO },
		{ FILTER_ATTR_SRCPORTSTART, FILTER_ATTR_DSTPORTSTART },
		{ FILTER_ATTR_SRCPORTEND, FILTER_ATTR_DSTPORTEND },
		{ FILTER_ATTR_ARPSRCMACADDR, FILTER_ATTR_ARPDSTMACADDR },
		{ FILTER_ATTR_ARPSRCIPADDR, FILTER_ATTR_ARPDSTIPADDR },
		{ FILTER_ATTR_ARPSRCIPMASK, FILTER_ATTR_ARPDSTIPMASK },
	};

	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (pairs[i][0] == attr)
			return pairs[i][1];
		if (pairs[i][1] == attr)
			return pairs[i][0];
	}
	return attr;
}

static unsigned full_prefix(enum fw_format format)
{
	switch (format) {
	case FW_FORMAT_IPV6:
	case FW_FORMAT_RAW_IPV6:
		return 128;
	case FW_FORMAT_MAC:
	case FW_FORMAT_RAW_MAC:
		return 48;
	default:
		return 32;
	}
}

/* The prefix length of a mask partner; the full length when there is none. */
static unsigned mask_prefix(const struct fw_field *f, const struct filter_attr *partner)
{
	if (f->partner_kind != FW_PARTNER_MASK || !partner || !partner->is_set)
		return full_prefix(f->format);
	if (f->format == FW_FORMAT_MAC || f->format == FW_FORMAT_RAW_MAC) {
		int len = mask_prefix_len(partner->u.mac, MAC_LEN);

		return len < 0 ? 48 : (unsigned)len;
	}
	return partner->u.num;
}

bool fw_field_is_interval(const struct fw_field *f, const struct filter_attr *value,
			  const struct filter_attr *partner)
{
	if (!partner || !partner->is_set)
		return false;
	if (f->partner_kind == FW_PARTNER_RANGE)
		return true;
	if (f->format == FW_FORMAT_MAC || f->format == FW_FORMAT_RAW_MAC)
		return false;
	return partner->is_var || mask_prefix(f, partner) < full_prefix(f->format);
}

bool fw_field_partial_mask(struct strbuf *sb, const struct fw_field *f,
			   const struct filter_attr *partner)
{
	char text[MAC_TEXT_MAX];

	if (f->format != FW_FORMAT_MAC && f->format != FW_FORMAT_RAW_MAC)
		return false;
	if (mask_prefix(f, partner) == 48)
		return false;
	if (f->format == FW_FORMAT_MAC) {
		mac_format(partner->u.mac, text);
		strbuf_add(sb, text);
	} else {
		uint64_t m = 0;

		for (int i = 0; i < MAC_LEN; i++)
			m = m << 8 | partner->u.mac[i];
		strbuf_addf(sb, "0x%012llx", (unsigned long long)m);
	}
	return true;
}

static void format_mac(struct strbuf *sb, const struct fw_field *f, const uint8_t mac[MAC_LEN],
		       const struct filter_attr *partner)
{
	uint8_t v[MAC_LEN];
	char text[MAC_TEXT_MAX];
	uint64_t raw = 0;

	for (int i = 0; i < MAC_LEN; i++) {
		v[i] = mac[i];
		if (f->partner_kind == FW_PARTNER_MASK && partner && partner->is_set)
			v[i] &= partner->u.mac[i];
		raw = raw << 8 | v[i];
	}
	if (f->format == FW_FORMAT_MAC) {
		mac_format(v, text);
		strbuf_add(sb, text);
	} else {
		strbuf_addf(sb, "0x%012llx", (unsigned long long)raw);
	}
}

static void format_ip_text(struct strbuf *sb, const struct fw_field *f, const uint8_t *ip)
{
	char text[IP_TEXT_MAX];

	if (f->format == FW_FORMAT_IPV6 || f->format == FW_FORMAT_RAW_IPV6)
		ipv6_format(ip, text);
	else
		ipv4_format(ip, text);
	strbuf_add(sb, text);
}

static void format_ip(struct strbuf *sb, const struct fw_field *f, const uint8_t *ip,
		      unsigned prefix)
{
	bool is_v6 = f->format == FW_FORMAT_IPV6 || f->format == FW_FORMAT_RAW_IPV6;
	unsigned len = is_v6 ? 16 : 4;
	uint8_t v[16] = { 0 };
	char text[IP_TEXT_MAX];

	for (unsigned i = 0; i < len; i++) {
		unsigned bits = prefix > i * 8 ? prefix - i * 8 : 0;

		v[i] = ip[i] & (uint8_t)(bits >= 8 ? 0xff : (0xff00 >> bits) & 0xff);
	}
	if (f->format == FW_FORMAT_RAW_IPV4) {
		uint32_t lo = (uint32_t)v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3];
		uint32_t hi = prefix >= 32 ? lo : lo | (0xffffffffu >> prefix);

		strbuf_addf(sb, "0x%08x", lo);
		if (hi != lo)
			strbuf_addf(sb, "-0x%08x", hi);
		return;
	}
	if (f->format == FW_FORMAT_RAW_IPV6) {
		/* only full addresses: ndtarget has no mask partner */
		strbuf_add(sb, "0x");
		for (unsigned i = 0; i < len; i++)
			strbuf_addf(sb, "%02x", v[i]);
		return;
	}
	if (len == 4)
		ipv4_format(v, text);
	else
		ipv6_format(v, text);
	strbuf_add(sb, text);
	if (prefix < len * 8)
		strbuf_addf(sb, "/%u", prefix);
}

int fw_field_format(struct strbuf *sb, const struct fw_field *f, const struct filter_attr *value,
		    const struct filter_attr *partner, const char **ret_why)
{
	bool has_partner = partner && partner->is_set;

	switch (f->format) {
	case FW_FORMAT_MAC:
	case FW_FORMAT_RAW_MAC:
		format_mac(sb, f, value->u.mac, partner);
		return 0;
	case FW_FORMAT_IPV4:
	case FW_FORMAT_RAW_IPV4:
	case FW_FORMAT_IPV6:
	case FW_FORMAT_RAW_IPV6:
		if (f->partner_kind != FW_PARTNER_RANGE) {
			format_ip(sb, f, value->u.ip, mask_prefix(f, partner));
			return 0;
		}
		format_ip_text(sb, f, value->u.ip);
		if (has_partner) {
			if (memcmp(partner->u.ip, value->u.ip, 16) < 0) {
				*ret_why = "the range ends before it starts";
				return -EINVAL;
			}
			strbuf_addc(sb, '-');
			format_ip_text(sb, f, partner->u.ip);
		}
		return 0;
	case FW_FORMAT_NUM:
	case FW_FORMAT_HEX16:
		break;
	}
	strbuf_addf(sb, f->format == FW_FORMAT_HEX16 ? "0x%04x" : "%u", value->u.num);
	if (f->partner_kind == FW_PARTNER_RANGE && has_partner && partner->u.num != value->u.num) {
		if (partner->u.num < value->u.num) {
			*ret_why = "the range ends before it starts";
			return -EINVAL;
		}
		strbuf_addf(sb, f->format == FW_FORMAT_HEX16 ? "-0x%04x" : "-%u", partner->u.num);
	}
	return 0;
}
