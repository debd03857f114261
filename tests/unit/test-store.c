/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * store/: round trips, schema versions, error paths, and crash safety (a child
 * writing in a loop is killed with SIGKILL at random moments; every committed
 * transaction must be there, whole, and no other).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store-internal.h"
#include "store/store.h"
#include "testlib.h"
#include "util/addr.h"

struct fixture {
	char dir[64];
	char path[128];
	struct store *s;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-store-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/state.db", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->s = store_close(f->s);
	(void)nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/* Opens the fixture's store with a fixed clock. */
static struct store *open_store(struct fixture *f)
{
	struct err err = { 0 };
	int r = store_open(f->path, &f->s, &err);

	if (r < 0)
		fail_msg("store_open: %s", err.msg);
	store_set_now(f->s, 1000);
	return f->s;
}

static int64_t sql_int(struct store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

static void assert_integrity_ok(struct store *s)
{
	sqlite3_stmt *st = NULL;

	assert_int_equal(
		sqlite3_prepare_v2(store_sqlite(s), "PRAGMA integrity_check", -1, &st, NULL),
		SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

/* Checks that the message has part, and shows each new message once in the TAP output. */
static void assert_msg(const struct err *err, const char *part)
{
	static char shown[ERR_MSG_MAX];

	if (!strstr(err->msg, part))
		fail_msg("message '%s' lacks '%s'", err->msg, part);
	if (strcmp(shown, err->msg) != 0) {
		printf("# %s\n", err->msg);
		memcpy(shown, err->msg, sizeof(shown));
	}
}

static struct store_binding binding(const char *port, unsigned port_id)
{
	return (struct store_binding){
		.port = port,
		.xml = "<filterbinding/>",
		.state = STORE_STATE_NEW,
		.port_id = port_id,
		.learning_since = STORE_TIME_NONE,
	};
}

/* The stored names, written out here so that the test checks the store's tables. */
static const char *const state_text[_STORE_STATE_MAX] = {
	[STORE_STATE_NEW] = "new",
	[STORE_STATE_LEARNING] = "learning",
	[STORE_STATE_ACTIVE] = "active",
	[STORE_STATE_FAILED] = "failed",
};

static const char *const source_text[_STORE_SOURCE_MAX] = {
	[STORE_SOURCE_DHCP] = "dhcp",     [STORE_SOURCE_ARP] = "arp",
	[STORE_SOURCE_IPV4] = "ipv4",     [STORE_SOURCE_STATIC] = "static",
	[STORE_SOURCE_DHCPV6] = "dhcpv6", [STORE_SOURCE_DAD] = "dad",
	[STORE_SOURCE_IPV6] = "ipv6",
};

/* An address as the daemon hands it over, from text of its family. */
static struct store_address address(const char *text, int family, enum store_source source,
				    const char *server, int64_t lease_end)
{
	struct store_address a = {
		.family = family,
		.source = source,
		.has_server = server != NULL,
		.lease_end = lease_end,
	};

	assert_int_equal(ip_parse(family, text, a.address), 0);
	if (server)
		assert_int_equal(ip_parse(family, server, a.server), 0);
	return a;
}

static int add_address(struct store *s, const char *port, const char *text, int family,
		       enum store_source source, const char *server, int64_t lease_end,
		       struct err *err)
{
	const struct store_address a = address(text, family, source, server, lease_end);

	return store_address_add(s, port, &a, err);
}

static int delete_address(struct store *s, const char *port, const char *text, int family,
			  struct err *err)
{
	uint8_t a[16];

	assert_int_equal(ip_parse(family, text, a), 0);
	return store_address_delete(s, port, family, a, err);
}

/* The first column of the first row of sql, as text, or "-" for NULL. */
static const char *sql_text(struct store *s, const char *sql)
{
	static char text[256];
	sqlite3_stmt *st = NULL;

	assert_int_equal(sqlite3_prepare_v2(store_sqlite(s), sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	snprintf(text, sizeof(text), "%s", (const char *)sqlite3_column_text(st, 0) ?: "-");
	sqlite3_finalize(st);
	return text;
}

/*
 * What the callbacks saw: the strings as text (they are borrowed only for the
 * call), the numbers in b[] and a[] (whose string pointers must not be used).
 */
struct seen {
	int n;
	int stop_at; /* callback returns -ECANCELED at this row (1-based), 0: never */
	bool set_err;
	char text[16][256];
	struct store_binding b[16];
	struct store_address a[16];
	struct store *s; /* when set, the address callback deletes what it gets */
};

static int seen_filter(const char *name, const char *xml, void *userdata, struct err *err)
{
	struct seen *seen = userdata;

	if (seen->stop_at && seen->n + 1 == seen->stop_at) {
		if (seen->set_err)
			return err_set(err, -ECANCELED, "filter %s is not wanted", name);
		return -ECANCELED;
	}
	snprintf(seen->text[seen->n++], sizeof(seen->text[0]), "%s=%s", name, xml);
	return 0;
}

static int seen_binding(const struct store_binding *b, void *userdata, struct err *err)
{
	struct seen *seen = userdata;
	char mac[MAC_TEXT_MAX] = "-";

	if (seen->stop_at && seen->n + 1 == seen->stop_at)
		return -ECANCELED;
	if (b->has_mac)
		mac_format(b->mac, mac);
	seen->b[seen->n] = *b;
	snprintf(seen->text[seen->n], sizeof(seen->text[0]), "%s|%s|%s|%s|%s|%s", b->port, b->xml,
		 state_text[b->state], mac, b->record ?: "-", b->failed_reason ?: "-");
	seen->n++;
	return 0;
}

static int seen_address(const struct store_address *a, void *userdata, struct err *err)
{
	struct seen *seen = userdata;
	char text[IP_TEXT_MAX], server[IP_TEXT_MAX] = "-";

	if (seen->stop_at && seen->n + 1 == seen->stop_at)
		return -ECANCELED;
	ip_format(a->family, a->address, text);
	if (a->has_server)
		ip_format(a->family, a->server, server);
	seen->a[seen->n] = *a;
	snprintf(seen->text[seen->n], sizeof(seen->text[0]), "%s %s v%d %s %s %" PRId64, a->port,
		 text, a->family, source_text[a->source], server, a->lease_end);
	seen->n++;
	if (seen->s)
		return store_address_delete(seen->s, a->port, a->family, a->address, err);
	return 0;
}

static void test_open_new(void **state)
{
	struct fixture *f = *state;
	struct stat st;
	char wal[160];

	open_store(f);
	assert_int_equal(sql_int(f->s, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
	assert_int_equal(sql_int(f->s, "PRAGMA user_version"), 2);
	assert_int_equal(sql_int(f->s, "PRAGMA foreign_keys"), 1);
	assert_int_equal(sql_int(f->s, "PRAGMA synchronous"), 1); /* NORMAL */
	assert_string_equal(store_path(f->s), f->path);
	assert_int_equal(store_filter_save(f->s, "a", "<filter/>", NULL), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	f->s = store_close(f->s);
	assert_null(f->s);
	assert_null(store_close(NULL));

	/* Reopening an existing file of the current version changes nothing. */
	open_store(f);
	assert_int_equal(sql_int(f->s, "PRAGMA user_version"), 2);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM filters"), 1);
}

static void test_filters(void **state)
{
	struct fixture *f = *state;
	struct seen seen = { 0 };
	struct err err = { 0 };

	open_store(f);
	assert_int_equal(store_filter_save(f->s, "b", "<filter name='b'/>", &err), 0);
	assert_int_equal(store_filter_save(f->s, "a", "<filter name='a'/>", &err), 0);
	store_set_now(f->s, 2000);
	assert_int_equal(store_filter_save(f->s, "b", "<filter name='b' v='2'/>", &err), 0);
	assert_int_equal(store_filters_load(f->s, seen_filter, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.text[0], "a=<filter name='a'/>");
	assert_string_equal(seen.text[1], "b=<filter name='b' v='2'/>");
	assert_int_equal(sql_int(f->s, "SELECT updated_at FROM filters WHERE name = 'b'"), 2000);

	assert_int_equal(store_filter_delete(f->s, "a", &err), 0);
	assert_int_equal(store_filter_delete(f->s, "a", &err), -ENOENT);
	assert_msg(&err, "cannot delete filter a in ");
	seen.n = 0;
	assert_int_equal(store_filters_load(f->s, seen_filter, &seen, &err), 0);
	assert_int_equal(seen.n, 1);
}

static void test_bindings(void **state)
{
	struct fixture *f = *state;
	struct store_binding b = binding("vnet0", 7), c = binding("vnet1", 0);
	struct seen seen = { 0 };
	struct err err = { 0 };

	open_store(f);
	b.xml = "<filterbinding><portdev name='vnet0'/></filterbinding>";
	b.state = STORE_STATE_ACTIVE;
	b.ifindex = 42;
	b.has_mac = true;
	assert_int_equal(mac_parse("52:54:00:00:00:01", b.mac), 0);
	b.record = "{\"handles\":[1,2]}";
	b.learning_since = 5;
	b.created_at = 12345; /* ignored */
	assert_int_equal(store_binding_save(f->s, &b, &err), 0);
	assert_int_equal(store_binding_save(f->s, &c, &err), 0);
	assert_int_equal(store_bindings_load(f->s, seen_binding, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.text[0], "vnet0|<filterbinding><portdev name='vnet0'/>"
					  "</filterbinding>|active|52:54:00:00:00:01|"
					  "{\"handles\":[1,2]}|-");
	assert_int_equal(seen.b[0].port_id, 7);
	assert_int_equal(seen.b[0].ifindex, 42);
	assert_int_equal(seen.b[0].learning_since, 5);
	assert_int_equal(seen.b[0].created_at, 1000);
	assert_string_equal(seen.text[1], "vnet1|<filterbinding/>|new|-|-|-");
	assert_int_equal(seen.b[1].port_id, 0);
	assert_int_equal(seen.b[1].learning_since, STORE_TIME_NONE);
	/* On disk as before the store was typed. */
	assert_string_equal(sql_text(f->s, "SELECT state || ' ' || mac FROM bindings"
					   " WHERE port = 'vnet0'"),
			    "active 52:54:00:00:00:01");
	assert_string_equal(sql_text(f->s, "SELECT mac FROM bindings WHERE port = 'vnet1'"), "-");

	/* Upsert: everything but created_at changes, and the addresses stay. */
	assert_int_equal(add_address(f->s, "vnet0", "10.0.0.5", 4, STORE_SOURCE_ARP, NULL,
				     STORE_TIME_NONE, &err),
			 0);
	store_set_now(f->s, 3000);
	b.state = STORE_STATE_NEW;
	b.has_mac = false;
	b.record = NULL;
	b.port_id = 8;
	b.learning_since = STORE_TIME_NONE;
	assert_int_equal(store_binding_save(f->s, &b, &err), 0);
	seen.n = 0;
	assert_int_equal(store_bindings_load(f->s, seen_binding, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.text[0], "vnet0|<filterbinding><portdev name='vnet0'/>"
					  "</filterbinding>|new|-|-|-");
	assert_int_equal(seen.b[0].port_id, 8);
	assert_int_equal(seen.b[0].created_at, 1000);
	assert_int_equal(seen.b[0].learning_since, STORE_TIME_NONE);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM addresses"), 1);

	/* learning_since: stamped on entering learning, kept while learning, cleared after. */
	assert_int_equal(store_binding_set_state(f->s, "vnet0", STORE_STATE_LEARNING, NULL, &err),
			 0);
	store_set_now(f->s, 3500);
	assert_int_equal(store_binding_set_state(f->s, "vnet0", STORE_STATE_LEARNING, NULL, &err),
			 0);
	assert_int_equal(sql_int(f->s, "SELECT learning_since FROM bindings WHERE port = 'vnet0'"),
			 3000);
	assert_int_equal(store_binding_set_state(f->s, "vnet0", STORE_STATE_FAILED,
						 "learning timed out", &err),
			 0);
	seen.n = 0;
	assert_int_equal(store_bindings_load(f->s, seen_binding, &seen, &err), 0);
	assert_string_equal(seen.text[0], "vnet0|<filterbinding><portdev name='vnet0'/>"
					  "</filterbinding>|failed|-|-|learning timed out");
	assert_int_equal(seen.b[0].learning_since, STORE_TIME_NONE);

	assert_int_equal(store_binding_set_record(f->s, "vnet0", 9, "rec", &err), 0);
	seen.n = 0;
	assert_int_equal(store_bindings_load(f->s, seen_binding, &seen, &err), 0);
	assert_int_equal(seen.b[0].port_id, 9);
	assert_string_equal(seen.text[0], "vnet0|<filterbinding><portdev name='vnet0'/>"
					  "</filterbinding>|failed|-|rec|learning timed out");
}

static void test_binding_errors(void **state)
{
	struct fixture *f = *state;
	struct store_binding b = binding("vnet0", 7), c = binding("vnet1", 7);
	struct err err = { 0 };

	open_store(f);
	assert_int_equal(store_binding_save(f->s, &b, &err), 0);
	assert_int_equal(store_binding_save(f->s, &c, &err), -EEXIST);
	assert_msg(&err, "cannot save binding vnet1 in ");
	assert_msg(&err, "port id 7 is already used by another binding");
	c.port_id = 8;
	assert_int_equal(store_binding_save(f->s, &c, &err), 0);
	assert_int_equal(store_binding_set_record(f->s, "vnet1", 7, NULL, &err), -EEXIST);
	assert_msg(&err, "port id 7 is already used");
	c.port_id = 70000;
	assert_int_equal(store_binding_save(f->s, &c, &err), -EINVAL);
	assert_msg(&err, "port id 70000 is not in 0..65535");
	c.port_id = 0;
	c.state = (enum store_state)99;
	assert_int_equal(store_binding_save(f->s, &c, &err), -EINVAL);
	assert_msg(&err, "state 99 is not one of new, learning, active, failed");
	assert_int_equal(store_binding_set_state(f->s, "vnet0", _STORE_STATE_MAX, NULL, &err),
			 -EINVAL);
	assert_int_equal(store_binding_set_state(f->s, "vnet9", STORE_STATE_ACTIVE, NULL, &err),
			 -ENOENT);
	assert_msg(&err, "cannot set the state of binding vnet9 in ");
	assert_int_equal(store_binding_set_record(f->s, "vnet9", 1, "x", &err), -ENOENT);
	assert_int_equal(store_binding_delete(f->s, "vnet9", &err), -ENOENT);
	assert_msg(&err, "the port has no binding");
}

static void test_addresses(void **state)
{
	struct fixture *f = *state;
	struct store_binding b0 = binding("vnet0", 1), b1 = binding("vnet1", 2);
	struct store_address bad;
	struct seen seen = { 0 };
	struct err err = { 0 };

	open_store(f);
	assert_int_equal(store_binding_save(f->s, &b0, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b1, &err), 0);
	assert_int_equal(add_address(f->s, "vnet0", "192.168.1.10", 4, STORE_SOURCE_DHCP,
				     "192.168.1.1", 5000, &err),
			 0);
	assert_int_equal(add_address(f->s, "vnet0", "FE80::0001", 6, STORE_SOURCE_STATIC, NULL,
				     STORE_TIME_NONE, &err),
			 0);
	assert_int_equal(add_address(f->s, "vnet1", "10.0.0.2", 4, STORE_SOURCE_ARP, NULL,
				     STORE_TIME_NONE, &err),
			 0);
	/* A renewal: new lease end, same learned_at. */
	store_set_now(f->s, 4000);
	assert_int_equal(add_address(f->s, "vnet0", "192.168.1.10", 4, STORE_SOURCE_DHCP,
				     "192.168.1.2", 9000, &err),
			 0);

	assert_int_equal(store_addresses_load(f->s, NULL, seen_address, &seen, &err), 0);
	assert_int_equal(seen.n, 3);
	assert_string_equal(seen.text[0], "vnet0 192.168.1.10 v4 dhcp 192.168.1.2 9000");
	assert_int_equal(seen.a[0].learned_at, 1000);
	assert_string_equal(seen.text[1], "vnet0 fe80::1 v6 static - -1");
	assert_string_equal(seen.text[2], "vnet1 10.0.0.2 v4 arp - -1");

	seen.n = 0;
	assert_int_equal(store_addresses_load(f->s, "vnet1", seen_address, &seen, &err), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.text[0], "vnet1 10.0.0.2 v4 arp - -1");

	assert_int_equal(delete_address(f->s, "vnet0", "fe80:0::1", 6, &err), 0);
	assert_int_equal(delete_address(f->s, "vnet0", "fe80::1", 6, &err), -ENOENT);
	assert_msg(&err, "cannot delete address fe80::1 of vnet0 in ");
	assert_int_equal(store_address_delete(f->s, "vnet0", 5, (const uint8_t[16]){ 0 }, &err),
			 -EINVAL);
	assert_msg(&err, "cannot delete an address of vnet0 in ");
	assert_int_equal(store_addresses_delete_all(f->s, "vnet0", &err), 1);
	assert_int_equal(store_addresses_delete_all(f->s, "vnet0", &err), 0);
	seen.n = 0;
	assert_int_equal(store_addresses_load(f->s, NULL, seen_address, &seen, &err), 0);
	assert_int_equal(seen.n, 1);

	/* Values no binary address can have; a bad text is a row on disk: test_unknown_on_disk. */
	bad = address("10.0.0.1", 4, STORE_SOURCE_ARP, NULL, STORE_TIME_NONE);
	bad.family = 5;
	assert_int_equal(store_address_add(f->s, "vnet0", &bad, &err), -EINVAL);
	assert_msg(&err, "family 5 is not 4 or 6");
	bad.family = 4;
	bad.source = (enum store_source)99;
	assert_int_equal(store_address_add(f->s, "vnet0", &bad, &err), -EINVAL);
	assert_msg(&err, "source 99 is not one of dhcp, arp, ipv4, static");
	assert_int_equal(add_address(f->s, "vnet9", "10.0.0.1", 4, STORE_SOURCE_ARP, NULL,
				     STORE_TIME_NONE, &err),
			 -EINVAL);
	assert_msg(&err, "vnet9 has no binding");
}

/* Every state and source, and IPv4 and IPv6 addresses, come back as they went in. */
static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	struct store_binding b = binding("vnet0", 1);
	struct store_address v4 = address("192.0.2.7", 4, STORE_SOURCE_DHCP, "192.0.2.1", 7000);
	struct store_address v6 = address("2001:DB8:0:0:0:0:0:a", 6, STORE_SOURCE_STATIC,
					  "2001:db8::1", STORE_TIME_NONE);
	struct seen seen = { 0 };
	struct err err = { 0 };

	open_store(f);
	for (int k = 0; k < _STORE_STATE_MAX; k++) {
		b.state = (enum store_state)k;
		assert_int_equal(store_binding_save(f->s, &b, &err), 0);
		assert_string_equal(sql_text(f->s, "SELECT state FROM bindings"), state_text[k]);
		seen.n = 0;
		assert_int_equal(store_bindings_load(f->s, seen_binding, &seen, &err), 0);
		assert_int_equal(seen.b[0].state, k);
		assert_int_equal(
			store_binding_set_state(f->s, "vnet0", (enum store_state)k, NULL, &err), 0);
		assert_string_equal(sql_text(f->s, "SELECT state FROM bindings"), state_text[k]);
	}
	for (int k = 0; k < _STORE_SOURCE_MAX; k++) {
		v4.source = (enum store_source)k;
		assert_int_equal(store_address_add(f->s, "vnet0", &v4, &err), 0);
		assert_string_equal(sql_text(f->s, "SELECT source FROM addresses"), source_text[k]);
	}
	v4.source = STORE_SOURCE_STATIC;
	v4.port = "ignored";
	v4.learned_at = 12345; /* ignored */
	assert_int_equal(store_address_add(f->s, "vnet0", &v4, &err), 0);
	assert_int_equal(store_address_add(f->s, "vnet0", &v6, &err), 0);
	seen.n = 0;
	assert_int_equal(store_addresses_load(f->s, "vnet0", seen_address, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	/* By address text: "192..." before "2001...". */
	assert_string_equal(seen.text[0], "vnet0 192.0.2.7 v4 static 192.0.2.1 7000");
	assert_string_equal(seen.text[1], "vnet0 2001:db8::a v6 static 2001:db8::1 -1");
	assert_int_equal(seen.a[0].family, 4);
	assert_memory_equal(seen.a[0].address, v4.address, 16); /* zeros after the 4 bytes */
	assert_int_equal(seen.a[0].source, STORE_SOURCE_STATIC);
	assert_true(seen.a[0].has_server);
	assert_memory_equal(seen.a[0].server, v4.server, 16);
	assert_int_equal(seen.a[0].lease_end, 7000);
	assert_int_equal(seen.a[0].learned_at, 1000);
	assert_int_equal(seen.a[1].family, 6);
	assert_memory_equal(seen.a[1].address, v6.address, 16);
	assert_int_equal(seen.a[1].source, STORE_SOURCE_STATIC);
	assert_true(seen.a[1].has_server);
	assert_memory_equal(seen.a[1].server, v6.server, 16);
	assert_int_equal(seen.a[1].lease_end, STORE_TIME_NONE);
	/* Canonical text on disk, the key of each address. */
	assert_string_equal(sql_text(f->s, "SELECT address || ' ' || detail FROM addresses"
					   " WHERE family = 6"),
			    "2001:db8::a 2001:db8::1");
	assert_string_equal(sql_text(f->s, "SELECT address || ' ' || detail FROM addresses"
					   " WHERE family = 4"),
			    "192.0.2.7 192.0.2.1");
	/* Without a server. */
	v6.has_server = false;
	assert_int_equal(store_address_add(f->s, "vnet0", &v6, &err), 0);
	assert_string_equal(sql_text(f->s, "SELECT detail FROM addresses WHERE family = 6"), "-");
	seen.n = 0;
	assert_int_equal(store_addresses_load(f->s, "vnet0", seen_address, &seen, &err), 0);
	assert_false(seen.a[1].has_server);
	assert_int_equal(delete_address(f->s, "vnet0", "2001:db8::a", 6, &err), 0);
	assert_int_equal(delete_address(f->s, "vnet0", "192.0.2.7", 4, &err), 0);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM addresses"), 0);
}

/* Writes rows the CHECK constraints would refuse, as a hand edit might. */
static void sql_unchecked(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(store_sqlite(s), sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
}

/* A value this vifguard cannot read stops the load at its row, and the message names the row. */
static void test_unknown_on_disk(void **state)
{
	static const struct {
		const char *sql, *msg;
	} bad_addresses[] = {
		{ "UPDATE addresses SET source = 'guess'",
		  "address 10.0.0.1 of vnet1 has source 'guess', which is not one of dhcp, arp, "
		  "ipv4, static" },
		{ "UPDATE addresses SET address = '10.0.0.256'",
		  "address '10.0.0.256' of vnet1 is not an IPv4 address" },
		{ "UPDATE addresses SET family = 6",
		  "address '10.0.0.1' of vnet1 is not an IPv6 address" },
		{ "UPDATE addresses SET family = 5",
		  "address '10.0.0.1' of vnet1 has family 5, which is not 4 or 6" },
		{ "UPDATE addresses SET detail = 'server1'",
		  "address 10.0.0.1 of vnet1 has DHCP server 'server1', which is not an IPv4 "
		  "address" },
	};
	struct fixture *f = *state;
	struct store_binding b0 = binding("vnet0", 1), b1 = binding("vnet1", 2);
	struct seen seen = { 0 };
	struct err err = { 0 };
	char sql[128];

	open_store(f);
	assert_int_equal(store_binding_save(f->s, &b0, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b1, &err), 0);
	sql_unchecked(f->s, "PRAGMA ignore_check_constraints = ON");

	sql_unchecked(f->s, "UPDATE bindings SET state = 'bound' WHERE port = 'vnet1'");
	assert_int_equal(store_bindings_load(f->s, seen_binding, &seen, &err), -EIO);
	assert_int_equal(seen.n, 1); /* vnet0, before it */
	assert_msg(&err, "cannot load bindings from ");
	assert_msg(&err, f->path);
	assert_msg(&err, "binding vnet1 has state 'bound', which is not one of new, learning, "
			 "active, failed");
	assert_msg(&err, "move the file aside");
	sql_unchecked(f->s,
		      "UPDATE bindings SET state = 'new', mac = '52:54:00' WHERE port = 'vnet1'");
	seen.n = 0;
	assert_int_equal(store_bindings_load(f->s, seen_binding, &seen, &err), -EIO);
	assert_msg(&err, "binding vnet1 has MAC '52:54:00', which is not a MAC address");
	sql_unchecked(f->s, "UPDATE bindings SET mac = NULL WHERE port = 'vnet1'");

	for (size_t i = 0; i < sizeof(bad_addresses) / sizeof(bad_addresses[0]); i++) {
		sql_unchecked(f->s, "DELETE FROM addresses");
		assert_int_equal(
			add_address(f->s, "vnet0", "10.0.0.9", 4, STORE_SOURCE_ARP, NULL, 50, &err),
			0);
		assert_int_equal(add_address(f->s, "vnet1", "10.0.0.1", 4, STORE_SOURCE_DHCP,
					     "10.0.0.254", 50, &err),
				 0);
		snprintf(sql, sizeof(sql), "%s WHERE port = 'vnet1'", bad_addresses[i].sql);
		sql_unchecked(f->s, sql);
		seen.n = 0;
		assert_int_equal(store_addresses_load(f->s, NULL, seen_address, &seen, &err), -EIO);
		assert_int_equal(seen.n, 1);
		assert_msg(&err, "cannot load addresses from ");
		assert_msg(&err, bad_addresses[i].msg);
		seen.n = 0;
		assert_int_equal(store_addresses_load(f->s, "vnet1", seen_address, &seen, &err),
				 -EIO);
		assert_int_equal(seen.n, 0);
		assert_msg(&err, bad_addresses[i].msg);
		assert_int_equal(store_addresses_expired(f->s, 60, seen_address, &seen, &err),
				 -EIO);
		assert_msg(&err, bad_addresses[i].msg);
	}
	/* Readable again once the row is fixed. */
	sql_unchecked(f->s, "UPDATE addresses SET detail = NULL WHERE port = 'vnet1'");
	seen.n = 0;
	assert_int_equal(store_addresses_load(f->s, NULL, seen_address, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
}

static void test_cascade(void **state)
{
	struct fixture *f = *state;
	struct store_binding b0 = binding("vnet0", 1), b1 = binding("vnet1", 2);
	struct err err = { 0 };

	open_store(f);
	assert_int_equal(store_binding_save(f->s, &b0, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b1, &err), 0);
	assert_int_equal(add_address(f->s, "vnet0", "10.0.0.1", 4, STORE_SOURCE_ARP, NULL,
				     STORE_TIME_NONE, &err),
			 0);
	assert_int_equal(add_address(f->s, "vnet0", "10.0.0.2", 4, STORE_SOURCE_IPV4, NULL,
				     STORE_TIME_NONE, &err),
			 0);
	assert_int_equal(add_address(f->s, "vnet1", "10.0.0.3", 4, STORE_SOURCE_ARP, NULL,
				     STORE_TIME_NONE, &err),
			 0);
	assert_int_equal(store_binding_delete(f->s, "vnet0", &err), 0);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM addresses WHERE port = 'vnet0'"), 0);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM addresses"), 1);
}

static void test_expired(void **state)
{
	struct fixture *f = *state;
	struct store_binding b0 = binding("vnet0", 1), b1 = binding("vnet1", 2);
	struct seen seen = { 0 };
	struct err err = { 0 };

	open_store(f);
	assert_int_equal(store_binding_save(f->s, &b0, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b1, &err), 0);
	assert_int_equal(
		add_address(f->s, "vnet0", "10.0.0.1", 4, STORE_SOURCE_DHCP, NULL, 200, &err), 0);
	assert_int_equal(
		add_address(f->s, "vnet1", "10.0.0.2", 4, STORE_SOURCE_DHCP, NULL, 100, &err), 0);
	assert_int_equal(add_address(f->s, "vnet1", "10.0.0.3", 4, STORE_SOURCE_ARP, NULL,
				     STORE_TIME_NONE, &err),
			 0);
	assert_int_equal(store_addresses_expired(f->s, 99, seen_address, &seen, &err), 0);
	assert_int_equal(seen.n, 0);
	assert_int_equal(store_addresses_expired(f->s, 150, seen_address, &seen, &err), 0);
	assert_int_equal(seen.n, 1);
	assert_string_equal(seen.text[0], "vnet1 10.0.0.2 v4 dhcp - 100");

	/* lease_end <= now, oldest first; the callback may delete what it is given. */
	seen = (struct seen){ .s = f->s };
	assert_int_equal(store_addresses_expired(f->s, 200, seen_address, &seen, &err), 0);
	assert_int_equal(seen.n, 2);
	assert_string_equal(seen.text[0], "vnet1 10.0.0.2 v4 dhcp - 100");
	assert_string_equal(seen.text[1], "vnet0 10.0.0.1 v4 dhcp - 200");
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM addresses"), 1);
}

static void test_load_stops(void **state)
{
	struct fixture *f = *state;
	struct store_binding b0 = binding("vnet0", 1), b1 = binding("vnet1", 2);
	struct seen seen = { .stop_at = 2 };
	struct err err = { 0 };

	open_store(f);
	assert_int_equal(store_filter_save(f->s, "a", "<a/>", &err), 0);
	assert_int_equal(store_filter_save(f->s, "b", "<b/>", &err), 0);
	assert_int_equal(store_filter_save(f->s, "c", "<c/>", &err), 0);
	assert_int_equal(store_filters_load(f->s, seen_filter, &seen, &err), -ECANCELED);
	assert_int_equal(seen.n, 1);
	assert_msg(&err, "stopped loading filters from ");
	assert_msg(&err, " at b: ");
	/* A callback's own message is kept. */
	seen = (struct seen){ .stop_at = 3, .set_err = true };
	assert_int_equal(store_filters_load(f->s, seen_filter, &seen, &err), -ECANCELED);
	assert_int_equal(seen.n, 2);
	assert_string_equal(err.msg, "filter c is not wanted");

	assert_int_equal(store_binding_save(f->s, &b0, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b1, &err), 0);
	seen = (struct seen){ .stop_at = 1 };
	assert_int_equal(store_bindings_load(f->s, seen_binding, &seen, &err), -ECANCELED);
	assert_int_equal(seen.n, 0);
	assert_msg(&err, "stopped loading bindings from ");

	assert_int_equal(
		add_address(f->s, "vnet0", "10.0.0.1", 4, STORE_SOURCE_DHCP, NULL, 10, &err), 0);
	assert_int_equal(
		add_address(f->s, "vnet1", "10.0.0.2", 4, STORE_SOURCE_DHCP, NULL, 10, &err), 0);
	seen = (struct seen){ .stop_at = 2 };
	assert_int_equal(store_addresses_load(f->s, NULL, seen_address, &seen, &err), -ECANCELED);
	assert_int_equal(seen.n, 1);
	assert_msg(&err, "at 10.0.0.2 of vnet1");
	seen = (struct seen){ .stop_at = 1 };
	assert_int_equal(store_addresses_expired(f->s, 10, seen_address, &seen, &err), -ECANCELED);
	assert_int_equal(seen.n, 0);
}

static void test_transactions(void **state)
{
	struct fixture *f = *state;
	struct store_binding b0 = binding("vnet0", 1), b1 = binding("vnet1", 2);
	struct err err = { 0 };

	open_store(f);
	assert_int_equal(store_rollback(f->s, &err), 0); /* none open: nothing to do */
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b0, &err), 0);
	assert_int_equal(add_address(f->s, "vnet0", "10.0.0.1", 4, STORE_SOURCE_ARP, NULL,
				     STORE_TIME_NONE, &err),
			 0);
	assert_int_equal(store_rollback(f->s, &err), 0);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM bindings"), 0);

	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b0, &err), 0);
	assert_int_equal(store_commit(f->s, &err), 0);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM bindings"), 1);

	/* A failed statement inside a batch; the caller rolls the batch back. */
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b1, &err), 0);
	b1.port = "vnet2";
	b1.port_id = 1;
	assert_int_equal(store_binding_save(f->s, &b1, &err), -EEXIST);
	assert_int_equal(store_rollback(f->s, &err), 0);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM bindings"), 1);

	/* Closing with a transaction open discards it. */
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_binding_delete(f->s, "vnet0", &err), 0);
	f->s = store_close(f->s);
	open_store(f);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM bindings"), 1);
}

/* Makes a database with raw SQLite, bypassing the store. */
static void make_db(const char *path, const char *sql)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

static void test_schema_too_new(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };

	make_db(f->path, "PRAGMA user_version = 99; CREATE TABLE later (x);");
	assert_int_equal(store_open(f->path, &f->s, &err), -ENOTSUP);
	assert_null(f->s);
	assert_msg(&err, f->path);
	assert_msg(&err, "schema version 99, written by a newer vifguard");
	assert_msg(&err, "knows up to version 2");
}

/* A file of schema 1 (before IPv6 learning) keeps its rows and takes the new sources. */
static void test_migrate_v1(void **state)
{
	struct fixture *f = *state;
	struct store_address dad =
		address("fe80::5054:ff:fe00:1", 6, STORE_SOURCE_DAD, NULL, STORE_TIME_NONE);
	struct err err = { 0 };

	make_db(f->path,
		"PRAGMA application_id = 1986422628; PRAGMA user_version = 1;"
		"CREATE TABLE filters (name TEXT PRIMARY KEY NOT NULL, xml TEXT NOT NULL,"
		"  updated_at INTEGER NOT NULL);"
		"CREATE TABLE bindings (port TEXT PRIMARY KEY NOT NULL, xml TEXT NOT NULL,"
		"  state TEXT NOT NULL, port_id INTEGER NOT NULL DEFAULT 0,"
		"  ifindex INTEGER NOT NULL DEFAULT 0, mac TEXT, record TEXT, learning_since INTEGER,"
		"  failed_reason TEXT, created_at INTEGER NOT NULL);"
		"CREATE TABLE addresses (port TEXT NOT NULL REFERENCES bindings (port)"
		"  ON DELETE CASCADE, address TEXT NOT NULL, family INTEGER NOT NULL,"
		"  source TEXT NOT NULL CHECK (source IN ('dhcp', 'arp', 'ipv4', 'static')),"
		"  detail TEXT, lease_end INTEGER, learned_at INTEGER NOT NULL,"
		"  PRIMARY KEY (port, address)) WITHOUT ROWID;"
		"INSERT INTO bindings (port, xml, state, created_at)"
		"  VALUES ('vnet0', '<filterbinding/>', 'active', 1);"
		"INSERT INTO addresses VALUES ('vnet0', '192.0.2.7', 4, 'arp', NULL, NULL, 5);");
	open_store(f);
	assert_int_equal(sql_int(f->s, "PRAGMA user_version"), 2);
	assert_string_equal(sql_text(f->s, "SELECT address || ' ' || source || ' ' || learned_at"
					   " FROM addresses"),
			    "192.0.2.7 arp 5");
	assert_int_equal(store_address_add(f->s, "vnet0", &dad, &err), 0);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM addresses WHERE source = 'dad'"), 1);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM sqlite_master WHERE name ="
				       " 'addresses_lease_end'"),
			 1);
	assert_integrity_ok(f->s);
}

static void test_foreign_database(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };

	make_db(f->path, "CREATE TABLE moz_places (url TEXT);");
	assert_int_equal(store_open(f->path, &f->s, &err), -EINVAL);
	assert_msg(&err, "not a vifguard state database");
	make_db(f->path, "DROP TABLE moz_places; PRAGMA application_id = 1234;");
	assert_int_equal(store_open(f->path, &f->s, &err), -EINVAL);
	assert_msg(&err, "not a vifguard state database");
}

static void test_not_a_database(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	char text[5000];

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_true(test_write_file(f->path, text));
	assert_int_equal(store_open(f->path, &f->s, &err), -EIO);
	assert_null(f->s);
	assert_msg(&err, f->path);
	assert_msg(&err, "is corrupt (file is not a database)");
}

static void test_corrupt(void **state)
{
	struct fixture *f = *state;
	struct store_binding b = binding("vnet0", 1);
	struct err err = { 0 };
	char junk[4096];
	int fd;

	open_store(f);
	for (int i = 0; i < 50; i++) {
		char port[16];

		snprintf(port, sizeof(port), "vnet%d", i);
		b.port = port;
		b.port_id = (unsigned)i + 1;
		assert_int_equal(store_binding_save(f->s, &b, &err), 0);
	}
	f->s = store_close(f->s); /* checkpoints the WAL into the file */

	/* Page 1 holds the header and the schema; damage the pages after it. */
	memset(junk, 0xa5, sizeof(junk));
	fd = open(f->path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 4096), (ssize_t)sizeof(junk));
	assert_int_equal(pwrite(fd, junk, sizeof(junk), 8192), (ssize_t)sizeof(junk));
	close(fd);
	assert_int_equal(store_open(f->path, &f->s, &err), -EIO);
	assert_null(f->s);
	assert_msg(&err, f->path);
	assert_msg(&err, "is corrupt");
	assert_msg(&err, "move the file aside");
}

static void test_directory_missing(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	char path[192];

	snprintf(path, sizeof(path), "%s/missing/state.db", f->dir);
	assert_int_equal(store_open(path, &f->s, &err), -ENOENT);
	assert_null(f->s);
	assert_msg(&err, path);
	assert_msg(&err, "does its directory exist?");

	assert_int_equal(store_open(f->dir, &f->s, &err), -EISDIR);
	assert_msg(&err, "cannot open state database");
}

/* A file the daemon may read but not write: as root, checked as nobody in a child. */
static void test_read_only(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	int status;
	pid_t pid;

	open_store(f);
	f->s = store_close(f->s);
	assert_int_equal(chmod(f->path, 0444), 0);
	if (geteuid() != 0) {
		assert_int_equal(store_open(f->path, &f->s, &err), -EACCES);
		assert_msg(&err, "Permission denied");
		return;
	}
	assert_int_equal(chmod(f->dir, 0755), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s = NULL;
		int r;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		r = store_open(f->path, &s, &err);
		printf("# %s\n", err.msg);
		fflush(stdout);
		_exit(r == -EACCES && strstr(err.msg, "Permission denied") && !s ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static mode_t file_mode(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	return st.st_mode & 07777;
}

/* A link at the database's name would send the daemon's writes to its target. */
static void test_symlink_refused(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	char target[192], wal[160];
	struct stat st;

	snprintf(target, sizeof(target), "%s/elsewhere", f->dir);
	assert_true(test_write_file(target, "not yours"));
	assert_int_equal(symlink(target, f->path), 0);
	assert_int_equal(store_open(f->path, &f->s, &err), -ELOOP);
	assert_null(f->s);
	assert_msg(&err, f->path);
	assert_msg(&err, "is a symbolic link; it must be a regular file (remove the link)");
	assert_int_equal(stat(target, &st), 0);
	assert_int_equal(st.st_size, 9); /* untouched */

	/* A dangling link: O_CREAT would have created its target. */
	assert_int_equal(unlink(target), 0);
	assert_int_equal(store_open(f->path, &f->s, &err), -ELOOP);
	assert_int_equal(access(target, F_OK), -1);

	/* The same at the write-ahead log SQLite opens beside the database. */
	assert_int_equal(unlink(f->path), 0);
	open_store(f);
	f->s = store_close(f->s);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(symlink(target, wal), 0);
	assert_int_equal(store_open(f->path, &f->s, &err), -ELOOP);
	assert_msg(&err, "-wal is a symbolic link");
	assert_int_equal(access(target, F_OK), -1);
}

/*
 * A link on the directory's path is fine: DynamicUser= makes /var/lib/vifguard
 * one (SQLITE_OPEN_NOFOLLOW alone would refuse it).
 */
static void test_symlinked_dir(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	char real[96], link[96], path[128];

	snprintf(real, sizeof(real), "%s/private", f->dir);
	snprintf(link, sizeof(link), "%s/public", f->dir);
	snprintf(path, sizeof(path), "%s/state.db", link);
	assert_int_equal(mkdir(real, 0700), 0);
	assert_int_equal(symlink("private", link), 0);
	assert_int_equal(store_open(path, &f->s, &err), 0);
	assert_string_equal(store_path(f->s), path); /* messages name the path as given */
	f->s = store_close(f->s);
	snprintf(path, sizeof(path), "%s/state.db", real);
	assert_int_equal(file_mode(path), 0600);
}

/* A database left readable by others (an older install, a restored backup) is narrowed. */
static void test_mode_narrowed(void **state)
{
	struct fixture *f = *state;
	struct store *other = NULL;
	struct err err = { 0 };
	char wal[160], shm[160];

	/* f->s stays open, so its -wal and -shm exist when the next open checks them. */
	open_store(f);
	assert_int_equal(store_filter_save(f->s, "a", "<filter/>", NULL), 0);
	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	snprintf(shm, sizeof(shm), "%s-shm", f->path);
	assert_int_equal(chmod(f->path, 0644), 0);
	assert_int_equal(chmod(wal, 0666), 0);
	assert_int_equal(chmod(shm, 0640), 0);
	assert_int_equal(store_open(f->path, &other, &err), 0);
	assert_int_equal(file_mode(f->path), 0600);
	assert_int_equal(file_mode(wal), 0600);
	assert_int_equal(file_mode(shm), 0600);
	assert_int_equal(sql_int(other, "SELECT count(*) FROM filters"), 1);
	other = store_close(other);

	/* Narrowed, never widened: a 0400 file stays 0400. */
	f->s = store_close(f->s);
	assert_int_equal(chmod(f->path, 0444), 0);
	if (geteuid() == 0) {
		assert_int_equal(store_open(f->path, &f->s, &err), 0);
		assert_int_equal(file_mode(f->path), 0400);
	}
}

/* Not the file's owner: it cannot be narrowed, and is refused. As root, checked as nobody. */
static void test_mode_refused(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	int status;
	pid_t pid;

	if (geteuid() != 0) {
		printf("# needs root to make a file of another owner: skipped\n");
		return;
	}
	open_store(f);
	f->s = store_close(f->s);
	assert_int_equal(chmod(f->path, 0666), 0);
	assert_int_equal(chown(f->dir, 65534, 65534), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *s = NULL;
		int r;

		if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		r = store_open(f->path, &s, &err);
		printf("# %s\n", err.msg);
		fflush(stdout);
		_exit(r == -EPERM && strstr(err.msg, "has mode 0666, wider than 0600") && !s ? 0
											     : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(file_mode(f->path), 0666);
}

/* A directory others may enter is refused, not changed: it may be shared, like /tmp. */
static void test_dir_mode_refused(void **state)
{
	struct fixture *f = *state;
	struct err err = { 0 };
	char want[256];

	assert_int_equal(chmod(f->dir, 0755), 0);
	assert_int_equal(store_open(f->path, &f->s, &err), -EPERM);
	assert_null(f->s);
	snprintf(want, sizeof(want), "its directory %s has mode 0755, wider than 0700", f->dir);
	assert_msg(&err, want);
	assert_msg(&err, "chmod 0700");
	assert_int_equal(file_mode(f->dir), 0755);
	assert_int_equal(chmod(f->dir, 0700), 0);
	open_store(f);
}

static void test_busy(void **state)
{
	struct fixture *f = *state;
	struct store_binding b = binding("vnet0", 1);
	struct store *other = NULL;
	struct err err = { 0 };
	char want[256];

	open_store(f);
	assert_int_equal(store_open(f->path, &other, &err), 0);
	assert_int_equal(sqlite3_busy_timeout(store_sqlite(f->s), 20), SQLITE_OK);
	assert_int_equal(store_begin(other, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b, &err), -EBUSY);
	snprintf(want, sizeof(want), "cannot save binding vnet0 in %s: database is locked",
		 f->path);
	assert_string_equal(err.msg, want);
	printf("# %s\n", err.msg);
	assert_int_equal(store_begin(f->s, &err), -EBUSY);
	assert_msg(&err, "cannot begin a transaction in ");
	/* Readers are not blocked by the writer (WAL). */
	assert_int_equal(store_bindings_load(f->s, seen_binding, &(struct seen){ 0 }, &err), 0);
	assert_int_equal(store_commit(other, &err), 0);
	other = store_close(other);
	assert_int_equal(store_binding_save(f->s, &b, &err), 0);
}

static void test_disk_full(void **state)
{
	struct fixture *f = *state;
	struct store_binding b = binding("vnet0", 1);
	struct err err = { 0 };
	char sql[64], *xml;

	open_store(f);
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %" PRId64,
		 sql_int(f->s, "PRAGMA page_count"));
	assert_int_equal(sqlite3_exec(store_sqlite(f->s), sql, NULL, NULL, NULL), SQLITE_OK);
	xml = malloc(64 * 1024);
	assert_non_null(xml);
	memset(xml, 'x', 64 * 1024 - 1);
	xml[64 * 1024 - 1] = '\0';
	b.xml = xml;
	assert_int_equal(store_begin(f->s, &err), 0);
	assert_int_equal(store_binding_save(f->s, &b, &err), -ENOSPC);
	assert_msg(&err, "cannot save binding vnet0 in ");
	assert_msg(&err, "full");
	assert_int_equal(store_rollback(f->s, &err), 0);
	assert_int_equal(store_filter_save(f->s, "big", xml, &err), -ENOSPC);
	free(xml);
	b.xml = "<filterbinding/>";
	assert_int_equal(store_rollback(f->s, &err), 0);
	assert_int_equal(sql_int(f->s, "SELECT count(*) FROM bindings"), 0);
}

/* Crash safety. */

#define CRASH_PORTS   16
#define CRASH_ADDRS   5
#define CRASH_ROUNDS  30
#define CREATE_ROUNDS 20

#define CRASH_STARTED UINT64_MAX

/*
 * The child: transaction i rewrites port vnet<i % CRASH_PORTS> as counter i
 * with exactly CRASH_ADDRS addresses carrying i, sometimes deleting the
 * binding first. It reports on fd: CRASH_STARTED, then base - 1 once the
 * store is open, then i after each commit.
 */
static _Noreturn void crash_writer(const char *path, int fd, uint64_t base)
{
	struct store *s = NULL;
	uint64_t v = CRASH_STARTED;

	if (write(fd, &v, sizeof(v)) != sizeof(v) || store_open(path, &s, NULL) < 0)
		_exit(2);
	v = base - 1;
	if (write(fd, &v, sizeof(v)) != sizeof(v))
		_exit(2);
	for (uint64_t i = base;; i++) {
		char port[16], xml[64], server[IP_TEXT_MAX], addr[32];
		struct store_binding b = binding(port, (unsigned)(i % CRASH_PORTS) + 1);
		int r;

		snprintf(port, sizeof(port), "vnet%u", (unsigned)(i % CRASH_PORTS));
		snprintf(xml, sizeof(xml), "<filterbinding n='%" PRIu64 "'/>", i);
		/* The DHCP server's address carries i too. */
		ipv4_format((const uint8_t[4]){ i >> 24, i >> 16, i >> 8, i }, server);
		b.xml = xml;
		b.state = i % 2 ? STORE_STATE_ACTIVE : STORE_STATE_LEARNING;
		if (store_begin(s, NULL) < 0)
			_exit(2);
		/* Deleting first exercises the cascade inside the transaction. */
		r = i % 5 == 0 ? store_binding_delete(s, port, NULL) : 0;
		if (r < 0 && r != -ENOENT)
			_exit(2);
		if (store_binding_save(s, &b, NULL) < 0 ||
		    store_addresses_delete_all(s, port, NULL) < 0)
			_exit(2);
		for (int k = 0; k < CRASH_ADDRS; k++) {
			snprintf(addr, sizeof(addr), "10.%u.%u.%d", (unsigned)(i % CRASH_PORTS),
				 (unsigned)(i % 250), k);
			if (add_address(s, port, addr, 4, STORE_SOURCE_DHCP, server, (int64_t)i,
					NULL) < 0)
				_exit(2);
		}
		if (store_commit(s, NULL) < 0)
			_exit(2);
		if (write(fd, &i, sizeof(i)) != sizeof(i))
			_exit(2);
	}
}

struct crash_check {
	uint64_t max;
	int n_bindings;
	struct store *s;
};

static int crash_address(const struct store_address *a, void *userdata, struct err *err)
{
	uint64_t *want = userdata;

	const uint64_t server = (uint64_t)a->server[0] << 24 | a->server[1] << 16 |
				a->server[2] << 8 | a->server[3];

	assert_true(a->has_server);
	assert_int_equal(server, *want & 0xffffffff);
	assert_int_equal(a->lease_end, (int64_t)*want);
	return 0;
}

static int crash_binding(const struct store_binding *b, void *userdata, struct err *err)
{
	struct crash_check *c = userdata;
	uint64_t n = 0;

	assert_int_equal(sscanf(b->xml, "<filterbinding n='%" SCNu64 "'/>", &n), 1);
	if (n > c->max)
		c->max = n;
	c->n_bindings++;
	/* Exactly the addresses of the binding's own transaction. */
	assert_int_equal(store_addresses_load(c->s, b->port, crash_address, &n, err), 0);
	{
		char sql[96];

		snprintf(sql, sizeof(sql), "SELECT count(*) FROM addresses WHERE port = '%s'",
			 b->port);
		assert_int_equal(sql_int(c->s, sql), CRASH_ADDRS);
	}
	return 0;
}

/*
 * Runs the writer from base and kills it delay_us after it started (or, with
 * after_open, after its store_open() returned). Returns the last value it
 * reported: the last commit, base - 1 for none, -1 when it had not opened.
 */
static int64_t crash_round(const char *path, uint64_t base, unsigned delay_us, bool after_open)
{
	int64_t last = -1;
	uint64_t v = 0;
	int fds[2], status;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		crash_writer(path, fds[1], base);
	}
	close(fds[1]);
	/* Time the kill from the child's start, not the fork: forking an ASan process is slow. */
	assert_int_equal(read(fds[0], &v, sizeof(v)), sizeof(v));
	assert_true(v == CRASH_STARTED);
	if (after_open) {
		assert_int_equal(read(fds[0], &v, sizeof(v)), sizeof(v));
		last = (int64_t)v;
	}
	usleep(delay_us);
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status))
		fail_msg("writer exited with %d before it was killed", WEXITSTATUS(status));
	while (read(fds[0], &v, sizeof(v)) == sizeof(v))
		last = (int64_t)v;
	close(fds[0]);
	return last;
}

static unsigned crash_seed(void)
{
	const char *env = getenv("TEST_STORE_SEED");
	unsigned seed = env ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);

	printf("# TEST_STORE_SEED=%u\n", seed);
	return seed;
}

static void test_crash_writes(void **state)
{
	struct fixture *f = *state;
	uint64_t base = 1, commits = 0;
	unsigned seed = crash_seed();

	open_store(f); /* the schema exists; test_crash_create covers kills during creation */
	f->s = store_close(f->s);
	for (int round = 0; round < CRASH_ROUNDS; round++) {
		/* Mostly short runs, sometimes long ones whose WAL passes a checkpoint. */
		unsigned delay = round % 10 == 9 ? 200000 : (unsigned)rand_r(&seed) % 40000;
		int64_t last = crash_round(f->path, base, delay, true);
		struct crash_check c = { 0 };
		struct err err = { 0 };
		uint64_t previous = base - 1;

		open_store(f);
		assert_integrity_ok(f->s);
		c.s = f->s;
		assert_int_equal(store_bindings_load(f->s, crash_binding, &c, &err), 0);
		/*
		 * Every reported commit is there, and at most one more: the one
		 * committed just before the kill, whose report was not written yet.
		 */
		assert_true(last >= 0 && (uint64_t)last >= previous);
		assert_true(c.max >= (uint64_t)last);
		assert_true(c.max <= (uint64_t)last + 1);
		commits += (uint64_t)last - previous;
		assert_int_equal(c.n_bindings, c.max < CRASH_PORTS ? (int)c.max : CRASH_PORTS);
		f->s = store_close(f->s);
		if (c.max >= base)
			base = c.max + 1;
	}
	printf("# %d kills, %" PRIu64 " transactions committed and checked\n", CRASH_ROUNDS,
	       commits);
	assert_true(commits > 0);
}

/* Kills during store_open() of a new file, migration included. */
static void test_crash_create(void **state)
{
	struct fixture *f = *state;
	unsigned seed = crash_seed();
	char wal[160], shm[160];
	struct timespec t0, t1;
	unsigned open_us;
	int in_open = 0;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	snprintf(shm, sizeof(shm), "%s-shm", f->path);
	/* Spread the kills over four times what a creation takes here (a forked child is slower).
	 */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	open_store(f);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	f->s = store_close(f->s);
	open_us = (unsigned)((t1.tv_sec - t0.tv_sec) * 1000000 + (t1.tv_nsec - t0.tv_nsec) / 1000);
	for (int round = 0; round < CREATE_ROUNDS; round++) {
		(void)unlink(f->path);
		(void)unlink(wal);
		(void)unlink(shm);
		if (crash_round(f->path, 1, (unsigned)rand_r(&seed) % (4 * open_us + 1), false) < 0)
			in_open++;
		open_store(f);
		assert_integrity_ok(f->s);
		assert_int_equal(sql_int(f->s, "PRAGMA user_version"), 2);
		assert_int_equal(sql_int(f->s,
					 "SELECT count(*) FROM sqlite_master"
					 " WHERE name IN ('filters', 'bindings', 'addresses')"),
				 3);
		f->s = store_close(f->s);
	}
	printf("# %d kills within %u us, %d of them before store_open() returned\n", CREATE_ROUNDS,
	       4 * open_us, in_open);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

/* test-store [NAME-GLOB]: runs the tests whose names match, e.g. test_crash_writes. */
int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		T(test_open_new),
		T(test_filters),
		T(test_bindings),
		T(test_binding_errors),
		T(test_addresses),
		T(test_round_trip),
		T(test_unknown_on_disk),
		T(test_cascade),
		T(test_expired),
		T(test_load_stops),
		T(test_transactions),
		T(test_schema_too_new),
		T(test_migrate_v1),
		T(test_foreign_database),
		T(test_not_a_database),
		T(test_corrupt),
		T(test_directory_missing),
		T(test_read_only),
		T(test_busy),
		T(test_disk_full),
		T(test_crash_writes),
		T(test_crash_create),
		T(test_symlink_refused),
		T(test_symlinked_dir),
		T(test_mode_narrowed),
		T(test_mode_refused),
		T(test_dir_mode_refused),
	};
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
