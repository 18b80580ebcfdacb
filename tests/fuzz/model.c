// SPDX-License-Identifier: GPL-2.0
/* The config as the fuzzer's checks see it. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>

#include "model.h"

static void add_ours(struct model *m, uint32_t addr)
{
	if (addr && !model_is_ours(m, addr) && m->nours < sizeof(m->ours) / sizeof(m->ours[0]))
		m->ours[m->nours++] = addr;
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

		fs->addr = ntohl(s->addr.v4);
		fs->port = s->port;
		fs->proto = s->proto;
		fs->echo = s->takes_icmp_echo;
		fs->id = i;
		fs->nbe = s->nbackends;
		add_ours(m, fs->addr);
		for (size_t j = 0; j < s->nbackends; j++, flat++) {
			fs->be[j].addr = ntohl(s->backends[j].addr.v4);
			fs->be[j].port = s->backends[j].port;
			fs->be[j].snat = ntohl(lb->backend_snat[flat].v4);
			fs->be[j].id = i * ZLB_MAX_BACKENDS_PER_SVC + j;
			add_ours(m, fs->be[j].snat);
		}
	}
	return 0;
}

void model_free(struct model *m)
{
	free(m->svc);
}

bool model_is_ours(const struct model *m, uint32_t addr)
{
	for (size_t i = 0; i < m->nours; i++)
		if (m->ours[i] == addr)
			return true;
	return false;
}

const struct fz_service *model_service(const struct model *m, uint32_t addr, uint16_t port,
				       uint8_t proto)
{
	for (size_t i = 0; i < m->nsvc; i++) {
		const struct fz_service *s = &m->svc[i];

		if (s->addr != addr)
			continue;
		if (proto == IPPROTO_ICMP ? s->echo : s->proto == proto && s->port == port)
			return s;
	}
	return NULL;
}

const struct fz_backend *model_backend(const struct fz_service *s, uint32_t addr,
				       uint16_t port, uint8_t proto)
{
	for (size_t i = 0; i < s->nbe; i++)
		if (s->be[i].addr == addr && (proto == IPPROTO_ICMP || s->be[i].port == port))
			return &s->be[i];
	return NULL;
}

bool model_source_ok(const struct fz_backend *b, uint32_t addr)
{
	return b->snat ? addr == b->snat : addr != 0;
}

struct zlb_ct_key ct_key(uint32_t saddr, uint32_t daddr, uint16_t sport, uint16_t dport,
			 uint8_t proto)
{
	struct zlb_ct_key k = {
		.saddr = zlb_addr_v4(htonl(saddr)), .daddr = zlb_addr_v4(htonl(daddr)),
		.sport = htons(sport), .dport = htons(dport), .proto = proto,
	};

	return k;
}

void ip4_str(uint32_t a, char buf[16])
{
	snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}
