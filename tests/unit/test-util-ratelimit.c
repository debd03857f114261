/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The token bucket (util/ratelimit.h): burst, refill, the count of refusals, odd clocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "util/ratelimit.h"

#define S INT64_C(1000000)

static unsigned passed(struct ratelimit *rl, int64_t now_us, unsigned tries)
{
	unsigned n = 0;

	for (unsigned i = 0; i < tries; i++)
		n += ratelimit_take(rl, now_us, NULL);
	return n;
}

static void test_burst_and_refill(void **state)
{
	struct ratelimit rl;
	uint64_t refused = 99;

	ratelimit_init(&rl, 10);
	/* a full second's worth at once, then nothing until time passes */
	assert_int_equal(passed(&rl, 5 * S, 100), 10);
	/* 100 ms: one more; the 90 refused so far and this one's are told with it */
	assert_false(ratelimit_take(&rl, 5 * S + 50000, NULL));
	assert_true(ratelimit_take(&rl, 5 * S + 100000, &refused));
	assert_int_equal(refused, 91);
	assert_true(ratelimit_take(&rl, 5 * S + 200000, &refused));
	assert_int_equal(refused, 0);
	/* a long pause refills one second's worth, no more */
	assert_int_equal(passed(&rl, 3600 * S, 100), 10);
	/* steady: 10 per second over 10 s (+ nothing extra) */
	unsigned n = 0;

	for (int64_t t = 3600 * S; t < 3610 * S; t += 10000)
		n += ratelimit_take(&rl, t, NULL);
	assert_in_range(n, 99, 101);
	(void)state;
}

static void test_zero_and_odd_clocks(void **state)
{
	struct ratelimit rl;

	ratelimit_init(&rl, 0);
	assert_int_equal(passed(&rl, 0, 10), 0);
	assert_int_equal(passed(&rl, 100 * S, 10), 0);
	assert_int_equal(rl.n_refused, 20);

	/* a clock that goes back gives nothing, and the bucket goes on from there */
	ratelimit_init(&rl, 2);
	assert_int_equal(passed(&rl, 10 * S, 5), 2);
	assert_int_equal(passed(&rl, 1 * S, 5), 0);
	assert_int_equal(passed(&rl, 1 * S + S / 2, 5), 1);

	/* the largest rate over the longest gap: no overflow */
	ratelimit_init(&rl, 100000);
	assert_int_equal(passed(&rl, 0, 200000), 100000);
	assert_int_equal(passed(&rl, INT64_MAX / 2, 200000), 100000);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_and_refill),
		cmocka_unit_test(test_zero_and_odd_clocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
