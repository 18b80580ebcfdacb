// SPDX-License-Identifier: GPL-2.0
/*
 * zlb-load: config -> validated model -> maps -> attach.
 *
 * Everything that can fail on the user's input (the config, its interfaces,
 * programs already attached) is checked before the kernel is touched, so a
 * refused load leaves the running state as it was.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/neighbour.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "zlb_abi.h"
#include "config.h"
#include "log.h"
#include "maps.h"
#include "netlink.h"
#include "pin.h"
#include "resolve.h"
#include "object.h"
#include "attach.h"
#include "attach_tc.h"
#include "service.h"
#include "tools.h"

#define NEIGH_WAIT_MS 1000

/* Loading takes CAP_BPF, CAP_PERFMON (the verifier allows packet pointer
 * arithmetic only then) and CAP_NET_ADMIN (XDP, neighbours); libxdp's
 * queries of attached programs and mounting a bpffs take CAP_SYS_ADMIN. */
#define LOAD_CAPS (ZLB_CAP(CAP_SYS_ADMIN) | ZLB_CAP(CAP_BPF) | ZLB_CAP(CAP_PERFMON) | \
		   ZLB_CAP(CAP_NET_ADMIN))
#define LOAD_CAPS_NAMES "CAP_SYS_ADMIN, CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN"

struct options {
	const char *file;
	const char *pin_dir;
	bool check;
	bool unload;
	bool skb_mode;
	bool service;
};

static const struct option long_options[] = {
	{ "check", no_argument, NULL, 'c' },
	{ "unload", no_argument, NULL, 'u' },
	{ "skb-mode", no_argument, NULL, 'S' },
	{ "service", no_argument, NULL, 's' },
	{ "pin-dir", required_argument, NULL, 'p' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: zlb-load [OPTIONS] FILE\n"
		"       zlb-load --unload [OPTIONS]\n"
		"       zlb-load --service [OPTIONS] FILE\n"
		"Load or reload the zon-lb configuration FILE: validate it, fill the pinned\n"
		"maps, attach the data plane to its interfaces -- the XDP program, or the tc\n"
		"program on the clsact ingress hook where FILE says mode = \"tc\" (or \"auto\"\n"
		"on a veth) -- and exit. Established connections survive a reload.\n"
		"\n"
		"  -c, --check         validate FILE (syntax, values, interfaces) and change nothing\n"
		"  -u, --unload        detach zon-lb (XDP and tc) from every interface and remove\n"
		"                      its pins\n"
		"  -S, --skb-mode      attach XDP in skb (generic) mode instead of native mode\n"
		"  -s, --service       stay resident (the systemd unit): load FILE, reload it on\n"
		"                      SIGHUP, unload on SIGTERM; keeps next hops resolved\n"
		"  -p, --pin-dir DIR   pin directory (default: $%s, else %s)\n"
		"  -v, --verbose       also print libbpf's and libxdp's debug messages\n"
		"  -h, --help          show this help\n"
		"  -V, --version       show the version\n"
		"\n"
		"Environment: %s (pin directory), LIBXDP_BPFFS (libxdp's bpffs),\n"
		"ZLB_BPF_OBJ (the XDP object; default %s/zlb.bpf.o), ZLB_BPF_TC_OBJ\n"
		"(the tc object; default zlb_tc.bpf.o in the XDP object's directory),\n"
		"ZLB_LOCK_TIMEOUT (seconds to wait while another run changes the pin\n"
		"directory; default 30).\n",
		ZLB_PIN_ENV, ZLB_DEFAULT_PIN_DIR, ZLB_PIN_ENV, ZLB_BPF_DIR);
}

static const char *bpf_object_path(void)
{
	const char *env = getenv("ZLB_BPF_OBJ");

	return env && *env ? env : ZLB_BPF_DIR "/zlb.bpf.o";
}

/* The tc build of the data plane, into @buf: $ZLB_BPF_TC_OBJ, else
 * zlb_tc.bpf.o in the directory of the XDP object. */
static void bpf_tc_object_path(char *buf, size_t len)
{
	const char *env = getenv("ZLB_BPF_TC_OBJ"), *xdp = bpf_object_path();
	const char *slash = strrchr(xdp, '/');

	if (env && *env)
		snprintf(buf, len, "%s", env);
	else
		snprintf(buf, len, "%.*szlb_tc.bpf.o", slash ? (int)(slash - xdp + 1) : 0, xdp);
}

/* ---- resolving the model against the kernel ---------------------------- */

/* Per configured interface: the hook it gets, what runs there before this
 * load, and what attach_all() did. */
struct hook_plan {
	bool tc;                         /* tc ingress; else XDP */
	struct zlb_xdp_state xdp;
	struct zlb_tc_state tc_now;
	bool changed;                    /* a program was put on or replaced */
	bool made_qdisc;                 /* this load created the clsact qdisc */
};

struct load {
	struct options opt;
	struct zlb_config cfg;
	struct zlb_nl *nl;
	struct zlb_link *links;          /* per configured interface */
	struct zlb_iface_info *ifaces;
	__u16 *iface_flags;              /* ZLB_IF_F_*, per configured interface */
	struct hook_plan *plan;          /* per configured interface */
	bool any_tc;                     /* some interface runs tc: load its object */
	union zlb_addr *backend_src;
	union zlb_addr *backend_snat;
	bool fib_src;
	struct bpf_object *obj;
	struct bpf_object *tc_obj;       /* loaded only when any_tc */
	char tc_path[PATH_MAX];
	struct xdp_program *fresh;
};

/* mode = "auto": tc where it keeps TSO and partial checksums (veth). */
static bool wants_tc(const struct zlb_cfg_iface *ci, const struct zlb_link *link)
{
	return ci->mode == ZLB_IF_MODE_TC || (ci->mode == ZLB_IF_MODE_AUTO && link->is_veth);
}

static int resolve_links(struct load *l, struct zlb_err *err)
{
	size_t n = l->cfg.nifaces;

	l->links = calloc(n ? n : 1, sizeof(*l->links));
	l->ifaces = calloc(n ? n : 1, sizeof(*l->ifaces));
	l->iface_flags = calloc(n ? n : 1, sizeof(*l->iface_flags));
	l->plan = calloc(n ? n : 1, sizeof(*l->plan));
	if (!l->links || !l->ifaces || !l->iface_flags || !l->plan) {
		zlb_err_set(err, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const struct zlb_cfg_iface *ci = &l->cfg.ifaces[i];

		if (zlb_nl_link(l->nl, ci->name, &l->links[i], err)) {
			zlb_err_prefix(err, "%s:%d: interfaces", l->cfg.path, ci->line);
			return -1;
		}
		/* The parser refuses a name listed twice; an interface can
		 * also be listed under two of its names (an altname). */
		for (size_t j = 0; j < i; j++) {
			if (l->links[j].info.ifindex != l->links[i].info.ifindex)
				continue;
			zlb_err_set(err, "%s:%d: interfaces[%zu]: '%s' is interface '%s' (interfaces[%zu], line %d, ifindex %u) under another of its names; list each interface once",
				    l->cfg.path, ci->line, i, ci->name, l->cfg.ifaces[j].name,
				    j, l->cfg.ifaces[j].line, l->links[i].info.ifindex);
			return -1;
		}
		l->ifaces[i] = l->links[i].info;
		l->plan[i].tc = wants_tc(ci, &l->links[i]);
		l->any_tc |= l->plan[i].tc;
		/* PEER_NS whatever the mode: another interface's tc program
		 * may send here. */
		l->iface_flags[i] = (l->plan[i].tc ? ZLB_IF_F_TC : 0) |
				    (l->links[i].peer_other_ns ? ZLB_IF_F_PEER_NS : 0) |
				    (l->links[i].is_veth ? ZLB_IF_F_VETH : 0);
	}
	return 0;
}

static int read_sysctl(const char *path)
{
	char buf[16] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return atoi(buf);
}

/* Whether the config has a service of family @af. */
static bool has_family(const struct zlb_config *cfg, int af)
{
	for (size_t i = 0; i < cfg->nservices; i++)
		if (zlb_addr_family(&cfg->services[i].addr) == af)
			return true;
	return false;
}

/* The FIB lookup of a family refuses to forward what arrives on an
 * interface where that family's forwarding is off. */
static void warn_forwarding(const char *name, const char *ipv)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/forwarding", ipv, name);
	if (read_sysctl(path) == 0)
		pr_warn("%s: %s forwarding is off, so the FIB lookup refuses to forward packets that arrive here (drop_fwd_disabled): sysctl -w net.%s.conf.%s.forwarding=1\n",
			name, strcmp(ipv, "ipv4") ? "IPv6" : "IPv4", ipv, name);
}

/* Conditions that make a load useless without making it wrong: said
 * once, naming the interface and the fix. */
static void warn_interfaces(struct load *l)
{
	/* IPv4 as before, unless every service is IPv6. */
	bool v6 = has_family(&l->cfg, AF_INET6);
	bool v4 = !v6 || has_family(&l->cfg, AF_INET);

	bool any_xdp = false;

	/* Only XDP sends frames (XDP_TX, XDP_REDIRECT) that a veth can
	 * refuse; the tc program sends skbs. */
	for (size_t i = 0; i < l->cfg.nifaces; i++)
		any_xdp |= !l->plan[i].tc;
	for (size_t i = 0; i < l->cfg.nifaces; i++) {
		const char *name = l->cfg.ifaces[i].name;
		struct zlb_err err;
		bool can;

		if (v4)
			warn_forwarding(name, "ipv4");
		if (v6)
			warn_forwarding(name, "ipv6");
		if (!l->links[i].up)
			pr_warn("%s: interface is down\n", name);
		if (!any_xdp || !l->links[i].is_veth)
			continue;
		if (zlb_nl_xdp_can_xmit(l->nl, l->ifaces[i].ifindex, &can, &err))
			pr_warn("%s: cannot tell whether this veth can take redirected frames: %s\n", name, err.msg);
		else if (!can)
			pr_warn("%s: its veth peer has neither an XDP program nor GRO on, so frames XDP sends into %s are dropped by the kernel, uncounted: run 'ethtool -K PEER gro on' on the peer (or attach an XDP program to it)\n",
				name, name);
	}
}

static int resolve_sources(struct load *l, struct zlb_err *err)
{
	size_t n = zlb_config_backend_count(&l->cfg);

	l->backend_src = calloc(n ? n : 1, sizeof(*l->backend_src));
	l->backend_snat = calloc(n ? n : 1, sizeof(*l->backend_snat));
	if (!l->backend_src || !l->backend_snat) {
		zlb_err_set(err, "out of memory");
		return -1;
	}
	return zlb_resolve_sources(l->nl, &l->cfg, l->fib_src, l->backend_src, l->backend_snat, err);
}

/* ---- neighbours of backends ---------------------------------------------- */

struct nexthop {
	__u32 ifindex;
	union zlb_addr addr;
};

static int nexthop_cmp(const void *a, const void *b)
{
	const struct nexthop *x = a, *y = b;

	if (x->ifindex != y->ifindex)
		return x->ifindex < y->ifindex ? -1 : 1;
	return memcmp(&x->addr, &y->addr, sizeof(x->addr));
}

/* Make the kernel resolve every backend's next hop and keep it resolved,
 * wait a little for the answers, and copy what is known into zlb_neigh
 * (the data plane's fallback when the FIB has no neighbour). */
static void manage_neighbours(struct load *l, int neigh_fd)
{
	size_t n = zlb_config_backend_count(&l->cfg), count = 0, k;
	struct nexthop *hops = calloc(n ? n : 1, sizeof(*hops));
	struct zlb_route_memo routes;
	char a[ZLB_ADDR_LEN];
	struct zlb_err err;

	if (!hops || zlb_route_memo_init_nl(&routes, n, l->nl, &err)) {
		free(hops);
		return;
	}
	for (size_t i = 0; i < l->cfg.nservices; i++) {
		const struct zlb_cfg_service *s = &l->cfg.services[i];

		for (size_t j = 0; j < s->nbackends; j++) {
			struct zlb_route_info rt;

			if (zlb_route_memo_get(&routes, &s->backends[j].addr, &rt, &err)) {
				pr_warn("service '%s': backend %s: %s\n", s->name,
					zlb_fmt_addr(a, &s->backends[j].addr), err.msg);
				continue;
			}
			hops[count++] = (struct nexthop){ rt.oif, zlb_addr_is_zero(&rt.gateway) ?
							  s->backends[j].addr : rt.gateway };
		}
	}
	zlb_route_memo_free(&routes);
	/* each next hop once, however many backends are behind it */
	qsort(hops, count, sizeof(*hops), nexthop_cmp);
	for (size_t i = k = 0; i < count; i++)
		if (!k || nexthop_cmp(&hops[k - 1], &hops[i]))
			hops[k++] = hops[i];
	count = k;
	for (k = 0; k < count; k++) {
		__u8 mac[6];
		int state = 0;

		/* A permanent entry is the operator's: leave it. */
		if (zlb_nl_neigh_get(l->nl, hops[k].ifindex, &hops[k].addr, mac, &state) == 1 &&
		    (state & NUD_PERMANENT))
			continue;
		if (zlb_nl_neigh_manage(l->nl, hops[k].ifindex, &hops[k].addr, &err))
			pr_warn("%s\n", err.msg);
	}
	for (int waited = 0; waited <= NEIGH_WAIT_MS; waited += 50) {
		size_t known = 0;

		for (size_t k = 0; k < count; k++) {
			struct zlb_neigh_entry e = { .flags = ZLB_NEIGH_F_STATIC, .ifindex = hops[k].ifindex };
			int state;

			if (zlb_nl_neigh_get(l->nl, hops[k].ifindex, &hops[k].addr, e.mac, &state) == 1) {
				known++;
				bpf_map_update_elem(neigh_fd, &hops[k].addr, &e, BPF_ANY);
			}
		}
		if (known == count)
			break;
		if (waited == NEIGH_WAIT_MS)
			for (size_t k = 0; k < count; k++) {
				__u8 mac[6];
				int state;

				if (zlb_nl_neigh_get(l->nl, hops[k].ifindex, &hops[k].addr, mac, &state) != 1)
					pr_info("next hop %s (ifindex %u) not resolved yet; the kernel keeps trying\n",
						zlb_fmt_addr(a, &hops[k].addr), hops[k].ifindex);
			}
		usleep(50 * 1000);
	}
	free(hops);
}

/* ---- loading -------------------------------------------------------------- */

/* The devmap is pinned by hand (see bpf/maps.h): use the pinned one when
 * there is one. */
static int reuse_tx_ports(struct bpf_object *obj, const char *pin_dir, struct zlb_err *err)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ZLB_MAP_TX_PORTS);
	char path[PATH_MAX];
	int fd, rc;

	zlb_pin_path(path, sizeof(path), pin_dir, ZLB_MAP_TX_PORTS);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	rc = map ? bpf_map__reuse_fd(map, fd) : -ENOENT;
	close(fd);
	if (rc)
		zlb_err_set(err, "cannot reuse %s: %s", path, strerror(-rc));
	return rc;
}

static int pin_tx_ports(struct bpf_object *obj, const char *pin_dir, struct zlb_err *err)
{
	struct bpf_map *map = bpf_object__find_map_by_name(obj, ZLB_MAP_TX_PORTS);
	char path[PATH_MAX];
	int rc;

	zlb_pin_path(path, sizeof(path), pin_dir, ZLB_MAP_TX_PORTS);
	if (access(path, F_OK) == 0)
		return 0;
	rc = bpf_map__pin(map, path);
	if (rc)
		zlb_err_set(err, "cannot pin %s: %s", path, strerror(-rc));
	return rc;
}

/* Pinned map @name in @pin_dir: its max_entries, and in *@entries (when
 * not NULL) the entries it holds, counted one by one; 0 when not pinned. */
static __u32 pinned_table(const char *pin_dir, const char *name, __u32 *entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), max = 0;
	struct zlb_ct_key k, *p = NULL;    /* the longer of the two keys */
	char path[PATH_MAX];
	int fd;

	if (entries)
		*entries = 0;
	zlb_pin_path(path, sizeof(path), pin_dir, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.key_size <= sizeof(k)) {
		max = info.max_entries;
		while (entries && bpf_map_get_next_key(fd, p, &k) == 0) {
			(*entries)++;
			p = &k;
		}
	}
	close(fd);
	return max;
}

/* The pinned connection tables cannot change size in place: a new size
 * means new, empty tables. Refuse, and say what the way out costs (the
 * tables are counted only then: a reload that keeps them need not walk
 * them). */
static int check_conntrack_size(struct load *l, const char *pin_dir, struct zlb_err *err)
{
	__u32 max4 = pinned_table(pin_dir, ZLB_MAP_CONNTRACK4, NULL);
	__u32 max6 = pinned_table(pin_dir, ZLB_MAP_CONNTRACK, NULL);
	__u32 n4, n6, want, have;
	const char *key, *family;
	int line;

	if (max4 && max4 != l->cfg.conntrack_size) {
		key = "conntrack_size", family = "IPv4", line = l->cfg.conntrack_size_line;
		want = l->cfg.conntrack_size, have = max4;
	} else if (max6 && max6 != l->cfg.conntrack_size_ipv6) {
		key = "conntrack_size_ipv6", family = "IPv6";
		line = l->cfg.conntrack_size_ipv6_line ? l->cfg.conntrack_size_ipv6_line :
							 l->cfg.conntrack_size_line;
		want = l->cfg.conntrack_size_ipv6, have = max6;
	} else {
		return 0;
	}
	pinned_table(pin_dir, ZLB_MAP_CONNTRACK4, &n4);
	pinned_table(pin_dir, ZLB_MAP_CONNTRACK, &n6);
	zlb_err_set(err, "settings.%s: the running %s connection table has %u entries, this file asks for %u; a table cannot be resized in place: 'zlb-load --unload' and a new load would drop all %u tracked flows",
		    key, family, have, want, (n4 + n6) / 2);
	if (line)
		zlb_err_prefix(err, "%s:%d", l->cfg.path, line);
	else
		zlb_err_prefix(err, "%s", l->cfg.path);
	return -1;
}

static int open_object(struct load *l, const char *pin_dir, struct zlb_err *err)
{
	const char *path = bpf_object_path();
	struct zlb_rodata ro = { .fib_lookup_src = l->fib_src };
	LIBBPF_OPTS(bpf_object_open_opts, oo, .pin_root_path = pin_dir);
	struct zlb_ct_sizes ct = zlb_ct_sizes_of(&l->cfg);

	l->obj = zlb_object_open(path, pin_dir, &ro, &ct, err);
	if (!l->obj || reuse_tx_ports(l->obj, pin_dir, err) ||
	    zlb_object_load(l->obj, path, err) || pin_tx_ports(l->obj, pin_dir, err))
		return -1;

	/* A second instance for libxdp, which loads it itself (as a
	 * dispatcher component, or alone); its maps are the pinned ones. */
	DECLARE_LIBXDP_OPTS(xdp_program_opts, xo, .open_filename = path,
			    .prog_name = ZLB_PROG_XDP_NAME, .opts = &oo);
	l->fresh = xdp_program__create(&xo);
	if (libxdp_get_error(l->fresh)) {
		l->fresh = NULL;
		zlb_err_set(err, "libxdp cannot open %s", path);
		return -1;
	}
	if (zlb_object_prepare(xdp_program__bpf_obj(l->fresh), &ro, &ct, err) ||
	    reuse_tx_ports(xdp_program__bpf_obj(l->fresh), pin_dir, err))
		return -1;
	if (!l->any_tc)
		return 0;
	/* The tc build: the same maps, found by their pins (it has no
	 * devmap: tc sends with bpf_redirect*). */
	l->tc_obj = zlb_object_open_prog(l->tc_path, ZLB_PROG_TC_NAME, pin_dir, &ro, &ct, err);
	if (!l->tc_obj)
		return -1;
	return zlb_object_load(l->tc_obj, l->tc_path, err);
}

static __u32 map_id(struct bpf_object *obj, const char *name)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct bpf_map *map = bpf_object__find_map_by_name(obj, name);

	if (!map || bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len))
		return 0;
	return info.id;
}

static int program_tag(int fd, unsigned char tag[8])
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	memcpy(tag, info.tag, 8);
	return 0;
}

static bool xdp_is_ours(const struct zlb_xdp_state *st)
{
	return st->kind == ZLB_XDP_OURS_SINGLE || st->kind == ZLB_XDP_OURS_MULTI;
}

/* Take zon-lb off @ifindex, from whichever hooks it runs on, and say which:
 * "NAME: detached WHY: XDP". */
static int detach_iface(struct zlb_nl *nl, __u32 ifindex, const char *name, const char *why,
			struct zlb_err *err)
{
	struct zlb_xdp_state xs;
	bool xdp, tc = false;

	if (zlb_xdp_query(ifindex, &xs, err))
		return -1;
	xdp = xdp_is_ours(&xs);
	if ((xdp && zlb_xdp_detach(ifindex, name, err)) || zlb_tc_detach(nl, ifindex, &tc, err))
		return -1;
	pr_info("%s: detached%s%s%s\n", name, why, xdp || tc ? ": " : "",
		xdp && tc ? "XDP and tc ingress" : xdp ? "XDP" : tc ? "tc ingress" : "");
	return 0;
}

/* Detach from interfaces an older config had and this one has not. */
static void detach_dropped(struct load *l, const __u32 *old, int nold)
{
	for (int i = 0; i < nold; i++) {
		char name[IF_NAMESIZE] = "?";
		struct zlb_err err;
		bool kept = false;

		for (size_t j = 0; j < l->cfg.nifaces; j++)
			kept |= l->ifaces[j].ifindex == old[i];
		if (kept)
			continue;
		if_indextoname(old[i], name);
		if (detach_iface(l->nl, old[i], name, " (no longer configured)", &err))
			pr_warn("%s: %s\n", name, err.msg);
	}
}

/* Put zon-lb on interface @i's hook and say how it runs there. */
static int attach_one(struct load *l, size_t i, struct zlb_attacher *xa,
		      const struct zlb_tc_attacher *ta, struct zlb_err *err)
{
	struct hook_plan *p = &l->plan[i];
	const char *name = l->cfg.ifaces[i].name;
	char how[256];

	if (p->tc) {
		if (zlb_tc_attach(ta, l->ifaces[i].ifindex, &p->tc_now, &p->changed,
				  &p->made_qdisc, how, sizeof(how), err))
			return -1;
		pr_info("%s: tc ingress (clsact), %s\n", name, how);
		return 0;
	}
	if (zlb_xdp_attach(xa, l->ifaces[i].ifindex, name, &p->xdp, &p->changed,
			   how, sizeof(how), err))
		return -1;
	pr_info("%s: %s\n", name, how);
	if (!p->changed && p->xdp.mode != xa->mode)
		pr_warn("%s: keeps running in %s mode; run 'zlb-load --unload' and load again to change the mode\n",
			name, p->xdp.mode == XDP_MODE_SKB ? "skb" : "native");
	return 0;
}

/* Take off what this load newly put on the first @n interfaces; replaced
 * programs stay (the old one is gone). */
static void undo_attach(struct load *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hook_plan *p = &l->plan[i];
		bool was;

		if (!p->changed)
			continue;
		if (p->tc && p->tc_now.kind == ZLB_TC_NONE) {
			zlb_tc_detach(l->nl, l->ifaces[i].ifindex, &was, NULL);
			if (p->made_qdisc)
				zlb_tc_remove_qdisc(l->ifaces[i].ifindex);
		} else if (!p->tc && !xdp_is_ours(&p->xdp)) {
			zlb_xdp_detach(l->ifaces[i].ifindex, l->cfg.ifaces[i].name, NULL);
		}
	}
}

/* zon-lb runs on one hook per interface: once the new one runs, take it
 * off the other (no packet meets the interface without zon-lb; while
 * both run, XDP sees every frame first and the tc program none of them). */
static void remove_other_hook(struct load *l, size_t i)
{
	const struct hook_plan *p = &l->plan[i];
	const char *name = l->cfg.ifaces[i].name;
	const char *old = p->tc ? "XDP" : "tc ingress", *now = p->tc ? "tc ingress" : "XDP";
	struct zlb_err err;
	bool was = false;
	int rc = 0;

	if (p->tc && xdp_is_ours(&p->xdp)) {
		rc = zlb_xdp_detach(l->ifaces[i].ifindex, name, &err);
		was = true;
	} else if (!p->tc && p->tc_now.kind == ZLB_TC_OURS) {
		rc = zlb_tc_detach(l->nl, l->ifaces[i].ifindex, &was, &err);
	}
	if (rc)
		pr_warn("%s: runs %s now, but zon-lb's %s program is still attached: %s\n",
			name, now, old, err.msg);
	else if (was)
		pr_info("%s: %s program removed (moved to %s)\n", name, old, now);
}

/* Once per load: the veths that run XDP, where tc would do better. */
static void note_veth_xdp(const struct load *l)
{
	char names[256] = "";
	size_t n = 0;

	for (size_t i = 0; i < l->cfg.nifaces && n < sizeof(names); i++)
		if (!l->plan[i].tc && l->links[i].is_veth)
			n += snprintf(names + n, sizeof(names) - n, "%s%s", n ? ", " : "",
				      l->cfg.ifaces[i].name);
	if (n)
		pr_info("note: %s: XDP on a veth turns TSO off on its peer and loses partial checksums; tc mode keeps both there: mode = \"tc\" (or \"auto\") in the config, see zonlb.conf(5)\n",
			names);
}

static int attach_all(struct load *l, struct zlb_err *err)
{
	struct bpf_program *prog = bpf_object__find_program_by_name(l->obj, ZLB_PROG_XDP_NAME);
	struct zlb_attacher xa = {
		.fresh = l->fresh,
		.loaded_fd = bpf_program__fd(prog),
		.ct_map_id = map_id(l->obj, ZLB_MAP_CONNTRACK),
		.mode = l->opt.skb_mode ? XDP_MODE_SKB : XDP_MODE_NATIVE,
	};
	struct zlb_tc_attacher ta = { .prog_fd = -1, .ct_map_id = xa.ct_map_id };
	size_t i;

	if (l->tc_obj)
		ta.prog_fd = bpf_program__fd(bpf_object__find_program_by_name(l->tc_obj,
									      ZLB_PROG_TC_NAME));
	if (program_tag(xa.loaded_fd, xa.tag) || (l->tc_obj && program_tag(ta.prog_fd, ta.tag))) {
		zlb_err_set(err, "cannot read the loaded program's tag");
		return -1;
	}
	for (i = 0; i < l->cfg.nifaces; i++)
		if (attach_one(l, i, &xa, &ta, err)) {
			zlb_err_prefix(err, "%s:%d: interfaces: %s", l->cfg.path,
				       l->cfg.ifaces[i].line, l->cfg.ifaces[i].name);
			undo_attach(l, i);
			return -1;
		}
	for (i = 0; i < l->cfg.nifaces; i++)
		remove_other_hook(l, i);
	note_veth_xdp(l);
	return 0;
}

/* The tc object is opened (not loaded) before anything changes: one that
 * is missing, or built without the tc program, is named on the line of
 * the first interface that needs it. */
static int check_tc_object(struct load *l, struct zlb_err *err)
{
	struct zlb_ct_sizes ct = zlb_ct_sizes_of(&l->cfg);
	struct zlb_rodata ro = {};
	struct bpf_object *obj;
	size_t i;

	for (i = 0; i < l->cfg.nifaces && !l->plan[i].tc; i++)
		;
	if (i == l->cfg.nifaces)
		return 0;
	zlb_log_libs_quiet(true);       /* the error below says it all */
	obj = zlb_object_open_prog(l->tc_path, ZLB_PROG_TC_NAME, NULL, &ro, &ct, err);
	zlb_log_libs_quiet(false);
	if (!obj) {
		zlb_err_prefix(err, "%s:%d: interfaces: %s: tc mode", l->cfg.path,
			       l->cfg.ifaces[i].line, l->cfg.ifaces[i].name);
		return -1;
	}
	bpf_object__close(obj);
	return 0;
}

static int check_attached(struct load *l, struct zlb_err *err)
{
	for (size_t i = 0; i < l->cfg.nifaces; i++) {
		const struct zlb_cfg_iface *ci = &l->cfg.ifaces[i];
		struct hook_plan *p = &l->plan[i];
		struct zlb_err e;
		bool native;

		if (zlb_xdp_query(l->ifaces[i].ifindex, &p->xdp, err) ||
		    zlb_tc_query(l->nl, l->ifaces[i].ifindex, &p->tc_now, err)) {
			zlb_err_prefix(err, "%s", ci->name);
			return -1;
		}
		if (p->tc) {
			if (p->tc_now.kind == ZLB_TC_OTHER) {
				zlb_err_set(err, "%s:%d: interfaces: %s: %s holds zon-lb's place on its tc ingress hook (handle 0x%x, priority %u); zon-lb will not replace it",
					    l->cfg.path, ci->line, ci->name, p->tc_now.name,
					    ZLB_TC_HANDLE, ZLB_TC_PRIORITY);
				return -1;
			}
			continue;
		}
		if (p->xdp.kind == ZLB_XDP_OTHER) {
			zlb_err_set(err, "%s:%d: interfaces: %s: another XDP program ('%s') is attached without libxdp's dispatcher; zon-lb will not replace it",
				    l->cfg.path, ci->line, ci->name, p->xdp.name);
			return -1;
		}
		/* Found here, not after the maps are written (lo, for one).
		 * A kernel that cannot tell leaves it to the attach. */
		if (p->xdp.kind == ZLB_XDP_NONE && !l->opt.skb_mode &&
		    !zlb_nl_xdp_native(l->nl, l->ifaces[i].ifindex, &native, &e) && !native) {
			zlb_err_set(err, "%s:%d: interfaces: %s: its driver cannot run XDP programs in native mode (the kernel reports no XDP features for it); load with --skb-mode, give it mode = \"tc\", or leave it out",
				    l->cfg.path, ci->line, ci->name);
			return -1;
		}
	}
	return 0;
}

/* Maps an older version pinned that this one has not: --unload removes
 * them too, so that the pin directory goes after an upgrade. */
static const char *const legacy_pins[] = {
	"zlb_if_stats",                 /* 0.2.0; in zlb_stats since map ABI 4 */
	"zlb_svc_stats",                /* 0.3.0; in zlb_stats since map ABI 5 */
};
static const size_t n_legacy = sizeof(legacy_pins) / sizeof(legacy_pins[0]);

/* Remove every pin of zon-lb's in @dir, then @dir when it is empty. */
static int remove_pins(const char *dir)
{
	char path[PATH_MAX];
	int rc = 0;

	for (size_t i = 0; i < ZLB_M_COUNT + n_legacy; i++) {
		zlb_pin_path(path, sizeof(path), dir, i < ZLB_M_COUNT ? zlb_map_names[i] :
							       legacy_pins[i - ZLB_M_COUNT]);
		if (unlink(path) && errno != ENOENT) {
			pr_err("cannot remove %s: %s\n", path, strerror(errno));
			rc = 1;
		}
	}
	if (!rc && rmdir(dir))
		pr_warn("pins removed, but %s is kept: %s\n", dir, strerror(errno));
	return rc;
}

static int do_load(struct load *l)
{
	const char *pin_dir = zlb_pin_dir(l->opt.pin_dir);
	struct zlb_resolved res;
	struct zlb_maps maps;
	struct zlb_err err;
	__u32 version, old_ifaces[ZLB_MAX_IFACES];
	struct zlb_maps_saved *saved = NULL;
	int nold;

	if (zlb_maps_pinned_abi(pin_dir, &version, &err))
		goto fail;
	if (version && version != ZLB_ABI_VERSION) {
		zlb_err_set(&err, "the maps pinned in %s carry ABI version %u, this zlb-load writes version %u: run 'zlb-load --unload' first (established connections are dropped)",
			    pin_dir, version, ZLB_ABI_VERSION);
		goto fail;
	}
	bpf_tc_object_path(l->tc_path, sizeof(l->tc_path));
	if (check_conntrack_size(l, pin_dir, &err) || check_attached(l, &err) ||
	    check_tc_object(l, &err))
		goto fail;
	if (zlb_probe_fib_lookup_src(bpf_object_path(), &l->fib_src)) {
		zlb_err_set(&err, "cannot load the BPF object %s to probe the kernel (set ZLB_BPF_OBJ?)",
			    bpf_object_path());
		goto fail;
	}
	pr_debug("kernel %s BPF_FIB_LOOKUP_SRC\n", l->fib_src ? "has" : "lacks");
	if (resolve_sources(l, &err))
		goto fail;
	/* From here on the kernel changes (the pin directory, and a bpffs
	 * for it, load_locked() has made already). */
	warn_interfaces(l);
	if (open_object(l, pin_dir, &err) || zlb_maps_from_object(l->obj, &maps, &err))
		goto restore;
	nold = zlb_maps_ifindexes(&maps, old_ifaces, ZLB_MAX_IFACES);
	res.ifaces = l->ifaces;
	res.backend_src = l->backend_src;
	res.backend_snat = l->backend_snat;
	res.iface_flags = l->iface_flags;
	/* An interface can still refuse the program after the maps are
	 * written (a veth whose peer's MTU is too large for XDP, a NIC
	 * driver's own limits): a reload that fails then puts the running
	 * configuration back. */
	if (version && !(saved = zlb_maps_save(&maps, &err)))
		goto fail;
	if (zlb_maps_apply(&maps, &l->cfg, &res, &err))
		goto restore;
	manage_neighbours(l, maps.fd[ZLB_M_NEIGH]);
	if (attach_all(l, &err))
		goto restore;
	zlb_maps_saved_free(saved);
	detach_dropped(l, old_ifaces, nold);
	pr_info("loaded %s: %zu service(s), %zu interface(s), pins in %s\n",
		l->cfg.path, l->cfg.nservices, l->cfg.nifaces, pin_dir);
	return 0;
restore:
	pr_err("%s\n", err.msg);
	if (saved && zlb_maps_restore(&maps, saved, &err))
		pr_err("%s\n", err.msg);
	else if (saved)
		pr_info("the previous configuration is back in the maps\n");
	zlb_maps_saved_free(saved);
	/* A first load leaves no pins behind: nothing runs on them. */
	if (!version && !remove_pins(pin_dir))
		pr_info("the pins this load made in %s are removed\n", pin_dir);
	return 1;
fail:
	pr_err("%s\n", err.msg);
	return 1;
}

/* A load under the pin directory's lock (zlb_pin_dir_lock(): why there):
 * from the first read of the pinned state to the last write, so that two
 * runs never both pick the same free half of the tables, nor one unpin
 * what the other loads. */
static int load_locked(struct load *l)
{
	const char *pin_dir = zlb_pin_dir(l->opt.pin_dir);
	bool created = false;
	struct zlb_err err;
	int fd, rc;

	fd = zlb_pin_dir_lock(pin_dir, true, &created, &err);
	if (fd < 0) {
		pr_err("%s\n", err.msg);
		return 1;
	}
	rc = do_load(l);
	/* A first load that failed leaves no directory behind (rmdir
	 * removes it only while it is empty). */
	if (rc && created)
		rmdir(pin_dir);
	zlb_pin_dir_unlock(fd);
	return rc;
}

/* ---- unloading ------------------------------------------------------------- */

static int do_unload(const struct options *opt)
{
	const char *dir = zlb_pin_dir(opt->pin_dir);
	__u32 ifindexes[ZLB_MAX_IFACES], version;
	char path[PATH_MAX];
	struct zlb_maps maps;
	struct zlb_nl *nl;
	struct zlb_err err;
	int n, rc = 0, fd;

	if (zlb_maps_pinned_abi(dir, &version, &err)) {
		pr_err("%s\n", err.msg);
		return 1;
	}
	if (!version) {
		pr_info("nothing to unload: no zon-lb pins in %s\n", dir);
		return 0;
	}
	zlb_pin_path(path, sizeof(path), dir, ZLB_MAP_IFACES);
	fd = bpf_obj_get(path);
	zlb_maps_init(&maps);
	maps.fd[ZLB_M_IFACES] = fd;
	n = fd < 0 ? 0 : zlb_maps_ifindexes(&maps, ifindexes, ZLB_MAX_IFACES);
	zlb_maps_close(&maps);
	nl = n ? zlb_nl_open(&err) : NULL;
	if (n && !nl) {
		pr_err("%s\n", err.msg);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char name[IF_NAMESIZE] = "?";

		if (!if_indextoname(ifindexes[i], name))
			continue;       /* the interface is gone, and its program with it */
		if (detach_iface(nl, ifindexes[i], name, "", &err)) {
			pr_err("%s: %s\n", name, err.msg);
			rc = 1;
		}
	}
	zlb_nl_close(nl);
	if (rc)
		return rc;
	rc = remove_pins(dir);
	if (!rc)
		pr_info("unloaded: pins in %s removed\n", dir);
	return rc;
}

/* An unload under the pin directory's lock, as load_locked(). */
static int unload_locked(const struct options *opt)
{
	struct zlb_err err;
	int fd, rc;

	fd = zlb_pin_dir_lock(zlb_pin_dir(opt->pin_dir), false, NULL, &err);
	if (fd == -1) {
		pr_err("%s\n", err.msg);
		return 1;
	}
	/* ZLB_PIN_DIR_ABSENT: nothing to lock, and do_unload says so. */
	rc = do_unload(opt);
	zlb_pin_dir_unlock(fd);
	return rc;
}

static int parse_args(int argc, char **argv, struct options *opt)
{
	int c;

	opterr = 0;     /* our own messages, prefixed with the tool's name */
	while ((c = getopt_long(argc, argv, ":cusSp:vhV", long_options, NULL)) != -1) {
		switch (c) {
		case 'c': opt->check = true; break;
		case 'u': opt->unload = true; break;
		case 'S': opt->skb_mode = true; break;
		case 's': opt->service = true; break;
		case 'p':
			/* An empty one (--pin-dir "$DIR", DIR unset) would
			 * mean the default: the wrong load balancer to unload. */
			if (!*optarg) {
				pr_err("--pin-dir needs a directory, not an empty string\n");
				return -1;
			}
			opt->pin_dir = optarg;
			break;
		case 'v': zlb_log_set_level(ZLB_LOG_DEBUG); break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("zlb-load %s (map ABI %d)\n", ZLB_VERSION, ZLB_ABI_VERSION); exit(0);
		default:
			return zlb_option_err(c, argv, long_options);
		}
	}
	if (opt->service && (opt->check || opt->unload)) {
		pr_err("--service takes neither --check nor --unload\n");
		return -1;
	}
	if (opt->unload) {
		/* the synopsis has no --skb-mode here: a detach finds each
		 * program in whatever mode it was attached */
		if (optind != argc || opt->check || opt->skb_mode) {
			pr_err("--unload takes no FILE, no --check and no --skb-mode\n");
			return -1;
		}
		return 0;
	}
	if (optind != argc - 1) {
		pr_err(optind == argc ? "missing FILE (try 'zlb-load --help')\n"
				      : "too many arguments: only one FILE\n");
		return -1;
	}
	opt->file = argv[optind];
	return 0;
}

/* ---- one run over FILE: the command line's, and each of the service's ---- */

/* Check or load l->opt.file; the caller frees @l with release(). */
static int run_file(struct load *l)
{
	struct zlb_err err;

	if (zlb_config_load(l->opt.file, &l->cfg, &err)) {
		pr_err("%s\n", err.msg);
		return 1;
	}
	l->nl = zlb_nl_open(&err);
	if (!l->nl || resolve_links(l, &err)) {
		pr_err("%s\n", err.msg);
		return 1;
	}
	if (l->opt.check) {
		printf("%s: OK (%zu service(s), %zu interface(s))\n", l->cfg.path,
		       l->cfg.nservices, l->cfg.nifaces);
		if (!zlb_capable(LOAD_CAPS))
			pr_info("note: loading it needs root (or %s)\n", LOAD_CAPS_NAMES);
		return 0;
	}
	return load_locked(l);
}

static void release(struct load *l)
{
	xdp_program__close(l->fresh);
	bpf_object__close(l->obj);
	bpf_object__close(l->tc_obj);
	zlb_nl_close(l->nl);
	free(l->links);
	free(l->ifaces);
	free(l->iface_flags);
	free(l->plan);
	free(l->backend_src);
	free(l->backend_snat);
	zlb_config_free(&l->cfg);
}

/* ---- the resident service (service.c) ------------------------------------ */

static void *service_load(void *ctx, char *summary, size_t len)
{
	struct load *l = calloc(1, sizeof(*l));

	if (!l) {
		pr_err("out of memory\n");
		return NULL;
	}
	l->opt = *(const struct options *)ctx;
	if (run_file(l)) {
		release(l);
		free(l);
		return NULL;
	}
	snprintf(summary, len, "loaded %s: %zu service(s), %zu interface(s)",
		 l->cfg.path, l->cfg.nservices, l->cfg.nifaces);
	/* Kept for its config and netlink socket; what it loaded is the
	 * kernel's now, as when the command line exits. */
	xdp_program__close(l->fresh);
	l->fresh = NULL;
	bpf_object__close(l->obj);
	l->obj = NULL;
	bpf_object__close(l->tc_obj);
	l->tc_obj = NULL;
	return l;
}

static void service_refresh(void *loaded)
{
	struct load *l = loaded;
	char path[PATH_MAX];
	int fd;

	zlb_pin_path(path, sizeof(path), zlb_pin_dir(l->opt.pin_dir), ZLB_MAP_NEIGH);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		pr_warn("cannot refresh the next hops: %s: %s\n", path, strerror(errno));
		return;
	}
	manage_neighbours(l, fd);
	close(fd);
}

static void service_release(void *loaded)
{
	release(loaded);
	free(loaded);
}

static int service_unload(void *ctx)
{
	return unload_locked(ctx);
}

static const struct zlb_service_ops service_ops = {
	.load = service_load,
	.refresh = service_refresh,
	.release = service_release,
	.unload = service_unload,
};

int main(int argc, char **argv)
{
	struct load l = {};
	int rc;

	zlb_log_init("zlb-load");
	if (parse_args(argc, argv, &l.opt))
		return 2;
	/* --check reads only the file and public interface data. */
	if (!l.opt.check && !zlb_capable(LOAD_CAPS)) {
		pr_err("needs root (or %s) to %s zon-lb\n", LOAD_CAPS_NAMES,
		       l.opt.unload ? "unload" : "load");
		return 1;
	}
	if (l.opt.unload)
		return unload_locked(&l.opt);
	if (l.opt.service)
		return zlb_service_run(argv, l.opt.file, &service_ops, &l.opt);
	rc = run_file(&l);
	release(&l);
	return rc;
}
