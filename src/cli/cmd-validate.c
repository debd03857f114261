/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vifguardctl validate: parse each file with libvirt's rules and say what is wrong. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli/offline.h"
#include "ctl/ctl.h"
#include "filter/filter.h"
#include "util/cleanup.h"

static bool is_first_file = true;

/* One file's result as a JSON object (without newline), or NULL on -ENOMEM. */
static char *format_json(const char *file, int r, enum conf_doc_kind kind, const char *name)
{
	struct ctl_obj *obj = ctl_obj_new();

	ctl_obj_add_string(obj, "file", file);
	ctl_obj_add_bool(obj, "valid", r >= 0);
	ctl_obj_add_string(obj, "kind",
			   r < 0                     ? NULL
			   : kind == CONF_DOC_FILTER ? "filter"
						     : "filterbinding");
	ctl_obj_add_string(obj, "name", r < 0 ? NULL : name);
	if (cli_json_add_diagnostics(obj) < 0)
		obj = ctl_obj_free(obj);
	return obj ? cli_json_format(obj) : NULL;
}

/*
 * A binding is valid when it compiles: what explain and apply (and the
 * daemon) would refuse, validate refuses too. A binding that learns its IP
 * is compiled with an address standing in for the one it will learn.
 */
static int compile_binding(const struct cli_filters *given, const char *file, struct binding *b)
{
	_cleanup_(fw_port_freep) struct fw_port *p = NULL;
	struct cli_filters cf = *given;
	const struct filter_var *learning = filter_params_find(&b->ref.params, "CTRL_IP_LEARNING");
	bool is_given = filter_params_find(&b->ref.params, "IP") != NULL;

	for (int i = 0; i < cf.n_params && !is_given; i++)
		is_given = strncmp(cf.params[i], "IP=", 3) == 0;
	if (!is_given &&
	    !(learning && learning->n_values && strcmp(learning->values[0], "none") == 0) &&
	    cf.n_params < (int)(sizeof(cf.params) / sizeof(cf.params[0])))
		cf.params[cf.n_params++] = "IP=192.0.2.1";
	return cli_compile_parsed(&cf, b, file, NULL, NULL, &p);
}

static int validate_one(const struct cli_filters *cf, const char *file, bool is_quiet, bool is_json,
			bool is_strict)
{
	struct conf_diag diag;
	enum conf_doc_kind kind = CONF_DOC_FILTER;
	_cleanup_(filter_freep) struct filter *f = NULL;
	_cleanup_(binding_freep) struct binding *b = NULL;
	_cleanup_free_ char *json = NULL;
	const char *name;
	int r;

	cli_diagnostics_clear();
	cli_diag_init(&diag);
	r = conf_parse_file(file, &diag, &kind, &f, &b);
	if (r >= 0 && b)
		r = compile_binding(cf, file, b);
	/* --strict: a warning (something ignored) fails the file too */
	if (r >= 0 && is_strict && cli_diagnostics_count(CONF_WARNING))
		r = -EINVAL;
	name = f ? f->name : b ? b->portdev : NULL;
	if (is_json) {
		json = format_json(file, r, kind, name);
		if (!json) {
			cli_error("%s: out of memory", file);
			return -ENOMEM;
		}
		printf("%s%s", is_first_file ? "[" : ",", json);
		is_first_file = false;
	} else if (r >= 0 && !is_quiet) {
		printf("%s: valid %s '%s'\n", file, kind == CONF_DOC_FILTER ? "filter" : "binding",
		       name);
	}
	return r;
}

int cmd_validate(int argc, char **argv)
{
	static const struct option options[] = {
		{ "quiet", no_argument, NULL, 'q' },  { "json", no_argument, NULL, 'j' },
		{ "strict", no_argument, NULL, 's' }, CLI_FILTERS_OPTIONS,
		{ "help", no_argument, NULL, 'h' },   { NULL, 0, NULL, 0 },
	};
	struct cli_filters cf = { 0 };
	bool is_quiet = false, is_json = false, is_strict = false;
	int opt, failures = 0, exit_code = 0;

	while ((opt = cli_getopt(argc, argv, "qjsF:p:h", options, "validate")) != -1) {
		if (cli_filters_option(&cf, opt, optarg, "validate", &exit_code)) {
			if (exit_code)
				return exit_code;
			continue;
		}
		switch (opt) {
		case 's':
			is_strict = true;
			break;
		case 'q':
			is_quiet = true;
			break;
		case 'j':
			is_json = true;
			break;
		case 'h':
			return cli_print_help("validate");
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind >= argc)
		return cli_usage_error("validate", "validate needs at least one FILE");
	for (int i = optind; i < argc; i++)
		if (validate_one(&cf, argv[i], is_quiet, is_json, is_strict) < 0)
			failures++;
	if (is_json)
		puts("]");
	return failures ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
