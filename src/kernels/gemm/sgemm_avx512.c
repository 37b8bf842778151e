/*
 * sgemm_avx512.c - AVX-512 micro-kernel of the packed SGEMM (contract: sgemm_ukr.h).
 *
 * Tile 8 x 48 (three zmm columns): 24 accumulators + 3 B vectors + 1 broadcast of the 32
 * zmm registers. Per k: 3 B loads, 8 broadcasts, 24 FMAs: 0.46 loads per FMA, so the
 * two FMA pipes of Zen 4/5 and Xeon are the limit, not the load ports. MR = 8 divides
 * every channel count of common CNNs (14 x 32 computes 70 rows for M = 64). Measured on
 * Zen 5 (one thread, thread CPU time, the final driver; GFLOP/s for 64x3136x256 /
 * 128x784x1152 / 256x196x2304 / 512x49x2048, two runs):
 *   8x48   221-227 / 219-229 / 202-211 / 200    14x32  197-207 / 195-213 / 182-197 / 165
 *   12x32  193-202 / 205-226 / 194-198 / 165    6x64   215-222 / 208-231 / 194-196 / 163
 * (the 49-wide case gains from the column kernels, which need 8 rows). Narrow last strips
 * use 1- or 2-column variants (sw = 16, 32). A 49th column (7x7 maps) is computed in the
 * full strip's call (ukr_body's tail); other 1-4 leftover columns (N = 196) use column
 * kernels (below) that cost a few FMAs per k instead of a 16-wide vector's 8.
 * SGEMM512_MR / SGEMM512_NV override the tile for such experiments.
 */
#include <immintrin.h>

#include "kernels/gemm/pack_x86.h"
#include "kernels/gemm/sgemm_ukr.h"

#ifndef SGEMM512_MR
#define SGEMM512_MR 8
#endif
#ifndef SGEMM512_NV
#define SGEMM512_NV 3
#endif
#define VL 16
/* The tail column's 8 rows fit one ymm, and 3 vectors leave the registers for it. */
#define SGEMM512_TAIL1 (SGEMM512_MR == 8 && SGEMM512_NV == 3)

/* Stores the tile with the epilogue: accumulation into C (K blocks after the first),
 * then on the last block bias, residual, Relu/Clip (lo / hi are -inf / inf without a
 * clamp: max and min then return x, NaN too) and the PRelu / LeakyRelu slope. The flags
 * are read once per tile into locals: a store through a float pointer may alias the
 * argument block, so a loop testing p->... re-read and re-tested every field for each of
 * the 24 vectors (~20 instructions each, a third of the time of a 16-deep tile). */
static inline __attribute__((always_inline)) void store_tile(const sgemm_ukr_args *p,
                                                             __m512 (*acc)[SGEMM512_NV], int nv)
{
    const float *bias = p->last ? p->bias : NULL, *res = p->last ? p->res : NULL;
    const float *slope = p->last ? p->slope : NULL;
    const int64_t slope_step = p->slope_step;
    const int64_t ldr = p->ldr;
    const bool clamp = p->last && p->clamp, accum = p->accumulate;
    const __m512 lo = _mm512_set1_ps(clamp ? p->lo : -__builtin_inff());
    const __m512 hi = _mm512_set1_ps(clamp ? p->hi : __builtin_inff());
    float *c = p->c;
    const int64_t ldc = p->ldc;
    const int m = p->m;
    __mmask16 mk[SGEMM512_NV];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        int cols = p->n - v * VL;
        mk[v] = cols >= VL ? (__mmask16)0xFFFF : cols <= 0 ? 0 : (__mmask16)((1u << cols) - 1);
    }
#pragma GCC unroll 16
    for (int r = 0; r < SGEMM512_MR; r++) {
        if (r >= m)
            break;
        const __m512 b = _mm512_set1_ps(bias ? bias[r] : 0.0f);
        const __m512 sl = _mm512_set1_ps(slope ? slope[r * slope_step] : 1.0f);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            float *cp = c + r * ldc + v * VL;
            __m512 x = accum ? _mm512_add_ps(acc[r][v], _mm512_maskz_loadu_ps(mk[v], cp))
                             : acc[r][v];
            x = bias ? _mm512_add_ps(x, b) : x;
            if (res)
                x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(mk[v], res + r * ldr + v * VL));
            x = _mm512_min_ps(hi, _mm512_max_ps(lo, x));
            if (slope)
                x = _mm512_mask_mul_ps(
                    x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), x, sl);
            _mm512_mask_storeu_ps(cp, mk[v], x);
        }
    }
}

/* The scalar epilogue of column j of rows [0, m) from t[r] (the tail column). */
static void store_col(const sgemm_ukr_args *p, int j, const float *t);

/* tail: one more column than the nv vectors hold (n = nv * VL + 1, a 49-wide N), at
 * b[nv * VL] of each row, its 8 rows in one ymm: one FMA per k instead of a column
 * kernel streaming the A panel again (16% of a 512x49x4608 GEMM's time). */
static inline __attribute__((always_inline)) void ukr_body(const sgemm_ukr_args *p, int nv,
                                                           bool tail)
{
    enum { MR = SGEMM512_MR, NV = SGEMM512_NV };
    sgemm_prefetch_tile(p, nv * VL);
    __m512 acc[MR][NV];
    __m256 acc_t = _mm256_setzero_ps();
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[r][v] = _mm512_setzero_ps();
    const float *a = p->a, *b = p->b;
    int64_t sw = p->ldb;
    const bool strided = sw != p->sw; /* a plain B's rows in place (sgemm_prefetch_b) */
    /* Rows past the block's end: the next strip's rows instead (a shallow K reads all
     * of its strip's rows before the next one is fetched otherwise). A block shallower
     * than the distance (1x1 convs with 16 input channels) prefetches the next strip's
     * row k: SGEMM_PF_B_ROWS ahead would point past B's last row. */
    const int64_t ahead = p->kc < SGEMM_PF_B_ROWS ? p->kc : SGEMM_PF_B_ROWS;
    const int64_t wrap = p->kc - ahead, pf_next = nv * VL - p->kc * sw;
    for (int64_t k = 0; k < p->kc; k++) {
        __m512 bv[NV];
        if (strided) {
            const float *pf = b + ahead * sw + (k >= wrap ? pf_next : 0);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                _mm_prefetch((const char *)(pf + v * VL), _MM_HINT_T0);
        }
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            bv[v] = _mm512_loadu_ps(b + v * VL);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            __m512 ar = _mm512_set1_ps(a[r]);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm512_fmadd_ps(ar, bv[v], acc[r][v]);
        }
        if (tail)
            acc_t = _mm256_fmadd_ps(_mm256_loadu_ps(a), _mm256_set1_ps(b[nv * VL]), acc_t);
        /* one prefetch per 64-byte line of A (two k): a prefetch every k took a load
         * slot for nothing (Intel Xeon, ResNet-50's GEMM shapes: +3-4%) */
        if (k & 1)
            _mm_prefetch((const char *)(a + SGEMM_PF_A_FLOATS), _MM_HINT_T0);
        a += MR;
        b += sw;
    }
    store_tile(p, acc, nv);
    if (tail) {
        float t[8];
        _mm256_storeu_ps(t, acc_t);
        store_col(p, nv * VL, t);
    }
}

static void ukr_nv1(const sgemm_ukr_args *p)
{
    ukr_body(p, 1, false);
}

static void ukr_nv2(const sgemm_ukr_args *p)
{
    ukr_body(p, 2, false);
}

#if SGEMM512_NV > 2
static void ukr_nv3(const sgemm_ukr_args *p)
{
    ukr_body(p, 3, false);
}
#endif

#if SGEMM512_TAIL1
static void ukr_nv3_tail(const sgemm_ukr_args *p)
{
    ukr_body(p, 3, true);
}
#endif

#if SGEMM512_NV > 3
static void ukr_nv4(const sgemm_ukr_args *p)
{
    ukr_body(p, 4, false);
}
#endif

/* ---- narrow remainder: n <= 4 columns of an 8-row tile ----
 * The 16-wide variant would spend 8 zmm FMAs per k on one useful column (a 49-wide N:
 * a quarter of the row panel's time). Here the tile is computed by columns instead:
 * acc[u][j] (ymm: the 8 rows) += A_k * B[k][j], four partial sums over k so even one
 * column keeps four FMA chains in flight; then a scalar epilogue per element. */

/* One element of the epilogue, the scalar form of store_tile's. */
static inline float epilogue1(const sgemm_ukr_args *p, int r, int j, float x, const float *c)
{
    if (p->accumulate)
        x += *c;
    if (!p->last)
        return x;
    if (p->bias)
        x += p->bias[r];
    if (p->res)
        x += p->res[r * p->ldr + j];
    if (p->clamp) {
        x = x < p->lo ? p->lo : x; /* NaN compares false: passes through */
        x = x > p->hi ? p->hi : x;
    }
    if (p->slope && x < 0.0f)
        x *= p->slope[r * p->slope_step];
    return x;
}

static void store_col(const sgemm_ukr_args *p, int j, const float *t)
{
    for (int r = 0; r < p->m; r++) {
        float *c = p->c + r * p->ldc + j;
        *c = epilogue1(p, r, j, t[r], c);
    }
}

static inline __attribute__((always_inline)) void cols_body(const sgemm_ukr_args *p, int n)
{
    __m256 acc[4][4];
#pragma GCC unroll 4
    for (int u = 0; u < 4; u++)
#pragma GCC unroll 4
        for (int j = 0; j < n; j++)
            acc[u][j] = _mm256_setzero_ps();
    const float *a = p->a, *b = p->b;
    int64_t sw = p->ldb, k = 0;
    for (; k + 4 <= p->kc; k += 4, a += 32, b += 4 * sw) {
        _mm_prefetch((const char *)(a + SGEMM_PF_A_FLOATS), _MM_HINT_T0);
        _mm_prefetch((const char *)(a + SGEMM_PF_A_FLOATS + 16), _MM_HINT_T0);
#pragma GCC unroll 4
        for (int u = 0; u < 4; u++) {
            __m256 av = _mm256_loadu_ps(a + u * 8);
#pragma GCC unroll 4
            for (int j = 0; j < n; j++)
                acc[u][j] = _mm256_fmadd_ps(av, _mm256_set1_ps(b[u * sw + j]), acc[u][j]);
        }
    }
    for (; k < p->kc; k++, a += 8, b += sw)
#pragma GCC unroll 4
        for (int j = 0; j < n; j++)
            acc[0][j] = _mm256_fmadd_ps(_mm256_loadu_ps(a), _mm256_set1_ps(b[j]), acc[0][j]);
#pragma GCC unroll 4
    for (int j = 0; j < n; j++) {
        float t[8];
        _mm256_storeu_ps(t, _mm256_add_ps(_mm256_add_ps(acc[0][j], acc[1][j]),
                                          _mm256_add_ps(acc[2][j], acc[3][j])));
        store_col(p, j, t);
    }
}

static void ukr_cols1(const sgemm_ukr_args *p)
{
    cols_body(p, 1);
}

static void ukr_cols2(const sgemm_ukr_args *p)
{
    cols_body(p, 2);
}

static void ukr_cols3(const sgemm_ukr_args *p)
{
    cols_body(p, 3);
}

static void ukr_cols4(const sgemm_ukr_args *p)
{
    cols_body(p, 4);
}

/* The column kernels hold the 8 rows in one ymm: only for the 8-row tile. */
static bool narrow_cols(const sgemm_ukr_args *p)
{
    if (SGEMM512_MR != 8 || p->n > 4)
        return false;
    switch (p->n) {
    case 1: ukr_cols1(p); break;
    case 2: ukr_cols2(p); break;
    case 3: ukr_cols3(p); break;
    default: ukr_cols4(p); break;
    }
    return true;
}

static void ukr_avx512(const sgemm_ukr_args *p)
{
    if (narrow_cols(p))
        return;
#if SGEMM512_TAIL1
    if (p->n == p->sw + 1) { /* the tail column (sgemm_ukr.h) */
        ukr_nv3_tail(p);
        return;
    }
#endif
    switch ((p->sw + VL - 1) / VL) {
    case 1: ukr_nv1(p); break;
#if SGEMM512_NV > 2
    case 3: ukr_nv3(p); break;
#endif
#if SGEMM512_NV > 3
    case 4: ukr_nv4(p); break;
#endif
    default: ukr_nv2(p); break;
    }
}

static void pack_panel_avx512(const float *a, int64_t a_rs, int64_t K, float alpha,
                              float *panel)
{
    sgemm_pack_panel_x86(a, a_rs, K, alpha, panel, SGEMM512_MR);
}

const sgemm_impl ert_sgemm_impl_avx512 = {{SGEMM512_MR, SGEMM512_NV * VL, VL}, ukr_avx512,
                                         SGEMM512_TAIL1,
                                         SGEMM512_MR <= 8 ? pack_panel_avx512 : NULL};
