#!/bin/sh
# The guard benchmark (part of make bench; runs on its own too): how long a
# port that joins a guarded bridge passes frames before it is dropped.
#
#   ns $HOST: br0 with up0 (trusted: the uplink) ── ns $GW eth0 (the receiver)
#             qK: a guest's veth (ns $PFX-gK eth0 sending), joins br0 in round K
#
#   vifguardd with guard_bridge = br0, trusted_ports = up0, guard_ports = gp*.
#   Each of $BENCH_GUARD_ROUNDS (20) rounds: the guest sends a frame every
#   100 us (its CLOCK_MONOTONIC time inside) before its port is on the bridge;
#   the port joins br0; the gateway records what arrives. The window is the
#   send time of the last frame that arrived minus the time of the join: how
#   long the daemon took to see the port and commit its drop. Reported as
#   nearest-rank p50/p99/max with the frames that passed. Two controls: a
#   trusted port (up9, its frames must keep passing: the clock and the path
#   work) and a port matching guard_ports (gp1: the kernel's rule, no frame
#   may pass).
#
# Results: on stdout and appended to BUILD_DIR/bench-results.txt.
# Usage: scripts/bench-guard.sh BUILD_DIR   (as root)
set -u

BENCH_NAME=bench-guard
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
SRC=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${BENCH_GUARD_ROUNDS:-20}
OUT="$BUILD/bench-results.txt"
PFX="vgg$$x$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
HOST="${PFX}h"
GW="${PFX}w"
GUEST="${PFX}g"
WIN="$SRC/bench/guard-window.py"
TMPD=""

cleanup() {
	bench_ns_del "$GUEST" "$GW" "$HOST"
	[ -n "$TMPD" ] && rm -rf "$TMPD"
}

bench_require "it creates network namespaces" "$BUILD/vifguardctl" "$BUILD/vifguardd" -- python3
TMPD=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM
DAEMON="$BUILD/vifguardd"
CTL="$BUILD/vifguardctl"
SOCK="$TMPD/control.sock"
printf 'guard_bridge = br0\ntrusted_ports = up*\nguard_ports = gp*\n' >"$TMPD/empty.conf"

ip netns add "$HOST" && ip netns add "$GW" || exit 1
ip -n "$HOST" link add br0 type bridge
ip -n "$HOST" link set br0 type bridge stp_state 0 forward_delay 0
ip -n "$HOST" link set br0 up
ip -n "$HOST" link add up0 type veth peer name eth0 netns "$GW"
ip -n "$HOST" link set up0 master br0 up
ip -n "$GW" link set eth0 up
for ns in "$HOST" "$GW"; do
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
bench_daemon_start || exit 1

# round PORT: the guest's port PORT joins br0 while the guest sends; prints
# "WINDOW_US PASSED" (WINDOW_US -1 when no frame passed)
round() {
	port=$1
	ip netns add "$GUEST"
	ip -n "$HOST" link add "$port" type veth peer name eth0 netns "$GUEST"
	ip -n "$GUEST" link set eth0 address 52:54:00:77:00:01 up
	in_ns "$GUEST" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	rm -f "$TMPD/ready"
	in_ns "$GW" python3 "$WIN" recv eth0 1.5 52:54:00:77:00:01 >"$TMPD/got" 2>"$TMPD/ready" &
	rpid=$!
	for _ in $(seq 100); do grep -q ready "$TMPD/ready" 2>/dev/null && break; sleep 0.02; done
	in_ns "$GUEST" python3 "$WIN" send eth0 1.2 52:54:00:77:00:01 &
	spid=$!
	sleep 0.2
	t0=$(python3 "$WIN" join "$HOST" "$port")
	wait "$spid" "$rpid"
	python3 - "$t0" "$TMPD/got" <<'PY'
import sys
t0 = int(sys.argv[1])
sent = [int(x) for x in open(sys.argv[2]) if x.strip()]
print((max(sent) - t0) // 1000 if sent else -1, len(sent))
PY
	ip netns del "$GUEST"
}

control_trusted=$(round up9)
control_pattern=$(round gp1)
: >"$TMPD/windows"
for k in $(seq "$ROUNDS"); do
	round "q$k" >>"$TMPD/windows"
done
summary=$(python3 - "$TMPD/windows" <<'PY'
import math, sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1]) if l.strip()]
w = sorted(max(0, r[0]) for r in rows)
passed = sorted(r[1] for r in rows)
rank = lambda v, p: v[max(0, math.ceil(p / 100 * len(v)) - 1)]
print("rounds %d: window us p50 %d p99 %d max %d; frames passed p50 %d max %d; rounds with none: %d"
      % (len(rows), rank(w, 50), rank(w, 99), w[-1], rank(passed, 50), passed[-1],
         sum(1 for r in rows if r[1] == 0)))
PY
)
{
	echo "== guard: a port joining a guarded bridge ($(date -u +%FT%TZ), $(uname -r))"
	echo "control, trusted port up9 (frames must pass all along): window_us/passed $control_trusted"
	echo "control, guard_ports gp1 (the kernel's rule: none may pass): window_us/passed $control_pattern"
	echo "guard_bridge, unmatched ports qK: $summary"
	echo "(window: send time of the last frame that arrived minus the time just before \`ip link set master\` ran,"
	echo " whose own start-up is inside it; 0 when no frame arrived; -1 in a control: none arrived)"
} | tee -a "$OUT"
