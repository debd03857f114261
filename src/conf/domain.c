/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <domain> documents, as libvirt hands them to a hook: the few facts a
 * guard needs, and nothing else. libvirt's own elements have no namespace;
 * vifguard's metadata is found by its namespace URI, whatever the prefix
 * (libvirt keeps the prefix it was given, and re-serialises the element
 * with double quotes). The first of each libvirt element counts, as with
 * libvirt's XPath lookups.
 */
#include "conf/domain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf-internal.h"
#include "filter/value.h"
#include "util/cleanup.h"

/* One entry of <vifguard:guard>: a MAC and its filter. */
struct guard_entry {
	const xmlNode *node;
	uint8_t mac[MAC_LEN];
	struct filter_ref ref;
};

struct guard_entries {
	struct guard_entry *items; /* CONF_DOMAIN_IFACES_MAX of them */
	size_t n;
	const xmlNode *guard; /* the <guard> element; NULL when there is none */
};

/* Folds one step's result into the running one: -ENOMEM wins, then -EINVAL. */
static int worst(int ret, int r)
{
	if (ret == -ENOMEM || r == -ENOMEM)
		return -ENOMEM;
	return r < 0 ? r : ret;
}

static bool is_element(const xmlNode *n)
{
	return n->type == XML_ELEMENT_NODE;
}

static bool is_ours(const xmlNode *n)
{
	return n->ns && n->ns->href && strcmp((const char *)n->ns->href, CONF_DOMAIN_NS) == 0;
}

/* libvirt's element name: in no namespace. */
static bool is_libvirt(const xmlNode *n, const char *name)
{
	return is_element(n) && !n->ns && strcmp((const char *)n->name, name) == 0;
}

static const xmlNode *first_child(const xmlNode *node, const char *name)
{
	for (const xmlNode *n = node->children; n; n = n->next)
		if (is_libvirt(n, name))
			return n;
	return NULL;
}

static size_t count_children(const xmlNode *node, const char *name)
{
	size_t k = 0;

	for (const xmlNode *n = node->children; n; n = n->next)
		k += is_element(n) && strcmp((const char *)n->name, name) == 0;
	return k;
}

static void iface_fini(struct conf_domain_iface *i)
{
	free(i->type);
	free(i->target_dev);
	free(i->source_dev);
	filter_ref_fini(&i->ref);
	*i = (struct conf_domain_iface){ 0 };
}

struct conf_domain *conf_domain_free(struct conf_domain *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->n_ifaces; i++)
		iface_fini(&d->ifaces[i]);
	free(d->ifaces);
	free(d->name);
	free(d);
	return NULL;
}

size_t conf_domain_n_guarded(const struct conf_domain *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_ifaces; i++)
		n += d->ifaces[i].guard != CONF_GUARD_NONE;
	return n;
}

/* A <filterref>, with its count of <parameter>s bounded first. */
static int ref_parse(struct conf_ctx *c, const xmlNode *node, struct filter_ref *ref)
{
	if (count_children(node, "parameter") > CONF_DOMAIN_PARAMS_MAX) {
		conf_error(c, node, NULL, NULL, "more than %d <parameter> elements",
			   CONF_DOMAIN_PARAMS_MAX);
		return -EINVAL;
	}
	return conf_ref_parse(c, node, ref);
}

static int mac_attr_parse(struct conf_ctx *c, const xmlNode *node, const char *attr,
			  uint8_t mac[MAC_LEN])
{
	_cleanup_xml_ char *v = conf_prop(node, attr);

	if (!v) {
		conf_error(c, node, NULL, NULL, "missing attribute '%s'", attr);
		return -EINVAL;
	}
	if (mac_parse(v, mac) < 0) {
		conf_error(c, node, attr, v,
			   "not a MAC address (six hex octets, e.g. 52:54:00:12:34:56)");
		return -EINVAL;
	}
	return 0;
}

/* The attribute attr of the first child name of node, copied; NULL when either is absent or empty.
 */
static int child_attr(const xmlNode *node, const char *name, const char *attr, char **ret)
{
	const xmlNode *child = first_child(node, name);
	_cleanup_xml_ char *v = child ? conf_prop(child, attr) : NULL;

	*ret = NULL;
	if (!v || !*v)
		return 0;
	*ret = strdup(v);
	return *ret ? 0 : -ENOMEM;
}

static int iface_parse(struct conf_ctx *c, const xmlNode *node, struct conf_domain_iface *iface)
{
	_cleanup_xml_ char *type = conf_prop(node, "type");
	const xmlNode *mac = first_child(node, "mac");
	const xmlNode *ref = first_child(node, "filterref");
	int res = 0;

	if (!type || !*type) {
		conf_error(c, node, NULL, NULL, "missing attribute 'type'");
		res = -EINVAL;
	} else if (!(iface->type = strdup(type))) {
		return -ENOMEM;
	}
	if (mac) {
		int r = mac_attr_parse(c, mac, "address", iface->mac);

		iface->has_mac = r == 0;
		res = worst(res, r);
	}
	res = worst(res, child_attr(node, "target", "dev", &iface->target_dev));
	if (type && strcmp(type, "direct") == 0)
		res = worst(res, child_attr(node, "source", "dev", &iface->source_dev));
	if (ref) {
		res = worst(res, ref_parse(c, ref, &iface->ref));
		iface->guard = CONF_GUARD_FILTERREF;
		if (!mac) {
			conf_error(c, node, NULL, NULL,
				   "has a <filterref> but no <mac address=...>, which a guard "
				   "needs");
			res = worst(res, -EINVAL);
		}
	}
	return res;
}

static int devices_parse(struct conf_ctx *c, const xmlNode *root, struct conf_domain *d)
{
	const xmlNode *devices = first_child(root, "devices");
	size_t n;
	int res = 0;

	if (!devices)
		return 0;
	n = count_children(devices, "interface");
	if (n > CONF_DOMAIN_IFACES_MAX) {
		conf_error(c, devices, NULL, NULL, "more than %d <interface> elements",
			   CONF_DOMAIN_IFACES_MAX);
		return -EINVAL;
	}
	if (n == 0)
		return 0;
	d->ifaces = calloc(n, sizeof(*d->ifaces));
	if (!d->ifaces)
		return -ENOMEM;
	for (const xmlNode *node = devices->children; node; node = node->next) {
		if (!is_libvirt(node, "interface"))
			continue;
		/* counted in before parsing, so that conf_domain_free() sees what is half-built */
		res = worst(res, iface_parse(c, node, &d->ifaces[d->n_ifaces++]));
		if (res == -ENOMEM)
			return res;
	}
	return res;
}

static int guard_entry_parse(struct conf_ctx *c, const xmlNode *node, struct guard_entries *g)
{
	struct guard_entry *e = &g->items[g->n];
	const xmlNode *ref = NULL;
	int res;

	e->node = node;
	res = mac_attr_parse(c, node, "mac", e->mac);
	for (size_t i = 0; res == 0 && i < g->n; i++) {
		if (memcmp(g->items[i].mac, e->mac, MAC_LEN) == 0) {
			_cleanup_xml_ char *v = conf_prop(node, "mac");

			conf_error(c, node, "mac", v,
				   "a second entry for this MAC (line %ld has one)",
				   xmlGetLineNo(g->items[i].node));
			res = -EINVAL;
		}
	}
	for (const xmlNode *n = node->children; n; n = n->next) {
		if (!is_element(n))
			continue;
		if (strcmp((const char *)n->name, "filterref") != 0) {
			conf_error(
				c, n, NULL, NULL,
				"unknown element in a guard's <interface> (accepted: <filterref>)");
			res = worst(res, -EINVAL);
		} else if (ref) {
			conf_error(c, n, NULL, NULL, "more than one <filterref> for this MAC");
			res = worst(res, -EINVAL);
		} else {
			ref = n;
		}
	}
	if (!ref) {
		conf_error(c, node, NULL, NULL, "missing <filterref filter=...>");
		return worst(res, -EINVAL);
	}
	g->n++; /* counted in before parsing: its ref is freed with the others */
	return worst(res, ref_parse(c, ref, &e->ref));
}

static int guard_parse(struct conf_ctx *c, const xmlNode *guard, struct guard_entries *g)
{
	int res = 0;

	g->guard = guard;
	for (const xmlNode *n = guard->children; n; n = n->next) {
		if (!is_element(n))
			continue;
		if (strcmp((const char *)n->name, "interface") != 0) {
			conf_error(c, n, NULL, NULL,
				   "unknown element in <guard> (accepted: <interface mac=...>)");
			res = worst(res, -EINVAL);
			continue;
		}
		if (g->n == CONF_DOMAIN_IFACES_MAX) {
			conf_error(c, n, NULL, NULL, "more than %d <interface> elements in <guard>",
				   CONF_DOMAIN_IFACES_MAX);
			return -EINVAL;
		}
		res = worst(res, guard_entry_parse(c, n, g));
		if (res == -ENOMEM)
			return res;
	}
	return res;
}

/*
 * libvirt keeps one element per namespace in <metadata>; in ours, only
 * <guard> means something, and anything else is refused rather than
 * ignored: it was meant to guard something.
 */
static int metadata_parse(struct conf_ctx *c, const xmlNode *root, struct guard_entries *g)
{
	const xmlNode *metadata = first_child(root, "metadata");
	int res = 0;

	if (!metadata)
		return 0;
	for (const xmlNode *n = metadata->children; n; n = n->next) {
		if (!is_element(n) || !is_ours(n))
			continue;
		if (strcmp((const char *)n->name, "guard") != 0) {
			conf_error(c, n, NULL, NULL,
				   "unknown element in vifguard's namespace " CONF_DOMAIN_NS
				   " (accepted: <guard>)");
			res = worst(res, -EINVAL);
		} else if (g->guard) {
			conf_error(c, n, NULL, NULL, "more than one <guard> (line %ld has one)",
				   xmlGetLineNo(g->guard));
			res = worst(res, -EINVAL);
		} else {
			res = worst(res, guard_parse(c, n, g));
		}
		if (res == -ENOMEM)
			return res;
	}
	return res;
}

static int ref_copy(struct filter_ref *dst, const struct filter_ref *src)
{
	struct filter_ref copy = { .filter = strdup(src->filter) };

	if (!copy.filter || filter_params_copy(&copy.params, &src->params) < 0) {
		filter_ref_fini(&copy);
		return -ENOMEM;
	}
	*dst = copy;
	return 0;
}

/* Each entry guards the interfaces with its MAC; one that matches none is refused. */
static int guards_apply(struct conf_ctx *c, const struct guard_entries *g, struct conf_domain *d)
{
	int res = 0;

	for (size_t k = 0; k < g->n; k++) {
		const struct guard_entry *e = &g->items[k];
		size_t matched = 0;

		for (size_t i = 0; i < d->n_ifaces; i++) {
			struct conf_domain_iface *iface = &d->ifaces[i];

			if (!iface->has_mac || memcmp(iface->mac, e->mac, MAC_LEN) != 0)
				continue;
			filter_ref_fini(&iface->ref);
			if (ref_copy(&iface->ref, &e->ref) < 0)
				return -ENOMEM;
			iface->guard = CONF_GUARD_METADATA;
			matched++;
		}
		if (!matched) {
			_cleanup_xml_ char *v = conf_prop(e->node, "mac");

			conf_error(c, e->node, "mac", v,
				   "no <interface> of the domain has this MAC (accepted: the <mac "
				   "address> of one of its interfaces)");
			res = -EINVAL;
		}
	}
	return res;
}

static int text_child(struct conf_ctx *c, const xmlNode *root, const char *name, char **ret)
{
	const xmlNode *node = first_child(root, name);
	_cleanup_xml_ char *text = node ? (char *)xmlNodeGetContent(node) : NULL;

	if (!text || !*text) {
		conf_error(c, root, NULL, NULL, "missing <%s>", name);
		return -EINVAL;
	}
	*ret = strdup(text);
	return *ret ? 0 : -ENOMEM;
}

static int head_parse(struct conf_ctx *c, const xmlNode *root, struct conf_domain *d)
{
	_cleanup_free_ char *uuid = NULL;
	int res = text_child(c, root, "name", &d->name);
	int r = text_child(c, root, "uuid", &uuid);

	if (r == 0 && filter_uuid_parse(uuid, d->uuid) < 0) {
		conf_error(c, first_child(root, "uuid"), NULL, uuid,
			   "malformed UUID (accepted: 32 hex digits, optionally as 8-4-4-4-12)");
		r = -EINVAL;
	}
	return worst(res, r);
}

static int domain_parse(struct conf_ctx *c, const xmlNode *root, struct conf_domain **ret)
{
	_cleanup_(conf_domain_freep) struct conf_domain *d = calloc(1, sizeof(*d));
	struct guard_entries g = { .items = calloc(CONF_DOMAIN_IFACES_MAX, sizeof(*g.items)) };
	int res;

	if (!d || !g.items) {
		free(g.items);
		return -ENOMEM;
	}
	res = head_parse(c, root, d);
	if (res != -ENOMEM)
		res = worst(res, devices_parse(c, root, d));
	if (res != -ENOMEM)
		res = worst(res, metadata_parse(c, root, &g));
	if (res == 0)
		res = guards_apply(c, &g, d);
	for (size_t k = 0; k < g.n; k++)
		filter_ref_fini(&g.items[k].ref);
	free(g.items);
	if (res < 0)
		return res;
	*ret = TAKE_PTR(d);
	return 0;
}

int conf_domain_parse(const char *buf, size_t len, const char *name, struct conf_diag *diag,
		      struct conf_domain **ret)
{
	struct conf_diag local = { 0 };
	struct conf_ctx c = { .name = name ? name : "<input>", .diag = diag ? diag : &local };
	_cleanup_(xml_docfreep) xmlDoc *doc = NULL;
	unsigned errors = c.diag->n_errors;
	const xmlNode *root;
	struct conf_domain *d = NULL;
	int r;

	doc = conf_xml_read(&c, buf, len, CONF_DOMAIN_MAX, &r);
	if (!doc)
		return r;
	root = xmlDocGetRootElement(doc);
	if (!root) {
		conf_report_line(&c, CONF_ERROR, 0, "no root element");
		return -EINVAL;
	}
	if (!is_libvirt(root, "domain")) {
		conf_error(&c, root, NULL, NULL, "not a libvirt domain (accepted: <domain>)");
		return -EINVAL;
	}
	r = domain_parse(&c, root, &d);
	/* no object leaves with an error reported */
	if (r == 0 && c.diag->n_errors != errors)
		r = -EINVAL;
	if (r < 0) {
		conf_domain_free(d);
		if (r == -ENOMEM && c.diag->n_errors == errors)
			conf_report_line(&c, CONF_ERROR, 0, "out of memory");
		return r;
	}
	*ret = d;
	return 0;
}

int conf_domain_binding(const struct conf_domain *d, const struct conf_domain_iface *iface,
			struct binding **ret)
{
	_cleanup_(binding_freep) struct binding *b = NULL;

	if (iface->guard == CONF_GUARD_NONE)
		return -EINVAL;
	if (!iface->target_dev)
		return -ENODEV;
	b = binding_new();
	if (!b)
		return -ENOMEM;
	memcpy(b->owner_uuid, d->uuid, sizeof(b->owner_uuid));
	memcpy(b->mac, iface->mac, MAC_LEN);
	b->owner_name = strdup(d->name);
	b->portdev = strdup(iface->target_dev);
	if (iface->source_dev)
		b->linkdev = strdup(iface->source_dev);
	if (!b->owner_name || !b->portdev || (iface->source_dev && !b->linkdev) ||
	    ref_copy(&b->ref, &iface->ref) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(b);
	return 0;
}
