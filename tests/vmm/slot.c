// SPDX-License-Identifier: GPL-2.0
/*
 * s2vmm: slots and their host memory.
 *
 * The host memory of a slot is mapped once per process and shared by every VM.
 * RAM is aligned to the largest stage-2 block size of the page size (PMD: 2 MiB at 4 KiB,
 * 32 MiB at 16 KiB, 512 MiB at 64 KiB pages) so THP can back it with blocks.  Device
 * mappings (vfio, res) are deliberately placed one page off that alignment: KVM may map a
 * VM_PFNMAP range with a stage-2 block when the host VA and the physical address agree
 * modulo the block size (PCI BARs are naturally aligned), and the tests need exactly one
 * stage-2 map per touched device page (--dev-blocks aligns them too, for block tests).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "s2vmm.h"

struct vfio_group {
	int id, fd;
};

struct vfio_dev {
	char bdf[32];
	int fd;
};

static int container = -1;
static unsigned int ngroups, ndevs;
static struct vfio_group groups[MAX_SLOTS];
static struct vfio_dev devs[MAX_SLOTS];

/* reset SLOT: VFIO_DEVICE_RESET of the slot's device (vfio-pci zaps its BAR mappings). */
int slot_reset(const struct slot *s)
{
	if (s->kind != SLOT_VFIO || s->devfd < 0)
		return fail("not a vfio slot");
	if (ioctl(s->devfd, VFIO_DEVICE_RESET))
		return fail_errno("VFIO_DEVICE_RESET %s", s->bdf);
	return 0;
}

const char *slot_kind_name(enum slot_kind k)
{
	return k == SLOT_RAM ? "ram" : k == SLOT_VFIO ? "vfio" : "res";
}

/* The slot whose host memory @s maps (itself unless it is an alias). */
static const struct slot *backing(const struct slot *s)
{
	return s->alias >= 0 ? &g.slots[s->alias] : s;
}

/* ---- command-line spec ---- */

static int check_aligned(const char *what, uint64_t v)
{
	if (v & (g.ps - 1))
		return fail("%s 0x%llx is not a multiple of the page size (%llu)", what,
			    (unsigned long long)v, (unsigned long long)g.ps);
	return 0;
}

static int parse_bdf(char *const *f, char *bdf, size_t len)
{
	unsigned int d, b, s, fn;
	char tail;

	if (sscanf(f[0], "%4x%c", &d, &tail) != 1 || strlen(f[0]) != 4 ||
	    sscanf(f[1], "%2x%c", &b, &tail) != 1 || strlen(f[1]) != 2 ||
	    sscanf(f[2], "%2x.%1x%c", &s, &fn, &tail) != 2 || strlen(f[2]) != 4)
		return fail("bad PCI address '%s:%s:%s' (want DDDD:BB:DD.F)", f[0], f[1], f[2]);
	snprintf(bdf, len, "%04x:%02x:%02x.%x", d, b, s, fn);
	return 0;
}

/* vfio:GPA:DDDD:BB:DD.F:BAR[:SIZE], already split at ':' */
static int parse_vfio(char **f, int n, struct slot *s)
{
	uint64_t bar;

	if (n != 6 && n != 7)
		return fail("want vfio:GPA:DDDD:BB:DD.F:BAR[:SIZE]");
	if (parse_bdf(f + 2, s->bdf, sizeof(s->bdf)))
		return -1;
	if (parse_u64(f[5], &bar) || bar > 5)
		return fail("bad BAR '%s'", f[5]);
	s->bar = (unsigned int)bar;
	if (n == 7 && (parse_u64(f[6], &s->size) || !s->size))
		return fail("bad size '%s'", f[6]);
	return 0;
}

/*
 * res:GPA:PATH[:SIZE].  PATH may contain ':' (sysfs PCI paths do): SIZE is present only
 * when the last path component contains a ':'.
 */
static int parse_res(const char *rest, struct slot *s)
{
	const char *base = strrchr(rest, '/');
	const char *colon = strrchr(base ? base : rest, ':');

	if (colon) {
		if (parse_u64(colon + 1, &s->size) || !s->size)
			return fail("bad size '%s'", colon + 1);
		s->path = strndup(rest, (size_t)(colon - rest));
	} else {
		s->path = strdup(rest);
	}
	if (!s->path)
		return fail_errno("strdup");
	if (!*s->path)
		return fail("empty path");
	return 0;
}

static int split_fields(char *str, char **f, int max)
{
	int n = 0;

	for (char *p = str; n < max; n++) {
		f[n] = p;
		p = strchr(p, ':');
		if (!p)
			return n + 1;
		*p++ = '\0';
	}
	return max + 1;		/* too many */
}

static int parse_kind(char *copy, const char *arg, struct slot *s)
{
	char *f[8];
	int n;

	if (!strncmp(arg, "res:", 4)) {
		char *rest;

		s->kind = SLOT_RES;
		rest = strchr(arg + 4, ':');
		if (!rest)
			return fail("want res:GPA:PATH[:SIZE]");
		copy[rest - arg] = '\0';
		if (parse_u64(copy + 4, &s->gpa))
			return fail("bad GPA '%s'", copy + 4);
		return parse_res(rest + 1, s);
	}
	n = split_fields(copy, f, 7);
	if (n > 1 && parse_u64(f[1], &s->gpa))
		return fail("bad GPA '%s'", f[1]);
	if (!strcmp(f[0], "alias")) {
		uint64_t of;

		if (n != 3 || parse_u64(f[2], &of) || of >= g.nslots - 1 ||
		    g.slots[of].alias >= 0)
			return fail("want alias:GPA:SLOT (SLOT an earlier slot, not an alias)");
		s->alias = (int)of;
		s->kind = g.slots[of].kind;
		return 0;
	}
	if (!strcmp(f[0], "ram") || !strcmp(f[0], "huge")) {
		s->kind = SLOT_RAM;
		s->huge = f[0][0] == 'h';
		if (n != 3 || parse_u64(f[2], &s->size) || !s->size)
			return fail("want %s:GPA:SIZE", f[0]);
		if (s->huge && (s->size & ((1ULL << 30) - 1)))
			return fail("huge slots are multiples of 1 GiB");
		return 0;
	}
	if (!strcmp(f[0], "vfio")) {
		s->kind = SLOT_VFIO;
		return parse_vfio(f, n, s);
	}
	return fail("unknown slot kind (want ram:, vfio: or res:)");
}

int slot_parse(const char *arg, struct slot *s)
{
	char *copy = strdup(arg);
	int rc;

	memset(s, 0, sizeof(*s));
	s->devfd = -1;
	s->alias = -1;
	if (!copy)
		return fail_errno("strdup");
	rc = parse_kind(copy, arg, s);
	free(copy);
	if (!rc)
		rc = check_aligned("GPA", s->gpa);
	if (!rc)
		rc = check_aligned("size", s->size);
	if (rc) {
		free(s->path);
		s->path = NULL;
		return fail("slot '%s': %s", arg, g_err);
	}
	return 0;
}

/* ---- host mappings ---- */

static uint64_t block_size(void)
{
	return g.ps * (g.ps / 8);	/* one table level of 8-byte descriptors */
}

/* mmap len bytes at an address that is skew modulo align (MAP_FIXED inside a reservation). */
static void *map_skewed(uint64_t len, uint64_t align, uint64_t skew, int flags, int fd,
			uint64_t off)
{
	size_t rlen = len + 2 * align;
	char *r, *p, *m;
	int e;

	r = mmap(NULL, rlen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)r + align - 1) & ~(uintptr_t)(align - 1)) + skew;
	m = mmap(p, len, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, (off_t)off);
	if (m == MAP_FAILED) {
		e = errno;
		munmap(r, rlen);
		errno = e;
		return NULL;
	}
	if (p > r)
		munmap(r, (size_t)(p - r));
	if (p + len < r + rlen)
		munmap(p + len, (size_t)(r + rlen - (p + len)));
	return p;
}

#ifndef MAP_HUGE_1GB
#define MAP_HUGE_1GB	(30 << 26)	/* log2(1 GiB) << MAP_HUGE_SHIFT */
#endif

static int map_ram(struct slot *s)
{
	if (s->huge) {
		/* 1 GiB hugetlb pages, aligned to 1 GiB: KVM may map them with level-1 blocks. */
		s->hva = map_skewed(s->size, 1ULL << 30, 0,
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_1GB, -1, 0);
		if (!s->hva)
			return fail_errno("mmap %llu bytes of 1 GiB hugetlb pages (reserve them: "
					  "/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages)",
					  (unsigned long long)s->size);
		return 0;
	}
	s->hva = map_skewed(s->size, block_size(), 0, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!s->hva)
		return fail_errno("mmap %llu bytes of RAM", (unsigned long long)s->size);
	/* EINVAL: no THP in this kernel; nothing to do then. */
	if (madvise(s->hva, s->size, g.nothp ? MADV_NOHUGEPAGE : MADV_HUGEPAGE) &&
	    errno != EINVAL)
		return fail_errno("madvise");
	if (g.mergeable && madvise(s->hva, s->size, MADV_MERGEABLE))
		return fail_errno("madvise MADV_MERGEABLE (no KSM in this kernel?)");
	/*
	 * Mergeable RAM is populated with zero-filled pages of its own: a guest's read fault
	 * would otherwise map the host's shared zero page, which KSM has no reason to merge.
	 */
	for (uint64_t off = 0; g.mergeable && off < s->size; off += g.ps)
		((volatile char *)s->hva)[off] = 0;
	return 0;
}

static int map_res(struct slot *s)
{
	struct stat st;
	int fd = open(s->path, O_RDWR | O_SYNC | O_CLOEXEC);

	if (fd < 0)
		return fail_errno("open %s", s->path);
	if (!s->size) {
		if (fstat(fd, &st)) {
			close(fd);
			return fail_errno("stat %s", s->path);
		}
		s->size = (uint64_t)st.st_size & ~(g.ps - 1);
		if (!s->size) {
			close(fd);
			return fail("%s: smaller than a page", s->path);
		}
	}
	s->hva = map_skewed(s->size, block_size(), g.dev_blocks ? 0 : g.ps, MAP_SHARED, fd, 0);
	if (!s->hva) {
		fail_errno("mmap %s", s->path);
		close(fd);
		return -1;
	}
	close(fd);	/* the mapping keeps the file */
	return 0;
}

/* ---- VFIO ---- */

static int vfio_container(void)
{
	int api;

	if (container >= 0)
		return container;
	container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (container < 0)
		return fail_errno("open /dev/vfio/vfio");
	api = ioctl(container, VFIO_GET_API_VERSION);
	if (api != VFIO_API_VERSION)
		return fail("VFIO API version %d (want %d)", api, VFIO_API_VERSION);
	if (ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		return fail("VFIO: no type1v2 IOMMU");
	return container;
}

static int iommu_group_id(const char *bdf)
{
	char link[PATH_MAX], target[PATH_MAX], *base;
	ssize_t n;

	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return fail_errno("%s", link);
	target[n] = '\0';
	base = strrchr(target, '/');
	return atoi(base ? base + 1 : target);
}

static int vfio_attach_group(int fd, int id)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int c = vfio_container();

	if (c < 0)
		return -1;
	if (ioctl(fd, VFIO_GROUP_GET_STATUS, &st))
		return fail_errno("VFIO_GROUP_GET_STATUS (group %d)", id);
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		return fail("IOMMU group %d is not viable (bind all its devices to vfio-pci)", id);
	if (ioctl(fd, VFIO_GROUP_SET_CONTAINER, &c))
		return fail_errno("VFIO_GROUP_SET_CONTAINER (group %d)", id);
	/* The IOMMU type is set once, after the first group joined the container. */
	if (ngroups == 0 && ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail_errno("VFIO_SET_IOMMU");
	return 0;
}

static int vfio_group_fd(const char *bdf)
{
	char path[64];
	int id = iommu_group_id(bdf), fd;

	if (id < 0)
		return -1;
	for (unsigned int i = 0; i < ngroups; i++)
		if (groups[i].id == id)
			return groups[i].fd;
	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail_errno("open %s", path);
	if (vfio_attach_group(fd, id)) {
		close(fd);
		return -1;
	}
	groups[ngroups].id = id;
	groups[ngroups].fd = fd;
	ngroups++;
	return fd;
}

/* A device is opened once per process, whatever the number of slots using it. */
static int vfio_device_fd(const char *bdf)
{
	int gfd, fd;

	for (unsigned int i = 0; i < ndevs; i++)
		if (!strcmp(devs[i].bdf, bdf))
			return devs[i].fd;
	gfd = vfio_group_fd(bdf);
	if (gfd < 0)
		return -1;
	fd = ioctl(gfd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (fd < 0)
		return fail_errno("VFIO_GROUP_GET_DEVICE_FD %s", bdf);
	snprintf(devs[ndevs].bdf, sizeof(devs[ndevs].bdf), "%s", bdf);
	devs[ndevs].fd = fd;
	ndevs++;
	return fd;
}

static int map_vfio(struct slot *s)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri) };

	s->devfd = vfio_device_fd(s->bdf);
	if (s->devfd < 0)
		return -1;
	ri.index = VFIO_PCI_BAR0_REGION_INDEX + s->bar;
	if (ioctl(s->devfd, VFIO_DEVICE_GET_REGION_INFO, &ri))
		return fail_errno("VFIO_DEVICE_GET_REGION_INFO %s BAR %u", s->bdf, s->bar);
	if (!ri.size)
		return fail("%s BAR %u is not implemented", s->bdf, s->bar);
	if (!(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return fail("%s BAR %u cannot be mmapped", s->bdf, s->bar);
	if (!s->size)
		s->size = ri.size & ~(g.ps - 1);
	if (!s->size || s->size > ri.size)
		return fail("%s BAR %u is 0x%llx bytes, slot wants 0x%llx", s->bdf, s->bar,
			    (unsigned long long)ri.size, (unsigned long long)s->size);
	s->region_off = ri.offset;
	s->hva = map_skewed(s->size, block_size(), g.dev_blocks ? 0 : g.ps, MAP_SHARED, s->devfd,
			    ri.offset);
	if (!s->hva)
		return fail_errno("mmap %s BAR %u", s->bdf, s->bar);
	return 0;
}

int slots_map(void)
{
	for (unsigned int i = 0; i < g.nslots; i++) {
		struct slot *s = &g.slots[i];
		int rc;

		if (s->alias >= 0) {
			/* Another memslot over the same host memory (KVM allows aliases). */
			const struct slot *b = backing(s);

			s->hva = b->hva;
			s->size = b->size;
			s->devfd = b->devfd;
			s->region_off = b->region_off;
			s->bar = b->bar;
			snprintf(s->bdf, sizeof(s->bdf), "%s", b->bdf);
			s->npages = b->npages;
			continue;
		}
		rc = s->kind == SLOT_RAM ? map_ram(s) :
		     s->kind == SLOT_VFIO ? map_vfio(s) : map_res(s);
		if (rc)
			return fail("slot %u: %s", i, g_err);
		s->npages = s->size / g.ps;
	}
	return 0;
}

void slots_unmap(void)
{
	for (unsigned int i = 0; i < g.nslots; i++) {
		struct slot *s = &g.slots[i];

		if (s->hva && s->alias < 0)
			munmap(s->hva, s->size);
		s->hva = NULL;
		free(s->want);
		s->want = NULL;
		free(s->path);
		s->path = NULL;
	}
	for (unsigned int i = 0; i < ndevs; i++)
		close(devs[i].fd);
	for (unsigned int i = 0; i < ngroups; i++)
		close(groups[i].fd);
	if (container >= 0)
		close(container);
	ndevs = ngroups = 0;
	container = -1;
}

/* Clean+invalidate to PoC so a read sees what a guest with its MMU off wrote. */
static void dcache_civac(const volatile void *p)
{
#if defined(__aarch64__)
	__asm__ volatile("dc civac, %0\n\tdsb sy" : : "r"(p) : "memory");
#else
	(void)p;
#endif
}

/* The first word of a page: VFIO through the device fd, the others through the mapping. */
int slot_read_word(const struct slot *s, uint64_t page, uint64_t *val)
{
	uint64_t off = page * g.ps;
	const volatile uint64_t *p = (const volatile uint64_t *)((char *)s->hva + off);
	ssize_t n;

	if (s->kind == SLOT_VFIO) {
		n = pread(s->devfd, val, sizeof(*val), (off_t)(s->region_off + off));
		if (n < 0)
			return fail_errno("pread %s BAR %u", s->bdf, s->bar);
		if (n != sizeof(*val))
			return fail("pread %s BAR %u: short read", s->bdf, s->bar);
		return 0;
	}
	if (s->kind == SLOT_RAM)
		dcache_civac(p);
	*val = *p;
	return 0;
}
