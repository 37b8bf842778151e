/*
 * eltwise_neon.c - binary row kernel on 4 lanes (ew_body.inc), the AArch64 NEON level
 * (every armv8-a CPU: no extra flags). Max/Min are compare-and-select (neon_minmax.h),
 * not fmax/fmin: with V_NANSEL they give the reference's bits, a NaN from either side
 * and the first operand on ties (fmax would turn max(-0, +0) into +0).
 */
#include <arm_neon.h>

#include "kernels/eltwise/eltwise_isa.h"
#include "kernels/neon_minmax.h"

/* isnan(b) ? b : r: b == b is false only for NaN */
static inline float32x4_t nan_sel(float32x4_t b, float32x4_t r)
{
    return vbslq_f32(vceqq_f32(b, b), r, b);
}

#define VF float32x4_t
#define W 4
#define V_LOAD(p) vld1q_f32(p)
#define V_STORE(p, v) vst1q_f32(p, v)
#define V_SET1(c) vdupq_n_f32(c)
#define V_ADD(a, b) vaddq_f32(a, b)
#define V_SUB(a, b) vsubq_f32(a, b)
#define V_MUL(a, b) vmulq_f32(a, b)
#define V_DIV(a, b) vdivq_f32(a, b)
#define V_MAXF(a, b) ert_neon_maxps(b, a) /* b > a ? b : a */
#define V_MINF(a, b) ert_neon_minps(b, a) /* b < a ? b : a */
#define V_NANSEL(b, r) nan_sel(b, r)
#define EW_ROW ert_ew_row_neon
#include "kernels/eltwise/ew_body.inc"
