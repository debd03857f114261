/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Golden nftables text from the compiler: every built-in filter, and every
 * input of libvirt's nwfilterxml2firewalldata (read from $VIFGUARD_COMPAT_DIR)
 * with the variables libvirt's test presets (A, B, C, IPSETNAME). The golden
 * files are ours (tests/data/nft/); libvirt's -linux.args show which cases
 * matter and were used to check the placement of each rule by hand. Inputs
 * nftables cannot express have a .err golden with the message instead.
 * VIFGUARD_REGEN=1 rewrites the golden files. The cases that read libvirt's
 * corpus run with --corpus (test-fw-compile-corpus), and skip as a whole
 * without it. tests/data/nft/ext/ holds inputs for vifguard's own extensions
 * of the language (ndtarget), each beside its golden.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/load.h"
#include "filter/instantiate.h"
#include "fw/compile.h"
#include "testlib.h"
#include "util/cleanup.h"

enum case_kind {
	CASE_BUILTIN,
	CASE_FIREWALL,
	CASE_NETDEV,          /* the built-ins again, for a macvtap port */
	CASE_NETDEV_FIREWALL, /* a firewall case on a macvtap: stateful rules are refused */
	CASE_LEASE,           /* a built-in whose IP is leased: element timeouts, and the deletes */
	CASE_EXTENSION, /* tests/data/nft/ext, its .xml files: vifguard's extensions of the language
			 */
};

static const char *const case_dirs[] = {
	[CASE_BUILTIN] = "builtin",        [CASE_FIREWALL] = "firewall", [CASE_NETDEV] = "netdev",
	[CASE_NETDEV_FIREWALL] = "netdev", [CASE_LEASE] = "lease",       [CASE_EXTENSION] = "ext",
};

/* The preset IP, leased for 600 s in CASE_LEASE. */
static const struct fw_lease lease = { .address = "10.0.0.5", .expires_in_s = 600 };

struct compile_case {
	enum case_kind kind;
	char *name;
	char *path; /* the filter's XML */
};

static const char *const preset[][2] = {
	{ "A", "1.1.1.1" },
	{ "A", "2.2.2.2" },
	{ "A", "3.3.3.3" },
	{ "A", "3.3.3.3" },
	{ "B", "80" },
	{ "B", "90" },
	{ "B", "80" },
	{ "B", "80" },
	{ "C", "1080" },
	{ "C", "1090" },
	{ "C", "1100" },
	{ "C", "1110" },
	{ "IPSETNAME", "tck_test" },
	/* for the built-ins, and the firewall cases that reference them */
	{ "IP", "10.0.0.5" },
	{ "IPV6", "fd00::5" },
	{ "DHCPSERVER", "10.0.0.1" },
	{ "GATEWAY_MAC", "52:54:00:00:00:fe" },
};

static void silent(void *userdata, const struct conf_message *dm)
{
}

static struct filter_set *load_filters(const struct compile_case *c, const char **ret_top)
{
	struct filter_set *set = filter_set_new();
	struct conf_diag diag = { .report = silent };
	struct filter *f = NULL;

	assert_non_null(set);
	assert_int_equal(conf_load_dir(conf_builtin_dir(), set, &diag), 0);
	if (c->kind == CASE_FIREWALL || c->kind == CASE_NETDEV_FIREWALL ||
	    c->kind == CASE_EXTENSION) {
		assert_int_equal(conf_filter_parse_file(c->path, &diag, &f), 0);
		*ret_top = "tck-testcase";
		assert_int_equal(filter_set_add(set, f, NULL), 0);
	} else {
		*ret_top = c->name;
	}
	return set;
}

static struct binding *make_binding(const char *top)
{
	struct binding *b = binding_new();

	assert_non_null(b);
	b->owner_name = strdup("test");
	b->portdev = strdup("vnet0");
	b->ref.filter = strdup(top);
	memcpy(b->mac, (uint8_t[]){ 0x52, 0x54, 0, 0, 0, 1 }, 6);
	for (size_t i = 0; i < sizeof(preset) / sizeof(preset[0]); i++) {
		const char *value = preset[i][1];

		/* the DHCPv6 filter needs IPv6 servers */
		if (strcmp(top, "allow-dhcpv6-server") == 0 &&
		    strcmp(preset[i][0], "DHCPSERVER") == 0)
			value = "fd00::1";
		assert_int_equal(filter_params_add(&b->ref.params, preset[i][0], value), 0);
	}
	return b;
}

static void test_compile(void **state)
{
	const struct compile_case *c = *state;
	_cleanup_(filter_set_freep) struct filter_set *set = NULL;
	_cleanup_(binding_freep) struct binding *b = NULL;
	_cleanup_(instance_freep) struct instance *inst = NULL;
	_cleanup_(fw_port_freep) struct fw_port *p = NULL;
	_cleanup_free_ char *golden = NULL, *text = NULL;
	struct err err = { 0 };
	const char *top = NULL;
	int r;

	set = load_filters(c, &top);
	b = make_binding(top);
	assert_int_equal(filter_instantiate(set, b, &inst, &err), 0);
	assert_true(instance_is_complete(inst));
	r = fw_compile(inst, "vnet0",
		       &(struct fw_compile_opts){
			       .attach = c->kind == CASE_NETDEV || c->kind == CASE_NETDEV_FIREWALL
						 ? FW_ATTACH_NETDEV
						 : FW_ATTACH_BRIDGE,
			       .port_id = 1,
			       .leases = c->kind == CASE_LEASE ? &lease : NULL,
			       .n_leases = c->kind == CASE_LEASE ? 1 : 0,
		       },
		       &p, &err);
	assert_true(asprintf(&golden, "%s/tests/data/nft/%s/%s.%s",
			     getenv("VIFGUARD_SOURCE_DIR") ? getenv("VIFGUARD_SOURCE_DIR") : ".",
			     case_dirs[c->kind], c->name, r < 0 ? "err" : "nft") > 0);
	if (r < 0)
		assert_true(asprintf(&text, "%s\n", err.msg) > 0);
	else if (c->kind == CASE_LEASE)
		assert_true(asprintf(&text, "%s%s# removal\n%s", p->template_add, p->elements_add,
				     p->elements_del) > 0);
	else
		assert_true(asprintf(&text, "%s%s", p->template_add, p->elements_add) > 0);
	assert_true(test_golden(golden, text));
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static size_t add_cases(struct CMUnitTest *tests, struct compile_case *cases, size_t n,
			const char *dir, enum case_kind kind)
{
	struct dirent **names;
	int count = scandir(dir, &names, NULL, by_name);

	if (count <= 0) {
		fprintf(stderr, "cannot list %s\n", dir);
		exit(1);
	}
	for (int i = 0; i < count; i++) {
		size_t len = strlen(names[i]->d_name);

		if (len > 4 && strcmp(names[i]->d_name + len - 4, ".xml") == 0) {
			struct compile_case *c = &cases[n];
			char *test_name;

			c->kind = kind;
			c->name = strndup(names[i]->d_name, len - 4);
			assert_true(asprintf(&c->path, "%s/%s", dir, names[i]->d_name) > 0);
			assert_true(asprintf(&test_name, "%s/%s", case_dirs[kind], c->name) > 0);
			tests[n].name = test_name;
			tests[n].test_func = test_compile;
			tests[n].initial_state = c;
			n++;
		}
		free(names[i]);
	}
	free(names);
	return n;
}

int main(int argc, char **argv)
{
	static struct CMUnitTest tests[256];
	static struct compile_case cases[256];
	_cleanup_free_ char *firewall = NULL, *ext = NULL;
	const char *src = getenv("VIFGUARD_SOURCE_DIR");
	size_t n = 0;

	if (argc > 1 && strcmp(argv[1], "--corpus") == 0) {
		test_require_compat();
		firewall = test_compat_path("nwfilterxml2firewalldata");
		n = add_cases(tests, cases, n, firewall, CASE_FIREWALL);
		cases[n] = (struct compile_case){ .kind = CASE_NETDEV_FIREWALL, .name = "tcp" };
		assert_true(asprintf(&cases[n].path, "%s/tcp.xml", firewall) > 0);
		tests[n] = (struct CMUnitTest){ .name = "netdev/tcp",
						.test_func = test_compile,
						.initial_state = &cases[n] };
		n++;
		return _cmocka_run_group_tests("fw-compile-corpus", tests, n, NULL, NULL);
	}
	n = add_cases(tests, cases, n, conf_builtin_dir(), CASE_BUILTIN);
	n = add_cases(tests, cases, n, conf_builtin_dir(), CASE_NETDEV);
	assert_true(asprintf(&ext, "%s/tests/data/nft/ext", src ? src : ".") > 0);
	n = add_cases(tests, cases, n, ext, CASE_EXTENSION);
	cases[n] = (struct compile_case){ .kind = CASE_LEASE, .name = "clean-traffic" };
	tests[n] = (struct CMUnitTest){ .name = "lease/clean-traffic",
					.test_func = test_compile,
					.initial_state = &cases[n] };
	n++;
	return _cmocka_run_group_tests("fw-compile", tests, n, NULL, NULL);
}
