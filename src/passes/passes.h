/*
 * passes.h - graph passes. One pass a file; each takes the graph and rewrites it.
 *
 * Order used by the engine (engine/model.c): infer_fold -> optimize (the graph optimizer:
 * ert_pass_optimize below, unless ert_load_options.no_optimize) -> dead_nodes. Layout
 * choice comes later.
 */
#ifndef ERT_PASSES_H
#define ERT_PASSES_H

#include "ir/ir.h"

/* What the optimizer did and, for candidates it left alone, why. Fixed-size (no
 * allocation, nothing to free): it lives in the model, whose owner frees only the graph.
 * Counts are kept per fusion kind ("Conv+BatchNormalization", "Conv+Relu", ...); the
 * first ERT_PASS_MAX_NOTES reasons are kept as text, later ones only counted. */
#define ERT_PASS_MAX_KINDS 48
#define ERT_PASS_MAX_NOTES 256
#define ERT_PASS_KIND_LEN 48
#define ERT_PASS_NOTE_LEN 224

typedef struct ert_pass_kind_count {
    char kind[ERT_PASS_KIND_LEN]; /* fusion / rewrite kind */
    int applied;                  /* rewrites done */
    int skipped;                  /* candidates left alone */
} ert_pass_kind_count;

typedef struct ert_pass_notes {
    int n_kinds;
    ert_pass_kind_count kinds[ERT_PASS_MAX_KINDS];
    int n_notes;                  /* reasons stored in notes[] */
    int n_dropped;                /* reasons beyond ERT_PASS_MAX_NOTES (counted only) */
    char notes[ERT_PASS_MAX_NOTES][ERT_PASS_NOTE_LEN];
} ert_pass_notes;

/* Counts one applied rewrite of `kind` (notes may be NULL: nothing recorded). */
void ert_pass_note_applied(ert_pass_notes *notes, const char *kind);
/* Counts a candidate of `kind` left alone and stores the reason (printf format), e.g.
 * "Conv 'c1' not fused with Relu 'r1': conv output has 2 consumers". */
void ert_pass_note_skipped(ert_pass_notes *notes, const char *kind, const char *fmt, ...)
    ERT_PRINTF(3, 4);

/* Load-time shape inference in topological order, evaluating every node whose inputs
 * are all constant (and Shape/Size of fully known shapes) when fold is true: their
 * outputs become constants. Nodes without an op (allow_unsupported import) get
 * unknown output shapes. */
ert_status ert_pass_infer_fold(ert_graph *g, bool fold, ert_err *err);

/* Marks dead every node none of whose outputs reaches a graph output, and frees
 * constants no live node reads. */
ert_status ert_pass_dead_nodes(ert_graph *g, ert_err *err);

/* The graph optimizer: runs the rewrite passes below in order (identity removal, CSE,
 * decomposed LayerNorm -> LayerNormalization, BatchNorm / per-channel Mul-Add folding,
 * Conv + activation / residual fusion, MatMul + Add -> Gemm, Transpose merging) on an
 * inferred graph (after infer_fold), leaving every value's dtype/shape correct;
 * dead_nodes runs afterwards. notes may be NULL. Graphs with subgraphs are optimized at
 * the top level only. */
ert_status ert_pass_optimize(ert_graph *g, ert_pass_notes *notes, ert_err *err);

#endif /* ERT_PASSES_H */
