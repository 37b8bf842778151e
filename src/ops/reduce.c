/*
 * reduce.c - the Reduce* family and CumSum.
 *
 * Reduce{Sum,Mean,Max,Min,Prod,L1,L2,LogSum,LogSumExp,SumSquare} share one kernel.
 * Axes come from the `axes` attribute before the version where they became input 1
 * (ReduceSum: 13, the others: 18); from then on an absent or empty axes input means
 * "all axes", or, when noop_with_empty_axes = 1, no axes (the identity, except that the
 * composite reductions still apply their element-wise steps: see composite_reduce).
 *
 * The kernel walks the input once, in memory order, one innermost row at a time, and
 * folds each row into an accumulator array the size of the output (the output offset
 * of a row comes from an odometer over the outer dims, with stride 0 on reduced dims).
 * That keeps every access sequential whatever axes are reduced. Accumulation is in
 * double for float dtypes, and in wrapping 64-bit integers for integer dtypes (exact,
 * as numpy). Reducing over an empty set gives the identity: 0 for sums, 1 for Prod,
 * -inf / +inf (the dtype's min / max for integers) for Max / Min, -inf for LogSum(Exp),
 * NaN for Mean.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/scratch.h"

/* What is accumulated per output element. */
typedef enum {
    ACC_SUM,    /* x */
    ACC_SUMSQ,  /* x*x */
    ACC_ABS,    /* |x| */
    ACC_MAX,
    ACC_MIN,
    ACC_PROD,
    ACC_SUMEXP  /* exp(x - shift[o]) (LogSumExp second pass) */
} acc_kind;



/* Smallest / largest value of an integer dtype, as the int64 bit pattern. */
static int64_t int_min_of(ert_dtype t)
{
    switch (t) {
    case ERT_DTYPE_INT8: return INT8_MIN;
    case ERT_DTYPE_INT16: return INT16_MIN;
    case ERT_DTYPE_INT32: return INT32_MIN;
    case ERT_DTYPE_INT64: return INT64_MIN;
    default: return 0; /* unsigned, bool */
    }
}

static int64_t int_max_of(ert_dtype t)
{
    switch (t) {
    case ERT_DTYPE_INT8: return INT8_MAX;
    case ERT_DTYPE_UINT8: return UINT8_MAX;
    case ERT_DTYPE_INT16: return INT16_MAX;
    case ERT_DTYPE_UINT16: return UINT16_MAX;
    case ERT_DTYPE_INT32: return INT32_MAX;
    case ERT_DTYPE_UINT32: return UINT32_MAX;
    case ERT_DTYPE_INT64: return INT64_MAX;
    case ERT_DTYPE_UINT64: return -1; /* all ones */
    case ERT_DTYPE_BOOL: return 1;
    default: return 0;
    }
}

/* Version where axes moved from attribute to input 1. */
static int axes_input_version(const ert_kctx *k)
{
    return k->node->op->id == ERT_OP_REDUCE_SUM ? 13 : 18;
}

/* Reduce{L1,L2,LogSum,LogSumExp,SumSquare} are composites (an element-wise step around a
 * sum). With noop_with_empty_axes = 1 and no axes the ONNX text (1.19 on; ONNX Runtime
 * 1.30 agrees) keeps their element-wise steps: |x|, sqrt(x^2), log(x), log(exp(x)),
 * x^2, i.e. a reduction over the empty set of axes, not a copy. Sum/Mean/Max/Min/Prod
 * over one element are the identity, so those copy. */
static bool composite_reduce(const ert_kctx *k)
{
    switch (k->node->op->id) {
    case ERT_OP_REDUCE_L1: case ERT_OP_REDUCE_L2: case ERT_OP_REDUCE_LOG_SUM:
    case ERT_OP_REDUCE_LOG_SUM_EXP: case ERT_OP_REDUCE_SUM_SQUARE:
        return true;
    default:
        return false;
    }
}

ert_status ert_reduce_axes(ert_kctx *k, int rank, bool *mask, bool *noop, bool *known)
{
    int64_t axes[ERT_MAX_RANK * 4];
    int64_t n = -1;
    *noop = false;
    *known = true;
    if (k->version >= axes_input_version(k)) {
        if (ert_in(k, 1)) {
            ert_status s = ert_input_ints(k, 1, axes, ERT_MAX_RANK * 4, &n);
            if (s)
                return s;
            if (n < 0) {
                *known = false;
                return ERT_OK;
            }
        }
        if (n <= 0 && ert_attr_int(k->node, "noop_with_empty_axes", 0) != 0) {
            if (!composite_reduce(k)) {
                *noop = true;
                return ERT_OK;
            }
            /* a reduction over the empty set of axes: every element is its own group */
            for (int d = 0; d < rank; d++)
                mask[d] = false;
            return ERT_OK;
        }
    } else {
        const int64_t *v;
        n = ert_attr_ints(k->node, "axes", &v);
        if (n > ERT_MAX_RANK * 4)
            return ert_op_fail(k, ERT_ERR_SHAPE, "has %lld axes, at most %d allowed",
                               (long long)n, ERT_MAX_RANK * 4);
        if (n > 0)
            memcpy(axes, v, sizeof(int64_t) * (size_t)n);
    }
    for (int d = 0; d < rank; d++)
        mask[d] = n <= 0; /* none given: reduce all */
    for (int64_t i = 0; i < n; i++) {
        int a;
        ert_status s = ert_norm_axis(k, axes[i], rank, "axes entry", &a);
        if (s)
            return s;
        mask[a] = true; /* duplicates are harmless */
    }
    return ERT_OK;
}

ert_status ert_infer_reduce(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 1, 2);
    if (s)
        return s;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    if (!ert_dtype_is_float(x->dtype) && !ert_dtype_is_int_or_bool(x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported",
                           ert_dtype_name(x->dtype));
    y->dtype = x->dtype;
    bool keep = ert_attr_int(k->node, "keepdims", 1) != 0;
    if (x->rank < 0) {
        y->rank = -1;
        return ERT_OK;
    }
    bool mask[ERT_MAX_RANK], noop, known;
    s = ert_reduce_axes(k, x->rank, mask, &noop, &known);
    if (s)
        return s;
    if (noop) {
        ert_tensor_set_shape(y, x->rank, x->dims);
        return ERT_OK;
    }
    if (!known) {
        if (!keep) {
            y->rank = -1;
            return ERT_OK;
        }
        y->rank = x->rank;
        for (int d = 0; d < x->rank; d++)
            y->dims[d] = x->dims[d] == 1 ? 1 : ERT_DIM_UNKNOWN;
        return ERT_OK;
    }
    int64_t dims[ERT_MAX_RANK];
    int r = 0;
    for (int d = 0; d < x->rank; d++) {
        if (!mask[d])
            dims[r++] = x->dims[d];
        else if (keep)
            dims[r++] = 1;
    }
    ert_tensor_set_shape(y, r, dims);
    return ERT_OK;
}

/* Folds one input row (len L, as doubles) into acc. red_inner: the row's dim is reduced,
 * so all of it goes to acc[0]; else element j goes to acc[j]. */
static void fold_row_f(acc_kind kind, double *acc, const double *row, int64_t L, bool red_inner,
                       double shift)
{
    if (red_inner) {
        double a = acc[0];
        switch (kind) {
        case ACC_SUM: for (int64_t j = 0; j < L; j++) a += row[j]; break;
        case ACC_SUMSQ: for (int64_t j = 0; j < L; j++) a += row[j] * row[j]; break;
        case ACC_ABS: for (int64_t j = 0; j < L; j++) a += fabs(row[j]); break;
        case ACC_PROD: for (int64_t j = 0; j < L; j++) a *= row[j]; break;
        case ACC_SUMEXP: for (int64_t j = 0; j < L; j++) a += exp(row[j] - shift); break;
        case ACC_MAX:
            for (int64_t j = 0; j < L; j++)
                if (row[j] > a || isnan(row[j]))
                    a = row[j];
            break;
        case ACC_MIN:
            for (int64_t j = 0; j < L; j++)
                if (row[j] < a || isnan(row[j]))
                    a = row[j];
            break;
        }
        acc[0] = a;
        return;
    }
    switch (kind) {
    case ACC_SUM: for (int64_t j = 0; j < L; j++) acc[j] += row[j]; break;
    case ACC_SUMSQ: for (int64_t j = 0; j < L; j++) acc[j] += row[j] * row[j]; break;
    case ACC_ABS: for (int64_t j = 0; j < L; j++) acc[j] += fabs(row[j]); break;
    case ACC_PROD: for (int64_t j = 0; j < L; j++) acc[j] *= row[j]; break;
    case ACC_SUMEXP: break; /* needs a per-element shift: handled by fold_row_sumexp */
    case ACC_MAX:
        for (int64_t j = 0; j < L; j++)
            if (row[j] > acc[j] || isnan(row[j]))
                acc[j] = row[j];
        break;
    case ACC_MIN:
        for (int64_t j = 0; j < L; j++)
            if (row[j] < acc[j] || isnan(row[j]))
                acc[j] = row[j];
        break;
    }
}

static inline bool ult(int64_t a, int64_t b, bool uns)
{
    return uns ? (uint64_t)a < (uint64_t)b : a < b;
}

/* Integer version of fold_row_f (no SUMEXP). Sums wrap modulo 2^64. */
static void fold_row_i(acc_kind kind, int64_t *acc, const int64_t *row, int64_t L, bool red_inner,
                       bool uns)
{
    for (int64_t j = 0; j < L; j++) {
        int64_t *a = red_inner ? &acc[0] : &acc[j];
        uint64_t v = (uint64_t)row[j];
        switch (kind) {
        case ACC_SUM: *a = (int64_t)((uint64_t)*a + v); break;
        case ACC_SUMSQ: *a = (int64_t)((uint64_t)*a + v * v); break;
        case ACC_ABS:
            *a = (int64_t)((uint64_t)*a + (!uns && row[j] < 0 ? (uint64_t)0 - v : v));
            break;
        case ACC_PROD: *a = (int64_t)((uint64_t)*a * v); break;
        case ACC_MAX: if (ult(*a, row[j], uns)) *a = row[j]; break;
        case ACC_MIN: if (ult(row[j], *a, uns)) *a = row[j]; break;
        case ACC_SUMEXP: break;
        }
    }
}

typedef struct reduce_plan {
    int rank;                   /* >= 1 (a scalar is treated as [1]) */
    int64_t dims[ERT_MAX_RANK];
    int64_t ostr[ERT_MAX_RANK]; /* output element stride per input dim; 0 if reduced */
    bool red_inner;             /* innermost dim is reduced */
    int64_t n_rows, L;          /* rows of the innermost dim and their length */
} reduce_plan;

/* One pass over the input. Float path: accf (+ shift for SUMEXP); integer path: acci. */
static ert_status reduce_pass(const reduce_plan *p, acc_kind kind, const ert_tensor *x,
                              double *accf, const double *shift, int64_t *acci, void *rowbuf)
{
    ert_dtype dt = x->dtype;
    bool uns = ert_dtype_is_unsigned(dt);
    int64_t idx[ERT_MAX_RANK] = {0};
    int64_t o = 0;
    for (int64_t r = 0; r < p->n_rows; r++) {
        int64_t base = r * p->L;
        if (acci) {
            int64_t *row = rowbuf;
            for (int64_t j = 0; j < p->L; j++)
                row[j] = ert_load_i64(dt, x->data, base + j);
            fold_row_i(kind, acci + o, row, p->L, p->red_inner, uns);
        } else {
            double *row = rowbuf;
            if (dt == ERT_DTYPE_FLOAT32)
                for (int64_t j = 0; j < p->L; j++)
                    row[j] = ((const float *)x->data)[base + j];
            else
                for (int64_t j = 0; j < p->L; j++)
                    row[j] = ert_load_f64(dt, x->data, base + j);
            if (kind == ACC_SUMEXP && !p->red_inner) {
                for (int64_t j = 0; j < p->L; j++)
                    accf[o + j] += exp(row[j] - shift[o + j]);
            } else {
                fold_row_f(kind, accf + o, row, p->L, p->red_inner, shift ? shift[o] : 0.0);
            }
        }
        /* odometer over dims [0, rank-1) */
        for (int d = p->rank - 2; d >= 0; d--) {
            idx[d]++;
            o += p->ostr[d];
            if (idx[d] < p->dims[d])
                break;
            o -= p->ostr[d] * idx[d];
            idx[d] = 0;
        }
    }
    return ERT_OK;
}

ert_status ert_run_reduce(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int op = k->node->op->id;
    bool mask[ERT_MAX_RANK], noop, known;
    ert_status s = ert_reduce_axes(k, x->rank, mask, &noop, &known);
    if (s)
        return s;
    if (noop) {
        if (y->nbytes && x->data != y->data)
            memcpy(y->data, x->data, y->nbytes);
        return ERT_OK;
    }
    reduce_plan p;
    p.rank = x->rank;
    if (p.rank == 0) {
        p.rank = 1;
        p.dims[0] = 1;
        mask[0] = false;
    } else {
        memcpy(p.dims, x->dims, sizeof(int64_t) * (size_t)p.rank);
    }
    /* output strides in the keepdims layout (same element order either way) */
    int64_t n_out = 1, n_red = 1;
    for (int d = p.rank - 1; d >= 0; d--) {
        if (mask[d]) {
            p.ostr[d] = 0;
            n_red *= p.dims[d];
        } else {
            p.ostr[d] = n_out;
            n_out *= p.dims[d];
        }
    }
    if (n_out == 0)
        return ERT_OK;
    p.L = p.dims[p.rank - 1];
    p.red_inner = mask[p.rank - 1];
    int64_t n_in = n_out * n_red;
    p.n_rows = p.L ? n_in / p.L : 0;

    acc_kind kind;
    switch (op) {
    case ERT_OP_REDUCE_SUM: case ERT_OP_REDUCE_MEAN: case ERT_OP_REDUCE_LOG_SUM:
        kind = ACC_SUM; break;
    case ERT_OP_REDUCE_SUM_SQUARE: case ERT_OP_REDUCE_L2: kind = ACC_SUMSQ; break;
    case ERT_OP_REDUCE_L1: kind = ACC_ABS; break;
    case ERT_OP_REDUCE_MAX: case ERT_OP_REDUCE_LOG_SUM_EXP: kind = ACC_MAX; break;
    case ERT_OP_REDUCE_MIN: kind = ACC_MIN; break;
    case ERT_OP_REDUCE_PROD: kind = ACC_PROD; break;
    default:
        return ert_op_fail(k, ERT_ERR_INTERNAL, "not a reduce op");
    }
    ert_dtype dt = x->dtype;
    bool int_path = ert_dtype_is_int_or_bool(dt) && op != ERT_OP_REDUCE_LOG_SUM &&
                    op != ERT_OP_REDUCE_LOG_SUM_EXP;
    size_t esz = int_path ? sizeof(int64_t) : sizeof(double);
    void *acc = ert_tmp_alloc(esz * (size_t)n_out);
    double *shift = NULL;
    void *rowbuf = ert_tmp_alloc(esz * (size_t)(p.L ? p.L : 1));
    if (!acc || !rowbuf) {
        ert_tmp_free(acc);
        ert_tmp_free(rowbuf);
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for %lld accumulators",
                           (long long)n_out);
    }
    if (int_path) {
        int64_t *a = acc;
        int64_t init = kind == ACC_PROD ? 1 : kind == ACC_MAX ? int_min_of(dt)
                     : kind == ACC_MIN ? int_max_of(dt) : 0;
        for (int64_t i = 0; i < n_out; i++)
            a[i] = init;
        reduce_pass(&p, kind, x, NULL, NULL, a, rowbuf);
        bool uns = ert_dtype_is_unsigned(dt);
        for (int64_t i = 0; i < n_out; i++) {
            int64_t v = a[i];
            if (op == ERT_OP_REDUCE_MEAN)
                v = n_red == 0 ? 0 : uns ? (int64_t)((uint64_t)v / (uint64_t)n_red) : v / n_red;
            else if (op == ERT_OP_REDUCE_L2)
                v = (int64_t)sqrt(uns ? (double)(uint64_t)v : (double)v);
            ert_store_i64(dt, y->data, i, v);
        }
    } else {
        double *a = acc;
        double init = kind == ACC_PROD ? 1.0 : kind == ACC_MAX ? -INFINITY
                    : kind == ACC_MIN ? INFINITY : 0.0;
        for (int64_t i = 0; i < n_out; i++)
            a[i] = init;
        reduce_pass(&p, kind, x, a, NULL, NULL, rowbuf);
        if (op == ERT_OP_REDUCE_LOG_SUM_EXP) {
            /* second pass: sum of exp(x - max), max kept as the shift */
            shift = a;
            a = ert_tmp_alloc(sizeof(double) * (size_t)n_out);
            if (!a) {
                ert_tmp_free(shift);
                ert_tmp_free(rowbuf);
                return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for %lld accumulators",
                                   (long long)n_out);
            }
            acc = a;
            for (int64_t i = 0; i < n_out; i++) {
                if (!isfinite(shift[i]))
                    shift[i] = 0.0;
                a[i] = 0.0;
            }
            reduce_pass(&p, ACC_SUMEXP, x, a, shift, NULL, rowbuf);
        }
        for (int64_t i = 0; i < n_out; i++) {
            double v = a[i];
            switch (op) {
            case ERT_OP_REDUCE_MEAN: v = v / (double)n_red; break;
            case ERT_OP_REDUCE_L2: v = sqrt(v); break;
            case ERT_OP_REDUCE_LOG_SUM: v = log(v); break;
            case ERT_OP_REDUCE_LOG_SUM_EXP: v = log(v) + shift[i]; break;
            default: break;
            }
            if (dt == ERT_DTYPE_FLOAT32)
                ((float *)y->data)[i] = (float)v;
            else if (ert_dtype_is_int_or_bool(dt))
                ert_store_i64(dt, y->data, i, isfinite(v) ? (int64_t)v : 0);
            else
                ert_store_f64(dt, y->data, i, v);
        }
    }
    ert_tmp_free(shift);
    ert_tmp_free(acc);
    ert_tmp_free(rowbuf);
    return ERT_OK;
}

/* ------------------------------------------------------------------------------------ */
/* CumSum and CumProd: one scan along an axis, + or *                                   */

static ert_status cum_infer(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, 2, 2);
    if (s)
        return s;
    const ert_tensor *x = k->in[0], *ax = k->in[1];
    bool prod = k->node->op->id == ERT_OP_CUM_PROD;
    if ((!ert_dtype_is_float(x->dtype) && !ert_dtype_is_int_or_bool(x->dtype)) ||
        (prod && x->dtype == ERT_DTYPE_BOOL))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "dtype %s is not supported",
                           ert_dtype_name(x->dtype));
    if (ax->rank > 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "axis must be a scalar or 1-element 1-D tensor, "
                           "got rank %d", ax->rank);
    if (x->rank >= 0 && ax->data) {
        int64_t a;
        int64_t n;
        s = ert_input_ints(k, 1, &a, 1, &n);
        if (s)
            return s;
        if (n == 1) {
            int an;
            s = ert_norm_axis(k, a, x->rank, "axis", &an);
            if (s)
                return s;
        }
    }
    ert_set_out(k->out[0], x->dtype, x->rank, x->dims);
    return ERT_OK;
}

ert_status ert_infer_cumsum(ert_kctx *k)
{
    return cum_infer(k);
}

ert_status ert_infer_cumprod(ert_kctx *k)
{
    return cum_infer(k);
}

/* y[j] = x[0] op ... op x[j] along the axis (exclusive: up to x[j-1]; reverse: from the
 * end). One running value per inner position, so the walk along the axis is row by row;
 * integers accumulate in uint64 and wrap like the C types do. */
static ert_status cum_run(ert_kctx *k, bool prod)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int64_t a, n;
    ert_status s = ert_input_ints(k, 1, &a, 1, &n);
    if (s)
        return s;
    if (n != 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "axis input must hold exactly one value, got %lld",
                           (long long)n);
    int axis;
    if (prod && x->rank == 0) {
        /* a scalar has no axis; accept 0/-1 and copy (the product of one element) */
        if (a != 0 && a != -1)
            return ert_op_fail(k, ERT_ERR_SHAPE, "axis %lld is out of range for a scalar",
                               (long long)a);
        memcpy(y->data, x->data, ert_dtype_size_(x->dtype));
        return ERT_OK;
    }
    s = ert_norm_axis(k, a, x->rank, "axis", &axis);
    if (s)
        return s;
    bool exclusive = ert_attr_int(k->node, "exclusive", 0) != 0;
    bool reverse = ert_attr_int(k->node, "reverse", 0) != 0;
    int64_t outer = 1, len = x->dims[axis], inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= x->dims[d];
    for (int d = axis + 1; d < x->rank; d++)
        inner *= x->dims[d];
    if (outer == 0 || len == 0 || inner == 0)
        return ERT_OK;
    ert_dtype dt = x->dtype;
    bool ints = ert_dtype_is_int_or_bool(dt);
    void *run = ert_tmp_alloc((size_t)inner * (ints ? sizeof(uint64_t) : sizeof(double)));
    if (!run)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for %lld running values",
                           (long long)inner);
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t t = 0; t < inner; t++) {
            if (ints)
                ((uint64_t *)run)[t] = prod ? 1 : 0;
            else
                ((double *)run)[t] = prod ? 1.0 : 0.0;
        }
        for (int64_t jj = 0; jj < len; jj++) {
            int64_t j = reverse ? len - 1 - jj : jj;
            int64_t base = (o * len + j) * inner;
            if (ints) {
                uint64_t *r = run;
                for (int64_t t = 0; t < inner; t++) {
                    uint64_t v = (uint64_t)ert_load_i64(dt, x->data, base + t);
                    uint64_t prev = r[t];
                    r[t] = prod ? r[t] * v : r[t] + v;
                    ert_store_i64(dt, y->data, base + t, (int64_t)(exclusive ? prev : r[t]));
                }
            } else {
                double *r = run;
                for (int64_t t = 0; t < inner; t++) {
                    double v = dt == ERT_DTYPE_FLOAT32 ? ((const float *)x->data)[base + t]
                                                       : ert_load_f64(dt, x->data, base + t);
                    double prev = r[t];
                    r[t] = prod ? r[t] * v : r[t] + v;
                    double outv = exclusive ? prev : r[t];
                    if (dt == ERT_DTYPE_FLOAT32)
                        ((float *)y->data)[base + t] = (float)outv;
                    else
                        ert_store_f64(dt, y->data, base + t, outv);
                }
            }
        }
    }
    ert_tmp_free(run);
    return ERT_OK;
}

ert_status ert_run_cumsum(ert_kctx *k)
{
    return cum_run(k, false);
}

ert_status ert_run_cumprod(ert_kctx *k)
{
    return cum_run(k, true);
}
