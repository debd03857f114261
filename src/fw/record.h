/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the kernel holds for one applied port, as the text that removes it
 * again, and that record's text form: the daemon keeps it in its store,
 * vifguardctl apply in a state file, both through fw_record_format/parse.
 * Also the ids ports carry in the packet mark, as a set of ids in use and
 * the pure choice of a free one; fw_port_id_allocate (apply.h) adds the
 * ids the kernel holds, so the daemon and vifguardctl never hand out the
 * same id.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "fw/compile.h"
#include "util/err.h"

/* What the kernel holds for one port: enough to remove it again. */
struct fw_record {
	char *port; /* owned */
	enum fw_attach attach;
	unsigned port_id;   /* 0 when the port has no stateful rules */
	char *template_id;  /* owned */
	char *template_del; /* owned */
	char *elements_del; /* owned */
	char *prepared_id;  /* owned, or NULL: as in struct fw_port */
};

/* The record of what applying p puts in the kernel; caller frees. -ENOMEM. */
int fw_record_new(const struct fw_port *p, struct fw_record **ret);
struct fw_record *fw_record_free(struct fw_record *rec);
/* The template whose removal rec's template_del is: prepared_id, else template_id. */
const char *fw_record_template(const struct fw_record *rec);

/* Text form for a state file or the store; caller frees; NULL: no memory. */
char *fw_record_format(const struct fw_record *rec);
/*
 * Reads fw_record_format's text back. -EINVAL with a message when the text
 * is not a complete record (no magic line, a missing, repeated or unknown
 * header line, a bad id or attachment, no elements or template section);
 * -ENOMEM.
 */
int fw_record_parse(const char *text, struct fw_record **ret, struct err *err);

static inline void fw_record_freep(struct fw_record **rec)
{
	*rec = fw_record_free(*rec);
}

/* Port ids go in 16 bits of the packet mark; 0 means none. */
#define FW_PORT_ID_MAX 0xffff

/* A set of port ids, as a bitmap (8 KiB: fine on the stack). Zero-initialize it. */
struct fw_port_ids {
	uint8_t bits[(FW_PORT_ID_MAX + 1) / 8];
};

/* Adds id; 0 and ids above FW_PORT_ID_MAX are ignored. */
void fw_port_ids_add(struct fw_port_ids *ids, unsigned id);
bool fw_port_ids_has(const struct fw_port_ids *ids, unsigned id);
/*
 * want when it is a valid id that used does not hold, else the smallest id
 * used does not hold; 0 when all FW_PORT_ID_MAX are in use.
 */
unsigned fw_port_ids_pick(const struct fw_port_ids *used, unsigned want);
