// SPDX-License-Identifier: GPL-2.0
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>

#include "tools.h"

#define OPT_PIN_DIR 0x100

static const struct option common_options[] = {
	{ "json", no_argument, NULL, 'j' },
	{ "pretty", no_argument, NULL, 'p' },
	{ "pin-dir", required_argument, NULL, OPT_PIN_DIR },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
};
#define NCOMMON (sizeof(common_options) / sizeof(common_options[0]))

int zlb_usage_err(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pr_err("%s (try '%s --help')\n", msg, zlb_log_tool());
	return -1;
}

/* Whether getopt_long()'s last error is about the long option the user
 * wrote as argv[optind - 1] (optopt is its val), not a letter. */
static bool bad_long_option(char *const *argv, const struct option *longopts)
{
	const char *arg = argv[optind - 1];
	size_t len = strcspn(arg, "=");

	if (!optopt)            /* an unknown long option */
		return true;
	if (strncmp(arg, "--", 2) || len <= 2)
		return false;
	for (const struct option *p = longopts; p->name; p++)
		if (p->val == optopt && !strncmp(p->name, arg + 2, len - 2))
			return true;
	return false;
}

/* A long option is named by its element, argv[optind - 1]. A letter is
 * named alone: in a cluster (-xj) getopt stays on the element, so
 * argv[optind - 1] is the one before it (another option's value, or the
 * program's name). */
int zlb_option_err(int c, char *const *argv, const struct option *longopts)
{
	const char *arg = argv[optind - 1];
	char letter[3] = { '-', (char)optopt, 0 };
	bool is_long = bad_long_option(argv, longopts);
	const char *name = is_long ? arg : letter;

	if (c == ':')
		return zlb_usage_err("option '%s' needs an argument", name);
	/* --check=x: getopt says '?' with the option's val in optopt */
	if (is_long && optopt && strchr(arg, '='))
		return zlb_usage_err("option '%.*s' takes no argument", (int)strcspn(arg, "="), arg);
	return zlb_usage_err("unknown option '%s'", name);
}

int zlb_tool_parse(int argc, char **argv, const struct zlb_tool *tool,
		   struct zlb_tool_opts *o)
{
	struct option longopts[64];
	char shortopts[64];
	const char *pin_dir = NULL;
	size_t n = 0;
	int c;

	for (size_t i = 0; i < NCOMMON; i++)
		longopts[n++] = common_options[i];
	for (const struct option *p = tool->options; p && p->name; p++)
		if (n < sizeof(longopts) / sizeof(longopts[0]) - 1)
			longopts[n++] = *p;
	memset(&longopts[n], 0, sizeof(longopts[n]));
	snprintf(shortopts, sizeof(shortopts), ":jphV%s", tool->shortopts ? tool->shortopts : "");

	o->fmt = ZLB_OUT_TEXT;
	opterr = 0;     /* our own messages, prefixed with the tool's name */
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (o->fmt == ZLB_OUT_TEXT)
				o->fmt = ZLB_OUT_JSON;
			break;
		case 'p': o->fmt = ZLB_OUT_JSON_PRETTY; break;
		case OPT_PIN_DIR: pin_dir = optarg; break;
		case 'h':
			tool->usage(stdout);
			exit(zlb_tool_flush() ? ZLB_EXIT_FAIL : ZLB_EXIT_OK);
		case 'V':
			printf("%s %s (map ABI %d)\n", tool->name, ZLB_VERSION, ZLB_ABI_VERSION);
			exit(zlb_tool_flush() ? ZLB_EXIT_FAIL : ZLB_EXIT_OK);
		case ':':
		case '?':
			return zlb_option_err(c, argv, longopts);
		default:
			if (tool->option(c, optarg, tool->ctx))
				return -1;
		}
	}
	if (pin_dir && !*pin_dir)
		return zlb_usage_err("--pin-dir needs a directory");
	o->pin_dir = zlb_pin_dir(pin_dir);
	return optind;
}

int zlb_tool_flush(void)
{
	errno = 0;
	if (!fflush(stdout) && !ferror(stdout))
		return 0;
	pr_err("cannot write the output: %s\n", errno ? strerror(errno) : "write error");
	clearerr(stdout);       /* said once */
	return -1;
}

bool zlb_capable(__u64 caps)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};

	if (syscall(SYS_capget, &hdr, data))
		return geteuid() == 0;
	return ((data[0].effective | (__u64)data[1].effective << 32) & caps) == caps;
}

int zlb_tool_open_maps(const struct zlb_tool_opts *o, struct zlb_maps *m)
{
	struct zlb_err err;

	/* CAP_BPF for the pins, CAP_NET_ADMIN for the XDP and netlink
	 * queries and for changing maps of a networking program. */
	if (!zlb_capable(ZLB_CAP(CAP_BPF) | ZLB_CAP(CAP_NET_ADMIN))) {
		pr_err("needs root (or CAP_BPF and CAP_NET_ADMIN) to read zon-lb's maps\n");
		return -1;
	}
	if (zlb_maps_open_pinned(o->pin_dir, m, &err)) {
		pr_err("%s\n", err.msg);
		return -1;
	}
	return 0;
}

int zlb_map_info(int fd, const char *name, __u32 *max_entries, __u32 *value_size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		pr_err("%s: cannot read the map's info: %s\n", name, strerror(errno));
		return -1;
	}
	if (max_entries)
		*max_entries = info.max_entries;
	if (value_size)
		*value_size = info.value_size;
	return 0;
}

int zlb_read_meta(const struct zlb_maps *m, struct zlb_meta *meta)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(m->fd[ZLB_M_META], &zero, meta)) {
		pr_err("cannot read %s: %s\n", ZLB_MAP_META, strerror(errno));
		return -1;
	}
	return 0;
}

__u64 zlb_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* ---- addresses, ports, protocols ---------------------------------------- */

const char *zlb_fmt_mac(char *buf, const __u8 mac[6])
{
	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x",
		 mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

bool zlb_parse_uint(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end && *v <= max;
}

bool zlb_parse_port(const char *s, __u16 *port)
{
	unsigned long long v;

	if (!zlb_parse_uint(s, 65535, &v))
		return false;
	*port = v;
	return true;
}

bool zlb_parse_proto(const char *s, __u8 *proto)
{
	if (!strcmp(s, "tcp"))
		*proto = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*proto = IPPROTO_UDP;
	else if (!strcmp(s, "icmp"))
		*proto = IPPROTO_ICMP;
	else if (!strcmp(s, "icmpv6"))
		*proto = IPPROTO_ICMPV6;
	else
		return false;
	return true;
}

bool zlb_parse_mac(const char *s, __u8 mac[6])
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	for (int i = 0; i < 6; i++)
		mac[i] = strtoul(s + i * 3, NULL, 16);
	return true;
}
