/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The layer between the link and the network header: in-band 802.1Q/802.1ad
 * tags (at most two, counting a tag the capture already stripped), then ARP
 * or IPv4 by ethertype. Also the names of the drop reasons.
 */
#include "learn/frame.h"

#include "util/cleanup.h"
#include "util/cursor.h"

static const char *const drop_names[_LEARN_DROP_MAX] = {
	[LEARN_DROP_NONE] = "none",
	[LEARN_DROP_TRUNCATED] = "truncated",
	[LEARN_DROP_BAD_NFLOG] = "bad-nflog",
	[LEARN_DROP_NO_PAYLOAD] = "no-payload",
	[LEARN_DROP_BAD_ETHERTYPE] = "bad-ethertype",
	[LEARN_DROP_TOO_MANY_VLANS] = "too-many-vlans",
	[LEARN_DROP_BAD_ARP] = "bad-arp",
	[LEARN_DROP_BAD_IPV4] = "bad-ipv4",
	[LEARN_DROP_BAD_UDP] = "bad-udp",
	[LEARN_DROP_BAD_BOOTP] = "bad-bootp",
	[LEARN_DROP_BAD_OPTIONS] = "bad-options",
	[LEARN_DROP_OTHER_L3] = "other-l3",
	[LEARN_DROP_FRAGMENT] = "fragment",
	[LEARN_DROP_NOT_UDP] = "not-udp",
	[LEARN_DROP_NOT_DHCP_PORT] = "not-dhcp-port",
	[LEARN_DROP_WRONG_DIRECTION] = "wrong-direction",
	[LEARN_DROP_NO_SRC_MAC] = "no-src-mac",
	[LEARN_DROP_SPOOFED_MAC] = "spoofed-mac",
	[LEARN_DROP_MODE_DHCP] = "mode-dhcp",
	[LEARN_DROP_LEARNED] = "learned",
	[LEARN_DROP_ARP_OP] = "arp-op",
	[LEARN_DROP_ARP_SHA] = "arp-sha",
	[LEARN_DROP_ARP_PROBE] = "arp-probe",
	[LEARN_DROP_ADDR_ZERO] = "addr-zero",
	[LEARN_DROP_ADDR_LOOPBACK] = "addr-loopback",
	[LEARN_DROP_ADDR_MULTICAST] = "addr-multicast",
	[LEARN_DROP_ADDR_CLASS_E] = "addr-class-e",
	[LEARN_DROP_ADDR_BROADCAST] = "addr-broadcast",
	[LEARN_DROP_DHCP_NO_COOKIE] = "dhcp-no-cookie",
	[LEARN_DROP_DHCP_NO_TYPE] = "dhcp-no-type",
	[LEARN_DROP_DHCP_BAD_OP] = "dhcp-bad-op",
	[LEARN_DROP_DHCP_OFFER] = "dhcp-offer",
	[LEARN_DROP_DHCP_UNUSED] = "dhcp-unused",
	[LEARN_DROP_DHCP_CHADDR] = "dhcp-chaddr",
	[LEARN_DROP_DHCP_XID] = "dhcp-xid",
	[LEARN_DROP_DHCP_UNTRUSTED] = "dhcp-untrusted",
	[LEARN_DROP_DHCP_NOT_OURS] = "dhcp-not-ours",
	[LEARN_DROP_DHCP_NO_ADDR] = "dhcp-no-addr",
	[LEARN_DROP_UNTRUSTED_PORT] = "untrusted-port",
	[LEARN_DROP_NOT_DHCP_TAUGHT] = "not-dhcp-taught",
	[LEARN_DROP_ADDR_LIMIT] = "address-limit",
	[LEARN_DROP_BAD_IPV6] = "bad-ipv6",
	[LEARN_DROP_ADDR6_RESERVED] = "addr6-reserved",
	[LEARN_DROP_DHCPV6_ADVERTISE] = "dhcpv6-advertise",
	[LEARN_DROP_DHCPV6_UNUSED] = "dhcpv6-unused",
	[LEARN_DROP_DHCPV6_CLIENT_ID] = "dhcpv6-client-id",
	[LEARN_DROP_DHCPV6_STATUS] = "dhcpv6-status",
	[LEARN_DROP_UNSPECIFIED_SOURCE] = "unspecified-source",
	[LEARN_DROP_BAD_PREFIX] = "bad-prefix",
};

const char *learn_drop_name(enum learn_drop reason)
{
	if ((unsigned)reason >= ARRAY_SIZE(drop_names) || !drop_names[reason])
		return "unknown";
	return drop_names[reason];
}

static bool is_vlan_tpid(uint16_t ethertype)
{
	return ethertype == LEARN_ETHERTYPE_8021Q || ethertype == LEARN_ETHERTYPE_8021AD;
}

int learn_l3_parse(uint16_t ethertype, const uint8_t *buf, size_t len, struct learn_frame *ret)
{
	struct cursor c = cursor_init(buf, len);
	struct learn_frame f = *ret;
	int r = 0;

	/* Each tag: TCI (PCP, DEI, 12-bit VID), then the next ethertype. */
	while (is_vlan_tpid(ethertype)) {
		uint16_t tci;

		if (f.n_vlan >= LEARN_VLAN_MAX)
			return -LEARN_DROP_TOO_MANY_VLANS;
		if (!cursor_u16be(&c, &tci) || !cursor_u16be(&c, &ethertype))
			return -LEARN_DROP_TRUNCATED;
		f.vlan[f.n_vlan++] = tci & 0x0fff;
	}
	if (ethertype < 0x0600)
		return -LEARN_DROP_BAD_ETHERTYPE;
	f.ethertype = ethertype;

	switch (ethertype) {
	case LEARN_ETHERTYPE_ARP:
		f.l3 = LEARN_L3_ARP;
		r = learn_arp_parse(c.p, c.rem, &f.arp);
		break;
	case LEARN_ETHERTYPE_IPV4:
		r = learn_ipv4_parse(c.p, c.rem, &f);
		break;
	case LEARN_ETHERTYPE_IPV6:
		f.l3 = LEARN_L3_IPV6;
		r = learn_frame6_parse(c.p, c.rem, &f.v6) < 0 ? -LEARN_DROP_BAD_IPV6 : 0;
		break;
	default:
		f.l3 = LEARN_L3_OTHER;
		break;
	}
	if (r < 0)
		return r;
	*ret = f;
	return 0;
}
