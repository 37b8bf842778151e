/*
 * winograd.c - Conv / FusedConv 3x3, stride 1, any dilation (2-D, NCHW float32, constant
 * weights) by Winograd's minimal filtering F(m x m, 3x3), m = 4 or 2 (see winograd.h);
 * a dilated conv as one undilated conv per output phase (dil_geom).
 *
 * Per group the output is cut into m x m tiles, numbered across the batch in row-major
 * order (image, tile row, tile column), and processed in blocks of T tiles:
 *   1. input transform: V_xi[Cg, T] = (B^T d B)_xi for each of the alpha^2 positions xi
 *      (alpha = m + 2) of each tile's alpha x alpha input patch (winograd_isa.h);
 *   2. alpha^2 GEMMs M_xi[Mg, T] = U_xi[Mg, Cg] * V_xi[Cg, T] (ert_sgemm_packed: U packed
 *      once at load as the GEMM's A, V read in place as a plain B);
 *   3. output transform Y = A^T M A, with bias, FusedConv's residual Z and the
 *      activation (ert_act_f32_isa on each finished row segment, still in L1).
 * U = G g G^T is computed in double at load and rounded once to float. T is chosen so
 * one block's V and M take about WINO_BLOCK_BYTES (they stay in L2/L3, whatever the
 * image size), the blocks of a layer equal in size.
 * Threads: when there are at least as many blocks (x groups) as threads, each thread
 * runs whole blocks in its own workspace region (V, M and the GEMM's B slice stay in
 * its cache); otherwise each block's three phases are split: channels for the
 * transforms, the alpha^2 independent GEMMs for step 2.
 * Shapes, attributes and auto_pad come from conv.c (conv_geom_of_step).
 */
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm/gemm.h"
#include "kernels/winograd/winograd.h"
#include "kernels/winograd/winograd_isa.h"
#include "ops/conv_geom.h"
#include "ops/fused.h"
#include "runtime/threadpool.h"

/* Target bytes of one block's V + M (per thread): L2 plus the core's share of L3. Measured
 * on Zen 5 (docs/winograd.md): 4 MiB >= 2 MiB > 1 MiB > 256 KiB on ResNet-50's 56x56
 * and 28x28 layers (fewer passes over U, wider GEMMs); 14x14 and smaller fit one block. */
#ifndef WINO_BLOCK_BYTES
#define WINO_BLOCK_BYTES (4 * 1024 * 1024)
#endif
/* Fewest input and output channels per group (below this the transforms' cost per
 * channel is not repaid by the GEMM's savings; im2col runs those). */
#define WINO_MIN_CH 8
#define WINO_VEC 16    /* widest vector (floats): tiles per block and slack are multiples */
#define WINO_ALIGN 64

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

static int64_t round_up(int64_t a, int64_t b)
{
    return ceil_div(a, b) * b;
}

/* ---- portable transforms (ERT_ISA_GENERIC): wino_body.inc on 4 plain floats ---- */

typedef struct vf4 {
    float v[4];
} vf4;

static inline vf4 g_set1(float c)
{
    return (vf4){{c, c, c, c}};
}
static inline vf4 g_load(const float *p)
{
    vf4 r;
    memcpy(r.v, p, sizeof r.v);
    return r;
}
static inline void g_store(float *p, vf4 a)
{
    memcpy(p, a.v, sizeof a.v);
}
#define G_OP(name, expr)                                                                  \
    static inline vf4 name(vf4 a, vf4 b)                                                  \
    {                                                                                    \
        vf4 r;                                                                           \
        for (int i = 0; i < 4; i++)                                                      \
            r.v[i] = (expr);                                                             \
        return r;                                                                        \
    }
G_OP(g_add, a.v[i] + b.v[i])
G_OP(g_sub, a.v[i] - b.v[i])
static inline vf4 g_fma(vf4 a, vf4 b, vf4 c)
{
    vf4 r;
    for (int i = 0; i < 4; i++)
        r.v[i] = a.v[i] * b.v[i] + c.v[i];
    return r;
}
static inline vf4 g_max(vf4 a, vf4 b) /* b where either is NaN (x86 max) */
{
    vf4 r;
    for (int i = 0; i < 4; i++)
        r.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];
    return r;
}
static inline vf4 g_min(vf4 a, vf4 b)
{
    vf4 r;
    for (int i = 0; i < 4; i++)
        r.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i];
    return r;
}
static inline vf4 g_loadz(const float *row, int64_t k, int64_t w)
{
    vf4 r;
    for (int i = 0; i < 4; i++)
        r.v[i] = k + i >= 0 && k + i < w ? row[k + i] : 0.0f;
    return r;
}
static inline void g_storen(float *p, vf4 a, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        p[i] = a.v[i];
}
static inline void g_zip(vf4 a, vf4 b, vf4 *lo, vf4 *hi)
{
    *lo = (vf4){{a.v[0], b.v[0], a.v[1], b.v[1]}};
    *hi = (vf4){{a.v[2], b.v[2], a.v[3], b.v[3]}};
}
static inline void g_unzip(vf4 a, vf4 b, vf4 *ev, vf4 *od)
{
    *ev = (vf4){{a.v[0], a.v[2], b.v[0], b.v[2]}};
    *od = (vf4){{a.v[1], a.v[3], b.v[1], b.v[3]}};
}

#define VF vf4
#define W 4
#define V_SET1(c) g_set1(c)
#define V_LOAD(p) g_load(p)
#define V_STORE(p, v) g_store(p, v)
#define V_ADD(a, b) g_add(a, b)
#define V_SUB(a, b) g_sub(a, b)
#define V_FMA(a, b, c) g_fma(a, b, c)
#define V_MAX(a, b) g_max(a, b)
#define V_MIN(a, b) g_min(a, b)
#define V_LOADZ(row, k, w) g_loadz(row, k, w)
#define V_STOREN(p, v, n) g_storen(p, v, n)
#define V_ZIP(a, b, lo, hi) g_zip(a, b, lo, hi)
#define V_UNZIP(a, b, ev, od) g_unzip(a, b, ev, od)
#define WB_SFX generic
#include "kernels/winograd/wino_body.inc"
#undef VF
#undef W

static wino_in_fn in_fn_of(ert_isa isa)
{
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == ERT_ISA_AVX512)
        return ert_wino_in_avx512;
    if (isa == ERT_ISA_AVX2)
        return ert_wino_in_avx2;
#endif
    (void)isa;
    return ert_wino_in_generic;
}

static wino_out_fn out_fn_of(ert_isa isa)
{
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == ERT_ISA_AVX512)
        return ert_wino_out_avx512;
    if (isa == ERT_ISA_AVX2)
        return ert_wino_out_avx2;
#endif
    (void)isa;
    return ert_wino_out_generic;
}

/* ---- weights ---- */

/* U packed per group and position: [group][alpha^2] panels of xi_floats each. */
typedef struct wino_packed {
    ert_isa isa;
    int m, alpha;          /* output tile size (4 or 2), alpha = m + 2 */
    int64_t group, mg, cg; /* groups, output and input channels per group */
    size_t xi_floats;      /* packed floats of one U_xi (a multiple of 16: aligned) */
    float *u;              /* 64-byte aligned */
} wino_packed;

/* G of F(4x4, 3x3) and F(2x2, 3x3) (alpha x 3). */
static const double k_g4[6][3] = {{1.0 / 4, 0, 0},
                                  {-1.0 / 6, -1.0 / 6, -1.0 / 6},
                                  {-1.0 / 6, 1.0 / 6, -1.0 / 6},
                                  {1.0 / 24, 1.0 / 12, 1.0 / 6},
                                  {1.0 / 24, -1.0 / 12, 1.0 / 6},
                                  {0, 0, 1}};
static const double k_g2[4][3] = {{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1}};

/* u[xi * stride] = (G g G^T)[xi] for one 3x3 filter g, in double. */
static void transform_filter(int alpha, const float *g, float *u, size_t stride)
{
    const double(*gm)[3] = alpha == 6 ? k_g4 : k_g2;
    double t[6][3];
    for (int i = 0; i < alpha; i++)
        for (int c = 0; c < 3; c++)
            t[i][c] = gm[i][0] * g[c] + gm[i][1] * g[3 + c] + gm[i][2] * g[6 + c];
    for (int i = 0; i < alpha; i++)
        for (int j = 0; j < alpha; j++)
            u[(size_t)(i * alpha + j) * stride] =
                (float)(t[i][0] * gm[j][0] + t[i][1] * gm[j][1] + t[i][2] * gm[j][2]);
}

/* ---- load time ---- */

/* A dilated axis needs a phase grid of at least one m-wide tile (out >= m x d, where
 * known at load): on a map not much larger than the dilation the phases are a pixel or
 * two (DeepLabV3's ASPP, dilation 12-36 on 32x32), each padded to a whole tile, and most
 * taps read padding, which conv.im2col skips. */
static bool dil_fits(const conv_geom *geo, int m)
{
    for (int i = 0; i < 2; i++)
        if (geo->d[i] > 1 && geo->out[i] >= 0 && geo->out[i] < m * geo->d[i])
            return false;
    return true;
}

/* 2-D 3x3 / stride 1 / any dilation, float32, constant W, >= WINO_MIN_CH channels in
 * and out per group, an activation ert_act can apply. */
static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!conv_f32_const_w(n, g, 4))
        return false;
    int n_in = n->n_inputs - n->n_captures;
    const ert_value *w = &g->values[n->inputs[1]];
    if (w->t.dims[2] != 3 || w->t.dims[3] != 3)
        return false;
    conv_geom geo;
    ert_act_params act;
    if (!conv_geom_at_load(n, g, false, &geo, &act) || geo.nsp != 2 || geo.group < 1)
        return false;
    for (int i = 0; i < 2; i++)
        if (geo.k[i] != 3 || geo.s[i] != 1 || geo.d[i] < 1)
            return false;
    if (act.kind == ERT_ACT_PRELU && n_in > ERT_FC_S && n->inputs[ERT_FC_S] < 0)
        return false;
    int64_t cg = w->t.dims[1], mg = w->t.dims[0] / geo.group;
    return cg >= WINO_MIN_CH && mg >= WINO_MIN_CH && w->t.dims[0] % geo.group == 0 &&
           dil_fits(&geo, 2);
}

/* F(4x4) is listed before im2col (the heuristic order's pick): it also declines maps
 * known at load to give fewer than WINO4_MIN_TILES tiles per image. There (ResNet-50's
 * 7x7 layers: 4 tiles) the GEMMs are only 4 columns wide and the 4x larger transformed
 * weights (36 / 9) are read once per image: 63 GFLOP/s against im2col's 108. */
#define WINO4_MIN_TILES 16

static bool supports4(const ert_node *n, const ert_graph *g)
{
    if (!supports(n, g))
        return false;
    conv_geom geo;
    ert_act_params act;
    if (!conv_geom_at_load(n, g, false, &geo, &act) || !dil_fits(&geo, 4))
        return false;
    if (geo.out[0] <= 0 || geo.out[1] <= 0)
        return true;
    /* a dilated conv's tiles: those of its dh x dw phase grids (see dil_geom) */
    int64_t qh = ceil_div(geo.out[0], geo.d[0]), qw = ceil_div(geo.out[1], geo.d[1]);
    return ceil_div(qh, 4) * ceil_div(qw, 4) * geo.d[0] * geo.d[1] >= WINO4_MIN_TILES;
}

static ert_status pack_isa(ert_isa isa, int m, const ert_node *n, const ert_graph *g,
                           void **packed, ert_err *err)
{
    const ert_tensor *w = &g->values[n->inputs[1]].t;
    wino_packed *p = calloc(1, sizeof *p);
    if (!p)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "winograd: out of memory packing weights");
    p->isa = isa;
    p->m = m;
    p->alpha = m + 2;
    p->group = ert_attr_int(n, "group", 1);
    p->mg = w->dims[0] / p->group;
    p->cg = w->dims[1];
    int a2 = p->alpha * p->alpha;
    p->xi_floats = ert_sgemm_packed_a_floats(isa, p->mg, p->cg);
    size_t bytes = p->xi_floats * (size_t)a2 * (size_t)p->group * sizeof(float);
    size_t tmp_floats = (size_t)a2 * (size_t)(p->mg * p->cg);
    p->u = aligned_alloc(WINO_ALIGN, bytes > 0 ? (bytes + WINO_ALIGN - 1) / WINO_ALIGN * WINO_ALIGN
                                               : WINO_ALIGN);
    float *tmp = malloc(tmp_floats * sizeof(float));
    if (!p->u || !tmp) {
        free(tmp);
        free(p->u);
        free(p);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "winograd: out of memory packing weights "
                        "(%zu bytes)", bytes);
    }
    const float *wd = w->data;
    size_t plane = (size_t)(p->mg * p->cg);
    for (int64_t gi = 0; gi < p->group; gi++) {
        /* tmp[xi][o][c] = U of filter (gi*mg + o, c) at xi */
        for (int64_t o = 0; o < p->mg; o++)
            for (int64_t c = 0; c < p->cg; c++)
                transform_filter(p->alpha, wd + ((gi * p->mg + o) * p->cg + c) * 9,
                                 tmp + (size_t)(o * p->cg + c), plane);
        for (int xi = 0; xi < a2; xi++)
            ert_sgemm_pack_a(isa, p->mg, p->cg, tmp + (size_t)xi * plane, p->cg, 1,
                             p->u + ((size_t)gi * (size_t)a2 + (size_t)xi) * p->xi_floats);
    }
    free(tmp);
    *packed = p;
    return ERT_OK;
}

static void free_packed(void *packed)
{
    wino_packed *p = packed;
    if (p)
        free(p->u);
    free(p);
}

/* ---- reshape ---- */

/* A dilated conv (stride 1) as dh x dw undilated ones: output (y, x) with y = a (mod dh),
 * x = b (mod dw) reads only input rows a - ph + dh * i and columns b - pw + dw * j, so
 * each of the dh x dw output phases is a plain 3x3 conv over its own phase grid of the
 * input. run() gathers the grids into the workspace as images of their own, (n, a, b)
 * the image index, each (qh + 2) x (qw + 2) with its padding written as zeros (every pad,
 * asymmetric or auto_pad, and the phases' different sizes become one size, pads 0);
 * the usual transforms and GEMMs run on them, batch n x dh x dw, and the phase outputs
 * (qh x qw each; rows and columns past the real output are dropped) are scattered back.
 * FusedConv's residual Z is gathered the same way; bias and activation are per element
 * and need nothing. The tiles of all phases share the GEMMs, so the GEMMs stay as wide
 * as the undilated conv's (atrous ResNet layers of FCN / DeepLabV3: F(4x4) against
 * im2col, docs/winograd.md). */
typedef struct dil_geom {
    bool on;
    int64_t dh, dw;        /* dilations */
    int64_t nb, c, m;      /* batch, input and output channels of the real conv */
    int64_t h, w, oh, ow;  /* its input and output sizes */
    int64_t ph, pw;        /* its start pads */
    int64_t qh, qw;        /* a phase's output grid: ceil(oh / dh) x ceil(ow / dw) */
    size_t x_off, y_off, z_off, bytes; /* phase images in the workspace (z: 0 bytes if none) */
} dil_geom;

typedef struct wino_plan {
    int64_t nb, c, h, w;       /* input batch, channels, height, width */
    int64_t m, oh, ow;         /* output channels, height, width */
    int64_t group, cg, mg;     /* groups, input / output channels per group */
    int64_t ph, pw;            /* start pads (top, left) */
    int64_t th, tw;            /* tile rows and columns per image */
    int64_t ttot;              /* tiles per group: nb * th * tw */
    int64_t tb, nblk;          /* tiles per block, blocks per group */
    int64_t ldt;               /* row stride of the V and M matrices (tb + slack) */
    int64_t vs, ms;            /* floats from one xi's V (Cg x ldt) / M (Mg x ldt) to the
                                * next: padded off multiples of 4 KiB (see xi_stride) */
    size_t v_floats, m_floats; /* one block's V (alpha^2 x vs) and M (alpha^2 x ms) */
    size_t gemm_bytes;         /* one thread's GEMM slice */
    size_t region_bytes;       /* one thread's workspace: V, M, GEMM slice */
    int threads;               /* regions in the workspace */
    bool split_blocks;         /* threads take whole blocks (else each phase is split) */
    ert_act_params act;        /* activation (slope re-read from S each run) */
    dil_geom dil;              /* dilation > 1: the phase decomposition (else dil.on false) */
    size_t ws_bytes;           /* what plan reported */
} wino_plan;

_Static_assert(sizeof(wino_plan) <= ERT_STEP_PARAMS_BYTES, "wino_plan exceeds the block");

static size_t align_bytes(size_t b)
{
    return (b + WINO_ALIGN - 1) / WINO_ALIGN * WINO_ALIGN;
}

/* The stride between consecutive xi matrices of `floats` each: rounded to 1024 floats
 * (4 KiB) plus 5 cache lines, so the alpha^2 rows that one transform step stores (input)
 * or loads (output) fall in alpha^2 different L1 sets. A multiple of 4 KiB put all 36 in
 * one 12-way set: measured 1.5x slower transforms on Zen 5 (64 channels, 56x56). */
static int64_t xi_stride(int64_t floats)
{
    return round_up(floats, 1024) + 80;
}

/* Block size and threading mode for the plan's tile count. */
static void plan_blocks(wino_plan *pl, const wino_packed *p)
{
    int64_t a2 = p->alpha * p->alpha;
    int64_t tmax = WINO_BLOCK_BYTES / ((int64_t)sizeof(float) * a2 * (pl->cg + pl->mg));
    tmax = tmax < WINO_VEC ? WINO_VEC : tmax;
    int64_t nblk = ceil_div(pl->ttot, tmax), thr = pl->threads;
    pl->split_blocks = thr == 1;
    if (thr > 1) {
        /* a multiple of the threads of (group, block) items, if blocks stay >= 16 tiles */
        int64_t items = round_up(pl->group * nblk, thr);
        int64_t nb2 = ceil_div(items, pl->group);
        if (pl->ttot >= nb2 * WINO_VEC)
            nblk = nb2;
        pl->split_blocks = pl->group * nblk >= thr;
    }
    /* equal blocks (196 tiles in 4 blocks: 49 each, not 64 + 64 + 64 + 4) */
    pl->tb = ceil_div(pl->ttot, nblk);
    pl->nblk = ceil_div(pl->ttot, pl->tb);
    pl->ldt = round_up(pl->tb, WINO_VEC) + WINO_VEC;
    if (pl->ldt % 128 == 0) /* rows 4 KiB-aliased: the GEMM would pack V (sgemm.c) */
        pl->ldt += WINO_VEC;
}

/* Turns pl (the real conv's geometry) into the phase images' conv (dil_geom). */
static void plan_dilated(wino_plan *pl, const conv_geom *geo, bool has_z)
{
    dil_geom *d = &pl->dil;
    d->on = true;
    d->dh = geo->d[0];
    d->dw = geo->d[1];
    d->nb = pl->nb;
    d->c = pl->c;
    d->m = pl->m;
    d->h = pl->h;
    d->w = pl->w;
    d->oh = pl->oh;
    d->ow = pl->ow;
    d->ph = pl->ph;
    d->pw = pl->pw;
    d->qh = ceil_div(pl->oh, d->dh);
    d->qw = ceil_div(pl->ow, d->dw);
    int64_t imgs = d->nb * d->dh * d->dw;
    size_t xb = align_bytes((size_t)(imgs * d->c * (d->qh + 2) * (d->qw + 2)) * sizeof(float));
    size_t yb = align_bytes((size_t)(imgs * d->m * d->qh * d->qw) * sizeof(float));
    d->x_off = 0;
    d->y_off = xb;
    d->z_off = xb + yb;
    d->bytes = xb + yb + (has_z ? yb : 0);
    pl->nb = imgs;
    pl->h = d->qh + 2;
    pl->w = d->qw + 2;
    pl->oh = d->qh;
    pl->ow = d->qw;
    pl->ph = pl->pw = 0;
}

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    const wino_packed *p = k->packed;
    wino_plan *pl = k->params;
    ert_tensor y = {0};
    conv_geom geo;
    ert_status st = conv_geom_of_step(k, &geo, &y);
    if (st)
        return st;
    memset(pl, 0, sizeof *pl);
    if (geo.nsp != 2 || geo.k[0] != 3 || geo.k[1] != 3 || geo.s[0] != 1 || geo.s[1] != 1 ||
        geo.d[0] < 1 || geo.d[1] < 1)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "winograd: not a 3x3 stride-1 2-D conv");
    pl->nb = k->in[0]->dims[0];
    pl->c = k->in[0]->dims[1];
    pl->h = geo.in[0];
    pl->w = geo.in[1];
    pl->m = y.dims[1];
    pl->oh = geo.out[0];
    pl->ow = geo.out[1];
    pl->ph = geo.pb[0];
    pl->pw = geo.pb[1];
    if (geo.d[0] > 1 || geo.d[1] > 1)
        plan_dilated(pl, &geo, ert_in(k, ERT_FC_Z) != NULL &&
                                   k->node->op->id == ERT_OP_FUSED_CONV);
    pl->group = geo.group;
    pl->cg = pl->c / pl->group;
    pl->mg = pl->m / pl->group;
    if (pl->group != p->group || pl->mg != p->mg || pl->cg != p->cg)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "weights changed shape since packing");
    if (k->node->op->id == ERT_OP_FUSED_CONV && (st = ert_fused_conv_act(k, &pl->act)))
        return st;
    if (pl->act.kind == ERT_ACT_PRELU && pl->act.n_slope != 1 && pl->act.n_slope != pl->m)
        return ert_op_fail(k, ERT_ERR_SHAPE, "S has %lld slopes for %lld channels",
                           (long long)pl->act.n_slope, (long long)pl->m);
    pl->th = ceil_div(pl->oh, p->m);
    pl->tw = ceil_div(pl->ow, p->m);
    pl->ttot = pl->nb * pl->th * pl->tw;
    pl->threads = ert_threadpool_size(k->pool);
    pl->threads = pl->threads < 1 ? 1 : pl->threads;
    if (pl->ttot <= 0) { /* empty output: nothing to run */
        *ws_bytes = pl->ws_bytes = 0;
        return ERT_OK;
    }
    plan_blocks(pl, p);
    int64_t a2 = p->alpha * p->alpha;
    pl->vs = xi_stride(pl->cg * pl->ldt);
    pl->ms = xi_stride(pl->mg * pl->ldt);
    pl->v_floats = (size_t)(a2 * pl->vs);
    pl->m_floats = (size_t)(a2 * pl->ms);
    pl->gemm_bytes = ert_sgemm_ws_bytes(p->isa, pl->mg, pl->tb, pl->cg, 1);
    pl->region_bytes = align_bytes(pl->v_floats * sizeof(float)) +
                       align_bytes(pl->m_floats * sizeof(float)) + align_bytes(pl->gemm_bytes);
    pl->ws_bytes = pl->dil.bytes + pl->region_bytes * (size_t)pl->threads;
    *ws_bytes = pl->ws_bytes;
    return ERT_OK;
}

/* ---- run ---- */

typedef struct wino_job {
    const wino_packed *p;
    const wino_plan *pl;
    const float *x, *bias, *res;
    float *y;
    ert_act_params act;
    bool clamp;    /* Relu / Clip in the output transform */
    float lo, hi;
    bool post_act; /* other activations: ert_act_f32_isa on each finished row segment */
    wino_in_fn in;
    wino_out_fn out;
    char *ws;
    int64_t item;  /* phase-split mode: the (group, block) item being run */
    int64_t chunk; /* phase-split mode: channels per task */
} wino_job;

/* A thread's workspace region. */
typedef struct region {
    float *v, *m;
    void *gemm;
} region;

static region region_of(const wino_job *j, int tid)
{
    const wino_plan *pl = j->pl;
    char *b = j->ws + (size_t)tid * pl->region_bytes;
    region r;
    r.v = (float *)b;
    b += align_bytes(pl->v_floats * sizeof(float));
    r.m = (float *)b;
    b += align_bytes(pl->m_floats * sizeof(float));
    r.gemm = b;
    return r;
}

/* Tiles [t0, t1) of item it. */
static void item_tiles(const wino_plan *pl, int64_t it, int64_t *t0, int64_t *t1)
{
    int64_t b = it % pl->nblk;
    *t0 = b * pl->tb;
    *t1 = *t0 + pl->tb < pl->ttot ? *t0 + pl->tb : pl->ttot;
}

/* Input transform of channels [c0, c1) of item it into v. */
static void in_phase(const wino_job *j, int64_t it, int64_t c0, int64_t c1, float *v)
{
    const wino_plan *pl = j->pl;
    int m = j->p->m;
    int64_t gi = it / pl->nblk, t0, t1, per_img = pl->th * pl->tw, hw = pl->h * pl->w;
    item_tiles(pl, it, &t0, &t1);
    wino_in_args a = {.m = m, .h = pl->h, .w = pl->w, .ldo = pl->vs};
    for (int64_t t = t0; t < t1;) {
        int64_t img = t / per_img, ty = (t % per_img) / pl->tw, tx = t % pl->tw;
        int64_t len = pl->tw - tx < t1 - t ? pl->tw - tx : t1 - t;
        a.iy0 = m * ty - pl->ph;
        a.ix0 = m * tx - pl->pw;
        a.n = len;
        for (int64_t c = c0; c < c1; c++) {
            a.x = j->x + (img * pl->c + gi * pl->cg + c) * hw;
            a.v = v + c * pl->ldt + (t - t0);
            j->in(&a);
        }
        t += len;
    }
}

/* The GEMM of position xi of item it (serial: pool NULL). */
static void gemm_one(const wino_job *j, int64_t it, int xi, const float *v, float *mm, void *ws)
{
    const wino_plan *pl = j->pl;
    const wino_packed *p = j->p;
    int64_t gi = it / pl->nblk, t0, t1, a2 = p->alpha * p->alpha;
    item_tiles(pl, it, &t0, &t1);
    ert_sgemm_b b = {.data = v + (size_t)xi * (size_t)pl->vs, .ld = pl->ldt};
    ert_sgemm_packed(p->isa, pl->mg, t1 - t0, pl->cg,
                     p->u + ((size_t)(gi * a2) + (size_t)xi) * p->xi_floats, &b,
                     mm + (size_t)xi * (size_t)pl->ms, pl->ldt, NULL, ws,
                     pl->gemm_bytes, NULL);
}

/* Output transform and epilogue of output channels [m0, m1) of item it from mm. */
static void out_phase(const wino_job *j, int64_t it, int64_t m0, int64_t m1, const float *mm)
{
    const wino_plan *pl = j->pl;
    int m = j->p->m;
    int64_t gi = it / pl->nblk, t0, t1, per_img = pl->th * pl->tw, ohw = pl->oh * pl->ow;
    item_tiles(pl, it, &t0, &t1);
    wino_out_args a = {.m = m, .ldo = pl->ms, .oh = pl->oh, .ow = pl->ow, .clamp = j->clamp,
                       .lo = j->lo, .hi = j->hi};
    for (int64_t t = t0; t < t1;) {
        int64_t img = t / per_img, ty = (t % per_img) / pl->tw, tx = t % pl->tw;
        int64_t len = pl->tw - tx < t1 - t ? pl->tw - tx : t1 - t;
        a.n = len;
        a.oy0 = m * ty;
        a.ox0 = m * tx;
        int64_t cols = pl->ow - a.ox0 < m * len ? pl->ow - a.ox0 : m * len;
        for (int64_t o = m0; o < m1; o++) {
            int64_t ch = gi * pl->mg + o, plane = (img * pl->m + ch) * ohw;
            a.mm = mm + o * pl->ldt + (t - t0);
            a.bias = j->bias ? j->bias[ch] : 0.0f;
            a.y = j->y + plane;
            a.res = j->res ? j->res + plane : NULL;
            j->out(&a);
            if (j->post_act)
                for (int64_t r = 0; r < m && a.oy0 + r < pl->oh; r++)
                    ert_act_f32_isa(j->p->isa, &j->act, a.y + (a.oy0 + r) * pl->ow + a.ox0,
                                    cols, ch);
        }
        t += len;
    }
}

/* Whole items on one thread, in its own region. */
static void item_task(void *arg, int64_t it, int tid)
{
    const wino_job *j = arg;
    const wino_plan *pl = j->pl;
    region r = region_of(j, tid);
    int a2 = j->p->alpha * j->p->alpha;
    in_phase(j, it, 0, pl->cg, r.v);
    for (int xi = 0; xi < a2; xi++)
        gemm_one(j, it, xi, r.v, r.m, r.gemm);
    out_phase(j, it, 0, pl->mg, r.m);
}

/* Phase-split mode: tasks of one item; V and M in region 0, GEMM slices per thread. */
static void in_task(void *arg, int64_t i, int tid)
{
    const wino_job *j = arg;
    int64_t c0 = i * j->chunk, c1 = c0 + j->chunk < j->pl->cg ? c0 + j->chunk : j->pl->cg;
    (void)tid;
    in_phase(j, j->item, c0, c1, region_of(j, 0).v);
}

static void gemm_task(void *arg, int64_t xi, int tid)
{
    const wino_job *j = arg;
    region r0 = region_of(j, 0);
    gemm_one(j, j->item, (int)xi, r0.v, r0.m, region_of(j, tid).gemm);
}

static void out_task(void *arg, int64_t i, int tid)
{
    const wino_job *j = arg;
    (void)tid;
    int64_t m0 = i * j->chunk, m1 = m0 + j->chunk < j->pl->mg ? m0 + j->chunk : j->pl->mg;
    out_phase(j, j->item, m0, m1, region_of(j, 0).m);
}

/* ---- dilated convs: phase images (dil_geom) ---- */

typedef struct dil_job {
    const dil_geom *d;
    const float *src;
    float *dst;
    int64_t ch; /* channels of the tensor copied (c for X, m for Y and Z) */
} dil_job;

/* The phase images of input plane p = (n, c) (padding as zeros). */
static void dil_gather_x(void *arg, int64_t p, int tid)
{
    const dil_job *j = arg;
    const dil_geom *d = j->d;
    int64_t n = p / d->c, c = p % d->c, hi = d->qh + 2, wi = d->qw + 2;
    const float *x = j->src + p * d->h * d->w;
    (void)tid;
    for (int64_t a = 0; a < d->dh; a++)
        for (int64_t b = 0; b < d->dw; b++) {
            float *o = j->dst + (((n * d->dh + a) * d->dw + b) * d->c + c) * hi * wi;
            for (int64_t i = 0; i < hi; i++, o += wi) {
                int64_t sy = a - d->ph + d->dh * i, sx = b - d->pw;
                if (sy < 0 || sy >= d->h) {
                    memset(o, 0, (size_t)wi * sizeof(float));
                    continue;
                }
                const float *row = x + sy * d->w;
                for (int64_t q = 0; q < wi; q++, sx += d->dw)
                    o[q] = sx >= 0 && sx < d->w ? row[sx] : 0.0f;
            }
        }
}

/* Output plane p = (n, m) and its phase planes: gathers (Z; zeros past the output) when
 * gather, else scatters (Y; the phase rows and columns past the output dropped). */
static void dil_move_out(const dil_job *j, int64_t p, bool gather)
{
    const dil_geom *d = j->d;
    int64_t n = p / d->m, m = p % d->m;
    for (int64_t a = 0; a < d->dh; a++)
        for (int64_t b = 0; b < d->dw; b++) {
            int64_t ph = ((n * d->dh + a) * d->dw + b) * d->m + m;
            for (int64_t i = 0; i < d->qh; i++) { /* phase row i: output row a + dh i */
                int64_t y = a + d->dh * i, cols = y < d->oh ? ceil_div(d->ow - b, d->dw) : 0;
                int64_t qo = (ph * d->qh + i) * d->qw, oo = (p * d->oh + y) * d->ow + b;
                if (gather) { /* src: Z, dst: its phase planes */
                    for (int64_t x = 0; x < cols; x++)
                        j->dst[qo + x] = j->src[oo + d->dw * x];
                    for (int64_t x = cols; x < d->qw; x++)
                        j->dst[qo + x] = 0.0f;
                } else { /* src: Y's phase planes, dst: Y */
                    for (int64_t x = 0; x < cols; x++)
                        j->dst[oo + d->dw * x] = j->src[qo + x];
                }
            }
        }
}

static void dil_gather_z(void *arg, int64_t p, int tid)
{
    (void)tid;
    dil_move_out(arg, p, true);
}

static void dil_scatter_y(void *arg, int64_t p, int tid)
{
    (void)tid;
    dil_move_out(arg, p, false);
}

/* The transforms and GEMMs of every (group, block) item. */
static void run_tiles(ert_kctx *k, wino_job *jp)
{
    const wino_packed *p = k->packed;
    const wino_plan *pl = k->params;
    wino_job j = *jp;
    int64_t items = pl->group * pl->nblk;
    int threads = ert_threadpool_size(k->pool);
    if (pl->split_blocks && threads <= pl->threads) {
        ert_parallel_for(k->pool, items, item_task, &j);
        return;
    }
    if (threads > pl->threads) /* a pool larger than planned for: one region */
        for (int64_t it = 0; it < items; it++)
            item_task(&j, it, 0);
    else
        for (int64_t it = 0; it < items; it++) {
            j.item = it;
            int64_t ntask = threads * 4;
            j.chunk = ceil_div(pl->cg, ntask);
            ert_parallel_for(k->pool, ceil_div(pl->cg, j.chunk), in_task, &j);
            ert_parallel_for(k->pool, p->alpha * p->alpha, gemm_task, &j);
            j.chunk = ceil_div(pl->mg, ntask);
            ert_parallel_for(k->pool, ceil_div(pl->mg, j.chunk), out_task, &j);
        }
}

static ert_status run(ert_kctx *k)
{
    const wino_packed *p = k->packed;
    const wino_plan *pl = k->params;
    if (pl->ttot <= 0)
        return ERT_OK;
    if (k->ws_bytes < pl->ws_bytes)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->ws_bytes);
    const ert_tensor *b = ert_in(k, 2), *z = ert_in(k, ERT_FC_Z), *s = ert_in(k, ERT_FC_S);
    bool fused = k->node->op->id == ERT_OP_FUSED_CONV;
    wino_job j = {.p = p, .pl = pl, .x = k->in[0]->data, .bias = b ? b->data : NULL,
                  .res = fused && z ? z->data : NULL, .y = k->out[0]->data, .act = pl->act,
                  .in = in_fn_of(p->isa), .out = out_fn_of(p->isa), .ws = k->ws};
    if (fused && s)
        j.act.slope = s->data;
    j.lo = -__builtin_inff();
    j.hi = __builtin_inff();
    if (j.act.kind == ERT_ACT_RELU || j.act.kind == ERT_ACT_CLIP) {
        j.clamp = true;
        j.lo = j.act.kind == ERT_ACT_RELU ? 0.0f : j.act.alpha;
        j.hi = j.act.kind == ERT_ACT_RELU ? __builtin_inff() : j.act.beta;
    } else
        j.post_act = j.act.kind != ERT_ACT_NONE;
    const dil_geom *d = &pl->dil;
    if (d->on) { /* the phase images instead of X, Y and Z */
        char *ws = k->ws;
        dil_job dj = {d, j.x, (float *)(ws + d->x_off), d->c};
        ert_parallel_for(k->pool, d->nb * d->c, dil_gather_x, &dj);
        if (j.res) {
            dj = (dil_job){d, j.res, (float *)(ws + d->z_off), d->m};
            ert_parallel_for(k->pool, d->nb * d->m, dil_gather_z, &dj);
            j.res = dj.dst;
        }
        j.x = (const float *)(ws + d->x_off);
        j.y = (float *)(ws + d->y_off);
        j.ws = ws + d->bytes;
    }
    run_tiles(k, &j);
    if (d->on) {
        dil_job dj = {d, j.y, k->out[0]->data, d->m};
        ert_parallel_for(k->pool, d->nb * d->m, dil_scatter_y, &dj);
    }
    return ERT_OK;
}

/* ---- kernel entries ---- */

#define WINO_ISA_KERNELS(ISA, NAME)                                                       \
    static ert_status pack4_##NAME(const ert_node *n, const ert_graph *g, void **packed,  \
                                   ert_err *err)                                         \
    {                                                                                    \
        return pack_isa(ISA, 4, n, g, packed, err);                                      \
    }                                                                                    \
    static ert_status pack2_##NAME(const ert_node *n, const ert_graph *g, void **packed,  \
                                   ert_err *err)                                         \
    {                                                                                    \
        return pack_isa(ISA, 2, n, g, packed, err);                                      \
    }                                                                                    \
    static const ert_kernel k_w4_##NAME = {"conv.winograd4." #NAME, ISA, supports4,       \
                                           pack4_##NAME, free_packed, plan, run};         \
    static const ert_kernel k_w2_##NAME = {"conv.winograd2." #NAME, ISA, supports,        \
                                           pack2_##NAME, free_packed, plan, run};

WINO_ISA_KERNELS(ERT_ISA_GENERIC, generic)
#if defined(__x86_64__) || defined(_M_X64)
WINO_ISA_KERNELS(ERT_ISA_AVX2, avx2)
WINO_ISA_KERNELS(ERT_ISA_AVX512, avx512)
#endif

const ert_kernel *const ert_winograd_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_w4_avx512, &k_w4_avx2,
#endif
    &k_w4_generic, NULL};

const ert_kernel *const ert_winograd2_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_w2_avx512, &k_w2_avx2,
#endif
    &k_w2_generic, NULL};
