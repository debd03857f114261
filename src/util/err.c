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

int err_prefix(struct err *err, const char *fmt, ...)
{
	char prefix[ERR_MSG_MAX], joined[ERR_MSG_MAX];
	va_list ap;

	if (!err)
		return 0;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	snprintf(joined, sizeof(joined), "%s%s", prefix, err->msg);
	memcpy(err->msg, joined, sizeof(err->msg));
	return err->code;
}

void err_clear(struct err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
