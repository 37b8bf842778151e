/*
 * topk.c - selection along an axis: TopK, ArgMax, ArgMin.
 *
 * Values are compared through an order-preserving 64-bit key (sort_key): signed and
 * unsigned integers keep full 64-bit precision, floats map so that unsigned key order
 * is numeric order, with NaN above +inf (numpy's sort order). One comparison path then
 * serves every dtype. Ties always resolve to the lower index (TopK; ArgMax/ArgMin unless
 * select_last_index), which TopK gets from a stable merge sort of the line's indices.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/scratch.h"

static bool is_sortable_dtype(ert_dtype t)
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

/* Key whose unsigned order is the element order. */
static uint64_t sort_key(ert_dtype t, const void *p, int64_t i)
{
    switch (t) {
    case ERT_DTYPE_UINT64: return ((const uint64_t *)p)[i];
    case ERT_DTYPE_UINT32: case ERT_DTYPE_UINT16: case ERT_DTYPE_UINT8: case ERT_DTYPE_BOOL:
        return (uint64_t)ert_load_i64(t, p, i);
    case ERT_DTYPE_INT64: case ERT_DTYPE_INT32: case ERT_DTYPE_INT16: case ERT_DTYPE_INT8:
        return (uint64_t)ert_load_i64(t, p, i) ^ ((uint64_t)1 << 63);
    default: {
        double v = ert_load_f64(t, p, i);
        if (isnan(v))
            return UINT64_MAX;
        if (v == 0.0)
            v = 0.0; /* -0 == +0 */
        uint64_t b;
        memcpy(&b, &v, sizeof b);
        return (b >> 63) ? ~b : b | ((uint64_t)1 << 63);
    }
    }
}

/* Splits dims around axis: outer * len * inner. */
static void split_axis(const ert_tensor *x, int axis, int64_t *outer, int64_t *len,
                       int64_t *inner)
{
    *outer = 1;
    *inner = 1;
    for (int d = 0; d < axis; d++)
        *outer *= x->dims[d];
    *len = x->dims[axis];
    for (int d = axis + 1; d < x->rank; d++)
        *inner *= x->dims[d];
}

/* ------------------------------------------------------------------------------------ */
/* ArgMax / ArgMin                                                                      */

ert_status ert_infer_argminmax(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, 1);
    if (s)
        return s;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    if (!is_sortable_dtype(x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported",
                           ert_dtype_name(x->dtype));
    y->dtype = ERT_DTYPE_INT64;
    if (x->rank < 0) {
        y->rank = -1;
        return ERT_OK;
    }
    int axis;
    s = ert_norm_axis(k, ert_attr_int(k->node, "axis", 0), x->rank, "axis", &axis);
    if (s)
        return s;
    bool keep = ert_attr_int(k->node, "keepdims", 1) != 0;
    int64_t dims[ERT_MAX_RANK];
    int r = 0;
    for (int d = 0; d < x->rank; d++) {
        if (d != axis)
            dims[r++] = x->dims[d];
        else if (keep)
            dims[r++] = 1;
    }
    if (!k->shapes_only && x->dims[axis] == 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "cannot take the arg%s of an empty axis %d",
                           k->node->op->id == ERT_OP_ARG_MAX ? "max" : "min", axis);
    ert_tensor_set_shape(y, r, dims);
    return ERT_OK;
}

ert_status ert_run_argminmax(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int axis;
    ert_status s = ert_norm_axis(k, ert_attr_int(k->node, "axis", 0), x->rank, "axis", &axis);
    if (s)
        return s;
    bool is_max = k->node->op->id == ERT_OP_ARG_MAX;
    bool last = k->version >= 12 && ert_attr_int(k->node, "select_last_index", 0) != 0;
    int64_t outer, len, inner;
    split_axis(x, axis, &outer, &len, &inner);
    int64_t *out = y->data;
    ert_dtype dt = x->dtype;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * len * inner + in;
            int64_t best = 0;
            if (dt == ERT_DTYPE_FLOAT32) {
                /* fast path; NaN wins like numpy (first NaN, or last with last) */
                const float *p = (const float *)x->data + base;
                float bv = p[0];
                for (int64_t j = 1; j < len; j++) {
                    float v = p[j * inner];
                    bool better;
                    if (isnan(bv))
                        better = last && isnan(v);
                    else if (isnan(v))
                        better = true;
                    else
                        better = is_max ? (last ? v >= bv : v > bv) : (last ? v <= bv : v < bv);
                    if (better) {
                        bv = v;
                        best = j;
                    }
                }
            } else {
                uint64_t bk = sort_key(dt, x->data, base);
                for (int64_t j = 1; j < len; j++) {
                    uint64_t kv = sort_key(dt, x->data, base + j * inner);
                    bool better = is_max ? (last ? kv >= bk : kv > bk)
                                         : (last ? kv <= bk : kv < bk);
                    if (better) {
                        bk = kv;
                        best = j;
                    }
                }
            }
            out[o * inner + in] = best;
        }
    return ERT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* TopK                                                                                 */

/* Reads k: attribute before opset 10, else input 1 (a 1-element int64 tensor).
 * *known = false when the input has no data yet (shapes_only). */
static ert_status topk_k(ert_kctx *k, int64_t *kk, bool *known)
{
    *known = true;
    if (k->version < 10) {
        const ert_attr *a = ert_node_attr(k->node, "k");
        if (!a)
            return ert_op_fail(k, ERT_ERR_PARSE, "attribute k is required before opset 10");
        *kk = a->i;
    } else {
        if (!ert_in(k, 1))
            return ert_op_fail(k, ERT_ERR_PARSE, "input K is required from opset 10");
        int64_t n;
        ert_status s = ert_input_ints(k, 1, kk, 1, &n);
        if (s)
            return s;
        if (n < 0) {
            *known = false;
            return ERT_OK;
        }
        if (n != 1)
            return ert_op_fail(k, ERT_ERR_SHAPE, "K must hold exactly one value, got %lld",
                               (long long)n);
    }
    if (*kk < 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "k = %lld must be non-negative", (long long)*kk);
    return ERT_OK;
}

ert_status ert_infer_topk(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, k->version < 10 ? 1 : 2);
    if (s)
        return s;
    const ert_tensor *x = k->in[0];
    if (!is_sortable_dtype(x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported",
                           ert_dtype_name(x->dtype));
    ert_tensor *vals = k->out[0], *idx = ert_out(k, 1);
    vals->dtype = x->dtype;
    if (idx)
        idx->dtype = ERT_DTYPE_INT64;
    if (x->rank < 0) {
        vals->rank = -1;
        if (idx)
            idx->rank = -1;
        return ERT_OK;
    }
    int axis;
    s = ert_norm_axis(k, ert_attr_int(k->node, "axis", -1), x->rank, "axis", &axis);
    if (s)
        return s;
    int64_t kk = ERT_DIM_UNKNOWN;
    bool known;
    s = topk_k(k, &kk, &known);
    if (s)
        return s;
    if (!known)
        kk = ERT_DIM_UNKNOWN;
    else if (x->dims[axis] >= 0 && kk > x->dims[axis])
        return ert_op_fail(k, ERT_ERR_SHAPE, "k = %lld exceeds the size %lld of axis %d",
                           (long long)kk, (long long)x->dims[axis], axis);
    int64_t dims[ERT_MAX_RANK];
    memcpy(dims, x->dims, sizeof(int64_t) * (size_t)x->rank);
    dims[axis] = kk;
    ert_tensor_set_shape(vals, x->rank, dims);
    if (idx)
        ert_tensor_set_shape(idx, x->rank, dims);
    return ERT_OK;
}

/* Stable merge sort of ix[0..n) by key: descending if largest, else ascending. Stability
 * keeps equal keys in index order (the spec's tie rule). tmp has room for n. */
static void merge_sort(int64_t *ix, int64_t *tmp, int64_t n, const uint64_t *key, bool largest)
{
    if (n < 2)
        return;
    int64_t h = n / 2;
    merge_sort(ix, tmp, h, key, largest);
    merge_sort(ix + h, tmp, n - h, key, largest);
    int64_t a = 0, b = h, t = 0;
    while (a < h && b < n) {
        uint64_t ka = key[ix[a]], kb = key[ix[b]];
        bool take_b = largest ? kb > ka : kb < ka; /* strict: ties keep a first */
        tmp[t++] = take_b ? ix[b++] : ix[a++];
    }
    while (a < h)
        tmp[t++] = ix[a++];
    while (b < n)
        tmp[t++] = ix[b++];
    memcpy(ix, tmp, sizeof(int64_t) * (size_t)n);
}

ert_status ert_run_topk(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *vals = k->out[0], *idxo = ert_out(k, 1);
    int axis;
    ert_status s = ert_norm_axis(k, ert_attr_int(k->node, "axis", -1), x->rank, "axis", &axis);
    if (s)
        return s;
    int64_t kk;
    bool known;
    s = topk_k(k, &kk, &known);
    if (s)
        return s;
    bool largest = k->version < 11 || ert_attr_int(k->node, "largest", 1) != 0;
    /* sorted = 0 leaves the order unspecified; sorted order is a valid choice. */
    int64_t outer, len, inner;
    split_axis(x, axis, &outer, &len, &inner);
    if (kk > len)
        return ert_op_fail(k, ERT_ERR_SHAPE, "k = %lld exceeds the size %lld of axis %d",
                           (long long)kk, (long long)len, axis);
    if (outer == 0 || inner == 0 || kk == 0)
        return ERT_OK;
    uint64_t *key = ert_tmp_alloc(sizeof(uint64_t) * (size_t)len);
    int64_t *ix = ert_tmp_alloc(sizeof(int64_t) * (size_t)len);
    int64_t *tmp = ert_tmp_alloc(sizeof(int64_t) * (size_t)len);
    if (!key || !ix || !tmp) {
        ert_tmp_free(key);
        ert_tmp_free(ix);
        ert_tmp_free(tmp);
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory sorting %lld elements",
                           (long long)len);
    }
    size_t esz = ert_dtype_size_(x->dtype);
    const char *xp = x->data;
    char *vp = vals->data;
    int64_t *ip = idxo ? idxo->data : NULL;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * len * inner + in;
            for (int64_t j = 0; j < len; j++) {
                key[j] = sort_key(x->dtype, x->data, base + j * inner);
                ix[j] = j;
            }
            merge_sort(ix, tmp, len, key, largest);
            int64_t obase = o * kk * inner + in;
            for (int64_t j = 0; j < kk; j++) {
                int64_t oi = obase + j * inner;
                memcpy(vp + (size_t)oi * esz, xp + (size_t)(base + ix[j] * inner) * esz, esz);
                if (ip)
                    ip[oi] = ix[j];
            }
        }
    ert_tmp_free(key);
    ert_tmp_free(ix);
    ert_tmp_free(tmp);
    return ERT_OK;
}
