/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vifguardctl: the command table and what the commands share. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "conf/conf.h"

enum {
	CLI_EXIT_OK = 0,
	CLI_EXIT_FAILURE = 1,
	CLI_EXIT_USAGE = 2,
	CLI_EXIT_NOT_RUNNING = 3, /* status: no daemon answers (as systemctl is-active) */
};

struct cli_command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary; /* one line, for the command list */
	const char *usage;   /* the full help text of `help NAME` */
	/*
	 * Reads the configuration file itself, and words its failure itself
	 * (libvirt-hook: a bad file must not fail an operation libvirt would
	 * kill a running domain for); main() only keeps cli_config_path.
	 */
	bool defers_config;
};

extern const struct cli_command cli_commands[];
extern const char *cli_program;
/* --config FILE, or NULL: for the commands that read the configuration themselves. */
extern const char *cli_config_path;

/*
 * Diagnostics go to stderr as text when they happen, and are kept for
 * --json: "vifguardctl: <message>" (cli_error), "vifguardctl: warning:
 * <message>" (cli_warning), and the parser's from a cli_diag_init() diag.
 */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_diag_init(struct conf_diag *diag);
size_t cli_diagnostics_count(enum conf_severity severity);
void cli_diagnostics_clear(void);

/*
 * --json: every command prints exactly one JSON value on one line (watch: one
 * per event). Objects carry "diagnostics": [{severity, file, line, element,
 * attribute, value, message, accepted}], the parts absent being null.
 */
struct ctl_obj;
int cli_json_add_diagnostics(struct ctl_obj *obj);
/* obj as one line of JSON without the newline (takes obj); NULL on -ENOMEM. */
char *cli_json_format(struct ctl_obj *obj);
/* Adds the diagnostics to obj (taken) and prints it; returns the exit code for is_ok. */
int cli_json_print(struct ctl_obj *obj, bool is_ok);
/* Prints {"ok": false, "diagnostics": [...]}; returns CLI_EXIT_FAILURE. */
int cli_json_failure(void);
/* Prints a usage error and the hint to run help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/*
 * getopt_long for command; an unknown option or a missing value is printed
 * as a usage error, and '?' returned (the caller then returns CLI_EXIT_USAGE).
 */
struct option;
int cli_getopt(int argc, char **argv, const char *shortopts, const struct option *longopts,
	       const char *command);
/* Prints the usage of command to stdout; returns CLI_EXIT_OK. */
int cli_print_help(const char *command);

int cmd_validate(int argc, char **argv);
int cmd_format(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_explain(int argc, char **argv);
int cmd_apply(int argc, char **argv);
int cmd_remove(int argc, char **argv);
int cmd_binding(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_watch(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_metrics(int argc, char **argv);
int cmd_reload(int argc, char **argv);
/* The whole of path ("-": standard input); NULL, printed, when it cannot be read. */
char *cli_read_input(const char *path);
/* binding export PORT, binding import [--keep-up] [-j] FILE (argv[0] is the subcommand) */
int cli_binding_export(int argc, char **argv);
int cli_binding_import(int argc, char **argv);
int cmd_libvirt_hook(int argc, char **argv);
int cmd_libvirt_import(int argc, char **argv);
