/*
 * sgemm_neon.c - AArch64 Advanced SIMD micro-kernel of the packed SGEMM (contract:
 * sgemm_ukr.h), the NEON ISA level (every armv8-a CPU has it).
 *
 * Tile 8 x 8: 16 accumulators (8 rows x two 4-float vectors) of the 32 vector
 * registers, fed per k by two B vectors and two A vectors whose lanes are broadcast by
 * the by-element FMA (fmla v.4s, v.4s, v.s[lane]). vec = nr = 8 keeps every strip 8
 * wide (the driver zero-pads the last), so loads never pass a strip's end. The tile is
 * stored through the scalar epilogue: at kc >= 16 that is under a tenth of the work.
 */
#include <arm_neon.h>

#include "kernels/gemm/sgemm_ukr.h"

#define MR 8
#define NR 8

static void ukr_neon(const sgemm_ukr_args *p)
{
    float32x4_t c0[MR], c1[MR];
    for (int r = 0; r < MR; r++)
        c0[r] = c1[r] = vdupq_n_f32(0.0f);
    const float *a = p->a, *b = p->b;
    for (int64_t k = 0; k < p->kc; k++) {
        float32x4_t b0 = vld1q_f32(b), b1 = vld1q_f32(b + 4);
        float32x4_t a0 = vld1q_f32(a), a1 = vld1q_f32(a + 4);
        c0[0] = vfmaq_laneq_f32(c0[0], b0, a0, 0);
        c1[0] = vfmaq_laneq_f32(c1[0], b1, a0, 0);
        c0[1] = vfmaq_laneq_f32(c0[1], b0, a0, 1);
        c1[1] = vfmaq_laneq_f32(c1[1], b1, a0, 1);
        c0[2] = vfmaq_laneq_f32(c0[2], b0, a0, 2);
        c1[2] = vfmaq_laneq_f32(c1[2], b1, a0, 2);
        c0[3] = vfmaq_laneq_f32(c0[3], b0, a0, 3);
        c1[3] = vfmaq_laneq_f32(c1[3], b1, a0, 3);
        c0[4] = vfmaq_laneq_f32(c0[4], b0, a1, 0);
        c1[4] = vfmaq_laneq_f32(c1[4], b1, a1, 0);
        c0[5] = vfmaq_laneq_f32(c0[5], b0, a1, 1);
        c1[5] = vfmaq_laneq_f32(c1[5], b1, a1, 1);
        c0[6] = vfmaq_laneq_f32(c0[6], b0, a1, 2);
        c1[6] = vfmaq_laneq_f32(c1[6], b1, a1, 2);
        c0[7] = vfmaq_laneq_f32(c0[7], b0, a1, 3);
        c1[7] = vfmaq_laneq_f32(c1[7], b1, a1, 3);
        a += MR;
        b += p->ldb;
    }
    float tile[MR][NR];
    for (int r = 0; r < MR; r++) {
        vst1q_f32(tile[r], c0[r]);
        vst1q_f32(tile[r] + 4, c1[r]);
    }
    for (int r = 0; r < p->m; r++) {
        float *c = p->c + r * p->ldc;
        for (int j = 0; j < p->n; j++) {
            float x = tile[r][j] + (p->accumulate ? c[j] : 0.0f);
            c[j] = p->last ? sgemm_epilogue1(p, r, j, x) : x;
        }
    }
}

const sgemm_impl ert_sgemm_impl_neon = {{MR, NR, NR}, ukr_neon, false, NULL};
