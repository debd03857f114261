/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a port needs besides a template: a valid name, the hook chains
 * through which a macvtap port is reached, and the ports whose frames go
 * to chains of the base table instead of a template: learning (the shared
 * learn-* chains), blocked (drop), and DHCP snooping after learning.
 */
#include "fw/compile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fw/compile-internal.h"
#include "util/strbuf.h"

bool fw_is_port_name(const char *port)
{
	size_t len = strlen(port);

	if (len == 0 || len >= 16)
		return false;
	for (const char *p = port; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-@+",
			    *p))
			return false;
	return true;
}

/* A netdev hook chain's name: its direction, then the port with every non-alphanumeric escaped. */
static void add_hook_chain_name(struct strbuf *sb, const char *letter, const char *port)
{
	strbuf_addf(sb, "p%s-", letter);
	for (const char *p = port; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9'))
			strbuf_addc(sb, *p);
		else
			strbuf_addf(sb, "_%02x", (unsigned char)*p);
	}
}

char *fw_hook_chain_name(const char *port)
{
	struct strbuf sb;

	strbuf_init(&sb);
	add_hook_chain_name(&sb, "o", port);
	return strbuf_steal(&sb);
}

/*
 * A macvtap is reached through base chains of its own, hooked on the
 * device, whose last rule is the port's verdict (its template's chain, a
 * learning chain, or drop). Not a lookup in a shared map as on the bridge:
 * the kernel validates every base chain of the table in each transaction,
 * walking what it can jump to, and through a shared map that is every
 * port's template: a bind would cost O(ports^2). Re-adding flushes first,
 * so applying a port twice never doubles its rules. DHCP is copied here
 * for learned ports that keep snooping (snoop-ports). verdict[side] is
 * NULL to delete.
 */
void fw_add_hook_chains(struct strbuf *sb, const char *port, const char *const verdict[2])
{
	static const struct {
		const char *letter, *hook, *key, *dhcp;
	} hooks[] = {
		[SIDE_OUT] = { "o", "egress", "oifname", "udp sport 68 udp dport 67 jump log-o" },
		[SIDE_IN] = { "i", "ingress", "iifname", "udp sport 67 udp dport 68 jump log-i" },
	};

	for (size_t h = 0; h < SIDE_L2_MAX; h++) {
		struct strbuf name;

		strbuf_init(&name);
		add_hook_chain_name(&name, hooks[h].letter, port);
		if (!verdict[h]) {
			strbuf_addf(sb, "delete chain netdev " FW_TABLE " %s\n", name.buf);
		} else {
			strbuf_addf(sb,
				    "add chain netdev " FW_TABLE " %s { type filter hook %s "
				    "device \"%s\" priority -300; policy accept; }\n"
				    "flush chain netdev " FW_TABLE " %s\n"
				    "add rule netdev " FW_TABLE " %s %s @snoop-ports ether type ip "
				    "%s\n"
				    "add rule netdev " FW_TABLE " %s %s\n",
				    name.buf, hooks[h].hook, port, name.buf, name.buf, hooks[h].key,
				    hooks[h].dhcp, name.buf, verdict[h]);
		}
		strbuf_fini(&name);
	}
}

/* A port's dispatch to fixed verdicts: learning or blocked. */
static void add_special_dispatch(struct strbuf *add, struct strbuf *del, enum fw_attach attach,
				 const char *port, const char *verdict_o, const char *verdict_i)
{
	const char *const verdicts[2] = { verdict_o, verdict_i }, *const none[2] = { NULL, NULL };

	if (attach == FW_ATTACH_NETDEV) {
		fw_add_hook_chains(add, port, verdicts);
		fw_add_hook_chains(del, port, none);
		return;
	}
	strbuf_addf(add,
		    "add element bridge " FW_TABLE " out-ports { \"%s\" : %s }\n"
		    "add element bridge " FW_TABLE " in-ports { \"%s\" : %s }\n",
		    port, verdict_o, port, verdict_i);
	strbuf_addf(del,
		    "delete element bridge " FW_TABLE " out-ports { \"%s\" }\n"
		    "delete element bridge " FW_TABLE " in-ports { \"%s\" }\n",
		    port, port);
}

static int special_port(const char *port, enum fw_attach attach, const char *id,
			struct fw_port **ret, struct err *err)
{
	struct fw_port *p;

	if (!fw_is_port_name(port))
		return err_set(err, -EINVAL, "'%s' is not a valid interface name (1-15 characters)",
			       port);
	p = calloc(1, sizeof(*p));
	if (p)
		p->attach = attach;
	if (!p || !(p->port = strdup(port)) || !(p->template_id = strdup(id)) ||
	    !(p->template_add = strdup("")) || !(p->template_del = strdup(""))) {
		fw_port_free(p);
		return err_set(err, -ENOMEM, "out of memory");
	}
	*ret = p;
	return 0;
}

static int finish_special(struct fw_port *p, struct strbuf *add, struct strbuf *del,
			  unsigned n_elements, struct fw_port **ret, struct err *err)
{
	if (strbuf_error(add) < 0 || strbuf_error(del) < 0) {
		strbuf_fini(add);
		strbuf_fini(del);
		fw_port_free(p);
		return err_set(err, -ENOMEM, "out of memory");
	}
	p->elements_add = strbuf_steal(add);
	p->elements_del = strbuf_steal(del);
	p->n_elements = n_elements;
	*ret = p;
	return 0;
}

int fw_compile_learning(const char *port, enum fw_attach attach, const uint8_t mac[MAC_LEN],
			bool is_dhcp_only, const uint8_t (*servers)[4], size_t n_servers,
			struct fw_port **ret, struct err *err)
{
	const char *mode = is_dhcp_only ? "dhcp" : "any", *f = fw_l2_layouts[attach].family;
	struct fw_port *p = NULL;
	struct strbuf add, del, dispatch;
	char id[32], text[MAC_TEXT_MAX], verdict_o[32], verdict_i[32];
	int r;

	snprintf(id, sizeof(id), "learn-%s", mode);
	r = special_port(port, attach, id, &p, err);
	if (r < 0)
		return r;
	strbuf_init(&add);
	strbuf_init(&del);
	mac_format(mac, text);
	/* the elements first, the dispatch last: the chains see complete data */
	strbuf_init(&dispatch);
	snprintf(verdict_o, sizeof(verdict_o), "jump learn-%s-o", mode);
	snprintf(verdict_i, sizeof(verdict_i), "jump learn-%s-i", mode);
	add_special_dispatch(&dispatch, &del, attach, port, verdict_o, verdict_i);
	strbuf_addf(&add, "add element %s " FW_TABLE " learn-mac { \"%s\" . %s }\n", f, port, text);
	strbuf_addf(&del, "delete element %s " FW_TABLE " learn-mac { \"%s\" . %s }\n", f, port,
		    text);
	if (n_servers == 0) {
		strbuf_addf(&add, "add element %s " FW_TABLE " learn-any-server { \"%s\" }\n", f,
			    port);
		strbuf_addf(&del, "delete element %s " FW_TABLE " learn-any-server { \"%s\" }\n", f,
			    port);
	}
	/* its DHCP replies are copied where the kernel still knows where they entered */
	if (attach == FW_ATTACH_BRIDGE) {
		strbuf_addf(&add, "add element bridge " FW_TABLE " dhcp-copy-ports { \"%s\" }\n",
			    port);
		strbuf_addf(&del, "delete element bridge " FW_TABLE " dhcp-copy-ports { \"%s\" }\n",
			    port);
	}
	for (size_t i = 0; i < n_servers; i++) {
		char ip[IP_TEXT_MAX];

		ipv4_format(servers[i], ip);
		strbuf_addf(&add, "add element %s " FW_TABLE " learn-servers { \"%s\" . %s }\n", f,
			    port, ip);
		strbuf_addf(&del, "delete element %s " FW_TABLE " learn-servers { \"%s\" . %s }\n",
			    f, port, ip);
	}
	strbuf_add(&add, dispatch.buf ? dispatch.buf : "");
	strbuf_fini(&dispatch);
	return finish_special(
		p, &add, &del,
		3 + (attach == FW_ATTACH_BRIDGE) + (unsigned)(n_servers ? n_servers : 1), ret, err);
}

void fw_port_prepare(struct fw_port *p, struct fw_port *full)
{
	free(p->prepared_id);
	free(p->template_add);
	free(p->template_del);
	p->prepared_id = full->template_id;
	p->template_add = full->template_add;
	p->template_del = full->template_del;
	p->needs_inet = full->needs_inet;
	p->port_id = full->port_id;
	full->template_id = full->template_add = full->template_del = NULL;
	fw_port_free(full);
}

const char *fw_port_template(const struct fw_port *p)
{
	return p->prepared_id ? p->prepared_id : p->template_id;
}

/* verdict_o: frames from the VM (the out-ports map, a macvtap's egress); verdict_i: to it. */
static int compile_drop(const char *port, enum fw_attach attach, const char *id,
			const char *verdict_o, const char *verdict_i, struct fw_port **ret,
			struct err *err)
{
	struct fw_port *p = NULL;
	struct strbuf add, del;
	int r;

	r = special_port(port, attach, id, &p, err);
	if (r < 0)
		return r;
	strbuf_init(&add);
	strbuf_init(&del);
	add_special_dispatch(&add, &del, attach, port, verdict_o, verdict_i);
	return finish_special(p, &add, &del, 2, ret, err);
}

int fw_compile_blocked(const char *port, enum fw_attach attach, struct fw_port **ret,
		       struct err *err)
{
	return compile_drop(port, attach, FW_TEMPLATE_BLOCKED, "goto drop-blocked-o",
			    "goto drop-blocked-i", ret, err);
}

int fw_compile_quarantine(const char *port, bool is_bridge_port, struct fw_port **ret,
			  struct err *err)
{
	/*
	 * Hooks on the device itself see its frames wherever it is, on a bridge
	 * or not. A macvtap's egress carries the VM's frames; a tap's or veth's
	 * egress carries frames to the VM, its ingress the VM's: the counts
	 * follow (drop-quarantine-tap-o/-i key on the device the hook has).
	 */
	if (is_bridge_port)
		return compile_drop(port, FW_ATTACH_NETDEV, FW_TEMPLATE_QUARANTINE,
				    "goto drop-quarantine-tap-i", "goto drop-quarantine-tap-o", ret,
				    err);
	return compile_drop(port, FW_ATTACH_NETDEV, FW_TEMPLATE_QUARANTINE,
			    "goto drop-quarantine-o", "goto drop-quarantine-i", ret, err);
}

/* Makes add and del the port's element statements (they hold the old ones first). */
static int take_elements(struct fw_port *p, struct strbuf *add, struct strbuf *del)
{
	if (strbuf_error(add) < 0 || strbuf_error(del) < 0) {
		strbuf_fini(add);
		strbuf_fini(del);
		return -ENOMEM;
	}
	free(p->elements_add);
	free(p->elements_del);
	p->elements_add = strbuf_steal(add);
	p->elements_del = strbuf_steal(del);
	return 0;
}

/*
 * Puts the port in one of its table's ifname sets along with its other
 * elements, and takes it out with them. before (may be "") goes ahead of
 * the element: a statement that creates the set.
 */
static int add_to_set(struct fw_port *p, const char *before, const char *set)
{
	const char *f = fw_l2_layouts[p->attach].family;
	struct strbuf add, del;

	strbuf_init(&add);
	strbuf_init(&del);
	strbuf_addf(&add, "%s%sadd element %s " FW_TABLE " %s { \"%s\" }\n", p->elements_add,
		    before, f, set, p->port);
	strbuf_addf(&del, "%sdelete element %s " FW_TABLE " %s { \"%s\" }\n", p->elements_del, f,
		    set, p->port);
	if (take_elements(p, &add, &del) < 0)
		return -ENOMEM;
	return 0;
}

int fw_port_add_snoop(struct fw_port *p)
{
	int r = add_to_set(p, "", "snoop-ports");

	if (r >= 0 && p->attach == FW_ATTACH_BRIDGE &&
	    (r = add_to_set(p, "", "dhcp-copy-ports")) >= 0)
		p->n_elements++;
	if (r >= 0)
		p->n_elements++;
	return r;
}

/*
 * Who applied a port is kept in the kernel, next to its rules and changed
 * in the same transaction, because that is the one place both writers see
 * and the one that cannot disagree with the rules: vifguardctl's record
 * file is written after the transaction and can be missing, stale, or in
 * another --state-dir, and the daemon's store is not readable by the CLI.
 * A set rather than an element comment: the daemon's text, the dispatch
 * maps and the macvtap hook chains stay exactly as they are, and the mark
 * works the same for both attachments. Not counted in n_elements: it
 * filters nothing.
 */
int fw_port_mark_ctl(struct fw_port *p)
{
	char set[128];

	snprintf(set, sizeof(set), "add set %s " FW_TABLE " " FW_CTL_SET " { type ifname; }\n",
		 fw_l2_layouts[p->attach].family);
	return add_to_set(p, set, FW_CTL_SET);
}

int fw_port_add_learn6(struct fw_port *p, const char *const *addrs, size_t n, unsigned idle_s)
{
	struct strbuf add, del;
	int r;

	if (p->attach != FW_ATTACH_BRIDGE)
		return 0;
	r = add_to_set(p, "", "learn6-ports");
	if (r < 0)
		return r;
	p->n_elements++;
	strbuf_init(&add);
	strbuf_init(&del);
	strbuf_add(&add, p->elements_add);
	strbuf_add(&del, p->elements_del);
	/* an entry may have lapsed already: deleting it must not fail the transaction */
	for (size_t i = 0; i < n; i++) {
		strbuf_addf(&add,
			    "add element bridge " FW_TABLE " addr6 { \"%s\" . %s timeout %us }\n",
			    p->port, addrs[i], idle_s ? idle_s : FW_IPV6_IDLE_DEFAULT_S);
		strbuf_addf(&del,
			    "add element bridge " FW_TABLE " addr6 { \"%s\" . %s timeout 1s }\n"
			    "delete element bridge " FW_TABLE " addr6 { \"%s\" . %s }\n",
			    p->port, addrs[i], p->port, addrs[i]);
	}
	if (take_elements(p, &add, &del) < 0)
		return -ENOMEM;
	p->n_elements += (unsigned)n;
	return 0;
}
