/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The expansion of one rule instance into the combinations of variable
 * values that each yield one concrete rule, as libvirt's
 * virNWFilterVarCombIter does it (see instantiate.h for the exact order).
 * The one idea to keep in mind: accesses that walk lists in parallel form a
 * group (one per iterator id, one per $X[N] element access), and the
 * combinations are an odometer over the groups' de-duplicated positions.
 */
#include "filter/instantiate.h"
#include "filter/instantiate-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

/* ---- variable accesses of one rule ---- */

static bool ref_equal(const struct filter_var_ref *a, const struct filter_var_ref *b)
{
	return a->access == b->access && a->index == b->index && strcmp(a->name, b->name) == 0;
}

/* Index of ref among the n accesses in refs, appending it when new. */
static size_t access_add(const struct filter_var_ref **refs, size_t *n,
			 const struct filter_var_ref *ref)
{
	for (size_t i = 0; i < *n; i++)
		if (ref_equal(refs[i], ref))
			return i;
	refs[*n] = ref;
	return (*n)++;
}

size_t instance_rule_accesses(const struct filter_rule *r, const struct filter_var_ref **refs,
			      int *attr_access)
{
	const struct filter_proto_info *pi = &filter_proto_info[r->proto];
	size_t n = 0;

	if (attr_access)
		for (size_t id = 0; id < FILTER_ATTR__MAX; id++)
			attr_access[id] = -1;
	for (size_t i = 0; i < pi->n_attrs; i++) {
		const struct filter_attr *attr = &r->attrs[pi->attrs[i].id];
		size_t a;

		if (!attr->is_set || !attr->is_var)
			continue;
		a = access_add(refs, &n, &attr->var);
		if (attr_access)
			attr_access[pi->attrs[i].id] = (int)a;
	}
	return n;
}

const struct filter_var *instance_access_var(const struct filter_params *vars,
					     const struct filter_var_ref *ref)
{
	const struct filter_var *v = filter_params_find(vars, ref->name);

	if (!v || v->n_values == 0)
		return NULL;
	if (ref->access == FILTER_VAR_ELEMENT && ref->index >= v->n_values)
		return NULL;
	return v;
}

char *instance_access_format(const struct filter_var_ref *ref)
{
	char *s = NULL;
	int r;

	if (ref->access == FILTER_VAR_ELEMENT)
		r = asprintf(&s, "%s[%u]", ref->name, ref->index);
	else if (ref->index != 0)
		r = asprintf(&s, "%s[@%u]", ref->name, ref->index);
	else
		r = asprintf(&s, "%s", ref->name);
	return r < 0 ? NULL : s;
}

/* ---- expansion ---- */

struct group {
	bool is_element;
	unsigned iter_id;
	size_t card; /* list length shared by the members */
	size_t members[FILTER_ATTR__MAX];
	size_t n_members;
	size_t *positions; /* owned: the positions kept after de-duplication, ascending */
	size_t n_positions;
};

struct expand_ctx {
	const struct instance_rule *ir;
	struct expansion *e;
	struct group *groups; /* owned; room for n_accesses + 1 */
	size_t n_groups;
	struct err *err;
};

static size_t rule_number(const struct instance_rule *ir)
{
	size_t n = 0;

	for (size_t i = 0; i < ir->filter->n_entries; i++) {
		if (ir->filter->entries[i].kind != FILTER_ENTRY_RULE)
			continue;
		n++;
		if (ir->filter->entries[i].rule == ir->rule)
			break;
	}
	return n;
}

static int expand_err(const struct expand_ctx *c, int code, const char *what)
{
	return err_set(c->err, code, "filter '%s', rule %zu: %s", c->ir->filter->name,
		       rule_number(c->ir), what);
}

static int group_join_err(const struct expand_ctx *c, const struct group *g, size_t a)
{
	const struct expansion_access *first = &c->e->accesses[g->members[0]];
	const struct expansion_access *acc = &c->e->accesses[a];
	_cleanup_free_ char *t1 = instance_access_format(first->ref),
			    *t2 = instance_access_format(acc->ref);
	char msg[ERR_MSG_MAX];

	if (!t1 || !t2)
		return -ENOMEM;
	snprintf(msg, sizeof(msg),
		 "Cardinality of list items must be the same for processing them in parallel "
		 "($%s has %zu values, $%s has %zu)",
		 t1, first->var->n_values, t2, acc->var->n_values);
	return expand_err(c, -EINVAL, msg);
}

/* Puts access a into its group: one per iterator id, one per element access. */
static int group_assign(struct expand_ctx *c, size_t a)
{
	struct expansion_access *acc = &c->e->accesses[a];
	const struct filter_var_ref *ref = acc->ref;
	struct group *g = NULL;

	if (ref->access == FILTER_VAR_ITERATOR)
		for (size_t i = 0; i < c->n_groups && !g; i++)
			if (!c->groups[i].is_element && c->groups[i].iter_id == ref->index)
				g = &c->groups[i];
	if (!g) {
		g = &c->groups[c->n_groups++];
		g->is_element = ref->access == FILTER_VAR_ELEMENT;
		g->iter_id = g->is_element ? 0 : ref->index;
	}
	if (g->is_element)
		g->card = 1;
	else if (g->n_members == 0)
		g->card = acc->var->n_values;
	else if (g->card != acc->var->n_values)
		return group_join_err(c, g, a);
	g->members[g->n_members++] = a;
	acc->group = (size_t)(g - c->groups);
	return 0;
}

struct tuple_ctx {
	const struct expansion *e;
	const struct group *g;
};

static int tuple_cmp(const struct tuple_ctx *t, size_t a, size_t b)
{
	for (size_t m = 0; m < t->g->n_members; m++) {
		const struct filter_var *v = t->e->accesses[t->g->members[m]].var;
		int c = strcmp(v->values[a], v->values[b]);

		if (c)
			return c;
	}
	return 0;
}

/* Orders positions by their tuple of member values, then by position. */
static int tuple_order(const void *pa, const void *pb, void *userdata)
{
	size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
	int c = tuple_cmp(userdata, a, b);

	if (c)
		return c;
	return a < b ? -1 : a > b;
}

/*
 * libvirt's virNWFilterVarCombIterEntryAreUniqueEntries, in O(n log n):
 * after sorting positions by tuple, a position equal to its predecessor
 * repeats an earlier one.
 */
static int group_positions(struct expand_ctx *c, struct group *g)
{
	_cleanup_free_ size_t *order = NULL;
	_cleanup_free_ bool *keep = NULL;
	struct tuple_ctx t = { .e = c->e, .g = g };
	size_t n = g->n_members && !g->is_element ? g->card : 1;

	g->positions = calloc(n, sizeof(*g->positions));
	order = calloc(n, sizeof(*order));
	keep = calloc(n, sizeof(*keep));
	if (!g->positions || !order || !keep)
		return -ENOMEM;
	if (g->is_element) {
		g->positions[g->n_positions++] = c->e->accesses[g->members[0]].ref->index;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		order[i] = i;
	if (n > 1)
		qsort_r(order, n, sizeof(order[0]), tuple_order, &t);
	/* Equal tuples sort by position, so the first of each run is the earliest. */
	for (size_t i = 0; i < n; i++)
		keep[order[i]] = i == 0 || tuple_cmp(&t, order[i - 1], order[i]) != 0;
	for (size_t i = 0; i < n; i++)
		if (keep[i])
			g->positions[g->n_positions++] = i;
	return 0;
}

static int expand_missing_err(const struct expand_ctx *c, const struct filter_var_ref *ref)
{
	const struct filter_var *v = filter_params_find(c->ir->vars, ref->name);
	_cleanup_free_ char *text = instance_access_format(ref);
	char msg[ERR_MSG_MAX];

	if (!text)
		return -ENOMEM;
	if (v && v->n_values > 0)
		snprintf(msg, sizeof(msg), "$%s is beyond the end of %s (%zu values)", text,
			 ref->name, v->n_values);
	else
		snprintf(msg, sizeof(msg), "variable $%s has no value", text);
	return expand_err(c, -ENOENT, msg);
}

/* The odometer: group 0 is the least significant digit, so it changes fastest. */
static int expand_fill(struct expand_ctx *c)
{
	struct expansion *e = c->e;
	size_t total = 1, digit[FILTER_ATTR__MAX + 1];

	for (size_t g = 0; g < c->n_groups; g++) {
		if (c->groups[g].n_positions > INSTANCE_COMBINATIONS_MAX / total) {
			char msg[ERR_MSG_MAX];

			snprintf(msg, sizeof(msg),
				 "the variables expand to more than %d combinations",
				 INSTANCE_COMBINATIONS_MAX);
			return expand_err(c, -E2BIG, msg);
		}
		total *= c->groups[g].n_positions;
	}
	e->values = calloc(total * (e->n_accesses ? e->n_accesses : 1), sizeof(*e->values));
	if (!e->values)
		return -ENOMEM;
	for (size_t k = 0; k < total; k++) {
		size_t rem = k;

		for (size_t g = 0; g < c->n_groups; g++) {
			digit[g] = rem % c->groups[g].n_positions;
			rem /= c->groups[g].n_positions;
		}
		for (size_t a = 0; a < e->n_accesses; a++) {
			const struct expansion_access *acc = &e->accesses[a];
			size_t pos = c->groups[acc->group].positions[digit[acc->group]];

			e->values[k * e->n_accesses + a] = acc->var->values[pos];
		}
	}
	e->n_combinations = total;
	return 0;
}

static int expand_run(struct expand_ctx *c)
{
	struct expansion *e = c->e;
	int r;

	for (size_t a = 0; a < e->n_accesses; a++) {
		e->accesses[a].var = instance_access_var(c->ir->vars, e->accesses[a].ref);
		if (!e->accesses[a].var)
			return expand_missing_err(c, e->accesses[a].ref);
	}
	/* libvirt creates the group of iterator @0 first, used or not. */
	c->n_groups = 1;
	for (size_t a = 0; a < e->n_accesses; a++) {
		r = group_assign(c, a);
		if (r < 0)
			return r;
	}
	for (size_t g = 0; g < c->n_groups; g++) {
		r = group_positions(c, &c->groups[g]);
		if (r < 0)
			return r;
	}
	e->n_groups = c->n_groups;
	return expand_fill(c);
}

int instance_rule_expand(const struct instance *inst, size_t rule_index, struct expansion **ret,
			 struct err *err)
{
	_cleanup_(expansion_freep) struct expansion *e = NULL;
	const struct filter_var_ref *refs[FILTER_ATTR__MAX];
	struct expand_ctx c = { .err = err };
	int r;

	assert(inst && ret && rule_index < inst->n_rules);
	c.ir = &inst->rules[rule_index];
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->n_accesses = instance_rule_accesses(c.ir->rule, refs, e->attr_access);
	e->accesses = calloc(e->n_accesses ? e->n_accesses : 1, sizeof(*e->accesses));
	c.groups = calloc(e->n_accesses + 1, sizeof(*c.groups));
	if (!e->accesses || !c.groups) {
		free(c.groups);
		return -ENOMEM;
	}
	for (size_t a = 0; a < e->n_accesses; a++)
		e->accesses[a].ref = refs[a];
	c.e = e;
	r = expand_run(&c);
	for (size_t g = 0; g < e->n_accesses + 1; g++)
		free(c.groups[g].positions);
	free(c.groups);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(e);
	return 0;
}

struct expansion *expansion_free(struct expansion *e)
{
	if (!e)
		return NULL;
	free(e->accesses);
	free(e->values);
	free(e);
	return NULL;
}

const char *expansion_value(const struct expansion *e, size_t k, enum filter_attr_id attr)
{
	assert(k < e->n_combinations && attr < FILTER_ATTR__MAX);
	if (e->attr_access[attr] < 0)
		return NULL;
	return expansion_access_value(e, k, (size_t)e->attr_access[attr]);
}
