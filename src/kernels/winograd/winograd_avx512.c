/*
 * winograd_avx512.c - Winograd transforms on 16 lanes (wino_body.inc). -mavx512f...
 */
#include <immintrin.h>
#include <stdbool.h>
#include <stdint.h>

#include "kernels/winograd/winograd_isa.h"

/* lo/hi = the interleave a0 b0 a1 b1 ... a15 b15 (two-source permutes). */
static inline void zip512(__m512 a, __m512 b, __m512 *lo, __m512 *hi)
{
    const __m512i il = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i ih = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30,
                                         15, 31);
    *lo = _mm512_permutex2var_ps(a, il, b);
    *hi = _mm512_permutex2var_ps(a, ih, b);
}

/* ev/od = the even/odd elements of the 32 floats a, b. */
static inline void unzip512(__m512 a, __m512 b, __m512 *ev, __m512 *od)
{
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                         30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29,
                                         31);
    *ev = _mm512_permutex2var_ps(a, ie, b);
    *od = _mm512_permutex2var_ps(a, io, b);
}

/* row[k .. k+16) with zeros outside [0, w): masked lanes are not read (no fault). */
static inline __m512 loadz512(const float *row, int64_t k, int64_t w)
{
    if (k >= 0 && k + 16 <= w)
        return _mm512_loadu_ps(row + k);
    int64_t lo = k < 0 ? -k : 0, hi = w - k < 16 ? w - k : 16;
    if (hi <= lo)
        return _mm512_setzero_ps();
    __mmask16 m = (__mmask16)(((1u << hi) - 1u) & ~((1u << lo) - 1u));
    return _mm512_maskz_loadu_ps(m, (const float *)((uintptr_t)row + (uintptr_t)(k * 4)));
}

#define VF __m512
#define W 16
#define V_SET1(c) _mm512_set1_ps(c)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_SUB(a, b) _mm512_sub_ps(a, b)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define V_MIN(a, b) _mm512_min_ps(a, b)
#define V_LOADZ(row, k, w) loadz512(row, k, w)
#define V_STOREN(p, v, n) _mm512_mask_storeu_ps(p, (__mmask16)((1u << (n)) - 1u), v)
#define V_ZIP(a, b, lo, hi) zip512(a, b, lo, hi)
#define V_UNZIP(a, b, ev, od) unzip512(a, b, ev, od)
#define WB_SFX avx512
#include "kernels/winograd/wino_body.inc"
