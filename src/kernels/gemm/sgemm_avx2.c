/*
 * sgemm_avx2.c - AVX2+FMA micro-kernel of the packed SGEMM (contract: sgemm_ukr.h).
 *
 * Tile 6 x 16 (two ymm columns): 12 accumulators + 2 B vectors + 1 broadcast of the 16
 * ymm registers, the largest tile that does not spill. Per k: 2 B loads, 6 broadcasts,
 * 12 FMAs. A last strip of 8 columns uses the one-column variant.
 */
#include <immintrin.h>

#include "kernels/gemm/pack_x86.h"
#include "kernels/gemm/sgemm_ukr.h"

#define MR 6
#define VL 8

/* Lanes [0, cols) of a ymm (cols in 1..8) as a maskload/maskstore mask. */
static inline __m256i lane_mask(int cols)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(cols), idx);
}

static inline __attribute__((always_inline)) __m256 epilogue(const sgemm_ukr_args *p, int r,
                                                             __m256 x, const float *res,
                                                             __m256i m, bool full)
{
    if (p->bias)
        x = _mm256_add_ps(x, _mm256_broadcast_ss(p->bias + r));
    if (res)
        x = _mm256_add_ps(x, full ? _mm256_loadu_ps(res) : _mm256_maskload_ps(res, m));
    if (p->clamp) /* x second: a NaN passes through, as in the reference */
        x = _mm256_min_ps(_mm256_set1_ps(p->hi), _mm256_max_ps(_mm256_set1_ps(p->lo), x));
    if (p->slope) {
        __m256 neg = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ);
        __m256 sx = _mm256_mul_ps(x, _mm256_set1_ps(p->slope[r * p->slope_step]));
        x = _mm256_blendv_ps(x, sx, neg);
    }
    return x;
}

static inline __attribute__((always_inline)) void store_row(const sgemm_ukr_args *p, int r,
                                                            __m256 *acc, int nv)
{
    float *c = p->c + r * p->ldc;
    const float *res = p->res ? p->res + r * p->ldr : NULL;
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        int cols = p->n - v * VL;
        if (cols <= 0)
            break;
        bool full = cols >= VL;
        __m256i m = lane_mask(cols);
        __m256 x = acc[v];
        if (p->accumulate)
            x = _mm256_add_ps(x, full ? _mm256_loadu_ps(c + v * VL)
                                      : _mm256_maskload_ps(c + v * VL, m));
        if (p->last)
            x = epilogue(p, r, x, res ? res + v * VL : NULL, m, full);
        if (full)
            _mm256_storeu_ps(c + v * VL, x);
        else
            _mm256_maskstore_ps(c + v * VL, m, x);
    }
}

/* The common epilogue with its flags read once per tile, not once per vector (stores
 * through float pointers may alias the arguments, so store_row re-reads and re-tests
 * them): accumulation into C, bias, residual and Relu/Clip (lo / hi are -inf / inf
 * without a clamp: max and min return x, NaN too); slopes take store_row. false: not
 * this case. */
static inline __attribute__((always_inline)) bool store_simple(const sgemm_ukr_args *p,
                                                               __m256 (*acc)[2], int nv)
{
    if (p->last && p->slope)
        return false;
    const float *bias = p->last ? p->bias : NULL, *res = p->last ? p->res : NULL;
    const int64_t ldr = p->ldr;
    const bool clamp = p->last && p->clamp, accum = p->accumulate;
    const __m256 lo = _mm256_set1_ps(clamp ? p->lo : -__builtin_inff());
    const __m256 hi = _mm256_set1_ps(clamp ? p->hi : __builtin_inff());
    float *c = p->c;
    const int64_t ldc = p->ldc;
    const int m = p->m;
    __m256i mk[2];
    bool full[2];
#pragma GCC unroll 2
    for (int v = 0; v < nv; v++) { /* lane_mask(<= 0): no lane, maskstore writes nothing */
        full[v] = p->n - v * VL >= VL;
        mk[v] = lane_mask(p->n - v * VL);
    }
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
        if (r >= m)
            break;
        const __m256 b = _mm256_set1_ps(bias ? bias[r] : 0.0f);
#pragma GCC unroll 2
        for (int v = 0; v < nv; v++) {
            float *cp = c + r * ldc + v * VL;
            __m256 x = acc[r][v];
            if (accum)
                x = _mm256_add_ps(x, full[v] ? _mm256_loadu_ps(cp) : _mm256_maskload_ps(cp, mk[v]));
            x = bias ? _mm256_add_ps(x, b) : x;
            if (res) {
                const float *rp = res + r * ldr + v * VL;
                x = _mm256_add_ps(x, full[v] ? _mm256_loadu_ps(rp) : _mm256_maskload_ps(rp, mk[v]));
            }
            x = _mm256_min_ps(hi, _mm256_max_ps(lo, x));
            if (full[v])
                _mm256_storeu_ps(cp, x);
            else
                _mm256_maskstore_ps(cp, mk[v], x);
        }
    }
    return true;
}

static inline __attribute__((always_inline)) void ukr_body(const sgemm_ukr_args *p, int nv)
{
    enum { NV = 2 };
    __m256 acc[MR][NV];
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            acc[r][v] = _mm256_setzero_ps();
    const float *a = p->a, *b = p->b;
    int64_t sw = p->ldb;
    for (int64_t k = 0; k < p->kc; k++) {
        __m256 bv[NV];
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            bv[v] = _mm256_loadu_ps(b + v * VL);
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            __m256 ar = _mm256_broadcast_ss(a + r);
#pragma GCC unroll 4
            for (int v = 0; v < nv; v++)
                acc[r][v] = _mm256_fmadd_ps(ar, bv[v], acc[r][v]);
        }
        if (k & 1) /* every 48 bytes of A: each 64-byte line at least once */
            _mm_prefetch((const char *)(a + SGEMM_PF_A_FLOATS), _MM_HINT_T0);
        a += MR;
        b += sw;
    }
    if (!store_simple(p, acc, nv))
#pragma GCC unroll 8
        for (int r = 0; r < MR; r++) {
            if (r >= p->m)
                break;
            store_row(p, r, acc[r], nv);
        }
}

static void ukr_nv1(const sgemm_ukr_args *p)
{
    ukr_body(p, 1);
}

static void ukr_nv2(const sgemm_ukr_args *p)
{
    ukr_body(p, 2);
}

static void ukr_avx2(const sgemm_ukr_args *p)
{
    if (p->sw > VL)
        ukr_nv2(p);
    else
        ukr_nv1(p);
}

static void pack_panel_avx2(const float *a, int64_t a_rs, int64_t K, float alpha, float *panel)
{
    sgemm_pack_panel_x86(a, a_rs, K, alpha, panel, MR);
}

const sgemm_impl ert_sgemm_impl_avx2 = {{MR, 2 * VL, VL}, ukr_avx2, false, pack_panel_avx2};
