#!/bin/sh
# Many ports learning at once (part of make bench; runs on its own too): one
# vifguardd, $BENCH_LEARN_MANY_PORTS (1000) ports that all learn their address
# in the same second.
#
#   ns $VMS: vm0 .. vm999 (52:54:01:00:KK:KK) ── vnet0000 .. vnet0999 ┐
#                                                                    ├─ br0 (ns $HOST: vifguardd)
#   ns $HOST: vgsink-p (52:54:01:ff:ff:fe, static FDB entry) ─ vgsink ┘
#
#   One run ($BENCH_LEARN_MANY_RUNS runs, 5; a fresh daemon, state and ruleset each):
#   1. start vifguardd; read VmRSS/VmHWM from /proc/PID/status
#   2. bind the N ports through the control socket (bench/daemon-bench.py
#      --learn: clean-traffic, no IP, any mode); VmRSS/VmHWM again
#   3. with `vifguardctl watch --json` open, a python process in $VMS sends one
#      IPv4 UDP frame from each vmK (source 10.202.K/250.K%250+1, to the sink's
#      MAC so that the bridge forwards it to one port instead of flooding it)
#      through one AF_PACKET socket, as fast as it can, and times the first send
#      to the Nth "learned" event. A port whose frame was lost (the NFLOG socket
#      can overflow) gets it again once the daemon has been quiet for 1 s (no
#      event for 1 s after the last one or the last send), up to 5 times; the
#      ports re-sent are counted. latency_us of the N events: p50/p99 (nearest
#      rank). VmRSS/VmHWM once all are learned; the daemon's learning counters
#      (`vifguardctl status --json`) and the drops of the host namespace's
#      netfilter netlink sockets (/proc/net/netlink).
#   A table with every run and the median of the runs, on stdout and appended
#   to BUILD_DIR/bench-results.txt.
#
# IPv6 is off in both namespaces before any link exists, and no link has an
# IPv4 address, so the only frames are the ones sent. Everything happens in
# namespaces this script creates (unique names) and removes on exit, also on
# failure or interrupt; the root namespace's interfaces, routes and firewall
# are never touched.
# Usage: scripts/bench-learn-many.sh BUILD_DIR   (as root)
set -u

BENCH_NAME=bench-learn-many
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
SRC=$(cd "$(dirname "$0")/.." && pwd)
CTL="$BUILD/vifguardctl"
DAEMON="$BUILD/vifguardd"
DBENCH="$SRC/bench/daemon-bench.py"
N=${BENCH_LEARN_MANY_PORTS:-1000}
RUNS=${BENCH_LEARN_MANY_RUNS:-5}
OUT="$BUILD/bench-results.txt"

PFX="vgm$$x$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
HOST="${PFX}h"
VMS="${PFX}v"
SINK_MAC=52:54:01:ff:ff:fe
TMPD=""
DAEMON_PID=""

# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	bench_ns_del "$VMS" "$HOST"
	[ -n "$TMPD" ] && rm -rf "$TMPD"
}

bench_require "it creates network namespaces and nftables rules in them" "$CTL" "$DAEMON" -- python3 nft

TMPD=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM
SOCK="$TMPD/control.sock"
# private copies: others may relink build/ while this runs
cp "$CTL" "$DAEMON" "$TMPD/" || exit 1
CTL="$TMPD/vifguardctl"
DAEMON="$TMPD/vifguardd"
: >"$TMPD/empty.conf"

{
	echo "vifguardd: $N ports learning at once, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel $(uname -r), $(nproc) CPUs, $(nft --version 2>/dev/null), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$TMPD/header"
cat "$TMPD/header" >&2

# ---------------------------------------------------------------- topology
topo_up() {
	for ns in "$HOST" "$VMS"; do
		ip netns add "$ns" || return 1
		# before any link exists: no DAD, MLD or RS from the new ones
		in_ns "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return 1
		ip -n "$ns" link set lo up
	done
	ip -n "$HOST" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$HOST" link set br0 up
	ip -n "$HOST" link add vgsink type veth peer name vgsink-p address "$SINK_MAC" || return 1
	ip -n "$HOST" link set vgsink master br0
	ip -n "$HOST" link set vgsink up
	ip -n "$HOST" link set vgsink-p up
	bridge -n "$HOST" fdb replace "$SINK_MAC" dev vgsink master static || return 1
	k=0
	while [ "$k" -lt "$N" ]; do
		mac=$(printf '52:54:01:00:%02x:%02x' $((k / 256)) $((k % 256)))
		printf 'link add vnet%04d type veth peer name vm%d address %s netns %s\n' "$k" "$k" "$mac" "$VMS"
		k=$((k + 1))
	done >"$TMPD/links"
	ip -n "$HOST" -batch "$TMPD/links" || return 1
	k=0
	while [ "$k" -lt "$N" ]; do
		printf 'link set vnet%04d master br0 up\n' "$k"
		k=$((k + 1))
	done | ip -n "$HOST" -batch - || return 1
	k=0
	while [ "$k" -lt "$N" ]; do
		printf 'link set vm%d up\n' "$k"
		k=$((k + 1))
	done | ip -n "$VMS" -batch - || return 1
}

t0=$(date +%s)
topo_up || { log "cannot build the topology"; exit 1; }
log "topology $HOST/$VMS: $N veth ports on br0 in $(( $(date +%s) - t0 )) s"

daemon_start() {
	bench_daemon_start "${BENCH_LEARN_LOG_LEVEL:-info}"
}

daemon_stop() {
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=""
}

# mem: "RSS HWM" of the daemon, in MiB
mem() {
	awk '/^VmRSS:/ { r = $2 } /^VmHWM:/ { h = $2 } END { printf "%.1f %.1f", r / 1024, h / 1024 }' \
		"/proc/$DAEMON_PID/status"
}

# the drops of the host namespace's netfilter (protocol 12) netlink sockets
nl_drops() {
	in_ns "$HOST" cat /proc/net/netlink | awk 'NR > 1 && $2 == 12 { d += $9 } END { print d + 0 }'
}

# ---------------------------------------------------------------- the helper
cat >"$TMPD/learn-many.py" <<'PY'
#!/usr/bin/env python3
"""Runs in the VMs' namespace: one frame from each vmK through one AF_PACKET
socket, the "learned" events read from `vifguardctl watch --json` (started in
the host namespace) through a pipe, each stamped with time.monotonic() by a
thread blocked on it. Prints one line of key=value."""
import argparse
import json
import queue
import socket
import struct
import subprocess
import sys
import threading
import time

p = argparse.ArgumentParser()
p.add_argument("--host-ns", required=True)
p.add_argument("--ctl", required=True)
p.add_argument("--socket", required=True)
p.add_argument("--count", type=int, required=True)
p.add_argument("--sink-mac", required=True)
p.add_argument("--resend-after", type=float, default=1.0)
p.add_argument("--max-resends", type=int, default=5)
p.add_argument("--timeout", type=float, default=180.0)
a = p.parse_args()
N = a.count


def nearest_rank(values, pct):
    v = sorted(values)
    return v[max(1, -(-pct * len(v) // 100)) - 1]


def csum(data):
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def addr(k):
    return "10.202.%d.%d" % (k // 250, k % 250 + 1)


def frame(k):
    src = bytes((0x52, 0x54, 0x01, 0, k >> 8, k & 0xFF))
    dst = bytes(int(x, 16) for x in a.sink_mac.split(":"))
    payload = struct.pack("!HHHH", 40000, 9, 8 + 4, 0) + b"vglm"
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, 17, 0,
                      socket.inet_aton(addr(k)), socket.inet_aton("10.202.255.254"))
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return dst + src + b"\x08\x00" + hdr + payload


events = queue.Queue()


def reader(pipe):
    for line in iter(pipe.readline, b""):
        events.put((time.monotonic(), line.decode(errors="replace")))
    events.put((time.monotonic(), None))


def host(*cmd):
    return ["ip", "netns", "exec", a.host_ns, *cmd]


watch = subprocess.Popen(host(a.ctl, "--socket", a.socket, "watch", "--json"),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
threading.Thread(target=reader, args=(watch.stdout,), daemon=True).start()
frames = [frame(k) for k in range(N)]
names = ["vm%d" % k for k in range(N)]
tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
tx.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
time.sleep(0.5)  # watch is subscribed

learned = {}  # port number -> (t, latency_us)
resent = {}  # port number -> times re-sent
bad = []
t0 = time.monotonic()
for k in range(N):
    tx.sendto(frames[k], (names[k], 0))
t_sent = time.monotonic()
last = t_sent  # the last event or send
deadline = t0 + a.timeout
rounds = 0
while len(learned) < N:
    now = time.monotonic()
    if now >= deadline:
        break
    if now - last >= a.resend_after:
        todo = [k for k in range(N) if k not in learned and resent.get(k, 0) < a.max_resends]
        if not todo:
            break
        rounds += 1
        print("# quiet for %.1f s with %d/%d learned: re-sending %d frames (round %d)"
              % (now - last, len(learned), N, len(todo), rounds), file=sys.stderr, flush=True)
        for k in todo:
            tx.sendto(frames[k], (names[k], 0))
            resent[k] = resent.get(k, 0) + 1
        last = time.monotonic()
        continue
    try:
        t, line = events.get(timeout=max(0.01, a.resend_after - (now - last)))
    except queue.Empty:
        continue
    if line is None:
        sys.exit("the watch stream ended")
    try:
        ev = json.loads(line)
    except ValueError:
        continue
    ev = ev.get("event", ev) if isinstance(ev, dict) else {}
    if not isinstance(ev, dict) or ev.get("type") != "learned":
        continue
    port = ev.get("port", "")
    if not port.startswith("vnet") or not port[4:].isdigit():
        continue
    k = int(port[4:])
    if k in learned or k >= N:
        continue
    if ev.get("address") != addr(k):
        bad.append("%s learned %s" % (port, ev.get("address")))
    learned[k] = (t, ev.get("latency_us"))
    last = t
watch.terminate()

lat = [v for _, v in learned.values() if isinstance(v, int)]
t_all = max(t for t, _ in learned.values()) if len(learned) == N else None
t_first = min(t for t, _ in learned.values()) if learned else None
status = subprocess.run(host(a.ctl, "--socket", a.socket, "status", "--json"),
                        capture_output=True, text=True).stdout.strip()
try:
    st = json.loads(status)
    st = st.get("data", st)
    ls = st.get("learning", {})
except ValueError:
    ls = {}
for b in bad[:5]:
    print("# wrong address: %s" % b, file=sys.stderr)
print("# daemon learning counters: %s" % json.dumps(ls, separators=(",", ":")), file=sys.stderr)


def ms(v):
    return "-" if v is None else "%.1f" % v


print("send_ms=%.1f first_ms=%s all_ms=%s learned=%d resent_ports=%d resend_rounds=%d "
      "lat_n=%d lat_p50_ms=%s lat_p99_ms=%s lat_max_ms=%s records=%s bad=%d"
      % ((t_sent - t0) * 1000, ms((t_first - t0) * 1000 if t_first else None),
         ms((t_all - t0) * 1000 if t_all else None), len(learned), len(resent), rounds,
         len(lat), ms(nearest_rank(lat, 50) / 1000 if lat else None),
         ms(nearest_rank(lat, 99) / 1000 if lat else None),
         ms(max(lat) / 1000 if lat else None), ls.get("records", "?"), len(bad)), flush=True)
sys.exit(0 if len(learned) == N and not bad else 1)
PY

# ---------------------------------------------------------------- runs
: >"$TMPD/rows"
FAILED=0
for run in $(seq "$RUNS"); do
	in_ns "$HOST" nft flush ruleset
	rm -rf "$TMPD/state"
	daemon_start || exit 1
	m0=$(mem)
	d0=$(nl_drops)
	tb=$(date +%s%N)
	if ! in_ns "$HOST" python3 "$DBENCH" --socket "$SOCK" --via socket --first 0 --count "$N" \
		--name-format 'vnet%04d' --mac-prefix 52:54:01 --learn create >"$TMPD/bind" 2>&1; then
		cat "$TMPD/bind" >&2
		log "run $run: cannot bind $N learning ports"
		exit 1
	fi
	bind_s=$(awk -v a="$tb" -v b="$(date +%s%N)" 'BEGIN { printf "%.1f", (b - a) / 1e9 }')
	log "run $run: $N learning ports bound in $bind_s s: $(cat "$TMPD/bind")"
	m1=$(mem)
	sleep 1
	if ! in_ns "$VMS" python3 "$TMPD/learn-many.py" --host-ns "$HOST" --ctl "$CTL" --socket "$SOCK" \
		--count "$N" --sink-mac "$SINK_MAC" >"$TMPD/run" 2>"$TMPD/run.err"; then
		FAILED=1
		log "run $run: not every port learned"
	fi
	cat "$TMPD/run.err" >&2
	res=$(grep '^send_ms=' "$TMPD/run")
	log "run $run: $res"
	kill -0 "$DAEMON_PID" 2>/dev/null || { log "vifguardd exited during run $run:"; tail -n 20 "$TMPD/daemon.log" >&2; exit 1; }
	m2=$(mem)
	d1=$(nl_drops)
	echo "run=$run bind_s=$bind_s $res rss0=${m0% *} hwm0=${m0#* } rss1=${m1% *} hwm1=${m1#* } rss2=${m2% *} hwm2=${m2#* } nl_drops=$((d1 - d0))" >>"$TMPD/rows"
	daemon_stop
done

# ---------------------------------------------------------------- results
python3 - "$TMPD/rows" "$N" >"$TMPD/table" <<'PY'
import statistics
import sys

rows = [dict(f.split("=", 1) for f in line.split()) for line in open(sys.argv[1]) if line.strip()]
n = sys.argv[2]
cols = [("bind_s", "bind s"), ("send_ms", "send ms"), ("first_ms", "1st ev ms"),
        ("all_ms", "all ms"), ("learned", "learned"), ("resent_ports", "resent"),
        ("lat_p50_ms", "lat p50"), ("lat_p99_ms", "lat p99"), ("lat_max_ms", "lat max"),
        ("rss0", "RSS0"), ("hwm0", "HWM0"), ("rss1", "RSS1"), ("hwm1", "HWM1"),
        ("rss2", "RSS2"), ("hwm2", "HWM2"), ("records", "records"), ("nl_drops", "nl drops")]
w = 10


def cell(v):
    return ("%" + str(w) + "s") % v


print("   " + "%-7s" % "run" + "".join(cell(h) for _, h in cols))
for r in rows:
    print("   " + "%-7s" % r["run"] + "".join(cell(r.get(k, "?")) for k, _ in cols))
med = []
for k, _ in cols:
    vals = []
    for r in rows:
        try:
            vals.append(float(r[k]))
        except (KeyError, ValueError):
            pass
    med.append(("%.1f" % statistics.median(vals)) if vals else "-")
print("   " + "%-7s" % "median" + "".join(cell(v) for v in med))
PY
{
	cat "$TMPD/header"
	echo "== $N ports learning at once, one daemon ($(wc -l <"$TMPD/rows") runs, fresh daemon and ruleset each; medians last)"
	echo "   bind s: binding the $N ports (clean-traffic, no IP) through the control socket, one at a time"
	echo "   send ms: one IPv4 frame from each of the $N VMs, one python process, one AF_PACKET socket"
	echo "   1st ev / all ms: from the first send to the first / the ${N}th \"learned\" event on watch --json"
	echo "   resent: ports whose frame had to be sent again (no event after the daemon was quiet 1 s)"
	echo "   lat p50/p99/max: the events' latency_us (NFLOG timestamp -> full rules committed), ms, nearest rank"
	echo "   RSS/HWM: the daemon's VmRSS/VmHWM, MiB: 0 started, 1 with $N learning ports bound, 2 all learned"
	echo "   records: NFLOG records the daemon read (status); nl drops: netfilter netlink socket drops"
	cat "$TMPD/table"
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$TMPD/results"
echo
echo "================================================================ many ports learning: results"
cat "$TMPD/results"
{
	echo
	cat "$TMPD/results"
} >>"$OUT"
echo "(appended to $OUT)"
problems=$(grep -c '^\(err\|warn\|<[0-4]>\)' "$TMPD/daemon.log")
[ "$problems" = 0 ] || { log "daemon log has $problems warnings/errors:"; grep '^\(err\|warn\|<[0-4]>\)' "$TMPD/daemon.log" | head >&2; }
exit "$FAILED"
