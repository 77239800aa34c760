// SPDX-License-Identifier: GPL-2.0
/*
 * wcmap: user-space BAR mapper of the real-VMM cells' guests (static aarch64, runs inside the
 * nested guest; docs/testbed.md).
 *
 *   wcmap FILE OFFSET PAGES hold     map, touch every page, print one line, then stay:
 *                                    alternately busy (~20 ms, touching page 0) and asleep
 *                                    (~30 ms), so the guest both runs this process and
 *                                    idles, until killed
 *   wcmap FILE OFFSET PAGES once MS  map, touch every page, sleep MS milliseconds, exit
 *                                    silently (the stale-root scenario: many short-lived
 *                                    processes with their own page tables)
 *
 * FILE is a sysfs PCI resource file (.../resource2_wc: stage 1 Normal-NC in the guest; .../
 * resource2: Device-nGnRE).  The line printed by hold:
 *
 *   wcmap: file=resource2_wc va=0x0000ffff9a3c0000 off=0x400000 pages=16 pid=123
 *
 * Exit status 0, or 1 on an error (message on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int main(int argc, char **argv)
{
	unsigned long long off, pages, i;
	long psz = sysconf(_SC_PAGESIZE);
	volatile uint32_t *p;
	const char *base;
	char line[256];
	int fd, n;

	if (argc < 5 || (strcmp(argv[4], "hold") && (strcmp(argv[4], "once") || argc != 6))) {
		fprintf(stderr, "usage: wcmap FILE OFFSET PAGES hold | once MS\n");
		return 2;
	}
	off = strtoull(argv[2], NULL, 0);
	pages = strtoull(argv[3], NULL, 0);
	if (!pages || pages > 65536 || off % (unsigned long long)psz) {
		fprintf(stderr, "wcmap: bad OFFSET or PAGES\n");
		return 2;
	}
	base = strrchr(argv[1], '/') ? strrchr(argv[1], '/') + 1 : argv[1];
	fd = open(argv[1], O_RDWR | O_SYNC);
	if (fd < 0) {
		fprintf(stderr, "wcmap: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	p = mmap(NULL, pages * (unsigned long long)psz, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 (off_t)off);
	if (p == MAP_FAILED) {
		fprintf(stderr, "wcmap: mmap %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (i = 0; i < pages; i++)
		p[i * (unsigned long long)psz / 4] = 0x57430000u | (uint32_t)i;
	if (!strcmp(argv[4], "once")) {
		sleep_ms(strtoul(argv[5], NULL, 0));
		return 0;
	}
	n = snprintf(line, sizeof(line), "wcmap: file=%s va=0x%016llx off=0x%llx pages=%llu pid=%d\n",
		     base, (unsigned long long)(uintptr_t)p, off, pages, (int)getpid());
	if (write(1, line, (size_t)n) != n)
		return 1;
	for (;;) {
		uint64_t end = now_ns() + 20000000ULL;

		while (now_ns() < end)
			(void)p[0];
		sleep_ms(30);
	}
}
