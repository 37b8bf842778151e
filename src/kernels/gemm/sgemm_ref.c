/*
 * sgemm_ref.c - portable C micro-kernel of the packed SGEMM (contract: sgemm_ukr.h), the
 * GENERIC ISA level: what runs where no AVX2 is available (or ERT_ISA=generic).
 *
 * Tile 4 x 8 in fixed-size arrays: with the baseline SSE2 the compiler keeps the 32
 * accumulators in 8 xmm registers (16 on the machine). Same epilogue semantics as the
 * SIMD kernels, written as the scalar formulas.
 */
#include "kernels/gemm/sgemm_ukr.h"

#define MR 4
#define NR 8

/* GCC 12 at -O2 uses the "very cheap" vectoriser cost model, which keeps the NR loop
 * scalar here; the dynamic model vectorises it (as in src/ops/matmul.c). */
#if defined(__GNUC__) && !defined(__clang__)
#define UKR_VECTORIZE __attribute__((optimize("vect-cost-model=dynamic")))
#else
#define UKR_VECTORIZE
#endif

UKR_VECTORIZE static void ukr_generic(const sgemm_ukr_args *p)
{
    float acc[MR][NR] = {{0}};
    const float *a = p->a, *b = p->b;
    for (int64_t k = 0; k < p->kc; k++) {
        for (int r = 0; r < MR; r++)
            for (int j = 0; j < NR; j++)
                acc[r][j] += a[r] * b[j];
        a += MR;
        b += p->ldb;
    }
    for (int r = 0; r < p->m; r++) {
        float *c = p->c + r * p->ldc;
        for (int j = 0; j < p->n; j++) {
            float x = acc[r][j] + (p->accumulate ? c[j] : 0.0f);
            c[j] = p->last ? sgemm_epilogue1(p, r, j, x) : x;
        }
    }
}

const sgemm_impl ert_sgemm_impl_generic = {{MR, NR, NR}, ukr_generic, false, NULL};
