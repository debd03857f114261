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
/*
 * libvirt's test corpus, which stays outside this tree: $VIFGUARD_COMPAT_DIR,
 * else $VIFGUARD_COMPAT_DEFAULT (meson: the compat_dir option, or
 * ../shared/compat/libvirt-nwfilter/tests beside the source tree).
 */
const char *test_compat_dir(void);
/*
 * For the suites that read the corpus, before anything else: when
 * test_compat_dir() is no directory, skips the whole suite visibly (TAP
 * "1..0 # SKIP libvirt's corpus not found at PATH (set VIFGUARD_COMPAT_DIR)")
 * and exits 0, which meson counts as a skip; exit 77 would be an error in TAP.
 */
void test_require_compat(void);
/* test_compat_dir()/rel. Caller frees. */
char *test_compat_path(const char *rel);
/*
 * Compares actual with the golden file at path; with VIFGUARD_REGEN=1 the
 * golden file is rewritten instead. Prints a line diff hint on mismatch.
 */
bool test_golden(const char *path, const char *actual);
