/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What requests and replies share: the errno table, and turning one line of
 * untrusted bytes into a json-c object.
 *
 * json-c's tokener, even in strict mode, accepts things JSON does not:
 * 'single quotes', NaN and Infinity, "1.", raw control characters in
 * strings, and "\u0000", which would cut a key or a value short in C. A
 * small lexical pass runs first and refuses those, validates UTF-8 strictly
 * and finds NUL bytes, so what json-c then sees is plain JSON.
 *
 * XXX: a duplicate key keeps its last value (json-c replaces it while
 * parsing); rejecting duplicates would need a tokenizer of our own.
 */
#include "ctl/ctl-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

static const char *const errno_names[] = {
	[EINVAL] = "EINVAL",       [ENOENT] = "ENOENT",       [EEXIST] = "EEXIST",
	[EBUSY] = "EBUSY",         [EPERM] = "EPERM",         [EACCES] = "EACCES",
	[E2BIG] = "E2BIG",         [ENOMEM] = "ENOMEM",       [EIO] = "EIO",
	[ELOOP] = "ELOOP",         [ENOSPC] = "ENOSPC",       [EPROTO] = "EPROTO",
	[ENOSYS] = "ENOSYS",       [ENODEV] = "ENODEV",       [EAGAIN] = "EAGAIN",
	[ECANCELED] = "ECANCELED", [ETIMEDOUT] = "ETIMEDOUT", [EMSGSIZE] = "EMSGSIZE",
};

const char *ctl_errno_to_name(int error)
{
	if (error < 0)
		error = -error;
	if ((size_t)error >= ARRAY_SIZE(errno_names))
		return NULL;
	return errno_names[error];
}

int ctl_errno_from_name(const char *name)
{
	for (size_t i = 1; i < ARRAY_SIZE(errno_names); i++)
		if (errno_names[i] && strcmp(errno_names[i], name) == 0)
			return -(int)i;
	return 0;
}

size_t ctl_utf8_len(const char *s, size_t rem)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0; /* continuation byte, overlong 2-byte lead, or past U+10FFFF */
	n = p[0] < 0xe0 ? 2 : p[0] < 0xf0 ? 3 : 4;
	/* RFC 3629 section 4: the second byte's range depends on the lead. */
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (rem < n || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

const char *ctl_quote(const char *s, char buf[static CTL_QUOTE_MAX])
{
	size_t o = 0;

	buf[o++] = '\'';
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		/* Keep room for one \xNN, "...", the closing quote and the NUL. */
		if (i == 64 || o > CTL_QUOTE_MAX - 9) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		if (c < 0x20 || c >= 0x7f || c == '\'' || c == '\\')
			o += (size_t)snprintf(buf + o, CTL_QUOTE_MAX - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
	return buf;
}

const char *ctl_json_type_string(json_type type)
{
	switch (type) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_double:
		return "a number";
	case json_type_int:
		return "an integer";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	case json_type_string:
		return "a string";
	}
	return "an unknown value";
}

const char *ctl_json_type_name(const json_object *v)
{
	return ctl_json_type_string(json_object_get_type(v));
}

/* The lexical pass described at the top. */
static int prescan(const char *line, size_t len, const char *who, struct err *err)
{
	bool is_in_string = false;

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)line[i];

		if (c == '\0')
			return err_set(err, -EINVAL, "%s: NUL byte at byte %zu", who, i);
		if (c >= 0x80) {
			size_t n = ctl_utf8_len(line + i, len - i);

			if (n == 0)
				return err_set(err, -EINVAL,
					       "%s: not UTF-8 (byte 0x%02x at byte %zu)", who, c,
					       i);
			i += n;
			continue;
		}
		if (is_in_string) {
			if (c == '"') {
				is_in_string = false;
			} else if (c < 0x20) {
				return err_set(
					err, -EINVAL,
					"%s: not JSON (unescaped control character 0x%02x in a string at byte %zu)",
					who, c, i);
			} else if (c == '\\') {
				if (len - i > 5 && memcmp(line + i + 1, "u0000", 5) == 0)
					return err_set(
						err, -EINVAL,
						"%s: NUL character (\\u0000) in a string at byte %zu",
						who, i);
				/* Skip the escaped character (json-c checks it) unless it is
				 * a NUL or non-ASCII byte, which the checks above must see. */
				if (len - i > 1 && line[i + 1] > 0 &&
				    (unsigned char)line[i + 1] < 0x80)
					i++;
			}
		} else if (c == '"') {
			is_in_string = true;
		} else if (c == '\'' || c == 'N' || c == 'I' ||
			   (c == '.' && (len - i < 2 || line[i + 1] < '0' || line[i + 1] > '9'))) {
			return err_set(err, -EINVAL,
				       "%s: not JSON (unexpected character at byte %zu)", who, i);
		}
		i++;
	}
	return 0;
}

static const char *tokener_error_text(enum json_tokener_error jerr)
{
	switch (jerr) {
	case json_tokener_continue:
	case json_tokener_error_parse_eof:
		return "unexpected end of input";
	default:
		return json_tokener_error_desc(jerr);
	}
}

static void json_tokener_freep(struct json_tokener **tok)
{
	if (*tok)
		json_tokener_free(*tok);
}

static bool is_json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int ctl_json_parse(const char *line, size_t len, const char *who, json_object **ret,
		   struct err *err)
{
	_cleanup_(json_tokener_freep) struct json_tokener *tok = NULL;
	enum json_tokener_error jerr;
	json_object *root;
	size_t end;
	int r;

	if (len > 0 && line[len - 1] == '\n')
		len--;
	if (len > CTL_LINE_MAX)
		return err_set(err, -EMSGSIZE, "%s: line longer than %u bytes", who, CTL_LINE_MAX);
	r = prescan(line, len, who, err);
	if (r < 0)
		return r;

	tok = json_tokener_new_ex(CTL_JSON_DEPTH);
	if (!tok)
		return err_set(err, -ENOMEM, "%s: out of memory", who);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	root = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* A terminating NUL tells json-c the input is over: "123" is complete. */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	if (jerr == json_tokener_error_depth)
		return err_set(err, -EINVAL, "%s: JSON nested deeper than %d levels (at byte %zu)",
			       who, CTL_JSON_DEPTH, end);
	if (jerr != json_tokener_success)
		return err_set(err, -EINVAL, "%s: not JSON (%s at byte %zu)", who,
			       tokener_error_text(jerr), end);
	while (end < len && is_json_space(line[end]))
		end++;
	if (end < len) {
		json_object_put(root);
		return err_set(err, -EINVAL, "%s: not JSON (unexpected character at byte %zu)", who,
			       end);
	}
	if (!json_object_is_type(root, json_type_object)) {
		const char *type = ctl_json_type_name(root);

		json_object_put(root);
		return err_set(err, -EINVAL, "%s: expected a JSON object, got %s", who, type);
	}
	*ret = root;
	return 0;
}

int ctl_json_check_version(json_object *root, const char *who, const char *self, struct err *err)
{
	json_object *v;

	if (!json_object_object_get_ex(root, "version", &v))
		return err_set(err, -EINVAL, "%s: \"version\" missing", who);
	if (!json_object_is_type(v, json_type_int))
		return err_set(err, -EINVAL, "%s: version: expected an integer, got %s", who,
			       ctl_json_type_name(v));
	/* A uint64 above INT64_MAX reads as INT64_MAX: still not 1. */
	if (json_object_get_int64(v) != CTL_PROTOCOL_VERSION)
		return err_set(err, -EPROTO, "%s: unsupported version %s (this %s speaks %d)", who,
			       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN), self,
			       CTL_PROTOCOL_VERSION);
	return 0;
}

int ctl_json_get_id(json_object *root, const char *who, bool is_required, uint64_t *ret,
		    struct err *err)
{
	json_object *v;
	int64_t id;

	if (!json_object_object_get_ex(root, "id", &v)) {
		if (is_required)
			return err_set(err, -EINVAL, "%s: \"id\" missing", who);
		*ret = 0;
		return 0;
	}
	/*
	 * json-c saturates integers past 64 bits, so only a range well inside
	 * them (2^53 - 1) lets us tell a real id from a clipped one.
	 */
	if (!json_object_is_type(v, json_type_int))
		return err_set(err, -EINVAL, "%s: id: expected an integer 0..%" PRIu64 ", got %s",
			       who, CTL_ID_MAX, ctl_json_type_name(v));
	id = json_object_get_int64(v);
	if (id < 0 || (uint64_t)id > CTL_ID_MAX)
		return err_set(err, -EINVAL, "%s: id: expected an integer 0..%" PRIu64 ", got %s",
			       who, CTL_ID_MAX,
			       json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	*ret = (uint64_t)id;
	return 0;
}

int ctl_json_to_line(json_object *root, char **ret_line, size_t *ret_len)
{
	const char *text;
	size_t len;
	char *line;

	text = json_object_to_json_string_length(
		root, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	if (!text) {
		json_object_put(root);
		return -ENOMEM;
	}
	if (len > CTL_LINE_MAX) {
		json_object_put(root);
		return -EMSGSIZE;
	}
	line = malloc(len + 2);
	if (!line) {
		json_object_put(root);
		return -ENOMEM;
	}
	memcpy(line, text, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	json_object_put(root);
	*ret_line = line;
	if (ret_len)
		*ret_len = len + 1;
	return 0;
}

int ctl_document_parse(const char *text, size_t len, const char *who, struct ctl_value **ret,
		       struct err *err)
{
	json_object *root = NULL;
	int r = ctl_json_parse(text, len, who, &root, err);

	if (r >= 0)
		*ret = (struct ctl_value *)(void *)root;
	return r;
}

void ctl_document_free(struct ctl_value *doc)
{
	json_object_put((json_object *)(void *)doc);
}
