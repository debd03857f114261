/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Instance -> nftables text. The idea: a port's rules are a *template*
 * shared by every port bound to the same filter tree, plus the port's own
 * values as set elements. A rule that uses variables matches
 * "iifname . <fields> @set", where the set holds one element per
 * combination of the port's values (libvirt emits one rule per combination;
 * a set lookup accepts the same packets, and duplicates fold away).
 *
 * libvirt's layer-2 semantics, kept exactly:
 *  - out = from the VM (prerouting, iifname), in = to the VM (postrouting,
 *    oifname); an inout rule goes to both, with source and destination
 *    swapped on the out side (libvirt writes inout rules as seen by the VM);
 *  - a named chain is entered from the root chain by a jump matching its
 *    protocol prefix, interleaved with the root rules by priority (§7.2);
 *  - a frame that runs off the end of a named chain is accepted (ebtables'
 *    user chains have policy ACCEPT; nftables would return instead);
 *  - reject becomes drop on layer 2.
 */
#include "fw/compile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fw/match.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* Stands for the template's name until the text is complete and can be hashed. */
#define TPL "\x01"

enum side {
	SIDE_OUT, /* frames from the VM */
	SIDE_IN,  /* frames to the VM */
};

static const char *const side_letter[] = { [SIDE_OUT] = "o", [SIDE_IN] = "i" };
static const char *const side_port_selector[] = { [SIDE_OUT] = "iifname", [SIDE_IN] = "oifname" };

struct builder {
	const struct instance *inst;
	const char *port;
	struct err *err;
	struct strbuf sets, chains, rules, tail, del;
	struct strbuf elements_add, elements_del;
	unsigned n_sets[2];
	unsigned n_rules, n_elements;
	bool *has_chain[2]; /* per side, per instance chain: the chain has rules there */
	bool *made_chain[2];
};

static void builder_fini(struct builder *b)
{
	strbuf_fini(&b->sets);
	strbuf_fini(&b->chains);
	strbuf_fini(&b->rules);
	strbuf_fini(&b->tail);
	strbuf_fini(&b->del);
	strbuf_fini(&b->elements_add);
	strbuf_fini(&b->elements_del);
	for (int s = 0; s < 2; s++) {
		free(b->has_chain[s]);
		free(b->made_chain[s]);
	}
}

/* nft identifiers take [A-Za-z0-9_-]; libvirt chain names may also hold '.' and ':'. */
static void add_chain_name(struct strbuf *sb, enum side side, const char *chain)
{
	strbuf_addf(sb, TPL "-%s", side_letter[side]);
	if (!chain)
		return;
	strbuf_addc(sb, '-');
	for (const char *p = chain; *p; p++) {
		if (*p == '.' || *p == ':')
			strbuf_addf(sb, "_%02x", (unsigned char)*p);
		else
			strbuf_addc(sb, *p);
	}
}

static bool is_root(const char *chain)
{
	return strcmp(chain, "root") == 0;
}

static bool rule_on_side(const struct filter_rule *r, enum side side)
{
	if (r->direction == FILTER_DIR_INOUT)
		return true;
	return (side == SIDE_OUT) == (r->direction == FILTER_DIR_OUT);
}

static bool swaps(const struct filter_rule *r, enum side side)
{
	return r->direction == FILTER_DIR_INOUT && side == SIDE_OUT;
}

static const char *verdict(enum filter_action action)
{
	switch (action) {
	case FILTER_ACTION_ACCEPT:
		return "accept";
	case FILTER_ACTION_RETURN:
		return "return";
	case FILTER_ACTION_CONTINUE:
		return "continue";
	case FILTER_ACTION_DROP:
	case FILTER_ACTION_REJECT:
	default:
		return "drop";
	}
}

/* The match that guards the jump into a named chain, from the chain's name prefix. */
static const char *chain_guard(const char *chain)
{
	static const struct {
		const char *prefix, *guard;
	} guards[] = {
		{ "mac", NULL },
		{ "stp", "ether daddr 01:80:c2:00:00:00 " },
		{ "vlan", "ether type 8021q " },
		{ "rarp", "ether type 0x8035 " },
		{ "arp", "ether type arp " },
		{ "ipv4", "ether type ip " },
		{ "ipv6", "ether type ip6 " },
	};

	for (size_t i = 0; i < ARRAY_SIZE(guards); i++)
		if (strncmp(chain, guards[i].prefix, strlen(guards[i].prefix)) == 0)
			return guards[i].guard;
	return NULL;
}

static int compile_error(struct builder *b, const struct instance_rule *ir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int compile_error(struct builder *b, const struct instance_rule *ir, const char *fmt, ...)
{
	char what[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return err_set(b->err, -EINVAL, "port %s: filter '%s', rule <%s> (%s, priority %d): %s",
		       b->port, ir->filter->name, filter_proto_info[ir->rule->proto].name,
		       filter_direction_names[ir->rule->direction], ir->rule->priority, what);
}

/* One field of a rule as seen from one side. */
struct side_field {
	const struct fw_field *f;
	enum filter_attr_id value_id, partner_id;
	const struct filter_attr *value, *partner;
};

static struct side_field side_field(const struct filter_rule *r, const struct fw_field *f,
				    bool swapped)
{
	struct side_field sf = { .f = f };

	sf.value_id = swapped ? fw_attr_swapped(f->attr) : f->attr;
	sf.partner_id = f->partner == FILTER_ATTR__MAX ? FILTER_ATTR__MAX
			: swapped			   ? fw_attr_swapped(f->partner)
							   : f->partner;
	sf.value = &r->attrs[sf.value_id];
	sf.partner = sf.partner_id == FILTER_ATTR__MAX ? NULL : &r->attrs[sf.partner_id];
	return sf;
}

static bool field_is_var(const struct side_field *sf)
{
	return sf->value->is_var || (sf->partner && sf->partner->is_set && sf->partner->is_var);
}

static int add_inline_match(struct builder *b, const struct instance_rule *ir,
			    const struct side_field *sf)
{
	bool is_negated = sf->value->is_negated;
	const char *why = NULL;

	strbuf_reset(&b->tail);
	if (fw_field_partial_mask(&b->tail, sf->f, sf->partner))
		strbuf_addf(&b->rules, "%s & %s %s", sf->f->selector, b->tail.buf,
			    is_negated ? "!= " : "== ");
	else
		strbuf_addf(&b->rules, "%s %s", sf->f->selector, is_negated ? "!= " : "");
	if (fw_field_format(&b->rules, sf->f, sf->value, sf->partner, &why) < 0)
		return compile_error(b, ir, "%s: %s", filter_attr_names[sf->value_id], why);
	strbuf_addc(&b->rules, ' ');
	return 0;
}

/* The set fields of a rule on one side: the negated ones and the others go to separate sets. */
struct set_plan {
	struct side_field fields[FW_FIELDS_MAX];
	size_t n;
	bool is_interval;
	char name[64];
};

static int check_set_field(struct builder *b, const struct instance_rule *ir,
			   const struct side_field *sf)
{
	bool has_partner = sf->partner && sf->partner->is_set;

	strbuf_reset(&b->tail);
	if (sf->f->format == FW_FORMAT_MAC || sf->f->format == FW_FORMAT_RAW_MAC) {
		if (has_partner && (sf->partner->is_var || fw_field_partial_mask(&b->tail, sf->f,
										 sf->partner)))
			return compile_error(b, ir,
					     "%s: a variable address with a partial mask "
					     "cannot be matched by nftables sets",
					     filter_attr_names[sf->value_id]);
	}
	if (has_partner && sf->value->is_negated != sf->partner->is_negated)
		return compile_error(b, ir, "%s: mixed negation of a value and its %s",
				     filter_attr_names[sf->value_id],
				     filter_attr_names[sf->partner_id]);
	return 0;
}

static int declare_set(struct builder *b, enum side side, struct set_plan *plan)
{
	snprintf(plan->name, sizeof(plan->name), TPL "-%s%u", side_letter[side],
		 b->n_sets[side]++);
	strbuf_addf(&b->sets, "add set bridge " FW_TABLE " %s { typeof %s", plan->name,
		    side_port_selector[side]);
	for (size_t i = 0; i < plan->n; i++)
		strbuf_addf(&b->sets, " . %s", plan->fields[i].f->selector);
	strbuf_addf(&b->sets, "; %s}\n", plan->is_interval ? "flags interval; " : "");
	strbuf_addf(&b->del, "delete set bridge " FW_TABLE " %s\n", plan->name);
	strbuf_addf(&b->rules, "%s", side_port_selector[side]);
	for (size_t i = 0; i < plan->n; i++)
		strbuf_addf(&b->rules, " . %s", plan->fields[i].f->selector);
	strbuf_addf(&b->rules, " %s@%s ", plan->fields[0].value->is_negated ? "!= " : "",
		    plan->name);
	return 0;
}

/* Parses the value of a variable attribute in combination k into out. */
static int resolve(struct builder *b, const struct instance_rule *ir, const struct expansion *e,
		   size_t k, enum filter_attr_id id, const struct filter_attr *a,
		   struct filter_attr *out)
{
	const struct filter_attr_desc *d = filter_proto_attr(ir->rule->proto, id);
	const char *text, *why = NULL;
	int r;

	if (!a->is_var) {
		*out = *a;
		out->str = NULL;
		out->var.name = NULL;
		return 0;
	}
	text = expansion_value(e, k, id);
	if (!d || !text)
		return compile_error(b, ir, "%s: no value", filter_attr_names[id]);
	r = filter_value_parse(d, text, out, &why);
	if (r == -ENOMEM)
		return err_set(b->err, r, "out of memory");
	if (r < 0)
		return compile_error(b, ir, "$%s = '%s' is not valid for %s: %s", a->var.name, text,
				     filter_attr_names[id], why ? why : "bad value");
	return 0;
}

static int element_field(struct builder *b, const struct instance_rule *ir,
			 const struct expansion *e, size_t k, const struct side_field *sf,
			 struct strbuf *el)
{
	struct filter_attr value = { 0 }, partner = { 0 };
	const char *why = NULL;
	int r;

	r = resolve(b, ir, e, k, sf->value_id, sf->value, &value);
	if (r >= 0 && sf->partner && sf->partner->is_set)
		r = resolve(b, ir, e, k, sf->partner_id, sf->partner, &partner);
	if (r >= 0 && fw_field_format(el, sf->f, &value, sf->partner ? &partner : NULL, &why) < 0)
		r = compile_error(b, ir, "%s: %s", filter_attr_names[sf->value_id], why);
	filter_attr_fini(&value);
	filter_attr_fini(&partner);
	return r;
}

/* Adds the port's elements of one set: one per combination, duplicates folded. */
static int add_elements(struct builder *b, const struct instance_rule *ir,
			const struct expansion *e, const struct set_plan *plan)
{
	struct strbuf all, el;
	unsigned n = 0;
	int r = 0;

	strbuf_init(&all);
	strbuf_init(&el);
	if (plan->fields[0].value->is_negated && e->n_combinations > 1) {
		r = compile_error(b, ir,
				  "match='no' on a variable with %zu values: libvirt would emit "
				  "one rule per value, which a set lookup cannot express",
				  e->n_combinations);
		goto out;
	}
	for (size_t k = 0; k < e->n_combinations && r >= 0; k++) {
		strbuf_reset(&el);
		strbuf_addf(&el, "\"%s\"", b->port);
		for (size_t i = 0; i < plan->n && r >= 0; i++) {
			strbuf_add(&el, " . ");
			r = element_field(b, ir, e, k, &plan->fields[i], &el);
		}
		if (r < 0 || strbuf_error(&el) < 0)
			break;
		/* the list is short (one element per combination); a linear search is fine */
		if (all.buf && strstr(all.buf, el.buf)) {
			const char *p = strstr(all.buf, el.buf);
			size_t len = strlen(el.buf);

			if ((p == all.buf || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
				continue;
		}
		strbuf_addf(&all, "%s%s", n ? ", " : "", el.buf);
		n++;
	}
	if (r >= 0) {
		strbuf_addf(&b->elements_add, "add element bridge " FW_TABLE " %s { %s }\n",
			    plan->name, all.buf);
		strbuf_addf(&b->elements_del, "delete element bridge " FW_TABLE " %s { %s }\n",
			    plan->name, all.buf);
		b->n_elements += n;
	}
out:
	strbuf_fini(&all);
	strbuf_fini(&el);
	return r;
}

static int emit_rule_on_side(struct builder *b, size_t index, enum side side,
			     const struct expansion *e)
{
	const struct instance_rule *ir = &b->inst->rules[index];
	const struct filter_rule *r = ir->rule;
	const struct fw_proto_fields *pf = fw_l2_fields(r->proto);
	struct set_plan plans[2] = { 0 }; /* [0]: plain fields, [1]: negated fields */
	int ret;

	if (r->attrs[FILTER_ATTR_GRATUITOUS].is_set && r->attrs[FILTER_ATTR_GRATUITOUS].u.boolean)
		return compile_error(b, ir, "gratuitous='true' (sender IP equal to target IP) "
					    "cannot be expressed in nftables");
	strbuf_add(&b->rules, "add rule bridge " FW_TABLE " ");
	add_chain_name(&b->rules, side, is_root(ir->chain) ? NULL : ir->chain);
	strbuf_addc(&b->rules, ' ');
	if (pf->implied)
		strbuf_addf(&b->rules, "%s ", pf->implied);
	for (size_t i = 0; i < pf->n_fields; i++) {
		struct side_field sf = side_field(r, &pf->fields[i], swaps(r, side));

		if (!sf.value->is_set)
			continue;
		if (!field_is_var(&sf)) {
			ret = add_inline_match(b, ir, &sf);
		} else {
			struct set_plan *plan = &plans[sf.value->is_negated];

			ret = check_set_field(b, ir, &sf);
			plan->fields[plan->n++] = sf;
			plan->is_interval |= fw_field_is_interval(sf.f, sf.value, sf.partner);
		}
		if (ret < 0)
			return ret;
	}
	for (int p = 0; p < 2; p++) {
		if (!plans[p].n)
			continue;
		declare_set(b, side, &plans[p]);
		ret = add_elements(b, ir, e, &plans[p]);
		if (ret < 0)
			return ret;
	}
	strbuf_addf(&b->rules, "%s\n", verdict(r->action));
	b->n_rules++;
	return 0;
}

static void make_chain(struct builder *b, size_t c)
{
	const struct instance_chain *ch = &b->inst->chains[c];
	const char *guard = chain_guard(ch->name);

	for (int s = 0; s < 2; s++) {
		if (!b->has_chain[s][c] || b->made_chain[s][c])
			continue;
		b->made_chain[s][c] = true;
		strbuf_add(&b->chains, "add chain bridge " FW_TABLE " ");
		add_chain_name(&b->chains, s, ch->name);
		strbuf_addc(&b->chains, '\n');
		strbuf_add(&b->rules, "add rule bridge " FW_TABLE " ");
		add_chain_name(&b->rules, s, NULL);
		strbuf_addf(&b->rules, " %sjump ", guard ? guard : "");
		add_chain_name(&b->rules, s, ch->name);
		strbuf_addc(&b->rules, '\n');
		b->n_rules++;
	}
}

static ssize_t chain_index(const struct instance *inst, const char *name)
{
	for (size_t c = 0; c < inst->n_chains; c++)
		if (strcmp(inst->chains[c].name, name) == 0)
			return (ssize_t)c;
	return -1;
}

static int plan_chains(struct builder *b)
{
	const struct instance *inst = b->inst;

	for (int s = 0; s < 2; s++) {
		b->has_chain[s] = calloc(inst->n_chains + 1, sizeof(bool));
		b->made_chain[s] = calloc(inst->n_chains + 1, sizeof(bool));
		if (!b->has_chain[s] || !b->made_chain[s])
			return err_set(b->err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < inst->n_rules; i++) {
		const struct instance_rule *ir = &inst->rules[i];
		ssize_t c;

		if (filter_proto_info[ir->rule->proto].layer != FILTER_LAYER_L2 ||
		    is_root(ir->chain))
			continue;
		c = chain_index(inst, ir->chain);
		if (c < 0)
			return err_set(b->err, -EINVAL, "port %s: chain '%s' is not in the instance",
				       b->port, ir->chain);
		for (int s = 0; s < 2; s++)
			if (rule_on_side(ir->rule, s))
				b->has_chain[s][c] = true;
	}
	return 0;
}

/* Sub-chains end with accept: ebtables user chains have policy ACCEPT. */
static void close_chains(struct builder *b)
{
	for (size_t c = 0; c < b->inst->n_chains; c++) {
		for (int s = 0; s < 2; s++) {
			if (!b->made_chain[s][c])
				continue;
			strbuf_add(&b->rules, "add rule bridge " FW_TABLE " ");
			add_chain_name(&b->rules, s, b->inst->chains[c].name);
			strbuf_add(&b->rules, " accept\n");
			b->n_rules++;
		}
	}
}

static int emit_rule(struct builder *b, size_t i)
{
	_cleanup_(expansion_freep) struct expansion *e = NULL;
	const struct instance_rule *ir = &b->inst->rules[i];
	int r;

	if (ir->rule->proto == FILTER_PROTO_STP && ir->rule->direction == FILTER_DIR_INOUT &&
	    ir->rule->attrs[FILTER_ATTR_SRCMACADDR].is_set)
		return compile_error(b, ir, "STP rules with direction inout cannot match a "
					    "source MAC (libvirt refuses them too)");
	r = instance_rule_expand(b->inst, i, &e, b->err);
	if (r < 0)
		return err_prefix(b->err, "port %s: filter '%s': ", b->port, ir->filter->name);
	for (int s = 0; s < 2; s++) {
		if (!rule_on_side(ir->rule, s))
			continue;
		r = emit_rule_on_side(b, i, s, e);
		if (r < 0)
			return r;
	}
	return 0;
}

static int build_l2(struct builder *b)
{
	const struct instance *inst = b->inst;
	size_t next_chain = 0;
	int r;

	r = plan_chains(b);
	if (r < 0)
		return r;
	for (int s = 0; s < 2; s++) {
		strbuf_add(&b->chains, "add chain bridge " FW_TABLE " ");
		add_chain_name(&b->chains, s, NULL);
		strbuf_addc(&b->chains, '\n');
	}
	for (size_t i = 0; i < inst->n_rules; i++) {
		const struct instance_rule *ir = &inst->rules[i];

		if (filter_proto_info[ir->rule->proto].layer != FILTER_LAYER_L2)
			return compile_error(b, ir, "layer-3 rules are not supported yet");
		/* §7.2: a chain's jump goes before the first rule whose priority reaches it */
		while (next_chain < inst->n_chains && inst->chains[next_chain].priority <= ir->priority)
			make_chain(b, next_chain++);
		r = emit_rule(b, i);
		if (r < 0)
			return r;
	}
	while (next_chain < inst->n_chains)
		make_chain(b, next_chain++);
	close_chains(b);
	return 0;
}

/* FNV-1a, 64 bits: a template's name only needs to tell different texts apart. */
static uint64_t hash_text(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static char *replace_placeholder(const char *text, const char *id)
{
	struct strbuf sb;

	strbuf_init(&sb);
	for (const char *p = text; *p; p++) {
		if (*p == TPL[0])
			strbuf_add(&sb, id);
		else
			strbuf_addc(&sb, *p);
	}
	return strbuf_steal(&sb);
}

static void add_template_del(struct builder *b, struct strbuf *out)
{
	/* Chains jump to each other: empty them all before deleting any. */
	for (const char *line = b->chains.buf; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);
		const char *name = line + strlen("add chain ");

		strbuf_add(out, "flush chain ");
		strbuf_addn(out, name, len - strlen("add chain "));
		strbuf_addc(out, '\n');
		line = end ? end + 1 : line + len;
	}
	for (const char *line = b->chains.buf; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		strbuf_add(out, "delete chain ");
		strbuf_addn(out, line + strlen("add chain "), len - strlen("add chain "));
		strbuf_addc(out, '\n');
		line = end ? end + 1 : line + len;
	}
	strbuf_add(out, b->del.buf ? b->del.buf : "");
}

static bool is_port_name(const char *port)
{
	size_t len = strlen(port);

	if (len == 0 || len >= 16)
		return false;
	for (const char *p = port; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-@+",
			    *p))
			return false;
	return true;
}

static int finish(struct builder *b, struct fw_port *p)
{
	struct strbuf tpl, del, dispatch;
	char id[20];

	strbuf_init(&tpl);
	strbuf_init(&del);
	strbuf_init(&dispatch);
	strbuf_addf(&tpl, "%s%s%s", b->sets.buf ? b->sets.buf : "", b->chains.buf,
		    b->rules.buf ? b->rules.buf : "");
	add_template_del(b, &del);
	for (int s = 0; s < 2; s++) {
		strbuf_addf(&dispatch, "add element bridge " FW_TABLE " %s-ports { \"%s\" : jump ",
			    s == SIDE_OUT ? "out" : "in", b->port);
		add_chain_name(&dispatch, s, NULL);
		strbuf_add(&dispatch, " }\n");
	}
	if (strbuf_error(&tpl) < 0 || strbuf_error(&del) < 0 || strbuf_error(&dispatch) < 0)
		goto oom;
	snprintf(id, sizeof(id), "t%016llx", (unsigned long long)hash_text(tpl.buf));
	p->template_id = strdup(id);
	p->template_add = replace_placeholder(tpl.buf, id);
	p->template_del = replace_placeholder(del.buf, id);
	/* dispatch last on add (the chains must be complete), first on delete */
	strbuf_add(&dispatch, b->elements_add.buf ? b->elements_add.buf : "");
	p->elements_add = replace_placeholder(dispatch.buf, id);
	strbuf_reset(&dispatch);
	strbuf_addf(&dispatch, "delete element bridge " FW_TABLE " out-ports { \"%s\" }\n"
			       "delete element bridge " FW_TABLE " in-ports { \"%s\" }\n%s",
		    b->port, b->port, b->elements_del.buf ? b->elements_del.buf : "");
	p->elements_del = replace_placeholder(dispatch.buf, id);
	p->n_rules = b->n_rules;
	p->n_elements = b->n_elements + 2;
	strbuf_fini(&tpl);
	strbuf_fini(&del);
	strbuf_fini(&dispatch);
	if (!p->template_id || !p->template_add || !p->template_del || !p->elements_add ||
	    !p->elements_del)
		return err_set(b->err, -ENOMEM, "out of memory");
	return 0;
oom:
	strbuf_fini(&tpl);
	strbuf_fini(&del);
	strbuf_fini(&dispatch);
	return err_set(b->err, -ENOMEM, "out of memory");
}

int fw_compile(const struct instance *inst, const char *port, struct fw_port **ret,
	       struct err *err)
{
	_cleanup_(fw_port_freep) struct fw_port *p = NULL;
	struct builder b = { .inst = inst, .port = port, .err = err };
	int r;

	if (!is_port_name(port))
		return err_set(err, -EINVAL,
			       "'%s' is not a valid interface name (1-15 characters)", port);
	if (!instance_is_complete(inst)) {
		_cleanup_free_ char *missing = instance_missing_format(inst, true);

		return err_set(err, -EINVAL, "port %s: %s", port,
			       missing ? missing : "variables are missing");
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->port = strdup(port)))
		return err_set(err, -ENOMEM, "out of memory");
	r = build_l2(&b);
	if (r >= 0)
		r = finish(&b, p);
	builder_fini(&b);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

struct fw_port *fw_port_free(struct fw_port *p)
{
	if (!p)
		return NULL;
	free(p->port);
	free(p->template_id);
	free(p->template_add);
	free(p->template_del);
	free(p->elements_add);
	free(p->elements_del);
	free(p);
	return NULL;
}

const char *fw_base_add(void)
{
	/*
	 * Priorities of ebtables' nat table, where libvirt puts its rules:
	 * before the bridge decides (prerouting -300) and after (postrouting 300).
	 * Re-adding the dispatch rules is atomic with the flush, so running
	 * this again never opens a gap.
	 */
	return "add table bridge " FW_TABLE "\n"
	       "add map bridge " FW_TABLE " out-ports { type ifname : verdict; }\n"
	       "add map bridge " FW_TABLE " in-ports { type ifname : verdict; }\n"
	       "add chain bridge " FW_TABLE
	       " prerouting { type filter hook prerouting priority -300; policy accept; }\n"
	       "add chain bridge " FW_TABLE
	       " postrouting { type filter hook postrouting priority 300; policy accept; }\n"
	       "flush chain bridge " FW_TABLE " prerouting\n"
	       "flush chain bridge " FW_TABLE " postrouting\n"
	       "add rule bridge " FW_TABLE " prerouting iifname vmap @out-ports\n"
	       "add rule bridge " FW_TABLE " postrouting oifname vmap @in-ports\n";
}

const char *fw_base_del(void)
{
	return "delete table bridge " FW_TABLE "\n";
}
