/*
 * conv_direct.c - conv.direct.<isa> / conv.implicit.<isa> (see conv_direct.h): support
 * tests, weight packing, plan, input staging and the threaded run; the kernels are
 * direct_<isa>.c over direct_body.inc.
 *
 * Staging (per task, into the thread's workspace slice): the task is a band of output
 * rows; the padded input rows it reads (padded row r: input row r - ph, padded column j:
 * input column j - pw, zero outside the image) are split into stride-phase planes:
 * plane (r % sh, j % sw) holds them at row r / sh, column j / sw, pl columns per row.
 * Tap (ky, kx) of output pixel (oy, ox) then lies at tap_off[t] + oy * pl + ox in each
 * channel's planes: one offset per tap, consecutive pixels consecutive floats at every
 * stride, and the kernel runs along that "virtual" index across row ends (direct_isa.h).
 * Bands fit DIRECT_BAND_BYTES, so the staged band stays in L2 while every channel block
 * computes from it (the whole image staged once per run streamed a 6.6 MB staging from
 * L3 on YOLOv5n's 3x3/2 16->32 at 320x320: 26% of the peak). At stride 2 a staged row is
 * split into its two phases by dwconv's vector split (ert_dw_copy_split_<isa>).
 * docs/kernels.md has the measurements.
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

#if defined(__x86_64__) || defined(_M_X64) /* the kernels are x86 only (direct_isa.h) */

#ifndef DIRECT_MAX_K
#define DIRECT_MAX_K 160      /* conv.direct: C x KH x KW of the stems and the layer after */
#endif
#ifndef DIRECT_MAX_C
#define DIRECT_MAX_C 16
#endif
#define DIRECT_MAX_TAPS 160   /* KH x KW: tap offsets held in the plan (DIRECT_MAX_K) */
#define DIRECT_SLACK 64       /* floats after the staged image: the kernels' last loads */
#define DIRECT_MAX_STAGE (64ll << 20) /* staged bytes offered at most */
#ifndef DIRECT_BAND_BYTES
#define DIRECT_BAND_BYTES (512 * 1024) /* a band's staged input: in a 1-2 MiB L2 */
#endif

typedef struct direct_packed {
    ert_isa isa;
    int mb;                   /* channels per block */
    int64_t m, k;             /* output channels, C x KH x KW */
    float *w;                 /* blocks of [k][mb], zero rows past m */
} direct_packed;

typedef struct direct_plan {
    int64_t nb, c, h, w, m, oh, ow;
    int64_t kh, kw, sh, sw, dh, dw, ph, pw;
    int64_t band, bands; /* output rows per band (a task's), bands */
    int64_t hp, wp;      /* padded rows a band reads, padded columns */
    int64_t hq, pl, ps;  /* rows and columns of a phase plane (the virtual row), its floats */
    int64_t cs;          /* floats of a channel's sh x sw phase planes */
    int64_t groups;      /* channel-block groups (kernel calls per band) */
    int threads;         /* workspace slices */
    int32_t tap_off[DIRECT_MAX_TAPS];
    size_t stage_floats;
    ert_act_params act;
} direct_plan;

_Static_assert(sizeof(direct_plan) <= ERT_STEP_PARAMS_BYTES, "direct_plan exceeds the block");

/* ---- load time ---- */

/* A 2-D group-1 conv with constant weights whose staged input fits; w: its weights, geo:
 * its geometry at load (dims may be -1). */
static bool supports_common(const ert_node *n, const ert_graph *g, const ert_tensor **w,
                            conv_geom *geo)
{
    if (!conv_f32_const_w(n, g, 4))
        return false;
    int n_in = n->n_inputs - n->n_captures;
    *w = &g->values[n->inputs[1]].t;
    ert_act_params act;
    if (!conv_geom_at_load(n, g, false, geo, &act) || geo->nsp != 2 || geo->group != 1)
        return false;
    if (act.kind == ERT_ACT_PRELU && (n_in <= ERT_FC_S || n->inputs[ERT_FC_S] < 0))
        return false;
    if ((*w)->dims[2] * (*w)->dims[3] > DIRECT_MAX_TAPS)
        return false;
    const ert_tensor *x = &g->values[n->inputs[0]].t;
    if (x->rank == 4 && x->dims[1] >= 0 && x->dims[2] >= 0 && x->dims[3] >= 0 &&
        x->dims[1] * (x->dims[2] + 64) * (x->dims[3] + 64) * 4 > DIRECT_MAX_STAGE)
        return false; /* known and too big to stage (a rough bound, pads included) */
    return true;
}

/* conv.direct's share of what supports_common takes: few input channels (stems). */
static bool stem_sized(const ert_tensor *w)
{
    int64_t c = w->dims[1], k = c * w->dims[2] * w->dims[3];
    return c <= DIRECT_MAX_C && k <= DIRECT_MAX_K;
}

/* conv.direct: few input channels (the heuristic's choice for stems). */
static bool supports(const ert_node *n, const ert_graph *g)
{
    const ert_tensor *w;
    conv_geom geo;
    return supports_common(n, g, &w, &geo) && stem_sized(w);
}

/* Where the heuristic order puts conv.implicit first (untuned runs): strided convs of 3x3
 * or larger whose output rows are known and at least DIRECT_FIRST_OW wide. The tuner picked
 * it over im2col for every such layer of YOLOv5n (3x3/2 on 40- to 80-wide outputs, Zen 5),
 * and im2col for the narrower ones (ResNet-50's 14- and 7-wide; even at 28). */
#define DIRECT_FIRST_OW 32

/* conv.implicit: any channel count, a tuning candidate after the GEMM family, but not a
 * stem (conv.direct's) nor a plain 1x1 (conv.gemm1x1 reads its input in place, nothing to
 * stage); first: its entries before the GEMM family (heuristic order) or after them. */
static bool supports_implicit(const ert_node *n, const ert_graph *g, bool first)
{
    const ert_tensor *w;
    conv_geom geo;
    if (!supports_common(n, g, &w, &geo) || stem_sized(w))
        return false;
    bool unit = geo.s[0] == 1 && geo.s[1] == 1;
    bool nopad = !(geo.pb[0] | geo.pb[1] | geo.pe[0] | geo.pe[1]);
    if (w->dims[2] == 1 && w->dims[3] == 1 && unit && nopad)
        return false;
    bool wide = w->dims[2] * w->dims[3] >= 9 && geo.s[0] >= 2 && geo.s[1] >= 2 &&
                geo.out[1] >= DIRECT_FIRST_OW; /* -1 when not known at load */
    return wide == first;
}

static bool supports_implicit_first(const ert_node *n, const ert_graph *g)
{
    return supports_implicit(n, g, true);
}

static bool supports_implicit_later(const ert_node *n, const ert_graph *g)
{
    return supports_implicit(n, g, false);
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

/* Padded input rows that `rows` output rows read. */
static int64_t rows_read(const direct_plan *pl, int64_t rows)
{
    return (rows - 1) * pl->sh + (pl->kh - 1) * pl->dh + 1;
}

/* The phase planes of bands of pl->band output rows, and the tap offsets in them. */
static void plan_band(direct_plan *pl)
{
    pl->bands = (pl->oh + pl->band - 1) / pl->band;
    pl->hp = rows_read(pl, pl->band);
    pl->hq = (pl->hp + pl->sh - 1) / pl->sh;
    pl->ps = pl->hq * pl->pl;
    pl->cs = pl->sh * pl->sw * pl->ps;
    for (int64_t ky = 0; ky < pl->kh; ky++)
        for (int64_t kx = 0; kx < pl->kw; kx++) {
            int64_t ry = ky * pl->dh, rx = kx * pl->dw;
            int64_t plane = (ry % pl->sh) * pl->sw + rx % pl->sw;
            pl->tap_off[ky * pl->kw + kx] =
                (int32_t)(plane * pl->ps + ry / pl->sh * pl->pl + rx / pl->sw);
        }
    pl->stage_floats = ert_round16((size_t)(pl->c * pl->cs) + DIRECT_SLACK);
}

/* Bands as tall as fit DIRECT_BAND_BYTES of staged input (one output row at least), and
 * short enough for two tasks per thread. */
static void plan_geometry(direct_plan *pl, const conv_geom *geo, const ert_tensor *x,
                          const ert_tensor *y, int64_t mb, int threads)
{
    pl->nb = x->dims[0], pl->c = x->dims[1], pl->h = geo->in[0], pl->w = geo->in[1];
    pl->m = y->dims[1], pl->oh = geo->out[0], pl->ow = geo->out[1];
    pl->kh = geo->k[0], pl->kw = geo->k[1], pl->sh = geo->s[0], pl->sw = geo->s[1];
    pl->dh = geo->d[0], pl->dw = geo->d[1], pl->ph = geo->pb[0], pl->pw = geo->pb[1];
    pl->wp = pl->ow > 0 ? (pl->ow - 1) * pl->sw + (pl->kw - 1) * pl->dw + 1 : 0;
    pl->pl = (pl->wp + pl->sw - 1) / pl->sw;
    pl->groups = ((pl->m + mb - 1) / mb + DIRECT_MAX_BLOCKS - 1) / DIRECT_MAX_BLOCKS;
    pl->threads = threads;
    pl->band = pl->oh > 0 ? pl->oh : 1;
    for (;;) {
        plan_band(pl);
        bool big = pl->stage_floats * sizeof(float) > DIRECT_BAND_BYTES;
        bool few = threads > 1 && pl->bands < 2 * threads;
        if (pl->band == 1 || (!big && !few))
            break;
        pl->band = (pl->band + 1) / 2;
    }
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
    int threads = ert_threadpool_size(k->pool);
    plan_geometry(pl, &geo, k->in[0], &y, p->mb, threads > 0 ? threads : 1);
    if (pl->m != p->m || pl->c * pl->kh * pl->kw != p->k || pl->kh * pl->kw > DIRECT_MAX_TAPS)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "weights changed shape since packing");
    if (pl->stage_floats > INT32_MAX)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "%s: one output row's staged input (%lld channels of %lld columns) "
                           "exceeds 2^31 floats; load the model with --no-tune (im2col takes "
                           "this conv)", k->node->name, (long long)pl->c, (long long)pl->w);
    if ((st = ert_dw_plan_act(k, pl->m, &pl->act)) != ERT_OK)
        return st;
    *ws_bytes = pl->stage_floats * sizeof(float) * (size_t)pl->threads;
    return ERT_OK;
}

/* ---- run ---- */

typedef struct direct_job {
    const direct_plan *pl;
    const direct_packed *p;
    direct_fn run;
    dw_copy_split_fn split;  /* stride 2: the level's row split by column phase */
    const float *x, *b, *z;
    float *y, *ws;
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

/* Padded row r (band-relative; input row ih) of channel c into the band's planes at d:
 * row r / sh of planes (r % sh, px), px < sw, padded column j at plane j % sw, column
 * j / sw. */
static void stage_row(const direct_job *j, float *d, int64_t c, int64_t r, int64_t ih)
{
    const direct_plan *pl = j->pl;
    d += c * pl->cs + (r % pl->sh) * pl->sw * pl->ps + r / pl->sh * pl->pl;
    if (ih < 0 || ih >= pl->h) {
        for (int64_t px = 0; px < pl->sw; px++)
            memset(d + px * pl->ps, 0, sizeof(float) * (size_t)pl->pl);
        return;
    }
    const float *s = j->x + ((j->n * pl->c + c) * pl->h + ih) * pl->w;
    if (pl->sw == 2) { /* both phases in one vector pass (a scalar gather per phase before) */
        int64_t i0 = pl->pw < 0 ? -pl->pw : 0, i1 = 2 * pl->pl - pl->pw;
        i1 = i1 < pl->w ? i1 : pl->w;
        memset(d, 0, sizeof(float) * (size_t)pl->pl);
        memset(d + pl->ps, 0, sizeof(float) * (size_t)pl->pl);
        if (i1 > i0)
            j->split(d, pl->ps, i0 + pl->pw, s + i0, i1 - i0);
        return;
    }
    for (int64_t px = 0; px < pl->sw; px++)
        stage_phase(d + px * pl->ps, s, px - pl->pw, pl->sw, pl->pl, pl->w);
}

/* Channel-block group grp of the band at output row oy0 (rows rows), input staged. */
static void run_group(const direct_job *j, const float *stage, int64_t grp, int64_t oy0,
                      int64_t rows)
{
    const direct_plan *pl = j->pl;
    int64_t blk = grp * DIRECT_MAX_BLOCKS, m0 = blk * j->p->mb;
    int64_t nblk = j->blocks - blk < DIRECT_MAX_BLOCKS ? j->blocks - blk : DIRECT_MAX_BLOCKS;
    int64_t ohw = pl->oh * pl->ow, yoff = (j->n * pl->m + m0) * ohw + oy0 * pl->ow;
    direct_args a = {
        .stage = stage, .c = pl->c, .cs = pl->cs, .taps = (int)(pl->kh * pl->kw),
        .tap_off = pl->tap_off, .w = j->p->w + blk * j->p->k * j->p->mb,
        .wstride = j->p->k * j->p->mb, .nblk = (int)nblk,
        .m = (int)(pl->m - m0 < nblk * j->p->mb ? pl->m - m0 : nblk * j->p->mb),
        .pl = pl->pl, .ow = pl->ow, .q0 = 0, .q1 = (rows - 1) * pl->pl + pl->ow,
        .y = j->y + yoff, .ystride = ohw, .z = j->z ? j->z + yoff : NULL,
        .bias = j->b ? j->b + m0 : NULL, .clamp = j->clamp, .lo = j->lo, .hi = j->hi};
    if (j->slope_in_kernel) {
        bool shared = j->act.n_slope == 1 || j->act.kind == ERT_ACT_LEAKY_RELU;
        a.slope = j->act.kind == ERT_ACT_LEAKY_RELU ? &j->act.alpha
                                                    : j->act.slope + (shared ? 0 : m0);
        a.slope_step = shared ? 0 : 1;
    }
    j->run(&a);
    if (j->clamp || j->slope_in_kernel || j->act.kind == ERT_ACT_NONE)
        return;
    for (int r = 0; r < a.m; r++) /* the rest of the activations, on the band while in L2 */
        ert_act_f32_isa(j->p->isa, &j->act, a.y + r * ohw, rows * pl->ow, m0 + r);
}

/* Task t: band t, its input staged into the thread's slice (in L2 from there on), then
 * every channel-block group on it. */
static void run_task(void *arg, int64_t t, int tid)
{
    const direct_job *j = arg;
    const direct_plan *pl = j->pl;
    int64_t oy0 = t * pl->band, rows = pl->oh - oy0 < pl->band ? pl->oh - oy0 : pl->band;
    int64_t hp = rows_read(pl, rows);
    float *stage = j->ws + (size_t)tid * pl->stage_floats;
    for (int64_t c = 0; c < pl->c; c++)
        for (int64_t r = 0; r < hp; r++)
            stage_row(j, stage, c, r, oy0 * pl->sh + r - pl->ph);
    for (int64_t grp = 0; grp < pl->groups; grp++)
        run_group(j, stage, grp, oy0, rows);
}

/* The pool's tasks when the workspace has a slice per thread, else all on slice 0. */
static void serial_tasks(void *arg, int64_t n)
{
    for (int64_t t = 0; t < n; t++)
        run_task(arg, t, 0);
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

static ert_status run_isa(ert_kctx *k, direct_fn run, dw_copy_split_fn split)
{
    const direct_plan *pl = k->params;
    const direct_packed *p = k->packed;
    size_t slices = k->ws_bytes / (pl->stage_floats * sizeof(float));
    if (slices < 1)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->stage_floats * sizeof(float));
    direct_job j = {.pl = pl, .p = p, .run = run, .split = split, .x = k->in[0]->data,
                    .y = k->out[0]->data, .ws = k->ws, .act = pl->act};
    const float *s;
    ert_dw_step_inputs(k, &j.b, &j.z, &s);
    if (s)
        j.act.slope = s;
    plan_epilogue(&j);
    j.blocks = (pl->m + p->mb - 1) / p->mb;
    int64_t tasks = pl->bands;
    bool pooled = slices >= (size_t)ert_threadpool_size(k->pool);
    for (j.n = 0; j.n < pl->nb && pl->oh * pl->ow > 0; j.n++) {
        if (pooled)
            ert_parallel_for(k->pool, tasks, run_task, &j);
        else
            serial_tasks(&j, tasks);
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
    return run_isa(k, ert_direct_avx512, ert_dw_copy_split_avx512);
}
static ert_status run_avx2(ert_kctx *k)
{
    return run_isa(k, ert_direct_avx2, ert_dw_copy_split_avx2);
}
static const ert_kernel k_avx512 = {"conv.direct.avx512", ERT_ISA_AVX512, supports,
                                    pack_avx512, free_packed, plan, run_avx512};
static const ert_kernel k_avx2 = {"conv.direct.avx2", ERT_ISA_AVX2, supports, pack_avx2,
                                  free_packed, plan, run_avx2};
/* conv.implicit twice per level: listed before the GEMM family where supports_implicit's
 * `first` test holds, after it elsewhere. The two entries of a name differ in supports() only (no node
 * passes both), so a lookup by name gets the same pack, plan and run either way. */
#define IMPLICIT(var, isa_name, isa, sup, pk, rn) \
    static const ert_kernel var = {"conv.implicit." isa_name, isa, sup, pk, free_packed, plan, rn};
IMPLICIT(k_implicit_avx512, "avx512", ERT_ISA_AVX512, supports_implicit_later, pack_avx512,
         run_avx512)
IMPLICIT(k_implicit_avx2, "avx2", ERT_ISA_AVX2, supports_implicit_later, pack_avx2, run_avx2)
IMPLICIT(k_implicit1_avx512, "avx512", ERT_ISA_AVX512, supports_implicit_first, pack_avx512,
         run_avx512)
IMPLICIT(k_implicit1_avx2, "avx2", ERT_ISA_AVX2, supports_implicit_first, pack_avx2, run_avx2)
#undef IMPLICIT
#endif

const ert_kernel *const ert_conv_direct_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
    NULL};

const ert_kernel *const ert_conv_implicit_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_implicit_avx512, &k_implicit_avx2,
#endif
    NULL};

const ert_kernel *const ert_conv_implicit_first_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_implicit1_avx512, &k_implicit1_avx2,
#endif
    NULL};
