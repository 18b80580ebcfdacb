// SPDX-License-Identifier: GPL-2.0
/* Benchmark frames and flow sets (flows.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "flows.h"
#include "zlb_addr.h"

#define ETH_LEN 14
#define IP_LEN 20

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Pseudo-header sum of an IPv4 frame's L4 segment. */
static uint32_t pseudo_sum(const uint8_t *ip, uint16_t l4len)
{
	uint32_t sum = sum16(ip + 12, 8, 0);

	return sum + ip[9] + l4len;
}

void bench_frame_build(uint8_t *f, const struct bench_frame_spec *s)
{
	uint8_t *ip = f + ETH_LEN, *l4 = ip + IP_LEN;
	uint16_t l4len = ZLB_BENCH_FRAME_LEN - ETH_LEN - IP_LEN;
	int csum_off = s->proto == IPPROTO_TCP ? 16 : 6;

	memset(f, 0, ZLB_BENCH_FRAME_LEN);
	memcpy(f, s->dmac, 6);
	memcpy(f + 6, s->smac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, IP_LEN + l4len);
	put16(ip + 4, 0x1234);
	put16(ip + 6, 0x4000);             /* DF */
	ip[8] = s->ttl ? s->ttl : 64;
	ip[9] = s->proto;
	put32(ip + 12, s->saddr);
	put32(ip + 16, s->daddr);
	put16(ip + 10, ~fold(sum16(ip, IP_LEN, 0)));

	put16(l4, s->sport);
	put16(l4 + 2, s->dport);
	if (s->proto == IPPROTO_TCP) {
		put32(l4 + 4, 1000);           /* seq */
		put32(l4 + 8, s->tcp_flags & BENCH_TCP_ACK ? 2000 : 0);
		l4[12] = 5 << 4;
		l4[13] = s->tcp_flags;
		put16(l4 + 14, 64240);
		memcpy(l4 + 20, "zlbben", 6);
	} else {
		put16(l4 + 4, l4len);
		memcpy(l4 + 8, "zon-lb benchmark!!", 18);
	}
	if (s->partial_csum)
		put16(l4 + csum_off, fold(pseudo_sum(ip, l4len)));
	else
		put16(l4 + csum_off, ~fold(sum16(l4, l4len, pseudo_sum(ip, l4len))));
}

int bench_frame_parse(const uint8_t *f, uint32_t len, struct bench_frame_view *v)
{
	const uint8_t *ip = f + ETH_LEN, *l4 = ip + IP_LEN;
	uint16_t l4len;

	memset(v, 0, sizeof(*v));
	if (len < ETH_LEN + IP_LEN + 8 || get16(f + 12) != 0x0800 || ip[0] != 0x45)
		return -1;
	memcpy(v->dmac, f, 6);
	memcpy(v->smac, f + 6, 6);
	v->ttl = ip[8];
	v->proto = ip[9];
	v->saddr = get32(ip + 12);
	v->daddr = get32(ip + 16);
	v->sport = get16(l4);
	v->dport = get16(l4 + 2);
	v->ip_csum_ok = fold(sum16(ip, IP_LEN, 0)) == 0xffff;
	l4len = get16(ip + 2) - IP_LEN;
	if (l4len > len - ETH_LEN - IP_LEN)
		return -1;
	v->l4_csum_ok = fold(sum16(l4, l4len, pseudo_sum(ip, l4len))) == 0xffff;
	return 0;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

uint32_t bench_flow_naddrs(uint32_t n)
{
	return (n + ZLB_BENCH_FLOWS_PER_ADDR - 1) / ZLB_BENCH_FLOWS_PER_ADDR;
}

void bench_flow_split(uint32_t f, uint32_t n, uint32_t *hi, uint32_t *lo)
{
	uint32_t naddrs = bench_flow_naddrs(n);

	f %= n;
	*hi = f % naddrs;
	*lo = f / naddrs;
}

void bench_flow_entries(const struct bench_flowset *fs, uint32_t f, uint32_t n,
			uint64_t now_ns, struct zlb_ct_key key[2], struct zlb_ct_entry val[2])
{
	uint32_t hi, lo;
	union zlb_addr vip = zlb_addr_v4(htonl(fs->vip)), lb_src = zlb_addr_v4(htonl(fs->lb_src));
	union zlb_addr backend = zlb_addr_v4(htonl(fs->backend)), client;
	__be16 vport = htons(fs->vport);
	uint8_t state = fs->proto == IPPROTO_TCP ? ZLB_CT_TCP_ESTABLISHED : ZLB_CT_UDP;
	__be16 cport, be_port;

	bench_flow_split(f, n, &hi, &lo);
	client = zlb_addr_v4(htonl(fs->client_base + hi));
	cport = htons(fs->port_base + lo);
	be_port = htons(fs->be_port_base + hi);

	memset(key, 0, 2 * sizeof(*key));
	memset(val, 0, 2 * sizeof(*val));
	key[0] = (struct zlb_ct_key){ .saddr = client, .daddr = vip, .sport = cport,
				      .dport = vport, .proto = fs->proto };
	val[0] = (struct zlb_ct_entry){ .saddr = lb_src, .daddr = backend, .sport = cport,
					.dport = be_port, .dir = ZLB_CT_DIR_ORIG };
	key[1] = (struct zlb_ct_key){ .saddr = backend, .daddr = lb_src, .sport = be_port,
				      .dport = cport, .proto = fs->proto };
	val[1] = (struct zlb_ct_entry){ .saddr = vip, .daddr = client, .sport = vport,
					.dport = cport, .dir = ZLB_CT_DIR_REPLY };
	for (int d = 0; d < 2; d++) {
		val[d].state = state;
		val[d].service_id = fs->service_id;
		val[d].backend_id = fs->backend_id_base + hi;
		val[d].created_ns = val[d].last_seen_ns = now_ns;
		val[d].packets = 1;
	}
}

#define FILL_CHUNK 65536

int bench_ct_fill(const struct zlb_maps *maps, const struct bench_flowset *fs, uint32_t n,
		  struct zlb_err *err)
{
	struct zlb_ct_key *keys = calloc(FILL_CHUNK, sizeof(*keys));
	struct zlb_ct_entry *vals = calloc(FILL_CHUNK, sizeof(*vals));
	uint64_t now = bench_now_ns();
	int rc = -1;

	if (!keys || !vals) {
		zlb_err_set(err, "out of memory");
		goto out;
	}
	for (uint32_t done = 0; done < n;) {
		uint32_t m = 0;

		for (; m + 2 <= FILL_CHUNK && done < n; m += 2, done++)
			bench_flow_entries(fs, done, n, now, keys + m, vals + m);
		if (zlb_ct_update_batch(maps, keys, vals, m, err))
			goto out;
	}
	rc = 0;
out:
	free(keys);
	free(vals);
	return rc;
}
