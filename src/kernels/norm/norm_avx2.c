/*
 * norm_avx2.c - the norm family's row primitives on 8 lanes (norm_body.inc).
 * Compiled with -mavx2 -mfma; only called when ert_cpu_isa() >= ERT_ISA_AVX2.
 */
#include <immintrin.h>

#include "kernels/act/act_isa.h"
#include "kernels/norm/norm_isa.h"

static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline float hmax8(__m256 v)
{
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

#define VF __m256
#define W 8
#define V_SET1(c) _mm256_set1_ps(c)
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_SUB(a, b) _mm256_sub_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_FMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define V_MAX(a, b) _mm256_max_ps(a, b)
#define V_HSUM(v) hsum8(v)
#define V_HMAX(v) hmax8(v)
#define NORM_EXP ert_act_exp_f32_avx2
#define NORM_SFX avx2
#include "kernels/norm/norm_body.inc"
