// SPDX-License-Identifier: GPL-2.0
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "addr.h"
#include "output.h"
#include "tools.h"

/* ---- JSON writer ------------------------------------------------------ */

#define JSON_MAX_DEPTH 16

struct zlb_json {
	FILE *out;
	bool pretty;
	int depth;
	bool after_key;                  /* a key was written, its value is next */
	bool nonempty[JSON_MAX_DEPTH];   /* the open container has members */
};

struct zlb_json *zlb_json_new(FILE *out, bool pretty)
{
	struct zlb_json *j = calloc(1, sizeof(*j));

	if (j) {
		j->out = out;
		j->pretty = pretty;
	}
	return j;
}

void zlb_json_free(struct zlb_json *j)
{
	if (!j)
		return;
	fputc('\n', j->out);
	free(j);
}

static void newline_indent(struct zlb_json *j)
{
	if (!j->pretty)
		return;
	fputc('\n', j->out);
	for (int i = 0; i < j->depth; i++)
		fputs("    ", j->out);
}

/* What comes before a value or a key: a comma after earlier members, and
 * in pretty output a new line. Nothing right after a key. */
static void before_item(struct zlb_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->depth == 0)
		return;
	if (j->nonempty[j->depth])
		fputc(',', j->out);
	j->nonempty[j->depth] = true;
	newline_indent(j);
}

static void open_container(struct zlb_json *j, char c)
{
	before_item(j);
	fputc(c, j->out);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->nonempty[j->depth] = false;
}

static void close_container(struct zlb_json *j, char c)
{
	bool had = j->nonempty[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had)
		newline_indent(j);
	fputc(c, j->out);
}

void zlb_json_obj_begin(struct zlb_json *j) { open_container(j, '{'); }
void zlb_json_obj_end(struct zlb_json *j) { close_container(j, '}'); }
void zlb_json_arr_begin(struct zlb_json *j) { open_container(j, '['); }
void zlb_json_arr_end(struct zlb_json *j) { close_container(j, ']'); }

void zlb_json_escape(FILE *out, const char *s)
{
	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  fputs("\\\"", out); break;
		case '\\': fputs("\\\\", out); break;
		case '\b': fputs("\\b", out); break;
		case '\f': fputs("\\f", out); break;
		case '\n': fputs("\\n", out); break;
		case '\r': fputs("\\r", out); break;
		case '\t': fputs("\\t", out); break;
		default:
			if (*p < 0x20)
				fprintf(out, "\\u%04x", *p);
			else
				fputc(*p, out);
		}
	}
	fputc('"', out);
}

void zlb_json_key(struct zlb_json *j, const char *key)
{
	before_item(j);
	zlb_json_escape(j->out, key);
	fputs(j->pretty ? ": " : ":", j->out);
	j->after_key = true;
}

void zlb_json_str(struct zlb_json *j, const char *s)
{
	before_item(j);
	zlb_json_escape(j->out, s);
}

void zlb_json_u64(struct zlb_json *j, uint64_t v)
{
	before_item(j);
	fprintf(j->out, "%" PRIu64, v);
}

void zlb_json_null(struct zlb_json *j)
{
	before_item(j);
	fputs("null", j->out);
}

/* ---- tables ------------------------------------------------------------ */

enum cell_kind { CELL_NONE, CELL_STR, CELL_NUM };

/* A cell is its text (numbers in decimal) in the table's arena. */
struct cell {
	size_t off;
	enum cell_kind kind;
};

struct zlb_table {
	const struct zlb_col *cols;
	int ncols;
	enum zlb_out_format fmt;
	FILE *out;
	struct zlb_json *j;
	bool own_json;
	bool stream;
	bool oom;

	char *arena;
	size_t arena_len, arena_cap;
	struct cell *cells;          /* nrows * ncols */
	size_t nrows, rows_cap;
	int filled;                  /* cells given in the last row */
	int *width;
	bool header_done;            /* or not wanted */
};

struct zlb_table *zlb_table_new(const struct zlb_col *cols, int ncols,
				enum zlb_out_format fmt, FILE *out,
				struct zlb_json *j, bool stream)
{
	struct zlb_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cols = cols;
	t->ncols = ncols;
	t->fmt = fmt;
	t->out = out;
	t->stream = stream;
	t->width = calloc(ncols, sizeof(*t->width));
	if (!t->width)
		goto fail;
	for (int c = 0; c < ncols; c++)
		t->width[c] = stream ? cols[c].width : (int)strlen(cols[c].title);
	if (fmt != ZLB_OUT_TEXT) {
		t->j = j;
		if (!j) {
			t->j = zlb_json_new(out, fmt == ZLB_OUT_JSON_PRETTY);
			t->own_json = true;
			if (!t->j)
				goto fail;
		}
		zlb_json_arr_begin(t->j);
	}
	return t;
fail:
	free(t->width);
	free(t);
	return NULL;
}

static const char *cell_text(const struct zlb_table *t, const struct cell *c)
{
	return c->kind == CELL_NONE ? "-" : t->arena + c->off;
}

static void print_text_cell(struct zlb_table *t, int col, const char *s, bool last)
{
	int w = t->width[col];

	if (col)
		fputs("  ", t->out);
	if (t->cols[col].type == ZLB_COL_U64)
		fprintf(t->out, "%*s", w, s);
	else if (last)
		fputs(s, t->out);
	else
		fprintf(t->out, "%-*s", w, s);
}

static void print_header(struct zlb_table *t)
{
	for (int c = 0; c < t->ncols; c++)
		print_text_cell(t, c, t->cols[c].title, c == t->ncols - 1);
	fputc('\n', t->out);
	t->header_done = true;
}

static void print_row(struct zlb_table *t, const struct cell *row)
{
	if (t->fmt == ZLB_OUT_TEXT) {
		if (!t->header_done)
			print_header(t);
		for (int c = 0; c < t->ncols; c++)
			print_text_cell(t, c, cell_text(t, &row[c]), c == t->ncols - 1);
		fputc('\n', t->out);
		return;
	}
	zlb_json_obj_begin(t->j);
	for (int c = 0; c < t->ncols; c++) {
		zlb_json_key(t->j, t->cols[c].key);
		switch (row[c].kind) {
		case CELL_NONE:
			zlb_json_null(t->j);
			break;
		case CELL_STR:
			zlb_json_str(t->j, cell_text(t, &row[c]));
			break;
		case CELL_NUM:
			zlb_json_u64(t->j, strtoull(cell_text(t, &row[c]), NULL, 10));
			break;
		}
	}
	zlb_json_obj_end(t->j);
}

/* A streamed table prints its one held row and reuses the arena. */
static void flush_stream_row(struct zlb_table *t)
{
	if (!t->stream || !t->nrows)
		return;
	print_row(t, t->cells);
	t->nrows = 0;
	t->arena_len = 0;
}

void zlb_table_row(struct zlb_table *t)
{
	if (!t || t->oom)
		return;
	flush_stream_row(t);
	if (t->nrows == t->rows_cap) {
		size_t cap = t->rows_cap ? t->rows_cap * 2 : 16;
		struct cell *c = realloc(t->cells, cap * t->ncols * sizeof(*c));

		if (!c) {
			t->oom = true;
			return;
		}
		t->cells = c;
		t->rows_cap = cap;
	}
	for (int c = 0; c < t->ncols; c++)
		t->cells[t->nrows * t->ncols + c].kind = CELL_NONE;
	t->nrows++;
	t->filled = 0;
}

static void add_cell(struct zlb_table *t, const char *s, enum cell_kind kind)
{
	size_t len = s ? strlen(s) + 1 : 0;
	struct cell *c;

	if (!t || t->oom || !t->nrows || t->filled >= t->ncols)
		return;
	if (t->arena_len + len > t->arena_cap) {
		size_t cap = t->arena_cap ? t->arena_cap : 256;
		char *a;

		while (cap < t->arena_len + len)
			cap *= 2;
		a = realloc(t->arena, cap);
		if (!a) {
			t->oom = true;
			return;
		}
		t->arena = a;
		t->arena_cap = cap;
	}
	c = &t->cells[(t->nrows - 1) * t->ncols + t->filled];
	c->kind = kind;
	if (s) {
		c->off = t->arena_len;
		memcpy(t->arena + t->arena_len, s, len);
		t->arena_len += len;
	}
	if (!t->stream && (int)strlen(cell_text(t, c)) > t->width[t->filled])
		t->width[t->filled] = strlen(cell_text(t, c));
	t->filled++;
}

void zlb_table_str(struct zlb_table *t, const char *s)
{
	add_cell(t, s, CELL_STR);
}

void zlb_table_u64(struct zlb_table *t, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	add_cell(t, buf, CELL_NUM);
}

void zlb_table_none(struct zlb_table *t)
{
	add_cell(t, NULL, CELL_NONE);
}

bool zlb_table_end(struct zlb_table *t)
{
	bool ok;

	if (!t)
		return false;
	ok = !t->oom;
	if (t->stream)
		flush_stream_row(t);
	else if (ok)
		for (size_t r = 0; r < t->nrows; r++)
			print_row(t, &t->cells[r * t->ncols]);
	if (t->fmt == ZLB_OUT_TEXT) {
		if (!t->header_done)
			print_header(t);
	} else {
		zlb_json_arr_end(t->j);
		if (t->own_json)
			zlb_json_free(t->j);
	}
	free(t->arena);
	free(t->cells);
	free(t->width);
	free(t);
	return ok;
}

/* ---- named numbers ------------------------------------------------------ */

static const struct zlb_col kv_cols[] = {
	{ "", "name", ZLB_COL_STR, 0 },
	{ "", "value", ZLB_COL_U64, 0 },
};

struct zlb_kv {
	struct zlb_table *t;         /* text: two columns without a header */
	struct zlb_json *j;
	bool own_json;
};

struct zlb_kv *zlb_kv_new(enum zlb_out_format fmt, FILE *out, struct zlb_json *j)
{
	struct zlb_kv *kv = calloc(1, sizeof(*kv));

	if (!kv)
		return NULL;
	if (fmt == ZLB_OUT_TEXT) {
		kv->t = zlb_table_new(kv_cols, 2, fmt, out, NULL, false);
		if (!kv->t)
			goto fail;
		kv->t->header_done = true;
		return kv;
	}
	kv->j = j;
	if (!j) {
		kv->j = zlb_json_new(out, fmt == ZLB_OUT_JSON_PRETTY);
		kv->own_json = true;
		if (!kv->j)
			goto fail;
	}
	zlb_json_obj_begin(kv->j);
	return kv;
fail:
	free(kv);
	return NULL;
}

void zlb_kv_u64(struct zlb_kv *kv, const char *key, uint64_t v)
{
	if (!kv)
		return;
	if (kv->t) {
		zlb_table_row(kv->t);
		zlb_table_str(kv->t, key);
		zlb_table_u64(kv->t, v);
		return;
	}
	zlb_json_key(kv->j, key);
	zlb_json_u64(kv->j, v);
}

bool zlb_kv_end(struct zlb_kv *kv)
{
	bool ok = true;

	if (!kv)
		return false;
	if (kv->t) {
		ok = zlb_table_end(kv->t);
	} else {
		zlb_json_obj_end(kv->j);
		if (kv->own_json)
			zlb_json_free(kv->j);
	}
	free(kv);
	return ok;
}

/* ---- addresses with a port --------------------------------------------- */

bool zlb_parse_addr_port(const char *s, union zlb_addr *a, __be16 *port, struct zlb_err *err)
{
	char addr[ZLB_ADDR_LEN];
	const char *colon, *close;
	size_t len;
	__u16 p;

	if (*s == '[') {
		close = strchr(s, ']');
		if (!close) {
			zlb_err_set(err, "'[' without its ']'");
			return false;
		}
		if (close[1] != ':') {
			zlb_err_set(err, "no port after ']' ([ADDR]:PORT)");
			return false;
		}
		s++;
		len = close - s;
		colon = close + 1;
	} else {
		colon = strchr(s, ':');
		if (!colon) {
			zlb_err_set(err, "no port (ADDR:PORT; IPv6: [ADDR]:PORT)");
			return false;
		}
		if (strchr(colon + 1, ':')) {
			zlb_err_set(err, "an IPv6 address with a port is written [ADDR]:PORT");
			return false;
		}
		len = colon - s;
	}
	if (len >= sizeof(addr)) {
		zlb_err_set(err, "'%.*s...' is not an IPv4 or IPv6 address", 16, s);
		return false;
	}
	memcpy(addr, s, len);
	addr[len] = 0;
	if (!zlb_parse_addr(addr, a)) {
		zlb_err_set(err, "'%s' is not an IPv4 or IPv6 address", addr);
		return false;
	}
	if (!zlb_parse_port(colon + 1, &p)) {
		zlb_err_set(err, "'%s' is not a port (0-65535)", colon + 1);
		return false;
	}
	*port = htons(p);
	return true;
}
