/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bytes from a non-blocking socket -> complete lines. The buffer remembers
 * where its last '\n' is (tail), so next() never rescans a partial line and
 * a line arriving one byte per read costs O(n), not O(n^2). feed() checks
 * the length of every line it is given, complete or not, and stores none
 * that is over CTL_LINE_MAX: what is held is complete lines within the cap
 * plus at most CTL_LINE_MAX bytes of the line in progress. A reader that
 * feeds only when ctl_linebuf_has_line() is false therefore holds at most
 * the cap plus one read.
 */
#include "ctl/ctl.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_CAP 4096
/*
 * An empty buffer larger than this is released at the next feed(): a
 * connection that sent one big request does not keep megabytes for the
 * rest of its life.
 */
#define RETAIN_MAX  (64u << 10)

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

static void compact(struct ctl_linebuf *lb)
{
	if (lb->consumed > 0) {
		memmove(lb->buf, lb->buf + lb->consumed, lb->len - lb->consumed);
		lb->len -= lb->consumed;
		lb->tail -= lb->consumed;
		lb->consumed = 0;
	}
	if (lb->len == 0 && lb->cap > RETAIN_MAX) {
		free(lb->buf);
		lb->buf = NULL;
		lb->cap = 0;
	}
}

int ctl_linebuf_feed(struct ctl_linebuf *lb, const void *data, size_t len)
{
	const char *p = data, *end = p + len, *line = p, *nl = NULL;
	size_t partial, keep = len;

	if (lb->is_overflow || lb->is_dead || len == 0)
		return 0;
	compact(lb);
	/* The held part of the line that data continues; 0 once data ends it. */
	partial = lb->len - lb->tail;
	while ((nl = memchr(line, '\n', (size_t)(end - line)))) {
		if ((size_t)(nl - line) > CTL_LINE_MAX - partial)
			break;
		partial = 0;
		line = nl + 1;
	}
	if (nl || (size_t)(end - line) > CTL_LINE_MAX - partial) {
		/*
		 * The line starting at line is too long, whether its '\n' came or
		 * not: keep the complete lines before it, drop it and all that
		 * follows, its held beginning included.
		 */
		lb->is_overflow = true;
		keep = (size_t)(line - p);
		if (keep == 0)
			lb->len = lb->tail;
	}
	if (keep > 0) {
		if (reserve(lb, keep) < 0)
			return -ENOMEM;
		memcpy(lb->buf + lb->len, p, keep);
		if (line > p)
			lb->tail = lb->len + (size_t)(line - p);
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
	assert(n <= CTL_LINE_MAX); /* feed() stores no longer line */
	*nl = '\0';
	lb->consumed += n + 1;
	*ret_line = start;
	*ret_len = n;
	return 1;
}

bool ctl_linebuf_has_line(const struct ctl_linebuf *lb)
{
	return !lb->is_dead && (lb->consumed < lb->tail || lb->is_overflow);
}

size_t ctl_linebuf_pending(const struct ctl_linebuf *lb)
{
	return lb->len - lb->consumed;
}
