/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Text forms of MAC and IP addresses, strict and bounds-checked. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MAC_LEN      6
#define MAC_TEXT_MAX 18 /* "xx:xx:xx:xx:xx:xx" + NUL */
#define IP_TEXT_MAX  46 /* INET6_ADDRSTRLEN */

/* Six ':'-separated octets of one or two hex digits each; -EINVAL otherwise. */
int mac_parse(const char *text, uint8_t ret[MAC_LEN]);
/* Two lowercase hex digits per octet. */
void mac_format(const uint8_t mac[MAC_LEN], char out[MAC_TEXT_MAX]);
/* True when the mask is all ones followed by all zeros. */
bool mac_is_contiguous_mask(const uint8_t mask[MAC_LEN]);
bool mac_is_unicast(const uint8_t mac[MAC_LEN]);

/* Dotted quad only; -EINVAL otherwise. ret is in network byte order. */
int ipv4_parse(const char *text, uint8_t ret[4]);
int ipv6_parse(const char *text, uint8_t ret[16]);
void ipv4_format(const uint8_t addr[4], char out[IP_TEXT_MAX]);
void ipv6_format(const uint8_t addr[16], char out[IP_TEXT_MAX]);

/* Bytes in an address of family 4 (IPv4) or 6 (IPv6); 0 for any other family. */
size_t ip_len(int family);
/*
 * The same by family, 4 or 6: ret has room for ip_len(family) bytes.
 * -EINVAL for text that is not an address of that family, or another family.
 */
int ip_parse(int family, const char *text, uint8_t *ret);
/* family must be 4 or 6. One text per address: IPv6 in lowercase, the longest zero run as "::". */
void ip_format(int family, const uint8_t *addr, char out[IP_TEXT_MAX]);

/*
 * Prefix length of a contiguous mask of len bytes (ones then zeros), or
 * -EINVAL when the mask has holes.
 */
int mask_prefix_len(const uint8_t *mask, size_t len);
