/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * vifguardctl libvirt-hook: libvirt (6.5 and later) runs every executable of
 * /etc/libvirt/hooks/{qemu,lxc}.d as `NAME OP SUBOP EXTRA`, the domain XML
 * on standard input, the environment cleared to HOME, LC_ALL, PATH. What
 * each operation does follows what libvirt 9.0 was measured to do
 * (docs/design.md, "libvirt hooks"):
 *
 *   prepare begin    nothing exists yet: a guarded domain that would find no
 *                    daemon is refused here, before libvirt makes anything
 *   start begin      the ports exist, on their bridge, and the guest does not
 *                    run yet: every guarded interface is bound, or the start
 *                    fails (libvirt shows our standard error verbatim)
 *   reconnect begin  libvirtd restarted under a running domain: what is
 *                    missing is bound again; a failure here would make libvirt
 *                    kill the domain, so this never exits non-zero
 *   release end      the domain's bindings go; libvirt ignores the status
 *
 * Every other operation returns 0 at once and prints nothing: for migrate
 * and restore, standard output would replace the domain XML.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/bindings.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "conf/domain.h"
#include "filter/value.h"
#include "util/cleanup.h"

enum hook_op {
	HOOK_OTHER,
	HOOK_PREPARE,
	HOOK_START,
	HOOK_RECONNECT,
	HOOK_RELEASE,
};

struct hook {
	const char *domain; /* DOMAIN as libvirt passed it: messages name it */
	const char *driver; /* qemu or lxc */
	enum hook_op op;
	struct conf_domain *dom; /* owned */
};

static const char refusal[] = "refusing to start it unguarded";

/* One line on standard error: "vifguard: DOMAIN: ...". */
static void say(const struct hook *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(const struct hook *h, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX * 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vifguard: %s: %s\n", h->domain, msg);
}

static enum hook_op op_of(const char *op, const char *subop)
{
	static const struct {
		const char *op, *subop;
		enum hook_op value;
	} ops[] = {
		{ "prepare", "begin", HOOK_PREPARE },
		{ "start", "begin", HOOK_START },
		{ "reconnect", "begin", HOOK_RECONNECT },
		{ "release", "end", HOOK_RELEASE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (strcmp(op, ops[i].op) == 0 && strcmp(subop, ops[i].subop) == 0)
			return ops[i].value;
	return HOOK_OTHER;
}

/* Whether a failure may show in the exit status: only before the domain runs. */
static bool may_fail(const struct hook *h)
{
	return h->op == HOOK_PREPARE || h->op == HOOK_START;
}

/*
 * --driver comes first (the installed script puts it there); everything
 * after is positional, so that a domain named like an option is still a
 * domain. Returns -1 to go on, else the exit status.
 */
static int parse_args(int argc, char **argv, struct hook *h)
{
	int i = 1, n;

	h->driver = "qemu";
	for (; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return cli_print_help("libvirt-hook");
		if (strncmp(argv[i], "--driver=", 9) == 0) {
			h->driver = argv[i] + 9;
		} else if (strcmp(argv[i], "--driver") == 0) {
			if (i + 1 == argc)
				return cli_usage_error("libvirt-hook", "libvirt-hook: option "
								       "'--driver' needs a value");
			h->driver = argv[++i];
		} else {
			break;
		}
	}
	n = argc - i;
	if (n < 3 || n > 4)
		return cli_usage_error("libvirt-hook",
				       "libvirt-hook takes DOMAIN OP SUBOP [EXTRA], "
				       "as libvirt passes them");
	h->domain = argv[i];
	h->op = op_of(argv[i + 1], argv[i + 2]);
	if (strcmp(h->driver, "qemu") != 0 && strcmp(h->driver, "lxc") != 0) {
		int r = cli_usage_error(
			"libvirt-hook",
			"libvirt-hook: --driver '%s': not a driver (accepted: qemu, lxc)",
			h->driver);

		return may_fail(h) ? r : CLI_EXIT_OK;
	}
	return -1;
}

struct first_errors {
	const struct hook *h;
	unsigned n_errors;
};

/* The parser's warnings are said as they come; errors are summed up by the caller. */
static void report(void *userdata, const struct conf_message *m)
{
	struct first_errors *fe = userdata;

	if (m->severity == CONF_WARNING)
		say(fe->h, "warning: %s", m->text);
	else
		fe->n_errors++;
}

/*
 * The domain XML from standard input, up to the parser's limit (the rest is
 * drained, so that libvirt's write does not fail), parsed into h->dom.
 */
static int read_domain(struct hook *h)
{
	struct first_errors fe = { .h = h };
	struct conf_diag diag = { .report = report, .userdata = &fe };
	_cleanup_free_ char *buf = malloc(CONF_DOMAIN_MAX + 1);
	char sink[4096];
	size_t len;
	int r;

	if (!buf) {
		say(h, "out of memory");
		return -ENOMEM;
	}
	len = fread(buf, 1, CONF_DOMAIN_MAX + 1, stdin);
	if (ferror(stdin)) {
		say(h, "cannot read the domain XML on standard input: %m");
		return -EIO;
	}
	while (fread(sink, 1, sizeof(sink), stdin) > 0)
		;
	r = conf_domain_parse(buf, len, "stdin", &diag, &h->dom);
	if (r < 0) {
		char more[32] = "";

		if (fe.n_errors > 1)
			snprintf(more, sizeof(more), " (and %u more)", fe.n_errors - 1);
		say(h, "cannot use the domain XML libvirt gave: %s%s%s%s",
		    diag.first_error.code ? diag.first_error.msg : strerror(-r), more,
		    may_fail(h) ? "; " : "", may_fail(h) ? refusal : "");
	}
	return r;
}

/* The daemon could not be asked: why, in one line; what follows from it is then's. */
static void say_unreachable(const struct hook *h, const char *why, const char *then)
{
	if (client_daemon_unreachable())
		say(h, "vifguardd is not running (%s): %s", why, then);
	else
		say(h, "cannot reach vifguardd (%s): %s", why, then);
}

static int hook_prepare(const struct hook *h)
{
	struct ctl_request req = { .id = 1, .verb = CTL_VERB_STATUS };
	struct ctl_message reply = { 0 };

	if (client_call(&req, NULL, NULL, &reply) < 0) {
		say_unreachable(h, client_last_error(), refusal);
		return CLI_EXIT_FAILURE;
	}
	ctl_message_fini(&reply);
	return CLI_EXIT_OK;
}

/*
 * b's canonical XML without a MAC parameter equal to its own MAC: libvirt's
 * nwfilter writes that one into its bindings (libvirt-import takes them as
 * they are), the domain XML does not have it, and it means the same.
 */
static char *format_plain(struct binding *b)
{
	struct filter_params saved = b->ref.params, plain = { 0 };
	const struct filter_var *mac = filter_params_find(&saved, "MAC");
	char own[MAC_TEXT_MAX], *text = NULL;
	bool is_ok = true;

	mac_format(b->mac, own);
	if (!mac || mac->n_values != 1 || strcasecmp(mac->values[0], own) != 0)
		return conf_binding_format(b);
	for (size_t i = 0; i < saved.n_vars && is_ok; i++)
		for (size_t k = 0; k < saved.vars[i].n_values && is_ok; k++)
			if (&saved.vars[i] != mac)
				is_ok = filter_params_add(&plain, saved.vars[i].name,
							  saved.vars[i].values[k]) == 0;
	if (is_ok) {
		b->ref.params = plain;
		text = conf_binding_format(b);
		b->ref.params = saved;
	}
	filter_params_fini(&plain);
	return text;
}

/* Whether the daemon's binding of port is the one want (both in canonical form). */
static bool is_same(const char *port, struct binding *want)
{
	_cleanup_free_ char *have_xml = NULL, *have = NULL, *text = format_plain(want);
	_cleanup_(binding_freep) struct binding *b = NULL;
	struct conf_diag diag = { 0 };
	enum conf_doc_kind kind;
	struct err err = { 0 };

	if (!text || cli_bound_dumpxml(port, &have_xml, &err) < 0 ||
	    conf_parse_mem(have_xml, strlen(have_xml), port, &diag, &kind, NULL, &b) < 0 || !b)
		return false;
	have = format_plain(b);
	return have && strcmp(have, text) == 0;
}

/*
 * Makes the port of one guarded interface carry the binding it asks for:
 * kept when it has it, replaced when it has another, created when it has
 * none. *ret_created says whether this call created it.
 */
static int ensure_iface(const struct hook *h, const struct conf_domain_iface *iface,
			const struct cli_bound_list *bound, bool *ret_created)
{
	_cleanup_(binding_freep) struct binding *b = NULL;
	const bool is_start = h->op == HOOK_START;
	const struct cli_bound *old;
	struct err err = { 0 };
	char mac[MAC_TEXT_MAX];
	int r;

	*ret_created = false;
	mac_format(iface->mac, mac);
	r = conf_domain_binding(h->dom, iface, &b);
	if (r == -ENODEV) {
		say(h, "interface %s has no <target dev>, so there is no port to bind%s%s%s", mac,
		    strcmp(h->driver, "lxc") == 0
			    ? " (an LXC interface needs an explicit <target dev> that does not "
			      "start with 'vnet')"
			    : "",
		    is_start ? "; " : "", is_start ? refusal : "");
		return r;
	}
	if (r < 0) {
		say(h, "out of memory");
		return r;
	}
	old = cli_bound_find(bound, b->portdev);
	if (old && is_same(b->portdev, b))
		return 0;
	if (old) {
		r = cli_bound_delete(b->portdev, &err);
		if (r < 0 && r != -ENOENT) {
			say(h,
			    "interface %s on port %s: cannot replace its binding (filter '%s', "
			    "owner %s): %s%s%s",
			    mac, b->portdev, old->filter, old->owner_name, err.msg,
			    is_start ? "; " : "", is_start ? refusal : "");
			return r;
		}
		if (!is_start)
			say(h,
			    "interface %s on port %s: replacing its binding (filter '%s', owner %s)",
			    mac, b->portdev, old->filter, old->owner_name);
	}
	r = cli_bound_create(b, &err);
	if (r < 0) {
		say(h, "interface %s on port %s: cannot bind filter '%s': %s%s%s", mac, b->portdev,
		    b->ref.filter, err.msg, is_start ? "; " : "", is_start ? refusal : "");
		return r;
	}
	if (!is_start)
		say(h, "interface %s on port %s: bound to filter '%s' again", mac, b->portdev,
		    b->ref.filter);
	*ret_created = true;
	return 0;
}

/* start: all or nothing (what this call created goes again); reconnect: as much as can be. */
static int hook_ensure(const struct hook *h)
{
	const bool is_start = h->op == HOOK_START;
	struct cli_bound_list bound;
	struct err err = { 0 };
	bool *created = calloc(h->dom->n_ifaces, sizeof(*created));
	bool is_failed = false;

	if (!created) {
		say(h, "out of memory");
		return is_start ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	}
	if (cli_bound_list_load(&bound, &err) < 0) {
		say_unreachable(h, err.msg,
				is_start ? refusal : "its interfaces' bindings were not checked");
		cli_bound_list_fini(&bound);
		free(created);
		return is_start ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	}
	for (size_t i = 0; i < h->dom->n_ifaces && !(is_failed && is_start); i++) {
		if (h->dom->ifaces[i].guard == CONF_GUARD_NONE)
			continue;
		if (ensure_iface(h, &h->dom->ifaces[i], &bound, &created[i]) < 0)
			is_failed = true;
	}
	for (size_t i = 0; is_failed && is_start && i < h->dom->n_ifaces; i++)
		if (created[i] && cli_bound_delete(h->dom->ifaces[i].target_dev, &err) < 0)
			say(h, "port %s: cannot delete the binding made for this start: %s",
			    h->dom->ifaces[i].target_dev, err.msg);
	cli_bound_list_fini(&bound);
	free(created);
	return is_failed && is_start ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

/* Every binding the domain owns goes, whatever its port; always 0. */
static int hook_release(const struct hook *h)
{
	struct cli_bound_list bound;
	struct err err = { 0 };
	char uuid[37];

	filter_uuid_format(h->dom->uuid, uuid);
	if (cli_bound_list_load(&bound, &err) < 0) {
		if (conf_domain_n_guarded(h->dom))
			say_unreachable(h, err.msg, "its bindings stay");
		cli_bound_list_fini(&bound);
		return CLI_EXIT_OK;
	}
	for (size_t i = 0; i < bound.n; i++) {
		const struct cli_bound *b = &bound.items[i];
		int r;

		if (strcmp(b->owner_uuid, uuid) != 0)
			continue;
		/* a port that vanished took its binding with it meanwhile: fine */
		r = cli_bound_delete(b->port, &err);
		if (r < 0 && r != -ENOENT)
			say(h, "port %s: cannot delete its binding: %s", b->port, err.msg);
	}
	cli_bound_list_fini(&bound);
	return CLI_EXIT_OK;
}

static int run(struct hook *h)
{
	bool is_guarded;

	if (read_domain(h) < 0)
		return may_fail(h) ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	is_guarded = conf_domain_n_guarded(h->dom) > 0;
	/* a domain that asks for no guard never needs the daemon, but to release */
	if (!is_guarded && h->op != HOOK_RELEASE)
		return CLI_EXIT_OK;
	if (client_read_config(cli_config_path) < 0) {
		if (is_guarded)
			say(h, "%s%s%s", client_last_error(), may_fail(h) ? ": " : "",
			    may_fail(h) ? refusal : "");
		return is_guarded && may_fail(h) ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
	}
	switch (h->op) {
	case HOOK_PREPARE:
		return hook_prepare(h);
	case HOOK_START:
	case HOOK_RECONNECT:
		return hook_ensure(h);
	case HOOK_RELEASE:
		return hook_release(h);
	case HOOK_OTHER:
		break;
	}
	return CLI_EXIT_OK;
}

int cmd_libvirt_hook(int argc, char **argv)
{
	struct hook h = { 0 };
	int r = parse_args(argc, argv, &h);

	if (r >= 0)
		return r;
	if (h.op == HOOK_OTHER)
		return CLI_EXIT_OK;
	client_set_quiet(true);
	r = run(&h);
	conf_domain_free(h.dom);
	/* belt and braces: libvirt must never see a failure where it kills or ignores */
	return may_fail(&h) ? r : CLI_EXIT_OK;
}
