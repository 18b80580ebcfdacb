#!/bin/bash
# A micro-benchmark, not a test: how long zlb-ct takes over a connection
# table of a million flows (two million entries). zon-lb is loaded in the
# reference scenario with a connection table of CT_SIZE entries (default
# 2500000), the pinned table is filled with FLOWS synthetic established TCP
# flows (default 1000000, both directions, through batched updates), and
# zlb-ct count, list, -j list, a filtered count and flush are timed, their
# output going to a file. Prints the figures; asserts only that every flow
# is seen.
#
#   sudo tests/e2e/tools-ct-bench.sh            # FLOWS=... CT_SIZE=... to change
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"

zlb_require_root
zlb_require_cmd ip ethtool python3 timeout bpftool
zlb_require_built
CT=$ZLB_BUILDDIR/zlb-ct/zlb-ct
[ -x "$CT" ] || zlb_die "not built: $CT"
: "${FLOWS:=1000000}"
: "${CT_SIZE:=2500000}"

zlb_tmpdir
zlb_bpffs_setup
zlb_reference_topology
conf=$ZLB_TMP/bench.conf
{
	printf 'settings = { conntrack_size = %d; };\n' "$CT_SIZE"
	cat "$ZLB_SRCDIR/tests/configs/e2e/reference.conf"
} >"$conf"
zlb_load_in_lb "$conf" >"$ZLB_TMP/load.out" 2>&1 || zlb_die "zlb-load failed: $(cat "$ZLB_TMP/load.out")"

# IPv4 flows: the IPv4 table (zlb_abi.h, struct zlb_ct_key4).
CT4=$ZLB_BPFFS/zlb_conntrack4
key_size=$(bpftool map show pinned "$CT4" | grep -oE 'key [0-9]+' | cut -d' ' -f2)
value_size=$(bpftool map show pinned "$CT4" | grep -oE 'value [0-9]+' | cut -d' ' -f2)
echo "filling $CT4 ($CT_SIZE entries, values of $value_size bytes) with $FLOWS flows"
# elapsed T0: seconds since date +%s.%N said T0.
elapsed() {
	awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.2f", t1 - t0 }'
}

start=$(date +%s.%N)
# Client 10.64.0.0/10 + i, port 1024 + i % 60000 -> 10.0.0.1:23; source
# 10.128.0.0/10 + i, port 16384 + i % 16384 -> backend 10.2.0.2:223.
python3 - "$CT4" "$FLOWS" "$key_size" "$value_size" <<'EOF' || zlb_die "cannot fill the table"
import ctypes, struct, sys, time

path, flows, key_size, value_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
bpf = ctypes.CDLL("libbpf.so.1", use_errno=True)
bpf.bpf_obj_get.argtypes = [ctypes.c_char_p]
fd = bpf.bpf_obj_get(path.encode())
if fd < 0:
    sys.exit("bpf_obj_get: %s" % ctypes.get_errno())

class BatchOpts(ctypes.Structure):
    _fields_ = [("sz", ctypes.c_size_t), ("elem_flags", ctypes.c_uint64), ("flags", ctypes.c_uint64)]

TCP, EST = 6, 1            # IPPROTO_TCP, ZLB_CT_TCP_ESTABLISHED
VIP, BACKEND = 0x0A000001, 0x0A020002
now = time.monotonic_ns()

def addr(a):
    # union zlb_addr: IPv4 kept IPv4-mapped, ::ffff:a.b.c.d
    return bytes(10) + b"\xff\xff" + struct.pack("!I", a)

def key(saddr, daddr, sport, dport):
    # struct zlb_ct_key4
    return struct.pack("!IIHHB3x", saddr, daddr, sport, dport, TCP)

KEY_SIZE = len(key(0, 0, 0, 0))
if KEY_SIZE != key_size:
    sys.exit("zlb_conntrack4 keys are %d bytes, this script packs %d (another map ABI?)" % (key_size, KEY_SIZE))

def entry(saddr, daddr, sport, dport, direction):
    e = addr(saddr) + addr(daddr) + struct.pack("!HH", sport, dport)
    e += struct.pack("<BBBxIIQQQQ", direction, EST, 0, 0, 0, now, now, 1, 60)
    return e.ljust(value_size, b"\0")

chunk = 65536
opts = BatchOpts(ctypes.sizeof(BatchOpts), 0, 0)
for base in range(0, flows, chunk // 2):
    keys, vals = bytearray(), bytearray()
    for i in range(base, min(base + chunk // 2, flows)):
        client, cport = 0x0A400000 + i, 1024 + i % 60000
        src, sport = 0x0A800000 + i, 16384 + i % 16384
        keys += key(client, VIP, cport, 23)
        vals += entry(src, BACKEND, sport, 223, 0)
        keys += key(BACKEND, src, 223, sport)
        vals += entry(VIP, client, 23, cport, 1)
    n = ctypes.c_uint32(len(keys) // KEY_SIZE)
    kb = (ctypes.c_char * len(keys)).from_buffer(keys)
    vb = (ctypes.c_char * len(vals)).from_buffer(vals)
    if bpf.bpf_map_update_batch(fd, kb, vb, ctypes.byref(n), ctypes.byref(opts)):
        sys.exit("bpf_map_update_batch: errno %d after %d entries" % (ctypes.get_errno(), n.value))
EOF
echo "filled in $(elapsed "$start") s"

# timed NAME CMD...: run CMD in the load balancer's namespace with its
# output to a file, print its wall-clock time.
timed() {
	local name=$1 t0
	shift
	t0=$(date +%s.%N)
	ip netns exec "$ZL" "$@" >"$ZLB_TMP/bench.out" 2>"$ZLB_TMP/bench.err" || {
		zlb_fail "$name" "$(cat "$ZLB_TMP/bench.err")"
		return 1
	}
	printf 'BENCH: %-28s %6s s\n' "$name" "$(elapsed "$t0")"
}

timed "zlb-ct count" "$CT" count
count=$(cat "$ZLB_TMP/bench.out")
if [ "$count" = "$FLOWS" ]; then
	zlb_pass "zlb-ct count sees all $FLOWS flows"
else
	zlb_fail "zlb-ct count sees all $FLOWS flows" "got $count"
fi
timed "zlb-ct list >FILE" "$CT" list
lines=$(($(wc -l <"$ZLB_TMP/bench.out") - 1))
if [ "$lines" = "$FLOWS" ]; then
	zlb_pass "zlb-ct list prints all $FLOWS flows"
else
	zlb_fail "zlb-ct list prints all $FLOWS flows" "got $lines lines"
fi
timed "zlb-ct -j list >FILE" "$CT" -j list
timed "zlb-ct count --port 16384" "$CT" count --port 16384
timed "zlb-ct flush" "$CT" flush
zlb_summary
