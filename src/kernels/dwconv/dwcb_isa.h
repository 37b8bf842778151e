/*
 * dwcb_isa.h - the per-ISA parts of dwconv.cb.<isa>, the channel-blocked depthwise
 * kernel (dwconv_cb.c; private to the family).
 *
 * A block of VL channels (16 for AVX-512, 8 for AVX2; the last block may hold fewer) is
 * computed in an interleaved layout where one vector holds one pixel of all VL channels:
 *   pack_in:    X[c][iy][ix] (NCHW planes, c < nc)  ->  P[py][px][VL], py = iy + ph,
 *               px = ix + pw, for the pixels inside P (hp x wp), one band of P's rows at
 *               a time; P's padding is never written here (the driver zeroes it);
 *               lanes >= nc get 0
 *   compute:    O[oy][ox][VL] = bias + sum_{ky,kx} Wk[ky*kw + kx] * P[oy*sh + ky*dh]
 *                                                              [ox*sw + kx*dw]
 *   unpack_out: Y[c][oy][ox] = clamp(O[oy][ox][c] + Z[c][oy][ox]) for c < nc
 * The two layout changes are VL x VL register transposes; every FMA of compute uses
 * all VL lanes whatever the plane's width (the plain kernel's rows waste most lanes of
 * a 7x7 or 14x14 plane).
 */
#ifndef ERT_DWCB_ISA_H
#define ERT_DWCB_ISA_H

#include <stdint.h>

/* Most taps (kh * kw) the kernel takes; larger kernels run on dwconv.<isa>. */
#define DWCB_MAX_TAPS 64

typedef struct dwcb_geom {
    int64_t h, w, oh, ow;          /* input and output plane */
    int64_t kh, kw, sh, sw, dh, dw; /* kernel, strides, dilations */
    int64_t ph, pw;                /* start pads (< 0: the first input pixels are unused) */
    int64_t hp, wp;                /* P's rows and columns */
} dwcb_geom;

typedef struct dwcb_fns {
    int vl;
    /* rows [r0, r1) of P into p (p's row 0 is P's row r0): the image's pixels only */
    void (*pack_in)(const dwcb_geom *g, const float *x, int64_t nc, float *p, int64_t r0,
                    int64_t r1);
    /* `rows` output rows into o from p, P's row oy0 * sh for the first output row oy0 */
    void (*compute)(const dwcb_geom *g, const float *p, const float *wk, const float *bias,
                    float *o, int64_t rows);
    /* output pixels [pos0, pos1) (o: pixel pos0's vector) into the planes y (+ z, may be
     * NULL); lo/hi: the clamp (+-inf: none) */
    void (*unpack_out)(const dwcb_geom *g, const float *o, int64_t nc, const float *z,
                       float lo, float hi, float *y, int64_t pos0, int64_t pos1);
} dwcb_fns;

extern const dwcb_fns ert_dwcb_avx2;
extern const dwcb_fns ert_dwcb_avx512;

#endif /* ERT_DWCB_ISA_H */
