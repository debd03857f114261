/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* getopt_long with its errors as our one-line messages, not getopt's "argv[0]: ..." */
#pragma once

#include <getopt.h>
#include <stddef.h>

/*
 * As getopt_long(argc, argv, shortopts, longopts, NULL), printing nothing.
 * On an unknown option or a missing value, returns '?' and writes what is
 * wrong to why ("unknown option '-x'", "option '--run-dir' needs a value").
 */
int opt_next(int argc, char **argv, const char *shortopts, const struct option *longopts, char *why,
	     size_t why_size);
