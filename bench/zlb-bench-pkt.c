// SPDX-License-Identifier: GPL-2.0
/*
 * zlb-bench-pkt: what one packet costs in zon-lb's data plane, measured with
 * BPF_PROG_TEST_RUN against a PASS program and the floors of the same hook
 * in the same run.
 *
 *   zlb-bench-pkt run xdp|tc BENCH_BPF_DIR XDP_OBJECT TC_OBJECT REPEAT RUNS
 *       in the namespace bench.sh builds: packets.sh's addresses, MACs,
 *       routes and neighbours, plus clients 10.9.0.0/16 behind 10.0.0.2,
 *       with veth1 and veth3 in a namespace of their own as on the
 *       reference topology; xdp: the XDP build against XDP_PASS, the
 *       XDP floor, the NAT floor and the kernel's table alone
 *       (table.bpf.c); tc: the tc build on BPF_PROG_TEST_RUN's skbs
 *       against TC_ACT_OK and the two tc floors. The XDP build probes the
 *       kernel for both, as zlb-load does.
 *   zlb-bench-pkt ct-fill PIN_DIR FLOWS
 *       fill a loaded zon-lb's pinned connection table with FLOWS flows
 *
 * The data plane runs through restore.bpf.o (see there): each pass gets its
 * frame written anew, for the pass's own flow where the case spreads over a
 * flow set. Every figure is a median of RUNS runs of REPEAT passes. Each
 * run is checked: the wrapper ran REPEAT times, every zon-lb counter moved
 * by exactly REPEAT or not at all as the case means, the last verdict and
 * the frame that left (tuple, MACs, checksums) are the intended ones.
 *
 * Results go to stdout as tab-separated records, "PART ROW COLUMN VALUE"
 * (PART: pkt for xdp, pkt_tc for tc); progress and problems to stderr.
 */
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
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "zlb_abi.h"
#include "config.h"
#include "log.h"
#include "maps.h"
#include "object.h"
#include "netlink.h"
#include "resolve.h"
#include "bench_abi.h"
#include "flows.h"
#include "zlb_ct.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))

/* ---- the hook under test ------------------------------------------------ */

struct yardstick {
	const char *row, *prog;    /* in floor.bpf.o */
	bool wrap;                 /* run as zon-lb is, through the wrapper (it
				      rewrites the frame, TTL included) */
};

struct hook {
	const char *name;          /* on the command line */
	bool tc;                   /* an skb program */
	const char *part;          /* of the records */
	const char *prog;          /* zon-lb's program */
	const char *restore;       /* the wrapper (restore.bpf.o) and its */
	const char *target;        /* program array */
	int pass, redirect;        /* verdicts */
	/* [0]: the PASS program every net figure adds back; then floors, the
	 * first one the one whose figure counts as "the floor" */
	struct yardstick yard[3];
	const char *no_partial;    /* why a partial checksum cannot be run */
};

static const struct hook hooks[] = {
	{ "xdp", false, "pkt", ZLB_PROG_XDP_NAME, "bench_restore", "bench_target", XDP_PASS, XDP_REDIRECT,
	  { { "xdp_pass", "bench_pass", false }, { "floor", "bench_floor", false },
	    { "nat_floor", "bench_nat_floor", true } }, NULL },
	{ "tc", true, "pkt_tc", ZLB_PROG_TC_NAME, "bench_restore_tc", "bench_target_tc",
	  TC_ACT_OK, TC_ACT_REDIRECT,
	  { { "tc_pass", "bench_pass_tc", false },
	    { "floor_tc_peer", "bench_floor_tc_peer", false },
	    { "floor_tc", "bench_floor_tc", false } },
	  "n/a: a partial checksum is skb state (CHECKSUM_PARTIAL) that BPF_PROG_TEST_RUN "
	  "cannot build; the reference topology's tc paths run with it" },
};

static const struct hook *hook = &hooks[0];

/* ---- the namespace ------------------------------------------------------ */

enum { VETH0, VETH1, VETH2, VETH3, NPORTS };

struct port {
	const char *name;
	int ifindex;               /* 0: in the peers' namespace */
	uint8_t mac[6];
};

/* The peers' MACs are bench.sh's: they are out of sight here. */
static struct port ports[NPORTS] = {
	{ .name = "veth0" }, { .name = "veth1", .mac = { 2, 0, 0, 0, 0, 1 } },
	{ .name = "veth2" }, { .name = "veth3", .mac = { 2, 0, 0, 0, 0, 3 } },
};

#define VIP          IP4(10, 0, 0, 1)
#define LB_SRC       IP4(10, 2, 0, 1)
#define BACKEND      IP4(10, 2, 0, 2)
#define CLIENTS      IP4(10, 9, 0, 1)     /* routed via 10.0.0.2 */
#define NEW_CLIENTS  IP4(10, 128, 0, 1)   /* SYN sources; never answered */
#define TCP_PORT     23
#define UDP_PORT     53
#define BE_PORT_BASE 2000                 /* 64 backends: 2000..2063 */
#define BE_COUNT     64
#define UDP_BE_PORT  5353
#define CLIENT_PORT  1024
#define OTHER_PORT   80                   /* no service */
/* New flows go to 16 services of 64 backends each: every backend-side
 * source port is taken from the SNAT range (16384 ports), so one service
 * has room for 64 * 16384 flows, and a SYN run opens a million. */
#define NEW_PORT     100                  /* services on ports 100..115 */
#define NEW_SERVICES 16
#define NEW_BE_BASE  4000                 /* their backends: 4000..5023 */

static int port_info(struct port *p)
{
	struct zlb_iface_info ii;

	if (zlb_iface_info(p->name, &ii))
		return -1;
	p->ifindex = ii.ifindex;
	memcpy(p->mac, ii.mac, 6);
	return 0;
}

/* ---- zon-lb, loaded as zlb-load would load it --------------------------- */

struct lb {
	const char *name;
	const char *path;
	bool fib_src;
	struct bpf_object *obj;
	int prog_fd;
	struct zlb_maps maps;
	struct zlb_config cfg;
	uint32_t conntrack_size;
};

static size_t tcp_service(char *s, size_t cap, const char *name, int port, int be_port)
{
	size_t n = snprintf(s, cap,
			    "  { name = \"%s\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = %d;\n"
			    "    backends = (\n", name, port);

	for (int i = 0; i < BE_COUNT && n < cap; i++)
		n += snprintf(s + n, cap - n,
			      "      { address = \"10.2.0.2\"; port = %d; source = \"10.2.0.1\"; }%s\n",
			      be_port + i, i + 1 < BE_COUNT ? "," : "");
	if (n < cap)
		n += snprintf(s + n, cap - n, "    ); },\n");
	return n;
}

/* Service 0 (the flow sets' TCP service) has 64 backends, one port each on
 * 10.2.0.2: flow (hi, lo) of a set uses backend hi. Service 1 is UDP, the
 * 16 after it take the new flows. */
static char *bench_conf(uint32_t conntrack_size)
{
	size_t cap = 256 * 1024, n = 0;
	char *s = malloc(cap), name[32];

	if (!s)
		return NULL;
	n += snprintf(s + n, cap - n,
		      "settings = { fib_cache_ms = 3600000; conntrack_size = %u; };\n"
		      "services = (\n", conntrack_size);
	n += tcp_service(s + n, cap - n, "bench-tcp", TCP_PORT, BE_PORT_BASE);
	n += snprintf(s + n, cap - n,
		      "  { name = \"bench-udp\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = %d;\n"
		      "    backends = ( { address = \"10.2.0.2\"; port = %d; source = \"10.2.0.1\"; } ); },\n",
		      UDP_PORT, UDP_BE_PORT);
	for (int i = 0; i < NEW_SERVICES && n < cap; i++) {
		snprintf(name, sizeof(name), "bench-new-%d", i);
		n += tcp_service(s + n, cap - n, name, NEW_PORT + i, NEW_BE_BASE + i * BE_COUNT);
	}
	/* no "," after the last service */
	if (n >= cap) {
		free(s);
		return NULL;
	}
	n -= 2;
	snprintf(s + n, cap - n, "\n);\ninterfaces = ( \"veth0\", \"veth2\" );\n");
	return s;
}


static int lb_open(struct lb *lb, const char *name, const char *path, bool fib_src,
		   uint32_t conntrack_size, struct zlb_err *err)
{
	struct zlb_rodata ro = { .fib_lookup_src = fib_src };
	struct zlb_iface_info ifaces[2];
	__u16 iface_flags[2];
	union zlb_addr *backend_src = NULL, *backend_snat = NULL;
	struct zlb_resolved res = { .ifaces = ifaces, .iface_flags = iface_flags };
	struct zlb_ct_sizes ct;
	struct zlb_nl *nl = NULL;
	char *conf;
	int rc;

	memset(lb, 0, sizeof(*lb));
	lb->name = name;
	lb->path = path;
	lb->fib_src = fib_src;
	lb->conntrack_size = conntrack_size;
	zlb_maps_init(&lb->maps);
	/* The bench's flows are IPv4: the IPv6 table at its least. */
	ct.v4 = conntrack_size;
	ct.v6 = 1024;
	lb->obj = zlb_object_open_prog(path, hook->prog, NULL, &ro, &ct, err);
	if (!lb->obj || zlb_object_load(lb->obj, path, err))
		return -1;
	lb->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(lb->obj, hook->prog));
	if (lb->prog_fd < 0) {
		zlb_err_set(err, "%s has no program %s", path, hook->prog);
		return -1;
	}
	conf = bench_conf(conntrack_size);
	if (!conf) {
		zlb_err_set(err, "out of memory");
		return -1;
	}
	rc = zlb_maps_from_object(lb->obj, &lb->maps, err) ||
	     zlb_config_load_string(conf, "bench.conf", &lb->cfg, err);
	free(conf);
	if (rc)
		return -1;
	res.backend_src = backend_src = calloc(zlb_config_backend_count(&lb->cfg), sizeof(*backend_src));
	res.backend_snat = backend_snat = calloc(zlb_config_backend_count(&lb->cfg), sizeof(*backend_snat));
	if (!backend_src || !backend_snat) {
		zlb_err_set(err, "out of memory");
		goto out;
	}
	rc = -1;
	nl = zlb_nl_open(err);
	if (!nl)
		goto out;
	/* The interface flags zlb-load gives them: where the tc build runs,
	 * and which peers are in another namespace (tc sends there with
	 * bpf_redirect_peer). */
	for (size_t i = 0; i < lb->cfg.nifaces; i++) {
		struct zlb_link link;

		if (zlb_nl_link(nl, lb->cfg.ifaces[i].name, &link, err))
			goto out;
		ifaces[i] = link.info;
		iface_flags[i] = (hook->tc ? ZLB_IF_F_TC : 0) |
				 (link.peer_other_ns ? ZLB_IF_F_PEER_NS : 0);
	}
	if (!zlb_resolve_sources(nl, &lb->cfg, fib_src, backend_src, backend_snat, err))
		rc = zlb_maps_apply(&lb->maps, &lb->cfg, &res, err);
out:
	if (nl)
		zlb_nl_close(nl);
	free(backend_src);
	free(backend_snat);
	return rc ? -1 : 0;
}

static void lb_close(struct lb *lb)
{
	zlb_config_free(&lb->cfg);
	bpf_object__close(lb->obj);
	lb->obj = NULL;
}

/* The same zon-lb, loaded anew: an empty connection table. */
static int lb_reopen(struct lb *lb, struct zlb_err *err)
{
	struct lb old = *lb;

	lb_close(lb);
	return lb_open(lb, old.name, old.path, old.fib_src, old.conntrack_size, err);
}

static int read_counters(const struct lb *lb, long long total[ZLB_C_MAX])
{
	__u64 v[ZLB_C_MAX];

	if (zlb_maps_read_counters(&lb->maps, v))
		return -1;
	for (int c = 0; c < ZLB_C_MAX; c++)
		total[c] = v[c];
	return 0;
}

/* ---- the yardsticks and the wrapper ------------------------------------- */

struct bench {
	struct bpf_object *floor_obj, *restore_obj;
	int yard_fd[ARRAY_SIZE(hooks[0].yard)];   /* -1: none */
	int restore_fd, tmpl_fd, target_fd;
	unsigned repeat, runs;
	uint64_t new_flows;        /* flows NEW_FLOWS passes have used so far */
	int failures;
};

static int load_obj(struct bpf_object **obj, const char *dir, const char *file,
		    struct zlb_err *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	*obj = zlb_object_open_load(path, err);
	return *obj ? 0 : -1;
}

static int obj_fd(struct bpf_object *obj, const char *name, bool prog)
{
	if (prog) {
		struct bpf_program *p = bpf_object__find_program_by_name(obj, name);

		return p ? bpf_program__fd(p) : -1;
	}
	struct bpf_map *m = bpf_object__find_map_by_name(obj, name);

	return m ? bpf_map__fd(m) : -1;
}

/* The floor forwards what arrives on veth0 to veth3's MAC out of veth2: the
 * same hop zon-lb's translated client packet takes. */
static int bench_open(struct bench *b, const char *dir, struct zlb_err *err)
{
	/* bench_nat_floor writes the tuple zon-lb gives flow 0 of a set */
	struct zlb_bench_port fwd = { .egress = ports[VETH2].ifindex,
				      .nat_saddr = htonl(LB_SRC), .nat_daddr = htonl(BACKEND),
				      .nat_sport = htons(CLIENT_PORT),
				      .nat_dport = htons(BE_PORT_BASE) };
	__u32 in = ports[VETH0].ifindex, out = ports[VETH2].ifindex;

	if (load_obj(&b->floor_obj, dir, "floor.bpf.o", err) ||
	    load_obj(&b->restore_obj, dir, "restore.bpf.o", err))
		return -1;
	for (size_t i = 0; i < ARRAY_SIZE(b->yard_fd); i++)
		b->yard_fd[i] = hook->yard[i].prog ? obj_fd(b->floor_obj, hook->yard[i].prog, true) : -1;
	b->restore_fd = obj_fd(b->restore_obj, hook->restore, true);
	b->tmpl_fd = obj_fd(b->restore_obj, "bench_tmpl", false);
	b->target_fd = obj_fd(b->restore_obj, hook->target, false);
	memcpy(fwd.smac, ports[VETH2].mac, 6);
	memcpy(fwd.dmac, ports[VETH3].mac, 6);
	if (bpf_map_update_elem(obj_fd(b->floor_obj, "bench_ports", false), &in, &fwd, BPF_ANY) ||
	    bpf_map_update_elem(obj_fd(b->floor_obj, "bench_tx", false), &out, &out, BPF_ANY)) {
		zlb_err_set(err, "cannot configure the floor program: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- cases -------------------------------------------------------------- */

enum outcome { FORWARDED, OPENED, PASSED };

/* What the frame leaving the last pass must say; 0 fields: anything. */
struct want {
	uint32_t saddr, daddr;
	uint16_t sport, dport, dport_max;
	const uint8_t *smac, *dmac;
};

struct pcase {
	const char *row;
	struct lb *lb;             /* NULL: a yardstick run directly */
	int prog_fd;               /* yardsticks */
	int ingress;               /* port */
	struct bench_frame_spec spec;
	enum zlb_bench_rotate rotate;
	uint32_t nflows;
	enum outcome outcome;
	bool partial;              /* report checksum completion, don't judge it */
	bool fresh_table;          /* every run starts from an empty table */
	bool wrap;                 /* a yardstick run through the wrapper */
};

/* Through the wrapper: zon-lb, and the yardsticks that rewrite the frame. */
static bool wrapped(const struct pcase *c)
{
	return c->lb || c->wrap;
}

struct sample {
	unsigned repeat;
	double ns;
	int verdict;
	uint8_t out[256];
	uint32_t out_len;
	uint64_t passes_before, passes;
	long long delta[ZLB_C_MAX];
};

static int run_once(struct bench *b, const struct pcase *c, int prog_fd, unsigned repeat,
		    struct sample *s, struct zlb_err *err)
{
	struct xdp_md xdp = { .data_end = ZLB_BENCH_FRAME_LEN,
			      .ingress_ifindex = ports[c->ingress].ifindex };
	/* BPF_PROG_TEST_RUN makes the skb as if it arrived on ifindex. */
	struct __sk_buff skb = { .ifindex = ports[c->ingress].ifindex,
				 .ingress_ifindex = ports[c->ingress].ifindex };
	long long before[ZLB_C_MAX] = {}, after[ZLB_C_MAX] = {};
	struct zlb_bench_tmpl t = {}, t_after;
	uint8_t frame[ZLB_BENCH_FRAME_LEN];
	__u32 zero = 0;
	int rc;

	bench_frame_build(frame, &c->spec);
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = frame, .data_size_in = sizeof(frame),
		    .data_out = s->out, .data_size_out = sizeof(s->out),
		    .repeat = repeat);
	if (hook->tc) {
		opts.ctx_in = &skb;
		opts.ctx_size_in = sizeof(skb);
	} else {
		opts.ctx_in = &xdp;
		opts.ctx_size_in = sizeof(xdp);
	}
	if (wrapped(c)) {
		memcpy(t.frame, frame, sizeof(frame));
		t.l4_csum_off = c->spec.proto == IPPROTO_UDP ? ZLB_BENCH_OFF_UDPCSUM
							      : ZLB_BENCH_OFF_TCPCSUM;
		t.rotate = c->rotate;
		t.nflows = c->nflows;
		t.naddrs = c->nflows ? bench_flow_naddrs(c->nflows) : 0;
		t.nservices = NEW_SERVICES;
		t.passes = c->rotate == ZLB_BENCH_NEW_FLOWS ? b->new_flows : 0;
		if (bpf_map_update_elem(b->tmpl_fd, &zero, &t, BPF_ANY) ||
		    bpf_map_update_elem(b->target_fd, &zero, &prog_fd, BPF_ANY)) {
			zlb_err_set(err, "cannot set up the wrapper: %s", strerror(errno));
			return -1;
		}
		if (c->lb && read_counters(c->lb, before))
			goto counters;
	}
	rc = bpf_prog_test_run_opts(wrapped(c) ? b->restore_fd : prog_fd, &opts);
	if (rc) {
		zlb_err_set(err, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return -1;
	}
	s->ns = opts.duration;
	s->verdict = opts.retval;
	s->out_len = opts.data_size_out;
	s->passes_before = t.passes;
	s->repeat = repeat;
	s->passes = repeat;
	if (wrapped(c)) {
		if ((c->lb && read_counters(c->lb, after)) ||
		    bpf_map_lookup_elem(b->tmpl_fd, &zero, &t_after))
			goto counters;
		s->passes = t_after.passes - t.passes;
		if (c->lb && c->rotate == ZLB_BENCH_NEW_FLOWS && prog_fd == c->lb->prog_fd)
			b->new_flows = t_after.passes;
	}
	for (int i = 0; i < ZLB_C_MAX; i++)
		s->delta[i] = after[i] - before[i];
	return 0;
counters:
	zlb_err_set(err, "cannot read the counters: %s", strerror(errno));
	return -1;
}

static const char *const counter_names[ZLB_C_MAX] = ZLB_COUNTER_NAMES;

/* Counters that tell something but whose movement is no failure: a new
 * client address teaches the neighbour cache its MAC, a checksum that looks
 * partial is completed. */
static bool informative(int c)
{
	return c == ZLB_C_CSUM_COMPLETED || c == ZLB_C_CT_EVICTED || c == ZLB_C_CT_EXPIRED ||
	       c == ZLB_C_NEIGH_LEARNED;
}

static void want_for(const struct pcase *c, uint64_t pass, struct want *w)
{
	uint32_t hi = 0, lo = 0;

	if (c->rotate == ZLB_BENCH_NEW_FLOWS) {
		hi = pass / ZLB_BENCH_FLOWS_PER_ADDR;
		lo = pass % ZLB_BENCH_FLOWS_PER_ADDR;
	} else if (c->rotate != ZLB_BENCH_FIXED) {
		bench_flow_split(pass * ZLB_BENCH_FLOW_STRIDE % c->nflows, c->nflows, &hi, &lo);
	}

	memset(w, 0, sizeof(*w));
	if (c->ingress == VETH2) {       /* backend -> client */
		w->saddr = VIP;
		w->sport = TCP_PORT;
		w->daddr = c->spec.daddr == LB_SRC ? CLIENTS + hi : 0;
		w->dport = c->spec.dport + lo;
		w->smac = ports[VETH0].mac;
		w->dmac = ports[VETH1].mac;
		return;
	}
	w->saddr = LB_SRC;
	w->daddr = BACKEND;
	w->smac = ports[VETH2].mac;
	w->dmac = ports[VETH3].mac;
	if (c->spec.proto == IPPROTO_UDP) {
		w->sport = c->spec.sport;
		w->dport = UDP_BE_PORT;
	} else if (c->outcome == OPENED) {
		w->dport = NEW_BE_BASE + (pass % NEW_SERVICES) * BE_COUNT;
		w->dport_max = w->dport + BE_COUNT - 1;
	} else {
		w->sport = c->spec.sport + lo;
		w->dport = BE_PORT_BASE + hi;
	}
}

static void add(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void add(char *buf, size_t len, const char *fmt, ...)
{
	size_t n = strlen(buf);
	va_list ap;

	if (n && n + 2 < len) {
		strcat(buf, "; ");
		n += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
}

/* Judge one run of the data plane (or of a yardstick); empty @problem: as
 * intended. @note gets what is worth telling but is no failure. */
static void judge(const struct bench *b, const struct pcase *c, const struct sample *s,
		  bool overhead, char *problem, size_t plen, char *note, size_t nlen)
{
	int want_verdict = c->outcome == PASSED ? hook->pass : hook->redirect;
	long long want[ZLB_C_MAX] = {};
	struct bench_frame_view v;
	uint8_t in[ZLB_BENCH_FRAME_LEN];
	struct want w;

	problem[0] = note[0] = 0;
	if (overhead) {
		want_verdict = hook->pass;
	} else if (c->lb) {
		want[ZLB_C_RX] = s->repeat;
		if (c->outcome == PASSED) {
			want[ZLB_C_PASS] = s->repeat;
		} else {
			want[c->outcome == OPENED ? ZLB_C_CT_MISS : ZLB_C_CT_HIT] = s->repeat;
			if (c->outcome == OPENED)
				want[ZLB_C_NEW_FLOW] = s->repeat;
			want[ZLB_C_FIB_CACHE_HIT] = s->repeat;
			want[ZLB_C_FORWARD] = s->repeat;
			want[ZLB_C_REDIRECT] = s->repeat;
		}
	}
	if (s->verdict != want_verdict)
		add(problem, plen, "last verdict %d, want %d", s->verdict, want_verdict);
	if (wrapped(c) && s->passes != s->repeat)
		add(problem, plen, "wrapper ran %llu passes, want %u",
		    (unsigned long long)s->passes, s->repeat);
	for (int i = 0; c->lb && i < ZLB_C_MAX; i++) {
		if (s->delta[i] == want[i])
			continue;
		if (informative(i))
			add(note, nlen, "%s %+lld", counter_names[i], s->delta[i]);
		else
			add(problem, plen, "%s %+lld (want %+lld)", counter_names[i],
			    s->delta[i], want[i]);
	}
	if (overhead || !wrapped(c))
		return;
	if (c->outcome == PASSED) {
		bench_frame_build(in, &c->spec);
		if (s->out_len != sizeof(in) || memcmp(in, s->out, sizeof(in)))
			add(problem, plen, "the frame left changed");
		return;
	}
	want_for(c, s->passes_before + s->passes - 1, &w);
	if (bench_frame_parse(s->out, s->out_len, &v)) {
		add(problem, plen, "no IPv4 frame left");
		return;
	}
	if (v.saddr != w.saddr || (w.daddr && v.daddr != w.daddr) ||
	    (w.sport && v.sport != w.sport) ||
	    (w.dport_max ? v.dport < w.dport || v.dport > w.dport_max : v.dport != w.dport))
		add(problem, plen, "left as %08x:%u -> %08x:%u", v.saddr, v.sport, v.daddr, v.dport);
	if (memcmp(v.smac, w.smac, 6) || memcmp(v.dmac, w.dmac, 6))
		add(problem, plen, "left with other MACs");
	if (v.ttl != 63)
		add(problem, plen, "ttl %u, want 63", v.ttl);
	if (!v.ip_csum_ok)
		add(problem, plen, "bad IP checksum");
	if (c->partial)
		add(note, nlen, "L4 checksum %s", v.l4_csum_ok ? "completed" : "left partial");
	else if (!v.l4_csum_ok)
		add(problem, plen, "bad L4 checksum");
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void record(const char *row, const char *col, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void record(const char *row, const char *col, const char *fmt, ...)
{
	va_list ap;

	printf("%s\t%s\t%s\t", hook->part, row, col);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* Record a case's median (@over: the wrapper's runs, which come off with
 * the PASS program's @pass_ns added back; NULL: a yardstick run directly)
 * and what its checks found. */
static void record_case(struct bench *b, const char *row, double *raw, double *over,
			double pass_ns, const char *problem, const char *note)
{
	double r = median(raw, b->runs);

	record(row, "raw_ns", "%.1f", r);
	if (over) {
		double o = median(over, b->runs);

		record(row, "restore_ns", "%.1f", o);
		record(row, "ns", "%.1f", r - o + pass_ns);
	} else {
		record(row, "ns", "%.1f", r);
	}
	record(row, "check", "%s", *problem ? problem : "ok");
	if (*note)
		record(row, "note", "%s", note);
	if (*problem) {
		b->failures++;
		fprintf(stderr, "zlb-bench-pkt: %s: %s\n", row, problem);
	}
}

/* Run a case RUNS times: a yardstick directly; the data plane through the
 * wrapper, each run preceded by the wrapper with the PASS program as its
 * target. */
static int measure(struct bench *b, const struct pcase *c, double pass_ns, struct zlb_err *err)
{
	double raw[16], over[16];
	char problem[1200] = "", note[512] = "", p[1024], n[512];
	struct sample s;

	for (unsigned r = 0; r < b->runs; r++) {
		if (c->fresh_table && lb_reopen(c->lb, err))
			return -1;
		/* Unmeasured: the first packets fill the FIB cache. */
		if (c->lb && run_once(b, c, c->lb->prog_fd, b->repeat < 1000 ? b->repeat : 1000,
				      &s, err))
			return -1;
		if (wrapped(c)) {
			if (run_once(b, c, b->yard_fd[0], b->repeat, &s, err))
				return -1;
			over[r] = s.ns;
			judge(b, c, &s, true, p, sizeof(p), n, sizeof(n));
			if (*p && !*problem)
				snprintf(problem, sizeof(problem), "wrapper alone: %s", p);
		}
		if (run_once(b, c, c->lb ? c->lb->prog_fd : c->prog_fd, b->repeat, &s, err))
			return -1;
		raw[r] = s.ns;
		judge(b, c, &s, false, p, sizeof(p), n, sizeof(n));
		if (*p && !*problem)
			snprintf(problem, sizeof(problem), "run %u: %s", r + 1, p);
		if (*n)
			snprintf(note, sizeof(note), "%s", n);
	}
	record_case(b, c->row, raw, wrapped(c) ? over : NULL, pass_ns, problem, note);
	return 0;
}

static struct bench_frame_spec client_frame(uint8_t proto, uint32_t saddr, uint16_t sport,
					    uint16_t dport, uint8_t flags)
{
	struct bench_frame_spec s = { .proto = proto, .saddr = saddr, .daddr = VIP,
				      .sport = sport, .dport = dport, .tcp_flags = flags };

	memcpy(s.smac, ports[VETH1].mac, 6);
	memcpy(s.dmac, ports[VETH0].mac, 6);
	return s;
}

static struct bench_frame_spec backend_frame(uint16_t sport, uint16_t dport)
{
	struct bench_frame_spec s = { .proto = IPPROTO_TCP, .saddr = BACKEND, .daddr = LB_SRC,
				      .sport = sport, .dport = dport, .tcp_flags = BENCH_TCP_ACK };

	memcpy(s.smac, ports[VETH3].mac, 6);
	memcpy(s.dmac, ports[VETH2].mac, 6);
	return s;
}

static const struct bench_flowset tcp_flows = {
	.proto = IPPROTO_TCP, .client_base = CLIENTS, .vip = VIP, .lb_src = LB_SRC,
	.backend = BACKEND, .port_base = CLIENT_PORT, .vport = TCP_PORT,
	.be_port_base = BE_PORT_BASE, .service_id = 0, .backend_id_base = 0,
};

static const struct bench_flowset udp_flows = {
	.proto = IPPROTO_UDP, .client_base = CLIENTS, .vip = VIP, .lb_src = LB_SRC,
	.backend = BACKEND, .port_base = CLIENT_PORT, .vport = UDP_PORT,
	.be_port_base = UDP_BE_PORT, .service_id = 1,
	.backend_id_base = 1 * ZLB_MAX_BACKENDS_PER_SVC,
};

static int fill(struct lb *lb, const struct bench_flowset *fs, uint32_t n, struct zlb_err *err)
{
	uint64_t t0 = bench_now_ns();

	if (bench_ct_fill(&lb->maps, fs, n, err))
		return -1;
	fprintf(stderr, "zlb-bench-pkt: %s: %u flows in the connection table (%.1f s)\n",
		lb->name, n, (bench_now_ns() - t0) / 1e9);
	return 0;
}

/* ---- the kernel's table alone (table.bpf.o) ----------------------------- */

/* A yardstick of table.bpf.o's: what zon-lb's connection table costs by
 * itself (see there). */
struct tcase {
	const char *row;
	const char *prog;          /* bench_table_lookup or bench_table_open */
	const struct lb *lb;       /* lookup: in zon-lb's table, the keys of */
	uint32_t nflows;           /* its flow set, in the order its runs meet them */
	uint32_t size;             /* open: in a table of its own, of this size, */
	bool fresh;                /* new for every run */
};

struct tbl {
	struct bpf_object *obj;
	int prog_fd, state_fd;
};

static void tbl_close(struct tbl *t)
{
	bpf_object__close(t->obj);
	t->obj = NULL;
}

/* bench_keys: the keys zon-lb's client->backend runs over the @n flows of
 * tcp_flows look up, pass by pass (restore.bpf.c's order). */
static int tbl_keys(int fd, uint32_t n, struct zlb_err *err)
{
	struct zlb_ct_key4 *k4 = calloc(n, sizeof(*k4));
	__u32 *idx = calloc(n, sizeof(*idx)), count = n;
	int rc = -1;

	if (!k4 || !idx) {
		zlb_err_set(err, "out of memory");
		goto out;
	}
	for (uint32_t p = 0; p < n; p++) {
		struct zlb_ct_key key[2];
		struct zlb_ct_entry val[2];

		bench_flow_entries(&tcp_flows, p * ZLB_BENCH_FLOW_STRIDE % n, n, 0, key, val);
		zlb_ct_key_to4(&key[0], &k4[p]);
		idx[p] = p;
	}
	if (bpf_map_update_batch(fd, idx, k4, &count, NULL)) {
		zlb_err_set(err, "cannot fill bench_keys: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(k4);
	free(idx);
	return rc;
}

static int tbl_open(struct tbl *t, const char *dir, const struct tcase *c, struct zlb_err *err)
{
	struct zlb_bench_table_state st = {
		.nkeys = c->nflows, .base = htonl(NEW_CLIENTS),
		.value = { .saddr = zlb_addr_v4(htonl(LB_SRC)), .daddr = zlb_addr_v4(htonl(BACKEND)),
			   .sport = htons(CLIENT_PORT), .dport = htons(NEW_BE_BASE),
			   .state = ZLB_CT_TCP_SYN, .packets = 1, .bytes = ZLB_BENCH_FRAME_LEN },
	};
	struct bpf_map *table, *keys;
	char path[PATH_MAX];
	__u32 zero = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/table.bpf.o", dir);
	t->obj = bpf_object__open_file(path, NULL);
	if (!t->obj) {
		zlb_err_set(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	table = bpf_object__find_map_by_name(t->obj, "bench_table");
	keys = bpf_object__find_map_by_name(t->obj, "bench_keys");
	if (!table || !keys) {
		zlb_err_set(err, "%s: no bench_table or bench_keys", path);
		return -1;
	}
	rc = c->lb ? bpf_map__reuse_fd(table, c->lb->maps.fd[ZLB_M_CONNTRACK4]) ||
		     bpf_map__set_max_entries(keys, c->nflows)
		   : bpf_map__set_max_entries(table, c->size);
	if (rc || (rc = bpf_object__load(t->obj))) {
		zlb_err_set(err, "cannot load %s: %s", path, strerror(rc < 0 ? -rc : errno));
		return -1;
	}
	t->prog_fd = obj_fd(t->obj, c->prog, true);
	t->state_fd = obj_fd(t->obj, "bench_table_state", false);
	if (bpf_map_update_elem(t->state_fd, &zero, &st, BPF_ANY)) {
		zlb_err_set(err, "cannot set up %s: %s", c->prog, strerror(errno));
		return -1;
	}
	return c->lb ? tbl_keys(bpf_map__fd(keys), c->nflows, err) : 0;
}

/* Run a table yardstick RUNS times, each checked: every pass ran, every
 * operation went as meant (its verdict says so, and its count). */
static int measure_table(struct bench *b, const char *dir, const struct tcase *c,
			 struct zlb_err *err)
{
	struct pcase pc = { c->row, NULL, -1, VETH0,
			    client_frame(IPPROTO_TCP, CLIENTS, CLIENT_PORT, TCP_PORT, BENCH_TCP_ACK),
			    ZLB_BENCH_FIXED, 0, PASSED, false, false, false };
	struct zlb_bench_table_state before, after;
	char problem[1200] = "", p[1024], n[512];
	struct tbl t = {};
	__u32 zero = 0;
	double raw[16];
	struct sample s;
	int rc = -1;

	fprintf(stderr, "zlb-bench-pkt: %s: %s\n", hook->name, c->row);
	for (unsigned r = 0; r < b->runs; r++) {
		if (c->fresh || !t.obj) {
			tbl_close(&t);
			if (tbl_open(&t, dir, c, err))
				goto out;
		}
		if (bpf_map_lookup_elem(t.state_fd, &zero, &before) ||
		    run_once(b, &pc, t.prog_fd, b->repeat, &s, err) ||
		    bpf_map_lookup_elem(t.state_fd, &zero, &after)) {
			if (!*err->msg)
				zlb_err_set(err, "%s: cannot read its state: %s", c->row, strerror(errno));
			goto out;
		}
		raw[r] = s.ns;
		judge(b, &pc, &s, false, p, sizeof(p), n, sizeof(n));
		if (after.passes - before.passes != b->repeat)
			add(p, sizeof(p), "ran %llu passes, want %u",
			    (unsigned long long)(after.passes - before.passes), b->repeat);
		if (after.failed)
			add(p, sizeof(p), "%llu operations not as meant",
			    (unsigned long long)after.failed);
		if (*p && !*problem)
			snprintf(problem, sizeof(problem), "run %u: %s", r + 1, p);
	}
	record_case(b, c->row, raw, NULL, 0, problem, "");
	rc = 0;
out:
	tbl_close(&t);
	return rc;
}

static int cmd_run(const char *dir, const char *xdp_obj, const char *zlb_obj, unsigned repeat,
		   unsigned runs)
{
	const uint32_t small_flows = 1000, big_flows = 1000000;
	struct bench b = { .repeat = repeat, .runs = runs };
	struct lb small, big, fresh;
	struct zlb_err err = {};
	double pass_ns;
	bool fib_src;
	uint32_t fresh_size;

	for (int i = VETH0; i < NPORTS; i += 2) {
		if (port_info(&ports[i])) {
			fprintf(stderr, "zlb-bench-pkt: %s: %s (run through bench.sh)\n",
				ports[i].name, strerror(errno));
			return 99;
		}
	}
	if (zlb_probe_fib_lookup_src(xdp_obj, &fib_src))
		fib_src = false;
	/* Room for every flow a SYN run opens, its warm-up included. */
	fresh_size = 2 * (uint64_t)repeat + 65536;
	if (bench_open(&b, dir, &err) ||
	    lb_open(&small, "default table", zlb_obj, fib_src, ZLB_CONNTRACK_SIZE, &err) ||
	    fill(&small, &tcp_flows, small_flows, &err) ||
	    fill(&small, &udp_flows, 1, &err) ||
	    lb_open(&big, "1M-flow table", zlb_obj, fib_src, 2 * big_flows + 65536, &err) ||
	    fill(&big, &tcp_flows, big_flows, &err) ||
	    lb_open(&fresh, "SYN table", zlb_obj, fib_src, fresh_size, &err))
		goto fail;
	record("meta", "repeat", "%u", repeat);
	record("meta", "runs", "%u", runs);
	record("meta", "fib_lookup_src", "%d", fib_src);
	record("meta", "table_default", "%u", ZLB_CONNTRACK_SIZE);
	record("meta", "table_1m", "%u", big.conntrack_size);
	record("meta", "table_syn", "%u", fresh_size);

	struct bench_frame_spec ack = client_frame(IPPROTO_TCP, CLIENTS, CLIENT_PORT, TCP_PORT,
						   BENCH_TCP_ACK);
	struct bench_frame_spec partial = ack;
	struct bench_frame_spec reply = backend_frame(BE_PORT_BASE, CLIENT_PORT);
	struct bench_frame_spec syn = client_frame(IPPROTO_TCP, NEW_CLIENTS, CLIENT_PORT, NEW_PORT,
						   BENCH_TCP_SYN);
	struct bench_frame_spec udp = client_frame(IPPROTO_UDP, CLIENTS, CLIENT_PORT, UDP_PORT, 0);
	struct bench_frame_spec other = client_frame(IPPROTO_TCP, CLIENTS, CLIENT_PORT, OTHER_PORT,
						     BENCH_TCP_ACK);

	partial.partial_csum = true;
	struct pcase yards[ARRAY_SIZE(hook->yard)];

	for (size_t i = 0; i < ARRAY_SIZE(yards); i++)
		yards[i] = (struct pcase){ hook->yard[i].row, NULL, b.yard_fd[i], VETH0, ack,
					   .outcome = i ? FORWARDED : PASSED,
					   .wrap = hook->yard[i].wrap };
	const struct pcase cases[] = {
		{ "est_orig", &small, 0, VETH0, ack, ZLB_BENCH_FIXED, 1, FORWARDED, false, false, false },
		{ "est_reply", &small, 0, VETH2, reply, ZLB_BENCH_FIXED, 1, FORWARDED, false, false, false },
		{ "est_orig_1k", &small, 0, VETH0, ack, ZLB_BENCH_ORIG_FLOWS, small_flows, FORWARDED, false, false, false },
		{ "est_reply_1k", &small, 0, VETH2, reply, ZLB_BENCH_REPLY_FLOWS, small_flows, FORWARDED, false, false, false },
		{ "est_orig_1m", &big, 0, VETH0, ack, ZLB_BENCH_ORIG_FLOWS, big_flows, FORWARDED, false, false, false },
		{ "est_reply_1m", &big, 0, VETH2, reply, ZLB_BENCH_REPLY_FLOWS, big_flows, FORWARDED, false, false, false },
		{ "syn", &fresh, 0, VETH0, syn, ZLB_BENCH_NEW_FLOWS, 0, OPENED, false, true, false },
		{ "udp", &small, 0, VETH0, udp, ZLB_BENCH_FIXED, 1, FORWARDED, false, false, false },
		{ "no_match", &small, 0, VETH0, other, ZLB_BENCH_FIXED, 1, PASSED, false, false, false },
		{ "partial_csum", &small, 0, VETH0, partial, ZLB_BENCH_FIXED, 1, FORWARDED, true, false, false },
		/* Last: it evicts the flows of the cases above. */
		{ "syn_full_table", &small, 0, VETH0, syn, ZLB_BENCH_NEW_FLOWS, 0, OPENED, false, false, false },
	};
	const struct tcase tables[] = {
		{ "table_lookup_1k", "bench_table_lookup", &small, small_flows, 0, false },
		{ "table_lookup_1m", "bench_table_lookup", &big, big_flows, 0, false },
		{ "table_open", "bench_table_open", NULL, 0, fresh_size, true },
		{ "table_open_full", "bench_table_open", NULL, 0, ZLB_CONNTRACK_SIZE, false },
	};
	double v[16];
	struct sample s;

	/* PASS first: every net figure adds it back (see measure()). */
	for (unsigned r = 0; r < runs; r++) {
		if (run_once(&b, &yards[0], b.yard_fd[0], repeat, &s, &err))
			goto fail;
		v[r] = s.ns;
	}
	pass_ns = median(v, runs);
	for (size_t i = 0; i < ARRAY_SIZE(yards); i++)
		if (yards[i].row && measure(&b, &yards[i], pass_ns, &err))
			goto fail;
	/* The kernel's map operations are the same under either hook. */
	for (size_t i = 0; !hook->tc && i < ARRAY_SIZE(tables); i++)
		if (measure_table(&b, dir, &tables[i], &err))
			goto fail;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		fprintf(stderr, "zlb-bench-pkt: %s: %s\n", hook->name, cases[i].row);
		if (cases[i].spec.partial_csum && hook->no_partial) {
			record(cases[i].row, "note", "%s", hook->no_partial);
			continue;
		}
		if (measure(&b, &cases[i], pass_ns, &err))
			goto fail;
	}
	lb_close(&fresh);
	lb_close(&big);
	lb_close(&small);
	return b.failures ? 1 : 0;
fail:
	fprintf(stderr, "zlb-bench-pkt: %s\n", err.msg);
	return 99;
}

/* ---- ct-fill ------------------------------------------------------------ */

static int cmd_ct_fill(const char *dir, uint32_t n)
{
	static const struct bench_flowset fs = {
		.proto = IPPROTO_TCP, .client_base = CLIENTS, .vip = VIP, .lb_src = LB_SRC,
		.backend = BACKEND, .port_base = CLIENT_PORT, .vport = TCP_PORT,
		.be_port_base = BE_PORT_BASE,
	};
	struct zlb_err err = {};
	struct zlb_maps m;

	if (zlb_maps_open_pinned(dir, &m, &err) ||
	    bench_ct_fill(&m, &fs, n, &err)) {
		fprintf(stderr, "zlb-bench-pkt: ct-fill: %s\n", err.msg);
		return 1;
	}
	zlb_maps_close(&m);
	return 0;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: zlb-bench-pkt run xdp|tc BENCH_BPF_DIR XDP_OBJECT TC_OBJECT REPEAT RUNS\n"
		"       zlb-bench-pkt ct-fill PIN_DIR FLOWS\n"
		"(run through bench/bench.sh)\n");
}

int main(int argc, char **argv)
{
	zlb_log_init("zlb-bench-pkt");
	if (argc == 8 && !strcmp(argv[1], "run")) {
		unsigned repeat = strtoul(argv[6], NULL, 10), runs = strtoul(argv[7], NULL, 10);

		for (hook = hooks; hook < hooks + ARRAY_SIZE(hooks) && strcmp(hook->name, argv[2]);
		     hook++)
			;
		if (hook == hooks + ARRAY_SIZE(hooks)) {
			fprintf(stderr, "zlb-bench-pkt: no hook %s (xdp or tc)\n", argv[2]);
			return 99;
		}
		if (!repeat || !runs || runs > 16) {
			fprintf(stderr, "zlb-bench-pkt: REPEAT must be > 0, RUNS 1..16\n");
			return 99;
		}
		return cmd_run(argv[3], argv[4], hook == hooks ? argv[4] : argv[5], repeat, runs);
	}
	if (argc == 4 && !strcmp(argv[1], "ct-fill"))
		return cmd_ct_fill(argv[2], strtoul(argv[3], NULL, 10));
	usage();
	return 99;
}
