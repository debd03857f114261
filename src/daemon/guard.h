/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Ports no binding covers, for any VMM: which to drop until they are bound
 * (guard_ports patterns, guarded bridges), which to trust (the uplink), and
 * which to bind at once to a default filter (auto_bind). Pure: the daemon
 * feeds links and carries out the verdicts (daemon/guard-run.c).
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fw/compile.h"
#include "link/link.h"
#include "util/err.h"

#define GUARD_NAMES_MAX  32 /* patterns and auto_bind lines fit FW_GUARD_NAMES_MAX */
#define GUARD_AUTO_MAX   16
#define GUARD_PARAMS_MAX 16
#define GUARD_TEXT_MAX   128

/* Where an auto-bound port's guest MAC comes from. */
enum guard_mac_rule {
	GUARD_MAC_PORT, /* the port's own MAC (a macvtap; a VMM that gives the tap the guest's) */
	GUARD_MAC_FE,   /* libvirt's tap: the guest's MAC with its first byte set to 0xfe; 0x52 back
			 */
};

struct guard_auto {
	char pattern[IFNAMSIZ];
	char filter[GUARD_TEXT_MAX];
	enum guard_mac_rule mac_rule;
	char params[GUARD_PARAMS_MAX][GUARD_TEXT_MAX]; /* NAME=VALUE */
	size_t n_params;
};

struct guard_config {
	char patterns[GUARD_NAMES_MAX][IFNAMSIZ]; /* guard_ports */
	size_t n_patterns;
	char bridges[GUARD_NAMES_MAX][IFNAMSIZ]; /* guard_bridge */
	size_t n_bridges;
	char trusted[GUARD_NAMES_MAX][IFNAMSIZ]; /* trusted_ports */
	size_t n_trusted;
	struct guard_auto autos[GUARD_AUTO_MAX]; /* auto_bind */
	size_t n_autos;
};

/*
 * One line of vifguardd.conf: 1 when key is a guard key (applied), 0 when it
 * is not, -EINVAL/-E2BIG with err saying what is wrong in value.
 */
int guard_config_set(struct guard_config *g, const char *key, const char *value, struct err *err);

/* Whether pattern ("vnet*", or a whole name) matches an interface name, as nftables matches. */
bool guard_name_matches(const char *pattern, const char *name);

enum guard_verdict {
	GUARD_OPEN,       /* not the guard's: bound, trusted, or nothing says to guard it */
	GUARD_QUARANTINE, /* drop its frames until a binding exists */
	GUARD_AUTO_BIND,  /* bind it now, with *ret_rule */
};

/*
 * What to do with link, which is on a guarded bridge or not, and bound or
 * not. Only bridge ports are the guard's (link->master > 0).
 */
enum guard_verdict guard_decide(const struct guard_config *g, const struct link_info *link,
				bool is_on_guarded_bridge, bool is_bound,
				const struct guard_auto **ret_rule);

/* The guest MAC rule's MAC for link; -EINVAL with err when the rule does not fit the port. */
int guard_auto_mac(const struct guard_auto *rule, const struct link_info *link, uint8_t mac[6],
		   struct err *err);

/* The kernel's side: patterns (guard_ports and auto_bind's, which wait for their binding) and
 * trusted names. */
void guard_fw(const struct guard_config *g, struct fw_guard *out);

/* Whether name is one of the guarded bridges. */
bool guard_is_guarded_bridge(const struct guard_config *g, const char *name);
