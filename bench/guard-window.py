#!/usr/bin/env python3
"""How long a port that joins a guarded bridge passes frames before the guard
drops them: the window between the join and the daemon's rule.

  send IFACE SECONDS SMAC:  Ethernet frames to the broadcast MAC, one every
                            100 us, each carrying its CLOCK_MONOTONIC send time
  recv IFACE SECONDS SMAC:  prints the send times (ns) of the frames from SMAC
                            it saw, one per line
  join NS PORT:             prints CLOCK_MONOTONIC (ns) just before
                            `ip -n NS link set PORT master br0 up`, then runs it

CLOCK_MONOTONIC is one clock for every network namespace of the host.
"""
import socket
import struct
import subprocess
import sys
import time

ETHERTYPE = 0x88B5  # local experimental: nothing else on the bridge sends it


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def send(iface, seconds, smac):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    head = b"\xff" * 6 + mac(smac) + struct.pack("!H", ETHERTYPE)
    end = time.monotonic_ns() + int(float(seconds) * 1e9)
    while (now := time.monotonic_ns()) < end:
        try:
            s.send(head + struct.pack("!Q", now) + b"\0" * 38)
        except OSError:
            pass  # not up yet
        time.sleep(0.0001)


def recv(iface, seconds, smac):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETHERTYPE))
    s.bind((iface, 0))
    s.settimeout(0.05)
    src = mac(smac)
    print("ready", file=sys.stderr, flush=True)
    end = time.monotonic() + float(seconds)
    while time.monotonic() < end:
        try:
            frame = s.recv(2048)
        except socket.timeout:
            continue
        if frame[6:12] == src and len(frame) >= 22:
            print(struct.unpack("!Q", frame[14:22])[0], flush=True)


def join(ns, port):
    print(time.monotonic_ns(), flush=True)
    subprocess.run(["ip", "-n", ns, "link", "set", port, "master", "br0", "up"], check=True)


if __name__ == "__main__":
    {"send": send, "recv": recv, "join": join}[sys.argv[1]](*sys.argv[2:])
