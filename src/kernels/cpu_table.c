/*
 * cpu_table.c - the optimized CPU backend's kernel table (see kernel.h).
 *
 * Each kernel family (src/kernels/<family>/) exports a NULL-ended array of its kernels
 * for one op; the table below lists them per op. Adding a kernel: add it to its
 * family's array; adding a family: one line here.
 */
#include <string.h>

#include "kernels/conv/conv_direct.h"
#include "kernels/conv/conv_gemm.h"
#include "kernels/copy/copy.h"
#include "kernels/deconv/deconv.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/eltwise/eltwise.h"
#include "kernels/kernel.h"
#include "kernels/matmul/matmul.h"
#include "kernels/norm/norm.h"
#include "kernels/pool/pool.h"
#include "kernels/resize/resize.h"
#include "kernels/rnn/rnn.h"
#include "kernels/transpose/transpose.h"
#include "kernels/winograd/winograd.h"
#include "ops/fused.h"

/* Families' candidate lists (declared by each family's header). */
#define ERT_FAMILY(op, list) {ERT_OP_##op, list}

static const ert_kernel_family k_table[] = {
    /* depthwise first: it declines all but group == C_in == C_out */
    ERT_FAMILY(CONV, ert_dwconv_kernels),
    ERT_FAMILY(FUSED_CONV, ert_dwconv_kernels),
    /* Winograd F(4x4) for 3x3 stride 1 (2-2.6x im2col on ResNet-50's 14x14..56x56) */
    ERT_FAMILY(CONV, ert_winograd_kernels),
    ERT_FAMILY(FUSED_CONV, ert_winograd_kernels),
    /* grouped convs of few channels per group: accumulated depthwise rows */
    ERT_FAMILY(CONV, ert_gconv_kernels),
    ERT_FAMILY(FUSED_CONV, ert_gconv_kernels),
    /* few input channels (stems): direct, no im2col matrix */
    ERT_FAMILY(CONV, ert_conv_direct_kernels),
    ERT_FAMILY(FUSED_CONV, ert_conv_direct_kernels),
    /* the direct kernel for strided convs with wide output rows (before im2col) */
    ERT_FAMILY(CONV, ert_conv_implicit_first_kernels),
    ERT_FAMILY(FUSED_CONV, ert_conv_implicit_first_kernels),
    /* Conv as GEMM (1x1 direct, im2col); after a depthwise family where one exists */
    ERT_FAMILY(CONV, ert_conv_gemm_kernels),
    ERT_FAMILY(FUSED_CONV, ert_conv_gemm_kernels),
    /* the direct kernel for any channel count: timed against im2col (stride 2, 5x5..) */
    ERT_FAMILY(CONV, ert_conv_implicit_kernels),
    ERT_FAMILY(FUSED_CONV, ert_conv_implicit_kernels),
    /* 3-D convs: the im2col GEMM over depth x rows x columns */
    ERT_FAMILY(CONV, ert_conv3d_kernels),
    ERT_FAMILY(FUSED_CONV, ert_conv3d_kernels),
    /* Winograd F(2x2): more accurate, a tuning candidate (small maps) */
    ERT_FAMILY(CONV, ert_winograd2_kernels),
    ERT_FAMILY(FUSED_CONV, ert_winograd2_kernels),
    /* ConvTranspose as GEMM + col2im (1-D/2-D float32, constant W) */
    ERT_FAMILY(CONV_TRANSPOSE, ert_deconv_kernels),
    /* float32 activations (kernels/act) and broadcasting binary ops */
    ERT_FAMILY(RELU, ert_unary_kernels),
    ERT_FAMILY(CLIP, ert_unary_kernels),
    ERT_FAMILY(LEAKY_RELU, ert_unary_kernels),
    ERT_FAMILY(SIGMOID, ert_unary_kernels),
    ERT_FAMILY(HARD_SIGMOID, ert_unary_kernels),
    ERT_FAMILY(HARD_SWISH, ert_unary_kernels),
    ERT_FAMILY(GELU, ert_unary_kernels),
    ERT_FAMILY(TANH, ert_unary_kernels),
    ERT_FAMILY(ELU, ert_unary_kernels),
    ERT_FAMILY(SWISH, ert_unary_kernels),
    ERT_FAMILY(PRELU, ert_unary_kernels),
    ERT_FAMILY(ADD, ert_binary_kernels),
    ERT_FAMILY(SUB, ert_binary_kernels),
    ERT_FAMILY(MUL, ert_binary_kernels),
    ERT_FAMILY(DIV, ert_binary_kernels),
    ERT_FAMILY(MAX, ert_binary_kernels),
    ERT_FAMILY(MIN, ert_binary_kernels),
    ERT_FAMILY(POW, ert_binary_kernels), /* Pow(x, 2) only */
    /* 2-D float32 pooling */
    ERT_FAMILY(MAX_POOL, ert_pool_kernels),
    ERT_FAMILY(AVERAGE_POOL, ert_pool_kernels),
    ERT_FAMILY(GLOBAL_MAX_POOL, ert_global_pool_kernels),
    ERT_FAMILY(GLOBAL_AVERAGE_POOL, ert_global_pool_kernels),
    ERT_FAMILY(REDUCE_MEAN, ert_reduce_kernels),
    ERT_FAMILY(REDUCE_SUM, ert_reduce_kernels),
    /* float32 Resize (nearest any rank, linear on the last two axes), Softmax /
     * LogSoftmax, LayerNormalization */
    ERT_FAMILY(RESIZE, ert_resize_kernels),
    ERT_FAMILY(SOFTMAX, ert_softmax_kernels),
    ERT_FAMILY(LOG_SOFTMAX, ert_softmax_kernels),
    ERT_FAMILY(LAYER_NORMALIZATION, ert_layernorm_kernels),
    /* float32 MatMul / Gemm on the packed SGEMM (matrix-vector for M = 1) */
    ERT_FAMILY(MATMUL, ert_matmul_kernels),
    ERT_FAMILY(GEMM, ert_matmul_kernels),
    ERT_FAMILY(FUSED_GEMM, ert_matmul_kernels),
    /* float32 recurrences: one SGEMM for the input projection, matrix-vector steps */
    ERT_FAMILY(LSTM, ert_rnn_kernels),
    ERT_FAMILY(GRU, ert_rnn_kernels),
    ERT_FAMILY(RNN, ert_rnn_kernels),
    /* data movement: Transpose as run copies or register-tiled 2-D transposes */
    ERT_FAMILY(TRANSPOSE, ert_transpose_kernels),
    /* row-wise copies along any axis */
    ERT_FAMILY(CONCAT, ert_concat_kernels),
    ERT_FAMILY(SPLIT, ert_split_kernels),
    ERT_FAMILY(PAD, ert_pad_kernels),
    {-1, NULL} /* end */
};

int ert_cpu_kernels(const ert_node *n, const ert_graph *g, ert_isa isa,
                    const ert_kernel **out, int max)
{
    int cnt = 0;
    if (!n->op)
        return 0;
    for (const ert_kernel_family *f = k_table; f->kernels; f++) {
        if (f->op_id != n->op->id)
            continue;
        for (const ert_kernel *const *k = f->kernels; *k && cnt < max; k++)
            if ((*k)->isa <= isa && ((*k)->isa != ERT_ISA_NEON || isa == ERT_ISA_NEON) &&
                (!(*k)->supports || (*k)->supports(n, g)))
                out[cnt++] = *k;
    }
    return cnt;
}

const ert_kernel *ert_cpu_kernel_by_name(const char *name)
{
    for (const ert_kernel_family *f = k_table; f->kernels; f++)
        for (const ert_kernel *const *k = f->kernels; *k; k++)
            if (strcmp((*k)->name, name) == 0)
                return *k;
    return NULL;
}

/* ---- in place (kernel.h): kernels that read each element of an input before writing
 * the output element over it ---- */

static bool listed(const ert_kernel *const *list, const ert_kernel *k)
{
    for (; *list; list++)
        if (*list == k)
            return true;
    return false;
}

unsigned ert_cpu_kernel_inplace_inputs(const ert_kernel *k)
{
    if (k && listed(ert_unary_kernels, k))
        return 1u; /* X (PRelu's slope is input 1: never) */
    if (k && listed(ert_binary_kernels, k))
        return 3u;
    if (ert_conv_gemm_writes_over_z(k))
        return 1u << ERT_FC_Z; /* the residual, when it has Y's size */
    return 0u;
}
