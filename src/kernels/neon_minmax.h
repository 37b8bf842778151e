/*
 * neon_minmax.h - x86's maxps/minps on 4 NEON lanes, for the *_neon.c units whose
 * vector bodies were written against x86 semantics (act, eltwise, norm, pool).
 *
 * maxps(a, b) is a > b ? a : b: b when either is NaN, and b for max(+0, -0). AArch64's
 * fmax (vmaxq_f32) returns NaN when either is NaN and +0 for the zeros, so it would
 * change what the shared bodies compute (Relu(-0), a NaN Clip bound, the bodies'
 * "takes x when x is NaN" contracts). A compare and a select cost one more instruction.
 */
#ifndef ERT_NEON_MINMAX_H
#define ERT_NEON_MINMAX_H

#include <arm_neon.h>

/* a > b ? a : b, lane by lane (x86 maxps(a, b)) */
static inline float32x4_t ert_neon_maxps(float32x4_t a, float32x4_t b)
{
    return vbslq_f32(vcgtq_f32(a, b), a, b);
}

/* a < b ? a : b, lane by lane (x86 minps(a, b)) */
static inline float32x4_t ert_neon_minps(float32x4_t a, float32x4_t b)
{
    return vbslq_f32(vcltq_f32(a, b), a, b);
}

#endif /* ERT_NEON_MINMAX_H */
