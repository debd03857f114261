/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <string.h>

#include "util/addr.h"
#include "util/err.h"

static void test_mac_parse_short_octets(void **state)
{
	uint8_t mac[MAC_LEN];
	char text[MAC_TEXT_MAX];

	assert_int_equal(mac_parse("1:2:3:a:B:ff", mac), 0);
	mac_format(mac, text);
	assert_string_equal(text, "01:02:03:0a:0b:ff");
}

static void test_mac_parse_rejects(void **state)
{
	uint8_t mac[MAC_LEN] = { 9, 9, 9, 9, 9, 9 };
	const uint8_t untouched[MAC_LEN] = { 9, 9, 9, 9, 9, 9 };
	const char *bad[] = { "",
			      "1:2:3:4:5",
			      "1:2:3:4:5:6:7",
			      "123:2:3:4:5:6",
			      "g:2:3:4:5:6",
			      "1:2:3:4:5:6 ",
			      "1-2-3-4-5-6" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mac_parse(bad[i], mac), -EINVAL);
	assert_memory_equal(mac, untouched, MAC_LEN);
}

static void test_mask_prefix(void **state)
{
	const uint8_t m24[4] = { 255, 255, 255, 0 }, hole[4] = { 255, 255, 255, 127 },
		      m0[4] = { 0 }, m32[4] = { 255, 255, 255, 255 };

	assert_int_equal(mask_prefix_len(m24, 4), 24);
	assert_int_equal(mask_prefix_len(m0, 4), 0);
	assert_int_equal(mask_prefix_len(m32, 4), 32);
	assert_int_equal(mask_prefix_len(hole, 4), -EINVAL);
}

static void test_ip_by_family(void **state)
{
	const uint8_t v4[4] = { 192, 168, 1, 10 };
	const uint8_t v6[16] = { 0xfe, 0x80, [15] = 1 };
	uint8_t a[16] = { 0 };
	char text[IP_TEXT_MAX];

	assert_int_equal(ip_len(4), 4);
	assert_int_equal(ip_len(6), 16);
	assert_int_equal(ip_len(5), 0);
	assert_int_equal(ip_parse(4, "192.168.1.10", a), 0);
	assert_memory_equal(a, v4, 4);
	ip_format(4, a, text);
	assert_string_equal(text, "192.168.1.10");
	/* one text per address */
	assert_int_equal(ip_parse(6, "FE80:0::0001", a), 0);
	assert_memory_equal(a, v6, 16);
	ip_format(6, a, text);
	assert_string_equal(text, "fe80::1");
	assert_int_equal(ip_parse(6, "2001:db8:0:0:1:0:0:1", a), 0);
	ip_format(6, a, text);
	assert_string_equal(text, "2001:db8::1:0:0:1");
	assert_int_equal(ip_parse(6, "::ffff:10.0.0.1", a), 0);
	ip_format(6, a, text);
	assert_string_equal(text, "::ffff:10.0.0.1");

	assert_int_equal(ip_parse(4, "10.0.0.256", a), -EINVAL);
	assert_int_equal(ip_parse(4, "fe80::1", a), -EINVAL);
	assert_int_equal(ip_parse(6, "10.0.0.1", a), -EINVAL);
	assert_int_equal(ip_parse(5, "10.0.0.1", a), -EINVAL);
	assert_int_equal(ip_parse(4, "", a), -EINVAL);
}

static int fail_with(struct err *err, int r)
{
	return err_prefix(err, r, "port %s: ", "vnet0");
}

static void test_err_prefix_returns_callee_result(void **state)
{
	struct err err = { 0 };

	/* a callee that failed without a message: the result is kept, strerror says why */
	assert_int_equal(fail_with(&err, -ENOMEM), -ENOMEM);
	assert_int_equal(err.code, -ENOMEM);
	assert_string_equal(err.msg, "port vnet0: Cannot allocate memory");
	/* a callee with a message: prefixed, and its own result returned */
	err_set(&err, -EINVAL, "bad value");
	assert_int_equal(fail_with(&err, -EINVAL), -EINVAL);
	assert_string_equal(err.msg, "port vnet0: bad value");
	assert_int_equal(fail_with(NULL, -EIO), -EIO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mac_parse_short_octets),
		cmocka_unit_test(test_mac_parse_rejects),
		cmocka_unit_test(test_mask_prefix),
		cmocka_unit_test(test_ip_by_family),
		cmocka_unit_test(test_err_prefix_returns_callee_result),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
