/*
 * gemm.h - float32 GEMM entry points shared by op families (MatMul/Gemm, Attention,
 * Conv's GEMM kernels).
 *
 * Two routines:
 *   ert_sgemm_ref     portable strided reference (implemented in src/ops/matmul.c), the
 *                     oracle of the fast path and what MatMul/Attention use today.
 *   ert_sgemm_packed  BLIS-style packed SGEMM with one register-blocked micro-kernel per
 *                     ISA (sgemm_ref.c, sgemm_avx2.c, sgemm_avx512.c; driver: sgemm.c).
 *                     A is packed once (conv weights: at load) into MR-row panels; B is
 *                     packed per cache block into the caller's workspace (no malloc in the
 *                     run path), or once at load when constant (ert_sgemm_pack_b); a
 *                     fused epilogue y = act(acc + bias[row] + R) is applied while the
 *                     C tile is in registers.
 *
 * Packed A layout (ert_sgemm_pack_a): ceil(M / mr) panels, panel i holds rows
 * [i*mr, i*mr + mr) as K consecutive groups of mr floats (row r of k at [k*mr + r]);
 * rows past M are zero. 64-byte aligned when dst is.
 */
#ifndef ERT_GEMM_H
#define ERT_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgert.h"
#include "kernels/act/act.h"
#include "kernels/cpu.h"

struct ert_threadpool;

/* C[M,N] = alpha * A[M,K] * B[K,N] (+ C if accumulate). A and B are read through row and
 * column strides (a_rs, a_cs, b_rs, b_cs, in elements), so transposed operands need no
 * copy; C has leading dimension ldc. Returns ERT_ERR_NO_MEMORY if its packing buffer
 * cannot be allocated (the caller writes the message). */
ert_status ert_sgemm_ref(int64_t M, int64_t N, int64_t K, float alpha, const float *A,
                         int64_t a_rs, int64_t a_cs, const float *B, int64_t b_rs, int64_t b_cs,
                         float *C, int64_t ldc, bool accumulate);

/* ---- packed SGEMM ---- */

/* Register tile of one ISA's micro-kernel. Packed A and the workspace size depend on it,
 * so whoever packs A for level `isa` must run ert_sgemm_packed with the same level. */
typedef struct ert_sgemm_tile {
    int mr;  /* rows of a packed A panel = rows of the micro-tile */
    int nr;  /* columns of a packed B strip = widest micro-tile */
    int vec; /* floats per vector register: the last strip is padded up to a multiple */
} ert_sgemm_tile;

/* The level ert_sgemm_* really use for `isa`: min(isa, ert_cpu_get()->best), mapped to
 * one with a micro-kernel (GENERIC on non-x86). */
ert_isa ert_sgemm_isa(ert_isa isa);
ert_sgemm_tile ert_sgemm_tile_of(ert_isa isa);

/* Floats of packed A (M x K) for level isa (a multiple of 16: panels stay aligned). */
size_t ert_sgemm_packed_a_floats(ert_isa isa, int64_t M, int64_t K);
/* Packs A[i][k] = A[i * a_rs + k * a_cs] into dst (ert_sgemm_packed_a_floats floats). */
void ert_sgemm_pack_a(ert_isa isa, int64_t M, int64_t K, const float *A, int64_t a_rs,
                      int64_t a_cs, float *dst);
/* The same times alpha (alpha * A[i][k], one rounding). Full panels of an A contiguous
 * along K go through the level's register transpose (AVX2, AVX-512): A packed every run
 * (MatMul / Gemm on activations) costs ~1 instruction per element instead of ~8. */
void ert_sgemm_pack_a_scaled(ert_isa isa, int64_t M, int64_t K, const float *A, int64_t a_rs,
                             int64_t a_cs, float alpha, float *dst);

/* Where B comes from. Plain: B[k][n] = data[k * ld + n] (row-major K x N), read in
 * place. Generated (row != NULL; data/ld unused): row(ctx, k, n0, nc, buf) returns a
 * pointer to the nc values B[k][n0 .. n0+nc), either into its own storage or written
 * into buf (room for nc floats, inside the workspace). Conv's im2col kernel generates
 * its rows from the image this way, one K block at a time, so no im2col matrix is ever
 * materialised. */
typedef const float *(*ert_sgemm_row_fn)(const void *ctx, int64_t k, int64_t n0, int64_t nc,
                                         float *buf);
typedef struct ert_sgemm_b {
    const float *data;    /* plain B */
    int64_t ld;           /* its leading dimension (>= N) */
    ert_sgemm_row_fn row; /* generated B, or NULL */
    const void *ctx;      /* row's argument */
    const float *packed;  /* B packed by ert_sgemm_pack_b for this level and K, N (the
                           * other fields unused), or NULL */
} ert_sgemm_b;

/* Pre-packed B (a constant B packed once at load: no copy per run, and the micro-kernel
 * streams each strip from contiguous memory instead of K rows at B's stride): strips of
 * nr columns, strip s at dst + s * K * nr holding K rows of its width rounded up to vec
 * (zero-padded), as the micro-kernel reads them. Source B[k][n] = B[k * b_rs + n * b_cs]
 * (b_rs = 1, b_cs = K reads a transposed B). ert_sgemm_packed_b_floats: floats of dst. */
size_t ert_sgemm_packed_b_floats(ert_isa isa, int64_t K, int64_t N);
void ert_sgemm_pack_b(ert_isa isa, int64_t K, int64_t N, const float *B, int64_t b_rs,
                      int64_t b_cs, float *dst);

/* Epilogue applied once per output element, in this order:
 *   y = act(acc + bias[i] + R[i * ldr + j]).
 * RELU, CLIP, LEAKY_RELU and PRELU run inside the micro-kernel; other kinds are applied
 * to each finished tile row (still in L1) by ert_act_f32_isa. PRelu/act channel of row
 * i is act_row0 + i (a per-group GEMM passes the group's first output channel). */
typedef struct ert_sgemm_epilogue {
    const float *bias;     /* M values, or NULL */
    const float *residual; /* R[M, N], or NULL. May be C itself (R == C, ldr == ldc:
                            * an in-place residual add); any other overlap with C is
                            * wrong (C holds partial sums between K blocks) */
    int64_t ldr;           /* R's leading dimension */
    ert_act_params act;    /* kind NONE: no activation */
    int64_t act_row0;      /* channel of row 0 */
} ert_sgemm_epilogue;

/* Workspace bytes ert_sgemm_packed needs for these sizes with n_threads threads (one
 * 64-byte aligned slice per thread: one packed or generated B block). */
size_t ert_sgemm_ws_bytes(ert_isa isa, int64_t M, int64_t N, int64_t K, int n_threads);

/* C[M,N] = epilogue(packed_a * B); C has leading dimension ldc (>= N), ep may be NULL.
 * M, N, K >= 0 (K == 0 gives the epilogue of zero). Tasks (blocks of rows x columns)
 * are spread over pool; ws (ws_bytes, 64-byte aligned) must hold ert_sgemm_ws_bytes for
 * at least one thread: with fewer slices than the pool's threads the tasks run on the
 * calling thread. Never allocates. */
void ert_sgemm_packed(ert_isa isa, int64_t M, int64_t N, int64_t K, const float *packed_a,
                      const ert_sgemm_b *b, float *C, int64_t ldc, const ert_sgemm_epilogue *ep,
                      void *ws, size_t ws_bytes, struct ert_threadpool *pool);

#endif /* ERT_GEMM_H */
