/*
 * optimize.c - the graph optimizer's entry point: runs the rewrite passes in order on
 * one edit session (so consumer lists are built once), then restores topological order
 * and re-infers shapes, so every value has a correct dtype/shape for the engine.
 *
 * Order, and why:
 *   remove_identity  first: Identity/Dropout between a Conv and its BN/activation would
 *                    hide every pattern below
 *   cse              merges duplicate branches, so their consumers see one producer
 *   fuse_act         decomposed SiLU / GELU / HardSwish -> one node, anywhere (fuse_conv
 *                    then takes it like any activation)
 *   fuse_layernorm   decomposed LayerNorm (ReduceMean/Sub/Pow/.../Add) -> one node;
 *                    before the Mul/Add folds, which never match its tail anyway
 *   fold_pad         zero constant Pad into the pads of the Conv / AveragePool after it,
 *                    before the folds below clone the Conv
 *   matmul_add       before BN folding, which then also folds a BN after the new Gemm
 *   fold_bn          Conv/ConvTranspose/Gemm + BatchNormalization
 *   fold_scale       then per-channel Mul/Add (incl. BN decomposed by exporters)
 *   fold_bn again    a BN behind a bias Add (Paddle's ConvTranspose -> Add -> BN) meets
 *                    its conv only once fold_scale has taken the Add
 *   transpose        cancel/merge Transpose pairs
 *   fuse_conv        it consumes the Conv + Add + activation that the folds leave
 *   fuse_gemm        Gemm [-> Reshape] -> activation (the Gemms of matmul_add and fold_bn
 *                    are final by then)
 * Only the top-level graph is rewritten: subgraph bodies run through subgraph.c, whose
 * executor sees them as imported (fine: control flow is rare in the target models).
 */
#include "passes/pass_util.h"

typedef ert_status (*opt_pass)(ert_edit *e, ert_pass_notes *notes, ert_err *err);

ert_status ert_pass_optimize(ert_graph *g, ert_pass_notes *notes, ert_err *err)
{
    static const opt_pass passes[] = {
        ert_opt_remove_identity, ert_opt_cse, ert_opt_fuse_act, ert_opt_fuse_layernorm,
        ert_opt_fold_pad,
        ert_opt_matmul_add, ert_opt_fold_bn, ert_opt_fold_scale, ert_opt_fold_bn,
        ert_opt_transpose, ert_opt_fuse_conv, ert_opt_fuse_gemm,
    };
    ert_edit e;
    ert_status st = ert_edit_begin(&e, g, err);
    for (size_t i = 0; st == ERT_OK && i < sizeof passes / sizeof passes[0]; i++)
        st = passes[i](&e, notes, err);
    if (st == ERT_OK)
        st = ert_edit_sort(&e, err);
    ert_edit_end(&e);
    if (st == ERT_OK)
        /* new nodes' outputs; checks the rewrite. No folding: whatever had only constant
         * inputs was folded before (or the caller asked for no folding) */
        st = ert_pass_infer_fold(g, false, err);
    if (st != ERT_OK)
        ert_err_prefix(err, "graph optimizer: ");
    return st;
}
