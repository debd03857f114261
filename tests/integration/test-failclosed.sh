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

daemon_stop TERM
done_testing
