/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Filter set, tree walk, variable merging, ordering and expansion. Most
 * filters are built in C so each test shows exactly the tree it walks; the
 * compat tests parse libvirt's own iter*.xml and check the number of
 * combinations against libvirt's expected firewall output. They run with
 * --corpus (test-filter-instantiate-corpus), and skip as a whole without it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "filter/filter.h"
#include "filter/filterset.h"
#include "filter/instantiate.h"
#include "util/cleanup.h"
#include "util/err.h"
#include "testlib.h"

/* ---- builders ---- */

static char *xstrdup(const char *s)
{
	char *p = strdup(s);

	assert_non_null(p);
	return p;
}

static struct filter_entry *add_entry(struct filter *f)
{
	f->entries = realloc(f->entries, (f->n_entries + 1) * sizeof(*f->entries));
	assert_non_null(f->entries);
	memset(&f->entries[f->n_entries], 0, sizeof(f->entries[0]));
	return &f->entries[f->n_entries++];
}

static struct filter *mk_filter(const char *name, const char *chain, int chain_priority)
{
	struct filter *f = filter_new();

	assert_non_null(f);
	f->name = xstrdup(name);
	f->chain = xstrdup(chain);
	f->chain_priority = chain_priority;
	return f;
}

/* A tcp rule tagged by its comment, so tests can name it. */
static struct filter_rule *add_rule(struct filter *f, const char *tag, int priority)
{
	struct filter_entry *e = add_entry(f);
	struct filter_rule *r = filter_rule_new();

	assert_non_null(r);
	r->action = FILTER_ACTION_ACCEPT;
	r->direction = FILTER_DIR_OUT;
	r->priority = priority;
	r->proto = FILTER_PROTO_TCP;
	r->attrs[FILTER_ATTR_COMMENT].is_set = true;
	r->attrs[FILTER_ATTR_COMMENT].str = xstrdup(tag);
	e->kind = FILTER_ENTRY_RULE;
	e->rule = r;
	return r;
}

static void set_var(struct filter_rule *r, enum filter_attr_id id, const char *name,
		    enum filter_var_access access, unsigned index)
{
	struct filter_attr *a = &r->attrs[id];

	a->is_set = true;
	a->is_var = true;
	a->var.name = xstrdup(name);
	a->var.access = access;
	a->var.index = index;
}

static struct filter_ref *add_ref(struct filter *f, const char *target)
{
	struct filter_entry *e = add_entry(f);
	struct filter_ref *ref = calloc(1, sizeof(*ref));

	assert_non_null(ref);
	ref->filter = xstrdup(target);
	e->kind = FILTER_ENTRY_REF;
	e->ref = ref;
	return ref;
}

static void add_param(struct filter_params *p, const char *name, const char *values)
{
	char buf[512], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", values);
	for (char *v = strtok_r(buf, ",", &save); v; v = strtok_r(NULL, ",", &save))
		assert_int_equal(filter_params_add(p, name, v), 0);
}

static struct binding *mk_binding(const char *filter)
{
	struct binding *b = binding_new();
	static const uint8_t mac[MAC_LEN] = { 0x52, 0x54, 0x00, 0x0a, 0xbc, 0x01 };

	assert_non_null(b);
	b->portdev = xstrdup("vnet0");
	b->ref.filter = xstrdup(filter);
	memcpy(b->mac, mac, MAC_LEN);
	return b;
}

static void put(struct filter_set *set, struct filter *f)
{
	assert_int_equal(filter_set_add(set, f, NULL), 0);
}

static const char *tag(const struct instance_rule *ir)
{
	return ir->rule->attrs[FILTER_ATTR_COMMENT].str;
}

/* The tags of the instance's rules, space-separated, in instance order. */
static void tags(const struct instance *inst, char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < inst->n_rules; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "",
					 tag(&inst->rules[i]));
}

static const char *var1(const struct filter_params *p, const char *name)
{
	const struct filter_var *v = filter_params_find(p, name);

	return v ? v->values[0] : NULL;
}

static struct instance *instantiate_ok(const struct filter_set *set, const struct binding *b)
{
	struct instance *inst = NULL;
	struct err err = { 0 };

	assert_int_equal(filter_instantiate(set, b, &inst, &err), 0);
	assert_non_null(inst);
	return inst;
}

static void instantiate_fails(const struct filter_set *set, const struct binding *b, int code,
			      const char *msg)
{
	struct instance *inst = NULL;
	struct err err = { 0 };

	assert_int_equal(filter_instantiate(set, b, &inst, &err), code);
	assert_null(inst);
	assert_string_equal(err.msg, msg);
}

/* ---- filter set ---- */

static void test_set_add_find_remove(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	struct filter *f2 = mk_filter("b", "root", 0), *old = NULL;

	assert_non_null(set);
	put(set, mk_filter("c", "root", 0));
	put(set, mk_filter("a", "root", 0));
	put(set, mk_filter("b", "root", 0));
	assert_int_equal(filter_set_size(set), 3);
	assert_string_equal(filter_set_get(set, 0)->name, "a");
	assert_string_equal(filter_set_get(set, 1)->name, "b");
	assert_string_equal(filter_set_get(set, 2)->name, "c");

	assert_int_equal(filter_set_add(set, f2, &old), 0);
	assert_non_null(old);
	assert_ptr_not_equal(old, f2);
	filter_free(old);
	assert_ptr_equal(filter_set_find(set, "b"), f2);
	assert_int_equal(filter_set_size(set), 3);

	old = filter_set_remove(set, "a");
	assert_non_null(old);
	filter_free(old);
	assert_null(filter_set_remove(set, "a"));
	assert_null(filter_set_find(set, "a"));
	assert_int_equal(filter_set_size(set), 2);

	struct filter *nameless = filter_new();
	assert_int_equal(filter_set_add(set, nameless, NULL), -EINVAL);
	filter_free(nameless);
	assert_null(filter_set_free(NULL));
}

static void test_set_check_loop(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	struct filter *a = mk_filter("a", "root", 0), *b = mk_filter("b", "root", 0);
	struct err err = { 0 };

	add_ref(a, "b");
	add_ref(a, "ghost"); /* missing references are allowed at define time */
	put(set, a);
	put(set, b);
	put(set, mk_filter("d", "root", 0));

	/* Redefining b to reference a closes a loop. */
	struct filter *b2 = mk_filter("b", "root", 0), *d2 = mk_filter("d", "root", 0);
	add_ref(b2, "d");
	add_ref(b2, "a");
	assert_int_equal(filter_set_check_loop(set, b2, &err), -ELOOP);
	assert_string_equal(err.msg, "filter 'b' -> 'a' -> 'b': reference cycle");

	/* A self reference. */
	add_ref(d2, "d");
	assert_int_equal(filter_set_check_loop(set, d2, &err), -ELOOP);
	assert_string_equal(err.msg, "filter 'd' -> 'd': reference cycle");

	/* A DAG: x -> a, x -> b, a -> b. */
	struct filter *x = mk_filter("x", "root", 0);
	add_ref(x, "a");
	add_ref(x, "b");
	assert_int_equal(filter_set_check_loop(set, x, &err), 0);
	filter_free(b2);
	filter_free(d2);
	filter_free(x);
}

/* ---- the walk ---- */

static void test_depth_first_order(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter *top = mk_filter("top", "root", 0), *fa = mk_filter("a", "root", 0),
		      *fb = mk_filter("b", "root", 0), *fc = mk_filter("c", "root", 0);
	char out[256];

	add_rule(top, "t1", 500);
	add_ref(top, "a");
	add_rule(top, "t2", 500);
	add_ref(top, "b");
	add_rule(fa, "a1", 500);
	add_ref(fa, "c");
	add_rule(fa, "a2", 500);
	add_rule(fb, "b1", 500);
	add_rule(fc, "c1", 500);
	put(set, top);
	put(set, fa);
	put(set, fb);
	put(set, fc);

	inst = instantiate_ok(set, b);
	tags(inst, out, sizeof(out));
	assert_string_equal(out, "t1 a1 c1 a2 t2 b1");
	for (size_t i = 0; i < inst->n_rules; i++)
		assert_int_equal(inst->rules[i].tree_pos, i);
	assert_ptr_equal(inst->rules[2].filter, fc);
	assert_int_equal(inst->n_chains, 0);
	assert_true(instance_is_complete(inst));
}

static void test_param_defaults(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter *top = mk_filter("top", "root", 0), *mid = mk_filter("mid", "root", 0),
		      *leaf = mk_filter("leaf", "root", 0);
	struct filter_ref *ref;

	add_param(&b->ref.params, "X", "outer");
	add_rule(top, "t", 500);
	ref = add_ref(top, "mid");
	add_param(&ref->params, "X", "mid");
	add_param(&ref->params, "Y", "mid");
	add_rule(mid, "m", 500);
	ref = add_ref(mid, "leaf");
	add_param(&ref->params, "Y", "leaf");
	add_param(&ref->params, "Z", "leaf1,leaf2");
	add_rule(leaf, "l", 500);
	put(set, top);
	put(set, mid);
	put(set, leaf);

	inst = instantiate_ok(set, b);
	assert_int_equal(inst->n_rules, 3);
	/* top sees the binding's table only. */
	assert_string_equal(var1(inst->rules[0].vars, "X"), "outer");
	assert_null(var1(inst->rules[0].vars, "Y"));
	/* mid: its reference's X is a default the binding overrides. */
	assert_string_equal(var1(inst->rules[1].vars, "X"), "outer");
	assert_string_equal(var1(inst->rules[1].vars, "Y"), "mid");
	/* leaf: Y comes from the outer level (mid's reference), Z from its own. */
	assert_string_equal(var1(inst->rules[2].vars, "X"), "outer");
	assert_string_equal(var1(inst->rules[2].vars, "Y"), "mid");
	assert_int_equal(filter_params_find(inst->rules[2].vars, "Z")->n_values, 2);
	/* An outer list replaces an inner list entirely. */
	assert_int_equal(filter_params_find(inst->rules[2].vars, "X")->n_values, 1);
}

static void test_mac_default(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	_cleanup_(binding_freep) struct binding *b2 = mk_binding("top");
	struct filter *top = mk_filter("top", "root", 0), *leaf = mk_filter("leaf", "root", 0);
	struct filter_ref *ref;
	struct instance *inst;

	add_rule(top, "t", 500);
	ref = add_ref(top, "leaf");
	add_param(&ref->params, "MAC", "00:11:22:33:44:55"); /* only a default */
	add_rule(leaf, "l", 500);
	put(set, top);
	put(set, leaf);

	inst = instantiate_ok(set, b);
	assert_string_equal(var1(inst->rules[0].vars, "MAC"), "52:54:00:0a:bc:01");
	assert_string_equal(var1(inst->rules[1].vars, "MAC"), "52:54:00:0a:bc:01");
	instance_free(inst);

	/* An explicit MAC parameter of the binding wins over <mac>. */
	add_param(&b2->ref.params, "MAC", "aa:bb:cc:dd:ee:ff");
	inst = instantiate_ok(set, b2);
	assert_string_equal(var1(inst->rules[0].vars, "MAC"), "aa:bb:cc:dd:ee:ff");
	assert_string_equal(var1(inst->rules[1].vars, "MAC"), "aa:bb:cc:dd:ee:ff");
	instance_free(inst);
}

static void test_defaults_with(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	struct filter_params learned = { 0 };
	struct filter *top = mk_filter("top", "root", 0);
	struct filter_rule *r = add_rule(top, "t", 500);
	struct instance *inst = NULL;

	set_var(r, FILTER_ATTR_SRCIPADDR, "IP", FILTER_VAR_ITERATOR, 0);
	put(set, top);
	add_param(&learned, "IP", "10.0.0.7");
	add_param(&learned, "MAC", "00:00:00:00:00:01");

	assert_int_equal(filter_instantiate_with(set, b, &learned, &inst, NULL), 0);
	assert_true(instance_is_complete(inst));
	assert_string_equal(var1(inst->rules[0].vars, "IP"), "10.0.0.7");
	assert_string_equal(var1(inst->rules[0].vars, "MAC"), "00:00:00:00:00:01");
	instance_free(inst);

	add_param(&b->ref.params, "IP", "10.0.0.9");
	assert_int_equal(filter_instantiate_with(set, b, &learned, &inst, NULL), 0);
	assert_string_equal(var1(inst->rules[0].vars, "IP"), "10.0.0.9");
	instance_free(inst);
	filter_params_fini(&learned);
}

static void test_cycles(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *ba = mk_binding("a");
	_cleanup_(binding_freep) struct binding *bs = mk_binding("self");
	struct filter *a = mk_filter("a", "root", 0), *fb = mk_filter("b", "root", 0),
		      *fc = mk_filter("c", "root", 0), *self = mk_filter("self", "root", 0);

	add_rule(a, "a1", 500);
	add_ref(a, "b");
	add_ref(fb, "c");
	add_ref(fc, "a");
	add_ref(self, "self");
	put(set, a);
	put(set, fb);
	put(set, fc);
	put(set, self);

	instantiate_fails(set, ba, -ELOOP, "filter 'a' -> 'b' -> 'c' -> 'a': reference cycle");
	instantiate_fails(set, bs, -ELOOP, "filter 'self' -> 'self': reference cycle");
}

static void test_missing_filter(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *ba = mk_binding("a");
	_cleanup_(binding_freep) struct binding *bz = mk_binding("zz");
	struct filter *a = mk_filter("a", "root", 0);

	add_ref(a, "b");
	put(set, a);
	instantiate_fails(set, ba, -ENOENT, "filter 'a' -> 'b': referenced filter 'b' is missing");
	instantiate_fails(set, bz, -ENOENT, "filter 'zz': referenced filter 'zz' is missing");
}

static void test_depth_limit(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("f0");
	struct instance *inst = NULL;
	struct err err = { 0 };
	char name[16], next[16];

	for (int i = 0; i <= FILTER_SET_DEPTH_MAX + 1; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		snprintf(next, sizeof(next), "f%d", i + 1);
		struct filter *f = mk_filter(name, "root", 0);
		add_rule(f, name, 500);
		if (i <= FILTER_SET_DEPTH_MAX)
			add_ref(f, next);
		put(set, f);
	}
	assert_int_equal(filter_instantiate(set, b, &inst, &err), -E2BIG);
	assert_non_null(strstr(err.msg, "nest deeper than 64 levels"));

	/* Exactly the limit is fine. */
	struct filter *last = filter_set_remove(set, "f64");
	filter_free(last);
	put(set, mk_filter("f64", "root", 0));
	assert_int_equal(filter_instantiate(set, b, &inst, &err), 0);
	assert_int_equal(inst->n_rules, 64);
	instance_free(inst);
}

static void test_dag_reuse(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter *top = mk_filter("top", "root", 0), *mid = mk_filter("mid", "root", 0),
		      *shared = mk_filter("shared", "root", 0);
	struct filter_ref *ref;
	char out[128];

	ref = add_ref(top, "shared");
	add_param(&ref->params, "P", "one");
	add_ref(top, "mid");
	ref = add_ref(mid, "shared");
	add_param(&ref->params, "P", "two");
	add_rule(shared, "s", 500);
	put(set, top);
	put(set, mid);
	put(set, shared);

	inst = instantiate_ok(set, b);
	tags(inst, out, sizeof(out));
	assert_string_equal(out, "s s");
	assert_ptr_equal(inst->rules[0].rule, inst->rules[1].rule);
	assert_string_equal(var1(inst->rules[0].vars, "P"), "one");
	assert_string_equal(var1(inst->rules[1].vars, "P"), "two");
}

/* A lattice where every filter references the next one twice: 2^20 visits, refused early. */
static void test_dag_explosion(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("d0");
	struct instance *inst = NULL;
	struct err err = { 0 };
	char name[16], next[16];

	for (int i = 0; i <= 20; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(next, sizeof(next), "d%d", i + 1);
		struct filter *f = mk_filter(name, "root", 0);
		if (i < 20) {
			add_ref(f, next);
			add_ref(f, next);
		}
		put(set, f);
	}
	/* The define-time check visits each filter once. */
	assert_int_equal(filter_set_check_loop(set, filter_set_find(set, "d0"), &err), 0);
	assert_int_equal(filter_instantiate(set, b, &inst, &err), -E2BIG);
	assert_null(inst);
	assert_non_null(strstr(err.msg, "more than 65536 filter references"));
}

/* ---- missing variables ---- */

static void test_missing_vars(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter *top = mk_filter("top", "root", 0), *s1 = mk_filter("s1", "root", 0),
		      *s2 = mk_filter("s2", "root", 0);
	struct filter_ref *ref;
	struct filter_rule *r;
	char *text;

	add_param(&b->ref.params, "B", "80,90,80,80");
	r = add_rule(top, "ok", 500);
	set_var(r, FILTER_ATTR_SRCPORTSTART, "B", FILTER_VAR_ELEMENT, 3);
	set_var(r, FILTER_ATTR_SRCMACADDR, "MAC", FILTER_VAR_ITERATOR, 0);
	r = add_rule(top, "ip", 500);
	set_var(r, FILTER_ATTR_SRCIPADDR, "IP", FILTER_VAR_ITERATOR, 0);
	r = add_rule(top, "b4", 500);
	set_var(r, FILTER_ATTR_DSTPORTSTART, "B", FILTER_VAR_ELEMENT, 4);
	/* S is only defined on the way to s1; s2 cannot see it. */
	ref = add_ref(top, "s1");
	add_param(&ref->params, "S", "x");
	add_ref(top, "s2");
	r = add_rule(s1, "s1", 500);
	set_var(r, FILTER_ATTR_DSTIPADDR, "S", FILTER_VAR_ITERATOR, 2);
	r = add_rule(s2, "s2", 500);
	set_var(r, FILTER_ATTR_DSTIPADDR, "S", FILTER_VAR_ITERATOR, 2);
	put(set, top);
	put(set, s1);
	put(set, s2);

	inst = instantiate_ok(set, b);
	assert_false(instance_is_complete(inst));
	assert_int_equal(inst->n_missing, 3);
	assert_string_equal(inst->missing[0], "B");
	assert_string_equal(inst->missing[1], "IP");
	assert_string_equal(inst->missing[2], "S");
	assert_true(instance_is_missing(inst, "IP"));
	assert_false(instance_is_missing(inst, "MAC"));
	assert_int_equal(inst->n_missing_accesses, 3);
	assert_string_equal(inst->missing_accesses[0], "B[4]");
	assert_string_equal(inst->missing_accesses[1], "IP");
	assert_string_equal(inst->missing_accesses[2], "S[@2]");
	assert_true(inst->rules[0].is_resolved);
	assert_false(inst->rules[1].is_resolved);
	assert_false(inst->rules[2].is_resolved);
	assert_true(inst->rules[3].is_resolved);
	assert_false(inst->rules[4].is_resolved);

	text = instance_missing_format(inst, true);
	assert_string_equal(text, "Cannot instantiate filter due to unresolvable variables or "
				  "unavailable list elements: B[4], IP, S[@2]");
	free(text);
	text = instance_missing_format(inst, false);
	assert_string_equal(text, "Cannot instantiate filter due to unresolvable variables or "
				  "unavailable list elements: B[4], S[@2]");
	free(text);

	struct expansion *e = NULL;
	struct err err = { 0 };
	assert_int_equal(instance_rule_expand(inst, 2, &e, &err), -ENOENT);
	assert_string_equal(err.msg,
			    "filter 'top', rule 3: $B[4] is beyond the end of B (4 values)");
	assert_int_equal(instance_rule_expand(inst, 1, &e, &err), -ENOENT);
	assert_string_equal(err.msg, "filter 'top', rule 2: variable $IP has no value");
	assert_null(e);
}

/* ---- ordering ---- */

static void test_priority_raise_and_order(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter *top = mk_filter("top", "root", 0), *arp = mk_filter("arp", "arp", -500),
		      *mac = mk_filter("mac", "mac", -800);
	char out[256];

	add_rule(top, "root900", 900);
	add_ref(top, "arp");
	add_ref(top, "mac");
	add_rule(top, "root-100", -100);
	add_rule(arp, "arp-550", -550);
	add_rule(arp, "arp-600", -600);
	add_rule(arp, "arp700", 700);
	add_rule(mac, "mac-550", -550);
	add_rule(mac, "mac-900", -900);
	put(set, top);
	put(set, arp);
	put(set, mac);

	inst = instantiate_ok(set, b);
	tags(inst, out, sizeof(out));
	/*
	 * Root rules first whatever their priority; then the written
	 * priorities, so arp-600 stays before arp-550 although both are
	 * raised to -500, and mac-900 (raised to -800) before them.
	 */
	assert_string_equal(out, "root-100 root900 mac-900 arp-600 arp-550 mac-550 arp700");
	const int effective[] = { -100, 900, -800, -500, -500, -550, 700 };
	for (size_t i = 0; i < inst->n_rules; i++)
		assert_int_equal(inst->rules[i].priority, effective[i]);
	assert_int_equal(inst->rules[3].chain_priority, -500);
	assert_string_equal(inst->rules[3].chain, "arp");
}

static void test_stable_equal_priorities(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter *top = mk_filter("top", "root", 0), *sub = mk_filter("sub", "root", 0);
	char out[256];

	add_rule(top, "a", 300);
	add_rule(top, "b", 100);
	add_rule(top, "c", 300);
	add_ref(top, "sub");
	add_rule(top, "d", 100);
	add_rule(sub, "e", 300);
	add_rule(sub, "f", 100);
	put(set, top);
	put(set, sub);

	inst = instantiate_ok(set, b);
	tags(inst, out, sizeof(out));
	assert_string_equal(out, "b f d a c e");
}

static void test_chain_list(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter *top = mk_filter("top", "root", 0);
	const struct {
		const char *name, *chain;
		int priority;
	} subs[] = {
		{ "f-ipv4", "ipv4", -700 }, { "f-arpx", "arp-x", -500 },
		{ "f-mac", "mac", -800 },   { "f-arp", "arp", -500 },
		{ "f-stp", "stp", 0 },      { "f-ipv4b", "ipv4", -700 },
	};

	add_rule(top, "r", 500);
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		struct filter *f = mk_filter(subs[i].name, subs[i].chain, subs[i].priority);

		add_rule(f, subs[i].name, 500);
		add_ref(top, subs[i].name);
		put(set, f);
	}
	put(set, top);
	inst = instantiate_ok(set, b);
	assert_int_equal(inst->n_chains, 5);
	assert_string_equal(inst->chains[0].name, "mac");
	assert_int_equal(inst->chains[0].priority, -800);
	assert_string_equal(inst->chains[1].name, "ipv4");
	assert_string_equal(inst->chains[2].name, "arp-x"); /* tie with arp: appears first */
	assert_string_equal(inst->chains[3].name, "arp");
	assert_string_equal(inst->chains[4].name, "stp");
	assert_int_equal(inst->chains[4].priority, 0);
	assert_false(inst->chains[0].has_l2_rules); /* the builders make tcp rules */
}

/* ---- expansion ---- */

/* One rule "t" in filter "top" with the binding's A, B, C as in libvirt's tests. */
static struct filter_set *expand_setup(struct binding **ret_b, struct filter_rule **ret_r)
{
	struct filter_set *set = filter_set_new();
	struct binding *b = mk_binding("top");
	struct filter *top = mk_filter("top", "root", 0);

	add_param(&b->ref.params, "A", "1.1.1.1,2.2.2.2,3.3.3.3,3.3.3.3");
	add_param(&b->ref.params, "B", "80,90,80,80");
	add_param(&b->ref.params, "C", "1080,1090,1100");
	*ret_r = add_rule(top, "t", 500);
	put(set, top);
	*ret_b = b;
	return set;
}

/* Formats every combination as "src/sport" pairs, or the given attributes. */
static void combos(const struct expansion *e, enum filter_attr_id x, enum filter_attr_id y,
		   char *out, size_t len)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t k = 0; k < e->n_combinations; k++)
		used += (size_t)snprintf(out + used, len - used, "%s%s/%s", k ? " " : "",
					 expansion_value(e, k, x), expansion_value(e, k, y));
}

/* Expands rule 0; the instance stays alive in *ret_inst since the values point into it. */
static struct expansion *expand_ok(struct filter_set *set, struct binding *b,
				   struct instance **ret_inst)
{
	struct expansion *e = NULL;
	struct err err = { 0 };

	*ret_inst = instantiate_ok(set, b);
	assert_int_equal(instance_rule_expand(*ret_inst, 0, &e, &err), 0);
	assert_non_null(e);
	return e;
}

static void test_expand_parallel(void **state)
{
	struct binding *b;
	struct filter_rule *r;
	_cleanup_(filter_set_freep) struct filter_set *set = expand_setup(&b, &r);
	_cleanup_(instance_freep) struct instance *inst = NULL;
	_cleanup_(expansion_freep) struct expansion *e = NULL;
	char out[512];

	set_var(r, FILTER_ATTR_SRCIPADDR, "A", FILTER_VAR_ITERATOR, 0);
	set_var(r, FILTER_ATTR_SRCPORTSTART, "B", FILTER_VAR_ITERATOR, 0);
	e = expand_ok(set, b, &inst);
	assert_int_equal(e->n_accesses, 2);
	assert_int_equal(e->n_groups, 1);
	combos(e, FILTER_ATTR_SRCIPADDR, FILTER_ATTR_SRCPORTSTART, out, sizeof(out));
	assert_string_equal(out, "1.1.1.1/80 2.2.2.2/90 3.3.3.3/80");
	assert_null(expansion_value(e, 0, FILTER_ATTR_DSTIPADDR));
	binding_free(b);
}

static void test_expand_cross(void **state)
{
	struct binding *b;
	struct filter_rule *r;
	_cleanup_(filter_set_freep) struct filter_set *set = expand_setup(&b, &r);
	_cleanup_(instance_freep) struct instance *inst = NULL;
	_cleanup_(expansion_freep) struct expansion *e = NULL;
	char out[512];

	set_var(r, FILTER_ATTR_SRCIPADDR, "A", FILTER_VAR_ITERATOR, 1);
	set_var(r, FILTER_ATTR_SRCPORTSTART, "B", FILTER_VAR_ITERATOR, 2);
	e = expand_ok(set, b, &inst);
	assert_int_equal(e->n_groups, 3); /* the unused @0, @1, @2 */
	combos(e, FILTER_ATTR_SRCIPADDR, FILTER_ATTR_SRCPORTSTART, out, sizeof(out));
	/* 4x4 positions, A's 4th and B's 3rd and 4th repeat earlier ones: 3x2. */
	assert_string_equal(out, "1.1.1.1/80 2.2.2.2/80 3.3.3.3/80 1.1.1.1/90 2.2.2.2/90 "
				 "3.3.3.3/90");
	binding_free(b);
}

static void test_expand_iterator0_fastest(void **state)
{
	struct binding *b;
	struct filter_rule *r;
	_cleanup_(filter_set_freep) struct filter_set *set = expand_setup(&b, &r);
	_cleanup_(instance_freep) struct instance *inst = NULL;
	_cleanup_(expansion_freep) struct expansion *e = NULL;
	char out[512];

	/* A[@1] appears first, but libvirt's group of @0 always has index 0. */
	set_var(r, FILTER_ATTR_SRCIPADDR, "A", FILTER_VAR_ITERATOR, 1);
	set_var(r, FILTER_ATTR_SRCPORTSTART, "B", FILTER_VAR_ITERATOR, 0);
	e = expand_ok(set, b, &inst);
	combos(e, FILTER_ATTR_SRCIPADDR, FILTER_ATTR_SRCPORTSTART, out, sizeof(out));
	assert_string_equal(out, "1.1.1.1/80 1.1.1.1/90 2.2.2.2/80 2.2.2.2/90 3.3.3.3/80 "
				 "3.3.3.3/90");
	assert_int_equal(e->accesses[0].group, 1);
	assert_int_equal(e->accesses[1].group, 0);
	binding_free(b);
}

static void test_expand_elements_and_sharing(void **state)
{
	struct binding *b;
	struct filter_rule *r;
	_cleanup_(filter_set_freep) struct filter_set *set = expand_setup(&b, &r);
	_cleanup_(instance_freep) struct instance *inst = NULL;
	_cleanup_(expansion_freep) struct expansion *e = NULL;
	char out[512];

	/* Equal accesses are one access; $A[2] is its own single-valued group. */
	set_var(r, FILTER_ATTR_SRCIPADDR, "A", FILTER_VAR_ELEMENT, 2);
	set_var(r, FILTER_ATTR_DSTIPADDR, "A", FILTER_VAR_ELEMENT, 2);
	set_var(r, FILTER_ATTR_SRCPORTSTART, "C", FILTER_VAR_ITERATOR, 0);
	set_var(r, FILTER_ATTR_DSTPORTSTART, "C", FILTER_VAR_ITERATOR, 0);
	e = expand_ok(set, b, &inst);
	assert_int_equal(e->n_accesses, 2);
	assert_int_equal(e->attr_access[FILTER_ATTR_SRCIPADDR],
			 e->attr_access[FILTER_ATTR_DSTIPADDR]);
	combos(e, FILTER_ATTR_DSTIPADDR, FILTER_ATTR_DSTPORTSTART, out, sizeof(out));
	assert_string_equal(out, "3.3.3.3/1080 3.3.3.3/1090 3.3.3.3/1100");
	binding_free(b);
}

static void test_expand_no_variables(void **state)
{
	struct binding *b;
	struct filter_rule *r;
	_cleanup_(filter_set_freep) struct filter_set *set = expand_setup(&b, &r);
	_cleanup_(instance_freep) struct instance *inst = NULL;
	_cleanup_(expansion_freep) struct expansion *e = NULL;

	e = expand_ok(set, b, &inst);
	assert_int_equal(e->n_accesses, 0);
	assert_int_equal(e->n_combinations, 1);
	assert_null(expansion_value(e, 0, FILTER_ATTR_SRCIPADDR));
	binding_free(b);
}

static void test_expand_cardinality(void **state)
{
	struct binding *b;
	struct filter_rule *r;
	_cleanup_(filter_set_freep) struct filter_set *set = expand_setup(&b, &r);
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct expansion *e = NULL;
	struct err err = { 0 };

	set_var(r, FILTER_ATTR_SRCIPADDR, "A", FILTER_VAR_ITERATOR, 3);
	set_var(r, FILTER_ATTR_SRCPORTSTART, "C", FILTER_VAR_ITERATOR, 3);
	inst = instantiate_ok(set, b);
	assert_true(instance_is_complete(inst));
	assert_int_equal(instance_rule_expand(inst, 0, &e, &err), -EINVAL);
	assert_null(e);
	assert_string_equal(err.msg, "filter 'top', rule 1: Cardinality of list items must be the "
				     "same for processing them in parallel ($A[@3] has 4 values, "
				     "$C[@3] has 3)");
	binding_free(b);
}

static void test_expand_cap(void **state)
{
	struct binding *b;
	struct filter_rule *r;
	_cleanup_(filter_set_freep) struct filter_set *set = expand_setup(&b, &r);
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct expansion *e = NULL;
	struct err err = { 0 };
	char v[16];

	for (int i = 0; i < 300; i++) {
		snprintf(v, sizeof(v), "%d", i);
		assert_int_equal(filter_params_add(&b->ref.params, "X", v), 0);
	}
	set_var(r, FILTER_ATTR_SRCPORTSTART, "X", FILTER_VAR_ITERATOR, 1);
	set_var(r, FILTER_ATTR_DSTPORTSTART, "X", FILTER_VAR_ITERATOR, 2);
	inst = instantiate_ok(set, b);
	assert_int_equal(instance_rule_expand(inst, 0, &e, &err), -E2BIG);
	assert_string_equal(err.msg, "filter 'top', rule 1: the variables expand to more than "
				     "65536 combinations");
	binding_free(b);
}

/* ---- reserved variables ---- */

static void test_learning_mode(void **state)
{
	struct filter_params p = { 0 };
	enum filter_learning mode = FILTER_LEARNING__MAX;
	struct err err = { 0 };

	assert_int_equal(filter_params_learning_mode(&p, &mode, &err), 0);
	assert_int_equal(mode, FILTER_LEARNING_ANY);
	add_param(&p, "CTRL_IP_LEARNING", "DHCP");
	assert_int_equal(filter_params_learning_mode(&p, &mode, &err), 0);
	assert_int_equal(mode, FILTER_LEARNING_DHCP);
	filter_params_fini(&p);

	add_param(&p, "CTRL_IP_LEARNING", "None,bogus");
	assert_int_equal(filter_params_learning_mode(&p, &mode, &err), 0);
	assert_int_equal(mode, FILTER_LEARNING_NONE);
	filter_params_fini(&p);

	add_param(&p, "CTRL_IP_LEARNING", "sometimes");
	mode = FILTER_LEARNING_DHCP;
	assert_int_equal(filter_params_learning_mode(&p, &mode, &err), -EINVAL);
	assert_int_equal(mode, FILTER_LEARNING_DHCP);
	assert_string_equal(err.msg,
			    "learning value 'sometimes' invalid (accepted: any, dhcp, none)");
	filter_params_fini(&p);
}

static void test_instance_reserved(void **state)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("top");
	_cleanup_(instance_freep) struct instance *inst = NULL;
	enum filter_learning mode;
	const struct filter_var *servers;

	put(set, mk_filter("top", "root", 0));
	add_param(&b->ref.params, "CTRL_IP_LEARNING", "Any");
	add_param(&b->ref.params, "DHCPSERVER", "10.0.0.1,10.0.0.2");
	inst = instantiate_ok(set, b);
	assert_int_equal(instance_learning_mode(inst, &mode, NULL), 0);
	assert_int_equal(mode, FILTER_LEARNING_ANY);
	servers = instance_dhcp_servers(inst);
	assert_non_null(servers);
	assert_int_equal(servers->n_values, 2);
	assert_string_equal(servers->values[1], "10.0.0.2");
	assert_int_equal(inst->n_rules, 0);
	assert_true(instance_is_complete(inst));
}

/* ---- libvirt's data ---- */

static struct filter *parse_compat(const char *name)
{
	struct conf_diag diag = { 0 };
	struct filter *f = NULL;
	char path[4096];

	snprintf(path, sizeof(path), "%s/nwfilterxml2firewalldata/%s.xml", test_compat_dir(), name);
	if (conf_filter_parse_file(path, &diag, &f) < 0) {
		print_error("%s: %s\n", path, diag.first_error.msg);
		return NULL;
	}
	return f;
}

/*
 * Expected combinations per rule, derived from libvirt's -linux.args: every
 * rule there is direction='out' on the iptables layer, which libvirt turns
 * into exactly three commands per combination (-A FJ-vnet0, -A FP-vnet0,
 * -A HJ-vnet0), and each rule of a file carries its own dscp value. So the
 * count for a rule is (lines "--dscp N" in the file) / 3:
 * iter1 dscp 2: 9 -> 3; iter2 dscp 1..6: 9 18 36 72 27 9 -> 3 6 12 24 9 3;
 * iter3 dscp 1..3: 6 6 3 -> 2 2 1.
 */
static void test_compat_iter(void **state)
{
	const struct {
		const char *name;
		size_t n;
		size_t counts[6];
	} cases[] = {
		{ "iter1", 1, { 3 } },
		{ "iter2", 6, { 3, 6, 12, 24, 9, 3 } },
		{ "iter3", 3, { 2, 2, 1 } },
	};

	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		/* Parsed first: a failed assert jumps out, past the cleanups. */
		struct filter *f = parse_compat(cases[c].name);

		assert_non_null(f);

		_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
		_cleanup_(binding_freep) struct binding *b = mk_binding("tck-testcase");
		_cleanup_(instance_freep) struct instance *inst = NULL;

		put(set, f);
		/* The variables libvirt's nwfilterxml2firewalltest presets. */
		add_param(&b->ref.params, "IPSETNAME", "tck_test");
		add_param(&b->ref.params, "A", "1.1.1.1,2.2.2.2,3.3.3.3,3.3.3.3");
		add_param(&b->ref.params, "B", "80,90,80,80");
		add_param(&b->ref.params, "C", "1080,1090,1100,1110");
		inst = instantiate_ok(set, b);
		assert_true(instance_is_complete(inst));
		assert_int_equal(inst->n_rules, cases[c].n);
		for (size_t i = 0; i < inst->n_rules; i++) {
			struct expansion *e = NULL;
			struct err err = { 0 };

			assert_int_equal(instance_rule_expand(inst, i, &e, &err), 0);
			if (e->n_combinations != cases[c].counts[i])
				print_error("%s rule %zu: %zu combinations\n", cases[c].name, i,
					    e->n_combinations);
			assert_int_equal(e->n_combinations, cases[c].counts[i]);
			expansion_free(e);
		}
	}
}

/* iter2's fourth rule in libvirt's order: A fastest, then B, then C. */
static void test_compat_iter2_order(void **state)
{
	/* Parsed first: a failed assert jumps out, past the cleanups. */
	struct filter *f = parse_compat("iter2");

	assert_non_null(f);

	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(binding_freep) struct binding *b = mk_binding("tck-testcase");
	_cleanup_(instance_freep) struct instance *inst = NULL;
	_cleanup_(expansion_freep) struct expansion *e = NULL;

	put(set, f);
	add_param(&b->ref.params, "A", "1.1.1.1,2.2.2.2,3.3.3.3,3.3.3.3");
	add_param(&b->ref.params, "B", "80,90,80,80");
	add_param(&b->ref.params, "C", "1080,1090,1100,1110");
	inst = instantiate_ok(set, b);
	assert_int_equal(instance_rule_expand(inst, 3, &e, NULL), 0);
	/* The first lines of iter2-linux.args for dscp 4, and the last. */
	assert_string_equal(expansion_value(e, 0, FILTER_ATTR_SRCIPADDR), "1.1.1.1");
	assert_string_equal(expansion_value(e, 1, FILTER_ATTR_SRCIPADDR), "2.2.2.2");
	assert_string_equal(expansion_value(e, 3, FILTER_ATTR_SRCIPADDR), "1.1.1.1");
	assert_string_equal(expansion_value(e, 3, FILTER_ATTR_SRCPORTSTART), "90");
	assert_string_equal(expansion_value(e, 3, FILTER_ATTR_DSTPORTSTART), "1080");
	assert_string_equal(expansion_value(e, 6, FILTER_ATTR_DSTPORTSTART), "1090");
	assert_string_equal(expansion_value(e, 23, FILTER_ATTR_SRCIPADDR), "3.3.3.3");
	assert_string_equal(expansion_value(e, 23, FILTER_ATTR_SRCPORTSTART), "90");
	assert_string_equal(expansion_value(e, 23, FILTER_ATTR_DSTPORTSTART), "1110");
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_add_find_remove),
		cmocka_unit_test(test_set_check_loop),
		cmocka_unit_test(test_depth_first_order),
		cmocka_unit_test(test_param_defaults),
		cmocka_unit_test(test_mac_default),
		cmocka_unit_test(test_defaults_with),
		cmocka_unit_test(test_cycles),
		cmocka_unit_test(test_missing_filter),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_dag_reuse),
		cmocka_unit_test(test_dag_explosion),
		cmocka_unit_test(test_missing_vars),
		cmocka_unit_test(test_priority_raise_and_order),
		cmocka_unit_test(test_stable_equal_priorities),
		cmocka_unit_test(test_chain_list),
		cmocka_unit_test(test_expand_parallel),
		cmocka_unit_test(test_expand_cross),
		cmocka_unit_test(test_expand_iterator0_fastest),
		cmocka_unit_test(test_expand_elements_and_sharing),
		cmocka_unit_test(test_expand_no_variables),
		cmocka_unit_test(test_expand_cardinality),
		cmocka_unit_test(test_expand_cap),
		cmocka_unit_test(test_learning_mode),
		cmocka_unit_test(test_instance_reserved),
	};
	const struct CMUnitTest corpus_tests[] = {
		cmocka_unit_test(test_compat_iter),
		cmocka_unit_test(test_compat_iter2_order),
	};

	if (argc > 1 && strcmp(argv[1], "--corpus") == 0) {
		test_require_compat();
		return cmocka_run_group_tests_name("filter-instantiate-corpus", corpus_tests, NULL,
						   NULL);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
