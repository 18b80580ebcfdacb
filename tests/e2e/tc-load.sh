#!/bin/bash
# shellcheck disable=SC2317 # helpers called through zlb_check and zlb_wait_for
# tc mode, the hooks zlb-load puts zon-lb on (traffic through tc mode is
# tests/e2e/tc.sh's). In the reference scenario:
#
# - veth0 in xdp mode and veth2 in tc mode: XDP on veth0, exactly one tc
#   filter (clsact ingress, zon-lb's handle and priority) on veth2, each
#   interface on one hook only; zlb-stat tells the modes; zlb_ifaces has
#   the flags (TC; PEER_NS on veths whose peer is in another namespace;
#   VETH on every veth).
# - The same config again keeps the same programs; another build of the
#   tc program replaces the old one in place.
# - Modes swapped and swapped back: each hook moves, nothing stacks.
# - settings.mode = "auto": tc on veths, XDP on a tap; the warning about
#   veth peers that refuse XDP frames only while some interface runs XDP;
#   the note about XDP on veths only while a veth runs XDP.
# - Interfaces dropped from the config lose whichever hook they had.
# - Refused with nothing changed: a bad mode, a foreign filter at zon-lb's
#   place, a missing tc object.
# - --unload takes both hooks off and leaves another filter and the clsact
#   qdisc alone; zlb-load --service moves hooks on SIGHUP and takes them
#   off on SIGTERM.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip tc bpftool python3 readelf timeout
zlb_require_built
[ -r "$ZLB_BPF_TC_OBJ" ] || zlb_die "tc object not built: $ZLB_BPF_TC_OBJ"
if ! readelf -sW "$ZLB_BPF_TC_OBJ" | awk '$4 == "FUNC" && $8 == "zlb_tc" { ok = 1 } END { exit !ok }'; then
	zlb_log "SKIP: $ZLB_BPF_TC_OBJ has no program zlb_tc (bpf/zlb.bpf.c built with -DZLB_TC has no tc program yet)"
	exit 77
fi
# Another build of the tc program (other instructions, another tag).
: "${ZLB_TC_UPGRADE_OBJ:=${ZLB_TEST_BPF_DIR:-$ZLB_BUILDDIR/tests/bpf}/zlb_tc_upgrade.bpf.o}"
[ -r "$ZLB_TC_UPGRADE_OBJ" ] || zlb_die "test object not built: $ZLB_TC_UPGRADE_OBJ (make check builds it)"
OTHER_OBJ=${ZLB_TEST_BPF_DIR:-$ZLB_BUILDDIR/tests/bpf}/tc_other.bpf.o
[ -r "$OTHER_OBJ" ] || zlb_die "test object not built: $OTHER_OBJ (make check builds it)"

CONFS=$ZLB_SRCDIR/tests/configs
HANDLE=0x7a6c	# zon-lb's tc filter: handle and priority (zlb-load/attach_tc.h)
PREF=31340
F_TC=1		# zlb_iface.flags (libzlbcommon/zlb_abi.h)
F_PEER_NS=2
F_VETH=4

zlb_tmpdir

# conf NAME INTERFACES [SETTINGS]: reference.conf's services on INTERFACES
# (the inside of the list), with SETTINGS (the inside of the group).
conf() {
	local f=$ZLB_TMP/$1.conf
	{
		[ -z "${3:-}" ] || printf 'settings = { %s };\n' "$3"
		sed "s/^interfaces = .*/interfaces = ( $2 );/" "$CONFS/e2e/reference.conf"
	} >"$f"
	echo "$f"
}

# Each load is a check, zlb_check_load NAME ARGS...; what zlb-load said
# stays in $ZLB_LOAD_OUT.

said() { # NAME TEXT: the last zlb_check_load's zlb-load said TEXT (a fixed string)
	if grep -qF -- "$2" "$ZLB_LOAD_OUT"; then
		zlb_pass "$1"
	else
		zlb_fail "$1" "no \"$2\" in: $(cat "$ZLB_LOAD_OUT")"
	fi
}

not_said() { # NAME ERE: the last zlb_check_load's zlb-load said nothing that matches ERE
	if ! grep -Eq -- "$2" "$ZLB_LOAD_OUT"; then
		zlb_pass "$1"
	else
		zlb_fail "$1" "$(grep -E -- "$2" "$ZLB_LOAD_OUT")"
	fi
}

filters() { # IF: the filters on IF's tc ingress hook
	tc -n "$ZL" filter show dev "$1" ingress 2>&1
}

ours() { # IF: how many zon-lb tc programs IF's ingress hook runs
	filters "$1" | grep -c ' name zlb_tc '
}

tc_id() { # IF: the id of zon-lb's tc program on IF
	filters "$1" | sed -n 's/.* id \([0-9]*\) name zlb_tc .*/\1/p'
}

xdp_id() { # IF: the id of the XDP program on IF (empty: none)
	ip -n "$ZL" -d link show "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}

# on_tc IF: exactly one zon-lb filter, at zon-lb's handle and priority,
# direct-action; no XDP program.
on_tc() {
	local f
	f=$(filters "$1")
	if [ "$(ours "$1")" = 1 ] &&
		printf '%s\n' "$f" | grep -q "pref $PREF bpf .*handle $HANDLE .*direct-action.* name zlb_tc " &&
		[ -z "$(xdp_id "$1")" ]; then
		zlb_pass "$1 runs zon-lb on tc ingress only (one filter, pref $PREF, handle $HANDLE)"
	else
		zlb_fail "$1 runs zon-lb on tc ingress only" "filters: $f; xdp: '$(xdp_id "$1")'"
	fi
}

# on_xdp IF: an XDP program, no zon-lb filter.
on_xdp() {
	if [ -n "$(xdp_id "$1")" ] && [ "$(ours "$1")" = 0 ]; then
		zlb_pass "$1 runs zon-lb on XDP only"
	else
		zlb_fail "$1 runs zon-lb on XDP only" "xdp: '$(xdp_id "$1")'; filters: $(filters "$1")"
	fi
}

# on_none IF: neither.
on_none() {
	if [ -z "$(xdp_id "$1")" ] && [ "$(ours "$1")" = 0 ]; then
		zlb_pass "$1 runs no zon-lb program"
	else
		zlb_fail "$1 runs no zon-lb program" "xdp: '$(xdp_id "$1")'; filters: $(filters "$1")"
	fi
}

# modes IF=MODE...: zlb-stat -j says each interface's mode, text too.
modes() {
	local want="" pair got text
	for pair in "$@"; do
		want="$want${pair%%=*} ${pair#*=};"
	done
	got=$(ip netns exec "$ZL" "$ZLB_BUILDDIR/zlb-stat/zlb-stat" -j 2>&1 | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("".join("%s %s;" % (i["dev"], i["mode"]) for i in sorted(d["interfaces"], key=lambda i: i["dev"])))
' 2>&1)
	text=$(ip netns exec "$ZL" "$ZLB_BUILDDIR/zlb-stat/zlb-stat" 2>&1 |
		awk '/^Interfaces:/ { on = 1; next } on && /^$/ { on = 0 } on && $1 != "DEV" { printf "%s %s;", $1, $3 }' |
		tr ';' '\n' | sort | tr '\n' ';' | sed 's/^;//')
	if [ "$got" = "$want" ] && [ "$text" = "$want" ]; then
		zlb_pass "zlb-stat (text and JSON) reports the modes: $want"
	else
		zlb_fail "zlb-stat (text and JSON) reports the modes: $want" "JSON: $got; text: $text"
	fi
}

# flags IF=FLAGS...: zlb_ifaces[IF].flags.
flags() {
	local want="" pair got
	for pair in "$@"; do
		want="$want${pair%%=*} ${pair#*=};"
	done
	got=$(for pair in "$@"; do
		printf '%s %s;' "${pair%%=*}" "$(iface_flags "${pair%%=*}")"
	done)
	if [ "$got" = "$want" ]; then
		zlb_pass "zlb_ifaces flags (TC=$F_TC, PEER_NS=$F_PEER_NS, VETH=$F_VETH): $want"
	else
		zlb_fail "zlb_ifaces flags (TC=$F_TC, PEER_NS=$F_PEER_NS, VETH=$F_VETH): $want" "got $got"
	fi
}

iface_flags() { # IF
	local ifindex
	ifindex=$(ip netns exec "$ZL" cat "/sys/class/net/$1/ifindex")
	bpftool -j map dump pinned "$ZLB_BPFFS/zlb_ifaces" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    e = e.get("formatted", e)
    if e["key"] == int(sys.argv[1]):
        print(e["value"]["flags"])
' "$ifindex"
}

# state: what a refused load must leave as it was.
state() {
	local i
	for i in veth0 veth2 veth4; do
		printf '%s: xdp %s\n%s\n' "$i" "$(xdp_id "$i")" "$(filters "$i")"
	done
	bpftool -j map dump pinned "$ZLB_BPFFS/zlb_ifaces"
	bpftool -j map dump pinned "$ZLB_BPFFS/zlb_meta"
}

# refused NAME TEXT FILE [VAR=VALUE...]: zlb-load FILE (in that
# environment) fails saying TEXT, and nothing changed.
refused() {
	local name=$1 text=$2 file=$3 out=$ZLB_TMP/refused.out before rc
	shift 3
	before=$(state)
	timeout 60 ip netns exec "$ZL" env "$@" "$ZLB_LOAD" "$file" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && grep -qF -- "$text" "$out"; then
		zlb_pass "$name: refused"
	else
		zlb_fail "$name: refused" "exit $rc, want \"$text\": $(cat "$out")"
	fi
	zlb_check_same "$name: programs, filters and interface maps unchanged" "$before" "$(state)"
}

zlb_bpffs_setup
zlb_reference_topology

MIXED=$(conf mixed '{ name = "veth0"; mode = "xdp"; }, { name = "veth2"; mode = "tc"; }')
SWAPPED=$(conf swapped '{ name = "veth0"; mode = "tc"; }, "veth2"')
# The mixed config again, written the other way round.
MIXED_TC=$(conf mixed-tc '{ name = "veth0"; mode = "xdp"; }, "veth2"' 'mode = "tc";')

# --- one interface in xdp mode, one in tc mode ---------------------------------

zlb_check_load "zlb-load loads veth0 in xdp mode and veth2 in tc mode" "$MIXED" || zlb_summary
said "zlb-load says veth2 got tc ingress" "veth2: tc ingress (clsact), attached"
said "zlb-load says veth0 got XDP" "veth0: attached ("
if [ "$(grep -c 'note: .*veth0.*XDP on a veth.*tc mode keeps both' "$ZLB_LOAD_OUT")" = 1 ] &&
	! grep -q 'note: .*veth2' "$ZLB_LOAD_OUT"; then
	zlb_pass "zlb-load notes once that tc mode keeps TSO and partial checksums on veth0"
else
	zlb_fail "zlb-load notes once that tc mode keeps TSO and partial checksums on veth0" "$(cat "$ZLB_LOAD_OUT")"
fi
on_xdp veth0
on_tc veth2
modes veth0=xdp veth2=tc
flags veth0=$((F_PEER_NS | F_VETH)) veth2=$((F_TC | F_PEER_NS | F_VETH))
tc_first=$(tc_id veth2)
xdp_first=$(xdp_id veth0)

# --- the same config again; another build of the tc program ---------------------

zlb_check_load "zlb-load reloads the same config" "$MIXED"
said "veth2 keeps its tc program" "veth2: tc ingress (clsact), already running this program, maps updated"
if [ -n "$tc_first" ] && [ "$(tc_id veth2)" = "$tc_first" ] && [ "$(xdp_id veth0)" = "$xdp_first" ]; then
	zlb_pass "the same tc program (id $tc_first) and XDP program (id $xdp_first) run"
else
	zlb_fail "the same tc program and XDP program run" \
		"tc $tc_first -> $(tc_id veth2), xdp $xdp_first -> $(xdp_id veth0)"
fi
on_tc veth2

ZLB_BPF_TC_OBJ=$ZLB_TC_UPGRADE_OBJ zlb_check_load "zlb-load with another build of the tc program" "$MIXED"
said "the older tc program is replaced atomically" \
	"veth2: tc ingress (clsact), replaced an older zon-lb program atomically"
tc_new=$(tc_id veth2)
if [ -n "$tc_new" ] && [ "$tc_new" != "$tc_first" ]; then
	zlb_pass "veth2 runs the new tc program (id $tc_first -> $tc_new)"
else
	zlb_fail "veth2 runs the new tc program" "id before '$tc_first', after '$tc_new'"
fi
on_tc veth2
zlb_check_load "zlb-load goes back to the tc program of this build" "$MIXED"
on_tc veth2

# --- modes swapped, and back ------------------------------------------------------

zlb_check_load "zlb-load swaps the modes (veth0 tc, veth2 xdp)" "$SWAPPED"
said "veth0 leaves XDP for tc" "veth0: XDP program removed (moved to tc ingress)"
said "veth2 leaves tc for XDP" "veth2: tc ingress program removed (moved to XDP)"
on_tc veth0
on_xdp veth2
modes veth0=tc veth2=xdp
flags veth0=$((F_TC | F_PEER_NS | F_VETH)) veth2=$((F_PEER_NS | F_VETH))

zlb_check_load "zlb-load swaps them back (settings.mode = \"tc\", veth0 xdp)" "$MIXED_TC"
on_xdp veth0
on_tc veth2
modes veth0=xdp veth2=tc

# --- auto: tc on veths, XDP on a tap ----------------------------------------------

# veth4's peer stays in the load balancer's namespace, GRO off.
zlb_must ip -n "$ZL" link add veth4 type veth peer name veth5
zlb_must ip -n "$ZL" link set veth4 up
zlb_must ip -n "$ZL" link set veth5 up
zlb_must ip netns exec "$ZL" ethtool -K veth5 gro off
zlb_must ip netns exec "$ZL" ip tuntap add dev tap0 mode tap
AUTO=$(conf auto '"veth0", "veth2", "veth4", "tap0"' 'mode = "auto";')
ALL_TC=$(conf all-tc '"veth0", "veth2", "veth4"' 'mode = "auto";')

zlb_check_load "zlb-load with settings.mode = \"auto\"" "$AUTO"
on_tc veth0
on_tc veth2
on_tc veth4
on_xdp tap0
modes tap0=xdp veth0=tc veth2=tc veth4=tc
flags veth0=$((F_TC | F_PEER_NS | F_VETH)) veth2=$((F_TC | F_PEER_NS | F_VETH)) \
	veth4=$((F_TC | F_VETH)) tap0=0
said "XDP on tap0 may send into veth4, whose peer refuses such frames: warned" \
	"warning: veth4: its veth peer has neither an XDP program nor GRO on"
not_said "no note about XDP on a veth (none runs XDP)" "note: .*XDP on a veth"

zlb_check_load "zlb-load with only veths in auto mode" "$ALL_TC"
not_said "no interface runs XDP: no warning about veth peers that refuse XDP frames" \
	"its veth peer has neither an XDP program nor GRO"
said "tap0, dropped from the config, loses its XDP program" \
	"tap0: detached (no longer configured): XDP"
on_none tap0

zlb_check_load "zlb-load drops veth4 from the config" "$MIXED"
said "veth4, dropped from the config, loses its tc filter" \
	"veth4: detached (no longer configured): tc ingress"
on_none veth4
on_xdp veth0
on_tc veth2

# --- refused, nothing changed -------------------------------------------------------

refused "a bad mode" "$CONFS/bad/iface-mode-upper.conf:4: interfaces[1].mode: \"TC\" is not a mode" \
	"$CONFS/bad/iface-mode-upper.conf"
# Someone else's filters at zon-lb's place on veth4: a BPF program at its
# handle and priority, then a filter of another kind at its priority (the
# kernel would refuse zon-lb's filter there). veth4 kept the clsact qdisc
# zon-lb added.
zlb_check "veth4 keeps the clsact qdisc zon-lb added" bash -c "tc -n '$ZL' qdisc show dev veth4 | grep -q clsact"
tc -n "$ZL" qdisc show dev veth4 | grep -q clsact || zlb_must tc -n "$ZL" qdisc add dev veth4 clsact
WITH_VETH4=$(conf with-veth4 '{ name = "veth0"; mode = "xdp"; }, { name = "veth2"; mode = "tc"; }, { name = "veth4"; mode = "tc"; }')
zlb_must tc -n "$ZL" filter add dev veth4 ingress pref "$PREF" handle "$HANDLE" bpf da obj "$OTHER_OBJ" sec tc
refused "another tc program at zon-lb's handle and priority on veth4" \
	"$WITH_VETH4:11: interfaces: veth4: the program 'tc_other' holds zon-lb's place" \
	"$WITH_VETH4"
zlb_check "the other program on veth4 is still there" \
	bash -c "tc -n '$ZL' filter show dev veth4 ingress | grep -q 'name tc_other'"
zlb_must tc -n "$ZL" filter del dev veth4 ingress pref "$PREF"
zlb_must tc -n "$ZL" filter add dev veth4 ingress pref "$PREF" protocol ip u32 match u32 0 0 flowid 1:1
refused "a filter of another kind at zon-lb's priority on veth4" \
	"$WITH_VETH4:11: interfaces: veth4: a filter of another kind or protocol holds zon-lb's place" \
	"$WITH_VETH4"
zlb_check "the u32 filter on veth4 is still there" \
	bash -c "tc -n '$ZL' filter show dev veth4 ingress | grep -q u32"
zlb_must tc -n "$ZL" filter del dev veth4 ingress pref "$PREF"
refused "no tc object" "$WITH_VETH4:11: interfaces: veth2: tc mode: cannot open BPF object $ZLB_TMP/none.o" \
	"$WITH_VETH4" ZLB_BPF_TC_OBJ="$ZLB_TMP/none.o"

# --- another filter on the hook; --unload -------------------------------------------

zlb_must tc -n "$ZL" filter add dev veth2 ingress pref 50000 bpf da obj "$OTHER_OBJ" sec tc
zlb_check_load "zlb-load reloads with another filter on veth2's hook" "$MIXED"
on_tc veth2
zlb_check_load "zlb-load --unload" --unload
said "--unload says which hook it took zon-lb off" "veth2: detached: tc ingress"
on_none veth0
on_none veth2
zlb_check "the other filter on veth2 stays" \
	bash -c "tc -n '$ZL' filter show dev veth2 ingress | grep -q 'pref 50000 bpf .*name tc_other'"
zlb_check "the clsact qdisc on veth2 stays" bash -c "tc -n '$ZL' qdisc show dev veth2 | grep -q clsact"
zlb_check "no pins left" bash -c "[ -z \"\$(find '$ZLB_BPFFS' -mindepth 1 2>/dev/null)\" ]"

# --- zlb-load --service: SIGHUP moves the hooks, SIGTERM takes them off ---------------

CONF=$ZLB_TMP/service.conf
SVC_LOG=$ZLB_TMP/service.log
cp "$MIXED" "$CONF"
: >"$SVC_LOG"	# there before the service writes to it
ip netns exec "$ZL" "$ZLB_LOAD" --service "$CONF" >>"$SVC_LOG" 2>&1 &
SVC=$!
zlb_track_pid "$SVC"
loads_at_least() {
	[ "$(grep -c '^zlb-load: loaded ' "$SVC_LOG")" -ge "$1" ]
}
if zlb_wait_for -t 30 loads_at_least 1; then
	zlb_pass "zlb-load --service loads the mixed config"
else
	zlb_fail "zlb-load --service loads the mixed config" "$(cat "$SVC_LOG")"
fi
on_xdp veth0
on_tc veth2
cp "$SWAPPED" "$CONF"
kill -HUP "$SVC"
if zlb_wait_for -t 30 loads_at_least 2; then
	zlb_pass "SIGHUP reloads with the modes swapped"
else
	zlb_fail "SIGHUP reloads with the modes swapped" "$(cat "$SVC_LOG")"
fi
on_tc veth0
on_xdp veth2
kill -TERM "$SVC"
svc_gone() {
	! zlb_alive "$SVC"
}
if zlb_wait_for -t 30 svc_gone; then
	zlb_pass "SIGTERM stops the service"
else
	zlb_fail "SIGTERM stops the service" "$(cat "$SVC_LOG")"
fi
on_none veth0
on_none veth2

zlb_summary
