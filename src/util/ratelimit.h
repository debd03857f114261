/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A token bucket: at most rate events per second on average, and a burst of
 * one second's worth. Pure: the caller passes the time (monotonic
 * microseconds), so tests need no clock.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct ratelimit {
	unsigned rate;      /* per second; 0: nothing passes */
	int64_t credit;     /* in millionths of an event: 1000000 pays for one */
	int64_t last_us;    /* when the credit was last topped up */
	bool has_started;   /* last_us is set */
	uint64_t n_refused; /* refused since the last event that passed */
};

/* A full bucket of rate per second. */
void ratelimit_init(struct ratelimit *rl, unsigned rate);
/*
 * Whether one more event may pass at now_us. When it does, *ret_refused (may
 * be NULL) is how many were refused since the last one that passed, and the
 * count starts again.
 */
bool ratelimit_take(struct ratelimit *rl, int64_t now_us, uint64_t *ret_refused);
