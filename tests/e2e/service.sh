#!/bin/bash
# shellcheck disable=SC2317 # helpers called through zlb_check, zlb_wait_for and traps
# zlb-load --service, what the systemd unit runs, in the reference scenario.
# systemd need not run: the test listens on NOTIFY_SOCKET itself.
#
# Loaded: READY=1 and a STATUS line, the process keeps the backends' next
# hops resolved, and traffic crosses. SIGHUP with a changed file:
# RELOADING=1 then READY=1, the new service answers and the open connection
# survives; the same after zlb-load is replaced on disk (an upgrade), which
# the reload executes in place. SIGHUP with a broken file, or with pins of
# another map ABI: the error in STATUS, READY=1, the old state serving.
# A crash (SIGKILL): the data plane goes on, and the service started
# again (Restart=on-abnormal) takes it over, the connection kept.
# SIGTERM: STOPPING=1, exit 0, no XDP left, no pins. A first load that
# fails (a broken file, or an interface that refuses the program once the
# maps are pinned): exit 1 without READY=1, and no pins or program left.
# And the unit passes systemd-analyze verify.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool nc python3 ss timeout awk bpftool systemd-analyze
zlb_require_built

CONFS=$ZLB_SRCDIR/tests/configs/e2e
UNIT=$ZLB_BUILDDIR/systemd/zon-lb.service

zlb_tmpdir

# --- the unit ------------------------------------------------------------------

# verify checks that the commands exist: point them at the zlb-load under
# test (the installed unit is verified as it is by package.sh).
if [ -r "$UNIT" ]; then
	sed -E "s|^(Exec[A-Za-z]*=)[^ ]*/zlb-load |\\1$ZLB_LOAD |" "$UNIT" >"$ZLB_TMP/zon-lb.service"
	if out=$(systemd-analyze verify --man=no "$ZLB_TMP/zon-lb.service" 2>&1); then
		zlb_pass "systemd-analyze verify zon-lb.service"
	else
		zlb_fail "systemd-analyze verify zon-lb.service" "$out"
	fi
	# shellcheck disable=SC2016 # a literal $MAINPID
	if grep -qx 'Type=notify' "$UNIT" &&
		grep -q '^ExecStart=.*/zlb-load --service .*/zonlb.conf$' "$UNIT" &&
		grep -qx 'ExecReload=/bin/kill -HUP $MAINPID' "$UNIT"; then
		zlb_pass "the unit runs zlb-load --service (Type=notify) and reloads with SIGHUP"
	else
		zlb_fail "the unit runs zlb-load --service (Type=notify) and reloads with SIGHUP" "$(cat "$UNIT")"
	fi
else
	zlb_fail "the unit is built" "$UNIT is missing"
fi

# --- the notify socket ---------------------------------------------------------

# Every datagram the service sends, its lines followed by "--".
NOTIFY_LOG=$ZLB_TMP/notify.log
notify_listen() {
	: >"$NOTIFY_LOG"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(300)
with open(sys.argv[2], "a") as log:
    while True:
        try:
            data = s.recv(4096)
        except socket.timeout:
            break
        log.write(data.decode(errors="replace").rstrip("\n") + "\n--\n")
        log.flush()
' "$1" "$NOTIFY_LOG" 2>"$ZLB_TMP/notify.err" &
	zlb_track_pid $!
	zlb_wait_for test -S "$1" || zlb_die "the notify listener did not bind $1: $(cat "$ZLB_TMP/notify.err")"
}

# notified COUNT LINE: LINE (a whole line) was notified at least COUNT times.
notified() {
	[ "$(grep -cxF -- "$2" "$NOTIFY_LOG")" -ge "$1" ]
}

# last_status: the last STATUS= the service sent.
last_status() {
	sed -n 's/^STATUS=//p' "$NOTIFY_LOG" | tail -n 1
}

# expect_notified NAME COUNT LINE: wait for the COUNT-th LINE.
expect_notified() {
	if zlb_wait_for -t 20 notified "$2" "$3"; then
		zlb_pass "$1"
	else
		zlb_fail "$1" "notified: $(tr '\n' ' ' <"$NOTIFY_LOG")"
	fi
}

# expect_status NAME PATTERN: the last STATUS matches PATTERN (an ERE).
expect_status() {
	local s
	s=$(last_status)
	if printf '%s\n' "$s" | grep -Eq -- "$2"; then
		zlb_pass "$1 (STATUS=$s)"
	else
		zlb_fail "$1" "STATUS=$s"
	fi
}

# --- the scenario ----------------------------------------------------------------

zlb_bpffs_setup
zlb_reference_topology
notify_listen "$ZLB_TMP/notify.sock"

# The service runs a copy of zlb-load, so the test can replace it on disk.
mkdir -p "$ZLB_TMP/bin"
cp "$ZLB_LOAD" "$ZLB_TMP/bin/zlb-load"
CONF=$ZLB_TMP/zonlb.conf
cp "$CONFS/reference.conf" "$CONF"

# hup NAME: SIGHUP, then wait for RELOADING=1 and READY=1 once more.
READY=1
hup() {
	local name=$1 before
	before=$(grep -cxF RELOADING=1 "$NOTIFY_LOG")
	kill -HUP "$SVC"
	READY=$((READY + 1))
	expect_notified "$name: RELOADING=1" $((before + 1)) RELOADING=1
	expect_notified "$name: READY=1 again" "$READY" READY=1
	if [ "$(awk '/^RELOADING=1$/ { r = NR } /^READY=1$/ { y = NR } END { print (y > r) }' "$NOTIFY_LOG")" = 1 ]; then
		zlb_pass "$name: READY=1 comes after RELOADING=1"
	else
		zlb_fail "$name: READY=1 comes after RELOADING=1" "$(tr '\n' ' ' <"$NOTIFY_LOG")"
	fi
}

# start_service: zlb-load --service on $CONF in the background, as $SVC.
start_service() {
	ip netns exec "$ZL" env NOTIFY_SOCKET="$ZLB_TMP/notify.sock" \
		"$ZLB_TMP/bin/zlb-load" --service "$CONF" >"$ZLB_TMP/service.log" 2>&1 &
	SVC=$!
	zlb_track_pid "$SVC"
}

start_service

expect_notified "READY=1 after the first load" 1 READY=1
expect_status "STATUS says what runs" "^loaded $CONF: 2 service\\(s\\), 2 interface\\(s\\)$"
if ! zlb_alive "$SVC"; then
	zlb_fail "the service stays" "$(cat "$ZLB_TMP/service.log")"
	zlb_summary
fi
zlb_pass "the service stays"

# The periodic refresh (every 10 s) has the kernel resolve the backends'
# next hops again and copies them into zlb_neigh: take both away. Only
# zlb-load makes managed entries (the data plane's ARP learning could fill
# zlb_neigh too).
NEIGH=$ZLB_BPFFS/zlb_neigh
managed_neigh() {
	ip -n "$ZL" neigh show 10.2.0.2 dev veth2 | grep -q 'lladdr .* managed'
}
has_server_neigh() {
	bpftool map lookup pinned "$NEIGH" key 0 0 0 0 0 0 0 0 0 0 255 255 10 2 0 2 >/dev/null 2>&1
}
zlb_check "the load made the server a managed neighbour" managed_neigh
zlb_check "the load put the server's MAC into zlb_neigh" has_server_neigh
zlb_must ip -n "$ZL" neigh del 10.2.0.2 dev veth2
zlb_must bpftool map delete pinned "$NEIGH" key 0 0 0 0 0 0 0 0 0 0 255 255 10 2 0 2
if zlb_wait_for -t 15 managed_neigh && zlb_wait_for -t 5 has_server_neigh; then
	zlb_pass "the service resolves the server's next hop again, into zlb_neigh"
else
	zlb_fail "the service resolves the server's next hop again, into zlb_neigh" \
		"$(ip -n "$ZL" neigh show; cat "$ZLB_TMP/service.log")"
fi

zlb_nc_server "$ZS" 10.2.0.2 223 srv
srv_pid=$ZLB_NC_PID
zlb_nc_client "$ZC" 10.0.0.1 23 cli
cli_pid=$ZLB_NC_PID
if ! zlb_wait_for -t 10 zlb_tcp_established "$ZS" 223 10.2.0.1; then
	zlb_fail "a client connects through the service" \
		"$(ip netns exec "$ZS" ss -tan; cat "$ZLB_TMP/srv.err" "$ZLB_TMP/cli.err" "$ZLB_TMP/service.log")"
	zlb_summary
fi
zlb_pass "a client connects through the service"
client_port=$(zlb_client_port)

# exchange TAG: one line each way on the open connection.
exchange() {
	zlb_line_crosses "$1: a line from the client reaches the server" \
		cli "$ZLB_TMP/srv.out" "client to server $1 $ZLB_SUFFIX"
	zlb_line_crosses "$1: a line from the server reaches the client" \
		srv "$ZLB_TMP/cli.out" "server to client $1 $ZLB_SUFFIX"
}
exchange "loaded"

zlb_resets_mark

# extra_answers: the service only reload.conf has answers.
zlb_udp_echo_server "$ZS" 10.2.0.2 9999 extra
extra_answers() {
	[ "$(zlb_udp_ask "$ZC" 10.0.0.1 9999 "new service")" = "10.0.0.1 9999 echo:new service" ]
}

cp "$CONFS/reload.conf" "$CONF"
hup "reload"
expect_status "reload: STATUS says what runs now" "^loaded $CONF: 3 service\\(s\\), 2 interface\\(s\\)$"
zlb_check "reload: the added service answers" extra_answers
exchange "reload"

# An upgrade replaces zlb-load on disk; the next reload executes the new
# one in place of the running one (same pid).
cp "$ZLB_LOAD" "$ZLB_TMP/bin/zlb-load.new"
mv -f "$ZLB_TMP/bin/zlb-load.new" "$ZLB_TMP/bin/zlb-load"
if readlink "/proc/$SVC/exe" | grep -q '(deleted)'; then
	zlb_pass "upgrade: the running zlb-load is the replaced one"
else
	zlb_fail "upgrade: the running zlb-load is the replaced one" "$(readlink "/proc/$SVC/exe")"
fi
hup "upgrade"
if [ "$(readlink "/proc/$SVC/exe")" = "$ZLB_TMP/bin/zlb-load" ] &&
	grep -q "was replaced (an upgrade?): executing the new one" "$ZLB_TMP/service.log"; then
	zlb_pass "upgrade: the same process now runs the new zlb-load"
else
	zlb_fail "upgrade: the same process now runs the new zlb-load" \
		"exe $(readlink "/proc/$SVC/exe"); $(cat "$ZLB_TMP/service.log")"
fi
expect_status "upgrade: STATUS says what runs" "^loaded $CONF: 3 service\\(s\\), 2 interface\\(s\\)$"
exchange "upgrade"

# A broken file: the reload fails, the running state stays.
printf 'services = (\n' >"$CONF"
hup "broken file"
expect_status "broken file: STATUS has the error" \
	"^reload failed, still running the previous configuration: $CONF:[0-9]+: "
zlb_check "broken file: the service still runs" zlb_alive "$SVC"
zlb_check "broken file: the previous services still answer" extra_answers
exchange "broken file"

# Pins of another map ABI version: zlb-load refuses, says why and the way
# out, on the command line and in the service. abi_version is the first
# field of the zlb_meta value.
cp "$CONFS/reload.conf" "$CONF"
META=$ZLB_BPFFS/zlb_meta
meta_value() {
	bpftool -j map lookup pinned "$META" key 0 0 0 0 |
		python3 -c 'import json, sys; print(" ".join(b[2:] for b in json.load(sys.stdin)["value"]))'
}
meta=$(meta_value) || zlb_die "cannot read $META"
fake=$(python3 -c 'import struct, sys; print(" ".join("%02x" % b for b in struct.pack("=I", 99)) + " " + " ".join(sys.argv[1].split()[4:]))' "$meta")
# shellcheck disable=SC2086 # bytes as separate words
bpftool map update pinned "$META" key 0 0 0 0 value hex $fake || zlb_die "cannot write $META"
zlb_load_in_lb "$CONF" >"$ZLB_TMP/abi.out" 2>&1
rc=$?
if [ "$rc" -eq 1 ] &&
	grep -qF "zlb-load: error: the maps pinned in $ZLB_BPFFS carry ABI version 99, this zlb-load writes version" "$ZLB_TMP/abi.out" &&
	grep -qF "run 'zlb-load --unload' first" "$ZLB_TMP/abi.out"; then
	zlb_pass "other ABI: zlb-load refuses, with the reason and the way out"
else
	zlb_fail "other ABI: zlb-load refuses, with the reason and the way out" "exit $rc: $(cat "$ZLB_TMP/abi.out")"
fi
hup "other ABI"
expect_status "other ABI: STATUS has the reason and the way out" \
	"^reload failed, still running the previous configuration: the maps pinned in .* carry ABI version 99, .*run 'zlb-load --unload' first"
zlb_check "other ABI: the previous services still answer" extra_answers
exchange "other ABI"
# shellcheck disable=SC2086
bpftool map update pinned "$META" key 0 0 0 0 value hex $meta || zlb_die "cannot restore $META"

# A crash (here SIGKILL) leaves the data plane forwarding, unmanaged; the
# unit's Restart=on-abnormal starts the service again, which takes over
# the pinned state with the connection table: the connection goes on.
kill -KILL "$SVC"
wait "$SVC" 2>/dev/null
zlb_check "crash: XDP stays on veth0 and veth2" \
	bash -c "ip -n '$ZL' link show veth0 | grep -q xdp && ip -n '$ZL' link show veth2 | grep -q xdp"
exchange "crash"
: >"$NOTIFY_LOG"
READY=1
start_service
expect_notified "crash: started again, READY=1" 1 READY=1
expect_status "crash: started again, STATUS says what runs" "^loaded $CONF: 3 service\\(s\\), 2 interface\\(s\\)$"
zlb_check "crash: started again, the services answer" extra_answers
exchange "started again"
if [ -r "$UNIT" ] && grep -qx 'Restart=on-abnormal' "$UNIT"; then
	zlb_pass "the unit starts the service again after a crash, not after a failed load (Restart=on-abnormal)"
else
	zlb_fail "the unit starts the service again after a crash, not after a failed load (Restart=on-abnormal)" \
		"$(grep '^Restart' "$UNIT")"
fi

if zlb_alive "$srv_pid" && zlb_alive "$cli_pid" &&
	zlb_tcp_established "$ZS" 223 10.2.0.1 && zlb_tcp_connected "$ZC" 10.0.0.1 23; then
	zlb_pass "the connection is still ESTABLISHED on both ends"
else
	zlb_fail "the connection is still ESTABLISHED on both ends" \
		"$(ip netns exec "$ZC" ss -tan; ip netns exec "$ZS" ss -tan)"
fi
zlb_check_same_connection "$client_port"
zlb_check_no_resets

# SIGTERM: detach and remove the pins, exit 0.
kill -TERM "$SVC"
for ((i = 0; i < 100; i++)); do
	zlb_alive "$SVC" || break
	sleep 0.1
done
wait "$SVC"
rc=$?
if [ "$rc" -eq 0 ]; then
	zlb_pass "SIGTERM: the service exits 0"
else
	zlb_fail "SIGTERM: the service exits 0" "exit $rc: $(cat "$ZLB_TMP/service.log")"
fi
expect_notified "SIGTERM: STOPPING=1" 1 STOPPING=1
for ifc in veth0 veth2; do
	if ! ip -n "$ZL" link show "$ifc" | grep -q xdp; then
		zlb_pass "SIGTERM: no XDP program on $ifc"
	else
		zlb_fail "SIGTERM: no XDP program on $ifc" "$(ip -n "$ZL" link show "$ifc")"
	fi
done
pins=""
[ -d "$ZLB_BPFFS" ] && pins=$(find "$ZLB_BPFFS" -mindepth 1 2>/dev/null)
if [ -z "$pins" ]; then
	zlb_pass "SIGTERM: no pins left under \$ZLB_BPFFS"
else
	zlb_fail "SIGTERM: no pins left under \$ZLB_BPFFS" "$pins"
fi

# first_load_fails NAME STATUS-RE: the service on $CONF, nothing loaded
# before, exits 1 with STATUS-RE in its last STATUS, never READY=1.
first_load_fails() {
	local rc
	: >"$NOTIFY_LOG"
	timeout 30 ip netns exec "$ZL" env NOTIFY_SOCKET="$ZLB_TMP/notify.sock" \
		"$ZLB_LOAD" --service "$CONF" >"$ZLB_TMP/failed.log" 2>&1
	rc=$?
	zlb_wait_for -t 2 grep -q '^STATUS=' "$NOTIFY_LOG"
	if [ "$rc" -eq 1 ] && ! grep -qx 'READY=1' "$NOTIFY_LOG" && last_status | grep -Eq "$2"; then
		zlb_pass "$1: exit 1, the error in STATUS, no READY=1"
	else
		zlb_fail "$1: exit 1, the error in STATUS, no READY=1" \
			"exit $rc; notified: $(tr '\n' ' ' <"$NOTIFY_LOG"); $(cat "$ZLB_TMP/failed.log")"
	fi
}

printf 'services = (\n' >"$CONF"
first_load_fails "a first load that fails" "^load failed: $CONF:[0-9]+: "

# A first load that fails only at the attach, after the maps were pinned
# (XDP on a veth whose peer's MTU is too large for it): the service exits,
# and nothing of it is left. systemd stops nothing for a unit that failed
# to start, and the package's removal only stops the unit: pins left now
# would stay for good.
zlb_veth_pair "$ZL" veth6 "$ZS" veth7
zlb_must ip -n "$ZS" link set veth7 mtu 9000 up
zlb_must ip netns exec "$ZS" ethtool -K veth7 gro on
zlb_must ip -n "$ZL" link set veth6 up
sed 's/^interfaces = .*/interfaces = ( "veth0", "veth2", "veth6" );/' \
	"$CONFS/reference.conf" >"$CONF"
first_load_fails "a first load that fails at the attach" \
	"^load failed: $CONF:[0-9]+: interfaces: veth6: cannot attach"
pins=""
[ -d "$ZLB_BPFFS" ] && pins=$(find "$ZLB_BPFFS" 2>/dev/null)
if [ -z "$pins" ]; then
	zlb_pass "a first load that fails at the attach: no pins left, nor the pin directory"
else
	zlb_fail "a first load that fails at the attach: no pins left, nor the pin directory" "$pins"
fi
for ifc in veth0 veth2 veth6; do
	if ! ip -n "$ZL" link show "$ifc" | grep -q xdp; then
		zlb_pass "a first load that fails at the attach: no XDP program on $ifc"
	else
		zlb_fail "a first load that fails at the attach: no XDP program on $ifc" "$(ip -n "$ZL" link show "$ifc")"
	fi
done

timeout 10 "$ZLB_LOAD" --service --check "$CONF" >"$ZLB_TMP/usage.out" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -qF -- "--service takes neither --check nor --unload" "$ZLB_TMP/usage.out"; then
	zlb_pass "--service with --check is a usage error"
else
	zlb_fail "--service with --check is a usage error" "exit $rc: $(cat "$ZLB_TMP/usage.out")"
fi

zlb_summary
