// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <limits.h>
#include <libgen.h>
#include <dirent.h>
#include <unistd.h>

#include "pin.h"

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

int zlb_pin_dir_prepare(const char *dir, struct zlb_err *err)
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
	if (mkdir(dir, 0700) && errno != EEXIST) {
		zlb_err_set(err, "cannot create pin directory '%s': %s", dir, strerror(errno));
		return -1;
	}
	return pin_dir_private(dir, err);
}
