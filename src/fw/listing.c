/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * nft -j listings -> facts. A listing is {"nftables": [...]}, one object
 * per table, set, map, chain or rule, each keyed by its kind:
 *
 *   {"map": {"table": "vifguard", "name": "out-ports", "map": "verdict",
 *            "elem": [["vnet1", {"jump": {"target": "t0123456789abcdef-o"}}],
 *                     ["vnet2", {"drop": null}]]}}
 *   {"rule": {"table": "vifguard", "chain": "po-vnet1",
 *             "expr": [..., {"jump": {"target": "t0123456789abcdef-o"}}]}}
 *
 * A set's element is its key, or {"elem": {"val": KEY, ...}} when it
 * carries a timeout or a comment; a map's element is [KEY, VALUE].
 * Anything this file does not expect is skipped, not trusted: the kernel's
 * answer is matched against the names fw itself wrote.
 */
#include "fw/listing.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/compile.h"

struct fw_listing {
	struct json_object *items; /* the "nftables" array; owned through root */
	struct json_object *root;
};

/* The document in json, or NULL when it is not exactly one JSON value. */
static struct json_object *parse_document(const char *json)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *root;
	size_t end;

	if (!tok)
		return NULL;
	root = json_tokener_parse_ex(tok, json, (int)strlen(json));
	/* json-c stops after the first value: nothing but blanks may follow it */
	end = json_tokener_get_parse_end(tok);
	if (root && (json_tokener_get_error(tok) != json_tokener_success ||
		     json[end + strspn(json + end, " \t\r\n")] != '\0')) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

int fw_listing_parse(const char *json, struct fw_listing **ret)
{
	struct json_object *root = parse_document(json), *items;
	struct fw_listing *l;

	if (!root || !json_object_object_get_ex(root, "nftables", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		json_object_put(root);
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		json_object_put(root);
		return -ENOMEM;
	}
	l->root = root;
	l->items = items;
	*ret = l;
	return 0;
}

struct fw_listing *fw_listing_free(struct fw_listing *l)
{
	if (!l)
		return NULL;
	json_object_put(l->root);
	free(l);
	return NULL;
}

static const char *string_member(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool member_is(struct json_object *obj, const char *key, const char *value)
{
	const char *s = string_member(obj, key);

	return s && strcmp(s, value) == 0;
}

/* The i-th item's body when it is of kind (a "set", "map", "chain", "rule"), else NULL. */
static struct json_object *item(const struct fw_listing *l, size_t i, const char *kind)
{
	struct json_object *body, *it = json_object_array_get_idx(l->items, i);

	if (!it || !json_object_object_get_ex(it, kind, &body) ||
	    !json_object_is_type(body, json_type_object) || !member_is(body, "table", FW_TABLE))
		return NULL;
	return body;
}

/* The elements of the set or map named name: an array, or NULL. */
static struct json_object *elements(const struct fw_listing *l, const char *name)
{
	static const char *const kinds[] = { "set", "map" };
	size_t n = json_object_array_length(l->items);

	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < 2; k++) {
			struct json_object *body = item(l, i, kinds[k]), *elem;

			if (!body || !member_is(body, "name", name))
				continue;
			/* an empty set has no "elem" at all */
			if (!json_object_object_get_ex(body, "elem", &elem) ||
			    !json_object_is_type(elem, json_type_array))
				return NULL;
			return elem;
		}
	}
	return NULL;
}

/* An element's key, unwrapped from {"elem": {"val": KEY}}. */
static struct json_object *unwrap(struct json_object *key)
{
	struct json_object *elem, *val;

	if (json_object_is_type(key, json_type_object) &&
	    json_object_object_get_ex(key, "elem", &elem) &&
	    json_object_object_get_ex(elem, "val", &val))
		return val;
	return key;
}

static bool key_is(struct json_object *key, const char *want)
{
	key = unwrap(key);
	return json_object_is_type(key, json_type_string) &&
	       strcmp(json_object_get_string(key), want) == 0;
}

/* Formats a verdict statement ({"jump": {"target": "x"}}, {"drop": null}) as nft writes it. */
static int format_verdict(struct json_object *v, char *ret, size_t size)
{
	static const char *const plain[] = { "accept", "drop", "return", "continue" };
	static const char *const jumps[] = { "jump", "goto" };
	struct json_object *body;
	int n = -1;

	if (!json_object_is_type(v, json_type_object))
		return -EINVAL;
	for (size_t i = 0; i < 4 && n < 0; i++)
		if (json_object_object_get_ex(v, plain[i], NULL))
			n = snprintf(ret, size, "%s", plain[i]);
	for (size_t i = 0; i < 2 && n < 0; i++) {
		const char *target;

		if (!json_object_object_get_ex(v, jumps[i], &body))
			continue;
		target = string_member(body, "target");
		if (!target)
			return -EINVAL;
		n = snprintf(ret, size, "%s %s", jumps[i], target);
	}
	if (n < 0)
		return -EINVAL;
	return (size_t)n < size ? 1 : -ENOSPC;
}

int fw_listing_map_verdict(const struct fw_listing *l, const char *map, const char *key, char *ret,
			   size_t size)
{
	struct json_object *elem = elements(l, map);
	size_t n = elem ? json_object_array_length(elem) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *pair = json_object_array_get_idx(elem, i);

		if (!json_object_is_type(pair, json_type_array) ||
		    json_object_array_length(pair) != 2 ||
		    !key_is(json_object_array_get_idx(pair, 0), key))
			continue;
		return format_verdict(json_object_array_get_idx(pair, 1), ret, size);
	}
	return 0;
}

int fw_listing_has_key(const struct fw_listing *l, const char *set, const char *key)
{
	struct json_object *elem = elements(l, set);
	size_t n = elem ? json_object_array_length(elem) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(elem, i);

		/* a map's element is [key, value] */
		if (json_object_is_type(e, json_type_array))
			e = json_object_array_get_idx(e, 0);
		if (e && key_is(e, key))
			return 1;
	}
	return 0;
}

static bool counter_value(struct json_object *counter, const char *key, uint64_t *ret)
{
	struct json_object *v;

	if (!json_object_object_get_ex(counter, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	*ret = (uint64_t)json_object_get_int64(v);
	return true;
}

int fw_listing_for_each_counter(const struct fw_listing *l, const char *set,
				void (*fn)(const char *name, uint64_t number, uint64_t packets,
					   uint64_t bytes, void *userdata),
				void *userdata)
{
	struct json_object *elem = elements(l, set);
	size_t n = elem ? json_object_array_length(elem) : 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = json_object_array_get_idx(elem, i), *inner, *val, *counter;
		struct json_object *concat, *name = NULL, *number = NULL;
		uint64_t packets, bytes;

		if (json_object_object_get_ex(e, "elem", &inner) &&
		    json_object_object_get_ex(inner, "val", &val) &&
		    json_object_object_get_ex(val, "concat", &concat) &&
		    json_object_is_type(concat, json_type_array) &&
		    json_object_array_length(concat) == 2) {
			name = json_object_array_get_idx(concat, 0);
			number = json_object_array_get_idx(concat, 1);
		}
		if (!json_object_is_type(name, json_type_string) ||
		    !json_object_is_type(number, json_type_int) ||
		    json_object_get_int64(number) < 0 ||
		    !json_object_object_get_ex(inner, "counter", &counter) ||
		    !counter_value(counter, "packets", &packets) ||
		    !counter_value(counter, "bytes", &bytes))
			return -EINVAL;
		fn(json_object_get_string(name), (uint64_t)json_object_get_int64(number), packets,
		   bytes, userdata);
	}
	return (int)n;
}

int fw_listing_for_each_pair(const struct fw_listing *l, const char *set,
			     void (*fn)(const char *a, const char *b, void *userdata),
			     void *userdata)
{
	struct json_object *elem = elements(l, set);
	size_t n = elem ? json_object_array_length(elem) : 0;
	int n_pairs = 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *e = unwrap(json_object_array_get_idx(elem, i)), *concat;

		if (!json_object_object_get_ex(e, "concat", &concat) ||
		    !json_object_is_type(concat, json_type_array) ||
		    json_object_array_length(concat) != 2 ||
		    !json_object_is_type(json_object_array_get_idx(concat, 0), json_type_string) ||
		    !json_object_is_type(json_object_array_get_idx(concat, 1), json_type_string))
			return -EINVAL;
		fn(json_object_get_string(json_object_array_get_idx(concat, 0)),
		   json_object_get_string(json_object_array_get_idx(concat, 1)), userdata);
		n_pairs++;
	}
	return n_pairs;
}

/* The expressions of the last rule of chain, or NULL. */
static struct json_object *last_rule(const struct fw_listing *l, const char *chain)
{
	struct json_object *found = NULL;
	size_t n = json_object_array_length(l->items);

	for (size_t i = 0; i < n; i++) {
		struct json_object *body = item(l, i, "rule"), *expr;

		if (body && member_is(body, "chain", chain) &&
		    json_object_object_get_ex(body, "expr", &expr) &&
		    json_object_is_type(expr, json_type_array))
			found = expr;
	}
	return found;
}

int fw_listing_chain_verdict(const struct fw_listing *l, const char *chain, char *ret, size_t size)
{
	struct json_object *expr = last_rule(l, chain);
	size_t n = expr ? json_object_array_length(expr) : 0;

	if (n == 0)
		return 0;
	return format_verdict(json_object_array_get_idx(expr, n - 1), ret, size);
}

int fw_listing_for_each_chain(const struct fw_listing *l,
			      void (*fn)(const char *name, void *userdata), void *userdata)
{
	size_t n = json_object_array_length(l->items);
	int n_chains = 0;

	for (size_t i = 0; i < n; i++) {
		struct json_object *body = item(l, i, "chain");
		const char *name = body ? string_member(body, "name") : NULL;

		if (name) {
			fn(name, userdata);
			n_chains++;
		}
	}
	return n_chains;
}

/* A mark as nft lists it: a number, or a string when printed in hex. */
static int mark_value(struct json_object *v, unsigned long *ret)
{
	char *end = NULL;

	v = unwrap(v);
	if (json_object_is_type(v, json_type_int)) {
		int64_t n = json_object_get_int64(v);

		if (n < 0 || n > 0xffffffffll)
			return -EINVAL;
		*ret = (unsigned long)n;
		return 0;
	}
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	errno = 0;
	*ret = strtoul(json_object_get_string(v), &end, 0);
	return errno || !end || *end || *ret > 0xffffffffu ? -EINVAL : 0;
}

int fw_listing_mark_ids(const struct fw_listing *l, const char *map, const char *except,
			struct fw_port_ids *ids, unsigned *ret_except)
{
	struct json_object *elem = elements(l, map);
	size_t n = elem ? json_object_array_length(elem) : 0;
	int n_ids = 0;

	if (ret_except)
		*ret_except = 0;
	for (size_t i = 0; i < n; i++) {
		struct json_object *pair = json_object_array_get_idx(elem, i), *key;
		unsigned long mark;

		if (!json_object_is_type(pair, json_type_array) ||
		    json_object_array_length(pair) != 2 ||
		    mark_value(json_object_array_get_idx(pair, 1), &mark) < 0)
			return -EINVAL;
		key = unwrap(json_object_array_get_idx(pair, 0));
		if (!json_object_is_type(key, json_type_string))
			return -EINVAL;
		/* the in-port's id is the high half of the mark */
		if (except && strcmp(json_object_get_string(key), except) == 0) {
			if (ret_except)
				*ret_except = (unsigned)(mark >> 16);
			continue;
		}
		fw_port_ids_add(ids, (unsigned)(mark >> 16));
		n_ids++;
	}
	return n_ids;
}

int fw_listing_log_group(const struct fw_listing *l, const char *chain, unsigned *ret)
{
	size_t n = json_object_array_length(l->items);

	for (size_t i = 0; i < n; i++) {
		struct json_object *body = item(l, i, "rule"), *expr;
		size_t n_expr;

		if (!body || !member_is(body, "chain", chain) ||
		    !json_object_object_get_ex(body, "expr", &expr) ||
		    !json_object_is_type(expr, json_type_array))
			continue;
		n_expr = json_object_array_length(expr);
		for (size_t k = 0; k < n_expr; k++) {
			struct json_object *log, *group;

			if (!json_object_object_get_ex(json_object_array_get_idx(expr, k), "log",
						       &log) ||
			    !json_object_object_get_ex(log, "group", &group) ||
			    !json_object_is_type(group, json_type_int))
				continue;
			if (json_object_get_int64(group) < 0 ||
			    json_object_get_int64(group) > 0xffff)
				return -EINVAL;
			*ret = (unsigned)json_object_get_int64(group);
			return 1;
		}
	}
	return 0;
}
