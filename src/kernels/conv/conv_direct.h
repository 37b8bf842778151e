/*
 * conv_direct.h - conv.direct.<isa>: 2-D Conv / FusedConv (NCHW float32, group 1,
 * constant weights) computed directly, for few input channels (C x KH x KW <= 160: the
 * RGB stems of ResNet, YOLO, MobileNet, EfficientNet, and the layer after). The GEMM path
 * writes and re-reads an im2col matrix of C x KH x KW rows per output pixel, and with
 * 16-64 output channels reads each of its strips only a few times; here the input is
 * staged once per run, zero-padded and split into stride phases, so every tap of a
 * vector of output pixels is one contiguous load (conv_direct.c). Any kernel size,
 * strides, dilations, pads (auto_pad included); bias, FusedConv's residual Z and every
 * activation fused. <isa>: avx512, avx2. Listed before the GEMM family (cpu_table.c).
 */
#ifndef ERT_CONV_DIRECT_H
#define ERT_CONV_DIRECT_H

#include "kernels/kernel.h"

extern const ert_kernel *const ert_conv_direct_kernels[];

#endif /* ERT_CONV_DIRECT_H */
