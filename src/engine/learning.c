/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Learning: what a frame teaches a port (learn_decide), who owns an
 * address, leases and learning timeouts. A frame's effect on the rules
 * waits for the end of its capture read (engine_flush), so that a burst of
 * VMs learning is one transaction.
 */
#include "engine/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/addr.h"

ssize_t engine_addr_index(const struct engine_addr *v, size_t n, int family, const uint8_t *ip)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(v[i].ip, ip, family == 6 ? 16 : 4) == 0)
			return (ssize_t)i;
	return -1;
}

bool engine_binding_gives(const struct engine_port *p, int family, const uint8_t *ip)
{
	const struct filter_var *given =
		filter_params_find(&p->binding->ref.params, family == 6 ? "IPV6" : "IP");

	for (size_t k = 0; given && k < given->n_values; k++) {
		uint8_t v[16];

		if (ip_parse(family, given->values[k], v) == 0 &&
		    memcmp(v, ip, family == 6 ? 16 : 4) == 0)
			return true;
	}
	return false;
}

static ssize_t addr_index(const struct engine_port *p, const uint8_t ip[4])
{
	return engine_addr_index(p->addrs, p->n_addrs, 4, ip);
}

/* True when ip is among the values p's binding gives IP, or a filter does. */
static bool ip_is_given(const struct engine_port *p, const uint8_t ip[4])
{
	if (engine_binding_gives(p, 4, ip))
		return true;
	for (size_t k = 0; k < p->n_filter_given; k++)
		if (memcmp(p->filter_given[k], ip, 4) == 0)
			return true;
	return false;
}

struct engine_port *engine_ip_owner(const struct engine *e, const struct engine_port *self,
				    const uint8_t ip[4], bool *ret_is_learned)
{
	for (size_t i = 0; i < e->n_ports; i++) {
		struct engine_port *p = e->ports[i];

		if (p == self)
			continue;
		*ret_is_learned = addr_index(p, ip) >= 0;
		if (*ret_is_learned || ip_is_given(p, ip))
			return p;
	}
	return NULL;
}

const char *engine_ip_protected(const struct engine *e, const uint8_t (*bridge)[4], size_t n_bridge,
				const uint8_t ip[4])
{
	for (size_t i = 0; i < n_bridge; i++)
		if (memcmp(bridge[i], ip, 4) == 0)
			return "the bridge's own address";
	for (size_t i = 0; i < e->cfg.n_protected; i++)
		if (memcmp(e->protected_addrs[i], ip, 4) == 0)
			return "a protected address (protected_addresses)";
	for (size_t i = 0; i < e->n_ports; i++) {
		for (size_t k = 0; k < e->ports[i]->n_servers; k++)
			if (memcmp(e->ports[i]->servers[k], ip, 4) == 0)
				return "a trusted DHCP server's address (DHCPSERVER)";
		for (size_t k = 0; k < e->ports[i]->n_bridge_addrs; k++)
			if (memcmp(e->ports[i]->bridge_addrs[k], ip, 4) == 0)
				return "the bridge's own address";
	}
	return NULL;
}

static void lease_set(struct engine_addr *a, const struct learn_decision *dec, int64_t now)
{
	a->has_lease = dec->has_lease && dec->lease_s != LEARN_LEASE_INFINITE;
	a->lease_end = a->has_lease ? now + (int64_t)dec->lease_s : 0;
}

int engine_store_addr(const struct engine_port *p, const struct engine_addr *a,
		      enum engine_action_type type, struct engine_actions *out)
{
	struct engine_action act = { .type = type,
				     .port = strdup(p->binding->portdev),
				     .addr = *a };

	return act.port ? engine_act(out, &act) : -ENOMEM;
}

bool engine_claim_refused(const struct engine_port *p, enum learn_source source, const char *ip,
			  const struct engine_port *owner, const char *why,
			  struct engine_actions *out)
{
	if (owner)
		(void)engine_emit(out, ENGINE_EVENT_CONFLICT, p->binding->portdev,
				  p->binding->ref.filter,
				  "%s claims %s, which belongs to port %s: refused",
				  learn_source_name(source), ip, owner->binding->portdev);
	else if (why)
		(void)engine_emit(out, ENGINE_EVENT_CONFLICT, p->binding->portdev,
				  p->binding->ref.filter, "%s claims %s, %s: refused",
				  learn_source_name(source), ip, why);
	return owner || why;
}

void engine_stamp_learned(struct engine_port *p, const struct learn_frame *f)
{
	struct pending_event *ev = &p->events[p->n_events - 1];

	ev->has_timestamp = f->has_timestamp || f->is_timestamp_ours;
	ev->timestamp_us = f->timestamp_us;
	ev->latency_from = f->is_timestamp_ours ? "daemon" : "kernel";
}

static void learn_address(struct engine *e, struct engine_port *p, const struct learn_decision *dec,
			  const struct learn_frame *f, int64_t now, struct engine_actions *out)
{
	bool is_learned;
	const struct engine_port *owner = engine_ip_owner(e, p, dec->addr, &is_learned);
	const char *why_refused = engine_ip_protected(e, NULL, 0, dec->addr);
	struct engine_addr a = { .source = dec->source,
				 .has_server = dec->has_server_id,
				 .learned_at = now };
	char ip[IP_TEXT_MAX], server[IP_TEXT_MAX];
	int r;

	ipv4_format(dec->addr, ip);
	if (engine_claim_refused(p, dec->source, ip, owner, why_refused, out))
		return;
	memcpy(a.ip, dec->addr, 4);
	memcpy(a.server, dec->server_id, 4);
	lease_set(&a, dec, now);
	ipv4_format(a.server, server);
	/* no memory: forgotten as if never seen, the VM asks again */
	if (port_addr_add(p, &a) < 0)
		return;
	if (dec->source == LEARN_SOURCE_DHCP)
		r = port_pending_event(p, ENGINE_EVENT_LEARNED, ip,
				       "learned %s from a DHCP ACK of %s (lease %us); full rules "
				       "applied",
				       ip, a.has_server ? server : "?", dec->lease_s);
	else
		r = port_pending_event(p, ENGINE_EVENT_LEARNED, ip,
				       "learned %s from the VM's %s; full rules applied", ip,
				       learn_source_name(dec->source));
	if (r >= 0)
		engine_stamp_learned(p, f);
	(void)engine_store_addr(p, &a, ENGINE_ACT_STORE_ADDR, out);
	p->is_settling = true;
}

/* Forgets address i of the port; its rules follow at the flush. */
static void forget_address(struct engine_port *p, size_t i, enum engine_event_type type,
			   const char *why, struct engine_actions *out)
{
	char ip[IP_TEXT_MAX];

	ipv4_format(p->addrs[i].ip, ip);
	(void)engine_store_addr(p, &p->addrs[i], ENGINE_ACT_STORE_ADDR_DEL, out);
	p->addrs[i] = p->addrs[--p->n_addrs];
	/* learning again is known once the rules are compiled: the event says so then */
	(void)port_pending_event(p, type, ip, "%s %s%s", ip, why,
				 p->n_addrs == 0 && p->learns ? "; learning again" : "");
	p->is_settling = true;
}

void engine_ip_revoke(struct engine_port *owner, const uint8_t ip[4], const char *why,
		      struct engine_actions *out)
{
	ssize_t i = addr_index(owner, ip);

	if (i >= 0)
		forget_address(owner, (size_t)i, ENGINE_EVENT_CONFLICT, why, out);
}

void engine_ip_take(struct engine_port *owner, const uint8_t ip[4], const char *taker,
		    struct engine_actions *out)
{
	char why[96];

	snprintf(why, sizeof(why), "taken over by the binding of %s, which gives it", taker);
	engine_ip_revoke(owner, ip, why, out);
}

static void renew_address(struct engine_port *p, const struct learn_decision *dec, int64_t now,
			  struct engine_actions *out)
{
	ssize_t i = addr_index(p, dec->addr);
	char ip[IP_TEXT_MAX];

	if (i < 0)
		return;
	lease_set(&p->addrs[i], dec, now);
	p->addrs[i].source = LEARN_SOURCE_DHCP;
	ipv4_format(dec->addr, ip);
	(void)engine_store_addr(p, &p->addrs[i], ENGINE_ACT_STORE_ADDR, out);
	/* the kernel's timeout of the address moves with the lease */
	(void)port_pending_event(p, ENGINE_EVENT_RENEWED, ip, "lease of %s renewed for %us", ip,
				 dec->lease_s);
	p->is_settling = true;
}

/* A guest port declared a DHCP server (CTRL_DHCP_SERVER=yes): its replies teach. */
static bool is_dhcp_server_port(const struct engine_port *p)
{
	const struct filter_var *v =
		filter_params_find(&p->binding->ref.params, "CTRL_DHCP_SERVER");

	return v && v->n_values &&
	       (strcmp(v->values[0], "yes") == 0 || strcmp(v->values[0], "true") == 0 ||
		strcmp(v->values[0], "1") == 0);
}

/*
 * Whether a DHCP reply that entered the bridge at from_ifindex may teach p:
 * not from p itself (hairpin), and not from another guest port unless it
 * is declared a server. 0 is a place the capture cannot name (a macvtap's
 * lower device): outside, trusted as the uplink is.
 */
bool engine_is_trusted_place(const struct engine *e, const struct engine_port *p, int from_ifindex)
{
	const struct engine_port *from;

	if (from_ifindex == 0)
		return true;
	if (from_ifindex == p->ifindex)
		return false;
	from = engine_port_by_ifindex(e, from_ifindex);
	return !from || is_dhcp_server_port(from);
}

/* What the engine adds to the policy's verdict, which sees one port: trust, use, limits. */
static enum learn_drop engine_verdict(const struct engine *e, const struct engine_port *p,
				      enum learn_dir dir, int from_ifindex,
				      const struct learn_decision *dec)
{
	bool is_dhcp_reply = dir == LEARN_DIR_TO_VM && dec->source == LEARN_SOURCE_DHCP;
	ssize_t i;

	switch (dec->verdict) {
	case LEARN_VERDICT_LEARN:
		if (is_dhcp_reply && !engine_is_trusted_place(e, p, from_ifindex))
			return LEARN_DROP_UNTRUSTED_PORT;
		if (p->n_addrs >= e->cfg.max_addrs)
			return LEARN_DROP_ADDR_LIMIT;
		return LEARN_DROP_NONE;
	case LEARN_VERDICT_RENEW:
		return is_dhcp_reply && !engine_is_trusted_place(e, p, from_ifindex)
			       ? LEARN_DROP_UNTRUSTED_PORT
			       : LEARN_DROP_NONE;
	case LEARN_VERDICT_REMOVE:
		if (is_dhcp_reply && !engine_is_trusted_place(e, p, from_ifindex))
			return LEARN_DROP_UNTRUSTED_PORT;
		i = addr_index(p, dec->addr);
		return i >= 0 && p->addrs[i].source != LEARN_SOURCE_DHCP
			       ? LEARN_DROP_NOT_DHCP_TAUGHT
			       : LEARN_DROP_NONE;
	default:
		return LEARN_DROP_NONE;
	}
}

int engine_frame(struct engine *e, const struct engine_frame_in *in, int64_t now,
		 struct engine_actions *out)
{
	struct engine_port *p = engine_port_by_ifindex(e, in->ifindex);
	struct learn_port view;
	struct learn_decision dec;
	enum learn_drop drop;
	uint8_t(*addrs)[4];
	ssize_t i;

	e->stats.n_records++;
	if (p && in->frame->l3 == LEARN_L3_IPV6 && p->learns6 && !p->is_blocked &&
	    p->purpose == APPLY_NONE)
		return engine_frame6(e, p, in, now, out);
	if (!p || !p->learns || p->is_blocked || p->purpose != APPLY_NONE) {
		e->stats.n_unknown_port++;
		return 0;
	}
	learn_xids_expire(&p->xids, now, LEARN_XID_MAX_AGE_S);
	view = (struct learn_port){
		.mode = p->learn_mode,
		.is_learning = p->state == ENGINE_PORT_LEARNING && !p->is_settling,
		.servers = (const uint8_t(*)[4])p->servers,
		.n_servers = p->n_servers,
		.xids = p->xids,
	};
	addrs = p->n_addrs ? calloc(p->n_addrs, sizeof(*addrs)) : NULL;
	memcpy(view.vm_mac, p->binding->mac, 6);
	for (size_t k = 0; addrs && k < p->n_addrs; k++)
		memcpy(addrs[k], p->addrs[k].ip, 4);
	view.addrs = (const uint8_t(*)[4])addrs;
	view.n_addrs = addrs ? p->n_addrs : 0;
	learn_decide(&view, in->dir, in->frame, &dec);
	free(addrs);
	drop = engine_verdict(e, p, in->dir, in->from_ifindex, &dec);
	if (drop != LEARN_DROP_NONE) {
		if (drop == LEARN_DROP_ADDR_LIMIT) {
			char ip[IP_TEXT_MAX];

			ipv4_format(dec.addr, ip);
			(void)engine_emit(out, ENGINE_EVENT_LIMIT, p->binding->portdev,
					  p->binding->ref.filter,
					  "%s not learned: the port holds %zu addresses, its limit",
					  ip, p->n_addrs);
		}
		dec.verdict = LEARN_VERDICT_IGNORE;
		dec.reason = drop;
	}
	/* one exchange teaches, renews or removes once */
	if (in->dir == LEARN_DIR_TO_VM && dec.source == LEARN_SOURCE_DHCP &&
	    (dec.verdict == LEARN_VERDICT_LEARN || dec.verdict == LEARN_VERDICT_RENEW ||
	     dec.verdict == LEARN_VERDICT_REMOVE))
		learn_xids_forget(&p->xids, dec.xid);
	e->stats.verdicts[dec.verdict]++;
	switch (dec.verdict) {
	case LEARN_VERDICT_IGNORE:
		e->stats.drops[dec.reason]++;
		break;
	case LEARN_VERDICT_RECORD_XID:
		learn_xids_record(&p->xids, dec.xid, dec.addr, now);
		break;
	case LEARN_VERDICT_LEARN:
		learn_address(e, p, &dec, in->frame, now, out);
		break;
	case LEARN_VERDICT_RENEW:
		renew_address(p, &dec, now, out);
		break;
	case LEARN_VERDICT_REMOVE:
		i = addr_index(p, dec.addr);
		if (i >= 0)
			forget_address(p, (size_t)i, ENGINE_EVENT_ADDRESS_REMOVED,
				       "released or refused by DHCP", out);
		break;
	default:
		break;
	}
	return 0;
}

/* The rules of every port whose addresses changed, in one batch. */
int engine_flush(struct engine *e, int64_t now, struct engine_actions *out)
{
	for (size_t i = 0; i < e->n_ports; i++)
		if (e->ports[i]->is_settling)
			(void)port_settle_now(e, e->ports[i], now, out);
	return 0;
}

/* Learning failed: the port drops everything until relearn (libvirt leaves it open). */
static void port_block(struct engine *e, struct engine_port *p, const char *why, int64_t now,
		       struct engine_actions *out)
{
	p->is_blocked = true;
	free(p->note);
	p->note = strdup(why);
	(void)port_settle_now(e, p, now, out);
}

int engine_tick(struct engine *e, int64_t now, struct engine_actions *out)
{
	for (size_t i = 0; i < e->n_ports; i++) {
		struct engine_port *p = e->ports[i];

		if (p->purpose != APPLY_NONE)
			continue;
		for (size_t k = p->n_addrs; k-- > 0;)
			if (p->addrs[k].has_lease && p->addrs[k].lease_end <= now)
				forget_address(p, k, ENGINE_EVENT_EXPIRED,
					       "expired (the lease ended without renewal)", out);
		engine_tick6(p, now, out);
		if (p->state == ENGINE_PORT_LEARNING && !p->is_settling && p->learn_timeout_s > 0 &&
		    now - p->learning_since >= p->learn_timeout_s) {
			char why[128];

			snprintf(why, sizeof(why), "no address learned within %d s",
				 p->learn_timeout_s);
			port_block(e, p, why, now, out);
		}
	}
	return 0;
}

int engine_relearn(struct engine *e, const char *name, int64_t now, struct engine_actions *out)
{
	struct engine_port *p = engine_port_lookup(e, name);
	struct engine_action clear = { .type = ENGINE_ACT_STORE_ADDRS_DEL };
	struct err err = { 0 };
	int r;

	if (!p) {
		r = err_set(&err, -ENOENT, "port %s is not bound", name);
		return engine_fail_input(out, r, &err);
	}
	if (!p->learns) {
		r = err_set(&err, -EINVAL,
			    "port %s does not learn its address: its binding gives IP", name);
		return engine_fail_input(out, r, &err);
	}
	clear.port = strdup(name);
	if (!clear.port || engine_act(out, &clear) < 0)
		return engine_fail_input(out, -ENOMEM, NULL);
	p->is_blocked = false;
	p->n_addrs = 0;
	memset(&p->xids, 0, sizeof(p->xids));
	free(p->note);
	p->note = NULL;
	p->state = ENGINE_PORT_NEW;
	(void)port_pending_event(p, ENGINE_EVENT_LEARNING, NULL,
				 "learning the IP address again (%s mode)",
				 p->learn_mode == LEARN_MODE_DHCP ? "dhcp" : "any");
	return port_settle_now(e, p, now, out);
}
