/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The learning policy for IPv6 (variable IPV6, a list): given what the
 * daemon knows of one port and one parsed IPv6 frame, say what it teaches.
 * Pure, as policy.h; the engine checks owners, trust of the place a reply
 * entered from, and limits.
 *
 * IPv6 learning never stops: a guest gains addresses over its life (link
 * local, stable, temporary ones that rotate), so the port keeps learning
 * while its other rules are in force. What teaches:
 *   DHCPv6 (both modes): each IA_NA/IA_TA address of a REPLY towards the VM
 *     to an exchange the VM started (its transaction id), whose client
 *     identifier is the one the VM sent, from a server in DHCPSERVERV6 when
 *     that is given. Never an ADVERTISE. A valid lifetime of 0 removes. The
 *     VM's RELEASE/DECLINE remove the addresses in their IAs.
 *   DAD (mode any; link-local addresses in mode dhcp too): the target of a
 *     Neighbor Solicitation from :: (RFC 4862 5.4), sent with the VM's MAC.
 *   IPv6 (the same): the source of a packet from an address the port does
 *     not have. The kernel copies only those (and DAD, and DHCPv6), and
 *     drops them until the address is in.
 * Never learned: ::, ::1, multicast (ff00::/8), IPv4-mapped (::ffff:0:0/96)
 * and 100::/64 (RFC 6666 discard-only: the stand-in of a port that has no
 * IPv6 address yet).
 */
#pragma once

#include "learn/policy.h"

/* Addresses one decision carries: every IA address one REPLY may hold. */
#define LEARN6_ITEMS_MAX (LEARN6_IA_MAX * LEARN6_IAADDR_MAX)

struct learn6_port {
	enum learn_mode mode;
	uint8_t vm_mac[6];
	const uint8_t (*servers)[16]; /* DHCPSERVERV6; n_servers == 0: any server */
	size_t n_servers;
	const struct learn_xids *xids; /* the DHCPv6 exchanges the VM started */
	const uint8_t (*addrs)[16];    /* the IPv6 addresses the port has now */
	size_t n_addrs;
};

struct learn6_item {
	enum learn_verdict verdict; /* LEARN, RENEW or REMOVE */
	uint8_t addr[16];
	bool has_lease;   /* DHCPv6: valid_s applies */
	uint32_t valid_s; /* LEARN_LEASE_INFINITE: never ends */
};

struct learn6_decision {
	/*
	 * IGNORE (reason says why), RECORD_XID (xid and duid_hash), or LEARN:
	 * then items say, address by address, what to learn, renew or remove.
	 */
	enum learn_verdict verdict;
	enum learn_drop reason;
	enum learn_source source;
	uint32_t xid;
	uint64_t duid_hash;
	struct learn6_item items[LEARN6_ITEMS_MAX];
	size_t n_items;
};

int learn6_decide(const struct learn6_port *port, enum learn_dir dir, const struct learn_frame *f,
		  struct learn6_decision *ret);

/* LEARN_DROP_NONE when addr may be learned, else the reason. */
enum learn_drop learn6_addr_check(const uint8_t addr[16]);

/* True for fe80::/10. */
bool learn6_is_link_local(const uint8_t addr[16]);

/* The hash a DHCPv6 exchange keeps of the client identifier (64-bit FNV-1a). */
uint64_t learn6_duid_hash(const uint8_t *duid, size_t len);
