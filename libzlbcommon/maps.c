// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "maps.h"
#include "addr.h"
#include "pin.h"
#include "maglev.h"

const char *const zlb_map_names[ZLB_M_COUNT] = {
	[ZLB_M_META] = ZLB_MAP_META,
	[ZLB_M_SERVICES] = ZLB_MAP_SERVICES,
	[ZLB_M_BACKENDS] = ZLB_MAP_BACKENDS,
	[ZLB_M_CONNTRACK] = ZLB_MAP_CONNTRACK,
	[ZLB_M_FIB_CACHE] = ZLB_MAP_FIB_CACHE,
	[ZLB_M_NEIGH] = ZLB_MAP_NEIGH,
	[ZLB_M_IFACES] = ZLB_MAP_IFACES,
	[ZLB_M_TX_PORTS] = ZLB_MAP_TX_PORTS,
	[ZLB_M_STATS] = ZLB_MAP_STATS,
	[ZLB_M_MAGLEV] = ZLB_MAP_MAGLEV,
	[ZLB_M_BE_STATS] = ZLB_MAP_BE_STATS,
	[ZLB_M_SNAT_ADDRS] = ZLB_MAP_SNAT_ADDRS,
	[ZLB_M_CONNTRACK4] = ZLB_MAP_CONNTRACK4,
	[ZLB_M_FLOW_MEMO] = ZLB_MAP_FLOW_MEMO,
	[ZLB_M_FLOW_EPOCH] = ZLB_MAP_FLOW_EPOCH,
};

size_t zlb_config_backend_count(const struct zlb_config *cfg)
{
	size_t n = 0;

	for (size_t i = 0; i < cfg->nservices; i++)
		n += cfg->services[i].nbackends;
	return n;
}

void zlb_maps_init(struct zlb_maps *m)
{
	for (int i = 0; i < ZLB_M_COUNT; i++)
		m->fd[i] = -1;
}

void zlb_maps_close(struct zlb_maps *m)
{
	for (int i = 0; i < ZLB_M_COUNT; i++) {
		if (m->fd[i] >= 0)
			close(m->fd[i]);
		m->fd[i] = -1;
	}
}

static int read_meta(int fd, void *meta)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(fd, &zero, meta);
}

int zlb_maps_pinned_abi(const char *dir, __u32 *version, struct zlb_err *err)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	void *buf;
	int fd;

	*version = 0;
	if (!zlb_pin_path(path, sizeof(path), dir, ZLB_MAP_META)) {
		zlb_err_set(err, "pin directory '%s' is too long", dir);
		return -1;
	}
	fd = bpf_obj_get(path);
	if (fd < 0)
		return errno == ENOENT ? 0 : (zlb_err_set(err, "%s: %s", path, strerror(errno)), -1);
	/* Another ABI may have another zlb_meta: a lookup writes the pinned
	 * map's value size, whatever ours is, so read that size and take
	 * the version from its start, where every ABI keeps it. */
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		zlb_err_set(err, "%s: cannot read the map's info: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (info.value_size < sizeof(*version)) {
		zlb_err_set(err, "%s: not zon-lb's meta map (value size %u)", path, info.value_size);
		close(fd);
		return -1;
	}
	buf = calloc(1, info.value_size);
	if (!buf || read_meta(fd, buf)) {
		zlb_err_set(err, "%s: cannot read: %s", path, buf ? strerror(errno) : "out of memory");
		free(buf);
		close(fd);
		return -1;
	}
	close(fd);
	memcpy(version, buf, sizeof(*version));
	free(buf);
	if (*version == ZLB_ABI_VERSION && info.value_size != sizeof(struct zlb_meta)) {
		zlb_err_set(err, "%s: value size %u, ABI version %u has %zu", path, info.value_size,
			    ZLB_ABI_VERSION, sizeof(struct zlb_meta));
		return -1;
	}
	return 0;
}

int zlb_maps_open_pinned(const char *dir, struct zlb_maps *m, struct zlb_err *err)
{
	char path[PATH_MAX];
	__u32 version;

	zlb_maps_init(m);
	if (zlb_maps_pinned_abi(dir, &version, err))
		return -1;
	if (version != ZLB_ABI_VERSION) {
		if (version == 0)
			zlb_err_set(err, "zon-lb is not loaded: no pinned maps in %s (load with zlb-load, or point %s at the right pin directory)",
				    dir, ZLB_PIN_ENV);
		else
			zlb_err_set(err, "the maps pinned in %s carry ABI version %u, this tool speaks version %u",
				    dir, version, ZLB_ABI_VERSION);
		return -1;
	}
	for (int i = 0; i < ZLB_M_COUNT; i++) {
		zlb_pin_path(path, sizeof(path), dir, zlb_map_names[i]);
		m->fd[i] = bpf_obj_get(path);
		if (m->fd[i] < 0) {
			zlb_err_set(err, "%s: %s", path, strerror(errno));
			zlb_maps_close(m);
			return -1;
		}
	}
	return 0;
}

int zlb_maps_from_object(struct bpf_object *obj, struct zlb_maps *m, struct zlb_err *err)
{
	for (int i = 0; i < ZLB_M_COUNT; i++) {
		struct bpf_map *map = bpf_object__find_map_by_name(obj, zlb_map_names[i]);

		m->fd[i] = map ? bpf_map__fd(map) : -1;
		/* The tc build sends by ifindex: no devmap. */
		if (m->fd[i] < 0 && i == ZLB_M_TX_PORTS && !map)
			continue;
		if (m->fd[i] < 0) {
			zlb_err_set(err, "BPF object has no loaded map '%s'", zlb_map_names[i]);
			return -1;
		}
	}
	return 0;
}

/* Delete every key of @fd for which @keep says no. Keys are collected
 * first: deleting while walking would restart the walk. */
static int prune(int fd, size_t key_size, bool (*keep)(const void *key, const void *ctx),
		 const void *ctx)
{
	unsigned char cur[64], next[64];
	unsigned char *victims = NULL;
	size_t n = 0, cap = 0;
	void *prev = NULL;
	int ret = 0;

	while (bpf_map_get_next_key(fd, prev, next) == 0) {
		if (!keep(next, ctx)) {
			if (n == cap) {
				unsigned char *v = realloc(victims, (cap = cap ? cap * 2 : 16) * key_size);

				if (!v) {
					ret = -ENOMEM;
					break;
				}
				victims = v;
			}
			memcpy(victims + n++ * key_size, next, key_size);
		}
		memcpy(cur, next, key_size);
		prev = cur;
	}
	for (size_t i = 0; i < n && !ret; i++)
		if (bpf_map_delete_elem(fd, victims + i * key_size) && errno != ENOENT)
			ret = -errno;
	free(victims);
	return ret;
}

/* A service's key, or with @echo its address's echo key: ICMP for IPv4,
 * ICMPv6 for IPv6, port 0. */
static void svc_key(struct zlb_svc_key *k, const struct zlb_cfg_service *s, bool echo)
{
	memset(k, 0, sizeof(*k));
	k->addr = s->addr;
	k->port = echo ? 0 : htons(s->port);
	k->proto = !echo ? s->proto : zlb_addr_is_v4(&s->addr) ? IPPROTO_ICMP : IPPROTO_ICMPV6;
}

static bool svc_wanted(const void *key, const void *ctx)
{
	const struct zlb_config *cfg = ctx;
	struct zlb_svc_key k;

	for (size_t i = 0; i < cfg->nservices; i++) {
		svc_key(&k, &cfg->services[i], false);
		if (!memcmp(&k, key, sizeof(k)))
			return true;
		svc_key(&k, &cfg->services[i], true);
		if (cfg->services[i].takes_icmp_echo && !memcmp(&k, key, sizeof(k)))
			return true;
	}
	return false;
}

struct iface_set {
	const struct zlb_resolved *res;
	size_t n;
};

static bool iface_wanted(const void *key, const void *ctx)
{
	const struct iface_set *set = ctx;

	for (size_t i = 0; i < set->n; i++)
		if (set->res->ifaces[i].ifindex == *(const __u32 *)key)
			return true;
	return false;
}

/* Say which backends of @s, weighted above 0, got no entry of its Maglev
 * @table: they would get no new flow, and nothing else would tell. */
static void warn_starved(const struct zlb_cfg_service *s, const uint16_t *weights,
			 const uint32_t *table, uint32_t size)
{
	size_t starved[ZLB_MAX_BACKENDS_PER_SVC];
	size_t n = zlb_maglev_starved(weights, s->nbackends, table, size, starved);
	char a[ZLB_ADDR_PORT_LEN];

	for (size_t i = 0; i < n; i++) {
		const struct zlb_cfg_backend *b = &s->backends[starved[i]];

		pr_warn("service '%s': backend %s (weight %u) got none of the %u entries of its Maglev table: it gets no new flows (raise table_size, or bring the weights closer)\n",
			s->name, zlb_fmt_addr_port(a, &b->addr, htons(b->port)), b->weight, size);
	}
}

/* Build service @s's Maglev table (entries: backend indexes in the
 * service, ZLB_MAGLEV_CHUNK to an element; zlb_abi.h) in a new inner map;
 * its fd, or -1. */
static int build_maglev(const struct zlb_cfg_service *s, const struct zlb_service *val,
			struct zlb_err *err)
{
	uint64_t keys[ZLB_MAX_BACKENDS_PER_SVC];
	uint16_t weights[ZLB_MAX_BACKENDS_PER_SVC];
	__u32 nchunks = (val->maglev_size + ZLB_MAGLEV_CHUNK - 1) / ZLB_MAGLEV_CHUNK;
	uint32_t *table = malloc(sizeof(*table) * val->maglev_size);
	struct zlb_maglev_chunk *chunks = calloc(nchunks, sizeof(*chunks));
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	__u32 *idx = malloc(sizeof(*idx) * nchunks), count = nchunks;
	int fd = -1, rc = -1;

	if (!table || !idx || !chunks) {
		zlb_err_set(err, "service '%s': out of memory for its Maglev table", s->name);
		goto out;
	}
	for (size_t j = 0; j < s->nbackends; j++) {
		keys[j] = zlb_maglev_key(&s->backends[j].addr, s->backends[j].port);
		weights[j] = s->backends[j].weight;
	}
	/* all weights 0 (ENOENT) leaves a table of NONE: a drained service */
	if (zlb_maglev_build(keys, weights, s->nbackends, val->maglev_size, table) &&
	    errno != ENOENT) {
		zlb_err_set(err, "service '%s': cannot build its Maglev table: %s", s->name,
			    strerror(errno));
		goto out;
	}
	warn_starved(s, weights, table, val->maglev_size);
	memset(chunks, ZLB_MAGLEV_NO_BACKEND, nchunks * sizeof(*chunks));
	for (__u32 k = 0; k < val->maglev_size; k++)
		if (table[k] != ZLB_MAGLEV_NONE)
			chunks[k / ZLB_MAGLEV_CHUNK].be[k % ZLB_MAGLEV_CHUNK] = table[k];
	for (__u32 c = 0; c < nchunks; c++)
		idx[c] = c;
	/* BPF_F_INNER_MAP: as the template of zlb_maglev, any size fits */
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = BPF_F_INNER_MAP);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "zlb_maglev_svc", sizeof(__u32), sizeof(*chunks),
			    nchunks, &copts);
	if (fd < 0 || bpf_map_update_batch(fd, idx, chunks, &count, &bopts)) {
		zlb_err_set(err, "service '%s': cannot make its Maglev table (%u entries): %s",
			    s->name, val->maglev_size, strerror(errno));
		goto out;
	}
	rc = fd;
	fd = -1;
out:
	if (fd >= 0)
		close(fd);
	free(table);
	free(chunks);
	free(idx);
	return rc;
}

/* Put the @n tables in @fds at @keys of zlb_maglev in one batch: the
 * kernel waits for running programs (an RCU grace period) once per call on
 * a map of maps, not once per table. */
static int install_maglev(const struct zlb_maps *m, __u32 *keys, int *fds, __u32 n,
			  struct zlb_err *err)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	__u32 count = n;

	if (n && bpf_map_update_batch(m->fd[ZLB_M_MAGLEV], keys, fds, &count, &bopts)) {
		zlb_err_set(err, "cannot install the Maglev tables: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- counters of ids that change hands ---------------------------------- */

/* Ids are positions in the config (zlb_abi.h), so a reload can give an id
 * to another service or backend than the one that had it: removing a
 * backend moves the ones after it up. The counters under an id are its
 * owner's: what owned each id before a load (the service's key; and the
 * backend's address and port), read from the maps before they change. */
struct id_owner {
	struct zlb_svc_key svc;
	union zlb_addr addr;
	__be16 port;
	__u8 used;
};

struct id_owners {
	struct id_owner svc[ZLB_MAX_SERVICES];
	struct id_owner be[ZLB_MAX_SERVICES * ZLB_MAX_BACKENDS_PER_SVC];
};

static bool same_owner(const struct id_owner *a, const struct id_owner *b)
{
	if (!a->used || !b->used)
		return a->used == b->used;
	return !memcmp(&a->svc, &b->svc, sizeof(a->svc)) &&
	       !memcmp(&a->addr, &b->addr, sizeof(a->addr)) && a->port == b->port;
}

static void read_owners(const struct zlb_maps *m, struct id_owners *o)
{
	struct zlb_svc_key key, *prev = NULL;
	struct zlb_service val;
	struct zlb_backend be;

	while (bpf_map_get_next_key(m->fd[ZLB_M_SERVICES], prev, &key) == 0) {
		prev = &key;
		/* an address's echo key shares its service's value */
		if (key.proto != IPPROTO_TCP && key.proto != IPPROTO_UDP)
			continue;
		if (bpf_map_lookup_elem(m->fd[ZLB_M_SERVICES], &key, &val) ||
		    val.id >= ZLB_MAX_SERVICES)
			continue;
		o->svc[val.id] = (struct id_owner){ .svc = key, .used = 1 };
		for (__u32 j = 0; j < val.backend_count && j < ZLB_MAX_BACKENDS_PER_SVC; j++) {
			__u32 slot = val.backend_base + j;

			if (bpf_map_lookup_elem(m->fd[ZLB_M_BACKENDS], &slot, &be) ||
			    zlb_addr_is_zero(&be.addr) || be.id >= ZLB_MAX_SERVICES * ZLB_MAX_BACKENDS_PER_SVC)
				continue;
			o->be[be.id] = (struct id_owner){ .svc = key, .addr = be.addr,
							  .port = be.port, .used = 1 };
		}
	}
}

/* Zero the counters of every id of @cfg whose owner is not the one in @old
 * (an id that had none included): a service or backend that gets an id
 * starts from zero, never from another's totals. Ids that keep their owner
 * keep their counters. Before the services switch to @cfg, so that the new
 * owner's first packets are its own. Best effort: counters are not worth
 * failing a load. */
static void zero_moved_counters(const struct zlb_maps *m, const struct zlb_config *cfg,
				const struct id_owners *old)
{
	int ncpu = libbpf_num_possible_cpus();
	struct zlb_traffic *t;
	struct zlb_counters *all = NULL;
	bool svc_moved[ZLB_MAX_SERVICES] = { false };
	bool any = false;
	__u32 zero = 0;

	if (ncpu <= 0 || !(t = calloc(ncpu, sizeof(*t))))
		return;
	for (size_t i = 0; i < cfg->nservices && i < ZLB_MAX_SERVICES; i++) {
		const struct zlb_cfg_service *s = &cfg->services[i];
		struct id_owner now = { .used = 1 };

		svc_key(&now.svc, s, false);
		if (!same_owner(&old->svc[i], &now))
			any = svc_moved[i] = true;
		for (size_t j = 0; j < s->nbackends && j < ZLB_MAX_BACKENDS_PER_SVC; j++) {
			__u32 id = i * ZLB_MAX_BACKENDS_PER_SVC + j;
			struct id_owner be = { .svc = now.svc, .addr = s->backends[j].addr,
					       .port = htons(s->backends[j].port), .used = 1 };

			if (!same_owner(&old->be[id], &be))
				bpf_map_update_elem(m->fd[ZLB_M_BE_STATS], &id, t, BPF_ANY);
		}
	}
	/* zlb_stats is one value per CPU: read, zero the services, write back */
	if (any && (all = calloc(ncpu, sizeof(*all))) &&
	    !bpf_map_lookup_elem(m->fd[ZLB_M_STATS], &zero, all)) {
		for (int c = 0; c < ncpu; c++)
			for (size_t i = 0; i < ZLB_MAX_SERVICES; i++)
				if (svc_moved[i])
					memset(&all[c].svcs[i], 0, sizeof(all[c].svcs[i]));
		bpf_map_update_elem(m->fd[ZLB_M_STATS], &zero, all, BPF_ANY);
	}
	free(all);
	free(t);
}

static int apply_services(const struct zlb_maps *m, const struct zlb_config *cfg,
			  const struct zlb_resolved *res, __u32 half, struct zlb_err *err)
{
	size_t flat = 0, n = cfg->nservices, built = 0;
	struct zlb_service *vals = calloc(n + 1, sizeof(*vals));
	__u32 *mkeys = calloc(n + 1, sizeof(*mkeys));
	int *mfds = calloc(n + 1, sizeof(*mfds));
	struct id_owners *owners = NULL;
	int rc = -1;

	if (!vals || !mkeys || !mfds || !(owners = calloc(1, sizeof(*owners)))) {
		zlb_err_set(err, "out of memory");
		goto out;
	}
	read_owners(m, owners);
	/* Backends and tables first, in the half no packet uses ... */
	for (size_t i = 0; i < n; i++) {
		const struct zlb_cfg_service *s = &cfg->services[i];
		struct zlb_service *val = &vals[i];

		val->id = i;
		val->backend_base = half * ZLB_BACKEND_HALF + i * ZLB_MAX_BACKENDS_PER_SVC;
		val->backend_count = s->nbackends;
		val->maglev_key = half * ZLB_MAX_SERVICES + i;
		val->maglev_size = s->table_size;
		for (size_t j = 0; j < s->nbackends; j++, flat++) {
			struct zlb_backend be = {
				.addr = s->backends[j].addr,
				.src = res->backend_src[flat],
				.port = htons(s->backends[j].port),
				.weight = s->backends[j].weight,
				.service_id = i,
				.id = i * ZLB_MAX_BACKENDS_PER_SVC + j,
			};
			__u32 slot = val->backend_base + j;

			if (bpf_map_update_elem(m->fd[ZLB_M_BACKENDS], &slot, &be, BPF_ANY)) {
				zlb_err_set(err, "writing backend %zu of service '%s': %s", j, s->name, strerror(errno));
				goto out;
			}
		}
		mkeys[i] = val->maglev_key;
		mfds[i] = build_maglev(s, val, err);
		if (mfds[i] < 0)
			goto out;
		built++;
	}
	if (install_maglev(m, mkeys, mfds, n, err))
		goto out;
	zero_moved_counters(m, cfg, owners);
	/* ... then the services switch to them, one atomic update each. */
	for (size_t i = 0; i < n; i++) {
		const struct zlb_cfg_service *s = &cfg->services[i];
		struct zlb_svc_key key;

		svc_key(&key, s, false);
		if (bpf_map_update_elem(m->fd[ZLB_M_SERVICES], &key, &vals[i], BPF_ANY))
			goto fail;
		svc_key(&key, s, true);
		if (s->takes_icmp_echo &&
		    bpf_map_update_elem(m->fd[ZLB_M_SERVICES], &key, &vals[i], BPF_ANY))
			goto fail;
		continue;
fail:
		zlb_err_set(err, "writing service '%s': %s", s->name, strerror(errno));
		goto out;
	}
	if (prune(m->fd[ZLB_M_SERVICES], sizeof(struct zlb_svc_key), svc_wanted, cfg)) {
		zlb_err_set(err, "removing old services: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < built; i++)
		close(mfds[i]);
	free(owners);
	free(vals);
	free(mkeys);
	free(mfds);
	return rc;
}

static int apply_ifaces(const struct zlb_maps *m, const struct zlb_config *cfg,
			const struct zlb_resolved *res, struct zlb_err *err)
{
	struct iface_set set = { res, cfg->nifaces };

	for (size_t i = 0; i < cfg->nifaces; i++) {
		const struct zlb_iface_info *ii = &res->ifaces[i];
		struct zlb_iface val = { .slot = i, .flags = res->iface_flags ? res->iface_flags[i] : 0 };

		memcpy(val.mac, ii->mac, sizeof(val.mac));
		if (bpf_map_update_elem(m->fd[ZLB_M_IFACES], &ii->ifindex, &val, BPF_ANY) ||
		    (m->fd[ZLB_M_TX_PORTS] >= 0 &&
		     bpf_map_update_elem(m->fd[ZLB_M_TX_PORTS], &ii->ifindex, &ii->ifindex, BPF_ANY))) {
			zlb_err_set(err, "interface %s: cannot add to the interface maps: %s",
				    cfg->ifaces[i].name, strerror(errno));
			return -1;
		}
	}
	if (prune(m->fd[ZLB_M_IFACES], sizeof(__u32), iface_wanted, &set) ||
	    (m->fd[ZLB_M_TX_PORTS] >= 0 &&
	     prune(m->fd[ZLB_M_TX_PORTS], sizeof(__u32), iface_wanted, &set))) {
		zlb_err_set(err, "removing old interfaces: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* The load balancer's own addresses (zlb_snat_addrs): the backends'
 * source addresses and the service addresses, each with its ZLB_ADDR_F_*
 * flags, sorted and unique (a thousand services share few addresses). */
struct own_addr {
	union zlb_addr addr;
	__u32 flags;
};

struct own_addrs {
	struct own_addr *a;
	size_t n;
};

static int own_addr_cmp(const void *x, const void *y)
{
	return memcmp(&((const struct own_addr *)x)->addr, &((const struct own_addr *)y)->addr,
		      sizeof(union zlb_addr));
}

static bool own_addr_wanted(const void *key, const void *ctx)
{
	const struct own_addrs *own = ctx;
	struct own_addr k = { .addr = *(const union zlb_addr *)key };

	return bsearch(&k, own->a, own->n, sizeof(k), own_addr_cmp) != NULL;
}

static int own_addrs_collect(struct own_addrs *own, const struct zlb_config *cfg,
			     const struct zlb_resolved *res)
{
	size_t nsrc = zlb_config_backend_count(cfg), n = 0;

	own->a = calloc(nsrc + cfg->nservices + 1, sizeof(*own->a));
	if (!own->a)
		return -1;
	for (size_t i = 0; i < nsrc; i++)
		if (!zlb_addr_is_zero(&res->backend_snat[i]))
			own->a[n++] = (struct own_addr){ res->backend_snat[i], ZLB_ADDR_F_SOURCE };
	for (size_t i = 0; i < cfg->nservices; i++)
		own->a[n++] = (struct own_addr){ cfg->services[i].addr, ZLB_ADDR_F_SERVICE };
	qsort(own->a, n, sizeof(*own->a), own_addr_cmp);
	own->n = 0;
	for (size_t i = 0; i < n; i++) {
		if (own->n && !own_addr_cmp(&own->a[own->n - 1], &own->a[i]))
			own->a[own->n - 1].flags |= own->a[i].flags;
		else
			own->a[own->n++] = own->a[i];
	}
	return 0;
}

static int apply_snat_addrs(const struct zlb_maps *m, const struct zlb_config *cfg,
			    const struct zlb_resolved *res, struct zlb_err *err)
{
	struct own_addrs own;
	int rc = -1;

	if (own_addrs_collect(&own, cfg, res)) {
		zlb_err_set(err, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < own.n; i++)
		if (bpf_map_update_elem(m->fd[ZLB_M_SNAT_ADDRS], &own.a[i].addr, &own.a[i].flags,
					BPF_ANY)) {
			zlb_err_set(err, "cannot write %s: %s", ZLB_MAP_SNAT_ADDRS, strerror(errno));
			goto out;
		}
	if (prune(m->fd[ZLB_M_SNAT_ADDRS], sizeof(union zlb_addr), own_addr_wanted, &own)) {
		zlb_err_set(err, "removing old own addresses: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(own.a);
	return rc;
}

/* Free the tables at the @n @keys of zlb_maglev: each gets one small
 * placeholder table, all in one batch (see install_maglev; an array of
 * maps has no batch delete). */
static int drop_maglev_keys(const struct zlb_maps *m, __u32 *keys, __u32 n)
{
	LIBBPF_OPTS(bpf_map_create_opts, copts, .map_flags = BPF_F_INNER_MAP);
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	int fds[2 * ZLB_MAX_SERVICES], fd, rc;

	if (!n)
		return 0;
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "zlb_maglev_none", sizeof(__u32),
			    sizeof(struct zlb_maglev_chunk), 1, &copts);
	if (fd < 0)
		return -1;
	for (__u32 i = 0; i < n; i++)
		fds[i] = fd;
	rc = bpf_map_update_batch(m->fd[ZLB_M_MAGLEV], keys, fds, &n, &bopts);
	close(fd);
	return rc;
}

/* Free the tables of the half no service points at any more. */
static void drop_maglev_half(const struct zlb_maps *m, __u32 half)
{
	__u32 keys[ZLB_MAX_SERVICES], n = 0, id;

	for (__u32 k = half * ZLB_MAX_SERVICES; k < (half + 1) * ZLB_MAX_SERVICES; k++)
		if (!bpf_map_lookup_elem(m->fd[ZLB_M_MAGLEV], &k, &id))
			keys[n++] = k;
	drop_maglev_keys(m, keys, n);
}

/* The half of zlb_backends and zlb_maglev to write: the one fewer services
 * point at -- none after a complete load. zlb_meta's word is not enough: a
 * load killed between switching services and writing zlb_meta leaves it
 * naming the wrong one. */
static __u32 free_half(const struct zlb_maps *m, const struct zlb_meta *meta)
{
	struct zlb_svc_key key, *prev = NULL;
	struct zlb_service val;
	__u32 users[2] = { 0, 0 };

	while (bpf_map_get_next_key(m->fd[ZLB_M_SERVICES], prev, &key) == 0) {
		if (!bpf_map_lookup_elem(m->fd[ZLB_M_SERVICES], &key, &val))
			users[val.maglev_key >= ZLB_MAX_SERVICES]++;
		prev = &key;
	}
	if (users[0] != users[1])
		return users[0] > users[1];
	return meta->abi_version == ZLB_ABI_VERSION ? !meta->backend_half : 0;
}

int zlb_maps_apply(const struct zlb_maps *m, const struct zlb_config *cfg,
		   const struct zlb_resolved *res, struct zlb_err *err)
{
	struct zlb_meta meta = {};
	__u32 zero = 0, half;

	if (read_meta(m->fd[ZLB_M_META], &meta)) {
		zlb_err_set(err, "cannot read %s: %s", ZLB_MAP_META, strerror(errno));
		return -1;
	}
	half = free_half(m, &meta);
	/* Addresses first: a reply must never find its source unknown. */
	if (apply_snat_addrs(m, cfg, res, err) || apply_services(m, cfg, res, half, err) ||
	    apply_ifaces(m, cfg, res, err))
		return -1;
	drop_maglev_half(m, !half);
	meta.abi_version = ZLB_ABI_VERSION;
	meta.backend_half = half;
	meta.fib_cache_ns = (__u64)cfg->fib_cache_ms * 1000000ULL;
	for (int st = 0; st < ZLB_CT_STATE_MAX; st++)
		meta.timeout_ns[st] = (__u64)cfg->timeout_s[st] * 1000000000ULL;
	meta.snat_port_min = cfg->snat_port_min;
	meta.snat_port_max = cfg->snat_port_max;
	meta.conntrack_size = cfg->conntrack_size;
	meta.generation++;
	if (bpf_map_update_elem(m->fd[ZLB_M_META], &zero, &meta, BPF_ANY)) {
		zlb_err_set(err, "cannot write %s: %s", ZLB_MAP_META, strerror(errno));
		return -1;
	}
	/* Cached routes carry the egress interface's counter slot and flags,
	 * which this config may have changed: the new generation makes every
	 * CPU's cached route stale (zlb_fib_cache). */
	return 0;
}

/* ---- putting the configuration maps back after a failed load ----------- */

/* One map's entries: keys and values, each in one array. */
struct saved_map {
	enum zlb_map_id id;
	__u32 key_size, value_size;
	size_t n;
	unsigned char *keys, *values;
};

/* What zlb_maps_apply() writes, as it was: zlb_backends is not saved (a
 * load writes only the half no service points at); each Maglev table is
 * held by an fd of its own, since the load that replaces it frees it. */
struct zlb_maps_saved {
	struct zlb_meta meta;
	struct saved_map map[4];        /* snat addresses, services, interfaces, devmap */
	size_t nmaps;
	__u32 mkeys[2 * ZLB_MAX_SERVICES];
	int mfds[2 * ZLB_MAX_SERVICES];
	__u32 nmaglev;
};

static int save_map(int fd, enum zlb_map_id id, struct saved_map *sm)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	unsigned char key[64], *prev = NULL;
	size_t cap = 0;

	sm->id = id;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	if (info.key_size > sizeof(key)) {
		errno = E2BIG;
		return -1;
	}
	sm->key_size = info.key_size;
	sm->value_size = info.value_size;
	while (bpf_map_get_next_key(fd, prev, key) == 0) {
		if (sm->n == cap) {
			unsigned char *k, *v;

			cap = cap ? cap * 2 : 64;
			k = realloc(sm->keys, cap * sm->key_size);
			if (k)
				sm->keys = k;
			v = realloc(sm->values, cap * sm->value_size);
			if (v)
				sm->values = v;
			if (!k || !v) {
				errno = ENOMEM;
				return -1;
			}
		}
		memcpy(sm->keys + sm->n * sm->key_size, key, sm->key_size);
		prev = sm->keys + sm->n * sm->key_size;
		if (bpf_map_lookup_elem(fd, key, sm->values + sm->n * sm->value_size)) {
			if (errno == ENOENT)    /* gone meanwhile */
				continue;
			return -1;
		}
		sm->n++;
	}
	return 0;
}

struct zlb_maps_saved *zlb_maps_save(const struct zlb_maps *m, struct zlb_err *err)
{
	static const enum zlb_map_id ids[] = {
		ZLB_M_SNAT_ADDRS, ZLB_M_SERVICES, ZLB_M_IFACES, ZLB_M_TX_PORTS,
	};
	struct zlb_maps_saved *s = calloc(1, sizeof(*s));
	__u32 id;

	if (!s) {
		zlb_err_set(err, "out of memory");
		return NULL;
	}
	if (read_meta(m->fd[ZLB_M_META], &s->meta)) {
		zlb_err_set(err, "cannot read %s: %s", ZLB_MAP_META, strerror(errno));
		goto fail;
	}
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		if (m->fd[ids[i]] < 0)   /* the tc build's maps: no devmap */
			continue;
		if (save_map(m->fd[ids[i]], ids[i], &s->map[s->nmaps++])) {
			zlb_err_set(err, "cannot read %s: %s", zlb_map_names[ids[i]],
				    strerror(errno));
			goto fail;
		}
	}
	for (__u32 k = 0; k < 2 * ZLB_MAX_SERVICES; k++) {
		int fd;

		if (bpf_map_lookup_elem(m->fd[ZLB_M_MAGLEV], &k, &id))
			continue;
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0) {
			zlb_err_set(err, "cannot open Maglev table %u (map id %u): %s", k, id,
				    strerror(errno));
			goto fail;
		}
		s->mkeys[s->nmaglev] = k;
		s->mfds[s->nmaglev++] = fd;
	}
	return s;
fail:
	zlb_maps_saved_free(s);
	return NULL;
}

static bool saved_has(const void *key, const void *ctx)
{
	const struct saved_map *sm = ctx;

	for (size_t i = 0; i < sm->n; i++)
		if (!memcmp(sm->keys + i * sm->key_size, key, sm->key_size))
			return true;
	return false;
}

static int restore_map(const struct zlb_maps *m, const struct saved_map *sm)
{
	int fd = m->fd[sm->id];

	for (size_t i = 0; i < sm->n; i++)
		if (bpf_map_update_elem(fd, sm->keys + i * sm->key_size,
					sm->values + i * sm->value_size, BPF_ANY))
			return -1;
	return prune(fd, sm->key_size, saved_has, sm) ? -1 : 0;
}

/* In zlb_maps_apply()'s order: addresses, tables, services, interfaces,
 * and zlb_meta last, with a new generation: what packets cached under the
 * failed load's is stale. */
int zlb_maps_restore(const struct zlb_maps *m, const struct zlb_maps_saved *s,
		     struct zlb_err *err)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	__u32 keys[2 * ZLB_MAX_SERVICES], n = 0, count = s->nmaglev, zero = 0, id;
	bool kept[2 * ZLB_MAX_SERVICES] = { false };
	struct zlb_meta meta = s->meta, now;
	size_t i;

	for (i = 0; i < s->nmaps && s->map[i].id == ZLB_M_SNAT_ADDRS; i++)
		if (restore_map(m, &s->map[i]))
			goto fail;
	if (count && bpf_map_update_batch(m->fd[ZLB_M_MAGLEV], s->mkeys, s->mfds, &count, &bopts))
		goto fail;
	for (; i < s->nmaps; i++)
		if (restore_map(m, &s->map[i]))
			goto fail;
	/* The tables the failed load added, now that no service points at them. */
	for (__u32 j = 0; j < s->nmaglev; j++)
		kept[s->mkeys[j]] = true;
	for (__u32 k = 0; k < 2 * ZLB_MAX_SERVICES; k++)
		if (!kept[k] && !bpf_map_lookup_elem(m->fd[ZLB_M_MAGLEV], &k, &id))
			keys[n++] = k;
	if (drop_maglev_keys(m, keys, n))
		goto fail;
	if (!read_meta(m->fd[ZLB_M_META], &now) && now.generation >= meta.generation)
		meta.generation = now.generation + 1;
	if (bpf_map_update_elem(m->fd[ZLB_M_META], &zero, &meta, BPF_ANY))
		goto fail;
	return 0;
fail:
	zlb_err_set(err, "cannot put the previous configuration back: %s", strerror(errno));
	return -1;
}

void zlb_maps_saved_free(struct zlb_maps_saved *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nmaps; i++) {
		free(s->map[i].keys);
		free(s->map[i].values);
	}
	for (__u32 i = 0; i < s->nmaglev; i++)
		close(s->mfds[i]);
	free(s);
}

int zlb_maps_ifindexes(const struct zlb_maps *m, __u32 *out, int max)
{
	__u32 key, *prev = NULL;
	int n = 0;

	while (n < max && bpf_map_get_next_key(m->fd[ZLB_M_IFACES], prev, &key) == 0) {
		out[n] = key;
		prev = &out[n++];
	}
	return n;
}

int zlb_maps_read_counters(const struct zlb_maps *m, __u64 total[ZLB_C_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct zlb_counters *v;
	__u32 zero = 0;

	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return -1;
	if (bpf_map_lookup_elem(m->fd[ZLB_M_STATS], &zero, v)) {
		free(v);
		return -1;
	}
	for (__u32 c = 0; c < ZLB_C_MAX; c++) {
		total[c] = 0;
		for (int i = 0; i < ncpu; i++)
			total[c] += v[i].c[c];
	}
	free(v);
	return 0;
}
