/*
 * eltwise.c - binary.<isa> kernels (see eltwise.h): load-time support test, the shape
 * reduction at plan time, the threaded run, and the portable row kernel.
 *
 * Plan: the output's dims with each input's broadcast strides are compressed like
 * elementwise.c's walker (size-1 dims dropped, dims merged while every operand stays
 * contiguous), leaving [outer..., inner]. The inner stride of an input is then always 0
 * or 1 (its last non-broadcast dim is contiguous), which is all the row kernels handle.
 * Run: one flat row is cut into chunks for the threads; otherwise the threads take runs
 * of rows, each finding its operands' offsets from the row index.
 */
#include <string.h>

#include "kernels/eltwise/eltwise.h"
#include "kernels/eltwise/eltwise_isa.h"
#include "runtime/threadpool.h"

#define EW_CHUNK 16384 /* floats per task of a flat row: 64 KiB, an L2-sized bite */

typedef struct ew_plan {
    ert_ew_op op;
    int outer;                          /* compressed outer dims */
    int64_t dims[ERT_MAX_RANK];         /* outer dims */
    int64_t sa[ERT_MAX_RANK], sb[ERT_MAX_RANK]; /* their element strides in A and B */
    int64_t rows, inner;                /* prod(dims), inner row length */
    int ia, ib;                         /* inner strides of A and B (0 or 1) */
    int64_t total;                      /* output elements */
    bool square;                        /* Pow(x, 2): B is A */
} ew_plan;

_Static_assert(sizeof(ew_plan) <= ERT_STEP_PARAMS_BYTES, "ew_plan exceeds the block");

/* ---- portable row kernel (also the vector kernels' tail) ---- */

static inline float ew_max(float a, float b)
{
    return (b > a || b != b) ? b : a; /* elementwise.c: NaN from either side */
}

static inline float ew_min(float a, float b)
{
    return (b < a || b != b) ? b : a;
}

void ert_ew_row_ref(ert_ew_op op, int64_t n, const float *a, int sa, const float *b, int sb,
                    float *y)
{
#define EW_REF_LOOP(EXPR)                          \
    for (int64_t i = 0; i < n; i++) {              \
        float va = a[i * sa], vb = b[i * sb];      \
        y[i] = EXPR;                               \
    }                                              \
    break;
    switch (op) {
    case EW_ADD: EW_REF_LOOP(va + vb)
    case EW_SUB: EW_REF_LOOP(va - vb)
    case EW_MUL: EW_REF_LOOP(va * vb)
    case EW_DIV: EW_REF_LOOP(va / vb)
    case EW_MAX: EW_REF_LOOP(ew_max(va, vb))
    case EW_MIN: EW_REF_LOOP(ew_min(va, vb))
    }
#undef EW_REF_LOOP
}

/* The generic level runs ew_body.inc on a 4-float struct: plain C whose lane loops the
 * compiler vectorises at the baseline ISA (SSE2 / NEON); the scalar loop above stays for
 * the tails. */
typedef struct f4 {
    float v[4];
} f4;

#define F4_OP(name, expr)                    \
    static inline f4 name(f4 a, f4 b)        \
    {                                        \
        f4 r;                                \
        for (int i = 0; i < 4; i++) {        \
            float x = a.v[i], y = b.v[i];    \
            r.v[i] = expr;                   \
        }                                    \
        return r;                            \
    }
F4_OP(f4_add, x + y)
F4_OP(f4_sub, x - y)
F4_OP(f4_mul, x * y)
F4_OP(f4_div, x / y)
F4_OP(f4_max, ew_max(x, y))
F4_OP(f4_min, ew_min(x, y))

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

#define VF f4
#define W 4
#define V_LOAD(p) f4_load(p)
#define V_STORE(p, v) f4_store(p, v)
#define V_SET1(c) f4_set1(c)
#define V_ADD(a, b) f4_add(a, b)
#define V_SUB(a, b) f4_sub(a, b)
#define V_MUL(a, b) f4_mul(a, b)
#define V_DIV(a, b) f4_div(a, b)
#define V_MAXF(a, b) f4_max(a, b) /* ew_max already takes a NaN from either side */
#define V_MINF(a, b) f4_min(a, b)
#define V_NANSEL(b, r) (r)
#define EW_ROW ert_ew_row_f4
static void ert_ew_row_f4(ert_ew_op op, int64_t n, const float *a, int sa, const float *b,
                          int sb, float *y);
#include "kernels/eltwise/ew_body.inc"

/* ---- load time ---- */

static bool op_of(int id, ert_ew_op *op)
{
    switch (id) {
    case ERT_OP_ADD: *op = EW_ADD; return true;
    case ERT_OP_SUB: *op = EW_SUB; return true;
    case ERT_OP_MUL: *op = EW_MUL; return true;
    case ERT_OP_DIV: *op = EW_DIV; return true;
    case ERT_OP_MAX: *op = EW_MAX; return true;
    case ERT_OP_MIN: *op = EW_MIN; return true;
    case ERT_OP_POW: *op = EW_MUL; return true; /* x^2 only: x * x (is_square) */
    default: return false;
    }
}

static bool is_f32(const ert_graph *g, int v)
{
    return v >= 0 && g->values[v].t.dtype == ERT_DTYPE_FLOAT32;
}

/* Pow(x, 2) with the exponent a float32 constant scalar: x * x, which is what a correctly
 * rounded powf returns for every x, NaN and infinities included (YOLO heads' box
 * decoding, decomposed variances); the exponent float32, int32 or int64. Other exponents
 * stay on the reference kernel. */
static bool is_square(const ert_node *n, const ert_graph *g)
{
    if (n->op->id != ERT_OP_POW || n->inputs[1] < 0)
        return false;
    const ert_value *e = &g->values[n->inputs[1]];
    if (e->kind != ERT_VALUE_CONST || !e->t.data || ert_tensor_numel(&e->t) != 1)
        return false;
    ert_dtype dt = e->t.dtype;
    return (dt == ERT_DTYPE_FLOAT32 || dt == ERT_DTYPE_INT64 || dt == ERT_DTYPE_INT32) &&
           ert_load_f64(dt, e->t.data, 0) == 2.0;
}

/* Two float32 inputs with numpy broadcasting: Add..Div from opset 7 (earlier versions
 * broadcast with axis/broadcast attributes), Max/Min from opset 8 (two inputs only);
 * Pow when it is a square (is_square). */
static bool supports(const ert_node *n, const ert_graph *g)
{
    ert_ew_op op;
    if (!n->op || !op_of(n->op->id, &op))
        return false;
    if (n->op->id == ERT_OP_POW && !is_square(n, g))
        return false;
    int min_version = (op == EW_MAX || op == EW_MIN) ? 8 : 7;
    int n_in = n->n_inputs - n->n_captures;
    return n->version >= min_version && n_in == 2 && n->n_outputs >= 1 &&
           is_f32(g, n->inputs[0]) && (is_f32(g, n->inputs[1]) || n->op->id == ERT_OP_POW) &&
           is_f32(g, n->outputs[0]);
}

/* ---- reshape ---- */

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    ew_plan *pl = k->params;
    const ert_tensor *y = k->out[0];
    int rank = y->rank;
    int64_t st[3][ERT_MAX_RANK];
    memset(pl, 0, sizeof *pl);
    op_of(k->node->op->id, &pl->op);
    pl->square = k->node->op->id == ERT_OP_POW;
    ert_bcast_strides(k->in[0], rank, y->dims, st[0]);
    ert_bcast_strides(pl->square ? k->in[0] : k->in[1], rank, y->dims, st[1]);
    ert_strides(rank, y->dims, st[2]);
    int64_t cd[ERT_MAX_RANK], cs[3][ERT_MAX_RANK];
    int cr = 0;
    pl->total = ert_tensor_numel(y);
    for (int d = 0; d < rank && pl->total > 0; d++) {
        if (y->dims[d] == 1)
            continue;
        bool merge = cr > 0;
        for (int j = 0; j < 3 && merge; j++)
            merge = cs[j][cr - 1] == st[j][d] * y->dims[d];
        if (!merge)
            cr++;
        cd[cr - 1] = merge ? cd[cr - 1] * y->dims[d] : y->dims[d];
        for (int j = 0; j < 3; j++)
            cs[j][cr - 1] = st[j][d];
    }
    pl->inner = cr > 0 ? cd[cr - 1] : 1;
    pl->ia = cr > 0 ? (int)cs[0][cr - 1] : 1;
    pl->ib = cr > 0 ? (int)cs[1][cr - 1] : 1;
    if ((pl->ia != 0 && pl->ia != 1) || (pl->ib != 0 && pl->ib != 1))
        return ert_op_fail(k, ERT_ERR_INTERNAL, "inner strides %d, %d", pl->ia, pl->ib);
    pl->outer = cr > 0 ? cr - 1 : 0;
    pl->rows = 1;
    for (int d = 0; d < pl->outer; d++) {
        pl->dims[d] = cd[d];
        pl->sa[d] = cs[0][d];
        pl->sb[d] = cs[1][d];
        pl->rows *= cd[d];
    }
    if (pl->total == 0)
        pl->rows = 0;
    *ws_bytes = 0;
    return ERT_OK;
}

/* ---- run ---- */

typedef struct ew_task {
    const ew_plan *pl;
    ert_ew_row_fn row;
    const float *a, *b;
    float *y;
    int64_t per_task; /* elements (flat) or rows per task */
} ew_task;

static void flat_task(void *arg, int64_t t, int tid)
{
    const ew_task *c = arg;
    const ew_plan *pl = c->pl;
    int64_t i0 = t * c->per_task, n = pl->inner - i0 < c->per_task ? pl->inner - i0 : c->per_task;
    (void)tid;
    c->row(pl->op, n, c->a + i0 * pl->ia, pl->ia, c->b + i0 * pl->ib, pl->ib, c->y + i0);
}

static void rows_task(void *arg, int64_t t, int tid)
{
    const ew_task *c = arg;
    const ew_plan *pl = c->pl;
    int64_t r0 = t * c->per_task, r1 = r0 + c->per_task < pl->rows ? r0 + c->per_task : pl->rows;
    (void)tid;
    for (int64_t r = r0; r < r1; r++) {
        int64_t rem = r, oa = 0, ob = 0;
        for (int d = pl->outer - 1; d >= 0; d--) {
            int64_t idx = rem % pl->dims[d];
            rem /= pl->dims[d];
            oa += idx * pl->sa[d];
            ob += idx * pl->sb[d];
        }
        c->row(pl->op, pl->inner, c->a + oa, pl->ia, c->b + ob, pl->ib, c->y + r * pl->inner);
    }
}

static ert_status run_isa(ert_kctx *k, ert_ew_row_fn row)
{
    const ew_plan *pl = k->params;
    if (pl->total <= 0)
        return ERT_OK;
    ew_task c = {pl, row, k->in[0]->data, k->in[pl->square ? 0 : 1]->data, k->out[0]->data, 0};
    if (pl->rows == 1) {
        c.per_task = EW_CHUNK;
        ert_parallel_for(k->pool, (pl->inner + EW_CHUNK - 1) / EW_CHUNK, flat_task, &c);
    } else {
        c.per_task = (EW_CHUNK + pl->inner - 1) / pl->inner;
        ert_parallel_for(k->pool, (pl->rows + c.per_task - 1) / c.per_task, rows_task, &c);
    }
    return ERT_OK;
}

static ert_status run_ref(ert_kctx *k) { return run_isa(k, ert_ew_row_f4); }
#if defined(__x86_64__) || defined(_M_X64)
static ert_status run_avx2(ert_kctx *k) { return run_isa(k, ert_ew_row_avx2); }
static ert_status run_avx512(ert_kctx *k) { return run_isa(k, ert_ew_row_avx512); }
static const ert_kernel k_avx512 = {"binary.avx512", ERT_ISA_AVX512, supports, NULL, NULL,
                                    plan, run_avx512};
static const ert_kernel k_avx2 = {"binary.avx2", ERT_ISA_AVX2, supports, NULL, NULL, plan,
                                  run_avx2};
#endif
#if defined(__aarch64__)
static ert_status run_neon(ert_kctx *k) { return run_isa(k, ert_ew_row_neon); }
static const ert_kernel k_neon = {"binary.neon", ERT_ISA_NEON, supports, NULL, NULL, plan,
                                  run_neon};
#endif
static const ert_kernel k_generic = {"binary.generic", ERT_ISA_GENERIC, supports, NULL, NULL,
                                     plan, run_ref};

const ert_kernel *const ert_binary_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};
