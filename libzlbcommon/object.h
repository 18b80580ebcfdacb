/* SPDX-License-Identifier: GPL-2.0 */
/* Opening the data plane's BPF object the one way zlb-load, the packet
 * tests and the benchmarks all need it, and probing the kernel with it. */
#ifndef ZLB_OBJECT_H
#define ZLB_OBJECT_H

#include <stdbool.h>
#include <linux/types.h>

#include "zlb_abi.h"
#include "log.h"

struct bpf_object;
struct zlb_config;

/* Entries of the two connection tables (settings.conntrack_size and
 * settings.conntrack_size_ipv6). */
struct zlb_ct_sizes {
	__u32 v4;
	__u32 v6;
};

/* The sizes @cfg asks for. */
struct zlb_ct_sizes zlb_ct_sizes_of(const struct zlb_config *cfg);

/* Open the object at @path for program @prog (the only one it will load:
 * zlb_xdp, or zlb_tc of the tc build; NULL: whichever of them it has),
 * prepared by zlb_object_prepare(). Its maps are pinned by name under
 * @pin_dir, or not at all when @pin_dir is NULL. Not loaded yet. */
struct bpf_object *zlb_object_open_prog(const char *path, const char *prog,
					const char *pin_dir, const struct zlb_rodata *ro,
					const struct zlb_ct_sizes *ct, struct zlb_err *err);
/* The same for the data plane's program, XDP or tc build. */
struct bpf_object *zlb_object_open(const char *path, const char *pin_dir,
				   const struct zlb_rodata *ro, const struct zlb_ct_sizes *ct,
				   struct zlb_err *err);

/* Load @obj, opened from @path (verified and its maps created or
 * reused): 0, or -1 with @err naming the object and why. */
int zlb_object_load(struct bpf_object *obj, const char *path, struct zlb_err *err);

/* Open the BPF object at @path as it is (no pins, nothing set) and load
 * it: a test's or a benchmark's own programs. NULL with @err set. */
struct bpf_object *zlb_object_open_load(const char *path, struct zlb_err *err);

/* Set .rodata to @ro and the connection tables' sizes to @ct in @obj
 * (opened, not loaded: also libxdp's own instance). */
int zlb_object_prepare(struct bpf_object *obj, const struct zlb_rodata *ro,
		       const struct zlb_ct_sizes *ct, struct zlb_err *err);

/* Whether the running kernel's bpf_fib_lookup() knows BPF_FIB_LOOKUP_SRC:
 * loads only the object's probe program (no map of its own is created or
 * pinned) and runs it once. -1 when the object cannot be loaded. */
int zlb_probe_fib_lookup_src(const char *path, bool *has);

#endif
