/*
 * engine.h - internal view of a loaded model, for the CLI's inspect and for tests;
 * internal entry points for sequence/optional values.
 */
#ifndef ERT_ENGINE_H
#define ERT_ENGINE_H

#include "ir/ir.h"

/* The graph behind a model (after passes). Read-only. */
const ert_graph *ert_model_graph(const ert_model *m);

/* Sequence and optional values, which the public API (ert_tensor_info) cannot carry:
 * for the conformance runner and tests. ert_context_set_value sets graph input `name` to
 * a deep copy of t (a dense tensor goes through ert_context_set_input's checks; a
 * sequence must match the declared element dtype; an empty optional needs an input
 * declared optional). ert_context_get_value points *t at output `index` after a
 * successful run (valid until the next run or free). */
ert_status ert_context_set_value(ert_context *c, const char *name, const ert_tensor *t);
ert_status ert_context_get_value(ert_context *c, int index, const ert_tensor **t);

/* Per-layer profile (edgert bench --profile): one entry per executed step, in plan
 * order. Profiling is off by default (no clock reads on the hot path); while on, each run
 * records every step's wall time. Entries stay valid until the context is freed. */
typedef struct ert_step_profile {
    const char *node;        /* node name */
    const char *op;          /* op_type ("FusedConv", "Conv", ...) */
    const char *kernel;      /* kernel name ("conv.gemm.avx512"), "reference" */
    const char *fused;       /* ops fused into the node ("Conv+BatchNormalization+Relu"),
                              * from its "fused_ops" attribute; "" if none */
    const char *tactics;     /* how the kernel was chosen among several candidates
                              * (tune.h: timings, timing cache, heuristic order and why);
                              * "" with one candidate or none */
    int node_index;          /* index into the graph's nodes */
    int out_rank;            /* output 0's shape in the last run */
    int64_t out_dims[ERT_MAX_RANK];
    uint64_t ns_last;        /* wall time of the step in the last run */
    uint64_t ns_total;       /* summed over calls */
    uint64_t calls;
} ert_step_profile;

void ert_context_set_profiling(ert_context *c, bool on);
/* Points *steps at the entries; returns their count. */
int ert_context_profile(const ert_context *c, const ert_step_profile **steps);

#endif /* ERT_ENGINE_H */
