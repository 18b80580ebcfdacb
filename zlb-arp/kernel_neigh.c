// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/neighbour.h>
#include <netlink/netlink.h>
#include <netlink/cache.h>
#include <netlink/route/neighbour.h>

#include "kernel_neigh.h"
#include "zlb_addr.h"

/* States with a usable link-layer address (include/net/neighbour.h). */
#define NUD_USABLE (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | \
		    NUD_STALE | NUD_DELAY)

struct dump {
	const __u32 *ifindexes;
	int n;
	struct zlb_kneigh *out;
	int count, cap;
	bool oom;
};

static bool wanted_ifindex(const struct dump *d, int ifindex)
{
	for (int i = 0; i < d->n; i++)
		if (d->ifindexes[i] == (__u32)ifindex)
			return true;
	return false;
}

/* The neighbour's address of either family; false for another family or
 * a malformed one. */
static bool dst_addr(struct rtnl_neigh *neigh, union zlb_addr *a)
{
	struct nl_addr *dst = rtnl_neigh_get_dst(neigh);
	int family = rtnl_neigh_get_family(neigh);

	if (!dst)
		return false;
	if (family == AF_INET && nl_addr_get_len(dst) == 4) {
		__be32 v4;

		memcpy(&v4, nl_addr_get_binary_addr(dst), 4);
		zlb_addr_set_v4(a, v4);
		return true;
	}
	if (family == AF_INET6 && nl_addr_get_len(dst) == 16) {
		memcpy(a->b, nl_addr_get_binary_addr(dst), 16);
		return true;
	}
	return false;
}

static void take(struct nl_object *obj, void *arg)
{
	struct rtnl_neigh *neigh = (struct rtnl_neigh *)obj;
	struct nl_addr *ll = rtnl_neigh_get_lladdr(neigh);
	struct dump *d = arg;
	struct zlb_kneigh *k;
	union zlb_addr addr;

	/* Multicast and broadcast entries (NOARP, a group MAC: the groups
	 * the host sends to, ff02::2 or 224.0.0.22 say) are no next hops. */
	if (d->oom || !dst_addr(neigh, &addr) ||
	    !(rtnl_neigh_get_state(neigh) & NUD_USABLE) ||
	    !wanted_ifindex(d, rtnl_neigh_get_ifindex(neigh)) ||
	    !ll || nl_addr_get_len(ll) != 6 ||
	    (((const __u8 *)nl_addr_get_binary_addr(ll))[0] & 1))
		return;
	if (d->count == d->cap) {
		int cap = d->cap ? d->cap * 2 : 16;

		k = realloc(d->out, cap * sizeof(*k));
		if (!k) {
			d->oom = true;
			return;
		}
		d->out = k;
		d->cap = cap;
	}
	k = &d->out[d->count++];
	k->addr = addr;
	memcpy(k->mac, nl_addr_get_binary_addr(ll), 6);
	k->ifindex = rtnl_neigh_get_ifindex(neigh);
}

int zlb_kernel_neigh_dump(const __u32 *ifindexes, int n, struct zlb_kneigh **out,
			  struct zlb_err *err)
{
	struct dump d = { .ifindexes = ifindexes, .n = n };
	struct nl_sock *sock = nl_socket_alloc();
	struct nl_cache *cache = NULL;
	int rc;

	*out = NULL;
	if (!sock) {
		zlb_err_set(err, "out of memory");
		return -1;
	}
	rc = nl_connect(sock, NETLINK_ROUTE);
	if (!rc)
		rc = rtnl_neigh_alloc_cache(sock, &cache);
	if (rc) {
		zlb_err_set(err, "cannot read the kernel's neighbour table: %s", nl_geterror(rc));
		nl_socket_free(sock);
		return -1;
	}
	nl_cache_foreach(cache, take, &d);
	nl_cache_free(cache);
	nl_socket_free(sock);
	if (d.oom) {
		free(d.out);
		zlb_err_set(err, "out of memory");
		return -1;
	}
	*out = d.out;
	return d.count;
}
