/*
 * infer_fold.c - load-time shape inference and constant folding, in one sweep.
 *
 * Nodes are visited in topological order. A node whose inputs are all constants (or a
 * Shape/Size node whose input shape is fully known) is evaluated with its reference
 * kernel and its outputs become constants: this collapses the shape-computing
 * subgraphs that torch, paddle and tf2onnx exports produce (Shape -> Gather -> Concat ->
 * Reshape) whenever the input shapes are static. Every other node gets shape-only
 * inference, keeping symbolic dims, so `inspect` and the API can describe the model.
 * Cost: one reference-kernel call per foldable node; folded constants are usually tiny.
 * Subgraphs (If/Loop/Scan) are inferred and folded in place when their node is reached,
 * see the section below; a control-flow node whose inputs (captures included) are all
 * constant is evaluated like any other.
 */
#include <stdlib.h>
#include <string.h>

#include "ops/op.h"
#include "engine/step.h"
#include "passes/passes.h"

/* Merges inferred facts with what the model declared for the value. */
static void merge_declared(ert_tensor *dst, const ert_tensor *inferred)
{
    if (inferred->dtype != ERT_DTYPE_UNDEFINED)
        dst->dtype = inferred->dtype;
    if (inferred->kind != ERT_TENSOR_DENSE)
        dst->kind = inferred->kind;
    /* is_optional stays as declared: it says how the value's type is written (API, test
     * data), and a Loop carrying an optional may declare a plain sequence output */
    if (inferred->rank < 0)
        return; /* keep the declared shape, if any */
    if (dst->rank != inferred->rank) {
        ert_tensor_set_shape(dst, inferred->rank, inferred->dims);
        return;
    }
    for (int i = 0; i < inferred->rank; i++)
        if (inferred->dims[i] >= 0 || dst->dims[i] == ERT_DIM_UNKNOWN)
            dst->dims[i] = inferred->dims[i];
}

/* ---- subgraphs (If branches, Loop/Scan bodies) ----
 *
 * Before a control-flow node is inferred, its subgraphs are: captures take the outer
 * value's dtype/shape (and, for the time of the inference, its data when constant, so
 * body nodes that depend only on constants fold), formal inputs are seeded from the
 * node's inputs. Loop-carried / Scan state shapes may change between iterations, so they
 * are iterated to a fixed point without folding first: seed = initial shape, then
 * seed := merge(seed, body output) until stable (3 rounds, else rank unknown). Only then
 * does the folding round run, so a Shape node in a body never folds a shape that a later
 * iteration changes. */

#define MAX_FIXPOINT_ROUNDS 3

static ert_status infer_graph(ert_graph *g, bool fold, ert_err *err);

/* Forgets what an earlier round inferred for g's intermediate values (declared shapes
 * stay), so a round with more general seeds does not keep stale dims. */
static void reset_inferred(ert_graph *g)
{
    for (int v = 0; v < g->n_values; v++) {
        ert_value *val = &g->values[v];
        if (val->kind != ERT_VALUE_INTERMEDIATE || val->producer < 0 || val->shape_from_model)
            continue;
        val->t.dtype = ERT_DTYPE_UNDEFINED;
        val->t.rank = -1;
    }
}

/* dst := facts true of both a and b (dtype from a; dims equal -> kept, else unknown). */
static void merge_shapes(ert_tensor *dst, const ert_tensor *a, const ert_tensor *b)
{
    ert_tensor r = *a;
    r.data = NULL;
    r.capacity = r.nbytes = 0;
    r.quant = NULL;
    if (a->rank < 0 || b->rank < 0 || a->rank != b->rank) {
        r.rank = -1;
    } else {
        for (int i = 0; i < a->rank; i++)
            if (a->dims[i] != b->dims[i])
                r.dims[i] = ERT_DIM_UNKNOWN;
    }
    *dst = r;
}

static bool same_shape(const ert_tensor *a, const ert_tensor *b)
{
    if (a->rank != b->rank)
        return false;
    for (int i = 0; i < a->rank; i++)
        if (a->dims[i] != b->dims[i])
            return false;
    return true;
}

/* Sets formal input i of sg from description t (shape only, no data). */
static ert_status seed_formal(const ert_node *n, ert_graph *sg, int i, const ert_tensor *t,
                              ert_err *err)
{
    if (i >= sg->n_inputs)
        return ERT_OK;
    ert_value *v = &sg->values[sg->inputs[i]];
    if (v->t.dtype != ERT_DTYPE_UNDEFINED && t->dtype != ERT_DTYPE_UNDEFINED &&
        v->t.dtype != t->dtype)
        return ert_errf(err, ERT_ERR_INVALID_ARGUMENT, "%s node '%s': body input '%s' is "
                        "declared %s but receives %s", n->op_type, n->name, v->name,
                        ert_dtype_name(v->t.dtype), ert_dtype_name(t->dtype));
    if (t->dtype != ERT_DTYPE_UNDEFINED)
        v->t.dtype = t->dtype;
    if (t->kind != ERT_TENSOR_DENSE)
        v->t.kind = t->kind;
    v->t.is_optional |= t->is_optional;
    v->t.rank = t->rank;
    if (t->rank > 0)
        memcpy(v->t.dims, t->dims, sizeof(int64_t) * (size_t)t->rank);
    return ERT_OK;
}

/* Seeds: the description each formal input of the body gets (n_seeds of them). */
static ert_status infer_body_round(const ert_node *n, ert_graph *sg, int n_seeds,
                                   const ert_tensor *seeds, bool fold, ert_err *err)
{
    for (int i = 0; i < n_seeds; i++) {
        ert_status st = seed_formal(n, sg, i, &seeds[i], err);
        if (st != ERT_OK)
            return st;
    }
    reset_inferred(sg);
    return infer_graph(sg, fold, err);
}

/* Loop / Scan body: formal seeds from the node's inputs, carried shapes to a fixed point. */
static ert_status infer_body(const ert_node *n, ert_graph *sg, ert_tensor *const *in, bool fold,
                             ert_err *err)
{
    int n_expl = n->n_inputs - n->n_captures;
    int n_formal = sg->n_inputs;
    ert_tensor *seeds = calloc((size_t)n_formal + 1, sizeof(ert_tensor));
    if (!seeds)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    int first_carried, n_carried, out_carried; /* formal index / count / body output index */
    if (n->op->id == ERT_OP_LOOP) {
        /* formals: iteration_num (int64 scalar), cond (bool scalar), carried... */
        first_carried = 2;
        n_carried = n_formal - 2;
        out_carried = 1;
        if (n_formal >= 1) {
            seeds[0].dtype = ERT_DTYPE_INT64;
            seeds[0].rank = 0;
        }
        if (n_formal >= 2) {
            seeds[1].dtype = ERT_DTYPE_BOOL;
            seeds[1].rank = 0;
        }
        for (int j = 0; j < n_carried; j++) {
            const ert_tensor *t = 2 + j < n_expl ? in[2 + j] : NULL;
            seeds[2 + j].rank = -1;
            if (t) {
                seeds[2 + j] = *t;
                seeds[2 + j].data = NULL;
                seeds[2 + j].quant = NULL;
            }
        }
    } else { /* Scan: state..., scan slices... (Scan-8: after sequence_lens, batch-major) */
        int64_t m = ert_attr_int(n, "num_scan_inputs", 0);
        int off = n->version < 9 ? 1 : 0;
        first_carried = 0;
        n_carried = (m >= 0 && m <= n_formal) ? n_formal - (int)m : 0;
        out_carried = 0;
        const int64_t *axes = NULL;
        int64_t n_axes = ert_attr_ints(n, "scan_input_axes", &axes);
        for (int j = 0; j < n_formal; j++) {
            const ert_tensor *t = j + off < n_expl ? in[j + off] : NULL;
            seeds[j].rank = -1;
            if (!t)
                continue;
            seeds[j] = *t;
            seeds[j].data = NULL;
            seeds[j].quant = NULL;
            if (off) {
                /* drop the batch dim (and the step dim of scan inputs) */
                int drop = j < n_carried ? 1 : 2;
                seeds[j].rank = t->rank >= drop ? t->rank - drop : -1;
                for (int d = 0; d < seeds[j].rank; d++)
                    seeds[j].dims[d] = t->dims[d + drop];
                continue;
            }
            if (j < n_carried)
                continue;
            /* a slice: the input without its scan axis */
            if (t->rank < 1) {
                seeds[j].rank = -1;
                continue;
            }
            int64_t ax = (axes && j - n_carried < n_axes) ? axes[j - n_carried] : 0;
            if (ax < 0)
                ax += t->rank;
            if (ax < 0 || ax >= t->rank) {
                seeds[j].rank = -1;
                continue;
            }
            for (int d = (int)ax; d + 1 < t->rank; d++)
                seeds[j].dims[d] = t->dims[d + 1];
            seeds[j].rank = t->rank - 1;
        }
    }
    ert_status st = ERT_OK;
    bool stable = false;
    for (int round = 0; round < MAX_FIXPOINT_ROUNDS && !stable && n_carried > 0; round++) {
        st = infer_body_round(n, sg, n_formal, seeds, false, err);
        if (st != ERT_OK)
            goto done;
        stable = true;
        for (int j = 0; j < n_carried && out_carried + j < sg->n_outputs; j++) {
            ert_tensor *s = &seeds[first_carried + j];
            const ert_tensor *o = &sg->values[sg->outputs[out_carried + j]].t;
            ert_tensor merged;
            merge_shapes(&merged, s, o);
            if (!same_shape(&merged, s))
                stable = false;
            merged.dtype = s->dtype;
            *s = merged;
        }
    }
    if (!stable && n_carried > 0)
        for (int j = 0; j < n_carried; j++)
            seeds[first_carried + j].rank = -1;
    st = infer_body_round(n, sg, n_formal, seeds, fold, err);
done:
    free(seeds);
    return st;
}

/* True if g or a graph nested in it has a node that must not be folded (random ops). */
static bool has_no_fold(const ert_graph *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        const ert_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        if (!n->op || (n->op->flags & ERT_OPF_NO_FOLD))
            return true;
        for (int a = 0; a < n->n_attrs; a++)
            if (n->attrs[a].g && has_no_fold(n->attrs[a].g))
                return true;
    }
    return false;
}

/* True if n is an If whose condition is a load-time constant that does not select the
 * branch attribute `branch`. */
static bool if_not_taken(const ert_node *n, ert_tensor *const *in, const char *branch)
{
    const ert_tensor *c = n->n_inputs > 0 ? in[0] : NULL;
    if (!c || !c->data || ert_tensor_numel(c) != 1)
        return false;
    bool cond = ert_load_i64(c->dtype, c->data, 0) != 0;
    return strcmp(branch, cond ? "else_branch" : "then_branch") == 0;
}

/* Infers every subgraph of n (in: the node's inputs, captures included). */
static ert_status infer_subgraphs(const ert_node *n, ert_tensor *const *in,
                                  const ert_value *const *in_vals, bool fold, ert_err *err)
{
    ert_status st = ERT_OK;
    for (int a = 0; a < n->n_attrs; a++) {
        ert_graph *sg = n->attrs[a].g;
        if (!sg)
            continue;
        /* captures: outer description; outer constants lend their data meanwhile */
        for (int i = 0; i < sg->n_captures; i++) {
            ert_value *cv = &sg->values[sg->captures[i]];
            int slot = sg->capture_slots[i];
            const ert_tensor *ot = in[slot];
            cv->t = *ot;
            cv->t.capacity = 0; /* borrowed: never freed through the subgraph */
            if (in_vals[slot]->kind == ERT_VALUE_CONST && ot->data) {
                cv->kind = ERT_VALUE_CONST;
            } else {
                cv->t.data = NULL;
                cv->t.nbytes = 0;
            }
        }
        bool is_if = n->op->id == ERT_OP_IF && sg->n_inputs == 0;
        if (n->op->id == ERT_OP_LOOP || n->op->id == ERT_OP_SCAN) {
            st = infer_body(n, sg, in, fold, err);
        } else if (is_if && if_not_taken(n, in, n->attrs[a].name)) {
            /* constant condition: the other branch never runs (and may not even be
             * valid for these shapes: ONNX's function expansions rely on that) */
        } else if (is_if) {
            st = infer_graph(sg, fold, err);
            if (st != ERT_OK) {
                /* the condition is data-dependent: a branch that contradicts the
                 * load-time shapes fails only if it is taken, so report it then */
                for (int i = 0; i < sg->n_outputs; i++)
                    if (sg->values[sg->outputs[i]].kind == ERT_VALUE_INTERMEDIATE)
                        sg->values[sg->outputs[i]].t.rank = -1;
                ert_err_clear(err);
                st = ERT_OK;
            }
        }
        for (int i = 0; i < sg->n_captures; i++) {
            ert_value *cv = &sg->values[sg->captures[i]];
            cv->kind = ERT_VALUE_INPUT;
            cv->t.data = NULL;
            cv->t.nbytes = 0;
            cv->t.capacity = 0;
            cv->t.quant = NULL;
        }
        if (st != ERT_OK) {
            ert_err_prefix(err, "in subgraph '%s' of %s node '%s': ", n->attrs[a].name,
                           n->op_type, n->name);
            return st;
        }
    }
    return ERT_OK;
}

static ert_status infer_graph(ert_graph *g, bool fold, ert_err *err)
{
    int max_io = ERT_KCTX_MIN_SLOTS;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        if (g->nodes[ni].n_inputs > max_io)
            max_io = g->nodes[ni].n_inputs;
        if (g->nodes[ni].n_outputs > max_io)
            max_io = g->nodes[ni].n_outputs;
    }
    ert_tensor **in = calloc((size_t)max_io, sizeof(ert_tensor *));
    ert_tensor **out = calloc((size_t)max_io, sizeof(ert_tensor *));
    ert_tensor *tmp = calloc((size_t)max_io, sizeof(ert_tensor));
    const ert_value **in_vals = calloc((size_t)max_io, sizeof(ert_value *));
    ert_status st = ERT_OK;
    if (!in || !out || !tmp || !in_vals) {
        st = ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    for (int ni = 0; ni < g->n_nodes; ni++) {
        ert_node *n = &g->nodes[ni];
        if (n->dead)
            continue;
        if (!n->op)
            continue; /* unsupported op kept for inspect: outputs stay as declared */
        bool all_const = !(n->op->flags & ERT_OPF_NO_FOLD);
        for (int i = 0; i < max_io; i++) {
            int v = i < n->n_inputs ? n->inputs[i] : -1;
            in[i] = v >= 0 ? &g->values[v].t : NULL;
            in_vals[i] = v >= 0 ? &g->values[v] : NULL;
            if (v >= 0 && g->values[v].kind != ERT_VALUE_CONST)
                all_const = false;
        }
        /* a dense kernel never sees a sequence (the executors check again at run time) */
        for (int i = 0; i < n->n_inputs && !(n->op->flags & ERT_OPF_SEQUENCE_IO); i++)
            if (in[i] && in[i]->kind == ERT_TENSOR_SEQUENCE) {
                st = ert_errf(err, ERT_ERR_UNSUPPORTED, "%s node '%s': input %d '%s' is a "
                              "sequence, but this op takes tensors only", n->op_type, n->name,
                              i, g->values[n->inputs[i]].name);
                goto done;
            }
        if ((n->op->flags & ERT_OPF_SHAPE_ONLY) && n->n_inputs >= 1 && in[0] &&
            ert_tensor_shape_known(in[0]))
            all_const = true;
        if (ert_node_has_subgraphs(n)) {
            st = infer_subgraphs(n, in, in_vals, fold, err);
            if (st != ERT_OK)
                goto done;
            for (int a = 0; a < n->n_attrs && all_const; a++)
                if (n->attrs[a].g && has_no_fold(n->attrs[a].g))
                    all_const = false;
        }
        for (int i = 0; i < max_io; i++)
            out[i] = NULL;
        for (int i = 0; i < n->n_outputs; i++) {
            memset(&tmp[i], 0, sizeof tmp[i]);
            tmp[i].rank = -1;
            out[i] = n->outputs[i] >= 0 ? &tmp[i] : NULL;
        }
        bool do_fold = fold && all_const;
        ert_kctx k = {.node = n, .version = n->version, .n_in = n->n_inputs, .in = in,
                      .n_out = n->n_outputs, .out = out, .shapes_only = !do_fold, .err = err};
        st = n->op->infer(&k);
        if (st == ERT_OK && do_fold) {
            st = ert_step_alloc_outputs(&k); /* the executors' step function (step.h) */
            if (st == ERT_OK)
                st = ert_step_kernel(&k, NULL);
        }
        if (st != ERT_OK) {
            for (int i = 0; i < n->n_outputs; i++)
                ert_tensor_free_data(&tmp[i]);
            goto done;
        }
        for (int i = 0; i < n->n_outputs; i++) {
            int v = n->outputs[i];
            if (v < 0)
                continue;
            ert_value *val = &g->values[v];
            if (do_fold) {
                ert_tensor_free_data(&val->t);
                val->t = tmp[i];
                val->kind = ERT_VALUE_CONST;
            } else {
                merge_declared(&val->t, &tmp[i]);
            }
        }
        if (do_fold)
            n->dead = true;
    }
done:
    free(in);
    free(out);
    free(tmp);
    free(in_vals);
    return st;
}

ert_status ert_pass_infer_fold(ert_graph *g, bool fold, ert_err *err)
{
    return infer_graph(g, fold, err);
}
