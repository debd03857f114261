/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's persistent state: filters defined at run time, bindings, and
 * the addresses learned for them, in one SQLite file. The only module that
 * knows SQLite.
 *
 * Every function returns >= 0 on success and -errno on failure, and then fills
 * err (when not NULL) with "what, where, why", for example
 * "cannot save binding vnet0 in /var/lib/vifguard/state.db: database is locked".
 * Common codes: -EBUSY (another process holds the write lock), -ENOSPC (disk
 * full), -EIO (corrupt file or I/O error), -EEXIST (a uniqueness rule),
 * -EINVAL (a value out of range), -ENOENT (no such row), -ENOMEM.
 *
 * Calls outside store_begin()/store_commit() are committed one by one; the
 * daemon wraps each batch of events in one transaction.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

struct store;

/* A time stored as NULL ("not learning", "no lease"): any negative value. */
#define STORE_TIME_NONE ((int64_t)-1)

#define STORE_SCHEMA_VERSION 2

/*
 * Opens the database at path, creating the file (mode 0600) when missing; the
 * directory must exist. Runs the schema migrations up to STORE_SCHEMA_VERSION.
 * Refuses a file that is not a database, is corrupt, belongs to another
 * application, or was written by a newer vifguard (-ENOTSUP).
 * Only the daemon may reach the file: a symbolic link at path (or at its
 * -wal, -shm, -journal) is refused (-ELOOP), so is a directory with a mode
 * wider than 0700 (-EPERM); a file wider than 0600 is narrowed to 0600, or
 * refused when that fails (-EPERM: not its owner).
 */
int store_open(const char *path, struct store **ret, struct err *err);
/* Rolls back an open transaction, releases everything. NULL-safe; returns NULL. */
struct store *store_close(struct store *s);
/* Borrowed; valid until store_close(). */
const char *store_path(const struct store *s);

/*
 * One transaction per batch of events. store_begin() takes the write lock at
 * once (-EBUSY when another process holds it); opening a second transaction
 * is a bug. After a failed statement the caller calls store_rollback(), which
 * does nothing when no transaction is open (SQLite ends some on its own, for
 * example on a full disk).
 */
int store_begin(struct store *s, struct err *err);
int store_commit(struct store *s, struct err *err);
int store_rollback(struct store *s, struct err *err);

/*
 * Load callbacks get borrowed values, valid until they return; they may call
 * any store function (the rows are read before the first call). A negative
 * return stops the load, which returns that value; the callback may fill err,
 * otherwise the load says which row it stopped at.
 */

/* Filters defined at run time: name -> canonical <filter> XML. Replaces. */
int store_filter_save(struct store *s, const char *name, const char *xml, struct err *err);
/* -ENOENT when no filter of that name is stored. */
int store_filter_delete(struct store *s, const char *name, struct err *err);

typedef int (*store_filter_fn)(const char *name, const char *xml, void *userdata, struct err *err);
/* In name order. */
int store_filters_load(struct store *s, store_filter_fn fn, void *userdata, struct err *err);

/*
 * A binding's state. The store keeps it as text ("new", "learning", "active",
 * "failed") in databases of every schema version.
 */
enum store_state {
	STORE_STATE_NEW,
	STORE_STATE_LEARNING,
	STORE_STATE_ACTIVE,
	STORE_STATE_FAILED,
	_STORE_STATE_MAX,
};

/*
 * One bound port. Strings are borrowed both ways: the caller's on save, the
 * store's during a load callback. The learning mode and its parameters are
 * part of xml.
 */
struct store_binding {
	const char *port; /* the key */
	const char *xml;  /* canonical <filterbinding> XML */
	enum store_state state;
	unsigned port_id; /* 1..65535, the port's id in the packet mark; 0 = none */
	int ifindex;      /* when bound, to detect a replaced port; 0 = unknown */
	bool has_mac;     /* mac holds the port's MAC address when bound */
	uint8_t mac[6];
	const char *record;        /* the firewall layer's removal record, opaque; or NULL */
	int64_t learning_since;    /* unix seconds, or STORE_TIME_NONE */
	const char *failed_reason; /* or NULL */
	int64_t created_at;        /* unix seconds; set by the store, ignored on save */
};

/*
 * Inserts, or updates every field of an existing binding of that port except
 * created_at; the binding keeps its learned addresses (delete the binding to
 * drop them). -EEXIST when another binding has the same non-zero port_id;
 * -EINVAL for a state out of range or a port_id above 65535.
 */
int store_binding_save(struct store *s, const struct store_binding *b, struct err *err);
/*
 * Sets the state and failed_reason (NULL to clear). Entering
 * STORE_STATE_LEARNING stamps learning_since with the current time (kept while
 * the binding stays learning); any other state clears it. -ENOENT when the
 * port has no binding; -EINVAL for a state out of range.
 */
int store_binding_set_state(struct store *s, const char *port, enum store_state state,
			    const char *failed_reason, struct err *err);
/* Sets port_id and the firewall record (NULL to clear). -ENOENT, -EEXIST as above. */
int store_binding_set_record(struct store *s, const char *port, unsigned port_id,
			     const char *record, struct err *err);
/* Deletes the binding and its addresses. -ENOENT when the port has no binding. */
int store_binding_delete(struct store *s, const char *port, struct err *err);

typedef int (*store_binding_fn)(const struct store_binding *b, void *userdata, struct err *err);
/*
 * In port order. -EIO, naming the binding, at a row whose state or MAC this
 * vifguard cannot read (the file was edited by hand or damaged); the rows
 * before it were delivered.
 */
int store_bindings_load(struct store *s, store_binding_fn fn, void *userdata, struct err *err);

/* Where an address was learned from, or that it was given. Stored as text, as the state is. */
enum store_source {
	STORE_SOURCE_DHCP,
	STORE_SOURCE_ARP,
	STORE_SOURCE_IPV4,
	STORE_SOURCE_STATIC,
	STORE_SOURCE_DHCPV6,
	STORE_SOURCE_DAD,
	STORE_SOURCE_IPV6,
	_STORE_SOURCE_MAX,
};

/*
 * One learned address, in binary. The store keeps addresses as canonical
 * text (util/addr.h ip_format()), so each address has one key.
 */
struct store_address {
	const char *port;    /* borrowed, as for struct store_binding; ignored on add */
	int family;          /* 4 or 6 */
	uint8_t address[16]; /* network byte order: 4 bytes for IPv4, the rest zero on load */
	enum store_source source;
	bool has_server;    /* server holds the DHCP server that granted the lease */
	uint8_t server[16]; /* an address of the same family */
	int64_t lease_end;  /* unix seconds, or STORE_TIME_NONE for no lease */
	int64_t learned_at; /* unix seconds of the first time it was learned; ignored on add */
};

/*
 * Adds a's address to the port's binding, or updates source, server and
 * lease_end when the port already has it (a renewal: learned_at stays).
 * -EINVAL when the family is not 4 or 6, the source is out of range, or the
 * port has no binding.
 */
int store_address_add(struct store *s, const char *port, const struct store_address *a,
		      struct err *err);
/*
 * address holds ip_len(family) bytes. -ENOENT when the port does not have
 * that address; -EINVAL when the family is not 4 or 6.
 */
int store_address_delete(struct store *s, const char *port, int family, const uint8_t *address,
			 struct err *err);
/* Returns the number of addresses deleted. */
int store_addresses_delete_all(struct store *s, const char *port, struct err *err);

typedef int (*store_address_fn)(const struct store_address *a, void *userdata, struct err *err);
/*
 * The addresses of one port, or of all ports when port is NULL; by port, then
 * address text. -EIO, naming the address, at a row whose family, address,
 * source or server this vifguard cannot read; the rows before it were
 * delivered.
 */
int store_addresses_load(struct store *s, const char *port, store_address_fn fn, void *userdata,
			 struct err *err);
/* The addresses whose lease ended at or before now (unix seconds), oldest first; -EIO as above. */
int store_addresses_expired(struct store *s, int64_t now, store_address_fn fn, void *userdata,
			    struct err *err);
