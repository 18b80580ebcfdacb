// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/neighbour.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/route/link.h>
#include <netlink/route/classifier.h>

#include "addr.h"
#include "netlink.h"

/* Linux 6.3 uapi/linux/netdev.h, absent from Debian 12's headers. */
#define ZLB_NETDEV_FAMILY "netdev"
#define ZLB_NETDEV_CMD_DEV_GET 1
#define ZLB_NETDEV_A_DEV_IFINDEX 1
#define ZLB_NETDEV_A_DEV_XDP_FEATURES 3
#define ZLB_NETDEV_XDP_ACT_BASIC (1ULL << 0)
#define ZLB_NETDEV_XDP_ACT_NDO_XMIT (1ULL << 2)

/* include/net/neighbour.h: states with a usable link-layer address. */
#define ZLB_NUD_VALID (NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | \
		       NUD_STALE | NUD_DELAY)

struct zlb_nl {
	struct nl_sock *route;
	struct nl_sock *genl;
};

struct zlb_nl *zlb_nl_open(struct zlb_err *err)
{
	struct zlb_nl *nl = calloc(1, sizeof(*nl));
	int rc;

	if (!nl) {
		zlb_err_set(err, "out of memory");
		return NULL;
	}
	nl->route = nl_socket_alloc();
	nl->genl = nl_socket_alloc();
	if (!nl->route || !nl->genl) {
		zlb_err_set(err, "out of memory");
		goto fail;
	}
	if ((rc = nl_connect(nl->route, NETLINK_ROUTE)) || (rc = genl_connect(nl->genl))) {
		zlb_err_set(err, "cannot open netlink: %s", nl_geterror(rc));
		goto fail;
	}
	/* A reply without an ack does not advance libnl's expected sequence
	 * number; every request here reads exactly its own answer. */
	nl_socket_disable_seq_check(nl->route);
	nl_socket_disable_seq_check(nl->genl);
	return nl;
fail:
	zlb_nl_close(nl);
	return NULL;
}

void zlb_nl_close(struct zlb_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->route);
	nl_socket_free(nl->genl);
	free(nl);
}

int zlb_nl_link(struct zlb_nl *nl, const char *name, struct zlb_link *out, struct zlb_err *err)
{
	struct rtnl_link *link = NULL;
	struct nl_addr *addr;
	const char *type;
	int32_t netnsid;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = rtnl_link_get_kernel(nl->route, 0, name, &link);
	if (rc) {
		zlb_err_set(err, "interface '%s' does not exist", name);
		return -1;
	}
	out->info.ifindex = rtnl_link_get_ifindex(link);
	addr = rtnl_link_get_addr(link);
	if (addr && nl_addr_get_len(addr) == 6)
		memcpy(out->info.mac, nl_addr_get_binary_addr(addr), 6);
	type = rtnl_link_get_type(link);
	out->is_veth = type && !strcmp(type, "veth");
	/* The kernel names the peer's namespace only when it is not ours. */
	out->peer_other_ns = out->is_veth && !rtnl_link_get_link_netnsid(link, &netnsid);
	out->up = rtnl_link_get_flags(link) & IFF_UP;
	rtnl_link_put(link);
	return 0;
}

int zlb_iface_info(const char *name, struct zlb_iface_info *out)
{
	struct zlb_nl *nl = zlb_nl_open(NULL);
	struct zlb_link link;
	int rc = -1;

	if (nl && !zlb_nl_link(nl, name, &link, NULL)) {
		*out = link.info;
		rc = 0;
	}
	zlb_nl_close(nl);
	return rc;
}

bool zlb_iface_here(__u32 ifindex, const struct zlb_iface *iface, char *name)
{
	struct zlb_iface_info info;

	if (!if_indextoname(ifindex, name)) {
		name[0] = 0;
		return false;
	}
	return !zlb_iface_info(name, &info) && info.ifindex == ifindex &&
	       !memcmp(info.mac, iface->mac, sizeof(iface->mac));
}

/* Send @msg; with @cb, the kernel's one reply (or its error) goes to @cb,
 * without, wait for its ack. A reply and an ack are never both asked for:
 * libnl stops reading after a reply, and a stray ack would be taken as the
 * answer to the next request. */
static int nl_request(struct nl_sock *sk, struct nl_msg *msg, nl_recvmsg_msg_cb_t cb, void *arg)
{
	struct nl_cb *c, *sk_cb;
	int rc;

	if (!cb) {
		rc = nl_send_auto(sk, msg);
		nlmsg_free(msg);
		return rc < 0 ? rc : nl_wait_for_ack(sk);
	}
	nl_socket_disable_auto_ack(sk);
	rc = nl_send_auto(sk, msg);
	nl_socket_enable_auto_ack(sk);
	nlmsg_free(msg);
	if (rc < 0)
		return rc;
	/* nl_socket_get_cb() takes a reference: without its put, the
	 * socket's callbacks outlive the socket. */
	sk_cb = nl_socket_get_cb(sk);
	c = nl_cb_clone(sk_cb);
	nl_cb_put(sk_cb);
	if (!c)
		return -NLE_NOMEM;
	nl_cb_set(c, NL_CB_VALID, NL_CB_CUSTOM, cb, arg);
	rc = nl_recvmsgs(sk, c);
	nl_cb_put(c);
	return rc < 0 ? rc : 0;
}

/* An address attribute: 4 bytes for IPv4, 16 for IPv6. */
static int put_addr(struct nl_msg *msg, int type, const union zlb_addr *a)
{
	if (zlb_addr_is_v4(a))
		return nla_put(msg, type, sizeof(a->v4), &a->v4);
	return nla_put(msg, type, sizeof(a->b), a->b);
}

static void set_addr(union zlb_addr *a, const void *data, int len)
{
	if (len == sizeof(a->v4))
		zlb_addr_set_v4(a, *(const __be32 *)data);
	else if (len == sizeof(a->b))
		memcpy(a->b, data, sizeof(a->b));
}

static void get_addr(const struct nlattr *attr, union zlb_addr *a)
{
	set_addr(a, nla_data(attr), nla_len(attr));
}

static int route_cb(struct nl_msg *msg, void *arg)
{
	struct zlb_route_info *out = arg;
	struct nlattr *tb[RTA_MAX + 1];

	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(struct rtmsg), tb, RTA_MAX, NULL) < 0)
		return NL_SKIP;
	if (tb[RTA_OIF])
		out->oif = nla_get_u32(tb[RTA_OIF]);
	if (tb[RTA_GATEWAY])
		get_addr(tb[RTA_GATEWAY], &out->gateway);
	/* A next hop of the other family (an IPv4 route via an IPv6 router,
	 * RFC 8950) comes as RTA_VIA. */
	if (tb[RTA_VIA] && nla_len(tb[RTA_VIA]) > (int)sizeof(struct rtvia)) {
		const struct rtvia *via = nla_data(tb[RTA_VIA]);

		set_addr(&out->gateway, via->rtvia_addr, nla_len(tb[RTA_VIA]) - sizeof(*via));
	}
	if (tb[RTA_PREFSRC])
		get_addr(tb[RTA_PREFSRC], &out->prefsrc);
	return NL_OK;
}

int zlb_nl_route_get(struct zlb_nl *nl, const union zlb_addr *dst,
		     struct zlb_route_info *out, struct zlb_err *err)
{
	struct rtmsg rtm = {
		.rtm_family = zlb_addr_family(dst),
		.rtm_dst_len = zlb_addr_is_v4(dst) ? 32 : 128,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETROUTE, NLM_F_REQUEST);
	char buf[ZLB_ADDR_LEN];
	int rc;

	memset(out, 0, sizeof(*out));
	if (!msg || nlmsg_append(msg, &rtm, sizeof(rtm), NLMSG_ALIGNTO) ||
	    put_addr(msg, RTA_DST, dst)) {
		nlmsg_free(msg);
		zlb_err_set(err, "out of memory");
		return -1;
	}
	rc = nl_request(nl->route, msg, route_cb, out);
	if (rc || !out->oif) {
		zlb_err_set(err, "no route to %s: %s", zlb_fmt_addr(buf, dst),
			    rc ? nl_geterror(rc) : "no output interface");
		return -1;
	}
	return 0;
}

int zlb_nl_neigh_manage(struct zlb_nl *nl, __u32 ifindex, const union zlb_addr *addr,
			struct zlb_err *err)
{
	struct ndmsg ndm = {
		.ndm_family = zlb_addr_family(addr), .ndm_ifindex = ifindex, .ndm_state = NUD_NONE,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWNEIGH, NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE);
	char buf[ZLB_ADDR_LEN];
	int rc;

	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) ||
	    put_addr(msg, NDA_DST, addr) || nla_put_u32(msg, NDA_FLAGS_EXT, NTF_EXT_MANAGED)) {
		nlmsg_free(msg);
		zlb_err_set(err, "out of memory");
		return -1;
	}
	rc = nl_request(nl->route, msg, NULL, NULL);
	if (rc) {
		zlb_err_set(err, "cannot make the kernel manage neighbour %s (ifindex %u): %s",
			    zlb_fmt_addr(buf, addr), ifindex, nl_geterror(rc));
		return -1;
	}
	return 0;
}

struct neigh_query {
	__u8 *mac;
	int *state;
	int found;
};

static int neigh_cb(struct nl_msg *msg, void *arg)
{
	struct neigh_query *q = arg;
	struct ndmsg *ndm = nlmsg_data(nlmsg_hdr(msg));
	struct nlattr *tb[NDA_MAX + 1];

	if (nlmsg_parse(nlmsg_hdr(msg), sizeof(*ndm), tb, NDA_MAX, NULL) < 0)
		return NL_SKIP;
	*q->state = ndm->ndm_state;
	if ((ndm->ndm_state & ZLB_NUD_VALID) && tb[NDA_LLADDR] && nla_len(tb[NDA_LLADDR]) == 6) {
		memcpy(q->mac, nla_data(tb[NDA_LLADDR]), 6);
		q->found = 1;
	}
	return NL_OK;
}

int zlb_nl_neigh_get(struct zlb_nl *nl, __u32 ifindex, const union zlb_addr *addr,
		     __u8 mac[6], int *state)
{
	struct ndmsg ndm = { .ndm_family = zlb_addr_family(addr), .ndm_ifindex = ifindex };
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_GETNEIGH, NLM_F_REQUEST);
	struct neigh_query q = { mac, state, 0 };
	int rc;

	*state = 0;
	if (!msg || nlmsg_append(msg, &ndm, sizeof(ndm), NLMSG_ALIGNTO) ||
	    put_addr(msg, NDA_DST, addr)) {
		nlmsg_free(msg);
		return -1;
	}
	rc = nl_request(nl->route, msg, neigh_cb, &q);
	if (rc == -NLE_OBJ_NOTFOUND)
		return 0;
	return rc ? -1 : q.found;
}

static int features_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[ZLB_NETDEV_A_DEV_XDP_FEATURES + 1];
	__u64 *features = arg;

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, ZLB_NETDEV_A_DEV_XDP_FEATURES, NULL) < 0)
		return NL_SKIP;
	if (tb[ZLB_NETDEV_A_DEV_XDP_FEATURES])
		*features = nla_get_u64(tb[ZLB_NETDEV_A_DEV_XDP_FEATURES]);
	return NL_OK;
}

static int xdp_features(struct zlb_nl *nl, __u32 ifindex, __u64 *out, struct zlb_err *err)
{
	int family = genl_ctrl_resolve(nl->genl, ZLB_NETDEV_FAMILY);
	__u64 features = 0;
	struct nl_msg *msg;
	int rc;

	if (family < 0) {
		zlb_err_set(err, "the kernel has no netdev netlink family (Linux 6.3+) to report XDP features");
		return -1;
	}
	msg = nlmsg_alloc();
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0, 0,
				 ZLB_NETDEV_CMD_DEV_GET, 1) ||
	    nla_put_u32(msg, ZLB_NETDEV_A_DEV_IFINDEX, ifindex)) {
		nlmsg_free(msg);
		zlb_err_set(err, "out of memory");
		return -1;
	}
	rc = nl_request(nl->genl, msg, features_cb, &features);
	if (rc) {
		zlb_err_set(err, "netdev family: %s", nl_geterror(rc));
		return -1;
	}
	*out = features;
	return 0;
}

int zlb_nl_xdp_can_xmit(struct zlb_nl *nl, __u32 ifindex, bool *can, struct zlb_err *err)
{
	__u64 features;

	if (xdp_features(nl, ifindex, &features, err))
		return -1;
	*can = features & ZLB_NETDEV_XDP_ACT_NDO_XMIT;
	return 0;
}

int zlb_nl_xdp_native(struct zlb_nl *nl, __u32 ifindex, bool *can, struct zlb_err *err)
{
	__u64 features;

	if (xdp_features(nl, ifindex, &features, err))
		return -1;
	*can = features & ZLB_NETDEV_XDP_ACT_BASIC;
	return 0;
}

int zlb_nl_ingress_prio_used(struct zlb_nl *nl, __u32 ifindex, __u16 prio, bool *used,
			     struct zlb_err *err)
{
	struct nl_cache *cache;
	struct nl_object *o;
	int rc = rtnl_cls_alloc_cache(nl->route, ifindex,
				      TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS), &cache);

	if (rc) {
		zlb_err_set(err, "cannot list the filters of the tc ingress hook: %s", nl_geterror(rc));
		return -1;
	}
	*used = false;
	for (o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o))
		*used |= rtnl_cls_get_prio((struct rtnl_cls *)o) == prio;
	nl_cache_free(cache);
	return 0;
}
