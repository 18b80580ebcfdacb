// SPDX-License-Identifier: GPL-2.0
/*
 * zlb-fuzz: generated and mutated frames through the XDP program with
 * BPF_PROG_TEST_RUN, the invariants of check.c judged after every frame
 * and over the connection table at checkpoints. Runs in the namespace
 * fuzz.sh builds; the argument is the BPF object.
 *
 *   ZLB_FUZZ_SEED    the PRNG's seed (default: from the clock; printed)
 *   ZLB_FUZZ_FRAMES  how many frames (default 200000)
 *
 * Exit 0: no violation, 1: violations (the first ones printed in full),
 * 99: the fuzzer could not run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "check.h"
#include "gen.h"
#include "lb.h"
#include "log.h"
#include "view.h"

#define CHECKPOINT 500000       /* frames between checks of the whole table */

/*
 * The services of fuzz.sh's namespace: veth0 10.0.0.1 and fd00::1
 * (clients; remote ones behind 10.0.0.254 and fd00::fe), veth2 10.2.0.1
 * and fd00:2::1 (backends .2 and .3; .4 has no neighbour; 192.0.2.0/24
 * and 2001:db8::/32 are prohibited). The same services in both families:
 * two backends behind one service, a hairpin backend on the client side
 * that also answers echo for the service address (its source is that
 * address itself), a configured source, a drained backend; short
 * timeouts so that flows expire while the fuzzer runs.
 */
static const char fuzz_conf[] =
	"settings = { timeouts = { tcp_syn = 2; tcp_established = 20; tcp_closing = 3;\n"
	"                          tcp_close = 1; udp = 5; icmp = 2; }; };\n"
	"services = (\n"
	"  { name = \"tcp\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 223; },\n"
	"                 { address = \"10.2.0.3\"; port = 223; weight = 2; } ); },\n"
	"  { name = \"udp\"; address = \"10.0.0.1\"; protocol = \"udp\"; port = 53;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 5353; },\n"
	"                 { address = \"10.2.0.3\"; port = 5353; } ); },\n"
	"  { name = \"hairpin\"; address = \"10.0.0.1\"; protocol = \"tcp\"; port = 24;\n"
	"    icmp_echo = true;\n"
	"    backends = ( { address = \"10.0.0.3\"; port = 224; } ); },\n"
	"  { name = \"snat\"; address = \"10.0.0.10\"; protocol = \"udp\"; port = 54;\n"
	"    backends = ( { address = \"10.2.0.2\"; port = 5454; source = \"10.2.0.50\"; } ); },\n"
	"  { name = \"mixed\"; address = \"10.0.0.10\"; protocol = \"tcp\"; port = 80;\n"
	"    backends = ( { address = \"10.2.0.4\"; port = 8080; },\n"
	"                 { address = \"10.2.0.2\"; port = 8080; },\n"
	"                 { address = \"10.2.0.5\"; port = 8080; weight = 0; } ); },\n"
	"  { name = \"prohibited\"; address = \"10.0.0.10\"; protocol = \"udp\"; port = 56;\n"
	"    backends = ( { address = \"192.0.2.1\"; port = 5656; source = \"10.2.0.1\"; } ); },\n"
	"  { name = \"tcp6\"; address = \"fd00::1\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"fd00:2::2\"; port = 223; },\n"
	"                 { address = \"fd00:2::3\"; port = 223; weight = 2; } ); },\n"
	"  { name = \"udp6\"; address = \"fd00::1\"; protocol = \"udp\"; port = 53;\n"
	"    backends = ( { address = \"fd00:2::2\"; port = 5353; },\n"
	"                 { address = \"fd00:2::3\"; port = 5353; } ); },\n"
	"  { name = \"hairpin6\"; address = \"fd00::1\"; protocol = \"tcp\"; port = 24;\n"
	"    icmp_echo = true;\n"
	"    backends = ( { address = \"fd00::3\"; port = 224; } ); },\n"
	"  { name = \"snat6\"; address = \"fd00::10\"; protocol = \"udp\"; port = 54;\n"
	"    backends = ( { address = \"fd00:2::2\"; port = 5454; source = \"fd00:2::50\"; } ); },\n"
	"  { name = \"mixed6\"; address = \"fd00::10\"; protocol = \"tcp\"; port = 80;\n"
	"    backends = ( { address = \"fd00:2::4\"; port = 8080; },\n"
	"                 { address = \"fd00:2::2\"; port = 8080; },\n"
	"                 { address = \"fd00:2::5\"; port = 8080; weight = 0; } ); },\n"
	"  { name = \"prohibited6\"; address = \"fd00::10\"; protocol = \"udp\"; port = 56;\n"
	"    backends = ( { address = \"2001:db8::1\"; port = 5656; source = \"fd00:2::1\"; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

struct stats {
	unsigned long long frames, verdicts[5], other_verdict, kinds[GEN_KINDS];
	unsigned long long opened, ct_hits;
	unsigned long long opened6, fwd6;       /* IPv6 flows opened, frames forwarded */
	bool tcp_flags_hit[256];        /* on frames that hit a tracked TCP flow */
	bool truncated[FUZZ_FRAME_MAX];
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static unsigned long long env_number(const char *name, unsigned long long dflt)
{
	const char *s = getenv(name);
	char *end;
	unsigned long long v;

	if (!s || !*s)
		return dflt;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end) {
		fprintf(stderr, "zlb-fuzz: %s=%s is not a number\n", name, s);
		exit(99);
	}
	return v;
}

static void account(struct stats *st, const struct gen_frame *f, const struct run *r)
{
	struct view v;

	st->frames++;
	st->kinds[f->kind]++;
	if (r->verdict >= 0 && r->verdict < 5)
		st->verdicts[r->verdict]++;
	else
		st->other_verdict++;
	if (f->truncated_at)
		st->truncated[f->truncated_at] = true;
	view_frame(&v, f->data, f->len);
	if (v.ip.v6 && (r->verdict == XDP_TX || r->verdict == XDP_REDIRECT))
		st->fwd6++;
	if (!r->delta[ZLB_C_CT_HIT])
		return;
	st->ct_hits++;
	if (v.ip.ok && v.ip.proto == IPPROTO_TCP && v.l4_hdr)
		st->tcp_flags_hit[v.tcp_flags] = true;
}

static size_t count_true(const bool *b, size_t from, size_t to)
{
	size_t n = 0;

	for (size_t i = from; i < to; i++)
		n += b[i];
	return n;
}

/* The data plane's own counters: which of its paths the frames took. */
static void print_counters(struct lb *lb)
{
	static const char *const names[ZLB_C_MAX] = ZLB_COUNTER_NAMES;
	long long total[ZLB_C_MAX];

	if (lb_counters(lb, total))
		return;
	printf("# counters:");
	for (int i = 0; i < ZLB_C_MAX; i++)
		if (total[i])
			printf(" %s %lld", names[i], total[i]);
	printf("\n");
}

static void summary(const struct stats *st, struct checker *c, uint64_t seed, double secs)
{
	static const char *const vnames[5] = { "aborted", "drop", "pass", "tx", "redirect" };

	printf("zlb-fuzz: seed 0x%016llx: %llu frames in %.1f s (%.0f frames/s)\n",
	       (unsigned long long)seed, st->frames, secs, st->frames / secs);
	printf("# verdicts:");
	for (int i = 0; i < 5; i++)
		printf(" %s %llu", vnames[i], st->verdicts[i]);
	printf(", other %llu\n# kinds:", st->other_verdict);
	for (int k = 0; k < GEN_KINDS; k++)
		printf(" %s %llu", gen_kind_names[k], st->kinds[k]);
	printf("\n# flows opened %llu, frames on tracked flows %llu, TCP flag combinations on "
	       "tracked flows %zu/256, truncated at %zu of the offsets 14..127\n",
	       st->opened, st->ct_hits, count_true(st->tcp_flags_hit, 0, 256),
	       count_true(st->truncated, 14, 128));
	printf("# IPv6: flows opened %llu, frames forwarded %llu\n", st->opened6, st->fwd6);
	print_counters(c->lb);
	printf("# connection table: %llu entries at the last of %llu checks\n", c->table_entries,
	       c->table_checks);
	for (int i = 1; i < INV_COUNT; i++)
		printf("# invariant %s: %llu violations\n", invariant_names[i], c->violations[i]);
	printf("zlb-fuzz: %llu frames, %llu violations\n", st->frames, check_total(c));
}

static int fuzz(struct lb *lb, struct checker *c, struct gen *g, struct stats *st,
		unsigned long long frames)
{
	static struct gen_frame f;
	static struct run r;
	struct flow opened;
	double t0 = now_s();

	for (unsigned long long i = 0; i < frames; i++) {
		gen_frame(g, &f);
		if (lb_run(lb, f.data, f.len, f.port, &r)) {
			fprintf(stderr, "zlb-fuzz: frame %llu: BPF_PROG_TEST_RUN: %s\n", i,
				strerror(errno));
			return -1;
		}
		c->frame = i;
		if (check_frame(c, &f, &r, &opened)) {
			gen_learn(g, &opened);
			st->opened++;
			st->opened6 += !zlb_addr_is_v4(&opened.vip);
		}
		account(st, &f, &r);
		if ((i + 1) % CHECKPOINT == 0) {
			check_table(c);
			printf("# %llu frames, %llu violations, %.1f s\n", i + 1, check_total(c),
			       now_s() - t0);
		}
	}
	check_table(c);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t seed = env_number("ZLB_FUZZ_SEED", (uint64_t)time(NULL) << 20 ^ getpid());
	unsigned long long frames = env_number("ZLB_FUZZ_FRAMES", 200000);
	static struct stats st;
	static struct gen g;
	struct checker c;
	struct lb lb;
	double t0;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: %s BPF_OBJECT (run through tests/fuzz/fuzz.sh)\n", argv[0]);
		return 99;
	}
	zlb_log_init("zlb-fuzz");
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("zlb-fuzz: seed 0x%016llx (ZLB_FUZZ_SEED), %llu frames (ZLB_FUZZ_FRAMES)\n",
	       (unsigned long long)seed, frames);
	if (ports_setup() || lb_open(&lb, argv[1], fuzz_conf) || check_init(&c, &lb))
		return 99;
	gen_init(&g, seed, &lb.cfg, c.m.ours, c.m.nours);
	t0 = now_s();
	rc = fuzz(&lb, &c, &g, &st, frames) ? 99 : 0;
	if (!rc) {
		summary(&st, &c, seed, now_s() - t0);
		rc = check_total(&c) ? 1 : 0;
	}
	check_free(&c);
	lb_close(&lb);
	return rc;
}
