/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * link/link.c against the real kernel. Each test first moves this process
 * into a fresh network namespace (unshare(CLONE_NEWNET)), so it only ever
 * sees and changes links it made; without root or namespaces it is skipped
 * and never touches the namespace it started in. Links are made with `ip`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <net/if_arp.h>

#include "link/link.h"

struct events {
	struct link_event *ev;
	size_t n, cap;
};

static bool enter_private_netns(void)
{
	if (geteuid() != 0) {
		print_message("skipping: needs root for a private network namespace\n");
		return false;
	}
	if (unshare(CLONE_NEWNET) < 0) {
		print_message("skipping: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return false;
	}
	return true;
}

/* skip() returns from the test: nothing below runs in the original namespace. */
#define REQUIRE_NETNS()                     \
	do {                                \
		if (!enter_private_netns()) \
			skip();             \
	} while (0)

static void __attribute__((format(printf, 1, 2))) run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	if (r != 0)
		print_error("command failed (%d): %s\n", r, cmd);
	assert_int_equal(r, 0);
}

static void collect(const struct link_event *ev, void *userdata)
{
	struct events *e = userdata;

	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 64;
		e->ev = realloc(e->ev, e->cap * sizeof(*e->ev));
		assert_non_null(e->ev);
	}
	e->ev[e->n++] = *ev;
}

static void events_reset(struct events *e)
{
	e->n = 0;
}

static void events_free(struct events *e)
{
	free(e->ev);
	*e = (struct events){ 0 };
}

/* Reads until the dump (if any) ended and nothing more arrives for a moment. */
static void pump(struct link_watch *lw, struct events *e)
{
	struct pollfd pfd = { .fd = link_watch_fd(lw), .events = POLLIN };

	for (int i = 0; i < 2000; i++) {
		assert_true(link_watch_dispatch(lw, collect, e, 0) >= 0);
		if (poll(&pfd, 1, link_watch_is_dumping(lw) ? 2000 : 50) == 0 &&
		    !link_watch_is_dumping(lw))
			return;
	}
	fail_msg("the watcher never went quiet");
}

static const struct link_event *find(const struct events *e, enum link_event_type type,
				     const char *name)
{
	for (size_t i = e->n; i-- > 0;)
		if (e->ev[i].type == type && (!name || strcmp(e->ev[i].info.name, name) == 0))
			return &e->ev[i];
	return NULL;
}

static size_t count(const struct events *e, enum link_event_type type)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n; i++)
		n += e->ev[i].type == type;
	return n;
}

static struct link_watch *open_watch(void)
{
	struct link_watch *lw = NULL;
	struct err err = { 0 };

	assert_int_equal(link_watch_open(&lw, &err), 0);
	assert_non_null(lw);
	return lw;
}

static void test_dump(void **state)
{
	struct events e = { 0 };
	struct link_watch *lw;
	const struct link_event *ev;

	REQUIRE_NETNS();
	run("ip link add name vgdA type veth peer name vgdB");
	run("ip link add name vgbr0 type bridge");
	run("ip link set dev vgdA master vgbr0");
	lw = open_watch();
	assert_false(link_watch_is_dumping(lw));
	assert_int_equal(link_watch_request_dump(lw), 0);
	assert_true(link_watch_is_dumping(lw));
	pump(lw, &e);
	assert_false(link_watch_is_dumping(lw));
	assert_int_equal(count(&e, LINK_EVENT_RESYNC), 0);
	assert_int_equal(e.n, 4);
	for (size_t i = 0; i < e.n; i++) {
		assert_int_equal(e.ev[i].type, LINK_EVENT_NEW);
		assert_true(e.ev[i].is_dump);
	}
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "lo"));
	assert_int_equal(ev->info.ifindex, 1);
	assert_int_equal(ev->info.type, ARPHRD_LOOPBACK);
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgbr0"));
	assert_string_equal(ev->info.kind, "bridge");
	int br = ev->info.ifindex;
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgdA"));
	assert_string_equal(ev->info.kind, "veth");
	assert_int_equal(ev->info.type, ARPHRD_ETHER);
	assert_true(ev->info.has_mac);
	assert_int_equal(ev->info.master, br);
	assert_false(ev->info.is_up);
	lw = link_watch_close(lw);
	assert_null(lw);
	assert_null(link_watch_close(NULL));
	events_free(&e);
}

static void test_lifecycle(void **state)
{
	static const uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
	struct link_info info, old;
	struct err err = { 0 };
	struct events e = { 0 };
	struct link_watch *lw;
	const struct link_event *ev;
	int ifindex;

	REQUIRE_NETNS();
	lw = open_watch();

	run("ip link add name vgA type veth peer name vgB");
	pump(lw, &e);
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgA"));
	assert_false(ev->is_dump);
	assert_string_equal(ev->info.kind, "veth");
	assert_non_null(find(&e, LINK_EVENT_NEW, "vgB"));
	old = ev->info;
	ifindex = old.ifindex;

	/* A rename is a RTM_NEWLINK for a known ifindex. */
	events_reset(&e);
	run("ip link set dev vgA name vgC");
	pump(lw, &e);
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgC"));
	assert_int_equal(ev->info.ifindex, ifindex);
	assert_int_equal(link_info_diff(&old, &ev->info), LINK_NAME_CHANGED);
	assert_null(find(&e, LINK_EVENT_DEL, NULL));
	old = ev->info;

	events_reset(&e);
	run("ip link set dev vgC address 02:00:00:00:00:01");
	pump(lw, &e);
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgC"));
	assert_int_equal(link_info_diff(&old, &ev->info), LINK_MAC_CHANGED);
	assert_memory_equal(ev->info.mac, mac, 6);
	old = ev->info;

	events_reset(&e);
	run("ip link set dev vgC up");
	pump(lw, &e);
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgC"));
	assert_int_equal(link_info_diff(&old, &ev->info), LINK_UP_CHANGED);
	assert_true(ev->info.is_up);
	old = ev->info;

	/* Fail closed: set it down ourselves, and see the kernel say so. */
	events_reset(&e);
	assert_int_equal(link_set_down("vgC", &err), 0);
	pump(lw, &e);
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgC"));
	assert_int_equal(link_info_diff(&old, &ev->info) & LINK_UP_CHANGED, LINK_UP_CHANGED);
	assert_false(ev->info.is_up);

	assert_int_equal(link_lookup_name("vgC", &info, &err), 0);
	assert_int_equal(info.ifindex, ifindex);
	assert_false(info.is_up);
	assert_true(info.has_mac);
	assert_memory_equal(info.mac, mac, 6);
	assert_string_equal(info.kind, "veth");
	memset(&info, 0, sizeof(info));
	assert_int_equal(link_lookup_index(ifindex, &info, &err), 0);
	assert_string_equal(info.name, "vgC");

	/* By index too, and setting a down link down is fine. */
	run("ip link set dev vgC up");
	assert_int_equal(link_set_down_index(ifindex, &err), 0);
	assert_int_equal(link_set_down_index(ifindex, &err), 0);
	assert_int_equal(link_lookup_index(ifindex, &info, &err), 0);
	assert_false(info.is_up);

	/* Deleting one end of a veth removes both. */
	events_reset(&e);
	run("ip link del dev vgC");
	pump(lw, &e);
	assert_non_null(ev = find(&e, LINK_EVENT_DEL, "vgC"));
	assert_int_equal(ev->info.ifindex, ifindex);
	assert_non_null(find(&e, LINK_EVENT_DEL, "vgB"));
	assert_int_equal(count(&e, LINK_EVENT_RESYNC), 0);

	lw = link_watch_close(lw);
	events_free(&e);
}

static void test_bridge_port_is_not_a_deletion(void **state)
{
	struct events e = { 0 };
	struct link_watch *lw;
	const struct link_event *ev;

	REQUIRE_NETNS();
	run("ip link add name vgbr1 type bridge");
	run("ip link add name vgP type veth peer name vgQ");
	lw = open_watch();

	run("ip link set dev vgP master vgbr1");
	pump(lw, &e);
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgP"));
	assert_true(ev->info.master > 0);

	/* The kernel sends an AF_BRIDGE RTM_DELLINK here: the port still exists. */
	events_reset(&e);
	run("ip link set dev vgP nomaster");
	pump(lw, &e);
	assert_null(find(&e, LINK_EVENT_DEL, NULL));
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgP"));
	assert_int_equal(ev->info.master, 0);

	lw = link_watch_close(lw);
	events_free(&e);
}

static void test_tap_and_macvtap(void **state)
{
	struct events e = { 0 };
	struct link_watch *lw;
	const struct link_event *ev;

	REQUIRE_NETNS();
	lw = open_watch();
	run("ip link add name vgL type veth peer name vgM");
	if (system("ip link add name vgmvt link vgL type macvtap mode bridge 2>/dev/null") == 0) {
		pump(lw, &e);
		assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgmvt"));
		assert_string_equal(ev->info.kind, "macvtap");
		assert_true(ev->info.has_mac);
	} else {
		print_message("macvtap unavailable here: not checked\n");
	}
	if (system("ip tuntap add name vgtap mode tap 2>/dev/null") == 0) {
		events_reset(&e);
		pump(lw, &e);
		assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgtap"));
		assert_string_equal(ev->info.kind, "tun");
		assert_int_equal(ev->info.type, ARPHRD_ETHER);
	} else {
		print_message("tap unavailable here: not checked\n");
	}
	lw = link_watch_close(lw);
	events_free(&e);
}

static void test_sync_errors(void **state)
{
	struct link_info info, untouched;
	struct err err = { 0 };

	REQUIRE_NETNS();
	memset(&info, 0x5a, sizeof(info));
	untouched = info;
	assert_int_equal(link_lookup_name("vnet0", &info, &err), -ENODEV);
	assert_string_equal(err.msg, "interface vnet0 not found");
	assert_memory_equal(&info, &untouched, sizeof(info));
	assert_int_equal(link_lookup_index(9999, &info, &err), -ENODEV);
	assert_string_equal(err.msg, "interface with index 9999 not found");
	assert_int_equal(link_lookup_index(0, &info, &err), -EINVAL);
	assert_int_equal(link_lookup_name("a/b", &info, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'a/b'"));
	assert_int_equal(link_lookup_name("0123456789abcdef", &info, &err), -EINVAL);
	assert_int_equal(link_lookup_name("", &info, &err), -EINVAL);
	assert_int_equal(link_lookup_name("a\nb", &info, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "'a\\x0ab'"));
	assert_memory_equal(&info, &untouched, sizeof(info));

	assert_int_equal(link_set_down("vnet0", &err), -ENODEV);
	assert_string_equal(err.msg,
			    "cannot set interface vnet0 down: not found (already removed?)");
	assert_int_equal(link_set_down_index(9999, &err), -ENODEV);
	assert_int_equal(link_set_down(NULL, &err), -EINVAL);
	assert_int_equal(link_set_down_index(-1, &err), -EINVAL);

	/* The loopback of the fresh namespace is there. */
	assert_int_equal(link_lookup_name("lo", &info, &err), 0);
	assert_int_equal(info.ifindex, 1);
}

static void test_overrun_resync(void **state)
{
	struct events e = { 0 };
	struct link_watch *lw;
	const struct link_event *ev;
	FILE *f;
	char path[] = "/tmp/vg-link-batch-XXXXXX";
	int fd, tiny = 1;
	struct link_watch_stats stats;

	REQUIRE_NETNS();
	run("ip link add name vgO type veth peer name vgO2");
	lw = open_watch();
	/* The smallest buffer the kernel allows: a few notifications fill it. */
	assert_int_equal(setsockopt(link_watch_fd(lw), SOL_SOCKET, SO_RCVBUF, &tiny, sizeof(tiny)),
			 0);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = 0; i < 200; i++)
		fprintf(f, "link set dev vgO address 02:00:00:00:%02x:%02x\n", i / 256, i % 256);
	assert_int_equal(fclose(f), 0);
	run("ip -batch %s", path);
	unlink(path);

	assert_true(link_watch_dispatch(lw, collect, &e, 0) > 0);
	assert_true(count(&e, LINK_EVENT_RESYNC) >= 1);
	link_watch_get_stats(lw, &stats);
	assert_true(stats.n_overruns >= 1);
	assert_int_equal(stats.n_resyncs, count(&e, LINK_EVENT_RESYNC));

	/* The answer to RESYNC: a dump that shows the final state. */
	events_reset(&e);
	assert_int_equal(link_watch_request_dump(lw), 0);
	pump(lw, &e);
	assert_non_null(ev = find(&e, LINK_EVENT_NEW, "vgO"));
	assert_true(ev->is_dump);
	assert_int_equal(ev->info.mac[4], 0);
	assert_int_equal(ev->info.mac[5], 199);
	lw = link_watch_close(lw);
	events_free(&e);
}

static void add_many_links(int pairs)
{
	char path[] = "/tmp/vg-link-batch-XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (int i = 0; i < pairs; i++)
		fprintf(f, "link add name vgx%d type veth peer name vgy%d\n", i, i);
	assert_int_equal(fclose(f), 0);
	run("ip -batch %s", path);
	unlink(path);
}

static void test_dump_interrupted(void **state)
{
	struct events e = { 0 };
	struct link_watch *lw;
	size_t resyncs_at = SIZE_MAX, n_dump = 0;

	REQUIRE_NETNS();
	add_many_links(100); /* 201 links: several dump parts */
	lw = open_watch();
	assert_int_equal(link_watch_request_dump(lw), 0);
	/* Budget 1: one datagram, the first part; the kernel builds the next meanwhile. */
	assert_int_equal(link_watch_dispatch(lw, collect, &e, 1), 1);
	assert_true(link_watch_is_dumping(lw));
	assert_true(e.n > 0 && e.n < 201);
	/* Change the list mid-dump: a later part carries NLM_F_DUMP_INTR. */
	run("ip link add name vgz type veth peer name vgz2");
	pump(lw, &e);
	for (size_t i = 0; i < e.n; i++)
		if (e.ev[i].type == LINK_EVENT_RESYNC && resyncs_at == SIZE_MAX)
			resyncs_at = i;
	assert_int_equal(count(&e, LINK_EVENT_RESYNC), 1);
	/* RESYNC comes after the dump's last entry. */
	for (size_t i = resyncs_at; i < e.n; i++)
		assert_false(e.ev[i].is_dump);

	/* A fresh dump is complete and clean. */
	events_reset(&e);
	assert_int_equal(link_watch_request_dump(lw), 0);
	pump(lw, &e);
	assert_int_equal(count(&e, LINK_EVENT_RESYNC), 0);
	for (size_t i = 0; i < e.n; i++)
		n_dump += e.ev[i].is_dump;
	assert_int_equal(n_dump, 203);
	lw = link_watch_close(lw);
	events_free(&e);
}

static void test_dump_superseded(void **state)
{
	struct events e = { 0 };
	struct link_watch *lw;
	size_t first, n_dump = 0;
	bool seen[512] = { false };

	REQUIRE_NETNS();
	add_many_links(100);
	lw = open_watch();
	assert_int_equal(link_watch_request_dump(lw), 0);
	assert_int_equal(link_watch_dispatch(lw, collect, &e, 1), 1);
	first = e.n;
	/* A second request while the first runs: queued, the first stops counting. */
	assert_int_equal(link_watch_request_dump(lw), 0);
	assert_int_equal(link_watch_request_dump(lw), 0);
	pump(lw, &e);
	assert_false(link_watch_is_dumping(lw));
	assert_int_equal(count(&e, LINK_EVENT_RESYNC), 0);
	for (size_t i = first; i < e.n; i++) {
		int idx = e.ev[i].info.ifindex;

		if (!e.ev[i].is_dump)
			continue;
		assert_true(idx > 0 && idx < 512);
		assert_false(seen[idx]); /* each link once, from the second dump */
		seen[idx] = true;
		n_dump++;
	}
	assert_int_equal(n_dump, 201);
	lw = link_watch_close(lw);
	events_free(&e);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dump),
		cmocka_unit_test(test_lifecycle),
		cmocka_unit_test(test_bridge_port_is_not_a_deletion),
		cmocka_unit_test(test_tap_and_macvtap),
		cmocka_unit_test(test_sync_errors),
		cmocka_unit_test(test_overrun_resync),
		cmocka_unit_test(test_dump_interrupted),
		cmocka_unit_test(test_dump_superseded),
	};
	/*
	 * Skip the whole binary (77) rather than each test: cmocka prints a
	 * skipped test as "not ok # SKIP", which meson counts as a failure.
	 * The probe leaves this process in a fresh namespace, which is harmless.
	 */
	if (!enter_private_netns()) {
		printf("1..0 # SKIP needs root and unshare(CLONE_NEWNET)\n");
		return 77;
	}
	/* One test by name (a glob): test-link-xxx test_name. */
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
