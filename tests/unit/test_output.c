// SPDX-License-Identifier: GPL-2.0
/*
 * The printing layer: tables as aligned text and as JSON (compact and
 * pretty), named numbers, the JSON writer, string escaping, and addresses of
 * either family as the tools print and read them (addr.h, and ADDR:PORT
 * read back here). Exact strings are compared, and every JSON
 * document is also read back by python3's json module.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "addr.h"
#include "output.h"

static int passed, failed;

static void check(const char *name, bool ok, const char *got, const char *want)
{
	if (ok) {
		passed++;
		printf("PASS: %s\n", name);
		return;
	}
	failed++;
	printf("FAIL: %s\n--- got:\n%s\n--- want:\n%s\n", name, got ? got : "", want ? want : "");
}

static void check_str(const char *name, const char *got, const char *want)
{
	check(name, !strcmp(got, want), got, want);
}

/* @doc parses as JSON, and python's own dump of it equals @canon (its
 * compact form with sort_keys off), when @canon is given. */
static void check_parses(const char *name, const char *doc, const char *canon)
{
	char path[] = "/tmp/zlb-test-output.XXXXXX";
	char cmd[256], out[4096] = "";
	size_t n;
	FILE *p;
	int fd = mkstemp(path), rc;

	if (fd < 0 || write(fd, doc, strlen(doc)) != (ssize_t)strlen(doc)) {
		check(name, false, "cannot write a temp file", NULL);
		return;
	}
	close(fd);
	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1])), separators=(\",\",\":\"), ensure_ascii=False))' %s 2>&1",
		 path);
	p = popen(cmd, "r");
	n = p ? fread(out, 1, sizeof(out) - 1, p) : 0;
	out[n] = 0;
	rc = p ? pclose(p) : -1;
	unlink(path);
	if (n && out[n - 1] == '\n')
		out[n - 1] = 0;
	check(name, rc == 0 && (!canon || !strcmp(out, canon)), out, canon);
}

static const struct zlb_col cols[] = {
	{ "NAME", "name", ZLB_COL_STR, 6 },
	{ "PACKETS", "packets", ZLB_COL_U64, 8 },
	{ "NOTE", "note", ZLB_COL_STR, 4 },
};

/* The same three rows, in @fmt, buffered or streamed. */
static char *table(enum zlb_out_format fmt, bool stream)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct zlb_table *t = zlb_table_new(cols, 3, fmt, f, NULL, stream);

	zlb_table_row(t);
	zlb_table_str(t, "a");
	zlb_table_u64(t, 5);
	zlb_table_str(t, "first");
	zlb_table_row(t);
	zlb_table_str(t, "longer name");
	zlb_table_u64(t, 18446744073709551615ULL);
	zlb_table_none(t);
	zlb_table_row(t);
	zlb_table_str(t, "q\"b\\s\n\t\x01");
	zlb_table_u64(t, 0);
	zlb_table_str(t, "\xc3\xa9t\xc3\xa9");
	zlb_table_end(t);
	fclose(f);
	return buf;
}

static char *empty_table(enum zlb_out_format fmt)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	zlb_table_end(zlb_table_new(cols, 3, fmt, f, NULL, false));
	fclose(f);
	return buf;
}

static void test_tables(void)
{
	static const char text[] =
		"NAME                      PACKETS  NOTE\n"
		"a                               5  first\n"
		"longer name  18446744073709551615  -\n"
		"q\"b\\s\n\t\x01                        0  \xc3\xa9t\xc3\xa9\n";
	static const char text_stream[] =
		"NAME     PACKETS  NOTE\n"
		"a              5  first\n"
		"longer name  18446744073709551615  -\n"
		"q\"b\\s\n\t\x01         0  \xc3\xa9t\xc3\xa9\n";
	static const char json[] =
		"[{\"name\":\"a\",\"packets\":5,\"note\":\"first\"},"
		"{\"name\":\"longer name\",\"packets\":18446744073709551615,\"note\":null},"
		"{\"name\":\"q\\\"b\\\\s\\n\\t\\u0001\",\"packets\":0,\"note\":\"\xc3\xa9t\xc3\xa9\"}]\n";
	static const char pretty[] =
		"[\n"
		"    {\n"
		"        \"name\": \"a\",\n"
		"        \"packets\": 5,\n"
		"        \"note\": \"first\"\n"
		"    },\n"
		"    {\n"
		"        \"name\": \"longer name\",\n"
		"        \"packets\": 18446744073709551615,\n"
		"        \"note\": null\n"
		"    },\n"
		"    {\n"
		"        \"name\": \"q\\\"b\\\\s\\n\\t\\u0001\",\n"
		"        \"packets\": 0,\n"
		"        \"note\": \"\xc3\xa9t\xc3\xa9\"\n"
		"    }\n"
		"]\n";
	char *s;

	s = table(ZLB_OUT_TEXT, false);
	check_str("buffered text table: columns as wide as the widest cell, numbers right", s, text);
	free(s);
	s = table(ZLB_OUT_TEXT, true);
	check_str("streamed text table: declared widths, wider cells push on", s, text_stream);
	free(s);
	s = table(ZLB_OUT_JSON, false);
	check_str("JSON table: an array of objects, strings escaped, none is null", s, json);
	check_parses("JSON table parses, with the same values",
		     s, "[{\"name\":\"a\",\"packets\":5,\"note\":\"first\"},"
		     "{\"name\":\"longer name\",\"packets\":18446744073709551615,\"note\":null},"
		     "{\"name\":\"q\\\"b\\\\s\\n\\t\\u0001\",\"packets\":0,\"note\":\"\xc3\xa9t\xc3\xa9\"}]");
	free(s);
	s = table(ZLB_OUT_JSON, true);
	check_str("streamed JSON table equals the buffered one", s, json);
	free(s);
	s = table(ZLB_OUT_JSON_PRETTY, false);
	check_str("pretty JSON table: four-space indent", s, pretty);
	check_parses("pretty JSON table parses", s, NULL);
	free(s);

	s = empty_table(ZLB_OUT_TEXT);
	check_str("empty text table: the header alone", s, "NAME  PACKETS  NOTE\n");
	free(s);
	s = empty_table(ZLB_OUT_JSON);
	check_str("empty JSON table: []", s, "[]\n");
	free(s);
	s = empty_table(ZLB_OUT_JSON_PRETTY);
	check_str("empty pretty JSON table: []", s, "[]\n");
	free(s);
}

/* An object with scalars, a nested object, an empty array and a table
 * as a member: what zlb-stat prints. */
static char *document(bool pretty)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct zlb_json *j = zlb_json_new(f, pretty);
	struct zlb_table *t;

	zlb_json_obj_begin(j);
	zlb_json_key(j, "totals");
	zlb_json_obj_begin(j);
	zlb_json_key(j, "rx");
	zlb_json_u64(j, 10);
	zlb_json_key(j, "none");
	zlb_json_null(j);
	zlb_json_obj_end(j);
	zlb_json_key(j, "empty");
	zlb_json_arr_begin(j);
	zlb_json_arr_end(j);
	zlb_json_key(j, "rows");
	t = zlb_table_new(cols, 2, pretty ? ZLB_OUT_JSON_PRETTY : ZLB_OUT_JSON, f, j, false);
	zlb_table_row(t);
	zlb_table_str(t, "x");
	zlb_table_u64(t, 1);
	zlb_table_end(t);
	zlb_json_key(j, "k\"ey");
	zlb_json_str(j, "\x7f/");
	zlb_json_obj_end(j);
	zlb_json_free(j);
	fclose(f);
	return buf;
}

static void test_writer(void)
{
	static const char compact[] =
		"{\"totals\":{\"rx\":10,\"none\":null},\"empty\":[],"
		"\"rows\":[{\"name\":\"x\",\"packets\":1}],\"k\\\"ey\":\"\x7f/\"}\n";
	static const char pretty[] =
		"{\n"
		"    \"totals\": {\n"
		"        \"rx\": 10,\n"
		"        \"none\": null\n"
		"    },\n"
		"    \"empty\": [],\n"
		"    \"rows\": [\n"
		"        {\n"
		"            \"name\": \"x\",\n"
		"            \"packets\": 1\n"
		"        }\n"
		"    ],\n"
		"    \"k\\\"ey\": \"\x7f/\"\n"
		"}\n";
	char *s;

	s = document(false);
	check_str("JSON document: nested objects, empty array, a table as a member", s, compact);
	check_parses("JSON document parses", s, NULL);
	free(s);
	s = document(true);
	check_str("pretty JSON document", s, pretty);
	check_parses("pretty JSON document parses", s, NULL);
	free(s);
}

/* Named numbers: aligned lines in text, an object in JSON, alone or as
 * a member of a document. */
static char *kv(enum zlb_out_format fmt, bool member)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct zlb_json *j = member ? zlb_json_new(f, fmt == ZLB_OUT_JSON_PRETTY) : NULL;
	struct zlb_kv *kv;

	if (j) {
		zlb_json_obj_begin(j);
		zlb_json_key(j, "totals");
	}
	kv = zlb_kv_new(fmt, f, j);
	zlb_kv_u64(kv, "rx", 1234567);
	zlb_kv_u64(kv, "drop_no_neigh", 0);
	zlb_kv_end(kv);
	if (j) {
		zlb_json_obj_end(j);
		zlb_json_free(j);
	}
	fclose(f);
	return buf;
}

static void test_kv(void)
{
	char *s;

	s = kv(ZLB_OUT_TEXT, false);
	check_str("named numbers in text: no header, values right-aligned", s,
		  "rx             1234567\n"
		  "drop_no_neigh        0\n");
	free(s);
	s = kv(ZLB_OUT_JSON, false);
	check_str("named numbers in JSON: an object", s, "{\"rx\":1234567,\"drop_no_neigh\":0}\n");
	check_parses("named numbers parse", s, "{\"rx\":1234567,\"drop_no_neigh\":0}");
	free(s);
	s = kv(ZLB_OUT_JSON_PRETTY, true);
	check_str("named numbers as a member, pretty", s,
		  "{\n"
		  "    \"totals\": {\n"
		  "        \"rx\": 1234567,\n"
		  "        \"drop_no_neigh\": 0\n"
		  "    }\n"
		  "}\n");
	check_parses("named numbers as a member parse", s, NULL);
	free(s);
}

static void test_escape(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	char all[32];

	/* Every control character, which JSON forbids raw. */
	for (int i = 1; i < 32; i++)
		all[i - 1] = i;
	all[31] = 0;
	zlb_json_escape(f, all);
	fclose(f);
	check_str("every control character is escaped", buf,
		  "\"\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r"
		  "\\u000e\\u000f\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017"
		  "\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f\"");
	check_parses("the escaped control characters parse", buf, NULL);
	free(buf);
}

/* @text as an address: what zlb_addr_parse makes of it, as 16 bytes. */
static union zlb_addr addr(const char *text)
{
	union zlb_addr a;

	memset(&a, 0xee, sizeof(a));
	if (!zlb_parse_addr(text, &a))
		fprintf(stderr, "test_output: '%s' does not parse\n", text);
	return a;
}

static void test_addr_fmt(void)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "10.0.0.1", "10.0.0.1" },
		{ "255.255.255.255", "255.255.255.255" },
		{ "fd00:0::1", "fd00::1" },
		{ "FD00:0002:0000:0000:0000:0000:0000:0002", "fd00:2::2" },
		{ "2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1" },   /* the first longest run */
		{ "2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1" }, /* one 0 stays */
		{ "::1", "::1" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" },
		{ "::ffff:10.2.0.2", "10.2.0.2" },                  /* IPv4-mapped is IPv4 */
	};
	char buf[ZLB_ADDR_LEN], name[160];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		union zlb_addr a = addr(cases[i].in);

		snprintf(name, sizeof(name), "address %s prints as %s", cases[i].in, cases[i].want);
		check_str(name, zlb_fmt_addr(buf, &a), cases[i].want);
	}
}

static void test_addr_parse(void)
{
	union zlb_addr a, v4 = zlb_addr_v4(htonl(0x0a000001)), v6 = {
		.b = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 },
	};
	static const char *const bad[] = {
		"", "10.0.0", "10.0.0.256", "10.0.0.1 ", "fd00::1::2", "fd00::g", "[fd00::1]",
		"localhost", "10.0.0.1:23",
	};
	char name[160];

	a = addr("10.0.0.1");
	check("10.0.0.1 is kept IPv4-mapped", !memcmp(&a, &v4, sizeof(a)) && zlb_addr_is_v4(&a),
	      NULL, NULL);
	a = addr("fd00::1");
	check("fd00::1 is its 16 bytes, not IPv4", !memcmp(&a, &v6, sizeof(a)) && !zlb_addr_is_v4(&a),
	      NULL, NULL);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(name, sizeof(name), "'%s' is not an address", bad[i]);
		check(name, !zlb_parse_addr(bad[i], &a), NULL, NULL);
	}
}

static void test_addr_port(void)
{
	union zlb_addr v4 = zlb_addr_v4(htonl(0x0a000001)), v6 = addr("fd00:2::2"),
		full = addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	char buf[ZLB_ADDR_PORT_LEN];

	check_str("IPv4 with a port: a.b.c.d:port", zlb_fmt_addr_port(buf, &v4, htons(23)),
		  "10.0.0.1:23");
	check_str("IPv6 with a port: [addr]:port", zlb_fmt_addr_port(buf, &v6, htons(223)),
		  "[fd00:2::2]:223");
	check_str("the longest address and port fit the buffer",
		  zlb_fmt_addr_port(buf, &full, htons(65535)),
		  "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

/* zlb_parse_addr_port of @in: true and the address and port printed back
 * as @want, or false with an error containing @want. */
static void check_addr_port_parse(const char *in, bool ok, const char *want)
{
	char buf[ZLB_ADDR_PORT_LEN], name[200];
	struct zlb_err err = { "" };
	union zlb_addr a;
	__be16 port;

	if (ok) {
		snprintf(name, sizeof(name), "'%s' reads as %s", in, want);
		if (zlb_parse_addr_port(in, &a, &port, &err))
			check_str(name, zlb_fmt_addr_port(buf, &a, port), want);
		else
			check(name, false, err.msg, want);
		return;
	}
	snprintf(name, sizeof(name), "'%s' is refused: %s", in, want);
	if (zlb_parse_addr_port(in, &a, &port, &err))
		check(name, false, zlb_fmt_addr_port(buf, &a, port), want);
	else
		check(name, strstr(err.msg, want) != NULL, err.msg, want);
}

static void test_addr_port_parse(void)
{
	check_addr_port_parse("10.0.0.1:23", true, "10.0.0.1:23");
	check_addr_port_parse("[fd00::1]:23", true, "[fd00::1]:23");
	check_addr_port_parse("[fd00:0:0::1]:0", true, "[fd00::1]:0");
	check_addr_port_parse("[::ffff:10.0.0.1]:65535", true, "10.0.0.1:65535");
	check_addr_port_parse("10.0.0.1", false, "no port (ADDR:PORT; IPv6: [ADDR]:PORT)");
	check_addr_port_parse("fd00::1:23", false, "an IPv6 address with a port is written [ADDR]:PORT");
	check_addr_port_parse("[fd00::1]", false, "no port after ']' ([ADDR]:PORT)");
	check_addr_port_parse("[fd00::1]23", false, "no port after ']' ([ADDR]:PORT)");
	check_addr_port_parse("[fd00::1:23", false, "'[' without its ']'");
	check_addr_port_parse("[fd00::g]:23", false, "'fd00::g' is not an IPv4 or IPv6 address");
	check_addr_port_parse("10.0.0:23", false, "'10.0.0' is not an IPv4 or IPv6 address");
	check_addr_port_parse(":23", false, "'' is not an IPv4 or IPv6 address");
	check_addr_port_parse("10.0.0.1:65536", false, "'65536' is not a port (0-65535)");
	check_addr_port_parse("10.0.0.1:", false, "'' is not a port (0-65535)");
	check_addr_port_parse("[fd00::1]:http", false, "'http' is not a port (0-65535)");
	check_addr_port_parse("[fd00::1]:-1", false, "'-1' is not a port (0-65535)");
	check_addr_port_parse("[fd00::1]:+23", false, "'+23' is not a port (0-65535)");
	check_addr_port_parse("[0000:0000:0000:0000:0000:0000:0000:0000:1]:1", false,
			      "is not an IPv4 or IPv6 address");
}

/* An address in a table row: the same string in text and in JSON. */
static void test_addr_in_json(void)
{
	union zlb_addr v6 = addr("fd00::1");
	char buf[ZLB_ADDR_PORT_LEN], *doc = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&doc, &len);
	struct zlb_table *t = zlb_table_new(cols, 1, ZLB_OUT_JSON, f, NULL, false);

	zlb_table_row(t);
	zlb_table_str(t, zlb_fmt_addr_port(buf, &v6, htons(23)));
	zlb_table_end(t);
	fclose(f);
	check_str("an IPv6 address and port in a JSON table", doc, "[{\"name\":\"[fd00::1]:23\"}]\n");
	check_parses("the JSON with an IPv6 address parses", doc, "[{\"name\":\"[fd00::1]:23\"}]");
	free(doc);
}

int main(void)
{
	test_tables();
	test_writer();
	test_kv();
	test_escape();
	test_addr_fmt();
	test_addr_parse();
	test_addr_port();
	test_addr_port_parse();
	test_addr_in_json();
	printf("test_output: %d passed, %d failed\n", passed, failed);
	return failed ? 1 : 0;
}
