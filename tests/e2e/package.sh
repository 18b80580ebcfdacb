#!/bin/bash
# shellcheck disable=SC2317 # helpers called through zlb_check, zlb_wait_for and traps
# The Debian package, installed on this host and purged again.
#
# apt-get install ./zon-lb_*.deb puts the tools, the BPF object, the man
# pages, the unit and /etc/zonlb.conf (a conffile that --check accepts and
# that configures no interface) in place, and enables, starts and attaches
# nothing; its maintainer scripts, run as under systemd, reload systemd on
# an upgrade and stop the unit only on removal, when they also unload a
# zon-lb loaded by hand (in namespaces and on a bpffs of their own, never
# the host's). The installed zlb-load
# then runs the reference scenario with the test's own config, namespaces
# and bpffs (never /etc/zonlb.conf, never systemctl), as the service the
# unit runs. An upgrade with a connection
# open: a rebuilt package of a higher version, with another build of the
# data plane, installs without touching the running state; a reload (what
# 'systemctl reload zon-lb' sends) executes the upgraded zlb-load, whose
# program replaces the old one atomically, and the connection survives.
# apt-get purge removes every file.
#
# Slow (it builds a package, or two): it runs only with ZLB_PACKAGE_TEST=1,
# as .ci/run sets after building the package. ZLB_DEB names the package to
# test; without it the test builds one from the source tree.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

if [ "${ZLB_PACKAGE_TEST:-0}" != 1 ]; then
	zlb_log "SKIP: installs the Debian package on this host; set ZLB_PACKAGE_TEST=1"
	exit 77
fi
zlb_require_root
zlb_require_cmd apt-get dpkg dpkg-query dpkg-buildpackage dpkg-parsechangelog git tar \
	ip ethtool nc python3 ss timeout awk systemd-analyze unshare
export DEBIAN_FRONTEND=noninteractive

if dpkg-query -W -f='${db:Status-Status}' zon-lb 2>/dev/null | grep -qv not-installed; then
	zlb_die "zon-lb is installed on this host already; this test installs and purges it: remove it first"
fi
# Removing the package unloads a zon-lb pinned under /sys/fs/bpf/zon-lb:
# the purge at the end would take down one this host runs.
if [ -n "$(find /sys/fs/bpf/zon-lb -mindepth 1 2>/dev/null)" ]; then
	zlb_die "a zon-lb is loaded on this host (/sys/fs/bpf/zon-lb); purging the package would unload it: unload it first"
fi
git -C "$ZLB_SRCDIR" rev-parse --git-dir >/dev/null 2>&1 ||
	zlb_die "$ZLB_SRCDIR is not a git work tree (the test copies its files from one)"

# Purge what this run installed, on every exit path.
INSTALLED=0
pkg_cleanup() {
	zlb_kill_tracked
	[ "$INSTALLED" = 1 ] && apt-get purge -y -q zon-lb >/dev/null 2>&1
	INSTALLED=0
}
trap 'rc=$?; pkg_cleanup; (exit $rc); zlb_cleanup' EXIT

zlb_tmpdir
chmod 755 "$ZLB_TMP"    # apt reads local packages as _apt

# src DIR: the source tree's files (tracked, and new ones not ignored) in
# DIR, as a clean tree to build a package in.
src() {
	mkdir -p "$1"
	git -C "$ZLB_SRCDIR" ls-files -z --cached --others --exclude-standard |
		(cd "$ZLB_SRCDIR" && tar --null -T - -cf -) | tar -xf - -C "$1" ||
		zlb_die "cannot copy the source tree to $1"
}

# build DIR: dpkg-buildpackage in DIR; the .deb lands in DIR/..
build() {
	if ! (cd "$1" && DEB_BUILD_OPTIONS=parallel=2 dpkg-buildpackage -us -uc -b) \
		>"$1.build.log" 2>&1; then
		tail -n 40 "$1.build.log"
		zlb_die "dpkg-buildpackage failed in $1"
	fi
}

if [ -n "${ZLB_DEB:-}" ]; then
	DEB=$(realpath "$ZLB_DEB")
	[ -r "$DEB" ] || zlb_die "ZLB_DEB=$ZLB_DEB: no such package"
else
	src "$ZLB_TMP/first/zon-lb"
	build "$ZLB_TMP/first/zon-lb"
	DEB=$(ls "$ZLB_TMP"/first/zon-lb_*.deb)
fi
VERSION=$(dpkg-deb -f "$DEB" Version)

# The upgrade: the same source, a changelog entry with a higher version,
# and the data plane built for another BPF CPU version (other instructions,
# another program tag), as a newer zon-lb would bring.
NEXT=$(printf '%s\n' "$VERSION" | awk -F. -v OFS=. '$NF ~ /^[0-9]+$/ { $NF = $NF + 1; print; next } { print $0 ".1" }')
src "$ZLB_TMP/next/zon-lb"
{
	printf 'zon-lb (%s) unstable; urgency=medium\n\n' "$NEXT"
	printf '  * Upgrade test build (tests/e2e/package.sh).\n\n'
	printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -l "$ZLB_TMP/next/zon-lb/debian/changelog" -S Maintainer)" "$(date -R)"
	cat "$ZLB_TMP/next/zon-lb/debian/changelog"
} >"$ZLB_TMP/changelog" && mv "$ZLB_TMP/changelog" "$ZLB_TMP/next/zon-lb/debian/changelog"
BPF_CLANG="clang -mcpu=v3" build "$ZLB_TMP/next/zon-lb"
NEXT_DEB=$(ls "$ZLB_TMP"/next/zon-lb_"$NEXT"_*.deb) || zlb_die "no $NEXT package built"
zlb_log "testing $DEB, upgrade to $NEXT_DEB"

# --- install -------------------------------------------------------------------

host_xdp() {
	ip -d link show | grep -c 'prog/xdp'
}
xdp_before=$(host_xdp)

if apt-get install -y -q "$DEB" >"$ZLB_TMP/install.log" 2>&1; then
	INSTALLED=1
	zlb_pass "apt-get install ./$(basename "$DEB")"
else
	zlb_fail "apt-get install ./$(basename "$DEB")" "$(cat "$ZLB_TMP/install.log")"
	zlb_summary
fi
dpkg -L zon-lb | sort >"$ZLB_TMP/files"

has_file() {
	if [ -f "$2" ] && grep -qxF "$2" "$ZLB_TMP/files"; then
		zlb_pass "$1: $2"
	else
		zlb_fail "$1" "$2 not installed by zon-lb"
	fi
}

MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
# Every program the build installs (sbin_PROGRAMS), in /usr/sbin.
sbin=$(awk '/^sbin_PROGRAMS *\+?=/ { l = $0; while (l ~ /\\$/ && (getline n) > 0) l = l n; print l }' \
	"$ZLB_SRCDIR/Makefile.am" | sed 's/^[^=]*=//' | grep -oE '[^ /	]+/[^ /	\\]+' | sed 's|.*/||' | sort -u)
for p in $sbin; do
	has_file "a tool" "/usr/sbin/$p"
	# apt show: what the package says it ships
	if dpkg-query -W -f='${Description}' zon-lb | grep -qw -- "$p"; then
		zlb_pass "the package description names $p"
	else
		zlb_fail "the package description names $p" "$(dpkg-query -W -f='${Description}' zon-lb)"
	fi
done
has_file "the BPF object, where zlb-load looks" "/usr/lib/$MULTIARCH/zon-lb/zlb.bpf.o"
has_file "the tc build of the BPF object, beside it" "/usr/lib/$MULTIARCH/zon-lb/zlb_tc.bpf.o"
has_file "the configuration" /etc/zonlb.conf
has_file "the man page" /usr/share/man/man8/zlb-load.8.gz
has_file "the man page" /usr/share/man/man5/zonlb.conf.5.gz
has_file "the man page" /usr/share/man/man7/zon-lb.7.gz
has_file "an example" /usr/share/doc/zon-lb/examples/zonlb.conf
UNIT=$(grep -E '/systemd/system/zon-lb\.service$' "$ZLB_TMP/files")
has_file "the unit" "${UNIT:-/lib/systemd/system/zon-lb.service}"
if ls /usr/share/doc/zon-lb/README.md* >/dev/null 2>&1; then
	zlb_pass "README.md is in /usr/share/doc/zon-lb"
else
	zlb_fail "README.md is in /usr/share/doc/zon-lb" "$(ls /usr/share/doc/zon-lb)"
fi
if dpkg-query -W -f='${Conffiles}\n' zon-lb | grep -q '^ /etc/zonlb.conf '; then
	zlb_pass "/etc/zonlb.conf is a conffile"
else
	zlb_fail "/etc/zonlb.conf is a conffile" "$(dpkg-query -W -f='${Conffiles}' zon-lb)"
fi

if out=$(/usr/sbin/zlb-load --check /etc/zonlb.conf 2>&1) &&
	[ "$out" = "/etc/zonlb.conf: OK (0 service(s), 0 interface(s))" ]; then
	zlb_pass "zlb-load --check /etc/zonlb.conf: no service, no interface"
else
	zlb_fail "zlb-load --check /etc/zonlb.conf: no service, no interface" "$out"
fi
if [ -n "$UNIT" ] && out=$(systemd-analyze verify "$UNIT" 2>&1); then
	zlb_pass "systemd-analyze verify $UNIT (commands and man pages installed)"
else
	zlb_fail "systemd-analyze verify $UNIT" "$out"
fi

# Installing attaches and enables nothing.
if [ "$(host_xdp)" = "$xdp_before" ] && [ ! -e /sys/fs/bpf/zon-lb ]; then
	zlb_pass "installing attached no XDP program and pinned nothing"
else
	zlb_fail "installing attached no XDP program and pinned nothing" "$(ip -d link show | grep -B2 prog/xdp)"
fi
enabled=$(find /etc/systemd/system -name zon-lb.service 2>/dev/null)
if [ -z "$enabled" ]; then
	zlb_pass "the unit is not enabled"
else
	zlb_fail "the unit is not enabled" "$enabled"
fi
if ! grep -Eq 'deb-systemd-invoke .*(start|restart)' /var/lib/dpkg/info/zon-lb.postinst 2>/dev/null; then
	zlb_pass "the postinst neither starts nor restarts the unit"
else
	zlb_fail "the postinst neither starts nor restarts the unit" "$(cat /var/lib/dpkg/info/zon-lb.postinst)"
fi

# The maintainer scripts on a host that runs systemd, without one: in a
# mount namespace of their own, with /run/systemd/system there and
# systemctl, deb-systemd-helper and deb-systemd-invoke replaced by stubs
# that log their arguments. An upgrade (postinst configure OLD) reloads
# systemd, so that the upgraded unit is the one 'systemctl reload'
# uses, and starts nothing; removing stops the unit, upgrading does not.
STUBS=$ZLB_TMP/stubs
mkdir -p "$STUBS"
for c in systemctl deb-systemd-helper deb-systemd-invoke; do
	# was-enabled: not enabled; everything else succeeds
	# shellcheck disable=SC2016 # the stub's own $*, $1, $2
	printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n[ "$1" != was-enabled ] && [ "$2" != was-enabled ]\n' \
		"$c" "$STUBS" >"$STUBS/$c"
	chmod 755 "$STUBS/$c"
done
# maint SCRIPT ARGS...: run /var/lib/dpkg/info/zon-lb.SCRIPT as dpkg would;
# the stubs' calls in $STUBS/calls.
maint() {
	local script=/var/lib/dpkg/info/zon-lb.$1
	shift
	: >"$STUBS/calls"
	[ -x "$script" ] || return 0
	unshare --mount --propagation private sh -c \
		'mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system && exec "$@"' sh \
		env PATH="$STUBS:$PATH" "$script" "$@" >"$ZLB_TMP/maint.out" 2>&1
}
if maint postinst configure "$VERSION" && grep -qx 'systemctl --system daemon-reload' "$STUBS/calls" &&
	! grep -Eq '(start|restart)( |$)' "$STUBS/calls"; then
	zlb_pass "under systemd, postinst configure (an upgrade) reloads systemd and starts nothing"
else
	zlb_fail "under systemd, postinst configure (an upgrade) reloads systemd and starts nothing" \
		"$(cat "$STUBS/calls" "$ZLB_TMP/maint.out" 2>/dev/null)"
fi
if maint prerm upgrade "$VERSION" && ! grep -q 'stop' "$STUBS/calls"; then
	zlb_pass "under systemd, prerm upgrade leaves the unit running"
else
	zlb_fail "under systemd, prerm upgrade leaves the unit running" "$(cat "$STUBS/calls" "$ZLB_TMP/maint.out")"
fi
if maint prerm remove && grep -qx 'deb-systemd-invoke stop zon-lb.service' "$STUBS/calls"; then
	zlb_pass "under systemd, prerm remove stops the unit"
else
	zlb_fail "under systemd, prerm remove stops the unit" "$(cat "$STUBS/calls" "$ZLB_TMP/maint.out")"
fi

# A zon-lb loaded by hand ('zlb-load FILE' attaches it and exits) would
# outlive the package, with no zlb-load left to detach it: prerm remove,
# after stopping the unit, unloads one pinned under the default
# /sys/fs/bpf/zon-lb with the package's zlb-load; an upgrade, a
# deconfigure and a failed upgrade leave it running. Each case in a
# network namespace of its own (veth0, veth1) and a mount namespace with a
# bpffs of its own at /sys/fs/bpf, where the installed zlb-load first
# loads a config on veth0; zlb-load is the installed one behind a stub that
# logs its call.
HAND_CONF=$ZLB_TMP/hand.conf
cat >"$HAND_CONF" <<'EOF'
services = (
  { name = "telnet"; address = "10.0.0.1"; protocol = "tcp"; port = 23;
    backends = ( { address = "10.2.0.2"; port = 223; source = "10.2.0.1"; } ); }
);
interfaces = ( "veth0" );
EOF
mkdir -p "$STUBS/zlb" "$STUBS/zlb-fails"
# shellcheck disable=SC2016 # the stubs' own $* and $@
printf '#!/bin/sh\necho "zlb-load $*" >>"%s/calls"\nexec /usr/sbin/zlb-load "$@"\n' "$STUBS" >"$STUBS/zlb/zlb-load"
# shellcheck disable=SC2016
printf '#!/bin/sh\necho "zlb-load $*" >>"%s/calls"\necho "zlb-load: error: veth0: detach refused (stub)" >&2\nexit 1\n' \
	"$STUBS" >"$STUBS/zlb-fails/zlb-load"
chmod 755 "$STUBS/zlb/zlb-load" "$STUBS/zlb-fails/zlb-load"
# In the namespaces: IN_NS CONF LEFT LOG CMD...: load CONF by hand (its
# output in LOG; exit 99 when it fails), run CMD, write what is left of
# zon-lb (its pins, an XDP program on veth0) to LEFT, and exit as CMD did.
cat >"$ZLB_TMP/in-ns.sh" <<'EOF'
conf=$1 left=$2 log=$3
shift 3
mount -t tmpfs tmpfs /run && mkdir -p /run/systemd/system &&
	mount -t bpf bpf /sys/fs/bpf && ip link set lo up &&
	ip link add veth0 type veth peer name veth1 && ip addr add 10.2.0.1/24 dev veth0 &&
	ip link set veth0 up && ip link set veth1 up &&
	env -u ZLB_BPFFS -u LIBXDP_BPFFS -u ZLB_BPF_OBJ -u ZLB_BPF_TC_OBJ \
		/usr/sbin/zlb-load "$conf" >"$log" 2>&1 || exit 99
"$@"
rc=$?
{
	ls /sys/fs/bpf/zon-lb 2>/dev/null | sed 's/^/pinned: /'
	ip -d link show veth0 | grep -o 'prog/xdp id [0-9]*'
} >"$left"
exit $rc
EOF
# maint_loaded STUBDIR SCRIPT ARGS...: maint, with a zon-lb loaded by hand
# first and zlb-load from STUBDIR; what is left of it in $ZLB_TMP/left,
# the hand load's output in $ZLB_TMP/hand.out. Extra environment for the
# script in MAINT_ENV (NAME=VALUE).
maint_loaded() {
	local stubdir=$1 script=/var/lib/dpkg/info/zon-lb.$2
	shift 2
	: >"$STUBS/calls"
	: >"$ZLB_TMP/left"
	unshare --mount --net --propagation private \
		sh "$ZLB_TMP/in-ns.sh" "$HAND_CONF" "$ZLB_TMP/left" "$ZLB_TMP/hand.out" \
		env PATH="$stubdir:$STUBS:$PATH" ${MAINT_ENV:+"$MAINT_ENV"} "$script" "$@" >"$ZLB_TMP/maint.out" 2>&1
}
# Whether the hand load worked and is still all there after the script.
hand_loaded() {
	grep -q "^zlb-load: loaded $HAND_CONF: 1 service(s), 1 interface(s), pins in /sys/fs/bpf/zon-lb" \
		"$ZLB_TMP/hand.out" &&
		grep -qx 'pinned: zlb_meta' "$ZLB_TMP/left" && grep -q '^prog/xdp id' "$ZLB_TMP/left"
}
maint_log() {
	printf '%s\n' "--- calls" && cat "$STUBS/calls"
	printf '%s\n' "--- output" && cat "$ZLB_TMP/maint.out"
	printf '%s\n' "--- left" && cat "$ZLB_TMP/left"
	printf '%s\n' "--- hand load" && cat "$ZLB_TMP/hand.out"
}
for args in "upgrade $NEXT" "deconfigure in-favour other-package 1.0" "failed-upgrade $VERSION $NEXT"; do
	# shellcheck disable=SC2086 # the script's arguments
	if maint_loaded "$STUBS/zlb" prerm $args && ! grep -q '^zlb-load' "$STUBS/calls" && hand_loaded; then
		zlb_pass "prerm ${args%% *} leaves a zon-lb loaded by hand attached and pinned"
	else
		zlb_fail "prerm ${args%% *} leaves a zon-lb loaded by hand attached and pinned" "$(maint_log)"
	fi
done
if maint_loaded "$STUBS/zlb" prerm remove &&
	[ "$(grep -nx 'deb-systemd-invoke stop zon-lb.service' "$STUBS/calls" | cut -d: -f1)" = 1 ] &&
	[ "$(sed -n 2p "$STUBS/calls")" = "zlb-load --unload --pin-dir /sys/fs/bpf/zon-lb" ] &&
	grep -q 'loaded by hand' "$ZLB_TMP/maint.out" &&
	grep -qx 'zlb-load: veth0: detached: XDP' "$ZLB_TMP/maint.out" &&
	grep -qx 'zlb-load: unloaded: pins in /sys/fs/bpf/zon-lb removed' "$ZLB_TMP/maint.out" &&
	[ ! -s "$ZLB_TMP/left" ]; then
	zlb_pass "prerm remove stops the unit, then unloads a zon-lb loaded by hand (detached, pins removed), and says so"
else
	zlb_fail "prerm remove stops the unit, then unloads a zon-lb loaded by hand" "$(maint_log)"
fi
# ZLB_BPFFS set to another directory: the default one is unloaded all the
# same, and the other is named as left alone.
if MAINT_ENV="ZLB_BPFFS=/run/systemd" maint_loaded "$STUBS/zlb" prerm remove &&
	grep -qx 'zlb-load --unload --pin-dir /sys/fs/bpf/zon-lb' "$STUBS/calls" && [ ! -s "$ZLB_TMP/left" ] &&
	grep -q '^zon-lb: warning: ZLB_BPFFS=/run/systemd: .* not unloaded' "$ZLB_TMP/maint.out"; then
	zlb_pass "prerm remove with ZLB_BPFFS elsewhere: unloads the default pin directory, warns about the other"
else
	zlb_fail "prerm remove with ZLB_BPFFS elsewhere: unloads the default pin directory, warns about the other" \
		"$(maint_log)"
fi
# An unload that fails fails the removal, loudly: the package stays, with
# the zlb-load that can still detach zon-lb.
if ! maint_loaded "$STUBS/zlb-fails" prerm remove && grep -qx 'zlb-load --unload --pin-dir /sys/fs/bpf/zon-lb' "$STUBS/calls" &&
	grep -q '^zon-lb: error: .zlb-load --unload. failed' "$ZLB_TMP/maint.out" && hand_loaded; then
	zlb_pass "prerm remove fails, saying so, when the unload fails"
else
	zlb_fail "prerm remove fails, saying so, when the unload fails" "$(maint_log)"
fi

# --- the installed zlb-load in the reference scenario ---------------------------

# The installed program and objects, not the build tree's.
unset ZLB_BPF_OBJ ZLB_BPF_TC_OBJ
ZLB_LOAD=/usr/sbin/zlb-load
CONF=$ZLB_SRCDIR/tests/configs/e2e/reference.conf

zlb_bpffs_setup
zlb_reference_topology

# The service the unit runs, started by hand.
SVC_LOG=$ZLB_TMP/service.log
ip netns exec "$ZL" "$ZLB_LOAD" --service "$CONF" >"$SVC_LOG" 2>&1 &
SVC=$!
zlb_track_pid "$SVC"
loads() {
	grep -c "^zlb-load: loaded $CONF: " "$SVC_LOG"
}
loaded_times() {
	[ "$(loads)" -ge "$1" ]
}
if zlb_wait_for -t 30 loaded_times 1 && zlb_alive "$SVC"; then
	zlb_pass "the installed zlb-load --service loads the test's config"
else
	zlb_fail "the installed zlb-load --service loads the test's config" "$(cat "$SVC_LOG")"
	zlb_summary
fi

zlb_nc_server "$ZS" 10.2.0.2 223 srv
srv_pid=$ZLB_NC_PID
zlb_nc_client "$ZC" 10.0.0.1 23 cli
cli_pid=$ZLB_NC_PID
if ! zlb_wait_for -t 10 zlb_tcp_established "$ZS" 223 10.2.0.1; then
	zlb_fail "the server sees a connection from 10.2.0.1" \
		"$(ip netns exec "$ZS" ss -tan; cat "$ZLB_TMP/srv.err" "$ZLB_TMP/cli.err" "$SVC_LOG")"
	zlb_summary
fi
zlb_pass "the server sees a connection from 10.2.0.1"
port=$(zlb_client_port)
exchange() {
	zlb_line_crosses "$1: a line from the client reaches the server" \
		cli "$ZLB_TMP/srv.out" "client to server $1 $ZLB_SUFFIX"
	zlb_line_crosses "$1: a line from the server reaches the client" \
		srv "$ZLB_TMP/cli.out" "server to client $1 $ZLB_SUFFIX"
}
exchange "installed $VERSION"
zlb_resets_mark

# --- the upgrade ------------------------------------------------------------------

prog_ids() {
	local ifc
	for ifc in veth0 veth2; do
		ip -n "$ZL" -d link show "$ifc" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p'
	done | tr '\n' ' '
}
ids_before=$(prog_ids)

if apt-get install -y -q "$NEXT_DEB" >"$ZLB_TMP/upgrade.log" 2>&1 &&
	[ "$(dpkg-query -W -f='${Version}' zon-lb)" = "$NEXT" ]; then
	zlb_pass "apt-get install ./$(basename "$NEXT_DEB") upgrades $VERSION to $NEXT"
else
	zlb_fail "apt-get install ./$(basename "$NEXT_DEB") upgrades $VERSION to $NEXT" "$(cat "$ZLB_TMP/upgrade.log")"
fi
if [ "$(prog_ids)" = "$ids_before" ] && zlb_alive "$SVC"; then
	zlb_pass "the upgrade leaves the running state alone (programs $ids_before, the service runs)"
else
	zlb_fail "the upgrade leaves the running state alone" "programs $ids_before -> $(prog_ids)"
fi
exchange "upgraded, not reloaded"

# What 'systemctl reload zon-lb' does: the service executes the upgraded
# zlb-load, which replaces the program atomically.
kill -HUP "$SVC"
if zlb_wait_for -t 30 loaded_times 2; then
	zlb_pass "reload after the upgrade: loaded again"
else
	zlb_fail "reload after the upgrade: loaded again" "$(cat "$SVC_LOG")"
fi
if grep -q "was replaced (an upgrade?): executing the new one" "$SVC_LOG" &&
	[ "$(readlink "/proc/$SVC/exe")" = "$ZLB_LOAD" ]; then
	zlb_pass "reload after the upgrade: the service runs the upgraded zlb-load (same pid)"
else
	zlb_fail "reload after the upgrade: the service runs the upgraded zlb-load" \
		"exe $(readlink "/proc/$SVC/exe"); $(cat "$SVC_LOG")"
fi
if grep -q "veth0: replaced an older zon-lb program" "$SVC_LOG" &&
	grep -q "veth2: replaced an older zon-lb program" "$SVC_LOG" &&
	[ "$(prog_ids)" != "$ids_before" ]; then
	zlb_pass "reload after the upgrade: the new program replaced the old one atomically ($ids_before-> $(prog_ids))"
else
	zlb_fail "reload after the upgrade: the new program replaced the old one atomically" \
		"programs $ids_before -> $(prog_ids); $(cat "$SVC_LOG")"
fi
exchange "upgraded and reloaded"

# The upgraded zlb-load on the command line: the same program, kept.
if zlb_load_in_lb "$CONF" >"$ZLB_TMP/rerun.out" 2>&1 &&
	grep -q "veth0: already running this program" "$ZLB_TMP/rerun.out"; then
	zlb_pass "the upgraded zlb-load run again keeps the program it loaded"
else
	zlb_fail "the upgraded zlb-load run again keeps the program it loaded" "$(cat "$ZLB_TMP/rerun.out")"
fi
exchange "run again"

if zlb_alive "$srv_pid" && zlb_alive "$cli_pid" && [ -n "$port" ] && [ "$(zlb_client_port)" = "$port" ] &&
	[ "$(zlb_snmp "$ZC" Tcp EstabResets)" = "$ZLB_RESETS_C" ] &&
	[ "$(zlb_snmp "$ZS" Tcp EstabResets)" = "$ZLB_RESETS_S" ]; then
	zlb_pass "the connection survived the upgrade (client port $port, no reset)"
else
	zlb_fail "the connection survived the upgrade" \
		"client port $port -> $(zlb_client_port); $(ip netns exec "$ZC" ss -tan)"
fi

kill -TERM "$SVC"
wait "$SVC"
rc=$?
if [ "$rc" -eq 0 ] && [ -z "$(find "$ZLB_BPFFS" -mindepth 1 2>/dev/null)" ]; then
	zlb_pass "the service stops: exit 0, pins removed"
else
	zlb_fail "the service stops: exit 0, pins removed" "exit $rc: $(cat "$SVC_LOG")"
fi
zlb_kill_tracked

# --- purge ---------------------------------------------------------------------------

if apt-get purge -y -q zon-lb >"$ZLB_TMP/purge.log" 2>&1; then
	INSTALLED=0
	zlb_pass "apt-get purge zon-lb"
else
	zlb_fail "apt-get purge zon-lb" "$(cat "$ZLB_TMP/purge.log")"
fi
left=""
while read -r f; do
	[ -e "$f" ] && [ ! -d "$f" ] && left="$left $f"
done <"$ZLB_TMP/files"
if [ -z "$left" ] && [ ! -e /etc/zonlb.conf ] && [ ! -d "/usr/lib/$MULTIARCH/zon-lb" ] &&
	! dpkg-query -W -f='${db:Status-Status}' zon-lb 2>/dev/null | grep -qv not-installed; then
	zlb_pass "after the purge no file of zon-lb is left"
else
	zlb_fail "after the purge no file of zon-lb is left" "left:$left"
fi

zlb_summary
