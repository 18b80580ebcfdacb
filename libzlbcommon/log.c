// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static const char *log_tool = "zon-lb";
static enum zlb_log_level log_level = ZLB_LOG_INFO;
static bool libs_quiet;

static void vlog(enum zlb_log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };

	if (level > log_level)
		return;
	fprintf(stderr, "%s: %s", log_tool, prefix[level]);
	vfprintf(stderr, fmt, ap);
}

void zlb_log(enum zlb_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

/* libbpf and libxdp speak through our logger: their warnings matter (a
 * verifier rejection), their info and debug lines only with -v. */
static int lib_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum zlb_log_level l = level == LIBBPF_WARN && !libs_quiet ? ZLB_LOG_WARN : ZLB_LOG_DEBUG;

	vlog(l, fmt, ap);
	return 0;
}

static int xdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	enum zlb_log_level l = level == LIBXDP_WARN && !libs_quiet ? ZLB_LOG_WARN : ZLB_LOG_DEBUG;

	vlog(l, fmt, ap);
	return 0;
}

void zlb_log_init(const char *tool)
{
	log_tool = tool;
	libbpf_set_print(lib_print);
	libxdp_set_print(xdp_print);
}

void zlb_log_libs_quiet(bool quiet)
{
	libs_quiet = quiet;
}

void zlb_log_set_level(enum zlb_log_level level)
{
	log_level = level;
}

const char *zlb_log_tool(void)
{
	return log_tool;
}

void zlb_err_set(struct zlb_err *err, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

void zlb_err_prefix(struct zlb_err *err, const char *fmt, ...)
{
	char prefix[256], msg[sizeof(err->msg)];
	va_list ap;
	int n;

	if (!err)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(msg, err->msg, sizeof(msg));
	n = snprintf(err->msg, sizeof(err->msg), "%s: ", prefix);
	if (n > 0 && (size_t)n < sizeof(err->msg))
		snprintf(err->msg + n, sizeof(err->msg) - n, "%s", msg);
}
