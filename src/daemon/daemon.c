/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's core state and operations.
 *
 * Filters: the effective set is rebuilt from scratch on every change (the
 * directories, then the filters defined at run time, which win). Parsing
 * two dozen small files takes a millisecond, and rebuilding means a change
 * is always "parse new, diff, apply, swap": the old set stays in force
 * until the new one is complete.
 *
 * Ports: kept sorted by name. Each change follows one order so that a crash
 * at any point leaves a state the next start repairs: the store learns the
 * intent first, then the kernel changes in one transaction, then the store
 * records what the kernel holds. Adding elements that exist is a no-op in
 * nftables, so re-applying after a crash is safe.
 */
#include "daemon/daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "conf/conf.h"
#include "conf/load.h"
#include "filter/filterset.h"
#include "filter/instantiate.h"
#include "fw/apply.h"
#include "fw/compile.h"
#include "link/link.h"
#include "store/store.h"
#include "util/cleanup.h"
#include "util/log.h"
#include "util/sorted.h"

const char *const port_state_names[PORT_STATE__MAX] = {
	[PORT_NEW] = "new",
	[PORT_LEARNING] = "learning",
	[PORT_ACTIVE] = "active",
	[PORT_FAILED] = "failed",
};

const char *const daemon_event_names[DAEMON_EVENT__MAX] = {
	[DAEMON_EVENT_BINDING_CREATED] = "binding-created",
	[DAEMON_EVENT_BINDING_DELETED] = "binding-deleted",
	[DAEMON_EVENT_BINDING_UPDATED] = "binding-updated",
	[DAEMON_EVENT_PORT_GONE] = "port-gone",
	[DAEMON_EVENT_PORT_RENAMED] = "port-renamed",
	[DAEMON_EVENT_PORT_FAILED] = "port-failed",
	[DAEMON_EVENT_FILTER_DEFINED] = "filter-defined",
	[DAEMON_EVENT_FILTER_UNDEFINED] = "filter-undefined",
	[DAEMON_EVENT_RELOADED] = "reloaded",
	[DAEMON_EVENT_LEARNING] = "learning",
	[DAEMON_EVENT_LEARNED] = "learned",
	[DAEMON_EVENT_RENEWED] = "renewed",
	[DAEMON_EVENT_ADDRESS_REMOVED] = "address-removed",
	[DAEMON_EVENT_EXPIRED] = "expired",
	[DAEMON_EVENT_CONFLICT] = "conflict",
};

/* A filter defined at run time: kept as its canonical XML, as stored. */
struct defined_filter {
	char *name;
	char *xml;
};

/*
 * An address learned during one read of the capture, whose port's rules go
 * in at the end of the read, in one transaction with the other ports that
 * learned in it: a burst of VMs costs one nftables cache fill, not one each.
 */
struct pending_learn {
	char *port; /* owned */
	char ip[IP_TEXT_MAX], server[IP_TEXT_MAX];
	enum learn_source source;
	unsigned lease_s;
	bool has_timestamp;
	const char *latency_from;
	int64_t timestamp_us;
};

struct daemon {
	struct daemon_config cfg;
	daemon_event_fn on_event;
	void *userdata;
	struct filter_set *filters; /* the effective set */
	struct defined_filter *defined;
	size_t n_defined;
	struct port **ports; /* sorted by name */
	size_t n_ports;
	struct fw_ctx *fw;
	struct store *store;
	struct daemon_learn_stats learn_stats;
	struct pending_learn *pending; /* owned, n_pending (capacity cap_pending) */
	size_t n_pending, cap_pending;
	bool is_store_batch; /* a store transaction spans one read of the capture */
};

static void emit_event(struct daemon *d, struct daemon_event *ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void emit_event(struct daemon *d, struct daemon_event *ev, const char *fmt, ...)
{
	char message[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	ev->message = message;
	log_info("%s%s%s: %s", daemon_event_names[ev->type], ev->port ? " " : "",
		 ev->port ? ev->port : "", message);
	if (d->on_event)
		d->on_event(ev, d->userdata);
}

#define emit(d, type_, port_, filter_, ...)                                                      \
	emit_event(                                                                              \
		(d),                                                                             \
		&(struct daemon_event){ .type = (type_), .port = (port_), .filter = (filter_) }, \
		__VA_ARGS__)

static int64_t now_seconds(void)
{
	return (int64_t)time(NULL);
}

/* ---- filters ---------------------------------------------------------- */

static void log_diag(void *userdata, enum conf_severity sev, const char *msg)
{
	struct strbuf *errors = userdata;

	if (sev == CONF_WARNING) {
		log_warn("%s", msg);
		return;
	}
	log_err("%s", msg);
	if (errors)
		strbuf_addf(errors, "%s%s", errors->len ? "; " : "", msg);
}

/* Builds the effective filter set: directories in order, then the defined filters. */
static int build_filter_set(const struct daemon_config *cfg, const struct defined_filter *defined,
			    size_t n_defined, struct filter_set **ret, struct err *err)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	struct strbuf errors;
	struct conf_diag diag = { .report = log_diag, .userdata = &errors };
	int bad = 0, r;

	if (!set)
		return err_set(err, -ENOMEM, "out of memory");
	strbuf_init(&errors);
	for (int i = -1; i < cfg->n_filter_dirs; i++) {
		r = conf_load_dir(i < 0 ? cfg->builtin_dir : cfg->filter_dirs[i], set, &diag);
		bad += r < 0 ? 1 : r;
	}
	for (size_t i = 0; i < n_defined; i++) {
		struct filter *f = NULL;
		enum conf_doc_kind kind;

		r = conf_parse_mem(defined[i].xml, strlen(defined[i].xml), defined[i].name, &diag,
				   &kind, &f, NULL);
		if (r < 0 || kind != CONF_DOC_FILTER || filter_set_add(set, f, NULL) < 0) {
			filter_free(f);
			bad++;
		}
	}
	if (bad) {
		r = err_set(err, -EINVAL, "%d filter file%s could not be loaded: %s", bad,
			    bad == 1 ? "" : "s", errors.buf ? errors.buf : "see the log");
		strbuf_fini(&errors);
		return r;
	}
	strbuf_fini(&errors);
	*ret = TAKE_PTR(set);
	return 0;
}

int daemon_check_config(const struct daemon_config *cfg, bool is_verbose, struct err *err)
{
	_cleanup_(filter_set_freep) struct filter_set *set = NULL;
	int r = build_filter_set(cfg, NULL, 0, &set, err);

	if (r < 0)
		return r;
	for (size_t i = 0; is_verbose && i < filter_set_size(set); i++) {
		const struct filter *f = filter_set_get(set, i);

		printf("filter %-24s chain %-12s %zu entries\n", f->name, f->chain, f->n_entries);
	}
	printf("configuration OK: %zu filters\n", filter_set_size(set));
	return 0;
}

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

/* ---- ports ------------------------------------------------------------ */

static struct port *port_free(struct port *p)
{
	if (!p)
		return NULL;
	binding_free(p->binding);
	fw_record_free(p->record);
	free(p->template_id);
	free(p->note);
	free(p->servers);
	free(p->addrs);
	free(p);
	return NULL;
}

static const char *port_name_at(const void *ctx, size_t i)
{
	const struct daemon *d = ctx;

	return d->ports[i]->binding->portdev;
}

static size_t port_index(const struct daemon *d, const char *name, bool *found)
{
	return sorted_find(d, d->n_ports, port_name_at, name, found);
}

const struct port *daemon_port_find(const struct daemon *d, const char *name)
{
	bool found;
	size_t i = port_index(d, name, &found);

	return found ? d->ports[i] : NULL;
}

size_t daemon_port_count(const struct daemon *d)
{
	return d->n_ports;
}

const struct port *daemon_port_get(const struct daemon *d, size_t i)
{
	return i < d->n_ports ? d->ports[i] : NULL;
}

static int port_insert(struct daemon *d, struct port *p)
{
	bool found;
	size_t i = port_index(d, p->binding->portdev, &found);
	struct port **grown;

	if (found)
		return -EEXIST;
	grown = realloc(d->ports, (d->n_ports + 1) * sizeof(*d->ports));
	if (!grown)
		return -ENOMEM;
	d->ports = grown;
	memmove(&d->ports[i + 1], &d->ports[i], (d->n_ports - i) * sizeof(*d->ports));
	d->ports[i] = p;
	d->n_ports++;
	return 0;
}

static struct port *port_take(struct daemon *d, const char *name)
{
	bool found;
	size_t i = port_index(d, name, &found);
	struct port *p;

	if (!found)
		return NULL;
	p = d->ports[i];
	memmove(&d->ports[i], &d->ports[i + 1], (d->n_ports - i - 1) * sizeof(*d->ports));
	d->n_ports--;
	return p;
}

/* An id no other port holds: ours, or vifguardctl's (the kernel has those). */
static int allocate_port_id(const struct daemon *d, struct port *p, struct err *err)
{
	struct fw_port_ids used = { 0 };

	for (size_t i = 0; i < d->n_ports; i++)
		fw_port_ids_add(&used, d->ports[i]->port_id);
	return fw_port_id_allocate(d->fw, p->binding->portdev, 0, &used, &p->port_id, err);
}

/* The learned addresses as the IP variable, for filter_instantiate_with(). */
static int learned_params(const struct port *p, struct filter_params *ret)
{
	for (size_t i = 0; i < p->n_addrs; i++) {
		char text[IP_TEXT_MAX];

		ipv4_format(p->addrs[i].ip, text);
		if (filter_params_add(ret, "IP", text) < 0)
			return -ENOMEM;
	}
	return 0;
}

#define LEARN_TIMEOUT_MACVTAP_S 300

/*
 * Past its end a lease lasts this much longer in the kernel: the daemon's
 * own one-second timer removes the address first when it runs, and the
 * kernel's timeout only acts when it does not (stopped, or stuck).
 */
#define LEASE_KERNEL_GRACE_S 5

/* The port's full rules, its DHCP leases as element timeouts. */
static int compile_full(const struct port *p, const struct instance *inst, struct fw_port **ret,
			struct err *err)
{
	struct fw_compile_opts opts = { .attach = p->attach, .port_id = p->port_id };
	char(*texts)[IP_TEXT_MAX] = p->n_addrs ? calloc(p->n_addrs, sizeof(*texts)) : NULL;
	struct fw_lease *leases = p->n_addrs ? calloc(p->n_addrs, sizeof(*leases)) : NULL;
	int64_t now = now_seconds();
	int r;

	if (p->n_addrs && (!texts || !leases)) {
		free(texts);
		free(leases);
		return err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < p->n_addrs; i++) {
		int64_t left = p->addrs[i].lease_end - now;

		if (p->addrs[i].lease_end == STORE_TIME_NONE)
			continue;
		ipv4_format(p->addrs[i].ip, texts[opts.n_leases]);
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
 * A macvtap (kind macvtap or macvlan, or a binding naming its lower device
 * as libvirt's type='direct' does) is on no bridge: netdev hooks on the port.
 */
static enum fw_attach port_attach(const struct binding *b, const struct link_info *link)
{
	if (b->linkdev || strcmp(link->kind, "macvtap") == 0 || strcmp(link->kind, "macvlan") == 0)
		return FW_ATTACH_NETDEV;
	return FW_ATTACH_BRIDGE;
}

/* Reads the learning parameters of a port whose IP is missing: mode, servers, timeout. */
static int learning_params(struct daemon *d, struct port *p, const struct instance *inst,
			   struct err *err)
{
	const struct filter_var *servers = instance_dhcp_servers(inst);
	const struct filter_var *timeout =
		filter_params_find(&p->binding->ref.params, "CTRL_IP_LEARNING_TIMEOUT");
	enum filter_learning mode;
	uint8_t(*list)[4] = NULL;
	int r;

	r = instance_learning_mode(inst, &mode, err);
	if (r < 0)
		return err_prefix(err, r, "port %s: ", p->binding->portdev);
	if (mode == FILTER_LEARNING_NONE)
		return -ENOENT;
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
	p->learn_timeout_s = d->cfg.learn_timeout_s;
	if (timeout && timeout->n_values) {
		char *end;
		long v = strtol(timeout->values[0], &end, 10);

		if (*end || v < 0 || v > 86400 * 7) {
			free(list);
			return err_set(err, -EINVAL,
				       "port %s: CTRL_IP_LEARNING_TIMEOUT '%s' is not a number of "
				       "seconds (0-604800, 0: none)",
				       p->binding->portdev, timeout->values[0]);
		}
		p->learn_timeout_s = (int)v;
	}
	/* as libvirt does for a link device: a macvtap never learns without end */
	if (p->attach == FW_ATTACH_NETDEV && p->learn_timeout_s == 0)
		p->learn_timeout_s =
			d->cfg.learn_timeout_s ? d->cfg.learn_timeout_s : LEARN_TIMEOUT_MACVTAP_S;
	free(p->servers);
	p->servers = list;
	p->n_servers = servers ? servers->n_values : 0;
	p->learn_mode = mode == FILTER_LEARNING_DHCP ? LEARN_MODE_DHCP : LEARN_MODE_ANY;
	return 0;
}

/*
 * What the port's rules must be now: blocked (learning failed), the full
 * rules (every variable known, the learned addresses as IP), or the
 * learning rules (only IP is missing and learning is on). *ret_state says
 * which. Anything else missing is an error naming the variables.
 */
static int compile_port(struct daemon *d, const struct filter_set *set, struct port *p,
			struct fw_port **ret, enum port_state *ret_state, struct err *err)
{
	_cleanup_(instance_freep) struct instance *inst = NULL;
	struct filter_params learned = { 0 };
	bool is_only_ip;
	int r;

	if (p->is_blocked) {
		*ret_state = PORT_FAILED;
		return fw_compile_blocked(p->binding->portdev, p->attach, ret, err);
	}
	r = learned_params(p, &learned);
	if (r >= 0)
		r = filter_instantiate_with(set, p->binding, &learned, &inst, err);
	filter_params_fini(&learned);
	if (r < 0)
		return err_prefix(err, r, "port %s: ", p->binding->portdev);
	p->learns = !filter_params_find(&p->binding->ref.params, "IP");
	if (instance_is_complete(inst)) {
		if (p->learns && (r = learning_params(d, p, inst, err)) < 0 && r != -ENOENT)
			return r;
		r = compile_full(p, inst, ret, err);
		if (r >= 0 && p->learns && p->n_addrs && fw_port_add_snoop(*ret) < 0)
			r = err_set(err, -ENOMEM, "out of memory");
		*ret_state = PORT_ACTIVE;
		return r;
	}
	is_only_ip = inst->n_missing == 1 && instance_is_missing(inst, "IP");
	r = is_only_ip ? learning_params(d, p, inst, err) : -ENOENT;
	if (r == -ENOENT) {
		_cleanup_free_ char *missing = instance_missing_format(inst, true);

		return err_set(err, -EINVAL, "port %s: %s%s", p->binding->portdev,
			       missing ? missing : "variables are missing",
			       is_only_ip ? " (CTRL_IP_LEARNING is none: give IP)" : "");
	}
	if (r < 0)
		return r;
	*ret_state = PORT_LEARNING;
	return fw_compile_learning(p->binding->portdev, p->attach, p->binding->mac,
				   p->learn_mode == LEARN_MODE_DHCP,
				   (const uint8_t(*)[4])p->servers, p->n_servers, ret, err);
}

static int set_template(struct port *p, const struct fw_record *rec)
{
	char *copy = strdup(rec->template_id);

	if (!copy)
		return -ENOMEM;
	free(p->template_id);
	p->template_id = copy;
	return 0;
}

/* Takes rec, what the kernel now holds for the port: records it and keeps it. */
static int port_adopt(struct daemon *d, struct port *p, const struct fw_port *compiled,
		      struct fw_record *new_rec, struct err *err)
{
	_cleanup_(fw_record_freep) struct fw_record *rec = new_rec;
	_cleanup_free_ char *text = NULL;
	int r;

	text = fw_record_format(rec);
	if (!text)
		return err_set(err, -ENOMEM, "out of memory");
	r = store_binding_set_record(d->store, p->binding->portdev, compiled->port_id, text, err);
	if (r < 0)
		log_err("port %s: rules applied but not recorded: %s", p->binding->portdev,
			err->msg);
	fw_record_free(p->record);
	p->record = TAKE_PTR(rec);
	return set_template(p, p->record);
}

/* Applies compiled rules to port p (replacing what it had) and records the result. */
static int port_apply(struct daemon *d, struct port *p, const struct fw_port *compiled,
		      struct err *err)
{
	_cleanup_(fw_record_freep) struct fw_record *rec = NULL;
	int r;

	bool was_lost;

	r = fw_replace_port(d->fw, compiled, p->record, &rec, &was_lost, err);
	if (was_lost) {
		log_warn("port %s: its recorded rules are not in the kernel; adding afresh",
			 p->binding->portdev);
		p->record = fw_record_free(p->record);
	}
	if (r < 0)
		return r;
	return port_adopt(d, p, compiled, TAKE_PTR(rec), err);
}

static bool is_same_rules(const struct fw_port *compiled, const struct fw_record *rec)
{
	return rec && strcmp(compiled->template_id, rec->template_id) == 0 &&
	       strcmp(compiled->elements_del, rec->elements_del) == 0;
}

/* Fail closed: a port whose rules cannot be applied goes down, and says why. */
static void port_fail(struct daemon *d, struct port *p, const char *why)
{
	struct err err = { 0 };

	if (link_set_down(p->binding->portdev, &err) < 0)
		log_err("port %s: cannot set it down: %s", p->binding->portdev, err.msg);
	p->state = PORT_FAILED;
	free(p->note);
	p->note = strdup(why);
	(void)store_binding_set_state(d->store, p->binding->portdev, STORE_STATE_FAILED, why, NULL);
	emit(d, DAEMON_EVENT_PORT_FAILED, p->binding->portdev, p->binding->ref.filter,
	     "rules cannot be applied, port set down: %s", why);
}

static int store_save_port(struct daemon *d, const struct port *p, const char *state,
			   struct err *err)
{
	_cleanup_free_ char *xml = conf_binding_format(p->binding);
	char mac[MAC_TEXT_MAX];
	struct store_binding sb = {
		.port = p->binding->portdev,
		.xml = xml,
		.state = state,
		.port_id = p->port_id,
		.ifindex = p->ifindex,
		.mac = mac,
		.learning_since = STORE_TIME_NONE,
		.failed_reason = p->note,
	};

	if (!xml)
		return err_set(err, -ENOMEM, "out of memory");
	mac_format(p->mac, mac);
	return store_binding_save(d->store, &sb, err);
}

/* ---- bindings --------------------------------------------------------- */

static int port_new(struct binding *b, struct port **ret)
{
	struct port *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->binding = b;
	p->created_at = now_seconds();
	*ret = p;
	return 0;
}

int daemon_binding_create(struct daemon *d, struct binding *b, struct err *err)
{
	_cleanup_(fw_port_freep) struct fw_port *compiled = NULL;
	enum port_state state = PORT_NEW;
	struct port *p = NULL;
	struct link_info link;
	int r;

	if (daemon_port_find(d, b->portdev)) {
		r = err_set(err, -EEXIST, "port %s is already bound (delete its binding first)",
			    b->portdev);
		goto fail;
	}
	r = link_lookup_name(b->portdev, &link, err);
	if (r < 0) {
		if (r == -ENODEV)
			r = err_set(err, r,
				    "cannot bind port %s: no such interface (VM not started?)",
				    b->portdev);
		else
			r = err_prefix(err, r, "cannot bind port %s: ", b->portdev);
		goto fail;
	}
	r = port_new(b, &p);
	if (r < 0) {
		r = err_set(err, r, "out of memory");
		goto fail;
	}
	b = NULL;
	p->ifindex = link.ifindex;
	p->attach = port_attach(p->binding, &link);
	memcpy(p->mac, link.mac, sizeof(p->mac));
	r = allocate_port_id(d, p, err);
	if (r < 0)
		goto fail;
	r = compile_port(d, d->filters, p, &compiled, &state, err);
	if (r < 0)
		goto fail;
	/* the intent first: a crash after the kernel change is repaired at the next start */
	r = store_save_port(d, p, STORE_STATE_NEW, err);
	if (r < 0)
		goto fail;
	r = port_apply(d, p, compiled, err);
	if (r < 0) {
		(void)store_binding_delete(d->store, p->binding->portdev, NULL);
		goto fail;
	}
	p->state = state;
	p->learning_since = state == PORT_LEARNING ? now_seconds() : 0;
	(void)store_binding_set_state(d->store, p->binding->portdev, port_state_names[state], NULL,
				      NULL);
	r = port_insert(d, p);
	if (r < 0) {
		r = err_set(err, r, "out of memory");
		goto fail;
	}
	emit(d, DAEMON_EVENT_BINDING_CREATED, p->binding->portdev, p->binding->ref.filter,
	     "bound to filter '%s' (%s, %u elements)", p->binding->ref.filter,
	     port_state_names[state], compiled->n_elements);
	if (state == PORT_LEARNING)
		emit(d, DAEMON_EVENT_LEARNING, p->binding->portdev, p->binding->ref.filter,
		     "learning the IP address (%s mode%s)",
		     p->learn_mode == LEARN_MODE_DHCP ? "dhcp" : "any",
		     p->n_servers ? ", trusted DHCP servers only" : "");
	return 0;
fail:
	binding_free(b);
	port_free(p);
	return r;
}

/* True when another port's rules use p's template. */
static bool template_in_use(const struct daemon *d, const struct port *p)
{
	for (size_t i = 0; i < d->n_ports; i++)
		if (d->ports[i] != p && d->ports[i]->template_id && p->template_id &&
		    strcmp(d->ports[i]->template_id, p->template_id) == 0)
			return true;
	return false;
}

/* Removes a port's rules and its binding; the kernel first, so no stale binding hides rules. */
static int port_remove(struct daemon *d, struct port *p, struct err *err)
{
	struct err fw_err = { 0 };
	int r;

	if (p->record && fw_remove_port(d->fw, p->record, !template_in_use(d, p), &fw_err) < 0)
		log_warn("port %s: removing its rules: %s (already gone?)", p->binding->portdev,
			 fw_err.msg);
	if (p->learns)
		fw_forget_rates(d->fw, p->binding->portdev, p->attach);
	r = store_binding_delete(d->store, p->binding->portdev, err);
	if (r < 0 && r != -ENOENT)
		return r;
	return 0;
}

int daemon_binding_delete(struct daemon *d, const char *name, struct err *err)
{
	struct port *p;
	int r;

	if (!daemon_port_find(d, name))
		return err_set(err, -ENOENT, "port %s is not bound", name);
	p = port_take(d, name);
	r = port_remove(d, p, err);
	if (r < 0) {
		(void)port_insert(d, p);
		return r;
	}
	emit(d, DAEMON_EVENT_BINDING_DELETED, name, p->binding->ref.filter,
	     "binding removed, the port is unfiltered");
	port_free(p);
	return 0;
}

int daemon_binding_dumpxml(struct daemon *d, const char *port, char **ret, struct err *err)
{
	const struct port *p = daemon_port_find(d, port);

	if (!p)
		return err_set(err, -ENOENT, "port %s is not bound", port);
	*ret = conf_binding_format(p->binding);
	return *ret ? 0 : err_set(err, -ENOMEM, "out of memory");
}

/*
 * Recompiles every port against set and applies what changed. A port whose
 * rebuild fails keeps its old rules; its name and the reason go to failures.
 */
static void rebuild_ports(struct daemon *d, const struct filter_set *set, struct strbuf *failures)
{
	for (size_t i = 0; i < d->n_ports; i++) {
		_cleanup_(fw_port_freep) struct fw_port *compiled = NULL;
		struct port *p = d->ports[i];
		enum port_state state = p->state;
		struct err err = { 0 };
		int r;

		r = compile_port(d, set, p, &compiled, &state, &err);
		if (r >= 0 && is_same_rules(compiled, p->record))
			continue;
		if (r >= 0)
			r = port_apply(d, p, compiled, &err);
		if (r >= 0) {
			p->state = state;
			free(p->note);
			p->note = NULL;
			emit(d, DAEMON_EVENT_BINDING_UPDATED, p->binding->portdev,
			     p->binding->ref.filter, "rules rebuilt (template %s)",
			     compiled->template_id);
			continue;
		}
		free(p->note);
		p->note = strdup(err.msg);
		log_err("port %s keeps its previous rules: %s", p->binding->portdev, err.msg);
		if (failures)
			strbuf_addf(failures, "%s%s: %s", failures->len ? "; " : "",
				    p->binding->portdev, err.msg);
	}
}

/*
 * While ports learn, a new filter set may not need a variable the bound
 * ports do not have (libvirt's "lock filter updates"): a learning port
 * would otherwise end up with a tree it can never instantiate.
 */
static int check_learning_lock(struct daemon *d, const struct filter_set *set, struct err *err)
{
	struct strbuf learning, needs;
	int r = 0;

	strbuf_init(&learning);
	strbuf_init(&needs);
	for (size_t i = 0; i < d->n_ports; i++)
		if (d->ports[i]->state == PORT_LEARNING)
			strbuf_addf(&learning, "%s%s", learning.len ? ", " : "",
				    d->ports[i]->binding->portdev);
	for (size_t i = 0; learning.len && i < d->n_ports; i++) {
		_cleanup_(instance_freep) struct instance *inst = NULL;
		struct filter_params learned = { 0 };
		struct port *p = d->ports[i];

		if (learned_params(p, &learned) >= 0 &&
		    filter_instantiate_with(set, p->binding, &learned, &inst, NULL) >= 0)
			for (size_t k = 0; k < inst->n_missing; k++)
				if (strcmp(inst->missing[k], "IP") != 0)
					strbuf_addf(&needs, "%s%s needs %s", needs.len ? "; " : "",
						    p->binding->portdev, inst->missing[k]);
		filter_params_fini(&learned);
	}
	if (needs.len)
		r = err_set(err, -EBUSY,
			    "refused while ports learn their address (%s): the new filters need "
			    "variables the bound ports do not have (%s)",
			    learning.buf, needs.buf);
	strbuf_fini(&learning);
	strbuf_fini(&needs);
	return r;
}

/* ---- filter definitions ----------------------------------------------- */

static ssize_t defined_index(const struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_defined; i++)
		if (strcmp(d->defined[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static void defined_fini(struct defined_filter *df)
{
	free(df->name);
	free(df->xml);
}

/* Puts (name, xml) into the defined list; returns the slot's previous content in *old. */
static int defined_put(struct daemon *d, char *name, char *xml, struct defined_filter *old)
{
	ssize_t i = defined_index(d, name);
	struct defined_filter *grown;

	*old = (struct defined_filter){ 0 };
	if (i >= 0) {
		*old = d->defined[i];
		d->defined[i] = (struct defined_filter){ name, xml };
		return 0;
	}
	grown = realloc(d->defined, (d->n_defined + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	d->defined = grown;
	d->defined[d->n_defined++] = (struct defined_filter){ name, xml };
	return 0;
}

static void defined_undo(struct daemon *d, const char *name, struct defined_filter *old)
{
	ssize_t i = defined_index(d, name);

	if (i < 0)
		return;
	defined_fini(&d->defined[i]);
	if (old->name)
		d->defined[i] = *old;
	else
		d->defined[i] = d->defined[--d->n_defined];
}

static void collect_report(void *userdata, enum conf_severity sev, const char *msg)
{
	struct strbuf *sb = userdata;

	if (sev == CONF_ERROR)
		strbuf_addf(sb, "%s%s", sb->len ? "; " : "", msg);
}

/* Parses a definition; libvirt's UUID rules, but a definition without <uuid> keeps the old one. */
static int parse_definition(struct daemon *d, const char *xml, struct filter **ret, struct err *err)
{
	_cleanup_(filter_freep) struct filter *f = NULL;
	struct strbuf msgs;
	struct conf_diag diag = { .report = collect_report, .userdata = &msgs };
	const struct filter *old;
	enum conf_doc_kind kind;
	int r;

	strbuf_init(&msgs);
	r = conf_parse_mem(xml, strlen(xml), "filter", &diag, &kind, &f, NULL);
	if (r < 0 || kind != CONF_DOC_FILTER) {
		r = err_set(err, -EINVAL, "invalid filter: %s",
			    msgs.buf ? msgs.buf : "not a <filter> document");
		strbuf_fini(&msgs);
		return r;
	}
	strbuf_fini(&msgs);
	old = filter_set_find(d->filters, f->name);
	if (old && f->has_uuid && memcmp(old->uuid, f->uuid, 16) != 0)
		return err_set(
			err, -EEXIST,
			"filter '%s' already exists with another uuid (omit <uuid> to replace it)",
			f->name);
	for (size_t i = 0; i < filter_set_size(d->filters); i++) {
		const struct filter *other = filter_set_get(d->filters, i);

		if (f->has_uuid && strcmp(other->name, f->name) != 0 &&
		    memcmp(other->uuid, f->uuid, 16) == 0)
			return err_set(err, -EEXIST,
				       "filter with the same uuid but another name ('%s') exists",
				       other->name);
	}
	if (old && !f->has_uuid)
		memcpy(f->uuid, old->uuid, 16);
	f->has_uuid = true;
	r = filter_set_check_loop(d->filters, f, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(f);
	return 0;
}

int daemon_filter_define(struct daemon *d, const char *xml, struct strbuf *failures,
			 struct err *err)
{
	_cleanup_(filter_freep) struct filter *f = NULL;
	_cleanup_(filter_set_freep) struct filter_set *set = NULL;
	struct defined_filter old;
	char *name, *canonical;
	int r;

	r = parse_definition(d, xml, &f, err);
	if (r < 0)
		return r;
	canonical = conf_filter_format(f);
	name = strdup(f->name);
	if (!canonical || !name || defined_put(d, name, canonical, &old) < 0) {
		free(canonical);
		free(name);
		return err_set(err, -ENOMEM, "out of memory");
	}
	r = build_filter_set(&d->cfg, d->defined, d->n_defined, &set, err);
	if (r >= 0)
		r = check_learning_lock(d, set, err);
	if (r >= 0)
		r = store_filter_save(d->store, name, canonical, err);
	if (r < 0) {
		defined_undo(d, name, &old);
		return r;
	}
	defined_fini(&old);
	rebuild_ports(d, set, failures);
	filter_set_free(d->filters);
	d->filters = TAKE_PTR(set);
	emit(d, DAEMON_EVENT_FILTER_DEFINED, NULL, f->name, "filter '%s' defined", f->name);
	return 0;
}

int daemon_filter_undefine(struct daemon *d, const char *name, struct err *err)
{
	_cleanup_(filter_set_freep) struct filter_set *set = NULL;
	struct defined_filter removed;
	struct strbuf users;
	ssize_t i = defined_index(d, name);
	int r;

	if (i < 0)
		return err_set(
			err, filter_set_find(d->filters, name) ? -EPERM : -ENOENT,
			filter_set_find(d->filters, name)
				? "filter '%s' comes from a filter directory, not from define: "
				  "remove its file and reload"
				: "filter '%s' is not defined",
			name);
	strbuf_init(&users);
	for (size_t k = 0; k < d->n_ports; k++)
		if (tree_uses(d->filters, d->ports[k]->binding->ref.filter, name, 0))
			strbuf_addf(&users, "%s%s", users.len ? ", " : "",
				    d->ports[k]->binding->portdev);
	if (users.len) {
		r = err_set(err, -EBUSY, "filter '%s' is in use by the bindings of %s", name,
			    users.buf);
		strbuf_fini(&users);
		return r;
	}
	strbuf_fini(&users);
	removed = d->defined[i];
	d->defined[i] = d->defined[--d->n_defined];
	r = build_filter_set(&d->cfg, d->defined, d->n_defined, &set, err);
	if (r >= 0)
		r = store_filter_delete(d->store, name, err);
	if (r < 0) {
		d->defined[d->n_defined++] = removed;
		return r;
	}
	defined_fini(&removed);
	filter_set_free(d->filters);
	d->filters = TAKE_PTR(set);
	emit(d, DAEMON_EVENT_FILTER_UNDEFINED, NULL, name, "filter '%s' undefined", name);
	return 0;
}

int daemon_filter_dumpxml(struct daemon *d, const char *name, char **ret, struct err *err)
{
	const struct filter *f = filter_set_find(d->filters, name);

	if (!f)
		return err_set(err, -ENOENT, "filter '%s' not found", name);
	*ret = conf_filter_format(f);
	return *ret ? 0 : err_set(err, -ENOMEM, "out of memory");
}

static const char *filter_origin(const struct daemon *d, const char *name, char *buf, size_t size)
{
	struct stat st;

	if (defined_index(d, name) >= 0)
		return "defined";
	for (int i = d->cfg.n_filter_dirs - 1; i >= -1; i--) {
		const char *dir = i < 0 ? d->cfg.builtin_dir : d->cfg.filter_dirs[i];

		snprintf(buf, size, "%s/%s.xml", dir, name);
		if (stat(buf, &st) == 0)
			return buf;
	}
	return "file";
}

int daemon_filter_list(struct daemon *d, daemon_filter_fn fn, void *userdata)
{
	for (size_t i = 0; i < filter_set_size(d->filters); i++) {
		const struct filter *f = filter_set_get(d->filters, i);
		struct daemon_filter_info info = { .name = f->name, .chain = f->chain };
		char origin[4096];
		int r;

		info.origin = filter_origin(d, f->name, origin, sizeof(origin));
		memcpy(info.uuid, f->uuid, 16);
		for (size_t k = 0; k < d->n_ports; k++)
			if (tree_uses(d->filters, d->ports[k]->binding->ref.filter, f->name, 0))
				info.n_bindings++;
		r = fn(&info, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

int daemon_reload(struct daemon *d, struct strbuf *failures, struct err *err)
{
	_cleanup_(filter_set_freep) struct filter_set *set = NULL;
	int r;

	r = build_filter_set(&d->cfg, d->defined, d->n_defined, &set, err);
	if (r >= 0)
		r = check_learning_lock(d, set, err);
	if (r < 0)
		return err_prefix(err, r, "reload failed, the previous filters stay in force: ");
	rebuild_ports(d, set, failures);
	filter_set_free(d->filters);
	d->filters = TAKE_PTR(set);
	emit(d, DAEMON_EVENT_RELOADED, NULL, NULL, "filters reloaded: %zu filters",
	     filter_set_size(d->filters));
	return 0;
}

/* ---- link events ------------------------------------------------------ */

static struct port *port_by_ifindex(struct daemon *d, int ifindex)
{
	for (size_t i = 0; i < d->n_ports; i++)
		if (d->ports[i]->ifindex == ifindex)
			return d->ports[i];
	return NULL;
}

static void port_gone(struct daemon *d, struct port *p, const char *why)
{
	_cleanup_free_ char *name = strdup(p->binding->portdev);
	struct err err = { 0 };

	p = port_take(d, p->binding->portdev);
	if (port_remove(d, p, &err) < 0)
		log_err("port %s: %s", p->binding->portdev, err.msg);
	emit(d, DAEMON_EVENT_PORT_GONE, name, p->binding->ref.filter,
	     "%s: binding and rules removed", why);
	port_free(p);
}

void daemon_link_gone(struct daemon *d, int ifindex, const char *name)
{
	struct port *p = port_by_ifindex(d, ifindex);

	if (p)
		port_gone(d, p, "the port disappeared");
}

/* A rename follows the port: its elements are keyed by name, so they are re-keyed atomically. */
static void port_rename(struct daemon *d, struct port *p, const char *name)
{
	_cleanup_(fw_port_freep) struct fw_port *compiled = NULL;
	enum port_state state;
	_cleanup_free_ char *old_name = strdup(p->binding->portdev);
	char *new_name = strdup(name);
	struct err err = { 0 };
	int r;

	if (!old_name || !new_name) {
		free(new_name);
		return;
	}
	p = port_take(d, old_name);
	free(p->binding->portdev);
	p->binding->portdev = new_name;
	r = compile_port(d, d->filters, p, &compiled, &state, &err);
	if (r >= 0)
		r = store_binding_delete(d->store, old_name, &err);
	if (r >= 0)
		r = store_save_port(d, p, port_state_names[p->state], &err);
	if (r >= 0)
		r = port_apply(d, p, compiled, &err);
	if (port_insert(d, p) < 0) {
		port_gone(d, p, "out of memory");
		return;
	}
	if (r < 0) {
		port_fail(d, p, err.msg);
		return;
	}
	emit(d, DAEMON_EVENT_PORT_RENAMED, name, p->binding->ref.filter, "renamed from %s",
	     old_name);
}

void daemon_link_changed(struct daemon *d, int ifindex, const char *name, const uint8_t mac[6])
{
	struct port *p = port_by_ifindex(d, ifindex);

	if (!p)
		return;
	if (mac && memcmp(p->mac, mac, sizeof(p->mac)) != 0) {
		port_gone(d, p, "the port's MAC address changed");
		return;
	}
	if (strcmp(p->binding->portdev, name) != 0)
		port_rename(d, p, name);
}

/* ---- start-up and reconciliation ------------------------------------- */

static int load_defined(const char *name, const char *xml, void *userdata, struct err *err)
{
	struct daemon *d = userdata;
	struct defined_filter old;
	char *n = strdup(name), *x = strdup(xml);

	if (!n || !x || defined_put(d, n, x, &old) < 0) {
		free(n);
		free(x);
		return err_set(err, -ENOMEM, "out of memory");
	}
	defined_fini(&old);
	return 0;
}

static enum learn_source source_from_store(const char *source)
{
	if (strcmp(source, STORE_SOURCE_ARP) == 0)
		return LEARN_SOURCE_ARP;
	if (strcmp(source, STORE_SOURCE_IPV4) == 0)
		return LEARN_SOURCE_IPV4;
	return LEARN_SOURCE_DHCP;
}

static int port_addr_add(struct port *p, const struct port_addr *a)
{
	struct port_addr *grown = realloc(p->addrs, (p->n_addrs + 1) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	p->addrs = grown;
	p->addrs[p->n_addrs++] = *a;
	return 0;
}

static int load_address(const struct store_address *sa, void *userdata, struct err *err)
{
	struct port *p = userdata;
	struct port_addr a = { .lease_end = sa->lease_end, .learned_at = sa->learned_at };

	if (sa->family != 4 || ipv4_parse(sa->address, a.ip) < 0)
		return 0;
	a.source = source_from_store(sa->source);
	a.has_server = sa->detail && ipv4_parse(sa->detail, a.server) == 0;
	return port_addr_add(p, &a) < 0 ? err_set(err, -ENOMEM, "out of memory") : 0;
}

/*
 * One stored binding at start-up: if the port is gone or was replaced, the
 * binding goes; if its rules in the kernel are already right, nothing is
 * touched; otherwise they are applied (replacing what the record says is
 * there, or added afresh after a reboot); if that fails, the port goes down.
 */
static int restore_binding(const struct store_binding *sb, void *userdata, struct err *err)
{
	struct daemon *d = userdata;
	_cleanup_(binding_freep) struct binding *b = NULL;
	_cleanup_(fw_port_freep) struct fw_port *compiled = NULL;
	struct conf_diag diag = { .report = log_diag };
	enum port_state state = PORT_ACTIVE;
	struct port *p = NULL;
	struct link_info link;
	struct err e = { 0 };
	enum conf_doc_kind kind;
	int r;

	if (conf_parse_mem(sb->xml, strlen(sb->xml), sb->port, &diag, &kind, NULL, &b) < 0 ||
	    kind != CONF_DOC_BINDING) {
		log_err("stored binding of %s is unreadable; dropping it", sb->port);
		(void)store_binding_delete(d->store, sb->port, NULL);
		return 0;
	}
	if (port_new(TAKE_PTR(b), &p) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	p->port_id = sb->port_id;
	p->ifindex = sb->ifindex;
	if (!sb->mac || mac_parse(sb->mac, p->mac) < 0)
		memset(p->mac, 0, sizeof(p->mac));
	if (sb->record && fw_record_parse(sb->record, &p->record, &e) < 0)
		log_warn("port %s: unreadable firewall record: %s", sb->port, e.msg);
	if (p->record)
		(void)set_template(p, p->record);
	p->state = PORT_ACTIVE;
	p->is_blocked = p->record && strcmp(p->record->template_id, "blocked") == 0;
	p->learning_since = sb->learning_since >= 0 ? sb->learning_since : now_seconds();
	if (sb->failed_reason)
		p->note = strdup(sb->failed_reason);
	if (port_insert(d, p) < 0) {
		port_free(p);
		return err_set(err, -ENOMEM, "out of memory");
	}
	if (store_addresses_load(d->store, sb->port, load_address, p, &e) < 0)
		log_err("port %s: cannot load its learned addresses: %s", sb->port, e.msg);
	r = link_lookup_name(sb->port, &link, &e);
	if (r < 0 || (sb->ifindex && link.ifindex != sb->ifindex) ||
	    memcmp(link.mac, p->mac, sizeof(p->mac)) != 0) {
		port_gone(d, p, r < 0 ? "the port is gone" : "the port was replaced");
		return 0;
	}
	p->attach = port_attach(p->binding, &link);
	r = compile_port(d, d->filters, p, &compiled, &state, &e);
	if (r >= 0)
		p->state = state;
	if (r >= 0 && is_same_rules(compiled, p->record) && fw_port_present(d->fw, p->record)) {
		fw_note_template(d->fw, p->record->template_id);
		log_info("port %s: rules in place, untouched", sb->port);
		return 0;
	}
	if (r >= 0)
		r = port_apply(d, p, compiled, &e);
	if (r < 0) {
		port_fail(d, p, e.msg);
		return 0;
	}
	log_info("port %s: rules re-applied (template %s)", sb->port, compiled->template_id);
	return 0;
}

static int open_store(struct daemon *d, struct err *err)
{
	_cleanup_free_ char *path = NULL;

	if (mkdir(d->cfg.state_dir, 0700) < 0 && errno != EEXIST)
		return err_set(err, -errno, "cannot create the state directory %s: %s",
			       d->cfg.state_dir, strerror(errno));
	if (asprintf(&path, "%s/state.db", d->cfg.state_dir) < 0)
		return err_set(err, -ENOMEM, "out of memory");
	return store_open(path, &d->store, err);
}

int daemon_new(const struct daemon_config *cfg, daemon_event_fn on_event, void *userdata,
	       struct daemon **ret, struct err *err)
{
	struct daemon *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return err_set(err, -ENOMEM, "out of memory");
	d->cfg = *cfg;
	d->on_event = on_event;
	d->userdata = userdata;
	r = open_store(d, err);
	if (r >= 0)
		r = store_filters_load(d->store, load_defined, d, err);
	if (r >= 0)
		r = build_filter_set(&d->cfg, d->defined, d->n_defined, &d->filters, err);
	if (r >= 0)
		r = fw_open(d->cfg.nflog_group, &d->fw, err);
	if (r >= 0)
		r = store_bindings_load(d->store, restore_binding, d, err);
	if (r < 0) {
		daemon_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

struct daemon *daemon_free(struct daemon *d)
{
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->n_ports; i++)
		port_free(d->ports[i]);
	free(d->ports);
	for (size_t i = 0; i < d->n_defined; i++)
		defined_fini(&d->defined[i]);
	free(d->defined);
	filter_set_free(d->filters);
	fw_close(d->fw);
	store_close(d->store);
	for (size_t i = 0; i < d->n_pending; i++)
		free(d->pending[i].port);
	free(d->pending);
	free(d);
	return NULL;
}

/* ---- learning ---------------------------------------------------------- */

static const char *const source_store_names[_LEARN_SOURCE_MAX] = {
	[LEARN_SOURCE_DHCP] = STORE_SOURCE_DHCP,
	[LEARN_SOURCE_ARP] = STORE_SOURCE_ARP,
	[LEARN_SOURCE_IPV4] = STORE_SOURCE_IPV4,
};

const struct daemon_learn_stats *daemon_learn_stats(const struct daemon *d)
{
	return &d->learn_stats;
}

unsigned daemon_nflog_group(const struct daemon *d)
{
	return d->cfg.nflog_group;
}

static ssize_t addr_index(const struct port *p, const uint8_t ip[4])
{
	for (size_t i = 0; i < p->n_addrs; i++)
		if (memcmp(p->addrs[i].ip, ip, 4) == 0)
			return (ssize_t)i;
	return -1;
}

/* The port other than self that owns ip: learned, or given as its IP parameter. */
static const struct port *owner_of(const struct daemon *d, const struct port *self,
				   const uint8_t ip[4])
{
	char text[IP_TEXT_MAX];

	ipv4_format(ip, text);
	for (size_t i = 0; i < d->n_ports; i++) {
		const struct port *p = d->ports[i];
		const struct filter_var *given;

		if (p == self)
			continue;
		if (addr_index(p, ip) >= 0)
			return p;
		given = filter_params_find(&p->binding->ref.params, "IP");
		for (size_t k = 0; given && k < given->n_values; k++)
			if (strcmp(given->values[k], text) == 0)
				return p;
	}
	return NULL;
}

/* The port's rules are in: its new state. */
static void port_settle(struct daemon *d, struct port *p, enum port_state state)
{
	if (state == PORT_LEARNING && p->state != PORT_LEARNING)
		p->learning_since = now_seconds();
	p->state = state;
	(void)store_binding_set_state(d->store, p->binding->portdev, port_state_names[state], NULL,
				      NULL);
}

/*
 * Recompiles the port after its addresses changed (full rules with them, or
 * the learning rules when none is left) and applies that in one
 * transaction. If the full rules cannot be applied, the port goes down.
 */

static int port_relearned(struct daemon *d, struct port *p, struct err *err)
{
	_cleanup_(fw_port_freep) struct fw_port *compiled = NULL;
	enum port_state state = p->state;
	int r;

	r = compile_port(d, d->filters, p, &compiled, &state, err);
	if (r >= 0)
		r = port_apply(d, p, compiled, err);
	if (r < 0) {
		port_fail(d, p, err->msg);
		return r;
	}
	port_settle(d, p, state);
	return 0;
}

static int64_t lease_end(const struct learn_decision *dec, int64_t now)
{
	if (!dec->has_lease || dec->lease_s == LEARN_LEASE_INFINITE)
		return STORE_TIME_NONE;
	return now + dec->lease_s;
}

static void emit_learned(struct daemon *d, const struct port *p, const struct pending_learn *l)
{
	struct daemon_event ev = { .type = DAEMON_EVENT_LEARNED,
				   .port = p->binding->portdev,
				   .filter = p->binding->ref.filter,
				   .address = l->ip };
	struct timespec now;

	if (l->has_timestamp && clock_gettime(CLOCK_REALTIME, &now) == 0) {
		ev.has_latency = true;
		ev.latency_from = l->latency_from;
		ev.latency_us =
			(int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000 - l->timestamp_us;
	}
	if (l->source == LEARN_SOURCE_DHCP)
		emit_event(d, &ev,
			   "learned %s from a DHCP ACK of %s (lease %us); full rules applied",
			   l->ip, l->server[0] ? l->server : "?", l->lease_s);
	else
		emit_event(d, &ev, "learned %s from the VM's %s; full rules applied", l->ip,
			   learn_source_name(l->source));
}

static int pending_add(struct daemon *d, const struct pending_learn *l)
{
	if (d->n_pending == d->cap_pending) {
		size_t cap = d->cap_pending ? 2 * d->cap_pending : 16;
		struct pending_learn *more = realloc(d->pending, cap * sizeof(*more));

		if (!more)
			return -ENOMEM;
		d->pending = more;
		d->cap_pending = cap;
	}
	d->pending[d->n_pending] = *l;
	d->pending[d->n_pending].port = strdup(l->port);
	if (!d->pending[d->n_pending].port)
		return -ENOMEM;
	d->n_pending++;
	return 0;
}

static void learn_address(struct daemon *d, struct port *p, const struct learn_decision *dec,
			  const struct learn_frame *f)
{
	struct pending_learn l = { .port = p->binding->portdev,
				   .source = dec->source,
				   .lease_s = dec->lease_s,
				   .has_timestamp = f->has_timestamp || f->is_timestamp_ours,
				   .latency_from = f->is_timestamp_ours ? "daemon" : "kernel",
				   .timestamp_us = f->timestamp_us };
	struct port_addr a = { .source = dec->source, .has_server = dec->has_server_id };
	const struct port *owner = owner_of(d, p, dec->addr);
	struct err err = { 0 };

	ipv4_format(dec->addr, l.ip);
	if (owner) {
		emit(d, DAEMON_EVENT_CONFLICT, p->binding->portdev, p->binding->ref.filter,
		     "%s claims %s, which belongs to port %s: refused",
		     learn_source_name(dec->source), l.ip, owner->binding->portdev);
		return;
	}
	memcpy(a.ip, dec->addr, 4);
	memcpy(a.server, dec->server_id, 4);
	a.learned_at = now_seconds();
	a.lease_end = lease_end(dec, a.learned_at);
	if (a.has_server)
		ipv4_format(a.server, l.server);
	if (port_addr_add(p, &a) < 0)
		return;
	/* one store transaction for what the read taught: ended by daemon_learn_flush() */
	if (!d->is_store_batch)
		d->is_store_batch = store_begin(d->store, NULL) == 0;
	if (store_address_add(d->store, p->binding->portdev, l.ip, 4, source_store_names[a.source],
			      a.has_server ? l.server : NULL, a.lease_end, &err) < 0)
		log_err("port %s: %s", p->binding->portdev, err.msg);
	if (pending_add(d, &l) == 0) {
		p->is_settling = true;
		return;
	}
	/* no memory to wait: at once */
	if (port_relearned(d, p, &err) == 0)
		emit_learned(d, p, &l);
}

static void learn_flush_rules(struct daemon *d);

void daemon_learn_flush(struct daemon *d)
{
	struct err err = { 0 };

	learn_flush_rules(d);
	if (d->is_store_batch && store_commit(d->store, &err) < 0) {
		log_err("learning: the store did not take this batch: %s", err.msg);
		(void)store_rollback(d->store, NULL);
	}
	d->is_store_batch = false;
}

static void learn_flush_rules(struct daemon *d)
{
	size_t n = 0, cap = d->n_pending;
	struct port **ports = cap ? calloc(cap, sizeof(*ports)) : NULL;
	struct fw_port **compiled = cap ? calloc(cap, sizeof(*compiled)) : NULL;
	const struct fw_record **olds = cap ? calloc(cap, sizeof(*olds)) : NULL;
	struct fw_record **recs = cap ? calloc(cap, sizeof(*recs)) : NULL;
	enum port_state *states = cap ? calloc(cap, sizeof(*states)) : NULL;
	bool *is_done = cap ? calloc(cap, sizeof(*is_done)) : NULL;
	bool is_batched = false;
	struct err err = { 0 };

	if (!cap)
		return;
	if (!ports || !compiled || !olds || !recs || !states || !is_done) {
		/* no memory for a batch: each port at once */
		for (size_t i = 0; i < d->n_pending; i++) {
			bool found;
			size_t at = port_index(d, d->pending[i].port, &found);
			struct port *p = found ? d->ports[at] : NULL;

			if (p && p->is_settling) {
				p->is_settling = false;
				if (port_relearned(d, p, &err) == 0)
					emit_learned(d, p, &d->pending[i]);
			}
		}
	}
	for (size_t i = 0;
	     i < d->n_pending && ports && compiled && olds && recs && states && is_done; i++) {
		bool found;
		size_t at = port_index(d, d->pending[i].port, &found);
		struct port *p = found ? d->ports[at] : NULL;

		if (!p || !p->is_settling)
			continue; /* gone, or already in (a port learning twice in one read) */
		p->is_settling = false;
		if (compile_port(d, d->filters, p, &compiled[n], &states[n], &err) < 0) {
			port_fail(d, p, err.msg);
			continue;
		}
		ports[n] = p;
		olds[n++] = p->record;
	}
	if (n > 1) {
		is_batched = fw_apply_ports(d->fw, n, (const struct fw_port *const *)compiled, olds,
					    recs, &err) == 0;
		if (!is_batched)
			log_warn("learning: %zu ports in one transaction: %s; one at a time", n,
				 err.msg);
		for (size_t i = 0; i < n && is_batched; i++) {
			is_done[i] = port_adopt(d, ports[i], compiled[i], recs[i], &err) == 0;
			recs[i] = NULL;
		}
	}
	/* one port, or the batch failed: each on its own, so that a bad port fails alone */
	for (size_t i = 0; i < n && !is_batched; i++) {
		is_done[i] = port_apply(d, ports[i], compiled[i], &err) == 0;
		if (!is_done[i])
			port_fail(d, ports[i], err.msg);
	}
	for (size_t i = 0; i < n; i++)
		if (is_done[i])
			port_settle(d, ports[i], states[i]);
	for (size_t i = 0; i < d->n_pending; i++) {
		for (size_t k = 0; k < n; k++)
			if (is_done[k] &&
			    strcmp(ports[k]->binding->portdev, d->pending[i].port) == 0)
				emit_learned(d, ports[k], &d->pending[i]);
		free(d->pending[i].port);
	}
	d->n_pending = 0;
	for (size_t i = 0; i < n; i++) {
		fw_port_free(compiled[i]);
		fw_record_free(recs[i]);
	}
	free(ports);
	free(compiled);
	free(olds);
	free(recs);
	free(states);
	free(is_done);
}

/* Forgets address i of the port and rebuilds its rules. */
static void forget_address(struct daemon *d, struct port *p, size_t i, enum daemon_event_type type,
			   const char *why)
{
	char ip[IP_TEXT_MAX];
	struct err err = { 0 };

	if (p->is_settling)
		daemon_learn_flush(d);
	ipv4_format(p->addrs[i].ip, ip);
	p->addrs[i] = p->addrs[--p->n_addrs];
	(void)store_address_delete(d->store, p->binding->portdev, ip, NULL);
	if (port_relearned(d, p, &err) < 0)
		return;
	emit(d, type, p->binding->portdev, p->binding->ref.filter, "%s %s%s", ip, why,
	     p->state == PORT_LEARNING ? "; learning again" : "");
}

static void renew_address(struct daemon *d, struct port *p, const struct learn_decision *dec)
{
	ssize_t i = addr_index(p, dec->addr);
	char ip[IP_TEXT_MAX];
	struct err err = { 0 };

	if (i < 0)
		return;
	if (p->is_settling)
		daemon_learn_flush(d);
	p->addrs[i].lease_end = lease_end(dec, now_seconds());
	ipv4_format(dec->addr, ip);
	(void)store_address_add(d->store, p->binding->portdev, ip, 4, STORE_SOURCE_DHCP, NULL,
				p->addrs[i].lease_end, NULL);
	/* the kernel's timeout of the address moves with the lease */
	if (port_relearned(d, p, &err) < 0)
		return;
	emit(d, DAEMON_EVENT_RENEWED, p->binding->portdev, p->binding->ref.filter,
	     "lease of %s renewed for %us", ip, dec->lease_s);
}

static void learn_on_port(struct daemon *d, struct port *p, enum learn_dir dir,
			  const struct learn_frame *f)
{
	struct learn_port view = {
		.mode = p->learn_mode,
		.is_learning = p->state == PORT_LEARNING && !p->is_settling,
		.servers = (const uint8_t(*)[4])p->servers,
		.n_servers = p->n_servers,
		.xids = p->xids,
	};
	uint8_t(*addrs)[4] = p->n_addrs ? calloc(p->n_addrs, sizeof(*addrs)) : NULL;
	struct learn_decision dec;
	ssize_t i;

	memcpy(view.vm_mac, p->binding->mac, 6);
	for (size_t k = 0; addrs && k < p->n_addrs; k++)
		memcpy(addrs[k], p->addrs[k].ip, 4);
	view.addrs = (const uint8_t(*)[4])addrs;
	view.n_addrs = addrs ? p->n_addrs : 0;
	learn_decide(&view, dir, f, &dec);
	free(addrs);
	d->learn_stats.verdicts[dec.verdict]++;
	switch (dec.verdict) {
	case LEARN_VERDICT_IGNORE:
		d->learn_stats.drops[dec.reason]++;
		log_debug("port %s: frame ignored: %s", p->binding->portdev,
			  learn_drop_name(dec.reason));
		break;
	case LEARN_VERDICT_RECORD_XID:
		learn_xids_record(&p->xids, dec.xid, dec.addr);
		break;
	case LEARN_VERDICT_LEARN:
		learn_address(d, p, &dec, f);
		break;
	case LEARN_VERDICT_RENEW:
		renew_address(d, p, &dec);
		break;
	case LEARN_VERDICT_REMOVE:
		i = addr_index(p, dec.addr);
		if (i >= 0)
			forget_address(d, p, (size_t)i, DAEMON_EVENT_ADDRESS_REMOVED,
				       "released or refused by DHCP");
		break;
	default:
		break;
	}
}

void daemon_learn_record(struct daemon *d, const uint8_t *record, size_t len)
{
	struct learn_frame f;
	enum learn_dir dir;
	struct port *p;
	int ifindex;
	int r;

	d->learn_stats.n_records++;
	r = learn_nflog_parse(record, len, &f);
	if (r >= 0 && !f.has_timestamp) {
		/* the kernel stamps only frames logged up to the forward hook, not a DHCP
		 * reply logged on its way to the VM: then the daemon's receipt is the start */
		struct timespec now;

		if (clock_gettime(CLOCK_REALTIME, &now) == 0) {
			f.timestamp_us = (int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000;
			f.is_timestamp_ours = true;
		}
	}
	if (r < 0) {
		d->learn_stats.drops[-r < _LEARN_DROP_MAX ? -r : 0]++;
		return;
	}
	switch (f.origin) {
	case LEARN_ORIGIN_NETDEV_EGRESS: /* leaving the macvtap: sent by the VM */
		ifindex = f.outdev;
		dir = LEARN_DIR_FROM_VM;
		break;
	case LEARN_ORIGIN_NETDEV_INGRESS:
		ifindex = f.indev;
		dir = LEARN_DIR_TO_VM;
		break;
	default: /* logged at postrouting (towards a port) when outdev is set, else at prerouting */
		ifindex = f.outdev ? f.outdev : f.indev;
		dir = f.outdev ? LEARN_DIR_TO_VM : LEARN_DIR_FROM_VM;
		break;
	}
	p = port_by_ifindex(d, ifindex);
	if (!p || !p->learns || p->is_blocked) {
		d->learn_stats.n_unknown_port++;
		return;
	}
	learn_on_port(d, p, dir, &f);
}

/* Learning failed: the port drops everything until relearn (libvirt leaves it open). */
static void port_block(struct daemon *d, struct port *p, const char *why)
{
	_cleanup_(fw_port_freep) struct fw_port *compiled = NULL;
	struct err err = { 0 };

	p->is_blocked = true;
	if (fw_compile_blocked(p->binding->portdev, p->attach, &compiled, &err) < 0 ||
	    port_apply(d, p, compiled, &err) < 0) {
		port_fail(d, p, err.msg);
		return;
	}
	p->state = PORT_FAILED;
	free(p->note);
	p->note = strdup(why);
	(void)store_binding_set_state(d->store, p->binding->portdev, STORE_STATE_FAILED, why, NULL);
	emit(d, DAEMON_EVENT_PORT_FAILED, p->binding->portdev, p->binding->ref.filter,
	     "%s; all its traffic is dropped (vifguardctl binding relearn %s)", why,
	     p->binding->portdev);
}

void daemon_tick(struct daemon *d, int64_t now)
{
	for (size_t i = 0; i < d->n_ports; i++) {
		struct port *p = d->ports[i];

		for (size_t k = p->n_addrs; k-- > 0;)
			if (p->addrs[k].lease_end >= 0 && p->addrs[k].lease_end <= now)
				forget_address(d, p, k, DAEMON_EVENT_EXPIRED,
					       "expired (the lease ended without renewal)");
		if (p->state == PORT_LEARNING && p->learn_timeout_s > 0 &&
		    now - p->learning_since >= p->learn_timeout_s) {
			char why[128];

			snprintf(why, sizeof(why), "no address learned within %d s",
				 p->learn_timeout_s);
			port_block(d, p, why);
		}
	}
}

int daemon_binding_relearn(struct daemon *d, const char *name, struct err *err)
{
	bool found;
	size_t i = port_index(d, name, &found);
	struct port *p;
	int r;

	if (!found)
		return err_set(err, -ENOENT, "port %s is not bound", name);
	p = d->ports[i];
	if (!p->learns)
		return err_set(err, -EINVAL,
			       "port %s does not learn its address: its binding gives IP", name);
	p->is_blocked = false;
	p->n_addrs = 0;
	memset(&p->xids, 0, sizeof(p->xids));
	(void)store_addresses_delete_all(d->store, name, NULL);
	free(p->note);
	p->note = NULL;
	p->state = PORT_NEW;
	r = port_relearned(d, p, err);
	if (r < 0)
		return r;
	emit(d, DAEMON_EVENT_LEARNING, name, p->binding->ref.filter,
	     "learning the IP address again (%s mode)",
	     p->learn_mode == LEARN_MODE_DHCP ? "dhcp" : "any");
	return 0;
}
