/*
 * conv3d.c - conv.vol.<isa>: 3-D Conv / FusedConv (NCDHW float32, constant weights) as
 * the packed SGEMM, per image and group:
 *   Y_g[Mg, OD*OH*OW] = epilogue(W_g[Mg, Cg*KD*KH*KW] * B_g)
 * with B_g's rows generated while the GEMM packs them (sgemm's row callback, one K
 * block at a time, as conv_gemm.c's im2col): row (ci, kz, ky, kx) over the output
 * pixels is, per output row (od, oh), the input row (od*sd + kz*dd - pd, oh*sh + ky*dh -
 * ph) read at column stride sw from kx*dw - pw through the ISA's tap run (zeros where
 * the tap falls in the padding), or zeros when that row is outside the volume. A 1x1x1
 * kernel at stride 1 without pads reads X in place. Any kernel size, strides, dilations,
 * pads (auto_pad included) and groups; bias, FusedConv's residual Z and activation in
 * the GEMM's epilogue. The weights are conv_gemm.c's packing (W's rows as they lie).
 */
#include <string.h>

#include "kernels/conv/conv_gemm.h"
#include "kernels/conv/im2col_isa.h"
#include "kernels/gemm/gemm.h"
#include "ops/conv_geom.h"
#include "ops/fused.h"
#include "runtime/threadpool.h"

typedef struct vol_plan {
    int64_t nb, c, m, group, cg, mg, kg;
    int64_t in[3], out[3], k[3], s[3], d[3], p[3]; /* depth, height, width */
    bool pointwise;
    ert_act_params act;
    size_t ws_bytes;
} vol_plan;

_Static_assert(sizeof(vol_plan) <= ERT_STEP_PARAMS_BYTES, "vol_plan exceeds the block");

/* ---- load time ---- */

static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!conv_f32_const_w(n, g, 5))
        return false;
    conv_geom geo;
    ert_act_params act;
    if (!conv_geom_at_load(n, g, false, &geo, &act) || geo.nsp != 3)
        return false;
    int n_in = n->n_inputs - n->n_captures;
    return !(act.kind == ERT_ACT_PRELU && n_in > ERT_FC_S && n->inputs[ERT_FC_S] < 0);
}

/* ---- reshape ---- */

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    const ert_conv_packed *pk = k->packed;
    vol_plan *pl = k->params;
    ert_tensor y = {0};
    conv_geom geo;
    ert_status st = conv_geom_of_step(k, &geo, &y);
    if (st)
        return st;
    memset(pl, 0, sizeof *pl);
    if (geo.nsp != 3)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "not a 3-D conv at run time");
    pl->nb = k->in[0]->dims[0];
    pl->c = k->in[0]->dims[1];
    pl->m = y.dims[1];
    pl->group = geo.group;
    pl->cg = pl->c / pl->group;
    pl->mg = pl->m / pl->group;
    pl->pointwise = true;
    for (int i = 0; i < 3; i++) {
        pl->in[i] = geo.in[i];
        pl->out[i] = geo.out[i];
        pl->k[i] = geo.k[i];
        pl->s[i] = geo.s[i];
        pl->d[i] = geo.d[i];
        pl->p[i] = geo.pb[i];
        pl->pointwise &=
            geo.k[i] == 1 && geo.s[i] == 1 && geo.pb[i] == 0 && geo.out[i] == geo.in[i];
    }
    pl->kg = pl->cg * pl->k[0] * pl->k[1] * pl->k[2];
    if (pl->group != pk->group || pl->mg != pk->mg || pl->kg != pk->kg)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "weights changed shape since packing");
    if (k->node->op->id == ERT_OP_FUSED_CONV && (st = ert_fused_conv_act(k, &pl->act)))
        return st;
    if (pl->act.kind == ERT_ACT_PRELU && pl->act.n_slope != 1 && pl->act.n_slope != pl->m)
        return ert_op_fail(k, ERT_ERR_SHAPE, "S has %lld slopes for %lld channels",
                           (long long)pl->act.n_slope, (long long)pl->m);
    int64_t npx = pl->out[0] * pl->out[1] * pl->out[2];
    pl->ws_bytes = ert_sgemm_ws_bytes(pk->isa, pl->mg, npx, pl->kg, ert_threadpool_size(k->pool));
    *ws_bytes = pl->ws_bytes;
    return ERT_OK;
}

/* ---- run ---- */

typedef struct vol_src {
    const vol_plan *pl;
    const float *x; /* the group's first input channel of this image */
    ert_tap_run_fn tap_run;
} vol_src;

/* ceil(a / b) for b > 0 and any sign of a. */
static int64_t ceil_div_s(int64_t a, int64_t b)
{
    return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Row k = (ci, kz, ky, kx) of the group's im2col matrix, columns [n0, n0 + nc). */
static const float *vol_row(const void *ctx, int64_t k, int64_t n0, int64_t nc, float *buf)
{
    const vol_src *src = ctx;
    const vol_plan *pl = src->pl;
    int64_t kw = pl->k[2], khw = pl->k[1] * kw, taps = pl->k[0] * khw;
    int64_t ci = k / taps, t = k % taps, kz = t / khw, ky = t % khw / kw, kx = t % kw;
    int64_t W = pl->in[2], OW = pl->out[2], OH = pl->out[1], sw = pl->s[2];
    const float *xc = src->x + ci * pl->in[0] * pl->in[1] * W;
    int64_t off = kx * pl->d[2] - pl->p[2];
    int64_t lo = clamp64(ceil_div_s(-off, sw), 0, OW);
    int64_t hi = clamp64(ceil_div_s(W - off, sw), lo, OW);
    int64_t od = n0 / (OH * OW), oh = n0 / OW % OH, c = n0 % OW;
    for (int64_t done = 0; done < nc;) {
        int64_t len = OW - c < nc - done ? OW - c : nc - done;
        int64_t id = od * pl->s[0] + kz * pl->d[0] - pl->p[0];
        int64_t ih = oh * pl->s[1] + ky * pl->d[1] - pl->p[1];
        if (id < 0 || id >= pl->in[0] || ih < 0 || ih >= pl->in[1])
            memset(buf + done, 0, sizeof(float) * (size_t)len);
        else
            src->tap_run(buf + done, xc + (id * pl->in[1] + ih) * W + c * sw + off,
                         clamp64(lo - c, 0, len), clamp64(hi - c, 0, len), len, sw);
        done += len;
        c = 0;
        if (++oh == OH) {
            oh = 0;
            od++;
        }
    }
    return buf;
}

static ert_status run(ert_kctx *k)
{
    const ert_conv_packed *pk = k->packed;
    const vol_plan *pl = k->params;
    if (k->ws_bytes < pl->ws_bytes)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->ws_bytes);
    const ert_tensor *b = ert_in(k, 2), *z = ert_in(k, ERT_FC_Z), *s = ert_in(k, ERT_FC_S);
    bool fused = k->node->op->id == ERT_OP_FUSED_CONV;
    const float *bias = b ? b->data : NULL, *res = fused && z ? z->data : NULL;
    int64_t npx = pl->out[0] * pl->out[1] * pl->out[2], vol = pl->in[0] * pl->in[1] * pl->in[2];
    ert_sgemm_epilogue ep = {.ldr = npx, .act = pl->act};
    if (fused && s)
        ep.act.slope = s->data;
    for (int64_t n = 0; n < pl->nb; n++)
        for (int64_t gi = 0; gi < pl->group; gi++) {
            const float *xg = (const float *)k->in[0]->data + (n * pl->c + gi * pl->cg) * vol;
            int64_t yoff = (n * pl->m + gi * pl->mg) * npx;
            vol_src src = {pl, xg, ert_tap_run_of(pk->isa)};
            ert_sgemm_b bs = pl->pointwise ? (ert_sgemm_b){.data = xg, .ld = vol}
                                           : (ert_sgemm_b){.row = vol_row, .ctx = &src};
            ep.bias = bias ? bias + gi * pl->mg : NULL;
            ep.residual = res ? res + yoff : NULL;
            ep.act_row0 = gi * pl->mg;
            ert_sgemm_packed(pk->isa, pl->mg, npx, pl->kg, pk->a + (size_t)gi * pk->group_floats,
                             &bs, (float *)k->out[0]->data + yoff, npx, &ep, k->ws, pl->ws_bytes,
                             k->pool);
        }
    return ERT_OK;
}

/* ---- kernel entries ---- */

#define VOL_KERNEL(ISA, NAME)                                                                  \
    static ert_status pack_##NAME(const ert_node *n, const ert_graph *g, void **packed,         \
                                  ert_err *err)                                                \
    {                                                                                          \
        return ert_conv_gemm_pack(ISA, n, g, packed, err);                                     \
    }                                                                                          \
    static const ert_kernel k_##NAME = {"conv.vol." #NAME, ISA, supports, pack_##NAME,          \
                                        ert_conv_gemm_free, plan, run};

VOL_KERNEL(ERT_ISA_GENERIC, generic)
#if defined(__x86_64__) || defined(_M_X64)
VOL_KERNEL(ERT_ISA_AVX2, avx2)
VOL_KERNEL(ERT_ISA_AVX512, avx512)
#endif
#if defined(__aarch64__)
VOL_KERNEL(ERT_ISA_NEON, neon)
#endif

const ert_kernel *const ert_conv3d_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};
