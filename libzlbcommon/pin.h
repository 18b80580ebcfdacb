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

/* zlb-load's runs that change @dir take turns: an exclusive flock(2) on
 * @dir itself, waited for at most $ZLB_LOCK_TIMEOUT seconds (default 30),
 * saying once on stderr that it waits and for whom. With @create, @dir is
 * made first: its parent must be on a bpffs (mounted at /sys/fs/bpf when
 * @dir lies there and none is, except in a private mount namespace, where
 * the mount would vanish with the process), and @dir is left ours and mode
 * 0700 (tightened, with a warning, when it was open); *@created (when not
 * NULL) tells whether this call made it. Returns the descriptor that
 * holds the lock (zlb_pin_dir_unlock() releases it; so does exit),
 * ZLB_PIN_DIR_ABSENT without @create when @dir does not exist, or -1 with
 * @err set (the lock still held by another after the wait, naming @dir). */
#define ZLB_PIN_DIR_ABSENT (-2)
int zlb_pin_dir_lock(const char *dir, bool create, bool *created, struct zlb_err *err);
void zlb_pin_dir_unlock(int fd);

/* Path of pinned map @name in @dir; false if it does not fit. */
bool zlb_pin_path(char *buf, size_t len, const char *dir, const char *name);

#endif
