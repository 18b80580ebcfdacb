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

/* ---- addresses with a port --------------------------------------------- */

/* "a.b.c.d:port" or "[ipv6]:port", as zlb_fmt_addr_port (addr.h) prints
 * them (*@port in network order). False with @err saying which part is
 * wrong (it does not repeat @s). */
bool zlb_parse_addr_port(const char *s, union zlb_addr *a, __be16 *port, struct zlb_err *err);

#endif
