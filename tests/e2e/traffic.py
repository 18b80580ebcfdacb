#!/usr/bin/env python3
"""Long-running traffic through the load balancer, with its accounts.

  traffic.py serve STOP OUT [UDP_ADDR ...]
      In the server's namespace: a TCP echo server on every address, port
      223 ("echo:" + each line), and a UDP echo server on UDP_ADDR:5300 for
      each UDP_ADDR. Runs until the file STOP exists (at most 300 s), then
      writes OUT (JSON): "tcp" lines per connection ("PEER>LOCAL_ADDR"),
      "tcp_errors", "udp" the datagram numbers each UDP_ADDR got,
      "udp_peers" the peers they came from.

  traffic.py streams STOP DIR SERVICE NSTREAMS [UDP_SERVICE]
      In the client's namespace: NSTREAMS TCP connections to SERVICE
      (ADDR:PORT), each sending a line, waiting for its echo, checking it,
      and sending the next 20 ms later; with UDP_SERVICE, one UDP socket
      sending datagram N every 10 ms (a late turn is skipped, never made
      up in a burst). Writes DIR/ready (the streams' local ports) once
      every stream had an answer, DIR/progress.json every 0.2 s, and when
      STOP exists (at most 300 s) stops sending, waits up to 3 s for
      answers in flight and writes DIR/clients.json.
"""
import json
import os
import select
import socket
import sys
import time

DEADLINE = 300


def serve(stop, out, udp_addrs):
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("0.0.0.0", 223))
    lst.listen(16)
    udp = {}
    for a in udp_addrs:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind((a, 5300))
        udp[u] = a
    conns, tcp, errors = {}, {}, {}
    got, peers = {a: [] for a in udp_addrs}, set()
    end = time.time() + DEADLINE
    while not os.path.exists(stop) and time.time() < end:
        r, _, _ = select.select([lst] + list(udp) + list(conns), [], [], 0.1)
        for s in r:
            if s is lst:
                c, peer = lst.accept()
                key = "%s:%d>%s" % (peer[0], peer[1], c.getsockname()[0])
                conns[c] = [key, b""]
                tcp[key] = 0
            elif s in udp:
                data, peer = s.recvfrom(2048)
                got[udp[s]].append(int(data.split()[1]))
                peers.add("%s:%d" % peer)
                s.sendto(b"echo:" + data, peer)
            else:
                key, buf = conns[s]
                try:
                    data = s.recv(65536)
                except OSError as e:
                    errors[key] = repr(e)
                    data = b""
                if not data:
                    del conns[s]
                    continue
                buf += data
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    s.sendall(b"echo:" + line + b"\n")
                    tcp[key] += 1
                conns[s][1] = buf
    json.dump({"tcp": tcp, "tcp_errors": errors, "udp": got,
               "udp_peers": sorted(peers)}, open(out, "w"))


def addr(s):
    a, p = s.rsplit(":", 1)
    return (a, int(p))


def streams(stop, dir, service, n, udp_service):
    svc = addr(service)
    st = []
    for _ in range(n):
        s = socket.create_connection(svc, timeout=5)
        s.setblocking(False)
        st.append({"sock": s, "port": s.getsockname()[1], "sent": 0, "echoed": 0,
                   "bad": 0, "error": None, "buf": b"", "wait": None, "next": 0.0,
                   "last": None, "max_gap": 0.0})
    udp = addr(udp_service) if udp_service else None
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.setblocking(False)
    usent, uechoed, ubad = 0, set(), []
    unext = time.time()
    ready, stopping, last_progress = False, None, 0.0

    def account(name):
        d = {"streams": [{k: v for k, v in x.items() if k in
                          ("port", "sent", "echoed", "bad", "error", "max_gap")}
                         for x in st],
             "udp": {"sent": usent, "echoed": len(uechoed), "bad_sources": ubad[:10],
                     "missing": sorted(set(range(usent)) - uechoed)[:50],
                     "port": u.getsockname()[1]}}
        tmp = os.path.join(dir, name + ".tmp")
        json.dump(d, open(tmp, "w"))
        os.rename(tmp, os.path.join(dir, name))

    end = time.time() + DEADLINE
    while time.time() < end:
        now = time.time()
        if stopping is None and os.path.exists(stop):
            stopping = now
        if stopping is not None:
            idle = all(x["wait"] is None or x["error"] for x in st)
            if (idle and len(uechoed) == usent) or now - stopping > 3:
                break
        for x in st:
            if stopping is None and not x["error"] and x["wait"] is None and now >= x["next"]:
                line = b"stream %d line %d %s" % (x["port"], x["sent"], b"x" * 40)
                try:
                    x["sock"].sendall(line + b"\n")
                    x["sent"] += 1
                    x["wait"] = b"echo:" + line
                except OSError as e:
                    x["error"] = repr(e)
        if udp and stopping is None and now >= unext:
            u.sendto(b"seq %d" % usent, udp)
            usent += 1
            unext = max(unext + 0.01, now - 0.02)
        socks = [x["sock"] for x in st if not x["error"]] + [u]
        r, _, _ = select.select(socks, [], [], 0.005)
        for s in r:
            if s is u:
                while True:
                    try:
                        data, peer = u.recvfrom(2048)
                    except BlockingIOError:
                        break
                    if peer != udp:
                        ubad.append("%s:%d" % peer)
                    uechoed.add(int(data.split()[1]))
                continue
            x = [y for y in st if y["sock"] is s][0]
            try:
                data = s.recv(65536)
            except OSError as e:
                x["error"] = repr(e)
                continue
            if not data:
                x["error"] = "EOF"
                continue
            x["buf"] += data
            *lines, x["buf"] = x["buf"].split(b"\n")
            for line in lines:
                if line != x["wait"]:
                    x["bad"] += 1
                    continue
                t = time.time()
                if x["last"] is not None:
                    x["max_gap"] = max(x["max_gap"], round(t - x["last"], 3))
                x["last"] = t
                x["echoed"] += 1
                x["wait"] = None
                x["next"] = t + 0.02
        if not ready and all(x["echoed"] for x in st):
            with open(os.path.join(dir, "ready"), "w") as f:
                f.write(" ".join(str(x["port"]) for x in st) + "\n")
            ready = True
        if now - last_progress > 0.2:
            account("progress.json")
            last_progress = now
    account("clients.json")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) in (6, 7) and sys.argv[1] == "streams":
        streams(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
                sys.argv[6] if len(sys.argv) == 7 else None)
    else:
        sys.exit(__doc__)
