/*
 * test_dwconv.c - dwconv.<isa> (src/kernels/dwconv/) against Conv's and FusedConv's
 * reference kernels at every ISA level, guard-page buffers, a 3-thread pool
 * (ERT_TEST_THREADS overrides it; qemu runs use 1):
 * kernel sizes 1..7 (3x3 and 5x5 fast paths, non-square), strides 1/2/3 (mixed),
 * dilations, explicit asymmetric pads, auto_pad SAME_UPPER/SAME_LOWER/VALID, odd sizes
 * (1, 5, 17, 33 and one wide row), channel counts 2..19, batch 2, with and without bias;
 * FusedConv with each activation, the residual Z and per-channel / shared PRelu slopes.
 * 1-D depthwise convs over the same ranges. A channel multiplier > 1 and group 1 are
 * declined. gconv.<isa> (grouped convs of <= 16 channels per group, a multiplier too) on
 * the same matrix of geometries and epilogues (grouped()).
 * Tolerance: 2e-5 absolute + 1e-5 relative: float accumulation of <= 49 products of
 * values in [-1, 1] against conv.c's double accumulation (plus act.c's error).
 */
#include "test_act_util.h"

/* every level has its own dwconv.<isa>: generic, avx2, avx512 on x86, neon on AArch64 */
#define TH_OWN (TH_ALL | TH_NEON)

static ert_threadpool *g_pool;
static int g_ran;

typedef struct dwc {
    int64_t n, c, h, w, kh, kw;
    int64_t s[2], d[2], pads[4];
    const char *auto_pad; /* NULL: explicit pads */
    bool bias;
    const char *act;      /* FusedConv activation (NULL: Conv) */
    bool z, prelu_shared;
    int64_t cg, mg;       /* gconv: input / output channels per group (0: depthwise) */
} dwc;

static void run_case(const dwc *t)
{
    th_case c;
    bool fused = t->act != NULL || t->z;
    th_init(&c, fused ? "edgert" : "", fused ? "FusedConv" : "Conv", fused ? 1 : 11);
    snprintf(c.desc, sizeof c.desc,
             "%s N%lld C%lld %lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld p%lld,%lld,%lld,%lld %s%s %s%s",
             fused ? "FusedConv" : "Conv", (long long)t->n, (long long)t->c, (long long)t->h,
             (long long)t->w, (long long)t->kh, (long long)t->kw, (long long)t->s[0],
             (long long)t->s[1], (long long)t->d[0], (long long)t->d[1], (long long)t->pads[0],
             (long long)t->pads[1], (long long)t->pads[2], (long long)t->pads[3],
             t->auto_pad ? t->auto_pad : "", t->bias ? " bias" : "", t->act ? t->act : "",
             t->z ? " +Z" : "");
    int64_t ks[2] = {t->kh, t->kw}, s[2] = {t->s[0], t->s[1]}, d[2] = {t->d[0], t->d[1]};
    int64_t pads[4] = {t->pads[0], t->pads[1], t->pads[2], t->pads[3]};
    int64_t cg = t->cg ? t->cg : 1, mg = t->cg ? t->mg : 1, m = t->c / cg * mg;
    const char *prefix = t->cg ? "gconv." : "dwconv.";
    if (t->cg) {
        size_t l = strlen(c.desc);
        snprintf(c.desc + l, sizeof c.desc - l, " cg%lld mg%lld", (long long)cg, (long long)mg);
    }
    th_attr_int(&c, "group", t->c / cg);
    th_attr_ints(&c, "kernel_shape", ks, 2);
    th_attr_ints(&c, "strides", s, 2);
    th_attr_ints(&c, "dilations", d, 2);
    if (t->auto_pad)
        th_attr_string(&c, "auto_pad", t->auto_pad);
    else
        th_attr_ints(&c, "pads", pads, 4);
    if (t->act)
        th_attr_string(&c, "activation", t->act);
    float ap[2] = {-0.4f, 0.7f};
    if (t->act && (!strcmp(t->act, "Clip") || !strcmp(t->act, "HardSigmoid")))
        th_attr_floats(&c, "activation_params", ap, 2);
    if (t->act && (!strcmp(t->act, "LeakyRelu") || !strcmp(t->act, "Elu")))
        th_attr_floats(&c, "activation_params", ap + 1, 1);
    int64_t xd[4] = {t->n, t->c, t->h, t->w}, wd[4] = {m, cg, t->kh, t->kw}, bd[1] = {m};
    th_input(&c, 4, xd, NULL, false, -1, 1);
    th_input(&c, 4, wd, NULL, true, -1, 1);
    if (t->bias)
        th_input(&c, 1, bd, NULL, true, -1, 1);
    else if (fused)
        th_skip(&c);
    bool prelu = t->act && !strcmp(t->act, "PRelu");
    if (t->z || prelu) {
        /* Z has Y's shape: infer it first through a Conv-only reference */
        if (t->z) {
            th_case probe = c;
            probe.node.op = ert_op_find("", "Conv"); /* Y's shape is Conv's */
            probe.n_in = probe.n_in < 3 ? probe.n_in : 3;
            probe.node.n_inputs = probe.n_in;
            probe.node.inputs = probe.ins;
            probe.node.attrs = probe.attrs;
            probe.g.values = probe.vals;
            probe.g.nodes = &probe.node;
            ert_tensor *in[ERT_KCTX_MIN_SLOTS] = {0}, y = {0}, *out[ERT_KCTX_MIN_SLOTS] = {&y};
            ert_err err = {0};
            ert_kctx k;
            th_kctx(&probe, &k, in, out, &err);
            out[0] = &y;
            if (probe.node.op->infer(&k) != ERT_OK) {
                fprintf(stderr, "%s: probe infer failed: %s\n", c.desc, err.msg);
                g_fail++;
                th_free(&c);
                return;
            }
            th_input(&c, y.rank, y.dims, NULL, false, -1, 1);
        } else {
            th_skip(&c);
        }
        if (prelu) {
            int64_t sd[1] = {t->prelu_shared ? 1 : m};
            th_input(&c, 1, sd, NULL, true, -1, 1);
        }
    }
    if (th_reference(&c) == 0)
        g_ran += th_all_isas(&c, prefix, g_pool, 2e-5f, 1e-5f, TH_OWN, false);
    else
        g_fail++;
    th_free(&c);
}

static dwc base(int64_t c, int64_t h, int64_t w, int64_t k, int64_t s, int64_t p)
{
    dwc t = {.n = 1, .c = c, .h = h, .w = w, .kh = k, .kw = k, .s = {s, s}, .d = {1, 1},
             .pads = {p, p, p, p}, .bias = true};
    return t;
}

static void shapes(void)
{
    static const int64_t sizes[][2] = {{1, 1}, {5, 5}, {17, 17}, {33, 19}, {7, 70}, {3, 41}};
    for (int64_t k = 1; k <= 7; k++)
        for (int64_t s = 1; s <= 3; s++)
            for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
                dwc t = base(k % 2 ? 3 : 2, sizes[si][0], sizes[si][1], k, s, k / 2);
                if (t.h + 2 * t.pads[0] < k || t.w + 2 * t.pads[1] < k)
                    continue;
                run_case(&t);
                t.pads[0] = 0, t.pads[1] = k - 1, t.pads[2] = k > 1 ? 1 : 0, t.pads[3] = 0;
                t.bias = false;
                if (t.h + t.pads[0] + t.pads[2] >= k && t.w + t.pads[1] + t.pads[3] >= k)
                    run_case(&t);
            }
}

static void variants(void)
{
    dwc t = base(16, 20, 23, 3, 1, 1);
    t.n = 2;
    run_case(&t);
    t = base(19, 14, 15, 5, 2, 2);
    run_case(&t);
    t = base(4, 15, 31, 3, 1, 2); /* dilation 2 */
    t.d[0] = t.d[1] = 2;
    run_case(&t);
    t.s[1] = 2; /* mixed strides, dilated */
    run_case(&t);
    /* planes larger than one L1 band (dwconv.c DW_BAND_BYTES): several bands, with the
     * top/bottom padding rows and the odd last band */
    t = base(2, 121, 64, 3, 1, 1);
    run_case(&t);
    t = base(2, 151, 70, 5, 2, 2);
    run_case(&t);
    t = base(3, 130, 200, 3, 1, 2);
    t.d[0] = t.d[1] = 2;
    run_case(&t);
    t = base(2, 97, 300, 7, 3, 3);
    t.act = "Relu"; /* FusedConv over bands, residual too */
    t.z = true;
    run_case(&t);
    t = base(5, 12, 13, 3, 1, 0);
    t.kw = 5; /* 3x5 */
    t.s[0] = 2;
    run_case(&t);
    static const char *const ap[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
    for (int a = 0; a < 3; a++)
        for (int64_t s = 1; s <= 3; s++) {
            t = base(3, 10, 11, s == 3 ? 2 : 3, s, 0);
            t.auto_pad = ap[a];
            run_case(&t);
        }
}

static void fused(void)
{
    static const char *const acts[] = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "Silu",
                                       "HardSigmoid", "HardSwish", "Gelu", "GeluTanh",
                                       "Tanh", "Elu", "PRelu"};
    for (size_t a = 0; a < sizeof acts / sizeof acts[0]; a++)
        for (int z = 0; z < 2; z++) {
            dwc t = base(6, 9, 21, a % 2 ? 5 : 3, 1 + (int64_t)(a % 3 == 0), 1);
            t.act = acts[a];
            t.z = z;
            run_case(&t);
        }
    dwc t = base(6, 9, 21, 3, 1, 1);
    t.act = "PRelu";
    t.prelu_shared = true;
    run_case(&t);
    t.act = NULL;
    t.z = true; /* FusedConv with residual only */
    run_case(&t);
}

/* 1-D depthwise (NCW): kernel 1..7, strides 1..3, dilation 1..2, pads. */
static void one_d(void)
{
    for (int64_t k = 1; k <= 7; k += 2)
        for (int64_t s = 1; s <= 3; s++)
            for (int64_t d = 1; d <= 2; d++) {
                th_case c;
                th_init(&c, "", "Conv", 11);
                snprintf(c.desc, sizeof c.desc, "Conv1d C5 W61 k%lld s%lld d%lld", (long long)k,
                         (long long)s, (long long)d);
                int64_t ks[1] = {k}, st[1] = {s}, dl[1] = {d}, pads[2] = {k / 2, k - 1};
                th_attr_int(&c, "group", 5);
                th_attr_ints(&c, "kernel_shape", ks, 1);
                th_attr_ints(&c, "strides", st, 1);
                th_attr_ints(&c, "dilations", dl, 1);
                th_attr_ints(&c, "pads", pads, 2);
                int64_t xd[3] = {2, 5, 61}, wd[3] = {5, 1, k}, bd[1] = {5};
                th_input(&c, 3, xd, NULL, false, -1, 1);
                th_input(&c, 3, wd, NULL, true, -1, 1);
                th_input(&c, 1, bd, NULL, true, -1, 1);
                if (th_reference(&c) == 0)
                    g_ran += th_all_isas(&c, "dwconv.", g_pool, 2e-5f, 1e-5f, TH_OWN, false);
                th_free(&c);
            }
}

static void declined(void)
{
    const ert_kernel *ks[4];
    th_case c;
    /* multiplier 2: W [2C, 1, 3, 3] with group C */
    th_init(&c, "", "Conv", 11);
    int64_t xd[4] = {1, 3, 8, 8}, wd[4] = {6, 1, 3, 3}, ks3[2] = {3, 3};
    th_attr_int(&c, "group", 3);
    th_attr_ints(&c, "kernel_shape", ks3, 2);
    th_input(&c, 4, xd, NULL, false, -1, 1);
    th_input(&c, 4, wd, NULL, true, -1, 1);
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "dwconv.", ks, 4) == 0, "multiplier 2 accepted");
    th_free(&c);
    th_init(&c, "", "Conv", 11);
    int64_t wd1[4] = {4, 3, 3, 3};
    th_input(&c, 4, xd, NULL, false, -1, 1);
    th_input(&c, 4, wd1, NULL, true, -1, 1);
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "dwconv.", ks, 4) == 0, "group 1 accepted");
    th_free(&c);
}

/* gconv.<isa>: grouped convs, cg input and mg output channels per group (ResNeXt's 4,
 * RegNet's 8-16, a depthwise multiplier: cg 1), strides, dilations, pads, the fused
 * epilogue (bias only with the first input channel, Z, activations after the last). */
static void grouped(void)
{
    static const int64_t gs[][2] = {{2, 2}, {4, 4}, {3, 5}, {1, 2}, {8, 8}, {16, 16}, {4, 1}};
    for (size_t i = 0; i < sizeof gs / sizeof gs[0]; i++) {
        int64_t cg = gs[i][0], mg = gs[i][1], c = cg * (i % 2 ? 3 : 2);
        dwc t = base(c, 19, 37, 3, 1, 1);
        t.cg = cg, t.mg = mg;
        run_case(&t);
        t = base(c, 20, 40, 3, 2, 1);
        t.cg = cg, t.mg = mg, t.n = 2, t.bias = false;
        run_case(&t);
        t = base(c, 17, 33, 5, 1, 2);
        t.cg = cg, t.mg = mg, t.act = "Relu", t.z = true;
        run_case(&t);
        t = base(c, 16, 45, 3, 1, 2);
        t.cg = cg, t.mg = mg, t.d[0] = t.d[1] = 2, t.act = i % 2 ? "PRelu" : "Silu";
        run_case(&t);
        t = base(c, 9, 34, 1, 1, 0);
        t.cg = cg, t.mg = mg, t.kh = 3, t.kw = 1, t.s[0] = 2, t.auto_pad = "SAME_UPPER";
        run_case(&t);
    }
    dwc t = base(128, 56, 56, 3, 1, 1); /* ResNeXt-50 32x4d layer1 */
    t.cg = 4, t.mg = 4, t.act = "Relu";
    run_case(&t);
}

int main(void)
{
    if (ert_threadpool_create(th_pool_threads(3), NULL, &g_pool) != ERT_OK)
        return 2;
    shapes();
    variants();
    fused();
    one_d();
    declined();
    grouped();
    ert_threadpool_free(g_pool);
    printf("test_dwconv: %d kernel runs, %d failures\n", g_ran, g_fail);
    return g_fail ? 1 : 0;
}
