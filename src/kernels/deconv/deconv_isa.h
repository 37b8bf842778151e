/*
 * deconv_isa.h - the per-ISA col2im of deconv.gemm.<isa> (private to the family).
 *
 * One output plane (one output channel of one image) receives the KH*KW rows of Col
 * that belong to its channel: row ky*KW + kx holds, for input pixels n in [n0, n1) of
 * the flat H*W plane, the value that tap (ky, kx) sends to output
 *   (ih*sh + ky*dh - ph, iw*sw + kx*dw - pw),  n = ih*W + iw,
 * added where that lies inside the output. Stride 1 rows are vector adds; at stride 2
 * (dilation 1) taps kx, kx+1 land on alternate outputs and are added as one interleaved
 * pair (a zip of the two rows); other strides are scalar.
 */
#ifndef ERT_DECONV_ISA_H
#define ERT_DECONV_ISA_H

#include <stdbool.h>
#include <stdint.h>

/* 2-D view of the geometry (a 1-D op has h = oh = kh = 1). */
typedef struct deconv_c2i {
    int64_t h, w;           /* input plane */
    int64_t oh, ow;         /* output plane */
    int64_t kh, kw;         /* kernel */
    int64_t sh, sw, dh, dw; /* strides, dilations */
    int64_t ph, pw;         /* start pads (may be negative) */
} deconv_c2i;

/* y (one plane) += col2im of col's KH*KW rows (row stride ldc) over columns [n0, n1). */
typedef void (*deconv_col2im_fn)(const deconv_c2i *g, const float *col, int64_t ldc,
                                 int64_t n0, int64_t n1, float *y);
/* y[0, n) = v. */
typedef void (*deconv_fill_fn)(float *y, int64_t n, float v);

void ert_deconv_col2im_ref(const deconv_c2i *g, const float *col, int64_t ldc, int64_t n0,
                           int64_t n1, float *y);
void ert_deconv_fill_ref(float *y, int64_t n, float v);
void ert_deconv_col2im_avx2(const deconv_c2i *g, const float *col, int64_t ldc, int64_t n0,
                            int64_t n1, float *y);
void ert_deconv_fill_avx2(float *y, int64_t n, float v);
void ert_deconv_col2im_avx512(const deconv_c2i *g, const float *col, int64_t ldc, int64_t n0,
                              int64_t n1, float *y);
void ert_deconv_fill_avx512(float *y, int64_t n, float v);

#endif /* ERT_DECONV_ISA_H */
