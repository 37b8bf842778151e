/*
 * test_act_bench.c - micro-benchmark of the non-GEMM fast kernels (act, eltwise, dwconv,
 * pool) against the ops' reference kernels, measured in the same process on the same
 * data: min-of-N wall time per call, and the ratio. Not a test (prints only); shapes are
 * the ones that dominate MobileNet/YOLO/ViT-style models after the GEMM convs.
 * usage: test_act_bench [threads] [reps]
 */
#include <time.h>

#include "test_act_util.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int g_reps = 20;
static ert_threadpool *g_pool;

/* min time of the reference run() */
static double time_ref(th_case *c)
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_err err = {0};
    ert_kctx k;
    th_kctx(c, &k, in, out, &err);
    out[0] = &c->ref;
    double best = 1e9;
    for (int r = 0; r < (g_reps + 3) / 4; r++) {
        double t0 = now_s();
        c->node.op->run(&k);
        double t = now_s() - t0;
        best = t < best ? t : best;
    }
    return best;
}

static double time_kernel(th_case *c, const ert_kernel *kern)
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_err err = {0};
    ert_kctx k;
    th_kctx(c, &k, in, out, &err);
    ert_tensor y = c->ref;
    y.data = malloc(c->ref.nbytes + 64);
    out[0] = &y;
    static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    void *packed = NULL, *ws = NULL;
    size_t wsb = 0;
    double best = -1;
    k.params = params;
    k.pool = g_pool;
    if ((kern->pack && kern->pack(&c->node, &c->g, &packed, &err)) ||
        (k.packed = packed, kern->plan && kern->plan(&k, &wsb)))
        goto done;
    ws = wsb ? aligned_alloc(64, (wsb + 63) / 64 * 64) : NULL;
    k.ws = ws;
    k.ws_bytes = wsb;
    kern->run(&k);
    best = 1e9;
    for (int r = 0; r < g_reps; r++) {
        double t0 = now_s();
        kern->run(&k);
        double t = now_s() - t0;
        best = t < best ? t : best;
    }
done:
    if (packed && kern->free_packed)
        kern->free_packed(packed);
    free(ws);
    free(y.data);
    return best;
}

static void bench(th_case *c, const char *prefix)
{
    if (th_reference(c) != 0)
        return;
    double tr = time_ref(c);
    printf("%-44s ref %9.1f us", c->desc, tr * 1e6);
    ert_isa best = ert_cpu_get()->best;
    for (int isa = ERT_ISA_GENERIC; isa <= (int)best && isa <= ERT_ISA_AVX512; isa++) {
        const ert_kernel *ks[4];
        int n = th_kernels(c, (ert_isa)isa, prefix, ks, 4);
        for (int i = 0; i < n; i++) { /* every candidate of this level (tactics side by side) */
            if (ks[i]->isa != (ert_isa)isa)
                continue;
            double t = time_kernel(c, ks[i]);
            printf("  %s %8.1f us (x%.1f)", ks[i]->name + strlen(prefix), t * 1e6, tr / t);
        }
    }
    printf("\n");
    th_free(c);
}

static void unary(const char *op, int version, int rank, const int64_t *d, const char *sattr,
                  const char *sval)
{
    th_case c;
    th_init(&c, "", op, version);
    snprintf(c.desc, sizeof c.desc, "%s%s%s %lld", op, sval ? " " : "", sval ? sval : "",
             (long long)(d[0] * (rank > 1 ? d[1] : 1) * (rank > 2 ? d[2] : 1) *
                         (rank > 3 ? d[3] : 1)));
    if (sattr)
        th_attr_string(&c, sattr, sval);
    th_input(&c, rank, d, NULL, false, -6, 6);
    bench(&c, "unary.");
}

static void binary(const char *op, int ra, const int64_t *da, int rb, const int64_t *db,
                   const char *what)
{
    th_case c;
    th_init(&c, "", op, 14);
    snprintf(c.desc, sizeof c.desc, "%s %s", op, what);
    th_input(&c, ra, da, NULL, false, -1, 1);
    th_input(&c, rb, db, NULL, false, 0.5f, 2);
    bench(&c, "binary.");
}

static void dw(int64_t ch, int64_t hw, int64_t k, int64_t s, const char *act)
{
    th_case c;
    th_init(&c, act ? "edgert" : "", act ? "FusedConv" : "Conv", act ? 1 : 11);
    snprintf(c.desc, sizeof c.desc, "dw %lldx%lld s%lld C%lld %lld^2%s%s", (long long)k,
             (long long)k, (long long)s, (long long)ch, (long long)hw, act ? " +" : "",
             act ? act : "");
    static int64_t ks[2], st[2], pads[4];
    ks[0] = ks[1] = k;
    st[0] = st[1] = s;
    pads[0] = pads[1] = pads[2] = pads[3] = k / 2;
    th_attr_int(&c, "group", ch);
    th_attr_ints(&c, "kernel_shape", ks, 2);
    th_attr_ints(&c, "strides", st, 2);
    th_attr_ints(&c, "pads", pads, 4);
    if (act)
        th_attr_string(&c, "activation", act);
    int64_t xd[4] = {1, ch, hw, hw}, wd[4] = {ch, 1, k, k}, bd[1] = {ch};
    th_input(&c, 4, xd, NULL, false, -1, 1);
    th_input(&c, 4, wd, NULL, true, -1, 1);
    th_input(&c, 1, bd, NULL, true, -1, 1);
    bench(&c, "dwconv.");
}

static void pool(const char *op, int64_t ch, int64_t hw, int64_t k, int64_t s)
{
    th_case c;
    bool global = k == 0;
    th_init(&c, "", op, global ? 1 : 12);
    snprintf(c.desc, sizeof c.desc, "%s %lld s%lld C%lld %lld^2", op, (long long)k,
             (long long)s, (long long)ch, (long long)hw);
    static int64_t ks[2], st[2], pads[4];
    ks[0] = ks[1] = k;
    st[0] = st[1] = s;
    pads[0] = pads[1] = pads[2] = pads[3] = k / 2;
    if (!global) {
        th_attr_ints(&c, "kernel_shape", ks, 2);
        th_attr_ints(&c, "strides", st, 2);
        th_attr_ints(&c, "pads", pads, 4);
    }
    int64_t xd[4] = {1, ch, hw, hw};
    th_input(&c, 4, xd, NULL, false, -1, 1);
    bench(&c, global ? "globalpool." : "pool.");
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 1;
    g_reps = argc > 2 ? atoi(argv[2]) : 20;
    if (ert_threadpool_create(threads, NULL, &g_pool) != ERT_OK)
        return 2;
    printf("threads %d, min of %d runs\n", threads, g_reps);
    int64_t act4[4] = {1, 64, 80, 80}, vit[3] = {1, 197, 768};
    unary("Relu", 14, 4, act4, NULL, NULL);
    unary("Sigmoid", 13, 4, act4, NULL, NULL);
    unary("Swish", 24, 4, act4, NULL, NULL);
    unary("Tanh", 13, 4, act4, NULL, NULL);
    unary("HardSwish", 14, 4, act4, NULL, NULL);
    unary("Gelu", 20, 3, vit, NULL, NULL);
    unary("Gelu", 20, 3, vit, "approximate", "tanh");
    int64_t ch[3] = {64, 1, 1}, row[1] = {768}, one[1] = {1};
    binary("Add", 4, act4, 4, act4, "same 409600");
    binary("Mul", 4, act4, 3, ch, "per-channel [64,1,1]");
    binary("Div", 4, act4, 0, one, "scalar");
    binary("Add", 3, vit, 1, row, "row [768]");
    dw(32, 112, 3, 1, NULL);
    dw(96, 112, 3, 2, NULL);
    dw(144, 56, 3, 1, "Relu");
    dw(240, 28, 5, 1, "Silu");
    dw(480, 14, 5, 2, NULL);
    dw(144, 56, 3, 2, "Relu");
    dw(192, 28, 3, 1, "Relu");
    dw(384, 14, 3, 1, "Relu");
    dw(960, 7, 3, 1, "Relu");
    dw(672, 14, 5, 1, "Silu");
    pool("MaxPool", 64, 112, 3, 2);
    pool("AveragePool", 64, 56, 3, 1);
    pool("MaxPool", 256, 20, 5, 1);
    pool("GlobalAveragePool", 1280, 7, 0, 1);
    ert_threadpool_free(g_pool);
    return 0;
}
