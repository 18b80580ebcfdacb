#!/bin/bash
# Reloading keeps established connections: a telnet-like TCP connection
# through the reference scenario keeps working, unreset, across a reload that
# adds a service. Then --unload removes every pin and detaches XDP.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool nc ping python3 ss timeout awk bpftool
zlb_require_built

CONFS=$ZLB_SRCDIR/tests/configs/e2e

# exchange TAG: one line each way on the connection between cli and srv.
exchange() {
	zlb_line_crosses "$1: a line from the client reaches the server" \
		cli "$ZLB_TMP/srv.out" "client to server $1 $ZLB_SUFFIX"
	zlb_line_crosses "$1: a line from the server reaches the client" \
		srv "$ZLB_TMP/cli.out" "server to client $1 $ZLB_SUFFIX"
}

no_xdp() {
	! ip -n "$ZL" link show "$1" | grep -q xdp
}

zlb_tmpdir
zlb_bpffs_setup
zlb_reference_topology

zlb_check_load "zlb-load loads reference.conf" "$CONFS/reference.conf" || zlb_summary

zlb_nc_server "$ZS" 10.2.0.2 223 srv
srv_pid=$ZLB_NC_PID
zlb_nc_client "$ZC" 10.0.0.1 23 cli
cli_pid=$ZLB_NC_PID
if ! zlb_wait_for -t 10 zlb_tcp_established "$ZS" 223 10.2.0.1; then
	zlb_fail "the server sees a connection from 10.2.0.1" \
		"$(ip netns exec "$ZS" ss -tan; cat "$ZLB_TMP/srv.err" "$ZLB_TMP/cli.err")"
	zlb_summary
fi
zlb_pass "the server sees a connection from 10.2.0.1"
client_port=$(zlb_client_port)
exchange "before reload"

zlb_resets_mark

zlb_check_load "zlb-load reloads with reload.conf (one more service)" "$CONFS/reload.conf"

zlb_udp_echo_server "$ZS" 10.2.0.2 9999 extra
reply=$(zlb_udp_ask "$ZC" 10.0.0.1 9999 "new service")
if [ "$reply" = "10.0.0.1 9999 echo:new service" ]; then
	zlb_pass "the service added by the reload answers"
else
	zlb_fail "the service added by the reload answers" "got '$reply'"
fi

exchange "after reload"
exchange "after reload, again"

# A light backend beside a heavy one in a small Maglev table gets no entry,
# so no new flow: the reload says so (and still loads).
starved=$ZLB_TMP/starved.conf
sed 's|backends = ( { address = "10.2.0.2"; port = 9999; } ); }|table_size = 251; backends = ( { address = "10.2.0.2"; port = 9999; weight = 1000; }, { address = "10.2.0.3"; port = 9999; weight = 1; } ); }|' \
	"$CONFS/reload.conf" >"$starved"
zlb_check_load "a reload whose light backend gets no Maglev entry loads" "$starved"
zlb_check "... and warns that 10.2.0.3:9999 (weight 1) gets no new flows" \
	grep -q "warning: service 'extra-udp': backend 10.2.0.3:9999 (weight 1) got none of the 251 entries of its Maglev table: it gets no new flows" "$ZLB_LOAD_OUT"
zlb_check "... and names no other backend" \
	bash -c "[ \"\$(grep -c 'got none of the' '$ZLB_LOAD_OUT')\" -eq 1 ]"

# An upgrade: another build of the data plane (as a newer zon-lb would
# bring) replaces the running program atomically, with the same maps.
prog_id() {
	ip -n "$ZL" -d link show "$1" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
}
old_id=$(prog_id veth0)
ZLB_BPF_OBJ=${ZLB_TEST_BPF_DIR:-$ZLB_BUILDDIR/tests/bpf}/zlb_upgrade.bpf.o \
	zlb_check_load "zlb-load with another build of the program" "$CONFS/reload.conf"
if grep -q "veth0: replaced an older zon-lb program atomically" "$ZLB_LOAD_OUT" &&
	grep -q "veth2: replaced an older zon-lb program atomically" "$ZLB_LOAD_OUT"; then
	zlb_pass "the older program is replaced atomically on both interfaces"
else
	zlb_fail "the older program is replaced atomically on both interfaces" "$(cat "$ZLB_LOAD_OUT")"
fi
new_id=$(prog_id veth0)
if [ -n "$new_id" ] && [ "$new_id" != "$old_id" ]; then
	zlb_pass "veth0 runs a new program (id $old_id -> $new_id)"
else
	zlb_fail "veth0 runs a new program" "id before '$old_id', after '$new_id'"
fi
exchange "after the upgrade"

if zlb_alive "$srv_pid" && zlb_alive "$cli_pid"; then
	zlb_pass "both nc processes are still running"
else
	zlb_fail "both nc processes are still running" \
		"$(cat "$ZLB_TMP/srv.err" "$ZLB_TMP/cli.err")"
fi
if zlb_tcp_established "$ZS" 223 10.2.0.1 &&
	zlb_tcp_connected "$ZC" 10.0.0.1 23; then
	zlb_pass "the connection is still ESTABLISHED on both ends"
else
	zlb_fail "the connection is still ESTABLISHED on both ends" \
		"$(ip netns exec "$ZC" ss -tan; ip netns exec "$ZS" ss -tan)"
fi
zlb_check_same_connection "$client_port"
zlb_check_no_resets
zlb_kill_tracked

# Pins older versions made that this one has not (interface counters in
# zlb_stats since map ABI 4, service counters since ABI 5): --unload
# removes them too.
zlb_must bpftool map create "$ZLB_BPFFS/zlb_if_stats" type percpu_array key 4 value 40 \
	entries 64 name zlb_if_stats
zlb_must bpftool map create "$ZLB_BPFFS/zlb_svc_stats" type percpu_array key 4 value 24 \
	entries 1024 name zlb_svc_stats
zlb_check_load "zlb-load --unload (with 0.2.0's zlb_if_stats and 0.3.0's zlb_svc_stats pinned too)" --unload
pins=""
[ -d "$ZLB_BPFFS" ] && pins=$(find "$ZLB_BPFFS" -mindepth 1 2>/dev/null)
if [ -z "$pins" ]; then
	zlb_pass "no pins left under \$ZLB_BPFFS"
else
	zlb_fail "no pins left under \$ZLB_BPFFS" "$pins"
fi
if [ ! -e "$ZLB_BPFFS" ]; then
	zlb_pass "the pin directory itself is gone"
else
	zlb_fail "the pin directory itself is gone" "$(ls -la "$ZLB_BPFFS"; cat "$ZLB_LOAD_OUT")"
fi
for ifc in veth0 veth2; do
	if no_xdp "$ifc"; then
		zlb_pass "no XDP program on $ifc after --unload"
	else
		zlb_fail "no XDP program on $ifc after --unload" "$(ip -n "$ZL" link show "$ifc")"
	fi
done

# Each family's connection table takes its own size.
{ printf 'settings = { conntrack_size = 4096; conntrack_size_ipv6 = 1024; };\n'
  cat "$CONFS/reference.conf"; } >"$ZLB_TMP/sizes.conf"
if zlb_check_load "zlb-load with conntrack_size 4096 and conntrack_size_ipv6 1024" "$ZLB_TMP/sizes.conf"; then
	sizes=""
	for t in zlb_conntrack4 zlb_conntrack; do
		sizes="$sizes $t=$(zlb_map_max_entries "$t")"
	done
	zlb_check_same "the IPv4 table holds 4096 entries, the IPv6 one 1024" \
		" zlb_conntrack4=4096 zlb_conntrack=1024" "$sizes"
	zlb_check_load "zlb-load --unload (sized tables)" --unload
fi

zlb_summary
