#!/bin/sh
# Fail closed at run time, with the real daemon and forged frames on a real
# bridge: the host's ruleset flushed, our table deleted, a port's element or
# a template's rules removed behind the daemon's back, a dispatch replaced by
# "accept". Each attack has its control: with the daemon stopped, the same
# forged frame passes (the change really opened the port).
. "$(dirname "$0")/lib.sh"

require_root
topo_up

FORGED_IP=10.77.0.66
# forged: how many of 3 frames from vm1 with another's address reach the gateway
forged() {
	frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip "$FORGED_IP" --dip "$GW_IP"
}
verified() {
	vg binding verify "$1" >/dev/null 2>&1 && echo yes || echo no
}
# repaired_within: polls verify after the daemon resumes; prints the milliseconds it took
repaired_within() {
	start=$(date +%s%N)
	for _ in $(seq 100); do
		vg binding verify vnet1 >/dev/null 2>&1 && break
		sleep 0.02
	done
	echo $((($(date +%s%N) - start) / 1000000))
}

check "the daemon starts" daemon_start
vg watch --json >"$TMPD/events" 2>&1 &
check "bind vnet1 (clean-traffic, its IP given)" vg binding create --port vnet1 \
	--mac "$VM1_MAC" --filter clean-traffic --param IP="$VM1_IP"
check "bind vnet2 learning" vg binding create --port vnet2 --mac "$VM2_MAC" \
	--filter clean-traffic
expect_eq "a forged source from vm1 is dropped" 0 "$(forged)"
expect_eq "verify: the kernel enforces vnet1's rules" yes "$(verified vnet1)"
out=$(vg binding verify --json)
case "$out" in *'"port":"vnet1","intended":"active","enforced":true'*'"port":"vnet2","intended":"learning","enforced":true'*)
	ok "verify --json lists both ports, enforced" ;;
*) not_ok "verify --json lists both ports, enforced"; echo "# $out" ;; esac

# ---- nft flush ruleset (an nftables.service reload) -----------------------------
kill -STOP "$DAEMON_PID"
check "nft flush ruleset while the daemon is stopped" in_ns "$HOST" nft flush ruleset
expect_eq "control: the forged source now passes" 3 "$(forged)"
kill -CONT "$DAEMON_PID"
ms=$(repaired_within)
echo "# rules back $ms ms after the daemon resumed"
case $ms in [0-9] | [0-9][0-9] | [0-9][0-9][0-9]) ok "the rules are back within a second" ;;
*) not_ok "the rules are back within a second ($ms ms)" ;; esac
expect_eq "the forged source is dropped again" 0 "$(forged)"
expect_eq "a rules-restored event says what was found and done" 1 \
	"$(wait_for 1 grep -c '"type":"rules-restored".*deleted.*table.*2 ports put back' \
		"$TMPD/events")"
expect_eq "vnet1 is active" active "$(state vnet1)"
expect_eq "vnet2 still learns" learning "$(state vnet2)"
out=$(vg status)
case "$out" in *"tables: changed by others and put back 1 times (0 with ports that could not be)"*"'nft'"*)
	ok "status says the tables were changed by nft and put back" ;;
*) not_ok "status says the tables were changed by nft and put back"; echo "# $out" ;; esac
in_ns "$VM2" python3 "$FRAMES" send eth0 ipv4 --tag l2 --smac "$VM2_MAC" --sip "$VM2_IP" \
	--dip "$GW_IP"
expect_eq "and learns through the restored learning chains" "$VM2_IP" \
	"$(wait_for "$VM2_IP" addrs vnet2)"

# ---- one element, a template's rules, the table --------------------------------------
# broken WHAT CMD...: with the daemon stopped, CMD opens vnet1 (control); resumed, it closes it
broken() {
	what=$1
	shift
	kill -STOP "$DAEMON_PID"
	check "$what" "$@"
	expect_eq "control: the forged source passes" 3 "$(forged)"
	kill -CONT "$DAEMON_PID"
	ms=$(repaired_within)
	echo "# rules back $ms ms after the daemon resumed"
	expect_eq "resumed, the daemon closes it again" 0 "$(forged)"
}
broken "delete vnet1's dispatch element" in_ns "$HOST" nft delete element bridge vifguard \
	out-ports '{ "vnet1" }'
tpl=$(vg binding show vnet1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["template"])')
broken "flush vnet1's template chain ($tpl-o)" in_ns "$HOST" nft flush chain bridge vifguard \
	"$tpl-o"
broken "delete table bridge vifguard" in_ns "$HOST" nft delete table bridge vifguard
expect_eq "verify: enforced" yes "$(verified vnet1)"
expect_eq "control: vm1's own address passes" 3 \
	"$(frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP")"
check "with the daemon running, nft flush ruleset" in_ns "$HOST" nft flush ruleset
sleep 1
expect_eq "a second later the forged source is dropped" 0 "$(forged)"

# ---- what cannot be put back: the port goes down ----------------------------------
check "replace vnet1's dispatch with accept, in one transaction" sh -c \
	"printf '%s\n' 'delete element bridge vifguard out-ports { \"vnet1\" }' \
	 'add element bridge vifguard out-ports { \"vnet1\" : accept }' |
	 ip netns exec $HOST nft -f -"
expect_eq "the daemon cannot put its element back over it: vnet1 fails" failed \
	"$(wait_for failed state vnet1)"
expect_eq "and is set down" 0 "$(ip -n "$HOST" -o link show vnet1 | grep -c '[<,]UP[,>]')"
out=$(vg binding verify vnet1)
rc=$?
expect_eq "verify exits 1" 1 "$rc"
case "$out" in *"vnet1"*"failed"*"no"*"'accept'"*) ok "and says the kernel sends vnet1 to 'accept'" ;;
*) not_ok "and says the kernel sends vnet1 to 'accept'"; echo "# $out" ;; esac
out=$(vg binding show vnet1)
case "$out" in *"problem:"*"accept"*) ok "binding show names the problem" ;;
*) not_ok "binding show names the problem"; echo "# $out" ;; esac

# ---- vifguardd's own changes are not foreign ---------------------------------------
n=$(grep -c rules-restored "$TMPD/events")
check "delete and bind vnet2 again" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock binding delete vnet2 &&
	 ip netns exec $HOST $CTL --socket $TMPD/control.sock binding create --port vnet2 \
	   --mac $VM2_MAC --filter clean-traffic --param IP=$VM2_IP"
sleep 0.5
expect_eq "no repair follows the daemon's own transactions" "$n" \
	"$(grep -c rules-restored "$TMPD/events")"

# ---- quarantine: a port whose MAC changes, or that leaves its bridge -----------------
is_up() {
	ip -n "$HOST" -o link show "$1" | grep -c '[<,]UP[,>]'
}
own() { # how many of 3 frames with vm1's own address reach the gateway
	frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP"
}
ip -n "$HOST" link set vnet1 up
check "bind vnet1 again" sh -c "ip netns exec $HOST $CTL --socket $TMPD/control.sock \
	binding delete vnet1 2>/dev/null; ip netns exec $HOST $CTL --socket $TMPD/control.sock \
	binding create --port vnet1 --mac $VM1_MAC --filter clean-traffic --param IP=$VM1_IP"
expect_eq "control: vm1's own address passes" 3 "$(own)"
bound_mac=$(ip -n "$HOST" -o link show vnet1 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
check "the port's MAC changes" ip -n "$HOST" link set vnet1 address 02:00:00:00:00:99
expect_eq "vnet1 is quarantined" quarantined "$(wait_for quarantined state vnet1)"
expect_eq "everything from it is dropped, its own address too" 0 "$(own)"
expect_eq "and forged sources" 0 "$(forged)"
expect_eq "and frames to it" 0 \
	"$(frames_pass "$GW" "$VM1" ipv4 --smac "$GW_MAC" --dmac "$VM1_MAC" --sip "$GW_IP" \
		--dip "$VM1_IP")"
out=$(vg binding show vnet1)
case "$out" in *"state:     quarantined"*"note:      the port's MAC address changed to 02:00:00:00:00:99"*)
	ok "binding show says quarantined, and why" ;;
*) not_ok "binding show says quarantined, and why"; echo "# $out" ;; esac
expect_eq "an event says so" 1 "$(wait_for 1 grep -c '"type":"quarantined","port":"vnet1"' \
	"$TMPD/events")"
expect_eq "verify: the quarantine is what the kernel enforces" yes "$(verified vnet1)"
check "the MAC is set back" ip -n "$HOST" link set vnet1 address "$bound_mac"
expect_eq "the quarantine is lifted" active "$(wait_for active state vnet1)"
expect_eq "vm1's own address passes again" 3 "$(own)"
expect_eq "forged sources are still dropped" 0 "$(forged)"

ip -n "$HOST" addr add 10.77.0.200/24 dev vnet1 2>/dev/null
kill -STOP "$DAEMON_PID"
check "with the daemon stopped, vnet1 leaves the bridge" ip -n "$HOST" link set vnet1 nomaster
check "control: off the bridge, vm1 reaches the host itself (no bridge hook sees it)" \
	in_ns "$VM1" busybox ping -c 1 -W 1 10.77.0.200
kill -CONT "$DAEMON_PID"
expect_eq "resumed, the daemon quarantines vnet1" quarantined "$(wait_for quarantined state vnet1)"
check "vm1 reaches the host no more" sh -c "! ip netns exec $VM1 busybox ping -c 1 -W 1 10.77.0.200"
check "vnet1 back on its bridge" ip -n "$HOST" link set vnet1 master br0
expect_eq "the quarantine is lifted" active "$(wait_for active state vnet1)"
expect_eq "vm1's own address passes again" 3 "$(own)"
ip -n "$HOST" addr del 10.77.0.200/24 dev vnet1

# ---- a create that fails leaves no unguarded port --------------------------------
check "vnet1 leaves the bridge again, unbound" sh -c \
	"ip netns exec $HOST $CTL --socket $TMPD/control.sock binding delete vnet1 &&
	 ip -n $HOST link set vnet1 nomaster"
out=$(vg binding create --port vnet1 --mac "$VM1_MAC" --filter clean-traffic 2>&1)
case "$out" in *"cannot bind port vnet1: it is on no bridge"*"port vnet1 set down"*)
	ok "binding a port on no bridge is refused, saying it is set down" ;;
*) not_ok "binding a port on no bridge is refused, saying it is set down"; echo "# $out" ;; esac
expect_eq "and it is down" 0 "$(is_up vnet1)"
ip -n "$HOST" link set vnet1 master br0
ip -n "$HOST" link set vnet1 up
out=$(vg binding create --port vnet1 --mac "$VM1_MAC" --filter clean-traffic \
	--param IP="$VM2_IP" 2>&1)
case "$out" in *"given to port vnet2 already; port vnet1 set down"*)
	ok "a create giving another port's address is refused, and the port set down" ;;
*) not_ok "a create giving another port's address is refused, and the port set down"; echo "# $out" ;; esac
expect_eq "it is down" 0 "$(is_up vnet1)"
ip -n "$HOST" link set vnet1 up
check "with --keep-up the same refusal leaves it up" sh -c \
	"! ip netns exec $HOST $CTL --socket $TMPD/control.sock binding create --keep-up \
	   --port vnet1 --mac $VM1_MAC --filter clean-traffic --param IP=$VM2_IP"
expect_eq "it is up" 1 "$(is_up vnet1)"

daemon_stop TERM
done_testing
