/*
 * fused.c - internal ops that the graph optimizer (src/passes/) creates; domain
 * "edgert", never written by exporters (a model may still import them: tests do).
 *
 * FusedConv (version 1): y = act(conv(X, W) + B + Z).
 *   inputs     X, W, B (optional bias [M]), Z (optional residual, exactly Y's shape,
 *              added before the activation), S (optional PRelu slope, [M] or [1])
 *   attributes Conv's (auto_pad, dilations, group, kernel_shape, pads, strides);
 *              activation: "Relu", "Clip", "LeakyRelu", "Sigmoid", "Silu",
 *              "HardSigmoid", "HardSwish", "Gelu", "GeluTanh", "Tanh", "Elu", "PRelu"
 *              (spelled as ert_act_name; absent: none); activation_params: floats
 *              [alpha, beta] (Clip min, max; LeakyRelu / Elu alpha; HardSigmoid alpha,
 *              beta); fused_ops: "Conv+BatchNormalization+Add+Relu" (profiles, inspect).
 *
 * FusedGemm (version 1): y = act(Gemm(A, B, C)).
 *   inputs and attributes Gemm's (alpha, beta, transA, transB), plus activation (as
 *              FusedConv's, PRelu excepted: it has no S input), activation_params,
 *              fused_ops ("MatMul+Add+Gelu(erf)"). Made by passes/fuse_gemm.c.
 *
 * The reference kernel is the oracle of the fast fused kernels: it runs conv.c's Conv
 * kernel on (X, W, B) through a narrowed kernel context (no copy of the conv code), then
 * adds Z and applies the activation with plain double-precision formulas. It must not
 * call src/kernels/act (the vectorised code it is compared against), which is also why
 * it parses the activation name from its own table instead of ert_act_parse.
 */
#include <math.h>
#include <string.h>

#include "kernels/act/act.h"
#include "ops/conv_geom.h"
#include "ops/fused.h"
#include "ops/op.h"

enum { FC_X = ERT_FC_X, FC_W = ERT_FC_W, FC_B = ERT_FC_B, FC_Z = ERT_FC_Z, FC_S = ERT_FC_S,
       FC_MAX_IN };

static const struct {
    const char *name;
    ert_act act;
} k_acts[] = {
    {"Relu", ERT_ACT_RELU},          {"Clip", ERT_ACT_CLIP},
    {"LeakyRelu", ERT_ACT_LEAKY_RELU}, {"Sigmoid", ERT_ACT_SIGMOID},
    {"Silu", ERT_ACT_SILU},          {"HardSigmoid", ERT_ACT_HARD_SIGMOID},
    {"HardSwish", ERT_ACT_HARD_SWISH}, {"Gelu", ERT_ACT_GELU},
    {"GeluTanh", ERT_ACT_GELU_TANH}, {"Tanh", ERT_ACT_TANH},
    {"Elu", ERT_ACT_ELU},            {"PRelu", ERT_ACT_PRELU},
};

/* Defaults of activation_params where the attribute is absent: the ONNX ops' defaults
 * (LeakyRelu 0.01, Elu 1, HardSigmoid 0.2/0.5; Clip unbounded). */
static void act_defaults(ert_act a, float *alpha, float *beta)
{
    *alpha = 0.0f;
    *beta = 0.0f;
    switch (a) {
    case ERT_ACT_CLIP: *alpha = -INFINITY; *beta = INFINITY; break;
    case ERT_ACT_LEAKY_RELU: *alpha = 0.01f; break;
    case ERT_ACT_ELU: *alpha = 1.0f; break;
    case ERT_ACT_HARD_SIGMOID: *alpha = 0.2f; *beta = 0.5f; break;
    default: break;
    }
}

/* How many activation_params an activation takes (more are refused). */
static int act_nparams(ert_act a)
{
    switch (a) {
    case ERT_ACT_CLIP: case ERT_ACT_HARD_SIGMOID: return 2;
    case ERT_ACT_LEAKY_RELU: case ERT_ACT_ELU: return 1;
    default: return 0;
    }
}

ert_status ert_fused_conv_act(ert_kctx *k, ert_act_params *p)
{
    memset(p, 0, sizeof *p);
    const char *name = ert_attr_string(k->node, "activation", "");
    p->kind = ERT_ACT_NONE;
    if (name[0]) {
        size_t i = 0;
        while (i < sizeof k_acts / sizeof k_acts[0] && strcmp(k_acts[i].name, name))
            i++;
        if (i == sizeof k_acts / sizeof k_acts[0])
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "activation '%s' is unknown", name);
        p->kind = k_acts[i].act;
    }
    act_defaults(p->kind, &p->alpha, &p->beta);
    const float *f;
    int64_t nf = ert_attr_floats(k->node, "activation_params", &f);
    if (nf > act_nparams(p->kind))
        return ert_op_fail(k, ERT_ERR_PARSE, "activation '%s' takes %d activation_params, got "
                           "%lld", name, act_nparams(p->kind), (long long)nf);
    if (nf >= 1)
        p->alpha = f[0];
    if (nf >= 2)
        p->beta = f[1];
    const ert_tensor *s = ert_in(k, FC_S);
    if ((p->kind == ERT_ACT_PRELU) != (s != NULL))
        return ert_op_fail(k, ERT_ERR_PARSE, "input S (slope) is given exactly when activation "
                           "is PRelu (activation '%s', S %s)", name, s ? "present" : "absent");
    if (s) {
        p->n_slope = ert_tensor_numel(s);
        p->slope = s->dtype == ERT_DTYPE_FLOAT32 ? s->data : NULL;
    }
    return ERT_OK;
}

/* The Conv part: the same kernel context narrowed to (X, W, B) and output Y. Conv's
 * code reads only its own attributes, so the fused node's extra ones are ignored. */
static ert_status with_conv_ctx(ert_kctx *k, ert_status (*fn)(ert_kctx *))
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS] = {k->in[FC_X], k->in[FC_W], ert_in(k, FC_B)};
    ert_kctx c = *k;
    c.in = in;
    c.n_in = 3;
    c.n_out = 1;
    return fn(&c);
}

/* Z must have Y's exact shape (no broadcasting: the fast kernels read it as Y). */
static ert_status check_residual(ert_kctx *k, const ert_tensor *y)
{
    const ert_tensor *z = ert_in(k, FC_Z);
    if (!z)
        return ERT_OK;
    if (z->dtype != y->dtype && z->dtype != ERT_DTYPE_UNDEFINED && y->dtype != ERT_DTYPE_UNDEFINED)
        return ert_op_fail(k, ERT_ERR_SHAPE, "Z dtype %s differs from Y dtype %s",
                           ert_dtype_name(z->dtype), ert_dtype_name(y->dtype));
    if (z->rank < 0 || y->rank < 0)
        return ERT_OK;
    bool same = z->rank == y->rank;
    for (int i = 0; same && i < y->rank; i++)
        if (ERT_DIM_IS_KNOWN(z->dims[i]) && ERT_DIM_IS_KNOWN(y->dims[i]))
            same = z->dims[i] == y->dims[i];
    if (!same)
        return ert_op_fail(k, ERT_ERR_SHAPE, "Z must have exactly the shape of Y");
    return ERT_OK;
}

static ert_status check_slope(ert_kctx *k, const ert_tensor *y)
{
    const ert_tensor *s = ert_in(k, FC_S);
    if (!s || s->rank < 0)
        return ERT_OK;
    int64_t n = ert_tensor_numel(s), m = y->rank >= 2 ? y->dims[1] : ERT_DIM_UNKNOWN;
    if (n >= 0 && n != 1 && (m < 0 || n != m))
        return ert_op_fail(k, ERT_ERR_SHAPE, "S (PRelu slope) has %lld values; expected 1 or "
                           "one per output channel", (long long)n);
    return ERT_OK;
}

ert_status ert_infer_fused_conv(ert_kctx *k)
{
    ert_status st;
    ert_act_params p;
    if ((st = ert_check_inputs(k, 2, FC_MAX_IN)) || (st = with_conv_ctx(k, ert_infer_conv)) ||
        (st = ert_fused_conv_act(k, &p)))
        return st;
    if ((st = check_residual(k, k->out[0])) || (st = check_slope(k, k->out[0])))
        return st;
    return ERT_OK;
}

/* The activation in double precision: plain formulas, the reference for act.c. */
static double act_ref(const ert_act_params *p, double v, double slope)
{
    switch (p->kind) {
    case ERT_ACT_NONE: return v;
    case ERT_ACT_RELU: return v < 0.0 ? 0.0 : v;
    case ERT_ACT_CLIP: return v < p->alpha ? p->alpha : v > p->beta ? p->beta : v;
    case ERT_ACT_LEAKY_RELU: return v < 0.0 ? p->alpha * v : v;
    case ERT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-v));
    case ERT_ACT_SILU: return v / (1.0 + exp(-v));
    case ERT_ACT_HARD_SIGMOID: return fmax(0.0, fmin(1.0, p->alpha * v + p->beta));
    case ERT_ACT_HARD_SWISH: return v * fmax(0.0, fmin(1.0, v / 6.0 + 0.5));
    case ERT_ACT_GELU: return 0.5 * v * (1.0 + erf(v / sqrt(2.0)));
    case ERT_ACT_GELU_TANH: {
        double c = sqrt(2.0 / M_PI);
        return 0.5 * v * (1.0 + tanh(c * (v + 0.044715 * v * v * v)));
    }
    case ERT_ACT_TANH: return tanh(v);
    case ERT_ACT_ELU: return v < 0.0 ? p->alpha * (exp(v) - 1.0) : v;
    case ERT_ACT_PRELU: return v < 0.0 ? slope * v : v;
    default: return v;
    }
}

ert_status ert_run_fused_conv(ert_kctx *k)
{
    ert_status st;
    ert_act_params p;
    if ((st = ert_fused_conv_act(k, &p)) || (st = check_residual(k, k->out[0])) ||
        (st = check_slope(k, k->out[0])) || (st = with_conv_ctx(k, ert_run_conv)))
        return st;
    ert_tensor *y = k->out[0];
    const ert_tensor *z = ert_in(k, FC_Z), *s = ert_in(k, FC_S);
    if (z && ert_tensor_numel(z) != ert_tensor_numel(y))
        return ert_op_fail(k, ERT_ERR_SHAPE, "Z must have exactly the shape of Y");
    int64_t n = ert_tensor_numel(y), m = y->dims[1];
    if ((p.kind == ERT_ACT_NONE && !z) || n <= 0)
        return ERT_OK;
    int64_t plane = n / (y->dims[0] * m); /* n > 0: both factors are positive */
    int64_t ns = s ? ert_tensor_numel(s) : 0;
    for (int64_t i = 0; i < n; i++) {
        double v = ert_load_f64(y->dtype, y->data, i);
        if (z)
            v += ert_load_f64(z->dtype, z->data, i);
        double slope = 0.0;
        if (ns > 0)
            slope = ert_load_f64(s->dtype, s->data, ns == 1 ? 0 : (i / plane) % m);
        ert_store_f64(y->dtype, y->data, i, act_ref(&p, v, slope));
    }
    return ERT_OK;
}

/* ---- FusedGemm: y = act(Gemm(A, B, C)) ---- */

/* The Gemm part: the same context with the node's op taken as Gemm's (Gemm reads only
 * alpha, beta, transA, transB; the activation attributes are the fused node's). */
static ert_status with_gemm_ctx(ert_kctx *k, ert_status (*fn)(ert_kctx *))
{
    ert_node n = *k->node;
    n.op = ert_op_find("", "Gemm");
    n.version = 13;
    ert_kctx c = *k;
    c.node = &n;
    c.version = n.version;
    return n.op ? fn(&c) : ert_op_fail(k, ERT_ERR_INTERNAL, "Gemm is not registered");
}

ert_status ert_infer_fused_gemm(ert_kctx *k)
{
    ert_status st;
    ert_act_params p;
    if ((st = ert_check_inputs(k, 2, 3)) || (st = ert_fused_conv_act(k, &p)) ||
        (st = with_gemm_ctx(k, ert_infer_gemm)))
        return st;
    return ERT_OK;
}

ert_status ert_run_fused_gemm(ert_kctx *k)
{
    ert_status st;
    ert_act_params p;
    if ((st = ert_fused_conv_act(k, &p)) || (st = with_gemm_ctx(k, ert_run_gemm)))
        return st;
    ert_tensor *y = k->out[0];
    int64_t n = ert_tensor_numel(y);
    for (int64_t i = 0; p.kind != ERT_ACT_NONE && i < n; i++)
        ert_store_f64(y->dtype, y->data, i, act_ref(&p, ert_load_f64(y->dtype, y->data, i), 0.0));
    return ERT_OK;
}

bool conv_f32_const_w(const ert_node *n, const ert_graph *g, int w_rank)
{
    if (!n->op || (n->op->id != ERT_OP_CONV && n->op->id != ERT_OP_FUSED_CONV))
        return false;
    int n_in = n->n_inputs - n->n_captures;
    if (n_in < 2 || n->inputs[0] < 0 || n->inputs[1] < 0)
        return false;
    for (int i = 0; i < n_in; i++)
        if (n->inputs[i] >= 0 && g->values[n->inputs[i]].t.dtype != ERT_DTYPE_FLOAT32)
            return false;
    const ert_value *w = &g->values[n->inputs[1]];
    return w->kind == ERT_VALUE_CONST && w->t.data && ert_tensor_shape_known(&w->t) &&
           (w_rank == 0 || w->t.rank == w_rank);
}

bool conv_geom_at_load(const ert_node *n, const ert_graph *g, bool transpose, conv_geom *geo,
                       ert_act_params *act)
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS] = {0};
    ert_tensor y = {0}, *out[ERT_KCTX_MIN_SLOTS] = {&y};
    int n_in = n->n_inputs - n->n_captures;
    for (int i = 0; i < n_in && i < ERT_KCTX_MIN_SLOTS; i++)
        in[i] = n->inputs[i] >= 0 ? (ert_tensor *)&g->values[n->inputs[i]].t : NULL;
    ert_err err;
    ert_kctx k = {.node = n, .version = n->version, .n_in = n_in < 3 ? n_in : 3, .in = in,
                  .n_out = 1, .out = out, .shapes_only = true, .err = &err};
    if (n_in < 2 || !in[0] || !in[1] || conv_infer_common(&k, geo, transpose))
        return false; /* X, W, B only: FusedConv's Z and S are not Conv's business */
    k.n_in = n_in;
    ert_act_params none;
    if (!act)
        act = &none;
    memset(act, 0, sizeof *act);
    return n->op->id != ERT_OP_FUSED_CONV || ert_fused_conv_act(&k, act) == ERT_OK;
}
