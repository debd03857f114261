/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv6 frames for the learning tests, built byte by byte with valid
 * ICMPv6/UDP checksums: what a Linux guest sends when its interface comes up
 * (MLDv2 report behind hop-by-hop, DAD NS with a nonce, unsolicited NA, RS),
 * an RA from radvd with a prefix, and a DHCPv6 Solicit/Advertise/Request/
 * Reply exchange as odhcp6c and dnsmasq send it, with IA_NA and IAADDR.
 *
 * The cast: the VM 52:54:00:12:34:56 (fe80::5054:ff:fe12:3456) and the
 * router/server 52:54:00:aa:bb:cc (fe80::5054:ff:feaa:bbcc) advertising
 * 2001:db8:1::/64 and leasing 2001:db8:1::50.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FX6_OFF_IP  14
#define FX6_MAX     512
#define FX6_XID_SOL 0xa1b2c3
#define FX6_XID_REQ 0x0d0e0f

extern const uint8_t fx6_vm_mac[6], fx6_router_mac[6];
extern const uint8_t fx6_vm_ll[16], fx6_router_ll[16], fx6_lease[16], fx6_prefix[16];
extern const uint8_t fx6_vm_duid[10], fx6_server_duid[14];

struct fx6_frame {
	const char *name;
	uint8_t bytes[FX6_MAX]; /* an Ethernet frame */
	size_t len;
};

enum {
	FX6_MLD_REPORT,
	FX6_DAD_NS,
	FX6_UNSOL_NA,
	FX6_RS,
	FX6_RA,
	FX6_SOLICIT,
	FX6_ADVERTISE,
	FX6_REQUEST,
	FX6_REPLY,
	_FX6_MAX,
};

/* Builds every frame into ret[_FX6_MAX]. */
void fx6_build_all(struct fx6_frame *ret);
/*
 * Ethernet + IPv6 around a payload (extension headers, then the upper layer
 * at l4_off); the upper layer's checksum, at l4_off + csum_at, is filled
 * for l4_proto. Returns the frame's length.
 */
size_t fx6_wrap(uint8_t *out, const uint8_t dst_mac[6], const uint8_t src_mac[6],
		const uint8_t src[16], const uint8_t dst[16], uint8_t hop_limit, uint8_t nh,
		const uint8_t *payload, size_t len, size_t l4_off, size_t csum_at,
		uint8_t l4_proto);
