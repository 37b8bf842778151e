/*
 * im2col_isa.h - the vectorised inner step of conv_gemm.c's im2col row generation, one
 * translation unit per ISA (im2col_avx2.c, im2col_avx512.c).
 *
 * A tap run is one (channel, ky, kx) tap over a run of output pixels of one output row:
 * zeros where the tap falls in the padding, input values (stride s) elsewhere. Runs are
 * short on small maps (14 floats at 14x14), where the scalar loops ran at ~1 float per
 * cycle: 20-25% of a 3x3 conv's time; stride-2 taps (downsampling convs, 7x7/2 stems)
 * took 40%. Masked loads/stores do the tails (no reads outside [lo, hi): AVX masks and
 * maskload suppress faults in masked-off lanes).
 */
#ifndef ERT_IM2COL_ISA_H
#define ERT_IM2COL_ISA_H

#include <stdint.h>

#include "kernels/cpu.h"

/* dst[j] = 0 for j in [0, lo) and [hi, n); dst[j] = src[j * s] for j in [lo, hi). Reads
 * src only at j * s for j in [lo, hi) (stride 2: up to the next odd index inside that
 * span). 0 <= lo <= hi <= n, s >= 1. */
typedef void (*ert_tap_run_fn)(float *restrict dst, const float *restrict src, int64_t lo,
                               int64_t hi, int64_t n, int64_t s);

void ert_tap_run_avx2(float *restrict dst, const float *restrict src, int64_t lo, int64_t hi,
                      int64_t n, int64_t s);
void ert_tap_run_avx512(float *restrict dst, const float *restrict src, int64_t lo, int64_t hi,
                        int64_t n, int64_t s);
/* The tap run of level isa (the portable loop at GENERIC and on ARM; conv_gemm.c). */
ert_tap_run_fn ert_tap_run_of(ert_isa isa);

/* dst[j] = idx[j] >= 0 ? src[idx[j]] : 0 for j in [0, n): a row of a small output map
 * (conv_gemm.c's gather table) in one pass of vector gathers, where the tap runs of 7- or
 * 14-pixel output rows cost more in calls and masks than in moving floats. */
typedef void (*ert_tap_gather_fn)(float *restrict dst, const float *restrict src,
                                  const int32_t *idx, int64_t n);

void ert_tap_gather_avx2(float *restrict dst, const float *restrict src, const int32_t *idx,
                         int64_t n);
void ert_tap_gather_avx512(float *restrict dst, const float *restrict src, const int32_t *idx,
                           int64_t n);

/* y[j] += sum_{r < nr} w[r] * rows[r][j] for j in [0, n), 1 <= nr <= 4: the few-output-
 * channel conv (conv.rows) adds four im2col rows per pass over its accumulators. */
typedef void (*ert_rows_fma_fn)(float *restrict y, const float *const *rows, const float *w,
                                int nr, int64_t n);

void ert_rows_fma_avx2(float *restrict y, const float *const *rows, const float *w, int nr,
                       int64_t n);
void ert_rows_fma_avx512(float *restrict y, const float *const *rows, const float *w, int nr,
                         int64_t n);

#endif /* ERT_IM2COL_ISA_H */
