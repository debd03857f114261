/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * rtnetlink link messages: the bytes go to link_msg_parse() as one message
 * and to link_msgs_walk() as a datagram, the way the watcher reads them,
 * once with no dump running and once inside dump seq 1 (the seeds use it).
 * Besides "never crash": a rejection leaves the output untouched, and every
 * event carries a well-formed name, a positive ifindex and a terminated kind.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "link/link.h"
#include "link/link-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_info(const struct link_info *info)
{
	size_t n = strnlen(info->name, sizeof(info->name));

	if (info->ifindex <= 0 || n == 0 || n >= sizeof(info->name) ||
	    !link_name_is_valid(info->name, n) || strnlen(info->kind, sizeof(info->kind)) >= 16 ||
	    info->master < 0)
		abort();
}

static void check_event(const struct link_event *ev, void *userdata)
{
	unsigned *n_events = userdata;

	(*n_events)++;
	if (ev->type == LINK_EVENT_RESYNC) {
		if (ev->is_dump || ev->info.ifindex != 0)
			abort();
		return;
	}
	if (ev->type != LINK_EVENT_NEW && ev->type != LINK_EVENT_DEL)
		abort();
	if (ev->is_dump && ev->type != LINK_EVENT_NEW)
		abort();
	check_info(&ev->info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct link_event ev, sentinel;
	struct link_dump_state st;
	unsigned n_events = 0;
	void *copy;
	int r;

	/* Netlink buffers are aligned; the fuzzer's data pointer need not be. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);

	memset(&ev, 0x5a, sizeof(ev));
	memcpy(&sentinel, &ev, sizeof(ev));
	r = link_msg_parse(copy, size, &ev);
	if (r == 0) {
		if (ev.is_dump || (ev.type != LINK_EVENT_NEW && ev.type != LINK_EVENT_DEL))
			abort();
		check_info(&ev.info);
		if (link_info_diff(&ev.info, &ev.info) != 0)
			abort();
	} else if ((r != -EBADMSG && r != -ENOMSG) || memcmp(&ev, &sentinel, sizeof(ev)) != 0) {
		abort();
	}

	st = (struct link_dump_state){ 0 };
	r = link_msgs_walk(copy, size, &st, check_event, &n_events);
	if ((r != 0 && r != -EBADMSG) || st.is_dumping)
		abort();

	st = (struct link_dump_state){ .seq = 1, .is_dumping = true };
	r = link_msgs_walk(copy, size, &st, check_event, &n_events);
	if (r != 0 && r != -EBADMSG)
		abort();
	if (!st.is_dumping && (st.is_interrupted || st.is_stale))
		abort();
	free(copy);
	return 0;
}
