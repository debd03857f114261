/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libvirt's own nwfilter test data, read at run time from
 * $VIFGUARD_COMPAT_DIR (never copied into this tree; without it the suite
 * skips, saying where it looked). One cmocka test per
 * file, built from the directory listings:
 *   xml2xml/N  nwfilterxml2xmlin/N parses and formats to nwfilterxml2xmlout/N,
 *              or is rejected when N is *-invalid (quirks-invalid parses);
 *   binding/N  virnwfilterbindingxml2xmldata/N round-trips byte for byte;
 *   firewall/N nwfilterxml2firewalldata/N parses.
 * Every parsed document must also be stable: format(parse(format(x))) == format(x).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "testlib.h"

enum corpus_kind {
	CORPUS_XML2XML,
	CORPUS_BINDING,
	CORPUS_FIREWALL,
};

struct corpus_case {
	enum corpus_kind kind;
	char *in_path;
	char *out_path; /* xml2xml only */
	char *test_name;
	bool must_reject;
};

struct messages {
	char text[16384];
};

static void collect(void *userdata, const struct conf_message *dm)
{
	struct messages *m = userdata;
	size_t len = strlen(m->text);

	snprintf(m->text + len, sizeof(m->text) - len, "%s%s\n",
		 dm->severity == CONF_ERROR ? "error: " : "warning: ", dm->text);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long len;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)len + 1);
	if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* format -> parse -> format must give the same text again. */
static void assert_stable(const char *formatted, const char *name)
{
	struct messages m = { { 0 } };
	struct conf_diag diag = { .report = collect, .userdata = &m };
	enum conf_doc_kind kind;
	struct filter *f = NULL;
	struct binding *b = NULL;
	char *again;

	if (conf_parse_mem(formatted, strlen(formatted), name, &diag, &kind, &f, &b) < 0) {
		print_message("%s\n%s", formatted, m.text);
		fail_msg("formatted output of %s does not parse back", name);
	}
	again = kind == CONF_DOC_FILTER ? conf_filter_format(f) : conf_binding_format(b);
	assert_non_null(again);
	assert_string_equal(again, formatted);
	free(again);
	filter_free(f);
	binding_free(b);
}

static void run_case(void **state)
{
	const struct corpus_case *c = *state;
	struct messages m = { { 0 } };
	struct conf_diag diag = { .report = collect, .userdata = &m };
	enum conf_doc_kind kind;
	struct filter *f = NULL;
	struct binding *b = NULL;
	char *text, *expected;
	int r;

	r = conf_parse_file(c->in_path, &diag, &kind, &f, &b);
	if (c->must_reject) {
		assert_int_equal(r, -EINVAL);
		assert_true(diag.n_errors > 0);
		assert_null(f);
		assert_null(b);
		/* Show why, as TAP comments: one "# " per line. */
		for (char *line = strtok(m.text, "\n"); line; line = strtok(NULL, "\n"))
			print_message("# %s\n", line);
		return;
	}
	if (r < 0)
		fail_msg("%s rejected:\n%s", c->in_path, m.text);
	assert_int_equal(kind, c->kind == CORPUS_BINDING ? CONF_DOC_BINDING : CONF_DOC_FILTER);
	text = kind == CONF_DOC_FILTER ? conf_filter_format(f) : conf_binding_format(b);
	assert_non_null(text);
	if (c->kind != CORPUS_FIREWALL) {
		expected = read_text(c->kind == CORPUS_XML2XML ? c->out_path : c->in_path);
		assert_non_null(expected);
		assert_string_equal(text, expected);
		free(expected);
	}
	assert_stable(text, c->in_path);
	free(text);
	filter_free(f);
	binding_free(b);
}

static int is_xml(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return len > 4 && strcmp(d->d_name + len - 4, ".xml") == 0;
}

static char *path_join(const char *a, const char *b, const char *c)
{
	char *p = NULL;

	assert_true(asprintf(&p, "%s/%s/%s", a, b, c) > 0);
	return p;
}

/* Appends one case per .xml file of dir; returns the new count. */
static size_t add_dir(struct corpus_case **cases, size_t n, const char *root, const char *dir,
		      enum corpus_kind kind, const char *prefix)
{
	char *path = NULL;
	struct dirent **names;
	int k;

	assert_true(asprintf(&path, "%s/%s", root, dir) > 0);
	k = scandir(path, &names, is_xml, alphasort);
	if (k < 0) {
		fprintf(stderr, "cannot list %s\n", path);
		exit(1);
	}
	*cases = realloc(*cases, (n + (size_t)k) * sizeof(**cases));
	for (int i = 0; i < k; i++) {
		struct corpus_case *c = &(*cases)[n++];
		const char *name = names[i]->d_name;

		*c = (struct corpus_case){ .kind = kind };
		c->in_path = path_join(root, dir, name);
		if (kind == CORPUS_XML2XML) {
			c->out_path = path_join(root, "nwfilterxml2xmlout", name);
			c->must_reject =
				strstr(name, "-invalid") && strcmp(name, "quirks-invalid.xml");
		}
		assert_true(asprintf(&c->test_name, "%s/%s", prefix, name) > 0);
		free(names[i]);
	}
	free(names);
	free(path);
	return n;
}

int main(void)
{
	const char *root = test_compat_dir();
	struct corpus_case *cases = NULL;
	struct CMUnitTest *tests;
	size_t n = 0;
	int r;

	test_require_compat();
	n = add_dir(&cases, n, root, "nwfilterxml2xmlin", CORPUS_XML2XML, "xml2xml");
	n = add_dir(&cases, n, root, "virnwfilterbindingxml2xmldata", CORPUS_BINDING, "binding");
	n = add_dir(&cases, n, root, "nwfilterxml2firewalldata", CORPUS_FIREWALL, "firewall");
	tests = calloc(n, sizeof(*tests));
	for (size_t i = 0; i < n; i++)
		tests[i] = (struct CMUnitTest){ .name = cases[i].test_name,
						.test_func = run_case,
						.initial_state = &cases[i] };
	/* cmocka_run_group_tests() needs an array of static size; this is what it expands to. */
	r = _cmocka_run_group_tests("conf-corpus", tests, n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		free(cases[i].in_path);
		free(cases[i].out_path);
		free(cases[i].test_name);
	}
	free(cases);
	free(tests);
	return r;
}
