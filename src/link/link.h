/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Links (taps, veths, macvtaps, bridges) as rtnetlink reports them: a pure
 * parser for one RTM_NEWLINK/RTM_DELLINK message, a non-blocking watcher
 * (an fd plus link_watch_dispatch(), never a loop) and a few synchronous
 * helpers. This module is the only user of libmnl.
 *
 * A rename, a MAC change or an up/down change arrives as LINK_EVENT_NEW for
 * an ifindex the caller already knows: compare with link_info_diff().
 * LINK_EVENT_RESYNC means events were lost (socket overrun, interrupted or
 * failed dump): the caller must call link_watch_request_dump() and reconcile.
 */
#pragma once

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "util/err.h"

struct link_info {
	int ifindex;         /* > 0 */
	char name[IFNAMSIZ]; /* NUL-terminated, 1..15 bytes, as the kernel allows */
	uint8_t mac[6];      /* valid when has_mac */
	bool has_mac;        /* IFLA_ADDRESS present and 6 bytes long */
	bool is_up;          /* administratively up (IFF_UP), not the carrier */
	int master;          /* ifindex of the bridge/bond, 0 when none */
	unsigned type;       /* ARPHRD_* */
	char kind[16];       /* IFLA_INFO_KIND ("veth", "tun", "macvtap", "bridge"), "" if none */
};

enum link_event_type {
	LINK_EVENT_NEW,    /* a link appeared or changed (or was listed by a dump) */
	LINK_EVENT_DEL,    /* a link is gone (deleted or moved to another namespace) */
	LINK_EVENT_RESYNC, /* events were lost: re-dump and reconcile; info is zeroed */
	LINK_EVENT_ADDR,   /* an IPv4 address of info.ifindex came or went; only ifindex is set */
};

struct link_event {
	enum link_event_type type;
	bool is_dump; /* a LINK_EVENT_NEW that is part of the current dump's listing */
	struct link_info info;
};

/* Bits returned by link_info_diff(). */
enum link_change {
	LINK_NAME_CHANGED = 1u << 0,
	LINK_MAC_CHANGED = 1u << 1, /* the address changed, appeared or disappeared */
	LINK_UP_CHANGED = 1u << 2,
};

/*
 * Parses exactly one netlink message (len must equal its nlmsg_len) of type
 * RTM_NEWLINK or RTM_DELLINK. Pure: no I/O, no allocation. Bounds-checked
 * with libmnl's validators; unknown attributes are ignored.
 * Returns 0 and fills *ret (is_dump false), or:
 *   -EBADMSG: truncated or malformed (header, attribute framing, a known
 *             attribute of the wrong size, IFLA_IFNAME missing, not
 *             NUL-terminated, empty, longer than 15 bytes or a name the
 *             kernel would refuse, ifindex <= 0, an Ethernet link whose
 *             address is not 6 bytes);
 *   -ENOMSG:  well-formed but not a generic link message: another type, or
 *             another family (bridge port notifications use AF_BRIDGE; an
 *             AF_BRIDGE RTM_DELLINK means "left the bridge", not "deleted").
 * *ret is untouched on failure. Deliberately ignored, not rejected: an
 * IFLA_ADDRESS of another length on a non-Ethernet link (has_mac false), an
 * IFLA_INFO_KIND too long for kind[] (kind ""), attributes above IFLA_MAX.
 */
int link_msg_parse(const void *buf, size_t len, struct link_event *ret);

/*
 * Parses exactly one RTM_NEWADDR or RTM_DELADDR notification into a
 * LINK_EVENT_ADDR naming the interface (pure, bounds-checked). -ENOMSG for
 * another type or a family other than AF_INET or AF_INET6; -EBADMSG when truncated or
 * the ifindex is 0 or too large.
 */
int link_addr_change_parse(const void *buf, size_t len, struct link_event *ret);

/* LINK_*_CHANGED bits between two views of the same ifindex (asserted). */
unsigned link_info_diff(const struct link_info *old, const struct link_info *new);

/* Borrowed event, valid during the call only. */
typedef void (*link_event_fn)(const struct link_event *ev, void *userdata);

struct link_watch;

struct link_watch_stats {
	uint64_t n_overruns;  /* ENOBUFS or truncated reads */
	uint64_t n_malformed; /* messages (or datagram tails) dropped by the parser */
	uint64_t n_resyncs;   /* LINK_EVENT_RESYNC emitted */
};

/*
 * A non-blocking NETLINK_ROUTE socket subscribed to RTNLGRP_LINK (and
 * RTNLGRP_IPV4_IFADDR, for LINK_EVENT_ADDR) with a large
 * receive buffer (SO_RCVBUFFORCE, else SO_RCVBUF). NETLINK_NO_ENOBUFS is not
 * set: overruns are reported as LINK_EVENT_RESYNC. Only datagrams from the
 * kernel are accepted. The caller owns *ret (link_watch_close()).
 */
int link_watch_open(struct link_watch **ret, struct err *err);
/* NULL-safe; returns NULL. Must not be called from the watcher's callback. */
struct link_watch *link_watch_close(struct link_watch *lw);
/* Poll it for reading; level-triggered readiness is the whole truth. */
int link_watch_fd(const struct link_watch *lw);

/*
 * Requests an RTM_GETLINK dump. Its entries arrive through dispatch as
 * LINK_EVENT_NEW with is_dump set; its end emits nothing (see
 * link_watch_is_dumping()), except LINK_EVENT_RESYNC when the kernel flagged
 * a part NLM_F_DUMP_INTR or the dump failed. While a dump runs, a new
 * request is remembered and sent when it ends, so it is safe to call from
 * the callback on every RESYNC. Returns 0 or -errno from the send.
 */
int link_watch_request_dump(struct link_watch *lw);
/*
 * True from link_watch_request_dump() until its dump's NLMSG_DONE is read.
 * Reconciling: clear the set of listed links whenever you request a dump,
 * add each is_dump entry, and when this turns false after a dispatch that
 * brought no LINK_EVENT_RESYNC, links not listed are gone. A RESYNC cancels
 * the listing in progress: request a new dump (it supersedes the old one).
 */
bool link_watch_is_dumping(const struct link_watch *lw);

/*
 * Reads up to budget datagrams (0: until EAGAIN) and calls cb for each
 * event. No event is held back inside the watcher: if the budget runs out,
 * the fd stays readable. ENOBUFS and truncated datagrams emit one
 * LINK_EVENT_RESYNC each and reading continues. Returns the number of
 * datagrams read, or -errno on a socket error other than those.
 */
/* cb may call link_watch_request_dump(), not link_watch_dispatch() or _close(). */
int link_watch_dispatch(struct link_watch *lw, link_event_fn cb, void *userdata, unsigned budget);
void link_watch_get_stats(const struct link_watch *lw, struct link_watch_stats *ret);

/*
 * Synchronous helpers, each on its own short-lived socket; they block for
 * at most a few seconds waiting for the kernel's answer. Errors come with a
 * message in err: -ENODEV "interface vnet0 not found", -EINVAL for a name
 * the kernel cannot have, -EPERM without CAP_NET_ADMIN, ...
 */
int link_lookup_name(const char *name, struct link_info *ret, struct err *err);

/* An address of a link (RTM_NEWADDR). */
struct link_addr {
	int ifindex;
	int family; /* 4 or 6 */
	uint8_t addr[16];
	unsigned prefix_len;
};

/*
 * Parses exactly one RTM_NEWADDR message (len must equal its nlmsg_len).
 * Pure and bounds-checked like link_msg_parse(): -ENOMSG for another type
 * or family, -EBADMSG for a malformed one.
 */
int link_addr_msg_parse(const void *buf, size_t len, struct link_addr *ret);

/*
 * The IPv4 addresses of link ifindex, at most max of them (a dump of the
 * kernel's addresses): the number found, or -errno with err filled.
 */
int link_ipv4_addrs(int ifindex, uint8_t (*ret)[4], size_t max, struct err *err);
/* The same for IPv6 (link-local included). */
int link_ipv6_addrs(int ifindex, uint8_t (*ret)[16], size_t max, struct err *err);
int link_lookup_index(int ifindex, struct link_info *ret, struct err *err);
/* Sets the link administratively down (ifi_change = IFF_UP, flags 0); ACK checked. */
int link_set_down(const char *name, struct err *err);
/* The same by ifindex: immune to a rename racing with the caller. */
int link_set_down_index(int ifindex, struct err *err);
