/*
 * norm.c - normalization ops: BatchNormalization (inference and training mode, all
 * versions incl. the old 'spatial' attribute), InstanceNormalization,
 * LayerNormalization, GroupNormalization, RMSNormalization, LpNormalization,
 * MeanVarianceNormalization and LRN.
 *
 * Statistics are accumulated in double (inputs up to millions of elements; float sums
 * drift beyond the 1e-3 tolerance on large planes); the per-element transform on
 * float32 is done in float with precomputed per-channel a*x + b. Parameter tensors
 * (scale, bias, mean, var) are tiny and read through the dtype-generic loader, so mixed
 * dtypes (BatchNormalization-15's T1/T2) need no special code.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "util/scratch.h"

static inline double ld(const ert_tensor *t, int64_t i)
{
    return t->dtype == ERT_DTYPE_FLOAT32 ? (double)((const float *)t->data)[i]
                                         : ert_load_f64(t->dtype, t->data, i);
}

static ert_status need_float(ert_kctx *k, const ert_tensor *t, const char *what)
{
    if (ert_dtype_is_float(t->dtype) || t->dtype == ERT_DTYPE_UNDEFINED)
        return ERT_OK;
    return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "%s dtype %s is not supported (float types only)",
                       what, ert_dtype_name(t->dtype));
}

/* Y = a[c] * X + b[c] over [N, C, S] with per-channel (or per-(c, s) when per_elem)
 * coefficients. */
static void affine_nc(const ert_tensor *x, ert_tensor *y, int64_t nb, int64_t c, int64_t s,
                      const double *a, const double *b, bool per_elem)
{
    for (int64_t n = 0; n < nb; n++) {
        for (int64_t ch = 0; ch < c; ch++) {
            int64_t base = (n * c + ch) * s;
            if (x->dtype == ERT_DTYPE_FLOAT32 && !per_elem) {
                const float *xp = (const float *)x->data + base;
                float *yp = (float *)y->data + base;
                float af = (float)a[ch], bf = (float)b[ch];
                for (int64_t i = 0; i < s; i++)
                    yp[i] = xp[i] * af + bf;
            } else {
                for (int64_t i = 0; i < s; i++) {
                    int64_t pi = per_elem ? ch * s + i : ch;
                    ert_store_f64(y->dtype, y->data, base + i,
                                  ld(x, base + i) * a[pi] + b[pi]);
                }
            }
        }
    }
}

/* ---- BatchNormalization ---- */

/* Training statistics are produced when: version >= 14: training_mode = 1; older
 * versions: the node asks for the extra outputs (and, before 7, is_test = 0). */
static bool bn_training(const ert_kctx *k)
{
    if (k->version >= 14)
        return ert_attr_int(k->node, "training_mode", 0) != 0;
    if (k->version < 7 && ert_attr_int(k->node, "is_test", 0) != 0)
        return false;
    for (int i = 1; i < k->n_out; i++)
        if (k->out[i])
            return true;
    return false;
}

ert_status ert_infer_batchnorm(ert_kctx *k)
{
    ert_status st;
    if ((st = ert_check_inputs(k, 5, 5)))
        return st;
    const ert_tensor *x = k->in[0];
    if ((st = need_float(k, x, "input")))
        return st;
    for (int i = 1; i < 5; i++)
        if ((st = need_float(k, k->in[i], "parameter")))
            return st;
    ert_tensor *y = k->out[0];
    ert_set_out(y, x->dtype, x->rank, x->dims);
    if (x->rank >= 0 && x->rank < 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input rank %d: expected [N, C, ...]", x->rank);
    int64_t c = x->rank >= 2 ? x->dims[1] : ERT_DIM_UNKNOWN;
    int64_t s = 1; /* spatial size, -1 if unknown */
    for (int i = 2; i < x->rank; i++)
        s = (s >= 0 && x->dims[i] >= 0) ? s * x->dims[i] : -1;
    if (x->rank < 0)
        s = -1;
    /* parameters: [C], or [C, D1..Dn] with spatial = 0 (versions < 9) */
    for (int i = 1; i < 5; i++) {
        int64_t pn = ert_tensor_numel(k->in[i]);
        if (pn < 0 || c < 0)
            continue;
        bool ok = pn == c || (k->version < 9 && s >= 0 && pn == c * s);
        if (!ok)
            return ert_op_fail(k, ERT_ERR_SHAPE, "input %d has %lld values, expected %lld (one "
                               "per channel)", i, (long long)pn, (long long)c);
    }
    /* optional outputs: running (or, before 14, updated) mean/var and saved stats */
    for (int i = 1; i < k->n_out; i++) {
        ert_tensor *o = k->out[i];
        if (!o)
            continue;
        const ert_tensor *like = k->in[i == 2 || i == 4 ? 4 : 3];
        ert_set_out(o, like->dtype, like->rank, like->dims);
    }
    return ERT_OK;
}

ert_status ert_run_batchnorm(ert_kctx *k)
{
    ert_status st = ert_infer_batchnorm(k);
    if (st)
        return st;
    const ert_tensor *x = k->in[0], *scale = k->in[1], *bias = k->in[2], *mean = k->in[3],
                     *var = k->in[4];
    ert_tensor *y = k->out[0];
    double eps = ert_attr_float(k->node, "epsilon", 1e-5f);
    double mom = ert_attr_float(k->node, "momentum", 0.9f);
    int64_t nb = x->dims[0], c = x->dims[1], s = 1;
    for (int i = 2; i < x->rank; i++)
        s *= x->dims[i];
    int64_t pn = ert_tensor_numel(mean);
    bool per_elem = pn != c; /* spatial = 0 form */
    int64_t np = per_elem ? c * s : c;
    double *a = ert_tmp_calloc((size_t)(2 * np + 2 * c + 1), sizeof(double));
    if (!a)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    double *b = a + np, *bm = b + np, *bv = bm + c;
    bool training = bn_training(k);
    if (training) {
        /* per-channel batch mean and (population) variance */
        for (int64_t ch = 0; ch < c; ch++) {
            double sum = 0.0, sq = 0.0;
            for (int64_t n = 0; n < nb; n++)
                for (int64_t i = 0; i < s; i++)
                    sum += ld(x, (n * c + ch) * s + i);
            double cnt = (double)(nb * s), m = cnt > 0 ? sum / cnt : 0.0;
            for (int64_t n = 0; n < nb; n++)
                for (int64_t i = 0; i < s; i++) {
                    double dv = ld(x, (n * c + ch) * s + i) - m;
                    sq += dv * dv;
                }
            bm[ch] = m;
            bv[ch] = cnt > 0 ? sq / cnt : 0.0;
        }
        per_elem = false;
        np = c;
    }
    for (int64_t i = 0; i < np; i++) {
        double mu = training ? bm[i] : ld(mean, i), v = training ? bv[i] : ld(var, i);
        a[i] = ld(scale, i) / sqrt(v + eps);
        b[i] = ld(bias, i) - mu * a[i];
    }
    affine_nc(x, y, nb, c, s, a, b, per_elem);
    if (training) {
        /* v14+: outputs 1, 2 = running mean/var. Older: mean, var (running, updated),
         * saved_mean, saved_var (batch statistics). */
        for (int o = 1; o < k->n_out; o++) {
            ert_tensor *t = k->out[o];
            if (!t || o > 4)
                continue;
            for (int64_t ch = 0; ch < c; ch++) {
                double v;
                if (o == 1)
                    v = ld(mean, ch) * mom + bm[ch] * (1.0 - mom);
                else if (o == 2)
                    v = ld(var, ch) * mom + bv[ch] * (1.0 - mom);
                else
                    v = o == 3 ? bm[ch] : bv[ch];
                ert_store_f64(t->dtype, t->data, ch, v);
            }
        }
    } else {
        /* inference with extra outputs requested: pass the statistics through */
        for (int o = 1; o < k->n_out && o <= 4; o++) {
            ert_tensor *t = k->out[o];
            if (!t)
                continue;
            const ert_tensor *src = (o == 1 || o == 3) ? mean : var;
            int64_t n = ert_tensor_numel(t);
            for (int64_t i = 0; i < n; i++)
                ert_store_f64(t->dtype, t->data, i, ld(src, i));
        }
    }
    ert_tmp_free(a);
    return ERT_OK;
}

/* ---- shared: same-shape output inference ---- */

static ert_status infer_same(ert_kctx *k, int min_in, int max_in)
{
    ert_status st;
    if ((st = ert_check_inputs(k, min_in, max_in)))
        return st;
    const ert_tensor *x = k->in[0];
    if ((st = need_float(k, x, "input")))
        return st;
    ert_set_out(k->out[0], x->dtype, x->rank, x->dims);
    return ERT_OK;
}

/* Mean and 1/sqrt(var + eps) of n values of x starting at base, stride 1. */
static void moments(const ert_tensor *x, int64_t base, int64_t n, double eps, double *mean,
                    double *inv)
{
    double sum = 0.0, sq = 0.0;
    if (x->dtype == ERT_DTYPE_FLOAT32) {
        const float *p = (const float *)x->data + base;
        for (int64_t i = 0; i < n; i++)
            sum += p[i];
        double m = n > 0 ? sum / (double)n : 0.0;
        for (int64_t i = 0; i < n; i++)
            sq += ((double)p[i] - m) * ((double)p[i] - m);
        *mean = m;
    } else {
        for (int64_t i = 0; i < n; i++)
            sum += ld(x, base + i);
        double m = n > 0 ? sum / (double)n : 0.0;
        for (int64_t i = 0; i < n; i++)
            sq += (ld(x, base + i) - m) * (ld(x, base + i) - m);
        *mean = m;
    }
    *inv = 1.0 / sqrt((n > 0 ? sq / (double)n : 0.0) + eps);
}

/* ---- InstanceNormalization ---- */

ert_status ert_infer_instancenorm(ert_kctx *k)
{
    ert_status st = infer_same(k, 3, 3);
    if (st)
        return st;
    const ert_tensor *x = k->in[0];
    if (x->rank >= 0 && x->rank < 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input rank %d: expected [N, C, ...]", x->rank);
    for (int i = 1; i < 3; i++) {
        int64_t pn = ert_tensor_numel(k->in[i]);
        if (pn >= 0 && x->rank >= 2 && x->dims[1] >= 0 && pn != x->dims[1])
            return ert_op_fail(k, ERT_ERR_SHAPE, "input %d has %lld values, expected %lld (one "
                               "per channel)", i, (long long)pn, (long long)x->dims[1]);
    }
    return ERT_OK;
}

ert_status ert_run_instancenorm(ert_kctx *k)
{
    ert_status st = ert_infer_instancenorm(k);
    if (st)
        return st;
    const ert_tensor *x = k->in[0], *scale = k->in[1], *bias = k->in[2];
    double eps = ert_attr_float(k->node, "epsilon", 1e-5f);
    int64_t nb = x->dims[0], c = x->dims[1], s = 1;
    for (int i = 2; i < x->rank; i++)
        s *= x->dims[i];
    double *a = ert_tmp_calloc((size_t)(2 * c + 1), sizeof(double));
    if (!a)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    double *b = a + c;
    for (int64_t n = 0; n < nb; n++) {
        for (int64_t ch = 0; ch < c; ch++) {
            double m, inv;
            moments(x, (n * c + ch) * s, s, eps, &m, &inv);
            a[ch] = ld(scale, ch) * inv;
            b[ch] = ld(bias, ch) - m * a[ch];
        }
        /* one image at a time: affine_nc over a view of batch 1 */
        ert_tensor xv = *x, yv = *k->out[0];
        size_t es = ert_dtype_size_(x->dtype);
        xv.data = (char *)x->data + (size_t)(n * c * s) * es;
        yv.data = (char *)k->out[0]->data + (size_t)(n * c * s) * es;
        affine_nc(&xv, &yv, 1, c, s, a, b, false);
    }
    ert_tmp_free(a);
    return ERT_OK;
}

/* ---- LayerNormalization / RMSNormalization ---- */

/* Expands a parameter tensor p (unidirectionally broadcastable to dims[axis:] of x) into
 * d doubles. */
static ert_status expand_param(ert_kctx *k, const ert_tensor *p, const ert_tensor *x, int axis,
                               int64_t d, double *out)
{
    int nr = x->rank - axis;
    if (p->rank > nr)
        return ert_op_fail(k, ERT_ERR_SHAPE, "parameter of rank %d cannot broadcast to the "
                           "normalized shape (rank %d)", p->rank, nr);
    for (int i = 0; i < p->rank; i++) {
        int64_t pd = p->dims[i], xd = x->dims[axis + nr - p->rank + i];
        if (pd != 1 && pd != xd)
            return ert_op_fail(k, ERT_ERR_SHAPE, "parameter dim %d is %lld; the normalized "
                               "shape has %lld there", i, (long long)pd, (long long)xd);
    }
    int64_t str[ERT_MAX_RANK];
    ert_bcast_strides(p, nr, x->dims + axis, str);
    int64_t idx[ERT_MAX_RANK] = {0};
    for (int64_t j = 0; j < d; j++) {
        int64_t off = 0;
        for (int a = 0; a < nr; a++)
            off += idx[a] * str[a];
        out[j] = ld(p, off);
        for (int a = nr - 1; a >= 0; a--) {
            if (++idx[a] < x->dims[axis + a])
                break;
            idx[a] = 0;
        }
    }
    return ERT_OK;
}

static ert_status stash_dtype(ert_kctx *k, ert_dtype *out)
{
    int64_t st = ert_attr_int(k->node, "stash_type", 1);
    if (!ert_dtype_is_float((ert_dtype)st))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "stash_type %lld is not a float type",
                           (long long)st);
    *out = (ert_dtype)st;
    return ERT_OK;
}

ert_status ert_infer_layernorm(ert_kctx *k)
{
    bool rms = k->node->op->id == ERT_OP_RMS_NORMALIZATION;
    ert_status st = infer_same(k, 2, rms ? 2 : 3);
    if (st)
        return st;
    const ert_tensor *x = k->in[0];
    ert_dtype sd = ERT_DTYPE_FLOAT32;
    if ((st = stash_dtype(k, &sd)))
        return st;
    /* LayerNormalization outputs Mean and InvStdDev: X's leading dims, 1 from axis on */
    for (int o = 1; o < k->n_out && o < 3; o++) {
        ert_tensor *t = k->out[o];
        if (!t)
            continue;
        t->dtype = sd;
        if (x->rank < 0) {
            t->rank = -1;
            continue;
        }
        int axis;
        if ((st = ert_norm_axis(k, ert_attr_int(k->node, "axis", -1), x->rank, "axis", &axis)))
            return st;
        int64_t dims[ERT_MAX_RANK];
        for (int i = 0; i < x->rank; i++)
            dims[i] = i < axis ? x->dims[i] : 1;
        ert_set_out(t, sd, x->rank, dims);
    }
    if (x->rank >= 0) {
        int axis;
        if (x->rank == 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "input must have rank >= 1");
        if ((st = ert_norm_axis(k, ert_attr_int(k->node, "axis", -1), x->rank, "axis", &axis)))
            return st;
    }
    return ERT_OK;
}

ert_status ert_run_layernorm(ert_kctx *k)
{
    ert_status st = ert_infer_layernorm(k);
    if (st)
        return st;
    bool rms = k->node->op->id == ERT_OP_RMS_NORMALIZATION;
    const ert_tensor *x = k->in[0], *scale = k->in[1], *bias = ert_in(k, 2);
    ert_tensor *y = k->out[0], *mo = ert_out(k, 1), *io = ert_out(k, 2);
    int axis;
    if ((st = ert_norm_axis(k, ert_attr_int(k->node, "axis", -1), x->rank, "axis", &axis)))
        return st;
    double eps = ert_attr_float(k->node, "epsilon", 1e-5f);
    int64_t outer = 1, d = 1;
    for (int i = 0; i < x->rank; i++)
        *(i < axis ? &outer : &d) *= x->dims[i];
    double *sc = ert_tmp_alloc(sizeof(double) * (size_t)(2 * d + 1));
    if (!sc)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    double *bi = sc + d;
    if ((st = expand_param(k, scale, x, axis, d, sc)))
        goto done;
    if (bias) {
        if ((st = expand_param(k, bias, x, axis, d, bi)))
            goto done;
    } else {
        for (int64_t j = 0; j < d; j++)
            bi[j] = 0.0;
    }
    for (int64_t r = 0; r < outer; r++) {
        int64_t base = r * d;
        double m = 0.0, inv;
        if (rms) {
            double sq = 0.0;
            for (int64_t j = 0; j < d; j++) {
                double v = ld(x, base + j);
                sq += v * v;
            }
            inv = 1.0 / sqrt((d > 0 ? sq / (double)d : 0.0) + eps);
        } else {
            moments(x, base, d, eps, &m, &inv);
        }
        if (x->dtype == ERT_DTYPE_FLOAT32) {
            const float *xp = (const float *)x->data + base;
            float *yp = (float *)y->data + base;
            for (int64_t j = 0; j < d; j++)
                yp[j] = (float)((((double)xp[j] - m) * inv) * sc[j] + bi[j]);
        } else {
            for (int64_t j = 0; j < d; j++)
                ert_store_f64(y->dtype, y->data, base + j,
                              ((ld(x, base + j) - m) * inv) * sc[j] + bi[j]);
        }
        if (mo)
            ert_store_f64(mo->dtype, mo->data, r, m);
        if (io)
            ert_store_f64(io->dtype, io->data, r, inv);
    }
done:
    ert_tmp_free(sc);
    return st;
}

/* ---- GroupNormalization ---- */

ert_status ert_infer_groupnorm(ert_kctx *k)
{
    ert_status st = infer_same(k, 3, 3);
    if (st)
        return st;
    const ert_tensor *x = k->in[0];
    int64_t g = ert_attr_int(k->node, "num_groups", -1);
    if (g < 1)
        return ert_op_fail(k, ERT_ERR_PARSE, "attribute num_groups is missing or < 1");
    if (x->rank >= 0 && x->rank < 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input rank %d: expected [N, C, ...]", x->rank);
    if (x->rank >= 2 && x->dims[1] >= 0 && x->dims[1] % g)
        return ert_op_fail(k, ERT_ERR_SHAPE, "%lld channels are not divisible by num_groups "
                           "%lld", (long long)x->dims[1], (long long)g);
    return ERT_OK;
}

ert_status ert_run_groupnorm(ert_kctx *k)
{
    ert_status st = ert_infer_groupnorm(k);
    if (st)
        return st;
    const ert_tensor *x = k->in[0], *scale = k->in[1], *bias = k->in[2];
    double eps = ert_attr_float(k->node, "epsilon", 1e-5f);
    int64_t g = ert_attr_int(k->node, "num_groups", 1);
    int64_t nb = x->dims[0], c = x->dims[1], s = 1;
    for (int i = 2; i < x->rank; i++)
        s *= x->dims[i];
    int64_t cg = c / g;
    /* version 18: scale/bias per group; 21: per channel */
    int64_t sn = ert_tensor_numel(scale), bn = ert_tensor_numel(bias);
    bool per_group = k->version < 21;
    int64_t want = per_group ? g : c;
    if (sn != want || bn != want)
        return ert_op_fail(k, ERT_ERR_SHAPE, "scale and bias must have %lld values (one per %s), "
                           "got %lld and %lld", (long long)want, per_group ? "group" : "channel",
                           (long long)sn, (long long)bn);
    double *a = ert_tmp_calloc((size_t)(2 * c + 1), sizeof(double));
    if (!a)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    double *b = a + c;
    for (int64_t n = 0; n < nb; n++) {
        for (int64_t gi = 0; gi < g; gi++) {
            double m, inv;
            moments(x, (n * c + gi * cg) * s, cg * s, eps, &m, &inv);
            for (int64_t j = 0; j < cg; j++) {
                int64_t ch = gi * cg + j, pi = per_group ? gi : ch;
                a[ch] = ld(scale, pi) * inv;
                b[ch] = ld(bias, pi) - m * a[ch];
            }
        }
        ert_tensor xv = *x, yv = *k->out[0];
        size_t es = ert_dtype_size_(x->dtype);
        xv.data = (char *)x->data + (size_t)(n * c * s) * es;
        yv.data = (char *)k->out[0]->data + (size_t)(n * c * s) * es;
        affine_nc(&xv, &yv, 1, c, s, a, b, false);
    }
    ert_tmp_free(a);
    return ERT_OK;
}

/* ---- LpNormalization: x / ||x||_p along one axis ---- */

ert_status ert_infer_lpnorm(ert_kctx *k)
{
    ert_status st = infer_same(k, 1, 1);
    if (st)
        return st;
    int64_t p = ert_attr_int(k->node, "p", 2);
    if (p != 1 && p != 2)
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "p = %lld is not supported (1 or 2)",
                           (long long)p);
    const ert_tensor *x = k->in[0];
    int axis;
    if (x->rank > 0)
        return ert_norm_axis(k, ert_attr_int(k->node, "axis", -1), x->rank, "axis", &axis);
    return ERT_OK;
}

ert_status ert_run_lpnorm(ert_kctx *k)
{
    ert_status st = ert_infer_lpnorm(k);
    if (st)
        return st;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int64_t p = ert_attr_int(k->node, "p", 2);
    if (x->rank == 0) {
        double v = ld(x, 0);
        ert_store_f64(y->dtype, y->data, 0, v != 0.0 ? v / fabs(v) : 0.0);
        return ERT_OK;
    }
    int axis;
    if ((st = ert_norm_axis(k, ert_attr_int(k->node, "axis", -1), x->rank, "axis", &axis)))
        return st;
    int64_t outer = 1, len = x->dims[axis], inner = 1;
    for (int i = 0; i < axis; i++)
        outer *= x->dims[i];
    for (int i = axis + 1; i < x->rank; i++)
        inner *= x->dims[i];
    for (int64_t o = 0; o < outer; o++) {
        for (int64_t in = 0; in < inner; in++) {
            int64_t base = o * len * inner + in;
            double acc = 0.0;
            for (int64_t j = 0; j < len; j++) {
                double v = ld(x, base + j * inner);
                acc += p == 1 ? fabs(v) : v * v;
            }
            double nrm = p == 1 ? acc : sqrt(acc);
            /* a zero vector stays zero (as in the ONNX reference), not 0/0 */
            for (int64_t j = 0; j < len; j++)
                ert_store_f64(y->dtype, y->data, base + j * inner,
                              nrm > 0.0 ? ld(x, base + j * inner) / nrm : 0.0);
        }
    }
    return ERT_OK;
}

/* ---- MeanVarianceNormalization: (x - mean) / (std + 1e-9) over `axes` ---- */

ert_status ert_infer_mvn(ert_kctx *k)
{
    return infer_same(k, 1, 1);
}

ert_status ert_run_mvn(ert_kctx *k)
{
    ert_status st = ert_infer_mvn(k);
    if (st)
        return st;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    static const int64_t def_axes[] = {0, 2, 3};
    static const int64_t v1_within[] = {0, 2, 3}, v1_across[] = {0, 1, 2, 3};
    const int64_t *axes;
    int64_t na;
    bool scale_var = true;
    if (k->version < 9) {
        /* experimental MVN-1 (opsets 1-8): statistics over N,H,W (as MVN-9's default axes),
         * or N,C,H,W with across_channels=1; normalize_variance=0 only subtracts the mean.
         * The old spec does not say whether N is included; ONNX Runtime includes it, and
         * models exported for it expect that. */
        if (x->rank != 4)
            return ert_op_fail(k, ERT_ERR_SHAPE, "MeanVarianceNormalization-1 needs a 4-D NCHW "
                               "input, got rank %d", x->rank);
        bool across = ert_attr_int(k->node, "across_channels", 0) != 0;
        scale_var = ert_attr_int(k->node, "normalize_variance", 1) != 0;
        axes = across ? v1_across : v1_within;
        na = across ? 4 : 3;
    } else if ((na = ert_attr_ints(k->node, "axes", &axes)) < 0) {
        axes = def_axes;
        na = 3;
    }
    bool red[ERT_MAX_RANK] = {false};
    for (int64_t i = 0; i < na; i++) {
        int a;
        if ((st = ert_norm_axis(k, axes[i], x->rank, "axes value", &a)))
            return st;
        red[a] = true;
    }
    /* group index of an element = its index with reduced axes dropped */
    int64_t ngroups = 1, gstr[ERT_MAX_RANK];
    for (int a = x->rank - 1; a >= 0; a--) {
        gstr[a] = red[a] ? 0 : ngroups;
        if (!red[a])
            ngroups *= x->dims[a];
    }
    int64_t n = ert_tensor_numel(x), per = ngroups > 0 ? n / ngroups : 0;
    double *sum = ert_tmp_calloc((size_t)(2 * ngroups + 1), sizeof(double));
    if (!sum)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
    double *sq = sum + ngroups;
    for (int pass = 0; pass < 3; pass++) {
        int64_t idx[ERT_MAX_RANK] = {0};
        for (int64_t i = 0; i < n; i++) {
            int64_t gi = 0;
            for (int a = 0; a < x->rank; a++)
                gi += idx[a] * gstr[a];
            double v = ld(x, i);
            if (pass == 0) {
                sum[gi] += v;
            } else if (pass == 1) {
                double dv = v - sum[gi];
                sq[gi] += dv * dv;
            } else {
                ert_store_f64(y->dtype, y->data, i,
                              scale_var ? (v - sum[gi]) / (sq[gi] + 1e-9) : v - sum[gi]);
            }
            for (int a = x->rank - 1; a >= 0; a--) {
                if (++idx[a] < x->dims[a])
                    break;
                idx[a] = 0;
            }
        }
        if (pass == 0) {
            for (int64_t g = 0; g < ngroups; g++)
                sum[g] = per > 0 ? sum[g] / (double)per : 0.0;
        } else if (pass == 1) {
            for (int64_t g = 0; g < ngroups; g++)
                sq[g] = sqrt(per > 0 ? sq[g] / (double)per : 0.0);
        }
    }
    ert_tmp_free(sum);
    return ERT_OK;
}

/* ---- LRN: cross-channel local response normalization ---- */

ert_status ert_infer_lrn(ert_kctx *k)
{
    ert_status st = infer_same(k, 1, 1);
    if (st)
        return st;
    if (ert_attr_int(k->node, "size", 0) < 1)
        return ert_op_fail(k, ERT_ERR_PARSE, "attribute size is missing or < 1");
    const ert_tensor *x = k->in[0];
    if (x->rank >= 0 && x->rank < 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "input rank %d: expected [N, C, ...]", x->rank);
    return ERT_OK;
}

ert_status ert_run_lrn(ert_kctx *k)
{
    ert_status st = ert_infer_lrn(k);
    if (st)
        return st;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int64_t size = ert_attr_int(k->node, "size", 1);
    double alpha = ert_attr_float(k->node, "alpha", 1e-4f);
    double beta = ert_attr_float(k->node, "beta", 0.75f);
    double bias = ert_attr_float(k->node, "bias", 1.0f);
    int64_t nb = x->dims[0], c = x->dims[1], s = 1;
    for (int i = 2; i < x->rank; i++)
        s *= x->dims[i];
    int64_t lo_off = (size - 1) / 2, hi_off = size - 1 - lo_off; /* floor, ceil of (size-1)/2 */
    for (int64_t n = 0; n < nb; n++) {
        for (int64_t ch = 0; ch < c; ch++) {
            int64_t c0 = ch - lo_off < 0 ? 0 : ch - lo_off;
            int64_t c1 = ch + hi_off > c - 1 ? c - 1 : ch + hi_off;
            for (int64_t i = 0; i < s; i++) {
                double sq = 0.0;
                for (int64_t cc = c0; cc <= c1; cc++) {
                    double v = ld(x, (n * c + cc) * s + i);
                    sq += v * v;
                }
                int64_t e = (n * c + ch) * s + i;
                ert_store_f64(y->dtype, y->data, e,
                              ld(x, e) / pow(bias + alpha / (double)size * sq, beta));
            }
        }
    }
    return ERT_OK;
}
