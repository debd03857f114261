/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vifguardctl: one table of commands drives dispatch and help (the
 * WireGuard wg.c pattern). Exit codes: 0 success, 1 failure, 2 usage error.
 */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "conf/domain.h"
#include "config.h"
#include "util/opt.h"

const char *cli_program = "vifguardctl";
const char *cli_config_path;

static const char validate_usage[] =
	"Usage: vifguardctl validate [-q] [-j] [--strict] [-F DIR]... [-p NAME=VALUE]... FILE...\n"
	"\n"
	"Checks that each FILE is a valid libvirt <filter>, <filterbinding> or\n"
	"<filterbindingstatus> document, with libvirt's value rules. Prints one message per\n"
	"problem as FILE:LINE: ...; warnings mark input that libvirt accepts silently\n"
	"although it is wrong. A binding is valid only when it compiles, as explain, apply\n"
	"and the daemon compile it (with the filters of -F and the values of -p); one that\n"
	"learns its IP is compiled with an address standing in for the one it will learn.\n"
	"FILE may be '-' for standard input.\n"
	"\n"
	"  -q, --quiet             print nothing for valid files\n"
	"  -j, --json              print a JSON array on stdout: one object per file\n"
	"      --strict            a warning fails the file too\n"
	"  -F, --filter-dir DIR    also load filters from DIR (repeatable)\n"
	"  -p, --param NAME=VALUE  add a variable to each binding (repeatable)\n"
	"\n"
	"Exit status: 0 when every file is valid, 1 otherwise, 2 on a usage error.\n";

static const char format_usage[] =
	"Usage: vifguardctl format FILE\n"
	"\n"
	"Prints the canonical XML of a <filter> or <filterbinding> document, exactly as\n"
	"libvirt's formatter (virsh nwfilter-dumpxml) prints it: defaults made explicit,\n"
	"addresses and masks normalised, attributes in libvirt's order.\n"
	"FILE may be '-' for standard input.\n";

static const char explain_usage[] =
	"Usage: vifguardctl explain [-j] [-F DIR]... [-p NAME=VALUE]... BINDING\n"
	"\n"
	"Prints the nftables statements that binding BINDING (a libvirt <filterbinding>\n"
	"file, or '-' for standard input) would add: the shared template of its filter\n"
	"tree, created once for all ports bound to the same filters, and the port's own\n"
	"set elements. Changes nothing.\n"
	"\n"
	"  -j, --json              print one JSON object: port, template, elements\n"
	"  -F, --filter-dir DIR    also load filters from DIR, after the built-in ones\n"
	"                          (repeatable; a libvirt /etc/libvirt/nwfilter works as it is)\n"
	"  -p, --param NAME=VALUE  add a variable to the binding (repeatable: a list)\n";

static const char apply_usage[] =
	"Usage: vifguardctl apply [-j] [-F DIR]... [-p NAME=VALUE]... [-R DIR] BINDING\n"
	"\n"
	"Binds a port directly, without the daemon: compiles BINDING and applies it in one\n"
	"nftables transaction (the port gets all of its rules or none). Applying a binding\n"
	"for a port that is already bound replaces its rules in the same transaction.\n"
	"What was applied is recorded in RUN_DIR/ports/PORT for 'remove'. A port bound\n"
	"through vifguardd is refused: delete its binding first. Needs CAP_NET_ADMIN (root).\n"
	"\n"
	"  -j, --json              print one JSON object: port, action, template, elements\n"
	"  -F, --filter-dir DIR    also load filters from DIR (repeatable)\n"
	"  -p, --param NAME=VALUE  add a variable to the binding (repeatable: a list)\n"
	"  -R, --run-dir DIR       where port records live (default $VIFGUARD_RUN_DIR,\n"
	"                          else /run/vifguard)\n";

static const char remove_usage[] =
	"Usage: vifguardctl remove [-j] [-R DIR] PORT\n"
	"\n"
	"Removes what 'apply' added for PORT, in one transaction; traffic of the port is\n"
	"unfiltered afterwards. The shared template goes too when no other port uses it.\n"
	"A port bound through vifguardd is refused: use 'binding delete'.\n"
	"\n"
	"  -j, --json              print one JSON object: port, action\n"
	"  -R, --run-dir DIR       where apply left the port's record (as for apply)\n";

static const char binding_usage[] =
	"Usage: vifguardctl binding create [--keep-up] [-j] FILE\n"
	"       vifguardctl binding create --port PORT --mac MAC --filter NAME [OPTION]...\n"
	"       vifguardctl binding delete PORT\n"
	"       vifguardctl binding list [-j]\n"
	"       vifguardctl binding show PORT [-j]\n"
	"       vifguardctl binding dumpxml PORT\n"
	"       vifguardctl binding relearn PORT\n"
	"       vifguardctl binding verify [PORT] [-j]\n"
	"       vifguardctl binding export PORT\n"
	"       vifguardctl binding import [--keep-up] [-j] FILE\n"
	"\n"
	"Bindings attach a filter to a VM's port, through the daemon. create takes a libvirt\n"
	"<filterbinding> file as it is ('-' reads standard input), or the same facts as\n"
	"options; a repeated --param makes a list (--param IP=10.0.0.5 --param IP=10.0.0.6).\n"
	"The port must exist, on a bridge (or be a macvtap). The rules are applied in one\n"
	"nftables transaction and kept across daemon restarts; delete removes exactly them.\n"
	"When a create fails after the port was found (its rules cannot be applied, its\n"
	"address is another's, it is on no bridge), the port is set down, so that the VM\n"
	"never runs unguarded; --keep-up leaves it up instead. A port that disappears loses\n"
	"its binding; a renamed port keeps it. A port whose MAC changes, or that leaves its\n"
	"bridge, is quarantined (all its frames dropped, the binding kept) until it is as\n"
	"it was bound again.\n"
	"\n"
	"verify asks the kernel whether it enforces each port's rules (its dispatch, its\n"
	"elements, its template's chains), without changing anything, and exits 1 when\n"
	"some port's are not all there; show asks it too, and says 'unenforced' then.\n"
	"\n"
	"export prints the binding with the addresses its port learned and their lease ends\n"
	"(JSON); import creates it from that on another host (a live migration): the\n"
	"addresses are in force at once, each checked as a learned one is.\n"
	"\n"
	"      --port PORT         the port (libvirt's <portdev name>)\n"
	"      --mac MAC           the guest's MAC address\n"
	"      --filter NAME       the filter to bind\n"
	"      --param NAME=VALUE  a filter variable (repeatable: a list)\n"
	"      --owner NAME        the VM's name (libvirt's <owner>)\n"
	"      --linkdev DEV       a macvtap's lower device (libvirt's type='direct')\n"
	"      --keep-up           leave the port up when its binding cannot be applied\n"
	"  -j, --json              print the daemon's objects as JSON (list, verify: an array)\n";

static const char filter_usage[] =
	"Usage: vifguardctl filter define [--keep-old-rules] [-j] FILE\n"
	"       vifguardctl filter undefine NAME\n"
	"       vifguardctl filter list [-j]\n"
	"       vifguardctl filter dumpxml NAME\n"
	"\n"
	"Filters defined here are stored by the daemon and win over the filter directories.\n"
	"Redefining a filter rebuilds every bound port that uses it, each in one transaction;\n"
	"a port whose new rules cannot be applied fails and is set down, and define names it.\n"
	"A filter without <uuid> replaces the one of the same name. undefine is refused\n"
	"while a binding uses the filter; filters from directories are removed by removing\n"
	"the file and reloading. FILE may be '-' for standard input.\n"
	"\n"
	"      --keep-old-rules    a port whose new rules cannot be applied keeps its old ones\n"
	"  -j, --json              print the daemon's objects as JSON (list: an array)\n";

static const char watch_usage[] =
	"Usage: vifguardctl watch [-j]\n"
	"\n"
	"Prints the daemon's events as they happen (bindings created and deleted, ports\n"
	"gone or renamed, filters defined, reloads, learning, samples of dropped frames),\n"
	"until interrupted.\n"
	"\n"
	"  -j, --json              print one JSON object per event, one per line\n";

static const char status_usage[] =
	"Usage: vifguardctl status [-j]\n"
	"\n"
	"Says whether the daemon runs, its version, its bindings, what it learned, and\n"
	"whether others changed its nftables tables. Exits 3 when no daemon answers on the\n"
	"socket, as systemctl is-active does.\n"
	"\n"
	"  -j, --json              print one JSON object ({\"running\":false} with no daemon)\n";

static const char stats_usage[] =
	"Usage: vifguardctl stats [PORT] [-j]\n"
	"\n"
	"Says how many frames each port dropped, and why, as the kernel counted them. The\n"
	"reasons: source-mac, source-ip, arp-spoofing, ndp-spoofing, other-ethertype,\n"
	"rogue-dhcp, rogue-ra (the built-in filter that dropped the frame), filter (any\n"
	"other filter's drop), learning (before its address was learned), blocked,\n"
	"quarantine, unbound (a port no binding covers, dropped by the guard). Every bound\n"
	"port is listed, and every other port that dropped something. A port's counters\n"
	"start at zero when it is bound and go with its binding.\n"
	"\n"
	"  -j, --json              print an array of objects: port, bound, dropped_from_vm\n"
	"                          and dropped_to_vm (each reason: frames), dropped_total\n";

static const char metrics_usage[] =
	"Usage: vifguardctl metrics\n"
	"\n"
	"Prints the daemon's metrics in Prometheus' text format: dropped frames and bytes by\n"
	"port and reason, bindings by state, learning events and latency, learning copies\n"
	"and capture overruns, control requests by verb. vifguardd also writes them to\n"
	"metrics_textfile (vifguardd.conf) for node_exporter's textfile collector.\n";

static const char reload_usage[] =
	"Usage: vifguardctl reload [--keep-old-rules] [-j]\n"
	"\n"
	"Makes the daemon re-read its filter directories (like SIGHUP): the new filters are\n"
	"parsed first; on any error the old ones stay in force. Bound ports are rebuilt\n"
	"where their rules change; one whose new rules cannot be applied is set down.\n"
	"\n"
	"      --keep-old-rules    a port whose new rules cannot be applied keeps its old ones\n"
	"  -j, --json              print one JSON object: failed_ports\n";

static const char libvirt_hook_usage[] =
	"Usage: vifguardctl libvirt-hook [--driver qemu|lxc] DOMAIN OP SUBOP [EXTRA]\n"
	"\n"
	"The libvirt hook. libvirt runs it, as /etc/libvirt/hooks/qemu.d/50-vifguard and\n"
	"lxc.d/50-vifguard, for every domain and operation, with the domain XML on standard\n"
	"input. An interface asks for a guard with its own <filterref>, or in the domain's\n"
	"<metadata> under the namespace " CONF_DOMAIN_NS ",\n"
	"an <interface mac=...> with a <filterref>, which wins over the interface's own:\n"
	"\n"
	"  prepare begin    a guarded domain does not start while vifguardd does not run\n"
	"  start begin      binds the port (<target dev>) of each guarded interface before\n"
	"                   the guest runs; any failure fails the start, and says why\n"
	"  reconnect begin  (libvirtd restarted) binds what is missing; never fails, as\n"
	"                   libvirt would kill the running domain\n"
	"  release end      deletes the domain's bindings; never fails\n"
	"\n"
	"Other operations do nothing, and nothing is ever printed on standard output\n"
	"(for migrate and restore it would replace the domain XML). libvirt clears the\n"
	"environment, so the socket is the configuration file's, or the default.\n"
	"Restart libvirtd once after installing the hook: it looks for hooks when it starts.\n"
	"\n"
	"      --driver qemu|lxc   which libvirt driver runs it (default qemu)\n";

static const char libvirt_import_usage[] =
	"Usage: vifguardctl libvirt-import [-n] [-j] [--filter-dir DIR] [--binding-dir DIR]\n"
	"\n"
	"Takes a host over from libvirt's nwfilter driver, through the daemon. Defines each\n"
	"filter of the filter directory whose canonical form differs from the built-in\n"
	"filter of its name, or that has no built-in (libvirt's 24 shipped filters are\n"
	"built in); then binds each port named by a binding state file, when the port\n"
	"exists and is not bound yet. Says, per file: defined, same as built-in, already\n"
	"defined, bound, already bound, port gone, or the error. libvirt's own rules stay\n"
	"until its nwfilter driver removes them; meanwhile both guard the port.\n"
	"\n"
	"  -n, --dry-run           say what would be done; change nothing\n"
	"  -j, --json              print one JSON object: filters, bindings\n"
	"      --filter-dir DIR    libvirt's filters (default /etc/libvirt/nwfilter)\n"
	"      --binding-dir DIR   libvirt's binding state files\n"
	"                          (default /run/libvirt/nwfilter-binding)\n"
	"\n"
	"Exit status: 0 when no file failed, 1 otherwise, 2 on a usage error.\n";

static const char help_usage[] = "Usage: vifguardctl help [COMMAND]\n"
				 "\n"
				 "Lists the commands, or prints the full help of COMMAND.\n";

const struct cli_command cli_commands[] = {
	{ "validate", cmd_validate, "check filter and binding XML files", validate_usage },
	{ "format", cmd_format, "print a filter or binding in libvirt's canonical form",
	  format_usage },
	{ "explain", cmd_explain, "print the nftables rules a binding would add", explain_usage },
	{ "apply", cmd_apply, "bind a port directly, without the daemon", apply_usage },
	{ "remove", cmd_remove, "remove what apply added for a port", remove_usage },
	{ "binding", cmd_binding, "create, delete, list, show bindings (daemon)", binding_usage },
	{ "filter", cmd_filter, "define, undefine, list, dump filters (daemon)", filter_usage },
	{ "watch", cmd_watch, "stream the daemon's events", watch_usage },
	{ "status", cmd_status, "is the daemon running, and with what", status_usage },
	{ "stats", cmd_stats, "how many frames each port dropped, and why", stats_usage },
	{ "metrics", cmd_metrics, "the daemon's metrics, in Prometheus' text format",
	  metrics_usage },
	{ "reload", cmd_reload, "make the daemon re-read its filter directories", reload_usage },
	{ "libvirt-hook", cmd_libvirt_hook, "the libvirt hook: bind a domain's ports as it starts",
	  libvirt_hook_usage, .defers_config = true },
	{ "libvirt-import", cmd_libvirt_import, "take a host over from libvirt's nwfilter",
	  libvirt_import_usage },
	{ "help", cmd_help, "show the commands, or the help of one", help_usage },
	{ NULL, NULL, NULL, NULL },
};

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cli_program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s help%s%s'.\n", cli_program, command ? " " : "",
		command ? command : "");
	return CLI_EXIT_USAGE;
}

int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *command)
{
	char why[256], help_topic[32];
	int opt = opt_next(argc, argv, shortopts, longopts, why, sizeof(why));

	if (opt == '?') {
		/* "binding create": the help is binding's */
		snprintf(help_topic, sizeof(help_topic), "%.*s", (int)strcspn(command, " "),
			 command);
		cli_usage_error(help_topic, "%s: %s", command, why);
	}
	return opt;
}

static void print_overview(FILE *out)
{
	fprintf(out,
		"Usage: %s [-c FILE] [-s PATH] COMMAND [ARGS...]\n"
		"       %s -h|--help|-V|--version\n"
		"\n"
		"Guards VM and container ports on Linux bridges with libvirt-compatible\n"
		"network filters compiled to nftables.\n"
		"\n"
		"Commands:\n",
		cli_program, cli_program);
	for (const struct cli_command *c = cli_commands; c->name; c++)
		fprintf(out, "  %-15s %s\n", c->name, c->summary);
	fprintf(out,
		"\nvalidate, format, explain, apply and remove work without the daemon. The others\n"
		"talk to vifguardd on its socket: --socket PATH, else $VIFGUARD_SOCKET, else the\n"
		"'socket' of the daemon's configuration file (--config FILE, else $VIFGUARD_CONFIG,\n"
		"else " VIFGUARD_CONFIG_FILE "), else " VIFGUARD_RUN_DIR "/control.sock.\n"
		"Exit status: 0 success, 1 failure, 2 usage error, 3 no daemon (status).\n"
		"\n"
		"  -c, --config FILE       the daemon's configuration file, for its socket\n"
		"  -s, --socket PATH       the daemon's socket (also --socket=PATH)\n"
		"  -h, --help              show this help\n"
		"  -V, --version           show the version\n"
		"\nRun '%s help COMMAND' for the options of a command.\n",
		cli_program);
}

static const struct cli_command *find_command(const char *name)
{
	for (const struct cli_command *c = cli_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int cli_print_help(const char *command)
{
	const struct cli_command *c;

	if (!command) {
		print_overview(stdout);
		return CLI_EXIT_OK;
	}
	c = find_command(command);
	if (!c)
		return cli_usage_error(NULL, "unknown command '%s'", command);
	fputs(c->usage, stdout);
	return CLI_EXIT_OK;
}

int cmd_help(int argc, char **argv)
{
	if (argc > 2)
		return cli_usage_error("help", "help takes at most one COMMAND");
	return cli_print_help(argc == 2 ? argv[1] : NULL);
}

int main(int argc, char **argv)
{
	const struct cli_command *c;
	const char *config_path = NULL;
	int r;

	if (argc < 2) {
		print_overview(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_print_help(NULL);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("vifguardctl %s\n", VIFGUARD_VERSION);
		return CLI_EXIT_OK;
	}
	for (;;) {
		if (argc >= 2 && strncmp(argv[1], "--config=", 9) == 0) {
			config_path = argv[1] + 9;
			argc -= 1;
			argv += 1;
		} else if (argc >= 2 &&
			   (strcmp(argv[1], "--config") == 0 || strcmp(argv[1], "-c") == 0)) {
			if (argc < 3)
				return cli_usage_error(NULL, "--config needs a FILE");
			config_path = argv[2];
			argc -= 2;
			argv += 2;
		} else if (argc >= 2 && strncmp(argv[1], "--socket=", 9) == 0) {
			if (!argv[1][9])
				return cli_usage_error(NULL, "--socket needs a PATH");
			client_set_socket_path(argv[1] + 9);
			argc -= 1;
			argv += 1;
		} else if (argc >= 2 &&
			   (strcmp(argv[1], "--socket") == 0 || strcmp(argv[1], "-s") == 0)) {
			if (argc < 3)
				return cli_usage_error(NULL, "--socket needs a PATH");
			client_set_socket_path(argv[2]);
			argc -= 2;
			argv += 2;
		} else {
			break;
		}
	}
	if (argc < 2)
		return cli_usage_error(NULL, "a COMMAND is needed");
	if (argv[1][0] == '-')
		return cli_usage_error(NULL, "unknown option '%s'", argv[1]);
	c = find_command(argv[1]);
	if (!c)
		return cli_usage_error(NULL, "unknown command '%s'", argv[1]);
	if (config_path && !*config_path)
		return cli_usage_error(NULL, "--config needs a FILE");
	/* "COMMAND --help" for every command, those without options of their own too */
	if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0))
		return cli_print_help(c->name);
	cli_config_path = config_path;
	if (!c->defers_config && client_read_config(config_path) < 0)
		return CLI_EXIT_FAILURE;
	/* Sub-commands see their own name as argv[0], so getopt starts fresh. */
	optind = 1;
	r = c->run(argc - 1, argv + 1);
	client_fini();
	cli_diagnostics_clear();
	return r;
}
