/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A bounds-checked reader over untrusted bytes: a pointer and the number of
 * bytes left. Every read checks `n > rem` first (it cannot overflow, unlike
 * `p + n > end`), and a failed read consumes nothing and writes nothing, so a
 * parser can stop at the first false without cleaning up. Multi-byte values
 * are assembled byte by byte: no alignment assumptions.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cursor {
	const uint8_t *p;
	size_t rem;
};

static inline struct cursor cursor_init(const uint8_t *buf, size_t len)
{
	return (struct cursor){ .p = buf, .rem = buf ? len : 0 };
}

static inline bool cursor_skip(struct cursor *c, size_t n)
{
	if (n > c->rem)
		return false;
	c->p += n;
	c->rem -= n;
	return true;
}

static inline bool cursor_bytes(struct cursor *c, void *ret, size_t n)
{
	if (n > c->rem)
		return false;
	if (n)
		memcpy(ret, c->p, n);
	return cursor_skip(c, n);
}

static inline bool cursor_u8(struct cursor *c, uint8_t *ret)
{
	if (c->rem < 1)
		return false;
	*ret = c->p[0];
	return cursor_skip(c, 1);
}

static inline bool cursor_u16be(struct cursor *c, uint16_t *ret)
{
	if (c->rem < 2)
		return false;
	*ret = (uint16_t)(c->p[0] << 8 | c->p[1]);
	return cursor_skip(c, 2);
}

/* Host byte order: netlink attribute headers (and libpcap's NFLOG TLVs) use it. */
static inline bool cursor_u16host(struct cursor *c, uint16_t *ret)
{
	if (c->rem < 2)
		return false;
	memcpy(ret, c->p, 2);
	return cursor_skip(c, 2);
}

static inline bool cursor_u32be(struct cursor *c, uint32_t *ret)
{
	if (c->rem < 4)
		return false;
	*ret = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 | (uint32_t)c->p[2] << 8 |
	       (uint32_t)c->p[3];
	return cursor_skip(c, 4);
}

/* Splits the next n bytes off into *ret (a cursor of their own) and steps over them. */
static inline bool cursor_sub(struct cursor *c, size_t n, struct cursor *ret)
{
	if (n > c->rem)
		return false;
	*ret = (struct cursor){ .p = c->p, .rem = n };
	return cursor_skip(c, n);
}

/* Forgets everything after the next n bytes (trailing link-layer padding). */
static inline bool cursor_truncate(struct cursor *c, size_t n)
{
	if (n > c->rem)
		return false;
	c->rem = n;
	return true;
}
