/*
 * engine_internal.h - the model and context objects behind the public handles.
 *
 * A model owns the optimized graph and the execution plan (the live nodes in order).
 * It is immutable after load, so any number of contexts on any threads may share it.
 * A context owns every mutable thing of one inference stream: input copies and
 * intermediate/output tensors (grown on demand, never shrunk, so a steady-state run
 * with unchanged shapes allocates nothing).
 */
#ifndef ERT_ENGINE_INTERNAL_H
#define ERT_ENGINE_INTERNAL_H

#include "engine/engine.h"
#include "ops/op.h"
#include "passes/passes.h"

struct ert_model {
    ert_err err;          /* last error on this handle */
    ert_graph *g;         /* after passes; NULL if loading failed */
    int n_plan;
    int *plan;            /* node indices to execute, in order */
    int max_io;           /* largest node input/output count (sizes the kctx arrays) */
    ert_pass_notes notes; /* graph optimizer: rewrites per kind, reasons for candidates left */
};

typedef enum ert_ctx_state {
    ERT_CTX_CREATED = 0,  /* inputs not all set */
    ERT_CTX_READY = 1,    /* all inputs set */
    ERT_CTX_DONE = 2      /* ran successfully: outputs valid */
} ert_ctx_state;

struct ert_context {
    ert_err err;
    ert_model *m;
    ert_tensor *vals;     /* per graph value: run-time tensor (unused for constants) */
    bool *input_set;      /* per graph input (index into g->inputs) */
    ert_tensor **in_ptrs; /* scratch for kernel contexts, max_io each */
    ert_tensor **out_ptrs;
    ert_ctx_state state;
};

#endif /* ERT_ENGINE_INTERNAL_H */
