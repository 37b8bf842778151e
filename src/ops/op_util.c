/*
 * op_util.c - small helpers shared by the op families: error prefixing, axis
 * normalisation, broadcasting, reading shape-like inputs, dtype-generic load/store.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ops/op.h"

ert_status ert_op_fail(ert_kctx *k, ert_status s, const char *fmt, ...)
{
    if (!k->err)
        return s;
    char body[ERT_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof body, fmt, ap);
    va_end(ap);
    snprintf(k->err->msg, sizeof k->err->msg, "%s node '%s' (opset %d): %.880s",
             k->node->op_type, k->node->name, k->node->opset, body);
    return s;
}

ert_status ert_check_inputs(ert_kctx *k, int min_in, int max_in)
{
    if (k->n_in < min_in || (max_in >= 0 && k->n_in > max_in))
        return ert_op_fail(k, ERT_ERR_PARSE, "has %d inputs, expected %d..%d", k->n_in, min_in,
                           max_in);
    for (int i = 0; i < min_in; i++)
        if (!k->in[i])
            return ert_op_fail(k, ERT_ERR_PARSE, "required input %d is missing", i);
    return ERT_OK;
}

ert_status ert_norm_axis(ert_kctx *k, int64_t axis, int rank, const char *what, int *out)
{
    int64_t a = axis < 0 ? axis + rank : axis;
    if (a < 0 || a >= rank)
        return ert_op_fail(k, ERT_ERR_SHAPE, "%s %lld is out of range for rank %d", what,
                           (long long)axis, rank);
    *out = (int)a;
    return ERT_OK;
}

ert_status ert_broadcast_shapes(ert_kctx *k, int n, const ert_tensor *const *ts, ert_tensor *out)
{
    int rank = 0;
    for (int i = 0; i < n; i++) {
        if (!ts[i])
            continue;
        if (ts[i]->rank < 0) {
            out->rank = -1;
            return ERT_OK;
        }
        if (ts[i]->rank > rank)
            rank = ts[i]->rank;
    }
    int64_t dims[ERT_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        int64_t res = 1;      /* known size so far (1 = nothing forces it) */
        int64_t sym = 0;      /* a symbolic/unknown dim seen (0 = none) */
        for (int i = 0; i < n; i++) {
            if (!ts[i])
                continue;
            int off = rank - ts[i]->rank;
            if (d < off)
                continue;
            int64_t v = ts[i]->dims[d - off];
            if (v == 1)
                continue;
            if (v < 0) {
                /* keep a symbol if all symbolic dims agree, else unknown */
                sym = (sym == 0 || sym == v) ? v : ERT_DIM_UNKNOWN;
                continue;
            }
            if (res != 1 && res != v)
                return ert_op_fail(k, ERT_ERR_SHAPE,
                                   "inputs cannot be broadcast: dim %d is %lld in one input and "
                                   "%lld in another", d, (long long)res, (long long)v);
            res = v;
        }
        dims[d] = (res != 1) ? res : (sym != 0 ? sym : 1);
    }
    out->rank = rank;
    memcpy(out->dims, dims, sizeof(int64_t) * (size_t)rank);
    return ERT_OK;
}

void ert_strides(int rank, const int64_t *dims, int64_t *strides)
{
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        strides[d] = s;
        s *= dims[d];
    }
}

void ert_bcast_strides(const ert_tensor *t, int rank, const int64_t *out_dims, int64_t *strides)
{
    int64_t own[ERT_MAX_RANK];
    ert_strides(t->rank, t->dims, own);
    int off = rank - t->rank;
    for (int d = 0; d < rank; d++) {
        if (d < off)
            strides[d] = 0;
        else
            strides[d] = (t->dims[d - off] == 1 && out_dims[d] != 1) ? 0 : own[d - off];
    }
}

ert_status ert_input_ints(ert_kctx *k, int i, int64_t *buf, int64_t max, int64_t *n)
{
    const ert_tensor *t = ert_in(k, i);
    *n = -1;
    if (!t)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "input %d missing", i);
    if (!t->data) {
        if (k->shapes_only)
            return ERT_OK;
        return ert_op_fail(k, ERT_ERR_INTERNAL, "input %d has no data", i);
    }
    if (t->dtype != ERT_DTYPE_INT64 && t->dtype != ERT_DTYPE_INT32 && t->dtype != ERT_DTYPE_INT8 &&
        t->dtype != ERT_DTYPE_UINT8 && t->dtype != ERT_DTYPE_INT16 && t->dtype != ERT_DTYPE_UINT16 &&
        t->dtype != ERT_DTYPE_UINT32 && t->dtype != ERT_DTYPE_UINT64)
        return ert_op_fail(k, ERT_ERR_PARSE, "input %d must be an integer tensor, got %s", i,
                           ert_dtype_name(t->dtype));
    int64_t cnt = ert_tensor_numel(t);
    if (cnt < 0 || cnt > max)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input %d has %lld elements, at most %lld allowed", i,
                           (long long)cnt, (long long)max);
    for (int64_t j = 0; j < cnt; j++)
        buf[j] = ert_load_i64(t->dtype, t->data, j);
    *n = cnt;
    return ERT_OK;
}

ert_status ert_attr_or_input_ints(ert_kctx *k, const char *attr, int input_since, int idx,
                                  int64_t *buf, int64_t max, int64_t *n)
{
    if (k->version < input_since) {
        const int64_t *v;
        int64_t c = ert_attr_ints(k->node, attr, &v);
        if (c > max)
            return ert_op_fail(k, ERT_ERR_SHAPE, "attribute '%s' has %lld values, at most %lld "
                               "allowed", attr, (long long)c, (long long)max);
        for (int64_t i = 0; i < c; i++)
            buf[i] = v[i];
        *n = c;
        return ERT_OK;
    }
    if (!ert_in(k, idx)) {
        *n = -1;
        return ERT_OK;
    }
    ert_status s = ert_input_ints(k, idx, buf, max, n);
    if (s != ERT_OK)
        return s;
    if (*n < 0)
        *n = -2;
    return ERT_OK;
}

ert_status ert_attr_ints_n(ert_kctx *k, const char *name, int n, int64_t def, int64_t lo,
                           int64_t hi, int64_t *out)
{
    const int64_t *v;
    int64_t cnt = ert_attr_ints(k->node, name, &v);
    if (cnt < 0) {
        for (int i = 0; i < n; i++)
            out[i] = def;
        return ERT_OK;
    }
    if (cnt != n)
        return ert_op_fail(k, ERT_ERR_SHAPE, "attribute %s has %lld values, expected %d (one per "
                           "spatial axis%s)", name, (long long)cnt, n,
                           !strcmp(name, "pads") ? ", begins then ends" : "");
    for (int i = 0; i < n; i++) {
        if (v[i] < lo || v[i] > hi)
            return ert_op_fail(k, ERT_ERR_SHAPE, "attribute %s[%d] = %lld is out of range "
                               "[%lld, %lld]", name, i, (long long)v[i], (long long)lo,
                               (long long)hi);
        out[i] = v[i];
    }
    return ERT_OK;
}

void ert_set_out(ert_tensor *out, ert_dtype dtype, int rank, const int64_t *dims)
{
    out->dtype = dtype;
    ert_tensor_set_shape(out, rank, dims);
}

double ert_load_f64(ert_dtype t, const void *p, int64_t i)
{
    switch (t) {
    case ERT_DTYPE_FLOAT32: return ((const float *)p)[i];
    case ERT_DTYPE_FLOAT64: return ((const double *)p)[i];
    case ERT_DTYPE_FLOAT16: return ert_half_to_float(((const uint16_t *)p)[i]);
    case ERT_DTYPE_BFLOAT16: return ert_bf16_to_float(((const uint16_t *)p)[i]);
    case ERT_DTYPE_INT8: return ((const int8_t *)p)[i];
    case ERT_DTYPE_UINT8: return ((const uint8_t *)p)[i];
    case ERT_DTYPE_INT16: return ((const int16_t *)p)[i];
    case ERT_DTYPE_UINT16: return ((const uint16_t *)p)[i];
    case ERT_DTYPE_INT32: return ((const int32_t *)p)[i];
    case ERT_DTYPE_UINT32: return ((const uint32_t *)p)[i];
    case ERT_DTYPE_INT64: return (double)((const int64_t *)p)[i];
    case ERT_DTYPE_UINT64: return (double)((const uint64_t *)p)[i];
    case ERT_DTYPE_BOOL: return ((const uint8_t *)p)[i] ? 1.0 : 0.0;
    default: return 0.0;
    }
}

void ert_store_f64(ert_dtype t, void *p, int64_t i, double v)
{
    switch (t) {
    case ERT_DTYPE_FLOAT32: ((float *)p)[i] = (float)v; break;
    case ERT_DTYPE_FLOAT64: ((double *)p)[i] = v; break;
    case ERT_DTYPE_FLOAT16: ((uint16_t *)p)[i] = ert_float_to_half((float)v); break;
    case ERT_DTYPE_BFLOAT16: ((uint16_t *)p)[i] = ert_float_to_bf16((float)v); break;
    case ERT_DTYPE_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case ERT_DTYPE_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case ERT_DTYPE_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case ERT_DTYPE_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case ERT_DTYPE_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case ERT_DTYPE_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case ERT_DTYPE_INT64: ((int64_t *)p)[i] = (int64_t)v; break;
    case ERT_DTYPE_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    case ERT_DTYPE_BOOL: ((uint8_t *)p)[i] = v != 0.0; break;
    default: break;
    }
}

int64_t ert_load_i64(ert_dtype t, const void *p, int64_t i)
{
    switch (t) {
    case ERT_DTYPE_INT64: return ((const int64_t *)p)[i];
    case ERT_DTYPE_UINT64: return (int64_t)((const uint64_t *)p)[i];
    case ERT_DTYPE_INT32: return ((const int32_t *)p)[i];
    case ERT_DTYPE_UINT32: return ((const uint32_t *)p)[i];
    case ERT_DTYPE_INT16: return ((const int16_t *)p)[i];
    case ERT_DTYPE_UINT16: return ((const uint16_t *)p)[i];
    case ERT_DTYPE_INT8: return ((const int8_t *)p)[i];
    case ERT_DTYPE_UINT8: return ((const uint8_t *)p)[i];
    case ERT_DTYPE_BOOL: return ((const uint8_t *)p)[i] != 0;
    default: {
        double v = ert_load_f64(t, p, i);
        if (!(v == v))
            return 0;
        if (v >= 9.2e18)
            return INT64_MAX;
        if (v <= -9.2e18)
            return INT64_MIN;
        return (int64_t)v;
    }
    }
}

void ert_store_i64(ert_dtype t, void *p, int64_t i, int64_t v)
{
    switch (t) {
    case ERT_DTYPE_INT64: ((int64_t *)p)[i] = v; break;
    case ERT_DTYPE_UINT64: ((uint64_t *)p)[i] = (uint64_t)v; break;
    case ERT_DTYPE_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
    case ERT_DTYPE_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case ERT_DTYPE_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
    case ERT_DTYPE_UINT16: ((uint16_t *)p)[i] = (uint16_t)v; break;
    case ERT_DTYPE_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
    case ERT_DTYPE_UINT8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case ERT_DTYPE_BOOL: ((uint8_t *)p)[i] = v != 0; break;
    default: ert_store_f64(t, p, i, (double)v); break;
    }
}

/* floor(total / 2) for any sign (C division truncates toward zero, which would move
 * the odd unit of a negative total to the wrong side). */
void ert_same_pad_split(int64_t total, bool upper, int64_t *pb, int64_t *pe)
{
    int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);
    if (upper) {
        *pb = half;
        *pe = total - half;
    } else {
        *pb = total - half;
        *pe = half;
    }
}

int64_t ert_same_pads(int64_t in, int64_t stride, int64_t dilated_kernel, bool upper,
                      int64_t *pb, int64_t *pe)
{
    int64_t out = (in + stride - 1) / stride;
    int64_t total = (out - 1) * stride + dilated_kernel - in;
    ert_same_pad_split(total, upper, pb, pe);
    return out;
}
