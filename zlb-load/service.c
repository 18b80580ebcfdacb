// SPDX-License-Identifier: GPL-2.0
/*
 * zlb-load --service: the resident process systemd runs (Type=notify).
 *
 * It loads as the command line does, then tells systemd READY=1; SIGHUP
 * reloads (RELOADING=1 ... READY=1), and a reload that fails keeps the
 * running state; SIGTERM or SIGINT detaches and removes the pins
 * (STOPPING=1). Each step also sets a STATUS= line. Signals arrive through
 * a signalfd, so all the work happens in the main loop, which between
 * signals keeps the backends' next hops resolved.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "log.h"
#include "service.h"

#define REFRESH_MS (10 * 1000)

/* In the environment of a zlb-load that a reload executed in place of an
 * older one: its first load is a reload, whose failure keeps serving. */
#define REEXEC_ENV "ZLB_SERVICE_REEXEC"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* ---- the messages of a load ------------------------------------------- */

/* A load reports on stderr (the journal). The service also puts the last
 * error into its STATUS line, so stderr points at a memfd while the load
 * runs, and what the load wrote is copied to the real stderr after it. */
struct capture {
	int saved;        /* the real stderr */
	int mem;
};

static void capture_start(struct capture *c)
{
	c->mem = memfd_create("zlb-load-messages", MFD_CLOEXEC);
	c->saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
	if (c->mem >= 0 && c->saved >= 0 && dup2(c->mem, STDERR_FILENO) >= 0)
		return;
	if (c->mem >= 0)
		close(c->mem);
	if (c->saved >= 0)
		close(c->saved);
	c->mem = c->saved = -1;
}

/* The last "TOOL: error: MESSAGE" line of @text, MESSAGE only, into @last. */
static void last_error(const char *text, char *last, size_t len)
{
	char prefix[64];
	size_t plen;

	snprintf(prefix, sizeof(prefix), "%s: error: ", zlb_log_tool());
	plen = strlen(prefix);
	for (const char *line = text; *line; ) {
		const char *end = strchrnul(line, '\n');

		if ((size_t)(end - line) > plen && !strncmp(line, prefix, plen))
			snprintf(last, len, "%.*s", (int)(end - line - plen), line + plen);
		line = *end ? end + 1 : end;
	}
}

static void capture_end(struct capture *c, char *last, size_t len)
{
	struct stat st;
	char *text;
	ssize_t n;

	last[0] = 0;
	if (c->mem < 0)
		return;
	dup2(c->saved, STDERR_FILENO);
	close(c->saved);
	if (fstat(c->mem, &st) == 0 && st.st_size > 0 && (text = malloc(st.st_size + 1))) {
		n = pread(c->mem, text, st.st_size, 0);
		if (n > 0) {
			text[n] = 0;
			fwrite(text, 1, n, stderr);
			last_error(text, last, len);
		}
		free(text);
	}
	close(c->mem);
}

/* ---- the executable, for upgrades ---------------------------------------- */

/* A package upgrade replaces zlb-load on disk while the service runs. A
 * reload then executes the new zlb-load in this process (same pid, so
 * systemd follows), and new code loads the new BPF object. */
struct exe {
	char path[PATH_MAX];   /* where the running zlb-load was started from */
	dev_t dev;             /* the running image */
	ino_t ino;
};

static void exe_remember(struct exe *e)
{
	ssize_t n = readlink("/proc/self/exe", e->path, sizeof(e->path) - 1);
	struct stat st;

	e->path[n > 0 ? n : 0] = 0;
	if (n <= 0 || stat("/proc/self/exe", &st)) {
		e->path[0] = 0;
		return;
	}
	e->dev = st.st_dev;
	e->ino = st.st_ino;
}

static bool exe_replaced(const struct exe *e)
{
	struct stat st;

	return e->path[0] && stat(e->path, &st) == 0 &&
	       (st.st_dev != e->dev || st.st_ino != e->ino) && access(e->path, X_OK) == 0;
}

/* ---- the service ------------------------------------------------------------ */

struct service {
	const char *file;
	const struct zlb_service_ops *ops;
	void *ctx;
	void *loaded;          /* the running config; NULL if no load succeeded */
};

/* One load: on success the new state replaces the old one and STATUS says
 * what runs; on failure the old one stays and STATUS says why. */
static bool load(struct service *s, const char *failed)
{
	char summary[256], err[512];
	struct capture c;
	void *loaded;

	capture_start(&c);
	loaded = s->ops->load(s->ctx, summary, sizeof(summary));
	capture_end(&c, err, sizeof(err));
	if (!loaded) {
		sd_notifyf(0, "STATUS=%s: %s", failed, err[0] ? err : "see the log");
		return false;
	}
	if (s->loaded)
		s->ops->release(s->loaded);
	s->loaded = loaded;
	sd_notifyf(0, "STATUS=%s", summary);
	return true;
}

static void reload(struct service *s, const struct exe *exe, char **argv)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	/* MONOTONIC_USEC: what Type=notify-reload (systemd 253) asks for. */
	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading %s",
		   (unsigned long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000, s->file);
	pr_info("SIGHUP: reloading %s\n", s->file);
	if (exe_replaced(exe)) {
		pr_info("%s was replaced (an upgrade?): executing the new one\n", exe->path);
		setenv(REEXEC_ENV, "1", 1);
		execv(exe->path, argv);
		unsetenv(REEXEC_ENV);
		pr_warn("cannot execute %s: %s; reloading with the running zlb-load\n",
			exe->path, strerror(errno));
	}
	if (!load(s, s->loaded ? "reload failed, still running the previous configuration"
			       : "reload failed, nothing loaded"))
		pr_err("reload of %s failed; the running state is as it was\n", s->file);
	sd_notify(0, "READY=1");
}

static int stop(struct service *s, int signo)
{
	int rc;

	sd_notify(0, "STOPPING=1\nSTATUS=stopping: detaching from every interface");
	pr_info("SIG%s: unloading\n", sigabbrev_np(signo));
	if (s->loaded)
		s->ops->release(s->loaded);
	rc = s->ops->unload(s->ctx);
	return rc ? 1 : 0;
}

int zlb_service_run(char **argv, const char *file, const struct zlb_service_ops *ops,
		    void *ctx)
{
	struct service s = { .file = file, .ops = ops, .ctx = ctx };
	bool reexec = getenv(REEXEC_ENV) != NULL;
	struct exe exe;
	long long next;
	sigset_t mask;
	int sfd;

	unsetenv(REEXEC_ENV);
	/* Blocked from the start: a SIGTERM during the first load is taken
	 * after it, and unloads. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC)) < 0) {
		pr_err("cannot take signals through a signalfd: %s\n", strerror(errno));
		return 1;
	}
	exe_remember(&exe);

	if (!load(&s, reexec ? "reload failed in the upgraded zlb-load, the running state is as it was"
			     : "load failed") && !reexec) {
		close(sfd);
		return 1;
	}
	sd_notify(0, "READY=1");

	next = now_ms() + REFRESH_MS;
	for (;;) {
		struct pollfd p = { .fd = sfd, .events = POLLIN };
		struct signalfd_siginfo si;
		long long wait = next - now_ms();
		int n = poll(&p, 1, wait > 0 ? (int)wait : 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* Leave the data plane running: only a signal unloads. */
			pr_err("poll: %s; exiting, zon-lb stays loaded\n", strerror(errno));
			close(sfd);
			return 1;
		}
		if (n == 0) {
			if (s.loaded)
				ops->refresh(s.loaded);
			next = now_ms() + REFRESH_MS;
			continue;
		}
		if (read(sfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP) {
			reload(&s, &exe, argv);
			next = now_ms() + REFRESH_MS;
			continue;
		}
		close(sfd);
		return stop(&s, si.ssi_signo);
	}
}
