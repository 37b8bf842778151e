/*
 * pool_avx512.c - pooling rows and reductions on 16 lanes (pool_body.inc). -mavx512f...
 */
#include <immintrin.h>
#include <math.h>

#include "kernels/pool/pool_isa.h"

/* p[0], p[2], ..., p[30]: the even lanes of two loads in one two-source permute */
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
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_MAXI(v, acc) _mm512_max_ps(v, acc) /* NaN in v: acc (second operand) */
#define V_LOAD_S2(p) load_s2(p)
#define POOL_SFX avx512
#include "kernels/pool/pool_body.inc"
