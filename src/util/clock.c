/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/clock.h"

#include <time.h>

static int64_t read_clock(clockid_t id, int64_t per_s)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return 0;
	return (int64_t)ts.tv_sec * per_s + (int64_t)ts.tv_nsec / (1000000000 / per_s);
}

int64_t clock_mono_s(void)
{
	return read_clock(CLOCK_MONOTONIC, 1);
}

int64_t clock_mono_us(void)
{
	return read_clock(CLOCK_MONOTONIC, 1000000);
}

int64_t clock_wall_s(void)
{
	return read_clock(CLOCK_REALTIME, 1);
}

int64_t clock_wall_us(void)
{
	return read_clock(CLOCK_REALTIME, 1000000);
}

int64_t clock_add(int64_t a, int64_t b)
{
	int64_t sum;

	if (__builtin_add_overflow(a, b, &sum))
		return b > 0 ? INT64_MAX : INT64_MIN;
	return sum;
}

int64_t clock_convert(int64_t t, int64_t now_from, int64_t now_to)
{
	int64_t delta;

	if (__builtin_sub_overflow(t, now_from, &delta))
		delta = t > now_from ? INT64_MAX : INT64_MIN;
	return clock_add(now_to, delta);
}
