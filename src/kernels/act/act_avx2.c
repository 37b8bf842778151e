/*
 * act_avx2.c - act_body.inc on 8 lanes (AVX2 + FMA). Compiled with -mavx2 -mfma; only
 * called when ert_cpu_isa() >= ERT_ISA_AVX2.
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/act/act_isa.h"

static inline __m256 v_abs(__m256 x)
{
    return _mm256_and_ps(x, _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff)));
}

static inline __m256 v_copysign(__m256 m, __m256 s)
{
    __m256 sign = _mm256_castsi256_ps(_mm256_set1_epi32((int)0x80000000u));
    return _mm256_or_ps(_mm256_andnot_ps(sign, m), _mm256_and_ps(sign, s));
}

static inline __m256 v_pow2i(__m256i i)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(i, _mm256_set1_epi32(127)), 23));
}

#define VF __m256
#define VI __m256i
#define VM __m256
#define W 8
#define V_SET1(c) _mm256_set1_ps(c)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_SUB(a, b) _mm256_sub_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_DIV(a, b) _mm256_div_ps(a, b)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_MAXN(c, x) _mm256_max_ps(c, x) /* returns the second operand on NaN */
#define V_MINN(c, x) _mm256_min_ps(c, x)
#define V_ABS(x) v_abs(x)
#define V_COPYSIGN(m, s) v_copysign(m, s)
#define V_LT(a, b) _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define V_SEL(m, t, f) _mm256_blendv_ps(f, t, m)
#define V_BITS(f) _mm256_castps_si256(f)
#define V_I_SET1(c) _mm256_set1_epi32(c)
#define V_I_SUB(a, b) _mm256_sub_epi32(a, b)
#define V_I_SRA1(a) _mm256_srai_epi32(a, 1)
#define V_POW2I(i) v_pow2i(i)
#define V_MULHI_SQ(u, hi, lo)                                \
    do {                                                     \
        hi = _mm256_mul_ps(u, u);                            \
        lo = _mm256_fmsub_ps(u, u, hi); /* exact residual */ \
    } while (0)
#define ACT_ENTRY ert_act_f32_avx2
#define ACT_COPY_ENTRY ert_act_f32_copy_avx2
#define ACT_ROWS_ENTRY ert_act_f32_rows_avx2
#define ACT_EXP_ENTRY ert_act_exp_f32_avx2
#include "kernels/act/act_body.inc"
