/*
 * norm_neon.c - the norm family's row primitives on 4 lanes (norm_body.inc), the
 * AArch64 NEON level (every armv8-a CPU: no extra flags).
 *
 * V_MAX is x86's maxps (neon_minmax.h), not fmax, and the horizontal max folds with it
 * too, so a line's max is picked as on x86 (a NaN in a line makes the whole line NaN
 * through its sum either way; only the sign of a zero max could differ).
 */
#include <arm_neon.h>

#include "kernels/act/act_isa.h"
#include "kernels/neon_minmax.h"
#include "kernels/norm/norm_isa.h"

static inline float hmax4(float32x4_t v)
{
    v = ert_neon_maxps(v, vextq_f32(v, v, 2)); /* lanes {0,1} vs {2,3} */
    v = ert_neon_maxps(v, vextq_f32(v, v, 1));
    return vgetq_lane_f32(v, 0);
}

#define VF float32x4_t
#define W 4
#define V_SET1(c) vdupq_n_f32(c)
#define V_LOAD(p) vld1q_f32(p)
#define V_STORE(p, v) vst1q_f32(p, v)
#define V_ADD(a, b) vaddq_f32(a, b)
#define V_SUB(a, b) vsubq_f32(a, b)
#define V_MUL(a, b) vmulq_f32(a, b)
#define V_FMA(a, b, c) vfmaq_f32(c, a, b) /* a*b + c */
#define V_MAX(a, b) ert_neon_maxps(a, b)  /* a > b ? a : b */
#define V_HSUM(v) vaddvq_f32(v)           /* (v0 + v1) + (v2 + v3) */
#define V_HMAX(v) hmax4(v)
#define NORM_EXP ert_act_exp_f32_neon
#define NORM_SFX neon
#include "kernels/norm/norm_body.inc"
