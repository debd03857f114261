/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* MAC and IP text forms. inet_pton is strict enough for IP; MACs are parsed by hand. */
#include "addr.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdio.h>

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mac_parse(const char *text, uint8_t ret[MAC_LEN])
{
	uint8_t mac[MAC_LEN];
	const char *p = text;

	for (int i = 0; i < MAC_LEN; i++) {
		int hi = hex_digit(p[0]), lo;

		if (hi < 0)
			return -EINVAL;
		lo = hex_digit(p[1]);
		if (lo >= 0) {
			mac[i] = (uint8_t)(hi << 4 | lo);
			p += 2;
		} else {
			mac[i] = (uint8_t)hi;
			p += 1;
		}
		if (i < MAC_LEN - 1) {
			if (*p != ':')
				return -EINVAL;
			p++;
		}
	}
	if (*p != '\0')
		return -EINVAL;
	for (int i = 0; i < MAC_LEN; i++)
		ret[i] = mac[i];
	return 0;
}

void mac_format(const uint8_t mac[MAC_LEN], char out[MAC_TEXT_MAX])
{
	snprintf(out, MAC_TEXT_MAX, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
		 mac[4], mac[5]);
}

int mask_prefix_len(const uint8_t *mask, size_t len)
{
	int prefix = 0;
	size_t i = 0;

	for (; i < len && mask[i] == 0xff; i++)
		prefix += 8;
	if (i < len) {
		uint8_t b = mask[i];

		while (b & 0x80) {
			prefix++;
			b = (uint8_t)(b << 1);
		}
		if (b != 0)
			return -EINVAL;
		for (i++; i < len; i++)
			if (mask[i] != 0)
				return -EINVAL;
	}
	return prefix;
}

bool mac_is_contiguous_mask(const uint8_t mask[MAC_LEN])
{
	return mask_prefix_len(mask, MAC_LEN) >= 0;
}

bool mac_is_unicast(const uint8_t mac[MAC_LEN])
{
	return !(mac[0] & 1);
}

int ipv4_parse(const char *text, uint8_t ret[4])
{
	return inet_pton(AF_INET, text, ret) == 1 ? 0 : -EINVAL;
}

int ipv6_parse(const char *text, uint8_t ret[16])
{
	return inet_pton(AF_INET6, text, ret) == 1 ? 0 : -EINVAL;
}

void ipv4_format(const uint8_t addr[4], char out[IP_TEXT_MAX])
{
	inet_ntop(AF_INET, addr, out, IP_TEXT_MAX);
}

void ipv6_format(const uint8_t addr[16], char out[IP_TEXT_MAX])
{
	inet_ntop(AF_INET6, addr, out, IP_TEXT_MAX);
}

size_t ip_len(int family)
{
	return family == 4 ? 4 : family == 6 ? 16 : 0;
}

int ip_parse(int family, const char *text, uint8_t *ret)
{
	if (family == 4)
		return ipv4_parse(text, ret);
	if (family == 6)
		return ipv6_parse(text, ret);
	return -EINVAL;
}

void ip_format(int family, const uint8_t *addr, char out[IP_TEXT_MAX])
{
	assert(family == 4 || family == 6);
	if (family == 4)
		ipv4_format(addr, out);
	else
		ipv6_format(addr, out);
}
