/*
 * matmul.h - float32 MatMul and Gemm kernels for the CPU kernel table (kernel.h):
 *   matmul.sgemm.<isa>  MatMul (numpy semantics: 1-D operands, broadcast batch dims)
 *                       and Gemm (transA, transB, alpha, beta, C broadcast) as the
 *                       packed SGEMM of kernels/gemm, with a matrix-vector path for
 *                       M = 1. <isa> is generic, avx2, avx512 (neon on aarch64).
 * Non-float32 operands are declined (the reference kernels run them).
 */
#ifndef ERT_MATMUL_KERNELS_H
#define ERT_MATMUL_KERNELS_H

#include "kernels/kernel.h"

/* Serves both ERT_OP_MATMUL and ERT_OP_GEMM (supports() checks which). */
extern const ert_kernel *const ert_matmul_kernels[];

#endif /* ERT_MATMUL_KERNELS_H */
