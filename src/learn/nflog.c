/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * NFLOG records as libpcap delivers them from "nflog:N" (DLT_NFLOG):
 *
 *   +--------+---------+-------------------+
 *   | family | version | resource id (BE)  |   struct nfgenmsg, 4 bytes
 *   +--------+---------+-------------------+
 *   | length (host)    | type (host)       |   TLV header (struct nlattr);
 *   +------------------+-------------------+   length counts the header,
 *   | value ... padded to 4 bytes           |   not the padding
 *   +---------------------------------------+
 *
 * The values themselves are in network byte order (linux/netfilter/
 * nfnetlink_log.h). The type may carry NLA_F_NESTED / NLA_F_NET_BYTEORDER,
 * which are masked off. A TLV shorter than its header is rejected, so the
 * cursor always advances; the count is capped; every attribute we use must
 * have its exact size and appear once.
 */
#include "learn/frame.h"

#include <limits.h>
#include <string.h>

#include "util/cursor.h"

#define NFLOG_VERSION 0 /* NFNETLINK_V0 */
#define NFLOG_TLV_MAX 64
#define NLA_HDRLEN    4
#define NLA_TYPE_MASK 0x3fff

#define NFULA_PACKET_HDR         1
#define NFULA_TIMESTAMP          3
#define NFULA_IFINDEX_INDEV      4
#define NFULA_IFINDEX_OUTDEV     5
#define NFULA_IFINDEX_PHYSINDEV  6
#define NFULA_IFINDEX_PHYSOUTDEV 7
#define NFULA_HWADDR             8
#define NFULA_PAYLOAD            9
#define NFULA_PREFIX             10
#define NFULA_VLAN               20
#define NFULA_L2HDR              21
#define NFULA_VLAN_PROTO         1
#define NFULA_VLAN_TCI           2

#define NFPROTO_NETDEV    5
#define NF_NETDEV_INGRESS 0
#define NF_NETDEV_EGRESS  1
#define USEC_PER_SEC      1000000

#define BIT(t) (UINT32_C(1) << (t))
#define NFLOG_USED                                                                 \
	(BIT(NFULA_PACKET_HDR) | BIT(NFULA_TIMESTAMP) | BIT(NFULA_IFINDEX_INDEV) | \
	 BIT(NFULA_IFINDEX_OUTDEV) | BIT(NFULA_IFINDEX_PHYSINDEV) |                \
	 BIT(NFULA_IFINDEX_PHYSOUTDEV) | BIT(NFULA_HWADDR) | BIT(NFULA_PAYLOAD) |  \
	 BIT(NFULA_PREFIX) | BIT(NFULA_VLAN) | BIT(NFULA_L2HDR))

struct nflog_attrs {
	uint32_t seen; /* BIT(type) of the attributes in NFLOG_USED seen so far */
	uint16_t hw_protocol;
	uint8_t hook;
	bool has_timestamp;
	int64_t timestamp_us;
	uint32_t ifindex[NFULA_IFINDEX_PHYSOUTDEV + 1];
	bool has_src_mac;
	uint8_t src_mac[6];
	bool has_l2_src_mac; /* from NFULA_L2HDR */
	uint8_t l2_src_mac[6];
	bool has_vlan;
	uint16_t vlan_tci;
	bool has_prefix;
	char prefix[LEARN_PREFIX_MAX];
	struct cursor payload;
};

/* The next TLV: its type and value. 1 when one was read, 0 at the end, or a drop. */
static int tlv_next(struct cursor *c, uint16_t *ret_type, struct cursor *ret_value)
{
	uint16_t len, type;

	if (c->rem == 0)
		return 0;
	if (!cursor_u16host(c, &len) || !cursor_u16host(c, &type))
		return -LEARN_DROP_BAD_NFLOG;
	if (len < NLA_HDRLEN)
		return -LEARN_DROP_BAD_NFLOG;
	if (!cursor_sub(c, len - NLA_HDRLEN, ret_value))
		return -LEARN_DROP_TRUNCATED;
	/* Alignment padding; tolerate its absence after the last TLV. */
	if (!cursor_skip(c, (4 - len % 4) % 4))
		(void)cursor_skip(c, c->rem);
	*ret_type = type & NLA_TYPE_MASK;
	return 1;
}

static bool read_be32_exact(struct cursor v, uint32_t *ret)
{
	return v.rem == 4 && cursor_u32be(&v, ret);
}

/* struct nfulnl_msg_packet_timestamp: __be64 sec, __be64 usec. */
static int timestamp_parse(struct cursor v, struct nflog_attrs *a)
{
	uint32_t sec_hi, sec_lo, usec_hi, usec_lo;

	if (v.rem != 16 || !cursor_u32be(&v, &sec_hi) || !cursor_u32be(&v, &sec_lo) ||
	    !cursor_u32be(&v, &usec_hi) || !cursor_u32be(&v, &usec_lo))
		return -LEARN_DROP_BAD_NFLOG;
	/* Seconds beyond 2^31 or a second's worth of µs are not a clock: no timestamp. */
	if (sec_hi || sec_lo > INT32_MAX || usec_hi || usec_lo >= USEC_PER_SEC)
		return 0;
	a->has_timestamp = true;
	a->timestamp_us = (int64_t)sec_lo * USEC_PER_SEC + usec_lo;
	return 0;
}

/* NFULA_VLAN nests NFULA_VLAN_PROTO and NFULA_VLAN_TCI (bridge family only). */
static int vlan_parse(struct cursor c, struct nflog_attrs *a)
{
	uint16_t type, proto = 0;
	struct cursor v;
	unsigned n = 0;
	int r;

	while ((r = tlv_next(&c, &type, &v)) > 0) {
		if (++n > NFLOG_TLV_MAX)
			return -LEARN_DROP_BAD_NFLOG;
		if (type != NFULA_VLAN_TCI && type != NFULA_VLAN_PROTO)
			continue;
		if (v.rem != 2)
			return -LEARN_DROP_BAD_NFLOG;
		if (type == NFULA_VLAN_TCI) {
			if (a->has_vlan)
				return -LEARN_DROP_BAD_NFLOG;
			a->has_vlan = cursor_u16be(&v, &a->vlan_tci);
		} else {
			if (proto)
				return -LEARN_DROP_BAD_NFLOG;
			(void)cursor_u16be(&v, &proto);
		}
	}
	if (r < 0)
		return r;
	if (proto && proto != LEARN_ETHERTYPE_8021Q && proto != LEARN_ETHERTYPE_8021AD)
		return -LEARN_DROP_BAD_NFLOG;
	return 0;
}

/*
 * The log statement's prefix: the kernel writes strlen + 1 bytes, so the
 * value ends with its only NUL ("" without a prefix is a lone NUL). Only
 * printable ASCII is kept: the text goes on into events and the journal.
 */
static int prefix_parse(struct cursor v, struct nflog_attrs *a)
{
	if (v.rem == 0 || v.rem > LEARN_PREFIX_MAX || v.p[v.rem - 1] != '\0')
		return -LEARN_DROP_BAD_NFLOG;
	for (size_t i = 0; i + 1 < v.rem; i++)
		if (v.p[i] < 0x20 || v.p[i] > 0x7e)
			return -LEARN_DROP_BAD_NFLOG;
	memcpy(a->prefix, v.p, v.rem);
	a->has_prefix = true;
	return 0;
}

static int attr_take(struct nflog_attrs *a, uint16_t type, struct cursor v)
{
	uint16_t addrlen, pad;

	/* Each attribute we use appears once; the others are not our business. */
	if (type < 32 && (NFLOG_USED & BIT(type))) {
		if (a->seen & BIT(type))
			return -LEARN_DROP_BAD_NFLOG;
		a->seen |= BIT(type);
	}
	switch (type) {
	case NFULA_PACKET_HDR:
		/* __be16 hw_protocol; u8 hook; u8 pad */
		if (v.rem != 4)
			return -LEARN_DROP_BAD_NFLOG;
		(void)cursor_u16be(&v, &a->hw_protocol);
		(void)cursor_u8(&v, &a->hook);
		return 0;
	case NFULA_TIMESTAMP:
		return timestamp_parse(v, a);
	case NFULA_IFINDEX_INDEV:
	case NFULA_IFINDEX_OUTDEV:
	case NFULA_IFINDEX_PHYSINDEV:
	case NFULA_IFINDEX_PHYSOUTDEV:
		if (!read_be32_exact(v, &a->ifindex[type]) || a->ifindex[type] > INT_MAX)
			return -LEARN_DROP_BAD_NFLOG;
		return 0;
	case NFULA_HWADDR:
		/* __be16 hw_addrlen; u16 pad; u8 hw_addr[8] */
		if (v.rem != 12 || !cursor_u16be(&v, &addrlen) || !cursor_u16host(&v, &pad) ||
		    addrlen > 8)
			return -LEARN_DROP_BAD_NFLOG;
		if (addrlen == 6)
			a->has_src_mac = cursor_bytes(&v, a->src_mac, 6);
		return 0;
	case NFULA_PAYLOAD:
		a->payload = v;
		return 0;
	case NFULA_PREFIX:
		return prefix_parse(v, a);
	case NFULA_L2HDR:
		/* the bridge family's Ethernet header (its tags too, when in band): dst, src, ...
		 */
		if (v.rem < 14 || !cursor_skip(&v, 6))
			return -LEARN_DROP_BAD_NFLOG;
		a->has_l2_src_mac = cursor_bytes(&v, a->l2_src_mac, 6);
		return 0;
	case NFULA_VLAN:
		return vlan_parse(v, a);
	default:
		return 0; /* mark, uid, seq, hw header, ct, ... */
	}
}

static int attrs_parse(struct cursor c, struct nflog_attrs *a)
{
	struct cursor v;
	uint16_t type;
	unsigned n = 0;
	int r;

	while ((r = tlv_next(&c, &type, &v)) > 0) {
		if (++n > NFLOG_TLV_MAX)
			return -LEARN_DROP_BAD_NFLOG;
		r = attr_take(a, type, v);
		if (r < 0)
			return r;
	}
	return r;
}

int learn_nflog_parse_header(const uint8_t *buf, size_t len, struct learn_frame *ret,
			     const uint8_t **ret_payload, size_t *ret_payload_len)
{
	struct cursor c = cursor_init(buf, len);
	struct nflog_attrs a = { 0 };
	struct learn_frame f = { 0 };
	uint8_t family, version;
	uint16_t res_id;
	int r;

	if (!cursor_u8(&c, &family) || !cursor_u8(&c, &version) || !cursor_u16be(&c, &res_id))
		return -LEARN_DROP_TRUNCATED;
	if (version != NFLOG_VERSION)
		return -LEARN_DROP_BAD_NFLOG;
	r = attrs_parse(c, &a);
	if (r < 0)
		return r;
	if (!(a.seen & BIT(NFULA_PACKET_HDR)))
		return -LEARN_DROP_BAD_NFLOG;
	/* NFULNL_COPY_META records carry no payload: nothing to learn from. */
	if (a.payload.rem == 0)
		return -LEARN_DROP_NO_PAYLOAD;

	/* The bridge port, not the bridge: see frame.h. */
	f.indev = (int)a.ifindex[NFULA_IFINDEX_PHYSINDEV];
	if (!f.indev)
		f.indev = (int)a.ifindex[NFULA_IFINDEX_INDEV];
	f.outdev = (int)a.ifindex[NFULA_IFINDEX_PHYSOUTDEV];
	if (!f.outdev)
		f.outdev = (int)a.ifindex[NFULA_IFINDEX_OUTDEV];
	f.has_timestamp = a.has_timestamp;
	f.timestamp_us = a.timestamp_us;
	f.has_src_mac = a.has_src_mac;
	memcpy(f.src_mac, a.src_mac, 6);
	/* the kernel gives NFULA_HWADDR only with an input device: not at postrouting */
	if (!f.has_src_mac && a.has_l2_src_mac) {
		f.has_src_mac = true;
		memcpy(f.src_mac, a.l2_src_mac, 6);
	}
	f.has_prefix = a.has_prefix;
	memcpy(f.prefix, a.prefix, sizeof(f.prefix));
	if (a.has_vlan)
		f.vlan[f.n_vlan++] = a.vlan_tci & 0x0fff;

	f.ethertype = a.hw_protocol;
	if (family == NFPROTO_NETDEV && a.hook == NF_NETDEV_EGRESS) {
		/* Not pulled yet: the payload starts with the Ethernet header. */
		f.origin = LEARN_ORIGIN_NETDEV_EGRESS;
		if (!cursor_skip(&a.payload, 6) || !cursor_bytes(&a.payload, f.src_mac, 6) ||
		    !cursor_u16be(&a.payload, &f.ethertype))
			return -LEARN_DROP_TRUNCATED;
		f.has_src_mac = true;
	} else if (family == NFPROTO_NETDEV && a.hook == NF_NETDEV_INGRESS) {
		f.origin = LEARN_ORIGIN_NETDEV_INGRESS;
	} else if (family == NFPROTO_NETDEV) {
		return -LEARN_DROP_BAD_NFLOG;
	}
	*ret = f;
	*ret_payload = a.payload.p;
	*ret_payload_len = a.payload.rem;
	return 0;
}

int learn_nflog_parse(const uint8_t *buf, size_t len, struct learn_frame *ret)
{
	struct learn_frame f;
	const uint8_t *payload;
	size_t payload_len;
	int r;

	r = learn_nflog_parse_header(buf, len, &f, &payload, &payload_len);
	if (r < 0)
		return r;
	/* learn_l3_parse() writes f only on success: *ret stays untouched otherwise */
	r = learn_l3_parse(f.ethertype, payload, payload_len, &f);
	if (r < 0)
		return r;
	*ret = f;
	return 0;
}
