/*
 * pad.c - Pad (opset 2: pads/value attributes; 11+: pads and constant_value inputs;
 * 18: axes input; 19: wrap mode). Modes constant, reflect, edge, wrap.
 *
 * Negative pads crop. A dim is first cropped by its negative pads, then padded by its
 * positive ones, so reflect/edge/wrap read the cropped region (this matches numpy.pad
 * applied to the cropped array, which is what onnxruntime does too).
 *
 * The kernel precomputes, per output dim, the source index of every output position
 * (-1 = constant fill) and then walks the output row by row: the inner dim is a run of
 * gathers, so padding a 640x640 image costs one pass over the output.
 */
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"

#include "ops/pad.h"
#include "util/scratch.h"

ert_status ert_pad_mode(ert_kctx *k, int *mode)
{
    const char *m = ert_attr_string(k->node, "mode", "constant");
    if (!strcmp(m, "constant"))
        *mode = PAD_CONSTANT;
    else if (!strcmp(m, "reflect"))
        *mode = PAD_REFLECT;
    else if (!strcmp(m, "edge"))
        *mode = PAD_EDGE;
    else if (!strcmp(m, "wrap") && k->version >= 19)
        *mode = PAD_WRAP;
    else
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED,
                           "mode '%s' is not supported (constant, reflect, edge; wrap from opset 19)",
                           m);
    return ERT_OK;
}

ert_status ert_pad_read(ert_kctx *k, int rank, int64_t *pads, bool *known)
{
    *known = false;
    if (k->version < 11) {
        const int64_t *p;
        int64_t n = ert_attr_ints(k->node, "pads", &p);
        if (n < 0)
            n = ert_attr_ints(k->node, "paddings", &p);
        if (n != 2 * rank)
            return ert_op_fail(k, ERT_ERR_PARSE, "attribute pads has %lld values, expected %d "
                               "(2 x input rank)", (long long)n, 2 * rank);
        memcpy(pads, p, sizeof(int64_t) * (size_t)n);
        *known = true;
        return ERT_OK;
    }
    int64_t raw[2 * ERT_MAX_RANK], n;
    const ert_tensor *pt = ert_in(k, 1);
    if (!pt)
        return ert_op_fail(k, ERT_ERR_PARSE, "input 'pads' is required");
    ert_status s = ert_input_ints(k, 1, raw, 2 * ERT_MAX_RANK, &n);
    if (s || n < 0)
        return s;
    int64_t axes[ERT_MAX_RANK];
    int64_t na = rank;
    const ert_tensor *at = ert_in(k, 3);
    if (k->version >= 18 && at) {
        s = ert_input_ints(k, 3, axes, ERT_MAX_RANK, &na);
        if (s || na < 0)
            return s;
    } else {
        for (int i = 0; i < rank; i++)
            axes[i] = i;
    }
    if (n != 2 * na)
        return ert_op_fail(k, ERT_ERR_SHAPE, "pads has %lld values, expected %lld (2 x %s)",
                           (long long)n, (long long)(2 * na), at ? "number of axes" : "input rank");
    for (int i = 0; i < 2 * rank; i++)
        pads[i] = 0;
    bool seen[ERT_MAX_RANK] = {false};
    for (int64_t i = 0; i < na; i++) {
        int a;
        s = ert_norm_axis(k, axes[i], rank, "axes value", &a);
        if (s)
            return s;
        if (seen[a])
            return ert_op_fail(k, ERT_ERR_SHAPE, "axis %d appears twice in axes", a);
        seen[a] = true;
        pads[a] = raw[i];
        pads[a + rank] = raw[i + na];
    }
    *known = true;
    return ERT_OK;
}

void ert_pad_fill(ert_kctx *k, unsigned char fill[16])
{
    const ert_tensor *x = k->in[0], *cv = ert_in(k, 2);
    memset(fill, 0, 16);
    if (k->version < 11)
        ert_store_f64(x->dtype, fill, 0, ert_attr_float(k->node, "value", 0.0f));
    else if (cv && cv->data && ert_tensor_numel(cv) >= 1)
        memcpy(fill, cv->data, ert_dtype_size_(x->dtype));
}

ert_status ert_infer_pad(ert_kctx *k)
{
    ert_status s = ert_check_inputs(k, k->version >= 11 ? 2 : 1, k->version >= 18 ? 4 :
                                    (k->version >= 11 ? 3 : 1));
    if (s)
        return s;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int mode;
    s = ert_pad_mode(k, &mode);
    if (s)
        return s;
    const ert_tensor *cv = ert_in(k, 2);
    if (k->version >= 11 && cv && cv->dtype != x->dtype)
        return ert_op_fail(k, ERT_ERR_PARSE, "constant_value dtype %s differs from data dtype %s",
                           ert_dtype_name(cv->dtype), ert_dtype_name(x->dtype));
    y->dtype = x->dtype;
    if (x->rank < 0) {
        y->rank = -1;
        return ERT_OK;
    }
    int64_t pads[2 * ERT_MAX_RANK];
    bool known;
    s = ert_pad_read(k, x->rank, pads, &known);
    if (s)
        return s;
    int r = x->rank;
    y->rank = r;
    for (int d = 0; d < r; d++) {
        int64_t n = x->dims[d];
        if (!known) {
            y->dims[d] = ERT_DIM_UNKNOWN;
            continue;
        }
        if (pads[d] == 0 && pads[d + r] == 0) {
            y->dims[d] = n; /* keeps symbolic dims */
            continue;
        }
        if (n < 0) {
            y->dims[d] = ERT_DIM_UNKNOWN;
            continue;
        }
        int64_t o;
        if (__builtin_add_overflow(n, pads[d], &o) || __builtin_add_overflow(o, pads[d + r], &o) ||
            pads[d] < -n || pads[d + r] < -n || o < 0)
            return ert_op_fail(k, ERT_ERR_SHAPE,
                               "pads (%lld, %lld) on dim %d of size %lld give a negative size",
                               (long long)pads[d], (long long)pads[d + r], d, (long long)n);
        int64_t crop = n - (pads[d] < 0 ? -pads[d] : 0) - (pads[d + r] < 0 ? -pads[d + r] : 0);
        if (mode != PAD_CONSTANT && crop <= 0 && o > 0)
            return ert_op_fail(k, ERT_ERR_SHAPE, "mode %s cannot pad dim %d: nothing is left "
                               "after cropping", ert_attr_string(k->node, "mode", ""), d);
        y->dims[d] = o;
    }
    return ERT_OK;
}

int64_t ert_pad_map_index(int mode, int64_t s, int64_t n)
{
    if (s >= 0 && s < n)
        return s;
    switch (mode) {
    case PAD_EDGE:
        return s < 0 ? 0 : n - 1;
    case PAD_WRAP: {
        int64_t m = s % n;
        return m < 0 ? m + n : m;
    }
    case PAD_REFLECT: {
        if (n == 1)
            return 0;
        int64_t p = 2 * (n - 1);
        int64_t m = s % p;
        if (m < 0)
            m += p;
        return m < n ? m : p - m;
    }
    default:
        return -1;
    }
}

ert_status ert_run_pad(ert_kctx *k)
{
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    int mode, r = x->rank;
    ert_status s = ert_pad_mode(k, &mode);
    if (s)
        return s;
    int64_t pads[2 * ERT_MAX_RANK];
    bool known;
    s = ert_pad_read(k, r, pads, &known);
    if (s)
        return s;
    size_t es = ert_dtype_size_(x->dtype);
    /* The fill value as raw bytes of the data dtype. */
    unsigned char fill[16];
    ert_pad_fill(k, fill);
    int64_t total = ert_tensor_numel(y);
    if (total == 0)
        return ERT_OK;
    if (r == 0) {
        memcpy(y->data, x->data, es);
        return ERT_OK;
    }
    /* Per-dim maps: out position -> source index (-1 = fill). */
    int64_t nmap = 0;
    for (int d = 0; d < r; d++)
        nmap += y->dims[d];
    int64_t *map = ert_tmp_alloc(sizeof(int64_t) * (size_t)nmap);
    if (!map)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory for the index map");
    int64_t *maps[ERT_MAX_RANK];
    int64_t *p = map;
    for (int d = 0; d < r; d++) {
        maps[d] = p;
        int64_t n = x->dims[d];
        int64_t lo = pads[d] < 0 ? -pads[d] : 0;
        int64_t hi = n - (pads[d + r] < 0 ? -pads[d + r] : 0);
        int64_t c = hi - lo, pb = pads[d] > 0 ? pads[d] : 0;
        for (int64_t i = 0; i < y->dims[d]; i++) {
            int64_t m = c > 0 ? ert_pad_map_index(mode, i - pb, c) : -1;
            p[i] = m < 0 ? -1 : m + lo;
        }
        p += y->dims[d];
    }
    int64_t xs[ERT_MAX_RANK], idx[ERT_MAX_RANK] = {0};
    ert_strides(r, x->dims, xs);
    int64_t rows = total / y->dims[r - 1], w = y->dims[r - 1];
    const char *src = x->data;
    char *dst = y->data;
    const int64_t *last = maps[r - 1];
    for (int64_t row = 0; row < rows; row++) {
        int64_t base = 0;
        bool fill_row = false;
        for (int d = 0; d < r - 1; d++) {
            int64_t m = maps[d][idx[d]];
            if (m < 0)
                fill_row = true;
            base += m * xs[d];
        }
        char *o = dst + (size_t)(row * w) * es;
        for (int64_t i = 0; i < w; i++) {
            int64_t m = last[i];
            if (fill_row || m < 0)
                memcpy(o + (size_t)i * es, fill, es);
            else
                memcpy(o + (size_t)i * es, src + (size_t)(base + m) * es, es);
        }
        for (int d = r - 2; d >= 0; d--) {
            if (++idx[d] < y->dims[d])
                break;
            idx[d] = 0;
        }
    }
    ert_tmp_free(map);
    return ERT_OK;
}
