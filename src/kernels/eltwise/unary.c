/*
 * unary.c - unary.<isa> kernels (see eltwise.h): the standalone activation ops through
 * src/kernels/act, threaded by chunks (PRelu: by channel planes).
 *
 * Attributes are read with activation.c's defaults (LeakyRelu alpha 0.01, Elu alpha 1,
 * HardSigmoid alpha 0.2 beta 0.5, Swish alpha 1, Clip-6 min/max attributes defaulting
 * to -FLT_MAX/FLT_MAX, Clip-11+ min/max inputs defaulting to -inf/inf); plan() turns
 * them into an ert_act_params once. Declined (the reference runs them): non-float32,
 * Gelu approximate other than none/tanh, Swish alpha != 1, Clip bounds that are not
 * constants, PRelu slopes other than one value or one per channel.
 * The ISA only selects ert_act_f32_copy_<isa> (the vector code lives in act_<isa>.c),
 * which reads X and writes Y in one pass (a copy pass first cost 1.3-1.5x on Relu,
 * Sigmoid, Tanh).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "kernels/act/act_isa.h"
#include "kernels/eltwise/eltwise.h"
#include "runtime/threadpool.h"

#define UN_CHUNK 8192 /* floats per task (32 KiB) */

typedef void (*act_fn)(const ert_act_params *a, const float *src, float *dst, int64_t n,
                       int64_t channel);

typedef struct un_plan {
    ert_act_params act;
    int64_t total;     /* elements */
    int64_t channels;  /* PRelu: C (1: one slope); else 1 */
    int64_t inner;     /* PRelu: elements per channel plane; else total */
} un_plan;

_Static_assert(sizeof(un_plan) <= ERT_STEP_PARAMS_BYTES, "un_plan exceeds the block");

static bool act_of(int id, ert_act *a)
{
    switch (id) {
    case ERT_OP_RELU: *a = ERT_ACT_RELU; return true;
    case ERT_OP_CLIP: *a = ERT_ACT_CLIP; return true;
    case ERT_OP_LEAKY_RELU: *a = ERT_ACT_LEAKY_RELU; return true;
    case ERT_OP_SIGMOID: *a = ERT_ACT_SIGMOID; return true;
    case ERT_OP_HARD_SIGMOID: *a = ERT_ACT_HARD_SIGMOID; return true;
    case ERT_OP_HARD_SWISH: *a = ERT_ACT_HARD_SWISH; return true;
    case ERT_OP_GELU: *a = ERT_ACT_GELU; return true;
    case ERT_OP_TANH: *a = ERT_ACT_TANH; return true;
    case ERT_OP_ELU: *a = ERT_ACT_ELU; return true;
    case ERT_OP_SWISH: *a = ERT_ACT_SILU; return true;
    case ERT_OP_PRELU: *a = ERT_ACT_PRELU; return true;
    default: return false;
    }
}

static const ert_tensor *val(const ert_node *n, const ert_graph *g, int i)
{
    int n_in = n->n_inputs - n->n_captures;
    return i < n_in && n->inputs[i] >= 0 ? &g->values[n->inputs[i]].t : NULL;
}

/* Clip-11+ bound: absent, or a float32 constant scalar. */
static bool clip_bound_ok(const ert_node *n, const ert_graph *g, int i)
{
    const ert_tensor *t = val(n, g, i);
    if (!t)
        return true;
    return g->values[n->inputs[i]].kind == ERT_VALUE_CONST && t->data &&
           t->dtype == ERT_DTYPE_FLOAT32 && ert_tensor_numel(t) == 1;
}

/* Channels of PRelu's slope as a per-channel (axis 1) vector: 1 for one shared slope,
 * C when the slope right-aligned to X is [C, 1, ..., 1] at axis 1 (or the legacy
 * opset < 7 rank-1 [C]); -1 otherwise. */
static int64_t prelu_channels(int version, const ert_tensor *x, const ert_tensor *s)
{
    int64_t n = ert_tensor_numel(s);
    if (n == 1)
        return 1;
    if (x->rank < 2 || s->rank > x->rank || n < 1 || !ERT_DIM_IS_KNOWN(x->dims[1]))
        return -1;
    if (version < 7 && s->rank == 1 && x->rank >= 3)
        return s->dims[0] == x->dims[1] ? n : -1;
    int off = x->rank - s->rank;
    for (int d = 0; d < s->rank; d++) {
        int xd = d + off;
        int64_t want = xd == 1 ? x->dims[1] : 1;
        if (s->dims[d] != want)
            return -1;
    }
    return off <= 1 ? n : -1;
}

static bool supports(const ert_node *n, const ert_graph *g)
{
    ert_act a;
    if (!n->op || !act_of(n->op->id, &a))
        return false;
    const ert_tensor *x = val(n, g, 0);
    if (!x || x->dtype != ERT_DTYPE_FLOAT32 || n->n_outputs < 1 || n->outputs[0] < 0)
        return false;
    switch (n->op->id) {
    case ERT_OP_GELU: {
        const char *ap = ert_attr_string(n, "approximate", "none");
        return strcmp(ap, "none") == 0 || strcmp(ap, "tanh") == 0;
    }
    case ERT_OP_SWISH: return ert_attr_float(n, "alpha", 1.0f) == 1.0f;
    case ERT_OP_CLIP:
        return n->version < 11 || (clip_bound_ok(n, g, 1) && clip_bound_ok(n, g, 2));
    case ERT_OP_PRELU: {
        const ert_tensor *s = val(n, g, 1);
        return s && s->dtype == ERT_DTYPE_FLOAT32 && ert_tensor_shape_known(s) &&
               prelu_channels(n->version, x, s) > 0;
    }
    default: return true;
    }
}

/* The portable level runs only the ops with exp/tanh/erf in them (1.2-4x the reference's
 * libm calls); for the piecewise-linear ones (Relu, Clip, LeakyRelu, HardSigmoid,
 * HardSwish, PRelu) the reference's single float loop was as fast or faster (0.4-1.0x:
 * the copy-then-transform pass costs what the plain loop saves), so it declines them. */
static bool supports_generic(const ert_node *n, const ert_graph *g)
{
    if (!supports(n, g))
        return false;
    switch (n->op->id) {
    case ERT_OP_SIGMOID: case ERT_OP_SWISH: case ERT_OP_TANH: case ERT_OP_GELU: case ERT_OP_ELU:
        return true;
    default: return false;
    }
}

/* The op's attributes/inputs as act params (activation.c's defaults). */
static void read_act(ert_kctx *k, ert_act_params *p)
{
    const ert_node *nd = k->node;
    memset(p, 0, sizeof *p);
    act_of(nd->op->id, &p->kind);
    switch (nd->op->id) {
    case ERT_OP_LEAKY_RELU: p->alpha = ert_attr_float(nd, "alpha", 0.01f); break;
    case ERT_OP_ELU: p->alpha = ert_attr_float(nd, "alpha", 1.0f); break;
    case ERT_OP_HARD_SIGMOID:
        p->alpha = ert_attr_float(nd, "alpha", 0.2f);
        p->beta = ert_attr_float(nd, "beta", 0.5f);
        break;
    case ERT_OP_GELU:
        if (strcmp(ert_attr_string(nd, "approximate", "none"), "tanh") == 0)
            p->kind = ERT_ACT_GELU_TANH;
        break;
    case ERT_OP_CLIP:
        if (k->version < 11) {
            p->alpha = ert_attr_float(nd, "min", -FLT_MAX);
            p->beta = ert_attr_float(nd, "max", FLT_MAX);
        } else {
            const ert_tensor *lo = ert_in(k, 1), *hi = ert_in(k, 2);
            p->alpha = lo ? ((const float *)lo->data)[0] : -INFINITY;
            p->beta = hi ? ((const float *)hi->data)[0] : INFINITY;
        }
        break;
    default: break;
    }
}

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    un_plan *pl = k->params;
    const ert_tensor *x = k->in[0];
    memset(pl, 0, sizeof *pl);
    read_act(k, &pl->act);
    pl->total = ert_tensor_numel(x);
    pl->channels = 1;
    pl->inner = pl->total;
    if (pl->act.kind == ERT_ACT_PRELU) {
        int64_t c = prelu_channels(k->version, x, k->in[1]);
        if (c < 1)
            return ert_op_fail(k, ERT_ERR_INTERNAL, "slope is not per channel");
        pl->act.n_slope = c;
        if (c > 1) {
            pl->channels = c;
            pl->inner = x->dims[0] > 0 ? pl->total / (x->dims[0] * c) : 0;
        }
    }
    *ws_bytes = 0;
    return ERT_OK;
}

typedef struct un_task {
    const un_plan *pl;
    ert_act_params act; /* with the slope pointer of this run */
    act_fn fn;
    const float *x;
    float *y;
} un_task;

static void chunk_task(void *arg, int64_t t, int tid)
{
    const un_task *c = arg;
    int64_t i0 = t * UN_CHUNK, n = c->pl->total - i0 < UN_CHUNK ? c->pl->total - i0 : UN_CHUNK;
    (void)tid;
    c->fn(&c->act, c->x + i0, c->y + i0, n, 0);
}

/* One (image, channel) plane of a per-channel PRelu. */
static void plane_task(void *arg, int64_t t, int tid)
{
    const un_task *c = arg;
    int64_t inner = c->pl->inner, i0 = t * inner;
    (void)tid;
    c->fn(&c->act, c->x + i0, c->y + i0, inner, t % c->pl->channels);
}

static ert_status run_isa(ert_kctx *k, act_fn fn)
{
    const un_plan *pl = k->params;
    un_task c = {pl, pl->act, fn, k->in[0]->data, k->out[0]->data};
    if (pl->total <= 0)
        return ERT_OK;
    if (pl->act.kind == ERT_ACT_PRELU)
        c.act.slope = k->in[1]->data;
    if (pl->channels > 1)
        ert_parallel_for(k->pool, pl->total / pl->inner, plane_task, &c);
    else
        ert_parallel_for(k->pool, (pl->total + UN_CHUNK - 1) / UN_CHUNK, chunk_task, &c);
    return ERT_OK;
}

static ert_status run_ref(ert_kctx *k) { return run_isa(k, ert_act_f32_copy_ref); }
#if defined(__x86_64__) || defined(_M_X64)
static ert_status run_avx2(ert_kctx *k) { return run_isa(k, ert_act_f32_copy_avx2); }
static ert_status run_avx512(ert_kctx *k) { return run_isa(k, ert_act_f32_copy_avx512); }
static const ert_kernel k_avx512 = {"unary.avx512", ERT_ISA_AVX512, supports, NULL, NULL,
                                    plan, run_avx512};
static const ert_kernel k_avx2 = {"unary.avx2", ERT_ISA_AVX2, supports, NULL, NULL, plan,
                                  run_avx2};
#endif
#if defined(__aarch64__)
static ert_status run_neon(ert_kctx *k) { return run_isa(k, ert_act_f32_copy_neon); }
static const ert_kernel k_neon = {"unary.neon", ERT_ISA_NEON, supports, NULL, NULL, plan,
                                  run_neon};
#endif
static const ert_kernel k_generic = {"unary.generic", ERT_ISA_GENERIC, supports_generic, NULL,
                                     NULL, plan, run_ref};

const ert_kernel *const ert_unary_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};
