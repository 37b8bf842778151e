/*
 * test_winograd.c - the Winograd conv kernels (src/kernels/winograd/) against conv.c's
 * and fused.c's reference kernels, through the kernel-table life cycle (supports -> pack
 * -> plan -> run), at every ISA level the CPU supports, with and without a thread pool.
 *
 * Matrix: 3x3 stride-1 2-D convs over channels 1..67 (odd ones too; fewer than 8 per
 * group must be declined), output channels odd and even, spatial sizes 1..23 (not
 * multiples of the tile size) plus larger maps that span several tile blocks, explicit
 * pads 0/1/2/3 (asymmetric), SAME_UPPER / SAME_LOWER / VALID, dilations 1-4 (also
 * different per axis), groups 1-2, batch 1-2, FusedConv with bias, residual Z and every
 * activation kind. Inputs and outputs are guard-page buffers; the output is pre-filled
 * with NaN so an element the kernel skips fails. Also checks what the kernels decline
 * (other kernel sizes, strides, 1-D, non-constant W; F(4x4): maps of < 16 tiles; a
 * dilated axis whose output is shorter than the tile size times the dilation) and that
 * the table lists them.
 *
 * `test_winograd --bench [threads] [isa]` times im2col against both tile sizes on the
 * benchmark models' 3x3 layers instead (not a test; docs/winograd.md has its numbers).
 *
 * Tolerance (docs/winograd.md): |got - want| <= bound * tmag * max(1, |slope|) + 1e-6 |want|
 * + 1e-7, tmag the largest conv(|X|, |W|) + |b| + |z| over the output's m x m tile (see
 * tile_mag), bound 1e-5 for F(4x4) and 2e-6 for F(2x2); the largest relative errors
 * seen per tile size are printed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernels/cpu.h"
#include "kernels/kernel.h"
#include "kernels/winograd/winograd.h"
#include "ops/op.h"
#include "runtime/threadpool.h"
#include "conv_test_net.h"
#include "test_gemm_guard.h"

#define BOUND_F4 1e-5
#define BOUND_F2 2e-6

static int g_fail, g_cases;

/* Largest error / magnitude seen per tile size m (index 2 or 4): against the tile
 * magnitude (the bound's), and against the element's own magnitude over the cases
 * whose pads are <= 1 (every output then has >= 4 of its 9 taps inside the image). */
static double g_max_rel[5], g_max_own[5];

/* t[i] = the largest mag over the m x m output tile holding element i: tiles of the
 * phase grids (outputs y = a mod dh, x = b mod dw; dilation 1: one grid, the output),
 * starting at the grid's (0, 0), as the kernel's do. A tile's outputs share one input
 * patch, and the transforms' rounding spreads over the tile: an output whose taps are
 * mostly padding (pads >= 2) has a small magnitude of its own but its tile's error. */
static void tile_mag(const ert_tensor *mag, int m, int64_t dh, int64_t dw, float *t)
{
    int64_t oh = mag->dims[2], ow = mag->dims[3], planes = mag->dims[0] * mag->dims[1];
    for (int64_t p = 0; p < planes; p++) {
        const float *g = (const float *)mag->data + p * oh * ow;
        float *tp = t + p * oh * ow;
        for (int64_t ty = 0; ty < oh; ty += ty % dh == dh - 1 ? m * dh - dh + 1 : 1)
            for (int64_t tx = 0; tx < ow; tx += tx % dw == dw - 1 ? m * dw - dw + 1 : 1) {
                /* the tile whose first output is (ty, tx) */
                float mx = 0.0f;
                for (int64_t y = ty; y < ty + m * dh && y < oh; y += dh)
                    for (int64_t x = tx; x < tx + m * dw && x < ow; x += dw)
                        mx = fmaxf(mx, g[y * ow + x]);
                for (int64_t y = ty; y < ty + m * dh && y < oh; y += dh)
                    for (int64_t x = tx; x < tx + m * dw && x < ow; x += dw)
                        tp[y * ow + x] = mx;
            }
    }
}

/* Bad elements: |got - want| > bound * tmag * gain + 1e-6 |want| + 1e-7 (the 1e-6 |want|
 * covers the activations' own approximations, as in test_conv_gemm.c). */
static int compare(const float *got, const ert_tensor *want, const ert_tensor *mag,
                   const float *tmag, float gain, double bound, double *max_rel,
                   double *max_own)
{
    int bad = 0;
    const float *w = want->data, *m = mag->data;
    for (int64_t i = 0; i < ert_tensor_numel(want); i++) {
        double err = fabs((double)got[i] - w[i]), scale = (double)tmag[i] * gain;
        double tol = bound * scale + 1e-6 * fabs(w[i]) + 1e-7;
        /* recorded: the error beyond the activations' share (the bound's 1e-6 |want|) */
        double conv_err = err - 1e-6 * fabs(w[i]) > 0 ? err - 1e-6 * fabs(w[i]) : 0.0;
        if (scale > 0 && conv_err / scale > *max_rel)
            *max_rel = conv_err / scale;
        if (max_own && m[i] > 0 && conv_err / ((double)m[i] * gain) > *max_own)
            *max_own = conv_err / ((double)m[i] * gain);
        if (!(err <= tol)) {
            if (bad < 5)
                fprintf(stderr, "  y[%lld] = %.9g, want %.9g (tol %.3g)\n", (long long)i,
                        got[i], w[i], tol);
            bad++;
        }
    }
    return bad;
}

static const char *describe(const ccase *c, char *buf, size_t len)
{
    snprintf(buf, len, "%dD n%lld c%lld m%lld %lldx%lld k%lldx%lld s%lld,%lld d%lld,%lld "
             "p%lld,%lld,%lld,%lld %s g%lld bias%d %s res%d",
             c->nsp, (long long)c->n, (long long)c->c, (long long)c->m, (long long)c->h,
             (long long)c->w, (long long)c->kh, (long long)c->kw, (long long)c->sh,
             (long long)c->sw, (long long)c->dh, (long long)c->dw, (long long)c->pads[0],
             (long long)c->pads[1], (long long)c->pads[2], (long long)c->pads[3],
             c->auto_pad ? c->auto_pad : "", (long long)c->group, c->bias,
             c->fused ? c->act : "Conv", c->res);
    return buf;
}

/* pack -> plan -> run of one kernel on the net; returns the number of bad elements
 * (-1: a stage failed). */
static int run_kernel(const ert_kernel *kn, net *t, const ert_tensor *want, const ert_tensor *mag,
                      const float *tmag, float gain, ert_threadpool *pool, double bound,
                      double *max_rel, double *max_own)
{
    void *packed = NULL;
    ert_err err = {{0}};
    if (kn->pack(&t->node, &t->g, &packed, &err)) {
        fprintf(stderr, "  pack: %s\n", err.msg);
        return -1;
    }
    ert_tensor y = {0}, *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_kctx k = make_ctx(t, in, out, &y, &err);
    guard_buf yb = {0}, wsb = {0};
    int64_t ny = ert_tensor_numel(want);
    y = *want;
    y.capacity = 0;
    y.data = guard_alloc(&yb, (size_t)ny);
    for (int64_t i = 0; i < ny; i++)
        ((float *)y.data)[i] = NAN;
    static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    size_t ws = 0;
    k.packed = packed;
    k.params = params;
    k.pool = pool;
    int bad = -1;
    if (kn->plan(&k, &ws)) {
        fprintf(stderr, "  plan: %s\n", err.msg);
        goto done;
    }
    k.ws = guard_alloc(&wsb, ws / sizeof(float) + 16);
    k.ws_bytes = ws;
    if (kn->run(&k)) {
        fprintf(stderr, "  run: %s\n", err.msg);
        goto done;
    }
    bad = compare(y.data, want, mag, tmag, gain, bound, max_rel, max_own);
done:
    kn->free_packed(packed);
    guard_free(&yb);
    guard_free(&wsb);
    return bad;
}

/* What the family claims: 2-D 3x3, stride 1, any dilation, >= 8 channels in and out per
 * group; a dilated axis only where the output is at least m x dilation long. */
static bool expect_supported(const ccase *c, int m)
{
    if (!(c->nsp == 2 && c->kh == 3 && c->kw == 3 && c->sh == 1 && c->sw == 1 &&
          c->c / c->group >= 8 && c->m / c->group >= 8))
        return false;
    int64_t oh, ow; /* output size as conv.c gives it */
    if (c->auto_pad && strcmp(c->auto_pad, "VALID"))
        oh = c->h, ow = c->w;
    else if (c->auto_pad)
        oh = c->h - 2 * c->dh, ow = c->w - 2 * c->dw;
    else
        oh = c->h + c->pads[0] + c->pads[2] - 2 * c->dh,
        ow = c->w + c->pads[1] + c->pads[3] - 2 * c->dw;
    if ((c->dh > 1 && oh < m * c->dh) || (c->dw > 1 && ow < m * c->dw))
        return false;
    if (m == 2)
        return true;
    /* F(4x4) also declines maps of fewer than 16 tiles, those of every phase grid */
    int64_t qh = (oh + c->dh - 1) / c->dh, qw = (ow + c->dw - 1) / c->dw;
    return ((qh + 3) / 4) * ((qw + 3) / 4) * c->dh * c->dw >= 16;
}

/* Both lists of the family, in one NULL-ended array. */
static const ert_kernel *k_all[16];

static void collect_kernels(void)
{
    int n = 0;
    for (const ert_kernel *const *kp = ert_winograd_kernels; *kp; kp++)
        k_all[n++] = *kp;
    for (const ert_kernel *const *kp = ert_winograd2_kernels; *kp; kp++)
        k_all[n++] = *kp;
    k_all[n] = NULL;
}

static int tile_of(const ert_kernel *kn)
{
    return strstr(kn->name, "winograd4") ? 4 : 2;
}

/* Every kernel of the family on one case: supports() as expected, results match. */
static void run_case(const ccase *c, ert_threadpool *pool, unsigned seed)
{
    char d[256];
    net t;
    build(&t, c, seed);
    if (c->res) {
        ert_tensor ys = {0};
        net probe = t;
        probe.node.n_inputs = c->bias ? 3 : 2;
        probe.node.op = ert_op_find("", "Conv");
        probe.node.version = 11;
        if (!run_ref(&probe, &ys)) {
            g_fail++;
            free_net(&t);
            return;
        }
        set_tensor(&t.v[VZ].t, ys.rank, ys.dims,
                   rand_buf(&t.z, ert_tensor_numel(&ys), seed + 4));
        ert_tensor_free_data(&ys);
    }
    ert_tensor want = {0}, mag = {0};
    if (!run_ref(&t, &want) || !magnitude(&t, c, &want, &mag)) {
        g_fail++;
        fprintf(stderr, "FAIL (reference) %s\n", describe(c, d, sizeof d));
        goto out;
    }
    float gain = act_gain(&t, c);
    guard_buf tmag = {0};
    guard_alloc(&tmag, (size_t)ert_tensor_numel(&want));
    for (const ert_kernel *const *kp = k_all; *kp; kp++) {
        const ert_kernel *kn = *kp;
        if (kn->isa > ert_cpu_get()->best)
            continue;
        bool expect = expect_supported(c, tile_of(kn)), got = kn->supports(&t.node, &t.g);
        g_cases++;
        if (got != expect) {
            g_fail++;
            fprintf(stderr, "FAIL %s supports=%d, expected %d: %s\n", kn->name, got, expect,
                    describe(c, d, sizeof d));
            continue;
        }
        if (!got)
            continue;
        int m = tile_of(kn);
        tile_mag(&mag, m, c->dh, c->dw, tmag.data);
        bool small_pads = c->auto_pad || (c->pads[0] <= 1 && c->pads[1] <= 1 &&
                                          c->pads[2] <= 1 && c->pads[3] <= 1);
        int bad = run_kernel(kn, &t, &want, &mag, tmag.data, gain, pool,
                             m == 4 ? BOUND_F4 : BOUND_F2, &g_max_rel[m],
                             small_pads ? &g_max_own[m] : NULL);
        if (bad) {
            g_fail++;
            fprintf(stderr, "FAIL %s: %d bad: %s%s\n", kn->name, bad, describe(c, d, sizeof d),
                    pool ? " (pool)" : "");
        }
    }
    guard_free(&tmag);
out:
    ert_tensor_free_data(&want);
    ert_tensor_free_data(&mag);
    free_net(&t);
}

static const char *const k_acts[] = {"", "Relu", "Clip", "LeakyRelu", "PRelu", "Sigmoid",
                                     "HardSwish", "Tanh", "Silu", "Elu"};
enum { N_ACTS = sizeof k_acts / sizeof k_acts[0] };

/* A pseudo-random value in [0, n). */
static int64_t pick(unsigned *seed, int64_t n)
{
    *seed = *seed * 1103515245u + 12345u;
    return (int64_t)((*seed >> 12) % (unsigned)n);
}

/* A pseudo-random 3x3 stride-1 case (sizes small enough for the reference's speed). */
static void random_case(unsigned *seed, ccase *c)
{
#define PICK(n) pick(seed, (n))
    static const int64_t chans[] = {1, 3, 7, 8, 9, 11, 16, 17, 24, 31, 33, 48, 64, 67};
    enum { NCH = sizeof chans / sizeof chans[0] };
    memset(c, 0, sizeof *c);
    c->nsp = 2;
    c->kh = c->kw = 3;
    c->sh = c->sw = c->dh = c->dw = 1;
    if (PICK(3) == 0) { /* dilated (one axis may stay 1) */
        c->dh = 1 + PICK(3);
        c->dw = 1 + PICK(3);
    }
    c->group = PICK(4) == 0 ? 2 : 1;
    c->c = chans[PICK(NCH)] * c->group;
    c->m = chans[PICK(NCH)] * c->group;
    if (c->c * c->m > 67 * 67) /* keep the reference fast */
        c->c = chans[PICK(8)] * c->group;
    c->n = 1 + PICK(2);
    c->h = 1 + PICK(23) + (c->dh > 1 ? PICK(12) : 0);
    c->w = 1 + PICK(23) + (c->dw > 1 ? PICK(12) : 0);
    int pmode = (int)PICK(6);
    if (pmode == 0)
        c->auto_pad = PICK(2) ? "SAME_UPPER" : "SAME_LOWER";
    else if (pmode == 1)
        c->auto_pad = "VALID";
    else if (pmode == 2)
        c->pads[0] = c->pads[1] = c->pads[2] = c->pads[3] = 1;
    else if (pmode >= 4)
        for (int i = 0; i < 4; i++)
            c->pads[i] = PICK(4);
    /* VALID / small pads on a tiny map: keep the output non-empty */
    if (c->h + (c->auto_pad && strcmp(c->auto_pad, "VALID") ? 2 : c->auto_pad ? 0
                : c->pads[0] + c->pads[2]) < 2 * c->dh + 1)
        c->h += 2 * c->dh;
    if (c->w + (c->auto_pad && strcmp(c->auto_pad, "VALID") ? 2 : c->auto_pad ? 0
                : c->pads[1] + c->pads[3]) < 2 * c->dw + 1)
        c->w += 2 * c->dw;
    c->bias = PICK(3) != 0;
    c->fused = PICK(2) != 0;
    c->res = c->fused && PICK(2);
    c->act = c->fused ? k_acts[PICK(N_ACTS)] : "";
    c->n_slope = PICK(2) ? 1 : (int)c->m;
#undef PICK
}

static void fixed_cases(ert_threadpool *pool)
{
    const ccase cs[] = {
        /* ResNet-like 3x3 pad 1 with Relu, residual */
        {2, 1, 64, 64, 14, 14, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, true, true, true, "Relu", 1},
        /* odd channels, odd map, no pad */
        {2, 2, 67, 33, 23, 21, 3, 3, 1, 1, 1, 1, {0}, NULL, 1, true, false, false, "", 1},
        /* many tiles: several tile blocks (blocks split mid tile row), batch 2 */
        {2, 2, 9, 8, 90, 87, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, true, true, false, "Clip", 1},
        {2, 1, 16, 24, 61, 70, 3, 3, 1, 1, 1, 1, {2, 0, 1, 3}, NULL, 1, false, true, true, "PRelu", 24},
        /* groups with enough channels each; SAME_LOWER */
        {2, 2, 32, 18, 13, 11, 3, 3, 1, 1, 1, 1, {0}, "SAME_LOWER", 2, true, true, false, "Sigmoid", 1},
        /* deep K (several GEMM K blocks) on a small map */
        {2, 1, 400, 16, 7, 7, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, true, false, false, "", 1},
        /* 1x1 output, 3x3 input, VALID */
        {2, 1, 8, 8, 3, 3, 3, 3, 1, 1, 1, 1, {0}, "VALID", 1, true, true, true, "Tanh", 1},
        /* pads larger than the kernel: border tiles read only padding */
        {2, 1, 12, 10, 2, 5, 3, 3, 1, 1, 1, 1, {3, 2, 3, 4}, NULL, 1, true, false, false, "", 1},
        /* dilated (atrous ResNet / DeepLab): pads = dilation, asymmetric dilations and pads,
         * a map not a multiple of the dilation, SAME_UPPER, residual; and declined where
         * the phase grid is shorter than a tile (F(4x4): 9 < 4 x 3) */
        {2, 1, 24, 16, 32, 32, 3, 3, 1, 1, 2, 2, {2, 2, 2, 2}, NULL, 1, true, true, false, "Relu", 1},
        {2, 2, 16, 17, 29, 35, 3, 3, 1, 1, 4, 4, {4, 4, 4, 4}, NULL, 1, true, true, true, "Relu", 1},
        {2, 1, 9, 12, 23, 30, 3, 3, 1, 1, 2, 3, {1, 0, 3, 4}, NULL, 1, false, true, true, "PRelu", 12},
        {2, 1, 16, 16, 25, 19, 3, 3, 1, 1, 3, 1, {0}, "SAME_UPPER", 1, true, true, false, "Silu", 1},
        {2, 1, 16, 16, 9, 9, 3, 3, 1, 1, 3, 3, {3, 3, 3, 3}, NULL, 1, true, false, false, "", 1},
        /* declined: too few channels, stride 2, dilation 2 on a 9x9 map (F(4x4)), 5x5, 1x3,
         * 1-D */
        {2, 1, 7, 64, 9, 9, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, true, false, false, "", 1},
        {2, 1, 64, 4, 9, 9, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, true, false, false, "", 1},
        {2, 1, 16, 16, 9, 9, 3, 3, 2, 2, 1, 1, {1, 1, 1, 1}, NULL, 1, true, false, false, "", 1},
        {2, 1, 16, 16, 9, 9, 3, 3, 1, 1, 2, 2, {1, 1, 1, 1}, NULL, 1, true, false, false, "", 1},
        {2, 1, 16, 16, 9, 9, 5, 5, 1, 1, 1, 1, {2, 2, 2, 2}, NULL, 1, true, false, false, "", 1},
        {2, 1, 16, 16, 9, 9, 1, 3, 1, 1, 1, 1, {0, 1, 0, 1}, NULL, 1, true, false, false, "", 1},
        {1, 1, 16, 16, 1, 9, 1, 3, 1, 1, 1, 1, {0, 1, 0, 1}, NULL, 1, true, false, false, "", 1},
        /* grouped with 4 channels per group: declined */
        {2, 1, 8, 8, 9, 9, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 2, true, false, false, "", 1},
    };
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        run_case(&cs[i], NULL, 100u + (unsigned)i);
        run_case(&cs[i], pool, 200u + (unsigned)i);
    }
}

/* A non-constant W is declined; the table lists the family for a 3x3 conv; an ISA cap
 * hides the levels above it. */
static void check_table(void)
{
    net t;
    ccase c = {2, 1, 16, 16, 16, 16, 3, 3, 1, 1, 1, 1, {1, 1, 1, 1}, NULL, 1, false, false, false, "", 1};
    build(&t, &c, 1);
    const ert_kernel *ks[32];
    int n = ert_cpu_kernels(&t.node, &t.g, ert_cpu_get()->best, ks, 32);
    int w4 = -1, w2 = -1, im2col = -1;
    for (int i = 0; i < n; i++) {
        if (w4 < 0 && strstr(ks[i]->name, "conv.winograd4.") == ks[i]->name)
            w4 = i;
        if (w2 < 0 && strstr(ks[i]->name, "conv.winograd2.") == ks[i]->name)
            w2 = i;
        if (im2col < 0 && strstr(ks[i]->name, "conv.im2col.") == ks[i]->name)
            im2col = i;
    }
    g_cases++;
    /* heuristic order: F(4x4) first, then im2col, then F(2x2) */
    if (w4 != 0 || im2col < 0 || w2 < im2col || !ert_cpu_kernel_by_name("conv.winograd2.generic")) {
        g_fail++;
        fprintf(stderr, "FAIL kernel table order: winograd4 at %d, im2col at %d, winograd2 at %d\n",
                w4, im2col, w2);
    }
    ert_isa cap = ert_cpu_set_isa_cap(ERT_ISA_GENERIC);
    n = ert_cpu_kernels(&t.node, &t.g, cap, ks, 32);
    for (int i = 0; i < n; i++) {
        g_cases++;
        if (ks[i]->isa > ERT_ISA_GENERIC) {
            g_fail++;
            fprintf(stderr, "FAIL %s offered under the generic cap\n", ks[i]->name);
        }
    }
    ert_cpu_set_isa_cap(ert_cpu_get()->best);
    t.v[VW].kind = ERT_VALUE_INPUT;
    for (const ert_kernel *const *kp = k_all; *kp; kp++) {
        g_cases++;
        if ((*kp)->supports(&t.node, &t.g)) {
            g_fail++;
            fprintf(stderr, "FAIL %s claims a conv with non-constant W\n", (*kp)->name);
        }
    }
    free_net(&t);
}

/* ---- --bench: im2col vs F(4x4) vs F(2x2) on the benchmark models' 3x3 layers ---- */

/* This thread's CPU time (one thread; the 2-core development VMs are shared, wall time
 * counts other processes' slices), wall time with a pool. */
static double bench_now(int threads)
{
    struct timespec t;
    clock_gettime(threads > 1 ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

typedef struct bench_run {
    const ert_kernel *kn;
    void *packed;
    ert_kctx k;
    ert_tensor *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_tensor y;
    guard_buf ws;
    _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    ert_err err;
} bench_run;

static bool bench_setup(bench_run *r, const ert_kernel *kn, net *t, const ert_tensor *want,
                        guard_buf *yb, ert_threadpool *pool)
{
    memset(r, 0, sizeof *r);
    r->kn = kn;
    if (kn->pack(&t->node, &t->g, &r->packed, &r->err))
        return false;
    r->y = *want;
    r->y.capacity = 0;
    r->y.data = yb->data;
    r->k = make_ctx(t, r->in, r->out, &r->y, &r->err);
    r->k.packed = r->packed;
    r->k.params = r->params;
    r->k.pool = pool;
    size_t ws = 0;
    if (kn->plan(&r->k, &ws))
        return false;
    r->k.ws = guard_alloc(&r->ws, ws / sizeof(float) + 16);
    r->k.ws_bytes = ws;
    return true;
}

/* Best of 15 rounds (3 runs each, the kernels alternating) per kernel and shape; GFLOP/s
 * count the direct conv's MACs (2 * M * C * 9 per output). */
static int bench_main(int threads, const char *isa)
{
    static const struct { const char *name; int64_t c, m, h, w, d; } shapes[] = {
        {"resnet50 64 56x56", 64, 64, 56, 56, 1},  {"resnet50 128 28x28", 128, 128, 28, 28, 1},
        {"resnet50 256 14x14", 256, 256, 14, 14, 1}, {"resnet50 512 7x7", 512, 512, 7, 7, 1},
        {"yolov5n 16 160x160", 16, 16, 160, 160, 1}, {"yolov5n 32 80x80", 32, 32, 80, 80, 1},
        {"yolov5n 64 40x40", 64, 64, 40, 40, 1},   {"yolov5n 128 20x20", 128, 128, 20, 20, 1},
        {"depth 32 128x128", 32, 32, 128, 128, 1}, {"depth 64 64x64", 64, 64, 64, 64, 1},
        {"depth 128 32x32", 128, 128, 32, 32, 1},
        /* atrous ResNet-50 (FCN, DeepLabV3; 256x256 input): layer3 dilation 2, layer4 4 */
        {"fcn 256 32x32 d2", 256, 256, 32, 32, 2}, {"fcn 512 32x32 d4", 512, 512, 32, 32, 4},
        {"deeplab 256 64x64 d2", 256, 256, 64, 64, 2},
    };
    const char *kinds[3] = {"conv.im2col.", "conv.winograd4.", "conv.winograd2."};
    ert_threadpool *pool = NULL;
    if (threads > 1 && ert_threadpool_create(threads, NULL, &pool))
        return 1;
    printf("%-20s %25s %25s %25s   (%s, %d thread%s; ms, GFLOP/s)\n", "layer", "im2col",
           "winograd4", "winograd2", isa, threads, threads > 1 ? "s" : "");
    for (size_t si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
        int64_t d = shapes[si].d;
        ccase c = {2, 1, shapes[si].c, shapes[si].m, shapes[si].h, shapes[si].w, 3, 3, 1, 1, d, d,
                   {d, d, d, d}, NULL, 1, true, true, false, "Relu", 1};
        net t;
        build(&t, &c, 7u);
        ert_tensor want = {0};
        if (!run_ref(&t, &want))
            return 1;
        guard_buf yb = {0};
        guard_alloc(&yb, (size_t)ert_tensor_numel(&want));
        bench_run *rs = calloc(3, sizeof *rs);
        double best[3] = {1e30, 1e30, 1e30};
        bool ok[3];
        for (int i = 0; i < 3; i++) {
            char name[64];
            snprintf(name, sizeof name, "%s%s", kinds[i], isa);
            const ert_kernel *kn = ert_cpu_kernel_by_name(name);
            ok[i] = kn && kn->supports(&t.node, &t.g) && bench_setup(&rs[i], kn, &t, &want, &yb, pool);
        }
        for (int rep = 0; rep < 15; rep++)
            for (int i = 0; i < 3; i++) {
                if (!ok[i])
                    continue;
                double t0 = bench_now(threads);
                for (int q = 0; q < 3; q++)
                    rs[i].kn->run(&rs[i].k);
                double dt = (bench_now(threads) - t0) / 3;
                best[i] = dt < best[i] ? dt : best[i];
            }
        double flops = 2.0 * (double)(c.m * c.c * 9 * c.h * c.w);
        printf("%-20s", shapes[si].name);
        for (int i = 0; i < 3; i++) {
            if (ok[i])
                printf("   %7.3f ms %6.1f GF/s", best[i] * 1e3, flops / best[i] / 1e9);
            else
                printf("   %22s", "declined");
            if (rs[i].kn && rs[i].packed)
                rs[i].kn->free_packed(rs[i].packed);
            guard_free(&rs[i].ws);
        }
        printf("\n");
        fflush(stdout);
        free(rs);
        guard_free(&yb);
        ert_tensor_free_data(&want);
        free_net(&t);
    }
    ert_threadpool_free(pool);
    return 0;
}

int main(int argc, char **argv)
{
    /* test_winograd [N random cases] | --bench [threads] [generic|avx2|avx512] */
    if (argc > 1 && !strcmp(argv[1], "--bench")) {
        collect_kernels();
        return bench_main(argc > 2 ? atoi(argv[2]) : 1,
                          argc > 3 ? argv[3] : ert_isa_name(ert_cpu_get()->best));
    }
    int n_random = argc > 1 ? atoi(argv[1]) : 300;
    ert_threadpool *pool = NULL;
    if (ert_threadpool_create(3, NULL, &pool)) {
        fprintf(stderr, "thread pool: out of memory\n");
        return 1;
    }
    collect_kernels();
    check_table();
    fixed_cases(pool);
    unsigned seed = 4242u;
    for (int i = 0; i < n_random; i++) {
        ccase c;
        random_case(&seed, &c);
        run_case(&c, i % 2 ? pool : NULL, 1000u + (unsigned)i);
    }
    ert_threadpool_free(pool);
    printf("max error / tile magnitude: F(4x4) %.3g (bound %.0e), F(2x2) %.3g (bound %.0e)\n",
           g_max_rel[4], BOUND_F4, g_max_rel[2], BOUND_F2);
    printf("max error / own magnitude, pads <= 1: F(4x4) %.3g, F(2x2) %.3g\n", g_max_own[4],
           g_max_own[2]);
    printf("%d kernel runs, %d failed\n", g_cases, g_fail);
    return g_fail ? 1 : 0;
}
