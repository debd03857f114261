/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Frame parsers for address learning: untrusted bytes in, a struct
 * learn_frame out. Pure: no I/O, no allocation, no globals.
 *
 * Every parser returns 0 on success or -LEARN_DROP_* (a negative drop reason
 * for `vifguardctl stats`) and never touches *ret on failure. A frame that is
 * well formed but of no interest (IPv6, TCP, a UDP port other than 67/68, an
 * IPv4 fragment) parses successfully; what it is not is told by the flags
 * (l3, is_udp, is_dhcp, ipv4.is_fragment), and the policy (policy.h) gives the
 * reason it is ignored from the same enum.
 *
 * Truncated captures: the parsers see only the captured bytes. The caller
 * must drop a capture whose caplen is less than its wire length
 * (LEARN_DROP_TRUNCATED) before calling; a length field that points past the
 * captured bytes (an NFLOG snaplen, an IPv4 total length) is reported as
 * LEARN_DROP_TRUNCATED too. Checksums are never verified: host taps and
 * bridges carry offload-partial checksums.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "learn/frame6.h"

#define LEARN_ETHERTYPE_IPV4   0x0800
#define LEARN_ETHERTYPE_ARP    0x0806
#define LEARN_ETHERTYPE_8021Q  0x8100
#define LEARN_ETHERTYPE_8021AD 0x88a8
#define LEARN_VLAN_MAX         2
/* NFULA_PREFIX with its NUL; ours are "vgd REASON o|i", "vg-o", "vg-i" */
#define LEARN_PREFIX_MAX       32

#define LEARN_DHCP_SERVER_PORT 67
#define LEARN_DHCP_CLIENT_PORT 68

/* BOOTP op (RFC 951) and DHCP message types (RFC 2132 9.6). */
#define LEARN_BOOTREQUEST    1
#define LEARN_BOOTREPLY      2
#define LEARN_DHCPDISCOVER   1
#define LEARN_DHCPOFFER      2
#define LEARN_DHCPREQUEST    3
#define LEARN_DHCPDECLINE    4
#define LEARN_DHCPACK        5
#define LEARN_DHCPNAK        6
#define LEARN_DHCPRELEASE    7
#define LEARN_DHCPINFORM     8
#define LEARN_LEASE_INFINITE UINT32_MAX /* RFC 2132 9.2: 0xffffffff */

/*
 * Why a frame did not change anything. Parsers return the first group
 * negated; the policy reports the rest in learn_decision.reason. One enum so
 * the daemon counts every frame in one table.
 */
enum learn_drop {
	LEARN_DROP_NONE = 0,
	/* malformed: returned (negated) by the parsers */
	LEARN_DROP_TRUNCATED,      /* shorter than a header, or a length points past the capture */
	LEARN_DROP_BAD_NFLOG,      /* NFLOG header or TLV malformed, duplicated, too many */
	LEARN_DROP_NO_PAYLOAD,     /* NFLOG record without NFULA_PAYLOAD */
	LEARN_DROP_BAD_ETHERTYPE,  /* < 0x0600: an 802.3 length, not an ethertype */
	LEARN_DROP_TOO_MANY_VLANS, /* a third 802.1Q/802.1ad tag */
	LEARN_DROP_BAD_ARP,        /* not Ethernet/IPv4 ARP */
	LEARN_DROP_BAD_IPV4,       /* version, IHL or total length wrong */
	LEARN_DROP_BAD_UDP,        /* UDP length < 8 or past the IPv4 payload */
	LEARN_DROP_BAD_BOOTP,      /* on port 67/68 but not BOOTP: short, bad op or hlen */
	LEARN_DROP_BAD_OPTIONS,    /* DHCP option past the end, wrong size, duplicated */
	/* well formed, of no use: reported by the policy */
	LEARN_DROP_OTHER_L3,        /* neither ARP nor IPv4 */
	LEARN_DROP_FRAGMENT,        /* an IPv4 fragment (dhcp mode) */
	LEARN_DROP_NOT_UDP,         /* IPv4 but not UDP (dhcp mode) */
	LEARN_DROP_NOT_DHCP_PORT,   /* UDP but not 67/68 (dhcp mode) */
	LEARN_DROP_WRONG_DIRECTION, /* e.g. an ACK from the VM, the VM's ARP seen towards it */
	LEARN_DROP_NO_SRC_MAC,      /* the capture did not say who sent it */
	LEARN_DROP_SPOOFED_MAC,     /* Ethernet source is not the VM's MAC */
	LEARN_DROP_MODE_DHCP,       /* ARP/IPv4 do not teach in dhcp mode */
	LEARN_DROP_LEARNED,         /* ARP/IPv4 teach only while the port has no address */
	LEARN_DROP_ARP_OP,          /* neither request nor reply */
	LEARN_DROP_ARP_SHA,         /* ARP sender hardware address is not the VM's MAC */
	LEARN_DROP_ARP_PROBE,       /* sender 0.0.0.0 (RFC 5227 probe) */
	LEARN_DROP_ADDR_ZERO,       /* 0.0.0.0/8 */
	LEARN_DROP_ADDR_LOOPBACK,   /* 127.0.0.0/8 */
	LEARN_DROP_ADDR_MULTICAST,  /* 224.0.0.0/4 */
	LEARN_DROP_ADDR_CLASS_E,    /* 240.0.0.0/4 but the limited broadcast */
	LEARN_DROP_ADDR_BROADCAST,  /* 255.255.255.255 */
	LEARN_DROP_DHCP_NO_COOKIE,  /* plain BOOTP: no magic cookie */
	LEARN_DROP_DHCP_NO_TYPE,    /* no option 53 in the options field */
	LEARN_DROP_DHCP_BAD_OP,     /* BOOTP op does not match the message type */
	LEARN_DROP_DHCP_OFFER,      /* an OFFER never teaches */
	LEARN_DROP_DHCP_UNUSED,     /* INFORM and other types the policy has no use for */
	LEARN_DROP_DHCP_CHADDR,     /* chaddr is not the VM's MAC */
	LEARN_DROP_DHCP_XID,        /* reply to an exchange the VM did not start */
	LEARN_DROP_DHCP_UNTRUSTED,  /* IPv4 source or server identifier not in DHCPSERVER */
	LEARN_DROP_DHCP_NOT_OURS,   /* RELEASE/DECLINE/NAK for an address the port does not have */
	LEARN_DROP_DHCP_NO_ADDR,    /* DECLINE without a requested address */
	/* decided by the engine, which sees every port */
	LEARN_DROP_UNTRUSTED_PORT,  /* a DHCP reply that entered from a guest port (or itself) */
	LEARN_DROP_NOT_DHCP_TAUGHT, /* RELEASE/DECLINE/NAK of an address DHCP did not teach */
	LEARN_DROP_ADDR_LIMIT,      /* the port holds as many addresses as it may */
	/* IPv6 (policy6.h); appended, so that the numbers above stay */
	LEARN_DROP_BAD_IPV6,           /* any malformation frame6.h's parsers find */
	LEARN_DROP_ADDR6_RESERVED,     /* ::ffff:0:0/96, 100::/64, ::/128, ::1 */
	LEARN_DROP_DHCPV6_ADVERTISE,   /* an ADVERTISE never teaches */
	LEARN_DROP_DHCPV6_UNUSED,      /* a message type the policy has no use for */
	LEARN_DROP_DHCPV6_CLIENT_ID,   /* no client identifier, or not the one the VM sent */
	LEARN_DROP_DHCPV6_STATUS,      /* the reply says the exchange failed */
	LEARN_DROP_UNSPECIFIED_SOURCE, /* from :: and not DAD */
	LEARN_DROP_BAD_PREFIX,         /* a drop-log record whose prefix is no drop sample's */
	_LEARN_DROP_MAX,
};

/* "truncated", "bad-nflog", ...; takes the positive value; "unknown" out of range. */
const char *learn_drop_name(enum learn_drop reason);

enum learn_l3 {
	LEARN_L3_OTHER,
	LEARN_L3_ARP,
	LEARN_L3_IPV4,
	LEARN_L3_IPV6,
};

struct learn_arp {
	uint16_t op;
	uint8_t sha[6], spa[4], tha[6], tpa[4];
};

struct learn_ipv4 {
	uint8_t src[4], dst[4];
	uint8_t proto;
	bool is_fragment; /* offset != 0 or MF: nothing above IPv4 was parsed */
};

struct learn_udp {
	uint16_t sport, dport;
};

struct learn_dhcp {
	uint8_t op, htype, hlen;
	uint32_t xid;
	uint16_t flags;
	uint8_t ciaddr[4], yiaddr[4], siaddr[4], giaddr[4];
	uint8_t chaddr[6]; /* only when htype 1 and hlen 6, else zero */
	bool has_cookie;   /* false: plain BOOTP, no options were read */
	uint8_t msg_type;  /* option 53; 0 = none */
	bool has_server_id, has_requested, has_lease, has_t1, has_t2;
	uint8_t server_id[4]; /* option 54 */
	uint8_t requested[4]; /* option 50 */
	uint32_t lease_s;     /* option 51; LEARN_LEASE_INFINITE */
	uint32_t t1, t2;      /* options 58, 59 */
};

/* Where an NFLOG record was logged: it says which ifindex is the VM's port and the direction. */
enum learn_origin {
	LEARN_ORIGIN_BRIDGE, /* bridge family (or any but netdev): indev/outdev are bridge ports */
	LEARN_ORIGIN_NETDEV_INGRESS, /* netdev ingress of a macvtap: towards the VM, indev */
	LEARN_ORIGIN_NETDEV_EGRESS,  /* netdev egress of a macvtap: from the VM, outdev */
};

struct learn_frame {
	int indev, outdev; /* ifindexes, 0 when absent (NFLOG only) */
	enum learn_origin origin;
	bool has_timestamp;
	int64_t timestamp_us;   /* NFULA_TIMESTAMP: when the kernel saw it, µs since the epoch */
	bool is_timestamp_ours; /* no NFULA_TIMESTAMP: timestamp_us is the reader's receipt */
	bool has_prefix;        /* NFULA_PREFIX (NFLOG only); "" when the rule gave none */
	char prefix[LEARN_PREFIX_MAX]; /* printable ASCII, NUL-terminated */
	bool has_src_mac;
	uint8_t src_mac[6];
	uint16_t ethertype;            /* the innermost one */
	uint16_t vlan[LEARN_VLAN_MAX]; /* VLAN IDs (12 bits), outermost first */
	unsigned n_vlan;
	enum learn_l3 l3;
	struct learn_arp arp;   /* l3 == LEARN_L3_ARP */
	struct learn_ipv4 ipv4; /* l3 == LEARN_L3_IPV4 */
	bool is_udp;
	struct learn_udp udp;
	bool is_dhcp; /* UDP with both ports in {67, 68} */
	struct learn_dhcp dhcp;
	struct learn_frame6 v6; /* l3 == LEARN_L3_IPV6 */
};

/*
 * One record as libpcap delivers it from the device "nflog:N" (DLT_NFLOG):
 * the nfgenmsg header (family, version 0, resource id), then netlink TLVs in
 * host byte order. Uses NFULA_PACKET_HDR (ethertype), NFULA_IFINDEX_* ,
 * NFULA_HWADDR (source MAC; else NFULA_L2HDR's, at least an Ethernet header,
 * which the bridge family has at every hook), NFULA_VLAN (a tag the NIC/stack already
 * stripped), NFULA_TIMESTAMP, NFULA_PREFIX (at most LEARN_PREFIX_MAX bytes
 * with its NUL, printable ASCII, else the record is malformed) and
 * NFULA_PAYLOAD (the packet from its network header; at a netdev egress hook
 * from its Ethernet header, because the stack has not pulled it yet); skips
 * the rest.
 *
 * indev/outdev: the PHYS variant when present. With br_netfilter built, the
 * kernel logs bridge-family packets with NFULA_IFINDEX_INDEV = the bridge and
 * NFULA_IFINDEX_PHYSINDEV = the port, and the port is what we want.
 *
 * VLANs: the receive path strips the outer tag into skb metadata, which the
 * kernel logs as NFULA_VLAN (bridge family only); for QinQ the inner tag stays
 * in the data, so hw_protocol is 0x8100/0x88a8 and the payload starts with
 * that tag's TCI and ethertype. Both count towards LEARN_VLAN_MAX.
 */
int learn_nflog_parse(const uint8_t *buf, size_t len, struct learn_frame *ret);
/*
 * The NFLOG layer alone, for records whose frame may be malformed (a sample
 * of a dropped frame: that can be why it was dropped): everything the above
 * fills but the layers from the network header on. ethertype is the
 * record's (at a netdev egress hook the Ethernet header's; in-band VLAN tags
 * not walked), l3 is LEARN_L3_OTHER. *ret_payload (borrowed from buf) and
 * *ret_payload_len: the bytes from the network header on, for
 * learn_l3_parse(). learn_nflog_parse() is this, then learn_l3_parse().
 */
int learn_nflog_parse_header(const uint8_t *buf, size_t len, struct learn_frame *ret,
			     const uint8_t **ret_payload, size_t *ret_payload_len);

/* An Ethernet II frame (capture on a macvtap lower device); indev/outdev 0. */
int learn_eth_parse(const uint8_t *buf, size_t len, struct learn_frame *ret);

/*
 * The layers, for the two above and for tests. learn_l3_parse() reads
 * in-band VLAN tags, appending to ret->n_vlan (already counting any outer
 * tags), then ARP or IPv4 by ethertype; it keeps ret's other fields.
 */
int learn_l3_parse(uint16_t ethertype, const uint8_t *buf, size_t len, struct learn_frame *ret);
int learn_arp_parse(const uint8_t *buf, size_t len, struct learn_arp *ret);
/* Fills ret->ipv4, is_udp/udp and is_dhcp/dhcp (and sets l3); keeps the rest. */
int learn_ipv4_parse(const uint8_t *buf, size_t len, struct learn_frame *ret);
/* The UDP payload: BOOTP fixed part, magic cookie, options. */
int learn_dhcp_parse(const uint8_t *buf, size_t len, struct learn_dhcp *ret);
