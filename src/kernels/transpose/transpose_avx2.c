/*
 * transpose_avx2.c - 4-byte transpose tiles in AVX2 registers. -mavx2 -mfma.
 *
 * An 8x8 tile: eight loads of 8 consecutive a (one per b), the unpack / shuffle /
 * 128-bit permute network that turns rows into columns, eight stores of 8 consecutive b
 * (one per a). Edges of the block go element by element.
 */
#include <immintrin.h>

#include "kernels/transpose/transpose_isa.h"

/* r[i] holds in[a0 .. a0+8) at b0 + i; writes out rows a0 .. a0+8, columns b0 .. b0+8. */
static inline void tile8(float *o, const float *x, int64_t os_a, int64_t is_b)
{
    __m256 r0 = _mm256_loadu_ps(x), r1 = _mm256_loadu_ps(x + is_b);
    __m256 r2 = _mm256_loadu_ps(x + 2 * is_b), r3 = _mm256_loadu_ps(x + 3 * is_b);
    __m256 r4 = _mm256_loadu_ps(x + 4 * is_b), r5 = _mm256_loadu_ps(x + 5 * is_b);
    __m256 r6 = _mm256_loadu_ps(x + 6 * is_b), r7 = _mm256_loadu_ps(x + 7 * is_b);
    __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    _mm256_storeu_ps(o, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(o + os_a, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(o + 2 * os_a, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(o + 3 * os_a, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(o + 4 * os_a, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(o + 5 * os_a, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(o + 6 * os_a, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(o + 7 * os_a, _mm256_permute2f128_ps(u3, u7, 0x31));
}

void ert_tp_tile_f32_avx2(void *out, const void *in, int64_t na, int64_t nb, int64_t os_a,
                          int64_t is_b)
{
    float *o = out;
    const float *x = in;
    int64_t na8 = na & ~(int64_t)7, nb8 = nb & ~(int64_t)7;
    for (int64_t a = 0; a < na8; a += 8) {
        for (int64_t b = 0; b < nb8; b += 8)
            tile8(o + a * os_a + b, x + a + b * is_b, os_a, is_b);
        for (int64_t aa = a; aa < a + 8; aa++) /* right edge: b in [nb8, nb) */
            for (int64_t b = nb8; b < nb; b++)
                o[aa * os_a + b] = x[aa + b * is_b];
    }
    for (int64_t a = na8; a < na; a++) /* bottom edge */
        for (int64_t b = 0; b < nb; b++)
            o[a * os_a + b] = x[a + b * is_b];
}
