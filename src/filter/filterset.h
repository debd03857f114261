/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The named collection of filter definitions (libvirt's filter pool). The
 * set owns its filters; lookups hand out borrowed pointers that stay valid
 * until the filter is replaced or removed, or the set is freed. Iteration
 * is in name order (strcmp), so listings are stable.
 */
#pragma once

#include <stddef.h>

#include "filter/filter.h"
#include "util/err.h"

/* How deeply filterrefs may nest below the binding's filter (libvirt has no limit). */
#define FILTER_SET_DEPTH_MAX 64

struct filter_set;

/* NULL on -ENOMEM. */
struct filter_set *filter_set_new(void);
/* Frees the set and every filter in it; NULL-safe; returns NULL. */
struct filter_set *filter_set_free(struct filter_set *set);

/*
 * Adds f (which must have a name). On success the set takes ownership of f;
 * a filter of the same name is replaced and handed to the caller through
 * *ret_old (caller frees it; NULL when there was none), or freed when
 * ret_old is NULL. On failure nothing changes and the caller still owns f.
 * Returns 0, -EINVAL (no name), -ENOMEM.
 */
int filter_set_add(struct filter_set *set, struct filter *f, struct filter **ret_old);

/* The filter named name, or NULL. Borrowed. */
const struct filter *filter_set_find(const struct filter_set *set, const char *name);

/* Removes the filter named name and returns it (caller owns), or NULL when absent. */
struct filter *filter_set_remove(struct filter_set *set, const char *name);

size_t filter_set_size(const struct filter_set *set);
/* The i-th filter in name order (i < filter_set_size()). Borrowed. */
const struct filter *filter_set_get(const struct filter_set *set, size_t i);

/*
 * The define-time loop check (libvirt checks it when a filter is defined):
 * would f, if it replaced the filter of its name, be part of a reference
 * cycle through the filters that exist now? References to missing filters
 * are allowed here; they only fail at instantiation. Returns 0, or -ELOOP
 * with "filter 'a' -> 'b' -> 'a': reference cycle", -E2BIG when the
 * references nest deeper than FILTER_SET_DEPTH_MAX.
 */
int filter_set_check_loop(const struct filter_set *set, const struct filter *f, struct err *err);

/*
 * Sets err to "filter 'a' -> 'b' -> 'c': " followed by the formatted text,
 * naming a path of filter references from the outermost filter; returns code.
 */
int filter_path_err(struct err *err, int code, const char *const *path, size_t n_path,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static inline void filter_set_freep(struct filter_set **set)
{
	*set = filter_set_free(*set);
}
