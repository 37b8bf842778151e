/*
 * conv_test_net.h - the one-node Conv / FusedConv graph that the conv kernel tests
 * (test_conv_gemm.c, test_winograd.c) build for each case, and what they compute on it
 * with the reference kernels: the expected output (run_ref), the magnitude bound
 * conv(|X|, |W|) + |b| + |z| (magnitude) and the activation's gain (act_gain).
 * Header-only (static functions), like test_gemm_guard.h.
 */
#ifndef TEST_CONV_TEST_NET_H
#define TEST_CONV_TEST_NET_H

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "ops/op.h"
#include "test_gemm_guard.h"

typedef struct ccase {
    int nsp;                 /* 1 or 2 (3: expect every kernel to decline) */
    int64_t n, c, m, h, w;   /* batch, channels, output channels, input size */
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t pads[4];         /* h0, w0, h1, w1 */
    const char *auto_pad;    /* NULL: NOTSET */
    int64_t group;
    bool bias, fused, res;
    const char *act;         /* FusedConv activation ("": none) */
    int n_slope;             /* PRelu: 1 or M */
} ccase;

/* A one-node graph: values X, W, B, Z, S, Y; attributes as in the case. */
typedef struct net {
    ert_graph g;
    ert_value v[6];
    ert_node node;
    int inputs[5], outputs[1];
    ert_attr attrs[9];
    int64_t ks[2], st[2], dl[2], pd[4];
    float params[2];
    guard_buf x, w, b, z, s, xa, wa;
} net;

enum { VX, VW, VB, VZ, VS, VY };

static void set_tensor(ert_tensor *t, int rank, const int64_t *dims, float *data)
{
    memset(t, 0, sizeof *t);
    t->dtype = ERT_DTYPE_FLOAT32;
    t->rank = rank;
    memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
    t->data = data;
    t->nbytes = (size_t)ert_tensor_numel(t) * sizeof(float);
}

static float *rand_buf(guard_buf *gb, int64_t n, unsigned seed)
{
    float *p = guard_alloc(gb, (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++)
        p[i] = test_rand(&seed);
    return p;
}

static ert_attr ints_attr(const char *name, int64_t n, int64_t *v)
{
    return (ert_attr){.name = (char *)name, .type = ERT_ATTR_INTS, .n = n, .ints = v};
}

static void add_attrs(net *t, const ccase *c)
{
    ert_node *n = &t->node;
    int r = c->nsp, na = 0;
    t->ks[0] = c->nsp == 1 ? c->kw : c->kh, t->ks[1] = c->kw;
    t->st[0] = c->nsp == 1 ? c->sw : c->sh, t->st[1] = c->sw;
    t->dl[0] = c->nsp == 1 ? c->dw : c->dh, t->dl[1] = c->dw;
    if (c->nsp == 1)
        t->pd[0] = c->pads[1], t->pd[1] = c->pads[3];
    else
        memcpy(t->pd, c->pads, sizeof t->pd);
    t->attrs[na++] = ints_attr("kernel_shape", r, t->ks);
    t->attrs[na++] = ints_attr("strides", r, t->st);
    t->attrs[na++] = ints_attr("dilations", r, t->dl);
    if (c->auto_pad)
        t->attrs[na++] = (ert_attr){.name = (char *)"auto_pad", .type = ERT_ATTR_STRING,
                                    .s = (char *)c->auto_pad, .s_len = strlen(c->auto_pad)};
    else
        t->attrs[na++] = ints_attr("pads", 2 * r, t->pd);
    t->attrs[na++] = (ert_attr){.name = (char *)"group", .type = ERT_ATTR_INT, .i = c->group};
    if (c->fused && c->act[0]) {
        t->attrs[na++] = (ert_attr){.name = (char *)"activation", .type = ERT_ATTR_STRING,
                                    .s = (char *)c->act, .s_len = strlen(c->act)};
        int np = !strcmp(c->act, "Clip") ? 2 : !strcmp(c->act, "LeakyRelu") ? 1 : 0;
        t->params[0] = !strcmp(c->act, "Clip") ? -0.2f : 0.15f;
        t->params[1] = 0.4f;
        if (np)
            t->attrs[na++] = (ert_attr){.name = (char *)"activation_params", .type = ERT_ATTR_FLOATS,
                                        .n = np, .floats = t->params};
    }
    n->n_attrs = na;
    n->attrs = t->attrs;
}

/* Builds the graph; Y's shape comes from the reference infer (run_ref). */
static void build(net *t, const ccase *c, unsigned seed)
{
    memset(t, 0, sizeof *t);
    int r = c->nsp + 2;
    int64_t xd[5] = {c->n, c->c, c->nsp == 1 ? c->w : c->h, c->w, c->w};
    int64_t wd[5] = {c->m, c->c / c->group, c->nsp == 1 ? c->kw : c->kh, c->kw, c->kw};
    int64_t nx = 1, nw = 1;
    for (int i = 0; i < r; i++)
        nx *= xd[i], nw *= wd[i];
    set_tensor(&t->v[VX].t, r, xd, rand_buf(&t->x, nx, seed));
    set_tensor(&t->v[VW].t, r, wd, rand_buf(&t->w, nw, seed + 1));
    t->v[VX].kind = ERT_VALUE_INPUT;
    t->v[VW].kind = ERT_VALUE_CONST;
    int64_t md[1] = {c->m}, sd[1] = {c->n_slope};
    set_tensor(&t->v[VB].t, 1, md, rand_buf(&t->b, c->m, seed + 2));
    t->v[VB].kind = ERT_VALUE_CONST;
    set_tensor(&t->v[VS].t, 1, sd, rand_buf(&t->s, c->n_slope, seed + 3));
    t->v[VS].kind = ERT_VALUE_CONST;
    for (int i = 0; i < 6; i++)
        t->v[i].name = (char *)"v";
    t->g.values = t->v;
    t->g.n_values = 6;
    ert_node *n = &t->node;
    n->name = (char *)"conv";
    n->op = c->fused ? ert_op_find("edgert", "FusedConv") : ert_op_find("", "Conv");
    n->op_type = (char *)n->op->name;
    n->version = c->fused ? 1 : 11;
    bool prelu = c->fused && !strcmp(c->act, "PRelu");
    t->inputs[0] = VX, t->inputs[1] = VW, t->inputs[2] = c->bias ? VB : -1;
    t->inputs[3] = c->res ? VZ : -1, t->inputs[4] = prelu ? VS : -1;
    n->inputs = t->inputs;
    n->n_inputs = c->fused ? (prelu ? 5 : c->res ? 4 : 3) : (c->bias ? 3 : 2);
    t->outputs[0] = VY;
    n->outputs = t->outputs;
    n->n_outputs = 1;
    add_attrs(t, c);
}

static void free_net(net *t)
{
    guard_free(&t->x); guard_free(&t->w); guard_free(&t->b); guard_free(&t->z);
    guard_free(&t->s); guard_free(&t->xa); guard_free(&t->wa);
}

/* A kernel context over the net's tensors (in[] NULL past n_inputs / for -1). */
static ert_kctx make_ctx(net *t, ert_tensor **in, ert_tensor **out, ert_tensor *y, ert_err *err)
{
    for (int i = 0; i < ERT_KCTX_MIN_SLOTS; i++)
        in[i] = out[i] = NULL;
    for (int i = 0; i < t->node.n_inputs; i++)
        in[i] = t->inputs[i] >= 0 ? &t->v[t->inputs[i]].t : NULL;
    out[0] = y;
    return (ert_kctx){.node = &t->node, .version = t->node.version, .n_in = t->node.n_inputs,
                      .in = in, .n_out = 1, .out = out, .err = err};
}

/* Reference output into y (allocated by ert_tensor_alloc); false on error. */
static bool run_ref(net *t, ert_tensor *y)
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_err err;
    ert_kctx k = make_ctx(t, in, out, y, &err);
    bool fused = t->node.op->id == ERT_OP_FUSED_CONV;
    ert_status st = fused ? ert_infer_fused_conv(&k) : ert_infer_conv(&k);
    if (!st)
        st = ert_tensor_alloc(y);
    if (!st)
        st = fused ? ert_run_fused_conv(&k) : ert_run_conv(&k);
    if (st)
        fprintf(stderr, "reference failed: %s\n", err.msg);
    return !st;
}

/* Magnitude bound conv(|X|, |W|) + |b| + |z| as a plain Conv on absolute values. */
static bool magnitude(net *t, const ccase *c, const ert_tensor *y, ert_tensor *mag)
{
    ert_tensor x0 = t->v[VX].t, w0 = t->v[VW].t;
    int64_t nx = ert_tensor_numel(&x0), nw = ert_tensor_numel(&w0);
    float *xa = guard_alloc(&t->xa, (size_t)nx), *wa = guard_alloc(&t->wa, (size_t)nw);
    for (int64_t i = 0; i < nx; i++)
        xa[i] = fabsf(((float *)x0.data)[i]);
    for (int64_t i = 0; i < nw; i++)
        wa[i] = fabsf(((float *)w0.data)[i]);
    net a = *t;
    a.v[VX].t.data = xa;
    a.v[VW].t.data = wa;
    a.node.op = ert_op_find("", "Conv");
    a.node.version = 11;
    a.node.n_inputs = 2;
    a.node.n_attrs = 5; /* Conv's own attributes come first (add_attrs) */
    if (!run_ref(&a, mag))
        return false;
    int64_t ny = ert_tensor_numel(y), plane = ny / (c->n * c->m);
    float *m = mag->data;
    for (int64_t i = 0; i < ny; i++) {
        if (c->bias)
            m[i] += fabsf(((float *)t->v[VB].t.data)[(i / plane) % c->m]);
        if (c->res)
            m[i] += fabsf(((float *)t->v[VZ].t.data)[i]);
    }
    return true;
}

static float act_gain(const net *t, const ccase *c)
{
    if (!c->fused)
        return 1.0f;
    float g = 1.0f;
    if (!strcmp(c->act, "LeakyRelu"))
        g = fabsf(t->params[0]);
    if (!strcmp(c->act, "PRelu"))
        for (int i = 0; i < c->n_slope; i++)
            g = fmaxf(g, fabsf(((float *)t->v[VS].t.data)[i]));
    return g > 1.0f ? g : 1.0f;
}

#endif /* TEST_CONV_TEST_NET_H */
