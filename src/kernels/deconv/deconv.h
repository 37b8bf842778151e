/*
 * deconv.h - ConvTranspose (1-D and 2-D, NCHW float32, constant weights) for the CPU
 * kernel table (kernel.h):
 *   deconv.gemm.<isa>  per image and group Col[Mg*KH*KW, cols] = Wt_g * X_g[:, cols]
 *                      (packed SGEMM, X read in place, the columns tiled so Col stays
 *                      in a bounded workspace), then col2im: Col's rows scatter-added
 *                      into Y with strides, dilations and pads; bias fills Y first.
 * <isa> is generic, avx2, avx512 (or neon): the SGEMM micro-kernel and the col2im rows.
 * Geometry (auto_pad, output_shape, output_padding) is conv.c's (convt_geom_of_step).
 * 3-D, non-constant W and other dtypes are declined: the reference kernel runs them.
 */
#ifndef ERT_DECONV_H
#define ERT_DECONV_H

#include "kernels/kernel.h"

/* Candidates for ConvTranspose, most promising first, NULL-ended. */
extern const ert_kernel *const ert_deconv_kernels[];

#endif /* ERT_DECONV_H */
