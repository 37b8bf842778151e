/*
 * sample.c - spatial sampling ops used by vision models: GridSample (N-D, linear /
 * nearest / cubic, zeros / border / reflection padding), AffineGrid (2-D and 3-D),
 * RoiAlign (avg / max, half_pixel / output_half_pixel) and Col2Im (N-D).
 *
 * Semantics follow the ONNX reference implementation (which itself mirrors PyTorch
 * and ONNX Runtime), including its quirks: GridSample nearest rounds half to even;
 * RoiAlign max mode takes the max of the four weighted corner values of each sample,
 * not of the interpolated value.
 *
 * Cost: GridSample computes the taps (offset, weight) of a block of output points once
 * and applies them to every channel, so a 2-D bilinear sample costs 4 loads and 4 FMAs
 * per channel (1x32x256x256 input, 256x256 grid: ~6 ms on one core). RoiAlign does
 * the same per ROI (taps shared by all channels).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/scratch.h"


static bool is_numeric_dtype(ert_dtype t)
{
    switch (t) {
    case ERT_DTYPE_FLOAT32: case ERT_DTYPE_FLOAT64: case ERT_DTYPE_FLOAT16:
    case ERT_DTYPE_BFLOAT16: case ERT_DTYPE_INT8: case ERT_DTYPE_UINT8: case ERT_DTYPE_INT16:
    case ERT_DTYPE_UINT16: case ERT_DTYPE_INT32: case ERT_DTYPE_UINT32: case ERT_DTYPE_INT64:
    case ERT_DTYPE_UINT64: case ERT_DTYPE_BOOL:
        return true;
    default:
        return false;
    }
}

/* ================================ GridSample ================================ */

enum { GS_LINEAR = 0, GS_NEAREST = 1, GS_CUBIC = 2 };
enum { GS_ZEROS = 0, GS_BORDER = 1, GS_REFLECTION = 2 };
#define GS_MAX_SPATIAL (ERT_MAX_RANK - 2)
#define GS_CUBIC_ALPHA (-0.75)
/* Output points whose taps are computed before the channel loop (fewer when a point has
 * more than 16 taps, e.g. 3-D cubic's 64, to bound the table at 4096 taps). */
#define GS_BLOCK 256

static ert_status gs_attrs(ert_kctx *k, int *mode, int *pad, bool *align)
{
    /* opset 16 names: bilinear/nearest/bicubic; opset 20+: linear/nearest/cubic. Both
     * spellings are accepted at every version (no ambiguity, and exporters mix them). */
    const char *m = ert_attr_string(k->node, "mode", k->version >= 20 ? "linear" : "bilinear");
    if (!strcmp(m, "linear") || !strcmp(m, "bilinear"))
        *mode = GS_LINEAR;
    else if (!strcmp(m, "nearest"))
        *mode = GS_NEAREST;
    else if (!strcmp(m, "cubic") || !strcmp(m, "bicubic"))
        *mode = GS_CUBIC;
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "mode '%s' is not supported (linear, "
                           "nearest, cubic; bilinear/bicubic before opset 20)", m);
    const char *p = ert_attr_string(k->node, "padding_mode", "zeros");
    if (!strcmp(p, "zeros"))
        *pad = GS_ZEROS;
    else if (!strcmp(p, "border"))
        *pad = GS_BORDER;
    else if (!strcmp(p, "reflection"))
        *pad = GS_REFLECTION;
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "padding_mode '%s' is not supported "
                           "(zeros, border, reflection)", p);
    *align = ert_attr_int(k->node, "align_corners", 0) != 0;
    return ERT_OK;
}

ert_status ert_infer_grid_sample(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 2);
    if (s)
        return s;
    int mode, pad;
    bool align;
    s = gs_attrs(k, &mode, &pad, &align);
    if (s)
        return s;
    const ert_tensor *x = k->in[0], *g = k->in[1];
    if (!is_numeric_dtype(x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "X dtype %s is not supported",
                           ert_dtype_name(x->dtype));
    if (!ert_dtype_is_float(g->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "grid dtype %s is not supported (float "
                           "types only)", ert_dtype_name(g->dtype));
    int rank = x->rank >= 0 ? x->rank : g->rank;
    if (rank < 0) {
        ert_set_out(k->out[0], x->dtype, -1, NULL);
        return ERT_OK;
    }
    if (rank < 3)
        return ert_op_fail(k, ERT_ERR_SHAPE, "X must have rank >= 3 (N, C, spatial...), got %d",
                           rank);
    if (k->version < 20 && rank != 4)
        return ert_op_fail(k, ERT_ERR_SHAPE, "opset %d GridSample takes 4-D input only, got "
                           "rank %d (N-D needs opset 20)", k->node->opset, rank);
    if ((x->rank >= 0 && x->rank != rank) || (g->rank >= 0 && g->rank != rank))
        return ert_op_fail(k, ERT_ERR_SHAPE, "X (rank %d) and grid (rank %d) must have the "
                           "same rank", x->rank, g->rank);
    int r = rank - 2;
    if (g->rank >= 0 && g->dims[rank - 1] >= 0 && g->dims[rank - 1] != r)
        return ert_op_fail(k, ERT_ERR_SHAPE, "grid last dim must be %d (spatial rank), got %lld",
                           r, (long long)g->dims[rank - 1]);
    int64_t dims[ERT_MAX_RANK];
    dims[0] = x->rank >= 0 ? x->dims[0] : ERT_DIM_UNKNOWN;
    if (g->rank >= 0) {
        if (dims[0] < 0 && g->dims[0] >= 0)
            dims[0] = g->dims[0];
        else if (dims[0] >= 0 && g->dims[0] >= 0 && dims[0] != g->dims[0])
            return ert_op_fail(k, ERT_ERR_SHAPE, "X batch %lld differs from grid batch %lld",
                               (long long)dims[0], (long long)g->dims[0]);
    }
    dims[1] = x->rank >= 0 ? x->dims[1] : ERT_DIM_UNKNOWN;
    for (int i = 0; i < r; i++)
        dims[2 + i] = g->rank >= 0 ? g->dims[1 + i] : ERT_DIM_UNKNOWN;
    ert_set_out(k->out[0], x->dtype, rank, dims);
    return ERT_OK;
}

/* Reflects x into [lo, hi] by folding at the near border until it lies inside. */
static double gs_reflect(double x, double lo, double hi)
{
    double range = hi - lo;
    if (!(range > 0))
        return lo;
    if (x < lo) {
        double dx = lo - x;
        double n = floor(dx / range);
        double rem = dx - n * range;
        return fmod(n, 2.0) == 0 ? lo + rem : hi - rem;
    }
    if (x > hi) {
        double dx = x - hi;
        double n = floor(dx / range);
        double rem = dx - n * range;
        return fmod(n, 2.0) == 0 ? hi - rem : lo + rem;
    }
    return x;
}

/* Resolves a sample index under the padding mode; -1: reads zero. */
static int64_t gs_index(int64_t i, int64_t d, int pad, double lo, double hi)
{
    if (d <= 0) /* an empty spatial dim has no border to repeat or reflect: zeros */
        return -1;
    if (i >= 0 && i < d)
        return i;
    if (pad == GS_ZEROS)
        return -1;
    if (pad == GS_BORDER)
        return i < 0 ? 0 : d - 1;
    double f = gs_reflect((double)i, lo, hi);
    int64_t j = (int64_t)f; /* truncation, as the reference's int() */
    return j < 0 ? 0 : (j >= d ? d - 1 : j);
}

static void gs_cubic_coeffs(double t, double c[4])
{
    const double a = GS_CUBIC_ALPHA;
    double x = fabs(t);
    c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
    c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
    c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
    c[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
}

/* Nearest rounds half to even (nearbyint, default rounding mode) in every rank. An older
 * ONNX reference used std::round (half away from zero) for 3-D; the node tests' expected
 * outputs (and current PyTorch) use half to even, so edgert does too. */
static double gs_round(double v)
{
    return nearbyint(v);
}

ert_status ert_run_grid_sample(ert_kctx *k)
{
    int mode, pad;
    bool align;
    ert_status s = gs_attrs(k, &mode, &pad, &align);
    if (s)
        return s;
    const ert_tensor *x = k->in[0], *g = k->in[1];
    ert_tensor *y = k->out[0];
    int rank = x->rank, r = rank - 2;
    int64_t N = x->dims[0], C = x->dims[1];
    int64_t P = 1;          /* output points per (n, c) */
    for (int i = 0; i < r; i++)
        P *= g->dims[1 + i];
    int64_t S = 1;          /* input points per (n, c) */
    int64_t xstride[GS_MAX_SPATIAL];
    for (int i = r - 1; i >= 0; i--) {
        xstride[i] = S;
        S *= x->dims[2 + i];
    }
    if (ert_tensor_numel(y) == 0)
        return ERT_OK;
    int ntap = mode == GS_LINEAR ? 2 : mode == GS_CUBIC ? 4 : 1;
    int64_t ncombo = 1;
    for (int i = 0; i < r; i++)
        ncombo *= ntap;
    /* taps of a block of GS_BLOCK output points, applied channel by channel so that
     * each channel's output row is written contiguously */
    int64_t blk = ncombo <= 16 ? GS_BLOCK : GS_BLOCK * 16 / ncombo;
    if (blk < 1)
        blk = 1;
    size_t ntab = (size_t)(blk * ncombo);
    int64_t *coff = ert_tmp_alloc(sizeof(int64_t) * ntab);
    double *cw = ert_tmp_alloc(sizeof(double) * ntab);
    float *cwf = ert_tmp_alloc(sizeof(float) * ntab);
    int64_t *cnt = ert_tmp_alloc(sizeof(int64_t) * (size_t)blk);
    if (!coff || !cw || !cwf || !cnt) {
        ert_tmp_free(coff);
        ert_tmp_free(cw);
        ert_tmp_free(cwf);
        ert_tmp_free(cnt);
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for %lld sample taps",
                           (long long)ncombo);
    }
    double lo[GS_MAX_SPATIAL], hi[GS_MAX_SPATIAL];
    for (int i = 0; i < r; i++) {
        int64_t d = x->dims[2 + i];
        lo[i] = align ? 0.0 : -0.5;
        hi[i] = align ? (double)d - 1.0 : (double)d - 0.5;
    }
    bool f32 = x->dtype == ERT_DTYPE_FLOAT32;
    bool gf32 = g->dtype == ERT_DTYPE_FLOAT32;
    bool xint = !ert_dtype_is_float(x->dtype);
    const float *xf = x->data;
    float *yf = y->data;
    for (int64_t n = 0; n < N; n++) {
        for (int64_t p0 = 0; p0 < P; p0 += blk) {
            int64_t pb = P - p0 < blk ? P - p0 : blk;
            for (int64_t pp = 0; pp < pb; pp++) {
                int64_t p = p0 + pp;
                /* per-dim taps: offset into the (n, c) plane and weight; off < 0: zero */
                int64_t toff[GS_MAX_SPATIAL][4];
                double tw[GS_MAX_SPATIAL][4];
                int64_t gbase = (n * P + p) * r;
                for (int i = 0; i < r; i++) {
                    int64_t d = x->dims[2 + i];
                    /* grid's last axis lists coordinates innermost-dim first (x, y, z) */
                    double gv = gf32 ? ((const float *)g->data)[gbase + (r - 1 - i)]
                                     : ert_load_f64(g->dtype, g->data, gbase + (r - 1 - i));
                    double c = align ? (gv + 1) / 2.0 * (double)(d - 1)
                                     : ((gv + 1) * (double)d - 1) / 2.0;
                    if (gf32)
                        c = (float)c;
                    if (mode == GS_NEAREST)
                        c = gs_round(c);
                    if (c < lo[i] || c > hi[i]) {
                        if (pad == GS_BORDER)
                            c = c < 0 ? 0 : (c > (double)(d - 1) ? (double)(d - 1) : c);
                        else if (pad == GS_REFLECTION)
                            c = gs_reflect(c, lo[i], hi[i]);
                    }
                    if (!(c == c)) /* NaN coordinate: reads zero (PyTorch does the same) */
                        c = -1e9;
                    if (c > 1e15)
                        c = 1e15;
                    if (c < -1e15)
                        c = -1e15;
                    if (mode == GS_NEAREST) {
                        int64_t j = gs_index((int64_t)c, d, pad, lo[i], hi[i]);
                        toff[i][0] = j < 0 ? -1 : j * xstride[i];
                        tw[i][0] = 1.0;
                    } else {
                        double f = floor(c);
                        int64_t i0 = (int64_t)f;
                        double w[4];
                        int64_t first;
                        if (mode == GS_LINEAR) {
                            w[0] = 1.0 - (c - f);
                            w[1] = c - f;
                            first = i0;
                        } else {
                            gs_cubic_coeffs(c - f, w);
                            first = i0 - 1;
                        }
                        for (int t = 0; t < ntap; t++) {
                            int64_t j = gs_index(first + t, d, pad, lo[i], hi[i]);
                            toff[i][t] = j < 0 ? -1 : j * xstride[i];
                            tw[i][t] = w[t];
                        }
                    }
                }
                /* tensor product of the per-dim taps; drop combinations that read zero */
                int64_t m = pp * ncombo;
                int idx[GS_MAX_SPATIAL] = {0};
                for (int64_t q = 0; q < ncombo; q++) {
                    int64_t off = 0;
                    double w = 1.0;
                    bool zero = false;
                    for (int i = 0; i < r; i++) {
                        if (toff[i][idx[i]] < 0) {
                            zero = true;
                            break;
                        }
                        off += toff[i][idx[i]];
                        w *= tw[i][idx[i]];
                    }
                    if (!zero) {
                        coff[m] = off;
                        cw[m] = w;
                        cwf[m] = (float)w;
                        m++;
                    }
                    for (int i = r - 1; i >= 0; i--) {
                        if (++idx[i] < ntap)
                            break;
                        idx[i] = 0;
                    }
                }
                cnt[pp] = m - pp * ncombo;
            }
            for (int64_t c = 0; c < C; c++) {
                int64_t xbase = (n * C + c) * S;
                int64_t ybase = (n * C + c) * P + p0;
                for (int64_t pp = 0; pp < pb; pp++) {
                    const int64_t *o = coff + pp * ncombo;
                    int64_t m = cnt[pp];
                    if (f32) {
                        const float *w = cwf + pp * ncombo;
                        const float *xp = xf + xbase;
                        float acc = 0.0f;
                        for (int64_t q = 0; q < m; q++)
                            acc += w[q] * xp[o[q]];
                        yf[ybase + pp] = acc;
                    } else {
                        const double *w = cw + pp * ncombo;
                        double acc = 0.0;
                        for (int64_t q = 0; q < m; q++)
                            acc += w[q] * ert_load_f64(x->dtype, x->data, xbase + o[q]);
                        if (xint) /* integer X: round, so an exact sample isn't 4.9999 -> 4 */
                            acc = nearbyint(acc);
                        ert_store_f64(y->dtype, y->data, ybase + pp, acc);
                    }
                }
            }
        }
    }
    ert_tmp_free(coff);
    ert_tmp_free(cw);
    ert_tmp_free(cwf);
    ert_tmp_free(cnt);
    return ERT_OK;
}

/* ================================ AffineGrid ================================ */

ert_status ert_infer_affine_grid(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 2);
    if (s)
        return s;
    const ert_tensor *th = k->in[0], *sz = k->in[1];
    if (!ert_dtype_is_float(th->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "theta dtype %s is not supported",
                           ert_dtype_name(th->dtype));
    if (th->rank >= 0 && th->rank != 3)
        return ert_op_fail(k, ERT_ERR_SHAPE, "theta must be 3-D (N, 2, 3) or (N, 3, 4), got "
                           "rank %d", th->rank);
    int64_t size[5], n;
    int64_t dims[ERT_MAX_RANK];
    if (sz->data || !k->shapes_only) {
        s = ert_input_ints(k, 1, size, 5, &n);
        if (s)
            return s;
    } else {
        n = -1;
    }
    if (n < 0) {
        int orank = -1;
        if (sz->rank == 1 && sz->dims[0] >= 0)
            orank = (int)sz->dims[0];
        else if (th->rank == 3 && th->dims[1] >= 0)
            orank = th->dims[1] == 2 ? 4 : 5;
        if (orank >= 0 && orank != 4 && orank != 5)
            return ert_op_fail(k, ERT_ERR_SHAPE, "size must hold 4 (N,C,H,W) or 5 (N,C,D,H,W) "
                               "values, got %d", orank);
        for (int i = 0; i < ERT_MAX_RANK; i++)
            dims[i] = ERT_DIM_UNKNOWN;
        if (orank > 0 && th->rank == 3)
            dims[0] = th->dims[0];
        if (orank > 0)
            dims[orank - 1] = orank - 2;
        ert_set_out(k->out[0], th->dtype, orank, dims);
        return ERT_OK;
    }
    if (n != 4 && n != 5)
        return ert_op_fail(k, ERT_ERR_SHAPE, "size must hold 4 (N,C,H,W) or 5 (N,C,D,H,W) "
                           "values, got %lld", (long long)n);
    int r = (int)n - 2;
    for (int i = 0; i < n; i++)
        if (size[i] < 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "size[%d] = %lld is negative", i,
                               (long long)size[i]);
    if (th->rank == 3) {
        if ((th->dims[1] >= 0 && th->dims[1] != r) || (th->dims[2] >= 0 && th->dims[2] != r + 1))
            return ert_op_fail(k, ERT_ERR_SHAPE, "theta must be (N, %d, %d) for a %d-D size",
                               r, r + 1, r);
        if (th->dims[0] >= 0 && th->dims[0] != size[0])
            return ert_op_fail(k, ERT_ERR_SHAPE, "theta batch %lld differs from size N %lld",
                               (long long)th->dims[0], (long long)size[0]);
    }
    dims[0] = size[0];
    for (int i = 0; i < r; i++)
        dims[1 + i] = size[2 + i];
    dims[1 + r] = r;
    ert_set_out(k->out[0], th->dtype, r + 2, dims);
    return ERT_OK;
}

/* Normalised coordinate of pixel i of d. */
static double ag_coord(int64_t i, int64_t d, bool align)
{
    if (align)
        return d == 1 ? -1.0 : -1.0 + 2.0 * (double)i / (double)(d - 1);
    return -1.0 + (2.0 * (double)i + 1.0) / (double)d;
}

ert_status ert_run_affine_grid(ert_kctx *k)
{
    const ert_tensor *th = k->in[0];
    ert_tensor *y = k->out[0];
    bool align = ert_attr_int(k->node, "align_corners", 0) != 0;
    int r = y->rank - 2;
    int64_t N = y->dims[0];
    int64_t sp[3];
    int64_t P = 1;
    for (int i = 0; i < r; i++) {
        sp[i] = y->dims[1 + i];
        P *= sp[i];
    }
    int cols = r + 1;
    for (int64_t n = 0; n < N; n++) {
        double t[3][4];
        for (int a = 0; a < r; a++)
            for (int b = 0; b < cols; b++)
                t[a][b] = ert_load_f64(th->dtype, th->data, (n * r + a) * cols + b);
        for (int64_t p = 0; p < P; p++) {
            /* homogeneous point (x, y[, z], 1): x runs along the last spatial dim */
            double h[4];
            int64_t rem = p;
            for (int i = r - 1; i >= 0; i--) {
                h[r - 1 - i] = ag_coord(rem % sp[i], sp[i], align);
                rem /= sp[i];
            }
            h[r] = 1.0;
            for (int a = 0; a < r; a++) {
                double v = 0;
                for (int b = 0; b < cols; b++)
                    v += t[a][b] * h[b];
                ert_store_f64(y->dtype, y->data, (n * P + p) * r + a, v);
            }
        }
    }
    return ERT_OK;
}

/* ================================ RoiAlign ================================ */

static ert_status roi_attrs(ert_kctx *k, bool *is_max, bool *half_pixel)
{
    const char *m = ert_attr_string(k->node, "mode", "avg");
    if (!strcmp(m, "avg"))
        *is_max = false;
    else if (!strcmp(m, "max"))
        *is_max = true;
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "mode '%s' is not supported (avg, max)", m);
    *half_pixel = false; /* opset 10 behaves as output_half_pixel */
    if (k->version >= 16) {
        const char *c = ert_attr_string(k->node, "coordinate_transformation_mode", "half_pixel");
        if (!strcmp(c, "half_pixel"))
            *half_pixel = true;
        else if (strcmp(c, "output_half_pixel"))
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "coordinate_transformation_mode '%s' is "
                               "not supported (half_pixel, output_half_pixel)", c);
    }
    return ERT_OK;
}

ert_status ert_infer_roi_align(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 3, 3);
    if (s)
        return s;
    bool is_max, hp;
    s = roi_attrs(k, &is_max, &hp);
    if (s)
        return s;
    const ert_tensor *x = k->in[0], *rois = k->in[1], *bi = k->in[2];
    if (!ert_dtype_is_float(x->dtype) || rois->dtype != x->dtype)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "X (%s) and rois (%s) must have the same "
                           "float dtype", ert_dtype_name(x->dtype), ert_dtype_name(rois->dtype));
    if (bi->dtype != ERT_DTYPE_INT64 && bi->dtype != ERT_DTYPE_INT32)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "batch_indices dtype %s is not supported",
                           ert_dtype_name(bi->dtype));
    if (x->rank >= 0 && x->rank != 4)
        return ert_op_fail(k, ERT_ERR_SHAPE, "X must be 4-D (N, C, H, W), got rank %d", x->rank);
    if (rois->rank >= 0 && (rois->rank != 2 || (rois->dims[1] >= 0 && rois->dims[1] != 4)))
        return ert_op_fail(k, ERT_ERR_SHAPE, "rois must be (num_rois, 4)");
    if (bi->rank >= 0 && bi->rank != 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "batch_indices must be 1-D, got rank %d", bi->rank);
    int64_t nr = bi->rank == 1 ? bi->dims[0] : ERT_DIM_UNKNOWN;
    if (rois->rank == 2) {
        if (nr < 0)
            nr = rois->dims[0];
        else if (rois->dims[0] >= 0 && rois->dims[0] != nr)
            return ert_op_fail(k, ERT_ERR_SHAPE, "rois has %lld rows but batch_indices %lld",
                               (long long)rois->dims[0], (long long)nr);
    }
    int64_t oh = ert_attr_int(k->node, "output_height", 1);
    int64_t ow = ert_attr_int(k->node, "output_width", 1);
    int64_t sr = ert_attr_int(k->node, "sampling_ratio", 0);
    if (oh <= 0 || ow <= 0 || sr < 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "output_height %lld, output_width %lld must be > 0 "
                           "and sampling_ratio %lld >= 0", (long long)oh, (long long)ow,
                           (long long)sr);
    int64_t dims[4] = {nr, x->rank == 4 ? x->dims[1] : ERT_DIM_UNKNOWN, oh, ow};
    ert_set_out(k->out[0], x->dtype, 4, dims);
    return ERT_OK;
}

typedef struct roi_tap {
    int64_t pos[4];
    double w[4];
} roi_tap;

ert_status ert_run_roi_align(ert_kctx *k)
{
    bool is_max, hp;
    ert_status s = roi_attrs(k, &is_max, &hp);
    if (s)
        return s;
    const ert_tensor *x = k->in[0], *rois = k->in[1], *bi = k->in[2];
    ert_tensor *y = k->out[0];
    int64_t N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
    int64_t nr = y->dims[0], oh = y->dims[2], ow = y->dims[3];
    int64_t sr = ert_attr_int(k->node, "sampling_ratio", 0);
    double scale = ert_attr_float(k->node, "spatial_scale", 1.0f);
    double off = hp ? 0.5 : 0.0;
    bool f32 = x->dtype == ERT_DTYPE_FLOAT32;
    for (int64_t ri = 0; ri < nr; ri++) {
        int64_t b = ert_load_i64(bi->dtype, bi->data, ri);
        if (b < 0 || b >= N)
            return ert_op_fail(k, ERT_ERR_RUNTIME, "batch_indices[%lld] = %lld is out of range "
                               "[0, %lld)", (long long)ri, (long long)b, (long long)N);
        if (H == 0 || W == 0) { /* no data to sample: zeros (ORT 1.30 crashes here) */
            for (int64_t q = 0; q < C * oh * ow; q++)
                ert_store_f64(y->dtype, y->data, ri * C * oh * ow + q, 0.0);
            continue;
        }
        double rc[4];
        for (int j = 0; j < 4; j++)
            rc[j] = ert_load_f64(rois->dtype, rois->data, ri * 4 + j) * scale - off;
        double sw = rc[0], sh = rc[1];
        double rw = rc[2] - rc[0], rh = rc[3] - rc[1];
        if (!hp) {
            rw = rw > 1.0 ? rw : 1.0;
            rh = rh > 1.0 ? rh : 1.0;
        }
        double bh = rh / (double)oh, bw = rw / (double)ow;
        double gh_d = sr > 0 ? (double)sr : ceil(rh / (double)oh);
        double gw_d = sr > 0 ? (double)sr : ceil(rw / (double)ow);
        /* an absurd ROI (huge or NaN) would make the sampling grid explode */
        if (!(gh_d >= 0 && gh_d <= 1e6 && gw_d >= 0 && gw_d <= 1e6))
            return ert_op_fail(k, ERT_ERR_RUNTIME, "roi %lld gives a %g x %g sampling grid; "
                               "check rois and spatial_scale", (long long)ri, gh_d, gw_d);
        int64_t gh = (int64_t)gh_d, gw = (int64_t)gw_d;
        int64_t cnt = gh * gw > 1 ? gh * gw : 1;
        int64_t ntaps;
        if (!ert_mul_ok(gh * gw, oh * ow, &ntaps))
            return ert_op_fail(k, ERT_ERR_RUNTIME, "roi %lld sampling grid too large",
                               (long long)ri);
        roi_tap *taps = ert_tmp_alloc(sizeof(roi_tap) * (size_t)(ntaps > 0 ? ntaps : 1));
        if (!taps)
            return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for %lld RoiAlign samples",
                               (long long)ntaps);
        int64_t ti = 0;
        for (int64_t ph = 0; ph < oh; ph++)
            for (int64_t pw = 0; pw < ow; pw++)
                for (int64_t iy = 0; iy < gh; iy++) {
                    double yy = sh + (double)ph * bh + ((double)iy + 0.5) * bh / (double)gh;
                    for (int64_t ix = 0; ix < gw; ix++, ti++) {
                        double xx = sw + (double)pw * bw + ((double)ix + 0.5) * bw / (double)gw;
                        roi_tap *t = &taps[ti];
                        if (!(yy >= -1.0 && yy <= (double)H && xx >= -1.0 && xx <= (double)W)) {
                            memset(t, 0, sizeof *t);
                            continue;
                        }
                        double yv = yy > 0 ? yy : 0, xv = xx > 0 ? xx : 0;
                        int64_t yl = (int64_t)yv, xl = (int64_t)xv, yh, xh;
                        if (yl >= H - 1) {
                            yh = yl = H - 1;
                            yv = (double)yl;
                        } else {
                            yh = yl + 1;
                        }
                        if (xl >= W - 1) {
                            xh = xl = W - 1;
                            xv = (double)xl;
                        } else {
                            xh = xl + 1;
                        }
                        double ly = yv - (double)yl, lx = xv - (double)xl;
                        double hy = 1.0 - ly, hx = 1.0 - lx;
                        t->pos[0] = yl * W + xl;
                        t->pos[1] = yl * W + xh;
                        t->pos[2] = yh * W + xl;
                        t->pos[3] = yh * W + xh;
                        t->w[0] = hy * hx;
                        t->w[1] = hy * lx;
                        t->w[2] = ly * hx;
                        t->w[3] = ly * lx;
                    }
                }
        int64_t per_bin = gh * gw;
        for (int64_t c = 0; c < C; c++) {
            int64_t xb = (b * C + c) * H * W;
            int64_t yb = (ri * C + c) * oh * ow;
            for (int64_t q = 0; q < oh * ow; q++) {
                const roi_tap *t = &taps[q * per_bin];
                double out = 0.0;
                for (int64_t e = 0; e < per_bin; e++) {
                    double v[4];
                    for (int j = 0; j < 4; j++)
                        v[j] = t[e].w[j] * (f32 ? ((const float *)x->data)[xb + t[e].pos[j]]
                                                : ert_load_f64(x->dtype, x->data,
                                                               xb + t[e].pos[j]));
                    if (is_max) {
                        double m = v[0];
                        for (int j = 1; j < 4; j++)
                            m = v[j] > m ? v[j] : m;
                        out = (e == 0 || m > out) ? m : out;
                    } else {
                        out += v[0] + v[1] + v[2] + v[3];
                    }
                }
                if (!is_max)
                    out /= (double)cnt;
                ert_store_f64(y->dtype, y->data, yb + q, out);
            }
        }
        ert_tmp_free(taps);
    }
    return ERT_OK;
}

/* ================================ Col2Im ================================ */

typedef struct col2im_geom {
    int r;                         /* spatial rank */
    int64_t img[GS_MAX_SPATIAL];   /* image_shape */
    int64_t blk[GS_MAX_SPATIAL];   /* block_shape */
    int64_t dil[GS_MAX_SPATIAL], str[GS_MAX_SPATIAL];
    int64_t pb[GS_MAX_SPATIAL], pe[GS_MAX_SPATIAL]; /* pads begin / end */
    int64_t nblk[GS_MAX_SPATIAL];  /* sliding positions per dim */
    int64_t L, bsize;              /* total positions, prod(block) */
} col2im_geom;

/* Reads attributes and the image/block shape inputs; *known = false if the shape
 * inputs are not constant (load time). */
static ert_status col2im_geometry(ert_kctx *k, col2im_geom *g, bool *known)
{
    int64_t n1, n2;
    *known = false;
    ert_status s = ert_input_ints(k, 1, g->img, GS_MAX_SPATIAL, &n1);
    if (s)
        return s;
    s = ert_input_ints(k, 2, g->blk, GS_MAX_SPATIAL, &n2);
    if (s)
        return s;
    if (n1 < 0 || n2 < 0)
        return ERT_OK;
    if (n1 != n2 || n1 < 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "image_shape (%lld values) and block_shape (%lld) "
                           "must have the same non-zero length", (long long)n1, (long long)n2);
    int r = g->r = (int)n1;
    const int64_t *v;
    int64_t n = ert_attr_ints(k->node, "dilations", &v);
    if (n >= 0 && n != r)
        return ert_op_fail(k, ERT_ERR_SHAPE, "dilations has %lld values, expected %d",
                           (long long)n, r);
    for (int i = 0; i < r; i++)
        g->dil[i] = n >= 0 ? v[i] : 1;
    n = ert_attr_ints(k->node, "strides", &v);
    if (n >= 0 && n != r)
        return ert_op_fail(k, ERT_ERR_SHAPE, "strides has %lld values, expected %d",
                           (long long)n, r);
    for (int i = 0; i < r; i++)
        g->str[i] = n >= 0 ? v[i] : 1;
    n = ert_attr_ints(k->node, "pads", &v);
    if (n >= 0 && n != 2 * r)
        return ert_op_fail(k, ERT_ERR_SHAPE, "pads has %lld values, expected %d",
                           (long long)n, 2 * r);
    for (int i = 0; i < r; i++) {
        g->pb[i] = n >= 0 ? v[i] : 0;
        g->pe[i] = n >= 0 ? v[r + i] : 0;
    }
    g->L = 1;
    g->bsize = 1;
    for (int i = 0; i < r; i++) {
        if (g->dil[i] < 1 || g->str[i] < 1 || g->pb[i] < 0 || g->pe[i] < 0 || g->blk[i] < 1 ||
            g->img[i] < 0 || g->img[i] > ((int64_t)1 << 40) || g->blk[i] > ((int64_t)1 << 40) ||
            g->dil[i] > ((int64_t)1 << 20) || g->pb[i] > ((int64_t)1 << 40) ||
            g->pe[i] > ((int64_t)1 << 40))
            return ert_op_fail(k, ERT_ERR_SHAPE, "dim %d: bad geometry (image %lld, block %lld, "
                               "dilation %lld, stride %lld, pads %lld/%lld)", i,
                               (long long)g->img[i], (long long)g->blk[i], (long long)g->dil[i],
                               (long long)g->str[i], (long long)g->pb[i], (long long)g->pe[i]);
        int64_t span = g->dil[i] * (g->blk[i] - 1) + 1;
        int64_t room = g->img[i] + g->pb[i] + g->pe[i] - span;
        if (room < 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "dim %d: block span %lld exceeds the padded "
                               "image %lld", i, (long long)span,
                               (long long)(g->img[i] + g->pb[i] + g->pe[i]));
        g->nblk[i] = room / g->str[i] + 1;
        if (!ert_mul_ok(g->L, g->nblk[i], &g->L) || !ert_mul_ok(g->bsize, g->blk[i], &g->bsize))
            return ert_op_fail(k, ERT_ERR_SHAPE, "block counts overflow");
    }
    *known = true;
    return ERT_OK;
}

ert_status ert_infer_col2im(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 3, 3);
    if (s)
        return s;
    const ert_tensor *x = k->in[0];
    if (!is_numeric_dtype(x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported",
                           ert_dtype_name(x->dtype));
    if (x->rank >= 0 && x->rank != 3)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input must be 3-D (N, C*prod(block), L), got "
                           "rank %d", x->rank);
    col2im_geom g;
    bool known;
    s = col2im_geometry(k, &g, &known);
    if (s)
        return s;
    int64_t dims[ERT_MAX_RANK];
    if (!known) {
        const ert_tensor *is = k->in[1];
        int orank = (is->rank == 1 && is->dims[0] >= 0) ? (int)is->dims[0] + 2 : -1;
        if (orank > ERT_MAX_RANK)
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "output rank %d exceeds %d", orank,
                               ERT_MAX_RANK);
        for (int i = 0; i < ERT_MAX_RANK; i++)
            dims[i] = ERT_DIM_UNKNOWN;
        if (x->rank == 3)
            dims[0] = x->dims[0];
        ert_set_out(k->out[0], x->dtype, orank, dims);
        return ERT_OK;
    }
    dims[0] = x->rank == 3 ? x->dims[0] : ERT_DIM_UNKNOWN;
    dims[1] = ERT_DIM_UNKNOWN;
    if (x->rank == 3 && x->dims[1] >= 0) {
        if (x->dims[1] % g.bsize)
            return ert_op_fail(k, ERT_ERR_SHAPE, "input dim 1 (%lld) is not a multiple of "
                               "prod(block_shape) = %lld", (long long)x->dims[1],
                               (long long)g.bsize);
        dims[1] = x->dims[1] / g.bsize;
    }
    if (x->rank == 3 && x->dims[2] >= 0 && x->dims[2] != g.L)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input dim 2 (%lld) must equal the number of "
                           "blocks %lld", (long long)x->dims[2], (long long)g.L);
    for (int i = 0; i < g.r; i++)
        dims[2 + i] = g.img[i];
    ert_set_out(k->out[0], x->dtype, g.r + 2, dims);
    return ERT_OK;
}

ert_status ert_run_col2im(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    col2im_geom g;
    bool known;
    ert_status s = col2im_geometry(k, &g, &known);
    if (s)
        return s;
    if (!known)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "image/block shape not known at run time");
    int r = g.r;
    int64_t N = y->dims[0], C = y->dims[1];
    int64_t I = 1;
    for (int i = 0; i < r; i++)
        I *= g.img[i];
    int64_t ystr[GS_MAX_SPATIAL];
    int64_t st = 1;
    for (int i = r - 1; i >= 0; i--) {
        ystr[i] = st;
        st *= g.img[i];
    }
    int64_t ny = ert_tensor_numel(y);
    bool f32 = x->dtype == ERT_DTYPE_FLOAT32;
    double *acc = NULL;
    if (f32)
        memset(y->data, 0, sizeof(float) * (size_t)ny);
    else {
        acc = ert_tmp_calloc((size_t)(ny > 0 ? ny : 1), sizeof(double));
        if (!acc)
            return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    }
    for (int64_t n = 0; n < N; n++)
        for (int64_t c = 0; c < C; c++) {
            for (int64_t b = 0; b < g.bsize; b++) {
                /* kernel offset of block element b */
                int64_t kof[GS_MAX_SPATIAL];
                for (int64_t rem = b, i = r - 1; i >= 0; i--) {
                    kof[i] = rem % g.blk[i];
                    rem /= g.blk[i];
                }
                int64_t xrow = ((n * C + c) * g.bsize + b) * g.L;
                for (int64_t l = 0; l < g.L; l++) {
                    int64_t yo = 0;
                    bool inside = true;
                    for (int64_t rem = l, i = r - 1; i >= 0; i--) {
                        int64_t pos = rem % g.nblk[i];
                        rem /= g.nblk[i];
                        int64_t at = pos * g.str[i] - g.pb[i] + kof[i] * g.dil[i];
                        if (at < 0 || at >= g.img[i]) {
                            inside = false;
                            break;
                        }
                        yo += at * ystr[i];
                    }
                    if (!inside)
                        continue;
                    int64_t yi = (n * C + c) * I + yo;
                    if (f32)
                        ((float *)y->data)[yi] += ((const float *)x->data)[xrow + l];
                    else
                        acc[yi] += ert_load_f64(x->dtype, x->data, xrow + l);
                }
            }
        }
    if (!f32) {
        for (int64_t i = 0; i < ny; i++)
            ert_store_f64(y->dtype, y->data, i, acc[i]);
        ert_tmp_free(acc);
    }
    return ERT_OK;
}
