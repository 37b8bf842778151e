/*
 * col2im_avx512.c - deconv's col2im on 16 lanes (col2im_body.inc). -mavx512f...; only
 * called when the kernel's level is ERT_ISA_AVX512.
 */
#include <immintrin.h>

#include "kernels/deconv/deconv_isa.h"

/* lo = a0 b0 ... a7 b7, hi = a8 b8 ... a15 b15: two two-source permutes. */
#define V_ZIP(a, b, lo, hi)                                                                \
    do {                                                                                   \
        const __m512i il = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6,  \
                                             22, 7, 23);                                   \
        const __m512i ih = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, \
                                             14, 30, 15, 31);                              \
        __m512 a_ = (a), b_ = (b);                                                         \
        (lo) = _mm512_permutex2var_ps(a_, il, b_);                                         \
        (hi) = _mm512_permutex2var_ps(a_, ih, b_);                                         \
    } while (0)

/* the first n lanes (0 <= n < 16): masked, so nothing past them is touched */
#define V_MASK(n) ((__mmask16)((1u << (n)) - 1u))
#define V_LOADN(p, n) _mm512_maskz_loadu_ps(V_MASK(n), p)
#define V_STOREN(p, v, n) _mm512_mask_storeu_ps(p, V_MASK(n), v)

#define VF __m512
#define W 16
#define V_SET1(c) _mm512_set1_ps(c)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define DC_SFX avx512
#include "kernels/deconv/col2im_body.inc"
