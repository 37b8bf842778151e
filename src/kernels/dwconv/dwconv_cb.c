/*
 * dwconv_cb.c - dwconv.cb.<isa>: depthwise Conv / FusedConv on blocks of VL channels in
 * an interleaved layout (dwcb_isa.h), for small planes.
 *
 * The plain kernel (dwconv.c) vectorises along a row: a 7x7 plane fills 7 of 16 lanes
 * and a 14x14 one pays per-row overheads for 14 outputs; both run at 5-15% of the FMA
 * peak. Here one vector holds one pixel of VL channels, so every FMA is full whatever
 * the plane: per (image, channel block) task the block's planes are transposed, one band
 * of rows at a time (its P rows fit DWCB_BAND_BYTES, L1), into a zero-padded interleaved
 * plane P in the thread's workspace slice, computed into O, and transposed back into
 * NCHW with Z and Relu/Clip fused (other activations run on each output plane while it
 * is in L1). Weights are packed at load as [block][tap][VL]. P's side borders are zeroed
 * once per run and thread (the same for every band and block: the interior is
 * rewritten whole, lanes past the last channel as zeros); a band's rows in the top or
 * bottom padding are zeroed per band when there are several.
 * Offered for planes whose whole P fits DWCB_MAX_P_BYTES (up to 56x56). Measured on Zen
 * 5 (AVX-512, one thread, test_act_bench, two runs, cb vs plain rows): 960x7x7 27-29 vs
 * 70-80 us, 384x14x14 29-34 vs 44-59, 192x28x28 46-51 vs 61-63, 672x14x14 5x5 146-165
 * vs 176-209, 144x56x56 139-148 vs 151-152, 144x56x56 stride 2 73-103 vs 84-99; on
 * 112x112 planes the plain rows win (32x112x112: 160 vs 102), so those are declined. The
 * tuner times it against dwconv.<isa>. Geometry (pads, auto_pad, strides, dilations)
 * from conv_geom_of_step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/act/act_isa.h"
#include "kernels/dwconv/dwcb_isa.h"
#include "kernels/dwconv/dwconv.h"
#include "ops/conv_geom.h"
#include "ops/fused.h"
#include "runtime/threadpool.h"

#if defined(__x86_64__) || defined(_M_X64) /* the vector levels it has (NEON: not yet) */

/* Largest interleaved padded plane offered (floats of P * 4): 56x56 with 3x3 taps is
 * 215 KiB at 16 lanes; 112x112 planes (830 KiB) run faster on the plain rows. */
#ifndef DWCB_MAX_P_BYTES
#define DWCB_MAX_P_BYTES (256 * 1024)
#endif
/* P rows of one band: with the band's O rows it stays in a 32-48 KiB L1. */
#ifndef DWCB_BAND_BYTES
#define DWCB_BAND_BYTES (24 * 1024)
#endif
/* Room for the per-thread "fresh" flags before the slices (keeps them 64-byte aligned). */
#define DWCB_WS_HEADER 256

typedef void (*act_fn)(const ert_act_params *a, float *x, int64_t n, int64_t channel);

typedef struct cb_packed {
    int vl;
    int64_t c, taps;
    float *w; /* ceil(c / vl) blocks of taps x vl, 64-byte aligned, zero past c */
} cb_packed;

typedef struct cb_plan {
    dwcb_geom g;
    int64_t nb, c, nblk;
    int64_t band_oh, band_rows; /* output rows per band, P rows a band needs */
    size_t p_floats, o_floats;  /* a thread's slice: P's band then O's (16-float multiples) */
    int threads;
    ert_act_params act; /* slope re-read from S each run */
    float lo, hi;       /* clamp fused into unpack_out (Relu, Clip) */
    act_fn post;        /* other activations, per output plane (NULL: none) */
    const dwcb_fns *fns;
} cb_plan;

_Static_assert(sizeof(cb_plan) <= ERT_STEP_PARAMS_BYTES, "cb_plan exceeds the block");

/* P's rows that n output rows read (pads included). */
static int64_t p_rows(const dwcb_geom *g, int64_t n)
{
    return n > 0 ? (n - 1) * g->sh + (g->kh - 1) * g->dh + 1 : 0;
}

/* P's rows and columns: what the outputs' taps reach. */
static void padded_dims(dwcb_geom *g)
{
    g->hp = p_rows(g, g->oh);
    g->wp = g->ow > 0 ? (g->ow - 1) * g->sw + (g->kw - 1) * g->dw + 1 : 0;
}

/* conv_geom as one 2-D plane (a 1-D conv has one row). */
static void geom_2d(const conv_geom *geo, dwcb_geom *g)
{
    bool one_d = geo->nsp == 1;
    int a = one_d ? 0 : 1;
    *g = (dwcb_geom){.h = one_d ? 1 : geo->in[0], .w = geo->in[a],
                     .oh = one_d ? 1 : geo->out[0], .ow = geo->out[a],
                     .kh = one_d ? 1 : geo->k[0], .kw = geo->k[a],
                     .sh = one_d ? 1 : geo->s[0], .sw = geo->s[a],
                     .dh = one_d ? 1 : geo->d[0], .dw = geo->d[a],
                     .ph = one_d ? 0 : geo->pb[0], .pw = geo->pb[a]};
    padded_dims(g);
}

/* ---- load time ---- */

static bool supports_vl(const ert_node *n, const ert_graph *g, int vl)
{
    if (!ert_dwconv_supports(n, g))
        return false;
    const ert_value *w = &g->values[n->inputs[1]];
    if (w->kind != ERT_VALUE_CONST || !w->t.data)
        return false;
    conv_geom geo;
    if (!conv_geom_at_load(n, g, false, &geo, NULL))
        return false;
    dwcb_geom d;
    geom_2d(&geo, &d);
    if (d.kh * d.kw > DWCB_MAX_TAPS)
        return false;
    if (d.oh < 0 || d.ow < 0 || d.h < 0 || d.w < 0)
        return false; /* symbolic plane: the plain kernel takes any size */
    return (double)d.hp * (double)d.wp * vl * sizeof(float) <= DWCB_MAX_P_BYTES;
}

static ert_status pack_vl(const ert_node *n, const ert_graph *g, int vl, void **packed,
                          ert_err *err)
{
    const ert_tensor *w = &g->values[n->inputs[1]].t;
    cb_packed *p = calloc(1, sizeof *p);
    if (!p)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "dwconv.cb: out of memory packing weights");
    p->vl = vl;
    p->c = w->dims[0];
    p->taps = ert_tensor_numel(w) / (p->c > 0 ? p->c : 1);
    int64_t nblk = (p->c + vl - 1) / vl;
    size_t bytes = ert_round16((size_t)(nblk * p->taps * vl)) * sizeof(float);
    p->w = aligned_alloc(64, bytes > 0 ? bytes : 64);
    if (!p->w) {
        free(p);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "dwconv.cb: out of memory packing weights "
                        "(%zu bytes)", bytes);
    }
    const float *src = w->data;
    for (int64_t b = 0; b < nblk; b++)
        for (int64_t t = 0; t < p->taps; t++)
            for (int l = 0; l < vl; l++) {
                int64_t ch = b * vl + l;
                p->w[(b * p->taps + t) * vl + l] = ch < p->c ? src[ch * p->taps + t] : 0.0f;
            }
    *packed = p;
    return ERT_OK;
}

static void free_packed(void *packed)
{
    cb_packed *p = packed;
    if (p)
        free(p->w);
    free(p);
}

/* ---- reshape ---- */

/* Bands of output rows whose P rows fit DWCB_BAND_BYTES (L1); a small plane is one. */
static void plan_bands(cb_plan *pl, int vl)
{
    const dwcb_geom *g = &pl->g;
    int64_t span = p_rows(g, 1), row_floats = g->wp * vl;
    int64_t fit = (int64_t)(DWCB_BAND_BYTES / sizeof(float)) / (row_floats > 0 ? row_floats : 1);
    pl->band_oh = fit > span ? (fit - span) / g->sh + 1 : 1;
    if (pl->band_oh > g->oh)
        pl->band_oh = g->oh;
    pl->band_rows = p_rows(g, pl->band_oh);
    pl->p_floats = ert_round16((size_t)(pl->band_rows * row_floats));
    pl->o_floats = ert_round16((size_t)(pl->band_oh * g->ow * vl));
}

/* Relu and Clip go into unpack_out's clamp; every other kind runs after it. */
static void split_act(cb_plan *pl, act_fn act_run)
{
    pl->lo = -INFINITY;
    pl->hi = INFINITY;
    pl->post = NULL;
    if (pl->act.kind == ERT_ACT_RELU) {
        pl->lo = 0.0f;
    } else if (pl->act.kind == ERT_ACT_CLIP) {
        pl->lo = pl->act.alpha;
        pl->hi = pl->act.beta;
    } else if (pl->act.kind != ERT_ACT_NONE) {
        pl->post = act_run;
    }
}

static ert_status plan_fns(ert_kctx *k, size_t *ws_bytes, const dwcb_fns *fns, act_fn act_run)
{
    const cb_packed *p = k->packed;
    cb_plan *pl = k->params;
    ert_tensor y = {0};
    conv_geom geo;
    ert_status st = conv_geom_of_step(k, &geo, &y);
    if (st)
        return st;
    memset(pl, 0, sizeof *pl);
    geom_2d(&geo, &pl->g);
    pl->nb = k->in[0]->dims[0];
    pl->c = k->in[0]->dims[1];
    if (geo.group != pl->c || p->c != pl->c || p->vl != fns->vl ||
        p->taps != pl->g.kh * pl->g.kw || p->taps > DWCB_MAX_TAPS)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "not the depthwise conv packed at load");
    pl->fns = fns;
    pl->nblk = (pl->c + fns->vl - 1) / fns->vl;
    plan_bands(pl, fns->vl);
    pl->threads = ert_threadpool_size(k->pool);
    if ((st = ert_dw_plan_act(k, pl->c, &pl->act)))
        return st;
    split_act(pl, act_run);
    *ws_bytes = (DWCB_WS_HEADER + (pl->p_floats + pl->o_floats) * (size_t)pl->threads) *
                sizeof(float);
    return ERT_OK;
}

/* ---- run ---- */

typedef struct cb_task {
    const cb_plan *pl;
    ert_act_params act;
    const float *x, *w, *b, *z;
    float *y, *ws;
    int32_t *fresh; /* per thread: its P still needs its zero border */
} cb_task;

/* P's rows [r0, r0 + n) of a band that fall in the padding above or below the image
 * (a reused band buffer may hold image rows of the previous band there). */
static void zero_pad_rows(const cb_plan *pl, float *p, int64_t r0, int64_t n, int vl)
{
    const dwcb_geom *g = &pl->g;
    for (int64_t r = 0; r < n; r++) {
        int64_t iy = r0 + r - g->ph;
        if (iy < 0 || iy >= g->h)
            memset(p + r * g->wp * vl, 0, sizeof(float) * (size_t)(g->wp * vl));
    }
}

static void block_task(void *arg, int64_t t, int tid)
{
    const cb_task *c = arg;
    const cb_plan *pl = c->pl;
    const dwcb_geom *g = &pl->g;
    int vl = pl->fns->vl;
    int64_t n = t / pl->nblk, blk = t % pl->nblk, c0 = blk * vl;
    int64_t nc = pl->c - c0 < vl ? pl->c - c0 : vl, ohw = g->oh * g->ow;
    float *p = c->ws + DWCB_WS_HEADER + (size_t)tid * (pl->p_floats + pl->o_floats);
    float *o = p + pl->p_floats;
    bool banded = pl->band_oh < g->oh;
    if (c->fresh[tid]) { /* the side borders: the same for every band and block */
        memset(p, 0, sizeof(float) * pl->p_floats);
        c->fresh[tid] = 0;
    }
    _Alignas(64) float bias[16] = {0};
    for (int64_t i = 0; c->b && i < nc; i++)
        bias[i] = c->b[c0 + i];
    const float *x = c->x + (n * pl->c + c0) * g->h * g->w, *wk = c->w + blk * g->kh * g->kw * vl;
    const float *z = c->z ? c->z + (n * pl->c + c0) * ohw : NULL;
    float *y = c->y + (n * pl->c + c0) * ohw;
    /* an activation without Z (which comes before it) or per-channel slopes runs on the
     * interleaved band in one call: whole vectors, in L1; else on each output plane */
    bool post_o = pl->post && !z && pl->act.kind != ERT_ACT_PRELU;
    for (int64_t oy0 = 0; oy0 < g->oh; oy0 += pl->band_oh) {
        int64_t rows = g->oh - oy0 < pl->band_oh ? g->oh - oy0 : pl->band_oh;
        int64_t r0 = oy0 * g->sh, nr = p_rows(g, rows);
        if (banded)
            zero_pad_rows(pl, p, r0, nr, vl);
        pl->fns->pack_in(g, x, nc, p, r0, r0 + nr);
        pl->fns->compute(g, p, wk, bias, o, rows);
        if (post_o)
            pl->post(&c->act, o, rows * g->ow * vl, c0);
        pl->fns->unpack_out(g, o, nc, z, pl->lo, pl->hi, y, oy0 * g->ow, (oy0 + rows) * g->ow);
    }
    for (int64_t i = 0; pl->post && !post_o && i < nc; i++)
        pl->post(&c->act, y + i * ohw, ohw, c0 + i);
}

static ert_status run(ert_kctx *k)
{
    const cb_plan *pl = k->params;
    const cb_packed *p = k->packed;
    if (pl->nb * pl->c * pl->g.oh * pl->g.ow == 0)
        return ERT_OK;
    size_t need = (DWCB_WS_HEADER + (pl->p_floats + pl->o_floats) * (size_t)pl->threads) *
                  sizeof(float);
    if (k->ws_bytes < need || ert_threadpool_size(k->pool) > pl->threads ||
        pl->threads > DWCB_WS_HEADER)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, need);
    cb_task c = {pl, pl->act, k->in[0]->data, p->w, NULL, NULL, k->out[0]->data,
                 (float *)k->ws, (int32_t *)k->ws};
    const float *s;
    ert_dw_step_inputs(k, &c.b, &c.z, &s);
    for (int i = 0; i < pl->threads; i++)
        c.fresh[i] = 1;
    if (s)
        c.act.slope = s;
    ert_parallel_for(k->pool, pl->nb * pl->nblk, block_task, &c);
    return ERT_OK;
}

/* ---- kernel entries ---- */

static bool supports_avx512(const ert_node *n, const ert_graph *g)
{
    return supports_vl(n, g, 16);
}
static bool supports_avx2(const ert_node *n, const ert_graph *g)
{
    return supports_vl(n, g, 8);
}
static ert_status pack_avx512(const ert_node *n, const ert_graph *g, void **packed, ert_err *err)
{
    return pack_vl(n, g, 16, packed, err);
}
static ert_status pack_avx2(const ert_node *n, const ert_graph *g, void **packed, ert_err *err)
{
    return pack_vl(n, g, 8, packed, err);
}
static ert_status plan_avx512(ert_kctx *k, size_t *ws)
{
    return plan_fns(k, ws, &ert_dwcb_avx512, ert_act_f32_avx512);
}
static ert_status plan_avx2(ert_kctx *k, size_t *ws)
{
    return plan_fns(k, ws, &ert_dwcb_avx2, ert_act_f32_avx2);
}
const ert_kernel ert_dwconv_cb_avx512 = {"dwconv.cb.avx512", ERT_ISA_AVX512, supports_avx512,
                                         pack_avx512, free_packed, plan_avx512, run};
const ert_kernel ert_dwconv_cb_avx2 = {"dwconv.cb.avx2", ERT_ISA_AVX2, supports_avx2,
                                       pack_avx2, free_packed, plan_avx2, run};
#endif
