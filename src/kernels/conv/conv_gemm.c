/*
 * conv_gemm.c - Conv / FusedConv as packed SGEMM (see conv_gemm.h for the kernels).
 *
 * Per image and group: Y_g[Mg, OH*OW] = epilogue(W_g[Mg, Cg*KH*KW] * B_g) where B_g is
 * X_g itself for a pointwise conv and the im2col matrix of X_g otherwise. The weights
 * are packed once per group at load (ert_sgemm_pack_a). A pointwise B is read in place
 * by the GEMM; for im2col the GEMM asks for B's rows one K block at a time and writes
 * them into the workspace (im2col_row), so the full im2col matrix never exists: a row
 * is one (channel, ky, kx) tap over a run of output pixels, built per output row from
 * the input row (stride 1: a copy; stride 2: a permute) with zeros where the tap falls
 * in the padding (tap runs: im2col_isa.h, per ISA). Shapes, attributes and auto_pad
 * come from conv.c's conv_infer_common (one implementation of the geometry). Apart
 * from the tap runs this file is ISA-neutral: the ISA selects the GEMM micro-kernel.
 */
#include <stdlib.h>
#include <string.h>

#include "kernels/conv/conv_gemm.h"
#include "kernels/conv/im2col_isa.h"
#include "kernels/gemm/gemm.h"
#include "ops/conv_geom.h"
#include "ops/fused.h"
#include "runtime/threadpool.h"

typedef ert_conv_packed conv_packed;

/* Output rows (or columns) [a0, a1) whose taps inside the image are the same: the taps
 * in `live` (bit t = tap ky * kw + kx). A tap outside the image for a whole region (rows
 * band x columns band; dilated convs on small maps: DeepLabV3's ASPP at dilation 24 and
 * 36 on a 20x20 map keeps 1 of 9 taps) is left out of that region's GEMM instead of
 * multiplying zeros. */
#define CONV_MAX_BANDS 8
typedef struct conv_band {
    int64_t a0, a1;
    uint64_t live;
} conv_band;

/* 2-D geometry of one step (1-D convs have H = OH = KH = 1), in k->params. */
typedef struct conv_plan {
    int64_t nb, c, h, w;         /* input batch, channels, height, width */
    int64_t m, oh, ow;           /* output channels, height, width */
    int64_t group, cg, mg, kg;   /* per group: input/output channels, Cg*KH*KW */
    int64_t kh, kw, sh, sw, dh, dw, ph, pw; /* kernel, strides, dilations, start pads */
    bool pointwise;              /* B is X itself */
    ert_act_params act;          /* activation (slope re-read from S each run) */
    size_t ws_bytes;             /* what plan reported */
    size_t gemm_ws_bytes;        /* the SGEMM's part, first; then the gather table, if any */
    bool gather;                 /* im2col rows gathered through a table (small maps) */
    size_t a_off;                /* workspace offset of a region's packed weights */
    size_t t_off;                /* ... of a narrow region's output tile (mg x pixels) */
    int n_rb, n_cb;              /* 0: one GEMM over every tap; else plan_bands' bands: */
    conv_band rb[CONV_MAX_BANDS]; /* rows (live: the taps of those rows) */
    conv_band cb[CONV_MAX_BANDS]; /* columns; one full-width band: row bands only */
} conv_plan;

_Static_assert(sizeof(conv_plan) <= ERT_STEP_PARAMS_BYTES, "conv_plan exceeds the block");

/* ---- load time ---- */

/* What both kernels need: float32 X/W/B/Z/S, constant W with known dims, a 1-D or 2-D
 * conv, not pure depthwise, an activation the GEMM epilogue can apply. */
static bool supports_common(const ert_node *n, const ert_graph *g, conv_geom *geo)
{
    if (!conv_f32_const_w(n, g, 0))
        return false;
    int n_in = n->n_inputs - n->n_captures;
    const ert_value *w = &g->values[n->inputs[1]];
    ert_act_params act;
    if (!(conv_geom_at_load(n, g, false, geo, &act) && (geo->nsp == 1 || geo->nsp == 2)))
        return false;
    if (act.kind == ERT_ACT_PRELU && n_in > ERT_FC_S && n->inputs[ERT_FC_S] < 0)
        return false;
    int64_t cg = w->t.dims[1], mg = w->t.dims[0] / geo->group;
    return !(geo->group > 1 && cg == 1 && mg == 1);
}

static bool supports_im2col(const ert_node *n, const ert_graph *g)
{
    conv_geom geo;
    return supports_common(n, g, &geo);
}

/* 1x1 (any rank 1-2), stride 1, no padding: SAME/VALID give zero pads for such a kernel,
 * explicit pads must be 0. */
static bool supports_1x1(const ert_node *n, const ert_graph *g)
{
    conv_geom geo;
    if (!supports_common(n, g, &geo))
        return false;
    for (int i = 0; i < geo.nsp; i++)
        if (geo.k[i] != 1 || geo.s[i] != 1 ||
            (geo.auto_pad == PAD_NOTSET && (geo.pb[i] != 0 || geo.pe[i] != 0)))
            return false;
    return true;
}

ert_status ert_conv_gemm_pack(ert_isa isa, const ert_node *n, const ert_graph *g, void **packed,
                              ert_err *err)
{
    const ert_tensor *w = &g->values[n->inputs[1]].t;
    conv_packed *p = calloc(1, sizeof *p);
    if (!p)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "conv: out of memory packing weights");
    p->isa = isa;
    p->group = ert_attr_int(n, "group", 1);
    p->mg = w->dims[0] / p->group;
    p->kg = ert_tensor_numel(w) / w->dims[0];
    p->group_floats = ert_sgemm_packed_a_floats(isa, p->mg, p->kg);
    size_t bytes = p->group_floats * (size_t)p->group * sizeof(float);
    p->a = aligned_alloc(64, bytes > 0 ? bytes : 64);
    if (!p->a) {
        free(p);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "conv: out of memory packing weights "
                        "(%zu bytes)", bytes);
    }
    const float *wd = w->data;
    for (int64_t gi = 0; gi < p->group; gi++)
        ert_sgemm_pack_a(isa, p->mg, p->kg, wd + gi * p->mg * p->kg, p->kg, 1,
                         p->a + (size_t)gi * p->group_floats);
    *packed = p;
    return ERT_OK;
}

void ert_conv_gemm_free(void *packed)
{
    conv_packed *p = packed;
    if (p)
        free(p->a);
    free(p);
}

/* ---- reshape ---- */

/* Fills pl from the concrete geometry (2-D view of a 1-D conv). */
static void plan_from_geom(conv_plan *pl, const conv_geom *geo, const ert_tensor *x,
                           const ert_tensor *y)
{
    bool one_d = geo->nsp == 1;
    int a = one_d ? 0 : 1; /* index of the width axis */
    pl->nb = x->dims[0];
    pl->c = x->dims[1];
    pl->m = y->dims[1];
    pl->h = one_d ? 1 : geo->in[0];
    pl->w = geo->in[a];
    pl->oh = one_d ? 1 : geo->out[0];
    pl->ow = geo->out[a];
    pl->kh = one_d ? 1 : geo->k[0];
    pl->sh = one_d ? 1 : geo->s[0];
    pl->dh = one_d ? 1 : geo->d[0];
    pl->ph = one_d ? 0 : geo->pb[0];
    pl->kw = geo->k[a];
    pl->sw = geo->s[a];
    pl->dw = geo->d[a];
    pl->pw = geo->pb[a];
    pl->group = geo->group;
    pl->cg = pl->c / pl->group;
    pl->mg = pl->m / pl->group;
    pl->kg = pl->cg * pl->kh * pl->kw;
    pl->pointwise = pl->kh == 1 && pl->kw == 1 && pl->sh == 1 && pl->sw == 1 && pl->ph == 0 &&
                    pl->pw == 0 && pl->oh == pl->h && pl->ow == pl->w;
}

/* The step's geometry and activation into k->params (both tactics). */
static ert_status plan_geom(ert_kctx *k)
{
    const conv_packed *p = k->packed;
    conv_plan *pl = k->params;
    ert_tensor y = {0};
    conv_geom geo;
    ert_status st = conv_geom_of_step(k, &geo, &y);
    if (st)
        return st;
    memset(pl, 0, sizeof *pl);
    plan_from_geom(pl, &geo, k->in[0], &y);
    if (pl->group != p->group || pl->mg != p->mg || pl->kg != p->kg)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "weights changed shape since packing");
    if (k->node->op->id == ERT_OP_FUSED_CONV && (st = ert_fused_conv_act(k, &pl->act)))
        return st;
    if (pl->act.kind == ERT_ACT_PRELU && pl->act.n_slope != 1 && pl->act.n_slope != pl->m)
        return ert_op_fail(k, ERT_ERR_SHAPE, "S has %lld slopes for %lld channels",
                           (long long)pl->act.n_slope, (long long)pl->m);
    return ERT_OK;
}

/* Output rows narrower than this gather their im2col rows through a table of input
 * offsets (one per tap and output pixel) built at each run in the workspace, when it is
 * at most TABLE_MAX entries: the tap runs' per-row calls and masks were 16% of a 512x49x
 * 4608 stride-2 3x3 conv (Intel Xeon, one thread, 7-pixel rows). */
#define GATHER_MAX_OW 16
#define GATHER_TABLE_MAX 65536

static void plan_bands(conv_plan *pl);

static size_t table_bytes(const conv_plan *pl)
{
    size_t n = (size_t)(pl->kh * pl->kw * pl->oh * pl->ow) * sizeof(int32_t);
    return (n + 63) / 64 * 64;
}

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    const conv_packed *p = k->packed;
    conv_plan *pl = k->params;
    ert_status st = plan_geom(k);
    if (st)
        return st;
    int threads = ert_threadpool_size(k->pool);
    plan_bands(pl);
    pl->gemm_ws_bytes = ert_sgemm_ws_bytes(p->isa, pl->mg, pl->oh * pl->ow, pl->kg, threads);
    size_t a_bytes = 0, t_bytes = 0;
    for (int i = 0; i < pl->n_rb; i++) /* the GEMM's slice is not monotone in K */
        for (int j = 0; j < pl->n_cb; j++) {
            const conv_band *r = &pl->rb[i], *c = &pl->cb[j];
            int64_t kb = pl->cg * __builtin_popcountll(r->live & c->live);
            int64_t nb = (r->a1 - r->a0) * (c->a1 - c->a0);
            size_t g = ert_sgemm_ws_bytes(p->isa, pl->mg, nb, kb, threads);
            size_t a = ert_sgemm_packed_a_floats(p->isa, pl->mg, kb) * sizeof(float);
            size_t t = c->a1 - c->a0 < pl->ow ? (size_t)(pl->mg * nb) * sizeof(float) : 0;
            pl->gemm_ws_bytes = g > pl->gemm_ws_bytes ? g : pl->gemm_ws_bytes;
            a_bytes = a > a_bytes ? a : a_bytes;
            t_bytes = t > t_bytes ? t : t_bytes;
        }
    pl->gather = !pl->pointwise && pl->ow < GATHER_MAX_OW && pl->h * pl->w <= INT32_MAX &&
                 pl->kh * pl->kw * pl->oh * pl->ow <= GATHER_TABLE_MAX;
    pl->a_off = pl->gemm_ws_bytes + (pl->gather ? table_bytes(pl) : 0);
    pl->t_off = pl->a_off + (a_bytes + 63) / 64 * 64;
    pl->ws_bytes = pl->t_off + (t_bytes + 63) / 64 * 64;
    *ws_bytes = pl->ws_bytes;
    return ERT_OK;
}

/* ---- run ---- */

/* Taps whose geometry run() works out once (more: im2col_row derives it per call). */
#define IM2COL_TAB_TAPS 64

/* Tap t = (ky, kx) of the kernel: its input row offset, input column offset and the
 * output columns [lo, hi) whose input column lies in the image (the rest is padding). */
typedef struct im2col_tap {
    int64_t ky, off, lo, hi;
} im2col_tap;

/* The im2col source of one image and group. */
typedef struct im2col_src {
    const conv_plan *pl;
    const float *x;         /* the group's first input channel of this image */
    ert_tap_run_fn tap_run; /* the kernel's ISA's tap-run writer (im2col_isa.h) */
    const int32_t *table;   /* gather table (pl->gather), or NULL */
    ert_tap_gather_fn gather;
    const im2col_tap *taps; /* per tap, or NULL (more than IM2COL_TAB_TAPS taps) */
    const uint8_t *live;    /* a region's taps (K = channels x n_live), or NULL: every tap */
    int64_t n_live;
    int64_t oh0, ow0, rw;   /* the region's first output row and column, its width: GEMM
                             * column j is pixel (oh0 + j / rw, ow0 + j % rw) */
} im2col_src;

/* Portable tap run (GENERIC level): short runs as plain loops, long ones as memcpy. */
static void tap_run_generic(float *restrict dst, const float *restrict src, int64_t lo,
                            int64_t hi, int64_t n, int64_t s)
{
    enum { SHORT = 24 }; /* below this a libc call costs more than the copy */
    for (int64_t j = 0; j < lo; j++)
        dst[j] = 0.0f;
    if (s == 1 && hi - lo >= SHORT)
        memcpy(dst + lo, src + lo, sizeof(float) * (size_t)(hi - lo));
    else
        for (int64_t j = lo; j < hi; j++)
            dst[j] = src[j * s];
    for (int64_t j = hi; j < n; j++)
        dst[j] = 0.0f;
}

static void tap_gather_generic(float *restrict dst, const float *restrict src,
                               const int32_t *idx, int64_t n)
{
    for (int64_t j = 0; j < n; j++)
        dst[j] = idx[j] >= 0 ? src[idx[j]] : 0.0f;
}

static ert_tap_gather_fn tap_gather_of(ert_isa isa)
{
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == ERT_ISA_AVX512)
        return ert_tap_gather_avx512;
    if (isa == ERT_ISA_AVX2)
        return ert_tap_gather_avx2;
#endif
    (void)isa;
    return tap_gather_generic;
}

/* table[t * OH*OW + p] = offset in a channel plane of tap t (ky, kx) at output pixel p,
 * -1 where it falls in the padding. */
static void build_table(const conv_plan *pl, int32_t *table)
{
    int64_t ohw = pl->oh * pl->ow;
    for (int64_t t = 0; t < pl->kh * pl->kw; t++) {
        int64_t ky = t / pl->kw, kx = t % pl->kw;
        for (int64_t p = 0; p < ohw; p++) {
            int64_t ih = (p / pl->ow) * pl->sh + ky * pl->dh - pl->ph;
            int64_t iw = (p % pl->ow) * pl->sw + kx * pl->dw - pl->pw;
            bool in = ih >= 0 && ih < pl->h && iw >= 0 && iw < pl->w;
            table[t * ohw + p] = in ? (int32_t)(ih * pl->w + iw) : -1;
        }
    }
}

ert_tap_run_fn ert_tap_run_of(ert_isa isa)
{
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == ERT_ISA_AVX512)
        return ert_tap_run_avx512;
    if (isa == ERT_ISA_AVX2)
        return ert_tap_run_avx2;
#endif
    (void)isa;
    return tap_run_generic;
}

/* ceil(a / b) for b > 0 and any sign of a. */
static int64_t ceil_div_s(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* dst[i] = row[(ow0 + i) * s + off] for i in [0, n) where that input column lies in
 * [0, w), zero elsewhere (the padding). */
static void tap_segment(float *restrict dst, const float *restrict row, int64_t ow0, int64_t n,
                        int64_t s, int64_t off, int64_t w, ert_tap_run_fn tap_run)
{
    int64_t lo = clamp64(ceil_div_s(-off, s) - ow0, 0, n);
    int64_t hi = clamp64(ceil_div_s(w - off, s) - ow0, lo, n);
    tap_run(dst, row + ow0 * s + off, lo, hi, n, s);
}

/* The geometry of tap t (ky = t / kw, kx = t % kw); lo, hi: a whole output row's
 * in-image span, the same for every row of this tap. */
static im2col_tap tap_of(const conv_plan *pl, int64_t t)
{
    im2col_tap tp = {.ky = t / pl->kw, .off = t % pl->kw * pl->dw - pl->pw};
    tp.lo = clamp64(ceil_div_s(-tp.off, pl->sw), 0, pl->ow);
    tp.hi = clamp64(ceil_div_s(pl->w - tp.off, pl->sw), tp.lo, pl->ow);
    return tp;
}

/* Taps of output row oh whose input row is inside the image (bit t, every kx). */
static uint64_t row_taps(const conv_plan *pl, int64_t oh)
{
    uint64_t live = 0, kx_all = (2ull << (pl->kw - 1)) - 1;
    for (int64_t ky = 0; ky < pl->kh; ky++) {
        int64_t ih = oh * pl->sh + ky * pl->dh - pl->ph;
        if (ih >= 0 && ih < pl->h)
            live |= kx_all << (ky * pl->kw);
    }
    return live;
}

/* Taps of output column ow whose input column is inside the image (bit t, every ky). */
static uint64_t col_taps(const conv_plan *pl, int64_t ow)
{
    uint64_t live = 0;
    for (int64_t kx = 0; kx < pl->kw; kx++) {
        int64_t iw = ow * pl->sw + kx * pl->dw - pl->pw;
        for (int64_t ky = 0; iw >= 0 && iw < pl->w && ky < pl->kh; ky++)
            live |= 1ull << (ky * pl->kw + kx);
    }
    return live;
}

/* Consecutive positions [0, n) with the same mask(pos) as bands; false if more than
 * CONV_MAX_BANDS. */
static bool bands_of(const conv_plan *pl, int64_t n, uint64_t (*mask)(const conv_plan *, int64_t),
                     conv_band *b, int *nb)
{
    *nb = 0;
    for (int64_t i = 0; i < n; i++) {
        uint64_t live = mask(pl, i);
        if (*nb > 0 && b[*nb - 1].live == live) {
            b[*nb - 1].a1 = i + 1;
            continue;
        }
        if (*nb == CONV_MAX_BANDS)
            return false;
        b[(*nb)++] = (conv_band){i, i + 1, live};
    }
    return true;
}

/* MACs per output channel and input channel over the regions rb x cb. */
static int64_t region_macs(const conv_band *rb, int nr, const conv_band *cb, int nc)
{
    int64_t macs = 0;
    for (int i = 0; i < nr; i++)
        for (int j = 0; j < nc; j++)
            macs += (rb[i].a1 - rb[i].a0) * (cb[j].a1 - cb[j].a0) *
                    __builtin_popcountll(rb[i].live & cb[j].live);
    return macs;
}

/* Fewest output pixels of a rows x columns region: a region's GEMM repacks its weights
 * (a float copy per Cg x taps x Mg, ~4-8 MACs' time each, so ~1/N of the region's work)
 * and runs at N = its pixels (ASPP at dilation 12 on 20x20 in 9 regions of 16-64 pixels:
 * 21 ms against 15.8 in 3 row bands, Zen 4). */
#define CONV_MIN_REGION_PX 256

/* Regions of output pixels with the same live taps, kept only where leaving the dead taps
 * out saves at least a fifth of the MACs: first row bands over full rows (one GEMM each,
 * written in place), then, if splitting the columns too saves another fifth and every
 * region has CONV_MIN_REGION_PX pixels, rows x columns regions (narrow ones through an
 * output tile). A plain 3x3 pad-1 conv, whose border pixels lose 3 taps, stays one GEMM. */
static void plan_bands(conv_plan *pl)
{
    int64_t taps = pl->kh * pl->kw;
    pl->n_rb = pl->n_cb = 0;
    if (pl->pointwise || taps > 64 || pl->oh <= 0 || pl->ow <= 0)
        return;
    conv_band rb[CONV_MAX_BANDS], cb[CONV_MAX_BANDS];
    int nr, nc;
    if (!bands_of(pl, pl->oh, row_taps, rb, &nr))
        return;
    uint64_t col_any = 0;
    for (int64_t ow = 0; ow < pl->ow; ow++)
        col_any |= col_taps(pl, ow);
    conv_band whole = {0, pl->ow, col_any};
    int64_t full = pl->oh * pl->ow * taps, rows = region_macs(rb, nr, &whole, 1);
    bool cols = bands_of(pl, pl->ow, col_taps, cb, &nc) && nc > 1;
    for (int i = 0; cols && i < nr; i++) /* each region's weights are repacked per run */
        for (int j = 0; cols && j < nc; j++)
            cols = (rb[i].a1 - rb[i].a0) * (cb[j].a1 - cb[j].a0) >= CONV_MIN_REGION_PX;
    if (cols && region_macs(rb, nr, cb, nc) * 5 <= (rows < full ? rows : full) * 4) {
        pl->n_cb = nc;
        memcpy(pl->cb, cb, sizeof cb[0] * (size_t)nc);
    } else if (rows * 5 <= full * 4) {
        pl->n_cb = 1;
        pl->cb[0] = whole;
    } else {
        return;
    }
    pl->n_rb = nr;
    memcpy(pl->rb, rb, sizeof rb[0] * (size_t)nr);
}

/* Row k (channel ci, tap ky, kx) of the group's im2col matrix, columns [n0, n0+nc). */
static const float *im2col_row(const void *ctx, int64_t k, int64_t n0, int64_t nc, float *buf)
{
    const im2col_src *src = ctx;
    const conv_plan *pl = src->pl;
    int64_t taps = src->live ? src->n_live : pl->kh * pl->kw, ci = k / taps, t = k % taps;
    t = src->live ? src->live[t] : t;
    const float *xc = src->x + ci * pl->h * pl->w;
    int64_t rw = src->rw, oh = src->oh0 + n0 / rw, c = n0 % rw;
    if (src->table && rw == pl->ow) { /* full rows: the region is one run of the plane */
        src->gather(buf, xc, src->table + t * pl->oh * pl->ow + oh * pl->ow + c, nc);
        return buf;
    }
    /* the tap's geometry from run()'s table: four of a call's six 64-bit divisions (a call
     * writes 384 columns; callgrind, 3x3/2 32->64 on 160x160: 9% fewer instructions here) */
    im2col_tap tp = src->taps ? src->taps[t] : tap_of(pl, t);
    int64_t ky = tp.ky, off = tp.off, lo = tp.lo, hi = tp.hi;
    for (int64_t done = 0; done < nc; oh++, c = 0) {
        int64_t len = rw - c < nc - done ? rw - c : nc - done, ow = src->ow0 + c;
        int64_t ih = oh * pl->sh + ky * pl->dh - pl->ph;
        if (src->table)
            src->gather(buf + done, xc, src->table + t * pl->oh * pl->ow + oh * pl->ow + ow, len);
        else if (ih < 0 || ih >= pl->h)
            memset(buf + done, 0, sizeof(float) * (size_t)len);
        else if (len == pl->ow)
            src->tap_run(buf + done, xc + ih * pl->w + off, lo, hi, len, pl->sw);
        else
            tap_segment(buf + done, xc + ih * pl->w, ow, len, pl->sw, off, pl->w, src->tap_run);
        done += len;
    }
    return buf;
}

/* What run()'s GEMMs share. */
typedef struct run_ctx {
    const ert_kctx *k;
    const conv_plan *pl;
    const conv_packed *p;
    ert_tap_run_fn tap_run;
    ert_tap_gather_fn gather;
    const int32_t *table;
    const im2col_tap *taps;
    const float *bias, *res;
    float *y;
    float *a_buf; /* a region's packed weights (the workspace at pl->a_off) */
    float *t_buf; /* a narrow region's output tile (at pl->t_off) */
} run_ctx;

/* The group's packed weights restricted to the n_live taps of `live` (K = cg x n_live,
 * the same channel-major order), panel by panel from the full packing. */
static void pack_live(const run_ctx *rc, const float *a, const uint8_t *live, int64_t n_live,
                      float *dst)
{
    const conv_plan *pl = rc->pl;
    int mr = ert_sgemm_tile_of(rc->p->isa).mr;
    int64_t taps = pl->kh * pl->kw, kb = pl->cg * n_live;
    for (int64_t i = 0; i < pl->mg; i += mr)
        for (int64_t ci = 0; ci < pl->cg; ci++)
            for (int64_t j = 0; j < n_live; j++)
                memcpy(dst + i * kb + (ci * n_live + j) * mr,
                       a + i * pl->kg + (ci * taps + live[j]) * mr, sizeof(float) * (size_t)mr);
}

/* A narrow region's tile t[mg][rows x cols] from / to plane rows of y (ohw apart). */
static void tile_copy(const conv_plan *pl, float *t, float *y, const conv_band *r,
                      const conv_band *c, bool to_tile)
{
    int64_t cols = c->a1 - c->a0, n = (r->a1 - r->a0) * cols;
    for (int64_t m = 0; m < pl->mg; m++)
        for (int64_t oh = r->a0; oh < r->a1; oh++) {
            float *a = t + m * n + (oh - r->a0) * cols;
            float *b = y + m * pl->oh * pl->ow + oh * pl->ow + c->a0;
            memcpy(to_tile ? a : b, to_tile ? b : a, sizeof(float) * (size_t)cols);
        }
}

/* One GEMM: image n, group gi, the output pixels rows r x columns c over the taps in
 * r->live & c->live (r, c NULL: every pixel and tap). A region narrower than the map
 * is computed into the workspace tile (its residual gathered there first) and copied
 * out. */
static void run_region(const run_ctx *rc, ert_sgemm_epilogue *ep, int64_t n, int64_t gi,
                       const conv_band *r, const conv_band *c)
{
    const conv_plan *pl = rc->pl;
    const conv_packed *p = rc->p;
    int64_t ohw = pl->oh * pl->ow, hw = pl->h * pl->w, taps = pl->kh * pl->kw;
    const conv_band all_r = {0, pl->oh, ~0ull}, all_c = {0, pl->ow, ~0ull};
    r = r ? r : &all_r;
    c = c ? c : &all_c;
    const float *xg = rc->k->in[0]->data;
    xg += (n * pl->c + gi * pl->cg) * hw;
    int64_t yoff = (n * pl->m + gi * pl->mg) * ohw, cols = c->a1 - c->a0;
    int64_t npx = (r->a1 - r->a0) * cols;
    const float *a = p->a + (size_t)gi * p->group_floats;
    uint8_t live[64];
    int64_t n_live = 0;
    for (int64_t t = 0; pl->n_rb > 0 && t < taps; t++)
        if ((r->live & c->live) >> t & 1)
            live[n_live++] = (uint8_t)t;
    bool subset = pl->n_rb > 0 && n_live < taps, narrow = cols < pl->ow;
    if (subset) {
        pack_live(rc, a, live, n_live, rc->a_buf);
        a = rc->a_buf;
    }
    im2col_src src = {pl, xg, rc->tap_run, rc->table, rc->gather, rc->taps,
                      subset ? live : NULL, n_live, r->a0, c->a0, cols};
    ert_sgemm_b bs = pl->pointwise ? (ert_sgemm_b){.data = xg, .ld = hw}
                                   : (ert_sgemm_b){.row = im2col_row, .ctx = &src};
    float *out = rc->y + yoff + r->a0 * pl->ow;
    int64_t ldc = ohw;
    ep->bias = rc->bias ? rc->bias + gi * pl->mg : NULL;
    ep->residual = rc->res ? rc->res + yoff + r->a0 * pl->ow : NULL;
    ep->ldr = ohw;
    ep->act_row0 = gi * pl->mg;
    if (narrow) {
        out = rc->t_buf;
        ldc = npx;
        if (rc->res) /* the tile starts as the residual: the GEMM adds into it */
            tile_copy(pl, out, (float *)rc->res + yoff, r, c, true);
        ep->residual = rc->res ? out : NULL;
        ep->ldr = npx;
    }
    ert_sgemm_packed(p->isa, pl->mg, npx, subset ? pl->cg * n_live : pl->kg, a, &bs, out, ldc,
                     ep, rc->k->ws, pl->gemm_ws_bytes, rc->k->pool);
    if (narrow)
        tile_copy(pl, out, rc->y + yoff, r, c, false);
}

static ert_status run(ert_kctx *k)
{
    const conv_packed *p = k->packed;
    const conv_plan *pl = k->params;
    const ert_tensor *b = ert_in(k, 2), *z = ert_in(k, ERT_FC_Z), *s = ert_in(k, ERT_FC_S);
    bool fused = k->node->op->id == ERT_OP_FUSED_CONV;
    const float *bias = b ? b->data : NULL, *res = fused && z ? z->data : NULL;
    float *y = k->out[0]->data;
    ert_sgemm_epilogue ep = {.ldr = pl->oh * pl->ow, .act = pl->act};
    if (fused && s)
        ep.act.slope = s->data;
    if (k->ws_bytes < pl->ws_bytes)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->ws_bytes);
    int32_t *table = NULL;
    if (pl->gather) {
        table = (int32_t *)((char *)k->ws + pl->gemm_ws_bytes);
        build_table(pl, table);
    }
    im2col_tap taps[IM2COL_TAB_TAPS];
    bool tabled = pl->kh * pl->kw <= IM2COL_TAB_TAPS;
    for (int64_t t = 0; tabled && t < pl->kh * pl->kw; t++)
        taps[t] = tap_of(pl, t);
    run_ctx rc = {k, pl, p, ert_tap_run_of(p->isa), tap_gather_of(p->isa), table,
                  tabled ? taps : NULL, bias, res, y, (float *)((char *)k->ws + pl->a_off),
                  (float *)((char *)k->ws + pl->t_off)};
    for (int64_t n = 0; n < pl->nb; n++)
        for (int64_t gi = 0; gi < pl->group; gi++) {
            if (pl->n_rb == 0)
                run_region(&rc, &ep, n, gi, NULL, NULL);
            for (int i = 0; i < pl->n_rb; i++)
                for (int j = 0; j < pl->n_cb; j++)
                    run_region(&rc, &ep, n, gi, &pl->rb[i], &pl->cb[j]);
        }
    return ERT_OK;
}

bool ert_conv_gemm_writes_over_z(const ert_kernel *k)
{
    return k && k->run == run;
}

/* ---- few output channels: conv.rows ---- */

/* Output channels per group up to which conv.rows is offered: below the GEMM tile's
 * rows (8) the packed GEMM multiplies padding (a depth or mask head with 1 output
 * channel ran at 5% of peak). */
#define ROWS_MAX_M 4
/* Output pixels per task: 4 generated rows and up to 4 accumulator rows stay in L1. */
#define ROWS_NB 512

static bool supports_rows(const ert_node *n, const ert_graph *g)
{
    conv_geom geo;
    if (!supports_common(n, g, &geo))
        return false;
    const ert_tensor *w = &g->values[n->inputs[1]].t;
    return w->dims[0] / geo.group <= ROWS_MAX_M;
}

/* The weights as they are ([group][Mg][Kg] rows), 64-byte aligned. */
static ert_status pack_plain(ert_isa isa, const ert_node *n, const ert_graph *g, void **packed,
                             ert_err *err)
{
    const ert_tensor *w = &g->values[n->inputs[1]].t;
    conv_packed *p = calloc(1, sizeof *p);
    size_t bytes = w->nbytes > 0 ? (w->nbytes + 63) / 64 * 64 : 64;
    if (p)
        p->a = aligned_alloc(64, bytes);
    if (!p || !p->a) {
        free(p);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "conv: out of memory copying weights "
                        "(%zu bytes)", bytes);
    }
    p->isa = isa;
    p->group = ert_attr_int(n, "group", 1);
    p->mg = w->dims[0] / p->group;
    p->kg = ert_tensor_numel(w) / w->dims[0];
    p->group_floats = (size_t)(p->mg * p->kg);
    memcpy(p->a, w->data, w->nbytes);
    *packed = p;
    return ERT_OK;
}

static ert_status plan_rows(ert_kctx *k, size_t *ws_bytes)
{
    conv_plan *pl = k->params;
    ert_status st = plan_geom(k);
    if (st)
        return st;
    pl->ws_bytes = (size_t)ert_threadpool_size(k->pool) * 4 * ROWS_NB * sizeof(float);
    *ws_bytes = pl->ws_bytes;
    return ERT_OK;
}

/* Portable y[j] += sum_r w[r] * rows[r][j] (GENERIC level). */
static void rows_fma_generic(float *restrict y, const float *const *rows, const float *w, int nr,
                             int64_t n)
{
    for (int r = 0; r < nr; r++)
        for (int64_t j = 0; j < n; j++)
            y[j] += w[r] * rows[r][j];
}

static ert_rows_fma_fn rows_fma_of(ert_isa isa)
{
#if defined(__x86_64__) || defined(_M_X64)
    if (isa == ERT_ISA_AVX512)
        return ert_rows_fma_avx512;
    if (isa == ERT_ISA_AVX2)
        return ert_rows_fma_avx2;
#endif
    (void)isa;
    return rows_fma_generic;
}

typedef struct rows_job {
    const conv_plan *pl;
    const conv_packed *p;
    const float *x, *bias, *res;
    float *y, *ws;
    ert_act_params act;
    int64_t nblk; /* column blocks per image plane */
} rows_job;

/* act(acc + bias + R) of one block of one output row: bias first, R and act at the end. */
static void rows_finish(const rows_job *j, float *yr, const float *rr, int64_t nc, int64_t ch)
{
    for (int64_t i = 0; rr && i < nc; i++)
        yr[i] += rr[i];
    if (j->act.kind != ERT_ACT_NONE)
        ert_act_f32_isa(j->p->isa, &j->act, yr, nc, ch);
}

/* Task t: image n, group gi, columns [n0, n0 + nc) of every output channel of the group. */
static void rows_task(void *arg, int64_t t, int tid)
{
    const rows_job *j = arg;
    const conv_plan *pl = j->pl;
    int64_t ohw = pl->oh * pl->ow, hw = pl->h * pl->w, blk = t % j->nblk;
    int64_t gi = (t / j->nblk) % pl->group, n = t / (j->nblk * pl->group);
    int64_t n0 = blk * ROWS_NB, nc = ohw - n0 < ROWS_NB ? ohw - n0 : ROWS_NB;
    const float *xg = j->x + (n * pl->c + gi * pl->cg) * hw;
    const float *w = j->p->a + (size_t)gi * j->p->group_floats;
    float *buf = j->ws + (size_t)tid * 4 * ROWS_NB, *yg = j->y + (n * pl->m + gi * pl->mg) * ohw;
    im2col_src src = {pl, xg, ert_tap_run_of(j->p->isa), NULL, NULL, NULL, NULL, 0, 0, 0, pl->ow};
    ert_rows_fma_fn fma = rows_fma_of(j->p->isa);
    for (int64_t m = 0; m < pl->mg; m++)
        for (int64_t i = 0; i < nc; i++)
            yg[m * ohw + n0 + i] = j->bias ? j->bias[gi * pl->mg + m] : 0.0f;
    for (int64_t k0 = 0; k0 < pl->kg; k0 += 4) {
        int nr = pl->kg - k0 < 4 ? (int)(pl->kg - k0) : 4;
        const float *rows[4];
        for (int r = 0; r < nr; r++)
            rows[r] = pl->pointwise ? xg + (k0 + r) * hw + n0
                                    : im2col_row(&src, k0 + r, n0, nc, buf + r * ROWS_NB);
        for (int64_t m = 0; m < pl->mg; m++)
            fma(yg + m * ohw + n0, rows, w + m * pl->kg + k0, nr, nc);
    }
    for (int64_t m = 0; m < pl->mg; m++)
        rows_finish(j, yg + m * ohw + n0,
                    j->res ? j->res + (n * pl->m + gi * pl->mg + m) * ohw + n0 : NULL, nc,
                    gi * pl->mg + m);
}

static ert_status run_rows(ert_kctx *k)
{
    const conv_plan *pl = k->params;
    const ert_tensor *b = ert_in(k, 2), *z = ert_in(k, ERT_FC_Z), *s = ert_in(k, ERT_FC_S);
    bool fused = k->node->op->id == ERT_OP_FUSED_CONV;
    int64_t ohw = pl->oh * pl->ow;
    rows_job j = {pl, k->packed, k->in[0]->data, b ? b->data : NULL,
                  fused && z ? z->data : NULL, k->out[0]->data, k->ws, pl->act,
                  (ohw + ROWS_NB - 1) / ROWS_NB};
    if (fused && s)
        j.act.slope = s->data;
    if (k->ws_bytes < pl->ws_bytes)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->ws_bytes);
    ert_parallel_for(k->pool, pl->nb * pl->group * j.nblk, rows_task, &j);
    return ERT_OK;
}

/* ---- kernel entries ---- */

#define CONV_ISA_KERNELS(ISA, NAME)                                                      \
    static ert_status pack_##NAME(const ert_node *n, const ert_graph *g, void **packed,   \
                                  ert_err *err)                                          \
    {                                                                                    \
        return ert_conv_gemm_pack(ISA, n, g, packed, err);                                         \
    }                                                                                    \
    static const ert_kernel k_1x1_##NAME = {"conv.gemm1x1." #NAME, ISA, supports_1x1,     \
                                            pack_##NAME, ert_conv_gemm_free, plan, run};        \
    static const ert_kernel k_im2col_##NAME = {"conv.im2col." #NAME, ISA, supports_im2col, \
                                               pack_##NAME, ert_conv_gemm_free, plan, run};     \
    static ert_status pack_rows_##NAME(const ert_node *n, const ert_graph *g, void **packed, \
                                       ert_err *err)                                     \
    {                                                                                    \
        return pack_plain(ISA, n, g, packed, err);                                       \
    }                                                                                    \
    static const ert_kernel k_rows_##NAME = {"conv.rows." #NAME, ISA, supports_rows,      \
                                             pack_rows_##NAME, ert_conv_gemm_free, plan_rows,   \
                                             run_rows};

CONV_ISA_KERNELS(ERT_ISA_GENERIC, generic)
#if defined(__aarch64__)
CONV_ISA_KERNELS(ERT_ISA_NEON, neon)
#endif
#if defined(__x86_64__) || defined(_M_X64)
CONV_ISA_KERNELS(ERT_ISA_AVX2, avx2)
CONV_ISA_KERNELS(ERT_ISA_AVX512, avx512)
#endif

const ert_kernel *const ert_conv_gemm_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_rows_avx512, &k_1x1_avx512, &k_im2col_avx512, &k_rows_avx2, &k_1x1_avx2, &k_im2col_avx2,
#endif
#if defined(__aarch64__)
    &k_rows_neon, &k_1x1_neon, &k_im2col_neon,
#endif
    &k_rows_generic, &k_1x1_generic, &k_im2col_generic, NULL};
