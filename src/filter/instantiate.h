/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Instantiation: a binding plus the filter set become a flat, ordered list
 * of rule instances, each with the merged variables of its place in the
 * filterref tree (libvirt's gentech driver). Then, per rule, the variables
 * are expanded into the combinations of values that each yield one
 * concrete firewall rule. Missing variables are reported, not fatal: the
 * set of missing names decides whether the port has to learn its IP.
 *
 * Everything borrowed here (rules, filters, chain names) points into the
 * filter set: an instance is valid until a filter it used is replaced or
 * removed, or the set is freed. Pure code: no I/O.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "filter/filter.h"
#include "filter/filterset.h"
#include "util/err.h"

#define INSTANCE_RULES_MAX        65536 /* rule instances per binding */
#define INSTANCE_VISITS_MAX       65536 /* filters visited per binding: a DAG can explode */
#define INSTANCE_COMBINATIONS_MAX 65536 /* combinations per rule */

/* One rule at one place in the tree. */
struct instance_rule {
	const struct filter_rule *rule; /* borrowed from the filter set */
	const struct filter *filter;    /* borrowed: the filter that contains the rule */
	const char *chain;              /* borrowed: the filter's chain name ("root") */
	int chain_priority;
	int priority;                     /* effective priority, see filter_instantiate() */
	const struct filter_params *vars; /* borrowed from the instance: merged variables */
	size_t tree_pos;                  /* position in the depth-first, document-order walk */
	bool is_resolved;                 /* every variable access of the rule has a value */
};

/* A non-root chain used by the tree. */
struct instance_chain {
	const char *name; /* borrowed from the filter set */
	int priority;
	bool has_l2_rules; /* some rule in it is enforced on the L2 layer */
};

struct instance {
	struct instance_rule *rules; /* owned, n_rules, sorted (see filter_instantiate()) */
	size_t n_rules;
	struct instance_chain *chains; /* owned, n_chains, by priority then first appearance */
	size_t n_chains;
	char **missing; /* owned: names of missing variables, sorted, unique */
	size_t n_missing;
	char **missing_accesses; /* owned: the accesses as libvirt prints them ("B[3]"), sorted */
	size_t n_missing_accesses;
	struct filter_params **levels; /* owned: one merged table per filter visit; [0] outermost */
	size_t n_levels;
};

/*
 * Walks the tree from the binding's filterref, depth-first in document order.
 *
 * Variables: the outermost table is the binding's parameters; MAC is added
 * as "xx:xx:xx:xx:xx:xx" from the binding's <mac> when not given. Descending
 * through a <filterref>, its parameters are defaults only: a variable of the
 * same name from the outer level wins (libvirt's virNWFilterCreateVarsFrom).
 * A filter referenced from several places (a DAG) is instantiated at each.
 *
 * Order (libvirt's ebiptables driver, read from its source): the rules are
 * stably sorted by (chain == "root" first, then the rule's own priority),
 * and only after sorting is the priority of a rule in a non-root chain
 * raised to its chain's priority when lower. So rules of one chain keep the
 * order of their written priorities even when both were raised; the raised
 * value is what the L2 compiler compares with chain priorities when it
 * interleaves chain jumps into the root chain (§7.2 point 3). Note that
 * "root first" also puts L3 rules of the root chain before every L3 rule
 * of a named chain, whatever their priorities: libvirt does that too.
 *
 * Chains: every non-root chain with its priority (when filters disagree on
 * the priority of one chain name, the last rule in sorted order wins, as
 * libvirt's hash update does), sorted by priority, ties in order of first
 * appearance in the tree walk (libvirt leaves ties to hash order).
 *
 * Missing variables do not fail the call: see instance->missing and
 * instance_is_complete(). Returns 0 and *ret (caller frees); -ENOENT
 * ("filter 'a' -> 'b': referenced filter 'b' is missing"), -ELOOP
 * ("filter 'a' -> 'b' -> 'a': reference cycle"), -E2BIG (limits above,
 * FILTER_SET_DEPTH_MAX), -EINVAL (binding without a filter), -ENOMEM.
 */
int filter_instantiate(const struct filter_set *set, const struct binding *binding,
		       struct instance **ret, struct err *err);

/*
 * Same, with extra outermost variables that the binding's parameters
 * override and that override the MAC default: the learned IP addresses go
 * here, as libvirt adds IP from its learned-address map. defaults may be NULL.
 */
int filter_instantiate_with(const struct filter_set *set, const struct binding *binding,
			    const struct filter_params *defaults, struct instance **ret,
			    struct err *err);

struct instance *instance_free(struct instance *inst);

/* True when no variable access is missing. */
bool instance_is_complete(const struct instance *inst);

/* True when name is among the missing variable names. */
/* Whether a rule of inst reads variable name. */
bool instance_uses_var(const struct instance *inst, const char *name);
bool instance_is_missing(const struct instance *inst, const char *name);

/*
 * libvirt's message for the missing accesses: "Cannot instantiate filter
 * due to unresolvable variables or unavailable list elements: A, B[3]".
 * MAC is never listed and IP only when include_ip (libvirt lists IP only
 * when it will not learn it). Caller frees; NULL on -ENOMEM.
 */
char *instance_missing_format(const struct instance *inst, bool include_ip);

/*
 * The expansion of one rule instance (libvirt's virNWFilterVarCombIter).
 *
 * Accesses: the rule's distinct variable accesses in order of first
 * appearance, walking the attributes in filter_proto_info order (the order
 * libvirt's parser records them in). Groups: group 0 is iterator @0 and
 * always exists (libvirt creates it first, even when unused); then one
 * group per other iterator id and one per $X[N] access, in order of first
 * appearance. Combinations are an odometer in which group 0 changes
 * fastest, then group 1, and so on; inside a group, a position whose tuple
 * of values occurred at an earlier position is skipped.
 */
struct expansion_access {
	const struct filter_var_ref *ref; /* borrowed from the rule */
	const struct filter_var *var;     /* borrowed from the instance */
	size_t group;
};

struct expansion {
	struct expansion_access *accesses; /* owned, n_accesses */
	size_t n_accesses;
	int attr_access[FILTER_ATTR__MAX]; /* index into accesses; -1: not a variable */
	size_t n_groups;
	size_t n_combinations; /* >= 1 */
	const char **values; /* owned array, borrowed strings: n_combinations rows of n_accesses */
};

/*
 * Expands inst->rules[rule_index]. Returns 0 and *ret (caller frees);
 * -ENOENT when a variable is missing (check instance_is_complete() first),
 * -EINVAL when lists walked in parallel differ in length ("Cardinality of
 * list items must be the same for processing them in parallel"), -E2BIG
 * beyond INSTANCE_COMBINATIONS_MAX, -ENOMEM.
 */
int instance_rule_expand(const struct instance *inst, size_t rule_index, struct expansion **ret,
			 struct err *err);

struct expansion *expansion_free(struct expansion *e);

/* The value of attribute attr in combination k, or NULL when attr is not a variable. */
const char *expansion_value(const struct expansion *e, size_t k, enum filter_attr_id attr);

/* The value of access a in combination k. */
static inline const char *expansion_access_value(const struct expansion *e, size_t k, size_t a)
{
	return e->values[k * e->n_accesses + a];
}

/* CTRL_IP_LEARNING (§3.3). */
enum filter_learning {
	FILTER_LEARNING_ANY,
	FILTER_LEARNING_DHCP,
	FILTER_LEARNING_NONE,
	FILTER_LEARNING__MAX,
};

extern const char *const filter_learning_names[FILTER_LEARNING__MAX];

/*
 * The learning mode from a variable table: the first value of
 * CTRL_IP_LEARNING, case-insensitive; ANY when absent. -EINVAL with
 * "learning value 'X' invalid (accepted: any, dhcp, none)".
 */
int filter_params_learning_mode(const struct filter_params *vars, enum filter_learning *ret,
				struct err *err);

/* The same for the outermost table of an instance (the binding's parameters). */
int instance_learning_mode(const struct instance *inst, enum filter_learning *ret, struct err *err);

/* DHCPSERVER of the outermost table (one or more trusted servers), or NULL. Borrowed. */
const struct filter_var *instance_dhcp_servers(const struct instance *inst);

static inline void instance_freep(struct instance **inst)
{
	*inst = instance_free(*inst);
}

static inline void expansion_freep(struct expansion **e)
{
	*e = expansion_free(*e);
}
