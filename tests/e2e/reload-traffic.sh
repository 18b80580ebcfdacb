#!/bin/bash
# shellcheck disable=SC2317 # the small predicates are called through zlb_wait_for and zlb_check
# Reloads under traffic, and loads killed half-way.
#
#   client ZC 10.0.0.2 --- veth0 10.0.0.1 [zon-lb, ZL] veth2 10.2.0.1 --- 10.2.0.2, 10.2.0.3 server ZS
#
# Three TCP streams (lines echoed back and checked) and one UDP flow (one
# socket, numbered datagrams at a steady rate, the server logging which of
# its two addresses got each) run through the load balancer while zlb-load
# reloads $RELOADS times, cycling through configs A, B and C
# (reload-traffic-*.conf: services and backends come and go, ids move; the
# services in use and their backend 10.2.0.2 stay). Then zlb-load is killed
# (SIGKILL) at random points of loads -- random times, and with strace
# random bpf() syscalls -- under the same traffic and from an empty pin
# directory, and a normal load must repair everything: the
# configuration maps equal those of a clean load, the bpffs holds what a
# clean load leaves, XDP runs on both interfaces with the pinned maps, and
# traffic flows. At the end: no connection was reset, every line and every
# datagram arrived, and every datagram went to 10.2.0.2.
#
# ZLB_SEED fixes the random kill points (printed). RELOADS (default 100)
# and KILLS (default 10) set the counts: KILLS timed kills under traffic
# (and half as many at bpf() syscalls), 4 (and 2) from an empty pin
# directory.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool python3 ss timeout bpftool awk
zlb_require_built

CONFS=$ZLB_SRCDIR/tests/configs/e2e
A=$CONFS/reload-traffic-a.conf
CYCLE=("$A" "$CONFS/reload-traffic-b.conf" "$CONFS/reload-traffic-c.conf")
RELOADS=${RELOADS:-100}
KILLS=${KILLS:-10}
SEED=${ZLB_SEED:-$(($(date +%s) % 100000))}
RANDOM=$SEED

# --- the traffic ------------------------------------------------------------

TRAFFIC=$ZLB_SRCDIR/tests/e2e/traffic.py

# servers: TCP echo on :223 and UDP echo on 10.2.0.2:5300 and 10.2.0.3:5300
# in ZS, until $ZLB_TMP/stop exists; their accounts in servers.json.
servers() {
	ip netns exec "$ZS" python3 "$TRAFFIC" serve "$ZLB_TMP/stop" "$ZLB_TMP/servers.json" \
		10.2.0.2 10.2.0.3 2>"$ZLB_TMP/servers.err" &
	zlb_track_pid $!
	zlb_wait_for zlb_tcp_listening "$ZS" 0.0.0.0 223 ||
		zlb_die "the servers did not start: $(cat "$ZLB_TMP/servers.err")"
}

# clients: three TCP streams to 10.0.0.1:23 and the UDP flow to
# 10.0.0.1:5353 from ZC (see traffic.py), until $ZLB_TMP/stop exists.
clients() {
	ip netns exec "$ZC" python3 "$TRAFFIC" streams "$ZLB_TMP/stop" "$ZLB_TMP" \
		10.0.0.1:23 3 10.0.0.1:5353 2>"$ZLB_TMP/clients.err" &
	zlb_track_pid $!
	zlb_wait_for -t 10 test -s "$ZLB_TMP/ready" ||
		zlb_die "the client streams did not start: $(cat "$ZLB_TMP/clients.err")"
}

# progress EXPR: a python expression over the clients' progress (as p).
progress() {
	python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))
' "$ZLB_TMP/progress.json" "$1"
}

# counts: the echoes each stream and the UDP flow got so far.
counts() {
	progress '" ".join(str(n) for n in [s["echoed"] for s in p["streams"]] + [p["udp"]["echoed"]])'
}

# grew BEFORE...: every count is larger than in BEFORE.
grew() {
	local now i=0 b
	read -r -a now <<<"$(counts)"
	for b in "$@"; do
		[ "${now[i]:-0}" -gt "$b" ] || return 1
		i=$((i + 1))
	done
}

# flowing: every stream and the UDP flow get new answers within 3 s.
flowing() {
	local before
	read -r -a before <<<"$(counts)"
	zlb_wait_for -t 3 grew "${before[@]}"
}

# --- the state zlb-load leaves ------------------------------------------------

# config_state: the configuration maps, as a clean load of the same config
# would leave them: zlb_meta without generation and backend_half; services
# with their backend base and Maglev key taken relative to the half in use;
# of zlb_backends and zlb_maglev the slots those services use; zlb_ifaces,
# zlb_tx_ports, zlb_snat_addrs whole. Stale slots of the other half are not
# configuration (no service points at them).
config_state() {
	python3 -c '
import json, struct, subprocess, sys
pin, MAXSVC, PERSVC = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
HALF = MAXSVC * PERSVC
def bpftool(*args):
    return json.loads(subprocess.check_output(("bpftool", "-j", "map") + args))
def keybytes(n):
    return ["%d" % b for b in struct.pack("<I", n)]
def u32(raw):
    return struct.unpack("<I", bytes(int(b, 16) for b in raw))[0]
def entries(name):
    return sorted(json.dumps(e.get("formatted", {"key": e["key"], "value": e["value"]}),
                             sort_keys=True) for e in bpftool("dump", "pinned", pin + "/" + name))
meta = bpftool("dump", "pinned", pin + "/zlb_meta")[0]["formatted"]["value"]
half = meta.pop("backend_half")
meta.pop("generation")
state = {"meta": meta, "services": {}, "backends": {}, "maglev": {}}
for e in bpftool("dump", "pinned", pin + "/zlb_services"):
    k, v = e["formatted"]["key"], dict(e["formatted"]["value"])
    base, mkey = v["backend_base"], v["maglev_key"]
    v["backend_base"] -= half * HALF
    v["maglev_key"] -= half * MAXSVC
    state["services"][json.dumps(k, sort_keys=True)] = v
    for slot in range(base, base + v["backend_count"]):
        be = bpftool("lookup", "pinned", pin + "/zlb_backends", "key", *keybytes(slot))
        state["backends"][slot - half * HALF] = be["formatted"]["value"]
    inner = u32(bpftool("lookup", "pinned", pin + "/zlb_maglev", "key", *keybytes(mkey))["value"])
    # struct zlb_maglev_chunk: a byte an entry, the index of a backend in
    # its service (the same in either half)
    chunks = sorted(bpftool("dump", "id", str(inner)), key=lambda x: u32(x["key"]))
    table = [int(b, 16) for x in chunks for b in x["value"]]
    state["maglev"][v["maglev_key"]] = table[:v["maglev_size"]]
for m in ("zlb_ifaces", "zlb_tx_ports", "zlb_snat_addrs"):
    state[m] = entries(m)
json.dump(state, sys.stdout, sort_keys=True, indent=1)
' "$ZLB_BPFFS" "$(abi ZLB_MAX_SERVICES)" "$(abi ZLB_MAX_BACKENDS_PER_SVC)"
}

# abi NAME: a number the map ABI header defines.
abi() {
	sed -n "s/^#define $1 *\([0-9][0-9]*\).*/\1/p" "$ZLB_SRCDIR/libzlbcommon/zlb_abi.h"
}

# bpffs_files: everything in the pin directory and every pin elsewhere on
# the test's bpffs (libxdp's), relative to it. Directories and symbolic
# links outside the pin directory are left out: iproute2 makes tc/globals,
# xdp/globals and ip -> tc on the first bpffs it finds, which may be ours
# while another test runs 'ip ... obj'.
bpffs_files() {
	(cd "$(dirname "$ZLB_BPFFS")" &&
		{ find . -mindepth 1 ! -type d ! -type l; find "./$(basename "$ZLB_BPFFS")"; } | sort -u)
}

# xdp_prog IFACE: the id of the XDP program on IFACE in ZL (empty if none).
xdp_prog() {
	ip -n "$ZL" -d link show "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p' | head -n 1
}

# runs_on_pins IFACE: zon-lb's program runs on IFACE, and every zlb_* map
# it uses is the pinned map of that name.
runs_on_pins() {
	local id
	id=$(xdp_prog "$1")
	[ -n "$id" ] || return 1
	python3 -c '
import json, subprocess, sys
pin, id = sys.argv[1], sys.argv[2]
run = lambda *a: json.loads(subprocess.check_output(("bpftool", "-j") + a))
prog = run("prog", "show", "id", id)
maps = [run("map", "show", "id", str(m)) for m in prog["map_ids"]]
# zlb_scratch: per-CPU room of each program, never pinned
ours = {m["name"]: m["id"] for m in maps
        if m["name"].startswith("zlb_") and m["name"] != "zlb_scratch"}
pinned = {n: run("map", "show", "pinned", pin + "/" + n)["id"] for n in ours}
sys.exit(not (prog["name"] == "zlb_xdp" and len(ours) >= 10 and ours == pinned))
' "$ZLB_BPFFS" "$id"
}

# repaired NAME: after a normal load of A, the state is the clean load's.
repaired() {
	local name=$1 out=$ZLB_TMP/repair.out
	if zlb_load_in_lb "$A" >"$out" 2>&1; then
		zlb_pass "$name: a normal load of A goes through"
	else
		zlb_fail "$name: a normal load of A goes through" "$(cat "$out")"
		return 1
	fi
	config_state >"$ZLB_TMP/state.json"
	if cmp -s "$ZLB_TMP/clean-state.json" "$ZLB_TMP/state.json"; then
		zlb_pass "$name: the configuration maps equal those of a clean load of A"
	else
		zlb_fail "$name: the configuration maps equal those of a clean load of A" \
			"$(diff "$ZLB_TMP/clean-state.json" "$ZLB_TMP/state.json" | head -n 40)"
	fi
	if [ "$(bpffs_files)" = "$CLEAN_FILES" ]; then
		zlb_pass "$name: the bpffs holds what a clean load leaves, nothing more"
	else
		zlb_fail "$name: the bpffs holds what a clean load leaves, nothing more" \
			"$(diff <(echo "$CLEAN_FILES") <(bpffs_files))"
	fi
	for ifc in veth0 veth2; do
		zlb_check "$name: zon-lb's program runs on $ifc with the pinned maps" runs_on_pins "$ifc"
	done
}

# where_state: zlb_meta's load generation ("none" before a load wrote it)
# and a hash of zlb_services.
where_state() {
	local gen svc
	gen=$(bpftool -j map dump pinned "$ZLB_BPFFS/zlb_meta" 2>/dev/null |
		python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["formatted"]["value"]["generation"])' 2>/dev/null)
	svc=$(bpftool map dump pinned "$ZLB_BPFFS/zlb_services" 2>/dev/null | sha1sum | cut -c1-8)
	echo "${gen:-none} $svc"
}

# kill_one TAG CONFIG MS|@CALL: a load of CONFIG killed (SIGKILL) MS
# milliseconds into it, or (@CALL) on entering its CALL-th bpf() syscall
# (strace's fault injection); logs how far it got.
kill_one() {
	local tag=$1 cfg=$2 at=$3 out=$ZLB_TMP/kill-$1.out pid rc before after how
	read -r -a before <<<"$(where_state)"
	if [ "${at#@}" != "$at" ]; then
		ip netns exec "$ZL" strace -f -qq -o /dev/null -e trace=bpf \
			-e inject=bpf:signal=KILL:when="${at#@}" "$ZLB_LOAD" "$cfg" >"$out" 2>&1 &
		pid=$!
	else
		ip netns exec "$ZL" "$ZLB_LOAD" "$cfg" >"$out" 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((at / 1000)) $((at % 1000)))"
		kill -9 "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	rc=$?
	read -r -a after <<<"$(where_state)"
	if [ "$rc" -eq 0 ]; then
		how="finished first"
	elif [ "${after[0]}" = 0 ]; then
		how="killed with the maps pinned, not written"
	elif [ "${after[0]}" != "${before[0]}" ]; then
		how="killed after writing zlb_meta"
	elif [ "${after[1]}" != "${before[1]}" ]; then
		how="killed after rewriting zlb_services, before zlb_meta"
	else
		how="killed with zlb_services and zlb_meta unchanged"
	fi
	if [ "${at#@}" != "$at" ]; then at="bpf() call ${at#@}"; else at="$at ms"; fi
	zlb_log "kill $tag: $(basename "$cfg") at $at: $how (exit $rc, generation ${before[0]} -> ${after[0]})"
	[ "$rc" -ne 0 ]
}

# kill_loads FROM N MS CALLS: N loads of random configs killed a random
# time into them -- odd ones anywhere in MS (what a load takes), even ones
# in its last quarter, where the maps are written and the programs
# attached (before that, the verifier takes most of the time) -- and, with
# strace, N / 2 more killed on entering a random one of their first CALLS
# bpf() syscalls: most of those write or prune maps.
kill_loads() {
	local from=$1 n=$2 dur=$3 calls=$4 i at killed=0 tries=0
	for ((i = 1; i <= n; i++)); do
		if ((i % 2)); then
			at=$((RANDOM % (dur + 1)))
		else
			at=$((dur * 3 / 4 + RANDOM % (dur / 4 + 1)))
		fi
		kill_one "$from-time-$i" "${CYCLE[RANDOM % 3]}" "$at" && killed=$((killed + 1))
		tries=$((tries + 1))
	done
	if [ -n "$calls" ]; then
		for ((i = 1; i <= (n + 1) / 2; i++)); do
			kill_one "$from-call-$i" "${CYCLE[RANDOM % 3]}" "@$((1 + (RANDOM * 32768 + RANDOM) % calls))" &&
				killed=$((killed + 1))
			tries=$((tries + 1))
		done
	fi
	zlb_log "$killed of $tries loads were killed before they finished"
}

# bpf_calls ARGS...: how many bpf() syscalls zlb-load ARGS makes (empty
# without strace).
bpf_calls() {
	command -v strace >/dev/null 2>&1 || return 0
	ip netns exec "$ZL" strace -f -qq -c -o "$ZLB_TMP/calls" -e trace=bpf "$ZLB_LOAD" "$@" >/dev/null 2>&1 &&
		awk '$NF == "bpf" { print $4 }' "$ZLB_TMP/calls"
}

# --- the test -----------------------------------------------------------------

zlb_tmpdir
zlb_bpffs_setup
zlb_reference_topology
zlb_must ip -n "$ZS" addr add 10.2.0.3/24 dev veth3
zlb_log "seed $SEED (ZLB_SEED=$SEED reproduces the kill points)"

# The clean load: what every repair must come back to.
t0=$(date +%s%N)
if ! zlb_load_in_lb "$A" >"$ZLB_TMP/load.out" 2>&1; then
	zlb_fail "a clean load of A" "$(cat "$ZLB_TMP/load.out")"
	zlb_summary
fi
zlb_pass "a clean load of A"
FIRST_MS=$((($(date +%s%N) - t0) / 1000000))
config_state >"$ZLB_TMP/clean-state.json" || zlb_die "cannot read the maps"
CLEAN_FILES=$(bpffs_files)
t0=$(date +%s%N)
zlb_load_in_lb "$A" >"$ZLB_TMP/load.out" 2>&1 || zlb_die "reload of A: $(cat "$ZLB_TMP/load.out")"
LOAD_MS=$((($(date +%s%N) - t0) / 1000000))
CALLS=$(bpf_calls "$A")
zlb_log "a first load takes $FIRST_MS ms, a reload $LOAD_MS ms and ${CALLS:-(no strace: not counted)} bpf() calls"

servers
clients
read -r -a ports <"$ZLB_TMP/ready"
zlb_resets_mark
zlb_log "streams from client ports ${ports[*]}, UDP from port $(progress 'p["udp"]["port"]')"

# $RELOADS reloads, cycling A, B, C.
failed=0
t0=$SECONDS
for ((i = 0; i < RELOADS; i++)); do
	if ! zlb_load_in_lb "${CYCLE[(i + 1) % 3]}" >"$ZLB_TMP/reload.out" 2>&1; then
		failed=$((failed + 1))
		zlb_log "reload $i failed: $(cat "$ZLB_TMP/reload.out")"
	fi
done
zlb_log "$RELOADS reloads in $((SECONDS - t0)) s"
zlb_check "$RELOADS reloads cycling A, B, C all succeed" test "$failed" -eq 0
zlb_check "after $RELOADS reloads every stream and the UDP flow still get answers" flowing

# Killed loads under the same traffic, then the repair.
command -v strace >/dev/null 2>&1 ||
	zlb_skip "loads killed at a random bpf() syscall" "no strace: only timed kills"
kill_loads traffic "$KILLS" "$LOAD_MS" "$CALLS"
zlb_check "after the killed loads every stream and the UDP flow still get answers" flowing
repaired "after the killed loads under traffic"
zlb_check "after the repair every stream and the UDP flow still get answers" flowing

# The end of the traffic: first the connections' state, then the counts.
for p in "${ports[@]}"; do
	if ip netns exec "$ZC" ss -Htn state established "( sport = :$p )" |
		awk '$4 == "10.0.0.1:23" { ok = 1 } END { exit !ok }'; then
		zlb_pass "the stream from client port $p is still ESTABLISHED"
	else
		zlb_fail "the stream from client port $p is still ESTABLISHED" "$(ip netns exec "$ZC" ss -tan)"
	fi
done
n=$(ip netns exec "$ZS" ss -Htn state established '( sport = :223 )' | awk '$4 ~ /^10\.2\.0\.1:/' | wc -l)
zlb_check "the server still has the 3 connections from 10.2.0.1 (has $n)" test "$n" -eq 3
touch "$ZLB_TMP/stop"
zlb_wait_for -t 10 test -s "$ZLB_TMP/clients.json" || zlb_die "the clients did not finish: $(cat "$ZLB_TMP/clients.err")"
zlb_wait_for -t 10 test -s "$ZLB_TMP/servers.json" || zlb_die "the servers did not finish: $(cat "$ZLB_TMP/servers.err")"
zlb_check_no_resets

# verdict NAME EXPR: a check over the clients' (c) and servers' (s) accounts.
verdict() {
	local why
	if why=$(python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
ok = eval(sys.argv[3])
print(json.dumps({"clients": c, "servers": {k: v if k != "udp" else {a: len(x) for a, x in v.items()} for k, v in s.items()}})[:1500])
sys.exit(0 if ok else 1)
' "$ZLB_TMP/clients.json" "$ZLB_TMP/servers.json" "$2"); then
		zlb_pass "$1"
	else
		zlb_fail "$1" "$why"
	fi
}

zlb_log "clients: $(cat "$ZLB_TMP/clients.json")"
lines=$(python3 -c 'import json,sys; print(sum(s["echoed"] for s in json.load(open(sys.argv[1]))["streams"]))' "$ZLB_TMP/clients.json")
verdict "no stream saw an error, an EOF or a wrong line ($lines lines echoed in all)" \
	'all(st["error"] is None and st["bad"] == 0 for st in c["streams"])'
verdict "every line sent was echoed back" \
	'all(st["sent"] == st["echoed"] > 100 for st in c["streams"])'
verdict "the server got every line of every stream, on 10.2.0.2, from 10.2.0.1" \
	'not s["tcp_errors"] and sorted(s["tcp"].values()) == sorted(st["sent"] for st in c["streams"]) and all(k.startswith("10.2.0.1:") and k.endswith(">10.2.0.2") for k in s["tcp"])'
n=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["udp"]["sent"])' "$ZLB_TMP/clients.json")
verdict "udp: all $n datagrams reached 10.2.0.2, each once, none 10.2.0.3" \
	'sorted(s["udp"]["10.2.0.2"]) == list(range(c["udp"]["sent"])) and s["udp"]["10.2.0.3"] == []'
verdict "udp: the server saw one peer for the whole flow (one SNAT tuple)" \
	'len(s["udp_peers"]) == 1 and s["udp_peers"][0].startswith("10.2.0.1:")'
verdict "udp: every echo came back, from 10.0.0.1:5353" \
	'c["udp"]["echoed"] == c["udp"]["sent"] and not c["udp"]["missing"] and not c["udp"]["bad_sources"]'
zlb_log "longest wait for an echo per stream: $(python3 -c 'import json,sys; print([s["max_gap"] for s in json.load(open(sys.argv[1]))["streams"]])' "$ZLB_TMP/clients.json") s"
zlb_kill_tracked

# Killed loads from an empty pin directory: first loads cut short.
out=$ZLB_TMP/unload.out
zlb_load_in_lb --unload >"$out" 2>&1 || zlb_fail "zlb-load --unload" "$(cat "$out")"
kill_loads empty 4 "$FIRST_MS" "$CALLS"
repaired "after the killed loads from an empty pin directory"
zlb_udp_echo_server "$ZS" 10.2.0.2 5300 udp
reply=$(zlb_udp_ask "$ZC" 10.0.0.1 5353 "repaired")
zlb_check "after the repair a new UDP flow is answered from 10.0.0.1:5353" \
	test "$reply" = "10.0.0.1 5353 echo:repaired"
zlb_nc_server "$ZS" 10.2.0.2 223 srv
zlb_nc_client "$ZC" 10.0.0.1 23 cli
zlb_line_crosses "after the repair a new TCP connection carries a line" cli "$ZLB_TMP/srv.out" "hello $ZLB_SUFFIX"
zlb_line_crosses "after the repair the answer comes back" srv "$ZLB_TMP/cli.out" "hi $ZLB_SUFFIX"

zlb_summary
