/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Documents: libxml2 in, struct filter / struct binding out. libxml2 runs
 * with network access and entity substitution off; a DOCTYPE stops the parse
 * at once (before any entity is declared), so no entity can ever be
 * expanded. Errors go through a per-context handler, never libxml2's global
 * one, so parses on different threads do not interfere. Every problem is
 * reported; any error rejects the whole document.
 */
#include "conf/conf.h"

#include <errno.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "conf/conf-internal.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#define CONF_DOC_MAX (1024 * 1024)

void conf_diag_emit(struct conf_diag *diag, const struct conf_message *m)
{
	struct conf_message full = *m;
	struct strbuf sb;

	strbuf_init(&sb);
	if (!full.text) {
		if (full.file)
			strbuf_addf(&sb, full.line > 0 ? "%s:%ld: " : "%s: ", full.file, full.line);
		if (full.element) {
			strbuf_addf(&sb, "<%s", full.element);
			if (full.attribute)
				strbuf_addf(&sb, " %s='%s'>", full.attribute,
					    full.value ? full.value : "");
			else if (full.value)
				strbuf_addf(&sb, ">%s</%s>", full.value, full.element);
			else
				strbuf_addc(&sb, '>');
			strbuf_add(&sb, ": ");
		}
		strbuf_add(&sb, full.message ? full.message : "");
		if (full.accepted)
			strbuf_addf(&sb, " (accepted: %s)", full.accepted);
		full.text = sb.buf ? sb.buf : full.message ? full.message : "out of memory";
	}
	if (full.severity == CONF_ERROR) {
		diag->n_errors++;
		if (diag->first_error.code == 0)
			err_set(&diag->first_error, -EINVAL, "%s", full.text);
	} else {
		diag->n_warnings++;
	}
	if (diag->report)
		diag->report(diag->userdata, &full);
	strbuf_fini(&sb);
}

void conf_report_line(struct conf_ctx *c, enum conf_severity sev, long line, const char *text)
{
	conf_diag_emit(c->diag, &(struct conf_message){
					.severity = sev,
					.file = c->name,
					.line = line,
					.message = text,
				});
}

/* User text in a message: at most 64 bytes, control characters as \xNN. */
static void add_display(struct strbuf *sb, const char *s)
{
	size_t len = strlen(s), shown = len > 64 ? 64 : len;

	while (shown < len && shown > 0 && ((unsigned char)s[shown] & 0xc0) == 0x80)
		shown--;
	for (size_t i = 0; i < shown; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch < 0x20 || ch == 0x7f)
			strbuf_addf(sb, "\\x%02x", ch);
		else
			strbuf_addc(sb, (char)ch);
	}
	if (shown < len)
		strbuf_add(sb, "...");
}

/* "what is wrong (accepted: what is right)" is kept apart for JSON */
static char *split_accepted(char *msg)
{
	char *open = strstr(msg, " (accepted: ");
	size_t len = strlen(msg);

	while (open && strstr(open + 1, " (accepted: "))
		open = strstr(open + 1, " (accepted: ");
	if (!open || msg[len - 1] != ')')
		return NULL;
	*open = '\0';
	msg[len - 1] = '\0';
	return open + strlen(" (accepted: ");
}

void conf_report(struct conf_ctx *c, enum conf_severity sev, const xmlNode *node, const char *attr,
		 const char *value, const char *fmt, ...)
{
	struct conf_message m = {
		.severity = sev,
		.file = c->name,
		.line = node ? xmlGetLineNo(node) : 0,
		.element = node ? (const char *)node->name : NULL,
		.attribute = node ? attr : NULL,
	};
	struct strbuf shown;
	va_list ap;
	char msg[ERR_MSG_MAX];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	strbuf_init(&shown);
	if (node && (attr || value)) {
		add_display(&shown, value ? value : "");
		m.value = shown.buf ? shown.buf : "";
	}
	m.accepted = split_accepted(msg);
	m.message = msg;
	conf_diag_emit(c->diag, &m);
	strbuf_fini(&shown);
}

char *conf_prop(const xmlNode *node, const char *name)
{
	/* xmlGetProp ignores namespaces, as libvirt does. */
	return (char *)xmlGetProp(node, (const xmlChar *)name);
}

void conf_warn_unknown_attrs(struct conf_ctx *c, const xmlNode *node, const char *const *known)
{
	for (const xmlAttr *a = node->properties; a; a = a->next) {
		size_t i = 0;

		while (known[i] && strcmp(known[i], (const char *)a->name) != 0)
			i++;
		if (!known[i]) {
			_cleanup_xml_ char *v =
				(char *)xmlNodeListGetString(node->doc, a->children, 1);

			conf_warn(c, node, (const char *)a->name, v ? v : "",
				  "unknown attribute, ignored");
		}
	}
}

struct xml_state {
	struct conf_ctx *c;
	bool saw_dtd;
};

static void xml_report(struct xml_state *s, const xmlError *e)
{
	char msg[ERR_MSG_MAX];
	size_t len;

	snprintf(msg, sizeof(msg), "not well-formed XML: %s", e->message ? e->message : "error");
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == ' '))
		msg[--len] = '\0';
	conf_report_line(s->c, e->level == XML_ERR_WARNING ? CONF_WARNING : CONF_ERROR, e->line,
			 msg);
}

static void xml_error_cb(void *data, xmlErrorPtr e)
{
	xmlParserCtxtPtr ctxt = data;

	xml_report(ctxt->_private, e);
}

/*
 * A few libxml2 errors (encoding conversion) are raised without a parser
 * context and would go to the thread's default handler, i.e. stderr.
 */
static void xml_thread_error_cb(void *data, xmlErrorPtr e)
{
	xml_report(data, e);
}

/* SAX internalSubset: called at <!DOCTYPE, before any declaration in it is read. */
static void xml_dtd_cb(void *data, const xmlChar *name, const xmlChar *ext, const xmlChar *sys)
{
	xmlParserCtxtPtr ctxt = data;
	struct xml_state *s = ctxt->_private;

	s->saw_dtd = true;
	conf_report_line(s->c, CONF_ERROR, ctxt->input ? ctxt->input->line : 0,
			 "<!DOCTYPE>: DTDs and entity declarations are not accepted");
	xmlStopParser(ctxt);
}

/*
 * libxml2 stamps an element with the line where its start tag ends; a
 * message about an attribute is more useful at the line of '<'. No raw '<'
 * can occur inside a start tag, so the nearest one before the cursor is it.
 */
static void xml_start_cb(void *data, const xmlChar *localname, const xmlChar *prefix,
			 const xmlChar *uri, int nb_namespaces, const xmlChar **namespaces,
			 int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
	xmlParserCtxtPtr ctxt = data;
	const xmlChar *p;
	int newlines = 0;

	xmlSAX2StartElementNs(data, localname, prefix, uri, nb_namespaces, namespaces,
			      nb_attributes, nb_defaulted, attributes);
	if (!ctxt->node || !ctxt->input || !ctxt->input->cur || !ctxt->input->base)
		return;
	for (p = ctxt->input->cur; p > ctxt->input->base && *p != '<'; p--)
		newlines += *p == '\n';
	if (*p == '<' && ctxt->node->line > newlines && ctxt->node->line < 65535)
		ctxt->node->line = (unsigned short)(ctxt->node->line - newlines);
}

xmlDoc *conf_xml_read(struct conf_ctx *c, const char *buf, size_t len, size_t max, int *ret)
{
	struct xml_state s = { .c = c };
	unsigned errors = c->diag->n_errors;
	xmlStructuredErrorFunc saved_fn;
	void *saved_ctx;
	xmlParserCtxtPtr ctxt;
	xmlDoc *doc;

	if (len > max) {
		char msg[64];

		snprintf(msg, sizeof(msg), "document too large (more than %zu MiB)", max >> 20);
		conf_report_line(c, CONF_ERROR, 0, msg);
		*ret = -EINVAL;
		return NULL;
	}
	if (!buf || len == 0) {
		conf_report_line(c, CONF_ERROR, 0, "empty document");
		*ret = -EINVAL;
		return NULL;
	}
	ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
	if (!ctxt) {
		*ret = -ENOMEM;
		return NULL;
	}
	xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_BIG_LINES);
	ctxt->linenumbers = 1;
	ctxt->_private = &s;
	ctxt->sax->serror = xml_error_cb;
	ctxt->sax->error = NULL;
	ctxt->sax->warning = NULL;
	ctxt->sax->internalSubset = xml_dtd_cb;
	ctxt->sax->startElementNs = xml_start_cb;
	/*
	 * libxml2 keeps this handler per thread, and nothing in the parse can
	 * start another parse on this thread, so setting and restoring it
	 * around the call stays reentrant.
	 */
	saved_fn = xmlStructuredError;
	saved_ctx = xmlStructuredErrorContext;
	xmlSetStructuredErrorFunc(&s, xml_thread_error_cb);
	xmlParseDocument(ctxt);
	xmlSetStructuredErrorFunc(saved_ctx, saved_fn);
	doc = ctxt->myDoc;
	ctxt->myDoc = NULL;
	if (!ctxt->wellFormed || s.saw_dtd || c->diag->n_errors != errors) {
		if (c->diag->n_errors == errors)
			conf_report_line(c, CONF_ERROR, 0, "not well-formed XML");
		xmlFreeDoc(doc);
		doc = NULL;
	}
	xmlFreeParserCtxt(ctxt);
	*ret = doc ? 0 : -EINVAL;
	return doc;
}

static int random_uuid(uint8_t uuid[16])
{
	size_t got = 0;

	while (got < 16) {
		ssize_t n = getrandom(uuid + got, 16 - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	/* RFC 4122 version 4, variant 1. */
	uuid[6] = (uint8_t)((uuid[6] & 0x0f) | 0x40);
	uuid[8] = (uint8_t)((uuid[8] & 0x3f) | 0x80);
	return 0;
}

static int uuid_elem_parse(struct conf_ctx *c, const xmlNode *node, uint8_t uuid[16])
{
	_cleanup_xml_ char *text = (char *)xmlNodeGetContent(node);

	if (filter_uuid_parse(text ? text : "", uuid) < 0) {
		conf_error(c, node, NULL, text ? text : "",
			   "malformed UUID (accepted: 32 hex digits, optionally as 8-4-4-4-12)");
		return -EINVAL;
	}
	return 0;
}

static bool is_filter_name(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '/')
			return false;
	return true;
}

/* libvirt: root, or a protocol prefix; at most 12 of [A-Za-z0-9_.:-]. */
static bool is_chain_name(const char *s)
{
	static const char *const prefixes[] = {
		"mac", "vlan", "stp", "arp", "rarp", "ipv4", "ipv6"
	};
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				    "0123456789_.:-";
	size_t len = strlen(s);

	if (strcmp(s, "root") == 0)
		return true;
	if (len == 0 || len > FILTER_CHAIN_NAME_MAX || strspn(s, chars) != len)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (strncmp(s, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

static int chain_priority_parse(struct conf_ctx *c, const xmlNode *node, bool has_chain,
				struct filter *f)
{
	_cleanup_xml_ char *v = conf_prop(node, "priority");
	char *end;
	long p;

	if (!v) {
		f->chain_priority = filter_chain_default_priority(f->chain);
		return 0;
	}
	errno = 0;
	p = strtol(v, &end, 10);
	if (errno || end == v || *end || p < FILTER_PRIORITY_MIN || p > FILTER_PRIORITY_MAX) {
		conf_error(c, node, "priority", v,
			   "not a chain priority (an integer, -1000 to 1000)");
		return -EINVAL;
	}
	/* libvirt validates it but honours it only together with chain. */
	if (!has_chain)
		conf_warn(c, node, "priority", v, "ignored without a chain attribute");
	f->chain_priority = has_chain ? (int)p : 0;
	return 0;
}

static int filter_head_parse(struct conf_ctx *c, const xmlNode *node, struct filter *f)
{
	static const char *const known[] = { "name", "chain", "priority", NULL };
	_cleanup_xml_ char *name = conf_prop(node, "name");
	_cleanup_xml_ char *chain = conf_prop(node, "chain");
	int ret = 0;

	conf_warn_unknown_attrs(c, node, known);
	if (!name) {
		conf_error(c, node, NULL, NULL, "missing attribute 'name'");
		ret = -EINVAL;
	} else if (!is_filter_name(name)) {
		conf_error(c, node, "name", name,
			   "not a filter name (not empty, no '/' or control characters)");
		ret = -EINVAL;
	}
	if (chain && !is_chain_name(chain)) {
		conf_error(c, node, "chain", chain,
			   "not a chain name (accepted: root, or up to 12 letters, digits, _ . : - "
			   "starting with mac, vlan, stp, arp, rarp, ipv4 or ipv6)");
		ret = -EINVAL;
	}
	f->name = strdup(name ? name : "");
	f->chain = strdup(chain ? chain : "root");
	if (!f->name || !f->chain)
		return -ENOMEM;
	if (chain_priority_parse(c, node, chain != NULL, f) < 0)
		ret = -EINVAL;
	return ret;
}

static int filter_add_entry(struct filter *f, struct filter_entry e)
{
	struct filter_entry *entries = realloc(f->entries, (f->n_entries + 1) * sizeof(*entries));

	if (!entries)
		return -ENOMEM;
	f->entries = entries;
	f->entries[f->n_entries++] = e;
	return 0;
}

static int filter_ref_entry_parse(struct conf_ctx *c, const xmlNode *node, struct filter *f)
{
	struct filter_ref *ref = calloc(1, sizeof(*ref));
	int r;

	if (!ref)
		return -ENOMEM;
	r = conf_ref_parse(c, node, ref);
	if (r == 0)
		r = filter_add_entry(f,
				     (struct filter_entry){ .kind = FILTER_ENTRY_REF, .ref = ref });
	if (r < 0) {
		filter_ref_fini(ref);
		free(ref);
	}
	return r;
}

static int filter_rule_entry_parse(struct conf_ctx *c, const xmlNode *node, struct filter *f)
{
	struct filter_rule *rule = NULL;
	int r = conf_rule_parse(c, node, &rule);

	if (r == 0)
		r = filter_add_entry(
			f, (struct filter_entry){ .kind = FILTER_ENTRY_RULE, .rule = rule });
	if (r < 0)
		filter_rule_free(rule);
	return r;
}

static int filter_child_parse(struct conf_ctx *c, const xmlNode *n, struct filter *f)
{
	const char *name = (const char *)n->name;

	if (strcmp(name, "rule") == 0)
		return filter_rule_entry_parse(c, n, f);
	if (strcmp(name, "filterref") == 0)
		return filter_ref_entry_parse(c, n, f);
	if (strcmp(name, "uuid") != 0) {
		conf_warn(c, n, NULL, NULL, "unknown element in <filter>, ignored");
		return 0;
	}
	if (f->has_uuid) {
		conf_warn(c, n, NULL, NULL, "more than one <uuid>, ignored");
		return 0;
	}
	f->has_uuid = true;
	return uuid_elem_parse(c, n, f->uuid);
}

static int filter_parse(struct conf_ctx *c, const xmlNode *root, struct filter **ret)
{
	_cleanup_(filter_freep) struct filter *f = filter_new();
	int r, res;

	if (!f)
		return -ENOMEM;
	res = filter_head_parse(c, root, f);
	if (res == -ENOMEM)
		return res;
	for (const xmlNode *n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		r = filter_child_parse(c, n, f);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			res = r;
	}
	if (res < 0)
		return res;
	if (!f->has_uuid) {
		r = random_uuid(f->uuid);
		if (r < 0) {
			conf_report_line(c, CONF_ERROR, 0, "cannot generate a UUID for the filter");
			return r;
		}
	}
	*ret = TAKE_PTR(f);
	return 0;
}

static int doc_parse(struct conf_ctx *c, const xmlDoc *doc, enum conf_doc_kind *ret_kind,
		     struct filter **ret_filter, struct binding **ret_binding)
{
	const xmlNode *root = xmlDocGetRootElement(doc);
	const char *name = root ? (const char *)root->name : "";

	if (root && strcmp(name, "filter") == 0) {
		*ret_kind = CONF_DOC_FILTER;
		return filter_parse(c, root, ret_filter);
	}
	if (root && strcmp(name, "filterbinding") == 0) {
		*ret_kind = CONF_DOC_BINDING;
		return conf_binding_parse(c, root, ret_binding);
	}
	/* libvirt's state files, /run/libvirt/nwfilter-binding/PORT.xml, wrap the binding */
	if (root && strcmp(name, "filterbindingstatus") == 0) {
		for (const xmlNode *n = root->children; n; n = n->next) {
			if (n->type == XML_ELEMENT_NODE &&
			    strcmp((const char *)n->name, "filterbinding") == 0) {
				*ret_kind = CONF_DOC_BINDING;
				return conf_binding_parse(c, n, ret_binding);
			}
		}
		conf_error(c, root, NULL, NULL, "no <filterbinding> inside");
		return -EINVAL;
	}
	if (root)
		conf_error(c, root, NULL, NULL,
			   "unknown document (accepted: <filter>, <filterbinding>, "
			   "<filterbindingstatus>)");
	else
		conf_report_line(c, CONF_ERROR, 0, "no root element");
	return -EINVAL;
}

int conf_parse_mem(const char *buf, size_t len, const char *name, struct conf_diag *diag,
		   enum conf_doc_kind *ret_kind, struct filter **ret_filter,
		   struct binding **ret_binding)
{
	struct conf_diag local = { 0 };
	struct conf_ctx c = { .name = name ? name : "<input>", .diag = diag ? diag : &local };
	_cleanup_(xml_docfreep) xmlDoc *doc = NULL;
	unsigned errors = c.diag->n_errors;
	enum conf_doc_kind kind = CONF_DOC_FILTER;
	struct filter *f = NULL;
	struct binding *b = NULL;
	int r;

	doc = conf_xml_read(&c, buf, len, CONF_DOC_MAX, &r);
	if (!doc)
		return r;
	r = doc_parse(&c, doc, &kind, &f, &b);
	/* Belt and braces: no object leaves with an error reported. */
	if (r == 0 && c.diag->n_errors != errors)
		r = -EINVAL;
	if (r < 0) {
		filter_free(f);
		binding_free(b);
		if (r == -ENOMEM && c.diag->n_errors == errors)
			conf_report_line(&c, CONF_ERROR, 0, "out of memory");
		return r;
	}
	*ret_kind = kind;
	if (ret_filter)
		*ret_filter = f;
	else
		filter_free(f);
	if (ret_binding)
		*ret_binding = b;
	else
		binding_free(b);
	return 0;
}
