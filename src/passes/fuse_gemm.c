/*
 * fuse_gemm.c - Gemm [-> Reshape] -> activation -> one FusedGemm node (src/ops/fused.c):
 * y = act(Gemm(A, B, C)). The matmul kernel then applies the activation in the SGEMM's
 * epilogue, on each finished tile row while it is in cache, instead of one more pass
 * over the result: a transformer's or ConvNeXt's Linear -> Gelu, where matmul_add made
 * the Gemm from MatMul + Add and a Reshape takes it back to [..., N].
 *
 * Matched: a float32 Gemm whose output feeds only an activation (pu_act_of; PRelu
 * excepted: FusedGemm has no slope input), or only a Reshape whose output feeds only an
 * activation (an elementwise op commutes with the Reshape: FusedGemm -> Reshape, the
 * Reshape then writes what the activation wrote). Neither intermediate may be a graph
 * output. Candidates that do not fuse are recorded with the reason.
 */
#include <stdio.h>
#include <string.h>

#include "passes/pass_util.h"

static void skipped(ert_pass_notes *notes, const ert_edit *e, int gi, int ai, const char *why)
{
    ert_pass_note_skipped(notes, "Gemm+activation", "Gemm '%s' not fused with %s '%s': %s",
                          pu_nname(e, gi), e->g->nodes[ai].op_type, pu_nname(e, ai), why);
}

/* The FusedGemm node for Gemm gi and activation a (node ai), writing value out. */
static int add_fused(ert_edit *e, int gi, int ai, const pu_act *a, int out, ert_err *err)
{
    const ert_node *g = &e->g->nodes[gi];
    char ops[256], name[256];
    snprintf(ops, sizeof ops, "%s+%s", pu_fused_ops(e, gi), pu_fused_ops(e, ai));
    snprintf(name, sizeof name, "%s", g->name);
    int in[3] = {g->inputs[0], g->inputs[1], g->n_inputs > 2 ? g->inputs[2] : -1};
    int fi = ert_edit_add_node(e, "FusedGemm", "edgert", name, in[2] >= 0 ? 3 : 2, in, 1, &out);
    if (fi < 0 || ert_edit_copy_attrs(e, fi, gi) != ERT_OK ||
        ert_edit_set_attr_string(e, fi, "fused_ops", ops) != ERT_OK ||
        ert_edit_set_attr_string(e, fi, "activation", a->name) != ERT_OK ||
        (a->n_params &&
         ert_edit_set_attr_floats(e, fi, "activation_params", a->n_params, a->params) != ERT_OK)) {
        ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        return -1;
    }
    return fi;
}

/* Gemm gi; r: the Reshape between it and the activation ai, or -1. */
static ert_status build(ert_edit *e, int gi, int r, int ai, const pu_act *a, ert_err *err)
{
    int z = e->g->nodes[ai].outputs[0];
    if (r < 0) {
        int fi = add_fused(e, gi, ai, a, z, err);
        if (fi < 0)
            return ERT_ERR_NO_MEMORY;
        ert_edit_replace_node(e, ai, fi);
        ert_edit_remove_node(e, gi);
        return ERT_OK;
    }
    const ert_node *rn = &e->g->nodes[r];
    char name[256];
    snprintf(name, sizeof name, "%s", rn->name);
    int fi = add_fused(e, gi, ai, a, e->g->nodes[gi].outputs[0], err);
    if (fi < 0)
        return ERT_ERR_NO_MEMORY;
    ert_edit_replace_node(e, gi, fi);
    int rin[2] = {rn->inputs[0], rn->inputs[1]};
    int nr = ert_edit_add_node(e, "Reshape", "", name, 2, rin, 1, &z);
    if (nr < 0 || ert_edit_copy_attrs(e, nr, r) != ERT_OK)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    ert_edit_replace_node(e, ai, nr);
    ert_edit_remove_node(e, r);
    return ERT_OK;
}

static ert_status fuse_one(ert_edit *e, int gi, ert_pass_notes *notes, ert_err *err)
{
    const ert_node *g = &e->g->nodes[gi];
    int y = g->outputs[0], x = y, r = -1;
    if (g->n_outputs != 1 || e->g->values[y].t.dtype != ERT_DTYPE_FLOAT32)
        return ERT_OK;
    int ai = ert_edit_sole_consumer(e, y);
    if (ai >= 0 && pu_is(e, ai, ERT_OP_RESHAPE) && e->g->nodes[ai].inputs[0] == y) {
        r = ai;
        x = e->g->nodes[r].outputs[0];
        ai = ert_edit_sole_consumer(e, x);
    }
    if (ai < 0)
        return ERT_OK;
    pu_act a;
    const char *why = NULL;
    if (!pu_act_of(e, ai, x, &a, &why)) {
        if (why)
            skipped(notes, e, gi, ai, why);
        return ERT_OK;
    }
    if (a.slope >= 0) {
        skipped(notes, e, gi, ai, "PRelu's slope has no place in FusedGemm");
        return ERT_OK;
    }
    ert_status st = build(e, gi, r, ai, &a, err);
    if (st == ERT_OK)
        ert_pass_note_applied(notes, "Gemm+activation");
    return st;
}

ert_status ert_opt_fuse_gemm(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes;
    for (int gi = 0; gi < nn; gi++) {
        if (!pu_is(e, gi, ERT_OP_GEMM))
            continue;
        ert_status st = fuse_one(e, gi, notes, err);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}
