/*
 * pass_util.c - small pattern-matching helpers shared by the optimizer passes.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes/pass_util.h"

bool pu_is(const ert_edit *e, int ni, int op)
{
    const ert_node *n = &e->g->nodes[ni];
    return !n->dead && n->op && n->op->id == op;
}

const ert_tensor *pu_const(const ert_edit *e, int v)
{
    if (v < 0)
        return NULL;
    const ert_value *val = &e->g->values[v];
    if (val->kind != ERT_VALUE_CONST || !val->t.data || !ert_tensor_is_dense(&val->t))
        return NULL;
    return &val->t;
}

const char *pu_vname(const ert_edit *e, int v)
{
    return v >= 0 ? e->g->values[v].name : "";
}

const char *pu_nname(const ert_edit *e, int ni)
{
    return e->g->nodes[ni].name;
}

bool pu_same_shape(const ert_edit *e, int v, int w)
{
    /* equal dims, where a symbolic dim equals only the same symbol (one symbol names one
     * size model-wide) and an unknown dim equals nothing */
    const ert_tensor *a = &e->g->values[v].t, *b = &e->g->values[w].t;
    if (a->rank < 0 || a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] == ERT_DIM_UNKNOWN || a->dims[i] != b->dims[i])
            return false;
    return true;
}

int pu_other_input(const ert_edit *e, int ni, int v)
{
    const ert_node *n = &e->g->nodes[ni];
    if (n->n_inputs != 2)
        return -1;
    if (n->inputs[0] == v && n->inputs[1] != v)
        return n->inputs[1];
    if (n->inputs[1] == v && n->inputs[0] != v)
        return n->inputs[0];
    return -1;
}

bool pu_scalar(const ert_edit *e, int v, double *out)
{
    const ert_tensor *t = pu_const(e, v);
    if (!t || ert_tensor_numel(t) != 1 || t->dtype == ERT_DTYPE_BOOL)
        return false;
    *out = ert_tensor_get_f64(t, 0);
    return true;
}

int pu_new_const(ert_edit *e, const char *name, ert_dtype dtype, int rank, const int64_t *dims,
                 const double *vals)
{
    ert_tensor t = {.dtype = dtype, .kind = ERT_TENSOR_DENSE};
    ert_tensor_set_shape(&t, rank, dims);
    if (ert_tensor_alloc(&t) != ERT_OK)
        return -1;
    int64_t n = ert_tensor_numel(&t);
    for (int64_t i = 0; i < n; i++)
        ert_store_f64(dtype, t.data, i, vals[i]);
    return ert_edit_add_const(e, name, &t);
}

const char *pu_fused_ops(const ert_edit *e, int ni)
{
    const ert_node *n = &e->g->nodes[ni];
    return ert_attr_string(n, "fused_ops", n->op_type);
}

bool pu_near(double v, double want)
{
    return fabs(v - want) <= 1e-3 * fabs(want);
}

bool pu_binary_with(const ert_edit *e, int ni, int op, int x, int *other)
{
    if (ni < 0 || !pu_is(e, ni, op) || e->g->nodes[ni].version < 7)
        return false;
    *other = pu_other_input(e, ni, x);
    return *other >= 0;
}

bool pu_scaled_by(const ert_edit *e, int ni, int op, int x, double want)
{
    int c;
    double v;
    if (!pu_binary_with(e, ni, op, x, &c) || !pu_scalar(e, c, &v) || !pu_near(v, want))
        return false;
    return op != ERT_OP_DIV || e->g->nodes[ni].inputs[0] == x;
}

bool pu_clip_bounds(const ert_edit *e, const ert_node *n, float *lo, float *hi)
{
    *lo = -FLT_MAX;
    *hi = FLT_MAX;
    if (n->version < 11) {
        *lo = ert_attr_float(n, "min", -FLT_MAX);
        *hi = ert_attr_float(n, "max", FLT_MAX);
        return true;
    }
    double v;
    for (int i = 1; i < 3 && i < n->n_inputs; i++) {
        if (n->inputs[i] < 0)
            continue;
        if (!pu_scalar(e, n->inputs[i], &v))
            return false;
        *(i == 1 ? lo : hi) = (float)v;
    }
    return true;
}
/* PRelu's slope is one value, or one per channel of x (right-aligned against x's
 * shape, non-1 only on the channel axis; PRelu before opset 7: a 1-D slope of the
 * channel count, no broadcasting). */
static bool slope_per_channel(const ert_edit *e, const ert_node *n, int x)
{
    const ert_tensor *s = pu_const(e, n->inputs[1]), *xt = &e->g->values[x].t;
    if (!s || s->dtype != ERT_DTYPE_FLOAT32 || xt->rank < 3)
        return false;
    int64_t ns = ert_tensor_numel(s), m = xt->dims[1];
    if (ns == 1)
        return true;
    if (ns != m)
        return false;
    if (n->version < 7)
        return s->rank == 1;
    int ch = s->rank - (xt->rank - 1);
    for (int i = 0; i < s->rank; i++)
        if (s->dims[i] != 1 && i != ch)
            return false;
    return ch >= 0 && s->rank <= xt->rank;
}

bool pu_act_of(const ert_edit *e, int ni, int x, pu_act *m, const char **why)
{
    const ert_node *n = &e->g->nodes[ni];
    *m = (pu_act){.slope = -1};
    if (n->dead || !n->op || n->inputs[0] != x)
        return false;
    const char *a = NULL;
    switch (n->op->id) {
    case ERT_OP_RELU: a = "Relu"; break;
    case ERT_OP_SIGMOID: a = "Sigmoid"; break;
    case ERT_OP_HARD_SWISH: a = "HardSwish"; break;
    case ERT_OP_TANH: a = "Tanh"; break;
    case ERT_OP_LEAKY_RELU:
        a = "LeakyRelu";
        m->params[m->n_params++] = ert_attr_float(n, "alpha", 0.01f);
        break;
    case ERT_OP_ELU:
        a = "Elu";
        m->params[m->n_params++] = ert_attr_float(n, "alpha", 1.0f);
        break;
    case ERT_OP_HARD_SIGMOID:
        a = "HardSigmoid";
        m->params[m->n_params++] = ert_attr_float(n, "alpha", 0.2f);
        m->params[m->n_params++] = ert_attr_float(n, "beta", 0.5f);
        break;
    case ERT_OP_GELU:
        a = strcmp(ert_attr_string(n, "approximate", "none"), "tanh") ? "Gelu" : "GeluTanh";
        break;
    case ERT_OP_SWISH:
        if (ert_attr_float(n, "alpha", 1.0f) != 1.0f) {
            *why = "Swish alpha is not 1";
            return false;
        }
        a = "Silu";
        break;
    case ERT_OP_CLIP:
        if (!pu_clip_bounds(e, n, &m->params[0], &m->params[1])) {
            *why = "its bounds are not constants";
            return false;
        }
        m->n_params = 2;
        a = "Clip";
        break;
    case ERT_OP_PRELU:
        if (!slope_per_channel(e, n, x)) {
            *why = "its slope is not a float32 constant per channel";
            return false;
        }
        m->slope = n->inputs[1];
        a = "PRelu";
        break;
    default:
        return false;
    }
    m->name = a;
    return true;
}

