#!/bin/bash
# The reference scenario in three network namespaces, to try zon-lb by hand.
#
#   zone0 (client)              zone1 (load balancer)                 zone2 (server)
#   veth1 10.0.0.2 ------- veth0 10.0.0.1  [zon-lb]  veth2 10.2.0.1 ------- veth3 10.2.0.2
#
# usage: reference-setup.sh up | down
#
# Everything it makes lives in the namespaces zone0, zone1 and zone2: the veth
# pairs are created directly inside them and every sysctl is set inside zone1.
# It refuses to run `up` when one of them exists already, and `down` only
# deletes those three namespaces.
set -u

ZONES=(zone0 zone1 zone2)

die() {
	echo "reference-setup.sh: $*" >&2
	exit 1
}

exists() {
	[ -e "/run/netns/$1" ]
}

down() {
	local ns pids
	for ns in "${ZONES[@]}"; do
		exists "$ns" || continue
		pids=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
		[ -z "$pids" ] || echo "note: processes still running in $ns: $pids" >&2
		ip netns del "$ns" || echo "warning: cannot delete netns $ns" >&2
	done
}

# run_in NS CMD...: run CMD in NS, or undo everything and stop.
run_in() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@" >/dev/null || {
		echo "reference-setup.sh: failed in $ns: $*" >&2
		down
		exit 1
	}
}

up() {
	local ns
	for ns in "${ZONES[@]}"; do
		exists "$ns" && die "netns $ns exists already; '$0 down' removes it"
	done
	for ns in "${ZONES[@]}"; do
		ip netns add "$ns" || { down; die "cannot create netns $ns"; }
		run_in "$ns" ip link set lo up
	done

	# Each pair is created with both ends inside the namespaces.
	run_in zone0 ip link add veth1 type veth peer name veth0 netns zone1
	run_in zone1 ip link add veth2 type veth peer name veth3 netns zone2

	run_in zone0 ip addr add 10.0.0.2/24 dev veth1
	run_in zone1 ip addr add 10.0.0.1/24 dev veth0
	run_in zone1 ip addr add 10.2.0.1/24 dev veth2
	run_in zone2 ip addr add 10.2.0.2/24 dev veth3
	run_in zone0 ip link set veth1 up
	run_in zone1 ip link set veth0 up
	run_in zone1 ip link set veth2 up
	run_in zone2 ip link set veth3 up
	run_in zone0 ip route add default via 10.0.0.1
	run_in zone2 ip route add default via 10.2.0.1

	# XDP's bpf_fib_lookup() only forwards when forwarding is on.
	run_in zone1 sysctl -w net.ipv4.conf.all.forwarding=1 \
		net.ipv4.conf.veth0.forwarding=1 net.ipv4.conf.veth2.forwarding=1

	# A veth receives redirected frames only when its peer side runs XDP or
	# GRO; and a veth sender's partial checksums do not survive a redirect
	# yet, so the senders compute them (tx-checksumming off).
	run_in zone0 ethtool -K veth1 gro on tx off
	run_in zone2 ethtool -K veth3 gro on tx off

	cat <<'EOF'
zone0 (client 10.0.0.2), zone1 (load balancer 10.0.0.1 / 10.2.0.1) and
zone2 (server 10.2.0.2) are up. `ip netns exec` remounts /sys, so give
zon-lb a bpffs of its own, then load the example config in zone1:

  mkdir -p /run/zon-lb-example && mount -t bpf bpf /run/zon-lb-example
  ip netns exec zone1 env ZLB_BPFFS=/run/zon-lb-example/zon-lb \
      LIBXDP_BPFFS=/run/zon-lb-example zlb-load examples/zonlb.conf
  ip netns exec zone2 nc -nlv 10.2.0.2 223     # the server
  ip netns exec zone0 nc -nv 10.0.0.1 23       # the client

Undo: zlb-load --unload (same env), umount /run/zon-lb-example, and
examples/reference-setup.sh down.
EOF
}

[ "$(id -u)" -eq 0 ] || die "must run as root"
case "${1:-}" in
up) up ;;
down) down ;;
*)
	echo "usage: $0 up | down" >&2
	exit 2
	;;
esac
