/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The control protocol, version 1: one JSON object per '\n'-terminated line
 * each way over a UNIX stream socket.
 *
 *   request  {"version":1,"id":7,"verb":"binding.show","args":{"port":"vnet0"}}
 *   reply    {"version":1,"id":7,"ok":true,"data":{...}}
 *            {"version":1,"id":7,"ok":false,"error":"ENOENT","message":"..."}
 *   item     {"version":1,"id":7,"item":{...}}     (listings: items, then a reply
 *                                                   whose data has "count")
 *   event    {"version":1,"event":{"type":"learned",...}}   (after "watch")
 *
 * The daemon parses requests into struct ctl_request and writes replies with
 * struct ctl_obj; the CLI formats requests and reads replies as struct
 * ctl_message / struct ctl_value. json-c stays behind this header: neither
 * side includes it. Both directions are checked equally strictly (STYLE §8).
 *
 * Byte offsets in error messages count from 0.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CTL_PROTOCOL_VERSION 1
/* Longest line, without its '\n'. */
#define CTL_LINE_MAX         (4u << 20)
/* Longest string in a request's args (XML, a parameter value, ...). */
#define CTL_STRING_MAX       (2u << 20)
#define CTL_PARAMS_MAX       256
#define CTL_PARAM_VALUES_MAX 1024
/*
 * json-c tokener depth: every nesting level counts, a scalar leaf included,
 * so a scalar may sit inside at most 15 objects/arrays.
 */
#define CTL_JSON_DEPTH       16
/* Largest id: 2^53 - 1, exact in every JSON implementation. */
#define CTL_ID_MAX           ((UINT64_C(1) << 53) - 1)

/* ---- errno names ---------------------------------------------------------- */

/* "ENOENT" for -ENOENT (or ENOENT); NULL for errno values outside the protocol's table. */
const char *ctl_errno_to_name(int error);
/* -ENOENT for "ENOENT"; 0 for names outside the table. */
int ctl_errno_from_name(const char *name);

/* ---- requests --------------------------------------------------------------- */

enum ctl_verb {
	CTL_VERB_STATUS,
	CTL_VERB_RELOAD,
	CTL_VERB_WATCH,
	CTL_VERB_FILTER_DEFINE,
	CTL_VERB_FILTER_UNDEFINE,
	CTL_VERB_FILTER_LIST,
	CTL_VERB_FILTER_DUMPXML,
	CTL_VERB_BINDING_CREATE,
	CTL_VERB_BINDING_DELETE,
	CTL_VERB_BINDING_LIST,
	CTL_VERB_BINDING_SHOW,
	CTL_VERB_BINDING_DUMPXML,
	CTL_VERB_BINDING_RELEARN,
	CTL_VERB_BINDING_VERIFY,
	CTL_VERB_STATS,
	CTL_VERB_METRICS,
	_CTL_VERB_MAX,
};

/* "binding.create" for CTL_VERB_BINDING_CREATE; NULL when out of range. */
const char *ctl_verb_to_string(enum ctl_verb verb);
/* The verb, or -ENOSYS for an unknown name. */
int ctl_verb_from_string(const char *name);

/* One filter parameter: "IP": ["10.0.0.1", "10.0.0.2"]. */
struct ctl_param {
	char *name;
	char **values;
	size_t n_values;
};

/*
 * A request. Strings are owned, NUL-free, at most CTL_STRING_MAX bytes;
 * NULL when the request did not carry them. Which args a verb takes:
 *   status, watch, filter.list, binding.list, metrics   none
 *   stats                                               optional port
 *   reload                                              optional on_failure
 *   filter.define                                       xml, optional on_failure
 *   filter.undefine, filter.dumpxml                     name
 *   binding.delete/show/dumpxml/relearn                 port
 *   binding.create    either xml alone, or port + mac + filter and optional
 *                     params, owner, linkdev; either with optional on_failure
 *   binding.verify    optional port
 */
struct ctl_request {
	int version; /* always CTL_PROTOCOL_VERSION after a successful parse */
	uint64_t id; /* 0..CTL_ID_MAX, 0 when the request had none */
	enum ctl_verb verb;
	char *xml;
	char *name;
	char *port;
	char *mac;
	char *filter;
	char *owner;
	char *linkdev;
	/* binding.create: "down" (the default) or "keep-up"; filter.define and reload:
	 * "down" or "keep-old-rules" */
	char *on_failure;
	/* binding.create: addresses the port learned elsewhere (ctl_learned_parse) */
	char *learned;
	struct ctl_param *params; /* owned array of n_params; NULL when absent */
	size_t n_params;
};

/*
 * Parses one request line (the '\n' may be included or not; len bytes, NUL
 * bytes are rejected). Pure: any bytes are safe. On success fills *ret,
 * which the caller releases with ctl_request_fini().
 *
 * On failure returns a negative errno and a sentence in err ("request: ..."):
 * -EMSGSIZE line too long, -EPROTO unsupported version, -ENOSYS unknown
 * verb, -E2BIG a string or params limit, -EINVAL anything else. As the one
 * exception to "outputs untouched on failure", ret->id is then set to the
 * request's id if it could be read (else 0), so the error reply can echo it;
 * nothing else in *ret is written and nothing needs freeing.
 */
int ctl_request_parse(const char *line, size_t len, struct ctl_request *ret, struct err *err);

/* Frees what *req owns and zeroes it. NULL-safe. */
void ctl_request_fini(struct ctl_request *req);

/*
 * Formats req as one line ending in '\n' (*ret_line, caller frees). Writes
 * "version": 1 whatever req->version says, and every non-NULL arg field;
 * the result is checked exactly as ctl_request_parse() would check it, so
 * an arg the verb does not take, a missing one or a limit fails here with
 * the same message (plus -EINVAL for duplicate parameter names and -ENOMEM).
 */
int ctl_request_format(const struct ctl_request *req, char **ret_line, struct err *err);

/*
 * The "learned" argument of binding.create: a live migration's learned
 * addresses, "ADDRESS/SOURCE/SERVER/LEASE_END/LEARNED_AT" entries separated
 * by ','; ADDRESS IPv4 with SOURCE dhcp, arp or ipv4 and SERVER an IPv4
 * address or '-', or IPv6 with SOURCE dhcpv6, dad or ipv6 and SERVER '-';
 * LEASE_END and LEARNED_AT seconds since the epoch, LEASE_END '-' for none.
 */
struct ctl_learned {
	uint8_t address[16]; /* IPv4: the first 4 bytes */
	bool is_ipv6;
	char source[8];
	bool has_server;
	uint8_t server[4];
	bool has_lease;
	int64_t lease_end;
	int64_t learned_at;
};
#define CTL_LEARNED_MAX 4096
/*
 * Parses text into out[] (at most max entries, *ret_n of them); pure, any
 * bytes are safe. -EINVAL/-E2BIG with err naming the entry and what is wrong.
 */
int ctl_learned_parse(const char *text, struct ctl_learned *out, size_t max, size_t *ret_n,
		      struct err *err);
/* One entry, as parse reads it, into buf; -ENOSPC when it does not fit. */
int ctl_learned_format(const struct ctl_learned *l, char *buf, size_t size);

/* ---- writing replies, items, events (daemon side) ------------------------- */

/*
 * A JSON object or array under construction. Objects come from
 * ctl_obj_new() (a root, owned by the caller until handed to a line builder)
 * or from ctl_obj_add_obj()/ctl_array_add_obj() (a child, borrowed: owned by
 * its parent). Keys keep their insertion order; adding an existing key
 * replaces its value. Strings that are not valid UTF-8 are written with
 * U+FFFD for each invalid byte. Do not nest deeper than CTL_JSON_DEPTH
 * (counting the line's own object): the reader would reject the line.
 *
 * The add functions return 0 or -ENOMEM. A NULL obj/arr (a failed
 * ctl_obj_add_obj() and friends) is accepted and yields -ENOMEM.
 */
struct ctl_obj;
struct ctl_array;

struct ctl_obj *ctl_obj_new(void);
/* Frees a root object and all its children. NULL-safe; returns NULL. */
struct ctl_obj *ctl_obj_free(struct ctl_obj *obj);

/* A NULL value writes null. */
int ctl_obj_add_string(struct ctl_obj *obj, const char *key, const char *value);
int ctl_obj_add_int(struct ctl_obj *obj, const char *key, int64_t value);
int ctl_obj_add_uint(struct ctl_obj *obj, const char *key, uint64_t value);
int ctl_obj_add_bool(struct ctl_obj *obj, const char *key, bool value);
int ctl_obj_add_null(struct ctl_obj *obj, const char *key);
/* Child object/array under key; borrowed. NULL on -ENOMEM or a NULL obj. */
struct ctl_obj *ctl_obj_add_obj(struct ctl_obj *obj, const char *key);
struct ctl_array *ctl_obj_add_array(struct ctl_obj *obj, const char *key);

/* A NULL value writes null. */
int ctl_array_add_string(struct ctl_array *arr, const char *value);
int ctl_array_add_int(struct ctl_array *arr, int64_t value);
int ctl_array_add_uint(struct ctl_array *arr, uint64_t value);
int ctl_array_add_bool(struct ctl_array *arr, bool value);
/* Appended child object/array; borrowed. NULL on -ENOMEM or a NULL arr. */
struct ctl_obj *ctl_array_add_obj(struct ctl_array *arr);
struct ctl_array *ctl_array_add_array(struct ctl_array *arr);

/*
 * Line builders. Each takes ownership of its root object (also on failure;
 * NULL stands for {}), and stores a malloc'd, '\n'-terminated line in
 * *ret_line (*ret_len, when not NULL, gets its length). id must be at most
 * CTL_ID_MAX. Return 0, -ENOMEM, or -EMSGSIZE when the line would exceed
 * CTL_LINE_MAX (the daemon then answers with ctl_reply_error()).
 */
int ctl_reply_ok(uint64_t id, struct ctl_obj *data, char **ret_line, size_t *ret_len);
/* {"version":1,"id":N,"ok":true,"data":{"count":K}}: the end of a listing. */
int ctl_reply_count(uint64_t id, uint64_t count, char **ret_line, size_t *ret_len);
int ctl_item(uint64_t id, struct ctl_obj *item, char **ret_line, size_t *ret_len);
/* event should carry a "type" string: readers reject events without one. */
int ctl_event(struct ctl_obj *event, char **ret_line, size_t *ret_len);
/*
 * error is a negative errno; values outside the protocol's table are sent
 * as "EIO". The message is cut at 4096 bytes, so this never fails with
 * -EMSGSIZE; only -ENOMEM.
 */
int ctl_reply_error(uint64_t id, int error, const char *message, char **ret_line, size_t *ret_len);
/* A root object alone, as one '\n'-terminated line (the CLI's --json output); takes obj. */
int ctl_obj_to_line(struct ctl_obj *obj, char **ret_line);

/* ---- reading replies, items, events (CLI side) ---------------------------- */

/* A JSON value inside a parsed message; borrowed from the message. NULL is JSON null. */
struct ctl_value;

enum ctl_type {
	CTL_TYPE_NULL,
	CTL_TYPE_BOOL,
	CTL_TYPE_INT,
	CTL_TYPE_DOUBLE,
	CTL_TYPE_STRING,
	CTL_TYPE_ARRAY,
	CTL_TYPE_OBJECT,
};

enum ctl_message_kind {
	CTL_MESSAGE_REPLY,
	CTL_MESSAGE_ITEM,
	CTL_MESSAGE_EVENT,
};

struct ctl_message {
	enum ctl_message_kind kind;
	uint64_t id;                  /* replies and items; 0 for events */
	bool is_ok;                   /* replies */
	int error;                    /* failed replies: -errno for the name, -EIO if unknown */
	const char *error_name;       /* failed replies: "ENOENT"; borrowed */
	const char *message;          /* failed replies: the sentence; borrowed */
	const char *event_type;       /* events: "learned", ...; borrowed */
	const struct ctl_value *data; /* ok reply's data, the item, or the event (objects) */
	struct ctl_value *root_;      /* private: owns everything above */
};

/*
 * Parses one line from the daemon and checks its shape: version 1, exactly
 * the keys of a reply (ok true: id, data object; ok false: id, error name,
 * message), an item (id, item object) or an event (event object with a
 * non-empty "type"), nothing else. Same limits as requests, and numbers
 * must be finite. Returns 0 and fills *ret (release with
 * ctl_message_fini()), or -EMSGSIZE/-EPROTO/-EINVAL and "reply: ..." in err,
 * leaving *ret untouched.
 */
int ctl_message_parse(const char *line, size_t len, struct ctl_message *ret, struct err *err);
/* NULL-safe; zeroes *msg. */
void ctl_message_fini(struct ctl_message *msg);

/*
 * A JSON object from a file (binding export): the limits of a line, any
 * layout; who names it in err. The root is the caller's: ctl_document_free().
 */
int ctl_document_parse(const char *text, size_t len, const char *who, struct ctl_value **ret,
		       struct err *err);
void ctl_document_free(struct ctl_value *doc);

enum ctl_type ctl_value_type(const struct ctl_value *v);
/* "an object", "a string", "null", ...: for messages. */
const char *ctl_type_to_string(enum ctl_type type);

/* 0 and *ret (possibly NULL for null) for a member; -ENOENT when absent; -EINVAL when obj is no
 * object. */
int ctl_value_find(const struct ctl_value *obj, const char *key, const struct ctl_value **ret);
/* 0, or -EINVAL when v has another type. Strings are borrowed, NUL-free. */
int ctl_value_string(const struct ctl_value *v, const char **ret);
/* Integers also fail with -ERANGE outside int64_t (uint64_t for ctl_value_uint(): negatives). */
int ctl_value_int(const struct ctl_value *v, int64_t *ret);
int ctl_value_uint(const struct ctl_value *v, uint64_t *ret);
int ctl_value_bool(const struct ctl_value *v, bool *ret);
/* 0 for anything but an array. */
size_t ctl_value_array_len(const struct ctl_value *v);
/* NULL when out of range (or the element is null). */
const struct ctl_value *ctl_value_array_at(const struct ctl_value *v, size_t i);

/* Object iteration in the order of the line: ctl_value_iter_init(), then next() until false. */
struct ctl_iter {
	const void *next_;
};
void ctl_value_iter_init(struct ctl_iter *it, const struct ctl_value *obj);
bool ctl_value_iter_next(struct ctl_iter *it, const char **ret_key, const struct ctl_value **ret);

/*
 * Strict member access for checking replies: key of obj must exist with the
 * given type. where names obj in messages: ("data", "count") fails as
 * `reply: "data.count" missing` or `reply: data.count: expected an integer,
 * got a string`. Returns 0, -ENOENT or -EINVAL.
 */
int ctl_value_member(const struct ctl_value *obj, const char *where, const char *key,
		     enum ctl_type type, const struct ctl_value **ret, struct err *err);
int ctl_value_member_string(const struct ctl_value *obj, const char *where, const char *key,
			    const char **ret, struct err *err);
int ctl_value_member_int(const struct ctl_value *obj, const char *where, const char *key,
			 int64_t *ret, struct err *err);
int ctl_value_member_bool(const struct ctl_value *obj, const char *where, const char *key,
			  bool *ret, struct err *err);

/* v as JSON text (no newline; pretty: indented), for --json. Caller frees; NULL on -ENOMEM. */
char *ctl_value_to_json_string(const struct ctl_value *v, bool pretty);
/*
 * The object obj as compact JSON text with its member key set to the string
 * value (replaced in place, or added last); obj itself is unchanged. Caller
 * frees; NULL on -ENOMEM or when obj is no object.
 */
char *ctl_value_to_json_string_with(const struct ctl_value *obj, const char *key,
				    const char *value);

/* ---- splitting a byte stream into lines ---------------------------------- */

/*
 * Accumulates bytes from a non-blocking socket and yields complete lines.
 * After a ctl_linebuf_feed(), call ctl_linebuf_next() until it returns 0,
 * or stop early and come back later: lines wait in the buffer. A line
 * longer than CTL_LINE_MAX, complete or not, is never stored: next()
 * returns -EMSGSIZE once (after the complete lines before it); from then on
 * the buffer discards all input and yields nothing: close the connection.
 * The buffer holds the complete lines fed and not yet returned, plus at
 * most CTL_LINE_MAX bytes of the line in progress; feeding only when
 * ctl_linebuf_has_line() is false bounds it by CTL_LINE_MAX plus one feed.
 */
struct ctl_linebuf {
	char *buf;
	size_t len; /* bytes held */
	size_t cap;
	size_t consumed;  /* start of the first line not yet returned */
	size_t tail;      /* just past the last '\n' held: [consumed, tail) are complete lines */
	bool is_overflow; /* the line after tail is too long: fail once the lines before are out */
	bool is_dead;     /* the error was returned */
};

void ctl_linebuf_init(struct ctl_linebuf *lb);
void ctl_linebuf_fini(struct ctl_linebuf *lb);
/* Appends bytes; 0 or -ENOMEM (the bytes are then lost: close the connection). */
int ctl_linebuf_feed(struct ctl_linebuf *lb, const void *data, size_t len);
/*
 * 1 and the next line without its '\n' (NUL-terminated, may contain other
 * NUL bytes; borrowed until the next feed() or fini()); 0 when no complete
 * line is held; -EMSGSIZE as described above.
 */
int ctl_linebuf_next(struct ctl_linebuf *lb, const char **ret_line, size_t *ret_len);
/* Whether next() would return a line or the -EMSGSIZE error now. */
bool ctl_linebuf_has_line(const struct ctl_linebuf *lb);
/* Bytes held that no next() returned yet (a partial line at EOF, say). */
size_t ctl_linebuf_pending(const struct ctl_linebuf *lb);
