#!/bin/sh
# IPv6 learning with real guests' software: a binding whose filter needs IPV6
# and gives none learns the guest's addresses continuously.
#   - DAD: a static address and the link-local one, source dad; ping6 passes.
#   - SLAAC (vm2) from a real radvd, with privacy (temporary) addresses: the stable
#     and the temporary address are learned, and a rotated temporary one too.
#   - DHCPv6 from a real dnsmasq to a real dhclient -6, CTRL_IP_LEARNING=dhcp:
#     the leased address is learned (source dhcpv6); a static global address is
#     not, and its packets are dropped.
#   - The window: a new source's first frame is dropped, then it is learned;
#     a source another port owns is refused (conflict) and never passes.
#   - A neighbour's forged DHCPv6 REPLY (VM1's own xid and DUID) teaches
#     nothing; the same REPLY from the uplink does (control).
# Filter: the built-in no-ipv6-spoofing (needs IPV6 only). The gateway's port
# vnet9 is not bound (the uplink: a trusted place).
. "$(dirname "$0")/lib.sh"

require_root
for c in radvd dnsmasq dhclient; do
	command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || [ -x "/sbin/$c" ] ||
		skip_all "$c not installed"
done
PATH=$PATH:/usr/sbin:/sbin
DHCPV6="$SRC/tests/lib/dhcpv6.py"
topo_up

VM1_LL=fe80::5054:ff:fe00:1
VM2_LL=fe80::5054:ff:fe00:2
GW_LL=fe80::5054:ff:fe00:fe

# v6_on NS [SYSCTL=VALUE...]: IPv6 back on in NS's eth0 (lib.sh's add_vm turned it off),
# with the sysctls of eth0 given, set before it starts (DAD of its link-local address)
v6_on() {
	ns=$1
	shift
	for s; do in_ns "$ns" sysctl -qw "net.ipv6.conf.eth0.$s"; done
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0
}
# v6_off NS: IPv6 off in NS's eth0: its addresses go
v6_off() {
	in_ns "$1" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
}
# settled NS: waits (up to 5 s) until NS's eth0 has no tentative address; prints yes or no
settled() {
	for _ in $(seq 50); do
		[ -z "$(in_ns "$1" ip -6 addr show dev eth0 tentative)" ] && echo yes && return
		sleep 0.1
	done
	echo no
}
# has PORT ADDR: "yes" when PORT learned ADDR (waits up to 5 s), else "no";
# has_now without waiting. Addresses compare as addresses, not text (the daemon
# writes RFC 5952: 2001:db8:1:0:5054:ff:fe00:2, not 2001:db8:1::5054:ff:fe00:2).
has_now() {
	vg binding show "$1" --json 2>/dev/null | python3 -c '
import ipaddress, json, sys
want = ipaddress.ip_address(sys.argv[1])
ok = any(ipaddress.ip_address(a["address"]) == want for a in json.load(sys.stdin).get("addresses", []))
print("yes" if ok else "no")' "$2" 2>/dev/null || echo no
}
has() {
	wait_for yes has_now "$1" "$2"
}
# source_of PORT ADDR: the source that taught ADDR to PORT
source_of() {
	vg binding show "$1" --json 2>/dev/null | python3 -c '
import ipaddress, json, sys
for a in json.load(sys.stdin).get("addresses", []):
    if ipaddress.ip_address(a["address"]) == ipaddress.ip_address(sys.argv[1]):
        print(a.get("source", "?"))' "$2" 2>/dev/null
}
# ignored REASON: how many capture records the daemon ignored for REASON
ignored() {
	vg status --json | python3 -c '
import json, sys
print(json.load(sys.stdin)["learning"]["ignored"].get(sys.argv[1], 0))' "$1"
}
# ping6_from NS SRC DST: one ping (two tries) from SRC; "pass" or "fail"
ping6_from() {
	if in_ns "$1" ping -6 -c 1 -W 1 -I "$2" "$3" >/dev/null 2>&1 ||
		in_ns "$1" ping -6 -c 1 -W 1 -I "$2" "$3" >/dev/null 2>&1; then
		echo pass
	else
		echo fail
	fi
}
# events_count PATTERN: lines of the watch stream matching PATTERN
events_count() {
	grep -c -- "$1" "$TMPD/events"
}
diag() {
	echo "# ---- daemon log (without control requests)"
	grep -v 'control: ' "$TMPD/daemon.log" | tail -n 80 | sed 's/^/# /'
	echo "# ---- status"
	vg status --json | sed 's/^/# /'
	echo "# ---- events"
	sed 's/^/# /' "$TMPD/events"
	echo "# ---- vm1 addresses"
	in_ns "$VM1" ip -6 addr show dev eth0 | sed 's/^/# /'
	echo "# ---- nft list ruleset (host)"
	in_ns "$HOST" nft list ruleset | sed 's/^/# /'
}

check "the daemon starts" daemon_start
vg watch --json >"$TMPD/events" 2>&1 &


# ---- vm2: a neighbour that owns an address first; later the SLAAC guest ----------------
check "bind vnet2 (no-ipv6-spoofing, no IPV6: learns)" vg binding create --port vnet2 \
	--mac "$VM2_MAC" --filter no-ipv6-spoofing
expect_eq "vnet2 is active meanwhile (nothing IPv4 to learn)" active "$(state vnet2)"
# SLAAC with privacy addresses, temporary ones preferred for 12 s (a new one ~9 s later)
v6_on "$VM2" accept_ra=2 autoconf=1 use_tempaddr=2 temp_prefered_lft=12 max_desync_factor=1
in_ns "$VM2" ip addr add 2001:db8::22/64 dev eth0
expect_eq "vm2's static 2001:db8::22 learned" yes "$(has vnet2 2001:db8::22)"
expect_eq "vm2's link-local learned" yes "$(has vnet2 "$VM2_LL")"

# ---- DAD: a static address and the link-local one ----------------------------------
check "bind vnet1 (no-ipv6-spoofing, learns)" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter no-ipv6-spoofing
in_ns "$GW" sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.eth0.disable_ipv6=0 \
	net.ipv6.conf.all.forwarding=1
for a in 2001:db8::fe 2001:db8:1::fe 2001:db8:2::fe; do
	in_ns "$GW" ip addr add "$a/64" dev eth0 nodad
done
v6_on "$VM1" accept_ra=0
in_ns "$VM1" ip addr add 2001:db8::11/64 dev eth0
expect_eq "static 2001:db8::11 learned" yes "$(has vnet1 2001:db8::11)"
expect_eq "its source is dad" dad "$(source_of vnet1 2001:db8::11)"
expect_eq "the link-local address learned" yes "$(has vnet1 "$VM1_LL")"
expect_eq "its source is dad" dad "$(source_of vnet1 "$VM1_LL")"
expect_eq "vm1's DAD done" yes "$(settled "$VM1")"
expect_eq "ping6 from 2001:db8::11 to the gateway passes" pass \
	"$(ping6_from "$VM1" 2001:db8::11 2001:db8::fe)"

# ---- the learning window -----------------------------------------------------------
expect_eq "a new source's first frame (2001:db8::99) is dropped" 0 \
	"$(frames_pass "$VM1" "$GW" ipv6 --smac "$VM1_MAC" --dmac "$GW_MAC" \
		--sip6 2001:db8::99 --dip6 2001:db8::fe --count 1)"
expect_eq "and teaches it" yes "$(has vnet1 2001:db8::99)"
expect_eq "source ipv6" ipv6 "$(source_of vnet1 2001:db8::99)"
expect_eq "control: once learned, its frames pass" 3 \
	"$(frames_pass "$VM1" "$GW" ipv6 --smac "$VM1_MAC" --dmac "$GW_MAC" \
		--sip6 2001:db8::99 --dip6 2001:db8::fe)"
conflict_seen() { # conflict_seen N: yes when more than N conflict events name vm2's address
	[ "$(events_count '2001:db8::22, which belongs to port vnet2')" -gt "$1" ] && echo yes
}
conflicts=$(events_count '2001:db8::22, which belongs to port vnet2')
expect_eq "vm1 forging vm2's 2001:db8::22: nothing passes" 0 \
	"$(frames_pass "$VM1" "$GW" ipv6 --smac "$VM1_MAC" --dmac "$GW_MAC" \
		--sip6 2001:db8::22 --dip6 2001:db8::fe)"
expect_eq "control: the frames reached the daemon, which refused the claim" yes \
	"$(wait_for yes conflict_seen "$conflicts")"
expect_eq "as a conflict event of vnet1" "conflict vnet1" \
	"$(grep -- '2001:db8::22, which belongs to port vnet2' "$TMPD/events" | tail -n 1 |
		python3 -c 'import json,sys; e=json.load(sys.stdin); print(e.get("type"), e.get("port"))')"
expect_eq "vnet1 did not learn it" no "$(has_now vnet1 2001:db8::22)"
expect_eq "a second try does not pass either" 0 \
	"$(frames_pass "$VM1" "$GW" ipv6 --smac "$VM1_MAC" --dmac "$GW_MAC" \
		--sip6 2001:db8::22 --dip6 2001:db8::fe)"
expect_eq "vm2 keeps it" yes "$(has_now vnet2 2001:db8::22)"

# ---- SLAAC: radvd in the gateway; vm2's stable and temporary addresses ---------------
printf '%s\n' 'interface eth0 {' '  AdvSendAdvert on;' '  MinRtrAdvInterval 3;' \
	'  MaxRtrAdvInterval 4;' '  AdvDefaultLifetime 0;' '  prefix 2001:db8:1::/64 {' \
	'    AdvOnLink on;' '    AdvAutonomous on;' '  };' '};' >"$TMPD/radvd.conf"
in_ns "$GW" radvd -C "$TMPD/radvd.conf" -p "$TMPD/radvd.pid" -n -m stderr -d 1 \
	>"$TMPD/radvd.log" 2>&1 &
radvd=$!
SLAAC=2001:db8:1::5054:ff:fe00:2
temp_addrs() { # vm2's temporary addresses, newest first
	in_ns "$VM2" ip -6 addr show dev eth0 temporary |
		sed -n 's|.*inet6 \(2001:db8:1:[0-9a-f:]*\)/64.*|\1|p' | tr '\n' ' ' | sed 's/ $//'
}
wait_temp() { # wait_temp OLD SECONDS: the newest temporary address that is not OLD, DAD done
	for _ in $(seq $(($2 * 10))); do
		t=$(temp_addrs)
		t=${t%% *}
		[ -n "$t" ] && [ "$t" != "$1" ] && [ "$(settled "$VM2")" = yes ] && echo "$t" && return
		sleep 0.1
	done
}
TEMP1=$(wait_temp none 10)
if [ -n "$TEMP1" ]; then ok "vm2 made a temporary address from radvd's prefix ($TEMP1)"; else
	not_ok "vm2 made a temporary address from radvd's prefix"
	sed 's/^/# /' "$TMPD/radvd.log"
	TEMP1=none
fi
expect_eq "the stable SLAAC address $SLAAC learned" yes "$(has vnet2 "$SLAAC")"
expect_eq "the temporary address learned" yes "$(has vnet2 "$TEMP1")"
expect_eq "ping6 -I the stable address passes" pass \
	"$(ping6_from "$VM2" "$SLAAC" 2001:db8:1::fe)"
expect_eq "ping6 -I the temporary address passes" pass \
	"$(ping6_from "$VM2" "$TEMP1" 2001:db8:1::fe)"

# ---- DHCPv6, dhcp mode: dnsmasq in the gateway, dhclient -6 in vm1 ---------------------
check "vnet1 rebound with CTRL_IP_LEARNING=dhcp" vg binding delete vnet1
v6_off "$VM1"
check "(create)" vg binding create --port vnet1 --mac "$VM1_MAC" --filter no-ipv6-spoofing \
	--param CTRL_IP_LEARNING=dhcp
v6_on "$VM1"
expect_eq "vm1's link-local settles" yes "$(settled "$VM1")"
expect_eq "dhcp mode: the link-local address is learned (DAD)" yes "$(has vnet1 "$VM1_LL")"
printf '%s\n' '#!/bin/sh' "echo \"\$reason \${new_ip6_address:-}\" >>$TMPD/dh6.log" \
	'case $reason in BOUND6|RENEW6|REBIND6|REBOOT6)' \
	'	[ -n "${new_ip6_address:-}" ] && ip -6 addr replace "$new_ip6_address/128" dev "$interface" nodad ;;' \
	'esac' 'exit 0' >"$TMPD/dh6-script"
chmod +x "$TMPD/dh6-script"
# dhclient6 LEASEFILE: dhclient -6 in vm1 in the background, $dhcl its pid
dhclient6() {
	in_ns "$VM1" dhclient -6 -1 -d -v --dad-wait-time 5 -lf "$1" -pf "$1.pid" \
		-sf "$TMPD/dh6-script" eth0 >>"$TMPD/dhclient.log" 2>&1 &
	dhcl=$!
}
dh6_bound() {
	sed -n 's/^BOUND6 \(.\)/\1/p' "$TMPD/dh6.log" 2>/dev/null | head -n 1
}
dnsmasq_in "$GW" "$TMPD/dnsmasq6.log" --dhcp-range=2001:db8:2::100,2001:db8:2::1ff,64,120
dhclient6 "$TMPD/dh6.leases"
for _ in $(seq 100); do [ -n "$(dh6_bound)" ] && break; sleep 0.1; done
LEASE=$(dh6_bound)
kill "$dhcl" 2>/dev/null
wait "$dhcl" 2>/dev/null
stop_server
case "$LEASE" in 2001:db8:2::1[0-9a-f][0-9a-f]) ok "dhclient -6 took a lease from dnsmasq ($LEASE)" ;;
*) not_ok "dhclient -6 took a lease from dnsmasq"; LEASE=none
	sed 's/^/# /' "$TMPD/dh6.log" "$TMPD/dhclient.log" "$TMPD/dnsmasq6.log" ;; esac
expect_eq "the leased address is learned" yes "$(has vnet1 "$LEASE")"
expect_eq "its source is dhcpv6" dhcpv6 "$(source_of vnet1 "$LEASE")"
in_ns "$VM1" ip addr add 2001:db8:2::77/64 dev eth0 nodad
expect_eq "ping6 -I the leased address passes" pass "$(ping6_from "$VM1" "$LEASE" 2001:db8:2::fe)"
mode_dhcp=$(ignored mode-dhcp)
expect_eq "ping6 -I a static global address (2001:db8:2::77) is dropped" fail \
	"$(ping6_from "$VM1" 2001:db8:2::77 2001:db8:2::fe)"
expect_eq "control: its frames reached the daemon, refused in dhcp mode" yes \
	"$([ "$(ignored mode-dhcp)" -gt "$mode_dhcp" ] && echo yes)"
expect_eq "and it is not learned" no "$(has_now vnet1 2001:db8:2::77)"

# ---- a neighbour's forged DHCPv6 REPLY ---------------------------------------------------
# vm1 asks again, with no server: its SOLICIT (xid, DUID) is sniffed on its eth0
rm -f "$TMPD/sniff.err"
in_ns "$VM1" python3 "$DHCPV6" sniff eth0 6 >"$TMPD/solicit" 2>"$TMPD/sniff.err" &
sniff=$!
for _ in $(seq 50); do grep -q ready "$TMPD/sniff.err" 2>/dev/null && break; sleep 0.1; done
dhclient6 "$TMPD/dh6b.leases"
wait "$sniff"
sleep 0.3 # the daemon records the xid from its own copy of that SOLICIT
kill "$dhcl" 2>/dev/null
wait "$dhcl" 2>/dev/null
read -r _ XID DUID <"$TMPD/solicit"
if [ -n "${DUID:-}" ]; then ok "vm1's SOLICIT sniffed (xid $XID)"; else
	not_ok "vm1's SOLICIT sniffed"; sed 's/^/# /' "$TMPD/sniff.err" "$TMPD/dhclient.log"
	XID=000000 DUID=00
fi
# forged_reply NS MAC LL: the REPLY to vm1's exchange granting 2001:db8:3::33, from NS
forged_reply() {
	in_ns "$1" python3 "$DHCPV6" reply eth0 --smac "$2" --dmac "$VM1_MAC" --sip6 "$3" \
		--dip6 "$VM1_LL" --xid "$XID" --client-id "$DUID" --addr 2001:db8:3::33
}
untrusted=$(ignored untrusted-port)
forged_reply "$VM2" "$VM2_MAC" "$VM2_LL"
expect_eq "vm2's forged REPLY reached the daemon, ignored: from a guest port" $((untrusted + 1)) \
	"$(wait_for $((untrusted + 1)) ignored untrusted-port)"
expect_eq "and vnet1 did not learn 2001:db8:3::33" no "$(has_now vnet1 2001:db8:3::33)"
forged_reply "$GW" "$GW_MAC" "$GW_LL"
expect_eq "control: the same REPLY from the uplink teaches it" yes "$(has vnet1 2001:db8:3::33)"
expect_eq "source dhcpv6" dhcpv6 "$(source_of vnet1 2001:db8:3::33)"

# ---- SLAAC, the rotation: vm2's next temporary address --------------------------------
TEMP2=$(wait_temp "$TEMP1" 15)
if [ -n "$TEMP2" ]; then ok "vm2 rotated its temporary address ($TEMP2)"; else
	not_ok "vm2 rotated its temporary address"; in_ns "$VM2" ip -6 addr show dev eth0 | sed 's/^/# /'
	TEMP2=none
fi
expect_eq "the new temporary address learned" yes "$(has vnet2 "$TEMP2")"
expect_eq "ping6 -I it passes" pass "$(ping6_from "$VM2" "$TEMP2" 2001:db8:1::fe)"
in_ns "$VM2" sysctl -qw net.ipv6.conf.eth0.temp_prefered_lft=86400
kill "$radvd" 2>/dev/null
wait "$radvd" 2>/dev/null

# ---- a kill -9 restart: learned IPv6 addresses and their rules stay -------------------
# one_ping NS SRC DST: pass when the very first echo is answered (no retransmission)
one_ping() {
	in_ns "$1" ping -6 -c 1 -W 1 -I "$2" "$3" >/dev/null 2>&1 && echo pass || echo fail
}
addrs_of() {
	vg binding show "$1" --json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(sorted(a["address"] for a in json.load(sys.stdin).get("addresses", []))))'
}
before=$(addrs_of vnet2)
expect_eq "before: vnet2 has $SLAAC among its addresses" yes "$(has_now vnet2 "$SLAAC")"
daemon_stop KILL
expect_eq "daemon killed: vm2's temporary address still passes, first packet" pass \
	"$(one_ping "$VM2" "$TEMP2" 2001:db8:1::fe)"
check "the daemon restarts" daemon_start
expect_eq "restarted: vnet2 has the IPv6 addresses it had" "$before" "$(addrs_of vnet2)"
expect_eq "restarted: its stable SLAAC address passes, first packet" pass \
	"$(one_ping "$VM2" "$SLAAC" 2001:db8:1::fe)"
in_ns "$VM2" ip addr add 2001:db8:1::bad/64 dev eth0 nodad
expect_eq "restarted: a new source's first packet is still dropped (the gate)" fail \
	"$(one_ping "$VM2" 2001:db8:1::bad 2001:db8:1::fe)"
expect_eq "and it is learned from it" yes "$(has vnet2 2001:db8:1::bad)"

[ "$TESTS_FAILED" = 0 ] || diag
done_testing
