/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * binding export / import: a binding with the addresses its port learned,
 * carried to another host (a live migration), where they are in force at
 * once instead of being learned again.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/client.h"
#include "ctl/ctl.h"
#include "util/addr.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#define EXPORT_VERSION 1

static const char *member_string(const struct ctl_value *obj, const char *key)
{
	const struct ctl_value *v = NULL;
	const char *s = NULL;

	return ctl_value_find(obj, key, &v) == 0 && v && ctl_value_string(v, &s) == 0 ? s : NULL;
}

static bool member_int(const struct ctl_value *obj, const char *key, int64_t *ret)
{
	const struct ctl_value *v = NULL;

	return ctl_value_find(obj, key, &v) == 0 && v && ctl_value_int(v, ret) == 0;
}

/* Copies what export needs of one address of "binding show". */
static void add_address(struct ctl_array *arr, const struct ctl_value *a)
{
	struct ctl_obj *o = ctl_array_add_obj(arr);
	int64_t t;

	ctl_obj_add_string(o, "address", member_string(a, "address"));
	ctl_obj_add_string(o, "source", member_string(a, "source"));
	ctl_obj_add_string(o, "server", member_string(a, "server"));
	if (member_int(a, "lease_end", &t))
		ctl_obj_add_int(o, "lease_end", t);
	else
		ctl_obj_add_null(o, "lease_end");
	ctl_obj_add_int(o, "learned_at", member_int(a, "learned_at", &t) ? t : 0);
}

int cli_binding_export(int argc, char **argv)
{
	struct ctl_request show = { .id = 1, .verb = CTL_VERB_BINDING_SHOW };
	struct ctl_request dump = { .id = 1, .verb = CTL_VERB_BINDING_DUMPXML };
	struct ctl_message shown = { 0 }, dumped = { 0 };
	const struct ctl_value *addrs = NULL;
	struct ctl_obj *obj;
	struct ctl_array *arr;
	_cleanup_free_ char *line = NULL;

	if (argc != 2)
		return cli_usage_error("binding", "binding export takes exactly one PORT");
	show.port = dump.port = argv[1];
	if (client_call(&dump, NULL, NULL, &dumped) < 0)
		return CLI_EXIT_FAILURE;
	if (client_call(&show, NULL, NULL, &shown) < 0) {
		ctl_message_fini(&dumped);
		return CLI_EXIT_FAILURE;
	}
	obj = ctl_obj_new();
	ctl_obj_add_int(obj, "version", EXPORT_VERSION);
	ctl_obj_add_string(obj, "port", argv[1]);
	ctl_obj_add_string(obj, "xml", member_string(dumped.data, "xml"));
	arr = ctl_obj_add_array(obj, "addresses");
	if (ctl_value_find(shown.data, "addresses", &addrs) == 0 && addrs)
		for (size_t i = 0; i < ctl_value_array_len(addrs); i++)
			add_address(arr, ctl_value_array_at(addrs, i));
	line = cli_json_format(obj);
	ctl_message_fini(&dumped);
	ctl_message_fini(&shown);
	if (!line) {
		cli_error("out of memory");
		return CLI_EXIT_FAILURE;
	}
	puts(line);
	return CLI_EXIT_OK;
}

/* The export's addresses as binding.create's "learned" text; NULL (printed) when malformed. */
static char *learned_text(const struct ctl_value *addrs, const char *file)
{
	struct strbuf sb;

	strbuf_init(&sb);
	for (size_t i = 0; i < ctl_value_array_len(addrs); i++) {
		const struct ctl_value *a = ctl_value_array_at(addrs, i);
		const char *ip = member_string(a, "address"), *source = member_string(a, "source");
		const char *server = member_string(a, "server");
		struct ctl_learned l = { 0 };
		char entry[128];

		if (!ip || (ipv4_parse(ip, l.address) < 0 && ipv6_parse(ip, l.address) < 0) ||
		    !source || strlen(source) >= sizeof(l.source) ||
		    (server && ipv4_parse(server, l.server) < 0) ||
		    !member_int(a, "learned_at", &l.learned_at)) {
			cli_error("%s: addresses[%zu]: expected address, source, server, lease_end "
				  "and learned_at as binding export writes them",
				  file, i);
			strbuf_fini(&sb);
			return NULL;
		}
		snprintf(l.source, sizeof(l.source), "%s", source);
		l.is_ipv6 = strchr(ip, ':') != NULL;
		l.has_server = server != NULL;
		l.has_lease = member_int(a, "lease_end", &l.lease_end);
		if (ctl_learned_format(&l, entry, sizeof(entry)) < 0) {
			cli_error("%s: addresses[%zu]: too long", file, i);
			strbuf_fini(&sb);
			return NULL;
		}
		strbuf_addf(&sb, "%s%s", i ? "," : "", entry);
	}
	if (strbuf_error(&sb) < 0) {
		strbuf_fini(&sb);
		cli_error("out of memory");
		return NULL;
	}
	return sb.buf ? sb.buf : strdup("");
}

int cli_binding_import(int argc, char **argv)
{
	static const struct option options[] = {
		{ "keep-up", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_BINDING_CREATE };
	struct ctl_message reply = { 0 };
	struct ctl_value *doc = NULL;
	const struct ctl_value *addrs = NULL;
	_cleanup_free_ char *text = NULL;
	const char *xml;
	struct err err = { 0 };
	bool is_json = false;
	int64_t version = 0;
	int opt, r = CLI_EXIT_FAILURE;

	while ((opt = cli_getopt(argc, argv, "kj", options, "binding import")) != -1) {
		switch (opt) {
		case 'k':
			free(req.on_failure);
			req.on_failure = strdup("keep-up");
			break;
		case 'j':
			is_json = true;
			break;
		default:
			r = CLI_EXIT_USAGE;
		}
	}
	if (r == CLI_EXIT_FAILURE && argc - optind != 1)
		r = cli_usage_error("binding", "binding import takes exactly one FILE");
	if (r == CLI_EXIT_USAGE) {
		ctl_request_fini(&req);
		return r;
	}
	text = cli_read_input(argv[optind]);
	if (!text)
		goto out;
	if (ctl_document_parse(text, strlen(text), argv[optind], &doc, &err) < 0) {
		cli_error("%s", err.msg);
		goto out;
	}
	xml = member_string(doc, "xml");
	if (!member_int(doc, "version", &version) || version != EXPORT_VERSION || !xml ||
	    ctl_value_find(doc, "addresses", &addrs) < 0 ||
	    ctl_value_type(addrs) != CTL_TYPE_ARRAY) {
		cli_error("%s: not a binding export (version %d, xml, addresses) of vifguardctl "
			  "binding export",
			  argv[optind], EXPORT_VERSION);
		goto out;
	}
	req.xml = strdup(xml);
	req.learned = learned_text(addrs, argv[optind]);
	if (!req.xml || !req.learned)
		goto out;
	if (client_call(&req, NULL, NULL, &reply) < 0)
		goto out;
	if (is_json) {
		_cleanup_free_ char *shown = ctl_value_to_json_string(reply.data, false);

		puts(shown ? shown : "{}");
	} else {
		printf("port %s: bound to filter '%s' (%s) with %zu learned addresses\n",
		       member_string(reply.data, "port"), member_string(reply.data, "filter"),
		       member_string(reply.data, "state"), ctl_value_array_len(addrs));
	}
	ctl_message_fini(&reply);
	r = CLI_EXIT_OK;
out:
	ctl_request_fini(&req);
	ctl_document_free(doc);
	return r != CLI_EXIT_OK && is_json ? cli_json_failure() : r;
}
