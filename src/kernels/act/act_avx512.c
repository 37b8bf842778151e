/*
 * act_avx512.c - act_body.inc on 16 lanes (AVX-512F/DQ). Compiled with -mavx512f...;
 * only called when ert_cpu_isa() >= ERT_ISA_AVX512.
 */
#include <immintrin.h>
#include <string.h>

#include "kernels/act/act_isa.h"

static inline __m512 v_copysign(__m512 m, __m512 s)
{
    /* imm 0xCA: sign ? s : m, the truth table over (a = sign, b = s, c = m) */
    __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(sign, _mm512_castps_si512(s),
                                                         _mm512_castps_si512(m), 0xCA));
}

static inline __m512 v_pow2i(__m512i i)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(i, _mm512_set1_epi32(127)), 23));
}

#define VF __m512
#define VI __m512i
#define VM __mmask16
#define W 16
#define V_SET1(c) _mm512_set1_ps(c)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_SUB(a, b) _mm512_sub_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_DIV(a, b) _mm512_div_ps(a, b)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_MAXN(c, x) _mm512_max_ps(c, x) /* returns the second operand on NaN */
#define V_MINN(c, x) _mm512_min_ps(c, x)
#define V_ABS(x) _mm512_abs_ps(x)
#define V_COPYSIGN(m, s) v_copysign(m, s)
#define V_LT(a, b) _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define V_SEL(m, t, f) _mm512_mask_blend_ps(m, f, t)
#define V_BITS(f) _mm512_castps_si512(f)
#define V_I_SET1(c) _mm512_set1_epi32(c)
#define V_I_SUB(a, b) _mm512_sub_epi32(a, b)
#define V_I_SRA1(a) _mm512_srai_epi32(a, 1)
#define V_POW2I(i) v_pow2i(i)
#define V_MULHI_SQ(u, hi, lo)                                \
    do {                                                     \
        hi = _mm512_mul_ps(u, u);                            \
        lo = _mm512_fmsub_ps(u, u, hi); /* exact residual */ \
    } while (0)
#define ACT_ENTRY ert_act_f32_avx512
#define ACT_COPY_ENTRY ert_act_f32_copy_avx512
#define ACT_ROWS_ENTRY ert_act_f32_rows_avx512
#define ACT_EXP_ENTRY ert_act_exp_f32_avx512
#include "kernels/act/act_body.inc"
