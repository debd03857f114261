/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the daemon counts and reports: dropped frames per port and reason
 * (read from the kernel's counters), events, learning latencies and control
 * requests, as `vifguardctl stats` and as Prometheus' text format (printed
 * by `vifguardctl metrics`, written to node_exporter's textfile directory).
 * No address ever goes into a label: labels are ports, reasons, states,
 * event types and verbs, all bounded.
 */
#include "daemon/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "learn/capture.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/strmap.h"

/* Upper bounds of the learning-latency histogram, in microseconds. */
static const int64_t latency_bounds_us[DAEMON_LATENCY_BUCKETS] = {
	250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000,
};

void daemon_emit(struct daemon *d, const struct daemon_event *ev)
{
	struct daemon_counters *c = &d->counters;

	c->events[ev->type]++;
	if (ev->type == ENGINE_EVENT_LEARNED && ev->has_latency && ev->latency_us >= 0) {
		for (size_t i = 0; i < DAEMON_LATENCY_BUCKETS; i++)
			if (ev->latency_us <= latency_bounds_us[i])
				c->latency_buckets[i]++;
		c->latency_count++;
		c->latency_sum_us += (uint64_t)ev->latency_us;
	}
	if (d->on_event)
		d->on_event(ev, d->userdata);
}

void daemon_count_request(struct daemon *d, int verb)
{
	d->counters.requests[(unsigned)verb < _CTL_VERB_MAX ? verb : _CTL_VERB_MAX]++;
}

/* ---- dropped frames ---------------------------------------------------------- */

static int cmp_port(const void *a, const void *b)
{
	return strcmp(((const struct daemon_port_drops *)a)->port,
		      ((const struct daemon_port_drops *)b)->port);
}

struct drops_read {
	struct daemon_drops *drops;
	struct strmap by_port; /* port -> its index in drops: a listing is linear in its size */
	bool is_enomem;
};

static void add_count(const char *port, enum fw_drop_reason reason, bool is_to_vm, uint64_t packets,
		      uint64_t bytes, void *userdata)
{
	struct drops_read *rd = userdata;
	struct daemon_drops *dr = rd->drops;
	struct daemon_port_drops *p = NULL;

	unsigned at;

	if (rd->is_enomem || strlen(port) >= sizeof(p->port))
		return;
	if (strmap_get(&rd->by_port, port, &at)) {
		p = &dr->v[at];
	} else {
		struct daemon_port_drops *grown = realloc(dr->v, (dr->n + 1) * sizeof(*grown));

		if (!grown || strmap_add(&rd->by_port, port, (unsigned)dr->n) < 0) {
			if (grown)
				dr->v = grown;
			rd->is_enomem = true;
			return;
		}
		dr->v = grown;
		p = &dr->v[dr->n++];
		memset(p, 0, sizeof(*p));
		strcpy(p->port, port);
	}
	/* a port counts in both tables when it was quarantined (netdev) and bound (bridge) */
	p->packets[is_to_vm][reason] += packets;
	p->bytes[is_to_vm][reason] += bytes;
	p->total[is_to_vm] += packets;
}

int daemon_drops_read(struct daemon *d, struct daemon_drops *ret, struct err *err)
{
	struct drops_read rd = { .drops = ret };
	int r;

	*ret = (struct daemon_drops){ 0 };
	r = fw_list_drops(d->fw, add_count, &rd, err);
	strmap_fini(&rd.by_port);
	if (r >= 0 && rd.is_enomem)
		r = err_set(err, -ENOMEM, "out of memory");
	if (r < 0) {
		daemon_drops_fini(ret);
		return err_prefix(err, r, "cannot read the drop counters: ");
	}
	if (ret->n)
		qsort(ret->v, ret->n, sizeof(*ret->v), cmp_port);
	return 0;
}

const struct daemon_port_drops *daemon_drops_find(const struct daemon_drops *dr, const char *port)
{
	struct daemon_port_drops key = { 0 };

	if (!dr->n || strlen(port) >= sizeof(key.port))
		return NULL;
	strcpy(key.port, port);
	return bsearch(&key, dr->v, dr->n, sizeof(*dr->v), cmp_port);
}

void daemon_drops_fini(struct daemon_drops *dr)
{
	free(dr->v);
	*dr = (struct daemon_drops){ 0 };
}

/* ---- Prometheus' text format ------------------------------------------------ */

/* A label value: backslash, double quote and newline escaped (exposition format). */
static void add_label_value(struct strbuf *sb, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			strbuf_addc(sb, '\\');
		if (*v == '\n') {
			strbuf_add(sb, "\\n");
			continue;
		}
		strbuf_addc(sb, *v);
	}
}

static void family_head(struct strbuf *sb, const char *name, const char *type, const char *help)
{
	strbuf_addf(sb, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void add_drops(struct strbuf *sb, const struct daemon_drops *dr)
{
	static const char *const names[2] = { "vifguard_dropped_packets_total",
					      "vifguard_dropped_bytes_total" };
	static const char *const helps[2] = {
		"Frames vifguard dropped, by port, reason and direction (kernel counters).",
		"Bytes of the frames vifguard dropped, by port, reason and direction.",
	};

	for (int k = 0; k < 2; k++) {
		family_head(sb, names[k], "counter", helps[k]);
		for (size_t i = 0; i < dr->n; i++)
			for (int dir = 0; dir < 2; dir++)
				for (int r = 0; r < _FW_DROP_MAX; r++) {
					const struct daemon_port_drops *p = &dr->v[i];
					uint64_t v = k ? p->bytes[dir][r] : p->packets[dir][r];

					if (!p->packets[dir][r])
						continue;
					strbuf_addf(sb, "%s{port=\"", names[k]);
					add_label_value(sb, p->port);
					strbuf_addf(sb, "\",reason=\"%s\",direction=\"%s\"} %llu\n",
						    fw_drop_reason_names[r],
						    dir ? "to_vm" : "from_vm",
						    (unsigned long long)v);
				}
	}
}

static void add_bindings(struct strbuf *sb, const struct engine *e)
{
	size_t by_state[ENGINE_PORT__MAX] = { 0 };
	struct engine_port_info info;

	for (size_t i = 0; engine_port_get(e, i, &info); i++)
		by_state[info.state]++;
	family_head(sb, "vifguard_bindings", "gauge", "Bindings by state.");
	for (int s = 0; s < ENGINE_PORT__MAX; s++)
		strbuf_addf(sb, "vifguard_bindings{state=\"%s\"} %zu\n", engine_port_state_names[s],
			    by_state[s]);
}

static void add_events(struct strbuf *sb, const struct daemon_counters *c)
{
	static const enum engine_event_type address_events[] = {
		ENGINE_EVENT_LEARNED, ENGINE_EVENT_RENEWED,  ENGINE_EVENT_ADDRESS_REMOVED,
		ENGINE_EVENT_EXPIRED, ENGINE_EVENT_CONFLICT, ENGINE_EVENT_LIMIT,
	};

	family_head(sb, "vifguard_address_events_total", "counter",
		    "Learning events since the daemon started: addresses learned, renewed, "
		    "removed, expired, refused as another's (conflict), over the limit.");
	for (size_t i = 0; i < sizeof(address_events) / sizeof(address_events[0]); i++)
		strbuf_addf(sb, "vifguard_address_events_total{event=\"%s\"} %llu\n",
			    engine_event_names[address_events[i]],
			    (unsigned long long)c->events[address_events[i]]);
	family_head(sb, "vifguard_port_events_total", "counter",
		    "Port events since the daemon started: failed (set down), quarantined, rules "
		    "put back after others changed the tables.");
	strbuf_addf(sb,
		    "vifguard_port_events_total{event=\"port-failed\"} %llu\n"
		    "vifguard_port_events_total{event=\"quarantined\"} %llu\n"
		    "vifguard_port_events_total{event=\"rules-restored\"} %llu\n",
		    (unsigned long long)c->events[ENGINE_EVENT_PORT_FAILED],
		    (unsigned long long)c->events[ENGINE_EVENT_QUARANTINED],
		    (unsigned long long)c->events[ENGINE_EVENT_RULES_RESTORED]);
	family_head(sb, "vifguard_learning_latency_seconds", "histogram",
		    "From the kernel's timestamp of the frame that taught an address to its rules "
		    "committed.");
	for (size_t i = 0; i < DAEMON_LATENCY_BUCKETS; i++)
		strbuf_addf(sb, "vifguard_learning_latency_seconds_bucket{le=\"%g\"} %llu\n",
			    (double)latency_bounds_us[i] / 1e6,
			    (unsigned long long)c->latency_buckets[i]);
	strbuf_addf(sb,
		    "vifguard_learning_latency_seconds_bucket{le=\"+Inf\"} %llu\n"
		    "vifguard_learning_latency_seconds_sum %.6f\n"
		    "vifguard_learning_latency_seconds_count %llu\n",
		    (unsigned long long)c->latency_count, (double)c->latency_sum_us / 1e6,
		    (unsigned long long)c->latency_count);
}

static void add_requests(struct strbuf *sb, const struct daemon_counters *c)
{
	family_head(sb, "vifguard_control_requests_total", "counter",
		    "Control requests since the daemon started, by verb (invalid: did not parse).");
	for (int v = 0; v <= _CTL_VERB_MAX; v++)
		strbuf_addf(sb, "vifguard_control_requests_total{verb=\"%s\"} %llu\n",
			    v < _CTL_VERB_MAX ? ctl_verb_to_string((enum ctl_verb)v) : "invalid",
			    (unsigned long long)c->requests[v]);
}

int daemon_metrics_format(struct daemon *d, const struct learn_capture *capture,
			  const struct learn_capture *drop_capture, struct strbuf *sb,
			  struct err *err)
{
	struct daemon_drops dr;
	const struct engine_learn_stats *ls = engine_learn_stats(d->engine);
	int r = daemon_drops_read(d, &dr, err);

	if (r < 0)
		return r;
	add_drops(sb, &dr);
	daemon_drops_fini(&dr);
	add_bindings(sb, d->engine);
	add_events(sb, &d->counters);
	family_head(sb, "vifguard_learning_records_total", "counter",
		    "Frames the kernel copied to the daemon for learning.");
	strbuf_addf(sb, "vifguard_learning_records_total %llu\n",
		    (unsigned long long)ls->n_records);
	family_head(sb, "vifguard_capture_overruns_total", "counter",
		    "Copies lost because the daemon read them too late: learning copies, drop-log "
		    "samples.");
	if (capture)
		strbuf_addf(sb, "vifguard_capture_overruns_total{capture=\"learning\"} %llu\n",
			    (unsigned long long)learn_capture_overruns(capture));
	if (drop_capture)
		strbuf_addf(sb, "vifguard_capture_overruns_total{capture=\"drop-log\"} %llu\n",
			    (unsigned long long)learn_capture_overruns(drop_capture));
	add_requests(sb, &d->counters);
	return strbuf_error(sb) < 0 ? err_set(err, -ENOMEM, "out of memory") : 0;
}

int daemon_metrics_write(struct daemon *d, const struct learn_capture *capture,
			 const struct learn_capture *drop_capture, const char *path,
			 struct err *err)
{
	_cleanup_free_ char *tmp = NULL;
	struct strbuf sb;
	size_t done = 0;
	int fd, r;

	strbuf_init(&sb);
	r = daemon_metrics_format(d, capture, drop_capture, &sb, err);
	if (r < 0) {
		strbuf_fini(&sb);
		return r;
	}
	/* node_exporter reads only *.prom: the temporary file is never read half-written */
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		strbuf_fini(&sb);
		return err_set(err, -ENOMEM, "out of memory");
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		strbuf_fini(&sb);
		return err_set(err, r, "cannot write the metrics to %s: %s", tmp, strerror(-r));
	}
	while (done < sb.len) {
		ssize_t n = write(fd, sb.buf + done, sb.len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			break;
		}
		done += (size_t)n;
	}
	strbuf_fini(&sb);
	if (close(fd) < 0 && r >= 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		(void)unlink(tmp);
		return err_set(err, r, "cannot write the metrics to %s: %s", path, strerror(-r));
	}
	return 0;
}
