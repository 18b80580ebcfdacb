#!/bin/bash
# Packet tests of the data plane: tests/unit/test_packets runs frames through
# its XDP and its tc program with BPF_PROG_TEST_RUN, over IPv4 and IPv6. The program's FIB lookups and
# devmap need real interfaces, so it runs inside one namespace of its own:
#
#   veth1 (client 10.0.0.2) --- veth0 10.0.0.1   veth2 10.2.0.1 --- veth3 (backend 10.2.0.2)
#         (client fd00::2)         fd00::1         fd00:2::1          (backend fd00:2::2)
#
# Nothing is attached and no frame really leaves: the interfaces only give
# the FIB routes, neighbours and ifindexes. The MACs and neighbours below are
# the ones the cases expect (tests/unit/scenario.c has the hosts).
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip sysctl
TEST_PACKETS=$ZLB_BUILDDIR/tests/unit/test_packets
[ -x "$TEST_PACKETS" ] || zlb_die "not built: $TEST_PACKETS (make $TEST_PACKETS)"
[ -r "$ZLB_BPF_OBJ" ] || zlb_die "BPF object not built: $ZLB_BPF_OBJ"

zlb_packet_ns zpkt

# The client (veth1's MAC) and the backend (veth3's MAC); 10.2.0.3 is a
# backend the kernel has no neighbour for.
zlb_must ip -n "$NS" neigh add 10.0.0.2 lladdr 02:00:00:00:00:01 dev veth0 nud permanent
zlb_must ip -n "$NS" neigh add 10.2.0.2 lladdr 02:00:00:00:00:03 dev veth2 nud permanent
# A backend behind the client side (hairpin, XDP_TX).
zlb_must ip -n "$NS" neigh add 10.0.0.3 lladdr 02:00:00:00:10:03 dev veth0 nud permanent
# A backend behind a route with a small MTU.
zlb_must ip -n "$NS" route add 10.2.0.4/32 dev veth2 mtu lock 1000
zlb_must ip -n "$NS" neigh add 10.2.0.4 lladdr 02:00:00:00:12:04 dev veth2 nud permanent
# The weighted service's backends (Maglev) and a drained one: 10.2.0.1N at
# 02:00:00:00:14:1N.
for n in 1 2 3 4; do
	zlb_must ip -n "$NS" neigh add "10.2.0.1$n" lladdr "02:00:00:00:14:1$n" dev veth2 nud permanent
done
# A backend behind an interface zon-lb is not configured on.
zlb_must ip -n "$NS" route add 10.3.0.0/24 dev veth3
zlb_must ip -n "$NS" neigh add 10.3.0.2 lladdr 02:00:00:00:13:02 dev veth3 nud permanent

# The same hosts over IPv6: fd00::N on veth0's side,
# fd00:2::N on veth2's, fd00:3::N behind veth3; the small MTU is IPv6's
# least, 1280.
zlb_must ip -n "$NS" -6 neigh add fd00::2 lladdr 02:00:00:00:00:01 dev veth0 nud permanent
zlb_must ip -n "$NS" -6 neigh add fd00:2::2 lladdr 02:00:00:00:00:03 dev veth2 nud permanent
zlb_must ip -n "$NS" -6 neigh add fd00::3 lladdr 02:00:00:00:10:03 dev veth0 nud permanent
zlb_must ip -n "$NS" -6 route add fd00:2::4/128 dev veth2 mtu lock 1280
zlb_must ip -n "$NS" -6 neigh add fd00:2::4 lladdr 02:00:00:00:12:04 dev veth2 nud permanent
for n in 1 2 3 4; do
	zlb_must ip -n "$NS" -6 neigh add "fd00:2::1$n" lladdr "02:00:00:00:14:1$n" dev veth2 nud permanent
done
zlb_must ip -n "$NS" -6 route add fd00:3::/64 dev veth3
zlb_must ip -n "$NS" -6 neigh add fd00:3::2 lladdr 02:00:00:00:13:02 dev veth3 nud permanent

# Every case against both builds of the data plane, the tc one twice: as
# BPF_PROG_TEST_RUN builds its skb (CHECKSUM_NONE: the checksums go through
# bpf_l4_csum_replace) and as a verified checksum arrives (CHECKSUM_UNNECESSARY,
# from a NIC or GRO: updated in place), through tests/bpf/tc_csum_verified.
# One summary line.
rc=0
zlb_tmpdir
out=$ZLB_TMP/results
WRAPPER=${ZLB_TEST_BPF_DIR:-$ZLB_BUILDDIR/tests/bpf}/tc_csum_verified.bpf.o
for hook in xdp tc tc-verified; do
	obj=$ZLB_BPF_OBJ extra=()
	[ "$hook" != xdp ] && obj=$ZLB_BPF_TC_OBJ
	[ "$hook" = tc-verified ] && extra=("$WRAPPER")
	for o in "$obj" "${extra[@]}"; do
		[ -r "$o" ] || zlb_die "BPF object not built: $o"
	done
	ip netns exec "$NS" ${ZLB_TEST_WRAPPER:-} "$TEST_PACKETS" "$obj" "$hook" "${extra[@]}" |
		tee -a "$out"
	r=${PIPESTATUS[0]}
	[ "$r" -gt "$rc" ] && rc=$r
done
sum() { sed -n "s/^test_packets [a-z-]*: .*\b\([0-9]\+\) $1.*/\1/p" "$out" | paste -sd+ | bc; }
echo "packets: $(sum passed) passed, $(sum failed) failed, $(sum skipped) skipped"
exit "$rc"
