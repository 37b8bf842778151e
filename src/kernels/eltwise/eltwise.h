/*
 * eltwise.h - float32 elementwise kernels for the CPU kernel table (kernel.h):
 *   unary.<isa>   Relu, Clip, LeakyRelu, Sigmoid, HardSigmoid, HardSwish, Gelu (none /
 *                 tanh), Tanh, Elu, Swish (alpha 1), PRelu with a slope that is one
 *                 value or one per channel (axis 1): the act.h activations read from
 *                 X and written to Y in one pass (Y may be X).
 *   binary.<isa>  Add, Sub, Mul, Div, and Max/Min of two inputs, numpy broadcasting:
 *                 the shapes are reduced at plan time to [outer dims..., inner row]
 *                 with each operand's inner stride 0 or 1, so same shape and scalar are
 *                 one row, a per-channel bias is rows of H*W against a constant, a row
 *                 broadcast is rows against one row; anything else walks its outer dims
 *                 with the same vector row kernel. In place (Y aliasing A or B) is safe.
 * <isa> is generic, avx2, avx512 or neon; unary.generic only takes Sigmoid, Swish, Tanh,
 * Gelu and Elu (the reference is as fast on the piecewise-linear ones).
 */
#ifndef ERT_ELTWISE_H
#define ERT_ELTWISE_H

#include "kernels/kernel.h"

extern const ert_kernel *const ert_unary_kernels[];
extern const ert_kernel *const ert_binary_kernels[];

#endif /* ERT_ELTWISE_H */
