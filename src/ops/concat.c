/*
 * concat.c - join and cut along one axis: Concat and Split.
 *
 * Both are exact in load-time inference when the sizes are known, because Concat of
 * int64 shape vectors is part of the shape-computing chains the engine folds. The
 * kernels copy one contiguous block per (outer index, input/output): the axis and the
 * dims after it are contiguous in row-major layout.
 */
#include <string.h>

#include "ops/op.h"

/* Most outputs a Split node may have (bounds the split-size arrays on the stack). */
#define ERT_MAX_OUTPUTS_SPLIT 1024


/* ------------------------------------------------------------------ Concat */

ert_status ert_infer_concat(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, -1);
    if (s != ERT_OK)
        return s;
    const ert_attr *ax = ert_node_attr(k->node, "axis");
    if (!ax)
        return ert_op_fail(k, ERT_ERR_PARSE, "attribute 'axis' is required");
    ert_tensor *out = k->out[0];
    const ert_tensor *first = NULL;
    for (int i = 0; i < k->n_in; i++) {
        const ert_tensor *t = k->in[i];
        if (!t)
            return ert_op_fail(k, ERT_ERR_PARSE, "input %d is missing", i);
        if (t->dtype != k->in[0]->dtype)
            return ert_op_fail(k, ERT_ERR_PARSE, "input %d is %s but input 0 is %s", i,
                               ert_dtype_name(t->dtype), ert_dtype_name(k->in[0]->dtype));
        if (t->rank >= 0) {
            if (!first)
                first = t;
            else if (t->rank != first->rank)
                return ert_op_fail(k, ERT_ERR_SHAPE, "input %d has rank %d but another input "
                                   "has rank %d", i, t->rank, first->rank);
        }
    }
    out->dtype = k->in[0]->dtype;
    if (!first) {
        out->rank = -1;
        return ERT_OK;
    }
    int rank = first->rank, axis;
    if (rank == 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "cannot concatenate scalars (rank 0)");
    s = ert_norm_axis(k, ax->i, rank, "axis", &axis);
    if (s != ERT_OK)
        return s;
    int64_t dims[ERT_MAX_RANK];
    for (int d = 0; d < rank; d++) {
        if (d == axis) {
            int64_t sum = 0;
            bool known = true;
            int64_t only_sym = 0; /* a single non-empty input: its symbolic dim */
            int n_nonzero = 0;
            for (int i = 0; i < k->n_in; i++) {
                const ert_tensor *t = k->in[i];
                int64_t v = t->rank >= 0 ? t->dims[d] : ERT_DIM_UNKNOWN;
                if (v == 0)
                    continue;
                n_nonzero++;
                if (v < 0) {
                    known = false;
                    only_sym = v;
                } else if (__builtin_add_overflow(sum, v, &sum)) {
                    return ert_op_fail(k, ERT_ERR_SHAPE, "concatenated size overflows");
                }
            }
            dims[d] = known ? sum : (n_nonzero == 1 ? only_sym : ERT_DIM_UNKNOWN);
            continue;
        }
        int64_t val = ERT_DIM_UNKNOWN;
        int64_t sym = 0;
        for (int i = 0; i < k->n_in; i++) {
            const ert_tensor *t = k->in[i];
            if (t->rank < 0)
                continue;
            int64_t v = t->dims[d];
            if (v >= 0) {
                if (val >= 0 && val != v)
                    return ert_op_fail(k, ERT_ERR_SHAPE, "input %d has size %lld on dim %d, "
                                       "another input has %lld (only dim %d may differ)", i,
                                       (long long)v, d, (long long)val, axis);
                val = v;
            } else if (v <= -2) {
                sym = (sym == 0 || sym == v) ? v : ERT_DIM_UNKNOWN;
            }
        }
        dims[d] = val >= 0 ? val : (sym != 0 ? sym : ERT_DIM_UNKNOWN);
    }
    ert_tensor_set_shape(out, rank, dims);
    return ERT_OK;
}

ert_status ert_run_concat(ert_kctx *k)
{
    ert_tensor *out = k->out[0];
    int axis;
    ert_status s = ert_norm_axis(k, ert_attr_int(k->node, "axis", 0), out->rank, "axis", &axis);
    if (s != ERT_OK)
        return s;
    size_t es = ert_dtype_size_(out->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= out->dims[d];
    for (int d = axis + 1; d < out->rank; d++)
        inner *= out->dims[d];
    size_t out_row = (size_t)(out->dims[axis] * inner) * es;
    size_t off = 0;
    for (int i = 0; i < k->n_in; i++) {
        const ert_tensor *t = k->in[i];
        size_t row = (size_t)(t->dims[axis] * inner) * es;
        if (row == 0 || outer == 0)
            continue;
        const char *src = t->data;
        char *dst = (char *)out->data + off;
        if (src == dst && outer == 1) { /* written in place by its producer (arena plan) */
            off += row;
            continue;
        }
        for (int64_t o = 0; o < outer; o++)
            memcpy(dst + (size_t)o * out_row, src + (size_t)o * row, row);
        off += row;
    }
    return ERT_OK;
}

/* ------------------------------------------------------------------- Split */

/* Computes the split sizes. *n_split = -1 when they can't be known (shapes_only). */
static ert_status split_sizes(ert_kctx *k, int64_t dim, int64_t *split, int64_t *n_split)
{
    int64_t n;
    ert_status s = ert_attr_or_input_ints(k, "split", 13, 1, split, ERT_MAX_OUTPUTS_SPLIT, &n);
    if (s != ERT_OK)
        return s;
    const ert_attr *no = k->version >= 18 ? ert_node_attr(k->node, "num_outputs") : NULL;
    if (n == -2) { /* given as input, data not known yet */
        *n_split = -1;
        return ERT_OK;
    }
    if (n >= 0) {
        if (no)
            return ert_op_fail(k, ERT_ERR_PARSE, "'split' and 'num_outputs' are both given; "
                               "give only one");
        if (n != k->n_out)
            return ert_op_fail(k, ERT_ERR_SHAPE, "'split' has %lld values but the node has %d "
                               "outputs", (long long)n, k->n_out);
        int64_t sum = 0;
        for (int64_t i = 0; i < n; i++) {
            if (split[i] < 0)
                return ert_op_fail(k, ERT_ERR_SHAPE, "split[%lld] = %lld is negative",
                                   (long long)i, (long long)split[i]);
            if (__builtin_add_overflow(sum, split[i], &sum))
                return ert_op_fail(k, ERT_ERR_SHAPE, "split sizes overflow");
        }
        if (dim >= 0 && sum != dim)
            return ert_op_fail(k, ERT_ERR_SHAPE, "split sizes add up to %lld but the axis has "
                               "size %lld", (long long)sum, (long long)dim);
        *n_split = n;
        return ERT_OK;
    }
    int64_t parts = k->n_out;
    if (no) {
        if (no->i < 1 || no->i != k->n_out)
            return ert_op_fail(k, ERT_ERR_SHAPE, "num_outputs = %lld but the node has %d "
                               "outputs", (long long)no->i, k->n_out);
        parts = no->i;
    }
    if (parts < 1)
        return ert_op_fail(k, ERT_ERR_PARSE, "node has no outputs");
    if (dim < 0) {
        *n_split = -1;
        return ERT_OK;
    }
    if (dim % parts == 0) {
        for (int64_t i = 0; i < parts; i++)
            split[i] = dim / parts;
    } else {
        if (!no) /* before opset 18 (or without num_outputs) the split must be even */
            return ert_op_fail(k, ERT_ERR_SHAPE, "axis of size %lld cannot be split evenly into "
                               "%lld outputs; give 'split'", (long long)dim, (long long)parts);
        int64_t chunk = dim / parts + 1;
        int64_t last = dim - chunk * (parts - 1);
        if (last < 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "axis of size %lld cannot be split into %lld "
                               "chunks of %lld", (long long)dim, (long long)parts,
                               (long long)chunk);
        for (int64_t i = 0; i < parts; i++)
            split[i] = i + 1 < parts ? chunk : last;
    }
    *n_split = parts;
    return ERT_OK;
}

ert_status ert_infer_split(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, 2);
    if (s != ERT_OK)
        return s;
    if (k->n_out > ERT_MAX_OUTPUTS_SPLIT)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "%d outputs; at most %d supported", k->n_out,
                           ERT_MAX_OUTPUTS_SPLIT);
    const ert_tensor *in = k->in[0];
    for (int i = 0; i < k->n_out; i++)
        if (k->out[i])
            k->out[i]->dtype = in->dtype;
    if (in->rank < 0) {
        for (int i = 0; i < k->n_out; i++)
            if (k->out[i])
                k->out[i]->rank = -1;
        return ERT_OK;
    }
    int axis;
    s = ert_norm_axis(k, ert_attr_int(k->node, "axis", 0), in->rank, "axis", &axis);
    if (s != ERT_OK)
        return s;
    int64_t split[ERT_MAX_OUTPUTS_SPLIT], n;
    int64_t dim = in->dims[axis];
    s = split_sizes(k, dim >= 0 ? dim : -1, split, &n);
    if (s != ERT_OK)
        return s;
    for (int i = 0; i < k->n_out; i++) {
        ert_tensor *o = k->out[i];
        if (!o)
            continue;
        ert_tensor_set_shape(o, in->rank, in->dims);
        if (n >= 0)
            o->dims[axis] = split[i];
        else
            o->dims[axis] = k->n_out == 1 ? dim : ERT_DIM_UNKNOWN;
    }
    return ERT_OK;
}

ert_status ert_run_split(ert_kctx *k)
{
    const ert_tensor *in = k->in[0];
    int axis;
    ert_status s = ert_norm_axis(k, ert_attr_int(k->node, "axis", 0), in->rank, "axis", &axis);
    if (s != ERT_OK)
        return s;
    int64_t split[ERT_MAX_OUTPUTS_SPLIT], n;
    s = split_sizes(k, in->dims[axis], split, &n);
    if (s != ERT_OK)
        return s;
    if (n != k->n_out)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "split sizes unknown at run time");
    size_t es = ert_dtype_size_(in->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= in->dims[d];
    for (int d = axis + 1; d < in->rank; d++)
        inner *= in->dims[d];
    size_t in_row = (size_t)(in->dims[axis] * inner) * es;
    size_t off = 0;
    for (int i = 0; i < k->n_out; i++) {
        size_t row = (size_t)(split[i] * inner) * es;
        ert_tensor *o = k->out[i];
        if (o && row && outer) {
            const char *src = (const char *)in->data + off;
            for (int64_t j = 0; j < outer; j++)
                memcpy((char *)o->data + (size_t)j * row, src + (size_t)j * in_row, row);
        }
        off += row;
    }
    return ERT_OK;
}
