/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The reserved variables that steer IP address learning (§3.3):
 * CTRL_IP_LEARNING and DHCPSERVER, read from the binding's own parameters,
 * the outermost variable table of an instance.
 */
#include "filter/instantiate.h"

#include <errno.h>
#include <stddef.h>
#include <strings.h>

#define VAR_LEARNING   "CTRL_IP_LEARNING"
#define VAR_DHCPSERVER "DHCPSERVER"

const char *const filter_learning_names[FILTER_LEARNING__MAX] = {
	[FILTER_LEARNING_ANY] = "any",
	[FILTER_LEARNING_DHCP] = "dhcp",
	[FILTER_LEARNING_NONE] = "none",
};

int filter_params_learning_mode(const struct filter_params *vars, enum filter_learning *ret,
				struct err *err)
{
	const struct filter_var *v = vars ? filter_params_find(vars, VAR_LEARNING) : NULL;

	/* §3.3: only the first value of a list counts; the comparison ignores case. */
	if (!v || v->n_values == 0) {
		*ret = FILTER_LEARNING_ANY;
		return 0;
	}
	for (size_t m = 0; m < FILTER_LEARNING__MAX; m++) {
		if (strcasecmp(v->values[0], filter_learning_names[m]) == 0) {
			*ret = (enum filter_learning)m;
			return 0;
		}
	}
	return err_set(err, -EINVAL, "learning value '%s' invalid (accepted: any, dhcp, none)",
		       v->values[0]);
}

int instance_learning_mode(const struct instance *inst, enum filter_learning *ret, struct err *err)
{
	return filter_params_learning_mode(inst->n_levels ? inst->levels[0] : NULL, ret, err);
}

const struct filter_var *instance_dhcp_servers(const struct instance *inst)
{
	const struct filter_var *v;

	if (!inst->n_levels)
		return NULL;
	v = filter_params_find(inst->levels[0], VAR_DHCPSERVER);
	return v && v->n_values ? v : NULL;
}
