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
#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

#include "util/addr.h"
#include "util/err.h"

/* As stored; the schema's CHECK constraint lists the same names. */
static const char *const state_names[_STORE_STATE_MAX] = {
	[STORE_STATE_NEW] = "new",
	[STORE_STATE_LEARNING] = "learning",
	[STORE_STATE_ACTIVE] = "active",
	[STORE_STATE_FAILED] = "failed",
};

/* Checks what SQLite's CHECK constraints would refuse, with a message that says what is allowed. */
static int state_check(struct store *s, const char *op, const char *port, enum store_state state,
		       struct err *err)
{
	char names[64];

	if ((unsigned)state < _STORE_STATE_MAX)
		return 0;
	store_names_join(state_names, _STORE_STATE_MAX, names, sizeof(names));
	return err_set(err, -EINVAL, "cannot %s binding %s in %s: state %d is not one of %s", op,
		       port, s->path, (int)state, names);
}

static int port_id_check(struct store *s, const char *op, const char *port, unsigned port_id,
			 struct err *err)
{
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
	char mac[MAC_TEXT_MAX];
	int rc = SQLITE_OK, r;

	assert(b && b->port && b->xml);
	r = state_check(s, "save", b->port, b->state, err);
	if (r >= 0)
		r = port_id_check(s, "save", b->port, b->port_id, err);
	if (r < 0)
		return r;
	if (b->has_mac)
		mac_format(b->mac, mac);
	store_bind_text(st, 1, b->port, &rc);
	store_bind_text(st, 2, b->xml, &rc);
	store_bind_text(st, 3, state_names[b->state], &rc);
	store_bind_int(st, 4, b->port_id, &rc);
	store_bind_int(st, 5, b->ifindex, &rc);
	store_bind_text(st, 6, b->has_mac ? mac : NULL, &rc);
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

int store_binding_set_state(struct store *s, const char *port, enum store_state state,
			    const char *failed_reason, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_BINDING_SET_STATE];
	int rc = SQLITE_OK, r;

	assert(port);
	r = state_check(s, "set the state of", port, state, err);
	if (r < 0)
		return r;
	store_bind_text(st, 1, port, &rc);
	store_bind_text(st, 2, state_names[state], &rc);
	store_bind_text(st, 3, failed_reason, &rc);
	store_bind_int(st, 4, store_now(s), &rc);
	store_bind_text(st, 5, state_names[STORE_STATE_LEARNING], &rc);
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
	r = port_id_check(s, "set the record of", port, port_id, err);
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

/* A row of STMT_BINDINGS_LOAD; b borrows its strings. */
static int binding_from_row(struct store *s, sqlite3_value **v, struct store_binding *b,
			    struct err *err)
{
	const char *state = store_value_text(v[2]), *mac = store_value_text(v[5]);
	int k = store_name_find(state_names, _STORE_STATE_MAX, state);
	char names[64];

	*b = (struct store_binding){
		.port = store_value_text(v[0]),
		.xml = store_value_text(v[1]),
		.port_id = (unsigned)sqlite3_value_int64(v[3]),
		.ifindex = sqlite3_value_int(v[4]),
		.has_mac = mac != NULL,
		.record = store_value_text(v[6]),
		.learning_since = store_value_time(v[7]),
		.failed_reason = store_value_text(v[8]),
		.created_at = sqlite3_value_int64(v[9]),
	};
	if (k < 0) {
		store_names_join(state_names, _STORE_STATE_MAX, names, sizeof(names));
		return store_row_fail(s, err, "bindings",
				      "binding %s has state '%s', which is not one of %s", b->port,
				      state ?: "(null)", names);
	}
	b->state = (enum store_state)k;
	if (mac && mac_parse(mac, b->mac) < 0)
		return store_row_fail(s, err, "bindings",
				      "binding %s has MAC '%s', which is not a MAC address",
				      b->port, mac);
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
	for (size_t i = 0; i < rows.n_rows && r >= 0; i++) {
		struct store_binding b;

		r = binding_from_row(s, store_rows_at(&rows, i), &b, err);
		if (r < 0)
			break;
		r = fn(&b, userdata, err);
		if (r < 0)
			r = store_callback_fail(s, r, err, "bindings", b.port);
	}
	store_rows_fini(&rows);
	return r < 0 ? r : 0;
}
