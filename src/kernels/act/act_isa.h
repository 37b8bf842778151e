/*
 * act_isa.h - the per-ISA entry points behind ert_act_f32 (private to kernels/).
 *
 * Each is one instantiation of act_body.inc: the same range reductions and polynomials,
 * so every level has the same documented error (act.c). The _neon entries exist only in
 * AArch64 builds, the _avx2/_avx512 ones only in x86 builds. Other families' ISA units may
 * call their level's entry directly to skip the dispatch in a row loop.
 */
#ifndef ERT_ACT_ISA_H
#define ERT_ACT_ISA_H

#include "kernels/act/act.h"

void ert_act_f32_ref(const ert_act_params *a, float *x, int64_t n, int64_t channel);
void ert_act_f32_avx2(const ert_act_params *a, float *x, int64_t n, int64_t channel);
void ert_act_f32_avx512(const ert_act_params *a, float *x, int64_t n, int64_t channel);
void ert_act_f32_neon(const ert_act_params *a, float *x, int64_t n, int64_t channel);

/* dst[0..n) = act(src[0..n)); dst may equal src (not overlap it otherwise). The
 * standalone unary kernels use it to skip a copy pass. */
void ert_act_f32_copy_ref(const ert_act_params *a, const float *src, float *dst, int64_t n,
                          int64_t channel);
void ert_act_f32_copy_avx2(const ert_act_params *a, const float *src, float *dst, int64_t n,
                           int64_t channel);
void ert_act_f32_copy_avx512(const ert_act_params *a, const float *src, float *dst, int64_t n,
                             int64_t channel);
void ert_act_f32_copy_neon(const ert_act_params *a, const float *src, float *dst, int64_t n,
                           int64_t channel);

/* y = exp(x) in place, same error as the activations' exp (act.c). */
void ert_act_f32_rows_ref(const ert_act_params *a, float *x, int64_t rows, int64_t n,
                          int64_t ld, int64_t ch0);
void ert_act_f32_rows_avx2(const ert_act_params *a, float *x, int64_t rows, int64_t n,
                           int64_t ld, int64_t ch0);
void ert_act_f32_rows_avx512(const ert_act_params *a, float *x, int64_t rows, int64_t n,
                             int64_t ld, int64_t ch0);
void ert_act_f32_rows_neon(const ert_act_params *a, float *x, int64_t rows, int64_t n,
                           int64_t ld, int64_t ch0);

void ert_act_exp_f32_isa(ert_isa isa, float *x, int64_t n);
void ert_act_exp_f32_ref(float *x, int64_t n);
void ert_act_exp_f32_avx2(float *x, int64_t n);
void ert_act_exp_f32_avx512(float *x, int64_t n);
void ert_act_exp_f32_neon(float *x, int64_t n);

#endif /* ERT_ACT_ISA_H */
