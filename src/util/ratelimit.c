/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "util/ratelimit.h"

#define PER_EVENT INT64_C(1000000)

void ratelimit_init(struct ratelimit *rl, unsigned rate)
{
	*rl = (struct ratelimit){ .rate = rate, .credit = (int64_t)rate * PER_EVENT };
}

bool ratelimit_take(struct ratelimit *rl, int64_t now_us, uint64_t *ret_refused)
{
	int64_t cap = (int64_t)rl->rate * PER_EVENT, elapsed;

	if (!rl->has_started) {
		rl->last_us = now_us;
		rl->has_started = true;
	}
	/* a second refills the bucket: more would only risk overflow; a clock going back adds
	 * nothing */
	elapsed = now_us - rl->last_us;
	if (elapsed > PER_EVENT)
		elapsed = PER_EVENT;
	if (elapsed > 0) {
		rl->credit += elapsed * (int64_t)rl->rate;
		if (rl->credit > cap)
			rl->credit = cap;
	}
	if (elapsed > 0 || now_us < rl->last_us)
		rl->last_us = now_us;
	if (rl->rate == 0 || rl->credit < PER_EVENT) {
		rl->n_refused++;
		return false;
	}
	rl->credit -= PER_EVENT;
	if (ret_refused)
		*ret_refused = rl->n_refused;
	rl->n_refused = 0;
	return true;
}
