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
 *
 * The pieces: compile-rule.c turns one rule into nft text on one side
 * (matches, sets and the port's elements); this file orders the rules and
 * chains of a filter tree into a template, names it and adds the port's
 * dispatch; compile-port.c has the ports that need no template (learning,
 * blocked) and the macvtap hook chains; compile-base.c the base tables.
 */
#include "fw/compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "fw/compile-internal.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

const struct fw_side_info fw_sides[SIDE__MAX] = {
	/* the layer-2 sides' family and key depend on the attachment: see fw_l2_layouts */
	[SIDE_OUT] = { NULL, "o", NULL, NULL },
	[SIDE_IN] = { NULL, "i", NULL, NULL },
	[SIDE_FI] = { "inet", "fi", "meta mark & 0xffff0000", "meta mark" },
	[SIDE_FO] = { "inet", "fo", "meta mark & 0x0000ffff", "meta mark" },
	[SIDE_HI] = { "inet", "hi", "meta mark & 0xffff0000", "meta mark" },
};

const struct fw_l2_layout fw_l2_layouts[] = {
	[FW_ATTACH_BRIDGE] = { "bridge", { [SIDE_OUT] = "iifname", [SIDE_IN] = "oifname" } },
	[FW_ATTACH_NETDEV] = { "netdev", { [SIDE_OUT] = "oifname", [SIDE_IN] = "iifname" } },
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
	strmap_fini(&b->leases);
	for (int s = 0; s < SIDE_L2_MAX; s++) {
		free(b->has_chain[s]);
		free(b->made_chain[s]);
	}
}

/* nft identifiers take [A-Za-z0-9_-]; libvirt chain names may also hold '.' and ':'. */
void fw_add_chain_name(struct strbuf *sb, enum side side, const char *chain)
{
	strbuf_addf(sb, TPL "-%s", fw_sides[side].letter);
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

static bool rule_on_side(const struct filter_rule *r, enum side side)
{
	if (r->direction == FILTER_DIR_INOUT)
		return true;
	return (side == SIDE_OUT) == (r->direction == FILTER_DIR_OUT);
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

static void make_chain(struct builder *b, size_t c)
{
	const struct instance_chain *ch = &b->inst->chains[c];
	const char *guard = chain_guard(ch->name);

	for (int s = 0; s < 2; s++) {
		if (!b->has_chain[s][c] || b->made_chain[s][c])
			continue;
		b->made_chain[s][c] = true;
		strbuf_addf(&b->chains, "add chain %s " FW_TABLE " ", side_family(b, s));
		fw_add_chain_name(&b->chains, s, ch->name);
		strbuf_addc(&b->chains, '\n');
		strbuf_addf(&b->rules, "add rule %s " FW_TABLE " ", side_family(b, s));
		fw_add_chain_name(&b->rules, s, NULL);
		strbuf_addf(&b->rules, " %sjump ", guard ? guard : "");
		fw_add_chain_name(&b->rules, s, ch->name);
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
			fw_add_chain_name(&b->rules, s, b->inst->chains[c].name);
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
		return fw_compile_error(b, ir,
					"STP rules with direction inout cannot match a "
					"source MAC (libvirt refuses them too)");
	r = instance_rule_expand(b->inst, i, &e, b->err);
	if (r < 0)
		return err_prefix(b->err, r, "port %s: filter '%s': ", b->port, ir->filter->name);
	if (filter_proto_info[ir->rule->proto].layer == FILTER_LAYER_L3) {
		for (enum side s = SIDE_FI; s <= SIDE_HI && r >= 0; s++)
			r = fw_emit_rule_on_side(b, i, s, e);
		return r;
	}
	for (enum side s = SIDE_OUT; s < SIDE_L2_MAX && r >= 0; s++)
		if (rule_on_side(ir->rule, s))
			r = fw_emit_rule_on_side(b, i, s, e);
	return r;
}

static void add_root_chains(struct builder *b, enum side first, enum side last)
{
	for (enum side s = first; s <= last; s++) {
		strbuf_addf(&b->chains, "add chain %s " FW_TABLE " ", side_family(b, s));
		fw_add_chain_name(&b->chains, s, NULL);
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
			return fw_compile_error(b, &inst->rules[i],
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
			fw_add_chain_name(&verdicts[s], s, NULL);
			if (is_add)
				text[s] = verdicts[s].buf ? verdicts[s].buf : "";
		}
		fw_add_hook_chains(sb, b->port, text);
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
		fw_add_port_key(b, s, sb);
		if (is_add) {
			strbuf_add(sb, " : jump ");
			fw_add_chain_name(sb, s, NULL);
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
		.port = port,
		.port_id = opts->port_id,
		.is_uncounted = opts->is_uncounted,
		.err = err,
	};
	int r;

	if (!fw_is_port_name(port))
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
	r = 0;
	for (size_t i = 0; i < opts->n_leases && r >= 0; i++) {
		unsigned have,
			want = opts->leases[i].expires_in_s ? opts->leases[i].expires_in_s : 1;

		if (!strmap_get(&b.leases, opts->leases[i].address, &have) || want < have)
			r = strmap_set(&b.leases, opts->leases[i].address, want);
	}
	if (r < 0)
		r = err_set(err, -ENOMEM, "out of memory");
	if (r >= 0)
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
	free(p->prepared_id);
	free(p->elements_add);
	free(p->elements_del);
	free(p);
	return NULL;
}
