/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kvm_s2stat trace events: stream stage-2 device-memory mapping events with perf, trace-cmd
 * or bpftrace (`perf record -e 'kvm_s2stat:*'`).  Documented in docs/tracing.md.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM kvm_s2stat

#ifndef KVM_S2STAT_TRACE_NAME
#define KVM_S2STAT_TRACE_NAME
#include <linux/string.h>

#include "vm.h"

/* The VM's name for a trace event ("-" until it is published). */
static inline void s2_trace_name(const struct s2_vm *vm, char *buf)
{
	/* Pairs with the release in the lifecycle's publication. */
	if (smp_load_acquire(&vm->lc.published))
		memcpy(buf, vm->name, S2_VM_NAME_LEN);
	else
		strscpy(buf, "-", S2_VM_NAME_LEN);
}
#endif

#if !defined(KVM_S2STAT_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define KVM_S2STAT_TRACE_H

#include <linux/tracepoint.h>

/*
 * Device-memory leaves read back from the table after a map, a permission change or a split
 * (a settle), or a map that pKVM 6.14+ reported done; bdf ffff:ff:1f.7 and bar 255 mean no
 * PCI BAR.
 */
TRACE_EVENT(s2_map,
	    TP_PROTO(struct s2_vm *vm, u64 ipa, u64 pa, u64 size, const struct s2_props *p),
	    TP_ARGS(vm, ipa, pa, size, p),
	    TP_STRUCT__entry(__array(char, vm, S2_VM_NAME_LEN)
			     __field(u64, ipa)
			     __field(u64, pa)
			     __field(u64, size)
			     __field(u32, bdf)
			     __field(u8, bar)
			     __field(u8, attr)
			     __field(u8, class)
			     __field(s8, level)),
	    TP_fast_assign(s2_trace_name(vm, __entry->vm);
			   __entry->ipa = ipa;
			   __entry->pa = pa;
			   __entry->size = size;
			   __entry->bdf = p->src.bdf;
			   __entry->bar = p->src.bar;
			   __entry->attr = p->attr;
			   __entry->class = p->src.class;
			   __entry->level = p->level;),
	    TP_printk("vm=%s ipa=0x%llx pa=0x%llx size=0x%llx attr=%s level=%d class=%s bdf=%04x:%02x:%02x.%x bar=%u",
		      __entry->vm, __entry->ipa, __entry->pa, __entry->size,
		      __print_symbolic(__entry->attr, { S2_ATTR_DEVICE, "DEVICE_nGnRE" },
				       { S2_ATTR_NC, "NORMAL_NC" }, { S2_ATTR_NORMAL, "NORMAL" }),
		      __entry->level,
		      __print_symbolic(__entry->class, { S2_CLASS_VFIO_IDX, "vfio" },
				       { S2_CLASS_OTHER_IDX, "other" }),
		      __entry->bdf >> 16, (__entry->bdf >> 8) & 0xff, (__entry->bdf >> 3) & 0x1f,
		      __entry->bdf & 7, __entry->bar)
);

/*
 * Device-memory maps that left no leaf (read back by a settle: ret -1), or that pKVM 6.14+
 * refused (its error), with the attribute requested.
 */
TRACE_EVENT(s2_map_failed,
	    TP_PROTO(struct s2_vm *vm, u64 ipa, u64 pa, u64 size, u8 attr, int ret),
	    TP_ARGS(vm, ipa, pa, size, attr, ret),
	    TP_STRUCT__entry(__array(char, vm, S2_VM_NAME_LEN)
			     __field(u64, ipa)
			     __field(u64, pa)
			     __field(u64, size)
			     __field(int, ret)
			     __field(u8, attr)),
	    TP_fast_assign(s2_trace_name(vm, __entry->vm);
			   __entry->ipa = ipa;
			   __entry->pa = pa;
			   __entry->size = size;
			   __entry->ret = ret;
			   __entry->attr = attr;),
	    TP_printk("vm=%s ipa=0x%llx pa=0x%llx size=0x%llx attr=%s ret=%d",
		      __entry->vm, __entry->ipa, __entry->pa, __entry->size,
		      __print_symbolic(__entry->attr, { S2_ATTR_DEVICE, "DEVICE_nGnRE" },
				       { S2_ATTR_NC, "NORMAL_NC" }, { S2_ATTR_NORMAL, "NORMAL" }),
		      __entry->ret)
);

/* An unmap of a tracked VM; size 0xffffffffffffffff: the table's teardown. */
TRACE_EVENT(s2_unmap,
	    TP_PROTO(struct s2_vm *vm, u64 ipa, u64 size),
	    TP_ARGS(vm, ipa, size),
	    TP_STRUCT__entry(__array(char, vm, S2_VM_NAME_LEN)
			     __field(u64, ipa)
			     __field(u64, size)),
	    TP_fast_assign(s2_trace_name(vm, __entry->vm);
			   __entry->ipa = ipa;
			   __entry->size = size;),
	    TP_printk("vm=%s ipa=0x%llx size=0x%llx", __entry->vm, __entry->ipa, __entry->size)
);

/* KVM destroys a tracked VM. */
TRACE_EVENT(s2_vm_gone,
	    TP_PROTO(struct s2_vm *vm),
	    TP_ARGS(vm),
	    TP_STRUCT__entry(__array(char, vm, S2_VM_NAME_LEN)),
	    TP_fast_assign(s2_trace_name(vm, __entry->vm);),
	    TP_printk("vm=%s", __entry->vm)
);

#endif /* KVM_S2STAT_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
