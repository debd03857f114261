/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one event loop (libuv): the control socket and its connections, the
 * rtnetlink watcher, signals, and the systemd watchdog. Every source is
 * non-blocking and does a bounded amount of work per wake-up, so a busy
 * client cannot starve the others.
 */
#include "daemon/loop.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>
#include <uv.h>

#include "ctl/ctl.h"
#include "daemon/control.h"
#include "learn/capture.h"
#include "link/link.h"
#include "util/cleanup.h"
#include "util/log.h"

/*
 * Control clients (docs/design.md, "Control protocol"): a client's requests
 * wait while more than CONN_OUTPUT_HIGH of its replies are unsent; one whose
 * unsent output still passes CONN_OUTPUT_MAX (events to a watcher that
 * stopped reading, a huge listing) is dropped. At CONN_MAX clients, new
 * ones wait in the listen backlog until one leaves.
 */
#define CONN_OUTPUT_HIGH   (1u << 20)
#define CONN_OUTPUT_RETAIN (64u << 10) /* an emptied output buffer larger than this is freed */
#define CONN_MAX           64u

#define CONN_OUTPUT_MAX  (64u << 20) /* a client that stops reading is dropped */
#define CONN_READ_CHUNK  65536
#define LINES_PER_WAKEUP 64
/* How long a foreign change may be followed by more before the rules are put back. */
#define REPAIR_DELAY_MS  50
#define LINK_BUDGET      256
#define CAPTURE_BUDGET   256
#define TICK_MS          1000
#define ACCEPT_PAUSE_MS  1000

struct conn {
	struct control_conn cc; /* first: callbacks get it back as struct conn */
	struct loop *loop;
	int fd;
	uv_poll_t poll;
	uv_idle_t idle; /* runs while requests wait that no new bytes will wake up */
	int n_handles;  /* poll and idle not yet closed: the last close frees the conn */
	struct ctl_linebuf in;
	char *out;
	size_t out_len, out_cap, out_sent;
	bool is_read_done; /* EOF or an over-long line: answer what came, send, then close */
	bool is_closing;
	struct conn *next;
};

struct loop {
	uv_loop_t uv;
	struct daemon *daemon;
	struct control_ctx ctl;
	const struct daemon_config *cfg;
	int listen_fd;
	uv_poll_t listen_poll;
	uv_timer_t accept_timer;
	struct link_watch *link;
	uv_poll_t link_poll;
	int *dump_seen; /* ifindexes listed by the running dump */
	size_t n_dump_seen;
	bool is_dump_pending; /* a dump was requested and its end not yet reconciled */
	unsigned ticks_since_metrics;
	bool has_warned_metrics;
	struct learn_capture *capture;
	uv_poll_t capture_poll;
	struct learn_capture *drop_capture; /* the drop log's samples; NULL: drop_log_group 0 */
	uv_poll_t drop_capture_poll;
	uv_timer_t tick;
	struct fw_watch *nft; /* foreign changes to our tables */
	uv_poll_t nft_poll;
	uv_timer_t repair_timer;
	struct fw_damage damage; /* seen since the last repair */
	uv_signal_t sig_hup, sig_term, sig_int;
	uv_timer_t watchdog;
	struct conn *conns;
	size_t n_conns;
	bool is_accept_full; /* the listener is stopped at CONN_MAX clients */
};

/* ---- connections -------------------------------------------------------- */

static void conn_poll_cb(uv_poll_t *h, int status, int events);
static void conn_idle_cb(uv_idle_t *h);
static void listen_poll_cb(uv_poll_t *h, int status, int events);

static size_t conn_backlog(const struct conn *c)
{
	return c->out_len - c->out_sent;
}

static bool conn_is_done(const struct conn *c)
{
	return c->is_read_done && !ctl_linebuf_has_line(&c->in) && conn_backlog(c) == 0;
}

/*
 * Waits for what the connection can use. Reading pauses while a request
 * waits (the line buffer then holds at most CTL_LINE_MAX plus one read) and
 * while the client has not read CONN_OUTPUT_HIGH of its replies. Waiting
 * requests are served from the idle handle, not when bytes arrive: a
 * client that wrote them all and waits would never wake the poll. A done
 * connection is closed from the idle handle too, never inside a request.
 */
static void conn_update(struct conn *c)
{
	bool can_serve = conn_backlog(c) <= CONN_OUTPUT_HIGH;
	bool has_line = ctl_linebuf_has_line(&c->in);
	int events = conn_backlog(c) > 0 ? UV_WRITABLE : 0;

	if (c->is_closing)
		return;
	if (!c->is_read_done && !has_line && can_serve)
		events |= UV_READABLE;
	if (events)
		uv_poll_start(&c->poll, events, conn_poll_cb);
	else
		uv_poll_stop(&c->poll);
	if ((has_line && can_serve) || conn_is_done(c))
		uv_idle_start(&c->idle, conn_idle_cb);
	else
		uv_idle_stop(&c->idle);
}

static void conn_closed_cb(uv_handle_t *h)
{
	struct conn *c = h->data;

	if (--c->n_handles > 0)
		return;
	ctl_linebuf_fini(&c->in);
	free(c->out);
	close(c->fd);
	free(c);
}

static void conn_close(struct conn *c)
{
	struct loop *l = c->loop;
	struct conn **pp;

	if (c->is_closing)
		return;
	c->is_closing = true;
	for (pp = &l->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	l->n_conns--;
	if (l->is_accept_full) {
		l->is_accept_full = false;
		uv_poll_start(&l->listen_poll, UV_READABLE, listen_poll_cb);
	}
	uv_close((uv_handle_t *)&c->poll, conn_closed_cb);
	uv_close((uv_handle_t *)&c->idle, conn_closed_cb);
}

static void conn_flush(struct conn *c)
{
	while (c->out_sent < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_sent, c->out_len - c->out_sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			conn_close(c);
			return;
		}
		c->out_sent += (size_t)n;
	}
	if (c->out_sent == c->out_len) {
		c->out_sent = c->out_len = 0;
		if (c->out_cap > CONN_OUTPUT_RETAIN) {
			/* a big listing once: do not keep its buffer for the connection's life */
			free(c->out);
			c->out = NULL;
			c->out_cap = 0;
		}
	}
	conn_update(c);
}

static void conn_send(struct control_conn *cc, char *line, size_t len)
{
	struct conn *c = (struct conn *)cc;

	if (c->is_closing || c->out_len - c->out_sent + len > CONN_OUTPUT_MAX) {
		free(line);
		if (!c->is_closing)
			log_warn("control: a client does not read its replies; closing it");
		conn_close(c);
		return;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		char *grown;

		if (c->out_sent) {
			memmove(c->out, c->out + c->out_sent, c->out_len - c->out_sent);
			c->out_len -= c->out_sent;
			c->out_sent = 0;
		}
		while (cap < c->out_len + len)
			cap *= 2;
		grown = realloc(c->out, cap);
		if (!grown) {
			free(line);
			conn_close(c);
			return;
		}
		c->out = grown;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, line, len);
	c->out_len += len;
	free(line);
	conn_flush(c);
}

/*
 * Answers up to LINES_PER_WAKEUP waiting requests, fewer once the client
 * has CONN_OUTPUT_HIGH of replies unread. The budget keeps one client from
 * starving the others; what it leaves waits for the next loop iteration.
 */
static void conn_serve(struct conn *c)
{
	const char *line;
	size_t len;
	int r;

	for (int i = 0; i < LINES_PER_WAKEUP; i++) {
		if (c->is_closing || conn_backlog(c) > CONN_OUTPUT_HIGH)
			break;
		r = ctl_linebuf_next(&c->in, &line, &len);
		if (r == 0)
			break;
		if (r < 0) {
			char msg[96];

			(void)snprintf(msg, sizeof(msg),
				       "request: line longer than %u bytes; closing the connection",
				       CTL_LINE_MAX);
			control_send_error(&c->cc, -EMSGSIZE, msg);
			c->is_read_done = true;
			break;
		}
		control_handle_line(&c->loop->ctl, &c->cc, line, len);
	}
	if (conn_is_done(c))
		conn_close(c);
	else
		conn_update(c);
}

static void conn_read(struct conn *c)
{
	char buf[CONN_READ_CHUNK];
	ssize_t n;

	if (c->is_read_done || ctl_linebuf_has_line(&c->in)) {
		conn_update(c);
		return;
	}
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0) {
		if (errno != EAGAIN && errno != EINTR)
			conn_close(c);
		return;
	}
	if (n == 0) {
		/*
		 * The client shut down its side, maybe right after pipelining many
		 * requests: answer them all, then close. A half line is dropped.
		 */
		c->is_read_done = true;
	} else if (ctl_linebuf_feed(&c->in, buf, (size_t)n) < 0) {
		log_err("control: out of memory reading a request; closing the connection");
		conn_close(c);
		return;
	}
	conn_serve(c);
}

static void conn_poll_cb(uv_poll_t *h, int status, int events)
{
	struct conn *c = h->data;

	if (status < 0) {
		conn_close(c);
		return;
	}
	if (events & UV_WRITABLE)
		conn_flush(c);
	if (!c->is_closing && (events & UV_READABLE))
		conn_read(c);
}

static void conn_idle_cb(uv_idle_t *h)
{
	conn_serve(h->data);
}

/* ---- the listening socket ---------------------------------------------- */

static bool is_privileged_peer(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == 0 || cred.uid == geteuid();
}

static void accept_timer_cb(uv_timer_t *t)
{
	struct loop *l = t->data;

	uv_poll_start(&l->listen_poll, UV_READABLE, listen_poll_cb);
}

static void listen_poll_cb(uv_poll_t *h, int status, int events)
{
	struct loop *l = h->data;

	for (int i = 0; i < 16; i++) {
		struct conn *c;
		int fd;

		if (l->n_conns >= CONN_MAX) {
			/* the rest wait in the listen backlog; conn_close() resumes */
			log_warn("control: %u clients connected; new ones wait until one leaves",
				 CONN_MAX);
			uv_poll_stop(&l->listen_poll);
			l->is_accept_full = true;
			return;
		}
		fd = accept4(l->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* out of descriptors: pause instead of spinning on a ready socket
				 */
				log_warn("control: cannot accept (%s); pausing for a second",
					 strerror(errno));
				uv_poll_stop(&l->listen_poll);
				uv_timer_start(&l->accept_timer, accept_timer_cb, ACCEPT_PAUSE_MS,
					       0);
			}
			return;
		}
		c = calloc(1, sizeof(*c));
		if (!c || uv_poll_init(&l->uv, &c->poll, fd) < 0) {
			free(c);
			close(fd);
			continue;
		}
		uv_idle_init(&l->uv, &c->idle);
		c->n_handles = 2;
		c->loop = l;
		c->fd = fd;
		c->poll.data = c;
		c->idle.data = c;
		c->cc.send = conn_send;
		c->cc.is_privileged = is_privileged_peer(fd);
		ctl_linebuf_init(&c->in);
		c->next = l->conns;
		l->conns = c;
		l->n_conns++;
		uv_poll_start(&c->poll, UV_READABLE, conn_poll_cb);
	}
}

static int open_listener(const char *path, struct err *err)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	_cleanup_free_ char *dir = strdup(path);
	char *slash;
	mode_t old_mask;
	int fd, r;

	if (strlen(path) >= sizeof(addr.sun_path))
		return err_set(err, -ENAMETOOLONG, "socket path %s is too long", path);
	if (dir && (slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return err_set(err, -errno, "cannot create %s: %s", dir, strerror(errno));
	}
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(err, -errno, "cannot create the control socket: %s",
			       strerror(errno));
	(void)unlink(path); /* a stale socket of a previous run */
	old_mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old_mask);
	if (r < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		return err_set(err, r, "cannot listen on %s: %s", path, strerror(-r));
	}
	return fd;
}

/* ---- events to watchers -------------------------------------------------- */

static void broadcast(const struct daemon_event *ev, void *userdata)
{
	struct loop *l = userdata;
	struct conn *next;

	for (struct conn *c = l->conns; c; c = next) {
		char *line;
		size_t len;

		next = c->next;
		if (!c->cc.is_watching)
			continue;
		line = control_event_line(ev, &len);
		if (line)
			conn_send(&c->cc, line, len);
	}
}

/* ---- links ------------------------------------------------------------- */

static void link_event_cb(const struct link_event *ev, void *userdata)
{
	struct loop *l = userdata;

	switch (ev->type) {
	case LINK_EVENT_NEW:
		if (ev->is_dump) {
			int *grown = realloc(l->dump_seen, (l->n_dump_seen + 1) * sizeof(int));

			if (grown) {
				l->dump_seen = grown;
				l->dump_seen[l->n_dump_seen++] = ev->info.ifindex;
			}
		}
		daemon_link_changed(l->daemon, &ev->info);
		break;
	case LINK_EVENT_DEL:
		daemon_link_gone(l->daemon, ev->info.ifindex);
		break;
	case LINK_EVENT_ADDR:
		daemon_bridge_addrs_changed(l->daemon, ev->info.ifindex);
		break;
	case LINK_EVENT_RESYNC:
		log_warn("link: events were lost; listing the links again");
		free(l->dump_seen);
		l->dump_seen = NULL;
		l->n_dump_seen = 0;
		l->is_dump_pending = link_watch_request_dump(l->link) >= 0;
		break;
	}
}

/* After a re-dump: the engine says which bound ports the listing did not show. */
static void reconcile_after_dump(struct loop *l)
{
	daemon_link_dump_done(l->daemon, l->dump_seen, l->n_dump_seen);
	free(l->dump_seen);
	l->dump_seen = NULL;
	l->n_dump_seen = 0;
}

static void link_poll_cb(uv_poll_t *h, int status, int events)
{
	struct loop *l = h->data;
	int r = link_watch_dispatch(l->link, link_event_cb, l, LINK_BUDGET);

	if (r < 0)
		log_err("link: reading rtnetlink failed: %s", strerror(-r));
	if (l->is_dump_pending && !link_watch_is_dumping(l->link)) {
		l->is_dump_pending = false;
		reconcile_after_dump(l);
	}
}

/* ---- learning ------------------------------------------------------------ */

static void record_cb(const uint8_t *record, size_t len, void *userdata)
{
	daemon_learn_record(userdata, record, len);
}

/*
 * Reads what is queued on c, up to CAPTURE_BUDGET records, so that a flood
 * on one capture cannot starve the loop's other sources; 0 or -EIO with err.
 */
static int capture_drain(struct learn_capture *c, learn_record_fn fn, void *userdata,
			 struct err *err)
{
	int n, total = 0;

	do {
		n = learn_capture_dispatch(c, CAPTURE_BUDGET - total, fn, userdata, err);
		total += n > 0 ? n : 0;
	} while (n > 0 && total < CAPTURE_BUDGET);
	return n < 0 ? n : 0;
}

static void capture_poll_cb(uv_poll_t *h, int status, int events)
{
	struct loop *l = h->data;
	struct err err = { 0 };
	/* one dispatch is one datagram, one record each (queue-threshold 1): read what is
	 * queued, up to the budget, so that a burst is applied in one transaction */
	int r = capture_drain(l->capture, record_cb, l->daemon, &err);

	daemon_learn_flush(l->daemon);
	if (r < 0)
		log_err("%s", err.msg);
}

/* ---- the drop log ------------------------------------------------------- */

static void drop_record_cb(const uint8_t *record, size_t len, void *userdata)
{
	daemon_drop_record(userdata, record, len);
}

static void drop_capture_poll_cb(uv_poll_t *h, int status, int events)
{
	struct loop *l = h->data;
	struct err err = { 0 };

	if (capture_drain(l->drop_capture, drop_record_cb, l->daemon, &err) < 0)
		log_err("drop log: %s", err.msg);
}

/* ---- the tables -------------------------------------------------------- */

static void repair_timer_cb(uv_timer_t *t)
{
	struct loop *l = t->data;
	struct fw_damage damage = l->damage;

	memset(&l->damage, 0, sizeof(l->damage));
	daemon_repair(l->daemon, &damage);
}

static void nft_poll_cb(uv_poll_t *h, int status, int events)
{
	struct loop *l = h->data;
	struct fw_damage damage;
	int r = fw_watch_read(l->nft, &damage);

	if (r < 0) {
		log_err("nftables: reading its notifications failed: %s", strerror(-r));
		return;
	}
	if (r == 0)
		return;
	fw_damage_merge(&l->damage, &damage);
	/* a burst of transactions (a script, a reload) is answered once, soon after */
	if (!uv_is_active((uv_handle_t *)&l->repair_timer))
		uv_timer_start(&l->repair_timer, repair_timer_cb, REPAIR_DELAY_MS, 0);
}

static void tick_cb(uv_timer_t *t)
{
	struct loop *l = t->data;
	struct err err = { 0 };

	daemon_tick(l->daemon);
	/* the first tick writes, then one in every metrics_interval_s */
	if (!l->cfg->metrics_textfile || l->ticks_since_metrics++ % l->cfg->metrics_interval_s != 0)
		return;
	if (daemon_metrics_write(l->daemon, l->capture, l->drop_capture, l->cfg->metrics_textfile,
				 &err) < 0) {
		if (!l->has_warned_metrics)
			log_warn("%s (said once until it works again)", err.msg);
		l->has_warned_metrics = true;
	} else {
		l->has_warned_metrics = false;
	}
}

/* ---- signals, watchdog ------------------------------------------------- */

static void reload(struct loop *l)
{
	struct strbuf failures;
	struct err err = { 0 };

	(void)sd_notify(0, "RELOADING=1");
	strbuf_init(&failures);
	/* a signal carries no options: as vifguardctl reload without --keep-old-rules */
	if (daemon_reload(l->daemon, false, &failures, &err) < 0)
		log_err("%s", err.msg);
	else if (failures.len)
		log_err("reload: ports whose new rules cannot be applied: %s", failures.buf);
	strbuf_fini(&failures);
	(void)sd_notify(0, "READY=1");
}

static void signal_cb(uv_signal_t *h, int signum)
{
	struct loop *l = h->data;

	if (signum == SIGHUP) {
		log_info("SIGHUP: reloading the filters");
		reload(l);
		return;
	}
	log_info("%s: exiting; every port's rules stay in force", strsignal(signum));
	(void)sd_notify(0, "STOPPING=1");
	uv_stop(&l->uv);
}

static void watchdog_cb(uv_timer_t *t)
{
	(void)sd_notify(0, "WATCHDOG=1");
}

static void start_watchdog(struct loop *l)
{
	uint64_t usec = 0;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	uv_timer_init(&l->uv, &l->watchdog);
	uv_timer_start(&l->watchdog, watchdog_cb, usec / 2000, usec / 2000);
}

static void close_walk_cb(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static int setup(struct loop *l, const struct daemon_config *cfg, struct err *err)
{
	struct err drop_err = { 0 };
	int r;

	/* opened first: a change during the start-up is seen too */
	r = fw_watch_open(&l->nft, err);
	if (r < 0)
		return r;
	r = daemon_new(cfg, broadcast, l, &l->daemon, err);
	if (r < 0)
		return r;
	uv_poll_init(&l->uv, &l->nft_poll, fw_watch_fd(l->nft));
	l->nft_poll.data = l;
	uv_poll_start(&l->nft_poll, UV_READABLE, nft_poll_cb);
	uv_timer_init(&l->uv, &l->repair_timer);
	l->repair_timer.data = l;
	l->ctl = (struct control_ctx){ .daemon = l->daemon };
	r = link_watch_open(&l->link, err);
	if (r < 0)
		return r;
	uv_poll_init(&l->uv, &l->link_poll, link_watch_fd(l->link));
	l->link_poll.data = l;
	uv_poll_start(&l->link_poll, UV_READABLE, link_poll_cb);
	/* a first listing catches ports that went away while the daemon was down */
	l->is_dump_pending = link_watch_request_dump(l->link) >= 0;
	r = learn_capture_open(cfg->nflog_group, &l->capture, err);
	if (r < 0)
		return r;
	l->ctl.capture = l->capture;
	uv_poll_init(&l->uv, &l->capture_poll, learn_capture_fd(l->capture));
	l->capture_poll.data = l;
	uv_poll_start(&l->capture_poll, UV_READABLE, capture_poll_cb);
	/* the drop log only explains: without it every port is still filtered and counted */
	if (cfg->drop_log_group &&
	    learn_capture_open(cfg->drop_log_group, &l->drop_capture, &drop_err) < 0)
		log_warn("drop log: %s; no dropped events", drop_err.msg);
	if (l->drop_capture) {
		l->ctl.drop_capture = l->drop_capture;
		uv_poll_init(&l->uv, &l->drop_capture_poll, learn_capture_fd(l->drop_capture));
		l->drop_capture_poll.data = l;
		uv_poll_start(&l->drop_capture_poll, UV_READABLE, drop_capture_poll_cb);
	}
	uv_timer_init(&l->uv, &l->tick);
	l->tick.data = l;
	uv_timer_start(&l->tick, tick_cb, TICK_MS, TICK_MS);
	l->listen_fd = open_listener(cfg->socket_path, err);
	if (l->listen_fd < 0)
		return l->listen_fd;
	uv_poll_init(&l->uv, &l->listen_poll, l->listen_fd);
	l->listen_poll.data = l;
	uv_poll_start(&l->listen_poll, UV_READABLE, listen_poll_cb);
	uv_timer_init(&l->uv, &l->accept_timer);
	l->accept_timer.data = l;
	uv_signal_t *sigs[] = { &l->sig_hup, &l->sig_term, &l->sig_int };
	int nums[] = { SIGHUP, SIGTERM, SIGINT };
	for (int i = 0; i < 3; i++) {
		uv_signal_init(&l->uv, sigs[i]);
		sigs[i]->data = l;
		uv_signal_start(sigs[i], signal_cb, nums[i]);
	}
	start_watchdog(l);
	return 0;
}

int loop_run(const struct daemon_config *cfg, struct err *err)
{
	struct loop *l = calloc(1, sizeof(*l));
	int r;

	if (!l)
		return err_set(err, -ENOMEM, "out of memory");
	l->listen_fd = -1;
	uv_loop_init(&l->uv);
	l->cfg = cfg;
	signal(SIGPIPE, SIG_IGN);
	r = setup(l, cfg, err);
	if (r >= 0) {
		log_info("ready: %zu bindings, control socket %s",
			 engine_port_count(daemon_engine(l->daemon)), cfg->socket_path);
		(void)sd_notify(0, "READY=1");
		uv_run(&l->uv, UV_RUN_DEFAULT);
	}
	while (l->conns)
		conn_close(l->conns);
	uv_walk(&l->uv, close_walk_cb, NULL);
	uv_run(&l->uv, UV_RUN_DEFAULT);
	uv_loop_close(&l->uv);
	if (l->listen_fd >= 0) {
		close(l->listen_fd);
		(void)unlink(cfg->socket_path);
	}
	link_watch_close(l->link);
	fw_watch_close(l->nft);
	learn_capture_close(l->capture);
	learn_capture_close(l->drop_capture);
	daemon_free(l->daemon);
	free(l->dump_seen);
	free(l);
	return r;
}
