// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "attach.h"
#include "attach_tc.h"
#include "zlb_abi.h"

static void ingress_hook(struct bpf_tc_hook *hook, int ifindex)
{
	memset(hook, 0, sizeof(*hook));
	hook->sz = sizeof(*hook);
	hook->ifindex = ifindex;
	hook->attach_point = BPF_TC_INGRESS;
}

/* zon-lb's slot: opts for a query or a detach (no program given). */
static void slot_opts(struct bpf_tc_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->handle = ZLB_TC_HANDLE;
	opts->priority = ZLB_TC_PRIORITY;
}

int zlb_tc_query(struct zlb_nl *nl, int ifindex, struct zlb_tc_state *st,
		 struct zlb_err *err)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	bool used;
	int rc, fd;

	memset(st, 0, sizeof(*st));
	ingress_hook(&hook, ifindex);
	slot_opts(&opts);
	/* No qdisc, or no filter, makes the kernel say so and libbpf warn. */
	zlb_log_libs_quiet(true);
	rc = bpf_tc_query(&hook, &opts);
	zlb_log_libs_quiet(false);
	if (rc == -ENOENT)
		return 0;
	/* EINVAL: no qdisc, no filter at all, or a filter of another kind
	 * or protocol at zon-lb's priority -- which would refuse ours. */
	if (rc == -EINVAL) {
		if (zlb_nl_ingress_prio_used(nl, ifindex, ZLB_TC_PRIORITY, &used, err))
			return -1;
		if (used) {
			st->kind = ZLB_TC_OTHER;
			snprintf(st->name, sizeof(st->name), "a filter of another kind or protocol");
		}
		return 0;
	}
	if (rc) {
		zlb_err_set(err, "cannot query the tc ingress hook: %s", strerror(-rc));
		return -1;
	}
	st->prog_id = opts.prog_id;
	fd = bpf_prog_get_fd_by_id(opts.prog_id);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len)) {
		zlb_err_set(err, "cannot read the tc program %u at handle 0x%x, priority %u: %s",
			    opts.prog_id, ZLB_TC_HANDLE, ZLB_TC_PRIORITY, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	if (!strcmp(info.name, ZLB_PROG_TC_NAME)) {
		st->kind = ZLB_TC_OURS;
		memcpy(st->tag, info.tag, sizeof(st->tag));
	} else {
		st->kind = ZLB_TC_OTHER;
		snprintf(st->name, sizeof(st->name), "the program '%s'", info.name);
	}
	return 0;
}

int zlb_tc_attach(const struct zlb_tc_attacher *a, int ifindex,
		  const struct zlb_tc_state *st, bool *changed, bool *made_qdisc,
		  char *how, size_t howlen, struct zlb_err *err)
{
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	bool same_tag = !memcmp(st->tag, a->tag, sizeof(a->tag));
	int rc;

	*changed = false;
	*made_qdisc = false;
	if (st->kind == ZLB_TC_OTHER) {
		zlb_err_set(err, "%s holds zon-lb's place on the tc ingress hook (handle 0x%x, priority %u); zon-lb will not replace it",
			    st->name, ZLB_TC_HANDLE, ZLB_TC_PRIORITY);
		return -1;
	}
	if (st->kind == ZLB_TC_OURS && same_tag && zlb_prog_uses_map(st->prog_id, a->ct_map_id)) {
		snprintf(how, howlen, "already running this program, maps updated");
		return 0;
	}
	ingress_hook(&hook, ifindex);
	if (st->kind == ZLB_TC_NONE) {
		/* An existing clsact qdisc (someone else's filters, or
		 * zon-lb's of an earlier load) is used as it is. */
		rc = bpf_tc_hook_create(&hook);
		if (rc && rc != -EEXIST) {
			zlb_err_set(err, "cannot add a clsact qdisc: %s", strerror(-rc));
			return -1;
		}
		*made_qdisc = !rc;
	}
	slot_opts(&opts);
	opts.prog_fd = a->prog_fd;
	/* Replace in place what is ours; elsewhere the slot must be free
	 * (the kernel refuses to overwrite a filter that appeared since). */
	opts.flags = st->kind == ZLB_TC_OURS ? BPF_TC_F_REPLACE : 0;
	rc = bpf_tc_attach(&hook, &opts);
	if (rc) {
		zlb_err_set(err, "cannot attach the tc program to the ingress hook: %s", strerror(-rc));
		if (*made_qdisc)
			zlb_tc_remove_qdisc(ifindex);
		*made_qdisc = false;
		return -1;
	}
	*changed = true;
	if (st->kind == ZLB_TC_NONE)
		snprintf(how, howlen, "attached");
	else if (!same_tag)
		snprintf(how, howlen, "replaced an older zon-lb program atomically");
	else
		snprintf(how, howlen, "replaced atomically a zon-lb program that used other maps (another pin directory?)");
	return 0;
}

int zlb_tc_detach(struct zlb_nl *nl, int ifindex, bool *was, struct zlb_err *err)
{
	struct zlb_tc_state st;
	struct bpf_tc_hook hook;
	struct bpf_tc_opts opts;
	int rc;

	*was = false;
	if (zlb_tc_query(nl, ifindex, &st, err))
		return -1;
	if (st.kind != ZLB_TC_OURS)
		return 0;
	ingress_hook(&hook, ifindex);
	slot_opts(&opts);
	rc = bpf_tc_detach(&hook, &opts);
	if (rc && rc != -ENOENT) {
		zlb_err_set(err, "cannot detach zon-lb's tc program: %s", strerror(-rc));
		return -1;
	}
	*was = !rc;
	return 0;
}

void zlb_tc_remove_qdisc(int ifindex)
{
	struct bpf_tc_hook hook;

	ingress_hook(&hook, ifindex);
	/* Both hooks: libbpf then deletes the qdisc, not only the filters
	 * of one hook. */
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
	bpf_tc_hook_destroy(&hook);
}
