/* SPDX-License-Identifier: GPL-2.0 */
/* zlb-load --service: the resident process systemd runs (Type=notify). */
#ifndef ZLB_SERVICE_H
#define ZLB_SERVICE_H

#include <stddef.h>

/* What the service does with the kernel, provided by zlb-load.c: the
 * service calls these and nothing else, so its loads are the command
 * line's loads. */
struct zlb_service_ops {
	/* Load the config file. Returns the loaded state (kept until the
	 * next successful load) and a one-line @summary; NULL when the load
	 * failed, its errors logged and the running state as it was. */
	void *(*load)(void *ctx, char *summary, size_t len);
	/* The periodic work: keep the next hops of @loaded's backends
	 * resolved. */
	void (*refresh)(void *loaded);
	void (*release)(void *loaded);
	/* Detach from every interface and remove the pins: 0 when done. */
	int (*unload)(void *ctx);
};

/* Load @file, tell systemd READY=1, reload on SIGHUP, unload on SIGTERM or
 * SIGINT; returns the exit code. @argv is the command line, for a reload
 * that finds zlb-load replaced on disk (a package upgrade) and executes
 * the new one in its place. */
int zlb_service_run(char **argv, const char *file, const struct zlb_service_ops *ops,
		    void *ctx);

#endif
