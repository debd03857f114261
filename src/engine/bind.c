/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Bindings: create and delete on request, restore at start-up, and follow
 * the links they are bound to (gone, renamed, replaced, missed by a
 * listing).
 */
#include "engine/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fw/record.h"
#include "learn/policy6.h"
#include "util/addr.h"
#include "util/cleanup.h"

static int port_new(struct binding *b, int64_t now, struct engine_port **ret)
{
	struct engine_port *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->binding = b;
	p->created_at = now;
	*ret = p;
	return 0;
}

/* want when no port uses it (the caller asked the kernel too), else the smallest free id. */
static unsigned allocate_port_id(const struct engine *e, unsigned want)
{
	struct fw_port_ids used = { 0 };

	for (size_t i = 0; i < e->n_ports; i++)
		fw_port_ids_add(&used, e->ports[i]->port_id);
	return fw_port_ids_pick(&used, want);
}

/*
 * The addresses a new binding gives: none may be protected or given to
 * another port (refused, naming the owner). One a guest learned is taken
 * from it once the binding is in (take_given): the administrator's word
 * beats a guest's claim, so squatting cannot keep an address from its owner.
 */
static int check_given(struct engine *e, const struct binding *b, const uint8_t (*bridge)[4],
		       size_t n_bridge, struct err *err)
{
	const struct filter_var *given = filter_params_find(&b->ref.params, "IP");

	for (size_t k = 0; given && k < given->n_values; k++) {
		const char *text = given->values[k], *why;
		struct engine_port *owner;
		bool is_learned;
		uint8_t ip[4];

		if (ipv4_parse(text, ip) < 0)
			continue; /* not an address of its own: the compiler says what it is */
		why = engine_ip_protected(e, bridge, n_bridge, ip);
		if (why)
			return err_set(err, -EADDRINUSE, "cannot bind port %s: IP %s is %s",
				       b->portdev, text, why);
		owner = engine_ip_owner(e, NULL, ip, &is_learned);
		if (owner && !is_learned)
			return err_set(err, -EADDRINUSE,
				       "cannot bind port %s: IP %s is given to port %s already",
				       b->portdev, text, owner->binding->portdev);
	}
	return 0;
}

/* The bound port p takes the addresses it is given from the ports that learned them. */
static void take_given(struct engine *e, const struct engine_port *p, struct engine_actions *out)
{
	const struct filter_var *given = filter_params_find(&p->binding->ref.params, "IP");

	for (size_t k = 0; given && k < given->n_values; k++) {
		struct engine_port *owner;
		bool is_learned;
		uint8_t ip[4];

		if (ipv4_parse(given->values[k], ip) == 0 &&
		    (owner = engine_ip_owner(e, p, ip, &is_learned)) && is_learned)
			engine_ip_take(owner, ip, p->binding->portdev, out);
	}
}

/*
 * A create refused once its port was found: the port goes down (the VM
 * must not run unguarded; libvirt fails its start), unless asked otherwise.
 */
static int bind_failed(struct engine_actions *out, const char *port, bool keeps_up, int r,
		       struct err *err)
{
	struct engine_action down = { .type = ENGINE_ACT_SET_DOWN, .port = strdup(port) };
	size_t len;

	if (keeps_up) {
		free(down.port);
		return engine_fail_input(out, r, err->code ? err : NULL);
	}
	if (!err->code)
		err_set(err, r, "cannot bind port %s: %s", port, strerror(-r));
	len = strlen(err->msg);
	snprintf(err->msg + len, sizeof(err->msg) - len, "; port %s set down", port);
	(void)engine_act(out, &down);
	return engine_fail_input(out, r, err);
}

/*
 * Addresses a port learned on another host, for a live migration: in force
 * at once, without learning again, if each would have been learned here (not
 * another port's, not protected, not the bridge's, within max_addresses); a
 * lease that ended meanwhile is dropped. Only a binding that learns takes
 * them: a given IP says which addresses the port has.
 */
static int take_imported(struct engine *e, struct engine_port *p, const struct engine_input *in,
			 int64_t now, struct err *err)
{
	const char *port = p->binding->portdev;
	char ip[IP_TEXT_MAX];
	bool is_learned;

	if (in->bind.n_imported && filter_params_find(&p->binding->ref.params, "IP"))
		return err_set(err, -EINVAL,
			       "cannot bind port %s: its binding gives IP, so it takes no learned "
			       "addresses",
			       port);
	for (size_t i = 0; i < in->bind.n_imported; i++) {
		const struct engine_addr *a = &in->bind.imported[i];
		const struct engine_port *owner =
			a->is_ipv6 ? engine_ip6_owner(e, p, a->ip)
				   : engine_ip_owner(e, p, a->ip, &is_learned);
		const char *why = a->is_ipv6 ? engine_ip6_protected(e, a->ip)
					     : engine_ip_protected(e, in->bind.bridge_addrs,
								   in->bind.n_bridge_addrs, a->ip);
		enum learn_drop never =
			a->is_ipv6 ? learn6_addr_check(a->ip) : learn_addr_check(a->ip);

		ip_format(a->is_ipv6 ? 6 : 4, a->ip, ip);
		if (owner)
			return err_set(err, -EADDRINUSE,
				       "cannot bind port %s: its learned address %s belongs to "
				       "port %s",
				       port, ip, owner->binding->portdev);
		if (!why && never != LEARN_DROP_NONE)
			why = learn_drop_name(never);
		if (!why && a->is_ipv6 && filter_params_find(&p->binding->ref.params, "IPV6"))
			why = "its binding gives IPV6";
		if (why)
			return err_set(err, -EINVAL,
				       "cannot bind port %s: its learned address %s is refused: %s",
				       port, ip, why);
		if (a->has_lease && a->lease_end <= now)
			continue;
		if ((a->is_ipv6 ? p->n_addrs6 : p->n_addrs) >= e->cfg.max_addrs)
			return err_set(err, -E2BIG,
				       "cannot bind port %s: more learned addresses than "
				       "max_addresses (%zu)",
				       port, e->cfg.max_addrs);
		if (port_addr_add(p, a) < 0)
			return -ENOMEM;
	}
	return 0;
}

int engine_bind(struct engine *e, const struct engine_input *in, int64_t now,
		struct engine_actions *out)
{
	_cleanup_(binding_freep) struct binding *b = in->bind.binding;
	const bool keeps_up = in->bind.keeps_up_on_failure;
	struct engine_port *p = NULL;
	struct fw_port *compiled = NULL;
	enum engine_port_state state = ENGINE_PORT_NEW;
	struct err err = { 0 };
	char name[IFNAMSIZ];
	int r;

	if (engine_port_lookup(e, b->portdev)) {
		r = err_set(&err, -EEXIST, "port %s is already bound (delete its binding first)",
			    b->portdev);
		return engine_fail_input(out, r, &err);
	}
	if (in->bind.is_ctl_port) {
		r = err_set(&err, -EBUSY,
			    "port %s has rules from 'vifguardctl apply'; remove them first "
			    "(vifguardctl remove %s)",
			    b->portdev, b->portdev);
		return engine_fail_input(out, r, &err);
	}
	if (!in->bind.has_link) {
		r = in->bind.link_error < 0 ? in->bind.link_error : -ENODEV;
		if (r == -ENODEV)
			err_set(&err, r, "cannot bind port %s: no such interface (VM not started?)",
				b->portdev);
		else
			err_set(&err, r, "cannot bind port %s: %s", b->portdev, strerror(-r));
		return engine_fail_input(out, r, &err);
	}
	if (engine_port_attach(b, &in->bind.link) == FW_ATTACH_BRIDGE && in->bind.link.master == 0)
		r = err_set(&err, -EINVAL,
			    "cannot bind port %s: it is on no bridge, where no rule would see its "
			    "frames (attach it to its bridge first; a macvtap is bound as it is)",
			    b->portdev);
	else
		r = check_given(e, b, in->bind.bridge_addrs, in->bind.n_bridge_addrs, &err);
	if (r < 0)
		return bind_failed(out, b->portdev, keeps_up, r, &err);
	r = port_new(b, now, &p);
	if (r < 0)
		return engine_fail_input(out, r, NULL);
	b = NULL;
	p->ifindex = in->bind.link.ifindex;
	p->master = in->bind.link.master;
	p->attach = engine_port_attach(p->binding, &in->bind.link);
	memcpy(p->mac, in->bind.link.mac, sizeof(p->mac));
	p->port_id = allocate_port_id(e, in->bind.port_id);
	r = port_set_bridge_addrs(p, in->bind.bridge_addrs, in->bind.n_bridge_addrs);
	if (r < 0) {
		engine_port_free(p);
		return engine_fail_input(out, r, NULL);
	}
	p->keeps_up_on_failure = keeps_up;
	r = take_imported(e, p, in, now, &err);
	if (r >= 0)
		r = port_compile(e, e->filters, p, now, &compiled, &state, &err);
	if (r >= 0)
		r = engine_port_insert(e, p);
	if (r < 0) {
		snprintf(name, sizeof(name), "%s", p->binding->portdev);
		fw_port_free(compiled);
		engine_port_free(p);
		return r == -ENOMEM ? engine_fail_input(out, r, NULL)
				    : bind_failed(out, name, keeps_up, r, &err);
	}
	if (state == ENGINE_PORT_LEARNING &&
	    port_pending_event(p, ENGINE_EVENT_LEARNING, NULL,
			       "learning the IP address (%s mode%s)",
			       p->learn_mode == LEARN_MODE_DHCP ? "dhcp" : "any",
			       p->n_servers ? ", trusted DHCP servers only" : "") < 0)
		r = -ENOMEM;
	/* the intent first: a crash after the kernel change is repaired at the next start */
	if (r >= 0)
		r = port_store_binding(p, ENGINE_PORT_NEW, out);
	for (size_t i = 0; r >= 0 && i < p->n_addrs && in->bind.n_imported; i++)
		r = engine_store_addr(p, &p->addrs[i], ENGINE_ACT_STORE_ADDR, out);
	if (r >= 0)
		take_given(e, p, out);
	if (r >= 0)
		return port_request_apply(p, compiled, APPLY_CREATE, state, out);
	fw_port_free(compiled);
	engine_port_free(engine_port_take(e, p->binding->portdev));
	return engine_fail_input(out, -ENOMEM, NULL);
}

int engine_unbind(struct engine *e, const char *name, struct engine_actions *out)
{
	struct engine_port *p = engine_port_lookup(e, name);
	struct err err = { 0 };
	int r;

	if (!p) {
		r = err_set(&err, -ENOENT, "port %s is not bound", name);
		return engine_fail_input(out, r, &err);
	}
	r = port_remove(e, p, out);
	if (r >= 0)
		r = engine_emit(out, ENGINE_EVENT_BINDING_DELETED, name, p->binding->ref.filter,
				"binding removed, the port is unfiltered");
	engine_port_free(engine_port_take(e, name));
	return r;
}

static void port_gone(struct engine *e, struct engine_port *p, const char *why,
		      struct engine_actions *out)
{
	(void)port_remove(e, p, out);
	(void)engine_emit(out, ENGINE_EVENT_PORT_GONE, p->binding->portdev, p->binding->ref.filter,
			  "%s: binding and rules removed", why);
	engine_port_free(engine_port_take(e, p->binding->portdev));
}

int engine_link_gone(struct engine *e, int ifindex, struct engine_actions *out)
{
	struct engine_port *p = engine_port_by_ifindex(e, ifindex);

	if (p)
		port_gone(e, p, "the port disappeared", out);
	return 0;
}

int engine_link_dump(struct engine *e, const int *ifindexes, size_t n, struct engine_actions *out)
{
	for (size_t i = e->n_ports; i-- > 0;) {
		bool is_seen = false;

		for (size_t k = 0; k < n && !is_seen; k++)
			is_seen = ifindexes[k] == e->ports[i]->ifindex;
		if (!is_seen)
			port_gone(e, e->ports[i], "the port disappeared", out);
	}
	return 0;
}

/* A rename follows the port: its elements are keyed by name, so they are re-keyed atomically. */
static int port_rename(struct engine *e, struct engine_port *p, const char *name, int64_t now,
		       struct engine_actions *out)
{
	_cleanup_free_ char *old_name = strdup(p->binding->portdev);
	char *new_name = strdup(name);
	struct engine_action unbind = { .type = ENGINE_ACT_STORE_UNBIND };

	if (!old_name || !new_name) {
		free(new_name);
		return -ENOMEM;
	}
	unbind.port = strdup(old_name);
	p = engine_port_take(e, old_name);
	free(p->binding->portdev);
	p->binding->portdev = new_name;
	if (engine_port_insert(e, p) < 0) {
		/* the slot it had was just freed: cannot fail for memory; for safety, drop it */
		port_gone(e, p, "out of memory", out);
		free(unbind.port);
		return -ENOMEM;
	}
	(void)engine_act(out, &unbind);
	(void)port_store_binding(p, p->state, out);
	(void)port_pending_event(p, ENGINE_EVENT_PORT_RENAMED, NULL, "renamed from %s", old_name);
	return port_settle_now(e, p, now, out);
}

/*
 * Why the port must be quarantined as link now is (a text), or NULL. A
 * guest can change its port's MAC (macvtap with trustGuestRxFilters); a
 * port off its bridge is seen by no bridge hook.
 */
static const char *quarantine_reason(const struct engine_port *p, const struct link_info *link,
				     char *buf, size_t size)
{
	char now[MAC_TEXT_MAX], bound[MAC_TEXT_MAX];

	if (link->has_mac && memcmp(p->mac, link->mac, sizeof(p->mac)) != 0) {
		mac_format(link->mac, now);
		mac_format(p->mac, bound);
		snprintf(buf, size, "the port's MAC address changed to %s (bound with %s)", now,
			 bound);
		return buf;
	}
	if (p->attach == FW_ATTACH_BRIDGE && link->master == 0) {
		snprintf(buf, size, "the port left its bridge");
		return buf;
	}
	return NULL;
}

int engine_link(struct engine *e, const struct link_info *link, int64_t now,
		struct engine_actions *out)
{
	struct engine_port *p = engine_port_by_ifindex(e, link->ifindex);
	char why[128];

	if (!p)
		return 0;
	p->master = link->master;
	(void)port_set_quarantine(e, p, quarantine_reason(p, link, why, sizeof(why)), now, out);
	if (strcmp(p->binding->portdev, link->name) != 0)
		return port_rename(e, p, link->name, now, out);
	return 0;
}

int engine_bridge_addrs(struct engine *e, int bridge, const uint8_t (*addrs)[4], size_t n,
			struct engine_actions *out)
{
	bool has_ports = false;

	for (size_t i = 0; i < e->n_ports; i++) {
		if (e->ports[i]->master != bridge || bridge == 0)
			continue;
		has_ports = true;
		if (port_set_bridge_addrs(e->ports[i], addrs, n) < 0)
			return engine_fail_input(out, -ENOMEM, NULL);
	}
	/* an address the host took after a guest learned it is the host's now */
	for (size_t k = 0; has_ports && k < n; k++)
		for (size_t i = 0; i < e->n_ports; i++)
			engine_ip_revoke(e->ports[i], addrs[k], "now an address of the bridge",
					 out);
	return 0;
}

/*
 * One stored binding at start-up: if the port is gone or was replaced, the
 * binding goes; if its rules in the kernel are already right, nothing is
 * touched; otherwise they are applied (replacing what the record says is
 * there, or added afresh after a reboot); if that fails, the port goes down.
 */
int engine_restore(struct engine *e, const struct engine_restore *in, int64_t now,
		   struct engine_actions *out)
{
	struct fw_record *record = in->record;
	struct fw_port *compiled = NULL;
	enum engine_port_state state = ENGINE_PORT_ACTIVE;
	char why[128];
	struct engine_port *p = NULL;
	struct err err = { 0 };
	int r;

	r = port_new(in->binding, in->created_at, &p);
	if (r < 0) {
		binding_free(in->binding);
		fw_record_free(record);
		return r;
	}
	p->port_id = in->port_id;
	p->ifindex = in->ifindex;
	if (in->has_mac)
		memcpy(p->mac, in->mac, sizeof(p->mac));
	p->record = record;
	p->state = ENGINE_PORT_ACTIVE;
	p->is_blocked = record && strcmp(record->template_id, FW_TEMPLATE_BLOCKED) == 0;
	p->learning_since = in->was_learning ? in->learning_since : now;
	p->note = engine_strdup(in->failed_reason);
	for (size_t i = 0; i < in->n_addrs && r >= 0; i++)
		r = port_addr_add(p, &in->addrs[i]);
	if (r >= 0)
		r = port_set_bridge_addrs(p, in->bridge_addrs, in->n_bridge_addrs);
	if (r >= 0)
		r = engine_port_insert(e, p);
	if (r < 0) {
		engine_port_free(p);
		return r;
	}
	if (!in->has_link || (in->ifindex && in->link.ifindex != in->ifindex)) {
		port_gone(e, p, in->has_link ? "the port was replaced" : "the port is gone", out);
		return 0;
	}
	p->attach = engine_port_attach(p->binding, &in->link);
	p->master = in->link.master;
	p->is_quarantined = quarantine_reason(p, &in->link, why, sizeof(why)) != NULL;
	if (p->is_quarantined) {
		free(p->note);
		p->note = engine_strdup(why);
	}
	r = port_compile(e, e->filters, p, now, &compiled, &state, &err);
	if (r < 0) {
		port_fail(p, err.msg, out);
		return 0;
	}
	p->state = state;
	if (in->is_record_present && port_same_rules(compiled, p->record)) {
		struct engine_action note = { .type = ENGINE_ACT_NOTE_TEMPLATE,
					      .port = strdup(p->binding->portdev),
					      .record = p->record };

		fw_port_free(compiled);
		return engine_act(out, &note);
	}
	r = port_request_apply(p, compiled, APPLY_SETTLE, state, out);
	if (r < 0)
		port_fail(p, "out of memory", out);
	return 0;
}
