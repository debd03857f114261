/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The engine's state, its action list, and the dispatch of inputs. */
#include "engine/internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/sorted.h"

const char *const engine_port_state_names[ENGINE_PORT__MAX] = {
	[ENGINE_PORT_NEW] = "new",
	[ENGINE_PORT_LEARNING] = "learning",
	[ENGINE_PORT_ACTIVE] = "active",
	[ENGINE_PORT_FAILED] = "failed",
	[ENGINE_PORT_QUARANTINED] = "quarantined",
};

const char *const engine_event_names[ENGINE_EVENT__MAX] = {
	[ENGINE_EVENT_BINDING_CREATED] = "binding-created",
	[ENGINE_EVENT_BINDING_DELETED] = "binding-deleted",
	[ENGINE_EVENT_BINDING_UPDATED] = "binding-updated",
	[ENGINE_EVENT_PORT_GONE] = "port-gone",
	[ENGINE_EVENT_PORT_RENAMED] = "port-renamed",
	[ENGINE_EVENT_PORT_FAILED] = "port-failed",
	[ENGINE_EVENT_FILTER_DEFINED] = "filter-defined",
	[ENGINE_EVENT_FILTER_UNDEFINED] = "filter-undefined",
	[ENGINE_EVENT_RELOADED] = "reloaded",
	[ENGINE_EVENT_LEARNING] = "learning",
	[ENGINE_EVENT_LEARNED] = "learned",
	[ENGINE_EVENT_RENEWED] = "renewed",
	[ENGINE_EVENT_ADDRESS_REMOVED] = "address-removed",
	[ENGINE_EVENT_EXPIRED] = "expired",
	[ENGINE_EVENT_CONFLICT] = "conflict",
	[ENGINE_EVENT_LIMIT] = "limit",
	[ENGINE_EVENT_RULES_RESTORED] = "rules-restored",
	[ENGINE_EVENT_QUARANTINED] = "quarantined",
	[ENGINE_EVENT_QUARANTINE_LIFTED] = "quarantine-lifted",
	[ENGINE_EVENT_DROPPED] = "dropped",
};

/* ---- actions ------------------------------------------------------------ */

void engine_actions_init(struct engine_actions *a)
{
	*a = (struct engine_actions){ 0 };
	strbuf_init(&a->failures);
}

static void action_fini(struct engine_action *a)
{
	free(a->port);
	free(a->filter);
	free(a->note);
	free(a->message);
	free(a->address);
	fw_record_free(a->owned_record);
	fw_port_free(a->compiled);
}

void engine_actions_fini(struct engine_actions *a)
{
	for (size_t i = 0; i < a->n; i++)
		action_fini(&a->v[i]);
	free(a->v);
	strbuf_fini(&a->failures);
	*a = (struct engine_actions){ 0 };
	strbuf_init(&a->failures);
}

char *engine_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/*
 * Appends a, taking its owned members, also on failure: then they are freed
 * and -ENOMEM returned. An action with a string that could not be copied
 * (NULL where the caller had one) is dropped the same way.
 */
int engine_act(struct engine_actions *out, const struct engine_action *a)
{
	struct engine_action copy = *a;
	bool needs_port = a->type != ENGINE_ACT_EVENT && a->type != ENGINE_ACT_STORE_FILTER &&
			  a->type != ENGINE_ACT_STORE_FILTER_DEL;

	/* a string that could not be copied: the action is not half carried out */
	if ((needs_port && !a->port) ||
	    (!needs_port && a->type != ENGINE_ACT_EVENT && !a->filter) ||
	    (a->type == ENGINE_ACT_EVENT && !a->message)) {
		action_fini(&copy);
		return -ENOMEM;
	}
	if (out->n == out->cap) {
		size_t cap = out->cap ? 2 * out->cap : 16;
		struct engine_action *grown = realloc(out->v, cap * sizeof(*grown));

		if (!grown) {
			action_fini(&copy);
			return -ENOMEM;
		}
		out->v = grown;
		out->cap = cap;
	}
	out->v[out->n++] = copy;
	return 0;
}

int engine_fail_input(struct engine_actions *out, int r, const struct err *err)
{
	if (out->r == 0) {
		out->r = r;
		if (err)
			out->err = *err;
		else
			err_set(&out->err, r, "%s", strerror(-r));
	}
	return r;
}

int engine_emit(struct engine_actions *out, enum engine_event_type type, const char *port,
		const char *filter, const char *fmt, ...)
{
	struct engine_action a = { .type = ENGINE_ACT_EVENT, .event = type };
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&a.message, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	a.port = engine_strdup(port);
	a.filter = engine_strdup(filter);
	if ((port && !a.port) || (filter && !a.filter)) {
		action_fini(&a);
		return -ENOMEM;
	}
	return engine_act(out, &a);
}

/* ---- ports -------------------------------------------------------------- */

void pending_events_clear(struct engine_port *p)
{
	for (size_t i = 0; i < p->n_events; i++) {
		free(p->events[i].message);
		free(p->events[i].address);
	}
	free(p->events);
	p->events = NULL;
	p->n_events = 0;
}

struct engine_port *engine_port_free(struct engine_port *p)
{
	if (!p)
		return NULL;
	binding_free(p->binding);
	fw_record_free(p->record);
	free(p->note);
	free(p->servers);
	free(p->bridge_addrs);
	free(p->filter_given);
	free(p->addrs);
	free(p->addrs6);
	free(p->servers6);
	pending_events_clear(p);
	free(p);
	return NULL;
}

static const char *port_name_at(const void *ctx, size_t i)
{
	const struct engine *e = ctx;

	return e->ports[i]->binding->portdev;
}

static size_t port_index(const struct engine *e, const char *name, bool *found)
{
	return sorted_find(e, e->n_ports, port_name_at, name, found);
}

struct engine_port *engine_port_lookup(const struct engine *e, const char *name)
{
	bool found;
	size_t i = port_index(e, name, &found);

	return found ? e->ports[i] : NULL;
}

struct engine_port *engine_port_by_ifindex(const struct engine *e, int ifindex)
{
	for (size_t i = 0; i < e->n_ports; i++)
		if (e->ports[i]->ifindex == ifindex)
			return e->ports[i];
	return NULL;
}

int engine_port_insert(struct engine *e, struct engine_port *p)
{
	bool found;
	size_t i = port_index(e, p->binding->portdev, &found);
	struct engine_port **grown;

	if (found)
		return -EEXIST;
	grown = realloc(e->ports, (e->n_ports + 1) * sizeof(*e->ports));
	if (!grown)
		return -ENOMEM;
	e->ports = grown;
	memmove(&e->ports[i + 1], &e->ports[i], (e->n_ports - i) * sizeof(*e->ports));
	e->ports[i] = p;
	e->n_ports++;
	return 0;
}

struct engine_port *engine_port_take(struct engine *e, const char *name)
{
	bool found;
	size_t i = port_index(e, name, &found);
	struct engine_port *p;

	if (!found)
		return NULL;
	p = e->ports[i];
	memmove(&e->ports[i], &e->ports[i + 1], (e->n_ports - i - 1) * sizeof(*e->ports));
	e->n_ports--;
	return p;
}

/* ---- the engine --------------------------------------------------------- */

int engine_new(const struct engine_config *cfg, struct filter_set *filters, struct engine **ret)
{
	struct engine *e = calloc(1, sizeof(*e));

	if (!e) {
		filter_set_free(filters);
		return -ENOMEM;
	}
	e->cfg = *cfg;
	if (!e->cfg.max_addrs)
		e->cfg.max_addrs = ENGINE_MAX_ADDRS_DEFAULT;
	if (e->cfg.ipv6_idle_s <= 0)
		e->cfg.ipv6_idle_s = ENGINE_IPV6_IDLE_DEFAULT_S;
	e->cfg.protected_addrs = NULL;
	e->cfg.protected6 = NULL;
	if (cfg->n_protected) {
		e->protected_addrs = calloc(cfg->n_protected, sizeof(*e->protected_addrs));
		if (e->protected_addrs)
			memcpy(e->protected_addrs, cfg->protected_addrs,
			       cfg->n_protected * sizeof(*e->protected_addrs));
	}
	if (cfg->n_protected6) {
		e->protected6 = calloc(cfg->n_protected6, sizeof(*e->protected6));
		if (e->protected6)
			memcpy(e->protected6, cfg->protected6,
			       cfg->n_protected6 * sizeof(*e->protected6));
	}
	if ((cfg->n_protected && !e->protected_addrs) || (cfg->n_protected6 && !e->protected6)) {
		free(e->protected_addrs);
		free(e->protected6);
		filter_set_free(filters);
		free(e);
		return -ENOMEM;
	}
	e->filters = filters;
	*ret = e;
	return 0;
}

struct engine *engine_free(struct engine *e)
{
	if (!e)
		return NULL;
	for (size_t i = 0; i < e->n_ports; i++)
		engine_port_free(e->ports[i]);
	free(e->ports);
	filter_set_free(e->filters);
	free(e->protected_addrs);
	free(e->protected6);
	for (size_t i = 0; i < e->n_bridges6; i++)
		free(e->bridges6[i].addrs);
	free(e->bridges6);
	free(e);
	return NULL;
}

int engine_handle(struct engine *e, const struct engine_input *in, int64_t now,
		  struct engine_actions *out)
{
	int r;

	switch (in->type) {
	case ENGINE_IN_BIND:
		r = engine_bind(e, in, now, out);
		break;
	case ENGINE_IN_UNBIND:
		r = engine_unbind(e, in->port, out);
		break;
	case ENGINE_IN_RELEARN:
		r = engine_relearn(e, in->port, now, out);
		break;
	case ENGINE_IN_FILTERS:
		r = engine_set_filters(e, in, now, out);
		break;
	case ENGINE_IN_RESTORE:
		r = engine_restore(e, &in->restore, now, out);
		break;
	case ENGINE_IN_FRAME:
		/* its rules wait for ENGINE_IN_FLUSH: one read, one transaction */
		return engine_frame(e, &in->frame, now, out);
	case ENGINE_IN_FLUSH:
		r = 0;
		break;
	case ENGINE_IN_LINK:
		r = engine_link(e, &in->link, now, out);
		break;
	case ENGINE_IN_LINK_GONE:
		r = engine_link_gone(e, in->link.ifindex, out);
		break;
	case ENGINE_IN_LINK_DUMP:
		r = engine_link_dump(e, in->dump.ifindexes, in->dump.n, out);
		break;
	case ENGINE_IN_REPAIR:
		r = engine_repair(e, now, out);
		break;
	case ENGINE_IN_BRIDGE_ADDRS:
		r = engine_bridge_addrs(e, in->bridge.ifindex, in->bridge.addrs, in->bridge.n, out);
		break;
	case ENGINE_IN_TICK:
		r = engine_tick(e, now, out);
		break;
	case ENGINE_IN_APPLIED:
		r = engine_applied(e, in, now, out);
		break;
	case ENGINE_IN_BRIDGE_ADDRS6:
		r = engine_bridge_addrs6(e, in->bridge.ifindex, in->bridge.addrs6, in->bridge.n,
					 out);
		break;
	case ENGINE_IN_ADDR6_PRESENT:
		r = engine_addr6_present(e, in->present.v, in->present.n, now, out);
		break;
	default:
		r = -EINVAL;
		break;
	}
	/*
	 * Whatever the input settled goes in now. An apply's result settles no
	 * port, and a batch of n applies answers with n results: flushing after
	 * each would walk every port n times.
	 */
	if (in->type != ENGINE_IN_APPLIED && engine_flush(e, now, out) < 0 && r >= 0)
		r = -ENOMEM;
	if (r < 0 && out->r == 0)
		engine_fail_input(out, r, NULL);
	return r < 0 ? r : 0;
}

void engine_count_unparsed(struct engine *e, int reason)
{
	e->stats.n_records++;
	e->stats.drops[reason > 0 && reason < _LEARN_DROP_MAX ? reason : 0]++;
}

/* ---- views -------------------------------------------------------------- */

static void port_info(const struct engine_port *p, struct engine_port_info *ret)
{
	*ret = (struct engine_port_info){
		.binding = p->binding,
		.state = p->state,
		.template_id = p->record ? p->record->template_id : NULL,
		.record = p->record,
		.note = p->note,
		.attach = p->attach,
		.ifindex = p->ifindex,
		.master = p->master,
		.port_id = p->port_id,
		.created_at = p->created_at,
		.addrs = p->addrs,
		.n_addrs = p->n_addrs,
		.addrs6 = p->addrs6,
		.n_addrs6 = p->n_addrs6,
		.learns = p->learns,
		.learns6 = p->learns6,
		.learn_mode = p->learn_mode,
		.learning_since = p->learning_since,
		.learn_timeout_s = p->learn_timeout_s,
		.servers = (const uint8_t(*)[4])p->servers,
		.n_servers = p->n_servers,
	};
}

size_t engine_port_count(const struct engine *e)
{
	return e->n_ports;
}

bool engine_port_get(const struct engine *e, size_t i, struct engine_port_info *ret)
{
	if (i >= e->n_ports)
		return false;
	port_info(e->ports[i], ret);
	return true;
}

bool engine_port_find(const struct engine *e, const char *name, struct engine_port_info *ret)
{
	const struct engine_port *p = engine_port_lookup(e, name);

	if (p)
		port_info(p, ret);
	return p != NULL;
}

const struct filter_set *engine_filters(const struct engine *e)
{
	return e->filters;
}

const struct engine_learn_stats *engine_learn_stats(const struct engine *e)
{
	return &e->stats;
}
