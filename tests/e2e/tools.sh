#!/bin/bash
# shellcheck disable=SC2317 # the small predicates are called through expect
# zlb-stat, zlb-ct and zlb-arp against a zon-lb running in the reference
# scenario, with real traffic:
#
#   client ZC 10.0.0.2 --- veth0 10.0.0.1 [zon-lb, ZL] veth2 10.2.0.1 --- 10.2.0.2 server ZS
#
#   service 0: tcp 10.0.0.1:23   -> 10.2.0.2:223  (source 10.2.0.1; takes ICMP echo)
#   service 1: udp 10.0.0.1:5353 -> 10.2.0.2:5300
#
# A TCP connection shows up in zlb-ct with its addresses and state; N UDP
# exchanges grow the service's and the backend's packet counters by
# exactly 2N (N each way); every zlb-ct filter selects what it claims,
# delete and flush remove what they say; zlb-arp add/delete/flush/sync do
# what they say; JSON parses with python3's json module; every bad argument
# gets "TOOL: error: ..." and exit 2; not loaded, another ABI version and
# no privileges give exit 1 with a message saying so.
#
# Then the same links over IPv6 (client fd00::2, fd00::1 [zon-lb]
# fd00:2::1, server fd00:2::2), reloaded with tests/configs/e2e/dual-stack.conf:
# zlb-ct lists IPv6 TCP, UDP and ICMPv6 echo flows as [addr]:port, its
# filters take [addr]:port and IPv6 addresses, delete removes both entries
# of each; zlb-stat shows the IPv6 services and backends; zlb-arp adds,
# lists, deletes and syncs IPv6 neighbours, never multicast ones.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool nc ping python3 ss timeout setpriv bpftool
zlb_require_built
zlb_require_tools
CONF=$ZLB_SRCDIR/tests/configs/e2e/reference.conf

# --- running a tool -----------------------------------------------------------

RC=0

# run TOOL ARGS...: TOOL inside the load balancer's namespace (or here,
# before the topology exists); exit code in RC, output in $ZLB_TMP/out, err.
run() {
	if [ -n "${ZL:-}" ]; then
		timeout 60 ip netns exec "$ZL" "$@" >"$ZLB_TMP/out" 2>"$ZLB_TMP/err"
	else
		timeout 60 "$@" >"$ZLB_TMP/out" 2>"$ZLB_TMP/err"
	fi
	RC=$?
}

# run_full TOOL ARGS...: as run, with stdout on /dev/full (a full disk).
run_full() {
	: >"$ZLB_TMP/out"
	timeout 60 ip netns exec "$ZL" "$@" >/dev/full 2>"$ZLB_TMP/err"
	RC=$?
}

out() { cat "$ZLB_TMP/out"; }
got() { printf 'exit %s; stdout: %s; stderr: %s' "$RC" "$(head -c 2000 "$ZLB_TMP/out")" "$(cat "$ZLB_TMP/err")"; }

expect() { # NAME CONDITION...
	local name=$1
	shift
	if "$@"; then
		zlb_pass "$name"
	else
		zlb_fail "$name" "$(got)"
	fi
}

ok() { [ "$RC" -eq 0 ]; }
rc_is() { [ "$RC" -eq "$1" ]; }
err_has() { grep -qF -- "$1" "$ZLB_TMP/err"; }
out_has() { grep -qF -- "$1" "$ZLB_TMP/out"; }

# text_row CELL...: a line of the last run's text output starts with
# these cells (exactly, whitespace-separated).
text_row() {
	awk -v want="$*" -v n=$# '{ row = $1; for (i = 2; i <= n; i++) row = row " " $i }
		row == want { ok = 1 } END { exit !ok }' "$ZLB_TMP/out"
}

# json EXPR: stdout of the last run parses as JSON, and the python
# expression EXPR over it (as d) is true.
json() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)
' "$ZLB_TMP/out" "$1" 2>>"$ZLB_TMP/err"
}

# json_value EXPR: print EXPR over the JSON stdout of the last run.
json_value() {
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))
' "$ZLB_TMP/out" "$1"
}

# usage_error NAME TOOL ARGS...: exit 2 and "TOOL: error: " with a hint.
usage_error() {
	local name=$1 tool
	shift
	tool=$(basename "$1")
	run "$@"
	if rc_is 2 && grep -q "^$tool: error: .*(try '$tool --help')" "$ZLB_TMP/err" &&
		[ ! -s "$ZLB_TMP/out" ]; then
		zlb_pass "$name: exit 2 with '$(head -n 1 "$ZLB_TMP/err")'"
	else
		zlb_fail "$name: exit 2 with a '$tool: error:' message" "$(got)"
	fi
}

# --- traffic ------------------------------------------------------------------

# udp_stream SECONDS: one datagram every 40 ms (answers not awaited).
udp_stream() {
	timeout 60 ip netns exec "$ZC" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.time() + float(sys.argv[1])
while time.time() < end:
    s.sendto(b"stream", ("10.0.0.1", 5353))
    time.sleep(0.04)
' "$1"
}

# tcp_connect SERVICE BACKEND TAG: nc in the server listening on BACKEND
# port 223, nc in the client connecting to SERVICE port 23, and a line each
# way. Sets CLIENT and SOURCE, the two ends the load balancer joins
# (ADDR:PORT, [ADDR]:PORT for IPv6), as the client's and the server's ss
# see them.
tcp_connect() {
	local svc=$1 be=$2 tag=$3
	zlb_nc_server "$ZS" "$be" 223 "srv$tag"
	zlb_nc_client "$ZC" "$svc" 23 "cli$tag"
	zlb_wait_for -t 10 zlb_tcp_connected "$ZC" "$svc" 23 ||
		zlb_die "no TCP connection to $(zlb_addr_port "$svc" 23) through the load balancer: $(cat "$ZLB_TMP/cli$tag.err")"
	zlb_line_crosses "tcp to $svc: a line from the client reaches the server" \
		"cli$tag" "$ZLB_TMP/srv$tag.out" "hello $ZLB_SUFFIX"
	zlb_line_crosses "tcp to $svc: a line from the server reaches the client" \
		"srv$tag" "$ZLB_TMP/cli$tag.out" "hi $ZLB_SUFFIX"
	CLIENT=$(ip netns exec "$ZC" ss -Htn state established '( dport = :23 )' |
		awk -v p="$(zlb_addr_port "$svc" 23)" '$4 == p { print $3 }')
	SOURCE=$(ip netns exec "$ZS" ss -Htn state established '( sport = :223 )' |
		awk -v p="$(zlb_addr_port "$be" 223)" '$3 == p { print $4 }')
	echo "tcp to $(zlb_addr_port "$svc" 23): client $CLIENT, the server sees $SOURCE"
}

# --- before anything is loaded --------------------------------------------------

zlb_tmpdir

for t in "$STAT" "$CT" "$ARP"; do
	n=$(basename "$t")
	run "$t" --help
	expect "$n --help exits 0 and prints Usage" eval 'ok && out_has "Usage: $n"'
	run "$t" --version
	expect "$n --version prints the version and the ABI" eval 'ok && out_has "map ABI"'
	usage_error "$n --no-such-option" "$t" --no-such-option
	usage_error "$n --pin-dir without a directory" "$t" --pin-dir
	# getopt stays on a cluster whose unknown letter is not its last:
	# the element before it was named (here the pin directory).
	usage_error "$n -xj" "$t" --pin-dir "$ZLB_TMP/none/zon-lb" -xj
	expect "$n -xj names -x" err_has "unknown option '-x'"
	usage_error "$n --json=1" "$t" --pin-dir "$ZLB_TMP/none/zon-lb" --json=1
	expect "$n --json=1: --json takes no argument" err_has "option '--json' takes no argument"
	run "$t" --pin-dir "$ZLB_TMP/none/zon-lb"
	expect "$n without zon-lb loaded: exit 1, says it is not loaded" \
		eval 'rc_is 1 && err_has "$n: error: zon-lb is not loaded"'
	run setpriv --reuid=65534 --regid=65534 --clear-groups "$t" --pin-dir "$ZLB_TMP/none/zon-lb"
	expect "$n as nobody: exit 1, says it needs root" \
		eval 'rc_is 1 && err_has "$n: error: needs root (or CAP_BPF and CAP_NET_ADMIN)"'
done

usage_error "zlb-ct: unknown command" "$CT" frobnicate
usage_error "zlb-ct: a second command" "$CT" list count
usage_error "zlb-ct: bad --addr" "$CT" list --addr 10.0.0.256
usage_error "zlb-ct: bad IPv6 --addr" "$CT" list --addr fd00::g
usage_error "zlb-ct: bad --port" "$CT" list --port 65536
usage_error "zlb-ct: bad --proto" "$CT" count --proto sctp
usage_error "zlb-ct: bad --state" "$CT" list --state listening
usage_error "zlb-ct: bad --service" "$CT" list --service 10.0.0.1
usage_error "zlb-ct: --service with a bad port" "$CT" list --service 10.0.0.1:http
usage_error "zlb-ct: --service with an IPv6 address without brackets" "$CT" list --service fd00::1:23
usage_error "zlb-ct: --service [IPv6] without a port" "$CT" list --service '[fd00::1]'
usage_error "zlb-ct: --service [IPv6]:PORT with a bad port" "$CT" list --service '[fd00::1]:65536'
usage_error "zlb-ct: --service with a bad IPv6 address" "$CT" list --service '[fd00::g]:23'
usage_error "zlb-ct: --service id out of range" "$CT" list --service 1024
usage_error "zlb-ct: --addr without a value" "$CT" list --addr
usage_error "zlb-ct: delete without a filter" "$CT" delete
usage_error "zlb-ct: flush with a filter" "$CT" flush --proto tcp
# A second value of a filter replaced the first: delete --proto tcp
# --proto udp deleted the UDP flows, where every filter must match.
usage_error "zlb-ct: --proto given twice" "$CT" delete --proto tcp --proto udp
usage_error "zlb-ct: --port given twice" "$CT" count --port 1 --port 2
usage_error "zlb-ct: --addr given twice" "$CT" list --addr 10.0.0.2 --addr 10.0.0.3
usage_error "zlb-ct: --state given twice" "$CT" list --state syn --state udp
usage_error "zlb-ct: --service ID given twice" "$CT" delete --service 0 --service 1
usage_error "zlb-ct: --service ADDR:PORT given twice" "$CT" list --service 10.0.0.1:23 --service 10.0.0.1:24
usage_error "zlb-arp: unknown command" "$ARP" show
usage_error "zlb-arp: add with a bad address" "$ARP" add 10.0.0 02:00:00:00:00:01 dev lo
usage_error "zlb-arp: add with a bad MAC" "$ARP" add 10.0.0.9 02:00:00:00:00 dev lo
usage_error "zlb-arp: add with a multicast MAC" "$ARP" add 10.0.0.9 01:00:5e:00:00:01 dev lo
usage_error "zlb-arp: add without dev" "$ARP" add 10.0.0.9 02:00:00:00:00:01
usage_error "zlb-arp: add with 'dev' but no interface" "$ARP" add 10.0.0.9 02:00:00:00:00:01 dev
usage_error "zlb-arp: add on an unknown interface" "$ARP" add 10.0.0.9 02:00:00:00:00:01 dev zlbnope0
usage_error "zlb-arp: delete without an address" "$ARP" delete
usage_error "zlb-arp: delete with a bad address" "$ARP" delete fe80::g
usage_error "zlb-arp: delete with a bracketed IPv6 address" "$ARP" delete '[fe80::1]'
usage_error "zlb-arp: add with a bad IPv6 address" "$ARP" add fd00:2::77::1 02:00:00:00:00:01 dev lo
usage_error "zlb-arp: list with an argument" "$ARP" list 10.0.0.1
usage_error "zlb-stat: bad --interval" "$STAT" -i 0
usage_error "zlb-stat: --count without --interval" "$STAT" -c 2
usage_error "zlb-stat: --count above its limit" "$STAT" -i 1 -c 1000000001
expect "zlb-stat: --count above its limit names the range" err_has "expected a number, 1 to 1000000000"
usage_error "zlb-stat: --reset with --interval" "$STAT" --reset -i 1
usage_error "zlb-stat: an operand" "$STAT" services

# --- the reference scenario, loaded -------------------------------------------------

zlb_bpffs_setup
zlb_reference_topology ipv6
out=$ZLB_TMP/load.out
zlb_load_in_lb "$CONF" >"$out" 2>&1 || zlb_die "zlb-load failed: $(cat "$out")"

# Another ABI version: a meta map carrying version 1, pinned elsewhere on
# the same bpffs, of the same size as ours, and of 16 KiB (another ABI may
# have a larger zlb_meta: a lookup into our struct would write past it;
# the tools crashed).
abi=$(sed -n 's/^#define ZLB_ABI_VERSION //p' "$ZLB_SRCDIR/libzlbcommon/zlb_abi.h")
meta_size=$(bpftool map show pinned "$ZLB_BPFFS/zlb_meta" | grep -oE 'value [0-9]+' | cut -d' ' -f2)
for size in "$meta_size" 16384; do
	dir=$(dirname "$ZLB_BPFFS")/abi1-$size
	mkdir -p "$dir"
	zlb_must bpftool map create "$dir/zlb_meta" type array key 4 value "$size" entries 1 name zlb_meta
	# shellcheck disable=SC2046
	zlb_must bpftool map update pinned "$dir/zlb_meta" key 0 0 0 0 value 1 0 0 0 \
		$(for ((i = 4; i < size; i++)); do printf '0 '; done)
	for t in "$STAT" "$CT" "$ARP"; do
		n=$(basename "$t")
		run "$t" --pin-dir "$dir"
		expect "$n on a zlb_meta of $size bytes, ABI version 1: exit 1, names both versions" \
			eval "rc_is 1 && err_has 'carry ABI version 1, this tool speaks version $abi'"
	done
done

# --- zlb-ct: a TCP connection -------------------------------------------------------

tcp_connect 10.0.0.1 10.2.0.2 1
client=$CLIENT
source=$SOURCE

run "$CT" -j list
expect "zlb-ct -j list: one TCP flow, client $client, service 10.0.0.1:23, source $source, backend 10.2.0.2:223, established" \
	json "[(f['client'], f['service'], f['source'], f['backend'], f['state']) for f in d if f['proto'] == 'tcp'] == [('$client', '10.0.0.1:23', '$source', '10.2.0.2:223', 'established')]"
expect "zlb-ct: the TCP flow's source is 10.2.0.1 (what the server sees)" eval '[ "${source%:*}" = 10.2.0.1 ]'
expect "zlb-ct: the established flow expires in (900 - a few) seconds, service 0, backend 0" \
	json "[(895 <= f['expires'] <= 900, f['service_id'], f['backend_id']) for f in d if f['proto'] == 'tcp'] == [(True, 0, 0)]"
run "$CT" list
expect "zlb-ct list (text): a header and the TCP flow's line" \
	eval 'out_has "PROTO" && grep -qE "^tcp +$client +10\.0\.0\.1:23 +$source +10\.2\.0\.2:223 +established +[0-9]+ " "$ZLB_TMP/out"'
run "$CT"
expect "zlb-ct without a command lists" eval 'ok && grep -q "^tcp .*established" "$ZLB_TMP/out"'

# Output that cannot be written is a failure: a script redirecting a list
# to a full disk got exit 0 and a cut-off (here empty) file.
for cmd in "$CT list" "$CT -j count" "$STAT" "$STAT -j" "$STAT -i 1 -c 2" "$ARP list" \
	"$ARP -j list" "$CT --help"; do
	n=$(basename "${cmd%% *}")
	# shellcheck disable=SC2086 # the command's words
	run_full $cmd
	expect "$(basename "$cmd") >/dev/full: exit 1, says the output could not be written" \
		eval 'rc_is 1 && err_has "$n: error: cannot write the output"'
done

# --- zlb-stat: N UDP exchanges --------------------------------------------------------

N=10
zlb_udp_echo_server "$ZS" 10.2.0.2 5300 echo
run "$STAT" -j
expect "zlb-stat -j parses, with totals, drops, interfaces, services and backends" \
	json "all(k in d for k in ('totals', 'drops', 'interfaces', 'services', 'backends'))"
cp "$ZLB_TMP/out" "$ZLB_TMP/stat-before.json"
answered=$(zlb_udp_exchange 0 "$N")
expect "udp: the client gets all $N answers" eval '[ "$answered" = "$N" ]'
run "$STAT" -j
cp "$ZLB_TMP/out" "$ZLB_TMP/stat-after.json"

# delta SECTION KEY MATCH FIELD: FIELD of the row of SECTION whose KEY is
# MATCH, after minus before.
delta() {
	python3 -c '
import json, sys
b, a = (json.load(open(p)) for p in sys.argv[1:3])
sec, key, match, field = sys.argv[3:7]
row = lambda d: [r for r in d[sec] if str(r[key]) == match][0]
print(row(a)[field] - row(b)[field])
' "$ZLB_TMP/stat-before.json" "$ZLB_TMP/stat-after.json" "$@"
}

d=$(delta services id 1 packets)
expect "zlb-stat: service 1 (udp 10.0.0.1:5353) forwarded exactly 2N = $((2 * N)) packets (got $d)" \
	eval '[ "$d" = $((2 * N)) ]'
d=$(delta services id 1 new_flows)
expect "zlb-stat: service 1 has exactly 1 new flow (got $d)" eval '[ "$d" = 1 ]'
d=$(delta backends backend 10.2.0.2:5300 packets)
expect "zlb-stat: backend 10.2.0.2:5300 forwarded exactly 2N = $((2 * N)) packets (got $d)" \
	eval '[ "$d" = $((2 * N)) ]'
d=$(delta services id 0 packets)
expect "zlb-stat: service 0 (tcp) saw no packet meanwhile (got $d)" eval '[ "$d" = 0 ]'
d=$(delta interfaces dev veth2 fwd_packets)
expect "zlb-stat: N = $N packets forwarded out of veth2 (to the backend; got $d)" eval '[ "$d" = "$N" ]'
d=$(delta interfaces dev veth0 fwd_packets)
expect "zlb-stat: N = $N packets forwarded out of veth0 (to the client; got $d)" eval '[ "$d" = "$N" ]'
expect "zlb-stat: the service row names 10.0.0.1:5353 udp with its 1 backend" \
	json "[(s['service'], s['proto'], s['backends'], s['icmp_echo']) for s in d['services'] if s['id'] == 1] == [('10.0.0.1:5353', 'udp', 1, 'no')]"
expect "zlb-stat: interfaces veth0 and veth2 in native mode, with the driver's XDP counters" \
	json "sorted((i['dev'], i['xdp_mode'], type(i['xdp_drops']), type(i['xdp_tx_errors'])) for i in d['interfaces']) == [('veth0', 'native', int, int), ('veth2', 'native', int, int)]"
expect "zlb-stat: totals has every counter of the data plane, drops the drop_* ones" \
	json "len(d['totals']) == $(grep -c '^	ZLB_C_[A-Z0-9_]*,' "$ZLB_SRCDIR/libzlbcommon/zlb_abi.h") and all(d['totals']['drop_' + k] == v for k, v in d['drops'].items())"
run "$STAT"
expect "zlb-stat (text): its five sections" \
	eval 'ok && out_has "Totals:" && out_has "Interfaces:" && out_has "Services:" && out_has "Backends:" && out_has "Drops:"'
expect "zlb-stat (text): the UDP service's line" eval 'grep -qE "^ *1 +10\.0\.0\.1:5353 +udp +no +1 +[0-9]+ " "$ZLB_TMP/out"'
run "$STAT" -p
expect "zlb-stat -p: indented JSON that parses" eval 'json "len(d[\"services\"]) == 2" && grep -q "^    \"totals\": {" "$ZLB_TMP/out"'

# Rates: a stream of datagrams while zlb-stat -i 1 -c 2 samples.
udp_stream 3 &
zlb_track_pid $!
sleep 0.5
run "$STAT" -j -i 1 -c 2
wait $! 2>/dev/null
expect "zlb-stat -j -i 1 -c 2: two JSON lines" eval 'ok && [ "$(wc -l <"$ZLB_TMP/out")" = 2 ]'
if python3 -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    s = [r for r in d["services_per_s"] if r["id"] == 1][0]
    b = [r for r in d["backends_per_s"] if r["service_id"] == 1][0]
    assert d["interval"] == 1, d
    # Frames of 48 (request) and 53 bytes (answer): bits are 8 x bytes.
    pps = s["packets_per_s"]
    assert pps > 0 and 8 * 40 * (pps - 1) <= s["bits_per_s"] <= 8 * 60 * (pps + 1), s
    assert b["packets_per_s"] > 0, b
    assert "rx" in d["totals_per_s"] and "no_neigh" in d["drops_per_s"], d
' "$ZLB_TMP/out" 2>"$ZLB_TMP/err"; then
	zlb_pass "zlb-stat -i: each report has packets/s and bits/s of the UDP service and backend"
else
	zlb_fail "zlb-stat -i: each report has packets/s and bits/s of the UDP service and backend" "$(got)"
fi
run "$STAT" -i 1 -c 1
expect "zlb-stat -i 1 -c 1 (text): per-second sections" \
	eval 'ok && out_has "Services per second:" && out_has "PKTS/S" && out_has "BITS/S" && out_has "FLOWS/S"'

run "$STAT" --reset
expect "zlb-stat --reset exits 0 and prints nothing" eval 'ok && [ ! -s "$ZLB_TMP/out" ]'
run "$STAT" -j
expect "zlb-stat after --reset: service, backend and forward counters are 0" \
	json "all(r['packets'] == r['bytes'] == r['new_flows'] == 0 for r in d['services'] + d['backends']) and d['totals']['forward'] == 0 and all(i['fwd_packets'] == 0 for i in d['interfaces'])"

# --- zlb-ct: filters, delete, flush -----------------------------------------------------

# The TCP flow is still there; add UDP flows from ports 40001 and 40002 and
# an ICMP echo flow.
run "$CT" flush
for p in 40001 40002; do
	a=$(zlb_udp_exchange "$p" 1)
	[ "$a" = 1 ] || zlb_die "no answer to a datagram from port $p"
done
zlb_ping "$ZC" 10.0.0.1 || zlb_die "the client cannot ping 10.0.0.1"
# The TCP flow went with the flush: a new segment of it is dropped, so make
# a new connection.
zlb_kill_tracked
tcp_connect 10.0.0.1 10.2.0.2 2
client=$CLIENT

run "$CT" -j list
expect "zlb-ct: four flows: tcp $client, udp from 40001 and 40002, icmp" \
	json "sorted((f['proto'], f['client']) for f in d if f['proto'] != 'icmp') == [('tcp', '$client'), ('udp', '10.0.0.2:40001'), ('udp', '10.0.0.2:40002')] and len(d) == 4"

# selects NAME PROJECTION EXPECTED FILTERS...: list and count with FILTERS
# select exactly the flows EXPECTED, a sorted python list of PROJECTION
# (an expression over a flow f of the JSON list).
selects() {
	local name=$1 projection=$2 want=$3 n
	shift 3
	run "$CT" -j list "$@"
	expect "zlb-ct list $* selects $name" json "sorted($projection for f in d) == $want"
	n=$(json_value "len(d)")
	run "$CT" count "$@"
	expect "zlb-ct count $* = $n" eval 'ok && [ "$(out)" = "$n" ]'
}

# filter NAME EXPECTED FILTERS...: the flows EXPECTED as (proto, client
# port) pairs, port None for icmp.
filter() {
	selects "$1" "(f['proto'], None if f['proto'] == 'icmp' else int(f['client'].split(':')[1]))" "${@:2}"
}

cport=${client##*:}
filter "the TCP flow" "[('tcp', $cport)]" --proto tcp
filter "the two UDP flows" "[('udp', 40001), ('udp', 40002)]" --proto udp
filter "the ICMP flow" "[('icmp', None)]" --proto icmp
filter "the flow from port 40001" "[('udp', 40001)]" --port 40001
filter "the TCP flow (backend port 223)" "[('tcp', $cport)]" --port 223
filter "the UDP flows (service port 5353)" "[('udp', 40001), ('udp', 40002)]" --port 5353
filter "service 1's flows" "[('udp', 40001), ('udp', 40002)]" --service 1
filter "service 0's flows (tcp and icmp echo)" "[('icmp', None), ('tcp', $cport)]" --service 0
filter "the flows to 10.0.0.1:5353" "[('udp', 40001), ('udp', 40002)]" --service 10.0.0.1:5353
filter "the flows to 10.0.0.1:23" "[('tcp', $cport)]" --service 10.0.0.1:23
filter "the established flow" "[('tcp', $cport)]" --state established
filter "the UDP-state flows" "[('udp', 40001), ('udp', 40002)]" --state udp
filter "no flow in syn" "[]" --state syn
filter "every flow (client address)" "[('icmp', None), ('tcp', $cport), ('udp', 40001), ('udp', 40002)]" --addr 10.0.0.2
filter "every flow (backend address)" "[('icmp', None), ('tcp', $cport), ('udp', 40001), ('udp', 40002)]" --addr 10.2.0.2
filter "every flow (source address)" "[('icmp', None), ('tcp', $cport), ('udp', 40001), ('udp', 40002)]" --addr 10.2.0.1
filter "no flow of 10.9.9.9" "[]" --addr 10.9.9.9
filter "udp and port 40002" "[('udp', 40002)]" --proto udp --port 40002
filter "tcp and port 40002: none" "[]" --proto tcp --port 40002
filter "service 1 and 10.0.0.1:5353" "[('udp', 40001), ('udp', 40002)]" --service 1 --service 10.0.0.1:5353
filter "service 0 and 10.0.0.1:5353: none" "[]" --service 0 --service 10.0.0.1:5353

run "$CT" -j count
expect "zlb-ct -j count: 4 flows, and the tables' sizes from the maps" \
	json "d == {'flows': 4, 'table_size': $(zlb_map_max_entries zlb_conntrack4), 'table_size_ipv6': $(zlb_map_max_entries zlb_conntrack)}"
# entries in both connection tables (IPv4 and IPv6)
entries() {
	local t n=0
	for t in zlb_conntrack4 zlb_conntrack; do
		n=$((n + $(bpftool map dump pinned "$ZLB_BPFFS/$t" -j | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')))
	done
	echo $n
}
before=$(entries)
run "$CT" -j delete --port 40001
expect "zlb-ct delete --port 40001: one flow, both entries" json "d == {'flows': 1, 'entries': 2}"
expect "zlb-ct delete: two entries fewer in the table ($before before)" eval '[ "$(entries)" = $((before - 2)) ]'
filter "the UDP flow left after delete" "[('udp', 40002)]" --proto udp
run "$CT" delete --state syn
expect "zlb-ct delete matching nothing: exit 0, deleted 0 flows" eval 'ok && out_has "deleted 0 flows (0 entries)"'
run "$CT" -j flush
expect "zlb-ct flush: every entry deleted" json "d == {'entries': $((before - 2))}"
run "$CT" count
expect "zlb-ct count after flush: 0" eval 'ok && [ "$(out)" = 0 ]'
run "$CT" -j list
expect "zlb-ct -j list after flush: []" json "d == []"
expect "the table is empty after flush" eval '[ "$(entries)" = 0 ]'

# --- zlb-arp ----------------------------------------------------------------------

run "$ARP" -j list
expect "zlb-arp -j list parses: zlb-load's entry for the backend 10.2.0.2 on veth2" \
	json "[(e['dev'], e['flags']) for e in d if e['address'] == '10.2.0.2'] == [('veth2', 'static')]"
run "$ARP" add 10.2.0.77 02:00:00:00:00:77 dev veth2
expect "zlb-arp add exits 0" ok
run "$ARP" -j list
expect "zlb-arp list: 10.2.0.77 -> 02:00:00:00:00:77 on veth2, static, age 0" \
	json "[(e['mac'], e['dev'], e['flags'], e['age']) for e in d if e['address'] == '10.2.0.77'] == [('02:00:00:00:00:77', 'veth2', 'static', 0)]"
run "$ARP" list
expect "zlb-arp list (text): the entry's line" \
	eval 'grep -qE "^10\.2\.0\.77 +02:00:00:00:00:77 +veth2 +[0-9]+ +0 +static$" "$ZLB_TMP/out"'
run "$ARP" add 10.2.0.77 02:00:00:00:00:78 dev veth2
run "$ARP" -j list
expect "zlb-arp add replaces the MAC of an address" \
	json "[e['mac'] for e in d if e['address'] == '10.2.0.77'] == ['02:00:00:00:00:78']"
run "$ARP" add 10.2.0.78 02:00:00:00:00:78 dev lo
expect "zlb-arp add on an interface zon-lb does not use: exit 1, says so" \
	eval 'rc_is 1 && err_has "lo is not one of zon-lb'"'"'s interfaces"'
run "$ARP" delete 10.2.0.77
expect "zlb-arp delete exits 0" ok
run "$ARP" -j list
expect "zlb-arp delete: 10.2.0.77 is gone" json "not [e for e in d if e['address'] == '10.2.0.77']"
run "$ARP" delete 10.2.0.77
expect "zlb-arp delete of a missing entry: exit 1, says so" \
	eval 'rc_is 1 && err_has "zlb-arp: error: delete: no entry for 10.2.0.77"'
run "$ARP" -j flush
expect "zlb-arp flush exits 0 and says how many went" json "d['deleted'] >= 1"
run "$ARP" -j list
expect "zlb-arp list after flush: []" json "d == []"

# sync: the load balancer pings the client, so its kernel knows the
# client's MAC; sync copies it.
zlb_ping "$ZL" 10.0.0.2 || zlb_die "the load balancer cannot ping the client"
mac=$(ip -n "$ZC" -j link show veth1 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
run "$ARP" -j sync
expect "zlb-arp sync: copies at least the client's entry" json "d['synced'] >= 1"
run "$ARP" -j list
expect "zlb-arp sync: 10.0.0.2 -> $mac on veth0, static" \
	json "[(e['mac'], e['dev'], e['flags']) for e in d if e['address'] == '10.0.0.2'] == [('$mac', 'veth0', 'static')]"
run "$ARP" -j list
expect "zlb-arp sync copies only zon-lb's interfaces' neighbours" \
	json "all(e['dev'] in ('veth0', 'veth2') for e in d)"

# The pins seen from another namespace, whose interfaces of veth0's and
# veth2's indexes (zxa, zxb) know 10.2.0.2 at another MAC: sync copied
# those neighbours into zon-lb's cache, and add took zxb for veth2.
zlb_netns_add zx
ZX=$ZLB_NETNS_NAME
i0=$(ip -n "$ZL" -j link show veth0 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])')
i2=$(ip -n "$ZL" -j link show veth2 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["ifindex"])')
zlb_must ip -n "$ZX" link add zxa index "$i0" type veth peer name zxb index "$i2"
for d in zxa zxb; do
	zlb_must ip -n "$ZX" link set "$d" up
	zlb_must ip -n "$ZX" neigh add 10.2.0.2 lladdr 02:00:00:00:00:99 dev "$d" nud permanent
done
ZL=$ZX run "$ARP" sync
expect "zlb-arp sync in another namespace: exit 1, says zon-lb's interfaces are not there" \
	eval 'rc_is 1 && err_has "zlb-arp: error: sync: none of zon-lb'"'"'s interfaces is here"'
ZL=$ZX run "$ARP" add 10.2.0.79 02:00:00:00:00:79 dev zxb
expect "zlb-arp add in another namespace, on an interface of veth2's index: exit 1" \
	eval 'rc_is 1 && err_has "zxb is not one of zon-lb'"'"'s interfaces"'
run "$ARP" -j list
expect "zlb-arp: nothing of the other namespace reached the cache" \
	json "not [e for e in d if e['mac'] in ('02:00:00:00:00:99', '02:00:00:00:00:79')]"
# zlb-stat there named zxa and zxb as zon-lb's interfaces: it names none,
# says why, and still shows their traffic from the maps.
ZL=$ZX run "$STAT" -j
expect "zlb-stat in another namespace: names none of the interfaces there" \
	json "sorted((i['dev'], i['ifindex']) for i in d['interfaces']) == sorted([(None, $i0), (None, $i2)])"
expect "zlb-stat in another namespace: still their traffic" \
	json "sum(i['rx_packets'] for i in d['interfaces']) > 0"
expect "zlb-stat in another namespace: warns that they are not in this one" \
	err_has "2 of zon-lb's interfaces are not in this network namespace"
run "$STAT" -j
expect "zlb-stat in zon-lb's namespace: names veth0 and veth2" \
	json "sorted(i['dev'] for i in d['interfaces']) == ['veth0', 'veth2']"

# --- IPv6: zlb-ct and zlb-stat ---------------------------------------------------------

# The links carry IPv6 too (client fd00::2, load balancer fd00::1 and
# fd00:2::1, server fd00:2::2); a reload adds the IPv6 services of
# dual-stack.conf: 1, tcp fd00::1:23 -> fd00:2::2:223 (source fd00:2::1,
# takes ICMPv6 echo), and 3, udp fd00::1:5353 -> fd00:2::2:5300.
zlb_load_in_lb "$ZLB_SRCDIR/tests/configs/e2e/dual-stack.conf" >"$out" 2>&1 ||
	zlb_die "zlb-load of the dual-stack services failed: $(cat "$out")"

run "$CT" flush
zlb_udp_echo_server "$ZS" fd00:2::2 5300 echo6
a=$(zlb_udp_exchange 40003 "$N" fd00::2 fd00::1)
expect "udp over IPv6: the client gets all $N answers" eval '[ "$a" = "$N" ]'
zlb_ping "$ZC" fd00::1 || zlb_die "the client cannot ping fd00::1"
tcp_connect fd00::1 fd00:2::2 6
client6=$CLIENT
source6=$SOURCE

run "$CT" -j list
expect "zlb-ct -j list: the IPv6 TCP flow, client $client6, service [fd00::1]:23, source $source6, backend [fd00:2::2]:223, established" \
	json "[(f['client'], f['service'], f['source'], f['backend'], f['state'], f['service_id']) for f in d if f['proto'] == 'tcp'] == [('$client6', '[fd00::1]:23', '$source6', '[fd00:2::2]:223', 'established', 1)]"
expect "zlb-ct: the IPv6 TCP flow's source is [fd00:2::1] (what the server sees)" eval '[ "${source6%:*}" = "[fd00:2::1]" ]'
expect "zlb-ct -j list: the IPv6 UDP flow from [fd00::2]:40003 to [fd00::1]:5353, backend [fd00:2::2]:5300, from [fd00:2::1]" \
	json "[(f['client'], f['service'], f['source'].rsplit(':', 1)[0], f['backend'], f['service_id']) for f in d if f['proto'] == 'udp'] == [('[fd00::2]:40003', '[fd00::1]:5353', '[fd00:2::1]', '[fd00:2::2]:5300', 3)]"
expect "zlb-ct -j list: the ICMPv6 echo flow of service 1, state icmp" \
	json "[(f['client'].split(']')[0], f['backend'].split(']')[0], f['state'], f['service_id']) for f in d if f['proto'] == 'icmpv6'] == [('[fd00::2', '[fd00:2::2', 'icmp', 1)]"
expect "zlb-ct -j list: three flows, all IPv6" json "len(d) == 3 and all(f['client'].startswith('[') for f in d)"
run "$CT" list
expect "zlb-ct list (text): the IPv6 TCP flow's line" \
	text_row tcp "$client6" "[fd00::1]:23" "$source6" "[fd00:2::2]:223" established

# filter6 NAME EXPECTED FILTERS...: the IPv6 flows EXPECTED by protocol.
filter6() {
	selects "$1" "f['proto']" "${@:2}"
}

filter6 "the flows to [fd00::1]:5353" "['udp']" --service '[fd00::1]:5353'
filter6 "the flows to [fd00::1]:23" "['tcp']" --service '[fd00:0::1]:23'
filter6 "service 1's flows (tcp and ICMPv6 echo)" "['icmpv6', 'tcp']" --service 1
filter6 "every IPv6 flow (client address)" "['icmpv6', 'tcp', 'udp']" --addr fd00::2
filter6 "every IPv6 flow (backend address, written long)" "['icmpv6', 'tcp', 'udp']" --addr fd00:2:0:0:0:0:0:2
filter6 "every IPv6 flow (source address)" "['icmpv6', 'tcp', 'udp']" --addr fd00:2::1
filter6 "the ICMPv6 echo flow" "['icmpv6']" --proto icmpv6
filter6 "no ICMP (IPv4) echo flow" "[]" --proto icmp
filter6 "no IPv6 flow for an IPv4 address" "[]" --addr 10.0.0.2
filter6 "no flow to 10.0.0.1:23" "[]" --service 10.0.0.1:23

run "$STAT" -j
expect "zlb-stat: service 1 is [fd00::1]:23 tcp, takes ICMPv6 echo, 1 backend; service 3 [fd00::1]:5353 udp" \
	json "[(s['id'], s['service'], s['proto'], s['icmp_echo'], s['backends']) for s in d['services'] if s['id'] in (1, 3)] == [(1, '[fd00::1]:23', 'tcp', 'yes', 1), (3, '[fd00::1]:5353', 'udp', 'no', 1)]"
expect "zlb-stat: backend [fd00:2::2]:5300 of service 3 forwarded the 2N = $((2 * N)) UDP packets" \
	json "[(b['service_id'], b['packets'] >= $((2 * N))) for b in d['backends'] if b['backend'] == '[fd00:2::2]:5300'] == [(3, True)]"
run "$STAT"
expect "zlb-stat (text): the IPv6 services' lines" \
	eval 'grep -qE "^ *1 +\[fd00::1\]:23 +tcp +yes +1 +[0-9]+ " "$ZLB_TMP/out" && grep -qE "^ *3 +\[fd00::1\]:5353 +udp +no +1 +[0-9]+ " "$ZLB_TMP/out"'
expect "zlb-stat (text): the IPv6 backends' lines" \
	eval 'grep -qE "^ *[0-9]+ +1 +\[fd00:2::2\]:223 +1 +[0-9]+ " "$ZLB_TMP/out" && grep -qE "^ *[0-9]+ +3 +\[fd00:2::2\]:5300 +1 +[0-9]+ " "$ZLB_TMP/out"'

before=$(entries)
run "$CT" -j delete --addr fd00::2
expect "zlb-ct delete --addr fd00::2: the three IPv6 flows, both entries each" json "d == {'flows': 3, 'entries': 6}"
expect "zlb-ct delete: six entries fewer in the table ($before before)" eval '[ "$(entries)" = $((before - 6)) ]'
run "$CT" -j list
expect "zlb-ct list after delete: no IPv6 flow left" json "not [f for f in d if f['client'].startswith('[')]"
zlb_kill_tracked

# --- IPv6: zlb-arp ------------------------------------------------------------------

run "$ARP" add fd00:2:0:0::77 02:00:00:00:00:77 dev veth2
expect "zlb-arp add of an IPv6 neighbour exits 0" ok
run "$ARP" -j list
expect "zlb-arp list: fd00:2::77 (compressed) -> 02:00:00:00:00:77 on veth2, static, age 0" \
	json "[(e['mac'], e['dev'], e['flags'], e['age']) for e in d if e['address'] == 'fd00:2::77'] == [('02:00:00:00:00:77', 'veth2', 'static', 0)]"
run "$ARP" list
expect "zlb-arp list (text): the IPv6 entry's line" \
	eval 'grep -qE "^fd00:2::77 +02:00:00:00:00:77 +veth2 +[0-9]+ +0 +static$" "$ZLB_TMP/out"'
run "$ARP" add 10.2.0.77 02:00:00:00:00:79 dev veth2
run "$ARP" add fd00:2::77 02:00:00:00:00:78 dev veth2
run "$ARP" -j list
expect "zlb-arp add replaces the MAC of an IPv6 address; the IPv4 entry beside it stays" \
	json "sorted((e['address'], e['mac']) for e in d if e['address'] in ('fd00:2::77', '10.2.0.77')) == [('10.2.0.77', '02:00:00:00:00:79'), ('fd00:2::77', '02:00:00:00:00:78')]"
run "$ARP" delete fd00:2::77
expect "zlb-arp delete of an IPv6 neighbour exits 0" ok
run "$ARP" -j list
expect "zlb-arp delete: fd00:2::77 is gone, 10.2.0.77 is not" \
	json "[e['address'] for e in d if e['address'] in ('fd00:2::77', '10.2.0.77')] == ['10.2.0.77']"
run "$ARP" delete fd00:2::77
expect "zlb-arp delete of a missing IPv6 entry: exit 1, says so" \
	eval 'rc_is 1 && err_has "zlb-arp: error: delete: no entry for fd00:2::77"'
run "$ARP" delete 10.2.0.77

# sync: the load balancer pings the client's and the server's IPv6
# addresses, so its kernel knows their MACs by neighbour discovery; sync
# copies them with the IPv4 ones, and no multicast entry (the kernel has
# some: ff02::2, ff02::16, solicited-node groups).
zlb_ping "$ZL" fd00::2 || zlb_die "the load balancer cannot ping fd00::2"
zlb_ping "$ZL" fd00:2::2 || zlb_die "the load balancer cannot ping fd00:2::2"
smac=$(ip -n "$ZS" -j link show veth3 | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["address"])')
run "$ARP" -j flush
run "$ARP" -j sync
expect "zlb-arp sync: copies the IPv4 and IPv6 neighbours (at least 3)" json "d['synced'] >= 3"
run "$ARP" -j list
expect "zlb-arp sync: fd00::2 -> $mac on veth0 and fd00:2::2 -> $smac on veth2, static" \
	json "sorted((e['address'], e['mac'], e['dev'], e['flags']) for e in d if e['address'] in ('fd00::2', 'fd00:2::2')) == [('fd00:2::2', '$smac', 'veth2', 'static'), ('fd00::2', '$mac', 'veth0', 'static')]"
expect "zlb-arp sync: the IPv4 neighbour 10.0.0.2 too" \
	json "[e['mac'] for e in d if e['address'] == '10.0.0.2'] == ['$mac']"
expect "zlb-arp sync: no multicast address and no group MAC" \
	json "all(not e['address'].startswith('ff') and int(e['mac'][:2], 16) & 1 == 0 for e in d)"
expect "zlb-arp sync of IPv6 copies only zon-lb's interfaces' neighbours" \
	json "all(e['dev'] in ('veth0', 'veth2') for e in d)"

# A link-local address is a neighbour on both interfaces (two routers,
# each fe80::99 on its own link): the cache has one entry an address, the
# count says what it wrote, and a warning says which one was kept.
zlb_must ip -n "$ZL" neigh add fe80::99 lladdr 02:00:00:00:00:a0 dev veth0 nud permanent
zlb_must ip -n "$ZL" neigh add fe80::99 lladdr 02:00:00:00:00:a2 dev veth2 nud permanent
run "$ARP" -j flush
run "$ARP" -j sync
synced=$(json_value "d['synced']")
# (which comes last is the kernel's dump order)
kept=$(sed -n "s/.*fe80::99 is a neighbour on veth[02] and on veth[02]: the cache keeps one entry an address, \(veth[02]\)'s$/\1/p" "$ZLB_TMP/err")
expect "zlb-arp sync of an address on two interfaces: warns which one the cache keeps" [ -n "$kept" ]
run "$ARP" -j list
expect "zlb-arp sync of an address on two interfaces: one entry, the one it named (${kept:-none})" \
	json "[(e['mac'], e['dev']) for e in d if e['address'] == 'fe80::99'] == [('02:00:00:00:00:a' + '${kept:-x}'[-1], '${kept:-x}')]"
expect "zlb-arp sync: the count ($synced) is the static entries it wrote" \
	json "len([e for e in d if e['flags'] == 'static']) == ${synced:-0}"
zlb_must ip -n "$ZL" neigh del fe80::99 dev veth0
zlb_must ip -n "$ZL" neigh del fe80::99 dev veth2

zlb_summary
