/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * DHCPv6 client/server messages (RFC 8415 8): message type, 24-bit
 * transaction id, then options (2-byte code, 2-byte length), walked with a
 * cursor and capped per level. Zero-length options are legal here (rapid
 * commit is one) and the 4-byte header still advances the walk.
 *
 * Nesting follows the RFC and goes no deeper: IA_NA/IA_TA at the top level,
 * IAADDR and status code inside an IA, status code inside an IAADDR. An IA
 * inside an IA (or an IAADDR) and an IAADDR at the top level are rejected.
 * Relay messages are rejected: a guest port has no business relaying.
 * DUIDs are copied up to LEARN6_DUID_MAX, the RFC's maximum; longer is
 * malformed. A second client or server identifier is malformed.
 */
#include "learn/frame6.h"

#include <string.h>

#include "util/cleanup.h"
#include "util/cursor.h"

#define OPT_CLIENTID     1
#define OPT_SERVERID     2
#define OPT_IA_NA        3
#define OPT_IA_TA        4
#define OPT_IAADDR       5
#define OPT_STATUS_CODE  13
#define OPT_RAPID_COMMIT 14

static const char *const msg_names[_LEARN_DHCPV6_MSG_MAX] = {
	[LEARN_DHCPV6_NONE] = "none",
	[LEARN_DHCPV6_SOLICIT] = "solicit",
	[LEARN_DHCPV6_ADVERTISE] = "advertise",
	[LEARN_DHCPV6_REQUEST] = "request",
	[LEARN_DHCPV6_CONFIRM] = "confirm",
	[LEARN_DHCPV6_RENEW] = "renew",
	[LEARN_DHCPV6_REBIND] = "rebind",
	[LEARN_DHCPV6_REPLY] = "reply",
	[LEARN_DHCPV6_RELEASE] = "release",
	[LEARN_DHCPV6_DECLINE] = "decline",
	[LEARN_DHCPV6_RECONFIGURE] = "reconfigure",
	[LEARN_DHCPV6_INFORMATION_REQUEST] = "information-request",
	[LEARN_DHCPV6_RELAY_FORW] = "relay-forw",
	[LEARN_DHCPV6_RELAY_REPL] = "relay-repl",
};

const char *learn_dhcpv6_msg_name(enum learn_dhcpv6_msg type)
{
	if ((unsigned)type >= ARRAY_SIZE(msg_names) || !msg_names[type])
		return "unknown";
	return msg_names[type];
}

/* The next option of c: its code and its value as a cursor of its own. */
static int option_next(struct cursor *c, unsigned *n, uint16_t *code, struct cursor *v)
{
	uint16_t olen;

	if (++*n > LEARN6_DHCP_OPTIONS_MAX)
		return -LEARN6_DROP_TOO_MANY_OPTIONS;
	if (!cursor_u16be(c, code) || !cursor_u16be(c, &olen) || !cursor_sub(c, olen, v))
		return -LEARN6_DROP_BAD_DHCPV6_OPTION;
	return 0;
}

/* Status code (RFC 8415 21.13): 2 bytes, then a UTF-8 message we do not keep. */
static int status_take(struct cursor v, bool *has, uint16_t *status)
{
	if (!cursor_u16be(&v, status))
		return -LEARN6_DROP_BAD_DHCPV6_OPTION;
	*has = true;
	return 0;
}

/* IAADDR (RFC 8415 21.6): address, preferred, valid, then options (status only). */
static int iaaddr_parse(struct cursor v, struct learn6_iaaddr *a)
{
	unsigned n = 0;

	if (!cursor_bytes(&v, a->addr, 16) || !cursor_u32be(&v, &a->preferred_s) ||
	    !cursor_u32be(&v, &a->valid_s))
		return -LEARN6_DROP_BAD_DHCPV6_OPTION;
	while (v.rem > 0) {
		struct cursor o;
		uint16_t code;
		int r = option_next(&v, &n, &code, &o);

		if (r < 0)
			return r;
		if (code == OPT_IA_NA || code == OPT_IA_TA || code == OPT_IAADDR)
			return -LEARN6_DROP_DHCPV6_NESTING;
		if (code == OPT_STATUS_CODE) {
			r = status_take(o, &a->has_status, &a->status);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* IA_NA (21.4): IAID, T1, T2, options; IA_TA (21.5): IAID, options. */
static int ia_parse(uint16_t type, struct cursor v, struct learn6_ia *ia)
{
	unsigned n = 0;

	ia->type = type;
	if (!cursor_u32be(&v, &ia->iaid))
		return -LEARN6_DROP_BAD_DHCPV6_OPTION;
	if (type == OPT_IA_NA && (!cursor_u32be(&v, &ia->t1) || !cursor_u32be(&v, &ia->t2)))
		return -LEARN6_DROP_BAD_DHCPV6_OPTION;
	while (v.rem > 0) {
		struct learn6_iaaddr a = { 0 };
		struct cursor o;
		uint16_t code;
		int r = option_next(&v, &n, &code, &o);

		if (r < 0)
			return r;
		switch (code) {
		case OPT_IA_NA:
		case OPT_IA_TA:
			return -LEARN6_DROP_DHCPV6_NESTING;
		case OPT_STATUS_CODE:
			r = status_take(o, &ia->has_status, &ia->status);
			break;
		case OPT_IAADDR:
			r = iaaddr_parse(o, &a);
			if (r < 0)
				break;
			if (ia->n_addrs < LEARN6_IAADDR_MAX)
				ia->addrs[ia->n_addrs++] = a;
			else
				ia->has_more_addrs = true;
			break;
		default:
			break;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

static int duid_take(struct cursor v, uint8_t *duid, size_t *duid_len)
{
	/* A DUID is a 2-byte type and at least one byte (RFC 8415 11.1). */
	if (*duid_len != 0 || v.rem < 3 || v.rem > LEARN6_DUID_MAX)
		return -LEARN6_DROP_BAD_DHCPV6_OPTION;
	*duid_len = v.rem;
	memcpy(duid, v.p, v.rem);
	return 0;
}

static int option_take(uint16_t code, struct cursor v, struct learn_dhcpv6 *d)
{
	struct learn6_ia ia = { 0 };
	int r;

	switch (code) {
	case OPT_CLIENTID:
		return duid_take(v, d->client_id, &d->client_id_len);
	case OPT_SERVERID:
		return duid_take(v, d->server_id, &d->server_id_len);
	case OPT_RAPID_COMMIT:
		if (v.rem != 0)
			return -LEARN6_DROP_BAD_DHCPV6_OPTION;
		d->has_rapid_commit = true;
		return 0;
	case OPT_STATUS_CODE:
		return status_take(v, &d->has_status, &d->status);
	case OPT_IAADDR:
		return -LEARN6_DROP_DHCPV6_NESTING;
	case OPT_IA_NA:
	case OPT_IA_TA:
		r = ia_parse(code, v, &ia);
		if (r < 0)
			return r;
		if (d->n_ias < LEARN6_IA_MAX)
			d->ias[d->n_ias++] = ia;
		else
			d->has_more_ias = true;
		return 0;
	default:
		return 0;
	}
}

int learn_dhcpv6_parse(const uint8_t *buf, size_t len, struct learn_dhcpv6 *ret)
{
	struct cursor c = cursor_init(buf, len);
	struct learn_dhcpv6 d = { 0 };
	uint32_t head;
	unsigned n = 0;

	if (!cursor_u32be(&c, &head))
		return -LEARN6_DROP_TRUNCATED;
	d.msg_type = head >> 24;
	d.xid = head & 0xffffff;
	if (d.msg_type == LEARN_DHCPV6_RELAY_FORW || d.msg_type == LEARN_DHCPV6_RELAY_REPL)
		return -LEARN6_DROP_DHCPV6_RELAY;
	if (d.msg_type == LEARN_DHCPV6_NONE || d.msg_type >= _LEARN_DHCPV6_MSG_MAX)
		return -LEARN6_DROP_BAD_DHCPV6;
	while (c.rem > 0) {
		struct cursor v;
		uint16_t code;
		int r = option_next(&c, &n, &code, &v);

		if (r < 0)
			return r;
		r = option_take(code, v, &d);
		if (r < 0)
			return r;
	}
	*ret = d;
	return 0;
}
