/*
 * test_conv3d.c - conv.vol.<isa> (src/kernels/conv/conv3d.c) against conv.c's and
 * fused.c's reference kernels at every ISA level, guard-page buffers, a 3-thread pool
 * (ERT_TEST_THREADS overrides it). 3-D Conv over kernels 1-5 per axis (cubic and not),
 * strides 1-3, dilations 1-2, explicit asymmetric pads, SAME_UPPER / SAME_LOWER / VALID,
 * groups 1-4 including depthwise, odd channel counts and volumes, batch 1-2, 1x1x1 at
 * stride 1 (X read in place); FusedConv with bias, residual Z and activations (Relu,
 * Clip, LeakyRelu, PRelu with 1 or M slopes, Sigmoid, HardSwish). Also: a 2-D conv is
 * declined. Tolerance 1e-5 x K (the GEMM depth) absolute + 1e-5 relative.
 */
#include "test_act_util.h"

#define TH_OWN (TH_ALL | TH_NEON)

static ert_threadpool *g_pool;
static int g_ran;

typedef struct vcase {
    int64_t n, c, m, d, h, w;
    int64_t k[3], s[3], dl[3], pads[6];
    const char *auto_pad; /* NULL: explicit pads */
    int64_t group;
    bool bias, fused, res;
    const char *act; /* FusedConv activation ("" none) */
    int n_slope;
} vcase;

static int64_t out_size(int64_t in, int64_t k, int64_t s, int64_t d, int64_t p0, int64_t p1,
                        const char *ap)
{
    if (ap && strcmp(ap, "VALID"))
        return (in + s - 1) / s;
    int64_t ek = (k - 1) * d + 1;
    return ap ? (in - ek) / s + 1 : (in + p0 + p1 - ek) / s + 1;
}

static void run_vcase(const vcase *v)
{
    static int64_t ks[3], st[3], dl[3], pd[6];
    static float params[2] = {-0.3f, 0.5f};
    th_case c;
    th_init(&c, v->fused ? "edgert" : "", v->fused ? "FusedConv" : "Conv", v->fused ? 1 : 11);
    int64_t xd[5] = {v->n, v->c, v->d, v->h, v->w};
    int64_t wd[5] = {v->m, v->c / v->group, v->k[0], v->k[1], v->k[2]}, md[1] = {v->m};
    int64_t yd[5] = {v->n, v->m, 0, 0, 0}, sd[1] = {v->n_slope};
    int64_t in[3] = {v->d, v->h, v->w};
    for (int i = 0; i < 3; i++)
        yd[2 + i] = out_size(in[i], v->k[i], v->s[i], v->dl[i], v->pads[i], v->pads[3 + i],
                             v->auto_pad);
    th_input(&c, 5, xd, NULL, false, -1, 1);
    th_input(&c, 5, wd, NULL, true, -1, 1);
    bool prelu = v->fused && !strcmp(v->act, "PRelu");
    if (v->bias)
        th_input(&c, 1, md, NULL, true, -1, 1);
    else if (v->res || prelu)
        th_skip(&c);
    if (v->res)
        th_input(&c, 5, yd, NULL, false, -1, 1);
    else if (prelu)
        th_skip(&c);
    if (prelu)
        th_input(&c, 1, sd, NULL, true, -0.5f, 0.5f);
    memcpy(ks, v->k, sizeof ks);
    memcpy(st, v->s, sizeof st);
    memcpy(dl, v->dl, sizeof dl);
    memcpy(pd, v->pads, sizeof pd);
    th_attr_ints(&c, "kernel_shape", ks, 3);
    th_attr_ints(&c, "strides", st, 3);
    th_attr_ints(&c, "dilations", dl, 3);
    if (v->auto_pad)
        th_attr_string(&c, "auto_pad", v->auto_pad);
    else
        th_attr_ints(&c, "pads", pd, 6);
    th_attr_int(&c, "group", v->group);
    if (v->fused && v->act[0]) {
        th_attr_string(&c, "activation", v->act);
        int np = !strcmp(v->act, "Clip") ? 2 : !strcmp(v->act, "LeakyRelu") ? 1 : 0;
        if (np)
            th_attr_floats(&c, "activation_params", params, np);
    }
    snprintf(c.desc, sizeof c.desc,
             "%s n%lld c%lld m%lld %lldx%lldx%lld k%lldx%lldx%lld s%lld,%lld,%lld d%lld,%lld,%lld "
             "pads %lld,%lld,%lld/%lld,%lld,%lld %s g%lld bias %d res %d act '%s'",
             v->fused ? "FusedConv" : "Conv", (long long)v->n, (long long)v->c, (long long)v->m,
             (long long)v->d, (long long)v->h, (long long)v->w, (long long)v->k[0],
             (long long)v->k[1], (long long)v->k[2], (long long)v->s[0], (long long)v->s[1],
             (long long)v->s[2], (long long)v->dl[0], (long long)v->dl[1], (long long)v->dl[2],
             (long long)v->pads[0], (long long)v->pads[1], (long long)v->pads[2],
             (long long)v->pads[3], (long long)v->pads[4], (long long)v->pads[5],
             v->auto_pad ? v->auto_pad : "", (long long)v->group, v->bias, v->res,
             v->act ? v->act : "");
    int64_t kdepth = wd[1] * wd[2] * wd[3] * wd[4];
    if (th_reference(&c) == 0)
        g_ran += th_all_isas(&c, "conv.vol.", g_pool, 1e-5f * (float)kdepth, 1e-5f, TH_OWN, false);
    else
        g_fail++;
    th_free(&c);
}

static uint32_t pick(uint32_t n)
{
    return rng_u32() % n;
}

static void random_cases(int count)
{
    static const char *const acts[] = {"", "Relu", "Clip", "LeakyRelu", "PRelu", "Sigmoid",
                                       "HardSwish"};
    static const char *const aps[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
    for (int i = 0; i < count; i++) {
        vcase v = {.n = 1 + pick(2), .group = 1 + pick(3)};
        int64_t cg = 1 + pick(4), mg = 1 + pick(9);
        if (i % 7 == 3) /* depthwise */
            cg = mg = 1, v.group = 2 + pick(5);
        v.c = cg * v.group;
        v.m = mg * v.group;
        v.d = 1 + pick(6);
        v.h = 1 + pick(9);
        v.w = 1 + pick(11);
        int64_t sz[3] = {v.d, v.h, v.w};
        for (int a = 0; a < 3; a++) {
            v.k[a] = 1 + pick(a == 0 ? 3 : 5);
            v.s[a] = 1 + pick(3);
            v.dl[a] = 1 + pick(2);
            v.pads[a] = pick(3);
            v.pads[3 + a] = pick(3);
            /* the padded volume must hold one dilated kernel */
            int64_t ek = (v.k[a] - 1) * v.dl[a] + 1;
            if (sz[a] + v.pads[a] + v.pads[3 + a] < ek)
                v.pads[3 + a] += ek - (sz[a] + v.pads[a] + v.pads[3 + a]);
        }
        if (i % 5 == 4) {
            v.auto_pad = aps[pick(3)];
            for (int a = 0; v.auto_pad[0] == 'V' && a < 3; a++)
                v.k[a] = v.k[a] > sz[a] ? sz[a] : v.k[a], v.dl[a] = 1;
        }
        v.bias = pick(3) != 0;
        v.fused = pick(2) != 0;
        v.res = v.fused && pick(2);
        v.act = v.fused ? acts[pick(7)] : "";
        v.n_slope = pick(2) ? 1 : (int)v.m;
        run_vcase(&v);
    }
}

static void fixed_cases(void)
{
    /* r3d_18's stem 3x7x7 / (1,2,2) and its 3x3x3 body; a 1x1x1 pointwise (X in place) */
    vcase stem = {1, 3, 8, 4, 17, 17, {3, 7, 7}, {1, 2, 2}, {1, 1, 1}, {1, 3, 3, 1, 3, 3},
                  NULL, 1, true, true, false, "Relu", 1};
    vcase body = {1, 16, 16, 4, 9, 9, {3, 3, 3}, {1, 1, 1}, {1, 1, 1}, {1, 1, 1, 1, 1, 1},
                  NULL, 1, true, true, true, "Relu", 1};
    vcase down = {2, 16, 32, 4, 9, 9, {1, 1, 1}, {2, 2, 2}, {1, 1, 1}, {0}, NULL, 1, true,
                  false, false, "", 1};
    vcase pw = {2, 5, 7, 3, 4, 5, {1, 1, 1}, {1, 1, 1}, {1, 1, 1}, {0}, NULL, 1, false, true,
                true, "HardSwish", 1};
    run_vcase(&stem);
    run_vcase(&body);
    run_vcase(&down);
    run_vcase(&pw);
}

/* A 2-D conv is not this family's. */
static void declines_2d(void)
{
    th_case c;
    th_init(&c, "", "Conv", 11);
    int64_t xd[4] = {1, 2, 5, 5}, wd[4] = {3, 2, 3, 3};
    th_input(&c, 4, xd, NULL, false, -1, 1);
    th_input(&c, 4, wd, NULL, true, -1, 1);
    const ert_kernel *ks[8];
    CHECK(th_kernels(&c, th_top_isa(), "conv.vol.", ks, 8) == 0, "a 2-D conv was claimed");
    th_free(&c);
}

int main(void)
{
    if (ert_threadpool_create(th_pool_threads(3), NULL, &g_pool) != ERT_OK)
        return 2;
    fixed_cases();
    random_cases(150);
    declines_2d();
    ert_threadpool_free(g_pool);
    printf("test_conv3d: %d kernel runs, %d failures\n", g_ran, g_fail);
    return g_fail ? 1 : 0;
}
