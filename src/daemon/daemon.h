/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's core: filters, bindings and what the kernel holds for them,
 * wired to fw (nftables), store (SQLite) and link (rtnetlink lookups). Every
 * operation is synchronous and leaves a consistent state on every path:
 * the kernel change is one transaction, the store change one transaction,
 * and the in-memory state changes only after both succeeded. The event
 * loop (loop.c) and the control server (control.c) call in here; nothing
 * here knows libuv or the wire format.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "filter/filter.h"
#include "fw/compile.h"
#include "learn/policy.h"
#include "util/err.h"
#include "util/strbuf.h"

#define DAEMON_FILTER_DIRS_MAX 16

struct daemon_config {
	const char *builtin_dir; /* the built-in filters */
	const char *filter_dirs[DAEMON_FILTER_DIRS_MAX];
	int n_filter_dirs;
	const char *state_dir;   /* the SQLite store lives here */
	const char *socket_path; /* the control socket */
	int learn_timeout_s;     /* default learning timeout in seconds; 0: none */
	unsigned nflog_group;    /* where learning copies frames */
};

enum port_state {
	PORT_NEW,
	PORT_LEARNING,
	PORT_ACTIVE,
	PORT_FAILED,
	PORT_STATE__MAX,
};

extern const char *const port_state_names[PORT_STATE__MAX];

struct fw_record;

/* An address a port learned. */
struct port_addr {
	uint8_t ip[4];
	enum learn_source source;
	bool has_server;
	uint8_t server[4]; /* the DHCP server that granted it */
	int64_t lease_end; /* unix seconds; -1: no lease (ARP, IPv4, infinite) */
	int64_t learned_at;
};

/* A bound port. Owned by the daemon; borrowed pointers stay valid until the port is deleted. */
struct port {
	struct binding *binding; /* owned; binding->portdev is the port's name */
	enum port_state state;
	unsigned port_id;         /* id in the packet mark, unique among ports */
	struct fw_record *record; /* what the kernel holds for it; NULL when nothing */
	char *template_id;        /* owned copy of record's, for listings */
	int ifindex;
	enum fw_attach attach; /* on a bridge, or a macvtap filtered by its own netdev hooks */
	uint8_t mac[6];        /* the port's own (host side) MAC, to notice a replacement */
	char *note;            /* why the port is failed, or why its rules are stale; or NULL */
	int64_t created_at;
	/* learning: the binding gives no IP and the filters need one */
	bool learns;
	bool is_blocked;  /* learning failed: everything is dropped until relearn */
	bool is_settling; /* learned during this capture read; its rules go in at its end */
	enum learn_mode learn_mode;
	uint8_t (*servers)[4]; /* owned; DHCPSERVER, n_servers == 0: any server */
	size_t n_servers;
	struct learn_xids xids;
	struct port_addr *addrs; /* owned, n_addrs */
	size_t n_addrs;
	int64_t learning_since; /* unix seconds while learning */
	int learn_timeout_s;    /* 0: no timeout */
};

enum daemon_event_type {
	DAEMON_EVENT_BINDING_CREATED,
	DAEMON_EVENT_BINDING_DELETED,
	DAEMON_EVENT_BINDING_UPDATED,
	DAEMON_EVENT_PORT_GONE,
	DAEMON_EVENT_PORT_RENAMED,
	DAEMON_EVENT_PORT_FAILED,
	DAEMON_EVENT_FILTER_DEFINED,
	DAEMON_EVENT_FILTER_UNDEFINED,
	DAEMON_EVENT_RELOADED,
	DAEMON_EVENT_LEARNING,
	DAEMON_EVENT_LEARNED,
	DAEMON_EVENT_RENEWED,
	DAEMON_EVENT_ADDRESS_REMOVED,
	DAEMON_EVENT_EXPIRED,
	DAEMON_EVENT_CONFLICT,
	DAEMON_EVENT__MAX,
};

extern const char *const daemon_event_names[DAEMON_EVENT__MAX];

struct daemon_event {
	enum daemon_event_type type;
	const char *port;   /* or NULL */
	const char *filter; /* or NULL */
	const char *message;
	const char *address; /* the address a learning event is about, or NULL */
	/* learned: from the kernel's timestamp of the frame to the full rules committed */
	bool has_latency;
	int64_t latency_us;
	const char *latency_from; /* "kernel": its NFLOG timestamp; "daemon": read from NFLOG */
};

typedef void (*daemon_event_fn)(const struct daemon_event *ev, void *userdata);

struct daemon;

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
 * whose tree uses it, each port atomically. Ports whose rebuild fails keep
 * their old rules; their names and reasons go to *failures (may be NULL).
 */
int daemon_filter_define(struct daemon *d, const char *xml, struct strbuf *failures,
			 struct err *err);
/* Refused (-EBUSY) while a binding uses the filter, naming the bindings. */
int daemon_filter_undefine(struct daemon *d, const char *name, struct err *err);
/* Re-reads the filter directories (SIGHUP): parse, diff, apply, swap; on error keep the old set. */
int daemon_reload(struct daemon *d, struct strbuf *failures, struct err *err);

/* Bindings; each takes ownership of b, also on failure. */
int daemon_binding_create(struct daemon *d, struct binding *b, struct err *err);
int daemon_binding_delete(struct daemon *d, const char *port, struct err *err);
const struct port *daemon_port_find(const struct daemon *d, const char *name);
size_t daemon_port_count(const struct daemon *d);
/* The i-th port in name order. */
const struct port *daemon_port_get(const struct daemon *d, size_t i);
int daemon_binding_dumpxml(struct daemon *d, const char *port, char **ret, struct err *err);

/* Learning */
struct daemon_learn_stats {
	uint64_t n_records;
	uint64_t n_unknown_port; /* records for ports that are not bound */
	uint64_t verdicts[_LEARN_VERDICT_MAX];
	uint64_t drops[_LEARN_DROP_MAX];
};
/*
 * One NFLOG record from the capture: parse, decide, act. The rules of ports
 * that learned an address go in at daemon_learn_flush(), after the read.
 */
void daemon_learn_record(struct daemon *d, const uint8_t *record, size_t len);
/* Applies what the records of one read taught, in one transaction; then the events. */
void daemon_learn_flush(struct daemon *d);
/* Lease ends and learning timeouts; now in unix seconds. */
void daemon_tick(struct daemon *d, int64_t now);
/* Starts learning again: forgets the learned addresses, back to the learning rules. */
int daemon_binding_relearn(struct daemon *d, const char *port, struct err *err);
const struct daemon_learn_stats *daemon_learn_stats(const struct daemon *d);
unsigned daemon_nflog_group(const struct daemon *d);

/* A link event from the watcher: a bound port disappeared, was renamed or changed MAC (mac may be
 * NULL). */
void daemon_link_gone(struct daemon *d, int ifindex, const char *name);
void daemon_link_changed(struct daemon *d, int ifindex, const char *name, const uint8_t mac[6]);
