// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>

#include "resolve.h"

int zlb_resolve_sources(struct zlb_nl *nl, const struct zlb_config *cfg, bool fib_src,
			__be32 *src, __be32 *snat, struct zlb_err *err)
{
	char a[INET_ADDRSTRLEN];
	size_t flat = 0;

	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct zlb_cfg_service *s = &cfg->services[i];

		for (size_t j = 0; j < s->nbackends; j++, flat++) {
			const struct zlb_cfg_backend *b = &s->backends[j];
			struct zlb_route_info rt;
			bool routed;

			if (b->has_source) {
				src[flat] = snat[flat] = b->source.s_addr;
				continue;
			}
			routed = !zlb_nl_route_get(nl, b->addr.s_addr, &rt, err) && rt.prefsrc;
			if (!routed && !fib_src) {
				zlb_err_set(err, "%s:%d: service '%s': no source address for backend %s (no route with a source address; set 'source')",
					    cfg->path, b->line, s->name,
					    inet_ntop(AF_INET, &b->addr, a, sizeof(a)));
				return -1;
			}
			snat[flat] = routed ? rt.prefsrc : 0;
			src[flat] = fib_src ? 0 : rt.prefsrc;
		}
	}
	return 0;
}
