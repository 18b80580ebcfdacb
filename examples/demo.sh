#!/bin/bash
# zon-lb in one command, as root on a fresh Debian 12: install the
# dependencies, build, build the reference scenario in network namespaces of
# its own, load zon-lb and show a real TCP exchange through it:
#
#   client 10.0.0.2 --nc--> 10.0.0.1:23 [zon-lb] --> 10.2.0.2:223 nc -l (sees 10.2.0.1)
#
# Everything is torn down on exit. ZLB_DEMO_SKIP_DEPS=1 skips install-deps.sh.
set -u

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(dirname "$HERE")

die() {
	echo "demo.sh: $*" >&2
	exit 1
}

say() {
	printf '\n>>> %s\n' "$*"
}

[ "$(id -u)" -eq 0 ] || die "run me as root (network namespaces, XDP, bpffs)"

if [ "${ZLB_DEMO_SKIP_DEPS:-0}" != 1 ]; then
	say "installing the build and test dependencies (install-deps.sh)"
	bash "$TOP/install-deps.sh" || die "install-deps.sh failed"
fi

cd "$TOP" || die "cannot cd to $TOP"
if [ ! -x zlb-load/zlb-load ] || [ ! -f bpf/zlb.bpf.o ]; then
	say "building zon-lb"
	if [ ! -f Makefile ]; then
		autoreconf -fi || die "autoreconf failed"
		./configure || die "configure failed"
	fi
	make || die "make failed"
fi

# The test helpers build the scenario in uniquely named namespaces, mount a
# private bpffs and undo all of it when this script exits.
# shellcheck source=tests/lib.sh
. "$TOP/tests/lib.sh"
zlb_require_cmd ip ethtool nc ss
zlb_require_built
zlb_tmpdir
zlb_bpffs_setup
zlb_reference_topology

say "namespaces: client $ZC, load balancer $ZL, server $ZS"
echo "  $ZC  veth1 10.0.0.2 --- veth0 10.0.0.1  $ZL  veth2 10.2.0.1 --- veth3 10.2.0.2  $ZS"

say "zlb-load examples/zonlb.conf (inside $ZL)"
zlb_load_in_lb "$HERE/zonlb.conf" || die "zlb-load failed"

say "server: nc -l 10.2.0.2 223 (inside $ZS)"
zlb_nc_server "$ZS" 10.2.0.2 223 server
say "client: nc 10.0.0.1 23 (inside $ZC)"
zlb_nc_client "$ZC" 10.0.0.1 23 client

zlb_wait_for -t 10 zlb_file_has "$ZLB_TMP/server.err" "Connection received on " ||
	die "the server saw no connection: $(cat "$ZLB_TMP/server.err" "$ZLB_TMP/client.err")"
peer=$(sed -n 's/^Connection received on \([^ ]*\) \([0-9]*\).*/\1 port \2/p' "$ZLB_TMP/server.err")
echo "server: connect from $peer"
echo "        (the client connected to 10.0.0.1:23; zon-lb rewrote it on the way)"

zlb_nc_send client "hello through zon-lb"
echo "client sends:    hello through zon-lb"
zlb_wait_for zlb_file_has "$ZLB_TMP/server.out" "hello through zon-lb" ||
	die "the server did not get the client's line"
echo "server receives: $(cat "$ZLB_TMP/server.out")"

zlb_nc_send server "hello back from the server"
echo "server replies:  hello back from the server"
zlb_wait_for zlb_file_has "$ZLB_TMP/client.out" "hello back from the server" ||
	die "the client did not get the server's reply"
echo "client receives: $(cat "$ZLB_TMP/client.out")"

say "the same connection, seen from each end (ss)"
echo "client: $(ip netns exec "$ZC" ss -Htn state established '( dport = :23 )')"
echo "server: $(ip netns exec "$ZS" ss -Htn state established '( sport = :223 )')"

say "done; tearing everything down"
