// SPDX-License-Identifier: GPL-2.0
/* The zonlb.conf parser against the files in tests/configs: each good file
 * must give exactly the model written down here, each bad file must fail
 * with its file:line and words that name its one problem. Runs without
 * root; finds the files under $ZLB_SRCDIR (default "."). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "addr.h"
#include "config.h"
#include "zlb_abi.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *srcdir;
static char tmpdir[256];

static void config_path(char *buf, size_t size, const char *kind,
			const char *file)
{
	snprintf(buf, size, "%s/tests/configs/%s/%s", srcdir, kind, file);
}

static void tmp_path(char *buf, size_t size, const char *file)
{
	snprintf(buf, size, "%s/%s", tmpdir, file);
}

static bool is_zeroed(const struct zlb_config *cfg)
{
	static const struct zlb_config zero;

	return !memcmp(cfg, &zero, sizeof(zero));
}

static bool addr_is(union zlb_addr a, const char *want)
{
	union zlb_addr w;

	return zlb_parse_addr(want, &w) && zlb_addr_equal(&w, &a);
}

/* An address as text, for messages (a compound literal per use). */
#define ADDR(a) zlb_fmt_addr((char[ZLB_ADDR_LEN]){ 0 }, &(a))

/* ---- good configs: the model each file must produce ---- */

/* In the tables below a number left 0 stands for the default of its key
 * (from zlb_abi.h), so every file is checked for its defaults too; a
 * weight of 0, which is not the default, is written DRAINED. */
#define DRAINED -1

struct want_backend {
	const char *addr;
	uint16_t port;
	const char *source;	/* NULL: no source */
	int line;
	int weight;		/* 0: default (1); DRAINED: 0 */
};

struct want_service {
	const char *name;
	const char *addr;
	uint8_t proto;
	uint16_t port;
	int icmp_echo;
	bool takes_icmp_echo;
	int line;
	size_t nbackends;
	struct want_backend backends[3];
	uint32_t table_size;	/* 0: ZLB_MAGLEV_DEFAULT_SIZE */
};

struct want_iface {
	const char *name;
	int line;
	enum zlb_if_mode mode;	/* 0: ZLB_IF_MODE_XDP, the default */
};

struct want_config {
	const char *file;
	uint32_t fib_cache_ms;
	size_t nservices;
	struct want_service services[5];
	size_t nifaces;
	struct want_iface ifaces[4];
	uint32_t conntrack_size;		/* 0: ZLB_CONNTRACK_SIZE */
	uint32_t conntrack_size_ipv6;		/* 0: conntrack_size's */
	uint16_t snat_port_min, snat_port_max;	/* 0: ZLB_SNAT_PORT_MIN/MAX */
	uint32_t timeout_s[ZLB_CT_STATE_MAX];	/* 0: ZLB_TIMEOUT_* */
	enum zlb_if_mode mode;			/* settings.mode; 0: xdp */
};

static const uint32_t default_timeouts[ZLB_CT_STATE_MAX] = {
	[ZLB_CT_TCP_SYN] = ZLB_TIMEOUT_TCP_SYN,
	[ZLB_CT_TCP_ESTABLISHED] = ZLB_TIMEOUT_TCP_ESTABLISHED,
	[ZLB_CT_TCP_CLOSING] = ZLB_TIMEOUT_TCP_CLOSING,
	[ZLB_CT_TCP_CLOSE] = ZLB_TIMEOUT_TCP_CLOSE,
	[ZLB_CT_UDP] = ZLB_TIMEOUT_UDP,
	[ZLB_CT_ICMP] = ZLB_TIMEOUT_ICMP,
};

static const char *const ct_state_names[ZLB_CT_STATE_MAX] = ZLB_CT_STATE_NAMES;

static const struct want_config good_configs[] = {
	{
		.file = "reference.conf",
		.fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS,
		.nservices = 1,
		.services = {
			{ "telnet", "10.0.0.1", IPPROTO_TCP, 23, -1, true, 4, 1,
			  { { "10.2.0.2", 223, "10.2.0.1", 5 } } },
		},
		.nifaces = 2,
		.ifaces = { { "veth0", 7 }, { "veth2", 7 } },
	},
	{
		/* Nobody asks for echo: the first service of each address
		 * that does not refuse it takes it. */
		.file = "echo-default.conf",
		.fib_cache_ms = 250,
		.nservices = 5,
		.services = {
			{ "dns", "10.0.0.1", IPPROTO_UDP, 53, -1, true, 6, 2,
			  { { "10.2.0.2", 5353, NULL, 12 },
			    { "10.2.0.3", 5353, "10.2.0.1", 13 } } },
			{ "web", "10.0.0.1", IPPROTO_TCP, 80, -1, false, 16, 1,
			  { { "10.2.0.2", 8080, NULL, 21 } } },
			{ "dns-tcp", "10.0.0.1", IPPROTO_TCP, 53, -1, false, 23, 1,
			  { { "10.2.0.2", 5353, NULL, 28 } } },
			{ "quiet", "10.0.0.3", IPPROTO_TCP, 22, 0, false, 30, 1,
			  { { "10.2.0.4", 22, NULL, 36 } } },
			{ "ssh.alt_2", "10.0.0.3", IPPROTO_TCP, 2222, -1, true, 38, 1,
			  { { "10.2.0.4", 22, NULL, 43 } } },
		},
		.nifaces = 2,
		.ifaces = { { "eth0", 47 }, { "eth1.100", 47 } },
	},
	{
		/* An explicit true wins over an earlier unset service; an
		 * address whose services all say false answers no echo. */
		.file = "echo-explicit.conf",
		.fib_cache_ms = 3600000,
		.nservices = 4,
		.services = {
			{ "a", "10.0.0.1", IPPROTO_TCP, 1, -1, false, 7, 1,
			  { { "10.2.0.2", 65535, NULL, 8 } } },
			{ "b", "10.0.0.1", IPPROTO_UDP, 1, 1, true, 9, 1,
			  { { "10.2.0.2", 1, NULL, 11 } } },
			{ "c", "10.0.0.2", IPPROTO_UDP, 65535, 0, false, 12, 3,
			  { { "192.168.1.10", 9000, "192.168.1.1", 14 },
			    { "192.168.1.10", 9001, "192.168.1.1", 15 },
			    { "192.168.1.11", 9000, NULL, 16 } } },
			{ "d", "10.0.0.2", IPPROTO_TCP, 65535, 0, false, 17, 1,
			  { { "192.168.1.12", 9000, NULL, 19 } } },
		},
		/* "veth2" is followed by ");" on the next line. */
		.nifaces = 2,
		.ifaces = { { "veth0", 22 }, { "veth2", 23 } },
	},
	{
		.file = "empty.conf",
		.fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS,
	},
	{
		.file = "empty-sections.conf",
		.fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS,
	},
	{
		/* Every new key set, at the edges of its range where one
		 * file can hold them. */
		.file = "tuned.conf",
		.fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS,
		.nservices = 2,
		.services = {
			{ "web", "10.0.0.1", IPPROTO_TCP, 80, -1, true, 17, 3,
			  { { "10.2.0.2", 80, NULL, 20, 1000 },
			    { "10.2.0.3", 80, NULL, 21, DRAINED },
			    { "10.2.0.4", 80, NULL, 22, 0 } },
			  251 },
			{ "dns", "10.0.0.1", IPPROTO_UDP, 53, -1, false, 24, 1,
			  { { "10.2.0.2", 53, "10.2.0.1", 26, 3 } },
			  1048573 },
		},
		.conntrack_size = 1024,
		.conntrack_size_ipv6 = 16777216,
		.snat_port_min = 40000,
		.snat_port_max = 40007,
		.timeout_s = {
			[ZLB_CT_TCP_SYN] = 5,
			[ZLB_CT_TCP_ESTABLISHED] = 604800,
			[ZLB_CT_TCP_CLOSING] = 30,
			[ZLB_CT_TCP_CLOSE] = 1,
			[ZLB_CT_UDP] = 60,
			[ZLB_CT_ICMP] = 10,
		},
	},
	{
		/* The reference scenario over IPv6; the second service's
		 * address is the first's in other notation, so the first
		 * takes echo. */
		.file = "ipv6.conf",
		.fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS,
		.nservices = 2,
		.services = {
			{ "telnet6", "fd00::1", IPPROTO_TCP, 23, -1, true, 6, 1,
			  { { "fd00:2::2", 223, "fd00:2::1", 7 } } },
			{ "dns6", "fd00::1", IPPROTO_UDP, 53, -1, false, 8, 2,
			  { { "2001:db8:0:2::10", 5353, NULL, 9 },
			    { "2001:db8:0:2::11", 5353, NULL, 10, 3 } } },
		},
		.nifaces = 2,
		.ifaces = { { "veth0", 12 }, { "veth2", 12 } },
	},
	{
		/* An IPv4 and an IPv6 service at once; each address takes
		 * echo with its first service. */
		.file = "dual-stack.conf",
		.fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS,
		.nservices = 3,
		.services = {
			{ "telnet", "10.0.0.1", IPPROTO_TCP, 23, -1, true, 5, 1,
			  { { "10.2.0.2", 223, "10.2.0.1", 7 } } },
			{ "telnet6", "fd00::1", IPPROTO_TCP, 23, -1, true, 8, 1,
			  { { "fd00:2::2", 223, "fd00:2::1", 10 } } },
			{ "echo6", "fd00::1", IPPROTO_UDP, 7, 0, false, 11, 1,
			  { { "fd00:2::2", 7, NULL, 13 } } },
		},
		.nifaces = 2,
		.ifaces = { { "veth0", 15 }, { "veth2", 15 } },
	},
	{
		/* Some timeouts set, the others at their defaults. */
		.file = "settings-edges.conf",
		.fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS,
		.nservices = 1,
		.services = {
			{ "drained", "10.0.0.1", IPPROTO_TCP, 22, -1, true, 10, 1,
			  { { "10.2.0.2", 22, NULL, 12, DRAINED } },
			  65537 },
		},
		.conntrack_size = 16777216,
		.snat_port_min = 1024,
		.snat_port_max = 65535,
		.timeout_s = {
			[ZLB_CT_TCP_ESTABLISHED] = 3600,
			[ZLB_CT_ICMP] = 1,
		},
	},
	{
		/* settings.mode for names alone and for a group without a
		 * mode; a group's own mode wherever its key stands. */
		.file = "modes.conf",
		.fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS,
		.nservices = 1,
		.services = {
			{ "telnet", "10.0.0.1", IPPROTO_TCP, 23, -1, true, 7, 1,
			  { { "10.2.0.2", 223, NULL, 8 } } },
		},
		.nifaces = 4,
		.ifaces = { { "veth0", 11, ZLB_IF_MODE_AUTO }, { "veth2", 12, ZLB_IF_MODE_TC },
			    { "eth0", 13, ZLB_IF_MODE_XDP }, { "eth1", 14, ZLB_IF_MODE_AUTO } },
		.mode = ZLB_IF_MODE_AUTO,
	},
	{
		.file = "mode-tc.conf",
		.fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS,
		.nifaces = 3,
		.ifaces = { { "veth0", 3, ZLB_IF_MODE_TC }, { "eth0", 3, ZLB_IF_MODE_XDP },
			    { "veth2", 3, ZLB_IF_MODE_TC } },
		.mode = ZLB_IF_MODE_TC,
	},
};

static bool check_backend(const struct zlb_cfg_backend *be,
			  const struct want_backend *w, const char *where)
{
	int weight;

	CHECK(addr_is(be->addr, w->addr), "%s: address %s, want %s",
	      where, ADDR(be->addr), w->addr);
	CHECK(be->port == w->port, "%s: port %u, want %u", where, be->port, w->port);
	CHECK(be->has_source == !!w->source, "%s: has_source %d, want %d",
	      where, be->has_source, !!w->source);
	if (w->source)
		CHECK(addr_is(be->source, w->source), "%s: source %s, want %s",
		      where, ADDR(be->source), w->source);
	CHECK(be->line == w->line, "%s: line %d, want %d", where, be->line, w->line);
	weight = w->weight == DRAINED ? 0 : w->weight ? w->weight : 1;
	CHECK(be->weight == weight, "%s: weight %u, want %d", where, be->weight, weight);
	return true;
}

static bool check_service(const struct zlb_cfg_service *svc,
			  const struct want_service *w, size_t i)
{
	char where[64];
	size_t j;

	CHECK(!strcmp(svc->name, w->name), "services[%zu]: name \"%s\", want \"%s\"",
	      i, svc->name, w->name);
	CHECK(addr_is(svc->addr, w->addr), "%s: address %s, want %s",
	      w->name, ADDR(svc->addr), w->addr);
	CHECK(svc->proto == w->proto, "%s: protocol %s, want %s", w->name,
	      zlb_proto_name(svc->proto), zlb_proto_name(w->proto));
	CHECK(svc->port == w->port, "%s: port %u, want %u", w->name, svc->port, w->port);
	CHECK(svc->icmp_echo == w->icmp_echo, "%s: icmp_echo %d, want %d",
	      w->name, svc->icmp_echo, w->icmp_echo);
	CHECK(svc->takes_icmp_echo == w->takes_icmp_echo,
	      "%s: takes_icmp_echo %d, want %d", w->name,
	      svc->takes_icmp_echo, w->takes_icmp_echo);
	CHECK(svc->line == w->line, "%s: line %d, want %d", w->name, svc->line, w->line);
	CHECK(svc->table_size == (w->table_size ? w->table_size : ZLB_MAGLEV_DEFAULT_SIZE),
	      "%s: table_size %u, want %u", w->name, svc->table_size,
	      w->table_size ? w->table_size : ZLB_MAGLEV_DEFAULT_SIZE);
	CHECK(svc->nbackends == w->nbackends, "%s: %zu backends, want %zu",
	      w->name, svc->nbackends, w->nbackends);
	for (j = 0; j < w->nbackends; j++) {
		snprintf(where, sizeof(where), "%s backends[%zu]", w->name, j);
		if (!check_backend(&svc->backends[j], &w->backends[j], where))
			return false;
	}
	return true;
}

static bool check_settings(const struct zlb_config *cfg,
			   const struct want_config *w)
{
	uint32_t want;
	int i;

	want = w->conntrack_size ? w->conntrack_size : ZLB_CONNTRACK_SIZE;
	CHECK(cfg->conntrack_size == want, "conntrack_size %u, want %u",
	      cfg->conntrack_size, want);
	want = w->conntrack_size_ipv6 ? w->conntrack_size_ipv6 : want;
	CHECK(cfg->conntrack_size_ipv6 == want, "conntrack_size_ipv6 %u, want %u",
	      cfg->conntrack_size_ipv6, want);
	want = w->snat_port_min ? w->snat_port_min : ZLB_SNAT_PORT_MIN;
	CHECK(cfg->snat_port_min == want, "snat_ports min %u, want %u",
	      cfg->snat_port_min, want);
	want = w->snat_port_max ? w->snat_port_max : ZLB_SNAT_PORT_MAX;
	CHECK(cfg->snat_port_max == want, "snat_ports max %u, want %u",
	      cfg->snat_port_max, want);
	for (i = 0; i < ZLB_CT_STATE_MAX; i++) {
		want = w->timeout_s[i] ? w->timeout_s[i] : default_timeouts[i];
		CHECK(cfg->timeout_s[i] == want, "timeout %s %u s, want %u s",
		      ct_state_names[i], cfg->timeout_s[i], want);
	}
	return true;
}

static bool check_model(const struct zlb_config *cfg, const struct want_config *w,
			const char *path)
{
	size_t i;

	CHECK(cfg->path && !strcmp(cfg->path, path), "path \"%s\", want \"%s\"",
	      cfg->path ? cfg->path : "(null)", path);
	CHECK(cfg->fib_cache_ms == w->fib_cache_ms, "fib_cache_ms %u, want %u",
	      cfg->fib_cache_ms, w->fib_cache_ms);
	if (!check_settings(cfg, w))
		return false;
	CHECK(cfg->nservices == w->nservices, "%zu services, want %zu",
	      cfg->nservices, w->nservices);
	for (i = 0; i < w->nservices; i++)
		if (!check_service(&cfg->services[i], &w->services[i], i))
			return false;
	CHECK(cfg->nifaces == w->nifaces, "%zu interfaces, want %zu",
	      cfg->nifaces, w->nifaces);
	for (i = 0; i < w->nifaces; i++) {
		CHECK(!strcmp(cfg->ifaces[i].name, w->ifaces[i].name),
		      "interfaces[%zu] \"%s\", want \"%s\"", i,
		      cfg->ifaces[i].name, w->ifaces[i].name);
		CHECK(cfg->ifaces[i].line == w->ifaces[i].line,
		      "interfaces[%zu] line %d, want %d", i,
		      cfg->ifaces[i].line, w->ifaces[i].line);
		CHECK(cfg->ifaces[i].mode == w->ifaces[i].mode,
		      "interfaces[%zu] mode %s, want %s", i,
		      zlb_if_mode_name(cfg->ifaces[i].mode),
		      zlb_if_mode_name(w->ifaces[i].mode));
	}
	CHECK(cfg->mode == w->mode, "settings.mode %s, want %s",
	      zlb_if_mode_name(cfg->mode), zlb_if_mode_name(w->mode));
	return true;
}

static bool test_good(const struct want_config *w)
{
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	char path[512];
	bool ok;

	config_path(path, sizeof(path), "good", w->file);
	CHECK(zlb_config_load(path, &cfg, &err) == 0, "load failed: %s", err.msg);
	ok = check_model(&cfg, w, path);
	zlb_config_free(&cfg);
	if (!ok)
		return false;
	CHECK(is_zeroed(&cfg), "zlb_config_free left the config non-zero");
	return true;
}

/* ---- bad configs: one problem each, its line and the words naming it ---- */

struct bad_case {
	const char *file;
	int line;
	const char *expect;
};

static const struct bad_case bad_cases[] = {
	{ "syntax-error.conf", 5, "syntax error" },
	{ "duplicate-key.conf", 4, "duplicate setting name" },
	{ "unknown-top-key.conf", 2, "service: unknown key; expected one of: settings, services, interfaces" },
	{ "unknown-settings-key.conf", 3, "settings.fib_cache: unknown key" },
	{ "unknown-service-key.conf", 4, "services[0].weight: unknown key" },
	{ "unknown-backend-key.conf", 5, "services[0].backends[0].src: unknown key" },
	{ "port-out-of-range.conf", 6, "services[0].port: 70000 is out of range (1..65535)" },
	{ "backend-port-zero.conf", 6, "services[0].backends[0].port: 0 is out of range (1..65535)" },
	{ "port-string.conf", 3, "services[0].port: expected an integer, got a string (\"23\")" },
	{ "name-int.conf", 3, "services[0].name: expected a string, got an integer" },
	{ "name-empty.conf", 3, "services[0].name: must not be empty" },
	{ "name-too-long.conf", 3, "is longer than 63 characters" },
	{ "name-bad-char.conf", 3, "services[0].name: \"tel net\" contains ' '" },
	{ "address-ipv6.conf", 5, "services[0].backends[0].address: 10.2.0.2 is an IPv4 address, service \"telnet\" is IPv6 (2001:db8::1): a service and its backends and sources must be of one family; mixing IPv4 and IPv6 in one service is out of scope" },
	{ "address-garbage.conf", 5, "services[0].backends[0].address: \"10.2.0\" is not an IPv4 or IPv6 address" },
	{ "address-loopback.conf", 3, "services[0].address: 127.0.0.1 is a loopback address" },
	{ "address-unspecified.conf", 3, "services[0].address: 0.0.0.0 is the unspecified address" },
	{ "backend-multicast.conf", 6, "services[0].backends[1].address: 239.1.2.3 is a multicast address" },
	{ "source-broadcast.conf", 6, "services[0].backends[0].source: 255.255.255.255 is the broadcast address" },
	{ "protocol-upper.conf", 4, "services[0].protocol: \"TCP\" is not a protocol" },
	{ "protocol-sctp.conf", 3, "services[0].protocol: \"sctp\" is not a protocol" },
	{ "missing-port.conf", 3, "services[0]: missing required key 'port'" },
	{ "missing-backends.conf", 5, "services[1]: missing required key 'backends'" },
	{ "backends-empty.conf", 4, "services[0].backends: no backends" },
	{ "backend-missing-address.conf", 5, "services[0].backends[0]: missing required key 'address'" },
	{ "backend-duplicate.conf", 7, "services[0].backends[2]: 10.2.0.2:223 is already backends[0] (line 5)" },
	{ "service-duplicate-name.conf", 5, "services[1].name: \"telnet\" is already the name of services[0] (line 3)" },
	{ "service-duplicate-endpoint.conf", 7, "services[2]: tcp 10.0.0.1:23 is already services[0] \"telnet\" (line 3)" },
	{ "icmp-echo-two-true.conf", 7, "services[1].icmp_echo: 10.0.0.1 already answers echo as services[0] \"telnet\" (line 3)" },
	{ "icmp-echo-string.conf", 4, "services[0].icmp_echo: expected a boolean" },
	{ "services-not-list.conf", 2, "services: expected a list of groups" },
	{ "service-not-group.conf", 3, "services[0]: expected a group" },
	{ "settings-not-group.conf", 2, "settings: expected a group" },
	{ "fib-cache-zero.conf", 2, "settings.fib_cache_ms: 0 is out of range (1..3600000)" },
	{ "iface-too-long.conf", 4, "interfaces[1]: \"abcdefghijklmnop\" is longer than 15 characters" },
	{ "iface-slash.conf", 2, "interfaces[0]: \"veth/0\" is not an interface name" },
	{ "iface-space.conf", 2, "interfaces[1]: \"veth 2\" is not an interface name" },
	{ "iface-empty.conf", 2, "interfaces[0]: must not be empty" },
	{ "iface-duplicate.conf", 5, "interfaces[2]: \"veth0\" is already interfaces[0] (line 3)" },
	{ "iface-not-string.conf", 2, "interfaces[1]: expected an interface name or a group { name = ...; mode = ...; }, got an integer" },
	{ "interfaces-string.conf", 2, "interfaces: expected a list of interfaces" },
	{ "table-size-not-prime.conf", 4, "services[0].table_size: 65536 is not a prime; the nearest primes are 65521 and 65537" },
	{ "table-size-too-small.conf", 4, "services[0].table_size: 13 is out of range (251..1048573)" },
	{ "table-size-too-large.conf", 4, "services[0].table_size: 1048583 is out of range (251..1048573)" },
	{ "table-size-string.conf", 4, "services[0].table_size: expected an integer, got a string (\"65537\")" },
	{ "weight-too-large.conf", 6, "services[0].backends[1].weight: 1001 is out of range (0..1000)" },
	{ "weight-negative.conf", 5, "services[0].backends[0].weight: -1 is out of range (0..1000)" },
	{ "weight-string.conf", 6, "services[0].backends[0].weight: expected an integer, got a string (\"2\")" },
	{ "weight-float.conf", 5, "services[0].backends[0].weight: expected an integer, got a float" },
	{ "snat-ports-reversed.conf", 3, "settings.snat_ports: MIN 40000 is not below MAX 30000" },
	{ "snat-ports-equal.conf", 3, "settings.snat_ports: MIN 30000 is not below MAX 30000" },
	{ "snat-ports-narrow.conf", 3, "settings.snat_ports: 40000..40006 holds 7 ports; at least 8 are needed" },
	{ "snat-ports-three.conf", 3, "settings.snat_ports: has 3 elements; expected two: [ MIN, MAX ]" },
	{ "snat-ports-one.conf", 2, "settings.snat_ports: has 1 element; expected two" },
	{ "snat-ports-low.conf", 3, "settings.snat_ports[0]: 80 is out of range (1024..65535)" },
	{ "snat-ports-high.conf", 4, "settings.snat_ports[1]: 70000 is out of range (1024..65535)" },
	{ "snat-ports-int.conf", 3, "settings.snat_ports: expected an array of two integers [ MIN, MAX ], got an integer" },
	{ "snat-ports-string.conf", 3, "settings.snat_ports[1]: expected an integer, got a string (\"30000\")" },
	{ "timeout-unknown-key.conf", 5, "settings.timeouts.tcp_fin: unknown key; expected one of: tcp_syn, tcp_established, tcp_closing, tcp_close, udp, icmp" },
	{ "timeout-zero.conf", 3, "settings.timeouts.udp: 0 is out of range (1..604800)" },
	{ "timeout-too-long.conf", 4, "settings.timeouts.tcp_established: 604801 is out of range (1..604800)" },
	{ "timeouts-not-group.conf", 3, "settings.timeouts: expected a group" },
	{ "conntrack-size-small.conf", 3, "settings.conntrack_size: 1023 is out of range (1024..16777216)" },
	{ "conntrack-size-ipv6-small.conf", 3, "settings.conntrack_size_ipv6: 1023 is out of range (1024..16777216)" },
	{ "conntrack-size-ipv6-string.conf", 3, "settings.conntrack_size_ipv6: expected an integer, got a string" },
	{ "conntrack-size-large.conf", 3, "settings.conntrack_size: 16777217 is out of range (1024..16777216)" },
	{ "address-cidr.conf", 3, "services[0].address: \"10.0.0.1/24\" is not an IPv4 or IPv6 address" },
	{ "address-hostname.conf", 4, "services[0].backends[0].address: \"localhost\" is not an IPv4 or IPv6 address" },
	{ "address-int.conf", 3, "services[0].address: expected a string, got an integer" },
	{ "address-v4-mapped.conf", 3, "services[0].address: \"::ffff:10.0.0.1\" is an IPv4-mapped IPv6 address; write the IPv4 address (\"10.0.0.1\")" },
	{ "address-with-port.conf", 3, "services[0].address: \"10.0.0.1:23\" is not an IPv4 or IPv6 address" },
	{ "backend-address-ipv6.conf", 5, "services[0].backends[0].address: 2001:db8::2 is an IPv6 address, service \"telnet\" is IPv4 (10.0.0.1): a service and its backends and sources must be of one family; mixing IPv4 and IPv6 in one service is out of scope" },
	{ "backend-duplicate-other-source.conf", 5, "services[0].backends[1]: 10.2.0.2:223 is already backends[0] (line 4)" },
	{ "backend-string.conf", 4, "services[0].backends[0]: expected a group { address = ...; port = ...; }, got a string (\"10.2.0.2:223\")" },
	{ "backends-empty-array.conf", 4, "services[0].backends: no backends; a service needs at least one" },
	{ "backends-empty-second.conf", 6, "services[1].backends: no backends; a service needs at least one" },
	{ "backends-group.conf", 4, "services[0].backends: expected a list of groups ( { ... }, ... ), got a group" },
	{ "conntrack-size-float.conf", 3, "settings.conntrack_size: expected an integer, got a float" },
	{ "conntrack-size-int64.conf", 3, "settings.conntrack_size: 17179869184 is out of range (1024..16777216)" },
	{ "duplicate-backend-key.conf", 5, "duplicate setting name" },
	{ "duplicate-section.conf", 6, "duplicate setting name" },
	{ "duplicate-timeout-key.conf", 4, "duplicate setting name" },
	{ "fib-cache-string.conf", 3, "settings.fib_cache_ms: expected an integer, got a string (\"500\")" },
	{ "fib-cache-too-large.conf", 3, "settings.fib_cache_ms: 3600001 is out of range (1..3600000)" },
	{ "icmp-echo-int.conf", 4, "services[0].icmp_echo: expected a boolean (true or false), got an integer" },
	{ "iface-alias.conf", 3, "interfaces[0]: \"veth0:1\" is not an interface name (no '/', ':' or whitespace)" },
	{ "iface-dotdot.conf", 2, "interfaces[1]: \"..\" is not an interface name" },
	{ "iface-nested-list.conf", 2, "interfaces[1]: expected an interface name or a group { name = ...; mode = ...; }, got a list" },
	{ "include-device.conf", 3, "@include: /dev/zero: is not a regular file" },
	{ "include-directory.conf", 3, "@include: /: is a directory, not a config file" },
	{ "include-missing.conf", 3, "@include: /nonexistent/zon-lb/zonlb-missing.conf: cannot open: No such file or directory" },
	{ "interfaces-group.conf", 2, "interfaces: expected a list of interfaces ( \"eth0\", { name = \"veth0\"; mode = \"tc\"; }, ... ), got a group" },
	{ "interfaces-too-many.conf", 2, "interfaces: 65 interfaces, at most 64 are supported" },
	{ "name-non-ascii.conf", 3, "services[0].name: \"t\xc3\xablnet\" contains '?' (0xc3)" },
	{ "port-bool.conf", 3, "services[0].port: expected an integer, got a boolean" },
	{ "port-float.conf", 5, "services[0].backends[0].port: expected an integer, got a float" },
	{ "port-hex-out-of-range.conf", 3, "services[0].port: 65536 is out of range (1..65535)" },
	{ "port-hex-wraps.conf", 5, "0x1000000DF does not fit in a 32-bit integer (libconfig would read it as 223)" },
	{ "port-negative.conf", 3, "services[0].port: -23 is out of range (1..65535)" },
	{ "port-wraps-32-bits.conf", 4, "4294967319 does not fit in a 32-bit integer (libconfig would read it as 23)" },
	{ "protocol-int.conf", 3, "services[0].protocol: expected a string, got an integer" },
	{ "source-int.conf", 5, "services[0].backends[0].source: expected a string, got an integer" },
	{ "source-ipv6.conf", 6, "services[0].backends[0].source: fe80::1 is an IPv6 address, service \"telnet\" is IPv4 (10.0.0.1): a service and its backends and sources must be of one family; mixing IPv4 and IPv6 in one service is out of scope" },
	{ "ipv6-source-ipv4.conf", 5, "services[0].backends[0].source: 10.2.0.1 is an IPv4 address, service \"telnet6\" is IPv6 (fd00::1): a service and its backends and sources must be of one family; mixing IPv4 and IPv6 in one service is out of scope" },
	{ "ipv6-mixed-second-backend.conf", 8, "services[1].backends[1].address: 10.2.0.3 is an IPv4 address, service \"telnet6\" is IPv6 (fd00::1): a service and its backends and sources must be of one family; mixing IPv4 and IPv6 in one service is out of scope" },
	{ "ipv6-loopback.conf", 3, "services[0].address: ::1 is the loopback address" },
	{ "ipv6-unspecified.conf", 4, "services[0].backends[0].address: :: is the unspecified address" },
	{ "ipv6-multicast.conf", 5, "services[0].backends[0].source: ff02::1 is a multicast address" },
	{ "ipv6-link-local.conf", 3, "services[0].address: fe80::1 is a link-local address (it needs an interface; use a global or unique local address)" },
	{ "ipv6-brackets.conf", 4, "services[0].address: \"[fd00::1]\": write an IPv6 address without brackets (and without a port)" },
	{ "ipv6-zone.conf", 4, "services[0].backends[0].address: \"fd00:2::2%veth2\" is not an IPv4 or IPv6 address" },
	{ "ipv6-backend-duplicate.conf", 5, "services[0].backends[1]: [fd00:2::2]:223 is already backends[0] (line 4)" },
	{ "ipv6-service-duplicate-endpoint.conf", 5, "services[1]: udp [fd00::1]:53 is already services[0] \"a\" (line 3)" },
	{ "ipv6-icmp-echo-two-true.conf", 5, "services[1].icmp_echo: fd00::1 already answers echo as services[0] \"a\" (line 3)" },
	{ "syntax-array-of-groups.conf", 3, "syntax error" },
	{ "syntax-binary.conf", 3, "syntax error" },
	{ "syntax-missing-equals.conf", 4, "syntax error" },
	{ "syntax-missing-equals-string.conf", 4, "syntax error" },
	{ "syntax-mixed-array.conf", 3, "mismatched element type in array" },
	{ "syntax-name-starts-with-digit.conf", 4, "syntax error" },
	{ "syntax-stray-brace.conf", 5, "syntax error" },
	{ "syntax-unclosed-list.conf", 3, "syntax error" },
	{ "syntax-unquoted-address.conf", 3, "syntax error" },
	{ "syntax-unterminated-string.conf", 3, "syntax error" },
	{ "table-size-negative.conf", 4, "services[0].table_size: -65537 is out of range (251..1048573)" },
	{ "timeout-negative.conf", 4, "settings.timeouts.udp: -1 is out of range (1..604800)" },
	{ "timeouts-list.conf", 3, "settings.timeouts: expected a group { tcp_established = ...; ... }, got a list" },
	{ "unknown-backend-key-typo.conf", 5, "services[0].backends[0].wieght: unknown key; expected one of: address, port, weight, source" },
	{ "unknown-key-case.conf", 3, "services[0].Name: unknown key; expected one of: name, address, protocol, port, icmp_echo, table_size, backends" },
	{ "unknown-settings-key-singular.conf", 4, "settings.timeout: unknown key; expected one of: fib_cache_ms, conntrack_size, conntrack_size_ipv6, snat_ports, timeouts, mode" },
	{ "weight-int64.conf", 4, "services[0].backends[0].weight: 1000000000000 is out of range (0..1000)" },
	{ "mode-unknown.conf", 3, "settings.mode: \"ebpf\" is not a mode; use \"xdp\", \"tc\" or \"auto\"" },
	{ "mode-int.conf", 3, "settings.mode: expected a string, got an integer" },
	{ "mode-in-service.conf", 4, "services[0].mode: unknown key; expected one of: name, address" },
	{ "iface-mode-upper.conf", 4, "interfaces[1].mode: \"TC\" is not a mode; use \"xdp\", \"tc\" or \"auto\"" },
	{ "iface-mode-bool.conf", 3, "interfaces[0].mode: expected a string, got a boolean" },
	{ "iface-group-no-name.conf", 4, "interfaces[1]: missing required key 'name'" },
	{ "iface-group-unknown-key.conf", 4, "interfaces[0].hook: unknown key; expected one of: name, mode" },
	{ "iface-group-name-int.conf", 2, "interfaces[0].name: expected a string, got an integer" },
	{ "iface-group-duplicate.conf", 5, "interfaces[2].name: \"veth0\" is already interfaces[0] (line 3)" },
	{ "iface-group-name-slash.conf", 3, "interfaces[0].name: \"veth/0\" is not an interface name" },
};

/* A failed load must say @expect, leave the config empty and, when @line
 * is not 0, start with "PATH:LINE: ". */
static bool expect_failure(int ret, const struct zlb_config *cfg,
			   const struct zlb_err *err, const char *path,
			   int line, const char *expect)
{
	char prefix[400];

	CHECK(ret == -1, "returned %d, want -1", ret);
	CHECK(is_zeroed(cfg), "config not left empty after the error");
	if (line)
		snprintf(prefix, sizeof(prefix), "%s:%d: ", path, line);
	else
		snprintf(prefix, sizeof(prefix), "%s: ", path);
	CHECK(!strncmp(err->msg, prefix, strlen(prefix)),
	      "message \"%s\" does not start with \"%s\"", err->msg, prefix);
	CHECK(strstr(err->msg, expect), "message \"%s\" does not contain \"%s\"",
	      err->msg, expect);
	return true;
}

static bool test_bad(const struct bad_case *c)
{
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	char path[512];
	int ret;

	config_path(path, sizeof(path), "bad", c->file);
	ret = zlb_config_load(path, &cfg, &err);
	if (ret == 0)
		zlb_config_free(&cfg);
	return expect_failure(ret, &cfg, &err, path, c->line, c->expect);
}

static bool in_bad_cases(const char *file)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_cases); i++)
		if (!strcmp(bad_cases[i].file, file))
			return true;
	return false;
}

/* Every file in tests/configs/bad must be in the table, so that none is
 * left untested without a word. */
static bool test_bad_table_complete(void)
{
	char dir[512];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/tests/configs/bad", srcdir);
	d = opendir(dir);
	CHECK(d, "cannot list %s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (!in_bad_cases(de->d_name)) {
			snprintf(why, sizeof(why), "%s has no entry in bad_cases",
				 de->d_name);
			closedir(d);
			return false;
		}
		n++;
	}
	closedir(d);
	CHECK(n == ARRAY_SIZE(bad_cases), "%zu files for %zu table entries",
	      n, ARRAY_SIZE(bad_cases));
	return true;
}

/* ---- files that are not config files ---- */

static bool load_fails(const char *path, int line, const char *expect)
{
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	int ret;

	ret = zlb_config_load(path, &cfg, &err);
	if (ret == 0)
		zlb_config_free(&cfg);
	return expect_failure(ret, &cfg, &err, path, line, expect);
}

static bool write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	bool ok;

	CHECK(f, "cannot create %s: %s", path, strerror(errno));
	ok = fwrite(data, 1, len, f) == len;
	CHECK(fclose(f) == 0 && ok, "cannot write %s", path);
	return true;
}

static bool test_nonexistent(void)
{
	char path[512];

	tmp_path(path, sizeof(path), "no-such.conf");
	return load_fails(path, 0, "No such file or directory");
}

static bool test_directory(void)
{
	return load_fails(tmpdir, 0, "is a directory");
}

/* Opening a fifo without a writer blocks: this case hangs unless the
 * parser opens without waiting and looks before it reads. */
static bool test_fifo(void)
{
	char path[512];

	tmp_path(path, sizeof(path), "fifo.conf");
	CHECK(mkfifo(path, 0600) == 0, "mkfifo %s: %s", path, strerror(errno));
	return load_fails(path, 0, "is not a regular file");
}

/* A file of @size bytes of comment lines, ending in a newline. */
static bool write_comments(const char *path, size_t size)
{
	static const char line[] = "# padding padding padding padding padding padding\n";
	size_t len = strlen(line), i;
	char *text = malloc(size);
	bool ok;

	CHECK(text, "out of memory");
	for (i = 0; i < size; i++)
		text[i] = line[i % len];
	text[size - 1] = '\n';
	ok = write_file(path, text, size);
	free(text);
	return ok;
}

static bool test_too_large(void)
{
	char path[512];

	tmp_path(path, sizeof(path), "huge.conf");
	if (!write_comments(path, 2 * 1024 * 1024))
		return false;
	return load_fails(path, 0, "larger than 1048576 bytes");
}

static bool test_max_size(void)
{
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	char path[512];

	tmp_path(path, sizeof(path), "max.conf");
	if (!write_comments(path, 1024 * 1024))
		return false;
	CHECK(zlb_config_load(path, &cfg, &err) == 0, "load failed: %s", err.msg);
	zlb_config_free(&cfg);
	return true;
}

static bool test_nul_byte(void)
{
	static const char text[] = "interfaces = ( \"veth0\" );\n\0garbage";
	char path[512];

	tmp_path(path, sizeof(path), "nul.conf");
	if (!write_file(path, text, sizeof(text) - 1))
		return false;
	return load_fails(path, 0, "NUL byte");
}

/* An error inside an @include'd file is reported at that file's line. */
static bool test_include_error(void)
{
	static const char frag[] = "# fragment\nsettings = {\n fib_cache_ms = -5; };\n";
	char main_path[512], frag_path[512], text[1200];
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	int ret;

	tmp_path(frag_path, sizeof(frag_path), "frag.conf");
	tmp_path(main_path, sizeof(main_path), "main.conf");
	if (!write_file(frag_path, frag, strlen(frag)))
		return false;
	snprintf(text, sizeof(text), "interfaces = ( \"veth0\" );\n@include \"%s\"\n",
		 frag_path);
	if (!write_file(main_path, text, strlen(text)))
		return false;
	ret = zlb_config_load(main_path, &cfg, &err);
	if (ret == 0)
		zlb_config_free(&cfg);
	return expect_failure(ret, &cfg, &err, frag_path, 3,
			      "settings.fib_cache_ms: -5 is out of range");
}

/* An @include'd file gets the checks of the main one: a fifo would block
 * libconfig, a NUL would cut the file short, and the main file and its
 * includes hold 1 MiB in all. The error is on the @include line. The
 * files are the ones the cases above made. */
static bool include_fails(const char *target, const char *expect)
{
	char main_path[512], text[1200];

	tmp_path(main_path, sizeof(main_path), "main.conf");
	snprintf(text, sizeof(text), "interfaces = ( \"veth0\" );\n@include \"%s\"\n", target);
	if (!write_file(main_path, text, strlen(text)))
		return false;
	return load_fails(main_path, 2, expect);
}

static bool test_include_fifo(void)
{
	char path[512];

	tmp_path(path, sizeof(path), "fifo.conf");
	return include_fails(path, "is not a regular file");
}

static bool test_include_nul(void)
{
	char path[512];

	tmp_path(path, sizeof(path), "nul.conf");
	return include_fails(path, "contains a NUL byte");
}

static bool test_include_too_large(void)
{
	char path[512];

	tmp_path(path, sizeof(path), "max.conf");
	return include_fails(path, "the config and its includes are larger than 1048576 bytes");
}

/* ---- addresses ---- */

/* Addresses as the model keeps them and as messages print them: IPv4
 * IPv4-mapped, IPv6 in network order; "[addr]:port" for IPv6 only. */
static bool test_addr_text(void)
{
	static const unsigned char v6[16] = { 0xfd, 0, 0, 2, [15] = 2 };
	char buf[ZLB_ADDR_PORT_LEN];
	union zlb_addr a;

	CHECK(zlb_parse_addr("10.2.0.2", &a) && zlb_addr_is_v4(&a) &&
	      a.v4 == htonl(0x0a020002), "10.2.0.2 not kept IPv4-mapped");
	CHECK(!strcmp(zlb_fmt_addr_port(buf, &a, htons(223)), "10.2.0.2:223"),
	      "10.2.0.2 port 223 printed as %s", buf);
	CHECK(zlb_parse_addr("FD00:2:0::2", &a) && !zlb_addr_is_v4(&a) &&
	      !memcmp(a.b, v6, 16), "FD00:2:0::2 not parsed to fd00:2::2");
	CHECK(!strcmp(zlb_fmt_addr(buf, &a), "fd00:2::2"), "fd00:2::2 printed as %s", buf);
	CHECK(!strcmp(zlb_fmt_addr_port(buf, &a, htons(65535)), "[fd00:2::2]:65535"),
	      "fd00:2::2 port 65535 printed as %s", buf);
	memset(a.b, 0xff, sizeof(a.b));
	CHECK(!strcmp(zlb_fmt_addr_port(buf, &a, htons(65535)),
		      "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535"),
	      "the longest address with a port printed as %s", buf);
	CHECK(!zlb_parse_addr("[fd00::1]", &a) && !zlb_parse_addr("10.0.0.1:23", &a) &&
	      !zlb_parse_addr("", &a), "parsed what is not an address");
	return true;
}

/* ---- zlb_config_load_string ---- */

static bool test_string_good(void)
{
	static const char text[] =
		"services = ( { name = \"s\"; address = \"10.0.0.1\"; protocol = \"udp\";\n"
		"  port = 53; backends = ( { address = \"10.2.0.2\"; port = 53; } ); } );\n";
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	bool ok;

	CHECK(zlb_config_load_string(text, "inline", &cfg, &err) == 0,
	      "load failed: %s", err.msg);
	ok = cfg.nservices == 1 && cfg.services[0].proto == IPPROTO_UDP &&
	     cfg.services[0].port == 53 && cfg.services[0].takes_icmp_echo &&
	     cfg.services[0].nbackends == 1 && cfg.services[0].backends[0].port == 53 &&
	     !cfg.services[0].backends[0].has_source && cfg.nifaces == 0 &&
	     cfg.services[0].backends[0].weight == 1 &&
	     cfg.services[0].table_size == ZLB_MAGLEV_DEFAULT_SIZE &&
	     !strcmp(cfg.path, "inline");
	zlb_config_free(&cfg);
	CHECK(ok, "model differs from the text");
	return true;
}

static bool test_string_empty(void)
{
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	bool ok;

	CHECK(zlb_config_load_string("", "empty", &cfg, &err) == 0,
	      "load failed: %s", err.msg);
	ok = cfg.nservices == 0 && cfg.nifaces == 0 &&
	     cfg.fib_cache_ms == ZLB_DEFAULT_FIB_CACHE_MS &&
	     cfg.conntrack_size == ZLB_CONNTRACK_SIZE &&
	     cfg.snat_port_min == ZLB_SNAT_PORT_MIN &&
	     cfg.snat_port_max == ZLB_SNAT_PORT_MAX &&
	     !memcmp(cfg.timeout_s, default_timeouts, sizeof(default_timeouts));
	zlb_config_free(&cfg);
	CHECK(ok, "an empty text must give an empty model");
	return true;
}

static bool test_string_bad(void)
{
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	int ret;

	ret = zlb_config_load_string("\n\ninterfaces = ( \"veth0\", \"veth0\" );\n",
				     "inline", &cfg, &err);
	return expect_failure(ret, &cfg, &err, "inline", 3,
			      "interfaces[1]: \"veth0\" is already interfaces[0] (line 3)");
}

/* Every mode by its name, as settings.mode (for a name alone) and as an
 * interface's own (over another settings.mode); settings may come after
 * interfaces in the file. */
static bool test_modes(void)
{
	static const enum zlb_if_mode modes[] = {
		ZLB_IF_MODE_XDP, ZLB_IF_MODE_TC, ZLB_IF_MODE_AUTO
	};
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	char text[300];
	size_t i;
	bool ok;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		const char *name = zlb_if_mode_name(modes[i]);
		enum zlb_if_mode other = modes[(i + 1) % ARRAY_SIZE(modes)];

		snprintf(text, sizeof(text),
			 "interfaces = ( \"a\", { name = \"b\"; mode = \"%s\"; } );\n"
			 "settings = { mode = \"%s\"; };\n",
			 zlb_if_mode_name(other), name);
		CHECK(zlb_config_load_string(text, "inline", &cfg, &err) == 0,
		      "mode %s: load failed: %s", name, err.msg);
		ok = cfg.mode == modes[i] && cfg.nifaces == 2 &&
		     cfg.ifaces[0].mode == modes[i] && cfg.ifaces[1].mode == other;
		zlb_config_free(&cfg);
		CHECK(ok, "mode %s: settings.mode or an interface's mode was not taken", name);
	}
	CHECK(!strcmp(zlb_if_mode_name(ZLB_IF_MODE_XDP), "xdp") &&
	      !strcmp(zlb_if_mode_name(ZLB_IF_MODE_TC), "tc") &&
	      !strcmp(zlb_if_mode_name(ZLB_IF_MODE_AUTO), "auto"),
	      "zlb_if_mode_name");
	return true;
}

/* A non-prime table size names the primes on either side, down to the
 * smallest size and up to the largest. */
static bool test_table_size_primes(void)
{
	static const struct {
		unsigned size, below, above;
	} cases[] = {
		{ 252, 251, 257 },
		{ 255, 251, 257 },
		{ 65535, 65521, 65537 },
		{ 1000000, 999983, 1000003 },
		{ 1048572, 1048571, 1048573 },
	};
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	char text[400], expect[160];
	size_t i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(text, sizeof(text),
			 "services = ( { name = \"s\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 1;\n"
			 "  table_size = %u;\n"
			 "  backends = ( { address = \"10.2.0.2\"; port = 1; } ); } );\n",
			 cases[i].size);
		snprintf(expect, sizeof(expect),
			 "services[0].table_size: %u is not a prime; the nearest primes are %u and %u",
			 cases[i].size, cases[i].below, cases[i].above);
		ret = zlb_config_load_string(text, "inline", &cfg, &err);
		if (!expect_failure(ret, &cfg, &err, "inline", 2, expect))
			return false;
	}
	return true;
}

/* ---- limits from zlb_abi.h, on generated texts ---- */

/* @nservices services of @nbackends backends each, all distinct. */
static char *gen_config(int nservices, int nbackends)
{
	size_t size = (size_t)nservices * (160 + nbackends * 50) + 64, n = 0;
	char *text = malloc(size);
	int i, j;

	if (!text)
		return NULL;
	n += snprintf(text + n, size - n, "services = (\n");
	for (i = 0; i < nservices; i++) {
		n += snprintf(text + n, size - n,
			      "%s{ name = \"s%d\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = %d;\n  backends = (",
			      i ? "," : "", i, i + 1);
		for (j = 0; j < nbackends; j++)
			n += snprintf(text + n, size - n,
				      "%s { address = \"10.2.%d.%d\"; port = 80; }",
				      j ? "," : "", j / 250, j % 250 + 1);
		n += snprintf(text + n, size - n, " ); }\n");
	}
	snprintf(text + n, size - n, ");\n");
	return text;
}

/* @expect NULL: the text must load; else it must fail at @line. */
static bool load_generated(int nservices, int nbackends, int line,
			   const char *expect)
{
	char *text = gen_config(nservices, nbackends);
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	bool ok;
	int ret;

	CHECK(text, "out of memory");
	ret = zlb_config_load_string(text, "gen", &cfg, &err);
	free(text);
	if (expect)
		return expect_failure(ret, &cfg, &err, "gen", line, expect);
	CHECK(ret == 0, "load failed: %s", err.msg);
	ok = cfg.nservices == (size_t)nservices &&
	     cfg.services[nservices - 1].nbackends == (size_t)nbackends;
	zlb_config_free(&cfg);
	CHECK(ok, "wrong number of services or backends");
	return true;
}

static bool test_max_services(void)
{
	return load_generated(ZLB_MAX_SERVICES, 1, 0, NULL);
}

static bool test_too_many_services(void)
{
	return load_generated(ZLB_MAX_SERVICES + 1, 1, 1,
			      "services: 1025 services, at most 1024 are supported");
}

static bool test_max_backends(void)
{
	return load_generated(1, ZLB_MAX_BACKENDS_PER_SVC, 0, NULL);
}

static bool test_too_many_backends(void)
{
	return load_generated(1, ZLB_MAX_BACKENDS_PER_SVC + 1, 3,
			      "services[0].backends: 65 backends, at most 64 are supported");
}

/* All Maglev tables together: 64 of the largest size fit, 65 do not. The
 * limit's memory is a byte an entry (zlb_abi.h): 64 MiB, as zonlb.conf(5)
 * says. */
static bool test_maglev_total(void)
{
	size_t size = 65 * 200 + 64, n = 0;
	char *text = malloc(size), expect[200];
	struct zlb_config cfg;
	struct zlb_err err = { "" };
	int i, ret;

	CHECK(text, "out of memory");
	n += snprintf(text + n, size - n, "services = (\n");
	for (i = 0; i < 65; i++)
		n += snprintf(text + n, size - n,
			      "%s{ name = \"s%d\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = %d;\n"
			      "  table_size = %d; backends = ( { address = \"10.2.0.2\"; port = 80; } ); }\n",
			      i ? "," : "", i, i + 1, ZLB_MAGLEV_MAX_SIZE);
	snprintf(text + n, size - n, ");\n");
	snprintf(expect, sizeof(expect),
		 "services[64].table_size: the Maglev tables of services[0..64] hold %llu entries; at most %llu (64 MiB) in all",
		 65ULL * ZLB_MAGLEV_MAX_SIZE, (unsigned long long)ZLB_MAX_SERVICES * ZLB_MAGLEV_DEFAULT_SIZE);
	ret = zlb_config_load_string(text, "gen", &cfg, &err);
	free(text);
	return expect_failure(ret, &cfg, &err, "gen", 1 + 2 * 65, expect);
}

static bool test_proto_name(void)
{
	CHECK(!strcmp(zlb_proto_name(IPPROTO_TCP), "tcp"), "tcp");
	CHECK(!strcmp(zlb_proto_name(IPPROTO_UDP), "udp"), "udp");
	CHECK(!strcmp(zlb_proto_name(IPPROTO_ICMP), "icmp"), "icmp");
	CHECK(!strcmp(zlb_proto_name(IPPROTO_SCTP), "unknown"), "sctp");
	return true;
}

static void remove_tmpdir(void)
{
	static const char *const files[] = {
		"fifo.conf", "huge.conf", "max.conf", "nul.conf",
		"frag.conf", "main.conf", NULL
	};
	const char *const *f;
	char path[512];

	for (f = files; *f; f++) {
		tmp_path(path, sizeof(path), *f);
		unlink(path);
	}
	rmdir(tmpdir);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	char name[128];
	size_t i;

	srcdir = getenv("ZLB_SRCDIR");
	if (!srcdir || !*srcdir)
		srcdir = ".";
	snprintf(tmpdir, sizeof(tmpdir), "%s/test_config.XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpdir)) {
		fprintf(stderr, "test_config: mkdtemp %s: %s\n", tmpdir, strerror(errno));
		return 1;
	}

	for (i = 0; i < ARRAY_SIZE(good_configs); i++) {
		snprintf(name, sizeof(name), "good/%s", good_configs[i].file);
		report(name, test_good(&good_configs[i]));
	}
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		snprintf(name, sizeof(name), "bad/%s", bad_cases[i].file);
		report(name, test_bad(&bad_cases[i]));
	}
	report("every bad config has an expectation", test_bad_table_complete());
	report("nonexistent file", test_nonexistent());
	report("directory", test_directory());
	report("fifo", test_fifo());
	report("2 MiB file", test_too_large());
	report("1 MiB file", test_max_size());
	report("NUL byte", test_nul_byte());
	report("error in an included file", test_include_error());
	report("@include of a fifo", test_include_fifo());
	report("@include of a file with a NUL byte", test_include_nul());
	report("@include past 1 MiB in all", test_include_too_large());
	report("addresses as text", test_addr_text());
	report("load_string: good", test_string_good());
	report("load_string: empty", test_string_empty());
	report("load_string: error", test_string_bad());
	report("table_size: nearest primes", test_table_size_primes());
	report("modes: settings.mode and each interface's own", test_modes());
	report("1024 services", test_max_services());
	report("1025 services", test_too_many_services());
	report("64 backends", test_max_backends());
	report("65 backends", test_too_many_backends());
	report("Maglev tables too large in all", test_maglev_total());
	report("zlb_proto_name", test_proto_name());

	remove_tmpdir();
	return tap_summary("test_config");
}
