/* SPDX-License-Identifier: GPL-2.0 */
/* The reporting of the unit tests that check one case at a time
 * (test_config, test_maglev): "ok - NAME" or "not ok - NAME: WHY" per
 * case, and a last line "PROG: N passed, N failed" that .ci/run adds up.
 * A case is a function returning bool; CHECK() fails it, saying why. */
#ifndef ZLB_TEST_TAP_H
#define ZLB_TEST_TAP_H

#include <stdbool.h>
#include <stdio.h>

static int passed, failed;
static char why[1024];		/* what the failing check saw */

/* Inside a case: on a false condition, say why and fail the case. */
#define CHECK(cond, ...)						\
	do {								\
		if (!(cond)) {						\
			snprintf(why, sizeof(why), __VA_ARGS__);	\
			return false;					\
		}							\
	} while (0)

static void report(const char *name, bool ok)
{
	if (ok) {
		printf("ok - %s\n", name);
		passed++;
	} else {
		printf("not ok - %s: %s\n", name, why);
		failed++;
	}
}

/* The last line; the exit status: 0 when every case passed. */
static int tap_summary(const char *prog)
{
	printf("%s: %d passed, %d failed\n", prog, passed, failed);
	return failed ? 1 : 0;
}

#endif
