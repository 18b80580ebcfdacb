#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench's report: results.tsv (PART ROW COLUMN VALUE records written
by bench.sh and the drivers) -> the table on stdout, results.json and a
PNG plot (gnuplot) in the output directory.

usage: report.py RESULTS.tsv OUTDIR
"""
import json
import statistics
import os
import shutil
import subprocess
import sys

# Per-packet rows: (XDP row, tc row, label). The yardsticks first.
PKT_YARDS = [
    ("xdp_pass", "tc_pass", "PASS program (XDP_PASS | TC_ACT_OK)"),
    ("floor", "floor_tc_peer", "floor (XDP: devmap | tc: redirect_peer)"),
    (None, "floor_tc", "tc floor with bpf_redirect"),
    ("nat_floor", None, "NAT floor: XDP floor + tuple, TTL, checksums"),
]
PKT_ROWS = [
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
# The kernel's table alone (bench/table.bpf.c), XDP runs only: (XDP row,
# tc row, label).
TABLE_YARDS = [
    ("table_lookup_1k", None, "kernel LRU hash alone: lookup, 1k flows"),
    ("table_lookup_1m", None, "kernel LRU hash alone: lookup, 1M flows"),
    ("table_open", None, "kernel LRU hash alone: miss + 2 inserts (room)"),
    ("table_open_full", None, "kernel LRU hash alone: miss + 2 inserts (LRU full)"),
]
# (key, label, its floor): the kernel's paths are set against the XDP floor,
# as zon-lb's XDP figures are; the tc paths against the redirect_peer floor,
# the one that forwards as zon-lb's tc mode does on this topology.
PATHS = [("route", "plain routing", "floor"), ("nft", "nftables DNAT+SNAT", "floor"),
         ("floor", "XDP floor", "floor"), ("zlb", "zon-lb, XDP", "floor"),
         ("floor_tc", "tc floor, bpf_redirect", "floor_tc_peer"),
         ("floor_tc_peer", "tc floor, bpf_redirect_peer", "floor_tc_peer"),
         ("zlb_tc", "zon-lb, tc mode", "floor_tc_peer"),
         ("zlb_alt", "zon-lb, XDP, other build", "floor"),
         ("zlb_tc_alt", "zon-lb, tc mode, other build", "floor_tc_peer")]
# Another build's paths (ZLB_BENCH_ALT_OBJ, ZLB_BENCH_ALT_TC_OBJ) and the
# path of this build each is set against, round by round.
ALT_PATHS = [("zlb_alt", "zlb"), ("zlb_tc_alt", "zlb_tc")]
TC_PATHS = ("floor_tc", "floor_tc_peer", "zlb_tc")
# Forwarding figures: (part, column, label).
FIGURES = [("fwd", "live_pps", "live frames"), ("fwd", "sendmmsg_pps", "sendmmsg"),
           ("tcp", "gbps", "TCP bulk")]


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


def unreached(data):
    """A live-frames figure is a forwarding rate only when the generator's
    frames reached the load balancer: where most did not (veth0 took them
    in as XDP frames, whatever runs there), say so instead of a rate."""
    for key, rec in data.get("fwd", {}).items():
        share = rec.get("live_xdp_share")
        if isinstance(share, (int, float)) and share < 0.5 and "live_pps" in rec:
            rec["live_pps"] = "n/a"
            rec["note"] = ("live frames: n/a, only %.1f%% of the generator's frames reached veth0"
                           % (100 * share))


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    data = load(sys.argv[1])
    unreached(data)
    outdir = sys.argv[2]
    meta = data.get("meta", {}).get("run", {})
    pm = data.get("pkt", {}).get("meta", {})
    out = []
    targets = []

    def target(name, value, op, limit, least=None):
        """@least: the least value the kernel's table allows (TABLE_YARDS)."""
        met = None if value is None else (value <= limit if op == "<=" else value >= limit)
        targets.append({"name": name, "value": value, "target": "%s %g" % (op, limit), "met": met,
                        "least": least})

    # --- per packet ---
    # Each build present gets its columns: (part, index in the row keys,
    # name, its floor, its PASS program).
    hooks = [h for h in (("pkt", 0, "XDP", "floor", "xdp_pass"),
                         ("pkt_tc", 1, "tc", "floor_tc_peer", "tc_pass")) if h[0] in data]
    if hooks:
        both = len(hooks) == 2
        rows, notes = [], []
        for keys in PKT_YARDS + [(k, k, l) for k, l in PKT_ROWS] + TABLE_YARDS:
            label = keys[2]
            if not any(keys[i] in data[part] for part, i, _, _, _ in hooks if keys[i]):
                continue
            row = [label]
            failed, said = False, []
            for part, i, name, fl, ps in hooks:
                k = keys[i]
                ns = get(data, part, k, "ns") if k else None
                row += [fmt(ns, "{:.1f}", "-"), fx(ratio(ns, get(data, part, fl, "ns"))),
                        fx(ratio(ns, get(data, part, ps, "ns"))),
                        fmt(get(data, part, k, "restore_ns") if k else None, "{:.1f}", "-")]
                rec = data[part].get(k, {}) if k else {}
                c = rec.get("check")
                txt = "" if c in (None, "ok") else "FAIL: " + str(c)
                failed |= bool(txt)
                if rec.get("note"):
                    txt += ("; " if txt else "") + str(rec["note"])
                if txt:
                    said.append("%s: %s" % (name, txt))
            if both:
                row.append(fx(ratio(get(data, "pkt_tc", keys[1], "ns"), get(data, "pkt", keys[0], "ns"))
                              if keys[0] and keys[1] else None))
            mark = ""
            if said:
                notes.append("[%d] %s: %s" % (len(notes) + 1, label, "; ".join(said)))
                mark = " [%d]" % len(notes)
            rows.append(tuple(row) + (("FAIL" if failed else "ok") + mark,))
        pm = pm or data.get("pkt_tc", {}).get("meta", {})
        out.append("1. Per-packet cost: BPF_PROG_TEST_RUN, %s passes per run, median of %s runs, "
                   "%s. zon-lb rows: the restore wrapper's run with zon-lb, minus its run "
                   "with the PASS program (wrapper+PASS), plus the PASS program's own: what zon-lb "
                   "alone costs. x floor: against the floor of the same hook"
                   % (pm.get("repeat", "?"), pm.get("runs", "?"),
                      "both builds" if both else "the %s build" % hooks[0][2]))
        header = ["case"]
        for _, _, name, _, _ in hooks:
            header += ["%s ns" % name, "x floor", "x PASS", "wrapper+PASS"]
        out.append(table(rows, tuple(header + (["tc/XDP"] if both else []) + ["check"])))
        out.extend(notes)
        for part, name, ps in (("pkt", "XDP", "xdp_pass"), ("pkt_tc", "tc", "tc_pass")):
            w = [get(data, part, k, "restore_ns") for k, _ in PKT_ROWS]
            w = sorted(v for v in w if v is not None)
            p = get(data, part, ps, "ns")
            if w and p is not None:
                out.append("%s wrapper: restoring the frame costs %.1f-%.1f ns a pass (wrapper+PASS "
                           "%.1f-%.1f ns against PASS alone %.1f ns), subtracted from every %s row"
                           % (name, w[0] - p, w[-1] - p, w[0], w[-1], p, name))
        for part in ("pkt", "pkt_tc"):
            n = data.get(part, {}).get("meta", {}).get("note")
            if n:
                out.append("%s: %s" % ("XDP build" if part == "pkt" else "tc build", n))
        floor = get(data, "pkt", "floor", "ns")
        est = get(data, "pkt", "est_orig", "ns")
        est_r = get(data, "pkt", "est_reply", "ns")
        if "pkt" in data:
            nat = ratio(get(data, "pkt", "nat_floor", "ns"), floor)
            target("established/floor, client->backend", ratio(est, floor), "<=", 2, nat)
            target("established/floor, backend->client", ratio(est_r, floor), "<=", 2, nat)
            target("SYN/established", ratio(get(data, "pkt", "syn", "ns"), est), "<=", 3,
                   ratio(get(data, "pkt", "table_open", "ns"), est))
            # zon-lb as it is at 1k flows, but with the table's own lookup
            # as it costs at 1M
            grow = None
            if None not in (get(data, "pkt", "table_lookup_1m", "ns"), get(data, "pkt", "table_lookup_1k", "ns")):
                grow = get(data, "pkt", "table_lookup_1m", "ns") - get(data, "pkt", "table_lookup_1k", "ns")
            for d, label in (("orig", "client->backend"), ("reply", "backend->client")):
                k1 = get(data, "pkt", "est_%s_1k" % d, "ns")
                target("1M flows/1k flows, %s" % label,
                       ratio(get(data, "pkt", "est_%s_1m" % d, "ns"), k1), "<=", 1.5,
                       ratio(k1 + grow, k1) if None not in (k1, grow) else None)
        if "pkt_tc" in data:
            out.append("tc build, established/tc floor: %s client->backend, %s backend->client "
                       "(reported: issue 9's floor target is on forwarding rates)"
                       % (fx(ratio(get(data, "pkt_tc", "est_orig", "ns"), get(data, "pkt_tc", "floor_tc_peer", "ns"))),
                          fx(ratio(get(data, "pkt_tc", "est_reply", "ns"), get(data, "pkt_tc", "floor_tc_peer", "ns")))))
        out.append("")

    # --- forwarding and TCP ---
    if "fwd" in data or "tcp" in data:
        rows = []
        for key, label, fl in PATHS:
            if not any(key in data.get(part, {}) for part in ("fwd", "tcp")):
                continue
            row = [label]
            for part, col, _ in FIGURES:
                v = get(data, part, key, col)
                scale, spec = {"live_pps": (1e6, "{:.3f}"), "sendmmsg_pps": (1e3, "{:.0f}"),
                               "gbps": (1, "{:.2f}")}[col]
                row += [fmt(None if v is None else v / scale, spec),
                        fx(ratio(v, get(data, part, fl, col))),
                        fx(ratio(v, get(data, part, "nft", col)))]
            rows.append(tuple(row))
        ceil = get(data, "fwd", "gen_ceiling", "live_pps")
        rows.append(("live generator -> XDP_DROP (its ceiling)", fmt(ceil and ceil / 1e6, "{:.3f}"))
                    + ("",) * 8)
        out.append("2./3. Forwarding on the reference topology: 64-byte UDP, one flow, counted at the "
                   "server; TCP bulk, iperf3; %ss per run, median of %s runs. x floor: against the "
                   "row's floor (XDP floor for the kernel's and the XDP paths, the bpf_redirect_peer "
                   "tc floor for the tc ones); x nft: against nftables DNAT+SNAT"
                   % (meta.get("seconds", "?"), meta.get("runs", "?")))
        out.append(table(rows, ("path", "live Mpps", "x floor", "x nft", "sendmmsg kpps", "x floor",
                                "x nft", "TCP Gbit/s", "x floor", "x nft")))
        fl = get(data, "fwd", "floor", "live_pps")
        fs = get(data, "fwd", "floor", "sendmmsg_pps")
        ft = get(data, "tcp", "floor", "gbps")
        zl = get(data, "fwd", "zlb", "live_pps")
        target("zon-lb XDP/XDP floor, live frames", ratio(zl, fl), ">=", 0.8)
        target("zon-lb XDP/nftables, live frames", ratio(zl, get(data, "fwd", "nft", "live_pps")), ">=", 1.9)
        target("zon-lb XDP/XDP floor, sendmmsg", ratio(get(data, "fwd", "zlb", "sendmmsg_pps"), fs), ">=", 0.9)
        target("zon-lb XDP/XDP floor, TCP bulk", ratio(get(data, "tcp", "zlb", "gbps"), ft), ">=", 0.9)
        gap = ratio(get(data, "tcp", "zlb", "gbps"), get(data, "tcp", "nft", "gbps"))
        out.append("TCP bulk, zon-lb XDP/nftables: %s (reported, no target)" % fx(gap))
        if any(k in data.get(part, {}) for k in TC_PATHS for part in ("fwd", "tcp")):
            for part, col, what in FIGURES:
                target("zon-lb tc/tc floor (redirect_peer), %s" % what,
                       ratio(get(data, part, "zlb_tc", col), get(data, part, "floor_tc_peer", col)),
                       ">=", 0.8)
            target("zon-lb tc/nftables, sendmmsg",
                   ratio(get(data, "fwd", "zlb_tc", "sendmmsg_pps"), get(data, "fwd", "nft", "sendmmsg_pps")),
                   ">=", 1.3)
            target("zon-lb tc/nftables, TCP bulk",
                   ratio(get(data, "tcp", "zlb_tc", "gbps"), get(data, "tcp", "nft", "gbps")), ">=", 1.0)
            out.append("tc paths: clsact ingress on the load balancer's veth0 and veth2, the senders "
                       "with the veth defaults. Live frames reach veth0 as XDP frames; with no XDP "
                       "program there, veth0's NAPI (GRO on) builds an skb for each before tc ingress "
                       "runs: that conversion is part of the tc rows' live figures.")
            for key in TC_PATHS:
                o = data.get("tc", {}).get(key, {}).get("offloads")
                got = get(data, "fwd", key, "live_pps")
                offered = get(data, "fwd", key, "live_offered_pps")
                share = get(data, "fwd", key, "live_xdp_share")
                if got is not None and offered:
                    seen = "" if share is None else "%.1f%% reached veth0 as XDP frames, " % (100 * share)
                    o = ("live frames: %s%.1f%% reached the server; " % (seen, 100.0 * got / offered)
                         + (o or ""))
                if o:
                    out.append("  %s: %s" % (key, o))
        for part in ("fwd", "tcp"):
            for key, _, _ in PATHS:
                n = data.get(part, {}).get(key, {}).get("note")
                if n:
                    out.append("%s %s: %s" % (part, key, n))
        # zon-lb against its floor round by round: each round measures the
        # two back to back, so the spread of these ratios is the noise a
        # ratio of medians hides.
        def by_round(key, other, part, col):
            """The ratio of path @key to path @other in each round, or []."""
            mine = data.get(part, {}).get(key, {}).get(col + "_runs")
            base = data.get(part, {}).get(other, {}).get(col + "_runs")
            try:
                return [float(x) / float(y) for x, y in zip(str(mine).split(), str(base).split())]
            except (ValueError, ZeroDivisionError):
                return []

        def round_line(what, pairs):
            return "%s, round by round: %s (median %.3f)" % (
                what, " ".join("%.3f" % x for x in pairs), statistics.median(pairs))

        for key, label, floor in PATHS:
            if not key.startswith("zlb"):
                continue
            for part, col, what in FIGURES:
                pairs = by_round(key, floor, part, col)
                if len(pairs) > 1:
                    out.append(round_line("%s/floor, %s" % (label, what), pairs))
        # Another build against this one: measured right after it in each
        # round, so the ratio of each round is the fairest comparison.
        labels = {key: label for key, label, _ in PATHS}
        for alt, base in ALT_PATHS:
            for part, col, what in FIGURES:
                pairs = by_round(alt, base, part, col)
                if pairs:
                    out.append(round_line("%s / %s, %s" % (labels[alt], labels[base], what),
                                          pairs))
        # Rounds far apart: the median hides a path that works only now
        # and then (or a machine that was busy in one round).
        for key, label, _ in PATHS:
            for part, col, what in FIGURES:
                runs = data.get(part, {}).get(key, {}).get(col + "_runs")
                try:
                    v = [float(x) for x in str(runs).split()]
                except ValueError:
                    continue
                if len(v) > 1 and min(v) < 0.5 * max(v):
                    out.append("UNSTABLE %s, %s: the rounds gave %s" % (label, what, runs))
        # A program's path whose figure the stack helped make is not that
        # program's figure.
        for key in ("floor", "zlb") + TC_PATHS:
            for gen in ("live", "sendmmsg"):
                f = get(data, "fwd", key, gen + "_stack_forwarded")
                got = get(data, "fwd", key, gen + "_pps")
                secs, runs = meta.get("seconds"), meta.get("runs")
                if f and got and isinstance(secs, (int, float)) and isinstance(runs, int) \
                        and f > 0.01 * got * secs * runs:
                    out.append("WARNING fwd %s %s: the load balancer's stack forwarded %d packets "
                               "meanwhile: not all of this figure is the program's" % (key, gen, f))
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

    rows = [(t["name"], fmt(t["value"], "{:.3f}"), t["target"], fmt(t["least"], "{:.3f}", "-"),
             {True: "met", False: "NOT met", None: "n/a"}[t["met"]]) for t in targets]
    out.append("Targets")
    out.append(table(rows, ("figure", "value", "target", "least", "")))
    if any(t["least"] is not None for t in targets):
        out.append("least: measured in this run, the least value a full NAT (established/floor: "
                   "the NAT floor, which tracks nothing) or a data plane on the kernel's LRU hash, "
                   "zon-lb's connection table, could reach (SYN/established: the table's miss "
                   "and two inserts, room, against zon-lb's established packet; 1M/1k flows: "
                   "zon-lb at 1k flows with the table's lookup as it costs at 1M)")
    out.append("")
    out.append("kernel %s, %s CPUs, %s; whole run %ss; load average %s at the start, %s at the end"
               % (meta.get("kernel"), meta.get("cpus"), meta.get("date"), meta.get("elapsed_s", "?"),
                  meta.get("loadavg_start", "?"), meta.get("loadavg_end", "?")))

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
    names = {"xdp_pass": "PASS", "floor": "floor (tc: redirect_peer)", "floor_tc": "tc floor, redirect",
             "table_lookup_1k": "LRU hash: lookup, 1k", "table_lookup_1m": "LRU hash: lookup, 1M",
             "table_open": "LRU hash: open, room", "table_open_full": "LRU hash: open, full"}
    pkt = [(names.get(xk or tk, xk or tk), get(data, "pkt", xk, "ns") if xk else None,
            get(data, "pkt_tc", tk, "ns") if tk else None)
           for xk, tk, _ in PKT_YARDS + [(k, k, l) for k, l in PKT_ROWS] + TABLE_YARDS]
    pkt = [p for p in pkt if p[1] is not None or p[2] is not None]
    if pkt:
        builds = [i for i, t in ((1, "XDP build"), (2, "tc build")) if any(p[i] is not None for p in pkt)]
        path = os.path.join(outdir, "pkt.dat")
        with open(path, "w") as f:
            f.writelines('"%s" %s\n' % (p[0], " ".join("NaN" if p[i] is None else str(p[i]) for i in builds))
                         for p in pkt)
        panels.append("set title 'per-packet cost (BPF_PROG_TEST_RUN)'\n"
                      "set ylabel 'ns per packet (log scale)'\nset logscale y\nset yrange [1:*]\n"
                      "plot '%s' " % path
                      + ", ''".join(" using %d%s title '%s build'" % (n + 2, ":xtic(1)" if n == 0 else "",
                                                                    "XDP" if i == 1 else "tc")
                                    for n, i in enumerate(builds))
                      + "\nunset logscale y\nset yrange [0:*]\n")
    # Only the series with figures: gnuplot refuses one of NaN alone.
    series = [(part, col, scale, title) for part, col, scale, title in
              (("fwd", "live_pps", 1e6, "live frames, Mpps"),
               ("fwd", "sendmmsg_pps", 1e5, "sendmmsg, 100 kpps"),
               ("tcp", "gbps", 1, "TCP bulk, Gbit/s"))
              if any(get(data, part, key, col) is not None for key, _, _ in PATHS)]
    rows = []
    for key, label, _ in PATHS:
        if series and any(key in data.get(part, {}) for part in ("fwd", "tcp")):
            v = [get(data, part, key, col) for part, col, _, _ in series]
            rows.append('"%s" %s\n' % (label, " ".join(
                "NaN" if x is None else str(x / sc) for x, (_, _, sc, _) in zip(v, series))))
    if rows:
        path = os.path.join(outdir, "fwd.dat")
        with open(path, "w") as f:
            f.writelines(rows)
        panels.append("set title 'reference topology: 64-byte UDP forwarding and TCP bulk'\n"
                      "set ylabel 'rate'\n"
                      "plot '%s' " % path
                      + ", ''".join(" using %d%s title '%s'" % (i + 2, ":xtic(1)" if i == 0 else "", t)
                                    for i, (_, _, _, t) in enumerate(series)) + "\n")
    if not panels:
        return None
    png = os.path.join(outdir, "bench.png")
    script = ("set terminal pngcairo size 1200,%d noenhanced\n" % (450 * len(panels))
              + "set output '%s'\n" % png
              + "set multiplot layout %d,1 title 'zon-lb make bench (ratios: see the table)'\n"
              % len(panels)
              + "set style data histograms\nset style fill solid 0.8 border -1\n"
              + "set boxwidth 0.8\nset grid ytics\nset xtics rotate by -30\nset key outside right top\n"
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
