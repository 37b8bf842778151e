/*
 * subgraph.c - the subgraph executor used by If, Loop and Scan kernels.
 *
 * For every live node the step function (step.h): concrete shape inference, output
 * allocation, reference kernel. Values are looked up through val[]: constants point at the
 * graph, formal inputs at the kernel's tensors, captures at the owning node's implicit
 * inputs, intermediates at buffers owned by the executor. Nested control flow needs
 * nothing special: the inner If/Loop kernel finds its captures in its own inputs.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/subgraph.h"

#include "engine/step.h"
#include "util/scratch.h"

ert_status ert_subgraph_exec_init(ert_subgraph_exec *x, const ert_graph *g, ert_err *err)
{
    memset(x, 0, sizeof *x);
    x->g = g;
    x->max_io = ERT_KCTX_MIN_SLOTS;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].n_inputs > x->max_io)
            x->max_io = g->nodes[i].n_inputs;
        if (g->nodes[i].n_outputs > x->max_io)
            x->max_io = g->nodes[i].n_outputs;
    }
    x->own = calloc((size_t)g->n_values + 1, sizeof(ert_tensor));
    x->val = calloc((size_t)g->n_values + 1, sizeof(ert_tensor *));
    x->in_ptrs = calloc((size_t)x->max_io, sizeof(ert_tensor *));
    x->out_ptrs = calloc((size_t)x->max_io, sizeof(ert_tensor *));
    if (!x->own || !x->val || !x->in_ptrs || !x->out_ptrs)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory preparing a subgraph run");
    for (int i = 0; i < g->n_values; i++) {
        x->own[i].dtype = g->values[i].t.dtype;
        x->own[i].rank = -1;
    }
    return ERT_OK;
}

void ert_subgraph_exec_free(ert_subgraph_exec *x)
{
    if (x->own)
        for (int i = 0; i < x->g->n_values; i++)
            ert_tensor_free_data(&x->own[i]);
    free(x->own);
    free(x->val);
    free(x->in_ptrs);
    free(x->out_ptrs);
    memset(x, 0, sizeof *x);
}

ert_status ert_exec_check_inputs(ert_kctx *k, const ert_graph *g)
{
    if (k->node->op->flags & ERT_OPF_SEQUENCE_IO)
        return ERT_OK;
    for (int i = 0; i < k->n_in; i++) {
        const ert_tensor *t = k->in[i];
        if (t && !ert_tensor_is_dense(t)) {
            int v = k->node->inputs[i];
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "input %d '%s' is %s, but this op takes "
                               "tensors only", i, v >= 0 ? g->values[v].name : "",
                               ert_tensor_kind_str(t));
        }
    }
    return ERT_OK;
}

static ert_status run_body(ert_subgraph_exec *x, int n_formal, ert_tensor *const *formal,
                           const ert_kctx *owner);

/* Bodies run once per iteration: their kernels' temporaries come from malloc, not the
 * context's per-step scratch region, which would only be emptied after the whole loop. */
ert_status ert_subgraph_exec_run(ert_subgraph_exec *x, int n_formal, ert_tensor *const *formal,
                                 const ert_kctx *owner)
{
    ert_scratch *prev = ert_scratch_install(NULL);
    ert_status st = run_body(x, n_formal, formal, owner);
    ert_scratch_install(prev);
    return st;
}

static ert_status run_body(ert_subgraph_exec *x, int n_formal, ert_tensor *const *formal,
                           const ert_kctx *owner)
{
    const ert_graph *g = x->g;
    ert_err *err = owner->err;
    if (n_formal != g->n_inputs)
        return ert_errf(err, ERT_ERR_INVALID_ARGUMENT, "the subgraph has %d inputs but %d are "
                        "given", g->n_inputs, n_formal);
    for (int i = 0; i < g->n_values; i++)
        x->val[i] = g->values[i].kind == ERT_VALUE_CONST ? (ert_tensor *)&g->values[i].t
                                                         : &x->own[i];
    for (int i = 0; i < n_formal; i++) {
        const ert_value *v = &g->values[g->inputs[i]];
        if (!formal[i])
            return ert_errf(err, ERT_ERR_INVALID_ARGUMENT, "subgraph input '%s' is missing",
                            v->name);
        if (v->t.dtype != ERT_DTYPE_UNDEFINED && v->t.dtype != formal[i]->dtype)
            return ert_errf(err, ERT_ERR_INVALID_ARGUMENT, "subgraph input '%s' is declared %s "
                            "but gets %s", v->name, ert_dtype_name(v->t.dtype),
                            ert_dtype_name(formal[i]->dtype));
        x->val[g->inputs[i]] = formal[i];
    }
    for (int i = 0; i < g->n_captures; i++) {
        int slot = g->capture_slots[i];
        if (slot < 0 || slot >= owner->n_in || !owner->in[slot])
            return ert_errf(err, ERT_ERR_INTERNAL, "captured value '%s' is not an input of the "
                            "node", g->values[g->captures[i]].name);
        x->val[g->captures[i]] = owner->in[slot];
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ert_node *n = &g->nodes[ni];
        if (n->dead)
            continue;
        if (!n->op)
            return ert_errf(err, ERT_ERR_UNSUPPORTED, "node '%s' (%s) has no kernel", n->name,
                            n->op_type);
        for (int i = 0; i < x->max_io; i++) {
            int v = i < n->n_inputs ? n->inputs[i] : -1;
            x->in_ptrs[i] = v >= 0 ? x->val[v] : NULL;
        }
        for (int i = 0; i < x->max_io; i++) {
            int v = i < n->n_outputs ? n->outputs[i] : -1;
            x->out_ptrs[i] = v >= 0 ? x->val[v] : NULL;
        }
        ert_kctx k = {.node = n, .version = n->version, .n_in = n->n_inputs, .in = x->in_ptrs,
                      .n_out = n->n_outputs, .out = x->out_ptrs, .shapes_only = false,
                      .err = err};
        ert_status st = ert_step_eval(&k, g);
        if (st != ERT_OK)
            return st;
    }
    for (int i = 0; i < g->n_outputs; i++) {
        const ert_tensor *o = x->val[g->outputs[i]];
        if (!ert_tensor_is_dense(o))
            continue;
        if (o->rank < 0 || (o->data == NULL && ert_tensor_numel(o) > 0))
            return ert_errf(err, ERT_ERR_INTERNAL, "subgraph output '%s' was not computed",
                            g->values[g->outputs[i]].name);
    }
    return ERT_OK;
}
