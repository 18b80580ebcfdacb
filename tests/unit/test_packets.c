// SPDX-License-Identifier: GPL-2.0
/*
 * Packet tests of the data plane, the main: every case for IPv4, then for
 * IPv6. Each case builds a frame, runs it through the program with
 * BPF_PROG_TEST_RUN and checks three things: the verdict, the exact bytes
 * that leave (against a frame built by frames.c, checksums computed from
 * scratch), and the change of every counter (packet_harness.h).
 *
 * Most cases are written once and run for both families (scenario.h:
 * test_flows.c, test_depth.c); what only one family has is in
 * test_packets4.c and test_packets6.c. The maps are filled the way zlb-load
 * fills them: a config text (below, with the family's hosts put in),
 * parsed and written by zlb_maps_apply(). The program runs in the namespace
 * that packets.sh builds; the arguments are the BPF object and the hook
 * (xdp or tc). Exit 0: all passed, 1: a case failed, 99: the test could not
 * run.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "object.h"
#include "scenario.h"

/* ---- the configs ------------------------------------------------------- */

/* The route cache outlives the run, so whether a packet looks its route up
 * or finds it cached is fixed by the order of the cases. */
static const char main_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"telnet\"; address = \"@VIP\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"@BACKEND\"; port = 223; } ); },\n"
	"  { name = \"dns\"; address = \"@VIP\"; protocol = \"udp\"; port = 53;\n"
	"    backends = ( { address = \"@BACKEND\"; port = 5353; } ); },\n"
	"  { name = \"hairpin\"; address = \"@VIP\"; protocol = \"tcp\"; port = 24;\n"
	"    backends = ( { address = \"@HAIRPIN\"; port = 224; } ); },\n"
	"  { name = \"unresolved\"; address = \"@VIP\"; protocol = \"tcp\"; port = 25;\n"
	"    backends = ( { address = \"@UNRESOLVED\"; port = 225; } ); },\n"
	"  { name = \"snat\"; address = \"@VIP\"; protocol = \"udp\"; port = 54;\n"
	"    backends = ( { address = \"@BACKEND\"; port = 5454; source = \"@SNAT_SRC\"; } ); },\n"
	"  { name = \"small-mtu\"; address = \"@VIP\"; protocol = \"udp\"; port = 55;\n"
	"    backends = ( { address = \"@SMALL_MTU\"; port = 5555; } ); },\n"
	"  { name = \"no-route\"; address = \"@VIP\"; protocol = \"udp\"; port = 56;\n"
	"    backends = ( { address = \"@NO_ROUTE\"; port = 5656; source = \"@LB_SRC\"; } ); },\n"
	"  { name = \"other-if\"; address = \"@VIP\"; protocol = \"udp\"; port = 57;\n"
	"    backends = ( { address = \"@OTHER_IF\"; port = 5757; source = \"@LB_SRC\"; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* For a kernel without BPF_FIB_LOOKUP_SRC: sources come from the map. */
static const char nofibsrc_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"telnet\"; address = \"@VIP\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"@BACKEND\"; port = 223; } ); },\n"
	"  { name = \"hairpin\"; address = \"@VIP\"; protocol = \"tcp\"; port = 24;\n"
	"    backends = ( { address = \"@HAIRPIN\"; port = 224; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* Default timeouts and SNAT range. Service ids are positions: telnet 0,
 * dns 1, weighted 2, drained 3 (scenario.h); interface slots: veth0 0,
 * veth2 1. The weighted service's third backend has weight @w3 (2; 0 when
 * it is drained by a reload). */
#define DEPTH_CONF(w3, ifaces) \
	"settings = { fib_cache_ms = 3600000; };\n" \
	"services = (\n" \
	"  { name = \"telnet\"; address = \"@VIP\"; protocol = \"tcp\"; port = 23;\n" \
	"    backends = ( { address = \"@BACKEND\"; port = 223; } ); },\n" \
	"  { name = \"dns\"; address = \"@VIP\"; protocol = \"udp\"; port = 53;\n" \
	"    backends = ( { address = \"@BACKEND\"; port = 5353; } ); },\n" \
	"  { name = \"weighted\"; address = \"@VIP\"; protocol = \"tcp\"; port = 26;\n" \
	"    backends = ( { address = \"@WEIGHTED1\"; port = 2626; weight = 1; },\n" \
	"                 { address = \"@WEIGHTED2\"; port = 2626; weight = 1; },\n" \
	"                 { address = \"@WEIGHTED3\"; port = 2626; weight = " w3 "; } ); },\n" \
	"  { name = \"drained\"; address = \"@VIP\"; protocol = \"tcp\"; port = 27;\n" \
	"    backends = ( { address = \"@WEIGHTED1\"; port = 2727; },\n" \
	"                 { address = \"@WEIGHTED4\"; port = 2727; weight = 0; } ); }\n" \
	");\n" \
	"interfaces = ( " ifaces " );\n"

const char depth_conf[] = DEPTH_CONF("2", "\"veth0\", \"veth2\"");
const char depth_drain_conf[] = DEPTH_CONF("0", "\"veth0\", \"veth2\"");
const char depth_swap_conf[] = DEPTH_CONF("2", "\"veth2\", \"veth0\"");

/* depth_drain_conf with dns before telnet (ids 0 and 1 swap) and the
 * weighted service without its first backend (the others move up). */
const char depth_shift_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"dns\"; address = \"@VIP\"; protocol = \"udp\"; port = 53;\n"
	"    backends = ( { address = \"@BACKEND\"; port = 5353; } ); },\n"
	"  { name = \"telnet\"; address = \"@VIP\"; protocol = \"tcp\"; port = 23;\n"
	"    backends = ( { address = \"@BACKEND\"; port = 223; } ); },\n"
	"  { name = \"weighted\"; address = \"@VIP\"; protocol = \"tcp\"; port = 26;\n"
	"    backends = ( { address = \"@WEIGHTED2\"; port = 2626; weight = 1; },\n"
	"                 { address = \"@WEIGHTED3\"; port = 2626; weight = 0; } ); },\n"
	"  { name = \"drained\"; address = \"@VIP\"; protocol = \"tcp\"; port = 27;\n"
	"    backends = ( { address = \"@WEIGHTED1\"; port = 2727; },\n"
	"                 { address = \"@WEIGHTED4\"; port = 2727; weight = 0; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* A connection table of the smallest size the config allows. */
static const char small_ct_conf[] =
	"settings = { conntrack_size = 1024; };\n"
	"services = (\n"
	"  { name = \"dns\"; address = \"@VIP\"; protocol = \"udp\"; port = 53;\n"
	"    backends = ( { address = \"@BACKEND\"; port = 5353; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* Echo for the service address goes to a backend on the client side, whose
 * source is the service address itself: that backend's own echo to the
 * service would leave as it came, one tuple for both directions of its
 * flow. */
static const char hairpin_echo_conf[] =
	"settings = { fib_cache_ms = 3600000; };\n"
	"services = (\n"
	"  { name = \"hairpin\"; address = \"@VIP\"; protocol = \"tcp\"; port = 24;\n"
	"    icmp_echo = true;\n"
	"    backends = ( { address = \"@HAIRPIN\"; port = 224; } ); }\n"
	");\n"
	"interfaces = ( \"veth0\", \"veth2\" );\n";

/* A source port range of 256 ports, and one of 1000 (not a power of two),
 * for the telnet service of one backend. */
#define SNAT_RANGE_CONF(lo, hi) \
	"settings = { fib_cache_ms = 3600000; snat_ports = [ " #lo ", " #hi " ]; };\n" \
	"services = (\n" \
	"  { name = \"telnet\"; address = \"@VIP\"; protocol = \"tcp\"; port = 23;\n" \
	"    backends = ( { address = \"@BACKEND\"; port = 223; } ); }\n" \
	");\n" \
	"interfaces = ( \"veth0\", \"veth2\" );\n"

static const char snat256_conf[] = SNAT_RANGE_CONF(40000, 40255);
static const char snat1000_conf[] = SNAT_RANGE_CONF(40000, 40999);

/* ---- the runs ---------------------------------------------------------- */

/* A fresh load balancer with config template @conf: true, or false when it
 * could not be loaded (a failed case). */
static bool open_lb(struct lb *lb, const char *path, bool fib_src, const char *conf,
		    const char *what)
{
	struct zlb_err err = {};

	if (!lb_open_family(lb, path, fib_src, conf, &err))
		return true;
	fail(named("loading %s", what), "%s", err.msg);
	return false;
}

/* Every case of family @f against the program in @path: those written once,
 * and @own, those only @f has. */
static void test_family(const char *path, const struct family *f,
			void (*own)(const struct lb *lb, const char *path))
{
	struct lb lb;

	use_family(f);
	if (open_lb(&lb, path, true, main_conf, "the services")) {
		test_flows(&lb);
		own(&lb, path);
		test_fib_cache_age(&lb);
	}
	lb_close(&lb);
	if (open_lb(&lb, path, false, nofibsrc_conf,
		    "the services for a kernel without BPF_FIB_LOOKUP_SRC"))
		test_no_fib_source(&lb);
	lb_close(&lb);
	if (open_lb(&lb, path, true, depth_conf, "the services of the depth cases"))
		test_depth(&lb);
	lb_close(&lb);
	if (open_lb(&lb, path, true, small_ct_conf, "a connection table of 1024 entries"))
		test_full_table(&lb);
	lb_close(&lb);
	if (open_lb(&lb, path, true, hairpin_echo_conf, "echo to a hairpin backend"))
		test_self_collision(&lb);
	lb_close(&lb);
	if (open_lb(&lb, path, true, main_conf, "the services for the flow memo cases"))
		test_flow_memo(&lb, main_conf);
	lb_close(&lb);
	if (open_lb(&lb, path, true, snat256_conf, "a source port range of 256 ports"))
		test_snat_range(&lb, 40000, 40255);
	lb_close(&lb);
	if (open_lb(&lb, path, true, snat1000_conf, "a source port range of 1000 ports"))
		test_snat_range(&lb, 40000, 40999);
	lb_close(&lb);
}

/* The probe zlb-load runs before every load (zlb_probe_fib_lookup_src(),
 * its own throw-away load of the XDP object's zlb_probe_fib_src): it runs,
 * and a kernel from 6.8 on, which has BPF_FIB_LOOKUP_SRC, is found to. */
static void test_probe(const char *path)
{
	int major = 0, minor = 0;
	struct utsname u;
	bool has = false;

	if (zlb_probe_fib_lookup_src(path, &has)) {
		fail("probe: BPF_FIB_LOOKUP_SRC", "the probe did not load or run");
		return;
	}
	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2 ||
	    major < 6 || (major == 6 && minor < 8)) {
		skip("probe: finds BPF_FIB_LOOKUP_SRC", "a kernel before 6.8 lacks it");
		return;
	}
	report("probe: finds BPF_FIB_LOOKUP_SRC (kernel 6.8 and later)",
	       has ? NULL : "it says this kernel lacks it");
}

/* Every packet runs on one CPU: the route cache is per CPU (zlb_fib_cache),
 * and whether a packet finds its route cached is part of what a case
 * checks. */
static int pin_cpu(void)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		perror("test_packets: sched_setaffinity");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *hook = argc >= 3 ? argv[2] : "";

	/* tc-verified: the tc build, every frame arriving CHECKSUM_UNNECESSARY
	 * through the wrapper in WRAPPER_OBJECT */
	if (!(argc == 3 && (!strcmp(hook, "xdp") || !strcmp(hook, "tc"))) &&
	    !(argc == 4 && !strcmp(hook, "tc-verified"))) {
		fprintf(stderr, "usage: %s BPF_OBJECT xdp|tc\n"
				"       %s TC_BPF_OBJECT tc-verified WRAPPER_OBJECT\n"
				"(run through tests/unit/packets.sh)\n",
			argv[0], argv[0]);
		return 99;
	}
	hook_tc = strcmp(hook, "xdp") != 0;
	if (argc == 4)
		csum_verified_obj = argv[3];
	zlb_log_init("test_packets");
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pin_cpu() || setup_ports())
		return 99;

	if (!hook_tc)
		test_probe(argv[1]);
	test_family(argv[1], &ipv4, test_ipv4_only);
	test_family(argv[1], &ipv6, test_ipv6_only);

	printf("test_packets %s: %d passed, %d failed, %d skipped\n", argv[2], passed, failed,
	       skipped);
	return failed ? 1 : 0;
}
