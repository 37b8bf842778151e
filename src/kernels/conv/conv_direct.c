/*
 * conv_direct.c - conv.direct.<isa> (see conv_direct.h): support test, weight packing,
 * plan, input staging and the threaded run; the row kernels are direct_<isa>.c.
 *
 * Staging (per image, into the workspace): padded row r of channel c holds input row
 * r - ph; its padded columns j (input column j - pw, zero outside the image) are stored
 * by stride phase: phase p = j % sw at offset p * pl + j / sw, pl = ceil(wp / sw) rounded
 * up to 16 floats (so every phase row starts on a cache line and the taps at phase
 * index ox are aligned loads; 3x3/2 16->32 on 80x80, Zen 4: best of 200 runs 0.234 ->
 * 0.206 ms with the tile order below). The input column of output pixel ox under tap kx
 * is ox * sw + kx * dw, i.e. phase (kx * dw) % sw, index ox + (kx * dw) / sw:
 * consecutive pixels are consecutive floats for every stride. Tasks: one output row and
 * up to DIRECT_MAX_BLOCKS channel blocks; the row kernel runs tile by tile (3 vectors of
 * pixels), every block on a tile before the next, so the blocks read the tile's staged
 * input from L1 (blocks outer re-read the row from L2 once per block; blocks as separate
 * tasks before that streamed the staged image from L3 once per block). At stride 2 a
 * staged row is split into its two phases by dwconv's vector split
 * (ert_dw_copy_split_<isa>): the scalar gather per phase before it took a fifth of the
 * instructions of a 3x3/2 16->32 conv (best of 100 runs on 320x320, Zen 4: 2.95 ->
 * 2.75 ms).
 */
#include <stdlib.h>
#include <string.h>

#include "kernels/act/act.h"
#include "kernels/conv/conv_direct.h"
#include "kernels/conv/direct_isa.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/dwconv/dwconv_isa.h"
#include "ops/conv_geom.h"
#include "ops/fused.h"
#include "runtime/threadpool.h"

#if defined(__x86_64__) || defined(_M_X64) /* the row kernels are x86 only (direct_isa.h) */

#define DIRECT_MAX_K 160      /* C x KH x KW: the stems and the layer after them */
#define DIRECT_MAX_C 16
#define DIRECT_MAX_KW 32      /* tap offsets held in the plan */
#define DIRECT_SLACK 64       /* floats after the staged image: row kernels' last loads */
#define DIRECT_MAX_STAGE (64ll << 20) /* staged bytes offered at most */

typedef struct direct_packed {
    ert_isa isa;
    int mb;                   /* channels per block */
    int64_t m, k;             /* output channels, C x KH x KW */
    float *w;                 /* blocks of [k][mb], zero rows past m */
} direct_packed;

typedef struct direct_plan {
    int64_t nb, c, h, w, m, oh, ow;
    int64_t kh, kw, sh, sw, dh, dw, ph, pw;
    int64_t hp, wp, phase_len, rs;  /* staged rows, padded width, phase length, row stride */
    int64_t tap_off[DIRECT_MAX_KW];
    size_t stage_floats;
    ert_act_params act;
} direct_plan;

_Static_assert(sizeof(direct_plan) <= ERT_STEP_PARAMS_BYTES, "direct_plan exceeds the block");

/* ---- load time ---- */

static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!conv_f32_const_w(n, g, 4))
        return false;
    int n_in = n->n_inputs - n->n_captures;
    const ert_value *w = &g->values[n->inputs[1]];
    conv_geom geo;
    ert_act_params act;
    if (!conv_geom_at_load(n, g, false, &geo, &act) || geo.nsp != 2 || geo.group != 1)
        return false;
    if (act.kind == ERT_ACT_PRELU && (n_in <= ERT_FC_S || n->inputs[ERT_FC_S] < 0))
        return false;
    int64_t c = w->t.dims[1], k = c * w->t.dims[2] * w->t.dims[3];
    if (c > DIRECT_MAX_C || k > DIRECT_MAX_K || w->t.dims[3] > DIRECT_MAX_KW)
        return false;
    const ert_tensor *x = &g->values[n->inputs[0]].t;
    if (x->rank == 4 && x->dims[1] >= 0 && x->dims[2] >= 0 && x->dims[3] >= 0 &&
        x->dims[1] * (x->dims[2] + 64) * (x->dims[3] + 64) * 4 > DIRECT_MAX_STAGE)
        return false; /* known and too big to stage (a rough bound, pads included) */
    return true;
}

static int mb_of(ert_isa isa)
{
    return isa == ERT_ISA_AVX512 ? DIRECT_MB_AVX512 : DIRECT_MB_AVX2;
}

static ert_status pack_isa(ert_isa isa, const ert_node *n, const ert_graph *g, void **packed,
                           ert_err *err)
{
    const ert_tensor *w = &g->values[n->inputs[1]].t;
    direct_packed *p = calloc(1, sizeof *p);
    if (!p)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "conv.direct: out of memory packing weights");
    p->isa = isa;
    p->mb = mb_of(isa);
    p->m = w->dims[0];
    p->k = w->dims[1] * w->dims[2] * w->dims[3];
    int64_t blocks = (p->m + p->mb - 1) / p->mb;
    size_t floats = (size_t)(blocks * p->k * p->mb);
    p->w = aligned_alloc(64, ert_round16(floats > 0 ? floats : 1) * sizeof(float));
    if (!p->w) {
        free(p);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "conv.direct: out of memory packing weights "
                        "(%zu floats)", floats);
    }
    const float *wd = w->data;
    for (int64_t b = 0; b < blocks; b++)
        for (int64_t t = 0; t < p->k; t++)
            for (int r = 0; r < p->mb; r++) {
                int64_t m = b * p->mb + r;
                p->w[(b * p->k + t) * p->mb + r] = m < p->m ? wd[m * p->k + t] : 0.0f;
            }
    *packed = p;
    return ERT_OK;
}

static void free_packed(void *packed)
{
    direct_packed *p = packed;
    if (p)
        free(p->w);
    free(p);
}

/* ---- reshape ---- */

static void plan_geometry(direct_plan *pl, const conv_geom *geo, const ert_tensor *x,
                          const ert_tensor *y)
{
    pl->nb = x->dims[0], pl->c = x->dims[1], pl->h = geo->in[0], pl->w = geo->in[1];
    pl->m = y->dims[1], pl->oh = geo->out[0], pl->ow = geo->out[1];
    pl->kh = geo->k[0], pl->kw = geo->k[1], pl->sh = geo->s[0], pl->sw = geo->s[1];
    pl->dh = geo->d[0], pl->dw = geo->d[1], pl->ph = geo->pb[0], pl->pw = geo->pb[1];
    pl->hp = pl->oh > 0 ? (pl->oh - 1) * pl->sh + (pl->kh - 1) * pl->dh + 1 : 0;
    pl->wp = pl->ow > 0 ? (pl->ow - 1) * pl->sw + (pl->kw - 1) * pl->dw + 1 : 0;
    pl->phase_len = (int64_t)ert_round16((size_t)((pl->wp + pl->sw - 1) / pl->sw));
    pl->rs = pl->sw * pl->phase_len;
    for (int64_t kx = 0; kx < pl->kw; kx++) {
        int64_t col = kx * pl->dw;
        pl->tap_off[kx] = (col % pl->sw) * pl->phase_len + col / pl->sw;
    }
    pl->stage_floats = (size_t)(pl->c * pl->hp * pl->rs) + DIRECT_SLACK;
}

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    const direct_packed *p = k->packed;
    direct_plan *pl = k->params;
    ert_tensor y = {0};
    conv_geom geo;
    ert_status st = conv_geom_of_step(k, &geo, &y);
    if (st)
        return st;
    memset(pl, 0, sizeof *pl);
    plan_geometry(pl, &geo, k->in[0], &y);
    if (pl->m != p->m || pl->c * pl->kh * pl->kw != p->k || pl->kw > DIRECT_MAX_KW)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "weights changed shape since packing");
    if ((st = ert_dw_plan_act(k, pl->m, &pl->act)) != ERT_OK)
        return st;
    *ws_bytes = ert_round16(pl->stage_floats) * sizeof(float);
    return ERT_OK;
}

/* ---- run ---- */

typedef struct direct_job {
    const direct_plan *pl;
    const direct_packed *p;
    direct_row_fn row;
    dw_copy_split_fn split;  /* stride 2: the level's row split by column phase */
    const float *x, *b, *z;
    float *y, *stage;
    ert_act_params act;
    bool clamp, slope_in_kernel;
    float lo, hi;
    int64_t n;               /* the image */
    int64_t blocks;          /* channel blocks of mb */
} direct_job;

/* d[i] = s[off + i * step] where that lies in [0, w), else 0, for i < n: zeros, the
 * in-image run without a test per element, zeros. */
static void stage_phase(float *restrict d, const float *restrict s, int64_t off, int64_t step,
                        int64_t n, int64_t w)
{
    int64_t lo = off >= 0 ? 0 : (-off + step - 1) / step; /* first i with off + i step >= 0 */
    int64_t hi = w - off <= 0 ? 0 : (w - off + step - 1) / step; /* first i past the row */
    lo = lo < n ? lo : n;
    hi = hi < lo ? lo : hi > n ? n : hi;
    memset(d, 0, sizeof(float) * (size_t)lo);
    if (step == 1)
        memcpy(d + lo, s + off + lo, sizeof(float) * (size_t)(hi - lo));
    else
        for (int64_t i = lo; i < hi; i++)
            d[i] = s[off + i * step];
    memset(d + hi, 0, sizeof(float) * (size_t)(n - hi));
}

/* Staged row r of channel c (see the top of the file). */
static void stage_task(void *arg, int64_t t, int tid)
{
    (void)tid;
    const direct_job *j = arg;
    const direct_plan *pl = j->pl;
    int64_t c = t / pl->hp, r = t % pl->hp, ih = r - pl->ph;
    float *d = j->stage + (c * pl->hp + r) * pl->rs;
    if (ih < 0 || ih >= pl->h) {
        memset(d, 0, sizeof(float) * (size_t)pl->rs);
        return;
    }
    const float *s = j->x + ((j->n * pl->c + c) * pl->h + ih) * pl->w;
    if (pl->sw == 2) { /* both phases in one vector pass (a scalar gather per phase before) */
        int64_t i0 = pl->pw < 0 ? -pl->pw : 0, i1 = 2 * pl->phase_len - pl->pw;
        i1 = i1 < pl->w ? i1 : pl->w;
        memset(d, 0, sizeof(float) * (size_t)pl->rs);
        if (i1 > i0)
            j->split(d, pl->phase_len, i0 + pl->pw, s + i0, i1 - i0);
        return;
    }
    for (int64_t p = 0; p < pl->sw; p++)
        stage_phase(d + p * pl->phase_len, s, p - pl->pw, pl->sw, pl->phase_len, pl->w);
}

static void row_task(void *arg, int64_t t, int tid)
{
    (void)tid;
    const direct_job *j = arg;
    const direct_plan *pl = j->pl;
    int64_t groups = (j->blocks + DIRECT_MAX_BLOCKS - 1) / DIRECT_MAX_BLOCKS;
    int64_t oy = t / groups, blk = t % groups * DIRECT_MAX_BLOCKS, m0 = blk * j->p->mb;
    int64_t nblk = j->blocks - blk < DIRECT_MAX_BLOCKS ? j->blocks - blk : DIRECT_MAX_BLOCKS;
    int64_t ohw = pl->oh * pl->ow, yoff = (j->n * pl->m + m0) * ohw + oy * pl->ow;
    direct_row_args a = {
        .stage = j->stage, .c = pl->c, .kh = pl->kh, .kw = pl->kw, .hp = pl->hp,
        .rs = pl->rs, .sh = pl->sh, .dh = pl->dh, .tap_off = pl->tap_off,
        .w = j->p->w + blk * j->p->k * j->p->mb, .wstride = j->p->k * j->p->mb,
        .nblk = (int)nblk,
        .m = (int)(pl->m - m0 < nblk * j->p->mb ? pl->m - m0 : nblk * j->p->mb), .ow = pl->ow,
        .oy = oy,
        .y = j->y + yoff, .ystride = ohw, .z = j->z ? j->z + yoff : NULL,
        .bias = j->b ? j->b + m0 : NULL, .clamp = j->clamp, .lo = j->lo, .hi = j->hi};
    if (j->slope_in_kernel) {
        bool shared = j->act.n_slope == 1 || j->act.kind == ERT_ACT_LEAKY_RELU;
        a.slope = j->act.kind == ERT_ACT_LEAKY_RELU ? &j->act.alpha
                                                    : j->act.slope + (shared ? 0 : m0);
        a.slope_step = shared ? 0 : 1;
    }
    j->row(&a);
    if (j->clamp || j->slope_in_kernel || j->act.kind == ERT_ACT_NONE)
        return;
    for (int r = 0; r < a.m; r++) /* the rest of the activations, on the row while in L1 */
        ert_act_f32_isa(j->p->isa, &j->act, a.y + r * ohw, pl->ow, m0 + r);
}

/* How the activation is applied: in the row kernel (clamp, slope) or after it. */
static void plan_epilogue(direct_job *j)
{
    ert_act kind = j->act.kind;
    j->clamp = kind == ERT_ACT_RELU || kind == ERT_ACT_CLIP;
    j->lo = kind == ERT_ACT_CLIP ? j->act.alpha : 0.0f;
    j->hi = kind == ERT_ACT_CLIP ? j->act.beta : __builtin_inff();
    j->slope_in_kernel = kind == ERT_ACT_LEAKY_RELU || kind == ERT_ACT_PRELU;
}

static ert_status run_isa(ert_kctx *k, direct_row_fn row, dw_copy_split_fn split)
{
    const direct_plan *pl = k->params;
    const direct_packed *p = k->packed;
    if (k->ws_bytes < pl->stage_floats * sizeof(float))
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->stage_floats * sizeof(float));
    direct_job j = {.pl = pl, .p = p, .row = row, .split = split, .x = k->in[0]->data,
                    .y = k->out[0]->data, .stage = k->ws, .act = pl->act};
    const float *s;
    ert_dw_step_inputs(k, &j.b, &j.z, &s);
    if (s)
        j.act.slope = s;
    plan_epilogue(&j);
    j.blocks = (pl->m + p->mb - 1) / p->mb;
    for (j.n = 0; j.n < pl->nb && pl->oh * pl->ow > 0; j.n++) {
        ert_parallel_for(k->pool, pl->c * pl->hp, stage_task, &j);
        ert_parallel_for(k->pool, (j.blocks + DIRECT_MAX_BLOCKS - 1) / DIRECT_MAX_BLOCKS * pl->oh,
                         row_task, &j);
    }
    return ERT_OK;
}

/* ---- kernel entries ---- */

static ert_status pack_avx512(const ert_node *n, const ert_graph *g, void **packed, ert_err *err)
{
    return pack_isa(ERT_ISA_AVX512, n, g, packed, err);
}
static ert_status pack_avx2(const ert_node *n, const ert_graph *g, void **packed, ert_err *err)
{
    return pack_isa(ERT_ISA_AVX2, n, g, packed, err);
}
static ert_status run_avx512(ert_kctx *k)
{
    return run_isa(k, ert_direct_row_avx512, ert_dw_copy_split_avx512);
}
static ert_status run_avx2(ert_kctx *k)
{
    return run_isa(k, ert_direct_row_avx2, ert_dw_copy_split_avx2);
}
static const ert_kernel k_avx512 = {"conv.direct.avx512", ERT_ISA_AVX512, supports,
                                    pack_avx512, free_packed, plan, run_avx512};
static const ert_kernel k_avx2 = {"conv.direct.avx2", ERT_ISA_AVX2, supports, pack_avx2,
                                  free_packed, plan, run_avx2};
#endif

const ert_kernel *const ert_conv_direct_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
    NULL};
