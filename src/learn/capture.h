/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The capture source: one libpcap handle on the NFLOG group that every
 * learning port's rules copy frames to (no thread or handle per port).
 * The only libpcap user. Exposes an fd and a dispatch, never a loop.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

struct learn_capture;

/* One complete record (truncated captures are dropped before this); borrowed during the call. */
typedef void (*learn_record_fn)(const uint8_t *record, size_t len, void *userdata);

/* Opens "nflog:GROUP", non-blocking, immediate mode. */
int learn_capture_open(unsigned group, struct learn_capture **ret, struct err *err);
struct learn_capture *learn_capture_close(struct learn_capture *c);
int learn_capture_fd(const struct learn_capture *c);
/* Handles at most budget records; returns how many were read, or -EIO with err. */
int learn_capture_dispatch(struct learn_capture *c, unsigned budget, learn_record_fn fn,
			   void *userdata, struct err *err);
/* Records dropped because the capture was shorter than the frame. */
uint64_t learn_capture_truncated(const struct learn_capture *c);
/* Overruns of the capture socket: at least how many times the kernel dropped records. */
uint64_t learn_capture_overruns(const struct learn_capture *c);
