// SPDX-License-Identifier: GPL-2.0
/* The config as the fuzzer's checks see it. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "model.h"

static bool in_ours(const struct model *m, const union zlb_addr *addr)
{
	for (size_t i = 0; i < m->nours; i++)
		if (zlb_addr_equal(&m->ours[i], addr))
			return true;
	return false;
}

static void add_ours(struct model *m, const union zlb_addr *addr)
{
	if (!zlb_addr_is_zero(addr) && !in_ours(m, addr) &&
	    m->nours < sizeof(m->ours) / sizeof(m->ours[0]))
		m->ours[m->nours++] = *addr;
}

int model_init(struct model *m, const struct lb *lb)
{
	const struct zlb_config *cfg = &lb->cfg;
	size_t flat = 0;

	memset(m, 0, sizeof(*m));
	m->snat_min = cfg->snat_port_min;
	m->snat_max = cfg->snat_port_max;
	m->svc = calloc(cfg->nservices, sizeof(*m->svc));
	if (!m->svc)
		return -1;
	m->nsvc = cfg->nservices;
	for (size_t i = 0; i < cfg->nservices; i++) {
		const struct zlb_cfg_service *s = &cfg->services[i];
		struct fz_service *fs = &m->svc[i];

		fs->addr = s->addr;
		fs->port = s->port;
		fs->proto = s->proto;
		fs->echo = s->takes_icmp_echo;
		fs->id = i;
		fs->nbe = s->nbackends;
		add_ours(m, &fs->addr);
		for (size_t j = 0; j < s->nbackends; j++, flat++) {
			fs->be[j].addr = s->backends[j].addr;
			fs->be[j].port = s->backends[j].port;
			fs->be[j].snat = lb->backend_snat[flat];
			fs->be[j].id = i * ZLB_MAX_BACKENDS_PER_SVC + j;
			add_ours(m, &fs->be[j].snat);
		}
	}
	return 0;
}

void model_free(struct model *m)
{
	free(m->svc);
}

bool model_is_ours(const struct model *m, const union zlb_addr *addr, bool v6)
{
	return zlb_addr_is_v4(addr) == !v6 && in_ours(m, addr);
}

const struct fz_service *model_service(const struct model *m, const union zlb_addr *addr,
				       bool v6, uint16_t port, uint8_t proto)
{
	if (zlb_addr_is_v4(addr) == v6)
		return NULL;
	for (size_t i = 0; i < m->nsvc; i++) {
		const struct fz_service *s = &m->svc[i];

		if (!zlb_addr_equal(&s->addr, addr))
			continue;
		if (is_echo_proto(proto) ? s->echo && proto == (v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP) :
		    s->proto == proto && s->port == port)
			return s;
	}
	return NULL;
}

const struct fz_backend *model_backend(const struct fz_service *s, const union zlb_addr *addr,
				       uint16_t port, uint8_t proto)
{
	for (size_t i = 0; i < s->nbe; i++)
		if (zlb_addr_equal(&s->be[i].addr, addr) &&
		    (is_echo_proto(proto) || s->be[i].port == port))
			return &s->be[i];
	return NULL;
}

bool model_source_ok(const struct fz_backend *b, const union zlb_addr *addr)
{
	if (!zlb_addr_is_zero(&b->snat))
		return zlb_addr_equal(addr, &b->snat);
	return !zlb_addr_is_zero(addr) && zlb_addr_is_v4(addr) == zlb_addr_is_v4(&b->addr);
}

struct zlb_ct_key ct_key(const union zlb_addr *saddr, const union zlb_addr *daddr,
			 uint16_t sport, uint16_t dport, uint8_t proto)
{
	struct zlb_ct_key k = {
		.saddr = *saddr, .daddr = *daddr,
		.sport = htons(sport), .dport = htons(dport), .proto = proto,
	};

	return k;
}
