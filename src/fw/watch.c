/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fw/watch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <libmnl/libmnl.h>

#include "fw/compile.h"
#include "util/cleanup.h"

/* Our own big transactions (a start-up with thousands of ports) notify too. */
#define WATCH_RCVBUF_SIZE (16 * 1024 * 1024)
#define WATCH_BUF_SIZE    65536
/* Every nf_tables object message names its table in attribute 1 (NFTA_*_TABLE). */
#define NFTA_ANY_TABLE    1

struct fw_watch {
	struct mnl_socket *nl;
	struct fw_damage pending; /* of the transaction being read */
	bool is_pending;          /* it touched our tables */
	_Alignas(struct nlmsghdr) uint8_t buf[WATCH_BUF_SIZE];
};

static bool classify(uint16_t msg, enum fw_object *object, bool *is_delete)
{
	static const struct {
		uint16_t add, del;
		enum fw_object object;
	} kinds[] = {
		{ NFT_MSG_NEWTABLE, NFT_MSG_DELTABLE, FW_OBJ_TABLE },
		{ NFT_MSG_NEWCHAIN, NFT_MSG_DELCHAIN, FW_OBJ_CHAIN },
		{ NFT_MSG_NEWRULE, NFT_MSG_DELRULE, FW_OBJ_RULE },
		{ NFT_MSG_NEWSET, NFT_MSG_DELSET, FW_OBJ_SET },
		{ NFT_MSG_NEWSETELEM, NFT_MSG_DELSETELEM, FW_OBJ_ELEMENT },
		{ NFT_MSG_NEWOBJ, NFT_MSG_DELOBJ, FW_OBJ_OTHER },
		{ NFT_MSG_NEWFLOWTABLE, NFT_MSG_DELFLOWTABLE, FW_OBJ_OTHER },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (msg == kinds[i].add || msg == kinds[i].del) {
			*object = kinds[i].object;
			*is_delete = msg == kinds[i].del;
			return true;
		}
	}
	return false;
}

struct attrs {
	const struct nlattr *tb[4];
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attrs *a = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type < sizeof(a->tb) / sizeof(a->tb[0]))
		a->tb[type] = attr;
	return MNL_CB_OK;
}

/* A string attribute equal to s (NUL-terminated within its payload). */
static bool attr_is(const struct nlattr *attr, const char *s)
{
	size_t n = strlen(s) + 1;

	return attr && mnl_attr_get_payload_len(attr) >= n &&
	       memcmp(mnl_attr_get_payload(attr), s, n) == 0;
}

int fw_notice_parse(const void *buf, size_t len, struct fw_notice *ret)
{
	const struct nlmsghdr *nlh = buf;
	const size_t attrs_off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct nfgenmsg));
	const struct nfgenmsg *gen;
	const char *tail = (const char *)buf + len;
	const struct nlattr *attr;
	struct fw_notice n = { .kind = FW_NOTICE_OTHER };
	struct attrs a = { 0 };
	uint16_t msg;

	if (len < sizeof(*nlh) || nlh->nlmsg_len != len)
		return -EBADMSG;
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
		return -ENOMSG;
	if (len < attrs_off)
		return -EBADMSG;
	/* each attribute's framing is checked against the message's end (not rounded up: the
	 * last one's padding may be missing); one that does not fit makes it malformed */
	for (attr = (const struct nlattr *)((const char *)buf + attrs_off);
	     mnl_attr_ok(attr, (int)(tail - (const char *)attr)); attr = mnl_attr_next(attr))
		(void)attr_cb(attr, &a);
	if (tail - (const char *)attr >= (ptrdiff_t)sizeof(struct nlattr))
		return -EBADMSG;
	gen = mnl_nlmsg_get_payload(nlh);
	msg = NFNL_MSG_TYPE(nlh->nlmsg_type);
	if (msg == NFT_MSG_NEWGEN) {
		const struct nlattr *pid = a.tb[NFTA_GEN_PROC_PID],
				    *comm = a.tb[NFTA_GEN_PROC_NAME];

		n.kind = FW_NOTICE_GEN_END;
		if (pid && mnl_attr_validate(pid, MNL_TYPE_U32) == 0)
			n.pid = ntohl(mnl_attr_get_u32(pid));
		if (comm && mnl_attr_validate(comm, MNL_TYPE_NUL_STRING) == 0)
			snprintf(n.comm, sizeof(n.comm), "%s", mnl_attr_get_str(comm));
	} else if (classify(msg, &n.object, &n.is_delete) &&
		   attr_is(a.tb[NFTA_ANY_TABLE], FW_TABLE)) {
		n.kind = FW_NOTICE_CHANGE;
		n.family = gen->nfgen_family;
	}
	*ret = n;
	return 0;
}

static const char *const object_names[_FW_OBJ_MAX][2] = {
	[FW_OBJ_TABLE] = { "table", "tables" },       [FW_OBJ_CHAIN] = { "chain", "chains" },
	[FW_OBJ_RULE] = { "rule", "rules" },          [FW_OBJ_SET] = { "set", "sets" },
	[FW_OBJ_ELEMENT] = { "element", "elements" }, [FW_OBJ_OTHER] = { "object", "objects" },
};

static unsigned total(const unsigned counts[_FW_OBJ_MAX])
{
	unsigned n = 0;

	for (int o = 0; o < _FW_OBJ_MAX; o++)
		n += counts[o];
	return n;
}

static void add_counts(char *buf, size_t size, size_t *used, const char *verb,
		       const unsigned counts[_FW_OBJ_MAX])
{
	bool any = false;

	for (int o = 0; o < _FW_OBJ_MAX; o++) {
		if (!counts[o] || *used >= size)
			continue;
		*used += (size_t)snprintf(buf + *used, size - *used, "%s %u %s", any ? "," : verb,
					  counts[o], object_names[o][counts[o] > 1]);
		any = true;
	}
}

void fw_damage_format(const struct fw_damage *d, char *buf, size_t size)
{
	static const char *const families[] = { "bridge", "netdev", "inet" };
	size_t used = 0;
	bool any = false;

	if (!size)
		return;
	buf[0] = '\0';
	if (d->is_lost) {
		snprintf(buf, size,
			 "nftables notifications were lost: the tables may have changed");
		return;
	}
	used += (size_t)snprintf(buf, size, "'%s' (pid %u) changed table",
				 d->comm[0] ? d->comm : "?", d->pid);
	for (int f = 0; f < 3 && used < size; f++) {
		if (!d->families[f])
			continue;
		used += (size_t)snprintf(buf + used, size - used, "%s %s " FW_TABLE,
					 any ? " and" : "", families[f]);
		any = true;
	}
	if (used < size)
		used += (size_t)snprintf(buf + used, size - used, ":");
	add_counts(buf, size, &used, " deleted", d->deleted);
	if (used < size && total(d->deleted) && total(d->added))
		used += (size_t)snprintf(buf + used, size - used, ";");
	add_counts(buf, size, &used, " added", d->added);
}

static void mnl_socket_closep(struct mnl_socket **nl)
{
	if (*nl)
		(void)mnl_socket_close(*nl);
}

int fw_watch_open(struct fw_watch **ret, struct err *err)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	int group = NFNLGRP_NFTABLES, size = WATCH_RCVBUF_SIZE, fd;
	struct fw_watch *w;

	nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!nl)
		return err_set(err, -errno,
			       "cannot watch nftables: cannot open a netlink socket: %s",
			       strerror(errno));
	fd = mnl_socket_get_fd(nl);
	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped by net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		return err_set(err, -errno,
			       "cannot watch nftables: cannot join NFNLGRP_NFTABLES: %s",
			       strerror(errno));
	w = calloc(1, sizeof(*w));
	if (!w)
		return err_set(err, -ENOMEM, "cannot watch nftables: out of memory");
	w->nl = TAKE_PTR(nl);
	*ret = w;
	return 0;
}

struct fw_watch *fw_watch_close(struct fw_watch *w)
{
	if (!w)
		return NULL;
	if (w->nl)
		(void)mnl_socket_close(w->nl);
	free(w);
	return NULL;
}

int fw_watch_fd(const struct fw_watch *w)
{
	return mnl_socket_get_fd(w->nl);
}

void fw_damage_merge(struct fw_damage *into, const struct fw_damage *d)
{
	for (int o = 0; o < _FW_OBJ_MAX; o++) {
		into->added[o] += d->added[o];
		into->deleted[o] += d->deleted[o];
	}
	for (int f = 0; f < 3; f++)
		into->families[f] |= d->families[f];
	if (d->pid) {
		into->pid = d->pid;
		memcpy(into->comm, d->comm, sizeof(into->comm));
	}
	into->is_lost |= d->is_lost;
}

/* One notification: a change is kept until its transaction's end says who made it. */
static bool take(struct fw_watch *w, const struct fw_notice *n, struct fw_damage *ret)
{
	int family;

	switch (n->kind) {
	case FW_NOTICE_CHANGE:
		family = n->family == NFPROTO_NETDEV ? 1 : n->family == NFPROTO_INET ? 2 : 0;
		w->pending.families[family] = true;
		if (n->is_delete)
			w->pending.deleted[n->object]++;
		else
			w->pending.added[n->object]++;
		w->is_pending = true;
		return false;
	case FW_NOTICE_GEN_END: {
		bool is_foreign = w->is_pending && n->pid != (uint32_t)getpid();

		if (is_foreign) {
			w->pending.pid = n->pid;
			memcpy(w->pending.comm, n->comm, sizeof(w->pending.comm));
			fw_damage_merge(ret, &w->pending);
		}
		memset(&w->pending, 0, sizeof(w->pending));
		w->is_pending = false;
		return is_foreign;
	}
	default:
		return false;
	}
}

int fw_watch_read(struct fw_watch *w, struct fw_damage *ret)
{
	int fd = mnl_socket_get_fd(w->nl), found = 0;

	memset(ret, 0, sizeof(*ret));
	for (;;) {
		struct sockaddr_nl addr;
		struct iovec iov = { .iov_base = w->buf, .iov_len = sizeof(w->buf) };
		struct msghdr msg = { .msg_name = &addr,
				      .msg_namelen = sizeof(addr),
				      .msg_iov = &iov,
				      .msg_iovlen = 1 };
		ssize_t n = recvmsg(fd, &msg, 0);
		size_t rem;
		const uint8_t *p = w->buf;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return found;
		if ((n < 0 && errno == ENOBUFS) || (n >= 0 && (msg.msg_flags & MSG_TRUNC))) {
			ret->is_lost = true;
			memset(&w->pending, 0, sizeof(w->pending));
			w->is_pending = false;
			found = 1;
			continue;
		}
		if (n < 0)
			return -errno;
		/* any local process may send to our port: only the kernel is heard */
		if (msg.msg_namelen != sizeof(addr) || addr.nl_pid != 0)
			continue;
		for (rem = (size_t)n; rem >= sizeof(struct nlmsghdr);) {
			const struct nlmsghdr *nlh = (const struct nlmsghdr *)p;
			struct fw_notice notice;
			size_t step;

			if (nlh->nlmsg_len < sizeof(*nlh) || nlh->nlmsg_len > rem)
				break;
			if (fw_notice_parse(nlh, nlh->nlmsg_len, &notice) == 0 &&
			    take(w, &notice, ret))
				found = 1;
			step = MNL_ALIGN(nlh->nlmsg_len);
			if (step >= rem)
				break;
			p += step;
			rem -= step;
		}
	}
}
