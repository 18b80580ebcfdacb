// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ct.h"
#include "zlb_ct.h"
#include "zlb_hash.h"

#define CT_BATCH 4096

/* ---- the memos of busy IPv4 flows (zlb_flow_memo) ---------------------- */

__u32 zlb_ct_memo_slot(const struct zlb_ct_key4 *k4)
{
	__u64 w[2];

	memcpy(w, k4, sizeof(w));
	return zlb_memo_slot(w);
}

/* Move the epoch of memo slot @slot on: every CPU's memo there is stale. */
static int memo_bump(int fd, __u32 slot)
{
	__u32 v;

	if (bpf_map_lookup_elem(fd, &slot, &v))
		return -1;
	v++;
	return bpf_map_update_elem(fd, &slot, &v, BPF_ANY);
}

bool zlb_ct_memo_holds(const struct zlb_flow_memo *mv, const struct zlb_ct_key4 *k4)
{
	__u64 w[2];

	memcpy(w, k4, sizeof(w));
	return mv->key[0] == w[0] && mv->key[1] == w[1];
}

/* Room for one memo slot's values, one per possible CPU (*@ncpus), or
 * NULL with errno. */
static struct zlb_flow_memo *memo_values(int *ncpus)
{
	*ncpus = libbpf_num_possible_cpus();
	if (*ncpus <= 0) {
		errno = -*ncpus;
		return NULL;
	}
	return calloc(*ncpus, sizeof(struct zlb_flow_memo));
}

/* The packets the memos of @k4 still count: dropped, when the table's
 * entry has just been written whole (what the writer read through
 * zlb_ct_lookup() had them added already). Racy against a data plane that
 * counts in the same slot meanwhile: meant for entries nobody sends on
 * while they are rewritten (tests, repairs). 0, or -1 with errno. */
static int memo_drop_pending(const struct zlb_maps *m, const struct zlb_ct_key4 *k4)
{
	int fd = m->fd[ZLB_M_FLOW_MEMO], ncpus, rc = 0;
	struct zlb_flow_memo *v = memo_values(&ncpus);
	__u32 slot = zlb_ct_memo_slot(k4);
	bool changed = false;

	if (!v)
		return -1;
	if (bpf_map_lookup_elem(fd, &slot, v)) {
		free(v);
		return -1;
	}
	for (int c = 0; c < ncpus; c++) {
		if (!v[c].pending_packets || !zlb_ct_memo_holds(&v[c], k4))
			continue;
		v[c].pending_packets = 0;
		v[c].pending_bytes = 0;
		changed = true;
	}
	if (changed)
		rc = bpf_map_update_elem(fd, &slot, v, BPF_ANY);
	free(v);
	return rc;
}

/* After @n IPv4 keys were written or deleted: the epochs of their slots
 * (of every slot, when there are many). 0, or -1 with errno. */
static int memo_bump_keys(const struct zlb_maps *m, const struct zlb_ct_key4 *k4, size_t n)
{
	int fd = m->fd[ZLB_M_FLOW_EPOCH];

	if (n >= ZLB_FLOW_MEMO_SLOTS / 4) {
		for (__u32 slot = 0; slot < ZLB_FLOW_MEMO_SLOTS; slot++)
			if (memo_bump(fd, slot))
				return -1;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		if (memo_bump(fd, zlb_ct_memo_slot(&k4[i])))
			return -1;
	return 0;
}

/* What memo @mv still counts for the flow of @k4 whose entry is @e (the
 * same flow: zlb_memo_same_flow()), added to @e. */
static void memo_add(const struct zlb_flow_memo *mv, const struct zlb_ct_key4 *k4,
		     struct zlb_ct_entry *e)
{
	if (!mv->pending_packets || !zlb_ct_memo_holds(mv, k4) || !zlb_memo_same_flow(mv, e))
		return;
	e->packets += mv->pending_packets;
	e->bytes += mv->pending_bytes;
	if (mv->e.last_seen_ns > e->last_seen_ns)
		e->last_seen_ns = mv->e.last_seen_ns;
}

/* The memo slots that still count packets, every CPU's, read once for a
 * walk: @idx[slot] is the slot's first value in @vals (ncpus of them), or
 * -1. */
struct memo_snap {
	int ncpus;
	int idx[ZLB_FLOW_MEMO_SLOTS];
	struct zlb_flow_memo *vals;
	int n;
};

static void memo_snap_free(struct memo_snap *ms)
{
	free(ms->vals);
	ms->vals = NULL;
}

static int memo_snap_read(const struct zlb_maps *m, struct memo_snap *ms, struct zlb_err *err)
{
	struct zlb_flow_memo *one;

	memset(ms, 0, sizeof(*ms));
	one = memo_values(&ms->ncpus);
	if (!one) {
		zlb_err_set(err, "cannot read %s: %s", ZLB_MAP_FLOW_MEMO, strerror(errno));
		return -1;
	}
	for (__u32 slot = 0; slot < ZLB_FLOW_MEMO_SLOTS; slot++) {
		bool pending = false;
		void *grown;

		ms->idx[slot] = -1;
		if (bpf_map_lookup_elem(m->fd[ZLB_M_FLOW_MEMO], &slot, one)) {
			zlb_err_set(err, "cannot read %s: %s", ZLB_MAP_FLOW_MEMO, strerror(errno));
			goto fail;
		}
		for (int c = 0; c < ms->ncpus; c++)
			pending |= one[c].pending_packets != 0;
		if (!pending)
			continue;
		grown = realloc(ms->vals, (size_t)(ms->n + 1) * ms->ncpus * sizeof(*one));
		if (!grown) {
			zlb_err_set(err, "out of memory");
			goto fail;
		}
		ms->vals = grown;
		memcpy(ms->vals + (size_t)ms->n * ms->ncpus, one, ms->ncpus * sizeof(*one));
		ms->idx[slot] = ms->n++ * ms->ncpus;
	}
	free(one);
	return 0;
fail:
	free(one);
	memo_snap_free(ms);
	return -1;
}

static void memo_snap_add(const struct memo_snap *ms, const struct zlb_ct_key4 *k4,
			  struct zlb_ct_entry *e)
{
	int i = ms->idx[zlb_ct_memo_slot(k4)];

	if (i < 0)
		return;
	for (int c = 0; c < ms->ncpus; c++)
		memo_add(&ms->vals[i + c], k4, e);
}

/* ---- the tables ---------------------------------------------------------- */

/* The table of @k and the key to use in it (@k itself, or @k4 filled). */
static int table_of(const struct zlb_maps *m, const struct zlb_ct_key *k,
		    struct zlb_ct_key4 *k4, const void **key)
{
	if (zlb_ct_key_is_v4(k)) {
		zlb_ct_key_to4(k, k4);
		*key = k4;
		return m->fd[ZLB_M_CONNTRACK4];
	}
	*key = k;
	return m->fd[ZLB_M_CONNTRACK];
}

int zlb_ct_lookup_table(const struct zlb_maps *m, const struct zlb_ct_key *k,
			struct zlb_ct_entry *e)
{
	struct zlb_ct_key4 k4;
	const void *key;
	int fd = table_of(m, k, &k4, &key);

	return bpf_map_lookup_elem(fd, key, e) ? -1 : 0;
}

int zlb_ct_lookup(const struct zlb_maps *m, const struct zlb_ct_key *k, struct zlb_ct_entry *e)
{
	struct zlb_flow_memo *vals;
	struct zlb_ct_key4 k4;
	int ncpus;
	__u32 slot;

	if (zlb_ct_lookup_table(m, k, e))
		return -1;
	if (!zlb_ct_key_is_v4(k))
		return 0;
	zlb_ct_key_to4(k, &k4);
	vals = memo_values(&ncpus);
	slot = zlb_ct_memo_slot(&k4);
	if (!vals || bpf_map_lookup_elem(m->fd[ZLB_M_FLOW_MEMO], &slot, vals)) {
		free(vals);
		return -1;
	}
	for (int c = 0; c < ncpus; c++)
		memo_add(&vals[c], &k4, e);
	free(vals);
	return 0;
}

int zlb_ct_update(const struct zlb_maps *m, const struct zlb_ct_key *k,
		  const struct zlb_ct_entry *e, __u64 flags)
{
	struct zlb_ct_key4 k4;
	const void *key;
	int fd = table_of(m, k, &k4, &key);

	if (bpf_map_update_elem(fd, key, e, flags))
		return -1;
	if (key != &k4)
		return 0;
	return memo_drop_pending(m, &k4) || memo_bump_keys(m, &k4, 1) ? -1 : 0;
}

int zlb_ct_delete(const struct zlb_maps *m, const struct zlb_ct_key *k)
{
	struct zlb_ct_key4 k4;
	const void *key;
	int fd = table_of(m, k, &k4, &key);
	int rc = bpf_map_delete_elem(fd, key) ? -1 : 0;

	if (key == &k4 && memo_bump_keys(m, &k4, 1))
		return -1;
	return rc;
}

/* One batch of a table: its keys as the table has them, the same keys
 * widened when they are short, and the values. */
struct batch {
	void *keys;
	struct zlb_ct_key *wide;         /* NULL for keys that are wide already */
	struct zlb_ct_entry *vals;
};

static void batch_free(struct batch *b)
{
	free(b->keys);
	free(b->wide);
	free(b->vals);
	memset(b, 0, sizeof(*b));
}

/* Room in @b for @n entries whose keys take @ksize bytes (what @b held
 * before is freed). Returns 0, or -1 with @err set. */
static int batch_alloc(struct batch *b, __u32 n, size_t ksize, struct zlb_err *err)
{
	bool narrow = ksize != sizeof(*b->wide);

	batch_free(b);
	b->keys = malloc(n * ksize);
	b->vals = malloc(n * sizeof(*b->vals));
	b->wide = narrow ? malloc(n * sizeof(*b->wide)) : NULL;
	if (b->keys && b->vals && (!narrow || b->wide))
		return 0;
	zlb_err_set(err, "out of memory");
	return -1;
}

/* One table, batch by batch. @ksize: its key size; IPv4 keys are widened
 * before @fn sees them. A bucket larger than the batch (ENOSPC) gets a
 * larger batch. */
static int walk_table(int fd, const char *name, size_t ksize, bool take,
		      const struct memo_snap *ms, zlb_ct_batch_fn fn, void *ctx,
		      struct zlb_err *err)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 size = CT_BATCH, token, count;
	bool first = true, done = false;
	struct batch b = {};
	int rc = batch_alloc(&b, size, ksize, err);

	while (!done && !rc) {
		int r;

		count = size;
		if (take)
			r = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &token, &token, b.keys,
							    b.vals, &count, &opts);
		else
			r = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, b.keys, b.vals,
						 &count, &opts);
		if (r) {
			if (errno == ENOSPC && size < (1u << 20)) {
				size *= 2;
				rc = batch_alloc(&b, size, ksize, err);
				continue;
			}
			if (errno != ENOENT) {
				zlb_err_set(err, "cannot %s %s: %s", take ? "flush" : "read", name,
					    strerror(errno));
				rc = -1;
				break;
			}
			done = true;       /* the last batch, perhaps not empty */
		}
		first = false;
		if (!count || !fn)
			continue;
		if (b.wide)
			for (__u32 i = 0; i < count; i++) {
				const struct zlb_ct_key4 *k4 = (const struct zlb_ct_key4 *)b.keys + i;

				if (ms && ms->n)
					memo_snap_add(ms, k4, &b.vals[i]);
				zlb_ct_key_from4(k4, b.wide + i);
			}
		rc = fn(ctx, b.wide ? b.wide : b.keys, b.vals, count);
	}
	batch_free(&b);
	return rc;
}

int zlb_ct_walk(const struct zlb_maps *m, bool take, zlb_ct_batch_fn fn, void *ctx,
		struct zlb_err *err)
{
	struct memo_snap ms;
	int rc;

	/* What is taken is gone: the memos' counts no longer matter, and
	 * every memo becomes stale. */
	if (!take && memo_snap_read(m, &ms, err))
		return -1;
	rc = walk_table(m->fd[ZLB_M_CONNTRACK4], ZLB_MAP_CONNTRACK4, sizeof(struct zlb_ct_key4),
			take, take ? NULL : &ms, fn, ctx, err);
	if (!take)
		memo_snap_free(&ms);
	if (take && memo_bump_keys(m, NULL, ZLB_FLOW_MEMO_SLOTS) && !rc) {
		zlb_err_set(err, "cannot write %s: %s", ZLB_MAP_FLOW_EPOCH, strerror(errno));
		rc = -1;
	}
	if (rc)
		return rc;
	return walk_table(m->fd[ZLB_M_CONNTRACK], ZLB_MAP_CONNTRACK, sizeof(struct zlb_ct_key),
			  take, NULL, fn, ctx, err);
}

/* @n keys, and their values when given, split by table: the IPv4 keys
 * narrowed. */
struct split {
	struct zlb_ct_key4 *k4;
	struct zlb_ct_key *k6;
	struct zlb_ct_entry *v4, *v6;
	size_t n4, n6;
};

static void split_free(struct split *s)
{
	free(s->k4);
	free(s->k6);
	free(s->v4);
	free(s->v6);
}

static int split(const struct zlb_ct_key *keys, const struct zlb_ct_entry *vals, size_t n,
		 struct split *s, struct zlb_err *err)
{
	size_t room = n ? n : 1;

	memset(s, 0, sizeof(*s));
	s->k4 = malloc(room * sizeof(*s->k4));
	s->k6 = malloc(room * sizeof(*s->k6));
	if (vals) {
		s->v4 = malloc(room * sizeof(*s->v4));
		s->v6 = malloc(room * sizeof(*s->v6));
	}
	if (!s->k4 || !s->k6 || (vals && (!s->v4 || !s->v6))) {
		split_free(s);
		zlb_err_set(err, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (zlb_ct_key_is_v4(&keys[i])) {
			if (vals)
				s->v4[s->n4] = vals[i];
			zlb_ct_key_to4(&keys[i], &s->k4[s->n4++]);
		} else {
			if (vals)
				s->v6[s->n6] = vals[i];
			s->k6[s->n6++] = keys[i];
		}
	}
	return 0;
}

/* Write @n entries of one table in batches. */
static int update_batch(int fd, const char *name, const void *keys, size_t ksize,
			const struct zlb_ct_entry *vals, size_t n, struct zlb_err *err)
{
	for (size_t done = 0; done < n;) {
		__u32 count = n - done > CT_BATCH ? CT_BATCH : n - done, want = count;

		if (bpf_map_update_batch(fd, (const char *)keys + done * ksize, vals + done, &count,
					 NULL) || count != want) {
			zlb_err_set(err, "%s: batch update: %s (%u of %u written)", name,
				    strerror(errno), count, want);
			return -1;
		}
		done += count;
	}
	return 0;
}

int zlb_ct_update_batch(const struct zlb_maps *m, const struct zlb_ct_key *keys,
			const struct zlb_ct_entry *vals, size_t n, struct zlb_err *err)
{
	struct split s;
	int rc;

	if (split(keys, vals, n, &s, err))
		return -1;
	rc = update_batch(m->fd[ZLB_M_CONNTRACK4], ZLB_MAP_CONNTRACK4, s.k4, sizeof(*s.k4), s.v4,
			  s.n4, err);
	/* a few rewritten entries drop their memos' counts, as
	 * zlb_ct_update() does; a fill of many new ones has none to drop */
	for (size_t i = 0; !rc && s.n4 < ZLB_FLOW_MEMO_SLOTS / 4 && i < s.n4; i++)
		if (memo_drop_pending(m, &s.k4[i])) {
			zlb_err_set(err, "cannot write %s: %s", ZLB_MAP_FLOW_MEMO, strerror(errno));
			rc = -1;
		}
	if (!rc && memo_bump_keys(m, s.k4, s.n4)) {
		zlb_err_set(err, "cannot write %s: %s", ZLB_MAP_FLOW_EPOCH, strerror(errno));
		rc = -1;
	}
	if (!rc)
		rc = update_batch(m->fd[ZLB_M_CONNTRACK], ZLB_MAP_CONNTRACK, s.k6, sizeof(*s.k6),
				  s.v6, s.n6, err);
	split_free(&s);
	return rc;
}

/* Delete @n keys of one table in batches; a key already gone (the data
 * plane removed it, or it was never there) stops a batch: it is skipped. */
static long delete_batch(int fd, const char *name, const void *keys, size_t ksize, size_t n,
			 struct zlb_err *err)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	size_t done = 0;
	long deleted = 0;

	while (done < n) {
		__u32 count = n - done > CT_BATCH ? CT_BATCH : n - done;
		int rc = bpf_map_delete_batch(fd, (const char *)keys + done * ksize, &count, &opts);

		done += count;
		deleted += count;
		if (!rc)
			continue;
		if (errno != ENOENT) {
			zlb_err_set(err, "cannot delete from %s: %s", name, strerror(errno));
			return -1;
		}
		done++;
	}
	return deleted;
}

long zlb_ct_delete_keys(const struct zlb_maps *m, const struct zlb_ct_key *keys, size_t n,
			struct zlb_err *err)
{
	long d4, d6 = -1;
	struct split s;

	if (split(keys, NULL, n, &s, err))
		return -1;
	d4 = delete_batch(m->fd[ZLB_M_CONNTRACK4], ZLB_MAP_CONNTRACK4, s.k4, sizeof(*s.k4), s.n4,
			  err);
	if (d4 >= 0 && memo_bump_keys(m, s.k4, s.n4)) {
		zlb_err_set(err, "cannot write %s: %s", ZLB_MAP_FLOW_EPOCH, strerror(errno));
		d4 = -1;
	}
	if (d4 >= 0)
		d6 = delete_batch(m->fd[ZLB_M_CONNTRACK], ZLB_MAP_CONNTRACK, s.k6, sizeof(*s.k6),
				  s.n6, err);
	split_free(&s);
	return d4 < 0 || d6 < 0 ? -1 : d4 + d6;
}

static int count_batch(void *ctx, const struct zlb_ct_key *keys, const struct zlb_ct_entry *vals,
		       __u32 n)
{
	*(long *)ctx += n;
	return 0;
}

long zlb_ct_count_entries(const struct zlb_maps *m, struct zlb_err *err)
{
	long n = 0;

	return zlb_ct_walk(m, false, count_batch, &n, err) ? -1 : n;
}

long zlb_ct_flush(const struct zlb_maps *m, struct zlb_err *err)
{
	long n = 0;

	return zlb_ct_walk(m, true, count_batch, &n, err) ? -1 : n;
}
