/*
 * test_norm.c - softmax.<isa> and layernorm.<isa> (src/kernels/norm/) against the
 * reference kernels (src/ops/softmax.c, norm.c) at every ISA level, guard-page
 * buffers, NaN-prefilled outputs, a 3-thread pool (ERT_TEST_THREADS overrides it):
 *   Softmax / LogSoftmax at opsets 1, 11 (coerced to 2-D at axis, axis == rank too) and
 *   13 (one axis: last -> rows, inner -> column blocks, also wider than a column chunk),
 *   every axis of ranks 1..4 with odd sizes around the vector widths, a row longer than
 *   a task, rows holding -inf (masks) and a row of only -inf (NaN, as 0/0);
 *   LayerNormalization over every axis, scale/bias full, with a leading 1, of lower rank
 *   (both broadcast over leading normalised axes), with a trailing 1, one value, bias omitted, and with the
 *   Mean / InvStdDev outputs compared too. stash_type != 1 and non-float32 are declined.
 * Tolerances (float sums and act's 1.3-ulp exp against the reference's double):
 *   Softmax 2e-7 absolute + 4e-6 relative; LogSoftmax 4e-6 absolute + 2e-6 relative
 *   (log(sum) carries the sum's relative error as an absolute one);
 *   LayerNorm 2e-5 absolute + 1e-5 relative on Y (|Y| up to ~6 with scale ~1.5; the
 *   float mean/variance over up to ~3000 values), Mean 1e-6 + 1e-5 relative,
 *   InvStdDev 1e-5 relative.
 */
#include "test_act_util.h"

static ert_threadpool *g_pool;
static int g_ran;

#define NORM_ALL (TH_ALL | TH_NEON) /* every level has softmax.<isa> and layernorm.<isa> */

/* ---- Softmax / LogSoftmax ---- */

static void sm_case(const char *op, int version, int rank, const int64_t *dims, int64_t axis,
                    bool axis_attr, int special)
{
    th_case c;
    th_init(&c, "", op, version);
    int n = snprintf(c.desc, sizeof c.desc, "%s-%d axis %lld%s dims", op, version,
                     (long long)axis, axis_attr ? "" : " (default)");
    for (int i = 0; i < rank && n < (int)sizeof c.desc - 12; i++)
        n += snprintf(c.desc + n, sizeof c.desc - (size_t)n, " %lld", (long long)dims[i]);
    if (special)
        snprintf(c.desc + n, sizeof c.desc - (size_t)n, " special %d", special);
    if (axis_attr)
        th_attr_int(&c, "axis", axis);
    float *x = th_input(&c, rank, dims, NULL, false, -6.0f, 6.0f);
    int64_t total = ert_tensor_numel(&c.in[0]);
    if (special == 1) /* masked entries (attention masks write -inf) */
        for (int64_t i = 0; i < total; i += 3)
            x[i] = -INFINITY;
    if (special == 2) /* the first line (or column block) entirely -inf */
        for (int64_t i = 0; i < total; i++)
            if (i < dims[rank - 1] || i % 5 == 0)
                x[i] = -INFINITY;
    if (special)
        memcpy(c.gin[0].data, x, (size_t)total * sizeof(float));
    bool log_sm = !strcmp(op, "LogSoftmax");
    if (th_reference(&c) == 0)
        g_ran += th_all_isas(&c, "softmax.", g_pool, log_sm ? 4e-6f : 2e-7f,
                             log_sm ? 2e-6f : 4e-6f, NORM_ALL, false);
    th_free(&c);
}

static void softmax(void)
{
    static const int64_t shapes[][5] = {
        {1, 5}, {1, 16}, {1, 127}, {2, 3, 7}, {2, 4, 33}, {3, 2, 5, 17}, {2, 3, 1, 9},
        {2, 1, 40, 40}, {2, 700, 3}, {1, 5, 1100}, {3, 20000}};
    static const char *const ops[] = {"Softmax", "LogSoftmax"};
    static const int versions[] = {1, 11, 13};
    for (int o = 0; o < 2; o++)
        for (int v = 0; v < 3; v++)
            for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
                int rank = (int)shapes[s][0];
                const int64_t *d = shapes[s] + 1;
                int hi = versions[v] >= 13 ? rank - 1 : rank;
                for (int64_t a = -rank; a <= hi; a++)
                    sm_case(ops[o], versions[v], rank, d, a, true, 0);
                sm_case(ops[o], versions[v], rank, d, 0, false, 0);
            }
    /* inner wider than one column chunk (SM_COLS = 512) */
    int64_t wide[3] = {2, 6, 1000};
    for (int o = 0; o < 2; o++)
        sm_case(ops[o], 13, 3, wide, 1, true, 0);
    int64_t row[2] = {4, 37}, col[3] = {2, 37, 5};
    for (int o = 0; o < 2; o++)
        for (int sp = 1; sp <= 2; sp++) {
            sm_case(ops[o], 13, 2, row, -1, true, sp);
            sm_case(ops[o], 13, 3, col, 1, true, sp);
            sm_case(ops[o], 11, 3, col, 1, true, sp);
        }
}

/* ---- LayerNormalization ---- */

static int ln_cmp(const char *desc, const char *kname, const char *what, const float *got,
                  const float *want, int64_t n, float atol, float rtol)
{
    int bad = 0;
    for (int64_t i = 0; i < n; i++)
        if (!close_f(got[i], want[i], atol, rtol)) {
            if (bad < 3)
                fprintf(stderr, "FAIL %s [%s] %s[%lld] = %.9g, reference %.9g\n", desc, kname,
                        what, (long long)i, got[i], want[i]);
            bad++;
        }
    return bad;
}

/* With the Mean and InvStdDev outputs (th_check knows one output): reference and every
 * offered kernel at every ISA level, outputs in guard buffers prefilled with NaN. */
static void ln_with_stats(th_case *c)
{
    ert_tensor ref[3] = {{0}}, *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_err err = {0};
    ert_kctx k;
    int outs[3] = {c->n_in, c->n_in + 1, c->n_in + 2};
    c->node.outputs = outs;
    c->node.n_outputs = 3;
    th_kctx(c, &k, in, out, &err);
    k.n_out = 3;
    for (int i = 0; i < 3; i++)
        out[i] = &ref[i];
    if (c->node.op->infer(&k) != ERT_OK) {
        CHECK(0, "%s: infer failed: %s", c->desc, err.msg);
        return;
    }
    int64_t cnt[3];
    for (int i = 0; i < 3; i++) {
        cnt[i] = ert_tensor_numel(&ref[i]);
        ref[i].data = malloc((size_t)cnt[i] * sizeof(float) + 4);
        ref[i].nbytes = (size_t)cnt[i] * sizeof(float);
        c->vals[outs[i]].t = ref[i];
        c->vals[outs[i]].t.data = NULL;
        c->vals[outs[i]].kind = ERT_VALUE_INTERMEDIATE;
    }
    c->g.n_values = c->n_in + 3;
    if (c->node.op->run(&k) != ERT_OK) {
        CHECK(0, "%s: reference failed: %s", c->desc, err.msg);
        goto done;
    }
    ert_isa best = ert_cpu_get()->best;
    for (int isa = ERT_ISA_GENERIC; isa <= ERT_ISA_NEON; isa++) {
        if (!th_isa_runs(isa))
            continue;
        ert_cpu_set_isa_cap((ert_isa)isa);
        const ert_kernel *ks[8];
        int nk = th_kernels(c, (ert_isa)isa, "layernorm.", ks, 8);
        CHECK(nk > 0 && ks[0]->isa == (ert_isa)isa, "%s: no layernorm kernel at level %d",
              c->desc, isa);
        for (int j = 0; j < nk; j++) {
            ert_tensor y[3];
            gbuf gy[3] = {{0}}, gws = {0};
            for (int i = 0; i < 3; i++) {
                y[i] = ref[i];
                y[i].data = gbuf_alloc(&gy[i], (size_t)cnt[i] * sizeof(float));
                for (int64_t e = 0; e < cnt[i]; e++)
                    ((float *)y[i].data)[e] = NAN;
                out[i] = &y[i];
            }
            static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
            memset(params, 0xA5, sizeof params);
            k.params = params;
            k.pool = g_pool;
            size_t ws = 0;
            int bad = 0;
            if (ks[j]->plan(&k, &ws) != ERT_OK) {
                CHECK(0, "%s [%s]: plan failed: %s", c->desc, ks[j]->name, err.msg);
                bad = 1;
            } else {
                k.ws = ws ? gbuf_alloc(&gws, ws) : NULL;
                if (ws)
                    memset(k.ws, 0x5a, ws);
                k.ws_bytes = ws;
                if (ks[j]->run(&k) != ERT_OK) {
                    CHECK(0, "%s [%s]: run failed: %s", c->desc, ks[j]->name, err.msg);
                    bad = 1;
                } else {
                    bad += ln_cmp(c->desc, ks[j]->name, "Y", y[0].data, ref[0].data, cnt[0],
                                  2e-5f, 1e-5f);
                    bad += ln_cmp(c->desc, ks[j]->name, "Mean", y[1].data, ref[1].data,
                                  cnt[1], 1e-6f, 1e-5f);
                    bad += ln_cmp(c->desc, ks[j]->name, "InvStdDev", y[2].data, ref[2].data,
                                  cnt[2], 0.0f, 1e-5f);
                }
            }
            if (bad)
                g_fail++;
            g_ran++;
            for (int i = 0; i < 3; i++)
                gbuf_free(&gy[i]);
            gbuf_free(&gws);
        }
    }
    ert_cpu_set_isa_cap(best);
done:
    for (int i = 0; i < 3; i++)
        free(ref[i].data);
    c->node.outputs = c->outs;
    c->node.n_outputs = 1;
}

/* pshape: the scale (and bias) shape; prank 0: one value of shape [1]. */
static void ln_case(int rank, const int64_t *dims, int64_t axis, int prank,
                    const int64_t *pshape, bool bias, bool stats, float eps)
{
    th_case c;
    th_init(&c, "", "LayerNormalization", 17);
    int n = snprintf(c.desc, sizeof c.desc, "LayerNorm axis %lld%s%s eps %g dims", (long long)axis,
                     bias ? " bias" : "", stats ? " stats" : "", eps);
    for (int i = 0; i < rank; i++)
        n += snprintf(c.desc + n, sizeof c.desc - (size_t)n, " %lld", (long long)dims[i]);
    n += snprintf(c.desc + n, sizeof c.desc - (size_t)n, " param");
    for (int i = 0; i < prank; i++)
        n += snprintf(c.desc + n, sizeof c.desc - (size_t)n, " %lld", (long long)pshape[i]);
    th_attr_int(&c, "axis", axis);
    th_attr_float(&c, "epsilon", eps);
    int64_t one = 1;
    /* X: per-row offsets (mean far from 0) so the two-pass variance is exercised */
    float *x = th_input(&c, rank, dims, NULL, false, -2.0f, 2.0f);
    int64_t total = ert_tensor_numel(&c.in[0]);
    for (int64_t i = 0; i < total; i++)
        x[i] += (float)((i / 7) % 5) * 3.0f;
    memcpy(c.gin[0].data, x, (size_t)total * sizeof(float));
    th_input(&c, prank ? prank : 1, prank ? pshape : &one, NULL, true, 0.5f, 1.5f);
    if (bias)
        th_input(&c, prank ? prank : 1, prank ? pshape : &one, NULL, true, -1.0f, 1.0f);
    if (stats)
        ln_with_stats(&c);
    else if (th_reference(&c) == 0)
        g_ran += th_all_isas(&c, "layernorm.", g_pool, 2e-5f, 1e-5f, NORM_ALL, false);
    th_free(&c);
}

static void layernorm(void)
{
    static const int64_t shapes[][5] = {
        {1, 7}, {2, 3, 120}, {2, 5, 17}, {3, 2, 3, 33}, {2, 4, 1, 64}, {1, 40, 3100},
        {2, 2, 3, 5}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        int rank = (int)shapes[s][0];
        const int64_t *d = shapes[s] + 1;
        for (int64_t a = -rank; a < rank; a++) {
            int ax = (int)(a < 0 ? a + rank : a), nr = rank - ax;
            int64_t full[8], lead1[8];
            for (int i = 0; i < nr; i++)
                full[i] = d[ax + i];
            for (int b = 0; b < 2; b++) {
                ln_case(rank, d, a, nr, full, b, false, 1e-5f);
                ln_case(rank, d, a, nr, full, b, true, 1e-3f);
            }
            ln_case(rank, d, a, 0, NULL, true, false, 1e-5f);
            if (nr > 1) {
                ln_case(rank, d, a, nr - 1, full + 1, true, false, 1e-5f); /* lower rank */
                int64_t mid1[8];
                memcpy(mid1, full, sizeof(int64_t) * (size_t)nr);
                mid1[nr - 1] = 1; /* broadcast along the last axis */
                ln_case(rank, d, a, nr, mid1, true, true, 1e-5f);
            }
            if (nr > 1) {
                memcpy(lead1, full, sizeof(int64_t) * (size_t)nr);
                lead1[0] = 1; /* a leading 1 inside the normalised rank */
                ln_case(rank, d, a, nr, lead1, true, false, 1e-5f);
            }
        }
    }
}

static void declined(void)
{
    const ert_kernel *ks[4];
    th_case c;
    int64_t xd[2] = {3, 8}, pd[1] = {8};
    th_init(&c, "", "LayerNormalization", 17);
    th_attr_int(&c, "stash_type", 11); /* double statistics */
    th_input(&c, 2, xd, NULL, false, -1, 1);
    th_input(&c, 1, pd, NULL, true, -1, 1);
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "layernorm.", ks, 4) == 0,
          "LayerNormalization stash_type 11 accepted");
    th_free(&c);
    th_init(&c, "", "Softmax", 13);
    th_input(&c, 2, xd, NULL, false, -1, 1);
    c.vals[0].t.dtype = ERT_DTYPE_FLOAT64;
    CHECK(th_kernels(&c, th_top_isa(), "softmax.", ks, 4) == 0, "double Softmax accepted");
    th_free(&c);
}

int main(void)
{
    if (ert_threadpool_create(th_pool_threads(3), NULL, &g_pool) != ERT_OK)
        return 2;
    softmax();
    layernorm();
    declined();
    ert_threadpool_free(g_pool);
    printf("test_norm: %d kernel runs, %d failures\n", g_ran, g_fail);
    return g_fail ? 1 : 0;
}
