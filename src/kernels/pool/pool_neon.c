/*
 * pool_neon.c - pooling rows and reductions on 4 lanes (pool_body.inc), the AArch64
 * NEON level (every armv8-a CPU: no extra flags).
 */
#include <arm_neon.h>
#include <math.h>
#include <stddef.h> /* NULL in the body */

#include "kernels/neon_minmax.h"
#include "kernels/pool/pool_isa.h"

#define VF float32x4_t
#define W 4
#define V_SET1(c) vdupq_n_f32(c)
#define V_LOAD(p) vld1q_f32(p)
#define V_STORE(p, v) vst1q_f32(p, v)
#define V_ADD(a, b) vaddq_f32(a, b)
#define V_MUL(a, b) vmulq_f32(a, b)
#define V_MAXI(v, acc) ert_neon_maxps(v, acc) /* NaN in v: acc (second operand) */
#define V_LOAD_S2(p) (vld2q_f32(p).val[0])   /* p[0], p[2], p[4], p[6] (reads 8 floats) */
#define POOL_SFX neon
#include "kernels/pool/pool_body.inc"
