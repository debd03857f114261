/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnftables in process. Every change to a port is one buffer handed to
 * nft_run_cmd_from_buffer, which the kernel commits as one batch. Templates
 * are shared: this context remembers which ones it knows to exist, asks the
 * kernel once about others, and removes a template by trying to: the
 * kernel refuses to delete a chain that a dispatch element still jumps to
 * (EBUSY), and then the whole removal is rolled back, leaving it in use.
 */
#include "fw/apply.h"

#include <errno.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fw/compile-internal.h"
#include "fw/listing.h"
#include "util/cleanup.h"
#include "util/strbuf.h"

#define KNOWN_TEMPLATES_MAX 256

/* A listing of the dispatch map older than this is not used: others' changes show within a second.
 */
#define DISPATCH_TTL_NS 1000000000ull

struct fw_ctx {
	struct nft_ctx *nft;
	unsigned nflog_group; /* of the learning chains, when this context adds the base tables */
	unsigned ipv6_idle_s; /* of the IPv6 gate's entries */
	unsigned drop_log_group; /* samples of dropped frames; FW_NFLOG_GROUP_KEEP: the table's */
	bool has_base[2];        /* by enum fw_attach */
	bool has_inet_base;
	char *known[KNOWN_TEMPLATES_MAX]; /* template ids known to exist; owned */
	size_t n_known;
	/* by enum fw_attach: known[] holds every template of that table (listed once) */
	bool is_known_complete[2];
	struct fw_listing *dispatch; /* the out-ports map as last listed, or NULL; owned */
	uint64_t dispatch_listed_ns; /* when, on CLOCK_MONOTONIC */
};

void fw_set_ipv6_idle(struct fw_ctx *ctx, unsigned idle_s)
{
	ctx->ipv6_idle_s = idle_s ? idle_s : FW_IPV6_IDLE_DEFAULT_S;
}

void fw_set_drop_log_group(struct fw_ctx *ctx, unsigned group)
{
	ctx->drop_log_group = group;
}

int fw_open(unsigned nflog_group, struct fw_ctx **ret, struct err *err)
{
	struct fw_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return err_set(err, -ENOMEM, "out of memory");
	ctx->nflog_group = nflog_group;
	ctx->ipv6_idle_s = FW_IPV6_IDLE_DEFAULT_S;
	ctx->drop_log_group = FW_NFLOG_GROUP_KEEP;
	ctx->nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!ctx->nft) {
		free(ctx);
		return err_set(err, -ENOMEM, "cannot create an nftables context");
	}
	if (nft_ctx_buffer_output(ctx->nft) < 0 || nft_ctx_buffer_error(ctx->nft) < 0) {
		nft_ctx_free(ctx->nft);
		free(ctx);
		return err_set(err, -ENOMEM, "cannot set up nftables output buffers");
	}
	*ret = ctx;
	return 0;
}

struct fw_ctx *fw_close(struct fw_ctx *ctx)
{
	if (!ctx)
		return NULL;
	for (size_t i = 0; i < ctx->n_known; i++)
		free(ctx->known[i]);
	fw_listing_free(ctx->dispatch);
	nft_ctx_free(ctx->nft);
	free(ctx);
	return NULL;
}

/* nft's error text, on one line, without its trailing newline. */
static void nft_message(struct fw_ctx *ctx, char *out, size_t size)
{
	const char *msg = nft_ctx_get_error_buffer(ctx->nft);
	size_t n = 0;

	for (; msg && *msg && n + 1 < size; msg++)
		out[n++] = *msg == '\n' ? ' ' : *msg;
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static int run(struct fw_ctx *ctx, const char *text, char *msg, size_t size)
{
	int r;

	/* whatever the text changes, the dispatch map's listing may no longer be right */
	ctx->dispatch = fw_listing_free(ctx->dispatch);
	r = nft_run_cmd_from_buffer(ctx->nft, text);

	if (msg)
		nft_message(ctx, msg, size);
	/* drain both buffers so the next command starts clean */
	(void)nft_ctx_get_output_buffer(ctx->nft);
	(void)nft_ctx_get_error_buffer(ctx->nft);
	return r == 0 ? 0 : -EIO;
}

int fw_run(struct fw_ctx *ctx, const char *statements, struct err *err)
{
	char msg[ERR_MSG_MAX / 2];

	if (run(ctx, statements, msg, sizeof(msg)) < 0)
		return err_set(err, -EIO, "nft: %s", msg[0] ? msg : "transaction failed");
	return 0;
}

static bool is_known(const struct fw_ctx *ctx, const char *id)
{
	for (size_t i = 0; i < ctx->n_known; i++)
		if (strcmp(ctx->known[i], id) == 0)
			return true;
	return false;
}

static void remember(struct fw_ctx *ctx, const char *id, bool exists)
{
	bool is_stored = false;

	for (size_t i = 0; i < ctx->n_known; i++) {
		if (strcmp(ctx->known[i], id) != 0)
			continue;
		if (!exists) {
			free(ctx->known[i]);
			ctx->known[i] = ctx->known[--ctx->n_known];
		}
		return;
	}
	if (exists && ctx->n_known < KNOWN_TEMPLATES_MAX) {
		char *copy = strdup(id);

		if (copy) {
			ctx->known[ctx->n_known++] = copy;
			is_stored = true;
		}
	}
	/* a template this context cannot remember must be asked about again */
	if (exists && !is_stored)
		ctx->is_known_complete[0] = ctx->is_known_complete[1] = false;
}

static const char *family(enum fw_attach attach)
{
	return attach == FW_ATTACH_NETDEV ? "netdev" : "bridge";
}

/*
 * Runs one list command with JSON output and parses what it prints.
 * -ENOENT when the kernel has no such table, chain, set or map (nft says
 * so only in its message); -EIO with nft's message for any other failure.
 */
static int list_json(struct fw_ctx *ctx, const char *cmd, struct fw_listing **ret, struct err *err)
{
	unsigned flags = nft_ctx_output_get_flags(ctx->nft);
	char msg[ERR_MSG_MAX / 2];
	int r;

	nft_ctx_output_set_flags(ctx->nft, flags | NFT_CTX_OUTPUT_JSON);
	r = nft_run_cmd_from_buffer(ctx->nft, cmd);
	nft_ctx_output_set_flags(ctx->nft, flags);
	if (r == 0) {
		r = fw_listing_parse(nft_ctx_get_output_buffer(ctx->nft), ret);
		(void)nft_ctx_get_error_buffer(ctx->nft);
		if (r == -ENOMEM)
			return err_set(err, r, "out of memory");
		return r < 0 ? err_set(err, -EIO, "%s: nft printed no JSON listing", cmd) : 0;
	}
	nft_message(ctx, msg, sizeof(msg));
	(void)nft_ctx_get_output_buffer(ctx->nft);
	if (strstr(msg, strerror(ENOENT)))
		return -ENOENT;
	return err_set(err, -EIO, "%s: nft: %s", cmd, msg[0] ? msg : "failed");
}

/* Remembers a template found in a listing, by its "-o" chain: "t", 16 hex digits, "-o". */
static void note_template_chain(const char *name, void *userdata)
{
	char id[18];

	if (strlen(name) != 19 || name[0] != 't' || strspn(name + 1, "0123456789abcdef") != 16 ||
	    strcmp(name + 17, "-o") != 0)
		return;
	memcpy(id, name, 17);
	id[17] = '\0';
	remember(userdata, id, true);
}

/*
 * Lists the chains of the family's table once and remembers every template
 * in it (their "-o" chain). Only this context adds and removes templates
 * afterwards, so from then on a template it does not know does not exist:
 * no kernel lookup, which with libnftables means a cache of every set's
 * elements, O(ports) per transaction.
 */
static void list_templates(struct fw_ctx *ctx, enum fw_attach attach)
{
	_cleanup_(fw_listing_freep) struct fw_listing *l = NULL;
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "list chains %s", family(attach));
	ctx->is_known_complete[attach] =
		list_json(ctx, cmd, &l, NULL) >= 0 &&
		fw_listing_for_each_chain(l, note_template_chain, ctx) >= 0;
}

/* Template ids hash the text, which names the family: one id never means two tables. */
static bool template_exists(struct fw_ctx *ctx, enum fw_attach attach, const char *id)
{
	char cmd[128];

	if (is_known(ctx, id))
		return true;
	if (!ctx->is_known_complete[attach]) {
		list_templates(ctx, attach);
		if (is_known(ctx, id))
			return true;
	}
	if (ctx->is_known_complete[attach])
		return false;
	snprintf(cmd, sizeof(cmd), "list chain %s " FW_TABLE " %s-o", family(attach), id);
	if (run(ctx, cmd, NULL, 0) < 0)
		return false;
	remember(ctx, id, true);
	return true;
}

/* Removes a template no port jumps to any more; in use, the kernel refuses and nothing changes. */
static void collect_template(struct fw_ctx *ctx, const char *id, const char *template_del)
{
	if (template_del[0] && run(ctx, template_del, NULL, 0) == 0)
		remember(ctx, id, false);
}

/* Forgets what this context believed about the kernel: someone else changed the tables. */
static void forget_kernel(struct fw_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_known; i++)
		free(ctx->known[i]);
	ctx->n_known = 0;
	ctx->is_known_complete[0] = ctx->is_known_complete[1] = false;
	ctx->has_base[0] = ctx->has_base[1] = ctx->has_inet_base = false;
	ctx->dispatch = fw_listing_free(ctx->dispatch);
}

/*
 * The group the learning chains of a base table copy to: the configured
 * one, or with FW_NFLOG_GROUP_KEEP the one the kernel's table already uses
 * (the default for a new table), so that re-adding the base tables never
 * moves the daemon's copies to another group.
 */
static unsigned table_log_group(struct fw_ctx *ctx, enum fw_attach attach, const char *chain,
				unsigned fallback)
{
	_cleanup_(fw_listing_freep) struct fw_listing *l = NULL;
	unsigned group;
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "list chain %s " FW_TABLE " %s", family(attach), chain);
	if (list_json(ctx, cmd, &l, NULL) >= 0 && fw_listing_log_group(l, chain, &group) == 1)
		return group;
	return fallback;
}

/*
 * The groups of a base table: the configured ones, or with
 * FW_NFLOG_GROUP_KEEP the ones the kernel's table already uses (the
 * defaults for a new table), so that re-adding the base tables never moves
 * the daemon's copies to another group.
 */
static struct fw_base_opts base_opts(struct fw_ctx *ctx, enum fw_attach attach)
{
	struct fw_base_opts o = { .nflog_group = ctx->nflog_group,
				  .ipv6_idle_s = ctx->ipv6_idle_s,
				  .drop_log_group = ctx->drop_log_group };

	if (o.nflog_group == FW_NFLOG_GROUP_KEEP)
		o.nflog_group = table_log_group(ctx, attach, "log-o", FW_NFLOG_GROUP_DEFAULT);
	if (o.drop_log_group == FW_NFLOG_GROUP_KEEP)
		o.drop_log_group =
			table_log_group(ctx, attach, "drop-filter-o", FW_DROP_LOG_GROUP_DEFAULT);
	return o;
}

int fw_drops_sync(struct fw_ctx *ctx, struct err *err)
{
	struct strbuf tx;
	char msg[ERR_MSG_MAX / 2];
	int r = 0;

	if (ctx->drop_log_group == FW_NFLOG_GROUP_KEEP)
		return 0;
	strbuf_init(&tx);
	for (int attach = FW_ATTACH_BRIDGE; attach <= FW_ATTACH_NETDEV; attach++) {
		_cleanup_(fw_listing_freep) struct fw_listing *l = NULL;
		unsigned group = 0;
		char cmd[64];

		/* no table, or one from before the drop chains: the next base add writes them */
		snprintf(cmd, sizeof(cmd), "list chain %s " FW_TABLE " drop-filter-o",
			 family((enum fw_attach)attach));
		if (list_json(ctx, cmd, &l, NULL) < 0)
			continue;
		if (fw_listing_log_group(l, "drop-filter-o", &group) != 1)
			group = 0;
		if (group != ctx->drop_log_group)
			fw_drops_base_add(&tx, (enum fw_attach)attach, ctx->drop_log_group);
	}
	if (strbuf_error(&tx) < 0)
		r = err_set(err, -ENOMEM, "out of memory");
	else if (tx.len && run(ctx, tx.buf, msg, sizeof(msg)) < 0)
		r = err_set(err, -EIO, "nft: the drop log's chains: %s",
			    msg[0] ? msg : "transaction failed");
	strbuf_fini(&tx);
	return r;
}

static bool is_in(const struct fw_port *const *ports, size_t n, const char *template_id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(fw_port_template(ports[i]), template_id) == 0)
			return true;
	return false;
}

static bool has_prepared(const struct fw_port *const *ports, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ports[i]->prepared_id)
			return true;
	return false;
}

/* Appends the base tables the ports need that this context does not know to exist. */
static void add_bases(struct fw_ctx *ctx, struct strbuf *tx, size_t n,
		      const struct fw_port *const *ports)
{
	bool needs_base[2] = { false, false }, needs_inet = false;

	struct fw_base_opts o;

	for (size_t i = 0; i < n; i++) {
		needs_base[ports[i]->attach] |= !ctx->has_base[ports[i]->attach];
		needs_inet |= ports[i]->needs_inet && !ctx->has_inet_base;
	}
	if (needs_base[FW_ATTACH_BRIDGE]) {
		o = base_opts(ctx, FW_ATTACH_BRIDGE);
		fw_base_add(tx, &o);
	}
	if (needs_base[FW_ATTACH_NETDEV]) {
		o = base_opts(ctx, FW_ATTACH_NETDEV);
		fw_base_netdev_add(tx, &o);
	}
	if (needs_inet)
		fw_base_inet_add(tx);
}

/* Runs a transaction built in tx, which it takes; an allocation failure in tx is -ENOMEM. */
static int run_tx(struct fw_ctx *ctx, struct strbuf *tx, char *msg, size_t size)
{
	int r;

	if (strbuf_error(tx) < 0) {
		strbuf_fini(tx);
		snprintf(msg, size, "out of memory");
		return -ENOMEM;
	}
	r = run(ctx, tx->buf, msg, size);
	strbuf_fini(tx);
	return r;
}

/* What a committed transaction of ports tells the context about the kernel. */
static void note_applied(struct fw_ctx *ctx, size_t n, const struct fw_port *const *ports,
			 bool without_prepared)
{
	for (size_t i = 0; i < n; i++) {
		ctx->has_base[ports[i]->attach] = true;
		ctx->has_inet_base |= ports[i]->needs_inet;
		if (!(without_prepared && ports[i]->prepared_id))
			remember(ctx, fw_port_template(ports[i]), true);
	}
}

/* without_prepared: the templates learning ports would create ahead are left out */
static int apply_once(struct fw_ctx *ctx, size_t n, const struct fw_port *const *ports,
		      const struct fw_record *const *olds, bool without_prepared, char *msg,
		      size_t size)
{
	struct strbuf tx;

	strbuf_init(&tx);
	add_bases(ctx, &tx, n, ports);
	for (size_t i = 0; i < n; i++) {
		const struct fw_port *p = ports[i];

		if (olds[i])
			strbuf_add(&tx, olds[i]->elements_del);
		/* blocked ports and learning ones use chains of the base table (a learning port
		 * may create its future template); a template new to this transaction is added
		 * by its first port */
		if (p->template_add[0] && !(without_prepared && p->prepared_id) &&
		    !is_in(ports, i, fw_port_template(p)) &&
		    !template_exists(ctx, p->attach, fw_port_template(p)))
			strbuf_add(&tx, p->template_add);
		strbuf_add(&tx, p->elements_add);
	}
	return run_tx(ctx, &tx, msg, size);
}

int fw_apply_ports(struct fw_ctx *ctx, size_t n, const struct fw_port *const *ports,
		   const struct fw_record *const *olds, struct fw_record **ret_records,
		   struct err *err)
{
	char msg[ERR_MSG_MAX / 2];
	bool without_prepared = false;
	int r = apply_once(ctx, n, ports, olds, without_prepared, msg, sizeof(msg));

	/* a base or template this context believed in may have been removed behind its back */
	if (r == -EIO) {
		forget_kernel(ctx);
		r = apply_once(ctx, n, ports, olds, without_prepared, msg, sizeof(msg));
	}
	/* a template that cannot be made ahead is no reason to refuse a learning port: the learn
	 * makes it, or fails then */
	if (r == -EIO && has_prepared(ports, n)) {
		without_prepared = true;
		r = apply_once(ctx, n, ports, olds, without_prepared, msg, sizeof(msg));
	}
	if (r < 0) {
		if (n == 1)
			return err_set(err, r, "port %s: nft: %s", ports[0]->port,
				       msg[0] ? msg : "transaction failed");
		return err_set(err, r, "%zu ports: nft: %s", n,
			       msg[0] ? msg : "transaction failed");
	}
	note_applied(ctx, n, ports, without_prepared);
	for (size_t i = 0; i < n; i++)
		if (olds[i] && !is_in(ports, n, fw_record_template(olds[i])))
			collect_template(ctx, fw_record_template(olds[i]), olds[i]->template_del);
	for (size_t i = 0; ret_records && i < n; i++) {
		if (fw_record_new(ports[i], &ret_records[i]) < 0) {
			for (size_t k = 0; k < i; k++)
				ret_records[k] = fw_record_free(ret_records[k]);
			return err_set(err, -ENOMEM, "out of memory");
		}
	}
	return 0;
}

int fw_apply_port(struct fw_ctx *ctx, const struct fw_port *p, const struct fw_record *old,
		  struct fw_record **ret_record, struct err *err)
{
	return fw_apply_ports(ctx, 1, &p, &old, ret_record, err);
}

int fw_replace_port(struct fw_ctx *ctx, const struct fw_port *p, const struct fw_record *old,
		    struct fw_record **ret_record, bool *ret_was_lost, struct err *err)
{
	int r = fw_apply_port(ctx, p, old, ret_record, err);

	*ret_was_lost = r < 0 && old && !fw_port_present(ctx, old);
	if (!*ret_was_lost)
		return r;
	/* some or all of p may be there already (a crash after the kernel's commit, before
	 * the store's): added where missing, never twice */
	r = fw_repair_ports(ctx, 1, &p, err);
	if (r >= 0 && strcmp(fw_record_template(old), fw_port_template(p)) != 0)
		collect_template(ctx, fw_record_template(old), old->template_del);
	if (r >= 0 && ret_record && fw_record_new(p, ret_record) < 0)
		r = err_set(err, -ENOMEM, "out of memory");
	return r;
}

/* Appends text for a template that exists in whole or part: each chain emptied, then refilled. */
static void add_template_refresh(struct strbuf *tx, const struct fw_port *p)
{
	static const char flush[] = "flush chain ";

	for (const char *line = p->template_del; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) : strlen(line);

		if (strncmp(line, flush, strlen(flush)) == 0) {
			const char *chain = line + strlen(flush);
			int n = (int)(len - strlen(flush));

			strbuf_addf(tx, "add chain %.*s\nflush chain %.*s\n", n, chain, n, chain);
		}
		line = end ? end + 1 : line + len;
	}
	strbuf_add(tx, p->template_add);
}

static int repair_once(struct fw_ctx *ctx, size_t n, const struct fw_port *const *ports,
		       bool without_prepared, char *msg, size_t size)
{
	struct strbuf tx;

	/* the kernel changed behind our back: every base table is added again */
	forget_kernel(ctx);
	strbuf_init(&tx);
	add_bases(ctx, &tx, n, ports);
	for (size_t i = 0; i < n; i++)
		if (ports[i]->template_add[0] && !(without_prepared && ports[i]->prepared_id) &&
		    !is_in(ports, i, fw_port_template(ports[i])))
			add_template_refresh(&tx, ports[i]);
	for (size_t i = 0; i < n; i++)
		strbuf_add(&tx, ports[i]->elements_add);
	return run_tx(ctx, &tx, msg, size);
}

int fw_repair_ports(struct fw_ctx *ctx, size_t n, const struct fw_port *const *ports,
		    struct err *err)
{
	char msg[ERR_MSG_MAX / 2];
	bool without_prepared = false;
	int r = repair_once(ctx, n, ports, without_prepared, msg, sizeof(msg));

	/* as for an apply: a template a learning port would make ahead is no reason to fail it */
	if (r == -EIO && has_prepared(ports, n)) {
		without_prepared = true;
		r = repair_once(ctx, n, ports, without_prepared, msg, sizeof(msg));
	}
	if (r < 0)
		return err_set(err, r, "nft: %s", msg[0] ? msg : "transaction failed");
	note_applied(ctx, n, ports, without_prepared);
	return 0;
}

bool fw_stateful_sees_bridged(void)
{
	FILE *f = fopen("/proc/sys/net/bridge/bridge-nf-call-iptables", "re");
	int v = 0;

	if (!f)
		return false;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v == 1;
}

void fw_note_template(struct fw_ctx *ctx, const char *id)
{
	remember(ctx, id, true);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * The bridge's out-ports map, listed again only after this context changed
 * the kernel or a second passed. A listing costs O(ports) (18 ms at 5000,
 * where a text 'get element' costs 0.1 ms but prints only text), and a
 * start-up checks every port: one listing instead of one per port.
 */
static int out_ports(struct fw_ctx *ctx, const struct fw_listing **ret, struct err *err)
{
	uint64_t now = now_ns();
	int r;

	if (ctx->dispatch && now - ctx->dispatch_listed_ns < DISPATCH_TTL_NS) {
		*ret = ctx->dispatch;
		return 0;
	}
	ctx->dispatch = fw_listing_free(ctx->dispatch);
	r = list_json(ctx, "list map bridge " FW_TABLE " out-ports", &ctx->dispatch, err);
	if (r < 0)
		return r;
	ctx->dispatch_listed_ns = now;
	*ret = ctx->dispatch;
	return 0;
}

/*
 * The verdict the kernel dispatches port's frames from the VM to: the
 * out-ports map's element on a bridge, the end of its egress hook chain on
 * a macvtap. 1 and ret, 0 when the port is not dispatched, or -errno.
 */
static int dispatch_verdict(struct fw_ctx *ctx, const char *port, enum fw_attach attach, char *ret,
			    size_t size, struct err *err)
{
	_cleanup_(fw_listing_freep) struct fw_listing *chain_listing = NULL;
	_cleanup_free_ char *chain = NULL;
	const struct fw_listing *map = NULL;
	char cmd[128];
	int r;

	if (attach == FW_ATTACH_NETDEV) {
		chain = fw_hook_chain_name(port);
		if (!chain)
			return err_set(err, -ENOMEM, "out of memory");
		snprintf(cmd, sizeof(cmd), "list chain netdev " FW_TABLE " %s", chain);
		r = list_json(ctx, cmd, &chain_listing, err);
	} else {
		r = out_ports(ctx, &map, err);
	}
	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	r = chain ? fw_listing_chain_verdict(chain_listing, chain, ret, size)
		  : fw_listing_map_verdict(map, "out-ports", port, ret, size);
	if (r < 0)
		return err_set(err, r, "port %s: cannot read its dispatch from nft's listing",
			       port);
	return r;
}

/* The verdict rec's dispatch must give the frames from the port. */
static void wanted_verdict(const struct fw_record *rec, char *buf, size_t size)
{
	if (strcmp(rec->template_id, FW_TEMPLATE_BLOCKED) == 0)
		snprintf(buf, size, "goto drop-%s-o", fw_drop_reason_names[FW_DROP_BLOCKED]);
	else if (strcmp(rec->template_id, FW_TEMPLATE_QUARANTINE) == 0)
		snprintf(buf, size, "goto drop-%s-", fw_drop_reason_names[FW_DROP_QUARANTINE]);
	else
		snprintf(buf, size, "jump %s-o", rec->template_id);
}

/* A quarantine's egress verdict depends on the kind of port (fw_compile_quarantine). */
static bool is_wanted(const struct fw_record *rec, const char *verdict, const char *want)
{
	if (strcmp(rec->template_id, FW_TEMPLATE_QUARANTINE) == 0)
		return strncmp(verdict, want, strlen(want)) == 0;
	return strcmp(verdict, want) == 0;
}

bool fw_port_present(struct fw_ctx *ctx, const struct fw_record *rec)
{
	char verdict[64], want[64];

	wanted_verdict(rec, want, sizeof(want));
	return dispatch_verdict(ctx, rec->port, rec->attach, verdict, sizeof(verdict), NULL) == 1 &&
	       is_wanted(rec, verdict, want);
}

int fw_port_owner(struct fw_ctx *ctx, const char *port, enum fw_owner *ret, struct err *err)
{
	for (enum fw_attach attach = FW_ATTACH_BRIDGE; attach <= FW_ATTACH_NETDEV; attach++) {
		_cleanup_(fw_listing_freep) struct fw_listing *l = NULL;
		char verdict[64], cmd[64];
		int r = dispatch_verdict(ctx, port, attach, verdict, sizeof(verdict), err);

		if (r < 0)
			return r;
		if (r == 0)
			continue;
		/* dispatched: the mark says by whom (fw_port_mark_ctl has the reasons) */
		snprintf(cmd, sizeof(cmd), "list set %s " FW_TABLE " " FW_CTL_SET, family(attach));
		r = list_json(ctx, cmd, &l, err);
		if (r < 0 && r != -ENOENT)
			return r;
		*ret = l && fw_listing_has_key(l, FW_CTL_SET, port) == 1 ? FW_OWNER_CTL
									 : FW_OWNER_DAEMON;
		return 0;
	}
	*ret = FW_OWNER_NONE;
	return 0;
}

int fw_port_is_ctl(struct fw_ctx *ctx, const char *port, enum fw_attach attach, bool *ret,
		   struct err *err)
{
	_cleanup_(fw_listing_freep) struct fw_listing *l = NULL;
	char cmd[64];
	int r;

	snprintf(cmd, sizeof(cmd), "list set %s " FW_TABLE " " FW_CTL_SET, family(attach));
	r = list_json(ctx, cmd, &l, err);
	if (r < 0 && r != -ENOENT)
		return r;
	*ret = l && fw_listing_has_key(l, FW_CTL_SET, port) == 1;
	return 0;
}

int fw_port_id_allocate(struct fw_ctx *ctx, const char *port, unsigned want,
			const struct fw_port_ids *known, unsigned *ret_id, struct err *err)
{
	_cleanup_(fw_listing_freep) struct fw_listing *l = NULL;
	struct fw_port_ids used = { 0 };
	unsigned own = 0, id;
	int r;

	if (known)
		used = *known;
	/* every port with stateful rules has its id here, whoever applied it */
	r = list_json(ctx, "list map bridge " FW_TABLE " l3-in-ids", &l, err);
	if (r < 0 && r != -ENOENT)
		return err_prefix(err, r, "cannot choose a port id for %s: ", port);
	if (l && fw_listing_mark_ids(l, "l3-in-ids", port, &used, &own) < 0)
		return err_set(
			err, -EIO,
			"cannot choose a port id for %s: nft lists l3-in-ids in an unexpected "
			"form",
			port);
	if (!want || fw_port_ids_has(&used, want))
		want = own;
	id = fw_port_ids_pick(&used, want);
	if (!id)
		return err_set(err, -ENOSPC, "no free port id for %s: all %u are in use", port,
			       FW_PORT_ID_MAX);
	*ret_id = id;
	return 0;
}

struct drop_walk {
	fw_drop_fn *fn;
	void *userdata;
};

static void drop_counted(const char *port, uint64_t key, uint64_t packets, uint64_t bytes,
			 void *userdata)
{
	const struct drop_walk *w = userdata;

	/* a key of another version's layout is not counted as something it is not */
	if (key < 2 * _FW_DROP_MAX)
		w->fn(port, (enum fw_drop_reason)(key / 2), key % 2, packets, bytes, w->userdata);
}

int fw_list_drops(struct fw_ctx *ctx, fw_drop_fn *fn, void *userdata, struct err *err)
{
	struct drop_walk walk = { .fn = fn, .userdata = userdata };
	int n = 0;

	for (int attach = 0; attach < 2; attach++) {
		_cleanup_(fw_listing_freep) struct fw_listing *l = NULL;
		char cmd[96];
		int k;

		snprintf(cmd, sizeof(cmd), "list set %s " FW_TABLE " " FW_DROP_SET,
			 family((enum fw_attach)attach));
		k = list_json(ctx, cmd, &l, err);
		if (k == -ENOENT)
			continue; /* no such table (no macvtap), or one from before counters */
		if (k < 0)
			return k;
		k = fw_listing_for_each_counter(l, FW_DROP_SET, drop_counted, &walk);
		if (k < 0)
			return err_set(err, k, "%s: nft lists it in an unexpected form", cmd);
		n += k;
	}
	return n;
}

int fw_list_addr6(struct fw_ctx *ctx, void (*fn)(const char *port, const char *addr, void *),
		  void *userdata, struct err *err)
{
	_cleanup_(fw_listing_freep) struct fw_listing *l = NULL;
	int r = list_json(ctx, "list set bridge " FW_TABLE " addr6", &l, err);

	if (r < 0)
		return r;
	r = fw_listing_for_each_pair(l, "addr6", fn, userdata);
	if (r < 0)
		return err_set(err, r, "nft lists set addr6 in an unexpected form");
	return r;
}

/*
 * The port's drop counters go with its binding; on their own, after it,
 * one table at a time: a table that does not exist (no macvtap, no
 * quarantine ever) or is from before the counters must not fail the
 * removal.
 */
static void forget_counters(struct fw_ctx *ctx, const struct fw_record *rec)
{
	/* both tables: a quarantine counts a bridge port in the netdev table */
	for (int attach = 0; attach < 2; attach++) {
		struct strbuf tx;

		strbuf_init(&tx);
		fw_drops_forget(&tx, (enum fw_attach)attach, rec->port);
		if (strbuf_error(&tx) >= 0)
			(void)run(ctx, tx.buf, NULL, 0);
		strbuf_fini(&tx);
	}
}

int fw_remove_port(struct fw_ctx *ctx, const struct fw_record *rec, bool may_be_last,
		   struct err *err)
{
	char msg[ERR_MSG_MAX / 2];

	if (run(ctx, rec->elements_del, msg, sizeof(msg)) < 0)
		return err_set(err, -EIO, "port %s: nft: %s", rec->port,
			       msg[0] ? msg : "transaction failed");
	if (may_be_last)
		collect_template(ctx, fw_record_template(rec), rec->template_del);
	forget_counters(ctx, rec);
	return 0;
}

int fw_apply_guard(struct fw_ctx *ctx, const struct fw_guard *g, struct err *err)
{
	struct strbuf tx;
	char msg[ERR_MSG_MAX / 2];

	/*
	 * No guard: no bridge table for it (a host with macvtaps only has
	 * none), but a table from a configuration that had one forgets its
	 * rules. Where there is no table there is nothing to forget.
	 */
	if (!g->n_patterns && !g->n_trusted && !g->has_unbound) {
		(void)run(ctx,
			  "flush chain bridge " FW_TABLE " guard-o\n"
			  "flush chain bridge " FW_TABLE " guard-i\n"
			  "flush set bridge " FW_TABLE " unbound-ports\n",
			  NULL, 0);
		return 0;
	}
	struct fw_base_opts o = base_opts(ctx, FW_ATTACH_BRIDGE);

	strbuf_init(&tx);
	fw_base_add(&tx, &o);
	fw_guard_add(&tx, g);
	if (run_tx(ctx, &tx, msg, sizeof(msg)) < 0)
		return err_set(err, -EIO, "guard rules: nft: %s",
			       msg[0] ? msg : "transaction failed");
	ctx->has_base[FW_ATTACH_BRIDGE] = true;
	return 0;
}

int fw_unbound_port(struct fw_ctx *ctx, const char *port, bool is_unbound, struct err *err)
{
	char cmd[128], msg[ERR_MSG_MAX / 2];

	snprintf(cmd, sizeof(cmd), "%s element bridge " FW_TABLE " unbound-ports { \"%s\" }",
		 is_unbound ? "add" : "delete", port);
	/* deleting a name that is not there: nothing to do */
	if (run(ctx, cmd, msg, sizeof(msg)) < 0 && is_unbound)
		return err_set(err, -EIO, "port %s: nft: %s", port,
			       msg[0] ? msg : "transaction failed");
	return 0;
}

void fw_forget_rates(struct fw_ctx *ctx, const char *port, enum fw_attach attach)
{
	char cmd[128];

	/* one transaction each: the absence of one must not keep the other */
	snprintf(cmd, sizeof(cmd), "delete element %s " FW_TABLE " rate-o { \"%s\" }",
		 family(attach), port);
	(void)run(ctx, cmd, NULL, 0);
	snprintf(cmd, sizeof(cmd), "delete element %s " FW_TABLE " rate-i { \"%s\" }",
		 family(attach), port);
	(void)run(ctx, cmd, NULL, 0);
	if (attach == FW_ATTACH_BRIDGE) {
		snprintf(cmd, sizeof(cmd),
			 "delete element bridge " FW_TABLE " rate-reply { \"%s\" }", port);
		(void)run(ctx, cmd, NULL, 0);
	}
}

void fw_verify_begin(struct fw_ctx *ctx)
{
	ctx->dispatch = fw_listing_free(ctx->dispatch);
}

int fw_verify_port(struct fw_ctx *ctx, const struct fw_record *rec, char *problem, size_t size)
{
	static const char flush[] = "flush chain ";
	char verdict[64], want[64], msg[ERR_MSG_MAX / 2];
	struct err err = { 0 };
	struct strbuf tx;
	int r;

	wanted_verdict(rec, want, sizeof(want));
	r = dispatch_verdict(ctx, rec->port, rec->attach, verdict, sizeof(verdict), &err);
	if (r < 0)
		return r;
	if (r == 0) {
		snprintf(problem, size,
			 "the kernel does not dispatch the port's frames to any rules");
		return 0;
	}
	if (!is_wanted(rec, verdict, want)) {
		snprintf(problem, size, "the kernel sends the port's frames to '%s', not '%s'",
			 verdict, want);
		return 0;
	}
	/* a delete of each element and a flush of each chain, checked by the kernel, not
	 * committed: whatever is missing fails it */
	strbuf_init(&tx);
	strbuf_add(&tx, rec->elements_del);
	for (const char *line = rec->prepared_id ? "" : rec->template_del; *line;) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);

		if (strncmp(line, flush, strlen(flush)) == 0)
			strbuf_addn(&tx, line, len);
		line += len;
	}
	if (strbuf_error(&tx) < 0) {
		strbuf_fini(&tx);
		return -ENOMEM;
	}
	nft_ctx_set_dry_run(ctx->nft, true);
	r = nft_run_cmd_from_buffer(ctx->nft, tx.buf);
	nft_ctx_set_dry_run(ctx->nft, false);
	nft_message(ctx, msg, sizeof(msg));
	(void)nft_ctx_get_output_buffer(ctx->nft);
	strbuf_fini(&tx);
	if (r != 0) {
		snprintf(problem, size, "rules or elements are missing: nft: %s",
			 msg[0] ? msg : "check failed");
		return 0;
	}
	return 1;
}
