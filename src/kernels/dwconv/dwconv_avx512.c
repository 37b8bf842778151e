/*
 * dwconv_avx512.c - depthwise row kernels on 16 lanes (dw_body.inc). -mavx512f...
 */
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/dwconv/dwconv_isa.h"

/* The even / odd lanes of the 32 floats a, b: one two-source permute. */
static inline __m512 even_lanes(__m512 a, __m512 b)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                           28, 30);
    return _mm512_permutex2var_ps(a, even, b);
}

static inline __m512 odd_lanes(__m512 a, __m512 b)
{
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27,
                                          29, 31);
    return _mm512_permutex2var_ps(a, odd, b);
}

/* p[0], p[2], ..., p[30] */
static inline __m512 load_s2(const float *p)
{
    return even_lanes(_mm512_loadu_ps(p), _mm512_loadu_ps(p + 16));
}

#define VF __m512
#define W 16
#define V_SET1(c) _mm512_set1_ps(c)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_LOAD_S2(p) load_s2(p)
#define V_EVEN(a, b) even_lanes(a, b)
#define V_ODD(a, b) odd_lanes(a, b)
#define V_MASK(n) ((__mmask16)((1u << (n)) - 1u))
#define V_LOAD_N(p, n) _mm512_maskz_loadu_ps(V_MASK(n), p)
#define V_STORE_N(p, v, n) _mm512_mask_storeu_ps(p, V_MASK(n), v)
#define DW_SFX avx512
#include "kernels/dwconv/dw_body.inc"
