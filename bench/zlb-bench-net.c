// SPDX-License-Identifier: GPL-2.0
/*
 * zlb-bench-net: the pieces of the forwarding benchmark that need a program
 * rather than a shell command. Each runs inside the namespace bench.sh
 * enters it in.
 *
 *   floor DIR HOOK IN:OUT:DMAC ...
 *                               attach a floor (floor.bpf.o in DIR) to
 *                               every IN, forwarding to OUT with
 *                               destination MAC DMAC (source: OUT's MAC);
 *                               HOOK: xdp (bench_floor), tc (bench_floor_tc)
 *                               or tc-peer (bench_floor_tc_peer), the tc
 *                               ones on clsact ingress
 *   xdp DIR PROG IFNAME         attach bench_pass or bench_drop to IFNAME
 *   sink DIR IFNAME PORT PIN    count and drop UDP to PORT arriving on
 *                               IFNAME (tc ingress); the counter is pinned
 *                               at PIN
 *   count PIN                   print that counter
 *   live DIR IFNAME SPARE DMAC SRC DST PORT SECONDS
 *                               live-frames generator: one UDP flow
 *                               SRC:PORT -> DST:PORT out of IFNAME to DMAC;
 *                               the generator program is kept attached to
 *                               the idle interface SPARE meanwhile
 *   sendmmsg DST PORT SECONDS   the same flow from a UDP socket
 *
 * The generators print "sent N SECONDS" on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netlink.h"
#include "bench_abi.h"
#include "flows.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define GEN_PORT_BASE 40000     /* the generators' UDP source port */

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "zlb-bench-net: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Interface @name's MAC address. */
static int if_mac(const char *name, uint8_t mac[6])
{
	struct zlb_iface_info ii;

	if (zlb_iface_info(name, &ii))
		return -1;
	memcpy(mac, ii.mac, 6);
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = v[i];
	return 0;
}

static struct bpf_object *open_obj(const char *dir, const char *file)
{
	char path[PATH_MAX];
	struct bpf_object *obj;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		fail("cannot open %s: %s", path, strerror(errno));
	return obj;
}

static int load_obj(struct bpf_object *obj)
{
	int rc = bpf_object__load(obj);

	if (rc)
		fail("cannot load %s: %s", bpf_object__name(obj), strerror(-rc));
	return rc;
}

static int prog_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

	return p ? bpf_program__fd(p) : -1;
}

static int map_fd(struct bpf_object *obj, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -1;
}

/* Native (driver) mode: a veth runs it on its own receive path. */
static int xdp_attach(int fd, const char *ifname)
{
	int ifindex = if_nametoindex(ifname), rc;

	if (!ifindex)
		return fail("no interface %s", ifname);
	rc = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (rc)
		return fail("cannot attach to %s: %s", ifname, strerror(-rc));
	return 0;
}

/* tc ingress, direct action, on a clsact qdisc made if missing. It stays
 * after this process exits; `tc qdisc del dev IFNAME clsact` removes it. */
static int tc_attach(int fd, const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = fd);
	int rc;

	hook.ifindex = if_nametoindex(ifname);
	if (!hook.ifindex)
		return fail("no interface %s", ifname);
	rc = bpf_tc_hook_create(&hook);
	if (rc && rc != -EEXIST)
		return fail("cannot add clsact to %s: %s", ifname, strerror(-rc));
	rc = bpf_tc_attach(&hook, &opts);
	if (rc)
		return fail("cannot attach to %s (tc ingress): %s", ifname, strerror(-rc));
	return 0;
}

/* ---- floors on the load balancer ------------------------------------------ */

static const struct {
	const char *hook, *prog;
	int (*attach)(int fd, const char *ifname);
} floors[] = {
	{ "xdp", "bench_floor", xdp_attach },
	{ "tc", "bench_floor_tc", tc_attach },
	{ "tc-peer", "bench_floor_tc_peer", tc_attach },
};

static int cmd_floor(const char *dir, const char *hook, int n, char **pairs)
{
	struct bpf_object *obj;
	int ports, tx, floor, f;

	for (f = 0; f < (int)ARRAY_SIZE(floors) && strcmp(floors[f].hook, hook); f++)
		;
	if (f == (int)ARRAY_SIZE(floors))
		return fail("floor: no hook %s (xdp, tc or tc-peer)", hook);
	obj = open_obj(dir, "floor.bpf.o");
	if (!obj || load_obj(obj))
		return 1;
	ports = map_fd(obj, "bench_ports");
	tx = map_fd(obj, "bench_tx");
	floor = prog_fd(obj, floors[f].prog);
	for (int i = 0; i < n; i++) {
		char in[IF_NAMESIZE], out[IF_NAMESIZE], dmac[18];
		struct zlb_bench_port p = {};
		__u32 key;

		if (sscanf(pairs[i], "%15[^:]:%15[^:]:%17s", in, out, dmac) != 3 ||
		    parse_mac(dmac, p.dmac))
			return fail("not IN:OUT:DMAC: %s", pairs[i]);
		key = if_nametoindex(in);
		p.egress = if_nametoindex(out);
		if (!key || !p.egress || key >= ZLB_BENCH_MAX_IFINDEX || if_mac(out, p.smac))
			return fail("%s: no such interfaces (or ifindex >= %d)", pairs[i],
				    ZLB_BENCH_MAX_IFINDEX);
		if (bpf_map_update_elem(ports, &key, &p, BPF_ANY) ||
		    bpf_map_update_elem(tx, &p.egress, &p.egress, BPF_ANY))
			return fail("cannot configure %s: %s", pairs[i], strerror(errno));
	}
	for (int i = 0; i < n; i++) {
		char in[IF_NAMESIZE];

		sscanf(pairs[i], "%15[^:]", in);
		if (floors[f].attach(floor, in))
			return 1;
	}
	return 0;
}

static int cmd_xdp(const char *dir, const char *prog, const char *ifname)
{
	struct bpf_object *obj = open_obj(dir, "floor.bpf.o");

	if (!obj || load_obj(obj))
		return 1;
	return xdp_attach(prog_fd(obj, prog), ifname);
}

/* ---- the server's counter ------------------------------------------------ */

static int cmd_sink(const char *dir, const char *ifname, const char *port, const char *pin)
{
	struct bpf_object *obj = open_obj(dir, "sink.bpf.o");
	__u16 p = strtoul(port, NULL, 10);
	struct bpf_map *rodata;

	if (!obj)
		return 1;
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (!rodata || bpf_map__set_initial_value(rodata, &p, sizeof(p)))
		return fail("sink.bpf.o: unexpected .rodata");
	if (load_obj(obj) || tc_attach(prog_fd(obj, "bench_sink"), ifname))
		return 1;
	if (bpf_obj_pin(map_fd(obj, "bench_sink_count"), pin))
		return fail("cannot pin %s: %s", pin, strerror(errno));
	return 0;
}

static int cmd_count(const char *pin)
{
	int fd = bpf_obj_get(pin), ncpu = libbpf_num_possible_cpus();
	__u64 *v, total = 0;
	__u32 zero = 0;

	if (fd < 0)
		return fail("%s: %s", pin, strerror(errno));
	v = calloc(ncpu, sizeof(*v));
	if (!v || bpf_map_lookup_elem(fd, &zero, v))
		return fail("cannot read %s", pin);
	for (int i = 0; i < ncpu; i++)
		total += v[i];
	printf("%llu\n", (unsigned long long)total);
	return 0;
}

/* ---- generators ---------------------------------------------------------- */

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	return inet_pton(AF_INET, s, &a) == 1 ? ntohl(a.s_addr) : 0;
}

static int cmd_live(const char *dir, const char *ifname, const char *spare, const char *dmac,
		    const char *src, const char *dst, const char *port, double seconds)
{
	struct bench_frame_spec spec = { .proto = IPPROTO_UDP, .saddr = ip4(src),
					 .daddr = ip4(dst), .sport = GEN_PORT_BASE,
					 .dport = strtoul(port, NULL, 10) };
	struct bpf_object *obj = open_obj(dir, "gen.bpf.o");
	uint8_t frame[ZLB_BENCH_FRAME_LEN];
	struct xdp_md ctx = { .data_end = sizeof(frame) };
	unsigned long long sent = 0;
	struct bpf_map *rodata;
	uint64_t t0, t;
	int fd;

	if (!obj)
		return 1;
	if (!spec.saddr || !spec.daddr || parse_mac(dmac, spec.dmac) || if_mac(ifname, spec.smac))
		return fail("live: bad addresses or no interface %s", ifname);
	ctx.ingress_ifindex = if_nametoindex(ifname);
	bench_frame_build(frame, &spec);
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	if (!rodata || bpf_map__set_initial_value(rodata, frame, sizeof(frame)))
		return fail("gen.bpf.o: unexpected .rodata");
	if (load_obj(obj))
		return 1;
	fd = prog_fd(obj, "bench_gen");
	/* Attached somewhere, the program is in the XDP dispatcher already:
	 * a test run then skips the dispatcher update and its RCU wait. */
	if (xdp_attach(fd, spare))
		return 1;

	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = frame, .data_size_in = sizeof(frame),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
		    .repeat = 1 << 16, .batch_size = 64);
	t0 = bench_now_ns();
	do {
		if (bpf_prog_test_run_opts(fd, &opts))
			return fail("live: BPF_PROG_TEST_RUN: %s", strerror(errno));
		sent += opts.repeat;
		t = bench_now_ns();
	} while (t - t0 < seconds * 1e9);
	bpf_xdp_detach(if_nametoindex(spare), XDP_FLAGS_DRV_MODE, NULL);
	printf("sent %llu %.6f\n", sent, (t - t0) / 1e9);
	return 0;
}

#define BATCH 64

static int cmd_sendmmsg(const char *dst, const char *port, double seconds)
{
	static char payload[ZLB_BENCH_FRAME_LEN - 14 - 20 - 8] = "zon-lb benchmark!!";
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons(strtoul(port, NULL, 10)) };
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(GEN_PORT_BASE) };
	struct iovec iov = { payload, sizeof(payload) };
	struct mmsghdr msgs[BATCH];
	unsigned long long sent = 0, failed = 0;
	uint64_t t0, t;
	int fd;

	if (inet_pton(AF_INET, dst, &to.sin_addr) != 1)
		return fail("sendmmsg: bad address %s", dst);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&from, sizeof(from)) ||
	    connect(fd, (struct sockaddr *)&to, sizeof(to)))
		return fail("sendmmsg: socket: %s", strerror(errno));
	memset(msgs, 0, sizeof(msgs));
	for (int i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = bench_now_ns();
	do {
		int n = sendmmsg(fd, msgs, BATCH, 0);

		/* ICMP errors from the far side may fail a send: count on. */
		if (n > 0)
			sent += n;
		else
			failed++;
		t = bench_now_ns();
	} while (t - t0 < seconds * 1e9);
	close(fd);
	printf("sent %llu %.6f\n", sent, (t - t0) / 1e9);
	if (failed)
		fprintf(stderr, "zlb-bench-net: sendmmsg: %llu calls failed\n", failed);
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: zlb-bench-net floor DIR xdp|tc|tc-peer IN:OUT:DMAC ...\n"
		"       zlb-bench-net xdp DIR bench_pass|bench_drop IFNAME\n"
		"       zlb-bench-net sink DIR IFNAME PORT PIN\n"
		"       zlb-bench-net count PIN\n"
		"       zlb-bench-net live DIR IFNAME SPARE DMAC SRC DST PORT SECONDS\n"
		"       zlb-bench-net sendmmsg DST PORT SECONDS\n"
		"(run through bench/bench.sh)\n");
	return 99;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";

	if (!strcmp(cmd, "floor") && argc >= 5)
		return cmd_floor(argv[2], argv[3], argc - 4, argv + 4);
	if (!strcmp(cmd, "xdp") && argc == 5)
		return cmd_xdp(argv[2], argv[3], argv[4]);
	if (!strcmp(cmd, "sink") && argc == 6)
		return cmd_sink(argv[2], argv[3], argv[4], argv[5]);
	if (!strcmp(cmd, "count") && argc == 3)
		return cmd_count(argv[2]);
	if (!strcmp(cmd, "live") && argc == 10)
		return cmd_live(argv[2], argv[3], argv[4], argv[5], argv[6], argv[7], argv[8],
				strtod(argv[9], NULL));
	if (!strcmp(cmd, "sendmmsg") && argc == 5)
		return cmd_sendmmsg(argv[2], argv[3], strtod(argv[4], NULL));
	return usage();
}
