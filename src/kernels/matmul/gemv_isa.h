/*
 * gemv_isa.h - the matrix-vector kernels of the matmul family (private to matmul/).
 *
 * y[j] = alpha * sum_k x[k] * B[k * ldb + j] (+ r[j] when r != NULL), j in [0, n):
 * one row of activations times a row-major weight matrix read in place (MatMul with
 * M = 1, the classifier Gemm of a CNN at batch 1). sgemm's 8-row tile would compute
 * 7 zero rows for it; this streams B once with the columns in registers and x[k]
 * broadcast, so it runs at the speed B arrives from cache or memory.
 */
#ifndef ERT_GEMV_ISA_H
#define ERT_GEMV_ISA_H

#include <stdint.h>

typedef void (*ert_gemv_fn)(int64_t K, int64_t n, const float *x, const float *b,
                            int64_t ldb, float alpha, const float *r, float *y);

void ert_gemv_ref(int64_t K, int64_t n, const float *x, const float *b, int64_t ldb,
                  float alpha, const float *r, float *y);
void ert_gemv_avx2(int64_t K, int64_t n, const float *x, const float *b, int64_t ldb,
                   float alpha, const float *r, float *y);
void ert_gemv_avx512(int64_t K, int64_t n, const float *x, const float *b, int64_t ldb,
                     float alpha, const float *r, float *y);

/* The same product over one strip of a B packed by ert_sgemm_pack_b (gemm.h): K rows of
 * ldb floats (w <= ldb columns used, ldb a multiple of the ISA's vector), contiguous, so
 * the columns stay in registers over all of K and B streams sequentially. */
void ert_gemv_strip_ref(int64_t K, int64_t w, const float *x, const float *b, int64_t ldb,
                        float alpha, const float *r, float *y);
void ert_gemv_strip_avx2(int64_t K, int64_t w, const float *x, const float *b, int64_t ldb,
                         float alpha, const float *r, float *y);
void ert_gemv_strip_avx512(int64_t K, int64_t w, const float *x, const float *b, int64_t ldb,
                           float alpha, const float *r, float *y);

#endif /* ERT_GEMV_ISA_H */
