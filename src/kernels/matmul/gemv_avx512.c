/*
 * gemv_avx512.c - AVX-512 matrix-vector kernel (gemv_isa.h).
 *
 * Four rows of B per step, each swept across the whole column range: y[j] += x[k]
 * B[k][j] + ... + x[k+3] B[k+3][j] with y (the output, <= n floats) staying in L1, so B
 * is read as four sequential streams, one page at a time. The register-blocked form
 * (128 columns in 8 accumulators over all of K, then the next 128) reads B in 512-byte
 * pieces at B's row stride: each row a new page, which stalls the prefetchers and the
 * TLB; measured on Zen 5, one thread, B in L3: 1x2048x1000 26 GFLOP/s that way.
 */
#include <immintrin.h>

#include "kernels/matmul/gemv_isa.h"

#define VL 16

static inline __mmask16 mask_of(int64_t cols)
{
    return cols >= VL ? (__mmask16)0xFFFF : (__mmask16)((1u << cols) - 1);
}

void ert_gemv_avx512(int64_t K, int64_t n, const float *x, const float *b, int64_t ldb,
                     float alpha, const float *r, float *y)
{
    int64_t k = 0;
    for (int64_t j = 0; j < n; j += VL)
        _mm512_mask_storeu_ps(y + j, mask_of(n - j), _mm512_setzero_ps());
    for (; k + 4 <= K; k += 4) {
        const float *b0 = b + k * ldb, *b1 = b0 + ldb, *b2 = b1 + ldb, *b3 = b2 + ldb;
        __m512 x0 = _mm512_set1_ps(x[k]), x1 = _mm512_set1_ps(x[k + 1]);
        __m512 x2 = _mm512_set1_ps(x[k + 2]), x3 = _mm512_set1_ps(x[k + 3]);
        int64_t j = 0;
        for (; j + VL <= n; j += VL) {
            __m512 s = _mm512_fmadd_ps(x0, _mm512_loadu_ps(b0 + j), _mm512_loadu_ps(y + j));
            __m512 t = _mm512_mul_ps(x1, _mm512_loadu_ps(b1 + j));
            s = _mm512_fmadd_ps(x2, _mm512_loadu_ps(b2 + j), s);
            t = _mm512_fmadd_ps(x3, _mm512_loadu_ps(b3 + j), t);
            _mm512_storeu_ps(y + j, _mm512_add_ps(s, t));
        }
        if (j < n) {
            __mmask16 m = mask_of(n - j);
            __m512 s = _mm512_fmadd_ps(x0, _mm512_maskz_loadu_ps(m, b0 + j),
                                       _mm512_maskz_loadu_ps(m, y + j));
            __m512 t = _mm512_mul_ps(x1, _mm512_maskz_loadu_ps(m, b1 + j));
            s = _mm512_fmadd_ps(x2, _mm512_maskz_loadu_ps(m, b2 + j), s);
            t = _mm512_fmadd_ps(x3, _mm512_maskz_loadu_ps(m, b3 + j), t);
            _mm512_mask_storeu_ps(y + j, m, _mm512_add_ps(s, t));
        }
    }
    for (; k < K; k++) {
        const float *b0 = b + k * ldb;
        __m512 x0 = _mm512_set1_ps(x[k]);
        for (int64_t j = 0; j < n; j += VL) {
            __mmask16 m = mask_of(n - j);
            _mm512_mask_storeu_ps(y + j, m, _mm512_fmadd_ps(x0, _mm512_maskz_loadu_ps(m, b0 + j),
                                                            _mm512_maskz_loadu_ps(m, y + j)));
        }
    }
    __m512 va = _mm512_set1_ps(alpha);
    for (int64_t j = 0; j < n; j += VL) {
        __mmask16 m = mask_of(n - j);
        __m512 o = _mm512_mul_ps(va, _mm512_maskz_loadu_ps(m, y + j));
        if (r)
            o = _mm512_add_ps(o, _mm512_maskz_loadu_ps(m, r + j));
        _mm512_mask_storeu_ps(y + j, m, o);
    }
}

/* Up to 4 vectors of one packed strip over all of K, even and odd k in separate
 * accumulators (2 * nv FMA chains: 6 for a 48-wide strip, enough for B from L2 on). */
static inline __attribute__((always_inline)) void strip_block(
    int64_t K, int nv, int64_t w, const float *x, const float *b, int64_t ldb, float alpha,
    const float *r, float *y)
{
    __m512 e[4], o[4];
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++)
        e[v] = o[v] = _mm512_setzero_ps();
    int64_t k = 0;
    for (; k + 2 <= K; k += 2) {
        __m512 x0 = _mm512_set1_ps(x[k]), x1 = _mm512_set1_ps(x[k + 1]);
        const float *b0 = b + k * ldb, *b1 = b0 + ldb;
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++) {
            e[v] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(b0 + v * VL), e[v]);
            o[v] = _mm512_fmadd_ps(x1, _mm512_loadu_ps(b1 + v * VL), o[v]);
        }
    }
    if (k < K) {
        __m512 x0 = _mm512_set1_ps(x[k]);
#pragma GCC unroll 4
        for (int v = 0; v < nv; v++)
            e[v] = _mm512_fmadd_ps(x0, _mm512_loadu_ps(b + k * ldb + v * VL), e[v]);
    }
    __m512 va = _mm512_set1_ps(alpha);
#pragma GCC unroll 4
    for (int v = 0; v < nv; v++) {
        __mmask16 m = mask_of(w - v * VL);
        __m512 s = _mm512_mul_ps(va, _mm512_add_ps(e[v], o[v]));
        if (r)
            s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, r + v * VL));
        _mm512_mask_storeu_ps(y + v * VL, m, s);
    }
}

void ert_gemv_strip_avx512(int64_t K, int64_t w, const float *x, const float *b, int64_t ldb,
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
