/*
 * norm_avx512.c - the norm family's row primitives on 16 lanes (norm_body.inc).
 * Compiled with -mavx512f...; only called when ert_cpu_isa() >= ERT_ISA_AVX512.
 */
#include <immintrin.h>

#include "kernels/act/act_isa.h"
#include "kernels/norm/norm_isa.h"

#define VF __m512
#define W 16
#define V_SET1(c) _mm512_set1_ps(c)
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_SUB(a, b) _mm512_sub_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_FMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define V_MAX(a, b) _mm512_max_ps(a, b)
#define V_HSUM(v) _mm512_reduce_add_ps(v)
#define V_HMAX(v) _mm512_reduce_max_ps(v)
#define NORM_EXP ert_act_exp_f32_avx512
#define NORM_SFX avx512
#include "kernels/norm/norm_body.inc"
