/*
 * matmul_add.c - MatMul(A, B) + C -> Gemm(A, B, C) when A is 2-D [M, K], B a constant
 * [K, N] and C a constant that broadcasts unidirectionally to [M, N] (scalar, [N],
 * [1, N], [M, 1] or [M, N]): one kernel with the bias in its epilogue instead of a
 * GEMM and a full pass over the result. Classifier heads of torch/paddle exports look
 * like this. Needs the MatMul output to feed only the Add, and Gemm-7 or later (C
 * broadcasting) at the model's opset.
 */
#include <stdio.h>

#include "passes/pass_util.h"

#define KIND "MatMul+Add"

/* Why C (value cv) cannot be Gemm's C for the MatMul result y (NULL: it can). */
static const char *bias_refusal(const ert_edit *e, int cv, int y)
{
    const ert_tensor *c = pu_const(e, cv), *yt = &e->g->values[y].t;
    if (!c)
        return "the other Add operand is not a constant";
    if (c->dtype != yt->dtype)
        return "the bias dtype differs";
    if (c->rank > 2)
        return "the bias has rank > 2";
    for (int i = 0; i < c->rank; i++) {
        int64_t d = c->dims[c->rank - 1 - i], yd = yt->dims[1 - i];
        if (d != 1 && d != yd)
            return "the bias does not broadcast to the MatMul result";
    }
    /* every bias dim is 1 or equals the result's (known) dim, and the bias has no more
     * dims than the result, so the Add's output has exactly the MatMul's shape */
    return NULL;
}

/* Why MatMul node mi + Add node ai cannot become a Gemm (NULL: they can). */
static const char *refusal(const ert_edit *e, int mi, int ai)
{
    const ert_node *mm = &e->g->nodes[mi];
    int y = mm->outputs[0];
    const ert_tensor *a = &e->g->values[mm->inputs[0]].t, *b = pu_const(e, mm->inputs[1]);
    if (e->g->opset_onnx < 7)
        return "Gemm before opset 7 does not broadcast C";
    if (a->rank != 2 || !ert_dtype_is_float(a->dtype))
        return "A is not a 2-D float tensor";
    if (!b || b->rank != 2 || b->dtype != a->dtype)
        return "B is not a 2-D constant of A's dtype";
    const ert_tensor *yt = &e->g->values[y].t;
    if (yt->rank != 2 || yt->dims[1] < 0)
        return "the result's column count is unknown";
    if (ert_edit_sole_consumer(e, y) != ai)
        return "the MatMul output has other consumers";
    return bias_refusal(e, pu_other_input(e, ai, y), y);
}

static ert_status fuse_one(ert_edit *e, int mi, int ai, ert_pass_notes *notes, ert_err *err)
{
    const char *why = refusal(e, mi, ai);
    if (why) {
        ert_pass_note_skipped(notes, KIND, "MatMul '%s' not fused with Add '%s': %s",
                              pu_nname(e, mi), pu_nname(e, ai), why);
        return ERT_OK;
    }
    const ert_node *mm = &e->g->nodes[mi];
    int in[3] = {mm->inputs[0], mm->inputs[1], pu_other_input(e, ai, mm->outputs[0])};
    int out = e->g->nodes[ai].outputs[0];
    char name[256];
    snprintf(name, sizeof name, "%s", mm->name);
    int gi = ert_edit_add_node(e, "Gemm", "", name, 3, in, 1, &out);
    if (gi < 0 || ert_edit_set_attr_string(e, gi, "fused_ops", KIND) != ERT_OK)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    ert_edit_replace_node(e, ai, gi);
    ert_edit_remove_node(e, mi);
    ert_pass_note_applied(notes, KIND);
    return ERT_OK;
}

ert_status ert_opt_matmul_add(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes;
    for (int ai = 0; ai < nn; ai++) {
        if (!pu_is(e, ai, ERT_OP_ADD))
            continue;
        for (int j = 0; j < 2; j++) {
            int x = e->g->nodes[ai].inputs[j];
            int mi = x >= 0 ? e->g->values[x].producer : -1;
            if (mi < 0 || !pu_is(e, mi, ERT_OP_MATMUL))
                continue;
            ert_status st = fuse_one(e, mi, ai, notes, err);
            if (st != ERT_OK)
                return st;
            break;
        }
    }
    return ERT_OK;
}
