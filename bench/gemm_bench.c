/*
 * gemm_bench.c - micro-benchmark of the packed SGEMM (src/kernels/gemm/) on ResNet-50's
 * convolution shapes as GEMMs (M = output channels, N = output pixels, K = C x kh x kw),
 * at every ISA level the CPU supports, one thread: as bare GEMMs (B a plain matrix) and
 * through the conv kernels (conv.gemm1x1 / conv.im2col: the im2col packing included). Reports GFLOP/s and the fraction of
 * the single-core FMA peak measured in the same run (independent FMA chains, as
 * /work/shared/tools/peak_flops.c does), so numbers from different machines compare.
 *
 *   <build>/gemm_bench [--isa generic|avx2|avx512] [--seconds S] [--filter NAME]
 *       [--conv-kernel PREFIX]  (the conv column's kernel: conv.direct, conv.im2col, ...)
 *
 * Not a test: it checks nothing but that the kernels run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/conv/conv_direct.h"
#include "kernels/conv/conv_gemm.h"
#include "kernels/cpu.h"
#include "kernels/gemm/gemm.h"
#include "kernels/kernel.h"
#include "ops/op.h"

/* This thread's CPU time, not wall time: on a shared machine (the 2-core development VMs
 * run several builds at once) wall time counts the slices other processes take, CPU
 * time only what this thread ran. Peak and kernels are timed the same way, so the
 * ratio holds; caches shared with other processes still add noise. */
static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- peak: 12 independent FMA chains per ISA; the asm barriers keep the compiler from
 * merging identical chains. Function-level target attributes: no -m flags needed. ---- */

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

/* Twelve named accumulators (an array would live in memory across the barriers). */
#define PEAK_BODY(T, SET1, FMA, W)                                                        \
    T m = SET1(0.999999f), c = SET1(1e-7f), a0 = SET1(1.0f), a1 = a0, a2 = a0, a3 = a0;  \
    T a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0, a9 = a0, a10 = a0, a11 = a0;           \
    double t0 = now_s();                                                                  \
    for (long it = 0; it < iters; it++) {                                                 \
        a0 = FMA(a0, m, c); a1 = FMA(a1, m, c); a2 = FMA(a2, m, c); a3 = FMA(a3, m, c);   \
        a4 = FMA(a4, m, c); a5 = FMA(a5, m, c); a6 = FMA(a6, m, c); a7 = FMA(a7, m, c);   \
        a8 = FMA(a8, m, c); a9 = FMA(a9, m, c); a10 = FMA(a10, m, c); a11 = FMA(a11, m, c); \
        __asm__ volatile("" : "+v"(a0), "+v"(a1), "+v"(a2), "+v"(a3), "+v"(a4), "+v"(a5)); \
        __asm__ volatile("" : "+v"(a6), "+v"(a7), "+v"(a8), "+v"(a9), "+v"(a10), "+v"(a11)); \
    }                                                                                     \
    double dt = now_s() - t0;                                                             \
    T s = FMA(a0, a1, FMA(a2, a3, FMA(a4, a5, FMA(a6, a7, FMA(a8, a9, FMA(a10, a11, c)))))); \
    volatile float sink;                                                                  \
    memcpy((void *)&sink, &s, sizeof(float));                                             \
    return 12.0 * W * 2 * (double)iters / dt / 1e9;

__attribute__((target("avx512f"))) static double peak_avx512(long iters)
{
    PEAK_BODY(__m512, _mm512_set1_ps, _mm512_fmadd_ps, 16)
}

__attribute__((target("avx2,fma"))) static double peak_avx2(long iters)
{
    PEAK_BODY(__m256, _mm256_set1_ps, _mm256_fmadd_ps, 8)
}
#endif

/* Best of 5 bursts of ~10 ms: GFLOP/s of one core at this ISA level's vector width
 * (GENERIC: 4-wide SSE mul+add, half the FMA rate of an xmm FMA = the AVX2 peak / 4).
 * Short bursts, repeated between the shapes and the best kept, because a shared machine
 * steals whole time slices: the best burst is the one nobody interrupted. */
static double measure_peak(ert_isa isa)
{
    double best = 0.0;
#if defined(__x86_64__) && defined(__GNUC__)
    for (int r = 0; r < 5; r++) {
        double g = isa == ERT_ISA_AVX512 ? peak_avx512(2000000) : peak_avx2(2000000);
        best = g > best ? g : best;
    }
    if (isa == ERT_ISA_GENERIC)
        best /= 4.0;
#else
    (void)isa;
#endif
    return best;
}

/* ---- shapes ---- */

/* A ResNet-50 (224x224) convolution; as a GEMM M = cout, N = out^2, K = cin k^2. */
typedef struct shape {
    const char *name;
    int64_t cin, cout, in, k, stride, pad;
    int64_t M, N, K; /* derived (main) */
} shape;

/* Every distinct conv of the network (the downsampling 1x1/2 ones run as im2col). */
static shape k_shapes[] = {
    {"conv1 7x7/2 3->64 @112", 3, 64, 224, 7, 2, 3, 0, 0, 0},
    {"1x1 64->64 @56", 64, 64, 56, 1, 1, 0, 0, 0, 0},
    {"3x3 64->64 @56", 64, 64, 56, 3, 1, 1, 0, 0, 0},
    {"1x1 64->256 @56", 64, 256, 56, 1, 1, 0, 0, 0, 0},
    {"1x1 256->64 @56", 256, 64, 56, 1, 1, 0, 0, 0, 0},
    {"1x1 256->128 @56", 256, 128, 56, 1, 1, 0, 0, 0, 0},
    {"3x3/2 128->128 @28", 128, 128, 56, 3, 2, 1, 0, 0, 0},
    {"3x3 128->128 @28", 128, 128, 28, 3, 1, 1, 0, 0, 0},
    {"1x1 128->512 @28", 128, 512, 28, 1, 1, 0, 0, 0, 0},
    {"1x1 512->128 @28", 512, 128, 28, 1, 1, 0, 0, 0, 0},
    {"3x3 256->256 @14", 256, 256, 14, 3, 1, 1, 0, 0, 0},
    {"1x1 256->1024 @14", 256, 1024, 14, 1, 1, 0, 0, 0, 0},
    {"1x1 1024->256 @14", 1024, 256, 14, 1, 1, 0, 0, 0, 0},
    {"3x3 512->512 @7", 512, 512, 7, 3, 1, 1, 0, 0, 0},
    {"1x1 512->2048 @7", 512, 2048, 7, 1, 1, 0, 0, 0, 0},
    {"1x1 2048->512 @7", 2048, 512, 7, 1, 1, 0, 0, 0, 0},
    {"3x3/2 16->32 @320 (YOLOv5n)", 16, 32, 320, 3, 2, 1, 0, 0, 0},
    {"3x3/2 32->64 @160 (YOLOv5n)", 32, 64, 160, 3, 2, 1, 0, 0, 0},
    {"1x1/2 256->512 @56 (downsample)", 256, 512, 56, 1, 2, 0, 0, 0, 0},
    {"1x1/2 512->1024 @28 (downsample)", 512, 1024, 28, 1, 2, 0, 0, 0, 0},
    {"1x1/2 1024->2048 @14 (downsample)", 1024, 2048, 14, 1, 2, 0, 0, 0, 0},
    {"1x1 16->64 @112 (MobileNetV3)", 16, 64, 112, 1, 1, 0, 0, 0, 0},
    {"1x1 16->64 @56", 16, 64, 56, 1, 1, 0, 0, 0, 0},
    {"1x1 16->64 @28", 16, 64, 28, 1, 1, 0, 0, 0, 0},
    {"1x1 64->64 @112", 64, 64, 112, 1, 1, 0, 0, 0, 0},
    {"1x1 16->16 @112 (MobileNetV3)", 16, 16, 112, 1, 1, 0, 0, 0, 0},
    {"1x1 32->16 @160 (YOLOv5n)", 32, 16, 160, 1, 1, 0, 0, 0, 0},
};

static void *xalloc(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) {
        fprintf(stderr, "gemm_bench: out of memory\n");
        exit(1);
    }
    return p;
}

static void fill(float *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        p[i] = (float)((seed >> 9) & 0xFFFF) / 65536.0f - 0.5f;
    }
}

/* GFLOP/s of C = relu(A*B + bias) for one shape: the best of repeated timed batches
 * lasting `seconds` in all. */
static double bench_shape(ert_isa isa, const shape *s, double seconds)
{
    float *A = xalloc(sizeof(float) * (size_t)(s->M * s->K));
    float *B = xalloc(sizeof(float) * (size_t)(s->K * s->N));
    float *C = xalloc(sizeof(float) * (size_t)(s->M * s->N));
    float *bias = xalloc(sizeof(float) * (size_t)s->M);
    float *pa = xalloc(sizeof(float) * ert_sgemm_packed_a_floats(isa, s->M, s->K));
    size_t wsb = ert_sgemm_ws_bytes(isa, s->M, s->N, s->K, 1);
    void *ws = xalloc(wsb);
    fill(A, (size_t)(s->M * s->K), 1);
    fill(B, (size_t)(s->K * s->N), 2);
    fill(bias, (size_t)s->M, 3);
    ert_sgemm_pack_a(isa, s->M, s->K, A, s->K, 1, pa);
    ert_sgemm_b b = {.data = B, .ld = s->N};
    ert_sgemm_epilogue ep = {.bias = bias, .act = {.kind = ERT_ACT_RELU}};
    double flops = 2.0 * (double)s->M * (double)s->N * (double)s->K, best = 0.0;
    int reps = 1;
    for (double spent = 0.0; spent < seconds;) {
        double t0 = now_s();
        for (int r = 0; r < reps; r++)
            ert_sgemm_packed(isa, s->M, s->N, s->K, pa, &b, C, s->N, &ep, ws, wsb, NULL);
        double dt = now_s() - t0;
        spent += dt;
        if (flops * reps / dt > best)
            best = flops * reps / dt;
        if (dt < 0.02)
            reps *= 2;
    }
    free(A);
    free(B);
    free(C);
    free(bias);
    free(pa);
    free(ws);
    return best / 1e9;
}

/* ---- the same shape through the conv kernels (im2col packing included) ---- */

typedef struct conv_net {
    ert_graph g;
    ert_value v[4];
    ert_node node;
    int inputs[3], outputs[1];
    ert_attr attrs[4];
    int64_t ks[2], st[2], pd[4];
} conv_net;

static void set_f32(ert_tensor *t, int rank, const int64_t *dims, float *data)
{
    memset(t, 0, sizeof *t);
    t->dtype = ERT_DTYPE_FLOAT32;
    t->rank = rank;
    memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
    t->data = data;
}

/* A one-node Conv graph (X, constant W and B -> Y) of shape s, batch 1. */
static void conv_net_build(conv_net *n, const shape *s, float *x, float *w, float *b)
{
    memset(n, 0, sizeof *n);
    int64_t xd[4] = {1, s->cin, s->in, s->in}, wd[4] = {s->cout, s->cin, s->k, s->k};
    int64_t bd[1] = {s->cout};
    set_f32(&n->v[0].t, 4, xd, x);
    set_f32(&n->v[1].t, 4, wd, w);
    set_f32(&n->v[2].t, 1, bd, b);
    n->v[0].kind = ERT_VALUE_INPUT;
    n->v[1].kind = n->v[2].kind = ERT_VALUE_CONST;
    for (int i = 0; i < 4; i++)
        n->v[i].name = (char *)"v";
    n->g.values = n->v;
    n->g.n_values = 4;
    n->ks[0] = n->ks[1] = s->k;
    n->st[0] = n->st[1] = s->stride;
    for (int i = 0; i < 4; i++)
        n->pd[i] = s->pad;
    n->attrs[0] = (ert_attr){.name = (char *)"kernel_shape", .type = ERT_ATTR_INTS, .n = 2,
                             .ints = n->ks};
    n->attrs[1] = (ert_attr){.name = (char *)"strides", .type = ERT_ATTR_INTS, .n = 2,
                             .ints = n->st};
    n->attrs[2] = (ert_attr){.name = (char *)"pads", .type = ERT_ATTR_INTS, .n = 4, .ints = n->pd};
    ert_node *nd = &n->node;
    nd->name = (char *)"conv";
    nd->op = ert_op_find("", "Conv");
    nd->version = 11;
    n->inputs[0] = 0, n->inputs[1] = 1, n->inputs[2] = 2, n->outputs[0] = 3;
    nd->inputs = n->inputs;
    nd->n_inputs = 3;
    nd->outputs = n->outputs;
    nd->n_outputs = 1;
    nd->attrs = n->attrs;
    nd->n_attrs = 3;
}

/* --conv-kernel PREFIX: the conv kernels whose names start with it (default conv.gemm1x1
 * and conv.im2col, the GEMM kernels). */
static const char *g_conv_kernel;

/* The first conv kernel at exactly this level that takes the node (and matches
 * --conv-kernel). */
static const ert_kernel *pick_kernel(ert_isa isa, const conv_net *n)
{
    const ert_kernel *const *lists[] = {ert_conv_gemm_kernels, ert_conv_direct_kernels,
                                        ert_conv_implicit_kernels};
    for (int l = 0; l < (g_conv_kernel ? 3 : 1); l++)
        for (const ert_kernel *const *k = lists[l]; *k; k++)
            if ((*k)->isa == isa && (*k)->supports(&n->node, &n->g) &&
                (!g_conv_kernel || !strncmp((*k)->name, g_conv_kernel, strlen(g_conv_kernel))))
                return *k;
    return NULL;
}

/* GFLOP/s of the conv kernel on shape s (bias, no activation); 0 if none applies. */
static double bench_conv(ert_isa isa, const shape *s, double seconds, const char **kname)
{
    int64_t nx = s->cin * s->in * s->in, nw = s->cout * s->K, ny = s->cout * s->N;
    float *x = xalloc(sizeof(float) * (size_t)nx), *w = xalloc(sizeof(float) * (size_t)nw);
    float *b = xalloc(sizeof(float) * (size_t)s->cout), *y = xalloc(sizeof(float) * (size_t)ny);
    fill(x, (size_t)nx, 5);
    fill(w, (size_t)nw, 6);
    fill(b, (size_t)s->cout, 7);
    conv_net n;
    conv_net_build(&n, s, x, w, b);
    const ert_kernel *kn = pick_kernel(isa, &n);
    double best = 0.0;
    void *packed = NULL, *ws = NULL;
    ert_err err;
    *kname = kn ? kn->name : "-";
    if (!kn || kn->pack(&n.node, &n.g, &packed, &err))
        goto done;
    int64_t o = (s->in + 2 * s->pad - s->k) / s->stride + 1, yd[4] = {1, s->cout, o, o};
    ert_tensor yt;
    set_f32(&yt, 4, yd, y);
    ert_tensor *in[ERT_KCTX_MIN_SLOTS] = {&n.v[0].t, &n.v[1].t, &n.v[2].t}, *out[ERT_KCTX_MIN_SLOTS] = {&yt};
    static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    ert_kctx k = {.node = &n.node, .version = 11, .n_in = 3, .in = in, .n_out = 1, .out = out,
                  .err = &err, .packed = packed, .params = params};
    size_t wsb = 0;
    if (kn->plan(&k, &wsb))
        goto done;
    ws = xalloc(wsb);
    k.ws = ws;
    k.ws_bytes = wsb;
    double flops = 2.0 * (double)s->M * (double)s->N * (double)s->K;
    int reps = 1;
    for (double spent = 0.0; spent < seconds;) {
        double t0 = now_s();
        for (int r = 0; r < reps; r++)
            kn->run(&k);
        double dt = now_s() - t0;
        spent += dt;
        best = flops * reps / dt > best ? flops * reps / dt : best;
        if (dt < 0.02)
            reps *= 2;
    }
done:
    if (kn && packed)
        kn->free_packed(packed);
    free(ws);
    free(x);
    free(w);
    free(b);
    free(y);
    return best / 1e9;
}

/* One ISA level: every shape as a bare GEMM and through its conv kernel; % of the best
 * peak burst seen during the level's run. */
static void bench_level(ert_isa isa, double seconds, const char *filter)
{
    enum { NS = sizeof k_shapes / sizeof k_shapes[0] };
    double gemm[NS] = {0}, conv[NS] = {0}, peak = measure_peak(isa);
    const char *names[NS] = {0};
    for (int i = 0; i < NS; i++) {
        if (filter && !strstr(k_shapes[i].name, filter))
            continue;
        gemm[i] = bench_shape(isa, &k_shapes[i], seconds);
        conv[i] = bench_conv(isa, &k_shapes[i], seconds, &names[i]);
        double p = measure_peak(isa);
        peak = p > peak ? p : peak;
    }
    ert_sgemm_tile t = ert_sgemm_tile_of(isa);
    printf("\n[%s] tile %dx%d, 1-core FMA peak %.1f GFLOP/s (best burst), 1 thread\n",
           ert_isa_name(isa), t.mr, t.nr, peak);
    printf("%-24s %5s %6s %5s %8s %6s %8s %6s  %s\n", "shape", "M", "N", "K", "gemm", "%peak",
           "conv", "%peak", "conv kernel");
    for (int i = 0; i < NS; i++) {
        const shape *s = &k_shapes[i];
        if (!names[i])
            continue;
        printf("%-24s %5lld %6lld %5lld %8.1f %5.1f%% %8.1f %5.1f%%  %s\n", s->name,
               (long long)s->M, (long long)s->N, (long long)s->K, gemm[i],
               peak > 0 ? 100.0 * gemm[i] / peak : 0.0, conv[i],
               peak > 0 ? 100.0 * conv[i] / peak : 0.0, names[i]);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    double seconds = 0.3;
    const char *filter = NULL;
    int only = -1;
    for (int i = 1; i < argc; i++) {
        ert_isa isa;
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
            filter = argv[++i];
        else if (!strcmp(argv[i], "--conv-kernel") && i + 1 < argc)
            g_conv_kernel = argv[++i];
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc && ert_isa_parse(argv[i + 1], &isa))
            only = (int)isa, i++;
        else {
            fprintf(stderr, "usage: gemm_bench [--isa generic|avx2|avx512] [--seconds S] "
                            "[--filter NAME] [--conv-kernel PREFIX]\n");
            return 2;
        }
    }
    const ert_cpu *cpu = ert_cpu_get();
    printf("cpu: %s (%s), best ISA %s\n", cpu->brand, cpu->vendor, ert_isa_name(cpu->best));
    for (size_t i = 0; i < sizeof k_shapes / sizeof k_shapes[0]; i++) {
        shape *s = &k_shapes[i];
        int64_t out = (s->in + 2 * s->pad - s->k) / s->stride + 1;
        s->M = s->cout;
        s->N = out * out;
        s->K = s->cin * s->k * s->k;
    }
    int top = cpu->best == ERT_ISA_NEON ? ERT_ISA_GENERIC : cpu->best; /* no NEON kernel yet */
    for (int lvl = top; lvl >= ERT_ISA_GENERIC; lvl--) {
        if (only >= 0 && lvl != only)
            continue;
        bench_level((ert_isa)lvl, seconds, filter);
    }
    return 0;
}
