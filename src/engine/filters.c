/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The filters in force: a new set (a definition, an undefinition, a reload)
 * is checked against the bound ports, then every port whose rules change is
 * rebuilt; a port whose rebuild fails keeps its old rules and is reported.
 */
#include "engine/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "filter/instantiate.h"
#include "util/cleanup.h"

/* True when the tree below filter name references target (or is target). */
static bool tree_uses(const struct filter_set *set, const char *name, const char *target,
		      unsigned depth)
{
	const struct filter *f;

	if (strcmp(name, target) == 0)
		return true;
	f = filter_set_find(set, name);
	if (!f || depth > FILTER_SET_DEPTH_MAX)
		return false;
	for (size_t i = 0; i < f->n_entries; i++)
		if (f->entries[i].kind == FILTER_ENTRY_REF &&
		    tree_uses(set, f->entries[i].ref->filter, target, depth + 1))
			return true;
	return false;
}

unsigned engine_filter_users(const struct engine *e, const char *name)
{
	unsigned n = 0;

	for (size_t i = 0; i < e->n_ports; i++)
		n += tree_uses(e->filters, e->ports[i]->binding->ref.filter, name, 0);
	return n;
}

int engine_filter_check(const struct engine *e, struct filter *f, struct err *err)
{
	const struct filter *old = filter_set_find(e->filters, f->name);

	if (old && f->has_uuid && memcmp(old->uuid, f->uuid, 16) != 0)
		return err_set(
			err, -EEXIST,
			"filter '%s' already exists with another uuid (omit <uuid> to replace it)",
			f->name);
	for (size_t i = 0; i < filter_set_size(e->filters); i++) {
		const struct filter *other = filter_set_get(e->filters, i);

		if (f->has_uuid && strcmp(other->name, f->name) != 0 &&
		    memcmp(other->uuid, f->uuid, 16) == 0)
			return err_set(err, -EEXIST,
				       "filter with the same uuid but another name ('%s') exists",
				       other->name);
	}
	if (old && !f->has_uuid)
		memcpy(f->uuid, old->uuid, 16);
	f->has_uuid = true;
	return filter_set_check_loop(e->filters, f, err);
}

/* The bindings that use filter name, for a refusal: "vnet0, vnet1". */
static int check_unused(const struct engine *e, const char *name, struct err *err)
{
	struct strbuf users;
	int r = 0;

	strbuf_init(&users);
	for (size_t k = 0; k < e->n_ports; k++)
		if (tree_uses(e->filters, e->ports[k]->binding->ref.filter, name, 0))
			strbuf_addf(&users, "%s%s", users.len ? ", " : "",
				    e->ports[k]->binding->portdev);
	if (users.len)
		r = err_set(err, -EBUSY, "filter '%s' is in use by the bindings of %s", name,
			    users.buf);
	strbuf_fini(&users);
	return r;
}

/*
 * While ports learn, a new filter set may not need a variable the bound
 * ports do not have (libvirt's "lock filter updates"): a learning port
 * would otherwise end up with a tree it can never instantiate.
 */
static int check_learning_lock(const struct engine *e, const struct filter_set *set,
			       struct err *err)
{
	struct strbuf learning, needs;
	int r = 0;

	strbuf_init(&learning);
	strbuf_init(&needs);
	for (size_t i = 0; i < e->n_ports; i++)
		if (e->ports[i]->state == ENGINE_PORT_LEARNING)
			strbuf_addf(&learning, "%s%s", learning.len ? ", " : "",
				    e->ports[i]->binding->portdev);
	for (size_t i = 0; learning.len && i < e->n_ports; i++) {
		_cleanup_(instance_freep) struct instance *inst = NULL;
		const struct engine_port *p = e->ports[i];

		/* learned addresses are IP's values: only the other variables matter here */
		if (filter_instantiate_with(set, p->binding, NULL, &inst, NULL) >= 0)
			for (size_t k = 0; k < inst->n_missing; k++)
				if (strcmp(inst->missing[k], "IP") != 0)
					strbuf_addf(&needs, "%s%s needs %s", needs.len ? "; " : "",
						    p->binding->portdev, inst->missing[k]);
	}
	if (needs.len)
		r = err_set(err, -EBUSY,
			    "refused while ports learn their address (%s): the new filters need "
			    "variables the bound ports do not have (%s)",
			    learning.buf, needs.buf);
	if (r >= 0 && (strbuf_error(&learning) < 0 || strbuf_error(&needs) < 0))
		r = err_set(err, -ENOMEM, "out of memory");
	strbuf_fini(&learning);
	strbuf_fini(&needs);
	return r;
}

/*
 * Recompiles every port against the new set and asks for what changed. A
 * port whose new rules cannot be had fails and is set down, as a create
 * would, unless keeps_old: then its old rules stay in force.
 */
static void rebuild_ports(struct engine *e, bool keeps_old, int64_t now, struct engine_actions *out)
{
	for (size_t i = 0; i < e->n_ports; i++) {
		struct engine_port *p = e->ports[i];
		struct fw_port *compiled = NULL;
		enum engine_port_state state = p->state;
		struct err err = { 0 };
		int r;

		r = port_compile(e, e->filters, p, now, &compiled, &state, &err);
		if (r >= 0 && port_same_rules(compiled, p->record)) {
			fw_port_free(compiled);
			continue;
		}
		p->keeps_old_rules = keeps_old;
		if (r >= 0)
			r = port_request_apply(p, compiled, APPLY_REBUILD, state, out);
		if (r >= 0)
			continue;
		port_rebuild_failed(p, err.code ? err.msg : "out of memory", out);
	}
}

int engine_set_filters(struct engine *e, const struct engine_input *in, int64_t now,
		       struct engine_actions *out)
{
	struct filter_set *set = in->filters.set;
	struct err err = { 0 };
	int r = 0;

	if (in->filters.cause == ENGINE_FILTERS_UNDEFINE)
		r = check_unused(e, in->filters.name, &err);
	if (r >= 0)
		r = check_learning_lock(e, set, &err);
	if (r < 0) {
		filter_set_free(set);
		if (in->filters.cause == ENGINE_FILTERS_RELOAD)
			err_prefix(&err, r, "reload failed, the previous filters stay in force: ");
		return engine_fail_input(out, r, &err);
	}
	if (in->filters.cause != ENGINE_FILTERS_RELOAD) {
		struct engine_action a = {
			.type = in->filters.cause == ENGINE_FILTERS_DEFINE
					? ENGINE_ACT_STORE_FILTER
					: ENGINE_ACT_STORE_FILTER_DEL,
			.filter = strdup(in->filters.name),
			.message = engine_strdup(in->filters.xml),
		};

		if (!a.filter || (in->filters.xml && !a.message) || engine_act(out, &a) < 0) {
			free(a.filter);
			free(a.message);
			filter_set_free(set);
			return engine_fail_input(out, -ENOMEM, NULL);
		}
	}
	filter_set_free(e->filters);
	e->filters = set;
	rebuild_ports(e, in->filters.keeps_old_rules, now, out);
	switch (in->filters.cause) {
	case ENGINE_FILTERS_DEFINE:
		return engine_emit(out, ENGINE_EVENT_FILTER_DEFINED, NULL, in->filters.name,
				   "filter '%s' defined", in->filters.name);
	case ENGINE_FILTERS_UNDEFINE:
		return engine_emit(out, ENGINE_EVENT_FILTER_UNDEFINED, NULL, in->filters.name,
				   "filter '%s' undefined", in->filters.name);
	default:
		return engine_emit(out, ENGINE_EVENT_RELOADED, NULL, NULL,
				   "filters reloaded: %zu filters", filter_set_size(e->filters));
	}
}
