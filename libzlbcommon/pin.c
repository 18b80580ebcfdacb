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

/* ip netns exec (and unshare -m) give a process its own mount namespace;
 * what it mounts there is gone when it exits. */
static bool private_mount_ns(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/mnt", &self) || stat("/proc/1/ns/mnt", &init))
		return false;
	return self.st_ino != init.st_ino || self.st_dev != init.st_dev;
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
			zlb_err_set(err, "no bpffs at /sys/fs/bpf, and this process runs in a private mount namespace (as under 'ip netns exec'), where a bpffs mounted now would vanish on exit: set %s to a directory on a bpffs that outlives this process",
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
	return 0;
}
