#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""daemon-bench: what a binding costs through vifguardd, seen from a client.

  daemon-bench.py --socket S [--count N] [--first K] [--filter F] [--via socket|cli]
                  [--ctl PATH] [--name-format FMT] [--mac-prefix XX:XX:XX] [--learn]
                  [create|delete|both]
  daemon-bench.py --socket S [--count N] [--via socket|cli] status
  daemon-bench.py --socket S ready [--since-ns T | --since-file F] [--timeout SEC]

create/delete/both: binds ports vnetK (K = first .. first+N-1) to the filter
with MAC 52:54:00:KK:KK:KK and IP=10.K.K.K (K's bytes), one request at a time
(the next request is sent only once the previous reply is in, as a client
would), then deletes them in the same order. --via socket: one connection,
JSON lines written directly; --via cli: one `vifguardctl --socket S binding
create|delete ...` process per binding (whole process, fork to exit).
--name-format (default vnet%d) names port K; --mac-prefix P gives it the MAC
P:KK:KK:KK instead; --learn binds without IP, so that the daemon learns it
(any mode), and then K may be 0.
Each phase prints one line:

  create via=socket n=1000 ok=1000 total_ms=... median_ms=... p90_ms=... max_ms=...
         last_ms=... first10_median_ms=... last10_median_ms=...

last_ms is the Nth binding alone (the one created with N-1 already bound,
or the last deleted); first10/last10_median_ms: the median of the first and
of the last tenth, so that a cost growing with the number bound shows.
Per-binding figures are wall-clock milliseconds.
Exit status 1 when any request failed (the first errors go to stderr).

status: N status requests, timed the same way: the floor of either path
(for --via cli, mostly starting a vifguardctl process).

ready: polls the socket every 2 ms with a status request until the daemon
answers ok; prints "ready_ms=..." counted from --since-ns (a CLOCK_REALTIME
time_ns() taken by the caller just before starting the daemon; default: this
program's start), "bindings=..." and "pid=..." from the status reply. With --since-file
it prints "polling" first: start it before the daemon, then write the start
time (date +%s%N) to the file, and its own start-up is not counted.

Python 3 standard library only.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time


def port_facts(k, args=None):
    b = k.to_bytes(3, "big")
    name = (args.name_format if args else "vnet%d") % k
    prefix = args.mac_prefix if args else "52:54:00"
    return (name, prefix + ":%02x:%02x:%02x" % tuple(b), "10.%d.%d.%d" % tuple(b))


class Conn:
    """One control connection: a request line out, its reply line in."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def call(self, verb, args=None):
        rid = self.next_id
        self.next_id += 1
        req = {"version": 1, "id": rid, "verb": verb}
        if args is not None:
            req["args"] = args
        self.sock.sendall(json.dumps(req, separators=(",", ":")).encode() + b"\n")
        while True:
            nl = self.buf.find(b"\n")
            if nl >= 0:
                line, self.buf = self.buf[:nl], self.buf[nl + 1:]
                msg = json.loads(line)
                # items and events are not replies; a request we send gets exactly one reply
                if "ok" in msg and msg.get("id") == rid:
                    return msg
                continue
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("daemon closed the connection")
            self.buf += chunk

    def close(self):
        self.sock.close()


def summary(phase, via, times, n_ok):
    ms = [t * 1000.0 for t in times]
    if not ms:
        return "%s via=%s n=0 ok=0" % (phase, via)
    srt = sorted(ms)
    p90 = srt[min(len(srt) - 1, int(round(0.9 * (len(srt) - 1))))]
    tenth = max(1, len(ms) // 10)
    return ("%s via=%s n=%d ok=%d total_ms=%.1f median_ms=%.3f p90_ms=%.3f max_ms=%.3f "
            "last_ms=%.3f first10_median_ms=%.3f last10_median_ms=%.3f"
            % (phase, via, len(ms), n_ok, sum(ms), statistics.median(ms), p90, srt[-1], ms[-1],
               statistics.median(ms[:tenth]), statistics.median(ms[-tenth:])))


def run_phase(phase, ports, args):
    times = []
    n_ok = 0
    errors = 0
    conn = Conn(args.socket) if args.via == "socket" else None
    for k in ports:
        port, mac, ip = port_facts(k, args)
        if args.via == "socket":
            if phase == "create":
                req = ("binding.create", {"port": port, "mac": mac, "filter": args.filter})
                if not args.learn:
                    req[1]["params"] = {"IP": [ip]}
            else:
                req = ("binding.delete", {"port": port})
            t0 = time.perf_counter()
            reply = conn.call(*req)
            times.append(time.perf_counter() - t0)
            good = reply.get("ok") is True
            why = "%s: %s" % (reply.get("error"), reply.get("message"))
        else:
            cmd = [args.ctl, "--socket", args.socket, "binding", phase]
            if phase == "create":
                cmd += ["--port", port, "--mac", mac, "--filter", args.filter]
                if not args.learn:
                    cmd += ["--param", "IP=" + ip]
            else:
                cmd += [port]
            t0 = time.perf_counter()
            try:
                res = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                good = res.returncode == 0
                why = res.stderr.decode(errors="replace").strip()
            except OSError as e:
                good = False
                why = str(e)
            times.append(time.perf_counter() - t0)
        if good:
            n_ok += 1
        else:
            errors += 1
            if errors <= 5:
                print("daemon-bench: %s %s failed: %s" % (phase, port, why), file=sys.stderr)
    if conn:
        conn.close()
    print(summary(phase, args.via, times, n_ok), flush=True)
    return errors == 0


def status_floor(args):
    """N status requests: the cost of a request that does nothing, through either path."""
    times = []
    n_ok = 0
    conn = Conn(args.socket) if args.via == "socket" else None
    for _ in range(args.count):
        t0 = time.perf_counter()
        if conn:
            good = conn.call("status").get("ok") is True
        else:
            good = subprocess.run([args.ctl, "--socket", args.socket, "status"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                                  ).returncode == 0
        times.append(time.perf_counter() - t0)
        n_ok += good
    if conn:
        conn.close()
    print(summary("status", args.via, times, n_ok), flush=True)
    return n_ok == args.count


def read_since(path):
    """The caller's start time, written to path once it has started the daemon."""
    for _ in range(5000):
        try:
            with open(path) as f:
                text = f.read().strip()
            if text:
                return int(text)
        except (OSError, ValueError):
            pass
        time.sleep(0.001)
    raise SystemExit("daemon-bench: nothing in %s" % path)


def ready(args):
    since = args.since_ns if args.since_ns is not None else time.time_ns()
    if args.since_file:
        # started before the daemon, so this program's own start-up is not counted
        print("polling", flush=True)
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        try:
            conn = Conn(args.socket)
            reply = conn.call("status")
            conn.close()
        except (OSError, ValueError):
            time.sleep(0.002)
            continue
        if reply.get("ok") is True:
            now = time.time_ns()
            if args.since_file:
                since = read_since(args.since_file)
            data = reply.get("data") or {}
            print("ready_ms=%.1f bindings=%s pid=%s" % ((now - since) / 1e6,
                                                        data.get("bindings", "?"),
                                                        data.get("pid", "?")), flush=True)
            return True
        time.sleep(0.002)
    print("daemon-bench: no status reply within %g s" % args.timeout, file=sys.stderr)
    return False


def main():
    ap = argparse.ArgumentParser(description="vifguardd binding create/delete timing",
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    ap.add_argument("--socket", required=True, help="vifguardd's control socket")
    ap.add_argument("--count", "-n", type=int, default=1000)
    ap.add_argument("--first", type=int, default=1, help="first port number (vnetFIRST)")
    ap.add_argument("--filter", default="clean-traffic")
    ap.add_argument("--via", choices=("socket", "cli"), default="socket")
    ap.add_argument("--ctl", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "..", "build", "vifguardctl"),
                    help="vifguardctl for --via cli")
    ap.add_argument("--name-format", default="vnet%d", help="port K's name (default vnet%%d)")
    ap.add_argument("--mac-prefix", default="52:54:00", help="port K's MAC: PREFIX:KK:KK:KK")
    ap.add_argument("--learn", action="store_true",
                    help="create: no IP, the daemon learns it (any mode)")
    ap.add_argument("--since-ns", type=int, help="ready: CLOCK_REALTIME ns to count from")
    ap.add_argument("--since-file", help="ready: print 'polling' at once, then poll; count from "
                    "the CLOCK_REALTIME ns the caller writes to this file")
    ap.add_argument("--timeout", type=float, default=120.0, help="ready: give up after SEC")
    ap.add_argument("action", nargs="?", default="both",
                    choices=("create", "delete", "both", "status", "ready"))
    args = ap.parse_args()
    if args.action == "ready":
        return 0 if ready(args) else 1
    if args.action == "status":
        return 0 if status_floor(args) else 1
    if not (0 if args.learn else 1) <= args.first or not 0 < args.count or args.first + args.count > 1 << 24:
        ap.error("ports must lie in 1 .. 2^24-1")
    ports = range(args.first, args.first + args.count)
    good = True
    if args.action in ("create", "both"):
        good = run_phase("create", ports, args) and good
    if args.action in ("delete", "both"):
        good = run_phase("delete", ports, args) and good
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main())
