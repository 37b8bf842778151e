/*
 * dwconv_avx2.c - depthwise row kernels on 8 lanes (dw_body.inc). -mavx2 -mfma.
 */
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/dwconv/dwconv_isa.h"

/* p[0], p[2], ..., p[14]: shuffle the even floats of each 128-bit lane of the two
 * loads together, then put the 64-bit halves in order (0xD8 = lanes 0, 2, 1, 3). */
/* The even / odd lanes of the 16 floats lo, hi: an in-lane shuffle, then the 64-bit
 * quarters put in order. */
static inline __m256 even_lanes(__m256 lo, __m256 hi)
{
    __m256 ev = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xD8));
}

static inline __m256 odd_lanes(__m256 lo, __m256 hi)
{
    __m256 od = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(3, 1, 3, 1));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(od), 0xD8));
}

static inline __m256 load_s2(const float *p)
{
    return even_lanes(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 8));
}

/* Lane mask of the first n (0 < n < 8) lanes for maskload / maskstore. */
static inline __m256i mask_n(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define VF __m256
#define W 8
#define V_SET1(c) _mm256_set1_ps(c)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_LOAD_S2(p) load_s2(p)
#define V_EVEN(a, b) even_lanes(a, b)
#define V_ODD(a, b) odd_lanes(a, b)
#define V_LOAD_N(p, n) _mm256_maskload_ps(p, mask_n(n))
#define V_STORE_N(p, v, n) _mm256_maskstore_ps(p, mask_n(n), v)
#define DW_SFX avx2
#include "kernels/dwconv/dw_body.inc"
