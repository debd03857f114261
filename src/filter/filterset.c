/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The filter set: an array of owned filters kept sorted by name, so a
 * lookup is a binary search and iteration order is the name order. The
 * define-time loop check is a three-colour depth-first search over the
 * references, so a filter reached along several paths (a DAG, which is
 * legal) is explored once.
 */
#include "filter/filterset.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "util/cleanup.h"
#include "util/strbuf.h"
#include "util/sorted.h"

struct filter_set {
	struct filter **filters; /* owned, sorted by name */
	size_t n_filters;
	size_t cap;
};

struct filter_set *filter_set_new(void)
{
	return calloc(1, sizeof(struct filter_set));
}

struct filter_set *filter_set_free(struct filter_set *set)
{
	if (!set)
		return NULL;
	for (size_t i = 0; i < set->n_filters; i++)
		filter_free(set->filters[i]);
	free(set->filters);
	free(set);
	return NULL;
}

/* Index of name, or of the place it would be inserted (with *ret_found false). */
static const char *filter_name_at(const void *ctx, size_t i)
{
	const struct filter_set *set = ctx;

	return set->filters[i]->name;
}

static size_t set_lookup(const struct filter_set *set, const char *name, bool *ret_found)
{
	return sorted_find(set, set->n_filters, filter_name_at, name, ret_found);
}

int filter_set_add(struct filter_set *set, struct filter *f, struct filter **ret_old)
{
	bool found;
	size_t i;

	assert(set);
	assert(f);
	if (!f->name)
		return -EINVAL;

	i = set_lookup(set, f->name, &found);
	if (found) {
		struct filter *old = set->filters[i];

		set->filters[i] = f;
		if (ret_old)
			*ret_old = old;
		else
			filter_free(old);
		return 0;
	}

	if (set->n_filters == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 16;
		struct filter **p = reallocarray(set->filters, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		set->filters = p;
		set->cap = cap;
	}
	memmove(&set->filters[i + 1], &set->filters[i],
		(set->n_filters - i) * sizeof(set->filters[0]));
	set->filters[i] = f;
	set->n_filters++;
	if (ret_old)
		*ret_old = NULL;
	return 0;
}

const struct filter *filter_set_find(const struct filter_set *set, const char *name)
{
	bool found;
	size_t i;

	if (!set || !name)
		return NULL;
	i = set_lookup(set, name, &found);
	return found ? set->filters[i] : NULL;
}

struct filter *filter_set_remove(struct filter_set *set, const char *name)
{
	struct filter *f;
	bool found;
	size_t i;

	if (!set || !name)
		return NULL;
	i = set_lookup(set, name, &found);
	if (!found)
		return NULL;
	f = set->filters[i];
	memmove(&set->filters[i], &set->filters[i + 1],
		(set->n_filters - i - 1) * sizeof(set->filters[0]));
	set->n_filters--;
	return f;
}

size_t filter_set_size(const struct filter_set *set)
{
	return set ? set->n_filters : 0;
}

const struct filter *filter_set_get(const struct filter_set *set, size_t i)
{
	assert(set && i < set->n_filters);
	return set->filters[i];
}

int filter_path_err(struct err *err, int code, const char *const *path, size_t n_path,
		    const char *fmt, ...)
{
	char tail[ERR_MSG_MAX];
	struct strbuf sb;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tail, sizeof(tail), fmt, ap);
	va_end(ap);

	strbuf_init(&sb);
	strbuf_add(&sb, "filter ");
	for (size_t i = 0; i < n_path; i++)
		strbuf_addf(&sb, "%s'%s'", i ? " -> " : "", path[i]);
	strbuf_addf(&sb, ": %s", tail);
	/* Without memory for the path, the cause alone still tells the user something. */
	code = err_set(err, code, "%s", strbuf_error(&sb) ? tail : sb.buf);
	strbuf_fini(&sb);
	return code;
}

enum visit_state {
	VISIT_NEW,
	VISIT_ACTIVE, /* on the current path */
	VISIT_DONE,   /* fully explored, no cycle below */
};

struct loop_check {
	const struct filter_set *set;
	const struct filter *candidate;
	enum visit_state *state; /* n_filters + 1 entries; the last is the candidate */
	const char *path[FILTER_SET_DEPTH_MAX + 2];
	struct err *err;
};

/* Node index of the filter named name as the candidate would see the set; -1 when missing. */
static ssize_t loop_node(const struct loop_check *lc, const char *name, const struct filter **ret)
{
	bool found;
	size_t i;

	if (strcmp(name, lc->candidate->name) == 0) {
		*ret = lc->candidate;
		return (ssize_t)lc->set->n_filters;
	}
	i = set_lookup(lc->set, name, &found);
	if (!found)
		return -1;
	*ret = lc->set->filters[i];
	return (ssize_t)i;
}

static int loop_visit(struct loop_check *lc, const struct filter *f, size_t node, size_t depth)
{
	lc->path[depth] = f->name;
	if (depth > FILTER_SET_DEPTH_MAX)
		return filter_path_err(lc->err, -E2BIG, lc->path, depth + 1,
				       "filter references nest deeper than %d levels",
				       FILTER_SET_DEPTH_MAX);
	lc->state[node] = VISIT_ACTIVE;
	for (size_t i = 0; i < f->n_entries; i++) {
		const struct filter *next;
		ssize_t n;
		int r;

		if (f->entries[i].kind != FILTER_ENTRY_REF)
			continue;
		n = loop_node(lc, f->entries[i].ref->filter, &next);
		if (n < 0 || lc->state[n] == VISIT_DONE)
			continue;
		if (lc->state[n] == VISIT_ACTIVE) {
			lc->path[depth + 1] = next->name;
			return filter_path_err(lc->err, -ELOOP, lc->path, depth + 2,
					       "reference cycle");
		}
		r = loop_visit(lc, next, (size_t)n, depth + 1);
		if (r < 0)
			return r;
	}
	lc->state[node] = VISIT_DONE;
	return 0;
}

int filter_set_check_loop(const struct filter_set *set, const struct filter *f, struct err *err)
{
	_cleanup_free_ enum visit_state *state = NULL;
	struct loop_check lc = { .set = set, .candidate = f, .err = err };

	assert(set && f && f->name);
	state = calloc(set->n_filters + 1, sizeof(*state));
	if (!state)
		return -ENOMEM;
	lc.state = state;
	return loop_visit(&lc, f, set->n_filters, 0);
}
