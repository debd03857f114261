/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of store/ share: the connection and its prepared
 * statements, and the helpers that run them and turn SQLite's failures into
 * messages. Also hooks for tests/unit/test-store.c. Never included outside
 * store/ and its test: the daemon knows only store.h.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"
#include "util/err.h"

/* Every statement, prepared once by store_open(); the SQL is in store.c, next to the schema. */
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

struct store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[_STMT_MAX];
	int64_t fixed_now; /* tests only; negative: time(NULL) */
	/* SQLite's message for the last failure, saved before a reset can replace it. */
	int why_rc;
	char why[512];
};

/*
 * Enums are stored as text. The index of text among the n names of a table
 * with designated initializers, or -EINVAL (also for NULL).
 */
int store_name_find(const char *const *names, size_t n, const char *text);
/* "a, b, c": the n names, for messages that say what is accepted. Truncated to len. */
void store_names_join(const char *const *names, size_t n, char *buf, size_t len);

/*
 * A row holds a value this vifguard cannot read (edited by hand, damaged):
 * -EIO, "cannot load <what> from <path>: <why>; <what to do>".
 */
int store_row_fail(struct store *s, struct err *err, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The clock of created_at, learned_at and the like: unix seconds. */
int64_t store_now(const struct store *s);

/* Keeps SQLite's explanation of a failure that just happened on s->db; returns rc. */
int store_note(struct store *s, int rc);

/*
 * Fills err for the SQLite failure rc, noted just before: "<what> in <path>:
 * <why>". A corrupt file gets a message that says so, and what to do.
 * Returns the -errno. (nonnull: else GCC's -fsanitize=undefined build sees a
 * NULL format on its checking path and warns.)
 */
int store_fail(struct store *s, int rc, struct err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5), nonnull(4)));

/* Sticky binders: after the first failure the others do nothing and *rc keeps it. */
void store_bind_text(sqlite3_stmt *st, int i, const char *v, int *rc);
void store_bind_int(sqlite3_stmt *st, int i, int64_t v, int *rc);
/* A negative time binds NULL. */
void store_bind_time(sqlite3_stmt *st, int i, int64_t v, int *rc);

/*
 * Runs a write statement whose parameters are bound (rc: the binders' result)
 * and makes it reusable. Returns an SQLite code; sqlite3_changes() stays valid.
 */
int store_stmt_run(struct store *s, sqlite3_stmt *st, int rc);

/* Every row of a query, copied, so that callbacks can run after the statement is reset. */
struct store_rows {
	sqlite3_value **v;
	size_t n_rows;
	size_t n_cols;
	size_t cap;
};

/* Steps a query (rc: the binders' result) to the end into *ret. Returns an SQLite code. */
int store_rows_read(struct store *s, sqlite3_stmt *st, int rc, struct store_rows *ret);
void store_rows_fini(struct store_rows *r);
/* The n_cols values of row i. */
sqlite3_value **store_rows_at(const struct store_rows *r, size_t i);

/* Text, or NULL for NULL; borrowed from the value. */
const char *store_value_text(sqlite3_value *v);
/* NULL reads as STORE_TIME_NONE. */
int64_t store_value_time(sqlite3_value *v);

/* A callback stopped a load with r: keep its message, or say where it stopped. */
int store_callback_fail(struct store *s, int r, struct err *err, const char *what, const char *key);

/* Hooks for tests/unit/test-store.c only. */

/* The connection, to provoke errors (max_page_count) and check integrity. Borrowed. */
struct sqlite3 *store_sqlite(struct store *s);
/* Fixes the clock used for created_at, learned_at and learning_since; negative: the real clock. */
void store_set_now(struct store *s, int64_t now);
