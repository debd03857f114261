/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What explain, apply and remove share: filters, a binding, its compiled form. */
#pragma once

#include "conf/conf.h"
#include "filter/filterset.h"
#include "fw/compile.h"

#define CLI_FILTER_DIRS_MAX 16

struct cli_filters {
	const char *dirs[CLI_FILTER_DIRS_MAX];
	int n_dirs;
	const char *params[64]; /* NAME=VALUE from --param */
	int n_params;
	const char *run_dir;
};

/* Handles the options shared by explain and apply; returns 1 when opt was one of them. */
int cli_filters_option(struct cli_filters *cf, int opt, const char *arg, const char *command,
		       int *ret_exit);
#define CLI_FILTERS_OPTIONS                             \
	{ "filter-dir", required_argument, NULL, 'F' }, \
	{                                               \
		"param", required_argument, NULL, 'p'   \
	}

/* Picks the port's id for the packet mark once its name is known; prints why it cannot. */
typedef int (*cli_port_id_fn)(void *userdata, const char *port, unsigned *ret_id);

/*
 * Loads the filters, parses the binding file, adds --param values and
 * compiles it, with the id choose_id (may be NULL: id 1) picks. Prints what
 * is wrong on stderr. Returns 0 or -errno.
 */
int cli_compile_binding(const struct cli_filters *cf, const char *file, cli_port_id_fn choose_id,
			void *userdata, struct fw_port **ret);

/* The same for a binding already parsed (file names it in messages); adds --param values to b. */
int cli_compile_parsed(const struct cli_filters *cf, struct binding *b, const char *file,
		       cli_port_id_fn choose_id, void *userdata, struct fw_port **ret);

/* Where apply keeps its port records: --run-dir, $VIFGUARD_RUN_DIR, or /run/vifguard. */
const char *cli_run_dir(const struct cli_filters *cf);
