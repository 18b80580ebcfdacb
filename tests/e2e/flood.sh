#!/bin/bash
# shellcheck disable=SC2317 # the small predicates are called through zlb_wait_for and zlb_check
# A SYN flood of ten times the connection table's size while established
# connections carry data.
#
#   client ZC 10.0.0.2 --- veth0 10.0.0.1 [zon-lb, ZL] veth2 10.2.0.1 --- 10.2.0.2 server ZS
#   syn-flood on veth1: SYNs from 198.18.0.1... (each from a new port) to 10.0.0.1:23
#
# flood.conf gives the table 4096 entries (2048 flows). Two TCP streams
# (lines echoed back and checked, one every 20 ms) run to the same service
# while tests/e2e/syn-flood sends $SYNS SYNs -- live frames out of the
# client's veth1 (BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES), at
# $RATE per second. The SYN-ACKs the server answers go back towards the
# spoofed sources (a route via the client), where nobody answers them.
# The streams must go on all the while: no reset, no stall, every line
# back. Then zlb-stat and zlb-ct show what the table did. A third
# connection, to another service, stays quiet during the flood; whether it
# still carries a line afterwards is logged, not checked: the table's LRU
# keeps what is in use, and nothing yet keeps half-open flows from pushing
# out established ones that are idle.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool nc python3 ss timeout
zlb_require_built

CONF=$ZLB_SRCDIR/tests/configs/e2e/flood.conf
TRAFFIC=$ZLB_SRCDIR/tests/e2e/traffic.py
SYNFLOOD=$ZLB_BUILDDIR/tests/e2e/syn-flood
FLOOD_OBJ=${ZLB_TEST_BPF_DIR:-$ZLB_BUILDDIR/tests/bpf}/syn_flood.bpf.o
zlb_require_tools
for f in "$SYNFLOOD" "$FLOOD_OBJ"; do
	[ -e "$f" ] || zlb_die "not built: $f (make check builds it)"
done
RATE=${RATE:-4000}

# ct_count FIELD: flows or table_size, from zlb-ct -j count.
ct_count() {
	ip netns exec "$ZL" "$CT" -j count | python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}

# retrans NS FILTER: segments retransmitted on the established connections
# FILTER selects in NS (ss -ti's retrans:CURRENT/TOTAL), summed.
retrans() {
	ip netns exec "$1" ss -Htin state established "$2" |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^retrans:/) { split($i, r, "/"); n += r[2] } } END { print n + 0 }'
}

# stat_json FILE: zlb-stat -j in the load balancer's namespace.
stat_json() {
	ip netns exec "$ZL" "$STAT" -j >"$1" || zlb_die "zlb-stat -j failed"
}

# progress EXPR: a python expression over the streams' progress (as p).
progress() {
	python3 -c '
import json, sys
p = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))
' "$ZLB_TMP/progress.json" "$1"
}

# grew BEFORE...: every stream got more answers than in BEFORE.
grew() {
	local now i=0 b
	read -r -a now <<<"$(progress '" ".join(str(s["echoed"]) for s in p["streams"])')"
	for b in "$@"; do
		[ "${now[i]:-0}" -gt "$b" ] || return 1
		i=$((i + 1))
	done
}

# flowing: every stream gets new answers within 3 s.
flowing() {
	local before
	read -r -a before <<<"$(progress '" ".join(str(s["echoed"]) for s in p["streams"])')"
	zlb_wait_for -t 3 grew "${before[@]}"
}

zlb_tmpdir
zlb_bpffs_setup
zlb_reference_topology
zlb_must ip -n "$ZL" route add 198.18.0.0/15 via 10.0.0.2

if ! zlb_load_in_lb "$CONF" >"$ZLB_TMP/load.out" 2>&1; then
	zlb_fail "zlb-load loads flood.conf" "$(cat "$ZLB_TMP/load.out")"
	zlb_summary
fi
TABLE=$(ct_count table_size)
SYNS=${SYNS:-$((11 * TABLE))}
zlb_pass "zlb-load loads flood.conf (connection table of $TABLE entries)"

ip netns exec "$ZS" python3 "$TRAFFIC" serve "$ZLB_TMP/stop" "$ZLB_TMP/servers.json" \
	2>"$ZLB_TMP/servers.err" &
zlb_track_pid $!
zlb_wait_for zlb_tcp_listening "$ZS" 0.0.0.0 223 ||
	zlb_die "the server did not start: $(cat "$ZLB_TMP/servers.err")"
ip netns exec "$ZC" python3 "$TRAFFIC" streams "$ZLB_TMP/stop" "$ZLB_TMP" 10.0.0.1:23 2 \
	2>"$ZLB_TMP/clients.err" &
zlb_track_pid $!
zlb_wait_for -t 10 test -s "$ZLB_TMP/ready" ||
	zlb_die "the streams did not start: $(cat "$ZLB_TMP/clients.err")"
read -r -a ports <"$ZLB_TMP/ready"
zlb_log "two streams from client ports ${ports[*]}"
zlb_resets_mark
zlb_nc_server "$ZS" 10.2.0.2 224 qsrv
zlb_nc_client "$ZC" 10.0.0.1 24 qcli
zlb_line_crosses "the quiet connection carries a line before the flood" qcli "$ZLB_TMP/qsrv.out" \
	"quiet before $ZLB_SUFFIX" || zlb_die "no quiet connection"
stat_json "$ZLB_TMP/stat-before.json"
flows0=$(ct_count flows)

# The flood, bounded: at most 30 s of sending (syn-flood's own limit).
mac0=$(ip -n "$ZL" -j link show veth0 | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["address"])')
ip netns exec "$ZC" timeout 45 "$SYNFLOOD" "$FLOOD_OBJ" veth1 "$mac0" 198.18.0.1 10.0.0.1 23 \
	"$SYNS" "$RATE" >"$ZLB_TMP/flood.out" 2>&1 &
flood_pid=$!
zlb_track_pid "$flood_pid"
t0=$SECONDS
during=0 stalled=0 samples=""
while zlb_alive "$flood_pid" && ((SECONDS - t0 < 50)); do
	if flowing; then
		during=$((during + 1))
	else
		stalled=$((stalled + 1))
	fi
	samples="$samples $(ct_count flows)"
	sleep 1
done
wait "$flood_pid"
rc=$?
zlb_log "syn-flood: $(cat "$ZLB_TMP/flood.out")"
zlb_log "flows in the table, one sample a second: $samples"
sent=$(awk '/^sent/ { print $2 }' "$ZLB_TMP/flood.out")
if [ "$rc" -eq 0 ] && [ "${sent:-0}" -eq "$SYNS" ]; then
	zlb_pass "the flood sent $SYNS SYNs, $((SYNS / TABLE)) times the table's $TABLE entries"
else
	zlb_fail "the flood sent $SYNS SYNs" "exit $rc: $(cat "$ZLB_TMP/flood.out")"
fi
zlb_check "during the flood every stream got new answers in each of $during checks, none stalled" \
	test "$stalled" -eq 0 -a "$during" -gt 0
zlb_check "after the flood every stream still gets answers" flowing

zlb_nc_send qcli "quiet after $ZLB_SUFFIX"
if zlb_wait_for -t 3 zlb_file_has "$ZLB_TMP/qsrv.out" "quiet after $ZLB_SUFFIX"; then
	zlb_log "the connection that was quiet during the flood still carries a line"
else
	zlb_log "the connection that was quiet during the flood is lost: its line does not cross (its entries were evicted)"
fi

# What the table did: counters over the flood from zlb-stat -j, the table
# from zlb-ct -j count.
stat_json "$ZLB_TMP/stat-after.json"
flows=$(ct_count flows)

# delta COUNTER: its growth over the flood.
delta() {
	python3 -c '
import json, sys
b, a = (json.load(open(p))["totals"] for p in sys.argv[1:3])
print(" ".join(str(a[k] - b[k]) for k in sys.argv[3:]))
' "$ZLB_TMP/stat-before.json" "$ZLB_TMP/stat-after.json" "$@"
}
zlb_log "zlb-stat -j over the flood: $(python3 -c '
import json, sys
b, a = (json.load(open(p))["totals"] for p in sys.argv[1:3])
d = {k: a[k] - b[k] for k in a}
print(", ".join("%s %d" % (k, v) for k, v in d.items()
                if k in ("rx", "new_flow", "ct_evicted", "ct_expired") or v and k.startswith("drop_")))
' "$ZLB_TMP/stat-before.json" "$ZLB_TMP/stat-after.json")"
read -r new busy insert <<<"$(delta new_flow drop_snat_busy drop_ct_insert)"
zlb_log "zlb-ct count: $flows flows in a table of $TABLE entries; the LRU pushed out about $((2 * new - 2 * (flows - flows0))) entries"
zlb_check "zon-lb took every SYN as a new flow or a counted drop ($new new, $busy snat_busy, $insert ct_insert)" \
	test $((new + busy + insert)) -ge "$SYNS"
zlb_check "zlb-ct count: the table holds at most its $((TABLE / 2)) flows ($flows)" \
	test "$flows" -le $((TABLE / 2))

# The streams: same connections, no reset, every line back.
for p in "${ports[@]}"; do
	if ip netns exec "$ZC" ss -Htn state established "( sport = :$p )" |
		awk '$4 == "10.0.0.1:23" { ok = 1 } END { exit !ok }'; then
		zlb_pass "the stream from client port $p is still ESTABLISHED"
	else
		zlb_fail "the stream from client port $p is still ESTABLISHED" "$(ip netns exec "$ZC" ss -tn)"
	fi
done
RETRANS="$(retrans "$ZC" "( dport = :23 )") $(retrans "$ZS" "( sport = :223 )")"
touch "$ZLB_TMP/stop"
zlb_wait_for -t 10 test -s "$ZLB_TMP/clients.json" ||
	zlb_die "the streams did not finish: $(cat "$ZLB_TMP/clients.err")"
zlb_wait_for -t 10 test -s "$ZLB_TMP/servers.json" ||
	zlb_die "the server did not finish: $(cat "$ZLB_TMP/servers.err")"
zlb_check_no_resets
zlb_log "streams: $(cat "$ZLB_TMP/clients.json")"
if python3 -c '
import json, sys
c = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
st = c["streams"]
ok = all(x["error"] is None and x["bad"] == 0 and x["sent"] == x["echoed"] > 100 for x in st)
ok = ok and not s["tcp_errors"] and sorted(s["tcp"].values()) == sorted(x["sent"] for x in st)
sys.exit(not ok)
' "$ZLB_TMP/clients.json" "$ZLB_TMP/servers.json"; then
	zlb_pass "every line of both streams crossed both ways, none wrong, no error"
else
	zlb_fail "every line of both streams crossed both ways, none wrong, no error" \
		"$(cat "$ZLB_TMP/clients.json" "$ZLB_TMP/clients.err" "$ZLB_TMP/servers.err")"
fi
gap=$(python3 -c 'import json, sys; print(max(s["max_gap"] for s in json.load(open(sys.argv[1]))["streams"]))' "$ZLB_TMP/clients.json")
zlb_log "longest wait for an echo: $gap s"
zlb_check "no segment of the streams was retransmitted, on either end (retrans: $RETRANS)" \
	test "$RETRANS" = "0 0"

zlb_summary
