/*
 * step.h - the one step function: how a node is executed, shared by the context's run
 * loop (context.c), the control-flow subgraph executor (subgraph.c) and load-time
 * constant folding (passes/infer_fold.c).
 *
 * A step is: check the inputs (dense unless the op takes sequences), infer the output
 * shapes from the concrete inputs, give each output storage, run the kernel (the fast
 * kernel chosen at load, or the op's reference kernel). The executors differ only in
 * where storage comes from (grow-only buffers, or the context's arena) and when infer
 * may be skipped (the context skips it while input shapes are unchanged).
 *
 * Hook points: ert_step_hooks runs around the kernel call of every step of a context;
 * the profiler uses it today, the calibration observer and preemption at layer
 * boundaries attach here next.
 */
#ifndef ERT_STEP_H
#define ERT_STEP_H

#include "kernels/kernel.h"
#include "ops/op.h"

typedef struct ert_step_hooks {
    /* before returns non-OK to stop the run at this layer boundary (preemption) */
    ert_status (*before)(void *user, int step, const ert_kctx *k);
    void (*after)(void *user, int step, const ert_kctx *k, ert_status st);
    void *user;
} ert_step_hooks;

/* Input check + shape inference (outputs' rank reset first). */
ert_status ert_step_infer(ert_kctx *k, const ert_graph *g);

/* Grow-only storage for every dense, non-dynamic output (ert_tensor_alloc). */
ert_status ert_step_alloc_outputs(ert_kctx *k);

/* Checks an inferred output: resolved shape, no overflow. Returns bytes in *bytes. */
ert_status ert_step_output_bytes(ert_kctx *k, int i, size_t *bytes);

/* The kernel: kern->run, or the op's reference run when kern is NULL. */
static inline ert_status ert_step_kernel(ert_kctx *k, const ert_kernel *kern)
{
    return kern ? kern->run(k) : k->node->op->run(k);
}

/* infer + alloc + reference kernel: the whole step, for the subgraph executor and for
 * constant folding. */
ert_status ert_step_eval(ert_kctx *k, const ert_graph *g);

#endif /* ERT_STEP_H */
