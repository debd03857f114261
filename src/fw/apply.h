/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Applies compiled ports to the kernel through libnftables (the only
 * libnftables user). Each call is one nftables transaction: a port gets
 * all of its rules or none, and a failure leaves the kernel as it was.
 */
#pragma once

#include <limits.h>
#include <stdbool.h>

#include "fw/compile.h"
#include "fw/record.h"
#include "util/err.h"

struct fw_ctx;

/*
 * An nftables context. The base tables it adds (on the first port that
 * needs them) copy learning frames to nflog_group; FW_NFLOG_GROUP_KEEP
 * keeps the group the kernel's tables already use (FW_NFLOG_GROUP_DEFAULT
 * for new ones): for a writer that does not learn, such as vifguardctl.
 */
#define FW_NFLOG_GROUP_KEEP UINT_MAX
int fw_open(unsigned nflog_group, struct fw_ctx **ret, struct err *err);
/*
 * Calls fn with every port's count of dropped frames for each reason that
 * has one, in both layer-2 tables (a port counts in the table it is
 * attached to; a quarantined one in the netdev table). Returns how many
 * counts, or -errno with err filled.
 */
typedef void fw_drop_fn(const char *port, enum fw_drop_reason reason, bool is_to_vm,
			uint64_t packets, uint64_t bytes, void *userdata);
int fw_list_drops(struct fw_ctx *ctx, fw_drop_fn *fn, void *userdata, struct err *err);

/*
 * Calls fn with every (port, IPv6 address) the IPv6 gate holds: the
 * addresses learned and used within their idle time. Returns how many;
 * -ENOENT when there is no gate.
 */
int fw_list_addr6(struct fw_ctx *ctx, void (*fn)(const char *port, const char *addr, void *),
		  void *userdata, struct err *err);
/* The NFLOG group of the drop log's samples (0: none); FW_NFLOG_GROUP_KEEP: the table's. */
void fw_set_drop_log_group(struct fw_ctx *ctx, unsigned group);
/*
 * Makes the drop chains of the layer-2 tables that exist log to the group set
 * above (or not at all, 0), as after a restart with another drop_log_group:
 * rewritten in one transaction only when they differ; counts are kept.
 */
int fw_drops_sync(struct fw_ctx *ctx, struct err *err);
/* The idle time of the IPv6 gate's entries (the base's refresh rule); 0: the default. */
void fw_set_ipv6_idle(struct fw_ctx *ctx, unsigned idle_s);
struct fw_ctx *fw_close(struct fw_ctx *ctx);

/*
 * Adds port p, or replaces what old (may be NULL) put there, in one
 * transaction; the old template is removed afterwards when no port uses it
 * any more. On success *ret_record (may be NULL) describes the new state;
 * caller frees. -errno with "port P: nft: <nft's message>" on failure.
 */
int fw_apply_port(struct fw_ctx *ctx, const struct fw_port *p, const struct fw_record *old,
		  struct fw_record **ret_record, struct err *err);

/*
 * The same for n ports in one transaction (ports[i] replacing olds[i], which
 * may be NULL): all of them or none. ret_records (may be NULL) gets n
 * records, caller frees each.
 */
int fw_apply_ports(struct fw_ctx *ctx, size_t n, const struct fw_port *const *ports,
		   const struct fw_record *const *olds, struct fw_record **ret_records,
		   struct err *err);

/*
 * fw_apply_port(), except that when old's rules are no longer in the kernel
 * (a reboot, a flush, a crash after a commit: deleting them fails), p is
 * added where missing (fw_repair_ports) and *ret_was_lost says so.
 */
int fw_replace_port(struct fw_ctx *ctx, const struct fw_port *p, const struct fw_record *old,
		    struct fw_record **ret_record, bool *ret_was_lost, struct err *err);

/*
 * Makes the kernel hold what the n ports say, whatever of it is left after
 * someone else changed the tables: the base tables, each template's chains
 * (flushed and refilled) and sets, and every port's elements, in one
 * transaction that changes nothing that is already right (elements are
 * added, never replaced). Forgets what the context believed first. Fails
 * when something of ours was replaced by something else (a dispatch
 * element with another verdict).
 */
int fw_repair_ports(struct fw_ctx *ctx, size_t n, const struct fw_port *const *ports,
		    struct err *err);

/*
 * Whether the kernel enforces what rec says: the port's dispatch sends it
 * to the template rec names, every element rec would delete is there, and
 * so is every chain of its template (a dry-run transaction: the kernel
 * checks, nothing changes). 1 when so; 0 and a reason in problem when not;
 * -errno when nft cannot be asked. Call fw_verify_begin() first, once for
 * any number of ports: it drops cached listings.
 */
void fw_verify_begin(struct fw_ctx *ctx);
int fw_verify_port(struct fw_ctx *ctx, const struct fw_record *rec, char *problem, size_t size);

/*
 * Whether stateful (layer 3/4) rules can match in this network namespace:
 * they see bridged frames only through br_netfilter, with
 * net.bridge.bridge-nf-call-iptables=1. False also when br_netfilter is
 * not loaded (the sysctl does not exist).
 */
bool fw_stateful_sees_bridged(void);
#define FW_STATEFUL_WARNING                                                                       \
	"its stateful rules never match bridged frames here: net.bridge.bridge-nf-call-iptables " \
	"is 0 or br_netfilter is not loaded (modprobe br_netfilter; sysctl -w "                   \
	"net.bridge.bridge-nf-call-iptables=1)"

/* Tells the context a template exists (found in place at start-up): saves a kernel lookup. */
void fw_note_template(struct fw_ctx *ctx, const char *id);

/* True when the kernel's dispatch map sends the port to the template its record names. */
bool fw_port_present(struct fw_ctx *ctx, const struct fw_record *rec);

/* Who applied the rules the kernel holds for a port. */
enum fw_owner {
	FW_OWNER_NONE,   /* none: the port is in no dispatch map and has no hook chain */
	FW_OWNER_DAEMON, /* dispatched without the vifguardctl mark: vifguardd bound it */
	FW_OWNER_CTL,    /* dispatched and marked by fw_port_mark_ctl: vifguardctl apply */
};

/*
 * Reads from the kernel who owns port's rules, on a bridge or a macvtap.
 * -errno with a message when nft cannot list the tables.
 */
int fw_port_owner(struct fw_ctx *ctx, const char *port, enum fw_owner *ret, struct err *err);

/*
 * Chooses the id port carries in the packet mark, so that no two ports
 * share one whoever bound them. The kernel's l3-in-ids map is what both
 * writers (vifguardd, vifguardctl apply) see: it holds the id of every
 * port with stateful rules. known (may be NULL) adds the ids the caller has
 * handed out that are not in the kernel (ports without stateful rules yet);
 * it must not hold port's own. *ret_id is want when no other port holds it,
 * else the id the kernel already has for port, else the smallest free id.
 * -ENOSPC when all are taken; -errno when nft cannot list the map.
 * XXX: two writers choosing at the same moment can still pick the same id;
 * nothing serializes vifguardd and vifguardctl.
 */
/*
 * True when vifguardctl apply put the port's rules there (its mark set in
 * the table of attach): the daemon's bind check, which reads only that
 * small set, never the dispatch map, so that a bind costs the same at any
 * number of ports.
 */
int fw_port_is_ctl(struct fw_ctx *ctx, const char *port, enum fw_attach attach, bool *ret,
		   struct err *err);

int fw_port_id_allocate(struct fw_ctx *ctx, const char *port, unsigned want,
			const struct fw_port_ids *known, unsigned *ret_id, struct err *err);

/*
 * Removes a port's elements. With may_be_last, also tries to remove its
 * template, which the kernel refuses while another port still jumps to it;
 * callers that know other ports use the template save that attempt.
 */
int fw_remove_port(struct fw_ctx *ctx, const struct fw_record *rec, bool may_be_last,
		   struct err *err);

/*
 * Forgets the port's entries in the learning rate limiters (they would
 * expire within a minute anyway). Best effort: an entry that already
 * expired is not an error.
 */
void fw_forget_rates(struct fw_ctx *ctx, const char *port, enum fw_attach attach);

/*
 * Replaces the guard rules (fw_guard_add), with the base table, in one
 * transaction: run at start and after a repair.
 */
int fw_apply_guard(struct fw_ctx *ctx, const struct fw_guard *g, struct err *err);
/* Adds port to (or takes it from) the ports the guard drops until bound. */
int fw_unbound_port(struct fw_ctx *ctx, const char *port, bool is_unbound, struct err *err);

/* Runs arbitrary nft statements as one transaction (tests and tools). */
int fw_run(struct fw_ctx *ctx, const char *statements, struct err *err);

static inline void fw_closep(struct fw_ctx **ctx)
{
	*ctx = fw_close(*ctx);
}
