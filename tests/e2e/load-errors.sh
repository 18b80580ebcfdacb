#!/bin/bash
# A load that cannot be carried out changes nothing: with the reference
# scenario loaded, broken configs, a missing interface, another program's XDP
# on a configured interface and a pin directory that would vanish are each
# refused with a clear error, and the maps that hold configuration stay as
# they were. Then the warnings a load gives about interfaces that would lose
# traffic (veth peer without XDP or GRO, forwarding off).
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool bpftool sha256sum timeout
zlb_require_built

CONFS=$ZLB_SRCDIR/tests/configs
OTHER_OBJ=${ZLB_TEST_BPF_DIR:-$ZLB_BUILDDIR/tests/bpf}/xdp_other.bpf.o
[ -r "$OTHER_OBJ" ] || zlb_die "test object not built: $OTHER_OBJ (make check builds it)"

# The configuration maps (not the connection table or counters, which
# traffic may change), and the XDP program on each interface.
snapshot() {
	local m
	for m in zlb_meta zlb_services zlb_backends zlb_ifaces zlb_tx_ports; do
		printf '%s ' "$m"
		bpftool map dump pinned "$ZLB_BPFFS/$m" | sha256sum
	done
	ip -n "$ZL" -d link show veth0 | grep -o 'prog/xdp id [0-9]*'
	ip -n "$ZL" -d link show veth2 | grep -o 'prog/xdp id [0-9]*'
}

# refused NAME PATTERN ARGS...: zlb-load ARGS fails, says PATTERN (an ERE),
# and the state is the one of the last good load.
refused() {
	local name=$1 pattern=$2 out=$ZLB_TMP/out rc
	shift 2
	zlb_load_in_lb "$@" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && grep -Eq "zlb-load: error: .*$pattern" "$out"; then
		zlb_pass "$name: refused with a clear error"
	else
		zlb_fail "$name: refused with a clear error" "exit $rc: $(cat "$out")"
	fi
	if [ "$(snapshot)" = "$GOOD" ]; then
		zlb_pass "$name: the maps and programs are unchanged"
	else
		zlb_fail "$name: the maps and programs are unchanged" "$(diff <(echo "$GOOD") <(snapshot))"
	fi
}

# with_ifaces IFACE...: reference.conf's services on other interfaces.
with_ifaces() {
	local f=$ZLB_TMP/ifaces-$#.conf list
	list=$(printf '"%s", ' "$@")
	sed "s/^interfaces = .*/interfaces = ( ${list%, } );/" \
		"$CONFS/e2e/reference.conf" >"$f"
	echo "$f"
}

zlb_tmpdir
zlb_bpffs_setup
zlb_reference_topology

if ! zlb_load_in_lb "$CONFS/e2e/reference.conf" >"$ZLB_TMP/load.out" 2>&1; then
	zlb_fail "the reference config loads" "$(cat "$ZLB_TMP/load.out")"
	zlb_summary
fi
zlb_pass "the reference config loads"
GOOD=$(snapshot)

for f in syntax-error port-out-of-range unknown-service-key backends-empty \
	address-ipv6 service-duplicate-endpoint; do
	refused "bad config $f.conf" "$f\.conf:[0-9]+: " "$CONFS/bad/$f.conf"
done

refused "an interface that does not exist" \
	"reference-ghost.conf:[0-9]+: interfaces: interface 'zlbghost0' does not exist" \
	"$(cp "$(with_ifaces veth0 zlbghost0)" "$ZLB_TMP/reference-ghost.conf" &&
		echo "$ZLB_TMP/reference-ghost.conf")"

# Another program, attached without libxdp, on an interface the new config
# adds: refused before anything changes, and that program stays.
zlb_veth_pair "$ZL" veth4 "$ZS" veth5
zlb_must ip -n "$ZL" link set veth4 up
zlb_must ip -n "$ZL" link set dev veth4 xdpdrv obj "$OTHER_OBJ" sec xdp
refused "another XDP program on veth4" "veth4: another XDP program \('xdp_other'\)" \
	"$(with_ifaces veth0 veth2 veth4)"
if ip -n "$ZL" -d link show veth4 | grep -q 'name xdp_other'; then
	zlb_pass "the other program still runs on veth4"
else
	zlb_fail "the other program still runs on veth4" "$(ip -n "$ZL" -d link show veth4)"
fi
zlb_must ip -n "$ZL" link set dev veth4 xdpdrv off

# Under ip netns exec a bpffs mounted now would vanish with the process.
out=$ZLB_TMP/private.out
env -u ZLB_BPFFS timeout 60 ip netns exec "$ZL" "$ZLB_LOAD" "$CONFS/e2e/reference.conf" >"$out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "private mount namespace.*set ZLB_BPFFS" "$out"; then
	zlb_pass "no bpffs in a private mount namespace: refused, naming ZLB_BPFFS"
else
	zlb_fail "no bpffs in a private mount namespace: refused, naming ZLB_BPFFS" "exit $rc: $(cat "$out")"
fi
[ "$(snapshot)" = "$GOOD" ] && zlb_pass "after that, the state is unchanged" ||
	zlb_fail "after that, the state is unchanged" "$(diff <(echo "$GOOD") <(snapshot))"

# Warnings: veth4's peer (veth5) has neither XDP nor GRO, and forwarding is
# off on veth4. The load goes on and names both problems.
zlb_must ip netns exec "$ZS" ethtool -K veth5 gro off
zlb_must ip netns exec "$ZL" sysctl -q -w net.ipv4.conf.veth4.forwarding=0
out=$ZLB_TMP/warn.out
if zlb_load_in_lb "$(with_ifaces veth0 veth2 veth4)" >"$out" 2>&1; then
	zlb_pass "a load with a deaf veth peer goes through"
else
	zlb_fail "a load with a deaf veth peer goes through" "$(cat "$out")"
fi
zlb_check "warning: the veth peer of veth4 has neither XDP nor GRO" \
	grep -q "warning: veth4: its veth peer has neither an XDP program nor GRO on.*gro on" "$out"
zlb_check "warning: forwarding is off on veth4" \
	grep -q "warning: veth4: IPv4 forwarding is off.*net.ipv4.conf.veth4.forwarding=1" "$out"
zlb_check "no such warning for veth0 and veth2 (their peers have GRO on)" \
	bash -c "! grep -Eq 'warning: veth[02]:' '$out'"

# A reload without veth4 takes zon-lb off it again.
zlb_load_in_lb "$CONFS/e2e/reference.conf" >"$out" 2>&1
zlb_check "an interface dropped from the config is detached" \
	grep -q "veth4: detached (no longer configured)" "$out"
zlb_check "veth4 runs no XDP program afterwards" \
	bash -c "! ip -n '$ZL' link show veth4 | grep -q xdp"

zlb_summary
