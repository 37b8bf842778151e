/*
 * dwconv_isa.h - the per-ISA row kernels of dwconv.<isa> (private to the family).
 *
 * A row kernel computes one output row of one channel from the channel's zero-padded
 * plane (dwconv.c builds it in the workspace, so no kernel tests borders):
 *   y[ox] = bias + z[ox] + sum_{ky, kx} w[ky*kw + kx] * p[ky*dh*ps + ox*sw + kx*dw]
 * for ox in [0, ow), with p the padded row oy*sh, ps its row stride; z may be NULL.
 * The plane's rows are long enough for whole vectors past ow (see dwconv.c).
 */
#ifndef ERT_DWCONV_ISA_H
#define ERT_DWCONV_ISA_H

#include <stdbool.h>
#include <stdint.h>

typedef struct dw_row_args {
    int64_t kh, kw, sw, dh, dw, ow; /* kernel, stride (w), dilations, output width */
    int64_t ps;                     /* padded plane row stride (floats) */
} dw_row_args;

typedef void (*dw_row_fn)(const dw_row_args *a, const float *p, const float *w, float bias,
                          const float *z, float *y);

/* Column stride 2 without dilation: the padded plane's rows are split by column phase
 * (padded column j at j % 2 * (ps / 2) + j / 2; ert_dw_copy_split_<isa> writes them) and
 * the row kernels read each tap with one plain load. */
static inline bool dw_split(int64_t sw, int64_t dw)
{
    return sw == 2 && dw == 1;
}

/* The row kernel of a level for this kernel size, column stride and dilation; NULL:
 * none (use ref). */
dw_row_fn ert_dw_row_select_ref(int64_t kh, int64_t kw, int64_t sw, int64_t dw);
dw_row_fn ert_dw_row_select_avx2(int64_t kh, int64_t kw, int64_t sw, int64_t dw);
dw_row_fn ert_dw_row_select_avx512(int64_t kh, int64_t kw, int64_t sw, int64_t dw);
dw_row_fn ert_dw_row_select_neon(int64_t kh, int64_t kw, int64_t sw, int64_t dw);

/* Two rows at once (see dw_body.inc); NULL where it does not apply. */
typedef dw_row_fn (*dw_row2_select_fn)(int64_t kh, int64_t kw, int64_t sw, int64_t sh,
                                       int64_t dh, int64_t dw);
dw_row_fn ert_dw_row2_select_ref(int64_t kh, int64_t kw, int64_t sw, int64_t sh, int64_t dh,
                                 int64_t dw);
dw_row_fn ert_dw_row2_select_avx2(int64_t kh, int64_t kw, int64_t sw, int64_t sh, int64_t dh,
                                  int64_t dw);
dw_row_fn ert_dw_row2_select_avx512(int64_t kh, int64_t kw, int64_t sw, int64_t sh,
                                    int64_t dh, int64_t dw);
dw_row_fn ert_dw_row2_select_neon(int64_t kh, int64_t kw, int64_t sw, int64_t sh, int64_t dh,
                                  int64_t dw);

/* Copies n floats (one padded-plane row) with the level's vectors. */
typedef void (*dw_copy_fn)(float *d, const float *s, int64_t n);
void ert_dw_copy_ref(float *d, const float *s, int64_t n);
void ert_dw_copy_avx2(float *d, const float *s, int64_t n);
void ert_dw_copy_avx512(float *d, const float *s, int64_t n);
void ert_dw_copy_neon(float *d, const float *s, int64_t n);

/* The same split by column phase (dw_split): s[t] is padded column j0 + t, which goes to
 * d[(j0 + t) % 2 * hf + (j0 + t) / 2]. */
typedef void (*dw_copy_split_fn)(float *d, int64_t hf, int64_t j0, const float *s, int64_t n);
void ert_dw_copy_split_ref(float *d, int64_t hf, int64_t j0, const float *s, int64_t n);
void ert_dw_copy_split_avx2(float *d, int64_t hf, int64_t j0, const float *s, int64_t n);
void ert_dw_copy_split_avx512(float *d, int64_t hf, int64_t j0, const float *s, int64_t n);
void ert_dw_copy_split_neon(float *d, int64_t hf, int64_t j0, const float *s, int64_t n);

/* Floats a vector kernel may read past the last output's last tap, per row. */
#define DW_ROW_OVERREAD 16

#endif /* ERT_DWCONV_ISA_H */
