/*
 * test_pad.c - pad.copy (src/kernels/copy/pad.c) against the reference Pad kernel,
 * guard-page buffers, a 3-thread pool (ERT_TEST_THREADS overrides it): ranks 1-5, pads
 * from -2 (crop) to 3 on every dim or some, modes constant (0, and 1.5 as the attribute
 * of opset 2 or the constant_value input), reflect (also wider than the kept size),
 * edge, wrap (opset 19); the axes input (opset 18, negative axes); all-zero pads (a
 * copy); an NHWC map padded on H and W (merged C elements); a constant pad that crops a
 * dim to nothing. Declined: pads computed at run time. Exact comparison (a copy).
 * Other dtypes: the kernel moves bytes; the conformance suite's Pad cases cover them.
 */
#include "test_act_util.h"

static ert_threadpool *g_pool;
static int g_ran;

typedef struct pcase {
    int version;
    const char *mode;
    int rank;
    int64_t dims[5];
    int64_t pads[10];  /* begin per dim, then end per dim (over axes when n_axes > 0) */
    int n_axes;
    int64_t axes[5];
    float value;
} pcase;

static void build(th_case *c, const pcase *t, bool const_pads)
{
    th_init(c, "", "Pad", t->version);
    th_input(c, t->rank, t->dims, NULL, false, -1, 1);
    int np = 2 * (t->n_axes > 0 ? t->n_axes : t->rank);
    if (t->version < 11) {
        th_attr_ints(c, "pads", (int64_t *)t->pads, np);
        if (t->value != 0)
            th_attr_float(c, "value", t->value);
    } else {
        th_input_i64(c, t->pads, np, const_pads);
        if (t->value != 0 || t->n_axes > 0) {
            float v = t->value;
            th_input(c, 0, NULL, &v, true, 0, 0);
        }
        if (t->n_axes > 0)
            th_input_i64(c, t->axes, t->n_axes, true);
    }
    if (t->mode)
        th_attr_string(c, "mode", t->mode);
    snprintf(c->desc, sizeof c->desc, "Pad-%d %s rank %d dims %lld,%lld pads %lld,%lld,.. axes %d",
             t->version, t->mode ? t->mode : "constant", t->rank, (long long)t->dims[0],
             (long long)(t->rank > 1 ? t->dims[1] : 0), (long long)t->pads[0],
             (long long)t->pads[1], t->n_axes);
}

static void check(const pcase *t)
{
    th_case c;
    build(&c, t, true);
    if (th_reference(&c) == 0) {
        /* one portable kernel ("pad.copy"), offered at every level */
        int ran = th_all_isas(&c, "pad.", g_pool, 0, 0, 0, false);
        CHECK(ran > 0, "%s: pad.copy not offered", c.desc);
        g_ran += ran;
    }
    th_free(&c);
}

static int64_t pick(unsigned *s, int64_t n)
{
    *s = *s * 1103515245u + 12345u;
    return (int64_t)((*s >> 16) % (unsigned)n);
}

/* Random shapes and pads; the non-constant modes keep at least one element per dim. */
static void random_cases(void)
{
    static const char *const modes[] = {NULL, "constant", "reflect", "edge", "wrap"};
    unsigned seed = 7u;
    for (int i = 0; i < 400; i++) {
        pcase t = {0};
        int m = (int)pick(&seed, 5);
        t.mode = modes[m];
        t.version = m == 4 ? 19 : (int)(pick(&seed, 3) == 0 ? 2 : 13);
        if (t.version == 2 && m == 4)
            t.version = 19;
        t.rank = 1 + (int)pick(&seed, 5);
        for (int d = 0; d < t.rank; d++)
            t.dims[d] = 1 + pick(&seed, t.rank > 3 ? 4 : 9);
        for (int d = 0; d < t.rank; d++) {
            int64_t *b = &t.pads[d], *e = &t.pads[d + t.rank];
            *b = pick(&seed, 3) == 0 ? 0 : pick(&seed, 6) - 2;
            *e = pick(&seed, 3) == 0 ? 0 : pick(&seed, 6) - 2;
            /* each crop within the dim; reflect / edge / wrap keep at least one element */
            int64_t keep = t.dims[d] + (*b < 0 ? *b : 0) + (*e < 0 ? *e : 0);
            if (*b < -t.dims[d] || *e < -t.dims[d] || t.dims[d] + *b + *e < 0 ||
                (m >= 2 && keep <= 0))
                *b = *e = 0;
        }
        t.value = m <= 1 && pick(&seed, 2) ? 1.5f : 0.0f;
        check(&t);
    }
}

static void fixed_cases(void)
{
    const pcase cs[] = {
        /* NHWC padded on H and W only (C-long elements), YOLO-like image pad */
        {13, NULL, 4, {1, 7, 9, 24}, {0, 1, 2, 0, 0, 2, 1, 0}, 0, {0}, 0.0f},
        {13, "reflect", 4, {1, 3, 64, 70}, {0, 0, 3, 3, 0, 0, 3, 3}, 0, {0}, 0.0f},
        /* all-zero pads (Swin-T): a copy */
        {13, NULL, 4, {1, 14, 14, 32}, {0, 0, 0, 0, 0, 0, 0, 0}, 0, {0}, 0.0f},
        /* reflect wider than the kept size, edge, wrap */
        {13, "reflect", 2, {3, 4}, {0, 7, 1, 9}, 0, {0}, 0.0f},
        {13, "edge", 3, {2, 3, 5}, {1, 2, 3, 2, 1, 0}, 0, {0}, 0.0f},
        {19, "wrap", 3, {2, 3, 5}, {1, 4, 7, 0, 2, 6}, 0, {0}, 0.0f},
        /* axes input, negative axes, a constant value */
        {18, NULL, 4, {2, 3, 5, 6}, {1, 2, -1, 3}, 2, {-1, 1}, 2.5f},
        /* constant pad cropping a dim to nothing, then padding it */
        {13, NULL, 3, {2, 2, 3}, {0, -2, 0, 0, 3, 1}, 0, {0}, 1.5f},
        /* opset 2 attributes */
        {2, "constant", 3, {3, 4, 5}, {1, 0, 2, 0, 3, 1}, 0, {0}, -1.0f},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        check(&cs[i]);
}

static void declined(void)
{
    const ert_kernel *ks[4];
    pcase t = {13, NULL, 2, {3, 4}, {1, 1, 1, 1}, 0, {0}, 0.0f};
    th_case c;
    build(&c, &t, false);
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "pad.", ks, 4) == 0, "run-time pads accepted");
    th_free(&c);
}

int main(void)
{
    if (ert_threadpool_create(th_pool_threads(3), NULL, &g_pool) != ERT_OK)
        return 2;
    fixed_cases();
    random_cases();
    declined();
    ert_threadpool_free(g_pool);
    printf("test_pad: %d kernel runs, %d failures\n", g_ran, g_fail);
    return g_fail ? 1 : 0;
}
