/*
 * test_conv_gemm.c - the Conv-as-GEMM kernels (src/kernels/conv/) against conv.c's and
 * fused.c's reference kernels, through the kernel-table life cycle (supports -> pack ->
 * plan -> run), at every ISA level the CPU supports.
 *
 * Matrix: kernels 1/3/5/7 (and 1x3, 3x1), strides 1-3, explicit asymmetric pads, SAME /
 * VALID auto_pad (SAME with stride > kernel gives negative pads), dilations 1-2, groups
 * 1-3, odd channel counts, batch 1-2, odd spatial sizes, 1-D convs; FusedConv with
 * bias, residual Z and every activation kind. Inputs and outputs are guard-page buffers;
 * the output is pre-filled with NaN so an element the kernel skips fails.
 * Also checks which kernels claim a node (gemm1x1 only for 1x1/stride 1/no pad; 3-D and
 * pure depthwise declined) and that the table lists them.
 *
 * Tolerance: |got - want| <= 1e-5 * (conv(|X|, |W|) + |b| + |z|) * max(1, |slope|)
 * + 1e-6 |want|, the magnitude computed by the same reference on absolute values.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/conv/conv_direct.h"
#include "kernels/conv/conv_gemm.h"
#include "kernels/cpu.h"
#include "kernels/kernel.h"
#include "ops/fused.h"
#include "ops/op.h"
#include "runtime/threadpool.h"
#include "conv_test_net.h"
#include "test_gemm_guard.h"

static int g_fail, g_cases;

static int compare(const float *got, const ert_tensor *want, const ert_tensor *mag, float gain)
{
    int bad = 0;
    const float *w = want->data, *m = mag->data;
    for (int64_t i = 0; i < ert_tensor_numel(want); i++) {
        double tol = 1e-5 * m[i] * gain + 1e-6 * fabs(w[i]) + 1e-7;
        if (!(fabs((double)got[i] - w[i]) <= tol)) {
            if (bad < 5)
                fprintf(stderr, "  y[%lld] = %.9g, want %.9g (tol %.3g)\n", (long long)i,
                        got[i], w[i], tol);
            bad++;
        }
    }
    return bad;
}

static const char *describe(const ccase *c, char *buf, size_t len)
{
    snprintf(buf, len, "%dD n%lld c%lld m%lld %lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld "
             "p%lld,%lld,%lld,%lld %s g%lld bias%d %s res%d",
             c->nsp, (long long)c->n, (long long)c->c, (long long)c->m, (long long)c->h,
             (long long)c->w, (long long)c->kh, (long long)c->kw, (long long)c->sh,
             (long long)c->sw, (long long)c->dh, (long long)c->dw, (long long)c->pads[0],
             (long long)c->pads[1], (long long)c->pads[2], (long long)c->pads[3],
             c->auto_pad ? c->auto_pad : "", (long long)c->group, c->bias,
             c->fused ? c->act : "Conv", c->res);
    return buf;
}

/* pack -> plan -> run of one kernel on the net; returns the number of bad elements
 * (-1: a stage failed). */
static int run_kernel(const ert_kernel *kn, net *t, const ert_tensor *want, const ert_tensor *mag,
                      float gain, ert_threadpool *pool)
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
    y.data = guard_alloc(&yb, (size_t)ny);
    for (int64_t i = 0; i < ny; i++)
        ((float *)y.data)[i] = NAN;
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
    if (kn->run(&k)) {
        fprintf(stderr, "  run: %s\n", err.msg);
        goto done;
    }
    bad = compare(y.data, want, mag, gain);
    if (bad == 0 && t->node.n_inputs > ERT_FC_Z && t->node.inputs[ERT_FC_Z] >= 0 &&
        (ert_cpu_kernel_inplace_inputs(kn) >> ERT_FC_Z & 1u)) {
        /* Y written over Z, as the arena plans it when Z is read for the last time here */
        void *z = t->v[VZ].t.data;
        memcpy(y.data, z, (size_t)ny * sizeof(float));
        t->v[VZ].t.data = y.data;
        bad = kn->run(&k) ? -1 : compare(y.data, want, mag, gain);
        t->v[VZ].t.data = z;
        if (bad)
            fprintf(stderr, "  with Y written over Z:\n");
    }
done:
    kn->free_packed(packed);
    guard_free(&yb);
    guard_free(&wsb);
    return bad;
}

static bool expect_1x1(const ccase *c)
{
    bool unit = c->kh == 1 && c->kw == 1 && c->sh == 1 && c->sw == 1;
    bool nopad = c->auto_pad || !(c->pads[0] | c->pads[1] | c->pads[2] | c->pads[3]);
    return unit && nopad && (c->nsp == 1 ? c->kh == 1 : true);
}

/* The GEMM family, conv.direct (the few-channel 2-D convs) and conv.implicit (the other
 * 2-D group-1 convs but a plain 1x1). */
static const ert_kernel *k_families[32];

/* kp is one of conv.implicit's entries listed before the GEMM family. */
static bool implicit_first_entry(const ert_kernel *k)
{
    for (const ert_kernel *const *kp = ert_conv_implicit_first_kernels; *kp; kp++)
        if (*kp == k)
            return true;
    return false;
}

static void list_kernels(void)
{
    int n = 0;
    for (const ert_kernel *const *kp = ert_conv_gemm_kernels; *kp && n < 30; kp++)
        k_families[n++] = *kp;
    for (const ert_kernel *const *kp = ert_conv_direct_kernels; *kp && n < 31; kp++)
        k_families[n++] = *kp;
    for (const ert_kernel *const *kp = ert_conv_implicit_kernels; *kp && n < 31; kp++)
        k_families[n++] = *kp;
    for (const ert_kernel *const *kp = ert_conv_implicit_first_kernels; *kp && n < 31; kp++)
        k_families[n++] = *kp;
    k_families[n] = NULL;
}

/* Every kernel of the family on one case: supports() as expected, results match. */
static void run_case(const ccase *c, ert_threadpool *pool, unsigned seed)
{
    char d[256];
    net t;
    build(&t, c, seed);
    if (c->res) {
        ert_tensor ys = {0};
        net probe = t;
        probe.node.n_inputs = c->bias ? 3 : 2;
        probe.node.op = ert_op_find("", "Conv");
        probe.node.version = 11;
        if (!run_ref(&probe, &ys)) {
            g_fail++;
            free_net(&t);
            return;
        }
        set_tensor(&t.v[VZ].t, ys.rank, ys.dims,
                   rand_buf(&t.z, ert_tensor_numel(&ys), seed + 4));
        ert_tensor_free_data(&ys);
    }
    ert_tensor want = {0}, mag = {0};
    if (!run_ref(&t, &want) || !magnitude(&t, c, &want, &mag)) {
        g_fail++;
        fprintf(stderr, "FAIL (reference) %s\n", describe(c, d, sizeof d));
        goto out;
    }
    float gain = act_gain(&t, c);
    bool depthwise = c->group > 1 && c->c == c->group && c->m == c->group;
    for (const ert_kernel *const *kp = k_families; *kp; kp++) {
        const ert_kernel *kn = *kp;
        if (kn->isa > ert_cpu_get()->best)
            continue;
        bool is1x1 = strstr(kn->name, "gemm1x1") != NULL;
        bool rows = strstr(kn->name, "conv.rows") != NULL; /* <= 4 outputs per group */
        bool direct = strstr(kn->name, "conv.direct") != NULL; /* stems: few channels */
        bool implicit = strstr(kn->name, "conv.implicit") != NULL;
        bool stem = c->nsp == 2 && c->group == 1 && c->c <= 16 && c->c * c->kh * c->kw <= 160;
        bool plain1x1 = c->kh == 1 && c->kw == 1 && expect_1x1(c);
        /* the heuristic's share (conv_direct.c): strided, 3x3 or larger, >= 32 wide rows */
        bool first = c->nsp == 2 && c->sh >= 2 && c->sw >= 2 && c->kh * c->kw >= 9 &&
                     want.dims[3] >= 32;
        bool expect = c->nsp <= 2 && !depthwise && (!is1x1 || expect_1x1(c)) &&
                      (!rows || c->m / c->group <= 4) && (!direct || stem) &&
                      (!implicit || (c->nsp == 2 && c->group == 1 && !stem && !plain1x1 &&
                                     first == implicit_first_entry(kn)));
        bool got = kn->supports(&t.node, &t.g);
        g_cases++;
        if (got != expect) {
            g_fail++;
            fprintf(stderr, "FAIL %s supports=%d, expected %d: %s\n", kn->name, got, expect,
                    describe(c, d, sizeof d));
            continue;
        }
        if (!got)
            continue;
        int bad = run_kernel(kn, &t, &want, &mag, gain, pool);
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

static const char *const k_acts[] = {"", "Relu", "Clip", "LeakyRelu", "PRelu", "Sigmoid",
                                     "HardSwish", "Tanh"};

/* A pseudo-random value in [0, n). */
static int64_t pick(unsigned *seed, int64_t n)
{
    *seed = *seed * 1103515245u + 12345u;
    return (int64_t)((*seed >> 12) % (unsigned)n);
}

/* 1, or 2 or 3 (strides). */
static int64_t pick_stride(unsigned *seed)
{
    int64_t big = pick(seed, 3) / 2;
    return 1 + big * (1 + pick(seed, 2));
}

/* A pseudo-random case: sizes kept small enough for the reference's speed. */
static void random_case(unsigned *seed, ccase *c)
{
#define PICK(n) pick(seed, (n))
    static const int64_t ks[] = {1, 1, 3, 3, 5, 7};
    static const int64_t chans[] = {1, 2, 3, 4, 5, 7, 8, 16, 17, 33};
    memset(c, 0, sizeof *c);
    c->nsp = PICK(5) == 0 ? 1 : 2;
    c->group = PICK(4) == 0 ? 2 + PICK(2) : 1;
    c->c = chans[PICK(10)] * c->group;
    c->m = chans[PICK(10)] * c->group;
    c->n = 1 + PICK(2);
    c->kh = c->nsp == 1 ? 1 : ks[PICK(6)];
    c->kw = PICK(6) == 0 ? 1 : ks[PICK(6)];
    if (c->nsp == 2 && PICK(3) == 0)
        c->kh = c->kw;
    c->sh = c->nsp == 1 ? 1 : pick_stride(seed);
    c->sw = pick_stride(seed);
    c->dh = c->nsp == 1 ? 1 : 1 + (PICK(4) == 0);
    c->dw = 1 + (PICK(4) == 0);
    c->h = c->nsp == 1 ? 1 : (c->kh - 1) * c->dh + 1 + PICK(14);
    c->w = (c->kw - 1) * c->dw + 1 + PICK(20);
    int pmode = (int)PICK(6);
    if (pmode == 0)
        c->auto_pad = PICK(2) ? "SAME_UPPER" : "SAME_LOWER";
    else if (pmode == 1)
        c->auto_pad = "VALID";
    else if (pmode >= 4)
        for (int i = 0; i < 4; i++)
            c->pads[i] = PICK((i % 2 ? c->kw : c->kh));
    if (c->nsp == 1)
        c->pads[0] = c->pads[2] = 0;
    c->bias = PICK(3) != 0;
    c->fused = PICK(2) != 0;
    c->res = c->fused && PICK(2);
    c->act = c->fused ? k_acts[PICK(8)] : "";
    c->n_slope = PICK(2) ? 1 : (int)c->m;
#undef PICK
}

static void fixed_cases(ert_threadpool *pool)
{
    const ccase cs[] = {
        /* ResNet-like: 1x1 stride 1 (gemm1x1), 3x3 pad 1, 7x7 stride 2 pad 3 */
        {2, 2, 64, 32, 14, 14, 1, 1, 1, 1, 1, 1, {0}, NULL, 1, true, true, true, "Relu", 1},
        {2, 1, 32, 48, 15, 13, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, true, true, true, "Relu", 1},
        {2, 1, 3, 16, 29, 31, 7, 7, 2, 2, 1, 1, {3, 3, 3, 3}, NULL, 1, true, false, false, "", 1},
        /* 1x1 with stride 2 (im2col only), deep K over several K blocks */
        {2, 2, 300, 9, 9, 11, 1, 1, 2, 2, 1, 1, {0}, NULL, 1, false, false, false, "", 1},
        {2, 1, 67, 20, 9, 9, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, true, false, false, "", 1},
        /* SAME_UPPER with stride 3 > kernel 1 (negative pads) */
        {2, 1, 5, 7, 10, 11, 1, 1, 3, 3, 1, 1, {0}, "SAME_UPPER", 1, true, false, false, "", 1},
        /* grouped, dilated, PRelu per channel */
        {2, 2, 6, 9, 12, 10, 3, 3, 1, 2, 2, 2, {2, 1, 0, 2}, NULL, 3, true, true, true, "PRelu", 9},
        /* depthwise: declined; 3-D: declined */
        {2, 1, 8, 8, 9, 9, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 8, true, false, false, "", 1},
        /* 1x1 conv with one channel / one output / one pixel */
        {2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, {0}, NULL, 1, true, true, false, "Sigmoid", 1},
        /* pytorch-operator/test_operator_conv: N = 1824 spans several column blocks */
        {2, 20, 16, 13, 50, 40, 3, 3, 1, 1, 1, 1, {0}, NULL, 1, false, false, false, "", 1},
        /* 1-D */
        {1, 2, 5, 6, 1, 23, 1, 3, 1, 2, 1, 1, {0, 1, 0, 2}, NULL, 1, true, true, false, "Clip", 1},
        /* few outputs (conv.rows): a depth/mask head, K not a multiple of 4, several column
         * blocks with a tail; 3 outputs with residual; grouped with 2 outputs per group */
        {2, 1, 16, 1, 41, 37, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, true, true, false, "Sigmoid",
         1},
        {2, 2, 7, 3, 23, 29, 3, 3, 2, 1, 1, 1, {1, 0, 1, 2}, NULL, 1, true, true, true, "Relu", 1},
        {2, 1, 6, 4, 30, 31, 1, 1, 1, 1, 1, 1, {0}, NULL, 2, false, true, true, "PRelu", 4},
        /* stems (conv.direct): YOLOv5 6x6/2, MobileNet 3x3/2 + Clip, ResNet 7x7/2 with
         * an odd width and a residual, 16 channels 3x3/2 + SiLU, 5x5 dilated, stride 3,
         * output widths past 3 vectors with tails, M not a multiple of the block */
        {2, 1, 3, 16, 66, 70, 6, 6, 2, 2, 1, 1, {2, 2, 2, 2}, NULL, 1, true, true, false, "Sigmoid", 1},
        {2, 1, 3, 32, 35, 33, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, NULL, 1, true, true, false, "Clip", 1},
        {2, 2, 3, 13, 45, 103, 7, 7, 2, 2, 1, 1, {3, 3, 3, 3}, NULL, 1, true, true, true, "Relu", 1},
        {2, 1, 16, 20, 21, 37, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, NULL, 1, true, true, false, "LeakyRelu", 1},
        {2, 1, 4, 9, 30, 29, 5, 5, 1, 1, 2, 2, {4, 4, 4, 4}, NULL, 1, false, true, true, "PRelu", 9},
        {2, 1, 2, 5, 31, 50, 3, 4, 3, 3, 1, 1, {0, 1, 2, 0}, NULL, 1, true, true, false, "Tanh", 1},
        {2, 1, 3, 8, 17, 17, 3, 3, 1, 1, 1, 1, {0}, "SAME_UPPER", 1, true, false, false, "", 1},
        /* conv.implicit: channels past the stems in two block groups with a partial
         * block (72 = 64 + 8 outputs), a 1x1/2 downsample with its residual, a 1x1 with
         * pads, a 7x7-like map whose virtual rows are wider than their output rows with
         * SiLU-like Sigmoid after the kernel, stride 3 x 2 with dilation */
        {2, 1, 40, 72, 29, 27, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, NULL, 1, true, true, true, "Relu", 1},
        {2, 2, 48, 80, 14, 13, 1, 1, 2, 2, 1, 1, {0}, NULL, 1, true, true, true, "Relu", 1},
        {2, 1, 20, 9, 6, 7, 1, 1, 1, 1, 1, 1, {1, 0, 1, 2}, NULL, 1, true, true, false, "Tanh", 1},
        {2, 2, 33, 17, 7, 7, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, true, true, true, "Sigmoid", 1},
        {2, 1, 24, 12, 23, 30, 5, 3, 3, 2, 2, 1, {2, 1, 3, 0}, NULL, 1, true, true, false, "PRelu", 12},
        /* ... and the heuristic's share: 3x3/2 with 40-wide output rows */
        {2, 1, 24, 40, 12, 80, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, NULL, 1, true, true, true, "Relu", 1},
        /* taps outside the image for whole row bands (conv.im2col leaves them out of the
         * band's GEMM): ASPP-like dilation 6 on a 10x9 map (bands of 6, 3, 6 taps), dilation
         * 12 on 7x8 (the centre tap only), pads so deep that the first rows see no tap at
         * all (the epilogue of zero) with groups, a dilated 1-D conv of one live tap */
        {2, 2, 24, 16, 10, 9, 3, 3, 1, 1, 6, 6, {6, 6, 6, 6}, NULL, 1, true, true, true, "Relu", 1},
        {2, 1, 17, 9, 7, 8, 3, 3, 1, 1, 12, 12, {12, 12, 12, 12}, NULL, 1, true, true, true,
         "Sigmoid", 1},
        {2, 2, 6, 12, 5, 7, 3, 3, 1, 1, 1, 1, {6, 1, 0, 1}, NULL, 2, true, true, true, "PRelu", 12},
        {2, 1, 12, 20, 9, 11, 3, 3, 2, 1, 4, 1, {9, 1, 0, 1}, NULL, 1, true, true, true, "Relu", 1},
        {1, 1, 5, 8, 1, 9, 1, 3, 1, 1, 1, 10, {0, 10, 0, 10}, NULL, 1, true, false, false, "", 1},
        /* rows x columns regions (each of >= 256 pixels; narrow ones through the output
         * tile, the residual gathered into it): dilation 24 on 64x64, and grouped with a
         * batch of 2, PRelu, on 64x60 at dilations 24 x 20 */
        {2, 1, 3, 5, 64, 64, 3, 3, 1, 1, 24, 24, {24, 24, 24, 24}, NULL, 1, true, true, true,
         "Relu", 1},
        {2, 2, 4, 6, 64, 60, 3, 3, 1, 1, 24, 20, {24, 20, 24, 20}, NULL, 2, true, true, true,
         "PRelu", 6},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        run_case(&cs[i], NULL, 100u + (unsigned)i);
        run_case(&cs[i], pool, 200u + (unsigned)i);
    }
}

/* conv.implicit refuses at plan (not at run) an input whose one-row staging exceeds its
 * 32-bit tap offsets (reachable when the shape was not known at load), naming the node. */
static void check_stage_limit(void)
{
    ccase c = {2, 1, 17, 4, 5, 9, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, false, false, false,
               "", 1};
    const ert_kernel *kn = ert_conv_implicit_kernels[0];
    if (!kn || kn->isa > ert_cpu_get()->best)
        return; /* x86 only, and the first entry needs AVX-512 */
    net t;
    build(&t, &c, 7);
    void *packed = NULL;
    ert_err err = {{0}};
    g_cases++;
    if (!kn->supports(&t.node, &t.g) || kn->pack(&t.node, &t.g, &packed, &err)) {
        g_fail++;
        fprintf(stderr, "FAIL stage limit: %s does not take the small case\n", kn->name);
        free_net(&t);
        return;
    }
    t.v[VX].t.dims[3] = 50000000; /* 17 x 3 rows x 50M columns: > 2^31 floats; no data read */
    ert_tensor y = {0}, *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_kctx k = make_ctx(&t, in, out, &y, &err);
    static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    size_t ws = 0;
    k.packed = packed;
    k.params = params;
    ert_status st = kn->plan(&k, &ws);
    if (st != ERT_ERR_UNSUPPORTED || !strstr(err.msg, "exceeds 2^31") ||
        !strstr(err.msg, t.node.name)) {
        g_fail++;
        fprintf(stderr, "FAIL stage limit: status %d, message '%s'\n", (int)st, err.msg);
    }
    kn->free_packed(packed);
    t.v[VX].t.dims[3] = c.w;
    free_net(&t);
}

/* 3-D convs: every kernel declines (the reference runs them). */
static void check_3d(void)
{
    net t;
    ccase c = {2, 1, 2, 2, 4, 4, 1, 1, 1, 1, 1, 1, {0}, NULL, 1, false, false, false, "", 1};
    build(&t, &c, 1);
    int64_t xd[5] = {1, 2, 3, 4, 4}, wd[5] = {2, 2, 1, 1, 1};
    t.v[VX].t.rank = t.v[VW].t.rank = 5;
    memcpy(t.v[VX].t.dims, xd, sizeof xd);
    memcpy(t.v[VW].t.dims, wd, sizeof wd);
    t.node.n_attrs = 0;
    for (const ert_kernel *const *kp = ert_conv_gemm_kernels; *kp; kp++) {
        g_cases++;
        if ((*kp)->supports(&t.node, &t.g)) {
            g_fail++;
            fprintf(stderr, "FAIL %s claims a 3-D conv\n", (*kp)->name);
        }
    }
    free_net(&t);
}

/* The table hands out the family for Conv (most promising first at the best level). */
static void check_table(void)
{
    net t;
    ccase c = {2, 1, 8, 8, 5, 5, 1, 1, 1, 1, 1, 1, {0}, NULL, 1, false, false, false, "", 1};
    build(&t, &c, 1);
    const ert_kernel *ks[16];
    int n = ert_cpu_kernels(&t.node, &t.g, ert_cpu_get()->best, ks, 16);
    bool found = false;
    for (int i = 0; i < n; i++)
        found |= strstr(ks[i]->name, "conv.gemm1x1.") == ks[i]->name;
    g_cases++;
    if (!found || !ert_cpu_kernel_by_name("conv.im2col.generic")) {
        g_fail++;
        fprintf(stderr, "FAIL kernel table lacks the conv GEMM kernels\n");
    }
    /* an ISA cap hides the kernels above it */
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
    list_kernels();
    ert_threadpool *pool = NULL;
    if (ert_threadpool_create(3, NULL, &pool)) {
        fprintf(stderr, "thread pool: out of memory\n");
        return 1;
    }
    check_table();
    check_3d();
    check_stage_limit();
    fixed_cases(pool);
    unsigned seed = 12345u;
    for (int i = 0; i < 300; i++) {
        ccase c;
        random_case(&seed, &c);
        run_case(&c, i % 2 ? pool : NULL, 1000u + (unsigned)i);
    }
    ert_threadpool_free(pool);
    printf("%d kernel runs, %d failed\n", g_cases, g_fail);
    return g_fail ? 1 : 0;
}
