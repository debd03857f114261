# Shared helpers for integration tests: TAP output and throw-away network
# namespaces. Source it; call topo_up; everything is removed on exit, also
# when a test fails or is interrupted.
#
#   ns $VM1 (eth0 52:54:00:00:00:01) ── vnet1 ┐
#   ns $VM2 (eth0 52:54:00:00:00:02) ── vnet2 ┼─ br0  (ns $HOST: vifguard runs here)
#   ns $GW  (eth0 52:54:00:00:00:fe) ── vnet9 ┘
#
# IPv4 10.77.0.0/24: vm1 .1, vm2 .2, gw .254. Nothing connects to the outside.

set -u

TESTS_RUN=0
TESTS_FAILED=0
SRC=${VIFGUARD_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
BUILD=${VIFGUARD_BUILD_DIR:-$SRC/build}
CTL="$BUILD/vifguardctl"
FRAMES="$SRC/tests/lib/frames.py"

PFX="vgt$$x$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
HOST="${PFX}h"
VM1="${PFX}a"
VM2="${PFX}b"
GW="${PFX}g"
VM1_MAC=52:54:00:00:00:01
VM2_MAC=52:54:00:00:00:02
GW_MAC=52:54:00:00:00:fe
VM1_IP=10.77.0.1
VM2_IP=10.77.0.2
GW_IP=10.77.0.254

ok() {
	TESTS_RUN=$((TESTS_RUN + 1))
	echo "ok $TESTS_RUN - $*"
}

not_ok() {
	TESTS_RUN=$((TESTS_RUN + 1))
	TESTS_FAILED=$((TESTS_FAILED + 1))
	echo "not ok $TESTS_RUN - $*"
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 77
}

# check DESCRIPTION COMMAND...: one test case passing when COMMAND succeeds.
check() {
	desc=$1
	shift
	if "$@" >"$TMPD/out" 2>&1; then
		ok "$desc"
	else
		not_ok "$desc"
		sed 's/^/# /' "$TMPD/out"
	fi
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "# expected '$2', got '$3'"
	fi
}

done_testing() {
	echo "1..$TESTS_RUN"
	[ "$TESTS_FAILED" = 0 ]
}

in_ns() {
	ns=$1
	shift
	ip netns exec "$ns" "$@"
}

cleanup() {
	for ns in "$VM1" "$VM2" "$GW" "$HOST"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "${TMPD:-}" ] && rm -rf "$TMPD"
}

require_root() {
	[ "$(id -u)" = 0 ] || skip_all "needs root for network namespaces"
	ip netns add "${PFX}probe" 2>/dev/null || skip_all "cannot create network namespaces"
	ip netns del "${PFX}probe"
	nft --version >/dev/null 2>&1 || skip_all "nft not installed"
}

# add_vm NS PORT MAC IP: a veth pair with one end (eth0) in NS and the other on br0.
add_vm() {
	ip netns add "$1"
	ip -n "$HOST" link add "$2" type veth peer name eth0 netns "$1"
	ip -n "$1" link set eth0 address "$3"
	ip -n "$1" link set lo up
	ip -n "$1" link set eth0 up
	[ -n "$4" ] && ip -n "$1" addr add "$4/24" dev eth0
	# IPv6 DAD and router solicitations would add traffic the tests do not expect.
	in_ns "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	ip -n "$HOST" link set "$2" master br0
	ip -n "$HOST" link set "$2" up
}

# host_up NS: a host namespace with lo up and a bridge br0 that forwards at once
host_up() {
	ip netns add "$1"
	ip -n "$1" link set lo up
	ip -n "$1" link add br0 type bridge
	ip -n "$1" link set br0 type bridge stp_state 0 forward_delay 0
	ip -n "$1" link set br0 up
}

topo_up() {
	TMPD=$(mktemp -d)
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	host_up "$HOST"
	add_vm "$VM1" vnet1 "$VM1_MAC" "$VM1_IP"
	add_vm "$VM2" vnet2 "$VM2_MAC" "$VM2_IP"
	add_vm "$GW" vnet9 "$GW_MAC" "$GW_IP"
}

# frames_pass TX_NS RX_NS KIND [frames.py send options]: prints how many of 3
# tagged frames sent from TX_NS's eth0 arrived at RX_NS's eth0, or "no-receiver"
# when the receiver never got ready (so that a drop test cannot pass by accident).
# TX_IF and RX_IF name other ends than eth0 (tap:PATH for a macvtap's VM side).
frames_pass() {
	tx=$1 rx=$2 kind=$3
	shift 3
	tag="t$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
	rm -f "$TMPD/ready" "$TMPD/count"
	ip netns exec "$rx" python3 "$FRAMES" count "${RX_IF:-eth0}" 30 --tag "$tag" >"$TMPD/count" 2>"$TMPD/ready" &
	pid=$!
	for _ in $(seq 400); do
		grep -q ready "$TMPD/ready" 2>/dev/null && break
		sleep 0.05
	done
	if ! grep -q ready "$TMPD/ready" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		echo no-receiver
		return
	fi
	in_ns "$tx" python3 "$FRAMES" send "${TX_IF:-eth0}" "$kind" --tag "$tag" --count 3 "$@"
	# frames cross the bridge within microseconds; 0.2 s is margin, then drain and count
	sleep 0.2
	kill -USR1 "$pid" 2>/dev/null
	wait "$pid"
	cat "$TMPD/count"
}

# ---- DHCP, real ------------------------------------------------------------------
UDHCPC_SCRIPT="$SRC/tests/integration/udhcpc-script.sh"
# dhcp CLIENT_NS TRIES: runs udhcpc in CLIENT_NS; prints "bound ADDR" or nothing.
dhcp() {
	rm -f "$TMPD/lease"
	UDHCPC_LOG="$TMPD/lease" in_ns "$1" busybox timeout $(($2 + 3)) udhcpc -i eth0 -n -q -f \
		-t "$2" -T 1 -s "$UDHCPC_SCRIPT" >"$TMPD/udhcpc.log" 2>&1
	head -n 1 "$TMPD/lease" 2>/dev/null
}

# dnsmasq_in NS LOG ARGS...: a DHCP server in NS; sets $server to its pid.
dnsmasq_in() {
	ns=$1 log=$2
	shift 2
	ip netns exec "$ns" dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 \
		--bind-interfaces --port=0 --leasefile-ro --no-ping --log-dhcp --log-facility=- \
		"$@" >"$log" 2>&1 &
	server=$!
	sleep 0.5
}

stop_server() {
	kill "$server" 2>/dev/null
	wait "$server" 2>/dev/null
}

# ---- the daemon --------------------------------------------------------------
# state PORT: its binding's state; addrs PORT: its learned addresses, space separated
state() {
	vg binding show "$1" --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null
}
addrs() {
	vg binding show "$1" --json 2>/dev/null | python3 -c '
import json, sys
print(" ".join(a["address"] for a in json.load(sys.stdin).get("addresses", [])))' 2>/dev/null
}
# wait_for WHAT COMMAND...: up to 5 s for COMMAND's output to equal WHAT; prints the last output
wait_for() {
	want=$1
	shift
	for _ in $(seq 50); do
		got=$("$@")
		[ "$got" = "$want" ] && break
		sleep 0.1
	done
	echo "$got"
}

DAEMON="$BUILD/vifguardd"
DAEMON_PID=

# vg ARGS...: vifguardctl against the test's daemon, inside the host namespace
vg() {
	in_ns "$HOST" "$CTL" --socket "$TMPD/control.sock" "$@"
}

# daemon_start [ARGS...]: starts vifguardd in the host namespace and waits until it answers;
# $DAEMON_ENV (words VAR=value) go to its environment
DAEMON_ENV=
daemon_start() {
	# shellcheck disable=SC2086
	ip netns exec "$HOST" env $DAEMON_ENV "$DAEMON" --config /dev/null --state-dir "$TMPD/state" --socket "$TMPD/control.sock" \
		--log-level debug "$@" >>"$TMPD/daemon.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 100); do
		vg status >/dev/null 2>&1 && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# vifguardd did not start:" && sed 's/^/# /' "$TMPD/daemon.log"
	return 1
}

# daemon_stop [SIGNAL]: stops it (TERM by default) and waits for it
daemon_stop() {
	[ -n "$DAEMON_PID" ] || return 0
	kill "-${1:-TERM}" "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}
