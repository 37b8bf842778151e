/*
 * dwconv.h - depthwise Conv / FusedConv (2-D NCHW float32, group == C_in == C_out,
 * weights [C, 1, KH, KW]) for the CPU kernel table (kernel.h):
 *   dwconv.<isa>   any kernel size, strides, dilations, pads (auto_pad included);
 *                  register-blocked rows for 3x3 and 5x5 at stride 1 and 2 (a runtime
 *                  kernel-size row otherwise; strides > 2 use the portable row); bias,
 *                  FusedConv's residual Z (before the activation) and activation fused.
 * <isa> is generic, avx2 or avx512. A channel multiplier > 1 is declined (conv.gemm).
 * Listed before the GEMM conv family in cpu_table.c: it declines everything else.
 */
#ifndef ERT_DWCONV_H
#define ERT_DWCONV_H

#include "kernels/kernel.h"

extern const ert_kernel *const ert_dwconv_kernels[];

#endif /* ERT_DWCONV_H */
