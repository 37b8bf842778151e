/*
 * control.c - control flow: If, Loop, Scan.
 *
 * Each op owns subgraphs (ERT_ATTR_GRAPH attributes imported as ert_graph by
 * src/import). Outer-scope values a subgraph reads are implicit inputs of the node, after
 * the ONNX inputs (node->n_captures of them), so the kernels receive them in k->in[] and
 * hand them to the subgraph executor (src/engine/subgraph.c).
 *
 * Shapes: at load time src/passes/infer_fold.c infers the subgraphs first; infer here
 * reads their output descriptions (If: both branches merged, or the taken branch if the
 * condition is constant; Loop/Scan: carried values merged with the initial value, scan
 * outputs with a leading trip count that is known only for a constant M without cond /
 * for Scan's sequence length). At run time outputs are data-dependent, so these ops carry
 * ERT_OPF_DYNAMIC_OUTPUTS: run() sets the shapes and allocates.
 *
 * Cost: an executor (one buffer per body value) is set up per node call and reused by
 * every iteration; carried values are double-buffered (one copy per iteration), Loop scan
 * outputs are appended to a buffer that doubles. If and Loop pass sequences and optionals
 * (ERT_OPF_SEQUENCE_IO) through as outputs and loop-carried values (copy_into deep-copies
 * them); Scan inputs/outputs and Loop scan outputs must be tensors.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/subgraph.h"
#include "ops/op.h"

/* ---- helpers ---- */

static int n_explicit(const ert_kctx *k)
{
    return k->n_in - k->node->n_captures;
}

/* dst (an owned buffer, reused) := src. */
static ert_status copy_into(ert_tensor *dst, const ert_tensor *src)
{
    if (!ert_tensor_is_dense(src) || !ert_tensor_is_dense(dst))
        return ert_tensor_copy(dst, src); /* sequences and empty optionals */
    dst->dtype = src->dtype;
    ert_tensor_set_shape(dst, src->rank, src->dims);
    if (ert_tensor_alloc(dst) != ERT_OK)
        return ERT_ERR_NO_MEMORY;
    if (dst->nbytes)
        memcpy(dst->data, src->data, dst->nbytes);
    return ERT_OK;
}

static ert_status copy_out(ert_kctx *k, int i, const ert_tensor *src)
{
    ert_tensor *o = ert_out(k, i);
    if (!o)
        return ERT_OK;
    if (copy_into(o, src) != ERT_OK)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate output %d", i);
    return ERT_OK;
}

/* Description (no data) of subgraph output i as inferred at load time. */
static const ert_tensor *sub_out(const ert_graph *g, int i)
{
    return &g->values[g->outputs[i]].t;
}

/* out := facts true of both a and b. */
static void merge_into(ert_tensor *out, const ert_tensor *a, const ert_tensor *b)
{
    out->dtype = a->dtype != ERT_DTYPE_UNDEFINED ? a->dtype : b->dtype;
    out->kind = a->kind != ERT_TENSOR_DENSE ? a->kind : b->kind;
    out->is_optional = a->is_optional || b->is_optional;
    if (a->rank < 0 || b->rank < 0 || a->rank != b->rank) {
        out->rank = -1;
        return;
    }
    out->rank = a->rank;
    for (int i = 0; i < a->rank; i++)
        out->dims[i] = a->dims[i] == b->dims[i] ? a->dims[i] : ERT_DIM_UNKNOWN;
}

/* Reads a one-element tensor (bool or integer) as int64. */
static ert_status read_scalar(ert_kctx *k, const ert_tensor *t, const char *what, int64_t *v)
{
    if (ert_tensor_numel(t) != 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "%s must hold exactly one element, got %lld", what,
                           (long long)ert_tensor_numel(t));
    *v = ert_load_i64(t->dtype, t->data, 0);
    return ERT_OK;
}

static const ert_graph *need_graph(ert_kctx *k, const char *name, ert_status *st)
{
    const ert_graph *g = ert_node_subgraph(k->node, name);
    if (!g)
        *st = ert_op_fail(k, ERT_ERR_PARSE, "graph attribute '%s' is missing", name);
    return g;
}

/* ---- If ---- */

ert_status ert_infer_if(ert_kctx *k)
{
    ert_status st = ERT_OK;
    const ert_graph *tg = need_graph(k, "then_branch", &st);
    const ert_graph *eg = tg ? need_graph(k, "else_branch", &st) : NULL;
    if (!eg)
        return st;
    if (n_explicit(k) != 1 || !k->in[0])
        return ert_op_fail(k, ERT_ERR_PARSE, "needs exactly one input (cond), got %d",
                           n_explicit(k));
    const ert_tensor *c = k->in[0];
    if (!ert_tensor_is_dense(c))
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "cond is %s; it must be a bool tensor",
                           ert_tensor_kind_str(c));
    if (c->dtype != ERT_DTYPE_UNDEFINED && c->dtype != ERT_DTYPE_BOOL)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "cond must be bool, got %s",
                           ert_dtype_name(c->dtype));
    if (tg->n_inputs || eg->n_inputs)
        return ert_op_fail(k, ERT_ERR_PARSE, "branches must have no inputs (then: %d, else: %d)",
                           tg->n_inputs, eg->n_inputs);
    if (tg->n_outputs != k->n_out || eg->n_outputs != k->n_out)
        return ert_op_fail(k, ERT_ERR_PARSE, "the node has %d outputs but then_branch has %d and "
                           "else_branch %d", k->n_out, tg->n_outputs, eg->n_outputs);
    if (!k->shapes_only)
        return ERT_OK; /* run() sizes the outputs from the branch it takes */
    const ert_graph *taken = NULL;
    if (c->data && ert_tensor_numel(c) == 1)
        taken = ert_load_i64(c->dtype, c->data, 0) ? tg : eg;
    for (int i = 0; i < k->n_out; i++) {
        ert_tensor *o = ert_out(k, i);
        if (!o)
            continue;
        const ert_tensor *a = sub_out(tg, i), *b = sub_out(eg, i);
        if (taken) {
            const ert_tensor *t = sub_out(taken, i);
            o->dtype = t->dtype;
            o->kind = t->kind;
            o->is_optional = t->is_optional;
            ert_tensor_set_shape(o, t->rank, t->dims);
            continue;
        }
        if (a->dtype != ERT_DTYPE_UNDEFINED && b->dtype != ERT_DTYPE_UNDEFINED &&
            a->dtype != b->dtype)
            return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "output %d is %s in then_branch but "
                               "%s in else_branch", i, ert_dtype_name(a->dtype),
                               ert_dtype_name(b->dtype));
        merge_into(o, a, b);
    }
    return ERT_OK;
}

ert_status ert_run_if(ert_kctx *k)
{
    int64_t c = 0; /* set by read_scalar; initialised for -O3 flow analysis */
    ert_status st = read_scalar(k, k->in[0], "cond", &c);
    if (st != ERT_OK)
        return st;
    const char *name = c ? "then_branch" : "else_branch";
    const ert_graph *g = ert_node_subgraph(k->node, name);
    ert_subgraph_exec x;
    st = ert_subgraph_exec_init(&x, g, k->err);
    if (st == ERT_OK)
        st = ert_subgraph_exec_run(&x, 0, NULL, k);
    if (st != ERT_OK) {
        ert_err_prefix(k->err, "If node '%s' %s: ", k->node->name, name);
        goto done;
    }
    for (int i = 0; i < k->n_out && st == ERT_OK; i++)
        st = copy_out(k, i, ert_subgraph_exec_output(&x, i));
done:
    ert_subgraph_exec_free(&x);
    return st;
}

/* ---- Loop ---- */

/* A scan output being accumulated: elements of one shape appended per iteration. */
typedef struct scan_acc {
    ert_tensor elem;   /* description of one element (first iteration) */
    char *buf;
    size_t len, cap;   /* bytes used / allocated */
} scan_acc;

static ert_status acc_append(ert_kctx *k, scan_acc *a, const ert_tensor *t, int64_t iter, int idx)
{
    if (!ert_tensor_is_dense(t))
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "scan output %d is %s at iteration %lld: "
                           "scan outputs must be tensors", idx, ert_tensor_kind_str(t),
                           (long long)iter);
    if (iter == 0) {
        a->elem = *t;
        a->elem.data = NULL;
        a->elem.capacity = a->elem.nbytes = 0;
        a->elem.quant = NULL;
        if (t->rank + 1 > ERT_MAX_RANK)
            return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "scan output %d would have rank %d; at "
                               "most %d supported", idx, t->rank + 1, ERT_MAX_RANK);
    } else if (t->dtype != a->elem.dtype || t->rank != a->elem.rank ||
               memcmp(t->dims, a->elem.dims, sizeof(int64_t) * (size_t)t->rank) != 0) {
        char s1[96], s2[96];
        return ert_op_fail(k, ERT_ERR_SHAPE, "scan output %d has shape %s at iteration %lld but %s "
                           "at iteration 0: scan outputs must keep their shape", idx,
                           ert_shape_str(t, NULL, s1, sizeof s1), (long long)iter,
                           ert_shape_str(&a->elem, NULL, s2, sizeof s2));
    }
    if (t->nbytes > SIZE_MAX - a->len)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "scan output %d overflows", idx);
    if (a->len + t->nbytes > a->cap) {
        size_t cap = a->cap ? a->cap : 256;
        while (cap < a->len + t->nbytes) {
            if (cap > SIZE_MAX / 2)
                return ert_op_fail(k, ERT_ERR_NO_MEMORY, "scan output %d overflows", idx);
            cap *= 2;
        }
        char *p = realloc(a->buf, cap);
        if (!p)
            return ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot grow scan output %d to %zu bytes",
                               idx, cap);
        a->buf = p;
        a->cap = cap;
    }
    if (t->nbytes)
        memcpy(a->buf + a->len, t->data, t->nbytes);
    a->len += t->nbytes;
    return ERT_OK;
}

/* Checks the Loop's structure; sets *n_carried / *n_scan. */
static ert_status loop_check(ert_kctx *k, const ert_graph *body, int *n_carried, int *n_scan)
{
    int ne = n_explicit(k);
    if (ne < 2)
        return ert_op_fail(k, ERT_ERR_PARSE, "needs inputs M and cond (either may be empty), got "
                           "%d inputs", ne);
    int nc = ne - 2;
    if (body->n_inputs != nc + 2)
        return ert_op_fail(k, ERT_ERR_PARSE, "body has %d inputs; with %d loop-carried values it "
                           "needs %d (iteration_num, cond, carried...)", body->n_inputs, nc,
                           nc + 2);
    if (body->n_outputs < nc + 1)
        return ert_op_fail(k, ERT_ERR_PARSE, "body has %d outputs; it needs at least %d (cond, "
                           "carried...)", body->n_outputs, nc + 1);
    int ns = body->n_outputs - 1 - nc;
    if (k->n_out != nc + ns)
        return ert_op_fail(k, ERT_ERR_PARSE, "the node has %d outputs but the body gives %d "
                           "carried values and %d scan outputs", k->n_out, nc, ns);
    if (!k->in[0] && !k->in[1])
        return ert_op_fail(k, ERT_ERR_UNSUPPORTED, "has neither M nor cond: the loop would never "
                           "end");
    for (int j = 0; j < nc; j++)
        if (!k->in[2 + j])
            return ert_op_fail(k, ERT_ERR_PARSE, "loop-carried input %d is missing", j);
    for (int i = 0; i < 2; i++)
        if (k->in[i] && !ert_tensor_is_dense(k->in[i]))
            return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "%s is %s; it must be a tensor",
                               i ? "cond" : "M", ert_tensor_kind_str(k->in[i]));
    if (k->in[0] && k->in[0]->dtype != ERT_DTYPE_UNDEFINED && k->in[0]->dtype != ERT_DTYPE_INT64)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "M must be int64, got %s",
                           ert_dtype_name(k->in[0]->dtype));
    if (k->in[1] && k->in[1]->dtype != ERT_DTYPE_UNDEFINED && k->in[1]->dtype != ERT_DTYPE_BOOL)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "cond must be bool, got %s",
                           ert_dtype_name(k->in[1]->dtype));
    *n_carried = nc;
    *n_scan = ns;
    return ERT_OK;
}

ert_status ert_infer_loop(ert_kctx *k)
{
    ert_status st = ERT_OK;
    const ert_graph *body = need_graph(k, "body", &st);
    if (!body)
        return st;
    int nc = 0, ns = 0;
    st = loop_check(k, body, &nc, &ns);
    if (st != ERT_OK || !k->shapes_only)
        return st;
    for (int j = 0; j < nc; j++) {
        ert_tensor *o = ert_out(k, j);
        if (o)
            merge_into(o, k->in[2 + j], sub_out(body, 1 + j));
    }
    /* trip count known: constant M and no cond input */
    int64_t trips = ERT_DIM_UNKNOWN;
    if (k->in[0] && k->in[0]->data && !k->in[1] && ert_tensor_numel(k->in[0]) == 1) {
        trips = ert_load_i64(k->in[0]->dtype, k->in[0]->data, 0);
        if (trips < 0)
            trips = 0;
    }
    for (int j = 0; j < ns; j++) {
        ert_tensor *o = ert_out(k, nc + j);
        const ert_tensor *e = sub_out(body, 1 + nc + j);
        if (!o)
            continue;
        o->dtype = e->dtype;
        if (e->rank < 0 || e->rank + 1 > ERT_MAX_RANK) {
            o->rank = -1;
            continue;
        }
        o->rank = e->rank + 1;
        o->dims[0] = trips;
        for (int d = 0; d < e->rank; d++)
            o->dims[1 + d] = e->dims[d];
    }
    return ERT_OK;
}

ert_status ert_run_loop(ert_kctx *k)
{
    const ert_graph *body = ert_node_subgraph(k->node, "body");
    int nc = n_explicit(k) - 2, ns = body->n_outputs - 1 - nc;
    int64_t max_trips = INT64_MAX, c = 1;
    ert_status st = ERT_OK;
    if (k->in[0] && (st = read_scalar(k, k->in[0], "M", &max_trips)) != ERT_OK)
        return st;
    if (k->in[1] && (st = read_scalar(k, k->in[1], "cond", &c)) != ERT_OK)
        return st;
    ert_subgraph_exec x;
    ert_tensor iter_t = {.dtype = ERT_DTYPE_INT64, .rank = 0};
    ert_tensor cond_t = {.dtype = ERT_DTYPE_BOOL, .rank = 0};
    ert_tensor *cur = calloc((size_t)nc + 1, sizeof(ert_tensor));
    ert_tensor *nxt = calloc((size_t)nc + 1, sizeof(ert_tensor));
    ert_tensor **formal = calloc((size_t)nc + 2, sizeof(ert_tensor *));
    scan_acc *acc = calloc((size_t)ns + 1, sizeof(scan_acc));
    int64_t it = 0;
    st = ert_subgraph_exec_init(&x, body, k->err);
    if (st != ERT_OK)
        goto done;
    if (!cur || !nxt || !formal || !acc || ert_tensor_alloc(&iter_t) != ERT_OK ||
        ert_tensor_alloc(&cond_t) != ERT_OK) {
        st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    for (int j = 0; j < nc; j++)
        if (copy_into(&cur[j], k->in[2 + j]) != ERT_OK) {
            st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot copy loop-carried input %d", j);
            goto done;
        }
    for (it = 0; it < max_trips && c; it++) {
        *(int64_t *)iter_t.data = it;
        *(uint8_t *)cond_t.data = 1;
        formal[0] = &iter_t;
        formal[1] = &cond_t;
        for (int j = 0; j < nc; j++)
            formal[2 + j] = &cur[j];
        st = ert_subgraph_exec_run(&x, nc + 2, formal, k);
        if (st != ERT_OK) {
            ert_err_prefix(k->err, "Loop node '%s' iteration %lld: ", k->node->name,
                           (long long)it);
            goto done;
        }
        int64_t body_cond = 0;
        st = read_scalar(k, ert_subgraph_exec_output(&x, 0), "the body's cond output", &body_cond);
        if (st != ERT_OK)
            goto done;
        if (k->in[1]) /* without a cond input the body's cond is ignored (a for loop) */
            c = body_cond;
        for (int j = 0; j < nc; j++)
            if (copy_into(&nxt[j], ert_subgraph_exec_output(&x, 1 + j)) != ERT_OK) {
                st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot copy loop-carried value %d", j);
                goto done;
            }
        for (int j = 0; j < nc; j++) {
            ert_tensor t = cur[j];
            cur[j] = nxt[j];
            nxt[j] = t;
        }
        for (int j = 0; j < ns; j++) {
            st = acc_append(k, &acc[j], ert_subgraph_exec_output(&x, 1 + nc + j), it, j);
            if (st != ERT_OK)
                goto done;
        }
    }
    for (int j = 0; j < nc && st == ERT_OK; j++)
        st = copy_out(k, j, &cur[j]);
    for (int j = 0; j < ns && st == ERT_OK; j++) {
        ert_tensor *o = ert_out(k, nc + j);
        if (!o)
            continue;
        if (it == 0) {
            /* no iteration: the element shape is what load-time inference knew */
            const ert_tensor *e = sub_out(body, 1 + nc + j);
            acc[j].elem = *e;
            if (e->rank < 0 || e->rank + 1 > ERT_MAX_RANK)
                acc[j].elem.rank = 0;
            for (int d = 0; d < acc[j].elem.rank; d++)
                if (acc[j].elem.dims[d] < 0)
                    acc[j].elem.dims[d] = 0;
        }
        o->dtype = acc[j].elem.dtype;
        o->rank = acc[j].elem.rank + 1;
        o->dims[0] = it;
        for (int d = 0; d < acc[j].elem.rank; d++)
            o->dims[1 + d] = acc[j].elem.dims[d];
        if (ert_tensor_alloc(o) != ERT_OK) {
            st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate scan output %d", j);
            break;
        }
        if (o->nbytes != acc[j].len) {
            st = ert_op_fail(k, ERT_ERR_INTERNAL, "scan output %d: %zu bytes accumulated for %zu",
                             j, acc[j].len, o->nbytes);
            break;
        }
        if (o->nbytes)
            memcpy(o->data, acc[j].buf, o->nbytes);
    }
done:
    ert_subgraph_exec_free(&x);
    ert_tensor_free_data(&iter_t);
    ert_tensor_free_data(&cond_t);
    for (int j = 0; cur && nxt && j < nc; j++) {
        ert_tensor_free_data(&cur[j]);
        ert_tensor_free_data(&nxt[j]);
    }
    for (int j = 0; acc && j < ns; j++)
        free(acc[j].buf);
    free(cur);
    free(nxt);
    free(formal);
    free(acc);
    return st;
}

/* ---- Scan (opset 9+) ---- */

typedef struct scan_spec {
    int n_state, n_in, n_out;  /* N state values, M scan inputs, K scan outputs */
    const int64_t *in_axes, *in_dirs, *out_axes, *out_dirs;
    int64_t n_in_axes, n_in_dirs, n_out_axes, n_out_dirs;
} scan_spec;

static int64_t spec_at(const int64_t *v, int64_t n, int i)
{
    return (v && i < n) ? v[i] : 0;
}

static ert_status scan_check(ert_kctx *k, const ert_graph *body, scan_spec *s)
{
    /* Scan-8: input 0 is sequence_lens, the others carry a leading batch dim */
    int off = k->version < 9 ? 1 : 0;
    int ne = n_explicit(k) - off;
    int64_t m = ert_attr_int(k->node, "num_scan_inputs", -1);
    if (m < 1 || m > ne)
        return ert_op_fail(k, ERT_ERR_PARSE, "num_scan_inputs is %lld; it must be in [1, %d] (the "
                           "number of inputs)", (long long)m, ne);
    s->n_in = (int)m;
    s->n_state = ne - s->n_in;
    if (body->n_inputs != ne)
        return ert_op_fail(k, ERT_ERR_PARSE, "body has %d inputs but the node has %d", body->n_inputs,
                           ne);
    if (body->n_outputs < s->n_state)
        return ert_op_fail(k, ERT_ERR_PARSE, "body has %d outputs for %d state values",
                           body->n_outputs, s->n_state);
    s->n_out = body->n_outputs - s->n_state;
    if (k->n_out != body->n_outputs)
        return ert_op_fail(k, ERT_ERR_PARSE, "the node has %d outputs but the body %d", k->n_out,
                           body->n_outputs);
    s->n_in_axes = ert_attr_ints(k->node, "scan_input_axes", &s->in_axes);
    s->n_in_dirs = ert_attr_ints(k->node, off ? "directions" : "scan_input_directions",
                                 &s->in_dirs);
    s->n_out_axes = ert_attr_ints(k->node, "scan_output_axes", &s->out_axes);
    s->n_out_dirs = ert_attr_ints(k->node, "scan_output_directions", &s->out_dirs);
    if ((s->in_axes && s->n_in_axes != s->n_in) || (s->in_dirs && s->n_in_dirs != s->n_in))
        return ert_op_fail(k, ERT_ERR_PARSE, "scan_input_axes/directions need %d entries", s->n_in);
    if ((s->out_axes && s->n_out_axes != s->n_out) || (s->out_dirs && s->n_out_dirs != s->n_out))
        return ert_op_fail(k, ERT_ERR_PARSE, "scan_output_axes/directions need %d entries",
                           s->n_out);
    for (int j = off; j < ne + off; j++)
        if (!k->in[j])
            return ert_op_fail(k, ERT_ERR_PARSE, "input %d is missing", j);
    if (off && (s->in_axes || s->out_axes || s->out_dirs))
        return ert_op_fail(k, ERT_ERR_PARSE, "Scan-8 has no scan_input_axes, scan_output_axes "
                           "or scan_output_directions");
    return ERT_OK;
}

/* Sequence length: dim of scan input 0 along its axis (all must agree); -1 if unknown. */
static ert_status scan_length(ert_kctx *k, const scan_spec *s, int64_t *T)
{
    *T = ERT_DIM_UNKNOWN;
    for (int j = 0; j < s->n_in; j++) {
        const ert_tensor *t = k->in[s->n_state + j];
        if (t->rank < 0)
            continue;
        int ax;
        ert_status st = ert_norm_axis(k, spec_at(s->in_axes, s->n_in_axes, j), t->rank,
                                      "scan_input_axes", &ax);
        if (st != ERT_OK)
            return st;
        int64_t d = t->dims[ax];
        if (d < 0)
            continue;
        if (*T >= 0 && d != *T)
            return ert_op_fail(k, ERT_ERR_SHAPE, "scan input %d has %lld steps along axis %d but "
                               "an earlier one %lld", j, (long long)d, ax, (long long)*T);
        *T = d;
    }
    return ERT_OK;
}

/* Scan-8: outputs are [batch, body state...] and [batch, steps, body scan output...]. */
static ert_status infer_scan8(ert_kctx *k, const ert_graph *body, const scan_spec *s)
{
    const ert_tensor *sl = k->in[0];
    if (sl && sl->dtype != ERT_DTYPE_UNDEFINED && sl->dtype != ERT_DTYPE_INT64)
        return ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "sequence_lens must be int64, got %s",
                           ert_dtype_name(sl->dtype));
    if (!k->shapes_only)
        return ERT_OK;
    const ert_tensor *x0 = k->in[1 + s->n_state];
    int64_t B = x0->rank >= 2 ? x0->dims[0] : ERT_DIM_UNKNOWN;
    int64_t T = x0->rank >= 2 ? x0->dims[1] : ERT_DIM_UNKNOWN;
    for (int j = 0; j < k->n_out; j++) {
        ert_tensor *o = ert_out(k, j);
        const ert_tensor *e = sub_out(body, j);
        int lead = j < s->n_state ? 1 : 2;
        if (!o)
            continue;
        o->dtype = e->dtype != ERT_DTYPE_UNDEFINED ? e->dtype
                   : j < s->n_state             ? k->in[1 + j]->dtype
                                                : ERT_DTYPE_UNDEFINED;
        if (e->rank < 0 || e->rank + lead > ERT_MAX_RANK) {
            o->rank = -1;
            continue;
        }
        o->rank = e->rank + lead;
        o->dims[0] = B;
        if (lead == 2)
            o->dims[1] = T;
        for (int d = 0; d < e->rank; d++)
            o->dims[lead + d] = e->dims[d];
    }
    return ERT_OK;
}

ert_status ert_infer_scan(ert_kctx *k)
{
    ert_status st = ERT_OK;
    const ert_graph *body = need_graph(k, "body", &st);
    if (!body)
        return st;
    scan_spec s;
    int64_t T;
    if ((st = scan_check(k, body, &s)) != ERT_OK)
        return st;
    if (k->version < 9)
        return infer_scan8(k, body, &s);
    if ((st = scan_length(k, &s, &T)) != ERT_OK)
        return st;
    if (!k->shapes_only)
        return ERT_OK;
    for (int j = 0; j < s.n_state; j++) {
        ert_tensor *o = ert_out(k, j);
        if (o)
            merge_into(o, k->in[j], sub_out(body, j));
    }
    for (int j = 0; j < s.n_out; j++) {
        ert_tensor *o = ert_out(k, s.n_state + j);
        const ert_tensor *e = sub_out(body, s.n_state + j);
        if (!o)
            continue;
        o->dtype = e->dtype;
        if (e->rank < 0 || e->rank + 1 > ERT_MAX_RANK) {
            o->rank = -1;
            continue;
        }
        int ax;
        st = ert_norm_axis(k, spec_at(s.out_axes, s.n_out_axes, j), e->rank + 1,
                           "scan_output_axes", &ax);
        if (st != ERT_OK)
            return st;
        o->rank = e->rank + 1;
        for (int d = 0, src = 0; d < o->rank; d++)
            o->dims[d] = d == ax ? T : e->dims[src++];
    }
    return ERT_OK;
}

/* Bytes per element block at and after `axis` (excluding dim axis itself) and the count
 * of blocks before it: the slice at position p of axis is blocks of `inner` bytes at
 * (o * n + p) * inner for o in [0, outer). */
static void axis_split(const ert_tensor *t, int axis, int64_t *outer, int64_t *inner)
{
    int64_t a = 1, b = (int64_t)ert_dtype_size_(t->dtype);
    for (int d = 0; d < axis; d++)
        a *= t->dims[d];
    for (int d = axis + 1; d < t->rank; d++)
        b *= t->dims[d];
    *outer = a;
    *inner = b;
}

/* Scan-8: every batch entry b is an independent scan over its first sequence_lens[b]
 * steps (all steps without sequence_lens); scan outputs past that are zero. */
static ert_status run_scan8(ert_kctx *k, const ert_graph *body, const scan_spec *s)
{
    int N = s->n_state, M = s->n_in, K = s->n_out, nf = N + M;
    const ert_tensor *x0 = k->in[1 + N];
    if (x0->rank < 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "scan inputs must be [batch, steps, ...]");
    int64_t B = x0->dims[0], T = x0->dims[1];
    for (int j = 0; j < N + M; j++) {
        const ert_tensor *t = k->in[1 + j];
        if (t->rank < (j < N ? 1 : 2) || t->dims[0] != B || (j >= N && t->dims[1] != T))
            return ert_op_fail(k, ERT_ERR_SHAPE, "input %d must be [%lld%s, ...]", 1 + j,
                               (long long)B, j < N ? "" : ", steps");
    }
    const ert_tensor *sl = k->in[0];
    if (sl && ert_tensor_numel(sl) != B)
        return ert_op_fail(k, ERT_ERR_SHAPE, "sequence_lens has %lld entries for batch %lld",
                           (long long)ert_tensor_numel(sl), (long long)B);
    ert_subgraph_exec x;
    ert_tensor *cur = calloc((size_t)N + 1, sizeof(ert_tensor));
    ert_tensor *nxt = calloc((size_t)N + 1, sizeof(ert_tensor));
    ert_tensor *slice = calloc((size_t)M + 1, sizeof(ert_tensor));
    ert_tensor **formal = calloc((size_t)nf + 1, sizeof(ert_tensor *));
    bool allocated = false;
    ert_status st = ert_subgraph_exec_init(&x, body, k->err);
    if (st != ERT_OK)
        goto done;
    if (!cur || !nxt || !slice || !formal) {
        st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    for (int j = 0; j < N + M; j++) {
        const ert_tensor *t = k->in[1 + j];
        ert_tensor *d = j < N ? &cur[j] : &slice[j - N];
        int drop = j < N ? 1 : 2;
        d->dtype = t->dtype;
        d->rank = t->rank - drop;
        for (int q = drop; q < t->rank; q++)
            d->dims[q - drop] = t->dims[q];
        if (ert_tensor_alloc(d) != ERT_OK) {
            st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
            goto done;
        }
    }
    for (int j = 0; j < N; j++) {
        /* final state outputs: [B, state...] */
        ert_tensor *o = ert_out(k, j);
        if (!o)
            continue;
        o->dtype = k->in[1 + j]->dtype;
        ert_tensor_set_shape(o, k->in[1 + j]->rank, k->in[1 + j]->dims);
        if (ert_tensor_alloc(o) != ERT_OK) {
            st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate output %d", j);
            goto done;
        }
    }
    for (int64_t b = 0; b < B; b++) {
        int64_t len = sl ? ert_load_i64(sl->dtype, sl->data, b) : T;
        if (len < 0 || len > T) {
            st = ert_op_fail(k, ERT_ERR_INVALID_ARGUMENT, "sequence_lens[%lld] = %lld is outside "
                             "[0, %lld]", (long long)b, (long long)len, (long long)T);
            goto done;
        }
        for (int j = 0; j < N; j++)
            memcpy(cur[j].data, (const char *)k->in[1 + j]->data + b * cur[j].nbytes,
                   cur[j].nbytes);
        for (int64_t it = 0; it < len; it++) {
            for (int j = 0; j < M; j++) {
                int64_t pos = spec_at(s->in_dirs, s->n_in_dirs, j) ? len - 1 - it : it;
                memcpy(slice[j].data,
                       (const char *)k->in[1 + N + j]->data + (b * T + pos) * slice[j].nbytes,
                       slice[j].nbytes);
            }
            for (int j = 0; j < N; j++)
                formal[j] = &cur[j];
            for (int j = 0; j < M; j++)
                formal[N + j] = &slice[j];
            st = ert_subgraph_exec_run(&x, nf, formal, k);
            if (st != ERT_OK) {
                ert_err_prefix(k->err, "Scan node '%s' batch %lld step %lld: ", k->node->name,
                               (long long)b, (long long)it);
                goto done;
            }
            for (int j = 0; j < N; j++) {
                const ert_tensor *e = ert_subgraph_exec_output(&x, j);
                if (e->nbytes != cur[j].nbytes || e->dtype != cur[j].dtype) {
                    st = ert_op_fail(k, ERT_ERR_SHAPE, "state %d changes size in the body", j);
                    goto done;
                }
                if (copy_into(&nxt[j], e) != ERT_OK) {
                    st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
                    goto done;
                }
                ert_tensor t = cur[j];
                cur[j] = nxt[j];
                nxt[j] = t;
            }
            for (int j = 0; j < K; j++) {
                const ert_tensor *e = ert_subgraph_exec_output(&x, N + j);
                ert_tensor *o = ert_out(k, N + j);
                if (!o)
                    continue;
                if (!allocated) {
                    if (e->rank + 2 > ERT_MAX_RANK) {
                        st = ert_op_fail(k, ERT_ERR_UNSUPPORTED, "scan output %d too deep", j);
                        goto done;
                    }
                    o->dtype = e->dtype;
                    o->rank = e->rank + 2;
                    o->dims[0] = B;
                    o->dims[1] = T;
                    for (int d = 0; d < e->rank; d++)
                        o->dims[2 + d] = e->dims[d];
                    if (ert_tensor_alloc(o) != ERT_OK) {
                        st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate output %d", N + j);
                        goto done;
                    }
                    memset(o->data, 0, o->nbytes); /* padding past sequence_lens */
                }
                size_t esz = o->nbytes / (size_t)(B * T);
                if (e->nbytes != esz || e->dtype != o->dtype) {
                    st = ert_op_fail(k, ERT_ERR_SHAPE, "scan output %d changes shape at batch "
                                     "%lld step %lld", j, (long long)b, (long long)it);
                    goto done;
                }
                memcpy((char *)o->data + (size_t)(b * T + it) * esz, e->data, esz);
            }
            allocated = true;
        }
        for (int j = 0; j < N; j++) {
            ert_tensor *o = ert_out(k, j);
            if (o)
                memcpy((char *)o->data + b * cur[j].nbytes, cur[j].data, cur[j].nbytes);
        }
    }
    for (int j = 0; j < K && !allocated; j++) {
        /* no step ran: element shape from load-time inference (unknown dims -> 0) */
        ert_tensor *o = ert_out(k, N + j);
        const ert_tensor *e = sub_out(body, N + j);
        if (!o)
            continue;
        int er = (e->rank >= 0 && e->rank + 2 <= ERT_MAX_RANK) ? e->rank : 0;
        o->dtype = e->dtype;
        o->rank = er + 2;
        o->dims[0] = B;
        o->dims[1] = T;
        for (int d = 0; d < er; d++)
            o->dims[2 + d] = e->dims[d] >= 0 ? e->dims[d] : 0;
        if (ert_tensor_alloc(o) != ERT_OK) {
            st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate output %d", N + j);
            goto done;
        }
        if (o->nbytes)
            memset(o->data, 0, o->nbytes);
    }
done:
    ert_subgraph_exec_free(&x);
    for (int j = 0; cur && nxt && j < N; j++) {
        ert_tensor_free_data(&cur[j]);
        ert_tensor_free_data(&nxt[j]);
    }
    for (int j = 0; slice && j < M; j++)
        ert_tensor_free_data(&slice[j]);
    free(cur);
    free(nxt);
    free(slice);
    free(formal);
    return st;
}

ert_status ert_run_scan(ert_kctx *k)
{
    const ert_graph *body = ert_node_subgraph(k->node, "body");
    scan_spec s;
    int64_t T;
    ert_status st = scan_check(k, body, &s);
    if (st == ERT_OK && k->version < 9)
        return run_scan8(k, body, &s);
    if (st == ERT_OK)
        st = scan_length(k, &s, &T);
    if (st != ERT_OK)
        return st;
    if (T < 0)
        return ert_op_fail(k, ERT_ERR_SHAPE, "sequence length unresolved");
    int nf = s.n_state + s.n_in;
    ert_subgraph_exec x;
    ert_tensor *cur = calloc((size_t)s.n_state + 1, sizeof(ert_tensor));
    ert_tensor *nxt = calloc((size_t)s.n_state + 1, sizeof(ert_tensor));
    ert_tensor *slice = calloc((size_t)s.n_in + 1, sizeof(ert_tensor));
    ert_tensor **formal = calloc((size_t)nf + 1, sizeof(ert_tensor *));
    int *in_ax = calloc((size_t)s.n_in + 1, sizeof(int));
    int *out_ax = calloc((size_t)s.n_out + 1, sizeof(int));
    st = ert_subgraph_exec_init(&x, body, k->err);
    if (st != ERT_OK)
        goto done;
    if (!cur || !nxt || !slice || !formal || !in_ax || !out_ax) {
        st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    for (int j = 0; j < s.n_state; j++)
        if (copy_into(&cur[j], k->in[j]) != ERT_OK) {
            st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot copy state input %d", j);
            goto done;
        }
    for (int j = 0; j < s.n_in; j++) {
        const ert_tensor *t = k->in[s.n_state + j];
        if (t->rank < 1) {
            st = ert_op_fail(k, ERT_ERR_SHAPE, "scan input %d must have rank >= 1", j);
            goto done;
        }
        if ((st = ert_norm_axis(k, spec_at(s.in_axes, s.n_in_axes, j), t->rank,
                                "scan_input_axes", &in_ax[j])) != ERT_OK)
            goto done;
        slice[j].dtype = t->dtype;
        slice[j].rank = t->rank - 1;
        for (int d = 0, o = 0; d < t->rank; d++)
            if (d != in_ax[j])
                slice[j].dims[o++] = t->dims[d];
        if (ert_tensor_alloc(&slice[j]) != ERT_OK) {
            st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate a slice of scan input %d", j);
            goto done;
        }
    }
    for (int64_t it = 0; it < T; it++) {
        for (int j = 0; j < s.n_in; j++) {
            const ert_tensor *t = k->in[s.n_state + j];
            int64_t pos = spec_at(s.in_dirs, s.n_in_dirs, j) ? T - 1 - it : it, outer, inner;
            axis_split(t, in_ax[j], &outer, &inner);
            for (int64_t o = 0; o < outer; o++)
                memcpy((char *)slice[j].data + o * inner,
                       (const char *)t->data + (o * T + pos) * inner, (size_t)inner);
        }
        for (int j = 0; j < s.n_state; j++)
            formal[j] = &cur[j];
        for (int j = 0; j < s.n_in; j++)
            formal[s.n_state + j] = &slice[j];
        st = ert_subgraph_exec_run(&x, nf, formal, k);
        if (st != ERT_OK) {
            ert_err_prefix(k->err, "Scan node '%s' iteration %lld: ", k->node->name,
                           (long long)it);
            goto done;
        }
        for (int j = 0; j < s.n_state; j++)
            if (copy_into(&nxt[j], ert_subgraph_exec_output(&x, j)) != ERT_OK) {
                st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot copy state value %d", j);
                goto done;
            }
        for (int j = 0; j < s.n_state; j++) {
            ert_tensor t = cur[j];
            cur[j] = nxt[j];
            nxt[j] = t;
        }
        for (int j = 0; j < s.n_out; j++) {
            const ert_tensor *e = ert_subgraph_exec_output(&x, s.n_state + j);
            ert_tensor *o = ert_out(k, s.n_state + j);
            if (!o)
                continue;
            if (it == 0) {
                /* the first element fixes the output's shape */
                if (e->rank + 1 > ERT_MAX_RANK) {
                    st = ert_op_fail(k, ERT_ERR_UNSUPPORTED, "scan output %d would have rank "
                                     "%d", j, e->rank + 1);
                    goto done;
                }
                if ((st = ert_norm_axis(k, spec_at(s.out_axes, s.n_out_axes, j), e->rank + 1,
                                        "scan_output_axes", &out_ax[j])) != ERT_OK)
                    goto done;
                o->dtype = e->dtype;
                o->rank = e->rank + 1;
                for (int d = 0, src = 0; d < o->rank; d++)
                    o->dims[d] = d == out_ax[j] ? T : e->dims[src++];
                if (ert_tensor_alloc(o) != ERT_OK) {
                    st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate scan output %d", j);
                    goto done;
                }
            }
            bool same = e->dtype == o->dtype && e->rank + 1 == o->rank;
            for (int d = 0, src = 0; same && d < o->rank; d++)
                if (d != out_ax[j] && o->dims[d] != e->dims[src++])
                    same = false;
            if (!same) {
                char b1[96];
                st = ert_op_fail(k, ERT_ERR_SHAPE, "scan output %d changes shape at iteration "
                                 "%lld (now %s): scan outputs must keep their shape", j,
                                 (long long)it, ert_shape_str(e, NULL, b1, sizeof b1));
                goto done;
            }
            int64_t pos = spec_at(s.out_dirs, s.n_out_dirs, j) ? T - 1 - it : it, outer, inner;
            axis_split(o, out_ax[j], &outer, &inner);
            for (int64_t q = 0; q < outer; q++)
                memcpy((char *)o->data + (q * T + pos) * inner, (const char *)e->data + q * inner,
                       (size_t)inner);
        }
    }
    for (int j = 0; j < s.n_state && st == ERT_OK; j++)
        st = copy_out(k, j, &cur[j]);
    if (T == 0) {
        /* no iteration: element shapes from load-time inference (unknown dims -> 0) */
        for (int j = 0; j < s.n_out && st == ERT_OK; j++) {
            ert_tensor *o = ert_out(k, s.n_state + j);
            const ert_tensor *e = sub_out(body, s.n_state + j);
            if (!o)
                continue;
            int er = (e->rank >= 0 && e->rank + 1 <= ERT_MAX_RANK) ? e->rank : 0;
            if ((st = ert_norm_axis(k, spec_at(s.out_axes, s.n_out_axes, j), er + 1,
                                    "scan_output_axes", &out_ax[j])) != ERT_OK)
                break;
            o->dtype = e->dtype;
            o->rank = er + 1;
            for (int d = 0, src = 0; d < o->rank; d++) {
                if (d == out_ax[j]) {
                    o->dims[d] = 0;
                    continue;
                }
                int64_t v = e->rank >= 0 ? e->dims[src] : 0;
                src++;
                o->dims[d] = v >= 0 ? v : 0;
            }
            if (ert_tensor_alloc(o) != ERT_OK)
                st = ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate scan output %d", j);
        }
    }
done:
    ert_subgraph_exec_free(&x);
    for (int j = 0; cur && nxt && j < s.n_state; j++) {
        ert_tensor_free_data(&cur[j]);
        ert_tensor_free_data(&nxt[j]);
    }
    for (int j = 0; slice && j < s.n_in; j++)
        ert_tensor_free_data(&slice[j]);
    free(cur);
    free(nxt);
    free(slice);
    free(formal);
    free(in_ax);
    free(out_ax);
    return st;
}
