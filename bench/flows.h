/* SPDX-License-Identifier: GPL-2.0 */
/* Benchmark frames and flow sets: the frames the drivers send, and the
 * connection-table entries of flow f of a set, numbered as restore.bpf.c
 * numbers them (bench_abi.h). */
#ifndef ZLB_BENCH_FLOWS_H
#define ZLB_BENCH_FLOWS_H

#include <stdbool.h>
#include <stdint.h>

#include "zlb_abi.h"
#include "log.h"
#include "ct.h"
#include "bench_abi.h"

#define BENCH_TCP_ACK 0x10
#define BENCH_TCP_SYN 0x02

/* A frame of ZLB_BENCH_FRAME_LEN bytes. Addresses in host order. */
struct bench_frame_spec {
	uint8_t proto;             /* IPPROTO_TCP or IPPROTO_UDP */
	uint8_t smac[6], dmac[6];
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint8_t tcp_flags;
	uint8_t ttl;               /* 0: 64 */
	bool partial_csum;         /* L4 checksum as a veth sender leaves it */
};

void bench_frame_build(uint8_t *frame, const struct bench_frame_spec *s);

/* What a frame says, for checking what the data plane sent. */
struct bench_frame_view {
	uint8_t smac[6], dmac[6];
	uint8_t proto, ttl;
	uint32_t saddr, daddr;     /* host order */
	uint16_t sport, dport;
	bool ip_csum_ok, l4_csum_ok;
};

int bench_frame_parse(const uint8_t *frame, uint32_t len, struct bench_frame_view *v);

/* A set of flows through one service: flow f comes from client_base + hi
 * (port port_base + lo) and is sent to backend:(be_port_base + hi) from
 * lb_src, keeping the client's port (the data plane tries that first).
 * (hi, lo) of flow f of n: bench_flow_split(). Addresses in host order. */
struct bench_flowset {
	uint8_t proto;
	uint32_t client_base, vip, lb_src, backend;
	uint16_t port_base, vport, be_port_base;
	uint32_t service_id;
	uint32_t backend_id_base;  /* backend id of hi = 0 */
};

uint32_t bench_flow_naddrs(uint32_t n);
void bench_flow_split(uint32_t f, uint32_t n, uint32_t *hi, uint32_t *lo);
void bench_flow_entries(const struct bench_flowset *fs, uint32_t f, uint32_t n,
			uint64_t now_ns, struct zlb_ct_key key[2], struct zlb_ct_entry val[2]);

/* Write the @n flows of @fs, both directions, into the connection table
 * @fd. */
int bench_ct_fill(const struct zlb_maps *maps, const struct bench_flowset *fs, uint32_t n,
		  struct zlb_err *err);

uint64_t bench_now_ns(void);   /* CLOCK_MONOTONIC, bpf_ktime_get_ns()'s clock */

#endif
