// SPDX-License-Identifier: GPL-2.0
/*
 * s2vmm: the kvm-s2stat test VMM.  Command line, set-up and the stdin/stdout protocol of
 * docs/vmm.md.  Single-threaded except while `touch ... vcpus=all` runs vCPU threads.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "s2vmm.h"

struct ctx g = { .kvm = -1, .nvcpus = 1 };

#define MAX_ARGS 8
#define ALL_VMS -1

struct cmd {
	char *argv[MAX_ARGS];
	int argc;
	int vm;			/* ALL_VMS or an index */
	unsigned int slot;	/* parsed SLOT argument */
	uint64_t gpa;		/* parsed GPA argument (move) */
	struct touch_args *ta;	/* touch arguments and results */
	char out[4096];		/* answer after "ok" */
};

/* ---- command line ---- */

static void usage(const char *why)
{
	if (why)
		fprintf(stderr, "s2vmm: %s\n", why);
	fputs("usage: s2vmm [--vms N] [--vcpus N] [--ram-nothp] [--ram-mergeable] [--dev-blocks]\n"
	      "             [--eager-split SIZE] SLOT...\n"
	      "  SLOT: ram:GPA:SIZE | vfio:GPA:DDDD:BB:DD.F:BAR[:SIZE] | res:GPA:PATH[:SIZE]\n"
	      "        | alias:GPA:SLOT | huge:GPA:SIZE\n", stderr);
	exit(2);
}

static unsigned int count_arg(const char *opt, const char *val, unsigned int max)
{
	uint64_t v;

	if (!val || parse_u64(val, &v) || v < 1 || v > max) {
		fprintf(stderr, "s2vmm: %s wants a number from 1 to %u\n", opt, max);
		usage(NULL);
	}
	return (unsigned int)v;
}

static void check_layout(void)
{
	const struct slot *s0 = &g.slots[0];
	uint64_t blob = (uint64_t)(guest_blob_end - guest_blob);

	if (!g.nslots)
		usage("no slot");
	if (s0->kind != SLOT_RAM)
		usage("slot 0 must be RAM (it holds the guest program)");
	if (s0->size < blob)
		usage("slot 0 is smaller than the guest program");
	for (unsigned int i = 0; i < g.nslots; i++)
		for (unsigned int k = 0; k < i; k++)
			if (g.slots[i].size && g.slots[k].size &&
			    g.slots[i].gpa < g.slots[k].gpa + g.slots[k].size &&
			    g.slots[k].gpa < g.slots[i].gpa + g.slots[i].size)
				usage("slots overlap");
}

static void parse_args(int argc, char **argv)
{
	unsigned int max_vcpus = (unsigned int)(g.ps / DOORBELL_STRIDE);

	g.nvms = 1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--vms"))
			g.nvms = count_arg(a, i + 1 < argc ? argv[++i] : NULL, MAX_VMS);
		else if (!strcmp(a, "--vcpus"))
			g.nvcpus = count_arg(a, i + 1 < argc ? argv[++i] : NULL, max_vcpus);
		else if (!strcmp(a, "--ram-nothp"))
			g.nothp = true;
		else if (!strcmp(a, "--ram-mergeable"))
			g.mergeable = true;
		else if (!strcmp(a, "--dev-blocks"))
			g.dev_blocks = true;
		else if (!strcmp(a, "--eager-split")) {
			if (i + 1 >= argc || parse_u64(argv[++i], &g.eager_split) ||
			    !g.eager_split || (g.eager_split & (g.ps - 1)))
				usage("--eager-split wants a size, a multiple of the page size");
		}
		else if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			usage(NULL);
		else if (a[0] == '-')
			usage("unknown option");
		else if (g.nslots == MAX_SLOTS)
			usage("too many slots");
		else if (slot_parse(a, &g.slots[g.nslots++]))
			usage(g_err);
	}
}

/* ---- set-up ---- */

/* IPA size: 40 bits (type 0) unless a slot ends above 1 TiB. */
static int choose_ipa(void)
{
	uint64_t end = 0;
	unsigned int bits = 40;
	int max = ioctl(g.kvm, KVM_CHECK_EXTENSION, KVM_CAP_ARM_VM_IPA_SIZE);

	for (unsigned int i = 0; i < g.nslots; i++)
		if (g.slots[i].gpa + g.slots[i].size > end)
			end = g.slots[i].gpa + g.slots[i].size;
	while (bits < 64 && end > (1ULL << bits))
		bits++;
	g.vm_type = 0;
	g.ipa_bits = max > 0 && max < 40 ? (unsigned int)max : 40;
	if (bits == 40)
		return 0;
	if (max <= 0 || bits > (unsigned int)max)
		return fail("GPA 0x%llx needs %u IPA bits, KVM allows %d",
			    (unsigned long long)end, bits, max > 0 ? max : 40);
	g.vm_type = KVM_VM_TYPE_ARM_IPA_SIZE(bits);
	g.ipa_bits = bits;
	return 0;
}

static void setup(void)
{
	if (kvm_open() || slots_map() || choose_ipa())
		die();
	memcpy(g.slots[0].hva, guest_blob, (size_t)(guest_blob_end - guest_blob));
	for (unsigned int i = 0; i < g.nvms; i++)
		if (vm_create(&g.vms[i]))
			die();
}

static void teardown(void)
{
	for (unsigned int i = 0; i < g.nvms; i++)
		vm_destroy(&g.vms[i]);
	slots_unmap();
	kvm_close();
}

/* ---- helpers for commands ---- */

static void outf(struct cmd *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(struct cmd *c, const char *fmt, ...)
{
	size_t len = strlen(c->out);
	va_list ap;

	va_start(ap, fmt);
	if (len < sizeof(c->out))
		vsnprintf(c->out + len, sizeof(c->out) - len, fmt, ap);
	va_end(ap);
}

/* Comma-separated VM fds ("-" for a destroyed VM). */
static void vmfds(struct cmd *c, int which)
{
	bool first = true;

	for (unsigned int i = 0; i < g.nvms; i++) {
		if (which != ALL_VMS && (unsigned int)which != i)
			continue;
		outf(c, "%s", first ? "" : ",");
		first = false;
		if (g.vms[i].fd < 0)
			outf(c, "-");
		else
			outf(c, "%d", g.vms[i].fd);
	}
}

static int get_slot(const char *arg, unsigned int *id)
{
	uint64_t v;

	if (!arg || parse_u64(arg, &v) || v >= g.nslots)
		return fail("bad slot '%s'", arg ? arg : "");
	*id = (unsigned int)v;
	return 0;
}

static struct vm *live_vm(unsigned int i)
{
	if (g.vms[i].fd < 0) {
		fail("VM %u is destroyed", i);
		return NULL;
	}
	return &g.vms[i];
}

/* Calls fn for the command's VM or for every VM; stops at the first error. */
static int for_vms(struct cmd *c, int (*fn)(struct cmd *, unsigned int))
{
	if (c->vm != ALL_VMS)
		return fn(c, (unsigned int)c->vm);
	for (unsigned int i = 0; i < g.nvms; i++)
		if (fn(c, i))
			return strncmp(g_err, "VM ", 3) ? fail("VM %u: %s", i, g_err) : -1;
	return 0;
}

/* ---- commands ---- */

struct touch_args {
	struct pagelist pl;
	bool write;
	int vcpu;		/* a vCPU, TOUCH_ALL or TOUCH_SPLIT */
	uint64_t touched, ns;
};

/* Slot 0 starts with the guest program: a write there would overwrite it. */
static int check_program_pages(const struct pagelist *pl)
{
	uint64_t blob = (uint64_t)(guest_blob_end - guest_blob);
	uint64_t pages = (blob + g.ps - 1) / g.ps;

	for (size_t i = 0; i < pl->n; i++)
		if (pl->r[i].first < pages)
			return fail("slot 0 page %llu holds the guest program",
				    (unsigned long long)pl->r[i].first);
	return 0;
}

static int parse_touch(struct cmd *c, struct touch_args *ta)
{
	uint64_t v;

	if (c->argc < 3)
		return fail("usage: touch SLOT PAGES [r|w] [vcpu=K|vcpus=all|vcpus=split]");
	if (get_slot(c->argv[1], &c->slot))
		return -1;
	for (int i = 3; i < c->argc; i++) {
		const char *a = c->argv[i];

		if (!strcmp(a, "r") || !strcmp(a, "w"))
			ta->write = a[0] == 'w';
		else if (!strcmp(a, "vcpus=all"))
			ta->vcpu = TOUCH_ALL;
		else if (!strcmp(a, "vcpus=split"))
			ta->vcpu = TOUCH_SPLIT;
		else if (!strncmp(a, "vcpu=", 5) && !parse_u64(a + 5, &v) && v < g.nvcpus)
			ta->vcpu = (int)v;
		else
			return fail("bad argument '%s'", a);
	}
	if (parse_pages(c->argv[2], g.slots[c->slot].npages, &ta->pl))
		return -1;
	return ta->write && c->slot == 0 ? check_program_pages(&ta->pl) : 0;
}

static int touch_vm(struct cmd *c, unsigned int i)
{
	struct touch_args *ta = c->ta;
	struct vm *vm = live_vm(i);
	uint64_t ns;
	int rc;

	if (!vm)
		return -1;
	if (!vm->present[c->slot])
		return fail("slot %u is deleted", c->slot);
	rc = vm_touch(vm, c->slot, &ta->pl, ta->write, ta->vcpu, &ns);
	ta->ns += ns;
	if (!rc)
		ta->touched += ta->pl.total;
	return rc;
}

static int cmd_touch(struct cmd *c)
{
	struct touch_args ta = { .vcpu = 0 };
	int rc;

	c->ta = &ta;
	rc = parse_touch(c, &ta);
	if (!rc)
		rc = for_vms(c, touch_vm);
	pagelist_free(&ta.pl);
	if (rc)
		return fail("touch: %s", g_err);
	outf(c, " touched=%llu ns=%llu", (unsigned long long)ta.touched,
	     (unsigned long long)ta.ns);
	return 0;
}

/* Host memory is shared by the VMs: check ignores @N. */
static int check_pages(struct cmd *c, unsigned int id, const struct pagelist *pl)
{
	const struct slot *s = &g.slots[id];
	uint64_t got, want;

	for (size_t i = 0; i < pl->n; i++) {
		for (uint64_t k = 0; k < pl->r[i].count; k++) {
			uint64_t page = pl->r[i].first + k * pl->r[i].step;

			if (slot_read_word(s, page, &got))
				return fail("check: %s", g_err);
			want = s->want ? s->want[page] : 0;
			if (!want)
				return fail("mismatch page=%llu got=0x%llx want=none",
					    (unsigned long long)page, (unsigned long long)got);
			if (got != want)
				return fail("mismatch page=%llu got=0x%llx want=0x%llx",
					    (unsigned long long)page, (unsigned long long)got,
					    (unsigned long long)want);
		}
	}
	outf(c, " checked=%llu", (unsigned long long)pl->total);
	return 0;
}

static int cmd_check(struct cmd *c)
{
	struct pagelist pl;
	unsigned int id = 0;
	int rc;

	if (c->argc != 3)
		return fail("usage: check SLOT PAGES");
	if (get_slot(c->argv[1], &id) || parse_pages(c->argv[2], g.slots[id].npages, &pl))
		return fail("check: %s", g_err);
	rc = check_pages(c, id, &pl);
	pagelist_free(&pl);
	return rc;
}

static int delete_vm(struct cmd *c, unsigned int i)
{
	struct vm *vm = live_vm(i);

	if (!vm)
		return -1;
	if (!vm->present[c->slot])
		return fail("slot %u is already deleted", c->slot);
	return vm_set_slot(vm, c->slot, vm->gpa[c->slot], false);
}

static int readd_vm(struct cmd *c, unsigned int i)
{
	struct vm *vm = live_vm(i);

	if (!vm)
		return -1;
	if (vm->present[c->slot])
		return fail("slot %u is not deleted", c->slot);
	return vm_set_slot(vm, c->slot, vm->gpa[c->slot], true);
}

static int move_vm(struct cmd *c, unsigned int i)
{
	struct vm *vm = live_vm(i);
	uint64_t size = g.slots[c->slot].size;

	if (!vm)
		return -1;
	if (!vm->present[c->slot])
		return fail("slot %u is deleted", c->slot);
	for (unsigned int k = 0; k < g.nslots; k++)
		if (k != c->slot && vm->present[k] && c->gpa < vm->gpa[k] + g.slots[k].size &&
		    vm->gpa[k] < c->gpa + size)
			return fail("GPA 0x%llx overlaps slot %u", (unsigned long long)c->gpa, k);
	return vm_set_slot(vm, c->slot, c->gpa, true);
}

static int cmd_slot_op(struct cmd *c, int (*fn)(struct cmd *, unsigned int))
{
	const char *name = c->argv[0];
	int want = fn == move_vm ? 3 : 2;

	if (c->argc != want)
		return fail("usage: %s SLOT%s", name, fn == move_vm ? " GPA" : "");
	if (get_slot(c->argv[1], &c->slot))
		return fail("%s: %s", name, g_err);
	if (fn == move_vm && (parse_u64(c->argv[2], &c->gpa) || (c->gpa & (g.ps - 1))))
		return fail("move: bad GPA '%s'", c->argv[2]);
	if (for_vms(c, fn))
		return fail("%s: %s", name, g_err);
	return 0;
}

/* dirty SLOT on|off: start or stop dirty logging of a memslot (KVM_MEM_LOG_DIRTY_PAGES). */
static int dirty_vm(struct cmd *c, unsigned int i)
{
	struct vm *vm = live_vm(i);

	if (!vm)
		return -1;
	if (!vm->present[c->slot])
		return fail("slot %u is deleted", c->slot);
	vm->flags[c->slot] = c->gpa ? KVM_MEM_LOG_DIRTY_PAGES : 0;
	return vm_set_slot(vm, c->slot, vm->gpa[c->slot], true);
}

static int cmd_dirty(struct cmd *c)
{
	if (c->argc != 3 || get_slot(c->argv[1], &c->slot) ||
	    (strcmp(c->argv[2], "on") && strcmp(c->argv[2], "off")))
		return fail("usage: dirty SLOT on|off");
	c->gpa = !strcmp(c->argv[2], "on");	/* the argument of dirty_vm */
	if (for_vms(c, dirty_vm))
		return fail("dirty: %s", g_err);
	return 0;
}

/* getdirty SLOT: KVM_GET_DIRTY_LOG; answers the number of pages written since the last one. */
static int cmd_getdirty(struct cmd *c)
{
	uint64_t n = 0;
	struct vm *vm;

	if (c->argc != 2 || get_slot(c->argv[1], &c->slot))
		return fail("usage: getdirty SLOT");
	vm = live_vm(c->vm == ALL_VMS ? 0 : c->vm);
	if (!vm)
		return fail("getdirty: %s", g_err);
	if (vm_dirty_log(vm, c->slot, &n))
		return fail("getdirty: %s", g_err);
	outf(c, " dirty=%llu", (unsigned long long)n);
	return 0;
}

/* reset SLOT: the device of a vfio slot is reset (its BAR mmaps are zapped, KVM unmaps). */
static int cmd_reset(struct cmd *c)
{
	if (c->argc != 2 || get_slot(c->argv[1], &c->slot))
		return fail("usage: reset SLOT");
	if (slot_reset(&g.slots[c->slot]))
		return fail("reset: %s", g_err);
	return 0;
}

/*
 * drop SLOT: madvise(MADV_DONTNEED) on a RAM slot's host memory, as a balloon or a host
 * under memory pressure does: the MMU notifier makes KVM unmap it at stage 2; the next
 * guest access faults in zeroed pages.
 */
static int cmd_drop(struct cmd *c)
{
	struct slot *s;

	if (c->argc != 2 || get_slot(c->argv[1], &c->slot))
		return fail("usage: drop SLOT");
	s = &g.slots[c->slot];
	if (s->kind != SLOT_RAM || s->alias >= 0 || s->huge)
		return fail("drop: slot %u is not an anonymous RAM slot", c->slot);
	if (madvise(s->hva, s->size, MADV_DONTNEED))
		return fail("drop: madvise: %s", strerror(errno));
	if (s->want)
		memset(s->want, 0, s->npages * sizeof(*s->want));
	return 0;
}

static int cmd_delete(struct cmd *c) { return cmd_slot_op(c, delete_vm); }
static int cmd_readd(struct cmd *c) { return cmd_slot_op(c, readd_vm); }
static int cmd_move(struct cmd *c) { return cmd_slot_op(c, move_vm); }

static int destroy_vm(struct cmd *c, unsigned int i)
{
	(void)c;
	if (!live_vm(i))
		return -1;
	vm_destroy(&g.vms[i]);
	return 0;
}

static int create_vm(struct cmd *c, unsigned int i)
{
	(void)c;
	if (g.vms[i].fd >= 0)
		return fail("VM %u exists", i);
	return vm_create(&g.vms[i]);
}

static int cmd_destroy(struct cmd *c)
{
	if (c->argc != 1)
		return fail("usage: destroy");
	if (for_vms(c, destroy_vm))
		return fail("destroy: %s", g_err);
	return 0;
}

static int cmd_create(struct cmd *c)
{
	if (c->argc != 1)
		return fail("usage: create");
	if (for_vms(c, create_vm))
		return fail("create: %s", g_err);
	outf(c, " vmfd=");
	vmfds(c, c->vm);
	return 0;
}

/* One cycle: a new VM, read-touch every non-RAM slot, delete the last one, destroy. */
static int cycle_once(const char *pages)
{
	struct pagelist pl;
	struct vm vm;
	int last = -1, rc = 0;
	uint64_t ns;

	if (vm_create(&vm))
		return -1;
	for (unsigned int i = 0; i < g.nslots && !rc; i++) {
		char dflt[64];

		if (g.slots[i].kind == SLOT_RAM)
			continue;
		last = (int)i;
		snprintf(dflt, sizeof(dflt), "0-%llu", (unsigned long long)
			 (g.slots[i].npages < 16 ? g.slots[i].npages - 1 : 15));
		rc = parse_pages(pages ? pages : dflt, g.slots[i].npages, &pl);
		if (!rc) {
			rc = vm_touch(&vm, i, &pl, false, 0, &ns);
			pagelist_free(&pl);
		}
		if (rc)
			fail("slot %u: %s", i, g_err);
	}
	if (!rc && last >= 0)
		rc = vm_set_slot(&vm, (unsigned int)last, vm.gpa[last], false);
	vm_destroy(&vm);
	return rc;
}

static int cmd_cycle(struct cmd *c)
{
	uint64_t n;

	if (c->argc < 2 || c->argc > 3 || parse_u64(c->argv[1], &n))
		return fail("usage: cycle N [PAGES]");
	for (uint64_t i = 0; i < n; i++)
		if (cycle_once(c->argc == 3 ? c->argv[2] : NULL))
			return fail("cycle: %llu: %s", (unsigned long long)i, g_err);
	outf(c, " cycles=%llu", (unsigned long long)n);
	return 0;
}

struct flapper {
	struct vm *vm;
	unsigned int slot;
	uint64_t n;
	volatile bool done;
	int rc;
	char err[sizeof(g_err)];
};

static void *flap_thread(void *arg)
{
	struct flapper *f = arg;

	for (uint64_t i = 0; i < f->n && !f->rc; i++) {
		f->rc = vm_set_slot(f->vm, f->slot, f->vm->gpa[f->slot], false);
		if (!f->rc)
			f->rc = vm_set_slot(f->vm, f->slot, f->vm->gpa[f->slot], true);
	}
	if (f->rc)
		memcpy(f->err, g_err, sizeof(f->err));
	f->done = true;
	return NULL;
}

/*
 * flap SLOT PAGES N: delete and re-add the memslot N times from a second thread while vCPU 0
 * keeps read-touching PAGES (stage-2 unmaps race with maps), then touch PAGES once more so
 * that they all end up mapped.
 */
static int cmd_flap(struct cmd *c)
{
	struct flapper f = { 0 };
	struct pagelist pl;
	uint64_t ns, rounds = 0;
	pthread_t tid;
	struct vm *vm;
	int rc = 0;

	if (c->argc != 4 || get_slot(c->argv[1], &f.slot) || parse_u64(c->argv[3], &f.n))
		return fail("usage: flap SLOT PAGES N");
	vm = live_vm(c->vm);
	if (!vm)
		return -1;
	if (!vm->present[f.slot])
		return fail("slot %u is deleted", f.slot);
	if (parse_pages(c->argv[2], g.slots[f.slot].npages, &pl))
		return -1;
	f.vm = vm;
	vm->tolerant = true;
	rc = pthread_create(&tid, NULL, flap_thread, &f);
	if (rc) {
		errno = rc;
		vm->tolerant = false;
		pagelist_free(&pl);
		return fail_errno("pthread_create");
	}
	while (!f.done && !rc) {
		rc = vm_touch(vm, f.slot, &pl, false, 0, &ns);
		rounds++;
	}
	pthread_join(tid, NULL);
	vm->tolerant = false;
	if (!rc && f.rc)
		rc = fail("%s", f.err);
	if (!rc)
		rc = vm_touch(vm, f.slot, &pl, false, 0, &ns);
	pagelist_free(&pl);
	if (rc)
		return fail("flap: %s", g_err);
	outf(c, " flaps=%llu rounds=%llu", (unsigned long long)f.n, (unsigned long long)rounds);
	return 0;
}

static int cmd_info(struct cmd *c)
{
	const struct vm *vm = &g.vms[c->vm == ALL_VMS ? 0 : c->vm];

	outf(c, " vms=%u vmfds=", g.nvms);
	vmfds(c, ALL_VMS);
	outf(c, " slots=");
	for (unsigned int i = 0; i < g.nslots; i++) {
		const struct slot *s = &g.slots[i];

		outf(c, "%s%u:%s:0x%llx:0x%llx%s", i ? "," : "", i, slot_kind_name(s->kind),
		     (unsigned long long)(vm->fd >= 0 ? vm->gpa[i] : s->gpa),
		     (unsigned long long)s->size,
		     vm->fd >= 0 && !vm->present[i] ? ":deleted" : "");
	}
	return 0;
}

static int cmd_sleep(struct cmd *c)
{
	uint64_t ms;
	struct timespec ts;

	if (c->argc != 2 || parse_u64(c->argv[1], &ms))
		return fail("usage: sleep MS");
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
	return 0;
}

static int cmd_quit(struct cmd *c)
{
	(void)c;
	return 0;
}

static const struct {
	const char *name;
	int (*fn)(struct cmd *);
} commands[] = {
	{ "touch", cmd_touch }, { "check", cmd_check }, { "delete", cmd_delete },
	{ "readd", cmd_readd }, { "move", cmd_move }, { "destroy", cmd_destroy },
	{ "dirty", cmd_dirty }, { "getdirty", cmd_getdirty }, { "reset", cmd_reset },
	{ "drop", cmd_drop },
	{ "create", cmd_create }, { "cycle", cmd_cycle }, { "flap", cmd_flap },
	{ "info", cmd_info },
	{ "sleep", cmd_sleep }, { "quit", cmd_quit },
};

/* Splits a line into words and takes the @N / @all prefix; 0 words: blank line. */
static int parse_line(char *line, struct cmd *c)
{
	char *save = NULL, *w;
	uint64_t v;

	memset(c, 0, sizeof(*c));
	for (w = strtok_r(line, " \t\r\n", &save); w; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (c->argc == MAX_ARGS)
			return fail("too many words");
		c->argv[c->argc++] = w;
	}
	if (c->argc && c->argv[0][0] == '@') {
		if (!strcmp(c->argv[0], "@all"))
			c->vm = ALL_VMS;
		else if (parse_u64(c->argv[0] + 1, &v) || v >= g.nvms)
			return fail("bad VM '%s'", c->argv[0]);
		else
			c->vm = (int)v;
		memmove(c->argv, c->argv + 1, (size_t)--c->argc * sizeof(c->argv[0]));
		if (!c->argc)
			return fail("missing command");
	}
	return 0;
}

static int dispatch(struct cmd *c)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(c->argv[0], commands[i].name))
			return commands[i].fn(c);
	return fail("unknown command '%s'", c->argv[0]);
}

/* [@N] time COMMAND...: COMMAND, its answer followed by " ns=T" (T: the command's wall time). */
static int timed_dispatch(struct cmd *c)
{
	uint64_t t0;
	int rc;

	if (strcmp(c->argv[0], "time"))
		return dispatch(c);
	if (c->argc < 2)
		return fail("usage: [@N] time COMMAND...");
	memmove(c->argv, c->argv + 1, (size_t)--c->argc * sizeof(c->argv[0]));
	t0 = now_ns();
	rc = dispatch(c);
	if (!rc)
		outf(c, " ns=%llu", (unsigned long long)(now_ns() - t0));
	return rc;
}

static void answer(int rc, const struct cmd *c)
{
	if (rc)
		printf("err %s\n", g_err);
	else
		printf("ok%s\n", c->out);
	fflush(stdout);
}

static void ready(void)
{
	static struct cmd c;

	outf(&c, "ready pid=%d vms=%u vcpus=%u page_size=%llu vmfds=", (int)getpid(), g.nvms,
	     g.nvcpus, (unsigned long long)g.ps);
	vmfds(&c, ALL_VMS);
	printf("%s\n", c.out);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static struct cmd c;
	char *line = NULL;
	size_t cap = 0;
	int rc;

	g.ps = (uint64_t)sysconf(_SC_PAGESIZE);
	parse_args(argc, argv);
	check_layout();
	setup();
	ready();
	while (getline(&line, &cap, stdin) >= 0) {
		char *save = NULL, *part;
		unsigned int ran = 0;
		bool quit = false;

		/* "CMD ; CMD ...": back to back, with no round trip between; one answer. */
		rc = 0;
		for (part = strtok_r(line, ";", &save); part && !rc && !quit;
		     part = strtok_r(NULL, ";", &save)) {
			rc = parse_line(part, &c);
			if (!rc && !c.argc)
				continue;
			ran++;
			if (!rc)
				rc = timed_dispatch(&c);
			quit = !rc && !strcmp(c.argv[0], "quit");
		}
		if (!ran && !rc)
			continue;
		answer(rc, &c);
		if (quit)
			break;
	}
	free(line);
	teardown();
	return 0;
}
