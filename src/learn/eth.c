/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ethernet II, as captured on a macvtap's lower device: destination, source,
 * ethertype; the tags and the network layer are learn_l3_parse()'s. The
 * frame check sequence is not part of a capture; trailing padding is left to
 * the IPv4 total length.
 */
#include "learn/frame.h"

#include "util/cursor.h"

int learn_eth_parse(const uint8_t *buf, size_t len, struct learn_frame *ret)
{
	struct cursor c = cursor_init(buf, len);
	struct learn_frame f = { 0 };
	uint16_t ethertype;
	int r;

	if (!cursor_skip(&c, 6) || !cursor_bytes(&c, f.src_mac, 6) || !cursor_u16be(&c, &ethertype))
		return -LEARN_DROP_TRUNCATED;
	f.has_src_mac = true;

	r = learn_l3_parse(ethertype, c.p, c.rem, &f);
	if (r < 0)
		return r;
	*ret = f;
	return 0;
}
