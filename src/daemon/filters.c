/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The filters around the engine: reading the filter directories, the
 * definitions made at run time (kept as their canonical XML, as stored),
 * and the filter verbs. The effective set is rebuilt from scratch on every
 * change (the directories, then the filters defined at run time, which
 * win): parsing two dozen small files takes a millisecond, and rebuilding
 * means a change is always "parse new, check, apply, swap": the old set
 * stays in force until the engine accepted the new one.
 */
#include "daemon/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf/load.h"
#include "filter/filterset.h"
#include "util/cleanup.h"
#include "util/log.h"

/* ---- filters ---------------------------------------------------------- */

void daemon_log_diag(void *userdata, const struct conf_message *dm)
{
	struct strbuf *errors = userdata;

	if (dm->severity == CONF_WARNING) {
		log_warn("%s", dm->text);
		return;
	}
	log_err("%s", dm->text);
	if (errors)
		strbuf_addf(errors, "%s%s", errors->len ? "; " : "", dm->text);
}

/*
 * Builds the effective filter set: directories in order, then the defined
 * filters. As libvirt does, a bad file is reported (logged, and in
 * *skipped when not NULL) and skipped: one typo in /etc/libvirt/nwfilter
 * must not keep every good filter, and the daemon, from loading. Ports
 * bound to a filter that is then missing fail alone (set down). A directory
 * that cannot be read at all is an error.
 */
int daemon_build_filters(const struct daemon_config *cfg, const struct defined_filter *defined,
			 size_t n_defined, struct strbuf *skipped, struct filter_set **ret,
			 struct err *err)
{
	_cleanup_(filter_set_freep) struct filter_set *set = filter_set_new();
	struct strbuf errors;
	struct conf_diag diag = { .report = daemon_log_diag, .userdata = &errors };
	int unreadable = 0, r;

	if (!set)
		return err_set(err, -ENOMEM, "out of memory");
	strbuf_init(&errors);
	for (int i = -1; i < cfg->n_filter_dirs; i++) {
		r = conf_load_dir(i < 0 ? cfg->builtin_dir : cfg->filter_dirs[i], set, &diag);
		unreadable += r < 0;
	}
	for (size_t i = 0; i < n_defined; i++) {
		struct filter *f = NULL;
		enum conf_doc_kind kind;

		r = conf_parse_mem(defined[i].xml, strlen(defined[i].xml), defined[i].name, &diag,
				   &kind, &f, NULL);
		if (r < 0 || kind != CONF_DOC_FILTER || filter_set_add(set, f, NULL) < 0)
			filter_free(f);
	}
	if (unreadable) {
		r = err_set(err, -EINVAL, "%s",
			    errors.buf ? errors.buf : "a filter directory cannot be read");
		strbuf_fini(&errors);
		return r;
	}
	if (errors.len) {
		log_warn("filters skipped, the others loaded: %s", errors.buf);
		if (skipped)
			strbuf_add(skipped, errors.buf);
	}
	strbuf_fini(&errors);
	*ret = TAKE_PTR(set);
	return 0;
}

static void print_names(const char *what, const char (*names)[IFNAMSIZ], size_t n)
{
	if (!n)
		return;
	printf("%s:", what);
	for (size_t i = 0; i < n; i++)
		printf(" %s", names[i]);
	printf("\n");
}

/* What the guard will do, and an auto_bind filter that is not there (its ports would fail). */
static void print_guard(const struct guard_config *g, const struct filter_set *set)
{
	print_names("guard: dropped until bound, by the kernel", g->patterns, g->n_patterns);
	print_names("guard: any other unbound port of bridge", g->bridges, g->n_bridges);
	print_names("guard: never dropped", g->trusted, g->n_trusted);
	for (size_t i = 0; i < g->n_autos; i++)
		printf("guard: auto_bind %s to %s (mac=%s)%s\n", g->autos[i].pattern,
		       g->autos[i].filter, g->autos[i].mac_rule == GUARD_MAC_FE ? "fe" : "port",
		       filter_set_find(set, g->autos[i].filter)
			       ? ""
			       : ": no such filter, its ports would be set down");
}

int daemon_check_config(const struct daemon_config *cfg, bool is_verbose, struct err *err)
{
	_cleanup_(filter_set_freep) struct filter_set *set = NULL;
	struct strbuf skipped;
	int r;

	strbuf_init(&skipped);
	r = daemon_build_filters(cfg, NULL, 0, &skipped, &set, err);
	if (r < 0) {
		strbuf_fini(&skipped);
		return r;
	}
	if (skipped.len)
		printf("skipped (the daemon starts without them; ports bound to them fail): %s\n",
		       skipped.buf);
	strbuf_fini(&skipped);
	for (size_t i = 0; is_verbose && i < filter_set_size(set); i++) {
		const struct filter *f = filter_set_get(set, i);

		printf("filter %-24s chain %-12s %zu entries\n", f->name, f->chain, f->n_entries);
	}
	print_guard(&cfg->guard, set);
	printf("configuration OK: %zu filters\n", filter_set_size(set));
	return 0;
}

static ssize_t defined_index(const struct daemon *d, const char *name)
{
	for (size_t i = 0; i < d->n_defined; i++)
		if (strcmp(d->defined[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

void daemon_defined_fini(struct defined_filter *df)
{
	free(df->name);
	free(df->xml);
}

/* Puts (name, xml) into the defined list; returns the slot's previous content in *old. */
int daemon_defined_put(struct daemon *d, char *name, char *xml, struct defined_filter *old)
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
	daemon_defined_fini(&d->defined[i]);
	if (old->name)
		d->defined[i] = *old;
	else
		d->defined[i] = d->defined[--d->n_defined];
}

static void collect_report(void *userdata, const struct conf_message *dm)
{
	struct strbuf *sb = userdata;

	if (dm->severity == CONF_ERROR)
		strbuf_addf(sb, "%s%s", sb->len ? "; " : "", dm->text);
}

/* ---- filters -------------------------------------------------------------- */

/* Parses a definition; the engine checks it against the filters in force. */
static int parse_definition(struct daemon *d, const char *xml, struct filter **ret, struct err *err)
{
	_cleanup_(filter_freep) struct filter *f = NULL;
	struct strbuf msgs;
	struct conf_diag diag = { .report = collect_report, .userdata = &msgs };
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
	r = engine_filter_check(d->engine, f, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(f);
	return 0;
}

int daemon_filter_define(struct daemon *d, const char *xml, bool keeps_old_rules,
			 struct strbuf *failures, struct err *err)
{
	_cleanup_(filter_freep) struct filter *f = NULL;
	struct engine_input in = { .type = ENGINE_IN_FILTERS,
				   .filters = { .cause = ENGINE_FILTERS_DEFINE,
						.keeps_old_rules = keeps_old_rules } };
	struct defined_filter old;
	char *name, *canonical;
	int r;

	r = parse_definition(d, xml, &f, err);
	if (r < 0)
		return r;
	canonical = conf_filter_format(f);
	name = strdup(f->name);
	if (!canonical || !name || daemon_defined_put(d, name, canonical, &old) < 0) {
		free(canonical);
		free(name);
		return err_set(err, -ENOMEM, "out of memory");
	}
	r = daemon_build_filters(&d->cfg, d->defined, d->n_defined, NULL, &in.filters.set, err);
	if (r >= 0) {
		in.filters.name = name;
		in.filters.xml = canonical;
		r = daemon_dispatch(d, &in, failures, err);
	}
	if (r < 0) {
		defined_undo(d, name, &old);
		return r;
	}
	daemon_defined_fini(&old);
	return 0;
}

int daemon_filter_undefine(struct daemon *d, const char *name, struct err *err)
{
	struct engine_input in = { .type = ENGINE_IN_FILTERS,
				   .filters = { .cause = ENGINE_FILTERS_UNDEFINE, .name = name } };
	const struct filter_set *filters = engine_filters(d->engine);
	struct defined_filter removed;
	ssize_t i = defined_index(d, name);
	int r;

	if (i < 0)
		return err_set(
			err, filter_set_find(filters, name) ? -EPERM : -ENOENT,
			filter_set_find(filters, name)
				? "filter '%s' comes from a filter directory, not from define: "
				  "remove its file and reload"
				: "filter '%s' is not defined",
			name);
	removed = d->defined[i];
	d->defined[i] = d->defined[--d->n_defined];
	in.filters.name = removed.name;
	r = daemon_build_filters(&d->cfg, d->defined, d->n_defined, NULL, &in.filters.set, err);
	if (r >= 0)
		r = daemon_dispatch(d, &in, NULL, err);
	if (r < 0) {
		d->defined[d->n_defined++] = removed;
		return r;
	}
	daemon_defined_fini(&removed);
	return 0;
}

int daemon_filter_dumpxml(struct daemon *d, const char *name, char **ret, struct err *err)
{
	const struct filter *f = filter_set_find(engine_filters(d->engine), name);

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
	const struct filter_set *filters = engine_filters(d->engine);

	for (size_t i = 0; i < filter_set_size(filters); i++) {
		const struct filter *f = filter_set_get(filters, i);
		struct daemon_filter_info info = { .name = f->name, .chain = f->chain };
		char origin[4096];
		int r;

		info.origin = filter_origin(d, f->name, origin, sizeof(origin));
		memcpy(info.uuid, f->uuid, 16);
		info.n_bindings = engine_filter_users(d->engine, f->name);
		r = fn(&info, userdata);
		if (r < 0)
			return r;
	}
	return 0;
}

int daemon_reload(struct daemon *d, bool keeps_old_rules, struct strbuf *failures, struct err *err)
{
	struct engine_input in = { .type = ENGINE_IN_FILTERS,
				   .filters = { .cause = ENGINE_FILTERS_RELOAD,
						.keeps_old_rules = keeps_old_rules } };
	int r;

	r = daemon_build_filters(&d->cfg, d->defined, d->n_defined, NULL, &in.filters.set, err);
	if (r < 0)
		return err_prefix(err, r, "reload failed, the previous filters stay in force: ");
	return daemon_dispatch(d, &in, failures, err);
}
