/*
 * sgemm_ukr.h - the contract between the packed SGEMM driver (sgemm.c) and the per-ISA
 * micro-kernels (sgemm_ref.c, sgemm_avx2.c, sgemm_avx512.c). Internal to gemm/.
 *
 * A micro-kernel computes one mr x sw tile: acc = A_panel(mr x kc) * B_strip(kc x sw)
 * (A: packed, kc groups of mr floats; B: kc rows of sw floats at stride ldb, either a
 * packed strip, zero-padded to sw, a multiple of the tile's vec, or full-width rows of
 * a plain B read in place), then writes the first m rows and n columns of C. Between K blocks C holds partial sums (accumulate); on the last K block the
 * fused epilogue runs on the registers before the single store.
 */
#ifndef ERT_SGEMM_UKR_H
#define ERT_SGEMM_UKR_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/gemm/gemm.h"

typedef struct sgemm_ukr_args {
    int64_t kc;          /* depth of this K block (>= 0) */
    const float *a;      /* packed A panel of this K block */
    const float *b;      /* packed B strip of this K block */
    int64_t sw;          /* strip width: multiple of vec, <= nr (selects the variant) */
    int64_t ldb;         /* row stride of b: sw when packed, B's ld when read in place */
    float *c;            /* C tile's first element */
    int64_t ldc;
    int m, n;            /* rows (<= mr) and columns (<= sw; sw + 1 where tail1) stored */
    bool accumulate;     /* C += acc (not the first K block) */
    bool last;           /* last K block: the epilogue fields below apply */
    const float *bias;   /* bias of the tile's row 0, or NULL */
    const float *res;    /* residual tile, row stride ldr, or NULL */
    int64_t ldr;
    bool clamp;          /* y = min(max(y, lo), hi) (Relu, Clip) */
    float lo, hi;
    const float *slope;  /* y < 0: y * slope[r * slope_step] (LeakyRelu, PRelu), or NULL */
    int64_t slope_step;  /* 0: one slope for every row */
} sgemm_ukr_args;

typedef void (*sgemm_ukr_fn)(const sgemm_ukr_args *p);

/* Micro-kernels prefetch the packed A stream this many floats (4 KiB) ahead, one
 * prefetch per k. The A panel is streamed once per B strip and a layer's weights come
 * from L3 or DRAM (a model's weights do not stay in L2 between runs): with the hardware
 * prefetcher alone the 1x1 convs on 7x7 maps ran at half their in-cache speed (a chain
 * of twelve 1152x192 / 192x1152 1x1 convs on 7x7, Zen 5, one thread: 2.45 ms without,
 * 1.72 / 1.59 / 1.55 ms prefetching 256 / 512 / 1024 floats ahead; EfficientNet-B0 12.5
 * -> 9.9 ms). Prefetches never fault. */
#ifndef SGEMM_PF_A_FLOATS
#define SGEMM_PF_A_FLOATS 1024
#endif

/* Memory the hardware prefetchers do not foresee. A plain B read in place (1x1 convs on
 * NCHW maps) is kc rows at B's row stride: each row of a strip is in another page, so the
 * first A panel of every strip waits for kc x (strip bytes / 64) lines from L3 or DRAM,
 * one stream per row, more streams than a core tracks. The micro-kernels therefore
 * prefetch the row SGEMM_PF_B_ROWS ahead of the one they load (~400 cycles at 12 per k).
 * Likewise the C tile (written, or accumulated between K blocks: its lines are read
 * for ownership either way) and the residual tile: mr rows ldc / ldr apart, no stream a
 * prefetcher follows, and the epilogue loads them after the K loop, where nothing hides
 * their latency. sgemm_prefetch_tile fetches them when the call starts, kc iterations
 * before they are needed. Measured on Zen 5 (2026-12-08, one thread, alternating
 * runs): ResNet-50's 1x1 convs with a residual add 0.68-0.75 -> 0.52 ms, YOLOv5n's layers
 * 10-30% faster (per-layer sum 31.0 -> 28.8 ms); prefetching the next tile instead (more
 * distance) was no better. (On an Intel Xeon, model 167, a version of this was removed
 * together with other changes that gained 5-10%; re-measure there.) Prefetches never
 * fault: rows past B's end are harmless.
 */
#ifndef SGEMM_PF_B_ROWS
#define SGEMM_PF_B_ROWS 32
#endif

/* Prefetches the rows [0, p->m) of the C tile and, on the last K block, of the residual
 * tile: width floats each, from their first line to the line of their last float. */
static inline void sgemm_prefetch_tile(const sgemm_ukr_args *p, int width)
{
    const float *res = p->last ? p->res : NULL;
    for (int r = 0; r < p->m; r++)
        for (int j = 0; j <= width; j += 16) {
            __builtin_prefetch(p->c + r * p->ldc + j, 1, 3);
            if (res)
                __builtin_prefetch(res + r * p->ldr + j, 0, 3);
        }
}

/* Packs one full panel (mr rows, contiguous along K, a_rs apart) times alpha. */
typedef void (*sgemm_pack_panel_fn)(const float *a, int64_t a_rs, int64_t K, float alpha,
                                    float *panel);

typedef struct sgemm_impl {
    ert_sgemm_tile tile;
    sgemm_ukr_fn ukr;
    bool tail1; /* ukr also takes n = nr + 1 on a full strip: column nr at b[nr] of each row */
    sgemm_pack_panel_fn pack_panel; /* NULL: the portable loop packs A */
} sgemm_impl;

/* One per ISA translation unit. */
extern const sgemm_impl ert_sgemm_impl_generic;
extern const sgemm_impl ert_sgemm_impl_avx2;
extern const sgemm_impl ert_sgemm_impl_avx512;
extern const sgemm_impl ert_sgemm_impl_neon;

/* The epilogue of element (r, j) of a tile as scalar formulas: the portable kernel's, and
 * the store path of kernels that keep their tile in memory for it (NEON). */
static inline float sgemm_epilogue1(const sgemm_ukr_args *p, int r, int j, float x)
{
    if (p->bias)
        x += p->bias[r];
    if (p->res)
        x += p->res[r * p->ldr + j];
    if (p->clamp) {
        x = x < p->lo ? p->lo : x; /* NaN compares false: passes through */
        x = x > p->hi ? p->hi : x;
    }
    if (p->slope && x < 0.0f)
        x *= p->slope[r * p->slope_step];
    return x;
}

#endif /* ERT_SGEMM_UKR_H */
