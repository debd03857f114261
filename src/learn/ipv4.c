/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv4 (RFC 791) and UDP (RFC 768). The IPv4 total length bounds everything
 * above it, so Ethernet padding never reaches the UDP or DHCP parsers; the
 * UDP length bounds the DHCP message the same way. Checksums are not
 * verified (offload leaves them partial on host taps). Fragments are flagged
 * and not parsed further: a DHCP message is never fragmented in practice, and
 * a non-first fragment has no UDP header to read.
 */
#include "learn/frame.h"

#include "util/cursor.h"

#define IPV4_PROTO_UDP 17
#define IPV4_MF        0x2000
#define IPV4_OFFSET    0x1fff

static bool is_dhcp_port(uint16_t port)
{
	return port == LEARN_DHCP_SERVER_PORT || port == LEARN_DHCP_CLIENT_PORT;
}

static int udp_parse(struct cursor c, struct learn_frame *f)
{
	uint16_t ulen, csum;
	int r;

	/* The IPv4 payload is complete here, so a short header is malformed, not truncated. */
	if (!cursor_u16be(&c, &f->udp.sport) || !cursor_u16be(&c, &f->udp.dport) ||
	    !cursor_u16be(&c, &ulen) || !cursor_u16be(&c, &csum))
		return -LEARN_DROP_BAD_UDP;
	if (ulen < 8 || !cursor_truncate(&c, ulen - 8u))
		return -LEARN_DROP_BAD_UDP;
	f->is_udp = true;

	/* Either direction, and relays (67 -> 67). */
	if (!is_dhcp_port(f->udp.sport) || !is_dhcp_port(f->udp.dport))
		return 0;
	r = learn_dhcp_parse(c.p, c.rem, &f->dhcp);
	if (r < 0)
		return r;
	f->is_dhcp = true;
	return 0;
}

int learn_ipv4_parse(const uint8_t *buf, size_t len, struct learn_frame *ret)
{
	struct cursor c = cursor_init(buf, len);
	struct learn_frame f = *ret;
	uint8_t vihl, tos, ttl;
	uint16_t total, id, frag, csum;
	size_t hlen;

	if (!cursor_u8(&c, &vihl) || !cursor_u8(&c, &tos) || !cursor_u16be(&c, &total) ||
	    !cursor_u16be(&c, &id) || !cursor_u16be(&c, &frag) || !cursor_u8(&c, &ttl) ||
	    !cursor_u8(&c, &f.ipv4.proto) || !cursor_u16be(&c, &csum) ||
	    !cursor_bytes(&c, f.ipv4.src, 4) || !cursor_bytes(&c, f.ipv4.dst, 4))
		return -LEARN_DROP_TRUNCATED;
	hlen = (size_t)(vihl & 0x0f) * 4;
	if (vihl >> 4 != 4 || hlen < 20 || total < hlen)
		return -LEARN_DROP_BAD_IPV4;
	/* Total length past the capture: a snaplen cut it. Less is link padding. */
	if (total > len)
		return -LEARN_DROP_TRUNCATED;
	/* c has consumed 20 bytes; keep the payload only (total <= len, so this fits). */
	if (!cursor_truncate(&c, total - 20u) || !cursor_skip(&c, hlen - 20))
		return -LEARN_DROP_BAD_IPV4;

	f.l3 = LEARN_L3_IPV4;
	f.ipv4.is_fragment = (frag & (IPV4_MF | IPV4_OFFSET)) != 0;
	f.is_udp = false;
	f.udp = (struct learn_udp){ 0 };
	f.is_dhcp = false;
	f.dhcp = (struct learn_dhcp){ 0 };
	if (!f.ipv4.is_fragment && f.ipv4.proto == IPV4_PROTO_UDP) {
		int r = udp_parse(c, &f);

		if (r < 0)
			return r;
	}
	*ret = f;
	return 0;
}
