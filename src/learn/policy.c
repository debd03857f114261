/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The learning policy (see policy.h for the rules). One function per kind of
 * frame; each returns through ignore() or one of the verdict helpers, so every
 * path fills the whole decision. The checks run from the cheapest and most
 * telling (direction, who sent it) to the most specific, so the reason a
 * frame is ignored names the first rule it broke.
 */
#include "learn/policy.h"

#include <assert.h>
#include <string.h>

#include "util/cleanup.h"

static const char *const verdict_names[_LEARN_VERDICT_MAX] = {
	[LEARN_VERDICT_IGNORE] = "ignore", [LEARN_VERDICT_RECORD_XID] = "record-xid",
	[LEARN_VERDICT_LEARN] = "learn",   [LEARN_VERDICT_RENEW] = "renew",
	[LEARN_VERDICT_REMOVE] = "remove",
};

static const char *const source_names[_LEARN_SOURCE_MAX] = {
	[LEARN_SOURCE_DHCP] = "dhcp",     [LEARN_SOURCE_ARP] = "arp", [LEARN_SOURCE_IPV4] = "ipv4",
	[LEARN_SOURCE_DHCPV6] = "dhcpv6", [LEARN_SOURCE_DAD] = "dad", [LEARN_SOURCE_IPV6] = "ipv6",
};

const char *learn_verdict_name(enum learn_verdict verdict)
{
	if ((unsigned)verdict >= ARRAY_SIZE(verdict_names))
		return "unknown";
	return verdict_names[verdict];
}

const char *learn_source_name(enum learn_source source)
{
	if ((unsigned)source >= ARRAY_SIZE(source_names))
		return "unknown";
	return source_names[source];
}

struct learn_xid *learn_xids_record(struct learn_xids *xids, uint32_t xid, const uint8_t addr[4],
				    int64_t now)
{
	struct learn_xid *slot = NULL;

	for (unsigned i = 0; i < LEARN_XIDS_MAX && !slot; i++)
		if (xids->slot[i].is_live && xids->slot[i].xid == xid)
			slot = &xids->slot[i];
	if (!slot) {
		slot = &xids->slot[xids->next % LEARN_XIDS_MAX];
		xids->next = (xids->next + 1) % LEARN_XIDS_MAX;
	}
	slot->xid = xid;
	memcpy(slot->addr, addr, 4);
	slot->duid_hash = 0;
	slot->seen_at = now;
	slot->is_live = true;
	return slot;
}

const struct learn_xid *learn_xids_find(const struct learn_xids *xids, uint32_t xid)
{
	for (unsigned i = 0; i < LEARN_XIDS_MAX; i++)
		if (xids->slot[i].is_live && xids->slot[i].xid == xid)
			return &xids->slot[i];
	return NULL;
}

void learn_xids_forget(struct learn_xids *xids, uint32_t xid)
{
	for (unsigned i = 0; i < LEARN_XIDS_MAX; i++)
		if (xids->slot[i].xid == xid)
			xids->slot[i].is_live = false;
}

void learn_xids_expire(struct learn_xids *xids, int64_t now, int64_t max_age_s)
{
	for (unsigned i = 0; i < LEARN_XIDS_MAX; i++) {
		struct learn_xid *x = &xids->slot[i];
		int64_t age;

		/* a time from the future does not count as old; the subtraction never wraps */
		if (__builtin_sub_overflow(now, x->seen_at, &age))
			age = now > x->seen_at ? INT64_MAX : -1;
		if (x->is_live && age >= max_age_s)
			x->is_live = false;
	}
}

enum learn_drop learn_addr_check(const uint8_t addr[4])
{
	static const uint8_t broadcast[4] = { 255, 255, 255, 255 };

	if (addr[0] == 0)
		return LEARN_DROP_ADDR_ZERO; /* RFC 1122 3.2.1.3: "this network", never a source */
	if (addr[0] == 127)
		return LEARN_DROP_ADDR_LOOPBACK;
	if ((addr[0] & 0xf0) == 224)
		return LEARN_DROP_ADDR_MULTICAST;
	if (memcmp(addr, broadcast, 4) == 0)
		return LEARN_DROP_ADDR_BROADCAST;
	if ((addr[0] & 0xf0) == 240)
		return LEARN_DROP_ADDR_CLASS_E;
	return LEARN_DROP_NONE;
}

static int ignore(struct learn_decision *d, enum learn_drop reason)
{
	d->verdict = LEARN_VERDICT_IGNORE;
	d->reason = reason;
	return d->verdict;
}

static int verdict(struct learn_decision *d, enum learn_verdict v, enum learn_source source,
		   const uint8_t addr[4])
{
	d->verdict = v;
	d->reason = LEARN_DROP_NONE;
	d->source = source;
	memcpy(d->addr, addr, 4);
	return d->verdict;
}

static bool addr_in(const uint8_t (*list)[4], size_t n, const uint8_t addr[4])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(list[i], addr, 4) == 0)
			return true;
	return false;
}

static bool port_has(const struct learn_port *port, const uint8_t addr[4])
{
	return addr_in(port->addrs, port->n_addrs, addr);
}

/* LEARN_DROP_NONE when the Ethernet source is the VM's MAC. */
static enum learn_drop check_src_mac(const struct learn_port *port, const struct learn_frame *f)
{
	if (!f->has_src_mac)
		return LEARN_DROP_NO_SRC_MAC;
	if (memcmp(f->src_mac, port->vm_mac, 6) != 0)
		return LEARN_DROP_SPOOFED_MAC;
	return LEARN_DROP_NONE;
}

static bool chaddr_is_vm(const struct learn_port *port, const struct learn_dhcp *dh)
{
	return dh->htype == 1 && dh->hlen == 6 && memcmp(dh->chaddr, port->vm_mac, 6) == 0;
}

static bool server_is_trusted(const struct learn_port *port, const struct learn_frame *f)
{
	if (port->n_servers == 0)
		return true;
	if (!addr_in(port->servers, port->n_servers, f->ipv4.src))
		return false;
	return !f->dhcp.has_server_id || addr_in(port->servers, port->n_servers, f->dhcp.server_id);
}

/* DISCOVER, REQUEST, RELEASE, DECLINE: the VM is the client. */
static int decide_dhcp_client(const struct learn_port *port, enum learn_dir dir,
			      const struct learn_frame *f, struct learn_decision *d)
{
	const struct learn_dhcp *dh = &f->dhcp;
	enum learn_drop r;

	if (dir != LEARN_DIR_FROM_VM)
		return ignore(d, LEARN_DROP_WRONG_DIRECTION);
	r = check_src_mac(port, f);
	if (r != LEARN_DROP_NONE)
		return ignore(d, r);
	if (dh->op != LEARN_BOOTREQUEST)
		return ignore(d, LEARN_DROP_DHCP_BAD_OP);
	if (!chaddr_is_vm(port, dh))
		return ignore(d, LEARN_DROP_DHCP_CHADDR);

	switch (dh->msg_type) {
	case LEARN_DHCPDISCOVER:
	case LEARN_DHCPREQUEST:
		/*
		 * RFC 2131 4.3.2: SELECTING and INIT-REBOOT name the address in
		 * option 50, RENEWING and REBINDING in ciaddr (0 in a DISCOVER).
		 */
		return verdict(d, LEARN_VERDICT_RECORD_XID, LEARN_SOURCE_DHCP,
			       dh->has_requested ? dh->requested : dh->ciaddr);
	case LEARN_DHCPRELEASE:
		if (!port_has(port, dh->ciaddr))
			return ignore(d, LEARN_DROP_DHCP_NOT_OURS);
		return verdict(d, LEARN_VERDICT_REMOVE, LEARN_SOURCE_DHCP, dh->ciaddr);
	default: /* LEARN_DHCPDECLINE */
		if (!dh->has_requested)
			return ignore(d, LEARN_DROP_DHCP_NO_ADDR);
		if (!port_has(port, dh->requested))
			return ignore(d, LEARN_DROP_DHCP_NOT_OURS);
		return verdict(d, LEARN_VERDICT_REMOVE, LEARN_SOURCE_DHCP, dh->requested);
	}
}

/* ACK and NAK: a server answers the VM. */
static int decide_dhcp_server(const struct learn_port *port, enum learn_dir dir,
			      const struct learn_frame *f, struct learn_decision *d)
{
	const struct learn_dhcp *dh = &f->dhcp;
	const struct learn_xid *x;
	enum learn_drop r;

	if (dir != LEARN_DIR_TO_VM)
		return ignore(d, LEARN_DROP_WRONG_DIRECTION);
	if (dh->op != LEARN_BOOTREPLY)
		return ignore(d, LEARN_DROP_DHCP_BAD_OP);
	if (!chaddr_is_vm(port, dh))
		return ignore(d, LEARN_DROP_DHCP_CHADDR);
	x = learn_xids_find(&port->xids, dh->xid);
	if (!x)
		return ignore(d, LEARN_DROP_DHCP_XID);
	if (!server_is_trusted(port, f))
		return ignore(d, LEARN_DROP_DHCP_UNTRUSTED);
	d->has_server_id = dh->has_server_id;
	memcpy(d->server_id, dh->server_id, 4);

	if (dh->msg_type == LEARN_DHCPNAK) {
		if (!port_has(port, x->addr))
			return ignore(d, LEARN_DROP_DHCP_NOT_OURS);
		return verdict(d, LEARN_VERDICT_REMOVE, LEARN_SOURCE_DHCP, x->addr);
	}

	r = learn_addr_check(dh->yiaddr);
	if (r != LEARN_DROP_NONE)
		return ignore(d, r); /* also the ACK to an INFORM: yiaddr 0 */
	d->has_lease = true;
	d->lease_is_default = !dh->has_lease;
	d->lease_s = dh->has_lease ? dh->lease_s : LEARN_DEFAULT_LEASE_S;
	return verdict(d, port_has(port, dh->yiaddr) ? LEARN_VERDICT_RENEW : LEARN_VERDICT_LEARN,
		       LEARN_SOURCE_DHCP, dh->yiaddr);
}

static int decide_dhcp(const struct learn_port *port, enum learn_dir dir,
		       const struct learn_frame *f, struct learn_decision *d)
{
	const struct learn_dhcp *dh = &f->dhcp;

	d->xid = dh->xid;
	if (!dh->has_cookie)
		return ignore(d, LEARN_DROP_DHCP_NO_COOKIE);
	switch (dh->msg_type) {
	case 0:
		return ignore(d, LEARN_DROP_DHCP_NO_TYPE);
	case LEARN_DHCPDISCOVER:
	case LEARN_DHCPREQUEST:
	case LEARN_DHCPRELEASE:
	case LEARN_DHCPDECLINE:
		return decide_dhcp_client(port, dir, f, d);
	case LEARN_DHCPACK:
	case LEARN_DHCPNAK:
		return decide_dhcp_server(port, dir, f, d);
	case LEARN_DHCPOFFER:
		/* The client may take another offer, or none (libvirt learns from it). */
		return ignore(d, LEARN_DROP_DHCP_OFFER);
	default:
		return ignore(d, LEARN_DROP_DHCP_UNUSED);
	}
}

/* What both ARP and IPv4 learning need: mode any, still learning, sent by the VM. */
static enum learn_drop check_vm_sent(const struct learn_port *port, enum learn_dir dir,
				     const struct learn_frame *f)
{
	if (!port->is_learning)
		return LEARN_DROP_LEARNED;
	if (dir != LEARN_DIR_FROM_VM)
		return LEARN_DROP_WRONG_DIRECTION;
	return check_src_mac(port, f);
}

static int decide_arp(const struct learn_port *port, enum learn_dir dir,
		      const struct learn_frame *f, struct learn_decision *d)
{
	static const uint8_t zero[4] = { 0 };
	const struct learn_arp *a = &f->arp;
	enum learn_drop r;

	r = check_vm_sent(port, dir, f);
	if (r != LEARN_DROP_NONE)
		return ignore(d, r);
	if (a->op != 1 && a->op != 2)
		return ignore(d, LEARN_DROP_ARP_OP);
	if (memcmp(a->sha, port->vm_mac, 6) != 0)
		return ignore(d, LEARN_DROP_ARP_SHA);
	/* RFC 5227 2.1.1: a probe asks about an address the sender does not own yet. */
	if (memcmp(a->spa, zero, 4) == 0)
		return ignore(d, LEARN_DROP_ARP_PROBE);
	/* The target is never looked at: a request names the address the VM wants to reach. */
	r = learn_addr_check(a->spa);
	if (r != LEARN_DROP_NONE)
		return ignore(d, r);
	return verdict(d, LEARN_VERDICT_LEARN, LEARN_SOURCE_ARP, a->spa);
}

static int decide_ipv4(const struct learn_port *port, enum learn_dir dir,
		       const struct learn_frame *f, struct learn_decision *d)
{
	enum learn_drop r;

	r = check_vm_sent(port, dir, f);
	if (r != LEARN_DROP_NONE)
		return ignore(d, r);
	/* 0.0.0.0 (a DHCP client before its lease) fails here as ADDR_ZERO. */
	r = learn_addr_check(f->ipv4.src);
	if (r != LEARN_DROP_NONE)
		return ignore(d, r);
	return verdict(d, LEARN_VERDICT_LEARN, LEARN_SOURCE_IPV4, f->ipv4.src);
}

/* dhcp mode: why a frame that is not DHCP is of no use, as precisely as the parser knows. */
static enum learn_drop not_dhcp_reason(const struct learn_frame *f)
{
	if (f->l3 != LEARN_L3_IPV4)
		return f->l3 == LEARN_L3_ARP ? LEARN_DROP_MODE_DHCP : LEARN_DROP_OTHER_L3;
	if (f->ipv4.is_fragment)
		return LEARN_DROP_FRAGMENT;
	if (!f->is_udp)
		return LEARN_DROP_NOT_UDP;
	return LEARN_DROP_NOT_DHCP_PORT;
}

int learn_decide(const struct learn_port *port, enum learn_dir dir, const struct learn_frame *f,
		 struct learn_decision *ret)
{
	assert(port && f && ret);
	*ret = (struct learn_decision){ 0 };

	if (f->l3 == LEARN_L3_IPV4 && f->is_dhcp)
		return decide_dhcp(port, dir, f, ret);
	if (port->mode == LEARN_MODE_DHCP)
		return ignore(ret, not_dhcp_reason(f));
	switch (f->l3) {
	case LEARN_L3_ARP:
		return decide_arp(port, dir, f, ret);
	case LEARN_L3_IPV4:
		return decide_ipv4(port, dir, f, ret);
	default:
		return ignore(ret, LEARN_DROP_OTHER_L3);
	}
}

void learn_frame_port(const struct learn_frame *f, int *ret_ifindex, enum learn_dir *ret_dir,
		      int *ret_from)
{
	switch (f->origin) {
	case LEARN_ORIGIN_NETDEV_EGRESS:
		*ret_ifindex = *ret_from = f->outdev;
		*ret_dir = LEARN_DIR_FROM_VM;
		break;
	case LEARN_ORIGIN_NETDEV_INGRESS:
		*ret_ifindex = f->indev;
		*ret_dir = LEARN_DIR_TO_VM;
		*ret_from = 0;
		break;
	default:
		*ret_ifindex = f->outdev ? f->outdev : f->indev;
		*ret_dir = f->outdev ? LEARN_DIR_TO_VM : LEARN_DIR_FROM_VM;
		*ret_from = f->indev;
		break;
	}
}
