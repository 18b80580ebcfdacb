// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>

#include "ethtool_stats.h"

static int ethtool(int sock, const char *ifname, void *cmd)
{
	struct ifreq ifr = {};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = cmd;
	return ioctl(sock, SIOCETHTOOL, &ifr);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

/* The number of ETH_SS_STATS strings, 0 when the driver has none. */
static __u32 n_stats(int sock, const char *ifname)
{
	struct {
		struct ethtool_sset_info hdr;
		__u32 len;
	} info = { .hdr = { .cmd = ETHTOOL_GSSET_INFO, .sset_mask = 1ULL << ETH_SS_STATS } };

	if (ethtool(sock, ifname, &info) || !(info.hdr.sset_mask & (1ULL << ETH_SS_STATS)))
		return 0;
	return info.len;
}

int zlb_xdp_kstats_read(const char *ifname, struct zlb_xdp_kstats *st)
{
	struct ethtool_gstrings *strings = NULL;
	struct ethtool_stats *stats = NULL;
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	__u32 n;

	memset(st, 0, sizeof(*st));
	if (sock < 0)
		return -1;
	n = n_stats(sock, ifname);
	if (!n)
		goto out;
	strings = calloc(1, sizeof(*strings) + (size_t)n * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + (size_t)n * sizeof(__u64));
	if (!strings || !stats)
		goto out;
	strings->cmd = ETHTOOL_GSTRINGS;
	strings->string_set = ETH_SS_STATS;
	strings->len = n;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = n;
	if (ethtool(sock, ifname, strings) || ethtool(sock, ifname, stats))
		goto out;
	for (__u32 i = 0; i < n && i < strings->len && i < stats->n_stats; i++) {
		char name[ETH_GSTRING_LEN + 1];

		memcpy(name, strings->data + i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		name[ETH_GSTRING_LEN] = 0;
		if (ends_with(name, "xdp_drops")) {
			st->has_drops = true;
			st->drops += stats->data[i];
		} else if (ends_with(name, "xdp_xmit_errors") || ends_with(name, "xdp_tx_errors")) {
			st->has_tx_errors = true;
			st->tx_errors += stats->data[i];
		}
	}
out:
	free(strings);
	free(stats);
	close(sock);
	return 0;
}
