/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vifguardctl libvirt-import: a host guarded by libvirt's nwfilter driver
 * moves to vifguard without an unguarded moment. The filters libvirt has
 * (/etc/libvirt/nwfilter) are defined in the daemon where they differ from
 * the built-in ones, then the ports libvirt bound (its binding state files,
 * /run/libvirt/nwfilter-binding/PORT.xml) are bound by the daemon too, while
 * libvirt's own rules are still in force. A filter is compared in canonical
 * form without its UUID: libvirt's shipped files have none, and each libvirt
 * install gives them random ones.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/bindings.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "conf/load.h"
#include "filter/filterset.h"
#include "filter/value.h"
#include "util/cleanup.h"

#define LIBVIRT_FILTER_DIR  "/etc/libvirt/nwfilter"
#define LIBVIRT_BINDING_DIR "/run/libvirt/nwfilter-binding"

enum result {
	RESULT_DEFINED,
	RESULT_WOULD_DEFINE,
	RESULT_SAME_AS_BUILTIN,
	RESULT_ALREADY_DEFINED,
	RESULT_BOUND,
	RESULT_WOULD_BIND,
	RESULT_ALREADY_BOUND,
	RESULT_PORT_GONE,
	RESULT_ERROR,
	_RESULT_MAX,
};

static const char *const result_text[_RESULT_MAX] = {
	[RESULT_DEFINED] = "defined",
	[RESULT_WOULD_DEFINE] = "would define",
	[RESULT_SAME_AS_BUILTIN] = "same as built-in",
	[RESULT_ALREADY_DEFINED] = "already defined",
	[RESULT_BOUND] = "bound",
	[RESULT_WOULD_BIND] = "would bind",
	[RESULT_ALREADY_BOUND] = "already bound",
	[RESULT_PORT_GONE] = "port gone",
	[RESULT_ERROR] = "error",
};

/* For --json: the same, as one word each. */
static const char *const result_keys[_RESULT_MAX] = {
	[RESULT_DEFINED] = "defined",
	[RESULT_WOULD_DEFINE] = "would-define",
	[RESULT_SAME_AS_BUILTIN] = "same-as-builtin",
	[RESULT_ALREADY_DEFINED] = "already-defined",
	[RESULT_BOUND] = "bound",
	[RESULT_WOULD_BIND] = "would-bind",
	[RESULT_ALREADY_BOUND] = "already-bound",
	[RESULT_PORT_GONE] = "port-gone",
	[RESULT_ERROR] = "error",
};

/* A filter the daemon has. */
struct known_filter {
	char *name;
	uint8_t uuid[16];
};

struct import {
	bool is_dry_run;
	bool is_json;
	const char *filter_dir;
	const char *binding_dir;
	struct filter_set *builtins;
	struct known_filter *known; /* the daemon's filters */
	size_t n_known;
	struct cli_bound_list bound; /* the daemon's bindings */
	struct ctl_obj *out;         /* --json */
	struct ctl_array *out_filters, *out_bindings;
	unsigned counts[_RESULT_MAX];
	bool is_failed; /* something other than a file failed (a directory, memory) */
	char failure[ERR_MSG_MAX * 2]; /* a defined filter's ports that failed */
};

/* One file's outcome: a line for people, an object for --json. */
struct item {
	const char *kind; /* "filter" or "binding" */
	const char *file;
	const char *name; /* the filter, or the binding's port; NULL when unreadable */
	enum result result;
	const char *message; /* the error, or a detail; may be NULL */
};

static void item_done(struct import *im, const struct item *it)
{
	struct ctl_obj *o;

	im->counts[it->result]++;
	if (!im->is_json) {
		printf("%s %s: %s%s%s\n", it->kind, it->name ? it->name : it->file,
		       result_text[it->result], it->message ? ": " : "",
		       it->message ? it->message : "");
		return;
	}
	o = ctl_array_add_obj(strcmp(it->kind, "filter") == 0 ? im->out_filters : im->out_bindings);
	if (ctl_obj_add_string(o, "file", it->file) < 0 ||
	    ctl_obj_add_string(o, "name", it->name) < 0 ||
	    ctl_obj_add_string(o, "result", result_keys[it->result]) < 0 ||
	    ctl_obj_add_string(o, "message", it->message) < 0)
		im->is_failed = true;
}

/* ---- what the daemon has ------------------------------------------------- */

static int collect_filter(const struct ctl_value *item, void *userdata)
{
	struct import *im = userdata;
	struct known_filter *grown = realloc(im->known, (im->n_known + 1) * sizeof(*im->known));
	struct known_filter *k;
	const char *name = NULL, *uuid = NULL;
	struct err err = { 0 };

	if (!grown)
		return -ENOMEM;
	im->known = grown;
	if (ctl_value_member_string(item, "item", "name", &name, &err) < 0 ||
	    ctl_value_member_string(item, "item", "uuid", &uuid, &err) < 0) {
		cli_error("%s", err.msg);
		return -EPROTO;
	}
	k = &im->known[im->n_known];
	if (filter_uuid_parse(uuid, k->uuid) < 0) {
		cli_error("reply: item.uuid: '%s' is no UUID", uuid);
		return -EPROTO;
	}
	k->name = strdup(name);
	if (!k->name)
		return -ENOMEM;
	im->n_known++;
	return 0;
}

static const struct known_filter *known_find(const struct import *im, const char *name)
{
	for (size_t i = 0; i < im->n_known; i++)
		if (strcmp(im->known[i].name, name) == 0)
			return &im->known[i];
	return NULL;
}

/* The daemon's filters and bindings; its failures are printed (the client is not quiet yet). */
static int load_daemon_state(struct import *im)
{
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_FILTER_LIST };
	struct err err = { 0 };
	int r = client_call(&req, collect_filter, im, NULL);

	if (r < 0)
		return r;
	r = cli_bound_list_load(&im->bound, &err);
	if (r < 0 && err.code && !*client_last_error())
		cli_error("%s", err.msg);
	return r;
}

/* ---- filters -------------------------------------------------------------- */

/* Whether f, given other's UUID, prints as other does. */
static bool is_same_filter(struct filter *f, const struct filter *other)
{
	uint8_t saved[16];
	_cleanup_free_ char *a = NULL, *b = NULL;

	memcpy(saved, f->uuid, sizeof(saved));
	memcpy(f->uuid, other->uuid, sizeof(f->uuid));
	a = conf_filter_format(f);
	b = conf_filter_format(other);
	memcpy(f->uuid, saved, sizeof(saved));
	return a && b && strcmp(a, b) == 0;
}

static int filter_call(enum ctl_verb verb, const char *name, const char *xml,
		       struct ctl_message *ret_reply)
{
	_cleanup_free_ char *name_copy = name ? strdup(name) : NULL;
	_cleanup_free_ char *xml_copy = xml ? strdup(xml) : NULL;
	struct ctl_request req = { .id = 1, .verb = verb, .name = name_copy, .xml = xml_copy };

	if ((name && !name_copy) || (xml && !xml_copy))
		return -ENOMEM;
	return client_call(&req, NULL, NULL, ret_reply);
}

/* Whether the daemon's filter of f's name prints as f does (f carries the daemon's UUID). */
static bool is_defined_as(const struct filter *f, const char *text)
{
	struct ctl_message reply = { 0 };
	const char *have = NULL;
	struct err err = { 0 };
	bool is_same;

	if (filter_call(CTL_VERB_FILTER_DUMPXML, f->name, NULL, &reply) < 0)
		return false;
	is_same = ctl_value_member_string(reply.data, "data", "xml", &have, &err) == 0 &&
		  strcmp(have, text) == 0;
	ctl_message_fini(&reply);
	return is_same;
}

/* "vnet0: ...; vnet1: ..." from a define's failed_ports; "" when none. */
static void failed_ports(const struct ctl_value *data, char *out, size_t size)
{
	const struct ctl_value *arr = NULL;
	size_t used = 0;

	out[0] = '\0';
	if (ctl_value_find(data, "failed_ports", &arr) < 0 || !arr)
		return;
	for (size_t i = 0; i < ctl_value_array_len(arr) && used < size; i++) {
		const struct ctl_value *f = ctl_value_array_at(arr, i);
		const char *port = "?", *error = "?";
		struct err err = { 0 };

		(void)ctl_value_member_string(f, "failed_ports", "port", &port, &err);
		(void)ctl_value_member_string(f, "failed_ports", "error", &error, &err);
		used += (size_t)snprintf(out + used, size - used, "%s%s: %s", used ? "; " : "",
					 port, error);
	}
}

static void define(struct import *im, struct item *it, const struct filter *f)
{
	_cleanup_free_ char *text = conf_filter_format(f);
	struct ctl_message reply = { 0 };
	char failed[2048];

	if (!text) {
		it->message = "out of memory";
		return;
	}
	if (filter_call(CTL_VERB_FILTER_DEFINE, NULL, text, &reply) < 0) {
		it->message = client_last_error();
		return;
	}
	failed_ports(reply.data, failed, sizeof(failed));
	ctl_message_fini(&reply);
	it->result = RESULT_DEFINED;
	if (failed[0]) {
		/* defined, but some bound port could not take it: a failure to see */
		snprintf(im->failure, sizeof(im->failure),
			 "ports whose new rules cannot be applied: %s", failed);
		it->message = im->failure;
		im->is_failed = true;
	}
}

static void import_filter(struct import *im, const char *path)
{
	_cleanup_(filter_freep) struct filter *f = NULL;
	struct item it = { .kind = "filter", .file = path, .result = RESULT_ERROR };
	const struct known_filter *known;
	const struct filter *builtin;
	_cleanup_free_ char *text = NULL;
	struct conf_diag diag;

	cli_diag_init(&diag);
	if (conf_filter_parse_file(path, &diag, &f) < 0) {
		it.message = diag.first_error.code ? diag.first_error.msg : "cannot be read";
		item_done(im, &it);
		return;
	}
	it.name = f->name;
	builtin = filter_set_find(im->builtins, f->name);
	known = known_find(im, f->name);
	if (builtin && is_same_filter(f, builtin)) {
		it.result = RESULT_SAME_AS_BUILTIN;
	} else {
		/* the daemon's UUID: a define then replaces its filter of this name */
		if (known)
			memcpy(f->uuid, known->uuid, sizeof(f->uuid));
		text = conf_filter_format(f);
		if (known && text && is_defined_as(f, text))
			it.result = RESULT_ALREADY_DEFINED;
		else if (im->is_dry_run)
			it.result = RESULT_WOULD_DEFINE;
		else
			define(im, &it, f);
	}
	item_done(im, &it);
}

/* ---- bindings ------------------------------------------------------------- */

static void import_binding(struct import *im, const char *path)
{
	_cleanup_(binding_freep) struct binding *b = NULL;
	struct item it = { .kind = "binding", .file = path, .result = RESULT_ERROR };
	const struct cli_bound *old;
	struct conf_diag diag;
	struct err err = { 0 };
	char detail[ERR_MSG_MAX];
	int r;

	cli_diag_init(&diag);
	if (conf_binding_parse_file(path, &diag, &b) < 0) {
		it.message = diag.first_error.code ? diag.first_error.msg : "cannot be read";
		item_done(im, &it);
		return;
	}
	it.name = b->portdev;
	old = cli_bound_find(&im->bound, b->portdev);
	if (old) {
		snprintf(detail, sizeof(detail), "filter '%s', owner %s", old->filter,
			 old->owner_name);
		it.result = RESULT_ALREADY_BOUND;
		it.message = detail;
	} else if (if_nametoindex(b->portdev) == 0) {
		it.result = RESULT_PORT_GONE;
	} else if (im->is_dry_run) {
		it.result = RESULT_WOULD_BIND;
	} else if ((r = cli_bound_create(b, &err)) == -ENODEV) {
		it.result = RESULT_PORT_GONE;
	} else if (r < 0) {
		snprintf(detail, sizeof(detail), "%s", err.msg);
		it.message = detail;
	} else {
		snprintf(detail, sizeof(detail), "filter '%s', owner %s", b->ref.filter,
			 b->owner_name);
		it.result = RESULT_BOUND;
		it.message = detail;
	}
	item_done(im, &it);
}

/* ---- directories ---------------------------------------------------------- */

static int is_xml(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > 4 && strcmp(d->d_name + len - 4, ".xml") == 0;
}

/* Runs fn on each DIR/NAME.xml in name order; a directory that is not there has nothing to import.
 */
static void each_file(struct import *im, const char *dir, const char *what,
		      void (*fn)(struct import *im, const char *path))
{
	struct dirent **names = NULL;
	int n = scandir(dir, &names, is_xml, alphasort);

	if (n < 0) {
		if (errno == ENOENT) {
			cli_warning("%s: no such directory: no %s to import", dir, what);
		} else {
			cli_error("cannot read the %s directory %s: %m", what, dir);
			im->is_failed = true;
		}
		return;
	}
	for (int i = 0; i < n; i++) {
		_cleanup_free_ char *path = NULL;

		if (asprintf(&path, "%s/%s", dir, names[i]->d_name) < 0) {
			cli_error("out of memory");
			im->is_failed = true;
		} else {
			fn(im, path);
		}
		free(names[i]);
	}
	free(names);
}

static void print_summary(const struct import *im)
{
	static const enum result order[] = {
		RESULT_DEFINED,         RESULT_WOULD_DEFINE, RESULT_SAME_AS_BUILTIN,
		RESULT_ALREADY_DEFINED, RESULT_BOUND,        RESULT_WOULD_BIND,
		RESULT_ALREADY_BOUND,   RESULT_PORT_GONE,    RESULT_ERROR,
	};
	const char *sep = "";

	printf("%s", im->is_dry_run ? "dry run, nothing changed: " : "");
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		if (!im->counts[order[i]])
			continue;
		printf("%s%u %s", sep, im->counts[order[i]], result_text[order[i]]);
		sep = ", ";
	}
	printf("%s\n", *sep ? "" : "nothing to import");
}

static int parse_options(int argc, char **argv, struct import *im)
{
	static const struct option options[] = {
		{ "dry-run", no_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ "filter-dir", required_argument, NULL, 'F' },
		{ "binding-dir", required_argument, NULL, 'B' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	/* no short -F, -B: to validate, explain and apply, -F adds filters, it does not import */
	while ((opt = cli_getopt(argc, argv, "nj", options, "libvirt-import")) != -1) {
		switch (opt) {
		case 'n':
			im->is_dry_run = true;
			break;
		case 'j':
			im->is_json = true;
			break;
		case 'F':
			im->filter_dir = optarg;
			break;
		case 'B':
			im->binding_dir = optarg;
			break;
		default:
			return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc)
		return cli_usage_error("libvirt-import",
				       "libvirt-import takes no operands, got '%s'", argv[optind]);
	return -1;
}

static void import_fini(struct import *im)
{
	for (size_t i = 0; i < im->n_known; i++)
		free(im->known[i].name);
	free(im->known);
	cli_bound_list_fini(&im->bound);
	filter_set_free(im->builtins);
	ctl_obj_free(im->out);
}

static int run(struct import *im)
{
	struct conf_diag diag;
	bool is_ok;

	cli_diag_init(&diag);
	im->builtins = filter_set_new();
	if (!im->builtins || conf_load_dir(conf_builtin_dir(), im->builtins, &diag) < 0) {
		cli_error("cannot load the built-in filters from %s", conf_builtin_dir());
		return im->is_json ? cli_json_failure() : CLI_EXIT_FAILURE;
	}
	if (load_daemon_state(im) < 0)
		return im->is_json ? cli_json_failure() : CLI_EXIT_FAILURE;
	/* from here on each failure belongs to one file, and is said with it */
	client_set_quiet(true);
	if (im->is_json) {
		im->out = ctl_obj_new();
		/* first in the object, as in every command's; set again at the end */
		ctl_obj_add_bool(im->out, "ok", false);
		ctl_obj_add_bool(im->out, "dry_run", im->is_dry_run);
		im->out_filters = ctl_obj_add_array(im->out, "filters");
		im->out_bindings = ctl_obj_add_array(im->out, "bindings");
		if (!im->out_filters || !im->out_bindings) {
			cli_error("out of memory");
			return cli_json_failure();
		}
	}
	/* filters first: a binding may need one */
	each_file(im, im->filter_dir, "filter", import_filter);
	each_file(im, im->binding_dir, "binding", import_binding);
	is_ok = !im->is_failed && im->counts[RESULT_ERROR] == 0;
	if (!im->is_json) {
		print_summary(im);
		return is_ok ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
	}
	if (ctl_obj_add_bool(im->out, "ok", is_ok) < 0) {
		cli_error("out of memory");
		return cli_json_failure();
	}
	return cli_json_print(TAKE_PTR(im->out), is_ok);
}

int cmd_libvirt_import(int argc, char **argv)
{
	struct import im = { .filter_dir = LIBVIRT_FILTER_DIR, .binding_dir = LIBVIRT_BINDING_DIR };
	int r = parse_options(argc, argv, &im);

	if (r < 0)
		r = run(&im);
	import_fini(&im);
	return r;
}
