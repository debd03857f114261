/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The engine: every decision of the daemon, and nothing else. It holds the
 * bound ports and the filters in force; an input (a request, a parsed
 * learning frame, a link event, a stored binding at start-up, a tick, the
 * result of an apply) goes in with the monotonic time, and a list of
 * actions comes out: compiled rules to apply, rules to remove, store writes,
 * a port to set down, events. The daemon carries them out (daemon.c) and
 * tells the engine what each apply did (ENGINE_IN_APPLIED), which decides
 * what follows.
 *
 * Pure: no I/O, no clock, no library; time is the caller's monotonic
 * seconds. Wall-clock times (a lease end, learned_at) are converted by the
 * caller where they are stored or shown, so a clock step can neither block
 * a learning port nor stretch a lease.
 *
 * Only the engine sees struct engine_port; others get engine_port_info.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "filter/filter.h"
#include "filter/filterset.h"
#include "fw/apply.h"
#include "fw/compile.h"
#include "learn/policy.h"
#include "link/link.h"
#include "util/err.h"
#include "util/strbuf.h"

enum engine_port_state {
	ENGINE_PORT_NEW,
	ENGINE_PORT_LEARNING,
	ENGINE_PORT_ACTIVE,
	ENGINE_PORT_FAILED,
	ENGINE_PORT_QUARANTINED, /* its MAC changed or it left its bridge: everything dropped */
	ENGINE_PORT__MAX,
};

extern const char *const engine_port_state_names[ENGINE_PORT__MAX];

enum engine_event_type {
	ENGINE_EVENT_BINDING_CREATED,
	ENGINE_EVENT_BINDING_DELETED,
	ENGINE_EVENT_BINDING_UPDATED,
	ENGINE_EVENT_PORT_GONE,
	ENGINE_EVENT_PORT_RENAMED,
	ENGINE_EVENT_PORT_FAILED,
	ENGINE_EVENT_FILTER_DEFINED,
	ENGINE_EVENT_FILTER_UNDEFINED,
	ENGINE_EVENT_RELOADED,
	ENGINE_EVENT_LEARNING,
	ENGINE_EVENT_LEARNED,
	ENGINE_EVENT_RENEWED,
	ENGINE_EVENT_ADDRESS_REMOVED,
	ENGINE_EVENT_EXPIRED,
	ENGINE_EVENT_CONFLICT,
	ENGINE_EVENT_LIMIT,
	ENGINE_EVENT_RULES_RESTORED,
	ENGINE_EVENT_QUARANTINED,
	ENGINE_EVENT_QUARANTINE_LIFTED,
	ENGINE_EVENT_DROPPED, /* a sample of a dropped frame: the daemon's drop log, not the engine
			       */
	ENGINE_EVENT__MAX,
};

extern const char *const engine_event_names[ENGINE_EVENT__MAX];

/* An address a port owns: learned, or restored from the store. Times are monotonic seconds. */
struct engine_addr {
	uint8_t ip[16]; /* IPv4: the first 4 bytes */
	bool is_ipv6;
	enum learn_source source;
	bool has_server;
	uint8_t server[4]; /* the DHCP server that granted it */
	bool has_lease;
	int64_t lease_end; /* when has_lease */
	int64_t learned_at;
	/* IPv6 taught by DAD or traffic: when its kernel entry was last put in (idle expiry) */
	int64_t refreshed_at;
};

/* One IPv6 address a port has in the kernel's gate (ENGINE_IN_ADDR6_PRESENT). */
struct engine_addr6_present {
	char port[16]; /* IFNAMSIZ */
	uint8_t ip[16];
};

/* ---- inputs ----------------------------------------------------------- */

enum engine_input_type {
	ENGINE_IN_BIND,          /* bind: binding, link */
	ENGINE_IN_UNBIND,        /* port */
	ENGINE_IN_RELEARN,       /* port */
	ENGINE_IN_FILTERS,       /* filters: a new effective filter set */
	ENGINE_IN_RESTORE,       /* restore: one stored binding at start-up */
	ENGINE_IN_FRAME,         /* frame: one parsed learning record */
	ENGINE_IN_FLUSH,         /* the end of one capture read: apply what it taught */
	ENGINE_IN_LINK,          /* link: a link appeared, changed or was listed */
	ENGINE_IN_LINK_GONE,     /* link.ifindex disappeared */
	ENGINE_IN_LINK_DUMP,     /* dump: a complete listing ended; ports not in it are gone */
	ENGINE_IN_BRIDGE_ADDRS,  /* bridge: the IPv4 addresses of a bridge, read after a change */
	ENGINE_IN_BRIDGE_ADDRS6, /* bridge: its IPv6 addresses (addrs6), read at a bind or change */
	ENGINE_IN_REPAIR,  /* someone else changed the tables: every port's rules again, in place */
	ENGINE_IN_TICK,    /* lease ends and learning timeouts */
	ENGINE_IN_APPLIED, /* applied: what an ENGINE_ACT_APPLY did */
	/* present: the IPv6 addresses the kernel's gate still holds; the others lapsed from
	 * disuse */
	ENGINE_IN_ADDR6_PRESENT,
};

enum engine_filters_cause {
	ENGINE_FILTERS_DEFINE,   /* name was defined or redefined */
	ENGINE_FILTERS_UNDEFINE, /* name was undefined */
	ENGINE_FILTERS_RELOAD,   /* the directories were read again */
};

/* A stored binding, as the store and the kernel have it at start-up. */
struct engine_restore {
	struct binding *binding; /* taken */
	unsigned port_id;
	int ifindex; /* at bind time; 0: unknown */
	bool has_mac;
	uint8_t mac[6];            /* the port's own MAC at bind time */
	struct fw_record *record;  /* taken; what the kernel held, or NULL */
	bool is_record_present;    /* the kernel's dispatch map still has record */
	const char *failed_reason; /* or NULL */
	bool was_learning;         /* learning_since below is valid */
	int64_t learning_since;    /* monotonic */
	int64_t created_at;        /* monotonic */
	const struct engine_addr *addrs;
	size_t n_addrs;
	bool has_link; /* the port exists now: link */
	struct link_info link;
	const uint8_t (*bridge_addrs)[4]; /* as for a bind */
	size_t n_bridge_addrs;
};

struct engine_input {
	enum engine_input_type type;
	union {
		struct {
			struct binding *binding; /* taken, also on failure */
			unsigned port_id;        /* free in the kernel too; 0: the engine picks */
			bool is_ctl_port; /* the kernel holds rules vifguardctl apply put there */
			/* a failure once the port was found leaves it up (else: set down) */
			bool keeps_up_on_failure;
			bool has_link; /* false: link_error says why */
			struct link_info link;
			int link_error;
			/* the IPv4 addresses of the port's bridge: nobody may learn or be given
			 * them */
			const uint8_t (*bridge_addrs)[4];
			size_t n_bridge_addrs;
			/* learned on another host (a live migration's export): in force at once,
			 * checked as a learned address is; times are the engine's */
			const struct engine_addr *imported;
			size_t n_imported;
		} bind;
		const char *port;
		struct {
			struct filter_set *set; /* taken, also on failure */
			enum engine_filters_cause cause;
			const char *name; /* DEFINE, UNDEFINE */
			const char *xml;  /* DEFINE: the canonical XML to store */
			/* a port whose new rules cannot be applied keeps its old ones (else:
			 * it fails and is set down) */
			bool keeps_old_rules;
		} filters;
		struct engine_restore restore;
		struct engine_frame_in {
			int ifindex; /* the port it belongs to */
			enum learn_dir dir;
			int from_ifindex; /* where it entered the bridge; 0: unknown (outside) */
			const struct learn_frame *frame;
		} frame;
		struct link_info link;
		struct {
			const int *ifindexes;
			size_t n;
		} dump;
		struct {
			int ifindex;
			const uint8_t (*addrs)[4];
			const uint8_t (*addrs6)[16]; /* BRIDGE_ADDRS6 */
			size_t n;
		} bridge;
		struct {
			const char *port;
			int r;                    /* < 0: failed, error says why */
			const char *error;        /* or NULL */
			struct fw_record *record; /* taken: what the kernel holds now (r >= 0) */
		} applied;
		struct {
			const struct engine_addr6_present *v;
			size_t n;
		} present;
	};
};

/* ---- actions ---------------------------------------------------------- */

enum engine_action_type {
	ENGINE_ACT_STORE_BINDING,   /* save the binding: port, binding, state, port_id, ifindex, mac
				     */
	ENGINE_ACT_STORE_STATE,     /* port, state, note */
	ENGINE_ACT_STORE_RECORD,    /* port, port_id, record */
	ENGINE_ACT_STORE_UNBIND,    /* port: the binding and its addresses */
	ENGINE_ACT_STORE_ADDR,      /* port, addr: add, or a renewal */
	ENGINE_ACT_STORE_ADDR_DEL,  /* port, addr.ip */
	ENGINE_ACT_STORE_ADDRS_DEL, /* port: every address */
	ENGINE_ACT_STORE_FILTER,    /* filter, message: the canonical XML of a defined filter */
	ENGINE_ACT_STORE_FILTER_DEL, /* filter */
	ENGINE_ACT_APPLY,            /* compiled replaces old (may be NULL); answer with APPLIED */
	ENGINE_ACT_REMOVE,        /* record: remove the port's rules; is_last: its template too */
	ENGINE_ACT_NOTE_TEMPLATE, /* record: found in place, its template exists */
	ENGINE_ACT_SET_DOWN,      /* port: fail closed */
	ENGINE_ACT_EVENT,         /* event, port, filter, message, address, timestamp */
};

/*
 * One action. Strings and records are owned by the action unless noted;
 * borrowed pointers stay valid until the next engine_handle().
 */
struct engine_action {
	enum engine_action_type type;
	char *port;
	char *filter;
	enum engine_port_state state;
	char *note;                    /* STORE_STATE: why failed; or NULL */
	const struct binding *binding; /* STORE_BINDING: borrowed */
	unsigned port_id;
	int ifindex;
	uint8_t mac[6];
	const struct fw_record *record; /* STORE_RECORD, APPLY (old): borrowed; may be NULL */
	struct fw_record *owned_record; /* REMOVE, NOTE_TEMPLATE */
	struct fw_port *compiled;       /* APPLY */
	bool is_repair;                 /* APPLY: add what is missing (fw_repair_ports), no old */
	bool is_last;                   /* REMOVE: no other port uses its template */
	bool forget_rates;              /* REMOVE: the port learned: clear its rate limiters */
	enum fw_attach attach;          /* REMOVE */
	struct engine_addr addr;        /* STORE_ADDR, STORE_ADDR_DEL */
	enum engine_event_type event;
	char *message;
	char *address;      /* EVENT: the address it is about, or NULL */
	bool has_timestamp; /* EVENT learned: frame's time, wall-clock microseconds */
	int64_t timestamp_us;
	const char *latency_from; /* "kernel" or "daemon"; static */
};

struct engine_actions {
	struct engine_action *v;
	size_t n, cap;
	int r; /* the first error of the input that produced them */
	struct err err;
	/* ports whose rebuild failed (set down, or keeping their previous rules): "port: why; ..."
	 */
	struct strbuf failures;
};

void engine_actions_init(struct engine_actions *a);
/* Frees every action and empties the list. */
void engine_actions_fini(struct engine_actions *a);

/* ---- the engine -------------------------------------------------------- */

#define ENGINE_MAX_ADDRS_DEFAULT   16
#define ENGINE_IPV6_IDLE_DEFAULT_S 3600

struct engine_config {
	int learn_timeout_s; /* default learning timeout; 0: none */
	unsigned nflog_group;
	size_t max_addrs; /* learned addresses per port and family; 0: ENGINE_MAX_ADDRS_DEFAULT */
	/* an IPv6 address taught by DAD or traffic lapses unused this long; 0: the default */
	int ipv6_idle_s;
	bool is_uncounted; /* drop_counters = no: templates drop without counting */
	/* addresses nobody may learn or be given (the bridge's, routers'): borrowed for engine_new
	 */
	const uint8_t (*protected_addrs)[4];
	size_t n_protected;
	const uint8_t (*protected6)[16]; /* the same for IPv6, borrowed for engine_new */
	size_t n_protected6;
};

struct engine_learn_stats {
	uint64_t n_records;
	uint64_t n_unknown_port; /* records for ports that are not bound or not learning */
	uint64_t verdicts[_LEARN_VERDICT_MAX];
	uint64_t drops[_LEARN_DROP_MAX];
};

struct engine;

/* Takes filters (the effective set), also on failure. */
int engine_new(const struct engine_config *cfg, struct filter_set *filters, struct engine **ret);
struct engine *engine_free(struct engine *e);

/*
 * Handles one input at monotonic time now (seconds); appends what must be
 * done to *out, in order. Returns < 0 when the input is refused or failed
 * (out->err says why; actions may still have been appended: a port set down
 * must be set down). An ENGINE_IN_FRAME's rules wait for ENGINE_IN_FLUSH, so
 * that one capture read is one transaction.
 */
int engine_handle(struct engine *e, const struct engine_input *in, int64_t now,
		  struct engine_actions *out);

/* How a port's frames reach its rules: a macvtap (or a binding with a linkdev) by its own hooks. */
enum fw_attach engine_port_attach(const struct binding *b, const struct link_info *link);

/* Counts a capture record that could not be parsed (reason: a learn_drop). */
void engine_count_unparsed(struct engine *e, int reason);

/* ---- read-only views ------------------------------------------------- */

struct engine_port_info {
	const struct binding *binding;
	enum engine_port_state state;
	const char *template_id;        /* or NULL */
	const struct fw_record *record; /* what the kernel should hold for it, or NULL */
	const char *note;               /* or NULL */
	enum fw_attach attach;
	int ifindex;
	int master; /* its bridge's ifindex; 0: none */
	unsigned port_id;
	int64_t created_at; /* monotonic */
	const struct engine_addr *addrs;
	size_t n_addrs;
	const struct engine_addr *addrs6;
	size_t n_addrs6;
	bool learns;
	bool learns6; /* the binding gives no IPV6 and the filters use it */
	enum learn_mode learn_mode;
	int64_t learning_since; /* monotonic; while learning */
	int learn_timeout_s;
	const uint8_t (*servers)[4];
	size_t n_servers;
};

size_t engine_port_count(const struct engine *e);
/* The i-th port in name order; false past the end. */
bool engine_port_get(const struct engine *e, size_t i, struct engine_port_info *ret);
bool engine_port_find(const struct engine *e, const char *name, struct engine_port_info *ret);
const struct filter_set *engine_filters(const struct engine *e);
const struct engine_learn_stats *engine_learn_stats(const struct engine *e);
/* The number of bindings whose filter tree uses filter name. */
unsigned engine_filter_users(const struct engine *e, const char *name);

/*
 * Checks a filter about to be defined against the set in force: libvirt's
 * UUID rules (a definition without <uuid> keeps the old one: f's is set),
 * and no reference loop.
 */
int engine_filter_check(const struct engine *e, struct filter *f, struct err *err);
