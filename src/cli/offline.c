/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Offline binding compilation for vifguardctl: the same filter loading,
 * instantiation and compilation the daemon does, run in the CLI process.
 */
#include "cli/offline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "conf/load.h"
#include "config.h"
#include "filter/instantiate.h"
#include "fw/apply.h"
#include "util/cleanup.h"

int cli_filters_option(struct cli_filters *cf, int opt, const char *arg, const char *command,
		       int *ret_exit)
{
	switch (opt) {
	case 'F':
		if (cf->n_dirs >= CLI_FILTER_DIRS_MAX) {
			*ret_exit = cli_usage_error(command, "at most %d --filter-dir options",
						    CLI_FILTER_DIRS_MAX);
			return 1;
		}
		cf->dirs[cf->n_dirs++] = arg;
		return 1;
	case 'p':
		if (!strchr(arg, '=') || arg[0] == '=' ||
		    cf->n_params >= (int)(sizeof(cf->params) / sizeof(cf->params[0]))) {
			*ret_exit =
				cli_usage_error(command, "--param takes NAME=VALUE, got '%s'", arg);
			return 1;
		}
		cf->params[cf->n_params++] = arg;
		return 1;
	case 'R':
		cf->run_dir = arg;
		return 1;
	default:
		return 0;
	}
}

const char *cli_run_dir(const struct cli_filters *cf)
{
	const char *env = getenv("VIFGUARD_RUN_DIR");

	if (cf->run_dir)
		return cf->run_dir;
	return env && *env ? env : VIFGUARD_RUN_DIR;
}

/*
 * The filters, as the daemon loads them: a bad file is reported and skipped
 * (a binding that needs it then fails, naming it); a directory that cannot
 * be read is an error.
 */
static int load_filters(const struct cli_filters *cf, struct filter_set *set)
{
	struct conf_diag diag;
	int r;

	cli_diag_init(&diag);
	r = conf_load_dir(conf_builtin_dir(), set, &diag);
	for (int i = 0; i < cf->n_dirs && r >= 0; i++)
		r = conf_load_dir(cf->dirs[i], set, &diag);
	if (r < 0) {
		cli_error("cannot load the filters (see the messages above)");
		return -EINVAL;
	}
	return 0;
}

static int add_params(const struct cli_filters *cf, struct binding *b)
{
	for (int i = 0; i < cf->n_params; i++) {
		_cleanup_free_ char *name = strdup(cf->params[i]);
		char *value;

		if (!name)
			return -ENOMEM;
		value = strchr(name, '=');
		*value++ = '\0';
		if (filter_params_add(&b->ref.params, name, value) < 0)
			return -ENOMEM;
	}
	return 0;
}

static void explain_missing(const struct instance *inst, const struct binding *b)
{
	_cleanup_free_ char *text = instance_missing_format(inst, true);

	cli_error("port %s: %s", b->portdev, text ? text : "variables are missing");
	if (instance_is_missing(inst, "IP") && inst->n_missing == 1)
		fprintf(stderr,
			"hint: the daemon learns IP from the VM's traffic; offline, give it "
			"with --param IP=ADDRESS\n");
}

int cli_compile_parsed(const struct cli_filters *cf, struct binding *b, const char *file,
		       cli_port_id_fn choose_id, void *userdata, struct fw_port **ret)
{
	unsigned port_id = 1;
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct err err = { 0 };
	int r;

	if (!set)
		return -ENOMEM;
	r = load_filters(cf, set);
	if (r < 0)
		return r;
	if (add_params(cf, b) < 0)
		return -ENOMEM;
	r = filter_instantiate(set, b, &inst, &err);
	if (r < 0) {
		cli_error("%s: %s", file, err.msg);
		return r;
	}
	if (!instance_is_complete(inst)) {
		explain_missing(inst, b);
		return -EINVAL;
	}
	if (choose_id && (r = choose_id(userdata, b->portdev, &port_id)) < 0)
		return r;
	/* offline there is no link to ask: a linkdev says macvtap, as libvirt's type='direct' */
	r = fw_compile(inst, b->portdev,
		       &(struct fw_compile_opts){
			       .attach = b->linkdev ? FW_ATTACH_NETDEV : FW_ATTACH_BRIDGE,
			       .port_id = port_id,
		       },
		       ret, &err);
	if (r < 0)
		cli_error("%s: %s", file, err.msg);
	else if ((*ret)->needs_inet && !fw_stateful_sees_bridged())
		cli_warning("port %s: %s", b->portdev, FW_STATEFUL_WARNING);
	return r;
}

int cli_compile_binding(const struct cli_filters *cf, const char *file, cli_port_id_fn choose_id,
			void *userdata, struct fw_port **ret)
{
	_cleanup_(binding_freep) struct binding *b = NULL;
	struct conf_diag diag;
	int r;

	cli_diag_init(&diag);
	r = conf_binding_parse_file(file, &diag, &b);
	if (r < 0)
		return r;
	return cli_compile_parsed(cf, b, file, choose_id, userdata, ret);
}
