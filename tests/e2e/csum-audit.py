#!/usr/bin/env python3
"""Audit the TCP checksums of the segments a namespace receives.

  csum-audit.py IFACE SRC DST PORT OUT

In the receiver's namespace (ip netns exec): captures on IFACE every
incoming IPv4 TCP segment from SRC to DST with PORT as its source or
destination port, until SIGTERM and 0.2 s without one (at most 120 s),
then writes OUT (JSON):

  segments   segments captured
  gso        of them, IP packets longer than IFACE's MTU (GSO skbs)
  max_len    the longest IP packet
  partial    segments with a partial checksum (the kernel's CHECKSUM_PARTIAL,
             TP_STATUS_CSUMNOTREADY): the checksum field must hold the
             pseudo-header sum of the segment's own addresses and length
  complete   the others: the checksum must verify over the whole segment
  unchecked  complete ones captured short, not verified
  bad        how many were wrong; bad_examples describes the first 10

Writes OUT.ready once it captures.

Why: the receiving kernel trusts a partial checksum without looking at it,
so its InCsumErrors cannot see a pseudo-header sum that a translation left
stale; here every segment is checked.
"""
import array
import json
import signal
import socket
import struct
import sys
import time

SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_OUTGOING = 4
TP_STATUS_CSUMNOTREADY = 1 << 3
ETH_P_IP = 0x0800
DEADLINE = 120


def ones_sum(data):
    """One's complement sum of DATA as 16-bit words in native order."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    s = sum(array.array("H", bytes(data)))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def audit(ifname, src, dst, port, out):
    mtu = int(open("/sys/class/net/%s/mtu" % ifname).read())
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    sock.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    sock.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
    sock.bind((ifname, ETH_P_IP))
    sock.settimeout(0.2)
    want = (socket.inet_aton(src), socket.inet_aton(dst))
    r = {"segments": 0, "gso": 0, "max_len": 0, "partial": 0, "complete": 0,
         "unchecked": 0, "bad": 0, "bad_examples": []}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    open(out + ".ready", "w").close()
    end = time.time() + DEADLINE
    while time.time() < end:
        try:
            frame, anc, _, addr = sock.recvmsg(1 << 18, 64)
        except socket.timeout:
            if stop:  # told to stop, and what was queued is read
                break
            continue
        if addr[2] == PACKET_OUTGOING or len(frame) < 14 + 20 + 20:
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        tot_len = struct.unpack("!H", ip[2:4])[0]
        if ip[9] != socket.IPPROTO_TCP or (ip[12:16], ip[16:20]) != want:
            continue
        if port not in struct.unpack("!HH", ip[ihl:ihl + 4]):
            continue
        status = 0
        for level, kind, data in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA:
                status = struct.unpack("I", data[:4])[0]
        r["segments"] += 1
        r["max_len"] = max(r["max_len"], tot_len)
        if tot_len > mtu:
            r["gso"] += 1
        l4_len = tot_len - ihl
        pseudo = ip[12:20] + struct.pack("!BBH", 0, socket.IPPROTO_TCP, l4_len)
        field = ip[ihl + 16:ihl + 18]
        if status & TP_STATUS_CSUMNOTREADY:
            r["partial"] += 1
            ok = ones_sum(pseudo) % 0xFFFF == ones_sum(field) % 0xFFFF
            kind = "partial"
        elif len(ip) < tot_len:
            r["complete"] += 1
            r["unchecked"] += 1
            continue
        else:
            r["complete"] += 1
            ok = ones_sum(pseudo + ip[ihl:tot_len]) == 0xFFFF
            kind = "complete"
        if not ok:
            r["bad"] += 1
            if len(r["bad_examples"]) < 10:
                r["bad_examples"].append("%s checksum %s, length %d, seq %d" % (
                    kind, field.hex(), tot_len,
                    struct.unpack("!I", ip[ihl + 4:ihl + 8])[0]))
    with open(out, "w") as f:
        json.dump(r, f)


if __name__ == "__main__":
    audit(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])
