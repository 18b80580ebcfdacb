# shellcheck shell=bash
# Helpers shared by zon-lb's shell tests. Source this file; it installs the
# cleanup trap. Every namespace, background process, bpffs mount and temp file
# a test makes goes through these helpers, so zlb_cleanup can undo all of it
# on every exit path. Nothing here touches the host's interfaces, routes or
# sysctls: the topology lives in namespaces with per-run unique names.

ZLB_TEST_NAME=$(basename "$0" .sh)
ZLB_SUFFIX="$$r${RANDOM}"

_zlb_libdir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# make check exports these; the defaults let a test run by hand from a build
# done in the source tree.
: "${ZLB_SRCDIR:=$(cd "$_zlb_libdir/.." && pwd)}"
: "${ZLB_BUILDDIR:=$ZLB_SRCDIR}"
: "${ZLB_BPF_OBJ:=$ZLB_BUILDDIR/bpf/zlb.bpf.o}"
: "${ZLB_BPF_TC_OBJ:=$(dirname "$ZLB_BPF_OBJ")/zlb_tc.bpf.o}"
: "${ZLB_LOAD:=$ZLB_BUILDDIR/zlb-load/zlb-load}"
: "${ZLB_WAIT_TIMEOUT:=5}"
export ZLB_SRCDIR ZLB_BUILDDIR ZLB_BPF_OBJ ZLB_BPF_TC_OBJ ZLB_LOAD

ZLB_TMP=""
_zlb_netns=()
_zlb_pids=()
_zlb_bpffs_mnt=""
_zlb_passed=0
_zlb_failed=0
_zlb_skipped=0

zlb_log() {
	printf '%s: %s\n' "$ZLB_TEST_NAME" "$*" >&2
}

# A broken environment or setup step, not a failed check: automake ERROR.
zlb_die() {
	zlb_log "error: $*"
	exit 99
}

# --- counting checks ------------------------------------------------------

zlb_pass() {
	_zlb_passed=$((_zlb_passed + 1))
	printf 'PASS: %s\n' "$1"
}

zlb_fail() {
	_zlb_failed=$((_zlb_failed + 1))
	printf 'FAIL: %s: %s\n' "$1" "${2:-}"
}

zlb_skip() {
	_zlb_skipped=$((_zlb_skipped + 1))
	printf 'SKIP: %s: %s\n' "$1" "${2:-}"
}

# zlb_check NAME CMD...: pass when CMD succeeds.
zlb_check() {
	local name=$1
	shift
	if "$@"; then
		zlb_pass "$name"
	else
		zlb_fail "$name" "command failed: $*"
	fi
}

# zlb_check_same NAME BEFORE AFTER: pass when the two snapshots are the
# same, else fail showing how they differ.
zlb_check_same() {
	if [ "$2" = "$3" ]; then
		zlb_pass "$1"
	else
		zlb_fail "$1" "$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | head -n 40)"
	fi
}

zlb_summary() {
	local line="$ZLB_TEST_NAME: $_zlb_passed passed, $_zlb_failed failed"
	[ "$_zlb_skipped" -gt 0 ] && line="$line, $_zlb_skipped skipped"
	printf '%s\n' "$line"
	[ "$_zlb_failed" -eq 0 ] || exit 1
	exit 0
}

# --- environment ----------------------------------------------------------

# zlb_have_root: succeed when the netns tests can run; else set
# ZLB_NOROOT_REASON.
zlb_have_root() {
	ZLB_NOROOT_REASON=""
	if [ "${ZLB_SKIP_ROOT_TESTS:-0}" = 1 ]; then
		ZLB_NOROOT_REASON="ZLB_SKIP_ROOT_TESTS=1"
	elif [ "$(id -u)" -ne 0 ]; then
		ZLB_NOROOT_REASON="not root"
	elif ! command -v ip >/dev/null 2>&1; then
		ZLB_NOROOT_REASON="ip (iproute2) not found"
	elif ! ip netns add "zprobe-$ZLB_SUFFIX" 2>/dev/null; then
		ZLB_NOROOT_REASON="ip netns unusable here"
	else
		ip netns del "zprobe-$ZLB_SUFFIX"
		return 0
	fi
	return 1
}

zlb_require_root() {
	if ! zlb_have_root; then
		zlb_log "SKIP: needs root and network namespaces ($ZLB_NOROOT_REASON)"
		exit 77
	fi
}

zlb_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || zlb_die "$c not found (see install-deps.sh)"
	done
}

zlb_require_built() {
	[ -x "$ZLB_LOAD" ] || zlb_die "zlb-load not built: $ZLB_LOAD"
	[ -r "$ZLB_BPF_OBJ" ] || zlb_die "BPF object not built: $ZLB_BPF_OBJ"
}

# zlb_require_tools: the tools built, as STAT, CT and ARP.
zlb_require_tools() {
	local t
	STAT=$ZLB_BUILDDIR/zlb-stat/zlb-stat
	CT=$ZLB_BUILDDIR/zlb-ct/zlb-ct
	ARP=$ZLB_BUILDDIR/zlb-arp/zlb-arp
	for t in "$STAT" "$CT" "$ARP"; do
		[ -x "$t" ] || zlb_die "not built: $t"
	done
}

# zlb_tmpdir: make the per-run temp dir once, as $ZLB_TMP.
zlb_tmpdir() {
	[ -n "$ZLB_TMP" ] && return 0
	ZLB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/zlb-$ZLB_TEST_NAME.XXXXXX") ||
		zlb_die "cannot make a temp dir"
}

# --- bpffs ----------------------------------------------------------------

# A bpffs of our own: `ip netns exec` remounts /sys privately, so
# /sys/fs/bpf is not visible inside the namespaces, and a private mount keeps
# our pins apart from the host's.
zlb_bpffs_setup() {
	zlb_tmpdir
	local dir
	dir=$(mktemp -d "$ZLB_TMP/bpffs.XXXXXX") || zlb_die "cannot make a bpffs dir"
	if ! mount -t bpf bpf "$dir"; then
		zlb_log "SKIP: cannot mount a bpf filesystem on $dir"
		exit 77
	fi
	_zlb_bpffs_mnt=$dir
	export ZLB_BPFFS="$dir/zon-lb"
	export LIBXDP_BPFFS="$dir"
}

zlb_bpffs_teardown() {
	[ -n "$_zlb_bpffs_mnt" ] || return 0
	umount "$_zlb_bpffs_mnt" 2>/dev/null || umount -l "$_zlb_bpffs_mnt" 2>/dev/null ||
		zlb_log "warning: cannot unmount $_zlb_bpffs_mnt"
	rmdir "$_zlb_bpffs_mnt" 2>/dev/null
	_zlb_bpffs_mnt=""
	unset ZLB_BPFFS LIBXDP_BPFFS
}

# zlb_map_max_entries NAME: max_entries of the map pinned as NAME in
# $ZLB_BPFFS, as bpftool reads it (empty when there is none).
zlb_map_max_entries() {
	bpftool map show pinned "$ZLB_BPFFS/$1" | grep -oE 'max_entries [0-9]+' | cut -d' ' -f2
}

# --- processes ------------------------------------------------------------

zlb_track_pid() {
	_zlb_pids+=("$1")
}

# _zlb_stop PID...: TERM, a bounded wait, then KILL.
_zlb_stop() {
	local pid i alive
	[ $# -gt 0 ] || return 0
	kill "$@" 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		alive=0
		for pid in "$@"; do
			kill -0 "$pid" 2>/dev/null && alive=1
		done
		[ "$alive" -eq 0 ] && break
		sleep 0.05
	done
	kill -9 "$@" 2>/dev/null
	return 0
}

zlb_kill_tracked() {
	[ ${#_zlb_pids[@]} -gt 0 ] || return 0
	_zlb_stop "${_zlb_pids[@]}"
	wait "${_zlb_pids[@]}" 2>/dev/null
	_zlb_pids=()
}

# zlb_alive PID: the process is still running (and not a zombie).
zlb_alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)
	[ -n "$state" ] && [ "$state" != Z ]
}

# --- namespaces -----------------------------------------------------------

# zlb_netns_add NAME: create NAME-$ZLB_SUFFIX (loopback up), record it for
# cleanup and leave its name in ZLB_NETNS_NAME.
zlb_netns_add() {
	local ns="$1-$ZLB_SUFFIX"
	ip netns add "$ns" || zlb_die "cannot create netns $ns"
	_zlb_netns+=("$ns")
	ip -n "$ns" link set lo up || zlb_die "cannot bring lo up in $ns"
	ZLB_NETNS_NAME=$ns
}

# zlb_netns_del_all: stop what runs in our namespaces and delete them.
zlb_netns_del_all() {
	local ns pids=()
	[ ${#_zlb_netns[@]} -gt 0 ] || return 0
	zlb_kill_tracked
	for ns in "${_zlb_netns[@]}"; do
		# Only processes inside namespaces this run created.
		# shellcheck disable=SC2207
		pids+=($(ip netns pids "$ns" 2>/dev/null))
	done
	_zlb_stop "${pids[@]}"
	for ns in "${_zlb_netns[@]}"; do
		ip netns del "$ns" 2>/dev/null || zlb_log "warning: cannot delete netns $ns"
	done
	_zlb_netns=()
}

zlb_cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	zlb_netns_del_all
	zlb_kill_tracked
	zlb_bpffs_teardown
	if [ -n "$ZLB_TMP" ] && [ -d "$ZLB_TMP" ]; then
		rm -rf --one-file-system "$ZLB_TMP"
	fi
	exit "$rc"
}

_zlb_on_signal() {
	zlb_log "interrupted by SIG$1"
	exit $(($2 + 128))
}

# INT and TERM exit through the EXIT trap, so cleanup runs exactly once.
trap zlb_cleanup EXIT
trap '_zlb_on_signal INT 2' INT
trap '_zlb_on_signal TERM 15' TERM

# --- waiting --------------------------------------------------------------

# zlb_wait_for [-t SECONDS] CMD...: poll CMD every 0.1 s until it succeeds,
# at most SECONDS (default $ZLB_WAIT_TIMEOUT). Returns CMD's last status.
zlb_wait_for() {
	local timeout=$ZLB_WAIT_TIMEOUT i deadline
	if [ "${1:-}" = -t ]; then
		timeout=$2
		shift 2
	fi
	deadline=$((SECONDS + timeout + 1))
	for ((i = 0; i < timeout * 10; i++)); do
		"$@" && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.1
	done
	"$@"
}

# zlb_must CMD...: a setup step that has to work.
zlb_must() {
	"$@" >/dev/null || zlb_die "setup step failed: $*"
}

# zlb_file_has FILE STRING: FILE contains STRING (fixed string).
zlb_file_has() {
	[ -f "$1" ] && grep -qF -- "$2" "$1"
}

# --- the reference scenario -----------------------------------------------

# zlb_veth_pair NS_A IF_A NS_B IF_B: a veth pair created directly inside the
# two namespaces, so it never appears in the host namespace.
zlb_veth_pair() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" ||
		zlb_die "cannot create veth $1/$2 <-> $3/$4"
}

# zlb_reference_topology [--default-offloads] [ipv6]: client ZC, load
# balancer ZL, server ZS.
#
#   ZC veth1 10.0.0.2/24 --- veth0 10.0.0.1/24  ZL  veth2 10.2.0.1/24 --- veth3 10.2.0.2/24 ZS
#
# The client and server veths get GRO on (a veth only receives redirected
# frames when its peer side runs XDP or NAPI/GRO) and tx-checksumming off (a
# veth sender leaves partial checksums that do not survive an XDP redirect).
# With ipv6, the same links carry IPv6 too (see _zlb_topology_ipv6):
#
#   ZC veth1 fd00::2/64 --- veth0 fd00::1/64  ZL  veth2 fd00:2::1/64 --- veth3 fd00:2::2/64 ZS
#
# --default-offloads leaves every veth as the kernel made it (GRO off,
# tx-checksumming and TSO on): what tc mode has to work with.
zlb_reference_topology() {
	local offloads=xdp ipv6="" arg
	for arg in "$@"; do
		case $arg in
		--default-offloads) offloads=default ;;
		ipv6) ipv6=1 ;;
		*) zlb_die "zlb_reference_topology: unknown argument '$arg'" ;;
		esac
	done
	zlb_netns_add zc
	ZC=$ZLB_NETNS_NAME
	zlb_netns_add zl
	ZL=$ZLB_NETNS_NAME
	zlb_netns_add zs
	ZS=$ZLB_NETNS_NAME
	export ZC ZL ZS
	[ -n "$ipv6" ] && _zlb_ipv6_quiet "$ZC" "$ZL" "$ZS"

	zlb_veth_pair "$ZC" veth1 "$ZL" veth0
	zlb_veth_pair "$ZL" veth2 "$ZS" veth3

	zlb_must ip -n "$ZC" addr add 10.0.0.2/24 dev veth1
	zlb_must ip -n "$ZL" addr add 10.0.0.1/24 dev veth0
	zlb_must ip -n "$ZL" addr add 10.2.0.1/24 dev veth2
	zlb_must ip -n "$ZS" addr add 10.2.0.2/24 dev veth3

	zlb_must ip -n "$ZC" link set veth1 up
	zlb_must ip -n "$ZL" link set veth0 up
	zlb_must ip -n "$ZL" link set veth2 up
	zlb_must ip -n "$ZS" link set veth3 up

	zlb_must ip -n "$ZC" route add default via 10.0.0.1
	zlb_must ip -n "$ZS" route add default via 10.2.0.1

	# bpf_fib_lookup() refuses to forward unless forwarding is on; inside
	# the load balancer's namespace only.
	zlb_must ip netns exec "$ZL" sysctl -q -w net.ipv4.conf.all.forwarding=1 \
		net.ipv4.conf.veth0.forwarding=1 net.ipv4.conf.veth2.forwarding=1

	if [ "$offloads" != default ]; then
		zlb_must ip netns exec "$ZC" ethtool -K veth1 gro on tx off
		zlb_must ip netns exec "$ZS" ethtool -K veth3 gro on tx off
	fi
	if [ -n "$ipv6" ]; then
		_zlb_topology_ipv6
	fi
}

# _zlb_ipv6_quiet NS...: before any interface is made in them, no duplicate
# address detection (an address, link-local ones included, is usable at
# once: no wait, no neighbour solicitation held back) and no router
# advertisements taken.
_zlb_ipv6_quiet() {
	local ns
	for ns in "$@"; do
		zlb_must ip netns exec "$ns" sysctl -q -w \
			net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0
	done
}

# _zlb_topology_ipv6: the IPv6 addresses and routes of the reference
# topology (nodad: usable at once), and IPv6 forwarding in ZL only.
_zlb_topology_ipv6() {
	zlb_must ip -n "$ZC" addr add fd00::2/64 dev veth1 nodad
	zlb_must ip -n "$ZL" addr add fd00::1/64 dev veth0 nodad
	zlb_must ip -n "$ZL" addr add fd00:2::1/64 dev veth2 nodad
	zlb_must ip -n "$ZS" addr add fd00:2::2/64 dev veth3 nodad
	zlb_must ip -n "$ZC" -6 route add default via fd00::1
	zlb_must ip -n "$ZS" -6 route add default via fd00:2::1
	zlb_must ip netns exec "$ZL" sysctl -q -w net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.veth0.forwarding=1 net.ipv6.conf.veth2.forwarding=1
}

# zlb_addr_port ADDR PORT: "ADDR:PORT", "[ADDR]:PORT" for IPv6, as ss and
# the tools print it (PORT may be empty: a prefix to match).
zlb_addr_port() {
	case $1 in
	*:*) printf '[%s]:%s' "$1" "$2" ;;
	*) printf '%s:%s' "$1" "$2" ;;
	esac
}

# zlb_packet_ns NAME: the one namespace of the BPF_PROG_TEST_RUN tests (packet
# tests, fuzzer), left in NS: veth0<->veth1 and veth2<->veth3, MACs
# 02:00:00:00:00:0N, veth0 10.0.0.1/24 and fd00::1/64, veth2 10.2.0.1/24 and
# fd00:2::1/64, forwarding on for both families. The caller adds the
# neighbours and routes its frames need.
zlb_packet_ns() {
	local i
	zlb_netns_add "$1"
	NS=$ZLB_NETNS_NAME
	zlb_must ip -n "$NS" link add veth0 type veth peer name veth1
	zlb_must ip -n "$NS" link add veth2 type veth peer name veth3
	for i in 0 1 2 3; do
		zlb_must ip -n "$NS" link set "veth$i" address "02:00:00:00:00:0$i"
		zlb_must ip -n "$NS" link set "veth$i" up
	done
	zlb_must ip -n "$NS" addr add 10.0.0.1/24 dev veth0
	zlb_must ip -n "$NS" addr add 10.2.0.1/24 dev veth2
	zlb_must ip -n "$NS" addr add fd00::1/64 dev veth0 nodad
	zlb_must ip -n "$NS" addr add fd00:2::1/64 dev veth2 nodad
	zlb_must ip netns exec "$NS" sysctl -q -w net.ipv4.conf.all.forwarding=1 \
		net.ipv4.conf.veth0.forwarding=1 net.ipv4.conf.veth1.forwarding=1 \
		net.ipv4.conf.veth2.forwarding=1 net.ipv4.conf.veth3.forwarding=1 \
		net.ipv6.conf.all.forwarding=1
}

# zlb_load_in_lb ARGS...: run zlb-load inside the load balancer's namespace
# with the test's bpffs (ZLB_BPFFS, LIBXDP_BPFFS), ZLB_BPF_OBJ and ZLB_BPF_TC_OBJ.
zlb_load_in_lb() {
	timeout 60 ip netns exec "$ZL" "$ZLB_LOAD" "$@"
}

# zlb_check_load NAME ARGS...: zlb-load ARGS (zlb_load_in_lb) as a check named
# NAME. Its output is printed, or shown in the failure, and stays in
# $ZLB_LOAD_OUT; returns zlb-load's exit code.
zlb_check_load() {
	local name=$1 rc
	shift
	zlb_tmpdir
	ZLB_LOAD_OUT=$ZLB_TMP/zlb-load.out
	zlb_load_in_lb "$@" >"$ZLB_LOAD_OUT" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		zlb_pass "$name"
		cat "$ZLB_LOAD_OUT"
	else
		zlb_fail "$name" "exit $rc: $(cat "$ZLB_LOAD_OUT")"
	fi
	return "$rc"
}

# zlb_ping NS ADDR [COUNT]: COUNT (default 1) echoes, all answered.
zlb_ping() {
	ip netns exec "$1" ping -n -q -c "${3:-1}" -W 1 -w $((${3:-1} + 5)) "$2" >/dev/null 2>&1
}

# zlb_snmp6 NS FIELD: a counter from /proc/net/snmp6 of NS (e.g.
# Icmp6InEchos).
zlb_snmp6() {
	ip netns exec "$1" cat /proc/net/snmp6 |
		awk -v f="$2" '$1 == f { print $2; found = 1; exit } END { if (!found) exit 1 }'
}

# zlb_snmp NS GROUP FIELD: a counter from /proc/net/snmp of NS
# (e.g. Icmp InEchos, Tcp EstabResets).
zlb_snmp() {
	ip netns exec "$1" cat /proc/net/snmp | awk -v g="$2:" -v f="$3" '
		$1 == g && !hdr { for (i = 2; i <= NF; i++) if ($i == f) col = i; hdr = 1; next }
		$1 == g && hdr && col { print $col; found = 1; exit }
		END { if (!found) exit 1 }'
}

# --- TCP with nc ----------------------------------------------------------
# Each nc gets stdin from the fifo $ZLB_TMP/TAG.in opened read-write (so it
# never sees EOF and writers never block), stdout in TAG.out, stderr in
# TAG.err. The pid is left in ZLB_NC_PID.

_zlb_nc_start() {
	local ns=$1 tag=$2
	shift 2
	zlb_tmpdir
	rm -f "$ZLB_TMP/$tag.in"
	mkfifo "$ZLB_TMP/$tag.in" || zlb_die "mkfifo $ZLB_TMP/$tag.in"
	# The test holds the fifo open too: a line written before nc has
	# opened it would be lost when its writer closes an unread pipe.
	exec {_zlb_fd}<>"$ZLB_TMP/$tag.in"
	ip netns exec "$ns" nc -n -v "$@" 0<>"$ZLB_TMP/$tag.in" {_zlb_fd}>&- \
		>"$ZLB_TMP/$tag.out" 2>"$ZLB_TMP/$tag.err" &
	ZLB_NC_PID=$!
	zlb_track_pid "$ZLB_NC_PID"
}

# zlb_nc_server NS ADDR PORT TAG: listen and wait until the socket listens.
zlb_nc_server() {
	_zlb_nc_start "$1" "$4" -l "$2" "$3"
	zlb_wait_for zlb_tcp_listening "$1" "$2" "$3" ||
		zlb_die "nc did not start listening on $2:$3 in $1: $(cat "$ZLB_TMP/$4.err")"
}

# zlb_nc_client NS ADDR PORT TAG
zlb_nc_client() {
	_zlb_nc_start "$1" "$4" "$2" "$3"
}

# zlb_nc_send TAG LINE: LINE goes to the nc started with TAG.
zlb_nc_send() {
	printf '%s\n' "$2" 1<>"$ZLB_TMP/$1.in"
}

# zlb_line_crosses NAME FROM OUT LINE: send LINE on nc connection FROM (see
# zlb_nc_server/zlb_nc_client) and pass NAME when it shows up in file OUT.
zlb_line_crosses() {
	local name=$1 from=$2 out=$3 line=$4
	zlb_nc_send "$from" "$line"
	if zlb_wait_for zlb_file_has "$out" "$line"; then
		zlb_pass "$name"
		return 0
	fi
	zlb_fail "$name" "got: $(cat "$out")"
	return 1
}

zlb_tcp_listening() {
	ip netns exec "$1" ss -Hltn "src $(zlb_addr_port "$2" "$3")" 2>/dev/null | grep -q .
}

# zlb_tcp_established NS LOCAL_PORT PEER_ADDR [PEER_PORT]: a connection on
# LOCAL_PORT from PEER_ADDR is ESTABLISHED in NS.
zlb_tcp_established() {
	local ss
	ss=$(ip netns exec "$1" ss -Htn state established "( sport = :$2 )" 2>/dev/null)
	printf '%s\n' "$ss" | awk -v p="$(zlb_addr_port "$3" "${4:-}")" 'index($4, p) == 1 { ok = 1 } END { exit !ok }'
}

# zlb_tcp_connected NS PEER_ADDR PEER_PORT: an outgoing connection to
# PEER_ADDR:PEER_PORT is ESTABLISHED in NS.
zlb_tcp_connected() {
	ip netns exec "$1" ss -Htn state established "( dport = :$3 )" 2>/dev/null |
		awk -v p="$(zlb_addr_port "$2" "$3")" '$4 == p { ok = 1 } END { exit !ok }'
}

# zlb_client_port: the client port, in $ZC, of the established connection
# to the reference service 10.0.0.1:23.
zlb_client_port() {
	ip netns exec "$ZC" ss -Htn state established "( dport = :23 )" |
		awk '$4 == "10.0.0.1:23" { split($3, a, ":"); print a[2]; exit }'
}

# zlb_resets_mark: note Tcp EstabResets of the client and the server
# namespace, for zlb_check_no_resets.
zlb_resets_mark() {
	ZLB_RESETS_C=$(zlb_snmp "$ZC" Tcp EstabResets) || zlb_die "cannot read Tcp EstabResets in $ZC"
	ZLB_RESETS_S=$(zlb_snmp "$ZS" Tcp EstabResets) || zlb_die "cannot read Tcp EstabResets in $ZS"
}

# zlb_check_no_resets: no connection was reset on either end since
# zlb_resets_mark.
zlb_check_no_resets() {
	local c s
	c=$(zlb_snmp "$ZC" Tcp EstabResets)
	s=$(zlb_snmp "$ZS" Tcp EstabResets)
	if [ "$c" = "$ZLB_RESETS_C" ] && [ "$s" = "$ZLB_RESETS_S" ]; then
		zlb_pass "no reset on either end (Tcp EstabResets unchanged)"
	else
		zlb_fail "no reset on either end" \
			"EstabResets client $ZLB_RESETS_C -> $c, server $ZLB_RESETS_S -> $s"
	fi
}

# zlb_check_same_connection PORT: the established connection to the
# reference service still uses client port PORT.
zlb_check_same_connection() {
	local now
	now=$(zlb_client_port)
	if [ -n "$1" ] && [ "$1" = "$now" ]; then
		zlb_pass "it is the same connection (client port $1)"
	else
		zlb_fail "it is the same connection" "client port before '$1', now '$now'"
	fi
}

# --- UDP with python3 -----------------------------------------------------

# zlb_udp_echo_server NS ADDR PORT TAG: answers "echo:" + payload to every
# datagram and logs "SRC_ADDR SRC_PORT" per datagram to $ZLB_TMP/TAG.log.
# Exits after 100 datagrams or 60 s of silence. ADDR of either family.
zlb_udp_echo_server() {
	zlb_tmpdir
	: >"$ZLB_TMP/$4.log"
	ip netns exec "$1" python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET,
                  socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(60)
with open(sys.argv[3], "a") as log:
    for _ in range(100):
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            break
        log.write("%s %d\n" % peer[:2])
        log.flush()
        s.sendto(b"echo:" + data, peer)
' "$2" "$3" "$ZLB_TMP/$4.log" 2>"$ZLB_TMP/$4.err" &
	zlb_track_pid $!
	zlb_wait_for zlb_udp_bound "$1" "$2" "$3" ||
		zlb_die "UDP echo server did not bind $2:$3 in $1: $(cat "$ZLB_TMP/$4.err")"
}

zlb_udp_bound() {
	ip netns exec "$1" ss -Hlun "src $(zlb_addr_port "$2" "$3")" 2>/dev/null | grep -q .
}

# zlb_udp_ask NS ADDR PORT PAYLOAD: send PAYLOAD, print "SRC_ADDR SRC_PORT
# REPLY" of the first answer. Up to 3 tries, 1 s each. ADDR of either family.
zlb_udp_ask() {
	timeout 10 ip netns exec "$1" python3 -c '
import socket, sys
dst = (sys.argv[1], int(sys.argv[2]))
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET,
                  socket.SOCK_DGRAM)
s.settimeout(1)
for _ in range(3):
    s.sendto(sys.argv[3].encode(), dst)
    try:
        data, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    print("%s %d %s" % (peer[0], peer[1], data.decode(errors="replace")))
    sys.exit(0)
sys.exit(1)
' "$2" "$3" "$4"
}

# --- the reference checks, for either family --------------------------------

# zlb_check_tcp TAG NAME SERVICE BACKEND SOURCE: nc in ZC to SERVICE:23
# reaches nc on BACKEND:223 in ZS, which sees the connection from SOURCE;
# a line crosses each way. The two nc (tags srv-TAG, cli-TAG) keep running.
# Each check is named "NAME: ..."; non-zero when one failed.
zlb_check_tcp() {
	local tag=$1 name=$2 svc=$3 be=$4 src=$5 ok=0
	local srv=srv-$tag cli=cli-$tag to
	to=$(zlb_addr_port "$svc" 23)
	zlb_nc_server "$ZS" "$be" 223 "$srv"
	zlb_nc_client "$ZC" "$svc" 23 "$cli"

	# 10 s: room for one SYN retransmission.
	if zlb_wait_for -t 10 zlb_tcp_established "$ZS" 223 "$src"; then
		zlb_pass "$name: server sees a connection from $src"
	else
		zlb_fail "$name: server sees a connection from $src" \
			"$(ip netns exec "$ZS" ss -tan; cat "$ZLB_TMP/$srv.err" "$ZLB_TMP/$cli.err")"
		ok=1
	fi
	if zlb_wait_for zlb_file_has "$ZLB_TMP/$srv.err" "Connection received on $src "; then
		zlb_pass "$name: server nc reports the peer $src"
	else
		zlb_fail "$name: server nc reports the peer $src" "$(cat "$ZLB_TMP/$srv.err")"
	fi
	if zlb_wait_for zlb_tcp_connected "$ZC" "$svc" 23; then
		zlb_pass "$name: client is connected to $to"
	else
		zlb_fail "$name: client is connected to $to" \
			"$(ip netns exec "$ZC" ss -tan; cat "$ZLB_TMP/$cli.err")"
		ok=1
	fi
	zlb_line_crosses "$name: a line from the client reaches the server" \
		"$cli" "$ZLB_TMP/$srv.out" "client to server $tag $ZLB_SUFFIX" || ok=1
	zlb_line_crosses "$name: a line from the server reaches the client" \
		"$srv" "$ZLB_TMP/$cli.out" "server to client $tag $ZLB_SUFFIX" || ok=1
	return $ok
}

# zlb_check_udp TAG NAME SERVICE BACKEND SOURCE: a datagram from ZC to
# SERVICE:5353 is answered from there by an echo server on BACKEND:5300 in
# ZS (tag TAG, left running), which sees it from SOURCE. Non-zero when a
# check failed.
zlb_check_udp() {
	local tag=$1 name=$2 svc=$3 be=$4 src=$5 reply first ok=0 from
	from=$(zlb_addr_port "$svc" 5353)
	zlb_udp_echo_server "$ZS" "$be" 5300 "$tag"
	reply=$(zlb_udp_ask "$ZC" "$svc" 5353 "hello $tag")
	if [ "$reply" = "$svc 5353 echo:hello $tag" ]; then
		zlb_pass "$name: client gets the reply from $from"
	else
		zlb_fail "$name: client gets the reply from $from" \
			"got '$reply' (source address, port, payload)"
		ok=1
	fi
	first=$(head -n 1 "$ZLB_TMP/$tag.log")
	if [ "${first%% *}" = "$src" ]; then
		zlb_pass "$name: server sees the datagram from $src"
	else
		zlb_fail "$name: server sees the datagram from $src" "server log: '$first'"
		ok=1
	fi
	return $ok
}

# zlb_echoes NS ADDR: the echo requests NS's kernel has taken in, of
# ADDR's family (Icmp InEchos, Icmp6InEchos).
zlb_echoes() {
	case $2 in
	*:*) zlb_snmp6 "$1" Icmp6InEchos ;;
	*) zlb_snmp "$1" Icmp InEchos ;;
	esac
}

# zlb_check_echo NAME SERVICE: 3 echoes from ZC to SERVICE are answered
# by the server in ZS; the load balancer's kernel (ZL) sees none.
zlb_check_echo() {
	local name=$1 svc=$2 s0 s1 l0 l1
	s0=$(zlb_echoes "$ZS" "$svc") || zlb_die "cannot read the echo counter in $ZS"
	l0=$(zlb_echoes "$ZL" "$svc") || zlb_die "cannot read the echo counter in $ZL"
	if ip netns exec "$ZC" ping -n -c 3 -W 1 "$svc"; then
		zlb_pass "$name: client pings $svc"
	else
		zlb_fail "$name: client pings $svc" "ping failed"
	fi
	s1=$(zlb_echoes "$ZS" "$svc")
	l1=$(zlb_echoes "$ZL" "$svc")
	if [ $((s1 - s0)) -eq 3 ]; then
		zlb_pass "$name: the server answers the 3 echoes"
	else
		zlb_fail "$name: the server answers the 3 echoes" "server echoes in $s0 -> $s1"
	fi
	if [ "$l1" -eq "$l0" ]; then
		zlb_pass "$name: the load balancer's kernel sees no echo"
	else
		zlb_fail "$name: the load balancer's kernel sees no echo" "LB echoes in $l0 -> $l1"
	fi
}

# zlb_udp_exchange SPORT N [CLIENT SERVICE]: from the client (CLIENT,
# default 10.0.0.2), N datagrams to SERVICE (default 10.0.0.1) port 5353
# from source port SPORT (0: any), one at a time, each waiting for its
# answer; prints how many were answered. Either family.
zlb_udp_exchange() {
	timeout 60 ip netns exec "$ZC" python3 -c '
import socket, sys
client, service = sys.argv[3:5]
s = socket.socket(socket.AF_INET6 if ":" in client else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((client, int(sys.argv[1])))
s.settimeout(2)
answered = 0
for i in range(int(sys.argv[2])):
    s.sendto(b"n%d" % i, (service, 5353))
    try:
        s.recvfrom(2048)
        answered += 1
    except socket.timeout:
        pass
print(answered)
' "$1" "$2" "${3:-10.0.0.2}" "${4:-10.0.0.1}"
}

# --- the reference scenario's traffic, IPv4 ------------------------------------
# The checks of tests/e2e/reference.sh over the reference services
# (tests/configs/e2e/reference.conf) in some mode M, the first argument: it
# names the checks. The generic checks above, with the reference addresses.
#
#   zlb_reference_tcp M   nc through 10.0.0.1:23; the server sees 10.2.0.1; a
#                         line crosses each way
#   zlb_reference_udp M   a datagram to 10.0.0.1:5353 is answered from there;
#                         the server sees 10.2.0.1
#   zlb_reference_icmp M  3 echoes to 10.0.0.1 are answered by the server; the
#                         load balancer's kernel sees none

# zlb_reference_diag WHAT: what the namespaces looked like, printed after a
# failed check.
zlb_reference_diag() {
	echo "--- diagnostics ($1)"
	ip -n "$ZL" neigh show
	ip -n "$ZL" link show
	ip netns exec "$ZC" ss -tan
	ip netns exec "$ZS" ss -tan
	echo "---"
}

zlb_reference_tcp() {
	zlb_check_tcp "$1" "$1: tcp" 10.0.0.1 10.2.0.2 10.2.0.1 || zlb_reference_diag "$1 tcp"
	zlb_kill_tracked
}

zlb_reference_udp() {
	zlb_check_udp "udp-$1" "$1: udp" 10.0.0.1 10.2.0.2 10.2.0.1 || zlb_reference_diag "$1 udp"
	zlb_kill_tracked
}

zlb_reference_icmp() {
	zlb_check_echo "$1: icmp" 10.0.0.1
}
