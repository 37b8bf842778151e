/*
 * im2col_avx512.c - AVX-512 tap runs for conv_gemm.c (see im2col_isa.h): 16 floats per
 * store, masked tails, stride 2 as two loads and one two-source permute.
 */
#include <immintrin.h>

#include "kernels/conv/im2col_isa.h"

#define VL 16

static __mmask16 head_mask(int64_t n)
{
    return (__mmask16)((1u << n) - 1);
}

static void zero_run(float *d, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL)
        _mm512_storeu_ps(d + i, _mm512_setzero_ps());
    if (i < n)
        _mm512_mask_storeu_ps(d + i, head_mask(n - i), _mm512_setzero_ps());
}

static void copy_run(float *restrict d, const float *restrict s, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL)
        _mm512_storeu_ps(d + i, _mm512_loadu_ps(s + i));
    if (i < n) {
        __mmask16 m = head_mask(n - i);
        _mm512_mask_storeu_ps(d + i, m, _mm512_maskz_loadu_ps(m, s + i));
    }
}

/* d[i] = s[2 i], i < n; the last load stays within s[0 .. 2(n-1)]. */
static void gather2_run(float *restrict d, const float *restrict s, int64_t n)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                           28, 30);
    int64_t i = 0;
    for (; i + VL < n; i += VL) { /* second load ends at s[2i + 31] <= s[2(n - 1) - 1] */
        __m512 lo = _mm512_loadu_ps(s + 2 * i), hi = _mm512_loadu_ps(s + 2 * i + VL);
        _mm512_storeu_ps(d + i, _mm512_permutex2var_ps(lo, even, hi));
    }
    if (i < n) { /* r = n - i <= 16 outputs from the 2r - 1 floats s[2i .. 2n - 2] */
        int64_t span = 2 * (n - i) - 1;
        __m512 lo = _mm512_maskz_loadu_ps(head_mask(span < VL ? span : VL), s + 2 * i);
        __m512 hi = span > VL ? _mm512_maskz_loadu_ps(head_mask(span - VL), s + 2 * i + VL)
                              : _mm512_setzero_ps();
        _mm512_mask_storeu_ps(d + i, head_mask(n - i), _mm512_permutex2var_ps(lo, even, hi));
    }
}

void ert_tap_run_avx512(float *restrict dst, const float *restrict src, int64_t lo, int64_t hi,
                        int64_t n, int64_t s)
{
    zero_run(dst, lo);
    if (s == 1)
        copy_run(dst + lo, src + lo, hi - lo);
    else if (s == 2)
        gather2_run(dst + lo, src + 2 * lo, hi - lo);
    else
        for (int64_t j = lo; j < hi; j++)
            dst[j] = src[j * s];
    zero_run(dst + hi, n - hi);
}

void ert_tap_gather_avx512(float *restrict dst, const float *restrict src, const int32_t *idx,
                           int64_t n)
{
    for (int64_t j = 0; j < n; j += VL) {
        __mmask16 m = n - j >= VL ? (__mmask16)0xFFFF : head_mask(n - j);
        __m512i vi = _mm512_maskz_loadu_epi32(m, idx + j);
        __mmask16 in = _mm512_mask_cmpge_epi32_mask(m, vi, _mm512_setzero_si512());
        __m512 v = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), in, vi, src, 4);
        _mm512_mask_storeu_ps(dst + j, m, v);
    }
}

/* y += w * x over n floats, masked tail. */
static void axpy_run(float *restrict y, float w, const float *x, int64_t n)
{
    __m512 vw = _mm512_set1_ps(w);
    int64_t j = 0;
    for (; j + VL <= n; j += VL)
        _mm512_storeu_ps(y + j,
                         _mm512_fmadd_ps(vw, _mm512_loadu_ps(x + j), _mm512_loadu_ps(y + j)));
    if (j < n) {
        __mmask16 m = head_mask(n - j);
        __m512 x1 = _mm512_maskz_loadu_ps(m, x + j), y1 = _mm512_maskz_loadu_ps(m, y + j);
        __m512 acc = _mm512_fmadd_ps(vw, x1, y1);
        _mm512_mask_storeu_ps(y + j, m, acc);
    }
}

void ert_rows_fma_avx512(float *restrict y, const float *const *rows, const float *w, int nr,
                         int64_t n)
{
    if (nr != 4) {
        for (int r = 0; r < nr; r++)
            axpy_run(y, w[r], rows[r], n);
        return;
    }
    const float *r0 = rows[0], *r1 = rows[1], *r2 = rows[2], *r3 = rows[3];
    __m512 w0 = _mm512_set1_ps(w[0]), w1 = _mm512_set1_ps(w[1]);
    __m512 w2 = _mm512_set1_ps(w[2]), w3 = _mm512_set1_ps(w[3]);
    int64_t j = 0;
    for (; j + VL <= n; j += VL) { /* two chains: the adds do not wait on each other */
        __m512 a = _mm512_fmadd_ps(w0, _mm512_loadu_ps(r0 + j), _mm512_loadu_ps(y + j));
        __m512 b = _mm512_mul_ps(w1, _mm512_loadu_ps(r1 + j));
        a = _mm512_fmadd_ps(w2, _mm512_loadu_ps(r2 + j), a);
        b = _mm512_fmadd_ps(w3, _mm512_loadu_ps(r3 + j), b);
        _mm512_storeu_ps(y + j, _mm512_add_ps(a, b));
    }
    for (int r = 0; r < 4 && j < n; r++)
        axpy_run(y + j, w[r], rows[r] + j, n - j);
}
