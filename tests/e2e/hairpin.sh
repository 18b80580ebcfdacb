#!/bin/bash
# shellcheck disable=SC2317 # the small predicates are called through zlb_check and zlb_wait_for
# Hairpin: a backend that is also a client of the service. Its packets to
# the service arrive on the interface it sits behind, and go back out of it
# to the chosen backend (itself, or another host on that link), translated
# both ways (full NAT: the backend sees the load balancer's source address,
# so the answers come back through it).
#
#   client ZC 10.0.0.2 --- veth0 10.0.0.1 [zon-lb, ZL] veth2 10.2.0.1 --- 10.2.0.2, 10.2.0.3 server ZS
#                                                              (and fd00::/64, fd00:2::/64)
#
# From ZS, from 10.2.0.2 (the backend itself) and from 10.2.0.3 (another
# host on the backend's link): TCP to 10.0.0.1:23 and [fd00::1]:23, UDP
# to 10.0.0.1:5353 and [fd00::1]:5353, ICMP echo to 10.0.0.1 and fd00::1,
# all answered by the backend 10.2.0.2 (fd00:2::2); while the client in ZC
# still works. In "xdp" mode (veths with GRO on the peers, as in the other
# XDP tests; their peers run no XDP program) and in "tc" mode.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool nc ping python3 ss timeout awk
zlb_require_built

# conf MODE: the dual-stack reference services with every interface in MODE.
conf() {
	cat <<C
settings = { mode = "$1"; };
services = (
  { name = "telnet"; address = "10.0.0.1"; protocol = "tcp"; port = 23;
    backends = ( { address = "10.2.0.2"; port = 223; source = "10.2.0.1"; } ); },
  { name = "echo-udp"; address = "10.0.0.1"; protocol = "udp"; port = 5353;
    backends = ( { address = "10.2.0.2"; port = 5300; } ); },
  { name = "telnet6"; address = "fd00::1"; protocol = "tcp"; port = 23;
    backends = ( { address = "fd00:2::2"; port = 223; source = "fd00:2::1"; } ); },
  { name = "echo-udp6"; address = "fd00::1"; protocol = "udp"; port = 5353;
    backends = ( { address = "fd00:2::2"; port = 5300; } ); }
);
interfaces = ( "veth0", "veth2" );
C
}

# tcp_hairpin M FROM SVC BACKEND SOURCE: nc from FROM (in ZS) to SVC:23
# reaches the nc on BACKEND:223 in ZS from SOURCE; a line crosses each way.
tcp_hairpin() {
	local m=$1 from=$2 svc=$3 be=$4 src=$5 tag pids=()
	tag=$m-$(printf '%s' "$from" | tr -c '0-9a-z' _)
	zlb_nc_server "$ZS" "$be" 223 "srv-$tag"
	pids+=("$ZLB_NC_PID")
	_zlb_nc_start "$ZS" "cli-$tag" -s "$from" "$svc" 23
	pids+=("$ZLB_NC_PID")
	tcp_check "$m" "$from" "$svc" "$src" "$tag"
	# Both nc gone before the next listener binds the port: nc listens
	# with SO_REUSEPORT, two listeners would share the connections.
	_zlb_stop "${pids[@]}"
}

tcp_check() {
	local m=$1 from=$2 svc=$3 src=$4 tag=$5
	if zlb_wait_for -t 10 zlb_file_has "$ZLB_TMP/srv-$tag.err" "Connection received on $src "; then
		zlb_pass "$m: tcp from $from to $(zlb_addr_port "$svc" 23): the backend sees a connection from $src"
	else
		zlb_fail "$m: tcp from $from to $(zlb_addr_port "$svc" 23): the backend sees a connection from $src" \
			"$(cat "$ZLB_TMP/srv-$tag.err" "$ZLB_TMP/cli-$tag.err")"
		return 1
	fi
	zlb_line_crosses "$m: tcp from $from: a line reaches the backend" \
		"cli-$tag" "$ZLB_TMP/srv-$tag.out" "up $tag $ZLB_SUFFIX"
	zlb_line_crosses "$m: tcp from $from: a line comes back from $(zlb_addr_port "$svc" 23)" \
		"srv-$tag" "$ZLB_TMP/cli-$tag.out" "down $tag $ZLB_SUFFIX"
}

# udp_hairpin M FROM SVC: 5 datagrams from FROM (in ZS) to SVC:5353, each
# answered from SVC:5353.
udp_hairpin() {
	local m=$1 from=$2 svc=$3 got
	got=$(timeout 20 ip netns exec "$ZS" python3 -c '
import socket, sys
src, dst = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, 0))
s.settimeout(1)
ok = 0
for i in range(5):
    s.sendto(b"hp%d" % i, (dst, 5353))
    try:
        data, peer = s.recvfrom(2048)
    except socket.timeout:
        continue
    if peer[:2] == (dst, 5353) and data == b"echo:hp%d" % i:
        ok += 1
print(ok)
' "$from" "$svc")
	zlb_check "$m: udp from $from to $(zlb_addr_port "$svc" 5353): 5 of 5 datagrams answered (got ${got:-none})" \
		test "${got:-0}" = 5
}

# echo_hairpin M FROM SVC: 3 echoes from FROM (in ZS) to SVC, all answered.
echo_hairpin() {
	zlb_check "$1: ping from $2 to $3: 3 of 3 echoes answered" \
		ip netns exec "$ZS" ping -n -q -c 3 -W 1 -w 8 -I "$2" "$3"
}

scenario() {
	local m=$1 offl=()
	[ "$m" = tc ] && offl=(--default-offloads)
	zlb_bpffs_setup
	zlb_reference_topology "${offl[@]}" ipv6
	zlb_must ip -n "$ZS" addr add 10.2.0.3/24 dev veth3
	zlb_must ip -n "$ZS" addr add fd00:2::3/64 dev veth3 nodad
	conf "$m" >"$ZLB_TMP/$m.conf"
	zlb_check_load "$m: zlb-load loads the dual-stack services in $m mode" "$ZLB_TMP/$m.conf" || return 0

	zlb_udp_echo_server "$ZS" 10.2.0.2 5300 "u4-$m"
	zlb_udp_echo_server "$ZS" fd00:2::2 5300 "u6-$m"
	zlb_check "$m: the client still gets its udp answer" \
		test "$(zlb_udp_ask "$ZC" 10.0.0.1 5353 c)" = "10.0.0.1 5353 echo:c"
	local from
	for from in 10.2.0.2 10.2.0.3; do
		udp_hairpin "$m" "$from" 10.0.0.1
		echo_hairpin "$m" "$from" 10.0.0.1
		tcp_hairpin "$m" "$from" 10.0.0.1 10.2.0.2 10.2.0.1
	done
	for from in fd00:2::2 fd00:2::3; do
		udp_hairpin "$m" "$from" fd00::1
		echo_hairpin "$m" "$from" fd00::1
		tcp_hairpin "$m" "$from" fd00::1 fd00:2::2 fd00:2::1
	done
	zlb_netns_del_all
	zlb_bpffs_teardown
}

zlb_tmpdir
scenario xdp
scenario tc
zlb_summary
