/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vifguardctl explain: the nftables text a binding would add, without touching the kernel. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/offline.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

int cmd_explain(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_FILTERS_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(fw_port_freep) struct fw_port *p = NULL;
	struct cli_filters cf = { 0 };
	struct strbuf base;
	int opt, exit_code = 0;

	while ((opt = getopt_long(argc, argv, "F:p:S:h", options, NULL)) != -1) {
		if (cli_filters_option(&cf, opt, optarg, "explain", &exit_code)) {
			if (exit_code)
				return exit_code;
			continue;
		}
		if (opt == 'h')
			return cli_print_help("explain");
		return cli_usage_error("explain", "invalid option");
	}
	if (argc - optind != 1)
		return cli_usage_error("explain", "explain takes exactly one BINDING file");
	if (cli_compile_binding(&cf, argv[optind], NULL, NULL, &p) < 0)
		return CLI_EXIT_FAILURE;
	/* the daemon's NFLOG group is its own configuration: explain shows the default */
	strbuf_init(&base);
	if (p->attach == FW_ATTACH_NETDEV)
		fw_base_netdev_add(&base, FW_NFLOG_GROUP_DEFAULT);
	else
		fw_base_add(&base, FW_NFLOG_GROUP_DEFAULT);
	if (p->needs_inet)
		fw_base_inet_add(&base);
	if (strbuf_error(&base) < 0) {
		strbuf_fini(&base);
		cli_error("out of memory");
		return CLI_EXIT_FAILURE;
	}
	printf("# port %s: template %s, %u rules shared by every port bound to the same filters\n"
	       "# created once, with the base tables:\n%s%s"
	       "# the port's own elements (%u):\n%s",
	       p->port, p->template_id, p->n_rules, base.buf, p->template_add, p->n_elements,
	       p->elements_add);
	strbuf_fini(&base);
	return CLI_EXIT_OK;
}
