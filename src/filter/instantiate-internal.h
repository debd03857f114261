/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What instantiate.c (the tree walk) and instantiate-expand.c (the expansion
 * of one rule) share: a rule's variable accesses. Only filter/ includes this.
 */
#pragma once

#include <stddef.h>

#include "filter/filter.h"

/*
 * The distinct accesses of rule r in libvirt's order: its parser records
 * them while walking the protocol's attribute table, sharing equal
 * accesses. refs has room for FILTER_ATTR__MAX; attr_access (may be NULL)
 * receives for every attribute the index of its access, or -1. Attributes
 * outside the protocol's table are never compiled, so they are not looked at.
 * Returns the number of accesses.
 */
size_t instance_rule_accesses(const struct filter_rule *r, const struct filter_var_ref **refs,
			      int *attr_access);

/* The value list an access reads, or NULL when it is missing (libvirt's IsAvailable). */
const struct filter_var *instance_access_var(const struct filter_params *vars,
					     const struct filter_var_ref *ref);

/* libvirt's text of an access: NAME, NAME[@K] for K != 0, NAME[N]. Caller frees; NULL on -ENOMEM.
 */
char *instance_access_format(const struct filter_var_ref *ref);
