/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>

#include "util/strmap.h"

static void test_add_get_set(void **state)
{
	struct strmap m = { 0 };
	unsigned v = 0;

	assert_false(strmap_get(&m, "a", &v));
	assert_int_equal(strmap_add(&m, "a", 7), 1);
	assert_int_equal(strmap_add(&m, "a", 9), 0); /* there: left as it was */
	assert_true(strmap_get(&m, "a", &v));
	assert_int_equal(v, 7);
	assert_int_equal(strmap_set(&m, "a", 9), 0);
	assert_true(strmap_get(&m, "a", &v));
	assert_int_equal(v, 9);
	assert_int_equal(strmap_set(&m, "b", 1), 0);
	assert_true(strmap_get(&m, "b", NULL));
	assert_false(strmap_get(&m, "", NULL));
	strmap_fini(&m);
	strmap_fini(&m); /* twice is fine */
}

/* Many keys, each found again after the table grew many times over. */
static void test_many(void **state)
{
	struct strmap m = { 0 };
	char key[32];
	unsigned v;

	for (unsigned i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		assert_int_equal(strmap_add(&m, key, i), 1);
	}
	assert_int_equal(m.n, 20000);
	assert_true(2 * m.n <= m.cap);
	for (unsigned i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		assert_true(strmap_get(&m, key, &v));
		assert_int_equal(v, i);
	}
	assert_false(strmap_get(&m, "10.1.0.0", NULL));
	strmap_fini(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_get_set),
		cmocka_unit_test(test_many),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
