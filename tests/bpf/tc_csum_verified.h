/* SPDX-License-Identifier: GPL-2.0 */
/* tc_csum_verified.bpf.c's own verdicts, which no data plane returns: the
 * skb could not be marked verified, or the tail call found no program. */
#ifndef ZLB_TEST_TC_CSUM_VERIFIED_H
#define ZLB_TEST_TC_CSUM_VERIFIED_H

#define ZLB_TEST_VERDICT_NOT_VERIFIED 1001
#define ZLB_TEST_VERDICT_NO_TARGET    1002
#define ZLB_TEST_CSUM_VERIFIED_PROG   "tc_csum_verified"
#define ZLB_TEST_CSUM_VERIFIED_MAP    "tc_target"

#endif
