/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The frames of learn-frames6.h, byte by byte. */
#include "learn-frames6.h"

#include <string.h>

const uint8_t fx6_vm_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
const uint8_t fx6_router_mac[6] = { 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };
const uint8_t fx6_vm_ll[16] = { 0xfe, 0x80, 0,    0,    0,    0,    0,    0,
				0x50, 0x54, 0x00, 0xff, 0xfe, 0x12, 0x34, 0x56 };
const uint8_t fx6_router_ll[16] = { 0xfe, 0x80, 0,    0,    0,    0,    0,    0,
				    0x50, 0x54, 0x00, 0xff, 0xfe, 0xaa, 0xbb, 0xcc };
const uint8_t fx6_lease[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x50 };
const uint8_t fx6_prefix[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1 };
/* DUID-LL (odhcp6c): type 3, hardware 1, MAC */
const uint8_t fx6_vm_duid[10] = { 0, 3, 0, 1, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
/* DUID-LLT (dnsmasq): type 1, hardware 1, time, MAC */
const uint8_t fx6_server_duid[14] = { 0,    1,    0,    1,    0x2d, 0x5e, 0x1a,
				      0x00, 0x52, 0x54, 0x00, 0xaa, 0xbb, 0xcc };

static const uint8_t unspec[16];
static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
static const uint8_t all_mld_routers[16] = { 0xff, 0x02, [15] = 0x16 };
static const uint8_t all_dhcp[16] = { 0xff, 0x02, [13] = 1, [15] = 2 };
static const uint8_t sol_node[16] = { 0xff, 0x02, [11] = 1, 0xff, 0x12, 0x34, 0x56 };

static uint16_t csum(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len >= 2; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

size_t fx6_wrap(uint8_t *out, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		const uint8_t src[16], const uint8_t dst[16], uint8_t hop_limit, uint8_t nh,
		const uint8_t *payload, size_t len, size_t l4_off, size_t csum_at, uint8_t l4_proto)
{
	uint8_t *ip = out + FX6_OFF_IP, *l4;
	size_t l4_len = len - l4_off;
	uint32_t sum = (uint32_t)l4_len + l4_proto;
	uint16_t c;

	memcpy(out, dst_mac, 6);
	memcpy(out + 6, src_mac, 6);
	out[12] = 0x86;
	out[13] = 0xdd;
	ip[0] = 0x60;
	ip[1] = ip[2] = ip[3] = 0;
	ip[4] = (uint8_t)(len >> 8);
	ip[5] = (uint8_t)len;
	ip[6] = nh;
	ip[7] = hop_limit;
	memcpy(ip + 8, src, 16);
	memcpy(ip + 24, dst, 16);
	memcpy(ip + 40, payload, len);
	l4 = ip + 40 + l4_off;
	l4[csum_at] = l4[csum_at + 1] = 0;
	for (int i = 8; i < 40; i += 2)
		sum += (uint32_t)(ip[i] << 8 | ip[i + 1]);
	c = csum(l4, l4_len, sum);
	l4[csum_at] = (uint8_t)(c >> 8);
	l4[csum_at + 1] = (uint8_t)c;
	return FX6_OFF_IP + 40 + len;
}

static void mcast_mac(uint8_t mac[6], const uint8_t dst[16])
{
	mac[0] = mac[1] = 0x33;
	memcpy(mac + 2, dst + 12, 4);
}

static size_t icmp(struct fx6_frame *f, const char *name, const uint8_t src_mac[6],
		   const uint8_t src[16], const uint8_t dst[16], const uint8_t *msg, size_t len)
{
	uint8_t mac[6];

	mcast_mac(mac, dst);
	f->name = name;
	f->len = fx6_wrap(f->bytes, mac, src_mac, src, dst, 255, 58, msg, len, 0, 2, 58);
	return f->len;
}

static void udp(struct fx6_frame *f, const char *name, const uint8_t dst_mac[6],
		const uint8_t src_mac[6], const uint8_t src[16], const uint8_t dst[16],
		uint16_t sport, uint16_t dport, const uint8_t *msg, size_t len)
{
	uint8_t p[FX6_MAX];

	p[0] = (uint8_t)(sport >> 8);
	p[1] = (uint8_t)sport;
	p[2] = (uint8_t)(dport >> 8);
	p[3] = (uint8_t)dport;
	p[4] = (uint8_t)((len + 8) >> 8);
	p[5] = (uint8_t)(len + 8);
	memcpy(p + 8, msg, len);
	f->name = name;
	f->len = fx6_wrap(f->bytes, dst_mac, src_mac, src, dst, 255, 17, p, len + 8, 0, 6, 17);
	f->bytes[FX6_OFF_IP + 7] = src[0] == 0xfe && dst[0] == 0xff ? 1 : 64;
}

/* Appends option code/len/value; returns the new offset. */
static size_t opt(uint8_t *m, size_t off, uint16_t code, const void *v, size_t len)
{
	m[off] = (uint8_t)(code >> 8);
	m[off + 1] = (uint8_t)code;
	m[off + 2] = (uint8_t)(len >> 8);
	m[off + 3] = (uint8_t)len;
	if (len)
		memcpy(m + off + 4, v, len);
	return off + 4 + len;
}

static size_t be32(uint8_t *p, size_t off, uint32_t v)
{
	p[off] = (uint8_t)(v >> 24);
	p[off + 1] = (uint8_t)(v >> 16);
	p[off + 2] = (uint8_t)(v >> 8);
	p[off + 3] = (uint8_t)v;
	return off + 4;
}

/* IA_NA iaid 1 with T1/T2 and, when pref/valid given, one IAADDR for the lease. */
static size_t ia_na(uint8_t *m, size_t off, uint32_t t1, uint32_t t2, bool has_addr, uint32_t pref,
		    uint32_t valid, bool has_status)
{
	uint8_t ia[128], a[64];
	size_t n = be32(ia, 0, 1), na;

	n = be32(ia, n, t1);
	n = be32(ia, n, t2);
	if (has_addr) {
		memcpy(a, fx6_lease, 16);
		na = be32(a, 16, pref);
		na = be32(a, na, valid);
		n = opt(ia, n, 5, a, na);
	}
	if (has_status)
		n = opt(ia, n, 13, "\0\0success", 9);
	return opt(m, off, 3, ia, n);
}

static size_t dhcp_head(uint8_t *m, uint8_t type, uint32_t xid)
{
	return be32(m, 0, (uint32_t)type << 24 | xid);
}

void fx6_build_all(struct fx6_frame *ret)
{
	uint8_t m[FX6_MAX], mac[6];
	size_t n;

	/* MLDv2 report (RFC 3810) joining the solicited-node group, behind hop-by-hop with Router
	 * Alert. */
	{
		static const uint8_t p[] = {
			58,   0,    5, 2, 0, 0, 1, 0, /* HBH: RA option, PadN */
			143,  0,    0, 0, 0, 0, 0, 1, /* type, code, csum, 1 record */
			4,    0,    0, 0,             /* CHANGE_TO_EXCLUDE, 0 sources */
			0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0x12, 0x34, 0x56,
		};

		mcast_mac(mac, all_mld_routers);
		ret[FX6_MLD_REPORT].name = "mld-report";
		ret[FX6_MLD_REPORT].len =
			fx6_wrap(ret[FX6_MLD_REPORT].bytes, mac, fx6_vm_mac, unspec,
				 all_mld_routers, 1, 0, p, sizeof(p), 8, 2, 58);
	}
	/* DAD NS: from ::, to the solicited-node group, with a nonce (RFC 7527; Linux
	 * enhanced_dad). */
	memset(m, 0, 8);
	m[0] = 135;
	memcpy(m + 8, fx6_vm_ll, 16);
	memcpy(m + 24, (const uint8_t[]){ 14, 1, 0x9a, 0x3c, 0x11, 0x07, 0xe2, 0x5d }, 8);
	icmp(&ret[FX6_DAD_NS], "dad-ns", fx6_vm_mac, unspec, sol_node, m, 32);
	/* Unsolicited NA (override) to all-nodes with the target link-layer option. */
	memset(m, 0, 8);
	m[0] = 136;
	m[4] = 0x20;
	memcpy(m + 8, fx6_vm_ll, 16);
	m[24] = 2;
	m[25] = 1;
	memcpy(m + 26, fx6_vm_mac, 6);
	icmp(&ret[FX6_UNSOL_NA], "unsol-na", fx6_vm_mac, fx6_vm_ll, all_nodes, m, 32);
	/* RS with the source link-layer option. */
	memset(m, 0, 8);
	m[0] = 133;
	m[8] = 1;
	m[9] = 1;
	memcpy(m + 10, fx6_vm_mac, 6);
	icmp(&ret[FX6_RS], "rs", fx6_vm_mac, fx6_vm_ll, all_routers, m, 16);
	/* radvd: hop limit 64, M=0 O=1, lifetime 1800; prefix /64 L A 86400/14400; MTU; source LL.
	 */
	memset(m, 0, 16);
	m[0] = 134;
	m[4] = 64;
	m[5] = 0x40;
	m[6] = 0x07;
	m[7] = 0x08;
	n = 16;
	m[n++] = 3;
	m[n++] = 4;
	m[n++] = 64;
	m[n++] = 0xc0;
	n = be32(m, n, 86400);
	n = be32(m, n, 14400);
	n = be32(m, n, 0);
	memcpy(m + n, fx6_prefix, 16);
	n += 16;
	memcpy(m + n, (const uint8_t[]){ 5, 1, 0, 0, 0, 0, 0x05, 0xdc }, 8);
	n += 8;
	m[n++] = 1;
	m[n++] = 1;
	memcpy(m + n, fx6_router_mac, 6);
	n += 6;
	icmp(&ret[FX6_RA], "ra", fx6_router_mac, fx6_router_ll, all_nodes, m, n);

	/* odhcp6c Solicit: client id, elapsed time, ORO, IA_NA without addresses. */
	mcast_mac(mac, all_dhcp);
	n = dhcp_head(m, 1, FX6_XID_SOL);
	n = opt(m, n, 1, fx6_vm_duid, sizeof(fx6_vm_duid));
	n = opt(m, n, 8, "\0\0", 2);
	n = opt(m, n, 6, "\0\x17\0\x18", 4);
	n = ia_na(m, n, 0, 0, false, 0, 0, false);
	udp(&ret[FX6_SOLICIT], "dhcpv6-solicit", mac, fx6_vm_mac, fx6_vm_ll, all_dhcp, 546, 547, m,
	    n);
	/* dnsmasq Advertise: client id, server id, IA_NA + IAADDR + status, preference. */
	n = dhcp_head(m, 2, FX6_XID_SOL);
	n = opt(m, n, 1, fx6_vm_duid, sizeof(fx6_vm_duid));
	n = opt(m, n, 2, fx6_server_duid, sizeof(fx6_server_duid));
	n = ia_na(m, n, 1800, 2880, true, 3600, 3600, true);
	n = opt(m, n, 7, "\xff", 1);
	udp(&ret[FX6_ADVERTISE], "dhcpv6-advertise", fx6_vm_mac, fx6_router_mac, fx6_router_ll,
	    fx6_vm_ll, 547, 546, m, n);
	/* Request: client id, server id, elapsed time, IA_NA with the offered IAADDR. */
	n = dhcp_head(m, 3, FX6_XID_REQ);
	n = opt(m, n, 1, fx6_vm_duid, sizeof(fx6_vm_duid));
	n = opt(m, n, 2, fx6_server_duid, sizeof(fx6_server_duid));
	n = opt(m, n, 8, "\0\0", 2);
	n = ia_na(m, n, 0, 0, true, 0, 0, false);
	udp(&ret[FX6_REQUEST], "dhcpv6-request", mac, fx6_vm_mac, fx6_vm_ll, all_dhcp, 546, 547, m,
	    n);
	/* Reply: server id, client id, IA_NA + IAADDR, top-level status success. */
	n = dhcp_head(m, 7, FX6_XID_REQ);
	n = opt(m, n, 2, fx6_server_duid, sizeof(fx6_server_duid));
	n = opt(m, n, 1, fx6_vm_duid, sizeof(fx6_vm_duid));
	n = ia_na(m, n, 1800, 2880, true, 3600, 7200, true);
	n = opt(m, n, 13, "\0\0", 2);
	udp(&ret[FX6_REPLY], "dhcpv6-reply", fx6_vm_mac, fx6_router_mac, fx6_router_ll, fx6_vm_ll,
	    547, 546, m, n);
}
