/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vifguardctl: the command table and what the commands share. */
#pragma once

#include <stdbool.h>

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
};

extern const struct cli_command cli_commands[];
extern const char *cli_program;

/* Prints "vifguardctl: <message>" to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints a usage error and the hint to run help; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Prints the usage of command to stdout; returns CLI_EXIT_OK. */
int cli_print_help(const char *command);

/* A conf_diag reporting errors and warnings on stderr. */
void cli_diag_init(struct conf_diag *diag);

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
int cmd_reload(int argc, char **argv);
