/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running the store's statements: binding parameters, stepping, copying
 * result rows out, and turning SQLite's result codes into -errno and a
 * message that names the file. A failure's explanation is saved as soon as
 * it happens, because resetting the statement may replace SQLite's message.
 */
#include "store-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "util/err.h"

int store_name_find(const char *const *names, size_t n, const char *text)
{
	for (size_t i = 0; text && i < n; i++)
		if (strcmp(text, names[i]) == 0)
			return (int)i;
	return -EINVAL;
}

void store_names_join(const char *const *names, size_t n, char *buf, size_t len)
{
	size_t at = 0;

	assert(len > 0);
	buf[0] = '\0';
	for (size_t i = 0; i < n && at < len; i++) {
		int k = snprintf(buf + at, len - at, "%s%s", i ? ", " : "", names[i]);

		if (k < 0)
			break;
		at += (size_t)k;
	}
}

int store_row_fail(struct store *s, struct err *err, const char *what, const char *fmt, ...)
{
	char why[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return err_set(err, -EIO,
		       "cannot load %s from %s: %s; correct or delete that row (sqlite3), or move "
		       "the file aside to start with empty state",
		       what, s->path, why);
}

int64_t store_now(const struct store *s)
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

int store_note(struct store *s, int rc)
{
	if (rc != SQLITE_OK && rc != SQLITE_ROW && rc != SQLITE_DONE) {
		const char *msg = s->db && sqlite3_errcode(s->db) == rc ? sqlite3_errmsg(s->db)
									: sqlite3_errstr(rc);

		s->why_rc = rc;
		snprintf(s->why, sizeof(s->why), "%s", msg);
	}
	return rc;
}

int store_fail(struct store *s, int rc, struct err *err, const char *fmt, ...)
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

void store_bind_text(sqlite3_stmt *st, int i, const char *v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = v ? sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(st, i);
}

void store_bind_int(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = sqlite3_bind_int64(st, i, v);
}

void store_bind_time(sqlite3_stmt *st, int i, int64_t v, int *rc)
{
	if (*rc == SQLITE_OK)
		*rc = v < 0 ? sqlite3_bind_null(st, i) : sqlite3_bind_int64(st, i, v);
}

int store_stmt_run(struct store *s, sqlite3_stmt *st, int rc)
{
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	(void)store_note(s, rc);
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	return rc;
}

void store_rows_fini(struct store_rows *r)
{
	for (size_t i = 0; r->v && i < r->n_rows * r->n_cols; i++)
		sqlite3_value_free(r->v[i]);
	free(r->v);
	*r = (struct store_rows){ 0 };
}

static int rows_append(struct store_rows *r, sqlite3_stmt *st)
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

int store_rows_read(struct store *s, sqlite3_stmt *st, int rc, struct store_rows *ret)
{
	struct store_rows r = { .n_cols = (size_t)sqlite3_column_count(st) };

	while (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			rc = rows_append(&r, st);
		else if (rc == SQLITE_DONE)
			break;
	}
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	(void)store_note(s, rc);
	(void)sqlite3_reset(st);
	(void)sqlite3_clear_bindings(st);
	if (rc != SQLITE_OK) {
		store_rows_fini(&r);
		return rc;
	}
	*ret = r;
	return SQLITE_OK;
}

sqlite3_value **store_rows_at(const struct store_rows *r, size_t i)
{
	return r->v + i * r->n_cols;
}

const char *store_value_text(sqlite3_value *v)
{
	return (const char *)sqlite3_value_text(v);
}

int64_t store_value_time(sqlite3_value *v)
{
	return sqlite3_value_type(v) == SQLITE_NULL ? STORE_TIME_NONE : sqlite3_value_int64(v);
}

int store_callback_fail(struct store *s, int r, struct err *err, const char *what, const char *key)
{
	if (err && err->code < 0)
		return r;
	return err_set(err, r, "stopped loading %s from %s at %s: %s", what, s->path, key,
		       strerror(-r));
}
