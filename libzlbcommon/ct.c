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
static int walk_table(int fd, const char *name, size_t ksize, bool take, zlb_ct_batch_fn fn,
		      void *ctx, struct zlb_err *err)
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
			for (__u32 i = 0; i < count; i++)
				zlb_ct_key_from4((const struct zlb_ct_key4 *)b.keys + i, b.wide + i);
		rc = fn(ctx, b.wide ? b.wide : b.keys, b.vals, count);
	}
	batch_free(&b);
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
