/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "learn/policy6.h"

#include <string.h>

static const uint8_t unspecified[16];

enum learn_drop learn6_addr_check(const uint8_t addr[16])
{
	static const uint8_t loopback[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	static const uint8_t discard[8] = { 0x01, 0x00 };

	if (memcmp(addr, unspecified, 16) == 0)
		return LEARN_DROP_ADDR_ZERO;
	if (memcmp(addr, loopback, 16) == 0)
		return LEARN_DROP_ADDR_LOOPBACK;
	if (addr[0] == 0xff)
		return LEARN_DROP_ADDR_MULTICAST;
	if (memcmp(addr, mapped, 12) == 0 || memcmp(addr, discard, 8) == 0)
		return LEARN_DROP_ADDR6_RESERVED;
	return LEARN_DROP_NONE;
}

bool learn6_is_link_local(const uint8_t addr[16])
{
	return addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80;
}

uint64_t learn6_duid_hash(const uint8_t *duid, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ duid[i]) * 0x100000001b3ull;
	return h;
}

static int ignore(struct learn6_decision *d, enum learn_drop reason)
{
	d->verdict = LEARN_VERDICT_IGNORE;
	d->reason = reason;
	return d->verdict;
}

static bool addr_in(const uint8_t (*list)[16], size_t n, const uint8_t addr[16])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(list[i], addr, 16) == 0)
			return true;
	return false;
}

/* One address the VM claims by itself (DAD, or a packet's source). */
static int claim(const struct learn6_port *port, const uint8_t addr[16], enum learn_source source,
		 struct learn6_decision *d)
{
	enum learn_drop why = learn6_addr_check(addr);

	if (why != LEARN_DROP_NONE)
		return ignore(d, why);
	/* dhcp mode: DHCPv6 never hands out link-local addresses, and the VM needs one to ask */
	if (port->mode == LEARN_MODE_DHCP && !learn6_is_link_local(addr))
		return ignore(d, LEARN_DROP_MODE_DHCP);
	d->verdict = LEARN_VERDICT_LEARN;
	d->source = source;
	d->n_items = 1;
	/* a known address whose kernel entry lapsed from disuse: put it back */
	d->items[0].verdict = addr_in(port->addrs, port->n_addrs, addr) ? LEARN_VERDICT_RENEW
									: LEARN_VERDICT_LEARN;
	memcpy(d->items[0].addr, addr, 16);
	return d->verdict;
}

static bool is_client_message(enum learn_dhcpv6_msg t)
{
	return t == LEARN_DHCPV6_SOLICIT || t == LEARN_DHCPV6_REQUEST || t == LEARN_DHCPV6_RENEW ||
	       t == LEARN_DHCPV6_REBIND || t == LEARN_DHCPV6_CONFIRM;
}

/* The VM's own DHCPv6: the exchanges it starts, and the addresses it gives back. */
static int from_vm_dhcpv6(const struct learn6_port *port, const struct learn_frame6 *v6,
			  struct learn6_decision *d)
{
	const struct learn_dhcpv6 *m = &v6->dhcp;

	if (v6->udp.dport != LEARN6_DHCP_SERVER_PORT)
		return ignore(d, LEARN_DROP_WRONG_DIRECTION);
	if (m->client_id_len == 0)
		return ignore(d, LEARN_DROP_DHCPV6_CLIENT_ID);
	d->xid = m->xid;
	d->duid_hash = learn6_duid_hash(m->client_id, m->client_id_len);
	if (is_client_message(m->msg_type)) {
		d->verdict = LEARN_VERDICT_RECORD_XID;
		return d->verdict;
	}
	if (m->msg_type != LEARN_DHCPV6_RELEASE && m->msg_type != LEARN_DHCPV6_DECLINE)
		return ignore(d, LEARN_DROP_DHCPV6_UNUSED);
	d->source = LEARN_SOURCE_DHCPV6;
	for (unsigned i = 0; i < m->n_ias; i++)
		for (unsigned k = 0; k < m->ias[i].n_addrs; k++) {
			const uint8_t *a = m->ias[i].addrs[k].addr;

			if (!addr_in(port->addrs, port->n_addrs, a))
				continue;
			d->items[d->n_items].verdict = LEARN_VERDICT_REMOVE;
			memcpy(d->items[d->n_items++].addr, a, 16);
		}
	if (d->n_items == 0)
		return ignore(d, LEARN_DROP_DHCP_NOT_OURS);
	d->verdict = LEARN_VERDICT_LEARN;
	return d->verdict;
}

static bool is_failure(bool has_status, uint16_t status)
{
	return has_status && status != 0; /* 0: Success (RFC 8415 21.13) */
}

/* A REPLY towards the VM. */
static int to_vm_dhcpv6(const struct learn6_port *port, const struct learn_frame6 *v6,
			struct learn6_decision *d)
{
	const struct learn_dhcpv6 *m = &v6->dhcp;
	const struct learn_xid *x;

	if (v6->udp.sport != LEARN6_DHCP_SERVER_PORT)
		return ignore(d, LEARN_DROP_WRONG_DIRECTION);
	if (m->msg_type == LEARN_DHCPV6_ADVERTISE)
		return ignore(d, LEARN_DROP_DHCPV6_ADVERTISE);
	if (m->msg_type != LEARN_DHCPV6_REPLY)
		return ignore(d, LEARN_DROP_DHCPV6_UNUSED);
	d->xid = m->xid;
	x = learn_xids_find(port->xids, m->xid);
	if (!x)
		return ignore(d, LEARN_DROP_DHCP_XID);
	if (m->client_id_len == 0 ||
	    learn6_duid_hash(m->client_id, m->client_id_len) != x->duid_hash)
		return ignore(d, LEARN_DROP_DHCPV6_CLIENT_ID);
	if (port->n_servers && !addr_in(port->servers, port->n_servers, v6->ip.src))
		return ignore(d, LEARN_DROP_DHCP_UNTRUSTED);
	if (is_failure(m->has_status, m->status))
		return ignore(d, LEARN_DROP_DHCPV6_STATUS);
	d->source = LEARN_SOURCE_DHCPV6;
	for (unsigned i = 0; i < m->n_ias; i++) {
		const struct learn6_ia *ia = &m->ias[i];

		if (is_failure(ia->has_status, ia->status))
			continue;
		for (unsigned k = 0; k < ia->n_addrs; k++) {
			const struct learn6_iaaddr *ia_addr = &ia->addrs[k];
			struct learn6_item *it = &d->items[d->n_items];
			bool is_ours = addr_in(port->addrs, port->n_addrs, ia_addr->addr);

			if (is_failure(ia_addr->has_status, ia_addr->status) ||
			    learn6_addr_check(ia_addr->addr) != LEARN_DROP_NONE)
				continue;
			if (ia_addr->valid_s == 0 && !is_ours)
				continue;
			it->verdict = ia_addr->valid_s == 0 ? LEARN_VERDICT_REMOVE
				      : is_ours             ? LEARN_VERDICT_RENEW
							    : LEARN_VERDICT_LEARN;
			it->has_lease = true;
			it->valid_s = ia_addr->valid_s;
			memcpy(it->addr, ia_addr->addr, 16);
			d->n_items++;
		}
	}
	if (d->n_items == 0)
		return ignore(d, LEARN_DROP_DHCPV6_STATUS);
	d->verdict = LEARN_VERDICT_LEARN;
	return d->verdict;
}

int learn6_decide(const struct learn6_port *port, enum learn_dir dir, const struct learn_frame *f,
		  struct learn6_decision *ret)
{
	const struct learn_frame6 *v6 = &f->v6;

	memset(ret, 0, sizeof(*ret));
	if (f->l3 != LEARN_L3_IPV6)
		return ignore(ret, LEARN_DROP_OTHER_L3);
	if (dir == LEARN_DIR_TO_VM)
		return v6->is_dhcpv6 ? to_vm_dhcpv6(port, v6, ret)
				     : ignore(ret, LEARN_DROP_WRONG_DIRECTION);
	if (!f->has_src_mac)
		return ignore(ret, LEARN_DROP_NO_SRC_MAC);
	if (memcmp(f->src_mac, port->vm_mac, 6) != 0)
		return ignore(ret, LEARN_DROP_SPOOFED_MAC);
	if (v6->is_dhcpv6)
		return from_vm_dhcpv6(port, v6, ret);
	if (v6->is_icmpv6 && v6->icmp.is_dad)
		return claim(port, v6->icmp.target, LEARN_SOURCE_DAD, ret);
	if (memcmp(v6->ip.src, unspecified, 16) == 0)
		return ignore(ret, LEARN_DROP_UNSPECIFIED_SOURCE);
	return claim(port, v6->ip.src, LEARN_SOURCE_IPV6, ret);
}
