/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * <rule> and <filterref>. A rule's protocol is decided by its first known
 * protocol child; further children of the same name merge into it (libvirt's
 * quirks-invalid test), then negation is copied between paired attributes the
 * way libvirt does, so the model says exactly what libvirt would enforce.
 */
#include "conf/conf-internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util/cleanup.h"

/* Paired attributes: the follower takes the base's negation, whatever the user wrote. */
struct neg_pair {
	enum filter_attr_id follower, base;
};

static const struct neg_pair neg_pairs_common[] = {
	{ FILTER_ATTR_SRCMACMASK, FILTER_ATTR_SRCMACADDR },
	{ FILTER_ATTR_DSTMACMASK, FILTER_ATTR_DSTMACADDR },
	{ FILTER_ATTR_ROOT_ADDRESS_MASK, FILTER_ATTR_ROOT_ADDRESS },
	{ FILTER_ATTR_SENDER_ADDRESS_MASK, FILTER_ATTR_SENDER_ADDRESS },
	{ FILTER_ATTR_ROOT_PRIORITY_HI, FILTER_ATTR_ROOT_PRIORITY },
	{ FILTER_ATTR_ROOT_COST_HI, FILTER_ATTR_ROOT_COST },
	{ FILTER_ATTR_SENDER_PRIORITY_HI, FILTER_ATTR_SENDER_PRIORITY },
	{ FILTER_ATTR_PORT_HI, FILTER_ATTR_PORT },
	{ FILTER_ATTR_AGE_HI, FILTER_ATTR_AGE },
	{ FILTER_ATTR_MAX_AGE_HI, FILTER_ATTR_MAX_AGE },
	{ FILTER_ATTR_HELLO_TIME_HI, FILTER_ATTR_HELLO_TIME },
	{ FILTER_ATTR_FORWARD_DELAY_HI, FILTER_ATTR_FORWARD_DELAY },
	{ FILTER_ATTR_ARPSRCIPMASK, FILTER_ATTR_ARPSRCIPADDR },
	{ FILTER_ATTR_ARPDSTIPMASK, FILTER_ATTR_ARPDSTIPADDR },
	{ FILTER_ATTR_SRCIPMASK, FILTER_ATTR_SRCIPADDR },
	{ FILTER_ATTR_DSTIPMASK, FILTER_ATTR_DSTIPADDR },
	{ FILTER_ATTR_SRCIPTO, FILTER_ATTR_SRCIPFROM },
	{ FILTER_ATTR_DSTIPTO, FILTER_ATTR_DSTIPFROM },
	{ FILTER_ATTR_SRCPORTEND, FILTER_ATTR_SRCPORTSTART },
	{ FILTER_ATTR_IPSETFLAGS, FILTER_ATTR_IPSET },
};

/*
 * libvirt's tcp/udp/sctp fix-up copies srcportstart's negation onto both
 * destination ports, so a negated destination port alone cannot be written
 * (quirks-invalid shows it). Kept for compatibility.
 */
static const struct neg_pair neg_pairs_l4[] = {
	{ FILTER_ATTR_DSTPORTSTART, FILTER_ATTR_SRCPORTSTART },
	{ FILTER_ATTR_DSTPORTEND, FILTER_ATTR_SRCPORTSTART },
};

/* The ebtables ip/ipv6 elements: a range end follows its start. */
static const struct neg_pair neg_pairs_l2ip[] = {
	{ FILTER_ATTR_DSTPORTEND, FILTER_ATTR_DSTPORTSTART },
	{ FILTER_ATTR_ICMP_TYPEEND, FILTER_ATTR_ICMP_TYPE },
	{ FILTER_ATTR_ICMP_CODE, FILTER_ATTR_ICMP_TYPE },
	{ FILTER_ATTR_ICMP_CODEEND, FILTER_ATTR_ICMP_TYPE },
};

static const struct neg_pair neg_pairs_icmp[] = {
	{ FILTER_ATTR_ICMP_CODE, FILTER_ATTR_ICMP_TYPE },
};

static const char *const rule_attr_names[] = { "action", "direction", "priority", "statematch",
					       NULL };

static void copy_negation(struct filter_rule *r, const struct neg_pair *pairs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct filter_attr *f = &r->attrs[pairs[i].follower];

		if (f->is_set && filter_proto_attr(r->proto, pairs[i].follower))
			f->is_negated = r->attrs[pairs[i].base].is_negated;
	}
}

static void rule_fixup(struct conf_ctx *c, const xmlNode *elem, struct filter_rule *r)
{
	struct filter_attr *set = &r->attrs[FILTER_ATTR_IPSET];
	struct filter_attr *flags = &r->attrs[FILTER_ATTR_IPSETFLAGS];

	/* libvirt: ipset alone matches on the source; ipsetflags alone means nothing. */
	if (set->is_set && !flags->is_set) {
		flags->is_set = true;
		flags->u.ipset_flags.n = 1;
		flags->u.ipset_flags.is_dst[0] = false;
	} else if (!set->is_set && flags->is_set) {
		struct strbuf sb;

		strbuf_init(&sb);
		filter_value_format(&sb, filter_proto_attr(r->proto, FILTER_ATTR_IPSETFLAGS),
				    flags);
		conf_warn(c, elem, "ipsetflags", sb.buf ? sb.buf : "",
			  "ipsetflags without ipset, ignored");
		strbuf_fini(&sb);
		filter_attr_fini(flags);
	}
	copy_negation(r, neg_pairs_common, ARRAY_SIZE(neg_pairs_common));
	switch (r->proto) {
	case FILTER_PROTO_TCP:
	case FILTER_PROTO_UDP:
	case FILTER_PROTO_SCTP:
	case FILTER_PROTO_TCP_IPV6:
	case FILTER_PROTO_UDP_IPV6:
	case FILTER_PROTO_SCTP_IPV6:
		copy_negation(r, neg_pairs_l4, ARRAY_SIZE(neg_pairs_l4));
		break;
	case FILTER_PROTO_IP:
	case FILTER_PROTO_IPV6:
		copy_negation(r, neg_pairs_l2ip, ARRAY_SIZE(neg_pairs_l2ip));
		break;
	case FILTER_PROTO_ICMP:
	case FILTER_PROTO_ICMPV6:
		copy_negation(r, neg_pairs_icmp, ARRAY_SIZE(neg_pairs_icmp));
		break;
	default:
		break;
	}
}

static const struct filter_attr_desc *attr_by_name(enum filter_proto proto, const char *name)
{
	const struct filter_proto_info *info = &filter_proto_info[proto];

	for (size_t i = 0; i < info->n_attrs; i++)
		if (strcmp(filter_attr_names[info->attrs[i].id], name) == 0)
			return &info->attrs[i];
	return NULL;
}

static int proto_attr_parse(struct conf_ctx *c, const xmlNode *elem, const xmlAttr *xa,
			    bool negated, struct filter_rule *r)
{
	const char *name = (const char *)xa->name;
	const struct filter_attr_desc *d = attr_by_name(r->proto, name);
	_cleanup_xml_ char *value = NULL;
	const char *why, *warn;
	struct filter_attr a;
	int k;

	value = (char *)xmlNodeListGetString(elem->doc, xa->children, 1);
	if (!d) {
		conf_warn(c, elem, name, value ? value : "", "unknown attribute, ignored");
		return 0;
	}
	k = filter_value_parse_attr(d, value ? value : "", &a, &why, &warn);
	if (k == -ENOMEM)
		return k;
	if (k < 0) {
		conf_error(c, elem, name, value ? value : "", "%s", why);
		return k;
	}
	if (warn)
		conf_warn(c, elem, name, value ? value : "", "%s", warn);
	/* A later element of the same protocol overwrites (libvirt merges them). */
	filter_attr_fini(&r->attrs[d->id]);
	a.is_negated = negated;
	r->attrs[d->id] = a;
	return 0;
}

static int proto_elem_parse(struct conf_ctx *c, const xmlNode *elem, struct filter_rule *r)
{
	_cleanup_xml_ char *match = conf_prop(elem, "match");
	bool negated = match && strcmp(match, "no") == 0;
	int ret = 0;

	if (match && !negated && strcmp(match, "yes") != 0)
		conf_warn(c, elem, "match", match, "taken as 'yes' (accepted: yes, no)");
	for (const xmlAttr *xa = elem->properties; xa; xa = xa->next) {
		int k;

		if (strcmp((const char *)xa->name, "match") == 0)
			continue;
		k = proto_attr_parse(c, elem, xa, negated, r);
		if (k == -ENOMEM)
			return k;
		if (k < 0)
			ret = k;
	}
	return ret;
}

static bool is_port_proto(const struct filter_attr *p)
{
	/* tcp, udp, dccp, sctp. A variable is only known at instantiation. */
	return p->is_var || p->u.num == 6 || p->u.num == 17 || p->u.num == 33 || p->u.num == 132;
}

/* libvirt: ports on the ip/ipv6 elements need a protocol that has ports. */
static int rule_check_ports(struct conf_ctx *c, const xmlNode *elem, const struct filter_rule *r)
{
	static const enum filter_attr_id ports[] = { FILTER_ATTR_SRCPORTSTART,
						     FILTER_ATTR_SRCPORTEND,
						     FILTER_ATTR_DSTPORTSTART,
						     FILTER_ATTR_DSTPORTEND };
	const struct filter_attr *proto = &r->attrs[FILTER_ATTR_PROTOCOL];
	struct strbuf sb;

	if (r->proto != FILTER_PROTO_IP && r->proto != FILTER_PROTO_IPV6)
		return 0;
	if (proto->is_set && is_port_proto(proto))
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(ports); i++) {
		const struct filter_attr *a = &r->attrs[ports[i]];

		if (!a->is_set)
			continue;
		strbuf_init(&sb);
		filter_value_format(&sb, filter_proto_attr(r->proto, ports[i]), a);
		conf_error(c, elem, filter_attr_names[ports[i]], sb.buf ? sb.buf : "",
			   "a port match needs protocol tcp, udp, sctp or 33 (dccp)");
		strbuf_fini(&sb);
		return -EINVAL;
	}
	return 0;
}

static bool is_nd_type(const struct filter_attr *a)
{
	return a->is_set && !a->is_var && !a->is_negated && a->u.num >= 135 && a->u.num <= 136;
}

/*
 * ndtarget (vifguard's) reads the 16 bytes after the ICMPv6 header, which
 * are a target address only in a Neighbor Solicitation (135) or
 * Advertisement (136): on any other packet the match would compare
 * whatever bytes are there. So the rule must pin the type to those two.
 */
static int rule_check_ndtarget(struct conf_ctx *c, const xmlNode *elem, const struct filter_rule *r)
{
	const struct filter_attr *target = &r->attrs[FILTER_ATTR_NDTARGET];
	const struct filter_attr *proto = &r->attrs[FILTER_ATTR_PROTOCOL];
	const struct filter_attr *end = &r->attrs[FILTER_ATTR_ICMP_TYPEEND];
	struct strbuf sb;

	if (r->proto != FILTER_PROTO_IPV6 || !target->is_set)
		return 0;
	if ((!proto->is_set || (!proto->is_var && !proto->is_negated && proto->u.num == 58)) &&
	    is_nd_type(&r->attrs[FILTER_ATTR_ICMP_TYPE]) && (!end->is_set || is_nd_type(end)))
		return 0;
	strbuf_init(&sb);
	filter_value_format(&sb, filter_proto_attr(r->proto, FILTER_ATTR_NDTARGET), target);
	conf_error(c, elem, "ndtarget", sb.buf ? sb.buf : "",
		   "ndtarget needs ICMPv6 type 135 or 136 (neighbor solicitation or "
		   "advertisement): add type='135' or type='136', and no other protocol "
		   "than icmpv6");
	strbuf_fini(&sb);
	return -EINVAL;
}

static int name_index(const char *const *names, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], s) == 0)
			return (int)i;
	return -1;
}

/* action and direction: required, from a fixed list. */
static int rule_enum_parse(struct conf_ctx *c, const xmlNode *node, const char *attr,
			   const char *const *names, size_t n, const char *accepted, int *ret)
{
	_cleanup_xml_ char *v = conf_prop(node, attr);
	int i;

	if (!v) {
		conf_error(c, node, NULL, NULL, "missing attribute '%s' (accepted: %s)", attr,
			   accepted);
		return -EINVAL;
	}
	i = name_index(names, n, v);
	if (i < 0) {
		conf_error(c, node, attr, v, "unknown %s (accepted: %s)", attr, accepted);
		return -EINVAL;
	}
	*ret = i;
	return 0;
}

static int rule_priority_parse(struct conf_ctx *c, const xmlNode *node, struct filter_rule *r)
{
	_cleanup_xml_ char *v = conf_prop(node, "priority");
	char *end;
	long p;

	if (!v)
		return 0;
	errno = 0;
	p = strtol(v, &end, 10);
	if (errno || end == v || *end || p < INT_MIN || p > INT_MAX) {
		conf_error(c, node, "priority", v, "not an integer (-1000 to 1000)");
		return -EINVAL;
	}
	if (p < FILTER_PRIORITY_MIN || p > FILTER_PRIORITY_MAX) {
		/* libvirt silently falls back to the default here. */
		conf_warn(c, node, "priority", v, "out of range (-1000 to 1000), using 500");
		p = FILTER_RULE_PRIORITY_DEFAULT;
	}
	r->priority = (int)p;
	return 0;
}

static int rule_head_parse(struct conf_ctx *c, const xmlNode *node, struct filter_rule *r)
{
	_cleanup_xml_ char *sm = conf_prop(node, "statematch");
	int action = 0, dir = 0, ret = 0;

	conf_warn_unknown_attrs(c, node, rule_attr_names);
	if (rule_enum_parse(c, node, "action", filter_action_names, FILTER_ACTION__MAX,
			    "drop, reject, accept, return, continue", &action) < 0)
		ret = -EINVAL;
	if (rule_enum_parse(c, node, "direction", filter_direction_names, FILTER_DIR__MAX,
			    "in, out, inout", &dir) < 0)
		ret = -EINVAL;
	if (rule_priority_parse(c, node, r) < 0)
		ret = -EINVAL;
	r->action = (enum filter_action)action;
	r->direction = (enum filter_direction)dir;
	if (sm && (strcmp(sm, "0") == 0 || strcasecmp(sm, "false") == 0))
		r->statematch = false;
	else if (sm && strcmp(sm, "1") != 0 && strcasecmp(sm, "true") != 0)
		conf_warn(c, node, "statematch", sm, "ignored (accepted: false or 0 to turn off)");
	return ret;
}

/*
 * Decides or checks the rule's protocol for one child: 1 to parse the child,
 * -EINVAL when it cannot be. An element ignored would leave a rule that
 * matches more than was written: one typo (<tpc> in an accept rule) would
 * accept everything. So it is an error, wherever rules are read.
 */
static int rule_child_proto(struct conf_ctx *c, const xmlNode *child, struct filter_rule *r)
{
	enum filter_proto p;

	if (filter_proto_from_name((const char *)child->name, &p) < 0) {
		conf_error(c, child, NULL, NULL,
			   "unknown element in <rule> (a protocol such as mac, arp, ip, ipv6, tcp, "
			   "udp, icmp, all)");
		return -EINVAL;
	}
	if (r->proto == FILTER_PROTO_NONE)
		r->proto = p;
	if (r->proto != p) {
		conf_error(c, child, NULL, NULL,
			   "the rule already matches %s: one protocol element per rule",
			   filter_proto_info[r->proto].name);
		return -EINVAL;
	}
	return 1;
}

int conf_rule_parse(struct conf_ctx *c, const xmlNode *node, struct filter_rule **ret)
{
	_cleanup_(rule_freep) struct filter_rule *r = filter_rule_new();
	const xmlNode *first = NULL;
	int res;

	if (!r)
		return -ENOMEM;
	res = rule_head_parse(c, node, r);
	for (const xmlNode *n = node->children; n; n = n->next) {
		int k;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		k = rule_child_proto(c, n, r);
		if (k < 0) {
			res = k;
			continue;
		}
		if (!first)
			first = n;
		k = proto_elem_parse(c, n, r);
		if (k == -ENOMEM)
			return k;
		if (k < 0)
			res = k;
	}
	if (res < 0)
		return res;
	if (first) {
		rule_fixup(c, first, r);
		res = rule_check_ports(c, first, r);
		if (res >= 0)
			res = rule_check_ndtarget(c, first, r);
		if (res < 0)
			return res;
	}
	*ret = TAKE_PTR(r);
	return 0;
}

/* libvirt skips invalid parameters silently; we skip them too, but say so. */
static int param_parse(struct conf_ctx *c, const xmlNode *node, struct filter_params *p)
{
	static const char *const known[] = { "name", "value", NULL };
	_cleanup_xml_ char *name = conf_prop(node, "name");
	_cleanup_xml_ char *value = conf_prop(node, "value");

	conf_warn_unknown_attrs(c, node, known);
	if (!name || !value) {
		conf_warn(c, node, NULL, NULL, "missing attribute '%s', parameter ignored",
			  name ? "value" : "name");
		return 0;
	}
	if (!filter_is_var_name(name)) {
		conf_warn(c, node, "name", name,
			  "not a variable name, parameter ignored (accepted: letters, digits, _)");
		return 0;
	}
	if (!filter_is_param_value(value)) {
		conf_warn(
			c, node, "value", value,
			"not a parameter value, parameter ignored (accepted: letters, digits, _ . :)");
		return 0;
	}
	return filter_params_add(p, name, value);
}

int conf_ref_parse(struct conf_ctx *c, const xmlNode *node, struct filter_ref *ref)
{
	static const char *const known[] = { "filter", NULL };
	_cleanup_xml_ char *name = conf_prop(node, "filter");

	conf_warn_unknown_attrs(c, node, known);
	if (!name || !*name) {
		conf_error(c, node, NULL, NULL, "missing attribute 'filter'");
		return -EINVAL;
	}
	ref->filter = strdup(name);
	if (!ref->filter)
		return -ENOMEM;
	for (const xmlNode *n = node->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, "parameter") != 0) {
			conf_warn(c, n, NULL, NULL, "unknown element in <filterref>, ignored");
			continue;
		}
		if (param_parse(c, n, &ref->params) < 0)
			return -ENOMEM;
	}
	return 0;
}
