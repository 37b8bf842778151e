/*
 * gemv_avx2.c - AVX2 matrix-vector kernel (gemv_isa.h).
 *
 * 64 columns (8 ymm accumulators) per pass over K, one broadcast, 8 loads and 8 FMAs
 * per k; then single vectors; the last 1-7 columns through a masked load/store.
 */
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/matmul/gemv_isa.h"

#define VL 8

static inline __m256i tail_mask(int64_t cols)
{
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)cols), idx);
}

static inline __attribute__((always_inline)) void gemv_block(
    int64_t K, int nv, bool masked, __m256i last, const float *x, const float *b,
    int64_t ldb, float alpha, const float *r, float *y)
{
    __m256 acc[8];
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
        acc[v] = _mm256_setzero_ps();
    for (int64_t k = 0; k < K; k++) {
        __m256 xk = _mm256_broadcast_ss(x + k);
        const float *row = b + k * ldb;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            __m256 bv = masked && v == nv - 1 ? _mm256_maskload_ps(row + v * VL, last)
                                              : _mm256_loadu_ps(row + v * VL);
            acc[v] = _mm256_fmadd_ps(xk, bv, acc[v]);
        }
    }
    __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++) {
        __m256 o = _mm256_mul_ps(va, acc[v]);
        if (masked && v == nv - 1) {
            if (r)
                o = _mm256_add_ps(o, _mm256_maskload_ps(r + v * VL, last));
            _mm256_maskstore_ps(y + v * VL, last, o);
        } else {
            if (r)
                o = _mm256_add_ps(o, _mm256_loadu_ps(r + v * VL));
            _mm256_storeu_ps(y + v * VL, o);
        }
    }
}

void ert_gemv_avx2(int64_t K, int64_t n, const float *x, const float *b, int64_t ldb,
                   float alpha, const float *r, float *y)
{
    const __m256i all = _mm256_set1_epi32(-1);
    int64_t j = 0;
    for (; j + 8 * VL <= n; j += 8 * VL)
        gemv_block(K, 8, false, all, x, b + j, ldb, alpha, r ? r + j : NULL, y + j);
    for (; j + VL <= n; j += VL)
        gemv_block(K, 1, false, all, x, b + j, ldb, alpha, r ? r + j : NULL, y + j);
    if (j < n)
        gemv_block(K, 1, true, tail_mask(n - j), x, b + j, ldb, alpha, r ? r + j : NULL,
                   y + j);
}

/* Up to 4 vectors of one packed strip over all of K, even and odd k apart (2 * nv
 * chains: 4 for the 16-wide AVX2 strip). */
static inline __attribute__((always_inline)) void strip_block(
    int64_t K, int nv, int64_t w, const float *x, const float *b, int64_t ldb, float alpha,
    const float *r, float *y)
{
    __m256 e[4], o[4];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++)
        e[v] = o[v] = _mm256_setzero_ps();
    int64_t k = 0;
    for (; k + 2 <= K; k += 2) {
        __m256 x0 = _mm256_broadcast_ss(x + k), x1 = _mm256_broadcast_ss(x + k + 1);
        const float *b0 = b + k * ldb, *b1 = b0 + ldb;
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            e[v] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b0 + v * VL), e[v]);
            o[v] = _mm256_fmadd_ps(x1, _mm256_loadu_ps(b1 + v * VL), o[v]);
        }
    }
    if (k < K) {
        __m256 x0 = _mm256_broadcast_ss(x + k);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            e[v] = _mm256_fmadd_ps(x0, _mm256_loadu_ps(b + k * ldb + v * VL), e[v]);
    }
    __m256 va = _mm256_set1_ps(alpha);
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        int64_t cols = w - v * VL;
        __m256 s = _mm256_mul_ps(va, _mm256_add_ps(e[v], o[v]));
        if (cols >= VL) {
            if (r)
                s = _mm256_add_ps(s, _mm256_loadu_ps(r + v * VL));
            _mm256_storeu_ps(y + v * VL, s);
        } else {
            __m256i m = tail_mask(cols);
            if (r)
                s = _mm256_add_ps(s, _mm256_maskload_ps(r + v * VL, m));
            _mm256_maskstore_ps(y + v * VL, m, s);
        }
    }
}

void ert_gemv_strip_avx2(int64_t K, int64_t w, const float *x, const float *b, int64_t ldb,
                         float alpha, const float *r, float *y)
{
    for (int64_t j = 0; j < w; j += 4 * VL) {
        int64_t cw = w - j < 4 * VL ? w - j : 4 * VL;
        int nv = (int)((cw + VL - 1) / VL);
        const float *rj = r ? r + j : NULL;
        switch (nv) {
        case 1: strip_block(K, 1, cw, x, b + j, ldb, alpha, rj, y + j); break;
        case 2: strip_block(K, 2, cw, x, b + j, ldb, alpha, rj, y + j); break;
        case 3: strip_block(K, 3, cw, x, b + j, ldb, alpha, rj, y + j); break;
        default: strip_block(K, 4, cw, x, b + j, ldb, alpha, rj, y + j); break;
        }
    }
}
