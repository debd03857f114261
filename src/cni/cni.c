/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * CNI input -> struct cni_request. The configuration is held as one parsed
 * document (ctl's, so json-c stays in src/ctl/) and the request borrows its
 * strings from it. The container interface is the prevResult entry whose
 * sandbox is CNI_NETNS and whose name is CNI_IFNAME; the host side is every
 * entry without a sandbox but the bridge, and its IPv4 addresses are the
 * "ips" whose "interface" index points at the container interface.
 */
#include "cni/cni.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl.h"

/* Entries of prevResult's "interfaces" and "ips" looked at, at most. */
#define CNI_ENTRIES_MAX 256
#define CNI_SOCKET_MAX  107 /* sizeof(sun_path) - 1 */

static const char *const supported_versions[] = { "0.4.0", "1.0.0" };

int cni_error_set(struct cni_error *e, int code, const char *msg, const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	snprintf(e->msg, sizeof(e->msg), "%s", msg);
	va_start(ap, fmt);
	vsnprintf(e->details, sizeof(e->details), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int invalid_config(struct cni_error *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int invalid_config(struct cni_error *e, const char *fmt, ...)
{
	va_list ap;

	e->code = CNI_CODE_INVALID_CONFIG;
	snprintf(e->msg, sizeof(e->msg), "invalid network configuration");
	va_start(ap, fmt);
	vsnprintf(e->details, sizeof(e->details), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* SPEC.md: alphanumerics, '-', '_', '.', starting with an alphanumeric. */
static bool is_container_id(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CNI_ID_MAX || !is_alnum(s[0]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* What the kernel takes as a link name (SPEC.md defers to it). */
static bool is_ifname(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CNI_IFNAME_MAX || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '/' || s[i] == ':' || (unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* A filter name as the daemon knows them: letters, digits, '-', '_', '.', ':'. */
static bool is_filter_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > CNI_FILTER_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum(s[i]) && !strchr("-_.:", s[i]))
			return false;
	return true;
}

static int parse_command(const char *s, enum cni_command *ret)
{
	static const char *const names[] = {
		[CNI_ADD] = "ADD",
		[CNI_DEL] = "DEL",
		[CNI_CHECK] = "CHECK",
		[CNI_VERSION] = "VERSION",
	};

	for (size_t i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum cni_command)i;
			return 0;
		}
	return -EINVAL;
}

static int parse_env(const struct cni_env *env, struct cni_request *req, struct cni_error *e)
{
	const bool needs_netns = req->command != CNI_DEL;

	if (!env->container_id || !is_container_id(env->container_id))
		return cni_error_set(e, CNI_CODE_INVALID_ENV, "invalid CNI_CONTAINERID",
				     "CNI_CONTAINERID '%.64s': %s", env->container_id ?: "",
				     env->container_id ? "not a container id (letters, digits, "
							 "'-', '_', '.', at most 256)"
						       : "not set");
	if (!env->ifname || !is_ifname(env->ifname))
		return cni_error_set(e, CNI_CODE_INVALID_ENV, "invalid CNI_IFNAME",
				     "CNI_IFNAME '%.64s': %s", env->ifname ?: "",
				     env->ifname ? "not an interface name (1-15 bytes, no '/', ':' "
						   "or space)"
						 : "not set");
	if (needs_netns && (!env->netns || env->netns[0] != '/'))
		return cni_error_set(e, CNI_CODE_INVALID_ENV, "invalid CNI_NETNS",
				     "CNI_NETNS '%.64s': %s", env->netns ?: "",
				     env->netns ? "not an absolute path" : "not set");
	snprintf(req->container_id, sizeof(req->container_id), "%s", env->container_id);
	snprintf(req->ifname, sizeof(req->ifname), "%s", env->ifname);
	req->netns = env->netns && *env->netns ? env->netns : NULL;
	return 0;
}

/* Optional member of type; -EINVAL with the message when it has another. */
static int member(const struct ctl_value *obj, const char *where, const char *key,
		  enum ctl_type type, const struct ctl_value **ret, struct cni_error *e)
{
	const struct ctl_value *v = NULL;

	*ret = NULL;
	if (ctl_value_find(obj, key, &v) < 0)
		return 0;
	if (ctl_value_type(v) != type)
		return invalid_config(e, "%s\"%s\": expected %s, got %s", where, key,
				      ctl_type_to_string(type),
				      ctl_type_to_string(ctl_value_type(v)));
	*ret = v;
	return 0;
}

static int member_string(const struct ctl_value *obj, const char *where, const char *key,
			 const char **ret, struct cni_error *e)
{
	const struct ctl_value *v;
	int r = member(obj, where, key, CTL_TYPE_STRING, &v, e);

	*ret = NULL;
	if (r >= 0 && v)
		(void)ctl_value_string(v, ret);
	return r;
}

static int parse_version(const struct ctl_value *doc, struct cni_request *req, struct cni_error *e)
{
	const char *version;
	int r = member_string(doc, "", "cniVersion", &version, e);

	if (r < 0)
		return r;
	if (!version)
		return invalid_config(e, "\"cniVersion\" missing");
	for (size_t i = 0; i < sizeof(supported_versions) / sizeof(supported_versions[0]); i++)
		if (strcmp(version, supported_versions[i]) == 0) {
			snprintf(req->cni_version, sizeof(req->cni_version), "%s", version);
			return 0;
		}
	return cni_error_set(e, CNI_CODE_INCOMPATIBLE_VERSION, "incompatible CNI version",
			     "cniVersion '%.32s': not supported (supported: 0.4.0, 1.0.0)",
			     version);
}

static int parse_plugin_keys(const struct ctl_value *doc, struct cni_request *req,
			     struct cni_error *e)
{
	const struct ctl_value *learn;
	int r;

	if ((r = member_string(doc, "", "name", &req->name, e)) < 0)
		return r;
	if (!req->name || !*req->name)
		return invalid_config(e, "\"name\" %s", req->name ? "is empty" : "missing");
	if ((r = member_string(doc, "", "filter", &req->filter, e)) < 0)
		return r;
	if (!req->filter)
		req->filter = CNI_FILTER_DEFAULT;
	else if (!is_filter_name(req->filter))
		return invalid_config(e,
				      "\"filter\" '%.64s': not a filter name (letters, digits, "
				      "'-', '_', '.', ':', at most 128)",
				      req->filter);
	if ((r = member(doc, "", "learn", CTL_TYPE_BOOL, &learn, e)) < 0)
		return r;
	if (learn)
		(void)ctl_value_bool(learn, &req->is_learning);
	if ((r = member_string(doc, "", "socket", &req->socket, e)) < 0)
		return r;
	if (req->socket && (req->socket[0] != '/' || strlen(req->socket) > CNI_SOCKET_MAX))
		return invalid_config(e,
				      "\"socket\" '%.64s': not an absolute path of at most 107 "
				      "bytes",
				      req->socket);
	if ((r = member_string(doc, "", "bridge", &req->bridge, e)) < 0)
		return r;
	return 0;
}

/*
 * The container interface's index in "interfaces", its MAC, and the
 * host-side candidates. -ENOENT (no message) when no entry is the container's.
 */
static int parse_interfaces(const struct ctl_value *ifaces, struct cni_request *req,
			    size_t *ret_index, struct cni_error *e)
{
	size_t n = ctl_value_array_len(ifaces);
	bool is_found = false;

	if (n > CNI_ENTRIES_MAX)
		return invalid_config(e, "prevResult.interfaces: %zu entries, at most %d", n,
				      CNI_ENTRIES_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct ctl_value *it = ctl_value_array_at(ifaces, i);
		const char *name, *mac, *sandbox;
		char where[48];
		int r;

		snprintf(where, sizeof(where), "prevResult.interfaces[%zu].", i);
		if (ctl_value_type(it) != CTL_TYPE_OBJECT)
			return invalid_config(e, "prevResult.interfaces[%zu]: expected an object",
					      i);
		if ((r = member_string(it, where, "name", &name, e)) < 0 ||
		    (r = member_string(it, where, "mac", &mac, e)) < 0 ||
		    (r = member_string(it, where, "sandbox", &sandbox, e)) < 0)
			return r;
		if (!name || !is_ifname(name))
			return invalid_config(e, "%s\"name\" '%.32s': %s", where, name ?: "",
					      name ? "not an interface name" : "missing");
		if (sandbox && *sandbox) {
			if (is_found || !req->netns || strcmp(sandbox, req->netns) != 0 ||
			    strcmp(name, req->ifname) != 0)
				continue;
			if (!mac || mac_parse(mac, req->mac) < 0 || !mac_is_unicast(req->mac))
				return invalid_config(e, "%s\"mac\" '%.32s': %s", where, mac ?: "",
						      mac ? "not a unicast MAC address"
							  : "missing");
			req->has_mac = true;
			is_found = true;
			*ret_index = i;
		} else if (!req->bridge || strcmp(name, req->bridge) != 0) {
			if (req->n_candidates == CNI_CANDIDATES_MAX)
				return invalid_config(e,
						      "prevResult.interfaces: more than %d "
						      "host-side interfaces",
						      CNI_CANDIDATES_MAX);
			req->candidates[req->n_candidates++] = name;
		}
	}
	return is_found ? 0 : -ENOENT;
}

/* "10.0.0.5/24" -> "10.0.0.5"; 1 for IPv4, 0 for IPv6, -EINVAL otherwise. */
static int cidr_ipv4(const char *cidr, char out[IP_TEXT_MAX])
{
	const char *slash = strchr(cidr, '/');
	char addr[IP_TEXT_MAX], *end;
	uint8_t bytes[16];
	size_t n = slash ? (size_t)(slash - cidr) : 0;
	long len;

	if (!slash || n == 0 || n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, cidr, n);
	addr[n] = '\0';
	if (slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	len = strtol(slash + 1, &end, 10);
	if (*end)
		return -EINVAL;
	if (ipv4_parse(addr, bytes) == 0 && len <= 32) {
		ipv4_format(bytes, out);
		return 1;
	}
	return ipv6_parse(addr, bytes) == 0 && len <= 128 ? 0 : -EINVAL;
}

static int parse_ips(const struct ctl_value *ips, size_t index, struct cni_request *req,
		     struct cni_error *e)
{
	size_t n = ctl_value_array_len(ips);

	if (n > CNI_ENTRIES_MAX)
		return invalid_config(e, "prevResult.ips: %zu entries, at most %d", n,
				      CNI_ENTRIES_MAX);
	for (size_t i = 0; i < n; i++) {
		const struct ctl_value *it = ctl_value_array_at(ips, i), *idx;
		const char *address;
		char where[32], ip[IP_TEXT_MAX];
		int64_t at;
		int r;

		snprintf(where, sizeof(where), "prevResult.ips[%zu].", i);
		if (ctl_value_type(it) != CTL_TYPE_OBJECT)
			return invalid_config(e, "prevResult.ips[%zu]: expected an object", i);
		if ((r = member_string(it, where, "address", &address, e)) < 0 ||
		    (r = member(it, where, "interface", CTL_TYPE_INT, &idx, e)) < 0)
			return r;
		if (!address)
			return invalid_config(e, "%s\"address\" missing", where);
		r = cidr_ipv4(address, ip);
		if (r < 0)
			return invalid_config(e,
					      "%s\"address\" '%.64s': not an address in CIDR "
					      "form (10.22.0.5/16)",
					      where, address);
		/* an address of no interface, or of another, is not the container's */
		if (r == 0 || !idx || ctl_value_int(idx, &at) < 0 || at < 0 ||
		    (uint64_t)at != index)
			continue;
		if (req->n_ips == CNI_IPS_MAX)
			return invalid_config(e,
					      "prevResult.ips: more than %d IPv4 addresses for "
					      "%s",
					      CNI_IPS_MAX, req->ifname);
		memcpy(req->ips[req->n_ips++], ip, sizeof(ip));
	}
	return 0;
}

static int parse_prev_result(const struct ctl_value *prev, struct cni_request *req,
			     struct cni_error *e)
{
	const struct ctl_value *ifaces, *ips;
	size_t index = 0;
	int r;

	if ((r = member(prev, "prevResult.", "interfaces", CTL_TYPE_ARRAY, &ifaces, e)) < 0 ||
	    (r = member(prev, "prevResult.", "ips", CTL_TYPE_ARRAY, &ips, e)) < 0)
		return r;
	r = ifaces ? parse_interfaces(ifaces, req, &index, e) : -ENOENT;
	if (r == -ENOENT)
		return invalid_config(e,
				      "prevResult has no interface %s in %s: run vifguard "
				      "after the bridge plugin in the same plugin list",
				      req->ifname, req->netns ?: "the container");
	if (r < 0)
		return r;
	if (req->n_candidates == 0)
		return invalid_config(e,
				      "prevResult has no host-side interface (one without "
				      "\"sandbox\") for %s: run vifguard after the bridge plugin",
				      req->ifname);
	return ips ? parse_ips(ips, index, req, e) : 0;
}

/* Everything but the prevResult's content. */
static int parse_config(const char *text, size_t len, struct cni_request *req, struct cni_error *e)
{
	const struct ctl_value *prev;
	struct err err = { 0 };
	int r;

	if (len == 0)
		return cni_error_set(e, CNI_CODE_DECODE, "cannot decode the network configuration",
				     "standard input is empty: the network configuration goes "
				     "there");
	if (len > CNI_CONFIG_MAX)
		return cni_error_set(e, CNI_CODE_DECODE, "cannot decode the network configuration",
				     "standard input: more than %u bytes", CNI_CONFIG_MAX);
	r = ctl_document_parse(text, len, "network configuration", &req->doc_, &err);
	if (r < 0)
		return cni_error_set(e, CNI_CODE_DECODE, "cannot decode the network configuration",
				     "%s", err.msg);
	if (ctl_value_type(req->doc_) != CTL_TYPE_OBJECT)
		return cni_error_set(e, CNI_CODE_DECODE, "cannot decode the network configuration",
				     "network configuration: expected an object");
	if ((r = parse_version(req->doc_, req, e)) < 0 ||
	    (r = parse_plugin_keys(req->doc_, req, e)) < 0)
		return r;
	if ((r = member(req->doc_, "", "prevResult", CTL_TYPE_OBJECT, &prev, e)) < 0)
		return r;
	req->prev_result = prev;
	return 0;
}

int cni_request_parse(const struct cni_env *env, const char *text, size_t len,
		      struct cni_request *ret, struct cni_error *err)
{
	struct cni_request req = { 0 };
	int r;

	*err = (struct cni_error){ 0 };
	if (parse_command(env->command, &req.command) < 0)
		return cni_error_set(err, CNI_CODE_INVALID_ENV, "invalid CNI_COMMAND",
				     "CNI_COMMAND '%.32s': %s", env->command ?: "",
				     env->command ? "not a command (ADD, DEL, CHECK, VERSION)"
						  : "not set");
	if (req.command == CNI_VERSION) {
		*ret = req;
		return 0;
	}
	r = parse_env(env, &req, err);
	if (r >= 0)
		r = parse_config(text, len, &req, err);
	if (r >= 0 && req.command != CNI_DEL && !req.prev_result)
		r = invalid_config(err, "no \"prevResult\": vifguard is a chained plugin; put it "
					"after the bridge plugin in a plugin list");
	if (r >= 0 && req.prev_result) {
		struct cni_error ignored;

		/* DEL goes on without what a broken prevResult would have told it */
		r = parse_prev_result(req.prev_result, &req,
				      req.command == CNI_DEL ? &ignored : err);
		if (r < 0 && req.command == CNI_DEL) {
			req.has_mac = false;
			req.n_ips = req.n_candidates = 0;
			r = 0;
		}
	}
	if (r < 0) {
		cni_request_fini(&req);
		return r;
	}
	*ret = req;
	return 0;
}

void cni_request_fini(struct cni_request *req)
{
	if (!req)
		return;
	ctl_document_free(req->doc_);
	*req = (struct cni_request){ 0 };
}

void cni_owner_format(const struct cni_request *req, char out[CNI_ID_MAX + CNI_IFNAME_MAX + 2])
{
	snprintf(out, CNI_ID_MAX + CNI_IFNAME_MAX + 2, "%s/%s", req->container_id, req->ifname);
}

char *cni_result_format(const struct cni_request *req)
{
	if (!req->prev_result)
		return NULL;
	return ctl_value_to_json_string_with(req->prev_result, "cniVersion", req->cni_version);
}

char *cni_error_format(const char *cni_version, const struct cni_error *e)
{
	struct ctl_obj *obj = ctl_obj_new();
	char *line = NULL;
	int r;

	r = ctl_obj_add_string(obj, "cniVersion",
			       cni_version && *cni_version ? cni_version : "1.0.0");
	if (r >= 0)
		r = ctl_obj_add_uint(obj, "code", (uint64_t)e->code);
	if (r >= 0)
		r = ctl_obj_add_string(obj, "msg", e->msg);
	if (r >= 0 && e->details[0])
		r = ctl_obj_add_string(obj, "details", e->details);
	if (r < 0) {
		ctl_obj_free(obj);
		return NULL;
	}
	return ctl_obj_to_line(obj, &line) < 0 ? NULL : line;
}
