/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Learned addresses: one row per (port, address), deleted with its binding.
 * Callers hand over binary addresses; the rows hold their canonical text
 * (ip_format()), so that each address has one spelling and one key.
 */
#include "store.h"
#include "store-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>

#include <sqlite3.h>

#include "util/addr.h"
#include "util/err.h"

/* As stored; the schema's CHECK constraint lists the same names. */
static const char *const source_names[_STORE_SOURCE_MAX] = {
	[STORE_SOURCE_DHCP] = "dhcp",     [STORE_SOURCE_ARP] = "arp",
	[STORE_SOURCE_IPV4] = "ipv4",     [STORE_SOURCE_STATIC] = "static",
	[STORE_SOURCE_DHCPV6] = "dhcpv6", [STORE_SOURCE_DAD] = "dad",
	[STORE_SOURCE_IPV6] = "ipv6",
};

static int family_check(struct store *s, const char *op, const char *port, int family,
			struct err *err)
{
	if (ip_len(family) == 0)
		return err_set(err, -EINVAL,
			       "cannot %s an address of %s in %s: family %d is not 4 or 6", op,
			       port, s->path, family);
	return 0;
}

int store_address_add(struct store *s, const char *port, const struct store_address *a,
		      struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_ADDRESS_ADD];
	char text[IP_TEXT_MAX], server[IP_TEXT_MAX], names[64];
	int rc = SQLITE_OK, r;

	assert(port && a);
	r = family_check(s, "save", port, a->family, err);
	if (r < 0)
		return r;
	ip_format(a->family, a->address, text);
	if ((unsigned)a->source >= _STORE_SOURCE_MAX) {
		store_names_join(source_names, _STORE_SOURCE_MAX, names, sizeof(names));
		return err_set(err, -EINVAL,
			       "cannot save address %s of %s in %s: source %d is not one of %s",
			       text, port, s->path, (int)a->source, names);
	}
	if (a->has_server)
		ip_format(a->family, a->server, server);
	store_bind_text(st, 1, port, &rc);
	store_bind_text(st, 2, text, &rc);
	store_bind_int(st, 3, a->family, &rc);
	store_bind_text(st, 4, source_names[a->source], &rc);
	store_bind_text(st, 5, a->has_server ? server : NULL, &rc);
	store_bind_time(st, 6, a->lease_end, &rc);
	store_bind_int(st, 7, store_now(s), &rc);
	rc = store_stmt_run(s, st, rc);
	if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
		return err_set(err, -EINVAL,
			       "cannot save address %s of %s in %s: %s has no binding", text, port,
			       s->path, port);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot save address %s of %s", text, port);
	return 0;
}

int store_address_delete(struct store *s, const char *port, int family, const uint8_t *address,
			 struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_ADDRESS_DELETE];
	char text[IP_TEXT_MAX];
	int rc = SQLITE_OK, r;

	assert(port && address);
	r = family_check(s, "delete", port, family, err);
	if (r < 0)
		return r;
	ip_format(family, address, text);
	store_bind_text(st, 1, port, &rc);
	store_bind_text(st, 2, text, &rc);
	rc = store_stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot delete address %s of %s", text, port);
	if (sqlite3_changes(s->db) == 0)
		return err_set(err, -ENOENT,
			       "cannot delete address %s of %s in %s: no such address", text, port,
			       s->path);
	return 0;
}

int store_addresses_delete_all(struct store *s, const char *port, struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_ADDRESSES_DELETE_ALL];
	int rc = SQLITE_OK;

	assert(port);
	store_bind_text(st, 1, port, &rc);
	rc = store_stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot delete the addresses of %s", port);
	return sqlite3_changes(s->db);
}

/* A row of an address query; a borrows the port. */
static int address_from_row(struct store *s, sqlite3_value **v, struct store_address *a,
			    struct err *err)
{
	const char *text = store_value_text(v[1]), *source = store_value_text(v[3]);
	const char *server = store_value_text(v[4]);
	int k = store_name_find(source_names, _STORE_SOURCE_MAX, source);
	char names[64];

	*a = (struct store_address){
		.port = store_value_text(v[0]),
		.family = sqlite3_value_int(v[2]),
		.has_server = server != NULL,
		.lease_end = store_value_time(v[5]),
		.learned_at = sqlite3_value_int64(v[6]),
	};
	if (ip_len(a->family) == 0)
		return store_row_fail(s, err, "addresses",
				      "address '%s' of %s has family %d, which is not 4 or 6",
				      text ?: "(null)", a->port, a->family);
	if (!text || ip_parse(a->family, text, a->address) < 0)
		return store_row_fail(s, err, "addresses",
				      "address '%s' of %s is not an IPv%d address",
				      text ?: "(null)", a->port, a->family);
	if (k < 0) {
		store_names_join(source_names, _STORE_SOURCE_MAX, names, sizeof(names));
		return store_row_fail(s, err, "addresses",
				      "address %s of %s has source '%s', which is not one of %s",
				      text, a->port, source ?: "(null)", names);
	}
	a->source = (enum store_source)k;
	if (server && ip_parse(a->family, server, a->server) < 0)
		return store_row_fail(
			s, err, "addresses",
			"address %s of %s has DHCP server '%s', which is not an IPv%d address",
			text, a->port, server, a->family);
	return 0;
}

/* Calls fn for each row of an address query. */
static int addresses_call(struct store *s, struct store_rows *rows, store_address_fn fn,
			  void *userdata, struct err *err)
{
	for (size_t i = 0; i < rows->n_rows; i++) {
		sqlite3_value **v = store_rows_at(rows, i);
		struct store_address a;
		char key[256];
		int r = address_from_row(s, v, &a, err);

		if (r < 0)
			return r;
		r = fn(&a, userdata, err);
		if (r < 0) {
			snprintf(key, sizeof(key), "%s of %s", store_value_text(v[1]), a.port);
			return store_callback_fail(s, r, err, "addresses", key);
		}
	}
	return 0;
}

int store_addresses_load(struct store *s, const char *port, store_address_fn fn, void *userdata,
			 struct err *err)
{
	sqlite3_stmt *st = s->stmt[port ? STMT_ADDRESSES_LOAD_PORT : STMT_ADDRESSES_LOAD];
	struct store_rows rows;
	int rc = SQLITE_OK, r;

	err_clear(err);
	if (port)
		store_bind_text(st, 1, port, &rc);
	rc = store_rows_read(s, st, rc, &rows);
	if (rc != SQLITE_OK)
		return port ? store_fail(s, rc, err, "cannot load the addresses of %s", port)
			    : store_fail(s, rc, err, "cannot load addresses");
	r = addresses_call(s, &rows, fn, userdata, err);
	store_rows_fini(&rows);
	return r;
}

int store_addresses_expired(struct store *s, int64_t now, store_address_fn fn, void *userdata,
			    struct err *err)
{
	sqlite3_stmt *st = s->stmt[STMT_ADDRESSES_EXPIRED];
	struct store_rows rows;
	int rc = SQLITE_OK, r;

	err_clear(err);
	store_bind_int(st, 1, now, &rc);
	rc = store_rows_read(s, st, rc, &rows);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot load expired addresses");
	r = addresses_call(s, &rows, fn, userdata, err);
	store_rows_fini(&rows);
	return r;
}
