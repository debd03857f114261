/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Replies, items and events, built without json-c in the caller's headers:
 * struct ctl_obj and struct ctl_array are json-c objects behind incomplete
 * types, so building costs no extra allocation and the daemon never sees
 * json-c. Strings are repaired to valid UTF-8 on the way in, because the
 * reader refuses anything else and an interface name or an XML file can
 * carry any bytes.
 */
#include "ctl/ctl-internal.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#define MESSAGE_MAX 4096

static json_object *J(struct ctl_obj *obj)
{
	return (json_object *)(void *)obj;
}

static json_object *JA(struct ctl_array *arr)
{
	return (json_object *)(void *)arr;
}

static bool is_utf8(const char *s, size_t len)
{
	size_t n;

	for (size_t i = 0; i < len; i += n)
		if ((n = ctl_utf8_len(s + i, len - i)) == 0)
			return false;
	return true;
}

/* A copy of s with each byte that is not part of valid UTF-8 replaced by U+FFFD. */
static char *utf8_repair(const char *s, size_t len)
{
	char *fixed = malloc(len * 3 + 1);
	size_t o = 0, n;

	if (!fixed)
		return NULL;
	for (size_t i = 0; i < len; i += n ? n : 1) {
		n = ctl_utf8_len(s + i, len - i);
		if (n == 0) {
			memcpy(fixed + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			memcpy(fixed + o, s + i, n);
			o += n;
		}
	}
	fixed[o] = '\0';
	return fixed;
}

static json_object *new_string(const char *s)
{
	size_t len = strlen(s);
	_cleanup_free_ char *fixed = NULL;

	if (is_utf8(s, len))
		return json_object_new_string_len(s, (int)len);
	fixed = utf8_repair(s, len);
	return fixed ? json_object_new_string(fixed) : NULL;
}

/* Takes ownership of val; a NULL val is only allowed when is_null. */
static int add_value(json_object *obj, const char *key, json_object *val, bool is_null)
{
	_cleanup_free_ char *fixed_key = NULL;

	if (!obj || (!val && !is_null)) {
		json_object_put(val);
		return -ENOMEM;
	}
	/* Keys get the same repair as values. */
	if (!is_utf8(key, strlen(key))) {
		fixed_key = utf8_repair(key, strlen(key));
		if (!fixed_key) {
			json_object_put(val);
			return -ENOMEM;
		}
		key = fixed_key;
	}
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static int append_value(json_object *arr, json_object *val)
{
	if (!arr || !val || json_object_array_add(arr, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

struct ctl_obj *ctl_obj_new(void)
{
	return (struct ctl_obj *)(void *)json_object_new_object();
}

struct ctl_obj *ctl_obj_free(struct ctl_obj *obj)
{
	json_object_put(J(obj));
	return NULL;
}

int ctl_obj_add_string(struct ctl_obj *obj, const char *key, const char *value)
{
	if (!value)
		return ctl_obj_add_null(obj, key);
	return add_value(J(obj), key, obj ? new_string(value) : NULL, false);
}

int ctl_obj_add_int(struct ctl_obj *obj, const char *key, int64_t value)
{
	return add_value(J(obj), key, obj ? json_object_new_int64(value) : NULL, false);
}

int ctl_obj_add_uint(struct ctl_obj *obj, const char *key, uint64_t value)
{
	return add_value(J(obj), key, obj ? json_object_new_uint64(value) : NULL, false);
}

int ctl_obj_add_bool(struct ctl_obj *obj, const char *key, bool value)
{
	return add_value(J(obj), key, obj ? json_object_new_boolean(value) : NULL, false);
}

int ctl_obj_add_null(struct ctl_obj *obj, const char *key)
{
	return add_value(J(obj), key, NULL, true);
}

struct ctl_obj *ctl_obj_add_obj(struct ctl_obj *obj, const char *key)
{
	json_object *child = obj ? json_object_new_object() : NULL;

	if (add_value(J(obj), key, child, false) < 0)
		return NULL;
	return (struct ctl_obj *)(void *)child;
}

struct ctl_array *ctl_obj_add_array(struct ctl_obj *obj, const char *key)
{
	json_object *child = obj ? json_object_new_array() : NULL;

	if (add_value(J(obj), key, child, false) < 0)
		return NULL;
	return (struct ctl_array *)(void *)child;
}

int ctl_array_add_string(struct ctl_array *arr, const char *value)
{
	if (!value)
		return arr && json_object_array_add(JA(arr), NULL) == 0 ? 0 : -ENOMEM;
	return append_value(JA(arr), arr ? new_string(value) : NULL);
}

int ctl_array_add_int(struct ctl_array *arr, int64_t value)
{
	return append_value(JA(arr), arr ? json_object_new_int64(value) : NULL);
}

int ctl_array_add_uint(struct ctl_array *arr, uint64_t value)
{
	return append_value(JA(arr), arr ? json_object_new_uint64(value) : NULL);
}

int ctl_array_add_bool(struct ctl_array *arr, bool value)
{
	return append_value(JA(arr), arr ? json_object_new_boolean(value) : NULL);
}

struct ctl_obj *ctl_array_add_obj(struct ctl_array *arr)
{
	json_object *child = arr ? json_object_new_object() : NULL;

	if (append_value(JA(arr), child) < 0)
		return NULL;
	return (struct ctl_obj *)(void *)child;
}

struct ctl_array *ctl_array_add_array(struct ctl_array *arr)
{
	json_object *child = arr ? json_object_new_array() : NULL;

	if (append_value(JA(arr), child) < 0)
		return NULL;
	return (struct ctl_array *)(void *)child;
}

/* {"version":1[,"id":id]}; NULL on -ENOMEM. */
static json_object *envelope(bool has_id, uint64_t id)
{
	json_object *root = json_object_new_object();

	assert(id <= CTL_ID_MAX);
	if (!root)
		return NULL;
	if (add_value(root, "version", json_object_new_int(CTL_PROTOCOL_VERSION), false) < 0 ||
	    (has_id && add_value(root, "id", json_object_new_uint64(id), false) < 0)) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

/* Wraps body (owned; NULL for {}) under key in an envelope and serializes it. */
static int wrap(bool has_id, uint64_t id, bool is_reply, const char *key, struct ctl_obj *body,
		char **ret_line, size_t *ret_len)
{
	json_object *b = body ? J(body) : json_object_new_object();
	json_object *root = envelope(has_id, id);

	if (!root || !b) {
		json_object_put(b);
		json_object_put(root);
		return -ENOMEM;
	}
	if (is_reply && add_value(root, "ok", json_object_new_boolean(true), false) < 0) {
		json_object_put(b);
		json_object_put(root);
		return -ENOMEM;
	}
	if (add_value(root, key, b, false) < 0) {
		json_object_put(root);
		return -ENOMEM;
	}
	return ctl_json_to_line(root, ret_line, ret_len);
}

int ctl_reply_ok(uint64_t id, struct ctl_obj *data, char **ret_line, size_t *ret_len)
{
	return wrap(true, id, true, "data", data, ret_line, ret_len);
}

int ctl_reply_count(uint64_t id, uint64_t count, char **ret_line, size_t *ret_len)
{
	struct ctl_obj *data = ctl_obj_new();

	if (ctl_obj_add_uint(data, "count", count) < 0) {
		ctl_obj_free(data);
		return -ENOMEM;
	}
	return ctl_reply_ok(id, data, ret_line, ret_len);
}

int ctl_item(uint64_t id, struct ctl_obj *item, char **ret_line, size_t *ret_len)
{
	return wrap(true, id, false, "item", item, ret_line, ret_len);
}

int ctl_event(struct ctl_obj *event, char **ret_line, size_t *ret_len)
{
	return wrap(false, 0, false, "event", event, ret_line, ret_len);
}

int ctl_reply_error(uint64_t id, int error, const char *message, char **ret_line, size_t *ret_len)
{
	const char *name = ctl_errno_to_name(error);
	_cleanup_free_ char *cut = NULL;
	json_object *root;

	if (!name || error >= 0)
		name = "EIO";
	if (!message)
		message = "";
	if (strlen(message) > MESSAGE_MAX) {
		size_t n = MESSAGE_MAX;

		/* Cut on a character boundary. */
		while (n > 0 && ((unsigned char)message[n] & 0xc0) == 0x80)
			n--;
		cut = strndup(message, n);
		if (!cut)
			return -ENOMEM;
		message = cut;
	}
	root = envelope(true, id);
	if (!root || add_value(root, "ok", json_object_new_boolean(false), false) < 0 ||
	    add_value(root, "error", json_object_new_string(name), false) < 0 ||
	    add_value(root, "message", new_string(message), false) < 0) {
		json_object_put(root);
		return -ENOMEM;
	}
	return ctl_json_to_line(root, ret_line, ret_len);
}

int ctl_obj_to_line(struct ctl_obj *obj, char **ret_line)
{
	return ctl_json_to_line(obj ? J(obj) : json_object_new_object(), ret_line, NULL);
}
