/*
 * act_neon.c - act_body.inc on 4 lanes, the AArch64 NEON level (every armv8-a CPU: no
 * extra flags); only called when ert_cpu_isa() == ERT_ISA_NEON.
 *
 * Each macro computes what act_avx2.c's does, lane for lane, so this level agrees with
 * AVX2/AVX-512 bit for bit (test_act checks every FMA level against the body run one
 * lane at a time with fmaf). Where an AArch64 instruction differs from the x86 one on
 * NaN or signed zero (fmax/fmin), the macro is built from compares and selects.
 */
#include <arm_neon.h>
#include <string.h>

#include "kernels/act/act_isa.h"
#include "kernels/neon_minmax.h"

static inline float32x4_t v_copysign(float32x4_t m, float32x4_t s)
{
    return vbslq_f32(vdupq_n_u32(0x80000000u), s, m); /* sign bit from s, the rest m */
}

static inline float32x4_t v_pow2i(int32x4_t i)
{
    return vreinterpretq_f32_s32(vshlq_n_s32(vaddq_s32(i, vdupq_n_s32(127)), 23));
}

/* hi = u*u rounded, lo = u*u - hi in one rounding: exact (the residual of a float
 * product is a float). vfmaq_f32(-hi, u, u) is x86's fmsub(u, u, hi), +0 for an exact
 * square; vfmsq_f32(hi, u, u) would give -(lo), and -0 there. */
#define V_MULHI_SQ(u, hi, lo)                        \
    do {                                             \
        hi = vmulq_f32(u, u);                        \
        lo = vfmaq_f32(vnegq_f32(hi), u, u);         \
    } while (0)

#define VF float32x4_t
#define VI int32x4_t
#define VM uint32x4_t
#define W 4
#define V_SET1(c) vdupq_n_f32(c)
#define V_LOAD(p) vld1q_f32(p)
#define V_STORE(p, v) vst1q_f32(p, v)
#define V_ADD(a, b) vaddq_f32(a, b)
#define V_SUB(a, b) vsubq_f32(a, b)
#define V_MUL(a, b) vmulq_f32(a, b)
#define V_DIV(a, b) vdivq_f32(a, b)
#define V_FMA(a, b, c) vfmaq_f32(c, a, b) /* a*b + c, one rounding */
#define V_MAXN(c, x) ert_neon_maxps(c, x) /* x when either is NaN (not fmax's NaN) */
#define V_MINN(c, x) ert_neon_minps(c, x)
#define V_ABS(x) vabsq_f32(x)             /* clears the sign bit, NaN too, like andps */
#define V_COPYSIGN(m, s) v_copysign(m, s)
#define V_LT(a, b) vcltq_f32(a, b)        /* false on NaN, like _CMP_LT_OQ */
#define V_SEL(m, t, f) vbslq_f32(m, t, f)
#define V_BITS(f) vreinterpretq_s32_f32(f)
#define V_I_SET1(c) vdupq_n_s32(c)
#define V_I_SUB(a, b) vsubq_s32(a, b)
#define V_I_SRA1(a) vshrq_n_s32(a, 1)     /* arithmetic on signed lanes */
#define V_POW2I(i) v_pow2i(i)
#define ACT_ENTRY ert_act_f32_neon
#define ACT_COPY_ENTRY ert_act_f32_copy_neon
#define ACT_ROWS_ENTRY ert_act_f32_rows_neon
#define ACT_EXP_ENTRY ert_act_exp_f32_neon
#include "kernels/act/act_body.inc"
