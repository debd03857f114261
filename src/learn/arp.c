/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ARP (RFC 826) for Ethernet and IPv4 only: 28 bytes, hardware type 1,
 * protocol 0x0800, address lengths 6 and 4. The operation is not judged
 * here; the policy takes requests and replies.
 */
#include "learn/frame.h"

#include "util/cursor.h"

#define ARP_HTYPE_ETHER 1

int learn_arp_parse(const uint8_t *buf, size_t len, struct learn_arp *ret)
{
	struct cursor c = cursor_init(buf, len);
	struct learn_arp a;
	uint16_t htype, ptype;
	uint8_t hlen, plen;

	if (!cursor_u16be(&c, &htype) || !cursor_u16be(&c, &ptype) || !cursor_u8(&c, &hlen) ||
	    !cursor_u8(&c, &plen) || !cursor_u16be(&c, &a.op))
		return -LEARN_DROP_TRUNCATED;
	/* Check the shape before the addresses: their sizes depend on it. */
	if (htype != ARP_HTYPE_ETHER || ptype != LEARN_ETHERTYPE_IPV4 || hlen != 6 || plen != 4)
		return -LEARN_DROP_BAD_ARP;
	if (!cursor_bytes(&c, a.sha, 6) || !cursor_bytes(&c, a.spa, 4) ||
	    !cursor_bytes(&c, a.tha, 6) || !cursor_bytes(&c, a.tpa, 4))
		return -LEARN_DROP_TRUNCATED;
	/* Whatever follows (Ethernet padding to 60 bytes) is ignored. */
	*ret = a;
	return 0;
}
