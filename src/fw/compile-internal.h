/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of the compiler share (compile.c, compile-rule.c,
 * compile-port.c, compile-base.c); not for other modules. The sides a rule
 * can go to, how a port's layer-2 rules are reached, and the builder that
 * collects a template's text while it is compiled.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "filter/instantiate.h"
#include "fw/compile.h"
#include "util/strbuf.h"
#include "util/strmap.h"

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

struct fw_side_info {
	const char *family, *letter, *key, *key_typeof;
};

/* The layer-2 sides' family and key depend on the attachment: see fw_l2_layouts. */
extern const struct fw_side_info fw_sides[SIDE__MAX];

/*
 * The two ways a port's layer-2 rules are reached. A bridge port: the
 * bridge table's prerouting sees frames from the VM with the port as
 * iifname, postrouting frames to it as oifname. A macvtap (no bridge in the
 * path): the netdev table's hooks on the device itself, where the VM's
 * frames leave through egress (oifname) and frames for it arrive through
 * ingress (iifname).
 */
struct fw_l2_layout {
	const char *family;
	const char *key[SIDE_L2_MAX];
};

extern const struct fw_l2_layout fw_l2_layouts[];

struct builder {
	const struct instance *inst;
	enum fw_attach attach;
	struct strmap leases; /* a leased value's text -> its shortest expires_in_s */
	const char *port;
	unsigned port_id;
	struct err *err;
	struct strbuf sets, chains, rules, tail, del;
	struct strbuf elements_add, elements_del;
	unsigned n_sets;
	unsigned n_rules, n_elements, n_dispatch;
	bool has_l3;
	bool is_uncounted;
	bool *has_chain[SIDE_L2_MAX]; /* per side, per instance chain: the chain has rules there */
	bool *made_chain[SIDE_L2_MAX];
};

/* drops.c: the counting drop chains of one layer-2 table */
void fw_drops_base_add(struct strbuf *sb, enum fw_attach attach, unsigned drop_log_group);

static inline const char *side_family(const struct builder *b, enum side side)
{
	return side < SIDE_L2_MAX ? fw_l2_layouts[b->attach].family : fw_sides[side].family;
}

static inline const char *side_key(const struct builder *b, enum side side)
{
	return side < SIDE_L2_MAX ? fw_l2_layouts[b->attach].key[side] : fw_sides[side].key;
}

static inline const char *side_key_typeof(const struct builder *b, enum side side)
{
	return side < SIDE_L2_MAX ? fw_l2_layouts[b->attach].key[side] : fw_sides[side].key_typeof;
}

static inline bool is_root(const char *chain)
{
	return strcmp(chain, "root") == 0;
}

/* Appends a template chain's name: TPL, the side's letter, and the instance chain (NULL: root). */
void fw_add_chain_name(struct strbuf *sb, enum side side, const char *chain);

/* Sets b->err to "port P: filter F, rule <...>: <fmt>" and returns -EINVAL. */
int fw_compile_error(struct builder *b, const struct instance_rule *ir, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The port's key in a side's sets: its name on the bridge, its id in the mark in inet. */
void fw_add_port_key(struct builder *b, enum side side, struct strbuf *sb);

/* Emits rule index of the instance on one side, its combinations of values e. */
int fw_emit_rule_on_side(struct builder *b, size_t index, enum side side,
			 const struct expansion *e);

/* An interface name nft and the kernel accept: 1-15 characters of a safe set. */
bool fw_is_port_name(const char *port);

/*
 * Appends a macvtap port's two hook chains, each ending in verdict[side];
 * with verdict[side] NULL, their deletion.
 */
void fw_add_hook_chains(struct strbuf *sb, const char *port, const char *const verdict[2]);
