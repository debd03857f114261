/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vifguardctl commands served by the daemon: binding, filter, watch,
 * status, reload. People get tables; --json prints the daemon's objects as
 * they are (a JSON array for listings, one object per line for watch).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "conf/conf.h"
#include "util/cleanup.h"

struct out {
	bool is_json;
	bool is_first;
	const char *kind;    /* "binding", "filter", "event", "verify" */
	size_t n_unenforced; /* verify: ports whose rules the kernel does not enforce */
};

static const char *str(const struct ctl_value *obj, const char *key)
{
	const struct ctl_value *v = NULL;
	const char *s = NULL;

	if (ctl_value_find(obj, key, &v) < 0 || !v || ctl_value_string(v, &s) < 0)
		return "-";
	return s;
}

static long long num(const struct ctl_value *obj, const char *key)
{
	const struct ctl_value *v = NULL;
	int64_t n = 0;

	if (ctl_value_find(obj, key, &v) < 0 || !v || ctl_value_int(v, &n) < 0)
		return 0;
	return (long long)n;
}

/* "10.0.0.5 (dhcp-ack from 10.0.0.1, lease until 12:34:56)" for each address, joined. */
static void format_addresses(const struct ctl_value *obj, bool is_long, char *out, size_t size)
{
	const struct ctl_value *arr = NULL;
	size_t used = 0;

	out[0] = '\0';
	if (ctl_value_find(obj, "addresses", &arr) < 0 || !arr)
		return;
	for (size_t i = 0; i < ctl_value_array_len(arr) && used < size; i++) {
		const struct ctl_value *a = ctl_value_array_at(arr, i);
		const char *source = str(a, "source");
		char detail[160] = "";
		long long end = num(a, "lease_end");

		if (is_long) {
			time_t t = (time_t)end;
			char when[32] = "no lease end";

			if (end > 0)
				strftime(when, sizeof(when), "lease until %F %T", localtime(&t));
			if (strcmp(source, "dhcp") == 0)
				snprintf(detail, sizeof(detail), " (dhcp-ack from %s, %s)",
					 str(a, "server"), when);
			else
				snprintf(detail, sizeof(detail), " (%s)", source);
		}
		used += (size_t)snprintf(out + used, size - used, "%s%s%s",
					 i ? (is_long ? "\n           " : ",") : "",
					 str(a, "address"), detail);
	}
}

static void print_json(const struct ctl_value *v)
{
	_cleanup_free_ char *text = ctl_value_to_json_string(v, false);

	puts(text ? text : "null");
}

static bool is_true(const struct ctl_value *obj, const char *key)
{
	const struct ctl_value *v = NULL;
	bool b = false;

	return ctl_value_find(obj, key, &v) == 0 && v && ctl_value_bool(v, &b) == 0 && b;
}

/*
 * "source-mac=3 source-ip=4", the reasons of key (dropped_from_vm or
 * dropped_to_vm) that counted, "-" when none did; returns their sum.
 */
static long long format_dropped(const struct ctl_value *data, const char *key, char *buf,
				size_t size)
{
	const struct ctl_value *dropped = NULL, *v;
	struct ctl_iter it;
	const char *reason;
	long long sum = 0;
	size_t len = 0;

	buf[0] = '\0';
	if (ctl_value_find(data, key, &dropped) == 0 && dropped) {
		ctl_value_iter_init(&it, dropped);
		while (ctl_value_iter_next(&it, &reason, &v)) {
			int64_t n = 0;
			int k;

			if (ctl_value_int(v, &n) < 0 || n == 0 || len >= size)
				continue;
			sum += n;
			k = snprintf(buf + len, size - len, "%s%s=%lld", len ? " " : "", reason,
				     (long long)n);
			len += k > 0 ? (size_t)k : 0;
		}
	}
	if (!buf[0])
		snprintf(buf, size, "-");
	return sum;
}

static int print_item(const struct ctl_value *item, void *userdata)
{
	struct out *o = userdata;

	if (strcmp(o->kind, "verify") == 0 && !is_true(item, "enforced"))
		o->n_unenforced++;
	if (o->is_json && strcmp(o->kind, "event") == 0) {
		print_json(item);
		fflush(stdout);
		return 0;
	}
	if (o->is_json) {
		_cleanup_free_ char *text = ctl_value_to_json_string(item, false);

		printf("%s%s", o->is_first ? "[" : ",", text ? text : "null");
	} else if (strcmp(o->kind, "binding") == 0) {
		char addrs[512];

		format_addresses(item, false, addrs, sizeof(addrs));
		if (o->is_first)
			printf("%-15s %-24s %-9s %-17s %-16s %s\n", "PORT", "FILTER", "STATE",
			       "MAC", "LEARNED", "NOTE");
		printf("%-15s %-24s %-9s %-17s %-16s %s\n", str(item, "port"), str(item, "filter"),
		       str(item, "state"), str(item, "mac"), addrs[0] ? addrs : "-",
		       strcmp(str(item, "note"), "-") ? str(item, "note") : "");
	} else if (strcmp(o->kind, "verify") == 0) {
		if (o->is_first)
			printf("%-15s %-9s %-8s %s\n", "PORT", "INTENDED", "ENFORCED", "PROBLEM");
		printf("%-15s %-9s %-8s %s\n", str(item, "port"), str(item, "intended"),
		       is_true(item, "enforced") ? "yes" : "no",
		       strcmp(str(item, "problem"), "-") ? str(item, "problem") : "");
	} else if (strcmp(o->kind, "stats") == 0) {
		char from[512], to[512];
		long long n_from = format_dropped(item, "dropped_from_vm", from, sizeof(from));
		long long n_to = format_dropped(item, "dropped_to_vm", to, sizeof(to));

		if (o->is_first)
			printf("%-15s %-5s %9s %9s  %s\n", "PORT", "BOUND", "FROM-VM", "TO-VM",
			       "BY REASON (from the VM; to it)");
		printf("%-15s %-5s %9lld %9lld  %s; %s\n", str(item, "port"),
		       is_true(item, "bound") ? "yes" : "no", n_from, n_to, from, to);
	} else if (strcmp(o->kind, "filter") == 0) {
		if (o->is_first)
			printf("%-36s %-26s %-12s %-8s %s\n", "UUID", "NAME", "CHAIN", "BINDINGS",
			       "ORIGIN");
		printf("%-36s %-26s %-12s %-8lld %s\n", str(item, "uuid"), str(item, "name"),
		       str(item, "chain"), num(item, "bindings"), str(item, "origin"));
	} else {
		const char *reason = str(item, "reason");
		bool has_reason = strcmp(reason, "-") != 0;

		/* dropped: "source-ip from the guest: 52:54:00:..." */
		printf("%-16s %-15s %s%s%s\n", str(item, "type"),
		       strcmp(str(item, "port"), "-") ? str(item, "port") : "",
		       has_reason ? reason : "", has_reason ? " " : "", str(item, "message"));
	}
	o->is_first = false;
	fflush(stdout);
	return 0;
}

/* --json: a listing cut short still ends as an array; none began: the failure object */
static int listing_failed(const struct out *o)
{
	if (!o->is_json)
		return CLI_EXIT_FAILURE;
	if (o->is_first)
		return cli_json_failure();
	puts("]");
	return CLI_EXIT_FAILURE;
}

static int list(enum ctl_verb verb, const char *kind, bool is_json)
{
	struct ctl_request req = { .id = 1, .verb = verb };
	struct out o = { .is_json = is_json, .is_first = true, .kind = kind };
	int r = client_call(&req, print_item, &o, NULL);

	if (r < 0)
		return listing_failed(&o);
	if (is_json)
		puts(o.is_first ? "[]" : "]");
	else if (o.is_first)
		printf("no %ss\n", kind);
	return CLI_EXIT_OK;
}

/* Exit 1 when the kernel does not enforce some port's rules, so scripts can ask. */
static int verify(char *port, bool is_json)
{
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_BINDING_VERIFY, .port = port };
	struct out o = { .is_json = is_json, .is_first = true, .kind = "verify" };

	if (client_call(&req, print_item, &o, NULL) < 0)
		return listing_failed(&o);
	if (is_json)
		puts(o.is_first ? "[]" : "]");
	else if (o.is_first)
		printf("no bindings\n");
	return o.n_unenforced ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* A request whose reply carries data; prints it with show(data) or as JSON. */
static int call_and_show(struct ctl_request *req, bool is_json,
			 void (*show)(const struct ctl_value *data))
{
	struct ctl_message reply = { 0 };

	req->id = 1;
	if (client_call(req, NULL, NULL, &reply) < 0) {
		/* status: no daemon is an answer, not a failure */
		if (req->verb == CTL_VERB_STATUS && client_daemon_unreachable())
			return CLI_EXIT_NOT_RUNNING;
		return is_json ? cli_json_failure() : CLI_EXIT_FAILURE;
	}
	if (is_json)
		print_json(reply.data);
	else if (show)
		show(reply.data);
	ctl_message_fini(&reply);
	return CLI_EXIT_OK;
}

static void show_xml(const struct ctl_value *data)
{
	fputs(str(data, "xml"), stdout);
}

static void show_failures(const struct ctl_value *data)
{
	const struct ctl_value *failed = NULL;
	size_t n = ctl_value_find(data, "failed_ports", &failed) == 0 && failed
			   ? ctl_value_array_len(failed)
			   : 0;

	printf(n ? "done; the new rules of these ports cannot be applied:\n" : "done\n");
	for (size_t i = 0; i < n; i++) {
		const struct ctl_value *f = ctl_value_array_at(failed, i);

		printf("  %s: %s\n", str(f, "port"), str(f, "error"));
	}
}

static void show_learning(const struct ctl_value *data)
{
	const struct ctl_value *l = NULL, *servers = NULL;
	char addrs[2048];

	format_addresses(data, true, addrs, sizeof(addrs));
	if (addrs[0])
		printf("address:   %s\n", addrs);
	if (ctl_value_find(data, "learning", &l) < 0 || !l)
		return;
	printf("learning:  %s%s%s, mode %s", is_true(l, "ipv4") ? "IPv4" : "",
	       is_true(l, "ipv4") && is_true(l, "ipv6") ? " and " : "",
	       is_true(l, "ipv6") ? "IPv6" : "", str(l, "mode"));
	if (num(l, "since")) {
		time_t t = (time_t)num(l, "since");
		char when[32];

		strftime(when, sizeof(when), "%F %T", localtime(&t));
		printf(", learning since %s", when);
	}
	printf(", timeout %llds", num(l, "timeout"));
	if (ctl_value_find(l, "trusted_servers", &servers) == 0 && ctl_value_array_len(servers)) {
		printf(", trusted DHCP servers:");
		for (size_t i = 0; i < ctl_value_array_len(servers); i++) {
			const char *sv = "";

			(void)ctl_value_string(ctl_value_array_at(servers, i), &sv);
			printf(" %s", sv);
		}
	} else {
		printf(", any DHCP server");
	}
	printf("\n");
}

static void show_binding(const struct ctl_value *data)
{
	const struct ctl_value *params = NULL, *owner = NULL;
	struct ctl_iter it;
	const char *name;
	const struct ctl_value *values;

	printf("port:      %s\nfilter:    %s\nstate:     %s\nmac:       %s\n", str(data, "port"),
	       str(data, "filter"), str(data, "state"), str(data, "mac"));
	if (strcmp(str(data, "problem"), "-") != 0)
		printf("problem:   %s\n", str(data, "problem"));
	if (ctl_value_find(data, "owner", &owner) == 0 && owner)
		printf("owner:     %s (%s)\n", str(owner, "name"), str(owner, "uuid"));
	if (strcmp(str(data, "linkdev"), "-") != 0)
		printf("linkdev:   %s\n", str(data, "linkdev"));
	if (strcmp(str(data, "attach"), "netdev") == 0)
		printf("attached:  netdev hooks on the port (a macvtap: no bridge)\n");
	printf("template:  %s\nport id:   %lld\nifindex:   %lld\n", str(data, "template"),
	       num(data, "port_id"), num(data, "ifindex"));
	if (strcmp(str(data, "note"), "-") != 0)
		printf("note:      %s\n", str(data, "note"));
	show_learning(data);
	if (ctl_value_find(data, "dropped_from_vm", &values) == 0 && values) {
		char from[512], to[512];
		long long n_from = format_dropped(data, "dropped_from_vm", from, sizeof(from));
		long long n_to = format_dropped(data, "dropped_to_vm", to, sizeof(to));

		printf("dropped:   %lld frames from the VM (%s), %lld to it (%s)\n", n_from, from,
		       n_to, to);
	}
	if (ctl_value_find(data, "params", &params) < 0 || !params)
		return;
	ctl_value_iter_init(&it, params);
	while (ctl_value_iter_next(&it, &name, &values)) {
		printf("param:     %s =", name);
		for (size_t i = 0; i < ctl_value_array_len(values); i++) {
			const char *s = "";

			(void)ctl_value_string(ctl_value_array_at(values, i), &s);
			printf(" %s", s);
		}
		printf("\n");
	}
}

static void show_created(const struct ctl_value *data)
{
	printf("port %s: bound to filter '%s' (%s)\n", str(data, "port"), str(data, "filter"),
	       str(data, "state"));
}

char *cli_read_input(const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	char *text = NULL;
	size_t size = 0;

	if (!f) {
		cli_error("cannot read %s: %m", path);
		return NULL;
	}
	if (getdelim(&text, &size, '\0', f) < 0) {
		free(text);
		text = strdup("");
	}
	if (f != stdin)
		fclose(f);
	return text;
}

/* ---- binding ------------------------------------------------------------- */

static int add_param(struct ctl_request *req, const char *arg)
{
	const char *eq = strchr(arg, '=');
	struct ctl_param *p = NULL;
	char *value;

	if (!eq || eq == arg)
		return -EINVAL;
	for (size_t i = 0; i < req->n_params; i++)
		if (strlen(req->params[i].name) == (size_t)(eq - arg) &&
		    strncmp(req->params[i].name, arg, (size_t)(eq - arg)) == 0)
			p = &req->params[i];
	if (!p) {
		struct ctl_param *grown =
			realloc(req->params, (req->n_params + 1) * sizeof(*req->params));

		if (!grown)
			return -ENOMEM;
		req->params = grown;
		p = &req->params[req->n_params++];
		*p = (struct ctl_param){ .name = strndup(arg, (size_t)(eq - arg)) };
	}
	value = strdup(eq + 1);
	char **values = realloc(p->values, (p->n_values + 1) * sizeof(*p->values));
	if (!value || !values || !p->name) {
		free(value);
		if (values)
			p->values = values;
		return -ENOMEM;
	}
	p->values = values;
	p->values[p->n_values++] = value;
	return 0;
}

static int binding_create(int argc, char **argv, bool is_json)
{
	static const struct option options[] = {
		{ "port", required_argument, NULL, 'P' },
		{ "mac", required_argument, NULL, 'm' },
		{ "filter", required_argument, NULL, 'f' },
		{ "param", required_argument, NULL, 'p' },
		{ "owner", required_argument, NULL, 'o' },
		{ "linkdev", required_argument, NULL, 'L' },
		{ "keep-up", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_request req = { .verb = CTL_VERB_BINDING_CREATE };
	int opt, r = CLI_EXIT_OK;

	/* no -f: to vifguardd it means --foreground */
	while ((opt = cli_getopt(argc, argv, "P:m:p:o:L:kj", options, "binding create")) != -1) {
		switch (opt) {
		case 'P':
			req.port = strdup(optarg);
			break;
		case 'm':
			req.mac = strdup(optarg);
			break;
		case 'f':
			req.filter = strdup(optarg);
			break;
		case 'p':
			if (add_param(&req, optarg) < 0)
				r = cli_usage_error("binding", "--param takes NAME=VALUE, got '%s'",
						    optarg);
			break;
		case 'o':
			req.owner = strdup(optarg);
			break;
		case 'L':
			req.linkdev = strdup(optarg);
			break;
		case 'k':
			free(req.on_failure);
			req.on_failure = strdup("keep-up");
			break;
		case 'j':
			is_json = true;
			break;
		default:
			r = CLI_EXIT_USAGE;
		}
	}
	if (r == CLI_EXIT_OK && argc - optind == 1 && !req.port && !req.mac && !req.filter &&
	    !req.n_params) {
		req.xml = cli_read_input(argv[optind]);
		r = req.xml ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	} else if (r == CLI_EXIT_OK && (argc != optind || !req.port || !req.mac || !req.filter)) {
		r = cli_usage_error("binding",
				    "binding create takes a <filterbinding> FILE, or --port, --mac "
				    "and --filter");
	}
	if (r == CLI_EXIT_OK)
		r = call_and_show(&req, is_json, show_created);
	ctl_request_fini(&req);
	return r;
}

/* A verb taking one argument: PORT for binding verbs, NAME for filter verbs. */
static int one_arg(int argc, char **argv, enum ctl_verb verb, const char *command, bool is_json,
		   void (*show)(const struct ctl_value *))
{
	struct ctl_request req = { .verb = verb };
	int r;

	if (argc != 2)
		return cli_usage_error(command, "%s %s takes exactly one argument", command,
				       argv[0]);
	if (strcmp(command, "binding") == 0)
		req.port = argv[1];
	else
		req.name = argv[1];
	r = call_and_show(&req, is_json, show);
	if (!is_json && !show && r == CLI_EXIT_OK)
		printf("done\n");
	return r;
}

static bool take_json_flag(int *argc, char **argv)
{
	bool is_json = false;
	int n = 0;

	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0)
			is_json = true;
		else
			argv[n++] = argv[i];
	}
	*argc = n;
	return is_json;
}

/*
 * What is left after the flags were taken out is operands; a word that looks
 * like an option is named as one (argv[0] is the command, argv[1] the
 * subcommand, "-" is standard input).
 */
static int refuse_options(int argc, char **argv, const char *command)
{
	for (int i = 2; i < argc; i++)
		if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error(command, "%s %s: unknown option '%s'", command,
					       argv[1], argv[i]);
	return 0;
}

/* Takes --keep-old-rules out of argv: a port whose rebuild fails keeps its old rules. */
static char *take_keep_old_flag(int *argc, char **argv)
{
	bool is_keep = false;
	int n = 0;

	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "--keep-old-rules") == 0)
			is_keep = true;
		else
			argv[n++] = argv[i];
	}
	*argc = n;
	return is_keep ? (char *)"keep-old-rules" : NULL;
}

int cmd_binding(int argc, char **argv)
{
	bool is_json;
	int r;

	if (argc < 2)
		return cli_usage_error("binding", "binding needs a subcommand");
	if (strcmp(argv[1], "create") == 0) {
		optind = 1;
		return binding_create(argc - 1, argv + 1, false);
	}
	if (strcmp(argv[1], "import") == 0) {
		optind = 1;
		return cli_binding_import(argc - 1, argv + 1);
	}
	if (strcmp(argv[1], "export") == 0)
		return refuse_options(argc, argv, "binding")
			       ?: cli_binding_export(argc - 1, argv + 1);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return cli_print_help("binding");
	is_json = take_json_flag(&argc, argv);
	r = refuse_options(argc, argv, "binding");
	if (r)
		return r;
	if (strcmp(argv[1], "list") == 0)
		return argc == 2 ? list(CTL_VERB_BINDING_LIST, "binding", is_json)
				 : cli_usage_error("binding", "binding list takes no PORT");
	if (strcmp(argv[1], "delete") == 0)
		return one_arg(argc - 1, argv + 1, CTL_VERB_BINDING_DELETE, "binding", is_json,
			       NULL);
	if (strcmp(argv[1], "show") == 0)
		return one_arg(argc - 1, argv + 1, CTL_VERB_BINDING_SHOW, "binding", is_json,
			       show_binding);
	if (strcmp(argv[1], "dumpxml") == 0)
		return one_arg(argc - 1, argv + 1, CTL_VERB_BINDING_DUMPXML, "binding", is_json,
			       show_xml);
	if (strcmp(argv[1], "verify") == 0)
		return argc <= 3 ? verify(argc == 3 ? argv[2] : NULL, is_json)
				 : cli_usage_error("binding",
						   "binding verify takes at most one PORT");
	if (strcmp(argv[1], "relearn") == 0)
		return one_arg(argc - 1, argv + 1, CTL_VERB_BINDING_RELEARN, "binding", is_json,
			       NULL);
	return cli_usage_error("binding", "unknown binding subcommand '%s'", argv[1]);
}

int cmd_filter(int argc, char **argv)
{
	struct ctl_request req = { 0 };
	bool is_json;
	int r;

	if (argc < 2)
		return cli_usage_error("filter", "filter needs a subcommand");
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return cli_print_help("filter");
	is_json = take_json_flag(&argc, argv);
	req.on_failure = take_keep_old_flag(&argc, argv);
	r = refuse_options(argc, argv, "filter");
	if (r)
		return r;
	if (strcmp(argv[1], "list") == 0)
		return argc == 2 ? list(CTL_VERB_FILTER_LIST, "filter", is_json)
				 : cli_usage_error("filter", "filter list takes no NAME");
	if (strcmp(argv[1], "define") == 0) {
		if (argc != 3)
			return cli_usage_error("filter", "filter define takes exactly one FILE");
		_cleanup_free_ char *xml = cli_read_input(argv[2]);

		if (!xml)
			return CLI_EXIT_FAILURE;
		req.verb = CTL_VERB_FILTER_DEFINE;
		req.xml = xml;
		return call_and_show(&req, is_json, show_failures);
	}
	if (strcmp(argv[1], "undefine") == 0)
		return one_arg(argc - 1, argv + 1, CTL_VERB_FILTER_UNDEFINE, "filter", is_json,
			       NULL);
	if (strcmp(argv[1], "dumpxml") == 0)
		return one_arg(argc - 1, argv + 1, CTL_VERB_FILTER_DUMPXML, "filter", is_json,
			       show_xml);
	return cli_usage_error("filter", "unknown filter subcommand '%s'", argv[1]);
}

int cmd_watch(int argc, char **argv)
{
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_WATCH };
	struct out o = { .is_first = true, .kind = "event" };

	o.is_json = take_json_flag(&argc, argv);
	if (argc != 1)
		return cli_usage_error("watch", "watch takes no arguments but --json");
	if (!o.is_json)
		printf("%-16s %-15s %s\n", "EVENT", "PORT", "MESSAGE");
	o.is_first = false;
	fflush(stdout);
	return client_call(&req, print_item, &o, NULL) < 0 ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static void show_status(const struct ctl_value *data)
{
	const struct ctl_value *l = NULL, *t = NULL;

	printf("vifguardd %s, pid %lld, %lld bindings, socket %s\n", str(data, "version"),
	       num(data, "pid"), num(data, "bindings"), client_socket_path());
	if (ctl_value_find(data, "tables", &t) == 0 && t && num(t, "repairs") > 0) {
		time_t at = (time_t)num(t, "last_repair_at");
		char when[32];

		strftime(when, sizeof(when), "%F %T", localtime(&at));
		printf("tables: changed by others and put back %lld times (%lld with ports that "
		       "could not be); last at %s: %s\n",
		       num(t, "repairs"), num(t, "repairs_failed"), when, str(t, "last_change"));
	}
	if (ctl_value_find(data, "learning", &l) < 0 || !l)
		return;
	printf("learning: NFLOG group %lld, %lld records read, %lld learned, %lld ignored "
	       "(vifguardctl status --json: by reason), capture overruns %lld\n",
	       num(l, "nflog_group"), num(l, "records"), num(l, "learn"), num(l, "ignore"),
	       num(l, "capture_overruns"));
}

int cmd_status(int argc, char **argv)
{
	struct ctl_request req = { .verb = CTL_VERB_STATUS };
	bool is_json = take_json_flag(&argc, argv);

	int r;

	if (argc != 1)
		return cli_usage_error("status", "status takes no arguments but --json");
	r = call_and_show(&req, is_json, show_status);
	if (r == CLI_EXIT_NOT_RUNNING && is_json)
		puts("{\"running\":false}");
	return r;
}

int cmd_stats(int argc, char **argv)
{
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_STATS };
	bool is_json = take_json_flag(&argc, argv);
	struct out o = { .is_json = is_json, .is_first = true, .kind = "stats" };

	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-')
			return cli_usage_error("stats", "stats: unknown option '%s'", argv[i]);
	if (argc > 2)
		return cli_usage_error("stats", "stats takes at most one PORT");
	req.port = argc == 2 ? argv[1] : NULL;
	if (client_call(&req, print_item, &o, NULL) < 0)
		return listing_failed(&o);
	if (is_json)
		puts(o.is_first ? "[]" : "]");
	else if (o.is_first)
		printf("no bindings, and no port dropped anything\n");
	return CLI_EXIT_OK;
}

static void show_metrics(const struct ctl_value *data)
{
	fputs(str(data, "text"), stdout);
}

int cmd_metrics(int argc, char **argv)
{
	struct ctl_request req = { .verb = CTL_VERB_METRICS };

	if (argc != 1)
		return cli_usage_error("metrics", "metrics takes no arguments");
	return call_and_show(&req, false, show_metrics);
}

int cmd_reload(int argc, char **argv)
{
	struct ctl_request req = { .verb = CTL_VERB_RELOAD };
	bool is_json = take_json_flag(&argc, argv);

	req.on_failure = take_keep_old_flag(&argc, argv);
	if (argc != 1)
		return cli_usage_error("reload",
				       "reload takes no arguments but --keep-old-rules and --json");
	return call_and_show(&req, is_json, show_failures);
}
