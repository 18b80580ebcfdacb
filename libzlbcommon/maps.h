/* SPDX-License-Identifier: GPL-2.0 */
/* Opening zon-lb's pinned maps and writing a config model into them: the
 * one place that knows how a model becomes map entries (zlb-load and the
 * packet tests both fill maps through it). */
#ifndef ZLB_MAPS_H
#define ZLB_MAPS_H

#include <stdbool.h>
#include <linux/types.h>

#include "zlb_abi.h"
#include "config.h"
#include "log.h"

struct bpf_object;

enum zlb_map_id {
	ZLB_M_META, ZLB_M_SERVICES, ZLB_M_BACKENDS, ZLB_M_CONNTRACK, ZLB_M_FIB_CACHE,
	ZLB_M_NEIGH, ZLB_M_IFACES, ZLB_M_TX_PORTS, ZLB_M_STATS, ZLB_M_MAGLEV,
	ZLB_M_BE_STATS, ZLB_M_SNAT_ADDRS, ZLB_M_CONNTRACK4, ZLB_M_FLOW_MEMO, ZLB_M_FLOW_EPOCH,
	ZLB_M_COUNT,
};

extern const char *const zlb_map_names[ZLB_M_COUNT];

struct zlb_maps {
	int fd[ZLB_M_COUNT];
};

/* What the kernel side of a load resolved for the model: the interfaces
 * in config order, and per backend (in config order, services then their
 * backends) the source address to write in its map entry (zeros: the FIB
 * gives it) and the source address it will use (for zlb_snat_addrs; zeros
 * when unknown). */
struct zlb_iface_info {
	__u32 ifindex;
	__u8 mac[6];
};

struct zlb_resolved {
	const struct zlb_iface_info *ifaces;   /* cfg->nifaces entries */
	const union zlb_addr *backend_src;     /* zlb_config_backend_count() entries */
	const union zlb_addr *backend_snat;    /* likewise */
	const __u16 *iface_flags;              /* cfg->nifaces ZLB_IF_F_*; NULL: all 0 */
};

size_t zlb_config_backend_count(const struct zlb_config *cfg);

void zlb_maps_init(struct zlb_maps *m);
void zlb_maps_close(struct zlb_maps *m);
/* Open every pinned map in @dir. Fails, naming the problem, when zon-lb is
 * not loaded there or the maps carry another ABI version. */
int zlb_maps_open_pinned(const char *dir, struct zlb_maps *m, struct zlb_err *err);
/* The ABI version recorded in @dir's pinned meta map: 0 when none is
 * pinned yet (or never written), -1 on error. */
int zlb_maps_pinned_abi(const char *dir, __u32 *version, struct zlb_err *err);
/* Take the map fds of a loaded object (not duplicated: valid while @obj). */
int zlb_maps_from_object(struct bpf_object *obj, struct zlb_maps *m, struct zlb_err *err);

/* Write @cfg into the maps: backends into the inactive half, then services,
 * interfaces, devmap, and last the meta entry. Entries no longer in @cfg are
 * removed. The connection table is left alone. */
int zlb_maps_apply(const struct zlb_maps *m, const struct zlb_config *cfg,
		   const struct zlb_resolved *res, struct zlb_err *err);

/* The configuration maps as they were before a load (see maps.c), so that
 * a load that fails after zlb_maps_apply() can put them back. */
struct zlb_maps_saved;

/* Take a copy of the configuration maps; NULL when out of memory or a map
 * cannot be read. */
struct zlb_maps_saved *zlb_maps_save(const struct zlb_maps *m, struct zlb_err *err);
/* Put the saved entries back (every other entry goes), with a generation
 * above the current one; -1 and @err when the kernel refused a write. */
int zlb_maps_restore(const struct zlb_maps *m, const struct zlb_maps_saved *s,
		     struct zlb_err *err);
void zlb_maps_saved_free(struct zlb_maps_saved *s);

/* The global counters (zlb_stats), summed over CPUs. */
int zlb_maps_read_counters(const struct zlb_maps *m, __u64 total[ZLB_C_MAX]);

/* The ifindexes zon-lb is configured on (zlb_ifaces keys); returns count. */
int zlb_maps_ifindexes(const struct zlb_maps *m, __u32 *out, int max);

#endif
