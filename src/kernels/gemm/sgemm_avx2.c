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

/* Stores the tile with the epilogue (accumulation into C, then on the last K block bias,
 * residual, Relu/Clip with lo / hi -inf / inf without a clamp, the slope), its flags
 * read once per tile: stores through float pointers may alias the arguments, so a loop
 * testing p->... re-reads and re-tests them for each vector. */
static inline __attribute__((always_inline)) void store_tile(const sgemm_ukr_args *p,
                                                             __m256 (*acc)[2], int nv)
{
    const float *bias = p->last ? p->bias : NULL, *res = p->last ? p->res : NULL;
    const float *slope = p->last ? p->slope : NULL;
    const int64_t slope_step = p->slope_step;
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
        const __m256 sl = _mm256_set1_ps(slope ? slope[r * slope_step] : 1.0f);
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
            if (slope)
                x = _mm256_blendv_ps(x, _mm256_mul_ps(x, sl),
                                     _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ));
            if (full[v])
                _mm256_storeu_ps(cp, x);
            else
                _mm256_maskstore_ps(cp, mk[v], x);
        }
    }
}

static inline __attribute__((always_inline)) void ukr_body(const sgemm_ukr_args *p, int nv)
{
    enum { NV = 2 };
    sgemm_prefetch_tile(p, nv * 8);
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
    store_tile(p, acc, nv);
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
