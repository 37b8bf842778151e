/*
 * fuse_act.c - activations written out in primitive ops, back into one node, wherever
 * they are (after a Conv, a MatMul / Gemm, an Add, ...):
 *
 *   SiLU       x * Sigmoid(x)                               -> Swish(x)  (alpha 1)
 *   erf-GELU   x * 0.5 * (1 + Erf(x / sqrt 2)), x / sqrt 2 also as x * (1 / sqrt 2), the
 *              two Muls in any association                  -> Gelu(x)   (exact)
 *   HardSwish  x * Clip(x + 3, 0, 6) / 6, / 6 also as * (1 / 6), either association
 *                                                           -> HardSwish(x)
 *
 * One unary kernel (one pass over the tensor) instead of 2-5 ops and their
 * intermediates; fuse_conv then takes the single node into a Conv's epilogue as it
 * takes any activation. Taken when x is a float tensor and every intermediate feeds just
 * the next op of the pattern (and is not a graph output); x itself may have other
 * readers. The new node keeps the first pattern node's name and has a fused_ops
 * attribute naming what it replaced ("Sigmoid+Mul", "Gelu(erf)",
 * "HardSwish(decomposed)"), which inspect and a FusedConv's fused_ops show. Swish (opset
 * 24) and Gelu (opset 20) are resolved at their first opset in older graphs: the engine
 * resolves ops per node, as fuse_layernorm does for LayerNormalization.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "passes/pass_util.h"

typedef struct act_match {
    int nodes[6]; /* the pattern's nodes after x; the last one writes the result */
    int n;
    const char *op;   /* the replacement */
    int opset;        /* its first opset */
    const char *ops;  /* fused_ops of the new node */
} act_match;

static void push(act_match *m, int ni)
{
    m->nodes[m->n++] = ni;
}

/* x * Sigmoid(x): Sigmoid(x) -> s read only by Mul(x, s). */
static bool silu(const ert_edit *e, int x, int sig, act_match *m)
{
    if (!pu_is(e, sig, ERT_OP_SIGMOID) || e->g->nodes[sig].inputs[0] != x)
        return false;
    int s = e->g->nodes[sig].outputs[0], mul = ert_edit_sole_consumer(e, s), other;
    if (!pu_binary_with(e, mul, ERT_OP_MUL, x, &other) || other != s)
        return false;
    *m = (act_match){{sig, mul}, 2, "Swish", 24, "Sigmoid+Mul"};
    return true;
}

/* The Muls of erf-GELU once x -> d -> Erf -> Add(1) -> a is matched; p is another
 * reader of x. Accepts (x * a) * 0.5, x * (a * 0.5) and (x * 0.5) * a. */
static bool gelu_tail(const ert_edit *e, act_match *m, int x, int a, int p)
{
    int q = ert_edit_sole_consumer(e, a), o, r;
    int pout = e->g->nodes[p].outputs[0];
    if (q < 0)
        return false;
    if (q == p && pu_binary_with(e, p, ERT_OP_MUL, x, &o) && o == a) { /* (x * a) * 0.5 */
        r = ert_edit_sole_consumer(e, pout);
        if (r < 0 || !pu_scaled_by(e, r, ERT_OP_MUL, pout, 0.5))
            return false;
        push(m, p);
        push(m, r);
        return true;
    }
    int qout = e->g->nodes[q].outputs[0];
    if (pu_scaled_by(e, q, ERT_OP_MUL, a, 0.5) && ert_edit_sole_consumer(e, qout) == p &&
        pu_binary_with(e, p, ERT_OP_MUL, x, &o) && o == qout) { /* x * (a * 0.5) */
        push(m, q);
        push(m, p);
        return true;
    }
    if (pu_scaled_by(e, p, ERT_OP_MUL, x, 0.5) && ert_edit_sole_consumer(e, pout) == q &&
        pu_binary_with(e, q, ERT_OP_MUL, pout, &o) && o == a) { /* (x * 0.5) * a */
        push(m, p);
        push(m, q);
        return true;
    }
    return false;
}

/* erf-GELU starting at reader d of x (x / sqrt 2), with p another reader of x. */
static bool gelu_erf(const ert_edit *e, int x, int d, int p, act_match *m)
{
    if (!pu_scaled_by(e, d, ERT_OP_DIV, x, sqrt(2.0)) &&
        !pu_scaled_by(e, d, ERT_OP_MUL, x, 1.0 / sqrt(2.0)))
        return false;
    int erf = ert_edit_sole_consumer(e, e->g->nodes[d].outputs[0]), c;
    if (erf < 0 || !pu_is(e, erf, ERT_OP_ERF))
        return false;
    int ev = e->g->nodes[erf].outputs[0], add = ert_edit_sole_consumer(e, ev);
    double one;
    if (!pu_binary_with(e, add, ERT_OP_ADD, ev, &c) || !pu_scalar(e, c, &one) ||
        !pu_near(one, 1.0))
        return false;
    *m = (act_match){{d, erf, add}, 3, "Gelu", 20, "Gelu(erf)"};
    return gelu_tail(e, m, x, e->g->nodes[add].outputs[0], p);
}

/* Node ni divides value v by 6 (Div(v, 6) or Mul(v, 1/6)). */
static bool sixth(const ert_edit *e, int ni, int v)
{
    return ni >= 0 && (pu_scaled_by(e, ni, ERT_OP_DIV, v, 6.0) ||
                       pu_scaled_by(e, ni, ERT_OP_MUL, v, 1.0 / 6.0));
}

/* The Muls of decomposed HardSwish once x -> Add(3) -> Clip(0, 6) -> cv is matched; p
 * is another reader of x. Accepts (x * cv) / 6 and x * (cv / 6). */
static bool hardswish_tail(const ert_edit *e, act_match *m, int x, int cv, int p)
{
    int q = ert_edit_sole_consumer(e, cv), o;
    int pout = e->g->nodes[p].outputs[0];
    if (q == p && pu_binary_with(e, p, ERT_OP_MUL, x, &o) && o == cv) {
        int r = ert_edit_sole_consumer(e, pout);
        if (!sixth(e, r, pout))
            return false;
        push(m, p);
        push(m, r);
        return true;
    }
    if (!sixth(e, q, cv))
        return false;
    int qout = e->g->nodes[q].outputs[0];
    if (ert_edit_sole_consumer(e, qout) != p || !pu_binary_with(e, p, ERT_OP_MUL, x, &o) ||
        o != qout)
        return false;
    push(m, q);
    push(m, p);
    return true;
}

/* x * relu6(x + 3) / 6 starting at reader ad of x (x + 3), p another reader of x: as
 * paddle2onnx and older torch exports write HardSwish. */
static bool hardswish(const ert_edit *e, int x, int ad, int p, act_match *m)
{
    if (!pu_scaled_by(e, ad, ERT_OP_ADD, x, 3.0))
        return false;
    int av = e->g->nodes[ad].outputs[0], cl = ert_edit_sole_consumer(e, av);
    float lo, hi;
    if (cl < 0 || !pu_is(e, cl, ERT_OP_CLIP) || e->g->nodes[cl].inputs[0] != av ||
        !pu_clip_bounds(e, &e->g->nodes[cl], &lo, &hi) || lo != 0.0f || !pu_near(hi, 6.0))
        return false;
    *m = (act_match){{ad, cl}, 2, "HardSwish", 14, "HardSwish(decomposed)"};
    return hardswish_tail(e, m, x, e->g->nodes[cl].outputs[0], p);
}

/* A decomposed activation of x starting at its reader u[k]; the two-reader patterns try
 * each other reader of x as the final Mul. */
static bool match_at(const ert_edit *e, int x, int k, act_match *m)
{
    const ert_use *u = ert_edit_uses(e, x);
    int nu = ert_edit_n_uses(e, x), first = u[k].node;
    if (silu(e, x, first, m))
        return true;
    for (int j = 0; j < nu; j++) {
        int p = u[j].node;
        if (p == first)
            continue;
        if (gelu_erf(e, x, first, p, m) || hardswish(e, x, first, p, m))
            return true;
    }
    return false;
}

static ert_status replace(ert_edit *e, int x, const act_match *m, ert_pass_notes *notes,
                          ert_err *err)
{
    int last = m->nodes[m->n - 1], out = e->g->nodes[last].outputs[0];
    char name[256], kind[ERT_PASS_KIND_LEN];
    snprintf(name, sizeof name, "%s", e->g->nodes[m->nodes[0]].name);
    int opset = e->g->opset_onnx;
    if (opset < m->opset)
        e->g->opset_onnx = m->opset;
    int ni = ert_edit_add_node(e, m->op, "", name, 1, &x, 1, &out);
    e->g->opset_onnx = opset;
    if (ni < 0 || ert_edit_set_attr_string(e, ni, "fused_ops", m->ops) != ERT_OK)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    ert_edit_replace_node(e, last, ni);
    for (int i = 0; i < m->n - 1; i++)
        ert_edit_remove_node(e, m->nodes[i]);
    snprintf(kind, sizeof kind, "%s -> %s", m->ops, m->op);
    ert_pass_note_applied(notes, kind);
    return ERT_OK;
}

ert_status ert_opt_fuse_act(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nv = e->g->n_values;
    for (int x = 0; x < nv; x++) {
        if (!ert_dtype_is_float(e->g->values[x].t.dtype))
            continue;
        for (int k = 0; k < ert_edit_n_uses(e, x); k++) {
            act_match m;
            if (!match_at(e, x, k, &m))
                continue;
            ert_status st = replace(e, x, &m, notes, err);
            if (st != ERT_OK)
                return st;
            k = -1; /* x's readers changed: look again from the first */
        }
    }
    return ERT_OK;
}
