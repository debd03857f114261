/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control server's protocol side: one request line in, reply lines out.
 * No sockets here (loop.c owns them): a connection is a sink for lines and
 * a flag saying whether it watches events.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "daemon/daemon.h"

struct control_conn {
	/* Queues one complete line for the client; takes ownership of line. */
	void (*send)(struct control_conn *conn, char *line, size_t len);
	bool is_watching;
	bool is_privileged; /* the peer may change state (root, or the daemon's own user) */
};

struct learn_capture;

struct control_ctx {
	struct daemon *daemon;
	const struct learn_capture *capture;      /* for status; may be NULL */
	const struct learn_capture *drop_capture; /* the drop log's; may be NULL */
};

/* Handles one request line; every request gets exactly one final reply. */
void control_handle_line(struct control_ctx *ctx, struct control_conn *conn, const char *line,
			 size_t len);

/* An error reply for a connection whose input broke (over-long line): id 0. */
void control_send_error(struct control_conn *conn, int error, const char *message);

/* Formats an event as a protocol line; caller frees; NULL on -ENOMEM. */
char *control_event_line(const struct daemon_event *ev, size_t *ret_len);
