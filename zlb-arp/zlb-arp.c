// SPDX-License-Identifier: GPL-2.0
/*
 * zlb-arp: zon-lb's own neighbour cache (zlb_neigh), the data plane's
 * fallback when the FIB has no MAC address for a next hop -- list, add,
 * delete, flush, and sync from the kernel's neighbour table.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <net/if.h>
#include <bpf/bpf.h>

#include "zlb_abi.h"
#include "tools.h"
#include "kernel_neigh.h"
#include "netlink.h"

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: zlb-arp [OPTIONS] [list]\n"
		"       zlb-arp [OPTIONS] add ADDR MAC dev IF\n"
		"       zlb-arp [OPTIONS] delete ADDR\n"
		"       zlb-arp [OPTIONS] flush\n"
		"       zlb-arp [OPTIONS] sync\n"
		"Show or change the neighbour cache of a running zon-lb: the MAC addresses\n"
		"its data plane uses when the kernel's FIB has none for a next hop.\n"
		"\n"
		"Commands:\n"
		"  list     list the entries: address, MAC, interface, age, flags (the default)\n"
		"  add      add or replace the static entry ADDR -> MAC on interface IF\n"
		"  delete   delete the entry of ADDR\n"
		"  flush    delete every entry\n"
		"  sync     copy the kernel's valid IPv4 (ARP) and IPv6 (neighbour discovery)\n"
		"           neighbours on zon-lb's interfaces as static entries\n"
		"ADDR is an IPv4 or an IPv6 address.\n"
		"\n"
		"Options:\n"
		ZLB_TOOL_COMMON_HELP
		"\n"
		"Environment: %s (pin directory).\n",
		ZLB_PIN_ENV);
}

static const char *flag_names(__u16 flags)
{
	if ((flags & ZLB_NEIGH_F_STATIC) && (flags & ZLB_NEIGH_F_LEARNED))
		return "static,learned";
	if (flags & ZLB_NEIGH_F_STATIC)
		return "static";
	if (flags & ZLB_NEIGH_F_LEARNED)
		return "learned";
	return "";
}

/* A command's operands, checked before the maps are opened. */
struct args {
	const char *text;        /* ADDR as given */
	union zlb_addr addr;
	__u8 mac[6];
	const char *dev;
	__u32 ifindex;
};

static const struct zlb_col list_cols[] = {
	{ "ADDRESS", "address", ZLB_COL_STR, 0 },
	{ "MAC", "mac", ZLB_COL_STR, 0 },
	{ "DEV", "dev", ZLB_COL_STR, 0 },
	{ "IFINDEX", "ifindex", ZLB_COL_U64, 0 },
	{ "AGE", "age", ZLB_COL_U64, 0 },
	{ "FLAGS", "flags", ZLB_COL_STR, 0 },
};

static int cmd_list(const struct zlb_tool_opts *o, const struct zlb_maps *m,
		    const struct args *a)
{
	int fd = m->fd[ZLB_M_NEIGH];
	struct zlb_table *t = zlb_table_new(list_cols, sizeof(list_cols) / sizeof(list_cols[0]),
					    o->fmt, stdout, NULL, false);
	__u64 now = zlb_now_ns();
	union zlb_addr key, *prev = NULL;
	struct zlb_neigh_entry e;
	int rc = ZLB_EXIT_OK;

	if (!t) {
		pr_err("out of memory\n");
		return ZLB_EXIT_FAIL;
	}
	while (bpf_map_get_next_key(fd, prev, &key) == 0) {
		char addr[ZLB_ADDR_LEN], mac[18], dev[IF_NAMESIZE];

		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &e))
			continue;       /* gone meanwhile */
		zlb_table_row(t);
		zlb_table_str(t, zlb_fmt_addr(addr, &key));
		zlb_table_str(t, zlb_fmt_mac(mac, e.mac));
		if (if_indextoname(e.ifindex, dev))
			zlb_table_str(t, dev);
		else
			zlb_table_none(t);
		zlb_table_u64(t, e.ifindex);
		/* zlb-load writes its entries without a time. */
		if (e.updated_ns && e.updated_ns <= now)
			zlb_table_u64(t, (now - e.updated_ns) / 1000000000ULL);
		else
			zlb_table_none(t);
		zlb_table_str(t, flag_names(e.flags));
	}
	if (errno != ENOENT) {
		pr_err("cannot read %s: %s\n", ZLB_MAP_NEIGH, strerror(errno));
		rc = ZLB_EXIT_FAIL;
	}
	if (!zlb_table_end(t)) {
		pr_err("out of memory\n");
		rc = ZLB_EXIT_FAIL;
	}
	return rc;
}

/* Whether @ifindex is, in this network namespace, an interface zon-lb
 * runs on. The pins are seen from every namespace that mounts the bpffs,
 * and there the same index names another interface: run outside zon-lb's
 * namespace, sync copied that one's neighbours into the cache. The MAC
 * zlb-load recorded tells them apart. */
static bool configured(const struct zlb_maps *m, __u32 ifindex)
{
	char name[IF_NAMESIZE];
	struct zlb_iface iface;

	return !bpf_map_lookup_elem(m->fd[ZLB_M_IFACES], &ifindex, &iface) &&
	       zlb_iface_here(ifindex, &iface, name);
}

/* add ADDR MAC dev IF */
static int parse_add(char **argv, int n, struct args *a)
{
	if (n >= 3 && strcmp(argv[2], "dev"))
		return zlb_usage_err("add: expected 'dev IF' after the MAC address, got '%s'", argv[2]);
	if (n < 4)
		return zlb_usage_err(n == 3 ? "add: 'dev' needs an interface name"
					    : "add needs ADDR MAC dev IF");
	if (n > 4)
		return zlb_usage_err("add: unexpected argument '%s'", argv[4]);
	if (!zlb_parse_addr(argv[0], &a->addr))
		return zlb_usage_err("add: '%s' is not an IPv4 or IPv6 address", argv[0]);
	if (!zlb_parse_mac(argv[1], a->mac))
		return zlb_usage_err("add: '%s' is not a MAC address (expected xx:xx:xx:xx:xx:xx)", argv[1]);
	if ((a->mac[0] & 1) || !memcmp(a->mac, "\0\0\0\0\0\0", 6))
		return zlb_usage_err("add: %s is not a unicast MAC address", argv[1]);
	a->dev = argv[3];
	a->ifindex = if_nametoindex(a->dev);
	if (!a->ifindex)
		return zlb_usage_err("add: no interface '%s' here", a->dev);
	return 0;
}

static int cmd_add(const struct zlb_tool_opts *o, const struct zlb_maps *m,
		   const struct args *a)
{
	struct zlb_neigh_entry e = {
		.flags = ZLB_NEIGH_F_STATIC,
		.ifindex = a->ifindex,
		.updated_ns = zlb_now_ns(),
	};

	if (!configured(m, a->ifindex)) {
		pr_err("add: %s is not one of zon-lb's interfaces (see zlb-stat; run in the network namespace zon-lb was loaded in)\n",
		       a->dev);
		return ZLB_EXIT_FAIL;
	}
	memcpy(e.mac, a->mac, sizeof(e.mac));
	if (bpf_map_update_elem(m->fd[ZLB_M_NEIGH], &a->addr, &e, BPF_ANY)) {
		pr_err("add: cannot write %s: %s\n", ZLB_MAP_NEIGH, strerror(errno));
		return ZLB_EXIT_FAIL;
	}
	return ZLB_EXIT_OK;
}

/* delete ADDR */
static int parse_delete(char **argv, int n, struct args *a)
{
	if (n != 1)
		return zlb_usage_err(n ? "delete takes one ADDR" : "delete needs ADDR");
	if (!zlb_parse_addr(argv[0], &a->addr))
		return zlb_usage_err("delete: '%s' is not an IPv4 or IPv6 address", argv[0]);
	a->text = argv[0];
	return 0;
}

static int cmd_delete(const struct zlb_tool_opts *o, const struct zlb_maps *m,
		      const struct args *a)
{
	if (bpf_map_delete_elem(m->fd[ZLB_M_NEIGH], &a->addr)) {
		if (errno == ENOENT)
			pr_err("delete: no entry for %s\n", a->text);
		else
			pr_err("delete: %s: %s\n", a->text, strerror(errno));
		return ZLB_EXIT_FAIL;
	}
	return ZLB_EXIT_OK;
}

/* "VERB N entries", or {"KEY": N} in JSON. */
static void print_count(const struct zlb_tool_opts *o, const char *verb, const char *key, size_t n)
{
	struct zlb_json *j;

	if (o->fmt == ZLB_OUT_TEXT) {
		printf("%s %zu entries\n", verb, n);
		return;
	}
	j = zlb_json_new(stdout, o->fmt == ZLB_OUT_JSON_PRETTY);
	zlb_json_obj_begin(j);
	zlb_json_key(j, key);
	zlb_json_u64(j, n);
	zlb_json_obj_end(j);
	zlb_json_free(j);
}

/* Keys first, then the deletes: deleting while walking restarts a walk. */
static int cmd_flush(const struct zlb_tool_opts *o, const struct zlb_maps *m,
		     const struct args *a)
{
	int fd = m->fd[ZLB_M_NEIGH];
	union zlb_addr keys[ZLB_NEIGH_SIZE], *prev = NULL;
	size_t n = 0, deleted = 0;

	while (n < ZLB_NEIGH_SIZE && bpf_map_get_next_key(fd, prev, &keys[n]) == 0)
		prev = &keys[n++];
	for (size_t i = 0; i < n; i++) {
		if (!bpf_map_delete_elem(fd, &keys[i]))
			deleted++;
		else if (errno != ENOENT) {
			pr_err("flush: cannot delete from %s: %s\n", ZLB_MAP_NEIGH, strerror(errno));
			return ZLB_EXIT_FAIL;
		}
	}
	print_count(o, "flushed", "deleted", deleted);
	return ZLB_EXIT_OK;
}

static int cmd_sync(const struct zlb_tool_opts *o, const struct zlb_maps *m,
		    const struct args *a)
{
	__u32 all[ZLB_MAX_IFACES], ifindexes[ZLB_MAX_IFACES];
	int nall = zlb_maps_ifindexes(m, all, ZLB_MAX_IFACES), n = 0, count, written;
	struct zlb_kneigh *kn;
	struct zlb_err err;
	__u64 now = zlb_now_ns();

	for (int i = 0; i < nall; i++)
		if (configured(m, all[i]))
			ifindexes[n++] = all[i];
	if (nall && !n) {
		pr_err("sync: none of zon-lb's interfaces is here: run in the network namespace zon-lb was loaded in\n");
		return ZLB_EXIT_FAIL;
	}
	count = zlb_kernel_neigh_dump(ifindexes, n, &kn, &err);
	if (count < 0) {
		pr_err("sync: %s\n", err.msg);
		return ZLB_EXIT_FAIL;
	}
	written = count;
	for (int i = 0; i < count; i++) {
		struct zlb_neigh_entry e = {
			.flags = ZLB_NEIGH_F_STATIC,
			.ifindex = kn[i].ifindex,
			.updated_ns = now,
		};
		int later = i + 1;

		/* One entry per address: an address that is a neighbour on
		 * two interfaces (an IPv6 link-local one) gets the last. */
		while (later < count && memcmp(&kn[later].addr, &kn[i].addr, sizeof(kn[i].addr)))
			later++;
		if (later < count) {
			char s[ZLB_ADDR_LEN], a[IF_NAMESIZE], b[IF_NAMESIZE];

			pr_warn("sync: %s is a neighbour on %s and on %s: the cache keeps one entry an address, %s's\n",
				zlb_fmt_addr(s, &kn[i].addr), if_indextoname(kn[i].ifindex, a) ? a : "?",
				if_indextoname(kn[later].ifindex, b) ? b : "?", b);
			written--;
			continue;
		}
		memcpy(e.mac, kn[i].mac, sizeof(e.mac));
		if (bpf_map_update_elem(m->fd[ZLB_M_NEIGH], &kn[i].addr, &e, BPF_ANY)) {
			pr_err("sync: cannot write %s: %s\n", ZLB_MAP_NEIGH, strerror(errno));
			free(kn);
			return ZLB_EXIT_FAIL;
		}
	}
	free(kn);
	print_count(o, "synced", "synced", written);
	return ZLB_EXIT_OK;
}

struct command {
	const char *name;
	/* Check the operands; NULL: the command takes none. */
	int (*parse)(char **argv, int n, struct args *a);
	int (*run)(const struct zlb_tool_opts *o, const struct zlb_maps *m, const struct args *a);
};

static const struct command commands[] = {
	{ "list", NULL, cmd_list },
	{ "add", parse_add, cmd_add },
	{ "delete", parse_delete, cmd_delete },
	{ "flush", NULL, cmd_flush },
	{ "sync", NULL, cmd_sync },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

int main(int argc, char **argv)
{
	struct zlb_tool tool = { .name = "zlb-arp", .usage = usage };
	const struct command *cmd = &commands[0];
	struct zlb_tool_opts o;
	struct args a = {};
	struct zlb_maps m;
	int first, rc;

	zlb_log_init("zlb-arp");
	first = zlb_tool_parse(argc, argv, &tool, &o);
	if (first < 0)
		return ZLB_EXIT_USAGE;
	if (first < argc) {
		for (cmd = commands; cmd < commands + NCOMMANDS; cmd++)
			if (!strcmp(argv[first], cmd->name))
				break;
		if (cmd == commands + NCOMMANDS) {
			zlb_usage_err("unknown command '%s': expected list, add, delete, flush or sync",
				      argv[first]);
			return ZLB_EXIT_USAGE;
		}
		first++;
	}
	if (cmd->parse)
		rc = cmd->parse(argv + first, argc - first, &a);
	else if (first < argc)
		rc = zlb_usage_err("%s takes no argument, got '%s'", cmd->name, argv[first]);
	else
		rc = 0;
	if (rc)
		return ZLB_EXIT_USAGE;
	if (zlb_tool_open_maps(&o, &m))
		return ZLB_EXIT_FAIL;
	rc = cmd->run(&o, &m, &a);
	zlb_maps_close(&m);
	return zlb_tool_flush() ? ZLB_EXIT_FAIL : rc;
}
