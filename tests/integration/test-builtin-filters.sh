#!/bin/sh
# Every one of the 24 built-in filters, bound to vm1's port (vnet1), lets at
# least one frame/exchange through and drops at least one, with real traffic
# and libvirt's semantics (reference §7.1: a frame that runs off the end of a
# named chain is accepted; `return` goes back to the root chain).
#
# A filter that only accepts is bound through a small test filter (wrap) that
# adds a drop after it, at priority 1000 in the root chain or, where the
# accepts are conditional, in the filter's own chain, so the accept has
# something to win against. Each
# filter is applied over the previous binding (apply replaces a port's rules
# atomically); vnet1 is removed at the end.
# Topology: see lib.sh (vm1 bound; vm2 the peer; gw the gateway/DHCP server).
. "$(dirname "$0")/lib.sh"

require_root
topo_up
export VIFGUARD_RUN_DIR="$TMPD/state"
FDIR="$TMPD/filters"
mkdir -p "$FDIR"

VM1_IP6=fd00::1
VM2_IP6=fd00::2
GW_IP6=fd00::fe
OTHER_MAC=52:54:00:00:00:99
# The interpreter itself, not a version-manager shim that costs 0.3 s a start.
PY=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null)
[ -x "$PY" ] || PY=python3

# fp TX RX KIND [frames.py options]: how many of 3 tagged frames sent from
# TX's eth0 reach RX's eth0. lib.sh's frames_pass with the interpreter
# resolved once (about 100 checks here): the receiver counts until told with
# SIGUSR1, 0.2 s after the sender finished, so neither a slow receiver nor a
# slow sender on a loaded machine can make a drop test pass by accident.
fp() {
	tx=$1 rx=$2 kind=$3
	shift 3
	tag="t$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
	rm -f "$TMPD/ready" "$TMPD/count"
	# ip netns exec directly, so that $! is the receiver itself
	ip netns exec "$rx" "$PY" "$FRAMES" count eth0 30 --tag "$tag" >"$TMPD/count" 2>"$TMPD/ready" &
	pid=$!
	for _ in $(seq 500); do
		grep -q ready "$TMPD/ready" 2>/dev/null && break
		sleep 0.02
	done
	if ! grep -q ready "$TMPD/ready" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo no-receiver
		return
	fi
	if ! in_ns "$tx" "$PY" "$FRAMES" send eth0 "$kind" --tag "$tag" --count 3 "$@" >&2; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo sender-failed
		return
	fi
	sleep 0.2
	kill -USR1 "$pid" 2>/dev/null
	wait "$pid"
	cat "$TMPD/count"
}

# passes DESC TX RX KIND [options] / dropped DESC TX RX KIND [options]
passes() {
	d=$1
	shift
	expect_eq "$d" 3 "$(fp "$@")"
}
dropped() {
	d=$1
	shift
	expect_eq "$d" 0 "$(fp "$@")"
}

# bind FILTER [NAME=VALUE...]: (re)binds vnet1 to FILTER with those parameters.
bind() {
	f=$1
	shift
	{
		echo "<filterbinding>"
		echo "  <owner><name>vm1</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>"
		echo "  <portdev name='vnet1'/>"
		echo "  <mac address='$VM1_MAC'/>"
		echo "  <filterref filter='$f'>"
		for p in "$@"; do
			echo "    <parameter name='${p%%=*}' value='${p#*=}'/>"
		done
		echo "  </filterref>"
		echo "</filterbinding>"
	} >"$TMPD/binding.xml"
	if in_ns "$HOST" "$CTL" apply --filter-dir "$FDIR" "$TMPD/binding.xml" >"$TMPD/out" 2>&1; then
		ok "bind $f to vnet1"
	else
		not_ok "bind $f to vnet1"
		sed 's/^/# /' "$TMPD/out"
		# leave no earlier filter in place that could make this one's drop tests pass
		in_ns "$HOST" "$CTL" remove vnet1 >/dev/null 2>&1
	fi
}

# wrap CHAIN FILTER: test filter test-FILTER in chain CHAIN, referencing FILTER
# and then dropping every other frame of CHAIN in both directions (priority
# 1000). The drop must sit in the chain FILTER accepts in: a frame that runs
# off the end of a named chain is accepted (libvirt, §7.1) and would never
# reach a drop in the root chain.
wrap() {
	cat >"$FDIR/test-$2.xml" <<XML
<filter name='test-$2' chain='$1'>
  <filterref filter='$2'/>
  <rule direction='inout' action='drop' priority='1000'/>
</filter>
XML
}

# Test filters used below (besides the wrap ones).
cat >"$FDIR/test-no-other-l2-traffic.xml" <<XML
<filter name='test-no-other-l2-traffic' chain='root'>
  <filterref filter='allow-arp'/>
  <filterref filter='no-other-l2-traffic'/>
</filter>
XML
# §7.1: falling off the end of a named chain accepts; return goes back to root.
cat >"$FDIR/test-fallthrough.xml" <<XML
<filter name='test-fallthrough' chain='root'>
  <filterref filter='no-ip-multicast'/>
  <filterref filter='no-other-l2-traffic'/>
</filter>
XML
cat >"$FDIR/test-return.xml" <<XML
<filter name='test-return' chain='root'>
  <filterref filter='no-mac-spoofing'/>
  <filterref filter='no-other-l2-traffic'/>
</filter>
XML
# Filters whose accepts are unconditional for their chain (or in one
# direction only) can have the drop in the root chain: frames of that chain
# are accepted there, and everything else falls to the root drop.
for f in allow-arp allow-incoming-ipv4 allow-incoming-ipv6 allow-ipv4 allow-ipv6 qemu-announce-self; do
	wrap root "$f"
done
# DHCP filters accept only some IPv4/IPv6 frames: the drop goes into their chain.
wrap ipv4 allow-dhcp
wrap ipv4 allow-dhcp-server
wrap ipv6 allow-dhcpv6
wrap ipv6 allow-dhcpv6-server
# Likewise the RARP accepts of qemu-announce-self-rarp.
wrap rarp qemu-announce-self-rarp

# Source-MAC shorthands for frames from vm1, vm2 and the gateway.
V1="--smac $VM1_MAC"
V2="--smac $VM2_MAC"
GWM="--smac $GW_MAC"

passes "unbound: a frame with a forged source MAC reaches vm2" "$VM1" "$VM2" raw --smac "$OTHER_MAC"

# ---------------------------------------------------------------- allow-arp
bind test-allow-arp
passes "allow-arp: ARP from vm1 passes" "$VM1" "$VM2" arp $V1 --sip "$VM1_IP" --dip "$VM2_IP"
passes "allow-arp: ARP to vm1 passes" "$VM2" "$VM1" arp $V2 --sip "$VM2_IP" --dip "$VM1_IP"
check "allow-arp: vm1 resolves the gateway (arping)" in_ns "$VM1" busybox arping -c 1 -w 2 -I eth0 "$GW_IP"
dropped "allow-arp: IPv4 from vm1 is dropped by the catch-all" "$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip "$VM2_IP"
dropped "allow-arp: IPv4 to vm1 is dropped by the catch-all" "$VM2" "$VM1" ipv4 $V2 --sip "$VM2_IP" --dip "$VM1_IP"

# ---------------------------------------------------------------- allow-dhcp
bind test-allow-dhcp
dnsmasq_in "$VM2" "$TMPD/dnsmasq-vm2.log" --dhcp-range=10.77.0.200,10.77.0.210,60 \
	--dhcp-host="$VM1_MAC,$VM1_IP"
lease=$(dhcp "$VM1" 6)
expect_eq "allow-dhcp: vm1 gets a lease from a server in vm2 (any server)" "bound $VM1_IP" "$lease"
[ "$lease" = "bound $VM1_IP" ] || sed 's/^/# /' "$TMPD/udhcpc.log" "$TMPD/dnsmasq-vm2.log"
stop_server
in_ns "$VM1" ip addr replace "$VM1_IP/24" dev eth0
passes "allow-dhcp: a reply from any host, port 67 to 68, reaches vm1" "$VM2" "$VM1" ipv4 $V2 \
	--sip "$VM2_IP" --dip 255.255.255.255 --sport 67 --dport 68
dropped "allow-dhcp: a request not from 0.0.0.0 is dropped" "$VM1" "$VM2" ipv4 $V1 \
	--sip "$VM1_IP" --dip 255.255.255.255 --sport 68 --dport 67
dropped "allow-dhcp: UDP to vm1 from port 67 to port 69 is dropped" "$VM2" "$VM1" ipv4 $V2 \
	--sip "$VM2_IP" --dip "$VM1_IP" --sport 67 --dport 69

# ---------------------------------------------------------------- allow-dhcp-server
bind test-allow-dhcp-server "DHCPSERVER=$GW_IP"
dnsmasq_in "$VM2" "$TMPD/dnsmasq-rogue.log" --dhcp-range=10.77.0.200,10.77.0.210,60
lease=$(dhcp "$VM1" 3)
stop_server
if [ -z "$lease" ] && grep -q DHCPOFFER "$TMPD/dnsmasq-rogue.log"; then
	ok "allow-dhcp-server: the rogue server in vm2 offers, vm1 does not hear it"
else
	not_ok "allow-dhcp-server: the rogue server in vm2 offers, vm1 does not hear it"
	echo "# lease: '$lease'"
	sed 's/^/# /' "$TMPD/dnsmasq-rogue.log"
fi
in_ns "$VM1" ip addr replace "$VM1_IP/24" dev eth0
dnsmasq_in "$GW" "$TMPD/dnsmasq-gw.log" --dhcp-range=10.77.0.100,10.77.0.150,60 \
	--dhcp-host="$VM1_MAC,$VM1_IP"
lease=$(dhcp "$VM1" 6)
expect_eq "allow-dhcp-server: vm1 gets its lease from the trusted server (gw)" "bound $VM1_IP" "$lease"
[ "$lease" = "bound $VM1_IP" ] || sed 's/^/# /' "$TMPD/udhcpc.log" "$TMPD/dnsmasq-gw.log"
stop_server
in_ns "$VM1" ip addr replace "$VM1_IP/24" dev eth0
passes "allow-dhcp-server: a forged reply from $GW_IP reaches vm1" "$GW" "$VM1" ipv4 $GWM \
	--sip "$GW_IP" --dip 255.255.255.255 --sport 67 --dport 68
dropped "allow-dhcp-server: a forged reply from $VM2_IP is dropped" "$VM2" "$VM1" ipv4 $V2 \
	--sip "$VM2_IP" --dip 255.255.255.255 --sport 67 --dport 68

# ---------------------------------------------------------------- allow-dhcpv6
# No DHCPv6 client is available (busybox lacks udhcpc6): hand-made frames.
bind test-allow-dhcpv6
passes "allow-dhcpv6: solicit fe80::1:546 -> ff02::1:2:547 from vm1 passes" "$VM1" "$VM2" ipv6 $V1 \
	--dmac 33:33:00:01:00:02 --sip6 fe80::1 --dip6 ff02::1:2 --sport 546 --dport 547
passes "allow-dhcpv6: a reply from any host, port 547 to 546, reaches vm1" "$VM2" "$VM1" ipv6 $V2 \
	--sip6 "$VM2_IP6" --dip6 fe80::1 --sport 547 --dport 546
dropped "allow-dhcpv6: a solicit from a global address is dropped" "$VM1" "$VM2" ipv6 $V1 \
	--dmac 33:33:00:01:00:02 --sip6 "$VM1_IP6" --dip6 ff02::1:2 --sport 546 --dport 547
dropped "allow-dhcpv6: UDP to vm1 from port 547 to port 547 is dropped" "$VM2" "$VM1" ipv6 $V2 \
	--sip6 "$VM2_IP6" --dip6 fe80::1 --sport 547 --dport 547

# ---------------------------------------------------------------- allow-dhcpv6-server
bind test-allow-dhcpv6-server "DHCPSERVER=$GW_IP6"
passes "allow-dhcpv6-server: solicit from vm1 passes" "$VM1" "$GW" ipv6 $V1 \
	--dmac 33:33:00:01:00:02 --sip6 fe80::1 --dip6 ff02::1:2 --sport 546 --dport 547
passes "allow-dhcpv6-server: a reply from $GW_IP6 reaches vm1" "$GW" "$VM1" ipv6 $GWM \
	--sip6 "$GW_IP6" --dip6 fe80::1 --sport 547 --dport 546
dropped "allow-dhcpv6-server: a reply from $VM2_IP6 is dropped" "$VM2" "$VM1" ipv6 $V2 \
	--sip6 "$VM2_IP6" --dip6 fe80::1 --sport 547 --dport 546

# ---------------------------------------------------------------- allow-incoming-ipv4
bind test-allow-incoming-ipv4
passes "allow-incoming-ipv4: IPv4 to vm1 passes" "$VM2" "$VM1" ipv4 $V2 --sip "$VM2_IP" --dip "$VM1_IP"
dropped "allow-incoming-ipv4: IPv4 from vm1 is dropped" "$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip "$VM2_IP"
dropped "allow-incoming-ipv4: IPv6 to vm1 is dropped" "$VM2" "$VM1" ipv6 $V2 --sip6 "$VM2_IP6" --dip6 "$VM1_IP6"

# ---------------------------------------------------------------- allow-incoming-ipv6
bind test-allow-incoming-ipv6
passes "allow-incoming-ipv6: IPv6 to vm1 passes" "$VM2" "$VM1" ipv6 $V2 --sip6 "$VM2_IP6" --dip6 "$VM1_IP6"
dropped "allow-incoming-ipv6: IPv6 from vm1 is dropped" "$VM1" "$VM2" ipv6 $V1 --sip6 "$VM1_IP6" --dip6 "$VM2_IP6"
dropped "allow-incoming-ipv6: IPv4 to vm1 is dropped" "$VM2" "$VM1" ipv4 $V2 --sip "$VM2_IP" --dip "$VM1_IP"

# ---------------------------------------------------------------- allow-ipv4
bind test-allow-ipv4
passes "allow-ipv4: IPv4 from vm1 passes" "$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip "$VM2_IP"
passes "allow-ipv4: IPv4 to vm1 passes" "$VM2" "$VM1" ipv4 $V2 --sip "$VM2_IP" --dip "$VM1_IP"
dropped "allow-ipv4: IPv6 from vm1 is dropped" "$VM1" "$VM2" ipv6 $V1 --sip6 "$VM1_IP6" --dip6 "$VM2_IP6"
dropped "allow-ipv4: ARP to vm1 is dropped" "$VM2" "$VM1" arp $V2 --sip "$VM2_IP" --dip "$VM1_IP"

# ---------------------------------------------------------------- allow-ipv6
bind test-allow-ipv6
passes "allow-ipv6: IPv6 from vm1 passes" "$VM1" "$VM2" ipv6 $V1 --sip6 "$VM1_IP6" --dip6 "$VM2_IP6"
passes "allow-ipv6: IPv6 to vm1 passes" "$VM2" "$VM1" ipv6 $V2 --sip6 "$VM2_IP6" --dip6 "$VM1_IP6"
dropped "allow-ipv6: IPv4 from vm1 is dropped" "$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip "$VM2_IP"
dropped "allow-ipv6: ARP to vm1 is dropped" "$VM2" "$VM1" arp $V2 --sip "$VM2_IP" --dip "$VM1_IP"

# ---------------------------------------------------------------- clean-traffic
# (tests/integration/test-clean-traffic.sh covers it in depth)
bind clean-traffic "IP=$VM1_IP"
check "clean-traffic: vm1 pings the gateway" in_ns "$VM1" busybox ping -c 1 -W 2 "$GW_IP"
passes "clean-traffic: IPv4 from vm1's own MAC and IP passes" "$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip "$VM2_IP"
passes "clean-traffic: QEMU's announce frame (ethertype 0x0835) passes" "$VM1" "$VM2" raw $V1 --ethertype 0x0835
dropped "clean-traffic: IPv4 from another source IP is dropped" "$VM1" "$VM2" ipv4 $V1 --sip 10.77.0.99 --dip "$VM2_IP"
dropped "clean-traffic: another ethertype from vm1 is dropped" "$VM1" "$VM2" raw $V1 --ethertype 0x88b5
dropped "clean-traffic: IPv6 to vm1 is dropped" "$VM2" "$VM1" ipv6 $V2 --sip6 "$VM2_IP6" --dip6 "$VM1_IP6"

# ---------------------------------------------------------------- clean-traffic-gateway
bind clean-traffic-gateway "IP=$VM1_IP" "GATEWAY_MAC=$GW_MAC"
check "clean-traffic-gateway: vm1 pings the gateway" in_ns "$VM1" busybox ping -c 1 -W 2 "$GW_IP"
passes "clean-traffic-gateway: IPv4 from vm1 to the gateway's MAC passes" "$VM1" "$GW" ipv4 $V1 \
	--dmac "$GW_MAC" --sip "$VM1_IP" --dip "$GW_IP"
passes "clean-traffic-gateway: IPv4 from the gateway's MAC reaches vm1" "$GW" "$VM1" ipv4 $GWM \
	--dmac "$VM1_MAC" --sip "$GW_IP" --dip "$VM1_IP"
check "clean-traffic-gateway: vm1 cannot ping vm2" sh -c "! ip netns exec '$VM1' busybox ping -c 1 -W 1 '$VM2_IP'"
dropped "clean-traffic-gateway: IPv4 from vm1 to vm2's MAC is dropped" "$VM1" "$VM2" ipv4 $V1 \
	--dmac "$VM2_MAC" --sip "$VM1_IP" --dip "$VM2_IP"
dropped "clean-traffic-gateway: IPv4 from vm2's MAC to vm1 is dropped" "$VM2" "$VM1" ipv4 $V2 \
	--dmac "$VM1_MAC" --sip "$VM2_IP" --dip "$VM1_IP"
dropped "clean-traffic-gateway: IPv4 to the gateway from a spoofed IP is dropped" "$VM1" "$GW" ipv4 $V1 \
	--dmac "$GW_MAC" --sip 10.77.0.99 --dip "$GW_IP"

# ---------------------------------------------------------------- no-arp-ip-spoofing
bind no-arp-ip-spoofing "IP=$VM1_IP"
passes "no-arp-ip-spoofing: ARP with vm1's sender IP passes" "$VM1" "$VM2" arp $V1 --sip "$VM1_IP" --dip "$VM2_IP"
passes "no-arp-ip-spoofing: ARP with another sender MAC passes (not its business)" "$VM1" "$VM2" arp $V1 \
	--arp-smac "$OTHER_MAC" --sip "$VM1_IP" --dip "$VM2_IP"
dropped "no-arp-ip-spoofing: ARP with another sender IP is dropped" "$VM1" "$VM2" arp $V1 --sip "$GW_IP" --dip "$VM2_IP"

# ---------------------------------------------------------------- no-arp-mac-spoofing
bind no-arp-mac-spoofing
passes "no-arp-mac-spoofing: ARP with vm1's sender MAC passes" "$VM1" "$VM2" arp $V1 --sip "$VM1_IP" --dip "$VM2_IP"
passes "no-arp-mac-spoofing: ARP with another sender IP passes (not its business)" "$VM1" "$VM2" arp $V1 \
	--sip "$GW_IP" --dip "$VM2_IP"
dropped "no-arp-mac-spoofing: ARP with another sender MAC is dropped" "$VM1" "$VM2" arp $V1 \
	--arp-smac "$OTHER_MAC" --sip "$VM1_IP" --dip "$VM2_IP"

# ---------------------------------------------------------------- no-arp-spoofing
bind no-arp-spoofing "IP=$VM1_IP"
check "no-arp-spoofing: vm1 resolves the gateway (arping)" in_ns "$VM1" busybox arping -c 1 -w 2 -I eth0 "$GW_IP"
passes "no-arp-spoofing: ARP to vm1 with any sender passes (out only)" "$VM2" "$VM1" arp $V2 \
	--arp-smac "$OTHER_MAC" --sip 10.77.0.99 --dip "$VM1_IP"
dropped "no-arp-spoofing: ARP with another sender IP is dropped" "$VM1" "$VM2" arp $V1 --sip "$GW_IP" --dip "$VM2_IP"
dropped "no-arp-spoofing: ARP with another sender MAC is dropped" "$VM1" "$VM2" arp $V1 \
	--arp-smac "$OTHER_MAC" --sip "$VM1_IP" --dip "$VM2_IP"

# ---------------------------------------------------------------- no-ip-multicast
bind no-ip-multicast
passes "no-ip-multicast: unicast IPv4 from vm1 passes" "$VM1" "$VM2" ipv4 $V1 --dmac "$VM2_MAC" --sip "$VM1_IP" --dip "$VM2_IP"
passes "no-ip-multicast: multicast IPv4 to vm1 passes (out only)" "$VM2" "$VM1" ipv4 $V2 \
	--dmac 01:00:5e:00:00:fb --sip "$VM2_IP" --dip 224.0.0.251
dropped "no-ip-multicast: IPv4 to 224.0.0.251 from vm1 is dropped" "$VM1" "$VM2" ipv4 $V1 \
	--dmac 01:00:5e:00:00:fb --sip "$VM1_IP" --dip 224.0.0.251
dropped "no-ip-multicast: IPv4 to 239.1.2.3 from vm1 is dropped" "$VM1" "$VM2" ipv4 $V1 \
	--dmac 01:00:5e:01:02:03 --sip "$VM1_IP" --dip 239.1.2.3
# §7.1 fall-through: with no-other-l2-traffic after it, unicast IPv4 runs off
# the end of no-ip-multicast's ipv4 chain and is accepted there (libvirt:
# ebtables sub-chains have policy ACCEPT); it never reaches the catch-all.
bind test-fallthrough
passes "no-ip-multicast + no-other-l2-traffic: unicast IPv4 falling off the ipv4 chain is accepted" \
	"$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip "$VM2_IP"
dropped "no-ip-multicast + no-other-l2-traffic: multicast IPv4 is dropped" "$VM1" "$VM2" ipv4 $V1 \
	--dmac 01:00:5e:00:00:fb --sip "$VM1_IP" --dip 224.0.0.251
dropped "no-ip-multicast + no-other-l2-traffic: ARP (no ipv4 chain) hits the catch-all" "$VM1" "$VM2" arp $V1 \
	--sip "$VM1_IP" --dip "$VM2_IP"

# ---------------------------------------------------------------- no-ip-spoofing
bind no-ip-spoofing "IP=$VM1_IP"
check "no-ip-spoofing: vm1 pings the gateway" in_ns "$VM1" busybox ping -c 1 -W 2 "$GW_IP"
passes "no-ip-spoofing: IPv4 from vm1's IP passes" "$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip "$VM2_IP"
passes "no-ip-spoofing: UDP from 0.0.0.0 (DHCP) passes" "$VM1" "$VM2" ipv4 $V1 --sip 0.0.0.0 \
	--dip 255.255.255.255 --sport 68 --dport 67
dropped "no-ip-spoofing: IPv4 from another source IP is dropped" "$VM1" "$VM2" ipv4 $V1 --sip 10.77.0.99 --dip "$VM2_IP"
dropped "no-ip-spoofing: TCP from 0.0.0.0 is dropped (only UDP may)" "$VM1" "$VM2" ipv4 $V1 --proto 6 \
	--sip 0.0.0.0 --dip "$VM2_IP"

# ---------------------------------------------------------------- no-ipv6-multicast
bind no-ipv6-multicast
passes "no-ipv6-multicast: unicast IPv6 from vm1 passes" "$VM1" "$VM2" ipv6 $V1 --dmac "$VM2_MAC" \
	--sip6 "$VM1_IP6" --dip6 "$VM2_IP6"
passes "no-ipv6-multicast: multicast IPv6 to vm1 passes (out only)" "$VM2" "$VM1" ipv6 $V2 \
	--dmac 33:33:00:00:00:01 --sip6 "$VM2_IP6" --dip6 ff02::1
dropped "no-ipv6-multicast: IPv6 to ff02::1 from vm1 is dropped" "$VM1" "$VM2" ipv6 $V1 \
	--dmac 33:33:00:00:00:01 --sip6 "$VM1_IP6" --dip6 ff02::1
dropped "no-ipv6-multicast: IPv6 to ff05::2 from vm1 is dropped" "$VM1" "$VM2" ipv6 $V1 \
	--dmac 33:33:00:00:00:02 --sip6 "$VM1_IP6" --dip6 ff05::2

# ---------------------------------------------------------------- no-ipv6-spoofing
bind no-ipv6-spoofing "IPV6=$VM1_IP6"
passes "no-ipv6-spoofing: IPv6 from vm1's IPV6 passes" "$VM1" "$VM2" ipv6 $V1 --sip6 "$VM1_IP6" --dip6 "$VM2_IP6"
passes "no-ipv6-spoofing: UDP from a link-local address passes" "$VM1" "$VM2" ipv6 $V1 --sip6 fe80::1 \
	--dip6 ff02::1:2 --sport 546 --dport 547
dropped "no-ipv6-spoofing: IPv6 from another source is dropped" "$VM1" "$VM2" ipv6 $V1 --sip6 fd00::99 --dip6 "$VM2_IP6"
dropped "no-ipv6-spoofing: non-UDP (ICMPv6) from a link-local address is dropped" "$VM1" "$VM2" ipv6 $V1 \
	--proto 58 --sip6 fe80::1 --dip6 ff02::1

# ---------------------------------------------------------------- no-mac-broadcast
bind no-mac-broadcast
passes "no-mac-broadcast: unicast IPv4 from vm1 passes" "$VM1" "$VM2" ipv4 $V1 --dmac "$VM2_MAC" \
	--sip "$VM1_IP" --dip "$VM2_IP"
passes "no-mac-broadcast: broadcast ARP from vm1 passes (IPv4 only)" "$VM1" "$VM2" arp $V1 --sip "$VM1_IP" --dip "$VM2_IP"
dropped "no-mac-broadcast: IPv4 to ff:ff:ff:ff:ff:ff from vm1 is dropped" "$VM1" "$VM2" ipv4 $V1 \
	--sip "$VM1_IP" --dip 10.77.0.255

# ---------------------------------------------------------------- no-mac-spoofing
bind no-mac-spoofing
passes "no-mac-spoofing: a frame from vm1's MAC passes" "$VM1" "$VM2" raw $V1
passes "no-mac-spoofing: a frame to vm1 from any MAC passes (out only)" "$VM2" "$VM1" raw --smac "$OTHER_MAC"
dropped "no-mac-spoofing: a frame from another MAC is dropped" "$VM1" "$VM2" raw --smac "$OTHER_MAC"
dropped "no-mac-spoofing: IPv4 from another MAC is dropped" "$VM1" "$VM2" ipv4 --smac "$OTHER_MAC" \
	--sip "$VM1_IP" --dip "$VM2_IP"
# §7.1: the allowed case is a `return` to the root chain, where the catch-all
# of no-other-l2-traffic then applies.
bind test-return
dropped "no-mac-spoofing + no-other-l2-traffic: vm1's own MAC returns to root and hits the catch-all" \
	"$VM1" "$VM2" raw $V1

# ---------------------------------------------------------------- no-other-l2-traffic
bind no-other-l2-traffic
dropped "no-other-l2-traffic: IPv4 from vm1 is dropped" "$VM1" "$VM2" ipv4 $V1 --sip "$VM1_IP" --dip "$VM2_IP"
dropped "no-other-l2-traffic: ARP to vm1 is dropped" "$VM2" "$VM1" arp $V2 --sip "$VM2_IP" --dip "$VM1_IP"
passes "no-other-l2-traffic: vm2's frames still reach the gateway (other port)" "$VM2" "$GW" raw $V2
bind test-no-other-l2-traffic
passes "allow-arp + no-other-l2-traffic: ARP from vm1 accepted before the catch-all passes" "$VM1" "$VM2" arp $V1 \
	--sip "$VM1_IP" --dip "$VM2_IP"
passes "allow-arp + no-other-l2-traffic: ARP to vm1 passes" "$VM2" "$VM1" arp $V2 --sip "$VM2_IP" --dip "$VM1_IP"
dropped "allow-arp + no-other-l2-traffic: another ethertype to vm1 is dropped" "$VM2" "$VM1" raw $V2

# ---------------------------------------------------------------- no-other-rarp-traffic
bind no-other-rarp-traffic
passes "no-other-rarp-traffic: ARP from vm1 passes" "$VM1" "$VM2" arp $V1 --sip "$VM1_IP" --dip "$VM2_IP"
passes "no-other-rarp-traffic: another ethertype from vm1 passes" "$VM1" "$VM2" raw $V1
dropped "no-other-rarp-traffic: RARP from vm1 is dropped" "$VM1" "$VM2" rarp $V1 --op 3 --arp-dmac "$VM1_MAC"
dropped "no-other-rarp-traffic: RARP to vm1 is dropped" "$VM2" "$VM1" rarp $V2 --op 3 --arp-dmac "$VM2_MAC"

# ---------------------------------------------------------------- qemu-announce-self-rarp
# QEMU's announcement: broadcast RARP Request_Reverse (3), hardware addresses
# the VM's MAC, IP addresses 0.0.0.0.
ANN1="$V1 --op 3 --arp-smac $VM1_MAC --arp-dmac $VM1_MAC --sip 0.0.0.0 --dip 0.0.0.0"
ANN2="$V2 --op 3 --arp-smac $VM2_MAC --arp-dmac $VM2_MAC --sip 0.0.0.0 --dip 0.0.0.0"
bind test-qemu-announce-self-rarp
passes "qemu-announce-self-rarp: vm1's RARP announcement passes" "$VM1" "$VM2" rarp $ANN1
passes "qemu-announce-self-rarp: vm2's RARP announcement reaches vm1" "$VM2" "$VM1" rarp $ANN2
dropped "qemu-announce-self-rarp: RARP Reply_Reverse (4) from vm1 is dropped" "$VM1" "$VM2" rarp $ANN1 --op 4
dropped "qemu-announce-self-rarp: RARP announcement with another ARP sender MAC is dropped" "$VM1" "$VM2" rarp $ANN1 \
	--arp-smac "$OTHER_MAC"
dropped "qemu-announce-self-rarp: unicast RARP announcement is dropped" "$VM1" "$VM2" rarp $ANN1 --dmac "$VM2_MAC"
dropped "qemu-announce-self-rarp: RARP Request (1) to vm1 is dropped" "$VM2" "$VM1" rarp $ANN2 --op 1
bind qemu-announce-self-rarp
passes "qemu-announce-self-rarp alone: other RARP falls off the rarp chain and is accepted (libvirt)" \
	"$VM1" "$VM2" rarp $ANN1 --op 4

# ---------------------------------------------------------------- qemu-announce-self
bind test-qemu-announce-self
passes "qemu-announce-self: a frame with ethertype 0x0835 from vm1 passes" "$VM1" "$VM2" raw $V1 --ethertype 0x0835
passes "qemu-announce-self: vm1's RARP announcement passes" "$VM1" "$VM2" rarp $ANN1
passes "qemu-announce-self: vm2's RARP announcement reaches vm1" "$VM2" "$VM1" rarp $ANN2
dropped "qemu-announce-self: RARP Request (1) from vm1 is dropped" "$VM1" "$VM2" rarp $ANN1 --op 1
dropped "qemu-announce-self: RARP Reply_Reverse (4) to vm1 is dropped" "$VM2" "$VM1" rarp $ANN2 --op 4
dropped "qemu-announce-self: ethertype 0x0835 to vm1 is dropped (out only)" "$VM2" "$VM1" raw $V2 --ethertype 0x0835

# ---------------------------------------------------------------- teardown
templates=$(in_ns "$HOST" nft list table bridge vifguard 2>/dev/null | grep -cE '^[[:space:]]*chain t[0-9a-f]+-o \{')
expect_eq "after all re-applies: only the current template is left" 1 "$templates"
check "remove vnet1" in_ns "$HOST" "$CTL" remove vnet1
passes "after remove: a frame with a forged source MAC passes again" "$VM1" "$VM2" raw --smac "$OTHER_MAC"
left=$(in_ns "$HOST" nft list table bridge vifguard 2>/dev/null | grep -cE 'chain t|set t')
expect_eq "after remove: no template chain or set is left" 0 "$left"

done_testing
