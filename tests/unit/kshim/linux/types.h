/* SPDX-License-Identifier: GPL-2.0 */
/* Host shim: the kernel types module/rtree.c uses (tests/unit/test_rtree.c). */
#ifndef S2_KSHIM_TYPES_H
#define S2_KSHIM_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;

#define U32_MAX	UINT32_MAX
#define U64_MAX	UINT64_MAX

#endif
