/* SPDX-License-Identifier: GPL-2.0 */
/* The data plane under the fuzzer: the program loaded unpinned, its maps
 * filled from a config as zlb-load fills them, and frames run through it
 * with BPF_PROG_TEST_RUN. The interfaces are those of fuzz.sh. */
#ifndef ZLB_FUZZ_LB_H
#define ZLB_FUZZ_LB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#include "config.h"
#include "maps.h"
#include "ct.h"
#include "zlb_abi.h"

#define FUZZ_FRAME_MAX 2048
#define FUZZ_MAX_BACKENDS 64

enum { VETH0, VETH1, VETH2, VETH3, NPORTS };

struct port {
	const char *name;
	int ifindex;
	uint8_t mac[6];
};

extern struct port ports[NPORTS];

struct lb {
	struct bpf_object *obj;
	int prog_fd;
	struct zlb_maps maps;
	struct zlb_config cfg;
	/* per backend, in config order: the source address it uses (what
	 * zlb_snat_addrs holds; 0 when the FIB gives it and the kernel route
	 * has none) */
	union zlb_addr backend_snat[FUZZ_MAX_BACKENDS];
	int ncpu;
	__u64 *percpu;          /* ZLB_C_MAX * ncpu counter values */
	long long last[ZLB_C_MAX];  /* the counters after the last frame */
	bool have_last;
};

struct run {
	int verdict;
	uint8_t out[FUZZ_FRAME_MAX];
	size_t out_len;
	long long delta[ZLB_C_MAX];
};

int ports_setup(void);
int lb_open(struct lb *lb, const char *obj_path, const char *conf);
void lb_close(struct lb *lb);

/* Run @len bytes at @in as arriving on @port. -1 on a failed syscall. */
int lb_run(struct lb *lb, const uint8_t *in, size_t len, int port, struct run *r);

/* The global counters, summed over CPUs. */
int lb_counters(struct lb *lb, long long total[ZLB_C_MAX]);

#endif
