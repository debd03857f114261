/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Instantiation of a binding's filter tree, as libvirt's gentech driver and
 * nwfilter_params.c do it (see instantiate.h for the exact rules): the walk,
 * the variable tables, the missing variables, the order of rules and
 * chains. Expanding a rule's variables is in instantiate-expand.c, the
 * learning variables in instantiate-learning.c. The one idea to keep in mind: every filter visit
 * gets its own merged variable table (a level), owned by the instance, and
 * each rule instance points at the table of the visit it came from; so a
 * filter reached twice with different parameters yields two independent
 * sets of rules.
 */
#include "filter/instantiate.h"
#include "filter/instantiate-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/addr.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#define VAR_MAC    "MAC"
#define VAR_IP     "IP"
#define CHAIN_ROOT "root"

static const char *chain_name(const struct filter *f)
{
	return f->chain ? f->chain : CHAIN_ROOT;
}

static bool chain_is_root(const char *chain)
{
	return strcmp(chain, CHAIN_ROOT) == 0;
}

/* ---- variable tables ---- */

static struct filter_params *params_free(struct filter_params *p)
{
	if (p) {
		filter_params_fini(p);
		free(p);
	}
	return NULL;
}

static void params_freep(struct filter_params **p)
{
	*p = params_free(*p);
}

/* Sets dst[v->name] to a copy of v's values, replacing any list of that name. */
static int params_put(struct filter_params *dst, const struct filter_var *v)
{
	for (size_t i = 0; i < dst->n_vars; i++) {
		struct filter_var *d = &dst->vars[i];
		char **values;

		if (strcmp(d->name, v->name) != 0)
			continue;
		values = calloc(v->n_values ? v->n_values : 1, sizeof(*values));
		if (!values)
			return -ENOMEM;
		for (size_t j = 0; j < v->n_values; j++) {
			values[j] = strdup(v->values[j]);
			if (!values[j]) {
				while (j--)
					free(values[j]);
				free(values);
				return -ENOMEM;
			}
		}
		for (size_t j = 0; j < d->n_values; j++)
			free(d->values[j]);
		free(d->values);
		d->values = values;
		d->n_values = v->n_values;
		return 0;
	}
	for (size_t j = 0; j < v->n_values; j++) {
		int r = filter_params_add(dst, v->name, v->values[j]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* Copies every list of src into dst; src wins over what dst had. */
static int params_overlay(struct filter_params *dst, const struct filter_params *src)
{
	for (size_t i = 0; i < src->n_vars; i++) {
		int r = params_put(dst, &src->vars[i]);

		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- sorted string sets ---- */

static int strset_add(char ***set, size_t *n, const char *s)
{
	size_t lo = 0, hi = *n;
	char **p, *copy;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp((*set)[mid], s);

		if (c == 0)
			return 0;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	p = reallocarray(*set, *n + 1, sizeof(*p));
	if (!p) {
		free(copy);
		return -ENOMEM;
	}
	memmove(&p[lo + 1], &p[lo], (*n - lo) * sizeof(*p));
	p[lo] = copy;
	*set = p;
	(*n)++;
	return 0;
}

static void strset_free(char **set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(set[i]);
	free(set);
}

/* ---- the tree walk ---- */

struct walk {
	const struct filter_set *set;
	struct instance *inst;
	size_t cap_rules;
	size_t cap_levels;
	size_t n_visits;
	const char *path[FILTER_SET_DEPTH_MAX + 2];
	struct err *err;
};

/* Takes ownership of p, also on failure. */
static int walk_add_level(struct walk *w, struct filter_params *p, size_t *ret_index)
{
	struct instance *inst = w->inst;

	if (inst->n_levels == w->cap_levels) {
		size_t cap = w->cap_levels ? w->cap_levels * 2 : 8;
		struct filter_params **l = reallocarray(inst->levels, cap, sizeof(*l));

		if (!l) {
			params_free(p);
			return -ENOMEM;
		}
		inst->levels = l;
		w->cap_levels = cap;
	}
	*ret_index = inst->n_levels;
	inst->levels[inst->n_levels++] = p;
	return 0;
}

static int walk_add_rule(struct walk *w, const struct filter *f, const struct filter_rule *rule,
			 size_t level, size_t depth)
{
	struct instance *inst = w->inst;

	if (inst->n_rules >= INSTANCE_RULES_MAX)
		return filter_path_err(w->err, -E2BIG, w->path, depth + 1,
				       "the filter tree yields more than %d rules",
				       INSTANCE_RULES_MAX);
	if (inst->n_rules == w->cap_rules) {
		size_t cap = w->cap_rules ? w->cap_rules * 2 : 32;
		struct instance_rule *p = reallocarray(inst->rules, cap, sizeof(*p));

		if (!p)
			return -ENOMEM;
		inst->rules = p;
		w->cap_rules = cap;
	}
	inst->rules[inst->n_rules] = (struct instance_rule){
		.rule = rule,
		.filter = f,
		.chain = chain_name(f),
		.chain_priority = f->chain_priority,
		.priority = rule->priority,
		.vars = inst->levels[level],
		.tree_pos = inst->n_rules,
		.is_resolved = true,
	};
	inst->n_rules++;
	return 0;
}

static int walk_filter(struct walk *w, const struct filter *f, size_t level, size_t depth);

/* Descends through one <filterref> of the filter at path[depth]. */
static int walk_ref(struct walk *w, const struct filter_ref *ref, size_t level, size_t depth)
{
	_cleanup_(params_freep) struct filter_params *vars = NULL;
	const struct filter *next;
	size_t next_level;
	int r;

	w->path[depth + 1] = ref->filter;
	for (size_t i = 0; i <= depth; i++)
		if (strcmp(w->path[i], ref->filter) == 0)
			return filter_path_err(w->err, -ELOOP, w->path, depth + 2,
					       "reference cycle");
	next = filter_set_find(w->set, ref->filter);
	if (!next)
		return filter_path_err(w->err, -ENOENT, w->path, depth + 2,
				       "referenced filter '%s' is missing", ref->filter);
	if (depth + 1 > FILTER_SET_DEPTH_MAX)
		return filter_path_err(w->err, -E2BIG, w->path, depth + 2,
				       "filter references nest deeper than %d levels",
				       FILTER_SET_DEPTH_MAX);

	/* The reference's parameters are defaults; the outer level overrides them. */
	vars = calloc(1, sizeof(*vars));
	if (!vars)
		return -ENOMEM;
	r = filter_params_copy(vars, &ref->params);
	if (r < 0)
		return r;
	r = params_overlay(vars, w->inst->levels[level]);
	if (r < 0)
		return r;
	r = walk_add_level(w, TAKE_PTR(vars), &next_level);
	if (r < 0)
		return r;
	return walk_filter(w, next, next_level, depth + 1);
}

static int walk_filter(struct walk *w, const struct filter *f, size_t level, size_t depth)
{
	w->path[depth] = f->name;
	if (++w->n_visits > INSTANCE_VISITS_MAX)
		return filter_path_err(w->err, -E2BIG, w->path, depth + 1,
				       "the filter tree has more than %d filter references",
				       INSTANCE_VISITS_MAX);
	for (size_t i = 0; i < f->n_entries; i++) {
		const struct filter_entry *e = &f->entries[i];
		int r;

		if (e->kind == FILTER_ENTRY_RULE)
			r = walk_add_rule(w, f, e->rule, level, depth);
		else
			r = walk_ref(w, e->ref, level, depth);
		if (r < 0)
			return r;
	}
	return 0;
}

/* The outermost table: the binding's parameters, then defaults, then MAC from <mac>. */
static int root_vars(const struct binding *b, const struct filter_params *defaults,
		     struct filter_params **ret)
{
	_cleanup_(params_freep) struct filter_params *vars = calloc(1, sizeof(*vars));
	int r;

	if (!vars)
		return -ENOMEM;
	r = filter_params_copy(vars, &b->ref.params);
	if (r < 0)
		return r;
	for (size_t i = 0; defaults && i < defaults->n_vars; i++) {
		if (filter_params_find(vars, defaults->vars[i].name))
			continue;
		r = params_put(vars, &defaults->vars[i]);
		if (r < 0)
			return r;
	}
	if (!filter_params_find(vars, VAR_MAC)) {
		char mac[MAC_TEXT_MAX];

		mac_format(b->mac, mac);
		r = filter_params_add(vars, VAR_MAC, mac);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(vars);
	return 0;
}

/* ---- after the walk: missing variables, order, chains ---- */

static int collect_missing(struct instance *inst)
{
	for (size_t i = 0; i < inst->n_rules; i++) {
		struct instance_rule *ir = &inst->rules[i];
		const struct filter_var_ref *refs[FILTER_ATTR__MAX];
		size_t n = instance_rule_accesses(ir->rule, refs, NULL);

		for (size_t a = 0; a < n; a++) {
			_cleanup_free_ char *text = NULL;
			int r;

			if (instance_access_var(ir->vars, refs[a]))
				continue;
			ir->is_resolved = false;
			text = instance_access_format(refs[a]);
			if (!text)
				return -ENOMEM;
			r = strset_add(&inst->missing, &inst->n_missing, refs[a]->name);
			if (r < 0)
				return r;
			r = strset_add(&inst->missing_accesses, &inst->n_missing_accesses, text);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/*
 * libvirt's virNWFilterRuleInstSort: root chain first, then the written
 * rule priority. libvirt's sort is stable (g_qsort_with_data); the tree
 * position makes ours stable too.
 */
static int rule_order(const void *pa, const void *pb)
{
	const struct instance_rule *a = pa, *b = pb;
	bool root_a = chain_is_root(a->chain), root_b = chain_is_root(b->chain);

	if (root_a != root_b)
		return root_a ? -1 : 1;
	if (a->rule->priority != b->rule->priority)
		return a->rule->priority < b->rule->priority ? -1 : 1;
	return a->tree_pos < b->tree_pos ? -1 : a->tree_pos > b->tree_pos;
}

static void order_rules(struct instance *inst)
{
	if (inst->n_rules > 1)
		qsort(inst->rules, inst->n_rules, sizeof(inst->rules[0]), rule_order);
	/*
	 * ebiptablesApplyNewRules raises after sorting, so rules of one chain
	 * keep the order of their written priorities.
	 */
	for (size_t i = 0; i < inst->n_rules; i++) {
		struct instance_rule *ir = &inst->rules[i];

		if (!chain_is_root(ir->chain) && ir->priority < ir->chain_priority)
			ir->priority = ir->chain_priority;
	}
}

struct chain_slot {
	struct instance_chain chain;
	size_t first_pos;
};

static int chain_order(const void *pa, const void *pb)
{
	const struct chain_slot *a = pa, *b = pb;

	if (a->chain.priority != b->chain.priority)
		return a->chain.priority < b->chain.priority ? -1 : 1;
	return a->first_pos < b->first_pos ? -1 : a->first_pos > b->first_pos;
}

static int collect_chains(struct instance *inst)
{
	_cleanup_free_ struct chain_slot *slots = NULL;
	size_t n = 0;

	slots = calloc(inst->n_rules ? inst->n_rules : 1, sizeof(*slots));
	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < inst->n_rules; i++) {
		const struct instance_rule *ir = &inst->rules[i];
		bool is_l2 = filter_proto_info[ir->rule->proto].layer == FILTER_LAYER_L2;
		size_t s;

		if (chain_is_root(ir->chain))
			continue;
		for (s = 0; s < n; s++)
			if (strcmp(slots[s].chain.name, ir->chain) == 0)
				break;
		if (s == n) {
			slots[n++] = (struct chain_slot){ .chain.name = ir->chain,
							  .first_pos = ir->tree_pos };
		}
		/* Like libvirt's virHashUpdateEntry, the last rule in sorted order sets the
		 * priority. */
		slots[s].chain.priority = ir->chain_priority;
		slots[s].chain.has_l2_rules |= is_l2;
		if (ir->tree_pos < slots[s].first_pos)
			slots[s].first_pos = ir->tree_pos;
	}
	if (n > 1)
		qsort(slots, n, sizeof(slots[0]), chain_order);
	inst->chains = calloc(n ? n : 1, sizeof(*inst->chains));
	if (!inst->chains)
		return -ENOMEM;
	for (size_t s = 0; s < n; s++)
		inst->chains[s] = slots[s].chain;
	inst->n_chains = n;
	return 0;
}

int filter_instantiate_with(const struct filter_set *set, const struct binding *binding,
			    const struct filter_params *defaults, struct instance **ret,
			    struct err *err)
{
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter_params *vars = NULL;
	struct walk w = { .set = set, .err = err };
	const struct filter *root;
	size_t level;
	int r;

	assert(set && binding && ret);
	if (!binding->ref.filter)
		return err_set(err, -EINVAL, "binding of port %s names no filter",
			       binding->portdev ? binding->portdev : "(unnamed)");
	w.path[0] = binding->ref.filter;
	root = filter_set_find(set, binding->ref.filter);
	if (!root)
		return filter_path_err(err, -ENOENT, w.path, 1, "referenced filter '%s' is missing",
				       binding->ref.filter);

	inst = calloc(1, sizeof(*inst));
	if (!inst)
		return -ENOMEM;
	w.inst = inst;
	r = root_vars(binding, defaults, &vars);
	if (r < 0)
		return r;
	r = walk_add_level(&w, vars, &level);
	if (r < 0)
		return r;
	r = walk_filter(&w, root, level, 0);
	if (r < 0)
		return r;
	r = collect_missing(inst);
	if (r < 0)
		return r;
	order_rules(inst);
	r = collect_chains(inst);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(inst);
	return 0;
}

int filter_instantiate(const struct filter_set *set, const struct binding *binding,
		       struct instance **ret, struct err *err)
{
	return filter_instantiate_with(set, binding, NULL, ret, err);
}

struct instance *instance_free(struct instance *inst)
{
	if (!inst)
		return NULL;
	free(inst->rules);
	free(inst->chains);
	strset_free(inst->missing, inst->n_missing);
	strset_free(inst->missing_accesses, inst->n_missing_accesses);
	for (size_t i = 0; i < inst->n_levels; i++)
		params_free(inst->levels[i]);
	free(inst->levels);
	free(inst);
	return NULL;
}

bool instance_is_complete(const struct instance *inst)
{
	return inst->n_missing == 0;
}

bool instance_uses_var(const struct instance *inst, const char *name)
{
	for (size_t i = 0; i < inst->n_rules; i++) {
		const struct filter_var_ref *refs[FILTER_ATTR__MAX];
		size_t n = instance_rule_accesses(inst->rules[i].rule, refs, NULL);

		for (size_t k = 0; k < n; k++)
			if (strcmp(refs[k]->name, name) == 0)
				return true;
	}
	return false;
}

bool instance_is_missing(const struct instance *inst, const char *name)
{
	for (size_t i = 0; i < inst->n_missing; i++)
		if (strcmp(inst->missing[i], name) == 0)
			return true;
	return false;
}

/* The variable name of an access text ("B[3]" -> "B"). */
static bool access_names(const char *text, const char *name)
{
	size_t len = strlen(name);

	return strncmp(text, name, len) == 0 && (text[len] == '\0' || text[len] == '[');
}

char *instance_missing_format(const struct instance *inst, bool include_ip)
{
	struct strbuf sb;
	size_t n = 0;

	strbuf_init(&sb);
	strbuf_add(&sb, "Cannot instantiate filter due to unresolvable variables or unavailable "
			"list elements: ");
	for (size_t i = 0; i < inst->n_missing_accesses; i++) {
		const char *text = inst->missing_accesses[i];

		if (access_names(text, VAR_MAC) || (!include_ip && access_names(text, VAR_IP)))
			continue;
		strbuf_addf(&sb, "%s%s", n++ ? ", " : "", text);
	}
	return strbuf_steal(&sb);
}
