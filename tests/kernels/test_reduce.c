/*
 * test_reduce.c - reduce.<isa> (src/kernels/pool/reduce.c) against the reference
 * Reduce kernel at every ISA level, guard-page buffers, a 3-thread pool
 * (ERT_TEST_THREADS overrides it): ReduceMean and ReduceSum over every run of
 * consecutive axes of ranks 1-5 (I == 1 runs and I > 1 row sums, odd sizes, a
 * 130-channel map, an empty reduced dim), keepdims 0/1, negative axes, axes as the
 * attribute (ReduceMean-13) and as a constant input (ReduceSum-13, both at 18), no axes
 * (all), noop_with_empty_axes = 1 (the identity). Declined: axes that are not one run,
 * axes computed at run time, ReduceMax.
 * Tolerance: 1e-6 x R absolute for sums (float against the reference's double), 2e-6
 * for means, plus 1e-6 relative.
 */
#include "test_act_util.h"

#define TH_OWN (TH_ALL | TH_NEON)

static ert_threadpool *g_pool;
static int g_ran;

/* op at version v over axes[0, n) (n < 0: no axes given) of x[dims]. */
static void build(th_case *c, const char *op, int v, int rank, const int64_t *dims,
                  const int64_t *axes, int n, int keep, int noop_empty, bool const_axes)
{
    th_init(c, "", op, v);
    th_input(c, rank, dims, NULL, false, -1, 1);
    bool as_input = v >= (strcmp(op, "ReduceSum") == 0 ? 13 : 18);
    if (n >= 0 && as_input)
        th_input_i64(c, axes, n, const_axes);
    else if (n >= 0)
        th_attr_ints(c, "axes", (int64_t *)axes, n);
    th_attr_int(c, "keepdims", keep);
    if (noop_empty)
        th_attr_int(c, "noop_with_empty_axes", 1);
    snprintf(c->desc, sizeof c->desc, "%s-%d rank %d dims %lld.. axes(%d) %lld.. keep %d noop %d",
             op, v, rank, (long long)dims[0], n, n > 0 ? (long long)axes[0] : -1LL, keep,
             noop_empty);
}

static void check(th_case *c, int64_t r, bool mean)
{
    if (th_reference(c) == 0)
        g_ran += th_all_isas(c, "reduce.", g_pool, mean ? 2e-6f : 1e-6f * (float)(r > 1 ? r : 1),
                             1e-6f, TH_OWN, false);
    th_free(c);
}

static void runs_of_axes(void)
{
    static const int64_t shapes[][6] = {
        {4, 2, 5, 7, 7}, {4, 1, 130, 3, 5}, {5, 3, 4, 5, 6, 2}, {1, 17}, {3, 4, 1, 9},
        {3, 2, 0, 3}, {4, 1, 3, 64, 63}, {2, 1000, 33}};
    static const char *const ops[] = {"ReduceMean", "ReduceSum"};
    static const int vers[] = {13, 18};
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int rank = (int)shapes[si][0];
        const int64_t *dims = shapes[si] + 1;
        for (int a0 = 0; a0 < rank; a0++)
            for (int a1 = a0 + 1; a1 <= rank; a1++)
                for (int o = 0; o < 2; o++) {
                    int64_t axes[6], r = 1;
                    for (int a = a0; a < a1; a++) {
                        /* negative spelling of every other axis */
                        axes[a - a0] = (a % 2) ? a - rank : a;
                        r *= dims[a];
                    }
                    th_case c;
                    build(&c, ops[o], vers[(a0 + a1) % 2], rank, dims, axes, a1 - a0,
                          (a0 + o) % 2, 0, true);
                    check(&c, r, o == 0);
                }
    }
}

static void special_axes(void)
{
    int64_t dims[4] = {2, 3, 4, 5}, none[1] = {0};
    static const char *const ops[] = {"ReduceMean", "ReduceSum"};
    for (int o = 0; o < 2; o++) {
        th_case c;
        build(&c, ops[o], 18, 4, dims, none, -1, 1, 0, true); /* no axes: all */
        check(&c, 120, o == 0);
        build(&c, ops[o], 18, 4, dims, none, 0, 0, 0, true); /* empty axes: all */
        check(&c, 120, o == 0);
        build(&c, ops[o], 18, 4, dims, none, 0, 1, 1, true); /* noop */
        check(&c, 1, o == 0);
        build(&c, ops[o], 11, 4, dims, none, -1, 0, 0, true); /* attribute, none: all */
        check(&c, 120, o == 0);
    }
}

static void declined(void)
{
    const ert_kernel *ks[4];
    int64_t dims[3] = {3, 4, 5}, split[2] = {0, 2}, one[1] = {1};
    th_case c;
    build(&c, "ReduceMean", 18, 3, dims, split, 2, 1, 0, true);
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "reduce.", ks, 4) == 0, "axes 0, 2 accepted");
    th_free(&c);
    build(&c, "ReduceSum", 13, 3, dims, one, 1, 1, 0, false);
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "reduce.", ks, 4) == 0, "run-time axes accepted");
    th_free(&c);
    build(&c, "ReduceMax", 13, 3, dims, one, 1, 1, 0, false);
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "reduce.", ks, 4) == 0, "ReduceMax accepted");
    th_free(&c);
}

int main(void)
{
    if (ert_threadpool_create(th_pool_threads(3), NULL, &g_pool) != ERT_OK)
        return 2;
    runs_of_axes();
    special_axes();
    declined();
    ert_threadpool_free(g_pool);
    printf("test_reduce: %d kernel runs, %d failures\n", g_ran, g_fail);
    return g_fail ? 1 : 0;
}
