// SPDX-License-Identifier: GPL-2.0
/*
 * syn-flood: the SYN flood of tests/e2e/flood.sh.
 *
 *   syn-flood OBJ IFNAME DMAC SADDR DADDR DPORT COUNT RATE
 *
 * Loads OBJ (tests/bpf/syn_flood.bpf.o) and runs it with BPF_PROG_TEST_RUN
 * and BPF_F_TEST_XDP_LIVE_FRAMES as if frames arrived on IFNAME: each run
 * sends one SYN out of IFNAME to DMAC, from SADDR (and the addresses after
 * it) to DADDR:DPORT, each from another source port. Runs of 256 (in
 * batches of 64) with sleeps in between hold RATE SYNs per second, until
 * COUNT are sent or 30 s have passed. Prints "sent N in S s (R/s), program runs M".
 */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netlink.h"
#include "../bpf/syn_flood.h"

#define FRAME_LEN 54          /* Ethernet, IPv4, TCP: the program writes it all */
#define BATCH 64              /* frames per flush towards the interface */
#define CALL 256              /* frames per BPF_PROG_TEST_RUN: each costs an RCU wait */
#define MAX_SECONDS 30        /* bound on the whole flood */
#define SPORT 20000           /* source ports SPORT .. SPORT + NPORTS - 1 */
#define NPORTS 10000

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what)
{
	fprintf(stderr, "syn-flood: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Interface @name's MAC address. */
static int if_mac(const char *name, __u8 mac[6])
{
	struct zlb_iface_info ii;

	if (zlb_iface_info(name, &ii))
		return -1;
	memcpy(mac, ii.mac, 6);
	return 0;
}

static int host_addr(const char *s, __u32 *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = ntohl(a.s_addr);
	return 0;
}

int main(int argc, char **argv)
{
	struct syn_flood_cfg cfg = { .sport = SPORT, .nports = NPORTS };
	unsigned long count, rate, sent = 0;
	unsigned int m[6];
	struct bpf_object *obj;
	struct bpf_map *rodata, *bss;
	__u8 frame[FRAME_LEN] = {};
	struct xdp_md ctx = { .data_end = sizeof(frame) };
	__u64 runs = 0;
	__u32 zero = 0;
	double t0, t;
	int fd;

	if (argc != 9) {
		fprintf(stderr, "usage: syn-flood OBJ IFNAME DMAC SADDR DADDR DPORT COUNT RATE\n");
		return 2;
	}
	if (sscanf(argv[3], "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6 ||
	    host_addr(argv[4], &cfg.saddr) || host_addr(argv[5], &cfg.daddr)) {
		fprintf(stderr, "syn-flood: bad MAC or address\n");
		return 2;
	}
	for (int i = 0; i < 6; i++)
		cfg.dmac[i] = m[i];
	cfg.dport = strtoul(argv[6], NULL, 10);
	count = strtoul(argv[7], NULL, 10);
	rate = strtoul(argv[8], NULL, 10);
	ctx.ingress_ifindex = if_nametoindex(argv[2]);
	if (!ctx.ingress_ifindex || if_mac(argv[2], cfg.smac))
		return fail(argv[2]);
	if (!rate || !count) {
		fprintf(stderr, "syn-flood: COUNT and RATE must be > 0\n");
		return 2;
	}

	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj)
		return fail(argv[1]);
	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	bss = bpf_object__find_map_by_name(obj, ".bss");
	if (!rodata || !bss || bpf_map__set_initial_value(rodata, &cfg, sizeof(cfg))) {
		fprintf(stderr, "syn-flood: %s: unexpected .rodata or .bss\n", argv[1]);
		return 1;
	}
	if (bpf_object__load(obj))
		return fail("loading the program");
	fd = bpf_program__fd(bpf_object__find_program_by_name(obj, "syn_flood"));

	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = frame, .data_size_in = sizeof(frame),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx),
		    .flags = BPF_F_TEST_XDP_LIVE_FRAMES, .batch_size = BATCH);
	t0 = now();
	while (sent < count && (t = now()) - t0 < MAX_SECONDS) {
		double due = t0 + (double)sent / rate;

		if (due > t) {
			usleep((due - t) * 1e6);
			continue;
		}
		opts.repeat = count - sent < CALL ? count - sent : CALL;
		if (bpf_prog_test_run_opts(fd, &opts))
			return fail("BPF_PROG_TEST_RUN");
		sent += opts.repeat;
	}
	t = now() - t0;
	bpf_map__lookup_elem(bss, &zero, sizeof(zero), &runs, sizeof(runs), 0);
	printf("sent %lu in %.2f s (%.0f/s), program runs %llu\n", sent, t, sent / t,
	       (unsigned long long)runs);
	bpf_object__close(obj);
	return sent == count ? 0 : 1;
}
