/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vifguardd: options, the configuration file, then the event loop.
 * Command-line options win over the file; the file wins over defaults.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conf/keyfile.h"
#include "conf/load.h"
#include "daemon/daemon.h"
#include "daemon/loop.h"
#include "fw/compile.h"
#include "util/cleanup.h"
#include "util/addr.h"
#include "util/log.h"
#include "util/opt.h"

#define DEFAULT_STATE_DIR "/var/lib/vifguard"
#define DEFAULT_SOCKET    VIFGUARD_RUN_DIR "/control.sock"

static const char usage[] =
	"Usage: vifguardd [OPTIONS]\n"
	"\n"
	"The vifguard host daemon: binds VM and container ports to libvirt-compatible\n"
	"network filters compiled to nftables, and keeps them bound across restarts.\n"
	"\n"
	"  -c, --config FILE       configuration file (default $VIFGUARD_CONFIG, else\n"
	"                          " VIFGUARD_CONFIG_FILE ", used when it exists)\n"
	"  -n, --check             check the configuration and the filters, then exit\n"
	"  -v, --verbose           with -n: list every filter loaded\n"
	"  -F, --filter-dir DIR    also load filters from DIR (repeatable; a libvirt\n"
	"                          /etc/libvirt/nwfilter works as it is)\n"
	"      --builtin-dir DIR   the built-in filters (default: the installed ones)\n"
	"  -S, --state-dir DIR     where the state database lives (default " DEFAULT_STATE_DIR ")\n"
	"  -s, --socket PATH       the control socket (default $VIFGUARD_SOCKET, else the\n"
	"                          configuration's socket, else " DEFAULT_SOCKET "); found\n"
	"                          the same way by vifguardctl\n"
	"  -l, --log-level LEVEL   err, warn, info (default) or debug\n"
	"  -f, --foreground        stay in the foreground (the default; for systemd units)\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"Signals: SIGHUP reloads the filter directories (on an error the old filters stay);\n"
	"SIGTERM exits and leaves every port's rules in force.\n"
	"\n"
	"Exit status: 0 on a clean exit or a valid configuration, 1 on an error, 2 on a\n"
	"usage error.\n";

struct options {
	struct daemon_config cfg;
	const char *config_path;
	bool is_config_explicit;
	bool is_check, is_verbose;
	enum log_level level;
	char *owned[64]; /* strings read from the configuration file */
	int n_owned;
};

static char *keep(struct options *o, const char *s)
{
	char *copy = strdup(s);

	if (copy && o->n_owned < (int)(sizeof(o->owned) / sizeof(o->owned[0])))
		o->owned[o->n_owned++] = copy;
	return copy;
}

static int add_filter_dir(struct daemon_config *cfg, const char *dir)
{
	if (cfg->n_filter_dirs >= DAEMON_FILTER_DIRS_MAX)
		return -E2BIG;
	cfg->filter_dirs[cfg->n_filter_dirs++] = dir;
	return 0;
}

/* "10.0.0.1, 10.0.0.254": IPv4 addresses separated by commas or blanks; adds to the list. */
static int parse_protected(struct daemon_config *cfg, const char *value, struct err *err)
{
	char copy[1024], *save = NULL;

	if (snprintf(copy, sizeof(copy), "%s", value) >= (int)sizeof(copy))
		return err_set(err, -E2BIG, "protected_addresses: the line is too long");
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		if (cfg->n_protected == DAEMON_PROTECTED_MAX ||
		    cfg->n_protected6 == DAEMON_PROTECTED_MAX)
			return err_set(err, -E2BIG,
				       "protected_addresses: at most %d addresses of each family",
				       DAEMON_PROTECTED_MAX);
		if (ipv4_parse(tok, cfg->protected_addrs[cfg->n_protected]) == 0)
			cfg->n_protected++;
		else if (ipv6_parse(tok, cfg->protected6[cfg->n_protected6]) == 0)
			cfg->n_protected6++;
		else
			return err_set(err, -EINVAL,
				       "protected_addresses: '%s' is not an IPv4 or IPv6 address",
				       tok);
	}
	return 0;
}

static int config_set(struct options *o, const char *key, const char *value, struct err *err)
{
	char *end;
	int r = guard_config_set(&o->cfg.guard, key, value, err);

	if (r != 0)
		return r < 0 ? r : 0;
	if (strcmp(key, "filter_dir") == 0)
		return add_filter_dir(&o->cfg, keep(o, value)) < 0
			       ? err_set(err, -E2BIG, "at most %d filter_dir lines",
					 DAEMON_FILTER_DIRS_MAX)
			       : 0;
	if (strcmp(key, "builtin_dir") == 0)
		o->cfg.builtin_dir = keep(o, value);
	else if (strcmp(key, "state_dir") == 0)
		o->cfg.state_dir = keep(o, value);
	else if (strcmp(key, "socket") == 0)
		o->cfg.socket_path = keep(o, value);
	else if (strcmp(key, "log_level") == 0) {
		if (log_level_parse(value, &o->level) < 0)
			return err_set(err, -EINVAL,
				       "log_level '%s' (accepted: err, warn, info, debug)", value);
	} else if (strcmp(key, "nflog_group") == 0) {
		long v = strtol(value, &end, 10);

		if (*end || v < 1 || v > 65535)
			return err_set(err, -EINVAL, "nflog_group '%s' (1-65535)", value);
		o->cfg.nflog_group = (unsigned)v;
	} else if (strcmp(key, "learn_timeout") == 0) {
		long v = strtol(value, &end, 10);

		if (*end || v < 0 || v > 86400)
			return err_set(err, -EINVAL, "learn_timeout '%s' (seconds, 0-86400)",
				       value);
		o->cfg.learn_timeout_s = (int)v;
	} else if (strcmp(key, "max_addresses") == 0) {
		long v = strtol(value, &end, 10);

		if (*end || v < 1 || v > 4096)
			return err_set(err, -EINVAL,
				       "max_addresses '%s' (addresses a port may learn, 1-4096)",
				       value);
		o->cfg.max_addrs = (size_t)v;
	} else if (strcmp(key, "drop_counters") == 0) {
		if (strcmp(value, "yes") != 0 && strcmp(value, "no") != 0)
			return err_set(err, -EINVAL, "drop_counters '%s' (yes or no)", value);
		o->cfg.is_uncounted = strcmp(value, "no") == 0;
	} else if (strcmp(key, "drop_log_group") == 0) {
		long v = strtol(value, &end, 10);

		if (*end || v < 0 || v > 65535)
			return err_set(
				err, -EINVAL,
				"drop_log_group '%s' (the NFLOG group of dropped frames' samples, "
				"1-65535, 0: none)",
				value);
		o->cfg.drop_log_group = (unsigned)v;
	} else if (strcmp(key, "drop_log_rate") == 0) {
		long v = strtol(value, &end, 10);

		if (*end || v < 0 || v > 100000)
			return err_set(
				err, -EINVAL,
				"drop_log_rate '%s' (dropped frames logged per second, 0-100000)",
				value);
		o->cfg.drop_log_rate = (unsigned)v;
	} else if (strcmp(key, "metrics_textfile") == 0) {
		if (value[0] != '/' || strlen(value) < 6 ||
		    strcmp(value + strlen(value) - 5, ".prom") != 0)
			return err_set(
				err, -EINVAL,
				"metrics_textfile '%s' (an absolute path ending in .prom, in "
				"node_exporter's textfile directory)",
				value);
		o->cfg.metrics_textfile = keep(o, value);
	} else if (strcmp(key, "metrics_interval") == 0) {
		long v = strtol(value, &end, 10);

		if (*end || v < 1 || v > 3600)
			return err_set(err, -EINVAL, "metrics_interval '%s' (seconds, 1-3600)",
				       value);
		o->cfg.metrics_interval_s = (unsigned)v;
	} else if (strcmp(key, "ipv6_idle_timeout") == 0) {
		long v = strtol(value, &end, 10);

		if (*end || v < 2 || v > 604800)
			return err_set(
				err, -EINVAL,
				"ipv6_idle_timeout '%s' (seconds an unused learned IPv6 address "
				"is kept, 2-604800)",
				value);
		o->cfg.ipv6_idle_s = (int)v;
	} else if (strcmp(key, "protected_addresses") == 0) {
		return parse_protected(&o->cfg, value, err);
	} else {
		return err_set(
			err, -EINVAL,
			"unknown key '%s' (accepted: filter_dir, builtin_dir, state_dir, "
			"socket, log_level, learn_timeout, nflog_group, max_addresses, "
			"ipv6_idle_timeout, protected_addresses, guard_ports, guard_bridge, trusted_ports, "
			"auto_bind, drop_counters, drop_log_group, drop_log_rate, metrics_textfile, "
			"metrics_interval)",
			key);
	}
	return 0;
}

static int set_from_file(void *userdata, const char *key, const char *value, struct err *err)
{
	return config_set(userdata, key, value, err);
}

static int read_config(struct options *o, struct err *err)
{
	int r = conf_keyfile_read(o->config_path, set_from_file, o, err);

	/* no file at the default place: the defaults */
	if (r == -ENOENT && !o->is_config_explicit)
		r = 0;
	/* one group, two captures: the second bind fails, and learning would read the samples */
	if (r >= 0 && o->cfg.drop_log_group && o->cfg.drop_log_group == o->cfg.nflog_group)
		return err_set(err, -EINVAL,
			       "drop_log_group %u is nflog_group too: the drop log needs a group "
			       "of its own",
			       o->cfg.drop_log_group);
	return r;
}

static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option options[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "filter-dir", required_argument, NULL, 'F' },
		{ "builtin-dir", required_argument, NULL, 'B' },
		{ "state-dir", required_argument, NULL, 'S' },
		{ "socket", required_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct options cli = { .level = -1 };
	char why[256];
	int opt;

	/* the file is read first; remember the command line and apply it after */
	while ((opt = opt_next(argc, argv, "c:nvF:s:S:l:fhV", options, why, sizeof(why))) != -1) {
		switch (opt) {
		case 'c':
			o->config_path = optarg;
			o->is_config_explicit = true;
			break;
		case 'n':
			o->is_check = true;
			break;
		case 'v':
			o->is_verbose = true;
			break;
		case 'F':
			if (add_filter_dir(&cli.cfg, optarg) < 0) {
				fprintf(stderr, "vifguardd: at most %d --filter-dir options\n",
					DAEMON_FILTER_DIRS_MAX);
				return 2;
			}
			break;
		case 'B':
			cli.cfg.builtin_dir = optarg;
			break;
		case 'S':
			cli.cfg.state_dir = optarg;
			break;
		case 's':
			cli.cfg.socket_path = optarg;
			break;
		case 'l':
			if (log_level_parse(optarg, &cli.level) < 0) {
				fprintf(stderr,
					"vifguardd: --log-level '%s' (accepted: err, warn, "
					"info, debug)\nTry 'vifguardd --help'.\n",
					optarg);
				return 2;
			}
			break;
		case 'f':
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("vifguardd %s\n", VIFGUARD_VERSION);
			return 0;
		default:
			fprintf(stderr, "vifguardd: %s\nTry 'vifguardd --help'.\n", why);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vifguardd: unexpected argument '%s'\nTry 'vifguardd --help'.\n",
			argv[optind]);
		return 2;
	}
	o->cfg.builtin_dir = cli.cfg.builtin_dir;
	o->cfg.state_dir = cli.cfg.state_dir;
	o->cfg.socket_path = cli.cfg.socket_path;
	for (int i = 0; i < cli.cfg.n_filter_dirs; i++)
		o->cfg.filter_dirs[i] = cli.cfg.filter_dirs[i];
	o->cfg.n_filter_dirs = cli.cfg.n_filter_dirs;
	o->level = cli.level;
	return -1;
}

int main(int argc, char **argv)
{
	const char *env_config = getenv("VIFGUARD_CONFIG");
	struct options o = { .config_path = VIFGUARD_CONFIG_FILE };
	struct options file = { 0 };
	struct err err = { 0 };
	int r;

	if (env_config && *env_config) {
		o.config_path = env_config;
		o.is_config_explicit = true;
	}
	r = parse_args(argc, argv, &o);
	if (r >= 0)
		return r;
	file.config_path = o.config_path;
	file.is_config_explicit = o.is_config_explicit;
	file.level = LOG_LEVEL_INFO;
	file.cfg.learn_timeout_s = 300;
	file.cfg.nflog_group = FW_NFLOG_GROUP_DEFAULT;
	file.cfg.drop_log_group = FW_DROP_LOG_GROUP_DEFAULT;
	file.cfg.drop_log_rate = 10;
	file.cfg.metrics_interval_s = 15;
	if (read_config(&file, &err) < 0) {
		fprintf(stderr, "vifguardd: %s\n", err.msg);
		return 1;
	}
	/* the command line wins: directories add up, single values replace */
	for (int i = 0; i < o.cfg.n_filter_dirs; i++)
		(void)add_filter_dir(&file.cfg, o.cfg.filter_dirs[i]);
	file.cfg.builtin_dir = o.cfg.builtin_dir ? o.cfg.builtin_dir : file.cfg.builtin_dir;
	file.cfg.state_dir = o.cfg.state_dir ? o.cfg.state_dir : file.cfg.state_dir;
	/* as vifguardctl finds it: the option, $VIFGUARD_SOCKET, the file, the default */
	if (o.cfg.socket_path)
		file.cfg.socket_path = o.cfg.socket_path;
	else if (getenv("VIFGUARD_SOCKET") && *getenv("VIFGUARD_SOCKET"))
		file.cfg.socket_path = getenv("VIFGUARD_SOCKET");
	if (!file.cfg.builtin_dir)
		file.cfg.builtin_dir = conf_builtin_dir();
	if (!file.cfg.state_dir)
		file.cfg.state_dir = DEFAULT_STATE_DIR;
	if (!file.cfg.socket_path)
		file.cfg.socket_path = DEFAULT_SOCKET;
	log_set_level((int)o.level >= 0 ? o.level : file.level);
	log_set_journal_prefix(getenv("JOURNAL_STREAM") != NULL);
	if (o.is_check)
		r = daemon_check_config(&file.cfg, o.is_verbose, &err);
	else
		r = loop_run(&file.cfg, &err);
	if (r < 0)
		fprintf(stderr, "vifguardd: %s\n", err.msg);
	for (int i = 0; i < file.n_owned; i++)
		free(file.owned[i]);
	return r < 0 ? 1 : 0;
}
