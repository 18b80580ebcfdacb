// SPDX-License-Identifier: GPL-2.0
/* Loading the data plane for the fuzzer and running frames through it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "lb.h"
#include "log.h"
#include "netlink.h"
#include "object.h"
#include "resolve.h"

struct port ports[NPORTS] = {
	{ .name = "veth0" }, { .name = "veth1" }, { .name = "veth2" }, { .name = "veth3" },
};

int ports_setup(void)
{
	struct zlb_err err = {};
	struct zlb_nl *nl = zlb_nl_open(&err);
	struct zlb_link link;
	int rc = 0;

	if (!nl) {
		fprintf(stderr, "zlb-fuzz: %s\n", err.msg);
		return -1;
	}
	for (int i = 0; i < NPORTS && !rc; i++) {
		rc = zlb_nl_link(nl, ports[i].name, &link, &err);
		if (rc) {
			fprintf(stderr, "zlb-fuzz: %s (run through tests/fuzz/fuzz.sh)\n", err.msg);
			break;
		}
		ports[i].ifindex = link.info.ifindex;
		memcpy(ports[i].mac, link.info.mac, 6);
	}
	zlb_nl_close(nl);
	return rc;
}

static const struct port *port_by_name(const char *name)
{
	for (int i = 0; i < NPORTS; i++)
		if (!strcmp(ports[i].name, name))
			return &ports[i];
	return NULL;
}

/* What zlb-load resolves from the kernel: interfaces and sources. */
static int resolve(struct lb *lb, bool fib_src, struct zlb_iface_info *ifaces,
		   union zlb_addr *backend_src, struct zlb_err *err)
{
	struct zlb_nl *nl;
	int rc;

	for (size_t i = 0; i < lb->cfg.nifaces; i++) {
		const struct port *p = port_by_name(lb->cfg.ifaces[i].name);

		if (!p) {
			zlb_err_set(err, "interface %s is not in the fuzz namespace",
				    lb->cfg.ifaces[i].name);
			return -1;
		}
		ifaces[i].ifindex = p->ifindex;
		memcpy(ifaces[i].mac, p->mac, 6);
	}
	nl = zlb_nl_open(err);
	if (!nl)
		return -1;
	rc = zlb_resolve_sources(nl, &lb->cfg, fib_src, backend_src, lb->backend_snat, err);
	zlb_nl_close(nl);
	return rc;
}

static int lb_load(struct lb *lb, const char *path, const char *conf, struct zlb_err *err)
{
	struct zlb_iface_info ifaces[ZLB_MAX_IFACES];
	union zlb_addr backend_src[FUZZ_MAX_BACKENDS];
	struct zlb_resolved res = { ifaces, backend_src, lb->backend_snat };
	struct zlb_ct_sizes ct;
	struct zlb_rodata ro = {};
	bool fib_src = false;

	if (zlb_config_load_string(conf, "fuzz.conf", &lb->cfg, err))
		return -1;
	if (lb->cfg.nifaces > ZLB_MAX_IFACES ||
	    zlb_config_backend_count(&lb->cfg) > FUZZ_MAX_BACKENDS) {
		zlb_err_set(err, "fuzz config too large");
		return -1;
	}
	if (zlb_probe_fib_lookup_src(path, &fib_src)) {
		zlb_err_set(err, "cannot probe the kernel with %s", path);
		return -1;
	}
	ro.fib_lookup_src = fib_src;
	ct = zlb_ct_sizes_of(&lb->cfg);
	lb->obj = zlb_object_open(path, NULL, &ro, &ct, err);
	if (!lb->obj || zlb_object_load(lb->obj, path, err))
		return -1;
	lb->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(lb->obj,
								       ZLB_PROG_XDP_NAME));
	if (zlb_maps_from_object(lb->obj, &lb->maps, err) ||
	    resolve(lb, fib_src, ifaces, backend_src, err))
		return -1;
	return zlb_maps_apply(&lb->maps, &lb->cfg, &res, err);
}

int lb_open(struct lb *lb, const char *path, const char *conf)
{
	struct zlb_err err = {};

	memset(lb, 0, sizeof(*lb));
	zlb_maps_init(&lb->maps);
	lb->ncpu = libbpf_num_possible_cpus();
	if (lb->ncpu <= 0 || !(lb->percpu = calloc(lb->ncpu, sizeof(struct zlb_counters)))) {
		fprintf(stderr, "zlb-fuzz: cannot count CPUs\n");
		return -1;
	}
	if (lb_load(lb, path, conf, &err)) {
		fprintf(stderr, "zlb-fuzz: %s\n", err.msg);
		return -1;
	}
	return 0;
}

void lb_close(struct lb *lb)
{
	zlb_config_free(&lb->cfg);
	bpf_object__close(lb->obj);
	free(lb->percpu);
}

/* One syscall for every counter (zlb_stats is one per-CPU entry): it is
 * read after every frame. */
int lb_counters(struct lb *lb, long long total[ZLB_C_MAX])
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(lb->maps.fd[ZLB_M_STATS], &zero, lb->percpu))
		return -1;
	for (__u32 i = 0; i < ZLB_C_MAX; i++) {
		total[i] = 0;
		for (int c = 0; c < lb->ncpu; c++)
			total[i] += lb->percpu[c * (sizeof(struct zlb_counters) / sizeof(__u64)) + i];
	}
	return 0;
}

int lb_run(struct lb *lb, const uint8_t *in, size_t len, int port, struct run *r)
{
	long long after[ZLB_C_MAX];
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ports[port].ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_in = in, .data_size_in = len,
		    .data_out = r->out, .data_size_out = sizeof(r->out),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));

	/* The counters after one frame are those before the next. */
	if (!lb->have_last && lb_counters(lb, lb->last))
		return -1;
	lb->have_last = true;
	if (bpf_prog_test_run_opts(lb->prog_fd, &opts) || lb_counters(lb, after)) {
		lb->have_last = false;
		return -1;
	}
	r->verdict = opts.retval;
	r->out_len = opts.data_size_out;
	for (int c = 0; c < ZLB_C_MAX; c++) {
		r->delta[c] = after[c] - lb->last[c];
		lb->last[c] = after[c];
	}
	return 0;
}
