/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What zlb-stat, zlb-ct and zlb-arp share: the options every one of them
 * has (-j, -p, --pin-dir, -h, -V), the privilege check, opening the pinned
 * maps, and reading and printing addresses, ports and protocols.
 */
#ifndef ZLB_TOOLS_H
#define ZLB_TOOLS_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <linux/capability.h>
#include <linux/types.h>

#include "addr.h"
#include "log.h"
#include "maps.h"
#include "output.h"
#include "pin.h"

/* Exit codes of every tool. */
#define ZLB_EXIT_OK    0
#define ZLB_EXIT_FAIL  1
#define ZLB_EXIT_USAGE 2

struct zlb_tool {
	const char *name;
	void (*usage)(FILE *out);
	/* The tool's own options, besides the common ones: a getopt_long
	 * table (NULL-terminated, may be NULL), their short letters, and the
	 * function that takes one; it returns 0, or -1 after printing why
	 * the value is bad. */
	const struct option *options;
	const char *shortopts;
	int (*option)(int c, const char *arg, void *ctx);
	void *ctx;
};

struct zlb_tool_opts {
	const char *pin_dir;             /* resolved: --pin-dir, $ZLB_BPFFS or default */
	enum zlb_out_format fmt;
};

/* The help lines of the common options, for the tools' usage(). */
#define ZLB_TOOL_COMMON_HELP \
	"  -j, --json          print JSON\n" \
	"  -p, --pretty        print indented JSON (implies --json)\n" \
	"      --pin-dir DIR   pin directory (default: $" ZLB_PIN_ENV ", else " \
	ZLB_DEFAULT_PIN_DIR ")\n" \
	"  -h, --help          show this help\n" \
	"  -V, --version       show the version\n"

/* Parse @argv: the common options and @tool's own, in any order among the
 * operands. --help and --version print and exit 0. Returns the index of
 * the first operand (operands are moved to the end of @argv), or -1 after
 * a message when the command line is wrong (exit ZLB_EXIT_USAGE). */
int zlb_tool_parse(int argc, char **argv, const struct zlb_tool *tool,
		   struct zlb_tool_opts *o);

/* Write out what stdout still buffers: 0, or -1 after a message when
 * any of the output was lost (a full disk, a closed pipe), so that a
 * script never takes a cut-off list for the whole one. Every tool calls
 * it before it exits 0 (ZLB_EXIT_FAIL otherwise). */
int zlb_tool_flush(void);

/* A usage error: the message (printf-style) and a hint at --help, on
 * stderr. Returns -1. */
int zlb_usage_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The usage error for getopt_long()'s return @c, ':' (an option without
 * its argument) or '?' (an unknown option, or an argument given to one
 * that takes none), naming the option as the user wrote it (a letter
 * alone when it stood in a cluster). Needs opterr = 0. Returns -1. */
int zlb_option_err(int c, char *const *argv, const struct option *longopts);

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif
#define ZLB_CAP(cap) (1ULL << (cap))

/* Whether the process has every capability of @caps (ZLB_CAP(CAP_...)
 * or'ed) in its effective set; root has them all. */
bool zlb_capable(__u64 caps);

/* Open every pinned map of zon-lb for a tool: says that it needs root
 * (or CAP_BPF and CAP_NET_ADMIN), that zon-lb is not loaded, or that the
 * pins carry another ABI version. -1 after the message. */
int zlb_tool_open_maps(const struct zlb_tool_opts *o, struct zlb_maps *m);

/* The map's max_entries and value_size (either may be NULL); -1 after a message. */
int zlb_map_info(int fd, const char *name, __u32 *max_entries, __u32 *value_size);

/* zlb_meta's entry. -1 after a message. */
int zlb_read_meta(const struct zlb_maps *m, struct zlb_meta *meta);

/* CLOCK_MONOTONIC in ns: the clock of bpf_ktime_get_ns(). */
__u64 zlb_now_ns(void);

/* ---- addresses, ports, protocols ---------------------------------------- */

/* Addresses: addr.h. "aa:bb:cc:dd:ee:ff"; @buf holds 18 bytes. */
const char *zlb_fmt_mac(char *buf, const __u8 mac[6]);

/* Parsers: true on success. */
bool zlb_parse_port(const char *s, __u16 *port);
bool zlb_parse_proto(const char *s, __u8 *proto);
bool zlb_parse_mac(const char *s, __u8 mac[6]);
bool zlb_parse_uint(const char *s, unsigned long long max, unsigned long long *v);

#endif
