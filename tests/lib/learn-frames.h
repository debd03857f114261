/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Frames for the learning tests, as bytes: one DHCP exchange built byte by
 * byte per RFC 2131/2132 (with valid IPv4 and UDP checksums), a renewal, a
 * NAK, a RELEASE and a DECLINE; ARP request, reply, gratuitous and probe;
 * an ICMP echo and a DNS query. And an NFLOG record builder that wraps an
 * Ethernet frame the way nfnetlink_log delivers it through libpcap.
 *
 * The cast: the VM 52:54:00:12:34:56 gets 192.168.122.50 (xid 0x5a17c0de)
 * from the server and gateway 192.168.122.1 (52:54:00:aa:bb:cc), renews with
 * xid 0x0badf00d; the ICMP and DNS frames use the static 192.168.122.77.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FX_DHCP_LEN      342 /* Ethernet 14 + IPv4 20 + UDP 8 + BOOTP 300 */
#define FX_OFF_ETH_SRC   6
#define FX_OFF_ETHERTYPE 12
#define FX_OFF_IP        14
#define FX_OFF_IP_FRAG   20
#define FX_OFF_IP_PROTO  23
#define FX_OFF_IP_SRC    26
#define FX_OFF_IP_DST    30
#define FX_OFF_UDP       34
#define FX_OFF_BOOTP     42
#define FX_OFF_XID       46
#define FX_OFF_CIADDR    54
#define FX_OFF_YIADDR    58
#define FX_OFF_CHADDR    70
#define FX_OFF_COOKIE    278
#define FX_OFF_OPTIONS   282
#define FX_OFF_ARP       14
#define FX_OFF_ARP_SHA   22
#define FX_OFF_ARP_SPA   28
#define FX_XID           0x5a17c0de
#define FX_XID_RENEW     0x0badf00d

extern const uint8_t fx_vm_mac[6], fx_server_mac[6], fx_other_mac[6];
extern const uint8_t fx_server_ip[4], fx_lease_ip[4], fx_static_ip[4];

extern const uint8_t fx_dhcp_discover[FX_DHCP_LEN], fx_dhcp_offer[FX_DHCP_LEN],
	fx_dhcp_request[FX_DHCP_LEN], fx_dhcp_ack[FX_DHCP_LEN], fx_dhcp_renew[FX_DHCP_LEN],
	fx_dhcp_renew_ack[FX_DHCP_LEN], fx_dhcp_nak[FX_DHCP_LEN], fx_dhcp_release[FX_DHCP_LEN],
	fx_dhcp_decline[FX_DHCP_LEN];
extern const uint8_t fx_arp_request[60], fx_arp_reply[42], fx_arp_gratuitous[60], fx_arp_probe[60];
extern const uint8_t fx_icmp_echo[50], fx_dns_query[71];

struct fx_frame {
	const char *name;
	const uint8_t *bytes;
	size_t len;
};
/* Every fixture above, NULL-terminated by name. */
extern const struct fx_frame fx_all[];

/* What to put in an NFLOG record; zero / NULL fields are left out. */
struct fx_nflog {
	uint8_t family; /* NFPROTO_BRIDGE = 7 */
	uint16_t hw_protocol;
	uint32_t indev, physindev, outdev, physoutdev;
	const uint8_t *src_mac;
	bool has_vlan;
	uint16_t vlan_tci;
	const uint8_t *payload;
	size_t payload_len;
	bool extras;        /* add prefix, hw type/len/header and timestamp, as the kernel does */
	const char *prefix; /* NFULA_PREFIX with its NUL, instead of extras' "vifguard-learn" */
	uint8_t hook;       /* NFULA_PACKET_HDR's; 0 means 3 (NF_BR_FORWARD) but for netdev (5) */
};

/* Appends one TLV (host-order header, value, padding to 4); returns the new offset. */
size_t fx_tlv(uint8_t *out, size_t off, uint16_t type, const void *value, size_t len);
/* The whole record into out (cap bytes, at least 256 + payload); returns its length. */
size_t fx_nflog_build(const struct fx_nflog *spec, uint8_t *out, size_t cap);
/* An Ethernet frame as a bridge-family record from port physindev of bridge 3 (indev). */
size_t fx_nflog_from_eth(const uint8_t *frame, size_t len, uint32_t physindev, uint8_t *out,
			 size_t cap);
/* The Internet checksum (RFC 1071) of len bytes, with sum as a starting value. */
uint16_t fx_csum(const uint8_t *buf, size_t len, uint32_t sum);
