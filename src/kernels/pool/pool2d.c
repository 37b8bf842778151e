/*
 * pool2d.c - pool.<isa> and globalpool.<isa> (see pool.h): attributes, plan, threaded
 * run, and the portable rows (pool_body.inc at W = 1); the vector rows are in
 * pool_<isa>.c (avx2, avx512 on x86-64, neon on AArch64).
 *
 * Attributes are read as src/ops/pool.c reads them (kernel_shape required; strides,
 * dilations default 1; pads default 0; auto_pad NOTSET/SAME_UPPER/SAME_LOWER/VALID with
 * ert_same_pads; ceil_mode drops a last window that would start in the end padding).
 * Per (image, channel) task the plane is copied into the thread's workspace slice with
 * its padding made explicit (-inf for max, 0 for average; the border once per run and
 * thread, the image per plane), as dwconv.c does, so the rows
 * have no bounds tests. Average divides by the window count, which is separable: rows
 * and columns each count their taps inside the image (or, with count_include_pad,
 * inside the padded extent [-pad_begin, in + pad_end), which excludes ceil_mode's
 * overhang), so the run keeps one reciprocal per output column and one per row.
 */
#include <math.h>
#include <string.h>

#include "kernels/pool/pool.h"
#include "kernels/pool/pool_isa.h"
#include "runtime/threadpool.h"

#define POOL_MAX_ATTR ((int64_t)1 << 32)

enum { PP_NOTSET, PP_SAME_UPPER, PP_SAME_LOWER, PP_VALID };

typedef struct pool_plan {
    bool avg, include_pad;
    int64_t planes, h, w, oh, ow;
    int64_t sh, ph, pw, pe_h, pe_w;   /* row stride, pads (begin may be < 0) */
    int64_t hp;                       /* padded plane rows */
    pool_row_args ra;
    size_t plane_floats, rx_floats;   /* per-thread slice: plane, then column reciprocals */
    int threads;
    pool_row_fn row;
} pool_plan;

typedef struct gpool_plan {
    bool avg;
    int64_t planes, sp;               /* (n, c) planes, spatial elements per plane */
    pool_reduce_fn reduce;
} gpool_plan;

_Static_assert(sizeof(pool_plan) <= ERT_STEP_PARAMS_BYTES, "pool_plan exceeds the block");

/* Workspace: POOL_WS_HEADER floats' room for the per-thread "fresh" flags (keeps the
 * slices 64-byte aligned), then per thread a padded plane and the column reciprocals
 * (computed with the border: they depend on the geometry only). */
#define POOL_WS_HEADER 256

/* ---- portable rows and reductions ---- */

#define VF float
#define W 1
#define V_SET1(c) ((float)(c))
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_ADD(a, b) ((a) + (b))
#define V_MUL(a, b) ((a) * (b))
#define V_MAXI(v, acc) ((v) > (acc) ? (v) : (acc))
#define POOL_SFX ref
#include "kernels/pool/pool_body.inc"
#undef VF
#undef W

/* ---- geometry ---- */

typedef struct pgeom {
    int auto_pad;
    bool ceil_mode, include_pad;
    int64_t in[2], out[2], k[2], s[2], d[2], pb[2], pe[2];
} pgeom;

static ert_status read_geom(ert_kctx *k, const ert_tensor *x, pgeom *g)
{
    ert_status st;
    const char *ap = ert_attr_string(k->node, "auto_pad", "NOTSET");
    if (!strcmp(ap, "NOTSET") || !strcmp(ap, ""))
        g->auto_pad = PP_NOTSET;
    else if (!strcmp(ap, "SAME_UPPER"))
        g->auto_pad = PP_SAME_UPPER;
    else if (!strcmp(ap, "SAME_LOWER"))
        g->auto_pad = PP_SAME_LOWER;
    else if (!strcmp(ap, "VALID"))
        g->auto_pad = PP_VALID;
    else
        return ERT_ERR_UNSUPPORTED;
    const int64_t *ks;
    if (ert_attr_ints(k->node, "kernel_shape", &ks) != 2)
        return ERT_ERR_PARSE;
    int64_t pads[4];
    if ((st = ert_attr_ints_n(k, "kernel_shape", 2, 1, 1, POOL_MAX_ATTR, g->k)) ||
        (st = ert_attr_ints_n(k, "strides", 2, 1, 1, POOL_MAX_ATTR, g->s)) ||
        (st = ert_attr_ints_n(k, "dilations", 2, 1, 1, POOL_MAX_ATTR, g->d)) ||
        (st = ert_attr_ints_n(k, "pads", 4, 0, 0, POOL_MAX_ATTR, pads)))
        return st;
    g->ceil_mode = ert_attr_int(k->node, "ceil_mode", 0) != 0;
    g->include_pad = ert_attr_int(k->node, "count_include_pad", 0) != 0;
    for (int i = 0; i < 2; i++) {
        g->in[i] = x->dims[2 + i];
        g->pb[i] = pads[i];
        g->pe[i] = pads[2 + i];
        int64_t dk = (g->k[i] - 1) * g->d[i] + 1, in = g->in[i], s = g->s[i];
        g->out[i] = -1;
        if (in < 0)
            continue;
        if (g->auto_pad == PP_SAME_UPPER || g->auto_pad == PP_SAME_LOWER) {
            g->out[i] = ert_same_pads(in, s, dk, g->auto_pad == PP_SAME_UPPER, &g->pb[i],
                                      &g->pe[i]);
            continue;
        }
        if (g->auto_pad == PP_VALID)
            g->pb[i] = g->pe[i] = 0;
        int64_t span = in + g->pb[i] + g->pe[i] - dk;
        if (span < 0)
            return ERT_ERR_SHAPE;
        if (g->ceil_mode && g->auto_pad == PP_NOTSET) {
            g->out[i] = (span + s - 1) / s + 1;
            if ((g->out[i] - 1) * s >= in + g->pb[i])
                g->out[i]--;
        } else {
            g->out[i] = span / s + 1;
        }
    }
    return ERT_OK;
}

/* Taps of output o along one axis that land in [lo, hi) (input coordinates). */
static int64_t taps_in(int64_t o, int64_t s, int64_t pb, int64_t d, int64_t kk, int64_t lo,
                       int64_t hi)
{
    int64_t start = o * s - pb, n = 0;
    for (int64_t t = 0; t < kk; t++) {
        int64_t c = start + t * d;
        n += c >= lo && c < hi;
    }
    return n;
}

/* ---- load time ---- */

static const ert_tensor *val(const ert_node *n, const ert_graph *g, int i)
{
    return i < n->n_inputs - n->n_captures && n->inputs[i] >= 0 ? &g->values[n->inputs[i]].t
                                                               : NULL;
}

static bool one_f32_output(const ert_node *n, const ert_graph *g)
{
    const ert_tensor *x = val(n, g, 0);
    if (!x || x->dtype != ERT_DTYPE_FLOAT32 || n->n_outputs < 1 || n->outputs[0] < 0)
        return false;
    for (int i = 1; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0)
            return false; /* MaxPool's Indices */
    return true;
}

static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || (n->op->id != ERT_OP_MAX_POOL && n->op->id != ERT_OP_AVERAGE_POOL) ||
        !one_f32_output(n, g))
        return false;
    const ert_tensor *x = val(n, g, 0);
    if (x->rank != 4)
        return false;
    ert_tensor *in[ERT_KCTX_MIN_SLOTS] = {(ert_tensor *)x};
    ert_tensor y = {0}, *out[ERT_KCTX_MIN_SLOTS] = {&y};
    ert_err err;
    ert_kctx k = {.node = n, .version = n->version, .n_in = 1, .in = in, .n_out = 1,
                  .out = out, .shapes_only = true, .err = &err};
    pgeom geo;
    if (read_geom(&k, x, &geo) != ERT_OK)
        return false;
    /* The padded row holds ow rounded up to 16 windows at the stride: a long stride
     * that skips input (beyond the window) makes it grow with the stride (a fuzzed
     * MaxPool asked for 2.4 GB), so the reference kernel runs those. */
    for (int i = 0; i < 2; i++)
        if (geo.s[i] > 8 && geo.s[i] > (geo.k[i] - 1) * geo.d[i] + 1)
            return false;
    return true;
}

static bool supports_global(const ert_node *n, const ert_graph *g)
{
    if (!n->op ||
        (n->op->id != ERT_OP_GLOBAL_MAX_POOL && n->op->id != ERT_OP_GLOBAL_AVERAGE_POOL) ||
        !one_f32_output(n, g))
        return false;
    return val(n, g, 0)->rank >= 3;
}

/* ---- reshape ---- */

static ert_status plan_isa(ert_kctx *k, size_t *ws_bytes, pool_row_fn (*sel)(bool, int64_t))
{
    pool_plan *pl = k->params;
    const ert_tensor *x = k->in[0];
    pgeom geo;
    memset(pl, 0, sizeof *pl);
    ert_status st = read_geom(k, x, &geo);
    if (st)
        return ert_op_fail(k, st, "pool geometry refused at run time");
    if (geo.out[0] != k->out[0]->dims[2] || geo.out[1] != k->out[0]->dims[3])
        return ert_op_fail(k, ERT_ERR_INTERNAL, "pool geometry disagrees with inference");
    pl->avg = k->node->op->id == ERT_OP_AVERAGE_POOL;
    pl->include_pad = geo.include_pad;
    pl->planes = x->dims[0] * x->dims[1];
    pl->h = geo.in[0];
    pl->w = geo.in[1];
    pl->oh = geo.out[0];
    pl->ow = geo.out[1];
    pl->sh = geo.s[0];
    pl->ph = geo.pb[0];
    pl->pw = geo.pb[1];
    pl->pe_h = geo.pe[0];
    pl->pe_w = geo.pe[1];
    pl->ra = (pool_row_args){.kh = geo.k[0], .kw = geo.k[1], .sw = geo.s[1], .dh = geo.d[0],
                             .dw = geo.d[1], .ow = pl->ow};
    pl->hp = pl->oh > 0 ? (pl->oh - 1) * pl->sh + (pl->ra.kh - 1) * pl->ra.dh + 1 : 0;
    int64_t owr = (pl->ow + 15) / 16 * 16;
    pl->ra.ps = (int64_t)ert_round16((size_t)(owr * pl->ra.sw + (pl->ra.kw - 1) * pl->ra.dw +
                                          POOL_ROW_OVERREAD));
    pl->plane_floats = ert_round16((size_t)(pl->hp * pl->ra.ps));
    pl->rx_floats = ert_round16((size_t)owr);
    pl->threads = ert_threadpool_size(k->pool);
    pl->row = sel ? sel(pl->avg, pl->ra.sw) : NULL;
    if (!pl->row)
        pl->row = ert_pool_row_select_ref(pl->avg, pl->ra.sw);
    *ws_bytes = (POOL_WS_HEADER + (pl->plane_floats + pl->rx_floats) * (size_t)pl->threads) *
                sizeof(float);
    return ERT_OK;
}

/* ---- run ---- */

typedef struct pool_task {
    const pool_plan *pl;
    const float *x;
    float *y, *ws;
    int32_t *fresh; /* per thread: its slice still needs its border */
} pool_task;

static inline void copy_floats(float *restrict d, const float *restrict src, int64_t n)
{
    if (n >= 32) {
        memcpy(d, src, sizeof(float) * (size_t)n);
        return;
    }
    for (int64_t i = 0; i < n; i++)
        d[i] = src[i];
}

/* The padded plane (fill outside the image). The border is the same for every plane of
 * a run: a slice is filled once per run (*fresh), then only the image part is copied. */
static void pad_plane(const pool_plan *pl, const float *xc, float *p, float fill,
                      int32_t *fresh)
{
    int64_t ps = pl->ra.ps;
    int64_t j0 = pl->pw > 0 ? pl->pw : 0, i0 = pl->pw < 0 ? -pl->pw : 0;
    int64_t len = pl->w - i0 < ps - j0 ? pl->w - i0 : ps - j0;
    if (*fresh) {
        for (size_t i = 0; i < pl->plane_floats; i++)
            p[i] = fill;
        *fresh = 0;
    }
    int64_t r0 = pl->ph > 0 ? pl->ph : 0, r1 = pl->h + pl->ph < pl->hp ? pl->h + pl->ph : pl->hp;
    for (int64_t r = r0; r < r1 && len > 0; r++)
        copy_floats(p + r * ps + j0, xc + (r - pl->ph) * pl->w + i0, len);
}

/* 1 / count of a window along one axis; a window with no counted tap gives 0 (its sum
 * is 0 too: the reference's 0 for an empty window). */
static float recip_count(const pool_plan *pl, int64_t o, int axis)
{
    int64_t s = axis ? pl->ra.sw : pl->sh, pb = axis ? pl->pw : pl->ph;
    int64_t pe = axis ? pl->pe_w : pl->pe_h, in = axis ? pl->w : pl->h;
    int64_t d = axis ? pl->ra.dw : pl->ra.dh, kk = axis ? pl->ra.kw : pl->ra.kh;
    int64_t n = pl->include_pad ? taps_in(o, s, pb, d, kk, -pb, in + pe)
                                : taps_in(o, s, pb, d, kk, 0, in);
    return n > 0 ? 1.0f / (float)n : 0.0f;
}

static void plane_task(void *arg, int64_t t, int tid)
{
    const pool_task *c = arg;
    const pool_plan *pl = c->pl;
    float *p = c->ws + POOL_WS_HEADER + (size_t)tid * (pl->plane_floats + pl->rx_floats);
    float *rx = p + pl->plane_floats;
    bool fresh = c->fresh[tid] != 0;
    pad_plane(pl, c->x + t * pl->h * pl->w, p, pl->avg ? 0.0f : -INFINITY, c->fresh + tid);
    if (pl->avg && fresh)
        for (int64_t ox = 0; ox < (int64_t)pl->rx_floats; ox++)
            rx[ox] = ox < pl->ow ? recip_count(pl, ox, 1) : 0.0f;
    float *yc = c->y + t * pl->oh * pl->ow;
    for (int64_t oy = 0; oy < pl->oh; oy++) {
        float ry = pl->avg ? recip_count(pl, oy, 0) : 1.0f;
        pl->row(&pl->ra, p + oy * pl->sh * pl->ra.ps, ry, rx, yc + oy * pl->ow);
    }
}

static ert_status run(ert_kctx *k)
{
    const pool_plan *pl = k->params;
    if (pl->planes * pl->oh * pl->ow == 0)
        return ERT_OK;
    size_t need = (POOL_WS_HEADER + (pl->plane_floats + pl->rx_floats) * (size_t)pl->threads) *
                  sizeof(float);
    if (k->ws_bytes < need || ert_threadpool_size(k->pool) > pl->threads ||
        pl->threads > POOL_WS_HEADER)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, need);
    pool_task c = {pl, k->in[0]->data, k->out[0]->data, (float *)k->ws, (int32_t *)k->ws};
    for (int i = 0; i < pl->threads; i++)
        c.fresh[i] = 1;
    ert_parallel_for(k->pool, pl->planes, plane_task, &c);
    return ERT_OK;
}

/* ---- global pools ---- */

static ert_status plan_global(ert_kctx *k, size_t *ws_bytes, pool_reduce_fn mx,
                              pool_reduce_fn sum)
{
    gpool_plan *pl = k->params;
    const ert_tensor *x = k->in[0];
    memset(pl, 0, sizeof *pl);
    pl->avg = k->node->op->id == ERT_OP_GLOBAL_AVERAGE_POOL;
    pl->planes = x->dims[0] * x->dims[1];
    pl->sp = 1;
    for (int i = 2; i < x->rank; i++)
        pl->sp *= x->dims[i];
    pl->reduce = pl->avg ? sum : mx;
    *ws_bytes = 0;
    return ERT_OK;
}

typedef struct gpool_task {
    const gpool_plan *pl;
    const float *x;
    float *y;
} gpool_task;

#define GP_PLANES_PER_TASK 64

static void gplane_task(void *arg, int64_t t, int tid)
{
    const gpool_task *c = arg;
    const gpool_plan *pl = c->pl;
    int64_t p1 = (t + 1) * GP_PLANES_PER_TASK < pl->planes ? (t + 1) * GP_PLANES_PER_TASK
                                                           : pl->planes;
    (void)tid;
    for (int64_t p = t * GP_PLANES_PER_TASK; p < p1; p++) {
        float r = pl->reduce(c->x + p * pl->sp, pl->sp);
        c->y[p] = pl->avg ? (pl->sp > 0 ? r / (float)pl->sp : 0.0f) : r;
    }
}

static ert_status run_global(ert_kctx *k)
{
    const gpool_plan *pl = k->params;
    gpool_task c = {pl, k->in[0]->data, k->out[0]->data};
    ert_parallel_for(k->pool, (pl->planes + GP_PLANES_PER_TASK - 1) / GP_PLANES_PER_TASK,
                     gplane_task, &c);
    return ERT_OK;
}

/* ---- kernel entries ---- */

static ert_status plan_ref(ert_kctx *k, size_t *ws) { return plan_isa(k, ws, NULL); }
static ert_status gplan_ref(ert_kctx *k, size_t *ws)
{
    return plan_global(k, ws, ert_pool_max_ref, ert_pool_sum_ref);
}
#if defined(__x86_64__) || defined(_M_X64)
static ert_status plan_avx2(ert_kctx *k, size_t *ws)
{
    return plan_isa(k, ws, ert_pool_row_select_avx2);
}
static ert_status plan_avx512(ert_kctx *k, size_t *ws)
{
    return plan_isa(k, ws, ert_pool_row_select_avx512);
}
static ert_status gplan_avx2(ert_kctx *k, size_t *ws)
{
    return plan_global(k, ws, ert_pool_max_avx2, ert_pool_sum_avx2);
}
static ert_status gplan_avx512(ert_kctx *k, size_t *ws)
{
    return plan_global(k, ws, ert_pool_max_avx512, ert_pool_sum_avx512);
}
static const ert_kernel k_avx512 = {"pool.avx512", ERT_ISA_AVX512, supports, NULL, NULL,
                                    plan_avx512, run};
static const ert_kernel k_avx2 = {"pool.avx2", ERT_ISA_AVX2, supports, NULL, NULL, plan_avx2,
                                  run};
static const ert_kernel g_avx512 = {"globalpool.avx512", ERT_ISA_AVX512, supports_global,
                                    NULL, NULL, gplan_avx512, run_global};
static const ert_kernel g_avx2 = {"globalpool.avx2", ERT_ISA_AVX2, supports_global, NULL,
                                  NULL, gplan_avx2, run_global};
#endif
#if defined(__aarch64__)
static ert_status plan_neon(ert_kctx *k, size_t *ws)
{
    return plan_isa(k, ws, ert_pool_row_select_neon);
}
static ert_status gplan_neon(ert_kctx *k, size_t *ws)
{
    return plan_global(k, ws, ert_pool_max_neon, ert_pool_sum_neon);
}
static const ert_kernel k_neon = {"pool.neon", ERT_ISA_NEON, supports, NULL, NULL, plan_neon,
                                  run};
static const ert_kernel g_neon = {"globalpool.neon", ERT_ISA_NEON, supports_global, NULL, NULL,
                                  gplan_neon, run_global};
#endif
static const ert_kernel k_generic = {"pool.generic", ERT_ISA_GENERIC, supports, NULL, NULL,
                                     plan_ref, run};
static const ert_kernel g_generic = {"globalpool.generic", ERT_ISA_GENERIC, supports_global,
                                     NULL, NULL, gplan_ref, run_global};

const ert_kernel *const ert_pool_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};

const ert_kernel *const ert_global_pool_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &g_avx512, &g_avx2,
#endif
#if defined(__aarch64__)
    &g_neon,
#endif
    &g_generic, NULL};
