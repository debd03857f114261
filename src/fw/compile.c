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

#include "filter/value.h"
#include "fw/match.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

/* Stands for the template's name until the text is complete and can be hashed. */
#define TPL "\x01"

/*
 * Where a rule can go. The two bridge sides hold the layer-2 rules; the
 * three inet sides the stateful ones, as libvirt's iptables chains FI
 * (forwarded from the VM), FO (forwarded to the VM) and HI (from the VM to
 * the host). In the inet table the port is known only by the packet mark
 * the bridge table set: the in-port's id in the high 16 bits, the
 * out-port's in the low 16 bits.
 */
enum side {
	SIDE_OUT, /* frames from the VM */
	SIDE_IN,  /* frames to the VM */
	SIDE_FI,
	SIDE_FO,
	SIDE_HI,
	SIDE__MAX,
};

#define SIDE_L2_MAX 2

static const struct {
	const char *family, *letter, *key, *key_typeof;
} sides[SIDE__MAX] = {
	/* the layer-2 sides' family and key depend on the attachment: see l2_layouts */
	[SIDE_OUT] = { NULL, "o", NULL, NULL },
	[SIDE_IN] = { NULL, "i", NULL, NULL },
	[SIDE_FI] = { "inet", "fi", "meta mark & 0xffff0000", "meta mark" },
	[SIDE_FO] = { "inet", "fo", "meta mark & 0x0000ffff", "meta mark" },
	[SIDE_HI] = { "inet", "hi", "meta mark & 0xffff0000", "meta mark" },
};

/*
 * The two ways a port's layer-2 rules are reached. A bridge port: the
 * bridge table's prerouting sees frames from the VM with the port as
 * iifname, postrouting frames to it as oifname. A macvtap (no bridge in the
 * path): the netdev table's hooks on the device itself, where the VM's
 * frames leave through egress (oifname) and frames for it arrive through
 * ingress (iifname).
 */
static const struct {
	const char *family;
	const char *key[SIDE_L2_MAX];
} l2_layouts[] = {
	[FW_ATTACH_BRIDGE] = { "bridge", { [SIDE_OUT] = "iifname", [SIDE_IN] = "oifname" } },
	[FW_ATTACH_NETDEV] = { "netdev", { [SIDE_OUT] = "oifname", [SIDE_IN] = "iifname" } },
};

struct builder {
	const struct instance *inst;
	enum fw_attach attach;
	const struct fw_lease *leases;
	size_t n_leases;
	const char *port;
	unsigned port_id;
	struct err *err;
	struct strbuf sets, chains, rules, tail, del;
	struct strbuf elements_add, elements_del;
	unsigned n_sets;
	unsigned n_rules, n_elements, n_dispatch;
	bool has_l3;
	bool *has_chain[SIDE_L2_MAX]; /* per side, per instance chain: the chain has rules there */
	bool *made_chain[SIDE_L2_MAX];
};

/* How a stateful rule is emitted on one inet side (libvirt's iptablesCreateRuleInstance). */
struct l3_plan {
	bool is_swapped; /* source and destination exchanged: the side sees the reply direction */
	bool has_mac;    /* -m mac --mac-source only where the packet leaves the VM as written */
	unsigned state;  /* FILTER_STATE_* bits to match, 0 for none */
	const char *direction; /* ct direction, or NULL */
};

static const char *side_family(const struct builder *b, enum side side)
{
	return side < SIDE_L2_MAX ? l2_layouts[b->attach].family : sides[side].family;
}

static const char *side_key(const struct builder *b, enum side side)
{
	return side < SIDE_L2_MAX ? l2_layouts[b->attach].key[side] : sides[side].key;
}

static const char *side_key_typeof(const struct builder *b, enum side side)
{
	return side < SIDE_L2_MAX ? l2_layouts[b->attach].key[side] : sides[side].key_typeof;
}

static void builder_fini(struct builder *b)
{
	strbuf_fini(&b->sets);
	strbuf_fini(&b->chains);
	strbuf_fini(&b->rules);
	strbuf_fini(&b->tail);
	strbuf_fini(&b->del);
	strbuf_fini(&b->elements_add);
	strbuf_fini(&b->elements_del);
	for (int s = 0; s < SIDE_L2_MAX; s++) {
		free(b->has_chain[s]);
		free(b->made_chain[s]);
	}
}

/* nft identifiers take [A-Za-z0-9_-]; libvirt chain names may also hold '.' and ':'. */
static void add_chain_name(struct strbuf *sb, enum side side, const char *chain)
{
	strbuf_addf(sb, TPL "-%s", sides[side].letter);
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
		if (has_partner &&
		    (sf->partner->is_var || fw_field_partial_mask(&b->tail, sf->f, sf->partner)))
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

/* A set holding a value of the variable that learning fills, for any port. */
static bool plan_is_learnable(const struct set_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++)
		if (plan->fields[i].value->is_var &&
		    strcmp(plan->fields[i].value->var.name, FW_LEASE_VAR) == 0)
			return true;
	return false;
}

static void declare_set(struct builder *b, enum side side, struct set_plan *plan)
{
	static const char *const flags[2][2] = {
		{ "", "flags timeout; " },
		{ "flags interval; ", "flags interval,timeout; " },
	};

	snprintf(plan->name, sizeof(plan->name), TPL "-%s%u", sides[side].letter, b->n_sets++);
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
static void add_port_key(struct builder *b, enum side side, struct strbuf *sb)
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

/* The shortest lease among the leased values of combination k, 0 when none is leased. */
static unsigned combination_lease(const struct builder *b, const struct expansion *e, size_t k)
{
	unsigned expires_in = 0;

	for (size_t i = 0; i < e->n_accesses; i++) {
		const char *value = e->values[k * e->n_accesses + i];

		if (strcmp(e->accesses[i].var->name, FW_LEASE_VAR) != 0)
			continue;
		for (size_t l = 0; l < b->n_leases; l++)
			if (strcmp(b->leases[l].address, value) == 0 &&
			    (!expires_in || b->leases[l].expires_in_s < expires_in))
				expires_in =
					b->leases[l].expires_in_s ? b->leases[l].expires_in_s : 1;
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
	unsigned n = 0, n_timed = 0;
	int r = 0;

	strbuf_init(&all);
	strbuf_init(&el);
	strbuf_init(&timed);
	strbuf_init(&expiring);
	if (plan->fields[0].value->is_negated && e->n_combinations > 1) {
		r = compile_error(b, ir,
				  "match='no' on a variable with %zu values: libvirt would emit "
				  "one rule per value, which a set lookup cannot express",
				  e->n_combinations);
		goto out;
	}
	for (size_t k = 0; k < e->n_combinations && r >= 0; k++) {
		strbuf_reset(&el);
		add_port_key(b, side, &el);
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
	strbuf_fini(&all);
	strbuf_fini(&el);
	strbuf_fini(&timed);
	strbuf_fini(&expiring);
	return r;
}

static void add_tcp_flags(struct strbuf *sb, uint8_t bits)
{
	static const char *const names[] = { "fin", "syn", "rst", "psh", "ack", "urg" };
	bool is_first = true;

	if (!bits) {
		strbuf_add(sb, "0x0");
		return;
	}
	strbuf_addc(sb, '(');
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(bits & (1u << i)))
			continue;
		strbuf_addf(sb, "%s%s", is_first ? "" : "|", names[i]);
		is_first = false;
	}
	strbuf_addc(sb, ')');
}

static void add_state(struct strbuf *sb, unsigned state)
{
	static const char *const names[] = { "new", "established", "related", "invalid" };
	bool is_first = true;

	strbuf_add(sb, "ct state ");
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(state & (1u << i)))
			continue;
		strbuf_addf(sb, "%s%s", is_first ? "" : ",", names[i]);
		is_first = false;
	}
	strbuf_addc(sb, ' ');
}

/* The matches only stateful rules have, after the field matches (libvirt's order). */
static int add_l3_extras(struct builder *b, const struct instance_rule *ir, enum side side,
			 const struct l3_plan *plan)
{
	const struct filter_attr *a = ir->rule->attrs;

	if (a[FILTER_ATTR_IPSET].is_set)
		return compile_error(b, ir, "ipset matches have no nftables equivalent here");
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

		snprintf(name, sizeof(name), TPL "-%s%u", sides[side].letter, b->n_sets++);
		strbuf_addf(&b->sets,
			    "add set inet " FW_TABLE
			    " %s { typeof meta mark . %s; flags dynamic; }\n",
			    name, saddr);
		strbuf_addf(&b->del, "delete set inet " FW_TABLE " %s\n", name);
		strbuf_addf(&b->rules, "add @%s { %s . %s ct count %s%u } ", name, sides[side].key,
			    saddr, a[FILTER_ATTR_CONNLIMIT_ABOVE].is_negated ? "" : "over ",
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

static int emit_rule_on_side(struct builder *b, size_t index, enum side side,
			     const struct expansion *e)
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
		return compile_error(b, ir,
				     "gratuitous='true' (sender IP equal to target IP) "
				     "cannot be expressed in nftables");
	strbuf_addf(&b->rules, "add rule %s " FW_TABLE " ", side_family(b, side));
	add_chain_name(&b->rules, side, is_l3 || is_root(ir->chain) ? NULL : ir->chain);
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
	strbuf_add(&b->rules, verdict(r->action, side));
	if (is_l3)
		add_comment(&b->rules, &r->attrs[FILTER_ATTR_COMMENT]);
	strbuf_addc(&b->rules, '\n');
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
		strbuf_addf(&b->chains, "add chain %s " FW_TABLE " ", side_family(b, s));
		add_chain_name(&b->chains, s, ch->name);
		strbuf_addc(&b->chains, '\n');
		strbuf_addf(&b->rules, "add rule %s " FW_TABLE " ", side_family(b, s));
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
			return err_set(b->err, -EINVAL,
				       "port %s: chain '%s' is not in the instance", b->port,
				       ir->chain);
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
			strbuf_addf(&b->rules, "add rule %s " FW_TABLE " ", side_family(b, s));
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
		return compile_error(b, ir,
				     "STP rules with direction inout cannot match a "
				     "source MAC (libvirt refuses them too)");
	r = instance_rule_expand(b->inst, i, &e, b->err);
	if (r < 0)
		return err_prefix(b->err, r, "port %s: filter '%s': ", b->port, ir->filter->name);
	if (filter_proto_info[ir->rule->proto].layer == FILTER_LAYER_L3) {
		for (enum side s = SIDE_FI; s <= SIDE_HI && r >= 0; s++)
			r = emit_rule_on_side(b, i, s, e);
		return r;
	}
	for (enum side s = SIDE_OUT; s < SIDE_L2_MAX && r >= 0; s++)
		if (rule_on_side(ir->rule, s))
			r = emit_rule_on_side(b, i, s, e);
	return r;
}

static void add_root_chains(struct builder *b, enum side first, enum side last)
{
	for (enum side s = first; s <= last; s++) {
		strbuf_addf(&b->chains, "add chain %s " FW_TABLE " ", side_family(b, s));
		add_chain_name(&b->chains, s, NULL);
		strbuf_addc(&b->chains, '\n');
	}
}

static int build(struct builder *b)
{
	const struct instance *inst = b->inst;
	size_t next_chain = 0;
	int r;

	r = plan_chains(b);
	if (r < 0)
		return r;
	add_root_chains(b, SIDE_OUT, SIDE_IN);
	for (size_t i = 0; i < inst->n_rules && !b->has_l3; i++) {
		if (filter_proto_info[inst->rules[i].rule->proto].layer != FILTER_LAYER_L3)
			continue;
		b->has_l3 = true;
		/* the inet table finds a port by the mark the bridge table set: no bridge, no mark
		 */
		if (b->attach == FW_ATTACH_NETDEV)
			return compile_error(b, &inst->rules[i],
					     "stateful rules need the port on a bridge; on a "
					     "macvtap only layer-2 rules (mac, vlan, stp, arp, "
					     "rarp, ip, ipv6) can be enforced");
	}
	if (b->has_l3) {
		if (b->port_id == 0 || b->port_id > 0xffff)
			return err_set(b->err, -EINVAL,
				       "port %s: stateful rules need a port id from 1 to 65535",
				       b->port);
		add_root_chains(b, SIDE_FI, SIDE_HI);
	}
	for (size_t i = 0; i < inst->n_rules; i++) {
		const struct instance_rule *ir = &inst->rules[i];

		/* §7.2: a chain's jump goes before the first L2 rule whose priority reaches it */
		while (filter_proto_info[ir->rule->proto].layer == FILTER_LAYER_L2 &&
		       next_chain < inst->n_chains &&
		       inst->chains[next_chain].priority <= ir->priority)
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

/* A netdev hook chain's name: its direction, then the port with every non-alphanumeric escaped. */
static void add_hook_chain_name(struct strbuf *sb, const char *letter, const char *port)
{
	strbuf_addf(sb, "p%s-", letter);
	for (const char *p = port; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9'))
			strbuf_addc(sb, *p);
		else
			strbuf_addf(sb, "_%02x", (unsigned char)*p);
	}
}

char *fw_hook_chain_name(const char *port)
{
	struct strbuf sb;

	strbuf_init(&sb);
	add_hook_chain_name(&sb, "o", port);
	return strbuf_steal(&sb);
}

/*
 * A macvtap is reached through base chains of its own, hooked on the
 * device, whose last rule is the port's verdict (its template's chain, a
 * learning chain, or drop). Not a lookup in a shared map as on the bridge:
 * the kernel validates every base chain of the table in each transaction,
 * walking what it can jump to, and through a shared map that is every
 * port's template: a bind would cost O(ports^2). Re-adding flushes first,
 * so applying a port twice never doubles its rules. DHCP is copied here
 * for learned ports that keep snooping (snoop-ports). verdict[side] is
 * NULL to delete.
 */
static void add_hook_chains(struct strbuf *sb, const char *port, const char *const verdict[2])
{
	static const struct {
		const char *letter, *hook, *key, *dhcp;
	} hooks[] = {
		[SIDE_OUT] = { "o", "egress", "oifname", "udp sport 68 udp dport 67 jump log-o" },
		[SIDE_IN] = { "i", "ingress", "iifname", "udp sport 67 udp dport 68 jump log-i" },
	};

	for (size_t h = 0; h < SIDE_L2_MAX; h++) {
		struct strbuf name;

		strbuf_init(&name);
		add_hook_chain_name(&name, hooks[h].letter, port);
		if (!verdict[h]) {
			strbuf_addf(sb, "delete chain netdev " FW_TABLE " %s\n", name.buf);
		} else {
			strbuf_addf(sb,
				    "add chain netdev " FW_TABLE " %s { type filter hook %s "
				    "device \"%s\" priority -300; policy accept; }\n"
				    "flush chain netdev " FW_TABLE " %s\n"
				    "add rule netdev " FW_TABLE " %s %s @snoop-ports ether type ip "
				    "%s\n"
				    "add rule netdev " FW_TABLE " %s %s\n",
				    name.buf, hooks[h].hook, port, name.buf, name.buf, hooks[h].key,
				    hooks[h].dhcp, name.buf, verdict[h]);
		}
		strbuf_fini(&name);
	}
}

/* A port's dispatch to fixed verdicts: learning or blocked. */
static void add_special_dispatch(struct strbuf *add, struct strbuf *del, enum fw_attach attach,
				 const char *port, const char *verdict_o, const char *verdict_i)
{
	const char *const verdicts[2] = { verdict_o, verdict_i }, *const none[2] = { NULL, NULL };

	if (attach == FW_ATTACH_NETDEV) {
		add_hook_chains(add, port, verdicts);
		add_hook_chains(del, port, none);
		return;
	}
	strbuf_addf(add,
		    "add element bridge " FW_TABLE " out-ports { \"%s\" : %s }\n"
		    "add element bridge " FW_TABLE " in-ports { \"%s\" : %s }\n",
		    port, verdict_o, port, verdict_i);
	strbuf_addf(del,
		    "delete element bridge " FW_TABLE " out-ports { \"%s\" }\n"
		    "delete element bridge " FW_TABLE " in-ports { \"%s\" }\n",
		    port, port);
}

/*
 * The port's entries in the dispatch maps; with stateful rules also its id
 * in the mark: the in-port map, and the bits of the out-port id, each a
 * set the bridge forward chain ORs into the mark (nftables cannot OR a
 * looked-up value into the mark, and sixteen lookups keep it O(1)).
 */
static void add_dispatch(struct builder *b, struct strbuf *sb, const char *verb)
{
	bool is_add = strcmp(verb, "add") == 0;

	b->n_dispatch = 0;
	if (b->attach == FW_ATTACH_NETDEV) {
		struct strbuf verdicts[2];
		const char *text[2] = { NULL, NULL };

		for (enum side s = SIDE_OUT; s < SIDE_L2_MAX; s++) {
			strbuf_init(&verdicts[s]);
			strbuf_add(&verdicts[s], "jump ");
			add_chain_name(&verdicts[s], s, NULL);
			if (is_add)
				text[s] = verdicts[s].buf ? verdicts[s].buf : "";
		}
		add_hook_chains(sb, b->port, text);
		strbuf_fini(&verdicts[SIDE_OUT]);
		strbuf_fini(&verdicts[SIDE_IN]);
		b->n_dispatch = 2;
		return; /* no stateful rules on a macvtap (build() refuses them) */
	}
	for (enum side s = SIDE_OUT; s <= (b->has_l3 ? SIDE_HI : SIDE_IN); s++) {
		static const char *const maps[] = { "out-ports", "in-ports", "fi-ports", "fo-ports",
						    "hi-ports" };

		strbuf_addf(sb, "%s element %s " FW_TABLE " %s { ", verb, side_family(b, s),
			    maps[s]);
		add_port_key(b, s, sb);
		if (is_add) {
			strbuf_add(sb, " : jump ");
			add_chain_name(sb, s, NULL);
		}
		strbuf_add(sb, " }\n");
		b->n_dispatch++;
	}
	if (!b->has_l3)
		return;
	strbuf_addf(sb, "%s element bridge " FW_TABLE " l3-in-ids { \"%s\"", verb, b->port);
	if (is_add)
		strbuf_addf(sb, " : 0x%08x", b->port_id << 16);
	strbuf_addf(sb, " }\n%s element bridge " FW_TABLE " l3-out-ports { \"%s\" }\n", verb,
		    b->port);
	b->n_dispatch += 2;
	for (unsigned bit = 0; bit < 16; bit++) {
		if (!(b->port_id & (1u << bit)))
			continue;
		strbuf_addf(sb, "%s element bridge " FW_TABLE " l3-out-bit%u { \"%s\" }\n", verb,
			    bit, b->port);
		b->n_dispatch++;
	}
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
	add_dispatch(b, &dispatch, "add");
	if (strbuf_error(&tpl) < 0 || strbuf_error(&del) < 0 || strbuf_error(&dispatch) < 0)
		goto oom;
	snprintf(id, sizeof(id), "t%016llx", (unsigned long long)hash_text(tpl.buf));
	p->template_id = strdup(id);
	p->template_add = replace_placeholder(tpl.buf, id);
	p->template_del = replace_placeholder(del.buf, id);
	/* dispatch last on add (the chains must be complete), first on delete */
	strbuf_add(&dispatch, b->elements_add.buf ? b->elements_add.buf : "");
	if (strbuf_error(&dispatch) == 0)
		p->elements_add = replace_placeholder(dispatch.buf, id);
	strbuf_reset(&dispatch);
	add_dispatch(b, &dispatch, "delete");
	strbuf_add(&dispatch, b->elements_del.buf ? b->elements_del.buf : "");
	/* a reset buffer whose refill failed reads as empty: no half a removal record */
	if (strbuf_error(&dispatch) == 0)
		p->elements_del = replace_placeholder(dispatch.buf, id);
	p->n_rules = b->n_rules;
	p->n_elements = b->n_elements + b->n_dispatch;
	p->needs_inet = b->has_l3;
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

int fw_compile(const struct instance *inst, const char *port, const struct fw_compile_opts *opts,
	       struct fw_port **ret, struct err *err)
{
	_cleanup_(fw_port_freep) struct fw_port *p = NULL;
	struct builder b = {
		.inst = inst,
		.attach = opts->attach,
		.leases = opts->leases,
		.n_leases = opts->n_leases,
		.port = port,
		.port_id = opts->port_id,
		.err = err,
	};
	int r;

	if (!is_port_name(port))
		return err_set(err, -EINVAL, "'%s' is not a valid interface name (1-15 characters)",
			       port);
	if (!instance_is_complete(inst)) {
		_cleanup_free_ char *missing = instance_missing_format(inst, true);

		return err_set(err, -EINVAL, "port %s: %s", port,
			       missing ? missing : "variables are missing");
	}
	p = calloc(1, sizeof(*p));
	if (!p || !(p->port = strdup(port)))
		return err_set(err, -ENOMEM, "out of memory");
	p->port_id = opts->port_id;
	p->attach = opts->attach;
	r = build(&b);
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

/* Rate of copies to the learning NFLOG group, per port and direction: a VM cannot flood the daemon.
 */
#define LOG_RATE "limit rate 50/second burst 100 packets"

/*
 * The shared learning chains of one family's table. F stands for the
 * family, KO and KI for the port's key in frames from and to the VM.
 */
static void add_learning_base(struct strbuf *sb, enum fw_attach attach)
{
	static const char *const modes[] = { "any", "dhcp" };
	const char *f = l2_layouts[attach].family, *ko = l2_layouts[attach].key[SIDE_OUT],
		   *ki = l2_layouts[attach].key[SIDE_IN];

	strbuf_addf(sb,
		    "add set %s " FW_TABLE " learn-mac { type ifname . ether_addr; }\n"
		    "add set %s " FW_TABLE " learn-servers { type ifname . ipv4_addr; }\n"
		    "add set %s " FW_TABLE " learn-any-server { type ifname; }\n"
		    "add set %s " FW_TABLE " snoop-ports { type ifname; }\n"
		    "add set %s " FW_TABLE
		    " rate-o { type ifname; size 65535; flags dynamic,timeout; timeout 60s; }\n"
		    "add set %s " FW_TABLE
		    " rate-i { type ifname; size 65535; flags dynamic,timeout; timeout 60s; }\n"
		    "add chain %s " FW_TABLE " log-o\n"
		    "add chain %s " FW_TABLE " log-i\n"
		    "add chain %s " FW_TABLE " dhcp-reply\n"
		    "flush chain %s " FW_TABLE " log-o\n"
		    "flush chain %s " FW_TABLE " log-i\n"
		    "flush chain %s " FW_TABLE " dhcp-reply\n",
		    f, f, f, f, f, f, f, f, f, f, f, f);
	strbuf_addf(sb,
		    "add rule %s " FW_TABLE " log-o add @rate-o { %s " LOG_RATE " } "
		    "log prefix \"vg-o\" group %u queue-threshold 1\n"
		    "add rule %s " FW_TABLE " log-i add @rate-i { %s " LOG_RATE " } "
		    "log prefix \"vg-i\" group %u queue-threshold 1\n",
		    f, ko, fw_nflog_group, f, ki, fw_nflog_group);
	/* a DHCP reply reaches a learning VM only from a trusted server, and is copied */
	strbuf_addf(sb,
		    "add rule %s " FW_TABLE " dhcp-reply %s @learn-any-server jump log-i\n"
		    "add rule %s " FW_TABLE " dhcp-reply %s @learn-any-server accept\n"
		    "add rule %s " FW_TABLE " dhcp-reply %s . ip saddr @learn-servers jump log-i\n"
		    "add rule %s " FW_TABLE " dhcp-reply %s . ip saddr @learn-servers accept\n"
		    "add rule %s " FW_TABLE " dhcp-reply drop\n",
		    f, ki, f, ki, f, ki, f, ki, f);
	for (int m = 0; m < 2; m++) {
		const char *mode = modes[m];

		strbuf_addf(sb,
			    "add chain %s " FW_TABLE " learn-%s-o\n"
			    "add chain %s " FW_TABLE " learn-%s-i\n"
			    "flush chain %s " FW_TABLE " learn-%s-o\n"
			    "flush chain %s " FW_TABLE " learn-%s-i\n",
			    f, mode, f, mode, f, mode, f, mode);
		/* only the VM's own MAC, and DHCP requests copied and passed */
		strbuf_addf(sb,
			    "add rule %s " FW_TABLE
			    " learn-%s-o %s . ether saddr != @learn-mac drop\n"
			    "add rule %s " FW_TABLE
			    " learn-%s-o ether type ip udp sport 68 udp dport 67 jump log-o\n"
			    "add rule %s " FW_TABLE
			    " learn-%s-o ether type ip udp sport 68 udp dport 67 accept\n"
			    "add rule %s " FW_TABLE
			    " learn-%s-i ether type ip udp sport 67 udp dport 68 jump dhcp-reply\n",
			    f, mode, ko, f, mode, f, mode, f, mode);
		if (m == 0)
			/* any: also the VM's ARP and IPv4 (copied), and ARP/IPv4 to it */
			strbuf_addf(
				sb,
				"add rule %s " FW_TABLE
				" learn-any-o ether type { arp, ip } jump log-o\n"
				"add rule %s " FW_TABLE
				" learn-any-o ether type { arp, ip } accept\n"
				"add rule %s " FW_TABLE " learn-any-i %s . ether daddr "
				"@learn-mac ether type { arp, ip } accept\n"
				"add rule %s " FW_TABLE
				" learn-any-i ether daddr ff:ff:ff:ff:ff:ff ether type arp accept\n",
				f, f, f, ki, f);
		strbuf_addf(sb,
			    "add rule %s " FW_TABLE " learn-%s-o drop\n"
			    "add rule %s " FW_TABLE " learn-%s-i drop\n",
			    f, mode, f, mode);
	}
}

unsigned fw_nflog_group = FW_NFLOG_GROUP_DEFAULT;

const char *fw_base_add(void)
{
	/*
	 * Priorities of ebtables' nat table, where libvirt puts its rules:
	 * before the bridge decides (prerouting -300) and after (postrouting
	 * 300); the forward chain marks the out-port before br_netfilter (-1)
	 * hands the packet to the inet hooks. Re-adding the rules is atomic with
	 * the flush, so running this again never opens a gap. Learned ports keep
	 * copying their DHCP (snoop-ports) before their own rules run.
	 */
	static char text[16384];
	static unsigned text_group;

	if (!text[0] || text_group != fw_nflog_group) {
		struct strbuf sb;

		strbuf_init(&sb);
		strbuf_add(&sb, "add table bridge " FW_TABLE "\n"
				"add map bridge " FW_TABLE " out-ports { type ifname : verdict; }\n"
				"add map bridge " FW_TABLE " in-ports { type ifname : verdict; }\n"
				"add map bridge " FW_TABLE " l3-in-ids { type ifname : mark; }\n"
				"add set bridge " FW_TABLE " l3-out-ports { type ifname; }\n");
		for (int bit = 0; bit < 16; bit++)
			strbuf_addf(&sb,
				    "add set bridge " FW_TABLE " l3-out-bit%d { type ifname; }\n",
				    bit);
		add_learning_base(&sb, FW_ATTACH_BRIDGE);
		strbuf_add(
			&sb,
			"add chain bridge " FW_TABLE " prerouting { type filter hook prerouting "
			"priority -300; policy accept; }\n"
			"add chain bridge " FW_TABLE " forward { type filter hook forward "
			"priority -200; policy accept; }\n"
			"add chain bridge " FW_TABLE " postrouting { type filter hook "
			"postrouting priority 300; policy accept; }\n"
			"add chain bridge " FW_TABLE " set-out-mark\n"
			"flush chain bridge " FW_TABLE " prerouting\n"
			"flush chain bridge " FW_TABLE " forward\n"
			"flush chain bridge " FW_TABLE " postrouting\n"
			"flush chain bridge " FW_TABLE " set-out-mark\n"
			"add rule bridge " FW_TABLE " prerouting meta mark set iifname map "
			"@l3-in-ids\n"
			"add rule bridge " FW_TABLE " prerouting iifname @snoop-ports ether type "
			"ip udp sport 68 udp dport 67 jump log-o\n"
			"add rule bridge " FW_TABLE " prerouting iifname vmap @out-ports\n"
			"add rule bridge " FW_TABLE " forward oifname @l3-out-ports jump "
			"set-out-mark\n"
			"add rule bridge " FW_TABLE " postrouting oifname @snoop-ports ether type "
			"ip udp sport 67 udp dport 68 jump log-i\n"
			"add rule bridge " FW_TABLE " postrouting oifname vmap @in-ports\n"
			"add rule bridge " FW_TABLE " set-out-mark meta mark set meta mark & "
			"0xffff0000\n");
		for (int bit = 0; bit < 16; bit++)
			strbuf_addf(&sb,
				    "add rule bridge " FW_TABLE
				    " set-out-mark oifname @l3-out-bit%d "
				    "meta mark set meta mark | 0x%04x\n",
				    bit, 1u << bit);
		if (strbuf_error(&sb) == 0 && sb.len < sizeof(text)) {
			memcpy(text, sb.buf, sb.len + 1);
			text_group = fw_nflog_group;
		}
		strbuf_fini(&sb);
	}
	return text;
}

const char *fw_base_netdev_add(void)
{
	/* No hooks of its own: each macvtap port brings its two (add_hook_chains). */
	static char text[8192];
	static unsigned text_group;

	if (!text[0] || text_group != fw_nflog_group) {
		struct strbuf sb;

		strbuf_init(&sb);
		strbuf_add(&sb, "add table netdev " FW_TABLE "\n");
		add_learning_base(&sb, FW_ATTACH_NETDEV);
		if (strbuf_error(&sb) == 0 && sb.len < sizeof(text)) {
			memcpy(text, sb.buf, sb.len + 1);
			text_group = fw_nflog_group;
		}
		strbuf_fini(&sb);
	}
	return text;
}

static int special_port(const char *port, enum fw_attach attach, const char *id,
			struct fw_port **ret, struct err *err)
{
	struct fw_port *p;

	if (!is_port_name(port))
		return err_set(err, -EINVAL, "'%s' is not a valid interface name (1-15 characters)",
			       port);
	p = calloc(1, sizeof(*p));
	if (p)
		p->attach = attach;
	if (!p || !(p->port = strdup(port)) || !(p->template_id = strdup(id)) ||
	    !(p->template_add = strdup("")) || !(p->template_del = strdup(""))) {
		fw_port_free(p);
		return err_set(err, -ENOMEM, "out of memory");
	}
	*ret = p;
	return 0;
}

static int finish_special(struct fw_port *p, struct strbuf *add, struct strbuf *del,
			  unsigned n_elements, struct fw_port **ret, struct err *err)
{
	if (strbuf_error(add) < 0 || strbuf_error(del) < 0) {
		strbuf_fini(add);
		strbuf_fini(del);
		fw_port_free(p);
		return err_set(err, -ENOMEM, "out of memory");
	}
	p->elements_add = strbuf_steal(add);
	p->elements_del = strbuf_steal(del);
	p->n_elements = n_elements;
	*ret = p;
	return 0;
}

int fw_compile_learning(const char *port, enum fw_attach attach, const uint8_t mac[MAC_LEN],
			bool is_dhcp_only, const uint8_t (*servers)[4], size_t n_servers,
			struct fw_port **ret, struct err *err)
{
	const char *mode = is_dhcp_only ? "dhcp" : "any", *f = l2_layouts[attach].family;
	struct fw_port *p = NULL;
	struct strbuf add, del, dispatch;
	char id[32], text[MAC_TEXT_MAX], verdict_o[32], verdict_i[32];
	int r;

	snprintf(id, sizeof(id), "learn-%s", mode);
	r = special_port(port, attach, id, &p, err);
	if (r < 0)
		return r;
	strbuf_init(&add);
	strbuf_init(&del);
	mac_format(mac, text);
	/* the elements first, the dispatch last: the chains see complete data */
	strbuf_init(&dispatch);
	snprintf(verdict_o, sizeof(verdict_o), "jump learn-%s-o", mode);
	snprintf(verdict_i, sizeof(verdict_i), "jump learn-%s-i", mode);
	add_special_dispatch(&dispatch, &del, attach, port, verdict_o, verdict_i);
	strbuf_addf(&add, "add element %s " FW_TABLE " learn-mac { \"%s\" . %s }\n", f, port, text);
	strbuf_addf(&del, "delete element %s " FW_TABLE " learn-mac { \"%s\" . %s }\n", f, port,
		    text);
	if (n_servers == 0) {
		strbuf_addf(&add, "add element %s " FW_TABLE " learn-any-server { \"%s\" }\n", f,
			    port);
		strbuf_addf(&del, "delete element %s " FW_TABLE " learn-any-server { \"%s\" }\n", f,
			    port);
	}
	for (size_t i = 0; i < n_servers; i++) {
		char ip[IP_TEXT_MAX];

		ipv4_format(servers[i], ip);
		strbuf_addf(&add, "add element %s " FW_TABLE " learn-servers { \"%s\" . %s }\n", f,
			    port, ip);
		strbuf_addf(&del, "delete element %s " FW_TABLE " learn-servers { \"%s\" . %s }\n",
			    f, port, ip);
	}
	strbuf_add(&add, dispatch.buf ? dispatch.buf : "");
	strbuf_fini(&dispatch);
	return finish_special(p, &add, &del, 3 + (unsigned)(n_servers ? n_servers : 1), ret, err);
}

int fw_compile_blocked(const char *port, enum fw_attach attach, struct fw_port **ret,
		       struct err *err)
{
	struct fw_port *p = NULL;
	struct strbuf add, del;
	int r;

	r = special_port(port, attach, "blocked", &p, err);
	if (r < 0)
		return r;
	strbuf_init(&add);
	strbuf_init(&del);
	add_special_dispatch(&add, &del, attach, port, "drop", "drop");
	return finish_special(p, &add, &del, 2, ret, err);
}

int fw_port_add_snoop(struct fw_port *p)
{
	struct strbuf add, del;

	strbuf_init(&add);
	strbuf_init(&del);
	strbuf_addf(&add, "%sadd element %s " FW_TABLE " snoop-ports { \"%s\" }\n", p->elements_add,
		    l2_layouts[p->attach].family, p->port);
	strbuf_addf(&del, "%sdelete element %s " FW_TABLE " snoop-ports { \"%s\" }\n",
		    p->elements_del, l2_layouts[p->attach].family, p->port);
	if (strbuf_error(&add) < 0 || strbuf_error(&del) < 0) {
		strbuf_fini(&add);
		strbuf_fini(&del);
		return -ENOMEM;
	}
	free(p->elements_add);
	free(p->elements_del);
	p->elements_add = strbuf_steal(&add);
	p->elements_del = strbuf_steal(&del);
	p->n_elements++;
	return 0;
}

const char *fw_base_inet_add(void)
{
	return "add table inet " FW_TABLE "\n"
	       "add map inet " FW_TABLE " fi-ports { type mark : verdict; }\n"
	       "add map inet " FW_TABLE " fo-ports { type mark : verdict; }\n"
	       "add map inet " FW_TABLE " hi-ports { type mark : verdict; }\n"
	       "add chain inet " FW_TABLE
	       " forward { type filter hook forward priority -10; policy accept; }\n"
	       "add chain inet " FW_TABLE
	       " input { type filter hook input priority -10; policy accept; }\n"
	       "flush chain inet " FW_TABLE " forward\n"
	       "flush chain inet " FW_TABLE " input\n"
	       "add rule inet " FW_TABLE " forward meta mark & 0xffff0000 vmap @fi-ports\n"
	       "add rule inet " FW_TABLE " forward meta mark & 0x0000ffff vmap @fo-ports\n"
	       "add rule inet " FW_TABLE " input meta mark & 0xffff0000 vmap @hi-ports\n";
}
