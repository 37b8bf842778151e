/*
 * winograd.h - Conv / FusedConv by Winograd's minimal filtering, for the CPU kernel
 * table (kernel.h):
 *   conv.winograd4.<isa>  F(4x4, 3x3): 6x6 input tiles, 36 GEMMs, 4x fewer multiplies
 *                         than the direct conv (2.25 per output per channel pair);
 *                         declines maps known to give fewer than 16 tiles per image.
 *   conv.winograd2.<isa>  F(2x2, 3x3): 4x4 input tiles, 16 GEMMs, 2.25x fewer; more
 *                         accurate, and its tiles waste less on small maps (7x7).
 * Both: 2-D, 3x3 kernel, stride 1, any dilation (as dh x dw undilated convs on the
 * phase grids; a dilated axis needs an output of >= m x dilation), float32 NCHW,
 * constant W, any pads (also asymmetric and auto_pad), any groups with >= 8 input and
 * output channels each, any batch; bias, FusedConv's residual Z and activation fused
 * into the output transform.
 * <isa> is generic, avx2 or avx512 (transforms and the packed SGEMM's micro-kernel).
 * Numerical error and speed: docs/winograd.md.
 */
#ifndef ERT_WINOGRAD_H
#define ERT_WINOGRAD_H

#include "kernels/kernel.h"

/* Candidates for Conv and FusedConv, NULL-ended: the F(4x4) kernels (listed before the
 * im2col kernels; they decline maps known to give < 16 tiles per image) and the F(2x2)
 * kernels (listed after im2col: the tuner's candidates). */
extern const ert_kernel *const ert_winograd_kernels[];
extern const ert_kernel *const ert_winograd2_kernels[];

#endif /* ERT_WINOGRAD_H */
