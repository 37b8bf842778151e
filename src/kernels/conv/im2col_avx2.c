/*
 * im2col_avx2.c - AVX2 stride-2 gather for conv_gemm.c (see im2col_isa.h): two loads,
 * one shuffle and one lane permute per 8 outputs.
 */
#include <immintrin.h>

#include "kernels/conv/im2col_isa.h"

void ert_gather2_avx2(float *restrict dst, const float *restrict src, int64_t n)
{
    int64_t i = 0;
    /* i + 8 < n: the second load ends at src[2i + 15] <= src[2(n - 1) - 1] */
    for (; i + 8 < n; i += 8) {
        __m256 a = _mm256_loadu_ps(src + 2 * i), b = _mm256_loadu_ps(src + 2 * i + 8);
        /* [a0 a2 b0 b2 | a4 a6 b4 b6] -> [a0 a2 a4 a6 b0 b2 b4 b6] */
        __m256 s = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
        __m256d p = _mm256_permute4x64_pd(_mm256_castps_pd(s), _MM_SHUFFLE(3, 1, 2, 0));
        _mm256_storeu_ps(dst + i, _mm256_castpd_ps(p));
    }
    for (; i < n; i++)
        dst[i] = src[2 * i];
}
