/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Control requests -> daemon operations -> reply lines. One handler per
 * verb; each sends exactly one final reply (listings send items first).
 * Bad requests get an error reply and change nothing.
 */
#include "daemon/control.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "conf/conf.h"
#include "ctl/ctl.h"
#include "filter/value.h"
#include "fw/apply.h"
#include "learn/capture.h"
#include "util/cleanup.h"
#include "util/log.h"

static void send_line(struct control_conn *conn, int r, char *line, size_t len, uint64_t id)
{
	if (r == -EMSGSIZE)
		r = ctl_reply_error(id, -EMSGSIZE, "the reply would exceed the line limit", &line,
				    &len);
	if (r < 0) {
		log_err("control: cannot build a reply: %s", strerror(-r));
		return;
	}
	conn->send(conn, line, len);
}

static void reply_ok(struct control_conn *conn, uint64_t id, struct ctl_obj *data)
{
	char *line = NULL;
	size_t len = 0;
	int r = ctl_reply_ok(id, data, &line, &len);

	send_line(conn, r, line, len, id);
}

static void reply_error(struct control_conn *conn, uint64_t id, int error, const char *message)
{
	char *line = NULL;
	size_t len = 0;
	int r = ctl_reply_error(id, error, message, &line, &len);

	send_line(conn, r, line, len, id);
}

static void reply_result(struct control_conn *conn, uint64_t id, int r, const struct err *err,
			 struct ctl_obj *data)
{
	if (r < 0) {
		ctl_obj_free(data);
		reply_error(conn, id, r, err->msg[0] ? err->msg : strerror(-r));
		return;
	}
	reply_ok(conn, id, data);
}

void control_send_error(struct control_conn *conn, int error, const char *message)
{
	reply_error(conn, 0, error, message);
}

/* ---- listings ----------------------------------------------------------- */

struct list_ctx {
	struct control_conn *conn;
	uint64_t id;
	uint64_t count;
};

static void send_item(struct list_ctx *lc, struct ctl_obj *obj)
{
	char *line = NULL;
	size_t len = 0;
	int r = ctl_item(lc->id, obj, &line, &len);

	send_line(lc->conn, r, line, len, lc->id);
	lc->count++;
}

static void send_count(struct list_ctx *lc)
{
	char *line = NULL;
	size_t len = 0;
	int r = ctl_reply_count(lc->id, lc->count, &line, &len);

	send_line(lc->conn, r, line, len, lc->id);
}

static int filter_item(const struct daemon_filter_info *info, void *userdata)
{
	struct ctl_obj *obj = ctl_obj_new();
	char uuid[37];

	filter_uuid_format(info->uuid, uuid);
	ctl_obj_add_string(obj, "name", info->name);
	ctl_obj_add_string(obj, "chain", info->chain);
	ctl_obj_add_string(obj, "uuid", uuid);
	ctl_obj_add_string(obj, "origin", info->origin);
	ctl_obj_add_uint(obj, "bindings", info->n_bindings);
	send_item(userdata, obj);
	return 0;
}

/* state: what the kernel enforces when it was asked, else the engine's state */
static void add_port_summary(struct ctl_obj *obj, const struct engine_port_info *p,
			     const char *state)
{
	struct ctl_obj *owner;
	char mac[MAC_TEXT_MAX], uuid[37];

	mac_format(p->binding->mac, mac);
	ctl_obj_add_string(obj, "port", p->binding->portdev);
	ctl_obj_add_string(obj, "filter", p->binding->ref.filter);
	ctl_obj_add_string(obj, "state", state ? state : engine_port_state_names[p->state]);
	ctl_obj_add_string(obj, "mac", mac);
	ctl_obj_add_string(obj, "template", p->template_id);
	ctl_obj_add_string(obj, "note", p->note);
	/* in list items too: a libvirt hook finds a domain's bindings by its UUID */
	owner = ctl_obj_add_obj(obj, "owner");
	filter_uuid_format(p->binding->owner_uuid, uuid);
	ctl_obj_add_string(owner, "name", p->binding->owner_name);
	ctl_obj_add_string(owner, "uuid", uuid);
}

static void add_params(struct ctl_obj *obj, const struct filter_params *params)
{
	struct ctl_obj *vars = ctl_obj_add_obj(obj, "params");

	for (size_t i = 0; i < params->n_vars; i++) {
		struct ctl_array *values = ctl_obj_add_array(vars, params->vars[i].name);

		for (size_t k = 0; k < params->vars[i].n_values; k++)
			ctl_array_add_string(values, params->vars[i].values[k]);
	}
}

/* Times are the engine's monotonic seconds: shown as unix seconds. */
static void add_addresses(struct ctl_obj *obj, const struct engine_port_info *p)
{
	struct ctl_array *arr = ctl_obj_add_array(obj, "addresses");

	for (size_t i = 0; i < p->n_addrs + p->n_addrs6; i++) {
		const struct engine_addr *a =
			i < p->n_addrs ? &p->addrs[i] : &p->addrs6[i - p->n_addrs];
		struct ctl_obj *o = ctl_array_add_obj(arr);
		char ip[IP_TEXT_MAX], server[IP_TEXT_MAX];

		ip_format(a->is_ipv6 ? 6 : 4, a->ip, ip);
		ctl_obj_add_string(o, "address", ip);
		ctl_obj_add_string(o, "source", learn_source_name(a->source));
		if (a->has_server) {
			ipv4_format(a->server, server);
			ctl_obj_add_string(o, "server", server);
		}
		if (a->has_lease)
			ctl_obj_add_int(o, "lease_end", daemon_wall_time(a->lease_end));
		ctl_obj_add_int(o, "learned_at", daemon_wall_time(a->learned_at));
	}
}

static void add_learning(struct ctl_obj *obj, const struct engine_port_info *p)
{
	struct ctl_obj *l;
	struct ctl_array *servers;

	add_addresses(obj, p);
	if (!p->learns && !p->learns6)
		return;
	l = ctl_obj_add_obj(obj, "learning");
	ctl_obj_add_string(l, "mode", p->learn_mode == LEARN_MODE_DHCP ? "dhcp" : "any");
	ctl_obj_add_bool(l, "ipv4", p->learns);
	ctl_obj_add_bool(l, "ipv6", p->learns6);
	if (p->state == ENGINE_PORT_LEARNING)
		ctl_obj_add_int(l, "since", daemon_wall_time(p->learning_since));
	ctl_obj_add_int(l, "timeout", p->learn_timeout_s);
	servers = ctl_obj_add_array(l, "trusted_servers");
	for (size_t i = 0; i < p->n_servers; i++) {
		char ip[IP_TEXT_MAX];

		ipv4_format(p->servers[i], ip);
		ctl_array_add_string(servers, ip);
	}
}

/*
 * Asks the kernel whether it enforces p's rules: adds "enforced" and, when
 * not, "problem"; returns the state to show ("unenforced" for a port whose
 * rules are not all there), or NULL to show the engine's.
 */
static const char *add_enforced(struct control_ctx *ctx, struct ctl_obj *obj,
				const struct engine_port_info *p)
{
	char problem[ERR_MSG_MAX];
	int r = daemon_verify_port(ctx->daemon, p->binding->portdev, problem, sizeof(problem));

	if (r < 0) {
		snprintf(problem, sizeof(problem), "cannot ask the kernel: %s", strerror(-r));
		ctl_obj_add_string(obj, "problem", problem);
		return NULL;
	}
	ctl_obj_add_bool(obj, "enforced", r == 1);
	if (r == 1)
		return NULL;
	ctl_obj_add_string(obj, "problem", problem);
	return p->state == ENGINE_PORT_FAILED ? NULL : "unenforced";
}

/* ctx: ask the kernel what it enforces (NULL: right after an apply that succeeded) */
/*
 * "dropped_from_vm" and "dropped_to_vm": {reason: frames, ...} with every
 * reason; "dropped_total": both directions.
 */
static void add_dropped(struct ctl_obj *obj, const struct daemon_port_drops *pd)
{
	static const char *const keys[2] = { "dropped_from_vm", "dropped_to_vm" };

	for (int dir = 0; dir < 2; dir++) {
		struct ctl_obj *by_reason = ctl_obj_add_obj(obj, keys[dir]);

		for (int r = 0; r < _FW_DROP_MAX; r++)
			ctl_obj_add_uint(by_reason, fw_drop_reason_names[r],
					 pd ? pd->packets[dir][r] : 0);
	}
	ctl_obj_add_uint(obj, "dropped_total", pd ? pd->total[0] + pd->total[1] : 0);
}

static struct ctl_obj *port_details(struct control_ctx *ctx, const struct engine_port_info *p)
{
	struct ctl_obj *obj = ctl_obj_new();

	if (ctx)
		daemon_verify_begin(ctx->daemon);
	add_port_summary(obj, p, ctx ? add_enforced(ctx, obj, p) : NULL);
	ctl_obj_add_string(obj, "linkdev", p->binding->linkdev);
	ctl_obj_add_string(obj, "attach", p->attach == FW_ATTACH_NETDEV ? "netdev" : "bridge");
	ctl_obj_add_int(obj, "ifindex", p->ifindex);
	ctl_obj_add_uint(obj, "port_id", p->port_id);
	ctl_obj_add_int(obj, "created_at", daemon_wall_time(p->created_at));
	add_params(obj, &p->binding->ref.params);
	add_learning(obj, p);
	if (ctx) {
		struct daemon_drops dr;
		struct err err = { 0 };

		/* the counters are a view: a failure to read them leaves them out */
		if (daemon_drops_read(ctx->daemon, &dr, &err) >= 0) {
			add_dropped(obj, daemon_drops_find(&dr, p->binding->portdev));
			daemon_drops_fini(&dr);
		}
	}
	return obj;
}

/* ---- bindings from options ---------------------------------------------- */

static int binding_from_args(const struct ctl_request *req, struct binding **ret, struct err *err)
{
	_cleanup_(binding_freep) struct binding *b = binding_new();

	if (!b)
		return err_set(err, -ENOMEM, "out of memory");
	if (mac_parse(req->mac, b->mac) < 0)
		return err_set(err, -EINVAL, "mac '%s': not a MAC address (52:54:00:12:34:56)",
			       req->mac);
	b->owner_name = strdup(req->owner ? req->owner : "vifguardctl");
	b->portdev = strdup(req->port);
	b->linkdev = req->linkdev ? strdup(req->linkdev) : NULL;
	b->ref.filter = strdup(req->filter);
	if (!b->owner_name || !b->portdev || !b->ref.filter || (req->linkdev && !b->linkdev))
		return err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < req->n_params; i++) {
		const struct ctl_param *p = &req->params[i];

		if (!filter_is_var_name(p->name))
			return err_set(err, -EINVAL,
				       "parameter '%s': not a variable name (letters, digits, _)",
				       p->name);
		for (size_t k = 0; k < p->n_values; k++) {
			if (!filter_is_param_value(p->values[k]))
				return err_set(err, -EINVAL,
					       "parameter %s='%s': not a valid value (letters, "
					       "digits, '_', '.', ':')",
					       p->name, p->values[k]);
			if (filter_params_add(&b->ref.params, p->name, p->values[k]) < 0)
				return err_set(err, -ENOMEM, "out of memory");
		}
	}
	*ret = TAKE_PTR(b);
	return 0;
}

static void collect_errors(void *userdata, const struct conf_message *dm)
{
	struct strbuf *sb = userdata;

	if (dm->severity == CONF_ERROR)
		strbuf_addf(sb, "%s%s", sb->len ? "; " : "", dm->text);
}

static int binding_from_xml(const char *xml, struct binding **ret, struct err *err)
{
	struct strbuf msgs;
	struct conf_diag diag = { .report = collect_errors, .userdata = &msgs };
	struct filter *f = NULL;
	enum conf_doc_kind kind;
	int r;

	strbuf_init(&msgs);
	r = conf_parse_mem(xml, strlen(xml), "binding", &diag, &kind, &f, ret);
	if (r >= 0 && kind != CONF_DOC_BINDING) {
		filter_free(f);
		r = err_set(err, -EINVAL, "expected a <filterbinding> document, got a <filter>");
	} else if (r < 0) {
		r = err_set(err, r, "invalid binding: %s", msgs.buf ? msgs.buf : strerror(-r));
	}
	strbuf_fini(&msgs);
	return r;
}

/* ---- verbs -------------------------------------------------------------- */

static void add_learn_stats(struct ctl_obj *data, const struct engine_learn_stats *st,
			    unsigned group, const struct learn_capture *capture)
{
	struct ctl_obj *l = ctl_obj_add_obj(data, "learning");
	struct ctl_obj *drops;

	ctl_obj_add_uint(l, "nflog_group", group);
	ctl_obj_add_uint(l, "records", st->n_records);
	if (capture) {
		ctl_obj_add_uint(l, "capture_overruns", learn_capture_overruns(capture));
		ctl_obj_add_uint(l, "capture_truncated", learn_capture_truncated(capture));
	}
	ctl_obj_add_uint(l, "unknown_port", st->n_unknown_port);
	for (int v = 0; v < _LEARN_VERDICT_MAX; v++)
		ctl_obj_add_uint(l, learn_verdict_name(v), st->verdicts[v]);
	drops = ctl_obj_add_obj(l, "ignored");
	for (int r = 1; r < _LEARN_DROP_MAX; r++)
		if (st->drops[r])
			ctl_obj_add_uint(drops, learn_drop_name(r), st->drops[r]);
}

static void add_repairs(struct ctl_obj *data, const struct daemon_repairs *r)
{
	struct ctl_obj *k = ctl_obj_add_obj(data, "tables");

	ctl_obj_add_uint(k, "repairs", r->n);
	ctl_obj_add_uint(k, "repairs_failed", r->n_failed);
	if (r->n) {
		ctl_obj_add_int(k, "last_repair_at", r->last_at);
		ctl_obj_add_string(k, "last_change", r->last);
	}
}

static void do_status(struct control_ctx *ctx, struct control_conn *conn,
		      const struct ctl_request *req)
{
	struct ctl_obj *data = ctl_obj_new();

	ctl_obj_add_bool(data, "running", true);
	ctl_obj_add_string(data, "version", VIFGUARD_VERSION);
	ctl_obj_add_int(data, "pid", getpid());
	ctl_obj_add_uint(data, "bindings", engine_port_count(daemon_engine(ctx->daemon)));
	add_learn_stats(data, engine_learn_stats(daemon_engine(ctx->daemon)),
			daemon_nflog_group(ctx->daemon), ctx->capture);
	add_repairs(data, daemon_repairs(ctx->daemon));
	if (ctx->drop_capture) {
		struct ctl_obj *dl = ctl_obj_add_obj(data, "drop_log");

		ctl_obj_add_uint(dl, "capture_overruns", learn_capture_overruns(ctx->drop_capture));
		ctl_obj_add_uint(dl, "capture_truncated",
				 learn_capture_truncated(ctx->drop_capture));
	}
	reply_ok(conn, req->id, data);
}

static void reply_with_failures(struct control_conn *conn, uint64_t id, int r,
				const struct err *err, struct strbuf *failures)
{
	struct ctl_obj *data = NULL;

	if (r >= 0) {
		struct ctl_array *failed;

		data = ctl_obj_new();
		failed = ctl_obj_add_array(data, "failed_ports");
		/* one "PORT: why" per line; a port name has no ':' */
		for (char *line = failures->buf, *next; line && *line; line = next) {
			struct ctl_obj *f = ctl_array_add_obj(failed);
			char *colon;

			next = strchr(line, '\n');
			if (next)
				*next++ = '\0';
			colon = strstr(line, ": ");
			if (colon)
				*colon = '\0';
			ctl_obj_add_string(f, "port", line);
			ctl_obj_add_string(f, "error", colon ? colon + 2 : "");
		}
	}
	reply_result(conn, id, r, err, data);
	strbuf_fini(failures);
}

static bool keeps_old_rules(const struct ctl_request *req)
{
	return req->on_failure && strcmp(req->on_failure, "keep-old-rules") == 0;
}

static void do_reload(struct control_ctx *ctx, struct control_conn *conn,
		      const struct ctl_request *req)
{
	struct strbuf failures;
	struct err err = { 0 };
	int r;

	strbuf_init(&failures);
	r = daemon_reload(ctx->daemon, keeps_old_rules(req), &failures, &err);
	reply_with_failures(conn, req->id, r, &err, &failures);
}

static void do_watch(struct control_ctx *ctx, struct control_conn *conn,
		     const struct ctl_request *req)
{
	conn->is_watching = true;
	reply_ok(conn, req->id, NULL);
}

static void do_filter_define(struct control_ctx *ctx, struct control_conn *conn,
			     const struct ctl_request *req)
{
	struct strbuf failures;
	struct err err = { 0 };
	int r;

	strbuf_init(&failures);
	r = daemon_filter_define(ctx->daemon, req->xml, keeps_old_rules(req), &failures, &err);
	reply_with_failures(conn, req->id, r, &err, &failures);
}

static void do_filter_undefine(struct control_ctx *ctx, struct control_conn *conn,
			       const struct ctl_request *req)
{
	struct err err = { 0 };
	int r = daemon_filter_undefine(ctx->daemon, req->name, &err);

	reply_result(conn, req->id, r, &err, NULL);
}

static void do_filter_list(struct control_ctx *ctx, struct control_conn *conn,
			   const struct ctl_request *req)
{
	struct list_ctx lc = { .conn = conn, .id = req->id };

	(void)daemon_filter_list(ctx->daemon, filter_item, &lc);
	send_count(&lc);
}

static void reply_xml(struct control_conn *conn, uint64_t id, int r, const struct err *err,
		      char *xml)
{
	struct ctl_obj *data = NULL;

	if (r >= 0) {
		data = ctl_obj_new();
		ctl_obj_add_string(data, "xml", xml);
	}
	free(xml);
	reply_result(conn, id, r, err, data);
}

static void do_filter_dumpxml(struct control_ctx *ctx, struct control_conn *conn,
			      const struct ctl_request *req)
{
	struct err err = { 0 };
	char *xml = NULL;
	int r = daemon_filter_dumpxml(ctx->daemon, req->name, &xml, &err);

	reply_xml(conn, req->id, r, &err, xml);
}

static void do_binding_create(struct control_ctx *ctx, struct control_conn *conn,
			      const struct ctl_request *req)
{
	struct binding *b = NULL;
	struct ctl_obj *data = NULL;
	struct err err = { 0 };
	int r;

	r = req->xml ? binding_from_xml(req->xml, &b, &err) : binding_from_args(req, &b, &err);
	if (r >= 0) {
		_cleanup_free_ char *port = strdup(b->portdev);

		struct engine_port_info info;

		r = daemon_binding_create(
			ctx->daemon, b, req->on_failure && strcmp(req->on_failure, "keep-up") == 0,
			req->learned, &err);
		if (r >= 0 && port && engine_port_find(daemon_engine(ctx->daemon), port, &info))
			data = port_details(NULL, &info);
	}
	reply_result(conn, req->id, r, &err, data);
}

static void do_binding_delete(struct control_ctx *ctx, struct control_conn *conn,
			      const struct ctl_request *req)
{
	struct err err = { 0 };
	int r = daemon_binding_delete(ctx->daemon, req->port, &err);

	reply_result(conn, req->id, r, &err, NULL);
}

static void do_binding_list(struct control_ctx *ctx, struct control_conn *conn,
			    const struct ctl_request *req)
{
	struct list_ctx lc = { .conn = conn, .id = req->id };

	struct engine_port_info info;

	for (size_t i = 0; engine_port_get(daemon_engine(ctx->daemon), i, &info); i++) {
		struct ctl_obj *obj = ctl_obj_new();

		add_port_summary(obj, &info, NULL);
		add_addresses(obj, &info);
		send_item(&lc, obj);
	}
	send_count(&lc);
}

static void do_binding_show(struct control_ctx *ctx, struct control_conn *conn,
			    const struct ctl_request *req)
{
	struct engine_port_info info;
	struct err err = { 0 };

	if (!engine_port_find(daemon_engine(ctx->daemon), req->port, &info)) {
		err_set(&err, -ENOENT, "port %s is not bound", req->port);
		reply_result(conn, req->id, -ENOENT, &err, NULL);
		return;
	}
	reply_ok(conn, req->id, port_details(ctx, &info));
}

/*
 * One item per port (or the one asked for): its dropped frames by reason.
 * Every bound port, and every port the kernel counted drops for (a port no
 * binding covers, dropped by the guard).
 */
static void do_stats(struct control_ctx *ctx, struct control_conn *conn,
		     const struct ctl_request *req)
{
	struct list_ctx lc = { .conn = conn, .id = req->id };
	const struct engine *e = daemon_engine(ctx->daemon);
	struct engine_port_info info;
	struct daemon_drops dr;
	struct err err = { 0 };
	int r = daemon_drops_read(ctx->daemon, &dr, &err);

	if (r < 0) {
		reply_result(conn, req->id, r, &err, NULL);
		return;
	}
	if (req->port && !engine_port_find(e, req->port, &info) &&
	    !daemon_drops_find(&dr, req->port)) {
		err_set(&err, -ENOENT, "port %s is not bound and has dropped nothing", req->port);
		reply_result(conn, req->id, -ENOENT, &err, NULL);
		daemon_drops_fini(&dr);
		return;
	}
	for (size_t i = 0; engine_port_get(e, i, &info); i++) {
		struct ctl_obj *obj;

		if (req->port && strcmp(req->port, info.binding->portdev) != 0)
			continue;
		obj = ctl_obj_new();
		ctl_obj_add_string(obj, "port", info.binding->portdev);
		ctl_obj_add_bool(obj, "bound", true);
		add_dropped(obj, daemon_drops_find(&dr, info.binding->portdev));
		send_item(&lc, obj);
	}
	for (size_t i = 0; i < dr.n; i++) {
		struct ctl_obj *obj;

		if (engine_port_find(e, dr.v[i].port, &info) ||
		    (req->port && strcmp(req->port, dr.v[i].port) != 0))
			continue;
		obj = ctl_obj_new();
		ctl_obj_add_string(obj, "port", dr.v[i].port);
		ctl_obj_add_bool(obj, "bound", false);
		add_dropped(obj, &dr.v[i]);
		send_item(&lc, obj);
	}
	daemon_drops_fini(&dr);
	send_count(&lc);
}

static void do_metrics(struct control_ctx *ctx, struct control_conn *conn,
		       const struct ctl_request *req)
{
	struct ctl_obj *data;
	struct strbuf sb;
	struct err err = { 0 };
	int r;

	strbuf_init(&sb);
	r = daemon_metrics_format(ctx->daemon, ctx->capture, ctx->drop_capture, &sb, &err);
	if (r < 0) {
		strbuf_fini(&sb);
		reply_result(conn, req->id, r, &err, NULL);
		return;
	}
	data = ctl_obj_new();
	ctl_obj_add_string(data, "text", sb.buf ? sb.buf : "");
	strbuf_fini(&sb);
	reply_ok(conn, req->id, data);
}

/* One item per port (or the one asked for): the engine's state, and what the kernel enforces. */
static void do_binding_verify(struct control_ctx *ctx, struct control_conn *conn,
			      const struct ctl_request *req)
{
	struct list_ctx lc = { .conn = conn, .id = req->id };
	struct engine_port_info info;
	struct err err = { 0 };

	if (req->port && !engine_port_find(daemon_engine(ctx->daemon), req->port, &info)) {
		err_set(&err, -ENOENT, "port %s is not bound", req->port);
		reply_result(conn, req->id, -ENOENT, &err, NULL);
		return;
	}
	daemon_verify_begin(ctx->daemon);
	for (size_t i = 0; engine_port_get(daemon_engine(ctx->daemon), i, &info); i++) {
		struct ctl_obj *obj;

		if (req->port && strcmp(req->port, info.binding->portdev) != 0)
			continue;
		obj = ctl_obj_new();
		ctl_obj_add_string(obj, "port", info.binding->portdev);
		ctl_obj_add_string(obj, "intended", engine_port_state_names[info.state]);
		(void)add_enforced(ctx, obj, &info);
		send_item(&lc, obj);
	}
	send_count(&lc);
}

static void do_binding_dumpxml(struct control_ctx *ctx, struct control_conn *conn,
			       const struct ctl_request *req)
{
	struct err err = { 0 };
	char *xml = NULL;
	int r = daemon_binding_dumpxml(ctx->daemon, req->port, &xml, &err);

	reply_xml(conn, req->id, r, &err, xml);
}

static void do_binding_relearn(struct control_ctx *ctx, struct control_conn *conn,
			       const struct ctl_request *req)
{
	struct err err = { 0 };
	int r = daemon_binding_relearn(ctx->daemon, req->port, &err);

	reply_result(conn, req->id, r, &err, NULL);
}

typedef void (*verb_fn)(struct control_ctx *ctx, struct control_conn *conn,
			const struct ctl_request *req);

static const struct {
	verb_fn run;
	bool is_change; /* changes state: needs a privileged peer */
} verbs[_CTL_VERB_MAX] = {
	[CTL_VERB_STATUS] = { do_status, false },
	[CTL_VERB_RELOAD] = { do_reload, true },
	[CTL_VERB_WATCH] = { do_watch, false },
	[CTL_VERB_FILTER_DEFINE] = { do_filter_define, true },
	[CTL_VERB_FILTER_UNDEFINE] = { do_filter_undefine, true },
	[CTL_VERB_FILTER_LIST] = { do_filter_list, false },
	[CTL_VERB_FILTER_DUMPXML] = { do_filter_dumpxml, false },
	[CTL_VERB_BINDING_CREATE] = { do_binding_create, true },
	[CTL_VERB_BINDING_DELETE] = { do_binding_delete, true },
	[CTL_VERB_BINDING_LIST] = { do_binding_list, false },
	[CTL_VERB_BINDING_SHOW] = { do_binding_show, false },
	[CTL_VERB_BINDING_DUMPXML] = { do_binding_dumpxml, false },
	[CTL_VERB_BINDING_RELEARN] = { do_binding_relearn, true },
	[CTL_VERB_BINDING_VERIFY] = { do_binding_verify, false },
	[CTL_VERB_STATS] = { do_stats, false },
	[CTL_VERB_METRICS] = { do_metrics, false },
};

void control_handle_line(struct control_ctx *ctx, struct control_conn *conn, const char *line,
			 size_t len)
{
	struct ctl_request req = { 0 };
	struct err err = { 0 };
	int r;

	r = ctl_request_parse(line, len, &req, &err);
	daemon_count_request(ctx->daemon, r < 0 ? -1 : (int)req.verb);
	if (r < 0) {
		log_debug("control: bad request: %s", err.msg);
		reply_error(conn, req.id, r, err.msg);
		return;
	}
	if (verbs[req.verb].is_change && !conn->is_privileged) {
		reply_error(conn, req.id, -EPERM,
			    "permission denied: only root may change filters and bindings");
	} else {
		log_debug("control: %s", ctl_verb_to_string(req.verb));
		verbs[req.verb].run(ctx, conn, &req);
	}
	ctl_request_fini(&req);
}

char *control_event_line(const struct daemon_event *ev, size_t *ret_len)
{
	struct ctl_obj *obj = ctl_obj_new();
	char *line = NULL;

	ctl_obj_add_string(obj, "type", engine_event_names[ev->type]);
	if (ev->port)
		ctl_obj_add_string(obj, "port", ev->port);
	if (ev->filter)
		ctl_obj_add_string(obj, "filter", ev->filter);
	if (ev->address)
		ctl_obj_add_string(obj, "address", ev->address);
	if (ev->reason)
		ctl_obj_add_string(obj, "reason", ev->reason);
	if (ev->has_latency) {
		ctl_obj_add_int(obj, "latency_us", ev->latency_us);
		ctl_obj_add_string(obj, "latency_from", ev->latency_from);
	}
	ctl_obj_add_string(obj, "message", ev->message);
	return ctl_event(obj, &line, ret_len) < 0 ? NULL : line;
}
