/*
 * test_gemm.c - the packed SGEMM (src/kernels/gemm/) against ert_sgemm_ref at every ISA
 * level the CPU supports: M, N, K from 1 to 300 (tails around every tile size, odd
 * primes), strided and transposed A, C and R with leading dimensions above N (the gap
 * must stay untouched), plain and generated B, every epilogue kind, 1 thread and a pool.
 * All buffers are guard-page buffers (test_gemm_guard.h): a read or write past the end
 * faults.
 *
 * Tolerance: |got - want| <= 1e-5 * (sum_k |a||b| + |bias| + |r|) * max(1, |slope|)
 * + 1e-6 * |want| (float accumulation in a different order is within K * eps of the
 * magnitude sum; eps 6e-8 x K <= 300 is < 2e-5 of a worst case, 1e-5 covers typical
 * blocking; activations add < 5e-7 relative, act.c).
 */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "kernels/cpu.h"
#include "kernels/gemm/gemm.h"
#include "runtime/threadpool.h"
#include "test_gemm_guard.h"

static int g_fail, g_cases;

typedef struct gcase {
    int64_t M, N, K;
    bool a_trans;     /* A given column-major (a_rs = 1, a_cs = M) */
    int64_t ldc_pad;  /* B, C and R leading dims = N + pad */
    bool gen_b;       /* B through the row callback */
    ert_act act;
    bool bias, res;
    int prelu_n;      /* PRelu: 1 shared slope or M */
    bool res_in_c;    /* the residual is C itself (in-place add) */
} gcase;

/* B through the row callback: odd rows as pointers into the row-major B itself, even
 * rows gathered into buf from a column-major copy (B[k][n] at bt[n * K + k]). */
typedef struct colmajor_b {
    const float *bt, *b;
    int64_t K, ld;
} colmajor_b;

static const float *colmajor_row(const void *ctx, int64_t k, int64_t n0, int64_t nc, float *buf)
{
    const colmajor_b *c = ctx;
    if (k & 1)
        return c->b + k * c->ld + n0;
    for (int64_t j = 0; j < nc; j++)
        buf[j] = c->bt[(n0 + j) * c->K + k];
    return buf;
}

static double act_ref(const ert_act_params *a, double x, int64_t row)
{
    switch (a->kind) {
    case ERT_ACT_RELU: return x > 0 ? x : (x != x ? x : 0.0);
    case ERT_ACT_CLIP: return x < a->alpha ? a->alpha : x > a->beta ? a->beta : x;
    case ERT_ACT_LEAKY_RELU: return x < 0 ? a->alpha * x : x;
    case ERT_ACT_PRELU: return x < 0 ? a->slope[a->n_slope == 1 ? 0 : row] * x : x;
    case ERT_ACT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case ERT_ACT_TANH: return tanh(x);
    case ERT_ACT_HARD_SWISH: {
        double h = x / 6.0 + 0.5;
        return x * (h < 0 ? 0 : h > 1 ? 1 : h);
    }
    default: return x;
    }
}

typedef struct bufs {
    guard_buf a, b, bt, c, r, rc, bias, slope, pa, ws, ref, abs_ref, aa, ba;
} bufs;

static void fill(float *p, int64_t n, unsigned seed)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = test_rand(&seed);
}

/* The reference product and the magnitude sum_k |a||b| into ref / mag (M x N). */
static void reference(const gcase *t, bufs *b, const float *A, int64_t a_rs, int64_t a_cs,
                      const float *B, float *ref, float *mag)
{
    int64_t M = t->M, K = t->K, N = t->N + t->ldc_pad; /* all of B's columns: same result */
    float *aa = guard_alloc(&b->aa, (size_t)(M * K + 1));
    float *ba = guard_alloc(&b->ba, (size_t)(K * N + 1));
    for (int64_t i = 0; i < M * K; i++)
        aa[i] = fabsf(A[i]);
    for (int64_t i = 0; i < K * N; i++)
        ba[i] = fabsf(B[i]);
    if (ert_sgemm_ref(M, t->N, K, 1.0f, A, a_rs, a_cs, B, N, 1, ref, t->N, false) ||
        ert_sgemm_ref(M, t->N, K, 1.0f, aa, a_rs, a_cs, ba, N, 1, mag, t->N, false)) {
        fprintf(stderr, "ert_sgemm_ref: out of memory\n");
        exit(1);
    }
    guard_free(&b->aa);
    guard_free(&b->ba);
}

static const float k_sentinel = 12345.0f;

/* Compares C (and its ldc gap) with the reference plus epilogue; returns mismatches. */
static int check(const gcase *t, const float *C, int64_t ldc, const float *ref, const float *mag,
                 const ert_sgemm_epilogue *ep, const float *R)
{
    int bad = 0;
    for (int64_t i = 0; i < t->M; i++)
        for (int64_t j = 0; j < ldc; j++) {
            float got = C[i * ldc + j];
            if (j >= t->N) {
                bad += got != k_sentinel && bad < 5 &&
                       fprintf(stderr, "  gap C[%lld][%lld] written\n", (long long)i,
                               (long long)j) > 0;
                continue;
            }
            double x = ref[i * t->N + j], m = mag[i * t->N + j];
            if (ep->bias)
                x += ep->bias[i], m += fabs(ep->bias[i]);
            if (R)
                x += R[i * ldc + j], m += fabs(R[i * ldc + j]);
            double slope = ep->act.kind == ERT_ACT_LEAKY_RELU ? fabs(ep->act.alpha)
                           : ep->act.kind == ERT_ACT_PRELU
                               ? fabs(ep->act.slope[ep->act.n_slope == 1 ? 0 : i]) : 1.0;
            double want = act_ref(&ep->act, x, i);
            double tol = 1e-5 * m * (slope > 1 ? slope : 1) + 1e-6 * fabs(want) + 1e-7;
            if (!(fabs(got - want) <= tol)) {
                if (bad < 5)
                    fprintf(stderr, "  C[%lld][%lld] = %.9g, want %.9g (tol %.3g)\n",
                            (long long)i, (long long)j, got, want, tol);
                bad++;
            }
        }
    return bad;
}

static void set_act(const gcase *t, ert_sgemm_epilogue *ep, float *slope)
{
    ep->act.kind = t->act;
    ep->act.alpha = t->act == ERT_ACT_CLIP ? -0.25f : 0.1f;
    ep->act.beta = 0.3f;
    if (t->act == ERT_ACT_PRELU) {
        ep->act.slope = slope;
        ep->act.n_slope = t->prelu_n;
    }
}

/* Runs one case at one level with `threads` pool threads (ws sized for ws_threads). */
static void run_case(ert_isa isa, const gcase *t, ert_threadpool *pool, int ws_threads)
{
    int64_t M = t->M, N = t->N, K = t->K, ldc = N + t->ldc_pad;
    bufs b;
    memset(&b, 0, sizeof b);
    unsigned seed = (unsigned)(M * 131 + N * 17 + K * 7 + isa);
    float *A = guard_alloc(&b.a, (size_t)(M * K));
    float *B = guard_alloc(&b.b, (size_t)(K * ldc));
    float *C = guard_alloc(&b.c, (size_t)(M * ldc));
    float *R = t->res ? guard_alloc(&b.r, (size_t)(M * ldc)) : NULL;
    float *bias = t->bias ? guard_alloc(&b.bias, (size_t)M) : NULL;
    float *slope = guard_alloc(&b.slope, (size_t)M);
    float *ref = guard_alloc(&b.ref, (size_t)(M * N + 1));
    float *mag = guard_alloc(&b.abs_ref, (size_t)(M * N + 1));
    fill(A, M * K, seed);
    fill(B, K * ldc, seed + 1);
    fill(slope, M, seed + 2);
    if (R)
        fill(R, M * ldc, seed + 3);
    if (bias)
        fill(bias, M, seed + 4);
    for (int64_t i = 0; i < M * ldc; i++)
        C[i] = k_sentinel;
    int64_t a_rs = t->a_trans ? 1 : K, a_cs = t->a_trans ? M : 1;
    reference(t, &b, A, a_rs, a_cs, B, ref, mag);

    size_t paf = ert_sgemm_packed_a_floats(isa, M, K);
    float *pa = guard_alloc(&b.pa, paf);
    ert_sgemm_pack_a(isa, M, K, A, a_rs, a_cs, pa);
    size_t wsb = ert_sgemm_ws_bytes(isa, M, N, K, ws_threads);
    float *ws = guard_alloc(&b.ws, wsb / sizeof(float));
    float *bt = NULL;
    colmajor_b cb = {NULL, B, K, ldc};
    if (t->gen_b) {
        bt = guard_alloc(&b.bt, (size_t)(K * N));
        for (int64_t k = 0; k < K; k++)
            for (int64_t j = 0; j < N; j++)
                bt[j * K + k] = B[k * ldc + j];
        cb.bt = bt;
    }
    ert_sgemm_b bs = t->gen_b ? (ert_sgemm_b){.row = colmajor_row, .ctx = &cb}
                              : (ert_sgemm_b){.data = B, .ld = ldc};
    float *Rc = NULL; /* in-place residual: a copy to check against, C preloaded with R */
    if (R && t->res_in_c) {
        Rc = guard_alloc(&b.rc, (size_t)(M * ldc));
        memcpy(Rc, R, sizeof(float) * (size_t)(M * ldc));
        for (int64_t i = 0; i < M; i++)
            memcpy(C + i * ldc, R + i * ldc, sizeof(float) * (size_t)N);
    }
    ert_sgemm_epilogue ep = {.bias = bias, .residual = Rc ? C : R, .ldr = ldc};
    set_act(t, &ep, slope);
    ert_sgemm_packed(isa, M, N, K, pa, &bs, C, ldc, &ep, ws, wsb, pool);
    int bad = check(t, C, ldc, ref, mag, &ep, R);
    g_cases++;
    if (bad) {
        g_fail++;
        fprintf(stderr, "FAIL %s M=%lld N=%lld K=%lld trans=%d pad=%lld genb=%d act=%s bias=%d "
                "res=%d threads=%d/%d: %d bad\n", ert_isa_name(isa), (long long)M, (long long)N,
                (long long)K, t->a_trans, (long long)t->ldc_pad, t->gen_b, ert_act_name(t->act),
                t->bias, t->res, ert_threadpool_size(pool), ws_threads, bad);
    }
    guard_free(&b.a); guard_free(&b.b); guard_free(&b.bt); guard_free(&b.c);
    guard_free(&b.r); guard_free(&b.rc); guard_free(&b.bias); guard_free(&b.slope); guard_free(&b.pa);
    guard_free(&b.ws); guard_free(&b.ref); guard_free(&b.abs_ref);
}

static const int64_t k_sizes[] = {1, 2, 3, 5, 7, 8, 9, 13, 15, 16, 17, 23, 31, 32, 33, 47,
                                  48, 49, 63, 64, 65, 97, 127, 129, 191, 257, 300};
static const ert_act k_acts[] = {ERT_ACT_NONE, ERT_ACT_RELU, ERT_ACT_CLIP, ERT_ACT_LEAKY_RELU,
                                 ERT_ACT_PRELU, ERT_ACT_SIGMOID, ERT_ACT_HARD_SWISH};

/* Pseudo-random sample of the size cube plus variants; capped product keeps it quick. */
static void sweep(ert_isa isa, ert_threadpool *pool)
{
    unsigned seed = 7u + (unsigned)isa;
    int ns = (int)(sizeof k_sizes / sizeof k_sizes[0]);
    int na = (int)(sizeof k_acts / sizeof k_acts[0]);
    for (int it = 0; it < 400; it++) {
        gcase t = {0};
        seed = seed * 1103515245u + 12345u;
        t.M = k_sizes[(seed >> 8) % ns];
        t.N = k_sizes[(seed >> 13) % ns];
        t.K = k_sizes[(seed >> 18) % ns];
        if (t.M * t.N * t.K > 6000000)
            continue;
        t.a_trans = (seed >> 23) & 1;
        t.ldc_pad = ((seed >> 24) & 3) == 0 ? 5 : 0;
        t.gen_b = ((seed >> 26) & 3) == 0;
        t.act = k_acts[(seed >> 28) % na];
        t.bias = (it & 1) != 0;
        t.res = (it & 2) != 0;
        t.prelu_n = (it & 4) ? 1 : (int)t.M;
        t.res_in_c = t.res && (it & 8);
        run_case(isa, &t, it % 3 == 0 ? pool : NULL, it % 6 == 0 ? 1 : 4);
    }
}

/* Deep K (several K blocks with C reloads), K = 0 (epilogue of zero), big M (row
 * blocks) and wide N (column blocks). */
static void specials(ert_isa isa, ert_threadpool *pool)
{
    const gcase cs[] = {
        {.M = 17, .N = 33, .K = 1000, .act = ERT_ACT_RELU, .bias = true, .res = true},
        {.M = 19, .N = 53, .K = 1000, .ldc_pad = 2, .act = ERT_ACT_RELU, .res = true,
         .res_in_c = true},
        {.M = 9, .N = 11, .K = 0, .act = ERT_ACT_CLIP, .bias = true, .res = true},
        {.M = 777, .N = 19, .K = 29, .act = ERT_ACT_PRELU, .prelu_n = 777, .bias = true},
        {.M = 5, .N = 1111, .K = 13, .ldc_pad = 3, .gen_b = true, .act = ERT_ACT_SIGMOID},
        {.M = 64, .N = 3136 / 4, .K = 576, .bias = true, .act = ERT_ACT_RELU},
        {.M = 1, .N = 1, .K = 1},
        /* narrow N with an unfused activation: applied per task block (SE block GEMVs) */
        {.M = 1152, .N = 1, .K = 48, .act = ERT_ACT_SIGMOID, .bias = true},
        {.M = 100, .N = 7, .K = 40, .ldc_pad = 5, .act = ERT_ACT_HARD_SWISH, .res = true},
        /* N = nr + 1 (7x7 maps): the AVX-512 kernel's tail column, in place and generated,
         * deep K, partial row panels, every epilogue */
        {.M = 70, .N = 49, .K = 1000, .bias = true, .res = true, .act = ERT_ACT_RELU},
        {.M = 13, .N = 49, .K = 600, .gen_b = true, .res = true, .res_in_c = true,
         .act = ERT_ACT_SIGMOID},
        {.M = 40, .N = 49, .K = 50, .ldc_pad = 3, .act = ERT_ACT_PRELU, .prelu_n = 40,
         .bias = true},
        {.M = 21, .N = 49, .K = 7, .gen_b = true, .act = ERT_ACT_CLIP, .a_trans = true},
        /* row strides that alias modulo 4 KiB (plain B packed for M >= 64, not read in place; a
         * generated B's rows one vector apart more), wide enough for full column blocks */
        {.M = 72, .N = 1024, .K = 70, .bias = true, .res = true, .act = ERT_ACT_RELU},
        {.M = 65, .N = 256, .K = 400, .ldc_pad = 3, .act = ERT_ACT_PRELU, .prelu_n = 65},
        {.M = 9, .N = 800, .K = 45, .gen_b = true, .bias = true, .act = ERT_ACT_CLIP},
        {.M = 33, .N = 384, .K = 390, .gen_b = true, .res = true, .res_in_c = true},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        run_case(isa, &cs[i], NULL, 1);
        run_case(isa, &cs[i], pool, 4);
    }
}

int main(void)
{
    ert_threadpool *pool = NULL;
    if (ert_threadpool_create(4, NULL, &pool)) {
        fprintf(stderr, "thread pool: out of memory\n");
        return 1;
    }
    /* x86: every level up to the best; AArch64: GENERIC and NEON */
    ert_isa best = ert_cpu_get()->best, levels[4];
    int n_levels = 0;
    for (int lvl = ERT_ISA_GENERIC; lvl <= (int)best; lvl++)
        if (best != ERT_ISA_NEON || lvl == ERT_ISA_GENERIC || lvl == ERT_ISA_NEON)
            levels[n_levels++] = (ert_isa)lvl;
    for (int li = 0; li < n_levels; li++) {
        ert_isa isa = levels[li];
        if (ert_sgemm_isa(isa) != isa) {
            g_fail++;
            fprintf(stderr, "FAIL ert_sgemm_isa(%s) = %s\n", ert_isa_name(isa),
                    ert_isa_name(ert_sgemm_isa(isa)));
        }
        int before = g_fail;
        sweep(isa, pool);
        specials(isa, pool);
        printf("%-8s tile %dx%d: %s\n", ert_isa_name(isa), ert_sgemm_tile_of(isa).mr,
               ert_sgemm_tile_of(isa).nr, g_fail == before ? "ok" : "FAILED");
    }
    ert_threadpool_free(pool);
    printf("%d cases, %d failed\n", g_cases, g_fail);
    return g_fail ? 1 : 0;
}
