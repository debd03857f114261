/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inside the link module: the pure walk over one datagram of netlink
 * messages that link_watch_dispatch() runs, exposed for the unit tests and
 * the fuzzer. Not for other modules.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "link/link.h"

struct link_dump_state {
	uint32_t seq;        /* nlmsg_seq of the current dump request, never 0 */
	bool is_dumping;     /* between the request and its NLMSG_DONE */
	bool is_interrupted; /* a part carried NLM_F_DUMP_INTR, or events were lost meanwhile */
	bool is_stale;       /* a newer request waits for this dump's end: do not tag its entries */
	uint64_t n_malformed;
	uint64_t n_resyncs;
};

/*
 * Walks one datagram: link messages become events (is_dump set for the
 * current dump's entries unless it is stale); NLMSG_DONE or NLMSG_ERROR for
 * the current dump ends it, with LINK_EVENT_RESYNC when it was interrupted
 * or failed (unless stale: the newer request covers it); other messages are
 * skipped. A message the parser rejects is counted and skipped. When the
 * framing breaks, the rest of the datagram is dropped, LINK_EVENT_RESYNC is
 * emitted and -EBADMSG returned; otherwise 0.
 */
int link_msgs_walk(const void *buf, size_t len, struct link_dump_state *st, link_event_fn cb,
		   void *userdata);

/* The kernel's dev_valid_name(): 1..15 bytes, not "." or "..", no '/', ':' or whitespace. */
bool link_name_is_valid(const char *name, size_t len);

/* Emits one LINK_EVENT_RESYNC and counts it. */
void link_emit_resync(struct link_dump_state *st, link_event_fn cb, void *userdata);
