/*
 * softmax.c - Softmax and LogSoftmax.
 *
 * The two ONNX definitions differ by version and both are implemented:
 *   opset 1 and 11: the input is coerced to 2-D [prod(dims[:axis]), prod(dims[axis:])]
 *                   and normalised over the whole second dimension; axis defaults to 1.
 *   opset 13:       normalised along the single dimension `axis`; axis defaults to -1.
 * Either way the work is a set of "lines": outer x inner lines of `len` elements with
 * stride `inner` (opset < 13 is the case inner = 1, len = prod(dims[axis:])).
 * Each line is gathered into a double buffer, normalised with the max subtracted
 * (so large inputs don't overflow), and written back. Hardmax shares the same axis
 * rules (1 at the first maximum of each line, 0 elsewhere).
 *
 * Also here: NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss (= LogSoftmax over
 * axis 1 followed by the same NLL), both with weights, ignore_index and reduction.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/scratch.h"

ert_status ert_infer_softmax(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, 1);
    if (s)
        return s;
    const ert_tensor *x = k->in[0];
    if (!ert_dtype_is_float(x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported (float types only)",
                           ert_dtype_name(x->dtype));
    if (x->rank >= 0) {
        int64_t axis = ert_attr_int(k->node, "axis", k->version >= 13 ? -1 : 1);
        if (k->version >= 13) {
            int a;
            s = ert_norm_axis(k, axis, x->rank, "axis", &a);
            if (s)
                return s;
        } else if (axis < -x->rank || axis > x->rank) {
            return ert_op_fail(k, ERT_ERR_SHAPE, "axis %lld is out of range for rank %d",
                               (long long)axis, x->rank);
        }
    }
    ert_set_out(k->out[0], x->dtype, x->rank, x->dims);
    return ERT_OK;
}

ert_status ert_run_softmax(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    bool log_sm = k->node->op->id == ERT_OP_LOG_SOFTMAX;
    bool hard = k->node->op->id == ERT_OP_HARDMAX;
    int rank = x->rank;
    int64_t axis = ert_attr_int(k->node, "axis", k->version >= 13 ? -1 : 1);
    if (axis < 0)
        axis += rank;
    int64_t outer = 1, len = 1, inner = 1;
    if (k->version >= 13) {
        for (int d = 0; d < axis; d++)
            outer *= x->dims[d];
        len = x->dims[axis];
        for (int d = (int)axis + 1; d < rank; d++)
            inner *= x->dims[d];
    } else {
        for (int d = 0; d < axis; d++)
            outer *= x->dims[d];
        for (int d = (int)axis; d < rank; d++)
            len *= x->dims[d];
    }
    if (outer == 0 || len == 0 || inner == 0)
        return ERT_OK;
    double *buf = ert_tmp_alloc(sizeof(double) * (size_t)len);
    if (!buf)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for a line of %lld elements",
                           (long long)len);
    ert_dtype dt = x->dtype;
    const float *xf = x->data;
    float *yf = y->data;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * len * inner + in;
            if (dt == ERT_DTYPE_FLOAT32)
                for (int64_t j = 0; j < len; j++)
                    buf[j] = xf[base + j * inner];
            else
                for (int64_t j = 0; j < len; j++)
                    buf[j] = ert_load_f64(dt, x->data, base + j * inner);
            double mx = -INFINITY;
            int64_t arg = 0;
            for (int64_t j = 0; j < len; j++)
                if (buf[j] > mx) {
                    mx = buf[j];
                    arg = j;
                }
            if (hard) {
                for (int64_t j = 0; j < len; j++)
                    buf[j] = j == arg ? 1.0 : 0.0;
            } else if (isinf(mx))
                mx = 0.0; /* all -inf (or +inf present): let inf/nan propagate as exp() does */
            double sum = 0.0;
            if (hard) {
                /* done above */
            } else if (log_sm) {
                for (int64_t j = 0; j < len; j++) {
                    buf[j] -= mx;
                    sum += exp(buf[j]);
                }
                double ls = log(sum);
                for (int64_t j = 0; j < len; j++)
                    buf[j] -= ls;
            } else {
                for (int64_t j = 0; j < len; j++) {
                    buf[j] = exp(buf[j] - mx);
                    sum += buf[j];
                }
                for (int64_t j = 0; j < len; j++)
                    buf[j] /= sum;
            }
            if (dt == ERT_DTYPE_FLOAT32)
                for (int64_t j = 0; j < len; j++)
                    yf[base + j * inner] = (float)buf[j];
            else
                for (int64_t j = 0; j < len; j++)
                    ert_store_f64(dt, y->data, base + j * inner, buf[j]);
        }
    ert_tmp_free(buf);
    return ERT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* NegativeLogLikelihoodLoss / SoftmaxCrossEntropyLoss                                  */

ert_status ert_infer_nll_loss(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 3);
    if (s)
        return s;
    const ert_tensor *x = k->in[0], *t = k->in[1], *w = ert_in(k, 2);
    if (!ert_dtype_is_float(x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported (float types only)",
                           ert_dtype_name(x->dtype));
    if (t->dtype != ERT_DTYPE_INT32 && t->dtype != ERT_DTYPE_INT64)
        return ert_op_fail(k, ERT_ERR_PARSE, "target/labels must be int32 or int64, got %s",
                           ert_dtype_name(t->dtype));
    if (w && w->dtype != x->dtype)
        return ert_op_fail(k, ERT_ERR_PARSE, "weights are %s but the input is %s",
                           ert_dtype_name(w->dtype), ert_dtype_name(x->dtype));
    const char *red = ert_attr_string(k->node, "reduction", "mean");
    bool none = strcmp(red, "none") == 0;
    if (!none && strcmp(red, "mean") != 0 && strcmp(red, "sum") != 0)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "reduction '%s' is not supported (none, mean, sum)", red);
    if (x->rank >= 0 && x->rank < 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input must have rank >= 2 ([N, C, ...]), got %d",
                           x->rank);
    if (x->rank >= 0 && t->rank >= 0) {
        bool bad = t->rank != x->rank - 1;
        for (int d = 0; !bad && d < t->rank; d++) {
            int64_t xd = x->dims[d == 0 ? 0 : d + 1], td = t->dims[d];
            bad = xd >= 0 && td >= 0 && xd != td;
        }
        if (bad)
            return ert_op_fail(k, ERT_ERR_SHAPE,
                               "target shape must be the input shape without dim 1 (C)");
    }
    /* weights: one per class, [C] (the kernel indexes them by the target value) */
    if (w && w->rank >= 0 &&
        (w->rank != 1 || (x->rank >= 2 && x->dims[1] >= 0 && w->dims[0] >= 0 &&
                          w->dims[0] != x->dims[1])))
        return ert_op_fail(k, ERT_ERR_SHAPE, "weights must be 1-D with one value per class "
                           "(C = %lld), got rank %d%s", (long long)(x->rank >= 2 ? x->dims[1] : -1),
                           w->rank, w->rank == 1 ? " with another length" : "");
    ert_tensor *y = k->out[0];
    y->dtype = x->dtype;
    if (none) {
        if (t->rank >= 0)
            ert_tensor_set_shape(y, t->rank, t->dims);
        else
            y->rank = -1;
    } else {
        y->rank = 0;
    }
    ert_tensor *lp = ert_out(k, 1);
    if (lp) {
        if (k->node->op->id != ERT_OP_SOFTMAX_CROSS_ENTROPY_LOSS)
            return ert_op_fail(k, ERT_ERR_PARSE, "has 2 outputs, expected 1");
        ert_set_out(lp, x->dtype, x->rank, x->dims);
    }
    return ERT_OK;
}

ert_status ert_run_nll_loss(ert_kctx *k)
{
    const ert_tensor *x = k->in[0], *t = k->in[1], *w = ert_in(k, 2);
    ert_tensor *y = k->out[0], *lp_out = ert_out(k, 1);
    bool sce = k->node->op->id == ERT_OP_SOFTMAX_CROSS_ENTROPY_LOSS;
    const char *red = ert_attr_string(k->node, "reduction", "mean");
    const ert_attr *ia = ert_node_attr(k->node, "ignore_index");
    bool has_ignore = ia != NULL;
    int64_t ignore = ia ? ia->i : 0;
    ert_dtype dt = x->dtype;
    int64_t N = x->dims[0], C = x->dims[1], D = 1;
    for (int d = 2; d < x->rank; d++)
        D *= x->dims[d];
    int64_t nx = N * C * D;
    /* SoftmaxCrossEntropyLoss: the log-probabilities (LogSoftmax over axis 1) */
    double *lp = NULL;
    if (sce) {
        lp = ert_tmp_alloc(sizeof(double) * (size_t)(nx ? nx : 1));
        if (!lp)
            return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for %lld log-probabilities",
                               (long long)nx);
        for (int64_t n = 0; n < N; n++)
            for (int64_t d = 0; d < D; d++) {
                int64_t base = n * C * D + d;
                double mx = -INFINITY, sum = 0.0;
                for (int64_t c = 0; c < C; c++) {
                    double v = ert_load_f64(dt, x->data, base + c * D);
                    lp[base + c * D] = v;
                    if (v > mx)
                        mx = v;
                }
                if (isinf(mx))
                    mx = 0.0;
                for (int64_t c = 0; c < C; c++)
                    sum += exp(lp[base + c * D] - mx);
                double ls = log(sum) + mx;
                for (int64_t c = 0; c < C; c++)
                    lp[base + c * D] -= ls;
            }
        if (lp_out)
            for (int64_t i = 0; i < nx; i++)
                ert_store_f64(dt, lp_out->data, i, lp[i]);
    }
    bool none = strcmp(red, "none") == 0, mean = strcmp(red, "mean") == 0;
    double total = 0.0, wsum = 0.0;
    for (int64_t n = 0; n < N; n++)
        for (int64_t d = 0; d < D; d++) {
            int64_t ti = n * D + d;
            int64_t c = ert_load_i64(t->dtype, t->data, ti);
            double loss = 0.0, wt = 0.0;
            if (!(has_ignore && c == ignore)) {
                if (c < 0 || c >= C) {
                    ert_tmp_free(lp);
                    return ert_op_fail(k, ERT_ERR_RUNTIME,
                                       "target value %lld at %lld is outside [0, %lld)",
                                       (long long)c, (long long)ti, (long long)C);
                }
                int64_t xi = (n * C + c) * D + d;
                double v = lp ? lp[xi] : ert_load_f64(dt, x->data, xi);
                wt = w ? ert_load_f64(dt, w->data, c) : 1.0;
                loss = -v * wt;
            }
            if (none)
                ert_store_f64(dt, y->data, ti, loss);
            total += loss;
            wsum += wt;
        }
    ert_tmp_free(lp);
    if (!none)
        ert_store_f64(dt, y->data, 0, mean ? total / wsum : total);
    return ERT_OK;
}
