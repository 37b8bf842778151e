/*
 * resize_isa.h - per-ISA row primitives of the resize family (private).
 *
 * Each ISA unit instantiates resize_body.inc and fills one rz_fns table. Indices are
 * int32 (plan() declines axes of 2^31 elements or more) and always inside the source
 * row: extrapolated outputs read index 0 and are overwritten afterwards.
 */
#ifndef ERT_RESIZE_ISA_H
#define ERT_RESIZE_ISA_H

#include <stdint.h>

typedef struct rz_fns {
    /* dst[i] = src[ix[i]], i < n */
    void (*gather)(const float *src, const int32_t *ix, float *dst, int64_t n);
    /* dst[2i] = dst[2i+1] = src[i], i < n_in (nearest 2x along the row) */
    void (*dup2)(const float *src, float *dst, int64_t n_in);
    /* dst[i] = w0[i] * src[i0[i]] + w1[i] * src[i1[i]] (linear along the row) */
    void (*hlerp)(const float *src, const int32_t *i0, const int32_t *i1, const float *w0,
                  const float *w1, float *dst, int64_t n);
    /* dst[i] = w0 * a[i] + w1 * b[i] (linear across rows) */
    void (*vlerp)(const float *a, const float *b, float w0, float w1, float *dst, int64_t n);
} rz_fns;

extern const rz_fns ert_rz_fns_ref;
extern const rz_fns ert_rz_fns_avx2;
extern const rz_fns ert_rz_fns_avx512;
extern const rz_fns ert_rz_fns_neon;

#endif /* ERT_RESIZE_ISA_H */
