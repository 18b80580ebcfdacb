#!/bin/bash
# The reference scenario end to end: "warm" (neighbour tables filled by
# pings before zlb-load), "cold" (no traffic at all before zlb-load, then
# the server side's veth pair made anew and reloaded) and "skb" (cold, with
# zlb-load --skb-mode).
#
#   client ZC 10.0.0.2 --- veth0 10.0.0.1 [zon-lb, ZL] veth2 10.2.0.1 --- 10.2.0.2 server ZS
#
# TCP 10.0.0.1:23 -> 10.2.0.2:223 (source 10.2.0.1), UDP 10.0.0.1:5353 ->
# 10.2.0.2:5300 (source: the egress address, 10.2.0.1) and ICMP echo to
# 10.0.0.1 (-> the first service's backend) must cross the load balancer
# without its kernel ever seeing them.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool nc ping python3 ss timeout awk
zlb_require_built

CONF=$ZLB_SRCDIR/tests/configs/e2e/reference.conf

# What the namespaces looked like, printed after a failed check.
diag() {
	echo "--- diagnostics ($1)"
	ip -n "$ZL" -4 neigh show
	ip -n "$ZL" link show
	ip netns exec "$ZC" ss -tan
	ip netns exec "$ZS" ss -tan
	echo "---"
}

check_warm_neighbours() {
	local m=$1
	zlb_check "$m: client pings the load balancer" zlb_ping "$ZC" 10.0.0.1
	zlb_check "$m: load balancer pings the server" zlb_ping "$ZL" 10.2.0.2
	zlb_check "$m: server pings the load balancer" zlb_ping "$ZS" 10.2.0.1
	if ip -n "$ZL" -4 neigh show 10.0.0.2 dev veth0 | grep -q lladdr &&
		ip -n "$ZL" -4 neigh show 10.2.0.2 dev veth2 | grep -q lladdr; then
		zlb_pass "$m: load balancer knows the client's and the server's MAC"
	else
		zlb_fail "$m: load balancer knows the client's and the server's MAC" \
			"$(ip -n "$ZL" -4 neigh show)"
	fi
}

check_cold_neighbours() {
	local m=$1 neigh
	neigh=$(ip -n "$ZL" -4 neigh show)
	if [ -z "$neigh" ]; then
		zlb_pass "$m: load balancer has no IPv4 neighbours before zlb-load"
	else
		zlb_fail "$m: load balancer has no IPv4 neighbours before zlb-load" "$neigh"
	fi
}

# load MODE: zlb-load reference.conf (skb: in skb mode); returns non-zero
# when it failed.
load() {
	local m=$1 out=$ZLB_TMP/load-$1.out ifc opt=() want=native xdp=xdp
	if [ "$m" = skb ]; then
		opt=(--skb-mode)
		want=skb
		xdp=xdpgeneric
	fi
	if zlb_load_in_lb "${opt[@]}" "$CONF" >"$out" 2>&1; then
		zlb_pass "$m: zlb-load loads reference.conf"
	else
		zlb_fail "$m: zlb-load loads reference.conf" "exit $?: $(cat "$out")"
		return 1
	fi
	cat "$out"
	for ifc in veth0 veth2; do
		if grep -E "$ifc: .*\($want mode, libxdp (single-program fallback|multiprog dispatcher)" "$out" >/dev/null; then
			zlb_pass "$m: zlb-load reports the attach mode of $ifc ($want)"
		else
			zlb_fail "$m: zlb-load reports the attach mode of $ifc ($want)" "no line with '$ifc' and '$want mode'"
		fi
		if ip -n "$ZL" link show "$ifc" | grep -q "$xdp "; then
			zlb_pass "$m: an XDP program is attached to $ifc ($xdp)"
		else
			zlb_fail "$m: an XDP program is attached to $ifc" "$(ip -n "$ZL" link show "$ifc")"
		fi
	done
}

check_tcp() {
	local m=$1 srv=srv-$1 cli=cli-$1 ok=1
	zlb_nc_server "$ZS" 10.2.0.2 223 "$srv"
	zlb_nc_client "$ZC" 10.0.0.1 23 "$cli"

	# 10 s: room for one SYN retransmission.
	if zlb_wait_for -t 10 zlb_tcp_established "$ZS" 223 10.2.0.1; then
		zlb_pass "$m: tcp: server sees a connection from 10.2.0.1"
	else
		zlb_fail "$m: tcp: server sees a connection from 10.2.0.1" \
			"$(ip netns exec "$ZS" ss -tan; cat "$ZLB_TMP/$srv.err" "$ZLB_TMP/$cli.err")"
		ok=0
	fi
	if zlb_wait_for zlb_file_has "$ZLB_TMP/$srv.err" "Connection received on 10.2.0.1 "; then
		zlb_pass "$m: tcp: server nc reports the peer 10.2.0.1"
	else
		zlb_fail "$m: tcp: server nc reports the peer 10.2.0.1" "$(cat "$ZLB_TMP/$srv.err")"
	fi
	if zlb_wait_for zlb_tcp_connected "$ZC" 10.0.0.1 23; then
		zlb_pass "$m: tcp: client is connected to 10.0.0.1:23"
	else
		zlb_fail "$m: tcp: client is connected to 10.0.0.1:23" \
			"$(ip netns exec "$ZC" ss -tan; cat "$ZLB_TMP/$cli.err")"
		ok=0
	fi

	zlb_line_crosses "$m: tcp: a line from the client reaches the server" \
		"$cli" "$ZLB_TMP/$srv.out" "client to server $m $ZLB_SUFFIX" || ok=0
	zlb_line_crosses "$m: tcp: a line from the server reaches the client" \
		"$srv" "$ZLB_TMP/$cli.out" "server to client $m $ZLB_SUFFIX" || ok=0
	[ "$ok" -eq 1 ] || diag "$m tcp"
	zlb_kill_tracked
}

check_udp() {
	local m=$1 tag=udp-$1 reply first
	zlb_udp_echo_server "$ZS" 10.2.0.2 5300 "$tag"
	reply=$(zlb_udp_ask "$ZC" 10.0.0.1 5353 "hello $m")
	if [ "$reply" = "10.0.0.1 5353 echo:hello $m" ]; then
		zlb_pass "$m: udp: client gets the reply from 10.0.0.1:5353"
	else
		zlb_fail "$m: udp: client gets the reply from 10.0.0.1:5353" \
			"got '$reply' (source address, port, payload)"
		diag "$m udp"
	fi
	first=$(head -n 1 "$ZLB_TMP/$tag.log")
	if [ "${first%% *}" = 10.2.0.1 ]; then
		zlb_pass "$m: udp: server sees the datagram from 10.2.0.1"
	else
		zlb_fail "$m: udp: server sees the datagram from 10.2.0.1" "server log: '$first'"
	fi
	zlb_kill_tracked
}

check_icmp() {
	local m=$1 s0 s1 l0 l1
	s0=$(zlb_snmp "$ZS" Icmp InEchos) || zlb_die "cannot read Icmp InEchos in $ZS"
	l0=$(zlb_snmp "$ZL" Icmp InEchos) || zlb_die "cannot read Icmp InEchos in $ZL"
	if ip netns exec "$ZC" ping -n -c 3 -W 1 10.0.0.1; then
		zlb_pass "$m: icmp: client pings 10.0.0.1"
	else
		zlb_fail "$m: icmp: client pings 10.0.0.1" "ping failed"
	fi
	s1=$(zlb_snmp "$ZS" Icmp InEchos)
	l1=$(zlb_snmp "$ZL" Icmp InEchos)
	if [ $((s1 - s0)) -eq 3 ]; then
		zlb_pass "$m: icmp: the server answers the 3 echoes"
	else
		zlb_fail "$m: icmp: the server answers the 3 echoes" "server InEchos $s0 -> $s1"
	fi
	if [ "$l1" -eq "$l0" ]; then
		zlb_pass "$m: icmp: the load balancer's kernel sees no echo"
	else
		zlb_fail "$m: icmp: the load balancer's kernel sees no echo" "LB InEchos $l0 -> $l1"
	fi
}

# recreate: the server side's veth pair is deleted and made again (a new
# ifindex); a reload attaches to it and fills the devmap anew.
recreate() {
	local m=recreated
	zlb_must ip -n "$ZL" link del veth2
	zlb_veth_pair "$ZL" veth2 "$ZS" veth3
	zlb_must ip -n "$ZL" addr add 10.2.0.1/24 dev veth2
	zlb_must ip -n "$ZS" addr add 10.2.0.2/24 dev veth3
	zlb_must ip -n "$ZL" link set veth2 up
	zlb_must ip -n "$ZS" link set veth3 up
	zlb_must ip -n "$ZS" route add default via 10.2.0.1
	zlb_must ip netns exec "$ZL" sysctl -q -w net.ipv4.conf.veth2.forwarding=1
	zlb_must ip netns exec "$ZS" ethtool -K veth3 gro on tx off
	if load "$m"; then
		check_tcp "$m"
	fi
}

# scenario warm|cold|skb: a fresh bpffs and topology, zlb-load, the three
# protocols, then everything torn down. cold goes on with the server side's
# interfaces made anew; skb is cold in skb (generic) mode.
scenario() {
	local m=$1
	echo "=== $m"
	zlb_bpffs_setup
	zlb_reference_topology
	if [ "$m" = warm ]; then
		check_warm_neighbours "$m"
	else
		check_cold_neighbours "$m"
	fi
	if load "$m"; then
		check_tcp "$m"
		check_udp "$m"
		check_icmp "$m"
	fi
	[ "$m" = cold ] && recreate
	zlb_netns_del_all
	zlb_bpffs_teardown
}

zlb_tmpdir
scenario warm
scenario cold
scenario skb
zlb_summary
