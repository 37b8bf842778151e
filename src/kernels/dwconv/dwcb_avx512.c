/*
 * dwcb_avx512.c - dwconv.cb on 16 lanes (dwcb_body.inc). -mavx512f...
 */
#include <immintrin.h>

#include "kernels/dwconv/dwcb_isa.h"

/* 16 x 16 in registers: pairs of rows interleaved (unpack), 4 x 4 blocks finished
 * inside 128-bit lanes (shuffle), then the 4 x 4 transpose of the lanes themselves. */
static inline void transpose(__m512 v[16])
{
    __m512 t[16], s[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(v[2 * i], v[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(v[2 * i], v[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        s[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        s[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        s[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        s[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) { /* s[4m + j] lane k -> v[4k + j] lane m */
        __m512 ab_lo = _mm512_shuffle_f32x4(s[j], s[4 + j], 0x44);
        __m512 ab_hi = _mm512_shuffle_f32x4(s[j], s[4 + j], 0xEE);
        __m512 cd_lo = _mm512_shuffle_f32x4(s[8 + j], s[12 + j], 0x44);
        __m512 cd_hi = _mm512_shuffle_f32x4(s[8 + j], s[12 + j], 0xEE);
        v[j] = _mm512_shuffle_f32x4(ab_lo, cd_lo, 0x88);
        v[4 + j] = _mm512_shuffle_f32x4(ab_lo, cd_lo, 0xDD);
        v[8 + j] = _mm512_shuffle_f32x4(ab_hi, cd_hi, 0x88);
        v[12 + j] = _mm512_shuffle_f32x4(ab_hi, cd_hi, 0xDD);
    }
}

#define VF __m512
#define VL 16
#define DWCB_NX 8 /* 8 accumulators + weights + loads of 32 zmm */
#define V_ZERO() _mm512_setzero_ps()
#define V_SET1(c) _mm512_set1_ps(c)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_MASK(n) ((__mmask16)((1u << (n)) - 1u))
#define V_LOAD_N(p, n) _mm512_maskz_loadu_ps(V_MASK(n), p)
#define V_STORE_N(p, v, n) _mm512_mask_storeu_ps(p, V_MASK(n), v)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_MIN(a, b) _mm512_min_ps(a, b)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define DWCB_SFX avx512
#include "kernels/dwconv/dwcb_body.inc"
