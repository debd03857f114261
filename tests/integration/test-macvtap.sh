#!/bin/sh
# macvtap ports (libvirt's <interface type='direct'>): no bridge in the path,
# so vifguardd filters them with netdev-family chains hooked on the macvtap
# itself (egress: from the VM, ingress: to it), and learns through the same
# NFLOG group. The VM's side is the macvtap's character device, as QEMU
# opens it.
#
#   $TMPD/tap1 ── mvtap1 (52:54:00:00:00:01) ┐
#   $TMPD/tap2 ── mvtap2 (52:54:00:00:00:02) ┼─ uplink ── veth ── ns $GW eth0 (.254)
#                 (macvtaps in bridge mode, lower device uplink, ns $HOST: vifguardd)
# shellcheck disable=SC1091
. "$(dirname "$0")/lib.sh"

require_root

topo_macvtap() {
	TMPD=$(mktemp -d)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	ip netns add "$HOST"
	ip netns add "$GW"
	in_ns "$HOST" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	in_ns "$GW" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$HOST" link set lo up
	ip -n "$HOST" link add uplink type veth peer name eth0 netns "$GW"
	ip -n "$GW" link set eth0 address "$GW_MAC"
	ip -n "$GW" addr add "$GW_IP/24" dev eth0
	ip -n "$GW" link set eth0 up
	ip -n "$HOST" link set uplink up
	add_macvtap mvtap1 "$VM1_MAC" tap1 && add_macvtap mvtap2 "$VM2_MAC" tap2
}

# add_macvtap NAME MAC NODE: a macvtap on uplink and its character device as $TMPD/NODE
add_macvtap() {
	ip -n "$HOST" link add link uplink name "$1" type macvtap mode bridge || return 1
	ip -n "$HOST" link set "$1" address "$2"
	ip -n "$HOST" link set "$1" up
	idx=$(in_ns "$HOST" cat "/sys/class/net/$1/ifindex")
	dev=$(in_ns "$HOST" cat "/sys/class/net/$1/macvtap/tap$idx/dev")
	# /dev/tapN is named by ifindex, which other namespaces reuse: use it only when it is
	# this device, else a node of our own (which a nodev /tmp would refuse to open)
	if [ "$(stat -c '%Hr:%Lr' "/dev/tap$idx" 2>/dev/null)" = "$dev" ]; then
		ln -s "/dev/tap$idx" "$TMPD/$3"
	else
		mknod "$TMPD/$3" c "${dev%:*}" "${dev#*:}" || return 1
	fi
	python3 -c 'import os, sys; os.close(os.open(sys.argv[1], os.O_RDWR))' "$TMPD/$3"
}

if ! topo_macvtap; then
	skip_all "cannot create macvtap devices here, or open their character devices"
fi
daemon_start || exit 1
TAP1="tap:$TMPD/tap1"
TAP2="tap:$TMPD/tap2"

# vm_to_gw VM_TAP KIND [options]: frames written by the VM that reach the gateway
vm_to_gw() {
	tap=$1
	shift
	TX_IF=$tap frames_pass "$HOST" "$GW" "$@"
}

# gw_to_vm VM_TAP KIND [options]: frames from the gateway that reach the VM
gw_to_vm() {
	tap=$1
	shift
	RX_IF=$tap frames_pass "$GW" "$HOST" "$@"
}

json_field() { # json_field FIELD: one top-level field of the JSON on stdin
	python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$1"
}

# ---- unfiltered, the test harness itself works ----------------------------------
expect_eq "unbound: a forged frame from the VM reaches the gateway" 3 \
	"$(vm_to_gw "$TAP1" ipv4 --smac 52:54:00:00:00:77 --sip 10.77.0.77 --dip "$GW_IP")"
expect_eq "unbound: a frame from the gateway reaches the VM" 3 \
	"$(gw_to_vm "$TAP1" ipv4 --smac "$GW_MAC" --dmac "$VM1_MAC" --sip "$GW_IP" --dip "$VM1_IP")"

# ---- full rules -----------------------------------------------------------------
check "bind mvtap1 (linkdev uplink) with clean-traffic and its IP" vg binding create \
	--port mvtap1 --mac "$VM1_MAC" --filter clean-traffic --param "IP=$VM1_IP" --linkdev uplink
expect_eq "the binding says netdev" netdev "$(vg binding show mvtap1 --json | json_field attach)"
check "binding show names the attachment" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock binding show mvtap1 | grep -q 'netdev hooks'"
check "an egress chain is hooked on mvtap1" sh -c \
	"ip netns exec $HOST nft list chain netdev vifguard po-mvtap1 | grep -q 'hook egress device \"mvtap1\"'"
check "an ingress chain is hooked on mvtap1" sh -c \
	"ip netns exec $HOST nft list chain netdev vifguard pi-mvtap1 | grep -q 'hook ingress device \"mvtap1\"'"
check "no bridge table was needed" sh -c "! ip netns exec $HOST nft list table bridge vifguard"

expect_eq "VM's own ARP reaches the gateway" 3 \
	"$(vm_to_gw "$TAP1" arp --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP")"
expect_eq "VM's own IPv4 reaches the gateway" 3 \
	"$(vm_to_gw "$TAP1" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP")"
expect_eq "forged source MAC: dropped" 0 \
	"$(vm_to_gw "$TAP1" ipv4 --smac 52:54:00:00:00:77 --sip "$VM1_IP" --dip "$GW_IP")"
expect_eq "forged source IP: dropped" 0 \
	"$(vm_to_gw "$TAP1" ipv4 --smac "$VM1_MAC" --sip 10.77.0.77 --dip "$GW_IP")"
expect_eq "ARP poisoning (forged sender IP): dropped" 0 \
	"$(vm_to_gw "$TAP1" arp --smac "$VM1_MAC" --sip "$GW_IP" --dip 10.77.0.9)"
expect_eq "other layer-2 protocols from the VM: dropped" 0 \
	"$(vm_to_gw "$TAP1" raw --smac "$VM1_MAC")"
expect_eq "IPv4 from the gateway reaches the VM" 3 \
	"$(gw_to_vm "$TAP1" ipv4 --smac "$GW_MAC" --dmac "$VM1_MAC" --sip "$GW_IP" --dip "$VM1_IP")"
expect_eq "other layer-2 protocols to the VM: dropped" 0 \
	"$(gw_to_vm "$TAP1" raw --smac "$GW_MAC" --dmac "$VM1_MAC")"

# ---- what a macvtap cannot have ---------------------------------------------------
cat >"$TMPD/stateful.xml" <<'EOF'
<filter name='vg-mvtap-stateful' chain='root'>
  <rule action='accept' direction='in' priority='500'>
    <tcp dstportstart='22' state='NEW'/>
  </rule>
</filter>
EOF
check "define a filter with a stateful rule" vg filter define "$TMPD/stateful.xml"
if vg binding create --port mvtap2 --mac "$VM2_MAC" --filter vg-mvtap-stateful >"$TMPD/refused" 2>&1; then
	not_ok "a stateful filter on a macvtap is refused"
else
	check "a stateful filter on a macvtap is refused, saying why" \
		grep -q "stateful rules need the port on a bridge" "$TMPD/refused"
fi
check "... and leaves no binding" sh -c \
	"! ip netns exec $HOST $CTL --socket $TMPD/control.sock binding show mvtap2"
check "... and sets the port down: the VM must not run unguarded" sh -c \
	"! ip -n $HOST -o link show mvtap2 | grep -q '[<,]UP[,>]'"
ip -n "$HOST" link set mvtap2 up

# ---- learning -----------------------------------------------------------------------
check "bind mvtap2 (a macvtap by kind, no linkdev) with no IP, learning timeout 0" \
	vg binding create --port mvtap2 --mac "$VM2_MAC" --filter clean-traffic \
	--param CTRL_IP_LEARNING_TIMEOUT=0
expect_eq "mvtap2 is attached by netdev hooks" netdev \
	"$(vg binding show mvtap2 --json | json_field attach)"
expect_eq "mvtap2 is learning" learning "$(vg binding show mvtap2 --json | json_field state)"
expect_eq "a macvtap always has a learning timeout (the daemon's, 300 s)" 300 \
	"$(vg binding show mvtap2 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["learning"]["timeout"])')"
expect_eq "learning: another MAC from the VM is dropped" 0 \
	"$(vm_to_gw "$TAP2" ipv4 --smac 52:54:00:00:00:77 --sip "$VM2_IP" --dip "$GW_IP")"
expect_eq "learning: other layer-2 protocols to the VM are dropped" 0 \
	"$(gw_to_vm "$TAP2" raw --smac "$GW_MAC" --dmac "$VM2_MAC")"

in_ns "$HOST" "$CTL" --socket "$TMPD/control.sock" watch --json >"$TMPD/watch" 2>&1 &
WATCH=$!
sleep 0.3
expect_eq "the VM's first ARP is copied, not passed, while learning" 0 \
	"$(vm_to_gw "$TAP2" arp --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP" --count 1)"
for _ in $(seq 100); do
	[ "$(vg binding show mvtap2 --json | json_field state)" = active ] && break
	sleep 0.05
done
expect_eq "mvtap2 learned its address from the ARP" active \
	"$(vg binding show mvtap2 --json | json_field state)"
check "the address is the ARP's sender, from arp" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock binding show mvtap2 --json |
	 python3 -c 'import json,sys; a=json.load(sys.stdin)[\"addresses\"]; sys.exit(not (len(a)==1 and a[0][\"address\"]==\"$VM2_IP\" and a[0][\"source\"]==\"arp\"))'"
expect_eq "control: its retransmission passes once learned" 3 \
	"$(vm_to_gw "$TAP2" arp --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP")"
kill "$WATCH" 2>/dev/null
wait "$WATCH" 2>/dev/null
check "the learned event names the address and its latency" python3 -c '
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
ev = [e for e in ev if e["type"] == "learned" and e["port"] == "mvtap2"]
sys.exit(not (len(ev) == 1 and ev[0]["address"] == sys.argv[2] and ev[0]["latency_us"] >= 0))
' "$TMPD/watch" "$VM2_IP"
expect_eq "after learning: the learned address passes" 3 \
	"$(vm_to_gw "$TAP2" ipv4 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$GW_IP")"
expect_eq "after learning: another source address is dropped" 0 \
	"$(vm_to_gw "$TAP2" ipv4 --smac "$VM2_MAC" --sip 10.77.0.78 --dip "$GW_IP")"

# ---- dhcp mode, against a real dnsmasq on the gateway --------------------------------
VM3_MAC=52:54:00:00:00:03
add_macvtap mvtap3 "$VM3_MAC" tap3
TAP3="tap:$TMPD/tap3"
ip netns exec "$GW" dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 --bind-interfaces \
	--dhcp-range=10.77.0.100,10.77.0.199,600 --dhcp-authoritative --no-ping --leasefile-ro \
	>"$TMPD/dnsmasq.log" 2>&1 &
check "bind mvtap3 in dhcp mode trusting the gateway's server" vg binding create \
	--port mvtap3 --mac "$VM3_MAC" --filter clean-traffic --param CTRL_IP_LEARNING=dhcp \
	--param "DHCPSERVER=$GW_IP"
expect_eq "dhcp mode: ARP from the VM is dropped while learning" 0 \
	"$(vm_to_gw "$TAP3" arp --smac "$VM3_MAC" --sip 10.77.0.150 --dip "$GW_IP")"
# a REQUEST for an address in the range (INIT-REBOOT); the authoritative server ACKs it
for _ in $(seq 20); do
	in_ns "$HOST" python3 "$FRAMES" send "$TAP3" dhcp --tag req --smac "$VM3_MAC" \
		--dip 255.255.255.255 --dhcp-type 3 --xid 0x5a5a0003 --requested 10.77.0.150
	[ "$(vg binding show mvtap3 --json | json_field state)" = active ] && break
	sleep 0.2
done
check "the ACK from dnsmasq, seen at the macvtap's ingress, taught 10.77.0.150" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock binding show mvtap3 --json |
	 python3 -c 'import json,sys; a=json.load(sys.stdin)[\"addresses\"]; sys.exit(not (len(a)==1 and a[0][\"address\"]==\"10.77.0.150\" and a[0][\"source\"]==\"dhcp\" and a[0][\"server\"]==\"$GW_IP\"))'"
expect_eq "after the lease: the leased address passes" 3 \
	"$(vm_to_gw "$TAP3" ipv4 --smac "$VM3_MAC" --sip 10.77.0.150 --dip "$GW_IP")"
expect_eq "after the lease: another address is dropped" 0 \
	"$(vm_to_gw "$TAP3" ipv4 --smac "$VM3_MAC" --sip 10.77.0.151 --dip "$GW_IP")"
check "unbind mvtap3" vg binding delete mvtap3

# ---- restart, unbinding, deletion ----------------------------------------------------------
daemon_stop
daemon_start || exit 1
check "restart: both macvtap ports' rules were found in place, untouched" sh -c \
	"grep -q 'port mvtap1: rules in place, untouched' $TMPD/daemon.log &&
	 grep -q 'port mvtap2: rules in place, untouched' $TMPD/daemon.log"
expect_eq "restart: forged source IP still dropped" 0 \
	"$(vm_to_gw "$TAP2" ipv4 --smac "$VM2_MAC" --sip 10.77.0.78 --dip "$GW_IP")"

check "unbind mvtap1" vg binding delete mvtap1
check "its hook chains are gone" sh -c \
	"! ip netns exec $HOST nft list chain netdev vifguard po-mvtap1 &&
	 ! ip netns exec $HOST nft list chain netdev vifguard pi-mvtap1"
expect_eq "unbound again: a forged frame passes" 3 \
	"$(vm_to_gw "$TAP1" ipv4 --smac 52:54:00:00:00:77 --sip 10.77.0.77 --dip "$GW_IP")"

ip -n "$HOST" link del mvtap2
for _ in $(seq 100); do
	vg binding show mvtap2 >/dev/null 2>&1 || break
	sleep 0.05
done
check "a deleted macvtap loses its binding" sh -c \
	"! ip netns exec $HOST $CTL --socket $TMPD/control.sock binding show mvtap2"
check "... and its hook chains" sh -c \
	"! ip netns exec $HOST nft list chain netdev vifguard po-mvtap2"
check "no set still names a removed port" sh -c \
	"! ip netns exec $HOST nft list table netdev vifguard | grep -q 'mvtap'"

daemon_stop
done_testing
