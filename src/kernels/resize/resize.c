/*
 * resize.c - resize.<isa> (see resize.h): geometry, per-axis tables, plan, threaded run,
 * and the portable rows (resize_body.inc at W = 1).
 *
 * Geometry is the reference's own (ops/resize_geom.h: attributes, scales / sizes /
 * roi / axes, the coordinate mapping and nearest rounding); the linear taps and the
 * exclude_outside renormalisation below match the reference's, so the tables pick the
 * same source elements and weights; only the float arithmetic order differs (FMA, one
 * fused 2-D pass).
 *
 * The tensor is seen as planes [.., H, W] (the last two axes; rank 1 is one row):
 *   nearest: per output row the source row (index table yi), per output column the
 *            source column (xi, a vector gather; an exact 2x repeat is a permute copy);
 *            an output row mapping to the same source row as the one before is a copy
 *            of it; resized leading axes go through a plane table.
 *   linear:  yi0/yi1/yw0/yw1 per output row, xi0/xi1/xw0/xw1 per output column; each
 *            needed source row is resampled horizontally once into a two-row cache
 *            (per thread, in the workspace), then rows are blended vertically.
 * tf_crop_and_resize's outside region is a prefix/suffix of each axis (the mapping is
 * affine): those outputs get extrapolation_value after the row is computed.
 * Tables live in k->params when they fit (built by plan); otherwise the geometry stays
 * there and run builds them into the workspace first (O(OH + OW), no allocation).
 * Threads: tasks are (plane, block of output rows), blocks only when planes are few.
 */
#include <math.h>
#include <string.h>

#include "kernels/resize/resize.h"
#include "kernels/resize/resize_isa.h"
#include "ops/resize_geom.h"
#include "runtime/threadpool.h"

/* ---- portable rows ---- */

#define VF float
#define W 1
#define V_SET1(c) ((float)(c))
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_MUL(a, b) ((a) * (b))
#define V_FMA(a, b, c) ((a) * (b) + (c))
#define V_GATHER(base, ix) ((base)[*(ix)])
#define V_DUP2(s, d) ((d)[0] = (d)[1] = (s)[0])
#define RZ_SFX ref
#include "kernels/resize/resize_body.inc"
#undef VF
#undef W

#define RZ_MAX_DIM (((int64_t)1 << 31) - 1)

/* The reference's geometry (ops/resize_geom.h), declined where this kernel has no path:
 * cubic, antialias (linear), unknown rank. */
static ert_status rz_planmetry(ert_kctx *k, rz_plan *p, bool *known)
{
    ert_status s = ert_resize_plan(k, p, known);
    if (s != ERT_OK)
        return s;
    if (p->mode == RZ_CUBIC || p->antialias || p->rank < 1)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "resize.*: cubic, antialias and unknown "
                           "ranks run the reference kernel");
    return ERT_OK;
}

/* Axis d maps o -> o (the reference skips it): provable from scale 1 alone for the
 * scales form (out = floor(in * 1)), and from equal known sizes for the sizes form. */
static bool rz_identity(const rz_plan *p, int d)
{
    return p->scale[d] == 1.0 && p->out[d] == p->in[d] && p->ctm != CT_TF_CROP_AND_RESIZE;
}

/* A leading axis that linear may treat as unchanged: identity, or tf_crop_and_resize
 * with scale 1 and roi (0, 1) on it, where every output takes its own element with
 * weight 1 (the reference adds the neighbour times 0: the same, but for an inf / NaN
 * neighbour, which it turns into NaN). */
static bool rz_lead_ok(const rz_plan *p, int d)
{
    return rz_identity(p, d) ||
           (p->ctm == CT_TF_CROP_AND_RESIZE && p->roi_known && p->scale[d] == 1.0 &&
            p->out[d] == p->in[d] && p->in[d] >= 0 && p->roi_s[d] == 0.0 && p->roi_e[d] == 1.0);
}

/* ---- coordinates (the mapping itself: ops/resize_geom.h) ---- */

static int64_t rz_clamp(int64_t i, int64_t n)
{
    return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

/* Nearest source index of output o on axis d; -1: extrapolate. */
/* Linear taps of output o on axis d: false = extrapolate. */
static bool rz_taps(const rz_plan *p, int d, int64_t o, int32_t *i0, int32_t *i1, float *w0,
                    float *w1)
{
    bool outside;
    double x = ert_resize_coord(p, d, o, &outside);
    if (outside)
        return false;
    if (x < -1.0e15)
        x = -1.0e15;
    if (x > 1.0e15)
        x = 1.0e15;
    double fb = floor(x);
    if (fb == x)
        fb -= 1.0;
    double ratio = x - fb;
    int64_t base = (int64_t)fb, in = p->in[d];
    double w[2];
    int64_t raw[2] = {base, base + 1};
    double sum = 0.0;
    for (int j = 0; j < 2; j++) {
        double wt = 1.0 - fabs((double)j - ratio);
        if (wt < 0.0)
            wt = 0.0;
        if (p->exclude_outside && (raw[j] < 0 || raw[j] >= in))
            wt = 0.0;
        w[j] = wt;
        sum += wt;
    }
    if (p->exclude_outside && sum != 0.0) {
        w[0] /= sum;
        w[1] /= sum;
    }
    *i0 = (int32_t)rz_clamp(raw[0], in);
    *i1 = (int32_t)rz_clamp(raw[1], in);
    *w0 = (float)w[0];
    *w1 = (float)w[1];
    return true;
}

/* ---- plan ---- */

/* Table region header (int32 slots before the tables). */
#define RZ_PARAM_WORDS 192 /* table words that fit in k->params after the plan fields */
enum { TH_C0, TH_C1, TH_DUP2, TH_SLOTS = 16 };

typedef struct rz_kplan {
    int mode;                 /* RZ_* */
    bool plane_map;           /* nearest with resized leading axes: plane table */
    bool h_ident, w_ident;    /* the axis maps o -> o */
    bool tabs_in_params;      /* tables built by plan into u.tab; else u.geo, built by run */
    int threads;
    int64_t ih, iw, oh, ow;   /* plane geometry (rank 1: ih = oh = 1) */
    int64_t planes_out, planes_in;
    int64_t rows_per_task, blocks, tasks;
    float extrap;
    size_t tab_words;         /* 4-byte words of the table region (header included) */
    size_t row_floats;        /* linear: per-thread two-row cache */
    /* word offsets in the region: nearest yi, xi, pm; linear yi0 yi1 yw0 yw1 xi0.. */
    size_t off[9];
    const rz_fns *f;
    union {
        rz_plan geo;                       /* tables built by run */
        _Alignas(64) int32_t tab[RZ_PARAM_WORDS]; /* tables built by plan */
    } u;
} rz_kplan;

_Static_assert(sizeof(rz_kplan) <= ERT_STEP_PARAMS_BYTES, "rz_kplan exceeds the block");

enum { O_YI, O_XI, O_PM };                                   /* nearest */
enum { O_YI0, O_YI1, O_YW0, O_YW1, O_XI0, O_XI1, O_XW0, O_XW1 }; /* linear */


/* Fills the table region from the geometry. false: the outside region of an axis is
 * not a prefix/suffix (cannot happen for an affine map; checked, not assumed). */
static bool rz_build(const rz_kplan *pl, const rz_plan *g, int32_t *tab)
{
    int r = g->rank, dh = r - 2, dw = r - 1;
    int64_t c0 = pl->ow, c1 = 0;
    bool ok = true;
    memset(tab, 0, sizeof(int32_t) * TH_SLOTS);
    if (pl->mode == RZ_NEAREST) {
        int32_t *yi = tab + pl->off[O_YI], *xi = tab + pl->off[O_XI];
        for (int64_t oy = 0; oy < pl->oh; oy++)
            yi[oy] = dh >= 0 ? (int32_t)ert_resize_nearest_index(g, dh, oy) : 0;
        for (int64_t ox = 0; ox < pl->ow; ox++) {
            int64_t i = ert_resize_nearest_index(g, dw, ox);
            xi[ox] = i < 0 ? 0 : (int32_t)i;
            if (i >= 0) {
                ok = ok && (c1 == 0 || c1 == ox); /* inside columns are contiguous */
                c0 = ox < c0 ? ox : c0;
                c1 = ox + 1;
            }
        }
        bool dup = pl->ow == 2 * pl->iw && c0 == 0 && c1 == pl->ow;
        for (int64_t ox = 0; dup && ox < pl->ow; ox++)
            dup = xi[ox] == (int32_t)(ox >> 1);
        tab[TH_DUP2] = dup;
        if (pl->plane_map) {
            int32_t *pm = tab + pl->off[O_PM];
            for (int64_t q = 0; q < pl->planes_out; q++) {
                int64_t rem = q, src = 0, mul = 1;
                for (int d = dh - 1; d >= 0 && src >= 0; d--) {
                    int64_t o = rem % g->out[d];
                    rem /= g->out[d];
                    int64_t i = ert_resize_nearest_index(g, d, o);
                    src = i < 0 ? -1 : src + i * mul;
                    mul *= g->in[d];
                }
                pm[q] = (int32_t)src;
            }
        }
    } else {
        int32_t *yi0 = tab + pl->off[O_YI0], *yi1 = tab + pl->off[O_YI1];
        float *yw0 = (float *)(tab + pl->off[O_YW0]), *yw1 = (float *)(tab + pl->off[O_YW1]);
        int32_t *xi0 = tab + pl->off[O_XI0], *xi1 = tab + pl->off[O_XI1];
        float *xw0 = (float *)(tab + pl->off[O_XW0]), *xw1 = (float *)(tab + pl->off[O_XW1]);
        for (int64_t oy = 0; oy < pl->oh; oy++) {
            if (dh < 0 || pl->h_ident) {
                yi0[oy] = yi1[oy] = (int32_t)oy;
                yw0[oy] = 1.0f;
                yw1[oy] = 0.0f;
            } else if (!rz_taps(g, dh, oy, &yi0[oy], &yi1[oy], &yw0[oy], &yw1[oy])) {
                yi0[oy] = -1; /* extrapolated row */
                yi1[oy] = 0;
                yw0[oy] = yw1[oy] = 0.0f;
            }
        }
        for (int64_t ox = 0; ox < pl->ow; ox++) {
            bool in = true;
            if (pl->w_ident) {
                xi0[ox] = xi1[ox] = (int32_t)ox;
                xw0[ox] = 1.0f;
                xw1[ox] = 0.0f;
            } else if (!rz_taps(g, dw, ox, &xi0[ox], &xi1[ox], &xw0[ox], &xw1[ox])) {
                xi0[ox] = xi1[ox] = 0;
                xw0[ox] = xw1[ox] = 0.0f;
                in = false;
            }
            if (in) {
                ok = ok && (c1 == 0 || c1 == ox);
                c0 = ox < c0 ? ox : c0;
                c1 = ox + 1;
            }
        }
    }
    if (c1 == 0)
        c0 = 0; /* every column outside */
    tab[TH_C0] = (int32_t)c0;
    tab[TH_C1] = (int32_t)c1;
    return ok;
}

static const ert_tensor *val(const ert_node *n, const ert_graph *g, int i)
{
    int n_in = n->n_inputs - n->n_captures;
    return i < n_in && n->inputs[i] >= 0 ? &g->values[n->inputs[i]].t : NULL;
}

static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || n->op->id != ERT_OP_RESIZE || n->version < 10 || n->n_outputs != 1)
        return false;
    const ert_tensor *x = val(n, g, 0);
    if (!x || x->dtype != ERT_DTYPE_FLOAT32 || !ert_tensor_is_dense(x) || x->rank < 1)
        return false;
    ert_tensor *in[ERT_KCTX_MIN_SLOTS] = {0};
    int n_in = n->n_inputs - n->n_captures;
    if (n_in > ERT_KCTX_MIN_SLOTS)
        return false;
    for (int i = 0; i < n_in; i++)
        in[i] = (ert_tensor *)val(n, g, i);
    ert_tensor y = {0}, *out[ERT_KCTX_MIN_SLOTS] = {&y};
    ert_err err;
    ert_kctx k = {.node = n, .version = n->version, .n_in = n_in, .in = in, .n_out = 1,
                  .out = out, .shapes_only = true, .err = &err};
    rz_plan geo;
    bool known;
    if (rz_planmetry(&k, &geo, &known) != ERT_OK)
        return false;
    for (int d = 0; d < geo.rank; d++)
        if (geo.in[d] > RZ_MAX_DIM || geo.out[d] > RZ_MAX_DIM)
            return false;
    if (geo.mode == RZ_LINEAR)
        for (int d = 0; d < geo.rank - 2; d++)
            if (!rz_lead_ok(&geo, d))
                return false; /* a resized (or not provably unchanged) leading axis */
    return true;
}

static ert_status plan_isa(ert_kctx *k, size_t *ws_bytes, const rz_fns *f)
{
    rz_kplan *pl = k->params;
    memset(pl, 0, offsetof(rz_kplan, u));
    rz_plan geo;
    bool known;
    ert_status st = rz_planmetry(k, &geo, &known);
    if (st != ERT_OK) /* the message says what */
        return st;
    if (!known)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "resize: shapes or roi still unknown at run time");
    const ert_tensor *y = k->out[0];
    int r = geo.rank;
    if (y->rank != r)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "output rank disagrees with inference");
    for (int d = 0; d < r; d++) {
        if (geo.out[d] != y->dims[d])
            return ert_op_fail(k, ERT_ERR_INTERNAL, "output dim %d disagrees with inference", d);
        if (geo.in[d] > RZ_MAX_DIM || geo.out[d] > RZ_MAX_DIM)
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "axis %d is too long for int32 tables",
                               d);
    }
    pl->mode = geo.mode;
    pl->extrap = (float)geo.extrapolation;
    pl->f = f;
    pl->ih = r >= 2 ? geo.in[r - 2] : 1;
    pl->oh = r >= 2 ? geo.out[r - 2] : 1;
    pl->iw = geo.in[r - 1];
    pl->ow = geo.out[r - 1];
    pl->h_ident = r < 2 || rz_identity(&geo, r - 2);
    pl->w_ident = rz_identity(&geo, r - 1);
    pl->planes_out = pl->planes_in = 1;
    for (int d = 0; d < r - 2; d++) {
        pl->planes_out *= geo.out[d];
        pl->planes_in *= geo.in[d];
        if (geo.mode == RZ_LINEAR && !rz_lead_ok(&geo, d))
            return ert_op_fail(k, ERT_ERR_INTERNAL, "linear resize of leading axis %d", d);
        if (geo.mode == RZ_NEAREST && !rz_identity(&geo, d))
            pl->plane_map = true;
    }
    if (pl->planes_out > RZ_MAX_DIM)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "%lld planes is too many for int32 tables",
                           (long long)pl->planes_out);
    int64_t n_out = pl->planes_out * pl->oh * pl->ow;
    if (n_out > 0 && pl->planes_in * pl->ih * pl->iw == 0)
        return ert_op_fail(k, ERT_ERR_SHAPE,
                           "cannot resize an empty input to a non-empty output");
    /* table region */
    size_t w = TH_SLOTS;
    if (pl->mode == RZ_NEAREST) {
        pl->off[O_YI] = w;
        w += ert_round16((size_t)pl->oh);
        pl->off[O_XI] = w;
        w += ert_round16((size_t)pl->ow);
        pl->off[O_PM] = w;
        if (pl->plane_map)
            w += ert_round16((size_t)pl->planes_out);
    } else {
        for (int i = 0; i < 4; i++) {
            pl->off[O_YI0 + i] = w;
            w += ert_round16((size_t)pl->oh);
        }
        for (int i = 0; i < 4; i++) {
            pl->off[O_XI0 + i] = w;
            w += ert_round16((size_t)pl->ow);
        }
        pl->row_floats = 2 * ert_round16((size_t)pl->ow);
    }
    pl->tab_words = w;
    pl->threads = ert_threadpool_size(k->pool);
    /* tasks: whole planes, or row blocks when there are fewer planes than 4 per thread */
    pl->blocks = 1;
    if (pl->threads > 1 && pl->planes_out < 4 * pl->threads && pl->oh > 1) {
        pl->blocks = (4 * pl->threads + pl->planes_out - 1) / (pl->planes_out ? pl->planes_out : 1);
        if (pl->blocks > pl->oh)
            pl->blocks = pl->oh;
    }
    pl->rows_per_task = (pl->oh + pl->blocks - 1) / pl->blocks;
    pl->blocks = pl->rows_per_task ? (pl->oh + pl->rows_per_task - 1) / pl->rows_per_task : 0;
    pl->tasks = n_out > 0 ? pl->planes_out * pl->blocks : 0;
    pl->tabs_in_params = w <= RZ_PARAM_WORDS;
    if (pl->tabs_in_params) {
        if (n_out > 0 && !rz_build(pl, &geo, pl->u.tab))
            return ert_op_fail(k, ERT_ERR_INTERNAL, "resize outside region is not contiguous");
    } else {
        pl->u.geo = geo;
    }
    size_t tab_bytes = pl->tabs_in_params ? 0 : w * sizeof(int32_t);
    *ws_bytes = tab_bytes + pl->row_floats * (size_t)pl->threads * sizeof(float);
    return ERT_OK;
}

/* ---- run ---- */

typedef struct rz_task {
    const rz_kplan *pl;
    const int32_t *tab;
    const float *x;
    float *y, *rows; /* rows: per-thread row caches (linear) */
} rz_task;

static void fill(float *d, float v, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        d[i] = v;
}

/* extrapolation_value outside the inside columns [c0, c1) */
static void fill_edges(const rz_kplan *pl, const int32_t *tab, float *d)
{
    fill(d, pl->extrap, tab[TH_C0]);
    fill(d + tab[TH_C1], pl->extrap, pl->ow - tab[TH_C1]);
}

static void nearest_task(const rz_task *c, int64_t q, int64_t r0, int64_t r1)
{
    const rz_kplan *pl = c->pl;
    const int32_t *tab = c->tab, *yi = tab + pl->off[O_YI], *xi = tab + pl->off[O_XI];
    int64_t ow = pl->ow;
    float *y = c->y + q * pl->oh * ow;
    int64_t ip = pl->plane_map ? tab[pl->off[O_PM] + q] : q;
    if (ip < 0) {
        fill(y + r0 * ow, pl->extrap, (r1 - r0) * ow);
        return;
    }
    const float *x = c->x + ip * pl->ih * pl->iw;
    bool dup2 = tab[TH_DUP2] != 0, edges = tab[TH_C0] != 0 || tab[TH_C1] != ow;
    int32_t prev = -1;
    for (int64_t oy = r0; oy < r1; oy++) {
        float *d = y + oy * ow;
        int32_t iy = yi[oy];
        if (iy < 0) {
            fill(d, pl->extrap, ow);
        } else if (oy > r0 && iy == prev) {
            memcpy(d, d - ow, sizeof(float) * (size_t)ow);
        } else {
            const float *s = x + (int64_t)iy * pl->iw;
            if (pl->w_ident)
                memcpy(d, s, sizeof(float) * (size_t)ow);
            else if (dup2)
                pl->f->dup2(s, d, pl->iw);
            else
                pl->f->gather(s, xi, d, ow);
            if (edges)
                fill_edges(pl, tab, d);
        }
        prev = iy;
    }
}

/* The horizontally resampled source row r, from the two-slot cache (slot holding
 * `keep` is not evicted). */
static const float *hrow(const rz_task *c, const float *x, int64_t r, int64_t keep,
                         float *buf[2], int64_t tag[2])
{
    const rz_kplan *pl = c->pl;
    const float *s = x + r * pl->iw;
    if (pl->w_ident)
        return s;
    if (tag[0] == r)
        return buf[0];
    if (tag[1] == r)
        return buf[1];
    int slot = tag[0] == keep ? 1 : 0;
    const int32_t *tab = c->tab;
    pl->f->hlerp(s, tab + pl->off[O_XI0], tab + pl->off[O_XI1],
                 (const float *)(tab + pl->off[O_XW0]), (const float *)(tab + pl->off[O_XW1]),
                 buf[slot], pl->ow);
    tag[slot] = r;
    return buf[slot];
}

static void linear_task(const rz_task *c, int64_t q, int64_t r0, int64_t r1, int tid)
{
    const rz_kplan *pl = c->pl;
    const int32_t *tab = c->tab, *yi0 = tab + pl->off[O_YI0], *yi1 = tab + pl->off[O_YI1];
    const float *yw0 = (const float *)(tab + pl->off[O_YW0]);
    const float *yw1 = (const float *)(tab + pl->off[O_YW1]);
    int64_t ow = pl->ow;
    const float *x = c->x + q * pl->ih * pl->iw;
    float *y = c->y + q * pl->oh * ow;
    float *buf[2] = {c->rows + (size_t)tid * pl->row_floats, NULL};
    buf[1] = buf[0] + pl->row_floats / 2;
    int64_t tag[2] = {-1, -1};
    bool edges = tab[TH_C0] != 0 || tab[TH_C1] != ow;
    for (int64_t oy = r0; oy < r1; oy++) {
        float *d = y + oy * ow;
        int64_t a = yi0[oy], b = yi1[oy];
        if (a < 0) {
            fill(d, pl->extrap, ow);
            continue;
        }
        if (pl->h_ident) {
            const float *s = x + oy * pl->iw;
            if (pl->w_ident)
                memcpy(d, s, sizeof(float) * (size_t)ow);
            else
                pl->f->hlerp(s, tab + pl->off[O_XI0], tab + pl->off[O_XI1],
                             (const float *)(tab + pl->off[O_XW0]),
                             (const float *)(tab + pl->off[O_XW1]), d, ow);
        } else {
            const float *ra = hrow(c, x, a, b, buf, tag);
            const float *rb = hrow(c, x, b, a, buf, tag);
            pl->f->vlerp(ra, rb, yw0[oy], yw1[oy], d, ow);
        }
        if (edges)
            fill_edges(pl, tab, d);
    }
}

static void task_fn(void *arg, int64_t t, int tid)
{
    const rz_task *c = arg;
    const rz_kplan *pl = c->pl;
    int64_t q = t / pl->blocks, r0 = (t % pl->blocks) * pl->rows_per_task;
    int64_t r1 = r0 + pl->rows_per_task < pl->oh ? r0 + pl->rows_per_task : pl->oh;
    if (pl->mode == RZ_NEAREST)
        nearest_task(c, q, r0, r1);
    else
        linear_task(c, q, r0, r1, tid);
}

static ert_status run(ert_kctx *k)
{
    const rz_kplan *pl = k->params;
    if (pl->tasks == 0)
        return ERT_OK;
    size_t tab_bytes = pl->tabs_in_params ? 0 : pl->tab_words * sizeof(int32_t);
    size_t need = tab_bytes + pl->row_floats * (size_t)pl->threads * sizeof(float);
    if (k->ws_bytes < need || ert_threadpool_size(k->pool) > pl->threads)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, need);
    rz_task c = {pl, pl->u.tab, k->in[0]->data, k->out[0]->data,
                 (float *)((char *)k->ws + tab_bytes)};
    if (!pl->tabs_in_params) {
        int32_t *tab = k->ws;
        if (!rz_build(pl, &pl->u.geo, tab))
            return ert_op_fail(k, ERT_ERR_INTERNAL, "resize outside region is not contiguous");
        c.tab = tab;
    }
    ert_parallel_for(k->pool, pl->tasks, task_fn, &c);
    return ERT_OK;
}

/* ---- kernel entries ---- */

static ert_status plan_ref(ert_kctx *k, size_t *ws) { return plan_isa(k, ws, &ert_rz_fns_ref); }
#if defined(__x86_64__) || defined(_M_X64)
static ert_status plan_avx2(ert_kctx *k, size_t *ws) { return plan_isa(k, ws, &ert_rz_fns_avx2); }
static ert_status plan_avx512(ert_kctx *k, size_t *ws)
{
    return plan_isa(k, ws, &ert_rz_fns_avx512);
}
static const ert_kernel k_avx512 = {"resize.avx512", ERT_ISA_AVX512, supports, NULL, NULL,
                                    plan_avx512, run};
static const ert_kernel k_avx2 = {"resize.avx2", ERT_ISA_AVX2, supports, NULL, NULL, plan_avx2,
                                  run};
#endif
#if defined(__aarch64__)
static ert_status plan_neon(ert_kctx *k, size_t *ws) { return plan_isa(k, ws, &ert_rz_fns_neon); }
static const ert_kernel k_neon = {"resize.neon", ERT_ISA_NEON, supports, NULL, NULL, plan_neon,
                                  run};
#endif
static const ert_kernel k_generic = {"resize.generic", ERT_ISA_GENERIC, supports, NULL, NULL,
                                     plan_ref, run};

const ert_kernel *const ert_resize_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};
