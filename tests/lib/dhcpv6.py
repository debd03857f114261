#!/usr/bin/env python3
"""DHCPv6 by hand, for the integration tests (no scapy needed).

  dhcpv6.py sniff IFACE SECONDS
      waits for the first DHCPv6 client message (UDP 546 -> 547) IFACE sends
      and prints "TYPE XID CLIENT_ID" (xid and client identifier in hex);
      prints "ready" on stderr once listening; exits 1 if none came in time.
  dhcpv6.py reply IFACE --smac MAC --dmac MAC --sip6 ADDR --dip6 ADDR
            --xid HEX --client-id HEX --addr ADDR [--valid S] [--count N]
      sends a REPLY (RFC 8415: client and server identifiers, one IA_NA with
      one IAADDR) from IFACE through a raw socket, with a correct UDP checksum.
"""
import argparse
import ipaddress
import select
import socket
import struct
import sys
import time

from frames import checksum, mac  # frames.py beside this file

ETH_P_ALL = 0x0003


def option(code, body):
    return struct.pack("!HH", code, len(body)) + body


def options(data):
    """(code, body) of the top-level options of a DHCPv6 message's option part."""
    i = 0
    while i + 4 <= len(data):
        code, length = struct.unpack("!HH", data[i:i + 4])
        yield code, data[i + 4:i + 4 + length]
        i += 4 + length


def cmd_sniff(a):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((a.iface, 0))
    print("ready", file=sys.stderr, flush=True)
    end = time.monotonic() + a.seconds
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], 0.1)
        if not r:
            continue
        data, addr = s.recvfrom(65535)
        if addr[2] != socket.PACKET_OUTGOING or data[12:14] != b"\x86\xdd" or len(data) < 62:
            continue
        if data[14 + 6] != 17:  # no extension headers from a DHCPv6 client
            continue
        sport, dport = struct.unpack("!HH", data[54:58])
        if (sport, dport) != (546, 547):
            continue
        msg = data[62:]
        client_id = b""
        for code, body in options(msg[4:]):
            if code == 1:
                client_id = body
        print(msg[0], msg[1:4].hex(), client_id.hex())
        return 0
    return 1


def cmd_reply(a):
    server_id = struct.pack("!HH", 3, 1) + mac(a.smac)  # DUID-LL of the sender's MAC
    iaaddr = option(5, ipaddress.IPv6Address(a.addr).packed + struct.pack("!II", a.valid, a.valid))
    ia_na = option(3, struct.pack("!III", a.iaid, a.valid // 2, a.valid * 4 // 5) + iaaddr)
    msg = bytes([7]) + bytes.fromhex(a.xid.zfill(6)) + option(1, bytes.fromhex(a.client_id)) + \
        option(2, server_id) + ia_na
    src = ipaddress.IPv6Address(a.sip6).packed
    dst = ipaddress.IPv6Address(a.dip6).packed
    length = 8 + len(msg)
    pseudo = src + dst + struct.pack("!IxxxB", length, 17)
    udp = struct.pack("!HHHH", 547, 546, length, 0) + msg
    csum = checksum(pseudo + udp) or 0xFFFF
    udp = udp[:6] + struct.pack("!H", csum) + udp[8:]
    ip = struct.pack("!IHBB16s16s", 6 << 28, length, 17, 255, src, dst)
    frame = mac(a.dmac) + mac(a.smac) + b"\x86\xdd" + ip + udp
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((a.iface, 0))
    for _ in range(a.count):
        s.send(frame)
        time.sleep(0.001)
    return 0


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("sniff")
    s.add_argument("iface")
    s.add_argument("seconds", type=float)
    r = sub.add_parser("reply")
    r.add_argument("iface")
    r.add_argument("--smac", required=True)
    r.add_argument("--dmac", required=True)
    r.add_argument("--sip6", required=True)
    r.add_argument("--dip6", required=True)
    r.add_argument("--xid", required=True, help="3 bytes, hex")
    r.add_argument("--client-id", required=True, help="the client's DUID, hex")
    r.add_argument("--addr", required=True)
    r.add_argument("--valid", type=int, default=600)
    r.add_argument("--iaid", type=int, default=1)
    r.add_argument("--count", type=int, default=1)
    a = p.parse_args()
    return cmd_sniff(a) if a.cmd == "sniff" else cmd_reply(a)


if __name__ == "__main__":
    sys.exit(main())
