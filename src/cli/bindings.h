/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's bindings as the libvirt commands see them: who owns which
 * port, and the create, delete and dumpxml calls on one. Failures come back
 * as -errno and a sentence in err (the daemon's own message when it
 * answered); the client should be quiet (client_set_quiet()) so that
 * nothing else is printed.
 */
#pragma once

#include <stddef.h>

#include "filter/filter.h"
#include "util/err.h"

/* One binding of the daemon's listing. */
struct cli_bound {
	char *port;       /* owned */
	char *filter;     /* owned */
	char *owner_name; /* owned */
	char *owner_uuid; /* owned; as the daemon prints it: 8-4-4-4-12, lower case */
};

struct cli_bound_list {
	struct cli_bound *items; /* owned, n of them */
	size_t n;
};

/* binding.list into *ret (zeroed first; cli_bound_list_fini() it, also on failure). */
int cli_bound_list_load(struct cli_bound_list *ret, struct err *err);
void cli_bound_list_fini(struct cli_bound_list *l);
/* The binding of port, or NULL. Borrowed from l. */
const struct cli_bound *cli_bound_find(const struct cli_bound_list *l, const char *port);

/* binding.create with b's canonical <filterbinding>. */
int cli_bound_create(const struct binding *b, struct err *err);
/* binding.delete */
int cli_bound_delete(const char *port, struct err *err);
/* binding.dumpxml: the daemon's canonical <filterbinding> of port (caller frees *ret). */
int cli_bound_dumpxml(const char *port, char **ret, struct err *err);
