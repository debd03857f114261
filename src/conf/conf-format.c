/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Model -> libvirt's canonical XML, byte for byte what virsh nwfilter-dumpxml
 * prints: two-space indentation, single quotes, attributes in the protocol
 * table's order, and a rule's attributes regrouped into one plain element
 * followed by one match='no' element.
 */
#include "conf/conf.h"

#include <stdlib.h>

#include "conf/conf-internal.h"
#include "util/strbuf.h"

static void attr_append(struct strbuf *sb, const char *name, const char *value)
{
	strbuf_addf(sb, " %s='", name);
	conf_escape(sb, value);
	strbuf_addc(sb, '\'');
}

static void params_append(struct strbuf *sb, const struct filter_ref *ref, const char *indent)
{
	strbuf_addf(sb, "%s<filterref", indent);
	attr_append(sb, "filter", ref->filter ? ref->filter : "");
	if (ref->params.n_vars == 0) {
		strbuf_add(sb, "/>\n");
		return;
	}
	strbuf_add(sb, ">\n");
	for (size_t i = 0; i < ref->params.n_vars; i++) {
		const struct filter_var *v = &ref->params.vars[i];

		for (size_t j = 0; j < v->n_values; j++) {
			strbuf_addf(sb, "%s  <parameter", indent);
			attr_append(sb, "name", v->name);
			attr_append(sb, "value", v->values[j]);
			strbuf_add(sb, "/>\n");
		}
	}
	strbuf_addf(sb, "%s</filterref>\n", indent);
}

/* The set attributes whose negation is negated; returns how many were printed. */
static size_t proto_attrs_append(struct strbuf *sb, const struct filter_rule *r, bool negated)
{
	const struct filter_proto_info *info = &filter_proto_info[r->proto];
	struct strbuf value;
	size_t n = 0;

	strbuf_init(&value);
	for (size_t i = 0; i < info->n_attrs; i++) {
		const struct filter_attr_desc *d = &info->attrs[i];
		const struct filter_attr *a = &r->attrs[d->id];

		if (!a->is_set || a->is_negated != negated)
			continue;
		strbuf_reset(&value);
		filter_value_format(&value, d, a);
		attr_append(sb, filter_attr_names[d->id], value.buf ? value.buf : "");
		n++;
	}
	if (strbuf_error(&value) < 0)
		sb->failed = true;
	strbuf_fini(&value);
	return n;
}

static size_t count_attrs(const struct filter_rule *r, bool negated)
{
	const struct filter_proto_info *info = &filter_proto_info[r->proto];
	size_t n = 0;

	for (size_t i = 0; i < info->n_attrs; i++) {
		const struct filter_attr *a = &r->attrs[info->attrs[i].id];

		n += a->is_set && a->is_negated == negated;
	}
	return n;
}

static void rule_append(struct strbuf *sb, const struct filter_rule *r)
{
	const char *proto = filter_proto_info[r->proto].name;
	size_t n_plain, n_neg;

	strbuf_addf(sb, "  <rule action='%s' direction='%s' priority='%d'",
		    filter_action_names[r->action], filter_direction_names[r->direction],
		    r->priority);
	if (!r->statematch)
		strbuf_add(sb, " statematch='false'");
	if (r->proto == FILTER_PROTO_NONE) {
		strbuf_add(sb, "/>\n");
		return;
	}
	strbuf_add(sb, ">\n");
	n_plain = count_attrs(r, false);
	n_neg = count_attrs(r, true);
	if (n_plain > 0 || n_neg == 0) {
		strbuf_addf(sb, "    <%s", proto);
		proto_attrs_append(sb, r, false);
		strbuf_add(sb, "/>\n");
	}
	if (n_neg > 0) {
		strbuf_addf(sb, "    <%s match='no'", proto);
		proto_attrs_append(sb, r, true);
		strbuf_add(sb, "/>\n");
	}
	strbuf_add(sb, "  </rule>\n");
}

/*
 * libvirt prints the chain priority only when it is not 0, so priority='0'
 * on a chain whose default is not 0 (arp: -500) reads back as the default.
 * We also print it when the chain's default is not 0, which keeps libvirt's
 * output for every other case and makes the round trip exact.
 */
static bool chain_priority_shown(const struct filter *f)
{
	return f->chain_priority != 0 || filter_chain_default_priority(f->chain) != 0;
}

char *conf_filter_format(const struct filter *f)
{
	struct strbuf sb;
	char uuid[37];

	strbuf_init(&sb);
	strbuf_add(&sb, "<filter");
	attr_append(&sb, "name", f->name ? f->name : "");
	attr_append(&sb, "chain", f->chain ? f->chain : "root");
	if (chain_priority_shown(f))
		strbuf_addf(&sb, " priority='%d'", f->chain_priority);
	filter_uuid_format(f->uuid, uuid);
	strbuf_addf(&sb, ">\n  <uuid>%s</uuid>\n", uuid);
	for (size_t i = 0; i < f->n_entries; i++) {
		const struct filter_entry *e = &f->entries[i];

		if (e->kind == FILTER_ENTRY_RULE)
			rule_append(&sb, e->rule);
		else
			params_append(&sb, e->ref, "  ");
	}
	strbuf_add(&sb, "</filter>\n");
	return strbuf_steal(&sb);
}

char *conf_binding_format(const struct binding *b)
{
	struct strbuf sb;
	char uuid[37], mac[MAC_TEXT_MAX];

	strbuf_init(&sb);
	strbuf_add(&sb, "<filterbinding>\n  <owner>\n    <name>");
	conf_escape(&sb, b->owner_name ? b->owner_name : "");
	filter_uuid_format(b->owner_uuid, uuid);
	strbuf_addf(&sb, "</name>\n    <uuid>%s</uuid>\n  </owner>\n  <portdev", uuid);
	attr_append(&sb, "name", b->portdev ? b->portdev : "");
	strbuf_add(&sb, "/>\n");
	if (b->linkdev) {
		strbuf_add(&sb, "  <linkdev");
		attr_append(&sb, "name", b->linkdev);
		strbuf_add(&sb, "/>\n");
	}
	mac_format(b->mac, mac);
	strbuf_addf(&sb, "  <mac address='%s'/>\n", mac);
	params_append(&sb, &b->ref, "  ");
	strbuf_add(&sb, "</filterbinding>\n");
	return strbuf_steal(&sb);
}

void conf_escape(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			strbuf_add(sb, "&lt;");
			break;
		case '>':
			strbuf_add(sb, "&gt;");
			break;
		case '&':
			strbuf_add(sb, "&amp;");
			break;
		case '\'':
			strbuf_add(sb, "&apos;");
			break;
		case '"':
			strbuf_add(sb, "&quot;");
			break;
		/* Raw, these would be normalised to spaces (or \n) when parsed back. */
		case '\t':
			strbuf_add(sb, "&#9;");
			break;
		case '\n':
			strbuf_add(sb, "&#10;");
			break;
		case '\r':
			strbuf_add(sb, "&#13;");
			break;
		default:
			strbuf_addc(sb, *s);
		}
	}
}
