/*
 * winograd_avx2.c - Winograd transforms on 8 lanes (wino_body.inc). -mavx2 -mfma.
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels/winograd/winograd_isa.h"

/* lo/hi = the interleave a0 b0 a1 b1 ... a7 b7: in-lane unpacks, then the 128-bit halves. */
static inline void zip256(__m256 a, __m256 b, __m256 *lo, __m256 *hi)
{
    __m256 l = _mm256_unpacklo_ps(a, b), h = _mm256_unpackhi_ps(a, b);
    *lo = _mm256_permute2f128_ps(l, h, 0x20);
    *hi = _mm256_permute2f128_ps(l, h, 0x31);
}

/* ev/od = the even/odd elements of the 16 floats a, b: in-lane shuffles give
 * 0 2 8 10 | 4 6 12 14, a 64-bit permute puts the pairs in order. */
static inline void unzip256(__m256 a, __m256 b, __m256 *ev, __m256 *od)
{
    __m256 e = _mm256_shuffle_ps(a, b, 0x88), o = _mm256_shuffle_ps(a, b, 0xDD);
    *ev = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8));
    *od = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8));
}

/* row[k .. k+8) with zeros outside [0, w): masked lanes are not read (no fault). */
static inline __m256 loadz256(const float *row, int64_t k, int64_t w)
{
    if (k >= 0 && k + 8 <= w)
        return _mm256_loadu_ps(row + k);
    if (k >= w || k + 8 <= 0)
        return _mm256_setzero_ps();
    __m256i li = _mm256_add_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                  _mm256_set1_epi32((int)k));
    __m256i m = _mm256_and_si256(_mm256_cmpgt_epi32(li, _mm256_set1_epi32(-1)),
                                 _mm256_cmpgt_epi32(_mm256_set1_epi32((int)w), li));
    return _mm256_maskload_ps((const float *)((uintptr_t)row + (uintptr_t)(k * 4)), m);
}

/* p[0 .. n) = the first n lanes of v (n < 8); maskstore writes nothing else. */
static inline void storen256(float *p, __m256 v, int64_t n)
{
    __m256i m = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n),
                                   _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    _mm256_maskstore_ps(p, m, v);
}

#define VF __m256
#define W 8
#define V_SET1(c) _mm256_set1_ps(c)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_SUB(a, b) _mm256_sub_ps(a, b)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define V_MIN(a, b) _mm256_min_ps(a, b)
#define V_LOADZ(row, k, w) loadz256(row, k, w)
#define V_STOREN(p, v, n) storen256(p, v, n)
#define V_ZIP(a, b, lo, hi) zip256(a, b, lo, hi)
#define V_UNZIP(a, b, ev, od) unzip256(a, b, ev, od)
#define WB_SFX avx2
#include "kernels/winograd/wino_body.inc"
