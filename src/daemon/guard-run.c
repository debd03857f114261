/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The guard's verdicts carried out: the links the daemon has seen, which of
 * them are in the kernel's unbound-ports set, and the auto-bindings made.
 * The guard_ports patterns need nothing here: the kernel drops those ports
 * by itself from their first frame (fw_guard_add).
 */
#include "daemon/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter/filter.h"
#include "fw/apply.h"
#include "util/log.h"

struct guard_link {
	struct link_info info;
	bool is_unbound;     /* in the kernel's unbound-ports set */
	bool was_auto_bound; /* auto_bind was tried for this ifindex: once, never in a loop */
};

int daemon_guard_start(struct daemon *d, struct err *err)
{
	struct fw_guard g;

	guard_fw(&d->cfg.guard, &g);
	return fw_apply_guard(d->fw, &g, err);
}

static struct guard_link *find(struct daemon *d, int ifindex)
{
	for (size_t i = 0; i < d->n_links; i++)
		if (d->links[i].info.ifindex == ifindex)
			return &d->links[i];
	return NULL;
}

const struct link_info *daemon_link_find(const struct daemon *d, int ifindex)
{
	for (size_t i = 0; i < d->n_links; i++)
		if (d->links[i].info.ifindex == ifindex)
			return &d->links[i].info;
	return NULL;
}

static void emit(struct daemon *d, enum engine_event_type type, const char *port,
		 const char *message)
{
	struct daemon_event ev = { .type = type, .port = port, .message = message };

	log_info("%s: %s: %s", engine_event_names[type], port, message);
	daemon_emit(d, &ev);
}

static void set_unbound(struct daemon *d, struct guard_link *l, bool is_unbound, const char *why)
{
	struct err err = { 0 };

	if (l->is_unbound == is_unbound)
		return;
	if (fw_unbound_port(d->fw, l->info.name, is_unbound, &err) < 0) {
		/* the port stays unguarded: say so loudly; the next event tries again */
		log_err("guard: %s", err.msg);
		return;
	}
	l->is_unbound = is_unbound;
	if (why)
		emit(d, is_unbound ? ENGINE_EVENT_QUARANTINED : ENGINE_EVENT_QUARANTINE_LIFTED,
		     l->info.name, why);
}

static void auto_bind(struct daemon *d, struct guard_link *l, const struct guard_auto *rule)
{
	struct binding *b = binding_new();
	struct err err = { 0 };
	char message[ERR_MSG_MAX + 64];

	l->was_auto_bound = true;
	if (!b || !(b->owner_name = strdup("auto_bind")) || !(b->portdev = strdup(l->info.name)) ||
	    !(b->ref.filter = strdup(rule->filter))) {
		binding_free(b);
		log_err("guard: auto_bind %s: out of memory", l->info.name);
		return;
	}
	if (guard_auto_mac(rule, &l->info, b->mac, &err) < 0) {
		binding_free(b);
		snprintf(message, sizeof(message), "not bound: %s", err.msg);
		emit(d, ENGINE_EVENT_PORT_FAILED, l->info.name, message);
		return;
	}
	for (size_t i = 0; i < rule->n_params; i++) {
		char name[GUARD_TEXT_MAX], *value;

		snprintf(name, sizeof(name), "%s", rule->params[i]);
		value = strchr(name, '=');
		*value++ = '\0';
		if (filter_params_add(&b->ref.params, name, value) < 0) {
			binding_free(b);
			log_err("guard: auto_bind %s: out of memory", l->info.name);
			return;
		}
	}
	log_info("guard: %s matches auto_bind %s: binding it to %s", l->info.name, rule->pattern,
		 rule->filter);
	/* a binding that cannot be applied sets the port down, as any create does */
	if (daemon_binding_create(d, b, false, NULL, &err) < 0)
		log_err("guard: auto_bind %s: %s", l->info.name, err.msg);
}

static void evaluate(struct daemon *d, struct guard_link *l)
{
	const struct guard_link *bridge = l->info.master > 0 ? find(d, l->info.master) : NULL;
	bool is_guarded = bridge && guard_is_guarded_bridge(&d->cfg.guard, bridge->info.name);
	struct engine_port_info info;
	bool is_bound = engine_port_find(d->engine, l->info.name, &info);
	const struct guard_auto *rule = NULL;
	char why[128];

	switch (guard_decide(&d->cfg.guard, &l->info, is_guarded, is_bound, &rule)) {
	case GUARD_AUTO_BIND:
		/* until bound, its pattern has the kernel drop it; one try per port */
		if (!l->was_auto_bound)
			auto_bind(d, l, rule);
		if (engine_port_find(d->engine, l->info.name, &info))
			set_unbound(d, l, false, NULL);
		break;
	case GUARD_QUARANTINE:
		snprintf(why, sizeof(why),
			 "a port of guarded bridge %s with no binding: every frame dropped until "
			 "one exists",
			 bridge->info.name);
		set_unbound(d, l, true, why);
		break;
	case GUARD_OPEN:
		set_unbound(d, l, false, is_bound ? NULL : "no longer a port of a guarded bridge");
		break;
	}
}

void daemon_guard_link(struct daemon *d, const struct link_info *link)
{
	struct guard_link *l = find(d, link->ifindex);

	if (!l) {
		struct guard_link *grown = realloc(d->links, (d->n_links + 1) * sizeof(*grown));

		if (!grown) {
			log_err("guard: out of memory: port %s is not looked at", link->name);
			return;
		}
		d->links = grown;
		l = &d->links[d->n_links++];
		*l = (struct guard_link){ 0 };
	}
	l->info = *link;
	if (strcmp(link->kind, "bridge") == 0) {
		/* a guarded bridge that appears (or is renamed) guards the ports it already has */
		for (size_t i = 0; i < d->n_links; i++)
			if (d->links[i].info.master == link->ifindex)
				evaluate(d, &d->links[i]);
		return;
	}
	evaluate(d, l);
}

void daemon_guard_link_gone(struct daemon *d, int ifindex)
{
	struct guard_link *l = find(d, ifindex);

	if (!l)
		return;
	/* a later port of the same name is judged afresh */
	set_unbound(d, l, false, NULL);
	*l = d->links[--d->n_links];
}

void daemon_guard_port(struct daemon *d, const char *port)
{
	for (size_t i = 0; i < d->n_links; i++)
		if (strcmp(d->links[i].info.name, port) == 0)
			evaluate(d, &d->links[i]);
}

void daemon_guard_repair(struct daemon *d)
{
	struct err err = { 0 };

	if (daemon_guard_start(d, &err) < 0) {
		log_err("guard: cannot put the guard rules back: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < d->n_links; i++) {
		if (d->links[i].is_unbound &&
		    fw_unbound_port(d->fw, d->links[i].info.name, true, &err) < 0)
			log_err("guard: %s", err.msg);
	}
}

void daemon_guard_free(struct daemon *d)
{
	free(d->links);
	d->links = NULL;
	d->n_links = 0;
}
