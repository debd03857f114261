/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vifguardd: the host daemon. This first version checks the configuration
 * (-n): it loads every filter in the filter directories and reports what is
 * wrong. The event loop, bindings and learning come with the daemon issue.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "conf/conf.h"
#include "util/cleanup.h"

#define MAX_FILTER_DIRS 16

static const char usage[] =
	"Usage: vifguardd [OPTIONS]\n"
	"\n"
	"The vifguard host daemon: binds VM and container ports to libvirt-compatible\n"
	"network filters compiled to nftables.\n"
	"\n"
	"  -n, --check             load and check the configuration and the filters, then exit\n"
	"  -F, --filter-dir DIR    also load filters from DIR (repeatable; a libvirt\n"
	"                          /etc/libvirt/nwfilter works as it is)\n"
	"      --builtin-dir DIR   built-in filters (default " VIFGUARD_FILTER_DIR ")\n"
	"  -v, --verbose           with -n: list every filter loaded\n"
	"  -h, --help              show this help\n"
	"  -V, --version           show the version\n"
	"\n"
	"Exit status: 0 when the configuration is valid, 1 when it is not, 2 on a usage error.\n";

static void report(void *userdata, enum conf_severity severity, const char *msg)
{
	fprintf(stderr, "%s%s\n", severity == CONF_WARNING ? "warning: " : "", msg);
}

static int has_xml_suffix(const char *name)
{
	size_t len = strlen(name);

	return len > 4 && strcmp(name + len - 4, ".xml") == 0;
}

/* Checks every *.xml filter in dir; returns the number of bad files, or -errno. */
static int check_dir(const char *dir, int is_verbose, unsigned *n_loaded)
{
	struct dirent **names;
	int n, bad = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "vifguardd: cannot read filter directory %s: %s\n", dir,
			strerror(errno));
		return -errno;
	}
	for (int i = 0; i < n; i++) {
		struct conf_diag diag = { .report = report };
		_cleanup_(filter_freep) struct filter *f = NULL;
		_cleanup_free_ char *path = NULL;

		if (has_xml_suffix(names[i]->d_name) &&
		    asprintf(&path, "%s/%s", dir, names[i]->d_name) >= 0) {
			if (conf_filter_parse_file(path, &diag, &f) < 0) {
				bad++;
			} else {
				(*n_loaded)++;
				if (is_verbose)
					printf("%s: filter '%s' (chain %s)\n", path, f->name, f->chain);
			}
		}
		free(names[i]);
	}
	free(names);
	return bad;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "check", no_argument, NULL, 'n' },   { "filter-dir", required_argument, NULL, 'F' },
		{ "builtin-dir", required_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' }, { "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' }, { NULL, 0, NULL, 0 },
	};
	const char *dirs[MAX_FILTER_DIRS + 1] = { VIFGUARD_FILTER_DIR };
	int n_dirs = 1, is_check = 0, is_verbose = 0, opt, bad = 0;
	unsigned n_loaded = 0;

	while ((opt = getopt_long(argc, argv, "nF:vhV", options, NULL)) != -1) {
		switch (opt) {
		case 'n':
			is_check = 1;
			break;
		case 'F':
			if (n_dirs > MAX_FILTER_DIRS) {
				fprintf(stderr, "vifguardd: at most %d filter directories\n",
					MAX_FILTER_DIRS);
				return 2;
			}
			dirs[n_dirs++] = optarg;
			break;
		case 'B':
			dirs[0] = optarg;
			break;
		case 'v':
			is_verbose = 1;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("vifguardd %s\n", VIFGUARD_VERSION);
			return 0;
		default:
			fprintf(stderr, "Try 'vifguardd --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vifguardd: unexpected argument '%s'\nTry 'vifguardd --help'.\n",
			argv[optind]);
		return 2;
	}
	if (!is_check) {
		fprintf(stderr, "vifguardd: only the configuration check (-n) exists in this version; "
				"the daemon loop is not implemented yet\n");
		return 1;
	}
	for (int i = 0; i < n_dirs; i++) {
		int r = check_dir(dirs[i], is_verbose, &n_loaded);

		bad += r < 0 ? 1 : r;
	}
	if (bad) {
		fprintf(stderr, "vifguardd: configuration has errors (%d bad file%s)\n", bad,
			bad == 1 ? "" : "s");
		return 1;
	}
	printf("vifguardd: configuration OK (%u filters)\n", n_loaded);
	return 0;
}
