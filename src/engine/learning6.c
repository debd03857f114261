/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv6 learning (learn/policy6.h): what a frame teaches a port that learns
 * IPV6, who owns an IPv6 address, leases, and addresses that lapse unused.
 * The port's state is IPv4's; IPv6 addresses come and go while it is
 * active, each one a new rule set applied at the flush, as for IPv4.
 */
#include "engine/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "learn/policy6.h"
#include "util/addr.h"

static void forget6(struct engine_port *p, size_t i, enum engine_event_type type, const char *why,
		    struct engine_actions *out);

static ssize_t addr6_index(const struct engine_port *p, const uint8_t ip[16])
{
	return engine_addr_index(p->addrs6, p->n_addrs6, 6, ip);
}

struct engine_port *engine_ip6_owner(const struct engine *e, const struct engine_port *self,
				     const uint8_t ip[16])
{
	for (size_t i = 0; i < e->n_ports; i++) {
		struct engine_port *p = e->ports[i];

		if (p != self && (addr6_index(p, ip) >= 0 || engine_binding_gives(p, 6, ip)))
			return p;
	}
	return NULL;
}

const char *engine_ip6_protected(const struct engine *e, const uint8_t ip[16])
{
	for (size_t i = 0; i < e->n_bridges6; i++)
		for (size_t k = 0; k < e->bridges6[i].n; k++)
			if (memcmp(e->bridges6[i].addrs[k], ip, 16) == 0)
				return "an address of a bridge";
	for (size_t i = 0; i < e->cfg.n_protected6; i++)
		if (memcmp(e->protected6[i], ip, 16) == 0)
			return "a protected address (protected_addresses)";
	return NULL;
}

/*
 * A bridge's IPv6 addresses, read when one of its ports is bound and when
 * they change: the host's (the router's, when it advertises) are nobody's,
 * and a guest that learned one loses it.
 */
int engine_bridge_addrs6(struct engine *e, int bridge, const uint8_t (*addrs)[16], size_t n,
			 struct engine_actions *out)
{
	struct engine_bridge6 *b = NULL;
	uint8_t(*copy)[16] = n ? calloc(n, sizeof(*copy)) : NULL;

	if (n && !copy)
		return engine_fail_input(out, -ENOMEM, NULL);
	if (n)
		memcpy(copy, addrs, n * sizeof(*copy));
	for (size_t i = 0; i < e->n_bridges6 && !b; i++)
		if (e->bridges6[i].ifindex == bridge)
			b = &e->bridges6[i];
	if (!b) {
		struct engine_bridge6 *grown =
			realloc(e->bridges6, (e->n_bridges6 + 1) * sizeof(*grown));

		if (!grown) {
			free(copy);
			return engine_fail_input(out, -ENOMEM, NULL);
		}
		e->bridges6 = grown;
		b = &e->bridges6[e->n_bridges6++];
		*b = (struct engine_bridge6){ .ifindex = bridge };
	}
	free(b->addrs);
	b->addrs = copy;
	b->n = n;
	for (size_t i = 0; i < e->n_ports; i++) {
		struct engine_port *p = e->ports[i];

		for (size_t k = p->n_addrs6; k-- > 0;)
			if (engine_ip6_protected(e, p->addrs6[k].ip))
				forget6(p, k, ENGINE_EVENT_CONFLICT, "now an address of a bridge",
					out);
	}
	return 0;
}

int port_servers6(struct engine_port *p, struct err *err)
{
	const struct filter_var *v = filter_params_find(&p->binding->ref.params, "DHCPSERVERV6");
	uint8_t(*list)[16] = NULL;

	if (v && v->n_values) {
		list = calloc(v->n_values, sizeof(*list));
		if (!list)
			return err_set(err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < v->n_values; i++)
			if (ipv6_parse(v->values[i], list[i]) < 0) {
				free(list);
				return err_set(err, -EINVAL,
					       "port %s: DHCPSERVERV6 '%s' is not an IPv6 address",
					       p->binding->portdev, v->values[i]);
			}
	}
	free(p->servers6);
	p->servers6 = list;
	p->n_servers6 = list ? v->n_values : 0;
	return 0;
}

static void set_lease(struct engine_addr *a, const struct learn6_item *it, int64_t now)
{
	a->has_lease = it->has_lease && it->valid_s != LEARN_LEASE_INFINITE;
	a->lease_end = a->has_lease ? now + (int64_t)it->valid_s : 0;
}

static void forget6(struct engine_port *p, size_t i, enum engine_event_type type, const char *why,
		    struct engine_actions *out)
{
	char ip[IP_TEXT_MAX];

	ipv6_format(p->addrs6[i].ip, ip);
	(void)engine_store_addr(p, &p->addrs6[i], ENGINE_ACT_STORE_ADDR_DEL, out);
	p->addrs6[i] = p->addrs6[--p->n_addrs6];
	(void)port_pending_event(p, type, ip, "%s %s", ip, why);
	p->is_settling = true;
}

static void learn6(struct engine *e, struct engine_port *p, const struct learn6_decision *dec,
		   const struct learn6_item *it, const struct learn_frame *f, int64_t now,
		   struct engine_actions *out)
{
	const struct engine_port *owner = engine_ip6_owner(e, p, it->addr);
	const char *why_refused = engine_ip6_protected(e, it->addr);
	struct engine_addr a = {
		.is_ipv6 = true, .source = dec->source, .learned_at = now, .refreshed_at = now
	};
	char ip[IP_TEXT_MAX];
	int r;

	ipv6_format(it->addr, ip);
	if (engine_claim_refused(p, dec->source, ip, owner, why_refused, out))
		return;
	if (p->n_addrs6 >= e->cfg.max_addrs) {
		(void)engine_emit(out, ENGINE_EVENT_LIMIT, p->binding->portdev,
				  p->binding->ref.filter,
				  "%s not learned: the port holds %zu IPv6 addresses, its limit",
				  ip, p->n_addrs6);
		e->stats.drops[LEARN_DROP_ADDR_LIMIT]++;
		return;
	}
	memcpy(a.ip, it->addr, 16);
	set_lease(&a, it, now);
	if (port_addr_add(p, &a) < 0)
		return;
	if (dec->source == LEARN_SOURCE_DHCPV6)
		r = port_pending_event(p, ENGINE_EVENT_LEARNED, ip,
				       "learned %s from a DHCPv6 REPLY (valid %us); rules applied",
				       ip, it->valid_s);
	else
		r = port_pending_event(p, ENGINE_EVENT_LEARNED, ip,
				       "learned %s from the VM's %s; rules applied", ip,
				       learn_source_name(dec->source));
	if (r >= 0)
		engine_stamp_learned(p, f);
	(void)engine_store_addr(p, &a, ENGINE_ACT_STORE_ADDR, out);
	p->is_settling = true;
}

static void renew6(struct engine_port *p, const struct learn6_decision *dec,
		   const struct learn6_item *it, int64_t now, struct engine_actions *out)
{
	ssize_t i = addr6_index(p, it->addr);
	char ip[IP_TEXT_MAX];

	if (i < 0)
		return;
	p->addrs6[i].refreshed_at = now;
	if (dec->source == LEARN_SOURCE_DHCPV6) {
		set_lease(&p->addrs6[i], it, now);
		p->addrs6[i].source = LEARN_SOURCE_DHCPV6;
		ipv6_format(it->addr, ip);
		(void)engine_store_addr(p, &p->addrs6[i], ENGINE_ACT_STORE_ADDR, out);
		(void)port_pending_event(p, ENGINE_EVENT_RENEWED, ip, "lease of %s renewed for %us",
					 ip, it->valid_s);
	}
	/* either way its kernel entry is put back with a fresh idle time */
	p->is_settling = true;
}

int engine_frame6(struct engine *e, struct engine_port *p, const struct engine_frame_in *in,
		  int64_t now, struct engine_actions *out)
{
	uint8_t(*addrs)[16] = p->n_addrs6 ? calloc(p->n_addrs6, sizeof(*addrs)) : NULL;
	struct learn6_port view = { .mode = p->learn_mode,
				    .servers = (const uint8_t(*)[16])p->servers6,
				    .n_servers = p->n_servers6,
				    .xids = &p->xids6 };
	struct learn6_decision dec;

	if (p->n_addrs6 && !addrs)
		return 0; /* forgotten as if never seen: the VM sends again */
	learn_xids_expire(&p->xids6, now, LEARN_XID_MAX_AGE_S);
	memcpy(view.vm_mac, p->binding->mac, 6);
	for (size_t k = 0; k < p->n_addrs6; k++)
		memcpy(addrs[k], p->addrs6[k].ip, 16);
	view.addrs = (const uint8_t(*)[16])addrs;
	view.n_addrs = p->n_addrs6;
	learn6_decide(&view, in->dir, in->frame, &dec);
	free(addrs);
	/* a REPLY teaches only from the uplink, the host, or a port declared a server */
	if (dec.verdict == LEARN_VERDICT_LEARN && in->dir == LEARN_DIR_TO_VM &&
	    !engine_is_trusted_place(e, p, in->from_ifindex)) {
		dec.verdict = LEARN_VERDICT_IGNORE;
		dec.reason = LEARN_DROP_UNTRUSTED_PORT;
	}
	if (dec.verdict == LEARN_VERDICT_LEARN && in->dir == LEARN_DIR_TO_VM)
		learn_xids_forget(&p->xids6, dec.xid);
	e->stats.verdicts[dec.verdict]++;
	switch (dec.verdict) {
	case LEARN_VERDICT_IGNORE:
		e->stats.drops[dec.reason]++;
		break;
	case LEARN_VERDICT_RECORD_XID:
		learn_xids_record(&p->xids6, dec.xid, (const uint8_t[4]){ 0 }, now)->duid_hash =
			dec.duid_hash;
		break;
	case LEARN_VERDICT_LEARN:
		for (size_t i = 0; i < dec.n_items; i++) {
			const struct learn6_item *it = &dec.items[i];
			ssize_t k;

			if (it->verdict == LEARN_VERDICT_LEARN)
				learn6(e, p, &dec, it, in->frame, now, out);
			else if (it->verdict == LEARN_VERDICT_RENEW)
				renew6(p, &dec, it, now, out);
			else if ((k = addr6_index(p, it->addr)) >= 0 &&
				 p->addrs6[k].source == LEARN_SOURCE_DHCPV6)
				forget6(p, (size_t)k, ENGINE_EVENT_ADDRESS_REMOVED,
					"released, declined or ended by DHCPv6", out);
			else
				e->stats.drops[LEARN_DROP_NOT_DHCP_TAUGHT]++;
		}
		break;
	default:
		break;
	}
	return 0;
}

void engine_tick6(struct engine_port *p, int64_t now, struct engine_actions *out)
{
	for (size_t k = p->n_addrs6; k-- > 0;)
		if (p->addrs6[k].has_lease && p->addrs6[k].lease_end <= now)
			forget6(p, k, ENGINE_EVENT_EXPIRED,
				"expired (its DHCPv6 valid lifetime ended without renewal)", out);
}

static int cmp_present(const void *a, const void *b)
{
	const struct engine_addr6_present *x = a, *y = b;
	int r = strcmp(x->port, y->port);

	return r ? r : memcmp(x->ip, y->ip, 16);
}

static bool is_present(const struct engine_addr6_present *sorted, size_t n, const char *port,
		       const uint8_t ip[16])
{
	struct engine_addr6_present key = { 0 };

	if (strlen(port) >= sizeof(key.port))
		return false;
	strcpy(key.port, port);
	memcpy(key.ip, ip, 16);
	return n && bsearch(&key, sorted, n, sizeof(*sorted), cmp_present);
}

/*
 * The kernel's gate holds what was used within the idle time; an address
 * taught by DAD or traffic that is no longer there lapsed, unless it went
 * in after the listing was taken (refreshed within the idle time). DHCPv6
 * addresses end with their lifetimes instead.
 */
int engine_addr6_present(struct engine *e, const struct engine_addr6_present *v, size_t n,
			 int64_t now, struct engine_actions *out)
{
	/* a copy, sorted: every long-lived address is looked up at every listing */
	struct engine_addr6_present *sorted = n ? malloc(n * sizeof(*sorted)) : NULL;
	char why[96];

	if (n && !sorted)
		return engine_fail_input(out, -ENOMEM, NULL);
	if (n) {
		memcpy(sorted, v, n * sizeof(*sorted));
		qsort(sorted, n, sizeof(*sorted), cmp_present);
	}
	snprintf(why, sizeof(why), "lapsed: unused for %d s", e->cfg.ipv6_idle_s);
	for (size_t i = 0; i < e->n_ports; i++) {
		struct engine_port *p = e->ports[i];

		if (!p->learns6 || p->purpose != APPLY_NONE)
			continue;
		for (size_t k = p->n_addrs6; k-- > 0;) {
			const struct engine_addr *a = &p->addrs6[k];

			if (a->source != LEARN_SOURCE_DHCPV6 &&
			    now - a->refreshed_at >= e->cfg.ipv6_idle_s &&
			    !is_present(sorted, n, p->binding->portdev, a->ip))
				forget6(p, k, ENGINE_EVENT_EXPIRED, why, out);
		}
	}
	free(sorted);
	return 0;
}
