#!/bin/sh
# IPv6 guards with real software: a rogue radvd and a rogue DHCPv6 server
# (dnsmasq) in vm1, a neighbour vm2 with SLAAC on and dhclient -6; forged
# Neighbor Advertisements, Solicitations, sources, redirects and RAs as raw
# frames. Each attack first runs against vm1 bound with "unguarded6" (MAC and
# IPv6 source checks only, no RA, DHCPv6 or NDP guard): the control that
# proves the attack path works. Then vm1 is bound with clean-traffic-strict
# and the same attack fails, while its legitimate traffic (ping, ping6, DAD,
# address resolution) passes, and a legitimate RA from the uplink (gw, a port
# no binding covers) still reaches vm2.
#
#   ns $VM1 (eth0 52:54:00:00:00:01) ── vnet1 ┐  fd00::1, 10.77.0.1   (the rogue)
#   ns $VM2 (eth0 52:54:00:00:00:02) ── vnet2 ┼─ br0 (ns $HOST)  fd00::2  (bound strict)
#   ns $GW  (eth0 52:54:00:00:00:fe) ── vnet9 ┘  fd00::fe (the uplink, unbound)
. "$(dirname "$0")/lib.sh"

require_root
for tool in radvd dhclient dnsmasq; do
	command -v "$tool" >/dev/null ||
		skip_all "$tool not installed (scripts/install-deps.sh check)"
done
topo_up

VM1_IP6=fd00::1
VM2_IP6=fd00::2
GW_IP6=fd00::fe
# the kernel's EUI-64 link-local addresses of the three MACs
VM1_LL=fe80::5054:ff:fe00:1
VM2_LL=fe80::5054:ff:fe00:2
GW_LL=fe80::5054:ff:fe00:fe
ALL_NODES="--dmac 33:33:00:00:00:01 --dip6 ff02::1"

# ipv6_on NS ADDR [sysctl=value...]: IPv6 back on (lib.sh turns it off), a static address
ipv6_on() {
	ns=$1 addr=$2
	shift 2
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.accept_ra=0 "$@"
	in_ns "$ns" ip -6 addr add "$addr/64" dev eth0
}
ipv6_on "$VM1" "$VM1_IP6" net.ipv6.conf.all.forwarding=1
ipv6_on "$VM2" "$VM2_IP6" net.ipv6.conf.eth0.accept_ra=2 net.ipv6.conf.eth0.autoconf=1
ipv6_on "$GW" "$GW_IP6" net.ipv6.conf.all.forwarding=1

# poll TENTHS COMMAND...: up to TENTHS tenths of a second for COMMAND to succeed
poll() {
	n=$1
	shift
	for _ in $(seq "$n"); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
no_tentative() {
	! ip -n "$1" -6 addr show dev eth0 | grep -q tentative
}
has_addr() {
	ip -n "$1" -6 addr show dev eth0 | grep -q "inet6 $2"
}
has_default_via() {
	ip -n "$1" -6 route show default | grep -q "via $2 "
}

# radvd_in NS PREFIX: a router advertising PREFIX (SLAAC) and itself as default router
radvd_in() {
	printf '%s\n' "interface eth0 {" "  AdvSendAdvert on;" "  MinRtrAdvInterval 3;" \
		"  MaxRtrAdvInterval 4;" "  AdvDefaultLifetime 600;" \
		"  prefix $2 { AdvOnLink on; AdvAutonomous on; };" "};" >"$TMPD/radvd.conf"
	ip netns exec "$1" radvd -C "$TMPD/radvd.conf" -p "$TMPD/radvd.pid" -n -m stderr -d 1 \
		>>"$TMPD/radvd.log" 2>&1 &
	radvd=$!
}
stop_radvd() {
	kill "$radvd" 2>/dev/null
	wait "$radvd" 2>/dev/null
}
# forget_ra NS: the addresses and routes a previous RA gave
forget_ra() {
	in_ns "$1" ip -6 route flush proto ra 2>/dev/null
	for a in $(ip -n "$1" -6 -o addr show dev eth0 scope global dynamic | awk '{print $4}'); do
		in_ns "$1" ip -6 addr del "$a" dev eth0
	done
}

# ra_reaches NS PREFIX ROUTER_LL TENTHS: a radvd in NS advertising PREFIX for up to TENTHS
# tenths of a second; true when vm2 took an address in PREFIX and a default route via
# ROUTER_LL. The radvd log is kept for diagnostics; vm2 forgets what it took.
ra_reaches() {
	radvd_in "$1" "$2"
	r=1
	if poll "$4" has_addr "$VM2" "${2%%::/64}:" && poll 50 has_default_via "$VM2" "$3"; then
		r=0
	fi
	kill -0 "$radvd" 2>/dev/null || echo "# radvd is not running"
	stop_radvd
	forget_ra "$VM2"
	return $r
}

# rogue_dhcp6 LOG: a DHCPv6 server (dnsmasq) in vm1; prints the address vm2's dhclient
# -6 leases from it, or nothing
rogue_dhcp6() {
	dnsmasq_in "$VM1" "$1" --dhcp-range=fd00::100,fd00::1ff,64,120
	dhcp6 "$VM2"
	stop_server
}

# dhcp6 NS: runs dhclient -6 in NS for up to 6 s; prints the leased address or nothing
dhcp6() {
	rm -f "$TMPD/dh6.leases" "$TMPD/dh6.pid"
	ip netns exec "$1" dhclient -6 -d -1 -v -lf "$TMPD/dh6.leases" -pf "$TMPD/dh6.pid" \
		-sf /bin/true eth0 >"$TMPD/dh6.log" 2>&1 &
	pid=$!
	poll 60 grep -q iaaddr "$TMPD/dh6.leases"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	sed -n 's/.*iaaddr \([0-9a-f:]*\).*/\1/p' "$TMPD/dh6.leases" 2>/dev/null | head -n 1
}

# rebind PORT ARGS...: the port's binding replaced
rebind() {
	port=$1
	shift
	vg binding delete "$port" >/dev/null 2>&1
	vg binding create --port "$port" "$@"
}

printf '%s\n' "<filter name='unguarded6' chain='root'>" "  <filterref filter='no-mac-spoofing'/>" \
	"  <filterref filter='no-ipv6-source-spoofing'/>" \
	"  <rule direction='out' action='accept' priority='-590'><mac protocolid='ipv6'/></rule>" \
	"  <filterref filter='allow-incoming-ipv6'/>" "  <filterref filter='no-other-l2-traffic'/>" \
	"</filter>" >"$TMPD/unguarded6.xml"
printf '%s\n' "<filter name='dualstack' chain='root'>" "  <filterref filter='clean-traffic'/>" \
	"  <filterref filter='clean-traffic-ipv6'/>" "</filter>" >"$TMPD/dualstack.xml"

check "the daemon starts" daemon_start
check "define unguarded6 (MAC and IPv6 source checks only)" vg filter define "$TMPD/unguarded6.xml"
check "define dualstack = clean-traffic + clean-traffic-ipv6" vg filter define "$TMPD/dualstack.xml"
vg filter list >"$TMPD/list" 2>&1
for f in no-dhcp-server no-ipv6-ra no-dhcpv6-server no-ndp-spoofing no-ipv6-source-spoofing \
	clean-traffic-ipv6 clean-traffic-strict; do
	check "filter list shows the built-in $f" grep -qw -- "$f" "$TMPD/list"
done
check "vm2 bound with clean-traffic-strict" vg binding create --port vnet2 --mac "$VM2_MAC" \
	--filter clean-traffic-strict --param IP="$VM2_IP" --param IPV6="$VM2_IP6" \
	--param IPV6="$VM2_LL"
check "vm1 (the rogue) bound with unguarded6" vg binding create --port vnet1 --mac "$VM1_MAC" \
	--filter unguarded6 --param IPV6="$VM1_IP6" --param IPV6="$VM1_LL"
check "DAD done: vm1's and vm2's addresses are not tentative" \
	sh -c "for i in \$(seq 50); do ip -n $VM1 -6 addr show dev eth0 | grep -q tentative ||
		{ ip -n $VM2 -6 addr show dev eth0 | grep -q tentative || exit 0; }; sleep 0.1; done; exit 1"
check "vm2's static addresses survived DAD under clean-traffic-strict" \
	sh -c "ip -n $VM2 -6 addr show dev eth0 | grep -v dadfailed | grep -q 'inet6 $VM2_IP6/64'"

# ------------------------------------------------------------------ controls: no guard on vm1
if ra_reaches "$VM1" fd77:1::/64 "$VM1_LL" 100; then
	ok "control: a radvd in vm1 gives vm2 a SLAAC address and a default route"
else
	not_ok "control: a radvd in vm1 gives vm2 a SLAAC address and a default route"
	sed 's/^/# /' "$TMPD/radvd.log"
fi

lease=$(rogue_dhcp6 "$TMPD/rogue6.log")
case "$lease" in fd00::1[0-9a-f][0-9a-f]) ok "control: vm2's dhclient -6 takes a lease from vm1's dnsmasq" ;;
*) not_ok "control: vm2's dhclient -6 takes a lease from vm1's dnsmasq"; echo "# lease '$lease'"
	sed 's/^/# /' "$TMPD/dh6.log" "$TMPD/rogue6.log" ;; esac

V1="--smac $VM1_MAC"
expect_eq "control: an NA from vm1 for vm2's address reaches vm2" 3 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_IP6" --icmp6-type 136 \
		--target "$VM2_IP6")"
expect_eq "control: a redirect from vm1 reaches vm2" 3 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 --dmac "$VM2_MAC" --sip6 "$VM1_LL" \
		--dip6 "$VM2_LL" --icmp6-type 137 --target "$VM1_LL")"
expect_eq "control: an RA from vm1 reaches vm2" 3 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_LL" --icmp6-type 134)"
expect_eq "control: a DHCPv6 reply (from 547) behind a hop-by-hop header reaches vm2" 3 \
	"$(frames_pass "$VM1" "$VM2" ipv6 $V1 --dmac "$VM2_MAC" --sip6 "$VM1_LL" \
		--dip6 "$VM2_LL" --sport 547 --dport 546 --hbh)"
# unguarded6's source check already refuses :: for another's target: the control is gw's port
expect_eq "control: a DAD NS for vm2's address from gw (no binding) reaches vm2" 3 \
	"$(frames_pass "$GW" "$VM2" icmpv6 --smac "$GW_MAC" $ALL_NODES --sip6 :: --icmp6-type 135 \
		--target "$VM2_IP6")"

# ------------------------------------------------------------------ vm1 under clean-traffic-strict
check "vm1 bound with clean-traffic-strict" rebind vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic-strict --param IP="$VM1_IP" --param IPV6="$VM1_IP6" \
	--param IPV6="$VM1_LL"
check "vm1's binding is active" sh -c "[ \"\$(ip netns exec $HOST $CTL --socket $TMPD/control.sock \
	binding show vnet1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = active ]"

if ! ra_reaches "$VM1" fd77:2::/64 "$VM1_LL" 70; then
	ok "no-ipv6-ra: vm1's radvd runs 7 s, vm2 takes no prefix and no route from it"
else
	not_ok "no-ipv6-ra: vm1's radvd runs 7 s, vm2 takes no prefix and no route from it"
	sed 's/^/# /' "$TMPD/radvd.log"
fi

lease=$(rogue_dhcp6 "$TMPD/rogue6b.log")
if [ -z "$lease" ] && grep -q DHCPADVERTISE "$TMPD/rogue6b.log"; then
	ok "no-dhcpv6-server: vm1's dnsmasq advertises, vm2's dhclient -6 never hears it"
else
	not_ok "no-dhcpv6-server: vm1's dnsmasq advertises, vm2's dhclient -6 never hears it"
	echo "# lease '$lease'"
	sed 's/^/# /' "$TMPD/dh6.log" "$TMPD/rogue6b.log"
fi

# Neighbor Discovery
expect_eq "no-ndp-spoofing: an unsolicited NA from vm1 for vm2's address is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_IP6" --icmp6-type 136 \
		--target "$VM2_IP6")"
expect_eq "no-ndp-spoofing: an NA from vm1 for the router's (gw's) address is dropped" 0 \
	"$(frames_pass "$VM1" "$GW" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_LL" --icmp6-type 136 \
		--target "$GW_LL")"
expect_eq "an NA from vm1 for its own address passes" 3 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_IP6" --icmp6-type 136 \
		--target "$VM1_IP6")"
expect_eq "an NA from vm1 for its own link-local address passes" 3 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_LL" --icmp6-type 136 \
		--target "$VM1_LL")"
expect_eq "a DAD NS (from ::) from vm1 for its own address passes" 3 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 :: --icmp6-type 135 \
		--target "$VM1_IP6")"
expect_eq "a DAD NS (from ::) from vm1 for vm2's address is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 :: --icmp6-type 135 \
		--target "$VM2_IP6")"
expect_eq "an NS from vm1's address for vm2's (address resolution) passes" 3 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_IP6" --icmp6-type 135 \
		--target "$VM2_IP6")"
expect_eq "an NS from a forged source is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 fd00::99 --icmp6-type 135 \
		--target "$VM2_IP6")"
expect_eq "an MLD report from :: (RFC 3590, while tentative) passes" 3 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 --dmac 33:33:00:00:00:16 --sip6 :: --dip6 ff02::16 \
		--icmp6-type 143)"
# sources, redirects, RAs, DHCPv6
expect_eq "IPv6 from a forged source is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv6 $V1 --dmac "$VM2_MAC" --sip6 fd00::99 --dip6 "$VM2_IP6")"
expect_eq "IPv6 from vm2's address is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv6 $V1 --dmac "$VM2_MAC" --sip6 "$VM2_IP6" --dip6 "$VM2_IP6")"
expect_eq "IPv6 from :: other than DAD and MLD is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv6 $V1 --dmac "$VM2_MAC" --sip6 :: --dip6 "$VM2_IP6")"
expect_eq "IPv6 from vm1's own address passes" 3 \
	"$(frames_pass "$VM1" "$VM2" ipv6 $V1 --dmac "$VM2_MAC" --sip6 "$VM1_IP6" --dip6 "$VM2_IP6")"
expect_eq "IPv6 with vm1's address but another MAC is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv6 --smac 52:54:00:00:00:99 --dmac "$VM2_MAC" \
		--sip6 "$VM1_IP6" --dip6 "$VM2_IP6")"
expect_eq "no-ipv6-ra: a redirect from vm1 is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 --dmac "$VM2_MAC" --sip6 "$VM1_LL" \
		--dip6 "$VM2_LL" --icmp6-type 137 --target "$VM1_LL")"
expect_eq "no-ipv6-ra: an RA from vm1 is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_LL" --icmp6-type 134)"
expect_eq "no-ipv6-ra: an RA behind a hop-by-hop header is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_LL" --icmp6-type 134 --hbh)"
expect_eq "no-dhcpv6-server: a reply from port 547 is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv6 $V1 --dmac "$VM2_MAC" --sip6 "$VM1_LL" \
		--dip6 "$VM2_LL" --sport 547 --dport 546)"
expect_eq "no-dhcpv6-server: a reply from 547 behind a hop-by-hop header is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv6 $V1 --dmac "$VM2_MAC" --sip6 "$VM1_LL" \
		--dip6 "$VM2_LL" --sport 547 --dport 546 --hbh)"
expect_eq "vm1 may be a DHCPv6 client: its solicit (546 to 547) passes" 3 \
	"$(frames_pass "$VM1" "$VM2" ipv6 $V1 --dmac 33:33:00:01:00:02 --sip6 "$VM1_LL" \
		--dip6 ff02::1:2 --sport 546 --dport 547)"
expect_eq "clean-traffic-strict: another ethertype from vm1 is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" raw $V1 --ethertype 0x88b5)"
expect_eq "clean-traffic-strict: a DHCPv4 reply from vm1 is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip 255.255.255.255 \
		--sport 67 --dport 68)"

# legitimate traffic
check "ping6 vm1 -> vm2 (global addresses)" in_ns "$VM1" busybox ping -c 2 -W 2 "$VM2_IP6"
check "ping6 vm2 -> vm1 (link-local addresses)" in_ns "$VM2" busybox ping -c 2 -W 2 -I eth0 "$VM1_LL"
check "ping vm1 -> vm2 (IPv4 still passes)" in_ns "$VM1" busybox ping -c 1 -W 2 "$VM2_IP"

if ra_reaches "$GW" fd77:9::/64 "$GW_LL" 100; then
	ok "a legitimate RA from the uplink (gw) still gives vm2 its prefix and route"
else
	not_ok "a legitimate RA from the uplink (gw) still gives vm2 its prefix and route"
	sed 's/^/# /' "$TMPD/radvd.log"
fi

# ------------------------------------------------------------------ other combinations
check "vm1 bound with clean-traffic-ipv6" rebind vnet1 --mac "$VM1_MAC" \
	--filter clean-traffic-ipv6 --param IPV6="$VM1_IP6" --param IPV6="$VM1_LL"
check "clean-traffic-ipv6: ping6 vm1 -> vm2" in_ns "$VM1" busybox ping -c 1 -W 2 "$VM2_IP6"
expect_eq "clean-traffic-ipv6: IPv4 from vm1 is dropped (IPv6 only, as clean-traffic is IPv4 only)" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip "$VM2_IP")"
expect_eq "clean-traffic-ipv6: an RA from vm1 is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_LL" --icmp6-type 134)"
check "vm1 bound with dualstack (clean-traffic + clean-traffic-ipv6)" rebind vnet1 \
	--mac "$VM1_MAC" --filter dualstack --param IP="$VM1_IP" --param IPV6="$VM1_IP6" \
	--param IPV6="$VM1_LL"
check "dualstack: ping vm1 -> vm2" in_ns "$VM1" busybox ping -c 1 -W 2 "$VM2_IP"
check "dualstack: ping6 vm1 -> vm2" in_ns "$VM1" busybox ping -c 1 -W 2 "$VM2_IP6"
expect_eq "dualstack: an NA from vm1 for vm2's address is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" icmpv6 $V1 $ALL_NODES --sip6 "$VM1_IP6" --icmp6-type 136 \
		--target "$VM2_IP6")"
expect_eq "dualstack: IPv4 from a forged source is dropped" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv4 $V1 --sip 10.77.0.99 --dip "$VM2_IP")"

done_testing
