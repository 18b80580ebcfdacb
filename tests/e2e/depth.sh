#!/bin/bash
# The data plane beyond the reference scenario, end to end:
# - default offloads: veth senders with tx-checksumming on (partial
#   checksums) -- TCP and UDP work, the data plane completes the checksums;
# - two clients using the same source port at once both work;
# - an ICMP port unreachable from the backend reaches the client as if the
#   service had sent it (the client's connected UDP socket sees ECONNREFUSED);
# - draining a backend (weight 0) keeps its established connection, while new
#   connections go to the other backend.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool nc python3 ss timeout bpftool
zlb_require_built

CONFS=$ZLB_SRCDIR/tests/configs/e2e

# counter INDEX: a global counter of the data plane, summed over CPUs,
# read from the map itself (zlb_stats: one per-CPU entry, struct
# zlb_counters).
counter() {
	bpftool -j map dump pinned "$ZLB_BPFFS/zlb_stats" | python3 -c '
import json, sys
i = int(sys.argv[1])
print(sum(c["value"]["c"][i] for e in json.load(sys.stdin) for c in e["formatted"]["values"]))' "$1"
}

# counter_index NAME: its index, from the ABI header's name list.
counter_index() {
	sed -n '/ZLB_COUNTER_NAMES/,/^}/p' "$ZLB_SRCDIR/libzlbcommon/zlb_abi.h" |
		grep -o '"[a-z_]*"' | tr -d '"' | grep -nx "$1" | cut -d: -f1 |
		awk '{ print $1 - 1 }'
}

# tcp_echo_server NS ADDR PORT TAG: answers each line with "echo:" + line,
# on any number of connections; logs "PEER_ADDR PEER_PORT" per connection.
tcp_echo_server() {
	: >"$ZLB_TMP/$4.log"
	ip netns exec "$1" python3 -c '
import socket, sys, threading
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((sys.argv[1], int(sys.argv[2])))
srv.listen(64)
srv.settimeout(60)
log = open(sys.argv[3], "a")
def serve(c, peer):
    log.write("%s %d\n" % peer); log.flush()
    f = c.makefile("rwb", buffering=0)
    for line in f:
        f.write(b"echo:" + line)
for _ in range(64):
    try:
        c, peer = srv.accept()
    except socket.timeout:
        break
    threading.Thread(target=serve, args=(c, peer), daemon=True).start()
' "$2" "$3" "$ZLB_TMP/$4.log" 2>"$ZLB_TMP/$4.err" &
	zlb_track_pid $!
	zlb_wait_for zlb_tcp_listening "$1" "$2" "$3" ||
		zlb_die "TCP echo server did not listen on $2:$3 in $1"
}

zlb_tmpdir
zlb_bpffs_setup
zlb_reference_topology
# A second client address and a second backend address.
zlb_must ip -n "$ZC" addr add 10.0.0.3/24 dev veth1
zlb_must ip -n "$ZS" addr add 10.2.0.3/24 dev veth3
# Default offloads: the senders leave partial checksums.
zlb_must ip netns exec "$ZC" ethtool -K veth1 tx on
zlb_must ip netns exec "$ZS" ethtool -K veth3 tx on

out=$ZLB_TMP/load.out
if ! zlb_load_in_lb "$CONFS/depth.conf" >"$out" 2>&1; then
	zlb_fail "zlb-load loads depth.conf" "$(cat "$out")"
	zlb_summary
fi
zlb_pass "zlb-load loads depth.conf"
completed_idx=$(counter_index csum_completed)
completed0=$(counter "$completed_idx")

tcp_echo_server "$ZS" 10.2.0.2 223 be1
tcp_echo_server "$ZS" 10.2.0.3 223 be2

# Two clients, one source port, at the same time.
_zlb_nc_start "$ZC" a -s 10.0.0.2 -p 40000 10.0.0.1 23
_zlb_nc_start "$ZC" b -s 10.0.0.3 -p 40000 10.0.0.1 23
zlb_nc_send a "hello from a"
zlb_nc_send b "hello from b"
zlb_check "same source port: client 10.0.0.2:40000 gets its own answer" \
	zlb_wait_for -t 15 zlb_file_has "$ZLB_TMP/a.out" "echo:hello from a"
zlb_check "same source port: client 10.0.0.3:40000 gets its own answer" \
	zlb_wait_for -t 15 zlb_file_has "$ZLB_TMP/b.out" "echo:hello from b"
if grep -q "hello from b" "$ZLB_TMP/a.out" || grep -q "hello from a" "$ZLB_TMP/b.out"; then
	zlb_fail "same source port: no answer reaches the other client" \
		"a: $(cat "$ZLB_TMP/a.out") b: $(cat "$ZLB_TMP/b.out")"
else
	zlb_pass "same source port: no answer reaches the other client"
fi
peers=$(cat "$ZLB_TMP/be1.log" "$ZLB_TMP/be2.log" | awk '$1 == "10.2.0.1"' | sort -u | wc -l)
if [ "$peers" -eq 2 ]; then
	zlb_pass "the backends see two connections from 10.2.0.1 on two ports"
else
	zlb_fail "the backends see two connections from 10.2.0.1 on two ports" \
		"$(cat "$ZLB_TMP/be1.log" "$ZLB_TMP/be2.log")"
fi
completed1=$(counter "$completed_idx")
if [ "$completed1" -gt "$completed0" ]; then
	zlb_pass "partial checksums of the veth senders were completed ($((completed1 - completed0)))"
else
	zlb_fail "partial checksums of the veth senders were completed" "csum_completed $completed0 -> $completed1"
fi

# UDP with default offloads, and a port unreachable translated back.
zlb_udp_echo_server "$ZS" 10.2.0.2 5300 udp
reply=$(zlb_udp_ask "$ZC" 10.0.0.1 5353 "partial")
zlb_check "udp with tx-checksumming on: the answer comes from 10.0.0.1:5353" \
	test "$reply" = "10.0.0.1 5353 echo:partial"
zlb_kill_tracked
refused=$(timeout 10 ip netns exec "$ZC" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.connect(("10.0.0.1", 5353))
for _ in range(3):
    try:
        s.send(b"anyone?")
        s.recv(100)
        print("answered"); break
    except ConnectionRefusedError:
        print("refused"); break
    except socket.timeout:
        continue
else:
    print("silence")
')
zlb_check "udp: the backend's port unreachable reaches the client as ECONNREFUSED" \
	test "$refused" = refused

# Drain: the connection on the drained backend lives on; new ones avoid it.
tcp_echo_server "$ZS" 10.2.0.2 223 be1
tcp_echo_server "$ZS" 10.2.0.3 223 be2
drained_port=""
for port in $(seq 41000 41015); do
	_zlb_nc_start "$ZC" "c$port" -s 10.0.0.2 -p "$port" 10.0.0.1 23
	zlb_nc_send "c$port" "who"
	zlb_wait_for zlb_file_has "$ZLB_TMP/c$port.out" "echo:who" || continue
	if ip netns exec "$ZS" ss -Htn state established "( sport = :223 )" |
		grep -q "10.2.0.3:223"; then
		drained_port=$port
		break
	fi
	kill "$ZLB_NC_PID" 2>/dev/null
done
if [ -z "$drained_port" ]; then
	zlb_fail "a connection lands on 10.2.0.3" "none of 16 client ports did"
	zlb_summary
fi
zlb_pass "a connection lands on 10.2.0.3 (client port $drained_port)"
if zlb_load_in_lb "$CONFS/depth-drain.conf" >"$out" 2>&1; then
	zlb_pass "reload with 10.2.0.3 at weight 0 and a smaller Maglev table"
else
	zlb_fail "reload with 10.2.0.3 at weight 0 and a smaller Maglev table" "$(cat "$out")"
fi
zlb_line_crosses "drain: the connection on the drained backend keeps working" \
	"c$drained_port" "$ZLB_TMP/c$drained_port.out" "still here"
# Count on 10.2.0.3 now; 20 new connections must all go to 10.2.0.2.
before=$(wc -l <"$ZLB_TMP/be2.log")
answered=0
for port in $(seq 42000 42019); do
	_zlb_nc_start "$ZC" "d$port" -s 10.0.0.2 -p "$port" 10.0.0.1 23
	zlb_nc_send "d$port" "new"
	zlb_wait_for zlb_file_has "$ZLB_TMP/d$port.out" "echo:new" && answered=$((answered + 1))
done
after=$(wc -l <"$ZLB_TMP/be2.log")
zlb_check "drain: 20 new connections are answered" test "$answered" -eq 20
if [ "$after" -eq "$before" ]; then
	zlb_pass "drain: none of them reaches the drained 10.2.0.3"
else
	zlb_fail "drain: none of them reaches the drained 10.2.0.3" "10.2.0.3 saw $((after - before))"
fi
zlb_summary
