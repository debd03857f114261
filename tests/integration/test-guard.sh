#!/bin/sh
# Ports no binding covers, for any VMM, with the real daemon and frames on a
# real bridge: a port whose name matches guard_ports is dropped by the kernel
# from its first frame, with or without the daemon; a port that joins a
# guarded bridge is dropped once the daemon sees it; trusted ports pass; a
# binding opens exactly the legitimate frames; auto_bind binds a libvirt-style
# tap at once. Each drop has its control: the same frames pass unguarded.
. "$(dirname "$0")/lib.sh"

require_root
topo_up

G1_MAC=52:54:00:00:00:31 G1_IP=10.77.0.31
G2_MAC=52:54:00:00:00:32 G2_IP=10.77.0.32
O3_MAC=52:54:00:00:00:34 O3_IP=10.77.0.34
T1_MAC=52:54:00:00:00:35 T1_IP=10.77.0.35
O4_MAC=52:54:00:00:00:36 O4_IP=10.77.0.36
A1_MAC=52:54:00:00:00:33 A1_IP=10.77.0.33
GVM1=${PFX}g1 GVM2=${PFX}g2 GVM3=${PFX}g3 AVM1=${PFX}a1 TVM1=${PFX}t1 O4NS=${PFX}o4
cleanup_guard() {
	for ns in "$GVM1" "$GVM2" "$GVM3" "$AVM1" "$TVM1" "$O4NS"; do
		[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	done
	cleanup
}
trap cleanup_guard EXIT

# legit NS MAC IP / forged NS MAC: how many of 3 frames from NS reach the gateway
legit() { frames_pass "$1" "$GW" ipv4 --smac "$2" --sip "$3" --dip "$GW_IP"; }
forged() { frames_pass "$1" "$GW" ipv4 --smac "$2" --sip 10.77.0.66 --dip "$GW_IP"; }
# to_vm NS: how many of 3 frames from the gateway reach NS
to_vm() { frames_pass "$GW" "$1" ipv4 --smac "$GW_MAC" --sip "$GW_IP" --dip 10.77.0.255; }
# guest NS PORT PORT_MAC GUEST_MAC IP: a veth guest whose host end has its own MAC,
# not yet on the bridge (join PORT puts it there)
guest() {
	ip netns add "$1"
	ip -n "$HOST" link add "$2" type veth peer name eth0 netns "$1"
	[ -n "$3" ] && ip -n "$HOST" link set "$2" address "$3"
	ip -n "$1" link set eth0 address "$4"
	ip -n "$1" link set lo up
	ip -n "$1" link set eth0 up
	ip -n "$1" addr add "$5/24" dev eth0
	in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
}
join() { ip -n "$HOST" link set "$1" master br0 up; }
unbound_has() {
	in_ns "$HOST" nft list set bridge vifguard unbound-ports 2>/dev/null | grep -c "\"$1\""
}

printf '%s\n' 'guard_ports = gvm*' 'guard_bridge = br0' 'trusted_ports = vnet*, up*' \
	'auto_bind = fe* clean-traffic mac=fe CTRL_IP_LEARNING=any' >"$TMPD/guard.conf"

# ---- the control: without the guard the new port passes -----------------------------------
check "the daemon starts without the guard" daemon_start
guest "$GVM1" gvm1 "" "$G1_MAC" "$G1_IP"
join gvm1
expect_eq "control: a port matching gvm* passes when no guard is configured" 3 \
	"$(legit "$GVM1" "$G1_MAC" "$G1_IP")"
daemon_stop

# ---- guard_ports: the kernel drops the port, the daemon is not needed --------------------
check "the daemon starts with guard_ports = gvm*, guard_bridge = br0" \
	daemon_start -c "$TMPD/guard.conf"
vg watch --json >"$TMPD/events" 2>&1 &
expect_eq "gvm1, no binding: its own frames are dropped" 0 "$(legit "$GVM1" "$G1_MAC" "$G1_IP")"
expect_eq "gvm1: forged frames too" 0 "$(forged "$GVM1" "$G1_MAC")"
expect_eq "gvm1: nothing reaches it" 0 "$(to_vm "$GVM1")"
expect_eq "vnet1 (trusted, unbound) passes" 3 "$(legit "$VM1" "$VM1_MAC" "$VM1_IP")"
daemon_stop KILL
# the port joins while no daemon runs, and sends at once: the kernel's rule alone drops it
guest "$GVM2" gvm2 "" "$G2_MAC" "$G2_IP"
join gvm2
expect_eq "daemon killed: a new gvm2 is dropped from its first frame" 0 \
	"$(legit "$GVM2" "$G2_MAC" "$G2_IP")"
check "the daemon starts again" daemon_start -c "$TMPD/guard.conf"
vg watch --json >>"$TMPD/events" 2>&1 &
check "bind gvm1 (clean-traffic, its IP given)" vg binding create --port gvm1 --mac "$G1_MAC" \
	--filter clean-traffic --param IP="$G1_IP"
expect_eq "bound: gvm1's own frames pass" 3 "$(legit "$GVM1" "$G1_MAC" "$G1_IP")"
expect_eq "bound: gvm1's forged frames are dropped" 0 "$(forged "$GVM1" "$G1_MAC")"
expect_eq "bound: frames reach gvm1" 3 "$(to_vm "$GVM1")"
expect_eq "gvm2, still unbound, stays dropped" 0 "$(legit "$GVM2" "$G2_MAC" "$G2_IP")"
check "delete gvm1's binding" vg binding delete gvm1
expect_eq "unbound again: gvm1 is dropped again" 0 "$(legit "$GVM1" "$G1_MAC" "$G1_IP")"

# ---- guard_bridge: any other port of br0 is dropped once the daemon sees it ---------------
guest "$GVM3" other3 "" "$O3_MAC" "$O3_IP"
expect_eq "control: other3 is in no set before it joins" 0 "$(unbound_has other3)"
join other3
expect_eq "other3 joined br0: the daemon puts it in unbound-ports" 1 "$(wait_for 1 unbound_has other3)"
expect_eq "other3, no binding: dropped" 0 "$(legit "$GVM3" "$O3_MAC" "$O3_IP")"
expect_eq "a quarantined event names it and the bridge" 1 \
	"$(wait_for 1 grep -c '"type":"quarantined","port":"other3".*guarded bridge br0' "$TMPD/events")"
check "bind other3" vg binding create --port other3 --mac "$O3_MAC" --filter clean-traffic \
	--param IP="$O3_IP"
expect_eq "bound: other3 passes" 3 "$(legit "$GVM3" "$O3_MAC" "$O3_IP")"
expect_eq "and it leaves unbound-ports" 0 "$(unbound_has other3)"
guest "$TVM1" up1 "" "$T1_MAC" "$T1_IP"
join up1
expect_eq "a trusted port (up*) of br0 passes unbound" 3 "$(legit "$TVM1" "$T1_MAC" "$T1_IP")"
expect_eq "and is in no set" 0 "$(unbound_has up1)"

# ---- auto_bind: a libvirt-style tap (fe: MAC) bound at once, learning ---------------------
guest "$AVM1" fe1 fe:54:00:00:00:33 "$A1_MAC" "$A1_IP"
join fe1
expect_eq "fe1 joined br0: bound at once, learning" learning "$(wait_for learning state fe1)"
expect_eq "its guest MAC is the tap's with 52 for fe" "$A1_MAC" \
	"$(vg binding show fe1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["mac"])')"
in_ns "$AVM1" python3 "$FRAMES" send eth0 ipv4 --tag l1 --smac "$A1_MAC" --sip "$A1_IP" --dip "$GW_IP"
expect_eq "it learns its address from its first frame" "$A1_IP" "$(wait_for "$A1_IP" addrs fe1)"
expect_eq "then its own frames pass" 3 "$(legit "$AVM1" "$A1_MAC" "$A1_IP")"
expect_eq "and forged ones are dropped" 0 "$(forged "$AVM1" "$A1_MAC")"

# ---- a flushed ruleset: the guard comes back with the ports -------------------------------
kill -STOP "$DAEMON_PID"
check "nft flush ruleset while the daemon is stopped" in_ns "$HOST" nft flush ruleset
expect_eq "control: gvm2 passes with the rules gone" 3 "$(legit "$GVM2" "$G2_MAC" "$G2_IP")"
kill -CONT "$DAEMON_PID"
expect_eq "resumed: the guard drops gvm2 again" 0 "$(wait_for 0 legit "$GVM2" "$G2_MAC" "$G2_IP")"
out=$("$DAEMON" -n -c "$TMPD/guard.conf" 2>&1)
case "$out" in *"guard: dropped until bound, by the kernel: gvm*"*"bridge: br0"*"never dropped: vnet* up*"*"auto_bind fe* to clean-traffic (mac=fe)"*"configuration OK"*)
	ok "vifguardd -n says what the guard will do" ;;
*) not_ok "vifguardd -n says what the guard will do"; echo "# $out" ;; esac
guest "$O4NS" other4 "" "$O4_MAC" "$O4_IP"
join other4
expect_eq "control: other4, unbound on br0, is in unbound-ports" 1 "$(wait_for 1 unbound_has other4)"
daemon_stop
check "the daemon starts again with no guard configured" daemon_start
expect_eq "the old configuration's guard is forgotten: gvm2 passes" 3 \
	"$(legit "$GVM2" "$G2_MAC" "$G2_IP")"
expect_eq "and unbound-ports is emptied: other4 is no longer in it" 0 "$(unbound_has other4)"
expect_eq "so other4 passes" 3 "$(legit "$O4NS" "$O4_MAC" "$O4_IP")"
printf 'auto_bind = fe* clean-traffic\n' >"$TMPD/bad.conf"
out=$("$DAEMON" -n -c "$TMPD/bad.conf" 2>&1)
case "$out" in *"bad.conf:1: auto_bind fe*: say where the guest's MAC comes from"*)
	ok "an auto_bind without a MAC rule is refused, naming the line" ;;
*) not_ok "an auto_bind without a MAC rule is refused, naming the line"; echo "# $out" ;; esac

done_testing
