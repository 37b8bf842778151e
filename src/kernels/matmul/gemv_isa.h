/*
 * gemv_isa.h - the matrix-vector kernels of the matmul family (matmul/; the rnn family
 * runs its recurrent products through them too).
 *
 * y[j] = alpha * sum_k x[k] * B[k * ldb + j] (+ r[j] when r != NULL), j in [0, n):
 * one row of activations times a row-major weight matrix read in place (MatMul with
 * M = 1, the classifier Gemm of a CNN at batch 1). sgemm's 8-row tile would compute
 * 7 zero rows for it; this streams B once with the columns in registers and x[k]
 * broadcast, so it runs at the speed B arrives from cache or memory.
 */
#ifndef ERT_GEMV_ISA_H
#define ERT_GEMV_ISA_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/gemm/gemm.h"

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

/* The matrix-vector kernel of level isa: over a row-major B, or over one packed strip. */
static inline ert_gemv_fn ert_gemv_of(ert_isa isa, bool strip)
{
#if defined(__x86_64__) || defined(_M_X64)
    switch (ert_sgemm_isa(isa)) {
    case ERT_ISA_AVX512:
        return strip ? ert_gemv_strip_avx512 : ert_gemv_avx512;
    case ERT_ISA_AVX2:
        return strip ? ert_gemv_strip_avx2 : ert_gemv_avx2;
    default:
        break;
    }
#endif
    (void)isa;
    return strip ? ert_gemv_strip_ref : ert_gemv_ref;
}

#endif /* ERT_GEMV_ISA_H */
