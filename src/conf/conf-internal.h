/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared by the conf/ files only. conf-rule.c parses <rule>;
 * conf.c parses documents; conf-format.c prints them.
 */
#pragma once

#include <libxml/tree.h>
#include <stdbool.h>

#include "conf/conf.h"
#include "filter/value.h"
#include "filter/filter.h"
#include "util/strbuf.h"

/* One parse: where diagnostics go and the file name they carry. */
struct conf_ctx {
	const char *name;
	struct conf_diag *diag;
};

/*
 * Reports "NAME:LINE: <elem[ attr='value']>: message" (node NULL: "NAME: message").
 * attr may be NULL; value is quoted, truncated and escaped for display.
 */
void conf_report(struct conf_ctx *c, enum conf_severity sev, const xmlNode *node, const char *attr,
		 const char *value, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
#define conf_error(c, node, attr, value, ...) \
	conf_report(c, CONF_ERROR, node, attr, value, __VA_ARGS__)
#define conf_warn(c, node, attr, value, ...) \
	conf_report(c, CONF_WARNING, node, attr, value, __VA_ARGS__)

/* Reports "NAME:LINE: text" (line 0: "NAME: text"). */
void conf_report_line(struct conf_ctx *c, enum conf_severity sev, long line, const char *text);

/*
 * Parses buf with libxml2 as every conf/ parser must: no network, no DTD
 * (a DOCTYPE stops the parse: no entity is ever declared or expanded),
 * libxml2's errors reported through c; an empty document or one over max
 * bytes is refused first. Returns the document (caller frees with
 * xmlFreeDoc), or NULL and *ret: -EINVAL (reported) or -ENOMEM.
 */
xmlDoc *conf_xml_read(struct conf_ctx *c, const char *buf, size_t len, size_t max, int *ret);

/* An attribute's value regardless of namespace, or NULL; caller xmlFree()s. */
char *conf_prop(const xmlNode *node, const char *name);
/* Warns about each attribute of node not in known (NULL-terminated). */
void conf_warn_unknown_attrs(struct conf_ctx *c, const xmlNode *node, const char *const *known);

/* Parses one <rule>; 0, -EINVAL (errors reported), -ENOMEM. */
int conf_rule_parse(struct conf_ctx *c, const xmlNode *node, struct filter_rule **ret);
/* Parses a <filterbinding> root element; 0, -EINVAL (errors reported), -ENOMEM. */
int conf_binding_parse(struct conf_ctx *c, const xmlNode *root, struct binding **ret);
/* Parses <filterref> children into ref (which must be zeroed); 0, -EINVAL, -ENOMEM. */
int conf_ref_parse(struct conf_ctx *c, const xmlNode *node, struct filter_ref *ref);

/* Appends s escaped for an attribute or text: the five specials and \t \n \r as references. */
void conf_escape(struct strbuf *sb, const char *s);

static inline void xml_freep(void *p)
{
	char **s = p;

	if (*s)
		xmlFree(*s);
}
static inline void rule_freep(struct filter_rule **r)
{
	*r = filter_rule_free(*r);
}

#define _cleanup_xml_ __attribute__((cleanup(xml_freep)))

static inline void xml_docfreep(xmlDoc **d)
{
	if (*d)
		xmlFreeDoc(*d);
}
