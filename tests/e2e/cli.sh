#!/bin/bash
# shellcheck disable=SC2317 # the small predicates are called through expect
# zlb-load's command line, no traffic: help, version, option and file errors,
# --check on bad configs and on a missing interface. Runs as any user; the
# --check of a good config, whose interfaces must exist, needs root (a netns).
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_cmd timeout sed
[ -x "$ZLB_LOAD" ] || zlb_die "zlb-load not built: $ZLB_LOAD"
zlb_tmpdir

# --check changes nothing: point the pin directory at a path that must still
# not exist at the end (and away from the host's /sys/fs/bpf).
NOPINS=$ZLB_TMP/no-bpffs
export ZLB_BPFFS=$NOPINS/zon-lb LIBXDP_BPFFS=$NOPINS
REFCONF=$ZLB_SRCDIR/tests/configs/e2e/reference.conf
RC=0

# zl ARGS...: run zlb-load; exit code in RC, output in $ZLB_TMP/out, err.
zl() {
	timeout 30 "$ZLB_LOAD" "$@" >"$ZLB_TMP/out" 2>"$ZLB_TMP/err"
	RC=$?
}

out() { cat "$ZLB_TMP/out"; }
err() { cat "$ZLB_TMP/err"; }
got() { printf 'exit %s; stdout: %s; stderr: %s' "$RC" "$(out)" "$(err)"; }

expect() { # NAME CONDITION...
	local name=$1
	shift
	if "$@"; then
		zlb_pass "$name"
	else
		zlb_fail "$name" "$(got)"
	fi
}

ok() { [ "$RC" -eq 0 ]; }
failed() { [ "$RC" -ne 0 ] && [ "$RC" -ne 124 ]; }
out_has() { grep -qiE -- "$1" "$ZLB_TMP/out"; }
err_has() { grep -qE -- "$1" "$ZLB_TMP/err"; }
err_has_fixed() { grep -qF -- "$1" "$ZLB_TMP/err"; }

for opt in --help -h; do
	zl "$opt"
	expect "$opt exits 0" ok
	expect "$opt prints usage on stdout" out_has 'usage'
	for o in --check --unload --skb-mode --pin-dir; do
		expect "$opt mentions $o" out_has "$o"
	done
done

# The package's prerm unloads the default pin directory by its path: the
# one zlb-load --help names.
prerm_dir=$(sed -n 's/^ZLB_PIN_DIR=//p' "$ZLB_SRCDIR/debian/zon-lb.prerm")
zl --help
expect "debian/zon-lb.prerm unloads the default pin directory --help names ($prerm_dir)" \
	out_has "else ${prerm_dir:-no ZLB_PIN_DIR= in the prerm}\)"

for opt in --version -V; do
	zl "$opt"
	expect "$opt exits 0" ok
	expect "$opt prints a version" out_has '[0-9]+\.[0-9]+'
done

zl --no-such-option
expect "an unknown option fails" failed
expect "an unknown option is reported as zlb-load: ..." err_has '^zlb-load: '

# The option at fault is named as written: a letter alone from a cluster
# (getopt stays on -cx: the element before it is the program's name), and
# an argument given to an option that takes none is said to be one.
zl -cx "$REFCONF"
expect "-cx FILE is a usage error (exit 2)" [ "$RC" -eq 2 ]
expect "-cx FILE names -x" err_has_fixed "unknown option '-x'"
zl --check=yes "$REFCONF"
expect "--check=yes FILE is a usage error (exit 2)" [ "$RC" -eq 2 ]
expect "--check=yes FILE: --check takes no argument" err_has_fixed "option '--check' takes no argument"

# An empty --pin-dir ("$DIR" unset) is not the default directory.
zl --unload --pin-dir=
expect "--unload --pin-dir= is a usage error (exit 2)" [ "$RC" -eq 2 ]
expect "--unload --pin-dir= is reported as an empty --pin-dir" \
	err_has '^zlb-load: error: --pin-dir needs a directory'
zl --check -p "" "$REFCONF"
expect "--check -p '' FILE is a usage error (exit 2)" [ "$RC" -eq 2 ]

# --skb-mode means nothing to a detach: refused, not ignored.
zl --unload -S
expect "--unload -S is a usage error (exit 2)" [ "$RC" -eq 2 ]
expect "--unload -S is reported as such" err_has '^zlb-load: error: --unload takes .*no --skb-mode'

zl
expect "no FILE fails" failed
expect "no FILE is reported as zlb-load: ..." err_has '^zlb-load: '

zl --check
expect "--check without FILE fails" failed

zl --check "$ZLB_TMP/missing.conf"
expect "--check of a missing file fails" failed
expect "--check of a missing file names it" err_has_fixed "$ZLB_TMP/missing.conf"

bad_seen=0
for f in "$ZLB_SRCDIR"/tests/configs/bad/*.conf; do
	[ -e "$f" ] || continue
	bad_seen=1
	b=$(basename "$f")
	zl --check "$f"
	# One check per file: fails, "zlb-load: error: ", then "FILE:LINE".
	if failed && err_has '^zlb-load: error: ' && [[ "$(err)" == *"$b:"[0-9]* ]]; then
		zlb_pass "--check $b fails naming the file and a line"
	else
		zlb_fail "--check $b fails naming the file and a line" "$(got)"
	fi
done
[ "$bad_seen" -eq 1 ] || zlb_skip "--check of bad configs" "no tests/configs/bad/*.conf"

sed -e 's/"veth0"/"zlbnope0"/; s/"veth2"/"zlbnope1"/' "$REFCONF" >"$ZLB_TMP/nope.conf"
zl --check "$ZLB_TMP/nope.conf"
expect "--check with a missing interface fails" failed
expect "--check with a missing interface names it" err_has_fixed zlbnope0

if zlb_have_root; then
	zlb_netns_add zk
	NS=$ZLB_NETNS_NAME
	zlb_must ip -n "$NS" link add veth0 type veth peer name veth2
	RC=0
	timeout 30 ip netns exec "$NS" "$ZLB_LOAD" --check "$REFCONF" \
		>"$ZLB_TMP/out" 2>"$ZLB_TMP/err" || RC=$?
	expect "--check reference.conf where veth0 and veth2 exist exits 0" ok
	if ip -n "$NS" link show | grep -q xdp; then
		zlb_fail "--check attaches nothing" "$(ip -n "$NS" link show)"
	else
		zlb_pass "--check attaches nothing"
	fi
	# One interface under two of its names (an altname): listed twice.
	zlb_must ip -n "$NS" link property add dev veth0 altname zlbalt0
	printf 'interfaces = (\n  "veth0",\n  "zlbalt0"\n);\n' >"$ZLB_TMP/altname.conf"
	RC=0
	timeout 30 ip netns exec "$NS" "$ZLB_LOAD" --check "$ZLB_TMP/altname.conf" \
		>"$ZLB_TMP/out" 2>"$ZLB_TMP/err" || RC=$?
	expect "--check refuses an interface listed under its name and an altname" failed
	expect "--check names the altname's line and the entry it repeats" err_has_fixed \
		"altname.conf:3: interfaces[1]: 'zlbalt0' is interface 'veth0' (interfaces[0], line 2,"
else
	zlb_skip "--check of a good config" "needs root and netns: $ZLB_NOROOT_REASON"
fi

if [ -e "$NOPINS" ]; then
	zlb_fail "--check pins nothing" "$NOPINS was created"
else
	zlb_pass "--check pins nothing"
fi

zlb_summary
