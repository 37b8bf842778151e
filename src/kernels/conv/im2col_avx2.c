/*
 * im2col_avx2.c - AVX2 tap runs for conv_gemm.c (see im2col_isa.h): 8 floats per store,
 * maskload/maskstore tails, stride 2 as two loads, a shuffle and a lane permute.
 */
#include <immintrin.h>

#include "kernels/conv/im2col_isa.h"

#define VL 8

/* Lanes [0, n) (n in 0..8) as a maskload/maskstore mask. */
static __m256i head_mask(int64_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static void zero_run(float *d, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL)
        _mm256_storeu_ps(d + i, _mm256_setzero_ps());
    if (i < n)
        _mm256_maskstore_ps(d + i, head_mask(n - i), _mm256_setzero_ps());
}

static void copy_run(float *restrict d, const float *restrict s, int64_t n)
{
    int64_t i = 0;
    for (; i + VL <= n; i += VL)
        _mm256_storeu_ps(d + i, _mm256_loadu_ps(s + i));
    if (i < n) {
        __m256i m = head_mask(n - i);
        _mm256_maskstore_ps(d + i, m, _mm256_maskload_ps(s + i, m));
    }
}

/* d[i] = s[2 i], i < n; loads stay within s[0 .. 2(n-1)], the tail is scalar. */
static void gather2_run(float *restrict d, const float *restrict s, int64_t n)
{
    int64_t i = 0;
    for (; i + VL < n; i += VL) { /* second load ends at s[2i + 15] <= s[2(n - 1) - 1] */
        __m256 a = _mm256_loadu_ps(s + 2 * i), b = _mm256_loadu_ps(s + 2 * i + VL);
        /* [a0 a2 b0 b2 | a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6] */
        __m256 t = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        __m256d p = _mm256_permute4x64_pd(_mm256_castps_pd(t), _MM_SHUFFLE(3, 1, 2, 0));
        _mm256_storeu_ps(d + i, _mm256_castpd_ps(p));
    }
    for (; i < n; i++)
        d[i] = s[2 * i];
}

void ert_tap_run_avx2(float *restrict dst, const float *restrict src, int64_t lo, int64_t hi,
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
