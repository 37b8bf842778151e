/*
 * pool_avx2.c - pooling rows and reductions on 8 lanes (pool_body.inc). -mavx2 -mfma.
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/pool/pool_isa.h"

/* p[0], p[2], ..., p[14] (as dwconv_avx2.c: even floats per lane, halves reordered) */
static inline __m256 load_s2(const float *p)
{
    __m256 lo = _mm256_loadu_ps(p), hi = _mm256_loadu_ps(p + 8);
    __m256 ev = _mm256_shuffle_ps(lo, hi, _MM_SHUFFLE(2, 0, 2, 0));
    return _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xD8));
}

#define VF __m256
#define W 8
#define V_SET1(c) _mm256_set1_ps(c)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_MAXI(v, acc) _mm256_max_ps(v, acc) /* NaN in v: acc (second operand) */
#define V_LOAD_S2(p) load_s2(p)
#define POOL_SFX avx2
#include "kernels/pool/pool_body.inc"
