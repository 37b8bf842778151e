/*
 * signal.c - signal-processing ops (opset 17+): DFT, STFT, HannWindow, HammingWindow,
 * BlackmanWindow, MelWeightMatrix.
 *
 * Complex tensors are real tensors with a trailing dim of 2 (re, im); real signals carry
 * a trailing dim of 1. Transforms accumulate in double with a twiddle table indexed by
 * (k * t) mod n, so every length (not only powers of two) is exact to double rounding.
 * The transform is a direct O(n^2) DFT per line: fine for the frame sizes speech / audio
 * front ends use (n <= 1024 over a few hundred frames runs in well under a second); a
 * radix-2 FFT would be the first speed-up if a model needs longer transforms.
 *
 * DFT: opset 17 takes `axis` as an attribute (default 1), opset 20 as an optional third
 * input (default -2). `inverse` divides by n. `onesided` keeps bins 0..n/2 of a forward
 * transform; with `inverse` it is the inverse real FFT (as numpy.fft.irfft and the ONNX
 * tests define it): the input holds bins 0..n/2 of a Hermitian spectrum, n defaults to
 * 2 * (bins - 1) and the output is real (trailing dim 1).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/scratch.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

/* Longest transform accepted (the direct DFT is O(n^2) per line; this also keeps every
 * buffer size far from overflow). */
#define SG_MAX_DFT ((int64_t)1 << 24)


/* Reads scalar (or 1-element) integer input i. *known = false when its data is not
 * available at load time. */
static ert_status sg_scalar_int(ert_kctx *k, int i, const char *what, int64_t *v, bool *known)
{
    int64_t buf[1], n;
    *known = false;
    const ert_tensor *t = ert_in(k, i);
    if (!t)
        return ERT_OK;
    if (ert_tensor_shape_known(t) && ert_tensor_numel(t) != 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "%s must be a scalar, got %lld elements", what,
                           (long long)ert_tensor_numel(t));
    ert_status s = ert_input_ints(k, i, buf, 1, &n);
    if (s != ERT_OK)
        return s;
    if (n == 1) {
        *v = buf[0];
        *known = true;
    }
    return ERT_OK;
}

/* Reads scalar float input i as double. */
static ert_status sg_scalar_f64(ert_kctx *k, int i, const char *what, double *v, bool *known)
{
    const ert_tensor *t = ert_in(k, i);
    *known = false;
    if (!t)
        return ERT_OK;
    if (ert_tensor_shape_known(t) && ert_tensor_numel(t) != 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "%s must be a scalar, got %lld elements", what,
                           (long long)ert_tensor_numel(t));
    if (!t->data)
        return ERT_OK;
    *v = ert_load_f64(t->dtype, t->data, 0);
    *known = true;
    return ERT_OK;
}

/* Twiddle table: tw[2j] = cos(2 pi j / n), tw[2j+1] = sin(2 pi j / n). */
static double *sg_twiddles(int64_t n)
{
    double *tw = ert_tmp_alloc(sizeof(double) * 2 * (size_t)(n ? n : 1));
    if (!tw)
        return NULL;
    for (int64_t j = 0; j < n; j++) {
        double a = 2.0 * M_PI * (double)j / (double)n;
        tw[2 * j] = cos(a);
        tw[2 * j + 1] = sin(a);
    }
    return tw;
}

/* out[k] = sum_t in[t] * exp(sign * 2 pi i k t / n) for k in [0, nout); in has n complex
 * values (interleaved re, im). */
static void sg_dft_line(const double *in, int64_t n, const double *tw, int sign, double *out,
                        int64_t nout)
{
    for (int64_t kk = 0; kk < nout; kk++) {
        double re = 0.0, im = 0.0;
        int64_t j = 0, step = kk % n;
        for (int64_t t = 0; t < n; t++) {
            double c = tw[2 * j], s = sign * tw[2 * j + 1];
            double xr = in[2 * t], xi = in[2 * t + 1];
            re += xr * c - xi * s;
            im += xr * s + xi * c;
            j += step;
            if (j >= n)
                j -= n;
        }
        out[2 * kk] = re;
        out[2 * kk + 1] = im;
    }
}

/* ==================================================================================== */
/* DFT                                                                                   */

typedef struct dft_plan {
    int axis;          /* normalised axis */
    int64_t n;         /* transform length; -1 unknown */
    bool inverse, onesided;
    bool axis_known;
} dft_plan;

static ert_status dft_plan_make(ert_kctx *k, const ert_tensor *x, dft_plan *p)
{
    int r = x->rank;
    p->inverse = ert_attr_int(k->node, "inverse", 0) != 0;
    p->onesided = ert_attr_int(k->node, "onesided", 0) != 0;
    int64_t axis = 1;
    bool known = true;
    ert_status s;
    if (k->version >= 20) {
        axis = -2;
        if (ert_in(k, 2)) {
            if ((s = sg_scalar_int(k, 2, "axis", &axis, &known)) != ERT_OK)
                return s;
        }
    } else {
        axis = ert_attr_int(k->node, "axis", 1);
    }
    p->axis_known = known;
    p->axis = -1;
    p->n = -1;
    if (r < 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input must have rank >= 2 (signal dims plus a "
                           "trailing dim of 1 or 2), got %d", r);
    if (x->dims[r - 1] >= 0 && x->dims[r - 1] != 1 && x->dims[r - 1] != 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "last dim must be 1 (real) or 2 (complex), got "
                           "%lld", (long long)x->dims[r - 1]);
    if (!known)
        return ERT_OK;
    int64_t a = axis < 0 ? axis + r : axis;
    if (a < 0 || a > r - 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "axis %lld is out of range for rank %d (valid: "
                           "[%d, -2] or [0, %d]; the last dim holds re/im)", (long long)axis, r,
                           -r, r - 2);
    p->axis = (int)a;
    int64_t len = x->dims[a];
    int64_t n = -1;
    bool nknown = false;
    if (ert_in(k, 1)) {
        if ((s = sg_scalar_int(k, 1, "dft_length", &n, &nknown)) != ERT_OK)
            return s;
        if (!nknown)
            return ERT_OK;
        if (n < 1)
            return ert_op_fail(k, ERT_ERR_SHAPE, "dft_length %lld must be >= 1", (long long)n);
    } else if (len >= 0) {
        n = (p->inverse && p->onesided) ? 2 * (len - 1) : len;
        if (n < 1)
            return ert_op_fail(k, ERT_ERR_SHAPE, "signal length %lld along axis %d gives an "
                               "empty transform", (long long)len, p->axis);
    }
    if (n > SG_MAX_DFT)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "DFT length %lld is above edgert's limit of "
                           "%lld points", (long long)n, (long long)SG_MAX_DFT);
    p->n = n;
    return ERT_OK;
}

ert_status ert_infer_dft(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, k->version >= 20 ? 3 : 2);
    if (s != ERT_OK)
        return s;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    if (!ert_dtype_is_float(x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "input dtype %s is not supported (float "
                           "types only)", ert_dtype_name(x->dtype));
    y->dtype = x->dtype;
    if (x->rank < 0) {
        y->rank = -1;
        return ERT_OK;
    }
    dft_plan p;
    if ((s = dft_plan_make(k, x, &p)) != ERT_OK)
        return s;
    int64_t dims[ERT_MAX_RANK];
    int r = x->rank;
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)r);
    dims[r - 1] = (p.inverse && p.onesided) ? 1 : 2;
    if (!p.axis_known) {
        for (int d = 0; d < r - 1; d++)
            dims[d] = ERT_DIM_UNKNOWN;
    } else if (p.n < 0) {
        dims[p.axis] = ERT_DIM_UNKNOWN;
    } else {
        dims[p.axis] = (!p.inverse && p.onesided) ? p.n / 2 + 1 : p.n;
    }
    ert_set_out(y, x->dtype, r, dims);
    return ERT_OK;
}

ert_status ert_run_dft(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    dft_plan p;
    ert_status s = dft_plan_make(k, x, &p);
    if (s != ERT_OK)
        return s;
    if (p.n < 1 || !p.axis_known)
        return ert_op_fail(k, ERT_ERR_RUNTIME, "transform length or axis unknown at run time");
    int r = x->rank;
    int64_t n = p.n, len = x->dims[p.axis], ci = x->dims[r - 1];
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < p.axis; d++)
        outer *= x->dims[d];
    for (int d = p.axis + 1; d < r - 1; d++)
        inner *= x->dims[d];
    int64_t olen = y->dims[p.axis], co = y->dims[r - 1];
    if (ert_tensor_numel(y) == 0)
        return ERT_OK;
    double *tw = sg_twiddles(n);
    double *buf = ert_tmp_alloc(sizeof(double) * 2 * (size_t)n);
    double *res = ert_tmp_alloc(sizeof(double) * 2 * (size_t)n);
    if (!tw || !buf || !res) {
        ert_tmp_free(tw), ert_tmp_free(buf), ert_tmp_free(res);
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for a %lld-point DFT",
                           (long long)n);
    }
    bool irfft = p.inverse && p.onesided;
    int sign = p.inverse ? 1 : -1;
    double scale = p.inverse ? 1.0 / (double)n : 1.0;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
            memset(buf, 0, sizeof(double) * 2 * (size_t)n);
            if (irfft) {
                /* bins 0..n/2 from the input, the rest by Hermitian symmetry */
                int64_t half = n / 2 + 1;
                for (int64_t t = 0; t < half && t < len; t++) {
                    int64_t xi = ((o * len + t) * inner + i) * ci;
                    buf[2 * t] = ert_load_f64(x->dtype, x->data, xi);
                    buf[2 * t + 1] = ci == 2 ? ert_load_f64(x->dtype, x->data, xi + 1) : 0.0;
                }
                for (int64_t t = half; t < n; t++) {
                    buf[2 * t] = buf[2 * (n - t)];
                    buf[2 * t + 1] = -buf[2 * (n - t) + 1];
                }
            } else {
                for (int64_t t = 0; t < n && t < len; t++) {
                    int64_t xi = ((o * len + t) * inner + i) * ci;
                    buf[2 * t] = ert_load_f64(x->dtype, x->data, xi);
                    buf[2 * t + 1] = ci == 2 ? ert_load_f64(x->dtype, x->data, xi + 1) : 0.0;
                }
            }
            sg_dft_line(buf, n, tw, sign, res, olen);
            for (int64_t t = 0; t < olen; t++) {
                int64_t yi = ((o * olen + t) * inner + i) * co;
                ert_store_f64(y->dtype, y->data, yi, res[2 * t] * scale);
                if (co == 2)
                    ert_store_f64(y->dtype, y->data, yi + 1, res[2 * t + 1] * scale);
            }
        }
    ert_tmp_free(tw);
    ert_tmp_free(buf);
    ert_tmp_free(res);
    return ERT_OK;
}

/* ==================================================================================== */
/* STFT (opset 17): signal [batch, length, 1|2], frame_step, window?, frame_length?       */

typedef struct stft_plan {
    int64_t step, flen, frames; /* -1 unknown */
    bool onesided;
} stft_plan;

static ert_status stft_plan_make(ert_kctx *k, const ert_tensor *x, stft_plan *p)
{
    p->onesided = ert_attr_int(k->node, "onesided", 1) != 0;
    p->step = p->flen = p->frames = -1;
    if (x->rank != 3)
        return ert_op_fail(k, ERT_ERR_SHAPE, "signal must be [batch, length, 1 or 2], got rank "
                           "%d", x->rank);
    if (x->dims[2] >= 0 && x->dims[2] != 1 && x->dims[2] != 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "signal's last dim must be 1 (real) or 2 "
                           "(complex), got %lld", (long long)x->dims[2]);
    bool known;
    int64_t v;
    ert_status s = sg_scalar_int(k, 1, "frame_step", &v, &known);
    if (s != ERT_OK)
        return s;
    if (known) {
        if (v < 1)
            return ert_op_fail(k, ERT_ERR_SHAPE, "frame_step %lld must be >= 1", (long long)v);
        p->step = v;
    }
    const ert_tensor *w = ert_in(k, 2);
    if (w && w->rank >= 0 && w->rank != 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "window must be 1-D, got rank %d", w->rank);
    int64_t wlen = w && w->rank == 1 ? w->dims[0] : -1;
    if (ert_in(k, 3)) {
        if ((s = sg_scalar_int(k, 3, "frame_length", &v, &known)) != ERT_OK)
            return s;
        if (known) {
            if (v < 1)
                return ert_op_fail(k, ERT_ERR_SHAPE, "frame_length %lld must be >= 1",
                                   (long long)v);
            if (wlen >= 0 && wlen != v)
                return ert_op_fail(k, ERT_ERR_SHAPE, "window has %lld values but frame_length "
                                   "is %lld; they must match", (long long)wlen, (long long)v);
            if (v > SG_MAX_DFT)
                return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "frame_length %lld is above "
                                   "edgert's limit of %lld", (long long)v,
                                   (long long)SG_MAX_DFT);
            p->flen = v;
        }
    } else if (w) {
        p->flen = wlen;
    } else {
        p->flen = x->dims[1]; /* one frame over the whole signal (ONNX reference) */
    }
    if (p->flen >= 0 && p->step >= 0 && x->dims[1] >= 0) {
        if (x->dims[1] < p->flen)
            return ert_op_fail(k, ERT_ERR_SHAPE, "signal length %lld is shorter than the frame "
                               "length %lld", (long long)x->dims[1], (long long)p->flen);
        p->frames = 1 + (x->dims[1] - p->flen) / p->step;
    }
    return ERT_OK;
}

ert_status ert_infer_stft(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 4);
    if (s != ERT_OK)
        return s;
    const ert_tensor *x = k->in[0], *w = ert_in(k, 2);
    ert_tensor *y = k->out[0];
    if (!ert_dtype_is_float(x->dtype) || (w && w->dtype != x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "signal must be a float type and window the "
                           "same (got %s and %s)", ert_dtype_name(x->dtype),
                           w ? ert_dtype_name(w->dtype) : "none");
    y->dtype = x->dtype;
    if (x->rank < 0) {
        int64_t dims[4] = {ERT_DIM_UNKNOWN, ERT_DIM_UNKNOWN, ERT_DIM_UNKNOWN, 2};
        ert_set_out(y, x->dtype, 4, dims);
        return ERT_OK;
    }
    stft_plan p;
    if ((s = stft_plan_make(k, x, &p)) != ERT_OK)
        return s;
    int64_t bins = p.flen < 0 ? ERT_DIM_UNKNOWN : (p.onesided ? p.flen / 2 + 1 : p.flen);
    int64_t dims[4] = {x->dims[0], p.frames, bins, 2};
    ert_set_out(y, x->dtype, 4, dims);
    return ERT_OK;
}

ert_status ert_run_stft(ert_kctx *k)
{
    const ert_tensor *x = k->in[0], *w = ert_in(k, 2);
    ert_tensor *y = k->out[0];
    stft_plan p;
    ert_status s = stft_plan_make(k, x, &p);
    if (s != ERT_OK)
        return s;
    if (p.flen < 1 || p.frames < 0)
        return ert_op_fail(k, ERT_ERR_RUNTIME, "frame length or step unknown at run time");
    int64_t B = x->dims[0], L = x->dims[1], ci = x->dims[2], n = p.flen;
    int64_t bins = y->dims[2];
    if (ert_tensor_numel(y) == 0)
        return ERT_OK;
    double *tw = sg_twiddles(n);
    double *win = ert_tmp_alloc(sizeof(double) * (size_t)n);
    double *buf = ert_tmp_alloc(sizeof(double) * 2 * (size_t)n);
    double *res = ert_tmp_alloc(sizeof(double) * 2 * (size_t)n);
    if (!tw || !win || !buf || !res) {
        ert_tmp_free(tw), ert_tmp_free(win), ert_tmp_free(buf), ert_tmp_free(res);
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for a %lld-point STFT",
                           (long long)n);
    }
    for (int64_t t = 0; t < n; t++)
        win[t] = w ? ert_load_f64(w->dtype, w->data, t) : 1.0;
    for (int64_t b = 0; b < B; b++)
        for (int64_t f = 0; f < p.frames; f++) {
            int64_t start = f * p.step;
            for (int64_t t = 0; t < n; t++) {
                int64_t xi = (b * L + start + t) * ci;
                double re = 0.0, im = 0.0;
                if (start + t < L) {
                    re = ert_load_f64(x->dtype, x->data, xi);
                    im = ci == 2 ? ert_load_f64(x->dtype, x->data, xi + 1) : 0.0;
                }
                buf[2 * t] = re * win[t];
                buf[2 * t + 1] = im * win[t];
            }
            sg_dft_line(buf, n, tw, -1, res, bins);
            int64_t yo = ((b * p.frames + f) * bins) * 2;
            for (int64_t j = 0; j < 2 * bins; j++)
                ert_store_f64(y->dtype, y->data, yo + j, res[j]);
        }
    ert_tmp_free(tw);
    ert_tmp_free(win);
    ert_tmp_free(buf);
    ert_tmp_free(res);
    return ERT_OK;
}

/* ==================================================================================== */
/* Window functions (opset 17): size -> [size] of output_datatype                         */

static bool sg_is_numeric_out(ert_dtype t)
{
    switch (t) {
    case ERT_DTYPE_FLOAT32: case ERT_DTYPE_FLOAT64: case ERT_DTYPE_FLOAT16:
    case ERT_DTYPE_BFLOAT16: case ERT_DTYPE_INT8: case ERT_DTYPE_UINT8: case ERT_DTYPE_INT16:
    case ERT_DTYPE_UINT16: case ERT_DTYPE_INT32: case ERT_DTYPE_UINT32: case ERT_DTYPE_INT64:
    case ERT_DTYPE_UINT64:
        return true;
    default:
        return false;
    }
}

static ert_status sg_out_dtype(ert_kctx *k, ert_dtype *t)
{
    int64_t od = ert_attr_int(k->node, "output_datatype", ERT_DTYPE_FLOAT32);
    if (od < 0 || od > 64 || !sg_is_numeric_out((ert_dtype)od))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "output_datatype %lld is not supported "
                           "(numeric ONNX types only)", (long long)od);
    *t = (ert_dtype)od;
    return ERT_OK;
}

ert_status ert_infer_window(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, 1);
    if (s != ERT_OK)
        return s;
    ert_dtype t = ERT_DTYPE_FLOAT32;
    if ((s = sg_out_dtype(k, &t)) != ERT_OK)
        return s;
    int64_t n = ERT_DIM_UNKNOWN;
    bool known;
    if ((s = sg_scalar_int(k, 0, "size", &n, &known)) != ERT_OK)
        return s;
    if (known && n < 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "size %lld must be >= 0", (long long)n);
    int64_t dims[1] = {known ? n : ERT_DIM_UNKNOWN};
    ert_set_out(k->out[0], t, 1, dims);
    return ERT_OK;
}

ert_status ert_run_window(ert_kctx *k)
{
    ert_tensor *y = k->out[0];
    int64_t n = y->dims[0];
    bool periodic = ert_attr_int(k->node, "periodic", 1) != 0;
    double N = periodic ? (double)n : (double)(n - 1);
    int id = k->node->op->id;
    for (int64_t i = 0; i < n; i++) {
        /* a one-point symmetric window divides by 0: its single value is the window's
         * value at the centre, 1 (numpy / torch convention) */
        double a = N > 0 ? 2.0 * M_PI * (double)i / N : 0.0;
        double v;
        if (id == ERT_OP_HANN_WINDOW)
            v = 0.5 - 0.5 * cos(a);
        else if (id == ERT_OP_HAMMING_WINDOW)
            v = 25.0 / 46.0 - (1.0 - 25.0 / 46.0) * cos(a);
        else
            v = 0.42 - 0.5 * cos(a) + 0.08 * cos(2.0 * a);
        if (N <= 0)
            v = 1.0;
        ert_store_f64(y->dtype, y->data, i, v);
    }
    return ERT_OK;
}

/* ==================================================================================== */
/* MelWeightMatrix (opset 17)                                                            */

enum { MW_BINS, MW_DFT, MW_RATE, MW_LO, MW_HI };

ert_status ert_infer_mel_weight_matrix(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 5, 5);
    if (s != ERT_OK)
        return s;
    ert_dtype t = ERT_DTYPE_FLOAT32;
    if ((s = sg_out_dtype(k, &t)) != ERT_OK)
        return s;
    int64_t bins = 0, dft = 0;
    bool kb, kd;
    if ((s = sg_scalar_int(k, MW_BINS, "num_mel_bins", &bins, &kb)) ||
        (s = sg_scalar_int(k, MW_DFT, "dft_length", &dft, &kd)))
        return s;
    if ((kb && bins < 1) || (kd && dft < 1))
        return ert_op_fail(k, ERT_ERR_SHAPE, "num_mel_bins (%lld) and dft_length (%lld) must be "
                           ">= 1", (long long)bins, (long long)dft);
    int64_t dims[2] = {kd ? dft / 2 + 1 : ERT_DIM_UNKNOWN, kb ? bins : ERT_DIM_UNKNOWN};
    ert_set_out(k->out[0], t, 2, dims);
    return ERT_OK;
}

ert_status ert_run_mel_weight_matrix(ert_kctx *k)
{
    ert_tensor *y = k->out[0];
    int64_t bins = 0, dft = 0, rate = 0;
    double lo = 0.0, hi = 0.0;
    bool k1, k2, k3, k4, k5;
    ert_status s;
    if ((s = sg_scalar_int(k, MW_BINS, "num_mel_bins", &bins, &k1)) ||
        (s = sg_scalar_int(k, MW_DFT, "dft_length", &dft, &k2)) ||
        (s = sg_scalar_int(k, MW_RATE, "sample_rate", &rate, &k3)) ||
        (s = sg_scalar_f64(k, MW_LO, "lower_edge_hertz", &lo, &k4)) ||
        (s = sg_scalar_f64(k, MW_HI, "upper_edge_hertz", &hi, &k5)))
        return s;
    if (rate < 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "sample_rate %lld must be >= 1", (long long)rate);
    int64_t nspec = dft / 2 + 1, cells;
    if (!ert_mul_ok(nspec, bins, &cells) || cells > ((int64_t)1 << 40) / 8)
        return ert_op_fail(k, ERT_ERR_SHAPE, "output of %lld x %lld is too large",
                           (long long)nspec, (long long)bins);
    int64_t *fb = ert_tmp_alloc(sizeof(int64_t) * (size_t)(bins + 2));
    double *w = ert_tmp_calloc((size_t)cells, sizeof(double));
    if (!fb || !w) {
        ert_tmp_free(fb), ert_tmp_free(w);
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    }
    /* As the ONNX reference: mel edges in float32 (the edge inputs' type), the bin
     * points in double, step = (high - low) / (num_mel_bins + 2). */
    float lmel = (float)(2595.0f * log10f(1.0f + (float)lo / 700.0f));
    float hmel = (float)(2595.0f * log10f(1.0f + (float)hi / 700.0f));
    float step = (hmel - lmel) / (float)(bins + 2);
    for (int64_t i = 0; i < bins + 2; i++) {
        double mel = (double)i * (double)step + (double)lmel;
        double hz = 700.0 * (pow(10.0, mel / 2595.0) - 1.0);
        fb[i] = (int64_t)floor((double)(dft + 1) * hz / (double)rate);
    }
    for (int64_t i = 0; i < bins; i++) {
        int64_t l = fb[i], c = fb[i + 1], h = fb[i + 2];
        if (l < 0 || c < l || h < c || h >= nspec + 1 || c >= nspec) {
            ert_tmp_free(fb), ert_tmp_free(w);
            return ert_op_fail(k, ERT_ERR_SHAPE,
                               "mel band %lld spans DFT bins %lld..%lld, outside 0..%lld: check "
                               "the edge frequencies against sample_rate", (long long)i,
                               (long long)l, (long long)h, (long long)(nspec - 1));
        }
        if (c == l)
            w[c * bins + i] = 1.0;
        else
            for (int64_t j = l; j <= c; j++)
                w[j * bins + i] = (double)(j - l) / (double)(c - l);
        if (h > c)
            for (int64_t j = c; j < h; j++)
                w[j * bins + i] = (double)(h - j) / (double)(h - c);
    }
    for (int64_t i = 0; i < cells; i++)
        ert_store_f64(y->dtype, y->data, i, w[i]);
    ert_tmp_free(fb);
    ert_tmp_free(w);
    return ERT_OK;
}
