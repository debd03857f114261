/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the engine's files share; nothing outside src/engine includes this. */
#pragma once

#include "engine/engine.h"

/* What an outstanding apply is for: it says what follows its result. */
enum apply_purpose {
	APPLY_NONE,
	APPLY_CREATE,  /* a new binding: on failure the binding goes, the request fails */
	APPLY_SETTLE,  /* addresses changed, learning restarted, restored: failure sets it down */
	APPLY_BLOCK,   /* learning timed out: failure sets it down */
	APPLY_REBUILD, /* the filters changed: failure keeps the old rules */
	APPLY_REPAIR,  /* the kernel lost some of the rules: failure sets it down */
};

/* An event that is emitted once the port's rules are in. */
struct pending_event {
	enum engine_event_type type;
	char *message;
	char *address;
	bool has_timestamp;
	int64_t timestamp_us;
	const char *latency_from;
};

struct engine_port {
	struct binding *binding; /* owned; binding->portdev is the port's name */
	enum engine_port_state state;
	unsigned port_id;
	struct fw_record *record; /* what the kernel holds for it; NULL when nothing */
	int ifindex;
	enum fw_attach attach;
	int master;     /* the ifindex of its bridge; 0: none */
	uint8_t mac[6]; /* the port's own (host side) MAC, to notice a replacement */
	char *note;     /* why the port is failed, or why its rules are stale; or NULL */
	int64_t created_at;
	bool learns;              /* the binding gives no IP */
	bool is_blocked;          /* learning failed: everything is dropped until relearn */
	bool is_quarantined;      /* its MAC changed or it left its bridge: note says which */
	bool keeps_up_on_failure; /* its create asked so: a failed first apply leaves it up */
	bool keeps_old_rules; /* the running rebuild asked so: its failure keeps the old rules */
	enum learn_mode learn_mode;
	uint8_t (*servers)[4];      /* owned; DHCPSERVER; n_servers == 0: any server */
	uint8_t (*bridge_addrs)[4]; /* owned: its bridge's addresses, protected */
	size_t n_bridge_addrs;
	uint8_t (*filter_given)[4]; /* owned: IP from a filter's <filterref>, not the binding */
	size_t n_filter_given;
	size_t n_servers;
	struct learn_xids xids;
	struct engine_addr *addrs; /* owned */
	size_t n_addrs;
	/* IPv6 learning (learning6.c): never a state of its own, the port keeps learning */
	bool learns6;
	struct engine_addr *addrs6; /* owned */
	size_t n_addrs6;
	struct learn_xids xids6; /* the DHCPv6 exchanges it started */
	uint8_t (*servers6)[16]; /* owned; DHCPSERVERV6; n_servers6 == 0: any server */
	size_t n_servers6;
	int64_t learning_since;
	int learn_timeout_s; /* 0: none */
	/* an apply is due (is_settling) or outstanding (purpose) */
	bool is_settling;
	enum apply_purpose purpose;
	enum engine_port_state next_state;
	unsigned n_elements;          /* of the rules asked for, for the events */
	struct pending_event *events; /* owned, emitted when the apply succeeded */
	size_t n_events;
};

struct engine {
	struct engine_config cfg;
	struct filter_set *filters; /* the effective set */
	struct engine_port **ports; /* sorted by name */
	size_t n_ports;
	struct engine_learn_stats stats;
	uint8_t (*protected_addrs)[4];   /* owned copy of cfg's, cfg.n_protected */
	uint8_t (*protected6)[16];       /* owned copy of cfg's, cfg.n_protected6 */
	struct engine_bridge6 *bridges6; /* owned: the IPv6 addresses of each bridge seen */
	size_t n_bridges6;
};

struct engine_bridge6 {
	int ifindex;
	uint8_t (*addrs)[16]; /* owned */
	size_t n;
};

/* engine.c */
struct engine_port *engine_port_lookup(const struct engine *e, const char *name);
struct engine_port *engine_port_by_ifindex(const struct engine *e, int ifindex);
int engine_port_insert(struct engine *e, struct engine_port *p);
struct engine_port *engine_port_take(struct engine *e, const char *name);
struct engine_port *engine_port_free(struct engine_port *p);
int engine_act(struct engine_actions *out, const struct engine_action *a);
/* Appends an event about port p (may be NULL; then filter names the filter). */
int engine_emit(struct engine_actions *out, enum engine_event_type type, const char *port,
		const char *filter, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
int engine_fail_input(struct engine_actions *out, int r, const struct err *err);
/* Copies a string into an action; NULL stays NULL. */
char *engine_strdup(const char *s);

void pending_events_clear(struct engine_port *p);

/* port.c: compiling a port and carrying out the results of its applies */
int port_compile(const struct engine *e, const struct filter_set *set, struct engine_port *p,
		 int64_t now, struct fw_port **ret, enum engine_port_state *ret_state,
		 struct err *err);
/* Compiles p now and asks for its rules; on a compile error the port fails (set down). */
int port_settle_now(struct engine *e, struct engine_port *p, int64_t now,
		    struct engine_actions *out);
int port_request_apply(struct engine_port *p, struct fw_port *compiled, enum apply_purpose purpose,
		       enum engine_port_state state, struct engine_actions *out);
int port_pending_event(struct engine_port *p, enum engine_event_type type, const char *address,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void port_fail(struct engine_port *p, const char *why, struct engine_actions *out);
int port_remove(struct engine *e, struct engine_port *p, struct engine_actions *out);
/*
 * Quarantines p (why: the reason, kept as its note) or lifts its
 * quarantine (why NULL): its rules follow at once. Nothing when it already
 * is as asked.
 */
int port_set_quarantine(struct engine *e, struct engine_port *p, const char *why, int64_t now,
			struct engine_actions *out);
/*
 * A rebuild of p that cannot be applied: reported in out->failures; the port
 * fails and is set down, or with keeps_old_rules keeps its previous rules.
 */
void port_rebuild_failed(struct engine_port *p, const char *why, struct engine_actions *out);
int port_store_binding(const struct engine_port *p, enum engine_port_state state,
		       struct engine_actions *out);
int engine_applied(struct engine *e, const struct engine_input *in, int64_t now,
		   struct engine_actions *out);
bool port_same_rules(const struct fw_port *compiled, const struct fw_record *rec);
int port_addr_add(struct engine_port *p, const struct engine_addr *a);
/* Keeps a copy of the port's bridge's addresses: -ENOMEM. */
int port_set_bridge_addrs(struct engine_port *p, const uint8_t (*addrs)[4], size_t n);

/* bind.c: requests about bindings, link events, start-up */
int engine_bind(struct engine *e, const struct engine_input *in, int64_t now,
		struct engine_actions *out);
int engine_unbind(struct engine *e, const char *name, struct engine_actions *out);
int engine_restore(struct engine *e, const struct engine_restore *in, int64_t now,
		   struct engine_actions *out);
int engine_link(struct engine *e, const struct link_info *link, int64_t now,
		struct engine_actions *out);
int engine_link_gone(struct engine *e, int ifindex, struct engine_actions *out);
int engine_link_dump(struct engine *e, const int *ifindexes, size_t n, struct engine_actions *out);
/* Asks for every port that has rules to be put back where the kernel lost them. */
int engine_repair(struct engine *e, int64_t now, struct engine_actions *out);
/* A bridge's addresses changed: its ports protect the new list; a guest that learned one loses it.
 */
int engine_bridge_addrs(struct engine *e, int bridge, const uint8_t (*addrs)[4], size_t n,
			struct engine_actions *out);

/* learning6.c */
int engine_frame6(struct engine *e, struct engine_port *p, const struct engine_frame_in *in,
		  int64_t now, struct engine_actions *out);
int engine_addr6_present(struct engine *e, const struct engine_addr6_present *v, size_t n,
			 int64_t now, struct engine_actions *out);
void engine_tick6(struct engine_port *p, int64_t now, struct engine_actions *out);
int engine_bridge_addrs6(struct engine *e, int bridge, const uint8_t (*addrs)[16], size_t n,
			 struct engine_actions *out);
/* Why nobody may own ip (IPv6): a bridge's own, or protected_addresses; or NULL. */
const char *engine_ip6_protected(const struct engine *e, const uint8_t ip[16]);
/* The port other than self that owns ip (IPv6), learned or given; or NULL. */
struct engine_port *engine_ip6_owner(const struct engine *e, const struct engine_port *self,
				     const uint8_t ip[16]);
/* DHCPSERVERV6 of the binding, parsed into p->servers6: -EINVAL names a bad value. */
int port_servers6(struct engine_port *p, struct err *err);

/* learning.c */
/* A claim of ip refused, with a conflict event, when owner or why (protected) is set: true. */
bool engine_claim_refused(const struct engine_port *p, enum learn_source source, const char *ip,
			  const struct engine_port *owner, const char *why,
			  struct engine_actions *out);
/* The learned event just made pending on p runs from the frame's timestamp. */
void engine_stamp_learned(struct engine_port *p, const struct learn_frame *f);
/* The index of ip (family 4 or 6) in v[n], or -1. */
ssize_t engine_addr_index(const struct engine_addr *v, size_t n, int family, const uint8_t *ip);
/* Whether p's binding gives ip as a value of IP (family 4) or IPV6 (6). */
bool engine_binding_gives(const struct engine_port *p, int family, const uint8_t *ip);
/* Whether a DHCP or DHCPv6 reply that entered at from_ifindex may teach p. */
bool engine_is_trusted_place(const struct engine *e, const struct engine_port *p, int from_ifindex);
/* The port other than self that owns ip, learned (*ret_is_learned) or given; or NULL. */
struct engine_port *engine_ip_owner(const struct engine *e, const struct engine_port *self,
				    const uint8_t ip[4], bool *ret_is_learned);
/* Why nobody may own ip (a text for a message), or NULL. */
/* bridge: the bridge addresses of a port not bound yet (n_bridge may be 0) */
/* Has the store keep (ENGINE_ACT_STORE_ADDR) or forget (..._DEL) address a of port p. */
int engine_store_addr(const struct engine_port *p, const struct engine_addr *a,
		      enum engine_action_type type, struct engine_actions *out);
const char *engine_ip_protected(const struct engine *e, const uint8_t (*bridge)[4], size_t n_bridge,
				const uint8_t ip[4]);
/* Takes ip from the port that learned it (a binding gives it to another): rules at the flush. */
void engine_ip_take(struct engine_port *owner, const uint8_t ip[4], const char *taker,
		    struct engine_actions *out);
/* Takes ip from the port that learned it, for the reason why: a conflict event. */
void engine_ip_revoke(struct engine_port *owner, const uint8_t ip[4], const char *why,
		      struct engine_actions *out);
int engine_frame(struct engine *e, const struct engine_frame_in *in, int64_t now,
		 struct engine_actions *out);
int engine_flush(struct engine *e, int64_t now, struct engine_actions *out);
int engine_tick(struct engine *e, int64_t now, struct engine_actions *out);
int engine_relearn(struct engine *e, const char *name, int64_t now, struct engine_actions *out);

/* filters.c */
int engine_set_filters(struct engine *e, const struct engine_input *in, int64_t now,
		       struct engine_actions *out);
