#!/bin/bash
# Packet fuzzing of the data plane: tests/fuzz/zlb-fuzz runs generated and
# mutated frames through the XDP program with BPF_PROG_TEST_RUN and checks
# its invariants after every frame. Like tests/unit/packets.sh, it runs in
# a namespace of its own whose interfaces only give the FIB routes,
# neighbours and ifindexes; no frame really leaves:
#
#   veth1 (clients 10.0.0.0/24, gateway .254) --- veth0 10.0.0.1
#   veth2 10.2.0.1 --- veth3 (backends 10.2.0.2, .3, .5; .4 unresolved)
#
# and the same over IPv6: fd00::/64 (gateway fd00::fe) on veth0's side,
# fd00:2::/64 on veth2's.
#
# ZLB_FUZZ_FRAMES (default 200000) and ZLB_FUZZ_SEED go to the fuzzer;
# `make fuzz` runs ten million frames.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip sysctl
FUZZ=$ZLB_BUILDDIR/tests/fuzz/zlb-fuzz
[ -x "$FUZZ" ] || zlb_die "not built: $FUZZ (make $FUZZ)"
[ -r "$ZLB_BPF_OBJ" ] || zlb_die "BPF object not built: $ZLB_BPF_OBJ"

zlb_packet_ns zfuzz

# Remote clients behind a gateway; on-link clients are learned from their
# first packets (zlb_neigh).
zlb_must ip -n "$NS" neigh add 10.0.0.254 lladdr 02:00:00:00:10:fe dev veth0 nud permanent
zlb_must ip -n "$NS" route add default via 10.0.0.254 dev veth0
# Backends: two behind veth2, one behind veth0 (hairpin, XDP_TX), a drained
# one; 10.2.0.4 has no neighbour, and 192.0.2.0/24 is prohibited.
zlb_must ip -n "$NS" neigh add 10.2.0.2 lladdr 02:00:00:00:00:03 dev veth2 nud permanent
zlb_must ip -n "$NS" neigh add 10.2.0.3 lladdr 02:00:00:00:20:03 dev veth2 nud permanent
zlb_must ip -n "$NS" neigh add 10.2.0.5 lladdr 02:00:00:00:20:05 dev veth2 nud permanent
zlb_must ip -n "$NS" neigh add 10.0.0.3 lladdr 02:00:00:00:10:03 dev veth0 nud permanent
zlb_must ip -n "$NS" route add prohibit 192.0.2.0/24
# The same over IPv6.
zlb_must ip -n "$NS" -6 neigh add fd00::fe lladdr 02:00:00:00:10:fe dev veth0 nud permanent
zlb_must ip -n "$NS" -6 route add default via fd00::fe dev veth0
zlb_must ip -n "$NS" -6 neigh add fd00:2::2 lladdr 02:00:00:00:00:03 dev veth2 nud permanent
zlb_must ip -n "$NS" -6 neigh add fd00:2::3 lladdr 02:00:00:00:20:03 dev veth2 nud permanent
zlb_must ip -n "$NS" -6 neigh add fd00:2::5 lladdr 02:00:00:00:20:05 dev veth2 nud permanent
zlb_must ip -n "$NS" -6 neigh add fd00::3 lladdr 02:00:00:00:10:03 dev veth0 nud permanent
zlb_must ip -n "$NS" -6 route add prohibit 2001:db8::/32

ip netns exec "$NS" ${ZLB_TEST_WRAPPER:-} "$FUZZ" "$ZLB_BPF_OBJ"
