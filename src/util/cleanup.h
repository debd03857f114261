/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Scope-bound cleanup of locals (the systemd idiom): one owner, freed on every path. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))

static inline void freep(void *p)
{
	free(*(void **)p);
}

static inline void closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define _cleanup_free_   _cleanup_(freep)
#define _cleanup_close_  _cleanup_(closep)
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hands ownership out of a _cleanup_ local. */
#define TAKE_PTR(p)                         \
	({                                  \
		__typeof__(p) taken_ = (p); \
		(p) = NULL;                 \
		taken_;                     \
	})

#define DEFINE_FREEP(type, fn)             \
	static inline void fn##p(type **p) \
	{                                  \
		if (*p)                    \
			(void)fn(*p);      \
	}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
