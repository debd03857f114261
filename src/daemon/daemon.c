/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The daemon's requests, learning records, ticks and link events, each
 * turned into an engine input; and the start-up, which hands the engine
 * every stored binding with what the links and the kernel say of it.
 */
#include "daemon/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fw/apply.h"
#include "ctl/ctl.h"
#include "fw/record.h"
#include "learn/frame.h"
#include "link/link.h"
#include "store/store.h"
#include "util/addr.h"
#include "util/cleanup.h"
#include "util/clock.h"
#include "util/log.h"

/* ---- requests ------------------------------------------------------------ */

const struct engine *daemon_engine(const struct daemon *d)
{
	return d->engine;
}

const struct daemon_repairs *daemon_repairs(const struct daemon *d)
{
	return &d->repairs;
}

unsigned daemon_nflog_group(const struct daemon *d)
{
	return d->cfg.nflog_group;
}

/* An id no port holds: the daemon's, or vifguardctl apply's (the kernel has those). */
static int free_port_id(struct daemon *d, const char *port, unsigned *ret, struct err *err)
{
	struct fw_port_ids used = { 0 };
	struct engine_port_info info;

	for (size_t i = 0; engine_port_get(d->engine, i, &info); i++)
		fw_port_ids_add(&used, info.port_id);
	return fw_port_id_allocate(d->fw, port, 0, &used, ret, err);
}

#define BRIDGE_ADDRS_MAX 16

static void refresh_bridge6(struct daemon *d, int ifindex);

/*
 * The IPv4 addresses of the bridge link is on (none on no bridge, or when
 * they cannot be read); its IPv6 addresses go to the engine at once.
 */
static size_t bridge_addrs(struct daemon *d, const struct link_info *link, uint8_t (*ret)[4])
{
	struct err err = { 0 };
	int n;

	if (link->master <= 0)
		return 0;
	refresh_bridge6(d, link->master);
	n = link_ipv4_addrs(link->master, ret, BRIDGE_ADDRS_MAX, &err);
	if (n < 0) {
		log_warn("port %s: %s; its bridge's addresses are not protected", link->name,
			 err.msg);
		return 0;
	}
	return (size_t)n;
}

/* binding.create's "learned", as the engine's addresses (its clock); *ret NULL when none */
static int imported_addrs(const char *learned, struct engine_addr **ret, size_t *ret_n,
			  struct err *err)
{
	_cleanup_free_ struct ctl_learned *l = NULL;
	struct engine_addr *a;
	size_t n = 1;
	int r;

	*ret = NULL;
	*ret_n = 0;
	if (!learned || !*learned)
		return 0;
	for (const char *c = learned; *c && n <= CTL_LEARNED_MAX; c++)
		n += *c == ',';
	if (n > CTL_LEARNED_MAX)
		return err_set(err, -E2BIG, "learned: more than %d addresses", CTL_LEARNED_MAX);
	l = calloc(n, sizeof(*l));
	if (!l)
		return err_set(err, -ENOMEM, "out of memory");
	r = ctl_learned_parse(learned, l, n, &n, err);
	if (r < 0)
		return r;
	a = calloc(n ? n : 1, sizeof(*a));
	if (!a)
		return err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		memcpy(a[i].ip, l[i].address, 16);
		a[i].is_ipv6 = l[i].is_ipv6;
		a[i].source = LEARN_SOURCE_IPV4;
		for (int s = 0; s < _LEARN_SOURCE_MAX; s++)
			if (strcmp(l[i].source, learn_source_name((enum learn_source)s)) == 0)
				a[i].source = (enum learn_source)s;
		a[i].refreshed_at = clock_mono_s();
		a[i].has_server = l[i].has_server;
		memcpy(a[i].server, l[i].server, 4);
		a[i].has_lease = l[i].has_lease;
		a[i].lease_end = l[i].has_lease ? daemon_mono_time(l[i].lease_end) : 0;
		a[i].learned_at = daemon_mono_time(l[i].learned_at);
	}
	*ret = a;
	*ret_n = n;
	return 0;
}

int daemon_binding_create(struct daemon *d, struct binding *b, bool keeps_up, const char *learned,
			  struct err *err)
{
	_cleanup_free_ struct engine_addr *imported = NULL;
	uint8_t bridge[BRIDGE_ADDRS_MAX][4];
	struct engine_input in = { .type = ENGINE_IN_BIND,
				   .bind = { .binding = b, .keeps_up_on_failure = keeps_up } };
	struct err link_err = { 0 };
	char port[IFNAMSIZ];
	int r = link_lookup_name(b->portdev, &in.bind.link, &link_err);

	/* no such interface: the engine says so, as it refuses any bind */
	in.bind.has_link = r >= 0;
	in.bind.link_error = r;
	if (r < 0 && r != -ENODEV)
		r = err_set(err, r, "cannot bind port %s: %s", b->portdev, link_err.msg);
	else if (r < 0)
		r = 0;
	else if ((r = fw_port_is_ctl(d->fw, b->portdev, engine_port_attach(b, &in.bind.link),
				     &in.bind.is_ctl_port, err)) >= 0)
		r = free_port_id(d, b->portdev, &in.bind.port_id, err);
	if (r >= 0)
		r = imported_addrs(learned, &imported, &in.bind.n_imported, err);
	in.bind.imported = imported;
	if (r < 0) {
		binding_free(b);
		return r;
	}
	if (in.bind.has_link) {
		in.bind.n_bridge_addrs = bridge_addrs(d, &in.bind.link, bridge);
		in.bind.bridge_addrs = (const uint8_t(*)[4])bridge;
	}
	snprintf(port, sizeof(port), "%s", b->portdev);
	r = daemon_dispatch(d, &in, NULL, err);
	if (r >= 0)
		daemon_guard_port(d, port);
	return r;
}

int daemon_binding_delete(struct daemon *d, const char *port, struct err *err)
{
	struct engine_input in = { .type = ENGINE_IN_UNBIND, .port = port };
	int r = daemon_dispatch(d, &in, NULL, err);

	/* a guarded port without its binding is dropped again */
	if (r >= 0)
		daemon_guard_port(d, port);
	return r;
}

int daemon_binding_relearn(struct daemon *d, const char *port, struct err *err)
{
	struct engine_input in = { .type = ENGINE_IN_RELEARN, .port = port };

	return daemon_dispatch(d, &in, NULL, err);
}

int daemon_binding_dumpxml(struct daemon *d, const char *port, char **ret, struct err *err)
{
	struct engine_port_info info;

	if (!engine_port_find(d->engine, port, &info))
		return err_set(err, -ENOENT, "port %s is not bound", port);
	*ret = conf_binding_format(info.binding);
	return *ret ? 0 : err_set(err, -ENOMEM, "out of memory");
}

/* ---- learning, ticks, links ----------------------------------------------- */

void daemon_learn_record(struct daemon *d, const uint8_t *record, size_t len)
{
	struct engine_input in = { .type = ENGINE_IN_FRAME };
	struct learn_frame f;
	int r = learn_nflog_parse(record, len, &f);

	if (r < 0) {
		engine_count_unparsed(d->engine, -r);
		return;
	}
	if (!f.has_timestamp) {
		/* the kernel stamps only frames logged up to the forward hook, not a DHCP
		 * reply logged on its way to the VM: then the daemon's receipt is the start */
		f.timestamp_us = clock_wall_us();
		f.is_timestamp_ours = true;
	}
	learn_frame_port(&f, &in.frame.ifindex, &in.frame.dir, &in.frame.from_ifindex);
	log_debug("capture: a record %s port %d, entered at %d",
		  in.frame.dir == LEARN_DIR_TO_VM ? "to" : "from", in.frame.ifindex,
		  in.frame.from_ifindex);
	in.frame.frame = &f;
	(void)engine_handle(d->engine, &in, clock_mono_s(), &d->learned);
}

void daemon_learn_flush(struct daemon *d)
{
	struct engine_input in = { .type = ENGINE_IN_FLUSH };
	(void)engine_handle(d->engine, &in, clock_mono_s(), &d->learned);
	daemon_execute(d, &d->learned);
}

struct present6 {
	struct engine_addr6_present *v;
	size_t n;
	bool is_enomem;
};

static void add_present6(const char *port, const char *addr, void *userdata)
{
	struct present6 *p = userdata;
	struct engine_addr6_present *grown;

	if (p->is_enomem)
		return;
	grown = realloc(p->v, (p->n + 1) * sizeof(*grown));
	if (!grown) {
		p->is_enomem = true;
		return;
	}
	p->v = grown;
	if (strlen(port) < sizeof(grown->port) && ipv6_parse(addr, grown[p->n].ip) == 0) {
		strcpy(grown[p->n].port, port);
		p->n++;
	}
}

/*
 * An IPv6 address a port learned from DAD or traffic lapses in the kernel
 * when unused (its gate entry times out); the engine forgets it when the
 * gate no longer lists it. Listed four times per idle time, so an address
 * is forgotten at most a quarter of it late.
 */
static void check_gate(struct daemon *d)
{
	struct present6 p = { 0 };
	struct engine_input in = { .type = ENGINE_IN_ADDR6_PRESENT };
	struct err err = { 0 };
	int r;

	if (d->ticks_to_gate_check-- > 0)
		return;
	d->ticks_to_gate_check =
		(unsigned)(d->cfg.ipv6_idle_s ? d->cfg.ipv6_idle_s : FW_IPV6_IDLE_DEFAULT_S) / 4;
	r = fw_list_addr6(d->fw, add_present6, &p, &err);
	if (r >= 0 && !p.is_enomem) {
		in.present.v = p.v;
		in.present.n = p.n;
		(void)daemon_dispatch(d, &in, NULL, NULL);
	} else if (r != -ENOENT) {
		log_warn("cannot list the IPv6 gate: %s", r < 0 ? err.msg : "out of memory");
	}
	free(p.v);
}

void daemon_tick(struct daemon *d)
{
	struct engine_input in = { .type = ENGINE_IN_TICK };

	(void)daemon_dispatch(d, &in, NULL, NULL);
	check_gate(d);
}

void daemon_link_changed(struct daemon *d, const struct link_info *link)
{
	struct engine_input in = { .type = ENGINE_IN_LINK, .link = *link };

	(void)daemon_dispatch(d, &in, NULL, NULL);
	daemon_guard_link(d, link);
}

void daemon_link_gone(struct daemon *d, int ifindex)
{
	struct engine_input in = { .type = ENGINE_IN_LINK_GONE, .link = { .ifindex = ifindex } };

	(void)daemon_dispatch(d, &in, NULL, NULL);
	daemon_guard_link_gone(d, ifindex);
}

/* Reads a bridge's IPv6 addresses and gives them to the engine. */
static void refresh_bridge6(struct daemon *d, int ifindex)
{
	uint8_t addrs[BRIDGE_ADDRS_MAX][16];
	struct engine_input in = { .type = ENGINE_IN_BRIDGE_ADDRS6,
				   .bridge = { .ifindex = ifindex, .addrs6 = addrs } };
	struct err err = { 0 };
	int n;

	if (ifindex <= 0)
		return;
	n = link_ipv6_addrs(ifindex, addrs, BRIDGE_ADDRS_MAX, &err);
	if (n < 0) {
		log_warn("bridge %d: its IPv6 addresses cannot be read, and are not protected: %s",
			 ifindex, err.msg);
		return;
	}
	in.bridge.n = (size_t)n;
	(void)daemon_dispatch(d, &in, NULL, NULL);
}

/* Reads a bridge's addresses again and gives them to its ports. */
static void refresh_bridge(struct daemon *d, int ifindex)
{
	refresh_bridge6(d, ifindex);
	uint8_t addrs[BRIDGE_ADDRS_MAX][4];
	struct engine_input in = { .type = ENGINE_IN_BRIDGE_ADDRS,
				   .bridge = { .ifindex = ifindex, .addrs = addrs } };
	struct err err = { 0 };
	int n = link_ipv4_addrs(ifindex, addrs, BRIDGE_ADDRS_MAX, &err);

	if (n < 0) {
		log_warn("bridge %d: its addresses changed and cannot be read: %s", ifindex,
			 err.msg);
		return;
	}
	in.bridge.n = (size_t)n;
	(void)daemon_dispatch(d, &in, NULL, NULL);
}

void daemon_bridge_addrs_changed(struct daemon *d, int ifindex)
{
	struct engine_port_info info;

	for (size_t i = 0; engine_port_get(d->engine, i, &info); i++) {
		if (info.master == ifindex) {
			refresh_bridge(d, ifindex);
			return;
		}
	}
}

void daemon_link_dump_done(struct daemon *d, const int *ifindexes, size_t n)
{
	struct engine_input in = { .type = ENGINE_IN_LINK_DUMP,
				   .dump = { .ifindexes = ifindexes, .n = n } };
	struct engine_port_info info;
	size_t n_bridges = 0;
	int *bridges;

	(void)daemon_dispatch(d, &in, NULL, NULL);
	bridges = calloc(engine_port_count(d->engine) + 1, sizeof(*bridges));
	if (!bridges) {
		log_err("link: out of memory: the bridges' addresses are not read again");
		return;
	}
	/* address events may have been lost with the link events: each bridge read once */
	for (size_t i = 0; engine_port_get(d->engine, i, &info); i++) {
		size_t k = 0;

		while (k < n_bridges && bridges[k] != info.master)
			k++;
		if (info.master > 0 && k == n_bridges)
			bridges[n_bridges++] = info.master;
	}
	for (size_t k = 0; k < n_bridges; k++)
		refresh_bridge(d, bridges[k]);
	free(bridges);
}

/* ---- the kernel's side ------------------------------------------------------ */

void daemon_verify_begin(struct daemon *d)
{
	fw_verify_begin(d->fw);
}

int daemon_verify_port(struct daemon *d, const char *port, char *problem, size_t size)
{
	struct engine_port_info info;

	if (!engine_port_find(d->engine, port, &info))
		return -ENOENT;
	if (!info.record) {
		snprintf(problem, size, "no rules in the kernel%s",
			 info.state == ENGINE_PORT_FAILED ? ": the port is set down" : "");
		return 0;
	}
	return fw_verify_port(d->fw, info.record, problem, size);
}

void daemon_repair(struct daemon *d, const struct fw_damage *damage)
{
	struct engine_input in = { .type = ENGINE_IN_REPAIR };
	struct daemon_event ev = { .type = ENGINE_EVENT_RULES_RESTORED };
	char what[256], message[256 + ERR_MSG_MAX + 64];
	size_t n = engine_port_count(d->engine);
	struct err err = { 0 };
	int r;

	fw_damage_format(damage, what, sizeof(what));
	log_warn("nftables: %s; putting back the rules of %zu ports", what, n);
	daemon_guard_repair(d);
	r = daemon_dispatch(d, &in, NULL, &err);
	d->repairs.n++;
	d->repairs.n_failed += r < 0;
	d->repairs.last_at = clock_wall_s();
	snprintf(d->repairs.last, sizeof(d->repairs.last), "%s", what);
	snprintf(message, sizeof(message), "%s; the rules of %zu ports put back in place%s%s", what,
		 n, r < 0 ? ", except: " : "", r < 0 ? err.msg : "");
	ev.message = message;
	log_info("%s: %s", engine_event_names[ev.type], message);
	daemon_emit(d, &ev);
}

/* ---- start-up -------------------------------------------------------------- */

static enum learn_source source_from_store(enum store_source source)
{
	switch (source) {
	case STORE_SOURCE_ARP:
		return LEARN_SOURCE_ARP;
	case STORE_SOURCE_IPV4:
		return LEARN_SOURCE_IPV4;
	case STORE_SOURCE_DHCPV6:
		return LEARN_SOURCE_DHCPV6;
	case STORE_SOURCE_DAD:
		return LEARN_SOURCE_DAD;
	case STORE_SOURCE_IPV6:
		return LEARN_SOURCE_IPV6;
	default:
		return LEARN_SOURCE_DHCP;
	}
}

struct restore_addrs {
	struct engine_addr *v;
	size_t n;
};

static int load_address(const struct store_address *sa, void *userdata, struct err *err)
{
	struct restore_addrs *ra = userdata;
	struct engine_addr a = { .learned_at = daemon_mono_time(sa->learned_at),
				 .refreshed_at = clock_mono_s(),
				 .is_ipv6 = sa->family == 6 };
	struct engine_addr *grown;

	memcpy(a.ip, sa->address, a.is_ipv6 ? 16 : 4);
	a.source = source_from_store(sa->source);
	a.has_server = sa->has_server && !a.is_ipv6;
	memcpy(a.server, sa->server, 4);
	a.has_lease = sa->lease_end >= 0;
	a.lease_end = a.has_lease ? daemon_mono_time(sa->lease_end) : 0;
	grown = realloc(ra->v, (ra->n + 1) * sizeof(*grown));
	if (!grown)
		return err_set(err, -ENOMEM, "out of memory");
	ra->v = grown;
	ra->v[ra->n++] = a;
	return 0;
}

/* One stored binding: what the store, the links and the kernel say of it, to the engine. */
static int restore_binding(const struct store_binding *sb, void *userdata, struct err *err)
{
	uint8_t bridge[BRIDGE_ADDRS_MAX][4];
	struct daemon *d = userdata;
	struct conf_diag diag = { .report = daemon_log_diag };
	struct engine_input in = { .type = ENGINE_IN_RESTORE };
	struct engine_restore *rs = &in.restore;
	struct restore_addrs addrs = { 0 };
	enum conf_doc_kind kind;
	struct err e = { 0 };
	int r;

	if (conf_parse_mem(sb->xml, strlen(sb->xml), sb->port, &diag, &kind, NULL, &rs->binding) <
		    0 ||
	    kind != CONF_DOC_BINDING) {
		binding_free(rs->binding);
		log_err("stored binding of %s is unreadable; dropping it", sb->port);
		(void)store_binding_delete(d->store, sb->port, NULL);
		return 0;
	}
	rs->port_id = sb->port_id;
	rs->ifindex = sb->ifindex;
	rs->has_mac = sb->has_mac;
	memcpy(rs->mac, sb->mac, sizeof(rs->mac));
	if (sb->record && fw_record_parse(sb->record, &rs->record, &e) < 0)
		log_warn("port %s: unreadable firewall record: %s", sb->port, e.msg);
	/* fw lists the dispatch map once for all of these, not once per port */
	rs->is_record_present = rs->record && fw_port_present(d->fw, rs->record);
	rs->failed_reason = sb->failed_reason;
	rs->was_learning = sb->learning_since >= 0;
	rs->learning_since = rs->was_learning ? daemon_mono_time(sb->learning_since) : 0;
	rs->created_at = daemon_mono_time(sb->created_at);
	if (store_addresses_load(d->store, sb->port, load_address, &addrs, &e) < 0)
		log_err("port %s: cannot load its learned addresses: %s", sb->port, e.msg);
	rs->addrs = addrs.v;
	rs->n_addrs = addrs.n;
	rs->has_link = link_lookup_name(sb->port, &rs->link, &e) >= 0;
	if (rs->has_link) {
		rs->n_bridge_addrs = bridge_addrs(d, &rs->link, bridge);
		rs->bridge_addrs = (const uint8_t(*)[4])bridge;
	}
	r = daemon_dispatch(d, &in, NULL, err);
	free(addrs.v);
	/* a port that cannot be restored is set down by the engine; only no memory stops */
	return r == -ENOMEM ? r : 0;
}

static int load_defined(const char *name, const char *xml, void *userdata, struct err *err)
{
	struct daemon *d = userdata;
	struct defined_filter old;
	char *n = strdup(name), *x = strdup(xml);

	if (!n || !x || daemon_defined_put(d, n, x, &old) < 0) {
		free(n);
		free(x);
		return err_set(err, -ENOMEM, "out of memory");
	}
	daemon_defined_fini(&old);
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
	struct engine_config ecfg = { .learn_timeout_s = cfg->learn_timeout_s,
				      .nflog_group = cfg->nflog_group,
				      .max_addrs = cfg->max_addrs,
				      .ipv6_idle_s = cfg->ipv6_idle_s,
				      .is_uncounted = cfg->is_uncounted,
				      .protected_addrs = (const uint8_t(*)[4])cfg->protected_addrs,
				      .n_protected = cfg->n_protected,
				      .protected6 = (const uint8_t(*)[16])cfg->protected6,
				      .n_protected6 = cfg->n_protected6 };
	struct filter_set *filters = NULL;
	struct err sync_err = { 0 };
	int r;

	if (!d)
		return err_set(err, -ENOMEM, "out of memory");
	d->cfg = *cfg;
	ratelimit_init(&d->drop_log_lines, cfg->drop_log_rate);
	d->on_event = on_event;
	d->userdata = userdata;
	engine_actions_init(&d->learned);
	r = open_store(d, err);
	if (r >= 0)
		r = store_filters_load(d->store, load_defined, d, err);
	if (r >= 0)
		r = daemon_build_filters(&d->cfg, d->defined, d->n_defined, NULL, &filters, err);
	if (r >= 0 && engine_new(&ecfg, filters, &d->engine) < 0)
		r = err_set(err, -ENOMEM, "out of memory");
	if (r >= 0)
		r = fw_open(d->cfg.nflog_group, &d->fw, err);
	if (r >= 0) {
		fw_set_ipv6_idle(d->fw, (unsigned)d->cfg.ipv6_idle_s);
		fw_set_drop_log_group(d->fw, d->cfg.drop_log_group);
	}
	/* tables of a run with another drop_log_group would log where nobody reads */
	if (r >= 0 && fw_drops_sync(d->fw, &sync_err) < 0)
		log_warn("%s", sync_err.msg);
	/* before any binding: a guarded port is dropped from the first moment */
	if (r >= 0)
		r = daemon_guard_start(d, err);
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
	engine_actions_fini(&d->learned);
	daemon_guard_free(d);
	engine_free(d->engine);
	for (size_t i = 0; i < d->n_defined; i++)
		daemon_defined_fini(&d->defined[i]);
	free(d->defined);
	fw_close(d->fw);
	store_close(d->store);
	free(d);
	return NULL;
}
