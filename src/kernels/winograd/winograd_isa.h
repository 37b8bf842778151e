/*
 * winograd_isa.h - the per-ISA transforms of conv.winograd (private to the family).
 *
 * Both work on one segment: n consecutive tiles of one tile row of one channel, the
 * vector lanes being consecutive tiles (so the transforms' stores and loads of the GEMM
 * matrices are whole vectors). A tile of F(m x m, 3x3) reads an alpha x alpha input
 * patch (alpha = m + 2) and writes m x m outputs; the patch of tile u starts at input
 * column ix0 + m*u.
 *   input:  V[xi][u] = (B^T d_u B)[xi], xi = i*alpha + j, at v[xi * ldo + u]. Each patch
 *           row of W tiles is read from the image with vector loads (masked at the
 *           borders: zeros for the padding, nothing read outside the plane) and split by
 *           column phase in registers (column m*u + p of the row is lane u of phase p).
 *           Full vectors are stored: up to W - 1 values past n are overwritten (the caller
 *           leaves room and writes segments in increasing order).
 *   output: Y = A^T M_u A + bias (+ Z), M[xi][u] at mm[xi * ldo + u], lanes up to
 *           round_up(n, W) are read (finite or not: they are never stored); the m x m
 *           outputs of each tile are interleaved back into rows, clamped (Relu / Clip) and
 *           stored where they fall inside the output (oy < oh, ox < ow) and the segment.
 */
#ifndef ERT_WINOGRAD_ISA_H
#define ERT_WINOGRAD_ISA_H

#include <stdbool.h>
#include <stdint.h>

typedef struct wino_in_args {
    int m;            /* output tile size: 2 or 4 */
    const float *x;   /* the channel's input plane, h x w */
    int64_t h, w;
    int64_t iy0, ix0; /* input coordinates of tile 0's patch corner (may be < 0: padding) */
    int64_t n;        /* tiles in the segment (>= 1) */
    float *v;         /* V of tile 0 at xi 0 */
    int64_t ldo;      /* floats between consecutive xi */
} wino_in_args;

typedef struct wino_out_args {
    int m;              /* output tile size: 2 or 4 */
    const float *mm;    /* M of tile 0 at xi 0 */
    int64_t ldo;        /* floats between consecutive xi */
    int64_t n;          /* tiles in the segment (>= 1) */
    float bias;         /* added to every output */
    float *y;           /* the channel's output plane, oh x ow */
    const float *res;   /* the residual plane (same shape), or NULL */
    int64_t oh, ow;
    int64_t oy0, ox0;   /* output coordinates of tile 0's first output */
    bool clamp;         /* y = min(hi, max(lo, y)) after the residual (NaN stays NaN) */
    float lo, hi;
} wino_out_args;

typedef void (*wino_in_fn)(const wino_in_args *a);
typedef void (*wino_out_fn)(const wino_out_args *a);

void ert_wino_in_generic(const wino_in_args *a);
void ert_wino_out_generic(const wino_out_args *a);
void ert_wino_in_avx2(const wino_in_args *a);
void ert_wino_out_avx2(const wino_out_args *a);
void ert_wino_in_avx512(const wino_in_args *a);
void ert_wino_out_avx512(const wino_out_args *a);

#endif /* ERT_WINOGRAD_ISA_H */
