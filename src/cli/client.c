/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control socket, client side. Replies are checked as strictly as the
 * daemon checks requests: a line that is not a well-formed reply, item or
 * event for this request ends the call with an error.
 */
#include "cli/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli/cli.h"
#include "conf/keyfile.h"
#include "config.h"
#include "util/cleanup.h"

static const char *socket_path;
static char *config_socket_path; /* the configuration file's "socket" */
static bool is_quiet;
static char last_error[ERR_MSG_MAX];

void client_set_quiet(bool quiet)
{
	is_quiet = quiet;
}

const char *client_last_error(void)
{
	return last_error;
}

/* Keeps msg as the last error; prints it (with hint, when not NULL) unless quiet. */
static void fail(const char *hint, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(const char *hint, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	if (!is_quiet)
		cli_error("%s%s%s", last_error, hint ? " — " : "", hint ? hint : "");
}

void client_set_socket_path(const char *path)
{
	socket_path = path;
}

static int take_socket(void *userdata, const char *key, const char *value, struct err *err)
{
	(void)userdata;
	(void)err;
	if (strcmp(key, "socket") != 0)
		return 0; /* the daemon's: vifguardd -n checks them */
	free(config_socket_path);
	config_socket_path = strdup(value);
	return config_socket_path ? 0 : -ENOMEM;
}

int client_read_config(const char *path)
{
	const char *env = getenv("VIFGUARD_CONFIG");
	bool is_explicit = path || (env && *env);
	struct err err = { 0 };
	int r;

	if (!path)
		path = env && *env ? env : VIFGUARD_CONFIG_FILE;
	r = conf_keyfile_read(path, take_socket, NULL, &err);
	/* the default file may be absent, or root's alone; the default socket then */
	if (r < 0 && !is_explicit && (r == -ENOENT || r == -EACCES))
		return 0;
	if (r < 0)
		fail(NULL, "%s", err.msg);
	return r;
}

void client_fini(void)
{
	is_quiet = false;
	last_error[0] = '\0';
	free(config_socket_path);
	config_socket_path = NULL;
}

const char *client_socket_path(void)
{
	const char *env = getenv("VIFGUARD_SOCKET");

	if (socket_path)
		return socket_path;
	if (env && *env)
		return env;
	return config_socket_path ? config_socket_path : VIFGUARD_RUN_DIR "/control.sock";
}

static bool is_unreachable;

bool client_daemon_unreachable(void)
{
	return is_unreachable;
}

static int client_connect(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	const char *path = client_socket_path();
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		fail(NULL, "socket path %s is too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int r = -errno;

		is_unreachable = r == -ENOENT || r == -ECONNREFUSED;
		fail(r == -EACCES || r == -EPERM ? "the control socket is root's: run as root"
						 : "is vifguardd running?",
		     "cannot connect to %s: %s", path, strerror(-r));
		if (fd >= 0)
			close(fd);
		return r;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Handles one line; returns 1 when the call is complete, 0 to go on, -errno on failure. */
static int handle_line(const struct ctl_request *req, const char *line, size_t len,
		       bool *is_watching, client_item_fn on_item, void *userdata,
		       struct ctl_message *ret_reply)
{
	struct ctl_message msg = { 0 };
	struct err err = { 0 };
	int r;

	if (ctl_message_parse(line, len, &msg, &err) < 0) {
		fail(NULL, "malformed answer from the daemon: %s", err.msg);
		return -EPROTO;
	}
	if (msg.kind != CTL_MESSAGE_EVENT && msg.id != req->id) {
		fail(NULL, "answer for request %llu, expected %llu", (unsigned long long)msg.id,
		     (unsigned long long)req->id);
		ctl_message_fini(&msg);
		return -EPROTO;
	}
	switch (msg.kind) {
	case CTL_MESSAGE_ITEM:
	case CTL_MESSAGE_EVENT:
		if ((msg.kind == CTL_MESSAGE_EVENT) != *is_watching) {
			fail(NULL, "unexpected %s from the daemon",
			     msg.kind == CTL_MESSAGE_EVENT ? "event" : "item");
			r = -EPROTO;
		} else {
			r = on_item ? on_item(msg.data, userdata) : 0;
			r = r < 0 ? r : 0;
		}
		ctl_message_fini(&msg);
		return r;
	case CTL_MESSAGE_REPLY:
		break;
	}
	if (!msg.is_ok) {
		fail(NULL, "%s", msg.message);
		r = msg.error;
		ctl_message_fini(&msg);
		return r;
	}
	if (req->verb == CTL_VERB_WATCH && !*is_watching) {
		*is_watching = true;
		ctl_message_fini(&msg);
		return 0;
	}
	if (ret_reply)
		*ret_reply = msg;
	else
		ctl_message_fini(&msg);
	return 1;
}

int client_call(const struct ctl_request *req, client_item_fn on_item, void *userdata,
		struct ctl_message *ret_reply)
{
	_cleanup_free_ char *line = NULL;
	_cleanup_close_ int fd = -1;
	struct ctl_linebuf in;
	bool is_watching = false;
	struct err err = { 0 };
	int r;

	if (ctl_request_format(req, &line, &err) < 0) {
		fail(NULL, "%s", err.msg);
		return -EINVAL;
	}
	fd = client_connect();
	if (fd < 0)
		return fd;
	r = send_all(fd, line, strlen(line));
	if (r < 0) {
		fail(NULL, "cannot send the request to %s: %s", client_socket_path(), strerror(-r));
		return r;
	}
	ctl_linebuf_init(&in);
	for (r = 0; r == 0;) {
		char buf[65536];
		const char *l;
		size_t len;
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (!is_watching)
				fail(NULL, "the daemon closed the connection before answering");
			r = is_watching ? 1 : -ECONNRESET;
			break;
		}
		if (ctl_linebuf_feed(&in, buf, (size_t)n) < 0) {
			r = -ENOMEM;
			break;
		}
		while (r == 0 && (r = ctl_linebuf_next(&in, &l, &len)) > 0)
			r = handle_line(req, l, len, &is_watching, on_item, userdata, ret_reply);
		if (r == -EMSGSIZE)
			fail(NULL, "the daemon sent a line over the size limit");
	}
	ctl_linebuf_fini(&in);
	return r < 0 ? r : 0;
}
