/*
 * remove_identity.c - Identity and inference-time Dropout removed: their readers read
 * the input directly. Dropout at inference is the identity whatever its ratio; it is
 * kept when its mask output is read (the mask would have to be materialised) or when
 * training_mode (opset 12+) is not a constant false, unless the ratio is a constant 0
 * (training mode then drops nothing and scales by 1). A node whose output is a graph
 * output stays when its input cannot take that output's name (a graph input, a
 * constant, or another graph output): the model's outputs keep their names.
 */
#include "passes/pass_util.h"

/* Whether Dropout n's ratio is a constant 0: then even training mode drops nothing and
 * scales by 1/(1 - 0) (PyTorch exports an eval-mode nn.Dropout(p=0) in some models,
 * e.g. torchvision's Swin-T, as training_mode = true, ratio = 0). */
static bool zero_ratio(const ert_edit *e, const ert_node *n)
{
    if (n->n_inputs < 2 || n->inputs[1] < 0)
        return false; /* the default ratio is 0.5 */
    const ert_tensor *r = pu_const(e, n->inputs[1]);
    return r && ert_tensor_numel(r) == 1 && ert_dtype_is_float(r->dtype) &&
           ert_tensor_get_f64(r, 0) == 0.0;
}

/* Why Dropout node ni must stay (NULL: removable). */
static const char *dropout_refusal(const ert_edit *e, int ni)
{
    const ert_node *n = &e->g->nodes[ni];
    if (n->n_outputs > 1 && n->outputs[1] >= 0 && ert_edit_n_readers(e, n->outputs[1]) > 0)
        return "its mask output is used";
    if (n->version >= 12 && n->n_inputs > 2 && n->inputs[2] >= 0) {
        const ert_tensor *tm = pu_const(e, n->inputs[2]);
        if (!tm || ert_tensor_numel(tm) != 1)
            return "training_mode is not a constant";
        if (ert_tensor_get_i64(tm, 0) != 0 && !zero_ratio(e, n))
            return "training_mode is true and ratio is not a constant 0";
    }
    return NULL; /* before opset 12 always the identity at inference (ratio, is_test ignored) */
}

static void remove_one(ert_edit *e, int ni, ert_pass_notes *notes)
{
    const ert_node *n = &e->g->nodes[ni];
    int x = n->inputs[0], y = n->outputs[0];
    const char *kind = n->op_type;
    const char *why = NULL;
    if (x < 0 || y < 0)
        return;
    if (!ert_tensor_is_dense(&e->g->values[x].t))
        return; /* sequences / optionals pass through Identity: leave those alone */
    if (n->op->id == ERT_OP_DROPOUT)
        why = dropout_refusal(e, ni);
    if (!why && !ert_edit_replace_uses(e, y, x))
        why = "its output is a graph output and its input cannot take that name";
    if (why) {
        ert_pass_note_skipped(notes, kind, "%s '%s' not removed: %s", kind, n->name, why);
        return;
    }
    ert_edit_remove_node(e, ni);
    ert_pass_note_applied(notes, kind);
}

ert_status ert_opt_remove_identity(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    (void)err;
    for (int ni = 0; ni < e->g->n_nodes; ni++)
        if (pu_is(e, ni, ERT_OP_IDENTITY) || pu_is(e, ni, ERT_OP_DROPOUT))
            remove_one(e, ni, notes);
    return ERT_OK;
}
