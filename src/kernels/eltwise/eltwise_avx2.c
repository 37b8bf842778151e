/*
 * eltwise_avx2.c - binary row kernel on 8 lanes (ew_body.inc). -mavx2 -mfma.
 */
#include <immintrin.h>

#include "kernels/eltwise/eltwise_isa.h"

#define VF __m256
#define W 8
#define V_LOAD(p) _mm256_loadu_ps(p)
#define V_STORE(p, v) _mm256_storeu_ps(p, v)
#define V_SET1(c) _mm256_set1_ps(c)
#define V_ADD(a, b) _mm256_add_ps(a, b)
#define V_SUB(a, b) _mm256_sub_ps(a, b)
#define V_MUL(a, b) _mm256_mul_ps(a, b)
#define V_DIV(a, b) _mm256_div_ps(a, b)
#define V_MAXF(a, b) _mm256_max_ps(b, a) /* b > a ? b : a */
#define V_MINF(a, b) _mm256_min_ps(b, a) /* b < a ? b : a */
#define V_NANSEL(b, r) _mm256_blendv_ps(r, b, _mm256_cmp_ps(b, b, _CMP_UNORD_Q))
#define EW_ROW ert_ew_row_avx2
#include "kernels/eltwise/ew_body.inc"
