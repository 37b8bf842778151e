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
