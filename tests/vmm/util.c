// SPDX-License-Identifier: GPL-2.0
/* s2vmm: error reporting, number and page-list parsing, time. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s2vmm.h"

_Thread_local char g_err[512];

static void set_err(const char *fmt, va_list ap, int errnum)
{
	char buf[sizeof(g_err)];
	int n;

	/* Format into a local buffer first: arguments may point into g_err. */
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (errnum && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s", strerror(errnum));
	memcpy(g_err, buf, sizeof(g_err));
}

/* Record an error message for the caller to print; always returns -1. */
int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	set_err(fmt, ap, 0);
	va_end(ap);
	return -1;
}

/* Same, with ": strerror(errno)" appended. */
int fail_errno(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	set_err(fmt, ap, errnum);
	va_end(ap);
	return -1;
}

void die(void)
{
	fprintf(stderr, "s2vmm: error: %s\n", g_err);
	exit(1);
}

/* Decimal or 0x hex, optional K/M/G suffix; the whole string must be used. */
int parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	unsigned int shift = 0;
	char *end;
	int base = 10;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return -1;
	}
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	}
	if (*end || (shift && v > (~0ULL >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static int pagelist_add(struct pagelist *pl, uint64_t first, uint64_t last, uint64_t step)
{
	struct range *r = realloc(pl->r, (pl->n + 1) * sizeof(*r));

	if (!r)
		return fail_errno("realloc");
	pl->r = r;
	r[pl->n].first = first;
	r[pl->n].step = step;
	r[pl->n].count = (last - first) / step + 1;
	pl->total += r[pl->n].count;
	pl->n++;
	return 0;
}

/* One element of a page list: all, A, A-B or A-B/S. */
static int parse_page_item(char *item, uint64_t npages, struct pagelist *pl)
{
	uint64_t a, b, step = 1;
	char *dash, *slash;

	if (!strcmp(item, "all")) {
		if (!npages)
			return fail("empty slot");
		return pagelist_add(pl, 0, npages - 1, 1);
	}
	slash = strchr(item, '/');
	if (slash) {
		*slash = '\0';
		if (parse_u64(slash + 1, &step) || !step)
			return fail("bad page step '%s'", slash + 1);
	}
	dash = strchr(item, '-');
	if (dash)
		*dash = '\0';
	if (parse_u64(item, &a))
		return fail("bad page number '%s'", item);
	b = a;
	if (dash && parse_u64(dash + 1, &b))
		return fail("bad page number '%s'", dash + 1);
	if (slash && !dash)
		return fail("a page step needs a range A-B/S");
	if (b < a)
		return fail("bad page range %llu-%llu", (unsigned long long)a,
			    (unsigned long long)b);
	if (b >= npages)
		return fail("page %llu out of range (slot has %llu pages)",
			    (unsigned long long)b, (unsigned long long)npages);
	return pagelist_add(pl, a, b, step);
}

/* PAGES: comma-separated list of items; page indexes must be < npages. */
int parse_pages(const char *s, uint64_t npages, struct pagelist *pl)
{
	char *copy = strdup(s), *item, *save = NULL;
	int rc = 0;

	memset(pl, 0, sizeof(*pl));
	if (!copy)
		return fail_errno("strdup");
	for (item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save))
		rc = parse_page_item(item, npages, pl);
	free(copy);
	if (!rc && !pl->n)
		rc = fail("empty page list");
	if (rc)
		pagelist_free(pl);
	return rc;
}

void pagelist_free(struct pagelist *pl)
{
	free(pl->r);
	memset(pl, 0, sizeof(*pl));
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
