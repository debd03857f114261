/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's state in SQLite: one connection, a WAL journal, and every
 * statement prepared once at open and kept in struct store. This file opens
 * and closes the database, creates and migrates the schema, holds the SQL of
 * every statement, and runs transactions; store-filter.c, store-binding.c and
 * store-address.c run the statements of their tables.
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

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
	/* 1 -> 2: IPv6 learning's sources. SQLite cannot change a CHECK: the table is rebuilt. */
	"CREATE TABLE addresses_v2 ("
	"  port TEXT NOT NULL REFERENCES bindings (port) ON DELETE CASCADE,"
	"  address TEXT NOT NULL,"
	"  family INTEGER NOT NULL CHECK (family IN (4, 6)),"
	"  source TEXT NOT NULL CHECK (source IN ('dhcp', 'arp', 'ipv4', 'static',"
	"                                         'dhcpv6', 'dad', 'ipv6')),"
	"  detail TEXT,"
	"  lease_end INTEGER,"
	"  learned_at INTEGER NOT NULL,"
	"  PRIMARY KEY (port, address)"
	") WITHOUT ROWID;"
	"INSERT INTO addresses_v2 SELECT port, address, family, source, detail, lease_end, learned_at"
	"  FROM addresses;"
	"DROP TABLE addresses;"
	"ALTER TABLE addresses_v2 RENAME TO addresses;"
	"CREATE INDEX addresses_lease_end ON addresses (lease_end) WHERE lease_end IS NOT NULL;",
};

_Static_assert(ARRAY_SIZE(migrations) == STORE_SCHEMA_VERSION,
	       "STORE_SCHEMA_VERSION must count the migrations");

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
	/* ?5 is the name of STORE_STATE_LEARNING. */
	[STMT_BINDING_SET_STATE] = "UPDATE bindings SET state = ?2, failed_reason = ?3,"
				   " learning_since = CASE WHEN ?2 != ?5 THEN NULL"
				   " WHEN state = ?5 THEN coalesce(learning_since, ?4)"
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

static void stmt_freep(sqlite3_stmt **st)
{
	if (*st)
		(void)sqlite3_finalize(*st);
}

static void store_closep(struct store **s)
{
	*s = store_close(*s);
}

/* Runs one statement with no parameters and no result, e.g. a PRAGMA or a migration. */
static int exec_sql(struct store *s, const char *sql)
{
	return store_note(s, sqlite3_exec(s->db, sql, NULL, NULL, NULL));
}

/* The first column of the first row of sql, as an integer; *ret = 0 with no row. */
static int query_int(struct store *s, const char *sql, int64_t *ret)
{
	_cleanup_(stmt_freep) sqlite3_stmt *st = NULL;
	int rc = store_note(s, sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));

	if (rc != SQLITE_OK)
		return rc;
	rc = store_note(s, sqlite3_step(st));
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
	int rc = store_note(s, sqlite3_prepare_v2(s->db, sql, -1, &st, NULL));

	if (rc != SQLITE_OK)
		return rc;
	rc = store_note(s, sqlite3_step(st));
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? store_note(s, SQLITE_ERROR) : rc;
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

/*
 * The database holds which addresses each VM may use: only the daemon may
 * read or change it. The file is at most 0600 and its directory at most 0700.
 * A wider file (an older install, a restore from a backup) is narrowed, as
 * are the -wal, -shm and -journal files SQLite made beside it with its mode:
 * they are ours, in our directory. A wider directory is refused instead,
 * since it may be shared (state_dir = /tmp) and is not ours to change.
 *
 * Symbolic links are refused at the database's own name (and its -wal, -shm,
 * -journal), so that a link cannot send the daemon's writes elsewhere. The
 * directory's path may hold links (DynamicUser= makes /var/lib/vifguard one):
 * it is resolved once, and SQLite, told SQLITE_OPEN_NOFOLLOW, which refuses
 * a link anywhere in the path, opens the resolved path.
 */
#define STORE_FILE_MODE 0600
#define STORE_DIR_MODE  0700

static const char *const store_siblings[] = { "-wal", "-shm", "-journal" };

/* path with its directory resolved (no links but in the last component), in *ret. */
static int store_resolve(const char *path, char **ret, struct err *err)
{
	_cleanup_free_ char *dir = strdup(path);
	_cleanup_free_ char *real = NULL;
	const char *base;
	char *slash;

	if (!dir)
		return err_set(err, -ENOMEM, "cannot open state database %s: out of memory", path);
	slash = strrchr(dir, '/');
	if (!slash) {
		base = path;
		strcpy(dir, ".");
	} else {
		base = path + (slash - dir) + 1;
		slash[slash == dir ? 1 : 0] = '\0';
	}
	real = realpath(dir, NULL);
	if (!real) {
		int r = -errno;

		return err_set(err, r, "cannot open state database %s: %s%s", path, strerror(-r),
			       r == -ENOENT ? " (does its directory exist?)" : "");
	}
	if (asprintf(ret, "%s%s%s", real, strcmp(real, "/") == 0 ? "" : "/", base) < 0)
		return err_set(err, -ENOMEM, "cannot open state database %s: out of memory", path);
	return 0;
}

/* The directory of real, resolved: at most STORE_DIR_MODE. */
static int store_check_dir(const char *path, const char *real, struct err *err)
{
	_cleanup_free_ char *dir = strdup(real);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	struct stat st;

	if (!slash)
		return err_set(err, -ENOMEM, "cannot open state database %s: out of memory", path);
	slash[slash == dir ? 1 : 0] = '\0';
	if (stat(dir, &st) < 0)
		return err_set(err, -errno, "cannot open state database %s: %s: %s", path, dir,
			       strerror(errno));
	if (st.st_mode & 07777 & ~(mode_t)STORE_DIR_MODE)
		return err_set(err, -EPERM,
			       "cannot open state database %s: its directory %s has mode %04o, "
			       "wider than %04o, so others could reach the database "
			       "(chmod %04o %s, or choose another state directory)",
			       path, dir, (unsigned)(st.st_mode & 07777), STORE_DIR_MODE,
			       STORE_DIR_MODE, dir);
	return 0;
}

/*
 * A file SQLite opens: fd, or the file named file when fd < 0 (then a missing
 * file is fine); regular, no link, at most STORE_FILE_MODE. file names it in
 * messages.
 */
static int store_check_file(const char *path, const char *file, int fd, struct err *err)
{
	struct stat st;
	int r;

	r = fd >= 0 ? fstat(fd, &st) : fstatat(AT_FDCWD, file, &st, AT_SYMLINK_NOFOLLOW);
	if (r < 0) {
		if (fd < 0 && errno == ENOENT)
			return 0;
		return err_set(err, -errno, "cannot open state database %s: %s: %s", path, file,
			       strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return err_set(err, -ELOOP,
			       "cannot open state database %s: %s is a symbolic link; "
			       "it must be a regular file (remove the link)",
			       path, file);
	if (!S_ISREG(st.st_mode))
		return err_set(err, -EINVAL,
			       "cannot open state database %s: %s is not a regular file", path,
			       file);
	if ((st.st_mode & 07777 & ~(mode_t)STORE_FILE_MODE) == 0)
		return 0;
	/* No race with another writer: nobody else may enter the directory (checked first). */
	r = fd >= 0 ? fchmod(fd, st.st_mode & STORE_FILE_MODE)
		    : chmod(file, st.st_mode & STORE_FILE_MODE);
	if (r < 0)
		return err_set(err, -errno,
			       "cannot open state database %s: %s has mode %04o, wider than %04o, "
			       "and cannot be narrowed: %s (chmod %04o it, or chown it to the "
			       "daemon's user)",
			       path, file, (unsigned)(st.st_mode & 07777), STORE_FILE_MODE,
			       strerror(errno), STORE_FILE_MODE);
	return 0;
}

/*
 * Creates the file at real (path resolved) with our mode, so that SQLite (and
 * its -wal, -shm) inherit 0600, and checks it, its directory and the files
 * SQLite keeps beside it. Messages name path, as the user gave it.
 */
static int store_create_file(const char *path, const char *real, struct err *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *sibling = NULL;
	int r;

	/* O_NOFOLLOW: ELOOP for a link at the last component, which O_CREAT would follow. */
	fd = open(real, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, STORE_FILE_MODE);
	if (fd < 0) {
		r = -errno;
		if (r == -ELOOP)
			return err_set(err, r,
				       "cannot open state database %s: it is a symbolic link; "
				       "it must be a regular file (remove the link)",
				       path);
		return err_set(err, r, "cannot open state database %s: %s", path, strerror(-r));
	}
	r = store_check_dir(path, real, err);
	if (r < 0)
		return r;
	r = store_check_file(path, "the file", fd, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < ARRAY_SIZE(store_siblings); i++) {
		free(sibling);
		if (asprintf(&sibling, "%s%s", real, store_siblings[i]) < 0) {
			sibling = NULL;
			return err_set(err, -ENOMEM, "cannot open state database %s: out of memory",
				       path);
		}
		r = store_check_file(path, sibling, -1, err);
		if (r < 0)
			return r;
	}
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
	_cleanup_free_ char *real = NULL;
	int rc, r;

	assert(path);
	assert(ret);
	r = store_resolve(path, &real, err);
	if (r < 0)
		return r;
	r = store_create_file(path, real, err);
	if (r < 0)
		return r;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(err, -ENOMEM, "cannot open state database %s: out of memory", path);
	s->fixed_now = -1;
	s->path = strdup(path);
	if (!s->path)
		return err_set(err, -ENOMEM, "cannot open state database %s: out of memory", path);
	/* NOFOLLOW again: SQLite opens the file anew, after our check. */
	rc = store_note(s, sqlite3_open_v2(real, &s->db,
					   SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL));
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot open state database");
	r = store_setup(s, err);
	if (r < 0)
		return r;
	r = store_migrate(s, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < _STMT_MAX; i++) {
		rc = store_note(s,
				sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
						   SQLITE_PREPARE_PERSISTENT, &s->stmt[i], NULL));
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
	rc = store_stmt_run(s, s->stmt[STMT_BEGIN], SQLITE_OK);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot begin a transaction");
	return 0;
}

int store_commit(struct store *s, struct err *err)
{
	int rc = store_stmt_run(s, s->stmt[STMT_COMMIT], SQLITE_OK);

	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot commit a transaction");
	return 0;
}

int store_rollback(struct store *s, struct err *err)
{
	int rc;

	if (sqlite3_get_autocommit(s->db))
		return 0;
	rc = store_stmt_run(s, s->stmt[STMT_ROLLBACK], SQLITE_OK);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot roll back a transaction");
	return 0;
}
