/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv6 parsers for address learning: the IPv6 header and its extension
 * headers, ICMPv6 (Neighbor Discovery) and DHCPv6. Same contract as
 * frame.h: untrusted bytes in, a struct out, no I/O, no allocation, no
 * globals; 0 on success or -LEARN6_DROP_* and *ret untouched on failure.
 * Every loop is capped (LEARN6_*_MAX). Not wired into the engine yet: the
 * drop reasons have an enum of their own until they are.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEARN_ETHERTYPE_IPV6 0x86dd

#define LEARN6_PROTO_HOPOPTS  0
#define LEARN6_PROTO_UDP      17
#define LEARN6_PROTO_ROUTING  43
#define LEARN6_PROTO_FRAGMENT 44
#define LEARN6_PROTO_ICMPV6   58
#define LEARN6_PROTO_NONE     59
#define LEARN6_PROTO_DSTOPTS  60

#define LEARN6_EXT_MAX          8   /* extension headers walked before giving up */
#define LEARN6_ND_OPTIONS_MAX   64  /* ND options per message */
#define LEARN6_PREFIX_MAX       8   /* prefix information options kept per RA */
#define LEARN6_DHCP_OPTIONS_MAX 64  /* DHCPv6 options per level */
#define LEARN6_DUID_MAX         130 /* RFC 8415 11.1: 2-byte type + at most 128 bytes */
#define LEARN6_IA_MAX           4   /* IA_NA/IA_TA kept per message */
#define LEARN6_IAADDR_MAX       4   /* IAADDRs kept per IA */

#define LEARN6_DHCP_CLIENT_PORT 546
#define LEARN6_DHCP_SERVER_PORT 547

enum learn6_drop {
	LEARN6_DROP_NONE = 0,
	LEARN6_DROP_TRUNCATED,        /* shorter than a header, or a length points past the bytes */
	LEARN6_DROP_BAD_IPV6,         /* version is not 6 */
	LEARN6_DROP_BAD_EXT,          /* extension header malformed, or hop-by-hop not first */
	LEARN6_DROP_TOO_MANY_EXT,     /* more than LEARN6_EXT_MAX extension headers */
	LEARN6_DROP_BAD_UDP,          /* UDP length < 8 or not the rest of the packet */
	LEARN6_DROP_BAD_ICMPV6,       /* ND message too short or code not 0 (RFC 4861) */
	LEARN6_DROP_BAD_CHECKSUM,     /* ICMPv6 checksum wrong (only when asked to verify) */
	LEARN6_DROP_BAD_ND_OPTION,    /* zero length, past the end, wrong size, duplicated */
	LEARN6_DROP_TOO_MANY_OPTIONS, /* more than the cap of ND or DHCPv6 options */
	LEARN6_DROP_BAD_DHCPV6,       /* short, or a message type we do not parse */
	LEARN6_DROP_DHCPV6_RELAY,     /* RELAY-FORW/RELAY-REPL: not needed on a guest port */
	LEARN6_DROP_BAD_DHCPV6_OPTION, /* past the end, wrong size, DUID too long, duplicated */
	LEARN6_DROP_DHCPV6_NESTING,    /* IA inside IA, IAADDR outside an IA */
	_LEARN6_DROP_MAX,
};

/* "truncated", "bad-ipv6", ...; takes the positive value; "unknown" out of range. */
const char *learn6_drop_name(enum learn6_drop reason);

/* Where the extension header walk stopped. */
enum learn6_walk {
	LEARN6_WALK_UPPER,    /* at an upper-layer header: proto, l4_off, l4_len */
	LEARN6_WALK_NO_NEXT,  /* next header 59 */
	LEARN6_WALK_FRAGMENT, /* a non-first fragment: no upper-layer header here */
	LEARN6_WALK_UNKNOWN,  /* an extension header we do not walk (AH, ESP, mobility, ...) */
	_LEARN6_WALK_MAX,
};

const char *learn6_walk_name(enum learn6_walk walk);

struct learn_ipv6 {
	uint8_t src[16], dst[16];
	uint8_t hop_limit;
	uint16_t payload_len;
	unsigned n_ext; /* extension headers walked */
	enum learn6_walk walk;
	uint8_t proto;      /* the upper layer, or the header the walk stopped at */
	bool is_fragment;   /* a fragment header was seen; with UPPER: the first fragment */
	bool is_incomplete; /* a first fragment with more to come: the upper layer is cut */
	size_t l4_off;      /* from buf; with UPPER only */
	size_t l4_len;      /* to the end of the payload (padding excluded) */
};

/*
 * The fixed header, then at most LEARN6_EXT_MAX of hop-by-hop (first only),
 * routing, fragment and destination options. The payload length must fit in
 * len (else TRUNCATED); bytes beyond it are link padding and are ignored.
 */
int learn_ipv6_parse(const uint8_t *buf, size_t len, struct learn_ipv6 *ret);

struct learn_udp6 {
	uint16_t sport, dport;
	size_t payload_off, payload_len; /* from buf */
};

/* A UDP header over the upper-layer bytes (l4_off/l4_len); the checksum is not verified. */
int learn_udp6_parse(const uint8_t *buf, size_t len, struct learn_udp6 *ret);

/* ICMPv6 types (RFC 4443, RFC 4861). */
#define LEARN_ICMPV6_RS       133
#define LEARN_ICMPV6_RA       134
#define LEARN_ICMPV6_NS       135
#define LEARN_ICMPV6_NA       136
#define LEARN_ICMPV6_REDIRECT 137

/* "router-solicitation", ..., "echo-request"; "other" for the rest. */
const char *learn_icmpv6_type_name(uint8_t type);

struct learn6_prefix {
	uint8_t prefix[16];
	uint8_t len;
	bool is_onlink, is_autonomous; /* L, A */
	uint32_t valid_s, preferred_s;
};

struct learn_icmpv6 {
	uint8_t type, code;
	uint16_t csum;
	bool is_csum_ok;    /* always computed; a failure only when verify was asked */
	bool is_nd;         /* one of RS, RA, NS, NA, Redirect: the fields below apply */
	bool is_dad;        /* NS from :: (RFC 4862 5.4.2 Duplicate Address Detection) */
	uint8_t target[16]; /* NS, NA, Redirect */
	uint8_t dest[16];   /* Redirect */
	bool has_lladdr;    /* source (RS, RA, NS) or target (NA, Redirect) link-layer option */
	uint8_t lladdr[6];
	bool is_router, is_solicited, is_override; /* NA: R, S, O */
	uint8_t cur_hop_limit;                     /* RA */
	bool is_managed, is_other;                 /* RA: M, O */
	uint16_t router_lifetime_s;
	uint32_t reachable_ms, retrans_ms;
	struct learn6_prefix prefixes[LEARN6_PREFIX_MAX];
	unsigned n_prefixes;
	bool has_more_prefixes; /* more than LEARN6_PREFIX_MAX: the rest were skipped */
};

/*
 * The ICMPv6 message (buf = the upper layer of an IPv6 packet from src to
 * dst). With verify_csum a wrong checksum is BAD_CHECKSUM; without, it is
 * only reported in is_csum_ok (host taps carry offload-partial checksums).
 * The hop limit of 255 RFC 4861 requires is the caller's to check.
 */
int learn_icmpv6_parse(const uint8_t src[16], const uint8_t dst[16], const uint8_t *buf, size_t len,
		       bool verify_csum, struct learn_icmpv6 *ret);

/* DHCPv6 message types (RFC 8415 7.3). */
enum learn_dhcpv6_msg {
	LEARN_DHCPV6_NONE = 0,
	LEARN_DHCPV6_SOLICIT = 1,
	LEARN_DHCPV6_ADVERTISE,
	LEARN_DHCPV6_REQUEST,
	LEARN_DHCPV6_CONFIRM,
	LEARN_DHCPV6_RENEW,
	LEARN_DHCPV6_REBIND,
	LEARN_DHCPV6_REPLY,
	LEARN_DHCPV6_RELEASE,
	LEARN_DHCPV6_DECLINE,
	LEARN_DHCPV6_RECONFIGURE,
	LEARN_DHCPV6_INFORMATION_REQUEST,
	LEARN_DHCPV6_RELAY_FORW,
	LEARN_DHCPV6_RELAY_REPL,
	_LEARN_DHCPV6_MSG_MAX,
};

/* "solicit", "advertise", ...; "unknown" out of range. */
const char *learn_dhcpv6_msg_name(enum learn_dhcpv6_msg type);

#define LEARN_DHCPV6_OPT_IA_NA 3
#define LEARN_DHCPV6_OPT_IA_TA 4

struct learn6_iaaddr {
	uint8_t addr[16];
	uint32_t preferred_s, valid_s;
	bool has_status;
	uint16_t status;
};

struct learn6_ia {
	uint16_t type; /* LEARN_DHCPV6_OPT_IA_NA or _IA_TA */
	uint32_t iaid;
	uint32_t t1, t2; /* IA_NA only */
	bool has_status;
	uint16_t status;
	struct learn6_iaaddr addrs[LEARN6_IAADDR_MAX];
	unsigned n_addrs;
	bool has_more_addrs;
};

struct learn_dhcpv6 {
	enum learn_dhcpv6_msg msg_type;
	uint32_t xid; /* 24 bits */
	uint8_t client_id[LEARN6_DUID_MAX], server_id[LEARN6_DUID_MAX];
	size_t client_id_len, server_id_len; /* 0 = absent */
	bool has_rapid_commit;
	bool has_status;
	uint16_t status;
	struct learn6_ia ias[LEARN6_IA_MAX];
	unsigned n_ias;
	bool has_more_ias;
};

/* The UDP payload on port 546/547: message type, transaction id, options. */
int learn_dhcpv6_parse(const uint8_t *buf, size_t len, struct learn_dhcpv6 *ret);

/*
 * An IPv6 packet as learning needs it: the header, and above it the ICMPv6
 * message or the DHCPv6 message on UDP 546/547. What is not one of those
 * parses successfully with neither flag set.
 */
struct learn_frame6 {
	struct learn_ipv6 ip;
	bool is_icmpv6;
	struct learn_icmpv6 icmp;
	bool is_udp;
	struct learn_udp6 udp;
	bool is_dhcpv6; /* UDP from 546 to 547 or from 547 to 546 */
	struct learn_dhcpv6 dhcp;
};

/* From the IPv6 header on; ICMPv6 checksums are not verified (offload-partial on taps). */
int learn_frame6_parse(const uint8_t *buf, size_t len, struct learn_frame6 *ret);
