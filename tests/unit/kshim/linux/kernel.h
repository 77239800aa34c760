/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim: the kernel helpers module/rtree.c uses (tests/unit/test_rtree.c). */
#ifndef S2_KSHIM_KERNEL_H
#define S2_KSHIM_KERNEL_H

#include <errno.h>
#include <stddef.h>

#include <linux/types.h>

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define round_down(x, y) ((x) & ~((__typeof__(x))(y) - 1))
#define round_up(x, y) ((((x) - 1) | ((__typeof__(x))(y) - 1)) + 1)

#endif
