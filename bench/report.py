#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's report: results.tsv (PART ROW COLUMN VALUE records written
by bench.sh and the drivers) -> the table on stdout, results.json and a
PNG plot (gnuplot) in the output directory.

usage: report.py RESULTS.tsv OUTDIR
"""
import json
import os
import shutil
import subprocess
import sys

PKT_ROWS = [
    ("xdp_pass", "XDP_PASS program"),
    ("floor", "XDP floor (MAC rewrite + redirect)"),
    ("est_orig", "established TCP, client->backend, 1 flow"),
    ("est_reply", "established TCP, backend->client, 1 flow"),
    ("est_orig_1k", "established, client->backend, 1k flows"),
    ("est_reply_1k", "established, backend->client, 1k flows"),
    ("est_orig_1m", "established, client->backend, 1M flows"),
    ("est_reply_1m", "established, backend->client, 1M flows"),
    ("syn", "SYN, new flow (table with room)"),
    ("syn_full_table", "SYN, new flow (default table, LRU full)"),
    ("udp", "UDP, established, 1 flow"),
    ("no_match", "matches nothing (TCP to a port without service)"),
    ("partial_csum", "established TCP, partial L4 checksum"),
]
PATHS = [("route", "plain routing"), ("nft", "nftables DNAT+SNAT"),
         ("floor", "XDP floor"), ("zlb", "zon-lb")]


def load(path):
    data = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t", 3)
            if len(parts) != 4:
                continue
            part, row, col, val = parts
            try:
                val = float(val) if "." in val or "e" in val else int(val)
            except ValueError:
                pass
            data.setdefault(part, {}).setdefault(row, {})[col] = val
    return data


def get(data, part, row, col):
    v = data.get(part, {}).get(row, {}).get(col)
    return v if isinstance(v, (int, float)) else None


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def fmt(v, spec="{:.0f}", none="n/a"):
    return none if v is None else spec.format(v)


def fx(v):
    return fmt(v, "{:.2f}x")


def table(rows, header):
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                               for i, (c, w) in enumerate(zip(r, widths)))
    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in rows]
    return "\n".join(out)


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = load(sys.argv[1])
    outdir = sys.argv[2]
    meta = data.get("meta", {}).get("run", {})
    pm = data.get("pkt", {}).get("meta", {})
    out = []
    targets = []

    def target(name, value, op, limit):
        met = None if value is None else (value <= limit if op == "<=" else value >= limit)
        targets.append({"name": name, "value": value, "target": "%s %g" % (op, limit), "met": met})

    # --- per packet ---
    if "pkt" in data:
        floor = get(data, "pkt", "floor", "ns")
        xpass = get(data, "pkt", "xdp_pass", "ns")
        rows = []
        for key, label in PKT_ROWS:
            ns = get(data, "pkt", key, "ns")
            if ns is None and key not in data["pkt"]:
                continue
            check = data["pkt"].get(key, {}).get("check", "")
            note = data["pkt"].get(key, {}).get("note", "")
            rows.append((label, fmt(ns, "{:.1f}"), fx(ratio(ns, floor)), fx(ratio(ns, xpass)),
                         fmt(get(data, "pkt", key, "restore_ns"), "{:.1f}", "-"),
                         (check if check == "ok" else "FAIL: " + str(check))
                         + ("; " + note if note else "")))
        out.append("1. Per-packet cost: BPF_PROG_TEST_RUN, %s passes per run, median of %s runs. "
                   "zon-lb rows: the restore wrapper's run with zon-lb, minus its run with XDP_PASS "
                   "(wrapper+PASS), plus XDP_PASS's own: what zon-lb alone costs"
                   % (pm.get("repeat", "?"), pm.get("runs", "?")))
        out.append(table(rows, ("case", "ns", "x floor", "x PASS", "wrapper+PASS ns", "check")))
        est = get(data, "pkt", "est_orig", "ns")
        est_r = get(data, "pkt", "est_reply", "ns")
        target("established/floor, client->backend", ratio(est, floor), "<=", 2)
        target("established/floor, backend->client", ratio(est_r, floor), "<=", 2)
        target("SYN/established", ratio(get(data, "pkt", "syn", "ns"), est), "<=", 3)
        target("1M flows/1k flows, client->backend",
               ratio(get(data, "pkt", "est_orig_1m", "ns"), get(data, "pkt", "est_orig_1k", "ns")), "<=", 1.5)
        target("1M flows/1k flows, backend->client",
               ratio(get(data, "pkt", "est_reply_1m", "ns"), get(data, "pkt", "est_reply_1k", "ns")), "<=", 1.5)
        out.append("")

    # --- forwarding and TCP ---
    if "fwd" in data or "tcp" in data:
        fl = get(data, "fwd", "floor", "live_pps")
        fs = get(data, "fwd", "floor", "sendmmsg_pps")
        ft = get(data, "tcp", "floor", "gbps")
        rows = []
        for key, label in PATHS:
            live = get(data, "fwd", key, "live_pps")
            smm = get(data, "fwd", key, "sendmmsg_pps")
            gb = get(data, "tcp", key, "gbps")
            rows.append((label,
                         fmt(live and live / 1e6, "{:.3f}"), fx(ratio(live, fl)),
                         fmt(smm and smm / 1e3, "{:.0f}"), fx(ratio(smm, fs)),
                         fmt(gb, "{:.2f}"), fx(ratio(gb, ft))))
        ceil = get(data, "fwd", "gen_ceiling", "live_pps")
        rows.append(("live generator -> XDP_DROP (its ceiling)", fmt(ceil and ceil / 1e6, "{:.3f}"),
                     "", "", "", "", ""))
        out.append("2./3. Forwarding on the reference topology: 64-byte UDP, one flow, counted at the "
                   "server; TCP bulk, iperf3; %ss per run, median of %s runs"
                   % (meta.get("seconds", "?"), meta.get("runs", "?")))
        out.append(table(rows, ("path", "live Mpps", "x floor", "sendmmsg kpps", "x floor",
                                "TCP Gbit/s", "x floor")))
        zl = get(data, "fwd", "zlb", "live_pps")
        target("zon-lb/floor, live frames", ratio(zl, fl), ">=", 0.8)
        target("zon-lb/nftables, live frames", ratio(zl, get(data, "fwd", "nft", "live_pps")), ">=", 1.9)
        target("zon-lb/floor, sendmmsg", ratio(get(data, "fwd", "zlb", "sendmmsg_pps"), fs), ">=", 0.9)
        target("zon-lb/floor, TCP bulk", ratio(get(data, "tcp", "zlb", "gbps"), ft), ">=", 0.9)
        gap = ratio(get(data, "tcp", "zlb", "gbps"), get(data, "tcp", "nft", "gbps"))
        out.append("TCP bulk, zon-lb/nftables: %s (reported, no target)" % fx(gap))
        for part in ("fwd", "tcp"):
            for key, _ in PATHS:
                n = data.get(part, {}).get(key, {}).get("note")
                if n:
                    out.append("%s %s: %s" % (part, key, n))
        out.append("")

    # --- control plane ---
    if "ctl" in data:
        load_ = data["ctl"].get("load", {})
        ct = data["ctl"].get("ct_list", {})
        rows = [("zlb-load, %s services x %s backends, table_size %s, first load"
                 % (load_.get("services"), load_.get("backends"), load_.get("table_size")),
                 fmt(get(data, "ctl", "load", "first_s"), "{:.3f}"), "< 1", load_.get("note", "")),
                ("zlb-load, the same config again (reload)",
                 fmt(get(data, "ctl", "load", "reload_s"), "{:.3f}"), "< 1", ""),
                ("zlb-ct list, %s flows (%s lines out)" % (ct.get("flows", "1000000"), ct.get("lines", "-")),
                 fmt(get(data, "ctl", "ct_list", "s"), "{:.3f}"), "< 3", ct.get("note", ""))]
        out.append("4. Control plane (seconds)")
        out.append(table(rows, ("what", "s", "target", "note")))
        target("zlb-load 1000x32, s", get(data, "ctl", "load", "first_s"), "<=", 1)
        target("zlb-ct list 1M flows, s", get(data, "ctl", "ct_list", "s"), "<=", 3)
        out.append("")

    rows = [(t["name"], fmt(t["value"], "{:.3f}"), t["target"],
             {True: "met", False: "NOT met", None: "n/a"}[t["met"]]) for t in targets]
    out.append("Targets")
    out.append(table(rows, ("figure", "value", "target", "")))
    out.append("")
    out.append("kernel %s, %s CPUs, %s; whole run %ss" % (meta.get("kernel"), meta.get("cpus"),
                                                          meta.get("date"), meta.get("elapsed_s", "?")))

    result = dict(data)
    result["targets"] = targets
    jpath = os.path.join(outdir, "results.json")
    with open(jpath, "w") as f:
        json.dump(result, f, indent=2, sort_keys=True)
    png = plot(data, outdir)
    out.append("JSON: %s" % jpath)
    out.append("plot: %s" % (png or "n/a (gnuplot not installed or failed)"))
    print("\n".join(out))


def plot(data, outdir):
    if not shutil.which("gnuplot"):
        return None
    panels = []
    pkt = [(key, get(data, "pkt", key, "ns")) for key, _ in PKT_ROWS]
    pkt = [(k, v) for k, v in pkt if v is not None]
    if pkt:
        path = os.path.join(outdir, "pkt.dat")
        with open(path, "w") as f:
            f.writelines('"%s" %s\n' % kv for kv in pkt)
        panels.append("set title 'per-packet cost (BPF_PROG_TEST_RUN)'\n"
                      "set ylabel 'ns per packet (log scale)'\nset logscale y\nset yrange [1:*]\n"
                      "plot '%s' using 2:xtic(1) notitle\n"
                      "unset logscale y\nset yrange [0:*]\n" % path)
    rows = []
    for key, label in PATHS:
        v = [get(data, "fwd", key, "live_pps"), get(data, "fwd", key, "sendmmsg_pps"),
             get(data, "tcp", key, "gbps")]
        if any(x is not None for x in v):
            rows.append('"%s" %s\n' % (label, " ".join(
                "NaN" if x is None else str(x / s) for x, s in zip(v, (1e6, 1e5, 1)))))
    if rows:
        path = os.path.join(outdir, "fwd.dat")
        with open(path, "w") as f:
            f.writelines(rows)
        panels.append("set title 'reference topology: 64-byte UDP forwarding and TCP bulk'\n"
                      "set ylabel 'rate'\n"
                      "plot '%s' using 2:xtic(1) title 'live frames, Mpps', "
                      "'' using 3 title 'sendmmsg, 100 kpps', '' using 4 title 'TCP bulk, Gbit/s'\n"
                      % path)
    if not panels:
        return None
    png = os.path.join(outdir, "bench.png")
    script = ("set terminal pngcairo size 1200,%d noenhanced\n" % (450 * len(panels))
              + "set output '%s'\n" % png
              + "set multiplot layout %d,1 title 'zon-lb make bench (ratios: see the table)'\n"
              % len(panels)
              + "set style data histograms\nset style fill solid 0.8 border -1\n"
              + "set boxwidth 0.8\nset grid ytics\nset xtics rotate by -30\nset key top left\n"
              + "set yrange [0:*]\nset offsets 0, 0, graph 0.1, 0\n"
              + "".join(panels) + "unset multiplot\n")
    gp = os.path.join(outdir, "bench.gp")
    with open(gp, "w") as f:
        f.write(script)
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write("report.py: gnuplot: %s\n" % r.stderr.strip())
        return None
    return png


if __name__ == "__main__":
    main()
