/*
 * fold_scale.c - Mul / Add by a per-channel constant after a Conv, ConvTranspose or Gemm
 * folded into its weights and bias (affine.c): y * c -> W * c, B * c; y + c -> B + c.
 * Exporters leave these behind from decomposed BatchNorm / frozen scale layers.
 * Legal when the constant broadcasts only along the channel axis: a scalar or, for an
 * output of rank R, a shape that right-aligned against [N, M, ...] is 1 everywhere but
 * (optionally) M on the channel axis ([M,1,1] or [1,M,1,1] for 2-D convs; [M] / [1,M]
 * for Gemm); and when the producer's output feeds only this node.
 */
#include <stdio.h>
#include <stdlib.h>

#include "passes/pass_util.h"

/* Per-channel values of constant c against output y of rank R with m channels: writes
 * m values to out; false if c broadcasts along any other axis (or has extra dims). */
static bool channel_values(const ert_tensor *c, const ert_tensor *y, int64_t m, double *out)
{
    if (!ert_dtype_is_float(c->dtype) || c->dtype != y->dtype || c->rank > y->rank ||
        y->rank < 2)
        return false;
    int ch = c->rank - (y->rank - 1); /* c's axis facing the channel axis (1) of y */
    bool per_channel = false;
    for (int i = 0; i < c->rank; i++) {
        if (c->dims[i] == 1)
            continue;
        if (i != ch || c->dims[i] != m)
            return false;
        per_channel = true;
    }
    for (int64_t k = 0; k < m; k++)
        out[k] = ert_tensor_get_f64(c, per_channel ? k : 0);
    return true;
}

static ert_status fold_one(ert_edit *e, int ni, int pi, ert_pass_notes *notes, ert_err *err)
{
    const ert_node *n = &e->g->nodes[ni];
    bool mul = n->op->id == ERT_OP_MUL;
    int y = e->g->nodes[pi].outputs[0];
    int cv = pu_other_input(e, ni, y);
    const ert_tensor *c = pu_const(e, cv);
    char kind[ERT_PASS_KIND_LEN];
    snprintf(kind, sizeof kind, "%s+%s(const)", e->g->nodes[pi].op_type, n->op_type);
    if (!c)
        return ERT_OK; /* not a constant: a residual Add or gating Mul, not this pass's */
    const char *why = NULL;
    int64_t m = pu_affine_channels(e, pi, &why);
    double *v = m >= 0 ? malloc(sizeof(double) * (size_t)(m ? m : 1)) : NULL;
    if (m >= 0 && !v)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    if (m >= 0 && ert_edit_sole_consumer(e, y) != ni) {
        /* a scalar Add/Mul beside other readers is an activation's arithmetic
         * (x * relu6(x + 3), x * 0.5 * ...), fuse_conv's business, not a candidate here */
        if (ert_tensor_numel(c) == 1) {
            free(v);
            return ERT_OK;
        }
        why = "the producer's output has other consumers";
    }
    else if (m >= 0 && !channel_values(c, &e->g->values[y].t, m, v))
        why = "the constant is not per-channel (or scalar) of the output's dtype";
    if (why) {
        ert_pass_note_skipped(notes, kind, "%s '%s' not folded into %s '%s': %s",
                              n->op_type, pu_nname(e, ni), e->g->nodes[pi].op_type,
                              pu_nname(e, pi), why);
        free(v);
        return ERT_OK;
    }
    int r = pu_fold_affine(e, pi, ni, n->outputs[0], m, mul ? v : NULL, mul ? NULL : v,
                           n->op_type, err);
    free(v);
    if (r < 0)
        return ERT_ERR_NO_MEMORY;
    ert_pass_note_applied(notes, kind);
    return ERT_OK;
}

ert_status ert_opt_fold_scale(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes;
    for (int ni = 0; ni < nn; ni++) {
        if (!pu_is(e, ni, ERT_OP_MUL) && !pu_is(e, ni, ERT_OP_ADD))
            continue;
        if (e->g->nodes[ni].version < 7)
            continue; /* legacy broadcast/axis attributes: leave alone */
        for (int j = 0; j < 2; j++) {
            int x = e->g->nodes[ni].inputs[j];
            int pi = x >= 0 ? e->g->values[x].producer : -1;
            if (pi < 0 || !(pu_is(e, pi, ERT_OP_CONV) || pu_is(e, pi, ERT_OP_CONV_TRANSPOSE) ||
                            pu_is(e, pi, ERT_OP_GEMM)))
                continue;
            ert_status st = fold_one(e, ni, pi, notes, err);
            if (st != ERT_OK)
                return st;
            break;
        }
    }
    return ERT_OK;
}
