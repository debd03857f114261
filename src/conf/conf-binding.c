/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <filterbinding> documents (libvirt's virnwfilterbindingxml2xml format) and
 * the file entry points. A binding names a port, the VM behind it and the
 * top filter with its parameters; the first of each element counts, as with
 * libvirt's XPath lookups.
 */
#include "conf/conf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf-internal.h"
#include "util/cleanup.h"

#define CONF_FILE_MAX (1024 * 1024)

/* The binding's children, first of each name; later duplicates are reported and ignored. */
struct binding_nodes {
	const xmlNode *owner, *portdev, *linkdev, *mac, *filterref;
};

static void binding_collect(struct conf_ctx *c, const xmlNode *root, struct binding_nodes *bn)
{
	const struct {
		const char *name;
		const xmlNode **slot;
	} slots[] = {
		{ "owner", &bn->owner },         { "portdev", &bn->portdev },
		{ "linkdev", &bn->linkdev },     { "mac", &bn->mac },
		{ "filterref", &bn->filterref },
	};

	for (const xmlNode *n = root->children; n; n = n->next) {
		size_t i = 0;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		while (i < ARRAY_SIZE(slots) && strcmp(slots[i].name, (const char *)n->name) != 0)
			i++;
		if (i == ARRAY_SIZE(slots))
			conf_warn(c, n, NULL, NULL, "unknown element in <filterbinding>, ignored");
		else if (*slots[i].slot)
			conf_warn(c, n, NULL, NULL, "more than one <%s>, ignored", slots[i].name);
		else
			*slots[i].slot = n;
	}
}

static const xmlNode *child_named(const xmlNode *node, const char *name)
{
	for (const xmlNode *n = node->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

static int owner_parse(struct conf_ctx *c, const xmlNode *owner, struct binding *b)
{
	const xmlNode *name = child_named(owner, "name"), *uuid = child_named(owner, "uuid");
	_cleanup_xml_ char *text = name ? (char *)xmlNodeGetContent(name) : NULL;
	_cleanup_xml_ char *utext = uuid ? (char *)xmlNodeGetContent(uuid) : NULL;
	int ret = 0;

	if (!text || !*text) {
		conf_error(c, owner, NULL, NULL, "missing <name>");
		ret = -EINVAL;
	} else if (!(b->owner_name = strdup(text))) {
		return -ENOMEM;
	}
	if (!uuid) {
		conf_error(c, owner, NULL, NULL, "missing <uuid>");
		ret = -EINVAL;
	} else if (filter_uuid_parse(utext ? utext : "", b->owner_uuid) < 0) {
		conf_error(c, uuid, NULL, utext ? utext : "",
			   "malformed UUID (accepted: 32 hex digits, optionally as 8-4-4-4-12)");
		ret = -EINVAL;
	}
	return ret;
}

/* A required attribute of an optional element; *ret stays NULL when node is NULL. */
static int name_attr_parse(struct conf_ctx *c, const xmlNode *node, const char *attr, char **ret)
{
	_cleanup_xml_ char *v = NULL;

	if (!node)
		return 0;
	v = conf_prop(node, attr);
	if (!v || !*v) {
		conf_error(c, node, NULL, NULL, "missing attribute '%s'", attr);
		return -EINVAL;
	}
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

static int mac_elem_parse(struct conf_ctx *c, const xmlNode *node, struct binding *b)
{
	_cleanup_xml_ char *v = conf_prop(node, "address");

	if (!v) {
		conf_error(c, node, NULL, NULL, "missing attribute 'address'");
		return -EINVAL;
	}
	if (mac_parse(v, b->mac) < 0) {
		conf_error(c, node, "address", v,
			   "not a MAC address (six hex octets, e.g. 52:54:00:12:34:56)");
		return -EINVAL;
	}
	return 0;
}

static int binding_required(struct conf_ctx *c, const xmlNode *root, const struct binding_nodes *bn)
{
	static const char *const what[] = { "<owner>", "<portdev name=...>", "<mac address=...>",
					    "<filterref filter=...>" };
	const xmlNode *nodes[] = { bn->owner, bn->portdev, bn->mac, bn->filterref };
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		if (!nodes[i]) {
			conf_error(c, root, NULL, NULL, "missing %s", what[i]);
			ret = -EINVAL;
		}
	}
	return ret;
}

/* Folds one step's result into the running one: -ENOMEM wins, then -EINVAL. */
static int worst(int ret, int r)
{
	if (ret == -ENOMEM || r == -ENOMEM)
		return -ENOMEM;
	return r < 0 ? r : ret;
}

int conf_binding_parse(struct conf_ctx *c, const xmlNode *root, struct binding **ret)
{
	_cleanup_(binding_freep) struct binding *b = binding_new();
	struct binding_nodes bn = { 0 };
	int res;

	if (!b)
		return -ENOMEM;
	binding_collect(c, root, &bn);
	res = binding_required(c, root, &bn);
	if (bn.owner)
		res = worst(res, owner_parse(c, bn.owner, b));
	res = worst(res, name_attr_parse(c, bn.portdev, "name", &b->portdev));
	res = worst(res, name_attr_parse(c, bn.linkdev, "name", &b->linkdev));
	if (bn.mac)
		res = worst(res, mac_elem_parse(c, bn.mac, b));
	if (bn.filterref)
		res = worst(res, conf_ref_parse(c, bn.filterref, &b->ref));
	if (res < 0)
		return res;
	*ret = TAKE_PTR(b);
	return 0;
}

static void report_file(struct conf_diag *diag, const char *path, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void report_file(struct conf_diag *diag, const char *path, const char *fmt, ...)
{
	struct conf_diag local = { 0 };
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_diag_emit(
		diag ? diag : &local,
		&(struct conf_message){ .severity = CONF_ERROR, .file = path, .message = msg });
}

/* path "-" reads standard input (left open). */
static int read_file(const char *path, struct conf_diag *diag, char **ret, size_t *ret_len)
{
	bool is_stdin = strcmp(path, "-") == 0;
	_cleanup_fclose_ FILE *opened = is_stdin ? NULL : fopen(path, "re");
	FILE *f = is_stdin ? stdin : opened;
	_cleanup_free_ char *buf = NULL;
	size_t len;

	if (!f) {
		int r = -errno;

		report_file(diag, path, "cannot open: %s", strerror(-r));
		return r;
	}
	/* One byte more than the limit tells "too large" from "exactly 1 MiB". */
	buf = malloc(CONF_FILE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	errno = 0;
	len = fread(buf, 1, CONF_FILE_MAX + 1, f);
	if (ferror(f)) {
		/* a directory opens, and fails here with EISDIR: say that, not EIO */
		int r = errno ? -errno : -EIO;

		report_file(diag, path, "cannot read: %s", strerror(-r));
		return r;
	}
	*ret = TAKE_PTR(buf);
	*ret_len = len;
	return 0;
}

int conf_parse_file(const char *path, struct conf_diag *diag, enum conf_doc_kind *ret_kind,
		    struct filter **ret_filter, struct binding **ret_binding)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = read_file(path, diag, &buf, &len);

	if (r < 0)
		return r;
	return conf_parse_mem(buf, len, path, diag, ret_kind, ret_filter, ret_binding);
}

int conf_filter_parse_file(const char *path, struct conf_diag *diag, struct filter **ret)
{
	enum conf_doc_kind kind;
	struct filter *f = NULL;
	struct binding *b = NULL;
	int r = conf_parse_file(path, diag, &kind, &f, &b);

	if (r < 0)
		return r;
	if (kind != CONF_DOC_FILTER) {
		binding_free(b);
		report_file(diag, path, "expected a <filter> document, found <filterbinding>");
		return -EINVAL;
	}
	*ret = f;
	return 0;
}

int conf_binding_parse_file(const char *path, struct conf_diag *diag, struct binding **ret)
{
	enum conf_doc_kind kind;
	struct filter *f = NULL;
	struct binding *b = NULL;
	int r = conf_parse_file(path, diag, &kind, &f, &b);

	if (r < 0)
		return r;
	if (kind != CONF_DOC_BINDING) {
		filter_free(f);
		report_file(diag, path, "expected a <filterbinding> document, found <filter>");
		return -EINVAL;
	}
	*ret = b;
	return 0;
}
