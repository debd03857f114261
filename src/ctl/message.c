/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The CLI's side: a line from the daemon -> struct ctl_message, checked as
 * strictly as the daemon checks requests (STYLE §8), and read-only access to
 * its JSON through struct ctl_value, an incomplete type standing for a
 * json-c object owned by the message.
 */
#include "ctl/ctl-internal.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"

#define WHO "reply"

static json_object *J(const struct ctl_value *v)
{
	/* json-c's getters take non-const objects; nothing here modifies them. */
	return (json_object *)(uintptr_t)v;
}

static const struct ctl_value *V(const json_object *o)
{
	return (const struct ctl_value *)(const void *)o;
}

static void json_object_putp(json_object **o)
{
	json_object_put(*o);
}

/* Doubles json-c reads as inf (1e999) would print back as Infinity, which is not JSON. */
static int check_finite(json_object *v, struct err *err)
{
	int r;

	switch (json_object_get_type(v)) {
	case json_type_double:
		if (!isfinite(json_object_get_double(v)))
			return err_set(err, -EINVAL, WHO ": number out of range");
		return 0;
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			r = check_finite(json_object_array_get_idx(v, i), err);
			if (r < 0)
				return r;
		}
		return 0;
	case json_type_object:
		for (struct lh_entry *e = lh_table_head(json_object_get_object(v)); e;
		     e = lh_entry_next(e)) {
			r = check_finite(lh_entry_v(e), err);
			if (r < 0)
				return r;
		}
		return 0;
	default:
		return 0;
	}
}

/* Every key of root must be one of keys (what names the kind of line). */
static int check_keys(json_object *root, const char *const *keys, size_t n_keys, const char *what,
		      const char *known, struct err *err)
{
	for (struct lh_entry *e = lh_table_head(json_object_get_object(root)); e;
	     e = lh_entry_next(e)) {
		const char *key = lh_entry_k(e);
		bool is_known = false;
		char q[CTL_QUOTE_MAX];

		for (size_t i = 0; i < n_keys; i++)
			is_known = is_known || strcmp(key, keys[i]) == 0;
		if (!is_known)
			return err_set(err, -EINVAL, WHO ": unknown key %s in %s (known: %s)",
				       ctl_quote(key, q), what, known);
	}
	return 0;
}

static int get_member(json_object *obj, const char *where, const char *key, json_type type,
		      json_object **ret, struct err *err)
{
	const char *dot = where ? "." : "";
	json_object *v = NULL;

	if (!where)
		where = "";
	if (!json_object_object_get_ex(obj, key, &v))
		return err_set(err, -EINVAL, WHO ": \"%s%s%s\" missing", where, dot, key);
	if (!json_object_is_type(v, type))
		return err_set(err, -EINVAL, WHO ": %s%s%s: expected %s, got %s", where, dot, key,
			       ctl_json_type_string(type), ctl_json_type_name(v));
	*ret = v;
	return 0;
}

static bool is_errno_name(const char *s)
{
	if (s[0] != 'E')
		return false;
	for (size_t i = 0; s[i]; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')) || i >= 32)
			return false;
	return true;
}

static int parse_reply(json_object *root, struct ctl_message *m, struct err *err)
{
	static const char *const ok_keys[] = { "version", "id", "ok", "data" };
	static const char *const error_keys[] = { "version", "id", "ok", "error", "message" };
	json_object *v = NULL;
	char q[CTL_QUOTE_MAX];
	int r;

	r = get_member(root, NULL, "ok", json_type_boolean, &v, err);
	if (r < 0)
		return r;
	m->kind = CTL_MESSAGE_REPLY;
	m->is_ok = json_object_get_boolean(v);
	if (m->is_ok) {
		r = check_keys(root, ok_keys, ARRAY_SIZE(ok_keys), "a reply",
			       "version, id, ok, data", err);
		if (r < 0)
			return r;
		r = get_member(root, NULL, "data", json_type_object, &v, err);
		m->data = V(v);
		return r;
	}
	r = check_keys(root, error_keys, ARRAY_SIZE(error_keys), "an error reply",
		       "version, id, ok, error, message", err);
	if (r < 0)
		return r;
	r = get_member(root, NULL, "error", json_type_string, &v, err);
	if (r < 0)
		return r;
	m->error_name = json_object_get_string(v);
	if (!is_errno_name(m->error_name))
		return err_set(err, -EINVAL,
			       WHO ": error: expected an errno name like ENOENT, got %s",
			       ctl_quote(m->error_name, q));
	m->error = ctl_errno_from_name(m->error_name);
	if (m->error == 0)
		m->error = -EIO; /* a newer daemon may know more names */
	r = get_member(root, NULL, "message", json_type_string, &v, err);
	if (r < 0)
		return r;
	m->message = json_object_get_string(v);
	return 0;
}

static int parse_item(json_object *root, struct ctl_message *m, struct err *err)
{
	static const char *const keys[] = { "version", "id", "item" };
	json_object *v = NULL;
	int r;

	r = check_keys(root, keys, ARRAY_SIZE(keys), "an item", "version, id, item", err);
	if (r < 0)
		return r;
	r = get_member(root, NULL, "item", json_type_object, &v, err);
	if (r < 0)
		return r;
	m->kind = CTL_MESSAGE_ITEM;
	m->data = V(v);
	return 0;
}

static int parse_event(json_object *root, struct ctl_message *m, struct err *err)
{
	static const char *const keys[] = { "version", "event" };
	json_object *event = NULL, *type = NULL;
	int r;

	r = check_keys(root, keys, ARRAY_SIZE(keys), "an event", "version, event", err);
	if (r < 0)
		return r;
	r = get_member(root, NULL, "event", json_type_object, &event, err);
	if (r < 0)
		return r;
	r = get_member(event, "event", "type", json_type_string, &type, err);
	if (r < 0)
		return r;
	if (json_object_get_string_len(type) == 0)
		return err_set(err, -EINVAL, WHO ": event.type is empty");
	m->kind = CTL_MESSAGE_EVENT;
	m->event_type = json_object_get_string(type);
	m->data = V(event);
	return 0;
}

int ctl_message_parse(const char *line, size_t len, struct ctl_message *ret, struct err *err)
{
	_cleanup_(json_object_putp) json_object *root = NULL;
	struct ctl_message m = { 0 };
	int r;

	r = ctl_json_parse(line, len, WHO, &root, err);
	if (r < 0)
		return r;
	r = ctl_json_check_version(root, WHO, "client", err);
	if (r < 0)
		return r;
	r = check_finite(root, err);
	if (r < 0)
		return r;
	if (json_object_object_get_ex(root, "event", NULL)) {
		r = parse_event(root, &m, err);
	} else {
		r = ctl_json_get_id(root, WHO, true, &m.id, err);
		if (r < 0)
			return r;
		if (json_object_object_get_ex(root, "item", NULL))
			r = parse_item(root, &m, err);
		else if (json_object_object_get_ex(root, "ok", NULL))
			r = parse_reply(root, &m, err);
		else
			r = err_set(
				err, -EINVAL,
				WHO
				": neither a reply, an item nor an event (no \"ok\", \"item\" or \"event\")");
	}
	if (r < 0)
		return r;
	m.root_ = (struct ctl_value *)(void *)TAKE_PTR(root);
	*ret = m;
	return 0;
}

void ctl_message_fini(struct ctl_message *msg)
{
	if (!msg)
		return;
	json_object_put(J(msg->root_));
	*msg = (struct ctl_message){ 0 };
}

enum ctl_type ctl_value_type(const struct ctl_value *v)
{
	switch (json_object_get_type(J(v))) {
	case json_type_boolean:
		return CTL_TYPE_BOOL;
	case json_type_int:
		return CTL_TYPE_INT;
	case json_type_double:
		return CTL_TYPE_DOUBLE;
	case json_type_string:
		return CTL_TYPE_STRING;
	case json_type_array:
		return CTL_TYPE_ARRAY;
	case json_type_object:
		return CTL_TYPE_OBJECT;
	case json_type_null:
	default:
		return CTL_TYPE_NULL;
	}
}

static const char *const type_names[] = {
	[CTL_TYPE_NULL] = "null",        [CTL_TYPE_BOOL] = "a boolean",
	[CTL_TYPE_INT] = "an integer",   [CTL_TYPE_DOUBLE] = "a number",
	[CTL_TYPE_STRING] = "a string",  [CTL_TYPE_ARRAY] = "an array",
	[CTL_TYPE_OBJECT] = "an object",
};

const char *ctl_type_to_string(enum ctl_type type)
{
	if ((unsigned)type >= ARRAY_SIZE(type_names))
		return "an unknown value";
	return type_names[type];
}

int ctl_value_find(const struct ctl_value *obj, const char *key, const struct ctl_value **ret)
{
	json_object *v = NULL;

	if (!json_object_is_type(J(obj), json_type_object))
		return -EINVAL;
	if (!json_object_object_get_ex(J(obj), key, &v))
		return -ENOENT;
	*ret = V(v);
	return 0;
}

int ctl_value_string(const struct ctl_value *v, const char **ret)
{
	if (!json_object_is_type(J(v), json_type_string))
		return -EINVAL;
	*ret = json_object_get_string(J(v));
	return 0;
}

int ctl_value_int(const struct ctl_value *v, int64_t *ret)
{
	if (!json_object_is_type(J(v), json_type_int))
		return -EINVAL;
	/* A uint64 past INT64_MAX would read as INT64_MAX. */
	if (json_object_get_int64(J(v)) == INT64_MAX && json_object_get_uint64(J(v)) > INT64_MAX)
		return -ERANGE;
	*ret = json_object_get_int64(J(v));
	return 0;
}

int ctl_value_uint(const struct ctl_value *v, uint64_t *ret)
{
	if (!json_object_is_type(J(v), json_type_int))
		return -EINVAL;
	if (json_object_get_int64(J(v)) < 0)
		return -ERANGE;
	*ret = json_object_get_uint64(J(v));
	return 0;
}

int ctl_value_bool(const struct ctl_value *v, bool *ret)
{
	if (!json_object_is_type(J(v), json_type_boolean))
		return -EINVAL;
	*ret = json_object_get_boolean(J(v));
	return 0;
}

size_t ctl_value_array_len(const struct ctl_value *v)
{
	if (!json_object_is_type(J(v), json_type_array))
		return 0;
	return json_object_array_length(J(v));
}

const struct ctl_value *ctl_value_array_at(const struct ctl_value *v, size_t i)
{
	if (i >= ctl_value_array_len(v))
		return NULL;
	return V(json_object_array_get_idx(J(v), i));
}

void ctl_value_iter_init(struct ctl_iter *it, const struct ctl_value *obj)
{
	it->next_ = NULL;
	if (json_object_is_type(J(obj), json_type_object))
		it->next_ = lh_table_head(json_object_get_object(J(obj)));
}

bool ctl_value_iter_next(struct ctl_iter *it, const char **ret_key, const struct ctl_value **ret)
{
	const struct lh_entry *e = it->next_;

	if (!e)
		return false;
	*ret_key = lh_entry_k(e);
	*ret = V(lh_entry_v(e));
	it->next_ = lh_entry_next(e);
	return true;
}

static json_type json_type_of(enum ctl_type type)
{
	static const json_type map[] = {
		[CTL_TYPE_NULL] = json_type_null,     [CTL_TYPE_BOOL] = json_type_boolean,
		[CTL_TYPE_INT] = json_type_int,       [CTL_TYPE_DOUBLE] = json_type_double,
		[CTL_TYPE_STRING] = json_type_string, [CTL_TYPE_ARRAY] = json_type_array,
		[CTL_TYPE_OBJECT] = json_type_object,
	};

	assert((unsigned)type < ARRAY_SIZE(map));
	return map[type];
}

int ctl_value_member(const struct ctl_value *obj, const char *where, const char *key,
		     enum ctl_type type, const struct ctl_value **ret, struct err *err)
{
	const char *dot = where ? "." : "";
	const struct ctl_value *v;
	int r;

	if (!where)
		where = "";
	r = ctl_value_find(obj, key, &v);
	if (r == -EINVAL)
		return err_set(err, -EINVAL, WHO ": %s: expected an object, got %s",
			       where[0] ? where : "message",
			       ctl_type_to_string(ctl_value_type(obj)));
	if (r < 0)
		return err_set(err, -ENOENT, WHO ": \"%s%s%s\" missing", where, dot, key);
	if (!json_object_is_type(J(v), json_type_of(type)))
		return err_set(err, -EINVAL, WHO ": %s%s%s: expected %s, got %s", where, dot, key,
			       ctl_type_to_string(type), ctl_type_to_string(ctl_value_type(v)));
	*ret = v;
	return 0;
}

int ctl_value_member_string(const struct ctl_value *obj, const char *where, const char *key,
			    const char **ret, struct err *err)
{
	const struct ctl_value *v = NULL;
	int r = ctl_value_member(obj, where, key, CTL_TYPE_STRING, &v, err);

	return r < 0 ? r : ctl_value_string(v, ret);
}

int ctl_value_member_int(const struct ctl_value *obj, const char *where, const char *key,
			 int64_t *ret, struct err *err)
{
	const struct ctl_value *v = NULL;
	int r = ctl_value_member(obj, where, key, CTL_TYPE_INT, &v, err);

	if (r < 0)
		return r;
	if (ctl_value_int(v, ret) < 0)
		return err_set(err, -EINVAL, WHO ": %s%s%s: integer out of range",
			       where ? where : "", where ? "." : "", key);
	return 0;
}

int ctl_value_member_bool(const struct ctl_value *obj, const char *where, const char *key,
			  bool *ret, struct err *err)
{
	const struct ctl_value *v = NULL;
	int r = ctl_value_member(obj, where, key, CTL_TYPE_BOOL, &v, err);

	return r < 0 ? r : ctl_value_bool(v, ret);
}

char *ctl_value_to_json_string(const struct ctl_value *v, bool pretty)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE |
		    (pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN);
	const char *text = json_object_to_json_string_ext(J(v), flags);

	return text ? strdup(text) : NULL;
}

char *ctl_value_to_json_string_with(const struct ctl_value *obj, const char *key, const char *value)
{
	json_object *copy = NULL, *str;
	const char *text;
	char *out = NULL;

	if (!json_object_is_type(J(obj), json_type_object))
		return NULL;
	if (json_object_deep_copy(J(obj), &copy, NULL) < 0)
		return NULL;
	str = json_object_new_string(value);
	if (str && json_object_object_add(copy, key, str) == 0) {
		text = json_object_to_json_string_ext(copy, JSON_C_TO_STRING_NOSLASHESCAPE |
								    JSON_C_TO_STRING_PLAIN);
		out = text ? strdup(text) : NULL;
	} else {
		json_object_put(str);
	}
	json_object_put(copy);
	return out;
}
