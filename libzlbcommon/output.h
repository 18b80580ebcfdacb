/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The printing layer of the tools: one table model printed either as
 * aligned text columns (like ip and ss) or as JSON (-j, -p pretty), named
 * numbers (text lines or a JSON object), and a JSON writer for everything
 * else a tool prints as JSON.
 *
 * A table is either buffered (rows are kept, column widths come from the
 * widest cell, printed by zlb_table_end) or streamed (each row is printed
 * when the next starts, text columns are as wide as declared): zlb-ct
 * lists a million flows without holding them.
 *
 * Addresses of either family are printed, and read back, in one notation:
 * IPv4 as a.b.c.d, IPv6 compressed (inet_ntop), and where a port follows,
 * a.b.c.d:port or [addr]:port.
 */
#ifndef ZLB_OUTPUT_H
#define ZLB_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#include "log.h"
#include "zlb_abi.h"

enum zlb_out_format {
	ZLB_OUT_TEXT,
	ZLB_OUT_JSON,
	ZLB_OUT_JSON_PRETTY,
};

/* ---- JSON writer ------------------------------------------------------ */

struct zlb_json;

struct zlb_json *zlb_json_new(FILE *out, bool pretty);
/* Ends the document with a newline; NULL is fine. */
void zlb_json_free(struct zlb_json *j);

void zlb_json_obj_begin(struct zlb_json *j);
void zlb_json_obj_end(struct zlb_json *j);
void zlb_json_arr_begin(struct zlb_json *j);
void zlb_json_arr_end(struct zlb_json *j);
/* The member name of the next value (inside an object). */
void zlb_json_key(struct zlb_json *j, const char *key);
void zlb_json_str(struct zlb_json *j, const char *s);
void zlb_json_u64(struct zlb_json *j, uint64_t v);
void zlb_json_null(struct zlb_json *j);

/* Write @s as a JSON string literal (quotes and escapes) to @out. */
void zlb_json_escape(FILE *out, const char *s);

/* ---- tables ------------------------------------------------------------ */

enum zlb_col_type {
	ZLB_COL_STR,     /* left-aligned text, a JSON string */
	ZLB_COL_U64,     /* right-aligned, a JSON number */
};

struct zlb_col {
	const char *title;   /* text header */
	const char *key;     /* JSON member name */
	enum zlb_col_type type;
	int width;           /* streamed tables: text column width */
};

struct zlb_table;

/* A table of @ncols columns printed to @out in @fmt. JSON: an array of
 * objects, one per row; when @j is given the array is written through it
 * (as a member value, say), else as a document of its own. */
struct zlb_table *zlb_table_new(const struct zlb_col *cols, int ncols,
				enum zlb_out_format fmt, FILE *out,
				struct zlb_json *j, bool stream);
/* Start a row; its cells follow in column order. */
void zlb_table_row(struct zlb_table *t);
void zlb_table_str(struct zlb_table *t, const char *s);
void zlb_table_u64(struct zlb_table *t, uint64_t v);
/* A value the source does not have: "-" in text, null in JSON. */
void zlb_table_none(struct zlb_table *t);
/* Print what is left and free the table; false when memory ran out. */
bool zlb_table_end(struct zlb_table *t);

/* ---- named numbers ------------------------------------------------------ */

/* Numbers by name (counters): aligned "name  value" lines in text, a JSON
 * object (through @j when given, else a document of its own). */
struct zlb_kv;

struct zlb_kv *zlb_kv_new(enum zlb_out_format fmt, FILE *out, struct zlb_json *j);
void zlb_kv_u64(struct zlb_kv *kv, const char *key, uint64_t v);
/* Print and free; false when memory ran out. */
bool zlb_kv_end(struct zlb_kv *kv);

/* ---- addresses ---------------------------------------------------------- */

/* The longest address, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
 * and its NUL (INET6_ADDRSTRLEN); with brackets, a colon and a port. */
#define ZLB_ADDR_STRLEN 46
#define ZLB_ADDR_PORT_STRLEN (ZLB_ADDR_STRLEN + 8)

/* "10.0.0.1" or "fd00::1"; @buf holds ZLB_ADDR_STRLEN bytes. */
const char *zlb_addr_fmt(char *buf, const union zlb_addr *a);
/* "10.0.0.1:23" or "[fd00::1]:23" (@port in network order); @buf holds
 * ZLB_ADDR_PORT_STRLEN bytes. */
const char *zlb_addr_port_fmt(char *buf, const union zlb_addr *a, __be16 port);

/* An IPv4 or IPv6 address, as printed above; false if @s is neither. */
bool zlb_addr_parse(const char *s, union zlb_addr *a);
/* "a.b.c.d:port" or "[ipv6]:port" (*@port in network order). False with
 * @err saying which part is wrong (it does not repeat @s). */
bool zlb_addr_port_parse(const char *s, union zlb_addr *a, __be16 *port, struct zlb_err *err);

#endif
