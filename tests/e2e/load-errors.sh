#!/bin/bash
# A load that cannot be carried out changes nothing. With the reference
# scenario loaded, every config of the broken-config corpus is refused by
# zlb-load (a real load, not --check): every file in tests/configs/bad, and
# the ones made here (huge, sparse, NUL byte, directory, fifo, device,
# socket, dangling and looping symlinks, unreadable, @include of such files,
# too many services or backends, Maglev tables too large in all, interfaces
# that do not exist or cannot run XDP, a connection table of another size).
# Each error names the file and, when the problem has one, its line; no run
# leaves a sanitizer report (see configure --enable-sanitizers); the maps
# that hold configuration, the XDP programs and the tc filters stay as
# they were. Then a foreign XDP program and a pin directory that would
# vanish are refused too, and the warnings a load gives about interfaces
# that would lose traffic (veth peer without XDP or GRO, forwarding off).
# Last, a reload that fails only at the attach (after the maps were
# written) puts the running configuration back into the maps.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip tc ethtool bpftool sha256sum timeout setpriv python3 truncate
zlb_require_built
# In a build with --enable-sanitizers, a leak libconfig 1.5 has on some
# syntax errors is not ours (tests/lsan.supp; make check sets this too).
: "${LSAN_OPTIONS:=suppressions=$ZLB_SRCDIR/tests/lsan.supp:print_suppressions=0}"
export LSAN_OPTIONS

CONFS=$ZLB_SRCDIR/tests/configs
BAD=$CONFS/bad
# The line (and words) each file in tests/configs/bad fails with.
TABLE=$ZLB_SRCDIR/tests/unit/test_config.c
OTHER_OBJ=${ZLB_TEST_BPF_DIR:-$ZLB_BUILDDIR/tests/bpf}/xdp_other.bpf.o
[ -r "$OTHER_OBJ" ] || zlb_die "test object not built: $OTHER_OBJ (make check builds it)"
[ -r "$TABLE" ] || zlb_die "no $TABLE"

# --- what must not change --------------------------------------------------
# The maps that hold configuration: zlb_meta, zlb_services, zlb_backends,
# zlb_maglev (and each table it holds), zlb_ifaces, zlb_tx_ports,
# zlb_snat_addrs -- not the connection table or counters, which traffic may
# change. zlb_backends has 131072 slots and each table 65537 entries: a
# dump of all takes ~1.5 s, so it is taken before and after the whole
# corpus (full_snapshot), and each run is checked with a cheap one
# (snapshot, ~20 ms): the small maps whole, in bytes; zlb_maglev's keys and
# the ids of the tables they hold (zlb-load never writes an installed
# table: a load builds new ones); the backend slots of the first services
# in both halves, where any load would write first.

BACKEND_HALF=65536	# ZLB_BACKEND_HALF: slots per half of zlb_backends
SLOTS=""
for half in 0 1; do
	for svc in 0 1 2 3; do
		for be in 0 1; do
			SLOTS="$SLOTS $((half * BACKEND_HALF + svc * 64 + be))"
		done
	done
done

le32() {
	printf '%d %d %d %d' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255))
}

# The XDP programs and the tc ingress filters of both interfaces.
programs() {
	local i
	for i in veth0 veth2; do
		printf '%s: %s\n' "$i" "$(ip -n "$ZL" -d link show "$i" | grep -o 'prog/xdp id [0-9]*')"
		tc -n "$ZL" filter show dev "$i" ingress 2>&1
	done
}

snapshot() {
	local m slot
	{
		for m in zlb_meta zlb_services zlb_ifaces zlb_tx_ports zlb_snat_addrs zlb_maglev; do
			echo "map dump pinned $ZLB_BPFFS/$m"
		done
		for slot in $SLOTS; do
			echo "map lookup pinned $ZLB_BPFFS/zlb_backends key $(le32 "$slot")"
		done
	} | bpftool -p batch file - 2>&1
	programs
}

full_snapshot() {
	local m key id
	for m in zlb_meta zlb_services zlb_backends zlb_ifaces zlb_tx_ports zlb_snat_addrs zlb_maglev; do
		printf '%s %s\n' "$m" "$(bpftool -j map dump pinned "$ZLB_BPFFS/$m" | sha256sum)"
	done
	# "key: 01 00 00 00  value: 56 88 00 00": little-endian key and map id
	bpftool map dump pinned "$ZLB_BPFFS/zlb_maglev" |
		awk '$1 == "key:" { print $5 $4 $3 $2, $10 $9 $8 $7 }' |
		while read -r key id; do
			printf 'zlb_maglev[%d] = map %d %s\n' "0x$key" "0x$id" \
				"$(bpftool -j map dump id "$((0x$id))" | sha256sum)"
		done
	programs
}

# --- the checks -------------------------------------------------------------

# refused NAME WHERE TEXT CMD...: CMD (zlb-load, maybe behind setpriv) run
# in the load balancer's namespace fails with a plain error -- no hang, no
# crash, no sanitizer report -- saying "zlb-load: error: WHERE: " (WHERE:
# the file, and its line when the problem has one) followed by words that
# contain TEXT; and the configuration is still the good one.
refused() {
	local name=$1 where=$2 text=$3 out=$ZLB_TMP/out rc line rest
	shift 3
	timeout 20 ip netns exec "$ZL" "$@" >"$out" 2>&1
	rc=$?
	line=$(grep -F -m 1 "zlb-load: error: $where: " "$out")
	rest=${line#*"zlb-load: error: $where: "}
	if [ "$rc" -eq 124 ]; then
		zlb_fail "$name: refused, naming $where" "zlb-load hung (killed after 20 s): $(cat "$out")"
	elif [ "$rc" -eq 0 ] || [ "$rc" -gt 125 ]; then
		zlb_fail "$name: refused, naming $where" "exit $rc: $(cat "$out")"
	elif grep -Eq 'Sanitizer|runtime error:' "$out"; then
		zlb_fail "$name: refused, naming $where" "sanitizer report: $(cat "$out")"
	elif [ -z "$line" ] || [ -z "$rest" ] || [[ $rest != *"$text"* ]]; then
		zlb_fail "$name: refused, naming $where" "want \"$where: ...$text...\", got: $(cat "$out")"
	else
		zlb_pass "$name: refused, naming $where"
	fi
	unchanged "$name"
}

unchanged() {
	zlb_check_same "$1: the configuration maps and programs are unchanged" "$GOOD" "$(snapshot)"
}

# --- configs made here --------------------------------------------------------

# with_ifaces NAME IFACE...: reference.conf's services on other interfaces.
with_ifaces() {
	local f=$ZLB_TMP/$1.conf list
	shift
	list=$(printf '"%s", ' "$@")
	sed "s/^interfaces = .*/interfaces = ( ${list%, } );/" \
		"$CONFS/e2e/reference.conf" >"$f"
	echo "$f"
}

# gen_services N BACKENDS TABLE_SIZE: N services of BACKENDS backends each
# ("services = (" on line 1; service I on lines 2I+2, with its table_size,
# and 2I+3, with its backends), on veth0 and veth2.
gen_services() {
	local i j
	echo "services = ("
	for ((i = 0; i < $1; i++)); do
		printf '%s{ name = "s%d"; address = "10.0.0.1"; protocol = "tcp"; port = %d; table_size = %d;\n  backends = (' \
			"$([ "$i" -gt 0 ] && echo ,)" "$i" $((i + 1)) "$3"
		for ((j = 0; j < $2; j++)); do
			printf '%s { address = "10.2.%d.%d"; port = 80; }' \
				"$([ "$j" -gt 0 ] && echo ,)" $((j / 250)) $((j % 250 + 1))
		done
		echo " ); }"
	done
	echo ");"
	echo 'interfaces = ( "veth0", "veth2" );'
}

# comments FILE BYTES: a file of comment lines.
comments() {
	python3 -c 'import sys; n = int(sys.argv[2]); open(sys.argv[1], "w").write(("#" + "x" * 63 + "\n") * (n // 64))' "$1" "$2"
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
GOOD_FULL=$(full_snapshot)
IFACES_LINE=$(grep -n '^interfaces = ' "$CONFS/e2e/reference.conf" | cut -d: -f1)
started=$SECONDS
count=0

# --- every file in tests/configs/bad: the line test_config.c expects ---------

for f in "$BAD"/*; do
	file=${f##*/}
	row=$(sed -n "s/^\t{ \"${file//./\\.}\", \([0-9]*\), \"\(.*\)\" },\$/\1\t\2/p" "$TABLE")
	if [ -z "$row" ]; then
		zlb_fail "bad/$file" "no row in $TABLE: add its line and message"
		continue
	fi
	line=${row%%$'\t'*}
	text=${row#*$'\t'}
	text=${text//\\\"/\"}
	text=${text//\\\\/\\}
	[[ $text == *'\x'* ]] && text=""	# a C escape: test_config checks it
	where=$f
	[ "$line" -gt 0 ] && where=$f:$line
	refused "bad/$file" "$where" "$text" "$ZLB_LOAD" "$f"
	count=$((count + 1))
done

# --- files that are no config file: named, no line ---------------------------

C=$ZLB_TMP/corpus
mkdir "$C" || zlb_die "mkdir $C"

comments "$C/huge.conf" $((2 * 1024 * 1024))
refused "a 2 MiB file" "$C/huge.conf" "is larger than 1048576 bytes" "$ZLB_LOAD" "$C/huge.conf"
truncate -s 4G "$C/sparse.conf"
refused "a sparse 4 GiB file" "$C/sparse.conf" "is larger than 1048576 bytes" "$ZLB_LOAD" "$C/sparse.conf"
printf 'interfaces = ( "veth0" );\n\0services = ( );\n' >"$C/nul.conf"
refused "a NUL byte" "$C/nul.conf" "contains a NUL byte" "$ZLB_LOAD" "$C/nul.conf"
mkdir "$C/dir.conf"
refused "a directory" "$C/dir.conf" "is a directory" "$ZLB_LOAD" "$C/dir.conf"
mkfifo "$C/fifo.conf"
refused "a fifo (no writer: must not wait)" "$C/fifo.conf" "is not a regular file" "$ZLB_LOAD" "$C/fifo.conf"
refused "a character device" "/dev/null" "is not a regular file" "$ZLB_LOAD" /dev/null
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$C/socket.conf"
refused "a unix socket" "$C/socket.conf" "cannot open: No such device or address" "$ZLB_LOAD" "$C/socket.conf"
refused "a file that does not exist" "$C/missing.conf" "cannot open: No such file or directory" \
	"$ZLB_LOAD" "$C/missing.conf"
ln -s "$C/missing.conf" "$C/dangling.conf"
refused "a dangling symlink" "$C/dangling.conf" "cannot open: No such file or directory" \
	"$ZLB_LOAD" "$C/dangling.conf"
ln -s "$C/loop-b.conf" "$C/loop-a.conf"
ln -s "$C/loop-a.conf" "$C/loop-b.conf"
refused "a symlink loop" "$C/loop-a.conf" "cannot open: Too many levels of symbolic links" \
	"$ZLB_LOAD" "$C/loop-a.conf"
count=$((count + 11))

# Unreadable: root reads a mode 000 file through CAP_DAC_OVERRIDE, so the
# first run is root without it (and without CAP_DAC_READ_SEARCH), every
# other capability kept. The second is nobody: zlb-load says it needs root
# before it opens anything (were that check gone, the file could not be
# opened either).
cp "$CONFS/e2e/reference.conf" "$C/unreadable.conf"
chmod 000 "$C/unreadable.conf"
refused "a file root cannot read without CAP_DAC_OVERRIDE" "$C/unreadable.conf" \
	"cannot open: Permission denied" \
	setpriv --inh-caps=-dac_override,-dac_read_search \
	--bounding-set=-dac_override,-dac_read_search "$ZLB_LOAD" "$C/unreadable.conf"
mkdir -m 755 "$C/nobody"
cp "$CONFS/e2e/reference.conf" "$C/nobody/root-only.conf"
chmod 600 "$C/nobody/root-only.conf"
chmod 711 "$ZLB_TMP" "$C"
out=$ZLB_TMP/nobody.out
as_nobody() {
	timeout 20 ip netns exec "$ZL" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		--inh-caps=-all "$@"
}
if ! as_nobody test -x "$ZLB_LOAD"; then
	zlb_skip "a file nobody cannot read, loaded as nobody" "nobody cannot run $ZLB_LOAD"
else
	as_nobody "$ZLB_LOAD" "$C/nobody/root-only.conf" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -lt 124 ] && ! grep -Eq 'Sanitizer|runtime error:' "$out" &&
		grep -Eq "zlb-load: error: ($C/nobody/root-only.conf: cannot open: Permission denied|.*(root|CAP_BPF))" "$out"; then
		zlb_pass "a file nobody cannot read, loaded as nobody: refused"
	else
		zlb_fail "a file nobody cannot read, loaded as nobody: refused" "exit $rc: $(cat "$out")"
	fi
	unchanged "a file nobody cannot read, loaded as nobody"
	count=$((count + 1))
fi
chmod 700 "$ZLB_TMP"
count=$((count + 1))

# @include of such files: the error is on the @include line.
include() { # NAME TARGET: a config that includes TARGET on line 2
	printf 'interfaces = ( "veth0", "veth2" );\n@include "%s"\n' "$2" >"$C/$1"
	echo "$C/$1"
}
refused "@include of a fifo" "$(include include-fifo.conf "$C/fifo.conf"):2" \
	"@include: $C/fifo.conf: is not a regular file" "$ZLB_LOAD" "$C/include-fifo.conf"
refused "@include of a 2 MiB file" "$(include include-huge.conf "$C/huge.conf"):2" \
	"@include: $C/huge.conf: is larger than 1048576 bytes" "$ZLB_LOAD" "$C/include-huge.conf"
refused "@include of a file with a NUL byte" "$(include include-nul.conf "$C/nul.conf"):2" \
	"@include: $C/nul.conf: contains a NUL byte" "$ZLB_LOAD" "$C/include-nul.conf"
comments "$C/700k.conf" $((700 * 1024))
printf '@include "%s"\n@include "%s"\n' "$C/700k.conf" "$C/700k.conf" >"$C/include-twice.conf"
refused "@include twice of a 700 KiB file" "$C/include-twice.conf:2" \
	"the config and its includes are larger than 1048576 bytes (1 MiB) in all" \
	"$ZLB_LOAD" "$C/include-twice.conf"
count=$((count + 4))

# --- oversized: generated here, not committed --------------------------------

gen_services 1025 1 65537 >"$C/services-1025.conf"
refused "1025 services" "$C/services-1025.conf:1" "services: 1025 services, at most 1024 are supported" \
	"$ZLB_LOAD" "$C/services-1025.conf"
gen_services 1 65 65537 >"$C/backends-65.conf"
refused "65 backends" "$C/backends-65.conf:3" "services[0].backends: 65 backends, at most 64 are supported" \
	"$ZLB_LOAD" "$C/backends-65.conf"
gen_services 65 1 1048573 >"$C/maglev-total.conf"
refused "65 Maglev tables of 1048573 entries" "$C/maglev-total.conf:130" \
	"services[64].table_size: the Maglev tables of services[0..64] hold 68157245 entries; at most 67109888" \
	"$ZLB_LOAD" "$C/maglev-total.conf"
count=$((count + 3))

# --- what only zlb-load can know: the kernel's interfaces and tables ---------

refused "an interface that does not exist" \
	"$(with_ifaces ghost veth0 zlbghost0):$IFACES_LINE" "interfaces: interface 'zlbghost0' does not exist" \
	"$ZLB_LOAD" "$ZLB_TMP/ghost.conf"
refused "an interface of another namespace (the client's veth1)" \
	"$(with_ifaces other-ns veth0 veth2 veth1):$IFACES_LINE" "interfaces: interface 'veth1' does not exist" \
	"$ZLB_LOAD" "$ZLB_TMP/other-ns.conf"
refused "an interface without native XDP (lo)" \
	"$(with_ifaces loopback veth0 veth2 lo):$IFACES_LINE" \
	"interfaces: lo: its driver cannot run XDP programs in native mode" \
	"$ZLB_LOAD" "$ZLB_TMP/loopback.conf"
{ printf 'settings = {\n  conntrack_size = 2048;\n};\n'; cat "$CONFS/e2e/reference.conf"; } >"$C/conntrack-size.conf"
refused "a connection table of another size" "$C/conntrack-size.conf:2" \
	"settings.conntrack_size: the running IPv4 connection table has 262144 entries, this file asks for 2048" \
	"$ZLB_LOAD" "$C/conntrack-size.conf"
{ printf 'settings = {\n  conntrack_size_ipv6 = 4096;\n};\n'; cat "$CONFS/e2e/reference.conf"; } >"$C/conntrack-size6.conf"
refused "an IPv6 connection table of another size" "$C/conntrack-size6.conf:2" \
	"settings.conntrack_size_ipv6: the running IPv6 connection table has 262144 entries, this file asks for 4096" \
	"$ZLB_LOAD" "$C/conntrack-size6.conf"
count=$((count + 5))

# Another program, attached without libxdp, on an interface the new config
# adds: refused before anything changes, and that program stays.
zlb_veth_pair "$ZL" veth4 "$ZS" veth5
zlb_must ip -n "$ZL" link set veth4 up
zlb_must ip -n "$ZL" link set dev veth4 xdpdrv obj "$OTHER_OBJ" sec xdp
refused "another XDP program on veth4" "$(with_ifaces veth4 veth0 veth2 veth4):$IFACES_LINE" \
	"interfaces: veth4: another XDP program ('xdp_other')" "$ZLB_LOAD" "$ZLB_TMP/veth4.conf"
count=$((count + 1))
if ip -n "$ZL" -d link show veth4 | grep -q 'name xdp_other'; then
	zlb_pass "the other program still runs on veth4"
else
	zlb_fail "the other program still runs on veth4" "$(ip -n "$ZL" -d link show veth4)"
fi
zlb_must ip -n "$ZL" link set dev veth4 xdpdrv off

zlb_log "$count broken configs in $((SECONDS - started)) s"

# Under ip netns exec a bpffs mounted now would vanish with the process.
out=$ZLB_TMP/private.out
env -u ZLB_BPFFS timeout 60 ip netns exec "$ZL" "$ZLB_LOAD" "$CONFS/e2e/reference.conf" >"$out" 2>&1
rc=$?
if [ "$rc" -ne 0 ] && grep -q "private mount namespace.*set ZLB_BPFFS" "$out"; then
	zlb_pass "no bpffs in a private mount namespace: refused, naming ZLB_BPFFS"
else
	zlb_fail "no bpffs in a private mount namespace: refused, naming ZLB_BPFFS" "exit $rc: $(cat "$out")"
fi
unchanged "no bpffs in a private mount namespace"

# After all of it, every byte of every configuration map and table.
now=$(full_snapshot)
if [ "$now" = "$GOOD_FULL" ]; then
	zlb_pass "after $count broken configs, every configuration map and Maglev table is byte for byte the same"
else
	zlb_fail "after $count broken configs, every configuration map and Maglev table is byte for byte the same" \
		"$(diff <(echo "$GOOD_FULL") <(echo "$now"))"
fi

# Warnings: veth4's peer (veth5) has neither XDP nor GRO, and forwarding is
# off on veth4. The load goes on and names both problems.
zlb_must ip netns exec "$ZS" ethtool -K veth5 gro off
zlb_must ip netns exec "$ZL" sysctl -q -w net.ipv4.conf.veth4.forwarding=0
out=$ZLB_TMP/warn.out
if zlb_load_in_lb "$ZLB_TMP/veth4.conf" >"$out" 2>&1; then
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

# An interface that refuses the program only when it is attached, after
# the maps are written (here, after three loads: both halves of zlb_maglev
# hold tables): XDP on a veth whose peer's MTU is larger than a
# page (the program is not multi-buffer). The reload also moves a service
# to another port; the maps must hold the running configuration again
# afterwards, under a new generation (what packets cached meanwhile is
# stale), so zlb_meta is compared without it.
zlb_veth_pair "$ZL" veth6 "$ZS" veth7
zlb_must ip -n "$ZS" link set veth7 mtu 9000 up
zlb_must ip netns exec "$ZS" ethtool -K veth7 gro on
zlb_must ip -n "$ZL" link set veth6 up
without_generation() {
	# zlb_meta's raw value (80 bytes) and its generation field
	awk '/"value": \[/ && gsub(/,/, ",") == 79 { next } 1' |
		sed 's/"generation": [0-9]*/"generation": N/'
}
gen_of() {
	bpftool -j map dump pinned "$ZLB_BPFFS/zlb_meta" | grep -o '"generation":[0-9]*' | cut -d: -f2
}
# refused_at_attach NAME TEXT ZLB-LOAD-ARGS...: zlb-load exits 1 saying TEXT.
refused_at_attach() {
	local name=$1 text=$2 rc
	shift 2
	timeout 60 ip netns exec "$ZL" "$ZLB_LOAD" "$@" >"$ZLB_TMP/attach.out" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ] && grep -qF -- "$text" "$ZLB_TMP/attach.out"; then
		zlb_pass "$name"
	else
		zlb_fail "$name" "exit $rc: $(cat "$ZLB_TMP/attach.out")"
	fi
}
before=$(snapshot)
gen_before=$(gen_of)
sed "s/port = 23;/port = 2323;/" "$(with_ifaces veth6 veth0 veth2 veth6)" >"$C/attach-fails.conf"
refused_at_attach "a reload whose new interface refuses XDP (peer MTU 9000): refused, naming the file, line, interface and MTU" \
	"zlb-load: error: $C/attach-fails.conf:$IFACES_LINE: interfaces: veth6: cannot attach the XDP program (native mode): Numerical result out of range (on a veth: its peer's MTU is too large for XDP" \
	"$C/attach-fails.conf"
zlb_check_same "a reload that failed at the attach: the configuration maps and programs are as before (but zlb_meta's generation)" \
	"$(printf '%s\n' "$before" | without_generation)" "$(snapshot | without_generation)"
gen_after=$(gen_of)
if [ -n "$gen_before" ] && [ -n "$gen_after" ] && [ "$gen_after" -gt "$gen_before" ]; then
	zlb_pass "a reload that failed at the attach: a new generation ($gen_before -> $gen_after)"
else
	zlb_fail "a reload that failed at the attach: a new generation" "before '$gen_before', after '$gen_after'"
fi
zlb_check "veth6 runs no XDP program after the failed reload" \
	bash -c "! ip -n '$ZL' link show veth6 | grep -q xdp"

# A first load (a pin directory of its own) that fails at the attach
# leaves no pins behind: nothing would run on them, and the next load
# would take them for a running configuration.
FIRST=$(dirname "$ZLB_BPFFS")/first-load
refused_at_attach "a first load whose interface refuses XDP: refused at the attach" \
	"interfaces: veth6: cannot attach the XDP program" --pin-dir "$FIRST" "$(with_ifaces first veth6)"
zlb_check "a first load that failed at the attach leaves no pin directory" [ ! -e "$FIRST" ]
zlb_check "veth6 runs no XDP program after the failed first load" \
	bash -c "! ip -n '$ZL' link show veth6 | grep -q xdp"

zlb_summary
