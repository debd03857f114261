#!/usr/bin/env python3
"""Sends raw bytes to a vifguardd control socket and prints what comes back,
for the malformed-request tests.

  ctlraw.py SOCKET send HEXBYTES|@FILE|=TEXT [--close-early]
  ctlraw.py SOCKET big N          (N bytes of 'a' without a newline, then a newline)
Prints each reply line; exit 0 when the connection ended cleanly.
"""
import socket
import sys


def main():
    path, mode, arg = sys.argv[1], sys.argv[2], sys.argv[3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    if mode == "big":
        n = int(arg)
        chunk = b"a" * 65536
        sent = 0
        try:
            while sent < n:
                s.sendall(chunk)
                sent += len(chunk)
            s.sendall(b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
    else:
        if arg.startswith("="):
            data = arg[1:].encode().decode("unicode_escape").encode("latin-1")
        elif arg.startswith("@"):
            data = open(arg[1:], "rb").read()
        else:
            data = bytes.fromhex(arg)
        s.sendall(data)
        if "--close-early" in sys.argv:
            s.close()
            return
        s.shutdown(socket.SHUT_WR)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except (socket.timeout, ConnectionResetError):
        pass
    sys.stdout.write(out.decode("utf-8", "replace"))


if __name__ == "__main__":
    main()
