/*
 * pack_x86.h - one packed-A panel (gemm.h's layout: K groups of mr floats) from mr <= 8
 * rows of A that are contiguous along K (rows a_rs apart), times alpha: 8 k at a time
 * through an 8x8 register transpose (8 row loads, the unpack / shuffle / 128-bit permute
 * network, 8 stores of one k's mr floats), the K tail element by element. Included by
 * the AVX2 (mr 6) and AVX-512 (mr 8) translation units, each compiled with at least AVX2.
 * Bit for bit the scalar loop: alpha * a is one rounding either way, the rest moves.
 * Why: a run-time A (MatMul / Gemm on activations) is packed every run, and the scalar
 * scatter took ~8 instructions per element, 40% of attention's softmax(QK^T) V on 8x197x32
 * heads (N = 32: the GEMM does only 32 multiply-adds per packed element).
 */
#ifndef ERT_PACK_X86_H
#define ERT_PACK_X86_H

#include <immintrin.h>
#include <stdint.h>

static inline void sgemm_pack_panel_x86(const float *a, int64_t a_rs, int64_t K, float alpha,
                                        float *panel, int mr)
{
    const __m256 al = _mm256_set1_ps(alpha);
    const __m256i keep = _mm256_cmpgt_epi32(_mm256_set1_epi32(mr),
                                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    int64_t k = 0;
    for (; k + 8 <= K; k += 8) {
        __m256 r[8];
        for (int i = 0; i < 8; i++)
            r[i] = i < mr ? _mm256_mul_ps(_mm256_loadu_ps(a + i * a_rs + k), al)
                          : _mm256_setzero_ps();
        __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
        __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
        __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
        __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        __m256 c[8] = {_mm256_permute2f128_ps(u0, u4, 0x20), _mm256_permute2f128_ps(u1, u5, 0x20),
                       _mm256_permute2f128_ps(u2, u6, 0x20), _mm256_permute2f128_ps(u3, u7, 0x20),
                       _mm256_permute2f128_ps(u0, u4, 0x31), _mm256_permute2f128_ps(u1, u5, 0x31),
                       _mm256_permute2f128_ps(u2, u6, 0x31), _mm256_permute2f128_ps(u3, u7, 0x31)};
        for (int j = 0; j < 8; j++) { /* c[j] = rows 0..7 at k + j */
            if (mr == 8)
                _mm256_storeu_ps(panel + (k + j) * 8, c[j]);
            else
                _mm256_maskstore_ps(panel + (k + j) * mr, keep, c[j]);
        }
    }
    for (; k < K; k++)
        for (int i = 0; i < mr; i++)
            panel[k * mr + i] = alpha * a[i * a_rs + k];
}

#endif /* ERT_PACK_X86_H */
