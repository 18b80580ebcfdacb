/* SPDX-License-Identifier: GPL-2.0 */
/* The config model (what zonlb.conf says, validated) and its libconfig
 * parser. Pure user space: nothing here touches the kernel, so it is tested
 * without root. Interface existence is checked by the caller. */
#ifndef ZLB_CONFIG_H
#define ZLB_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <net/if.h>

#include "log.h"
#include "zlb_abi.h"
#include "zlb_addr.h"

#define ZLB_NAME_MAX 64

/* Addresses are of either family (IPv4 IPv4-mapped, zlb_addr.h); a
 * backend's address and source are of its service's family. */
struct zlb_cfg_backend {
	union zlb_addr addr;
	uint16_t port;            /* host order, 1..65535 */
	uint16_t weight;          /* 0..ZLB_MAX_WEIGHT, default 1; 0 drains */
	bool has_source;
	union zlb_addr source;    /* valid when has_source */
	int line;
};

struct zlb_cfg_service {
	char name[ZLB_NAME_MAX];
	union zlb_addr addr;
	uint8_t proto;            /* IPPROTO_TCP or IPPROTO_UDP */
	uint16_t port;            /* host order, 1..65535 */
	int icmp_echo;            /* as written: -1 unset, 0 false, 1 true */
	bool takes_icmp_echo;     /* resolved: this service answers echo for addr */
	uint32_t table_size;      /* Maglev table entries, a prime, default ZLB_MAGLEV_DEFAULT_SIZE */
	struct zlb_cfg_backend *backends;
	size_t nbackends;
	int line;
};

/* Which hook an interface runs zon-lb on: settings.mode, or the mode of
 * its interfaces entry. */
enum zlb_if_mode {
	ZLB_IF_MODE_XDP,          /* the default */
	ZLB_IF_MODE_TC,           /* tc ingress (clsact, cls_bpf direct-action) */
	ZLB_IF_MODE_AUTO,         /* tc on a veth, XDP elsewhere: zlb-load decides */
};

struct zlb_cfg_iface {
	char name[IF_NAMESIZE];
	enum zlb_if_mode mode;    /* its own, else settings.mode */
	int line;                 /* of its name */
};

struct zlb_config {
	char *path;
	struct zlb_cfg_service *services;
	size_t nservices;
	struct zlb_cfg_iface *ifaces;
	size_t nifaces;
	uint32_t fib_cache_ms;    /* settings.fib_cache_ms, default ZLB_DEFAULT_FIB_CACHE_MS */
	uint32_t conntrack_size;  /* settings.conntrack_size, default ZLB_CONNTRACK_SIZE:
				     entries of the IPv4 connection table */
	int conntrack_size_line;  /* its line, 0 when not set */
	uint32_t conntrack_size_ipv6;  /* settings.conntrack_size_ipv6, default
					  conntrack_size: of the IPv6 one */
	int conntrack_size_ipv6_line;
	uint16_t snat_port_min;   /* settings.snat_ports = [min, max] */
	uint16_t snat_port_max;
	uint32_t timeout_s[ZLB_CT_STATE_MAX];  /* settings.timeouts, seconds */
	enum zlb_if_mode mode;    /* settings.mode, default ZLB_IF_MODE_XDP */
};

/* Parse and validate @path into @cfg. On failure returns -1, leaves @cfg
 * empty and puts "PATH:LINE: problem" in @err (PATH alone when the problem
 * has no line, e.g. unreadable file). */
int zlb_config_load(const char *path, struct zlb_config *cfg, struct zlb_err *err);
/* The same from a string (tests); @name stands for the path in messages. */
int zlb_config_load_string(const char *text, const char *name,
			   struct zlb_config *cfg, struct zlb_err *err);
void zlb_config_free(struct zlb_config *cfg);

const char *zlb_proto_name(uint8_t proto);
/* "xdp", "tc" or "auto", as written in a config. */
const char *zlb_if_mode_name(enum zlb_if_mode mode);

#endif
