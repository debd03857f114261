/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Filters defined at run time: name -> canonical <filter> XML. */
#include "store.h"
#include "store-internal.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>

#include <sqlite3.h>

#include "util/err.h"

int store_filter_save(struct store *s, const char *name, const char *xml, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_FILTER_SAVE];
	int rc = SQLITE_OK;

	assert(name && xml);
	store_bind_text(st, 1, name, &rc);
	store_bind_text(st, 2, xml, &rc);
	store_bind_int(st, 3, store_now(s), &rc);
	rc = store_stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot save filter %s", name);
	return 0;
}

int store_filter_delete(struct store *s, const char *name, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_FILTER_DELETE];
	int rc = SQLITE_OK;

	assert(name);
	store_bind_text(st, 1, name, &rc);
	rc = store_stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot delete filter %s", name);
	if (sqlite3_changes(s->db) == 0)
		return err_set(err, -ENOENT, "cannot delete filter %s in %s: no such filter", name,
			       s->path);
	return 0;
}

int store_filters_load(struct store *s, store_filter_fn fn, void *userdata, struct err *err)
{
	struct store_rows rows;
	int rc, r = 0;

	err_clear(err);
	rc = store_rows_read(s, s->stmt[STMT_FILTERS_LOAD], SQLITE_OK, &rows);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot load filters");
	for (size_t i = 0; i < rows.n_rows; i++) {
		sqlite3_value **v = store_rows_at(&rows, i);

		r = fn(store_value_text(v[0]), store_value_text(v[1]), userdata, err);
		if (r < 0) {
			r = store_callback_fail(s, r, err, "filters", store_value_text(v[0]));
			break;
		}
	}
	store_rows_fini(&rows);
	return r < 0 ? r : 0;
}
