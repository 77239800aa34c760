// SPDX-License-Identifier: GPL-2.0
/*
 * bartouch: the demo guest's BAR toucher (static aarch64, runs inside the nested guest).
 *
 *   bartouch FILE OFFSET PAGES
 *
 * Maps PAGES pages of FILE (a sysfs PCI resource file such as
 * /sys/bus/pci/devices/<bdf>/resource2 or resource2_wc) at byte OFFSET, shared and
 * read/write, writes a distinct 64-bit value at the start of every page, reads all of them
 * back and prints one line:
 *
 *   bartouch: resource2_wc: wrote+verified 16 pages at offset 0x100000 (4096-byte pages)
 *
 * Every first access to a page of a passed-through BAR is a stage-2 fault in the host,
 * where KVM maps that page with the attribute kvm_s2stat reports.  Exit status 0 on
 * success, 1 on any error (with a message on stderr).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fail(const char *what, const char *file)
{
	fprintf(stderr, "bartouch: %s: %s: %s\n", file, what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	const char *file, *base;
	unsigned long long off, pages;
	long psz = sysconf(_SC_PAGESIZE);
	volatile uint64_t *p;
	size_t len;
	char *end;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: bartouch FILE OFFSET PAGES\n");
		return 2;
	}
	file = argv[1];
	base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	errno = 0;
	off = strtoull(argv[2], &end, 0);
	if (errno || *end || off % (unsigned long long)psz) {
		fprintf(stderr, "bartouch: bad OFFSET '%s' (a multiple of %ld)\n", argv[2], psz);
		return 2;
	}
	pages = strtoull(argv[3], &end, 0);
	if (errno || *end || !pages || pages > (1ULL << 20)) {
		fprintf(stderr, "bartouch: bad PAGES '%s'\n", argv[3]);
		return 2;
	}
	len = (size_t)(pages * (unsigned long long)psz);

	fd = open(file, O_RDWR | O_SYNC);
	if (fd < 0)
		return fail("open", file);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)off);
	if (p == MAP_FAILED)
		return fail("mmap", file);

	for (unsigned long long i = 0; i < pages; i++)
		p[i * (unsigned long long)psz / 8] = 0x5332535441540000ULL ^ (off + i);
	for (unsigned long long i = 0; i < pages; i++) {
		uint64_t want = 0x5332535441540000ULL ^ (off + i), got;

		got = p[i * (unsigned long long)psz / 8];
		if (got != want) {
			fprintf(stderr, "bartouch: %s: page %llu reads 0x%016" PRIx64
				", wrote 0x%016" PRIx64 "\n", file, i, got, want);
			return 1;
		}
	}
	munmap((void *)p, len);
	close(fd);
	printf("bartouch: %s: wrote+verified %llu pages at offset 0x%llx (%ld-byte pages)\n",
	       base, pages, off, psz);
	return 0;
}
