/*
 * transpose.c - Transpose(Transpose(x, p1), p2) is Transpose(x, q) with q[i] = p1[p2[i]]
 * (output axis i of the outer one reads axis p2[i] of the inner, which reads axis
 * p1[p2[i]] of x). An identity q removes both (readers read x); otherwise one merged
 * Transpose replaces the outer. The inner stays while something else reads it. NHWC
 * <-> NCHW round trips of tf2onnx exports cancel this way.
 */
#include <stdio.h>

#include "passes/pass_util.h"

/* perm of Transpose node ni for rank r (absent: reversed axes); false if invalid. */
static bool get_perm(const ert_edit *e, int ni, int r, int64_t *p)
{
    const int64_t *v;
    int64_t n = ert_attr_ints(&e->g->nodes[ni], "perm", &v);
    if (n < 0) {
        for (int i = 0; i < r; i++)
            p[i] = r - 1 - i;
        return r >= 0;
    }
    if (n != r)
        return false;
    for (int i = 0; i < r; i++)
        p[i] = v[i];
    return true;
}

static ert_status merge_one(ert_edit *e, int inner, int outer, ert_pass_notes *notes,
                            ert_err *err)
{
    int x = e->g->nodes[inner].inputs[0], y = e->g->nodes[outer].outputs[0];
    int r = e->g->values[x].t.rank;
    int64_t p1[ERT_MAX_RANK], p2[ERT_MAX_RANK], q[ERT_MAX_RANK];
    if (r < 0 || r > ERT_MAX_RANK || !get_perm(e, inner, r, p1) || !get_perm(e, outer, r, p2))
        return ERT_OK;
    bool identity = true;
    for (int i = 0; i < r; i++) {
        q[i] = p1[p2[i]];
        identity &= q[i] == i;
    }
    if (identity) {
        if (!ert_edit_replace_uses(e, y, x)) {
            ert_pass_note_skipped(notes, "Transpose+Transpose", "Transposes '%s' and '%s' "
                                  "cancel but not removed: the output is a graph output and "
                                  "the input cannot take its name",
                                  pu_nname(e, inner), pu_nname(e, outer));
            return ERT_OK;
        }
        ert_edit_remove_node(e, outer);
        ert_pass_note_applied(notes, "Transpose+Transpose (cancel)");
        return ERT_OK;
    }
    char name[256];
    snprintf(name, sizeof name, "%s", pu_nname(e, outer));
    int ni = ert_edit_add_node(e, "Transpose", "", name, 1, &x, 1, &y);
    if (ni < 0 || ert_edit_set_attr_ints(e, ni, "perm", r, q) != ERT_OK)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    ert_edit_replace_node(e, outer, ni);
    ert_pass_note_applied(notes, "Transpose+Transpose (merge)");
    return ERT_OK;
}

ert_status ert_opt_transpose(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes;
    for (int ni = 0; ni < nn; ni++) {
        if (!pu_is(e, ni, ERT_OP_TRANSPOSE))
            continue;
        int x = e->g->nodes[ni].inputs[0];
        int pi = x >= 0 ? e->g->values[x].producer : -1;
        if (pi < 0 || !pu_is(e, pi, ERT_OP_TRANSPOSE))
            continue;
        ert_status st = merge_one(e, pi, ni, notes, err);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}
