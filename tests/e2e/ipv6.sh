#!/bin/bash
# The reference scenario over IPv6, and over both families at once.
#
#   client ZC fd00::2 --- veth0 fd00::1 [zon-lb, ZL] veth2 fd00:2::1 --- fd00:2::2 server ZS
#
# "ipv6" (native mode) and "skb" (skb mode): tests/configs/e2e/ipv6.conf,
# TCP [fd00::1]:23 -> [fd00:2::2]:223 (source fd00:2::1), UDP
# [fd00::1]:5353 -> [fd00:2::2]:5300 (source: the egress address) and ICMPv6
# echo to fd00::1 must cross the load balancer without its kernel seeing
# them; zlb-load keeps the backend's IPv6 next hop resolved, warns while
# IPv6 forwarding is off, and zlb-ct lists the flows as [addr]:port.
# "dual": tests/configs/e2e/dual-stack.conf, the IPv4 and the IPv6
# reference services loaded together, both working side by side.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool nc ping python3 ss timeout awk
zlb_require_built

CT=$ZLB_BUILDDIR/zlb-ct/zlb-ct
[ -x "$CT" ] || zlb_die "zlb-ct is not built: $CT"
CONFS=$ZLB_SRCDIR/tests/configs/e2e

# What the namespaces looked like, printed after a failed check.
diag() {
	echo "--- diagnostics ($1)"
	ip -n "$ZL" neigh show
	ip -n "$ZL" addr show
	ip netns exec "$ZC" ss -tan
	ip netns exec "$ZS" ss -tan
	ip netns exec "$ZL" "$CT" list
	echo "---"
}

# load NAME CONF [--skb-mode]: zlb-load CONF; its output is left in
# $ZLB_TMP/load-NAME.out. Non-zero when it failed.
load() {
	local m=$1 conf=$2 out=$ZLB_TMP/load-$1.out
	shift 2
	if zlb_load_in_lb "$@" "$conf" >"$out" 2>&1; then
		zlb_pass "$m: zlb-load loads $(basename "$conf")"
		cat "$out"
		return 0
	fi
	zlb_fail "$m: zlb-load loads $(basename "$conf")" "exit $?: $(cat "$out")"
	return 1
}

# check_tcp NAME SERVICE BACKEND SOURCE: TCP from the client through
# SERVICE:23 to BACKEND:223, seen from SOURCE (zlb_check_tcp), and zlb-ct
# lists the flow with its four addresses. The connection is left open
# (nc tags srv-NAME-SERVICE, cli-NAME-SERVICE).
check_tcp() {
	local m=$1 svc=$2 be=$3 src=$4 ok=0 client
	zlb_check_tcp "$m-$svc" "$m: tcp $svc" "$svc" "$be" "$src" || ok=1
	client=$(ip netns exec "$ZC" ss -Htn state established "( dport = :23 )" |
		awk -v s="$(zlb_addr_port "$svc" 23)" '$4 == s { print $3; exit }')
	check_ct_flow "$m" tcp "$client" "$(zlb_addr_port "$svc" 23)" "$src" \
		"$(zlb_addr_port "$be" 223)" established || ok=1
	[ "$ok" -eq 0 ] || diag "$m tcp $svc"
}

# check_ct_flow NAME PROTO CLIENT SERVICE SOURCE_ADDR BACKEND STATE: zlb-ct
# lists one such flow, in JSON and as a line of its table.
check_ct_flow() {
	local m=$1 proto=$2 client=$3 svc=$4 src=$5 be=$6 state=$7 json text
	json=$(ip netns exec "$ZL" "$CT" -j list 2>&1)
	if printf '%s' "$json" | python3 -c '
import json, sys
proto, client, svc, src, be, state = sys.argv[1:]
flows = [f for f in json.load(sys.stdin) if f["proto"] == proto and f["client"] == client]
ok = len(flows) == 1 and flows[0]["service"] == svc and flows[0]["backend"] == be and \
    flows[0]["state"] == state and flows[0]["source"].rsplit(":", 1)[0] in (src, "[%s]" % src)
sys.exit(0 if ok else 1)' "$proto" "$client" "$svc" "$src" "$be" "$state"; then
		zlb_pass "$m: zlb-ct -j lists the $proto flow $client -> $svc -> $be ($state)"
	else
		zlb_fail "$m: zlb-ct -j lists the $proto flow $client -> $svc -> $be ($state)" "$json"
		return 1
	fi
	text=$(ip netns exec "$ZL" "$CT" list 2>&1)
	if printf '%s\n' "$text" | awk -v p="$proto" -v c="$client" -v s="$svc" -v b="$be" -v st="$state" '
		$1 == p && $2 == c && $3 == s && $5 == b && $6 == st { ok = 1 } END { exit !ok }'; then
		zlb_pass "$m: zlb-ct list prints the $proto flow as $client $svc ... $be"
	else
		zlb_fail "$m: zlb-ct list prints the $proto flow as $client $svc ... $be" "$text"
		return 1
	fi
}

# check_warnings NAME WANT...: each WANT is "+TEXT" (the last load said
# TEXT) or "-TEXT" (it did not).
check_warnings() {
	local m=$1 w name said out=$ZLB_TMP/load-$1.out
	shift
	for w in "$@"; do
		said=no
		grep -qF -- "${w:1}" "$out" && said=yes
		if [ "${w:0:1}" = + ]; then
			name="$m: zlb-load says '${w:1}'"
		else
			name="$m: zlb-load does not say '${w:1}'"
		fi
		if [ "$said" = "$([ "${w:0:1}" = + ] && echo yes || echo no)" ]; then
			zlb_pass "$name"
		else
			zlb_fail "$name" "$(cat "$out")"
		fi
	done
}

# managed_neighbour ADDR IF: the kernel of ZL keeps ADDR on IF resolved for
# zon-lb (a managed entry with a MAC address).
managed_neighbour() {
	local n
	n=$(ip -n "$ZL" neigh show "$1" dev "$2")
	[[ $n == *lladdr* && $n == *managed* ]]
}

check_managed_neighbour() {
	if zlb_wait_for managed_neighbour "$2" "$3"; then
		zlb_pass "$1: the next hop $2 is a resolved, managed neighbour"
	else
		zlb_fail "$1: the next hop $2 is a resolved, managed neighbour" "$(ip -n "$ZL" neigh show)"
	fi
}

# ipv6 NAME [--skb-mode]: the IPv6 reference scenario, from a cold start
# (no traffic before zlb-load).
ipv6() {
	local m=$1
	shift
	echo "=== $m"
	zlb_bpffs_setup
	zlb_reference_topology ipv6
	# The first load with IPv6 forwarding off on veth2 (and IPv4 forwarding
	# off, which an IPv6-only file does not need) is warned about ...
	zlb_must ip netns exec "$ZL" sysctl -q -w net.ipv6.conf.veth2.forwarding=0 \
		net.ipv4.conf.veth0.forwarding=0
	if load "$m-fwd-off" "$CONFS/ipv6.conf" "$@"; then
		check_warnings "$m-fwd-off" "+veth2: IPv6 forwarding is off" \
			"+sysctl -w net.ipv6.conf.veth2.forwarding=1" \
			"-veth0: IPv6 forwarding is off" "-IPv4 forwarding"
		check_managed_neighbour "$m" fd00:2::2 veth2
	fi
	# ... and a reload with it on is not.
	zlb_must ip netns exec "$ZL" sysctl -q -w net.ipv6.conf.veth2.forwarding=1
	if load "$m" "$CONFS/ipv6.conf" "$@"; then
		check_warnings "$m" "-forwarding is off"
		check_tcp "$m" fd00::1 fd00:2::2 fd00:2::1
		zlb_kill_tracked
		zlb_check_udp "udp-$m" "$m: udp fd00::1" fd00::1 fd00:2::2 fd00:2::1 ||
			diag "$m udp"
		zlb_kill_tracked
		zlb_check_echo "$m: icmp fd00::1" fd00::1
	fi
	zlb_netns_del_all
	zlb_bpffs_teardown
}

# dual: an IPv4 and an IPv6 service per protocol loaded together; TCP
# connections of both families open at once.
dual() {
	local m=dual
	echo "=== $m"
	zlb_bpffs_setup
	zlb_reference_topology ipv6
	if load "$m" "$CONFS/dual-stack.conf"; then
		check_warnings "$m" "-forwarding is off"
		check_tcp "$m" 10.0.0.1 10.2.0.2 10.2.0.1
		check_tcp "$m" fd00::1 fd00:2::2 fd00:2::1
		zlb_line_crosses "$m: tcp 10.0.0.1: the IPv4 connection still carries a line" \
			"cli-$m-10.0.0.1" "$ZLB_TMP/srv-$m-10.0.0.1.out" "still here $m $ZLB_SUFFIX"
		zlb_kill_tracked
		zlb_check_udp "udp4-$m" "$m: udp 10.0.0.1" 10.0.0.1 10.2.0.2 10.2.0.1 ||
			diag "$m udp 10.0.0.1"
		zlb_check_udp "udp6-$m" "$m: udp fd00::1" fd00::1 fd00:2::2 fd00:2::1 ||
			diag "$m udp fd00::1"
		zlb_kill_tracked
		zlb_check_echo "$m: icmp 10.0.0.1" 10.0.0.1
		zlb_check_echo "$m: icmp fd00::1" fd00::1
	fi
	zlb_netns_del_all
	zlb_bpffs_teardown
}

zlb_tmpdir
ipv6 ipv6
ipv6 skb --skb-mode
dual
zlb_summary
