/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCP messages (RFC 2131 section 2, options RFC 2132): the 236-byte BOOTP
 * fixed part, the magic cookie, then the options walked with a cursor.
 *
 * Only the options the policy uses are read, each with its exact size; a
 * wrong size or a second copy of one of them is BAD_OPTIONS (RFC 3396
 * concatenation does not apply to fixed-size options, and two message types
 * in one packet leave no right answer). Other options are skipped by their
 * length. Pads are free; other options are capped at DHCP_OPTIONS_MAX.
 * A missing END is accepted when the options end exactly at the end of the
 * message.
 *
 * Option overload (52): the sname and file fields are never read as options.
 * An option that only appears there is ignored; when that is the message type,
 * msg_type stays 0 and the policy ignores the message. Servers do not put the
 * options we use there in practice, and being blind to them can only make us
 * learn less, never learn wrongly.
 */
#include "learn/frame.h"

#include <string.h>

#include "util/cursor.h"

#define BOOTP_FIXED_LEN  236
#define DHCP_OPTIONS_MAX 256

#define OPT_PAD            0
#define OPT_REQUESTED_ADDR 50
#define OPT_LEASE_TIME     51
#define OPT_MESSAGE_TYPE   53
#define OPT_SERVER_ID      54
#define OPT_RENEWAL_TIME   58
#define OPT_REBINDING_TIME 59
#define OPT_END            255

static const uint8_t magic_cookie[4] = { 99, 130, 83, 99 };

static int bootp_parse(struct cursor *c, struct learn_dhcp *d)
{
	uint8_t hops, chaddr[16];
	uint16_t secs;

	if (c->rem < BOOTP_FIXED_LEN)
		return -LEARN_DROP_BAD_BOOTP;
	/* The fixed part fits: these reads cannot fail. */
	(void)(cursor_u8(c, &d->op) && cursor_u8(c, &d->htype) && cursor_u8(c, &d->hlen) &&
	       cursor_u8(c, &hops) && cursor_u32be(c, &d->xid) && cursor_u16be(c, &secs) &&
	       cursor_u16be(c, &d->flags) && cursor_bytes(c, d->ciaddr, 4) &&
	       cursor_bytes(c, d->yiaddr, 4) && cursor_bytes(c, d->siaddr, 4) &&
	       cursor_bytes(c, d->giaddr, 4) && cursor_bytes(c, chaddr, 16) &&
	       cursor_skip(c, 64 + 128)); /* sname, file */
	if ((d->op != LEARN_BOOTREQUEST && d->op != LEARN_BOOTREPLY) || d->hlen > sizeof(chaddr))
		return -LEARN_DROP_BAD_BOOTP;
	if (d->htype == 1 && d->hlen == 6)
		memcpy(d->chaddr, chaddr, 6);
	return 0;
}

/* One option we use: exact size, at most once. */
static int option_take(struct learn_dhcp *d, uint8_t code, struct cursor v, uint64_t *seen)
{
	size_t want = code == OPT_MESSAGE_TYPE ? 1 : 4;
	uint32_t u32 = 0;

	if (v.rem != want || (*seen & (UINT64_C(1) << (code - 48))))
		return -LEARN_DROP_BAD_OPTIONS;
	*seen |= UINT64_C(1) << (code - 48);

	switch (code) {
	case OPT_MESSAGE_TYPE:
		(void)cursor_u8(&v, &d->msg_type);
		/* 0 means "none" in struct learn_dhcp; no type 0 exists. */
		return d->msg_type == 0 ? -LEARN_DROP_BAD_OPTIONS : 0;
	case OPT_SERVER_ID:
		d->has_server_id = cursor_bytes(&v, d->server_id, 4);
		return 0;
	case OPT_REQUESTED_ADDR:
		d->has_requested = cursor_bytes(&v, d->requested, 4);
		return 0;
	default:
		break;
	}
	(void)cursor_u32be(&v, &u32);
	if (code == OPT_LEASE_TIME) {
		d->has_lease = true;
		d->lease_s = u32;
	} else if (code == OPT_RENEWAL_TIME) {
		d->has_t1 = true;
		d->t1 = u32;
	} else {
		d->has_t2 = true;
		d->t2 = u32;
	}
	return 0;
}

static int options_parse(struct cursor c, struct learn_dhcp *d)
{
	uint64_t seen = 0; /* bit (code - 48) for the codes we read, all in 50..59 */
	unsigned n = 0;
	uint8_t code, olen;

	/* Each pass consumes at least one byte, so this ends with the message. */
	while (cursor_u8(&c, &code)) {
		struct cursor v;
		int r;

		if (code == OPT_PAD)
			continue;
		if (code == OPT_END)
			return 0; /* what follows is padding */
		if (++n > DHCP_OPTIONS_MAX)
			return -LEARN_DROP_BAD_OPTIONS;
		if (!cursor_u8(&c, &olen) || !cursor_sub(&c, olen, &v))
			return -LEARN_DROP_BAD_OPTIONS;
		switch (code) {
		case OPT_MESSAGE_TYPE:
		case OPT_SERVER_ID:
		case OPT_REQUESTED_ADDR:
		case OPT_LEASE_TIME:
		case OPT_RENEWAL_TIME:
		case OPT_REBINDING_TIME:
			r = option_take(d, code, v, &seen);
			if (r < 0)
				return r;
			break;
		default:
			break; /* unknown, or known and unused: skip */
		}
	}
	return 0;
}

int learn_dhcp_parse(const uint8_t *buf, size_t len, struct learn_dhcp *ret)
{
	struct cursor c = cursor_init(buf, len);
	struct learn_dhcp d = { 0 };
	uint8_t cookie[4];
	int r;

	r = bootp_parse(&c, &d);
	if (r < 0)
		return r;
	/* Without the cookie this is plain BOOTP (RFC 951): no options to read. */
	if (cursor_bytes(&c, cookie, 4) && memcmp(cookie, magic_cookie, 4) == 0) {
		d.has_cookie = true;
		r = options_parse(c, &d);
		if (r < 0)
			return r;
	}
	*ret = d;
	return 0;
}
