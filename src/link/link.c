/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The rtnetlink side of the link module: a non-blocking watcher on
 * RTNLGRP_LINK and synchronous helpers on short-lived sockets.
 *
 * The one idea: the watcher never hides loss. A socket overrun (ENOBUFS), a
 * truncated datagram, an interrupted (NLM_F_DUMP_INTR) or failed dump all
 * become LINK_EVENT_RESYNC, and the caller answers with a fresh dump. A dump
 * requested while another runs supersedes it: the old one's entries stop
 * being tagged is_dump and the new request goes out at its NLMSG_DONE, so a
 * listing the caller reconciles against is always complete and fresh.
 * Only datagrams whose sender is the kernel (nl_pid 0) are read: any local
 * process may unicast to our port id.
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <libmnl/libmnl.h>

#include "link/link-internal.h"
#include "util/cleanup.h"

/*
 * The kernel sizes dump parts from our largest recvmsg() buffer, capped near
 * 32 KiB (netlink_recvmsg()); a bigger part is reported as MSG_TRUNC.
 */
#define LINK_BUF_SIZE         32768
/* Bursts (a host starting a hundred VMs) must not cost a full re-dump. */
#define LINK_RCVBUF_SIZE      (8 * 1024 * 1024)
#define LINK_SYNC_TIMEOUT_SEC 5
#define LINK_SYNC_MAX_READS   64
#define NAME_TEXT_MAX         (IFNAMSIZ * 4 + 4)

struct link_watch {
	struct mnl_socket *nl;
	uint32_t last_seq;
	bool is_dump_pending; /* requested while a dump ran: sent at its end */
	struct link_dump_state dump;
	uint64_t n_overruns;
	_Alignas(struct nlmsghdr) uint8_t buf[LINK_BUF_SIZE];
};

static void mnl_socket_closep(struct mnl_socket **nl)
{
	if (*nl)
		(void)mnl_socket_close(*nl);
}

static void link_watch_closep(struct link_watch **lw)
{
	*lw = link_watch_close(*lw);
}

/* Printable ASCII as is, anything else as \xNN, cut to fit: names come from users. */
static const char *escape(const char *s, char out[NAME_TEXT_MAX])
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (o + 5 > NAME_TEXT_MAX - 4) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			out[o++] = (char)c;
		} else {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	out[o] = '\0';
	return out;
}

/*
 * One datagram from the kernel. Returns its length, 0 for a datagram from
 * another sender (dropped), -ENOSPC when it was truncated, or -errno.
 */
static ssize_t recv_kernel(int fd, void *buf, size_t size)
{
	struct sockaddr_nl addr = { 0 };
	struct iovec iov = { .iov_base = buf, .iov_len = size };
	struct msghdr msg = {
		.msg_name = &addr,
		.msg_namelen = sizeof(addr),
		.msg_iov = &iov,
		.msg_iovlen = 1,
	};
	ssize_t n;

	n = recvmsg(fd, &msg, 0);
	if (n < 0)
		return -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return -ENOSPC;
	if (msg.msg_namelen != sizeof(addr) || addr.nl_family != AF_NETLINK || addr.nl_pid != 0)
		return 0;
	return n;
}

static uint32_t next_seq(uint32_t *last)
{
	/* 0 is what multicast notifications carry. */
	if (++*last == 0)
		++*last;
	return *last;
}

int link_watch_open(struct link_watch **ret, struct err *err)
{
	_cleanup_(link_watch_closep) struct link_watch *lw = NULL;
	int fd, group = RTNLGRP_LINK, size = LINK_RCVBUF_SIZE;

	lw = calloc(1, sizeof(*lw));
	if (!lw)
		return err_set(err, -ENOMEM, "cannot watch network interfaces: out of memory");
	lw->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (!lw->nl)
		return err_set(err, -errno,
			       "cannot watch network interfaces: cannot open a netlink socket: %s",
			       strerror(errno));
	fd = mnl_socket_get_fd(lw->nl);
	/* SO_RCVBUFFORCE needs CAP_NET_ADMIN; SO_RCVBUF is capped by net.core.rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	/* NETLINK_NO_ENOBUFS stays off: an overrun must be seen, then re-dumped. */
	if (mnl_socket_bind(lw->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return err_set(
			err, -errno,
			"cannot watch network interfaces: cannot bind the netlink socket: %s",
			strerror(errno));
	if (mnl_socket_setsockopt(lw->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		return err_set(err, -errno,
			       "cannot watch network interfaces: cannot join RTNLGRP_LINK: %s",
			       strerror(errno));
	group = RTNLGRP_IPV4_IFADDR;
	if (mnl_socket_setsockopt(lw->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		return err_set(
			err, -errno,
			"cannot watch network interfaces: cannot join RTNLGRP_IPV4_IFADDR: %s",
			strerror(errno));
	group = RTNLGRP_IPV6_IFADDR;
	if (mnl_socket_setsockopt(lw->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0)
		return err_set(
			err, -errno,
			"cannot watch network interfaces: cannot join RTNLGRP_IPV6_IFADDR: %s",
			strerror(errno));
	*ret = TAKE_PTR(lw);
	return 0;
}

struct link_watch *link_watch_close(struct link_watch *lw)
{
	if (!lw)
		return NULL;
	if (lw->nl)
		(void)mnl_socket_close(lw->nl);
	free(lw);
	return NULL;
}

int link_watch_fd(const struct link_watch *lw)
{
	return mnl_socket_get_fd(lw->nl);
}

static int send_dump(struct link_watch *lw)
{
	_Alignas(struct nlmsghdr) char buf[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;
	uint32_t seq = next_seq(&lw->last_seq);

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	/* Statistics are most of each entry's size and we do not read them. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (mnl_socket_sendto(lw->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	lw->dump = (struct link_dump_state){
		.seq = seq,
		.is_dumping = true,
		.n_malformed = lw->dump.n_malformed,
		.n_resyncs = lw->dump.n_resyncs,
	};
	lw->is_dump_pending = false;
	return 0;
}

int link_watch_request_dump(struct link_watch *lw)
{
	/* The kernel runs one dump per socket (EBUSY): queue behind the running one. */
	if (lw->dump.is_dumping) {
		lw->dump.is_stale = true;
		lw->is_dump_pending = true;
		return 0;
	}
	return send_dump(lw);
}

bool link_watch_is_dumping(const struct link_watch *lw)
{
	return lw->dump.is_dumping || lw->is_dump_pending;
}

static void overrun(struct link_watch *lw, link_event_fn cb, void *userdata)
{
	lw->n_overruns++;
	/* Parts read before the loss may predate lost changes: distrust the listing. */
	if (lw->dump.is_dumping)
		lw->dump.is_interrupted = true;
	link_emit_resync(&lw->dump, cb, userdata);
}

int link_watch_dispatch(struct link_watch *lw, link_event_fn cb, void *userdata, unsigned budget)
{
	int fd = mnl_socket_get_fd(lw->nl);
	unsigned n = 0;

	if (budget == 0 || budget > INT_MAX)
		budget = INT_MAX;
	while (n < budget) {
		ssize_t len = recv_kernel(fd, lw->buf, sizeof(lw->buf));

		if (len == -EAGAIN || len == -EWOULDBLOCK)
			break;
		if (len == -EINTR)
			continue;
		/* Errors count against the budget too, so nothing can spin here. */
		n++;
		if (len == -ENOBUFS || len == -ENOSPC) {
			overrun(lw, cb, userdata);
			continue;
		}
		if (len < 0)
			return (int)len;
		(void)link_msgs_walk(lw->buf, (size_t)len, &lw->dump, cb, userdata);
		if (lw->is_dump_pending && !lw->dump.is_dumping) {
			int r = send_dump(lw);

			if (r < 0)
				return r;
		}
	}
	return (int)n;
}

void link_watch_get_stats(const struct link_watch *lw, struct link_watch_stats *ret)
{
	*ret = (struct link_watch_stats){
		.n_overruns = lw->n_overruns,
		.n_malformed = lw->dump.n_malformed,
		.n_resyncs = lw->dump.n_resyncs,
	};
}

/* --- synchronous helpers --- */

struct sync_reply {
	struct link_info info;
	bool has_info;
	char msg[128]; /* the kernel's extended ACK message, printable ASCII */
};

static int open_sync(struct mnl_socket **ret)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	struct timeval tv = { .tv_sec = LINK_SYNC_TIMEOUT_SEC };
	int one = 1;

	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl)
		return -errno;
	/* Best effort: older kernels answer without the explanation. */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	*ret = TAKE_PTR(nl);
	return 0;
}

static int extack_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **msg = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		*msg = attr;
	return MNL_CB_OK;
}

static void read_extack(const struct nlmsghdr *nlh, char *out, size_t size)
{
	const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *msg = NULL;
	size_t off = sizeof(*e), o = 0;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		/* The whole request is echoed before the TLVs. */
		if (e->msg.nlmsg_len < sizeof(e->msg) || e->msg.nlmsg_len > nlh->nlmsg_len)
			return;
		off += e->msg.nlmsg_len - sizeof(e->msg);
	}
	if (mnl_attr_parse(nlh, (unsigned)off, extack_attr_cb, &msg) < 0 || !msg)
		return;
	for (const char *s = mnl_attr_get_str(msg); *s && o + 1 < size; s++)
		out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	out[o] = '\0';
}

/*
 * Handles one message of a reply. Returns 1 when the answer is complete, 0
 * to read on, or the kernel's -errno.
 */
static int sync_handle(const struct nlmsghdr *nlh, uint32_t seq, uint32_t portid,
		       struct sync_reply *reply)
{
	int32_t error;

	if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != portid)
		return 0;
	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct nlmsgerr))
			return -EBADMSG;
		memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof(error));
		if (error > 0 || error < -4095)
			return -EBADMSG;
		if (error < 0)
			read_extack(nlh, reply->msg, sizeof(reply->msg));
		return error < 0 ? error : 1;
	case RTM_NEWLINK: {
		struct link_event ev;

		if (link_msg_parse(nlh, nlh->nlmsg_len, &ev) < 0)
			return -EBADMSG;
		reply->info = ev.info;
		reply->has_info = true;
		return 1;
	}
	default:
		return 0;
	}
}

/* Sends req and reads its answer: a link (for RTM_GETLINK) or an ACK. */
static int sync_call(struct nlmsghdr *req, struct sync_reply *reply)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	_cleanup_free_ void *buf = NULL;
	uint32_t portid, seq = (uint32_t)time(NULL);
	int r;

	r = open_sync(&nl);
	if (r < 0)
		return r;
	buf = malloc(LINK_BUF_SIZE);
	if (!buf)
		return -ENOMEM;
	portid = mnl_socket_get_portid(nl);
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl, req, req->nlmsg_len) < 0)
		return -errno;

	/* rtnetlink answers while handling sendmsg(): the reply is queued already. */
	for (int reads = 0; reads < LINK_SYNC_MAX_READS; reads++) {
		ssize_t len = recv_kernel(mnl_socket_get_fd(nl), buf, LINK_BUF_SIZE);
		const struct nlmsghdr *nlh = buf;
		int rem;

		if (len == -EINTR)
			continue;
		if (len == -EAGAIN || len == -EWOULDBLOCK)
			return -ETIMEDOUT;
		if (len < 0)
			return (int)len;
		rem = (int)len;
		for (; mnl_nlmsg_ok(nlh, rem); nlh = mnl_nlmsg_next(nlh, &rem)) {
			r = sync_handle(nlh, seq, portid, reply);
			if (r != 0)
				return r < 0 ? r : 0;
		}
	}
	return -ETIMEDOUT;
}

static int check_name(const char *name, const char *what, struct err *err)
{
	char text[NAME_TEXT_MAX];

	if (!name || !link_name_is_valid(name, strnlen(name, IFNAMSIZ)))
		return err_set(err, -EINVAL,
			       "cannot %s interface '%s': invalid name (1 to 15 bytes, no '/', ':' "
			       "or whitespace, not '.' or '..')",
			       what, name ? escape(name, text) : "(null)");
	return 0;
}

static struct nlmsghdr *put_link_request(void *buf, uint16_t type, uint16_t flags, int ifindex,
					 const char *name)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifm;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	return nlh;
}

/* "interface vnet0" or "interface with index 7", for messages. */
static const char *describe(const char *name, int ifindex, char out[NAME_TEXT_MAX + 32])
{
	char text[NAME_TEXT_MAX];

	if (name)
		snprintf(out, NAME_TEXT_MAX + 32, "interface %s", escape(name, text));
	else
		snprintf(out, NAME_TEXT_MAX + 32, "interface with index %d", ifindex);
	return out;
}

static int lookup(const char *name, int ifindex, struct link_info *ret, struct err *err)
{
	_Alignas(struct nlmsghdr) char buf[256];
	char what[NAME_TEXT_MAX + 32];
	struct sync_reply reply = { 0 };
	struct nlmsghdr *nlh;
	int r;

	nlh = put_link_request(buf, RTM_GETLINK, 0, ifindex, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = sync_call(nlh, &reply);
	describe(name, ifindex, what);
	if (r == -ENODEV)
		return err_set(err, r, "%s not found", what);
	if (r < 0)
		return err_set(err, r, "cannot look up %s: %s%s%s", what, strerror(-r),
			       reply.msg[0] ? ": " : "", reply.msg);
	/* By name, the kernel also matches alternative names: only the index is checked. */
	if (!reply.has_info || (!name && reply.info.ifindex != ifindex))
		return err_set(err, -EIO,
			       "cannot look up %s: the kernel answered about another one", what);
	*ret = reply.info;
	return 0;
}

int link_lookup_name(const char *name, struct link_info *ret, struct err *err)
{
	int r = check_name(name, "look up", err);

	if (r < 0)
		return r;
	return lookup(name, 0, ret, err);
}

int link_lookup_index(int ifindex, struct link_info *ret, struct err *err)
{
	if (ifindex <= 0)
		return err_set(err, -EINVAL, "cannot look up interface index %d: must be positive",
			       ifindex);
	return lookup(NULL, ifindex, ret, err);
}

static int set_down(const char *name, int ifindex, struct err *err)
{
	_Alignas(struct nlmsghdr) char buf[256];
	char what[NAME_TEXT_MAX + 32];
	struct sync_reply reply = { 0 };
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	int r;

	/* No NLM_F_CREATE: a missing link is -ENODEV, never created. */
	nlh = put_link_request(buf, RTM_NEWLINK, NLM_F_ACK, ifindex, name);
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_change = IFF_UP;
	ifm->ifi_flags = 0;
	r = sync_call(nlh, &reply);
	if (r >= 0)
		return 0;
	describe(name, ifindex, what);
	if (r == -ENODEV)
		return err_set(err, r, "cannot set %s down: not found (already removed?)", what);
	if (r == -EPERM)
		return err_set(err, r,
			       "cannot set %s down: operation not permitted (needs CAP_NET_ADMIN)",
			       what);
	return err_set(err, r, "cannot set %s down: %s%s%s", what, strerror(-r),
		       reply.msg[0] ? ": " : "", reply.msg);
}

int link_set_down(const char *name, struct err *err)
{
	int r = check_name(name, "set down", err);

	if (r < 0)
		return r;
	return set_down(name, 0, err);
}

int link_set_down_index(int ifindex, struct err *err)
{
	if (ifindex <= 0)
		return err_set(err, -EINVAL, "cannot set interface index %d down: must be positive",
			       ifindex);
	return set_down(NULL, ifindex, err);
}

static int dump_addrs(int ifindex, int family, uint8_t *ret, size_t max, struct err *err)
{
	_cleanup_(mnl_socket_closep) struct mnl_socket *nl = NULL;
	_cleanup_free_ void *buf = NULL;
	_Alignas(struct nlmsghdr) char req[64];
	uint32_t seq = (uint32_t)time(NULL), portid;
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifaddrmsg *ifa;
	size_t n = 0;
	int r;

	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family == 6 ? AF_INET6 : AF_INET;
	r = open_sync(&nl);
	if (r >= 0 && !(buf = malloc(LINK_BUF_SIZE)))
		r = -ENOMEM;
	if (r >= 0 && mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		r = -errno;
	if (r < 0)
		return err_set(err, r, "cannot list the addresses of interface %d: %s", ifindex,
			       strerror(-r));
	portid = mnl_socket_get_portid(nl);
	for (int reads = 0; reads < LINK_SYNC_MAX_READS; reads++) {
		ssize_t len = recv_kernel(mnl_socket_get_fd(nl), buf, LINK_BUF_SIZE);
		const struct nlmsghdr *m = buf;
		int rem;

		if (len == -EINTR)
			continue;
		if (len < 0)
			return err_set(err, (int)len,
				       "cannot list the addresses of interface %d: %s", ifindex,
				       strerror((int)-len));
		rem = (int)len;
		for (; mnl_nlmsg_ok(m, rem); m = mnl_nlmsg_next(m, &rem)) {
			struct link_addr a;

			if (m->nlmsg_seq != seq || m->nlmsg_pid != portid)
				continue;
			if (m->nlmsg_type == NLMSG_DONE)
				return (int)n;
			if (m->nlmsg_type == NLMSG_ERROR)
				return err_set(err, -EIO,
					       "cannot list the addresses of interface %d",
					       ifindex);
			if (link_addr_msg_parse(m, m->nlmsg_len, &a) == 0 && a.ifindex == ifindex &&
			    a.family == family && n < max) {
				memcpy(ret + n * (size_t)(family == 6 ? 16 : 4), a.addr,
				       family == 6 ? 16 : 4);
				n++;
			}
		}
	}
	return err_set(err, -ETIMEDOUT, "cannot list the addresses of interface %d: no end",
		       ifindex);
}

int link_ipv4_addrs(int ifindex, uint8_t (*ret)[4], size_t max, struct err *err)
{
	return dump_addrs(ifindex, 4, ret[0], max, err);
}

int link_ipv6_addrs(int ifindex, uint8_t (*ret)[16], size_t max, struct err *err)
{
	return dump_addrs(ifindex, 6, ret[0], max, err);
}
