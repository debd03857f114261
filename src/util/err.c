/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Error values: errno code plus a sentence for the user. */
#include "err.h"

#include <assert.h>
#include <stdio.h>
#include <string.h>

int err_setv(struct err *err, int code, const char *fmt, va_list ap)
{
	assert(code < 0);
	if (err) {
		err->code = code;
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	}
	return code;
}

int err_set(struct err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	code = err_setv(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int err_prefix(struct err *err, int r, const char *fmt, ...)
{
	char joined[ERR_MSG_MAX];
	va_list ap;
	int n;

	assert(r < 0);
	if (!err)
		return r;
	/* a callee that failed without a message (a bare -ENOMEM) still gets one */
	if (err->code == 0 || !err->msg[0])
		snprintf(err->msg, sizeof(err->msg), "%s", strerror(-r));
	err->code = r;
	va_start(ap, fmt);
	n = vsnprintf(joined, sizeof(joined), fmt, ap);
	va_end(ap);
	if (n < 0)
		return r;
	if ((size_t)n < sizeof(joined) - 1) {
		size_t room = sizeof(joined) - 1 - (size_t)n, len = strnlen(err->msg, room);

		memcpy(joined + n, err->msg, len);
		joined[(size_t)n + len] = '\0';
	}
	memcpy(err->msg, joined, sizeof(err->msg));
	return r;
}

void err_clear(struct err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
