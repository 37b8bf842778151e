/*
 * norm.h - float32 normalisation kernels for the CPU kernel table (kernel.h):
 *   softmax.<isa>    Softmax and LogSoftmax, every opset: 1/11 coerce the input to 2-D
 *                    at `axis` (default 1), 13 normalises along one axis (default -1);
 *                    the last axis runs as contiguous rows, an inner axis as column
 *                    blocks (the same vector row ops over [len, inner] tiles).
 *   layernorm.<isa>  LayerNormalization-17 over the trailing axes from `axis`, epsilon,
 *                    scale/bias of any shape that broadcasts to the normalised dims,
 *                    the optional Mean and InvStdDev outputs (stash_type 1 only).
 * <isa> is generic, avx2, avx512 or neon. The exp is kernels/act's (1.3 ulp); sums and the
 * LayerNorm statistics are float (two passes), where the reference uses double.
 */
#ifndef ERT_NORM_H
#define ERT_NORM_H

#include "kernels/kernel.h"

extern const ert_kernel *const ert_softmax_kernels[];
extern const ert_kernel *const ert_layernorm_kernels[];

#endif /* ERT_NORM_H */
