/*
 * pool_isa.h - per-ISA row and reduction kernels of the pool family (private).
 *
 * A row kernel pools one output row of one plane from the plane's padded copy (pad
 * value -inf for max, 0 for average, so no tap is bounds-tested):
 *   y[ox] = max / sum over ky < kh, kx < kw of p[ky*dh*ps + ox*sw + kx*dw]
 * and, for average, y[ox] *= ry * rx[ox] (the reciprocal window counts).
 */
#ifndef ERT_POOL_ISA_H
#define ERT_POOL_ISA_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pool_row_args {
    int64_t kh, kw, sw, dh, dw, ow; /* kernel, stride (w), dilations, output width */
    int64_t ps;                     /* padded plane row stride (floats) */
} pool_row_args;

typedef void (*pool_row_fn)(const pool_row_args *a, const float *p, float ry,
                            const float *rx, float *y);
/* max (or sum) of x[0, n) */
typedef float (*pool_reduce_fn)(const float *x, int64_t n);

/* avg: false for max. NULL: no row for this stride at that level (use ref). */
pool_row_fn ert_pool_row_select_ref(bool avg, int64_t sw);
pool_row_fn ert_pool_row_select_avx2(bool avg, int64_t sw);
pool_row_fn ert_pool_row_select_avx512(bool avg, int64_t sw);
pool_row_fn ert_pool_row_select_neon(bool avg, int64_t sw);
float ert_pool_max_ref(const float *x, int64_t n);
float ert_pool_sum_ref(const float *x, int64_t n);
float ert_pool_max_avx2(const float *x, int64_t n);
float ert_pool_sum_avx2(const float *x, int64_t n);
float ert_pool_max_avx512(const float *x, int64_t n);
float ert_pool_sum_avx512(const float *x, int64_t n);
float ert_pool_max_neon(const float *x, int64_t n);
float ert_pool_sum_neon(const float *x, int64_t n);

/* Floats a vector kernel may read past the last output's last tap, per row. */
#define POOL_ROW_OVERREAD 16

#endif /* ERT_POOL_ISA_H */
