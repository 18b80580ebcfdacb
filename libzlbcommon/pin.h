/* SPDX-License-Identifier: GPL-2.0 */
/* Where zon-lb's maps are pinned, and making sure a bpffs is there. */
#ifndef ZLB_PIN_H
#define ZLB_PIN_H

#include <stdbool.h>
#include "log.h"

#define ZLB_DEFAULT_PIN_DIR "/sys/fs/bpf/zon-lb"
#define ZLB_PIN_ENV "ZLB_BPFFS"

/* The pin directory: @opt (a command-line option) if set, else $ZLB_BPFFS,
 * else ZLB_DEFAULT_PIN_DIR. */
const char *zlb_pin_dir(const char *opt);

/* Make sure the parent of @dir is on a bpffs and @dir exists, ours and mode
 * 0700 (tightened, with a warning, when it was open). Mounts a bpffs
 * at /sys/fs/bpf when @dir lies there and none is mounted, except in a
 * private mount namespace (ip netns exec) where the mount would vanish with
 * the process. */
int zlb_pin_dir_prepare(const char *dir, struct zlb_err *err);

/* Path of pinned map @name in @dir; false if it does not fit. */
bool zlb_pin_path(char *buf, size_t len, const char *dir, const char *name);

#endif
