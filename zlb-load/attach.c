// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/libbpf.h>
#include <bpf/bpf.h>

#include "attach.h"
#include "zlb_abi.h"

static const char *mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE: return "native";
	case XDP_MODE_SKB: return "skb";
	case XDP_MODE_HW: return "hw";
	default: return "unspecified";
	}
}

static bool is_ours(const struct xdp_program *p)
{
	return p && !strcmp(xdp_program__name(p), ZLB_PROG_XDP_NAME);
}

/* Our program inside the dispatcher of @mp, or NULL. */
static struct xdp_program *find_ours(const struct xdp_multiprog *mp)
{
	struct xdp_program *p;

	for (p = xdp_multiprog__next_prog(NULL, mp); p; p = xdp_multiprog__next_prog(p, mp))
		if (is_ours(p))
			return p;
	return NULL;
}

/* The XDP programs on @ifindex: *@out is NULL when there are none. */
static int get_mp(int ifindex, struct xdp_multiprog **out, struct zlb_err *err)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);
	long rc = libxdp_get_error(mp);

	*out = NULL;
	if (rc == -ENOENT)
		return 0;
	if (rc) {
		zlb_err_set(err, "cannot query XDP programs: %s", strerror(-rc));
		return -1;
	}
	*out = mp;
	return 0;
}

int zlb_xdp_query(int ifindex, struct zlb_xdp_state *st, struct zlb_err *err)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;

	memset(st, 0, sizeof(*st));
	if (get_mp(ifindex, &mp, err))
		return -1;
	if (!mp)
		return 0;
	st->mode = xdp_multiprog__attach_mode(mp);
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (!p) {
			st->kind = ZLB_XDP_NONE;
		} else if (is_ours(p)) {
			st->kind = ZLB_XDP_OURS_SINGLE;
			memcpy(st->tag, xdp_program__tag(p), sizeof(st->tag));
			st->prog_id = xdp_program__id(p);
		} else {
			st->kind = ZLB_XDP_OTHER;
			snprintf(st->name, sizeof(st->name), "%s", xdp_program__name(p));
		}
	} else {
		p = find_ours(mp);
		st->kind = p ? ZLB_XDP_OURS_MULTI : ZLB_XDP_DISPATCHER;
		if (p) {
			memcpy(st->tag, xdp_program__tag(p), sizeof(st->tag));
			st->prog_id = xdp_program__id(p);
		}
	}
	xdp_multiprog__close(mp);
	return 0;
}

bool zlb_prog_uses_map(__u32 prog_id, __u32 map_id)
{
	__u32 ids[64], len;
	struct bpf_prog_info info = {};
	bool found = false;
	int fd = bpf_prog_get_fd_by_id(prog_id);

	if (fd < 0)
		return false;
	info.nr_map_ids = 64;
	info.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(info);
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		for (__u32 i = 0; i < info.nr_map_ids && i < 64; i++)
			found |= ids[i] == map_id;
	close(fd);
	return found;
}

static void describe(int ifindex, char *how, size_t len, const char *action)
{
	struct xdp_multiprog *mp;

	if (get_mp(ifindex, &mp, NULL) || !mp) {
		snprintf(how, len, "%s", action);
		return;
	}
	snprintf(how, len, "%s (%s mode, %s)", action, mode_name(xdp_multiprog__attach_mode(mp)),
		 xdp_multiprog__is_legacy(mp) ? "libxdp single-program fallback: no dispatcher, other XDP programs cannot share the interface"
					      : "libxdp multiprog dispatcher");
	xdp_multiprog__close(mp);
}

/* libxdp 1.3.1 cannot replace a program attached alone; the kernel can,
 * atomically, given the old program's fd (XDP_FLAGS_REPLACE). */
static int replace_single(struct zlb_attacher *a, int ifindex, enum xdp_attach_mode mode,
			  struct zlb_err *err)
{
	struct xdp_multiprog *mp;
	struct xdp_program *old;
	__u32 flags = XDP_FLAGS_REPLACE;
	int rc;

	if (get_mp(ifindex, &mp, err))
		return -1;
	if (!mp || !(old = xdp_multiprog__main_prog(mp))) {
		zlb_err_set(err, "the old program went away during the load");
		xdp_multiprog__close(mp);
		return -1;
	}
	flags |= mode == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = xdp_program__fd(old));
	rc = bpf_xdp_attach(ifindex, a->loaded_fd, flags, &opts);
	xdp_multiprog__close(mp);
	if (rc) {
		zlb_err_set(err, "atomic replace of the older zon-lb program failed: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

int zlb_xdp_attach(struct zlb_attacher *a, int ifindex, const char *ifname,
		   const struct zlb_xdp_state *st, bool *changed,
		   char *how, size_t howlen, struct zlb_err *err)
{
	struct xdp_multiprog *mp;
	struct xdp_program *old;
	int rc;

	*changed = false;
	switch (st->kind) {
	case ZLB_XDP_OURS_SINGLE:
	case ZLB_XDP_OURS_MULTI:
		if (!memcmp(st->tag, a->tag, sizeof(a->tag)) && zlb_prog_uses_map(st->prog_id, a->ct_map_id)) {
			describe(ifindex, how, howlen, "already running this program, maps updated");
			return 0;
		}
		if (st->kind == ZLB_XDP_OURS_SINGLE) {
			if (replace_single(a, ifindex, st->mode, err))
				return -1;
			*changed = true;
			describe(ifindex, how, howlen, memcmp(st->tag, a->tag, sizeof(a->tag))
				 ? "replaced an older zon-lb program atomically"
				 : "replaced atomically a zon-lb program that used other maps (another pin directory?)");
			return 0;
		}
		/* In the dispatcher: add the new one, then drop the old one.
		 * Each step swaps the whole dispatcher atomically. */
		rc = xdp_program__attach(a->fresh, ifindex, st->mode, 0);
		if (rc) {
			zlb_err_set(err, "cannot add the new program to the dispatcher: %s", strerror(-rc));
			return -1;
		}
		*changed = true;
		if (!get_mp(ifindex, &mp, err) && mp) {
			for (old = xdp_multiprog__next_prog(NULL, mp); old;
			     old = xdp_multiprog__next_prog(old, mp))
				if (xdp_program__id(old) == st->prog_id)
					break;
			if (old)
				xdp_program__detach(old, ifindex, st->mode, 0);
			xdp_multiprog__close(mp);
		}
		describe(ifindex, how, howlen, "replaced an older zon-lb program in the dispatcher");
		return 0;
	case ZLB_XDP_NONE:
	case ZLB_XDP_DISPATCHER:
		/* libxdp tries its dispatcher first; where the kernel refuses
		 * it (no freplace), its warnings are expected: the result
		 * line says which mode the interface got. */
		zlb_log_libs_quiet(true);
		rc = xdp_program__attach(a->fresh, ifindex, a->mode, 0);
		zlb_log_libs_quiet(false);
		if (rc) {
			/* libxdp drops the kernel's own words; a veth says
			 * ERANGE for "Peer MTU is too large to set XDP". */
			zlb_err_set(err, "cannot attach the XDP program (%s mode): %s%s",
				    mode_name(a->mode), strerror(-rc), rc != -ERANGE ? "" :
				    " (on a veth: its peer's MTU is too large for XDP; lower it, or give the interface mode = \"tc\")");
			return -1;
		}
		*changed = true;
		describe(ifindex, how, howlen, "attached");
		return 0;
	case ZLB_XDP_OTHER:
		break;
	}
	zlb_err_set(err, "another XDP program ('%s') is attached without libxdp's dispatcher; zon-lb will not replace it (detach it, or load it through libxdp)",
		    st->name);
	return -1;
}

int zlb_xdp_detach(int ifindex, const char *ifname, struct zlb_err *err)
{
	struct xdp_multiprog *mp;
	struct xdp_program *p;
	int rc = 0;

	if (get_mp(ifindex, &mp, err))
		return -1;
	if (!mp)
		return 0;
	if (xdp_multiprog__is_legacy(mp)) {
		p = xdp_multiprog__main_prog(mp);
		if (is_ours(p)) {
			__u32 flags = XDP_FLAGS_REPLACE |
				(xdp_multiprog__attach_mode(mp) == XDP_MODE_SKB ? XDP_FLAGS_SKB_MODE
										 : XDP_FLAGS_DRV_MODE);
			LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = xdp_program__fd(p));

			rc = bpf_xdp_attach(ifindex, -1, flags, &opts);
		}
	} else if ((p = find_ours(mp))) {
		rc = xdp_program__detach(p, ifindex, xdp_multiprog__attach_mode(mp), 0);
	}
	xdp_multiprog__close(mp);
	if (rc) {
		zlb_err_set(err, "cannot detach zon-lb: %s", strerror(-rc));
		return -1;
	}
	return 0;
}
