/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* An IPv6 packet's layers, for learning: frame6.h's parsers in their order. */
#include "learn/frame6.h"

#include <string.h>

static bool is_dhcpv6_ports(const struct learn_udp6 *u)
{
	return (u->sport == LEARN6_DHCP_CLIENT_PORT && u->dport == LEARN6_DHCP_SERVER_PORT) ||
	       (u->sport == LEARN6_DHCP_SERVER_PORT && u->dport == LEARN6_DHCP_CLIENT_PORT);
}

int learn_frame6_parse(const uint8_t *buf, size_t len, struct learn_frame6 *ret)
{
	struct learn_frame6 f;
	int r;

	memset(&f, 0, sizeof(f));
	r = learn_ipv6_parse(buf, len, &f.ip);
	if (r < 0)
		return r;
	if (f.ip.walk != LEARN6_WALK_UPPER || f.ip.is_incomplete)
		goto done;
	if (f.ip.proto == LEARN6_PROTO_ICMPV6) {
		r = learn_icmpv6_parse(f.ip.src, f.ip.dst, buf + f.ip.l4_off, f.ip.l4_len, false,
				       &f.icmp);
		if (r < 0)
			return r;
		f.is_icmpv6 = true;
	} else if (f.ip.proto == LEARN6_PROTO_UDP) {
		r = learn_udp6_parse(buf + f.ip.l4_off, f.ip.l4_len, &f.udp);
		if (r < 0)
			return r;
		f.is_udp = true;
		if (is_dhcpv6_ports(&f.udp)) {
			r = learn_dhcpv6_parse(buf + f.ip.l4_off + f.udp.payload_off,
					       f.udp.payload_len, &f.dhcp);
			if (r < 0)
				return r;
			f.is_dhcpv6 = true;
		}
	}
done:
	*ret = f;
	return 0;
}
