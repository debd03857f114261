#!/bin/sh
# make demo: vifguard's main job, end to end, in throw-away network namespaces.
#
#   vm1 (52:54:00:00:00:01, 10.77.0.1) ── vnet1 ┐
#   vm2 (52:54:00:00:00:02, 10.77.0.2) ── vnet2 ┼─ br0   (the "host" namespace)
#   gw  (52:54:00:00:00:fe, 10.77.0.254) ─ vnet9 ┘
#
# vm1 is bound to libvirt's clean-traffic filter with its IP; then vm1 tries
# legitimate traffic and forgeries, and the demo counts what reaches vm2.
set -u

build=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
export VIFGUARD_SOURCE_DIR="$here"
export VIFGUARD_BUILD_DIR="$(cd "$build" && pwd)"
. "$here/tests/integration/lib.sh"

[ "$(id -u)" = 0 ] || { echo "make demo needs root (network namespaces)" >&2; exit 1; }
topo_up
export VIFGUARD_STATE_DIR="$TMPD/state"
shown=0
failed=0

say() { printf '%s\n' "$*"; }
# expect WHAT EXPECTED ACTUAL: one line of the demo's result table
expect() {
	shown=$((shown + 1))
	if [ "$2" = "$3" ]; then
		printf '  %-50s %-8s (as it should)\n' "$1" "$3"
	else
		printf '  %-50s %-8s UNEXPECTED: should be %s\n' "$1" "$3" "$2"
		failed=$((failed + 1))
	fi
}
arrived() { [ "$1" = 3 ] && echo passed || { [ "$1" = 0 ] && echo dropped || echo "partly ($1/3)"; }; }

say "== 1. three VMs on a bridge, no filter yet: vm1 can forge its source MAC"
say "  forged frame from vm1: $(arrived "$(frames_pass "$VM1" "$VM2" raw --smac 52:54:00:00:00:99)")"

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
say ""
say "== 2. bind vnet1 to clean-traffic with IP=$VM1_IP (a libvirt <filterbinding>)"
in_ns "$HOST" "$CTL" apply "$TMPD/vm1.xml" || exit 1
rules=$(in_ns "$HOST" nft list table bridge vifguard | grep -c -E '^\s+(iifname|oifname|ether|ip|arp|jump|drop|accept|return|@)')
say "  one nftables transaction; the table now holds $rules rule lines (vifguardctl explain shows them)"

say ""
say "== 3. what vm1 sends, and what reaches vm2"
expect "ARP: vm1 resolves the gateway" passed \
	"$(in_ns "$VM1" busybox arping -c 1 -w 2 -I eth0 "$GW_IP" >/dev/null 2>&1 && echo passed || echo dropped)"
expect "ping vm1 -> gateway" passed \
	"$(in_ns "$VM1" busybox ping -c 1 -W 2 "$GW_IP" >/dev/null 2>&1 && echo passed || echo dropped)"
expect "IPv4 from vm1's own MAC and IP" passed \
	"$(arrived "$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$VM2_IP")")"
expect "forged source MAC" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" ipv4 --smac 52:54:00:00:00:99 --sip "$VM1_IP")")"
expect "forged source IP (10.77.0.99)" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" ipv4 --smac "$VM1_MAC" --sip 10.77.0.99)")"
expect "ARP poisoning: 'the gateway is at vm1's MAC'" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" arp --op 2 --smac "$VM1_MAC" --sip "$GW_IP" --dip "$VM2_IP")")"
expect "ARP with another sender MAC" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" arp --smac "$VM1_MAC" --arp-smac 52:54:00:00:00:99 --sip "$VM1_IP")")"
expect "IPv6 (clean-traffic is IPv4 only)" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" ipv6 --smac "$VM1_MAC")")"
expect "another ethertype (0x88b5)" dropped \
	"$(arrived "$(frames_pass "$VM1" "$VM2" raw --smac "$VM1_MAC")")"
expect "vm2 (not bound) can still forge" passed \
	"$(arrived "$(frames_pass "$VM2" "$GW" raw --smac 52:54:00:00:00:98)")"

say ""
say "== 4. remove the binding: vm1 is unfiltered again, no rule is left"
in_ns "$HOST" "$CTL" remove vnet1 || exit 1
expect "forged source MAC after remove" passed \
	"$(arrived "$(frames_pass "$VM1" "$VM2" raw --smac 52:54:00:00:00:99)")"

say ""
say "== summary"
say "  a bridge, 3 VM namespaces, clean-traffic bound to vnet1 with IP $VM1_IP in one transaction,"
say "  $shown checks of legitimate and forged traffic: $((shown - failed)) as expected, $failed unexpected."
say "  everything is removed on exit."
[ "$failed" = 0 ]
