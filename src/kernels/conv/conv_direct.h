/*
 * conv_direct.h - conv.direct.<isa>: 2-D Conv / FusedConv (NCHW float32, group 1,
 * constant weights) computed directly, for few input channels (C x KH x KW <= 160: the
 * RGB stems of ResNet, YOLO, MobileNet, EfficientNet, and the layer after). The GEMM path
 * writes and re-reads an im2col matrix of C x KH x KW rows per output pixel, and with
 * 16-64 output channels reads each of its strips only a few times; here the input is
 * staged in bands of output rows, zero-padded and split into stride phases, so every tap of a
 * vector of output pixels is one contiguous load (conv_direct.c). Any kernel size,
 * strides, dilations, pads (auto_pad included); bias, FusedConv's residual Z and every
 * activation fused. <isa>: avx512, avx2. Listed before the GEMM family (cpu_table.c); up
 * to 160 taps.
 */
#ifndef ERT_CONV_DIRECT_H
#define ERT_CONV_DIRECT_H

#include "kernels/kernel.h"

extern const ert_kernel *const ert_conv_direct_kernels[];

/* conv.implicit.<isa>: the same kernel for every other 2-D group-1 conv but a plain 1x1
 * (any channel count: an implicit GEMM over the staged input, all of K in registers); a
 * tuning candidate listed after the GEMM family, which the heuristic order keeps but for
 * strided convs with wide output rows. */
extern const ert_kernel *const ert_conv_implicit_kernels[];
/* ... and the entries listed before the GEMM family: strided 3x3+ convs with wide output
 * rows, where the heuristic order (untuned runs) should pick it (conv_direct.c). */
extern const ert_kernel *const ert_conv_implicit_first_kernels[];

#endif /* ERT_CONV_DIRECT_H */
