// SPDX-License-Identifier: GPL-2.0
/*
 * zlb-stat: the counters of a running zon-lb -- totals, per interface,
 * per service, per backend and drops by reason -- or, with -i, their rates
 * computed from two samples.
 *
 * Every counter map is per CPU: a value is the sum over the possible
 * CPUs. Services and backends are found the way the data plane finds
 * them: from zlb_services, through each service's live backend slots.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "zlb_abi.h"
#include "tools.h"
#include "ethtool_stats.h"
#include "netlink.h"

static const char *const counter_names[ZLB_C_MAX] = ZLB_COUNTER_NAMES;

struct options {
	unsigned long long interval;     /* seconds; 0: one snapshot */
	unsigned long long count;        /* -i iterations; 0: until interrupted */
	bool has_count;
	bool reset;
};

enum { OPT_RESET = 0x200 };

static const struct option stat_options[] = {
	{ "interval", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'c' },
	{ "reset", no_argument, NULL, OPT_RESET },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: zlb-stat [OPTIONS]\n"
		"       zlb-stat --reset [OPTIONS]\n"
		"Print the counters of a running zon-lb: totals, per interface (with the\n"
		"hook zon-lb runs on there, xdp or tc, and the driver's own XDP drop and\n"
		"transmit error counts), per service, per backend, and drops by reason.\n"
		"Service and backend counters count both directions.\n"
		"\n"
		"  -i, --interval N    every N seconds, print rates over the last N seconds:\n"
		"                      packets/s, bits/s, new flows/s\n"
		"  -c, --count COUNT   with --interval: stop after COUNT reports\n"
		"      --reset         set every counter to zero\n"
		ZLB_TOOL_COMMON_HELP
		"\n"
		"Environment: %s (pin directory).\n",
		ZLB_PIN_ENV);
}

static int stat_option(int c, const char *arg, void *ctx)
{
	struct options *opt = ctx;

	switch (c) {
	case 'i':
		if (!zlb_parse_uint(arg, 86400, &opt->interval) || !opt->interval)
			return zlb_usage_err("--interval '%s': expected seconds, 1 to 86400", arg);
		return 0;
	case 'c':
		if (!zlb_parse_uint(arg, 1000000000, &opt->count) || !opt->count)
			return zlb_usage_err("--count '%s': expected a number, 1 to 1000000000", arg);
		opt->has_count = true;
		return 0;
	case OPT_RESET:
		opt->reset = true;
		return 0;
	}
	return zlb_usage_err("unknown option");
}

/* ---- one sample of every counter --------------------------------------------- */

struct if_sample {
	__u32 ifindex;
	char name[IF_NAMESIZE];
	bool has_name;
	bool tc;                         /* configured for tc ingress (ZLB_IF_F_TC) */
	const char *mode;                /* NULL: no XDP program */
	struct zlb_if_traffic t;
	struct zlb_xdp_kstats k;
};

struct svc_sample {
	struct zlb_svc_key key;
	bool echo;                       /* also takes ICMP echo at its address */
	struct zlb_service svc;
	struct zlb_traffic t;
};

struct be_sample {
	struct zlb_backend be;
	struct zlb_traffic t;
};

struct sample {
	__u64 ns;
	__u64 c[ZLB_C_MAX];
	struct if_sample *ifs;
	int nifs;
	struct svc_sample *svcs;
	int nsvcs;
	struct be_sample *bes;
	int nbes;
};

static void sample_free(struct sample *s)
{
	free(s->ifs);
	free(s->svcs);
	free(s->bes);
	memset(s, 0, sizeof(*s));
}

struct reader {
	const struct zlb_maps *m;
	int ncpus;
	__u64 *buf;                      /* ncpus values of the largest struct */
};

/* Sum the per-CPU values of @key in @fd: @nfields __u64 counters each. */
static int percpu_sum(struct reader *r, int fd, const char *map, __u32 key,
		      __u64 *out, int nfields)
{
	memset(out, 0, nfields * sizeof(*out));
	if (bpf_map_lookup_elem(fd, &key, r->buf)) {
		pr_err("cannot read %s[%u]: %s\n", map, key, strerror(errno));
		return -1;
	}
	for (int cpu = 0; cpu < r->ncpus; cpu++)
		for (int f = 0; f < nfields; f++)
			out[f] += r->buf[cpu * nfields + f];
	return 0;
}

static const char *xdp_mode(__u32 ifindex)
{
	struct xdp_multiprog *mp;
	const char *mode = NULL;

	zlb_log_libs_quiet(true);
	mp = xdp_multiprog__get_from_ifindex(ifindex);
	zlb_log_libs_quiet(false);
	if (libxdp_get_error(mp) || !mp)
		return NULL;
	switch (xdp_multiprog__attach_mode(mp)) {
	case XDP_MODE_NATIVE: mode = "native"; break;
	case XDP_MODE_SKB: mode = "skb"; break;
	case XDP_MODE_HW: mode = "hw"; break;
	default: break;
	}
	xdp_multiprog__close(mp);
	return mode;
}

/* The configured interfaces, their traffic from @all (zlb_stats summed).
 * Name, XDP mode and driver counters only of those that are here: run in
 * another network namespace, an index names some other interface. */
static int read_ifaces(struct reader *r, struct sample *s, const struct zlb_counters *all)
{
	static bool warned;
	__u32 ifindexes[ZLB_MAX_IFACES];
	int n = zlb_maps_ifindexes(r->m, ifindexes, ZLB_MAX_IFACES), away = 0;

	s->ifs = calloc(n ? n : 1, sizeof(*s->ifs));
	if (!s->ifs) {
		pr_err("out of memory\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct if_sample *is = &s->ifs[s->nifs];
		struct zlb_iface iface;

		if (bpf_map_lookup_elem(r->m->fd[ZLB_M_IFACES], &ifindexes[i], &iface))
			continue;       /* removed by a reload meanwhile */
		is->ifindex = ifindexes[i];
		is->has_name = zlb_iface_here(is->ifindex, &iface, is->name);
		is->tc = iface.flags & ZLB_IF_F_TC;
		is->t = all->ifs[iface.slot % ZLB_MAX_IFACES];
		if (is->has_name) {
			is->mode = xdp_mode(is->ifindex);
			zlb_xdp_kstats_read(is->name, &is->k);
		} else {
			away++;
		}
		s->nifs++;
	}
	if (away && !warned) {
		pr_warn("%d of zon-lb's interfaces are not in this network namespace (run zlb-stat in the one zon-lb was loaded in): their names, XDP modes and driver counters are not shown\n",
			away);
		warned = true;
	}
	return 0;
}

static int by_service_id(const void *a, const void *b)
{
	const struct svc_sample *x = a, *y = b;

	return x->svc.id < y->svc.id ? -1 : x->svc.id > y->svc.id;
}

static bool is_echo(const struct zlb_svc_key *key)
{
	return key->proto == IPPROTO_ICMP || key->proto == IPPROTO_ICMPV6;
}

/* One sample per service id: its TCP or UDP key; the ICMP (or ICMPv6)
 * echo key of the same service only sets .echo. */
static int read_services(struct reader *r, struct sample *s, const struct zlb_counters *all)
{
	int fd = r->m->fd[ZLB_M_SERVICES];
	struct zlb_svc_key key, prev;
	struct zlb_service svc;
	bool first = true;
	int cap = 0;

	while (bpf_map_get_next_key(fd, first ? NULL : &prev, &key) == 0) {
		int i;

		first = false;
		prev = key;
		if (bpf_map_lookup_elem(fd, &key, &svc))
			continue;       /* removed by a reload meanwhile */
		for (i = 0; i < s->nsvcs && s->svcs[i].svc.id != svc.id; i++)
			;
		if (i == s->nsvcs) {
			if (s->nsvcs == cap) {
				struct svc_sample *p = realloc(s->svcs, (cap = cap ? 2 * cap : 16) * sizeof(*p));

				if (!p) {
					pr_err("out of memory\n");
					return -1;
				}
				s->svcs = p;
			}
			memset(&s->svcs[i], 0, sizeof(s->svcs[i]));
			s->svcs[i].key = key;
			s->svcs[i].svc = svc;
			s->nsvcs++;
		} else if (!is_echo(&key)) {
			s->svcs[i].key = key;
		}
		if (is_echo(&key))
			s->svcs[i].echo = true;
	}
	if (errno != ENOENT) {
		pr_err("cannot read %s: %s\n", ZLB_MAP_SERVICES, strerror(errno));
		return -1;
	}
	qsort(s->svcs, s->nsvcs, sizeof(*s->svcs), by_service_id);
	for (int i = 0; i < s->nsvcs; i++)
		s->svcs[i].t = all->svcs[s->svcs[i].svc.id & (ZLB_MAX_SERVICES - 1)];
	return 0;
}

static int read_backends(struct reader *r, struct sample *s)
{
	int n = 0;

	for (int i = 0; i < s->nsvcs; i++)
		n += s->svcs[i].svc.backend_count;
	s->bes = calloc(n ? n : 1, sizeof(*s->bes));
	if (!s->bes) {
		pr_err("out of memory\n");
		return -1;
	}
	for (int i = 0; i < s->nsvcs; i++) {
		const struct zlb_service *svc = &s->svcs[i].svc;

		for (__u32 j = 0; j < svc->backend_count; j++) {
			struct be_sample *b = &s->bes[s->nbes];
			__u32 slot = svc->backend_base + j;

			if (bpf_map_lookup_elem(r->m->fd[ZLB_M_BACKENDS], &slot, &b->be)) {
				pr_err("cannot read %s[%u]: %s\n", ZLB_MAP_BACKENDS, slot, strerror(errno));
				return -1;
			}
			if (percpu_sum(r, r->m->fd[ZLB_M_BE_STATS], ZLB_MAP_BE_STATS, b->be.id,
				       (__u64 *)&b->t, sizeof(b->t) / sizeof(__u64)))
				return -1;
			s->nbes++;
		}
	}
	return 0;
}

static int take_sample(struct reader *r, struct sample *s)
{
	static struct zlb_counters all;

	memset(s, 0, sizeof(*s));
	s->ns = zlb_now_ns();
	if (percpu_sum(r, r->m->fd[ZLB_M_STATS], ZLB_MAP_STATS, 0, (__u64 *)&all,
		       sizeof(all) / sizeof(__u64)))
		goto fail;
	memcpy(s->c, all.c, sizeof(s->c));
	if (read_ifaces(r, s, &all) || read_services(r, s, &all) || read_backends(r, s))
		goto fail;
	return 0;
fail:
	sample_free(s);
	return -1;
}

/* ---- printing ---------------------------------------------------------------- */

/* A report prints either the counters of one sample (prev == NULL) or
 * the rates between two. */
struct report {
	enum zlb_out_format fmt;
	struct zlb_json *j;              /* JSON: the document's writer */
	const struct sample *prev, *cur;
	double secs;
};

static bool is_drop(__u32 c)
{
	return !strncmp(counter_names[c], "drop_", 5);
}

static __u64 rate(const struct report *rp, __u64 before, __u64 after)
{
	return after >= before ? (__u64)((after - before) / rp->secs + 0.5) : 0;
}

/* A counter, or its rate; @scale 8 makes bytes bits. */
static void cell(struct zlb_table *t, const struct report *rp, const __u64 *before,
		 __u64 after, int scale)
{
	if (!rp->prev)
		zlb_table_u64(t, after);
	else if (!before)
		zlb_table_none(t);
	else
		zlb_table_u64(t, rate(rp, *before, after) * scale);
}

static void section(const struct report *rp, const char *title, const char *key)
{
	if (rp->fmt == ZLB_OUT_TEXT)
		printf("%s:\n", title);
	else
		zlb_json_key(rp->j, key);
}

static bool section_end(const struct report *rp, bool ok)
{
	if (rp->fmt == ZLB_OUT_TEXT)
		putchar('\n');
	return ok;
}

static bool print_counters(const struct report *rp, bool drops)
{
	struct zlb_kv *kv;

	section(rp, drops ? (rp->prev ? "Drops per second" : "Drops")
			  : (rp->prev ? "Totals per second" : "Totals"),
		drops ? (rp->prev ? "drops_per_s" : "drops") : (rp->prev ? "totals_per_s" : "totals"));
	kv = zlb_kv_new(rp->fmt, stdout, rp->j);
	for (__u32 c = 0; c < ZLB_C_MAX; c++) {
		/* Text: each counter once, drops in their own section. JSON:
		 * totals has every counter, drops the drop_* ones by reason. */
		if (drops ? !is_drop(c) : rp->fmt == ZLB_OUT_TEXT && is_drop(c))
			continue;
		zlb_kv_u64(kv, drops ? counter_names[c] + 5 : counter_names[c],
			   rp->prev ? rate(rp, rp->prev->c[c], rp->cur->c[c]) : rp->cur->c[c]);
	}
	return section_end(rp, zlb_kv_end(kv));
}

static const struct zlb_col if_cols[] = {
	{ "DEV", "dev", ZLB_COL_STR, 0 },
	{ "IFINDEX", "ifindex", ZLB_COL_U64, 0 },
	{ "MODE", "mode", ZLB_COL_STR, 0 },
	{ "XDP", "xdp_mode", ZLB_COL_STR, 0 },
	{ "RX-PACKETS", "rx_packets", ZLB_COL_U64, 0 },
	{ "RX-BYTES", "rx_bytes", ZLB_COL_U64, 0 },
	{ "FWD-PACKETS", "fwd_packets", ZLB_COL_U64, 0 },
	{ "FWD-BYTES", "fwd_bytes", ZLB_COL_U64, 0 },
	{ "DROPS", "drops", ZLB_COL_U64, 0 },
	{ "XDP-DROPS", "xdp_drops", ZLB_COL_U64, 0 },
	{ "XDP-TX-ERRORS", "xdp_tx_errors", ZLB_COL_U64, 0 },
};

static const struct zlb_col if_rate_cols[] = {
	{ "DEV", "dev", ZLB_COL_STR, 0 },
	{ "IFINDEX", "ifindex", ZLB_COL_U64, 0 },
	{ "MODE", "mode", ZLB_COL_STR, 0 },
	{ "XDP", "xdp_mode", ZLB_COL_STR, 0 },
	{ "RX-PKTS/S", "rx_packets_per_s", ZLB_COL_U64, 0 },
	{ "RX-BITS/S", "rx_bits_per_s", ZLB_COL_U64, 0 },
	{ "FWD-PKTS/S", "fwd_packets_per_s", ZLB_COL_U64, 0 },
	{ "FWD-BITS/S", "fwd_bits_per_s", ZLB_COL_U64, 0 },
	{ "DROPS/S", "drops_per_s", ZLB_COL_U64, 0 },
	{ "XDP-DROPS/S", "xdp_drops_per_s", ZLB_COL_U64, 0 },
	{ "XDP-TX-ERRORS/S", "xdp_tx_errors_per_s", ZLB_COL_U64, 0 },
};

#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

static bool print_ifaces(const struct report *rp)
{
	struct zlb_table *t;

	section(rp, rp->prev ? "Interfaces per second" : "Interfaces",
		rp->prev ? "interfaces_per_s" : "interfaces");
	t = zlb_table_new(rp->prev ? if_rate_cols : if_cols, NCOLS(if_cols), rp->fmt, stdout,
			  rp->j, false);
	for (int i = 0; i < rp->cur->nifs; i++) {
		const struct if_sample *is = &rp->cur->ifs[i], *was = NULL;

		for (int k = 0; rp->prev && k < rp->prev->nifs; k++)
			if (rp->prev->ifs[k].ifindex == is->ifindex)
				was = &rp->prev->ifs[k];
		zlb_table_row(t);
		if (is->has_name)
			zlb_table_str(t, is->name);
		else
			zlb_table_none(t);
		zlb_table_u64(t, is->ifindex);
		zlb_table_str(t, is->tc ? "tc" : "xdp");
		if (is->mode)
			zlb_table_str(t, is->mode);
		else
			zlb_table_none(t);
		cell(t, rp, was ? &was->t.rx_packets : NULL, is->t.rx_packets, 1);
		cell(t, rp, was ? &was->t.rx_bytes : NULL, is->t.rx_bytes, 8);
		cell(t, rp, was ? &was->t.fwd_packets : NULL, is->t.fwd_packets, 1);
		cell(t, rp, was ? &was->t.fwd_bytes : NULL, is->t.fwd_bytes, 8);
		cell(t, rp, was ? &was->t.drops : NULL, is->t.drops, 1);
		if (is->k.has_drops)
			cell(t, rp, was && was->k.has_drops ? &was->k.drops : NULL, is->k.drops, 1);
		else
			zlb_table_none(t);
		if (is->k.has_tx_errors)
			cell(t, rp, was && was->k.has_tx_errors ? &was->k.tx_errors : NULL,
			     is->k.tx_errors, 1);
		else
			zlb_table_none(t);
	}
	return section_end(rp, zlb_table_end(t));
}

static const struct zlb_col svc_cols[] = {
	{ "ID", "id", ZLB_COL_U64, 0 },
	{ "SERVICE", "service", ZLB_COL_STR, 0 },
	{ "PROTO", "proto", ZLB_COL_STR, 0 },
	{ "ECHO", "icmp_echo", ZLB_COL_STR, 0 },
	{ "BACKENDS", "backends", ZLB_COL_U64, 0 },
	{ "PACKETS", "packets", ZLB_COL_U64, 0 },
	{ "BYTES", "bytes", ZLB_COL_U64, 0 },
	{ "NEW-FLOWS", "new_flows", ZLB_COL_U64, 0 },
};

static const struct zlb_col svc_rate_cols[] = {
	{ "ID", "id", ZLB_COL_U64, 0 },
	{ "SERVICE", "service", ZLB_COL_STR, 0 },
	{ "PROTO", "proto", ZLB_COL_STR, 0 },
	{ "ECHO", "icmp_echo", ZLB_COL_STR, 0 },
	{ "BACKENDS", "backends", ZLB_COL_U64, 0 },
	{ "PKTS/S", "packets_per_s", ZLB_COL_U64, 0 },
	{ "BITS/S", "bits_per_s", ZLB_COL_U64, 0 },
	{ "FLOWS/S", "new_flows_per_s", ZLB_COL_U64, 0 },
};

static void traffic_cells(struct zlb_table *t, const struct report *rp,
			  const struct zlb_traffic *was, const struct zlb_traffic *is)
{
	cell(t, rp, was ? &was->packets : NULL, is->packets, 1);
	cell(t, rp, was ? &was->bytes : NULL, is->bytes, 8);
	cell(t, rp, was ? &was->new_flows : NULL, is->new_flows, 1);
}

static bool print_services(const struct report *rp)
{
	struct zlb_table *t;

	section(rp, rp->prev ? "Services per second" : "Services",
		rp->prev ? "services_per_s" : "services");
	t = zlb_table_new(rp->prev ? svc_rate_cols : svc_cols, NCOLS(svc_cols), rp->fmt, stdout,
			  rp->j, false);
	for (int i = 0; i < rp->cur->nsvcs; i++) {
		const struct svc_sample *s = &rp->cur->svcs[i], *was = NULL;
		char buf[ZLB_ADDR_PORT_LEN];

		for (int k = 0; rp->prev && k < rp->prev->nsvcs; k++)
			if (rp->prev->svcs[k].svc.id == s->svc.id)
				was = &rp->prev->svcs[k];
		zlb_table_row(t);
		zlb_table_u64(t, s->svc.id);
		zlb_table_str(t, zlb_fmt_addr_port(buf, &s->key.addr, s->key.port));
		zlb_table_str(t, zlb_proto_name(s->key.proto));
		zlb_table_str(t, s->echo ? "yes" : "no");
		zlb_table_u64(t, s->svc.backend_count);
		traffic_cells(t, rp, was ? &was->t : NULL, &s->t);
	}
	return section_end(rp, zlb_table_end(t));
}

static const struct zlb_col be_cols[] = {
	{ "ID", "id", ZLB_COL_U64, 0 },
	{ "SVC", "service_id", ZLB_COL_U64, 0 },
	{ "BACKEND", "backend", ZLB_COL_STR, 0 },
	{ "WEIGHT", "weight", ZLB_COL_U64, 0 },
	{ "PACKETS", "packets", ZLB_COL_U64, 0 },
	{ "BYTES", "bytes", ZLB_COL_U64, 0 },
	{ "NEW-FLOWS", "new_flows", ZLB_COL_U64, 0 },
};

static const struct zlb_col be_rate_cols[] = {
	{ "ID", "id", ZLB_COL_U64, 0 },
	{ "SVC", "service_id", ZLB_COL_U64, 0 },
	{ "BACKEND", "backend", ZLB_COL_STR, 0 },
	{ "WEIGHT", "weight", ZLB_COL_U64, 0 },
	{ "PKTS/S", "packets_per_s", ZLB_COL_U64, 0 },
	{ "BITS/S", "bits_per_s", ZLB_COL_U64, 0 },
	{ "FLOWS/S", "new_flows_per_s", ZLB_COL_U64, 0 },
};

static bool print_backends(const struct report *rp)
{
	struct zlb_table *t;

	section(rp, rp->prev ? "Backends per second" : "Backends",
		rp->prev ? "backends_per_s" : "backends");
	t = zlb_table_new(rp->prev ? be_rate_cols : be_cols, NCOLS(be_cols), rp->fmt, stdout,
			  rp->j, false);
	for (int i = 0; i < rp->cur->nbes; i++) {
		const struct be_sample *b = &rp->cur->bes[i], *was = NULL;
		char buf[ZLB_ADDR_PORT_LEN];

		for (int k = 0; rp->prev && k < rp->prev->nbes; k++)
			if (rp->prev->bes[k].be.id == b->be.id)
				was = &rp->prev->bes[k];
		zlb_table_row(t);
		zlb_table_u64(t, b->be.id);
		zlb_table_u64(t, b->be.service_id);
		zlb_table_str(t, zlb_fmt_addr_port(buf, &b->be.addr, b->be.port));
		zlb_table_u64(t, b->be.weight);
		traffic_cells(t, rp, was ? &was->t : NULL, &b->t);
	}
	return section_end(rp, zlb_table_end(t));
}

static int print_report(enum zlb_out_format fmt, const struct sample *prev,
			const struct sample *cur, unsigned long long interval)
{
	struct report rp = { .fmt = fmt, .prev = prev, .cur = cur };
	bool ok;

	if (prev)
		rp.secs = (cur->ns - prev->ns) / 1e9;
	if (fmt != ZLB_OUT_TEXT) {
		rp.j = zlb_json_new(stdout, fmt == ZLB_OUT_JSON_PRETTY);
		if (!rp.j) {
			pr_err("out of memory\n");
			return -1;
		}
		zlb_json_obj_begin(rp.j);
		if (prev) {
			zlb_json_key(rp.j, "interval");
			zlb_json_u64(rp.j, interval);
		}
	} else if (prev) {
		printf("Rates over the last %llu s\n\n", interval);
	}
	/* Every section, in this order, even after one ran out of memory. */
	ok = print_counters(&rp, false);
	ok = print_ifaces(&rp) && ok;
	ok = print_services(&rp) && ok;
	ok = print_backends(&rp) && ok;
	ok = print_counters(&rp, true) && ok;
	if (rp.j) {
		zlb_json_obj_end(rp.j);
		zlb_json_free(rp.j);
	}
	if (!ok)
		pr_err("out of memory\n");
	/* every report at once, and -i stops when they cannot be written */
	return zlb_tool_flush() || !ok ? -1 : 0;
}

/* ---- commands ------------------------------------------------------------------ */

/* Zero every key of per-CPU map @fd (one zeroed value per possible CPU). */
static int zero_map(struct reader *r, int fd, const char *name)
{
	__u32 max_entries, value_size;

	if (zlb_map_info(fd, name, &max_entries, &value_size))
		return -1;
	memset(r->buf, 0, r->ncpus * ((value_size + 7) & ~7u));
	for (__u32 key = 0; key < max_entries; key++)
		if (bpf_map_update_elem(fd, &key, r->buf, BPF_EXIST)) {
			pr_err("cannot reset %s[%u]: %s\n", name, key, strerror(errno));
			return -1;
		}
	return 0;
}

static int cmd_reset(struct reader *r)
{
	static const int maps[] = { ZLB_M_STATS, ZLB_M_BE_STATS };

	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (zero_map(r, r->m->fd[maps[i]], zlb_map_names[maps[i]]))
			return ZLB_EXIT_FAIL;
	return ZLB_EXIT_OK;
}

static int cmd_interval(struct reader *r, const struct zlb_tool_opts *o, const struct options *opt)
{
	struct sample prev, cur;
	int rc = ZLB_EXIT_OK;

	if (take_sample(r, &prev))
		return ZLB_EXIT_FAIL;
	for (unsigned long long n = 0; !opt->count || n < opt->count; n++) {
		struct timespec ts = { .tv_sec = opt->interval };

		while (nanosleep(&ts, &ts) && errno == EINTR)
			;
		if (take_sample(r, &cur) || print_report(o->fmt, &prev, &cur, opt->interval)) {
			rc = ZLB_EXIT_FAIL;
			break;
		}
		sample_free(&prev);
		prev = cur;
	}
	sample_free(&prev);
	return rc;
}

int main(int argc, char **argv)
{
	struct options opt = {};
	struct zlb_tool tool = {
		.name = "zlb-stat", .usage = usage, .options = stat_options,
		.shortopts = "i:c:", .option = stat_option, .ctx = &opt,
	};
	struct zlb_tool_opts o;
	struct zlb_maps m;
	struct reader r = { .m = &m };
	struct sample s;
	int first, rc;

	zlb_log_init("zlb-stat");
	first = zlb_tool_parse(argc, argv, &tool, &o);
	if (first < 0)
		return ZLB_EXIT_USAGE;
	if (first < argc) {
		zlb_usage_err("unexpected argument '%s'", argv[first]);
		return ZLB_EXIT_USAGE;
	}
	if (opt.has_count && !opt.interval) {
		zlb_usage_err("--count needs --interval");
		return ZLB_EXIT_USAGE;
	}
	if (opt.reset && opt.interval) {
		zlb_usage_err("--reset takes no --interval");
		return ZLB_EXIT_USAGE;
	}
	if (zlb_tool_open_maps(&o, &m))
		return ZLB_EXIT_FAIL;
	r.ncpus = libbpf_num_possible_cpus();
	/* The largest per-CPU value: struct zlb_if_traffic. */
	_Static_assert(sizeof(struct zlb_counters) >= sizeof(struct zlb_if_traffic) &&
		       sizeof(struct zlb_counters) >= sizeof(struct zlb_traffic),
		       "r.buf holds the largest per-CPU value");
	r.buf = r.ncpus > 0 ? calloc(r.ncpus, sizeof(struct zlb_counters)) : NULL;
	if (!r.buf) {
		pr_err(r.ncpus > 0 ? "out of memory\n" : "cannot tell the number of CPUs\n");
		zlb_maps_close(&m);
		return ZLB_EXIT_FAIL;
	}
	if (opt.reset) {
		rc = cmd_reset(&r);
	} else if (opt.interval) {
		rc = cmd_interval(&r, &o, &opt);
	} else {
		rc = ZLB_EXIT_FAIL;
		if (!take_sample(&r, &s)) {
			if (!print_report(o.fmt, NULL, &s, 0))
				rc = ZLB_EXIT_OK;
			sample_free(&s);
		}
	}
	free(r.buf);
	zlb_maps_close(&m);
	return zlb_tool_flush() ? ZLB_EXIT_FAIL : rc;
}
