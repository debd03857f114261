/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bytes from a non-blocking socket -> complete lines. The buffer remembers
 * where its last '\n' is (tail), so next() never rescans a partial line and
 * a line arriving one byte per read costs O(n), not O(n^2). A partial line
 * that outgrows CTL_LINE_MAX is dropped on arrival, so memory stays bounded
 * by the limit plus one read.
 */
#include "ctl/ctl.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP 4096

void ctl_linebuf_init(struct ctl_linebuf *lb)
{
	*lb = (struct ctl_linebuf){ 0 };
}

void ctl_linebuf_fini(struct ctl_linebuf *lb)
{
	if (!lb)
		return;
	free(lb->buf);
	*lb = (struct ctl_linebuf){ 0 };
}

static int reserve(struct ctl_linebuf *lb, size_t more)
{
	size_t cap = lb->cap ? lb->cap : INITIAL_CAP;
	char *buf;

	if (more > SIZE_MAX / 2 - lb->len)
		return -ENOMEM;
	if (lb->len + more <= lb->cap)
		return 0;
	while (cap < lb->len + more)
		cap *= 2;
	buf = realloc(lb->buf, cap);
	if (!buf)
		return -ENOMEM;
	lb->buf = buf;
	lb->cap = cap;
	return 0;
}

int ctl_linebuf_feed(struct ctl_linebuf *lb, const void *data, size_t len)
{
	const char *p = data, *nl;
	size_t complete, keep;

	if (lb->is_overflow || lb->is_dead || len == 0)
		return 0;
	if (lb->consumed > 0) {
		memmove(lb->buf, lb->buf + lb->consumed, lb->len - lb->consumed);
		lb->len -= lb->consumed;
		lb->tail -= lb->consumed;
		lb->consumed = 0;
	}
	nl = memrchr(p, '\n', len);
	complete = nl ? (size_t)(nl - p) + 1 : 0; /* bytes of data up to its last '\n' */
	keep = len;
	if ((nl ? len - complete : lb->len - lb->tail + len) > CTL_LINE_MAX) {
		/* The partial line at the end is already too long: keep what precedes it. */
		lb->is_overflow = true;
		keep = complete;
		if (!nl)
			lb->len = lb->tail;
	}
	if (keep > 0) {
		if (reserve(lb, keep) < 0)
			return -ENOMEM;
		memcpy(lb->buf + lb->len, p, keep);
		if (nl)
			lb->tail = lb->len + complete;
		lb->len += keep;
	}
	return 0;
}

static int fail(struct ctl_linebuf *lb)
{
	/* Lines handed out stay valid until the next feed(), so keep the memory. */
	lb->is_dead = true;
	lb->len = lb->tail = lb->consumed = 0;
	return -EMSGSIZE;
}

int ctl_linebuf_next(struct ctl_linebuf *lb, const char **ret_line, size_t *ret_len)
{
	char *start, *nl;
	size_t n;

	if (lb->is_dead)
		return 0;
	if (lb->consumed == lb->tail)
		return lb->is_overflow ? fail(lb) : 0;
	start = lb->buf + lb->consumed;
	nl = memchr(start, '\n', lb->tail - lb->consumed);
	assert(nl); /* tail is just past a '\n' */
	n = (size_t)(nl - start);
	if (n > CTL_LINE_MAX)
		return fail(lb);
	*nl = '\0';
	lb->consumed += n + 1;
	*ret_line = start;
	*ret_len = n;
	return 1;
}

size_t ctl_linebuf_pending(const struct ctl_linebuf *lb)
{
	return lb->len - lb->consumed;
}
