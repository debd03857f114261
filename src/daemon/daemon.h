/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's executor: it turns requests, frames, link events and ticks
 * into engine inputs, and carries out the engine's actions through fw
 * (nftables), store (SQLite) and link (rtnetlink). It decides nothing: the
 * engine does. It also owns what needs I/O around the filters (the filter
 * directories, the definitions as stored). The event loop (loop.c) and the
 * control server (control.c) call in here; nothing here knows libuv or the
 * wire format.
 */
#pragma once

#include "daemon/guard.h"
#include <stdbool.h>
#include <stdint.h>

#include "engine/engine.h"
#include "fw/watch.h"
#include "link/link.h"
#include "util/err.h"
#include "util/strbuf.h"

#define DAEMON_FILTER_DIRS_MAX 16
#define DAEMON_PROTECTED_MAX   64

struct daemon_config {
	const char *builtin_dir; /* the built-in filters */
	const char *filter_dirs[DAEMON_FILTER_DIRS_MAX];
	int n_filter_dirs;
	const char *state_dir;   /* the SQLite store lives here */
	const char *socket_path; /* the control socket */
	int learn_timeout_s;     /* default learning timeout in seconds; 0: none */
	unsigned nflog_group;    /* where learning copies frames */
	size_t max_addrs;        /* learned addresses per port; 0: the engine's default */
	int ipv6_idle_s;         /* a learned IPv6 address lapses unused this long; 0: default */
	unsigned drop_log_group; /* samples of dropped frames; 0: none */
	bool is_uncounted;       /* drop_counters = no: drops are not counted per reason */
	unsigned drop_log_rate;  /* dropped frames logged per second at most; 0: none */
	const char *metrics_textfile; /* written every metrics_interval_s, or NULL */
	unsigned metrics_interval_s;
	uint8_t protected_addrs[DAEMON_PROTECTED_MAX][4]; /* nobody may learn or be given these */
	size_t n_protected;
	uint8_t protected6[DAEMON_PROTECTED_MAX][16];
	size_t n_protected6;
	struct guard_config guard; /* ports no binding covers */
};

struct daemon_event {
	enum engine_event_type type;
	const char *port;   /* or NULL */
	const char *filter; /* or NULL */
	const char *message;
	const char *address; /* the address a learning event is about, or NULL */
	const char *reason;  /* dropped: why (fw_drop_reason_names), or NULL */
	/* learned: from the kernel's timestamp of the frame to the full rules committed */
	bool has_latency;
	int64_t latency_us;
	const char *latency_from; /* "kernel": its NFLOG timestamp; "daemon": read from NFLOG */
};

typedef void (*daemon_event_fn)(const struct daemon_event *ev, void *userdata);

struct daemon;
struct learn_capture;

/* One port's dropped frames, as the kernel counted them. */
struct daemon_port_drops {
	char port[16];
	/* [0]: frames the VM sent, [1]: frames to it */
	uint64_t packets[2][_FW_DROP_MAX], bytes[2][_FW_DROP_MAX];
	uint64_t total[2]; /* packets */
};

struct daemon_drops {
	struct daemon_port_drops *v; /* owned, sorted by port */
	size_t n;
};

/* The kernel's drop counters of every port that has dropped something; fini frees. */
int daemon_drops_read(struct daemon *d, struct daemon_drops *ret, struct err *err);
/* port's counts, borrowed from dr; NULL when it dropped nothing. */
const struct daemon_port_drops *daemon_drops_find(const struct daemon_drops *dr, const char *port);
void daemon_drops_fini(struct daemon_drops *dr);
/* Every metric, in Prometheus' text format (capture may be NULL). */
int daemon_metrics_format(struct daemon *d, const struct learn_capture *capture,
			  const struct learn_capture *drop_capture, struct strbuf *sb,
			  struct err *err);
/* The same, written to path atomically (a temporary file renamed over it). */
int daemon_metrics_write(struct daemon *d, const struct learn_capture *capture,
			 const struct learn_capture *drop_capture, const char *path,
			 struct err *err);
/* A control request of verb (enum ctl_verb; -1: one that did not parse) came in. */
void daemon_count_request(struct daemon *d, int verb);

/*
 * Loads the filters and the store, then reconciles the kernel with the
 * stored bindings: a port whose rules are already right is not touched (a
 * restart opens no port, not even for a moment); a port that is gone has
 * its binding removed; a port whose rules cannot be applied is set down.
 */
int daemon_new(const struct daemon_config *cfg, daemon_event_fn on_event, void *userdata,
	       struct daemon **ret, struct err *err);
struct daemon *daemon_free(struct daemon *d);

/* Checks the configuration and the filters only (vifguardd -n). */
int daemon_check_config(const struct daemon_config *cfg, bool is_verbose, struct err *err);

/* Filters */
struct daemon_filter_info {
	const char *name, *chain, *origin; /* origin: "defined" or the file's directory */
	uint8_t uuid[16];
	unsigned n_bindings; /* bindings whose tree uses it */
};
typedef int (*daemon_filter_fn)(const struct daemon_filter_info *info, void *userdata);
int daemon_filter_list(struct daemon *d, daemon_filter_fn fn, void *userdata);
/* Canonical XML; caller frees. */
int daemon_filter_dumpxml(struct daemon *d, const char *name, char **ret, struct err *err);
/*
 * Defines (or redefines) a filter from XML and rebuilds every bound port
 * whose tree uses it, each port atomically. A port whose rebuild fails is
 * set down, or keeps its old rules with keeps_old_rules; the names and
 * reasons go to *failures (may be NULL).
 */
int daemon_filter_define(struct daemon *d, const char *xml, bool keeps_old_rules,
			 struct strbuf *failures, struct err *err);
/* Refused (-EBUSY) while a binding uses the filter, naming the bindings. */
int daemon_filter_undefine(struct daemon *d, const char *name, struct err *err);
/* Re-reads the filter directories (SIGHUP): parse, diff, apply, swap; on error keep the old set. */
int daemon_reload(struct daemon *d, bool keeps_old_rules, struct strbuf *failures, struct err *err);

/*
 * Bindings; each takes ownership of b, also on failure. A create that fails
 * once the port was found sets the port down, unless keeps_up.
 */
/*
 * Takes b. learned (may be NULL): addresses the port learned on another
 * host (binding.create's "learned"), in force at once.
 */
int daemon_binding_create(struct daemon *d, struct binding *b, bool keeps_up, const char *learned,
			  struct err *err);
int daemon_binding_delete(struct daemon *d, const char *port, struct err *err);
/* What the engine knows, read-only, for listings; valid until the next call that changes state. */
const struct engine *daemon_engine(const struct daemon *d);
/* Monotonic seconds (the engine's times) to unix seconds, for showing them. */
int64_t daemon_wall_time(int64_t mono);
int daemon_binding_dumpxml(struct daemon *d, const char *port, char **ret, struct err *err);

/* Learning */
/*
 * One NFLOG record from the capture: parsed, and handed to the engine. The
 * rules of ports that learned an address go in at daemon_learn_flush(),
 * after the read, in one transaction.
 */
void daemon_learn_record(struct daemon *d, const uint8_t *record, size_t len);
void daemon_learn_flush(struct daemon *d);
/*
 * One record of the drop log's capture (drop_log_group): a sample of a frame
 * the kernel dropped, decoded into a dropped event for watchers and, at most
 * drop_log_rate a second, a line in the log.
 */
void daemon_drop_record(struct daemon *d, const uint8_t *record, size_t len);
/* Lease ends and learning timeouts, on the monotonic clock. */
void daemon_tick(struct daemon *d);
/* Starts learning again: forgets the learned addresses, back to the learning rules. */
int daemon_binding_relearn(struct daemon *d, const char *port, struct err *err);
unsigned daemon_nflog_group(const struct daemon *d);

/* What foreign changes to the tables the daemon saw and put right, for status. */
struct daemon_repairs {
	uint64_t n;        /* repairs run */
	uint64_t n_failed; /* of which some port could not be put back */
	int64_t last_at;   /* unix seconds of the last; 0: none */
	char last[256];    /* what the last one found */
};
const struct daemon_repairs *daemon_repairs(const struct daemon *d);

/* A link appeared, changed (name, MAC) or was listed by a dump. */
void daemon_link_changed(struct daemon *d, const struct link_info *link);
void daemon_link_gone(struct daemon *d, int ifindex);
/* A complete listing of the links ended: a bound port it did not show is gone. */
void daemon_link_dump_done(struct daemon *d, const int *ifindexes, size_t n);
/*
 * Whether the kernel enforces port's rules now (fw_verify_port): 1; 0 and
 * why in problem; -ENOENT when the port is not bound, or -errno. Call
 * daemon_verify_begin() once before any number of ports.
 */
void daemon_verify_begin(struct daemon *d);
int daemon_verify_port(struct daemon *d, const char *port, char *problem, size_t size);
/* Someone else changed the tables (what, in damage): every port's rules put back. */
void daemon_repair(struct daemon *d, const struct fw_damage *damage);

/* An IPv4 address of ifindex came or went: if it is a bound port's bridge, its ports learn it. */
void daemon_bridge_addrs_changed(struct daemon *d, int ifindex);
