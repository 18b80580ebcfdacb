#!/bin/bash
# The man pages against the code: for each tool (zlb-load, zlb-stat, zlb-ct,
# zlb-arp), every option TOOL --help prints is documented under OPTIONS of
# TOOL.8 (with its short form), and OPTIONS documents nothing --help does
# not print; every environment variable --help names is under ENVIRONMENT;
# each page's .TH names the version of configure.ac; and the pages lint
# clean (mandoc -Tlint, groff -ww). Needs no root and
# changes nothing.
set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
: "${ZLB_SRCDIR:=$(cd "$here/../.." && pwd)}"
: "${ZLB_BUILDDIR:=$ZLB_SRCDIR}"
LOAD=$ZLB_BUILDDIR/zlb-load/zlb-load
MANDIR=$ZLB_SRCDIR/man
PAGES=(zlb-load.8 zlb-stat.8 zlb-ct.8 zlb-arp.8 zonlb.conf.5 zon-lb.7)

passed=0
failed=0

ok() {
	passed=$((passed + 1))
	printf 'ok - %s\n' "$1"
}

not_ok() {
	failed=$((failed + 1))
	printf 'not ok - %s\n' "$1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | sed 's/^/#   /'
}

summary() {
	printf 'manpages: %d passed, %d failed\n' "$passed" "$failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# section PAGE NAME: the roff source of section NAME of PAGE, with roff's
# escaped hyphens and zero-width escapes made plain (\-\-check -> --check).
section() {
	awk -v want=".SH $2" '
		/^\.SH / { name = $0; gsub(/"/, "", name); on = (name == want); next }
		on' "$1" | sed -e 's/\\-/-/g' -e 's/\\[&%]//g'
}

long_options() {
	grep -oE -- '--[a-z][a-z0-9-]*' | sort -u
}

# --- TOOL --help against TOOL.8 ----------------------------------------------

# check_tool NAME BINARY: NAME --help against OPTIONS, COMMANDS and
# ENVIRONMENT of NAME.8, both ways.
check_tool() {
	local name=$1 bin=$2 page=$MANDIR/$1.8 help options environment help_long man_long
	local help_cmds man_cmds o v c
	if ! help=$("$bin" --help 2>&1); then
		not_ok "$name --help runs ($bin)" "$help"
		return
	elif [ ! -r "$page" ]; then
		not_ok "$page exists"
		return
	fi
	ok "$name --help runs"

	options=$(section "$page" OPTIONS)
	environment=$(section "$page" ENVIRONMENT)
	help_long=$(printf '%s\n' "$help" | long_options)
	man_long=$(printf '%s\n' "$options" | long_options)

	if [ -z "$help_long" ]; then
		not_ok "$name --help prints long options"
	fi
	if [ -z "$options" ]; then
		not_ok "$name.8 has an OPTIONS section"
	fi

	for o in $help_long; do
		if printf '%s\n' "$man_long" | grep -qxF -- "$o"; then
			ok "$o (from $name --help) is in OPTIONS of $name.8"
		else
			not_ok "$o (from $name --help) is in OPTIONS of $name.8"
		fi
	done
	for o in $man_long; do
		if printf '%s\n' "$help_long" | grep -qxF -- "$o"; then
			ok "$o (from OPTIONS of $name.8) is in $name --help"
		else
			not_ok "$o (from OPTIONS of $name.8) is in $name --help"
		fi
	done

	# "  -c, --check ..." in --help: the page tags the option the same way.
	while read -r short long; do
		if printf '%s\n' "$options" | grep -qE -- "(^|[^a-z-])$short([^a-zA-Z-].*|)$long([^a-z0-9-]|$)"; then
			ok "$short goes with $long in OPTIONS of $name.8"
		else
			not_ok "$short goes with $long in OPTIONS of $name.8"
		fi
	done < <(printf '%s\n' "$help" | sed -nE 's/^[[:space:]]+(-[A-Za-z]), (--[a-z][a-z0-9-]*).*/\1 \2/p')

	# "Commands:" in --help against the tags of COMMANDS, both ways.
	help_cmds=$(printf '%s\n' "$help" |
		awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on && /^  [a-z]/ { print $1 }' | sort -u)
	man_cmds=$(section "$page" COMMANDS |
		awk 'tp && /^\.BI? / { print $2 } { tp = ($0 == ".TP") }' | sort -u)
	for c in $help_cmds; do
		if printf '%s\n' "$man_cmds" | grep -qxF -- "$c"; then
			ok "command $c (from $name --help) is in COMMANDS of $name.8"
		else
			not_ok "command $c (from $name --help) is in COMMANDS of $name.8"
		fi
	done
	for c in $man_cmds; do
		if printf '%s\n' "$help_cmds" | grep -qxF -- "$c"; then
			ok "command $c (from COMMANDS of $name.8) is in $name --help"
		else
			not_ok "command $c (from COMMANDS of $name.8) is in $name --help"
		fi
	done

	for v in $(printf '%s\n' "$help" | grep -oE '\b(ZLB|LIBXDP)_[A-Z0-9_]+' | sort -u); do
		if printf '%s\n' "$environment" | grep -qw -- "$v"; then
			ok "$v (from $name --help) is in ENVIRONMENT of $name.8"
		else
			not_ok "$v (from $name --help) is in ENVIRONMENT of $name.8"
		fi
	done
}

check_tool zlb-load "$LOAD"

# FILES of zlb-load.8 lists what the default pin directory holds: every
# map the ABI header names (ZLB_MAP_*), since --unload removes them all.
files=$(section "$MANDIR/zlb-load.8" FILES)
for m in $(sed -nE 's/^#define ZLB_MAP_[A-Z0-9_]+ +"([a-z0-9_]+)".*/\1/p' \
	"$ZLB_SRCDIR/libzlbcommon/zlb_abi.h"); do
	if printf '%s\n' "$files" | grep -qw -- "$m"; then
		ok "map $m (zlb_abi.h) is in FILES of zlb-load.8"
	else
		not_ok "map $m (zlb_abi.h) is in FILES of zlb-load.8"
	fi
done
check_tool zlb-stat "$ZLB_BUILDDIR/zlb-stat/zlb-stat"
check_tool zlb-ct "$ZLB_BUILDDIR/zlb-ct/zlb-ct"
check_tool zlb-arp "$ZLB_BUILDDIR/zlb-arp/zlb-arp"

# --- .TH: each page names this version (AC_INIT of configure.ac) -------------

version=$(sed -nE 's/^AC_INIT\(\[[^]]*\], *\[([^]]*)\].*/\1/p' "$ZLB_SRCDIR/configure.ac")
for p in "${PAGES[@]}"; do
	th=$(grep -m1 '^\.TH ' "$MANDIR/$p")
	if [ -n "$version" ] && printf '%s\n' "$th" | grep -qF "\"zon-lb $version\""; then
		ok "$p's .TH names zon-lb $version"
	else
		not_ok "$p's .TH names zon-lb ${version:-(no AC_INIT version)}" "$th"
	fi
done

# --- lint -------------------------------------------------------------------

linters=0
for p in "${PAGES[@]}"; do
	f=$MANDIR/$p
	if [ ! -r "$f" ]; then
		not_ok "$p exists in $MANDIR"
		continue
	fi
	if command -v mandoc >/dev/null 2>&1; then
		linters=1
		if out=$(mandoc -Tlint "$f" 2>&1) && [ -z "$out" ]; then
			ok "mandoc -Tlint $p: clean"
		else
			not_ok "mandoc -Tlint $p: clean" "$out"
		fi
	fi
	if command -v groff >/dev/null 2>&1; then
		linters=1
		if out=$(groff -ww -z -man -Tutf8 "$f" 2>&1) && [ -z "$out" ]; then
			ok "groff -ww -man $p: no warnings"
		else
			not_ok "groff -ww -man $p: no warnings" "$out"
		fi
	fi
done
[ "$linters" -eq 1 ] || not_ok "mandoc or groff is installed to lint the pages"

summary
