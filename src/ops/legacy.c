/*
 * legacy.c - ops that models of the ONNX model zoo era (opsets 1-9: tiny-YOLOv2, Fast
 * R-CNN, caffe2/CoreML conversions) still carry:
 *   MaxRoiPool (standard since opset 1): Fast R-CNN's RoI max pooling;
 *   the experimental ops ImageScaler, Crop, Affine, ScaledTanh, ParametricSoftplus,
 *   Scale and DynamicSlice, which ONNX dropped at opset 10.
 *
 * Experimental ops have no version history: their schema is "version 1" and they are
 * valid in any model whose ai.onnx opset is 1..9. ONNX Runtime keeps them for such
 * models and registers them as deprecated from opset 10 on, so a model of opset >= 10
 * that uses one is refused; edgert does the same. The registry can't express an upper
 * bound (the importer takes the largest listed since_version <= the model's opset), so
 * each experimental op checks k->node->opset in infer().
 *
 * Arithmetic follows ONNX Runtime's CPU kernels and the ONNX reference: float32 is
 * computed in float, float16 through float, float64 in double.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

/* Last ai.onnx opset in which the experimental ops exist. */
#define LEGACY_EXPERIMENTAL_LAST_OPSET 9

/* Refuses an experimental op in a model newer than opset 9; `instead` names the
 * standard replacement. */
static ert_status experimental_opset_ok(ert_kctx *k, const char *instead)
{
    if (k->node->opset > LEGACY_EXPERIMENTAL_LAST_OPSET)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "'%s' is an experimental op that ONNX removed at opset 10; it is "
                           "valid only in models of ai.onnx opset 1..%d (ONNX Runtime refuses "
                           "it too): use %s instead, or export at opset <= %d",
                           k->node->op_type, LEGACY_EXPERIMENTAL_LAST_OPSET, instead,
                           LEGACY_EXPERIMENTAL_LAST_OPSET);
    return ERT_OK;
}

/* float16 / float32 / float64: the T of every experimental float op. */
static bool is_t_float(ert_dtype t)
{
    return t == ERT_DTYPE_FLOAT16 || t == ERT_DTYPE_FLOAT32 || t == ERT_DTYPE_FLOAT64;
}

static ert_status need_float(ert_kctx *k, const ert_tensor *t, const char *what)
{
    if (!is_t_float(t->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "%s has dtype %s; the op takes float16, "
                           "float32 or float64", what, ert_dtype_name(t->dtype));
    return ERT_OK;
}

/* ========================= Affine, ScaledTanh, ParametricSoftplus, Scale ========================= */

typedef struct unary_params {
    int id;
    float alpha, beta;
} unary_params;

static const char *unary_replacement(int id)
{
    switch (id) {
    case ERT_OP_AFFINE:
        return "Mul and Add";
    case ERT_OP_SCALED_TANH:
        return "Mul, Tanh and Mul";
    case ERT_OP_PARAMETRIC_SOFTPLUS:
        return "Mul, Softplus and Mul";
    default:
        return "Mul";
    }
}

/* Reads the attributes. ScaledTanh and ParametricSoftplus declare alpha and beta
 * without a default (ONNX Runtime requires both): a missing one is a model error. */
static ert_status unary_read(ert_kctx *k, unary_params *p)
{
    p->id = k->node->op->id;
    switch (p->id) {
    case ERT_OP_AFFINE:
        p->alpha = ert_attr_float(k->node, "alpha", 1.0f);
        p->beta = ert_attr_float(k->node, "beta", 0.0f);
        return ERT_OK;
    case ERT_OP_SCALE:
        p->alpha = ert_attr_float(k->node, "scale", 1.0f);
        p->beta = 0.0f;
        return ERT_OK;
    default:
        break;
    }
    const ert_attr *a = ert_node_attr(k->node, "alpha");
    const ert_attr *b = ert_node_attr(k->node, "beta");
    if (!a || a->type != ERT_ATTR_FLOAT || !b || b->type != ERT_ATTR_FLOAT)
        return ert_op_fail(k, ERT_ERR_PARSE, "float attributes 'alpha' and 'beta' are both "
                           "required (the schema gives them no default)");
    p->alpha = a->f;
    p->beta = b->f;
    return ERT_OK;
}

/* log(1 + e^v) without overflow for large v or loss for very negative v. */
static float softplus_f(float v)
{
    return v > 0.0f ? v + log1pf(expf(-v)) : log1pf(expf(v));
}

static double softplus_d(double v)
{
    return v > 0.0 ? v + log1p(exp(-v)) : log1p(exp(v));
}

static float unary_f(const unary_params *p, float x)
{
    switch (p->id) {
    case ERT_OP_SCALED_TANH:
        return p->alpha * tanhf(p->beta * x);
    case ERT_OP_PARAMETRIC_SOFTPLUS:
        return p->alpha * softplus_f(p->beta * x);
    default: /* Affine, Scale (beta 0) */
        return p->alpha * x + p->beta;
    }
}

static double unary_d(const unary_params *p, double x)
{
    double a = p->alpha, b = p->beta;
    switch (p->id) {
    case ERT_OP_SCALED_TANH:
        return a * tanh(b * x);
    case ERT_OP_PARAMETRIC_SOFTPLUS:
        return a * softplus_d(b * x);
    default:
        return a * x + b;
    }
}

ert_status ert_infer_legacy_unary(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, 1);
    if (s != ERT_OK)
        return s;
    if ((s = experimental_opset_ok(k, unary_replacement(k->node->op->id))) != ERT_OK)
        return s;
    const ert_tensor *x = k->in[0];
    if ((s = need_float(k, x, "input X")) != ERT_OK)
        return s;
    unary_params p;
    if ((s = unary_read(k, &p)) != ERT_OK)
        return s;
    ert_set_out(k->out[0], x->dtype, x->rank, x->dims);
    return ERT_OK;
}

ert_status ert_run_legacy_unary(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    unary_params p;
    ert_status s = unary_read(k, &p);
    if (s != ERT_OK)
        return s;
    int64_t n = ert_tensor_numel(x);
    if (x->dtype == ERT_DTYPE_FLOAT32) {
        const float *xi = x->data;
        float *yo = y->data;
        for (int64_t i = 0; i < n; i++)
            yo[i] = unary_f(&p, xi[i]);
    } else if (x->dtype == ERT_DTYPE_FLOAT64) {
        const double *xi = x->data;
        double *yo = y->data;
        for (int64_t i = 0; i < n; i++)
            yo[i] = unary_d(&p, xi[i]);
    } else { /* float16: through float */
        for (int64_t i = 0; i < n; i++)
            ert_store_f64(y->dtype, y->data, i,
                          unary_f(&p, (float)ert_load_f64(x->dtype, x->data, i)));
    }
    return ERT_OK;
}

/* ============================== ImageScaler ============================== */

/* y[n, c, h, w] = scale * x[n, c, h, w] + bias[c]. bias is optional in the schema (no
 * default); without it the op only scales. */
static ert_status image_scaler_bias(ert_kctx *k, int64_t channels, const float **bias)
{
    int64_t nb = ert_attr_floats(k->node, "bias", bias);
    if (nb < 0) {
        *bias = NULL;
        return ERT_OK;
    }
    if (channels >= 0 && nb != channels)
        return ert_op_fail(k, ERT_ERR_SHAPE, "bias has %lld values but the input has %lld "
                           "channels (dim 1); it needs one per channel", (long long)nb,
                           (long long)channels);
    return ERT_OK;
}

ert_status ert_infer_image_scaler(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, 1);
    if (s != ERT_OK)
        return s;
    if ((s = experimental_opset_ok(k, "Mul and Add with per-channel constants")) != ERT_OK)
        return s;
    const ert_tensor *x = k->in[0];
    if ((s = need_float(k, x, "input")) != ERT_OK)
        return s;
    if (x->rank >= 0 && x->rank != 4)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input must be 4-D [N,C,H,W], got rank %d",
                           x->rank);
    const float *bias;
    if ((s = image_scaler_bias(k, x->rank == 4 ? x->dims[1] : -1, &bias)) != ERT_OK)
        return s;
    ert_set_out(k->out[0], x->dtype, x->rank, x->dims);
    return ERT_OK;
}

ert_status ert_run_image_scaler(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    const float *bias;
    ert_status s = image_scaler_bias(k, x->dims[1], &bias);
    if (s != ERT_OK)
        return s;
    float scale = ert_attr_float(k->node, "scale", 1.0f);
    int64_t nc = x->dims[0] * x->dims[1], plane = x->dims[2] * x->dims[3];
    for (int64_t i = 0; i < nc; i++) {
        int64_t c = i % x->dims[1];
        int64_t base = i * plane;
        if (x->dtype == ERT_DTYPE_FLOAT32) {
            float b = bias ? bias[c] : 0.0f;
            const float *xi = (const float *)x->data + base;
            float *yo = (float *)y->data + base;
            for (int64_t j = 0; j < plane; j++)
                yo[j] = xi[j] * scale + b;
        } else if (x->dtype == ERT_DTYPE_FLOAT64) {
            double b = bias ? bias[c] : 0.0;
            const double *xi = (const double *)x->data + base;
            double *yo = (double *)y->data + base;
            for (int64_t j = 0; j < plane; j++)
                yo[j] = xi[j] * (double)scale + b;
        } else {
            float b = bias ? bias[c] : 0.0f;
            for (int64_t j = 0; j < plane; j++) {
                float v = (float)ert_load_f64(x->dtype, x->data, base + j);
                ert_store_f64(y->dtype, y->data, base + j, v * scale + b);
            }
        }
    }
    return ERT_OK;
}

/* ================================= Crop ================================== */

/* border = (left, top, right, bottom), optional (zeros); scale = (height, width),
 * optional. With scale the window is scale[0] x scale[1] from (top, left); without it
 * the borders are cut off. */
typedef struct crop_params {
    int64_t left, top, right, bottom;
    bool has_scale;
    int64_t sh, sw;
} crop_params;

static ert_status crop_read(ert_kctx *k, crop_params *p)
{
    const int64_t *v;
    int64_t n = ert_attr_ints(k->node, "border", &v);
    memset(p, 0, sizeof *p);
    if (n >= 0) {
        if (n != 4)
            return ert_op_fail(k, ERT_ERR_PARSE, "border must hold 4 values (left, top, right, "
                               "bottom), got %lld", (long long)n);
        for (int i = 0; i < 4; i++)
            if (v[i] < 0)
                return ert_op_fail(k, ERT_ERR_SHAPE, "border[%d] = %lld is negative", i,
                                   (long long)v[i]);
        p->left = v[0];
        p->top = v[1];
        p->right = v[2];
        p->bottom = v[3];
    }
    n = ert_attr_ints(k->node, "scale", &v);
    if (n >= 0) {
        if (n != 2)
            return ert_op_fail(k, ERT_ERR_PARSE, "scale must hold 2 values (height, width), "
                               "got %lld", (long long)n);
        if (v[0] < 0 || v[1] < 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "scale (%lld, %lld) has a negative size",
                               (long long)v[0], (long long)v[1]);
        p->has_scale = true;
        p->sh = v[0];
        p->sw = v[1];
    }
    return ERT_OK;
}

/* Output size along one spatial dim of input size `dim` (unknown if dim < 0 and the
 * size depends on it). */
static ert_status crop_dim(ert_kctx *k, const char *name, int64_t dim, int64_t lo, int64_t hi,
                           bool has_scale, int64_t size, int64_t *out)
{
    if (has_scale) {
        if (dim >= 0 && (lo > dim || size > dim - lo))
            return ert_op_fail(k, ERT_ERR_SHAPE, "input %s %lld is smaller than the border "
                               "offset %lld + scale %lld", name, (long long)dim, (long long)lo,
                               (long long)size);
        *out = size;
        return ERT_OK;
    }
    if (dim < 0) {
        *out = ERT_DIM_UNKNOWN;
        return ERT_OK;
    }
    if (lo > dim || hi > dim - lo)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input %s %lld is smaller than the borders "
                           "%lld + %lld", name, (long long)dim, (long long)lo, (long long)hi);
    *out = dim - lo - hi;
    return ERT_OK;
}

static ert_status crop_shape(ert_kctx *k, const ert_tensor *x, const crop_params *p,
                             int64_t *dims)
{
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    ert_status s = crop_dim(k, "height", x->dims[2], p->top, p->bottom, p->has_scale, p->sh,
                            &dims[2]);
    if (s != ERT_OK)
        return s;
    return crop_dim(k, "width", x->dims[3], p->left, p->right, p->has_scale, p->sw, &dims[3]);
}

ert_status ert_infer_crop(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, 1);
    if (s != ERT_OK)
        return s;
    if ((s = experimental_opset_ok(k, "Slice")) != ERT_OK)
        return s;
    const ert_tensor *x = k->in[0];
    if ((s = need_float(k, x, "input")) != ERT_OK)
        return s;
    crop_params p;
    if ((s = crop_read(k, &p)) != ERT_OK)
        return s;
    if (x->rank < 0) {
        int64_t dims[4] = {ERT_DIM_UNKNOWN, ERT_DIM_UNKNOWN, ERT_DIM_UNKNOWN, ERT_DIM_UNKNOWN};
        ert_set_out(k->out[0], x->dtype, 4, dims);
        return ERT_OK;
    }
    if (x->rank != 4)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input must be 4-D [N,C,H,W], got rank %d",
                           x->rank);
    int64_t dims[4];
    if ((s = crop_shape(k, x, &p, dims)) != ERT_OK)
        return s;
    ert_set_out(k->out[0], x->dtype, 4, dims);
    return ERT_OK;
}

ert_status ert_run_crop(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    crop_params p;
    ert_status s = crop_read(k, &p);
    if (s != ERT_OK)
        return s;
    int64_t od[4] = {0, 0, 0, 0};
    if ((s = crop_shape(k, x, &p, od)) != ERT_OK)
        return s;
    size_t es = ert_dtype_size_(x->dtype);
    int64_t h = x->dims[2], w = x->dims[3];
    int64_t planes = od[0] * od[1];
    size_t row = (size_t)od[3] * es;
    if (row == 0 || od[2] == 0)
        return ERT_OK;
    const char *src = x->data;
    char *dst = y->data;
    for (int64_t i = 0; i < planes; i++) {
        const char *plane = src + (size_t)(i * h * w) * es;
        for (int64_t r = 0; r < od[2]; r++) {
            memcpy(dst, plane + (size_t)((p.top + r) * w + p.left) * es, row);
            dst += row;
        }
    }
    return ERT_OK;
}

/* ============================== DynamicSlice ============================== */

/* DynamicSlice is Slice-10 without the steps input: same inputs (data, starts, ends,
 * optional axes), same clamping. It runs slice.c's kernel as Slice version 10 with at
 * most 4 inputs. */
static ert_kctx dynamic_slice_ctx(const ert_kctx *k)
{
    ert_kctx c = *k;
    c.version = 10;
    return c;
}

ert_status ert_infer_dynamic_slice(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 3, 4);
    if (s != ERT_OK)
        return s;
    if ((s = experimental_opset_ok(k, "Slice")) != ERT_OK)
        return s;
    for (int i = 1; i < k->n_in; i++) {
        const ert_tensor *t = k->in[i];
        if (t && t->dtype != ERT_DTYPE_INT32 && t->dtype != ERT_DTYPE_INT64)
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "input %d has dtype %s; starts, ends "
                               "and axes must be int32 or int64", i, ert_dtype_name(t->dtype));
    }
    ert_kctx c = dynamic_slice_ctx(k);
    return ert_infer_slice(&c);
}

ert_status ert_run_dynamic_slice(ert_kctx *k)
{
    ert_kctx c = dynamic_slice_ctx(k);
    return ert_run_slice(&c);
}

/* =============================== MaxRoiPool =============================== */

/* Fast R-CNN RoI max pooling. Each roi row is (batch_index, x1, y1, x2, y2) in input
 * image coordinates; times spatial_scale and rounded half away from zero it gives an
 * inclusive box on the feature map, forced to at least 1x1. The box is cut into
 * pooled_shape bins: bin i spans [floor(i * bin), ceil((i + 1) * bin)) offset by the
 * box start and clipped to the map; an empty bin is 0, any other the max of its
 * window. bin sizes and bounds are computed in float (double for float64 input), like
 * ONNX Runtime and the ONNX reference.
 *
 * ONNX Runtime starts each max at FLT_MIN (the smallest positive float), so where a
 * whole window is negative it returns 1.2e-38 instead of the max; edgert (like the ONNX
 * reference and Caffe's RoIPooling) returns the true max. Feature maps after ReLU,
 * the usual input, give the same result in both. */

typedef struct roipool_params {
    int64_t ph, pw;
    float scale;
} roipool_params;

static ert_status roipool_read(ert_kctx *k, roipool_params *p)
{
    const int64_t *v;
    int64_t n = ert_attr_ints(k->node, "pooled_shape", &v);
    if (n != 2)
        return ert_op_fail(k, ERT_ERR_PARSE, "attribute pooled_shape (height, width) is "
                           "required and must hold 2 values, got %lld", (long long)n);
    if (v[0] <= 0 || v[1] <= 0 || v[0] > INT32_MAX || v[1] > INT32_MAX)
        return ert_op_fail(k, ERT_ERR_SHAPE, "pooled_shape (%lld, %lld) must be positive",
                           (long long)v[0], (long long)v[1]);
    p->ph = v[0];
    p->pw = v[1];
    p->scale = ert_attr_float(k->node, "spatial_scale", 1.0f);
    if (!isfinite(p->scale))
        return ert_op_fail(k, ERT_ERR_SHAPE, "spatial_scale %g is not finite", p->scale);
    return ERT_OK;
}

ert_status ert_infer_max_roi_pool(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 2);
    if (s != ERT_OK)
        return s;
    const ert_tensor *x = k->in[0], *rois = k->in[1];
    bool bf16_ok = k->version >= 22;
    if (!is_t_float(x->dtype) && !(bf16_ok && x->dtype == ERT_DTYPE_BFLOAT16))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "X has dtype %s; MaxRoiPool takes float16, "
                           "float32, float64%s", ert_dtype_name(x->dtype),
                           bf16_ok ? " or bfloat16" : " (bfloat16 from opset 22)");
    if (rois->dtype != x->dtype)
        return ert_op_fail(k, ERT_ERR_SHAPE, "rois dtype %s differs from X dtype %s",
                           ert_dtype_name(rois->dtype), ert_dtype_name(x->dtype));
    roipool_params p;
    if ((s = roipool_read(k, &p)) != ERT_OK)
        return s;
    if (x->rank >= 0 && x->rank != 4)
        return ert_op_fail(k, ERT_ERR_SHAPE, "X must be 4-D (N, C, H, W), got rank %d",
                           x->rank);
    if (rois->rank >= 0 && rois->rank != 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "rois must be 2-D (num_rois, 5), got rank %d",
                           rois->rank);
    if (rois->rank == 2 && rois->dims[1] >= 0 && rois->dims[1] != 5)
        return ert_op_fail(k, ERT_ERR_SHAPE, "rois rows must hold 5 values (batch_index, x1, "
                           "y1, x2, y2), got %lld", (long long)rois->dims[1]);
    int64_t dims[4] = {rois->rank == 2 ? rois->dims[0] : ERT_DIM_UNKNOWN,
                       x->rank == 4 ? x->dims[1] : ERT_DIM_UNKNOWN, p.ph, p.pw};
    ert_set_out(k->out[0], x->dtype, 4, dims);
    return ERT_OK;
}

/* Rounds half away from zero (C round) into *out; false if v is not a usable
 * coordinate (NaN, infinite or beyond +-2^40, far past any feature map). */
static bool roi_coord(double v, int64_t *out)
{
    if (!(fabs(v) <= 1099511627776.0))
        return false;
    *out = (int64_t)round(v);
    return true;
}

static int64_t clip64(int64_t v, int64_t hi)
{
    return v < 0 ? 0 : (v > hi ? hi : v);
}

/* Bin bounds of one axis: bin i covers [lo[i], hi[i]) of a map of size `size`. */
static void roi_bins(bool dbl, int64_t roi_len, int64_t pooled, int64_t start, int64_t size,
                     int64_t *lo, int64_t *hi)
{
    if (dbl) {
        double bin = (double)roi_len / (double)pooled;
        for (int64_t i = 0; i < pooled; i++) {
            lo[i] = clip64((int64_t)floor((double)i * bin) + start, size);
            hi[i] = clip64((int64_t)ceil((double)(i + 1) * bin) + start, size);
        }
    } else {
        float bin = (float)roi_len / (float)pooled;
        for (int64_t i = 0; i < pooled; i++) {
            lo[i] = clip64((int64_t)floorf((float)i * bin) + start, size);
            hi[i] = clip64((int64_t)ceilf((float)(i + 1) * bin) + start, size);
        }
    }
}

ert_status ert_run_max_roi_pool(ert_kctx *k)
{
    const ert_tensor *x = k->in[0], *rois = k->in[1];
    ert_tensor *y = k->out[0];
    roipool_params p;
    ert_status s = roipool_read(k, &p);
    if (s != ERT_OK)
        return s;
    int64_t nb = x->dims[0], ch = x->dims[1], h = x->dims[2], w = x->dims[3];
    int64_t nr = rois->dims[0];
    int64_t hw = h * w, bins = p.ph * p.pw;
    bool dbl = x->dtype == ERT_DTYPE_FLOAT64;
    bool f32 = x->dtype == ERT_DTYPE_FLOAT32;
    /* bin bounds: ph + pw entries each for lo/hi */
    int64_t *bounds = malloc(sizeof(int64_t) * 2 * (size_t)(p.ph + p.pw));
    if (!bounds)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for %lld bin bounds",
                           (long long)(p.ph + p.pw));
    int64_t *hlo = bounds, *hhi = bounds + p.ph, *wlo = bounds + 2 * p.ph,
            *whi = bounds + 2 * p.ph + p.pw;
    for (int64_t r = 0; r < nr; r++) {
        double rv[5];
        for (int i = 0; i < 5; i++)
            rv[i] = ert_load_f64(rois->dtype, rois->data, r * 5 + i);
        /* coordinates times spatial_scale in the calculation type */
        double sc[4];
        for (int i = 0; i < 4; i++)
            sc[i] = dbl ? rv[i + 1] * (double)p.scale : (double)((float)rv[i + 1] * p.scale);
        int64_t c4[4];
        bool ok = isfinite(rv[0]) && rv[0] > -1.0 && rv[0] < (double)nb;
        if (!ok) {
            free(bounds);
            return ert_op_fail(k, ERT_ERR_RUNTIME, "roi %lld has batch index %g; it must be in "
                               "[0, %lld)", (long long)r, rv[0], (long long)nb);
        }
        for (int i = 0; i < 4; i++) {
            if (!roi_coord(sc[i], &c4[i])) {
                free(bounds);
                return ert_op_fail(k, ERT_ERR_RUNTIME, "roi %lld coordinate %d (%g, scaled "
                                   "%g) is not a usable position", (long long)r, i + 1,
                                   rv[i + 1], sc[i]);
            }
        }
        int64_t b = (int64_t)rv[0]; /* truncation, like the C++ cast */
        int64_t x1 = c4[0], y1 = c4[1], x2 = c4[2], y2 = c4[3];
        int64_t rh = y2 - y1 + 1, rw = x2 - x1 + 1;
        if (rh < 1)
            rh = 1;
        if (rw < 1)
            rw = 1;
        roi_bins(dbl, rh, p.ph, y1, h, hlo, hhi);
        roi_bins(dbl, rw, p.pw, x1, w, wlo, whi);
        for (int64_t c = 0; c < ch; c++) {
            int64_t in_base = (b * ch + c) * hw, out_base = (r * ch + c) * bins;
            for (int64_t i = 0; i < p.ph; i++) {
                for (int64_t j = 0; j < p.pw; j++) {
                    int64_t o = out_base + i * p.pw + j;
                    if (hhi[i] <= hlo[i] || whi[j] <= wlo[j]) {
                        ert_store_f64(y->dtype, y->data, o, 0.0);
                        continue;
                    }
                    if (f32) {
                        const float *xp = (const float *)x->data + in_base;
                        float m = xp[hlo[i] * w + wlo[j]];
                        for (int64_t yy = hlo[i]; yy < hhi[i]; yy++)
                            for (int64_t xx = wlo[j]; xx < whi[j]; xx++) {
                                float v = xp[yy * w + xx];
                                if (v > m || v != v)
                                    m = v;
                            }
                        ((float *)y->data)[o] = m;
                    } else {
                        double m = ert_load_f64(x->dtype, x->data, in_base + hlo[i] * w + wlo[j]);
                        for (int64_t yy = hlo[i]; yy < hhi[i]; yy++)
                            for (int64_t xx = wlo[j]; xx < whi[j]; xx++) {
                                double v = ert_load_f64(x->dtype, x->data, in_base + yy * w + xx);
                                if (v > m || v != v)
                                    m = v;
                            }
                        ert_store_f64(y->dtype, y->data, o, m);
                    }
                }
            }
        }
    }
    free(bounds);
    return ERT_OK;
}
