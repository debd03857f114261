#!/bin/sh
# make demo: vifguard's main job, end to end, in throw-away network namespaces.
#
#   vm1 (52:54:00:00:00:01) ── vnet1 ┐
#   vm2 (52:54:00:00:00:02) ── vnet2 ┼─ br0   (the "host" namespace: vifguardd runs here)
#   gw  (52:54:00:00:00:fe) ── vnet9 ┘         gw runs dnsmasq, the DHCP server
#
# vifguardd is started; vm1 and vm2 are bound to libvirt's clean-traffic filter
# with no IP: the daemon learns vm1's from its DHCP lease and vm2's from its
# first ARP, then applies the full rules; then the VMs try legitimate traffic
# and forgeries, and the demo counts what gets through.
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
export VIFGUARD_SOURCE_DIR="$here"
export VIFGUARD_BUILD_DIR="$(cd "$build" && pwd)"
. "$here/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }
topo_up
shown=0
failed=0
start=$(date +%s)

say() { printf '%s\n' "$*"; }
# expect WHAT EXPECTED ACTUAL: one line of the demo's result table
expect() {
	shown=$((shown + 1))
	if [ "$2" = "$3" ]; then
		printf '  %-52s %-8s (as it should)\n' "$1" "$3"
	else
		printf '  %-52s %-8s UNEXPECTED: should be %s\n' "$1" "$3" "$2"
		failed=$((failed + 1))
	fi
}
arrived() {
	case "$1" in
	3) echo passed ;;
	0) echo dropped ;;
	*) echo "partly($1)" ;;
	esac
}
ran() { "$@" >/dev/null 2>&1 && echo passed || echo dropped; }

say "== 1. a bridge, three VM namespaces, dnsmasq in gw; vifguardd starts"
ip netns exec "$GW" dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 \
	--bind-interfaces --dhcp-range=10.77.0.100,10.77.0.150,120 --no-ping \
	--dhcp-host="$VM1_MAC,$VM1_IP" --leasefile-ro >"$TMPD/dnsmasq.log" 2>&1 &
daemon_start || exit 1
say "  $(vg status)"
say "  without a filter, vm1 can forge its source MAC: $(arrived "$(frames_pass "$VM1" "$VM2" raw --smac 52:54:00:00:00:99)")"

say ""
say "== 2. bind both VMs to clean-traffic, with no IP: vifguardd learns them"
say "  \$ vifguardctl binding create --port vnet1 --mac $VM1_MAC --filter clean-traffic \\"
say "        --param CTRL_IP_LEARNING=dhcp --param DHCPSERVER=$GW_IP"
vg binding create --port vnet1 --mac "$VM1_MAC" --filter clean-traffic \
	--param CTRL_IP_LEARNING=dhcp --param DHCPSERVER="$GW_IP" | sed 's/^/  /'
cat >"$TMPD/vm2.xml" <<XML
<filterbinding>
  <owner><name>vm2</name><uuid>d54df46f-1ab5-4a22-8618-4560ef5fac2c</uuid></owner>
  <portdev name='vnet2'/>
  <mac address='$VM2_MAC'/>
  <filterref filter='clean-traffic'/>
</filterbinding>
XML
say "  \$ vifguardctl binding create vm2.xml     (a libvirt <filterbinding>, as it is, no IP)"
vg binding create "$TMPD/vm2.xml" | sed 's/^/  /'

say ""
say "== 3. vm1 gets its address from dnsmasq; vm2 speaks from its static $VM2_IP"
in_ns "$VM1" ip addr flush dev eth0
UDHCPC_LOG="$TMPD/lease" in_ns "$VM1" busybox timeout 10 udhcpc -i eth0 -n -q -f -t 6 -T 1 \
	-s "$here/tests/integration/udhcpc-script.sh" >/dev/null 2>&1
expect "DHCP: vm1 leases $VM1_IP from gw" "bound $VM1_IP" "$(cat "$TMPD/lease" 2>/dev/null)"
# the first ARP teaches and is held back until the full rules are in; the retry passes
expect "ARP: vm2 resolves the gateway (its first frame teaches)" passed \
	"$(ran in_ns "$VM2" busybox arping -c 2 -w 3 -I eth0 "$GW_IP")"
sleep 0.3
say "  \$ vifguardctl binding list"
vg binding list | sed 's/^/  /'
vg binding show vnet1 | grep -E "^(state|address|learning)" | sed 's/^/  vnet1 /'
expect "ping vm1 -> gateway" passed "$(ran in_ns "$VM1" busybox ping -c 1 -W 2 "$GW_IP")"
expect "ping vm2 -> vm1" passed "$(ran in_ns "$VM2" busybox ping -c 1 -W 2 "$VM1_IP")"

say ""
say "== 4. forgeries from the bound VMs"
expect "vm1: forged source MAC" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" ipv4 --smac 52:54:00:00:00:99 --sip "$VM1_IP")")"
expect "vm1: forged source IP (10.77.0.99)" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip 10.77.0.99)")"
expect "vm1: ARP poisoning ('the gateway is at vm1')" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" arp --op 2 --smac "$VM1_MAC" --sip "$GW_IP" --dip "$VM2_IP")")"
expect "vm2: claims vm1's address" dropped \
	"$(arrived "$(frames_pass "$VM2" "$GW" ipv4 --smac "$VM2_MAC" --sip "$VM1_IP" --dip "$GW_IP")")"
expect "vm2: IPv6 (clean-traffic is IPv4 only)" dropped \
	"$(arrived "$(frames_pass "$VM2" "$GW" ipv6 --smac "$VM2_MAC")")"
expect "gw (not bound) forges a MAC; IPv4 to vm1 still arrives" passed \
	"$(arrived "$(frames_pass "$GW" "$VM1" ipv4 --smac 52:54:00:00:00:98 --sip "$GW_IP" --dip "$VM1_IP")")"

say ""
say "== 5. kill -9 the daemon and start it again: the rules never left"
daemon_stop KILL
expect "vm1: forged source MAC, daemon dead" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" ipv4 --smac 52:54:00:00:00:99 --sip "$VM1_IP")")"
daemon_start || exit 1
untouched=$(grep -c "rules in place, untouched" "$TMPD/daemon.log")
say "  restarted; ports whose rules were already right and left untouched: $untouched of 2"
expect "bindings back after the restart" "vnet1 vnet2" \
	"$(vg binding list --json | python3 -c 'import json,sys; print(" ".join(b["port"] for b in json.load(sys.stdin)))')"

say ""
say "== 6. delete vm1's binding: vm1 is unfiltered again"
vg binding delete vnet1 >/dev/null
expect "vm1: forged source MAC after delete (to gw)" passed \
	"$(arrived "$(frames_pass "$VM1" "$GW" raw --smac 52:54:00:00:00:99)")"
daemon_stop TERM

say ""
say "== summary"
say "  vifguardd bound two VMs to clean-traffic with no IP given (options and a libvirt"
say "  <filterbinding>); it learned vm1's address from dnsmasq's DHCP ACK and vm2's from its"
say "  first ARP, then applied the full rules. $shown checks of legitimate and forged traffic"
say "  gave $((shown - failed)) expected results, $failed unexpected;"
say "  a kill -9 restart left the rules in place. Took $(($(date +%s) - start)) s; all namespaces are removed now."
[ "$failed" = 0 ]
