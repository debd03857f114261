/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vifguardctl explain: the nftables text a binding would add, without touching the kernel. */
#include <getopt.h>
#include <stdio.h>

#include "cli/cli.h"
#include "cli/offline.h"
#include "ctl/ctl.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

static int print_json(const struct fw_port *p, const char *base)
{
	struct ctl_obj *obj = ctl_obj_new(), *part;

	ctl_obj_add_bool(obj, "ok", true);
	ctl_obj_add_string(obj, "port", p->port);
	ctl_obj_add_string(obj, "attach", p->attach == FW_ATTACH_NETDEV ? "netdev" : "bridge");
	part = ctl_obj_add_obj(obj, "template");
	ctl_obj_add_string(part, "id", p->template_id);
	ctl_obj_add_uint(part, "rules", p->n_rules);
	ctl_obj_add_string(part, "base", base);
	ctl_obj_add_string(part, "nft", p->template_add);
	part = ctl_obj_add_obj(obj, "elements");
	ctl_obj_add_uint(part, "count", p->n_elements);
	ctl_obj_add_string(part, "nft", p->elements_add);
	return cli_json_print(obj, true);
}

int cmd_explain(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_FILTERS_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(fw_port_freep) struct fw_port *p = NULL;
	struct cli_filters cf = { 0 };
	struct strbuf base;
	const struct fw_base_opts defaults = { .nflog_group = FW_NFLOG_GROUP_DEFAULT,
					       .ipv6_idle_s = FW_IPV6_IDLE_DEFAULT_S,
					       .drop_log_group = FW_DROP_LOG_GROUP_DEFAULT };
	bool is_json = false;
	int opt, exit_code = 0;

	while ((opt = cli_getopt(argc, argv, "F:p:jh", options, "explain")) != -1) {
		if (cli_filters_option(&cf, opt, optarg, "explain", &exit_code)) {
			if (exit_code)
				return exit_code;
			continue;
		}
		if (opt == 'j')
			is_json = true;
		else if (opt == 'h')
			return cli_print_help("explain");
		else
			return CLI_EXIT_USAGE;
	}
	if (argc - optind != 1)
		return cli_usage_error("explain", "explain takes exactly one BINDING file");
	if (cli_compile_binding(&cf, argv[optind], NULL, NULL, &p) < 0)
		return is_json ? cli_json_failure() : CLI_EXIT_FAILURE;
	/* the daemon's NFLOG groups are its own configuration: explain shows the defaults */
	strbuf_init(&base);
	if (p->attach == FW_ATTACH_NETDEV)
		fw_base_netdev_add(&base, &defaults);
	else
		fw_base_add(&base, &defaults);
	if (p->needs_inet)
		fw_base_inet_add(&base);
	if (strbuf_error(&base) < 0) {
		strbuf_fini(&base);
		cli_error("out of memory");
		return is_json ? cli_json_failure() : CLI_EXIT_FAILURE;
	}
	if (is_json) {
		int r = print_json(p, base.buf);

		strbuf_fini(&base);
		return r;
	}
	printf("# port %s: template %s, %u rules shared by every port bound to the same filters\n"
	       "# created once, with the base tables:\n%s%s"
	       "# the port's own elements (%u):\n%s",
	       p->port, p->template_id, p->n_rules, base.buf, p->template_add, p->n_elements,
	       p->elements_add);
	strbuf_fini(&base);
	return CLI_EXIT_OK;
}
