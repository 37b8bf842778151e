/*
 * affine.c - folds a per-output-channel affine map y' = y * s[c] + t[c] into the
 * constant weights and bias of the Conv / ConvTranspose / Gemm producing y. BatchNorm
 * (s = scale / sqrt(var + eps), t = bias - mean * s) and Mul / Add by per-channel
 * constants are all this one fold, so the weight-layout cases live in one place:
 *   Conv           W [M, C/g, k...]   channel of element i: i / (C/g * K)
 *   ConvTranspose  W [C, M/g, k...]   channel: group(ic) * M/g + mo, for W[ic][mo]
 *   Gemm           B [K, N] or, transB, [N, K]; channel = column n of the result;
 *                  C (any unidirectional broadcast) becomes beta*C*s + t, beta := 1
 * Arithmetic is in double and rounded once to the weights' dtype. New constants are
 * made (the old ones may be shared); dead_nodes frees the old ones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "passes/pass_util.h"

static int64_t prod_from(const ert_tensor *t, int from)
{
    int64_t p = 1;
    for (int i = from; i < t->rank; i++)
        p *= t->dims[i];
    return p;
}

/* Output channels of a Conv / ConvTranspose from W and group. */
static int64_t conv_channels(const ert_node *n, const ert_tensor *w)
{
    if (n->op->id == ERT_OP_CONV)
        return w->dims[0];
    int64_t g = ert_attr_int(n, "group", 1);
    return w->dims[1] * g;
}

/* Gemm columns (N) and, through *rows, the rows of its output (-1 if unknown). */
static int64_t gemm_cols(const ert_edit *e, const ert_node *n, const ert_tensor *b,
                         int64_t *rows)
{
    const ert_tensor *y = &e->g->values[n->outputs[0]].t;
    *rows = y->rank == 2 && y->dims[0] >= 0 ? y->dims[0] : -1;
    return ert_attr_int(n, "transB", 0) ? b->dims[0] : b->dims[1];
}

int64_t pu_affine_channels(const ert_edit *e, int ni, const char **why)
{
    const ert_node *n = &e->g->nodes[ni];
    bool gemm = n->op->id == ERT_OP_GEMM;
    const ert_tensor *w = pu_const(e, n->inputs[1]);
    int bv = n->n_inputs > 2 ? n->inputs[2] : -1;
    if (!w || !ert_dtype_is_float(w->dtype)) {
        *why = "its weights are not a float constant";
        return -1;
    }
    if (bv >= 0 && (!pu_const(e, bv) || e->g->values[bv].t.dtype != w->dtype)) {
        *why = "its bias is not a constant of the weights' dtype";
        return -1;
    }
    if (gemm) {
        int64_t rows;
        if (w->rank != 2) {
            *why = "its B is not 2-D";
            return -1;
        }
        int64_t nc = gemm_cols(e, n, w, &rows);
        const ert_tensor *c = bv >= 0 ? pu_const(e, bv) : NULL;
        if (c && (c->rank > 2 || (c->rank == 2 && c->dims[0] > 1 && rows < 0))) {
            *why = "its C has a row dimension and the row count is unknown";
            return -1;
        }
        return nc;
    }
    if (w->rank < 3) {
        *why = "its weights have rank < 3";
        return -1;
    }
    return conv_channels(n, w);
}

/* W' = W scaled per output channel. */
static void scale_weights(const ert_node *n, const ert_tensor *w, int64_t m, const double *s,
                          double *out)
{
    int64_t nw = ert_tensor_numel(w);
    int id = n->op->id;
    int64_t kp = prod_from(w, 2), gr = ert_attr_int(n, "group", 1);
    bool trans_b = id == ERT_OP_GEMM && ert_attr_int(n, "transB", 0);
    for (int64_t i = 0; i < nw; i++) {
        int64_t c;
        if (id == ERT_OP_CONV) {
            c = i / (nw / m);
        } else if (id == ERT_OP_CONV_TRANSPOSE) {
            int64_t mg = w->dims[1], cg = w->dims[0] / gr;
            int64_t ic = i / (mg * kp), mo = (i / kp) % mg;
            c = (ic / cg) * mg + mo;
        } else {
            c = trans_b ? i / w->dims[1] : i % w->dims[1];
        }
        out[i] = ert_tensor_get_f64(w, i) * (s ? s[c] : 1.0);
    }
}

/* New bias: Conv B' = B * s + t ([m]); Gemm C' = beta * C * s + t ([m] or [rows, m]).
 * Sets *rank/dims; returns the element count written to out (0: no bias needed). */
static int64_t new_bias(const ert_edit *e, const ert_node *n, int64_t m, const double *s,
                        const double *t, double *out, int *rank, int64_t *dims)
{
    int bv = n->n_inputs > 2 ? n->inputs[2] : -1;
    const ert_tensor *b = bv >= 0 ? pu_const(e, bv) : NULL;
    if (!b && !t)
        return 0;
    double beta = n->op->id == ERT_OP_GEMM ? ert_attr_float(n, "beta", 1.0f) : 1.0;
    /* C under unidirectional broadcasting: [crow, ccol] aligned right, 1 = broadcast */
    int64_t crow = b && b->rank == 2 ? b->dims[0] : 1;
    int64_t ccol = b && b->rank >= 1 ? b->dims[b->rank - 1] : 1, rows = 1;
    if (crow > 1)
        gemm_cols(e, n, pu_const(e, n->inputs[1]), &rows);
    *rank = rows > 1 ? 2 : 1;
    dims[0] = rows > 1 ? rows : m;
    dims[1] = m;
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < m; c++) {
            int64_t bi = (crow == 1 ? 0 : r) * ccol + (ccol == 1 ? 0 : c);
            double v = b ? beta * ert_tensor_get_f64(b, bi) : 0.0;
            out[r * m + c] = v * (s ? s[c] : 1.0) + (t ? t[c] : 0.0);
        }
    return rows * m;
}

/* "<old fused_ops>+<fused>" into buf. */
static void fused_name(const ert_edit *e, int ni, const char *fused, char *buf, size_t len)
{
    snprintf(buf, len, "%s+%s", pu_fused_ops(e, ni), fused);
}

static int add_clone(ert_edit *e, int ni, int wv, int bv, int out, const char *fused)
{
    char ops[256];
    fused_name(e, ni, fused, ops, sizeof ops);
    const ert_node *n = &e->g->nodes[ni];
    int in[3] = {n->inputs[0], wv, bv};
    char name[256];
    snprintf(name, sizeof name, "%s", n->name);
    int nn = ert_edit_add_node(e, n->op_type, n->domain, name, bv >= 0 ? 3 : 2, in, 1, &out);
    if (nn < 0 || ert_edit_copy_attrs(e, nn, ni) != ERT_OK ||
        ert_edit_set_attr_string(e, nn, "fused_ops", ops) != ERT_OK)
        return -1;
    if (e->g->nodes[nn].op->id == ERT_OP_GEMM && ert_edit_set_attr_float(e, nn, "beta", 1.0f))
        return -1;
    return nn;
}

int pu_fold_affine(ert_edit *e, int ni, int last, int out, int64_t m, const double *s,
                   const double *t, const char *fused, ert_err *err)
{
    const ert_node *n = &e->g->nodes[ni];
    const ert_tensor *w = pu_const(e, n->inputs[1]);
    int64_t nw = ert_tensor_numel(w), nbias_max = m;
    const ert_tensor *y = &e->g->values[n->outputs[0]].t;
    if (n->op->id == ERT_OP_GEMM && y->rank == 2 && y->dims[0] > 0)
        nbias_max = m * y->dims[0];
    double *wd = malloc(sizeof(double) * (size_t)(nw ? nw : 1));
    double *bd = malloc(sizeof(double) * (size_t)(nbias_max ? nbias_max : 1));
    int res = -1;
    if (!wd || !bd)
        goto done;
    scale_weights(n, w, m, s, wd);
    int brank = 1;
    int64_t bdims[2];
    int64_t nb = new_bias(e, n, m, s, t, bd, &brank, bdims);
    char name[512];
    snprintf(name, sizeof name, "%s_W_folded", n->name);
    int wv = pu_new_const(e, name, w->dtype, w->rank, w->dims, wd);
    w = NULL; /* the values array may have moved */
    if (wv < 0)
        goto done;
    int bv = -1;
    if (nb > 0) {
        snprintf(name, sizeof name, "%s_B_folded", e->g->nodes[ni].name);
        bv = pu_new_const(e, name, e->g->values[wv].t.dtype, brank, bdims, bd);
        if (bv < 0)
            goto done;
    }
    int nn = add_clone(e, ni, wv, bv, out, fused);
    if (nn < 0)
        goto done;
    ert_edit_replace_node(e, last, nn);
    ert_edit_remove_node(e, ni);
    res = last; /* the clone now sits at last's index */
done:
    free(wd);
    free(bd);
    if (res < 0)
        ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory folding into node '%s'",
                 e->g->nodes[ni].name);
    return res;
}
