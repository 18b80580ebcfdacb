// SPDX-License-Identifier: GPL-2.0
/* zonlb.conf -> struct zlb_config. libconfig checks the syntax; this file
 * checks the schema and every semantic rule, so that zlb-load only ever
 * sees a valid model and a bad config changes nothing. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libconfig.h>

#include "addr.h"
#include "config.h"
#include "maglev.h"
#include "zlb_abi.h"

/* A config is a few kilobytes; anything larger is the wrong file. */
#define CONFIG_MAX_BYTES (1024 * 1024)
#define FIB_CACHE_MS_MAX 3600000
#define CONNTRACK_SIZE_MIN 1024
#define CONNTRACK_SIZE_MAX 16777216
#define SNAT_PORT_LOWEST 1024	/* below: privileged ports, never ours */
#define TIMEOUT_MAX_S 604800	/* one week */
/* Entries of all Maglev tables together: every service fits at the default
 * size (64 MiB of kernel memory at a byte an entry, zlb_abi.h; twice during
 * a reload); 1024 tables of the largest size would ask for 1 GiB and
 * minutes of building. */
#define MAGLEV_TOTAL_MAX ((uint64_t)ZLB_MAX_SERVICES * ZLB_MAGLEV_DEFAULT_SIZE)

struct parser {
	const char *name;	/* the path, or what stands for it, in messages */
	const char *text;	/* what libconfig parsed */
	struct zlb_err *err;
};

static const char *const root_keys[] = { "settings", "services", "interfaces", NULL };
static const char *const settings_keys[] = {
	"fib_cache_ms", "conntrack_size", "conntrack_size_ipv6", "snat_ports", "timeouts", "mode",
	NULL
};
/* settings.timeouts: indexed by enum zlb_ct_state. */
static const char *const timeout_keys[ZLB_CT_STATE_MAX + 1] = {
	[ZLB_CT_TCP_SYN] = "tcp_syn",
	[ZLB_CT_TCP_ESTABLISHED] = "tcp_established",
	[ZLB_CT_TCP_CLOSING] = "tcp_closing",
	[ZLB_CT_TCP_CLOSE] = "tcp_close",
	[ZLB_CT_UDP] = "udp",
	[ZLB_CT_ICMP] = "icmp",
	[ZLB_CT_STATE_MAX] = NULL,
};
static const uint32_t timeout_defaults[ZLB_CT_STATE_MAX] = {
	[ZLB_CT_TCP_SYN] = ZLB_TIMEOUT_TCP_SYN,
	[ZLB_CT_TCP_ESTABLISHED] = ZLB_TIMEOUT_TCP_ESTABLISHED,
	[ZLB_CT_TCP_CLOSING] = ZLB_TIMEOUT_TCP_CLOSING,
	[ZLB_CT_TCP_CLOSE] = ZLB_TIMEOUT_TCP_CLOSE,
	[ZLB_CT_UDP] = ZLB_TIMEOUT_UDP,
	[ZLB_CT_ICMP] = ZLB_TIMEOUT_ICMP,
};
static const char *const service_keys[] = {
	"name", "address", "protocol", "port", "icmp_echo", "table_size",
	"backends", NULL
};
static const char *const backend_keys[] = {
	"address", "port", "weight", "source", NULL
};
static const char *const iface_keys[] = { "name", "mode", NULL };
/* Indexed by enum zlb_if_mode. */
static const char *const mode_names[] = { "xdp", "tc", "auto" };

static bool is_sequence(const config_setting_t *s)
{
	return config_setting_is_list(s) || config_setting_is_array(s);
}

/* "services[0].backends[1].port": the key as the user would look for it. */
static size_t setting_path(const config_setting_t *s, char *buf, size_t size)
{
	const config_setting_t *parent = config_setting_parent(s);
	size_t n;

	buf[0] = '\0';
	if (!parent)
		return 0;
	n = setting_path(parent, buf, size);
	if (n >= size)
		return n;
	if (is_sequence(parent))
		n += snprintf(buf + n, size - n, "[%d]", config_setting_index(s));
	else
		n += snprintf(buf + n, size - n, n ? ".%s" : "%s",
			      config_setting_name(s));
	return n;
}

/* Whether line @line of @text holds the string literal "@value". */
static bool line_has_string(const char *text, int line, const char *value)
{
	size_t len = strlen(value);
	const char *end, *q;

	for (; line > 1 && text; line--) {
		text = strchr(text, '\n');
		if (text)
			text++;
	}
	if (!text)
		return false;
	end = text + strcspn(text, "\n");
	while ((q = memchr(text, '"', end - text)) &&
	       (size_t)(end - q) >= len + 2) {
		if (!memcmp(q + 1, value, len) && q[len + 1] == '"')
			return true;
		text = q + 1;
	}
	return false;
}

/* libconfig 1.5 stamps a string that is an element of a list with the line
 * of the token after it (it looks ahead for "a" "b" concatenation): one
 * line late for the last element when the list closes on the next line.
 * Walk back to the line that holds the string, as written without escapes. */
static int setting_line(const struct parser *p, const config_setting_t *s)
{
	const config_setting_t *parent = config_setting_parent(s);
	int line = config_setting_source_line(s), l;

	if (config_setting_type(s) != CONFIG_TYPE_STRING || !parent ||
	    !is_sequence(parent) || config_setting_source_file(s))
		return line;
	for (l = line; l >= (int)config_setting_source_line(parent); l--)
		if (line_has_string(p->text, l, config_setting_get_string(s)))
			return l;
	return line;
}

/* Every semantic error: "FILE:LINE: KEY: problem". A setting from an
 * @include'd file carries that file's name. */
static int fail(const struct parser *p, const config_setting_t *s,
		const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(const struct parser *p, const config_setting_t *s,
		const char *fmt, ...)
{
	const char *file = config_setting_source_file(s);
	char key[128], msg[sizeof(p->err->msg)];
	va_list ap;

	setting_path(s, key, sizeof(key));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	zlb_err_set(p->err, "%s:%d: %s: %s", file ? file : p->name,
		    setting_line(p, s), key, msg);
	return -1;
}

static const char *type_name(int type)
{
	switch (type) {
	case CONFIG_TYPE_GROUP:
		return "a group";
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return "an integer";
	case CONFIG_TYPE_FLOAT:
		return "a float";
	case CONFIG_TYPE_STRING:
		return "a string";
	case CONFIG_TYPE_BOOL:
		return "a boolean";
	case CONFIG_TYPE_ARRAY:
		return "an array";
	case CONFIG_TYPE_LIST:
		return "a list";
	}
	return "an unknown type";
}

static int type_error(const struct parser *p, const config_setting_t *s,
		      const char *expected)
{
	if (config_setting_type(s) == CONFIG_TYPE_STRING)
		return fail(p, s, "expected %s, got a string (\"%.64s\")",
			    expected, config_setting_get_string(s));
	return fail(p, s, "expected %s, got %s", expected,
		    type_name(config_setting_type(s)));
}

static bool key_allowed(const char *const allowed[], const char *key)
{
	for (; *allowed; allowed++)
		if (!strcmp(*allowed, key))
			return true;
	return false;
}

/* A misspelt optional key would otherwise be ignored without a word. */
static int check_keys(const struct parser *p, const config_setting_t *group,
		      const char *const allowed[])
{
	const config_setting_t *m;
	char list[128];
	size_t n = 0;
	int i;

	for (i = 0; (m = config_setting_get_elem(group, i)); i++) {
		if (key_allowed(allowed, config_setting_name(m)))
			continue;
		for (; *allowed && n < sizeof(list); allowed++)
			n += snprintf(list + n, sizeof(list) - n, "%s%s",
				      n ? ", " : "", *allowed);
		return fail(p, m, "unknown key; expected one of: %s", list);
	}
	return 0;
}

static config_setting_t *require(const struct parser *p,
				 const config_setting_t *group, const char *key)
{
	config_setting_t *m = config_setting_get_member(group, key);

	if (!m)
		fail(p, group, "missing required key '%s'", key);
	return m;
}

/* An integer beyond 32 bits without L never gets here: libconfig 1.5
 * would wrap it, so scan_text() refuses it first. */
static int get_int(const struct parser *p, const config_setting_t *s,
		   long long min, long long max, long long *out)
{
	long long v = 0;

	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return type_error(p, s, "an integer");
	v = config_setting_get_int64(s);
	if (v < min || v > max)
		return fail(p, s, "%lld is out of range (%lld..%lld)", v, min, max);
	*out = v;
	return 0;
}

static int get_port(const struct parser *p, const config_setting_t *s,
		    uint16_t *port)
{
	long long v = 0;

	if (get_int(p, s, 1, 65535, &v) < 0)
		return -1;
	*port = v;
	return 0;
}

/* A Maglev table size: a prime in range. A non-prime names its nearest
 * primes, so the fix is one copy away. */
static int get_table_size(const struct parser *p, const config_setting_t *s,
			  uint32_t *size)
{
	long long v = 0;
	uint32_t below, above;

	if (get_int(p, s, ZLB_MAGLEV_MIN_SIZE, ZLB_MAGLEV_MAX_SIZE, &v) < 0)
		return -1;
	if (!zlb_is_prime(v)) {
		for (below = v - 1; !zlb_is_prime(below); below--)
			;
		for (above = v + 1; !zlb_is_prime(above); above++)
			;
		return fail(p, s, "%lld is not a prime; the nearest primes are %u and %u",
			    v, below, above);
	}
	*size = v;
	return 0;
}

static int get_string(const struct parser *p, const config_setting_t *s,
		      const char **out)
{
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return type_error(p, s, "a string");
	*out = config_setting_get_string(s);
	return 0;
}

/* The addresses no service, backend or source can use: the data plane
 * could never route to or answer from them. */
static const char *unusable_ipv4(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if (h == INADDR_ANY)
		return "the unspecified address";
	if (h == INADDR_BROADCAST)
		return "the broadcast address";
	if ((h >> 28) == 0xe)
		return "a multicast address";
	if ((h >> 24) == 127)
		return "a loopback address";
	return NULL;
}

/* The same for IPv6. A link-local address means something only with an
 * interface, which a service, backend or source here does not name. */
static const char *unusable_ipv6(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return "the unspecified address";
	if (IN6_IS_ADDR_LOOPBACK(a))
		return "the loopback address";
	if (IN6_IS_ADDR_MULTICAST(a))
		return "a multicast address";
	if (IN6_IS_ADDR_LINKLOCAL(a))
		return "a link-local address (it needs an interface; use a global or unique local address)";
	return NULL;
}

static const char *family_name(const union zlb_addr *a)
{
	return zlb_addr_is_v4(a) ? "IPv4" : "IPv6";
}

/* An address of either family, in the usual notation. For a backend's
 * address or source, @svc is its service: they must be of its family. */
static int get_addr(const struct parser *p, const config_setting_t *s,
		    const struct zlb_cfg_service *svc, union zlb_addr *addr)
{
	char a[ZLB_ADDR_LEN];
	struct in6_addr a6;
	struct in_addr a4;
	const char *str = NULL, *why;

	if (get_string(p, s, &str) < 0)
		return -1;
	if (inet_pton(AF_INET, str, &a4) == 1) {
		zlb_addr_set_v4(addr, a4.s_addr);
		why = unusable_ipv4(a4);
	} else if (inet_pton(AF_INET6, str, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			return fail(p, s, "\"%s\" is an IPv4-mapped IPv6 address; write the IPv4 address (\"%s\")",
				    str, inet_ntop(AF_INET, &a6.s6_addr[12], a, sizeof(a)));
		memcpy(addr->b, &a6, sizeof(addr->b));
		why = unusable_ipv6(&a6);
	} else if (str[0] == '[') {
		return fail(p, s, "\"%.64s\": write an IPv6 address without brackets (and without a port)",
			    str);
	} else {
		return fail(p, s, "\"%.64s\" is not an IPv4 or IPv6 address", str);
	}
	if (svc && zlb_addr_is_v4(addr) != zlb_addr_is_v4(&svc->addr))
		return fail(p, s, "%s is an %s address, service \"%s\" is %s (%s): a service and its backends and sources must be of one family; mixing IPv4 and IPv6 in one service is out of scope",
			    str, family_name(addr), svc->name, family_name(&svc->addr),
			    zlb_fmt_addr(a, &svc->addr));
	if (why)
		return fail(p, s, "%s is %s", str, why);
	return 0;
}

static bool name_char_ok(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '-';
}

/* Names show up in zlb-stat tables, JSON and logs: keep them plain. */
static int get_name(const struct parser *p, const config_setting_t *s,
		    char name[ZLB_NAME_MAX])
{
	const char *str = NULL, *c;

	if (get_string(p, s, &str) < 0)
		return -1;
	if (!*str)
		return fail(p, s, "must not be empty");
	if (strlen(str) >= ZLB_NAME_MAX)
		return fail(p, s, "\"%.64s\" is longer than %d characters",
			    str, ZLB_NAME_MAX - 1);
	for (c = str; *c; c++)
		if (!name_char_ok(*c))
			return fail(p, s, "\"%s\" contains '%c' (0x%02x); use only A-Z a-z 0-9 _ . -",
				    str, isprint((unsigned char)*c) ? *c : '?',
				    (unsigned char)*c);
	strcpy(name, str);
	return 0;
}

static int get_proto(const struct parser *p, const config_setting_t *s,
		     uint8_t *proto)
{
	const char *str = NULL;

	if (get_string(p, s, &str) < 0)
		return -1;
	if (!strcmp(str, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(str, "udp"))
		*proto = IPPROTO_UDP;
	else
		return fail(p, s, "\"%.64s\" is not a protocol; use \"tcp\" or \"udp\"", str);
	return 0;
}

static int get_mode(const struct parser *p, const config_setting_t *s,
		    enum zlb_if_mode *mode)
{
	const char *str = NULL;
	size_t i;

	if (get_string(p, s, &str) < 0)
		return -1;
	for (i = 0; i < sizeof(mode_names) / sizeof(mode_names[0]); i++)
		if (!strcmp(str, mode_names[i])) {
			*mode = i;
			return 0;
		}
	return fail(p, s, "\"%.64s\" is not a mode; use \"xdp\", \"tc\" or \"auto\" (tc on veth, xdp elsewhere)",
		    str);
}

static int get_bool(const struct parser *p, const config_setting_t *s, int *out)
{
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return type_error(p, s, "a boolean (true or false)");
	*out = config_setting_get_bool(s);
	return 0;
}

/* A list of groups ("services", "backends"): returns its length. */
static int get_group_list(const struct parser *p, const config_setting_t *s,
			  int max, const char *what)
{
	int n;

	if (!is_sequence(s))
		return type_error(p, s, "a list of groups ( { ... }, ... )");
	n = config_setting_length(s);
	if (n > max)
		return fail(p, s, "%d %s, at most %d are supported", n, what, max);
	return n;
}

static int parse_backend(const struct parser *p, const config_setting_t *s,
			 const struct zlb_cfg_service *svc, struct zlb_cfg_backend *be)
{
	const config_setting_t *m;

	be->line = config_setting_source_line(s);
	be->weight = 1;
	if (!config_setting_is_group(s))
		return type_error(p, s, "a group { address = ...; port = ...; }");
	if (check_keys(p, s, backend_keys) < 0)
		return -1;
	m = require(p, s, "address");
	if (!m || get_addr(p, m, svc, &be->addr) < 0)
		return -1;
	m = require(p, s, "port");
	if (!m || get_port(p, m, &be->port) < 0)
		return -1;
	m = config_setting_get_member(s, "weight");
	if (m) {
		long long v = 0;

		if (get_int(p, m, 0, ZLB_MAX_WEIGHT, &v) < 0)
			return -1;
		be->weight = v;
	}
	m = config_setting_get_member(s, "source");
	if (m) {
		if (get_addr(p, m, svc, &be->source) < 0)
			return -1;
		be->has_source = true;
	}
	return 0;
}

/* Two identical backends would silently double one server's share. */
static int check_backend_unique(const struct parser *p,
				const config_setting_t *list,
				const struct zlb_cfg_service *svc, size_t i)
{
	const struct zlb_cfg_backend *be = &svc->backends[i];
	char a[ZLB_ADDR_PORT_LEN];
	size_t j;

	for (j = 0; j < i; j++) {
		if (!zlb_addr_equal(&svc->backends[j].addr, &be->addr) ||
		    svc->backends[j].port != be->port)
			continue;
		return fail(p, config_setting_get_elem(list, i),
			    "%s is already backends[%zu] (line %d)",
			    zlb_fmt_addr_port(a, &be->addr, htons(be->port)), j,
			    svc->backends[j].line);
	}
	return 0;
}

static int parse_backends(const struct parser *p, const config_setting_t *group,
			  struct zlb_cfg_service *svc)
{
	const config_setting_t *list = require(p, group, "backends");
	int i, n;

	if (!list)
		return -1;
	n = get_group_list(p, list, ZLB_MAX_BACKENDS_PER_SVC, "backends");
	if (n < 0)
		return -1;
	if (n == 0)
		return fail(p, list, "no backends; a service needs at least one");
	svc->backends = calloc(n, sizeof(*svc->backends));
	if (!svc->backends)
		return fail(p, list, "out of memory");
	svc->nbackends = n;
	for (i = 0; i < n; i++) {
		if (parse_backend(p, config_setting_get_elem(list, i), svc,
				  &svc->backends[i]) < 0 ||
		    check_backend_unique(p, list, svc, i) < 0)
			return -1;
	}
	return 0;
}

static int parse_service(const struct parser *p, const config_setting_t *s,
			 struct zlb_cfg_service *svc)
{
	const config_setting_t *m;

	svc->line = config_setting_source_line(s);
	svc->icmp_echo = -1;
	svc->table_size = ZLB_MAGLEV_DEFAULT_SIZE;
	if (!config_setting_is_group(s))
		return type_error(p, s, "a group { name = ...; ... }");
	if (check_keys(p, s, service_keys) < 0)
		return -1;
	m = require(p, s, "name");
	if (!m || get_name(p, m, svc->name) < 0)
		return -1;
	m = require(p, s, "address");
	if (!m || get_addr(p, m, NULL, &svc->addr) < 0)
		return -1;
	m = require(p, s, "protocol");
	if (!m || get_proto(p, m, &svc->proto) < 0)
		return -1;
	m = require(p, s, "port");
	if (!m || get_port(p, m, &svc->port) < 0)
		return -1;
	m = config_setting_get_member(s, "icmp_echo");
	if (m && get_bool(p, m, &svc->icmp_echo) < 0)
		return -1;
	m = config_setting_get_member(s, "table_size");
	if (m && get_table_size(p, m, &svc->table_size) < 0)
		return -1;
	return parse_backends(p, s, svc);
}

/* Rules between services, checked against the ones before @i so that the
 * error lands on the later line and names the earlier one. */
static int check_service_unique(const struct parser *p,
				const config_setting_t *list,
				const struct zlb_config *cfg, size_t i)
{
	const struct zlb_cfg_service *svc = &cfg->services[i], *o;
	const config_setting_t *s = config_setting_get_elem(list, i);
	char a[ZLB_ADDR_PORT_LEN];
	size_t j;

	for (j = 0; j < i; j++) {
		o = &cfg->services[j];
		if (!strcmp(o->name, svc->name))
			return fail(p, config_setting_get_member(s, "name"),
				    "\"%s\" is already the name of services[%zu] (line %d)",
				    svc->name, j, o->line);
		if (zlb_addr_equal(&o->addr, &svc->addr) &&
		    o->proto == svc->proto && o->port == svc->port)
			return fail(p, s, "%s %s is already services[%zu] \"%s\" (line %d)",
				    zlb_proto_name(svc->proto),
				    zlb_fmt_addr_port(a, &svc->addr, htons(svc->port)), j,
				    o->name, o->line);
		if (zlb_addr_equal(&o->addr, &svc->addr) &&
		    o->icmp_echo == 1 && svc->icmp_echo == 1)
			return fail(p, config_setting_get_member(s, "icmp_echo"),
				    "%s already answers echo as services[%zu] \"%s\" (line %d); only one service of an address may set icmp_echo = true",
				    zlb_fmt_addr(a, &svc->addr), j, o->name, o->line);
	}
	return 0;
}

/* The tables of services[0..@i] together, on the line that tips them over. */
static int check_maglev_total(const struct parser *p, const config_setting_t *list,
			      const struct zlb_config *cfg, size_t i, uint64_t *total)
{
	const config_setting_t *s = config_setting_get_elem(list, i);
	const config_setting_t *m = config_setting_get_member(s, "table_size");

	*total += cfg->services[i].table_size;
	if (*total <= MAGLEV_TOTAL_MAX)
		return 0;
	return fail(p, m ? m : s, "the Maglev tables of services[0..%zu] hold %llu entries; at most %llu (%llu MiB) in all: lower table_size",
		    i, (unsigned long long)*total, (unsigned long long)MAGLEV_TOTAL_MAX,
		    (unsigned long long)(MAGLEV_TOTAL_MAX *
					 sizeof(((struct zlb_maglev_chunk *)0)->be[0]) >> 20));
}

/* One service per address answers ping: the one that asks with
 * icmp_echo = true, else the first that does not refuse with false. */
static const struct zlb_cfg_service *echo_owner(const struct zlb_config *cfg,
						const union zlb_addr *addr)
{
	const struct zlb_cfg_service *first = NULL, *svc;
	size_t i;

	for (i = 0; i < cfg->nservices; i++) {
		svc = &cfg->services[i];
		if (!zlb_addr_equal(&svc->addr, addr))
			continue;
		if (svc->icmp_echo == 1)
			return svc;
		if (svc->icmp_echo == -1 && !first)
			first = svc;
	}
	return first;
}

static int parse_services(const struct parser *p, const config_setting_t *root,
			  struct zlb_config *cfg)
{
	const config_setting_t *list = config_setting_get_member(root, "services");
	struct zlb_cfg_service *svc;
	uint64_t maglev_total = 0;
	int i, n;

	if (!list)
		return 0;
	n = get_group_list(p, list, ZLB_MAX_SERVICES, "services");
	if (n <= 0)
		return n;
	cfg->services = calloc(n, sizeof(*cfg->services));
	if (!cfg->services)
		return fail(p, list, "out of memory");
	cfg->nservices = n;
	for (i = 0; i < n; i++) {
		if (parse_service(p, config_setting_get_elem(list, i),
				  &cfg->services[i]) < 0 ||
		    check_service_unique(p, list, cfg, i) < 0 ||
		    check_maglev_total(p, list, cfg, i, &maglev_total) < 0)
			return -1;
	}
	for (i = 0; i < n; i++) {
		svc = &cfg->services[i];
		svc->takes_icmp_echo = echo_owner(cfg, &svc->addr) == svc;
	}
	return 0;
}

/* The kernel's own rule for a device name (dev_valid_name()): an XDP
 * program can only be attached to a name that passes it. */
static int check_iface_name(const struct parser *p, const config_setting_t *s,
			    const char *name)
{
	const char *c;

	if (!*name)
		return fail(p, s, "must not be empty");
	if (strlen(name) >= IF_NAMESIZE)
		return fail(p, s, "\"%.64s\" is longer than %d characters",
			    name, IF_NAMESIZE - 1);
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return fail(p, s, "\"%s\" is not an interface name", name);
	for (c = name; *c; c++)
		if (*c == '/' || *c == ':' || isspace((unsigned char)*c))
			return fail(p, s, "\"%s\" is not an interface name (no '/', ':' or whitespace)",
				    name);
	return 0;
}

/* An interface: "NAME" (in settings.mode), or { name = "NAME"; mode = ...; }. */
static int parse_iface(const struct parser *p, const config_setting_t *s,
		       struct zlb_config *cfg, size_t i)
{
	struct zlb_cfg_iface *ifc = &cfg->ifaces[i];
	const config_setting_t *m;
	const char *name = NULL;
	size_t j;

	ifc->mode = cfg->mode;
	if (config_setting_is_group(s)) {
		if (check_keys(p, s, iface_keys) < 0)
			return -1;
		m = config_setting_get_member(s, "mode");
		if (m && get_mode(p, m, &ifc->mode) < 0)
			return -1;
		s = require(p, s, "name");
		if (!s)
			return -1;
	} else if (config_setting_type(s) != CONFIG_TYPE_STRING) {
		return type_error(p, s, "an interface name or a group { name = ...; mode = ...; }");
	}
	if (get_string(p, s, &name) < 0 || check_iface_name(p, s, name) < 0)
		return -1;
	for (j = 0; j < i; j++)
		if (!strcmp(cfg->ifaces[j].name, name))
			return fail(p, s, "\"%s\" is already interfaces[%zu] (line %d)",
				    name, j, cfg->ifaces[j].line);
	strcpy(ifc->name, name);
	ifc->line = setting_line(p, s);
	return 0;
}

static int parse_interfaces(const struct parser *p, const config_setting_t *root,
			    struct zlb_config *cfg)
{
	const config_setting_t *list = config_setting_get_member(root, "interfaces");
	int i, n;

	if (!list)
		return 0;
	if (!is_sequence(list))
		return type_error(p, list, "a list of interfaces ( \"eth0\", { name = \"veth0\"; mode = \"tc\"; }, ... )");
	n = config_setting_length(list);
	if (n > ZLB_MAX_IFACES)
		return fail(p, list, "%d interfaces, at most %d are supported",
			    n, ZLB_MAX_IFACES);
	if (n == 0)
		return 0;
	cfg->ifaces = calloc(n, sizeof(*cfg->ifaces));
	if (!cfg->ifaces)
		return fail(p, list, "out of memory");
	cfg->nifaces = n;
	for (i = 0; i < n; i++)
		if (parse_iface(p, config_setting_get_elem(list, i), cfg, i) < 0)
			return -1;
	return 0;
}

/* settings.snat_ports = [ MIN, MAX ]: the source ports of the backend
 * side; wide enough for every port one flow may try. */
static int parse_snat_ports(const struct parser *p, const config_setting_t *s,
			    struct zlb_config *cfg)
{
	long long v[2] = { 0, 0 };
	int i, n;

	if (!is_sequence(s))
		return type_error(p, s, "an array of two integers [ MIN, MAX ]");
	n = config_setting_length(s);
	if (n != 2)
		return fail(p, s, "has %d element%s; expected two: [ MIN, MAX ]",
			    n, n == 1 ? "" : "s");
	for (i = 0; i < 2; i++)
		if (get_int(p, config_setting_get_elem(s, i), SNAT_PORT_LOWEST,
			    65535, &v[i]) < 0)
			return -1;
	if (v[0] >= v[1])
		return fail(p, s, "MIN %lld is not below MAX %lld; write [ MIN, MAX ]",
			    v[0], v[1]);
	if (v[1] - v[0] + 1 < ZLB_SNAT_MIN_PORTS)
		return fail(p, s, "%lld..%lld holds %lld ports; at least %d are needed",
			    v[0], v[1], v[1] - v[0] + 1, ZLB_SNAT_MIN_PORTS);
	cfg->snat_port_min = v[0];
	cfg->snat_port_max = v[1];
	return 0;
}

/* settings.timeouts = { tcp_syn = ...; ... }: seconds per flow state. */
static int parse_timeouts(const struct parser *p, const config_setting_t *group,
			  struct zlb_config *cfg)
{
	const config_setting_t *m;
	long long v = 0;
	int i;

	if (!config_setting_is_group(group))
		return type_error(p, group, "a group { tcp_established = ...; ... }");
	if (check_keys(p, group, timeout_keys) < 0)
		return -1;
	for (i = 0; i < ZLB_CT_STATE_MAX; i++) {
		m = config_setting_get_member(group, timeout_keys[i]);
		if (!m)
			continue;
		if (get_int(p, m, 1, TIMEOUT_MAX_S, &v) < 0)
			return -1;
		cfg->timeout_s[i] = v;
	}
	return 0;
}

/* A connection table's size, settings.@key, into *@size and its line
 * into *@line when the file sets it. */
static int get_ct_size(const struct parser *p, const config_setting_t *group, const char *key,
		       uint32_t *size, int *line)
{
	const config_setting_t *m = config_setting_get_member(group, key);
	long long v = 0;

	if (!m)
		return 0;
	if (get_int(p, m, CONNTRACK_SIZE_MIN, CONNTRACK_SIZE_MAX, &v) < 0)
		return -1;
	*size = v;
	*line = config_setting_source_line(m);
	return 0;
}

static int parse_settings(const struct parser *p, const config_setting_t *root,
			  struct zlb_config *cfg)
{
	const config_setting_t *group = config_setting_get_member(root, "settings");
	const config_setting_t *m;
	long long v = 0;
	int i;

	cfg->fib_cache_ms = ZLB_DEFAULT_FIB_CACHE_MS;
	cfg->conntrack_size = ZLB_CONNTRACK_SIZE;
	cfg->conntrack_size_ipv6 = ZLB_CONNTRACK_SIZE;
	cfg->snat_port_min = ZLB_SNAT_PORT_MIN;
	cfg->snat_port_max = ZLB_SNAT_PORT_MAX;
	for (i = 0; i < ZLB_CT_STATE_MAX; i++)
		cfg->timeout_s[i] = timeout_defaults[i];
	if (!group)
		return 0;
	if (!config_setting_is_group(group))
		return type_error(p, group, "a group { fib_cache_ms = ...; }");
	if (check_keys(p, group, settings_keys) < 0)
		return -1;
	m = config_setting_get_member(group, "fib_cache_ms");
	if (m) {
		if (get_int(p, m, 1, FIB_CACHE_MS_MAX, &v) < 0)
			return -1;
		cfg->fib_cache_ms = v;
	}
	if (get_ct_size(p, group, "conntrack_size", &cfg->conntrack_size,
			&cfg->conntrack_size_line) < 0)
		return -1;
	cfg->conntrack_size_ipv6 = cfg->conntrack_size;
	if (get_ct_size(p, group, "conntrack_size_ipv6", &cfg->conntrack_size_ipv6,
			&cfg->conntrack_size_ipv6_line) < 0)
		return -1;
	m = config_setting_get_member(group, "snat_ports");
	if (m && parse_snat_ports(p, m, cfg) < 0)
		return -1;
	m = config_setting_get_member(group, "timeouts");
	if (m && parse_timeouts(p, m, cfg) < 0)
		return -1;
	m = config_setting_get_member(group, "mode");
	if (m && get_mode(p, m, &cfg->mode) < 0)
		return -1;
	return 0;
}

static int parse_root(const struct parser *p, const config_setting_t *root,
		      struct zlb_config *cfg)
{
	if (check_keys(p, root, root_keys) < 0 ||
	    parse_settings(p, root, cfg) < 0 ||
	    parse_services(p, root, cfg) < 0 ||
	    parse_interfaces(p, root, cfg) < 0)
		return -1;
	return 0;
}

/* ---- what libconfig 1.5 would read wrongly, checked on the text first ----
 *
 * - "@include FILE" makes libconfig fopen() FILE and read it as text: a fifo
 *   blocks it, a directory makes its scanner exit(2), a device or a huge
 *   file is read as config. An included file gets the checks of the main
 *   one, and the main file and its includes hold CONFIG_MAX_BYTES in all.
 * - An integer literal beyond 32 bits (without L) wraps in silence: port =
 *   4294967319 would read as 23.
 *
 * The scan follows libconfig's scanner: comments, strings (which may span
 * lines) and names are skipped; a number is taken as its longest token. */

#define INCLUDE_DEPTH_MAX 10	/* libconfig's own limit */

struct text_scan {
	const char *name;	/* the file, in messages */
	int line;
	int depth;		/* of @include */
	size_t *total;		/* bytes of the main file and its includes */
	struct zlb_err *err;
};

static char *read_config_file(const char *path, struct zlb_err *err);
static int scan_text(const char *text, const char *name, int depth,
		     size_t *total, struct zlb_err *err);

static bool name_start(unsigned char c)
{
	return isalpha(c) || c == '*';
}

static bool name_char(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '*';
}

/* A number token at *@pp; refuse an integer that libconfig would wrap. */
static int scan_number(struct text_scan *ts, const char **pp)
{
	const char *s = *pp, *q = s, *digits;
	unsigned long long u;
	long long v;
	int base = 16;

	if (*q == '-' || *q == '+')
		q++;
	if (q == s && q[0] == '0' && (q[1] == 'x' || q[1] == 'X') &&
	    isxdigit((unsigned char)q[2])) {
		for (q += 2; isxdigit((unsigned char)*q); q++)
			;
		if (*q == 'L') {	/* 64 bits: read as written */
			*pp = q + 1 + (q[1] == 'L');
			return 0;
		}
		errno = 0;
		u = strtoull(s, NULL, 16);
		*pp = q;
		if (errno || u > INT32_MAX)
			goto wraps;
		return 0;
	}
	for (digits = q; isdigit((unsigned char)*q); q++)
		;
	if (*q == '.' ||
	    (q > digits && (*q == 'e' || *q == 'E') &&
	     (isdigit((unsigned char)q[1]) ||
	      ((q[1] == '-' || q[1] == '+') && isdigit((unsigned char)q[2]))))) {
		if (*q == '.')	/* a float: its digits and exponent */
			for (q++; isdigit((unsigned char)*q); q++)
				;
		if ((*q == 'e' || *q == 'E') &&
		    (isdigit((unsigned char)q[1]) ||
		     ((q[1] == '-' || q[1] == '+') && isdigit((unsigned char)q[2]))))
			for (q += 2; isdigit((unsigned char)*q); q++)
				;
		*pp = q;
		return 0;
	}
	if (q == digits) {	/* a sign alone: libconfig's syntax error */
		*pp = s + 1;
		return 0;
	}
	if (*q == 'L') {
		*pp = q + 1 + (q[1] == 'L');
		return 0;
	}
	*pp = q;
	base = 10;
	errno = 0;
	v = strtoll(s, NULL, base);
	if (errno || v < INT32_MIN || v > INT32_MAX)
		goto wraps;
	return 0;
wraps:
	zlb_err_set(ts->err, "%s:%d: %.*s does not fit in a 32-bit integer (libconfig would read it as %d)",
		    ts->name, ts->line, (int)(q - s > 40 ? 40 : q - s), s,
		    (int)(unsigned)strtoull(s, NULL, base));
	return -1;
}

/* "@include" at *@pp, at the start of a line: check the file it names. */
static int scan_include(struct text_scan *ts, const char **pp)
{
	const char *q = *pp + strlen("@include");
	char path[PATH_MAX];
	size_t n = 0;
	char *text;
	int ret;

	while (*q == ' ' || *q == '\t')
		q++;
	if (q == *pp + strlen("@include") || *q != '"') {
		*pp += 1;	/* not an include: libconfig's syntax error */
		return 0;
	}
	for (q++; *q && *q != '"'; q++) {
		if (*q == '\\' && (q[1] == '\\' || q[1] == '"'))
			q++;
		if (n < sizeof(path) - 1)
			path[n++] = *q;
	}
	path[n] = '\0';
	*pp = *q ? q + 1 : q;
	if (ts->depth >= INCLUDE_DEPTH_MAX)
		return 0;	/* libconfig says it is nested too deep */
	text = read_config_file(path, ts->err);
	if (!text) {
		zlb_err_prefix(ts->err, "%s:%d: @include", ts->name, ts->line);
		return -1;
	}
	*ts->total += strlen(text);
	if (*ts->total > CONFIG_MAX_BYTES)
		zlb_err_set(ts->err, "%s:%d: @include: %s: the config and its includes are larger than %d bytes (1 MiB) in all",
			    ts->name, ts->line, path, CONFIG_MAX_BYTES);
	ret = *ts->total > CONFIG_MAX_BYTES ? -1 :
	      scan_text(text, path, ts->depth + 1, ts->total, ts->err);
	free(text);
	return ret;
}

static bool at_line_start(const char *text, const char *p)
{
	while (p > text && (p[-1] == ' ' || p[-1] == '\t'))
		p--;
	return p == text || p[-1] == '\n';
}

static int scan_text(const char *text, const char *name, int depth,
		     size_t *total, struct zlb_err *err)
{
	struct text_scan ts = { name, 1, depth, total, err };
	const char *p = text;

	while (*p) {
		if (*p == '\n') {
			ts.line++;
			p++;
		} else if (p[0] == '/' && p[1] == '*') {
			for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
				ts.line += *p == '\n';
			p += *p ? 2 : 0;
		} else if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
			p += strcspn(p, "\n");
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '\\' || p[1] == '"'))
					p++;
				ts.line += *p == '\n';
			}
			p += *p ? 1 : 0;
		} else if (!strncmp(p, "@include", 8) && at_line_start(text, p)) {
			if (scan_include(&ts, &p) < 0)
				return -1;
		} else if (name_start(*p)) {
			while (name_char(*p))
				p++;
		} else if (isdigit((unsigned char)*p) || *p == '-' || *p == '+' || *p == '.') {
			if (scan_number(&ts, &p) < 0)
				return -1;
		} else {
			p++;
		}
	}
	return 0;
}

int zlb_config_load_string(const char *text, const char *name,
			   struct zlb_config *cfg, struct zlb_err *err)
{
	struct parser p = { .name = name, .text = text, .err = err };
	config_t lc;
	size_t total = strlen(text);
	int ret = -1;

	memset(cfg, 0, sizeof(*cfg));
	if (scan_text(text, name, 0, &total, err) < 0)
		return -1;
	config_init(&lc);
	if (!config_read_string(&lc, text)) {
		zlb_err_set(err, "%s:%d: %s",
			    config_error_file(&lc) ? config_error_file(&lc) : name,
			    config_error_line(&lc), config_error_text(&lc));
		goto out;
	}
	cfg->path = strdup(name);
	if (!cfg->path) {
		zlb_err_set(err, "%s: out of memory", name);
		goto out;
	}
	ret = parse_root(&p, config_root_setting(&lc), cfg);
out:
	config_destroy(&lc);
	if (ret < 0)
		zlb_config_free(cfg);
	return ret;
}

static void too_large(const char *path, struct zlb_err *err)
{
	zlb_err_set(err, "%s: is larger than %d bytes (1 MiB); not a config file",
		    path, CONFIG_MAX_BYTES);
}

/* Refuse what is not a small regular file: a device or a huge file is the
 * wrong file, and a fifo would only give what a writer sends. */
static int check_file_kind(int fd, const char *path, struct zlb_err *err)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		zlb_err_set(err, "%s: cannot stat: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		zlb_err_set(err, "%s: is a directory, not a config file", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		zlb_err_set(err, "%s: is not a regular file", path);
		return -1;
	}
	if (st.st_size > CONFIG_MAX_BYTES) {
		too_large(path, err);
		return -1;
	}
	return 0;
}

/* Reads one byte past the limit: the file may have grown since fstat. */
static char *read_text(int fd, const char *path, struct zlb_err *err)
{
	char *text = malloc(CONFIG_MAX_BYTES + 2);
	size_t len = 0;
	ssize_t n = 0;

	if (!text) {
		zlb_err_set(err, "%s: out of memory", path);
		return NULL;
	}
	while (len <= CONFIG_MAX_BYTES &&
	       (n = read(fd, text + len, CONFIG_MAX_BYTES + 1 - len)) > 0)
		len += n;
	text[len] = '\0';
	/* A NUL would make libconfig ignore the rest of the file in silence. */
	if (n < 0)
		zlb_err_set(err, "%s: cannot read: %s", path, strerror(errno));
	else if (len > CONFIG_MAX_BYTES)
		too_large(path, err);
	else if (memchr(text, '\0', len))
		zlb_err_set(err, "%s: contains a NUL byte; not a text file", path);
	else
		return text;
	free(text);
	return NULL;
}

static char *read_config_file(const char *path, struct zlb_err *err)
{
	char *text = NULL;
	int fd;

	/* O_NONBLOCK: opening a fifo must not wait for a writer. The kind of
	 * file is then checked on what was opened, so it cannot change under
	 * us between the check and the read. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		zlb_err_set(err, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	if (check_file_kind(fd, path, err) == 0)
		text = read_text(fd, path, err);
	close(fd);
	return text;
}

int zlb_config_load(const char *path, struct zlb_config *cfg,
		    struct zlb_err *err)
{
	char *text;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	text = read_config_file(path, err);
	if (!text)
		return -1;
	ret = zlb_config_load_string(text, path, cfg, err);
	free(text);
	return ret;
}

void zlb_config_free(struct zlb_config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->nservices; i++)
		free(cfg->services[i].backends);
	free(cfg->services);
	free(cfg->ifaces);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}

const char *zlb_if_mode_name(enum zlb_if_mode mode)
{
	return (size_t)mode < sizeof(mode_names) / sizeof(mode_names[0]) ? mode_names[mode] : "unknown";
}

const char *zlb_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	}
	return "unknown";
}
