/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A drop-log record: the NFLOG header first, so that a frame which does not
 * parse (it may be why it was dropped) still says where, why and from whom;
 * then the frame, for the summary.
 */
#include "learn/dropped.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/addr.h"
#include "util/cleanup.h"

/* fw/drops.c writes it: log prefix "vgd REASON o|i" */
#define PREFIX_TAG "vgd "

#define IPPROTO_NUM_ICMP 1
#define IPPROTO_NUM_TCP  6
#define IPPROTO_NUM_UDP  17

/* "vgd REASON o|i" -> the reason's index and the side; false when it is not one of ours. */
static bool prefix_parse(const char *prefix, const char *const *reasons, size_t n_reasons,
			 size_t *ret_reason, bool *ret_is_out)
{
	size_t len = strlen(prefix), tag = strlen(PREFIX_TAG), reason_len;
	const char *reason = prefix + tag;

	/* at least one letter of reason, the space and the side */
	if (len < tag + 3 || memcmp(prefix, PREFIX_TAG, tag) != 0 || prefix[len - 2] != ' ')
		return false;
	if (prefix[len - 1] != 'o' && prefix[len - 1] != 'i')
		return false;
	reason_len = len - tag - 2;
	for (size_t i = 0; i < n_reasons; i++) {
		if (reasons[i] && strlen(reasons[i]) == reason_len &&
		    memcmp(reasons[i], reason, reason_len) == 0) {
			*ret_reason = i;
			*ret_is_out = prefix[len - 1] == 'o';
			return true;
		}
	}
	return false;
}

/*
 * The bridge logs the ports (PHYS*DEV, see frame.h): the guest's is where a
 * frame from it came in and where one towards it goes out, whatever the hook.
 * A netdev hook is on the port itself and names only it.
 */
static int port_of(const struct learn_frame *f, bool is_out)
{
	switch (f->origin) {
	case LEARN_ORIGIN_NETDEV_EGRESS:
		return f->outdev;
	case LEARN_ORIGIN_NETDEV_INGRESS:
		return f->indev;
	default:
		return is_out ? f->indev : f->outdev;
	}
}

int learn_dropped_parse(const uint8_t *buf, size_t len, const char *const *reasons,
			size_t n_reasons, struct learn_dropped *ret)
{
	struct learn_dropped d = { 0 };
	const uint8_t *payload;
	size_t payload_len;
	int r;

	r = learn_nflog_parse_header(buf, len, &d.frame, &payload, &payload_len);
	if (r < 0)
		return r;
	if (!d.frame.has_prefix ||
	    !prefix_parse(d.frame.prefix, reasons, n_reasons, &d.reason, &d.is_out))
		return -LEARN_DROP_BAD_PREFIX;
	d.ifindex = port_of(&d.frame, d.is_out);
	if (d.ifindex <= 0)
		return -LEARN_DROP_BAD_PREFIX;
	/* learn_l3_parse() leaves the frame as the header made it when it fails */
	d.payload_result = learn_l3_parse(d.frame.ethertype, payload, payload_len, &d.frame);
	*ret = d;
	return 0;
}

/* ---- the summary ------------------------------------------------------------- */

struct line {
	char *buf;
	size_t size, len; /* len < size, always */
};

static void line_add(struct line *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void line_add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->buf + l->len, l->size - l->len, fmt, ap);
	va_end(ap);
	/* cut: stay at the end, NUL-terminated by vsnprintf */
	if (n < 0 || (size_t)n >= l->size - l->len)
		l->len = l->size - 1;
	else
		l->len += (size_t)n;
}

const char *learn_ethertype_name(uint16_t ethertype)
{
	switch (ethertype) {
	case LEARN_ETHERTYPE_IPV4:
		return "ipv4";
	case LEARN_ETHERTYPE_ARP:
		return "arp";
	case LEARN_ETHERTYPE_IPV6:
		return "ipv6";
	case 0x8035:
		return "rarp";
	case LEARN_ETHERTYPE_8021Q:
		return "802.1q";
	case LEARN_ETHERTYPE_8021AD:
		return "802.1ad";
	case 0x888e:
		return "eapol";
	case 0x88cc:
		return "lldp";
	case 0x8847:
		return "mpls";
	case 0x8863:
		return "pppoe-discovery";
	case 0x8864:
		return "pppoe";
	default:
		return NULL;
	}
}

static void add_arp(struct line *l, const struct learn_arp *arp)
{
	static const char *const ops[] = {
		[1] = "request", [2] = "reply", [3] = "rarp-request", [4] = "rarp-reply"
	};
	char sha[MAC_TEXT_MAX], spa[IP_TEXT_MAX], tpa[IP_TEXT_MAX];

	mac_format(arp->sha, sha);
	ipv4_format(arp->spa, spa);
	ipv4_format(arp->tpa, tpa);
	if (arp->op < ARRAY_SIZE(ops) && ops[arp->op])
		line_add(l, " %s", ops[arp->op]);
	else
		line_add(l, " op %u", arp->op);
	line_add(l, " sender %s %s target %s", spa, sha, tpa);
}

static void add_ipv4(struct line *l, const struct learn_frame *f)
{
	char src[IP_TEXT_MAX], dst[IP_TEXT_MAX];

	ipv4_format(f->ipv4.src, src);
	ipv4_format(f->ipv4.dst, dst);
	line_add(l, " %s -> %s", src, dst);
	switch (f->ipv4.proto) {
	case IPPROTO_NUM_ICMP:
		line_add(l, " icmp");
		break;
	case IPPROTO_NUM_TCP:
		line_add(l, " tcp");
		break;
	case IPPROTO_NUM_UDP:
		line_add(l, " udp");
		/* a fragment's UDP header is not parsed: no ports then */
		if (f->is_udp)
			line_add(l, " %u -> %u", f->udp.sport, f->udp.dport);
		break;
	default:
		line_add(l, " proto %u", f->ipv4.proto);
		break;
	}
	if (f->ipv4.is_fragment)
		line_add(l, " fragment");
}

static void add_ipv6(struct line *l, const struct learn_frame6 *v6)
{
	char src[IP_TEXT_MAX], dst[IP_TEXT_MAX], target[IP_TEXT_MAX];

	ipv6_format(v6->ip.src, src);
	ipv6_format(v6->ip.dst, dst);
	line_add(l, " %s -> %s", src, dst);
	if (v6->is_icmpv6) {
		const char *name = learn_icmpv6_type_name(v6->icmp.type);

		if (strcmp(name, "other") == 0)
			line_add(l, " icmpv6 type %u", v6->icmp.type);
		else
			line_add(l, " icmpv6 %s", name);
		if (v6->icmp.is_nd &&
		    (v6->icmp.type == LEARN_ICMPV6_NS || v6->icmp.type == LEARN_ICMPV6_NA ||
		     v6->icmp.type == LEARN_ICMPV6_REDIRECT)) {
			ipv6_format(v6->icmp.target, target);
			line_add(l, " target %s", target);
		}
	} else if (v6->is_udp) {
		line_add(l, " udp %u -> %u", v6->udp.sport, v6->udp.dport);
	} else if (v6->ip.walk == LEARN6_WALK_UPPER) {
		if (v6->ip.proto == IPPROTO_NUM_TCP)
			line_add(l, " tcp");
		else
			line_add(l, " proto %u", v6->ip.proto);
	} else {
		line_add(l, " %s", learn6_walk_name(v6->ip.walk));
	}
}

void learn_dropped_format(const struct learn_dropped *d, char *buf, size_t size)
{
	const struct learn_frame *f = &d->frame;
	struct line l = { .buf = buf, .size = size };
	const char *ether;
	char mac[MAC_TEXT_MAX];

	if (!size)
		return;
	buf[0] = '\0';
	line_add(&l, "%s", d->is_out ? "from the guest:" : "to the guest:");
	if (f->has_src_mac) {
		mac_format(f->src_mac, mac);
		line_add(&l, " %s", mac);
	}
	for (unsigned i = 0; i < f->n_vlan && i < LEARN_VLAN_MAX; i++)
		line_add(&l, " vlan %u", f->vlan[i]);
	ether = learn_ethertype_name(f->ethertype);
	if (ether)
		line_add(&l, " %s", ether);
	else
		line_add(&l, " 0x%04x", f->ethertype);
	if (d->payload_result < 0) {
		line_add(&l, " (malformed: %s)", learn_drop_name(-d->payload_result));
		return;
	}
	switch (f->l3) {
	case LEARN_L3_ARP:
		add_arp(&l, &f->arp);
		break;
	case LEARN_L3_IPV4:
		add_ipv4(&l, f);
		break;
	case LEARN_L3_IPV6:
		add_ipv6(&l, &f->v6);
		break;
	default:
		break;
	}
}
