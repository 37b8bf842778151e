/*
 * test_act.c - the activation kernels (src/kernels/act/) at every ISA level:
 *   1. max error of exp, sigmoid, tanh and 1+erf (through Gelu) against double libm
 *      over a dense sweep of floats; fails if a bound documented in act.c is exceeded;
 *   2. special values (NaN, +-inf, 0, overflow/underflow edges) per function;
 *   3. every ert_act kind against its scalar double formula on random data, lengths
 *      0..67 (vector tails), in guard-page buffers;
 *   4. names round-trip through ert_act_name / ert_act_parse;
 *   5. every FMA level (AVX2, AVX-512, NEON) through the dispatch against act_body.inc
 *      run one lane at a time with fmaf, bit for bit: the levels agree across
 *      architectures (NEON is checked under qemu against what the x86 levels give).
 * Prints the measured errors (docs/kernels.md quotes them).
 */
#include "kernels/act/act.h"
#include "kernels/act/act_isa.h"
#include "kernels/cpu.h"
#include "test_act_util.h"

/* Documented bounds (act.c, docs/kernels.md); the sweep must stay below them. */
#define EXP_MAX_ULP 2.0
#define SIGMOID_MAX_REL 3e-7
#define TANH_MAX_REL 3e-7
#define GELU_MAX_REL 1e-6 /* 1 + erf(u) cancels 6x near u = -1 */
#define GELU_TANH_MAX_REL 2.5e-6     /* x >= -5 */
#define GELU_TANH_TAIL_MAX_REL 2e-5  /* x < -5: 1e-7 relative rounding of the cubic, times |2v| ~ 80 */

typedef double (*ref_fn)(double);

static double r_exp(double x) { return exp(x); }
static double r_sigmoid(double x) { return 1.0 / (1.0 + exp(-x)); }
static double r_tanh(double x) { return tanh(x); }
static double r_gelu(double x) { return 0.5 * x * erfc(-x / sqrt(2.0)); }
/* 0.5 (1 + tanh v) written as 1 / (1 + e^-2v): 1 + tanh v cancels even in double. */
static double r_gelu_tanh(double x)
{
    return x / (1.0 + exp(-2.0 * sqrt(2.0 / M_PI) * (x + 0.044715 * x * x * x)));
}
static double r_silu(double x) { return x / (1.0 + exp(-x)); }

/* ulp of a double value as float (subnormal-aware) */
static double ulp_f(double v)
{
    float f = (float)fabs(v);
    if (f < 1.17549435e-38f)
        return 1.4012984643e-45;
    return (double)nextafterf(f, INFINITY) - (double)f;
}

typedef struct sweep_res {
    double max_rel, max_ulp, max_abs, at_rel, at_ulp;
} sweep_res;

#define SWEEP_N 4096 /* floats per batch */
#define STRIDE 1031u  /* ~4.2M points per sweep */

static void tally(sweep_res *r, float x, float got, double want, double rel_floor)
{
    double err = fabs((double)got - want);
    if (isinf(want) && got == (float)want)
        return;
    if (fabs(want) >= rel_floor && want != 0) {
        double rel = err / fabs(want), u = err / ulp_f(want);
        if (rel > r->max_rel) {
            r->max_rel = rel;
            r->at_rel = x;
        }
        if (u > r->max_ulp) {
            r->max_ulp = u;
            r->at_ulp = x;
        }
    } else if (err > r->max_abs) {
        r->max_abs = err;
    }
}

/* Runs kind over the floats in [lo, hi] whose bit patterns are multiples of `stride`
 * (odd, so every exponent and many mantissas are hit; ~4G/stride candidates). Relative
 * error is taken where |want| >= rel_floor; below it the absolute error is reported. */
static sweep_res sweep(ert_isa isa, ert_act kind, ref_fn ref, float lo, float hi,
                       uint32_t stride, double rel_floor)
{
    static float xs[SWEEP_N], ys[SWEEP_N];
    sweep_res r = {0};
    ert_act_params p = {.kind = kind};
    uint64_t b = 0;
    while (b <= 0xFFFFFFFFull) {
        int m = 0;
        for (; m < SWEEP_N && b <= 0xFFFFFFFFull; b += stride) {
            uint32_t u = (uint32_t)b;
            float x;
            memcpy(&x, &u, sizeof x);
            if (x >= lo && x <= hi)
                xs[m++] = x;
        }
        memcpy(ys, xs, (size_t)m * sizeof(float));
        if (kind == ERT_ACT_COUNT) /* exp itself */
            ert_act_exp_f32_isa(isa, ys, m);
        else
            ert_act_f32_isa(isa, &p, ys, m, 0);
        for (int i = 0; i < m; i++)
            tally(&r, xs[i], ys[i], ref((double)xs[i]), rel_floor);
    }
    return r;
}

static void report(const char *what, ert_isa isa, sweep_res r)
{
    printf("  %-10s %-7s max rel %.3g (x=%.7g)  max ulp %.3g (x=%.7g)  max abs (tiny) %.3g\n",
           what, ert_isa_name(isa), r.max_rel, r.at_rel, r.max_ulp, r.at_ulp, r.max_abs);
}

static void accuracy(ert_isa isa)
{
    sweep_res r = sweep(isa, ERT_ACT_COUNT, r_exp, -103.0f, 88.7f, STRIDE, 1.17549435e-38);
    report("exp", isa, r);
    CHECK(r.max_ulp <= EXP_MAX_ULP, "exp %s: %.3g ulp at %.9g", ert_isa_name(isa), r.max_ulp,
          r.at_ulp);
    r = sweep(isa, ERT_ACT_SIGMOID, r_sigmoid, -104.0f, 104.0f, STRIDE, 1e-37);
    report("sigmoid", isa, r);
    CHECK(r.max_rel <= SIGMOID_MAX_REL, "sigmoid %s: rel %.3g at %.9g", ert_isa_name(isa),
          r.max_rel, r.at_rel);
    r = sweep(isa, ERT_ACT_TANH, r_tanh, -20.0f, 20.0f, STRIDE, 1e-30);
    report("tanh", isa, r);
    CHECK(r.max_rel <= TANH_MAX_REL, "tanh %s: rel %.3g at %.9g", ert_isa_name(isa),
          r.max_rel, r.at_rel);
    r = sweep(isa, ERT_ACT_GELU, r_gelu, -13.0f, 13.0f, STRIDE, 1e-37);
    report("gelu(erf)", isa, r);
    CHECK(r.max_rel <= GELU_MAX_REL, "gelu %s: rel %.3g at %.9g", ert_isa_name(isa),
          r.max_rel, r.at_rel);
    r = sweep(isa, ERT_ACT_GELU_TANH, r_gelu_tanh, -5.0f, 12.0f, STRIDE, 1e-37);
    report("gelu_tanh", isa, r);
    CHECK(r.max_rel <= GELU_TANH_MAX_REL, "gelu_tanh %s: rel %.3g at %.9g", ert_isa_name(isa),
          r.max_rel, r.at_rel);
    r = sweep(isa, ERT_ACT_GELU_TANH, r_gelu_tanh, -12.0f, -5.0f, STRIDE, 1e-37);
    report("gelu_tanh<-5", isa, r);
    CHECK(r.max_rel <= GELU_TANH_TAIL_MAX_REL, "gelu_tanh tail %s: rel %.3g at %.9g",
          ert_isa_name(isa), r.max_rel, r.at_rel);
    r = sweep(isa, ERT_ACT_SILU, r_silu, -87.0f, 100.0f, STRIDE, 1e-37);
    report("silu", isa, r);
    CHECK(r.max_rel <= SIGMOID_MAX_REL + 1.2e-7, "silu %s: rel %.3g at %.9g",
          ert_isa_name(isa), r.max_rel, r.at_rel);
}

/* ---- special values ---- */

static float run1(ert_isa isa, ert_act kind, float x)
{
    ert_act_params p = {.kind = kind, .alpha = 1.0f};
    ert_act_f32_isa(isa, &p, &x, 1, 0);
    return x;
}

static float exp1(ert_isa isa, float x)
{
    ert_act_exp_f32_isa(isa, &x, 1);
    return x;
}

static void specials(ert_isa isa)
{
    const char *in = ert_isa_name(isa);
    CHECK(isnan(exp1(isa, NAN)), "exp(NaN) %s", in);
    CHECK(exp1(isa, INFINITY) == INFINITY, "exp(inf) %s", in);
    CHECK(exp1(isa, -INFINITY) == 0.0f, "exp(-inf) %s", in);
    CHECK(exp1(isa, 89.0f) == INFINITY, "exp(89) overflows %s", in);
    CHECK(exp1(isa, 88.72f) < INFINITY && exp1(isa, 88.72f) > 3.3e38f, "exp(88.72) %s", in);
    CHECK(exp1(isa, -200.0f) == 0.0f, "exp(-200) %s", in);
    float sub = exp1(isa, -100.0f); /* 3.72e-44, subnormal */
    CHECK(fabs(sub - 3.7200760e-44) <= 1.5e-45, "exp(-100) = %g %s", sub, in);
    CHECK(exp1(isa, 0.0f) == 1.0f, "exp(0) %s", in);
    for (int k = ERT_ACT_RELU; k < ERT_ACT_COUNT; k++)
        CHECK(isnan(run1(isa, (ert_act)k, NAN)), "%s(NaN) is not NaN %s",
              ert_act_name((ert_act)k), in);
    CHECK(run1(isa, ERT_ACT_SIGMOID, INFINITY) == 1.0f, "sigmoid(inf) %s", in);
    CHECK(run1(isa, ERT_ACT_SIGMOID, -INFINITY) == 0.0f, "sigmoid(-inf) %s", in);
    CHECK(run1(isa, ERT_ACT_TANH, INFINITY) == 1.0f, "tanh(inf) %s", in);
    CHECK(run1(isa, ERT_ACT_TANH, -INFINITY) == -1.0f, "tanh(-inf) %s", in);
    CHECK(signbit(run1(isa, ERT_ACT_TANH, -0.0f)), "tanh(-0) keeps the sign %s", in);
    CHECK(run1(isa, ERT_ACT_GELU, INFINITY) == INFINITY, "gelu(inf) %s", in);
    CHECK(run1(isa, ERT_ACT_GELU, -30.0f) == 0.0f, "gelu(-30) %s", in);
    CHECK(run1(isa, ERT_ACT_GELU_TANH, INFINITY) == INFINITY, "gelu_tanh(inf) %s", in);
    CHECK(run1(isa, ERT_ACT_SILU, INFINITY) == INFINITY, "silu(inf) %s", in);
    CHECK(run1(isa, ERT_ACT_ELU, -INFINITY) == -1.0f, "elu(-inf) %s", in);
}

/* ---- every kind vs its double formula, random data, lengths 0..67 ---- */

static double formula(const ert_act_params *p, double x, int64_t ch)
{
    double a = p->alpha, b = p->beta;
    switch (p->kind) {
    case ERT_ACT_NONE: case ERT_ACT_COUNT: return x;
    case ERT_ACT_RELU: return x < 0 ? 0 : x;
    case ERT_ACT_CLIP: return fmin(fmax(x, a), b);
    case ERT_ACT_LEAKY_RELU: return x < 0 ? a * x : x;
    case ERT_ACT_SIGMOID: return r_sigmoid(x);
    case ERT_ACT_SILU: return r_silu(x);
    case ERT_ACT_HARD_SIGMOID: return fmax(0, fmin(1, a * x + b));
    case ERT_ACT_HARD_SWISH: return x * fmax(0, fmin(1, x / 6 + 0.5));
    case ERT_ACT_GELU: return r_gelu(x);
    case ERT_ACT_GELU_TANH: return r_gelu_tanh(x);
    case ERT_ACT_TANH: return tanh(x);
    case ERT_ACT_ELU: return x < 0 ? a * expm1(x) : x;
    case ERT_ACT_PRELU: return x < 0 ? p->slope[p->n_slope == 1 ? 0 : ch] * x : x;
    }
    return x;
}

static void kinds(ert_isa isa)
{
    static const float slopes[3] = {0.25f, -1.5f, 2.0f};
    for (int k = ERT_ACT_NONE; k < ERT_ACT_COUNT; k++) {
        ert_act_params p = {.kind = (ert_act)k, .alpha = 0.3f, .beta = 0.6f,
                            .slope = slopes, .n_slope = 3};
        if (k == ERT_ACT_CLIP) {
            p.alpha = -1.25f;
            p.beta = 2.5f;
        }
        for (int n = 0; n <= 67; n++) {
            gbuf g;
            float *x = gbuf_alloc(&g, (size_t)n * sizeof(float) + 0);
            float src[67];
            for (int i = 0; i < n; i++)
                src[i] = x[i] = rng_f(-8.0f, 8.0f);
            int64_t ch = n % 3;
            ert_act_f32_isa(isa, &p, x, n, ch);
            for (int i = 0; i < n; i++) {
                double want = formula(&p, src[i], ch);
                /* 1e-6 relative covers the documented bounds; 2e-7 absolute covers Elu's
                 * exp(x) - 1 and Gelu's x(1+erf)/2 near their zeros. */
                CHECK(close_f(x[i], (float)want, 2e-7f, 1e-6f),
                      "%s %s n=%d x=%.9g got %.9g want %.9g", ert_act_name((ert_act)k),
                      ert_isa_name(isa), n, src[i], x[i], want);
            }
            gbuf_free(&g);
        }
    }
    ert_act_params one = {.kind = ERT_ACT_PRELU, .slope = slopes, .n_slope = 1};
    float v[3] = {-2.0f, 4.0f, -8.0f};
    ert_act_f32_isa(isa, &one, v, 3, 2);
    CHECK(v[0] == -0.5f && v[1] == 4.0f && v[2] == -2.0f, "PRelu shared slope %s",
          ert_isa_name(isa));
}

/* ---- the FMA levels, bit for bit ---- */

/* act_body.inc at W = 1 with fmaf for V_FMA and x86's min/max (c > x ? c : x): what
 * every FMA level must give, on any architecture. */
static inline int32_t t_bits(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i;
}

static inline float t_pow2i(int32_t i)
{
    uint32_t u = (uint32_t)(i + 127) << 23;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

#define VF float
#define VI int32_t
#define VM int
#define W 1
#define V_SET1(c) ((float)(c))
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_ADD(a, b) ((a) + (b))
#define V_SUB(a, b) ((a) - (b))
#define V_MUL(a, b) ((a) * (b))
#define V_DIV(a, b) ((a) / (b))
#define V_FMA(a, b, c) fmaf(a, b, c)
#define V_MAXN(c, x) ((c) > (x) ? (c) : (x))
#define V_MINN(c, x) ((c) < (x) ? (c) : (x))
#define V_ABS(x) fabsf(x)
#define V_COPYSIGN(m, s) copysignf(m, s)
#define V_LT(a, b) ((a) < (b))
#define V_SEL(m, t, f) ((m) ? (t) : (f))
#define V_BITS(f) t_bits(f)
#define V_I_SET1(c) ((int32_t)(c))
#define V_I_SUB(a, b) ((a) - (b))
#define V_I_SRA1(a) ((a) >> 1)
#define V_POW2I(i) t_pow2i(i)
#define V_MULHI_SQ(u, hi, lo)      \
    do {                           \
        hi = (u) * (u);            \
        lo = fmaf(u, u, -(hi));    \
    } while (0)
#define ACT_ENTRY t_act_fma1
#define ACT_COPY_ENTRY t_act_fma1_copy
#define ACT_EXP_ENTRY t_act_fma1_exp
void t_act_fma1(const ert_act_params *a, float *x, int64_t n, int64_t channel);
void t_act_fma1_copy(const ert_act_params *a, const float *src, float *dst, int64_t n,
                     int64_t channel);
void t_act_fma1_exp(float *x, int64_t n);
#include "kernels/act/act_body.inc"

#define FMA_N (65536 * 2 + 32)

/* Bit patterns k << 16 | k (every sign and exponent with many mantissas: NaNs, infs,
 * subnormals), random floats in [-12, 12), and the edges the body switches at. */
static int fma_inputs(float *xs)
{
    static const float edges[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 88.72f, 89.0f,
                                  -103.97f, -104.0f, 0.55f, -0.55f, 0.54999995f,
                                  1.41421356f, -1.41421356f, 14.1421356f, -14.1421356f,
                                  20.0f, -20.0f, 1.17549435e-38f, 1e-45f, -1e-45f};
    int m = 0;
    for (uint32_t k = 0; k < 65536; k++) {
        uint32_t u = k << 16 | k;
        memcpy(&xs[m++], &u, sizeof u);
    }
    for (int i = 0; i < 65536; i++)
        xs[m++] = rng_f(-12.0f, 12.0f);
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        xs[m++] = edges[i];
    return m;
}

/* Mismatches of got vs want (NaN matches any NaN: payloads may differ by operand order). */
static int fma_cmp(const char *what, ert_isa isa, const float *xs, const float *got,
                   const float *want, int m)
{
    int bad = 0;
    for (int i = 0; i < m; i++) {
        if ((isnan(got[i]) && isnan(want[i])) || t_bits(got[i]) == t_bits(want[i]))
            continue;
        if (bad++ < 3)
            fprintf(stderr, "FAIL %s %s: x=%.9g (0x%08x) got %.9g (0x%08x) want %.9g "
                    "(0x%08x)\n", what, ert_isa_name(isa), xs[i], (unsigned)t_bits(xs[i]),
                    got[i], (unsigned)t_bits(got[i]), want[i], (unsigned)t_bits(want[i]));
    }
    return bad;
}

static void fma_exact(ert_isa isa)
{
    static const float slopes[3] = {0.25f, -1.5f, 2.0f};
    static float xs[FMA_N], got[FMA_N], want[FMA_N];
    int m = fma_inputs(xs);
    memcpy(got, xs, sizeof(float) * (size_t)m);
    memcpy(want, xs, sizeof(float) * (size_t)m);
    ert_act_exp_f32_isa(isa, got, m);
    t_act_fma1_exp(want, m);
    CHECK(fma_cmp("exp", isa, xs, got, want, m) == 0, "exp %s differs from fmaf",
          ert_isa_name(isa));
    for (int k = ERT_ACT_RELU; k < ERT_ACT_COUNT; k++) {
        ert_act_params p = {.kind = (ert_act)k, .alpha = 0.3f, .beta = 0.6f,
                            .slope = slopes, .n_slope = 3};
        if (k == ERT_ACT_CLIP) {
            p.alpha = -1.25f;
            p.beta = 2.5f;
        }
        memcpy(got, xs, sizeof(float) * (size_t)m);
        memcpy(want, xs, sizeof(float) * (size_t)m);
        ert_act_f32_isa(isa, &p, got, m, 1);
        t_act_fma1(&p, want, m, 1);
        int bad = fma_cmp(ert_act_name((ert_act)k), isa, xs, got, want, m);
        CHECK(bad == 0, "%s %s: %d of %d values differ from fmaf", ert_act_name((ert_act)k),
              ert_isa_name(isa), bad, m);
    }
}

static void names(void)
{
    for (int k = 0; k < ERT_ACT_COUNT; k++) {
        ert_act back;
        CHECK(ert_act_parse(ert_act_name((ert_act)k), &back) && back == (ert_act)k,
              "name round trip of %d", k);
    }
    ert_act dummy;
    CHECK(!ert_act_parse("Swishy", &dummy), "unknown name parsed");
    CHECK(!ert_act_parse(NULL, &dummy), "NULL name parsed");
}

int main(void)
{
    ert_isa best = ert_cpu_get()->best;
    printf("test_act: best ISA %s\n", ert_isa_name(best));
    for (int isa = ERT_ISA_GENERIC; isa <= ERT_ISA_NEON; isa++) {
        if (!th_isa_runs(isa))
            continue;
        accuracy((ert_isa)isa);
        specials((ert_isa)isa);
        kinds((ert_isa)isa);
        if (isa != ERT_ISA_GENERIC) /* the generic level has no FMA */
            fma_exact((ert_isa)isa);
    }
    names();
    if (g_fail) {
        printf("test_act: %d failures\n", g_fail);
        return 1;
    }
    printf("test_act: ok\n");
    return 0;
}
