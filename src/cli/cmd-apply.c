/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vifguardctl apply / remove: bind a port directly, without the daemon.
 * What the kernel holds for each port is recorded in the state directory
 * (one file per port, written atomically), so remove takes away exactly
 * what apply added. The kernel itself says who applied a port (fw marks
 * ours), so neither command touches a port the daemon bound, and port ids
 * come from the kernel too, so they never collide with the daemon's.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/offline.h"
#include "ctl/ctl.h"
#include "fw/apply.h"
#include "util/cleanup.h"

/* nftables changes need CAP_NET_ADMIN; without it, say so before libnftables does, tersely */
static bool may_change_rules(const char *command)
{
	struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &header, data) == 0 &&
	    (data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32))))
		return true;
	cli_error("%s changes nftables rules, which needs CAP_NET_ADMIN: run it as root", command);
	return false;
}

static int record_path(const struct cli_filters *cf, const char *port, char **ret)
{
	return asprintf(ret, "%s/ports/%s", cli_run_dir(cf), port) < 0 ? -ENOMEM : 0;
}

static int mkdir_p(const char *dir)
{
	_cleanup_free_ char *copy = strdup(dir);

	if (!copy)
		return -ENOMEM;
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0700) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(copy, 0700) < 0 && errno != EEXIST ? -errno : 0;
}

static int read_record(const char *path, struct fw_record **ret, struct err *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	ssize_t n;

	if (!f)
		return -errno;
	n = getdelim(&text, &size, '\0', f);
	if (n < 0)
		return err_set(err, -EIO, "%s: cannot read", path);
	return fw_record_parse(text, ret, err);
}

static int write_record(const char *path, const struct fw_record *rec)
{
	_cleanup_free_ char *text = fw_record_format(rec), *tmp = NULL;
	_cleanup_close_ int fd = -1;
	size_t len;

	if (!text || asprintf(&tmp, "%s.XXXXXX", path) < 0)
		return -ENOMEM;
	fd = mkstemp(tmp);
	if (fd < 0)
		return -errno;
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || fsync(fd) < 0 || rename(tmp, path) < 0) {
		int r = -errno;

		unlink(tmp);
		return r ? r : -EIO;
	}
	return 0;
}

struct apply {
	const struct cli_filters *cf;
	struct fw_ctx *ctx;
};

/*
 * The port's id in the packet mark: its record's when no other port holds
 * it, else one that no port holds in the kernel, whoever bound it.
 */
static int choose_port_id(void *userdata, const char *port, unsigned *ret_id)
{
	const struct apply *a = userdata;
	_cleanup_(fw_record_freep) struct fw_record *rec = NULL;
	_cleanup_free_ char *path = NULL;
	struct err err = { 0 };
	int r;

	if (record_path(a->cf, port, &path) < 0)
		return -ENOMEM;
	/* no record, or an unreadable one: no wish */
	(void)read_record(path, &rec, &err);
	r = fw_port_id_allocate(a->ctx, port, rec ? rec->port_id : 0, NULL, ret_id, &err);
	if (r < 0)
		cli_error("%s", err.msg);
	return r;
}

/*
 * Refuses a port whose rules vifguardd applied: rewriting or removing them
 * here would leave the daemon with a binding whose rules are gone.
 */
static int check_not_daemons(struct fw_ctx *ctx, const char *port)
{
	enum fw_owner owner;
	struct err err = { 0 };

	if (fw_port_owner(ctx, port, &owner, &err) < 0) {
		cli_error("cannot tell who bound port %s: %s", port, err.msg);
		return -EIO;
	}
	if (owner == FW_OWNER_DAEMON) {
		cli_error(
			"port %s is bound by vifguardd; use 'vifguardctl binding delete %s' first",
			port, port);
		return -EBUSY;
	}
	return 0;
}

/* What apply and remove did, as the one JSON object --json prints. */
static int print_done(const char *port, const char *action, const struct fw_port *p)
{
	struct ctl_obj *obj = ctl_obj_new();

	ctl_obj_add_bool(obj, "ok", true);
	ctl_obj_add_string(obj, "port", port);
	ctl_obj_add_string(obj, "action", action);
	if (p) {
		ctl_obj_add_string(obj, "template", p->template_id);
		ctl_obj_add_uint(obj, "elements", p->n_elements);
	}
	return cli_json_print(obj, true);
}

static int apply_port(const struct cli_filters *cf, const char *file, bool is_json);

int cmd_apply(int argc, char **argv)
{
	static const struct option options[] = {
		CLI_FILTERS_OPTIONS,
		{ "run-dir", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_filters cf = { 0 };
	bool is_json = false;
	int opt, r, exit_code = 0;

	while ((opt = cli_getopt(argc, argv, "F:p:R:jh", options, "apply")) != -1) {
		if (cli_filters_option(&cf, opt, optarg, "apply", &exit_code)) {
			if (exit_code)
				return exit_code;
			continue;
		}
		if (opt == 'j')
			is_json = true;
		else if (opt == 'h')
			return cli_print_help("apply");
		else
			return CLI_EXIT_USAGE;
	}
	if (argc - optind != 1)
		return cli_usage_error("apply", "apply takes exactly one BINDING file");
	r = may_change_rules("apply") ? apply_port(&cf, argv[optind], is_json) : CLI_EXIT_FAILURE;
	if (r != CLI_EXIT_OK && is_json)
		return cli_json_failure();
	return r;
}

static int apply_port(const struct cli_filters *cf, const char *file, bool is_json)
{
	_cleanup_(fw_port_freep) struct fw_port *p = NULL;
	_cleanup_(fw_record_freep) struct fw_record *old = NULL, *rec = NULL;
	_cleanup_(fw_closep) struct fw_ctx *ctx = NULL;
	_cleanup_free_ char *path = NULL;
	struct err err = { 0 };
	bool was_lost;
	int r;
	char *slash;

	if (fw_open(FW_NFLOG_GROUP_KEEP, &ctx, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILURE;
	}
	if (cli_compile_binding(cf, file, choose_port_id, &(struct apply){ .cf = cf, .ctx = ctx },
				&p) < 0)
		return CLI_EXIT_FAILURE;
	if (if_nametoindex(p->port) == 0) {
		cli_error("cannot bind port %s: no such interface (VM not started?)", p->port);
		return CLI_EXIT_FAILURE;
	}
	if (check_not_daemons(ctx, p->port) < 0)
		return CLI_EXIT_FAILURE;
	if (fw_port_mark_ctl(p) < 0 || record_path(cf, p->port, &path) < 0) {
		cli_error("out of memory");
		return CLI_EXIT_FAILURE;
	}
	r = read_record(path, &old, &err);
	if (r < 0 && r != -ENOENT) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILURE;
	}
	slash = strrchr(path, '/');
	*slash = '\0'; /* path is now the ports directory */
	r = mkdir_p(path);
	if (r < 0) {
		cli_error("cannot create the directory %s: %s", path, strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	*slash = '/';
	r = fw_replace_port(ctx, p, old, &rec, &was_lost, &err);
	if (was_lost)
		cli_warning(
			"port %s: its rules recorded in %s are not in the kernel; applying afresh",
			p->port, path);
	if (r < 0) {
		cli_error("cannot apply: %s", err.msg);
		return CLI_EXIT_FAILURE;
	}
	r = write_record(path, rec);
	if (r < 0) {
		/* the rules are in place; without the record, remove would not find them */
		cli_error("port %s is bound, but its record %s could not be written: %s", p->port,
			  path, strerror(-r));
		return CLI_EXIT_FAILURE;
	}
	if (is_json)
		return print_done(p->port, old ? "replaced" : "bound", p);
	printf("port %s: %s (template %s, %u elements)\n", p->port, old ? "replaced" : "bound",
	       p->template_id, p->n_elements);
	return CLI_EXIT_OK;
}

static int remove_port(const struct cli_filters *cf, const char *port, bool is_json);

int cmd_remove(int argc, char **argv)
{
	static const struct option options[] = {
		{ "run-dir", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_filters cf = { 0 };
	bool is_json = false;
	int opt, r;

	while ((opt = cli_getopt(argc, argv, "R:jh", options, "remove")) != -1) {
		if (opt == 'R')
			cf.run_dir = optarg;
		else if (opt == 'j')
			is_json = true;
		else if (opt == 'h')
			return cli_print_help("remove");
		else
			return CLI_EXIT_USAGE;
	}
	if (argc - optind != 1)
		return cli_usage_error("remove", "remove takes exactly one PORT");
	r = may_change_rules("remove") ? remove_port(&cf, argv[optind], is_json) : CLI_EXIT_FAILURE;
	if (r != CLI_EXIT_OK && is_json)
		return cli_json_failure();
	return r;
}

static int remove_port(const struct cli_filters *cf, const char *port, bool is_json)
{
	_cleanup_(fw_record_freep) struct fw_record *rec = NULL;
	_cleanup_(fw_closep) struct fw_ctx *ctx = NULL;
	_cleanup_free_ char *path = NULL;
	struct err err = { 0 };
	int r;

	if (fw_open(FW_NFLOG_GROUP_KEEP, &ctx, &err) < 0) {
		cli_error("%s", err.msg);
		return CLI_EXIT_FAILURE;
	}
	if (check_not_daemons(ctx, port) < 0 || record_path(cf, port, &path) < 0)
		return CLI_EXIT_FAILURE;
	r = read_record(path, &rec, &err);
	if (r == -ENOENT) {
		cli_error("port %s is not bound (no record %s)", port, path);
		return CLI_EXIT_FAILURE;
	}
	if (r < 0 || fw_remove_port(ctx, rec, true, &err) < 0) {
		cli_error("cannot remove port %s: %s", port, err.msg);
		return CLI_EXIT_FAILURE;
	}
	if (unlink(path) < 0)
		cli_warning("port %s removed, but %s: %s", port, path, strerror(errno));
	if (is_json)
		return print_done(port, "removed", NULL);
	printf("port %s: removed\n", port);
	return CLI_EXIT_OK;
}
