// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the data plane. Each case builds a frame, runs it through
 * the XDP program with BPF_PROG_TEST_RUN and checks three things: the
 * verdict, the exact bytes that leave (against a frame built by frames.c,
 * checksums computed from scratch), and the change of every counter.
 *
 * The maps are filled the way zlb-load fills them: a config text, parsed
 * and written by zlb_maps_apply(). The program runs in the namespace that
 * packets.sh builds (interfaces, addresses, routes and neighbours below);
 * the argument is the BPF object. Exit 0: all passed, 1: a case failed,
 * 99: the test could not run.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "config.h"
#include "log.h"
#include "maps.h"
#include "netlink.h"
#include "resolve.h"
#include "zlb_hash.h"
#include "zlb_abi.h"
#include "frames.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the namespace of packets.sh --------------------------------------- */

enum { VETH0, VETH1, VETH2, VETH3, NPORTS };

struct port {
	const char *name;
	int ifindex;
	uint8_t mac[6];         /* 02:00:00:00:00:0N for vethN */
};

static struct port ports[NPORTS] = {
	{ .name = "veth0" }, { .name = "veth1" }, { .name = "veth2" }, { .name = "veth3" },
};

#define VIP        IP4(10, 0, 0, 1)     /* veth0: the service address */
#define CLIENT     IP4(10, 0, 0, 2)
#define HAIRPIN    IP4(10, 0, 0, 3)     /* a backend on the client side */
#define CLIENT2    IP4(10, 0, 0, 5)     /* known only to zlb_neigh */
#define LB_SRC     IP4(10, 2, 0, 1)     /* veth2: source towards backends */
#define BACKEND    IP4(10, 2, 0, 2)
#define UNRESOLVED IP4(10, 2, 0, 3)     /* no kernel neighbour */
#define SMALL_MTU  IP4(10, 2, 0, 4)     /* route with mtu 1000 */
#define ARPER      IP4(10, 2, 0, 9)     /* only ever seen in an ARP reply */
#define SNAT_SRC   IP4(10, 2, 0, 50)    /* a configured source */

#define MAC(a, b) { 0x02, 0, 0, 0, (a), (b) }

static const uint8_t client_mac[6] = MAC(0x00, 0x01);    /* veth1 */
static const uint8_t backend_mac[6] = MAC(0x00, 0x03);   /* veth3 */
static const uint8_t hairpin_mac[6] = MAC(0x10, 0x03);
static const uint8_t client2_mac[6] = MAC(0x10, 0x05);
static const uint8_t unresolved_mac[6] = MAC(0x12, 0x03);
static const uint8_t small_mtu_mac[6] = MAC(0x12, 0x04);
static const uint8_t arper_mac[6] = MAC(0x12, 0x09);

/* ---- the configs ------------------------------------------------------- */

/* The FIB cache outlives the run, so whether a packet looks its route up
 * or finds it cached is fixed by the order of the cases. */
static const char main_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"telnet\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 223; } ); },\n"
	"  { name = \"dns\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 53;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 5353; } ); },\n"
	"  { name = \"hairpin\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 24;\n"
	"    backends = ( { address = \"10.0.0.3\"; port = 224; } ); },\n"
	"  { name = \"unresolved\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 25;\n"
	"    backends = ( { address = \"10.2.0.3\"; port = 225; } ); },\n"
	"  { name = \"snat\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 54;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 5454; source = \"10.2.0.50\"; } ); },\n"
	"  { name = \"small-mtu\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 55;\n"
	"    backends = ( { address = \"10.2.0.4\"; port = 5555; } ); },\n"
	"  { name = \"no-route\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 56;\n"
	"    backends = ( { address = \"192.0.2.1\"; port = 5656; source = \"10.2.0.1\"; } ); },\n"
	"  { name = \"other-if\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 57;\n"
	"    backends = ( { address = \"10.3.0.2\"; port = 5757; source = \"10.2.0.1\"; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* For a kernel without BPF_FIB_LOOKUP_SRC: sources come from the map. */
static const char nofibsrc_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"telnet\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 223; } ); },\n"
	"  { name = \"hairpin\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 24;\n"
	"    backends = ( { address = \"10.0.0.3\"; port = 224; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* ---- a loaded data plane ----------------------------------------------- */

struct lb {
	struct bpf_object *obj;
	int prog_fd;
	struct zlb_maps maps;
	struct zlb_config cfg;
};

static int port_info(struct port *p)
{
	struct ifreq ifr = {};
	int fd, rc;

	p->ifindex = if_nametoindex(p->name);
	if (!p->ifindex)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		return -1;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", p->name);
	rc = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (rc)
		return -1;
	memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static const struct port *port_by_name(const char *name)
{
	for (int i = 0; i < NPORTS; i++)
		if (!strcmp(ports[i].name, name))
			return &ports[i];
	return NULL;
}

/* What zlb-load resolves: each backend's source is the configured one,
 * else 0 when the FIB gives it, else the kernel route's source. */
static int resolve(const struct zlb_config *cfg, bool fib_src, struct zlb_iface_info *ifaces,
		   __be32 *backend_src, __be32 *backend_snat, struct zlb_err *err)
{
	struct zlb_nl *nl = NULL;
	int rc = -1;

	for (size_t i = 0; i < cfg->nifaces; i++) {
		const struct port *p = port_by_name(cfg->ifaces[i].name);

		if (!p) {
			zlb_err_set(err, "interface %s is not in the test namespace", cfg->ifaces[i].name);
			return -1;
		}
		ifaces[i].ifindex = p->ifindex;
		memcpy(ifaces[i].mac, p->mac, 6);
	}
	nl = zlb_nl_open(err);
	if (!nl || zlb_resolve_sources(nl, cfg, fib_src, backend_src, backend_snat, err))
		goto out;
	rc = 0;
out:
	if (nl)
		zlb_nl_close(nl);
	return rc;
}

/* Load a fresh instance of the program (maps unpinned, .rodata set) and
 * fill its maps from @conf. */
static int lb_open(struct lb *lb, const char *path, bool fib_src, const char *conf,
		   struct zlb_err *err)
{
	struct zlb_rodata ro = { .fib_lookup_src = fib_src };
	struct zlb_iface_info ifaces[ZLB_MAX_IFACES];
	__be32 backend_src[64], backend_snat[64];
	struct zlb_resolved res = { ifaces, backend_src, backend_snat };
	struct bpf_program *prog;
	struct bpf_map *map;
	int rc;

	memset(lb, 0, sizeof(*lb));
	zlb_maps_init(&lb->maps);
	lb->obj = bpf_object__open_file(path, NULL);
	if (!lb->obj) {
		zlb_err_set(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	bpf_object__for_each_program(prog, lb->obj)
		bpf_program__set_autoload(prog, !strcmp(bpf_program__name(prog), ZLB_PROG_XDP_NAME));
	bpf_object__for_each_map(map, lb->obj)
		bpf_map__set_pin_path(map, NULL);
	map = bpf_object__find_map_by_name(lb->obj, ".rodata");
	if (!map || bpf_map__set_initial_value(map, &ro, sizeof(ro))) {
		zlb_err_set(err, "%s: unexpected .rodata layout", path);
		return -1;
	}
	rc = bpf_object__load(lb->obj);
	if (rc) {
		zlb_err_set(err, "cannot load %s: %s", path, strerror(-rc));
		return -1;
	}
	lb->prog_fd = bpf_program__fd(bpf_object__find_program_by_name(lb->obj, ZLB_PROG_XDP_NAME));
	if (zlb_maps_from_object(lb->obj, &lb->maps, err) ||
	    zlb_config_load_string(conf, "test.conf", &lb->cfg, err))
		return -1;
	if (lb->cfg.nifaces > ARRAY_SIZE(ifaces) ||
	    zlb_config_backend_count(&lb->cfg) > ARRAY_SIZE(backend_src)) {
		zlb_err_set(err, "test config too large");
		return -1;
	}
	if (resolve(&lb->cfg, fib_src, ifaces, backend_src, backend_snat, err))
		return -1;
	return zlb_maps_apply(&lb->maps, &lb->cfg, &res, err);
}

static void lb_close(struct lb *lb)
{
	zlb_config_free(&lb->cfg);
	bpf_object__close(lb->obj);
}

/* ---- running a frame --------------------------------------------------- */

struct result {
	int verdict;
	struct frame out;
	long long delta[ZLB_C_MAX];     /* counters after - before */
};

static const char *const counter_names[ZLB_C_MAX] = ZLB_COUNTER_NAMES;

static int read_counters(const struct lb *lb, long long total[ZLB_C_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 *v;

	if (ncpu <= 0 || !(v = calloc(ncpu, sizeof(*v))))
		return -1;
	for (__u32 c = 0; c < ZLB_C_MAX; c++) {
		if (bpf_map_lookup_elem(lb->maps.fd[ZLB_M_STATS], &c, v)) {
			free(v);
			return -1;
		}
		total[c] = 0;
		for (int i = 0; i < ncpu; i++)
			total[c] += v[i];
	}
	free(v);
	return 0;
}

/* Run @in as if it arrived on @port. -1 when the kernel would not run it
 * (errno set). */
static int run(const struct lb *lb, const struct pkt *in, int port, struct result *r)
{
	long long before[ZLB_C_MAX], after[ZLB_C_MAX];
	struct xdp_md ctx = { .ingress_ifindex = ports[port].ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts,
		    .data_out = r->out.data, .data_size_out = sizeof(r->out.data),
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx));
	struct frame f;
	int rc;

	/* The context must span exactly the frame. */
	frame_build(&f, in);
	ctx.data_end = f.len;
	opts.data_in = f.data;
	opts.data_size_in = f.len;
	if (read_counters(lb, before))
		return -1;
	rc = bpf_prog_test_run_opts(lb->prog_fd, &opts);
	if (rc)
		return -1;
	if (read_counters(lb, after))
		return -1;
	r->verdict = opts.retval;
	r->out.len = opts.data_size_out;
	r->out.csum_off = 0;
	for (int c = 0; c < ZLB_C_MAX; c++)
		r->delta[c] = after[c] - before[c];
	return 0;
}

/* ---- judging ----------------------------------------------------------- */

static int passed, failed;

static void report(const char *name, const char *problem)
{
	if (!problem) {
		printf("ok - %s\n", name);
		passed++;
	} else {
		printf("not ok - %s: %s\n", name, problem);
		failed++;
	}
}

static void __attribute__((format(printf, 2, 3))) fail(const char *name, const char *fmt, ...)
{
	char problem[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(problem, sizeof(problem), fmt, ap);
	va_end(ap);
	report(name, problem);
}

static const char *verdict_name(int v)
{
	static const char *const names[] = {
		[XDP_ABORTED] = "XDP_ABORTED", [XDP_DROP] = "XDP_DROP", [XDP_PASS] = "XDP_PASS",
		[XDP_TX] = "XDP_TX", [XDP_REDIRECT] = "XDP_REDIRECT",
	};

	return v >= 0 && v < (int)ARRAY_SIZE(names) ? names[v] : "unknown verdict";
}

/* Counter sets of the usual outcomes: each counter listed goes up by one,
 * every counter not listed stays as it was. */
#define FLOW_NEW      ZLB_C_RX, ZLB_C_CT_MISS, ZLB_C_NEW_FLOW
#define FLOW_HIT      ZLB_C_RX, ZLB_C_CT_HIT
#define FLOW_REFUSED  ZLB_C_RX, ZLB_C_CT_MISS   /* to a service, opens nothing */
#define PASSED        ZLB_C_RX, ZLB_C_PASS
#define ROUTED        ZLB_C_FIB_LOOKUP
#define ROUTE_CACHED  ZLB_C_FIB_CACHE_HIT
#define REDIRECTED    ZLB_C_FORWARD, ZLB_C_REDIRECT
#define BOUNCED       ZLB_C_FORWARD, ZLB_C_TX

struct problems {
	char text[1024];
	size_t n;
};

/* Add one problem to the list, "; "-separated. */
static void __attribute__((format(printf, 2, 3))) add(struct problems *p, const char *fmt, ...)
{
	va_list ap;
	int r;

	if (p->n && p->n < sizeof(p->text))
		p->n += snprintf(p->text + p->n, sizeof(p->text) - p->n, "; ");
	if (p->n >= sizeof(p->text))
		return;
	va_start(ap, fmt);
	r = vsnprintf(p->text + p->n, sizeof(p->text) - p->n, fmt, ap);
	va_end(ap);
	if (r > 0)
		p->n += r;
}

/* Judge a run: @verdict, and unless dropped, @want as the frame that
 * leaves; @counters as above, ending with -1. */
static bool judge(const char *name, const struct result *r, int verdict,
		  const struct pkt *want, const int *counters)
{
	long long want_delta[ZLB_C_MAX] = {};
	struct problems p = {};
	bool bytes_differ = false;
	struct frame wf;

	for (; *counters >= 0; counters++)
		want_delta[*counters]++;
	if (r->verdict != verdict)
		add(&p, "verdict %s, want %s", verdict_name(r->verdict), verdict_name(verdict));
	for (int c = 0; c < ZLB_C_MAX; c++)
		if (r->delta[c] != want_delta[c])
			add(&p, "%s %+lld (want %+lld)", counter_names[c], r->delta[c], want_delta[c]);
	if (verdict != XDP_DROP) {
		frame_build(&wf, want);
		bytes_differ = r->out.len != wf.len || memcmp(r->out.data, wf.data, wf.len);
		if (bytes_differ)
			add(&p, "frame out differs");
	}
	report(name, p.n ? p.text : NULL);
	if (bytes_differ)
		frame_diff(stdout, "#   ", wf.data, wf.len, r->out.data, r->out.len);
	return !p.n;
}

/* Run @in arriving on @port and judge it; @out NULL: the frame must leave
 * exactly as it came. */
static bool check(const struct lb *lb, const char *name, const struct pkt *in, int port,
		  int verdict, const struct pkt *out, const int *counters)
{
	struct result r;

	if (run(lb, in, port, &r)) {
		fail(name, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return false;
	}
	return judge(name, &r, verdict, out ? out : in, counters);
}

#define COUNTERS(...) ((const int[]){ __VA_ARGS__, -1 })
#define expect(lb, name, in, port, verdict, out, ...) \
	check(lb, name, in, port, verdict, out, COUNTERS(__VA_ARGS__))

/* ---- frames of the scenario -------------------------------------------- */

/* A frame as it arrives on @port from @smac: TTL 64, DF, a fresh IP id. */
static struct pkt arriving(int port, const uint8_t *smac, uint8_t proto, uint32_t saddr,
			   uint16_t sport, uint32_t daddr, uint16_t dport)
{
	static uint16_t ip_id = 0x1000;
	struct pkt p = {
		.kind = PKT_IPV4, .proto = proto, .ttl = 64, .ip_id = ip_id++, .frag = PKT_DF,
		.saddr = saddr, .daddr = daddr, .sport = sport, .dport = dport,
		.window = 64240,
	};

	memcpy(p.smac, smac, 6);
	memcpy(p.dmac, ports[port].mac, 6);
	return p;
}

/* From the client 10.0.0.2, arriving on veth0. */
static struct pkt from_client(uint8_t proto, uint16_t sport, uint32_t daddr, uint16_t dport)
{
	return arriving(VETH0, client_mac, proto, CLIENT, sport, daddr, dport);
}

/* The backend-side source port of a client's new flow when nothing
 * collides: the first port of the SNAT range its tuple hashes to. ICMP echo
 * keeps its identifier. */
static uint16_t snat_port(uint32_t client, uint16_t cport, uint8_t proto)
{
	uint32_t span = ZLB_SNAT_PORT_MAX - ZLB_SNAT_PORT_MIN + 1;

	if (proto == IPPROTO_ICMP)
		return cport;
	return ZLB_SNAT_PORT_MIN + zlb_flow_hash(htonl(client), htons(cport), proto) % span;
}

/* From the backend 10.2.0.2 to the load balancer's source, arriving on
 * veth2: the answer to the flow of client port @cport of 10.0.0.2. */
static struct pkt from_backend(uint8_t proto, uint16_t sport, uint32_t daddr, uint16_t cport)
{
	struct pkt p = arriving(VETH2, backend_mac, proto, BACKEND, sport, daddr,
				snat_port(CLIENT, cport, proto));

	p.client_port = cport;
	return p;
}

static void tcp_seg(struct pkt *p, uint8_t flags, uint32_t seq, uint32_t ack)
{
	p->tcp_flags = flags;
	p->seq = seq;
	p->ack = ack;
}

static void with_data(struct pkt *p, const char *text)
{
	pkt_set_payload(p, text, strlen(text));
}

static void echo(struct pkt *p, uint8_t type, uint16_t id, uint16_t seq)
{
	p->icmp_type = type;
	p->icmp_id = id;
	p->icmp_seq = seq;
	with_data(p, "zon-lb ping");    /* odd length: the sum pads it */
}

/* @p as the load balancer sends it on: the new tuple (ICMP keeps its id),
 * TTL one less, from @port's MAC to @dmac. Everything else as it came. */
static struct pkt sent(const struct pkt *p, int port, const uint8_t *dmac, uint32_t saddr,
		       uint16_t sport, uint32_t daddr, uint16_t dport)
{
	struct pkt o = *p;

	memcpy(o.smac, ports[port].mac, 6);
	memcpy(o.dmac, dmac, 6);
	o.saddr = saddr;
	o.daddr = daddr;
	o.sport = sport;
	o.dport = dport;
	o.ttl--;
	return o;
}

/* A client's packet on its way to the backend 10.2.0.2:@dport. */
static struct pkt to_backend(const struct pkt *p, uint16_t dport)
{
	return sent(p, VETH2, backend_mac, LB_SRC, snat_port(p->saddr, p->sport, p->proto),
		    BACKEND, dport);
}

/* A backend's packet on its way back to the client, from 10.0.0.1:@sport. */
static struct pkt to_client(const struct pkt *p, uint16_t sport)
{
	return sent(p, VETH0, client_mac, VIP, sport, CLIENT,
		    p->client_port ? p->client_port : p->dport);
}

/* Choose the last two payload bytes of @aim and @other (its translation or
 * origin) so that the L4 checksum computed over @aim is 0 (UDP: sent as
 * 0xffff): the bytes of the checksum computed with them zero make the sum
 * all ones. The payload length must be even, so they lie on a word. */
static void aim_csum_at_zero(struct pkt *aim, struct pkt *other)
{
	size_t at = aim->payload_len - 2;
	struct frame f;
	uint8_t csum[2];

	if (aim->payload_len < 2 || aim->payload_len % 2 || other->payload_len != aim->payload_len) {
		fprintf(stderr, "aim_csum_at_zero: needs an even payload of the same length\n");
		abort();
	}
	memset(aim->payload + at, 0, 2);
	frame_build(&f, aim);
	frame_l4_csum(&f, csum);
	memcpy(aim->payload + at, csum, 2);
	memcpy(other->payload + at, csum, 2);
}

static bool l4_csum_is(const struct pkt *p, uint16_t want)
{
	struct frame f;
	uint8_t csum[2];

	frame_build(&f, p);
	frame_l4_csum(&f, csum);
	return (csum[0] << 8 | csum[1]) == want;
}

/* ---- neighbour cache --------------------------------------------------- */

static int neigh_add(const struct lb *lb, uint32_t addr, const uint8_t *mac, int port)
{
	struct zlb_neigh_entry n = { .flags = ZLB_NEIGH_F_STATIC, .ifindex = ports[port].ifindex };
	__be32 key = htonl(addr);

	memcpy(n.mac, mac, 6);
	return bpf_map_update_elem(lb->maps.fd[ZLB_M_NEIGH], &key, &n, BPF_ANY);
}

/* zlb_neigh has learned @addr at @mac on @port (@mac NULL: has no entry). */
static void check_neigh(const struct lb *lb, const char *name, uint32_t addr,
			const uint8_t *mac, int port)
{
	struct zlb_neigh_entry n;
	__be32 key = htonl(addr);
	bool found = !bpf_map_lookup_elem(lb->maps.fd[ZLB_M_NEIGH], &key, &n);

	if (!mac)
		report(name, found ? "zlb_neigh has an entry" : NULL);
	else if (!found)
		report(name, "zlb_neigh has no entry");
	else if (memcmp(n.mac, mac, 6) || n.ifindex != (__u32)ports[port].ifindex ||
		 n.flags != ZLB_NEIGH_F_LEARNED || !n.updated_ns)
		fail(name, "entry %02x:%02x:%02x:%02x:%02x:%02x ifindex %u flags %#x updated %llu, "
		     "want %02x:%02x:%02x:%02x:%02x:%02x ifindex %d flags %#x",
		     n.mac[0], n.mac[1], n.mac[2], n.mac[3], n.mac[4], n.mac[5], n.ifindex,
		     n.flags, (unsigned long long)n.updated_ns,
		     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], ports[port].ifindex,
		     ZLB_NEIGH_F_LEARNED);
	else
		report(name, NULL);
}

/* ---- cases: the reference flows ---------------------------------------- */

static void test_tcp_flow(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt synack = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt ack = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt data = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt zero = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt ttl2 = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt ttl1 = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 1000, 0);
	out = to_backend(&syn, 223);
	expect(lb, "tcp: a SYN to 10.0.0.1:23 leaves as 10.2.0.1:40000 -> 10.2.0.2:223",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 5000, 1001);
	out = to_client(&synack, 23);
	expect(lb, "tcp: the backend's SYN-ACK reaches the client from 10.0.0.1:23",
	       &synack, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);

	tcp_seg(&ack, PKT_ACK | PKT_PSH, 1001, 5001);
	with_data(&ack, "hello\n");
	out = to_backend(&ack, 223);
	expect(lb, "tcp: the client's data follows the flow",
	       &ack, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&data, PKT_ACK | PKT_PSH, 5001, 1007);
	with_data(&data, "welcome to zon-lb\n");
	out = to_client(&data, 23);
	expect(lb, "tcp: the backend's data reaches the client",
	       &data, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	out = to_backend(&syn, 223);
	expect(lb, "tcp: a retransmitted SYN follows the flow",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&zero, PKT_ACK, 1007, 5019);
	with_data(&zero, "sum:__");
	out = to_backend(&zero, 223);
	aim_csum_at_zero(&out, &zero);
	if (!l4_csum_is(&out, 0))
		fail("tcp: a checksum that becomes 0 is sent as 0", "could not aim the checksum");
	else
		expect(lb, "tcp: a checksum that becomes 0 is sent as 0",
		       &zero, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&ttl2, PKT_ACK, 1013, 5019);
	ttl2.ttl = 2;
	out = to_backend(&ttl2, 223);
	expect(lb, "tcp: TTL 2 leaves with TTL 1",
	       &ttl2, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&ttl1, PKT_ACK, 1013, 5019);
	ttl1.ttl = 1;
	expect(lb, "tcp: TTL 1 on a tracked flow is dropped (drop_ttl)",
	       &ttl1, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);
}

static void test_udp_flow(const struct lb *lb)
{
	struct pkt q = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt a = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt q0 = from_client(IPPROTO_UDP, 5001, VIP, 53);
	struct pkt a0 = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5001);
	struct pkt edge = from_client(IPPROTO_UDP, 5000, VIP, 53);
	struct pkt ones = from_backend(IPPROTO_UDP, 5353, LB_SRC, 5000);
	struct pkt out;

	with_data(&q, "query");
	out = to_backend(&q, 5353);
	expect(lb, "udp: a datagram to 10.0.0.1:53 leaves as 10.2.0.1:5000 -> 10.2.0.2:5353",
	       &q, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a, "answer");
	out = to_client(&a, 53);
	expect(lb, "udp: the backend's answer reaches the client from 10.0.0.1:53",
	       &a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	with_data(&q0, "no checksum");
	q0.udp_no_csum = true;
	out = to_backend(&q0, 5353);
	expect(lb, "udp: checksum 0 (none) stays 0 towards the backend",
	       &q0, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a0, "none either");
	a0.udp_no_csum = true;
	out = to_client(&a0, 53);
	expect(lb, "udp: checksum 0 (none) stays 0 towards the client",
	       &a0, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	with_data(&edge, "edge__");
	out = to_backend(&edge, 5353);
	aim_csum_at_zero(&out, &edge);
	if (!l4_csum_is(&out, 0xffff))
		fail("udp: a checksum that becomes 0 is sent as 0xffff", "could not aim the checksum");
	else
		expect(lb, "udp: a checksum that becomes 0 is sent as 0xffff",
		       &edge, VETH0, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	with_data(&ones, "ones__");
	out = to_client(&ones, 53);
	aim_csum_at_zero(&ones, &out);
	if (!l4_csum_is(&ones, 0xffff))
		fail("udp: a received 0xffff checksum is translated", "could not aim the checksum");
	else
		expect(lb, "udp: a received 0xffff checksum is translated",
		       &ones, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
}

static void test_configured_source(const struct lb *lb)
{
	struct pkt q = from_client(IPPROTO_UDP, 5002, VIP, 54);
	struct pkt a = from_backend(IPPROTO_UDP, 5454, SNAT_SRC, 5002);
	struct pkt out;

	with_data(&q, "to snat");
	out = sent(&q, VETH2, backend_mac, SNAT_SRC, snat_port(CLIENT, 5002, IPPROTO_UDP), BACKEND, 5454);
	expect(lb, "udp: a configured source (10.2.0.50) wins over the FIB's",
	       &q, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	with_data(&a, "from snat");
	out = to_client(&a, 54);
	expect(lb, "udp: the answer to the configured source reaches the client",
	       &a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);
}

static void test_icmp_echo(const struct lb *lb)
{
	struct pkt req = from_client(IPPROTO_ICMP, 0, VIP, 0);
	struct pkt rep = from_backend(IPPROTO_ICMP, 0, LB_SRC, 0);
	struct pkt backend_req = from_backend(IPPROTO_ICMP, 0, LB_SRC, 0);
	struct pkt stray = from_client(IPPROTO_ICMP, 0, VIP, 0);
	struct pkt out;

	echo(&req, 8, 0x4242, 1);
	out = to_backend(&req, 0);
	expect(lb, "icmp: an echo request to 10.0.0.1 goes to the first service's backend",
	       &req, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	echo(&rep, 0, 0x4242, 1);
	out = to_client(&rep, 0);
	expect(lb, "icmp: the echo reply reaches the client from 10.0.0.1",
	       &rep, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	echo(&backend_req, 8, 0x4242, 7);
	expect(lb, "icmp: an echo request from the backend with a tracked id is no reply",
	       &backend_req, VETH2, XDP_PASS, NULL, PASSED);

	echo(&stray, 0, 0x9999, 1);
	expect(lb, "icmp: an echo reply to 10.0.0.1 nobody asked for goes to the stack",
	       &stray, VETH0, XDP_PASS, NULL, PASSED);
}

/* ---- cases: what opens no flow ----------------------------------------- */

static void test_refused(const struct lb *lb)
{
	struct pkt ack = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt rst = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt synack = from_client(IPPROTO_TCP, 40100, VIP, 23);
	struct pkt ttl1 = from_client(IPPROTO_TCP, 40101, VIP, 23);
	struct pkt frag = from_client(IPPROTO_TCP, 40102, VIP, 23);
	struct pkt later = from_client(IPPROTO_UDP, 5003, VIP, 53);

	tcp_seg(&ack, PKT_ACK, 1, 1);
	expect(lb, "tcp: an ACK of an unknown flow to the service is dropped (drop_tcp_no_flow)",
	       &ack, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ZLB_C_DROP_TCP_NO_FLOW);

	tcp_seg(&rst, PKT_RST, 1, 0);
	expect(lb, "tcp: a RST of an unknown flow is dropped (drop_tcp_no_flow)",
	       &rst, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ZLB_C_DROP_TCP_NO_FLOW);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 1, 1);
	expect(lb, "tcp: a SYN-ACK of an unknown flow is dropped (drop_tcp_no_flow)",
	       &synack, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ZLB_C_DROP_TCP_NO_FLOW);

	tcp_seg(&ttl1, PKT_SYN, 1, 0);
	ttl1.ttl = 1;
	expect(lb, "tcp: a SYN with TTL 1 is dropped (drop_ttl)",
	       &ttl1, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_TTL);

	tcp_seg(&frag, PKT_SYN, 1, 0);
	frag.frag = PKT_MF;
	with_data(&frag, "first fragment");
	expect(lb, "tcp: a first fragment (MF) to the service is dropped (drop_fragment)",
	       &frag, VETH0, XDP_DROP, NULL, ZLB_C_RX, ZLB_C_DROP_FRAGMENT);

	/* No ports to match it by: the data plane leaves it to the stack. */
	later.frag = 185;
	with_data(&later, "the middle of a datagram");
	expect(lb, "udp: a later fragment to the service goes to the stack",
	       &later, VETH0, XDP_PASS, NULL, PASSED);
}

/* ---- cases: next hops -------------------------------------------------- */

static void test_neighbour_miss(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40200, VIP, 25);
	struct pkt out;

	tcp_seg(&syn, PKT_SYN, 7000, 0);
	expect(lb, "neigh: a backend without any neighbour entry is dropped (drop_no_neigh)",
	       &syn, VETH0, XDP_DROP, NULL,
	       FLOW_REFUSED, ROUTED, ZLB_C_NEIGH_MISS, ZLB_C_DROP_NO_NEIGH);

	if (neigh_add(lb, UNRESOLVED, unresolved_mac, VETH2)) {
		fail("neigh: zlb_neigh gives the MAC the FIB lacks", "zlb_neigh update: %s",
		     strerror(errno));
		return;
	}
	out = sent(&syn, VETH2, unresolved_mac, LB_SRC, snat_port(CLIENT, 40200, IPPROTO_TCP),
		   UNRESOLVED, 225);
	expect(lb, "neigh: zlb_neigh gives the MAC the FIB lacks",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, ZLB_C_NEIGH_MISS, REDIRECTED);
}

static void test_hairpin(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40300, VIP, 24);
	struct pkt synack = arriving(VETH0, hairpin_mac, IPPROTO_TCP, HAIRPIN, 224, VIP,
				     snat_port(CLIENT, 40300, IPPROTO_TCP));
	struct pkt out;

	/* The FIB's source towards 10.0.0.3 is veth0's address. */
	tcp_seg(&syn, PKT_SYN, 8000, 0);
	out = sent(&syn, VETH0, hairpin_mac, VIP, snat_port(CLIENT, 40300, IPPROTO_TCP), HAIRPIN, 224);
	expect(lb, "hairpin: a backend behind the ingress interface gets the frame by XDP_TX",
	       &syn, VETH0, XDP_TX, &out, FLOW_NEW, ROUTED, BOUNCED);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 9000, 8001);
	synack.client_port = 40300;
	out = to_client(&synack, 24);
	expect(lb, "hairpin: its answer goes back out of the same interface by XDP_TX",
	       &synack, VETH0, XDP_TX, &out, FLOW_HIT, ROUTE_CACHED, BOUNCED);
}

static void test_routes(const struct lb *lb)
{
	struct pkt big = from_client(IPPROTO_UDP, 5100, VIP, 55);
	struct pkt small = from_client(IPPROTO_UDP, 5100, VIP, 55);
	struct pkt lost = from_client(IPPROTO_UDP, 5101, VIP, 56);
	struct pkt other = from_client(IPPROTO_UDP, 5102, VIP, 57);
	struct pkt out;

	big.payload_len = 1100;         /* IPv4 total length 1128 > mtu 1000 */
	memset(big.payload, 'x', big.payload_len);
	expect(lb, "route: larger than the route's MTU is dropped (drop_frag_needed)",
	       &big, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_FRAG_NEEDED);

	with_data(&small, "fits");
	out = sent(&small, VETH2, small_mtu_mac, LB_SRC, snat_port(CLIENT, 5100, IPPROTO_UDP),
		   SMALL_MTU, 5555);
	expect(lb, "route: a datagram that fits the MTU goes through",
	       &small, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED);

	with_data(&lost, "nowhere");
	expect(lb, "route: a backend without a route is dropped (drop_fib)",
	       &lost, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_FIB);

	/* No flow is recorded for a packet that cannot leave. */
	with_data(&other, "veth3");
	expect(lb, "route: a backend behind an interface zon-lb is not on is dropped (drop_no_tx_port)",
	       &other, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTED, ZLB_C_DROP_NO_TX_PORT);
}

/* ---- cases: what goes to the stack untouched --------------------------- */

static void test_not_ours(const struct lb *lb)
{
	static const uint8_t ipv6_udp[48] = {
		0x60, 0, 0, 0, 0, 8, 17, 64,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
		0x9c, 0x40, 0x00, 0x17, 0x00, 0x08, 0x00, 0x00,
	};
	static const uint8_t inner[28];  /* an ICMP error quotes a header */
	struct pkt port80 = from_client(IPPROTO_TCP, 40500, VIP, 80);
	struct pkt elsewhere = from_client(IPPROTO_TCP, 40501, IP4(10, 0, 0, 9), 23);
	struct pkt udp23 = from_client(IPPROTO_UDP, 40502, VIP, 23);
	struct pkt ping9 = from_client(IPPROTO_ICMP, 0, IP4(10, 0, 0, 9), 0);
	struct pkt unreach = from_client(IPPROTO_ICMP, 0, VIP, 0);
	struct pkt v6 = from_client(0, 0, 0, 0);
	struct pkt tagged = from_client(IPPROTO_TCP, 40503, VIP, 80);

	tcp_seg(&port80, PKT_SYN, 1, 0);
	expect(lb, "pass: TCP to another port of the service address",
	       &port80, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&elsewhere, PKT_SYN, 1, 0);
	expect(lb, "pass: TCP to another address, the service's port",
	       &elsewhere, VETH0, XDP_PASS, NULL, PASSED);

	with_data(&udp23, "not tcp");
	expect(lb, "pass: UDP to the TCP service's port",
	       &udp23, VETH0, XDP_PASS, NULL, PASSED);

	echo(&ping9, 8, 0x4343, 1);
	expect(lb, "pass: an echo request to another address",
	       &ping9, VETH0, XDP_PASS, NULL, PASSED);

	unreach.icmp_type = 3;
	unreach.icmp_code = 3;
	pkt_set_payload(&unreach, inner, sizeof(inner));
	expect(lb, "pass: an ICMP error to the service address",
	       &unreach, VETH0, XDP_PASS, NULL, PASSED);

	v6.kind = PKT_RAW;
	v6.ethertype = 0x86dd;
	pkt_set_payload(&v6, ipv6_udp, sizeof(ipv6_udp));
	expect(lb, "pass: an IPv6 frame", &v6, VETH0, XDP_PASS, NULL, PASSED);

	tcp_seg(&tagged, PKT_SYN, 1, 0);
	tagged.vlan = true;
	tagged.vlan_tci = 100;
	expect(lb, "pass: a VLAN-tagged frame to another port",
	       &tagged, VETH0, XDP_PASS, NULL, PASSED);
}

static struct pkt arp(int port, const uint8_t *sha, uint16_t op, uint32_t spa, uint32_t tpa)
{
	static const uint8_t broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct pkt p = { .kind = PKT_ARP, .arp_op = op, .spa = spa, .tpa = tpa };

	memcpy(p.smac, sha, 6);
	memcpy(p.sha, sha, 6);
	if (op == 1) {
		memcpy(p.dmac, broadcast, 6);
	} else {
		memcpy(p.dmac, ports[port].mac, 6);
		memcpy(p.tha, ports[port].mac, 6);
	}
	return p;
}

static void test_arp(const struct lb *lb)
{
	static const uint8_t stranger_mac[6] = MAC(0x11, 0x77);
	struct pkt req = arp(VETH0, client_mac, 1, CLIENT, VIP);
	struct pkt stranger = arp(VETH1, stranger_mac, 1, IP4(10, 0, 0, 77), VIP);
	struct pkt reply = arp(VETH2, arper_mac, 2, ARPER, LB_SRC);

	expect(lb, "arp: a request on veth0 goes to the stack untouched",
	       &req, VETH0, XDP_PASS, NULL, ZLB_C_RX, ZLB_C_NEIGH_LEARNED, ZLB_C_PASS);
	check_neigh(lb, "arp: ... and zlb_neigh learns its sender", CLIENT, client_mac, VETH0);

	expect(lb, "arp: the same request again learns nothing new",
	       &req, VETH0, XDP_PASS, NULL, PASSED);

	expect(lb, "arp: a request on an interface zon-lb is not on goes to the stack",
	       &stranger, VETH1, XDP_PASS, NULL, PASSED);
	check_neigh(lb, "arp: ... and teaches zlb_neigh nothing", IP4(10, 0, 0, 77), NULL, VETH1);

	expect(lb, "arp: a reply from 10.2.0.9 on veth2 goes to the stack untouched",
	       &reply, VETH2, XDP_PASS, NULL, ZLB_C_RX, ZLB_C_NEIGH_LEARNED, ZLB_C_PASS);
	check_neigh(lb, "arp: ... and zlb_neigh learns 10.2.0.9", ARPER, arper_mac, VETH2);
}

/* ---- cases: frames with more in them ----------------------------------- */

static void test_vlan_and_options(const struct lb *lb)
{
	static const uint8_t router_alert[4] = { 0x94, 0x04, 0x00, 0x00 };
	struct pkt tagged = from_client(IPPROTO_TCP, 40400, VIP, 23);
	struct pkt opts = from_client(IPPROTO_TCP, 40401, VIP, 23);
	struct pkt out;

	/* The tag is neither removed nor changed: it leaves as it came. */
	tcp_seg(&tagged, PKT_SYN, 1, 0);
	tagged.vlan = true;
	tagged.vlan_tci = 100;
	out = to_backend(&tagged, 223);
	expect(lb, "vlan: a tagged SYN to the service is forwarded with its tag as it came",
	       &tagged, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	tcp_seg(&opts, PKT_SYN, 1, 0);
	memcpy(opts.ip_opts, router_alert, sizeof(router_alert));
	opts.ip_optlen = sizeof(router_alert);
	out = to_backend(&opts, 223);
	expect(lb, "ipv4: a SYN with IP options is forwarded with them",
	       &opts, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

/* Two clients, one source port: full NAT must keep the two flows apart on
 * the backend side, or the backend's answers reach the wrong client. */
static void test_same_source_port(const struct lb *lb)
{
	struct pkt syn_a = from_client(IPPROTO_TCP, 41000, VIP, 23);
	struct pkt syn_b = arriving(VETH0, client2_mac, IPPROTO_TCP, CLIENT2, 41000, VIP, 23);
	struct pkt ans_a = from_backend(IPPROTO_TCP, 223, LB_SRC, 41000);
	struct pkt ans_b, out;
	const char *name_b = "collision: a second client with the same port opens its own flow";
	uint32_t b_src, b_dst;
	uint16_t b_sport, b_dport;
	struct result r;

	/* The kernel has no neighbour for the second client; zlb-arp gave it. */
	if (neigh_add(lb, CLIENT2, client2_mac, VETH0)) {
		fail("collision: setup", "zlb_neigh update: %s", strerror(errno));
		return;
	}
	tcp_seg(&syn_a, PKT_SYN, 100, 0);
	out = to_backend(&syn_a, 223);
	expect(lb, "collision: client 10.0.0.2:41000 opens a flow",
	       &syn_a, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);

	/* Whatever tuple the load balancer picks for the second flow, the
	 * frame must be the SYN translated to it. */
	tcp_seg(&syn_b, PKT_SYN, 200, 0);
	if (run(lb, &syn_b, VETH0, &r)) {
		fail(name_b, "BPF_PROG_TEST_RUN: %s", strerror(errno));
		return;
	}
	if (frame_tuple(r.out.data, r.out.len, &b_src, &b_sport, &b_dst, &b_dport)) {
		fail(name_b, "verdict %s, no IPv4 TCP frame out", verdict_name(r.verdict));
		return;
	}
	out = sent(&syn_b, VETH2, backend_mac, b_src, b_sport, BACKEND, 223);
	judge(name_b, &r, XDP_REDIRECT, &out, COUNTERS(FLOW_NEW, ROUTE_CACHED, REDIRECTED));
	if (b_src == LB_SRC && b_sport == 41000)
		fail("collision: ... with a backend-side tuple of its own",
		     "both flows leave as 10.2.0.1:41000 -> 10.2.0.2:223");
	else
		report("collision: ... with a backend-side tuple of its own", NULL);

	tcp_seg(&ans_a, PKT_SYN | PKT_ACK, 300, 101);
	out = to_client(&ans_a, 23);
	expect(lb, "collision: the answer to 10.2.0.1:41000 reaches 10.0.0.2",
	       &ans_a, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	ans_b = arriving(VETH2, backend_mac, IPPROTO_TCP, BACKEND, 223, b_src, b_sport);
	tcp_seg(&ans_b, PKT_SYN | PKT_ACK, 400, 201);
	out = sent(&ans_b, VETH0, client2_mac, VIP, 23, CLIENT2, 41000);
	expect(lb, "collision: the answer to the second tuple reaches 10.0.0.5",
	       &ans_b, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, ZLB_C_NEIGH_MISS, REDIRECTED);
}

static __u64 monotonic_ns(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000000ULL + now.tv_nsec;
}

/* The FIB cache answers for a bounded time (settings.fib_cache_ms): within
 * it a neighbour's new MAC is not seen, after it the FIB is asked again. */
static void test_fib_cache_age(const struct lb *lb)
{
	static const uint8_t moved_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x99, 0x02 };
	struct pkt first = from_client(IPPROTO_UDP, 5100, VIP, 53);
	struct pkt again = from_client(IPPROTO_UDP, 5100, VIP, 53);
	struct pkt later = from_client(IPPROTO_UDP, 5100, VIP, 53);
	int fd = lb->maps.fd[ZLB_M_FIB_CACHE];
	__be32 dst = htonl(BACKEND);
	struct zlb_fib_entry e;
	struct timespec now;
	struct pkt out;
	long long left;

	with_data(&first, "cache 1");
	out = to_backend(&first, 5353);
	expect(lb, "fib cache: a flow to the backend is routed", &first, VETH0,
	       XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (bpf_map_lookup_elem(fd, &dst, &e)) {
		fail("fib cache: an entry for 10.2.0.2", "%s", strerror(errno));
		return;
	}
	left = (long long)e.expires_ns - (now.tv_sec * 1000000000LL + now.tv_nsec);
	if (left > 0 && left <= 3600000LL * 1000000)
		report("fib cache: the entry expires within fib_cache_ms (1 h here)", NULL);
	else
		fail("fib cache: the entry expires within fib_cache_ms (1 h here)",
		     "expires in %lld ns", left);

	if (system("ip neigh replace 10.2.0.2 lladdr 02:00:00:00:99:02 dev veth2 nud permanent")) {
		fail("fib cache: setup", "ip neigh replace failed");
		return;
	}
	with_data(&again, "cache 2");
	out = to_backend(&again, 5353);
	expect(lb, "fib cache: within its age the cached MAC is used", &again, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTE_CACHED, REDIRECTED);

	/* Let the entry's age run out (its expiry is a CLOCK_MONOTONIC time). */
	e.expires_ns = now.tv_sec * 1000000000ULL + now.tv_nsec;
	bpf_map_update_elem(fd, &dst, &e, BPF_EXIST);
	with_data(&later, "cache 3");
	out = sent(&later, VETH2, moved_mac, LB_SRC, snat_port(CLIENT, 5100, IPPROTO_UDP), BACKEND, 5353);
	expect(lb, "fib cache: after its age the FIB gives the new MAC", &later, VETH0,
	       XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);

	if (system("ip neigh replace 10.2.0.2 lladdr 02:00:00:00:00:03 dev veth2 nud permanent"))
		fail("fib cache: restoring 10.2.0.2's MAC", "ip neigh replace failed");
	bpf_map_delete_elem(fd, &dst);
}

/* Every backend-side tuple the data plane may try is taken: the flow is
 * refused and counted, never given another flow's tuple. */
static void test_source_ports_exhausted(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 42000, VIP, 23), out;
	struct zlb_ct_entry taken = { .dir = ZLB_CT_DIR_REPLY };
	struct zlb_ct_key key = {
		.saddr = htonl(BACKEND), .daddr = htonl(LB_SRC),
		.sport = htons(223), .proto = IPPROTO_TCP,
	};
	int fd = lb->maps.fd[ZLB_M_CONNTRACK];

	/* live flows: just seen */
	taken.last_seen_ns = monotonic_ns();
	for (uint32_t port = ZLB_SNAT_PORT_MIN; port <= ZLB_SNAT_PORT_MAX; port++) {
		key.dport = htons(port);
		if (bpf_map_update_elem(fd, &key, &taken, BPF_ANY)) {
			fail("snat: setup", "zlb_conntrack update: %s", strerror(errno));
			return;
		}
	}
	tcp_seg(&syn, PKT_SYN, 1, 0);
	expect(lb, "snat: with every source port taken a SYN is dropped (drop_snat_busy)",
	       &syn, VETH0, XDP_DROP, NULL, FLOW_REFUSED, ROUTE_CACHED, ZLB_C_DROP_SNAT_BUSY);
	for (uint32_t port = ZLB_SNAT_PORT_MIN; port <= ZLB_SNAT_PORT_MAX; port++) {
		key.dport = htons(port);
		bpf_map_delete_elem(fd, &key);
	}
	out = to_backend(&syn, 223);
	expect(lb, "snat: once ports are free again the same SYN gets its first port",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTE_CACHED, REDIRECTED);
}

/* ---- cases: a kernel without BPF_FIB_LOOKUP_SRC ------------------------ */

static void test_no_fib_source(const struct lb *lb)
{
	struct pkt syn = from_client(IPPROTO_TCP, 40000, VIP, 23);
	struct pkt synack = from_backend(IPPROTO_TCP, 223, LB_SRC, 40000);
	struct pkt hairpin = from_client(IPPROTO_TCP, 40300, VIP, 24);
	struct pkt out;

	/* The FIB gives no source here: 10.2.0.1 can only come from the map. */
	tcp_seg(&syn, PKT_SYN, 1000, 0);
	out = to_backend(&syn, 223);
	expect(lb, "no fib src: the SYN leaves with the source zlb-load wrote (10.2.0.1)",
	       &syn, VETH0, XDP_REDIRECT, &out, FLOW_NEW, ROUTED, REDIRECTED);

	tcp_seg(&synack, PKT_SYN | PKT_ACK, 5000, 1001);
	out = to_client(&synack, 23);
	expect(lb, "no fib src: the SYN-ACK reaches the client",
	       &synack, VETH2, XDP_REDIRECT, &out, FLOW_HIT, ROUTED, REDIRECTED);

	tcp_seg(&hairpin, PKT_SYN, 8000, 0);
	out = sent(&hairpin, VETH0, hairpin_mac, VIP, snat_port(CLIENT, 40300, IPPROTO_TCP),
		   HAIRPIN, 224);
	expect(lb, "no fib src: the hairpin backend's source is the route's (10.0.0.1)",
	       &hairpin, VETH0, XDP_TX, &out, FLOW_NEW, ROUTED, BOUNCED);
}

/* ---- main -------------------------------------------------------------- */

static int setup_ports(void)
{
	for (int i = 0; i < NPORTS; i++) {
		const uint8_t want[6] = MAC(0, i);

		if (port_info(&ports[i])) {
			fprintf(stderr, "test_packets: %s: %s (run through packets.sh)\n",
				ports[i].name, strerror(errno));
			return -1;
		}
		if (memcmp(ports[i].mac, want, 6)) {
			fprintf(stderr, "test_packets: %s has not MAC 02:00:00:00:00:%02x\n",
				ports[i].name, i);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct lb main_lb, nofibsrc_lb;
	struct zlb_err err = {};

	if (argc != 2) {
		fprintf(stderr, "usage: %s BPF_OBJECT (run through tests/unit/packets.sh)\n", argv[0]);
		return 99;
	}
	zlb_log_init("test_packets");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (setup_ports())
		return 99;
	if (lb_open(&main_lb, argv[1], true, main_conf, &err) ||
	    lb_open(&nofibsrc_lb, argv[1], false, nofibsrc_conf, &err)) {
		fprintf(stderr, "test_packets: %s\n", err.msg);
		return 99;
	}

	test_tcp_flow(&main_lb);
	test_udp_flow(&main_lb);
	test_configured_source(&main_lb);
	test_icmp_echo(&main_lb);
	test_refused(&main_lb);
	test_neighbour_miss(&main_lb);
	test_hairpin(&main_lb);
	test_routes(&main_lb);
	test_not_ours(&main_lb);
	test_arp(&main_lb);
	test_vlan_and_options(&main_lb);
	test_same_source_port(&main_lb);
	test_source_ports_exhausted(&main_lb);
	test_fib_cache_age(&main_lb);
	test_no_fib_source(&nofibsrc_lb);

	lb_close(&nofibsrc_lb);
	lb_close(&main_lb);
	printf("test_packets: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
