/* SPDX-License-Identifier: GPL-2.0 */
/* The kernel's own XDP counters of an interface, where its driver reports
 * them as ethtool statistics: frames a redirect or an XDP_TX could not
 * send, and frames dropped by XDP, are invisible to the program itself. */
#ifndef ZLB_STAT_ETHTOOL_STATS_H
#define ZLB_STAT_ETHTOOL_STATS_H

#include <stdbool.h>
#include <linux/types.h>

struct zlb_xdp_kstats {
	bool has_drops;      /* the driver reports *xdp_drops */
	bool has_tx_errors;  /* the driver reports *xdp_xmit_errors or *xdp_tx_errors */
	__u64 drops;         /* summed over queues */
	__u64 tx_errors;
};

/* Fill @st for interface @ifname (ETHTOOL_GSTRINGS + ETHTOOL_GSTATS in the
 * calling process's network namespace). An interface without ethtool
 * statistics leaves both has_ flags false; -1 only on a failed socket. */
int zlb_xdp_kstats_read(const char *ifname, struct zlb_xdp_kstats *st);

#endif
