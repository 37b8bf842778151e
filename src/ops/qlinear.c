/*
 * qlinear.c - QOperator-format quantized linear ops: QLinearConv and QLinearMatMul.
 *
 * Both follow the same recipe as the ONNX reference:
 *   1. widen the 8-bit inputs to int32 and subtract their zero points,
 *   2. accumulate products in int32 (the spec allows wrap-around only in 32 bits; with
 *      8-bit operands that needs > 33,000 terms of 255*255, so real models never wrap),
 *   3. requantize: y = saturate(round_half_even(acc * M + y_zero_point)) where the
 *      multiplier M = a_scale * b_scale / y_scale is computed in the scales' own float
 *      type (float32, or float16 / bfloat16 for QLinearMatMul-21) and the product with
 *      acc in double, exactly as numpy promotes int32 * float32 in the reference.
 *
 * QLinearConv: x_zero_point / y_scale / y_zero_point per tensor; w_scale and
 * w_zero_point per tensor or per output channel; optional int32 bias added to the
 * accumulator. 1-D, 2-D and 3-D convolutions with all Conv attributes (group, strides,
 * dilations, pads, auto_pad, kernel_shape). The kernel loops are direct (no im2col):
 * for each (output channel, input channel, kernel tap) one row of the output plane is
 * updated with a contiguous inner loop over output columns, which is vectorisable for
 * stride 1 and keeps ResNet-sized models in seconds.
 *
 * QLinearMatMul: numpy.matmul broadcasting (1-D operands promoted and squeezed back).
 * a_scale / a_zero_point: a scalar, an M-element vector (per row of a) or an N-D tensor
 * broadcastable to a's shape with 1 in the K dim ([..., M, 1]). b_scale / b_zero_point:
 * a scalar, an N-element vector (per column) or [..., 1, N]. y_scale / y_zero_point per
 * tensor.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/scratch.h"

/* ---- shared helpers ---- */

static bool ql_is_q8(ert_dtype t)
{
    return t == ERT_DTYPE_UINT8 || t == ERT_DTYPE_INT8;
}

static bool ql_is_scale_type(ert_dtype t)
{
    return t == ERT_DTYPE_FLOAT32 || t == ERT_DTYPE_FLOAT16 || t == ERT_DTYPE_BFLOAT16;
}

/* Rounds v to the precision of float type t (what a numpy op in that dtype yields). */
static double ql_round_to(ert_dtype t, double v)
{
    switch (t) {
    case ERT_DTYPE_FLOAT16: return ert_half_to_float(ert_float_to_half((float)v));
    case ERT_DTYPE_BFLOAT16: return ert_bf16_to_float(ert_float_to_bf16((float)v));
    case ERT_DTYPE_FLOAT64: return v;
    default: return (float)v;
    }
}

/* The requantization multiplier a_scale * b_scale / y_scale, each step rounded to the
 * scale type t. The product and quotient are first formed in double, which is exact for
 * the product and correctly rounded after the second rounding for the quotient (double
 * has more than 2p+2 bits for p = 24, 11, 8). */
static double ql_multiplier(ert_dtype t, double sa, double sb, double sy)
{
    double p = ql_round_to(t, sa * sb);
    return ql_round_to(t, p / sy);
}

/* y = saturate(round_half_even(acc * mult + zp)) to uint8 / int8. */
static inline int32_t ql_requant(int32_t acc, double mult, int32_t zp, int32_t lo, int32_t hi)
{
    double v = nearbyint((double)acc * mult + (double)zp);
    if (!(v >= (double)lo))  /* also catches NaN from a NaN scale */
        return v != v ? zp : lo;
    if (v > (double)hi)
        return hi;
    return (int32_t)v;
}

static void ql_range(ert_dtype t, int32_t *lo, int32_t *hi)
{
    if (t == ERT_DTYPE_INT8) {
        *lo = -128;
        *hi = 127;
    } else {
        *lo = 0;
        *hi = 255;
    }
}

static void ql_store(ert_dtype t, void *p, int64_t i, int32_t v)
{
    if (t == ERT_DTYPE_INT8)
        ((int8_t *)p)[i] = (int8_t)v;
    else
        ((uint8_t *)p)[i] = (uint8_t)v;
}

static inline int32_t ql_load8(ert_dtype t, const void *p, int64_t i)
{
    return t == ERT_DTYPE_INT8 ? (int32_t)((const int8_t *)p)[i]
                               : (int32_t)((const uint8_t *)p)[i];
}

/* Checks a per-tensor parameter (scale or zero point): exactly one element when its
 * shape is known. */
static ert_status ql_check_scalar(ert_kctx *k, int i, const char *what)
{
    const ert_tensor *t = ert_in(k, i);
    if (!t || !ert_tensor_shape_known(t))
        return ERT_OK;
    int64_t n = ert_tensor_numel(t);
    if (n != 1)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "%s must be a per-tensor scalar, got %lld elements", what,
                           (long long)n);
    return ERT_OK;
}

/* ====================================================================================
 * QLinearConv
 * ==================================================================================== */

enum { QC_IN_X, QC_IN_XS, QC_IN_XZ, QC_IN_W, QC_IN_WS, QC_IN_WZ, QC_IN_YS, QC_IN_YZ, QC_IN_B };

#define QC_MAX_SP 3 /* spatial dims handled: 1-D, 2-D, 3-D */

/* Resolved convolution geometry. */
typedef struct qc_geom {
    int nsp;                      /* number of spatial dims */
    int64_t group;
    int64_t k[QC_MAX_SP];         /* kernel size per spatial dim */
    int64_t s[QC_MAX_SP];         /* strides */
    int64_t d[QC_MAX_SP];         /* dilations */
    int64_t pb[QC_MAX_SP];        /* pad at the beginning */
    int64_t out[QC_MAX_SP];       /* output size; ERT_DIM_UNKNOWN if the input's is unknown */
} qc_geom;

/* Reads the attributes and works out pads / output size for x and w's shapes. Input
 * spatial sizes may be unknown (< 0) in shapes_only mode: their output is unknown. */
static ert_status qc_geometry(ert_kctx *k, const ert_tensor *x, const ert_tensor *w,
                              qc_geom *g)
{
    const ert_node *n = k->node;
    int nsp = x->rank - 2;
    if (nsp < 1 || nsp > QC_MAX_SP)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "x has rank %d; edgert supports 1-D, 2-D and 3-D QLinearConv "
                           "(rank 3..5)", x->rank);
    if (w->rank >= 0 && w->rank != x->rank)
        return ert_op_fail(k, ERT_ERR_SHAPE, "w has rank %d, x has rank %d; they must match",
                           w->rank, x->rank);
    g->nsp = nsp;
    g->group = ert_attr_int(n, "group", 1);
    if (g->group < 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "group %lld must be >= 1", (long long)g->group);
    const int64_t *ks = NULL, *st = NULL, *dl = NULL, *pd = NULL;
    int64_t nks = ert_attr_ints(n, "kernel_shape", &ks);
    int64_t nst = ert_attr_ints(n, "strides", &st);
    int64_t ndl = ert_attr_ints(n, "dilations", &dl);
    int64_t npd = ert_attr_ints(n, "pads", &pd);
    if ((nks >= 0 && nks != nsp) || (nst >= 0 && nst != nsp) || (ndl >= 0 && ndl != nsp) ||
        (npd >= 0 && npd != 2 * nsp))
        return ert_op_fail(k, ERT_ERR_SHAPE,
                           "kernel_shape/strides/dilations need %d values and pads %d for a "
                           "%d-D convolution", nsp, 2 * nsp, nsp);
    const char *ap = ert_attr_string(n, "auto_pad", "NOTSET");
    int mode; /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
    if (!strcmp(ap, "NOTSET"))
        mode = 0;
    else if (!strcmp(ap, "SAME_UPPER"))
        mode = 1;
    else if (!strcmp(ap, "SAME_LOWER"))
        mode = 2;
    else if (!strcmp(ap, "VALID"))
        mode = 3;
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "auto_pad '%s' is unknown (NOTSET, SAME_UPPER, SAME_LOWER, VALID)", ap);
    for (int i = 0; i < nsp; i++) {
        if (nks >= 0 && ks[i] < 1)
            return ert_op_fail(k, ERT_ERR_SHAPE, "kernel_shape[%d] = %lld must be >= 1", i,
                               (long long)ks[i]);
        int64_t kk = nks >= 0 ? ks[i] : (w->rank > 0 ? w->dims[2 + i] : ERT_DIM_UNKNOWN);
        g->k[i] = kk;
        g->s[i] = nst >= 0 ? st[i] : 1;
        g->d[i] = ndl >= 0 ? dl[i] : 1;
        if (g->s[i] < 1 || g->d[i] < 1)
            return ert_op_fail(k, ERT_ERR_SHAPE, "strides and dilations must be >= 1 (dim %d: "
                               "stride %lld, dilation %lld)", i, (long long)g->s[i],
                               (long long)g->d[i]);
        if (kk >= 0 && w->rank > 0 && w->dims[2 + i] >= 0 && w->dims[2 + i] != kk)
            return ert_op_fail(k, ERT_ERR_SHAPE, "kernel_shape[%d] = %lld but w has %lld", i,
                               (long long)kk, (long long)w->dims[2 + i]);
        int64_t in = x->dims[2 + i];
        g->pb[i] = 0;
        g->out[i] = ERT_DIM_UNKNOWN;
        if (kk < 0)
            continue;
        if (kk < 1)
            return ert_op_fail(k, ERT_ERR_SHAPE, "kernel size %lld in dim %d must be >= 1",
                               (long long)kk, i);
        int64_t ext = g->d[i] * (kk - 1) + 1; /* dilated kernel extent */
        if (mode == 0) {
            int64_t b = npd >= 0 ? pd[i] : 0, e = npd >= 0 ? pd[i + nsp] : 0;
            if (b < 0 || e < 0)
                return ert_op_fail(k, ERT_ERR_SHAPE, "pads must be >= 0 (dim %d: %lld, %lld)",
                                   i, (long long)b, (long long)e);
            g->pb[i] = b;
            if (in >= 0) {
                int64_t span = in + b + e - ext;
                if (span < 0)
                    return ert_op_fail(k, ERT_ERR_SHAPE,
                                       "dilated kernel (%lld) is larger than the padded input "
                                       "(%lld) in spatial dim %d", (long long)ext,
                                       (long long)(in + b + e), i);
                g->out[i] = span / g->s[i] + 1;
            }
        } else if (mode == 3) {
            if (in >= 0) {
                if (in < ext)
                    return ert_op_fail(k, ERT_ERR_SHAPE,
                                       "dilated kernel (%lld) is larger than the input (%lld) "
                                       "in spatial dim %d with auto_pad VALID", (long long)ext,
                                       (long long)in, i);
                g->out[i] = (in - ext) / g->s[i] + 1;
            }
        } else if (in >= 0) {
            /* the Conv rule, negative totals included: docs/PADDING.md */
            int64_t pe;
            g->out[i] = ert_same_pads(in, g->s[i], ext, mode == 1, &g->pb[i], &pe);
        }
    }
    return ERT_OK;
}

ert_status ert_infer_qlinear_conv(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 8, 9);
    if (s != ERT_OK)
        return s;
    const ert_tensor *x = k->in[QC_IN_X], *w = k->in[QC_IN_W];
    const ert_tensor *yz = ert_in(k, QC_IN_YZ), *b = ert_in(k, QC_IN_B);
    if (!ql_is_q8(x->dtype) || !ql_is_q8(w->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "x and w must be uint8 or int8, got %s and %s",
                           ert_dtype_name(x->dtype), ert_dtype_name(w->dtype));
    ert_dtype yt = yz ? yz->dtype : x->dtype;
    if (!ql_is_q8(yt))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "y_zero_point must be uint8 or int8, got %s",
                           ert_dtype_name(yt));
    const ert_tensor *xz = ert_in(k, QC_IN_XZ), *wz = ert_in(k, QC_IN_WZ);
    if ((xz && xz->dtype != x->dtype) || (wz && wz->dtype != w->dtype))
        return ert_op_fail(k, ERT_ERR_PARSE, "x_zero_point / w_zero_point must have the dtype "
                           "of x / w");
    for (int i = QC_IN_XS; i <= QC_IN_YS; i += 3)
        if (k->in[i]->dtype != ERT_DTYPE_FLOAT32)
            return ert_op_fail(k, ERT_ERR_PARSE, "scales must be float32, input %d is %s", i,
                               ert_dtype_name(k->in[i]->dtype));
    if (k->in[QC_IN_WS]->dtype != ERT_DTYPE_FLOAT32)
        return ert_op_fail(k, ERT_ERR_PARSE, "w_scale must be float32, got %s",
                           ert_dtype_name(k->in[QC_IN_WS]->dtype));
    if (b && b->dtype != ERT_DTYPE_INT32)
        return ert_op_fail(k, ERT_ERR_PARSE, "bias B must be int32, got %s",
                           ert_dtype_name(b->dtype));
    if ((s = ql_check_scalar(k, QC_IN_XS, "x_scale")) || (s = ql_check_scalar(k, QC_IN_XZ,
        "x_zero_point")) || (s = ql_check_scalar(k, QC_IN_YS, "y_scale")) ||
        (s = ql_check_scalar(k, QC_IN_YZ, "y_zero_point")))
        return s;
    ert_tensor *y = k->out[0];
    if (x->rank < 0) {
        y->dtype = yt;
        y->rank = -1;
        return ERT_OK;
    }
    qc_geom g;
    if ((s = qc_geometry(k, x, w, &g)) != ERT_OK)
        return s;
    int64_t dims[ERT_MAX_RANK];
    dims[0] = x->dims[0];
    dims[1] = w->rank > 0 ? w->dims[0] : ERT_DIM_UNKNOWN;
    for (int i = 0; i < g.nsp; i++)
        dims[2 + i] = g.out[i];
    ert_set_out(y, yt, x->rank, dims);
    /* consistency of channels with group (when known) */
    int64_t C = x->dims[1], M = dims[1], Cg = w->rank > 0 ? w->dims[1] : ERT_DIM_UNKNOWN;
    if (C >= 0 && Cg >= 0 && C != Cg * g.group)
        return ert_op_fail(k, ERT_ERR_SHAPE,
                           "x has %lld channels but w expects %lld x group %lld = %lld",
                           (long long)C, (long long)Cg, (long long)g.group,
                           (long long)(Cg * g.group));
    if (M >= 0 && M % g.group != 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "w has %lld output channels, not a multiple of "
                           "group %lld", (long long)M, (long long)g.group);
    if (M >= 0) {
        const int idx[3] = {QC_IN_WS, QC_IN_WZ, QC_IN_B};
        const char *nm[3] = {"w_scale", "w_zero_point", "B"};
        for (int i = 0; i < 3; i++) {
            const ert_tensor *t = ert_in(k, idx[i]);
            if (!t || !ert_tensor_shape_known(t))
                continue;
            int64_t cnt = ert_tensor_numel(t);
            if (cnt != M && !(cnt == 1 && i < 2))
                return ert_op_fail(k, ERT_ERR_SHAPE,
                                   "%s has %lld elements; expected %s%lld (output channels)",
                                   nm[i], (long long)cnt, i < 2 ? "1 or " : "", (long long)M);
        }
    }
    return ERT_OK;
}

ert_status ert_run_qlinear_conv(ert_kctx *k)
{
    const ert_tensor *x = k->in[QC_IN_X], *w = k->in[QC_IN_W], *b = ert_in(k, QC_IN_B);
    const ert_tensor *xz = ert_in(k, QC_IN_XZ), *wz = ert_in(k, QC_IN_WZ);
    const ert_tensor *xs = k->in[QC_IN_XS], *ws = k->in[QC_IN_WS], *ys = k->in[QC_IN_YS];
    const ert_tensor *yz = ert_in(k, QC_IN_YZ);
    ert_tensor *y = k->out[0];
    qc_geom g;
    ert_status s = qc_geometry(k, x, w, &g);
    if (s != ERT_OK)
        return s;
    /* view every conv as 3-D: leading spatial dims of size 1 */
    int64_t ID[3] = {1, 1, 1}, KD[3] = {1, 1, 1}, OD[3] = {1, 1, 1};
    int64_t S[3] = {1, 1, 1}, DL[3] = {1, 1, 1}, PB[3] = {0, 0, 0};
    int off = 3 - g.nsp;
    for (int i = 0; i < g.nsp; i++) {
        ID[off + i] = x->dims[2 + i];
        KD[off + i] = g.k[i];
        OD[off + i] = y->dims[2 + i];
        S[off + i] = g.s[i];
        DL[off + i] = g.d[i];
        PB[off + i] = g.pb[i];
    }
    int64_t N = x->dims[0], C = x->dims[1], M = w->dims[0], Cg = w->dims[1];
    int64_t G = g.group, Mg = M / G;
    int64_t isz = ID[0] * ID[1] * ID[2], ksz = KD[0] * KD[1] * KD[2];
    int64_t osz = OD[0] * OD[1] * OD[2];
    int64_t xn = ert_tensor_numel(x), wn = ert_tensor_numel(w);
    if (N == 0 || M == 0 || osz == 0)
        return ERT_OK;
    int64_t wcnt = ert_tensor_numel(ws), wzcnt = wz ? ert_tensor_numel(wz) : 1;
    if ((wcnt != 1 && wcnt != M) || (wzcnt != 1 && wzcnt != M) ||
        (b && ert_tensor_numel(b) != M))
        return ert_op_fail(k, ERT_ERR_SHAPE, "w_scale, w_zero_point and B must have 1 (B: %lld) "
                           "or %lld elements", (long long)M, (long long)M);

    int32_t *xq = ert_tmp_alloc(sizeof(int32_t) * (size_t)(xn ? xn : 1));
    int32_t *wq = ert_tmp_alloc(sizeof(int32_t) * (size_t)(wn ? wn : 1));
    int32_t *acc = ert_tmp_alloc(sizeof(int32_t) * (size_t)osz);
    double *mult = ert_tmp_alloc(sizeof(double) * (size_t)M);
    if (!xq || !wq || !acc || !mult) {
        ert_tmp_free(xq), ert_tmp_free(wq), ert_tmp_free(acc), ert_tmp_free(mult);
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for QLinearConv buffers");
    }
    int32_t x0 = xz ? ql_load8(xz->dtype, xz->data, 0) : 0;
    for (int64_t i = 0; i < xn; i++)
        xq[i] = ql_load8(x->dtype, x->data, i) - x0;
    int64_t per_m = Cg * ksz;
    double sx = ert_load_f64(xs->dtype, xs->data, 0), sy = ert_load_f64(ys->dtype, ys->data, 0);
    for (int64_t m = 0; m < M; m++) {
        int32_t w0 = wz ? ql_load8(wz->dtype, wz->data, wzcnt == 1 ? 0 : m) : 0;
        for (int64_t j = 0; j < per_m; j++)
            wq[m * per_m + j] = ql_load8(w->dtype, w->data, m * per_m + j) - w0;
        double sw = ert_load_f64(ws->dtype, ws->data, wcnt == 1 ? 0 : m);
        mult[m] = ql_multiplier(ERT_DTYPE_FLOAT32, sx, sw, sy);
    }
    int32_t y0 = yz ? ql_load8(yz->dtype, yz->data, 0) : 0;
    int32_t lo, hi;
    ql_range(y->dtype, &lo, &hi);
    const int32_t *bias = b ? b->data : NULL;

    for (int64_t n = 0; n < N; n++)
        for (int64_t gi = 0; gi < G; gi++)
            for (int64_t mg = 0; mg < Mg; mg++) {
                int64_t m = gi * Mg + mg;
                int32_t b0 = bias ? bias[m] : 0;
                for (int64_t i = 0; i < osz; i++)
                    acc[i] = b0;
                for (int64_t c = 0; c < Cg; c++) {
                    const int32_t *xp = xq + (n * C + gi * Cg + c) * isz;
                    const int32_t *wp = wq + (m * Cg + c) * ksz;
                    for (int64_t k0 = 0; k0 < KD[0]; k0++)
                        for (int64_t k1 = 0; k1 < KD[1]; k1++)
                            for (int64_t k2 = 0; k2 < KD[2]; k2++) {
                                int32_t wv = wp[(k0 * KD[1] + k1) * KD[2] + k2];
                                if (wv == 0)
                                    continue;
                                /* output columns whose input column is inside x */
                                int64_t o2 = k2 * DL[2] - PB[2]; /* iw = ow*S + o2 */
                                int64_t lo2 = o2 >= 0 ? 0 : (-o2 + S[2] - 1) / S[2];
                                int64_t hi2 = ID[2] - 1 - o2 < 0 ? 0
                                                                 : (ID[2] - 1 - o2) / S[2] + 1;
                                if (hi2 > OD[2])
                                    hi2 = OD[2];
                                if (lo2 >= hi2)
                                    continue;
                                for (int64_t a0 = 0; a0 < OD[0]; a0++) {
                                    int64_t i0 = a0 * S[0] + k0 * DL[0] - PB[0];
                                    if (i0 < 0 || i0 >= ID[0])
                                        continue;
                                    for (int64_t a1 = 0; a1 < OD[1]; a1++) {
                                        int64_t i1 = a1 * S[1] + k1 * DL[1] - PB[1];
                                        if (i1 < 0 || i1 >= ID[1])
                                            continue;
                                        const int32_t *xr = xp + (i0 * ID[1] + i1) * ID[2] + o2;
                                        int32_t *orow = acc + (a0 * OD[1] + a1) * OD[2];
                                        int64_t st = S[2];
                                        if (st == 1)
                                            for (int64_t a2 = lo2; a2 < hi2; a2++)
                                                orow[a2] += wv * xr[a2];
                                        else
                                            for (int64_t a2 = lo2; a2 < hi2; a2++)
                                                orow[a2] += wv * xr[a2 * st];
                                    }
                                }
                            }
                }
                int64_t ybase = (n * M + m) * osz;
                double mm = mult[m];
                for (int64_t i = 0; i < osz; i++)
                    ql_store(y->dtype, y->data, ybase + i, ql_requant(acc[i], mm, y0, lo, hi));
            }
    ert_tmp_free(xq);
    ert_tmp_free(wq);
    ert_tmp_free(acc);
    ert_tmp_free(mult);
    return ERT_OK;
}

/* ====================================================================================
 * QLinearMatMul
 * ==================================================================================== */

enum { QM_IN_A, QM_IN_AS, QM_IN_AZ, QM_IN_B, QM_IN_BS, QM_IN_BZ, QM_IN_YS, QM_IN_YZ };

/* matmul shape: a [..., M, K] x b [..., K, N] -> [bcast(...), M, N]; 1-D operands are
 * promoted (a to [1, K], b to [K, 1]) and the added dim is dropped from the result. */
static ert_status qm_shape(ert_kctx *k, const ert_tensor *a, const ert_tensor *b,
                           ert_tensor *y)
{
    if (a->rank < 0 || b->rank < 0) {
        y->rank = -1;
        return ERT_OK;
    }
    if (a->rank < 1 || b->rank < 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "a and b must have rank >= 1 (got %d and %d)",
                           a->rank, b->rank);
    ert_tensor ab = {0}, bb = {0}, ob = {0};
    int ra = a->rank, rb = b->rank;
    int64_t Mv = ra >= 2 ? a->dims[ra - 2] : 1, Ka = a->dims[ra - 1];
    int64_t Kb = rb >= 2 ? b->dims[rb - 2] : b->dims[0], Nv = rb >= 2 ? b->dims[rb - 1] : 1;
    if (Ka >= 0 && Kb >= 0 && Ka != Kb)
        return ert_op_fail(k, ERT_ERR_SHAPE, "inner dims differ: a has K=%lld, b has K=%lld",
                           (long long)Ka, (long long)Kb);
    ab.rank = ra > 2 ? ra - 2 : 0;
    bb.rank = rb > 2 ? rb - 2 : 0;
    for (int d = 0; d < ab.rank; d++)
        ab.dims[d] = a->dims[d];
    for (int d = 0; d < bb.rank; d++)
        bb.dims[d] = b->dims[d];
    const ert_tensor *ts[2] = {&ab, &bb};
    ert_status s = ert_broadcast_shapes(k, 2, ts, &ob);
    if (s != ERT_OK)
        return s;
    int64_t dims[ERT_MAX_RANK];
    int r = ob.rank;
    if (r + 2 > ERT_MAX_RANK)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "result rank %d is too large", r + 2);
    memcpy(dims, ob.dims, sizeof(int64_t) * (size_t)r);
    if (ra >= 2)
        dims[r++] = Mv;
    if (rb >= 2)
        dims[r++] = Nv;
    ert_tensor_set_shape(y, r, dims);
    return ERT_OK;
}

ert_status ert_infer_qlinear_matmul(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 8, 8);
    if (s != ERT_OK)
        return s;
    const ert_tensor *a = k->in[QM_IN_A], *b = k->in[QM_IN_B], *yz = k->in[QM_IN_YZ];
    if (!ql_is_q8(a->dtype) || !ql_is_q8(b->dtype) || !ql_is_q8(yz->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "a, b and y_zero_point must be uint8 or int8, got %s, %s and %s",
                           ert_dtype_name(a->dtype), ert_dtype_name(b->dtype),
                           ert_dtype_name(yz->dtype));
    if (k->in[QM_IN_AZ]->dtype != a->dtype || k->in[QM_IN_BZ]->dtype != b->dtype)
        return ert_op_fail(k, ERT_ERR_PARSE, "a_zero_point / b_zero_point must have the dtype "
                           "of a / b");
    const int sc[3] = {QM_IN_AS, QM_IN_BS, QM_IN_YS};
    for (int i = 0; i < 3; i++) {
        ert_dtype t = k->in[sc[i]]->dtype;
        if (!ql_is_scale_type(t) || (k->version < 21 && t != ERT_DTYPE_FLOAT32))
            return ert_op_fail(k, ERT_ERR_PARSE, "scale input %d has dtype %s; expected float32"
                               "%s", sc[i], ert_dtype_name(t),
                               k->version >= 21 ? ", float16 or bfloat16" : " before opset 21");
    }
    if (k->version >= 21 && (k->in[QM_IN_AS]->dtype != k->in[QM_IN_BS]->dtype ||
                             k->in[QM_IN_AS]->dtype != k->in[QM_IN_YS]->dtype))
        return ert_op_fail(k, ERT_ERR_PARSE, "a_scale, b_scale and y_scale must share a dtype");
    if ((s = ql_check_scalar(k, QM_IN_YS, "y_scale")) ||
        (s = ql_check_scalar(k, QM_IN_YZ, "y_zero_point")))
        return s;
    k->out[0]->dtype = yz->dtype;
    return qm_shape(k, a, b, k->out[0]);
}

/* Strides (in elements of the parameter tensor p) per dim of a promoted operand view of
 * rank r / dims, for a scale or zero point of a (rowdim = r-2, kdim = r-1) or of b
 * (rowdim = r-1, kdim = r-2). Stride 0 on broadcast dims. */
static ert_status qm_param_strides(ert_kctx *k, const ert_tensor *p, int r, const int64_t *dims,
                                   int rowdim, int kdim, const char *what, int64_t *st)
{
    for (int d = 0; d < r; d++)
        st[d] = 0;
    int64_t cnt = ert_tensor_numel(p);
    if (cnt == 1)
        return ERT_OK;
    if (p->rank == 1 && p->dims[0] == dims[rowdim]) {
        st[rowdim] = 1;
        return ERT_OK;
    }
    if (p->rank > r)
        goto bad;
    int64_t own[ERT_MAX_RANK];
    ert_strides(p->rank, p->dims, own);
    int o = r - p->rank;
    for (int d = o; d < r; d++) {
        int64_t pd = p->dims[d - o];
        if (pd == 1)
            continue;
        if (pd != dims[d] || d == kdim)
            goto bad;
        st[d] = own[d - o];
    }
    return ERT_OK;
bad:
    return ert_op_fail(k, ERT_ERR_SHAPE,
                       "%s has %lld elements and does not fit %s: use a scalar, one value per "
                       "%s, or a tensor of shape [..., %s]", what, (long long)cnt,
                       rowdim < kdim ? "a" : "b", rowdim < kdim ? "row" : "column",
                       rowdim < kdim ? "M, 1" : "1, N");
}

/* Widens operand t (promoted view rank r, dims) to int32 with zero point zp subtracted. */
static void qm_widen(const ert_tensor *t, const ert_tensor *zp, int r, const int64_t *dims,
                     const int64_t *zst, int32_t *out)
{
    int64_t n = ert_tensor_numel(t);
    int64_t idx[ERT_MAX_RANK] = {0};
    int64_t zoff = 0;
    for (int64_t i = 0; i < n; i++) {
        out[i] = ql_load8(t->dtype, t->data, i) - (int32_t)ert_load_i64(zp->dtype, zp->data, zoff);
        for (int d = r - 1; d >= 0; d--) { /* odometer */
            zoff += zst[d];
            if (++idx[d] < dims[d])
                break;
            zoff -= zst[d] * dims[d];
            idx[d] = 0;
        }
    }
}

ert_status ert_run_qlinear_matmul(ert_kctx *k)
{
    const ert_tensor *a = k->in[QM_IN_A], *b = k->in[QM_IN_B];
    const ert_tensor *as = k->in[QM_IN_AS], *az = k->in[QM_IN_AZ];
    const ert_tensor *bs = k->in[QM_IN_BS], *bz = k->in[QM_IN_BZ];
    const ert_tensor *ys = k->in[QM_IN_YS], *yz = k->in[QM_IN_YZ];
    ert_tensor *y = k->out[0];
    /* promoted views */
    int ra = a->rank >= 2 ? a->rank : 2, rb = b->rank >= 2 ? b->rank : 2;
    int64_t ad[ERT_MAX_RANK], bd[ERT_MAX_RANK];
    if (a->rank >= 2)
        memcpy(ad, a->dims, sizeof(int64_t) * (size_t)ra);
    else
        ad[0] = 1, ad[1] = a->dims[0];
    if (b->rank >= 2)
        memcpy(bd, b->dims, sizeof(int64_t) * (size_t)rb);
    else
        bd[0] = b->dims[0], bd[1] = 1;
    int64_t M = ad[ra - 2], K = ad[ra - 1], N = bd[rb - 1];
    int64_t ast[ERT_MAX_RANK], azt[ERT_MAX_RANK], bst[ERT_MAX_RANK], bzt[ERT_MAX_RANK];
    ert_status s;
    if ((s = qm_param_strides(k, as, ra, ad, ra - 2, ra - 1, "a_scale", ast)) ||
        (s = qm_param_strides(k, az, ra, ad, ra - 2, ra - 1, "a_zero_point", azt)) ||
        (s = qm_param_strides(k, bs, rb, bd, rb - 1, rb - 2, "b_scale", bst)) ||
        (s = qm_param_strides(k, bz, rb, bd, rb - 1, rb - 2, "b_zero_point", bzt)))
        return s;
    int64_t an = ert_tensor_numel(a), bn = ert_tensor_numel(b);
    int64_t yn = ert_tensor_numel(y);
    if (yn == 0)
        return ERT_OK;
    int32_t *aq = ert_tmp_alloc(sizeof(int32_t) * (size_t)(an ? an : 1));
    int32_t *bq = ert_tmp_alloc(sizeof(int32_t) * (size_t)(bn ? bn : 1));
    int32_t *acc = ert_tmp_alloc(sizeof(int32_t) * (size_t)(N ? N : 1));
    if (!aq || !bq || !acc) {
        ert_tmp_free(aq), ert_tmp_free(bq), ert_tmp_free(acc);
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for QLinearMatMul buffers");
    }
    qm_widen(a, az, ra, ad, azt, aq);
    qm_widen(b, bz, rb, bd, bzt, bq);
    /* output batch dims = broadcast of the operands' batch dims */
    int rbat = y->rank - (a->rank >= 2) - (b->rank >= 2);
    const int64_t *obd = y->dims;
    int64_t nb = 1;
    for (int d = 0; d < rbat; d++)
        nb *= obd[d];
    /* element strides of the operand matrices per output batch dim */
    int64_t abs_[ERT_MAX_RANK] = {0}, bbs[ERT_MAX_RANK] = {0};
    int64_t asb[ERT_MAX_RANK] = {0}, bsb[ERT_MAX_RANK] = {0}; /* scale strides */
    {
        int64_t st = M * K;
        for (int d = ra - 3; d >= 0; d--) {
            int od = rbat - (ra - 2) + d;
            abs_[od] = ad[d] == 1 ? 0 : st;
            asb[od] = ad[d] == 1 ? 0 : ast[d];
            st *= ad[d];
        }
        st = K * N;
        for (int d = rb - 3; d >= 0; d--) {
            int od = rbat - (rb - 2) + d;
            bbs[od] = bd[d] == 1 ? 0 : st;
            bsb[od] = bd[d] == 1 ? 0 : bst[d];
            st *= bd[d];
        }
    }
    ert_dtype st_t = as->dtype;
    double sy = ert_load_f64(ys->dtype, ys->data, 0);
    int32_t y0 = (int32_t)ert_load_i64(yz->dtype, yz->data, 0);
    int32_t lo, hi;
    ql_range(y->dtype, &lo, &hi);
    int64_t idx[ERT_MAX_RANK] = {0};
    int64_t aoff = 0, boff = 0, asoff = 0, bsoff = 0;
    for (int64_t bi = 0; bi < nb; bi++) {
        const int32_t *A = aq + aoff, *B = bq + boff;
        for (int64_t m = 0; m < M; m++) {
            for (int64_t j = 0; j < N; j++)
                acc[j] = 0;
            const int32_t *arow = A + m * K;
            for (int64_t p = 0; p < K; p++) {
                int32_t av = arow[p];
                const int32_t *brow = B + p * N;
                for (int64_t j = 0; j < N; j++)
                    acc[j] += av * brow[j];
            }
            double sa = ert_load_f64(as->dtype, as->data, asoff + m * ast[ra - 2]);
            int64_t ybase = (bi * M + m) * N;
            for (int64_t j = 0; j < N; j++) {
                double sb = ert_load_f64(bs->dtype, bs->data, bsoff + j * bst[rb - 1]);
                double mult = ql_multiplier(st_t, sa, sb, sy);
                ql_store(y->dtype, y->data, ybase + j, ql_requant(acc[j], mult, y0, lo, hi));
            }
        }
        for (int d = rbat - 1; d >= 0; d--) { /* odometer over output batch dims */
            aoff += abs_[d], boff += bbs[d], asoff += asb[d], bsoff += bsb[d];
            if (++idx[d] < obd[d])
                break;
            aoff -= abs_[d] * obd[d], boff -= bbs[d] * obd[d];
            asoff -= asb[d] * obd[d], bsoff -= bsb[d] * obd[d];
            idx[d] = 0;
        }
    }
    ert_tmp_free(aq);
    ert_tmp_free(bq);
    ert_tmp_free(acc);
    return ERT_OK;
}
