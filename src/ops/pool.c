/*
 * pool.c - MaxPool (with optional Indices), AveragePool, LpPool and their Global*
 * forms, for any spatial rank: kernel_shape, strides, pads, auto_pad, dilations,
 * ceil_mode, count_include_pad, storage_order.
 *
 * The windowed kernel walks every output position and, per spatial axis, computes the
 * range of kernel taps that land inside the input, so padding is never materialised and
 * no tap is bounds-checked twice. Pools are a small share of a CNN's time, so one
 * dtype-generic kernel (values read as double; float32 read directly) serves all types;
 * max of integers stays exact in double.
 */
#include <math.h>
#include <string.h>

#include "ops/op.h"

#define POOL_MAX_ATTR ((int64_t)1 << 32)

enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };
enum { POOL_MAX, POOL_AVG, POOL_LP };

typedef struct pool_geom {
    int nsp;                    /* spatial axes */
    int kind;                   /* POOL_* */
    int auto_pad;               /* PAD_* */
    bool ceil_mode;
    bool count_include_pad;
    int storage_order;          /* MaxPool Indices: 0 row-major, 1 column-major */
    double p;                   /* LpPool exponent */
    int64_t in[ERT_MAX_RANK], out[ERT_MAX_RANK], k[ERT_MAX_RANK], s[ERT_MAX_RANK];
    int64_t d[ERT_MAX_RANK], pb[ERT_MAX_RANK], pe[ERT_MAX_RANK];
} pool_geom;

static int pool_kind(const ert_kctx *k)
{
    int id = k->node->op->id;
    if (id == ERT_OP_MAX_POOL || id == ERT_OP_GLOBAL_MAX_POOL)
        return POOL_MAX;
    if (id == ERT_OP_LP_POOL || id == ERT_OP_GLOBAL_LP_POOL)
        return POOL_LP;
    return POOL_AVG;
}

static bool pool_dtype_ok(const ert_kctx *k, ert_dtype t)
{
    if (ert_dtype_is_float(t) || t == ERT_DTYPE_UNDEFINED)
        return true;
    /* MaxPool-12 added int8/uint8. */
    return k->node->op->id == ERT_OP_MAX_POOL && (t == ERT_DTYPE_INT8 || t == ERT_DTYPE_UINT8);
}


/* LpPool's p: a float attribute in version 1, an int from version 2 on. */
static double lp_exponent(const ert_kctx *k)
{
    const ert_attr *a = ert_node_attr(k->node, "p");
    if (!a)
        return 2.0;
    return a->type == ERT_ATTR_FLOAT ? (double)a->f : (double)a->i;
}

static ert_status read_pool_attrs(ert_kctx *k, pool_geom *g)
{
    ert_status st;
    int n = g->nsp;
    const char *ap = ert_attr_string(k->node, "auto_pad", "NOTSET");
    if (!strcmp(ap, "NOTSET") || !strcmp(ap, ""))
        g->auto_pad = PAD_NOTSET;
    else if (!strcmp(ap, "SAME_UPPER"))
        g->auto_pad = PAD_SAME_UPPER;
    else if (!strcmp(ap, "SAME_LOWER"))
        g->auto_pad = PAD_SAME_LOWER;
    else if (!strcmp(ap, "VALID"))
        g->auto_pad = PAD_VALID;
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "auto_pad '%s' is unknown; use NOTSET, "
                           "SAME_UPPER, SAME_LOWER or VALID", ap);
    const int64_t *ks;
    int64_t nk = ert_attr_ints(k->node, "kernel_shape", &ks);
    if (nk < 0)
        return ert_op_fail(k, ERT_ERR_PARSE, "required attribute kernel_shape is missing");
    if ((st = ert_attr_ints_n(k, "kernel_shape", n, 1, 1, POOL_MAX_ATTR, g->k)) ||
        (st = ert_attr_ints_n(k, "strides", n, 1, 1, POOL_MAX_ATTR, g->s)))
        return st;
    /* dilations: MaxPool >= 10, AveragePool >= 19, LpPool >= 18 */
    if ((st = ert_attr_ints_n(k, "dilations", n, 1, 1, POOL_MAX_ATTR, g->d)))
        return st;
    int64_t pads[2 * ERT_MAX_RANK];
    if ((st = ert_attr_ints_n(k, "pads", 2 * n, 0, 0, POOL_MAX_ATTR, pads)))
        return st;
    for (int i = 0; i < n; i++) {
        g->pb[i] = pads[i];
        g->pe[i] = pads[n + i];
    }
    g->ceil_mode = ert_attr_int(k->node, "ceil_mode", 0) != 0;
    g->count_include_pad = ert_attr_int(k->node, "count_include_pad", 0) != 0;
    int64_t so = ert_attr_int(k->node, "storage_order", 0);
    if (so != 0 && so != 1)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "storage_order %lld is unknown (0 = row "
                           "major, 1 = column major)", (long long)so);
    g->storage_order = (int)so;
    g->p = lp_exponent(k);
    return ERT_OK;
}

/* Output size and pads of axis i. */
static ert_status pool_out_axis(ert_kctx *k, pool_geom *g, int i)
{
    g->out[i] = ERT_DIM_UNKNOWN;
    if (g->in[i] < 0)
        return ERT_OK;
    int64_t in = g->in[i], s = g->s[i];
    int64_t dk = (g->k[i] - 1) * g->d[i] + 1;
    if (g->auto_pad == PAD_SAME_UPPER || g->auto_pad == PAD_SAME_LOWER) {
        /* a negative total (stride > kernel) is kept, the windows then start inside the
         * input: docs/PADDING.md */
        g->out[i] = ert_same_pads(in, s, dk, g->auto_pad == PAD_SAME_UPPER, &g->pb[i],
                                  &g->pe[i]);
        return ERT_OK;
    }
    if (g->auto_pad == PAD_VALID)
        g->pb[i] = g->pe[i] = 0;
    int64_t span = in + g->pb[i] + g->pe[i] - dk;
    if (span < 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "spatial axis %d: input size %lld plus pads "
                           "(%lld, %lld) is smaller than the dilated kernel %lld", i,
                           (long long)in, (long long)g->pb[i], (long long)g->pe[i],
                           (long long)dk);
    int64_t out;
    if (g->ceil_mode && g->auto_pad == PAD_NOTSET) {
        out = (span + s - 1) / s + 1;
        /* the last window must start inside the input or the left padding */
        if ((out - 1) * s >= in + g->pb[i])
            out--;
    } else {
        out = span / s + 1;
    }
    g->out[i] = out;
    return ERT_OK;
}

ert_status ert_infer_pool(ert_kctx *k)
{
    ert_status st;
    if ((st = ert_check_inputs(k, 1, 1)))
        return st;
    const ert_tensor *x = k->in[0];
    if (!pool_dtype_ok(k, x->dtype))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "input dtype %s is not supported",
                           ert_dtype_name(x->dtype));
    ert_tensor *y = k->out[0], *ind = ert_out(k, 1);
    if (ind && k->node->op->id != ERT_OP_MAX_POOL)
        return ert_op_fail(k, ERT_ERR_PARSE, "has %d outputs, expected 1", k->n_out);
    y->dtype = x->dtype;
    if (ind)
        ind->dtype = ERT_DTYPE_INT64;
    if (x->rank < 0) {
        /* kernel_shape still tells the rank; every dim stays unknown */
        const int64_t *ks;
        int64_t nk = ert_attr_ints(k->node, "kernel_shape", &ks);
        int rank = nk >= 1 && nk + 2 <= ERT_MAX_RANK ? (int)nk + 2 : -1;
        int64_t dims[ERT_MAX_RANK];
        for (int i = 0; i < ERT_MAX_RANK; i++)
            dims[i] = ERT_DIM_UNKNOWN;
        ert_set_out(y, x->dtype, rank, dims);
        if (ind)
            ert_set_out(ind, ERT_DTYPE_INT64, rank, dims);
        return ERT_OK;
    }
    if (x->rank < 3)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input rank %d: expected [N, C, spatial...] with at "
                           "least one spatial axis", x->rank);
    pool_geom g = {.nsp = x->rank - 2};
    for (int i = 0; i < g.nsp; i++)
        g.in[i] = x->dims[2 + i] >= 0 ? x->dims[2 + i] : ERT_DIM_UNKNOWN;
    if ((st = read_pool_attrs(k, &g)))
        return st;
    int64_t dims[ERT_MAX_RANK];
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int i = 0; i < g.nsp; i++) {
        if ((st = pool_out_axis(k, &g, i)))
            return st;
        dims[2 + i] = g.out[i];
    }
    ert_set_out(y, x->dtype, x->rank, dims);
    if (ind)
        ert_set_out(ind, ERT_DTYPE_INT64, x->rank, dims);
    return ERT_OK;
}

static inline double ld(ert_dtype t, const void *p, int64_t i)
{
    return t == ERT_DTYPE_FLOAT32 ? (double)((const float *)p)[i] : ert_load_f64(t, p, i);
}

/* Pools one (n, c) plane: x and y are the plane bases (element offsets xo, yo into the
 * tensors), ind (may be NULL) receives flattened input indices with base offset xo. */
static void pool_plane(const pool_geom *g, ert_dtype dt, const void *x, int64_t xo, void *y,
                       int64_t yo, int64_t *ind)
{
    int n = g->nsp;
    int64_t istr[ERT_MAX_RANK], cstr[ERT_MAX_RANK]; /* row- and column-major strides */
    int64_t s = 1;
    for (int a = n - 1; a >= 0; a--) {
        istr[a] = s;
        s *= g->in[a];
    }
    s = 1;
    for (int a = 0; a < n; a++) {
        cstr[a] = s;
        s *= g->in[a];
    }
    int64_t opl = 1;
    for (int a = 0; a < n; a++)
        opl *= g->out[a];
    int64_t o[ERT_MAX_RANK] = {0};
    for (int64_t op = 0; op < opl; op++) {
        int64_t start[ERT_MAX_RANK], tlo[ERT_MAX_RANK], thi[ERT_MAX_RANK];
        int64_t cnt_valid = 1, cnt_pad = 1;
        for (int a = 0; a < n; a++) {
            start[a] = o[a] * g->s[a] - g->pb[a];
            /* taps t with 0 <= start + t*d < in */
            int64_t lo = start[a] >= 0 ? 0 : (-start[a] + g->d[a] - 1) / g->d[a];
            int64_t last = g->in[a] - 1 - start[a];
            int64_t hi = last < 0 ? 0 : last / g->d[a] + 1;
            if (hi > g->k[a])
                hi = g->k[a];
            if (hi < lo)
                hi = lo;
            tlo[a] = lo;
            thi[a] = hi;
            cnt_valid *= hi - lo;
            /* taps inside the padded extent [-pb, in + pe) */
            int64_t plo = start[a] >= -g->pb[a] ? 0
                          : (-g->pb[a] - start[a] + g->d[a] - 1) / g->d[a];
            int64_t plast = g->in[a] + g->pe[a] - 1 - start[a];
            int64_t phi = plast < 0 ? 0 : plast / g->d[a] + 1;
            if (phi > g->k[a])
                phi = g->k[a];
            cnt_pad *= phi > plo ? phi - plo : 0;
        }
        double acc = g->kind == POOL_MAX ? -INFINITY : 0.0;
        int64_t best = -1;
        if (cnt_valid > 0) {
            int64_t t[ERT_MAX_RANK];
            for (int a = 0; a < n; a++)
                t[a] = tlo[a];
            for (;;) {
                int64_t xi = 0;
                for (int a = 0; a < n; a++)
                    xi += (start[a] + t[a] * g->d[a]) * istr[a];
                double v = ld(dt, x, xo + xi);
                if (g->kind == POOL_MAX) {
                    if (v > acc || best < 0) {
                        acc = v;
                        best = xi;
                    }
                } else if (g->kind == POOL_AVG) {
                    acc += v;
                } else {
                    acc += pow(fabs(v), g->p);
                }
                int a = n - 1;
                for (; a >= 0; a--) {
                    if (++t[a] < thi[a])
                        break;
                    t[a] = tlo[a];
                }
                if (a < 0)
                    break;
            }
        }
        if (g->kind == POOL_MAX && best < 0)
            acc = ert_dtype_is_float(dt) ? -INFINITY : 0.0; /* window entirely in padding */
        if (g->kind == POOL_AVG) {
            int64_t div = g->count_include_pad ? cnt_pad : cnt_valid;
            acc = div > 0 ? acc / (double)div : 0.0;
        } else if (g->kind == POOL_LP) {
            acc = pow(acc, 1.0 / g->p);
        }
        ert_store_f64(dt, y, yo + op, acc);
        if (ind) {
            int64_t idx = 0;
            if (best >= 0 && g->storage_order == 1) {
                /* re-derive coordinates of best and flatten column-major */
                int64_t r = best;
                for (int a = 0; a < n; a++) {
                    int64_t c = r / istr[a];
                    r -= c * istr[a];
                    idx += c * cstr[a];
                }
            } else if (best >= 0) {
                idx = best;
            }
            ind[yo + op] = xo + idx;
        }
        for (int a = n - 1; a >= 0; a--) {
            if (++o[a] < g->out[a])
                break;
            o[a] = 0;
        }
    }
}

ert_status ert_run_pool(ert_kctx *k)
{
    ert_status st = ert_infer_pool(k);
    if (st)
        return st;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0], *ind = ert_out(k, 1);
    pool_geom g = {.nsp = x->rank - 2, .kind = pool_kind(k)};
    for (int i = 0; i < g.nsp; i++)
        g.in[i] = x->dims[2 + i];
    if ((st = read_pool_attrs(k, &g)))
        return st;
    for (int i = 0; i < g.nsp; i++)
        if ((st = pool_out_axis(k, &g, i)))
            return st;
    int64_t planes = x->dims[0] * x->dims[1];
    int64_t ipl = 1, opl = 1;
    for (int i = 0; i < g.nsp; i++) {
        ipl *= g.in[i];
        opl *= g.out[i];
    }
    for (int64_t p = 0; p < planes; p++)
        pool_plane(&g, x->dtype, x->data, p * ipl, y->data, p * opl,
                   ind ? (int64_t *)ind->data : NULL);
    return ERT_OK;
}

/* ---- Global pools: one value per (n, c) over all spatial positions ---- */

ert_status ert_infer_global_pool(ert_kctx *k)
{
    ert_status st;
    if ((st = ert_check_inputs(k, 1, 1)))
        return st;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    if (!ert_dtype_is_float(x->dtype) && x->dtype != ERT_DTYPE_UNDEFINED)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "input dtype %s is not supported (float "
                           "types only)", ert_dtype_name(x->dtype));
    y->dtype = x->dtype;
    if (x->rank < 0) {
        y->rank = -1;
        return ERT_OK;
    }
    if (x->rank < 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input rank %d: expected [N, C, spatial...]",
                           x->rank);
    int64_t dims[ERT_MAX_RANK];
    for (int i = 0; i < x->rank; i++)
        dims[i] = i < 2 ? x->dims[i] : 1;
    ert_set_out(y, x->dtype, x->rank, dims);
    return ERT_OK;
}

ert_status ert_run_global_pool(ert_kctx *k)
{
    ert_status st = ert_infer_global_pool(k);
    if (st)
        return st;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int kind = pool_kind(k);
    double p = lp_exponent(k);
    int64_t planes = x->dims[0] * x->dims[1], sp = 1;
    for (int i = 2; i < x->rank; i++)
        sp *= x->dims[i];
    for (int64_t pl = 0; pl < planes; pl++) {
        int64_t base = pl * sp;
        double acc = kind == POOL_MAX ? -INFINITY : 0.0;
        if (x->dtype == ERT_DTYPE_FLOAT32 && kind != POOL_LP) {
            const float *xp = (const float *)x->data + base;
            float m = -INFINITY;
            double sum = 0.0;
            for (int64_t i = 0; i < sp; i++) {
                if (kind == POOL_MAX)
                    m = xp[i] > m ? xp[i] : m;
                else
                    sum += xp[i];
            }
            acc = kind == POOL_MAX ? (double)m : sum;
        } else {
            for (int64_t i = 0; i < sp; i++) {
                double v = ld(x->dtype, x->data, base + i);
                if (kind == POOL_MAX)
                    acc = v > acc ? v : acc;
                else if (kind == POOL_AVG)
                    acc += v;
                else
                    acc += pow(fabs(v), p);
            }
        }
        if (kind == POOL_AVG)
            acc = sp > 0 ? acc / (double)sp : 0.0;
        else if (kind == POOL_LP)
            acc = pow(acc, 1.0 / p);
        ert_store_f64(y->dtype, y->data, pl, acc);
    }
    return ERT_OK;
}

/* ---- MaxUnpool: scatter X into a zero tensor at MaxPool's flattened Indices ---- */

ert_status ert_infer_max_unpool(ert_kctx *k)
{
    ert_status st;
    if ((st = ert_check_inputs(k, 2, 3)))
        return st;
    const ert_tensor *x = k->in[0], *ind = k->in[1];
    ert_tensor *y = k->out[0];
    if (!ert_dtype_is_float(x->dtype) && x->dtype != ERT_DTYPE_UNDEFINED)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "input dtype %s is not supported",
                           ert_dtype_name(x->dtype));
    if (ind->dtype != ERT_DTYPE_INT64 && ind->dtype != ERT_DTYPE_UNDEFINED)
        return ert_op_fail(k, ERT_ERR_SHAPE, "indices must be int64, got %s",
                           ert_dtype_name(ind->dtype));
    y->dtype = x->dtype;
    int64_t dims[ERT_MAX_RANK];
    if (ert_in(k, 2)) {
        int64_t n;
        if ((st = ert_input_ints(k, 2, dims, ERT_MAX_RANK, &n)))
            return st;
        if (n < 0) {
            y->rank = x->rank;
            for (int i = 0; i < x->rank; i++)
                y->dims[i] = ERT_DIM_UNKNOWN;
            return ERT_OK;
        }
        if (x->rank >= 0 && n != x->rank)
            return ert_op_fail(k, ERT_ERR_SHAPE, "output_shape has %lld values, expected %d",
                               (long long)n, x->rank);
        for (int i = 0; i < n; i++)
            if (dims[i] < 0)
                return ert_op_fail(k, ERT_ERR_SHAPE, "output_shape[%d] = %lld is negative", i,
                                   (long long)dims[i]);
        ert_set_out(y, x->dtype, (int)n, dims);
        return ERT_OK;
    }
    if (x->rank < 0) {
        y->rank = -1;
        return ERT_OK;
    }
    if (x->rank < 3)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input rank %d: expected [N, C, spatial...]",
                           x->rank);
    pool_geom g = {.nsp = x->rank - 2};
    if ((st = read_pool_attrs(k, &g)))
        return st;
    dims[0] = x->dims[0];
    dims[1] = x->dims[1];
    for (int i = 0; i < g.nsp; i++) {
        int64_t in = x->dims[2 + i];
        dims[2 + i] = in < 0 ? ERT_DIM_UNKNOWN : (in - 1) * g.s[i] + g.k[i] - g.pb[i] - g.pe[i];
        if (in >= 0 && dims[2 + i] < 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "spatial axis %d: pads exceed the output", i);
    }
    ert_set_out(y, x->dtype, x->rank, dims);
    return ERT_OK;
}

ert_status ert_run_max_unpool(ert_kctx *k)
{
    ert_status st = ert_infer_max_unpool(k);
    if (st)
        return st;
    const ert_tensor *x = k->in[0], *ind = k->in[1];
    ert_tensor *y = k->out[0];
    int64_t nx = ert_tensor_numel(x), ny = ert_tensor_numel(y);
    if (ert_tensor_numel(ind) != nx)
        return ert_op_fail(k, ERT_ERR_SHAPE, "indices have %lld values, X has %lld",
                           (long long)ert_tensor_numel(ind), (long long)nx);
    /* Indices address the shape inferred from the attributes; with an explicit
     * output_shape that result is placed at the low corner of the output (the ONNX
     * reference does the same), and what falls outside is dropped. */
    int rank = x->rank;
    pool_geom g = {.nsp = rank - 2};
    if ((st = read_pool_attrs(k, &g)))
        return st;
    int64_t inf[ERT_MAX_RANK], inf_n = 1;
    inf[0] = x->dims[0];
    inf[1] = x->dims[1];
    for (int i = 0; i < g.nsp; i++)
        inf[2 + i] = (x->dims[2 + i] - 1) * g.s[i] + g.k[i] - g.pb[i] - g.pe[i];
    for (int i = 0; i < rank; i++) {
        if (inf[i] < 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "pads exceed the unpooled size on axis %d", i);
        inf_n *= inf[i];
    }
    if (y->rank != rank)
        return ert_op_fail(k, ERT_ERR_SHAPE, "output_shape has rank %d, X has rank %d",
                           y->rank, rank);
    memset(y->data, 0, (size_t)ny * ert_dtype_size_(y->dtype));
    int64_t ostr[ERT_MAX_RANK];
    ert_strides(rank, y->dims, ostr);
    const int64_t *ip = ind->data;
    for (int64_t j = 0; j < nx; j++) {
        int64_t r = ip[j];
        if (r < 0 || r >= inf_n)
            return ert_op_fail(k, ERT_ERR_RUNTIME, "index %lld at position %lld is outside the "
                               "unpooled tensor (%lld elements)", (long long)r, (long long)j,
                               (long long)inf_n);
        int64_t off = 0;
        bool inside = true;
        for (int a = rank - 1; a >= 0; a--) {
            int64_t c = r % inf[a];
            r /= inf[a];
            if (c >= y->dims[a])
                inside = false;
            off += c * ostr[a];
        }
        if (inside)
            ert_store_f64(y->dtype, y->data, off, ld(x->dtype, x->data, j));
    }
    return ERT_OK;
}
