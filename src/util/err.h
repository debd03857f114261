/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Error values that reach a user: an errno-style code plus one human sentence
 * naming what failed, where, and why. Functions return -errno and fill
 * struct err when the caller passed one.
 */
#pragma once

#include <stdarg.h>

#define ERR_MSG_MAX 1024

struct err {
	int code; /* negative errno, 0 when no error was set */
	char msg[ERR_MSG_MAX];
};

/* Sets *err (when err is not NULL) and returns code, which must be negative. */
int err_set(struct err *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int err_setv(struct err *err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * Prefixes the message already in err with more context ("while doing X: ")
 * and returns r, the callee's result (negative). A callee that set no
 * message leaves strerror(-r) to be prefixed.
 */
int err_prefix(struct err *err, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

void err_clear(struct err *err);
