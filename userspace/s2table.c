// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * kvm-s2stat CLI: the table engine (s2table.h).
 */
#include <stdarg.h>
#include <string.h>

#include "s2table.h"

#define LINE	(S2_TAB_MAXC * (S2_CELL + 1) + 2)

bool s2_table_shows(const struct s2_table *t, int c)
{
	unsigned char mask = t->o.csv ? S2_SHOW_CSV : t->o.wide ? S2_SHOW_WIDE : S2_SHOW_NARROW;

	if ((t->col[c].show & S2_SHOW_OPT) && !t->o.opt)
		return false;
	return t->col[c].show & mask;
}

static int cap_of(const struct s2_table *t, int c)
{
	return t->o.wide || t->o.csv ? 0 : t->col[c].cap;
}

static int cell_len(const struct s2_table *t, int c, const char *s)
{
	int l = (int)strlen(s), cap = cap_of(t, c);

	return cap && l > cap ? cap : l;
}

void s2_table_init(struct s2_table *t, const struct s2_col *col, int ncol,
		   const struct s2_tabopt *o)
{
	memset(t, 0, sizeof(*t));
	t->col = col;
	t->ncol = ncol < S2_TAB_MAXC ? ncol : S2_TAB_MAXC;
	t->o = *o;
	for (int c = 0; c < t->ncol; c++) {
		int l = o->header ? (int)strlen(col[c].head) : 0;

		t->w[c] = l > col[c].min ? l : col[c].min;
	}
}

void s2_table_measure(struct s2_table *t, const struct s2_row *r)
{
	if (t->o.csv)
		return;
	for (int c = 0; c < t->ncol; c++) {
		int l = cell_len(t, c, r->c[c]);

		if (s2_table_shows(t, c) && l > t->w[c])
			t->w[c] = l;
	}
}

/* Column start offsets of the visible columns in text lines; returns the line length. */
static int positions(const struct s2_table *t, int pos[S2_TAB_MAXC])
{
	int x = 0;
	bool first = true;

	for (int c = 0; c < t->ncol; c++) {
		pos[c] = -1;
		if (!s2_table_shows(t, c))
			continue;
		if (!first)
			x++;
		first = false;
		pos[c] = x;
		x += t->w[c];
	}
	return x;
}

static void put_line(FILE *f, char *line, int n)
{
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	fprintf(f, "%s\n", line);
}

static void place(char *line, int size, int at, const char *s, int n)
{
	for (int i = 0; i < n && at + i < size; i++)
		if (at + i >= 0)
			line[at + i] = s[i];
}

static void csv_cell(FILE *f, const char *s, bool guard)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ' ||
		     (s[0] && s[strlen(s) - 1] == ' ');

	if (quote)
		fputc('"', f);
	if (guard && s[0] && strchr("=+-@\t\r", s[0]))
		fputc('\'', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	if (quote)
		fputc('"', f);
}

static void csv_line(FILE *f, const struct s2_table *t, const struct s2_row *r)
{
	bool first = true;

	for (int c = 0; c < t->ncol; c++) {
		if (!s2_table_shows(t, c))
			continue;
		if (!first)
			fputc(',', f);
		first = false;
		if (r)
			csv_cell(f, r->c[c], t->col[c].guard);
		else
			fputs(t->col[c].csv, f);
	}
	fputc('\n', f);
}

void s2_table_header(FILE *f, const struct s2_table *t, const struct s2_group *groups,
		     int ngroups)
{
	char line[LINE];
	int pos[S2_TAB_MAXC], len;

	if (!t->o.header)
		return;
	if (t->o.csv) {
		csv_line(f, t, NULL);
		return;
	}
	len = positions(t, pos);
	if (len >= LINE)
		len = LINE - 1;
	if (ngroups) {
		memset(line, ' ', (size_t)len);
		for (int g = 0; g < ngroups; g++) {
			const struct s2_group *gr = &groups[g];
			int a = pos[gr->first], b = pos[gr->last], l = (int)strlen(gr->label);
			int end, span, dash;
			char buf[S2_CELL * 4];

			if (a < 0 || b < 0)
				continue;
			end = b + t->w[gr->last];
			if (gr->first == gr->last) {
				place(line, len, end - l, gr->label, l);
				continue;
			}
			span = end - a;
			dash = span - l - 2;
			if (dash < 2 || span >= (int)sizeof(buf)) {
				place(line, len, a, gr->label, l < span ? l : span);
				continue;
			}
			memset(buf, '-', (size_t)span);
			buf[dash / 2] = ' ';
			memcpy(buf + dash / 2 + 1, gr->label, (size_t)l);
			buf[dash / 2 + 1 + l] = ' ';
			place(line, len, a, buf, span);
		}
		put_line(f, line, len);
	}
	{
		struct s2_row h;

		for (int c = 0; c < t->ncol; c++)
			snprintf(h.c[c], S2_CELL, "%s", t->col[c].head);
		s2_table_row(f, t, &h);
	}
}

void s2_table_row(FILE *f, const struct s2_table *t, const struct s2_row *r)
{
	struct s2_table row = *t;	/* a cell wider than measured widens its own line */
	char line[LINE];
	int pos[S2_TAB_MAXC], len;

	if (t->o.csv) {
		csv_line(f, t, r);
		return;
	}
	for (int c = 0; c < t->ncol; c++) {
		int l = cell_len(t, c, r->c[c]);

		if (l > row.w[c])
			row.w[c] = l;
	}
	len = positions(&row, pos);
	if (len >= LINE)
		len = LINE - 1;
	memset(line, ' ', (size_t)len);
	for (int c = 0; c < t->ncol; c++) {
		int l, w = row.w[c], cap = cap_of(t, c);
		const char *s = r->c[c];

		if (pos[c] < 0)
			continue;
		l = (int)strlen(s);
		if (cap && l > cap) {
			place(line, len, pos[c], s, cap - 1);
			place(line, len, pos[c] + cap - 1, "+", 1);
			continue;
		}
		place(line, len, t->col[c].right ? pos[c] + w - l : pos[c], s, l);
	}
	put_line(f, line, len);
}

void s2_row_clear(struct s2_row *r)
{
	for (int c = 0; c < S2_TAB_MAXC; c++)
		r->c[c][0] = '\0';
}

void s2_cell(struct s2_row *r, int c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->c[c], S2_CELL, fmt, ap);
	va_end(ap);
}
