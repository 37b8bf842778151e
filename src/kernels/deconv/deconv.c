/*
 * deconv.c - ConvTranspose as packed SGEMM + col2im (see deconv.h for the kernels).
 *
 * A transposed convolution sends every input pixel, times the kernel, to a KH x KW
 * window of the output. Per image and group that is one GEMM
 *   Col[Mg*KH*KW, H*W] = Wt_g[Mg*KH*KW, Cg] * X_g[Cg, H*W]
 * (row mo*KH*KW + ky*KW + kx of Col: what tap (ky, kx) of output channel mo receives
 * from each input pixel), followed by col2im: each Col row is added into its output
 * channel's plane at (ih*sh + ky*dh - ph, iw*sw + kx*dw - pw), the taps overlapping
 * where the stride is smaller than the kernel. Wt_g is W's group slice read transposed
 * (W is [C, Mg, KH, KW], so Wt_g[mo*KT + t][ci] = W[g*Cg + ci][mo][t]) and packed once
 * at load; X_g is the SGEMM's plain B, read in place.
 *
 * The H*W columns are tiled (DECONV_COL_BYTES of Col per tile, whole input rows where
 * a row fits), so the workspace is bounded whatever the image size. The first tile's
 * col2im writes the bias into its plane before adding (no separate pass over Y);
 * col2im tasks are one output channel each, spread over the pool (channels never share
 * an output element). Cost split on Zen 5, one thread: depth_unet's 4x4/s2 layer 0.30
 * ms GEMM + 0.07 ms col2im, its 2x2/s2 layer 0.09 + 0.03. Not done: a stride == kernel
 * path storing Col instead of fill + add (the 2x2 layer's col2im is L2-bandwidth bound
 * at 3 passes over Y; a store-only path could save about a third of its 0.03 ms).
 */
#include <stdlib.h>
#include <string.h>

#include "kernels/deconv/deconv.h"
#include "kernels/deconv/deconv_isa.h"
#include "kernels/gemm/gemm.h"
#include "ops/conv_geom.h"
#include "runtime/threadpool.h"

/* Bytes of Col per column tile. Col is written by the GEMM and read back by col2im;
 * measured on Zen 5 (1 MiB L2), one thread, depth_unet's two layers with 128 KiB to
 * 4 MiB tiles: within 5% of each other, 1 MiB (the 4x4 layer's whole Col, one tile)
 * the best by 2%. The cap is what bounds the workspace for large images. */
#ifndef DECONV_COL_BYTES
#define DECONV_COL_BYTES (1024 * 1024)
#endif
/* Fewest columns per tile (a narrower GEMM wastes its B strips) unless H*W is smaller;
 * so Col can exceed DECONV_COL_BYTES only when Mg*KH*KW > 4096 rows. */
#define DECONV_MIN_COLS 64

/* ---- portable col2im (W = 1: plain floats) ---- */

#define VF float
#define W 1
#define V_SET1(c) (c)
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_ADD(a, b) ((a) + (b))
#define V_ZIP(a, b, lo, hi) ((lo) = (a), (hi) = (b))
#define DC_SFX ref
#include "kernels/deconv/col2im_body.inc"
#undef VF
#undef W
#undef V_SET1
#undef V_LOAD
#undef V_STORE
#undef V_ADD
#undef V_ZIP
#undef DC_SFX

/* Weights packed for one ISA's tile: one A (rows x cg) per group. */
typedef struct deconv_packed {
    ert_isa isa;
    int64_t group, cg, mg, kt; /* groups, input / output channels per group, taps */
    int64_t rows;              /* GEMM rows per group: mg * kt */
    size_t group_floats;       /* packed floats per group (multiple of 16: aligned) */
    float *a;                  /* 64-byte aligned */
} deconv_packed;

/* One step's geometry and tiling, in k->params. */
typedef struct deconv_plan {
    int64_t nb, c, m;          /* batch, input channels, output channels */
    int64_t group, cg, mg, kt; /* per group: input / output channels; taps KH*KW */
    int64_t rows;              /* GEMM M = mg * kt */
    int64_t hw, ohw;           /* input and output plane sizes */
    int64_t nt;                /* Col columns per tile (<= hw) */
    size_t col_floats;         /* Col's share of the workspace (multiple of 16) */
    size_t ws_bytes;           /* what plan reported: Col + the SGEMM's slices */
    deconv_c2i geo;            /* col2im geometry (2-D view) */
} deconv_plan;

_Static_assert(sizeof(deconv_plan) <= ERT_STEP_PARAMS_BYTES, "deconv_plan exceeds the block");

/* ---- load time ---- */

static bool is_f32(const ert_graph *g, int v)
{
    return v < 0 || g->values[v].t.dtype == ERT_DTYPE_FLOAT32;
}

/* float32 X, W, B; constant W with known dims; a valid 1-D or 2-D ConvTranspose. */
static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || n->op->id != ERT_OP_CONV_TRANSPOSE)
        return false;
    int n_in = n->n_inputs - n->n_captures;
    if (n_in < 2 || n_in > 3 || n->inputs[0] < 0 || n->inputs[1] < 0)
        return false;
    for (int i = 0; i < n_in; i++)
        if (!is_f32(g, n->inputs[i]))
            return false;
    const ert_value *w = &g->values[n->inputs[1]];
    if (w->kind != ERT_VALUE_CONST || !w->t.data || !ert_tensor_shape_known(&w->t) ||
        w->t.rank < 3 || w->t.rank > 4)
        return false;
    conv_geom geo;
    return conv_geom_at_load(n, g, true, &geo, NULL) && (geo.nsp == 1 || geo.nsp == 2) &&
           geo.nsp == w->t.rank - 2;
}

static ert_status pack_isa(ert_isa isa, const ert_node *n, const ert_graph *g, void **packed,
                           ert_err *err)
{
    const ert_tensor *w = &g->values[n->inputs[1]].t;
    deconv_packed *p = calloc(1, sizeof *p);
    if (!p)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "ConvTranspose: out of memory packing weights");
    p->isa = isa;
    p->group = ert_attr_int(n, "group", 1);
    p->cg = w->dims[0] / p->group;
    p->mg = w->dims[1];
    p->kt = 1;
    for (int i = 2; i < w->rank; i++)
        p->kt *= w->dims[i];
    p->rows = p->mg * p->kt;
    p->group_floats = ert_sgemm_packed_a_floats(isa, p->rows, p->cg);
    size_t bytes = p->group_floats * (size_t)p->group * sizeof(float);
    p->a = aligned_alloc(64, bytes > 0 ? bytes : 64);
    if (!p->a) {
        free(p);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "ConvTranspose: out of memory packing weights "
                        "(%zu bytes)", bytes);
    }
    /* A[r][ci] = W[g*cg + ci][r] with r = mo*kt + t: row stride 1, column stride rows */
    const float *wd = w->data;
    for (int64_t gi = 0; gi < p->group; gi++)
        ert_sgemm_pack_a(isa, p->rows, p->cg, wd + gi * p->cg * p->rows, 1, p->rows,
                         p->a + (size_t)gi * p->group_floats);
    *packed = p;
    return ERT_OK;
}

static void free_packed(void *packed)
{
    deconv_packed *p = packed;
    if (p)
        free(p->a);
    free(p);
}

/* ---- reshape ---- */

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    const deconv_packed *p = k->packed;
    deconv_plan *pl = k->params;
    ert_tensor y = {0};
    conv_geom geo;
    ert_status st = convt_geom_of_step(k, &geo, &y);
    if (st)
        return st;
    if (geo.nsp != 1 && geo.nsp != 2)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "deconv.gemm: %d spatial axes", geo.nsp);
    memset(pl, 0, sizeof *pl);
    bool one_d = geo.nsp == 1;
    int a = one_d ? 0 : 1; /* index of the width axis */
    deconv_c2i *c = &pl->geo;
    c->h = one_d ? 1 : geo.in[0];
    c->w = geo.in[a];
    c->oh = one_d ? 1 : geo.out[0];
    c->ow = geo.out[a];
    c->kh = one_d ? 1 : geo.k[0];
    c->kw = geo.k[a];
    c->sh = one_d ? 1 : geo.s[0];
    c->sw = geo.s[a];
    c->dh = one_d ? 1 : geo.d[0];
    c->dw = geo.d[a];
    c->ph = one_d ? 0 : geo.pb[0];
    c->pw = geo.pb[a];
    pl->nb = k->in[0]->dims[0];
    pl->c = k->in[0]->dims[1];
    pl->m = y.dims[1];
    pl->group = geo.group;
    pl->cg = pl->c / pl->group;
    pl->mg = pl->m / pl->group;
    pl->kt = c->kh * c->kw;
    pl->rows = pl->mg * pl->kt;
    pl->hw = c->h * c->w;
    pl->ohw = c->oh * c->ow;
    if (pl->group != p->group || pl->cg != p->cg || pl->mg != p->mg || pl->kt != p->kt)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "weights changed shape since packing");
    int64_t nt = pl->rows > 0 ? DECONV_COL_BYTES / (pl->rows * (int64_t)sizeof(float)) : pl->hw;
    if (nt < DECONV_MIN_COLS)
        nt = DECONV_MIN_COLS;
    if (nt >= pl->hw)
        nt = pl->hw;
    else if (nt >= c->w)
        nt = nt / c->w * c->w; /* whole input rows */
    pl->nt = nt;
    pl->col_floats = ((size_t)(pl->rows * nt) + 15) / 16 * 16;
    int threads = ert_threadpool_size(k->pool);
    pl->ws_bytes = pl->col_floats * sizeof(float) +
                   ert_sgemm_ws_bytes(p->isa, pl->rows, nt > 0 ? nt : 1, pl->cg, threads);
    *ws_bytes = pl->ws_bytes;
    return ERT_OK;
}

/* ---- run ---- */

/* col2im of one tile, one output channel per task. */
typedef struct c2i_task {
    const deconv_plan *pl;
    const float *col;      /* the tile's Col, row stride ldc */
    int64_t ldc, n0, n1;   /* the tile's columns [n0, n1) of the input plane */
    float *y;              /* the group's first output plane */
    const float *bias;     /* the group's bias, or NULL */
    bool init;             /* first tile: fill the plane with the bias first */
    deconv_col2im_fn c2i;
    deconv_fill_fn fill;
} c2i_task;

static void c2i_run(void *arg, int64_t mo, int tid)
{
    const c2i_task *t = arg;
    const deconv_plan *pl = t->pl;
    float *plane = t->y + mo * pl->ohw;
    (void)tid;
    if (t->init)
        t->fill(plane, pl->ohw, t->bias ? t->bias[mo] : 0.0f);
    if (t->n1 > t->n0)
        t->c2i(&pl->geo, t->col + mo * pl->kt * t->ldc, t->ldc, t->n0, t->n1, plane);
}

static ert_status run(ert_kctx *k)
{
    const deconv_packed *p = k->packed;
    const deconv_plan *pl = k->params;
    const ert_tensor *b = ert_in(k, 2);
    const float *x = k->in[0]->data, *bias = b ? b->data : NULL;
    float *y = k->out[0]->data;
    if (k->ws_bytes < pl->ws_bytes)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->ws_bytes);
    float *col = k->ws;
    void *gws = (char *)k->ws + pl->col_floats * sizeof(float);
    size_t gws_bytes = pl->ws_bytes - pl->col_floats * sizeof(float);
    c2i_task t = {.pl = pl, .c2i = ert_deconv_col2im_ref, .fill = ert_deconv_fill_ref};
#if defined(__x86_64__) || defined(_M_X64)
    if (p->isa == ERT_ISA_AVX512)
        t.c2i = ert_deconv_col2im_avx512, t.fill = ert_deconv_fill_avx512;
    else if (p->isa == ERT_ISA_AVX2)
        t.c2i = ert_deconv_col2im_avx2, t.fill = ert_deconv_fill_avx2;
#endif
    for (int64_t n = 0; n < pl->nb; n++)
        for (int64_t gi = 0; gi < pl->group; gi++) {
            const float *xg = x + (n * pl->c + gi * pl->cg) * pl->hw;
            t.y = y + (n * pl->m + gi * pl->mg) * pl->ohw;
            t.bias = bias ? bias + gi * pl->mg : NULL;
            if (pl->hw == 0) { /* no input pixels: the output is the bias */
                t.init = true;
                t.n0 = t.n1 = 0;
                ert_parallel_for(k->pool, pl->mg, c2i_run, &t);
                continue;
            }
            for (int64_t n0 = 0; n0 < pl->hw; n0 += pl->nt) {
                int64_t nc = pl->hw - n0 < pl->nt ? pl->hw - n0 : pl->nt;
                ert_sgemm_b bs = {.data = xg + n0, .ld = pl->hw};
                ert_sgemm_packed(p->isa, pl->rows, nc, pl->cg,
                                 p->a + (size_t)gi * p->group_floats, &bs, col, nc, NULL, gws,
                                 gws_bytes, k->pool);
                t.col = col;
                t.ldc = nc;
                t.n0 = n0;
                t.n1 = n0 + nc;
                t.init = n0 == 0;
                ert_parallel_for(k->pool, pl->mg, c2i_run, &t);
            }
        }
    return ERT_OK;
}

/* ---- kernel entries ---- */

#define DECONV_ISA_KERNEL(ISA, NAME)                                                     \
    static ert_status pack_##NAME(const ert_node *n, const ert_graph *g, void **packed,   \
                                  ert_err *err)                                          \
    {                                                                                    \
        return pack_isa(ISA, n, g, packed, err);                                         \
    }                                                                                    \
    static const ert_kernel k_##NAME = {.name = "deconv.gemm." #NAME, .isa = ISA,         \
                                        .supports = supports, .pack = pack_##NAME,        \
                                        .free_packed = free_packed, .plan = plan,         \
                                        .run = run};

DECONV_ISA_KERNEL(ERT_ISA_GENERIC, generic)
#if defined(__aarch64__)
DECONV_ISA_KERNEL(ERT_ISA_NEON, neon)
#endif
#if defined(__x86_64__) || defined(_M_X64)
DECONV_ISA_KERNEL(ERT_ISA_AVX2, avx2)
DECONV_ISA_KERNEL(ERT_ISA_AVX512, avx512)
#endif

const ert_kernel *const ert_deconv_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};
