/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine's decisions, driven by crafted inputs, without root: the
 * binding lifecycle, learning verdicts on real frame bytes, leases and
 * timeouts on the monotonic clock, restart and re-dump reconciliation,
 * filter changes, and every out-of-memory path of create and learn
 * (allocation failures injected through the linker's --wrap).
 *
 * A small executor stands in for the daemon's: it records every action and
 * answers each APPLY with a record made from the compiled rules, or with
 * an error for the ports told to fail.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "conf/load.h"
#include "engine/engine.h"
#include "learn-frames.h"
#include "learn-frames6.h"
#include "testlib.h"
#include "util/addr.h"

/* ---- allocation failures --------------------------------------------------- */

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
char *__real_strdup(const char *s);
int __real_vasprintf(char **ret, const char *fmt, va_list ap);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t size);
char *__wrap_strdup(const char *s);
int __wrap_vasprintf(char **ret, const char *fmt, va_list ap);

/* > 0: the fail_at-th allocation from now on fails (and only that one) */
static long fail_at, n_allocs;

static bool should_fail(void)
{
	return fail_at > 0 && ++n_allocs == fail_at;
}

void *__wrap_malloc(size_t size)
{
	return should_fail() ? NULL : __real_malloc(size);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return should_fail() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t size)
{
	return should_fail() ? NULL : __real_realloc(p, size);
}

char *__wrap_strdup(const char *s)
{
	return should_fail() ? NULL : __real_strdup(s);
}

int __wrap_vasprintf(char **ret, const char *fmt, va_list ap)
{
	if (should_fail())
		return -1;
	return __real_vasprintf(ret, fmt, ap);
}

static void inject_failure(long at)
{
	fail_at = at;
	n_allocs = 0;
}

/* ---- the stand-in executor ---------------------------------------------------- */

#define LOG_MAX 256

struct logged {
	enum engine_action_type type;
	char port[32];
	enum engine_event_type event;
	enum engine_port_state state;
	char message[256];
	bool has_old; /* APPLY replaced a record */
	char template_id[32];
	char prepared_id[32]; /* APPLY of a learning port: its template once learned */
	unsigned n_elements;
	struct engine_addr addr;
};

struct fixture {
	struct engine *e;
	int64_t now;
	struct logged log[LOG_MAX];
	size_t n_log;
	const char *fail_port; /* its applies fail */
	bool keeps_old_rules;  /* set_filters: a failed rebuild keeps the old rules */
	int last_r;
	struct err last_err;
	char failures[1024];
	char applied_elements[4096];   /* the elements_add of the last APPLY */
	struct engine_actions pending; /* a capture read's actions, until its flush */
};

static struct fw_record *record_of(const struct fw_port *p)
{
	/* the executor's own memory: never a failure injected into the engine */
	struct fw_record *rec = __real_calloc(1, sizeof(*rec));

	assert_non_null(rec);
	rec->port = __real_strdup(p->port);
	rec->attach = p->attach;
	rec->port_id = p->port_id;
	rec->template_id = __real_strdup(p->template_id);
	rec->template_del = __real_strdup(p->template_del);
	rec->elements_del = __real_strdup(p->elements_del);
	rec->prepared_id = p->prepared_id ? __real_strdup(p->prepared_id) : NULL;
	return rec;
}

static void log_action(struct fixture *fx, const struct engine_action *a)
{
	struct logged *l;

	assert_true(fx->n_log < LOG_MAX);
	l = &fx->log[fx->n_log++];
	*l = (struct logged){ .type = a->type,
			      .event = a->event,
			      .state = a->state,
			      .addr = a->addr,
			      .has_old = a->record != NULL };
	snprintf(l->port, sizeof(l->port), "%s", a->port ? a->port : "");
	snprintf(l->message, sizeof(l->message), "%s", a->message ? a->message : "");
	if (a->compiled) {
		snprintf(fx->applied_elements, sizeof(fx->applied_elements), "%s",
			 a->compiled->elements_add);
		snprintf(l->template_id, sizeof(l->template_id), "%s", a->compiled->template_id);
		snprintf(l->prepared_id, sizeof(l->prepared_id), "%s",
			 a->compiled->prepared_id ? a->compiled->prepared_id : "");
		l->n_elements = a->compiled->n_elements;
	}
}

/* Carries out the actions round after round, as the daemon does; returns the input's result. */
static int run(struct fixture *fx, const struct engine_input *in)
{
	struct engine_actions acts = fx->pending;
	int r;

	fx->n_log = 0;
	fx->failures[0] = '\0';
	engine_actions_init(&fx->pending);
	r = engine_handle(fx->e, in, fx->now, &acts);
	fx->last_r = acts.r;
	fx->last_err = acts.err;
	while (acts.n) {
		struct engine_actions next;

		engine_actions_init(&next);
		if (acts.failures.len)
			snprintf(fx->failures, sizeof(fx->failures), "%s", acts.failures.buf);
		for (size_t i = 0; i < acts.n; i++) {
			const struct engine_action *a = &acts.v[i];
			struct engine_input applied = { .type = ENGINE_IN_APPLIED };
			bool is_failing;

			log_action(fx, a);
			if (a->type != ENGINE_ACT_APPLY)
				continue;
			is_failing = fx->fail_port && strcmp(fx->fail_port, a->port) == 0;
			applied.applied.port = a->port;
			applied.applied.r = is_failing ? -EIO : 0;
			applied.applied.error = is_failing ? "nft: injected failure" : NULL;
			applied.applied.record = is_failing ? NULL : record_of(a->compiled);
			(void)engine_handle(fx->e, &applied, fx->now, &next);
		}
		if (next.r < 0 && r >= 0) {
			r = next.r;
			fx->last_r = next.r;
			fx->last_err = next.err;
		}
		if (next.failures.len)
			snprintf(fx->failures, sizeof(fx->failures), "%s", next.failures.buf);
		engine_actions_fini(&acts);
		acts = next;
	}
	engine_actions_fini(&acts);
	return r;
}

static size_t count(const struct fixture *fx, enum engine_action_type type)
{
	size_t n = 0;

	for (size_t i = 0; i < fx->n_log; i++)
		n += fx->log[i].type == type;
	return n;
}

static const struct logged *find_event(const struct fixture *fx, enum engine_event_type ev)
{
	for (size_t i = 0; i < fx->n_log; i++)
		if (fx->log[i].type == ENGINE_ACT_EVENT && fx->log[i].event == ev)
			return &fx->log[i];
	return NULL;
}

static size_t index_of(const struct fixture *fx, enum engine_action_type type)
{
	for (size_t i = 0; i < fx->n_log; i++)
		if (fx->log[i].type == type)
			return i;
	return SIZE_MAX;
}

static struct filter_set *load_filters(void)
{
	struct filter_set *set = filter_set_new();
	char *dir = test_source_path("filters");

	assert_non_null(set);
	assert_non_null(dir);
	assert_true(conf_load_dir(dir, set, NULL) >= 0);
	free(dir);
	return set;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct engine_config cfg = { .learn_timeout_s = 60, .nflog_group = 3710 };

	assert_non_null(fx);
	assert_int_equal(engine_new(&cfg, load_filters(), &fx->e), 0);
	engine_actions_init(&fx->pending);
	fx->now = 1000;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	inject_failure(0);
	engine_actions_fini(&fx->pending);
	engine_free(fx->e);
	free(fx);
	return 0;
}

static const uint8_t host_mac1[6] = { 0xfe, 0x54, 0, 0, 0, 1 };
static const uint8_t host_mac2[6] = { 0xfe, 0x54, 0, 0, 0, 2 };

static struct link_info link_of(const char *name, int ifindex, const uint8_t mac[6])
{
	/* on bridge 5: a port on no bridge is refused, or quarantined */
	struct link_info link = { .ifindex = ifindex, .has_mac = true, .is_up = true, .master = 5 };

	snprintf(link.name, sizeof(link.name), "%s", name);
	snprintf(link.kind, sizeof(link.kind), "tun");
	memcpy(link.mac, mac, 6);
	return link;
}

/* A binding of port to filter for the VM fx_vm_mac; params: "NAME=value" ..., NULL. */
static struct binding *binding_of(const char *port, const char *filter, const uint8_t vm_mac[6],
				  ...)
{
	struct binding *b = binding_new();
	const char *kv;
	va_list ap;

	assert_non_null(b);
	b->portdev = strdup(port);
	b->ref.filter = strdup(filter);
	memcpy(b->mac, vm_mac, 6);
	va_start(ap, vm_mac);
	while ((kv = va_arg(ap, const char *))) {
		char name[64];
		const char *eq = strchr(kv, '=');

		snprintf(name, sizeof(name), "%.*s", (int)(eq - kv), kv);
		assert_int_equal(filter_params_add(&b->ref.params, name, eq + 1), 0);
	}
	va_end(ap);
	return b;
}

static int bind_port(struct fixture *fx, struct binding *b, int ifindex, const uint8_t mac[6])
{
	struct engine_input in = { .type = ENGINE_IN_BIND,
				   .bind = { .binding = b, .has_link = true } };

	in.bind.link = link_of(b->portdev, ifindex, mac);
	return run(fx, &in);
}

static enum engine_port_state state_of(const struct fixture *fx, const char *port)
{
	struct engine_port_info info;

	assert_true(engine_port_find(fx->e, port, &info));
	return info.state;
}

#define UPLINK_IFINDEX 2 /* a bridge port that is no guest's: the DHCP server's side */

/* A frame's bytes, parsed as the capture would, entered at from; then the read's end. */
static void frame_from(struct fixture *fx, int ifindex, enum learn_dir dir, int from,
		       const uint8_t *bytes, size_t len)
{
	struct learn_frame f;
	struct engine_input in = {
		.type = ENGINE_IN_FRAME,
		.frame = { .ifindex = ifindex, .dir = dir, .from_ifindex = from, .frame = &f }
	};
	struct engine_input flush = { .type = ENGINE_IN_FLUSH };

	assert_int_equal(learn_eth_parse(bytes, len, &f), 0);
	assert_int_equal(engine_handle(fx->e, &in, fx->now, &fx->pending), 0);
	/* nothing reaches the kernel before the read ends */
	for (size_t i = 0; i < fx->pending.n; i++)
		assert_int_not_equal(fx->pending.v[i].type, ENGINE_ACT_APPLY);
	run(fx, &flush);
}

/* From the VM itself, or towards it from the uplink. */
static void frame(struct fixture *fx, int ifindex, enum learn_dir dir, const uint8_t *bytes,
		  size_t len)
{
	frame_from(fx, ifindex, dir, dir == LEARN_DIR_TO_VM ? UPLINK_IFINDEX : ifindex, bytes, len);
}

static void dhcp_exchange(struct fixture *fx, int ifindex)
{
	frame(fx, ifindex, LEARN_DIR_FROM_VM, fx_dhcp_discover, FX_DHCP_LEN);
	frame(fx, ifindex, LEARN_DIR_FROM_VM, fx_dhcp_request, FX_DHCP_LEN);
	frame(fx, ifindex, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN);
}

/* ---- lifecycle --------------------------------------------------------------- */

static void test_bind_given_ip_is_active(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(
		bind_port(fx, binding_of("vnet0", "clean-traffic", fx_vm_mac, "IP=10.0.0.5", NULL),
			  10, host_mac1),
		0);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
	/* the intent is stored before the kernel changes; the record after */
	assert_true(index_of(fx, ENGINE_ACT_STORE_BINDING) < index_of(fx, ENGINE_ACT_APPLY));
	assert_true(index_of(fx, ENGINE_ACT_APPLY) < index_of(fx, ENGINE_ACT_STORE_RECORD));
	assert_int_equal(fx->log[index_of(fx, ENGINE_ACT_STORE_BINDING)].state, ENGINE_PORT_NEW);
	assert_false(fx->log[index_of(fx, ENGINE_ACT_APPLY)].has_old);
	assert_non_null(find_event(fx, ENGINE_EVENT_BINDING_CREATED));
	assert_null(find_event(fx, ENGINE_EVENT_LEARNING));
	assert_int_equal(engine_filter_users(fx->e, "no-mac-spoofing"), 1);
}

static void test_bind_without_ip_learns(void **state)
{
	struct fixture *fx = *state;
	struct engine_port_info info;

	assert_int_equal(
		bind_port(fx, binding_of("vnet0", "clean-traffic", fx_vm_mac, NULL), 10, host_mac1),
		0);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.state, ENGINE_PORT_LEARNING);
	assert_true(info.learns);
	assert_int_equal(info.learn_mode, LEARN_MODE_ANY);
	assert_int_equal(info.learning_since, fx->now);
	assert_int_equal(info.learn_timeout_s, 60);
	assert_string_equal(find_event(fx, ENGINE_EVENT_LEARNING)->message,
			    "learning the IP address (any mode)");
}

static void test_bind_refusals(void **state)
{
	struct fixture *fx = *state;
	struct engine_input in = { .type = ENGINE_IN_BIND };

	assert_int_equal(
		bind_port(fx, binding_of("vnet0", "clean-traffic", fx_vm_mac, "IP=10.0.0.5", NULL),
			  10, host_mac1),
		0);
	/* the same port twice */
	assert_int_equal(
		bind_port(fx, binding_of("vnet0", "clean-traffic", fx_vm_mac, "IP=10.0.0.6", NULL),
			  10, host_mac1),
		-EEXIST);
	assert_non_null(strstr(fx->last_err.msg, "already bound"));
	assert_int_equal(fx->n_log, 0);
	/* rules vifguardctl apply put there: refused, naming the way out */
	in.bind.binding = binding_of("vnet8", "clean-traffic", fx_vm_mac, NULL);
	in.bind.has_link = true;
	in.bind.is_ctl_port = true;
	in.bind.link = link_of("vnet8", 18, host_mac2);
	assert_int_equal(run(fx, &in), -EBUSY);
	assert_non_null(strstr(fx->last_err.msg, "vifguardctl remove vnet8"));
	assert_int_equal(fx->n_log, 0);
	/* a tap on no bridge: no bridge hook would see its frames */
	in.bind.binding = binding_of("vnet7", "clean-traffic", fx_vm_mac, NULL);
	in.bind.is_ctl_port = false;
	in.bind.link = link_of("vnet7", 17, host_mac2);
	in.bind.link.master = 0;
	assert_int_equal(run(fx, &in), -EINVAL);
	assert_non_null(strstr(fx->last_err.msg, "cannot bind port vnet7: it is on no bridge"));
	assert_non_null(strstr(fx->last_err.msg, "; port vnet7 set down"));
	/* it runs unguarded otherwise: set down, and nothing else */
	assert_int_equal(fx->n_log, 1);
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
	/* unless the caller asks to keep it up */
	in.bind.binding = binding_of("vnet7", "clean-traffic", fx_vm_mac, NULL);
	in.bind.keeps_up_on_failure = true;
	assert_int_equal(run(fx, &in), -EINVAL);
	assert_null(strstr(fx->last_err.msg, "set down"));
	assert_int_equal(fx->n_log, 0);
	in.bind.keeps_up_on_failure = false;
	/* a macvtap is on no bridge by nature: its own hooks */
	in.bind.binding = binding_of("macvtap7", "clean-traffic", fx_vm_mac, NULL);
	in.bind.link = link_of("macvtap7", 27, host_mac2);
	in.bind.link.master = 0;
	snprintf(in.bind.link.kind, sizeof(in.bind.link.kind), "macvtap");
	assert_int_equal(run(fx, &in), 0);
	in = (struct engine_input){ .type = ENGINE_IN_UNBIND, .port = "macvtap7" };
	assert_int_equal(run(fx, &in), 0);
	in = (struct engine_input){ .type = ENGINE_IN_BIND };
	/* no such interface */
	in.bind.binding = binding_of("vnet9", "clean-traffic", fx_vm_mac, NULL);
	in.bind.link_error = -ENODEV;
	assert_int_equal(run(fx, &in), -ENODEV);
	assert_string_equal(fx->last_err.msg,
			    "cannot bind port vnet9: no such interface (VM not started?)");
	/* learning off and no IP: the missing variable is named */
	assert_int_equal(bind_port(fx,
				   binding_of("vnet1", "clean-traffic", fx_vm_mac,
					      "CTRL_IP_LEARNING=none", NULL),
				   11, host_mac2),
			 -EINVAL);
	assert_non_null(strstr(fx->last_err.msg, "give IP"));
	/* a filter that does not exist */
	assert_int_equal(bind_port(fx, binding_of("vnet1", "no-such-filter", fx_vm_mac, NULL), 11,
				   host_mac2),
			 -ENOENT);
	assert_non_null(strstr(fx->last_err.msg, "vnet1"));
	assert_int_equal(engine_port_count(fx->e), 1);
}

static void test_bind_apply_fails(void **state)
{
	struct fixture *fx = *state;

	fx->fail_port = "vnet0";
	assert_int_equal(
		bind_port(fx, binding_of("vnet0", "clean-traffic", fx_vm_mac, "IP=10.0.0.5", NULL),
			  10, host_mac1),
		-EIO);
	assert_string_equal(fx->last_err.msg, "nft: injected failure; port vnet0 set down");
	/* the binding is gone, from the engine and the store, and the port is down */
	assert_int_equal(engine_port_count(fx->e), 0);
	assert_int_equal(count(fx, ENGINE_ACT_STORE_UNBIND), 1);
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
	assert_null(find_event(fx, ENGINE_EVENT_BINDING_CREATED));
}

static void test_unbind(void **state)
{
	struct fixture *fx = *state;
	struct engine_input in = { .type = ENGINE_IN_UNBIND, .port = "vnet0" };
	size_t remove_at;

	assert_int_equal(run(fx, &in), -ENOENT);
	assert_string_equal(fx->last_err.msg, "port vnet0 is not bound");
	assert_int_equal(
		bind_port(fx, binding_of("vnet0", "clean-traffic", fx_vm_mac, "IP=10.0.0.5", NULL),
			  10, host_mac1),
		0);
	assert_int_equal(run(fx, &in), 0);
	/* the kernel first, so no stale binding hides rules */
	remove_at = index_of(fx, ENGINE_ACT_REMOVE);
	assert_true(remove_at < index_of(fx, ENGINE_ACT_STORE_UNBIND));
	assert_non_null(find_event(fx, ENGINE_EVENT_BINDING_DELETED));
	assert_int_equal(engine_port_count(fx->e), 0);
}

static void test_port_ids_unique(void **state)
{
	struct fixture *fx = *state;
	struct engine_port_info a, b;

	assert_int_equal(
		bind_port(fx, binding_of("vnet0", "clean-traffic", fx_vm_mac, "IP=10.0.0.5", NULL),
			  10, host_mac1),
		0);
	assert_int_equal(
		bind_port(fx,
			  binding_of("vnet1", "clean-traffic", fx_other_mac, "IP=10.0.0.6", NULL),
			  11, host_mac2),
		0);
	assert_true(engine_port_find(fx->e, "vnet0", &a));
	assert_true(engine_port_find(fx->e, "vnet1", &b));
	assert_true(a.port_id > 0 && b.port_id > 0);
	assert_int_not_equal(a.port_id, b.port_id);
}

/* ---- learning ------------------------------------------------------------------ */

static void bind_learning(struct fixture *fx)
{
	assert_int_equal(
		bind_port(fx, binding_of("vnet0", "clean-traffic", fx_vm_mac, NULL), 10, host_mac1),
		0);
}

static void test_learn_from_dhcp(void **state)
{
	struct fixture *fx = *state;
	struct engine_port_info info;
	const struct logged *ev;
	char ip[IP_TEXT_MAX], prepared[32];

	bind_learning(fx);
	/* the template of the rules once learned goes in with the learning rules */
	snprintf(prepared, sizeof(prepared), "%s",
		 fx->log[index_of(fx, ENGINE_ACT_APPLY)].prepared_id);
	assert_string_equal(fx->log[index_of(fx, ENGINE_ACT_APPLY)].template_id, "learn-any");
	assert_int_equal(prepared[0], 't');
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_discover, FX_DHCP_LEN);
	frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_offer, FX_DHCP_LEN);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING); /* an OFFER never teaches */
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_request, FX_DHCP_LEN);
	frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.state, ENGINE_PORT_ACTIVE);
	assert_int_equal(info.n_addrs, 1);
	assert_memory_equal(info.addrs[0].ip, fx_lease_ip, 4);
	assert_int_equal(info.addrs[0].source, LEARN_SOURCE_DHCP);
	assert_true(info.addrs[0].has_lease);
	assert_int_equal(info.addrs[0].lease_end, fx->now + 3600);
	/* stored before the rules change, in binary */
	assert_true(index_of(fx, ENGINE_ACT_STORE_ADDR) < index_of(fx, ENGINE_ACT_APPLY));
	assert_memory_equal(fx->log[index_of(fx, ENGINE_ACT_STORE_ADDR)].addr.ip, fx_lease_ip, 4);
	ev = find_event(fx, ENGINE_EVENT_LEARNED);
	assert_non_null(ev);
	ipv4_format(fx_lease_ip, ip);
	assert_non_null(strstr(ev->message, ip));
	assert_true(fx->log[index_of(fx, ENGINE_ACT_APPLY)].has_old);
	/* the learn jumps to the template made ahead: it adds only elements */
	assert_string_equal(fx->log[index_of(fx, ENGINE_ACT_APPLY)].template_id, prepared);
	assert_string_equal(fx->log[index_of(fx, ENGINE_ACT_APPLY)].prepared_id, "");
}

static void test_learn_from_arp_and_conflict(void **state)
{
	struct fixture *fx = *state;
	uint8_t arp[60];
	char owned[IP_TEXT_MAX], param[64];

	/* vnet1 is given the address the VM's gratuitous ARP claims */
	memcpy(arp, fx_arp_gratuitous, sizeof(arp));
	ipv4_format(arp + FX_OFF_ARP_SPA, owned);
	snprintf(param, sizeof(param), "IP=%s", owned);
	assert_int_equal(bind_port(fx,
				   binding_of("vnet1", "clean-traffic", fx_other_mac, param, NULL),
				   11, host_mac2),
			 0);
	bind_learning(fx);
	frame(fx, 10, LEARN_DIR_FROM_VM, arp, sizeof(arp));
	assert_non_null(find_event(fx, ENGINE_EVENT_CONFLICT));
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "vnet1"));
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 0);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	/* without the conflict, the same frame teaches */
	run(fx, &(struct engine_input){ .type = ENGINE_IN_UNBIND, .port = "vnet1" });
	frame(fx, 10, LEARN_DIR_FROM_VM, arp, sizeof(arp));
	assert_non_null(find_event(fx, ENGINE_EVENT_LEARNED));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
}

static void test_learning_verdicts_counted(void **state)
{
	struct fixture *fx = *state;
	const struct engine_learn_stats *st = engine_learn_stats(fx->e);

	bind_learning(fx);
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_arp_probe, sizeof(fx_arp_probe)); /* ignored */
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_discover, FX_DHCP_LEN);      /* xid */
	frame(fx, 99, LEARN_DIR_FROM_VM, fx_dhcp_discover, FX_DHCP_LEN);      /* no such port */
	engine_count_unparsed(fx->e, 3);
	assert_int_equal(st->n_records, 4);
	assert_int_equal(st->n_unknown_port, 1);
	assert_int_equal(st->verdicts[LEARN_VERDICT_IGNORE], 1);
	assert_int_equal(st->verdicts[LEARN_VERDICT_RECORD_XID], 1);
	assert_int_equal(st->drops[3], 1);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
}

static void test_release_learns_again(void **state)
{
	struct fixture *fx = *state;

	bind_learning(fx);
	dhcp_exchange(fx, 10);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_release, FX_DHCP_LEN);
	assert_non_null(find_event(fx, ENGINE_EVENT_ADDRESS_REMOVED));
	assert_int_equal(count(fx, ENGINE_ACT_STORE_ADDR_DEL), 1);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	assert_int_equal(fx->log[index_of(fx, ENGINE_ACT_STORE_STATE)].state, ENGINE_PORT_LEARNING);
}

static void test_lease_expires_on_tick(void **state)
{
	struct fixture *fx = *state;
	struct engine_input tick = { .type = ENGINE_IN_TICK };

	bind_learning(fx);
	dhcp_exchange(fx, 10);
	fx->now += 3599;
	run(fx, &tick);
	assert_int_equal(fx->n_log, 0);
	fx->now += 1;
	run(fx, &tick);
	assert_non_null(find_event(fx, ENGINE_EVENT_EXPIRED));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
}

static void test_renewal_moves_lease(void **state)
{
	struct fixture *fx = *state;
	struct engine_port_info info;

	bind_learning(fx);
	dhcp_exchange(fx, 10);
	fx->now += 1800;
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_renew, FX_DHCP_LEN);
	frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_renew_ack, FX_DHCP_LEN);
	assert_non_null(find_event(fx, ENGINE_EVENT_RENEWED));
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.n_addrs, 1);
	assert_true(info.addrs[0].lease_end > 1000 + 3600);
}

/* Copies a fixture frame with its UDP checksum cleared (0: none), so that it can be edited. */
static void edit_copy(uint8_t *b, const uint8_t *fx)
{
	memcpy(b, fx, FX_DHCP_LEN);
	b[FX_OFF_UDP + 6] = 0;
	b[FX_OFF_UDP + 7] = 0;
}

/*
 * A lease beyond the kernel's reach (its element timeouts count in 32-bit
 * milliseconds) gets no kernel timeout instead of a wrapped one: the
 * daemon's tick ends it, at its end computed in 64 bits.
 */
static void test_absurd_lease_no_wrap(void **state)
{
	struct fixture *fx = *state;
	struct engine_input tick = { .type = ENGINE_IN_TICK };
	struct engine_port_info info;
	uint8_t ack[FX_DHCP_LEN];
	const uint32_t lease = 4294967294u;
	char ip[IP_TEXT_MAX], element[64];

	edit_copy(ack, fx_dhcp_ack);
	assert_int_equal(ack[FX_OFF_OPTIONS + 9], 51);
	ack[FX_OFF_OPTIONS + 11] = (uint8_t)(lease >> 24);
	ack[FX_OFF_OPTIONS + 12] = (uint8_t)(lease >> 16);
	ack[FX_OFF_OPTIONS + 13] = (uint8_t)(lease >> 8);
	ack[FX_OFF_OPTIONS + 14] = (uint8_t)lease;
	bind_learning(fx);
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_discover, FX_DHCP_LEN);
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_request, FX_DHCP_LEN);
	frame(fx, 10, LEARN_DIR_TO_VM, ack, FX_DHCP_LEN);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.state, ENGINE_PORT_ACTIVE);
	assert_int_equal(info.addrs[0].lease_end, fx->now + (int64_t)lease);
	ipv4_format(fx_lease_ip, ip);
	snprintf(element, sizeof(element), "%s timeout", ip);
	assert_non_null(strstr(fx->applied_elements, ip));
	assert_null(strstr(fx->applied_elements, element));
	/* a normal lease does carry its timeout: the control */
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_renew, FX_DHCP_LEN);
	frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_renew_ack, FX_DHCP_LEN);
	assert_non_null(strstr(fx->applied_elements, element));
	fx->now += 4000;
	run(fx, &tick);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
}

static void test_learning_timeout_blocks(void **state)
{
	struct fixture *fx = *state;
	struct engine_input tick = { .type = ENGINE_IN_TICK };
	struct engine_input relearn = { .type = ENGINE_IN_RELEARN, .port = "vnet0" };
	struct engine_port_info info;

	bind_learning(fx);
	fx->now += 59;
	run(fx, &tick);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	fx->now += 1;
	run(fx, &tick);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.state, ENGINE_PORT_FAILED);
	assert_string_equal(info.template_id, "blocked");
	assert_string_equal(info.note, "no address learned within 60 s");
	assert_non_null(find_event(fx, ENGINE_EVENT_PORT_FAILED));
	/* blocked: frames teach nothing, and the port is not set down */
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 0);
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_arp_gratuitous, sizeof(fx_arp_gratuitous));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_FAILED);
	/* relearn opens the window again, with a fresh timer */
	assert_int_equal(run(fx, &relearn), 0);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.state, ENGINE_PORT_LEARNING);
	assert_int_equal(info.learning_since, fx->now);
	assert_null(info.note);
	assert_non_null(find_event(fx, ENGINE_EVENT_LEARNING));
	assert_int_equal(count(fx, ENGINE_ACT_STORE_ADDRS_DEL), 1);
	/* a port given its IP does not learn */
	assert_int_equal(
		bind_port(fx,
			  binding_of("vnet1", "clean-traffic", fx_other_mac, "IP=10.0.0.6", NULL),
			  11, host_mac2),
		0);
	relearn.port = "vnet1";
	assert_int_equal(run(fx, &relearn), -EINVAL);
}

static void test_learn_apply_fails_sets_down(void **state)
{
	struct fixture *fx = *state;
	struct engine_port_info info;

	bind_learning(fx);
	fx->fail_port = "vnet0";
	dhcp_exchange(fx, 10);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.state, ENGINE_PORT_FAILED);
	assert_string_equal(info.note, "nft: injected failure");
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
	assert_null(find_event(fx, ENGINE_EVENT_LEARNED));
	assert_non_null(find_event(fx, ENGINE_EVENT_PORT_FAILED));
	/* a relearn whose rules cannot go in fails the request, and the port stays down */
	assert_int_equal(
		run(fx, &(struct engine_input){ .type = ENGINE_IN_RELEARN, .port = "vnet0" }),
		-EIO);
	assert_non_null(strstr(fx->last_err.msg, "port set down"));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_FAILED);
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
}

/* The engine's clock is the caller's monotonic one: nothing else moves a timeout. */
static void test_timeouts_follow_monotonic_time_only(void **state)
{
	struct fixture *fx = *state;
	struct engine_input tick = { .type = ENGINE_IN_TICK };

	bind_learning(fx);
	dhcp_exchange(fx, 10);
	/* a tick at the same monotonic time, however often, expires nothing */
	for (int i = 0; i < 5; i++)
		run(fx, &tick);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
}

/* ---- learning under attack ---------------------------------------------------------- */

static void bind_neighbour(struct fixture *fx, const char *extra)
{
	assert_int_equal(bind_port(fx,
				   binding_of("vnet1", "clean-traffic", fx_other_mac, "IP=10.0.0.6",
					      extra, NULL),
				   11, host_mac2),
			 0);
}

static void request(struct fixture *fx)
{
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_discover, FX_DHCP_LEN);
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_request, FX_DHCP_LEN);
}

static uint64_t drops(const struct fixture *fx, enum learn_drop reason)
{
	return engine_learn_stats(fx->e)->drops[reason];
}

/* I3: a reply that entered from a guest port teaches nobody, itself included (hairpin). */
static void test_guest_replies_never_teach(void **state)
{
	struct fixture *fx = *state;

	bind_neighbour(fx, NULL);
	bind_learning(fx);
	request(fx);
	frame_from(fx, 10, LEARN_DIR_TO_VM, 11, fx_dhcp_ack, FX_DHCP_LEN); /* the neighbour */
	frame_from(fx, 10, LEARN_DIR_TO_VM, 10, fx_dhcp_ack, FX_DHCP_LEN); /* hairpin */
	assert_int_equal(drops(fx, LEARN_DROP_UNTRUSTED_PORT), 2);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	/* the control: the same reply from the uplink teaches (the xid is still good) */
	frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
}

/* I3: a guest port declared a DHCP server (CTRL_DHCP_SERVER=yes) is a trusted place. */
static void test_declared_server_port_teaches(void **state)
{
	struct fixture *fx = *state;

	bind_neighbour(fx, "CTRL_DHCP_SERVER=yes");
	bind_learning(fx);
	request(fx);
	frame_from(fx, 10, LEARN_DIR_TO_VM, 11, fx_dhcp_ack, FX_DHCP_LEN);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
}

/* I3: an exchange teaches once; a replayed xid teaches nothing, nor does an old one. */
static void test_xid_single_use_and_expiry(void **state)
{
	struct fixture *fx = *state;
	struct engine_port_info info;
	uint8_t other[FX_DHCP_LEN];

	bind_learning(fx);
	request(fx);
	frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN);
	/* the same xid again, for another address: 200 times */
	edit_copy(other, fx_dhcp_ack);
	other[FX_OFF_YIADDR + 3] ^= 0x40;
	for (int i = 0; i < 200; i++)
		frame(fx, 10, LEARN_DIR_TO_VM, other, FX_DHCP_LEN);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.n_addrs, 1);
	assert_int_equal(drops(fx, LEARN_DROP_DHCP_XID), 200);
	/* a NAK on the used xid removes nothing */
	frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_nak, FX_DHCP_LEN);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
	/* an exchange older than LEARN_XID_MAX_AGE_S teaches nothing either */
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_renew, FX_DHCP_LEN);
	fx->now += LEARN_XID_MAX_AGE_S;
	frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_renew_ack, FX_DHCP_LEN);
	assert_null(find_event(fx, ENGINE_EVENT_RENEWED));
	assert_int_equal(drops(fx, LEARN_DROP_DHCP_XID), 202);
	/* the control: a fresh one does */
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_renew, FX_DHCP_LEN);
	frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_renew_ack, FX_DHCP_LEN);
	assert_non_null(find_event(fx, ENGINE_EVENT_RENEWED));
}

/* I3: RELEASE takes away only what DHCP taught; an address learned from ARP stays. */
static void test_release_only_dhcp_taught(void **state)
{
	struct fixture *fx = *state;
	uint8_t release[FX_DHCP_LEN], arp[60];

	bind_learning(fx);
	memcpy(arp, fx_arp_gratuitous, sizeof(arp));
	memcpy(arp + FX_OFF_ARP_SPA, fx_lease_ip, 4); /* the address the RELEASE names */
	frame(fx, 10, LEARN_DIR_FROM_VM, arp, sizeof(arp));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
	edit_copy(release, fx_dhcp_release);
	frame(fx, 10, LEARN_DIR_FROM_VM, release, FX_DHCP_LEN);
	assert_int_equal(drops(fx, LEARN_DROP_NOT_DHCP_TAUGHT), 1);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
}

/* I6: a port learns at most max_addrs addresses; reaching it is an event. */
static void test_address_limit(void **state)
{
	struct fixture *fx = *state;
	struct engine_config cfg = { .nflog_group = 3710, .max_addrs = 1 };
	struct engine_port_info info;
	uint8_t other[FX_DHCP_LEN];

	engine_free(fx->e);
	assert_int_equal(engine_new(&cfg, load_filters(), &fx->e), 0);
	bind_learning(fx);
	dhcp_exchange(fx, 10);
	/* a second exchange, granting another address */
	frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_renew, FX_DHCP_LEN);
	edit_copy(other, fx_dhcp_renew_ack);
	other[FX_OFF_YIADDR + 3] ^= 0x40;
	frame(fx, 10, LEARN_DIR_TO_VM, other, FX_DHCP_LEN);
	assert_non_null(find_event(fx, ENGINE_EVENT_LIMIT));
	assert_int_equal(drops(fx, LEARN_DROP_ADDR_LIMIT), 1);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.n_addrs, 1);
}

/* I2: protected addresses are nobody's; a given address is one port's. */
static void test_protected_and_given_addresses(void **state)
{
	struct fixture *fx = *state;
	const uint8_t gateway[1][4] = { { 10, 0, 0, 254 } };
	struct engine_config cfg = { .nflog_group = 3710,
				     .protected_addrs = gateway,
				     .n_protected = 1 };
	uint8_t arp[60];

	engine_free(fx->e);
	assert_int_equal(engine_new(&cfg, load_filters(), &fx->e), 0);
	bind_learning(fx);
	memcpy(arp, fx_arp_gratuitous, sizeof(arp));
	memcpy(arp + FX_OFF_ARP_SPA, gateway[0], 4);
	frame(fx, 10, LEARN_DIR_FROM_VM, arp, sizeof(arp));
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "protected"));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	assert_int_equal(
		bind_port(fx,
			  binding_of("vnet1", "clean-traffic", fx_other_mac, "IP=10.0.0.254", NULL),
			  11, host_mac2),
		-EADDRINUSE);
	assert_non_null(strstr(fx->last_err.msg, "protected"));
	bind_neighbour(fx, NULL);
	assert_int_equal(
		bind_port(fx,
			  binding_of("vnet2", "clean-traffic", fx_other_mac, "IP=10.0.0.6", NULL),
			  12, host_mac2),
		-EADDRINUSE);
	assert_string_equal(
		fx->last_err.msg,
		"cannot bind port vnet2: IP 10.0.0.6 is given to port vnet1 already; port "
		"vnet2 set down");
}

/* I2: the address of a port's bridge is nobody's: not learned, not given. */
static void test_bridge_address_protected(void **state)
{
	struct fixture *fx = *state;
	const uint8_t bridge[1][4] = { { 10, 0, 0, 253 } };
	struct engine_input in = {
		.type = ENGINE_IN_BIND,
		.bind = { .has_link = true, .bridge_addrs = bridge, .n_bridge_addrs = 1 }
	};
	uint8_t arp[60];

	in.bind.binding = binding_of("vnet0", "clean-traffic", fx_vm_mac, NULL);
	in.bind.link = link_of("vnet0", 10, host_mac1);
	assert_int_equal(run(fx, &in), 0);
	memcpy(arp, fx_arp_gratuitous, sizeof(arp));
	memcpy(arp + FX_OFF_ARP_SPA, bridge[0], 4);
	frame(fx, 10, LEARN_DIR_FROM_VM, arp, sizeof(arp));
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "bridge"));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	in.bind.binding = binding_of("vnet1", "clean-traffic", fx_other_mac, "IP=10.0.0.253", NULL);
	in.bind.link = link_of("vnet1", 11, host_mac2);
	assert_int_equal(run(fx, &in), -EADDRINUSE);
	assert_string_equal(
		fx->last_err.msg,
		"cannot bind port vnet1: IP 10.0.0.253 is the bridge's own address; port "
		"vnet1 set down");
}

/* I2: an address the bridge gets after the bind is protected from then on, and taken back. */
static void test_bridge_address_added_later(void **state)
{
	struct fixture *fx = *state;
	const uint8_t bridge[1][4] = { { 10, 0, 0, 253 } };
	struct engine_input in = { .type = ENGINE_IN_BIND, .bind = { .has_link = true } };
	struct engine_input addrs = { .type = ENGINE_IN_BRIDGE_ADDRS,
				      .bridge = { .ifindex = 5, .addrs = bridge, .n = 1 } };
	struct engine_port_info info;
	uint8_t arp[60];

	in.bind.binding = binding_of("vnet0", "clean-traffic", fx_vm_mac, NULL);
	in.bind.link = link_of("vnet0", 10, host_mac1);
	in.bind.link.master = 5;
	assert_int_equal(run(fx, &in), 0);
	memcpy(arp, fx_arp_gratuitous, sizeof(arp));
	memcpy(arp + FX_OFF_ARP_SPA, bridge[0], 4);
	frame(fx, 10, LEARN_DIR_FROM_VM, arp, sizeof(arp));
	/* control: before the bridge has it, the guest learns it */
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
	/* another bridge getting it changes nothing here */
	addrs.bridge.ifindex = 6;
	assert_int_equal(run(fx, &addrs), 0);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
	addrs.bridge.ifindex = 5;
	assert_int_equal(run(fx, &addrs), 0);
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message,
			       "now an address of the bridge"));
	assert_int_equal(count(fx, ENGINE_ACT_STORE_ADDR_DEL), 1);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 1);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.n_addrs, 0);
	assert_int_equal(info.state, ENGINE_PORT_LEARNING);
	assert_int_equal(info.master, 5);
	/* and it is never learned again */
	frame(fx, 10, LEARN_DIR_FROM_VM, arp, sizeof(arp));
	assert_non_null(
		strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "the bridge's own address"));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
}

/* I2: a guest squatting an address loses it to the binding that gives it. */
static void test_squatter_loses_to_binding(void **state)
{
	struct fixture *fx = *state;
	struct engine_port_info info;
	char param[64], ip[IP_TEXT_MAX];

	bind_learning(fx);
	dhcp_exchange(fx, 10); /* vnet0 holds fx_lease_ip */
	ipv4_format(fx_lease_ip, ip);
	snprintf(param, sizeof(param), "IP=%s", ip);
	assert_int_equal(bind_port(fx,
				   binding_of("vnet1", "clean-traffic", fx_other_mac, param, NULL),
				   11, host_mac2),
			 0);
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "taken over"));
	assert_int_equal(count(fx, ENGINE_ACT_STORE_ADDR_DEL), 1);
	/* both rule changes in one round: never both own it in the kernel */
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 2);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.n_addrs, 0);
	assert_int_equal(info.state, ENGINE_PORT_LEARNING);
	assert_int_equal(state_of(fx, "vnet1"), ENGINE_PORT_ACTIVE);
}

/* I6: a compile is linear in the addresses: 20000 given, each twice, folded to 20000 elements. */
static void test_many_addresses_compile(void **state)
{
	struct fixture *fx = *state;
	struct binding *b = binding_of("vnet0", "no-ip-spoofing", fx_vm_mac, NULL);
	char ip[IP_TEXT_MAX];
	size_t at;

	for (unsigned i = 0; i < 40000; i++) {
		snprintf(ip, sizeof(ip), "10.%u.%u.%u", 100 + (i % 20000) / 65536,
			 ((i % 20000) >> 8) & 255, (i % 20000) & 255);
		assert_int_equal(filter_params_add(&b->ref.params, "IP", ip), 0);
	}
	assert_int_equal(bind_port(fx, b, 10, host_mac1), 0);
	at = index_of(fx, ENGINE_ACT_APPLY);
	assert_true(at != SIZE_MAX);
	assert_true(fx->log[at].n_elements >= 20000 && fx->log[at].n_elements < 20010);
}

/* ---- links ---------------------------------------------------------------------- */

static void test_link_mac_change_and_gone(void **state)
{
	struct fixture *fx = *state;
	struct engine_input in = { .type = ENGINE_IN_LINK };

	bind_learning(fx);
	/* the same link listed again: nothing */
	in.link = link_of("vnet0", 10, host_mac1);
	run(fx, &in);
	assert_int_equal(fx->n_log, 0);
	/* another link: nothing */
	in.link = link_of("eth0", 2, host_mac2);
	run(fx, &in);
	assert_int_equal(fx->n_log, 0);
	/* its MAC changed: quarantined, every frame dropped by hooks on the port, binding kept */
	in.link = link_of("vnet0", 10, host_mac2);
	run(fx, &in);
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_QUARANTINED)->message,
			       "MAC address changed to fe:54:00:00:00:02 (bound with "
			       "fe:54:00:00:00:01): quarantined"));
	assert_string_equal(fx->log[index_of(fx, ENGINE_ACT_APPLY)].template_id, "quarantine");
	assert_non_null(strstr(fx->applied_elements, "add chain netdev vifguard po-vnet0"));
	assert_non_null(strstr(fx->applied_elements, "drop"));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_QUARANTINED);
	assert_int_equal(count(fx, ENGINE_ACT_REMOVE), 0);
	/* the same again: nothing more */
	run(fx, &in);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 0);
	/* back as bound: learning again */
	in.link = link_of("vnet0", 10, host_mac1);
	run(fx, &in);
	assert_non_null(find_event(fx, ENGINE_EVENT_QUARANTINE_LIFTED));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	/* off its bridge: quarantined; on a bridge again: lifted */
	in.link.master = 0;
	run(fx, &in);
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_QUARANTINED)->message,
			       "the port left its bridge"));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_QUARANTINED);
	in.link.master = 7;
	run(fx, &in);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	/* a quarantine whose rules cannot go in sets the port down */
	fx->fail_port = "vnet0";
	in.link.master = 0;
	run(fx, &in);
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
	fx->fail_port = NULL;
	in = (struct engine_input){ .type = ENGINE_IN_LINK_GONE, .link = { .ifindex = 10 } };
	run(fx, &in);
	assert_int_equal(engine_port_count(fx->e), 0);
	assert_int_equal(count(fx, ENGINE_ACT_STORE_UNBIND), 1);
}

static void test_link_rename(void **state)
{
	struct fixture *fx = *state;
	struct engine_input in = { .type = ENGINE_IN_LINK };
	struct engine_port_info info;

	assert_int_equal(
		bind_port(fx, binding_of("vnet0", "clean-traffic", fx_vm_mac, "IP=10.0.0.5", NULL),
			  10, host_mac1),
		0);
	in.link = link_of("vm-a", 10, host_mac1);
	run(fx, &in);
	assert_false(engine_port_find(fx->e, "vnet0", &info));
	assert_true(engine_port_find(fx->e, "vm-a", &info));
	assert_int_equal(info.state, ENGINE_PORT_ACTIVE);
	assert_string_equal(fx->log[index_of(fx, ENGINE_ACT_STORE_UNBIND)].port, "vnet0");
	assert_string_equal(fx->log[index_of(fx, ENGINE_ACT_STORE_BINDING)].port, "vm-a");
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 1);
	assert_string_equal(find_event(fx, ENGINE_EVENT_PORT_RENAMED)->message,
			    "renamed from vnet0");
}

static void test_link_dump_reconcile(void **state)
{
	struct fixture *fx = *state;
	const int seen[] = { 1, 11 };
	struct engine_input in = { .type = ENGINE_IN_LINK_DUMP,
				   .dump = { .ifindexes = seen, .n = 2 } };

	bind_learning(fx);
	assert_int_equal(
		bind_port(fx,
			  binding_of("vnet1", "clean-traffic", fx_other_mac, "IP=10.0.0.6", NULL),
			  11, host_mac2),
		0);
	run(fx, &in);
	assert_int_equal(engine_port_count(fx->e), 1);
	assert_int_equal(state_of(fx, "vnet1"), ENGINE_PORT_ACTIVE);
	assert_string_equal(find_event(fx, ENGINE_EVENT_PORT_GONE)->port, "vnet0");
}

/* ---- restart ---------------------------------------------------------------------- */

/* What a bind of port left in the kernel, as a record (from a scratch engine). */
static struct fw_record *bound_record(const char *port, const char *ip)
{
	struct fixture scratch = { 0 };
	struct engine_config cfg = { .nflog_group = 3710 };
	struct engine_input in = { .type = ENGINE_IN_BIND, .bind = { .has_link = true } };
	struct engine_actions acts;
	struct fw_record *rec = NULL;
	char param[64];

	snprintf(param, sizeof(param), "IP=%s", ip);
	assert_int_equal(engine_new(&cfg, load_filters(), &scratch.e), 0);
	in.bind.binding = binding_of(port, "clean-traffic", fx_vm_mac, ip ? param : NULL, NULL);
	in.bind.link = link_of(port, 10, host_mac1);
	engine_actions_init(&acts);
	assert_int_equal(engine_handle(scratch.e, &in, 0, &acts), 0);
	for (size_t i = 0; i < acts.n; i++)
		if (acts.v[i].type == ENGINE_ACT_APPLY)
			rec = record_of(acts.v[i].compiled);
	engine_actions_fini(&acts);
	engine_free(scratch.e);
	assert_non_null(rec);
	return rec;
}

static int restore(struct fixture *fx, const char *ip, struct fw_record *rec, bool is_present,
		   int link_ifindex, const uint8_t link_mac[6], const struct engine_addr *addrs,
		   size_t n_addrs)
{
	char param[64];
	struct engine_input in = { .type = ENGINE_IN_RESTORE };

	snprintf(param, sizeof(param), "IP=%s", ip);
	in.restore = (struct engine_restore){
		.binding = binding_of("vnet0", "clean-traffic", fx_vm_mac, ip ? param : NULL, NULL),
		.port_id = 1,
		.ifindex = 10,
		.has_mac = true,
		.record = rec,
		.is_record_present = is_present,
		.created_at = 5,
		.addrs = addrs,
		.n_addrs = n_addrs,
		.has_link = link_ifindex > 0,
	};
	memcpy(in.restore.mac, host_mac1, 6);
	if (link_ifindex > 0)
		in.restore.link = link_of("vnet0", link_ifindex, link_mac);
	return run(fx, &in);
}

static void test_restore_rules_in_place_untouched(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(restore(fx, "10.0.0.5", bound_record("vnet0", "10.0.0.5"), true, 10,
				 host_mac1, NULL, 0),
			 0);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 0);
	assert_int_equal(count(fx, ENGINE_ACT_NOTE_TEMPLATE), 1);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
}

static void test_restore_stale_states(void **state)
{
	struct fixture *fx = *state;
	struct engine_input unbind = { .type = ENGINE_IN_UNBIND, .port = "vnet0" };
	const struct engine_addr learned = { .ip = { 10, 0, 0, 9 },
					     .source = LEARN_SOURCE_DHCP,
					     .has_lease = true,
					     .lease_end = 5000 };
	struct engine_port_info info;

	/* the port is gone: the binding and its rules go */
	restore(fx, "10.0.0.5", bound_record("vnet0", "10.0.0.5"), true, 0, NULL, NULL, 0);
	assert_string_equal(find_event(fx, ENGINE_EVENT_PORT_GONE)->message,
			    "the port is gone: binding and rules removed");
	assert_int_equal(count(fx, ENGINE_ACT_REMOVE), 1);
	assert_int_equal(engine_port_count(fx->e), 0);
	/* replaced: another ifindex */
	restore(fx, "10.0.0.5", bound_record("vnet0", "10.0.0.5"), true, 12, host_mac1, NULL, 0);
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_PORT_GONE)->message, "replaced"));
	assert_int_equal(engine_port_count(fx->e), 0);
	/* the same link with another MAC: quarantined */
	restore(fx, "10.0.0.5", bound_record("vnet0", "10.0.0.5"), true, 10, host_mac2, NULL, 0);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_QUARANTINED);
	assert_string_equal(fx->log[index_of(fx, ENGINE_ACT_APPLY)].template_id, "quarantine");
	run(fx, &unbind);
	/* the record's rules are not in the kernel (a flush, a reboot): applied again */
	restore(fx, "10.0.0.5", bound_record("vnet0", "10.0.0.5"), false, 10, host_mac1, NULL, 0);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 1);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
	run(fx, &unbind);
	/* no record at all (a crash between the intent and the kernel) */
	restore(fx, "10.0.0.5", NULL, false, 10, host_mac1, NULL, 0);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 1);
	assert_false(fx->log[index_of(fx, ENGINE_ACT_APPLY)].has_old);
	run(fx, &unbind);
	/* the record holds other rules (the binding changed): replaced */
	restore(fx, "10.0.0.5", bound_record("vnet0", "10.0.0.6"), true, 10, host_mac1, NULL, 0);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 1);
	assert_true(fx->log[index_of(fx, ENGINE_ACT_APPLY)].has_old);
	run(fx, &unbind);
	/* a learning port with its stored address comes back with full rules at once */
	restore(fx, NULL, bound_record("vnet0", NULL), true, 10, host_mac1, &learned, 1);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.state, ENGINE_PORT_ACTIVE);
	assert_int_equal(info.n_addrs, 1);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 1);
	run(fx, &unbind);
	/* rules that cannot be applied: the port goes down */
	fx->fail_port = "vnet0";
	restore(fx, "10.0.0.5", NULL, false, 10, host_mac1, NULL, 0);
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_FAILED);
}

static void test_restore_compile_error_sets_down(void **state)
{
	struct fixture *fx = *state;
	struct engine_input in = { .type = ENGINE_IN_RESTORE };

	in.restore = (struct engine_restore){
		.binding = binding_of("vnet0", "gone-filter", fx_vm_mac, NULL),
		.ifindex = 10,
		.has_mac = true,
		.has_link = true,
	};
	memcpy(in.restore.mac, host_mac1, 6);
	in.restore.link = link_of("vnet0", 10, host_mac1);
	run(fx, &in);
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_FAILED);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 0);
}

/* ---- filters -------------------------------------------------------------------- */

static struct filter *parse_filter(const char *xml)
{
	struct filter *f = NULL;
	enum conf_doc_kind kind;

	assert_true(conf_parse_mem(xml, strlen(xml), "test", NULL, &kind, &f, NULL) >= 0);
	return f;
}

static int set_filters(struct fixture *fx, enum engine_filters_cause cause, const char *name,
		       const char *xml)
{
	struct filter_set *set = load_filters();
	struct engine_input in = { .type = ENGINE_IN_FILTERS,
				   .filters = { .cause = cause,
						.name = name,
						.xml = xml,
						.keeps_old_rules = fx->keeps_old_rules } };

	if (xml)
		assert_int_equal(filter_set_add(set, parse_filter(xml), NULL), 0);
	in.filters.set = set;
	return run(fx, &in);
}

#define MINE                                                                     \
	"<filter name='mine' chain='root'><filterref filter='no-mac-spoofing'/>" \
	"<filterref filter='no-ip-spoofing'/></filter>"
#define MINE_MORE                                                                \
	"<filter name='mine' chain='root'><filterref filter='no-mac-spoofing'/>" \
	"<filterref filter='no-ip-spoofing'/><filterref filter='no-arp-spoofing'/></filter>"
#define MINE_NEEDS_VAR                                                           \
	"<filter name='mine' chain='root'><filterref filter='no-mac-spoofing'/>" \
	"<rule action='accept' direction='out'><ip srcipaddr='$OTHER'/></rule></filter>"

static void test_filter_redefine_rebuilds(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "mine", MINE), 0);
	assert_non_null(find_event(fx, ENGINE_EVENT_FILTER_DEFINED));
	assert_int_equal(count(fx, ENGINE_ACT_STORE_FILTER), 1);
	assert_int_equal(bind_port(fx, binding_of("vnet0", "mine", fx_vm_mac, "IP=10.0.0.5", NULL),
				   10, host_mac1),
			 0);
	/* the same rules: nothing to apply */
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_RELOAD, NULL, MINE), 0);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 0);
	assert_non_null(find_event(fx, ENGINE_EVENT_RELOADED));
	/* other rules: rebuilt */
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "mine", MINE_MORE), 0);
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 1);
	assert_non_null(find_event(fx, ENGINE_EVENT_BINDING_UPDATED));
	/* asked so, a rebuild that fails keeps the old rules and is reported */
	fx->fail_port = "vnet0";
	fx->keeps_old_rules = true;
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "mine", MINE), 0);
	assert_string_equal(fx->failures, "vnet0: nft: injected failure (its previous rules stay)");
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 0);
	/* by default it fails closed: the port is set down, and that is reported */
	fx->keeps_old_rules = false;
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "mine", MINE), 0);
	assert_string_equal(fx->failures, "vnet0: nft: injected failure (port set down)");
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_FAILED);
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
	/* in use: undefine refused, naming the binding */
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_UNDEFINE, "mine", NULL), -EBUSY);
	assert_string_equal(fx->last_err.msg, "filter 'mine' is in use by the bindings of vnet0");
}

#define FIXED(ip)                                                              \
	"<filter name='fixed' chain='root'><filterref filter='clean-traffic'>" \
	"<parameter name='IP' value='" ip "'/></filterref></filter>"

/* I2: an address a filter gives (a <filterref> parameter) has one owner too. */
/* Learned addresses from another host (binding import): active at once, or refused. */
static void test_bind_imported(void **state)
{
	struct fixture *fx = *state;
	const uint8_t host_mac3[6] = { 0xfe, 0x54, 0, 0, 0, 3 };
	struct engine_addr imported[2] = {
		{ .ip = { 10, 0, 0, 8 },
		  .source = LEARN_SOURCE_DHCP,
		  .has_lease = true,
		  .lease_end = fx->now + 600,
		  .learned_at = fx->now - 10 },
		{ .ip = { 10, 0, 0, 9 },
		  .source = LEARN_SOURCE_ARP,
		  .has_lease = true,
		  .lease_end = fx->now - 1,
		  .learned_at = fx->now - 900 },
	};
	struct engine_input in = {
		.type = ENGINE_IN_BIND,
		.bind = { .has_link = true, .imported = imported, .n_imported = 2 }
	};
	struct engine_port_info info;

	in.bind.binding = binding_of("vnet3", "clean-traffic", fx_vm_mac, NULL);
	in.bind.link = link_of("vnet3", 13, host_mac3);
	assert_int_equal(run(fx, &in), 0);
	/* no learning: the full rules at once, with the address whose lease has not ended */
	assert_int_equal(state_of(fx, "vnet3"), ENGINE_PORT_ACTIVE);
	assert_true(engine_port_find(fx->e, "vnet3", &info));
	assert_int_equal(info.n_addrs, 1);
	assert_memory_equal(info.addrs[0].ip, imported[0].ip, 4);
	assert_int_equal(count(fx, ENGINE_ACT_STORE_ADDR), 1);
	/* another port's: refused, the port set down */
	in.bind.binding = binding_of("vnet4", "clean-traffic", fx_other_mac, NULL);
	in.bind.link = link_of("vnet4", 14, host_mac2);
	in.bind.n_imported = 1;
	assert_int_equal(run(fx, &in), -EADDRINUSE);
	assert_string_equal(fx->last_err.msg,
			    "cannot bind port vnet4: its learned address 10.0.0.8 "
			    "belongs to port vnet3; port vnet4 set down");
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
	/* never an address */
	imported[0].ip[0] = 224;
	in.bind.binding = binding_of("vnet4", "clean-traffic", fx_other_mac, NULL);
	assert_int_equal(run(fx, &in), -EINVAL);
	assert_non_null(strstr(fx->last_err.msg, "its learned address 224.0.0.8 is refused"));
	/* a binding that gives IP takes none */
	in.bind.binding = binding_of("vnet4", "clean-traffic", fx_other_mac, "IP=10.0.0.20", NULL);
	assert_int_equal(run(fx, &in), -EINVAL);
	assert_non_null(strstr(fx->last_err.msg, "its binding gives IP, so it takes no learned"));
}

static void test_filter_given_address(void **state)
{
	struct fixture *fx = *state;
	const uint8_t mac3[6] = { 0x52, 0x54, 0, 0, 0, 3 },
		      host_mac3[6] = { 0xfe, 0x54, 0, 0, 0, 3 };
	uint8_t arp[60];

	assert_int_equal(
		bind_port(fx,
			  binding_of("vnet1", "clean-traffic", fx_other_mac, "IP=10.0.0.6", NULL),
			  11, host_mac2),
		0);
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "fixed", FIXED("10.0.0.6")), 0);
	assert_int_equal(bind_port(fx, binding_of("vnet3", "fixed", mac3, NULL), 13, host_mac3),
			 -EADDRINUSE);
	assert_string_equal(
		fx->last_err.msg,
		"port vnet3: IP 10.0.0.6, given by its filters, is owned by port vnet1; port vnet3 "
		"set down");
	/* control: another address goes in, and is then nobody else's to learn */
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "fixed", FIXED("10.0.0.7")), 0);
	assert_int_equal(bind_port(fx, binding_of("vnet3", "fixed", mac3, NULL), 13, host_mac3), 0);
	assert_int_equal(state_of(fx, "vnet3"), ENGINE_PORT_ACTIVE);
	bind_learning(fx);
	memcpy(arp, fx_arp_gratuitous, sizeof(arp));
	memcpy(arp + FX_OFF_ARP_SPA, (const uint8_t[]){ 10, 0, 0, 7 }, 4);
	frame(fx, 10, LEARN_DIR_FROM_VM, arp, sizeof(arp));
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "vnet3"));
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	/* a redefinition that would give vnet1's address is not applied, and says so: the port
	 * keeps its rules when asked, else it is set down */
	fx->keeps_old_rules = true;
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "fixed", FIXED("10.0.0.6")), 0);
	assert_non_null(strstr(fx->failures, "given by its filters, is owned by port vnet1"));
	assert_int_equal(count(fx, ENGINE_ACT_APPLY), 0);
	assert_int_equal(state_of(fx, "vnet3"), ENGINE_PORT_ACTIVE);
	fx->keeps_old_rules = false;
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "fixed", FIXED("10.0.0.6")), 0);
	assert_int_equal(count(fx, ENGINE_ACT_SET_DOWN), 1);
	assert_int_equal(state_of(fx, "vnet3"), ENGINE_PORT_FAILED);
}

static void test_filter_lock_while_learning(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "mine", MINE), 0);
	assert_int_equal(bind_port(fx, binding_of("vnet0", "mine", fx_vm_mac, NULL), 10, host_mac1),
			 0);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_LEARNING);
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_DEFINE, "mine", MINE_NEEDS_VAR), -EBUSY);
	assert_non_null(strstr(fx->last_err.msg, "vnet0 needs OTHER"));
	assert_int_equal(count(fx, ENGINE_ACT_STORE_FILTER), 0);
	assert_int_equal(set_filters(fx, ENGINE_FILTERS_RELOAD, NULL, MINE_NEEDS_VAR), -EBUSY);
	assert_non_null(strstr(fx->last_err.msg, "reload failed"));
}

static void test_filter_check_uuid(void **state)
{
	struct fixture *fx = *state;
	struct filter *f =
		parse_filter("<filter name='clean-traffic' chain='root'>"
			     "<uuid>11111111-2222-3333-4444-555555555555</uuid></filter>");
	struct err err = { 0 };

	assert_int_equal(engine_filter_check(fx->e, f, &err), -EEXIST);
	assert_non_null(strstr(err.msg, "another uuid"));
	filter_free(f);
}

/* ---- out of memory ---------------------------------------------------------------- */

/*
 * Fails the 1st, 2nd, ... allocation of an operation until it runs through:
 * every failure must leave a consistent engine (no leak: ASan checks) and
 * either the operation's effect or none of it.
 */
static void test_oom_create(void **state)
{
	struct fixture *fx = *state;
	bool is_done = false;

	for (long at = 1; !is_done && at < 5000; at++) {
		struct binding *b = binding_of("vnet0", "clean-traffic", fx_vm_mac, NULL);
		struct engine_port_info info;
		int r;

		inject_failure(at);
		r = bind_port(fx, b, 10, host_mac1);
		is_done = n_allocs < at;
		inject_failure(0);
		if (r < 0) {
			assert_int_equal(r, -ENOMEM);
		}
		if (engine_port_find(fx->e, "vnet0", &info)) {
			/* bound, learning, or failed closed: never active without rules */
			if (info.state == ENGINE_PORT_ACTIVE)
				assert_non_null(info.template_id);
			run(fx,
			    &(struct engine_input){ .type = ENGINE_IN_UNBIND, .port = "vnet0" });
		}
		assert_int_equal(engine_port_count(fx->e), 0);
	}
	assert_true(is_done);
}

static void test_oom_learn(void **state)
{
	struct fixture *fx = *state;
	bool is_done = false;

	for (long at = 1; !is_done && at < 5000; at++) {
		struct engine_port_info info;

		bind_learning(fx);
		frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_discover, FX_DHCP_LEN);
		frame(fx, 10, LEARN_DIR_FROM_VM, fx_dhcp_request, FX_DHCP_LEN);
		inject_failure(at);
		frame(fx, 10, LEARN_DIR_TO_VM, fx_dhcp_ack, FX_DHCP_LEN);
		is_done = n_allocs < at;
		inject_failure(0);
		assert_true(engine_port_find(fx->e, "vnet0", &info));
		/* learned, still learning (the VM asks again), or failed closed */
		if (info.state == ENGINE_PORT_ACTIVE)
			assert_int_equal(info.n_addrs, 1);
		if (info.state == ENGINE_PORT_LEARNING)
			assert_int_equal(info.n_addrs, 0);
		run(fx, &(struct engine_input){ .type = ENGINE_IN_UNBIND, .port = "vnet0" });
	}
	assert_true(is_done);
}

/* ---- IPv6 ----------------------------------------------------------------- */

static struct fx6_frame fx6[_FX6_MAX];

/* vnet0 (ifindex 10) learning IPV6, its IP given: active from the start. */
static void bind_learning6(struct fixture *fx, const char *extra)
{
	fx6_build_all(fx6);
	assert_int_equal(bind_port(fx,
				   binding_of("vnet0", "no-ipv6-spoofing", fx6_vm_mac, extra, NULL),
				   10, host_mac1),
			 0);
}

static void frame6(struct fixture *fx, int ifindex, enum learn_dir dir, int from, int which)
{
	frame_from(fx, ifindex, dir, from, fx6[which].bytes, fx6[which].len);
}

static size_t n_addrs6(const struct fixture *fx, const char *port)
{
	struct engine_port_info info;

	assert_true(engine_port_find(fx->e, port, &info));
	return info.n_addrs6;
}

/* A port learns IPv6 while it is active: DAD teaches, the gate holds the address. */
static void test_ipv6_learns_while_active(void **state)
{
	struct fixture *fx = *state;
	struct engine_port_info info;

	bind_learning6(fx, NULL);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_true(info.learns6);
	assert_int_equal(info.state, ENGINE_PORT_ACTIVE);
	/* no address yet: the stand-in, never one of the VM's, completes its rules */
	assert_non_null(strstr(fx->applied_elements, "learn6-ports"));
	assert_null(strstr(fx->applied_elements, "addr6"));
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_DAD_NS);
	assert_non_null(find_event(fx, ENGINE_EVENT_LEARNED));
	assert_int_equal(count(fx, ENGINE_ACT_STORE_ADDR), 1);
	assert_non_null(
		strstr(fx->applied_elements, "addr6 { \"vnet0\" . fe80::5054:ff:fe12:3456"));
	assert_int_equal(n_addrs6(fx, "vnet0"), 1);
	assert_int_equal(state_of(fx, "vnet0"), ENGINE_PORT_ACTIVE);
	/* the same address again teaches nothing new */
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_DAD_NS);
	assert_null(find_event(fx, ENGINE_EVENT_LEARNED));
	assert_int_equal(n_addrs6(fx, "vnet0"), 1);
}

/* I2 for IPv6: an address another port learned or was given is refused. */
static void test_ipv6_one_owner(void **state)
{
	struct fixture *fx = *state;
	uint8_t b[FX6_MAX];

	bind_learning6(fx, NULL);
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_DAD_NS);
	assert_int_equal(bind_port(fx, binding_of("vnet1", "no-ipv6-spoofing", fx_other_mac, NULL),
				   11, host_mac2),
			 0);
	/* vnet1's VM claims vnet0's address with its own MAC */
	memcpy(b, fx6[FX6_DAD_NS].bytes, fx6[FX6_DAD_NS].len);
	memcpy(b + 6, fx_other_mac, 6);
	frame_from(fx, 11, LEARN_DIR_FROM_VM, 11, b, fx6[FX6_DAD_NS].len);
	assert_non_null(
		strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "belongs to port vnet0"));
	assert_int_equal(n_addrs6(fx, "vnet1"), 0);
	/* an address a binding gives is no one else's to learn either */
	run(fx, &(struct engine_input){ .type = ENGINE_IN_UNBIND, .port = "vnet1" });
	assert_int_equal(bind_port(fx,
				   binding_of("vnet1", "no-ipv6-spoofing", fx_other_mac,
					      "IPV6=2001:db8:1::50", NULL),
				   11, host_mac2),
			 0);
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_REQUEST);
	frame6(fx, 10, LEARN_DIR_TO_VM, UPLINK_IFINDEX, FX6_REPLY);
	assert_non_null(
		strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "belongs to port vnet1"));
	assert_int_equal(n_addrs6(fx, "vnet0"), 1);
}

/* I3 for IPv6: a neighbour's forged REPLY teaches nothing; the uplink's does. */
static void test_ipv6_reply_from_guest(void **state)
{
	struct fixture *fx = *state;
	struct engine_port_info info;

	bind_neighbour(fx, NULL);
	bind_learning6(fx, "CTRL_IP_LEARNING=dhcp");
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_REQUEST);
	frame6(fx, 10, LEARN_DIR_TO_VM, 11, FX6_REPLY); /* from the neighbour */
	frame6(fx, 10, LEARN_DIR_TO_VM, 10, FX6_REPLY); /* hairpin */
	assert_int_equal(drops(fx, LEARN_DROP_UNTRUSTED_PORT), 2);
	assert_int_equal(n_addrs6(fx, "vnet0"), 0);
	/* the control: the same reply from the uplink teaches, with its lifetime */
	frame6(fx, 10, LEARN_DIR_TO_VM, UPLINK_IFINDEX, FX6_REPLY);
	assert_true(engine_port_find(fx->e, "vnet0", &info));
	assert_int_equal(info.n_addrs6, 1);
	assert_int_equal(info.addrs6[0].source, LEARN_SOURCE_DHCPV6);
	assert_true(info.addrs6[0].has_lease);
	assert_int_equal(info.addrs6[0].lease_end, fx->now + 7200);
	/* single use: a replay of it is an exchange the VM no longer has open */
	frame6(fx, 10, LEARN_DIR_TO_VM, UPLINK_IFINDEX, FX6_REPLY);
	assert_int_equal(drops(fx, LEARN_DROP_DHCP_XID), 1);
	/* the valid lifetime ends on the tick */
	fx->now += 7200;
	run(fx, &(struct engine_input){ .type = ENGINE_IN_TICK });
	assert_non_null(find_event(fx, ENGINE_EVENT_EXPIRED));
	assert_int_equal(n_addrs6(fx, "vnet0"), 0);
}

/* Addresses taught by DAD or traffic lapse when the gate no longer lists them. */
static void test_ipv6_lapse(void **state)
{
	struct fixture *fx = *state;
	struct engine_addr6_present present = { .port = "vnet0" };
	struct engine_input listed = { .type = ENGINE_IN_ADDR6_PRESENT,
				       .present = { .v = &present, .n = 1 } };
	struct engine_input empty = { .type = ENGINE_IN_ADDR6_PRESENT };

	bind_learning6(fx, NULL);
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_DAD_NS);
	/* gone from a listing taken before its entry went in: kept */
	fx->now += 10;
	run(fx, &empty);
	assert_int_equal(n_addrs6(fx, "vnet0"), 1);
	/* still listed after the idle time: in use, kept */
	fx->now += ENGINE_IPV6_IDLE_DEFAULT_S;
	memcpy(present.ip, fx6_vm_ll, 16);
	run(fx, &listed);
	assert_int_equal(n_addrs6(fx, "vnet0"), 1);
	/* no memory for the sorted copy: the listing fails, nothing is forgotten */
	inject_failure(1);
	assert_int_equal(run(fx, &listed), -ENOMEM);
	inject_failure(0);
	assert_int_equal(n_addrs6(fx, "vnet0"), 1);
	/* not listed: it lapsed */
	run(fx, &empty);
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_EXPIRED)->message, "unused"));
	assert_int_equal(n_addrs6(fx, "vnet0"), 0);
	assert_int_equal(count(fx, ENGINE_ACT_STORE_ADDR_DEL), 1);
}

/* A live migration carries IPv6 addresses too, checked as learned ones. */
static void test_ipv6_imported(void **state)
{
	struct fixture *fx = *state;
	struct engine_addr imported = { .is_ipv6 = true,
					.source = LEARN_SOURCE_DAD,
					.learned_at = fx->now - 10 };
	struct engine_input in = {
		.type = ENGINE_IN_BIND,
		.bind = { .has_link = true, .imported = &imported, .n_imported = 1 }
	};

	fx6_build_all(fx6);
	memcpy(imported.ip, fx6_vm_ll, 16);
	in.bind.binding = binding_of("vnet0", "no-ipv6-spoofing", fx6_vm_mac, NULL);
	in.bind.link = link_of("vnet0", 10, host_mac1);
	assert_int_equal(run(fx, &in), 0);
	assert_int_equal(n_addrs6(fx, "vnet0"), 1);
	assert_non_null(
		strstr(fx->applied_elements, "addr6 { \"vnet0\" . fe80::5054:ff:fe12:3456"));
	/* another port's: refused, the port set down */
	in.bind.binding = binding_of("vnet1", "no-ipv6-spoofing", fx_other_mac, NULL);
	in.bind.link = link_of("vnet1", 11, host_mac2);
	assert_int_equal(run(fx, &in), -EADDRINUSE);
	assert_non_null(strstr(fx->last_err.msg, "fe80::5054:ff:fe12:3456 belongs to port vnet0"));
	/* never an address */
	imported.ip[0] = 0xff;
	in.bind.binding = binding_of("vnet1", "no-ipv6-spoofing", fx_other_mac, NULL);
	assert_int_equal(run(fx, &in), -EINVAL);
	assert_non_null(strstr(fx->last_err.msg, "is refused: addr-multicast"));
}

/* I2 for IPv6: the bridge's addresses (the router's, when the host advertises) are nobody's. */
static void test_ipv6_bridge_protected(void **state)
{
	struct fixture *fx = *state;
	const uint8_t router[1][16] = { { 0xfe, 0x80, [15] = 1 } };
	struct engine_input bridge = { .type = ENGINE_IN_BRIDGE_ADDRS6,
				       .bridge = { .ifindex = 5, .n = 1 } };
	struct engine_config cfg = { .nflog_group = 3710, .protected6 = router, .n_protected6 = 1 };
	uint8_t vm_ll[1][16];

	bind_learning6(fx, NULL);
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_DAD_NS);
	assert_int_equal(n_addrs6(fx, "vnet0"), 1);
	/* the host takes the address the guest learned: the guest loses it */
	memcpy(vm_ll[0], fx6_vm_ll, 16);
	bridge.bridge.addrs6 = (const uint8_t(*)[16])vm_ll;
	run(fx, &bridge);
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "bridge"));
	assert_int_equal(n_addrs6(fx, "vnet0"), 0);
	/* and the guest's DAD for it teaches nothing now */
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_DAD_NS);
	assert_non_null(
		strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "an address of a bridge"));
	assert_int_equal(n_addrs6(fx, "vnet0"), 0);
	/* protected_addresses: the same for an address of a router elsewhere */
	engine_free(fx->e);
	assert_int_equal(engine_new(&cfg, load_filters(), &fx->e), 0);
	bind_learning6(fx, NULL);
	{
		uint8_t b[FX6_MAX];

		memcpy(b, fx6[FX6_DAD_NS].bytes, fx6[FX6_DAD_NS].len);
		memcpy(b + 14 + 40 + 8, router[0], 16); /* the DAD target */
		frame_from(fx, 10, LEARN_DIR_FROM_VM, 10, b, fx6[FX6_DAD_NS].len);
	}
	assert_non_null(strstr(find_event(fx, ENGINE_EVENT_CONFLICT)->message, "protected"));
	assert_int_equal(n_addrs6(fx, "vnet0"), 0);
}

/* I6 for IPv6: max_addrs per port and family. */
static void test_ipv6_limit(void **state)
{
	struct fixture *fx = *state;
	struct engine_config cfg = { .nflog_group = 3710, .max_addrs = 1 };

	engine_free(fx->e);
	assert_int_equal(engine_new(&cfg, load_filters(), &fx->e), 0);
	bind_learning6(fx, NULL);
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_DAD_NS);
	frame6(fx, 10, LEARN_DIR_FROM_VM, 10, FX6_REQUEST);
	frame6(fx, 10, LEARN_DIR_TO_VM, UPLINK_IFINDEX, FX6_REPLY);
	assert_non_null(find_event(fx, ENGINE_EVENT_LIMIT));
	assert_int_equal(drops(fx, LEARN_DROP_ADDR_LIMIT), 1);
	assert_int_equal(n_addrs6(fx, "vnet0"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_bind_given_ip_is_active),
		T(test_bind_without_ip_learns),
		T(test_bind_refusals),
		T(test_bind_apply_fails),
		T(test_unbind),
		T(test_port_ids_unique),
		T(test_learn_from_dhcp),
		T(test_learn_from_arp_and_conflict),
		T(test_learning_verdicts_counted),
		T(test_release_learns_again),
		T(test_lease_expires_on_tick),
		T(test_renewal_moves_lease),
		T(test_absurd_lease_no_wrap),
		T(test_learning_timeout_blocks),
		T(test_guest_replies_never_teach),
		T(test_declared_server_port_teaches),
		T(test_xid_single_use_and_expiry),
		T(test_release_only_dhcp_taught),
		T(test_address_limit),
		T(test_protected_and_given_addresses),
		T(test_squatter_loses_to_binding),
		T(test_bridge_address_protected),
		T(test_bridge_address_added_later),
		T(test_filter_given_address),
		T(test_bind_imported),
		T(test_many_addresses_compile),
		T(test_learn_apply_fails_sets_down),
		T(test_timeouts_follow_monotonic_time_only),
		T(test_link_mac_change_and_gone),
		T(test_link_rename),
		T(test_link_dump_reconcile),
		T(test_restore_rules_in_place_untouched),
		T(test_restore_stale_states),
		T(test_restore_compile_error_sets_down),
		T(test_filter_redefine_rebuilds),
		T(test_filter_lock_while_learning),
		T(test_filter_check_uuid),
		T(test_oom_create),
		T(test_oom_learn),
		T(test_ipv6_learns_while_active),
		T(test_ipv6_one_owner),
		T(test_ipv6_reply_from_guest),
		T(test_ipv6_lapse),
		T(test_ipv6_limit),
		T(test_ipv6_bridge_protected),
		T(test_ipv6_imported),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
