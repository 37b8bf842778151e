/*
 * pool.h - float32 pooling kernels for the CPU kernel table (kernel.h):
 *   pool.<isa>        MaxPool (without the Indices output) and AveragePool, 2-D NCHW,
 *                     any kernel, strides, pads, auto_pad, dilations, ceil_mode,
 *                     count_include_pad; vector rows at stride 1 and 2, the portable
 *                     row for larger strides.
 *   globalpool.<isa>  GlobalMaxPool, GlobalAveragePool over any spatial rank.
 *   reduce.<isa>      ReduceMean, ReduceSum (float32) over one run of consecutive axes
 *                     given as a constant (reduce.c).
 * <isa> is generic, avx2 or avx512 (x86-64), neon (AArch64). LpPool and MaxPool with
 * Indices are declined.
 * MaxPool ignores a NaN tap where the reference may keep one that comes first (ONNX
 * leaves NaN in MaxPool unspecified).
 */
#ifndef ERT_POOL_H
#define ERT_POOL_H

#include "kernels/kernel.h"

extern const ert_kernel *const ert_pool_kernels[];
extern const ert_kernel *const ert_global_pool_kernels[];
extern const ert_kernel *const ert_reduce_kernels[];

#endif /* ERT_POOL_H */
