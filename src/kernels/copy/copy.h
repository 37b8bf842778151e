/*
 * copy.h - Concat and Split (any dense dtype of 1, 2, 4 or 8 bytes, any rank and axis) for
 * the CPU kernel table (kernel.h):
 *   concat.copy  per row of the joined tensor (an index over the dims before the axis)
 *   split.copy   each part's row is one contiguous run in both tensors; rows are split
 *                into tasks over the pool, and runs of up to 128 bytes (YOLO's head
 *                concatenates and splits 85-wide rows into 2 + 2 + 81) are moved with
 *                fixed-size copies instead of a memcpy call each.
 * A Concat whose inputs the arena placed inside its output (engine/model.c, concat
 * hosts) finds them there and copies nothing. One portable level: the data movement,
 * not the lanes, bounds it.
 */
#ifndef ERT_COPY_H
#define ERT_COPY_H

#include "kernels/kernel.h"

extern const ert_kernel *const ert_concat_kernels[];
extern const ert_kernel *const ert_split_kernels[];
/* pad.copy (pad.c): Pad, every mode, any fixed-size dtype, constant pads / value / axes. */
extern const ert_kernel *const ert_pad_kernels[];

#endif /* ERT_COPY_H */
