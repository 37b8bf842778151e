/*
 * direct_avx512.c - conv.direct's kernel on 16 lanes (direct_body.inc), 8 channels x 3
 * vectors: 24 accumulators. Dropped lanes (direct_isa.h) by register compress / expand.
 * -mavx512f.
 */
#include <immintrin.h>

#include "kernels/conv/direct_isa.h"

static inline __mmask16 mask_n(int64_t n)
{
    return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1);
}

#define VF __m512
#define W 16
#define MB DIRECT_MB_AVX512
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_LOAD_N(p, n) _mm512_maskz_loadu_ps(mask_n(n), p)
#define V_STORE_N(p, v, n) _mm512_mask_storeu_ps(p, mask_n(n), v)
#define V_SET1(c) _mm512_set1_ps(c)
#define V_ZERO _mm512_setzero_ps()
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_MIN(a, b) _mm512_min_ps(a, b)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define V_SEL_NEG(x, y) \
    _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_LT_OQ), y)
#define V_STORE_PACKED(p, v, mask, n) \
    _mm512_mask_storeu_ps(p, mask_n(n), _mm512_maskz_compress_ps((__mmask16)(mask), v))
#define V_LOAD_SPREAD(p, mask, n) \
    _mm512_maskz_expand_ps((__mmask16)(mask), _mm512_maskz_loadu_ps(mask_n(n), p))
#define DIRECT_RUN ert_direct_avx512
#include "kernels/conv/direct_body.inc"
