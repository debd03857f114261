#!/bin/sh
# clean-traffic bound to vm1's port with an explicit IP, real traffic both ways.
# Topology: see lib.sh (vm1 bound; vm2 the peer; gw the host/gateway side).
. "$(dirname "$0")/lib.sh"

require_root
topo_up
export VIFGUARD_RUN_DIR="$TMPD/state"
UDHCPC_SCRIPT="$SRC/tests/integration/udhcpc-script.sh"

cat >"$TMPD/vm1.xml" <<XML
<filterbinding>
  <owner><name>vm1</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>
  <portdev name='vnet1'/>
  <mac address='$VM1_MAC'/>
  <filterref filter='clean-traffic'>
    <parameter name='IP' value='$VM1_IP'/>
  </filterref>
</filterbinding>
XML

# Before binding: forged frames pass (the test can see them at all).
expect_eq "unbound: a frame with a forged source MAC reaches the peer" 3 \
	"$(frames_pass "$VM1" "$VM2" raw --smac 52:54:00:00:00:99)"

check "apply clean-traffic to vnet1" in_ns "$HOST" "$CTL" apply "$TMPD/vm1.xml"

# --- legitimate traffic passes
check "ARP: vm1 resolves the gateway" in_ns "$VM1" busybox arping -c 1 -w 2 -I eth0 "$GW_IP"
check "ARP: the gateway resolves vm1" in_ns "$GW" busybox arping -c 1 -w 2 -I eth0 "$VM1_IP"
check "IPv4: vm1 pings the gateway" in_ns "$VM1" busybox ping -c 1 -W 2 "$GW_IP"
check "IPv4: vm2 pings vm1" in_ns "$VM2" busybox ping -c 1 -W 2 "$VM1_IP"

in_ns "$GW" busybox nc -l -p 8080 -e /bin/echo tcp-ok >/dev/null 2>&1 &
sleep 0.3
expect_eq "TCP: vm1 opens a connection to the gateway" "tcp-ok" \
	"$(in_ns "$VM1" busybox timeout 3 busybox nc "$GW_IP" 8080 </dev/null 2>/dev/null)"

ip netns exec "$GW" dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 --bind-interfaces \
	--dhcp-range=10.77.0.100,10.77.0.150,60 --dhcp-host="$VM1_MAC,$VM1_IP" \
	--leasefile-ro --no-ping >"$TMPD/dnsmasq.log" 2>&1 &
server=$!
sleep 0.5
in_ns "$VM1" ip addr flush dev eth0
UDHCPC_LOG="$TMPD/lease" in_ns "$VM1" busybox timeout 10 udhcpc -i eth0 -n -q -f -t 6 -T 1 \
	-s "$UDHCPC_SCRIPT" >"$TMPD/udhcpc.log" 2>&1
expect_eq "DHCP: vm1 gets its lease from the server through the filter" "bound $VM1_IP" \
	"$(cat "$TMPD/lease" 2>/dev/null)"
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
in_ns "$VM1" ip addr replace "$VM1_IP/24" dev eth0

expect_eq "legit: IPv4 from vm1's own MAC and IP reaches vm2" 3 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$VM2_IP")"

# --- forged traffic from the VM is dropped
expect_eq "drop out: a frame with another source MAC" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac 52:54:00:00:00:99 --sip "$VM1_IP")"
expect_eq "drop out: IPv4 with another source IP" 0 \
	"$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip 10.77.0.99)"
expect_eq "drop out: ARP with another sender MAC" 0 \
	"$(frames_pass "$VM1" "$VM2" arp --smac "$VM1_MAC" --arp-smac 52:54:00:00:00:99 \
		--sip "$VM1_IP" --dip "$VM2_IP")"
expect_eq "drop out: ARP with another sender IP (poisoning)" 0 \
	"$(frames_pass "$VM1" "$VM2" arp --smac "$VM1_MAC" --sip "$GW_IP" --dip "$VM2_IP")"
expect_eq "drop out: IPv6" 0 "$(frames_pass "$VM1" "$VM2" ipv6 --smac "$VM1_MAC")"
expect_eq "drop out: another ethertype" 0 \
	"$(frames_pass "$VM1" "$VM2" raw --smac "$VM1_MAC" --ethertype 0x88b5)"

# --- towards the VM: IPv4 and ARP pass, the rest is dropped
expect_eq "pass in: IPv4 from vm2 reaches vm1" 3 \
	"$(frames_pass "$VM2" "$VM1" ipv4 --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$VM1_IP")"
expect_eq "pass in: ARP from vm2 reaches vm1" 3 \
	"$(frames_pass "$VM2" "$VM1" arp --smac "$VM2_MAC" --sip "$VM2_IP" --dip "$VM1_IP")"
expect_eq "drop in: IPv6 to vm1" 0 "$(frames_pass "$VM2" "$VM1" ipv6 --smac "$VM2_MAC")"
expect_eq "drop in: another ethertype to vm1" 0 \
	"$(frames_pass "$VM2" "$VM1" raw --smac "$VM2_MAC" --ethertype 0x88b5)"
expect_eq "unbound peer: vm2's forged frames still reach the gateway" 3 \
	"$(frames_pass "$VM2" "$GW" raw --smac 52:54:00:00:00:98)"

# --- libvirt semantics: a VM may run a DHCP server from its own address
ip netns exec "$VM1" dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 --bind-interfaces \
	--dhcp-range=10.77.0.160,10.77.0.170,60 --leasefile-ro --no-ping >"$TMPD/dnsmasq1.log" 2>&1 &
server=$!
sleep 0.5
rm -f "$TMPD/lease"
UDHCPC_LOG="$TMPD/lease" in_ns "$VM2" busybox timeout 10 udhcpc -i eth0 -n -q -f -t 6 -T 1 \
	-s "$UDHCPC_SCRIPT" >"$TMPD/udhcpc2.log" 2>&1
case "$(cat "$TMPD/lease" 2>/dev/null)" in
"bound 10.77.0.16"*) ok "clean-traffic lets vm1 serve DHCP from its own address (as libvirt)" ;;
*) not_ok "clean-traffic lets vm1 serve DHCP from its own address (as libvirt)"
	sed 's/^/# /' "$TMPD/dnsmasq1.log" "$TMPD/udhcpc2.log" ;;
esac
kill "$server" 2>/dev/null
wait "$server" 2>/dev/null
in_ns "$VM2" ip addr replace "$VM2_IP/24" dev eth0

# --- a record whose rules are no longer in the kernel
check "someone deletes the table" in_ns "$HOST" nft delete table bridge vifguard
in_ns "$HOST" "$CTL" apply "$TMPD/vm1.xml" >"$TMPD/reapply" 2>&1
check "apply again: the stale record is noticed and the rules applied afresh" \
	grep -q "not in the kernel; applying afresh" "$TMPD/reapply"
expect_eq "and a forged source MAC is dropped again" 0 \
	"$(frames_pass "$VM1" "$VM2" raw --smac 52:54:00:00:00:99)"

# --- unbinding restores unfiltered traffic and leaves no rule behind
check "remove vnet1" in_ns "$HOST" "$CTL" remove vnet1
expect_eq "after remove: forged source MAC passes again" 3 \
	"$(frames_pass "$VM1" "$VM2" raw --smac 52:54:00:00:00:99)"
left=$(in_ns "$HOST" nft list table bridge vifguard 2>/dev/null | grep -cE 'chain t|set t|elements')
expect_eq "after remove: no template chain, set or element is left" 0 "$left"

done_testing
