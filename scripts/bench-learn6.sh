#!/bin/sh
# The IPv6 learning benchmark (part of make bench; runs on its own too): how
# long vifguardd takes from a guest's DAD or its DHCPv6 REPLY to the learned
# address's full rules, next to bench-learn.sh's IPv4 figures.
#
#   ns $VM1 (eth0 52:54:00:aa:06:01) ── vnet1 ┐
#   ns $VM2 (eth0 52:54:00:aa:06:02) ── vnet2 ┼─ br0  (ns $HOST: vifguardd)
#   ns $GW  (eth0 52:54:00:aa:06:fe) ── vnet9 ┘  ($GW: dnsmasq, DHCPv6, 2001:db8:62::fe)
#
#   1. DAD ($BENCH_LEARN6_DAD rounds, 100): bind vnet1 (no-ipv6-spoofing, no IPV6:
#      learns), VM1 adds a fresh address (`ip addr add 2001:db8:61::N/64`); time from
#      its DAD Neighbor Solicitation on VM1's eth0 (kernel receive stamp of the
#      outgoing frame) to (a) the "learned" event on `vifguardctl watch --json` and
#      (b) the address in `nft monitor` of the host namespace, and the event's own
#      latency_us (the kernel's NFLOG timestamp of the NS -> the full rules'
#      transaction committed, measured by the daemon). VM1 has no link-local
#      address (addr_gen_mode 1) and router_solicitation_delay 0: the NS goes at once and
#      the only other frames are its MLD reports from ::, which teach nothing.
#   2. DHCPv6 ($BENCH_LEARN6_DHCP rounds, 50; CTRL_IP_LEARNING=dhcp): bind vnet2,
#      run `dhclient -6 -1 -d` (fresh lease file, script /bin/true: the lease is
#      not configured) in VM2 against dnsmasq in GW; time from the REPLY at VM2's
#      eth0 to the event and to the rules, dhclient start -> event, and latency_us
#      (the REPLY is copied at the bridge's forward hook). One round takes ~1.5 s:
#      dhclient waits a random delay before its SOLICIT and collects ADVERTISEs for
#      a second (dnsmasq's preference is 0), hence fewer rounds than DAD.
#      VM2 and GW know each other's link-local address (permanent neighbours): no
#      neighbour discovery in the exchange (VM2's first NA from its link-local
#      address, not yet learned in a fresh binding, would be dropped and retried).
#   Each measure: p50, p99 (nearest rank), max, min; one warm-up round per mode is
#   not counted; the binding is deleted between rounds. Every round goes to
#   BUILD_DIR/bench-learn6-rows.tsv.
#
# One clock: a python helper runs inside the VM's namespace, captures its eth0
# and reads the watch and nft monitor streams of `ip netns exec $HOST` processes
# through pipes; each line is stamped with time.monotonic() when it arrives.
# Results: a table on stdout, appended to BUILD_DIR/bench-results.txt.
# Everything happens in namespaces this script creates (unique names) and
# removes on exit, also on failure or interrupt.
# Usage: scripts/bench-learn6.sh BUILD_DIR   (as root)
set -u

BENCH_NAME=bench-learn6
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$0")/bench-lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
BUILD=$(cd "$1" && pwd) || exit 2
CTL="$BUILD/vifguardctl"
DAEMON="$BUILD/vifguardd"
N_DAD=${BENCH_LEARN6_DAD:-100}
N_DHCP=${BENCH_LEARN6_DHCP:-50}
OUT="$BUILD/bench-results.txt"
PATH=$PATH:/usr/sbin:/sbin

PFX="vg6$$x$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')"
HOST="${PFX}h"
VM1="${PFX}a"
VM2="${PFX}b"
GW="${PFX}g"
VM1_MAC=52:54:00:aa:06:01
VM2_MAC=52:54:00:aa:06:02
GW_MAC=52:54:00:aa:06:fe
VM2_LL=fe80::5054:ff:feaa:602
GW_LL=fe80::5054:ff:feaa:6fe
TMPD=""
DAEMON_PID=""

cleanup() {
	bench_ns_del "$VM1" "$VM2" "$GW" "$HOST"
	[ -n "$TMPD" ] && rm -rf "$TMPD"
}

bench_require "it creates network namespaces and nftables rules in them" "$CTL" "$DAEMON" -- \
	python3 nft dnsmasq dhclient stdbuf

TMPD=$(mktemp -d)
trap cleanup EXIT
trap 'exit 130' INT TERM
SOCK="$TMPD/control.sock"
cp "$CTL" "$DAEMON" "$TMPD/" || exit 1
CTL="$TMPD/vifguardctl"
DAEMON="$TMPD/vifguardd"
: >"$TMPD/empty.conf"

# ---------------------------------------------------------------- topology
add_vm() { # add_vm NS PORT MAC SYSCTL...: IPv6 on, with eth0's sysctls set before it is up
	ns=$1 port=$2 hw=$3
	shift 3
	ip netns add "$ns" || return 1
	ip -n "$HOST" link add "$port" type veth peer name eth0 netns "$ns" || return 1
	ip -n "$ns" link set eth0 address "$hw"
	in_ns "$ns" sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.eth0.accept_ra=0
	for s; do in_ns "$ns" sysctl -qw "net.ipv6.conf.eth0.$s" || return 1; done
	ip -n "$ns" link set lo up
	ip -n "$ns" link set eth0 up
	ip -n "$HOST" link set "$port" master br0
	ip -n "$HOST" link set "$port" up
}

topo_up() {
	ip netns add "$HOST" || return 1
	in_ns "$HOST" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$HOST" link set lo up
	ip -n "$HOST" link add br0 type bridge stp_state 0 forward_delay 0 || return 1
	ip -n "$HOST" link set br0 up
	add_vm "$VM1" vnet1 "$VM1_MAC" addr_gen_mode=1 router_solicitation_delay=0 || return 1
	add_vm "$VM2" vnet2 "$VM2_MAC" || return 1
	add_vm "$GW" vnet9 "$GW_MAC" || return 1
	ip -n "$GW" addr add 2001:db8:62::fe/64 dev eth0 nodad
	ip -n "$VM2" neigh replace "$GW_LL" lladdr "$GW_MAC" dev eth0 nud permanent
	ip -n "$GW" neigh replace "$VM2_LL" lladdr "$VM2_MAC" dev eth0 nud permanent
}

{
	echo "vifguardd IPv6 learning benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
	echo "kernel $(uname -r), $(nproc) CPUs, $(nft --version 2>/dev/null), $(dhclient --version 2>&1), $(dnsmasq --version | head -n 1 | cut -d' ' -f1-3), load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$TMPD/header"
cat "$TMPD/header" >&2

topo_up || { log "cannot build the topology"; exit 1; }
bench_daemon_start "${BENCH_LEARN6_LOG_LEVEL:-info}" || exit 1
sleep 2 # the link-local addresses' DAD is over before anything is bound
in_ns "$GW" dnsmasq --no-daemon --conf-file=/dev/null --interface=eth0 --bind-interfaces --port=0 \
	--dhcp-range=2001:db8:62::1000,2001:db8:62::1fff,64,600 --leasefile-ro \
	>"$TMPD/dnsmasq.log" 2>&1 &

# ---------------------------------------------------------------- the helper
cat >"$TMPD/learn6-bench.py" <<'PY'
#!/usr/bin/env python3
"""Runs inside a VM's namespace: makes the VM teach (DAD or dhclient -6), captures
its eth0, reads the daemon's watch stream and nft monitor of the host namespace
through pipes; every timestamp is time.monotonic()."""
import argparse
import ipaddress
import json
import os
import queue
import re
import socket
import struct
import subprocess
import sys
import threading
import time


def nearest_rank(values, p):
    v = sorted(values)
    k = max(1, -(-p * len(v) // 100))
    return v[k - 1]


def summary(path):
    rows = [line.rstrip("\n").split("\t") for line in open(path) if line.strip()]

    def line(label, col, mode):
        sel = [r for r in rows if r[0] == mode]
        vals = [float(r[col - 1]) for r in sel if len(r) >= col and r[col - 1] != "-"]
        n = "%d/%d" % (len(vals), len(sel))
        if not vals:
            return "   %-52s %8s %8s %8s %8s %8s" % (label, "-", "-", "-", "-", n)
        return "   %-52s %8.2f %8.2f %8.2f %8.2f %8s" % (
            label, nearest_rank(vals, 50), nearest_rank(vals, 99), max(vals), min(vals), n)

    print("\n".join([
        "== IPv6 learning latency, ms; p50, p99 = nearest rank (with n < 100, p99 is the max);",
        "   one warm-up round per mode is not counted",
        "   capture -> committed = the \"learned\" event's latency_us: the kernel's NFLOG timestamp",
        "     of the frame that taught the address -> the full rules' transaction committed",
        "   DAD NS / REPLY at eth0 -> event / -> rules: one python clock in the VM's namespace, from",
        "     the frame's kernel stamp on the VM's eth0 to the \"learned\" event read from",
        "     `vifguardctl watch --json` / the address read from `nft monitor` (host ns)",
        "   %-52s %8s %8s %8s %8s %8s" % ("", "p50", "p99", "max", "min", "n"),
        line("dad (any mode), NS: capture -> committed", 5, "dad"),
        line("dad, NS at the VM's eth0 -> event", 3, "dad"),
        line("dad, NS at the VM's eth0 -> rules", 4, "dad"),
        line("dad, `ip addr add` -> NS at the VM's eth0", 7, "dad"),
        line("dhcpv6 (dhcp mode), REPLY: capture -> committed", 5, "dhcpv6"),
        line("dhcpv6, REPLY at the VM's eth0 -> event", 3, "dhcpv6"),
        line("dhcpv6, REPLY at the VM's eth0 -> rules", 4, "dhcpv6"),
        line("dhcpv6, dhclient start -> event", 7, "dhcpv6"),
        line("binding create (vifguardctl, whole process), dad", 6, "dad"),
    ]))


if len(sys.argv) == 3 and sys.argv[1] == "--summary":
    summary(sys.argv[2])
    sys.exit(0)

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
p = argparse.ArgumentParser()
p.add_argument("--host-ns", required=True)
p.add_argument("--ctl", required=True)
p.add_argument("--socket", required=True)
p.add_argument("--mode", choices=["dad", "dhcpv6"], required=True)
p.add_argument("--port", required=True)
p.add_argument("--mac", required=True)
p.add_argument("--rounds", type=int, required=True)
p.add_argument("--tmp", required=True)
p.add_argument("--timeout", type=float, default=6.0)
a = p.parse_args()
events = queue.Queue()


def reader(name, pipe):
    for line in iter(pipe.readline, b""):
        events.put((time.monotonic(), name, line.decode(errors="replace").rstrip("\n")))
    events.put((time.monotonic(), name + "-eof", ""))


def host(*cmd):
    return ["ip", "netns", "exec", a.host_ns, *cmd]


def ctl(*args):
    t = time.monotonic()
    r = subprocess.run(host(a.ctl, "--socket", a.socket, *args), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("vifguardctl %s: %s" % (" ".join(args), r.stderr.strip()))
    return (time.monotonic() - t) * 1000


def capture(sock):
    """DAD NS sent and DHCPv6 REPLYs received on eth0: (t, "cap", (kind, addr));
    t is the kernel's receive stamp moved to the monotonic clock."""
    while True:
        data, anc, _, addr = sock.recvmsg(65535, 256)
        t = time.monotonic()
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(cdata) >= 16:
                sec, nsec = struct.unpack("qq", cdata[:16])
                t = sec + nsec / 1e9 - (time.time() - time.monotonic())
        if data[12:14] != b"\x86\xdd" or len(data) < 62:
            continue
        nxt, src, l4 = data[20], data[22:38], data[54:]
        out = addr[2] == socket.PACKET_OUTGOING
        if nxt == 0 and len(data) > 62:  # hop-by-hop (MLD): skip
            continue
        if out and nxt == 58 and l4[0] == 135 and src == bytes(16) and len(l4) >= 24:
            events.put((t, "cap", ("ns", str(ipaddress.IPv6Address(l4[8:24])))))
        elif nxt == 17 and len(l4) >= 12 and l4[0:4] == b"\x02\x23\x02\x22" and l4[8] == 7:
            events.put((t, "cap", ("reply" if not out else "reply-out", None)))
        elif out and nxt == 17 and len(l4) >= 12 and l4[0:4] == b"\x02\x22\x02\x23" and l4[8] == 1:
            events.put((t, "cap", ("solicit", None)))


ADDR_RE = re.compile(r"[0-9a-fA-F]{0,4}(?::[0-9a-fA-F]{0,4}){2,7}")


def has_addr(line, want):
    for m in ADDR_RE.findall(line):
        try:
            if ipaddress.IPv6Address(m) == want:
                return True
        except ValueError:
            pass
    return False


def learned(line):
    try:
        ev = json.loads(line)
    except ValueError:
        return None
    if isinstance(ev, dict) and ev.get("type") == "learned" and ev.get("port") == a.port:
        return ev
    return None


watch = subprocess.Popen(host(a.ctl, "--socket", a.socket, "watch", "--json"),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
mon = subprocess.Popen(host("stdbuf", "-oL", "nft", "monitor", "new"),
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
for name, proc in (("watch", watch), ("nft", mon)):
    threading.Thread(target=reader, args=(name, proc.stdout), daemon=True).start()
rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
rx.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
rx.bind(("eth0", 0))
threading.Thread(target=capture, args=(rx,), daemon=True).start()
time.sleep(0.5)


def drain():
    while True:
        try:
            events.get_nowait()
        except queue.Empty:
            return


def collect(deadline, got, want_addr, nft_lines):
    """Consumes events until the event and the rules of the address were seen."""
    while time.monotonic() < deadline:
        try:
            t, src, payload = events.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            break
        if src.endswith("-eof"):
            sys.exit("the %s stream ended" % src[:-4])
        if src == "cap":
            kind, addr = payload
            if kind == "ns" and want_addr is not None and \
                    ipaddress.IPv6Address(addr) == want_addr and "frame" not in got:
                got["frame"] = t
            elif kind == "reply" and "frame" not in got:
                got["frame"] = t
        elif src == "watch":
            ev = learned(payload)
            if ev and "ev" not in got:
                got["ev"] = t
                got["lat"] = ev.get("latency_us")
                got["from"] = ev.get("latency_from")
                got["addr"] = ipaddress.IPv6Address(ev["address"])
                for tl, line in nft_lines:
                    if has_addr(line, got["addr"]) and "nft" not in got:
                        got["nft"] = tl
        elif src == "nft":
            if "addr" in got:
                if "nft" not in got and has_addr(payload, got["addr"]):
                    got["nft"] = t
            else:
                nft_lines.append((t, payload))
        if all(k in got for k in ("frame", "ev", "nft")):
            break


def fmt(v):
    return "-" if v is None else "%.3f" % v


def ms(got, k, base):
    return (got[k] - base) * 1000 if k in got and base is not None else None


def dad_round(r):
    ip = ipaddress.IPv6Address("2001:db8:61::%x" % (0x100 + r))
    bind_ms = ctl("binding", "create", "--port", a.port, "--mac", a.mac, "--filter",
                  "no-ipv6-spoofing")
    time.sleep(0.2)
    drain()
    t0 = time.monotonic()
    subprocess.run(["ip", "addr", "add", "%s/64" % ip, "dev", "eth0"], check=True)
    got = {}
    collect(t0 + a.timeout, got, ip, [])
    ctl("binding", "delete", a.port)
    subprocess.run(["ip", "addr", "del", "%s/64" % ip, "dev", "eth0"], check=True)
    if got.get("addr") not in (None, ip):
        print("# dad round %d: learned %s, not %s" % (r, got.get("addr"), ip), file=sys.stderr)
    lat = got["lat"] / 1000.0 if isinstance(got.get("lat"), int) else None
    time.sleep(0.05)
    return (ms(got, "ev", got.get("frame")), ms(got, "nft", got.get("frame")), lat, bind_ms,
            ms(got, "frame", t0), got.get("from"))


def dhcpv6_round(r):
    bind_ms = ctl("binding", "create", "--port", a.port, "--mac", a.mac, "--filter",
                  "no-ipv6-spoofing", "--param", "CTRL_IP_LEARNING=dhcp")
    time.sleep(0.2)
    drain()
    lease = os.path.join(a.tmp, "dh6-%d.leases" % r)
    t0 = time.monotonic()
    client = subprocess.Popen(["dhclient", "-6", "-1", "-d", "-lf", lease, "-pf", lease + ".pid",
                               "-sf", "/bin/true", "eth0"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    got = {}
    collect(t0 + a.timeout, got, None, [])
    client.kill()
    client.wait()
    ctl("binding", "delete", a.port)
    lat = got["lat"] / 1000.0 if isinstance(got.get("lat"), int) else None
    time.sleep(0.05)
    return (ms(got, "ev", got.get("frame")), ms(got, "nft", got.get("frame")), lat, bind_ms,
            ms(got, "ev", t0), got.get("from"))


for r in range(0, a.rounds + 1):  # round 0: warm-up
    ev, nft, lat, bind_ms, extra, frm = (dad_round if a.mode == "dad" else dhcpv6_round)(r)
    print("# %s round %d: frame->event %s, frame->rules %s, latency_us %s ms (%s), bind %.1f, "
          "%s %s ms%s" % (a.mode, r, fmt(ev), fmt(nft), fmt(lat), frm, bind_ms,
                          "add->NS" if a.mode == "dad" else "start->event", fmt(extra),
                          " warm-up" if r == 0 else ""), file=sys.stderr, flush=True)
    if r == 0 and ev is None:
        sys.exit("%s: the warm-up round learned nothing" % a.mode)
    if r:
        print("\t".join([a.mode, str(r), fmt(ev), fmt(nft), fmt(lat), "%.1f" % bind_ms,
                         fmt(extra)]), flush=True)
watch.terminate()
mon.terminate()
PY

# ---------------------------------------------------------------- run
FAILED=0
t0=$(date +%s)
log "topology $HOST/$VM1/$VM2/$GW; $N_DAD DAD rounds, $N_DHCP DHCPv6 rounds (+1 warm-up each)"
if [ "$N_DAD" -gt 0 ] && ! in_ns "$VM1" python3 "$TMPD/learn6-bench.py" --host-ns "$HOST" \
	--ctl "$CTL" --socket "$SOCK" --mode dad --port vnet1 --mac "$VM1_MAC" --rounds "$N_DAD" \
	--tmp "$TMPD" >>"$TMPD/rows"; then
	log "the DAD rounds failed"
	FAILED=1
fi
if [ "$N_DHCP" -gt 0 ] && ! in_ns "$VM2" python3 "$TMPD/learn6-bench.py" --host-ns "$HOST" \
	--ctl "$CTL" --socket "$SOCK" --mode dhcpv6 --port vnet2 --mac "$VM2_MAC" --rounds "$N_DHCP" \
	--tmp "$TMPD" >>"$TMPD/rows"; then
	log "the DHCPv6 rounds failed"
	FAILED=1
fi
log "rounds done in $(( $(date +%s) - t0 )) s"
kill -0 "$DAEMON_PID" 2>/dev/null || { log "vifguardd exited during the run:"; tail -n 20 "$TMPD/daemon.log" >&2; exit 1; }

{
	cat "$TMPD/header"
	python3 "$TMPD/learn6-bench.py" --summary "$TMPD/rows" || echo "   (no summary)"
	echo "   every round: $BUILD/bench-learn6-rows.tsv"
	echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$TMPD/results"
echo
echo "================================================================ IPv6 learning results"
cat "$TMPD/results"
{
	echo
	cat "$TMPD/results"
} >>"$OUT"
echo "(appended to $OUT)"
cp "$TMPD/rows" "$BUILD/bench-learn6-rows.tsv"
missing=$(awk -F '\t' '$3 == "-" || $4 == "-" || $5 == "-"' "$TMPD/rows" | wc -l)
if [ "$missing" != 0 ]; then
	log "$missing rounds did not learn within the timeout"
	grep -v 'control: ' "$TMPD/daemon.log" | tail -n 30 >&2
	FAILED=1
fi
[ "$FAILED" = 0 ]
