#!/bin/bash
# shellcheck disable=SC2317 # the small predicates are called through zlb_check and zlb_wait_for
# tc mode (the data plane as a clsact program, zlb_tc) end to end on the
# reference topology and services (tests/configs/e2e/reference.conf):
#
#   client ZC veth1 10.0.0.2 --- veth0 10.0.0.1 [zon-lb, ZL] veth2 10.2.0.1 --- veth3 10.2.0.2 server ZS
#
# - tc: both interfaces in tc mode, every veth as the kernel made it
#   (tx-checksumming and TSO on, GRO off) and no XDP program in any
#   namespace. TCP, UDP and ICMP cross; 32 MiB each way arrive intact as
#   large GSO segments that went through bpf_fib_lookup() (a 1 ms FIB cache)
#   and were counted whole, every TCP checksum right (complete ones
#   verified, partial ones holding the pseudo-header sum of the translated
#   addresses), no checksum error counted by the receivers, TSO still on.
# - tc-verified: tc mode on the XDP tests' topology (senders' checksums
#   complete, GRO on the load balancer's veths): CHECKSUM_UNNECESSARY skbs,
#   whose checksums zlb_tc updates in place; TCP, UDP and ICMP cross, every
#   TCP segment's checksum right (csum-audit.py at both ends), no checksum
#   error counted.
# - xdp: the same traffic in XDP mode; zlb-ct lists and zlb-stat counts it
#   exactly as in tc mode (the same maps).
# - mixed: veth0 xdp + veth2 tc, and (settings.mode = "tc", veth2 xdp) the
#   reverse: TCP and UDP. The XDP side's veth needs (GRO on, tx-checksumming
#   off on the peers) are met as in the XDP tests (zlb_reference_topology).
# - auto: settings.mode = "auto" runs tc on both veths; UDP crosses, and
#   again after a reload.
# The hooks themselves (handles, replacing, --unload) are tc-load.sh's.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip tc ethtool bpftool nc ping python3 ss sha256sum timeout
zlb_require_built
[ -r "$ZLB_BPF_TC_OBJ" ] || zlb_die "tc BPF object not built: $ZLB_BPF_TC_OBJ"
zlb_require_tools
REFCONF=$ZLB_SRCDIR/tests/configs/e2e/reference.conf
AUDIT=$ZLB_SRCDIR/tests/e2e/csum-audit.py
BULK_MIB=32

# --- setup ----------------------------------------------------------------------

# scenario M [--default-offloads]: a fresh bpffs and reference topology.
scenario() {
	echo "=== $1"
	zlb_bpffs_setup
	zlb_reference_topology "${@:2}"
}

scenario_end() {
	zlb_netns_del_all
	zlb_bpffs_teardown
}

# load M LINE...: zlb-load the reference services with LINEs (settings and
# interfaces) in place of reference.conf's interfaces line.
load() {
	local m=$1 conf=$ZLB_TMP/$1.conf
	shift
	grep -q '^interfaces = ' "$REFCONF" || zlb_die "$REFCONF has no interfaces line"
	{
		sed '/^interfaces = /d' "$REFCONF"
		printf '%s\n' "$@"
	} >"$conf"
	zlb_check_load "$m: zlb-load loads: $*" "$conf"
}

# --- what runs where --------------------------------------------------------------

in_lb() {
	timeout 30 ip netns exec "$ZL" "$@"
}

# zlb_tc_filters IF: the zlb_tc filters on IF's ingress, one line each.
zlb_tc_filters() {
	in_lb tc filter show dev "$1" ingress | grep -E 'direct-action .*name zlb_tc '
}

# stat_mode IF: the mode zlb-stat reports for IF.
stat_mode() {
	in_lb "$STAT" -j | python3 -c '
import json, sys
print([i["mode"] for i in json.load(sys.stdin)["interfaces"] if i["dev"] == sys.argv[1]][0])
' "$1"
}

# check_mode M IF tc|xdp: IF runs what it should, seen by tc, ip and zlb-stat.
check_mode() {
	local m=$1 ifc=$2 want=$3 n xdp=no got
	n=$(zlb_tc_filters "$ifc" | wc -l)
	ip -n "$ZL" -d link show dev "$ifc" | grep -q 'prog/xdp' && xdp=yes
	if [ "$want" = tc ] && [ "$n" = 1 ] && [ "$xdp" = no ]; then
		zlb_pass "$m: $ifc runs zlb_tc on clsact ingress (direct-action), no XDP"
	elif [ "$want" = xdp ] && [ "$n" = 0 ] && [ "$xdp" = yes ]; then
		zlb_pass "$m: $ifc runs XDP, no zlb_tc filter"
	else
		zlb_fail "$m: $ifc runs $want only" "zlb_tc filters: $n, XDP program: $xdp;
$(in_lb tc filter show dev "$ifc" ingress; ip -n "$ZL" -d link show dev "$ifc")"
	fi
	got=$(stat_mode "$ifc")
	zlb_check "$m: zlb-stat shows $ifc in $want mode (got '$got')" test "$got" = "$want"
}

# check_no_xdp M: no XDP program on any interface of any namespace, by ip
# and by bpftool.
check_no_xdp() {
	local m=$1 ns found=""
	for ns in "$ZC" "$ZL" "$ZS"; do
		if ip -n "$ns" -d link show | grep -qw -e 'prog/xdp' -e xdp -e xdpgeneric; then
			found="$found $ns (ip -d link: $(ip -n "$ns" -d link show | grep -w -e 'prog/xdp' -e xdp -e xdpgeneric))"
		fi
		if ! ip netns exec "$ns" bpftool -j net show |
			python3 -c 'import json, sys; sys.exit(any(n["xdp"] for n in json.load(sys.stdin)))'; then
			found="$found $ns (bpftool net: $(ip netns exec "$ns" bpftool net show))"
		fi
	done
	zlb_check "$m: no XDP program on any interface in any namespace${found:+:$found}" test -z "$found"
}

# offload NS IF FEATURE: on or off, as ethtool -k says.
offload() {
	ip netns exec "$1" ethtool -k "$2" | awk -v f="$3:" '$1 == f { print $2 }'
}

# check_offloads M WHEN: the kernel's defaults are still there: tx-checksumming
# on every veth, TSO on the peers (an XDP program on a veth turns it off on
# its peer), GRO off on the peers (so a large segment a peer receives came
# through the load balancer as one).
check_offloads() {
	local m=$1 when=$2 ns_if ns ifc feature want bad=""
	for ns_if in "$ZC veth1" "$ZL veth0" "$ZL veth2" "$ZS veth3"; do
		read -r ns ifc <<<"$ns_if"
		for feature in tx-checksumming tcp-segmentation-offload generic-receive-offload; do
			case "$feature:$ifc" in
			tx-*) want=on ;;
			tcp-*:veth[13]) want=on ;;
			generic-*:veth[13]) want=off ;;
			*) continue ;;
			esac
			[ "$(offload "$ns" "$ifc" "$feature")" = "$want" ] || bad="$bad $ifc $feature not $want;"
		done
	done
	zlb_check "$m: $when: tx-checksumming on everywhere, TSO on and GRO off on veth1 and veth3${bad:+:$bad}" \
		test -z "$bad"
}

# --- zlb-ct and zlb-stat: the same account in both modes --------------------------------

stat_to() {
	in_lb "$STAT" -j >"$1" || zlb_die "zlb-stat -j failed"
}

# account M: one TCP connection (a line each way), then N UDP exchanges and
# one echo; writes $ZLB_TMP/account-M.json: the flows zlb-ct lists (client
# and source ports left out) and what zlb-stat counted during the UDP and
# ICMP traffic.
N=10
account() {
	local m=$1 answered
	zlb_nc_server "$ZS" 10.2.0.2 223 "acc-srv-$m"
	zlb_nc_client "$ZC" 10.0.0.1 23 "acc-cli-$m"
	zlb_line_crosses "$m: account: a TCP line from the client reaches the server" \
		"acc-cli-$m" "$ZLB_TMP/acc-srv-$m.out" "account $m $ZLB_SUFFIX"
	zlb_line_crosses "$m: account: a TCP line from the server reaches the client" \
		"acc-srv-$m" "$ZLB_TMP/acc-cli-$m.out" "account back $m $ZLB_SUFFIX"
	sleep 0.5 # the last ACKs; the connection is idle from here on
	zlb_udp_echo_server "$ZS" 10.2.0.2 5300 "acc-udp-$m"
	stat_to "$ZLB_TMP/stat-$m-0.json"
	answered=$(zlb_udp_exchange 0 "$N")
	zlb_check "$m: account: $N UDP exchanges answered (got $answered)" test "$answered" = "$N"
	zlb_check "$m: account: one echo answered" zlb_ping "$ZC" 10.0.0.1
	stat_to "$ZLB_TMP/stat-$m-1.json"
	in_lb "$CT" -j list >"$ZLB_TMP/ct-$m.json" || zlb_die "zlb-ct -j list failed"
	python3 -c '
import json, sys
ct, s0, s1 = (json.load(open(p)) for p in sys.argv[1:4])
addr = lambda a: a.rsplit(":", 1)[0]
# The ports of an echo flow are its echo identifier, chosen by ping.
port = lambda f, a: addr(a) if f["proto"] == "icmp" else a
def delta(sec, key, fields):
    before = {r[key]: r for r in s0[sec]}
    return {str(r[key]): {f: r[f] - before[r[key]][f] for f in fields} for r in s1[sec]}
json.dump({
    "flows": sorted([f["proto"], addr(f["client"]), port(f, f["service"]), addr(f["source"]),
                     port(f, f["backend"]), f["state"], f["service_id"], f["backend_id"]]
                    for f in ct),
    "services": delta("services", "id", ("packets", "new_flows")),
    "backends": delta("backends", "backend", ("packets", "new_flows")),
    "interfaces": delta("interfaces", "dev", ("fwd_packets",)),
    "totals": {k: s1["totals"][k] - s0["totals"][k]
               for k in ("forward", "redirect", "tx", "new_flow", "ct_hit", "ct_miss")},
    "drops": sum(s1["drops"].values()) - sum(s0["drops"].values()),
}, open(sys.argv[4], "w"), indent=1, sort_keys=True)
' "$ZLB_TMP/ct-$m.json" "$ZLB_TMP/stat-$m-0.json" "$ZLB_TMP/stat-$m-1.json" \
		"$ZLB_TMP/account-$m.json" || zlb_die "cannot read zlb-ct's or zlb-stat's JSON"
	zlb_kill_tracked
}

# check_account_expected M: the account is what the reference services make
# of that traffic: three flows; 2N UDP and 2 ICMP packets on services 1 and 0
# and their backends, a new flow each; N + 1 packets out of each interface.
check_account_expected() {
	local got=$ZLB_TMP/account-$1.json
	if python3 -c '
import json, sys
n = int(sys.argv[2])
a = json.load(open(sys.argv[1]))
assert a["flows"] == [
    ["icmp", "10.0.0.2", "10.0.0.1", "10.2.0.1", "10.2.0.2", "icmp", 0, 0],
    ["tcp", "10.0.0.2", "10.0.0.1:23", "10.2.0.1", "10.2.0.2:223", "established", 0, 0],
    ["udp", "10.0.0.2", "10.0.0.1:5353", "10.2.0.1", "10.2.0.2:5300", "udp", 1, 64],
], a["flows"]
assert a["services"] == {"0": {"packets": 2, "new_flows": 1},
                         "1": {"packets": 2 * n, "new_flows": 1}}, a["services"]
assert a["backends"] == {"10.2.0.2:223": {"packets": 2, "new_flows": 1},
                         "10.2.0.2:5300": {"packets": 2 * n, "new_flows": 1}}, a["backends"]
assert a["interfaces"] == {"veth0": {"fwd_packets": n + 1},
                           "veth2": {"fwd_packets": n + 1}}, a["interfaces"]
t = a["totals"]
assert (t["forward"], t["new_flow"], t["ct_miss"], t["ct_hit"]) == (2 * n + 2, 2, 2, 2 * n), t
assert a["drops"] == 0, a["drops"]
' "$got" "$N" 2>"$ZLB_TMP/account.err"; then
		zlb_pass "$1: zlb-ct and zlb-stat account for the traffic as expected"
	else
		zlb_fail "$1: zlb-ct and zlb-stat account for the traffic as expected" \
			"$(tail -n 1 "$ZLB_TMP/account.err"); account: $(cat "$got")"
	fi
}

# --- bulk TCP ---------------------------------------------------------------------

# bulk M up|down: $BULK_MIB MiB of random bytes through the service, client to
# server (up) or server to client (down). The receiver gets the same bytes;
# every segment it gets has a right checksum (tests/e2e/csum-audit.py), some
# are larger than the MTU; the frames the load balancer forwarded are on
# average larger than any a 1500-byte MTU allows (1518 bytes: Ethernet header
# and a VLAN tag), so GSO packets went through whole; it asked the FIB
# meanwhile (not only its cache) and dropped nothing.
bulk() {
	local m=$1 dir=$2 rx_ns rx_if src dst port egress srv_in cli_in srv_out cli_out
	local srv_opt cli_opt audit sent got ok what why i
	local data=$ZLB_TMP/bulk.data recv=$ZLB_TMP/bulk-$dir.recv
	[ -f "$data" ] || head -c "${BULK_MIB}M" /dev/urandom >"$data" ||
		zlb_die "cannot write $data"
	if [ "$dir" = up ]; then
		rx_ns=$ZS rx_if=veth3 src=10.2.0.1 dst=10.2.0.2 port=223 egress=veth2
		srv_in=/dev/null srv_out=$recv srv_opt=-l cli_in=$data cli_out=/dev/null cli_opt=-N
	else
		rx_ns=$ZC rx_if=veth1 src=10.0.0.1 dst=10.0.0.2 port=23 egress=veth0
		srv_in=$data srv_out=/dev/null srv_opt=-Nl cli_in=/dev/null cli_out=$recv cli_opt=-n
	fi
	audit=$ZLB_TMP/audit-$dir.json
	ip netns exec "$rx_ns" python3 "$AUDIT" "$rx_if" "$src" "$dst" "$port" "$audit" \
		2>"$ZLB_TMP/audit-$dir.err" &
	local audit_pid=$!
	zlb_track_pid "$audit_pid"
	zlb_wait_for test -e "$audit.ready" ||
		zlb_die "csum-audit.py did not start: $(cat "$ZLB_TMP/audit-$dir.err")"
	stat_to "$ZLB_TMP/stat-bulk-$dir-0.json"

	ip netns exec "$ZS" timeout 20 nc -n "$srv_opt" 10.2.0.2 223 <"$srv_in" >"$srv_out" \
		2>"$ZLB_TMP/bulk-srv-$dir.err" &
	local srv_pid=$!
	zlb_track_pid "$srv_pid"
	zlb_wait_for zlb_tcp_listening "$ZS" 10.2.0.2 223 ||
		zlb_die "nc did not listen: $(cat "$ZLB_TMP/bulk-srv-$dir.err")"
	# The client ends when both sides closed: the server is done then, or
	# stuck (failed transfer).
	ip netns exec "$ZC" timeout 15 nc -n "$cli_opt" 10.0.0.1 23 <"$cli_in" >"$cli_out" \
		2>"$ZLB_TMP/bulk-cli-$dir.err"
	for ((i = 0; i < 20; i++)); do
		zlb_alive "$srv_pid" || break
		sleep 0.1
	done
	kill "$srv_pid" 2>/dev/null
	wait "$srv_pid"
	sleep 0.2 # the last segments to the audit's socket
	kill -TERM "$audit_pid"
	wait "$audit_pid"
	stat_to "$ZLB_TMP/stat-bulk-$dir-1.json"

	sent=$(sha256sum <"$data" | cut -d' ' -f1)
	got=$(sha256sum <"$recv" | cut -d' ' -f1)
	if [ "$sent" = "$got" ]; then
		zlb_pass "$m: bulk $dir: the receiver gets the $BULK_MIB MiB intact (sha256 ${sent:0:16}...)"
	else
		zlb_fail "$m: bulk $dir: the receiver gets the $BULK_MIB MiB intact" \
			"sha256 sent $sent, received $got ($(stat -c %s "$recv") bytes); $(cat "$ZLB_TMP"/bulk-*-"$dir".err)"
	fi
	while IFS=$'\t' read -r ok what why; do
		if [ "$ok" = 1 ]; then
			zlb_pass "$m: bulk $dir: $what"
		else
			zlb_fail "$m: bulk $dir: $what" "$why"
		fi
	done < <(bulk_verdicts "$audit" "$ZLB_TMP/stat-bulk-$dir-0.json" \
		"$ZLB_TMP/stat-bulk-$dir-1.json" "$rx_if" "$egress")
}

# bulk_verdicts AUDIT STAT0 STAT1 RX_IF EGRESS: what the receiver's audit and
# zlb-stat say of a bulk transfer, a line "OK<tab>CHECK<tab>WHY NOT" each.
bulk_verdicts() {
	python3 - "$@" <<'EOF'
import json, sys
a, s0, s1 = (json.load(open(p)) for p in sys.argv[1:4])
rx_if, egress = sys.argv[4:6]

def check(ok, what, why):
    print("%d\t%s\t%s" % (ok, what, why))

check(a["segments"] > 0 and a["bad"] == 0 and a["unchecked"] == 0,
      "every TCP segment %s receives has a right checksum (%d segments: %d partial, "
      "%d complete)" % (rx_if, a["segments"], a["partial"], a["complete"]),
      "%d bad, %d unchecked; %s" % (a["bad"], a["unchecked"], a["bad_examples"]))
check(a["gso"] > 0,
      "%s receives segments larger than its MTU (%d of them, the longest %d bytes)"
      % (rx_if, a["gso"], a["max_len"]), "none: %s" % a)
row = lambda s: [i for i in s["interfaces"] if i["dev"] == egress][0]
pkts = row(s1)["fwd_packets"] - row(s0)["fwd_packets"]
byts = row(s1)["fwd_bytes"] - row(s0)["fwd_bytes"]
check(pkts > 0 and byts / pkts > 1518,
      "zlb-stat: frames forwarded out of %s average more than 1518 bytes, the most a "
      "1500-byte MTU allows (%d bytes in %d frames)" % (egress, byts, pkts), "they do not")
lookups = s1["totals"]["fib_lookup"] - s0["totals"]["fib_lookup"]
check(lookups > 0, "zlb-stat: the data plane asked the FIB meanwhile (%d lookups)" % lookups,
      "it did not: GSO packets met only the FIB cache")
drops = sum(s1["drops"].values()) - sum(s0["drops"].values())
check(drops == 0, "zlb-stat: the data plane dropped nothing meanwhile (%d)" % drops,
      str({k: s1["drops"][k] - s0["drops"][k] for k in s1["drops"] if s1["drops"][k] != s0["drops"][k]}))
EOF
}

# audited_tcp M: the reference TCP exchange (zlb_reference_tcp) with every
# segment that reaches the server and the client checked by csum-audit.py:
# a checksum the load balancer got wrong is seen there even when the skb
# still says CHECKSUM_UNNECESSARY (redirect_peer keeps that state, and the
# receiving kernel then trusts the field).
audited_tcp() {
	local m=$1 side ns ifc src dst port out pids=() seg bad
	for side in server client; do
		if [ $side = server ]; then
			ns=$ZS ifc=veth3 src=10.2.0.1 dst=10.2.0.2 port=223
		else
			ns=$ZC ifc=veth1 src=10.0.0.1 dst=10.0.0.2 port=23
		fi
		out=$ZLB_TMP/audit-$m-$side.json
		ip netns exec "$ns" python3 "$AUDIT" "$ifc" "$src" "$dst" "$port" "$out" \
			2>"$out.err" &
		pids+=($!)
		zlb_track_pid $!
		zlb_wait_for test -e "$out.ready" ||
			zlb_die "csum-audit.py did not start: $(cat "$out.err")"
	done
	zlb_reference_tcp "$m"
	sleep 0.2 # the last segments to the audits' sockets
	kill -TERM "${pids[@]}"
	wait "${pids[@]}"
	for side in server client; do
		out=$ZLB_TMP/audit-$m-$side.json
		read -r seg bad < <(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(d["segments"], d["bad"])' "$out" 2>/dev/null) || seg=0 bad=?
		zlb_check "$m: tcp: every segment the $side gets has a right checksum (csum-audit.py: $seg segments, $bad bad)" \
			test "$seg" -gt 2 -a "$bad" = 0
	done
}

# csum_errors: Tcp and Udp InCsumErrors of the client and the server.
csum_errors() {
	local ns
	for ns in "$ZC" "$ZS"; do
		printf '%s ' "$(zlb_snmp "$ns" Tcp InCsumErrors)" "$(zlb_snmp "$ns" Udp InCsumErrors)"
	done
}

# --- the scenarios ------------------------------------------------------------------

zlb_tmpdir

scenario tc --default-offloads
errors0=$(csum_errors)
# FIB results cached for 1 ms only: GSO packets of the bulk transfers meet
# bpf_fib_lookup() and its MTU check, not only the cache.
if load tc 'settings = { fib_cache_ms = 1; };' \
	'interfaces = ( { name = "veth0"; mode = "tc"; }, { name = "veth2"; mode = "tc"; } );'; then
	check_mode tc veth0 tc
	check_mode tc veth2 tc
	check_no_xdp tc
	check_offloads tc "after zlb-load"
	account tc
	zlb_reference_tcp tc
	zlb_reference_udp tc
	zlb_reference_icmp tc
	bulk tc up
	bulk tc down
	check_offloads tc "after the bulk transfers"
	errors1=$(csum_errors)
	zlb_check "tc: the client's and the server's kernels count no checksum error (Tcp, Udp InCsumErrors: $errors0-> $errors1)" \
		test "$errors0" = "$errors1"
fi
scenario_end

# tc on the XDP tests' topology: the senders compute their checksums
# (tx-checksumming off), so the load balancer's veths take the skbs as
# CHECKSUM_UNNECESSARY (veth does so with rx-checksumming on; GRO, on here
# as in make bench, verifies and says the same): zlb_tc updates their
# checksums in place, without bpf_l4_csum_replace(). The receivers' kernels
# would trust that state, so csum-audit.py checks the TCP segments.
scenario tc-verified
zlb_must ip netns exec "$ZL" ethtool -K veth0 gro on
zlb_must ip netns exec "$ZL" ethtool -K veth2 gro on
errors0=$(csum_errors)
if load tc-verified 'interfaces = ( { name = "veth0"; mode = "tc"; }, { name = "veth2"; mode = "tc"; } );'; then
	check_mode tc-verified veth0 tc
	check_mode tc-verified veth2 tc
	zlb_check "tc-verified: GRO on the load balancer's veths, tx-checksumming off on the senders" \
		test "$(offload "$ZL" veth0 generic-receive-offload) $(offload "$ZL" veth2 generic-receive-offload) $(offload "$ZC" veth1 tx-checksumming) $(offload "$ZS" veth3 tx-checksumming)" = "on on off off"
	audited_tcp tc-verified
	zlb_reference_udp tc-verified
	zlb_reference_icmp tc-verified
	errors1=$(csum_errors)
	zlb_check "tc-verified: the client's and the server's kernels count no checksum error (Tcp, Udp InCsumErrors: $errors0-> $errors1)" \
		test "$errors0" = "$errors1"
fi
scenario_end

scenario xdp
if load xdp 'interfaces = ( "veth0", "veth2" );'; then
	check_mode xdp veth0 xdp
	check_mode xdp veth2 xdp
	account xdp
	check_account_expected xdp
	if [ -f "$ZLB_TMP/account-tc.json" ]; then
		zlb_check_same "tc: zlb-ct and zlb-stat account for the same traffic exactly as in XDP mode" \
			"$(cat "$ZLB_TMP/account-xdp.json")" "$(cat "$ZLB_TMP/account-tc.json")"
	fi
fi
scenario_end

scenario mixed
if load mixed 'interfaces = ( { name = "veth0"; mode = "xdp"; }, { name = "veth2"; mode = "tc"; } );'; then
	check_mode mixed veth0 xdp
	check_mode mixed veth2 tc
	zlb_reference_tcp mixed
	zlb_reference_udp mixed
fi
scenario_end

scenario mixed-reverse
if load mixed-reverse 'settings = { mode = "tc"; };' \
	'interfaces = ( "veth0", { name = "veth2"; mode = "xdp"; } );'; then
	check_mode mixed-reverse veth0 tc
	check_mode mixed-reverse veth2 xdp
	zlb_reference_tcp mixed-reverse
	zlb_reference_udp mixed-reverse
fi
scenario_end

scenario auto --default-offloads
if load auto 'settings = { mode = "auto"; };' 'interfaces = ( "veth0", "veth2" );'; then
	check_mode auto veth0 tc
	check_mode auto veth2 tc
	check_no_xdp auto
	zlb_reference_udp auto
	if load auto-reload 'settings = { mode = "auto"; };' 'interfaces = ( "veth0", "veth2" );'; then
		check_mode auto-reload veth0 tc
		check_mode auto-reload veth2 tc
		zlb_reference_udp auto-reload
	fi
fi
scenario_end

zlb_summary
