/*
 * dwcb_avx2.c - dwconv.cb on 8 lanes (dwcb_body.inc). -mavx2 -mfma.
 */
#include <immintrin.h>

#include "kernels/dwconv/dwcb_isa.h"

/* 8 x 8 in registers: unpack pairs of rows, finish 4 x 4 blocks inside the 128-bit
 * lanes, then swap the off-diagonal lanes. */
static inline void transpose(__m256 v[8])
{
    __m256 t[8], s[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm256_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm256_unpackhi_ps(v[2 * i], v[2 * i + 1]);
    }
    for (int i = 0; i < 2; i++) {
        s[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        s[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        s[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        s[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
        v[j] = _mm256_permute2f128_ps(s[j], s[4 + j], 0x20);
        v[4 + j] = _mm256_permute2f128_ps(s[j], s[4 + j], 0x31);
    }
}

/* Lane mask of the first n (0 < n < 8) lanes for maskload / maskstore. */
static inline __m256i mask_n(int n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

#define VF __m256
#define VL 8
#define DWCB_NX 4 /* of 16 ymm */
#define V_ZERO() _mm256_setzero_ps()
#define V_SET1(c) _mm256_set1_ps(c)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_LOAD_N(p, n) _mm256_maskload_ps(p, mask_n(n))
#define V_STORE_N(p, v, n) _mm256_maskstore_ps(p, mask_n(n), v)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_MIN(a, b) _mm256_min_ps(a, b)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define DWCB_SFX avx2
#include "kernels/dwconv/dwcb_body.inc"
