// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "ct.h"
#include "zlb_ct.h"

#define CT_BATCH 4096

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

int zlb_ct_lookup(const struct zlb_maps *m, const struct zlb_ct_key *k, struct zlb_ct_entry *e)
{
	struct zlb_ct_key4 k4;
	const void *key;
	int fd = table_of(m, k, &k4, &key);

	return bpf_map_lookup_elem(fd, key, e) ? -1 : 0;
}

int zlb_ct_update(const struct zlb_maps *m, const struct zlb_ct_key *k,
		  const struct zlb_ct_entry *e, __u64 flags)
{
	struct zlb_ct_key4 k4;
	const void *key;
	int fd = table_of(m, k, &k4, &key);

	return bpf_map_update_elem(fd, key, e, flags) ? -1 : 0;
}

int zlb_ct_delete(const struct zlb_maps *m, const struct zlb_ct_key *k)
{
	struct zlb_ct_key4 k4;
	const void *key;
	int fd = table_of(m, k, &k4, &key);

	return bpf_map_delete_elem(fd, key) ? -1 : 0;
}

/* One table, batch by batch. @ksize: its key size; IPv4 keys are widened
 * into @wide before @fn sees them. A bucket larger than the batch
 * (ENOSPC) gets a larger batch. */
static int walk_table(int fd, const char *name, size_t ksize, bool take, zlb_ct_batch_fn fn,
		      void *ctx, struct zlb_err *err)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 size = CT_BATCH, token, count;
	void *keys = malloc(size * ksize);
	struct zlb_ct_key *wide = ksize == sizeof(*wide) ? NULL : malloc(size * sizeof(*wide));
	struct zlb_ct_entry *vals = malloc(size * sizeof(*vals));
	bool first = true, done = false;
	int rc = 0;

	while (!done && !rc && keys && vals && (wide || ksize == sizeof(*wide))) {
		int r;

		count = size;
		if (take)
			r = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &token, &token, keys,
							    vals, &count, &opts);
		else
			r = bpf_map_lookup_batch(fd, first ? NULL : &token, &token, keys, vals,
						 &count, &opts);
		if (r) {
			if (errno == ENOSPC && size < (1u << 20)) {
				size *= 2;
				free(keys);
				free(wide);
				free(vals);
				keys = malloc(size * ksize);
				wide = ksize == sizeof(*wide) ? NULL : malloc(size * sizeof(*wide));
				vals = malloc(size * sizeof(*vals));
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
		if (wide)
			for (__u32 i = 0; i < count; i++)
				zlb_ct_key_from4((const struct zlb_ct_key4 *)keys + i, wide + i);
		rc = fn(ctx, wide ? wide : keys, vals, count);
	}
	if (!rc && (!keys || !vals || (!wide && ksize != sizeof(*wide)))) {
		zlb_err_set(err, "out of memory");
		rc = -1;
	}
	free(keys);
	free(wide);
	free(vals);
	return rc;
}

int zlb_ct_walk(const struct zlb_maps *m, bool take, zlb_ct_batch_fn fn, void *ctx,
		struct zlb_err *err)
{
	int rc = walk_table(m->fd[ZLB_M_CONNTRACK4], ZLB_MAP_CONNTRACK4,
			    sizeof(struct zlb_ct_key4), take, fn, ctx, err);

	if (rc)
		return rc;
	return walk_table(m->fd[ZLB_M_CONNTRACK], ZLB_MAP_CONNTRACK, sizeof(struct zlb_ct_key),
			  take, fn, ctx, err);
}

/* @keys split by table: IPv4 keys narrowed into @k4 (@n4 of them), the
 * others' indexes in @idx (@n6). */
struct split {
	struct zlb_ct_key4 *k4;
	size_t *idx;
	size_t n4, n6;
};

static int split_keys(const struct zlb_ct_key *keys, size_t n, struct split *s,
		      struct zlb_err *err)
{
	s->k4 = malloc((n ? n : 1) * sizeof(*s->k4));
	s->idx = malloc((n ? n : 1) * sizeof(*s->idx));
	s->n4 = s->n6 = 0;
	if (!s->k4 || !s->idx) {
		free(s->k4);
		free(s->idx);
		zlb_err_set(err, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (zlb_ct_key_is_v4(&keys[i]))
			zlb_ct_key_to4(&keys[i], &s->k4[s->n4++]);
		else
			s->idx[s->n6++] = i;
	}
	return 0;
}

static void split_free(struct split *s)
{
	free(s->k4);
	free(s->idx);
}

int zlb_ct_update_batch(const struct zlb_maps *m, const struct zlb_ct_key *keys,
			const struct zlb_ct_entry *vals, size_t n, struct zlb_err *err)
{
	struct zlb_ct_entry *v4 = malloc((n ? n : 1) * sizeof(*v4));
	struct zlb_ct_entry *v6 = malloc((n ? n : 1) * sizeof(*v6));
	struct zlb_ct_key *k6 = malloc((n ? n : 1) * sizeof(*k6));
	struct split s;
	int rc = -1;

	if (!v4 || !v6 || !k6) {
		zlb_err_set(err, "out of memory");
		goto out;
	}
	if (split_keys(keys, n, &s, err))
		goto out;
	for (size_t i = 0, j = 0; i < n; i++) {
		if (j < s.n6 && s.idx[j] == i) {
			k6[j] = keys[i];
			v6[j++] = vals[i];
		} else {
			v4[i - j] = vals[i];
		}
	}
	rc = 0;
	for (int t = 0; t < 2 && !rc; t++) {
		int fd = t ? m->fd[ZLB_M_CONNTRACK] : m->fd[ZLB_M_CONNTRACK4];
		const char *keyv = t ? (const char *)k6 : (const char *)s.k4;
		size_t ksize = t ? sizeof(*k6) : sizeof(*s.k4), total = t ? s.n6 : s.n4;
		const struct zlb_ct_entry *vv = t ? v6 : v4;

		for (size_t done = 0; done < total;) {
			__u32 count = total - done > CT_BATCH ? CT_BATCH : total - done, want = count;

			if (bpf_map_update_batch(fd, keyv + done * ksize, vv + done, &count, NULL) ||
			    count != want) {
				zlb_err_set(err, "%s: batch update: %s (%u of %u written)",
					    t ? ZLB_MAP_CONNTRACK : ZLB_MAP_CONNTRACK4,
					    strerror(errno), count, want);
				rc = -1;
				break;
			}
			done += count;
		}
	}
	split_free(&s);
out:
	free(v4);
	free(v6);
	free(k6);
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
	struct zlb_ct_key *k6 = malloc((n ? n : 1) * sizeof(*k6));
	long d4 = -1, d6 = -1;
	struct split s;

	if (!k6) {
		zlb_err_set(err, "out of memory");
		return -1;
	}
	if (!split_keys(keys, n, &s, err)) {
		for (size_t j = 0; j < s.n6; j++)
			k6[j] = keys[s.idx[j]];
		d4 = delete_batch(m->fd[ZLB_M_CONNTRACK4], ZLB_MAP_CONNTRACK4, s.k4,
				  sizeof(*s.k4), s.n4, err);
		if (d4 >= 0)
			d6 = delete_batch(m->fd[ZLB_M_CONNTRACK], ZLB_MAP_CONNTRACK, k6,
					  sizeof(*k6), s.n6, err);
		split_free(&s);
	}
	free(k6);
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
