/*
 * rnn.c - rnn.<isa> (see rnn.h): float32 LSTM, GRU and RNN.
 *
 * Load: W of both directions packed as one SGEMM B (K = input size, N = directions x
 * gates x H); R transposed per direction into [H][gates*H] rows for the matrix-vector
 * kernel; the biases folded into one row per direction (Wb + Rb; a GRU's h-gate Rb
 * stays apart, since linear_before_reset puts it inside the reset product).
 * Run: G[row, :] = X[row, :] * W^T + bias for every row of X (time x batch, in X's
 * memory order, so both layouts are one GEMM), then one task per (direction, batch
 * row) walks its sequence: g = G[t] + h * R^T (ert_gemv_of), the gates through
 * kernels/act where the activation has a vector form (Relu, Tanh, Sigmoid, LeakyRelu,
 * HardSigmoid, Elu) and plain float loops for the rest (Affine, ThresholdedRelu,
 * ScaledTanh, Softsign, Softplus). Semantics are the reference kernel's (ops/rnn.c's
 * banner: clip on every gate pre-activation after the peepholes, input_forget as
 * f = 1 - i, sequence_lens per batch row, zero state for a zero-length row).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/act/act.h"
#include "kernels/gemm/gemm.h"
#include "kernels/matmul/gemv_isa.h"
#include "kernels/rnn/rnn.h"
#include "ops/rnn.h"
#include "runtime/threadpool.h"

#define RNN_ALIGN 64

typedef struct rnn_packed {
    ert_isa isa;
    int64_t nd, gh, hid, in; /* directions, gates x H, H, input size */
    float *wp;               /* W^T of every direction, packed for the SGEMM */
    float *rt;               /* R^T per direction: [nd][H][gh] */
    float *bias;             /* [nd][gh]: Wb + Rb (a GRU's h gate: Wb only), or NULL */
    float *rbh;              /* GRU: Rb of the h gate [nd][H], or NULL */
    float *peep;             /* LSTM: P [nd][3H] (i, o, f), or NULL */
} rnn_packed;

typedef struct rnn_plan {
    ert_rnn_params p;
    int64_t T, N;                                 /* steps, batch rows */
    ert_act_params vec[2][ERT_RNN_MAX_ACTS];      /* kind NONE: a scalar loop (below) */
    size_t g_off, a_off, sg_off, sg_bytes, s_off; /* workspace offsets (bytes) */
    size_t s_floats;                              /* one thread's gate scratch */
    size_t ws_bytes;
    int threads;
} rnn_plan;

_Static_assert(sizeof(rnn_plan) <= ERT_STEP_PARAMS_BYTES, "rnn_plan exceeds the block");

/* ---- load time ---- */

static bool is_f32(const ert_graph *g, int v)
{
    return v < 0 || g->values[v].t.dtype == ERT_DTYPE_FLOAT32;
}

static bool is_const(const ert_graph *g, int v)
{
    const ert_value *x = &g->values[v];
    return x->kind == ERT_VALUE_CONST && x->t.data && ert_tensor_shape_known(&x->t);
}

static int gates_of(int op)
{
    return op == ERT_OP_LSTM ? 4 : op == ERT_OP_GRU ? 3 : 1;
}

static int64_t input_at(const ert_node *n, int i)
{
    return i < n->n_inputs - n->n_captures ? n->inputs[i] : -1;
}

/* float32 everywhere, W and R constant [nd, gates*H, I] / [nd, gates*H, H], B and P
 * constant where given. */
static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || (n->op->id != ERT_OP_LSTM && n->op->id != ERT_OP_GRU &&
                   n->op->id != ERT_OP_RNN))
        return false;
    int n_in = n->n_inputs - n->n_captures, gates = gates_of(n->op->id);
    if (n_in < 3 || n->inputs[0] < 0 || n->inputs[1] < 0 || n->inputs[2] < 0)
        return false;
    for (int i = 0; i < n_in; i++)
        if (i != ERT_RNN_IN_SEQ_LENS && !is_f32(g, n->inputs[i]))
            return false;
    int v_b = (int)input_at(n, ERT_RNN_IN_B), v_p = (int)input_at(n, ERT_RNN_IN_P);
    if (!is_const(g, n->inputs[1]) || !is_const(g, n->inputs[2]) ||
        (v_b >= 0 && !is_const(g, v_b)) || (v_p >= 0 && !is_const(g, v_p)))
        return false;
    const ert_tensor *w = &g->values[n->inputs[1]].t, *r = &g->values[n->inputs[2]].t;
    if (w->rank != 3 || r->rank != 3 || w->dims[0] != r->dims[0] || w->dims[0] < 1 ||
        w->dims[0] > 2 || w->dims[1] != r->dims[1] || r->dims[2] < 1 ||
        r->dims[1] != gates * r->dims[2])
        return false;
    int64_t nd = w->dims[0], h = r->dims[2];
    if (v_b >= 0 && ert_tensor_numel(&g->values[v_b].t) != nd * 2 * gates * h)
        return false;
    return v_p < 0 || ert_tensor_numel(&g->values[v_p].t) == nd * 3 * h;
}

static void free_packed(void *pp)
{
    rnn_packed *p = pp;
    if (!p)
        return;
    free(p->wp);
    free(p->rt);
    free(p->bias);
    free(p->rbh);
    free(p->peep);
    free(p);
}

static float *alloc_floats(size_t n)
{
    size_t bytes = (n > 0 ? n : 1) * sizeof(float);
    return aligned_alloc(RNN_ALIGN, (bytes + RNN_ALIGN - 1) / RNN_ALIGN * RNN_ALIGN);
}

/* The biases as the run adds them (see the banner). */
static void fold_bias(rnn_packed *p, bool gru, const float *b)
{
    for (int64_t d = 0; d < p->nd; d++) {
        const float *wb = b + d * 2 * p->gh, *rb = wb + p->gh;
        for (int64_t j = 0; j < p->gh; j++)
            p->bias[d * p->gh + j] = wb[j] + (gru && j >= 2 * p->hid ? 0.0f : rb[j]);
        for (int64_t j = 0; gru && j < p->hid; j++)
            p->rbh[d * p->hid + j] = rb[2 * p->hid + j];
    }
}

static ert_status pack_isa(ert_isa isa, const ert_node *n, const ert_graph *g, void **packed,
                           ert_err *err)
{
    const ert_tensor *w = &g->values[n->inputs[1]].t, *r = &g->values[n->inputs[2]].t;
    int v_b = (int)input_at(n, ERT_RNN_IN_B), v_p = (int)input_at(n, ERT_RNN_IN_P);
    bool gru = n->op->id == ERT_OP_GRU;
    rnn_packed *p = calloc(1, sizeof *p);
    if (!p)
        goto oom;
    *p = (rnn_packed){isa, w->dims[0], w->dims[1], r->dims[2], w->dims[2], NULL, NULL, NULL,
                      NULL, NULL};
    p->wp = alloc_floats(ert_sgemm_packed_b_floats(isa, p->in, p->nd * p->gh));
    p->rt = alloc_floats((size_t)(p->nd * p->hid * p->gh));
    if (v_b >= 0 && !(p->bias = alloc_floats((size_t)(p->nd * p->gh))))
        goto oom;
    if (v_b >= 0 && gru && !(p->rbh = alloc_floats((size_t)(p->nd * p->hid))))
        goto oom;
    if (v_p >= 0 && !(p->peep = alloc_floats((size_t)(p->nd * 3 * p->hid))))
        goto oom;
    if (!p->wp || !p->rt)
        goto oom;
    /* B[i][j] = W[j][i] over the directions' stacked gate rows */
    ert_sgemm_pack_b(isa, p->in, p->nd * p->gh, w->data, 1, p->in, p->wp);
    const float *rs = r->data;
    for (int64_t d = 0; d < p->nd; d++)
        for (int64_t j = 0; j < p->gh; j++)
            for (int64_t h = 0; h < p->hid; h++)
                p->rt[(d * p->hid + h) * p->gh + j] = rs[(d * p->gh + j) * p->hid + h];
    if (p->bias)
        fold_bias(p, gru, g->values[v_b].t.data);
    if (p->peep)
        memcpy(p->peep, g->values[v_p].t.data, sizeof(float) * (size_t)(p->nd * 3 * p->hid));
    *packed = p;
    return ERT_OK;
oom:
    free_packed(p);
    return ert_errf(err, ERT_ERR_NO_MEMORY, "%s: out of memory packing the weights",
                    n->op ? n->op->name : "rnn");
}

/* ---- reshape ---- */

/* The vector form of an activation, or kind NONE where it has none. */
static ert_act_params vec_of(const ert_rnn_act *a)
{
    ert_act_params v = {.kind = ERT_ACT_NONE, .alpha = (float)a->alpha, .beta = (float)a->beta};
    switch (a->kind) {
    case ERT_RNN_ACT_RELU: v.kind = ERT_ACT_RELU; break;
    case ERT_RNN_ACT_TANH: v.kind = ERT_ACT_TANH; break;
    case ERT_RNN_ACT_SIGMOID: v.kind = ERT_ACT_SIGMOID; break;
    case ERT_RNN_ACT_LEAKY_RELU: v.kind = ERT_ACT_LEAKY_RELU; break;
    case ERT_RNN_ACT_HARD_SIGMOID: v.kind = ERT_ACT_HARD_SIGMOID; break;
    case ERT_RNN_ACT_ELU: v.kind = ERT_ACT_ELU; break;
    default: break;
    }
    return v;
}

static size_t align_up(size_t n)
{
    return (n + RNN_ALIGN - 1) / RNN_ALIGN * RNN_ALIGN;
}

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    rnn_plan *pl = k->params;
    const rnn_packed *pk = k->packed;
    memset(pl, 0, sizeof *pl);
    ert_rnn_shape sh;
    ert_status st = ert_rnn_parse(k, &pl->p);
    if (st || (st = ert_rnn_shapes(k, &pl->p, &sh)))
        return st;
    if (sh.seq < 0 || sh.batch < 0 || sh.input != pk->in || sh.hidden != pk->hid ||
        pl->p.nd != pk->nd)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "shapes differ from the packed weights");
    pl->T = sh.seq;
    pl->N = sh.batch;
    for (int d = 0; d < 2; d++)
        for (int a = 0; a < ERT_RNN_MAX_ACTS; a++)
            pl->vec[d][a] = vec_of(&pl->p.act[d][a]);
    int64_t rows = pl->T * pl->N, cols = pk->nd * pk->gh;
    pl->threads = ert_threadpool_size(k->pool);
    pl->s_floats = ert_round16((size_t)(pk->gh + 3 * pk->hid));
    pl->g_off = 0;
    pl->a_off = align_up((size_t)(rows * cols) * sizeof(float));
    pl->sg_off = pl->a_off + align_up(ert_sgemm_packed_a_floats(pk->isa, rows, pk->in) *
                                      sizeof(float));
    pl->sg_bytes = ert_sgemm_ws_bytes(pk->isa, rows, cols, pk->in, pl->threads);
    pl->s_off = pl->sg_off + align_up(pl->sg_bytes);
    pl->ws_bytes = pl->s_off + pl->s_floats * sizeof(float) * (size_t)pl->threads;
    *ws_bytes = pl->ws_bytes;
    return ERT_OK;
}

/* ---- run ---- */

typedef struct rnn_job {
    const rnn_plan *pl;
    const rnn_packed *pk;
    ert_gemv_fn gemv;
    const float *g;            /* the input projection [T*N][nd*gh] */
    const float *h0, *c0;      /* initial_h / initial_c, or NULL */
    const ert_tensor *lens;    /* sequence_lens, or NULL */
    float *y, *yh, *yc;        /* outputs, or NULL */
    float *scratch;            /* plan's per-thread slices */
} rnn_job;

/* x[0, n) = act(x) in place: the vector kernels where the kind has one. */
static void act_run(const rnn_job *j, int d, int a, float *x, int64_t n)
{
    const ert_act_params *v = &j->pl->vec[d][a];
    if (v->kind != ERT_ACT_NONE) {
        ert_act_f32_isa(j->pk->isa, v, x, n, 0);
        return;
    }
    const ert_rnn_act *r = &j->pl->p.act[d][a];
    float al = (float)r->alpha, be = (float)r->beta;
    for (int64_t i = 0; i < n; i++) {
        float t = x[i];
        switch (r->kind) {
        case ERT_RNN_ACT_AFFINE: t = al * t + be; break;
        case ERT_RNN_ACT_THRESHOLDED_RELU: t = t > al ? t : 0.0f; break;
        case ERT_RNN_ACT_SCALED_TANH: t = al * tanhf(be * t); break;
        case ERT_RNN_ACT_SOFTSIGN: t = t / (1.0f + fabsf(t)); break;
        case ERT_RNN_ACT_SOFTPLUS: t = t > 0.0f ? t + log1pf(expf(-t)) : log1pf(expf(t)); break;
        default: break;
        }
        x[i] = t;
    }
}

/* Clip on gate pre-activations (NaN passes through, as in the reference). */
static void clip_run(const rnn_plan *pl, float *x, int64_t n)
{
    if (!pl->p.has_clip)
        return;
    float c = (float)pl->p.clip;
    for (int64_t i = 0; i < n; i++)
        x[i] = x[i] > c ? c : x[i] < -c ? -c : x[i];
}

/* One LSTM step of direction d: h, c updated from gx (the projection row). */
static void lstm_step(const rnn_job *j, int d, const float *gx, float *g, float *tmp, float *h,
                      float *c)
{
    const rnn_plan *pl = j->pl;
    int64_t H = j->pk->hid, gh = j->pk->gh;
    const float *rt = j->pk->rt + d * H * gh;
    const float *pp = j->pk->peep ? j->pk->peep + d * 3 * H : NULL;
    j->gemv(H, gh, h, rt, gh, 1.0f, gx, g);
    float *gi = g, *go = g + H, *gf = g + 2 * H, *gc = g + 3 * H;
    bool plain = !pp && !pl->p.has_clip && !pl->p.input_forget;
    if (plain) { /* i, o, f contiguous: one call */
        act_run(j, d, 0, g, 3 * H);
    } else {
        for (int64_t i = 0; pp && i < H; i++) {
            gi[i] += pp[i] * c[i];
            gf[i] += pp[2 * H + i] * c[i];
        }
        clip_run(pl, gi, H);
        act_run(j, d, 0, gi, H);
        if (pl->p.input_forget) {
            for (int64_t i = 0; i < H; i++)
                gf[i] = 1.0f - gi[i];
        } else {
            clip_run(pl, gf, H);
            act_run(j, d, 0, gf, H);
        }
    }
    clip_run(pl, gc, H);
    act_run(j, d, 1, gc, H);
    for (int64_t i = 0; i < H; i++)
        c[i] = gf[i] * c[i] + gi[i] * gc[i];
    if (!plain) {
        for (int64_t i = 0; pp && i < H; i++)
            go[i] += pp[H + i] * c[i];
        clip_run(pl, go, H);
        act_run(j, d, 0, go, H);
    }
    memcpy(tmp, c, sizeof(float) * (size_t)H);
    act_run(j, d, 2, tmp, H);
    for (int64_t i = 0; i < H; i++)
        h[i] = go[i] * tmp[i];
}

/* One GRU step (gates z, r, h). */
static void gru_step(const rnn_job *j, int d, const float *gx, float *g, float *tmp, float *h)
{
    const rnn_plan *pl = j->pl;
    int64_t H = j->pk->hid, gh = j->pk->gh;
    const float *rt = j->pk->rt + d * H * gh, *rbh = j->pk->rbh ? j->pk->rbh + d * H : NULL;
    float *z = g, *r = g + H, *hh = g + 2 * H;
    j->gemv(H, 2 * H, h, rt, gh, 1.0f, gx, g);
    clip_run(pl, g, 2 * H);
    act_run(j, d, 0, g, 2 * H);
    if (pl->p.linear_before_reset) {
        j->gemv(H, H, h, rt + 2 * H, gh, 1.0f, rbh, tmp);
        for (int64_t i = 0; i < H; i++)
            hh[i] = gx[2 * H + i] + r[i] * tmp[i];
    } else {
        for (int64_t i = 0; i < H; i++)
            tmp[i] = r[i] * h[i];
        j->gemv(H, H, tmp, rt + 2 * H, gh, 1.0f, gx + 2 * H, hh);
        for (int64_t i = 0; rbh && i < H; i++)
            hh[i] += rbh[i];
    }
    clip_run(pl, hh, H);
    act_run(j, d, 1, hh, H);
    for (int64_t i = 0; i < H; i++)
        h[i] = (1.0f - z[i]) * hh[i] + z[i] * h[i];
}

static void rnn_step(const rnn_job *j, int d, const float *gx, float *g, float *h)
{
    int64_t H = j->pk->hid;
    j->gemv(H, H, h, j->pk->rt + d * H * H, H, 1.0f, gx, g);
    clip_run(j->pl, g, H);
    act_run(j, d, 0, g, H);
    memcpy(h, g, sizeof(float) * (size_t)H);
}

static int64_t len_of(const rnn_job *j, int64_t b)
{
    return j->lens ? ert_load_i64(j->lens->dtype, j->lens->data, b) : j->pl->T;
}

/* Task: direction d = t / N, batch row b = t % N, its whole sequence. */
static void seq_task(void *arg, int64_t task, int tid)
{
    const rnn_job *j = arg;
    const rnn_plan *pl = j->pl;
    const ert_rnn_params *p = &pl->p;
    int64_t N = pl->N, T = pl->T, H = j->pk->hid, gh = j->pk->gh, nd = p->nd;
    int d = (int)(task / N);
    int64_t b = task % N;
    float *g = j->scratch + (size_t)tid * pl->s_floats, *tmp = g + gh, *h = tmp + H, *c = h + H;
    int64_t hoff = p->layout ? (b * nd + d) * H : (d * N + b) * H;
    for (int64_t i = 0; i < H; i++) {
        h[i] = j->h0 ? j->h0[hoff + i] : 0.0f;
        c[i] = j->c0 ? j->c0[hoff + i] : 0.0f;
    }
    bool reverse = p->dir == ERT_RNN_DIR_REVERSE || d == 1;
    int64_t L = len_of(j, b);
    for (int64_t st = 0; st < L; st++) {
        int64_t t = reverse ? L - 1 - st : st, row = p->layout ? b * T + t : t * N + b;
        const float *gx = j->g + row * nd * gh + d * gh;
        if (p->cell == ERT_RNN_CELL_LSTM)
            lstm_step(j, d, gx, g, tmp, h, c);
        else if (p->cell == ERT_RNN_CELL_GRU)
            gru_step(j, d, gx, g, tmp, h);
        else
            rnn_step(j, d, gx, g, h);
        if (j->y)
            memcpy(j->y + (p->layout ? (row * nd + d) * H : ((t * nd + d) * N + b) * H), h,
                   sizeof(float) * (size_t)H);
    }
    if (L == 0) /* no valid step: zero final state, as the reference */
        for (int64_t i = 0; i < H; i++)
            h[i] = c[i] = 0.0f;
    if (j->yh)
        memcpy(j->yh + hoff, h, sizeof(float) * (size_t)H);
    if (j->yc)
        memcpy(j->yc + hoff, c, sizeof(float) * (size_t)H);
}

static float *data_of(ert_tensor *t)
{
    return t && t->nbytes ? t->data : NULL;
}

static ert_status run(ert_kctx *k)
{
    const rnn_plan *pl = k->params;
    const rnn_packed *pk = k->packed;
    if (k->ws_bytes < pl->ws_bytes || ert_threadpool_size(k->pool) > pl->threads)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->ws_bytes);
    unsigned char *ws = k->ws;
    bool lstm = pl->p.cell == ERT_RNN_CELL_LSTM;
    rnn_job j = {pl, pk, ert_gemv_of(pk->isa, false), (float *)(ws + pl->g_off),
                 data_of(ert_in(k, ERT_RNN_IN_INITIAL_H)),
                 lstm ? data_of(ert_in(k, ERT_RNN_IN_INITIAL_C)) : NULL,
                 ert_in(k, ERT_RNN_IN_SEQ_LENS), data_of(ert_out(k, 0)), data_of(ert_out(k, 1)),
                 lstm ? data_of(ert_out(k, 2)) : NULL, (float *)(ws + pl->s_off)};
    for (int64_t b = 0; j.lens && b < pl->N; b++) {
        int64_t L = len_of(&j, b);
        if (L < 0 || L > pl->T)
            return ert_op_fail(k, ERT_ERR_RUNTIME, "sequence_lens[%lld] = %lld is outside "
                               "[0, %lld] (seq_length)", (long long)b, (long long)L,
                               (long long)pl->T);
    }
    if (j.y && j.lens)
        memset(j.y, 0, k->out[0]->nbytes); /* steps past a sequence's length stay zero */
    int64_t rows = pl->T * pl->N, cols = pk->nd * pk->gh;
    if (rows > 0 && cols > 0) {
        float *pa = (float *)(ws + pl->a_off);
        ert_sgemm_pack_a(pk->isa, rows, pk->in, k->in[0]->data, pk->in, 1, pa);
        ert_sgemm_b bs = {.packed = pk->wp};
        ert_sgemm_epilogue ep = {.residual = pk->bias, .ldr = 0};
        ert_sgemm_packed(pk->isa, rows, cols, pk->in, pa, &bs, (float *)(ws + pl->g_off), cols,
                         &ep, ws + pl->sg_off, pl->sg_bytes, k->pool);
    }
    ert_parallel_for(k->pool, pl->p.nd * pl->N, seq_task, &j);
    return ERT_OK;
}

/* ---- kernel entries ---- */

#define RNN_KERNEL(ISA, NAME)                                                              \
    static ert_status pack_##NAME(const ert_node *n, const ert_graph *g, void **packed,     \
                                  ert_err *err)                                            \
    {                                                                                      \
        return pack_isa(ISA, n, g, packed, err);                                           \
    }                                                                                      \
    static const ert_kernel k_##NAME = {"rnn." #NAME, ISA, supports, pack_##NAME,          \
                                        free_packed, plan, run};

RNN_KERNEL(ERT_ISA_GENERIC, generic)
#if defined(__x86_64__) || defined(_M_X64)
RNN_KERNEL(ERT_ISA_AVX2, avx2)
RNN_KERNEL(ERT_ISA_AVX512, avx512)
#endif
#if defined(__aarch64__)
RNN_KERNEL(ERT_ISA_NEON, neon)
#endif

const ert_kernel *const ert_rnn_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};
