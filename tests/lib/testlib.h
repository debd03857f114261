/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the unit tests: files, paths, golden output. */
#pragma once

#include <stdbool.h>

/* The whole file as a NUL-terminated string (caller frees), or NULL. */
char *test_read_file(const char *path);
/* Writes text to path; false on error. */
bool test_write_file(const char *path, const char *text);
/* $VIFGUARD_SOURCE_DIR/rel, or ./rel when unset. Caller frees. */
char *test_source_path(const char *rel);
/* $VIFGUARD_COMPAT_DIR/rel. Caller frees. */
char *test_compat_path(const char *rel);
/*
 * Compares actual with the golden file at path; with VIFGUARD_REGEN=1 the
 * golden file is rewritten instead. Prints a line diff hint on mismatch.
 */
bool test_golden(const char *path, const char *actual);
