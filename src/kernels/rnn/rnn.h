/*
 * rnn.h - float32 LSTM, GRU and RNN for the CPU kernel table (kernel.h):
 *   rnn.<isa>  every attribute of the three ops (directions, layouts,
 * activations with their alpha/beta, clip, input_forget, linear_before_reset,
 * peepholes, sequence_lens, initial_h/initial_c, optional outputs), with
 * constant W, R and (when given) B and P. The input projection X * W^T of every
 * step and direction is one packed SGEMM (W packed at load, the bias rows added
 *              in its epilogue); each step's R * h is a matrix-vector product
 * over a transposed copy of R made at load; the gates run through the
 * vectorised activations of kernels/act. (direction, batch row) pairs are
 *              independent tasks for the thread pool.
 * <isa> is generic, avx2, avx512 (x86-64) or neon (AArch64). Other dtypes, or
 * weights computed at run time, are declined: the reference kernel (ops/rnn.c,
 * in double) runs them and is this kernel's oracle in tests/kernels/test_rnn.c.
 */
#ifndef ERT_RNN_KERNELS_H
#define ERT_RNN_KERNELS_H

#include "kernels/kernel.h"

/* Serves ERT_OP_LSTM, ERT_OP_GRU and ERT_OP_RNN (supports() checks which). */
extern const ert_kernel *const ert_rnn_kernels[];

#endif /* ERT_RNN_KERNELS_H */
