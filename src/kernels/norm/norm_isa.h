/*
 * norm_isa.h - per-ISA row primitives of the norm family (Softmax, LogSoftmax,
 * LayerNormalization; private to kernels/norm).
 *
 * Each ISA unit instantiates norm_body.inc and fills one norm_fns table. The exp is the
 * activation family's (kernels/act: ert_act_exp_f32_<isa>, 1.3 ulp), so Softmax has the
 * error documented there plus the float sum.
 */
#ifndef ERT_NORM_ISA_H
#define ERT_NORM_ISA_H

#include <stdint.h>

typedef struct norm_fns {
    float (*max)(const float *x, int64_t n);                    /* max of x[0, n) (n >= 1) */
    float (*sum)(const float *x, int64_t n);                    /* sum of x[0, n) */
    void (*sub)(const float *x, float c, float *y, int64_t n);  /* y = x - c */
    void (*scale)(float *y, float s, int64_t n);                /* y *= s */
    void (*exp)(float *x, int64_t n);                           /* x = exp(x) in place */
    void (*max_acc)(float *acc, const float *x, int64_t n);     /* acc = max(acc, x) */
    void (*add_acc)(float *acc, const float *x, int64_t n);     /* acc += x */
    void (*sub_v)(const float *x, const float *c, float *y, int64_t n); /* y = x - c */
    void (*mul_v)(float *y, const float *s, int64_t n);         /* y *= s */
    /* One LayerNormalization row of d values: mean, r = 1/sqrt(var + eps) (two passes:
     * sum, then sum of squared deviations), y = ((x - mean) * r) * g + b (b NULL: 0). */
    void (*ln_row)(const float *x, int64_t d, float eps, const float *g, const float *b,
                   float *y, float *mean, float *inv);
} norm_fns;

extern const norm_fns ert_norm_fns_ref;
extern const norm_fns ert_norm_fns_avx2;
extern const norm_fns ert_norm_fns_avx512;
extern const norm_fns ert_norm_fns_neon;

#endif /* ERT_NORM_ISA_H */
