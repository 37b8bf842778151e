/*
 * conv_gemm.h - Conv / FusedConv (2-D and 1-D, NCHW float32, constant weights) as GEMM
 * kernels for the CPU kernel table (kernel.h):
 *   conv.gemm1x1.<isa>  1x1 kernel, stride 1, no padding: Y[M, HW] = W[M, C] * X[C, HW]
 *                       per image and group, X read in place (no im2col).
 *   conv.im2col.<isa>   any kernel, strides, pads, dilations, groups: the GEMM's B rows
 *                       are generated from the image while B is packed (sgemm's row
 *                       callback), one K block at a time, so no im2col matrix exists.
 *   conv.rows.<isa>     at most 4 output channels per group (depth / mask heads): the
 *                       im2col rows, four at a time, accumulated straight into the output
 *                       rows (the GEMM's 8-row tile would multiply padding).
 * <isa> is generic, avx2 or avx512 (the packed SGEMM's micro-kernel). Both fuse bias,
 * FusedConv's residual Z and activation into the GEMM epilogue. Pure depthwise convs
 * (one input and one output channel per group) are declined: the dwconv family runs them.
 */
#ifndef ERT_CONV_GEMM_H
#define ERT_CONV_GEMM_H

#include "kernels/kernel.h"

/* Candidates for Conv and FusedConv, most promising first, NULL-ended. */
extern const ert_kernel *const ert_conv_gemm_kernels[];

/* Whether k (one of these kernels) may write Y over FusedConv's residual Z: conv.gemm1x1
 * and conv.im2col read each tile of Z once, in the micro-kernel that then stores that
 * tile of Y (sgemm's residual-in-C path), so Y == Z is exact. */
bool ert_conv_gemm_writes_over_z(const ert_kernel *k);

/* Family-internal (conv_gemm.c, conv3d.c): weights packed for one ISA's GEMM tile, group
 * panels of ert_sgemm_packed_a_floats each (W's rows [Mg][Cg x kernel taps] as they lie). */
typedef struct ert_conv_packed {
    ert_isa isa;
    int64_t group, mg, kg; /* groups, output channels and GEMM depth per group */
    size_t group_floats;   /* packed floats per group (multiple of 16: stays aligned) */
    float *a;              /* 64-byte aligned */
} ert_conv_packed;
ert_status ert_conv_gemm_pack(ert_isa isa, const ert_node *n, const ert_graph *g, void **packed,
                              ert_err *err);
void ert_conv_gemm_free(void *packed);

/* 3-D convs (conv3d.c): conv.vol.<isa>, the im2col GEMM over depth x rows x columns. */
extern const ert_kernel *const ert_conv3d_kernels[];

#endif /* ERT_CONV_GEMM_H */
