/*
 * resize_neon.c - the resize family's row primitives on 4 lanes (resize_body.inc), the
 * AArch64 NEON level (every armv8-a CPU: no extra flags). NEON has no gather: a table
 * lookup is four lane inserts, so nearest rows gain little over the portable unit;
 * the linear blends (FMA on 4 lanes) and the 2x repeat (zip) are where it pays.
 */
#include <arm_neon.h>

#include "kernels/resize/resize_isa.h"

/* base[ix[0..4)] (the indices are inside the source row: resize_isa.h) */
static inline float32x4_t gather4(const float *base, const int32_t *ix)
{
    float32x4_t v = vdupq_n_f32(base[ix[0]]);
    v = vsetq_lane_f32(base[ix[1]], v, 1);
    v = vsetq_lane_f32(base[ix[2]], v, 2);
    return vsetq_lane_f32(base[ix[3]], v, 3);
}

/* src[0..4) to dst[0..8), each twice: zip of the vector with itself */
static inline void dup2_4(const float *src, float *dst)
{
    float32x4_t v = vld1q_f32(src);
    vst1q_f32(dst, vzip1q_f32(v, v));
    vst1q_f32(dst + 4, vzip2q_f32(v, v));
}

#define VF float32x4_t
#define W 4
#define V_SET1(c) vdupq_n_f32(c)
#define V_LOAD(p) vld1q_f32(p)
#define V_STORE(p, v) vst1q_f32(p, v)
#define V_MUL(a, b) vmulq_f32(a, b)
#define V_FMA(a, b, c) vfmaq_f32(c, a, b) /* c + a * b, one rounding (as x86's fmadd) */
#define V_GATHER(base, ix) gather4(base, ix)
#define V_DUP2(s, d) dup2_4(s, d)
#define RZ_SFX neon
#include "kernels/resize/resize_body.inc"
