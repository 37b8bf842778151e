/*
 * matmul.c - MatMul and Gemm: shape inference and reference kernels.
 *
 * Both ops funnel float32 work through one blocked GEMM routine, ert_sgemm_ref():
 * C[M,N] = alpha * A[M,K] * B[K,N] + (accumulate ? C : 0), with A and B given by
 * element strides (so transposed operands need no copy). B is packed per cache block
 * into a contiguous panel, then rows of C are updated four at a time in i-k-j order
 * with a contiguous inner loop the compiler can vectorise. This is the portable
 * reference; ISA-specific microkernels (AVX2/AVX-512) plug in under it later.
 * MatMulInteger (int8/uint8 with zero points -> int32) and Det live here too.
 * Other dtypes use a plain generic loop: double accumulation for float types, wrapping
 * 64-bit integer accumulation (exact, as numpy) for integer types.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm/gemm.h"
#include "ops/op.h"
#include "util/scratch.h"

/* Block sizes: a KC x NC panel of packed B (128 KiB) stays in L2; four C row slices of
 * NC floats (8 KiB) stay in L1 while the panel streams past them. MC bounds how many
 * rows reuse one panel before the next K block (keeps C rows warm). */
#define GEMM_KC 128
#define GEMM_NC 256
#define GEMM_MC 64

/* ert_sgemm_ref is declared in kernels/gemm/gemm.h for the other families. */

/* GCC 12 at -O2 uses the "very cheap" vectoriser cost model, which leaves this loop scalar
 * (its trip count is not a known multiple of the vector width). The dynamic model makes
 * it SIMD code of the baseline ISA: 1024^3 product 0.44 s -> 0.25 s (SSE2, one core).
 * Clang vectorises it at -O2 already and doesn't know the attribute. */
#if defined(__GNUC__) && !defined(__clang__)
#define GEMM_VECTORIZE __attribute__((optimize("vect-cost-model=dynamic")))
#else
#define GEMM_VECTORIZE
#endif

/* Updates rows [0, mr) (mr <= 4) of C (row stride ldc) with alpha * A[rows, 0:kc] * Bp,
 * Bp a packed kc x nc panel (row stride nc). */
GEMM_VECTORIZE static void gemm_rows(int mr, int64_t nc, int64_t kc, float alpha, const float *A, int64_t a_rs,
                      int64_t a_cs, const float *restrict Bp, float *C, int64_t ldc)
{
    float *restrict c0 = C;
    float *restrict c1 = C + (mr > 1 ? ldc : 0);
    float *restrict c2 = C + (mr > 2 ? 2 * ldc : 0);
    float *restrict c3 = C + (mr > 3 ? 3 * ldc : 0);
    if (mr == 4) {
        for (int64_t p = 0; p < kc; p++) {
            const float a0 = alpha * A[p * a_cs];
            const float a1 = alpha * A[a_rs + p * a_cs];
            const float a2 = alpha * A[2 * a_rs + p * a_cs];
            const float a3 = alpha * A[3 * a_rs + p * a_cs];
            const float *restrict b = Bp + p * nc;
            for (int64_t j = 0; j < nc; j++) {
                const float bj = b[j];
                c0[j] += a0 * bj;
                c1[j] += a1 * bj;
                c2[j] += a2 * bj;
                c3[j] += a3 * bj;
            }
        }
        return;
    }
    /* tail rows one at a time */
    float *rows[4] = {c0, c1, c2, c3};
    for (int r = 0; r < mr; r++) {
        float *restrict c = rows[r];
        for (int64_t p = 0; p < kc; p++) {
            const float a = alpha * A[r * a_rs + p * a_cs];
            const float *restrict b = Bp + p * nc;
            for (int64_t j = 0; j < nc; j++)
                c[j] += a * b[j];
        }
    }
}

ert_status ert_sgemm_ref(int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                         int64_t a_rs, int64_t a_cs, const float *B, int64_t b_rs, int64_t b_cs,
                         float *C, int64_t ldc, bool accumulate)
{
    if (!accumulate)
        for (int64_t i = 0; i < M; i++)
            memset(C + i * ldc, 0, sizeof(float) * (size_t)N);
    if (M == 0 || N == 0 || K == 0 || alpha == 0.0f)
        return ERT_OK;
    float *Bp = ert_tmp_alloc(sizeof(float) * GEMM_KC * GEMM_NC);
    if (!Bp)
        return ERT_ERR_NO_MEMORY;
    for (int64_t jc = 0; jc < N; jc += GEMM_NC) {
        int64_t nc = N - jc < GEMM_NC ? N - jc : GEMM_NC;
        for (int64_t pc = 0; pc < K; pc += GEMM_KC) {
            int64_t kc = K - pc < GEMM_KC ? K - pc : GEMM_KC;
            /* pack B[pc:pc+kc, jc:jc+nc] row-major */
            for (int64_t p = 0; p < kc; p++) {
                const float *src = B + (pc + p) * b_rs + jc * b_cs;
                float *dst = Bp + p * nc;
                if (b_cs == 1)
                    memcpy(dst, src, sizeof(float) * (size_t)nc);
                else
                    for (int64_t j = 0; j < nc; j++)
                        dst[j] = src[j * b_cs];
            }
            for (int64_t ic = 0; ic < M; ic += GEMM_MC) {
                int64_t mc = M - ic < GEMM_MC ? M - ic : GEMM_MC;
                for (int64_t i = 0; i < mc; i += 4) {
                    int mr = mc - i < 4 ? (int)(mc - i) : 4;
                    gemm_rows(mr, nc, kc, alpha, A + (ic + i) * a_rs + pc * a_cs, a_rs, a_cs, Bp,
                              C + (ic + i) * ldc + jc, ldc);
                }
            }
        }
    }
    ert_tmp_free(Bp);
    return ERT_OK;
}


static bool gemm_dtype_ok(ert_dtype t)
{
    return ert_dtype_is_float(t) || ert_dtype_is_int(t);
}

/* Generic (any numeric dtype) Y[i,j] = alpha * sum_k A[i,k] B[k,j] (+ Y[i,j] if accumulate,
 * Y already holding beta*C as doubles/ints). Offsets are element indices. */
static void gemm_generic(ert_dtype dt, int64_t M, int64_t N, int64_t K, double alpha,
                         const void *A, int64_t a_off, int64_t a_rs, int64_t a_cs, const void *B,
                         int64_t b_off, int64_t b_rs, int64_t b_cs, void *Y, int64_t y_off,
                         bool accumulate)
{
    if (ert_dtype_is_int(dt)) {
        /* unsigned arithmetic: wraps like numpy's fixed-width ints, no UB */
        uint64_t al = (uint64_t)(int64_t)alpha;
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                uint64_t s = 0;
                for (int64_t p = 0; p < K; p++)
                    s += (uint64_t)ert_load_i64(dt, A, a_off + i * a_rs + p * a_cs) *
                         (uint64_t)ert_load_i64(dt, B, b_off + p * b_rs + j * b_cs);
                s *= al;
                int64_t yi = y_off + i * N + j;
                if (accumulate)
                    s += (uint64_t)ert_load_i64(dt, Y, yi);
                ert_store_i64(dt, Y, yi, (int64_t)s);
            }
        return;
    }
    for (int64_t i = 0; i < M; i++)
        for (int64_t j = 0; j < N; j++) {
            double s = 0.0;
            for (int64_t p = 0; p < K; p++)
                s += ert_load_f64(dt, A, a_off + i * a_rs + p * a_cs) *
                     ert_load_f64(dt, B, b_off + p * b_rs + j * b_cs);
            s *= alpha;
            int64_t yi = y_off + i * N + j;
            if (accumulate)
                s += ert_load_f64(dt, Y, yi);
            ert_store_f64(dt, Y, yi, s);
        }
}

/* ------------------------------------------------------------------------------------ */
/* Gemm                                                                                 */

/* Known-or-not dims agree: two known dims must be equal. */
static bool dims_clash(int64_t a, int64_t b)
{
    return a >= 0 && b >= 0 && a != b;
}

ert_status ert_infer_gemm(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 3);
    if (s)
        return s;
    const ert_tensor *A = k->in[0], *B = k->in[1], *C = ert_in(k, 2);
    if (k->version < 11 && !C)
        return ert_op_fail(k, ERT_ERR_PARSE, "input C is required before opset 11");
    if (A->dtype != B->dtype)
        return ert_op_fail(k, ERT_ERR_PARSE, "A is %s but B is %s; they must match",
                           ert_dtype_name(A->dtype), ert_dtype_name(B->dtype));
    if (!gemm_dtype_ok(A->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported",
                           ert_dtype_name(A->dtype));
    ert_tensor *Y = k->out[0];
    Y->dtype = A->dtype;
    if (A->rank < 0 || B->rank < 0) {
        Y->rank = 2; /* Gemm output is always 2-D */
        Y->dims[0] = A->rank == 2 ? A->dims[ert_attr_int(k->node, "transA", 0) ? 1 : 0]
                                  : ERT_DIM_UNKNOWN;
        Y->dims[1] = B->rank == 2 ? B->dims[ert_attr_int(k->node, "transB", 0) ? 0 : 1]
                                  : ERT_DIM_UNKNOWN;
        return ERT_OK;
    }
    if (A->rank != 2 || B->rank != 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "A and B must be 2-D, got rank %d and %d", A->rank,
                           B->rank);
    bool ta = ert_attr_int(k->node, "transA", 0) != 0;
    bool tb = ert_attr_int(k->node, "transB", 0) != 0;
    int64_t M = A->dims[ta ? 1 : 0], Ka = A->dims[ta ? 0 : 1];
    int64_t Kb = B->dims[tb ? 1 : 0], N = B->dims[tb ? 0 : 1];
    if (dims_clash(Ka, Kb))
        return ert_op_fail(k, ERT_ERR_SHAPE,
                           "inner dimensions differ: A gives K=%lld, B gives K=%lld (check "
                           "transA/transB)", (long long)Ka, (long long)Kb);
    if (C && C->rank >= 0) {
        if (C->dtype != A->dtype)
            return ert_op_fail(k, ERT_ERR_PARSE, "C is %s but A is %s; they must match",
                               ert_dtype_name(C->dtype), ert_dtype_name(A->dtype));
        if (C->rank > 2)
            return ert_op_fail(k, ERT_ERR_SHAPE, "C has rank %d, at most 2 allowed", C->rank);
        int64_t out[2] = {M, N};
        for (int d = 0; d < C->rank; d++) {
            int64_t c = C->dims[d], o = out[2 - C->rank + d];
            if (c >= 0 && c != 1 && dims_clash(c, o))
                return ert_op_fail(k, ERT_ERR_SHAPE,
                                   "C dim %d is %lld, cannot broadcast to output dim %lld", d,
                                   (long long)c, (long long)o);
        }
    }
    int64_t dims[2] = {M, N};
    ert_tensor_set_shape(Y, 2, dims);
    return ERT_OK;
}

ert_status ert_run_gemm(ert_kctx *k)
{
    const ert_tensor *A = k->in[0], *B = k->in[1], *C = ert_in(k, 2);
    ert_tensor *Y = k->out[0];
    bool ta = ert_attr_int(k->node, "transA", 0) != 0;
    bool tb = ert_attr_int(k->node, "transB", 0) != 0;
    float alpha = ert_attr_float(k->node, "alpha", 1.0f);
    float beta = ert_attr_float(k->node, "beta", 1.0f);
    int64_t M = Y->dims[0], N = Y->dims[1];
    int64_t K = A->dims[ta ? 0 : 1];
    /* element strides of op(A) [M,K] and op(B) [K,N] */
    int64_t a_rs = ta ? 1 : A->dims[1], a_cs = ta ? A->dims[1] : 1;
    int64_t b_rs = tb ? 1 : B->dims[1], b_cs = tb ? B->dims[1] : 1;
    ert_dtype dt = Y->dtype;
    bool have_c = C && beta != 0.0f;
    if (have_c) {
        /* Y = beta * C broadcast (unidirectional: C's dims are 1 or equal) */
        int64_t cs[2];
        ert_bcast_strides(C, 2, Y->dims, cs);
        for (int d = 0; d < C->rank; d++) {
            int64_t c = C->dims[d], o = Y->dims[2 - C->rank + d];
            if (c != 1 && c != o)
                return ert_op_fail(k, ERT_ERR_SHAPE,
                                   "C dim %d is %lld, cannot broadcast to output dim %lld", d,
                                   (long long)c, (long long)o);
        }
        for (int64_t i = 0; i < M; i++)
            for (int64_t j = 0; j < N; j++) {
                int64_t ci = i * cs[0] + j * cs[1];
                if (dt == ERT_DTYPE_FLOAT32)
                    ((float *)Y->data)[i * N + j] = beta * ((const float *)C->data)[ci];
                else if (ert_dtype_is_int(dt))
                    ert_store_i64(dt, Y->data, i * N + j,
                                  (int64_t)((uint64_t)(int64_t)beta *
                                            (uint64_t)ert_load_i64(dt, C->data, ci)));
                else
                    ert_store_f64(dt, Y->data, i * N + j,
                                  (double)beta * ert_load_f64(dt, C->data, ci));
            }
    }
    if (dt == ERT_DTYPE_FLOAT32) {
        ert_status s = ert_sgemm_ref(M, N, K, alpha, A->data, a_rs, a_cs, B->data, b_rs, b_cs,
                                     Y->data, N, have_c);
        if (s)
            return ert_op_fail(k, s, "out of memory for a %lldx%lld GEMM block", (long long)GEMM_KC,
                               (long long)GEMM_NC);
        return ERT_OK;
    }
    gemm_generic(dt, M, N, K, alpha, A->data, 0, a_rs, a_cs, B->data, 0, b_rs, b_cs, Y->data, 0,
                 have_c);
    return ERT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* MatMul (numpy matmul semantics)                                                       */

/* Output shape of numpy matmul of A and B (dtype left to the caller). */
static ert_status matmul_shape(ert_kctx *k, const ert_tensor *A, const ert_tensor *B, ert_tensor *Y)
{
    if (A->rank < 0 || B->rank < 0) {
        Y->rank = -1;
        return ERT_OK;
    }
    if (A->rank == 0 || B->rank == 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "operands must have rank >= 1, got %d and %d",
                           A->rank, B->rank);
    /* A as [.., M, K], B as [.., K, N]; 1-D operands promoted */
    int64_t Ka = A->dims[A->rank - 1];
    int64_t Kb = B->rank == 1 ? B->dims[0] : B->dims[B->rank - 2];
    if (dims_clash(Ka, Kb))
        return ert_op_fail(k, ERT_ERR_SHAPE,
                           "inner dimensions differ: A's last dim is %lld, B's K dim is %lld",
                           (long long)Ka, (long long)Kb);
    ert_tensor ba, bb, bo;
    memset(&ba, 0, sizeof ba);
    memset(&bb, 0, sizeof bb);
    memset(&bo, 0, sizeof bo);
    ba.rank = A->rank > 2 ? A->rank - 2 : 0;
    bb.rank = B->rank > 2 ? B->rank - 2 : 0;
    memcpy(ba.dims, A->dims, sizeof(int64_t) * (size_t)ba.rank);
    memcpy(bb.dims, B->dims, sizeof(int64_t) * (size_t)bb.rank);
    const ert_tensor *bt[2] = {&ba, &bb};
    ert_status s = ert_broadcast_shapes(k, 2, bt, &bo);
    if (s)
        return s;
    int rank = bo.rank;
    int64_t dims[ERT_MAX_RANK];
    memcpy(dims, bo.dims, sizeof(int64_t) * (size_t)rank);
    if (A->rank >= 2)
        dims[rank++] = A->dims[A->rank - 2];
    if (B->rank >= 2)
        dims[rank++] = B->dims[B->rank - 1];
    if (rank > ERT_MAX_RANK)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "output rank %d exceeds %d", rank, ERT_MAX_RANK);
    ert_tensor_set_shape(Y, rank, dims);
    return ERT_OK;
}

/* Iteration over the broadcast batch of a matmul: the element offsets of each batch's
 * A matrix [M,K], B matrix [K,N] and Y matrix [M,N]. */
typedef struct matmul_batches {
    int64_t M, N, K;
    int brank;                      /* output batch rank */
    int64_t dims[ERT_MAX_RANK];     /* output batch dims */
    int64_t as[ERT_MAX_RANK];       /* A's element stride per batch dim (0: broadcast) */
    int64_t bs[ERT_MAX_RANK];
    int64_t count;                  /* number of batches */
} matmul_batches;

static void matmul_batches_init(matmul_batches *mb, const ert_tensor *A, const ert_tensor *B,
                                const ert_tensor *Y)
{
    mb->M = A->rank >= 2 ? A->dims[A->rank - 2] : 1;
    mb->K = A->dims[A->rank - 1];
    mb->N = B->rank >= 2 ? B->dims[B->rank - 1] : 1;
    mb->brank = Y->rank - (A->rank >= 2) - (B->rank >= 2);
    memcpy(mb->dims, Y->dims, sizeof(int64_t) * (size_t)mb->brank);
    const ert_tensor *ops[2] = {A, B};
    int64_t *strides[2] = {mb->as, mb->bs};
    int64_t mat[2] = {mb->M * mb->K, mb->K * mb->N};
    for (int o = 0; o < 2; o++) {
        int nb = ops[o]->rank > 2 ? ops[o]->rank - 2 : 0;
        int64_t st = mat[o];
        for (int d = mb->brank - 1; d >= 0; d--) {
            int od = d - (mb->brank - nb);
            if (od < 0) {
                strides[o][d] = 0;
                continue;
            }
            strides[o][d] = ops[o]->dims[od] == 1 ? 0 : st;
            st *= ops[o]->dims[od];
        }
    }
    mb->count = 1;
    for (int d = 0; d < mb->brank; d++)
        mb->count *= mb->dims[d];
}

/* Advances the batch odometer idx and the A/B offsets to the next batch. */
static void matmul_batches_next(const matmul_batches *mb, int64_t *idx, int64_t *a_off,
                                int64_t *b_off)
{
    for (int d = mb->brank - 1; d >= 0; d--) {
        idx[d]++;
        *a_off += mb->as[d];
        *b_off += mb->bs[d];
        if (idx[d] < mb->dims[d])
            return;
        *a_off -= mb->as[d] * idx[d];
        *b_off -= mb->bs[d] * idx[d];
        idx[d] = 0;
    }
}

ert_status ert_infer_matmul(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 2);
    if (s)
        return s;
    const ert_tensor *A = k->in[0], *B = k->in[1];
    if (A->dtype != B->dtype)
        return ert_op_fail(k, ERT_ERR_PARSE, "A is %s but B is %s; they must match",
                           ert_dtype_name(A->dtype), ert_dtype_name(B->dtype));
    if (!gemm_dtype_ok(A->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported",
                           ert_dtype_name(A->dtype));
    k->out[0]->dtype = A->dtype;
    return matmul_shape(k, A, B, k->out[0]);
}

ert_status ert_run_matmul(ert_kctx *k)
{
    const ert_tensor *A = k->in[0], *B = k->in[1];
    ert_tensor *Y = k->out[0];
    ert_dtype dt = Y->dtype;
    matmul_batches mb;
    matmul_batches_init(&mb, A, B, Y);
    int64_t M = mb.M, N = mb.N, K = mb.K;
    int64_t idx[ERT_MAX_RANK] = {0};
    int64_t a_off = 0, b_off = 0;
    for (int64_t bi = 0; bi < mb.count; bi++) {
        int64_t y_off = bi * M * N;
        if (dt == ERT_DTYPE_FLOAT32) {
            ert_status s = ert_sgemm_ref(M, N, K, 1.0f, (const float *)A->data + a_off, K, 1,
                                         (const float *)B->data + b_off, N, 1,
                                         (float *)Y->data + y_off, N, false);
            if (s)
                return ert_op_fail(k, s, "out of memory for a GEMM block");
        } else {
            gemm_generic(dt, M, N, K, 1.0, A->data, a_off, K, 1, B->data, b_off, N, 1, Y->data,
                         y_off, false);
        }
        matmul_batches_next(&mb, idx, &a_off, &b_off);
    }
    return ERT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* MatMulInteger: int32 Y = (A - a_zero_point) x (B - b_zero_point), A/B int8 or uint8.  */

static bool is_8bit(ert_dtype t)
{
    return t == ERT_DTYPE_INT8 || t == ERT_DTYPE_UINT8;
}

ert_status ert_infer_matmul_integer(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 4);
    if (s)
        return s;
    const ert_tensor *A = k->in[0], *B = k->in[1];
    const ert_tensor *za = ert_in(k, 2), *zb = ert_in(k, 3);
    if (!is_8bit(A->dtype) || !is_8bit(B->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "A and B must be int8 or uint8, got %s and %s",
                           ert_dtype_name(A->dtype), ert_dtype_name(B->dtype));
    if ((za && za->dtype != A->dtype) || (zb && zb->dtype != B->dtype))
        return ert_op_fail(k, ERT_ERR_PARSE, "zero points must have the dtype of A and B");
    k->out[0]->dtype = ERT_DTYPE_INT32;
    return matmul_shape(k, A, B, k->out[0]);
}

/* Zero point for row/column i: scalar (1 element) or one per row of A / column of B. */
static ert_status zero_points(ert_kctx *k, const ert_tensor *z, int64_t n, const char *what,
                              int32_t **out)
{
    *out = ert_tmp_calloc((size_t)(n ? n : 1), sizeof(int32_t));
    if (!*out)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    if (!z)
        return ERT_OK;
    int64_t cnt = ert_tensor_numel(z);
    if (cnt != 1 && cnt != n) {
        ert_tmp_free(*out);
        *out = NULL;
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "%s has %lld elements; edgert supports 1 (per tensor) or %lld "
                           "(per %s)", what, (long long)cnt, (long long)n,
                           what[0] == 'a' ? "row of A" : "column of B");
    }
    for (int64_t i = 0; i < n; i++)
        (*out)[i] = (int32_t)ert_load_i64(z->dtype, z->data, cnt == 1 ? 0 : i);
    return ERT_OK;
}

ert_status ert_run_matmul_integer(ert_kctx *k)
{
    const ert_tensor *A = k->in[0], *B = k->in[1];
    ert_tensor *Y = k->out[0];
    matmul_batches mb;
    matmul_batches_init(&mb, A, B, Y);
    int64_t M = mb.M, N = mb.N, K = mb.K;
    int32_t *za, *zb;
    ert_status s = zero_points(k, ert_in(k, 2), M, "a_zero_point", &za);
    if (s)
        return s;
    s = zero_points(k, ert_in(k, 3), N, "b_zero_point", &zb);
    if (s) {
        ert_tmp_free(za);
        return s;
    }
    int32_t *y = Y->data;
    int64_t idx[ERT_MAX_RANK] = {0};
    int64_t a_off = 0, b_off = 0;
    for (int64_t bi = 0; bi < mb.count; bi++) {
        int32_t *yb = y + bi * M * N;
        memset(yb, 0, sizeof(int32_t) * (size_t)(M * N));
        for (int64_t i = 0; i < M; i++)
            for (int64_t p = 0; p < K; p++) {
                int32_t a = (int32_t)ert_load_i64(A->dtype, A->data, a_off + i * K + p) - za[i];
                for (int64_t j = 0; j < N; j++)
                    yb[i * N + j] += a * ((int32_t)ert_load_i64(B->dtype, B->data,
                                                                 b_off + p * N + j) - zb[j]);
            }
        matmul_batches_next(&mb, idx, &a_off, &b_off);
    }
    ert_tmp_free(za);
    ert_tmp_free(zb);
    return ERT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* Det: determinant of each [M, M] matrix of a [*, M, M] tensor (LU, partial pivoting). */

ert_status ert_infer_det(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, 1);
    if (s)
        return s;
    const ert_tensor *X = k->in[0];
    ert_tensor *Y = k->out[0];
    if (!ert_dtype_is_float(X->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported (float types only)",
                           ert_dtype_name(X->dtype));
    Y->dtype = X->dtype;
    if (X->rank < 0) {
        Y->rank = -1;
        return ERT_OK;
    }
    if (X->rank < 2 || dims_clash(X->dims[X->rank - 1], X->dims[X->rank - 2]))
        return ert_op_fail(k, ERT_ERR_SHAPE, "input must be [*, M, M] (square matrices)");
    ert_tensor_set_shape(Y, X->rank - 2, X->dims);
    return ERT_OK;
}

ert_status ert_run_det(ert_kctx *k)
{
    const ert_tensor *X = k->in[0];
    ert_tensor *Y = k->out[0];
    int64_t M = X->dims[X->rank - 1];
    int64_t nb = ert_tensor_numel(Y);
    double *a = ert_tmp_alloc(sizeof(double) * (size_t)(M > 0 ? M * M : 1));
    if (!a)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for a %lldx%lld matrix",
                           (long long)M, (long long)M);
    for (int64_t b = 0; b < nb; b++) {
        for (int64_t i = 0; i < M * M; i++)
            a[i] = ert_load_f64(X->dtype, X->data, b * M * M + i);
        double det = 1.0;
        for (int64_t c = 0; c < M && det != 0.0; c++) {
            int64_t piv = c;
            for (int64_t r = c + 1; r < M; r++)
                if (fabs(a[r * M + c]) > fabs(a[piv * M + c]))
                    piv = r;
            if (a[piv * M + c] == 0.0) {
                det = 0.0;
                break;
            }
            if (piv != c) {
                for (int64_t j = 0; j < M; j++) {
                    double t = a[c * M + j];
                    a[c * M + j] = a[piv * M + j];
                    a[piv * M + j] = t;
                }
                det = -det;
            }
            det *= a[c * M + c];
            for (int64_t r = c + 1; r < M; r++) {
                double f = a[r * M + c] / a[c * M + c];
                for (int64_t j = c; j < M; j++)
                    a[r * M + j] -= f * a[c * M + j];
            }
        }
        ert_store_f64(Y->dtype, Y->data, b, det);
    }
    ert_tmp_free(a);
    return ERT_OK;
}
