/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One rule of an instance on one side of a template: its inline matches,
 * the sets that hold the values of its variables (keyed by the port, so
 * every port bound to the template shares them) and the port's elements in
 * those sets, the stateful extras of the inet sides, and its verdict.
 */
#include "fw/compile-internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/value.h"
#include "fw/match.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* How a stateful rule is emitted on one inet side (libvirt's iptablesCreateRuleInstance). */
struct l3_plan {
	bool is_swapped; /* source and destination exchanged: the side sees the reply direction */
	bool has_mac;    /* -m mac --mac-source only where the packet leaves the VM as written */
	unsigned state;  /* FILTER_STATE_* bits to match, 0 for none */
	const char *direction; /* ct direction, or NULL */
};

/*
 * libvirt's placement of a stateful rule, from its iptables driver and
 * test data: FI and HI see the packet as an "out" rule is written, FO as
 * an "in" rule is written; the other sides see the reply direction with
 * source and destination swapped. Accepting rules match the connection
 * state that makes a reply pass; explicit states, connection limits and
 * ICMP types only apply on the sides of the rule's own direction.
 * Returns false when the rule is not emitted on this side at all.
 */
static bool l3_plan(const struct filter_rule *r, enum side side, struct l3_plan *plan)
{
	bool is_in = r->direction != FILTER_DIR_OUT, is_inout = r->direction == FILTER_DIR_INOUT;
	bool is_own = side == SIDE_FO ? is_in : r->direction != FILTER_DIR_IN;
	bool is_icmp_typed = (r->proto == FILTER_PROTO_ICMP || r->proto == FILTER_PROTO_ICMPV6) &&
			     r->attrs[FILTER_ATTR_ICMP_TYPE].is_set;
	const struct filter_attr *mac = &r->attrs[FILTER_ATTR_SRCMACADDR];
	bool has_limit = r->attrs[FILTER_ATTR_CONNLIMIT_ABOVE].is_set;

	*plan = (struct l3_plan){ .is_swapped = side == SIDE_FO ? !is_in : is_in };
	plan->has_mac = !plan->is_swapped;
	/* a negated MAC match cannot be dropped on the reverse side: that would widen the rule */
	if (plan->is_swapped && mac->is_set && mac->is_negated)
		return false;
	if ((is_icmp_typed && (is_inout || !is_own)) || (has_limit && !is_own))
		return false;
	if (!r->statematch)
		return true;
	if (r->attrs[FILTER_ATTR_STATE].is_set) {
		unsigned state = r->attrs[FILTER_ATTR_STATE].u.num;

		plan->state = state & FILTER_STATE_NONE ? 0 : state;
		return is_own;
	}
	if (r->action != FILTER_ACTION_ACCEPT || is_inout || has_limit)
		return true;
	if (is_icmp_typed) {
		plan->state = FILTER_STATE_NEW | FILTER_STATE_ESTABLISHED;
		return true;
	}
	plan->state =
		is_own ? FILTER_STATE_NEW | FILTER_STATE_ESTABLISHED : FILTER_STATE_ESTABLISHED;
	plan->direction = is_own ? "original" : "reply";
	return true;
}

static bool swaps(const struct filter_rule *r, enum side side)
{
	return r->direction == FILTER_DIR_INOUT && side == SIDE_OUT;
}

static const char *verdict(enum filter_action action, enum side side)
{
	switch (action) {
	case FILTER_ACTION_ACCEPT:
		/* libvirt: accept on FI/HI is RETURN, so the FO rules of the peer still apply */
		return side == SIDE_FI || side == SIDE_HI ? "return" : "accept";
	case FILTER_ACTION_REJECT:
		return side >= SIDE_L2_MAX ? "reject" : "drop";
	case FILTER_ACTION_RETURN:
		return "return";
	case FILTER_ACTION_CONTINUE:
		return "continue";
	case FILTER_ACTION_DROP:
	default:
		return "drop";
	}
}

int fw_compile_error(struct builder *b, const struct instance_rule *ir, const char *fmt, ...)
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
			: swapped                      ? fw_attr_swapped(f->partner)
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
		return fw_compile_error(b, ir, "%s: %s", filter_attr_names[sf->value_id], why);
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
		if (has_partner &&
		    (sf->partner->is_var || fw_field_partial_mask(&b->tail, sf->f, sf->partner)))
			return fw_compile_error(b, ir,
						"%s: a variable address with a partial mask "
						"cannot be matched by nftables sets",
						filter_attr_names[sf->value_id]);
	}
	if (has_partner && sf->value->is_negated != sf->partner->is_negated)
		return fw_compile_error(b, ir, "%s: mixed negation of a value and its %s",
					filter_attr_names[sf->value_id],
					filter_attr_names[sf->partner_id]);
	return 0;
}

bool fw_is_lease_var(const char *name)
{
	return strcmp(name, "IP") == 0 || strcmp(name, "IPV6") == 0;
}

/* A set holding a value of a variable that learning fills, for any port. */
static bool plan_is_learnable(const struct set_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->fields[i].value->is_var &&
		    fw_is_lease_var(plan->fields[i].value->var.name))
			return true;
	return false;
}

static void declare_set(struct builder *b, enum side side, struct set_plan *plan)
{
	static const char *const flags[2][2] = {
		{ "", "flags timeout; " },
		{ "flags interval; ", "flags interval,timeout; " },
	};

	snprintf(plan->name, sizeof(plan->name), TPL "-%s%u", fw_sides[side].letter, b->n_sets++);
	strbuf_addf(&b->sets, "add set %s " FW_TABLE " %s { typeof %s", side_family(b, side),
		    plan->name, side_key_typeof(b, side));
	for (size_t i = 0; i < plan->n; i++)
		strbuf_addf(&b->sets, " . %s", plan->fields[i].f->selector);
	/* timeouts: the kernel itself drops a leased address, even while the daemon is down */
	strbuf_addf(&b->sets, "; %s}\n", flags[plan->is_interval][plan_is_learnable(plan)]);
	strbuf_addf(&b->del, "delete set %s " FW_TABLE " %s\n", side_family(b, side), plan->name);
	strbuf_addf(&b->rules, "%s", side_key(b, side));
	for (size_t i = 0; i < plan->n; i++)
		strbuf_addf(&b->rules, " . %s", plan->fields[i].f->selector);
	strbuf_addf(&b->rules, " %s@%s ", plan->fields[0].value->is_negated ? "!= " : "",
		    plan->name);
}

/* The port's key in a side's sets: its name on the bridge, its id in the mark in inet. */
void fw_add_port_key(struct builder *b, enum side side, struct strbuf *sb)
{
	if (side < SIDE_L2_MAX)
		strbuf_addf(sb, "\"%s\"", b->port);
	else
		strbuf_addf(sb, "0x%08x", side == SIDE_FO ? b->port_id : b->port_id << 16);
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
		return fw_compile_error(b, ir, "%s: no value", filter_attr_names[id]);
	r = filter_value_parse(d, text, out, &why);
	if (r == -ENOMEM)
		return err_set(b->err, r, "out of memory");
	if (r < 0)
		return fw_compile_error(b, ir, "$%s = '%s' is not valid for %s: %s", a->var.name,
					text, filter_attr_names[id], why ? why : "bad value");
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
		r = fw_compile_error(b, ir, "%s: %s", filter_attr_names[sf->value_id], why);
	filter_attr_fini(&value);
	filter_attr_fini(&partner);
	return r;
}

/* The shortest lease among the leased values of combination k, 0 when none is leased. */
static unsigned combination_lease(const struct builder *b, const struct expansion *e, size_t k)
{
	unsigned expires_in = 0, lease;

	for (size_t i = 0; i < e->n_accesses; i++) {
		const char *value = e->values[k * e->n_accesses + i];

		if (fw_is_lease_var(e->accesses[i].var->name) &&
		    strmap_get(&b->leases, value, &lease) && (!expires_in || lease < expires_in))
			expires_in = lease;
	}
	return expires_in;
}

/*
 * Adds the port's elements of one set: one per combination, duplicates
 * folded. An element of a leased address carries its timeout; deleting it
 * first adds it again (a no-op when it is there), so that the delete
 * cannot fail on an element the kernel has already expired.
 */
static int add_elements(struct builder *b, const struct instance_rule *ir,
			const struct expansion *e, enum side side, const struct set_plan *plan)
{
	bool is_learnable = plan_is_learnable(plan);
	struct strbuf all, el, timed, expiring;
	struct strmap seen = { 0 };
	unsigned n = 0, n_timed = 0;
	int r = 0;

	strbuf_init(&all);
	strbuf_init(&el);
	strbuf_init(&timed);
	strbuf_init(&expiring);
	if (plan->fields[0].value->is_negated && e->n_combinations > 1) {
		r = fw_compile_error(b, ir,
				     "match='no' on a variable with %zu values: libvirt would emit "
				     "one rule per value, which a set lookup cannot express",
				     e->n_combinations);
		goto out;
	}
	for (size_t k = 0; k < e->n_combinations && r >= 0; k++) {
		strbuf_reset(&el);
		fw_add_port_key(b, side, &el);
		for (size_t i = 0; i < plan->n && r >= 0; i++) {
			strbuf_add(&el, " . ");
			r = element_field(b, ir, e, k, &plan->fields[i], &el);
		}
		if (r < 0)
			break;
		/* duplicates folded in constant time each: a port may have many addresses */
		r = strbuf_error(&el) < 0 ? -ENOMEM : strmap_add(&seen, el.buf, 0);
		if (r < 0) {
			r = err_set(b->err, -ENOMEM, "out of memory");
			break;
		}
		if (r == 0)
			continue;
		strbuf_addf(&all, "%s%s", n ? ", " : "", el.buf);
		unsigned lease = is_learnable ? combination_lease(b, e, k) : 0;

		strbuf_addf(&timed, "%s%s", n ? ", " : "", el.buf);
		if (lease) {
			strbuf_addf(&timed, " timeout %us", lease);
			strbuf_addf(&expiring, "%s%s timeout 1s", n_timed++ ? ", " : "", el.buf);
		}
		n++;
	}
	if (r >= 0) {
		const char *f = side_family(b, side);

		strbuf_addf(&b->elements_add, "add element %s " FW_TABLE " %s { %s }\n", f,
			    plan->name, timed.buf);
		if (n_timed)
			strbuf_addf(&b->elements_del, "add element %s " FW_TABLE " %s { %s }\n", f,
				    plan->name, expiring.buf);
		strbuf_addf(&b->elements_del, "delete element %s " FW_TABLE " %s { %s }\n", f,
			    plan->name, all.buf);
		b->n_elements += n;
	}
out:
	strmap_fini(&seen);
	strbuf_fini(&all);
	strbuf_fini(&el);
	strbuf_fini(&timed);
	strbuf_fini(&expiring);
	return r;
}

/* Appends the names of the bits set in bits (bit i: names[i]), joined by sep. */
static void add_bit_names(struct strbuf *sb, const char *const *names, size_t n_names,
			  unsigned bits, const char *sep)
{
	bool is_first = true;

	for (size_t i = 0; i < n_names; i++) {
		if (!(bits & (1u << i)))
			continue;
		strbuf_addf(sb, "%s%s", is_first ? "" : sep, names[i]);
		is_first = false;
	}
}

static void add_tcp_flags(struct strbuf *sb, uint8_t bits)
{
	static const char *const names[] = { "fin", "syn", "rst", "psh", "ack", "urg" };

	if (!bits) {
		strbuf_add(sb, "0x0");
		return;
	}
	strbuf_addc(sb, '(');
	add_bit_names(sb, names, ARRAY_SIZE(names), bits, "|");
	strbuf_addc(sb, ')');
}

static void add_state(struct strbuf *sb, unsigned state)
{
	static const char *const names[] = { "new", "established", "related", "invalid" };

	strbuf_add(sb, "ct state ");
	add_bit_names(sb, names, ARRAY_SIZE(names), state, ",");
	strbuf_addc(sb, ' ');
}

/* The matches only stateful rules have, after the field matches (libvirt's order). */
static int add_l3_extras(struct builder *b, const struct instance_rule *ir, enum side side,
			 const struct l3_plan *plan)
{
	const struct filter_attr *a = ir->rule->attrs;

	if (a[FILTER_ATTR_IPSET].is_set)
		return fw_compile_error(b, ir, "ipset matches have no nftables equivalent here");
	if (a[FILTER_ATTR_TCP_FLAGS].is_set) {
		strbuf_add(&b->rules, "tcp flags & ");
		add_tcp_flags(&b->rules, a[FILTER_ATTR_TCP_FLAGS].u.tcp_flags.mask);
		strbuf_addf(&b->rules, " %s ", a[FILTER_ATTR_TCP_FLAGS].is_negated ? "!=" : "==");
		add_tcp_flags(&b->rules, a[FILTER_ATTR_TCP_FLAGS].u.tcp_flags.flags);
		strbuf_addc(&b->rules, ' ');
	}
	if (a[FILTER_ATTR_TCP_OPTION].is_set)
		strbuf_addf(&b->rules, "tcp option %u %s ", a[FILTER_ATTR_TCP_OPTION].u.num,
			    a[FILTER_ATTR_TCP_OPTION].is_negated ? "missing" : "exists");
	if (plan->state)
		add_state(&b->rules, plan->state);
	if (plan->direction)
		strbuf_addf(&b->rules, "ct direction %s ", plan->direction);
	if (a[FILTER_ATTR_CONNLIMIT_ABOVE].is_set) {
		/* iptables' connlimit counts per source address; per port too, as sets are shared
		 */
		const char *saddr =
			filter_proto_info[ir->rule->proto].is_ipv6 ? "ip6 saddr" : "ip saddr";
		char name[64];

		snprintf(name, sizeof(name), TPL "-%s%u", fw_sides[side].letter, b->n_sets++);
		strbuf_addf(&b->sets,
			    "add set inet " FW_TABLE
			    " %s { typeof meta mark . %s; flags dynamic; }\n",
			    name, saddr);
		strbuf_addf(&b->del, "delete set inet " FW_TABLE " %s\n", name);
		strbuf_addf(&b->rules, "add @%s { %s . %s ct count %s%u } ", name,
			    fw_sides[side].key, saddr,
			    a[FILTER_ATTR_CONNLIMIT_ABOVE].is_negated ? "" : "over ",
			    a[FILTER_ATTR_CONNLIMIT_ABOVE].u.num);
	}
	return 0;
}

static void add_comment(struct strbuf *sb, const struct filter_attr *comment)
{
	/* nft comments are double-quoted and at most 128 bytes */
	size_t n = 0;

	if (!comment->is_set || !comment->str)
		return;
	strbuf_add(sb, " comment \"");
	for (const char *p = comment->str; *p && n < 127; p++, n++)
		strbuf_addc(sb, *p == '"'                                  ? '\''
				: (*p == '\\' || (unsigned char)*p < 0x20) ? ' '
									   : *p);
	strbuf_addc(sb, '"');
}

int fw_emit_rule_on_side(struct builder *b, size_t index, enum side side, const struct expansion *e)
{
	const struct instance_rule *ir = &b->inst->rules[index];
	const struct filter_rule *r = ir->rule;
	const struct fw_proto_fields *pf = fw_proto_fields(r->proto);
	struct set_plan plans[2] = { 0 }; /* [0]: plain fields, [1]: negated fields */
	bool is_l3 = side >= SIDE_L2_MAX;
	struct l3_plan l3 = { .is_swapped = swaps(r, side), .has_mac = true };
	int ret;

	if (is_l3 && !l3_plan(r, side, &l3))
		return 0;
	if (r->attrs[FILTER_ATTR_GRATUITOUS].is_set && r->attrs[FILTER_ATTR_GRATUITOUS].u.boolean)
		return fw_compile_error(b, ir,
					"gratuitous='true' (sender IP equal to target IP) "
					"cannot be expressed in nftables");
	strbuf_addf(&b->rules, "add rule %s " FW_TABLE " ", side_family(b, side));
	fw_add_chain_name(&b->rules, side, is_l3 || is_root(ir->chain) ? NULL : ir->chain);
	strbuf_addc(&b->rules, ' ');
	if (pf->implied)
		strbuf_addf(&b->rules, "%s ", pf->implied);
	for (size_t i = 0; i < pf->n_fields; i++) {
		struct side_field sf = side_field(r, &pf->fields[i], l3.is_swapped);

		if (!sf.value->is_set ||
		    (is_l3 && sf.f->attr == FILTER_ATTR_SRCMACADDR && !l3.has_mac))
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
		ret = add_elements(b, ir, e, side, &plans[p]);
		if (ret < 0)
			return ret;
	}
	if (is_l3 && (ret = add_l3_extras(b, ir, side, &l3)) < 0)
		return ret;
	if (side < SIDE_L2_MAX && !b->is_uncounted &&
	    (r->action == FILTER_ACTION_DROP || r->action == FILTER_ACTION_REJECT))
		fw_drop_verdict(&b->rules, fw_drop_reason_of(ir->filter->name), side == SIDE_OUT);
	else
		strbuf_add(&b->rules, verdict(r->action, side));
	if (is_l3)
		add_comment(&b->rules, &r->attrs[FILTER_ATTR_COMMENT]);
	strbuf_addc(&b->rules, '\n');
	b->n_rules++;
	return 0;
}
