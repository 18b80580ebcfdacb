/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness of the packet tests: a data plane loaded from a config as
 * zlb-load loads it, frames run through it with BPF_PROG_TEST_RUN, and each
 * run judged three ways -- the verdict, the exact bytes that leave (against
 * a frame built by frames.c) and the change of every counter. The cases
 * and their scenario are scenario.h's.
 *
 * Every case runs against the build under test, XDP or tc (hook_tc); the
 * cases are written with XDP's verdicts. The namespace is packets.sh's:
 * interfaces veth0..veth3 with MACs 02:00:00:00:00:0N.
 */
#ifndef ZLB_TEST_PACKET_HARNESS_H
#define ZLB_TEST_PACKET_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>

#include "config.h"
#include "log.h"
#include "maps.h"
#include "ct.h"
#include "zlb_abi.h"
#include "zlb_addr.h"
#include "frames.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The build under test: the XDP program (false) or the tc one. */
extern bool hook_tc;
/* Set (tc only): every frame arrives CHECKSUM_UNNECESSARY, as from a NIC
 * with receive offload or through GRO, run by the wrapper in this object
 * (tests/bpf/tc_csum_verified.bpf.c). NULL: CHECKSUM_NONE, the skb
 * BPF_PROG_TEST_RUN builds. */
extern const char *csum_verified_obj;

/* ---- the namespace of packets.sh --------------------------------------- */

enum { VETH0, VETH1, VETH2, VETH3, NPORTS };

struct port {
	const char *name;
	int ifindex;
	uint8_t mac[6];         /* 02:00:00:00:00:0N for vethN */
};

extern struct port ports[NPORTS];

/* Look up the interfaces; -1 (said on stderr) outside packets.sh's namespace. */
int setup_ports(void);

/* The hosts of the scenario, one MAC each whatever the family. */
#define MAC(a, b) { 0x02, 0, 0, 0, (a), (b) }

static const uint8_t client_mac[6] = MAC(0x00, 0x01);    /* veth1 */
static const uint8_t backend_mac[6] = MAC(0x00, 0x03);   /* veth3 */
static const uint8_t hairpin_mac[6] = MAC(0x10, 0x03);   /* a backend on the client side */
static const uint8_t client2_mac[6] = MAC(0x10, 0x05);   /* known only to zlb_neigh */
static const uint8_t unresolved_mac[6] = MAC(0x12, 0x03);
static const uint8_t small_mtu_mac[6] = MAC(0x12, 0x04);

/* ---- a loaded data plane ----------------------------------------------- */

struct lb {
	struct bpf_object *obj;
	int prog_fd;
	struct bpf_object *wrap_obj;    /* csum_verified_obj's, or NULL */
	int run_fd;                     /* what a frame runs through */
	struct zlb_maps maps;
	struct zlb_config cfg;
};

/* Load a fresh instance of the program in @path (maps unpinned, .rodata
 * set: @fib_src, the kernel has BPF_FIB_LOOKUP_SRC) and fill its maps from
 * the config text @conf. */
int lb_open(struct lb *lb, const char *path, bool fib_src, const char *conf, struct zlb_err *err);
/* Write a new config into @lb's maps, as a reload by zlb-load would. */
int lb_reload(struct lb *lb, const char *conf, struct zlb_err *err);
void lb_close(struct lb *lb);

/* ---- running a frame --------------------------------------------------- */

struct result {
	int verdict;
	struct frame out;
	long long delta[ZLB_C_MAX];     /* counters after - before */
};

extern const char *const counter_names[ZLB_C_MAX];

/* Set while a case sends frames with Ethernet padding: this many bytes
 * (0x5a) after every frame built, the one that goes in and the one
 * expected out. The IP length fields leave them out; no checksum covers
 * them, and they leave as they came. */
extern size_t padding;

/* Build @p into @f, with the padding. */
void build(struct frame *f, const struct pkt *p);

/* Run @in as if it arrived on @port. -1 when the kernel would not run it
 * (errno set). */
int run(const struct lb *lb, const struct pkt *in, int port, struct result *r);

/* ---- judging ----------------------------------------------------------- */

extern int passed, failed, skipped;
/* Set while a case only brings a flow where the next case needs it: its
 * steps are reported when they fail, not counted when they pass. */
extern bool quiet;

/* Put @prefix before the name of every case reported from now on. */
void name_cases(const char *prefix);
/* A case name made with printf's @fmt, in one of a few buffers taken in
 * turn: it lasts while the next dozen are made. */
const char *named(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One TAP line: ok (@problem NULL) or not ok. */
void report(const char *name, const char *problem);
void fail(const char *name, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A case that cannot run on this hook through BPF_PROG_TEST_RUN. */
void skip(const char *name, const char *why);

const char *verdict_name(int v);
/* The verdict of the build under test for the XDP verdict @xdp_verdict. */
int hook_verdict(int xdp_verdict);

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
void add(struct problems *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Judge a run: @verdict, and unless dropped, @want as the frame that
 * leaves; @counters as above, ending with -1. */
bool judge(const char *name, const struct result *r, int verdict, const struct pkt *want,
	   const int *counters);
/* Run @in arriving on @port and judge it; @out NULL: the frame must leave
 * exactly as it came. */
bool check(const struct lb *lb, const char *name, const struct pkt *in, int port, int verdict,
	   const struct pkt *out, const int *counters);

/* -1 ends the list early: a counter that one build does not move. */
#define COUNTERS(...) ((const int[]){ __VA_ARGS__, -1 })
#define expect(lb, name, in, port, verdict, out, ...) \
	check(lb, name, in, port, verdict, out, COUNTERS(__VA_ARGS__))
/* expect() for a step that only brings a flow where the next case needs
 * it (see quiet). */
#define expect_setup(lb, name, in, port, verdict, out, ...)                  \
	do {                                                                 \
		quiet = true;                                                \
		expect(lb, name, in, port, verdict, out, __VA_ARGS__);       \
		quiet = false;                                               \
	} while (0)

/* ---- frames ------------------------------------------------------------ */

/* A packet of @proto from @smac, as it arrives on @port: TTL (hop limit)
 * 64, ports @sport and @dport, a TCP window; the family and addresses are
 * the caller's to set. */
struct pkt arriving_l4(int port, const uint8_t *smac, uint8_t proto, uint16_t sport,
		       uint16_t dport);
/* @p as the load balancer sends it on out of @port to @dmac: TTL (hop
 * limit) one less, ports @sport and @dport (ICMP echo keeps its id);
 * everything else as it came, the addresses the caller's to set. */
struct pkt sent_on(const struct pkt *p, int port, const uint8_t *dmac, uint16_t sport,
		   uint16_t dport);

void tcp_seg(struct pkt *p, uint8_t flags, uint32_t seq, uint32_t ack);
void with_data(struct pkt *p, const char *text);
/* An echo request or reply (ICMP or ICMPv6 @type) with a payload of odd
 * length. */
void echo(struct pkt *p, uint8_t type, uint16_t id, uint16_t seq);

/* ---- checksums aimed at their edges ------------------------------------ */

/* Choose the last two payload bytes of @aim and @other (its translation or
 * origin) so that the L4 checksum computed over @aim is 0 (UDP: sent as
 * 0xffff). */
void aim_csum_at_zero(struct pkt *aim, struct pkt *other);
bool l4_csum_is(const struct pkt *p, uint16_t want);

/* ---- maps -------------------------------------------------------------- */

/* A static zlb_neigh entry, as zlb-arp or zlb-load writes it. */
int neigh_add(const struct lb *lb, union zlb_addr addr, const uint8_t *mac, int port);
/* zlb_neigh has learned @addr at @mac on @port (@mac NULL: has no entry). */
void check_neigh(const struct lb *lb, const char *name, union zlb_addr addr,
		 const uint8_t *mac, int port);

/* The Maglev table of a TCP service. */
struct maglev_view {
	int fd;
	__u32 size;
	__u32 base;             /* the service's backend_base */
};

int maglev_open(const struct lb *lb, union zlb_addr vip, uint16_t vport, struct maglev_view *t);
/* The backend the table gives a flow of hash @hash: 0, or -1 for none. */
int maglev_backend(const struct lb *lb, const struct maglev_view *t, __u32 hash,
		   struct zlb_backend *be);

#define SEC_NS 1000000000ULL

/* CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns(). */
__u64 monotonic_ns(void);

const char *state_name(unsigned int st);
int read_meta(const struct lb *lb, struct zlb_meta *meta);
bool ct_get(const struct lb *lb, const struct zlb_ct_key *k, struct zlb_ct_entry *e);
/* The zlb_flow_memo slot of IPv4 key @k, and every CPU's value of slot
 * @slot into @v (room for @max): the number of CPUs, or -1 with errno. */
__u32 memo_slot_of_key(const struct zlb_ct_key *k);
int memo_slot_read(const struct lb *lb, __u32 slot, struct zlb_flow_memo *v, int max);
/* Whether memo value @v holds the flow direction of IPv4 key @k. */
bool memo_holds(const struct zlb_flow_memo *v, const struct zlb_ct_key *k);
/* Make entry @k look idle for @idle_ns: its last activity that long ago. */
int ct_idle(const struct lb *lb, const struct zlb_ct_key *k, __u64 idle_ns);

/* Per-CPU traffic maps, summed. */
int traffic_get(const struct lb *lb, int map, __u32 key, struct zlb_traffic *t);
int svc_traffic_get(const struct lb *lb, __u32 id, struct zlb_traffic *t);
int if_traffic_get(const struct lb *lb, __u32 slot, struct zlb_if_traffic *t);
void check_traffic(const char *name, const struct zlb_traffic *b, const struct zlb_traffic *a,
		   __u64 packets, __u64 bytes, __u64 new_flows);
/* @want: rx packets, rx bytes, fwd packets, fwd bytes, drops. */
void check_if_traffic(const char *name, const struct zlb_if_traffic *b,
		      const struct zlb_if_traffic *a, const __u64 want[5]);

#endif
