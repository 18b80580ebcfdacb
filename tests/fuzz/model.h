/* SPDX-License-Identifier: GPL-2.0 */
/* The config as the fuzzer's checks see it: services, their backends and
 * the source address each backend uses (what zlb-load resolved), in host
 * order. The model of "ours": nothing here comes from the data plane. */
#ifndef ZLB_FUZZ_MODEL_H
#define ZLB_FUZZ_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lb.h"
#include "zlb_abi.h"

struct fz_backend {
	uint32_t addr, snat;    /* snat 0: unknown (any address will do) */
	uint16_t port;
	uint32_t id;            /* zlb_backend.id */
};

struct fz_service {
	uint32_t addr;
	uint16_t port;
	uint8_t proto;
	bool echo;              /* also answers ICMP echo for addr */
	uint32_t id;
	struct fz_backend be[ZLB_MAX_BACKENDS_PER_SVC];
	size_t nbe;
};

struct model {
	struct fz_service *svc;
	size_t nsvc;
	uint32_t ours[2 * FUZZ_MAX_BACKENDS];   /* service and source addresses */
	size_t nours;
	uint16_t snat_min, snat_max;
};

int model_init(struct model *m, const struct lb *lb);
void model_free(struct model *m);

bool model_is_ours(const struct model *m, uint32_t addr);
/* The service a packet to @addr:@port of @proto opens flows of (ICMP:
 * echo, @port ignored), or NULL. */
const struct fz_service *model_service(const struct model *m, uint32_t addr, uint16_t port,
				       uint8_t proto);
/* The backend @addr:@port of @s (ICMP: any port), or NULL. */
const struct fz_backend *model_backend(const struct fz_service *s, uint32_t addr,
				       uint16_t port, uint8_t proto);
/* Whether @b sends from @addr. */
bool model_source_ok(const struct fz_backend *b, uint32_t addr);

/* A connection-table key from a host-order tuple. */
struct zlb_ct_key ct_key(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
			 uint8_t proto);
void ip4_str(uint32_t addr, char buf[16]);

#endif
