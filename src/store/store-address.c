/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Learned addresses: one row per (port, address), the address in canonical
 * text so that each address has one spelling, and deleted with its binding.
 */
#include "store.h"
#include "store-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>

#include <sqlite3.h>

#include "util/addr.h"
#include "util/cleanup.h"
#include "util/err.h"

static const char *const address_sources[] = {
	STORE_SOURCE_DHCP,
	STORE_SOURCE_ARP,
	STORE_SOURCE_IPV4,
	STORE_SOURCE_STATIC,
};

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
	if (!store_in_list(source, address_sources, ARRAY_SIZE(address_sources)))
		return err_set(
			err, -EINVAL,
			"cannot save address %s of %s in %s: source '%s' is not one of dhcp, "
			"arp, ipv4, static",
			canon, port, s->path, source ?: "(null)");
	store_bind_text(st, 1, port, &rc);
	store_bind_text(st, 2, canon, &rc);
	store_bind_int(st, 3, family, &rc);
	store_bind_text(st, 4, source, &rc);
	store_bind_text(st, 5, detail, &rc);
	store_bind_time(st, 6, lease_end, &rc);
	store_bind_int(st, 7, store_now(s), &rc);
	rc = store_stmt_run(s, st, rc);
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
	store_bind_text(st, 1, port, &rc);
	store_bind_text(st, 2, canon, &rc);
	rc = store_stmt_run(s, st, rc);
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
	store_bind_text(st, 1, port, &rc);
	rc = store_stmt_run(s, st, rc);
	if (rc != SQLITE_OK)
		return store_fail(s, rc, err, "cannot delete the addresses of %s", port);
	return sqlite3_changes(s->db);
}

/* Calls fn for each row of an address query. */
static int addresses_call(struct store *s, struct store_rows *rows, store_address_fn fn,
			  void *userdata, struct err *err)
{
	for (size_t i = 0; i < rows->n_rows; i++) {
		sqlite3_value **v = store_rows_at(rows, i);
		const struct store_address a = {
			.port = store_value_text(v[0]),
			.address = store_value_text(v[1]),
			.family = sqlite3_value_int(v[2]),
			.source = store_value_text(v[3]),
			.detail = store_value_text(v[4]),
			.lease_end = store_value_time(v[5]),
			.learned_at = sqlite3_value_int64(v[6]),
		};
		char key[256];
		int r = fn(&a, userdata, err);

		if (r < 0) {
			snprintf(key, sizeof(key), "%s of %s", a.address, a.port);
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
