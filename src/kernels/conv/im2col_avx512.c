/*
 * im2col_avx512.c - AVX-512 stride-2 gather for conv_gemm.c (see im2col_isa.h): two
 * loads and one two-source permute per 16 outputs.
 */
#include <immintrin.h>

#include "kernels/conv/im2col_isa.h"

void ert_gather2_avx512(float *restrict dst, const float *restrict src, int64_t n)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                           28, 30);
    int64_t i = 0;
    /* i + 16 < n: the second load ends at src[2i + 31] <= src[2(n - 1) - 1] */
    for (; i + 16 < n; i += 16) {
        __m512 lo = _mm512_loadu_ps(src + 2 * i), hi = _mm512_loadu_ps(src + 2 * i + 16);
        _mm512_storeu_ps(dst + i, _mm512_permutex2var_ps(lo, even, hi));
    }
    for (; i < n; i++)
        dst[i] = src[2 * i];
}
