/*
 * col2im_avx2.c - deconv's col2im on 8 lanes (col2im_body.inc). -mavx2 -mfma; only
 * called when the kernel's level is ERT_ISA_AVX2.
 */
#include <immintrin.h>

#include "kernels/deconv/deconv_isa.h"

/* unpacklo/hi interleave within each 128-bit half (a0 b0 a1 b1 | a4 b4 a5 b5 and
 * a2 b2 a3 b3 | a6 b6 a7 b7); the two lane permutes put the halves in order. */
#define V_ZIP(a, b, lo, hi)                                                                \
    do {                                                                                   \
        __m256 a_ = (a), b_ = (b);                                                         \
        __m256 ul = _mm256_unpacklo_ps(a_, b_), uh = _mm256_unpackhi_ps(a_, b_);           \
        (lo) = _mm256_permute2f128_ps(ul, uh, 0x20);                                       \
        (hi) = _mm256_permute2f128_ps(ul, uh, 0x31);                                       \
    } while (0)

/* the first n lanes (0 <= n < 8): vmaskmov does not touch (or fault on) the others */
static inline __m256i v_mask(int64_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
#define V_LOADN(p, n) _mm256_maskload_ps(p, v_mask(n))
#define V_STOREN(p, v, n) _mm256_maskstore_ps(p, v_mask(n), v)

#define VF __m256
#define W 8
#define V_SET1(c) _mm256_set1_ps(c)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define DC_SFX avx2
#include "kernels/deconv/col2im_body.inc"
