/*
 * resize_avx2.c - the resize family's row primitives on 8 lanes (resize_body.inc).
 * Compiled with -mavx2 -mfma; only called when ert_cpu_isa() >= ERT_ISA_AVX2.
 */
#include <immintrin.h>

#include "kernels/resize/resize_isa.h"

static inline void dup2_8(const float *src, float *dst)
{
    __m256 v = _mm256_loadu_ps(src);
    __m256 a = _mm256_unpacklo_ps(v, v); /* 0 0 1 1 | 4 4 5 5 */
    __m256 b = _mm256_unpackhi_ps(v, v); /* 2 2 3 3 | 6 6 7 7 */
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(a, b, 0x20));
    _mm256_storeu_ps(dst + 8, _mm256_permute2f128_ps(a, b, 0x31));
}

#define VF __m256
#define W 8
#define V_SET1(c) _mm256_set1_ps(c)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_GATHER(base, ix) \
    _mm256_i32gather_ps(base, _mm256_loadu_si256((const __m256i *)(const void *)(ix)), 4)
#define V_DUP2(s, d) dup2_8(s, d)
#define RZ_SFX avx2
#include "kernels/resize/resize_body.inc"
