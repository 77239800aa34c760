#!/bin/sh
# s2-timeout: 3000
# temporary exploration (not committed)
. "${0%/*}/benchlib.sh"
b_meta
now() { s2bench now; }
if kver_ge 6.19; then M=0x30; elif kver_ge 6.9; then M=0x18; else M=0x8; fi
bpftrace --info 2>&1 | grep -iE "kfunc|fentry|fexit|btf|kprobe_multi|version" | sed 's/^/# info: /'
bpftrace -lv 'fexit:kvm_pgtable_stage2_map' 2>&1 | sed 's/^/# lv: /'
bind_vfio "$S2_IVSHMEM"
vmm_start F --ram-nothp "ram:$G_RAM:16M" "vfio:$G_IVS:$S2_IVSHMEM:2" "ram:0x80000000:64M" || echo "vmm fail $(cat $S2_TMP/vmm.F/err)"
vmm_cmd F "touch 1 0-1023"; vmm_cmd F "touch 2 all"
try() {
  for s in 1 2; do vmm_cmd F "delete $s" >/dev/null; done
  bpftrace -e "$1"' BEGIN { printf("s2ready\n"); }' >$S2_TMP/bt.out 2>&1 &
  bp=$!
  i=0; while ! grep -q s2ready $S2_TMP/bt.out && kill -0 $bp 2>/dev/null && [ $i -lt 3000 ]; do sleep 0.1; i=$((i+1)); done
  for s in 1 2; do vmm_cmd F "readd $s" >/dev/null; done
  echo "# on: $(vmm_cmd F 'touch 1 0-1023') / $(vmm_cmd F 'touch 2 all')"
  kill -INT $bp 2>/dev/null; wait $bp; echo "# rc=$?"
  sed 's/^/# bt: /' $S2_TMP/bt.out | head -12
}
try 'fexit:kvm_pgtable_stage2_map { @maps[args.pgt] = count(); }'
try 'fexit:kvm_pgtable_stage2_map /((uint64)args.prot) & '$M'/ { @maps[args.pgt] = count(); }'
try 'fexit:kvm_pgtable_stage2_map /(*(uint64 *)((uint64)ctx + 32)) & '$M'/ { if (retval == 0) { @maps[args.pgt] = count(); } }'
try 'fexit:kvm_pgtable_stage2_map /args.phys < 0x40000000/ { if (retval == 0) { @maps[args.pgt] = count(); } }'
try 'kretfunc:kvm_pgtable_stage2_map { if (retval == 0) { @maps[args->pgt] = count(); } }'
t_ok smoke
