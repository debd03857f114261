/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The base tables: the bridge table's hooks and dispatch maps, the netdev
 * table of macvtap ports, the inet table of stateful rules, and in both
 * layer-2 tables the shared learning chains that copy a learning port's
 * frames to the NFLOG group. Every statement is idempotent, so the text
 * can be run again over tables that exist.
 */
#include "fw/compile.h"

#include <stdio.h>
#include <string.h>

#include "fw/compile-internal.h"
#include "util/strbuf.h"

/* Rate of copies to the learning NFLOG group, per port and direction: a VM cannot flood the daemon.
 */
#define LOG_RATE   "limit rate 50/second burst 100 packets"
#define REPLY_RATE "limit rate 500/second burst 1000 packets"

/*
 * The shared learning chains of one family's table. F stands for the
 * family, KO and KI for the port's key in frames from and to the VM.
 */
static void add_learning_base(struct strbuf *sb, enum fw_attach attach, unsigned nflog_group,
			      unsigned drop_log_group)
{
	static const char *const modes[] = { "any", "dhcp" };
	const char *f = fw_l2_layouts[attach].family, *ko = fw_l2_layouts[attach].key[SIDE_OUT],
		   *ki = fw_l2_layouts[attach].key[SIDE_IN];

	strbuf_addf(sb,
		    "add set %s " FW_TABLE " learn-mac { type ifname . ether_addr; }\n"
		    "add set %s " FW_TABLE " learn-servers { type ifname . ipv4_addr; }\n"
		    "add set %s " FW_TABLE " learn-any-server { type ifname; }\n"
		    "add set %s " FW_TABLE " snoop-ports { type ifname; }\n"
		    "add set %s " FW_TABLE
		    " rate-o { type ifname; size 65535; flags dynamic,timeout; timeout 60s; }\n"
		    "add set %s " FW_TABLE
		    " rate-i { type ifname; size 65535; flags dynamic,timeout; timeout 60s; }\n"
		    "add chain %s " FW_TABLE " log-o\n"
		    "add chain %s " FW_TABLE " log-i\n"
		    "add chain %s " FW_TABLE " dhcp-reply\n"
		    "flush chain %s " FW_TABLE " log-o\n"
		    "flush chain %s " FW_TABLE " log-i\n"
		    "flush chain %s " FW_TABLE " dhcp-reply\n",
		    f, f, f, f, f, f, f, f, f, f, f, f);
	strbuf_addf(sb,
		    "add rule %s " FW_TABLE " log-o add @rate-o { %s " LOG_RATE " } "
		    "log prefix \"vg-o\" group %u queue-threshold 1\n"
		    "add rule %s " FW_TABLE " log-i add @rate-i { %s " LOG_RATE " } "
		    "log prefix \"vg-i\" group %u queue-threshold 1\n",
		    f, ko, nflog_group, f, ki, nflog_group);
	/*
	 * A DHCP reply reaches a learning VM only from a trusted server. On a
	 * bridge it was copied at the forward (or output) hook already, where
	 * the kernel still says which port it entered from: postrouting does
	 * not, and the daemon must know (a reply from a guest port never
	 * teaches). A macvtap's ingress has only the outside behind it.
	 */
	if (attach == FW_ATTACH_NETDEV)
		strbuf_addf(sb,
			    "add rule %s " FW_TABLE " dhcp-reply %s @learn-any-server jump log-i\n"
			    "add rule %s " FW_TABLE
			    " dhcp-reply %s . ip saddr @learn-servers jump log-i\n",
			    f, ki, f, ki);
	fw_drops_base_add(sb, attach, drop_log_group);
	strbuf_addf(sb,
		    "add rule %s " FW_TABLE " dhcp-reply %s @learn-any-server accept\n"
		    "add rule %s " FW_TABLE " dhcp-reply %s . ip saddr @learn-servers accept\n"
		    "add rule %s " FW_TABLE " dhcp-reply goto drop-rogue-dhcp-i\n",
		    f, ki, f, ki, f);
	for (int m = 0; m < 2; m++) {
		const char *mode = modes[m];

		strbuf_addf(sb,
			    "add chain %s " FW_TABLE " learn-%s-o\n"
			    "add chain %s " FW_TABLE " learn-%s-i\n"
			    "flush chain %s " FW_TABLE " learn-%s-o\n"
			    "flush chain %s " FW_TABLE " learn-%s-i\n",
			    f, mode, f, mode, f, mode, f, mode);
		/* only the VM's own MAC, and DHCP requests copied and passed */
		strbuf_addf(sb,
			    "add rule %s " FW_TABLE
			    " learn-%s-o %s . ether saddr != @learn-mac goto drop-source-mac-o\n"
			    "add rule %s " FW_TABLE
			    " learn-%s-o ether type ip udp sport 68 udp dport 67 jump log-o\n"
			    "add rule %s " FW_TABLE
			    " learn-%s-o ether type ip udp sport 68 udp dport 67 accept\n"
			    "add rule %s " FW_TABLE
			    " learn-%s-i ether type ip udp sport 67 udp dport 68 jump dhcp-reply\n",
			    f, mode, ko, f, mode, f, mode, f, mode);
		if (m == 0)
			/*
			 * any: the VM's ARP and IPv4 are copied, and dropped until the
			 * full rules are in (a few ms): the frame that teaches an address
			 * never passes with it, so no address a port does not own passes
			 * either (another port's, a protected one). An ARP probe (sender
			 * 0.0.0.0, the VM's own MAC) owns nothing and passes. Nothing but DHCP
			 * replies reaches a learning VM: it has no address to receive on.
			 */
			strbuf_addf(sb,
				    "add rule %s " FW_TABLE
				    " learn-any-o ether type { arp, ip } jump log-o\n"
				    "add rule %s " FW_TABLE " learn-any-o arp saddr ip 0.0.0.0 "
				    "%s . arp saddr ether @learn-mac accept\n",
				    f, f, ko);
		strbuf_addf(sb,
			    "add rule %s " FW_TABLE " learn-%s-o goto drop-learning-o\n"
			    "add rule %s " FW_TABLE " learn-%s-i goto drop-learning-i\n",
			    f, mode, f, mode);
	}
}

/*
 * IPv6 learning never ends (a guest gains addresses all its life), so it is
 * a gate in front of the port's dispatch rather than a state: a frame from
 * an address the port has learned refreshes its entry and goes on to the
 * port's rules; DAD (from ::) and the VM's DHCPv6 client messages are copied
 * and go on (the rules decide); anything else from a new source is copied
 * and dropped until the daemon has checked and added it.
 */
static void add_learning6_base(struct strbuf *sb, unsigned idle_s)
{
	strbuf_addf(sb,
		    "add set bridge " FW_TABLE " learn6-ports { type ifname; }\n"
		    "add set bridge " FW_TABLE " addr6 { type ifname . ipv6_addr; size 65535; "
		    "flags dynamic,timeout; }\n"
		    "add chain bridge " FW_TABLE " learn6-o\n"
		    "flush chain bridge " FW_TABLE " learn6-o\n"
		    /* DHCPv6 first: a REPLY teaches only for an exchange the daemon saw start */
		    "add rule bridge " FW_TABLE " learn6-o udp sport 546 udp dport 547 jump log-o\n"
		    "add rule bridge " FW_TABLE
		    " learn6-o iifname . ip6 saddr @addr6 update @addr6 "
		    "{ iifname . ip6 saddr timeout %us } return\n"
		    "add rule bridge " FW_TABLE " learn6-o ip6 saddr :: icmpv6 type "
		    "nd-neighbor-solicit jump log-o\n"
		    "add rule bridge " FW_TABLE " learn6-o ip6 saddr :: icmpv6 type "
		    "nd-neighbor-solicit return\n"
		    "add rule bridge " FW_TABLE " learn6-o udp sport 546 udp dport 547 return\n"
		    "add rule bridge " FW_TABLE " learn6-o jump log-o\n"
		    "add rule bridge " FW_TABLE " learn6-o goto drop-learning-o\n",
		    idle_s ? idle_s : FW_IPV6_IDLE_DEFAULT_S);
}

void fw_base_add(struct strbuf *sb, const struct fw_base_opts *o)
{
	/*
	 * Priorities of ebtables' nat table, where libvirt puts its rules:
	 * before the bridge decides (prerouting -300) and after (postrouting
	 * 300); the forward chain marks the out-port before br_netfilter (-1)
	 * hands the packet to the inet hooks. Re-adding the rules is atomic with
	 * the flush, so running this again never opens a gap. Learned ports keep
	 * copying their DHCP (snoop-ports) before their own rules run.
	 */
	strbuf_add(sb, "add table bridge " FW_TABLE "\n"
		       "add map bridge " FW_TABLE " out-ports { type ifname : verdict; }\n"
		       "add map bridge " FW_TABLE " in-ports { type ifname : verdict; }\n"
		       "add map bridge " FW_TABLE " l3-in-ids { type ifname : mark; }\n"
		       "add set bridge " FW_TABLE " l3-out-ports { type ifname; }\n");
	for (int bit = 0; bit < 16; bit++)
		strbuf_addf(sb, "add set bridge " FW_TABLE " l3-out-bit%d { type ifname; }\n", bit);
	add_learning_base(sb, FW_ATTACH_BRIDGE, o->nflog_group, o->drop_log_group);
	add_learning6_base(sb, o->ipv6_idle_s);
	/*
	 * DHCP replies towards learning and snooping ports are copied where the
	 * kernel knows where they entered (forward), or that the host sent them
	 * (output). Their copy budget is charged to the port they came from: a
	 * guest flooding replies spends its own, never the one of the real
	 * server's replies to another port. A bridge port may serve many VMs
	 * (the uplink), so its budget is larger than a VM's own (rate-o).
	 */
	strbuf_addf(sb,
		    "add set bridge " FW_TABLE " dhcp-copy-ports { type ifname; }\n"
		    "add set bridge " FW_TABLE " rate-reply { type ifname; size 65535; "
		    "flags dynamic,timeout; timeout 60s; }\n"
		    "add chain bridge " FW_TABLE " log-reply\n"
		    "add chain bridge " FW_TABLE " log-host\n"
		    "flush chain bridge " FW_TABLE " log-reply\n"
		    "flush chain bridge " FW_TABLE " log-host\n"
		    "add rule bridge " FW_TABLE " log-reply add @rate-reply { iifname " REPLY_RATE
		    " } log prefix \"vg-i\" group %u queue-threshold 1\n"
		    "add rule bridge " FW_TABLE " log-host log prefix \"vg-i\" group %u "
		    "queue-threshold 1\n",
		    o->nflog_group, o->nflog_group);
	strbuf_add(sb, "add chain bridge " FW_TABLE " prerouting { type filter hook prerouting "
		       "priority -300; policy accept; }\n"
		       "add chain bridge " FW_TABLE " forward { type filter hook forward "
		       "priority -200; policy accept; }\n"
		       "add chain bridge " FW_TABLE " postrouting { type filter hook "
		       "postrouting priority 300; policy accept; }\n"
		       "add chain bridge " FW_TABLE " output { type filter hook output "
		       "priority -200; policy accept; }\n"
		       "add chain bridge " FW_TABLE " set-out-mark\n"
		       "add set bridge " FW_TABLE " unbound-ports { type ifname; }\n"
		       "add chain bridge " FW_TABLE " guard-o\n"
		       "add chain bridge " FW_TABLE " guard-i\n"
		       "flush chain bridge " FW_TABLE " prerouting\n"
		       "flush chain bridge " FW_TABLE " forward\n"
		       "flush chain bridge " FW_TABLE " postrouting\n"
		       "flush chain bridge " FW_TABLE " output\n"
		       "flush chain bridge " FW_TABLE " set-out-mark\n"
		       "add rule bridge " FW_TABLE " prerouting meta mark set iifname map "
		       "@l3-in-ids\n"
		       "add rule bridge " FW_TABLE " prerouting iifname @snoop-ports ether type "
		       "ip udp sport 68 udp dport 67 jump log-o\n"
		       "add rule bridge " FW_TABLE " prerouting iifname @learn6-ports ether type "
		       "ip6 jump learn6-o\n"
		       "add rule bridge " FW_TABLE " prerouting iifname vmap @out-ports\n"
		       "add rule bridge " FW_TABLE " prerouting jump guard-o\n"
		       "add rule bridge " FW_TABLE " forward oifname @dhcp-copy-ports ether type "
		       "ip udp sport 67 udp dport 68 jump log-reply\n"
		       "add rule bridge " FW_TABLE " output oifname @dhcp-copy-ports ether type "
		       "ip udp sport 67 udp dport 68 jump log-host\n"
		       "add rule bridge " FW_TABLE " forward oifname @learn6-ports ether type "
		       "ip6 udp sport 547 udp dport 546 jump log-reply\n"
		       "add rule bridge " FW_TABLE " output oifname @learn6-ports ether type "
		       "ip6 udp sport 547 udp dport 546 jump log-host\n"
		       "add rule bridge " FW_TABLE " forward oifname @l3-out-ports jump "
		       "set-out-mark\n"
		       "add rule bridge " FW_TABLE " postrouting oifname vmap @in-ports\n"
		       "add rule bridge " FW_TABLE " postrouting jump guard-i\n"
		       "add rule bridge " FW_TABLE " set-out-mark meta mark set meta mark & "
		       "0xffff0000\n");
	for (int bit = 0; bit < 16; bit++)
		strbuf_addf(sb,
			    "add rule bridge " FW_TABLE " set-out-mark oifname @l3-out-bit%d "
			    "meta mark set meta mark | 0x%04x\n",
			    bit, 1u << bit);
}

/*
 * guard-o and guard-i are reached by the frames of ports not in the dispatch
 * maps, and by bound ports whose chains return; "not bound" is asked of the
 * maps themselves, so binding a port opens it in the same transaction that
 * adds its elements, and deleting its binding closes it in the one that
 * removes them. The base never flushes them: their rules are the daemon's
 * configuration, not a port's.
 */
void fw_guard_add(struct strbuf *sb, const struct fw_guard *g)
{
	strbuf_add(sb, "flush chain bridge " FW_TABLE " guard-o\n"
		       "flush chain bridge " FW_TABLE " guard-i\n");
	for (size_t i = 0; i < g->n_trusted; i++)
		strbuf_addf(sb,
			    "add rule bridge " FW_TABLE " guard-o iifname \"%s\" return\n"
			    "add rule bridge " FW_TABLE " guard-i oifname \"%s\" return\n",
			    g->trusted[i], g->trusted[i]);
	for (size_t i = 0; i < g->n_patterns; i++)
		strbuf_addf(sb,
			    "add rule bridge " FW_TABLE " guard-o iifname \"%s\" iifname != "
			    "@out-ports goto drop-unbound-o\n"
			    "add rule bridge " FW_TABLE " guard-i oifname \"%s\" oifname != "
			    "@in-ports goto drop-unbound-i\n",
			    g->patterns[i], g->patterns[i]);
	strbuf_add(sb, "add rule bridge " FW_TABLE " guard-o iifname @unbound-ports iifname != "
		       "@out-ports goto drop-unbound-o\n"
		       "add rule bridge " FW_TABLE " guard-i oifname @unbound-ports oifname != "
		       "@in-ports goto drop-unbound-i\n");
}

void fw_base_netdev_add(struct strbuf *sb, const struct fw_base_opts *o)
{
	/* No hooks of its own: each macvtap port brings its two (fw_add_hook_chains). */
	strbuf_add(sb, "add table netdev " FW_TABLE "\n");
	add_learning_base(sb, FW_ATTACH_NETDEV, o->nflog_group, o->drop_log_group);
}

void fw_base_inet_add(struct strbuf *sb)
{
	strbuf_add(sb, "add table inet " FW_TABLE "\n"
		       "add map inet " FW_TABLE " fi-ports { type mark : verdict; }\n"
		       "add map inet " FW_TABLE " fo-ports { type mark : verdict; }\n"
		       "add map inet " FW_TABLE " hi-ports { type mark : verdict; }\n"
		       "add chain inet " FW_TABLE
		       " forward { type filter hook forward priority -10; policy accept; }\n"
		       "add chain inet " FW_TABLE
		       " input { type filter hook input priority -10; policy accept; }\n"
		       "flush chain inet " FW_TABLE " forward\n"
		       "flush chain inet " FW_TABLE " input\n"
		       "add rule inet " FW_TABLE " forward meta mark & 0xffff0000 vmap @fi-ports\n"
		       "add rule inet " FW_TABLE " forward meta mark & 0x0000ffff vmap @fo-ports\n"
		       "add rule inet " FW_TABLE " input meta mark & 0xffff0000 vmap @hi-ports\n");
}
