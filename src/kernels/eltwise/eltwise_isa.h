/*
 * eltwise_isa.h - the binary row kernels behind binary.<isa> (private to the family).
 */
#ifndef ERT_ELTWISE_ISA_H
#define ERT_ELTWISE_ISA_H

#include <stdint.h>

/* Row operations. */
typedef enum ert_ew_op { EW_ADD, EW_SUB, EW_MUL, EW_DIV, EW_MAX, EW_MIN } ert_ew_op;

/* y[i] = a[i*sa] op b[i*sb] for i in [0, n), sa, sb in {0, 1}. y may be a or b (same
 * index mapping). Max/Min propagate NaN from either side like elementwise.c. */
typedef void (*ert_ew_row_fn)(ert_ew_op op, int64_t n, const float *a, int sa, const float *b,
                              int sb, float *y);
void ert_ew_row_ref(ert_ew_op op, int64_t n, const float *a, int sa, const float *b, int sb,
                    float *y);
void ert_ew_row_avx2(ert_ew_op op, int64_t n, const float *a, int sa, const float *b, int sb,
                     float *y);
void ert_ew_row_avx512(ert_ew_op op, int64_t n, const float *a, int sa, const float *b, int sb,
                       float *y);
void ert_ew_row_neon(ert_ew_op op, int64_t n, const float *a, int sa, const float *b, int sb,
                     float *y);

#endif /* ERT_ELTWISE_ISA_H */
