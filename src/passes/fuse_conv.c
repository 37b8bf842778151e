/*
 * fuse_conv.c - Conv (+ bias) [+ residual Add] [+ activation] -> one FusedConv node
 * (src/ops/fused.c): y = act(conv(X, W) + B + Z). The fast kernels then apply the
 * residual and activation in the GEMM epilogue, while the tile is still in registers,
 * instead of two more passes over the activation.
 *
 * Matched after the Conv output y (float32 only: what the fused kernels implement):
 *   residual  y's only reader is Add(y, z), z of exactly y's shape (not a broadcast);
 *             when z is itself the output of a later Conv that also only feeds this Add,
 *             that Conv takes the Add instead (its residual is then the earlier value)
 *   act       the current value's only reader is Relu, Clip (constant bounds), LeakyRelu,
 *             Sigmoid, HardSigmoid, HardSwish, Gelu, Tanh, Elu, PRelu (constant slope,
 *             per channel or scalar) or Swish(alpha 1); the decomposed SiLU, GELU and
 *             HardSwish of exporters arrive here as one node (fuse_act.c)
 * The fused node takes the place of the pattern's last node (its inputs are all older),
 * keeps the Conv's name, and outputs the last node's value (so shapes and names stay).
 * Candidates that do not fuse are recorded with the reason (ert_pass_notes).
 */
#include <stdio.h>
#include <string.h>

#include "passes/pass_util.h"

#define MAX_PATTERN 8

typedef struct match {
    int conv;                 /* the Conv node */
    int z;                    /* residual value, -1 */
    int nodes[MAX_PATTERN];   /* every node after the Conv in the pattern */
    int n_nodes;
    int last;                 /* the pattern's last node (-1: nothing matched) */
    int out;                  /* its output: the fused node's output */
    const char *act;          /* activation name as FusedConv spells it, NULL: none */
    float params[2];
    int n_params;
    int slope;                /* PRelu slope constant (value), -1 */
    char ops[160];            /* "+Add+Relu": appended to the Conv's fused_ops */
} match;

static void take(match *m, const ert_edit *e, int ni, const char *op_name)
{
    m->nodes[m->n_nodes++] = ni;
    m->last = ni;
    m->out = e->g->nodes[ni].outputs[0];
    if (op_name) {
        size_t len = strlen(m->ops);
        snprintf(m->ops + len, sizeof m->ops - len, "+%s", op_name);
    }
}

/* A single-node activation reading x (node ni); false with *why when it is an
 * activation that cannot be fused (NULL why: not an activation at all). */
static bool unary_act(const ert_edit *e, match *m, int ni, int x, const char **why)
{
    pu_act a;
    if (!pu_act_of(e, ni, x, &a, why))
        return false;
    m->act = a.name;
    m->n_params = a.n_params;
    m->params[0] = a.params[0];
    m->params[1] = a.params[1];
    m->slope = a.slope;
    take(m, e, ni, pu_fused_ops(e, ni)); /* "Sigmoid+Mul" for a Swish from fuse_act */
    return true;
}

/* An activation after value x (the Conv or Add output). */
static void match_act(const ert_edit *e, match *m, int x, ert_pass_notes *notes)
{
    bool out = e->g->values[x].is_output;
    int nu = ert_edit_n_uses(e, x);
    for (int i = 0; i < nu; i++) {
        int ni = ert_edit_uses(e, x)[i].node;
        match probe = *m;
        const char *why = NULL;
        bool is_act = unary_act(e, &probe, ni, x, &why);
        if (!out && nu == 1 && is_act) {
            *m = probe;
            return;
        }
        if (!is_act && !why)
            continue; /* not an activation: no candidate */
        char buf[96];
        if (!why) {
            snprintf(buf, sizeof buf, "%s output has %d consumers%s",
                     m->last >= 0 ? "the Add" : "conv", nu, out ? " and is a graph output" : "");
            why = buf;
        }
        ert_pass_note_skipped(notes, "Conv+activation", "Conv '%s' not fused with %s '%s': %s",
                              pu_nname(e, m->conv), e->g->nodes[ni].op_type, pu_nname(e, ni),
                              why);
        return;
    }
}

/* Residual Add after the Conv output y. */
static void match_residual(const ert_edit *e, match *m, int y, ert_pass_notes *notes)
{
    int ai = ert_edit_sole_consumer(e, y), z;
    if (ai < 0 || !pu_binary_with(e, ai, ERT_OP_ADD, y, &z))
        return;
    int out = e->g->nodes[ai].outputs[0];
    const char *why = NULL;
    if (!pu_same_shape(e, z, y) || !pu_same_shape(e, out, y))
        why = "the other operand does not have exactly the conv output's shape";
    else if (e->g->values[z].t.dtype != e->g->values[y].t.dtype)
        why = "the other operand's dtype differs";
    if (why) {
        ert_pass_note_skipped(notes, "Conv+Add", "Conv '%s' not fused with Add '%s': %s",
                              pu_nname(e, m->conv), pu_nname(e, ai), why);
        return;
    }
    int zp = e->g->values[z].producer;
    if (zp > m->conv && pu_is(e, zp, ERT_OP_CONV) && ert_edit_sole_consumer(e, z) == ai &&
        e->g->values[z].t.dtype == ERT_DTYPE_FLOAT32)
        return; /* the later Conv takes this Add: its residual is then the earlier value */
    m->z = z;
    take(m, e, ai, "Add");
}

/* Why Conv ci cannot be fused at all (NULL: it may be). */
static const char *conv_refusal(const ert_edit *e, int ci)
{
    const ert_node *n = &e->g->nodes[ci];
    int y = n->outputs[0];
    if (e->g->values[y].t.dtype != ERT_DTYPE_FLOAT32)
        return "its dtype is not float32 (the fused kernels are float32)";
    if (n->n_outputs != 1 || n->n_inputs < 2)
        return "unexpected inputs/outputs";
    return NULL;
}

static ert_status build(ert_edit *e, const match *m, ert_err *err)
{
    const ert_node *c = &e->g->nodes[m->conv];
    char ops[256], name[256];
    snprintf(ops, sizeof ops, "%s%s", pu_fused_ops(e, m->conv), m->ops);
    snprintf(name, sizeof name, "%s", c->name);
    int in[5] = {c->inputs[0], c->inputs[1], c->n_inputs > 2 ? c->inputs[2] : -1, m->z, -1};
    if (m->slope >= 0) {
        const ert_tensor *s = pu_const(e, m->slope);
        int64_t ns = ert_tensor_numel(s);
        ert_tensor t = {.dtype = ERT_DTYPE_FLOAT32};
        ert_tensor_set_shape(&t, 1, &ns);
        if (ert_tensor_alloc(&t) != ERT_OK)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        memcpy(t.data, s->data, sizeof(float) * (size_t)ns);
        char sname[300];
        snprintf(sname, sizeof sname, "%s_slope", name);
        if ((in[4] = ert_edit_add_const(e, sname, &t)) < 0)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    }
    int n_in = 5;
    while (n_in > 2 && in[n_in - 1] < 0)
        n_in--;
    int fi = ert_edit_add_node(e, "FusedConv", "edgert", name, n_in, in, 1, &m->out);
    if (fi < 0 || ert_edit_copy_attrs(e, fi, m->conv) != ERT_OK ||
        ert_edit_set_attr_string(e, fi, "fused_ops", ops) != ERT_OK ||
        (m->act && ert_edit_set_attr_string(e, fi, "activation", m->act) != ERT_OK) ||
        (m->n_params && ert_edit_set_attr_floats(e, fi, "activation_params", m->n_params,
                                                 m->params) != ERT_OK))
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    ert_edit_replace_node(e, m->last, fi);
    for (int i = 0; i < m->n_nodes; i++)
        if (m->nodes[i] != m->last)
            ert_edit_remove_node(e, m->nodes[i]);
    ert_edit_remove_node(e, m->conv);
    return ERT_OK;
}

static ert_status fuse_one(ert_edit *e, int ci, ert_pass_notes *notes, ert_err *err)
{
    match m = {.conv = ci, .z = -1, .last = -1, .slope = -1};
    int y = e->g->nodes[ci].outputs[0];
    const char *why = conv_refusal(e, ci);
    if (why) {
        if (ert_edit_n_uses(e, y) > 0)
            ert_pass_note_skipped(notes, "Conv+activation", "Conv '%s' not fused: %s",
                                  pu_nname(e, ci), why);
        return ERT_OK;
    }
    match_residual(e, &m, y, notes);
    match_act(e, &m, m.last >= 0 ? m.out : y, notes);
    if (m.last < 0)
        return ERT_OK;
    char kind[ERT_PASS_KIND_LEN];
    snprintf(kind, sizeof kind, "Conv%s", m.ops);
    ert_status st = build(e, &m, err);
    if (st == ERT_OK)
        ert_pass_note_applied(notes, kind);
    return st;
}

ert_status ert_opt_fuse_conv(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes;
    for (int ci = 0; ci < nn; ci++) {
        if (!pu_is(e, ci, ERT_OP_CONV))
            continue;
        ert_status st = fuse_one(e, ci, notes, err);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}
