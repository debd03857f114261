/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The drop log: samples of dropped frames from their own NFLOG group
 * (drop_log_group), each decoded (learn/dropped.h) into a dropped event for
 * watchers and a line in the log. The kernel already limits the samples to
 * 5/s (burst 10) per port; the log's lines are limited once more overall
 * (drop_log_rate a second), because one line per sample of a thousand ports
 * would still drown the journal. Watchers get every sample.
 */
#include "daemon/internal.h"

#include <inttypes.h>
#include <stdio.h>

#include "learn/dropped.h"
#include "link/link.h"
#include "util/clock.h"
#include "util/log.h"

/*
 * The port's name: from the links the daemon saw (every link, a bound
 * port's under its current name), else the kernel's.
 */
static void port_name(struct daemon *d, int ifindex, char name[IFNAMSIZ])
{
	const struct link_info *seen;
	struct link_info link;
	struct err err = { 0 };

	seen = daemon_link_find(d, ifindex);
	if (seen) {
		snprintf(name, IFNAMSIZ, "%s", seen->name);
		return;
	}
	/* gone already (a sample read after its port was deleted): the number says which */
	if (link_lookup_index(ifindex, &link, &err) >= 0)
		snprintf(name, IFNAMSIZ, "%s", link.name);
	else
		snprintf(name, IFNAMSIZ, "#%d", ifindex);
}

void daemon_drop_record(struct daemon *d, const uint8_t *record, size_t len)
{
	char port[IFNAMSIZ], summary[LEARN_DROPPED_SUMMARY_MAX];
	struct learn_dropped dr;
	const char *reason;
	uint64_t n_unlogged = 0;
	int r;

	r = learn_dropped_parse(record, len, fw_drop_reason_names, _FW_DROP_MAX, &dr);
	if (r < 0) {
		log_debug("drop log: a record that is no drop sample (%s)", learn_drop_name(-r));
		return;
	}
	port_name(d, dr.ifindex, port);
	reason = fw_drop_reason_names[dr.reason];
	learn_dropped_format(&dr, summary, sizeof(summary));
	struct daemon_event ev = {
		.type = ENGINE_EVENT_DROPPED,
		.port = port,
		.reason = reason,
		.message = summary,
	};
	daemon_emit(d, &ev);
	if (!ratelimit_take(&d->drop_log_lines, clock_mono_us(), &n_unlogged))
		return;
	if (n_unlogged)
		log_info("%" PRIu64 " more dropped frames not logged", n_unlogged);
	/* "dropped vnet1 source-ip from the guest: 52:54:00:..." */
	log_info("dropped %s %s %s", port, reason, summary);
}
