/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Concrete rules -> nftables text (pure).
 *
 * Layout (docs/design.md has the picture): one bridge table "vifguard" with
 * two base chains that dispatch a frame by its port with one verdict-map
 * lookup (iifname for frames from the VM, oifname for frames to it). A
 * port jumps into the chains of its *template*: the compiled form of its
 * filter tree with every variable replaced by a lookup in a set keyed by
 * the port (iifname . ip saddr @set). Ports bound to the same filter tree
 * share one template, so binding a port adds only map and set elements: its
 * cost does not grow with the number of ports, and neither does the cost of
 * a packet. The template's name is a hash of its text.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "filter/instantiate.h"
#include "util/err.h"

#define FW_TABLE "vifguard"

/* The NFLOG group learning copies frames to, unless configured otherwise. */
#define FW_NFLOG_GROUP_DEFAULT 3710

struct strbuf;

/*
 * How a port's frames reach its rules. A tap or veth on a bridge: the
 * bridge table's hooks. A macvtap (libvirt's type='direct', a binding with
 * a linkdev) is on no bridge: the netdev table, through an egress and an
 * ingress chain hooked on the device itself. Stateful rules need a bridge.
 */
enum fw_attach {
	FW_ATTACH_BRIDGE,
	FW_ATTACH_NETDEV,
};

/* The compiled form of one port. All text is nft syntax, one statement per line. */
struct fw_port {
	char *port; /* owned: the port (interface) name */
	enum fw_attach attach;
	unsigned port_id;   /* its id in the packet mark (stateful rules only) */
	char *template_id;  /* owned: "t" + hex hash of the template */
	char *template_add; /* owned: creates the template's sets, chains and rules */
	char *template_del; /* owned: removes them again */
	/* owned, or NULL: a learning port's template once learned, created ahead (then
	 * template_add and template_del are that template's) */
	char *prepared_id;
	char *elements_add;  /* owned: the port's dispatch and set elements */
	char *elements_del;  /* owned: deletes exactly those elements */
	bool needs_inet;     /* has stateful rules: needs fw_base_inet_add() */
	unsigned n_rules;    /* rules in the template */
	unsigned n_elements; /* set elements of the port */
};

/*
 * Appends the statements that create the base bridge table (idempotent:
 * safe to run again); its learning chains copy frames to nflog_group. An
 * allocation failure is left in sb (strbuf_error).
 */
struct fw_base_opts {
	unsigned nflog_group;    /* where learning copies frames */
	unsigned ipv6_idle_s;    /* an unused learned IPv6 address lapses; 0: the default */
	unsigned drop_log_group; /* where samples of dropped frames go; 0: none */
};
void fw_base_add(struct strbuf *sb, const struct fw_base_opts *o);

/* How long an IPv6 address a port learned stays in the gate unused, unless configured. */
#define FW_IPV6_IDLE_DEFAULT_S 3600
/*
 * Ports no binding covers, on a bridge: dropped in both directions when
 * their name matches a pattern ("vnet*": a trailing '*' matches any rest,
 * as nftables matches interface names) or is in the set unbound-ports,
 * unless it matches a trusted name first. The kernel does this by itself:
 * a port that matches a pattern is dropped from its first frame, whether
 * or not the daemon runs.
 */
#define FW_GUARD_NAMES_MAX     64
struct fw_guard {
	const char *patterns[FW_GUARD_NAMES_MAX];
	size_t n_patterns;
	const char *trusted[FW_GUARD_NAMES_MAX];
	size_t n_trusted;
	bool has_unbound; /* some bridge is guarded: ports may be put in unbound-ports */
};
/* Appends the statements that replace the guard rules (needs the base). */
void fw_guard_add(struct strbuf *sb, const struct fw_guard *g);
/* The same for the netdev table of macvtap ports (FW_ATTACH_NETDEV). */
void fw_base_netdev_add(struct strbuf *sb, const struct fw_base_opts *o);

/* The NFLOG group of the drop log, unless configured otherwise. */
#define FW_DROP_LOG_GROUP_DEFAULT 3711

/*
 * Why a frame was dropped: each reason is a counter in the kernel per port
 * and direction (the element PORT . FW_DROP_KEY(reason, is_to_vm) of set
 * FW_DROP_SET of each layer-2 table: drops.c).
 */
enum fw_drop_reason {
	FW_DROP_SOURCE_MAC,      /* no-mac-spoofing; a learning VM's frame from another MAC */
	FW_DROP_SOURCE_IP,       /* no-ip-spoofing, no-ipv6-spoofing, no-ipv6-source-spoofing */
	FW_DROP_ARP_SPOOFING,    /* no-arp-*-spoofing, no-other-rarp-traffic */
	FW_DROP_NDP_SPOOFING,    /* no-ndp-spoofing */
	FW_DROP_OTHER_ETHERTYPE, /* no-other-l2-traffic */
	FW_DROP_ROGUE_DHCP, /* no-dhcp-server, no-dhcpv6-server; untrusted replies to learners */
	FW_DROP_ROGUE_RA,   /* no-ipv6-ra */
	FW_DROP_FILTER,     /* any other filter's drop or reject */
	FW_DROP_LEARNING,   /* a learning port's frame, before its address is in */
	FW_DROP_BLOCKED,    /* learning failed: everything, until relearn */
	FW_DROP_QUARANTINE, /* its MAC changed or it left its bridge */
	FW_DROP_UNBOUND,    /* a port no binding covers (guard_ports, guard_bridge) */
	_FW_DROP_MAX,
};
extern const char *const fw_drop_reason_names[_FW_DROP_MAX];
#define FW_DROP_SET                   "drops"
#define FW_DROP_KEY(reason, is_to_vm) ((unsigned)(reason)*2u + ((is_to_vm) ? 1u : 0u))
/* The reason a drop rule of filter counts as (a built-in filter's, else FW_DROP_FILTER). */
enum fw_drop_reason fw_drop_reason_of(const char *filter);
/* Appends "goto drop-REASON-o" (is_out: from the VM) or "-i". */
void fw_drop_verdict(struct strbuf *sb, enum fw_drop_reason reason, bool is_out);
/* Appends the statements that delete port's counters (after its binding went). */
void fw_drops_forget(struct strbuf *sb, enum fw_attach attach, const char *port);
/* The same for the inet table of stateful rules; only needed by ports that have them. */
void fw_base_inet_add(struct strbuf *sb);

/* Whether name is a variable whose values can be leased: one learning fills (IP, IPV6). */
bool fw_is_lease_var(const char *name);

/* The longest element timeout the kernel takes: it counts in 32-bit milliseconds. */
#define FW_TIMEOUT_MAX_S 4294967u

/*
 * A value of a lease variable that the kernel drops by itself after expires_in_s
 * (a DHCP lease), at most FW_TIMEOUT_MAX_S.
 */
struct fw_lease {
	const char *address; /* as written in the variable's value */
	unsigned expires_in_s;
};

struct fw_compile_opts {
	enum fw_attach attach;
	/* 1-65535, unique among bound ports: the port in the packet mark; only used, and only
	 * required, when the filters have stateful (layer 3/4) rules */
	unsigned port_id;
	const struct fw_lease *leases; /* borrowed, n_leases; may be NULL */
	size_t n_leases;
	bool is_uncounted; /* drops are plain drops, not counted per reason (drop_counters = no) */
};

/*
 * Compiles a complete instance for port. Every set that holds a lease variable
 * has timeouts, so the template is the same with or without leases; a
 * leased value's elements carry their timeout. Returns 0 and *ret (caller
 * frees with fw_port_free); -EINVAL when a value of a variable does not fit
 * the attribute it is used in, or the rule cannot be expressed in nftables
 * (the message names the port, the filter, the attribute and the value);
 * -ENOMEM.
 */
int fw_compile(const struct instance *inst, const char *port, const struct fw_compile_opts *opts,
	       struct fw_port **ret, struct err *err);

/*
 * A port that is learning its address: its frames go through the shared
 * learning chains (dhcp: only DHCP, from the VM's MAC, replies only from
 * trusted servers — any server when n_servers is 0; any: also the VM's ARP
 * and IPv4, and ARP/IPv4 to its MAC), and the frames that matter are copied
 * to the NFLOG group. Only elements: constant cost per port.
 */
int fw_compile_learning(const char *port, enum fw_attach attach, const uint8_t mac[MAC_LEN],
			bool is_dhcp_only, const uint8_t (*servers)[4], size_t n_servers,
			struct fw_port **ret, struct err *err);
/*
 * Gives learning port p the template full uses (the port's rules once its
 * address is learned), so that applying p creates it: the learn then adds
 * only elements. Frees full.
 */
void fw_port_prepare(struct fw_port *p, struct fw_port *full);
/* The template whose removal p's template_del is: prepared_id, else template_id. */
const char *fw_port_template(const struct fw_port *p);
/* The template ids of ports whose dispatch is a plain drop. */
#define FW_TEMPLATE_BLOCKED    "blocked"
#define FW_TEMPLATE_QUARANTINE "quarantine"

/* A port that drops everything in both directions (learning failed). */
int fw_compile_blocked(const char *port, enum fw_attach attach, struct fw_port **ret,
		       struct err *err);
/*
 * A quarantined port: every frame dropped in both directions by netdev
 * hooks on the port itself, whether it is on a bridge or not.
 */
int fw_compile_quarantine(const char *port, bool is_bridge_port, struct fw_port **ret,
			  struct err *err);
/* The name of a macvtap port's egress chain (FW_ATTACH_NETDEV); caller frees; NULL: no memory. */
char *fw_hook_chain_name(const char *port);
/*
 * Adds IPv6 learning to a compiled bridge port: frames from a source not in
 * addrs (the port's learned IPv6 addresses, as text) are copied to the
 * NFLOG group and dropped, DAD and DHCPv6 client messages copied and passed
 * on to its rules, DHCPv6 replies towards it copied. Each address lapses
 * after idle_s without a frame from it. -ENOMEM.
 */
int fw_port_add_learn6(struct fw_port *p, const char *const *addrs, size_t n, unsigned idle_s);
/* Adds DHCP snooping to a compiled port: its DHCP keeps being copied after learning. */
int fw_port_add_snoop(struct fw_port *p);

/* The set of the ports vifguardctl applied (fw_port_owner in apply.h reads it). */
#define FW_CTL_SET "ctl-ports"

/*
 * Marks a compiled port as applied by vifguardctl: its elements also put it
 * in the FW_CTL_SET set of its table, and its removal takes it out. -ENOMEM.
 */
int fw_port_mark_ctl(struct fw_port *p);

struct fw_port *fw_port_free(struct fw_port *p);

static inline void fw_port_freep(struct fw_port **p)
{
	*p = fw_port_free(*p);
}
