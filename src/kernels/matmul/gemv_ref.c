/*
 * gemv_ref.c - portable matrix-vector kernel (gemv_isa.h): column blocks of 64 kept in
 * a local accumulator while B's rows stream past; the inner loop is what the
 * compiler vectorises with the baseline ISA.
 */
#include "kernels/matmul/gemv_isa.h"

#define GEMV_REF_COLS 64

/* GCC 12 at -O2 uses the "very cheap" vectoriser cost model, which leaves these loops
 * scalar (3.3 GFLOP/s for 1x256x1000 against the reference's 5-13); the dynamic model
 * gives baseline-ISA SIMD code (as in src/ops/matmul.c and gemm/sgemm_ref.c). */
#if defined(__GNUC__) && !defined(__clang__)
#define GEMV_VECTORIZE __attribute__((optimize("vect-cost-model=dynamic")))
#else
#define GEMV_VECTORIZE
#endif

GEMV_VECTORIZE void ert_gemv_ref(int64_t K, int64_t n, const float *x, const float *b, int64_t ldb,
                  float alpha, const float *r, float *y)
{
    for (int64_t j0 = 0; j0 < n; j0 += GEMV_REF_COLS) {
        int64_t w = n - j0 < GEMV_REF_COLS ? n - j0 : GEMV_REF_COLS;
        float acc[GEMV_REF_COLS] = {0};
        for (int64_t k = 0; k < K; k++) {
            const float xk = x[k], *restrict row = b + k * ldb + j0;
            for (int64_t j = 0; j < w; j++)
                acc[j] += xk * row[j];
        }
        for (int64_t j = 0; j < w; j++)
            y[j0 + j] = alpha * acc[j] + (r ? r[j0 + j] : 0.0f);
    }
}

GEMV_VECTORIZE void ert_gemv_strip_ref(int64_t K, int64_t w, const float *x, const float *b, int64_t ldb,
                        float alpha, const float *r, float *y)
{
    for (int64_t j0 = 0; j0 < w; j0 += GEMV_REF_COLS) {
        int64_t cw = w - j0 < GEMV_REF_COLS ? w - j0 : GEMV_REF_COLS;
        float acc[GEMV_REF_COLS] = {0};
        for (int64_t k = 0; k < K; k++) {
            const float xk = x[k], *restrict row = b + k * ldb + j0;
            for (int64_t j = 0; j < cw; j++)
                acc[j] += xk * row[j];
        }
        for (int64_t j = 0; j < cw; j++)
            y[j0 + j] = alpha * acc[j] + (r ? r[j0 + j] : 0.0f);
    }
}
