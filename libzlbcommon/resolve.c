// SPDX-License-Identifier: GPL-2.0
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "resolve.h"

struct zlb_route_memo_slot {
	bool used;
	int rc;
	union zlb_addr dst;
	struct zlb_route_info rt;
	char *msg;                   /* rc != 0: what the lookup said */
};

int zlb_route_memo_init(struct zlb_route_memo *m, size_t n, zlb_route_lookup_fn lookup,
			void *ctx, struct zlb_err *err)
{
	size_t cap = 16;

	while (cap < 2 * n && cap < ((size_t)1 << 40))
		cap <<= 1;
	memset(m, 0, sizeof(*m));
	m->lookup = lookup;
	m->ctx = ctx;
	m->slot = calloc(cap, sizeof(*m->slot));
	if (!m->slot) {
		zlb_err_set(err, "out of memory");
		return -1;
	}
	m->cap = cap;
	return 0;
}

static int nl_lookup(void *nl, const union zlb_addr *dst, struct zlb_route_info *out,
		     struct zlb_err *err)
{
	return zlb_nl_route_get(nl, dst, out, err);
}

int zlb_route_memo_init_nl(struct zlb_route_memo *m, size_t n, struct zlb_nl *nl,
			   struct zlb_err *err)
{
	return zlb_route_memo_init(m, n, nl_lookup, nl, err);
}

void zlb_route_memo_free(struct zlb_route_memo *m)
{
	for (size_t i = 0; m->slot && i < m->cap; i++)
		free(m->slot[i].msg);
	free(m->slot);
	m->slot = NULL;
}

/* FNV-1a over the address's 16 bytes. */
static size_t addr_hash(const union zlb_addr *a)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < sizeof(a->b); i++)
		h = (h ^ a->b[i]) * 0x100000001b3ull;
	return (size_t)(h ^ (h >> 32));
}

int zlb_route_memo_get(struct zlb_route_memo *m, const union zlb_addr *dst,
		       struct zlb_route_info *out, struct zlb_err *err)
{
	struct zlb_route_memo_slot *s = NULL;
	size_t i;

	for (i = addr_hash(dst) & (m->cap - 1); m->slot[i].used; i = (i + 1) & (m->cap - 1))
		if (zlb_addr_equal(&m->slot[i].dst, dst))
			break;
	if (m->slot[i].used) {
		s = &m->slot[i];
		*out = s->rt;
		if (s->rc)
			zlb_err_set(err, "%s", s->msg);
		return s->rc;
	}
	/* Kept while the table is at most half full, which keeps its probes
	 * short; past that (more destinations than init was told) each one
	 * is asked anew. */
	if (2 * (m->used + 1) <= m->cap)
		s = &m->slot[i];
	if (!s)
		return m->lookup(m->ctx, dst, out, err);
	s->rc = m->lookup(m->ctx, dst, &s->rt, err);
	if (s->rc && !(s->msg = strdup(err->msg)))
		return s->rc;           /* not kept: asked again next time */
	s->used = true;
	s->dst = *dst;
	m->used++;
	*out = s->rt;
	return s->rc;
}

int zlb_resolve_sources(struct zlb_nl *nl, const struct zlb_config *cfg, bool fib_src,
			union zlb_addr *src, union zlb_addr *snat, struct zlb_err *err)
{
	char a[ZLB_ADDR_LEN];
	size_t flat = 0;
	struct zlb_route_memo routes;
	int rc = -1;

	if (zlb_route_memo_init_nl(&routes, zlb_config_backend_count(cfg), nl, err))
		return -1;
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct zlb_cfg_service *s = &cfg->services[i];

		for (size_t j = 0; j < s->nbackends; j++, flat++) {
			const struct zlb_cfg_backend *b = &s->backends[j];
			struct zlb_route_info rt;
			bool routed;

			if (b->has_source) {
				src[flat] = snat[flat] = b->source;
				continue;
			}
			routed = !zlb_route_memo_get(&routes, &b->addr, &rt, err) &&
				 !zlb_addr_is_zero(&rt.prefsrc);
			if (!routed && !fib_src) {
				zlb_err_set(err, "%s:%d: service '%s': no source address for backend %s (no route with a source address; set 'source')",
					    cfg->path, b->line, s->name, zlb_fmt_addr(a, &b->addr));
				goto out;
			}
			memset(&snat[flat], 0, sizeof(snat[flat]));
			memset(&src[flat], 0, sizeof(src[flat]));
			if (routed)
				snat[flat] = rt.prefsrc;
			if (!fib_src)
				src[flat] = rt.prefsrc;
		}
	}
	rc = 0;
out:
	zlb_route_memo_free(&routes);
	return rc;
}
