/* SPDX-License-Identifier: GPL-2.0 */
/* The config as the fuzzer's checks see it: services, their backends and
 * the source address each backend uses (what zlb-load resolved), of either
 * family (IPv4 kept IPv4-mapped, as in the maps). The model of "ours":
 * nothing here comes from the data plane. */
#ifndef ZLB_FUZZ_MODEL_H
#define ZLB_FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "lb.h"
#include "view.h"
#include "zlb_abi.h"

struct fz_backend {
	union zlb_addr addr, snat;      /* snat zeros: unknown (any address will do) */
	uint16_t port;
	uint32_t id;            /* zlb_backend.id */
};

struct fz_service {
	union zlb_addr addr;
	uint16_t port;
	uint8_t proto;
	bool echo;              /* also answers ICMP (IPv6: ICMPv6) echo for addr */
	uint32_t id;
	struct fz_backend be[ZLB_MAX_BACKENDS_PER_SVC];
	size_t nbe;
};

struct model {
	struct fz_service *svc;
	size_t nsvc;
	union zlb_addr ours[2 * FUZZ_MAX_BACKENDS];     /* service and source addresses */
	size_t nours;
	uint16_t snat_min, snat_max;
};

int model_init(struct model *m, const struct lb *lb);
void model_free(struct model *m);

/* Whether @addr, the destination of an IPv4 packet or (@v6) an IPv6 one,
 * is one of ours. An IPv6 packet's IPv4-mapped address is nobody's. */
bool model_is_ours(const struct model *m, const union zlb_addr *addr, bool v6);
/* The service an IPv4 or (@v6) IPv6 packet to @addr:@port of @proto
 * opens flows of (ICMP, ICMPv6: echo of that family, @port ignored), or
 * NULL. */
const struct fz_service *model_service(const struct model *m, const union zlb_addr *addr,
				       bool v6, uint16_t port, uint8_t proto);
/* The backend @addr:@port of @s (echo: any port), or NULL. */
const struct fz_backend *model_backend(const struct fz_service *s, const union zlb_addr *addr,
				       uint16_t port, uint8_t proto);
/* Whether @b sends from @addr. */
bool model_source_ok(const struct fz_backend *b, const union zlb_addr *addr);

/* A connection-table key from a tuple (ports in host order). */
struct zlb_ct_key ct_key(const union zlb_addr *saddr, const union zlb_addr *daddr,
			 uint16_t sport, uint16_t dport, uint8_t proto);

#endif
