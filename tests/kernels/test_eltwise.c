/*
 * test_eltwise.c - unary.<isa> and binary.<isa> (src/kernels/eltwise/) against the ops'
 * reference kernels, at every ISA level, in guard-page buffers, with a 3-thread pool
 * (ERT_TEST_THREADS overrides it; qemu runs use 1):
 *   unary: every supported op and attribute form (defaults, explicit, Clip-6 attributes,
 *          Clip-13 constant inputs or omitted, Gelu none/tanh, PRelu shared / per
 *          channel / legacy), lengths 0..67 and one past the thread chunk, in place;
 *   binary: Add/Sub/Mul/Div/Max/Min over same shape, scalar either side, per-channel
 *          bias, row and column broadcast, a general two-sided broadcast, a flat case
 *          longer than a chunk, NaN operands (Max/Min propagate them), in place; Pow(x, 2)
 *          with a constant exponent (NaN, infinities, -0, an underflowing square), and
 *          other or run-time exponents declined.
 * Tolerances: binary results must be bit-exact (same IEEE operations); unary ones are
 * within 1e-6 absolute + 2e-6 relative of the reference's libm float results (act.c's
 * documented error plus libm's own; absolute for the tails where 1 + erff cancels in
 * the reference).
 */
#include "test_act_util.h"

static ert_threadpool *g_pool;
static int g_ran;

#define U_ATOL 1e-6f
#define U_RTOL 2e-6f

/* Levels with their own kernel: every level has binary.<isa> and unary.<isa> (the
 * generic unary one declines the piecewise-linear ops). */
#define EW_ALL (TH_ALL | TH_NEON)
#define EW_VEC (TH_VEC | TH_NEON)

/* ---- unary ---- */

/* unary.generic runs only the ops with exp/tanh/erf in them (eltwise.h). */
static unsigned generic_expected(const char *op)
{
    static const char *const slow[] = {"Sigmoid", "Swish", "Tanh", "Gelu", "Elu"};
    for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++)
        if (!strcmp(op, slow[i]))
            return EW_ALL;
    return EW_VEC;
}

typedef struct ucase {
    const char *op;
    int version;
    const char *attr;  /* NULL, or a float attribute name ("alpha") / "approximate" */
    float value;
    const char *sval;
} ucase;

static void unary_one(const ucase *u, int rank, const int64_t *dims, bool inplace)
{
    th_case c;
    th_init(&c, "", u->op, u->version);
    snprintf(c.desc, sizeof c.desc, "%s-%d %s n=%lld%s", u->op, u->version,
             u->attr ? u->attr : "", (long long)(rank ? dims[rank - 1] : 1),
             inplace ? " in place" : "");
    if (u->attr && u->sval)
        th_attr_string(&c, u->attr, u->sval);
    else if (u->attr)
        th_attr_float(&c, u->attr, u->value);
    th_input(&c, rank, dims, NULL, false, -9.0f, 9.0f);
    if (th_reference(&c) == 0)
        g_ran += th_all_isas(&c, "unary.", g_pool, U_ATOL, U_RTOL, generic_expected(u->op),
                             inplace);
    th_free(&c);
}

static void unary_ops(void)
{
    static const ucase cs[] = {
        {"Relu", 14, NULL, 0, NULL},        {"Relu", 6, NULL, 0, NULL},
        {"LeakyRelu", 16, NULL, 0, NULL},   {"LeakyRelu", 16, "alpha", 0.37f, NULL},
        {"Sigmoid", 13, NULL, 0, NULL},     {"HardSigmoid", 6, NULL, 0, NULL},
        {"HardSigmoid", 6, "alpha", 0.3f, NULL}, {"HardSwish", 14, NULL, 0, NULL},
        {"Gelu", 20, NULL, 0, NULL},        {"Gelu", 20, "approximate", 0, "tanh"},
        {"Gelu", 20, "approximate", 0, "none"}, {"Tanh", 13, NULL, 0, NULL},
        {"Elu", 6, NULL, 0, NULL},          {"Elu", 6, "alpha", 0.5f, NULL},
        {"Swish", 24, NULL, 0, NULL},       {"Clip", 6, NULL, 0, NULL},
        {"Clip", 6, "min", -0.5f, NULL},    {"Clip", 6, "max", 0.75f, NULL},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        for (int64_t n = 0; n <= 67; n += (n < 20 ? 1 : 7)) {
            int64_t d[1] = {n};
            unary_one(&cs[i], 1, d, false);
        }
        int64_t big[3] = {3, 41, 97}; /* 11931: one full chunk plus a tail */
        unary_one(&cs[i], 3, big, false);
        unary_one(&cs[i], 3, big, true);
    }
}

/* Clip-13 with min/max inputs (constants) or omitted. */
static void clip_inputs(void)
{
    const float lo = -1.5f, hi = 2.25f;
    for (int form = 0; form < 4; form++) {
        th_case c;
        th_init(&c, "", "Clip", 13);
        snprintf(c.desc, sizeof c.desc, "Clip-13 form %d", form);
        int64_t d[2] = {7, 13}, sc[1] = {1};
        th_input(&c, 2, d, NULL, false, -4, 4);
        if (form == 1 || form == 3)
            th_input(&c, 0, sc, &lo, true, 0, 0);
        else if (form == 2)
            th_skip(&c);
        if (form >= 2)
            th_input(&c, 0, sc, &hi, true, 0, 0);
        if (th_reference(&c) == 0)
            g_ran += th_all_isas(&c, "unary.", g_pool, 0, 0, EW_VEC, false);
        th_free(&c);
    }
    /* a non-constant bound is declined (the reference runs it) */
    th_case c;
    th_init(&c, "", "Clip", 13);
    int64_t d[1] = {9}, sc[1] = {1};
    th_input(&c, 1, d, NULL, false, -4, 4);
    th_input(&c, 0, sc, &lo, false, 0, 0);
    const ert_kernel *ks[4];
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "unary.", ks, 4) == 0, "Clip: run-time min accepted");
    th_free(&c);
}

static void prelu_case(int version, int xr, const int64_t *xd, int sr, const int64_t *sd,
                       bool expect)
{
    th_case c;
    th_init(&c, "", "PRelu", version);
    snprintf(c.desc, sizeof c.desc, "PRelu-%d x rank %d slope rank %d [%lld]", version, xr, sr,
             (long long)(sr ? sd[0] : 1));
    th_input(&c, xr, xd, NULL, false, -3, 3);
    th_input(&c, sr, sd, NULL, true, -1, 1);
    if (th_reference(&c) == 0) {
        int ran = th_all_isas(&c, "unary.", g_pool, 0, 0, expect ? EW_VEC : 0, false);
        CHECK(expect || ran == 0, "%s: should be declined", c.desc);
        g_ran += ran;
    }
    th_free(&c);
}

static void prelu(void)
{
    int64_t x4[4] = {2, 5, 7, 9}, c11[3] = {5, 1, 1}, one[1] = {1}, c1[1] = {5};
    int64_t full[4] = {1, 5, 1, 1}, w[1] = {9}, x2[2] = {6, 5};
    prelu_case(16, 4, x4, 3, c11, true);  /* per channel */
    prelu_case(16, 4, x4, 4, full, true); /* per channel, rank 4 */
    prelu_case(16, 4, x4, 1, one, true);  /* shared */
    prelu_case(16, 4, x4, 0, one, true);  /* scalar */
    prelu_case(6, 4, x4, 1, c1, true);    /* legacy: [C] is per channel */
    prelu_case(16, 2, x2, 1, c1, true);   /* [N, C] with [C] */
    prelu_case(16, 4, x4, 1, w, false);   /* [W]: broadcasts along W, declined */
}

/* ---- binary ---- */

static const char *const k_bin[] = {"Add", "Sub", "Mul", "Div", "Max", "Min"};

static void binary_one(const char *op, int ra, const int64_t *da, int rb, const int64_t *db,
                       bool inplace, bool nans)
{
    th_case c;
    th_init(&c, "", op, 13);
    snprintf(c.desc, sizeof c.desc, "%s a rank %d b rank %d (a0 %lld, b0 %lld)%s%s", op, ra,
             rb, (long long)(ra ? da[0] : 1), (long long)(rb ? db[0] : 1),
             inplace ? " in place" : "", nans ? " NaN" : "");
    float *a = th_input(&c, ra, da, NULL, false, -4, 4);
    float *b = th_input(&c, rb, db, NULL, false, 0.5f, 4);
    if (nans) {
        a[0] = NAN;
        if (c.in[1].nbytes >= 8)
            b[1] = NAN;
    }
    if (th_reference(&c) == 0) {
        /* in place needs Y the size of A */
        bool ok_inplace = inplace && ert_tensor_numel(&c.ref) == ert_tensor_numel(&c.in[0]);
        g_ran += th_all_isas(&c, "binary.", g_pool, 0, 0, EW_ALL, ok_inplace);
    }
    th_free(&c);
}

static void binary(void)
{
    for (size_t o = 0; o < sizeof k_bin / sizeof k_bin[0]; o++) {
        const char *op = k_bin[o];
        for (int64_t n = 1; n <= 67; n += (n < 20 ? 1 : 5)) {
            int64_t d[1] = {n}, s1[1] = {1};
            binary_one(op, 1, d, 1, d, false, false);  /* same shape */
            binary_one(op, 1, d, 0, s1, false, false); /* b scalar */
            binary_one(op, 0, s1, 1, d, false, false); /* a scalar */
        }
        int64_t x[4] = {2, 6, 7, 11}, ch[3] = {6, 1, 1}, row[1] = {11}, col[4] = {2, 6, 7, 1};
        int64_t ga[4] = {2, 1, 5, 3}, gb[3] = {4, 1, 3}, flat[1] = {40001}, sc[1] = {1};
        binary_one(op, 4, x, 3, ch, false, false);  /* per-channel bias */
        binary_one(op, 3, ch, 4, x, false, false);  /* per-channel, swapped */
        binary_one(op, 4, x, 1, row, false, false); /* row broadcast */
        binary_one(op, 4, x, 4, col, false, false); /* column broadcast */
        binary_one(op, 4, ga, 3, gb, false, false); /* both sides broadcast */
        binary_one(op, 1, flat, 1, flat, false, false);
        binary_one(op, 1, flat, 0, sc, false, false);
        binary_one(op, 4, x, 4, x, true, false);
        binary_one(op, 4, x, 3, ch, true, false);
        binary_one(op, 1, flat, 1, flat, true, false);
        binary_one(op, 4, x, 4, x, false, true);
        binary_one(op, 4, x, 1, row, false, true);
    }
    /* legacy broadcasting (opset 6) and Max with three inputs are declined */
    th_case c;
    th_init(&c, "", "Add", 6);
    int64_t d[1] = {5};
    th_input(&c, 1, d, NULL, false, -1, 1);
    th_input(&c, 1, d, NULL, false, -1, 1);
    th_reference(&c);
    const ert_kernel *ks[4];
    CHECK(th_kernels(&c, th_top_isa(), "binary.", ks, 4) == 0, "Add-6 accepted");
    th_free(&c);
    th_init(&c, "", "Max", 13);
    for (int i = 0; i < 3; i++)
        th_input(&c, 1, d, NULL, false, -1, 1);
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "binary.", ks, 4) == 0, "Max of 3 accepted");
    th_free(&c);
}

/* Pow(x, 2) with a constant float exponent runs as x * x on binary.<isa>: the correctly
 * rounded square, within 1 ulp of the reference's glibc powf (whose error is below 1 ulp:
 * 0.07% of random x in [-40, 40] differ from x * x by one ulp, e.g. 35.714817). Other
 * exponents, and a run-time exponent, are declined. */
static void pow_square(void)
{
    static const float exps[3] = {2.0f, 3.0f, 0.5f};
    int64_t x[4] = {2, 3, 5, 9}, flat[1] = {40001}, sc[1] = {1}, one4[4] = {1, 1, 1, 1};
    for (int e = 0; e < 3; e++)
        for (int shape = 0; shape < 3; shape++) {
            th_case c;
            th_init(&c, "", "Pow", 15);
            snprintf(c.desc, sizeof c.desc, "Pow(x, %g) shape %d", exps[e], shape);
            float *a = shape == 1 ? th_input(&c, 1, flat, NULL, false, -40, 40)
                                  : th_input(&c, 4, x, NULL, false, -40, 40);
            a[0] = NAN;
            a[1] = INFINITY;
            a[2] = -INFINITY;
            a[3] = -0.0f;
            a[4] = 1e-30f; /* the square is below the normal range */
            if (shape == 2) /* exponent [1,1,1,1]: Y has A's shape */
                th_input(&c, 4, one4, &exps[e], true, 0, 0);
            else
                th_input(&c, 0, sc, &exps[e], true, 0, 0);
            if (th_reference(&c) == 0) {
                int ran = th_all_isas(&c, "binary.", g_pool, 0, 1.2e-7f,
                                      e == 0 ? EW_ALL : 0, e == 0);
                CHECK(e == 0 || ran == 0, "%s: should be declined", c.desc);
                g_ran += ran;
            }
            th_free(&c);
        }
    th_case c;
    th_init(&c, "", "Pow", 15);
    th_input(&c, 4, x, NULL, false, -4, 4);
    th_input(&c, 0, sc, &exps[0], false, 0, 0);
    th_reference(&c);
    const ert_kernel *ks[4];
    CHECK(th_kernels(&c, th_top_isa(), "binary.", ks, 4) == 0, "Pow: run-time exponent accepted");
    th_free(&c);
}

int main(void)
{
    if (ert_threadpool_create(th_pool_threads(3), NULL, &g_pool) != ERT_OK) {
        fprintf(stderr, "no thread pool\n");
        return 2;
    }
    unary_ops();
    clip_inputs();
    prelu();
    binary();
    pow_square();
    ert_threadpool_free(g_pool);
    printf("test_eltwise: %d kernel runs, %d failures\n", g_ran, g_fail);
    return g_fail ? 1 : 0;
}
