/*
 * fuse_layernorm.c - LayerNormalization written out in primitive ops, as PyTorch (before
 * opset 17) and Paddle (paddle2onnx) export it, back into one LayerNormalization node:
 *
 *   m = ReduceMean(X, axes = trailing K axes, keepdims 1)
 *   d = Sub(X, m)
 *   v = ReduceMean(Pow(d, 2) | Mul(d, d), same axes)
 *   s = Sqrt(Add(v, eps))                       eps: a scalar constant
 *   n = Div(d, s) | Mul(d, Reciprocal(s))
 *   y = Add(Mul(n, gamma), beta)                both optional, either operand order
 *
 * -> y = LayerNormalization(X, gamma, beta, axis = rank - K, epsilon = eps). One kernel
 * (two passes over each row) instead of nine ops and their eight intermediates
 * (PP-OCRv4 rec has five of these). Taken only when every intermediate feeds just the
 * next op of the pattern (d: the variance branch and the Div) and is not a graph
 * output, X's rank is known, the two ReduceMeans reduce the same trailing axes
 * (attribute before opset 18, constant input from 18), and gamma / beta are constants
 * of X's float dtype that vary only along the normalised axes (the Mul / Add output
 * then has X's shape). Missing gamma becomes a constant of ones, and gamma / beta with
 * leading 1s beyond the normalised rank are re-shaped to it.
 * Graphs below opset 17 get the node at version 17 (LayerNormalization's first): the
 * engine resolves ops per node, so a node newer than the model's opset import is fine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes/pass_util.h"

#define KIND "LayerNormalization(decomposed)"
#define LN_OPSET 17

/* The pattern's nodes (-1: absent) and values. */
typedef struct ln_match {
    int mean1, sub, sq, mean2, add_eps, sqrt, recip, div, mul_g, add_b;
    int x, d, gamma, beta, out; /* values */
    int axis, k;                /* first normalised axis, count */
    double eps;
} ln_match;

/* The one node reading v (and v not a graph output), of op `op`; else -1. */
static int next_is(const ert_edit *e, int v, int op)
{
    int ni = ert_edit_sole_consumer(e, v);
    return ni >= 0 && pu_is(e, ni, op) ? ni : -1;
}

/* Normalised, sorted axes of ReduceMean node ni; false: not readable / not trailing. */
static bool trailing_axes(const ert_edit *e, int ni, int rank, int *first, int *k)
{
    const ert_node *n = &e->g->nodes[ni];
    if (ert_attr_int(n, "keepdims", 1) != 1)
        return false;
    int64_t ax[ERT_MAX_RANK];
    int64_t na;
    if (n->version >= 18) {
        const ert_tensor *t = n->n_inputs > 1 ? pu_const(e, n->inputs[1]) : NULL;
        if (!t || (t->dtype != ERT_DTYPE_INT64 && t->dtype != ERT_DTYPE_INT32))
            return false;
        na = ert_tensor_numel(t);
        if (na < 1 || na > rank)
            return false;
        for (int64_t i = 0; i < na; i++)
            ax[i] = (int64_t)ert_tensor_get_f64(t, i);
    } else {
        const int64_t *v;
        na = ert_attr_ints(n, "axes", &v);
        if (na < 1 || na > rank)
            return false;
        memcpy(ax, v, sizeof(int64_t) * (size_t)na);
    }
    bool seen[ERT_MAX_RANK] = {false};
    for (int64_t i = 0; i < na; i++) {
        int64_t a = ax[i] < 0 ? ax[i] + rank : ax[i];
        if (a < 0 || a >= rank || seen[a])
            return false;
        seen[a] = true;
    }
    for (int a = rank - (int)na; a < rank; a++)
        if (!seen[a])
            return false;
    *first = rank - (int)na;
    *k = (int)na;
    return true;
}

/* Why constant p (value pv) cannot be LayerNormalization's scale / bias for m (NULL:
 * it can). */
static const char *param_refusal(const ert_edit *e, const ln_match *m, int pv)
{
    const ert_tensor *p = pu_const(e, pv), *x = &e->g->values[m->x].t;
    if (!p)
        return "gamma / beta is not a constant";
    if (p->dtype != x->dtype)
        return "gamma / beta has another dtype than X";
    if (p->rank > x->rank)
        return "gamma / beta has a higher rank than X";
    for (int i = 0; i < p->rank; i++) {
        int xa = x->rank - p->rank + i;
        int64_t pd = p->dims[i];
        if (pd == 1)
            continue;
        if (xa < m->axis)
            return "gamma / beta varies along a non-normalised axis";
        if (pd != x->dims[xa])
            return "gamma / beta does not match X's normalised dims";
    }
    return NULL;
}

/* Matches the pattern from ReduceMean node ri. Returns NULL and fills m when it is
 * there; otherwise the reason (or "" when ri does not start one at all). */
static const char *match(const ert_edit *e, int ri, ln_match *m)
{
    const ert_graph *g = e->g;
    memset(m, -1, sizeof *m);
    const ert_node *r1 = &g->nodes[ri];
    m->mean1 = ri;
    m->x = r1->inputs[0];
    int mv = r1->outputs[0];
    const ert_tensor *x = &g->values[m->x].t;
    /* the start: ReduceMean(X) -> Sub(X, mean) */
    m->sub = next_is(e, mv, ERT_OP_SUB);
    if (m->sub < 0 || g->nodes[m->sub].inputs[0] != m->x || g->nodes[m->sub].inputs[1] != mv)
        return "";
    if (x->rank < 1 || !ert_dtype_is_float(x->dtype))
        return "X's rank or dtype is not known to be float";
    if (!trailing_axes(e, ri, x->rank, &m->axis, &m->k))
        return "the ReduceMean does not reduce trailing axes with keepdims";
    m->d = g->nodes[m->sub].outputs[0];
    /* d's readers: Pow(d, 2) or Mul(d, d), and Div(d, .) or Mul(d, Reciprocal) */
    int nu = ert_edit_n_uses(e, m->d);
    if (g->values[m->d].is_output)
        return "X - mean is a graph output";
    const ert_use *u = ert_edit_uses(e, m->d);
    int tail = -1;
    for (int i = 0; i < nu; i++) {
        int ni = u[i].node;
        const ert_node *n = &g->nodes[ni];
        double two;
        if (pu_is(e, ni, ERT_OP_POW) && u[i].slot == 0 && pu_scalar(e, n->inputs[1], &two) &&
            two == 2.0 && m->sq < 0)
            m->sq = ni;
        else if (pu_is(e, ni, ERT_OP_MUL) && n->inputs[0] == m->d && n->inputs[1] == m->d &&
                 (m->sq < 0 || m->sq == ni))
            m->sq = ni;
        else if (tail < 0 || tail == ni)
            tail = ni;
        else
            return "X - mean has other consumers";
    }
    if (m->sq < 0 || tail < 0)
        return "no (X - mean)^2 and normalisation branches";
    int sq_uses = pu_is(e, m->sq, ERT_OP_MUL) ? 2 : 1;
    if (nu != sq_uses + 1)
        return "X - mean has other consumers";
    m->mean2 = next_is(e, g->nodes[m->sq].outputs[0], ERT_OP_REDUCE_MEAN);
    int a2, k2;
    if (m->mean2 < 0)
        return "the square does not feed only a ReduceMean";
    if (!trailing_axes(e, m->mean2, x->rank, &a2, &k2) || a2 != m->axis)
        return "the two ReduceMeans reduce different axes";
    m->add_eps = next_is(e, g->nodes[m->mean2].outputs[0], ERT_OP_ADD);
    if (m->add_eps < 0)
        return "the variance does not feed only an Add";
    int ev = pu_other_input(e, m->add_eps, g->nodes[m->mean2].outputs[0]);
    if (!pu_scalar(e, ev, &m->eps))
        return "epsilon is not a scalar constant";
    m->sqrt = next_is(e, g->nodes[m->add_eps].outputs[0], ERT_OP_SQRT);
    if (m->sqrt < 0)
        return "variance + epsilon does not feed only a Sqrt";
    int sv = g->nodes[m->sqrt].outputs[0];
    const ert_node *t = &g->nodes[tail];
    if (pu_is(e, tail, ERT_OP_DIV)) {
        if (t->inputs[0] != m->d || t->inputs[1] != sv || ert_edit_sole_consumer(e, sv) != tail)
            return "the Div is not (X - mean) / sqrt(variance + epsilon)";
    } else if (pu_is(e, tail, ERT_OP_MUL)) {
        m->recip = next_is(e, sv, ERT_OP_RECIPROCAL);
        if (m->recip < 0 || pu_other_input(e, tail, m->d) != g->nodes[m->recip].outputs[0] ||
            ert_edit_sole_consumer(e, g->nodes[m->recip].outputs[0]) != tail)
            return "the Mul is not (X - mean) * Reciprocal(sqrt(variance + epsilon))";
    } else {
        return "X - mean is not divided by the deviation";
    }
    m->div = tail;
    int bin[] = {m->sub, m->sq, m->add_eps, m->div};
    for (size_t i = 0; i < sizeof bin / sizeof bin[0]; i++)
        if (g->nodes[bin[i]].version < 7)
            return "a binary op before opset 7 (legacy broadcast attributes)";
    int cur = t->outputs[0];
    m->out = cur;
    /* optional affine: Mul(gamma), then Add(beta); either alone */
    int ni = next_is(e, cur, ERT_OP_MUL);
    if (ni >= 0 && g->nodes[ni].version >= 7 && pu_const(e, pu_other_input(e, ni, cur)) &&
        !param_refusal(e, m, pu_other_input(e, ni, cur))) {
        m->mul_g = ni;
        m->gamma = pu_other_input(e, ni, cur);
        cur = m->out = g->nodes[ni].outputs[0];
    }
    ni = next_is(e, cur, ERT_OP_ADD);
    if (ni >= 0 && g->nodes[ni].version >= 7 && pu_const(e, pu_other_input(e, ni, cur)) &&
        !param_refusal(e, m, pu_other_input(e, ni, cur))) {
        m->add_b = ni;
        m->beta = pu_other_input(e, ni, cur);
        m->out = g->nodes[ni].outputs[0];
    }
    for (int i = 0; i < x->rank; i++)
        if (i >= m->axis && x->dims[i] < 0 && m->gamma < 0)
            return "the normalised dims are not known (needed for a scale of ones)";
    return NULL;
}

/* A scale / bias constant for the new node: p (rank <= K) as is, else its trailing K
 * dims (the leading ones are 1); p < 0: ones over the normalised dims. -1: no memory. */
static int ln_param(ert_edit *e, const ln_match *m, int pv, const char *what)
{
    const ert_tensor *x = &e->g->values[m->x].t;
    if (pv >= 0 && e->g->values[pv].t.rank <= m->k)
        return pv;
    int64_t dims[ERT_MAX_RANK], n = 1;
    ert_dtype dt = x->dtype;
    const ert_tensor *p = pv >= 0 ? &e->g->values[pv].t : NULL;
    for (int i = 0; i < m->k; i++) {
        dims[i] = p ? p->dims[p->rank - m->k + i] : x->dims[m->axis + i];
        n *= dims[i];
    }
    double *v = malloc(sizeof(double) * (size_t)(n ? n : 1));
    if (!v)
        return -1;
    for (int64_t i = 0; i < n; i++)
        v[i] = p ? ert_tensor_get_f64(p, i) : 1.0;
    char name[256];
    snprintf(name, sizeof name, "%s_%s", e->g->nodes[m->mean1].name, what);
    int r = pu_new_const(e, name, dt, m->k, dims, v);
    free(v);
    return r;
}

static ert_status fuse_one(ert_edit *e, ln_match *m, ert_pass_notes *notes, ert_err *err)
{
    int gv = ln_param(e, m, m->gamma, "ln_scale");
    int bv = m->beta >= 0 ? ln_param(e, m, m->beta, "ln_bias") : -1;
    if (gv < 0 || (m->beta >= 0 && bv < 0))
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    int in[3] = {m->x, gv, bv};
    int last = m->add_b >= 0 ? m->add_b : m->mul_g >= 0 ? m->mul_g : m->div;
    char name[256];
    snprintf(name, sizeof name, "%s", e->g->nodes[m->mean1].name);
    /* resolve LayerNormalization at opset >= 17 even in an older graph (see banner) */
    int opset = e->g->opset_onnx;
    if (opset < LN_OPSET)
        e->g->opset_onnx = LN_OPSET;
    int li = ert_edit_add_node(e, "LayerNormalization", "", name, bv >= 0 ? 3 : 2, in, 1,
                               &m->out);
    e->g->opset_onnx = opset;
    if (li < 0 || ert_edit_set_attr_int(e, li, "axis", m->axis) != ERT_OK ||
        ert_edit_set_attr_float(e, li, "epsilon", (float)m->eps) != ERT_OK ||
        ert_edit_set_attr_string(e, li, "fused_ops", KIND) != ERT_OK)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    ert_edit_replace_node(e, last, li);
    int dead[] = {m->mean1, m->sub, m->sq, m->mean2, m->add_eps, m->sqrt, m->recip, m->div,
                  m->mul_g, m->add_b};
    for (size_t i = 0; i < sizeof dead / sizeof dead[0]; i++)
        if (dead[i] >= 0 && dead[i] != last)
            ert_edit_remove_node(e, dead[i]);
    ert_pass_note_applied(notes, KIND);
    return ERT_OK;
}

ert_status ert_opt_fuse_layernorm(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes;
    for (int ri = 0; ri < nn; ri++) {
        if (!pu_is(e, ri, ERT_OP_REDUCE_MEAN))
            continue;
        ln_match m;
        const char *why = match(e, ri, &m);
        if (why && !*why)
            continue; /* not the start of a LayerNorm */
        if (why) {
            ert_pass_note_skipped(notes, KIND, "ReduceMean '%s' not fused into "
                                  "LayerNormalization: %s", pu_nname(e, ri), why);
            continue;
        }
        ert_status st = fuse_one(e, &m, notes, err);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}
