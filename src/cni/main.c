/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vifguard, the CNI plugin (installed as /usr/lib/cni/vifguard): chained
 * after bridge and an IPAM plugin, it binds the container's host-side veth
 * through vifguardd (ADD), removes that binding (DEL: idempotent, and a
 * success when the daemon is gone), and asks the daemon whether the kernel
 * enforces it (CHECK). cni/cni.c understands the input; this file asks the
 * kernel which host-side interface is the bridge port and talks to the
 * daemon with vifguardctl's client. Every failure is CNI's error JSON on
 * standard output and exit status 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/bindings.h"
#include "cli/client.h"
#include "cni/cni.h"
#include "util/cleanup.h"

/* cli/diag.c prints with this name; the client is quiet, so it is a fallback. */
const char *cli_program = "vifguard";

static int fail(const struct cni_request *req, const struct cni_error *e)
{
	_cleanup_free_ char *line = cni_error_format(req ? req->cni_version : NULL, e);

	if (line)
		fputs(line, stdout);
	else
		printf("{\"cniVersion\":\"1.0.0\",\"code\":5,\"msg\":\"out of memory\"}\n");
	return 1;
}

/* The daemon could not be asked or said no: CNI's code for each. */
static int fail_call(const struct cni_request *req, const char *what, const char *why)
{
	struct cni_error e = { 0 };

	if (client_daemon_unreachable())
		cni_error_set(&e, CNI_CODE_TRY_AGAIN, "vifguardd is not running",
			      "%s: vifguardd is not running (%s): start it (systemctl start "
			      "vifguardd)",
			      what, why);
	else
		cni_error_set(&e, CNI_CODE_IO, "vifguardd refused", "%s: %s", what, why);
	return fail(req, &e);
}

static bool sysfs_has(const char *ifname, const char *leaf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, leaf);
	return access(path, F_OK) == 0;
}

/*
 * The container's host-side port among prevResult's host-side interfaces:
 * the only one that is not a bridge, else the only bridge port.
 */
static const char *pick_port(const struct cni_request *req, struct cni_error *e)
{
	const char *port = NULL, *brport = NULL;
	size_t n_ports = 0, n_brports = 0;

	for (size_t i = 0; i < req->n_candidates; i++) {
		const char *name = req->candidates[i];

		if (sysfs_has(name, "bridge"))
			continue;
		n_ports++;
		port = name;
		if (sysfs_has(name, "brport")) {
			n_brports++;
			brport = name;
		}
	}
	if (n_ports == 1)
		return port;
	if (n_brports == 1)
		return brport;
	cni_error_set(e, CNI_CODE_INVALID_CONFIG, "cannot tell the container's port",
		      "prevResult names %zu host-side interfaces that are not bridges, %zu of "
		      "them bridge ports: name the bridge with \"bridge\" in vifguard's "
		      "configuration",
		      n_ports, n_brports);
	return NULL;
}

static int cni_add(const struct cni_request *req)
{
	char mac[MAC_TEXT_MAX], owner[CNI_ID_MAX + CNI_IFNAME_MAX + 2], what[128];
	char ips[CNI_IPS_MAX][IP_TEXT_MAX], ip_name[] = "IP", port_name[CNI_IFNAME_MAX + 1];
	char filter[CNI_FILTER_NAME_MAX + 1], *values[CNI_IPS_MAX];
	struct ctl_param ip = { .name = ip_name, .values = values, .n_values = req->n_ips };
	struct ctl_request creq = { .id = 1, .verb = CTL_VERB_BINDING_CREATE };
	_cleanup_free_ char *result = NULL;
	struct cni_error e = { 0 };
	const char *port = pick_port(req, &e);

	if (!port)
		return fail(req, &e);
	/* the request's fields are not const: copies, so that req stays the parser's */
	for (size_t i = 0; i < req->n_ips; i++)
		values[i] = memcpy(ips[i], req->ips[i], sizeof(ips[i]));
	mac_format(req->mac, mac);
	cni_owner_format(req, owner);
	snprintf(port_name, sizeof(port_name), "%s", port);
	snprintf(filter, sizeof(filter), "%s", req->filter);
	creq.port = port_name;
	creq.mac = mac;
	creq.filter = filter;
	creq.owner = owner;
	/* no address from IPAM, or "learn": the daemon learns it from the container */
	if (!req->is_learning && req->n_ips > 0) {
		creq.params = &ip;
		creq.n_params = 1;
	}
	snprintf(what, sizeof(what), "cannot bind filter '%.40s' to port %s", req->filter, port);
	if (client_call(&creq, NULL, NULL, NULL) < 0)
		return fail_call(req, what, client_last_error());
	result = cni_result_format(req);
	if (!result) {
		cni_error_set(&e, CNI_CODE_IO, "out of memory", "cannot format the result");
		return fail(req, &e);
	}
	puts(result);
	return 0;
}

static bool is_candidate(const struct cni_request *req, const char *port)
{
	for (size_t i = 0; i < req->n_candidates; i++)
		if (strcmp(req->candidates[i], port) == 0)
			return true;
	return false;
}

/* Whatever this attachment bound goes; nothing to remove, or no daemon, is a success. */
static int cni_del(const struct cni_request *req)
{
	char owner[CNI_ID_MAX + CNI_IFNAME_MAX + 2];
	struct cli_bound_list bound;
	struct err err = { 0 };
	int r;

	cni_owner_format(req, owner);
	if (cli_bound_list_load(&bound, &err) < 0) {
		cli_bound_list_fini(&bound);
		/* no daemon, no rules: it removes nothing, and restores none when it starts
		 * for a port that is gone */
		return client_daemon_unreachable()
			       ? 0
			       : fail_call(req, "cannot list the bindings", err.msg);
	}
	for (size_t i = 0; i < bound.n; i++) {
		const struct cli_bound *b = &bound.items[i];

		if (strcmp(b->owner_name, owner) != 0 && !is_candidate(req, b->port))
			continue;
		r = cli_bound_delete(b->port, &err);
		/* the port vanished with the container and took its binding along: fine */
		if (r < 0 && r != -ENOENT && !client_daemon_unreachable()) {
			char what[64];

			snprintf(what, sizeof(what), "cannot delete the binding of %s", b->port);
			cli_bound_list_fini(&bound);
			return fail_call(req, what, err.msg);
		}
	}
	cli_bound_list_fini(&bound);
	return 0;
}

struct verify {
	bool is_seen;
	bool is_enforced;
	char problem[256];
};

static int verify_item(const struct ctl_value *item, void *userdata)
{
	struct verify *v = userdata;
	const struct ctl_value *val = NULL;
	const char *problem = NULL;

	v->is_seen = true;
	if (ctl_value_find(item, "enforced", &val) == 0 && val)
		(void)ctl_value_bool(val, &v->is_enforced);
	if (ctl_value_find(item, "problem", &val) == 0 && val &&
	    ctl_value_string(val, &problem) == 0)
		snprintf(v->problem, sizeof(v->problem), "%s", problem);
	return 0;
}

static int cni_check(const struct cni_request *req)
{
	struct ctl_request vreq = { .id = 1, .verb = CTL_VERB_BINDING_VERIFY };
	struct verify v = { 0 };
	struct cni_error e = { 0 };
	const char *port = pick_port(req, &e);
	char what[64], port_name[CNI_IFNAME_MAX + 1];

	if (!port)
		return fail(req, &e);
	snprintf(port_name, sizeof(port_name), "%s", port);
	vreq.port = port_name;
	snprintf(what, sizeof(what), "cannot verify the binding of port %s", port);
	if (client_call(&vreq, verify_item, &v, NULL) < 0)
		return fail_call(req, what, client_last_error());
	if (!v.is_seen || !v.is_enforced) {
		cni_error_set(&e, CNI_CODE_IO, "binding not enforced",
			      "port %s: the kernel does not enforce its binding (%s): "
			      "`vifguardctl binding verify %s` says more",
			      port, v.problem[0] ? v.problem : "no answer", port);
		return fail(req, &e);
	}
	return 0;
}

/* The socket: the configuration's "socket", else as vifguardctl finds it. */
static int find_daemon(const struct cni_request *req)
{
	struct cni_error e = { 0 };

	client_set_quiet(true);
	if (req->socket) {
		client_set_socket_path(req->socket);
		return 0;
	}
	if (client_read_config(NULL) < 0 && req->command != CNI_DEL) {
		cni_error_set(&e, CNI_CODE_INVALID_CONFIG, "cannot read vifguardd's configuration",
			      "%s", client_last_error());
		return fail(req, &e);
	}
	return 0;
}

static char *read_stdin(size_t *ret_len)
{
	char *buf = malloc(CNI_CONFIG_MAX + 1);
	size_t len = 0, n;

	if (!buf)
		return NULL;
	while (len < CNI_CONFIG_MAX + 1 &&
	       (n = fread(buf + len, 1, CNI_CONFIG_MAX + 1 - len, stdin)) > 0)
		len += n;
	*ret_len = len;
	return buf;
}

int main(void)
{
	const struct cni_env env = {
		.command = getenv("CNI_COMMAND"),
		.container_id = getenv("CNI_CONTAINERID"),
		.netns = getenv("CNI_NETNS"),
		.ifname = getenv("CNI_IFNAME"),
	};
	struct cni_request req = { 0 };
	struct cni_error e = { 0 };
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r;

	if (env.command && strcmp(env.command, "VERSION") == 0) {
		puts(CNI_VERSION_INFO);
		return 0;
	}
	text = read_stdin(&len);
	if (!text) {
		cni_error_set(&e, CNI_CODE_IO, "out of memory", "cannot read standard input");
		return fail(NULL, &e);
	}
	if (cni_request_parse(&env, text, len, &req, &e) < 0)
		return fail(NULL, &e);
	r = find_daemon(&req);
	if (r == 0) {
		switch (req.command) {
		case CNI_ADD:
			r = cni_add(&req);
			break;
		case CNI_DEL:
			r = cni_del(&req);
			break;
		case CNI_CHECK:
			r = cni_check(&req);
			break;
		case CNI_VERSION:
			break;
		}
	}
	cni_request_fini(&req);
	client_fini();
	return r;
}
