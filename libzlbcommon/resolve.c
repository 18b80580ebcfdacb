// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include "addr.h"
#include "resolve.h"

int zlb_resolve_sources(struct zlb_nl *nl, const struct zlb_config *cfg, bool fib_src,
			union zlb_addr *src, union zlb_addr *snat, struct zlb_err *err)
{
	char a[ZLB_ADDR_LEN];
	size_t flat = 0;

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
			routed = !zlb_nl_route_get(nl, &b->addr, &rt, err) &&
				 !zlb_addr_is_zero(&rt.prefsrc);
			if (!routed && !fib_src) {
				zlb_err_set(err, "%s:%d: service '%s': no source address for backend %s (no route with a source address; set 'source')",
					    cfg->path, b->line, s->name, zlb_fmt_addr(a, &b->addr));
				return -1;
			}
			memset(&snat[flat], 0, sizeof(snat[flat]));
			memset(&src[flat], 0, sizeof(src[flat]));
			if (routed)
				snat[flat] = rt.prefsrc;
			if (!fib_src)
				src[flat] = rt.prefsrc;
		}
	}
	return 0;
}
