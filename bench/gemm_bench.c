/*
 * gemm_bench.c - micro-benchmark of the packed SGEMM (src/kernels/gemm/) on ResNet-50's
 * convolution shapes as GEMMs (M = output channels, N = output pixels, K = C x kh x kw),
 * at every ISA level the CPU supports, one thread. Reports GFLOP/s and the fraction of
 * the single-core FMA peak measured in the same run (independent FMA chains, as
 * /work/shared/tools/peak_flops.c does), so numbers from different machines compare.
 *
 *   <build>/gemm_bench [--isa generic|avx2|avx512] [--seconds S] [--filter NAME]
 *
 * Not a test: it checks nothing but that the kernels run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/cpu.h"
#include "kernels/gemm/gemm.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
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

/* Best of 5 runs of ~0.1 s: GFLOP/s of one core at this ISA level's vector width
 * (GENERIC: 4-wide SSE mul+add, half the FMA rate of an xmm FMA = the AVX2 peak / 4). */
static double measure_peak(ert_isa isa)
{
    double best = 0.0;
#if defined(__x86_64__) && defined(__GNUC__)
    for (int r = 0; r < 5; r++) {
        double g = isa == ERT_ISA_AVX512 ? peak_avx512(20000000) : peak_avx2(20000000);
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

typedef struct shape {
    const char *name;
    int64_t M, N, K;
} shape;

/* ResNet-50 (224x224) convolutions as GEMMs; every distinct (M, N, K) of the network. */
static const shape k_shapes[] = {
    {"conv1 7x7/2 3->64 @112", 64, 12544, 147},
    {"1x1 64->64 @56", 64, 3136, 64},
    {"3x3 64->64 @56", 64, 3136, 576},
    {"1x1 64->256 @56", 256, 3136, 64},
    {"1x1 256->64 @56", 64, 3136, 256},
    {"1x1 256->128 @56", 128, 3136, 256},
    {"3x3 128->128 @28", 128, 784, 1152},
    {"1x1 128->512 @28", 512, 784, 128},
    {"1x1 512->128 @28", 128, 784, 512},
    {"3x3 256->256 @14", 256, 196, 2304},
    {"1x1 256->1024 @14", 1024, 196, 256},
    {"1x1 1024->256 @14", 256, 196, 1024},
    {"3x3 512->512 @7", 512, 49, 4608},
    {"1x1 512->2048 @7", 2048, 49, 512},
    {"1x1 2048->512 @7", 512, 49, 2048},
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
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc && ert_isa_parse(argv[i + 1], &isa))
            only = (int)isa, i++;
        else {
            fprintf(stderr, "usage: gemm_bench [--isa generic|avx2|avx512] [--seconds S] "
                            "[--filter NAME]\n");
            return 2;
        }
    }
    const ert_cpu *cpu = ert_cpu_get();
    printf("cpu: %s (%s), best ISA %s\n", cpu->brand, cpu->vendor, ert_isa_name(cpu->best));
    for (int lvl = cpu->best; lvl >= ERT_ISA_GENERIC; lvl--) {
        if (lvl == ERT_ISA_NEON || (only >= 0 && lvl != only))
            continue;
        ert_isa isa = (ert_isa)lvl;
        double peak = measure_peak(isa);
        ert_sgemm_tile t = ert_sgemm_tile_of(isa);
        printf("\n[%s] tile %dx%d, 1-core peak %.1f GFLOP/s\n", ert_isa_name(isa), t.mr, t.nr,
               peak);
        printf("%-26s %6s %6s %6s %9s %7s\n", "shape", "M", "N", "K", "GFLOP/s", "%peak");
        for (size_t i = 0; i < sizeof k_shapes / sizeof k_shapes[0]; i++) {
            const shape *s = &k_shapes[i];
            if (filter && !strstr(s->name, filter))
                continue;
            double g = bench_shape(isa, s, seconds);
            printf("%-26s %6lld %6lld %6lld %9.1f %6.1f%%\n", s->name, (long long)s->M,
                   (long long)s->N, (long long)s->K, g, peak > 0 ? 100.0 * g / peak : 0.0);
            fflush(stdout);
        }
    }
    return 0;
}
