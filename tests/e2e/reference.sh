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
	zlb_check_tcp "$1" "$1: tcp" 10.0.0.1 10.2.0.2 10.2.0.1 || diag "$1 tcp"
	zlb_kill_tracked
}

check_udp() {
	zlb_check_udp "udp-$1" "$1: udp" 10.0.0.1 10.2.0.2 10.2.0.1 || diag "$1 udp"
	zlb_kill_tracked
}

check_icmp() {
	zlb_check_echo "$1: icmp" 10.0.0.1
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
