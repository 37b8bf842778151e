/*
 * sequence.c - sequences and optionals: SequenceEmpty, SequenceConstruct, SequenceInsert,
 * SequenceAt, SequenceErase, SequenceLength, SplitToSequence, ConcatFromSequence,
 * SequenceMap, Optional, OptionalHasElement, OptionalGetElement.
 *
 * A sequence is an ert_tensor of kind ERT_TENSOR_SEQUENCE owning its dense elements
 * (ir.h); an empty optional is an ert_tensor with is_none set. Every op here is flagged
 * ERT_OPF_SEQUENCE_IO (it may see such inputs), ERT_OPF_DYNAMIC_OUTPUTS (run() shapes and
 * allocates its outputs: a sequence's contents are known only by running) and
 * ERT_OPF_NO_FOLD: sequences are never graph constants, which keeps the constant table
 * and the fold pass dense-only (folding them would need an owned-sequence constant for
 * a gain no model we know of needs).
 *
 * infer (load time) describes outputs: kind, dtype and, for a sequence, the elements'
 * common shape where it is known (rank -1 otherwise). infer with concrete inputs only
 * validates; run() does the rest. Cost: inserting copies the element (sequences own
 * their elements); SequenceInsert/Erase copy the input sequence first (ONNX values are
 * immutable), so building an n-element sequence in a Loop is O(n^2) element copies -
 * fine for the short sequences models build, and what ORT does too.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/subgraph.h"
#include "ops/op.h"

/* ---- helpers ---- */

/* The input must be a (present) sequence. */
static ert_status need_seq(ert_kctx *k, int i, const char *what)
{
    const ert_tensor *t = ert_in(k, i);
    if (!t)
        return ert_op_fail(k, ERT_ERR_PARSE, "input %d (%s) is missing", i, what);
    if (t->kind != ERT_TENSOR_SEQUENCE || t->is_none)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "input %d (%s) must be a sequence, got "
                           "%s", i, what, ert_tensor_kind_str(t));
    return ERT_OK;
}

/* The input, if present, must be a dense tensor. */
static ert_status need_dense(ert_kctx *k, int i, const char *what)
{
    const ert_tensor *t = ert_in(k, i);
    if (t && !ert_tensor_is_dense(t))
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "input %d (%s) must be a tensor, got %s",
                           i, what, ert_tensor_kind_str(t));
    return ERT_OK;
}

/* Describes output o as a sequence of dtype elements of shape (rank, dims). */
static void desc_seq(ert_tensor *o, ert_dtype dtype, int rank, const int64_t *dims)
{
    if (!o)
        return;
    o->kind = ERT_TENSOR_SEQUENCE;
    o->dtype = dtype;
    o->rank = rank;
    for (int i = 0; i < rank; i++)
        o->dims[i] = dims[i];
}

/* a := facts true of both element shapes a and b (rank -1: nothing known). */
static void merge_elem(ert_tensor *a, const ert_tensor *b)
{
    if (a->rank < 0 || b->rank < 0 || a->rank != b->rank) {
        a->rank = -1;
        return;
    }
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            a->dims[i] = ERT_DIM_UNKNOWN;
}

/* Reads a position / count input (int32 or int64, one element). */
static ert_status read_index(ert_kctx *k, int i, const char *what, int64_t *v)
{
    const ert_tensor *t = ert_in(k, i);
    ert_status st = need_dense(k, i, what);
    if (st != ERT_OK)
        return st;
    if (t->dtype != ERT_DTYPE_INT32 && t->dtype != ERT_DTYPE_INT64)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "%s must be int32 or int64, got %s", what,
                           ert_dtype_name(t->dtype));
    if (ert_tensor_numel(t) != 1 || !t->data)
        return ert_op_fail(k, ERT_ERR_SHAPE, "%s must be a scalar, got %lld elements", what,
                           (long long)ert_tensor_numel(t));
    *v = ert_load_i64(t->dtype, t->data, 0);
    return ERT_OK;
}

/* Normalises position p for a sequence of n elements: valid p in [-n, n - 1 + extra]. */
static ert_status norm_pos(ert_kctx *k, int64_t p, int64_t n, int extra, int64_t *out)
{
    if (p < -n || p > n - 1 + extra)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "position %lld is out of range for a "
                           "sequence of %lld elements (valid: %lld..%lld)", (long long)p,
                           (long long)n, (long long)-n, (long long)(n - 1 + extra));
    *out = p < 0 ? p + n : p;
    return ERT_OK;
}

/* Makes output i a dense tensor of (dtype, rank, dims) with allocated data. */
static ert_status alloc_dense(ert_kctx *k, int i, ert_dtype dtype, int rank, const int64_t *dims)
{
    ert_tensor *o = ert_out(k, i);
    ert_tensor_set_kind(o, ERT_TENSOR_DENSE);
    ert_set_out(o, dtype, rank, dims);
    if (ert_tensor_numel(o) < 0 || ert_tensor_alloc(o) != ERT_OK)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate output %d", i);
    return ERT_OK;
}

/* output i := copy of t (any kind). */
static ert_status copy_out(ert_kctx *k, int i, const ert_tensor *t)
{
    ert_tensor *o = ert_out(k, i);
    if (!o)
        return ERT_OK;
    if (ert_tensor_copy(o, t) != ERT_OK)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot copy into output %d", i);
    return ERT_OK;
}

static ert_status insert_copy(ert_kctx *k, ert_tensor *seq, int64_t pos, const ert_tensor *t)
{
    if (ert_seq_insert(seq, pos, t) != ERT_OK)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot grow the output sequence to %lld "
                           "elements", (long long)seq->seq_len + 1);
    return ERT_OK;
}

static bool valid_dtype(int64_t d)
{
    return d > 0 && d <= 16 && ert_dtype_size_((ert_dtype)d) != 0;
}

/* ---- SequenceEmpty ---- */

ert_status ert_infer_sequence_empty(ert_kctx *k)
{
    int64_t dt = ert_attr_int(k->node, "dtype", ERT_DTYPE_FLOAT32);
    if (!valid_dtype(dt))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %lld is not a supported tensor type",
                           (long long)dt);
    if (k->shapes_only)
        desc_seq(ert_out(k, 0), (ert_dtype)dt, -1, NULL);
    return ERT_OK;
}

ert_status ert_run_sequence_empty(ert_kctx *k)
{
    ert_seq_reset(k->out[0], (ert_dtype)ert_attr_int(k->node, "dtype", ERT_DTYPE_FLOAT32));
    return ERT_OK;
}

/* ---- SequenceConstruct ---- */

ert_status ert_infer_sequence_construct(ert_kctx *k)
{
    if (k->n_in < 1 || !k->in[0])
        return ert_op_fail(k, ERT_ERR_PARSE, "needs at least one input");
    ert_tensor e = *k->in[0];
    for (int i = 0; i < k->n_in; i++) {
        ert_status st = need_dense(k, i, "element");
        if (st != ERT_OK)
            return st;
        if (!k->in[i])
            return ert_op_fail(k, ERT_ERR_PARSE, "input %d is missing", i);
        if (k->in[i]->dtype != e.dtype)
            return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "input %d is %s but input 0 is %s: "
                               "sequence elements share one type", i,
                               ert_dtype_name(k->in[i]->dtype), ert_dtype_name(e.dtype));
        merge_elem(&e, k->in[i]);
    }
    if (k->shapes_only)
        desc_seq(ert_out(k, 0), e.dtype, e.rank, e.dims);
    return ERT_OK;
}

ert_status ert_run_sequence_construct(ert_kctx *k)
{
    ert_tensor *o = k->out[0];
    ert_seq_reset(o, k->in[0]->dtype);
    for (int i = 0; i < k->n_in; i++) {
        ert_status st = insert_copy(k, o, i, k->in[i]);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}

/* ---- SequenceInsert ---- */

ert_status ert_infer_sequence_insert(ert_kctx *k)
{
    ert_status st = ert_check_inputs(k, 2, 3);
    if (st == ERT_OK)
        st = need_seq(k, 0, "input_sequence");
    if (st == ERT_OK)
        st = need_dense(k, 1, "tensor");
    if (st == ERT_OK)
        st = need_dense(k, 2, "position");
    if (st != ERT_OK)
        return st;
    const ert_tensor *s = k->in[0], *t = k->in[1];
    if (s->dtype != ERT_DTYPE_UNDEFINED && t->dtype != s->dtype)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "tensor is %s but the sequence holds %s",
                           ert_dtype_name(t->dtype), ert_dtype_name(s->dtype));
    if (k->shapes_only) {
        ert_tensor e = *s;
        merge_elem(&e, t);
        desc_seq(ert_out(k, 0), t->dtype, e.rank, e.dims);
    }
    return ERT_OK;
}

ert_status ert_run_sequence_insert(ert_kctx *k)
{
    const ert_tensor *s = k->in[0];
    int64_t pos = s->seq_len;
    ert_status st = ERT_OK;
    if (ert_in(k, 2)) {
        st = read_index(k, 2, "position", &pos);
        if (st == ERT_OK)
            st = norm_pos(k, pos, s->seq_len, 1, &pos);
        if (st != ERT_OK)
            return st;
    }
    st = copy_out(k, 0, s);
    if (st == ERT_OK)
        st = insert_copy(k, k->out[0], pos, k->in[1]);
    return st;
}

/* ---- SequenceAt ---- */

ert_status ert_infer_sequence_at(ert_kctx *k)
{
    ert_status st = ert_check_inputs(k, 2, 2);
    if (st == ERT_OK)
        st = need_seq(k, 0, "input_sequence");
    if (st == ERT_OK)
        st = need_dense(k, 1, "position");
    if (st != ERT_OK)
        return st;
    if (k->shapes_only)
        ert_set_out(k->out[0], k->in[0]->dtype, k->in[0]->rank, k->in[0]->dims);
    return ERT_OK;
}

ert_status ert_run_sequence_at(ert_kctx *k)
{
    const ert_tensor *s = k->in[0];
    int64_t pos = 0;
    ert_status st = read_index(k, 1, "position", &pos);
    if (st == ERT_OK)
        st = norm_pos(k, pos, s->seq_len, 0, &pos);
    if (st == ERT_OK)
        st = copy_out(k, 0, &s->seq[pos]);
    return st;
}

/* ---- SequenceErase ---- */

ert_status ert_infer_sequence_erase(ert_kctx *k)
{
    ert_status st = ert_check_inputs(k, 1, 2);
    if (st == ERT_OK)
        st = need_seq(k, 0, "input_sequence");
    if (st == ERT_OK)
        st = need_dense(k, 1, "position");
    if (st != ERT_OK)
        return st;
    if (k->shapes_only)
        desc_seq(ert_out(k, 0), k->in[0]->dtype, k->in[0]->rank, k->in[0]->dims);
    return ERT_OK;
}

ert_status ert_run_sequence_erase(ert_kctx *k)
{
    const ert_tensor *s = k->in[0];
    int64_t pos = -1;
    ert_status st = ERT_OK;
    if (ert_in(k, 1))
        st = read_index(k, 1, "position", &pos);
    if (st == ERT_OK && s->seq_len == 0)
        st = ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "cannot erase from an empty sequence");
    if (st == ERT_OK)
        st = norm_pos(k, pos, s->seq_len, 0, &pos);
    if (st == ERT_OK)
        st = copy_out(k, 0, s);
    if (st == ERT_OK)
        ert_seq_erase(k->out[0], pos);
    return st;
}

/* ---- SequenceLength ---- */

ert_status ert_infer_sequence_length(ert_kctx *k)
{
    ert_status st = ert_check_inputs(k, 1, 1);
    if (st == ERT_OK)
        st = need_seq(k, 0, "input_sequence");
    if (st == ERT_OK && k->shapes_only)
        ert_set_out(k->out[0], ERT_DTYPE_INT64, 0, NULL);
    return st;
}

ert_status ert_run_sequence_length(ert_kctx *k)
{
    ert_status st = alloc_dense(k, 0, ERT_DTYPE_INT64, 0, NULL);
    if (st == ERT_OK)
        *(int64_t *)k->out[0]->data = k->in[0]->seq_len;
    return st;
}

/* ---- SplitToSequence ---- */

/* Piece lengths along the axis (dim d): *n pieces written to *len (malloc'ed). split
 * absent: pieces of 1; a scalar: pieces of that size, the last one shorter; 1-D: the
 * lengths, which must sum to d. */
static ert_status split_lengths(ert_kctx *k, int64_t d, int64_t **len, int64_t *n)
{
    const ert_tensor *sp = ert_in(k, 1);
    *len = NULL;
    *n = 0;
    if (sp && (sp->dtype != ERT_DTYPE_INT32 && sp->dtype != ERT_DTYPE_INT64))
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "split must be int32 or int64, got %s",
                           ert_dtype_name(sp->dtype));
    if (sp && sp->rank > 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "split must be a scalar or 1-D, got rank %d",
                           sp->rank);
    int64_t count, chunk = 1;
    if (sp && sp->rank == 1) {
        count = sp->dims[0];
    } else {
        if (sp) {
            chunk = ert_load_i64(sp->dtype, sp->data, 0);
            if (chunk <= 0)
                return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "split must be positive, got %lld",
                                   (long long)chunk);
        }
        count = d / chunk + (d % chunk != 0);
    }
    *len = malloc(sizeof(int64_t) * (size_t)(count > 0 ? count : 1));
    if (!*len)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    int64_t sum = 0;
    for (int64_t i = 0; i < count; i++) {
        int64_t l = (sp && sp->rank == 1) ? ert_load_i64(sp->dtype, sp->data, i)
                                          : (d - sum < chunk ? d - sum : chunk);
        if (l < 0 || l > d - sum) {
            free(*len);
            *len = NULL;
            return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "split lengths must be non-negative "
                               "and sum to the axis length %lld", (long long)d);
        }
        (*len)[i] = l;
        sum += l;
    }
    if (sum != d) {
        free(*len);
        *len = NULL;
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "split lengths sum to %lld but the axis "
                           "has length %lld", (long long)sum, (long long)d);
    }
    *n = count;
    return ERT_OK;
}

ert_status ert_infer_split_to_sequence(ert_kctx *k)
{
    ert_status st = ert_check_inputs(k, 1, 2);
    if (st == ERT_OK)
        st = need_dense(k, 0, "input");
    if (st == ERT_OK)
        st = need_dense(k, 1, "split");
    if (st != ERT_OK)
        return st;
    const ert_tensor *x = k->in[0];
    if (x->rank == 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input must have rank >= 1");
    if (x->rank < 0) {
        if (k->shapes_only)
            desc_seq(ert_out(k, 0), x->dtype, -1, NULL);
        return ERT_OK;
    }
    int axis;
    st = ert_norm_axis(k, ert_attr_int(k->node, "axis", 0), x->rank, "axis", &axis);
    if (st != ERT_OK || !k->shapes_only)
        return st;
    bool squeeze = !ert_in(k, 1) && ert_attr_int(k->node, "keepdims", 1) == 0;
    int64_t dims[ERT_MAX_RANK];
    int r = 0;
    for (int i = 0; i < x->rank; i++) {
        if (i != axis)
            dims[r++] = x->dims[i];
        else if (!squeeze)
            dims[r++] = ert_in(k, 1) ? ERT_DIM_UNKNOWN : 1;
    }
    desc_seq(ert_out(k, 0), x->dtype, r, dims);
    return ERT_OK;
}

ert_status ert_run_split_to_sequence(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    int axis;
    ert_status st = ert_norm_axis(k, ert_attr_int(k->node, "axis", 0), x->rank, "axis", &axis);
    if (st != ERT_OK)
        return st;
    bool squeeze = !ert_in(k, 1) && ert_attr_int(k->node, "keepdims", 1) == 0;
    int64_t *len, n;
    st = split_lengths(k, x->dims[axis], &len, &n);
    if (st != ERT_OK)
        return st;
    ert_tensor *o = k->out[0];
    ert_seq_reset(o, x->dtype);
    /* outer x [axis] x inner, bytes */
    int64_t outer = 1, inner = (int64_t)ert_dtype_size_(x->dtype);
    for (int i = 0; i < axis; i++)
        outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        inner *= x->dims[i];
    ert_tensor piece;
    memset(&piece, 0, sizeof piece);
    int64_t off = 0;
    for (int64_t p = 0; p < n && st == ERT_OK; p++) {
        int64_t dims[ERT_MAX_RANK];
        int r = 0;
        for (int i = 0; i < x->rank; i++) {
            if (i != axis)
                dims[r++] = x->dims[i];
            else if (!squeeze)
                dims[r++] = len[p];
        }
        piece.dtype = x->dtype;
        ert_tensor_set_shape(&piece, r, dims);
        if (ert_tensor_alloc(&piece) != ERT_OK) {
            st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate piece %lld", (long long)p);
            break;
        }
        size_t row = (size_t)(len[p] * inner), stride = (size_t)(x->dims[axis] * inner);
        for (int64_t b = 0; b < outer && row; b++)
            memcpy((char *)piece.data + (size_t)b * row,
                   (const char *)x->data + (size_t)b * stride + (size_t)(off * inner), row);
        off += len[p];
        st = insert_copy(k, o, p, &piece);
    }
    ert_tensor_free_data(&piece);
    free(len);
    return st;
}

/* ---- ConcatFromSequence ---- */

ert_status ert_infer_concat_from_sequence(ert_kctx *k)
{
    ert_status st = ert_check_inputs(k, 1, 1);
    if (st == ERT_OK)
        st = need_seq(k, 0, "input_sequence");
    if (st != ERT_OK)
        return st;
    if (!ert_node_attr(k->node, "axis"))
        return ert_op_fail(k, ERT_ERR_PARSE, "attribute 'axis' is required");
    if (!k->shapes_only)
        return ERT_OK;
    const ert_tensor *s = k->in[0];
    ert_tensor *o = k->out[0];
    o->dtype = s->dtype;
    int new_axis = ert_attr_int(k->node, "new_axis", 0) != 0;
    if (s->rank < 0 || s->rank + new_axis > ERT_MAX_RANK) {
        o->rank = -1;
        return ERT_OK;
    }
    int r = s->rank + new_axis, axis;
    st = ert_norm_axis(k, ert_attr_int(k->node, "axis", 0), r, "axis", &axis);
    if (st != ERT_OK)
        return st;
    o->rank = r;
    for (int i = 0, j = 0; i < r; i++) {
        if (i != axis || !new_axis)
            o->dims[i] = s->dims[j++];
        if (i == axis)
            o->dims[i] = ERT_DIM_UNKNOWN;
    }
    return ERT_OK;
}

ert_status ert_run_concat_from_sequence(ert_kctx *k)
{
    const ert_tensor *s = k->in[0];
    if (s->seq_len == 0)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "the sequence is empty: nothing to "
                           "concatenate");
    int new_axis = ert_attr_int(k->node, "new_axis", 0) != 0;
    const ert_tensor *e0 = &s->seq[0];
    int r = e0->rank + new_axis, axis;
    if (r == 0 || r > ERT_MAX_RANK)
        return ert_op_fail(k, ERT_ERR_SHAPE, "elements of rank %d cannot be concatenated%s",
                           e0->rank, new_axis ? " with new_axis" : "");
    ert_status st = ert_norm_axis(k, ert_attr_int(k->node, "axis", 0), r, "axis", &axis);
    if (st != ERT_OK)
        return st;
    int64_t total = 0;
    for (int64_t i = 0; i < s->seq_len; i++) {
        const ert_tensor *e = &s->seq[i];
        bool ok = e->rank == e0->rank && e->dtype == e0->dtype;
        for (int d = 0; ok && d < e->rank; d++)
            ok = e->dims[d] == e0->dims[d] || (!new_axis && d == axis);
        if (!ok) {
            char a[96], b[96];
            return ert_op_fail(k, ERT_ERR_SHAPE, "element %lld has shape %s but element 0 has "
                               "%s: they must match except on axis %d", (long long)i,
                               ert_shape_str(e, NULL, a, sizeof a),
                               ert_shape_str(e0, NULL, b, sizeof b), axis);
        }
        int64_t add = new_axis ? 1 : e->dims[axis];
        if (__builtin_add_overflow(total, add, &total))
            return ert_op_fail(k, ERT_ERR_NO_MEMORY, "output size overflows");
    }
    int64_t dims[ERT_MAX_RANK];
    for (int i = 0, j = 0; i < r; i++) {
        if (i != axis || !new_axis)
            dims[i] = e0->dims[j++];
        if (i == axis)
            dims[i] = total;
    }
    st = alloc_dense(k, 0, e0->dtype, r, dims);
    if (st != ERT_OK)
        return st;
    ert_tensor *o = k->out[0];
    int64_t outer = 1;
    for (int i = 0; i < axis; i++)
        outer *= dims[i];
    size_t out_row = outer ? o->nbytes / (size_t)outer : 0, pos = 0;
    for (int64_t i = 0; i < s->seq_len; i++) {
        const ert_tensor *e = &s->seq[i];
        size_t row = outer ? e->nbytes / (size_t)outer : 0;
        for (int64_t b = 0; b < outer && row; b++)
            memcpy((char *)o->data + (size_t)b * out_row + pos,
                   (const char *)e->data + (size_t)b * row, row);
        pos += row;
    }
    return ERT_OK;
}

/* ---- SequenceMap ---- */

/* Inputs: a sequence, then sequences (same length) or tensors, then captures. Body
 * inputs: one element of each sequence / the tensor; each body output is appended to
 * the matching output sequence. */
ert_status ert_infer_sequence_map(ert_kctx *k)
{
    const ert_graph *body = ert_node_subgraph(k->node, "body");
    if (!body)
        return ert_op_fail(k, ERT_ERR_PARSE, "graph attribute 'body' is missing");
    int ne = k->n_in - k->node->n_captures;
    if (ne < 1)
        return ert_op_fail(k, ERT_ERR_PARSE, "needs at least one input");
    ert_status st = need_seq(k, 0, "input_sequence");
    if (st != ERT_OK)
        return st;
    if (body->n_inputs != ne || body->n_outputs != k->n_out)
        return ert_op_fail(k, ERT_ERR_PARSE, "body has %d inputs and %d outputs; the node has "
                           "%d inputs and %d outputs", body->n_inputs, body->n_outputs, ne,
                           k->n_out);
    for (int i = 1; i < ne; i++)
        if (!k->in[i] || k->in[i]->is_none)
            return ert_op_fail(k, ERT_ERR_PARSE, "input %d is missing", i);
    if (!k->shapes_only) {
        for (int i = 1; i < ne; i++)
            if (k->in[i]->kind == ERT_TENSOR_SEQUENCE && k->in[i]->seq_len != k->in[0]->seq_len)
                return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "input %d has %lld elements but "
                                   "input 0 has %lld", i, (long long)k->in[i]->seq_len,
                                   (long long)k->in[0]->seq_len);
        return ERT_OK;
    }
    for (int i = 0; i < k->n_out; i++) {
        const ert_tensor *e = &body->values[body->outputs[i]].t;
        desc_seq(ert_out(k, i), e->dtype, e->rank, e->dims);
    }
    return ERT_OK;
}

ert_status ert_run_sequence_map(ert_kctx *k)
{
    const ert_graph *body = ert_node_subgraph(k->node, "body");
    int ne = k->n_in - k->node->n_captures;
    int64_t n = k->in[0]->seq_len;
    ert_tensor **formal = calloc((size_t)ne + 1, sizeof(ert_tensor *));
    ert_subgraph_exec x;
    ert_status st = ert_subgraph_exec_init(&x, body, k->err);
    if (st == ERT_OK && !formal)
        st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    for (int j = 0; j < k->n_out && st == ERT_OK; j++) {
        const ert_tensor *e = &body->values[body->outputs[j]].t;
        if (k->out[j])
            ert_seq_reset(k->out[j], e->dtype);
    }
    for (int64_t it = 0; it < n && st == ERT_OK; it++) {
        for (int i = 0; i < ne; i++)
            formal[i] = k->in[i]->kind == ERT_TENSOR_SEQUENCE ? &k->in[i]->seq[it] : k->in[i];
        st = ert_subgraph_exec_run(&x, ne, formal, k);
        if (st != ERT_OK) {
            ert_err_prefix(k->err, "SequenceMap node '%s' element %lld: ", k->node->name,
                           (long long)it);
            break;
        }
        for (int j = 0; j < k->n_out && st == ERT_OK; j++) {
            ert_tensor *o = k->out[j];
            const ert_tensor *r = ert_subgraph_exec_output(&x, j);
            if (!o)
                continue;
            if (!ert_tensor_is_dense(r))
                st = ert_op_fail(k, ERT_ERR_UNSUPPORTED, "body output %d is %s: SequenceMap "
                                 "collects tensors only", j, ert_tensor_kind_str(r));
            else if (o->seq_len && r->dtype != o->dtype)
                st = ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "body output %d changed type "
                                 "from %s to %s", j, ert_dtype_name(o->dtype),
                                 ert_dtype_name(r->dtype));
            else {
                o->dtype = r->dtype;
                st = insert_copy(k, o, o->seq_len, r);
            }
        }
    }
    ert_subgraph_exec_free(&x);
    free(formal);
    return st;
}

/* ---- Optional ---- */

ert_status ert_infer_optional(ert_kctx *k)
{
    const ert_tensor *x = ert_in(k, 0);
    const ert_attr *ty = ert_node_attr(k->node, "type");
    if (!x && (!ty || ty->type != ERT_ATTR_TYPE_PROTO || !ty->t))
        return ert_op_fail(k, ERT_ERR_PARSE, "without an input the 'type' attribute is required");
    if (x && x->is_none)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "input is already an optional");
    if (!k->shapes_only)
        return ERT_OK;
    ert_tensor *o = k->out[0];
    const ert_tensor *d = x ? x : ty->t;
    o->kind = d->kind;
    o->dtype = d->dtype;
    o->is_optional = true;
    ert_tensor_set_shape(o, d->rank, d->dims);
    return ERT_OK;
}

ert_status ert_run_optional(ert_kctx *k)
{
    const ert_tensor *x = ert_in(k, 0);
    if (x)
        return copy_out(k, 0, x);
    const ert_tensor *d = ert_node_attr(k->node, "type")->t;
    ert_tensor_set_none(k->out[0], d->kind, d->dtype);
    return ERT_OK;
}

/* ---- OptionalHasElement / OptionalGetElement ---- */

ert_status ert_infer_optional_has_element(ert_kctx *k)
{
    if (k->n_in > 1)
        return ert_op_fail(k, ERT_ERR_PARSE, "has %d inputs, expected at most 1", k->n_in);
    if (k->version < 18 && !ert_in(k, 0))
        return ert_op_fail(k, ERT_ERR_PARSE, "input is required before opset 18");
    if (k->shapes_only)
        ert_set_out(k->out[0], ERT_DTYPE_BOOL, 0, NULL);
    return ERT_OK;
}

ert_status ert_run_optional_has_element(ert_kctx *k)
{
    const ert_tensor *x = ert_in(k, 0);
    ert_status st = alloc_dense(k, 0, ERT_DTYPE_BOOL, 0, NULL);
    if (st == ERT_OK)
        *(uint8_t *)k->out[0]->data = x && !x->is_none;
    return st;
}

ert_status ert_infer_optional_get_element(ert_kctx *k)
{
    ert_status st = ert_check_inputs(k, 1, 1);
    if (st != ERT_OK)
        return st;
    const ert_tensor *x = k->in[0];
    if (!k->shapes_only) {
        if (x->is_none)
            return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "the optional input is empty");
        return ERT_OK;
    }
    ert_tensor *o = k->out[0];
    o->kind = x->kind;
    o->dtype = x->dtype;
    ert_tensor_set_shape(o, x->rank, x->dims);
    return ERT_OK;
}

ert_status ert_run_optional_get_element(ert_kctx *k)
{
    ert_status st = copy_out(k, 0, k->in[0]);
    if (st == ERT_OK)
        k->out[0]->is_optional = false;
    return st;
}
