#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the drop-log seeds of the learn fuzz corpus (tests/fuzz/corpus/learn/droplog-*):
NFLOG records as the drop chains log them ("vgd REASON o|i"), built like
tests/lib/learn-frames.c's fx_nflog_build, so that the fuzzer starts from
prefixes that decode. Run from the top of the tree; the files are committed."""
import os
import struct

OUT = "tests/fuzz/corpus/learn"
VM = bytes.fromhex("525400123456")
OTHER = bytes.fromhex("525400666666")


def tlv(t, v):
    b = struct.pack("=HH", 4 + len(v), t) + v
    return b + b"\0" * ((4 - len(b) % 4) % 4)


def record(prefix, payload, hw_protocol, family=7, hook=3, physindev=7, physoutdev=0, outdev=0,
           mac=VM):
    b = bytes([family, 0, 0x0E, 0x7F])  # resource id 3711
    b += tlv(1, struct.pack(">HBB", hw_protocol, hook, 0))
    if prefix is not None:
        b += tlv(10, prefix.encode() + b"\0")
    if physindev:
        b += tlv(4, struct.pack(">I", 3)) + tlv(6, struct.pack(">I", physindev))
    if physoutdev:
        b += tlv(5, struct.pack(">I", 3)) + tlv(7, struct.pack(">I", physoutdev))
    if outdev:  # a netdev hook names the port alone
        b += tlv(5, struct.pack(">I", outdev))
    if mac:
        b += tlv(8, struct.pack(">HH", 6, 0) + mac + b"\0\0")
    b += tlv(3, struct.pack(">QQ", 1700000000, 123456))
    return b + tlv(9, payload)


def ipv4(src, dst, proto, l4):
    total = 20 + len(l4)
    hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, total, 1, 0x4000, 64, proto, 0,
                      bytes(src), bytes(dst))
    return hdr + l4


arp_spoof = struct.pack(">HHBBH", 1, 0x0800, 6, 4, 2) + OTHER + bytes([10, 0, 0, 66]) + \
    VM + bytes([10, 0, 0, 1])
udp = struct.pack(">HHHH", 40000, 53, 12, 0) + b"abcd"
icmp6_ns = bytes([135, 0, 0, 0, 0, 0, 0, 0]) + bytes.fromhex("fe80000000000000505400fffe123456")
ipv6 = struct.pack(">IHBB", 0x60000000, len(icmp6_ns), 58, 255) + bytes(16) + \
    bytes.fromhex("ff0200000000000000000001ff123456") + icmp6_ns

seeds = {
    "droplog-arp-spoofing-o": record("vgd arp-spoofing o", arp_spoof, 0x0806, mac=OTHER),
    "droplog-source-ip-udp-o": record("vgd source-ip o", ipv4([10, 9, 9, 9], [10, 0, 0, 1], 17, udp),
                                      0x0800),
    "droplog-filter-i": record("vgd filter i", ipv4([10, 0, 0, 1], [10, 0, 0, 5], 1, bytes(8)),
                               0x0800, physindev=0, physoutdev=9),
    "droplog-ndp-spoofing-o": record("vgd ndp-spoofing o", ipv6, 0x86DD),
    "droplog-other-ethertype-o": record("vgd other-ethertype o", b"\x01\x02" * 23, 0x88B5),
    "droplog-malformed-ipv4": record("vgd source-ip o", b"\x55" + bytes(19), 0x0800),
    "droplog-netdev-egress": record("vgd source-mac o", b"\xff" * 6 + OTHER + b"\x08\x06" +
                                    arp_spoof, 0x0806, family=5, hook=1, physindev=0, outdev=4,
                                    mac=None),
    "droplog-unknown-reason": record("vgd nosuch o", arp_spoof, 0x0806),
}
for name, data in seeds.items():
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)
