/*
 * test_resize.c - resize.<isa> (src/kernels/resize/) against the reference Resize
 * (src/ops/resize.c) at every ISA level, guard-page buffers, NaN-prefilled outputs, a
 * 3-thread pool (ERT_TEST_THREADS overrides it; qemu runs use 1). The matrix:
 *   nearest with every nearest_mode and linear, under every coordinate_transformation_mode
 *   (half_pixel_symmetric at opset 19, tf_crop_and_resize with roi inside and beyond the
 *   input, reversed, and extrapolation_value), over integer, non-integer, down- and
 *   mixed scales on odd NCHW sizes; opset 10 (legacy mapping), 11 (roi / empty scales
 *   inputs), 13 (omitted inputs), 18 (axes, sizes with keep_aspect_ratio_policy),
 *   exclude_outside; ranks 1..5 (nearest resizing leading axes; linear on the last
 *   two); scales and sizes given at run time (not constants); 2x nearest (the copy
 *   path); tables in the parameter block and in the workspace; few planes (row blocks
 *   over threads). Declined: cubic, linear antialias, linear resizing a leading axis,
 *   linear with run-time scales on rank 4.
 * Tolerances: nearest is a copy (exact); linear 1e-6 absolute + 1e-6 relative (two
 * float lerps of values in [-1, 1), FMA and pass order differing from the reference).
 */
#include "test_act_util.h"

/* every level has its own resize.<isa>: generic, avx2, avx512 on x86, neon on AArch64 */
#define TH_OWN (TH_ALL | TH_NEON)

static ert_threadpool *g_pool;
static int g_ran;

typedef struct rc {
    int version;
    const char *mode, *ctm, *nm;  /* NULL: attribute absent */
    int rank;
    int64_t dims[5];
    int n_sc;                     /* scales (0: none) */
    float sc[5];
    int n_sz;                     /* sizes (0: none) */
    int64_t sz[5];
    int n_axes;
    int64_t axes[5];
    int n_roi;
    float roi[10];
    const char *policy;
    int exclude;
    float extrap;
    bool runtime;                 /* scales / sizes are graph inputs, not constants */
} rc;

/* int64 input slot (th_input makes float32 only). */
static void input_i64(th_case *c, int n, const int64_t *v, bool is_const)
{
    int i = c->n_in++;
    ert_tensor *t = &c->in[i];
    t->dtype = ERT_DTYPE_INT64;
    int64_t d = n;
    ert_tensor_set_shape(t, 1, &d);
    int64_t *p = gbuf_alloc(&c->gin[i], (size_t)n * sizeof(int64_t));
    memcpy(p, v, (size_t)n * sizeof(int64_t));
    t->data = p;
    t->nbytes = (size_t)n * sizeof(int64_t);
    c->present[i] = true;
    c->ins[i] = i;
    c->vals[i].t = *t;
    c->vals[i].kind = is_const ? ERT_VALUE_CONST : ERT_VALUE_INPUT;
    if (!is_const)
        c->vals[i].t.data = NULL;
    c->node.n_inputs = c->n_in;
    c->g.n_values = c->n_in + 1;
}

static void describe(const rc *t, char *buf, size_t len)
{
    int n = snprintf(buf, len, "Resize-%d %s %s %s x", t->version, t->mode ? t->mode : "-",
                     t->ctm ? t->ctm : "-", t->nm ? t->nm : "-");
    for (int i = 0; i < t->rank; i++)
        n += snprintf(buf + n, len - (size_t)n, " %lld", (long long)t->dims[i]);
    if (t->n_sc)
        n += snprintf(buf + n, len - (size_t)n, " sc");
    for (int i = 0; i < t->n_sc; i++)
        n += snprintf(buf + n, len - (size_t)n, " %g", t->sc[i]);
    if (t->n_sz)
        n += snprintf(buf + n, len - (size_t)n, " sz");
    for (int i = 0; i < t->n_sz; i++)
        n += snprintf(buf + n, len - (size_t)n, " %lld", (long long)t->sz[i]);
    snprintf(buf + n, len - (size_t)n, "%s%s ex%d ax%d roi%d%s", t->policy ? " " : "",
             t->policy ? t->policy : "", t->exclude, t->n_axes, t->n_roi,
             t->runtime ? " runtime" : "");
}

static void build(th_case *c, const rc *t)
{
    th_init(c, "", "Resize", t->version);
    describe(t, c->desc, sizeof c->desc);
    if (t->mode)
        th_attr_string(c, "mode", t->mode);
    if (t->ctm)
        th_attr_string(c, "coordinate_transformation_mode", t->ctm);
    if (t->nm)
        th_attr_string(c, "nearest_mode", t->nm);
    if (t->version >= 11) {
        th_attr_int(c, "exclude_outside", t->exclude);
        th_attr_float(c, "extrapolation_value", t->extrap);
    }
    if (t->n_axes)
        th_attr_ints(c, "axes", (int64_t *)t->axes, t->n_axes);
    if (t->policy)
        th_attr_string(c, "keep_aspect_ratio_policy", t->policy);
    th_input(c, t->rank, t->dims, NULL, false, -1.0f, 1.0f);
    int64_t zero = 0, nr = t->n_roi, ns = t->n_sc;
    if (t->version < 11) {
        th_input(c, 1, &ns, t->sc, !t->runtime, 0, 0);
        return;
    }
    if (t->n_roi)
        th_input(c, 1, &nr, t->roi, true, 0, 0);
    else if (t->version == 11)
        th_input(c, 1, &zero, NULL, true, 0, 0);
    else if (t->n_sc || t->n_sz)
        th_skip(c);
    if (t->n_sc)
        th_input(c, 1, &ns, t->sc, !t->runtime, 0, 0);
    else if (t->version == 11)
        th_input(c, 1, &zero, NULL, true, 0, 0);
    else if (t->n_sz)
        th_skip(c);
    if (t->n_sz)
        input_i64(c, t->n_sz, t->sz, !t->runtime);
}

static void run_case(const rc *t)
{
    th_case c;
    build(&c, t);
    bool linear = t->mode && !strcmp(t->mode, "linear");
    if (th_reference(&c) == 0)
        g_ran += th_all_isas(&c, "resize.", g_pool, linear ? 1e-6f : 0.0f,
                             linear ? 1e-6f : 0.0f, TH_OWN, false);
    else
        CHECK(0, "%s: the reference refused a case meant to be valid", c.desc);
    th_free(&c);
}

static void declined_case(const rc *t, const char *why)
{
    th_case c;
    const ert_kernel *ks[4];
    build(&c, t);
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "resize.", ks, 4) == 0, "%s accepted: %s", why, c.desc);
    th_free(&c);
}

static const char *const k_ctms[] = {"half_pixel", "pytorch_half_pixel", "align_corners",
                                     "asymmetric", "tf_half_pixel_for_nn",
                                     "half_pixel_symmetric", "tf_crop_and_resize"};
static const char *const k_nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};

/* H, W scales (N, C stay 1). */
static const float k_scales[][2] = {{2, 2}, {3, 1}, {1.5f, 1.7f}, {0.5f, 0.5f},
                                    {0.6f, 1.35f}, {1, 0.37f}, {4.2f, 2.5f}, {1, 1}};
static const int64_t k_shapes[][4] = {{1, 2, 7, 9}, {2, 3, 5, 17}, {1, 1, 1, 1}, {1, 2, 4, 33}};

static void modes_matrix(void)
{
    for (size_t ci = 0; ci < sizeof k_ctms / sizeof k_ctms[0]; ci++)
        for (int m = 0; m < 5; m++) /* 0-3: nearest with nearest_mode m; 4: linear */
            for (size_t si = 0; si < sizeof k_scales / sizeof k_scales[0]; si++)
                for (size_t hi = 0; hi < sizeof k_shapes / sizeof k_shapes[0]; hi++) {
                    if (m < 3 && hi == 3 && si % 2)
                        continue; /* keep the matrix small: fewer of the widest */
                    rc t = {.version = 19, .mode = m < 4 ? "nearest" : "linear",
                            .ctm = k_ctms[ci], .nm = m < 4 ? k_nms[m] : NULL, .rank = 4,
                            .n_sc = 4, .sc = {1, 1, k_scales[si][0], k_scales[si][1]}};
                    memcpy(t.dims, k_shapes[hi], sizeof k_shapes[hi]);
                    if (!strcmp(k_ctms[ci], "tf_crop_and_resize")) {
                        static const float rois[3][8] = {
                            {0, 0, 0, 0, 1, 1, 1, 1},
                            {0, 0, 0.2f, -0.3f, 1, 1, 0.9f, 1.4f},
                            {0, 0, 0.8f, 1.2f, 1, 1, 0.1f, -0.2f}}; /* reversed */
                        t.n_roi = 8;
                        memcpy(t.roi, rois[si % 3], sizeof rois[0]);
                        t.extrap = si % 2 ? 0.25f : 0.0f;
                    }
                    t.exclude = (int)(si == 2 || si == 4);
                    run_case(&t);
                }
}

static void versions(void)
{
    /* opset 10: legacy asymmetric mapping (nearest floor up, ceil down) */
    static const float sc10[][2] = {{2, 2}, {1.5f, 0.5f}, {0.6f, 2.3f}};
    for (int m = 0; m < 2; m++)
        for (int s = 0; s < 3; s++) {
            rc t = {.version = 10, .mode = m ? "linear" : "nearest", .rank = 4,
                    .dims = {1, 3, 6, 7}, .n_sc = 4, .sc = {1, 1, sc10[s][0], sc10[s][1]}};
            run_case(&t);
        }
    /* opset 11: roi and scales always present (empty), sizes */
    for (int m = 0; m < 2; m++) {
        rc t = {.version = 11, .mode = m ? "linear" : "nearest", .ctm = "align_corners",
                .nm = "round_prefer_ceil", .rank = 4, .dims = {2, 2, 5, 8}, .n_sz = 4,
                .sz = {2, 2, 9, 3}};
        run_case(&t);
        t.n_sz = 0;
        t.n_sc = 4;
        float s11[4] = {1, 1, 1.8f, 0.75f};
        memcpy(t.sc, s11, sizeof s11);
        run_case(&t);
        rc u = {.version = 13, .mode = m ? "linear" : "nearest", .ctm = "half_pixel",
                .rank = 4, .dims = {1, 2, 6, 5}, .n_sz = 4, .sz = {1, 2, 11, 4}};
        run_case(&u);
    }
    /* opset 18: axes, keep_aspect_ratio_policy */
    static const char *const pols[] = {"stretch", "not_larger", "not_smaller"};
    for (int m = 0; m < 2; m++)
        for (int p = 0; p < 3; p++) {
            rc t = {.version = 18, .mode = m ? "linear" : "nearest", .ctm = "half_pixel",
                    .nm = "floor", .rank = 4, .dims = {1, 3, 7, 10}, .n_sz = 2,
                    .sz = {12, 9}, .n_axes = 2, .axes = {2, 3}, .policy = pols[p]};
            run_case(&t);
            rc u = t;
            u.n_sz = 4;
            u.n_axes = 0;
            int64_t s4[4] = {1, 3, 5, 13};
            memcpy(u.sz, s4, sizeof s4);
            if (m == 0 || p == 0)
                run_case(&u); /* the policy scales N and C too: linear declines those */
            rc v = {.version = 18, .mode = m ? "linear" : "nearest", .ctm = "pytorch_half_pixel",
                    .rank = 4, .dims = {1, 2, 5, 6}, .n_sc = 1, .sc = {2.5f}, .n_axes = 1,
                    .axes = {-1}};
            run_case(&v);
            rc w = {.version = 18, .mode = m ? "linear" : "nearest", .ctm = "tf_crop_and_resize",
                    .rank = 4, .dims = {1, 2, 6, 6}, .n_sc = 2, .sc = {1.5f, 0.8f}, .n_axes = 2,
                    .axes = {3, 2}, .n_roi = 4, .roi = {-0.2f, 0.1f, 1.1f, 0.7f},
                    .extrap = -3.0f};
            run_case(&w);
        }
}

static void ranks(void)
{
    for (int m = 0; m < 2; m++) {
        const char *mode = m ? "linear" : "nearest";
        rc r1 = {.version = 13, .mode = mode, .ctm = "half_pixel", .rank = 1, .dims = {9},
                 .n_sc = 1, .sc = {1.7f}};
        run_case(&r1);
        rc r2 = {.version = 13, .mode = mode, .ctm = "align_corners", .rank = 2,
                 .dims = {5, 13}, .n_sc = 2, .sc = {0.6f, 2.0f}};
        run_case(&r2);
        rc r3 = {.version = 13, .mode = mode, .ctm = "asymmetric", .rank = 3, .dims = {3, 5, 7},
                 .n_sc = 3, .sc = {1, 2, 1.5f}};
        run_case(&r3);
        rc r5 = {.version = 13, .mode = mode, .ctm = "half_pixel", .rank = 5,
                 .dims = {2, 2, 3, 4, 5}, .n_sc = 5, .sc = {1, 1, 1, 1.5f, 2}};
        run_case(&r5);
        rc h = {.version = 13, .mode = mode, .ctm = "half_pixel", .rank = 4, .dims = {1, 3, 6, 8},
                .n_sc = 4, .sc = {1, 1, 2.5f, 1}};
        run_case(&h); /* only H resized */
    }
    /* nearest resizing leading axes (the plane table), with extrapolated planes */
    rc n1 = {.version = 13, .mode = "nearest", .ctm = "asymmetric", .rank = 4,
             .dims = {2, 3, 4, 5}, .n_sc = 4, .sc = {1.5f, 2, 1.5f, 0.5f}};
    run_case(&n1);
    rc n2 = {.version = 13, .mode = "nearest", .ctm = "tf_crop_and_resize", .rank = 4,
             .dims = {3, 3, 4, 5}, .n_sc = 4, .sc = {2, 1, 1.5f, 1.5f}, .n_roi = 8,
             .roi = {-0.5f, 0, 0, 0, 1.2f, 1, 1, 1}, .extrap = 7.0f};
    run_case(&n2);
    rc n5 = {.version = 13, .mode = "nearest", .ctm = "half_pixel", .nm = "ceil", .rank = 5,
             .dims = {2, 3, 2, 3, 4}, .n_sc = 5, .sc = {1, 0.7f, 2, 1, 3}};
    run_case(&n5);
}

static void sizes_and_paths(void)
{
    /* YOLO / PP-OCR upsampling: nearest 2x asymmetric floor (the copy path), tables in
     * the parameter block (40 -> 80) and in the workspace (100 -> 200); a UNet 2x
     * bilinear; few planes with many rows (row blocks over the threads) */
    static const int64_t shp[][4] = {{1, 64, 20, 20}, {1, 16, 40, 40}, {1, 2, 100, 100},
                                     {1, 1, 64, 64}, {1, 3, 20, 30}, {2, 8, 15, 16}};
    for (size_t s = 0; s < sizeof shp / sizeof shp[0]; s++)
        for (int m = 0; m < 3; m++) {
            rc t = {.version = 13, .mode = m == 2 ? "linear" : "nearest",
                    .ctm = m == 1 ? "half_pixel" : "asymmetric", .nm = m == 0 ? "floor" : NULL,
                    .rank = 4, .n_sc = 4, .sc = {1, 1, 2, 2}};
            memcpy(t.dims, shp[s], sizeof shp[s]);
            run_case(&t);
        }
    /* scales / sizes computed at run time */
    rc r = {.version = 13, .mode = "nearest", .ctm = "asymmetric", .nm = "floor", .rank = 4,
            .dims = {1, 4, 6, 7}, .n_sc = 4, .sc = {1, 2, 2, 1.5f}, .runtime = true};
    run_case(&r);
    rc r2 = {.version = 13, .mode = "linear", .ctm = "half_pixel", .rank = 2, .dims = {6, 7},
             .n_sz = 2, .sz = {13, 4}, .runtime = true};
    run_case(&r2);
    rc r3 = {.version = 10, .mode = "nearest", .rank = 3, .dims = {2, 5, 5}, .n_sc = 3,
             .sc = {1, 3, 0.5f}, .runtime = true};
    run_case(&r3);
}

static void declined(void)
{
    rc cubic = {.version = 13, .mode = "cubic", .ctm = "half_pixel", .rank = 4,
                .dims = {1, 2, 5, 5}, .n_sc = 4, .sc = {1, 1, 2, 2}};
    declined_case(&cubic, "cubic");
    rc lead = {.version = 13, .mode = "linear", .ctm = "half_pixel", .rank = 4,
               .dims = {1, 2, 5, 5}, .n_sc = 4, .sc = {1, 2, 2, 2}};
    declined_case(&lead, "linear over the channel axis");
    rc rt = {.version = 13, .mode = "linear", .ctm = "half_pixel", .rank = 4,
             .dims = {1, 2, 5, 5}, .n_sc = 4, .sc = {1, 1, 2, 2}, .runtime = true};
    declined_case(&rt, "linear rank 4 with run-time scales");
    th_case c;
    rc aa = {.version = 18, .mode = "linear", .ctm = "half_pixel", .rank = 4,
             .dims = {1, 2, 8, 8}, .n_sc = 4, .sc = {1, 1, 0.5f, 0.5f}};
    build(&c, &aa);
    th_attr_int(&c, "antialias", 1);
    const ert_kernel *ks[4];
    th_reference(&c);
    CHECK(th_kernels(&c, th_top_isa(), "resize.", ks, 4) == 0, "linear antialias accepted");
    th_free(&c);
    /* antialias is ignored by nearest (as in the reference): runs */
    aa.mode = "nearest";
    build(&c, &aa);
    th_attr_int(&c, "antialias", 1);
    if (th_reference(&c) == 0)
        g_ran += th_all_isas(&c, "resize.", g_pool, 0, 0, TH_OWN, false);
    th_free(&c);
}

int main(void)
{
    if (ert_threadpool_create(th_pool_threads(3), NULL, &g_pool) != ERT_OK)
        return 2;
    modes_matrix();
    versions();
    ranks();
    sizes_and_paths();
    declined();
    ert_threadpool_free(g_pool);
    printf("test_resize: %d kernel runs, %d failures\n", g_ran, g_fail);
    return g_fail ? 1 : 0;
}
