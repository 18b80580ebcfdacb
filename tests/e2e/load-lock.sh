#!/bin/bash
# zlb-load runs that change a pin directory are serialized: each holds an
# exclusive flock(2) on the pin directory while it works on it. Here the
# test holds that lock (flock(1) on $ZLB_BPFFS) and shows that
#  - a reload waits while the lock is held, says that it waits and for
#    what, changes nothing meanwhile, and completes once it is released;
#  - a reload, and an --unload, that find the lock held past the bound
#    (ZLB_LOCK_TIMEOUT) fail with exit 1 and an error naming the pin
#    directory, and leave the pinned configuration and the programs as
#    they were;
#  - --check takes no lock: it answers while the lock is held.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool bpftool flock timeout
zlb_require_built

CONFS=$ZLB_SRCDIR/tests/configs/e2e

# The maps that hold configuration, and the XDP programs of both
# interfaces (as load-errors.sh's snapshot, whole maps: the backend and
# Maglev tables are compared through the ids zlb_maglev holds).
snapshot() {
	local m i
	for m in zlb_meta zlb_services zlb_ifaces zlb_tx_ports zlb_snat_addrs zlb_maglev; do
		printf '%s\n' "$m"
		bpftool map dump pinned "$ZLB_BPFFS/$m" 2>&1
	done
	for i in veth0 veth2; do
		printf '%s: %s\n' "$i" "$(ip -n "$ZL" -d link show "$i" | grep -o 'prog/xdp id [0-9]*')"
	done
}

# hold_lock: flock(1) takes the pin directory's lock and keeps it until
# $ZLB_TMP/release exists (at most 60 s); returns once it holds it.
hold_lock() {
	rm -f "$ZLB_TMP/held" "$ZLB_TMP/release"
	timeout 60 flock -x "$ZLB_BPFFS" sh -c \
		'touch "$1/held"; while [ ! -e "$1/release" ]; do sleep 0.05; done' sh "$ZLB_TMP" &
	HOLDER=$!
	zlb_track_pid "$HOLDER"
	if ! zlb_wait_for -t 10 [ -e "$ZLB_TMP/held" ]; then
		zlb_fail "flock(1) takes the lock on \$ZLB_BPFFS" "$(ls -la "$ZLB_BPFFS" 2>&1)"
		zlb_summary
	fi
}

release_lock() {
	touch "$ZLB_TMP/release"
	wait "$HOLDER" 2>/dev/null
}

zlb_tmpdir
zlb_bpffs_setup
zlb_reference_topology

zlb_check_load "zlb-load loads reference.conf" "$CONFS/reference.conf" || zlb_summary

# --- (a) a reload waits for the lock, then completes --------------------------
before=$(snapshot)
hold_lock
out=$ZLB_TMP/wait.out
ZLB_LOCK_TIMEOUT=30 timeout 60 ip netns exec "$ZL" "$ZLB_LOAD" "$CONFS/reload.conf" >"$out" 2>&1 &
load_pid=$!
zlb_track_pid "$load_pid"
if zlb_wait_for -t 10 zlb_file_has "$out" "waiting"; then
	zlb_pass "a reload while the lock is held says it waits"
else
	zlb_fail "a reload while the lock is held says it waits" "$(cat "$out")"
fi
if grep -q "waiting.*$ZLB_BPFFS" "$out"; then
	zlb_pass "the waiting message names the pin directory"
else
	zlb_fail "the waiting message names the pin directory" "$(cat "$out")"
fi
sleep 1
if zlb_alive "$load_pid"; then
	zlb_pass "the reload is still waiting a second later"
else
	zlb_fail "the reload is still waiting a second later" "$(cat "$out")"
fi
zlb_check_same "nothing changed while the reload waits" "$before" "$(snapshot)"
release_lock
timeout 30 tail --pid="$load_pid" -f /dev/null
wait "$load_pid"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "loaded .*reload.conf: 3 service(s)" "$out"; then
	zlb_pass "once the lock is released the reload completes"
else
	zlb_fail "once the lock is released the reload completes" "exit $rc: $(cat "$out")"
fi
cat "$out"
if [ "$(snapshot)" != "$before" ]; then
	zlb_pass "the reload changed the configuration"
else
	zlb_fail "the reload changed the configuration" "the maps are as before it"
fi

# --- (b) held past the bound: refused, nothing changed -----------------------
# refused_locked NAME ARGS...: with the lock held, zlb-load ARGS gives up
# after ZLB_LOCK_TIMEOUT=1 with exit 1, an error naming the pin directory,
# and no change.
refused_locked() {
	local name=$1 rc start took
	shift
	before=$(snapshot)
	hold_lock
	start=$SECONDS
	ZLB_LOCK_TIMEOUT=1 timeout 30 ip netns exec "$ZL" "$ZLB_LOAD" "$@" >"$out" 2>&1
	rc=$?
	took=$((SECONDS - start))
	if [ "$rc" -eq 1 ] && grep -q "^zlb-load: error: .*$ZLB_BPFFS.*locked" "$out"; then
		zlb_pass "$name: exit 1, the error names the pin directory"
	else
		zlb_fail "$name: exit 1, the error names the pin directory" "exit $rc: $(cat "$out")"
	fi
	cat "$out"
	if [ "$took" -ge 1 ] && [ "$took" -le 5 ]; then
		zlb_pass "$name: gave up after the bound (${took} s)"
	else
		zlb_fail "$name: gave up after the bound" "took ${took} s"
	fi
	zlb_check_same "$name: nothing changed" "$before" "$(snapshot)"
	release_lock
}

out=$ZLB_TMP/refused.out
refused_locked "a reload with the lock held past ZLB_LOCK_TIMEOUT" "$CONFS/reference.conf"
refused_locked "--unload with the lock held past ZLB_LOCK_TIMEOUT" --unload

# --- --check does not wait -----------------------------------------------------
hold_lock
if ZLB_LOCK_TIMEOUT=30 timeout 5 ip netns exec "$ZL" "$ZLB_LOAD" --check "$CONFS/reference.conf" >"$out" 2>&1 &&
	! grep -q waiting "$out"; then
	zlb_pass "--check answers while the lock is held"
else
	zlb_fail "--check answers while the lock is held" "$(cat "$out")"
fi
release_lock

# And with the lock free, a reload and an --unload go through as before.
zlb_check_load "a reload with the lock free" "$CONFS/reference.conf"
zlb_check_load "--unload with the lock free" --unload
zlb_check "--unload removed the pin directory" [ ! -e "$ZLB_BPFFS" ]

zlb_summary
