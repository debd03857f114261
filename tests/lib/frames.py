#!/usr/bin/env python3
"""Sends hand-made Ethernet frames and counts the ones that arrive, for the
integration tests. Every frame carries a tag in its payload so a receiver
counts only the frames of one test step.

  frames.py send IFACE KIND --tag TAG [--count N] [field options]
  frames.py count IFACE SECONDS --tag TAG     (prints the number of frames seen,
                                  after SECONDS or on SIGUSR1)
  frames.py send ... --pps N --seconds S     sends the frame at N frames/s for S seconds
                                  instead of --count times (a bounded flood; prints how many)

IFACE is an interface name, or tap:PATH for the character device of a
macvtap (/dev/tapN), which is the VM's side of it: frames written there leave
through the macvtap, frames for the VM are read there (each with the 10-byte
virtio-net header a macvtap queue uses by default).

KIND: arp, rarp, ipv4 (UDP inside), ipv6 (UDP inside), icmpv6, raw
(--ethertype), dhcp.
--proto sets the IPv4 protocol / IPv6 next header (default 17, UDP); the
payload stays a UDP-shaped header plus the tag whatever the number says.
icmpv6 sends an ICMPv6 message of --icmp6-type (135 NS, 136 NA, 134 RA, 137
redirect, ...) with a valid checksum: the 4-byte header, 4 bytes of flags (NA:
override), then --target (the NS/NA/redirect target) if given, then the tag.
--hbh puts an IPv6 hop-by-hop options header (PadN only) in front of the
upper-layer header, as a guard that looks at the next header field alone
would miss.
"""
import argparse
import ipaddress
import os
import select
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
VNET_HDR = b"\0" * 10  # struct virtio_net_hdr: no offloads


def mac(text):
    return bytes(int(x, 16) for x in text.split(":"))


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def ipv4(src, dst, proto, payload):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                      ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", checksum(hdr)) + hdr[12:]
    return hdr + payload


def ipv6(src, dst, nxt, payload, hbh=False):
    if hbh:
        # next header, length 0 (8 bytes), PadN of 4 bytes
        payload = struct.pack("!BBBB4s", nxt, 0, 1, 4, b"") + payload
        nxt = 0
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nxt, 255,
                       ipaddress.IPv6Address(src).packed,
                       ipaddress.IPv6Address(dst).packed) + payload


def icmpv6(src, dst, typ, target, tag):
    """An ICMPv6 message (RFC 4443, RFC 4861) with its checksum."""
    flags = 0x20000000 if typ == 136 else 0  # NA: override
    body = struct.pack("!I", flags)
    if target:
        body += ipaddress.IPv6Address(target).packed
    body += tag
    msg = struct.pack("!BBH", typ, 0, 0) + body
    pseudo = (ipaddress.IPv6Address(src).packed + ipaddress.IPv6Address(dst).packed +
              struct.pack("!I3xB", len(msg), 58))
    return msg[:2] + struct.pack("!H", checksum(pseudo + msg)) + msg[4:]


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, mac(sha),
                       ipaddress.IPv4Address(spa).packed, mac(tha),
                       ipaddress.IPv4Address(tpa).packed)


def dhcp(a):
    """A BOOTP/DHCP message (RFC 2131/2132) with the options the tests need."""
    op = 1 if a.dhcp_type in (1, 3, 4, 7, 8) else 2
    chaddr = mac(a.chaddr or a.smac) + b"\0" * 10
    fixed = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", op, 1, 6, 0, a.xid, 0, 0x8000,
                        ipaddress.IPv4Address(a.ciaddr).packed,
                        ipaddress.IPv4Address(a.yiaddr).packed,
                        b"\0" * 4, b"\0" * 4, chaddr, b"", b"")
    opts = bytes([99, 130, 83, 99, 53, 1, a.dhcp_type])
    if a.server_id:
        opts += bytes([54, 4]) + ipaddress.IPv4Address(a.server_id).packed
    if a.requested:
        opts += bytes([50, 4]) + ipaddress.IPv4Address(a.requested).packed
    if a.lease is not None:
        opts += bytes([51, 4]) + struct.pack("!I", a.lease)
    return fixed + opts + bytes([255]) + a.tag.encode()


def build(a):
    tag = a.tag.encode()
    if a.kind in ("arp", "rarp"):
        body = arp(a.op, a.arp_smac or a.smac, a.sip, a.arp_dmac, a.dip) + tag
        etype = 0x0806 if a.kind == "arp" else 0x8035
    elif a.kind == "ipv4":
        body = ipv4(a.sip, a.dip, a.proto, udp(a.sport, a.dport, tag))
        etype = 0x0800
    elif a.kind == "dhcp":
        sport, dport = (68, 67) if a.dhcp_type in (1, 3, 4, 7, 8) else (67, 68)
        body = ipv4(a.sip, a.dip, 17, udp(sport, dport, dhcp(a)))
        etype = 0x0800
    elif a.kind == "ipv6":
        body = ipv6(a.sip6, a.dip6, a.proto, udp(a.sport, a.dport, tag), a.hbh)
        etype = 0x86DD
    elif a.kind == "icmpv6":
        body = ipv6(a.sip6, a.dip6, 58, icmpv6(a.sip6, a.dip6, a.icmp6_type, a.target, tag),
                    a.hbh)
        etype = 0x86DD
    else:
        body = tag
        etype = int(a.ethertype, 0)
    frame = mac(a.dmac) + mac(a.smac) + struct.pack("!H", etype) + body
    return frame + b"\0" * max(0, 60 - len(frame))


def tap_path(iface):
    return iface[4:] if iface.startswith("tap:") else None


def cmd_send(a):
    frame = build(a)
    path = tap_path(a.iface)
    if path:
        fd = os.open(path, os.O_RDWR)
        send = lambda: os.write(fd, VNET_HDR + frame)
    else:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((a.iface, 0))
        send = lambda: s.send(frame)
    if a.pps:
        # bursts every 10 ms keep the rate without a timer per frame; bounded in time
        sent, start = 0, time.monotonic()
        while time.monotonic() - start < a.seconds:
            due = int((time.monotonic() - start) * a.pps) + 1
            while sent < due:
                send()
                sent += 1
            time.sleep(0.01)
        print(sent)
        return
    for _ in range(a.count):
        send()
        time.sleep(0.001)


def tap_receiver(path):
    fd = os.open(path, os.O_RDWR | os.O_NONBLOCK)

    def recv():
        return os.read(fd, 65535), True  # only frames for the VM arrive here
    return fd, recv


def socket_receiver(iface):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    s.setblocking(False)

    def recv():
        data, addr = s.recvfrom(65535)
        return data, addr[2] != socket.PACKET_OUTGOING
    return s, recv


def cmd_count(a):
    """Counts tagged frames until SECONDS pass or SIGUSR1 arrives; on SIGUSR1
    the frames already queued on the socket are drained first, so a sender
    that finished before the signal is counted whatever the machine's load."""
    path = tap_path(a.iface)
    s, recv = tap_receiver(path) if path else socket_receiver(a.iface)
    tag = a.tag.encode()
    stop = []
    signal.signal(signal.SIGUSR1, lambda *_: stop.append(1))
    seen = 0
    print("ready", file=sys.stderr, flush=True)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        try:
            data, is_incoming = recv()
        except BlockingIOError:
            if stop:
                break
            select.select([s], [], [], 0.05)
            continue
        except InterruptedError:
            continue
        if is_incoming and tag in data:
            seen += 1
    print(seen)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("iface")
    s.add_argument("kind", choices=["arp", "rarp", "ipv4", "ipv6", "icmpv6", "raw", "dhcp"])
    s.add_argument("--tag", required=True)
    s.add_argument("--count", type=int, default=1)
    s.add_argument("--pps", type=int, default=0)
    s.add_argument("--seconds", type=float, default=1.0)
    s.add_argument("--smac", required=True)
    s.add_argument("--dmac", default="ff:ff:ff:ff:ff:ff")
    s.add_argument("--sip", default="0.0.0.0")
    s.add_argument("--dip", default="0.0.0.0")
    s.add_argument("--sip6", default="fe80::1")
    s.add_argument("--dip6", default="ff02::1")
    s.add_argument("--sport", type=int, default=40000)
    s.add_argument("--dport", type=int, default=40000)
    s.add_argument("--proto", type=int, default=17)
    s.add_argument("--icmp6-type", type=int, default=136)
    s.add_argument("--target", help="NS/NA/redirect target address")
    s.add_argument("--hbh", action="store_true", help="a hop-by-hop header first")
    s.add_argument("--op", type=int, default=1)
    s.add_argument("--arp-smac")
    s.add_argument("--arp-dmac", default="00:00:00:00:00:00")
    s.add_argument("--ethertype", default="0x88b5")
    s.add_argument("--dhcp-type", type=int, default=1, help="1 DISCOVER, 3 REQUEST, 5 ACK, 7 RELEASE")
    s.add_argument("--xid", type=lambda x: int(x, 0), default=0x1234)
    s.add_argument("--chaddr")
    s.add_argument("--ciaddr", default="0.0.0.0")
    s.add_argument("--yiaddr", default="0.0.0.0")
    s.add_argument("--server-id")
    s.add_argument("--requested")
    s.add_argument("--lease", type=int)
    c = sub.add_parser("count")
    c.add_argument("iface")
    c.add_argument("seconds", type=float)
    c.add_argument("--tag", required=True)
    a = p.parse_args()
    cmd_send(a) if a.cmd == "send" else cmd_count(a)


if __name__ == "__main__":
    main()
