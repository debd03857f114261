/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the files of src/ctl/ only: the one place where json-c types
 * meet our own. Nothing outside src/ctl/ includes this.
 */
#pragma once

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/ctl.h"
#include "util/err.h"

/* Room for a quoted, escaped, possibly shortened piece of user input. */
#define CTL_QUOTE_MAX 96

/*
 * Length of the valid UTF-8 sequence at s (1 for ASCII), or 0 when the bytes
 * there are not valid UTF-8 (overlong forms, surrogates and code points past
 * U+10FFFF included). rem >= 1.
 */
size_t ctl_utf8_len(const char *s, size_t rem);

/*
 * Checks the size and lexical form of line (one optional trailing '\n'
 * allowed) and parses it into an object with the protocol's depth limit.
 * who starts each message ("request", "reply"). Returns 0 and the root
 * object (caller puts it), or -EMSGSIZE/-EINVAL/-ENOMEM.
 */
int ctl_json_parse(const char *line, size_t len, const char *who, json_object **ret,
		   struct err *err);

/* "an object", "a string", ...: the JSON type of v (NULL is null), or a type. */
const char *ctl_json_type_name(const json_object *v);
const char *ctl_json_type_string(json_type type);

/*
 * s for an error message: between single quotes, control and non-ASCII
 * bytes as \xNN, cut with "..." past 64 bytes. Returns buf.
 */
const char *ctl_quote(const char *s, char buf[static CTL_QUOTE_MAX]);

/*
 * The "version" and "id" members shared by requests and replies. The
 * version must be present and equal to CTL_PROTOCOL_VERSION; peer names the
 * other side in the message ("this daemon speaks 1"). An id, when present or
 * is_required, must be an integer in 0..CTL_ID_MAX.
 */
int ctl_json_check_version(json_object *root, const char *who, const char *self, struct err *err);
int ctl_json_get_id(json_object *root, const char *who, bool is_required, uint64_t *ret,
		    struct err *err);

/* Serializes root (compact, '/' unescaped) plus '\n'. Puts root. 0, -ENOMEM or -EMSGSIZE. */
int ctl_json_to_line(json_object *root, char **ret_line, size_t *ret_len);
