/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* vifguardctl's side of the control socket: one request, its items and its reply. */
#pragma once

#include <stdbool.h>

#include "ctl/ctl.h"

/*
 * The socket: --socket, else $VIFGUARD_SOCKET, else the "socket" of the
 * daemon's configuration file, else the default, as vifguardd finds it.
 */
const char *client_socket_path(void);
void client_set_socket_path(const char *path);
/*
 * Reads the configuration file (path: --config, NULL: $VIFGUARD_CONFIG or
 * the default, which may be absent or unreadable). 0 or -errno (printed).
 */
int client_read_config(const char *path);
void client_fini(void);

/*
 * Quiet: failures are kept, not printed (the libvirt hook words its own
 * messages). client_last_error() is the last failure's sentence without a
 * hint ("cannot connect to PATH: No such file or directory", the daemon's
 * message, ...); "" when none. Borrowed until the next call.
 */
void client_set_quiet(bool quiet);
const char *client_last_error(void);

/* True once a call found no daemon at the socket (nothing there, or nobody listening). */
bool client_daemon_unreachable(void);

/* Called for each item of a listing, or each event of watch; a negative return stops. */
typedef int (*client_item_fn)(const struct ctl_value *item, void *userdata);

/*
 * Sends req and reads until its final reply. Items go to on_item. On an ok
 * reply, *ret_reply (may be NULL) gets the parsed reply (caller finis it).
 * Prints every failure on stderr (cannot connect, the daemon's error,
 * a malformed reply) and returns -errno; 0 on success.
 */
int client_call(const struct ctl_request *req, client_item_fn on_item, void *userdata,
		struct ctl_message *ret_reply);

/*
 * After an ok reply to "watch": reads events until the daemon closes the
 * connection or on_event returns < 0. Used by client_call when req is watch.
 */
