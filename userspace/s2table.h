/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * kvm-s2stat CLI: the table engine of the text views.  A view describes its columns once
 * (header, CSV name, alignment, where the column shows, a width cap), fills rows by column
 * index (an enum of the view), and the engine prints them aligned (two passes: measure, then
 * print) or as CSV (RFC 4180 quoting; cells of untrusted text guarded against spreadsheet
 * formulas).
 */
#ifndef KVM_S2STAT_TABLE_H
#define KVM_S2STAT_TABLE_H

#include <stdbool.h>
#include <stdio.h>

#define S2_TAB_MAXC	24
#define S2_CELL		80

/* Where a column shows. */
enum {
	S2_SHOW_NARROW = 1,	/* text, default */
	S2_SHOW_WIDE = 2,	/* text, --wide */
	S2_SHOW_CSV = 4,	/* --csv */
	S2_SHOW_TEXT = S2_SHOW_NARROW | S2_SHOW_WIDE,
	S2_SHOW_ALL = S2_SHOW_TEXT | S2_SHOW_CSV,
	S2_SHOW_OPT = 8,	/* and only with s2_tabopt.opt (the effective columns, -E) */
};

struct s2_col {
	const char *head;	/* text header */
	const char *csv;	/* CSV header */
	unsigned char show;	/* S2_SHOW_* */
	bool right;		/* right-aligned in text */
	bool guard;		/* untrusted text: CSV cells starting = + - @ get a leading ' */
	int cap;		/* narrow text: at most this many characters, '+' marks a cut */
	int min;		/* text: at least this width */
};

/* A header label over columns [first, last] (text, with headers): "--- label ---", or the
 * label right-aligned when first == last. */
struct s2_group {
	int first, last;
	const char *label;
};

struct s2_tabopt {
	bool csv;		/* CSV instead of aligned text */
	bool header;		/* print header lines */
	bool wide;		/* --wide: S2_SHOW_WIDE columns, no caps */
	bool opt;		/* S2_SHOW_OPT columns too (-E) */
};

struct s2_table {
	const struct s2_col *col;
	int ncol;
	struct s2_tabopt o;
	int w[S2_TAB_MAXC];
};

struct s2_row {
	char c[S2_TAB_MAXC][S2_CELL];
};

void s2_table_init(struct s2_table *t, const struct s2_col *col, int ncol,
		   const struct s2_tabopt *o);
/* Does column @c show in this table? */
bool s2_table_shows(const struct s2_table *t, int c);
/* Pass 1 (text): widen the columns for @r. */
void s2_table_measure(struct s2_table *t, const struct s2_row *r);
/* The header line (CSV: the header record), preceded in text by @groups; nothing without
 * headers. */
void s2_table_header(FILE *f, const struct s2_table *t, const struct s2_group *groups,
		     int ngroups);
void s2_table_row(FILE *f, const struct s2_table *t, const struct s2_row *r);
/* An empty row (every cell ""). */
void s2_row_clear(struct s2_row *r);
/* printf into cell @c of @r. */
void s2_cell(struct s2_row *r, int c, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* KVM_S2STAT_TABLE_H */
