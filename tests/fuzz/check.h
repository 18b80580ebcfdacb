/* SPDX-License-Identifier: GPL-2.0 */
/* The invariants the fuzzer checks after every frame (check.c) and over
 * the whole connection table at checkpoints (table.c). Each is stated
 * where it is checked. */
#ifndef ZLB_FUZZ_CHECK_H
#define ZLB_FUZZ_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "gen.h"
#include "keyset.h"
#include "lb.h"
#include "model.h"

enum invariant {
	INV_UNTOUCHED = 1,      /* 1: a frame for nobody passes untouched */
	INV_CSUM,               /* 2: checksums keep their validity */
	INV_ADDRS,              /* 3: forwarded addresses are the config's and flows' */
	INV_TABLE,              /* 4: every conntrack entry is justified and paired */
	INV_VERDICT,            /* 5: verdicts and counters agree */
	INV_COUNT,
};

extern const char *const invariant_names[INV_COUNT];

struct checker {
	struct lb *lb;
	struct model m;
	struct keyset opened;                   /* original tuples of opened flows */
	unsigned long long frame;               /* index of the frame judged */
	unsigned long long violations[INV_COUNT];
	unsigned long long table_entries, table_checks;
};

/* A frame under judgement: what went in, what came out. */
struct judged {
	const struct gen_frame *in;
	const struct run *r;
};

int check_init(struct checker *c, struct lb *lb);
void check_free(struct checker *c);
unsigned long long check_total(const struct checker *c);

/* Count a violation of @inv and print the first few in full, with the
 * frame @j when there is one. */
void check_violation(struct checker *c, enum invariant inv, const struct judged *j,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Judge frame @in and what the program made of it. When it opened a flow,
 * *@opened is that flow and true is returned. */
bool check_frame(struct checker *c, const struct gen_frame *in, const struct run *r,
		 struct flow *opened);

/* Invariant 4 over the whole connection table. */
void check_table(struct checker *c);

#endif
