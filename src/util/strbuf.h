/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A growable text buffer for formatters and compilers. An allocation failure
 * is sticky: later appends do nothing and strbuf_error() reports -ENOMEM, so
 * callers check once at the end.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *buf; /* owned; always NUL-terminated when not NULL */
	size_t len;
	size_t cap;
	bool failed;
};

void strbuf_init(struct strbuf *sb);
void strbuf_fini(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const char *s);
void strbuf_addn(struct strbuf *sb, const char *s, size_t n);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_reset(struct strbuf *sb);
/* 0, or -ENOMEM when any append failed. */
int strbuf_error(const struct strbuf *sb);
/* Returns the text (never NULL unless an append failed) and leaves sb empty; caller frees. */
char *strbuf_steal(struct strbuf *sb);
