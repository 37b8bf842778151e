/*
 * resize.h - float32 Resize kernels for the CPU kernel table (kernel.h):
 *   resize.<isa>  Resize-10/11/13/18/19 with the reference's semantics (src/ops/resize.c):
 *                 roi / scales / sizes inputs, axes, keep_aspect_ratio_policy, every
 *                 coordinate_transformation_mode (tf_crop_and_resize with
 *                 extrapolation_value), exclude_outside;
 *                 nearest (every nearest_mode) on any rank, leading axes included;
 *                 linear on the last two axes (any rank >= 1; the leading axes must be
 *                 provably unchanged at load time).
 * <isa> is generic, avx2 or avx512 (x86-64), neon (AArch64). Declined: cubic,
 * antialias = 1 with linear, linear that resizes a leading axis, non-float32 data.
 */
#ifndef ERT_RESIZE_H
#define ERT_RESIZE_H

#include "kernels/kernel.h"

extern const ert_kernel *const ert_resize_kernels[];

#endif /* ERT_RESIZE_H */
