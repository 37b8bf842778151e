/*
 * step.c - the step function (step.h).
 */
#include "engine/step.h"

#include "engine/subgraph.h"

ert_status ert_step_infer(ert_kctx *k, const ert_graph *g)
{
    for (int i = 0; i < k->n_out; i++)
        if (k->out[i])
            k->out[i]->rank = -1;
    ert_status st = ert_exec_check_inputs(k, g);
    return st == ERT_OK ? k->node->op->infer(k) : st;
}

ert_status ert_step_output_bytes(ert_kctx *k, int i, size_t *bytes)
{
    const ert_tensor *o = k->out[i];
    int64_t numel = ert_tensor_numel(o);
    if (numel == -2 || o->rank < 0 || numel < 0)
        return ert_op_fail(k, numel == -2 ? ERT_ERR_NO_MEMORY : ERT_ERR_INTERNAL,
                           "output %d has %s shape", i,
                           numel == -2 ? "an overflowing" : "an unresolved");
    int64_t b;
    if (!ert_mul_ok(numel, (int64_t)ert_dtype_size_(o->dtype), &b) || b > ERT_MAX_TENSOR_BYTES)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "output %d is too large (%lld elements of %s)",
                           i, (long long)numel, ert_dtype_name(o->dtype));
    *bytes = (size_t)b;
    return ERT_OK;
}

ert_status ert_step_alloc_outputs(ert_kctx *k)
{
    if (k->node->op->flags & ERT_OPF_DYNAMIC_OUTPUTS)
        return ERT_OK; /* control flow sizes and allocates its outputs in run() */
    for (int i = 0; i < k->n_out; i++) {
        ert_tensor *o = k->out[i];
        if (!o || !ert_tensor_is_dense(o))
            continue; /* a sequence-aware op's sequence/none output: run() fills it */
        size_t bytes;
        ert_status st = ert_step_output_bytes(k, i, &bytes);
        if (st != ERT_OK)
            return st;
        if (ert_tensor_alloc(o) != ERT_OK)
            return ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate output %d (%zu bytes)", i,
                               bytes);
    }
    return ERT_OK;
}

ert_status ert_step_eval(ert_kctx *k, const ert_graph *g)
{
    ert_status st = ert_step_infer(k, g);
    if (st == ERT_OK)
        st = ert_step_alloc_outputs(k);
    return st == ERT_OK ? ert_step_kernel(k, NULL) : st;
}
