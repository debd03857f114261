/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The filter model: libvirt's nwfilter language as data. A filter is an
 * ordered list of entries (rules and references to other filters); a rule
 * has an action, a direction, a priority and at most one protocol element
 * whose attributes live in a fixed array indexed by enum filter_attr_id.
 * Which attributes a protocol has, in which order, and of which type is one
 * table (filter_proto_info) shared by the XML parser, the formatter and the
 * nftables compiler, so the three cannot drift apart.
 *
 * Variables ($IP, $A[@1], $B[2]) are kept as references here; expanding
 * them is instantiate.c's job.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/addr.h"

#define FILTER_PRIORITY_MIN          -1000
#define FILTER_PRIORITY_MAX          1000
#define FILTER_RULE_PRIORITY_DEFAULT 500
#define FILTER_CHAIN_NAME_MAX        12
#define FILTER_COMMENT_MAX           256
#define FILTER_ITERATOR_MAX          1000
#define FILTER_IPSET_NAME_MAX        31

enum filter_action {
	FILTER_ACTION_DROP,
	FILTER_ACTION_REJECT,
	FILTER_ACTION_ACCEPT,
	FILTER_ACTION_RETURN,
	FILTER_ACTION_CONTINUE,
	FILTER_ACTION__MAX,
};

/* Relative to the VM: out = sent by the VM, in = sent to the VM. */
enum filter_direction {
	FILTER_DIR_IN,
	FILTER_DIR_OUT,
	FILTER_DIR_INOUT,
	FILTER_DIR__MAX,
};

/* Where a protocol's rules are enforced: ebtables-like L2, or iptables-like stateful L3/L4. */
enum filter_layer {
	FILTER_LAYER_L2,
	FILTER_LAYER_L3,
};

enum filter_proto {
	FILTER_PROTO_NONE, /* a rule with no protocol element: matches every frame (L2) */
	FILTER_PROTO_MAC,
	FILTER_PROTO_VLAN,
	FILTER_PROTO_STP,
	FILTER_PROTO_ARP,
	FILTER_PROTO_RARP,
	FILTER_PROTO_IP,
	FILTER_PROTO_IPV6,
	FILTER_PROTO_TCP,
	FILTER_PROTO_ICMP,
	FILTER_PROTO_IGMP,
	FILTER_PROTO_UDP,
	FILTER_PROTO_UDPLITE,
	FILTER_PROTO_ESP,
	FILTER_PROTO_AH,
	FILTER_PROTO_SCTP,
	FILTER_PROTO_ALL,
	FILTER_PROTO_TCP_IPV6,
	FILTER_PROTO_ICMPV6,
	FILTER_PROTO_UDP_IPV6,
	FILTER_PROTO_UDPLITE_IPV6,
	FILTER_PROTO_ESP_IPV6,
	FILTER_PROTO_AH_IPV6,
	FILTER_PROTO_SCTP_IPV6,
	FILTER_PROTO_ALL_IPV6,
	FILTER_PROTO__MAX,
};

/* Every attribute name any protocol element has. The type depends on the protocol. */
enum filter_attr_id {
	FILTER_ATTR_SRCMACADDR,
	FILTER_ATTR_SRCMACMASK,
	FILTER_ATTR_DSTMACADDR,
	FILTER_ATTR_DSTMACMASK,
	FILTER_ATTR_PROTOCOLID,
	FILTER_ATTR_VLANID,
	FILTER_ATTR_ENCAP_PROTOCOL,
	FILTER_ATTR_STP_TYPE,
	FILTER_ATTR_STP_FLAGS,
	FILTER_ATTR_ROOT_PRIORITY,
	FILTER_ATTR_ROOT_PRIORITY_HI,
	FILTER_ATTR_ROOT_ADDRESS,
	FILTER_ATTR_ROOT_ADDRESS_MASK,
	FILTER_ATTR_ROOT_COST,
	FILTER_ATTR_ROOT_COST_HI,
	FILTER_ATTR_SENDER_PRIORITY,
	FILTER_ATTR_SENDER_PRIORITY_HI,
	FILTER_ATTR_SENDER_ADDRESS,
	FILTER_ATTR_SENDER_ADDRESS_MASK,
	FILTER_ATTR_PORT,
	FILTER_ATTR_PORT_HI,
	FILTER_ATTR_AGE,
	FILTER_ATTR_AGE_HI,
	FILTER_ATTR_MAX_AGE,
	FILTER_ATTR_MAX_AGE_HI,
	FILTER_ATTR_HELLO_TIME,
	FILTER_ATTR_HELLO_TIME_HI,
	FILTER_ATTR_FORWARD_DELAY,
	FILTER_ATTR_FORWARD_DELAY_HI,
	FILTER_ATTR_HWTYPE,
	FILTER_ATTR_PROTOCOLTYPE,
	FILTER_ATTR_OPCODE,
	FILTER_ATTR_ARPSRCMACADDR,
	FILTER_ATTR_ARPDSTMACADDR,
	FILTER_ATTR_ARPSRCIPADDR,
	FILTER_ATTR_ARPSRCIPMASK,
	FILTER_ATTR_ARPDSTIPADDR,
	FILTER_ATTR_ARPDSTIPMASK,
	FILTER_ATTR_GRATUITOUS,
	FILTER_ATTR_SRCIPADDR,
	FILTER_ATTR_SRCIPMASK,
	FILTER_ATTR_DSTIPADDR,
	FILTER_ATTR_DSTIPMASK,
	FILTER_ATTR_SRCIPFROM,
	FILTER_ATTR_SRCIPTO,
	FILTER_ATTR_DSTIPFROM,
	FILTER_ATTR_DSTIPTO,
	FILTER_ATTR_PROTOCOL,
	FILTER_ATTR_SRCPORTSTART,
	FILTER_ATTR_SRCPORTEND,
	FILTER_ATTR_DSTPORTSTART,
	FILTER_ATTR_DSTPORTEND,
	FILTER_ATTR_DSCP,
	FILTER_ATTR_CONNLIMIT_ABOVE,
	FILTER_ATTR_STATE,
	FILTER_ATTR_IPSET,
	FILTER_ATTR_IPSETFLAGS,
	FILTER_ATTR_ICMP_TYPE, /* icmp type; ipv6 element's ICMPv6 type */
	FILTER_ATTR_ICMP_TYPEEND,
	FILTER_ATTR_ICMP_CODE,
	FILTER_ATTR_ICMP_CODEEND,
	FILTER_ATTR_TCP_OPTION,
	FILTER_ATTR_TCP_FLAGS,
	FILTER_ATTR_NDTARGET, /* vifguard's: ipv6 element's NS/NA target address */
	FILTER_ATTR_COMMENT,
	FILTER_ATTR__MAX,
};

enum filter_value_type {
	FILTER_VALUE_UINT8,
	FILTER_VALUE_UINT16,
	FILTER_VALUE_UINT32,
	FILTER_VALUE_MAC,
	FILTER_VALUE_MACMASK,
	FILTER_VALUE_IPV4,
	FILTER_VALUE_IPV4MASK, /* stored as a prefix length 0..32 */
	FILTER_VALUE_IPV6,
	FILTER_VALUE_IPV6MASK, /* stored as a prefix length 0..128 */
	FILTER_VALUE_BOOL,
	FILTER_VALUE_STRING,     /* comment */
	FILTER_VALUE_ETHERTYPE,  /* uint16 >= 0x600 (or 0x3c for vlan encap) or a name */
	FILTER_VALUE_IPPROTO,    /* uint8 or a protocol name */
	FILTER_VALUE_ARPOPCODE,  /* uint16 or an opcode name */
	FILTER_VALUE_DSCP,       /* 0..63 */
	FILTER_VALUE_VLANID,     /* 0..4095 */
	FILTER_VALUE_STATE,      /* FILTER_STATE_* bits */
	FILTER_VALUE_TCPFLAGS,   /* mask and flags, FILTER_TCP_* bits */
	FILTER_VALUE_IPSETNAME,  /* string */
	FILTER_VALUE_IPSETFLAGS, /* a list of src/dst */
};

enum {
	FILTER_STATE_NEW = 1 << 0,
	FILTER_STATE_ESTABLISHED = 1 << 1,
	FILTER_STATE_RELATED = 1 << 2,
	FILTER_STATE_INVALID = 1 << 3,
	FILTER_STATE_NONE = 1 << 4, /* wins over everything */
};

enum {
	FILTER_TCP_FIN = 1 << 0,
	FILTER_TCP_SYN = 1 << 1,
	FILTER_TCP_RST = 1 << 2,
	FILTER_TCP_PSH = 1 << 3,
	FILTER_TCP_ACK = 1 << 4,
	FILTER_TCP_URG = 1 << 5,
	FILTER_TCP_ALL = 0x3f,
};

#define FILTER_IPSETFLAGS_MAX 6

/* A variable reference: $NAME (iterator 0), $NAME[@K] (iterator K), $NAME[N] (element N). */
enum filter_var_access {
	FILTER_VAR_ITERATOR,
	FILTER_VAR_ELEMENT,
};

struct filter_var_ref {
	char *name; /* owned */
	enum filter_var_access access;
	unsigned index; /* iterator id or element index */
};

/* One attribute of a protocol element. */
struct filter_attr {
	bool is_set;
	bool is_negated; /* match='no' */
	bool is_hex;     /* was written in hex; printed back in hex */
	bool is_var;     /* the value is the variable reference var */
	struct filter_var_ref var;
	union {
		uint32_t num; /* UINT*, ETHERTYPE, IPPROTO, ARPOPCODE, DSCP, VLANID, STATE, prefixes
			       */
		bool boolean;
		uint8_t mac[MAC_LEN]; /* MAC, MACMASK */
		uint8_t ip[16];       /* IPV4 (first 4 bytes), IPV6 */
		struct {
			uint8_t mask, flags;
		} tcp_flags;
		struct {
			uint8_t n;
			bool is_dst[FILTER_IPSETFLAGS_MAX];
		} ipset_flags;
	} u;
	char *str; /* owned: STRING and IPSETNAME */
};

struct filter_rule {
	enum filter_action action;
	enum filter_direction direction;
	int priority;
	bool statematch; /* false only when statematch='0'/'false' was given */
	enum filter_proto proto;
	struct filter_attr attrs[FILTER_ATTR__MAX];
};

/* A variable value list: NAME = [v0, v1, ...] in document order. */
struct filter_var {
	char *name;    /* owned */
	char **values; /* owned, n_values entries, each owned */
	size_t n_values;
};

/* Variables by name, kept sorted by name (libvirt prints them sorted). */
struct filter_params {
	struct filter_var *vars; /* owned */
	size_t n_vars;
};

struct filter_ref {
	char *filter; /* owned: the referenced filter's name */
	struct filter_params params;
};

enum filter_entry_kind {
	FILTER_ENTRY_RULE,
	FILTER_ENTRY_REF,
};

struct filter_entry {
	enum filter_entry_kind kind;
	union {
		struct filter_rule *rule; /* owned */
		struct filter_ref *ref;   /* owned */
	};
};

struct filter {
	char *name;  /* owned */
	char *chain; /* owned; "root" by default */
	int chain_priority;
	uint8_t uuid[16];
	bool has_uuid;
	struct filter_entry *entries; /* owned, n_entries */
	size_t n_entries;
};

struct binding {
	char *owner_name; /* owned */
	uint8_t owner_uuid[16];
	char *portdev; /* owned; the binding's identity */
	char *linkdev; /* owned; NULL when absent */
	uint8_t mac[MAC_LEN];
	struct filter_ref ref;
};

/* Per-protocol description: the XML element name, its layer, and its attributes in libvirt's order.
 */
struct filter_attr_desc {
	enum filter_attr_id id;
	enum filter_value_type type;
};

#define FILTER_PROTO_ATTRS_MAX 32

struct filter_proto_info {
	const char *name;
	enum filter_layer layer;
	bool is_ipv6; /* L3 family for the L3 group; ipv6 element for L2 */
	size_t n_attrs;
	struct filter_attr_desc attrs[FILTER_PROTO_ATTRS_MAX];
};

extern const struct filter_proto_info filter_proto_info[FILTER_PROTO__MAX];
extern const char *const filter_attr_names[FILTER_ATTR__MAX];
extern const char *const filter_action_names[FILTER_ACTION__MAX];
extern const char *const filter_direction_names[FILTER_DIR__MAX];

/* Looks a protocol up by its element name; -ENOENT when unknown. */
int filter_proto_from_name(const char *name, enum filter_proto *ret);
/* The descriptor of attribute id in protocol proto, or NULL when the protocol has none. */
const struct filter_attr_desc *filter_proto_attr(enum filter_proto proto, enum filter_attr_id id);

/* Default chain priority for a chain name (root 0, mac -800, ...; stp and others 0). */
int filter_chain_default_priority(const char *chain);

struct filter *filter_new(void);
struct filter *filter_free(struct filter *f);
struct filter_rule *filter_rule_new(void);
struct filter_rule *filter_rule_free(struct filter_rule *r);
void filter_attr_fini(struct filter_attr *a);
void filter_ref_fini(struct filter_ref *ref);
void filter_params_fini(struct filter_params *p);
struct binding *binding_new(void);
struct binding *binding_free(struct binding *b);

/* Appends value to the list named name (creating it, keeping vars sorted); -ENOMEM. */
int filter_params_add(struct filter_params *p, const char *name, const char *value);
/* The variable named name, or NULL. Borrowed. */
const struct filter_var *filter_params_find(const struct filter_params *p, const char *name);
/* Deep copy; -ENOMEM. */
int filter_params_copy(struct filter_params *dst, const struct filter_params *src);

static inline void filter_freep(struct filter **f)
{
	*f = filter_free(*f);
}

static inline void binding_freep(struct binding **b)
{
	*b = binding_free(*b);
}
