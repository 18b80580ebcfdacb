/* SPDX-License-Identifier: GPL-2.0 */
/* Logging and error reporting shared by every tool: messages go to stderr
 * prefixed with the tool's name ("zlb-load: error: ..."). */
#ifndef ZLB_LOG_H
#define ZLB_LOG_H

#include <stdarg.h>
#include <stdbool.h>

enum zlb_log_level { ZLB_LOG_ERROR, ZLB_LOG_WARN, ZLB_LOG_INFO, ZLB_LOG_DEBUG };

void zlb_log_init(const char *tool);
/* While @quiet, libbpf's and libxdp's warnings count as debug messages:
 * for steps whose failure is expected and reported by the caller. */
void zlb_log_libs_quiet(bool quiet);
void zlb_log_set_level(enum zlb_log_level level);
const char *zlb_log_tool(void);
void zlb_log(enum zlb_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pr_err(...)   zlb_log(ZLB_LOG_ERROR, __VA_ARGS__)
#define pr_warn(...)  zlb_log(ZLB_LOG_WARN, __VA_ARGS__)
#define pr_info(...)  zlb_log(ZLB_LOG_INFO, __VA_ARGS__)
#define pr_debug(...) zlb_log(ZLB_LOG_DEBUG, __VA_ARGS__)

/* An error message built where the problem is found and reported (or
 * tested) by the caller. */
struct zlb_err {
	char msg[512];
};

void zlb_err_set(struct zlb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Put "PREFIX: " (formatted) in front of the message already in @err. */
void zlb_err_prefix(struct zlb_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
