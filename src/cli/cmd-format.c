/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vifguardctl format: print a document the way libvirt's formatter prints it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "util/cleanup.h"

int cmd_format(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(filter_freep) struct filter *f = NULL;
	_cleanup_(binding_freep) struct binding *b = NULL;
	_cleanup_free_ char *text = NULL;
	enum conf_doc_kind kind;
	struct conf_diag diag;
	int opt;

	while ((opt = cli_getopt(argc, argv, "h", options, "format")) != -1) {
		if (opt == 'h')
			return cli_print_help("format");
		return CLI_EXIT_USAGE;
	}
	if (argc - optind != 1)
		return cli_usage_error("format", "format takes exactly one FILE");
	cli_diag_init(&diag);
	if (conf_parse_file(argv[optind], &diag, &kind, &f, &b) < 0)
		return CLI_EXIT_FAILURE;
	text = kind == CONF_DOC_FILTER ? conf_filter_format(f) : conf_binding_format(b);
	if (!text) {
		cli_error("%s: out of memory while formatting", argv[optind]);
		return CLI_EXIT_FAILURE;
	}
	fputs(text, stdout);
	return CLI_EXIT_OK;
}
