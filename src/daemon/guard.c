/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "daemon/guard.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "filter/value.h"
#include "util/addr.h"

/*
 * A name the kernel would take (1-15 bytes, no '/', ':' or blank, not "."
 * or ".."), with one '*' allowed as the last character when is_pattern.
 */
static bool is_name(const char *s, bool is_pattern)
{
	size_t len = strlen(s);

	if (len == 0 || len >= IFNAMSIZ || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == '/' || c == ':' || c == '"' || c == 0x7f)
			return false;
		if (c == '*' && !(is_pattern && i == len - 1))
			return false;
	}
	return true;
}

bool guard_name_matches(const char *pattern, const char *name)
{
	size_t len = strlen(pattern);

	if (len > 0 && pattern[len - 1] == '*')
		return strncmp(pattern, name, len - 1) == 0;
	return strcmp(pattern, name) == 0;
}

static bool matches_any(const char (*names)[IFNAMSIZ], size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (guard_name_matches(names[i], name))
			return true;
	return false;
}

/* Splits value at commas and blanks into names[]; each checked as a name or pattern. */
static int add_names(char (*names)[IFNAMSIZ], size_t *n, const char *key, const char *value,
		     bool is_pattern, struct err *err)
{
	char copy[1024], *save = NULL;

	if (snprintf(copy, sizeof(copy), "%s", value) >= (int)sizeof(copy))
		return err_set(err, -E2BIG, "%s: longer than %zu bytes", key, sizeof(copy) - 1);
	for (char *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
		if (!is_name(w, is_pattern))
			return err_set(err, -EINVAL,
				       "%s: '%s' is not an interface name%s (1-15 characters, no "
				       "'/', ':', '\"' or blank)",
				       key, w, is_pattern ? " or a name ending in '*'" : "");
		if (*n >= GUARD_NAMES_MAX)
			return err_set(err, -E2BIG, "%s: at most %d names", key, GUARD_NAMES_MAX);
		snprintf(names[(*n)++], IFNAMSIZ, "%s", w);
	}
	return 0;
}

static bool is_param(char *word, char *eq)
{
	bool ok;

	*eq = '\0';
	ok = filter_is_var_name(word) && filter_is_param_value(eq + 1);
	*eq = '=';
	return ok;
}

/* "PATTERN FILTER mac=fe|port [NAME=VALUE]..." */
static int add_auto(struct guard_config *g, const char *value, struct err *err)
{
	char copy[4096], *save = NULL, *w;
	struct guard_auto a = { .mac_rule = GUARD_MAC_PORT };
	bool has_mac = false;

	if (g->n_autos >= GUARD_AUTO_MAX)
		return err_set(err, -E2BIG, "auto_bind: at most %d lines", GUARD_AUTO_MAX);
	if (snprintf(copy, sizeof(copy), "%s", value) >= (int)sizeof(copy))
		return err_set(err, -E2BIG, "auto_bind: longer than %zu bytes", sizeof(copy) - 1);
	w = strtok_r(copy, " \t", &save);
	if (!w || !is_name(w, true))
		return err_set(err, -EINVAL,
			       "auto_bind: '%s' is not an interface name or a name ending in '*' "
			       "(auto_bind = PATTERN FILTER mac=fe|port [NAME=VALUE]...)",
			       w ? w : "");
	snprintf(a.pattern, sizeof(a.pattern), "%s", w);
	w = strtok_r(NULL, " \t", &save);
	if (!w || strchr(w, '=') || strlen(w) >= sizeof(a.filter))
		return err_set(err, -EINVAL,
			       "auto_bind %s: a FILTER name is needed after the pattern "
			       "(auto_bind = PATTERN FILTER mac=fe|port [NAME=VALUE]...)",
			       a.pattern);
	snprintf(a.filter, sizeof(a.filter), "%s", w);
	while ((w = strtok_r(NULL, " \t", &save))) {
		char *eq = strchr(w, '=');

		if (strncmp(w, "mac=", 4) == 0) {
			if (strcmp(w + 4, "fe") == 0)
				a.mac_rule = GUARD_MAC_FE;
			else if (strcmp(w + 4, "port") == 0)
				a.mac_rule = GUARD_MAC_PORT;
			else
				return err_set(err, -EINVAL,
					       "auto_bind %s: mac '%s' (accepted: fe, port)",
					       a.pattern, w + 4);
			has_mac = true;
		} else if (!eq || strlen(w) >= GUARD_TEXT_MAX || !is_param(w, eq)) {
			return err_set(err, -EINVAL,
				       "auto_bind %s: '%s' is not NAME=VALUE (a name of letters, "
				       "digits, _; a value of letters, digits, _ . :)",
				       a.pattern, w);
		} else if (a.n_params >= GUARD_PARAMS_MAX) {
			return err_set(err, -E2BIG, "auto_bind %s: at most %d parameters",
				       a.pattern, GUARD_PARAMS_MAX);
		} else {
			snprintf(a.params[a.n_params++], GUARD_TEXT_MAX, "%s", w);
		}
	}
	/* no default: the rule decides whose frames the port may send */
	if (!has_mac)
		return err_set(err, -EINVAL,
			       "auto_bind %s: say where the guest's MAC comes from: mac=fe "
			       "(libvirt's taps) or mac=port (the port's own)",
			       a.pattern);
	g->autos[g->n_autos++] = a;
	return 0;
}

int guard_config_set(struct guard_config *g, const char *key, const char *value, struct err *err)
{
	int r;

	if (strcmp(key, "guard_ports") == 0)
		r = add_names(g->patterns, &g->n_patterns, key, value, true, err);
	else if (strcmp(key, "guard_bridge") == 0)
		r = add_names(g->bridges, &g->n_bridges, key, value, false, err);
	else if (strcmp(key, "trusted_ports") == 0)
		r = add_names(g->trusted, &g->n_trusted, key, value, true, err);
	else if (strcmp(key, "auto_bind") == 0)
		r = add_auto(g, value, err);
	else
		return 0;
	return r < 0 ? r : 1;
}

enum guard_verdict guard_decide(const struct guard_config *g, const struct link_info *link,
				bool is_on_guarded_bridge, bool is_bound,
				const struct guard_auto **ret_rule)
{
	if (is_bound || link->master <= 0 || matches_any(g->trusted, g->n_trusted, link->name))
		return GUARD_OPEN;
	for (size_t i = 0; i < g->n_autos; i++) {
		if (guard_name_matches(g->autos[i].pattern, link->name)) {
			*ret_rule = &g->autos[i];
			return GUARD_AUTO_BIND;
		}
	}
	return is_on_guarded_bridge ? GUARD_QUARANTINE : GUARD_OPEN;
}

int guard_auto_mac(const struct guard_auto *rule, const struct link_info *link, uint8_t mac[6],
		   struct err *err)
{
	char text[MAC_TEXT_MAX];

	if (!link->has_mac)
		return err_set(err, -EINVAL, "port %s has no MAC address", link->name);
	memcpy(mac, link->mac, 6);
	if (rule->mac_rule == GUARD_MAC_PORT)
		return 0;
	if (mac[0] != 0xfe) {
		mac_format(link->mac, text);
		return err_set(err, -EINVAL,
			       "port %s: MAC %s does not start with fe: (auto_bind %s mac=fe "
			       "expects libvirt's tap convention)",
			       link->name, text, rule->pattern);
	}
	mac[0] = 0x52;
	return 0;
}

void guard_fw(const struct guard_config *g, struct fw_guard *out)
{
	*out = (struct fw_guard){ 0 };
	for (size_t i = 0; i < g->n_patterns; i++)
		out->patterns[out->n_patterns++] = g->patterns[i];
	/* an auto-bound port waits for its binding like a guarded one */
	for (size_t i = 0; i < g->n_autos; i++)
		out->patterns[out->n_patterns++] = g->autos[i].pattern;
	for (size_t i = 0; i < g->n_trusted; i++)
		out->trusted[out->n_trusted++] = g->trusted[i];
	out->has_unbound = g->n_bridges > 0;
}

bool guard_is_guarded_bridge(const struct guard_config *g, const char *name)
{
	for (size_t i = 0; i < g->n_bridges; i++)
		if (strcmp(g->bridges[i], name) == 0)
			return true;
	return false;
}
