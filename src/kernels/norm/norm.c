/*
 * norm.c - softmax.<isa> and layernorm.<isa> (see norm.h): support checks, plan,
 * threaded run, and the portable row primitives (norm_body.inc at W = 1).
 *
 * Softmax works on "lines" as src/ops/softmax.c defines them: outer x inner lines of
 * len elements at stride inner (opset < 13: inner = 1, len = prod(dims[axis:])).
 *   inner == 1: per row m = max, y = exp(x - m) (act's exp in place on y), y *= 1/sum;
 *               LogSoftmax keeps y = x - m and exponentiates a copy in the thread's
 *               workspace line, then y -= log(sum).
 *   inner > 1:  per block [len, inner] in column chunks of SM_COLS: the same steps with
 *               per-column max / sum vectors (workspace), so every access is a
 *               contiguous row segment (no strided gathers).
 * As in the reference, a max of +-inf is replaced by 0 (all -inf gives NaN, as 0/0).
 * Tasks are chunks of rows (or (outer, column chunk) pairs) over k->pool.
 *
 * LayerNormalization: rows of d = prod(dims[axis:]); scale/bias used in place when they
 * hold d values, else expanded once per run into the workspace (any shape that
 * broadcasts unidirectionally to dims[axis:], as norm.c's expand_param reads it).
 */
#include <math.h>
#include <string.h>

#include "kernels/act/act_isa.h"
#include "kernels/norm/norm.h"
#include "kernels/norm/norm_isa.h"
#include "runtime/threadpool.h"

/* ---- portable primitives ---- */

static inline float s_max(float a, float b) { return b > a ? b : a; }

#define VF float
#define W 1
#define V_SET1(c) ((float)(c))
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_ADD(a, b) ((a) + (b))
#define V_SUB(a, b) ((a) - (b))
#define V_MUL(a, b) ((a) * (b))
#define V_FMA(a, b, c) ((a) * (b) + (c))
#define V_MAX(a, b) s_max(a, b)
#define V_HSUM(v) (v)
#define V_HMAX(v) (v)
#define NORM_EXP ert_act_exp_f32_ref
#define NORM_SFX ref
#include "kernels/norm/norm_body.inc"
#undef VF
#undef W

#define SM_ROW_TASK 16384 /* floats per row task (64 KiB of X) */
#define SM_COLS 512       /* column chunk of an inner > 1 block */
#define LN_ROW_TASK 16384


static const ert_tensor *val(const ert_node *n, const ert_graph *g, int i)
{
    int n_in = n->n_inputs - n->n_captures;
    return i < n_in && n->inputs[i] >= 0 ? &g->values[n->inputs[i]].t : NULL;
}

static bool is_f32(const ert_tensor *t)
{
    return t && t->dtype == ERT_DTYPE_FLOAT32 && ert_tensor_is_dense(t);
}

/* ---- Softmax / LogSoftmax ---- */

typedef struct sm_plan {
    bool log;                  /* LogSoftmax */
    int64_t outer, len, inner; /* lines: outer x inner of len at stride inner */
    int64_t rows_per_task;     /* inner == 1 */
    int64_t col_chunks;        /* inner > 1: chunks of SM_COLS per block */
    int64_t tasks;
    size_t ws_floats;          /* per thread */
    int threads;
    const norm_fns *f;
} sm_plan;

_Static_assert(sizeof(sm_plan) <= ERT_STEP_PARAMS_BYTES, "sm_plan exceeds the block");

static bool sm_supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || (n->op->id != ERT_OP_SOFTMAX && n->op->id != ERT_OP_LOG_SOFTMAX))
        return false;
    const ert_tensor *x = val(n, g, 0);
    if (!is_f32(x) || n->n_outputs != 1 || n->outputs[0] < 0)
        return false;
    if (x->rank < 1)
        return false; /* rank unknown or a scalar: the reference's business */
    int64_t axis = ert_attr_int(n, "axis", n->version >= 13 ? -1 : 1);
    if (n->version >= 13)
        return axis >= -x->rank && axis < x->rank;
    return axis >= -x->rank && axis <= x->rank;
}

static ert_status sm_plan_isa(ert_kctx *k, size_t *ws_bytes, const norm_fns *f)
{
    sm_plan *pl = k->params;
    const ert_tensor *x = k->in[0];
    memset(pl, 0, sizeof *pl);
    int rank = x->rank;
    int64_t axis = ert_attr_int(k->node, "axis", k->version >= 13 ? -1 : 1);
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis > rank || (k->version >= 13 && axis == rank))
        return ert_op_fail(k, ERT_ERR_SHAPE, "axis %lld is out of range for rank %d",
                           (long long)axis, rank);
    pl->log = k->node->op->id == ERT_OP_LOG_SOFTMAX;
    pl->outer = pl->len = pl->inner = 1;
    for (int d = 0; d < axis; d++)
        pl->outer *= x->dims[d];
    if (k->version >= 13) {
        pl->len = x->dims[axis];
        for (int d = (int)axis + 1; d < rank; d++)
            pl->inner *= x->dims[d];
    } else {
        for (int d = (int)axis; d < rank; d++)
            pl->len *= x->dims[d];
    }
    pl->f = f;
    pl->threads = ert_threadpool_size(k->pool);
    if (pl->inner == 1) {
        pl->rows_per_task = pl->len >= SM_ROW_TASK ? 1 : SM_ROW_TASK / (pl->len ? pl->len : 1);
        pl->tasks = (pl->outer + pl->rows_per_task - 1) / pl->rows_per_task;
        pl->ws_floats = pl->log ? ert_round16((size_t)pl->len) : 0;
    } else {
        pl->col_chunks = (pl->inner + SM_COLS - 1) / SM_COLS;
        pl->tasks = pl->outer * pl->col_chunks;
        int64_t cw = pl->inner < SM_COLS ? pl->inner : SM_COLS;
        pl->ws_floats = 3 * ert_round16((size_t)cw);
    }
    if (pl->outer * pl->len * pl->inner == 0)
        pl->tasks = 0;
    *ws_bytes = pl->ws_floats * (size_t)pl->threads * sizeof(float);
    return ERT_OK;
}

typedef struct sm_task {
    const sm_plan *pl;
    const float *x;
    float *y, *ws;
} sm_task;

static void sm_row(const sm_plan *pl, const float *x, float *y, float *tmp)
{
    const norm_fns *f = pl->f;
    int64_t n = pl->len;
    float m = f->max(x, n);
    if (isinf(m))
        m = 0.0f;
    f->sub(x, m, y, n);
    if (pl->log) {
        memcpy(tmp, y, sizeof(float) * (size_t)n);
        f->exp(tmp, n);
        f->sub(y, logf(f->sum(tmp, n)), y, n);
    } else {
        f->exp(y, n);
        f->scale(y, 1.0f / f->sum(y, n), n);
    }
}

/* One column chunk [c0, c0 + cw) of block o: lines at stride inner. */
static void sm_cols(const sm_plan *pl, const float *x, float *y, int64_t cw, float *ws)
{
    const norm_fns *f = pl->f;
    int64_t inner = pl->inner, len = pl->len;
    float *mx = ws, *sum = ws + ert_round16((size_t)cw), *tmp = sum + ert_round16((size_t)cw);
    memcpy(mx, x, sizeof(float) * (size_t)cw);
    for (int64_t j = 1; j < len; j++)
        f->max_acc(mx, x + j * inner, cw);
    for (int64_t i = 0; i < cw; i++) {
        if (isinf(mx[i]))
            mx[i] = 0.0f;
        sum[i] = 0.0f;
    }
    for (int64_t j = 0; j < len; j++) {
        float *yr = y + j * inner;
        f->sub_v(x + j * inner, mx, yr, cw);
        if (pl->log) {
            memcpy(tmp, yr, sizeof(float) * (size_t)cw);
            f->exp(tmp, cw);
            f->add_acc(sum, tmp, cw);
        } else {
            f->exp(yr, cw);
            f->add_acc(sum, yr, cw);
        }
    }
    for (int64_t i = 0; i < cw; i++)
        sum[i] = pl->log ? logf(sum[i]) : 1.0f / sum[i];
    for (int64_t j = 0; j < len; j++) {
        float *yr = y + j * inner;
        if (pl->log)
            f->sub_v(yr, sum, yr, cw);
        else
            f->mul_v(yr, sum, cw);
    }
}

static void sm_task_fn(void *arg, int64_t t, int tid)
{
    const sm_task *c = arg;
    const sm_plan *pl = c->pl;
    float *ws = c->ws ? c->ws + (size_t)tid * pl->ws_floats : NULL;
    if (pl->inner == 1) {
        int64_t r0 = t * pl->rows_per_task, r1 = r0 + pl->rows_per_task;
        if (r1 > pl->outer)
            r1 = pl->outer;
        for (int64_t r = r0; r < r1; r++)
            sm_row(pl, c->x + r * pl->len, c->y + r * pl->len, ws);
        return;
    }
    int64_t o = t / pl->col_chunks, c0 = (t % pl->col_chunks) * SM_COLS;
    int64_t cw = pl->inner - c0 < SM_COLS ? pl->inner - c0 : SM_COLS;
    int64_t off = o * pl->len * pl->inner + c0;
    sm_cols(pl, c->x + off, c->y + off, cw, ws);
}

static ert_status sm_run(ert_kctx *k)
{
    const sm_plan *pl = k->params;
    if (pl->tasks == 0)
        return ERT_OK;
    size_t need = pl->ws_floats * (size_t)pl->threads * sizeof(float);
    if (k->ws_bytes < need || ert_threadpool_size(k->pool) > pl->threads)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, need);
    sm_task c = {pl, k->in[0]->data, k->out[0]->data, need ? k->ws : NULL};
    ert_parallel_for(k->pool, pl->tasks, sm_task_fn, &c);
    return ERT_OK;
}

/* ---- LayerNormalization ---- */

typedef struct ln_plan {
    int64_t outer, d;          /* rows, elements per row */
    float eps;
    bool g_full, b_full;       /* scale / bias hold d values: used in place */
    bool has_b;
    int64_t rows_per_task, tasks;
    int64_t str_g[ERT_MAX_RANK], str_b[ERT_MAX_RANK]; /* broadcast strides (expansion) */
    int64_t ndims[ERT_MAX_RANK]; /* the normalised dims */
    int nr;                    /* their count */
    size_t ws_floats;          /* expanded scale, then bias */
    const norm_fns *f;
} ln_plan;

_Static_assert(sizeof(ln_plan) <= ERT_STEP_PARAMS_BYTES, "ln_plan exceeds the block");

static bool ln_supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || n->op->id != ERT_OP_LAYER_NORMALIZATION)
        return false;
    const ert_tensor *x = val(n, g, 0), *s = val(n, g, 1), *b = val(n, g, 2);
    if (!is_f32(x) || !is_f32(s) || (b && !is_f32(b)))
        return false;
    if (x->rank < 1 || s->rank < 0 || (b && b->rank < 0))
        return false;
    /* Mean / InvStdDev are produced as float32: stash_type 1 (the default) only */
    if (ert_attr_int(n, "stash_type", 1) != ERT_DTYPE_FLOAT32)
        return false;
    int64_t axis = ert_attr_int(n, "axis", -1);
    if (axis < -x->rank || axis >= x->rank)
        return false;
    if (n->n_outputs < 1 || n->outputs[0] < 0 || n->n_outputs > 3)
        return false;
    return true;
}

/* Broadcast strides of parameter p against the normalised dims; fails if p does not
 * broadcast to them. *full: p holds them exactly (after leading 1s). */
static ert_status ln_param(ert_kctx *k, const ert_tensor *p, const ln_plan *pl, int64_t *str,
                           bool *full)
{
    if (p->rank > pl->nr)
        return ert_op_fail(k, ERT_ERR_SHAPE, "parameter of rank %d cannot broadcast to the "
                           "normalized shape (rank %d)", p->rank, pl->nr);
    for (int i = 0; i < p->rank; i++) {
        int64_t pd = p->dims[i], xd = pl->ndims[pl->nr - p->rank + i];
        if (pd != 1 && pd != xd)
            return ert_op_fail(k, ERT_ERR_SHAPE, "parameter dim %d is %lld; the normalized "
                               "shape has %lld there", i, (long long)pd, (long long)xd);
    }
    ert_bcast_strides(p, pl->nr, pl->ndims, str);
    *full = ert_tensor_numel(p) == pl->d;
    return ERT_OK;
}

static ert_status ln_plan_isa(ert_kctx *k, size_t *ws_bytes, const norm_fns *f)
{
    ln_plan *pl = k->params;
    const ert_tensor *x = k->in[0], *s = k->in[1], *b = ert_in(k, 2);
    memset(pl, 0, sizeof *pl);
    int axis;
    ert_status st = ert_norm_axis(k, ert_attr_int(k->node, "axis", -1), x->rank, "axis", &axis);
    if (st)
        return st;
    pl->outer = pl->d = 1;
    for (int i = 0; i < x->rank; i++)
        *(i < axis ? &pl->outer : &pl->d) *= x->dims[i];
    pl->nr = x->rank - axis;
    memcpy(pl->ndims, x->dims + axis, sizeof(int64_t) * (size_t)pl->nr);
    pl->eps = ert_attr_float(k->node, "epsilon", 1e-5f);
    if ((st = ln_param(k, s, pl, pl->str_g, &pl->g_full)))
        return st;
    pl->has_b = b != NULL;
    pl->b_full = true;
    if (b && (st = ln_param(k, b, pl, pl->str_b, &pl->b_full)))
        return st;
    for (int o = 1; o < k->n_out; o++)
        if (k->out[o] && (k->out[o]->dtype != ERT_DTYPE_FLOAT32 ||
                          ert_tensor_numel(k->out[o]) != pl->outer))
            return ert_op_fail(k, ERT_ERR_INTERNAL, "output %d is not %lld float32 values", o,
                               (long long)pl->outer);
    pl->f = f;
    pl->rows_per_task = pl->d >= LN_ROW_TASK ? 1 : LN_ROW_TASK / (pl->d ? pl->d : 1);
    pl->tasks = (pl->outer + pl->rows_per_task - 1) / pl->rows_per_task;
    pl->ws_floats = (pl->g_full ? 0 : ert_round16((size_t)pl->d)) +
                    (pl->b_full ? 0 : ert_round16((size_t)pl->d));
    *ws_bytes = pl->ws_floats * sizeof(float);
    return ERT_OK;
}

/* dst[0, d) = p broadcast to the normalised dims (strides str). */
static void ln_expand(const ln_plan *pl, const float *p, const int64_t *str, float *dst)
{
    int64_t idx[ERT_MAX_RANK] = {0};
    for (int64_t j = 0; j < pl->d; j++) {
        int64_t off = 0;
        for (int a = 0; a < pl->nr; a++)
            off += idx[a] * str[a];
        dst[j] = p[off];
        for (int a = pl->nr - 1; a >= 0; a--) {
            if (++idx[a] < pl->ndims[a])
                break;
            idx[a] = 0;
        }
    }
}

typedef struct ln_task {
    const ln_plan *pl;
    const float *x, *g, *b;
    float *y, *mean, *inv;
} ln_task;

static void ln_task_fn(void *arg, int64_t t, int tid)
{
    const ln_task *c = arg;
    const ln_plan *pl = c->pl;
    (void)tid;
    int64_t r0 = t * pl->rows_per_task, r1 = r0 + pl->rows_per_task;
    if (r1 > pl->outer)
        r1 = pl->outer;
    for (int64_t r = r0; r < r1; r++) {
        float m, iv;
        pl->f->ln_row(c->x + r * pl->d, pl->d, pl->eps, c->g, c->b, c->y + r * pl->d, &m, &iv);
        if (c->mean)
            c->mean[r] = m;
        if (c->inv)
            c->inv[r] = iv;
    }
}

static ert_status ln_run(ert_kctx *k)
{
    const ln_plan *pl = k->params;
    if (pl->tasks == 0)
        return ERT_OK;
    if (k->ws_bytes < pl->ws_floats * sizeof(float))
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->ws_floats * sizeof(float));
    ln_task c = {pl, k->in[0]->data, k->in[1]->data, NULL, k->out[0]->data, NULL, NULL};
    float *ws = k->ws;
    if (!pl->g_full) {
        ln_expand(pl, k->in[1]->data, pl->str_g, ws);
        c.g = ws;
        ws += ert_round16((size_t)pl->d);
    }
    if (pl->has_b) {
        c.b = k->in[2]->data;
        if (!pl->b_full) {
            ln_expand(pl, k->in[2]->data, pl->str_b, ws);
            c.b = ws;
        }
    }
    ert_tensor *mo = ert_out(k, 1), *io = ert_out(k, 2);
    c.mean = mo ? mo->data : NULL;
    c.inv = io ? io->data : NULL;
    ert_parallel_for(k->pool, pl->tasks, ln_task_fn, &c);
    return ERT_OK;
}

/* ---- kernel entries ---- */

/* The two kernels of one ISA level: only the row primitives (norm_fns) differ. */
#define NORM_ISA_KERNELS(ISA, NAME, FNS)                                                 \
    static ert_status sm_plan_##NAME(ert_kctx *k, size_t *ws)                            \
    {                                                                                    \
        return sm_plan_isa(k, ws, &FNS);                                                 \
    }                                                                                    \
    static ert_status ln_plan_##NAME(ert_kctx *k, size_t *ws)                            \
    {                                                                                    \
        return ln_plan_isa(k, ws, &FNS);                                                 \
    }                                                                                    \
    static const ert_kernel sm_##NAME = {"softmax." #NAME, ISA, sm_supports, NULL, NULL, \
                                         sm_plan_##NAME, sm_run};                        \
    static const ert_kernel ln_##NAME = {"layernorm." #NAME, ISA, ln_supports, NULL,     \
                                         NULL, ln_plan_##NAME, ln_run};

NORM_ISA_KERNELS(ERT_ISA_GENERIC, generic, ert_norm_fns_ref)
#if defined(__x86_64__) || defined(_M_X64)
NORM_ISA_KERNELS(ERT_ISA_AVX2, avx2, ert_norm_fns_avx2)
NORM_ISA_KERNELS(ERT_ISA_AVX512, avx512, ert_norm_fns_avx512)
#endif
#if defined(__aarch64__)
NORM_ISA_KERNELS(ERT_ISA_NEON, neon, ert_norm_fns_neon)
#endif

const ert_kernel *const ert_softmax_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &sm_avx512, &sm_avx2,
#endif
#if defined(__aarch64__)
    &sm_neon,
#endif
    &sm_generic, NULL};

const ert_kernel *const ert_layernorm_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &ln_avx512, &ln_avx2,
#endif
#if defined(__aarch64__)
    &ln_neon,
#endif
    &ln_generic, NULL};
