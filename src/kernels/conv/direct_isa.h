/*
 * direct_isa.h - the per-ISA kernel of conv.direct / conv.implicit (conv_direct.c).
 * Internal.
 *
 * The staged input (conv_direct.c) holds each channel as stride-phase planes of `pl`
 * floats per row, so tap t of output pixel (oy, ox) is stage[c * cs + tap_off[t] + q] with
 * q = oy * pl + ox: one index q per pixel, the same offset for every pixel of a tap.
 * Pixels are computed along q (the "virtual" grid of pl columns per row, of which the
 * first ow are output pixels), so a tile of vectors crosses row ends freely. One call
 * computes q in [q0, q1) for nblk blocks of DIRECT_MB(isa) output channels from the
 * packed weights ([c][tap][mb] per block) and applies the epilogue in registers: bias,
 * the residual z, clamp (Relu / Clip) or one slope (LeakyRelu / PRelu); lanes of the
 * virtual columns past ow are dropped (compressed out) when storing, so the output and
 * the residual keep their plain NCHW rows. Rows of channels past `m` are computed from
 * zero weights and not stored.
 */
#ifndef ERT_DIRECT_ISA_H
#define ERT_DIRECT_ISA_H

#include <stdbool.h>
#include <stdint.h>

typedef struct direct_args {
    const float *stage;     /* staged input of the image (see above) */
    int64_t c, cs;          /* input channels; floats per channel's phase planes */
    int taps;               /* kh x kw */
    const int32_t *tap_off; /* taps offsets of tap t within a channel */
    const float *w;         /* the first block's packed weights; block b's at w + b * wstride */
    int64_t wstride;
    int nblk;               /* blocks of mb channels, computed tile by tile (a tile's staged
                             * input is read from L1 by every block) */
    int m;                  /* channels to store, over all the blocks (<= nblk * mb) */
    int64_t pl, ow;         /* virtual row length, output row length (ow <= pl) */
    int64_t q0, q1;         /* virtual pixels [q0, q1) to compute */
    float *y;               /* the first channel's output plane; channel stride ystride */
    int64_t ystride;
    const float *z;         /* residual planes alike, or NULL */
    const float *bias;      /* the first channel's bias, or NULL */
    bool clamp;
    float lo, hi;
    const float *slope;     /* x < 0: x * slope[r * slope_step], or NULL */
    int64_t slope_step;
} direct_args;

typedef void (*direct_fn)(const direct_args *a);

void ert_direct_avx512(const direct_args *a);
void ert_direct_avx2(const direct_args *a);

/* Blocks one call takes at most (conv_direct.c groups the channel blocks by it). */
#define DIRECT_MAX_BLOCKS 8

/* Output channels per block of the level's kernel. */
#define DIRECT_MB_AVX512 8
#define DIRECT_MB_AVX2 4

/* Where the vector of W virtual pixels at q lands: lanes `mask` are output pixels
 * (the rest are virtual columns past ow, or past q1), stored contiguously from output
 * index yoff (pixels in raster order stay consecutive once the others are dropped). */
typedef struct direct_vpos {
    uint32_t mask;
    int cnt;
    int64_t yoff;
} direct_vpos;

/* The direct_vpos of the W lanes at q (q < q1). */
static inline direct_vpos direct_vpos_of(const direct_args *a, int64_t q, int W)
{
    direct_vpos p = {0, 0, 0};
    int64_t oy = q / a->pl, ox = q % a->pl, end = a->q1 - q < W ? a->q1 - q : W;
    for (int64_t lane = 0; lane < end;) {
        int64_t n;
        if (ox < a->ow) {
            n = a->ow - ox < end - lane ? a->ow - ox : end - lane;
            if (!p.cnt)
                p.yoff = oy * a->ow + ox;
            p.mask |= (uint32_t)(((1ull << n) - 1) << lane);
            p.cnt += (int)n;
        } else {
            n = a->pl - ox < end - lane ? a->pl - ox : end - lane;
        }
        lane += n;
        ox += n;
        if (ox == a->pl)
            ox = 0, oy++;
    }
    return p;
}

#endif /* ERT_DIRECT_ISA_H */
