/*
 * transpose.h - Transpose (any dtype of 1, 2, 4 or 8 bytes, any rank, any perm) for the
 * CPU kernel table (kernel.h):
 *   transpose.<isa>  the permutation is reduced at plan time: size-1 axes dropped,
 *                    output axes that stay neighbours in the input merged. What is left
 *                    is either a copy of contiguous runs (the innermost axis does not
 *                    move) or a 2-D transpose between the output's innermost axis and
 *                    the one the input is contiguous along, done in tiles that fit L1
 *                    (8x8 float32 tiles transposed in registers at AVX2 and above),
 *                    the other axes walked around it. Tasks split over the pool.
 * <isa> is generic or avx2 (AVX-512 machines run the AVX2 tiles: the data movement, not
 * the lanes, bounds it).
 */
#ifndef ERT_TRANSPOSE_H
#define ERT_TRANSPOSE_H

#include "kernels/kernel.h"

extern const ert_kernel *const ert_transpose_kernels[];

#endif /* ERT_TRANSPOSE_H */
