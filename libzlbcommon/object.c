// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "object.h"

struct zlb_ct_sizes zlb_ct_sizes_of(const struct zlb_config *cfg)
{
	struct zlb_ct_sizes ct = { cfg->conntrack_size, cfg->conntrack_size_ipv6 };

	return ct;
}

int zlb_object_prepare(struct bpf_object *obj, const struct zlb_rodata *ro,
		       const struct zlb_ct_sizes *ct, struct zlb_err *err)
{
	struct bpf_map *rodata = bpf_object__find_map_by_name(obj, ".rodata");
	static const char *const tables[] = { ZLB_MAP_CONNTRACK4, ZLB_MAP_CONNTRACK };
	const __u32 sizes[] = { ct->v4, ct->v6 };

	if (!rodata || bpf_map__set_initial_value(rodata, ro, sizeof(*ro))) {
		zlb_err_set(err, "%s: unexpected .rodata layout (built for another zon-lb?)",
			    bpf_object__name(obj));
		return -1;
	}
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, tables[i]);

		if (!map || bpf_map__set_max_entries(map, sizes[i])) {
			zlb_err_set(err, "cannot size %s to %u entries", tables[i], sizes[i]);
			return -1;
		}
	}
	return 0;
}

/* Whether @prog is the one to load: @name, or with @name NULL the data
 * plane's program of either build. */
static bool to_load(const struct bpf_program *prog, const char *name)
{
	const char *p = bpf_program__name(prog);

	if (name)
		return !strcmp(p, name);
	return !strcmp(p, ZLB_PROG_XDP_NAME) || !strcmp(p, ZLB_PROG_TC_NAME);
}

struct bpf_object *zlb_object_open_prog(const char *path, const char *name,
					const char *pin_dir, const struct zlb_rodata *ro,
					const struct zlb_ct_sizes *ct, struct zlb_err *err)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_dir);
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *map;

	obj = bpf_object__open_file(path, &oo);
	if (!obj) {
		zlb_err_set(err, "cannot open BPF object %s: %s (set %s?)", path, strerror(errno),
			    name && !strcmp(name, ZLB_PROG_TC_NAME) ? "ZLB_BPF_TC_OBJ" : "ZLB_BPF_OBJ");
		return NULL;
	}
	if (name && !bpf_object__find_program_by_name(obj, name)) {
		zlb_err_set(err, "BPF object %s has no program '%s' (built for another hook, or by an older zon-lb?)",
			    path, name);
		bpf_object__close(obj);
		return NULL;
	}
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, to_load(prog, name));
	/* Without a pin directory libbpf would pin under /sys/fs/bpf. */
	if (!pin_dir)
		bpf_object__for_each_map(map, obj)
			bpf_map__set_pin_path(map, NULL);
	if (zlb_object_prepare(obj, ro, ct, err)) {
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

struct bpf_object *zlb_object_open(const char *path, const char *pin_dir,
				   const struct zlb_rodata *ro, const struct zlb_ct_sizes *ct,
				   struct zlb_err *err)
{
	return zlb_object_open_prog(path, NULL, pin_dir, ro, ct, err);
}

int zlb_object_load(struct bpf_object *obj, const char *path, struct zlb_err *err)
{
	int rc = bpf_object__load(obj);

	if (!rc)
		return 0;
	zlb_err_set(err, "cannot load BPF object %s: %s", path, strerror(-rc));
	return -1;
}

struct bpf_object *zlb_object_open_load(const char *path, struct zlb_err *err)
{
	struct bpf_object *obj = bpf_object__open_file(path, NULL);

	if (!obj) {
		zlb_err_set(err, "cannot open BPF object %s: %s", path, strerror(errno));
		return NULL;
	}
	if (zlb_object_load(obj, path, err)) {
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

int zlb_probe_fib_lookup_src(const char *path, bool *has)
{
	unsigned char frame[64] = {};
	struct bpf_program *prog;
	struct bpf_object *obj;
	struct bpf_map *map;
	int rc;

	obj = bpf_object__open_file(path, NULL);
	if (!obj)
		return -1;
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), "zlb_probe_fib_src"));
	/* The probe uses no map: none is created but the object's own data
	 * (a throw-away per-CPU array of every backend's counters alone took
	 * 30 ms of each load), and none is pinned. */
	bpf_object__for_each_map(map, obj) {
		bpf_map__set_pin_path(map, NULL);
		if (!bpf_map__is_internal(map))
			bpf_map__set_autocreate(map, false);
	}
	rc = bpf_object__load(obj);
	if (!rc) {
		LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame, .data_size_in = sizeof(frame));

		prog = bpf_object__find_program_by_name(obj, "zlb_probe_fib_src");
		rc = bpf_prog_test_run_opts(bpf_program__fd(prog), &run);
		*has = !rc && run.retval == XDP_PASS;
	}
	bpf_object__close(obj);
	return rc;
}
