#!/bin/sh
# A daemon killed between any two steps of a change (src/daemon/fault.h: the
# build's crash points, armed by a file): bind, learn, renew, expire,
# redefine and unbind, each killed after its store commit and after its
# nftables commit. While it is dead the port is never open (forged sources
# stay dropped wherever it had rules); restarted, it converges to the rules
# the store says, enforced, and the port is never set down for it.
. "$(dirname "$0")/lib.sh"

require_root
topo_up

FAULT_FILE="$TMPD/fault-armed"
FORGED_IP=10.77.0.66
forged() {
	frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip "$FORGED_IP" --dip "$GW_IP"
}
own() { # $1: vm1's address now
	frames_pass "$VM1" "$GW" ipv4 --smac "$VM1_MAC" --sip "$1" --dip "$GW_IP"
}
is_up() {
	ip -n "$HOST" -o link show "$1" | grep -c '[<,]UP[,>]'
}
# start POINT: the daemon, with POINT armable (not armed yet)
start() {
	rm -f "$FAULT_FILE"
	DAEMON_ENV="VIFGUARD_FAULT=$1 VIFGUARD_FAULT_FILE=$FAULT_FILE"
	daemon_start
}
# killed_by WHAT CMD...: arms the point, runs CMD (a request the crash cuts short), and
# says whether the daemon died there
killed_by() {
	what=$1
	shift
	touch "$FAULT_FILE"
	"$@" >/dev/null 2>&1
	for _ in $(seq 100); do
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	if kill -0 "$DAEMON_PID" 2>/dev/null; then
		not_ok "$what: the daemon is killed there"
		daemon_stop KILL
	else
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
		ok "$what: the daemon is killed there"
	fi
}
# converges PORT STATE [ADDRESS]: restarted without faults, the port ends in STATE,
# enforced, up, with ADDRESS passing and forged sources dropped
converges() {
	failed_before=$(grep -c port-failed "$TMPD/daemon.log")
	DAEMON_ENV=
	daemon_start
	expect_eq "restarted: $1 is $2" "$2" "$(wait_for "$2" state "$1")"
	check "restarted: the kernel enforces $1's rules" vg binding verify "$1"
	expect_eq "restarted: $1 is up (never set down for the crash)" 1 "$(is_up "$1")"
	expect_eq "restarted: forged sources are dropped" 0 "$(forged)"
	[ -n "${3:-}" ] && expect_eq "restarted: $3 passes" 3 "$(own "$3")"
	expect_eq "restarted: no port failed" "$failed_before" "$(grep -c port-failed "$TMPD/daemon.log")"
	daemon_stop TERM
}
never_open() {
	expect_eq "$1: while the daemon is dead, forged sources stay dropped" 0 "$(forged)"
}
reset() {
	DAEMON_ENV=
	daemon_start
	vg binding delete vnet1 >/dev/null 2>&1
	daemon_stop TERM
	ip -n "$HOST" link set vnet1 up
}
# DHCP for vm1 from the gateway: request XID ADDRESS, then an ACK with lease LEASE
exchange() {
	send_dhcp "$VM1" --smac "$VM1_MAC" --dhcp-type 3 --xid "$1" --requested "$2"
	send_dhcp "$GW" --smac "$GW_MAC" --sip "$GW_IP" --dip 255.255.255.255 --dhcp-type 5 \
		--xid "$1" --chaddr "$VM1_MAC" --yiaddr "$2" --server-id "$GW_IP" --lease "$3"
}
send_dhcp() {
	ns=$1
	shift
	in_ns "$ns" python3 "$FRAMES" send eth0 dhcp --tag "d$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')" "$@"
}

if ! grep -aq "fault injection: killed at" "$DAEMON"; then
	skip_all "this build has no crash points (meson option fault_injection)"
fi

# ---- bind ------------------------------------------------------------------------
for point in after-store after-apply; do
	start "$point"
	killed_by "bind, $point" vg binding create --port vnet1 --mac "$VM1_MAC" \
		--filter clean-traffic --param IP="$VM1_IP"
	[ "$point" = after-apply ] && never_open "bind, $point"
	converges vnet1 active "$VM1_IP"
	reset
done

# ---- learn (any mode) -----------------------------------------------------------
for point in after-store after-apply; do
	start "$point"
	check "bind vnet1 learning" vg binding create --port vnet1 --mac "$VM1_MAC" \
		--filter clean-traffic
	killed_by "learn, $point" in_ns "$VM1" python3 "$FRAMES" send eth0 ipv4 --tag "l$point" \
		--smac "$VM1_MAC" --sip "$VM1_IP" --dip "$GW_IP"
	never_open "learn, $point"
	converges vnet1 active "$VM1_IP"
	reset
done

# ---- renew and expire (dhcp mode) ---------------------------------------------------
for point in after-store after-apply; do
	start "$point"
	check "bind vnet1 learning, dhcp mode" vg binding create --port vnet1 --mac "$VM1_MAC" \
		--filter clean-traffic --param CTRL_IP_LEARNING=dhcp
	exchange 0x5001 10.77.0.51 120
	expect_eq "vm1 leases 10.77.0.51" 10.77.0.51 "$(wait_for 10.77.0.51 addrs vnet1)"
	killed_by "renew, $point" exchange 0x5002 10.77.0.51 120
	never_open "renew, $point"
	converges vnet1 active 10.77.0.51
	reset
	start "$point"
	check "bind vnet1 learning, dhcp mode" vg binding create --port vnet1 --mac "$VM1_MAC" \
		--filter clean-traffic --param CTRL_IP_LEARNING=dhcp
	exchange 0x5003 10.77.0.52 3
	expect_eq "vm1 leases 10.77.0.52 for 3 s" 10.77.0.52 "$(wait_for 10.77.0.52 addrs vnet1)"
	killed_by "expire, $point" sleep 5
	never_open "expire, $point"
	converges vnet1 learning
	reset
done

# ---- redefine -----------------------------------------------------------------------
cat >"$TMPD/mine.xml" <<'XML'
<filter name='vg-crash' chain='root'>
  <filterref filter='no-mac-spoofing'/>
</filter>
XML
cat >"$TMPD/mine2.xml" <<'XML'
<filter name='vg-crash' chain='root'>
  <filterref filter='no-mac-spoofing'/>
  <filterref filter='no-ip-spoofing'/>
</filter>
XML
for point in after-store after-apply; do
	start "$point"
	check "define vg-crash (MAC only) and bind vnet1 to it" sh -c \
		"ip netns exec $HOST $CTL --socket $TMPD/control.sock filter define $TMPD/mine.xml &&
		 ip netns exec $HOST $CTL --socket $TMPD/control.sock binding create --port vnet1 \
		   --mac $VM1_MAC --filter vg-crash --param IP=$VM1_IP"
	expect_eq "control: MAC only, a forged source passes" 3 "$(forged)"
	killed_by "redefine (adds no-ip-spoofing), $point" vg filter define "$TMPD/mine2.xml"
	converges vnet1 active "$VM1_IP"
	reset
done

# ---- unbind --------------------------------------------------------------------------
start after-remove
check "bind vnet1" vg binding create --port vnet1 --mac "$VM1_MAC" --filter clean-traffic \
	--param IP="$VM1_IP"
killed_by "unbind, after-remove" vg binding delete vnet1
DAEMON_ENV=
daemon_start
st=$(state vnet1)
case "$st" in
"") ok "restarted: the unbind completed (no binding)" ;;
active) check "restarted: the binding the store kept is enforced again" vg binding verify vnet1 ;;
*) not_ok "restarted: vnet1 is bound and enforced, or not bound ($st)" ;;
esac
daemon_stop TERM

done_testing
