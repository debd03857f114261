/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guard's decisions and its configuration: which unbound port is
 * dropped, trusted, or bound at once; what each configuration line accepts
 * and how it says what is wrong; the guest MAC rules; what the kernel gets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/guard.h"

static struct link_info port(const char *name, int master)
{
	struct link_info l = { .ifindex = 10,
			       .master = master,
			       .has_mac = true,
			       .mac = { 0xfe, 0x54, 0x00, 0x00, 0x00, 0x33 } };

	snprintf(l.name, sizeof(l.name), "%s", name);
	return l;
}

static void set_ok(struct guard_config *g, const char *key, const char *value)
{
	struct err err = { 0 };

	assert_int_equal(guard_config_set(g, key, value, &err), 1);
}

static void set_fails(const char *key, const char *value, const char *msg)
{
	struct guard_config g = { 0 };
	struct err err = { 0 };

	if (guard_config_set(&g, key, value, &err) >= 0)
		fail_msg("%s = %s: accepted", key, value);
	if (!strstr(err.msg, msg))
		fail_msg("%s = %s: '%s' does not say '%s'", key, value, err.msg, msg);
}

static void test_name_matches(void **state)
{
	(void)state;
	assert_true(guard_name_matches("vnet*", "vnet0"));
	assert_true(guard_name_matches("vnet*", "vnet"));
	assert_false(guard_name_matches("vnet*", "vne"));
	assert_false(guard_name_matches("vnet*", "xvnet0"));
	assert_true(guard_name_matches("eth0", "eth0"));
	assert_false(guard_name_matches("eth0", "eth00"));
	assert_true(guard_name_matches("*", "anything"));
}

static void test_config_lines(void **state)
{
	struct guard_config g = { 0 };
	struct err err = { 0 };

	(void)state;
	set_ok(&g, "guard_ports", "vnet*, tap* fc-*");
	set_ok(&g, "guard_ports", "veth7");
	assert_int_equal(g.n_patterns, 4);
	assert_string_equal(g.patterns[3], "veth7");
	set_ok(&g, "guard_bridge", "br0");
	set_ok(&g, "trusted_ports", "eth0 bond*");
	set_ok(&g, "auto_bind",
	       "fc-* clean-traffic mac=port CTRL_IP_LEARNING=dhcp DHCPSERVER=10.0.0.1");
	assert_int_equal(g.n_autos, 1);
	assert_string_equal(g.autos[0].filter, "clean-traffic");
	assert_int_equal(g.autos[0].mac_rule, GUARD_MAC_PORT);
	assert_int_equal(g.autos[0].n_params, 2);
	assert_string_equal(g.autos[0].params[1], "DHCPSERVER=10.0.0.1");
	/* not the guard's */
	assert_int_equal(guard_config_set(&g, "socket", "/x", &err), 0);
}

static void test_config_errors(void **state)
{
	char many[2048] = "";

	(void)state;
	set_fails("guard_ports", "v*net",
		  "'v*net' is not an interface name or a name ending in '*'");
	set_fails("guard_ports", "a/b", "'a/b' is not an interface name");
	set_fails("guard_ports", "0123456789abcdef", "is not an interface name");
	set_fails("guard_bridge", "br*", "'br*' is not an interface name (1-15");
	set_fails("trusted_ports", "a:b", "is not an interface name");
	set_fails("auto_bind", "", "is not an interface name");
	set_fails("auto_bind", "tap*", "a FILTER name is needed");
	set_fails("auto_bind", "tap* IP=1", "a FILTER name is needed");
	set_fails("auto_bind", "tap* clean-traffic", "say where the guest's MAC comes from");
	set_fails("auto_bind", "tap* clean-traffic mac=eth", "mac 'eth' (accepted: fe, port)");
	set_fails("auto_bind", "tap* clean-traffic mac=fe IP", "'IP' is not NAME=VALUE");
	set_fails("auto_bind", "tap* clean-traffic mac=fe I-P=x", "'I-P=x' is not NAME=VALUE");
	set_fails("auto_bind", "tap* clean-traffic mac=fe IP=a/b", "'IP=a/b' is not NAME=VALUE");
	for (int i = 0; i < 40; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "p%d ", i);
	set_fails("guard_ports", many, "at most 32 names");
	memset(many, 'a', 1500);
	many[1500] = '\0';
	set_fails("guard_ports", many, "longer than");
}

static void test_auto_limit(void **state)
{
	struct guard_config g = { 0 };
	struct err err = { 0 };

	(void)state;
	for (int i = 0; i < GUARD_AUTO_MAX; i++)
		set_ok(&g, "auto_bind", "tap* clean-traffic mac=fe");
	assert_int_equal(guard_config_set(&g, "auto_bind", "tap* clean-traffic mac=fe", &err),
			 -E2BIG);
	assert_non_null(strstr(err.msg, "at most 16 lines"));
}

static void test_decide(void **state)
{
	struct guard_config g = { 0 };
	const struct guard_auto *rule = NULL;
	struct link_info l;

	(void)state;
	set_ok(&g, "guard_bridge", "br0");
	set_ok(&g, "trusted_ports", "eth0 up*");
	set_ok(&g, "auto_bind", "fe* clean-traffic mac=fe");
	l = port("vm3", 2);
	assert_int_equal(guard_decide(&g, &l, true, false, &rule), GUARD_QUARANTINE);
	/* bound, not on a guarded bridge, on no bridge, trusted: the guard leaves it */
	assert_int_equal(guard_decide(&g, &l, true, true, &rule), GUARD_OPEN);
	assert_int_equal(guard_decide(&g, &l, false, false, &rule), GUARD_OPEN);
	l = port("vm3", 0);
	assert_int_equal(guard_decide(&g, &l, true, false, &rule), GUARD_OPEN);
	l = port("up7", 2);
	assert_int_equal(guard_decide(&g, &l, true, false, &rule), GUARD_OPEN);
	l = port("fe9", 2);
	assert_int_equal(guard_decide(&g, &l, false, false, &rule), GUARD_AUTO_BIND);
	assert_ptr_equal(rule, &g.autos[0]);
	assert_int_equal(guard_decide(&g, &l, false, true, &rule), GUARD_OPEN);
}

static void test_auto_mac(void **state)
{
	struct guard_config g = { 0 };
	struct link_info l = port("fe1", 2);
	struct err err = { 0 };
	uint8_t mac[6];

	(void)state;
	set_ok(&g, "auto_bind", "fe* clean-traffic mac=fe");
	set_ok(&g, "auto_bind", "fc* clean-traffic mac=port");
	assert_int_equal(guard_auto_mac(&g.autos[0], &l, mac, &err), 0);
	assert_memory_equal(mac, ((uint8_t[]){ 0x52, 0x54, 0, 0, 0, 0x33 }), 6);
	assert_int_equal(guard_auto_mac(&g.autos[1], &l, mac, &err), 0);
	assert_memory_equal(mac, l.mac, 6);
	l.mac[0] = 0x02;
	assert_int_equal(guard_auto_mac(&g.autos[0], &l, mac, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "MAC 02:54:00:00:00:33 does not start with fe:"));
	l.has_mac = false;
	assert_int_equal(guard_auto_mac(&g.autos[1], &l, mac, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "has no MAC address"));
}

static void test_kernel_side(void **state)
{
	struct guard_config g = { 0 };
	struct fw_guard fw;

	(void)state;
	for (int i = 0; i < GUARD_NAMES_MAX; i++) {
		char name[16];

		snprintf(name, sizeof(name), "p%d*", i);
		set_ok(&g, "guard_ports", name);
	}
	for (int i = 0; i < GUARD_AUTO_MAX; i++)
		set_ok(&g, "auto_bind", "fe* clean-traffic mac=fe");
	set_ok(&g, "trusted_ports", "eth0");
	guard_fw(&g, &fw);
	/* every guard_ports and auto_bind pattern has the kernel drop its ports until bound */
	assert_int_equal(fw.n_patterns, GUARD_NAMES_MAX + GUARD_AUTO_MAX);
	assert_true(fw.n_patterns <= FW_GUARD_NAMES_MAX);
	assert_string_equal(fw.patterns[GUARD_NAMES_MAX], "fe*");
	assert_int_equal(fw.n_trusted, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_name_matches),  cmocka_unit_test(test_config_lines),
		cmocka_unit_test(test_config_errors), cmocka_unit_test(test_auto_limit),
		cmocka_unit_test(test_decide),        cmocka_unit_test(test_auto_mac),
		cmocka_unit_test(test_kernel_side),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
