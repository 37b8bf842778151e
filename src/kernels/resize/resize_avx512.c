/*
 * resize_avx512.c - the resize family's row primitives on 16 lanes (resize_body.inc):
 * vgatherdps for the index tables, one two-register permute per 16 floats for 2x.
 * Compiled with -mavx512f...; only called when ert_cpu_isa() >= ERT_ISA_AVX512.
 */
#include <immintrin.h>

#include "kernels/resize/resize_isa.h"

static inline void dup2_16(const float *src, float *dst)
{
    const __m512i lo = _mm512_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7);
    const __m512i hi = _mm512_setr_epi32(8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14,
                                         15, 15);
    __m512 v = _mm512_loadu_ps(src);
    _mm512_storeu_ps(dst, _mm512_permutexvar_ps(lo, v));
    _mm512_storeu_ps(dst + 16, _mm512_permutexvar_ps(hi, v));
}

#define VF __m512
#define W 16
#define V_SET1(c) _mm512_set1_ps(c)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_GATHER(base, ix) _mm512_i32gather_ps(_mm512_loadu_si512((const void *)(ix)), base, 4)
#define V_DUP2(s, d) dup2_16(s, d)
#define RZ_SFX avx512
#include "kernels/resize/resize_body.inc"
