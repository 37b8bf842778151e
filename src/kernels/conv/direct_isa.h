/*
 * direct_isa.h - the per-ISA row kernel of conv.direct (conv_direct.c). Internal.
 *
 * One call computes output row `oy` of one block of DIRECT_MB(isa) output channels from
 * the staged input (zero-padded and split into stride phases, see conv_direct.c), the
 * packed weights of that block ([c][ky][kx][mb] floats) and the epilogue: bias, the
 * residual z (rows at the output's stride), clamp (Relu / Clip) or one slope (LeakyRelu
 * / PRelu) in registers. Rows of channels past `m` are computed from zero weights and
 * not stored.
 */
#ifndef ERT_DIRECT_ISA_H
#define ERT_DIRECT_ISA_H

#include <stdbool.h>
#include <stdint.h>

typedef struct direct_row_args {
    const float *stage;     /* staged input of the image: c planes of hp rows of rs floats */
    int64_t c, kh, kw, hp, rs, sh, dh;
    const int64_t *tap_off; /* kw offsets of tap kx in a staged row (phase and column) */
    const float *w;         /* the first block's packed weights; block b's at w + b * wstride */
    int64_t wstride;
    int nblk;               /* blocks of mb channels, computed tile by tile (a tile's staged
                             * input is read from L1 by every block) */
    int m;                  /* channels to store, over all the blocks (<= nblk * mb) */
    int64_t ow;             /* output row length */
    int64_t oy;
    float *y;               /* the first channel at row oy; channel stride ystride */
    int64_t ystride;
    const float *z;         /* residual at the same place, or NULL */
    const float *bias;      /* the first channel's bias, or NULL */
    bool clamp;
    float lo, hi;
    const float *slope;     /* x < 0: x * slope[r * slope_step], or NULL */
    int64_t slope_step;
} direct_row_args;

typedef void (*direct_row_fn)(const direct_row_args *a);

void ert_direct_row_avx512(const direct_row_args *a);
void ert_direct_row_avx2(const direct_row_args *a);

/* Blocks one row call takes at most (conv_direct.c groups the channel blocks by it). */
#define DIRECT_MAX_BLOCKS 8

/* Output channels per block of the level's row kernel. */
#define DIRECT_MB_AVX512 8
#define DIRECT_MB_AVX2 4

#endif /* ERT_DIRECT_ISA_H */
