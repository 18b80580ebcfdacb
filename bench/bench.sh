#!/bin/bash
# make bench: how zon-lb compares with the floors of its hooks and the
# kernel's own NAT on this machine. Not a test: nothing here passes or fails
# on timing. Every figure is measured beside its yardsticks in the same run
# and shown as a ratio to them, because the machines are shared and noisy.
#
#   pkt  per-packet cost through BPF_PROG_TEST_RUN (bench/zlb-bench-pkt.c),
#        the XDP build and the tc build
#   fwd  64-byte UDP forwarding rate on the reference topology, two
#        generators: live frames (XDP test runs) and sendmmsg
#   tcp  TCP bulk throughput, iperf3
#   ctl  zlb-load of 1,000 services x 32 backends; zlb-ct list of 1M flows
#
# fwd and tcp run these paths in the load balancer's namespace: plain
# routing, the XDP floor, zon-lb (XDP), the tc floors (bpf_redirect and
# bpf_redirect_peer on clsact ingress), zon-lb in tc mode, nftables.
#
# Knobs (environment): ZLB_BENCH_REPEAT (passes per per-packet run,
# 1000000), ZLB_BENCH_SECONDS (per forwarding/TCP run, 3), ZLB_BENCH_RUNS
# (runs per figure, the median is kept, 3), ZLB_BENCH_SKIP (parts to skip,
# comma-separated: pkt,fwd,tcp,ctl, and tc: every tc figure),
# ZLB_BENCH_PATHS (the fwd/tcp paths to run, comma-separated, out of
# route,floor,zlb,zlb_alt,floor_tc,floor_tc_peer,zlb_tc,zlb_tc_alt,nft;
# default all), ZLB_BENCH_OUT (where results.json, results.tsv and the plot
# go; default a new $TMPDIR/zlb-bench-XXXXXX), ZLB_BENCH_ALT_OBJ and
# ZLB_BENCH_ALT_TC_OBJ (another build's XDP and tc objects: the paths
# zlb_alt and zlb_tc_alt load them, right after zlb and zlb_tc in each
# round, and the report gives their ratio to this build's round by round;
# give both when the builds' maps differ, as zlb-load reads the XDP object
# for tc mode too).
# Needs root; builds its own namespaces (tests/lib.sh) and never touches
# the host's interfaces.
set -u
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../tests/lib.sh"

: "${ZLB_BENCH_REPEAT:=1000000}"
: "${ZLB_BENCH_SECONDS:=3}"
: "${ZLB_BENCH_RUNS:=3}"
: "${ZLB_BENCH_SKIP:=}"
ALL_PATHS="route floor zlb zlb_alt floor_tc floor_tc_peer zlb_tc zlb_tc_alt nft"
: "${ZLB_BENCH_ALT_OBJ:=}"
: "${ZLB_BENCH_ALT_TC_OBJ:=}"
: "${ZLB_BENCH_PATHS:=${ALL_PATHS// /,}}"
: "${ZLB_BENCH_BIN:=$ZLB_BUILDDIR/bench}"
ZLB_CT=$ZLB_BUILDDIR/zlb-ct/zlb-ct
PKT=$ZLB_BENCH_BIN/zlb-bench-pkt
NET=$ZLB_BENCH_BIN/zlb-bench-net

zlb_require_root
zlb_require_cmd ip ethtool python3 timeout taskset
zlb_require_built
for f in "$PKT" "$NET" "$ZLB_BENCH_BIN"/{floor,restore,gen,sink,table}.bpf.o; do
	[ -e "$f" ] || zlb_die "not built: $f (make bench builds it)"
done
for f in "$ZLB_BENCH_ALT_OBJ" "$ZLB_BENCH_ALT_TC_OBJ"; do
	[ -z "$f" ] || [ -r "$f" ] || zlb_die "ZLB_BENCH_ALT_OBJ/ZLB_BENCH_ALT_TC_OBJ: cannot read $f"
done
case $ZLB_BENCH_REPEAT$ZLB_BENCH_RUNS in
*[!0-9]*) zlb_die "ZLB_BENCH_REPEAT and ZLB_BENCH_RUNS must be whole numbers" ;;
esac
if [ "$ZLB_BENCH_RUNS" -lt 1 ] || [ "$ZLB_BENCH_RUNS" -gt 16 ]; then
	zlb_die "ZLB_BENCH_RUNS: 1..16"
fi
for p in ${ZLB_BENCH_PATHS//,/ }; do
	case " $ALL_PATHS " in *" $p "*) ;; *) zlb_die "ZLB_BENCH_PATHS: no path '$p' (paths: ${ALL_PATHS// /,})" ;; esac
done

if [ -z "${ZLB_BENCH_OUT:-}" ]; then
	ZLB_BENCH_OUT=$(mktemp -d "${TMPDIR:-/tmp}/zlb-bench-XXXXXX") || zlb_die "cannot make an output dir"
fi
mkdir -p "$ZLB_BENCH_OUT" || zlb_die "cannot make $ZLB_BENCH_OUT"
RESULTS=$ZLB_BENCH_OUT/results.tsv
: >"$RESULTS"
zlb_tmpdir
START=$SECONDS

# rec PART ROW COLUMN VALUE
rec() {
	printf '%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}

skipped() {
	case ",$ZLB_BENCH_SKIP," in *",$1,"*) return 0 ;; esac
	return 1
}

note() {
	zlb_log "$(printf '%4ds  %s' $((SECONDS - START)) "$*")"
}

median() {
	sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

rec meta run date "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
rec meta run kernel "$(uname -r)"
rec meta run cpus "$(nproc)"
rec meta run seconds "$ZLB_BENCH_SECONDS"
rec meta run runs "$ZLB_BENCH_RUNS"
rec meta run repeat "$ZLB_BENCH_REPEAT"
# What else ran meanwhile: the machines are shared.
rec meta run loadavg_start "$(cut -d' ' -f1 /proc/loadavg)"

# --- 1. per-packet cost ------------------------------------------------------

# packets.sh's namespace: the FIB and the devmap need real interfaces and
# neighbours; nothing is attached and no frame leaves. Clients 10.9.0.0/16
# sit behind 10.0.0.2 so that answers to a million flows all have a route.
# The peers veth1 and veth3 are in a namespace of their own, as on the
# reference topology (tc mode sends into them with bpf_redirect_peer).
bench_pkt() {
	local ns peer i where
	zlb_netns_add zbpkt
	ns=$ZLB_NETNS_NAME
	zlb_netns_add zbpeer
	peer=$ZLB_NETNS_NAME
	zlb_veth_pair "$ns" veth0 "$peer" veth1
	zlb_veth_pair "$ns" veth2 "$peer" veth3
	for i in 0 1 2 3; do
		if ((i % 2)); then where=$peer; else where=$ns; fi
		zlb_must ip -n "$where" link set "veth$i" address "02:00:00:00:00:0$i"
		zlb_must ip -n "$where" link set "veth$i" up
	done
	zlb_must ip -n "$ns" addr add 10.0.0.1/24 dev veth0
	zlb_must ip -n "$ns" addr add 10.2.0.1/24 dev veth2
	zlb_must ip netns exec "$ns" sysctl -q -w net.ipv4.conf.all.forwarding=1 \
		net.ipv4.conf.veth0.forwarding=1 net.ipv4.conf.veth2.forwarding=1
	zlb_must ip -n "$ns" neigh add 10.0.0.2 lladdr 02:00:00:00:00:01 dev veth0 nud permanent
	zlb_must ip -n "$ns" neigh add 10.2.0.2 lladdr 02:00:00:00:00:03 dev veth2 nud permanent
	zlb_must ip -n "$ns" route add 10.9.0.0/16 via 10.0.0.2
	pkt_hook "$ns" xdp
	if ! skipped tc; then
		if [ -r "$ZLB_BPF_TC_OBJ" ]; then
			pkt_hook "$ns" tc
		else
			rec pkt_tc meta note "n/a (no tc build: $ZLB_BPF_TC_OBJ)"
		fi
	fi
}

# The records' part of each hook's per-packet figures (zlb-bench-pkt's).
pkt_part() {
	if [ "$1" = tc ]; then echo pkt_tc; else echo pkt; fi
}

# pkt_hook NS xdp|tc: every per-packet case with one build.
pkt_hook() {
	note "pkt: $2: BPF_PROG_TEST_RUN, $ZLB_BENCH_REPEAT passes x $ZLB_BENCH_RUNS runs per case"
	# On one CPU: the route cache is per CPU, and every pass must find
	# its route cached (the counters are checked).
	ip netns exec "$1" taskset -c 0 "$PKT" run "$2" "$ZLB_BENCH_BIN" "$ZLB_BPF_OBJ" "$ZLB_BPF_TC_OBJ" \
		"$ZLB_BENCH_REPEAT" "$ZLB_BENCH_RUNS" >>"$RESULTS"
	case $? in
	0) ;;
	1) zlb_log "pkt: $2: some cases did not do what they should (see 'check' in the table)" ;;
	*) zlb_log "pkt: $2: the per-packet benchmark could not run"
	   rec "$(pkt_part "$2")" meta note "n/a (zlb-bench-pkt could not run, see its messages)" ;;
	esac
}

# --- the reference topology, shared by fwd, tcp and ctl ----------------------

FWD_PORT=5300      # UDP: the sink on the server counts and drops these
TCP_PORT=5201      # iperf3's

topology() {
	zlb_bpffs_setup
	zlb_reference_topology
	SINK_PIN=$(dirname "$ZLB_BPFFS")/bench_sink
	# The live generator's frames arrive by XDP_TX: the receiving veth
	# needs NAPI (GRO) unless an XDP program is attached to it.
	zlb_must ip netns exec "$ZL" ethtool -K veth0 gro on
	zlb_must ip netns exec "$ZL" ethtool -K veth2 gro on
	# An idle interface where the live generator's program stays attached.
	zlb_veth_pair "$ZC" vgen0 "$ZC" vgen1
	zlb_must ip -n "$ZC" link set vgen0 up
	zlb_must ip -n "$ZC" link set vgen1 up
	MAC0=$(ip netns exec "$ZL" cat /sys/class/net/veth0/address)
	MAC1=$(ip netns exec "$ZC" cat /sys/class/net/veth1/address)
	MAC3=$(ip netns exec "$ZS" cat /sys/class/net/veth3/address)
	zlb_must ip netns exec "$ZS" "$NET" sink "$ZLB_BENCH_BIN" veth3 "$FWD_PORT" "$SINK_PIN"
	zlb_ping "$ZC" 10.2.0.2 || zlb_die "the reference topology does not route"
	CONF=$ZLB_TMP/bench.conf
	cat >"$CONF" <<-EOF
	# make bench: the forwarding (UDP) and bulk (TCP) services.
	services = (
	  { name = "bench-udp"; address = "10.0.0.1"; protocol = "udp"; port = 5353;
	    backends = ( { address = "10.2.0.2"; port = $FWD_PORT; } ); },
	  { name = "bench-tcp"; address = "10.0.0.1"; protocol = "tcp"; port = 23;
	    backends = ( { address = "10.2.0.2"; port = $TCP_PORT; } ); }
	);
	interfaces = ( "veth0", "veth2" );
	EOF
	# The same services with the tc build on both interfaces.
	CONF_TC=$ZLB_TMP/bench-tc.conf
	sed 's/^interfaces = .*/interfaces = ( { name = "veth0"; mode = "tc"; }, { name = "veth2"; mode = "tc"; } );/' \
		"$CONF" >"$CONF_TC"
}

# Senders' checksum offload: the kernel and the tc paths keep the veth
# default (on, with TSO); XDP paths need it off (tests/lib.sh), since a
# partial checksum does not survive an XDP redirect.
sender_csum() {
	zlb_must ip netns exec "$ZC" ethtool -K veth1 tx "$1"
	zlb_must ip netns exec "$ZS" ethtool -K veth3 tx "$1"
}

# path_up PATH / path_down PATH, and the destination the client uses.
# A path that cannot be set up returns 1 with the reason in PATH_NOTE.
path_up() {
	local hook conf
	PATH_NOTE=""
	case $1 in
	route)
		sender_csum on
		DST=10.2.0.2 UDP_DPORT=$FWD_PORT TCP_DPORT=$TCP_PORT ;;
	floor | floor_tc | floor_tc_peer)
		case $1 in
		floor) sender_csum off; hook=xdp ;;
		floor_tc) sender_csum on; hook=tc ;;
		floor_tc_peer) sender_csum on; hook=tc-peer ;;
		esac
		zlb_must ip netns exec "$ZL" "$NET" floor "$ZLB_BENCH_BIN" "$hook" \
			"veth0:veth2:$MAC3" "veth2:veth0:$MAC1"
		DST=10.2.0.2 UDP_DPORT=$FWD_PORT TCP_DPORT=$TCP_PORT ;;
	zlb | zlb_tc | zlb_alt | zlb_tc_alt)
		local xdp_obj=$ZLB_BPF_OBJ tc_obj=$ZLB_BPF_TC_OBJ
		case $1 in
		zlb | zlb_alt) sender_csum off; conf=$CONF ;;
		*) sender_csum on; conf=$CONF_TC ;;
		esac
		case $1 in
		*_alt) xdp_obj=${ZLB_BENCH_ALT_OBJ:-$xdp_obj} tc_obj=${ZLB_BENCH_ALT_TC_OBJ:-$tc_obj} ;;
		esac
		if ! ZLB_BPF_OBJ=$xdp_obj ZLB_BPF_TC_OBJ=$tc_obj \
			zlb_load_in_lb "$conf" >/dev/null 2>"$ZLB_TMP/load.err"; then
			cat "$ZLB_TMP/load.err" >&2
			PATH_NOTE="n/a (zlb-load failed: $(tail -1 "$ZLB_TMP/load.err"))"
			return 1
		fi
		cat "$ZLB_TMP/load.err" >&2
		DST=10.0.0.1 UDP_DPORT=5353 TCP_DPORT=23 ;;
	nft)
		sender_csum on
		zlb_must ip netns exec "$ZL" nft -f - <<-EOF
		table ip zlbbench {
			chain pre {
				type nat hook prerouting priority dstnat; policy accept;
				ip daddr 10.0.0.1 udp dport 5353 dnat to 10.2.0.2:$FWD_PORT
				ip daddr 10.0.0.1 tcp dport 23 dnat to 10.2.0.2:$TCP_PORT
			}
			chain post {
				type nat hook postrouting priority srcnat; policy accept;
				ip daddr 10.2.0.2 oifname "veth2" snat to 10.2.0.1
			}
		}
		EOF
		DST=10.0.0.1 UDP_DPORT=5353 TCP_DPORT=23 ;;
	esac
	# The first packets resolve neighbours; none of them is measured.
	zlb_ping "$ZC" 10.2.0.2 || zlb_ping "$ZC" 10.2.0.2 ||
		zlb_log "warning: $1: 10.2.0.2 does not answer pings"
}

path_down() {
	case $1 in
	floor)
		ip -n "$ZL" link set dev veth0 xdp off
		ip -n "$ZL" link set dev veth2 xdp off ;;
	zlb | zlb_tc | zlb_alt | zlb_tc_alt) zlb_load_in_lb --unload >/dev/null 2>&1 || zlb_log "warning: zlb-load --unload failed" ;;
	nft) ip netns exec "$ZL" nft delete table ip zlbbench ;;
	esac
	# No clsact qdisc stays behind (zlb-load --unload leaves its own):
	# the next path would pass through an empty tc ingress hook.
	case $1 in
	floor_tc | floor_tc_peer | zlb_tc | zlb_tc_alt)
		ip netns exec "$ZL" tc qdisc del dev veth0 clsact
		ip netns exec "$ZL" tc qdisc del dev veth2 clsact ;;
	esac
}

# The tc paths exist to keep what an XDP program on a veth takes away:
# record, per path, that no veth on the way runs XDP and what the senders
# offload (the veth defaults: checksum offload and TSO on).
tc_offloads() {
	local nsif ns ifc xdp="" offl="" k
	for nsif in "$ZC/veth1" "$ZL/veth0" "$ZL/veth2" "$ZS/veth3"; do
		ns=${nsif%/*} ifc=${nsif#*/}
		ip -n "$ns" link show dev "$ifc" | grep -q 'prog/xdp' && xdp="$xdp $ifc"
	done
	for nsif in "$ZC/veth1" "$ZS/veth3"; do
		ns=${nsif%/*} ifc=${nsif#*/}
		k=$(ip netns exec "$ns" ethtool -k "$ifc" | awk -F': ' '
			$1 == "tx-checksumming" { c = $2 } $1 == "tcp-segmentation-offload" { t = $2 }
			END { printf "tx-checksumming %s, TSO %s", c, t }')
		offl="$offl${offl:+; }$ifc $k"
	done
	rec tc "$1" offloads "$offl; XDP on:${xdp:- none}"
}

sink_count() {
	ip netns exec "$ZS" "$NET" count "$SINK_PIN"
}

# XDP frames veth0 took in (its veth driver's counters): what the live
# generator's frames arrive as, whichever program runs there.
xdp_frames_in() {
	ip netns exec "$ZL" ethtool -S veth0 |
		awk '$1 ~ /^rx_queue_[0-9]+_xdp_packets:$/ { n += $2 } END { print n + 0 }'
}

# fwd_run GEN: one run of generator GEN (live or sendmmsg) towards the
# current path; prints "received_pps offered_pps stack_forwarded
# xdp_share": stack_forwarded counts what the load balancer's own stack
# forwarded meanwhile (Ip ForwDatagrams), which on a program's path is
# traffic the program let by; xdp_share, the XDP frames veth0 took in per
# datagram sent.
fwd_run() {
	local before after fwd0 fwd1 x0 x1 out sent secs
	before=$(sink_count) || return 1
	fwd0=$(zlb_snmp "$ZL" Ip ForwDatagrams) || return 1
	x0=$(xdp_frames_in)
	case $1 in
	live) out=$(ip netns exec "$ZC" "$NET" live "$ZLB_BENCH_BIN" veth1 vgen0 "$MAC0" \
		10.0.0.2 "$DST" "$UDP_DPORT" "$ZLB_BENCH_SECONDS") ;;
	sendmmsg) out=$(ip netns exec "$ZC" "$NET" sendmmsg "$DST" "$UDP_DPORT" "$ZLB_BENCH_SECONDS") ;;
	esac || return 1
	sleep 0.2     # what is still queued arrives
	after=$(sink_count) || return 1
	fwd1=$(zlb_snmp "$ZL" Ip ForwDatagrams) || return 1
	x1=$(xdp_frames_in)
	read -r _ sent secs <<<"$out"
	awk -v n=$((after - before)) -v sent="$sent" -v s="$secs" -v f=$((fwd1 - fwd0)) \
		-v x=$((x1 - x0)) 'BEGIN { printf "%.0f %.0f %d %.4f\n", n / s, sent / s, f, sent ? x / sent : 0 }'
}

# sample PART ROW COLUMN VALUE: one run's figure; summarize records the
# median of every (PART, ROW, COLUMN) (a sum for *_stack_forwarded) and
# the figures of each run in COLUMN_runs.
sample() {
	printf '%s\t%s\t%s\t%s\n' "$@" >>"$SAMPLES"
}

summarize() {
	[ -s "$SAMPLES" ] || return 0
	python3 - "$SAMPLES" >>"$RESULTS" <<-'EOF'
	import statistics, sys
	runs = {}
	for line in open(sys.argv[1]):
	    part, row, col, val = line.rstrip("\n").split("\t")
	    runs.setdefault((part, row, col), []).append(float(val))
	for (part, row, col), v in runs.items():
	    spec = "%.2f" if col == "gbps" else "%.4f" if col.endswith("_share") else "%.0f"
	    agg = sum(v) if col.endswith("_stack_forwarded") else statistics.median(v)
	    print("%s\t%s\t%s\t%s" % (part, row, col, spec % agg))
	    print("%s\t%s\t%s_runs\t%s" % (part, row, col, " ".join(spec % x for x in v)))
	EOF
}

# fwd PATH GEN: one run, sampled.
fwd() {
	local got
	if ! got=$(fwd_run "$2"); then
		zlb_log "fwd: $1/$2: a run failed"
		return
	fi
	read -r -a got <<<"$got"
	sample fwd "$1" "$2_pps" "${got[0]}"
	sample fwd "$1" "$2_offered_pps" "${got[1]}"
	sample fwd "$1" "$2_stack_forwarded" "${got[2]}"
	sample fwd "$1" "$2_xdp_share" "${got[3]}"
	note "fwd: $1 $2: ${got[0]} pps at the server"
}

# The live generator's own ceiling: its frames dropped by XDP on veth0,
# counted by veth0 itself.
fwd_ceiling() {
	local r before after out secs v=()
	zlb_must ip netns exec "$ZL" "$NET" xdp "$ZLB_BENCH_BIN" bench_drop veth0
	for ((r = 0; r < ZLB_BENCH_RUNS; r++)); do
		before=$(ip netns exec "$ZL" cat /sys/class/net/veth0/statistics/rx_packets)
		out=$(ip netns exec "$ZC" "$NET" live "$ZLB_BENCH_BIN" veth1 vgen0 "$MAC0" \
			10.0.0.2 10.2.0.2 "$FWD_PORT" "$ZLB_BENCH_SECONDS") || break
		after=$(ip netns exec "$ZL" cat /sys/class/net/veth0/statistics/rx_packets)
		read -r _ _ secs <<<"$out"
		v+=("$(awk -v n=$((after - before)) -v s="$secs" 'BEGIN { printf "%.0f\n", n / s }')")
	done
	ip -n "$ZL" link set dev veth0 xdp off
	[ ${#v[@]} -gt 0 ] && rec fwd gen_ceiling live_pps "$(printf '%s\n' "${v[@]}" | median)"
}

# tcp PATH: iperf3 for ZLB_BENCH_SECONDS, the receiver's rate, sampled.
tcp() {
	local out
	if ! out=$(timeout $((ZLB_BENCH_SECONDS + 20)) ip netns exec "$ZC" \
		iperf3 -c "$DST" -p "$TCP_DPORT" -t "$ZLB_BENCH_SECONDS" -J 2>&1 |
		python3 -c 'import json, sys
print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))'); then
		zlb_log "tcp: $1: iperf3 failed"
		return
	fi
	sample tcp "$1" gbps "$out"
	note "tcp: $1: $out Gbit/s"
}

# Every path once per round, ZLB_BENCH_RUNS rounds: whatever else runs on
# the machine meanwhile falls on all paths alike, not on the few measured
# while it lasted. nftables ends each round; deleting its table unhooks
# conntrack, so the next round's paths do not pay for it.
bench_paths() {
	local path r have_nft=1 have_iperf=1 paths=() broken=" "
	command -v nft >/dev/null || have_nft=0
	command -v iperf3 >/dev/null || have_iperf=0
	if ! skipped tcp && [ $have_iperf = 1 ]; then
		ip netns exec "$ZS" iperf3 -s -B 10.2.0.2 -p "$TCP_PORT" >/dev/null 2>&1 &
		zlb_track_pid $!
		zlb_wait_for zlb_tcp_listening "$ZS" 10.2.0.2 "$TCP_PORT" ||
			zlb_log "warning: iperf3 does not listen on 10.2.0.2:$TCP_PORT"
	fi
	if ! skipped fwd; then
		note "fwd: the live generator against XDP_DROP"
		fwd_ceiling
	fi
	for path in $ALL_PATHS; do
		case ",$ZLB_BENCH_PATHS," in *",$path,"*) ;; *) continue ;; esac
		case $path in *tc*) skipped tc && continue ;; esac
		# another build's paths: only when one is given
		case $path in
		zlb_alt) [ -n "$ZLB_BENCH_ALT_OBJ" ] || continue ;;
		zlb_tc_alt) [ -n "$ZLB_BENCH_ALT_TC_OBJ" ] || continue ;;
		esac
		if [ $path = nft ] && [ $have_nft = 0 ]; then
			rec fwd nft note "n/a (nft not installed)"
			continue
		fi
		skipped tcp || [ $have_iperf = 1 ] || rec tcp $path note "n/a (iperf3 not installed)"
		paths+=("$path")
	done
	SAMPLES=$ZLB_TMP/samples.tsv
	: >"$SAMPLES"
	for ((r = 1; r <= ZLB_BENCH_RUNS; r++)); do
		note "round $r of $ZLB_BENCH_RUNS"
		for path in "${paths[@]}"; do
			case $broken in *" $path "*) continue ;; esac
			if ! path_up $path; then
				zlb_log "$path: $PATH_NOTE"
				rec fwd $path note "$PATH_NOTE"
				broken="$broken$path "
				path_down $path
				continue
			fi
			case $r:$path in 1:*tc*) tc_offloads $path ;; esac
			if ! skipped fwd; then
				fwd $path live
				fwd $path sendmmsg
			fi
			skipped tcp || [ $have_iperf = 0 ] || tcp $path
			path_down $path
		done
	done
	summarize
}

# --- 4. control plane ---------------------------------------------------------

CTL_SERVICES=1000
CTL_BACKENDS=32
CTL_TABLE=1021
CT_FLOWS=1000000

ms_since() {
	echo $(( ($(date +%s%N) - $1) / 1000000 ))
}

bench_ctl() {
	local conf=$ZLB_TMP/ctl.conf t ms lines
	# zlb-load reads at most 1 MiB of config: written tight, 1000 x 32 fits
	# when the 32 backend hosts (10.3.X.Y, one digit each, behind one next
	# hop) serve every service, each on its own port.
	zlb_must ip -n "$ZL" route add 10.3.0.0/16 via 10.2.0.2
	python3 - "$CTL_SERVICES" "$CTL_BACKENDS" "$CTL_TABLE" $((2 * CT_FLOWS + 65536)) >"$conf" <<-'EOF'
	import sys
	nsvc, nbe, table, ct = (int(a) for a in sys.argv[1:])
	bes = ",".join('{address="10.3.%d.%d";port=80;}' % (b // 9, b % 9 + 1) for b in range(nbe))
	print("settings={conntrack_size=%d;};" % ct)
	print("services=(")
	for s in range(nsvc):
	    print('{name="s%d";address="10.0.0.1";protocol="tcp";port=%d;table_size=%d;backends=(%s)}%s'
	          % (s, 10000 + s, table, bes, "," if s + 1 < nsvc else ""))
	print(");")
	print('interfaces=("veth0","veth2");')
	EOF
	rec ctl load services "$CTL_SERVICES"
	rec ctl load backends "$CTL_BACKENDS"
	rec ctl load table_size "$CTL_TABLE"
	t=$(date +%s%N)
	if zlb_load_in_lb "$conf" >"$ZLB_TMP/ctl.out" 2>&1; then
		rec ctl load first_s "$(ms_since "$t" | awk '{ printf "%.3f", $1 / 1000 }')"
		t=$(date +%s%N)
		zlb_load_in_lb "$conf" >>"$ZLB_TMP/ctl.out" 2>&1 &&
			rec ctl load reload_s "$(ms_since "$t" | awk '{ printf "%.3f", $1 / 1000 }')"
	else
		rec ctl load note "zlb-load failed: $(tail -1 "$ZLB_TMP/ctl.out")"
		return
	fi
	note "ctl: zlb-load of $CTL_SERVICES x $CTL_BACKENDS done"
	if [ ! -x "$ZLB_CT" ]; then
		rec ctl ct_list note "n/a (zlb-ct not built)"
	elif ! ip netns exec "$ZL" "$PKT" ct-fill "$ZLB_BPFFS" "$CT_FLOWS"; then
		rec ctl ct_list note "n/a (could not fill the connection table)"
	else
		rec ctl ct_list flows "$CT_FLOWS"
		t=$(date +%s%N)
		if "$ZLB_CT" list >"$ZLB_TMP/ct.out" 2>&1; then
			ms=$(ms_since "$t")
			lines=$(grep -c . "$ZLB_TMP/ct.out")
			rec ctl ct_list s "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
			rec ctl ct_list lines "$lines"
		else
			rec ctl ct_list note "zlb-ct list failed: $(tail -1 "$ZLB_TMP/ct.out")"
		fi
		rm -f "$ZLB_TMP/ct.out"
		note "ctl: zlb-ct list of $CT_FLOWS flows done"
	fi
	zlb_load_in_lb --unload >/dev/null 2>&1
}

# --- run ---------------------------------------------------------------------

skipped pkt || bench_pkt
if ! skipped fwd || ! skipped tcp || ! skipped ctl; then
	topology
	if ! skipped fwd || ! skipped tcp; then
		bench_paths
	fi
	skipped ctl || bench_ctl
fi
rec meta run elapsed_s $((SECONDS - START))
rec meta run loadavg_end "$(cut -d' ' -f1 /proc/loadavg)"

python3 "$ZLB_SRCDIR/bench/report.py" "$RESULTS" "$ZLB_BENCH_OUT"
