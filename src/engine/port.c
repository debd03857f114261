/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A port's rules: what they must be (compile), asking for them (an APPLY
 * action), and what follows the kernel's answer (APPLIED): the new state,
 * its store writes and events, or failing closed.
 */
#include "engine/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/instantiate.h"
#include "util/addr.h"
#include "util/cleanup.h"

#define LEARN_TIMEOUT_MACVTAP_S 300

/*
 * Past its end a lease lasts this much longer in the kernel: the daemon's
 * own one-second tick removes the address first when it runs, and the
 * kernel's timeout only acts when it does not (stopped, or stuck).
 */
#define LEASE_KERNEL_GRACE_S 5

enum fw_attach engine_port_attach(const struct binding *b, const struct link_info *link)
{
	/* a macvtap (or a binding naming its lower device, libvirt's type='direct') is on no
	 * bridge: netdev hooks on the port */
	if (b->linkdev || strcmp(link->kind, "macvtap") == 0 || strcmp(link->kind, "macvlan") == 0)
		return FW_ATTACH_NETDEV;
	return FW_ATTACH_BRIDGE;
}

bool port_same_rules(const struct fw_port *compiled, const struct fw_record *rec)
{
	return rec && strcmp(compiled->template_id, rec->template_id) == 0 &&
	       strcmp(compiled->elements_del, rec->elements_del) == 0;
}

int port_addr_add(struct engine_port *p, const struct engine_addr *a)
{
	struct engine_addr **list = a->is_ipv6 ? &p->addrs6 : &p->addrs;
	size_t *n = a->is_ipv6 ? &p->n_addrs6 : &p->n_addrs;
	struct engine_addr *grown = realloc(*list, (*n + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	*list = grown;
	(*list)[(*n)++] = *a;
	return 0;
}

int port_set_bridge_addrs(struct engine_port *p, const uint8_t (*addrs)[4], size_t n)
{
	uint8_t(*copy)[4] = n ? calloc(n, sizeof(*copy)) : NULL;

	if (n && !copy)
		return -ENOMEM;
	if (n)
		memcpy(copy, addrs, n * sizeof(*copy));
	free(p->bridge_addrs);
	p->bridge_addrs = copy;
	p->n_bridge_addrs = n;
	return 0;
}

/*
 * The learned addresses as the IP and IPV6 variables: the filter language's
 * values are text. A port that learns IPv6 and has no address yet gets
 * IPV6_STAND_IN, so that its rules are complete from the start: the gate
 * before them drops every source it has not learned, and nobody learns it.
 */
#define IPV6_STAND_IN "100::"

static int learned_params(const struct engine_port *p, struct filter_params *ret)
{
	char text[IP_TEXT_MAX];

	for (size_t i = 0; i < p->n_addrs; i++) {
		ipv4_format(p->addrs[i].ip, text);
		if (filter_params_add(ret, "IP", text) < 0)
			return -ENOMEM;
	}
	if (filter_params_find(&p->binding->ref.params, "IPV6"))
		return 0;
	for (size_t i = 0; i < p->n_addrs6; i++) {
		ipv6_format(p->addrs6[i].ip, text);
		if (filter_params_add(ret, "IPV6", text) < 0)
			return -ENOMEM;
	}
	if (!p->n_addrs6 && filter_params_add(ret, "IPV6", IPV6_STAND_IN) < 0)
		return -ENOMEM;
	return 0;
}

/*
 * Whether p learns IPv6: its filters use IPV6, its binding gives none, and
 * learning is not off. Learning needs the bridge's gate: a macvtap gives it.
 */
static int learning6_params(struct engine_port *p, const struct instance *inst, struct err *err)
{
	enum filter_learning mode;
	int r;

	p->learns6 = false;
	if (filter_params_find(&p->binding->ref.params, "IPV6") || !instance_uses_var(inst, "IPV6"))
		return 0;
	r = instance_learning_mode(inst, &mode, err);
	if (r < 0)
		return err_prefix(err, r, "port %s: ", p->binding->portdev);
	if (mode == FILTER_LEARNING_NONE)
		return err_set(err, -EINVAL,
			       "port %s: IPV6 is missing (CTRL_IP_LEARNING is none: give IPV6)",
			       p->binding->portdev);
	if (p->attach == FW_ATTACH_NETDEV)
		return err_set(err, -EINVAL,
			       "port %s: IPv6 is learned on bridge ports only: give IPV6 for a "
			       "macvtap",
			       p->binding->portdev);
	r = port_servers6(p, err);
	if (r < 0)
		return r;
	if (mode == FILTER_LEARNING_DHCP)
		p->learn_mode = LEARN_MODE_DHCP;
	p->learns6 = true;
	return 0;
}

/* The gate of a port that learns IPv6: its addresses, each lapsing when unused. */
static int add_gate(const struct engine *e, const struct engine_port *p, struct fw_port *compiled)
{
	char(*texts)[IP_TEXT_MAX] = p->n_addrs6 ? calloc(p->n_addrs6, sizeof(*texts)) : NULL;
	const char **list = p->n_addrs6 ? calloc(p->n_addrs6, sizeof(*list)) : NULL;
	int r;

	if (!p->learns6)
		return 0;
	if (p->n_addrs6 && (!texts || !list)) {
		free(texts);
		free(list);
		return -ENOMEM;
	}
	for (size_t i = 0; i < p->n_addrs6; i++) {
		ipv6_format(p->addrs6[i].ip, texts[i]);
		list[i] = texts[i];
	}
	r = fw_port_add_learn6(compiled, list, p->n_addrs6, (unsigned)e->cfg.ipv6_idle_s);
	free(texts);
	free(list);
	return r;
}

/* The port's full rules, its DHCP leases as element timeouts. */
static int compile_full(const struct engine *e, const struct engine_port *p,
			const struct instance *inst, int64_t now, struct fw_port **ret,
			struct err *err)
{
	struct fw_compile_opts opts = { .attach = p->attach,
					.port_id = p->port_id,
					.is_uncounted = e->cfg.is_uncounted };
	size_t n = p->n_addrs + p->n_addrs6;
	char(*texts)[IP_TEXT_MAX] = n ? calloc(n, sizeof(*texts)) : NULL;
	struct fw_lease *leases = n ? calloc(n, sizeof(*leases)) : NULL;
	int r;

	if (n && (!texts || !leases)) {
		free(texts);
		free(leases);
		return err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const struct engine_addr *a =
			i < p->n_addrs ? &p->addrs[i] : &p->addrs6[i - p->n_addrs];
		int64_t left = a->lease_end - now;

		/* a lease longer than the kernel's timeouts reach ends by the daemon's tick alone
		 */
		if (!a->has_lease || left > FW_TIMEOUT_MAX_S - LEASE_KERNEL_GRACE_S)
			continue;
		if (a->is_ipv6)
			ipv6_format(a->ip, texts[opts.n_leases]);
		else
			ipv4_format(a->ip, texts[opts.n_leases]);
		leases[opts.n_leases].address = texts[opts.n_leases];
		leases[opts.n_leases++].expires_in_s =
			(unsigned)(left > 0 ? left : 0) + LEASE_KERNEL_GRACE_S;
	}
	opts.leases = leases;
	r = fw_compile(inst, p->binding->portdev, &opts, ret, err);
	free(texts);
	free(leases);
	return r;
}

/*
 * A port whose binding gives no IP and that learned none takes the IP a
 * <filterref> inside its filters gives (a default the binding would
 * override): that address is given too, and must be nobody else's. Keeps
 * the list in p for the owner checks of other ports.
 */
static int take_filter_given(const struct engine *e, struct engine_port *p,
			     const struct instance *inst, struct err *err)
{
	uint8_t(*list)[4] = NULL;
	size_t n = 0;

	for (size_t l = 0; l < inst->n_levels; l++) {
		const struct filter_var *v = filter_params_find(inst->levels[l], "IP");

		for (size_t k = 0; v && k < v->n_values; k++) {
			struct engine_port *owner;
			uint8_t ip[4], (*grown)[4];
			bool is_learned;
			const char *why;

			/* not an address of its own: the compiler says what it is */
			if (ipv4_parse(v->values[k], ip) < 0)
				continue;
			why = engine_ip_protected(e, (const uint8_t(*)[4])p->bridge_addrs,
						  p->n_bridge_addrs, ip);
			owner = why ? NULL : engine_ip_owner(e, p, ip, &is_learned);
			if (why || owner) {
				free(list);
				return err_set(err, -EADDRINUSE,
					       "port %s: IP %s, given by its filters, is %s%s",
					       p->binding->portdev, v->values[k],
					       why ? why : "owned by port ",
					       why ? "" : owner->binding->portdev);
			}
			grown = realloc(list, (n + 1) * sizeof(*list));
			if (!grown) {
				free(list);
				return err_set(err, -ENOMEM, "out of memory");
			}
			list = grown;
			memcpy(list[n++], ip, 4);
		}
	}
	free(p->filter_given);
	p->filter_given = list;
	p->n_filter_given = n;
	return 0;
}

/*
 * Gives a learning port the template of its rules once learned, so that the
 * learn only adds elements: a template holds no address, one stands in.
 * Best effort: when this fails, the learn creates the template itself.
 */
static void prepare_template(const struct engine *e, const struct filter_set *set,
			     const struct engine_port *p, struct fw_port *learning)
{
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct fw_compile_opts opts = { .attach = p->attach,
					.port_id = p->port_id,
					.is_uncounted = e->cfg.is_uncounted };
	struct filter_params stand_in = { 0 };
	struct fw_port *full = NULL;
	struct err err = { 0 };

	if (filter_params_add(&stand_in, "IP", "192.0.2.1") >= 0 &&
	    (filter_params_find(&p->binding->ref.params, "IPV6") ||
	     filter_params_add(&stand_in, "IPV6", IPV6_STAND_IN) >= 0) &&
	    filter_instantiate_with(set, p->binding, &stand_in, &inst, &err) >= 0 &&
	    instance_is_complete(inst) &&
	    fw_compile(inst, p->binding->portdev, &opts, &full, &err) >= 0)
		fw_port_prepare(learning, full);
	filter_params_fini(&stand_in);
}

/* Reads the learning parameters of a port whose IP is missing: mode, servers, timeout. */
static int learning_params(const struct engine *e, struct engine_port *p,
			   const struct instance *inst, struct err *err)
{
	const struct filter_var *servers = instance_dhcp_servers(inst);
	const struct filter_var *timeout =
		filter_params_find(&p->binding->ref.params, "CTRL_IP_LEARNING_TIMEOUT");
	enum filter_learning mode;
	uint8_t(*list)[4] = NULL;
	int timeout_s = e->cfg.learn_timeout_s;
	int r;

	r = instance_learning_mode(inst, &mode, err);
	if (r < 0)
		return err_prefix(err, r, "port %s: ", p->binding->portdev);
	if (mode == FILTER_LEARNING_NONE)
		return -ENOENT;
	if (timeout && timeout->n_values) {
		char *end;
		long v = strtol(timeout->values[0], &end, 10);

		if (*end || v < 0 || v > 86400 * 7)
			return err_set(err, -EINVAL,
				       "port %s: CTRL_IP_LEARNING_TIMEOUT '%s' is not a number of "
				       "seconds (0-604800, 0: none)",
				       p->binding->portdev, timeout->values[0]);
		timeout_s = (int)v;
	}
	if (servers && servers->n_values) {
		list = calloc(servers->n_values, sizeof(*list));
		if (!list)
			return err_set(err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < servers->n_values; i++) {
			if (ipv4_parse(servers->values[i], list[i]) < 0) {
				free(list);
				return err_set(err, -EINVAL,
					       "port %s: DHCPSERVER '%s' is not an IPv4 address",
					       p->binding->portdev, servers->values[i]);
			}
		}
	}
	/* as libvirt does for a link device: a macvtap never learns without end */
	if (p->attach == FW_ATTACH_NETDEV && timeout_s == 0)
		timeout_s =
			e->cfg.learn_timeout_s ? e->cfg.learn_timeout_s : LEARN_TIMEOUT_MACVTAP_S;
	p->learn_timeout_s = timeout_s;
	free(p->servers);
	p->servers = list;
	p->n_servers = list ? servers->n_values : 0;
	p->learn_mode = mode == FILTER_LEARNING_DHCP ? LEARN_MODE_DHCP : LEARN_MODE_ANY;
	return 0;
}

/*
 * What the port's rules must be now: blocked (learning failed), the full
 * rules (every variable known, the learned addresses as IP), or the
 * learning rules (only IP is missing and learning is on). *ret_state says
 * which. Anything else missing is an error naming the variables.
 */
int port_compile(const struct engine *e, const struct filter_set *set, struct engine_port *p,
		 int64_t now, struct fw_port **ret, enum engine_port_state *ret_state,
		 struct err *err)
{
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter_params learned = { 0 };
	bool is_only_ip;
	int r;

	if (p->is_quarantined) {
		*ret_state = ENGINE_PORT_QUARANTINED;
		return fw_compile_quarantine(p->binding->portdev, p->attach == FW_ATTACH_BRIDGE,
					     ret, err);
	}
	if (p->is_blocked) {
		*ret_state = ENGINE_PORT_FAILED;
		return fw_compile_blocked(p->binding->portdev, p->attach, ret, err);
	}
	r = learned_params(p, &learned);
	if (r >= 0)
		r = filter_instantiate_with(set, p->binding, &learned, &inst, err);
	filter_params_fini(&learned);
	if (r < 0)
		return err_prefix(err, r, "port %s: ", p->binding->portdev);
	p->learns = !filter_params_find(&p->binding->ref.params, "IP");
	r = learning6_params(p, inst, err);
	if (r < 0)
		return r;
	if (instance_is_complete(inst)) {
		if (p->learns && (r = learning_params(e, p, inst, err)) < 0 && r != -ENOENT)
			return r;
		if (p->learns && !p->n_addrs && (r = take_filter_given(e, p, inst, err)) < 0)
			return r;
		if (!p->learns || p->n_addrs) {
			free(p->filter_given);
			p->filter_given = NULL;
			p->n_filter_given = 0;
		}
		r = compile_full(e, p, inst, now, ret, err);
		if (r >= 0 && ((p->learns && p->n_addrs && fw_port_add_snoop(*ret) < 0) ||
			       add_gate(e, p, *ret) < 0)) {
			*ret = fw_port_free(*ret);
			r = err_set(err, -ENOMEM, "out of memory");
		}
		*ret_state = ENGINE_PORT_ACTIVE;
		return r;
	}
	is_only_ip = inst->n_missing == 1 && instance_is_missing(inst, "IP");
	r = is_only_ip ? learning_params(e, p, inst, err) : -ENOENT;
	if (r == -ENOENT) {
		_cleanup_free_ char *missing = instance_missing_format(inst, true);

		return err_set(err, -EINVAL, "port %s: %s%s", p->binding->portdev,
			       missing ? missing : "variables are missing",
			       is_only_ip ? " (CTRL_IP_LEARNING is none: give IP)" : "");
	}
	if (r < 0)
		return r;
	*ret_state = ENGINE_PORT_LEARNING;
	r = fw_compile_learning(p->binding->portdev, p->attach, p->binding->mac,
				p->learn_mode == LEARN_MODE_DHCP, (const uint8_t(*)[4])p->servers,
				p->n_servers, ret, err);
	if (r >= 0)
		prepare_template(e, set, p, *ret);
	if (r >= 0 && add_gate(e, p, *ret) < 0) {
		*ret = fw_port_free(*ret);
		r = err_set(err, -ENOMEM, "out of memory");
	}
	return r;
}

int port_request_apply(struct engine_port *p, struct fw_port *compiled, enum apply_purpose purpose,
		       enum engine_port_state state, struct engine_actions *out)
{
	struct engine_action a = { .type = ENGINE_ACT_APPLY,
				   .port = strdup(p->binding->portdev),
				   .compiled = compiled,
				   .record = p->record };

	if (!a.port) {
		fw_port_free(compiled);
		return -ENOMEM;
	}
	a.is_repair = purpose == APPLY_REPAIR;
	if (a.is_repair)
		a.record = NULL;
	p->purpose = purpose;
	p->next_state = state;
	p->n_elements = compiled->n_elements;
	return engine_act(out, &a);
}

int port_pending_event(struct engine_port *p, enum engine_event_type type, const char *address,
		       const char *fmt, ...)
{
	struct pending_event ev = { .type = type };
	struct pending_event *grown;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&ev.message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	ev.address = engine_strdup(address);
	grown = realloc(p->events, (p->n_events + 1) * sizeof(*grown));
	if (!grown || (address && !ev.address)) {
		free(ev.message);
		free(ev.address);
		if (grown)
			p->events = grown;
		return -ENOMEM;
	}
	p->events = grown;
	p->events[p->n_events++] = ev;
	return 0;
}

static void set_note(struct engine_port *p, const char *note)
{
	free(p->note);
	p->note = engine_strdup(note);
}

static void store_state(const struct engine_port *p, struct engine_actions *out)
{
	struct engine_action a = { .type = ENGINE_ACT_STORE_STATE,
				   .port = strdup(p->binding->portdev),
				   .state = p->state,
				   .note = engine_strdup(p->note) };

	(void)engine_act(out, &a);
}

/* Fail closed: a port whose rules cannot be applied goes down, and says why. */
void port_fail(struct engine_port *p, const char *why, struct engine_actions *out)
{
	struct engine_action down = { .type = ENGINE_ACT_SET_DOWN,
				      .port = strdup(p->binding->portdev) };

	(void)engine_act(out, &down);
	p->state = ENGINE_PORT_FAILED;
	p->purpose = APPLY_NONE;
	p->is_settling = false;
	pending_events_clear(p);
	set_note(p, why);
	store_state(p, out);
	(void)engine_emit(out, ENGINE_EVENT_PORT_FAILED, p->binding->portdev,
			  p->binding->ref.filter, "rules cannot be applied, port set down: %s",
			  why);
}

int port_settle_now(struct engine *e, struct engine_port *p, int64_t now,
		    struct engine_actions *out)
{
	struct fw_port *compiled = NULL;
	enum engine_port_state state = p->state;
	struct err err = { 0 };
	int r;

	p->is_settling = false;
	r = port_compile(e, e->filters, p, now, &compiled, &state, &err);
	if (r < 0) {
		port_fail(p, err.msg, out);
		return 0;
	}
	r = port_request_apply(p, compiled, p->is_blocked ? APPLY_BLOCK : APPLY_SETTLE, state, out);
	if (r < 0)
		port_fail(p, "out of memory", out);
	return 0;
}

int port_set_quarantine(struct engine *e, struct engine_port *p, const char *why, int64_t now,
			struct engine_actions *out)
{
	bool is_quarantined = why != NULL;

	if (p->is_quarantined == is_quarantined)
		return 0;
	p->is_quarantined = is_quarantined;
	set_note(p, why);
	if (is_quarantined)
		(void)port_pending_event(p, ENGINE_EVENT_QUARANTINED, NULL,
					 "%s: quarantined, all its traffic is dropped", why);
	else
		(void)port_pending_event(p, ENGINE_EVENT_QUARANTINE_LIFTED, NULL,
					 "quarantine lifted: the port is as it was bound");
	return port_settle_now(e, p, now, out);
}

int port_store_binding(const struct engine_port *p, enum engine_port_state state,
		       struct engine_actions *out)
{
	struct engine_action a = { .type = ENGINE_ACT_STORE_BINDING,
				   .port = strdup(p->binding->portdev),
				   .binding = p->binding,
				   .state = state,
				   .note = engine_strdup(p->note),
				   .port_id = p->port_id,
				   .ifindex = p->ifindex };

	memcpy(a.mac, p->mac, sizeof(a.mac));
	if (!a.port || (p->note && !a.note)) {
		free(a.port);
		free(a.note);
		return -ENOMEM;
	}
	return engine_act(out, &a);
}

/* True when another port's rules use p's template. */
static bool template_in_use(const struct engine *e, const struct engine_port *p)
{
	for (size_t i = 0; i < e->n_ports; i++)
		if (e->ports[i] != p && e->ports[i]->record && p->record &&
		    strcmp(fw_record_template(e->ports[i]->record),
			   fw_record_template(p->record)) == 0)
			return true;
	return false;
}

/* Asks for the port's rules and binding to go; the kernel first, so no stale binding hides rules.
 */
int port_remove(struct engine *e, struct engine_port *p, struct engine_actions *out)
{
	struct engine_action rm = { .type = ENGINE_ACT_REMOVE,
				    .port = strdup(p->binding->portdev),
				    .is_last = !template_in_use(e, p),
				    .forget_rates = p->learns };
	struct engine_action unbind = { .type = ENGINE_ACT_STORE_UNBIND,
					.port = strdup(p->binding->portdev) };

	rm.attach = p->attach;
	rm.owned_record = TAKE_PTR(p->record);
	if (engine_act(out, &rm) < 0 || engine_act(out, &unbind) < 0)
		return -ENOMEM;
	return 0;
}

static void emit_pending(struct engine_port *p, struct engine_actions *out)
{
	for (size_t i = 0; i < p->n_events; i++) {
		struct pending_event *ev = &p->events[i];
		struct engine_action a = { .type = ENGINE_ACT_EVENT,
					   .event = ev->type,
					   .port = strdup(p->binding->portdev),
					   .filter = strdup(p->binding->ref.filter),
					   .message = TAKE_PTR(ev->message),
					   .address = TAKE_PTR(ev->address),
					   .has_timestamp = ev->has_timestamp,
					   .timestamp_us = ev->timestamp_us,
					   .latency_from = ev->latency_from };

		(void)engine_act(out, &a);
	}
	pending_events_clear(p);
}

/* The rules are in: the port takes the record and its new state. */
static void applied_ok(struct engine_port *p, struct fw_record *rec, int64_t now,
		       struct engine_actions *out)
{
	struct engine_action a = { .type = ENGINE_ACT_STORE_RECORD,
				   .port = strdup(p->binding->portdev),
				   .port_id = p->port_id };
	enum apply_purpose purpose = p->purpose;
	enum engine_port_state was = p->state;

	fw_record_free(p->record);
	p->record = rec;
	a.record = p->record;
	(void)engine_act(out, &a);
	p->purpose = APPLY_NONE;
	p->state = p->next_state;
	if (p->state == ENGINE_PORT_LEARNING &&
	    (was != ENGINE_PORT_LEARNING || purpose == APPLY_CREATE))
		p->learning_since = now;
	if (purpose != APPLY_BLOCK && !p->is_quarantined)
		set_note(p, NULL);
	store_state(p, out);
	switch (purpose) {
	case APPLY_CREATE:
		(void)engine_emit(out, ENGINE_EVENT_BINDING_CREATED, p->binding->portdev,
				  p->binding->ref.filter, "bound to filter '%s' (%s, %u elements)",
				  p->binding->ref.filter, engine_port_state_names[p->state],
				  p->n_elements);
		break;
	case APPLY_REBUILD:
		(void)engine_emit(out, ENGINE_EVENT_BINDING_UPDATED, p->binding->portdev,
				  p->binding->ref.filter, "rules rebuilt (template %s)",
				  rec ? rec->template_id : "?");
		break;
	case APPLY_BLOCK:
		(void)engine_emit(out, ENGINE_EVENT_PORT_FAILED, p->binding->portdev,
				  p->binding->ref.filter,
				  "%s; all its traffic is dropped (vifguardctl binding relearn %s)",
				  p->note ? p->note : "learning failed", p->binding->portdev);
		break;
	default:
		break;
	}
	emit_pending(p, out);
}

int engine_repair(struct engine *e, int64_t now, struct engine_actions *out)
{
	for (size_t i = 0; i < e->n_ports; i++) {
		struct engine_port *p = e->ports[i];
		enum engine_port_state state;
		struct fw_port *compiled = NULL;
		struct err err = { 0 };

		if (!p->record)
			continue; /* set down, with no rules to put back */
		if (port_compile(e, e->filters, p, now, &compiled, &state, &err) < 0)
			port_fail(p, err.msg, out);
		else if (port_request_apply(p, compiled, APPLY_REPAIR, state, out) < 0)
			port_fail(p, "out of memory", out);
	}
	return 0;
}

void port_rebuild_failed(struct engine_port *p, const char *why, struct engine_actions *out)
{
	pending_events_clear(p);
	strbuf_addf(&out->failures, "%s%s: %s%s", out->failures.len ? "\n" : "",
		    p->binding->portdev, why,
		    p->keeps_old_rules ? " (its previous rules stay)" : " (port set down)");
	if (p->keeps_old_rules) {
		/* the old rules stay in force: the port keeps its state, and says why */
		set_note(p, why);
		return;
	}
	/* the filters it is bound to now are not what the kernel enforces: fail closed */
	port_fail(p, why, out);
}

int engine_applied(struct engine *e, const struct engine_input *in, int64_t now,
		   struct engine_actions *out)
{
	struct engine_port *p = engine_port_lookup(e, in->applied.port);
	const char *why = in->applied.error ? in->applied.error : strerror(-in->applied.r);
	struct err err = { 0 };

	if (!p || p->purpose == APPLY_NONE) {
		fw_record_free(in->applied.record);
		return 0;
	}
	if (in->applied.r >= 0) {
		applied_ok(p, in->applied.record, now, out);
		return 0;
	}
	fw_record_free(in->applied.record);
	switch (p->purpose) {
	case APPLY_CREATE: {
		struct engine_action unbind = { .type = ENGINE_ACT_STORE_UNBIND,
						.port = strdup(p->binding->portdev) };
		struct engine_action down = { .type = ENGINE_ACT_SET_DOWN,
					      .port = strdup(p->binding->portdev) };
		bool keeps_up = p->keeps_up_on_failure;

		(void)engine_act(out, &unbind);
		/* libvirt fails the VM's start; here the VM must not run unguarded either */
		if (!keeps_up)
			(void)engine_act(out, &down);
		else
			free(down.port);
		p = engine_port_take(e, in->applied.port);
		err_set(&err, in->applied.r, "%s%s%s%s", why, keeps_up ? "" : "; port ",
			keeps_up ? "" : p->binding->portdev, keeps_up ? "" : " set down");
		engine_port_free(p);
		return engine_fail_input(out, in->applied.r, &err);
	}
	case APPLY_REBUILD:
		p->purpose = APPLY_NONE;
		port_rebuild_failed(p, why, out);
		return 0;
	default:
		/* a relearn whose rules cannot go in says so too */
		port_fail(p, why, out);
		err_set(&err, in->applied.r, "port %s: rules cannot be applied, port set down: %s",
			p->binding->portdev, why);
		return engine_fail_input(out, in->applied.r, &err);
	}
}
