/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Why a frame was dropped, counted in the kernel. Every drop of the layer-2
 * tables goes to one shared chain per reason and side, drop-REASON-o/-i,
 * which counts it in an element of the set "drops" keyed by the port and
 * FW_DROP_KEY(reason, direction) (a dynamic set with a counter per element:
 * no rule and no counter object per port, one hash update per dropped frame
 * and nothing for a frame that passes; one set, so one listing reads every
 * count), copies a sample to the drop log's NFLOG group (at most
 * DROP_LOG_RATE per port) and drops it. Counting is best effort: a full set
 * fails the update, and the next rule drops all the same.
 */
#include "fw/compile.h"

#include <string.h>

#include "fw/compile-internal.h"
#include "util/strbuf.h"

/* Samples of dropped frames per port, both directions together: enough to see what, not all. */
#define DROP_LOG_RATE "limit rate 5/second burst 10 packets"

const char *const fw_drop_reason_names[_FW_DROP_MAX] = {
	[FW_DROP_SOURCE_MAC] = "source-mac",
	[FW_DROP_SOURCE_IP] = "source-ip",
	[FW_DROP_ARP_SPOOFING] = "arp-spoofing",
	[FW_DROP_NDP_SPOOFING] = "ndp-spoofing",
	[FW_DROP_OTHER_ETHERTYPE] = "other-ethertype",
	[FW_DROP_ROGUE_DHCP] = "rogue-dhcp",
	[FW_DROP_ROGUE_RA] = "rogue-ra",
	[FW_DROP_FILTER] = "filter",
	[FW_DROP_LEARNING] = "learning",
	[FW_DROP_BLOCKED] = "blocked",
	[FW_DROP_QUARANTINE] = "quarantine",
	[FW_DROP_UNBOUND] = "unbound",
};

/* The built-in filters whose drops say why; any other filter's are FW_DROP_FILTER. */
static const struct {
	const char *filter;
	enum fw_drop_reason reason;
} by_filter[] = {
	{ "no-mac-spoofing", FW_DROP_SOURCE_MAC },
	{ "no-ip-spoofing", FW_DROP_SOURCE_IP },
	{ "no-ipv6-spoofing", FW_DROP_SOURCE_IP },
	{ "no-ipv6-source-spoofing", FW_DROP_SOURCE_IP },
	{ "no-arp-spoofing", FW_DROP_ARP_SPOOFING },
	{ "no-arp-mac-spoofing", FW_DROP_ARP_SPOOFING },
	{ "no-arp-ip-spoofing", FW_DROP_ARP_SPOOFING },
	{ "no-other-rarp-traffic", FW_DROP_ARP_SPOOFING },
	{ "no-ndp-spoofing", FW_DROP_NDP_SPOOFING },
	{ "no-other-l2-traffic", FW_DROP_OTHER_ETHERTYPE },
	{ "no-dhcp-server", FW_DROP_ROGUE_DHCP },
	{ "no-dhcpv6-server", FW_DROP_ROGUE_DHCP },
	{ "no-ipv6-ra", FW_DROP_ROGUE_RA },
};

enum fw_drop_reason fw_drop_reason_of(const char *filter)
{
	for (size_t i = 0; i < sizeof(by_filter) / sizeof(by_filter[0]); i++)
		if (strcmp(by_filter[i].filter, filter) == 0)
			return by_filter[i].reason;
	return FW_DROP_FILTER;
}

void fw_drop_verdict(struct strbuf *sb, enum fw_drop_reason reason, bool is_out)
{
	strbuf_addf(sb, "goto drop-%s-%s", fw_drop_reason_names[reason], is_out ? "o" : "i");
}

/*
 * A quarantined tap or veth is dropped by netdev hooks on it, which see
 * its frames the other way round from a macvtap's: the VM's at ingress
 * (iifname), frames to it at egress (oifname).
 */
static void add_quarantine_tap(struct strbuf *sb, unsigned drop_log_group)
{
	static const struct {
		const char *side, *key;
		bool is_to_vm;
	} sides[] = { { "o", "iifname", false }, { "i", "oifname", true } };

	for (size_t i = 0; i < 2; i++) {
		const char *s = sides[i].side, *key = sides[i].key;

		strbuf_addf(sb,
			    "add chain netdev " FW_TABLE " drop-quarantine-tap-%s\n"
			    "flush chain netdev " FW_TABLE " drop-quarantine-tap-%s\n"
			    "add rule netdev " FW_TABLE
			    " drop-quarantine-tap-%s update @" FW_DROP_SET " { %s . 0x%08x }\n",
			    s, s, s, key, FW_DROP_KEY(FW_DROP_QUARANTINE, sides[i].is_to_vm));
		if (drop_log_group)
			strbuf_addf(sb,
				    "add rule netdev " FW_TABLE
				    " drop-quarantine-tap-%s add @drop-log-rate { %s " DROP_LOG_RATE
				    " } log prefix \"vgd quarantine %s\" group %u\n",
				    s, key, s, drop_log_group);
		strbuf_addf(sb, "add rule netdev " FW_TABLE " drop-quarantine-tap-%s drop\n", s);
	}
}

void fw_drops_base_add(struct strbuf *sb, enum fw_attach attach, unsigned drop_log_group)
{
	const char *f = fw_l2_layouts[attach].family;

	strbuf_addf(sb,
		    "add set %s " FW_TABLE
		    " drop-log-rate { type ifname; size 65535; flags dynamic,timeout; timeout 60s; "
		    "}\n"
		    "add set %s " FW_TABLE " " FW_DROP_SET
		    " { typeof iifname . meta mark; size 262144; flags dynamic; counter; }\n",
		    f, f);
	for (int r = 0; r < _FW_DROP_MAX; r++) {
		const char *name = fw_drop_reason_names[r];

		/* by direction: what a guest sent is the attack; what reached it, the context */
		for (int side = SIDE_OUT; side <= SIDE_IN; side++) {
			const char *key = fw_l2_layouts[attach].key[side];
			const char *s = side == SIDE_OUT ? "o" : "i";

			strbuf_addf(sb,
				    "add chain %s " FW_TABLE " drop-%s-%s\n"
				    "flush chain %s " FW_TABLE " drop-%s-%s\n"
				    "add rule %s " FW_TABLE " drop-%s-%s update @" FW_DROP_SET
				    " { %s . 0x%08x }\n",
				    f, name, s, f, name, s, f, name, s, key,
				    FW_DROP_KEY(r, side == SIDE_IN));
			if (drop_log_group)
				strbuf_addf(sb,
					    "add rule %s " FW_TABLE
					    " drop-%s-%s add @drop-log-rate { %s " DROP_LOG_RATE
					    " } log prefix \"vgd %s %s\" group %u\n",
					    f, name, s, key, name, s, drop_log_group);
			strbuf_addf(sb, "add rule %s " FW_TABLE " drop-%s-%s drop\n", f, name, s);
		}
	}
	if (attach == FW_ATTACH_NETDEV)
		add_quarantine_tap(sb, drop_log_group);
}

void fw_drops_forget(struct strbuf *sb, enum fw_attach attach, const char *port)
{
	const char *f = fw_l2_layouts[attach].family;

	/* added first: the element exists only once the port dropped something */
	strbuf_addf(sb,
		    "add element %s " FW_TABLE " drop-log-rate { \"%s\" }\n"
		    "delete element %s " FW_TABLE " drop-log-rate { \"%s\" }\n",
		    f, port, f, port);
	for (int r = 0; r < _FW_DROP_MAX; r++)
		for (int dir = 0; dir < 2; dir++)
			strbuf_addf(sb,
				    "add element %s " FW_TABLE " " FW_DROP_SET
				    " { \"%s\" . 0x%08x }\n"
				    "delete element %s " FW_TABLE " " FW_DROP_SET
				    " { \"%s\" . 0x%08x }\n",
				    f, port, FW_DROP_KEY(r, dir), f, port, FW_DROP_KEY(r, dir));
}
