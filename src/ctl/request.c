/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Requests: one line -> struct ctl_request, and back. A table says which
 * args each verb takes and of what type; the parser walks the args object
 * against it, so an unknown key, a wrong type and a missing argument each
 * get one precise sentence. Formatting builds the JSON and then runs the
 * parser over it, so the CLI can never send what the daemon would refuse.
 */
#include "ctl/ctl-internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/cleanup.h"
#include "util/strbuf.h"

#define WHO "request"

enum arg_kind {
	ARG_STRING,
	ARG_PARAMS,
};

struct arg_spec {
	const char *key;
	enum arg_kind kind;
	bool is_required;
	size_t offset; /* of the char * field, for ARG_STRING */
};

struct verb_spec {
	const char *name;
	const struct arg_spec *args;
	size_t n_args;
	int (*check)(const struct ctl_request *req, json_object *args, struct err *err);
};

#define STRING_ARG(k, req)                                         \
	{                                                          \
		.key = #k, .kind = ARG_STRING, .is_required = req, \
		.offset = offsetof(struct ctl_request, k)          \
	}

static const struct arg_spec args_define[] = { STRING_ARG(xml, true),
					       STRING_ARG(on_failure, false) };
static const struct arg_spec args_reload[] = { STRING_ARG(on_failure, false) };
static const struct arg_spec args_name[] = { STRING_ARG(name, true) };
static const struct arg_spec args_port[] = { STRING_ARG(port, true) };
static const struct arg_spec args_port_or_all[] = { STRING_ARG(port, false) };
/* Both forms; check_binding_create() decides which one was given. */
static const struct arg_spec args_binding_create[] = {
	STRING_ARG(xml, false),
	STRING_ARG(port, false),
	STRING_ARG(mac, false),
	STRING_ARG(filter, false),
	{ .key = "params", .kind = ARG_PARAMS },
	STRING_ARG(owner, false),
	STRING_ARG(linkdev, false),
	STRING_ARG(on_failure, false),
	STRING_ARG(learned, false),
};

static int check_binding_create(const struct ctl_request *req, json_object *args, struct err *err);
static int check_rebuild(const struct ctl_request *req, json_object *args, struct err *err);

#define VERB(n, a, ...)                                                    \
	{                                                                  \
		.name = n, .args = a, .n_args = ARRAY_SIZE(a), __VA_ARGS__ \
	}

static const struct verb_spec verbs[_CTL_VERB_MAX] = {
	[CTL_VERB_STATUS] = { .name = "status" },
	[CTL_VERB_RELOAD] = VERB("reload", args_reload, .check = check_rebuild),
	[CTL_VERB_WATCH] = { .name = "watch" },
	[CTL_VERB_FILTER_DEFINE] = VERB("filter.define", args_define, .check = check_rebuild),
	[CTL_VERB_FILTER_UNDEFINE] = VERB("filter.undefine", args_name),
	[CTL_VERB_FILTER_LIST] = { .name = "filter.list" },
	[CTL_VERB_FILTER_DUMPXML] = VERB("filter.dumpxml", args_name),
	[CTL_VERB_BINDING_CREATE] =
		VERB("binding.create", args_binding_create, .check = check_binding_create),
	[CTL_VERB_BINDING_DELETE] = VERB("binding.delete", args_port),
	[CTL_VERB_BINDING_LIST] = { .name = "binding.list" },
	[CTL_VERB_BINDING_SHOW] = VERB("binding.show", args_port),
	[CTL_VERB_BINDING_DUMPXML] = VERB("binding.dumpxml", args_port),
	[CTL_VERB_BINDING_RELEARN] = VERB("binding.relearn", args_port),
	[CTL_VERB_BINDING_VERIFY] = VERB("binding.verify", args_port_or_all),
	[CTL_VERB_STATS] = VERB("stats", args_port_or_all),
	[CTL_VERB_METRICS] = { .name = "metrics" },
};

static const char *const top_keys[] = { "version", "id", "verb", "args" };

const char *ctl_verb_to_string(enum ctl_verb verb)
{
	if ((unsigned)verb >= _CTL_VERB_MAX)
		return NULL;
	return verbs[verb].name;
}

int ctl_verb_from_string(const char *name)
{
	for (size_t i = 0; i < _CTL_VERB_MAX; i++)
		if (strcmp(verbs[i].name, name) == 0)
			return (int)i;
	return -ENOSYS;
}

static void json_object_putp(json_object **o)
{
	json_object_put(*o);
}

static char **string_field(struct ctl_request *req, const struct arg_spec *spec)
{
	return (char **)(void *)((char *)req + spec->offset);
}

/* A copy of the string v, which must be at most CTL_STRING_MAX bytes; path names it. */
static int take_string(json_object *v, const char *path, char **ret, struct err *err)
{
	size_t len;
	char *s;

	if (!json_object_is_type(v, json_type_string))
		return err_set(err, -EINVAL, WHO ": %s: expected a string, got %s", path,
			       ctl_json_type_name(v));
	len = (size_t)json_object_get_string_len(v);
	if (len > CTL_STRING_MAX)
		return err_set(err, -E2BIG, WHO ": %s: string longer than %u bytes", path,
			       CTL_STRING_MAX);
	s = strndup(json_object_get_string(v), len);
	if (!s)
		return err_set(err, -ENOMEM, WHO ": out of memory");
	*ret = s;
	return 0;
}

static int parse_param(const char *name, json_object *v, struct ctl_param *ret, struct err *err)
{
	char q[CTL_QUOTE_MAX], path[CTL_QUOTE_MAX + 48];
	size_t n;
	int r;

	ctl_quote(name, q);
	if (strlen(name) > CTL_STRING_MAX)
		return err_set(err, -E2BIG, WHO ": args.params: name %s longer than %u bytes", q,
			       CTL_STRING_MAX);
	if (!json_object_is_type(v, json_type_array))
		return err_set(err, -EINVAL, WHO ": args.params[%s]: expected an array, got %s", q,
			       ctl_json_type_name(v));
	n = json_object_array_length(v);
	if (n > CTL_PARAM_VALUES_MAX)
		return err_set(err, -E2BIG, WHO ": args.params[%s]: more than %d values", q,
			       CTL_PARAM_VALUES_MAX);
	ret->name = strdup(name);
	ret->values = calloc(n ? n : 1, sizeof(*ret->values));
	if (!ret->name || !ret->values)
		return err_set(err, -ENOMEM, WHO ": out of memory");
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "args.params[%s][%zu]", q, i);
		r = take_string(json_object_array_get_idx(v, i), path, &ret->values[i], err);
		if (r < 0)
			return r;
		ret->n_values++;
	}
	return 0;
}

static int parse_params(json_object *v, struct ctl_request *req, struct err *err)
{
	size_t n;
	int r;

	if (!json_object_is_type(v, json_type_object))
		return err_set(err, -EINVAL, WHO ": args.params: expected an object, got %s",
			       ctl_json_type_name(v));
	n = (size_t)json_object_object_length(v);
	if (n > CTL_PARAMS_MAX)
		return err_set(err, -E2BIG, WHO ": args.params: more than %d names",
			       CTL_PARAMS_MAX);
	req->params = calloc(n ? n : 1, sizeof(*req->params));
	if (!req->params)
		return err_set(err, -ENOMEM, WHO ": out of memory");
	for (struct lh_entry *e = lh_table_head(json_object_get_object(v)); e;
	     e = lh_entry_next(e)) {
		/* n_params counts the entries fini must free, half-built ones included. */
		req->n_params++;
		r = parse_param(lh_entry_k(e), lh_entry_v(e), &req->params[req->n_params - 1], err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int unknown_arg(const struct verb_spec *verb, const char *key, struct err *err)
{
	_cleanup_free_ char *path = NULL;
	char q[CTL_QUOTE_MAX];
	struct strbuf known;

	if (asprintf(&path, "args.%s", key) < 0)
		return err_set(err, -ENOMEM, WHO ": out of memory");
	ctl_quote(path, q);
	if (verb->n_args == 0)
		return err_set(err, -EINVAL, WHO ": unknown key %s (%s takes no args)", q,
			       verb->name);
	strbuf_init(&known);
	for (size_t i = 0; i < verb->n_args; i++)
		strbuf_addf(&known, "%s%s", i ? ", " : "", verb->args[i].key);
	if (strbuf_error(&known) < 0) {
		strbuf_fini(&known);
		return err_set(err, -ENOMEM, WHO ": out of memory");
	}
	err_set(err, -EINVAL, WHO ": unknown key %s for %s (known: %s)", q, verb->name, known.buf);
	strbuf_fini(&known);
	return -EINVAL;
}

static const struct arg_spec *find_arg(const struct verb_spec *verb, const char *key)
{
	for (size_t i = 0; i < verb->n_args; i++)
		if (strcmp(verb->args[i].key, key) == 0)
			return &verb->args[i];
	return NULL;
}

/* args is NULL when the request had none. */
static int parse_args(const struct verb_spec *verb, json_object *args, struct ctl_request *req,
		      struct err *err)
{
	int r;

	for (struct lh_entry *e = args ? lh_table_head(json_object_get_object(args)) : NULL; e;
	     e = lh_entry_next(e)) {
		const char *key = lh_entry_k(e);
		const struct arg_spec *spec = find_arg(verb, key);
		char path[64];

		if (!spec)
			return unknown_arg(verb, key, err);
		if (spec->kind == ARG_PARAMS) {
			r = parse_params(lh_entry_v(e), req, err);
		} else {
			snprintf(path, sizeof(path), "args.%s", spec->key);
			r = take_string(lh_entry_v(e), path, string_field(req, spec), err);
		}
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < verb->n_args; i++)
		if (verb->args[i].is_required && !*string_field(req, &verb->args[i]))
			return err_set(err, -EINVAL, WHO ": \"args.%s\" missing (required by %s)",
				       verb->args[i].key, verb->name);
	return 0;
}

/* What a port whose rebuild fails does: "down" (the default) or "keep-old-rules". */
static int check_rebuild(const struct ctl_request *req, json_object *args, struct err *err)
{
	(void)args;
	if (req->on_failure && strcmp(req->on_failure, "down") != 0 &&
	    strcmp(req->on_failure, "keep-old-rules") != 0)
		return err_set(err, -EINVAL,
			       WHO ": \"args.on_failure\" is \"down\" or \"keep-old-rules\", not "
				   "\"%s\"",
			       req->on_failure);
	return 0;
}

static int check_binding_create(const struct ctl_request *req, json_object *args, struct err *err)
{
	const char *fields[] = { "port", "mac", "filter", "params", "owner", "linkdev" };

	if (req->on_failure && strcmp(req->on_failure, "down") != 0 &&
	    strcmp(req->on_failure, "keep-up") != 0)
		return err_set(err, -EINVAL,
			       WHO ": \"args.on_failure\" is \"down\" or \"keep-up\", not \"%s\"",
			       req->on_failure);
	if (req->xml) {
		for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
			if (json_object_object_get_ex(args, fields[i], NULL))
				return err_set(
					err, -EINVAL,
					WHO
					": binding.create takes \"args.xml\" or \"args.port\", \"args.mac\", \"args.filter\", not both (got \"args.xml\" and \"args.%s\")",
					fields[i]);
		return 0;
	}
	if (!req->port && !req->mac && !req->filter)
		return err_set(
			err, -EINVAL,
			WHO
			": binding.create needs \"args.xml\", or \"args.port\", \"args.mac\" and \"args.filter\"");
	for (size_t i = 0; i < 3; i++)
		if (!(i == 0 ? req->port : i == 1 ? req->mac : req->filter))
			return err_set(
				err, -EINVAL,
				WHO
				": \"args.%s\" missing (required by binding.create without \"args.xml\")",
				fields[i]);
	return 0;
}

static int unknown_verb(const char *name, struct err *err)
{
	char q[CTL_QUOTE_MAX];
	struct strbuf known;

	strbuf_init(&known);
	for (size_t i = 0; i < _CTL_VERB_MAX; i++)
		strbuf_addf(&known, "%s%s", i ? ", " : "", verbs[i].name);
	if (strbuf_error(&known) < 0) {
		strbuf_fini(&known);
		return err_set(err, -ENOMEM, WHO ": out of memory");
	}
	err_set(err, -ENOSYS, WHO ": unknown verb %s (known: %s)", ctl_quote(name, q), known.buf);
	strbuf_fini(&known);
	return -ENOSYS;
}

static int check_top_keys(json_object *root, struct err *err)
{
	for (struct lh_entry *e = lh_table_head(json_object_get_object(root)); e;
	     e = lh_entry_next(e)) {
		const char *key = lh_entry_k(e);
		bool is_known = false;
		char q[CTL_QUOTE_MAX];

		for (size_t i = 0; i < ARRAY_SIZE(top_keys); i++)
			is_known = is_known || strcmp(key, top_keys[i]) == 0;
		if (!is_known)
			return err_set(err, -EINVAL,
				       WHO ": unknown key %s (known: version, id, verb, args)",
				       ctl_quote(key, q));
	}
	return 0;
}

static int parse_verb(json_object *root, enum ctl_verb *ret, struct err *err)
{
	json_object *v;
	int verb;

	if (!json_object_object_get_ex(root, "verb", &v))
		return err_set(err, -EINVAL, WHO ": \"verb\" missing");
	if (!json_object_is_type(v, json_type_string))
		return err_set(err, -EINVAL, WHO ": verb: expected a string, got %s",
			       ctl_json_type_name(v));
	verb = ctl_verb_from_string(json_object_get_string(v));
	if (verb < 0)
		return unknown_verb(json_object_get_string(v), err);
	*ret = (enum ctl_verb)verb;
	return 0;
}

static int parse_root(json_object *root, struct ctl_request *req, struct err *err)
{
	const struct verb_spec *verb;
	json_object *args;
	int r;

	r = ctl_json_check_version(root, WHO, "daemon", err);
	if (r < 0)
		return r;
	r = ctl_json_get_id(root, WHO, false, &req->id, err);
	if (r < 0)
		return r;
	r = check_top_keys(root, err);
	if (r < 0)
		return r;
	r = parse_verb(root, &req->verb, err);
	if (r < 0)
		return r;
	verb = &verbs[req->verb];
	if (!json_object_object_get_ex(root, "args", &args))
		args = NULL;
	else if (!json_object_is_type(args, json_type_object))
		return err_set(err, -EINVAL, WHO ": args: expected an object, got %s",
			       ctl_json_type_name(args));
	r = parse_args(verb, args, req, err);
	if (r < 0)
		return r;
	if (verb->check)
		return verb->check(req, args, err);
	return 0;
}

int ctl_request_parse(const char *line, size_t len, struct ctl_request *ret, struct err *err)
{
	_cleanup_(json_object_putp) json_object *root = NULL;
	struct ctl_request req = { .version = CTL_PROTOCOL_VERSION };
	uint64_t id = 0;
	int r;

	r = ctl_json_parse(line, len, WHO, &root, err);
	if (r >= 0) {
		/* Only to echo it if what follows fails; a bad id fails below. */
		(void)ctl_json_get_id(root, WHO, false, &id, NULL);
		r = parse_root(root, &req, err);
	}
	if (r < 0) {
		ctl_request_fini(&req);
		ret->id = id;
		return r;
	}
	*ret = req;
	return 0;
}

void ctl_request_fini(struct ctl_request *req)
{
	if (!req)
		return;
	free(req->xml);
	free(req->name);
	free(req->port);
	free(req->mac);
	free(req->filter);
	free(req->owner);
	free(req->linkdev);
	free(req->on_failure);
	free(req->learned);
	for (size_t i = 0; req->params && i < req->n_params; i++) {
		for (size_t j = 0; j < req->params[i].n_values; j++)
			free(req->params[i].values[j]);
		free(req->params[i].values);
		free(req->params[i].name);
	}
	free(req->params);
	*req = (struct ctl_request){ 0 };
}

/* Takes ownership of val (NULL means it could not be made). */
static int add(json_object *obj, const char *key, json_object *val)
{
	if (!val || json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static int format_params(const struct ctl_request *req, json_object **ret, struct err *err)
{
	_cleanup_(json_object_putp) json_object *params = json_object_new_object();

	if (!params)
		return -ENOMEM;
	for (size_t i = 0; i < req->n_params; i++) {
		const struct ctl_param *p = &req->params[i];
		json_object *values;

		if (json_object_object_get_ex(params, p->name, NULL)) {
			char q[CTL_QUOTE_MAX];

			return err_set(err, -EINVAL, WHO ": args.params: duplicate name %s",
				       ctl_quote(p->name, q));
		}
		values = json_object_new_array_ext((int)(p->n_values ? p->n_values : 1));
		if (add(params, p->name, values) < 0)
			return -ENOMEM;
		for (size_t j = 0; j < p->n_values; j++) {
			json_object *s = json_object_new_string(p->values[j]);

			if (!s || json_object_array_add(values, s) < 0) {
				json_object_put(s);
				return -ENOMEM;
			}
		}
	}
	*ret = TAKE_PTR(params);
	return 0;
}

/* Every non-NULL field, in the order of the verb table. */
static int format_args(const struct ctl_request *req, json_object *root, struct err *err)
{
	const char *const keys[] = { "xml",    "name",  "port",    "mac",        "filter",
				     "params", "owner", "linkdev", "on_failure", "learned" };
	const char *const values[] = { req->xml,        req->name,   req->port,  req->mac,
				       req->filter,     NULL,        req->owner, req->linkdev,
				       req->on_failure, req->learned };
	json_object *args = json_object_new_object();
	int r;

	if (add(root, "args", args) < 0)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		json_object *v = NULL;

		if (strcmp(keys[i], "params") == 0) {
			if (!req->params)
				continue;
			r = format_params(req, &v, err);
			if (r < 0)
				return r;
		} else if (values[i]) {
			v = json_object_new_string(values[i]);
		} else {
			continue;
		}
		if (add(args, keys[i], v) < 0)
			return -ENOMEM;
	}
	if (json_object_object_length(args) == 0)
		json_object_object_del(root, "args");
	return 0;
}

static int build_request(const struct ctl_request *req, json_object **ret, struct err *err)
{
	_cleanup_(json_object_putp) json_object *root = json_object_new_object();
	int r;

	if (!root || add(root, "version", json_object_new_int(CTL_PROTOCOL_VERSION)) < 0 ||
	    add(root, "id", json_object_new_uint64(req->id)) < 0 ||
	    add(root, "verb", json_object_new_string(verbs[req->verb].name)) < 0)
		return err_set(err, -ENOMEM, WHO ": out of memory");
	r = format_args(req, root, err);
	if (r == -ENOMEM)
		return err_set(err, -ENOMEM, WHO ": out of memory");
	if (r < 0)
		return r;
	*ret = TAKE_PTR(root);
	return 0;
}

int ctl_request_format(const struct ctl_request *req, char **ret_line, struct err *err)
{
	struct ctl_request check;
	json_object *root = NULL;
	char *line;
	size_t len;
	int r;

	if ((unsigned)req->verb >= _CTL_VERB_MAX)
		return err_set(err, -EINVAL, WHO ": verb %d out of range", (int)req->verb);
	if (req->id > CTL_ID_MAX)
		return err_set(err, -EINVAL,
			       WHO ": id: expected an integer 0..%" PRIu64 ", got %" PRIu64,
			       CTL_ID_MAX, req->id);
	r = build_request(req, &root, err);
	if (r < 0)
		return r;
	r = ctl_json_to_line(root, &line, &len);
	if (r == -EMSGSIZE)
		return err_set(err, r, WHO ": line longer than %u bytes", CTL_LINE_MAX);
	if (r < 0)
		return err_set(err, r, WHO ": out of memory");
	r = ctl_request_parse(line, len, &check, err);
	if (r < 0) {
		free(line);
		return r;
	}
	ctl_request_fini(&check);
	*ret_line = line;
	return 0;
}
