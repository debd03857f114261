#!/bin/sh
# The macvtap benchmark (part of make bench; runs on its own too): what a
# macvtap port costs in vifguardd, where each port brings two netdev base
# chains hooked on the device (see docs/design.md, "macvtap ports").
#
#   ns $HOST: veth "uplink" (lower device) ── ns $PEER eth0
#             mv1..mvN: macvtaps on uplink, bridge mode, MAC 52:54:02:KK:KK:KK
#
#   1. bind/unbind: $BENCH_MACVTAP_PORTS (200) macvtaps bound with clean-traffic
#      and their IP through the control socket (bench/daemon-bench.py, one
#      request at a time), then deleted; the same per-binding figures as
#      scripts/bench-daemon.sh gives for bridge ports.
#   2. learning: $BENCH_MACVTAP_ROUNDS (100) rounds of: bind mv1 with no IP,
#      write one ARP into its character device (the VM's side), wait for the
#      `learned` event, delete the binding. Reports the event's latency_us (the
#      NFLOG timestamp of the frame to the full rules committed), nearest-rank
#      p50/p99, and the same interval from this script's clock (frame written
#      to event read).
#
# Results: on stdout and appended to BUILD_DIR/bench-results.txt.
# Everything happens in namespaces this script creates (unique names) and
# removes on exit, also on failure or interrupt.
# Usage: scripts/bench-macvtap.sh BUILD_DIR   (as root)
set -u

BENCH_NAME=bench-macvtap
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
SRC=$(cd "$(dirname "$0")/.." && pwd)
N_PORTS=${BENCH_MACVTAP_PORTS:-200}
N_ROUNDS=${BENCH_MACVTAP_ROUNDS:-100}
OUT="$BUILD/bench-results.txt"
PFX="vgm$$x$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
HOST="${PFX}h"
PEER="${PFX}p"
TMPD=""

cleanup() {
	bench_ns_del "$PEER" "$HOST"
	[ -n "$TMPD" ] && rm -rf "$TMPD"
}

bench_require "it creates network namespaces and macvtaps" "$BUILD/vifguardctl" "$BUILD/vifguardd"

TMPD=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM
cp "$BUILD/vifguardctl" "$BUILD/vifguardd" "$TMPD/" || exit 1
SOCK="$TMPD/control.sock"
: >"$TMPD/empty.conf"

ip netns add "$HOST" && ip netns add "$PEER" || exit 1
for ns in "$HOST" "$PEER"; do
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip -n "$HOST" link add uplink type veth peer name eth0 netns "$PEER" || exit 1
ip -n "$HOST" link set uplink up
ip -n "$PEER" link set eth0 up
log "creating $N_PORTS macvtaps"
k=1
while [ "$k" -le "$N_PORTS" ]; do
	mac=$(printf '52:54:02:%02x:%02x:%02x' $((k >> 16 & 255)) $((k >> 8 & 255)) $((k & 255)))
	printf 'link add link uplink name mv%d address %s type macvtap mode bridge\nlink set mv%d up\n' \
		"$k" "$mac" "$k"
	k=$((k + 1))
done >"$TMPD/links"
ip -n "$HOST" -batch "$TMPD/links" || { log "cannot create macvtaps here"; exit 1; }
idx=$(ip netns exec "$HOST" cat /sys/class/net/mv1/ifindex)
dev=$(ip netns exec "$HOST" cat "/sys/class/net/mv1/macvtap/tap$idx/dev")
if [ "$(stat -c '%Hr:%Lr' "/dev/tap$idx" 2>/dev/null)" = "$dev" ]; then
	ln -s "/dev/tap$idx" "$TMPD/tap1"
else
	mknod "$TMPD/tap1" c "${dev%:*}" "${dev#*:}" || exit 1
fi

DAEMON="$TMPD/vifguardd"
CTL="$TMPD/vifguardctl"
bench_daemon_start warn || exit 1

{
	echo "vifguardd macvtap benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel $(uname -r), $(nproc) CPUs, load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "1. $N_PORTS macvtap bindings (clean-traffic, IP given) through the socket:"
	ip netns exec "$HOST" python3 "$SRC/bench/daemon-bench.py" --socket "$SOCK" \
		--count "$N_PORTS" --first 1 --name-format 'mv%d' --mac-prefix 52:54:02 both
} >"$TMPD/result" || { cat "$TMPD/result"; tail "$TMPD/daemon.log" >&2; exit 1; }

cat >"$TMPD/learn.py" <<'PY'
"""Rounds of: bind mv1 without IP, write an ARP as the VM, read the learned event."""
import json, os, select, socket, subprocess, sys, time
ctl, sock, tap, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
mac = bytes.fromhex("525402000001")
# unbuffered: select() must see every line, none may wait in a reader's buffer
watch = subprocess.Popen([ctl, "--socket", sock, "watch", "--json"], stdout=subprocess.PIPE,
                         bufsize=0)
time.sleep(0.3)
fd = os.open(tap, os.O_RDWR)
kernel, seen, lost = [], [], 0
for r in range(rounds):
    ip = bytes([10, 9, r // 250, r % 250 + 1])
    subprocess.run([ctl, "--socket", sock, "binding", "create", "--port", "mv1", "--mac",
                    "52:54:02:00:00:01", "--filter", "clean-traffic"], check=True,
                   stdout=subprocess.DEVNULL)
    arp = (b"\xff" * 6 + mac + b"\x08\x06" + bytes([0, 1, 8, 0, 6, 4, 0, 1]) + mac + ip
           + b"\0" * 6 + bytes([10, 9, 255, 254]) + b"\0" * 18)
    t0 = time.monotonic()
    os.write(fd, b"\0" * 10 + arp)
    end = t0 + 5
    while time.monotonic() < end:
        if not select.select([watch.stdout], [], [], end - time.monotonic())[0]:
            continue
        ev = json.loads(watch.stdout.readline())
        # this round's address: an event of an earlier round never counts for this one
        if ev.get("type") == "learned" and ev.get("address") == socket.inet_ntoa(ip):
            seen.append((time.monotonic() - t0) * 1e3)
            kernel.append(ev["latency_us"] / 1e3)
            break
    else:
        lost += 1
        print("bench-macvtap: round %d: no learned event for %s within 5 s"
              % (r, socket.inet_ntoa(ip)), file=sys.stderr)
    subprocess.run([ctl, "--socket", sock, "binding", "delete", "mv1"], check=True,
                   stdout=subprocess.DEVNULL)
watch.kill()


def rank(v, p):  # nearest rank
    v = sorted(v)
    return v[max(0, -(-len(v) * p // 100) - 1)] if v else float("nan")


print("2. learning on a macvtap, %d rounds (%d learned, %d without an event in 5 s), ms,"
      " nearest-rank percentiles:" % (rounds, len(kernel), lost))
for name, v in (("frame's NFLOG timestamp -> full rules committed (latency_us)", kernel),
                ("ARP written to the tap -> learned event read", seen)):
    print("   %-62s p50 %6.2f  p99 %6.2f  max %6.2f" % (name, rank(v, 50), rank(v, 99),
                                                         max(v) if v else float("nan")))
PY
ip netns exec "$HOST" python3 "$TMPD/learn.py" "$TMPD/vifguardctl" "$SOCK" "$TMPD/tap1" \
	"$N_ROUNDS" >>"$TMPD/result" || { cat "$TMPD/result"; tail "$TMPD/daemon.log" >&2; exit 1; }
cat "$TMPD/result"
{
	cat "$TMPD/result"
	echo
} >>"$OUT"
kill "$DAEMON_PID" 2>/dev/null
wait "$DAEMON_PID" 2>/dev/null
