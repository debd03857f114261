/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the daemon's files share; nothing outside src/daemon includes this. */
#pragma once

#include "conf/conf.h"
#include "ctl/ctl.h"
#include "daemon/daemon.h"
#include "fw/compile.h"
#include "util/ratelimit.h"
#include "util/strbuf.h"

struct fw_ctx;
struct store;
struct learn_capture;

#define DAEMON_LATENCY_BUCKETS 11

/* stats.c: what the daemon counts since it started */
struct daemon_counters {
	uint64_t events[ENGINE_EVENT__MAX];
	uint64_t latency_buckets[DAEMON_LATENCY_BUCKETS]; /* cumulative, as Prometheus' le */
	uint64_t latency_count, latency_sum_us;
	uint64_t requests[_CTL_VERB_MAX + 1]; /* by verb; the last: requests that did not parse */
};

/* A filter defined at run time: kept as its canonical XML, as stored. */
struct defined_filter {
	char *name;
	char *xml;
};

struct daemon {
	struct daemon_config cfg;
	daemon_event_fn on_event;
	void *userdata;
	struct engine *engine;
	struct defined_filter *defined;
	size_t n_defined;
	struct fw_ctx *fw;
	struct store *store;
	bool is_store_open;            /* a store transaction is open */
	struct engine_actions learned; /* what the records of the running capture read asked */
	struct daemon_repairs repairs;
	struct guard_link *links; /* guard-run.c: every link seen */
	size_t n_links;
	unsigned ticks_to_gate_check; /* ticks until the IPv6 gate is listed again */
	struct daemon_counters counters;
	struct ratelimit drop_log_lines; /* droplog.c: the log's share of the dropped events */
};

/* stats.c */
/* Counts ev and hands it to the daemon's event callback: every event goes through here. */
void daemon_emit(struct daemon *d, const struct daemon_event *ev);

/* guard-run.c: every link the watcher reported, by ifindex; NULL when none */
const struct link_info *daemon_link_find(const struct daemon *d, int ifindex);

/* guard-run.c: ports no binding covers (guard_ports, guard_bridge, auto_bind) */
int daemon_guard_start(struct daemon *d, struct err *err);
void daemon_guard_link(struct daemon *d, const struct link_info *link);
void daemon_guard_link_gone(struct daemon *d, int ifindex);
/* A binding of port was created or deleted: judge the port again. */
void daemon_guard_port(struct daemon *d, const char *port);
/* After others changed the tables: the guard rules and the unbound ports back. */
void daemon_guard_repair(struct daemon *d);
void daemon_guard_free(struct daemon *d);

/* executor.c: one input through the engine, and its actions carried out */
int daemon_dispatch(struct daemon *d, const struct engine_input *in, struct strbuf *failures,
		    struct err *err);
/* Carries out a list of actions gathered outside daemon_dispatch (a capture read); takes it. */
void daemon_execute(struct daemon *d, struct engine_actions *acts);
/* Unix seconds (stored) to the engine's monotonic seconds. */
int64_t daemon_mono_time(int64_t wall);

/* filters.c */
int daemon_build_filters(const struct daemon_config *cfg, const struct defined_filter *defined,
			 size_t n_defined, struct strbuf *skipped, struct filter_set **ret,
			 struct err *err);
int daemon_defined_put(struct daemon *d, char *name, char *xml, struct defined_filter *old);
void daemon_defined_fini(struct defined_filter *df);
void daemon_log_diag(void *userdata, const struct conf_message *dm);
