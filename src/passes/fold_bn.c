/*
 * fold_bn.c - BatchNormalization (inference) folded into the Conv, ConvTranspose or Gemm
 * that feeds it: y = (x - mean) / sqrt(var + eps) * scale + bias is a per-channel
 * y * s + t, which affine.c folds into the weights. Legal when the producer's output
 * feeds only the BatchNormalization, BN's statistics are constants, and BN runs in
 * inference mode (training_mode 0; before opset 9, spatial 1: per-channel statistics).
 * Saves one full pass over the activation per BN (ResNet-50: 53 of them).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "passes/pass_util.h"

#define KIND "BatchNormalization"

/* s and t from BN's constant inputs (all of m elements); false with *why otherwise. */
static bool bn_affine(const ert_edit *e, const ert_node *bn, int64_t m, double *s, double *t,
                      const char **why)
{
    const ert_tensor *p[4];
    for (int i = 0; i < 4; i++) {
        p[i] = bn->n_inputs > 1 + i ? pu_const(e, bn->inputs[1 + i]) : NULL;
        if (!p[i] || ert_tensor_numel(p[i]) != m || !ert_dtype_is_float(p[i]->dtype)) {
            *why = "its scale/bias/mean/var are not constants with one value per channel";
            return false;
        }
    }
    double eps = ert_attr_float(bn, "epsilon", 1e-5f);
    for (int64_t c = 0; c < m; c++) {
        double sc = ert_tensor_get_f64(p[0], c) / sqrt(ert_tensor_get_f64(p[3], c) + eps);
        s[c] = sc;
        t[c] = ert_tensor_get_f64(p[1], c) - ert_tensor_get_f64(p[2], c) * sc;
    }
    return true;
}

/* Why BN node bi cannot be folded into its producer pi (NULL: it can). */
static const char *refusal(const ert_edit *e, int bi, int pi)
{
    const ert_node *bn = &e->g->nodes[bi];
    if (ert_attr_int(bn, "training_mode", 0))
        return "it runs in training mode";
    if (bn->version < 9 && ert_attr_int(bn, "spatial", 1) == 0)
        return "its statistics are per activation (spatial=0)";
    for (int j = 1; j < bn->n_outputs; j++)
        if (bn->outputs[j] >= 0 && ert_edit_n_readers(e, bn->outputs[j]) > 0)
            return "its running statistics outputs are used";
    int y = e->g->nodes[pi].outputs[0];
    if (ert_edit_sole_consumer(e, y) != bi)
        return "the producer's output has other consumers";
    return NULL;
}

static ert_status fold_one(ert_edit *e, int bi, int pi, ert_pass_notes *notes, ert_err *err)
{
    const char *why = refusal(e, bi, pi);
    int64_t m = why ? -1 : pu_affine_channels(e, pi, &why);
    double *s = NULL, *t = NULL;
    ert_status st = ERT_OK;
    char kind[ERT_PASS_KIND_LEN];
    snprintf(kind, sizeof kind, "%s+" KIND, e->g->nodes[pi].op_type);
    if (m >= 0) {
        s = malloc(sizeof(double) * (size_t)(m ? m : 1));
        t = malloc(sizeof(double) * (size_t)(m ? m : 1));
        if (!s || !t) {
            st = ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
            goto done;
        }
        if (bn_affine(e, &e->g->nodes[bi], m, s, t, &why)) {
            if (pu_fold_affine(e, pi, bi, e->g->nodes[bi].outputs[0], m, s, t, KIND, err) < 0)
                st = ERT_ERR_NO_MEMORY;
            else
                ert_pass_note_applied(notes, kind);
            goto done;
        }
    }
    ert_pass_note_skipped(notes, kind, "%s '%s' not folded into %s '%s': "
                          "%s", KIND, pu_nname(e, bi), e->g->nodes[pi].op_type,
                          pu_nname(e, pi), why);
done:
    free(s);
    free(t);
    return st;
}

ert_status ert_opt_fold_bn(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes;
    for (int bi = 0; bi < nn; bi++) {
        if (!pu_is(e, bi, ERT_OP_BATCH_NORMALIZATION))
            continue;
        int x = e->g->nodes[bi].inputs[0];
        int pi = x >= 0 ? e->g->values[x].producer : -1;
        if (pi < 0 || !(pu_is(e, pi, ERT_OP_CONV) || pu_is(e, pi, ERT_OP_CONV_TRANSPOSE) ||
                        pu_is(e, pi, ERT_OP_GEMM)))
            continue;
        ert_status st = fold_one(e, bi, pi, notes, err);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}
