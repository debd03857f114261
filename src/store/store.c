/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's state in SQLite: one connection, a WAL journal, and every
 * statement prepared once at open and kept in struct store.
 *
 * The schema is a list of forward-only migrations; PRAGMA user_version counts
 * how many have run. They run in the same transaction that bumps the version,
 * so a crash at any point leaves either the old schema or the new one.
 * Loads read all their rows before calling back, so callbacks may write.
 */
#include "store.h"
#include "store-internal.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/addr.h"
#include "util/cleanup.h"

/* "vfgd" in PRAGMA application_id tells our files from other SQLite databases. */
#define STORE_APPLICATION_ID 0x76666764

/*
 * The daemon is the only writer, so the lock is contended only by an admin's
 * sqlite3 shell or a second daemon started by mistake. Waiting stalls the
 * event loop, so wait briefly and report -EBUSY.
 */
#define STORE_BUSY_TIMEOUT_MS 1000

/*
 * Forward-only: migrations[i] takes the schema from version i to i + 1.
 * Never edit a shipped step; append a new one.
 */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE filters ("
	"  name TEXT PRIMARY KEY NOT NULL,"
	"  xml TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE TABLE bindings ("
	"  port TEXT PRIMARY KEY NOT NULL,"
	"  xml TEXT NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN ('new', 'learning', 'active', 'failed')),"
	"  port_id INTEGER NOT NULL DEFAULT 0 CHECK (port_id BETWEEN 0 AND 65535),"
	"  ifindex INTEGER NOT NULL DEFAULT 0,"
	"  mac TEXT,"
	"  record TEXT,"
	"  learning_since INTEGER,"
	"  failed_reason TEXT,"
	"  created_at INTEGER NOT NULL"
	");"
	/* A port id is the port's identity in the packet mark: one binding each. */
	"CREATE UNIQUE INDEX bindings_port_id ON bindings (port_id) WHERE port_id != 0;"
	"CREATE TABLE addresses ("
	"  port TEXT NOT NULL REFERENCES bindings (port) ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  family INTEGER NOT NULL CHECK (family IN (4, 6)),"
	"  source TEXT NOT NULL CHECK (source IN ('dhcp', 'arp', 'ipv4', 'static')),"
	"  detail TEXT,"
	"  lease_end INTEGER,"
	"  learned_at INTEGER NOT NULL,"
	"  PRIMARY KEY (port, address)"
	") WITHOUT ROWID;"
	"CREATE INDEX addresses_lease_end ON addresses (lease_end) WHERE lease_end IS NOT NULL;",
};

_Static_assert(ARRAY_SIZE(migrations) == STORE_SCHEMA_VERSION,
	       "STORE_SCHEMA_VERSION must count the migrations");

enum stmt {
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_FILTER_SAVE,
	STMT_FILTER_DELETE,
	STMT_FILTERS_LOAD,
	STMT_BINDING_SAVE,
	STMT_BINDING_SET_STATE,
	STMT_BINDING_SET_RECORD,
	STMT_BINDING_DELETE,
	STMT_BINDINGS_LOAD,
	STMT_ADDRESS_ADD,
	STMT_ADDRESS_DELETE,
	STMT_ADDRESSES_DELETE_ALL,
	STMT_ADDRESSES_LOAD,
	STMT_ADDRESSES_LOAD_PORT,
	STMT_ADDRESSES_EXPIRED,
	_STMT_MAX,
};

#define BINDING_COLUMNS \
	"port, xml, state, port_id, ifindex, mac, record, learning_since, failed_reason, created_at"
#define ADDRESS_COLUMNS "port, address, family, source, detail, lease_end, learned_at"

static const char *const stmt_sql[_STMT_MAX] = {
	/* IMMEDIATE takes the write lock now, not at the first write of the batch. */
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_FILTER_SAVE] = "INSERT INTO filters (name, xml, updated_at) VALUES (?1, ?2, ?3)"
			     " ON CONFLICT (name) DO UPDATE"
			     " SET xml = excluded.xml, updated_at = excluded.updated_at",
	[STMT_FILTER_DELETE] = "DELETE FROM filters WHERE name = ?1",
	[STMT_FILTERS_LOAD] = "SELECT name, xml FROM filters ORDER BY name",
	/* Not INSERT OR REPLACE: that deletes the row first, and with it the addresses. */
	[STMT_BINDING_SAVE] = "INSERT INTO bindings (" BINDING_COLUMNS ")"
			      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
			      " ON CONFLICT (port) DO UPDATE SET xml = excluded.xml,"
			      " state = excluded.state, port_id = excluded.port_id,"
			      " ifindex = excluded.ifindex, mac = excluded.mac,"
			      " record = excluded.record, learning_since = excluded.learning_since,"
			      " failed_reason = excluded.failed_reason",
	[STMT_BINDING_SET_STATE] = "UPDATE bindings SET state = ?2, failed_reason = ?3,"
				   " learning_since = CASE WHEN ?2 != 'learning' THEN NULL"
				   " WHEN state = 'learning' THEN coalesce(learning_since, ?4)"
				   " ELSE ?4 END"
				   " WHERE port = ?1",
	[STMT_BINDING_SET_RECORD] = "UPDATE bindings SET port_id = ?2, record = ?3 WHERE port = ?1",
	[STMT_BINDING_DELETE] = "DELETE FROM bindings WHERE port = ?1",
	[STMT_BINDINGS_LOAD] = "SELECT " BINDING_COLUMNS " FROM bindings ORDER BY port",
	/* A renewal keeps learned_at: it records when the address was first seen. */
	[STMT_ADDRESS_ADD] = "INSERT INTO addresses (" ADDRESS_COLUMNS ")"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
			     " ON CONFLICT (port, address) DO UPDATE SET family = excluded.family,"
			     " source = excluded.source, detail = excluded.detail,"
			     " lease_end = excluded.lease_end",
	[STMT_ADDRESS_DELETE] = "DELETE FROM addresses WHERE port = ?1 AND address = ?2",
	[STMT_ADDRESSES_DELETE_ALL] = "DELETE FROM addresses WHERE port = ?1",
	[STMT_ADDRESSES_LOAD] = "SELECT " ADDRESS_COLUMNS " FROM addresses ORDER BY port, address",
	[STMT_ADDRESSES_LOAD_PORT] = "SELECT " ADDRESS_COLUMNS " FROM addresses WHERE port = ?1"
				     " ORDER BY port, address",
	[STMT_ADDRESSES_EXPIRED] = "SELECT " ADDRESS_COLUMNS " FROM addresses"
				   " WHERE lease_end IS NOT NULL AND lease_end <= ?1"
				   " ORDER BY lease_end, port, address",
};

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[_STMT_MAX];
	int64_t fixed_now; /* tests only; negative: time(NULL) */
	/* SQLite's message for the last failure, saved before a reset can replace it. */
	int why_rc;
	char why[512];
};

static const char *const binding_states[] = {
	STORE_STATE_NEW,
	STORE_STATE_LEARNING,
	STORE_STATE_ACTIVE,
	STORE_STATE_FAILED,
};

static const char *const address_sources[] = {
	STORE_SOURCE_DHCP,
	STORE_SOURCE_ARP,
	STORE_SOURCE_IPV4,
	STORE_SOURCE_STATIC,
};

static void stmt_freep(sqlite3_stmt **st)
{
	if (*st)
		(void)sqlite3_finalize(*st);
}

static void store_closep(struct store **s)
{
	*s = store_close(*s);
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static int64_t store_now(const struct store *s)
{
	return s->fixed_now >= 0 ? s->fixed_now : (int64_t)time(NULL);
}

static int errno_from_sqlite(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_ROW:
	case SQLITE_DONE:
		return 0;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_CONSTRAINT:
		if (rc == SQLITE_CONSTRAINT_PRIMARYKEY || rc == SQLITE_CONSTRAINT_UNIQUE)
			return -EEXIST;
		return -EINVAL;
	default: /* SQLITE_CORRUPT, SQLITE_NOTADB, SQLITE_IOERR, ... */
		return -EIO;
	}
}

static bool rc_is_corrupt(int rc)
{
	return (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB;
}

/* Keeps SQLite's explanation of a failure that just happened on s->db. */
static int note(struct store *s, int rc)
{
	if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		const char *msg = s->db && sqlite3_errcode(s->db) == rc ? sqlite3_errmsg(s->db)
									: sqlite3_errstr(rc);

		s->why_rc = rc;
		snprintf(s->why, sizeof(s->why), "%s", msg);
	}
	return rc;
}

/*
 * Fills err for the SQLite failure rc, noted just before: "<what> in <path>:
 * <why>". A corrupt file gets a message that says so, and what to do.
 */
static int store_fail(struct store *s, int rc, struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int store_fail(struct store *s, int rc, struct err *err, const char *fmt, ...)
{
	const char *why = s->why_rc == rc ? s->why : sqlite3_errstr(rc);
	int r = errno_from_sqlite(rc);
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (r == 0)
		r = -EIO;
	if (rc_is_corrupt(rc))
		return err_set(err, r,
			       "%s: %s is corrupt (%s); stop vifguardd and move the file aside to "
			       "start with empty state",
			       what, s->path, why);
	return err_set(err, r, "%s in %s: %s", what, s->path, why);
}

/* Sticky binders: after the first failure the others do nothing and *rc keeps it. */
static void bind_text(sqlite3_stmt *st, int i, const char *v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

static void bind_int(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_int64(st, i, v);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = v < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

/*
 * Runs a write statement whose parameters are bound (rc: the binders' result)
 * and makes it reusable. Returns an SQLite code; sqlite3_changes() stays valid.
 */
static int stmt_run(struct store *s, sqlite3_stmt *st, int rc)
{
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	(void)note(s, rc);
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	return rc;
}

/* Every row of a query, copied, so that callbacks can run after the statement is reset. */
struct rows {
	sqlite3_value **v;
	size_t n_rows;
	size_t n_cols;
	size_t cap;
};

static void rows_fini(struct rows *r)
{
	for (size_t i = 0; r->v && i < r->n_rows * r->n_cols; i++)
		sqlite3_value_free(r->v[i]);
	free(r->v);
	*r = (struct rows){ 0 };
}

static int rows_append(struct rows *r, sqlite3_stmt *st)
{
	if (r->n_rows == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 16;
		sqlite3_value **v = reallocarray(r->v, cap * r->n_cols, sizeof(*v));

		if (!v)
			return SQLITE_NOMEM;
		r->v = v;
		r->cap = cap;
	}
	for (size_t c = 0; c < r->n_cols; c++) {
		sqlite3_value *v = sqlite3_value_dup(sqlite3_column_value(st, (int)c));

		if (!v) {
			for (size_t k = 0; k < c; k++)
				sqlite3_value_free(r->v[r->n_rows * r->n_cols + k]);
			return SQLITE_NOMEM;
		}
		r->v[r->n_rows * r->n_cols + c] = v;
	}
	r->n_rows++;
	return SQLITE_OK;
}

/* Steps a query (rc: the binders' result) to the end into *ret. Returns an SQLite code. */
static int rows_read(struct store *s, sqlite3_stmt *st, int rc, struct rows *ret)
{
	struct rows r = { .n_cols = (size_t)sqlite3_column_count(st) };

	while (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			rc = rows_append(&r, st);
		else if (rc == SQLITE_DONE)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	(void)note(s, rc);
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	if (rc != SQLITE_OK) {
		rows_fini(&r);
		return rc;
	}
	*ret = r;
	return SQLITE_OK;
}

static sqlite3_value **rows_at(const struct rows *r, size_t i)
{
	return r->v + i * r->n_cols;
}

static const char *value_text(sqlite3_value *v)
{
	return (const char *)sqlite3_value_text(v);
}

static int64_t value_time(sqlite3_value *v)
{
	return sqlite3_value_type(v) == SQLITE_NULL ? STORE_TIME_NONE : sqlite3_value_int64(v);
}

/* A callback stopped a load with r: keep its message, or say where it stopped. */
static int callback_fail(struct store *s, int r, struct err *err, const char *what, const char *key)
{
	if (err && err->code < 0)
		return r;
	return err_set(err, r, "stopped loading %s from %s at %s: %s", what, s->path, key,
		       strerror(-r));
}

/* Runs one statement with no parameters and no result, e.g. a PRAGMA or a migration. */
static int exec_sql(struct store *s, const char *sql)
{
	return note(s, sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

/* The first column of the first row of sql, as an integer; *ret = 0 with no row. */
static int query_int(struct store *s, const char *sql, int64_t *ret)
{
	_cleanup_(stmt_freep) sqlite3_stmt *st = NULL;
	int rc = note(s, sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));

	if (rc != SQLITE_OK)
		return rc;
	rc = note(s, sqlite3_step(st));
	if (rc == SQLITE_ROW)
		*ret = sqlite3_column_int64(st, 0);
	else if (rc == SQLITE_DONE)
		*ret = 0;
	else
		return rc;
	return SQLITE_OK;
}

/* The first column of the first row of sql, as text, into buf. */
static int query_text(struct store *s, const char *sql, char *buf, size_t len)
{
	_cleanup_(stmt_freep) sqlite3_stmt *st = NULL;
	int rc = note(s, sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));

	if (rc != SQLITE_OK)
		return rc;
	rc = note(s, sqlite3_step(st));
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? note(s, SQLITE_ERROR) : rc;
	snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0) ?: "");
	return SQLITE_OK;
}

/*
 * Durability. In WAL mode a transaction is committed once its pages are
 * appended to the -wal file with write(2); from then on they are in the
 * kernel's page cache and survive the death of the process at any point
 * (kill -9, abort, the OOM killer), and a transaction cut short is ignored on
 * the next open because WAL frames carry checksums. So synchronous=NORMAL
 * already gives "no corruption, no lost commit" against daemon crashes, which
 * is what we need, without an fsync per batch of events.
 *
 * What NORMAL gives up is durability across power loss or a kernel crash: it
 * fsyncs the WAL only at checkpoints, so the last transactions before the
 * failure may be rolled back; the file is still consistent (never corrupt).
 * That is acceptable: after a host failure every VM and its ports are gone
 * and restart from scratch, the daemon reconciles its bindings against the
 * ports that exist, and a lost learned address is learned again from the
 * VM's next DHCP/ARP traffic. FULL would fsync on every commit and put
 * milliseconds of disk latency into the event loop for no benefit here.
 */
static const char store_pragmas[] = "PRAGMA synchronous = NORMAL;"
				    "PRAGMA foreign_keys = ON;";

/* Decides whether path holds our schema at a version we can use, then upgrades it. */
static int store_migrate(struct store *s, struct err *err)
{
	int64_t version = 0, app_id = 0, n_objects = 0;
	char sql[128];
	int rc;

	/* Read and upgrade under the write lock, so two openers cannot both migrate. */
	rc = exec_sql(s, "BEGIN IMMEDIATE");
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot open state database");
	if ((rc = query_int(s, "PRAGMA user_version", &version)) != SQLITE_OK ||
	    (rc = query_int(s, "PRAGMA application_id", &app_id)) != SQLITE_OK ||
	    (rc = query_int(s, "SELECT count(*) FROM sqlite_master", &n_objects)) != SQLITE_OK) {
		rc = store_fail(s, rc, err, "cannot open state database");
		goto rollback;
	}
	if ((app_id != 0 && app_id != STORE_APPLICATION_ID) || (version == 0 && n_objects > 0) ||
	    version < 0) {
		rc = err_set(err, -EINVAL,
			     "cannot open state database %s: not a vifguard state database "
			     "(application id %#" PRIx64 ", schema version %" PRId64 ")",
			     s->path, (uint64_t)app_id, version);
		goto rollback;
	}
	if (version > STORE_SCHEMA_VERSION) {
		rc = err_set(err, -ENOTSUP,
			     "cannot open state database %s: it has schema version %" PRId64
			     ", written by a newer vifguard, and this one knows up to version %d; "
			     "run the newer vifguard or move the file aside",
			     s->path, version, STORE_SCHEMA_VERSION);
		goto rollback;
	}
	for (int64_t v = version; v < STORE_SCHEMA_VERSION; v++) {
		rc = exec_sql(s, migrations[v]);
		if (rc != SQLITE_OK) {
			rc = store_fail(s, rc, err,
					"cannot upgrade state database from schema version %" PRId64
					" to %" PRId64,
					v, v + 1);
			goto rollback;
		}
	}
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d; PRAGMA application_id = %d;",
		 STORE_SCHEMA_VERSION, STORE_APPLICATION_ID);
	rc = exec_sql(s, sql);
	if (rc == SQLITE_OK)
		rc = exec_sql(s, "COMMIT");
	if (rc != SQLITE_OK) {
		rc = store_fail(s, rc, err, "cannot upgrade state database");
		goto rollback;
	}
	return 0;

rollback:
	if (!sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

/* Creates the file with our mode, so that SQLite (and its -wal, -shm) inherit 0600. */
static int store_create_file(const char *path, struct err *err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	struct stat st;

	if (fd < 0) {
		int r = -errno;

		return err_set(err, r, "cannot open state database %s: %s%s", path, strerror(-r),
			       r == -ENOENT ? " (does its directory exist?)" : "");
	}
	if (fstat(fd, &st) < 0)
		return err_set(err, -errno, "cannot open state database %s: %s", path,
			       strerror(errno));
	if (!S_ISREG(st.st_mode))
		return err_set(err, -EINVAL, "cannot open state database %s: not a regular file",
			       path);
	return 0;
}

/* Keeps quick_check's findings as the reason, on one line. */
static void store_note_check(struct store *s, const char *check)
{
	static const char header[] = "*** in database main ***\n";
	size_t n = strlen("integrity check: ");

	if (strncmp(check, header, strlen(header)) == 0)
		check += strlen(header);
	s->why_rc = SQLITE_CORRUPT;
	memcpy(s->why, "integrity check: ", n);
	for (; *check && n + 3 < sizeof(s->why); check++) {
		if (*check == '\n') {
			s->why[n++] = ';';
			s->why[n++] = ' ';
		} else {
			s->why[n++] = *check;
		}
	}
	s->why[n] = '\0';
}

/* The connection's settings, then a check that the file is sound. */
static int store_setup(struct store *s, struct err *err)
{
	char mode[16], check[256];
	int rc;

	sqlite3_extended_result_codes(s->db, 1);
	(void)sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
	/* Refuse statements that could corrupt the file even if one were ever built wrongly. */
	(void)sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	if (sqlite3_db_readonly(s->db, "main") == 1)
		return err_set(err, -EROFS, "cannot open state database %s: the file is read-only",
			       s->path);
	/* The first statement that reads the file: a non-database fails here with NOTADB. */
	rc = query_text(s, "PRAGMA journal_mode = WAL", mode, sizeof(mode));
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot open state database");
	if (strcmp(mode, "wal") != 0)
		return err_set(err, -EIO,
			       "cannot open state database %s: cannot use a write-ahead log "
			       "(journal mode stays '%s'; is it on a network file system?)",
			       s->path, mode);
	rc = exec_sql(s, store_pragmas);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot open state database");
	/*
	 * A damaged file is refused at startup rather than at the first write.
	 * quick_check reads every page once: milliseconds for our sizes.
	 */
	rc = query_text(s, "PRAGMA quick_check", check, sizeof(check));
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot open state database");
	if (strcmp(check, "ok") != 0) {
		store_note_check(s, check);
		return store_fail(s, SQLITE_CORRUPT, err, "cannot open state database");
	}
	return 0;
}

int store_open(const char *path, struct store **ret, struct err *err)
{
	_cleanup_(store_closep) struct store *s = NULL;
	int rc, r;

	assert(path);
	assert(ret);
	r = store_create_file(path, err);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(err, -ENOMEM, "cannot open state database %s: out of memory", path);
	s->fixed_now = -1;
	s->path = strdup(path);
	if (!s->path)
		return err_set(err, -ENOMEM, "cannot open state database %s: out of memory", path);
	rc = note(s, sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE, NULL));
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot open state database");
	r = store_setup(s, err);
	if (r < 0)
		return r;
	r = store_migrate(s, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < _STMT_MAX; i++) {
		rc = note(s, sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
						&s->stmt[i], NULL));
		if (rc != SQLITE_OK)
			return store_fail(s, rc, err, "cannot prepare statement %zu", i);
	}
	*ret = TAKE_PTR(s);
	return 0;
}

struct store *store_close(struct store *s)
{
	if (!s)
		return NULL;
	/* Uncommitted changes are discarded, as a crash would. */
	if (s->db && !sqlite3_get_autocommit(s->db))
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	for (size_t i = 0; i < _STMT_MAX; i++)
		(void)sqlite3_finalize(s->stmt[i]);
	/* The last connection to close checkpoints the WAL into the database and removes it. */
	(void)sqlite3_close(s->db);
	free(s->path);
	free(s);
	return NULL;
}

const char *store_path(const struct store *s)
{
	return s->path;
}

struct sqlite3 *store_sqlite(struct store *s)
{
	return s->db;
}

void store_set_now(struct store *s, int64_t now)
{
	s->fixed_now = now;
}

int store_begin(struct store *s, struct err *err)
{
	int rc;

	/* A nested transaction is a bug in the caller: batches do not nest. */
	assert(sqlite3_get_autocommit(s->db));
	rc = stmt_run(s, s->stmt[STMT_BEGIN], SQLITE_OK);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot begin a transaction");
	return 0;
}

int store_commit(struct store *s, struct err *err)
{
	int rc = stmt_run(s, s->stmt[STMT_COMMIT], SQLITE_OK);

	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot commit a transaction");
	return 0;
}

int store_rollback(struct store *s, struct err *err)
{
	int rc;

	if (sqlite3_get_autocommit(s->db))
		return 0;
	rc = stmt_run(s, s->stmt[STMT_ROLLBACK], SQLITE_OK);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot roll back a transaction");
	return 0;
}

int store_filter_save(struct store *s, const char *name, const char *xml, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_FILTER_SAVE];
	int rc = SQLITE_OK;

	assert(name && xml);
	bind_text(st, 1, name, &rc);
	bind_text(st, 2, xml, &rc);
	bind_int(st, 3, store_now(s), &rc);
	rc = stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot save filter %s", name);
	return 0;
}

int store_filter_delete(struct store *s, const char *name, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_FILTER_DELETE];
	int rc = SQLITE_OK;

	assert(name);
	bind_text(st, 1, name, &rc);
	rc = stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot delete filter %s", name);
	if (sqlite3_changes(s->db) == 0)
		return err_set(err, -ENOENT, "cannot delete filter %s in %s: no such filter", name,
			       s->path);
	return 0;
}

int store_filters_load(struct store *s, store_filter_fn fn, void *userdata, struct err *err)
{
	struct rows rows;
	int rc, r = 0;

	err_clear(err);
	rc = rows_read(s, s->stmt[STMT_FILTERS_LOAD], SQLITE_OK, &rows);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot load filters");
	for (size_t i = 0; i < rows.n_rows; i++) {
		sqlite3_value **v = rows_at(&rows, i);

		r = fn(value_text(v[0]), value_text(v[1]), userdata, err);
		if (r < 0) {
			r = callback_fail(s, r, err, "filters", value_text(v[0]));
			break;
		}
	}
	rows_fini(&rows);
	return r < 0 ? r : 0;
}

/* Checks what SQLite's CHECK constraints would refuse, with a message that says what is allowed. */
static int binding_check(struct store *s, const char *op, const char *port, const char *state,
			 unsigned port_id, struct err *err)
{
	if (state && !in_list(state, binding_states, ARRAY_SIZE(binding_states)))
		return err_set(
			err, -EINVAL,
			"cannot %s binding %s in %s: state '%s' is not one of new, learning, "
			"active, failed",
			op, port, s->path, state);
	if (port_id > 65535)
		return err_set(err, -EINVAL,
			       "cannot %s binding %s in %s: port id %u is not in 0..65535", op,
			       port, s->path, port_id);
	return 0;
}

/* The port id is the only uniqueness rule a binding write can break besides the key. */
static int binding_fail(struct store *s, int rc, const char *op, const char *port, unsigned port_id,
			struct err *err)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE)
		return err_set(err, -EEXIST,
			       "cannot %s binding %s in %s: port id %u is already used by another "
			       "binding",
			       op, port, s->path, port_id);
	return store_fail(s, rc, err, "cannot %s binding %s", op, port);
}

int store_binding_save(struct store *s, const struct store_binding *b, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_BINDING_SAVE];
	int rc = SQLITE_OK, r;

	assert(b && b->port && b->xml && b->state);
	r = binding_check(s, "save", b->port, b->state, b->port_id, err);
	if (r < 0)
		return r;
	bind_text(st, 1, b->port, &rc);
	bind_text(st, 2, b->xml, &rc);
	bind_text(st, 3, b->state, &rc);
	bind_int(st, 4, b->port_id, &rc);
	bind_int(st, 5, b->ifindex, &rc);
	bind_text(st, 6, b->mac, &rc);
	bind_text(st, 7, b->record, &rc);
	bind_time(st, 8, b->learning_since, &rc);
	bind_text(st, 9, b->failed_reason, &rc);
	bind_int(st, 10, store_now(s), &rc);
	rc = stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return binding_fail(s, rc, "save", b->port, b->port_id, err);
	return 0;
}

static int binding_missing(struct store *s, const char *op, const char *port, struct err *err)
{
	return err_set(err, -ENOENT, "cannot %s binding %s in %s: the port has no binding", op,
		       port, s->path);
}

int store_binding_set_state(struct store *s, const char *port, const char *state,
			    const char *failed_reason, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_BINDING_SET_STATE];
	int rc = SQLITE_OK, r;

	assert(port && state);
	r = binding_check(s, "set the state of", port, state, 0, err);
	if (r < 0)
		return r;
	bind_text(st, 1, port, &rc);
	bind_text(st, 2, state, &rc);
	bind_text(st, 3, failed_reason, &rc);
	bind_int(st, 4, store_now(s), &rc);
	rc = stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot set the state of binding %s", port);
	if (sqlite3_changes(s->db) == 0)
		return binding_missing(s, "set the state of", port, err);
	return 0;
}

int store_binding_set_record(struct store *s, const char *port, unsigned port_id,
			     const char *record, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_BINDING_SET_RECORD];
	int rc = SQLITE_OK, r;

	assert(port);
	r = binding_check(s, "set the record of", port, NULL, port_id, err);
	if (r < 0)
		return r;
	bind_text(st, 1, port, &rc);
	bind_int(st, 2, port_id, &rc);
	bind_text(st, 3, record, &rc);
	rc = stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return binding_fail(s, rc, "set the record of", port, port_id, err);
	if (sqlite3_changes(s->db) == 0)
		return binding_missing(s, "set the record of", port, err);
	return 0;
}

int store_binding_delete(struct store *s, const char *port, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_BINDING_DELETE];
	int rc = SQLITE_OK;

	assert(port);
	bind_text(st, 1, port, &rc);
	rc = stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot delete binding %s", port);
	if (sqlite3_changes(s->db) == 0)
		return binding_missing(s, "delete", port, err);
	return 0;
}

int store_bindings_load(struct store *s, store_binding_fn fn, void *userdata, struct err *err)
{
	struct rows rows;
	int rc, r = 0;

	err_clear(err);
	rc = rows_read(s, s->stmt[STMT_BINDINGS_LOAD], SQLITE_OK, &rows);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot load bindings");
	for (size_t i = 0; i < rows.n_rows; i++) {
		sqlite3_value **v = rows_at(&rows, i);
		const struct store_binding b = {
			.port = value_text(v[0]),
			.xml = value_text(v[1]),
			.state = value_text(v[2]),
			.port_id = (unsigned)sqlite3_value_int64(v[3]),
			.ifindex = sqlite3_value_int(v[4]),
			.mac = value_text(v[5]),
			.record = value_text(v[6]),
			.learning_since = value_time(v[7]),
			.failed_reason = value_text(v[8]),
			.created_at = sqlite3_value_int64(v[9]),
		};

		r = fn(&b, userdata, err);
		if (r < 0) {
			r = callback_fail(s, r, err, "bindings", b.port);
			break;
		}
	}
	rows_fini(&rows);
	return r < 0 ? r : 0;
}

/* The canonical text of address, trying the given family (0: either). */
static int address_canonical(const char *text, int family, char out[IP_TEXT_MAX])
{
	uint8_t a[16];

	if ((family == 4 || family == 0) && ipv4_parse(text, a) == 0) {
		ipv4_format(a, out);
		return 4;
	}
	if ((family == 6 || family == 0) && ipv6_parse(text, a) == 0) {
		ipv6_format(a, out);
		return 6;
	}
	return -EINVAL;
}

int store_address_add(struct store *s, const char *port, const char *address, int family,
		      const char *source, const char *detail, int64_t lease_end, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_ADDRESS_ADD];
	char canon[IP_TEXT_MAX];
	int rc = SQLITE_OK;

	assert(port && address);
	if (family != 4 && family != 6)
		return err_set(err, -EINVAL,
			       "cannot save address %s of %s in %s: family %d is not 4 or 6",
			       address, port, s->path, family);
	if (address_canonical(address, family, canon) < 0)
		return err_set(err, -EINVAL,
			       "cannot save address '%s' of %s in %s: not an IPv%d address",
			       address, port, s->path, family);
	if (!in_list(source, address_sources, ARRAY_SIZE(address_sources)))
		return err_set(
			err, -EINVAL,
			"cannot save address %s of %s in %s: source '%s' is not one of dhcp, "
			"arp, ipv4, static",
			canon, port, s->path, source ?: "(null)");
	bind_text(st, 1, port, &rc);
	bind_text(st, 2, canon, &rc);
	bind_int(st, 3, family, &rc);
	bind_text(st, 4, source, &rc);
	bind_text(st, 5, detail, &rc);
	bind_time(st, 6, lease_end, &rc);
	bind_int(st, 7, store_now(s), &rc);
	rc = stmt_run(s, st, rc);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return err_set(err, -EINVAL,
			       "cannot save address %s of %s in %s: %s has no binding", canon, port,
			       s->path, port);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot save address %s of %s", canon, port);
	return 0;
}

int store_address_delete(struct store *s, const char *port, const char *address, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_ADDRESS_DELETE];
	char canon[IP_TEXT_MAX];
	int rc = SQLITE_OK;

	assert(port && address);
	if (address_canonical(address, 0, canon) < 0)
		return err_set(err, -EINVAL,
			       "cannot delete address '%s' of %s in %s: not an IP address", address,
			       port, s->path);
	bind_text(st, 1, port, &rc);
	bind_text(st, 2, canon, &rc);
	rc = stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot delete address %s of %s", canon, port);
	if (sqlite3_changes(s->db) == 0)
		return err_set(err, -ENOENT,
			       "cannot delete address %s of %s in %s: no such address", canon, port,
			       s->path);
	return 0;
}

int store_addresses_delete_all(struct store *s, const char *port, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_ADDRESSES_DELETE_ALL];
	int rc = SQLITE_OK;

	assert(port);
	bind_text(st, 1, port, &rc);
	rc = stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot delete the addresses of %s", port);
	return sqlite3_changes(s->db);
}

/* Calls fn for each row of an address query. */
static int addresses_call(struct store *s, struct rows *rows, store_address_fn fn, void *userdata,
			  struct err *err)
{
	for (size_t i = 0; i < rows->n_rows; i++) {
		sqlite3_value **v = rows_at(rows, i);
		const struct store_address a = {
			.port = value_text(v[0]),
			.address = value_text(v[1]),
			.family = sqlite3_value_int(v[2]),
			.source = value_text(v[3]),
			.detail = value_text(v[4]),
			.lease_end = value_time(v[5]),
			.learned_at = sqlite3_value_int64(v[6]),
		};
		char key[256];
		int r = fn(&a, userdata, err);

		if (r < 0) {
			snprintf(key, sizeof(key), "%s of %s", a.address, a.port);
			return callback_fail(s, r, err, "addresses", key);
		}
	}
	return 0;
}

int store_addresses_load(struct store *s, const char *port, store_address_fn fn, void *userdata,
			 struct err *err)
{
	sqlite3_stmt *st = s->stmt[port ? STMT_ADDRESSES_LOAD_PORT : STMT_ADDRESSES_LOAD];
	struct rows rows;
	int rc = SQLITE_OK, r;

	err_clear(err);
	if (port)
		bind_text(st, 1, port, &rc);
	rc = rows_read(s, st, rc, &rows);
	if (rc != SQLITE_OK)
		return port ? store_fail(s, rc, err, "cannot load the addresses of %s", port)
			    : store_fail(s, rc, err, "cannot load addresses");
	r = addresses_call(s, &rows, fn, userdata, err);
	rows_fini(&rows);
	return r;
}

int store_addresses_expired(struct store *s, int64_t now, store_address_fn fn, void *userdata,
			    struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_ADDRESSES_EXPIRED];
	struct rows rows;
	int rc = SQLITE_OK, r;

	err_clear(err);
	bind_int(st, 1, now, &rc);
	rc = rows_read(s, st, rc, &rows);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot load expired addresses");
	r = addresses_call(s, &rows, fn, userdata, err);
	rows_fini(&rows);
	return r;
}
