// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/statfs.h>
#include <limits.h>
#include <libgen.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "pin.h"
#include "tools.h"      /* zlb_parse_uint() */

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif

const char *zlb_pin_dir(const char *opt)
{
	const char *env = getenv(ZLB_PIN_ENV);

	if (opt && *opt)
		return opt;
	if (env && *env)
		return env;
	return ZLB_DEFAULT_PIN_DIR;
}

bool zlb_pin_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n > 0 && (size_t)n < len;
}

static bool on_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

static bool mnt_ns_of(const char *pid, char *buf, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", pid);
	n = readlink(path, buf, len - 1);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

static pid_t parent_of(pid_t pid)
{
	char path[64];
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	/* pid (comm) state ppid: comm may hold spaces, so start after ')' */
	if (fscanf(f, "%*[^)]) %*c %d", &ppid) != 1)
		ppid = 0;
	fclose(f);
	return ppid;
}

/* ip netns exec (and unshare -m) give a process its own mount namespace;
 * what it mounts there is gone when it exits. Ours is private when it is
 * not init's, or -- where init's cannot be read, as in some containers --
 * when no process but ourselves and our ancestors lives in it. */
static bool private_mount_ns(void)
{
	char self[64], other[64], pid[32];
	pid_t ancestors[64];
	int nanc = 0;
	struct dirent *de;
	bool shared = false;
	DIR *d;

	if (!mnt_ns_of("self", self, sizeof(self)))
		return false;
	if (mnt_ns_of("1", other, sizeof(other)))
		return strcmp(self, other) != 0;
	for (pid_t p = getpid(); p > 1 && nanc < 64; p = parent_of(p))
		ancestors[nanc++] = p;
	d = opendir("/proc");
	while (d && !shared && (de = readdir(d))) {
		pid_t p = atoi(de->d_name);
		int i;

		if (p <= 0)
			continue;
		for (i = 0; i < nanc && ancestors[i] != p; i++)
			;
		if (i < nanc)
			continue;
		snprintf(pid, sizeof(pid), "%d", p);
		shared = mnt_ns_of(pid, other, sizeof(other)) && !strcmp(self, other);
	}
	if (d)
		closedir(d);
	return !shared;
}

/* zon-lb's maps are root's only: the pin directory is its owner's alone
 * (0700), whatever the umask it was made under and whoever made it open. */
static int pin_dir_private(const char *dir, struct zlb_err *err)
{
	struct stat st;

	if (stat(dir, &st)) {
		zlb_err_set(err, "pin directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		zlb_err_set(err, "pin directory '%s' is not a directory", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		zlb_err_set(err, "pin directory '%s' belongs to uid %u, not to this process's uid %u: its owner could replace zon-lb's pins; remove it, or pin elsewhere (--pin-dir, %s)",
			    dir, (unsigned)st.st_uid, (unsigned)geteuid(), ZLB_PIN_ENV);
		return -1;
	}
	if ((st.st_mode & 07777) == 0700)
		return 0;
	if (chmod(dir, 0700)) {
		zlb_err_set(err, "pin directory '%s': cannot make it mode 0700: %s", dir, strerror(errno));
		return -1;
	}
	if (st.st_mode & 077)
		pr_warn("pin directory %s was mode %04o, now 0700: zon-lb's maps are root's only\n",
			dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

/* Make sure the parent of @dir is on a bpffs and @dir exists, ours and
 * mode 0700 (tightened, with a warning, when it was open). Mounts a bpffs
 * at /sys/fs/bpf when @dir lies there and none is mounted, except in a
 * private mount namespace (ip netns exec) where the mount would vanish
 * with the process. *@created tells whether this call made @dir. */
static int pin_dir_prepare(const char *dir, bool *created, struct zlb_err *err)
{
	char parent[PATH_MAX];

	if (strlen(dir) >= sizeof(parent) - 32) {
		zlb_err_set(err, "pin directory '%s' is too long", dir);
		return -1;
	}
	strcpy(parent, dir);
	dirname(parent);
	if (!on_bpffs(parent)) {
		if (strcmp(parent, "/sys/fs/bpf")) {
			zlb_err_set(err, "pin directory '%s': %s is not on a bpffs (mount one with 'mount -t bpf bpf DIR', or set %s)",
				    dir, parent, ZLB_PIN_ENV);
			return -1;
		}
		if (private_mount_ns()) {
			zlb_err_set(err, "no bpffs at /sys/fs/bpf, and this process runs in a private mount namespace (as under 'ip netns exec'), where a bpffs mounted now would vanish on exit: mount a bpffs that outlives this process (mount -t bpf bpf DIR) and set %s=DIR/zon-lb",
				    ZLB_PIN_ENV);
			return -1;
		}
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700")) {
			zlb_err_set(err, "no bpffs at /sys/fs/bpf and mounting one failed: %s", strerror(errno));
			return -1;
		}
		pr_info("mounted a bpffs at /sys/fs/bpf\n");
	}
	if (mkdir(dir, 0700) == 0) {
		*created = true;
	} else if (errno != EEXIST) {
		zlb_err_set(err, "cannot create pin directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	return pin_dir_private(dir, err);
}

/* ---- one zlb-load at a time per pin directory ------------------------------
 *
 * The lock is flock(2) on the pin directory itself. The alternatives were
 * worse:
 *  - a lock file under /run is named after a path, so two spellings of
 *    one directory (a symlink, a bind mount, a container that sees the
 *    bpffs elsewhere, a private mount namespace) get two locks; and /run
 *    is not writable everywhere zlb-load runs;
 *  - flock on the parent serializes every pin directory of that bpffs
 *    (other zon-lb instances, and whatever else uses the directory, such
 *    as the bpffs root), and the parent changes under a waiter when the
 *    bpffs is mounted at /sys/fs/bpf by the first load.
 *  - a file in the pin directory: a bpffs holds only pins.
 * The directory is the object the pins live in, whatever the path to it.
 * Its price is its life cycle: a load makes it before taking the lock
 * (as the load would anyway), and the holder may remove it (--unload, a
 * first load that failed); a waiter that then gets the lock on the
 * removed directory finds the path no longer names it, and starts again.
 * The lock goes with the file descriptor: on every exit path, even a
 * crash, the kernel releases it. */

#define LOCK_TIMEOUT_ENV "ZLB_LOCK_TIMEOUT"
#define LOCK_TIMEOUT_S 30
#define LOCK_POLL_MS 100

static int lock_timeout(int *seconds, struct zlb_err *err)
{
	const char *env = getenv(LOCK_TIMEOUT_ENV);
	unsigned long long v;

	*seconds = LOCK_TIMEOUT_S;
	if (!env || !*env)
		return 0;
	if (!zlb_parse_uint(env, 24 * 3600, &v)) {
		zlb_err_set(err, "%s='%s': not a number of seconds (0 to 86400)", LOCK_TIMEOUT_ENV, env);
		return -1;
	}
	*seconds = (int)v;
	return 0;
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* "pid N, COMM" of the process that holds the flock on @st's inode, as
 * /proc/locks tells (the pid that took it); "pid unknown" when it cannot
 * tell. */
static void lock_holder(const struct stat *st, char *buf, size_t len)
{
	char line[256], comm[64] = "", path[64];
	unsigned long long ino;
	unsigned maj, mnr;
	int pid = 0;
	FILE *f = fopen("/proc/locks", "r");

	snprintf(buf, len, "pid unknown");
	if (!f)
		return;
	/* "1: FLOCK  ADVISORY  WRITE 1234 00:2a:5678 0 EOF"; lines of
	 * waiters start "1: -> FLOCK" and are skipped by the match. */
	while (fgets(line, sizeof(line), f)) {
		int p;

		if (sscanf(line, "%*d: FLOCK %*s WRITE %d %x:%x:%llu", &p, &maj, &mnr, &ino) == 4 &&
		    maj == major(st->st_dev) && mnr == minor(st->st_dev) && ino == st->st_ino) {
			pid = p;
			break;
		}
	}
	fclose(f);
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = 0;
		fclose(f);
	}
	if (comm[0])
		snprintf(buf, len, "pid %d, %s", pid, comm);
	else
		snprintf(buf, len, "pid %d", pid);
}

int zlb_pin_dir_lock(const char *dir, bool create, bool *created, struct zlb_err *err)
{
	long long deadline;
	bool said = false;
	int timeout;

	if (lock_timeout(&timeout, err))
		return -1;
	deadline = mono_ms() + timeout * 1000LL;
	for (;;) {
		struct stat held, named;
		char holder[128];
		bool made = false;
		int fd;

		if (create && pin_dir_prepare(dir, &made, err))
			return -1;
		fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && !create)
			return ZLB_PIN_DIR_ABSENT;
		if (fd < 0 && errno == ENOENT)
			continue;       /* removed between the mkdir and the open */
		if (fd < 0) {
			zlb_err_set(err, "pin directory '%s': %s", dir, strerror(errno));
			return -1;
		}
		while (flock(fd, LOCK_EX | LOCK_NB)) {
			if (errno == EINTR)
				continue;
			if (errno != EWOULDBLOCK) {
				zlb_err_set(err, "pin directory '%s': cannot lock it: %s", dir, strerror(errno));
				close(fd);
				return -1;
			}
			if (said && mono_ms() < deadline) {
				usleep(LOCK_POLL_MS * 1000);
				continue;
			}
			if (fstat(fd, &held))
				memset(&held, 0, sizeof(held));
			lock_holder(&held, holder, sizeof(holder));
			if (mono_ms() >= deadline) {
				zlb_err_set(err, "pin directory '%s' is still locked by another run that changes it (%s) after %d s; nothing was changed (%s sets how long to wait)",
					    dir, holder, timeout, LOCK_TIMEOUT_ENV);
				close(fd);
				return -1;
			}
			pr_info("waiting for pin directory %s: another run (%s) is loading, reloading or unloading it; waiting up to %d s\n",
				dir, holder, timeout);
			said = true;
		}
		/* The holder may have removed the directory (--unload, a first
		 * load that failed) or another made a new one in its place. */
		if (fstat(fd, &held) == 0 && stat(dir, &named) == 0 &&
		    held.st_dev == named.st_dev && held.st_ino == named.st_ino) {
			if (created)
				*created = made;
			if (said)
				pr_info("pin directory %s is free now\n", dir);
			return fd;
		}
		close(fd);      /* and again, on what the path names now */
	}
}

void zlb_pin_dir_unlock(int fd)
{
	if (fd >= 0)
		close(fd);      /* the last reference: the lock goes with it */
}
