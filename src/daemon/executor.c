/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The executor: the engine's actions carried out, in the order the engine
 * gave them, which is the order that lets a crash at any point leave a
 * state the next start repairs: the store learns the intent first, then the
 * kernel changes in one transaction, then the store records what the kernel
 * holds. Store writes between two kernel changes are one store transaction;
 * consecutive applies are one nftables transaction (one at a time when that
 * fails, so that a bad port fails alone). It decides nothing.
 */
#include "daemon/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "daemon/fault.h"
#include "fw/apply.h"
#include "link/link.h"
#include "store/store.h"
#include "util/addr.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- carrying out actions ----------------------------------------------- */

static const enum store_source source_store[_LEARN_SOURCE_MAX] = {
	[LEARN_SOURCE_DHCP] = STORE_SOURCE_DHCP, [LEARN_SOURCE_ARP] = STORE_SOURCE_ARP,
	[LEARN_SOURCE_IPV4] = STORE_SOURCE_IPV4, [LEARN_SOURCE_DHCPV6] = STORE_SOURCE_DHCPV6,
	[LEARN_SOURCE_DAD] = STORE_SOURCE_DAD,   [LEARN_SOURCE_IPV6] = STORE_SOURCE_IPV6,
};

static const enum store_state state_store[ENGINE_PORT__MAX] = {
	[ENGINE_PORT_NEW] = STORE_STATE_NEW,
	[ENGINE_PORT_LEARNING] = STORE_STATE_LEARNING,
	[ENGINE_PORT_ACTIVE] = STORE_STATE_ACTIVE,
	[ENGINE_PORT_FAILED] = STORE_STATE_FAILED,
	/* a start-up decides again from the link what it is */
	[ENGINE_PORT_QUARANTINED] = STORE_STATE_FAILED,
};

int64_t daemon_wall_time(int64_t mono)
{
	return clock_convert(mono, clock_mono_s(), clock_wall_s());
}

int64_t daemon_mono_time(int64_t wall)
{
	return clock_convert(wall, clock_wall_s(), clock_mono_s());
}

static void emit(struct daemon *d, const struct engine_action *a)
{
	struct daemon_event ev = { .type = a->event,
				   .port = a->port,
				   .filter = a->filter,
				   .message = a->message,
				   .address = a->address };

	if (a->has_timestamp) {
		ev.has_latency = true;
		ev.latency_from = a->latency_from;
		ev.latency_us = clock_wall_us() - a->timestamp_us;
	}
	log_info("%s%s%s: %s", engine_event_names[ev.type], ev.port ? " " : "",
		 ev.port ? ev.port : "", ev.message);
	daemon_emit(d, &ev);
}

static void store_open_batch(struct daemon *d)
{
	struct err err = { 0 };

	if (d->is_store_open)
		return;
	d->is_store_open = store_begin(d->store, &err) >= 0;
	if (!d->is_store_open)
		log_err("store: %s; writing one by one", err.msg);
}

static void store_close_batch(struct daemon *d)
{
	struct err err = { 0 };

	if (!d->is_store_open)
		return;
	d->is_store_open = false;
	if (store_commit(d->store, &err) < 0) {
		log_err("store: the batch was not saved: %s", err.msg);
		(void)store_rollback(d->store, NULL);
		return;
	}
	fault_point("after-store");
}

static int store_binding(struct daemon *d, const struct engine_action *a, struct err *err)
{
	_cleanup_free_ char *xml = conf_binding_format(a->binding);
	struct store_binding sb = {
		.port = a->port,
		.xml = xml,
		.state = state_store[a->state],
		.port_id = a->port_id,
		.ifindex = a->ifindex,
		.has_mac = true,
		.learning_since = STORE_TIME_NONE,
		.failed_reason = a->note,
	};

	if (!xml)
		return err_set(err, -ENOMEM, "out of memory");
	memcpy(sb.mac, a->mac, sizeof(sb.mac));
	return store_binding_save(d->store, &sb, err);
}

static int store_address(struct daemon *d, const struct engine_action *a, struct err *err)
{
	struct store_address sa = {
		.family = a->addr.is_ipv6 ? 6 : 4,
		.source = source_store[a->addr.source],
		.has_server = a->addr.has_server,
		.lease_end =
			a->addr.has_lease ? daemon_wall_time(a->addr.lease_end) : STORE_TIME_NONE,
	};

	memcpy(sa.address, a->addr.ip, a->addr.is_ipv6 ? 16 : 4);
	memcpy(sa.server, a->addr.server, 4);
	return store_address_add(d->store, a->port, &sa, err);
}

static int store_write(struct daemon *d, const struct engine_action *a, struct err *err)
{
	_cleanup_free_ char *record = NULL;

	switch (a->type) {
	case ENGINE_ACT_STORE_BINDING:
		return store_binding(d, a, err);
	case ENGINE_ACT_STORE_STATE:
		return store_binding_set_state(d->store, a->port, state_store[a->state], a->note,
					       err);
	case ENGINE_ACT_STORE_RECORD:
		record = a->record ? fw_record_format(a->record) : NULL;
		if (a->record && !record)
			return err_set(err, -ENOMEM, "out of memory");
		return store_binding_set_record(d->store, a->port, a->port_id, record, err);
	case ENGINE_ACT_STORE_UNBIND:
		return store_binding_delete(d->store, a->port, err);
	case ENGINE_ACT_STORE_ADDR:
		return store_address(d, a, err);
	case ENGINE_ACT_STORE_ADDR_DEL:
		return store_address_delete(d->store, a->port, a->addr.is_ipv6 ? 6 : 4, a->addr.ip,
					    err);
	case ENGINE_ACT_STORE_ADDRS_DEL:
		return store_addresses_delete_all(d->store, a->port, err);
	case ENGINE_ACT_STORE_FILTER:
		return store_filter_save(d->store, a->filter, a->message, err);
	case ENGINE_ACT_STORE_FILTER_DEL:
		return store_filter_delete(d->store, a->filter, err);
	default:
		return 0;
	}
}

/* The result of one apply, kept until the round's end, then told to the engine. */
struct applied {
	char *port;
	int r;
	struct fw_record *record;
	struct err err;
};

static void apply_one(struct daemon *d, const struct engine_action *a, struct applied *ret)
{
	bool was_lost = false;

	ret->r = fw_replace_port(d->fw, a->compiled, a->record, &ret->record, &was_lost, &ret->err);
	if (was_lost)
		log_warn(
			"port %s: its recorded rules are not in the kernel; adding what is missing",
			a->port);
}

/* The same for repairs: each port's rules added where the kernel lost them. */
static void repair_batch(struct daemon *d, const struct engine_action *v, size_t n,
			 struct applied *ret)
{
	const struct fw_port **ports = calloc(n, sizeof(*ports));
	struct err err = { 0 };
	bool is_batched = false;

	if (ports) {
		for (size_t i = 0; i < n; i++)
			ports[i] = v[i].compiled;
		is_batched = fw_repair_ports(d->fw, n, ports, &err) == 0;
		if (!is_batched)
			log_warn("repairing %zu ports in one transaction: %s%s", n, err.msg,
				 n > 1 ? "; one at a time" : "");
	}
	for (size_t i = 0; i < n; i++) {
		const struct fw_port *p = v[i].compiled;

		ret[i].port = v[i].port;
		if (!is_batched && ports && n == 1)
			ret[i].err = err;
		else if (!is_batched)
			(void)fw_repair_ports(d->fw, 1, &p, &ret[i].err);
		ret[i].r = ret[i].err.code;
		if (ret[i].r >= 0 && fw_record_new(p, &ret[i].record) < 0)
			ret[i].r = err_set(&ret[i].err, -ENOMEM, "out of memory");
	}
	free(ports);
	fault_point("after-apply");
}

/* Stateful rules that cannot match are reported, not silently useless. */
static void check_stateful(const struct engine_action *v, size_t n, const struct applied *ret)
{
	for (size_t i = 0; i < n; i++)
		if (ret[i].r >= 0 && v[i].compiled->needs_inet && !fw_stateful_sees_bridged())
			log_warn("port %s: %s", v[i].port, FW_STATEFUL_WARNING);
}

/* Actions v[0..n) are applies: one transaction, or one at a time when that fails. */
static void apply_batch(struct daemon *d, const struct engine_action *v, size_t n,
			struct applied *ret)
{
	const struct fw_port **ports = n > 1 ? calloc(n, sizeof(*ports)) : NULL;
	const struct fw_record **olds = n > 1 ? calloc(n, sizeof(*olds)) : NULL;
	struct fw_record **recs = n > 1 ? calloc(n, sizeof(*recs)) : NULL;
	struct err err = { 0 };
	bool is_batched = false;

	if (ports && olds && recs) {
		for (size_t i = 0; i < n; i++) {
			ports[i] = v[i].compiled;
			olds[i] = v[i].record;
		}
		is_batched = fw_apply_ports(d->fw, n, (const struct fw_port *const *)ports, olds,
					    recs, &err) == 0;
		if (!is_batched)
			log_warn("%zu ports in one transaction: %s; one at a time", n, err.msg);
	}
	for (size_t i = 0; i < n; i++) {
		ret[i].port = v[i].port;
		if (is_batched)
			ret[i].record = recs[i];
		else
			apply_one(d, &v[i], &ret[i]);
	}
	free(ports);
	free(olds);
	free(recs);
	check_stateful(v, n, ret);
	fault_point("after-apply");
}

static void kernel_change(struct daemon *d, const struct engine_action *a)
{
	struct err err = { 0 };

	switch (a->type) {
	case ENGINE_ACT_REMOVE:
		if (a->owned_record && fw_remove_port(d->fw, a->owned_record, a->is_last, &err) < 0)
			log_warn("port %s: removing its rules: %s (already gone?)", a->port,
				 err.msg);
		fault_point("after-remove");
		if (a->forget_rates)
			fw_forget_rates(d->fw, a->port, a->attach);
		break;
	case ENGINE_ACT_NOTE_TEMPLATE:
		fw_note_template(d->fw, a->record->template_id);
		log_info("port %s: rules in place, untouched", a->port);
		break;
	case ENGINE_ACT_SET_DOWN:
		if (link_set_down(a->port, &err) < 0)
			log_err("port %s: cannot set it down: %s", a->port, err.msg);
		break;
	default:
		break;
	}
}

static bool is_store_action(enum engine_action_type type)
{
	return type <= ENGINE_ACT_STORE_FILTER_DEL;
}

/* The first error of the inputs a request caused, and the rebuild failures they reported. */
struct outcome {
	int r;
	struct err *err;
	struct strbuf *failures;
};

static void take_outcome(struct outcome *o, struct engine_actions *acts)
{
	if (acts->r < 0 && o->r >= 0) {
		o->r = acts->r;
		if (o->err)
			*o->err = acts->err;
	}
	if (o->failures && acts->failures.len)
		strbuf_addf(o->failures, "%s%s", o->failures->len ? "\n" : "", acts->failures.buf);
}

/*
 * Carries out acts in order, round after round: the results of a round's
 * applies go back to the engine, whose answers are the next round. Takes
 * acts (empties it).
 */
static void execute(struct daemon *d, struct engine_actions *acts, struct outcome *o)
{
	while (acts->n) {
		struct engine_actions next;
		struct applied *results = calloc(acts->n, sizeof(*results));
		size_t n_results = 0;

		engine_actions_init(&next);
		take_outcome(o, acts);
		for (size_t i = 0; i < acts->n; i++) {
			const struct engine_action *a = &acts->v[i];
			struct err err = { 0 };
			size_t k = i;

			if (is_store_action(a->type)) {
				store_open_batch(d);
				if (store_write(d, a, &err) < 0 && err.code != -ENOENT)
					log_err("store: %s", err.msg);
				continue;
			}
			if (a->type == ENGINE_ACT_EVENT) {
				emit(d, a);
				continue;
			}
			/* the store's intent is durable before the kernel changes */
			store_close_batch(d);
			if (a->type != ENGINE_ACT_APPLY) {
				kernel_change(d, a);
				continue;
			}
			while (k < acts->n && acts->v[k].type == ENGINE_ACT_APPLY)
				k++;
			if (results && a->is_repair) {
				repair_batch(d, &acts->v[i], k - i, &results[n_results]);
				n_results += k - i;
			} else if (results) {
				apply_batch(d, &acts->v[i], k - i, &results[n_results]);
				n_results += k - i;
			}
			i = k - 1;
		}
		store_close_batch(d);
		for (size_t i = 0; i < n_results; i++) {
			struct engine_input in = { .type = ENGINE_IN_APPLIED,
						   .applied = { .port = results[i].port,
								.r = results[i].r,
								.error = results[i].err.msg,
								.record = results[i].record } };

			if (results[i].r < 0)
				log_err("%s", results[i].err.msg);
			(void)engine_handle(d->engine, &in, clock_mono_s(), &next);
		}
		free(results);
		engine_actions_fini(acts);
		*acts = next;
	}
	take_outcome(o, acts);
	engine_actions_fini(acts);
}

/* One input through the engine, and its actions carried out. */
int daemon_dispatch(struct daemon *d, const struct engine_input *in, struct strbuf *failures,
		    struct err *err)
{
	struct engine_actions acts;
	struct outcome o = { .err = err, .failures = failures };

	engine_actions_init(&acts);
	(void)engine_handle(d->engine, in, clock_mono_s(), &acts);
	execute(d, &acts, &o);
	if (o.r < 0 && err && !err->msg[0])
		err_set(err, o.r, "%s", strerror(-o.r));
	return o.r;
}

void daemon_execute(struct daemon *d, struct engine_actions *acts)
{
	struct outcome o = { 0 };

	execute(d, acts, &o);
}
