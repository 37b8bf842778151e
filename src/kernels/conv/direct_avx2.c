/*
 * direct_avx2.c - conv.direct's kernel on 8 lanes (direct_body.inc), 4 channels x 3
 * vectors: 12 accumulators of the 16 ymm registers. -mavx2 -mfma.
 */
#include <immintrin.h>

#include "kernels/conv/direct_isa.h"

/* Lane mask of the first n lanes for maskload / maskstore. */
static inline __m256i mask_n(int64_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)(n < 8 ? n : 8)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* The n lanes of mask to p[0, n) in order (AVX2 has no compress). */
static inline void store_packed(float *p, __m256 v, uint32_t mask)
{
    float t[8];
    _mm256_storeu_ps(t, v);
    for (int l = 0, i = 0; l < 8; l++)
        if (mask >> l & 1)
            p[i++] = t[l];
}

/* p[0, n) into the lanes of mask in order, zeros elsewhere. */
static inline __m256 load_spread(const float *p, uint32_t mask)
{
    float t[8];
    for (int l = 0, i = 0; l < 8; l++)
        t[l] = mask >> l & 1 ? p[i++] : 0.0f;
    return _mm256_loadu_ps(t);
}

#define VF __m256
#define W 8
#define MB DIRECT_MB_AVX2
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_LOAD_N(p, n) _mm256_maskload_ps(p, mask_n(n))
#define V_STORE_N(p, v, n) _mm256_maskstore_ps(p, mask_n(n), v)
#define V_SET1(c) _mm256_set1_ps(c)
#define V_ZERO _mm256_setzero_ps()
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_MIN(a, b) _mm256_min_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define V_SEL_NEG(x, y) _mm256_blendv_ps(x, y, _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_LT_OQ))
#define V_STORE_PACKED(p, v, mask, n) store_packed(p, v, mask)
#define V_LOAD_SPREAD(p, mask, n) load_spread(p, mask)
#define DIRECT_RUN ert_direct_avx2
#include "kernels/conv/direct_body.inc"
