/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The learning policy: given what the daemon knows of one port and one parsed
 * frame, say what the frame teaches. Pure: no clock, no I/O, no state of its
 * own; the daemon owns the port state, applies the decision, and settles
 * conflicts between ports (it sees them all, this code sees one).
 *
 * What teaches (DESIGN.md "Learning"):
 *   DHCP (both modes, learning or learned): a DHCPACK towards the VM, with
 *     the magic cookie, chaddr = the VM's MAC, an xid the VM used in a
 *     DISCOVER/REQUEST we saw, from a trusted server. Never an OFFER.
 *   ARP (mode any, while learning): the sender address of the VM's own
 *     request or reply (gratuitous included): Ethernet source and ARP sender
 *     hardware address both the VM's MAC. Never the target; never a probe.
 *   IPv4 (mode any, while learning): the source of the VM's first IPv4
 *     packet from its MAC, except 0.0.0.0 (a DHCP client). A fragment is an
 *     IPv4 packet too; its source address is all this needs.
 * Never learned: 0.0.0.0/8, 127.0.0.0/8, 224.0.0.0/4, 240.0.0.0/4 (with
 * 255.255.255.255). A subnet's directed broadcast cannot be told apart
 * without the prefix, which a port does not know.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "learn/frame.h"

enum learn_mode {
	LEARN_MODE_ANY,  /* DHCP, the VM's ARP, or its first IPv4 packet */
	LEARN_MODE_DHCP, /* DHCP only */
};

enum learn_dir {
	LEARN_DIR_FROM_VM,
	LEARN_DIR_TO_VM,
};

enum learn_verdict {
	LEARN_VERDICT_IGNORE,     /* reason says why */
	LEARN_VERDICT_RECORD_XID, /* remember xid (and addr) with learn_xids_record() */
	LEARN_VERDICT_LEARN,      /* a new address for the port */
	LEARN_VERDICT_RENEW,      /* a new lease for an address the port has */
	LEARN_VERDICT_REMOVE,     /* the port no longer owns addr */
	_LEARN_VERDICT_MAX,
};

enum learn_source {
	LEARN_SOURCE_DHCP,
	LEARN_SOURCE_ARP,
	LEARN_SOURCE_IPV4,
	LEARN_SOURCE_DHCPV6, /* an IA address of a DHCPv6 REPLY */
	LEARN_SOURCE_DAD,    /* the target of the VM's Duplicate Address Detection */
	LEARN_SOURCE_IPV6,   /* the source of an IPv6 packet from a new address */
	_LEARN_SOURCE_MAX,
};

/*
 * The DHCP exchanges a VM started recently: a ring of LEARN_XIDS_MAX entries,
 * the oldest overwritten. addr is what the request concerned (requested
 * address, else ciaddr; 0.0.0.0 for a DISCOVER), so that a NAK can say which
 * address it refuses. An exchange is good for one answer that teaches
 * (learn_xids_forget) and for LEARN_XID_MAX_AGE_S (learn_xids_expire): a
 * sniffed or replayed xid teaches at most once, and not forever.
 * Zero-initialize before use.
 */
#define LEARN_XIDS_MAX      8
#define LEARN_XID_MAX_AGE_S 60

struct learn_xid {
	uint32_t xid;
	uint8_t addr[4];
	uint64_t duid_hash; /* DHCPv6: FNV-1a of the client identifier the VM sent */
	int64_t seen_at;    /* the caller's clock, when the VM last used it */
	bool is_live;
};

struct learn_xids {
	struct learn_xid slot[LEARN_XIDS_MAX];
	unsigned next;
};

/* Records xid at now, or updates its addr and time (DISCOVER and REQUEST share one). */
/* Returns its entry, borrowed from xids. */
struct learn_xid *learn_xids_record(struct learn_xids *xids, uint32_t xid, const uint8_t addr[4],
				    int64_t now);
/* The live entry for xid, or NULL. Borrowed from xids. */
const struct learn_xid *learn_xids_find(const struct learn_xids *xids, uint32_t xid);
/* The exchange xid got its answer: it teaches nothing more. */
void learn_xids_forget(struct learn_xids *xids, uint32_t xid);
/* Forgets the exchanges last used max_age_s or longer before now. */
void learn_xids_expire(struct learn_xids *xids, int64_t now, int64_t max_age_s);

/* What the daemon knows of one port. The arrays are borrowed for the call. */
struct learn_port {
	enum learn_mode mode;
	uint8_t vm_mac[6];
	bool is_learning;            /* no address yet; ARP/IPv4 teach only now */
	const uint8_t (*servers)[4]; /* DHCPSERVER; n_servers == 0: any server */
	size_t n_servers;
	struct learn_xids xids;    /* owned by the port; the daemon records */
	const uint8_t (*addrs)[4]; /* the addresses the port has now */
	size_t n_addrs;
};

#define LEARN_DEFAULT_LEASE_S 3600u

struct learn_decision {
	enum learn_verdict verdict;
	enum learn_drop reason;   /* IGNORE only; LEARN_DROP_NONE otherwise */
	enum learn_source source; /* LEARN, RENEW, REMOVE */
	uint8_t addr[4];          /* LEARN, RENEW, REMOVE; RECORD_XID: see struct learn_xid */
	uint32_t xid;             /* every DHCP verdict */
	/*
	 * DHCP LEARN/RENEW: has_lease is true and lease_s is option 51
	 * (LEARN_LEASE_INFINITE: never expires). An ACK without option 51 gets
	 * LEARN_DEFAULT_LEASE_S with lease_is_default set, the value busybox
	 * udhcpc assumes in the same case; libvirt ends such a lease at once.
	 */
	bool has_lease, lease_is_default;
	uint32_t lease_s;
	bool has_server_id; /* DHCP: option 54 of the reply */
	uint8_t server_id[4];
};

/*
 * Decides what f, seen going dir on port, teaches. Always fills *ret and
 * returns ret->verdict (>= 0). DHCP frames are judged as DHCP only: an
 * unusable DHCP message never falls back to IPv4 learning.
 *
 * Trusted server: with DHCPSERVER set, the reply's IPv4 source must be in
 * the list (what the temporary firewall rules match, as in libvirt), and so
 * must its server identifier (option 54) when it carries one. Behind a relay
 * the source is the relay and the identifier the server: list both.
 * Without DHCPSERVER any server is trusted, and the xid check only stops
 * blind forgeries: a DISCOVER is broadcast, so a rogue server on the same
 * segment can answer it.
 *
 * REMOVE comes from: the VM's DHCPRELEASE (address = ciaddr, RFC 2131
 * 4.4.6) or DHCPDECLINE (address = option 50, RFC 2131 table 5), sent with
 * the VM's MAC as Ethernet source and chaddr; or a DHCPNAK from a trusted
 * server for an exchange the VM started, which removes the address that
 * exchange's REQUEST concerned (recorded with the xid), since the client must
 * stop using it (RFC 2131 4.4.5). Only addresses the port has are removed.
 */
int learn_decide(const struct learn_port *port, enum learn_dir dir, const struct learn_frame *f,
		 struct learn_decision *ret);

/*
 * Which port a captured frame belongs to, its direction, and where it
 * entered: the NFLOG origin says where it was logged (towards a port at
 * postrouting when outdev is set, having entered at indev; else from it at
 * prerouting; a macvtap's egress is the VM sending, its ingress comes from
 * the lower device, *ret_from 0: outside).
 */
void learn_frame_port(const struct learn_frame *f, int *ret_ifindex, enum learn_dir *ret_dir,
		      int *ret_from);

/* LEARN_DROP_NONE when addr may be learned, else the LEARN_DROP_ADDR_* reason. */
enum learn_drop learn_addr_check(const uint8_t addr[4]);

const char *learn_verdict_name(enum learn_verdict verdict);
const char *learn_source_name(enum learn_source source);
