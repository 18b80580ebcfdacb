#!/bin/bash
# shellcheck disable=SC2317,SC2016 # predicates run through expect, as eval strings
# zon-lb's pins are root's only, and no tool works for anyone else.
#
#   client ZC 10.0.0.2 --- veth0 10.0.0.1 [zon-lb, ZL] veth2 10.2.0.1 --- 10.2.0.2 server ZS
#
# Loaded under umask 000, the pin directory is mode 0700 and root's, every
# pin 0600 and root's; a pin directory made open beforehand is closed by
# the load; one that is someone else's is refused. With a UDP flow and a
# TCP connection tracked, every tool -- zlb-load (load, --unload, --service),
# zlb-stat (also --reset), zlb-ct (list, count, delete, flush), zlb-arp
# (list, add, delete, flush, sync) -- run as nobody, and as root without
# capabilities, exits 1 saying it needs root, and changes nothing: the
# configuration maps byte for byte, no flow or neighbour entry gone, no
# counter gone down, the same XDP programs, the same pins. zlb-load --check
# as nobody validates the file and notes that loading needs root. Root
# with just CAP_BPF and CAP_NET_ADMIN may use the inspecting tools.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool nc python3 ss timeout bpftool setpriv sha256sum
zlb_require_built
zlb_require_tools
CONF=$ZLB_SRCDIR/tests/configs/e2e/reference.conf
NOBODY=$(id -u nobody 2>/dev/null) || zlb_die "no user 'nobody' here"
NOGROUP=$(id -g nobody)

# --- running a tool -----------------------------------------------------------

RC=0

# as WHO TOOL ARGS...: TOOL in the load balancer's namespace as WHO: nobody
# (uid and gid of nobody, no groups, no capabilities), nocaps (uid 0,
# every capability dropped) or bpfnet (uid 0, only CAP_BPF and
# CAP_NET_ADMIN). Exit code in RC, output in $ZLB_TMP/out and err.
as() {
	local who=$1
	shift
	case $who in
	nobody) set -- setpriv --reuid="$NOBODY" --regid="$NOGROUP" --clear-groups "$@" ;;
	nocaps) set -- setpriv --inh-caps=-all --bounding-set=-all "$@" ;;
	bpfnet) set -- setpriv --inh-caps=-all --bounding-set=-all,+bpf,+net_admin "$@" ;;
	esac
	timeout 30 ip netns exec "$ZL" "$@" >"$ZLB_TMP/out" 2>"$ZLB_TMP/err" </dev/null
	RC=$?
}

got() { printf 'exit %s; stdout: %s; stderr: %s' "$RC" "$(head -c 1000 "$ZLB_TMP/out")" "$(head -c 1000 "$ZLB_TMP/err")"; }

expect() { # NAME CONDITION...
	local name=$1
	shift
	if "$@"; then
		zlb_pass "$name"
	else
		zlb_fail "$name" "$(got)"
	fi
}

# --- the state ----------------------------------------------------------------

# snapshot FILE: what no unprivileged run may change: the configuration
# maps byte for byte (zlb_backends, 26 MB of dump, by backends_sum), the
# XDP programs, the pins with their modes and owners; and as root's tools
# see them, the counters, the flows and the neighbour entries.
snapshot() {
	local m
	{
		for m in zlb_meta zlb_services zlb_maglev zlb_ifaces zlb_tx_ports zlb_snat_addrs; do
			printf '%s %s\n' "$m" "$(bpftool map dump pinned "$ZLB_BPFFS/$m" | sha256sum | cut -c1-16)"
		done
		printf 'xdp %s %s\n' "$(ip -n "$ZL" -d link show veth0 | grep -o 'prog/xdp id [0-9]*')" \
			"$(ip -n "$ZL" -d link show veth2 | grep -o 'prog/xdp id [0-9]*')"
		(cd "$ZLB_BPFFS" && stat -c 'pin %n %a %u:%g' . ./*)
	} >"$1.maps"
	ip netns exec "$ZL" "$STAT" -j >"$1.stat"
	ip netns exec "$ZL" "$CT" -j list >"$1.ct"
	ip netns exec "$ZL" "$ARP" -j list >"$1.arp"
}

backends_sum() {
	bpftool map dump pinned "$ZLB_BPFFS/zlb_backends" | sha256sum
}

# unchanged BEFORE AFTER: snapshots alike, but for flows, neighbour entries
# and counters that came (host traffic, IPv6 router solicitations say, may
# bring some): none went.
unchanged() {
	python3 -c '
import json, sys
b, a = sys.argv[1:3]
def load(f):
    return open(f).read() if f.endswith(".maps") else json.load(open(f))
def numbers(d, path=""):
    if isinstance(d, dict):
        for k, v in d.items():
            yield from numbers(v, path + "/" + str(k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            key = v.get("dev", v.get("service", v.get("backend", i))) if isinstance(v, dict) else i
            yield from numbers(v, "%s[%s]" % (path, key))
    elif isinstance(d, (int, float)) and not isinstance(d, bool):
        yield path, d
def flows(d):
    return {(f["proto"], f["client"], f["service"], f["source"], f["backend"]) for f in d}
def neigh(d):
    return {(e["address"], e["mac"], e["dev"]) for e in d}
why = []
if load(b + ".maps") != load(a + ".maps"):
    why.append("maps, programs or pins: %s -> %s" % (load(b + ".maps"), load(a + ".maps")))
nb, na = dict(numbers(load(b + ".stat"))), dict(numbers(load(a + ".stat")))
down = [(k, v, na.get(k)) for k, v in nb.items() if na.get(k) is None or na[k] < v]
if down:
    why.append("counters went down or away: %s" % down[:5])
gone = flows(load(b + ".ct")) - flows(load(a + ".ct"))
if gone:
    why.append("flows gone: %s" % sorted(gone))
gone = neigh(load(b + ".arp")) - neigh(load(a + ".arp"))
if gone:
    why.append("neighbour entries gone: %s" % sorted(gone))
print("; ".join(why))
sys.exit(bool(why))
' "$1" "$2"
}

# refused WHO NAME TOOL ARGS...: as WHO, TOOL exits 1 saying it needs root,
# and changes nothing.
refused() {
	local who=$1 name=$2 tool why
	shift 2
	tool=$(basename "$1")
	snapshot "$ZLB_TMP/before"
	as "$who" "$@"
	if [ "$RC" -eq 1 ] && grep -q "^$tool: error: needs root (or CAP_" "$ZLB_TMP/err"; then
		zlb_pass "$name as $who: exit 1, '$(head -n 1 "$ZLB_TMP/err")'"
	else
		zlb_fail "$name as $who: exit 1, says it needs root" "$(got)"
	fi
	snapshot "$ZLB_TMP/after"
	if why=$(unchanged "$ZLB_TMP/before" "$ZLB_TMP/after"); then
		zlb_pass "$name as $who: nothing changed"
	else
		zlb_fail "$name as $who: nothing changed" "$why"
	fi
}

# --- the modes of the pins ------------------------------------------------------

zlb_tmpdir
zlb_bpffs_setup
zlb_reference_topology

out=$ZLB_TMP/load.out
if ! (umask 000 && zlb_load_in_lb "$CONF") >"$out" 2>&1; then
	zlb_fail "zlb-load loads reference.conf under umask 000" "$(cat "$out")"
	zlb_summary
fi
zlb_pass "zlb-load loads reference.conf under umask 000"
modes=$(stat -c '%a %U' "$ZLB_BPFFS")
zlb_check "the pin directory is mode 700, root's ($modes)" test "$modes" = "700 root"
bad=$(find "$ZLB_BPFFS" -mindepth 1 \( ! -type f -o ! -user root -o -perm /077 \) -printf '%p %m %u\n')
pins=$(find "$ZLB_BPFFS" -mindepth 1 -type f | wc -l)
# one pin per map the ABI header names
maps=$(grep -c '^#define ZLB_MAP_[A-Z0-9_]* *"zlb_' "$ZLB_SRCDIR/libzlbcommon/zlb_abi.h")
zlb_check "all $pins pins (one per map, $maps) are root's, readable and writable by root only" \
	test "$pins" -eq "$maps" -a -z "$bad"
modes=$(find "$ZLB_BPFFS" -mindepth 1 -printf '%m\n' | sort -u | tr '\n' ' ')
zlb_check "the pins are mode 600 ($modes)" test "$modes" = "600 "

# Out of reach for anyone else, whatever the tool.
as nobody ls "$ZLB_BPFFS"
expect "nobody cannot list the pin directory" eval '[ "$RC" -ne 0 ] && grep -q "Permission denied" "$ZLB_TMP/err"'
as nobody bpftool map show pinned "$ZLB_BPFFS/zlb_services"
expect "nobody cannot open a pin with bpftool" eval '[ "$RC" -ne 0 ]'

# A pin directory left open (made by hand, say) is closed by the next load.
chmod 0755 "$ZLB_BPFFS"
zlb_load_in_lb "$CONF" >"$out" 2>&1
expect "a pin directory of mode 755 is made 700 by the next load, with a warning" \
	eval '[ "$(stat -c %a "$ZLB_BPFFS")" = 700 ] && grep -q "warning: pin directory .* was mode 0755, now 0700" "$out"'

# One that belongs to someone else is refused before anything changes.
OTHER=$(dirname "$ZLB_BPFFS")/not-roots
mkdir -m 0700 "$OTHER" && chown "$NOBODY:$NOGROUP" "$OTHER"
ZLB_BPFFS=$OTHER zlb_load_in_lb "$CONF" >"$out" 2>&1
rc=$?
expect "a pin directory that belongs to nobody is refused, naming its owner" \
	eval '[ "$rc" -ne 0 ] && grep -q "pin directory .*not-roots. belongs to uid $NOBODY" "$out" && [ -z "$(ls -A "$OTHER")" ]'

# --- tools without privileges -----------------------------------------------

# Something to lose: a UDP flow, a TCP connection, neighbour entries.
zlb_udp_echo_server "$ZS" 10.2.0.2 5300 udp
reply=$(zlb_udp_ask "$ZC" 10.0.0.1 5353 "flow")
[ "$reply" = "10.0.0.1 5353 echo:flow" ] || zlb_die "no UDP flow through the load balancer: '$reply'"
zlb_nc_server "$ZS" 10.2.0.2 223 srv
zlb_nc_client "$ZC" 10.0.0.1 23 cli
zlb_wait_for -t 10 zlb_tcp_established "$ZS" 223 10.2.0.1 || zlb_die "no TCP connection through the load balancer"
as root "$CT" count
flows=$(cat "$ZLB_TMP/out")
zlb_check "as root, zlb-ct counts the 2 flows" test "$RC" -eq 0 -a "$flows" = 2

backends=$(backends_sum)
for who in nobody nocaps; do
	refused "$who" "zlb-load FILE" "$ZLB_LOAD" "$CONF"
	refused "$who" "zlb-load --unload" "$ZLB_LOAD" --unload
	refused "$who" "zlb-load --service FILE" "$ZLB_LOAD" --service "$CONF"
	refused "$who" "zlb-stat" "$STAT"
	refused "$who" "zlb-stat -j" "$STAT" -j
	refused "$who" "zlb-stat --reset" "$STAT" --reset
	refused "$who" "zlb-ct list" "$CT" list
	refused "$who" "zlb-ct count" "$CT" count
	refused "$who" "zlb-ct delete --proto udp" "$CT" delete --proto udp
	refused "$who" "zlb-ct flush" "$CT" flush
	refused "$who" "zlb-arp list" "$ARP" list
	refused "$who" "zlb-arp add" "$ARP" add 10.2.0.99 02:00:00:00:00:99 dev veth2
	refused "$who" "zlb-arp delete" "$ARP" delete 10.2.0.2
	refused "$who" "zlb-arp flush" "$ARP" flush
	refused "$who" "zlb-arp sync" "$ARP" sync
done

zlb_check "zlb_backends is byte for byte what it was before all that" test "$(backends_sum)" = "$backends"

# --check reads the file and the interfaces only: anyone may.
snapshot "$ZLB_TMP/before"
as nobody "$ZLB_LOAD" --check "$CONF"
expect "zlb-load --check as nobody: OK, exit 0, notes that loading needs root" \
	eval '[ "$RC" -eq 0 ] && grep -q ": OK (2 service(s), 2 interface(s))" "$ZLB_TMP/out" && grep -q "^zlb-load: note: loading it needs root (or CAP_" "$ZLB_TMP/err"'
snapshot "$ZLB_TMP/after"
if why=$(unchanged "$ZLB_TMP/before" "$ZLB_TMP/after"); then
	zlb_pass "zlb-load --check as nobody: nothing changed"
else
	zlb_fail "zlb-load --check as nobody: nothing changed" "$why"
fi
as nobody "$ZLB_LOAD" --check "$ZLB_SRCDIR/tests/configs/bad/syntax-error.conf"
expect "zlb-load --check of a bad file as nobody: exit 1, the file's error" \
	eval '[ "$RC" -eq 1 ] && grep -q "syntax-error.conf:[0-9]*: " "$ZLB_TMP/err"'

# "(or CAP_BPF and CAP_NET_ADMIN)" is true of the inspecting tools.
as bpfnet "$STAT" -j
expect "zlb-stat -j as root with only CAP_BPF and CAP_NET_ADMIN works" \
	eval '[ "$RC" -eq 0 ] && python3 -c "import json, sys; json.load(open(sys.argv[1]))" "$ZLB_TMP/out"'
as bpfnet "$CT" count
expect "zlb-ct count as root with only CAP_BPF and CAP_NET_ADMIN: the 2 flows" \
	eval '[ "$RC" -eq 0 ] && [ "$(cat "$ZLB_TMP/out")" = 2 ]'
refused bpfnet "zlb-load FILE (it needs CAP_SYS_ADMIN and CAP_PERFMON too)" "$ZLB_LOAD" "$CONF"

zlb_line_crosses "the TCP connection still works" cli "$ZLB_TMP/srv.out" "still here $ZLB_SUFFIX"
zlb_summary
