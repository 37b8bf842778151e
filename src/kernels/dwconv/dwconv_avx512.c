/*
 * dwconv_avx512.c - depthwise row kernels on 16 lanes (dw_body.inc). -mavx512f...
 */
#include <immintrin.h>
#include <stdbool.h>

#include "kernels/dwconv/dwconv_isa.h"

/* p[0], p[2], ..., p[30]: the even lanes of two loads in one two-source permute. */
static inline __m512 load_s2(const float *p)
{
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26,
                                           28, 30);
    return _mm512_permutex2var_ps(_mm512_loadu_ps(p), even, _mm512_loadu_ps(p + 16));
}

#define VF __m512
#define W 16
#define V_SET1(c) _mm512_set1_ps(c)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_LOAD_S2(p) load_s2(p)
#define V_MASK(n) ((__mmask16)((1u << (n)) - 1u))
#define V_LOAD_N(p, n) _mm512_maskz_loadu_ps(V_MASK(n), p)
#define V_STORE_N(p, v, n) _mm512_mask_storeu_ps(p, V_MASK(n), v)
#define DW_SFX avx512
#include "kernels/dwconv/dw_body.inc"
