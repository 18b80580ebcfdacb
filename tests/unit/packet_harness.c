// SPDX-License-Identifier: GPL-2.0
/* The harness of the packet tests: loading, running, judging
 * (packet_harness.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "netlink.h"
#include "object.h"
#include "resolve.h"
#include "packet_harness.h"
#include "zlb_ct.h"
#include "../bpf/tc_csum_verified.h"

bool hook_tc;
const char *csum_verified_obj;

struct port ports[NPORTS] = {
	{ .name = "veth0" }, { .name = "veth1" }, { .name = "veth2" }, { .name = "veth3" },
};

/* ---- a loaded data plane ----------------------------------------------- */

static int port_info(struct port *p)
{
	struct zlb_iface_info ii;

	if (zlb_iface_info(p->name, &ii))
		return -1;
	p->ifindex = ii.ifindex;
	memcpy(p->mac, ii.mac, 6);
	return 0;
}

static const struct port *port_by_name(const char *name)
{
	for (int i = 0; i < NPORTS; i++)
		if (!strcmp(ports[i].name, name))
			return &ports[i];
	return NULL;
}

/* What zlb-load resolves: each backend's source is the configured one,
 * else 0 when the FIB gives it, else the kernel route's source. */
static int resolve(const struct zlb_config *cfg, bool fib_src, struct zlb_iface_info *ifaces,
		   union zlb_addr *backend_src, union zlb_addr *backend_snat, struct zlb_err *err)
{
	struct zlb_nl *nl = NULL;
	int rc = -1;

	for (size_t i = 0; i < cfg->nifaces; i++) {
		const struct port *p = port_by_name(cfg->ifaces[i].name);

		if (!p) {
			zlb_err_set(err, "interface %s is not in the test namespace", cfg->ifaces[i].name);
			return -1;
		}
		ifaces[i].ifindex = p->ifindex;
		memcpy(ifaces[i].mac, p->mac, 6);
	}
	nl = zlb_nl_open(err);
	if (!nl || zlb_resolve_sources(nl, cfg, fib_src, backend_src, backend_snat, err))
		goto out;
	rc = 0;
out:
	if (nl)
		zlb_nl_close(nl);
	return rc;
}

/* Load csum_verified_obj's wrapper with @lb's program as its tail call:
 * frames then run through the wrapper (lb->run_fd). */
static int wrap_open(struct lb *lb, struct zlb_err *err)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	__u32 zero = 0;

	lb->wrap_obj = zlb_object_open_load(csum_verified_obj, err);
	if (!lb->wrap_obj)
		return -1;
	prog = bpf_object__find_program_by_name(lb->wrap_obj, ZLB_TEST_CSUM_VERIFIED_PROG);
	map = bpf_object__find_map_by_name(lb->wrap_obj, ZLB_TEST_CSUM_VERIFIED_MAP);
	if (!prog || !map ||
	    bpf_map_update_elem(bpf_map__fd(map), &zero, &lb->prog_fd, BPF_ANY)) {
		zlb_err_set(err, "%s: no %s with its program array", csum_verified_obj,
			    ZLB_TEST_CSUM_VERIFIED_PROG);
		return -1;
	}
	lb->run_fd = bpf_program__fd(prog);
	return 0;
}

/* Load a fresh instance of the program (maps unpinned, .rodata set) and
 * fill its maps from @conf. */
int lb_open(struct lb *lb, const char *path, bool fib_src, const char *conf, struct zlb_err *err)
{
	struct zlb_rodata ro = { .fib_lookup_src = fib_src };
	struct zlb_ct_sizes ct;
	struct zlb_iface_info ifaces[ZLB_MAX_IFACES];
	union zlb_addr backend_src[64], backend_snat[64];
	struct zlb_resolved res = { ifaces, backend_src, backend_snat };

	memset(lb, 0, sizeof(*lb));
	zlb_maps_init(&lb->maps);
	if (zlb_config_load_string(conf, "test.conf", &lb->cfg, err))
		return -1;
	ct = zlb_ct_sizes_of(&lb->cfg);
	lb->obj = zlb_object_open(path, NULL, &ro, &ct, err);
	if (!lb->obj || zlb_object_load(lb->obj, path, err))
		return -1;
	lb->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(lb->obj, hook_tc ? ZLB_PROG_TC_NAME
												: ZLB_PROG_XDP_NAME));
	lb->run_fd = lb->prog_fd;
	if (csum_verified_obj && wrap_open(lb, err))
		return -1;
	if (zlb_maps_from_object(lb->obj, &lb->maps, err))
		return -1;
	if (lb->cfg.nifaces > ARRAY_SIZE(ifaces) ||
	    zlb_config_backend_count(&lb->cfg) > ARRAY_SIZE(backend_src)) {
		zlb_err_set(err, "test config too large");
		return -1;
	}
	if (resolve(&lb->cfg, fib_src, ifaces, backend_src, backend_snat, err))
		return -1;
	return zlb_maps_apply(&lb->maps, &lb->cfg, &res, err);
}

void lb_close(struct lb *lb)
{
	zlb_config_free(&lb->cfg);
	bpf_object__close(lb->wrap_obj);
	bpf_object__close(lb->obj);
}

/* ---- running a frame --------------------------------------------------- */

const char *const counter_names[ZLB_C_MAX] = ZLB_COUNTER_NAMES;
size_t padding;

static int read_counters(const struct lb *lb, long long total[ZLB_C_MAX])
{
	__u64 v[ZLB_C_MAX];

	if (zlb_maps_read_counters(&lb->maps, v))
		return -1;
	for (int c = 0; c < ZLB_C_MAX; c++)
		total[c] = v[c];
	return 0;
}

void build(struct frame *f, const struct pkt *p)
{
	frame_build(f, p);
	memset(f->data + f->len, 0x5a, padding);
	f->len += padding;
}

/* Run @in as if it arrived on @port. -1 when the kernel would not run it
 * (errno set). */
int run(const struct lb *lb, const struct pkt *in, int port, struct result *r)
{
	long long before[ZLB_C_MAX], after[ZLB_C_MAX];
	struct xdp_md xdp = { .ingress_ifindex = ports[port].ifindex };
	struct __sk_buff skb = { .ifindex = ports[port].ifindex,
				 .ingress_ifindex = ports[port].ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_out = r->out.data, .data_size_out = sizeof(r->out.data));
	struct frame f;
	int rc;

	build(&f, in);
	if (hook_tc) {
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
	} else {
		/* The context must span exactly the frame. */
		xdp.data_end = f.len;
		opts.ctx_in = &xdp;
		opts.ctx_size_in = sizeof(xdp);
	}
	opts.data_in = f.data;
	opts.data_size_in = f.len;
	if (read_counters(lb, before))
		return -1;
	rc = bpf_prog_test_run_opts(lb->run_fd, &opts);
	if (rc)
		return -1;
	if (read_counters(lb, after))
		return -1;
	r->verdict = opts.retval;
	r->out.len = opts.data_size_out;
	r->out.csum_off = 0;
	for (int c = 0; c < ZLB_C_MAX; c++)
		r->delta[c] = after[c] - before[c];
	return 0;
}

/* ---- judging ----------------------------------------------------------- */

int passed, failed, skipped;
bool quiet;
static const char *prefix = "";

void name_cases(const char *p)
{
	prefix = p;
}

const char *named(const char *fmt, ...)
{
	static char names[16][384];
	static unsigned int next;
	char *name = names[next++ % ARRAY_SIZE(names)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(names[0]), fmt, ap);
	va_end(ap);
	return name;
}

void report(const char *name, const char *problem)
{
	if (!problem && quiet)
		return;
	if (!problem) {
		printf("ok - %s%s\n", prefix, name);
		passed++;
	} else {
		printf("not ok - %s%s: %s\n", prefix, name, problem);
		failed++;
	}
}

void fail(const char *name, const char *fmt, ...)
{
	char problem[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	report(name, problem);
}

/* A case that cannot run on this hook through BPF_PROG_TEST_RUN. */
void skip(const char *name, const char *why)
{
	if (quiet)
		return;
	printf("ok - %s%s # SKIP %s\n", prefix, name, why);
	skipped++;
}

const char *verdict_name(int v)
{
	static const char *const xdp[] = {
		[XDP_ABORTED] = "XDP_ABORTED", [XDP_DROP] = "XDP_DROP", [XDP_PASS] = "XDP_PASS",
		[XDP_TX] = "XDP_TX", [XDP_REDIRECT] = "XDP_REDIRECT",
	};
	static const char *const tc[] = {
		[TC_ACT_OK] = "TC_ACT_OK", [TC_ACT_SHOT] = "TC_ACT_SHOT",
		[TC_ACT_REDIRECT] = "TC_ACT_REDIRECT",
	};
	const char *const *names = hook_tc ? tc : xdp;
	int n = hook_tc ? (int)ARRAY_SIZE(tc) : (int)ARRAY_SIZE(xdp);

	if (v == ZLB_TEST_VERDICT_NOT_VERIFIED)
		return "wrapper: the skb could not be marked CHECKSUM_UNNECESSARY";
	if (v == ZLB_TEST_VERDICT_NO_TARGET)
		return "wrapper: no tail call target";
	return v >= 0 && v < n && names[v] ? names[v] : "unknown verdict";
}

/* The cases are written with XDP's verdicts; the tc program answers with
 * its own: a frame sent back out of its interface or to another one is
 * TC_ACT_REDIRECT either way (the counters tell them apart). */
int hook_verdict(int xdp_verdict)
{
	if (!hook_tc)
		return xdp_verdict;
	switch (xdp_verdict) {
	case XDP_PASS: return TC_ACT_OK;
	case XDP_DROP: return TC_ACT_SHOT;
	case XDP_TX:
	case XDP_REDIRECT: return TC_ACT_REDIRECT;
	}
	return -1;
}

/* Add one problem to the list, "; "-separated. */
void add(struct problems *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (p->n && p->n < sizeof(p->text))
		p->n += snprintf(p->text + p->n, sizeof(p->text) - p->n, "; ");
	if (p->n >= sizeof(p->text))
		return;
	va_start(ap, fmt);
	r = vsnprintf(p->text + p->n, sizeof(p->text) - p->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		p->n += r;
}

/* Judge a run: @verdict, and unless dropped, @want as the frame that
 * leaves; @counters as above, ending with -1. */
bool judge(const char *name, const struct result *r, int verdict, const struct pkt *want,
	   const int *counters)
{
	long long want_delta[ZLB_C_MAX] = {};
	struct problems p = {};
	bool bytes_differ = false;
	struct frame wf;

	for (; *counters >= 0; counters++)
		want_delta[*counters]++;
	verdict = hook_verdict(verdict);
	if (r->verdict != verdict)
		add(&p, "verdict %s, want %s", verdict_name(r->verdict), verdict_name(verdict));
	for (int c = 0; c < ZLB_C_MAX; c++)
		if (r->delta[c] != want_delta[c])
			add(&p, "%s %+lld (want %+lld)", counter_names[c], r->delta[c], want_delta[c]);
	if (verdict != hook_verdict(XDP_DROP)) {
		build(&wf, want);
		bytes_differ = r->out.len != wf.len || memcmp(r->out.data, wf.data, wf.len);
		if (bytes_differ)
			add(&p, "frame out differs");
	}
	report(name, p.n ? p.text : NULL);
	if (bytes_differ)
		frame_diff(stdout, "#   ", wf.data, wf.len, r->out.data, r->out.len);
	return !p.n;
}

/* Run @in arriving on @port and judge it; @out NULL: the frame must leave
 * exactly as it came. */
bool check(const struct lb *lb, const char *name, const struct pkt *in, int port, int verdict,
	   const struct pkt *out, const int *counters)
{
	struct result r;

	if (hook_tc && in->l4_csum_partial) {
		skip(name, "tc: BPF_PROG_TEST_RUN builds no CHECKSUM_PARTIAL skb (tests/e2e/tc.sh)");
		return true;
	}
	if (run(lb, in, port, &r)) {
		fail(name, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return false;
	}
	return judge(name, &r, verdict, out ? out : in, counters);
}

/* ---- frames ------------------------------------------------------------ */

struct pkt arriving_l4(int port, const uint8_t *smac, uint8_t proto, uint16_t sport,
		       uint16_t dport)
{
	struct pkt p = { .proto = proto, .ttl = 64, .sport = sport, .dport = dport,
			 .window = 64240 };

	memcpy(p.smac, smac, 6);
	memcpy(p.dmac, ports[port].mac, 6);
	return p;
}

struct pkt sent_on(const struct pkt *p, int port, const uint8_t *dmac, uint16_t sport,
		   uint16_t dport)
{
	struct pkt o = *p;

	memcpy(o.smac, ports[port].mac, 6);
	memcpy(o.dmac, dmac, 6);
	o.sport = sport;
	o.dport = dport;
	o.ttl--;
	return o;
}

void tcp_seg(struct pkt *p, uint8_t flags, uint32_t seq, uint32_t ack)
{
	p->tcp_flags = flags;
	p->seq = seq;
	p->ack = ack;
}

void with_data(struct pkt *p, const char *text)
{
	pkt_set_payload(p, text, strlen(text));
}

void echo(struct pkt *p, uint8_t type, uint16_t id, uint16_t seq)
{
	p->icmp_type = type;
	p->icmp_id = id;
	p->icmp_seq = seq;
	with_data(p, "zon-lb ping");    /* odd length: the sum pads it */
}

/* Choose the last two payload bytes of @aim and @other (its translation or
 * origin) so that the L4 checksum computed over @aim is 0 (UDP: sent as
 * 0xffff): the bytes of the checksum computed with them zero make the sum
 * all ones. The payload length must be even, so they lie on a word. */
void aim_csum_at_zero(struct pkt *aim, struct pkt *other)
{
	size_t at = aim->payload_len - 2;
	struct frame f;
	uint8_t csum[2];

	if (aim->payload_len < 2 || aim->payload_len % 2 || other->payload_len != aim->payload_len) {
		fprintf(stderr, "aim_csum_at_zero: needs an even payload of the same length\n");
		abort();
	}
	memset(aim->payload + at, 0, 2);
	frame_build(&f, aim);
	frame_l4_csum(&f, csum);
	memcpy(aim->payload + at, csum, 2);
	memcpy(other->payload + at, csum, 2);
}

bool l4_csum_is(const struct pkt *p, uint16_t want)
{
	struct frame f;
	uint8_t csum[2];

	frame_build(&f, p);
	frame_l4_csum(&f, csum);
	return (csum[0] << 8 | csum[1]) == want;
}

/* ---- neighbour cache --------------------------------------------------- */

int neigh_add(const struct lb *lb, union zlb_addr addr, const uint8_t *mac, int port)
{
	struct zlb_neigh_entry n = { .flags = ZLB_NEIGH_F_STATIC, .ifindex = ports[port].ifindex };

	memcpy(n.mac, mac, 6);
	return bpf_map_update_elem(lb->maps.fd[ZLB_M_NEIGH], &addr, &n, BPF_ANY);
}

void check_neigh(const struct lb *lb, const char *name, union zlb_addr addr,
		 const uint8_t *mac, int port)
{
	struct zlb_neigh_entry n;
	bool found = !bpf_map_lookup_elem(lb->maps.fd[ZLB_M_NEIGH], &addr, &n);

	if (!mac)
		report(name, found ? "zlb_neigh has an entry" : NULL);
	else if (!found)
		report(name, "zlb_neigh has no entry");
	else if (memcmp(n.mac, mac, 6) || n.ifindex != (__u32)ports[port].ifindex ||
		 n.flags != ZLB_NEIGH_F_LEARNED || !n.updated_ns)
		fail(name, "entry %02x:%02x:%02x:%02x:%02x:%02x ifindex %u flags %#x updated %llu, "
		     "want %02x:%02x:%02x:%02x:%02x:%02x ifindex %d flags %#x",
		     n.mac[0], n.mac[1], n.mac[2], n.mac[3], n.mac[4], n.mac[5], n.ifindex,
		     n.flags, (unsigned long long)n.updated_ns,
		     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], ports[port].ifindex,
		     ZLB_NEIGH_F_LEARNED);
	else
		report(name, NULL);
}

int maglev_open(const struct lb *lb, union zlb_addr vip, uint16_t vport, struct maglev_view *t)
{
	struct zlb_svc_key k = { .addr = vip, .port = htons(vport), .proto = IPPROTO_TCP };
	struct zlb_service s;
	__u32 id;

	if (bpf_map_lookup_elem(lb->maps.fd[ZLB_M_SERVICES], &k, &s) ||
	    bpf_map_lookup_elem(lb->maps.fd[ZLB_M_MAGLEV], &s.maglev_key, &id))
		return -1;
	t->fd = bpf_map_get_fd_by_id(id);
	t->size = s.maglev_size;
	t->base = s.backend_base;
	return t->fd < 0 || !t->size ? -1 : 0;
}

int maglev_backend(const struct lb *lb, const struct maglev_view *t, __u32 hash,
		   struct zlb_backend *be)
{
	__u32 idx = hash % t->size, chunk = idx / ZLB_MAGLEV_CHUNK, slot;
	struct zlb_maglev_chunk c;

	if (bpf_map_lookup_elem(t->fd, &chunk, &c) ||
	    c.be[idx % ZLB_MAGLEV_CHUNK] == ZLB_MAGLEV_NO_BACKEND)
		return -1;
	slot = t->base + c.be[idx % ZLB_MAGLEV_CHUNK];
	return bpf_map_lookup_elem(lb->maps.fd[ZLB_M_BACKENDS], &slot, be) ? -1 : 0;
}

__u64 monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000000ULL + now.tv_nsec;
}

static const char *const state_names[ZLB_CT_STATE_MAX] = ZLB_CT_STATE_NAMES;

const char *state_name(unsigned int st)
{
	return st < ZLB_CT_STATE_MAX ? state_names[st] : "(invalid)";
}

/* Write a new config into @lb's maps, as a reload by zlb-load would. */
int lb_reload(struct lb *lb, const char *conf, struct zlb_err *err)
{
	struct zlb_iface_info ifaces[ZLB_MAX_IFACES];
	union zlb_addr backend_src[64], backend_snat[64];
	struct zlb_resolved res = { ifaces, backend_src, backend_snat };
	struct zlb_config cfg;

	if (zlb_config_load_string(conf, "test.conf", &cfg, err))
		return -1;
	if (cfg.nifaces > ARRAY_SIZE(ifaces) ||
	    zlb_config_backend_count(&cfg) > ARRAY_SIZE(backend_src)) {
		zlb_err_set(err, "test config too large");
		zlb_config_free(&cfg);
		return -1;
	}
	if (resolve(&cfg, true, ifaces, backend_src, backend_snat, err) ||
	    zlb_maps_apply(&lb->maps, &cfg, &res, err)) {
		zlb_config_free(&cfg);
		return -1;
	}
	zlb_config_free(&lb->cfg);
	lb->cfg = cfg;
	return 0;
}

int read_meta(const struct lb *lb, struct zlb_meta *meta)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(lb->maps.fd[ZLB_M_META], &zero, meta);
}

bool ct_get(const struct lb *lb, const struct zlb_ct_key *k, struct zlb_ct_entry *e)
{
	return !zlb_ct_lookup(&lb->maps, k, e);
}

__u32 memo_slot_of_key(const struct zlb_ct_key *k)
{
	struct zlb_ct_key4 k4 __attribute__((aligned(8)));

	zlb_ct_key_to4(k, &k4);
	return zlb_ct_memo_slot(&k4);
}

bool memo_holds(const struct zlb_flow_memo *v, const struct zlb_ct_key *k)
{
	struct zlb_ct_key4 k4 __attribute__((aligned(8)));

	zlb_ct_key_to4(k, &k4);
	return zlb_ct_memo_holds(v, &k4);
}

int memo_slot_read(const struct lb *lb, __u32 slot, struct zlb_flow_memo *v, int max)
{
	int n = libbpf_num_possible_cpus();

	if (n < 1 || n > max) {
		errno = n < 1 ? -n : E2BIG;
		return -1;
	}
	return bpf_map_lookup_elem(lb->maps.fd[ZLB_M_FLOW_MEMO], &slot, v) ? -1 : n;
}

/* Make entry @k look idle for @idle_ns: its last activity that long ago
 * (bpf_ktime_get_ns() is CLOCK_MONOTONIC). */
int ct_idle(const struct lb *lb, const struct zlb_ct_key *k, __u64 idle_ns)
{
	struct zlb_ct_entry e;

	if (zlb_ct_lookup(&lb->maps, k, &e))
		return -1;
	e.last_seen_ns = monotonic_ns() - idle_ns;
	return zlb_ct_update(&lb->maps, k, &e, BPF_EXIST);
}

static int percpu_sum(int fd, __u32 key, __u64 *sum, size_t nfields)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v;

	if (ncpu <= 0 || !(v = calloc((size_t)ncpu * nfields, sizeof(*v))))
		return -1;
	if (bpf_map_lookup_elem(fd, &key, v)) {
		free(v);
		return -1;
	}
	memset(sum, 0, nfields * sizeof(*sum));
	for (int c = 0; c < ncpu; c++)
		for (size_t i = 0; i < nfields; i++)
			sum[i] += v[c * nfields + i];
	free(v);
	return 0;
}

int traffic_get(const struct lb *lb, int map, __u32 key, struct zlb_traffic *t)
{
	return percpu_sum(lb->maps.fd[map], key, (__u64 *)t, sizeof(*t) / sizeof(__u64));
}

/* zlb_stats summed over CPUs (in a static buffer: it is large), or NULL. */
static const struct zlb_counters *counters_sum(const struct lb *lb)
{
	static struct zlb_counters all;

	if (percpu_sum(lb->maps.fd[ZLB_M_STATS], 0, (__u64 *)&all, sizeof(all) / sizeof(__u64)))
		return NULL;
	return &all;
}

int svc_traffic_get(const struct lb *lb, __u32 id, struct zlb_traffic *t)
{
	const struct zlb_counters *all = id < ZLB_MAX_SERVICES ? counters_sum(lb) : NULL;

	if (!all)
		return -1;
	*t = all->svcs[id];
	return 0;
}

int if_traffic_get(const struct lb *lb, __u32 slot, struct zlb_if_traffic *t)
{
	const struct zlb_counters *all = slot < ZLB_MAX_IFACES ? counters_sum(lb) : NULL;

	if (!all)
		return -1;
	*t = all->ifs[slot];
	return 0;
}

void check_traffic(const char *name, const struct zlb_traffic *b, const struct zlb_traffic *a,
		   __u64 packets, __u64 bytes, __u64 new_flows)
{
	if (a->packets - b->packets == packets && a->bytes - b->bytes == bytes &&
	    a->new_flows - b->new_flows == new_flows)
		report(name, NULL);
	else
		fail(name, "packets %+lld bytes %+lld new_flows %+lld, want +%llu +%llu +%llu",
		     (long long)(a->packets - b->packets), (long long)(a->bytes - b->bytes),
		     (long long)(a->new_flows - b->new_flows), (unsigned long long)packets,
		     (unsigned long long)bytes, (unsigned long long)new_flows);
}

void check_if_traffic(const char *name, const struct zlb_if_traffic *b,
		      const struct zlb_if_traffic *a, const __u64 want[5])
{
	const __u64 got[5] = {
		a->rx_packets - b->rx_packets, a->rx_bytes - b->rx_bytes,
		a->fwd_packets - b->fwd_packets, a->fwd_bytes - b->fwd_bytes, a->drops - b->drops,
	};

	if (!memcmp(got, want, sizeof(got)))
		report(name, NULL);
	else
		fail(name, "rx %+lld/%+lld B, fwd %+lld/%+lld B, drops %+lld; "
		     "want rx +%llu/+%llu B, fwd +%llu/+%llu B, drops +%llu",
		     (long long)got[0], (long long)got[1], (long long)got[2], (long long)got[3],
		     (long long)got[4], (unsigned long long)want[0], (unsigned long long)want[1],
		     (unsigned long long)want[2], (unsigned long long)want[3],
		     (unsigned long long)want[4]);
}

int setup_ports(void)
{
	for (int i = 0; i < NPORTS; i++) {
		const uint8_t want[6] = MAC(0, i);

		if (port_info(&ports[i])) {
			fprintf(stderr, "test_packets: %s: %s (run through packets.sh)\n",
				ports[i].name, strerror(errno));
			return -1;
		}
		if (memcmp(ports[i].mac, want, 6)) {
			fprintf(stderr, "test_packets: %s has not MAC 02:00:00:00:00:%02x\n",
				ports[i].name, i);
			return -1;
		}
	}
	return 0;
}
