/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Time. Every timeout runs on the monotonic clock; wall-clock time appears
 * only where a time is stored or shown, converted at that edge with the
 * two clocks read together. Arithmetic saturates instead of wrapping.
 */
#pragma once

#include <stdint.h>

/* Seconds of CLOCK_MONOTONIC. */
int64_t clock_mono_s(void);
/* Microseconds of CLOCK_MONOTONIC: for rates within a second. */
int64_t clock_mono_us(void);
/* Unix time in seconds and microseconds. */
int64_t clock_wall_s(void);
int64_t clock_wall_us(void);

/* a + b, held at INT64_MIN/INT64_MAX instead of wrapping. */
int64_t clock_add(int64_t a, int64_t b);
/* A time on one clock (t, with that clock's now_from) on the other (now_to). */
int64_t clock_convert(int64_t t, int64_t now_from, int64_t now_to);
