/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bindings: one row per bound port, keyed by the port's name. A save is an
 * upsert that keeps the row, so the port's learned addresses (which cascade
 * on delete) survive it.
 */
#include "store.h"
#include "store-internal.h"

#include <assert.h>
#include <errno.h>
#include <stddef.h>

#include <sqlite3.h>

#include "util/cleanup.h"
#include "util/err.h"

static const char *const binding_states[] = {
	STORE_STATE_NEW,
	STORE_STATE_LEARNING,
	STORE_STATE_ACTIVE,
	STORE_STATE_FAILED,
};

/* Checks what SQLite's CHECK constraints would refuse, with a message that says what is allowed. */
static int binding_check(struct store *s, const char *op, const char *port, const char *state,
			 unsigned port_id, struct err *err)
{
	if (state && !store_in_list(state, binding_states, ARRAY_SIZE(binding_states)))
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
	store_bind_text(st, 1, b->port, &rc);
	store_bind_text(st, 2, b->xml, &rc);
	store_bind_text(st, 3, b->state, &rc);
	store_bind_int(st, 4, b->port_id, &rc);
	store_bind_int(st, 5, b->ifindex, &rc);
	store_bind_text(st, 6, b->mac, &rc);
	store_bind_text(st, 7, b->record, &rc);
	store_bind_time(st, 8, b->learning_since, &rc);
	store_bind_text(st, 9, b->failed_reason, &rc);
	store_bind_int(st, 10, store_now(s), &rc);
	rc = store_stmt_run(s, st, rc);
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
	store_bind_text(st, 1, port, &rc);
	store_bind_text(st, 2, state, &rc);
	store_bind_text(st, 3, failed_reason, &rc);
	store_bind_int(st, 4, store_now(s), &rc);
	rc = store_stmt_run(s, st, rc);
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
	store_bind_text(st, 1, port, &rc);
	store_bind_int(st, 2, port_id, &rc);
	store_bind_text(st, 3, record, &rc);
	rc = store_stmt_run(s, st, rc);
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
	store_bind_text(st, 1, port, &rc);
	rc = store_stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot delete binding %s", port);
	if (sqlite3_changes(s->db) == 0)
		return binding_missing(s, "delete", port, err);
	return 0;
}

int store_bindings_load(struct store *s, store_binding_fn fn, void *userdata, struct err *err)
{
	struct store_rows rows;
	int rc, r = 0;

	err_clear(err);
	rc = store_rows_read(s, s->stmt[STMT_BINDINGS_LOAD], SQLITE_OK, &rows);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot load bindings");
	for (size_t i = 0; i < rows.n_rows; i++) {
		sqlite3_value **v = store_rows_at(&rows, i);
		const struct store_binding b = {
			.port = store_value_text(v[0]),
			.xml = store_value_text(v[1]),
			.state = store_value_text(v[2]),
			.port_id = (unsigned)sqlite3_value_int64(v[3]),
			.ifindex = sqlite3_value_int(v[4]),
			.mac = store_value_text(v[5]),
			.record = store_value_text(v[6]),
			.learning_since = store_value_time(v[7]),
			.failed_reason = store_value_text(v[8]),
			.created_at = sqlite3_value_int64(v[9]),
		};

		r = fn(&b, userdata, err);
		if (r < 0) {
			r = store_callback_fail(s, r, err, "bindings", b.port);
			break;
		}
	}
	store_rows_fini(&rows);
	return r < 0 ? r : 0;
}
