/*
 * dwconv.c - dwconv.<isa> kernels (see dwconv.h): support test, plan, threaded run and
 * the portable row kernels (dw_body.inc at W = 1).
 *
 * Per (image, channel) task: the channel's input plane is copied into the thread's
 * workspace slice with its zero padding made explicit (rows [-ph, ...), columns [-pw,
 * ...), and DW_ROW_OVERREAD floats of slack per row), so the row kernels run without a
 * single bounds test for any pads, dilations or auto_pad (negative SAME pads included:
 * the copy simply starts inside the image). The border is zeroed once per run and
 * thread; per channel only the image is copied (one pass over the input; measured 30-60%
 * of the time when every row was rebuilt, on 14x14..112x112 planes). Each output row is then one row
 * kernel call (bias and Z in registers) and, when there is one, the activation on the
 * row while it is in L1. Geometry comes from conv.c's conv_infer_common.
 */
#include <string.h>

#include "kernels/act/act_isa.h"
#include "kernels/dwconv/dwconv.h"
#include "kernels/dwconv/dwconv_isa.h"
#include "ops/conv_geom.h"
#include "ops/fused.h"
#include "runtime/threadpool.h"

typedef void (*act_fn)(const ert_act_params *a, float *x, int64_t n, int64_t channel);

typedef struct dw_plan {
    int64_t nb, c, h, w, oh, ow;   /* batch, input channels, input and output sizes */
    int64_t m, cg, mg;             /* output channels, input / output channels per group
                                    * (depthwise: m = c, cg = mg = 1) */
    int64_t sh, ph, pw;            /* row stride, start pads (may be < 0) */
    int64_t hp;                    /* padded plane rows */
    int64_t band_oh, band_rows;    /* output rows per band, padded rows a band needs */
    dw_row_args ra;                /* kernel, col stride, dilations, ow, row stride */
    size_t plane_floats;           /* per-thread workspace slice (floats, 16-multiple) */
    int threads;                   /* slices planned for */
    dw_row_fn row;                 /* row kernel of this level and geometry */
    dw_row_fn row2;                /* two-row kernel (NULL: none for this geometry) */
    dw_copy_fn copy;               /* the level's row copy */
    dw_copy_split_fn copy_split;   /* its copy split by column phase (dw_split) */
    bool split;                    /* the plane's rows are split by column phase */
    act_fn act_run;                /* the level's activation (NULL: none) */
    ert_act_params act;            /* activation; slope re-read from S each run */
} dw_plan;

_Static_assert(sizeof(dw_plan) <= ERT_STEP_PARAMS_BYTES, "dw_plan exceeds the block");

/* Workspace: DW_WS_HEADER floats' room for the per-thread "fresh" flags (keeps the
 * slices 64-byte aligned), then one padded plane per thread. */
#define DW_WS_HEADER 256

/* Padded input rows of one band (see pad_band): sized to stay in a 32-48 KiB L1 with
 * the output rows; whole planes of 112x112 (66 KiB padded) went through L2. */
#define DW_BAND_BYTES (24 * 1024)

/* Output planes up to this many floats (16 KiB) get their activation in one call. */
#define DW_ACT_PLANE_FLOATS 4096

/* ---- portable row kernels ---- */

/* The portable rows run dw_body.inc on a 4-float struct: plain C whose lane loops the
 * compiler's SLP vectoriser turns into SSE/NEON operations at the baseline ISA (the
 * one-float version stayed scalar and lost to conv.c's im2col reference at stride 1). */
typedef struct f4 {
    float v[4];
} f4;

static inline f4 f4_set1(float c)
{
    f4 r = {{c, c, c, c}};
    return r;
}
static inline f4 f4_load(const float *p)
{
    f4 r;
    memcpy(r.v, p, sizeof r.v);
    return r;
}
static inline void f4_store(float *p, f4 a)
{
    memcpy(p, a.v, sizeof a.v);
}
static inline f4 f4_add(f4 a, f4 b)
{
    for (int i = 0; i < 4; i++)
        a.v[i] += b.v[i];
    return a;
}
static inline f4 f4_fma(f4 a, f4 b, f4 c)
{
    for (int i = 0; i < 4; i++)
        c.v[i] += a.v[i] * b.v[i];
    return c;
}
/* The first n (< 4) lanes; the rest zero. */
static inline f4 f4_load_n(const float *p, int n)
{
    f4 r = {{0}};
    memcpy(r.v, p, sizeof(float) * (size_t)n);
    return r;
}
static inline void f4_store_n(float *p, f4 a, int n)
{
    memcpy(p, a.v, sizeof(float) * (size_t)n);
}
/* the even / odd lanes of a, b */
static inline f4 f4_even(f4 a, f4 b)
{
    f4 r = {{a.v[0], a.v[2], b.v[0], b.v[2]}};
    return r;
}

static inline f4 f4_odd(f4 a, f4 b)
{
    f4 r = {{a.v[1], a.v[3], b.v[1], b.v[3]}};
    return r;
}

/* p[0], p[s], p[2s], p[3s] */
static inline f4 f4_load_s(const float *p, int64_t s)
{
    f4 r = {{p[0], p[s], p[2 * s], p[3 * s]}};
    return r;
}

#define VF f4
#define W 4
#define V_SET1(c) f4_set1(c)
#define V_LOAD(p) f4_load(p)
#define V_STORE(p, v) f4_store(p, v)
#define V_ADD(a, b) f4_add(a, b)
#define V_FMA(a, b, c) f4_fma(a, b, c)
#define V_LOAD_S2(p) f4_load_s(p, 2)
#define V_LOAD_S(p, s) f4_load_s(p, s)
#define V_EVEN(a, b) f4_even(a, b)
#define V_ODD(a, b) f4_odd(a, b)
#define V_LOAD_N(p, n) f4_load_n(p, n)
#define V_STORE_N(p, v, n) f4_store_n(p, v, n)
#define DW_SFX ref
#include "kernels/dwconv/dw_body.inc"
#undef VF
#undef W

/* ---- load time ---- */

static bool is_f32(const ert_graph *g, int v)
{
    return v < 0 || g->values[v].t.dtype == ERT_DTYPE_FLOAT32;
}

/* What both kernels of this file ask first: a float32 1-D or 2-D Conv / FusedConv with X
 * and W given, W of known shape and X's rank; its X, W and load-time geometry. */
static bool conv_rows_node(const ert_node *n, const ert_graph *g, const ert_tensor **x,
                           const ert_tensor **w, conv_geom *geo)
{
    if (!n->op || (n->op->id != ERT_OP_CONV && n->op->id != ERT_OP_FUSED_CONV))
        return false;
    int n_in = n->n_inputs - n->n_captures;
    if (n_in < 2 || n->inputs[0] < 0 || n->inputs[1] < 0)
        return false;
    for (int i = 0; i < n_in; i++)
        if (!is_f32(g, n->inputs[i]))
            return false;
    *x = &g->values[n->inputs[0]].t;
    *w = &g->values[n->inputs[1]].t;
    if (((*w)->rank != 3 && (*w)->rank != 4) || !ert_tensor_shape_known(*w) ||
        (*x)->rank != (*w)->rank)
        return false;
    return conv_geom_at_load(n, g, false, geo, NULL) && (geo->nsp == 1 || geo->nsp == 2);
}

/* Float32 1-D or 2-D conv with W [C, 1, (KH,) KW] and group == C == X's channels. */
bool ert_dwconv_supports(const ert_node *n, const ert_graph *g)
{
    const ert_tensor *x, *w;
    conv_geom geo;
    if (!conv_rows_node(n, g, &x, &w, &geo) || w->dims[1] != 1)
        return false;
    return geo.group == w->dims[0] && (x->dims[1] < 0 || x->dims[1] == geo.group) &&
           geo.group > 1;
}

/* Grouped convs of few channels per group (ResNeXt's 32 groups of 4-32, RegNet's group
 * width 8-16, a depthwise channel multiplier): each output channel's rows accumulate one
 * depthwise row per input channel of its group (the row kernel's Z is the row so far),
 * instead of one small GEMM per group whose 8-row tiles and K = cg x kh x kw are mostly
 * overhead. Float32 1-D or 2-D, group > 1, cg and mg <= GCONV_MAX_CH, not depthwise
 * (dwconv.<isa> runs that), output rows of >= GCONV_MIN_OW (where known at load): rows
 * narrower than a vector are mostly masked tails. ResNeXt-50 32x4d, Intel Xeon, one
 * thread: cg = 4 on 56x56 0.53 ms against im2col's 1.05; cg = 8 (28x28, stride 2) 0.55
 * against 0.71; cg = 16 on 14x14 0.67 against 0.54 and cg = 32 on 7x7 1.43 against 0.57
 * (hence both bounds). */
#define GCONV_MAX_CH 16
#define GCONV_MIN_OW 16

bool ert_gconv_supports(const ert_node *n, const ert_graph *g)
{
    const ert_tensor *x, *w;
    conv_geom geo;
    if (!conv_rows_node(n, g, &x, &w, &geo))
        return false;
    int64_t cg = w->dims[1], mg = geo.group > 0 ? w->dims[0] / geo.group : 0;
    int64_t ow = geo.out[geo.nsp - 1];
    return geo.group > 1 && w->dims[0] % geo.group == 0 && cg <= GCONV_MAX_CH &&
           mg <= GCONV_MAX_CH && !(cg == 1 && mg == 1) && (ow < 0 || ow >= GCONV_MIN_OW) &&
           (x->dims[1] < 0 || x->dims[1] == geo.group * cg);
}

ert_status ert_dw_plan_act(ert_kctx *k, int64_t c, ert_act_params *act)
{
    ert_status st;
    memset(act, 0, sizeof *act);
    if (k->node->op->id == ERT_OP_FUSED_CONV && (st = ert_fused_conv_act(k, act)))
        return st;
    if (act->kind == ERT_ACT_PRELU && act->n_slope != 1 && act->n_slope != c)
        return ert_op_fail(k, ERT_ERR_SHAPE, "S has %lld slopes for %lld channels",
                           (long long)act->n_slope, (long long)c);
    return ERT_OK;
}

void ert_dw_step_inputs(ert_kctx *k, const float **b, const float **z, const float **s)
{
    bool fused = k->node->op->id == ERT_OP_FUSED_CONV;
    const ert_tensor *tb = ert_in(k, 2), *tz = fused ? ert_in(k, ERT_FC_Z) : NULL,
                     *ts = fused ? ert_in(k, ERT_FC_S) : NULL;
    *b = tb ? tb->data : NULL;
    *z = tz ? tz->data : NULL;
    *s = ts ? ts->data : NULL;
}

/* ---- reshape ---- */

/* Geometry and activation; the caller picks the row kernels of its level. */
static ert_status plan_isa(ert_kctx *k, size_t *ws_bytes, act_fn act_run)
{
    dw_plan *pl = k->params;
    ert_tensor y = {0};
    conv_geom geo;
    ert_status st = conv_geom_of_step(k, &geo, &y);
    if (st)
        return st;
    memset(pl, 0, sizeof *pl);
    const ert_tensor *x = k->in[0];
    pl->nb = x->dims[0];
    pl->c = x->dims[1];
    /* a 1-D conv is a 2-D one with one row (H = OH = KH = 1) */
    bool one_d = geo.nsp == 1;
    int a = one_d ? 0 : 1; /* the width axis */
    pl->h = one_d ? 1 : geo.in[0];
    pl->w = geo.in[a];
    pl->oh = one_d ? 1 : geo.out[0];
    pl->ow = geo.out[a];
    pl->sh = one_d ? 1 : geo.s[0];
    pl->ph = one_d ? 0 : geo.pb[0];
    pl->pw = geo.pb[a];
    pl->ra = (dw_row_args){.kh = one_d ? 1 : geo.k[0], .kw = geo.k[a], .sw = geo.s[a],
                           .dh = one_d ? 1 : geo.d[0], .dw = geo.d[a], .ow = pl->ow};
    pl->m = k->in[1]->dims[0];
    pl->cg = k->in[1]->dims[1];
    pl->mg = geo.group > 0 ? pl->m / geo.group : 0;
    if (geo.group < 1 || pl->cg * geo.group != pl->c || pl->mg * geo.group != pl->m)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "not a grouped conv at run time");
    pl->hp = pl->oh > 0 ? (pl->oh - 1) * pl->sh + (pl->ra.kh - 1) * pl->ra.dh + 1 : 0;
    /* every column a full vector at the last output may touch, plus slack */
    int64_t owr = (pl->ow + 15) / 16 * 16;
    pl->ra.ps = (int64_t)ert_round16((size_t)(owr * pl->ra.sw + (pl->ra.kw - 1) * pl->ra.dw +
                                          DW_ROW_OVERREAD));
    /* bands of output rows whose padded input fits DW_BAND_BYTES (L1), even-sized for the
     * two-row kernels; a small plane is one band */
    int64_t span = (pl->ra.kh - 1) * pl->ra.dh + 1;
    int64_t fit_rows = (int64_t)(DW_BAND_BYTES / sizeof(float)) / pl->ra.ps;
    pl->band_oh = pl->oh;
    if (pl->hp > fit_rows && fit_rows > span) {
        int64_t b = (fit_rows - span) / pl->sh + 1;
        b = b > 2 ? b & ~(int64_t)1 : 2;
        pl->band_oh = b < pl->oh ? b : pl->oh;
    } else if (pl->hp > fit_rows) {
        pl->band_oh = pl->oh < 2 ? pl->oh : 2;
    }
    pl->band_rows = pl->band_oh > 0 ? (pl->band_oh - 1) * pl->sh + span : 0;
    pl->plane_floats = ert_round16((size_t)(pl->band_rows * pl->ra.ps));
    pl->split = dw_split(pl->ra.sw, pl->ra.dw);
    pl->threads = ert_threadpool_size(k->pool);
    if ((st = ert_dw_plan_act(k, pl->m, &pl->act)))
        return st;
    pl->act_run = pl->act.kind == ERT_ACT_NONE ? NULL : act_run;
    *ws_bytes = (DW_WS_HEADER + pl->plane_floats * (size_t)pl->threads) * sizeof(float);
    return ERT_OK;
}

/* ---- run ---- */

typedef struct dw_task {
    const dw_plan *pl;
    ert_act_params act;
    const float *x, *w, *b, *z;
    float *y, *ws;
    int32_t *fresh; /* per thread: its slice still needs its zero border */
} dw_task;

/* The zero-padded rows of one channel that output rows [oy0, oy0 + band_oh) read: buffer
 * row b is padded row oy0*sh + b, i.e. input row oy0*sh + b - ph; column j is input
 * column j - pw. The side borders are the same for every band and channel of a run, so
 * a slice is zeroed once per run (*fresh); then a band copies its image rows and, when
 * the plane has several bands, zeroes its rows that fall in the top/bottom padding (a
 * buffer row may have held image data for the previous band). */
static void pad_band(const dw_plan *pl, const float *xc, float *p, int64_t oy0, int32_t *fresh)
{
    int64_t ps = pl->ra.ps;
    int64_t j0 = pl->pw > 0 ? pl->pw : 0;            /* first column holding data */
    int64_t i0 = pl->pw < 0 ? -pl->pw : 0;           /* its input column */
    int64_t len = pl->w - i0 < ps - j0 ? pl->w - i0 : ps - j0;
    bool banded = pl->band_oh < pl->oh;
    if (*fresh) {
        memset(p, 0, sizeof(float) * pl->plane_floats);
        *fresh = 0;
    }
    int64_t rows = pl->band_rows, r_first = oy0 * pl->sh;
    if (r_first + rows > pl->hp)
        rows = pl->hp - r_first;
    for (int64_t b = 0; b < rows; b++) {
        int64_t iy = r_first + b - pl->ph;
        if (iy >= 0 && iy < pl->h && len > 0 && pl->split)
            pl->copy_split(p + b * ps, ps / 2, j0, xc + iy * pl->w + i0, len);
        else if (iy >= 0 && iy < pl->h && len > 0)
            pl->copy(p + b * ps + j0, xc + iy * pl->w + i0, len);
        else if (banded)
            memset(p + b * ps, 0, sizeof(float) * (size_t)ps);
    }
}

/* Output rows [oy0, oy1) of output channel ch from input channel's padded band p: y =
 * bias + z + taps (z: the residual, or for the group's later input channels the rows
 * accumulated so far, y itself: each vector's z is loaded before its y is stored). */
static void band_rows(const dw_task *c, const float *p, int64_t oy0, int64_t oy1, int64_t ch,
                      const float *wc, float bias, float *yc, const float *zc, bool act_rows)
{
    const dw_plan *pl = c->pl;
    int64_t oy = oy0;
    for (; pl->row2 && oy + 2 <= oy1; oy += 2) {
        float *yr = yc + oy * pl->ow;
        pl->row2(&pl->ra, p + (oy - oy0) * pl->sh * pl->ra.ps, wc, bias,
                 zc ? zc + oy * pl->ow : NULL, yr);
        if (act_rows)
            pl->act_run(&c->act, yr, 2 * pl->ow, ch);
    }
    for (; oy < oy1; oy++) {
        float *yr = yc + oy * pl->ow;
        pl->row(&pl->ra, p + (oy - oy0) * pl->sh * pl->ra.ps, wc, bias,
                zc ? zc + oy * pl->ow : NULL, yr);
        if (act_rows)
            pl->act_run(&c->act, yr, pl->ow, ch);
    }
}

/* Task t = (image, group): per band, each input channel of the group padded once and
 * its rows added into every output channel of the group (depthwise: one of each). */
static void channel_task(void *arg, int64_t t, int tid)
{
    const dw_task *c = arg;
    const dw_plan *pl = c->pl;
    int64_t groups = pl->c / pl->cg, n = t / groups, gi = t % groups, ohw = pl->oh * pl->ow;
    int64_t taps = pl->ra.kh * pl->ra.kw;
    float *p = c->ws + DW_WS_HEADER + (size_t)tid * pl->plane_floats;
    /* the activation runs per plane when the plane is L1-sized (one call instead of one
     * per row pair: 7x7 and 14x14 planes are mostly tails otherwise), else per row */
    bool act_plane = pl->act_run && ohw <= DW_ACT_PLANE_FLOATS;
    for (int64_t oy0 = 0; oy0 < pl->oh; oy0 += pl->band_oh) {
        int64_t oy1 = oy0 + pl->band_oh < pl->oh ? oy0 + pl->band_oh : pl->oh;
        for (int64_t ci = 0; ci < pl->cg; ci++) {
            const float *xc = c->x + (n * pl->c + gi * pl->cg + ci) * pl->h * pl->w;
            pad_band(pl, xc, p, oy0, c->fresh + tid);
            bool last = ci == pl->cg - 1;
            for (int64_t mo = 0; mo < pl->mg; mo++) {
                int64_t ch = gi * pl->mg + mo;
                float *yc = c->y + (n * pl->m + ch) * ohw;
                const float *zc = ci > 0 ? yc : c->z ? c->z + (n * pl->m + ch) * ohw : NULL;
                band_rows(c, p, oy0, oy1, ch, c->w + (ch * pl->cg + ci) * taps,
                          ci == 0 && c->b ? c->b[ch] : 0.0f, yc, zc,
                          last && pl->act_run && !act_plane);
            }
        }
    }
    for (int64_t mo = 0; act_plane && mo < pl->mg; mo++) {
        int64_t ch = gi * pl->mg + mo;
        pl->act_run(&c->act, c->y + (n * pl->m + ch) * ohw, ohw, ch);
    }
}

static ert_status run(ert_kctx *k)
{
    const dw_plan *pl = k->params;
    if (pl->nb * pl->m * pl->oh * pl->ow == 0)
        return ERT_OK;
    size_t need = (DW_WS_HEADER + pl->plane_floats * (size_t)pl->threads) * sizeof(float);
    if (k->ws_bytes < need || ert_threadpool_size(k->pool) > pl->threads ||
        pl->threads > DW_WS_HEADER)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, need);
    dw_task c = {pl, pl->act, k->in[0]->data, k->in[1]->data, NULL, NULL, k->out[0]->data,
                 (float *)k->ws, (int32_t *)k->ws};
    const float *s;
    ert_dw_step_inputs(k, &c.b, &c.z, &s);
    for (int i = 0; i < pl->threads; i++)
        c.fresh[i] = 1;
    if (s)
        c.act.slope = s;
    ert_parallel_for(k->pool, pl->nb * (pl->c / pl->cg), channel_task, &c);
    return ERT_OK;
}

/* ---- kernel entries ---- */

static ert_status plan_ref(ert_kctx *k, size_t *ws)
{
    ert_status st = plan_isa(k, ws, ert_act_f32_ref);
    dw_plan *pl = k->params;
    if (st != ERT_OK)
        return st;
    pl->row = ert_dw_row_select_ref(pl->ra.kh, pl->ra.kw, pl->ra.sw, pl->ra.dw);
    pl->row2 = ert_dw_row2_select_ref(pl->ra.kh, pl->ra.kw, pl->ra.sw, pl->sh, pl->ra.dh,
                                      pl->ra.dw);
    pl->copy = ert_dw_copy_ref;
    pl->copy_split = ert_dw_copy_split_ref;
    return ERT_OK;
}
static const ert_kernel k_generic = {"dwconv.generic", ERT_ISA_GENERIC, ert_dwconv_supports,
                                     NULL, NULL, plan_ref, run};
static const ert_kernel g_generic = {"gconv.generic", ERT_ISA_GENERIC, ert_gconv_supports, NULL,
                                     NULL, plan_ref, run};
#if defined(__x86_64__) || defined(_M_X64) || defined(__aarch64__)
/* A vector level without a row for this stride (> 2) runs the portable row. */
static ert_status fix_row(ert_kctx *k, dw_row_fn (*sel)(int64_t, int64_t, int64_t, int64_t),
                          dw_row2_select_fn sel2, dw_copy_fn copy, dw_copy_split_fn split)
{
    dw_plan *pl = k->params;
    const dw_row_args *ra = &pl->ra;
    pl->copy = copy;
    pl->copy_split = split;
    dw_row_fn f = sel(ra->kh, ra->kw, ra->sw, ra->dw);
    pl->row = f ? f : ert_dw_row_select_ref(ra->kh, ra->kw, ra->sw, ra->dw);
    pl->row2 = sel2(ra->kh, ra->kw, ra->sw, pl->sh, ra->dh, ra->dw);
    return ERT_OK;
}
#endif
#if defined(__x86_64__) || defined(_M_X64)
static ert_status plan_avx2(ert_kctx *k, size_t *ws)
{
    ert_status st = plan_isa(k, ws, ert_act_f32_avx2);
    return st ? st : fix_row(k, ert_dw_row_select_avx2, ert_dw_row2_select_avx2, ert_dw_copy_avx2,
                               ert_dw_copy_split_avx2);
}
static ert_status plan_avx512(ert_kctx *k, size_t *ws)
{
    ert_status st = plan_isa(k, ws, ert_act_f32_avx512);
    return st ? st : fix_row(k, ert_dw_row_select_avx512, ert_dw_row2_select_avx512,
                               ert_dw_copy_avx512, ert_dw_copy_split_avx512);
}
static const ert_kernel k_avx2 = {"dwconv.avx2", ERT_ISA_AVX2, ert_dwconv_supports, NULL,
                                  NULL, plan_avx2, run};
static const ert_kernel k_avx512 = {"dwconv.avx512", ERT_ISA_AVX512, ert_dwconv_supports,
                                    NULL, NULL, plan_avx512, run};
static const ert_kernel g_avx2 = {"gconv.avx2", ERT_ISA_AVX2, ert_gconv_supports, NULL, NULL,
                                  plan_avx2, run};
static const ert_kernel g_avx512 = {"gconv.avx512", ERT_ISA_AVX512, ert_gconv_supports, NULL,
                                    NULL, plan_avx512, run};
#endif
#if defined(__aarch64__)
static ert_status plan_neon(ert_kctx *k, size_t *ws)
{
    ert_status st = plan_isa(k, ws, ert_act_f32_neon);
    return st ? st : fix_row(k, ert_dw_row_select_neon, ert_dw_row2_select_neon, ert_dw_copy_neon,
                               ert_dw_copy_split_neon);
}
static const ert_kernel k_neon = {"dwconv.neon", ERT_ISA_NEON, ert_dwconv_supports, NULL, NULL,
                                  plan_neon, run};
static const ert_kernel g_neon = {"gconv.neon", ERT_ISA_NEON, ert_gconv_supports, NULL, NULL,
                                  plan_neon, run};
#endif

const ert_kernel *const ert_dwconv_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &ert_dwconv_cb_avx512, &ert_dwconv_cb_avx2, &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};

const ert_kernel *const ert_gconv_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &g_avx512, &g_avx2,
#endif
#if defined(__aarch64__)
    &g_neon,
#endif
    &g_generic, NULL};
