/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vifguardctl validate: parse each file with libvirt's rules and say what is wrong. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli/offline.h"
#include "ctl/report.h"
#include "filter/filter.h"
#include "util/cleanup.h"

/* Diagnostics of one file, kept for --json. */
struct collected {
	char **errors, **warnings;
	size_t n_errors, n_warnings;
	bool is_json;
	bool is_oom;
};

static void collect(void *userdata, enum conf_severity severity, const char *msg)
{
	struct collected *c = userdata;
	char ***list = severity == CONF_ERROR ? &c->errors : &c->warnings;
	size_t *n = severity == CONF_ERROR ? &c->n_errors : &c->n_warnings;
	char **grown;

	if (!c->is_json) {
		fprintf(stderr, "%s%s\n", severity == CONF_WARNING ? "warning: " : "", msg);
		return;
	}
	grown = realloc(*list, (*n + 1) * sizeof(**list));
	if (!grown || !(grown[*n] = strdup(msg))) {
		if (grown)
			*list = grown;
		c->is_oom = true;
		return;
	}
	*list = grown;
	(*n)++;
}

static void collected_fini(struct collected *c)
{
	for (size_t i = 0; i < c->n_errors; i++)
		free(c->errors[i]);
	for (size_t i = 0; i < c->n_warnings; i++)
		free(c->warnings[i]);
	free(c->errors);
	free(c->warnings);
	*c = (struct collected){ .is_json = c->is_json };
}

static int print_json(const char *file, int r, enum conf_doc_kind kind, const char *name,
		      struct collected *c)
{
	struct ctl_validation v = {
		.file = file,
		.is_valid = r >= 0,
		.kind = r < 0                     ? NULL
			: kind == CONF_DOC_FILTER ? "filter"
						  : "filterbinding",
		.name = r < 0 ? NULL : name,
		.errors = (const char *const *)c->errors,
		.n_errors = c->n_errors,
		.warnings = (const char *const *)c->warnings,
		.n_warnings = c->n_warnings,
	};
	_cleanup_free_ char *line = c->is_oom ? NULL : ctl_validation_format(&v);

	if (!line) {
		cli_error("%s: out of memory", file);
		return -1;
	}
	puts(line);
	return 0;
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
	struct collected c = { .is_json = is_json };
	struct conf_diag diag = { .report = collect, .userdata = &c };
	enum conf_doc_kind kind = CONF_DOC_FILTER;
	_cleanup_(filter_freep) struct filter *f = NULL;
	_cleanup_(binding_freep) struct binding *b = NULL;
	const char *name;
	int r;

	r = conf_parse_file(file, &diag, &kind, &f, &b);
	if (r >= 0 && b)
		r = compile_binding(cf, file, b);
	/* --strict: a warning (something ignored) fails the file too */
	if (r >= 0 && is_strict && diag.n_warnings)
		r = -EINVAL;
	name = f ? f->name : b ? b->portdev : NULL;
	if (is_json) {
		if (print_json(file, r, kind, name, &c) < 0)
			r = -1;
	} else if (r >= 0 && !is_quiet) {
		printf("%s: valid %s '%s'\n", file, kind == CONF_DOC_FILTER ? "filter" : "binding",
		       name);
	}
	collected_fini(&c);
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

	while ((opt = getopt_long(argc, argv, "qjsF:p:S:h", options, NULL)) != -1) {
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
			return cli_usage_error("validate", "invalid option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("validate", "validate needs at least one FILE");
	for (int i = optind; i < argc; i++)
		if (validate_one(&cf, argv[i], is_quiet, is_json, is_strict) < 0)
			failures++;
	return failures ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
