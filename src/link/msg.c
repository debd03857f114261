/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Pure rtnetlink link message parsing: bytes in, struct link_event out.
 *
 * The tb[] pattern of libmnl's examples/rtnl/rtnl-link-event.c, plus one
 * strictness mnl_attr_parse() lacks: it ends silently on an attribute cut
 * short, so a truncated message would parse as a shorter valid one. Our walk
 * must consume the whole payload (only the last attribute's padding may be
 * missing).
 *
 *   datagram: | nlmsghdr | ifinfomsg | nlattr ... | nlmsghdr | ... | NLMSG_DONE |
 *             <-------- nlmsg_len -------------->^NLMSG_ALIGN
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <net/if_arp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <libmnl/libmnl.h>

#include "link/link-internal.h"

#define ADDR_LEN_MAX 32 /* MAX_ADDR_LEN in linux/netdevice.h */

/* What the kernel's dev_valid_name() refuses, so a name we report could exist. */
bool link_name_is_valid(const char *name, size_t len)
{
	if (len == 0 || len >= IFNAMSIZ)
		return false;
	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		/* The kernel's isspace() also counts 0xa0 (Latin-1 no-break space). */
		if (c == '\0' || c == '/' || c == ':' || c == ' ' || (c >= '\t' && c <= '\r') ||
		    c == 0xa0)
			return false;
	}
	return true;
}

static int attr_walk(const void *payload, size_t len, mnl_attr_cb_t cb, void *data)
{
	const char *end = (const char *)payload + len;
	const struct nlattr *attr;

	assert(len <= INT32_MAX);
	for (attr = payload; mnl_attr_ok(attr, (int)(end - (const char *)attr));
	     attr = mnl_attr_next(attr)) {
		if (cb(attr, data) != MNL_CB_OK)
			return -EBADMSG;
	}
	/* Left-over bytes that are not an attribute: a cut message. */
	if (end - (const char *)attr > 0)
		return -EBADMSG;
	return 0;
}

/* Exactly one message, len bytes long, whose header may be read in place. */
static bool is_whole_msg(const void *buf, size_t len)
{
	const struct nlmsghdr *nlh = buf;

	assert(buf || len == 0);
	/* Netlink buffers are 4-byte aligned; headers are read in place. */
	assert(((uintptr_t)buf & (MNL_ALIGNTO - 1)) == 0);
	return len >= sizeof(*nlh) && len <= INT32_MAX && nlh->nlmsg_len == len;
}

static int link_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	/* Attributes newer than our headers are skipped, as in libmnl's example. */
	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	switch (type) {
	case IFLA_IFNAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_validate(attr, MNL_TYPE_BINARY) < 0 ||
		    mnl_attr_get_payload_len(attr) > ADDR_LEN_MAX)
			return MNL_CB_ERROR;
		break;
	case IFLA_MASTER:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	case IFLA_LINKINFO:
		if (mnl_attr_validate(attr, MNL_TYPE_NESTED) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		/* Not used, so not validated: a future kernel may change them. */
		return MNL_CB_OK;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static int linkinfo_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_type_valid(attr, IFLA_INFO_MAX) < 0 ||
	    mnl_attr_get_type(attr) != IFLA_INFO_KIND)
		return MNL_CB_OK;
	if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	tb[IFLA_INFO_KIND] = attr;
	return MNL_CB_OK;
}

static int parse_name(const struct nlattr *attr, char ret[IFNAMSIZ])
{
	const char *s = mnl_attr_get_payload(attr);
	size_t plen = mnl_attr_get_payload_len(attr); /* >= 1, ends in NUL */
	size_t n = strnlen(s, plen);

	if (!link_name_is_valid(s, n))
		return -EBADMSG;
	/* NUL padding is tolerated, bytes hidden behind a NUL are not. */
	for (size_t i = n; i < plen; i++)
		if (s[i] != '\0')
			return -EBADMSG;
	memcpy(ret, s, n);
	ret[n] = '\0';
	return 0;
}

static int parse_kind(const struct nlattr *linkinfo, char ret[16])
{
	const struct nlattr *info[IFLA_INFO_MAX + 1] = { 0 };
	const char *s;
	size_t n;
	int r;

	r = attr_walk(mnl_attr_get_payload(linkinfo), mnl_attr_get_payload_len(linkinfo),
		      linkinfo_attr_cb, info);
	if (r < 0)
		return r;
	if (!info[IFLA_INFO_KIND])
		return 0;
	s = mnl_attr_get_str(info[IFLA_INFO_KIND]);
	n = strlen(s); /* validated: NUL-terminated within the payload */
	/* Too long for kind[]: left empty rather than truncated into another kind. */
	if (n < 16)
		memcpy(ret, s, n + 1);
	return 0;
}

int link_msg_parse(const void *buf, size_t len, struct link_event *ret)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	const struct nlmsghdr *nlh = buf;
	struct link_event ev = { 0 };
	const size_t attrs_off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifinfomsg));
	const struct ifinfomsg *ifm;
	int r;

	assert(ret);
	if (!is_whole_msg(buf, len))
		return -EBADMSG;
	if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
		return -ENOMSG;
	if (len < attrs_off)
		return -EBADMSG;
	ifm = mnl_nlmsg_get_payload(nlh);
	/*
	 * Bridge port notifications share RTNLGRP_LINK and these types with
	 * family AF_BRIDGE; their RTM_DELLINK means "left the bridge".
	 */
	if (ifm->ifi_family != AF_UNSPEC)
		return -ENOMSG;
	if (ifm->ifi_index <= 0)
		return -EBADMSG;

	r = attr_walk((const char *)buf + attrs_off, len - attrs_off, link_attr_cb, tb);
	if (r < 0)
		return r;

	ev.type = nlh->nlmsg_type == RTM_NEWLINK ? LINK_EVENT_NEW : LINK_EVENT_DEL;
	ev.info.ifindex = ifm->ifi_index;
	ev.info.type = ifm->ifi_type;
	ev.info.is_up = ifm->ifi_flags & IFF_UP;

	/* The kernel always names the link; an event without a name is useless. */
	if (!tb[IFLA_IFNAME] || parse_name(tb[IFLA_IFNAME], ev.info.name) < 0)
		return -EBADMSG;

	if (tb[IFLA_ADDRESS]) {
		uint16_t alen = mnl_attr_get_payload_len(tb[IFLA_ADDRESS]);

		/* Other lengths are real on other link types (IPoIB 20, ip6tnl 16). */
		if (alen == sizeof(ev.info.mac)) {
			memcpy(ev.info.mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), alen);
			ev.info.has_mac = true;
		} else if (ifm->ifi_type == ARPHRD_ETHER) {
			return -EBADMSG;
		}
	}

	if (tb[IFLA_MASTER]) {
		uint32_t master = mnl_attr_get_u32(tb[IFLA_MASTER]);

		if (master > INT32_MAX)
			return -EBADMSG;
		ev.info.master = (int)master;
	}

	if (tb[IFLA_LINKINFO]) {
		r = parse_kind(tb[IFLA_LINKINFO], ev.info.kind);
		if (r < 0)
			return r;
	}

	*ret = ev;
	return 0;
}

unsigned link_info_diff(const struct link_info *old, const struct link_info *new)
{
	unsigned changed = 0;

	assert(old && new && old->ifindex == new->ifindex);
	if (strncmp(old->name, new->name, sizeof(old->name)) != 0)
		changed |= LINK_NAME_CHANGED;
	if (old->has_mac != new->has_mac ||
	    (old->has_mac && memcmp(old->mac, new->mac, sizeof(old->mac)) != 0))
		changed |= LINK_MAC_CHANGED;
	if (old->is_up != new->is_up)
		changed |= LINK_UP_CHANGED;
	return changed;
}

void link_emit_resync(struct link_dump_state *st, link_event_fn cb, void *userdata)
{
	const struct link_event ev = { .type = LINK_EVENT_RESYNC };

	st->n_resyncs++;
	cb(&ev, userdata);
}

static void dump_finish(struct link_dump_state *st, bool failed, link_event_fn cb, void *userdata)
{
	/* A stale dump is followed by a fresh one, which is the answer to any loss. */
	bool resync = (failed || st->is_interrupted) && !st->is_stale;

	st->is_dumping = false;
	st->is_interrupted = false;
	st->is_stale = false;
	if (resync)
		link_emit_resync(st, cb, userdata);
}

/* NLMSG_DONE carries the dump's error (an int, 0 on success); NLMSG_ERROR a struct nlmsgerr. */
static int read_error(const struct nlmsghdr *nlh, size_t len, int *ret)
{
	int32_t error;

	if (len < MNL_NLMSG_HDRLEN + sizeof(error))
		return -EBADMSG;
	memcpy(&error, (const char *)nlh + MNL_NLMSG_HDRLEN, sizeof(error));
	*ret = error;
	return 0;
}

int link_addr_change_parse(const void *buf, size_t len, struct link_event *ret)
{
	const struct nlmsghdr *nlh = buf;
	const struct ifaddrmsg *ifa;

	assert(ret);
	if (!is_whole_msg(buf, len))
		return -EBADMSG;
	if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
		return -ENOMSG;
	if (len < MNL_NLMSG_HDRLEN + sizeof(*ifa))
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return -ENOMSG;
	if (ifa->ifa_index == 0 || ifa->ifa_index > INT32_MAX)
		return -EBADMSG;
	*ret = (struct link_event){ .type = LINK_EVENT_ADDR, .info.ifindex = (int)ifa->ifa_index };
	return 0;
}

static void walk_one(const struct nlmsghdr *nlh, size_t len, struct link_dump_state *st,
		     link_event_fn cb, void *userdata)
{
	/* Multicast notifications carry seq 0, which a dump request never uses. */
	bool is_ours = st->is_dumping && nlh->nlmsg_seq == st->seq;
	struct link_event ev;
	int r, error;

	/* WireGuard's ipc-linux.h: a changed list mid-dump sets this on later parts. */
	if (is_ours && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
		st->is_interrupted = true;

	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		r = link_msg_parse(nlh, len, &ev);
		if (r == -EBADMSG)
			st->n_malformed++;
		if (r < 0)
			return;
		ev.is_dump = is_ours && !st->is_stale && ev.type == LINK_EVENT_NEW;
		cb(&ev, userdata);
		return;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		r = link_addr_change_parse(nlh, len, &ev);
		if (r == -EBADMSG)
			st->n_malformed++;
		if (r == 0)
			cb(&ev, userdata);
		return;
	case NLMSG_DONE:
		if (!is_ours)
			return; /* the end of a dump we no longer wait for */
		r = read_error(nlh, len, &error);
		if (r < 0)
			st->n_malformed++;
		dump_finish(st, r < 0 || error != 0, cb, userdata);
		return;
	case NLMSG_ERROR:
		if (!is_ours)
			return;
		r = read_error(nlh, len, &error);
		if (r < 0) {
			st->n_malformed++;
			dump_finish(st, true, cb, userdata);
		} else if (error == -ENOBUFS) {
			/*
			 * netlink_dump_start() could not queue the first part (full
			 * receive buffer) but left the dump running: its parts and
			 * NLMSG_DONE follow as we read. Distrust it anyway.
			 */
			st->is_interrupted = true;
		} else if (error != 0) {
			dump_finish(st, true, cb, userdata);
		}
		/* error 0 is an ACK, which a dump request does not ask for. */
		return;
	case NLMSG_OVERRUN:
		link_emit_resync(st, cb, userdata);
		return;
	default:
		return;
	}
}

int link_msgs_walk(const void *buf, size_t len, struct link_dump_state *st, link_event_fn cb,
		   void *userdata)
{
	const char *p = buf;
	size_t rem = len;

	assert(st && cb);
	assert(buf || len == 0);
	assert(((uintptr_t)buf & (MNL_ALIGNTO - 1)) == 0);

	/* Each round consumes at least one header, so the loop is bounded by len. */
	while (rem > 0) {
		const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
		size_t step;

		if (rem < sizeof(*nlh) || nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > rem) {
			/* The framing is lost: whatever followed is gone too. */
			st->n_malformed++;
			link_emit_resync(st, cb, userdata);
			return -EBADMSG;
		}
		walk_one(nlh, nlh->nlmsg_len, st, cb, userdata);
		step = MNL_ALIGN(nlh->nlmsg_len);
		if (step > rem)
			step = rem; /* the last message may lack its padding */
		p += step;
		rem -= step;
	}
	return 0;
}

static int addr_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	if ((type == IFA_LOCAL || type == IFA_ADDRESS) &&
	    mnl_attr_validate(attr, MNL_TYPE_BINARY) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

int link_addr_msg_parse(const void *buf, size_t len, struct link_addr *ret)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	const struct nlmsghdr *nlh = buf;
	const size_t attrs_off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct ifaddrmsg));
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	size_t want;
	int r;

	assert(ret);
	if (!is_whole_msg(buf, len))
		return -EBADMSG;
	if (nlh->nlmsg_type != RTM_NEWADDR)
		return -ENOMSG;
	if (len < attrs_off)
		return -EBADMSG;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
		return -ENOMSG;
	r = attr_walk((const char *)buf + attrs_off, len - attrs_off, addr_attr_cb, tb);
	if (r < 0)
		return r;
	/* on a point-to-point link IFA_ADDRESS is the peer's: IFA_LOCAL is the link's own */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	want = ifa->ifa_family == AF_INET ? 4 : 16;
	if (!a || mnl_attr_get_payload_len(a) != want || ifa->ifa_index == 0 ||
	    ifa->ifa_index > INT32_MAX)
		return -EBADMSG;
	*ret = (struct link_addr){ .ifindex = (int)ifa->ifa_index,
				   .family = ifa->ifa_family == AF_INET ? 4 : 6,
				   .prefix_len = ifa->ifa_prefixlen };
	memcpy(ret->addr, mnl_attr_get_payload(a), want);
	return 0;
}
