// SPDX-License-Identifier: GPL-2.0
/*
 * zlb-ct: the connection table of a running zon-lb -- list, count, delete
 * and flush flows.
 *
 * A flow has two entries, one per direction; it is listed once, from its
 * original-direction entry (client -> service), whose value is the tuple
 * towards the backend. The table is read with batched lookups, a few
 * thousand entries per system call, so a million flows list in seconds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <bpf/bpf.h>

#include "zlb_abi.h"
#include "ct.h"
#include "tools.h"

static const char *const state_names[ZLB_CT_STATE_MAX] = ZLB_CT_STATE_NAMES;

enum { OPT_SERVICE = 0x200, OPT_ADDR, OPT_PORT, OPT_PROTO, OPT_STATE };

struct filter {
	bool any;                /* some filter is set */
	bool by_service_id;
	__u32 service_id;
	bool by_service;         /* address and port the client asked for */
	union zlb_addr service_addr;
	__be16 service_port;
	bool by_addr;
	union zlb_addr addr;
	bool by_port;
	__be16 port;
	bool by_proto;
	__u8 proto;
	bool by_state;
	__u8 state;
};

static const struct option ct_options[] = {
	{ "service", required_argument, NULL, OPT_SERVICE },
	{ "addr", required_argument, NULL, OPT_ADDR },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "proto", required_argument, NULL, OPT_PROTO },
	{ "state", required_argument, NULL, OPT_STATE },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: zlb-ct [OPTIONS] [list] [FILTERS]\n"
		"       zlb-ct [OPTIONS] count [FILTERS]\n"
		"       zlb-ct [OPTIONS] delete FILTERS\n"
		"       zlb-ct [OPTIONS] flush\n"
		"Show or change the connection table of a running zon-lb: one line per flow\n"
		"(protocol, client, service, source towards the backend, backend, state,\n"
		"seconds until the flow expires).\n"
		"\n"
		"Commands:\n"
		"  list     list the flows (the default)\n"
		"  count    print the number of flows\n"
		"  delete   delete the flows the filters select (both directions)\n"
		"  flush    delete every entry of the table\n"
		"\n"
		"Filters (each at most once; all given must match):\n"
		"      --service ID|ADDR:PORT  flows of service ID, or to ADDR:PORT\n"
		"                              (IPv6: [ADDR]:PORT)\n"
		"      --addr ADDR             flows with ADDR (IPv4 or IPv6) as any of their\n"
		"                              addresses\n"
		"      --port PORT             flows with PORT as any of their ports\n"
		"      --proto PROTO           tcp, udp, icmp or icmpv6\n"
		"      --state STATE           syn, established, closing, close, udp or icmp\n"
		"\n"
		"Options:\n"
		ZLB_TOOL_COMMON_HELP
		"\n"
		"Environment: %s (pin directory).\n",
		ZLB_PIN_ENV);
}

/* ---- filters --------------------------------------------------------------- */

/* A filter given twice: the second value would silently replace the
 * first, and a delete would take flows nobody asked for. */
static int twice(const char *opt)
{
	return zlb_usage_err("%s given twice: each filter at most once (all given must match)", opt);
}

static int parse_service(struct filter *f, const char *arg)
{
	unsigned long long v;
	struct zlb_err err;

	if (arg[strspn(arg, "0123456789")] == 0) {
		if (f->by_service_id)
			return twice("--service ID");
		if (!zlb_parse_uint(arg, ZLB_MAX_SERVICES - 1, &v))
			return zlb_usage_err("--service '%s': not a service id (0-%d)",
					     arg, ZLB_MAX_SERVICES - 1);
		f->by_service_id = true;
		f->service_id = v;
		return 0;
	}
	if (f->by_service)
		return twice("--service ADDR:PORT");
	if (!zlb_parse_addr_port(arg, &f->service_addr, &f->service_port, &err))
		return zlb_usage_err("--service '%s': %s", arg, err.msg);
	f->by_service = true;
	return 0;
}

static int ct_option(int c, const char *arg, void *ctx)
{
	struct filter *f = ctx;
	__u16 port;
	int i;

	f->any = true;
	switch (c) {
	case OPT_SERVICE:
		return parse_service(f, arg);
	case OPT_ADDR:
		if (f->by_addr)
			return twice("--addr");
		if (!zlb_parse_addr(arg, &f->addr))
			return zlb_usage_err("--addr '%s': not an IPv4 or IPv6 address", arg);
		f->by_addr = true;
		return 0;
	case OPT_PORT:
		if (f->by_port)
			return twice("--port");
		if (!zlb_parse_port(arg, &port))
			return zlb_usage_err("--port '%s': not a port (0-65535)", arg);
		f->port = htons(port);
		f->by_port = true;
		return 0;
	case OPT_PROTO:
		if (f->by_proto)
			return twice("--proto");
		if (!zlb_parse_proto(arg, &f->proto))
			return zlb_usage_err("--proto '%s': expected tcp, udp, icmp or icmpv6", arg);
		f->by_proto = true;
		return 0;
	case OPT_STATE:
		if (f->by_state)
			return twice("--state");
		for (i = 0; i < ZLB_CT_STATE_MAX && strcmp(arg, state_names[i]); i++)
			;
		if (i == ZLB_CT_STATE_MAX)
			return zlb_usage_err("--state '%s': expected syn, established, closing, close, udp or icmp",
					     arg);
		f->state = i;
		f->by_state = true;
		return 0;
	}
	return zlb_usage_err("unknown option");
}

static bool matches(const struct filter *f, const struct zlb_ct_key *k,
		    const struct zlb_ct_entry *e)
{
	if (f->by_service_id && e->service_id != f->service_id)
		return false;
	if (f->by_service &&
	    (!zlb_addr_equal(&k->daddr, &f->service_addr) || k->dport != f->service_port))
		return false;
	if (f->by_addr && !zlb_addr_equal(&k->saddr, &f->addr) &&
	    !zlb_addr_equal(&k->daddr, &f->addr) && !zlb_addr_equal(&e->saddr, &f->addr) &&
	    !zlb_addr_equal(&e->daddr, &f->addr))
		return false;
	if (f->by_port && k->sport != f->port && k->dport != f->port &&
	    e->sport != f->port && e->dport != f->port)
		return false;
	if (f->by_proto && k->proto != f->proto)
		return false;
	if (f->by_state && e->state != f->state)
		return false;
	return true;
}

/* ---- walking the tables ------------------------------------------------------- */

struct walk {
	const struct zlb_maps *m;
	const struct filter *filter;
	/* Called for every original-direction entry the filter selects. */
	int (*flow)(struct walk *w, const struct zlb_ct_key *k, const struct zlb_ct_entry *e);
	void *ctx;
	size_t flows;
};

static int walk_batch(void *ctx, const struct zlb_ct_key *keys, const struct zlb_ct_entry *vals,
		      __u32 n)
{
	struct walk *w = ctx;
	int rc = 0;

	for (__u32 i = 0; i < n && !rc; i++) {
		if (vals[i].dir != ZLB_CT_DIR_ORIG || !matches(w->filter, &keys[i], &vals[i]))
			continue;
		w->flows++;
		rc = w->flow ? w->flow(w, &keys[i], &vals[i]) : 0;
	}
	return rc;
}

/* Read both tables in batches and hand each selected flow to w->flow. */
static int walk_flows(struct walk *w)
{
	struct zlb_err err = {};
	int rc = zlb_ct_walk(w->m, false, walk_batch, w, &err);

	if (rc < 0 && err.msg[0])
		pr_err("%s\n", err.msg);
	return rc;
}

static void partner_key(const struct zlb_ct_key *k, const struct zlb_ct_entry *e,
			struct zlb_ct_key *p)
{
	memset(p, 0, sizeof(*p));
	p->saddr = e->daddr;
	p->daddr = e->saddr;
	p->sport = e->dport;
	p->dport = e->sport;
	p->proto = k->proto;
}

/* ---- commands ----------------------------------------------------------------- */

struct list_ctx {
	struct zlb_table *t;
	struct zlb_meta meta;
	__u64 now;
};

/* Seconds until the flow is gone: the data plane drops a flow when both
 * of its entries have been idle for their state's timeout. */
static __u64 expires_s(const struct list_ctx *l, const struct zlb_ct_entry *e)
{
	__u64 deadline = 0;

	if (e->state < ZLB_CT_STATE_MAX)
		deadline = e->last_seen_ns + l->meta.timeout_ns[e->state];
	return deadline > l->now ? (deadline - l->now + 999999999ULL) / 1000000000ULL : 0;
}

static int list_flow(struct walk *w, const struct zlb_ct_key *k, const struct zlb_ct_entry *e)
{
	struct list_ctx *l = w->ctx;
	char buf[ZLB_ADDR_PORT_LEN];
	struct zlb_ct_entry reply;
	struct zlb_ct_key pk;
	__u64 exp = expires_s(l, e);

	partner_key(k, e, &pk);
	/* the table's entry: its last activity lags a memo's by less than a
	 * tick, and one syscall a flow counts at a million flows */
	if (!zlb_ct_lookup_table(w->m, &pk, &reply) && expires_s(l, &reply) > exp)
		exp = expires_s(l, &reply);
	zlb_table_row(l->t);
	zlb_table_str(l->t, zlb_proto_name(k->proto));
	zlb_table_str(l->t, zlb_fmt_addr_port(buf, &k->saddr, k->sport));
	zlb_table_str(l->t, zlb_fmt_addr_port(buf, &k->daddr, k->dport));
	zlb_table_str(l->t, zlb_fmt_addr_port(buf, &e->saddr, e->sport));
	zlb_table_str(l->t, zlb_fmt_addr_port(buf, &e->daddr, e->dport));
	if (e->state < ZLB_CT_STATE_MAX)
		zlb_table_str(l->t, state_names[e->state]);
	else
		zlb_table_u64(l->t, e->state);
	zlb_table_u64(l->t, exp);
	zlb_table_u64(l->t, e->service_id);
	zlb_table_u64(l->t, e->backend_id);
	return 0;
}

static const struct zlb_col list_cols[] = {
	{ "PROTO", "proto", ZLB_COL_STR, 6 },	/* "icmpv6" */
	{ "CLIENT", "client", ZLB_COL_STR, 21 },
	{ "SERVICE", "service", ZLB_COL_STR, 21 },
	{ "SOURCE", "source", ZLB_COL_STR, 21 },
	{ "BACKEND", "backend", ZLB_COL_STR, 21 },
	{ "STATE", "state", ZLB_COL_STR, 11 },
	{ "EXPIRES", "expires", ZLB_COL_U64, 7 },
	{ "SVC", "service_id", ZLB_COL_U64, 3 },
	{ "BE", "backend_id", ZLB_COL_U64, 5 },
};

static int cmd_list(const struct zlb_tool_opts *o, const struct zlb_maps *m,
		    const struct filter *f)
{
	struct list_ctx l;
	struct walk w = { .m = m, .filter = f, .flow = list_flow, .ctx = &l };
	int rc;

	if (zlb_read_meta(m, &l.meta))
		return ZLB_EXIT_FAIL;
	l.now = zlb_now_ns();
	l.t = zlb_table_new(list_cols, sizeof(list_cols) / sizeof(list_cols[0]), o->fmt,
			    stdout, NULL, true);
	if (!l.t) {
		pr_err("out of memory\n");
		return ZLB_EXIT_FAIL;
	}
	rc = walk_flows(&w);
	if (!zlb_table_end(l.t)) {
		pr_err("out of memory\n");
		rc = -1;
	}
	return rc ? ZLB_EXIT_FAIL : ZLB_EXIT_OK;
}

/* {"KEYS[0]": VALS[0], ...}: the JSON of count, delete and flush. */
static void print_counts_json(const struct zlb_tool_opts *o, size_t n,
			      const char *const *keys, const __u64 *vals)
{
	struct zlb_json *j = zlb_json_new(stdout, o->fmt == ZLB_OUT_JSON_PRETTY);

	zlb_json_obj_begin(j);
	for (size_t i = 0; i < n; i++) {
		zlb_json_key(j, keys[i]);
		zlb_json_u64(j, vals[i]);
	}
	zlb_json_obj_end(j);
	zlb_json_free(j);
}

static int cmd_count(const struct zlb_tool_opts *o, const struct zlb_maps *m,
		     const struct filter *f)
{
	static const char *const keys[] = { "flows", "table_size", "table_size_ipv6" };
	struct walk w = { .m = m, .filter = f };
	__u32 max4, max6;

	if (zlb_map_info(m->fd[ZLB_M_CONNTRACK4], ZLB_MAP_CONNTRACK4, &max4, NULL) ||
	    zlb_map_info(m->fd[ZLB_M_CONNTRACK], ZLB_MAP_CONNTRACK, &max6, NULL) || walk_flows(&w))
		return ZLB_EXIT_FAIL;
	if (o->fmt == ZLB_OUT_TEXT)
		printf("%zu\n", w.flows);
	else
		print_counts_json(o, 3, keys, (const __u64[]){ w.flows, max4, max6 });
	return ZLB_EXIT_OK;
}

struct key_list {
	struct zlb_ct_key *keys;
	size_t n, cap;
};

static int collect_flow(struct walk *w, const struct zlb_ct_key *k, const struct zlb_ct_entry *e)
{
	struct key_list *kl = w->ctx;

	if (kl->n + 2 > kl->cap) {
		size_t cap = kl->cap ? kl->cap * 2 : 1024;
		struct zlb_ct_key *p = realloc(kl->keys, cap * sizeof(*p));

		if (!p) {
			pr_err("out of memory\n");
			return -1;
		}
		kl->keys = p;
		kl->cap = cap;
	}
	kl->keys[kl->n++] = *k;
	partner_key(k, e, &kl->keys[kl->n++]);
	return 0;
}

static int cmd_delete(const struct zlb_tool_opts *o, const struct zlb_maps *m,
		      const struct filter *f)
{
	struct key_list kl = {};
	struct walk w = { .m = m, .filter = f, .flow = collect_flow, .ctx = &kl };
	struct zlb_err err = {};
	long deleted = -1;

	if (!walk_flows(&w)) {
		deleted = zlb_ct_delete_keys(m, kl.keys, kl.n, &err);
		if (deleted < 0)
			pr_err("%s\n", err.msg);
	}
	free(kl.keys);
	if (deleted < 0)
		return ZLB_EXIT_FAIL;
	if (o->fmt == ZLB_OUT_TEXT)
		printf("deleted %zu flows (%ld entries)\n", w.flows, deleted);
	else
		print_counts_json(o, 2, (const char *const[]){ "flows", "entries" },
				  (const __u64[]){ w.flows, deleted });
	return ZLB_EXIT_OK;
}

/* Take everything out, batch by batch; entries the data plane adds
 * meanwhile may stay. */
static int cmd_flush(const struct zlb_tool_opts *o, const struct zlb_maps *m,
		     const struct filter *f)
{
	struct zlb_err err = {};
	long deleted = zlb_ct_flush(m, &err);

	if (deleted < 0) {
		pr_err("%s\n", err.msg);
		return ZLB_EXIT_FAIL;
	}
	if (o->fmt == ZLB_OUT_TEXT)
		printf("flushed %ld entries\n", deleted);
	else
		print_counts_json(o, 1, (const char *const[]){ "entries" },
				  (const __u64[]){ deleted });
	return ZLB_EXIT_OK;
}

struct command {
	const char *name;
	int (*run)(const struct zlb_tool_opts *o, const struct zlb_maps *m, const struct filter *f);
};

static const struct command commands[] = {
	{ "list", cmd_list },
	{ "count", cmd_count },
	{ "delete", cmd_delete },
	{ "flush", cmd_flush },
};

int main(int argc, char **argv)
{
	struct filter f = {};
	struct zlb_tool tool = {
		.name = "zlb-ct", .usage = usage, .options = ct_options,
		.option = ct_option, .ctx = &f,
	};
	const struct command *cmd = &commands[0];
	struct zlb_tool_opts o;
	struct zlb_maps m;
	int first, rc;

	zlb_log_init("zlb-ct");
	first = zlb_tool_parse(argc, argv, &tool, &o);
	if (first < 0)
		return ZLB_EXIT_USAGE;
	if (first < argc) {
		for (cmd = commands; cmd < commands + sizeof(commands) / sizeof(commands[0]); cmd++)
			if (!strcmp(argv[first], cmd->name))
				break;
		if (cmd == commands + sizeof(commands) / sizeof(commands[0])) {
			zlb_usage_err("unknown command '%s': expected list, count, delete or flush",
				      argv[first]);
			return ZLB_EXIT_USAGE;
		}
		if (++first < argc) {
			zlb_usage_err("unexpected argument '%s' after %s", argv[first], cmd->name);
			return ZLB_EXIT_USAGE;
		}
	}
	if (cmd->run == cmd_delete && !f.any) {
		zlb_usage_err("delete needs a filter (to delete every flow, use flush)");
		return ZLB_EXIT_USAGE;
	}
	if (cmd->run == cmd_flush && f.any) {
		zlb_usage_err("flush takes no filter (to delete some flows, use delete)");
		return ZLB_EXIT_USAGE;
	}
	if (zlb_tool_open_maps(&o, &m))
		return ZLB_EXIT_FAIL;
	rc = cmd->run(&o, &m, &f);
	zlb_maps_close(&m);
	return zlb_tool_flush() ? ZLB_EXIT_FAIL : rc;
}
