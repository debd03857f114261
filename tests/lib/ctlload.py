#!/usr/bin/env python3
"""Loads a vifguardd control socket the way a careless or hostile client
would, for test-control.sh. Each mode prints key=value words on one line.

  ctlload.py SOCKET pipeline N [--shutdown] [--delay S]
      N status requests (ids 1..N) in one write; with --shutdown the write
      side is shut down right after. Reads meanwhile (after S seconds
      with --delay), until EOF, or (without --shutdown) until N replies
      came, 30 s at most.
      -> replies=R in_order=yes|no all_ok=yes|no eof=yes|no
  ctlload.py SOCKET bigline BYTES [GOOD]
      GOOD status requests (ids 1..GOOD), then one line of BYTES bytes ('a'
      and a newline), written as fast as the daemon takes them.
      -> good_replies=G error=NAME closed=yes|no message="TEXT" (last: TEXT has spaces)
  ctlload.py SOCKET stall PID SECONDS
      Client A writes status requests and never reads, until the daemon has
      not taken a byte for SECONDS (or 64 MiB went in). Then, with A still
      connected, client B asks for status.
      -> sent=BYTES a_blocked=yes|no b_ms=MS b_ok=yes|no rss_kb=KB hwm_kb=KB
  ctlload.py SOCKET halfline
      Client A writes half a request and stops; client B asks for status.
      -> b_ms=MS b_ok=yes|no
  ctlload.py SOCKET clients N
      Opens N connections, each answered once (status), and keeps them;
      then one more asks for status: answered within 1 s or not? Then one
      of the N closes: is the waiting one answered now?
      -> opened=N extra_before=yes|no extra_after=yes|no
"""
import json
import os
import select
import socket
import sys
import threading
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(path)
    return s


def request(i):
    return b'{"version":1,"id":%d,"verb":"status"}\n' % i


def read_lines(s, want=None, timeout=10.0):
    """Lines until EOF (or want lines, or the timeout); returns (lines, eof)."""
    buf = b""
    lines = []
    eof = False
    deadline = time.monotonic() + timeout
    while want is None or len(lines) < want:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            d = s.recv(65536)
        except socket.timeout:
            break
        except ConnectionResetError:
            eof = True
            break
        if not d:
            eof = True
            break
        buf += d
        *done, buf = buf.split(b"\n")
        lines += done
    return lines, eof


def yn(b):
    return "yes" if b else "no"


def status_pid_rss(pid):
    rss = hwm = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    return rss, hwm


def ask_status(path, timeout):
    """(answered ok?, milliseconds) for one status request on a new connection."""
    t0 = time.monotonic()
    s = connect(path)
    s.sendall(request(7))
    lines, _ = read_lines(s, want=1, timeout=timeout)
    s.close()
    ms = int((time.monotonic() - t0) * 1000)
    ok = len(lines) == 1 and json.loads(lines[0]).get("ok") is True
    return ok, ms


def pipeline(path, n, shutdown, delay):
    s = connect(path)

    def write():
        s.sendall(b"".join(request(i) for i in range(1, n + 1)))
        if shutdown:
            s.shutdown(socket.SHUT_WR)

    # Written from a thread: with many requests, the daemon stops reading
    # them until we read its replies.
    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(delay)
    lines, eof = read_lines(s, want=None if shutdown else n, timeout=30)
    writer.join()
    replies = [json.loads(line) for line in lines]
    ids = [r.get("id") for r in replies]
    print("replies=%d in_order=%s all_ok=%s eof=%s" % (
        len(replies), yn(ids == list(range(1, len(ids) + 1))),
        yn(all(r.get("ok") is True for r in replies)), yn(eof)))


def bigline(path, size, good):
    s = connect(path)
    data = b"".join(request(i) for i in range(1, good + 1)) + b"a" * size + b"\n"
    try:
        s.sendall(data)
    except (BrokenPipeError, ConnectionResetError):
        pass  # the daemon stopped reading at its limit and closed
    lines, eof = read_lines(s)
    replies = [json.loads(line) for line in lines]
    good_replies = sum(1 for r in replies if r.get("ok") is True)
    err = [r for r in replies if r.get("ok") is False]
    print("good_replies=%d error=%s closed=%s message=%s" % (
        good_replies, err[0]["error"] if err else "none", yn(eof),
        json.dumps(err[0]["message"] if err else "")))


def stall(path, pid, seconds):
    a = connect(path)
    a.setblocking(False)
    chunk = b"".join(request(i) for i in range(1, 1001))
    sent = 0
    last_progress = time.monotonic()
    blocked = False
    pending = memoryview(chunk)
    while sent < (64 << 20):
        try:
            n = a.send(pending)
        except BlockingIOError:
            if time.monotonic() - last_progress >= seconds:
                blocked = True
                break
            select.select([], [a], [], 0.1)
            continue
        except (BrokenPipeError, ConnectionResetError):
            break  # the daemon gave up on us
        sent += n
        last_progress = time.monotonic()
        pending = pending[n:] if n < len(pending) else memoryview(chunk)
    b_ok, b_ms = ask_status(path, 5)
    rss, hwm = status_pid_rss(pid)
    print("sent=%d a_blocked=%s b_ms=%d b_ok=%s rss_kb=%d hwm_kb=%d" % (
        sent, yn(blocked), b_ms, yn(b_ok), rss, hwm))
    a.close()


def halfline(path):
    a = connect(path)
    a.sendall(b'{"version":1,"id":1,"verb":"sta')
    b_ok, b_ms = ask_status(path, 5)
    print("b_ms=%d b_ok=%s" % (b_ms, yn(b_ok)))
    a.close()


def clients(path, n):
    held = []
    for _ in range(n):
        s = connect(path)
        s.sendall(request(1))
        lines, _ = read_lines(s, want=1, timeout=5)
        if len(lines) != 1:
            break
        held.append(s)
    opened = len(held)
    extra = connect(path)  # waits in the listen backlog when the daemon is full
    extra.sendall(request(2))
    before, _ = read_lines(extra, want=1, timeout=1)
    held.pop().close()
    after, _ = read_lines(extra, want=1, timeout=3) if not before else ([], False)
    print("opened=%d extra_before=%s extra_after=%s" % (opened, yn(before), yn(after)))
    for s in held:
        s.close()
    extra.close()


def main():
    path, mode = sys.argv[1], sys.argv[2]
    if mode == "pipeline":
        delay = float(sys.argv[sys.argv.index("--delay") + 1]) if "--delay" in sys.argv else 0
        pipeline(path, int(sys.argv[3]), "--shutdown" in sys.argv, delay)
    elif mode == "bigline":
        bigline(path, int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 0)
    elif mode == "stall":
        stall(path, int(sys.argv[3]), float(sys.argv[4]))
    elif mode == "halfline":
        halfline(path)
    elif mode == "clients":
        clients(path, int(sys.argv[3]))
    else:
        sys.exit("unknown mode " + mode)


if __name__ == "__main__":
    main()
