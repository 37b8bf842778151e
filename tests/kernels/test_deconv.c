/*
 * test_deconv.c - the ConvTranspose kernels (src/kernels/deconv/) against conv.c's
 * reference kernel, through the kernel-table life cycle (supports -> pack -> plan ->
 * run), at every ISA level the CPU supports, without and with a thread pool.
 *
 * Matrix: kernels 1-5 per axis (non-square too), strides 1-3, dilations 1-2, explicit
 * asymmetric pads (negative ones too: ConvTranspose allows them), output_padding,
 * output_shape (which sets the pads; larger than the full result leaves bias-only
 * borders), auto_pad NOTSET / SAME_UPPER / SAME_LOWER / VALID, groups 1-3 including
 * depthwise-transposed (one channel per group in and out), odd channel counts, batch
 * 1-2, odd spatial sizes, 1-D, with and without bias, kernel_shape given or inferred
 * from W; shapes whose Col needs several column tiles (whole rows and mid-row cuts).
 * Inputs and outputs are guard-page buffers; the output is pre-filled with NaN so an
 * element the kernel skips fails. Also checks which nodes the kernels decline (3-D,
 * non-constant W, float64) and that the table lists the family for ConvTranspose.
 *
 * Tolerance: |got - want| <= 1e-5 * (convT(|X|, |W|) + |b|) + 1e-6 |want| + 1e-7, the
 * magnitude computed by the same reference on absolute values (the GEMM sums in
 * another order than the reference's per-tap rows).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "kernels/deconv/deconv.h"
#include "kernels/kernel.h"
#include "ops/op.h"
#include "runtime/threadpool.h"
#include "test_gemm_guard.h"

static int g_fail, g_cases;

typedef struct dcase {
    int nsp;                 /* 1 or 2 */
    int64_t n, c, m, h, w;   /* batch, input channels, output channels, input size */
    int64_t kh, kw, sh, sw, dh, dw;
    int64_t pads[4];         /* h0, w0, h1, w1 */
    int64_t opad[2];         /* output_padding h, w */
    int64_t oshape[2];       /* output_shape h, w; oshape[1] < 0: not given */
    const char *auto_pad;    /* NULL: NOTSET (pads given) */
    int64_t group;
    bool bias;
    bool no_kshape;          /* leave kernel_shape out: inferred from W */
} dcase;

/* A one-node graph: values X, W, B, Y. */
typedef struct net {
    ert_graph g;
    ert_value v[4];
    ert_node node;
    int inputs[3], outputs[1];
    ert_attr attrs[9];
    int64_t ks[2], st[2], dl[2], pd[4], op[2], os[2];
    guard_buf x, w, b, xa, wa;
} net;

enum { VX, VW, VB, VY };

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

/* The case's attributes; for a 1-D case the w entries are the axis. */
static void add_attrs(net *t, const dcase *c)
{
    ert_node *n = &t->node;
    int r = c->nsp, na = 0;
    bool one = c->nsp == 1;
    t->ks[0] = one ? c->kw : c->kh, t->ks[1] = c->kw;
    t->st[0] = one ? c->sw : c->sh, t->st[1] = c->sw;
    t->dl[0] = one ? c->dw : c->dh, t->dl[1] = c->dw;
    t->op[0] = one ? c->opad[1] : c->opad[0], t->op[1] = c->opad[1];
    t->os[0] = one ? c->oshape[1] : c->oshape[0], t->os[1] = c->oshape[1];
    if (one)
        t->pd[0] = c->pads[1], t->pd[1] = c->pads[3];
    else
        memcpy(t->pd, c->pads, sizeof t->pd);
    if (!c->no_kshape)
        t->attrs[na++] = ints_attr("kernel_shape", r, t->ks);
    t->attrs[na++] = ints_attr("strides", r, t->st);
    t->attrs[na++] = ints_attr("dilations", r, t->dl);
    if (c->auto_pad)
        t->attrs[na++] = (ert_attr){.name = (char *)"auto_pad", .type = ERT_ATTR_STRING,
                                    .s = (char *)c->auto_pad, .s_len = strlen(c->auto_pad)};
    else
        t->attrs[na++] = ints_attr("pads", 2 * r, t->pd);
    t->attrs[na++] = (ert_attr){.name = (char *)"group", .type = ERT_ATTR_INT, .i = c->group};
    t->attrs[na++] = ints_attr("output_padding", r, t->op);
    if (c->oshape[1] >= 0)
        t->attrs[na++] = ints_attr("output_shape", r, t->os);
    n->n_attrs = na;
    n->attrs = t->attrs;
}

static void build(net *t, const dcase *c, unsigned seed)
{
    memset(t, 0, sizeof *t);
    int r = c->nsp + 2;
    int64_t xd[4] = {c->n, c->c, c->nsp == 1 ? c->w : c->h, c->w};
    int64_t wd[4] = {c->c, c->m / c->group, c->nsp == 1 ? c->kw : c->kh, c->kw};
    int64_t nx = 1, nw = 1;
    for (int i = 0; i < r; i++)
        nx *= xd[i], nw *= wd[i];
    set_tensor(&t->v[VX].t, r, xd, rand_buf(&t->x, nx, seed));
    set_tensor(&t->v[VW].t, r, wd, rand_buf(&t->w, nw, seed + 1));
    t->v[VX].kind = ERT_VALUE_INPUT;
    t->v[VW].kind = ERT_VALUE_CONST;
    int64_t md[1] = {c->m};
    set_tensor(&t->v[VB].t, 1, md, rand_buf(&t->b, c->m, seed + 2));
    t->v[VB].kind = ERT_VALUE_CONST;
    for (int i = 0; i < 4; i++)
        t->v[i].name = (char *)"v";
    t->g.values = t->v;
    t->g.n_values = 4;
    ert_node *n = &t->node;
    n->name = (char *)"deconv";
    n->op = ert_op_find("", "ConvTranspose");
    n->op_type = (char *)n->op->name;
    n->version = 11;
    t->inputs[0] = VX, t->inputs[1] = VW, t->inputs[2] = c->bias ? VB : -1;
    n->inputs = t->inputs;
    n->n_inputs = c->bias ? 3 : 2;
    t->outputs[0] = VY;
    n->outputs = t->outputs;
    n->n_outputs = 1;
    add_attrs(t, c);
}

static void free_net(net *t)
{
    guard_free(&t->x); guard_free(&t->w); guard_free(&t->b);
    guard_free(&t->xa); guard_free(&t->wa);
}

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
    ert_status st = ert_infer_conv_transpose(&k);
    if (!st)
        st = ert_tensor_alloc(y);
    if (!st)
        st = ert_run_conv_transpose(&k);
    if (st)
        fprintf(stderr, "reference failed: %s\n", err.msg);
    return !st;
}

/* Magnitude bound convT(|X|, |W|) + |b|. */
static bool magnitude(net *t, const dcase *c, const ert_tensor *y, ert_tensor *mag)
{
    ert_tensor x0 = t->v[VX].t, w0 = t->v[VW].t;
    int64_t nx = ert_tensor_numel(&x0), nw = ert_tensor_numel(&w0);
    float *xa = guard_alloc(&t->xa, (size_t)(nx > 0 ? nx : 1));
    float *wa = guard_alloc(&t->wa, (size_t)(nw > 0 ? nw : 1));
    for (int64_t i = 0; i < nx; i++)
        xa[i] = fabsf(((float *)x0.data)[i]);
    for (int64_t i = 0; i < nw; i++)
        wa[i] = fabsf(((float *)w0.data)[i]);
    net a = *t;
    a.v[VX].t.data = xa;
    a.v[VW].t.data = wa;
    a.node.n_inputs = 2;
    if (!run_ref(&a, mag))
        return false;
    int64_t ny = ert_tensor_numel(y), plane = c->n > 0 && c->m > 0 ? ny / (c->n * c->m) : 1;
    float *m = mag->data;
    for (int64_t i = 0; c->bias && i < ny; i++)
        m[i] += fabsf(((float *)t->v[VB].t.data)[(i / plane) % c->m]);
    return true;
}

static int compare(const float *got, const ert_tensor *want, const ert_tensor *mag)
{
    int bad = 0;
    const float *w = want->data, *m = mag->data;
    for (int64_t i = 0; i < ert_tensor_numel(want); i++) {
        double tol = 1e-5 * m[i] + 1e-6 * fabs(w[i]) + 1e-7;
        if (!(fabs((double)got[i] - w[i]) <= tol)) {
            if (bad < 5)
                fprintf(stderr, "  y[%lld] = %.9g, want %.9g (tol %.3g)\n", (long long)i,
                        got[i], w[i], tol);
            bad++;
        }
    }
    return bad;
}

static const char *describe(const dcase *c, char *buf, size_t len)
{
    snprintf(buf, len, "%dD n%lld c%lld m%lld %lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld "
             "p%lld,%lld,%lld,%lld op%lld,%lld os%lld,%lld %s g%lld bias%d ks%d",
             c->nsp, (long long)c->n, (long long)c->c, (long long)c->m, (long long)c->h,
             (long long)c->w, (long long)c->kh, (long long)c->kw, (long long)c->sh,
             (long long)c->sw, (long long)c->dh, (long long)c->dw, (long long)c->pads[0],
             (long long)c->pads[1], (long long)c->pads[2], (long long)c->pads[3],
             (long long)c->opad[0], (long long)c->opad[1], (long long)c->oshape[0],
             (long long)c->oshape[1], c->auto_pad ? c->auto_pad : "NOTSET",
             (long long)c->group, c->bias, !c->no_kshape);
    return buf;
}

/* pack -> plan -> run of one kernel; returns the number of bad elements (-1: a stage
 * failed). Runs twice on the same context (a second run must not depend on the first
 * one's leftovers: the output is NaN-filled again). */
static int run_kernel(const ert_kernel *kn, net *t, const ert_tensor *want, const ert_tensor *mag,
                      ert_threadpool *pool)
{
    void *packed = NULL;
    ert_err err = {{0}};
    if (kn->pack(&t->node, &t->g, &packed, &err)) {
        fprintf(stderr, "  pack: %s\n", err.msg);
        return -1;
    }
    ert_tensor y = {0}, *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_kctx k = make_ctx(t, in, out, &y, &err);
    guard_buf yb = {0}, wsb = {0};
    int64_t ny = ert_tensor_numel(want);
    y = *want;
    y.capacity = 0;
    y.data = guard_alloc(&yb, (size_t)(ny > 0 ? ny : 1));
    static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    size_t ws = 0;
    k.packed = packed;
    k.params = params;
    k.pool = pool;
    int bad = -1;
    if (kn->plan(&k, &ws)) {
        fprintf(stderr, "  plan: %s\n", err.msg);
        goto done;
    }
    k.ws = guard_alloc(&wsb, ws / sizeof(float) + 16);
    k.ws_bytes = ws;
    for (int rep = 0; rep < 2; rep++) {
        for (int64_t i = 0; i < ny; i++)
            ((float *)y.data)[i] = NAN;
        if (kn->run(&k)) {
            fprintf(stderr, "  run: %s\n", err.msg);
            bad = -1;
            goto done;
        }
        bad = compare(y.data, want, mag);
        if (bad)
            break;
    }
done:
    kn->free_packed(packed);
    guard_free(&yb);
    guard_free(&wsb);
    return bad;
}

/* Every kernel of the family on one case: all claim it, results match. */
static void run_case(const dcase *c, ert_threadpool *pool, unsigned seed)
{
    char d[320];
    net t;
    build(&t, c, seed);
    ert_tensor want = {0}, mag = {0};
    if (!run_ref(&t, &want) || !magnitude(&t, c, &want, &mag)) {
        g_fail++;
        fprintf(stderr, "FAIL (reference) %s\n", describe(c, d, sizeof d));
        goto out;
    }
    for (const ert_kernel *const *kp = ert_deconv_kernels; *kp; kp++) {
        const ert_kernel *kn = *kp;
        if (kn->isa > ert_cpu_get()->best)
            continue;
        g_cases++;
        if (!kn->supports(&t.node, &t.g)) {
            g_fail++;
            fprintf(stderr, "FAIL %s declines: %s\n", kn->name, describe(c, d, sizeof d));
            continue;
        }
        int bad = run_kernel(kn, &t, &want, &mag, pool);
        if (bad) {
            g_fail++;
            fprintf(stderr, "FAIL %s: %d bad: %s\n", kn->name, bad, describe(c, d, sizeof d));
        }
    }
out:
    ert_tensor_free_data(&want);
    ert_tensor_free_data(&mag);
    free_net(&t);
}

/* A pseudo-random value in [0, n). */
static int64_t pick(unsigned *seed, int64_t n)
{
    *seed = *seed * 1103515245u + 12345u;
    return (int64_t)((*seed >> 12) % (unsigned)n);
}

/* Full output size of one axis with no padding. */
static int64_t full_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t op)
{
    return s * (in - 1) + op + (k - 1) * d + 1;
}

/* A pseudo-random case; sizes kept small for the reference's speed. */
static void random_case(unsigned *seed, dcase *c)
{
#define PICK(n) pick(seed, (n))
    static const int64_t chans[] = {1, 2, 3, 4, 5, 7, 8, 16, 17, 33};
    memset(c, 0, sizeof *c);
    c->nsp = PICK(5) == 0 ? 1 : 2;
    c->group = PICK(4) == 0 ? 2 + PICK(2) : 1;
    bool dw = c->group > 1 && PICK(3) == 0; /* depthwise-transposed */
    c->c = (dw ? 1 : chans[PICK(10)]) * c->group;
    c->m = (dw ? 1 : chans[PICK(10)]) * c->group;
    c->n = 1 + PICK(2);
    c->kh = c->nsp == 1 ? 1 : 1 + PICK(5);
    c->kw = 1 + PICK(5);
    if (c->nsp == 2 && PICK(3) == 0)
        c->kh = c->kw;
    c->sh = c->nsp == 1 ? 1 : 1 + PICK(3);
    c->sw = PICK(3) == 0 ? 1 + PICK(3) : 1 + (PICK(2) ? 1 : 0);
    c->dh = c->nsp == 1 ? 1 : 1 + (PICK(4) == 0);
    c->dw = 1 + (PICK(4) == 0);
    c->h = c->nsp == 1 ? 1 : 1 + PICK(11);
    c->w = 1 + PICK(19);
    int64_t s[2] = {c->sh, c->sw}, dl[2] = {c->dh, c->dw}, k[2] = {c->kh, c->kw};
    int64_t in[2] = {c->h, c->w};
    for (int i = 0; i < 2; i++) {
        int64_t lim = s[i] > dl[i] ? s[i] : dl[i]; /* the spec: output_padding < it */
        c->opad[i] = PICK(3) == 0 ? PICK(lim) : 0;
    }
    c->oshape[0] = c->oshape[1] = -1;
    int pmode = (int)PICK(8);
    if (pmode == 0)
        c->auto_pad = PICK(2) ? "SAME_UPPER" : "SAME_LOWER";
    else if (pmode == 1)
        c->auto_pad = "VALID";
    else if (pmode == 2) {
        /* output_shape: from the unpadded size down a few, or up (bias-only border) */
        for (int i = 0; i < 2; i++) {
            int64_t f = full_size(in[i], k[i], s[i], dl[i], c->opad[i]);
            int64_t v = f - PICK(k[i] * dl[i] + 1) + (PICK(4) == 0 ? 2 : 0);
            c->oshape[i] = v < 1 ? 1 : v;
        }
        if (PICK(2))
            c->auto_pad = PICK(2) ? "SAME_UPPER" : "SAME_LOWER";
    } else if (pmode >= 5) {
        for (int i = 0; i < 4; i++) {
            int64_t ki = k[i % 2] * dl[i % 2];
            c->pads[i] = PICK(ki) - (PICK(6) == 0 ? 1 : 0); /* sometimes -1 */
        }
    }
    if (c->nsp == 1)
        c->pads[0] = c->pads[2] = 0, c->opad[0] = 0, c->oshape[0] = c->oshape[1] >= 0 ? 1 : -1;
    /* keep the output non-empty: explicit pads must leave at least one element */
    for (int i = c->nsp == 1 ? 1 : 0; i < 2; i++) {
        int64_t f = full_size(in[i], k[i], s[i], dl[i], c->opad[i]);
        if (!c->auto_pad && c->oshape[1] < 0 && c->pads[i] + c->pads[2 + i] >= f)
            c->pads[i] = c->pads[2 + i] = 0;
    }
    c->bias = PICK(3) != 0;
    c->no_kshape = PICK(4) == 0;
#undef PICK
}

static void fixed_cases(ert_threadpool *pool)
{
    const dcase cs[] = {
        /* depth_unet's two layers: 4x4/s2/p1 (overlapping taps) and 2x2/s2 (none) */
        {2, 1, 128, 64, 16, 16, 4, 4, 2, 2, 1, 1, {1, 1, 1, 1}, {0}, {0, -1}, NULL, 1, true, false},
        {2, 1, 32, 16, 64, 64, 2, 2, 2, 2, 1, 1, {0}, {0}, {0, -1}, NULL, 1, true, false},
        /* Col over several tiles of whole rows, batch 2 */
        {2, 2, 8, 64, 40, 37, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, -1}, NULL, 1, true, false},
        /* tiles cut mid-row: 3200 Col rows, 81-column tiles over 100-wide rows */
        {2, 1, 4, 128, 3, 100, 5, 5, 1, 2, 1, 1, {2, 0, 1, 3}, {0}, {0, -1}, NULL, 1, true, false},
        /* 3x3 / s2 with an unpaired third tap, output_padding 1 (PyTorch's x2 up) */
        {2, 1, 16, 8, 9, 11, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, {1, 1}, {0, -1}, NULL, 1, false, false},
        /* stride 3 > kernel 2: gaps that only get the bias */
        {2, 2, 5, 7, 5, 6, 2, 2, 3, 3, 1, 1, {0}, {0}, {0, -1}, NULL, 1, true, false},
        /* output_shape larger than the full result, SAME_UPPER / SAME_LOWER */
        {2, 1, 3, 4, 4, 5, 3, 2, 2, 2, 1, 1, {0}, {0}, {12, 13}, "SAME_UPPER", 1, true, false},
        {2, 1, 3, 4, 4, 5, 3, 2, 2, 2, 1, 1, {0}, {0}, {8, 9}, "SAME_LOWER", 1, true, true},
        /* depthwise-transposed, dilated */
        {2, 2, 6, 6, 7, 8, 3, 3, 2, 1, 2, 2, {1, 0, 2, 1}, {1, 0}, {0, -1}, NULL, 6, true, false},
        /* grouped, non-square, negative pads */
        {2, 1, 6, 9, 5, 7, 2, 5, 1, 3, 1, 1, {-1, 2, 0, -1}, {0}, {0, -1}, NULL, 3, true, false},
        /* 1-D */
        {1, 2, 5, 6, 1, 23, 1, 4, 1, 2, 1, 1, {0, 1, 0, 2}, {0, 1}, {0, -1}, NULL, 1, true, false},
        /* a kernel wider than col2im's per-call tap table (ranges per row) */
        {1, 1, 3, 5, 1, 9, 1, 19, 1, 2, 1, 1, {0, 3, 0, 5}, {0, 1}, {0, -1}, NULL, 1, true, false},
        {2, 1, 2, 3, 3, 4, 2, 18, 1, 1, 1, 2, {0, 7, 1, 2}, {0}, {0, -1}, NULL, 1, true, false},
        /* one pixel in, one channel */
        {2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, {0}, {0}, {0, -1}, NULL, 1, true, false},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        run_case(&cs[i], NULL, 100u + (unsigned)i);
        run_case(&cs[i], pool, 200u + (unsigned)i);
    }
}

/* Nodes every kernel must decline: 3-D, W not constant, float64. */
static void check_declines(void)
{
    dcase c = {2, 1, 2, 2, 4, 4, 1, 1, 1, 1, 1, 1, {0}, {0}, {0, -1}, NULL, 1, false, true};
    for (int v = 0; v < 3; v++) {
        net t;
        build(&t, &c, 1);
        const char *what = "3-D";
        if (v == 0) {
            int64_t xd[5] = {1, 2, 3, 4, 4}, wd[5] = {2, 2, 1, 1, 1};
            t.v[VX].t.rank = t.v[VW].t.rank = 5;
            memcpy(t.v[VX].t.dims, xd, sizeof xd);
            memcpy(t.v[VW].t.dims, wd, sizeof wd);
            t.node.n_attrs = 0;
        } else if (v == 1) {
            t.v[VW].kind = ERT_VALUE_INPUT;
            what = "non-constant W";
        } else {
            t.v[VX].t.dtype = t.v[VW].t.dtype = ERT_DTYPE_FLOAT64;
            what = "float64";
        }
        for (const ert_kernel *const *kp = ert_deconv_kernels; *kp; kp++) {
            g_cases++;
            if ((*kp)->supports(&t.node, &t.g)) {
                g_fail++;
                fprintf(stderr, "FAIL %s claims a %s ConvTranspose\n", (*kp)->name, what);
            }
        }
        free_net(&t);
    }
}

/* The table hands out the family for ConvTranspose, and an ISA cap hides the levels
 * above it. */
static void check_table(void)
{
    net t;
    dcase c = {2, 1, 8, 8, 5, 5, 2, 2, 2, 2, 1, 1, {0}, {0}, {0, -1}, NULL, 1, false, false};
    build(&t, &c, 1);
    const ert_kernel *ks[16];
    int n = ert_cpu_kernels(&t.node, &t.g, ert_cpu_get()->best, ks, 16);
    g_cases++;
    if (n < 1 || strstr(ks[0]->name, "deconv.gemm.") != ks[0]->name ||
        !ert_cpu_kernel_by_name("deconv.gemm.generic")) {
        g_fail++;
        fprintf(stderr, "FAIL kernel table lacks the deconv kernels\n");
    }
    ert_isa cap = ert_cpu_set_isa_cap(ERT_ISA_GENERIC);
    n = ert_cpu_kernels(&t.node, &t.g, cap, ks, 16);
    for (int i = 0; i < n; i++) {
        g_cases++;
        if (ks[i]->isa > ERT_ISA_GENERIC) {
            g_fail++;
            fprintf(stderr, "FAIL %s offered under the generic cap\n", ks[i]->name);
        }
    }
    ert_cpu_set_isa_cap(ert_cpu_get()->best);
    free_net(&t);
}

int main(void)
{
    ert_threadpool *pool = NULL;
    if (ert_threadpool_create(3, NULL, &pool)) {
        fprintf(stderr, "thread pool: out of memory\n");
        return 1;
    }
    check_table();
    check_declines();
    fixed_cases(pool);
    unsigned seed = 4242u;
    for (int i = 0; i < 400; i++) {
        dcase c;
        random_case(&seed, &c);
        run_case(&c, i % 2 ? pool : NULL, 1000u + (unsigned)i);
    }
    ert_threadpool_free(pool);
    printf("%d kernel runs, %d failed\n", g_cases, g_fail);
    return g_fail ? 1 : 0;
}
