/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "testlib.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char *test_read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)len + 1);
		if (buf && fread(buf, 1, (size_t)len, f) == (size_t)len) {
			buf[len] = '\0';
		} else {
			free(buf);
			buf = NULL;
		}
	}
	fclose(f);
	return buf;
}

bool test_write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");
	bool ok;

	if (!f)
		return false;
	ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static char *join(const char *env, const char *fallback, const char *rel)
{
	const char *base = getenv(env);
	char *path;

	if (asprintf(&path, "%s/%s", base && *base ? base : fallback, rel) < 0)
		return NULL;
	return path;
}

char *test_source_path(const char *rel)
{
	return join("VIFGUARD_SOURCE_DIR", ".", rel);
}

const char *test_compat_dir(void)
{
	const char *dir = getenv("VIFGUARD_COMPAT_DIR");

	if (!dir || !*dir)
		dir = getenv("VIFGUARD_COMPAT_DEFAULT");
	return dir && *dir ? dir : "../shared/compat/libvirt-nwfilter/tests";
}

void test_require_compat(void)
{
	const char *dir = test_compat_dir();
	struct stat st;

	if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return;
	printf("1..0 # SKIP libvirt's corpus not found at %s (set VIFGUARD_COMPAT_DIR)\n", dir);
	exit(0);
}

char *test_compat_path(const char *rel)
{
	char *path;

	if (asprintf(&path, "%s/%s", test_compat_dir(), rel) < 0)
		return NULL;
	return path;
}

static void print_first_difference(const char *expected, const char *actual)
{
	int line = 1;

	while (*expected && *expected == *actual) {
		if (*expected == '\n')
			line++;
		expected++;
		actual++;
	}
	fprintf(stderr,
		"# first difference at line %d:\n#  expected: %.120s\n#  actual:   %.120s\n", line,
		expected, actual);
}

bool test_golden(const char *path, const char *actual)
{
	const char *regen = getenv("VIFGUARD_REGEN");
	char *expected;
	bool same;

	if (regen && strcmp(regen, "1") == 0)
		return test_write_file(path, actual);
	expected = test_read_file(path);
	if (!expected) {
		fprintf(stderr, "# missing golden file %s (VIFGUARD_REGEN=1 writes it)\n", path);
		return false;
	}
	same = strcmp(expected, actual) == 0;
	if (!same)
		print_first_difference(expected, actual);
	free(expected);
	return same;
}
