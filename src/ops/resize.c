/*
 * resize.c - Resize (opset 10..19) and Upsample (opset 7/9): N-d nearest, linear and
 * cubic resampling with every ONNX coordinate transformation mode.
 *
 * The semantics follow the ONNX reference (onnx/reference/ops/op_resize.py):
 *   - each output coordinate o of an axis maps to an input coordinate x (double) by the
 *     coordinate_transformation_mode; the "resized length" in those formulas is
 *     scale * input_length (not the rounded output length), as in the reference;
 *   - nearest picks one input index by nearest_mode; linear/cubic take a window of taps
 *     around x with kernel weights (antialias widens the window by 1/scale when
 *     downsampling and normalises), exclude_outside zeroes taps outside the input and
 *     renormalises, other taps outside are clamped to the edge;
 *   - tf_crop_and_resize writes extrapolation_value where x falls outside the input.
 * Resize-10 and Upsample have no coordinate attributes: like ONNX Runtime, they map
 * asymmetrically (x = o / scale) and nearest takes floor(x) when upsampling and
 * ceil(x) when downsampling.
 *
 * Linear and cubic are separable: the kernel runs one pass per resized axis (in float
 * for float32 data, in double for the other dtypes), each pass a weighted sum of whole
 * contiguous rows when the axis is not the innermost one. Nearest is a gather through
 * one index table per axis, by element size, for every dtype. 2x bilinear of
 * 1x64x320x320 float32 is two passes over <= 26M floats (tens of ms).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "ops/resize_geom.h"
#include "util/scratch.h"


/* Reads a float input (scales / roi) of any float dtype. *n = -1 if absent or empty
 * (absent and empty mean the same since opset 13), -2 if present but not known yet. */
static ert_status rz_floats(ert_kctx *k, int i, double *buf, int max, int *n)
{
    const ert_tensor *t = ert_in(k, i);
    *n = -1;
    if (!t)
        return ERT_OK;
    int64_t cnt = ert_tensor_numel(t);
    if (cnt == 0)
        return ERT_OK;
    if (cnt < 0 || !t->data) {
        *n = -2;
        return ERT_OK;
    }
    if (!ert_dtype_is_float(t->dtype))
        return ert_op_fail(k, ERT_ERR_PARSE, "input %d must be a float tensor, got %s", i,
                           ert_dtype_name(t->dtype));
    if (cnt > max)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input %d has %lld values, expected at most %d", i,
                           (long long)cnt, max);
    for (int64_t j = 0; j < cnt; j++)
        buf[j] = ert_load_f64(t->dtype, t->data, j);
    *n = (int)cnt;
    return ERT_OK;
}

static ert_status rz_attrs(ert_kctx *k, rz_plan *p)
{
    bool legacy = k->node->op->id == ERT_OP_UPSAMPLE || k->version < 11;
    const char *m = ert_attr_string(k->node, "mode", "nearest");
    if (!strcmp(m, "nearest"))
        p->mode = RZ_NEAREST;
    else if (!strcmp(m, "linear") || (legacy && !strcmp(m, "bilinear")))
        p->mode = RZ_LINEAR;
    else if (!strcmp(m, "cubic") && !legacy)
        p->mode = RZ_CUBIC;
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "mode '%s' is not supported (use nearest, linear%s)", m,
                           legacy ? "" : " or cubic");
    p->ctm = CT_LEGACY;
    p->nearest = NM_ROUND_PREFER_FLOOR;
    p->cubic_a = -0.75;
    if (legacy)
        return ERT_OK;
    const char *c = ert_attr_string(k->node, "coordinate_transformation_mode", "half_pixel");
    static const struct { const char *name; int v; int since; } cts[] = {
        {"half_pixel", CT_HALF_PIXEL, 11}, {"half_pixel_symmetric", CT_HALF_PIXEL_SYMMETRIC, 19},
        {"pytorch_half_pixel", CT_PYTORCH_HALF_PIXEL, 11}, {"align_corners", CT_ALIGN_CORNERS, 11},
        {"asymmetric", CT_ASYMMETRIC, 11},
        /* the spec's name is "tf_half_pixel_for_nn" (Resize-11/13): the old entry
         * "tf_half_pixel_for_nearest" refused every real model using it (diff-test) */
        {"tf_half_pixel_for_nn", CT_TF_HALF_PIXEL_NEAREST, 11},
        {"tf_half_pixel_for_nearest", CT_TF_HALF_PIXEL_NEAREST, 11},
        {"tf_crop_and_resize", CT_TF_CROP_AND_RESIZE, 11}};
    p->ctm = -1;
    for (size_t i = 0; i < sizeof cts / sizeof cts[0]; i++)
        if (!strcmp(c, cts[i].name) && k->version >= cts[i].since)
            p->ctm = cts[i].v;
    if (p->ctm < 0)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "coordinate_transformation_mode '%s' is not supported at this opset", c);
    const char *nm = ert_attr_string(k->node, "nearest_mode", "round_prefer_floor");
    if (!strcmp(nm, "round_prefer_floor"))
        p->nearest = NM_ROUND_PREFER_FLOOR;
    else if (!strcmp(nm, "round_prefer_ceil"))
        p->nearest = NM_ROUND_PREFER_CEIL;
    else if (!strcmp(nm, "floor"))
        p->nearest = NM_FLOOR;
    else if (!strcmp(nm, "ceil"))
        p->nearest = NM_CEIL;
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "nearest_mode '%s' is not supported", nm);
    p->cubic_a = ert_attr_float(k->node, "cubic_coeff_a", -0.75f);
    p->exclude_outside = ert_attr_int(k->node, "exclude_outside", 0) != 0;
    p->extrapolation = ert_attr_float(k->node, "extrapolation_value", 0.0f);
    if (k->version >= 18)
        p->antialias = ert_attr_int(k->node, "antialias", 0) != 0 && p->mode != RZ_NEAREST;
    return ERT_OK;
}

/* Fills the plan. *known = false when some output dim cannot be known yet (load time);
 * p->out then holds ERT_DIM_UNKNOWN there. */
ert_status ert_resize_plan(ert_kctx *k, rz_plan *p, bool *known)
{
    memset(p, 0, sizeof *p);
    *known = false;
    ert_status s = rz_attrs(k, p);
    if (s != ERT_OK)
        return s;
    const ert_tensor *x = k->in[0];
    bool upsample = k->node->op->id == ERT_OP_UPSAMPLE;
    double scales[ERT_MAX_RANK], roi[2 * ERT_MAX_RANK];
    int64_t sizes[ERT_MAX_RANK];
    int n_scales = -1, n_roi = -1;
    int64_t n_sizes = -1;
    bool sizes_given = false;

    /* gather scales / sizes / roi by version */
    if (upsample && k->version < 9) {
        const float *f;
        int64_t n = ert_attr_floats(k->node, "scales", &f);
        if (n < 0)
            return ert_op_fail(k, ERT_ERR_PARSE, "attribute 'scales' is required");
        if (n > ERT_MAX_RANK)
            return ert_op_fail(k, ERT_ERR_SHAPE, "%lld scales, at most %d", (long long)n,
                               ERT_MAX_RANK);
        for (int64_t i = 0; i < n; i++)
            scales[i] = f[i];
        n_scales = (int)n;
    } else if (upsample || k->version < 11) {
        if ((s = ert_check_inputs(k, 2, 2)) != ERT_OK)
            return s;
        if ((s = rz_floats(k, 1, scales, ERT_MAX_RANK, &n_scales)) != ERT_OK)
            return s;
    } else {
        if ((s = ert_check_inputs(k, 1, 4)) != ERT_OK)
            return s;
        if ((s = rz_floats(k, 1, roi, 2 * ERT_MAX_RANK, &n_roi)) != ERT_OK)
            return s;
        if ((s = rz_floats(k, 2, scales, ERT_MAX_RANK, &n_scales)) != ERT_OK)
            return s;
        const ert_tensor *st = ert_in(k, 3);
        if (st && ert_tensor_numel(st) != 0) {
            sizes_given = true;
            if (n_scales != -1 && !(n_scales == -2 && k->shapes_only))
                return ert_op_fail(k, ERT_ERR_SHAPE,
                                   "only one of 'scales' and 'sizes' may be given");
            if ((s = ert_input_ints(k, 3, sizes, ERT_MAX_RANK, &n_sizes)) != ERT_OK)
                return s;
        } else if (n_scales == -1) {
            return ert_op_fail(k, ERT_ERR_PARSE, "one of 'scales' and 'sizes' must be given");
        }
    }
    if (!sizes_given && n_scales == -1)
        return ert_op_fail(k, ERT_ERR_PARSE, "'scales' is empty");

    /* axes (opset 18) */
    int axes[ERT_MAX_RANK], n_axes = -1;
    const int64_t *av = NULL;
    int64_t na = k->version >= 18 ? ert_attr_ints(k->node, "axes", &av) : -1;
    int rank = x->rank;
    if (na < 0 && rank < 0)
        rank = sizes_given ? (int)n_sizes : n_scales; /* -1 / -2 if not known */
    if (rank < 0) {
        p->rank = -1;
        return ERT_OK;
    }
    if (rank > ERT_MAX_RANK)
        return ert_op_fail(k, ERT_ERR_SHAPE, "rank %d too large", rank);
    p->rank = rank;
    if (na >= 0) {
        if (na > rank)
            return ert_op_fail(k, ERT_ERR_SHAPE, "%lld axes for rank %d", (long long)na, rank);
        for (int64_t i = 0; i < na; i++) {
            if ((s = ert_norm_axis(k, av[i], rank, "axes entry", &axes[i])) != ERT_OK)
                return s;
            for (int64_t j = 0; j < i; j++)
                if (axes[j] == axes[i])
                    return ert_op_fail(k, ERT_ERR_SHAPE, "axis %d repeated in 'axes'", axes[i]);
        }
        n_axes = (int)na;
    } else {
        n_axes = rank;
        for (int i = 0; i < rank; i++)
            axes[i] = i;
    }
    for (int d = 0; d < rank; d++) {
        p->in[d] = x->rank >= 0 ? x->dims[d] : ERT_DIM_UNKNOWN;
        p->out[d] = p->in[d];
        p->scale[d] = 1.0;
        p->roi_s[d] = 0.0;
        p->roi_e[d] = 1.0;
    }
    if (n_scales >= 0 && n_scales != n_axes)
        return ert_op_fail(k, ERT_ERR_SHAPE, "'scales' has %d values, expected %d (one per %s)",
                           n_scales, n_axes, na >= 0 ? "entry of 'axes'" : "input dim");
    if (n_sizes >= 0 && n_sizes != n_axes)
        return ert_op_fail(k, ERT_ERR_SHAPE, "'sizes' has %lld values, expected %d",
                           (long long)n_sizes, n_axes);
    p->roi_known = true;
    if (p->ctm == CT_TF_CROP_AND_RESIZE) {
        if (n_roi == -2) {
            p->roi_known = false; /* coordinates unknown, shapes still computable */
        } else if (n_roi != 2 * n_axes) {
            return ert_op_fail(k, ERT_ERR_SHAPE,
                               "tf_crop_and_resize needs 'roi' with %d values, got %d", 2 * n_axes,
                               n_roi < 0 ? 0 : n_roi);
        } else {
            for (int i = 0; i < n_axes; i++) {
                p->roi_s[axes[i]] = roi[i];
                p->roi_e[axes[i]] = roi[n_axes + i];
            }
        }
    }

    bool all = true;
    if (sizes_given) {
        if (n_sizes < 0) {
            for (int i = 0; i < n_axes; i++)
                p->out[axes[i]] = ERT_DIM_UNKNOWN;
            return ERT_OK;
        }
        const char *pol = k->version >= 18
                              ? ert_attr_string(k->node, "keep_aspect_ratio_policy", "stretch")
                              : "stretch";
        int policy;
        if (!strcmp(pol, "stretch"))
            policy = 0;
        else if (!strcmp(pol, "not_larger"))
            policy = 1;
        else if (!strcmp(pol, "not_smaller"))
            policy = 2;
        else
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                               "keep_aspect_ratio_policy '%s' is not supported", pol);
        for (int i = 0; i < n_axes; i++)
            if (sizes[i] < 0)
                return ert_op_fail(k, ERT_ERR_SHAPE, "'sizes' value %lld is negative",
                                   (long long)sizes[i]);
        if (policy == 0) {
            for (int i = 0; i < n_axes; i++) {
                int d = axes[i];
                p->out[d] = sizes[i];
                if (p->in[d] > 0)
                    p->scale[d] = (double)sizes[i] / (double)p->in[d];
                else
                    all = false;
            }
        } else {
            double sc = policy == 1 ? INFINITY : 0.0;
            for (int i = 0; i < n_axes; i++) {
                int d = axes[i];
                if (p->in[d] <= 0) {
                    all = false;
                    break;
                }
                double r = (double)sizes[i] / (double)p->in[d];
                sc = policy == 1 ? (r < sc ? r : sc) : (r > sc ? r : sc);
            }
            for (int i = 0; i < n_axes; i++) {
                int d = axes[i];
                if (!all) {
                    p->out[d] = ERT_DIM_UNKNOWN;
                    continue;
                }
                p->scale[d] = sc;
                p->out[d] = (int64_t)floor(sc * (double)p->in[d] + 0.5);
            }
        }
    } else if (n_scales == -2) {
        for (int i = 0; i < n_axes; i++)
            p->out[axes[i]] = ERT_DIM_UNKNOWN;
        return ERT_OK;
    } else {
        for (int i = 0; i < n_axes; i++) {
            int d = axes[i];
            if (!(scales[i] > 0.0) || !isfinite(scales[i]))
                return ert_op_fail(k, ERT_ERR_SHAPE, "scale %g for axis %d must be positive",
                                   scales[i], d);
            if (upsample && scales[i] < 1.0)
                return ert_op_fail(k, ERT_ERR_SHAPE,
                                   "Upsample scale %g for axis %d must be >= 1 (use Resize to "
                                   "downsample)", scales[i], d);
            p->scale[d] = scales[i];
            if (p->in[d] >= 0) {
                double o = floor((double)p->in[d] * scales[i]);
                if (o > 9.0e15)
                    return ert_op_fail(k, ERT_ERR_SHAPE, "scale %g makes axis %d too large",
                                       scales[i], d);
                p->out[d] = (int64_t)o;
            } else if (scales[i] != 1.0) {
                p->out[d] = ERT_DIM_UNKNOWN;
                all = false;
            }
        }
    }
    for (int d = 0; d < rank; d++)
        if (p->in[d] < 0 || p->out[d] < 0)
            all = false;
    if (p->ctm == CT_TF_CROP_AND_RESIZE && n_roi == -2)
        all = false;
    *known = all;
    return ERT_OK;
}

ert_status ert_infer_resize(ert_kctx *k)
{
    if (k->n_in < 1 || !k->in[0])
        return ert_op_fail(k, ERT_ERR_PARSE, "input X is missing");
    rz_plan p;
    bool known;
    ert_status s = ert_resize_plan(k, &p, &known);
    if (s != ERT_OK)
        return s;
    const ert_tensor *x = k->in[0];
    if (x->dtype == ERT_DTYPE_STRING || ert_dtype_size_(x->dtype) == 0)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported",
                           ert_dtype_name(x->dtype));
    if (p.mode != RZ_NEAREST && x->dtype == ERT_DTYPE_BOOL)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "linear/cubic resize of bool is undefined");
    ert_set_out(k->out[0], x->dtype, p.rank, p.out);
    if (!known && !k->shapes_only)
        return ert_op_fail(k, ERT_ERR_SHAPE, "output shape could not be computed");
    return ERT_OK;
}

/* ---- per-axis coordinate mapping ---- */

/* Input coordinate for output index o; *outside = true: extrapolate (tf_crop_and_resize). */
double ert_resize_coord(const rz_plan *p, int d, int64_t o, bool *outside)
{
    double s = p->scale[d], in = (double)p->in[d], len = s * in, x;
    double od = (double)o;
    *outside = false;
    switch (p->ctm) {
    case CT_HALF_PIXEL: x = (od + 0.5) / s - 0.5; break;
    case CT_HALF_PIXEL_SYMMETRIC: {
        double adj = (double)p->out[d] / len;
        double off = in / 2.0 * (1.0 - adj);
        x = off + (od + 0.5) / s - 0.5;
        break;
    }
    /* spec: length_resized > 1 ? (x + 0.5) / scale - 0.5 : 0 (ONNX Runtime and PyTorch
     * agree). The reference's -0.5 only differs for cubic (linear/nearest clamp -0.5 to
     * the same tap), where it made a 1-long output blend taps left of the edge. */
    case CT_PYTORCH_HALF_PIXEL: x = p->out[d] > 1 ? (od + 0.5) / s - 0.5 : 0.0; break;
    case CT_ALIGN_CORNERS: x = len == 1.0 ? 0.0 : od * (in - 1.0) / (len - 1.0); break;
    case CT_TF_HALF_PIXEL_NEAREST: x = (od + 0.5) / s; break;
    case CT_TF_CROP_AND_RESIZE: {
        double rs = p->roi_s[d], re = p->roi_e[d];
        if (len == 1.0)
            x = (re - rs) * (in - 1.0) / 2.0;
        else
            x = od * (re - rs) * (in - 1.0) / (len - 1.0);
        x += rs * (in - 1.0);
        if (x < 0.0 || x > in - 1.0)
            *outside = true;
        break;
    }
    default: x = od / s; break; /* asymmetric, legacy */
    }
    return x;
}

static int64_t rz_clamp(int64_t i, int64_t n)
{
    return i < 0 ? 0 : (i >= n ? n - 1 : i);
}

/* Nearest input index for output o of axis d; -1: extrapolate. */
int64_t ert_resize_nearest_index(const rz_plan *p, int d, int64_t o)
{
    /* An axis that is not resized maps one-to-one, as ONNX Runtime does and as TF (whose
     * graphs never resize N or C) means it: taken literally, tf_half_pixel_for_nearest
     * with a ceil rounding would shift such an axis by one element. */
    if (p->scale[d] == 1.0 && p->out[d] == p->in[d] && p->ctm != CT_TF_CROP_AND_RESIZE)
        return o;
    bool outside;
    double x = ert_resize_coord(p, d, o, &outside);
    if (outside)
        return -1;
    double f = floor(x), r = x - f;
    double i;
    if (p->ctm == CT_LEGACY)
        i = p->scale[d] < 1.0 ? ceil(x) : f;
    else if (r == 0.0)
        i = x;
    else {
        switch (p->nearest) {
        case NM_ROUND_PREFER_FLOOR: i = r <= 0.5 ? f : f + 1.0; break;
        case NM_ROUND_PREFER_CEIL: i = r < 0.5 ? f : f + 1.0; break;
        case NM_FLOOR: i = f; break;
        default: i = f + 1.0; break;
        }
    }
    if (i < -1.0e15)
        i = -1.0e15;
    if (i > 1.0e15)
        i = 1.0e15;
    return rz_clamp((int64_t)i, p->in[d]);
}

static double cubic_kernel(double x, double a)
{
    x = fabs(x);
    if (x <= 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0)
        return ((a * x - 5.0 * a) * x + 8.0 * a) * x - 4.0 * a;
    return 0.0;
}

/* Taps of one axis: for output o, n taps idx[o*n + j] (clamped) with weights w[o*n + j];
 * ext[o] = 1: the output is extrapolation_value. */
typedef struct rz_taps {
    int n;              /* taps per output */
    int64_t *idx;       /* [O * n] clamped input indices */
    double *w;          /* [O * n] weights */
    float *wf;          /* [O * n] the same weights as float (float32 path) */
    unsigned char *ext; /* [O] 1: output is extrapolation_value */
} rz_taps;

static void rz_taps_free(rz_taps *t)
{
    ert_tmp_free(t->idx);
    ert_tmp_free(t->w);
    ert_tmp_free(t->wf);
    ert_tmp_free(t->ext);
}

static ert_status rz_taps_make(ert_kctx *k, const rz_plan *p, int d, rz_taps *t)
{
    double s = p->scale[d];
    double sa = p->antialias && s < 1.0 ? s : 1.0;
    int start;
    if (p->mode == RZ_LINEAR)
        start = p->antialias ? (int)floor(-1.0 / sa) + 1 : 0;
    else
        start = p->antialias ? (int)floor(-2.0 / sa) + 1 : -1;
    if (start < -4096)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "antialias scale %g is too small", s);
    int n = 2 - 2 * start;
    int64_t O = p->out[d], I = p->in[d];
    memset(t, 0, sizeof *t);
    int64_t total;
    if (!ert_mul_ok(O, n, &total) || total > ((int64_t)1 << 40))
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "resize tables for %lld outputs x %d taps are "
                           "too large", (long long)O, n);
    t->n = n;
    t->idx = ert_tmp_alloc(sizeof(int64_t) * (size_t)(O * n + 1));
    t->w = ert_tmp_alloc(sizeof(double) * (size_t)(O * n + 1));
    t->wf = ert_tmp_alloc(sizeof(float) * (size_t)(O * n + 1));
    t->ext = ert_tmp_calloc((size_t)O + 1, 1);
    if (!t->idx || !t->w || !t->wf || !t->ext) {
        rz_taps_free(t);
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for resize tables");
    }
    for (int64_t o = 0; o < O; o++) {
        bool outside;
        double x = ert_resize_coord(p, d, o, &outside);
        int64_t *ix = t->idx + o * n;
        double *w = t->w + o * n;
        if (outside) {
            t->ext[o] = 1;
            for (int j = 0; j < n; j++) {
                ix[j] = 0;
                w[j] = 0.0;
            }
            continue;
        }
        if (x < -1.0e15)
            x = -1.0e15;
        if (x > 1.0e15)
            x = 1.0e15;
        /* base: the tap left of x, x itself excluded (ratio in (0, 1]) */
        double fb = floor(x);
        if (fb == x)
            fb -= 1.0;
        double ratio = x - fb;
        int64_t base = (int64_t)fb;
        double sum = 0.0;
        for (int j = 0; j < n; j++) {
            int off = start + j;
            double wt;
            if (p->mode == RZ_LINEAR) {
                wt = 1.0 - fabs(sa * ((double)off - ratio));
                if (wt < 0.0)
                    wt = 0.0;
            } else if (p->antialias) {
                wt = cubic_kernel(sa * ((double)off - ratio), p->cubic_a);
            } else {
                wt = cubic_kernel((double)off - ratio, p->cubic_a);
            }
            int64_t raw = base + off;
            if (p->exclude_outside && (raw < 0 || raw >= I))
                wt = 0.0;
            w[j] = wt;
            ix[j] = rz_clamp(raw, I);
            sum += wt;
        }
        if ((p->antialias || p->exclude_outside) && sum != 0.0)
            for (int j = 0; j < n; j++)
                w[j] /= sum;
    }
    for (int64_t i = 0; i < O * n; i++)
        t->wf[i] = (float)t->w[i];
    return ERT_OK;
}

/* One separable pass along an axis: src is [outer, I, inner], dst is [outer, O, inner].
 * W is the weight array of type T (t->wf or t->w). */
#define RZ_DEFINE_PASS(T, NAME)                                                              \
    static void NAME(const T *src, T *dst, int64_t outer, int64_t I, int64_t O, int64_t inner, \
                     const rz_taps *t, const T *W, T extrap)                                 \
    {                                                                                        \
        int n = t->n;                                                                        \
        for (int64_t q = 0; q < outer; q++) {                                                \
            const T *restrict s = src + q * I * inner;                                       \
            T *restrict dd = dst + q * O * inner;                                            \
            if (inner == 1 && n == 2) { /* innermost linear: 2-tap gather */                 \
                for (int64_t o = 0; o < O; o++) {                                            \
                    const int64_t *ix = t->idx + 2 * o;                                      \
                    dd[o] = t->ext[o] ? extrap : W[2 * o] * s[ix[0]] + W[2 * o + 1] * s[ix[1]]; \
                }                                                                            \
                continue;                                                                    \
            }                                                                                \
            for (int64_t o = 0; o < O; o++) {                                                \
                T *restrict row = dd + o * inner;                                            \
                const int64_t *ix = t->idx + o * n;                                          \
                const T *w = W + o * n;                                                      \
                if (t->ext[o]) {                                                             \
                    for (int64_t j = 0; j < inner; j++)                                      \
                        row[j] = extrap;                                                     \
                } else if (inner == 1) {                                                     \
                    T acc = 0;                                                               \
                    for (int j = 0; j < n; j++)                                              \
                        acc += w[j] * s[ix[j]];                                              \
                    row[0] = acc;                                                            \
                } else if (n == 2) {                                                         \
                    const T *restrict a = s + ix[0] * inner;                                 \
                    const T *restrict b = s + ix[1] * inner;                                 \
                    T w0 = w[0], w1 = w[1];                                                  \
                    for (int64_t j = 0; j < inner; j++)                                      \
                        row[j] = w0 * a[j] + w1 * b[j];                                      \
                } else {                                                                     \
                    const T *restrict a = s + ix[0] * inner;                                 \
                    T w0 = w[0];                                                             \
                    for (int64_t j = 0; j < inner; j++)                                      \
                        row[j] = w0 * a[j];                                                  \
                    for (int tp = 1; tp < n; tp++) {                                         \
                        T wt = w[tp];                                                        \
                        if (wt == 0)                                                         \
                            continue;                                                        \
                        const T *restrict sr = s + ix[tp] * inner;                           \
                        for (int64_t j = 0; j < inner; j++)                                  \
                            row[j] += wt * sr[j];                                            \
                    }                                                                        \
                }                                                                            \
            }                                                                                \
        }                                                                                    \
    }
RZ_DEFINE_PASS(float, rz_pass_f32)
RZ_DEFINE_PASS(double, rz_pass_f64)

/* Does axis d change anything? Identity when sizes match and the mapping is o -> o. */
static bool rz_axis_identity(const rz_plan *p, int d)
{
    return p->in[d] == p->out[d] && p->scale[d] == 1.0 && p->ctm != CT_TF_CROP_AND_RESIZE;
}

/* Stores double results into an output of any numeric dtype. Integer outputs truncate
 * toward zero like the reference's astype, saturated to the type's range. */
static void rz_store(ert_dtype t, void *dst, int64_t off, const double *v, int64_t n)
{
    double lo = 0, hi = 0;
    bool is_int = !ert_dtype_is_float(t);
    switch (t) {
    case ERT_DTYPE_INT8: lo = -128; hi = 127; break;
    case ERT_DTYPE_UINT8: lo = 0; hi = 255; break;
    case ERT_DTYPE_INT16: lo = -32768; hi = 32767; break;
    case ERT_DTYPE_UINT16: lo = 0; hi = 65535; break;
    case ERT_DTYPE_INT32: lo = -2147483648.0; hi = 2147483647.0; break;
    case ERT_DTYPE_UINT32: lo = 0; hi = 4294967295.0; break;
    case ERT_DTYPE_UINT64: lo = 0; hi = 1.8e19; break;
    default: lo = -9.2e18; hi = 9.2e18; break;
    }
    for (int64_t i = 0; i < n; i++) {
        double x = v[i];
        if (is_int)
            x = isnan(x) ? 0 : (x < lo ? lo : (x > hi ? hi : trunc(x)));
        ert_store_f64(t, dst, off + i, x);
    }
}

/*
 * Linear / cubic. The dims before the first resized axis are untouched, so the tensor is
 * processed one such "slice" at a time (e.g. one channel of NCHW): the intermediates of
 * the per-axis passes then stay slice-sized and cache-resident instead of whole-tensor.
 */
static ert_status rz_run_interp(ert_kctx *k, const rz_plan *p)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int r = p->rank;
    bool f32 = x->dtype == ERT_DTYPE_FLOAT32;
    size_t es = f32 ? sizeof(float) : sizeof(double);
    int64_t n_in = ert_tensor_numel(x), n_out = ert_tensor_numel(y);
    if (n_out == 0)
        return ERT_OK;
    if (n_in == 0)
        return ert_op_fail(k, ERT_ERR_SHAPE,
                           "cannot interpolate an empty input to a non-empty output");
    /* axes to resample, downsampling ones first (smaller intermediates) */
    int order[ERT_MAX_RANK], na = 0;
    for (int d = 0; d < r; d++)
        if (!rz_axis_identity(p, d))
            order[na++] = d;
    if (na == 0) {
        if (f32) {
            memcpy(y->data, x->data, sizeof(float) * (size_t)n_out);
        } else {
            for (int64_t i = 0; i < n_out; i++)
                ert_store_f64(y->dtype, y->data, i, ert_load_f64(x->dtype, x->data, i));
        }
        return ERT_OK;
    }
    for (int i = 1; i < na; i++)
        for (int j = i; j > 0; j--) {
            int a = order[j - 1], b = order[j];
            double ra = (double)p->out[a] / (double)p->in[a];
            double rb = (double)p->out[b] / (double)p->in[b];
            /* ties: the inner axis first, its gather pass then runs on the smaller data */
            if (rb < ra || (rb == ra && b > a)) {
                order[j - 1] = b;
                order[j] = a;
            }
        }
    int d0 = r;
    for (int i = 0; i < na; i++)
        d0 = order[i] < d0 ? order[i] : d0;
    int64_t batch = 1, slice_in = 1, slice_out = 1;
    for (int d = 0; d < d0; d++)
        batch *= p->in[d];
    for (int d = d0; d < r; d++) {
        slice_in *= p->in[d];
        slice_out *= p->out[d];
    }
    /* largest intermediate slice (every pass result; the last may go to y directly) */
    int64_t cur[ERT_MAX_RANK], maxn = slice_out > slice_in ? slice_out : slice_in;
    memcpy(cur, p->in, sizeof(int64_t) * (size_t)r);
    for (int i = 0; i < na; i++) {
        cur[order[i]] = p->out[order[i]];
        int64_t m = 1;
        for (int d = d0; d < r; d++)
            if (!ert_mul_ok(m, cur[d], &m))
                return ert_op_fail(k, ERT_ERR_NO_MEMORY, "intermediate too large");
        if (m > maxn)
            maxn = m;
    }
    rz_taps taps[ERT_MAX_RANK];
    memset(taps, 0, sizeof taps);
    ert_status s = ERT_OK;
    void *bufs[3] = {ert_tmp_alloc(es * (size_t)maxn), ert_tmp_alloc(es * (size_t)maxn), NULL};
    if (!f32)
        bufs[2] = ert_tmp_alloc(sizeof(double) * (size_t)slice_in);
    if (!bufs[0] || !bufs[1] || (!f32 && !bufs[2])) {
        s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for resize buffers");
        goto done;
    }
    for (int i = 0; i < na; i++)
        if ((s = rz_taps_make(k, p, order[i], &taps[i])) != ERT_OK)
            goto done;
    for (int64_t b = 0; b < batch; b++) {
        const void *src;
        if (f32) {
            src = (const float *)x->data + b * slice_in;
        } else {
            for (int64_t i = 0; i < slice_in; i++)
                ((double *)bufs[2])[i] = ert_load_f64(x->dtype, x->data, b * slice_in + i);
            src = bufs[2];
        }
        memcpy(cur, p->in, sizeof(int64_t) * (size_t)r);
        int which = 0;
        for (int i = 0; i < na; i++) {
            int d = order[i];
            int64_t outer = 1, inner = 1;
            for (int e = d0; e < d; e++)
                outer *= cur[e];
            for (int e = d + 1; e < r; e++)
                inner *= cur[e];
            void *dst = (i == na - 1 && f32) ? (float *)y->data + b * slice_out : bufs[which];
            if (f32)
                rz_pass_f32(src, dst, outer, p->in[d], p->out[d], inner, &taps[i], taps[i].wf,
                            (float)p->extrapolation);
            else
                rz_pass_f64(src, dst, outer, p->in[d], p->out[d], inner, &taps[i], taps[i].w,
                            p->extrapolation);
            cur[d] = p->out[d];
            src = dst;
            which ^= 1;
        }
        if (!f32)
            rz_store(y->dtype, y->data, b * slice_out, src, slice_out);
    }
done:
    for (int i = 0; i < na; i++)
        rz_taps_free(&taps[i]);
    ert_tmp_free(bufs[0]);
    ert_tmp_free(bufs[1]);
    ert_tmp_free(bufs[2]);
    return s;
}

/* Nearest: gather rows through per-axis index tables, any dtype by element size. */
static ert_status rz_run_nearest(ert_kctx *k, const rz_plan *p)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int r = p->rank;
    size_t es = ert_dtype_size_(x->dtype);
    int64_t n_out = ert_tensor_numel(y);
    if (n_out == 0)
        return ERT_OK;
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return ERT_OK;
    }
    int64_t *tab[ERT_MAX_RANK] = {0};
    int64_t strides[ERT_MAX_RANK];
    ert_strides(r, p->in, strides);
    ert_status s = ERT_OK;
    for (int d = 0; d < r; d++) {
        if (p->out[d] > ((int64_t)1 << 40)) {
            s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "output dim %d (%lld) too large", d,
                            (long long)p->out[d]);
            goto done;
        }
        tab[d] = ert_tmp_alloc(sizeof(int64_t) * (size_t)(p->out[d] + 1));
        if (!tab[d]) {
            s = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for resize tables");
            goto done;
        }
        for (int64_t o = 0; o < p->out[d]; o++) {
            int64_t i = ert_resize_nearest_index(p, d, o);
            if (i >= 0 && p->in[d] == 0) {
                s = ert_op_fail(k, ERT_ERR_SHAPE, "cannot resize an empty axis %d to %lld", d,
                                (long long)p->out[d]);
                goto done;
            }
            tab[d][o] = i < 0 ? -1 : i * strides[d];
        }
    }
    unsigned char ext[8] = {0};
    ert_store_f64(x->dtype, ext, 0, p->extrapolation);
    int64_t W = p->out[r - 1], rows = n_out / W;
    const int64_t *tl = tab[r - 1];
    int64_t pos[ERT_MAX_RANK] = {0};
    const unsigned char *src = x->data;
    unsigned char *dst = y->data;
    for (int64_t row = 0; row < rows; row++) {
        int64_t off = 0;
        bool out = false;
        for (int d = 0; d < r - 1; d++) {
            int64_t t = tab[d][pos[d]];
            if (t < 0)
                out = true;
            off += t;
        }
        unsigned char *dr = dst + (size_t)(row * W) * es;
        if (out) {
            for (int64_t o = 0; o < W; o++)
                memcpy(dr + (size_t)o * es, ext, es);
        } else {
            const unsigned char *sr = src + (size_t)off * es;
            switch (es) {
            case 4:
                for (int64_t o = 0; o < W; o++)
                    ((uint32_t *)(void *)dr)[o] = tl[o] < 0 ? *(uint32_t *)(void *)ext
                                                            : ((const uint32_t *)(const void *)sr)[tl[o]];
                break;
            case 1:
                for (int64_t o = 0; o < W; o++)
                    dr[o] = tl[o] < 0 ? ext[0] : sr[tl[o]];
                break;
            case 2:
                for (int64_t o = 0; o < W; o++)
                    ((uint16_t *)(void *)dr)[o] = tl[o] < 0 ? *(uint16_t *)(void *)ext
                                                            : ((const uint16_t *)(const void *)sr)[tl[o]];
                break;
            default:
                for (int64_t o = 0; o < W; o++)
                    memcpy(dr + (size_t)o * es, tl[o] < 0 ? ext : sr + (size_t)tl[o] * es, es);
                break;
            }
        }
        for (int d = r - 2; d >= 0; d--) {
            if (++pos[d] < p->out[d])
                break;
            pos[d] = 0;
        }
    }
done:
    for (int d = 0; d < r; d++)
        ert_tmp_free(tab[d]);
    return s;
}

ert_status ert_run_resize(ert_kctx *k)
{
    rz_plan p;
    bool known;
    ert_status s = ert_resize_plan(k, &p, &known);
    if (s != ERT_OK)
        return s;
    if (!known || p.rank != k->out[0]->rank)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "output shape not known at run time");
    for (int d = 0; d < p.rank; d++)
        if (p.out[d] != k->out[0]->dims[d])
            return ert_op_fail(k, ERT_ERR_INTERNAL, "output dim %d mismatch", d);
    if (p.mode == RZ_NEAREST)
        return rz_run_nearest(k, &p);
    return rz_run_interp(k, &p);
}
