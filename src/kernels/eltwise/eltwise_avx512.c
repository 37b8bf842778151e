/*
 * eltwise_avx512.c - binary row kernel on 16 lanes (ew_body.inc). -mavx512f...
 */
#include <immintrin.h>

#include "kernels/eltwise/eltwise_isa.h"

#define VF __m512
#define W 16
#define V_LOAD(p) _mm512_loadu_ps(p)
#define V_STORE(p, v) _mm512_storeu_ps(p, v)
#define V_SET1(c) _mm512_set1_ps(c)
#define V_ADD(a, b) _mm512_add_ps(a, b)
#define V_SUB(a, b) _mm512_sub_ps(a, b)
#define V_MUL(a, b) _mm512_mul_ps(a, b)
#define V_DIV(a, b) _mm512_div_ps(a, b)
#define V_MAXF(a, b) _mm512_max_ps(b, a) /* b > a ? b : a */
#define V_MINF(a, b) _mm512_min_ps(b, a) /* b < a ? b : a */
#define V_NANSEL(b, r) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q), r, b)
#define EW_ROW ert_ew_row_avx512
#include "kernels/eltwise/ew_body.inc"
