/*
 * dwconv_neon.c - depthwise row kernels on 4 lanes (dw_body.inc), the AArch64 NEON
 * level (every armv8-a CPU: no extra flags).
 */
#include <arm_neon.h>
#include <stdbool.h>
#include <stddef.h> /* NULL in the body */

#include "kernels/dwconv/dwconv_isa.h"

/* The first n (0 < n < 4) floats of p, the other lanes 0. NEON has no masked load, and
 * a full load would pass the end of the row (Z, the input copy: tests put a guard page
 * there), so the lanes are loaded one 64- or 32-bit piece at a time. */
static inline float32x4_t load_n(const float *p, int n)
{
    if (n == 1)
        return vsetq_lane_f32(p[0], vdupq_n_f32(0.0f), 0);
    float32x4_t lo = vcombine_f32(vld1_f32(p), vdup_n_f32(0.0f));
    return n == 2 ? lo : vsetq_lane_f32(p[2], lo, 2);
}

/* The first n (0 < n < 4) lanes of v to p, nothing past p[n - 1]. */
static inline void store_n(float *p, float32x4_t v, int n)
{
    if (n == 1) {
        vst1q_lane_f32(p, v, 0);
        return;
    }
    vst1_f32(p, vget_low_f32(v));
    if (n == 3)
        vst1q_lane_f32(p + 2, v, 2);
}

#define VF float32x4_t
#define W 4
#define V_SET1(c) vdupq_n_f32(c)
#define V_LOAD(p) vld1q_f32(p)
#define V_STORE(p, v) vst1q_f32(p, v)
#define V_ADD(a, b) vaddq_f32(a, b)
#define V_FMA(a, b, c) vfmaq_f32(c, a, b) /* c + a * b, one rounding (as x86's fmadd) */
#define V_LOAD_S2(p) (vld2q_f32(p).val[0]) /* p[0], p[2], p[4], p[6] (reads 8 floats) */
#define V_EVEN(a, b) vuzp1q_f32(a, b)
#define V_ODD(a, b) vuzp2q_f32(a, b)
#define V_LOAD_N(p, n) load_n(p, n)
#define V_STORE_N(p, v, n) store_n(p, v, n)
#define DW_SFX neon
#include "kernels/dwconv/dw_body.inc"
