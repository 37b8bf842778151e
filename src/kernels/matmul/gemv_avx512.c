/*
 * gemv_avx512.c - AVX-512 matrix-vector kernel (gemv_isa.h).
 *
 * 128 columns (8 zmm accumulators) per pass over K: per k one broadcast, 8 loads of B
 * and 8 FMAs on independent chains (8 chains cover the FMA latency). Narrower passes
 * for the last columns: single vectors, then one masked vector (no read past B's row).
 */
#include <immintrin.h>

#include "kernels/matmul/gemv_isa.h"

#define VL 16

static inline __attribute__((always_inline)) void gemv_block(
    int64_t K, int nv, __mmask16 last, const float *x, const float *b, int64_t ldb,
    float alpha, const float *r, float *y)
{
    __m512 acc[8];
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++)
        acc[v] = _mm512_setzero_ps();
    for (int64_t k = 0; k < K; k++) {
        __m512 xk = _mm512_set1_ps(x[k]);
        const float *row = b + k * ldb;
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            __mmask16 m = v == nv - 1 ? last : (__mmask16)0xFFFF;
            acc[v] = _mm512_fmadd_ps(xk, _mm512_maskz_loadu_ps(m, row + v * VL), acc[v]);
        }
    }
    __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++) {
        __mmask16 m = v == nv - 1 ? last : (__mmask16)0xFFFF;
        __m512 o = _mm512_mul_ps(va, acc[v]);
        if (r)
            o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(m, r + v * VL));
        _mm512_mask_storeu_ps(y + v * VL, m, o);
    }
}

void ert_gemv_avx512(int64_t K, int64_t n, const float *x, const float *b, int64_t ldb,
                     float alpha, const float *r, float *y)
{
    int64_t j = 0;
    for (; j + 8 * VL <= n; j += 8 * VL)
        gemv_block(K, 8, 0xFFFF, x, b + j, ldb, alpha, r ? r + j : NULL, y + j);
    for (; j + VL <= n; j += VL)
        gemv_block(K, 1, 0xFFFF, x, b + j, ldb, alpha, r ? r + j : NULL, y + j);
    if (j < n)
        gemv_block(K, 1, (__mmask16)((1u << (n - j)) - 1), x, b + j, ldb, alpha,
                   r ? r + j : NULL, y + j);
}
