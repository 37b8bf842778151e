/*
 * context.c - execution contexts: inputs, the run loop, outputs.
 *
 * The run loop walks the plan; for each node it re-runs shape inference with the
 * concrete input shapes (cheap next to the kernels, and it keeps data-dependent
 * shapes - NonMaxSuppression, TopK with a K input, dynamic Reshape - correct), grows
 * the output buffers if needed and calls the kernel. Buffers are reused across runs,
 * so once shapes are stable a run performs no allocation.
 */
/*
 * context.c - execution contexts: create -> reshape -> run.
 *
 * create:  per-value tensors, per-step parameter blocks, the thread pool.
 * reshape: a step infers its output shapes again only when the shape of one of its
 *          inputs changed (each value carries a generation number that changes with its
 *          shape), or on every run if its output shapes depend on input data (NonZero,
 *          a computed Reshape target, control flow: model.c's needs_reinfer). After
 *          infer, the fast kernel's plan() turns the concrete shapes into the step's
 *          parameter block and workspace size.
 * memory:  the first run with new shapes gives every intermediate a buffer of its own,
 *          freed right after its last reader (so even that run holds only what is
 *          live); the next run lays all of them out in one 64-byte-aligned arena from
 *          their lifetimes (best fit, largest first) and from then on runs with those
 *          shapes allocate nothing. Shapes that shrink keep the plan; a value that
 *          outgrows its slot gets its own buffer for that run and the plan is redone.
 *          Outputs of data-dependent steps and control flow keep grow-only buffers.
 * run:     bind, (reshape), kernel, hooks (profiler) - nothing else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/engine_internal.h"
#include "engine/subgraph.h"
#include "runtime/threadpool.h"
#include "util/fpmode.h"

#define ERT_ARENA_ALIGN 64

static size_t align_up(size_t n)
{
    return (n + ERT_ARENA_ALIGN - 1) & ~(size_t)(ERT_ARENA_ALIGN - 1);
}

static ert_status alloc_arrays(ert_context *c)
{
    const ert_model *m = c->m;
    size_t nv = (size_t)m->g->n_values + 1, ns = (size_t)m->n_steps + 1;
    c->vals = calloc(nv, sizeof(ert_tensor));
    c->input_set = calloc((size_t)m->g->n_inputs + 1, sizeof(bool));
    c->in_ptrs = calloc((size_t)m->max_io, sizeof(ert_tensor *));
    c->out_ptrs = calloc((size_t)m->max_io, sizeof(ert_tensor *));
    c->gen = calloc(nv, sizeof(uint32_t));
    c->in_gen = calloc((size_t)m->g->n_inputs + 1, sizeof(uint32_t));
    c->step_gen = calloc((size_t)m->n_gen_slots + 1, sizeof(uint32_t));
    c->step_ready = calloc(ns, sizeof(bool));
    c->ws_need = calloc(ns, sizeof(size_t));
    c->slot_kind = calloc(nv, 1);
    c->slot_off = calloc(nv, sizeof(size_t));
    c->slot_bytes = calloc(nv, sizeof(size_t));
    c->old_dims = calloc((size_t)m->max_io * (ERT_MAX_RANK + 1), sizeof(int64_t));
    c->inplace = calloc(ns, sizeof(bool));
    c->share_in = malloc(nv * sizeof(int));
    c->params = aligned_alloc(ERT_ARENA_ALIGN, ns * ERT_STEP_PARAMS_BYTES);
    if (!c->vals || !c->input_set || !c->in_ptrs || !c->out_ptrs || !c->gen || !c->in_gen ||
        !c->step_gen || !c->step_ready || !c->ws_need || !c->slot_kind || !c->slot_off ||
        !c->slot_bytes || !c->old_dims || !c->inplace || !c->share_in || !c->params)
        return ERT_ERR_NO_MEMORY;
    memset(c->params, 0, ns * ERT_STEP_PARAMS_BYTES);
    return ERT_OK;
}

/* Values produced by a step whose outputs may live in the arena start as own buffers
 * (the first run discovers their sizes); the rest keep own buffers for good. */
static void init_slots(ert_context *c)
{
    const ert_model *m = c->m;
    const ert_graph *g = m->g;
    for (int i = 0; i < g->n_values; i++) {
        c->vals[i].dtype = g->values[i].t.dtype;
        c->vals[i].rank = -1;
        c->share_in[i] = -1;
        c->slot_kind[i] = g->values[i].kind == ERT_VALUE_CONST || m->alias_of[i] >= 0
                              ? ERT_SLOT_NONE /* constants; views read another value's buffer */
                              : ERT_SLOT_OWN;
    }
}

ert_status ert_context_create_ex(ert_model *m, const ert_context_options *opt,
                                 ert_context **out)
{
    if (!out)
        return ERT_ERR_INVALID_ARGUMENT;
    *out = NULL;
    if (!m || !m->g)
        return ERT_ERR_INVALID_ARGUMENT;
    int threads = opt && opt->num_threads > 1 ? opt->num_threads : 1;
    if (opt && (opt->num_threads < 0 || opt->num_threads > 1024))
        return ERT_ERR_INVALID_ARGUMENT;
    ert_context *c = calloc(1, sizeof *c);
    if (!c)
        return ERT_ERR_NO_MEMORY;
    c->m = m;
    c->keep_denormals = opt && opt->keep_denormals;
    if (alloc_arrays(c) != ERT_OK ||
        (threads > 1 && ert_threadpool_create(threads, opt->cpu_affinity, &c->pool) != ERT_OK)) {
        ert_context_free(c);
        return ERT_ERR_NO_MEMORY;
    }
    init_slots(c);
    *out = c;
    return ERT_OK;
}

ert_status ert_context_create(ert_model *m, ert_context **out)
{
    return ert_context_create_ex(m, NULL, out);
}

void ert_context_free(ert_context *c)
{
    if (!c)
        return;
    if (c->vals && c->m && c->m->g)
        for (int i = 0; i < c->m->g->n_values; i++)
            ert_tensor_free_data(&c->vals[i]);
    free(c->vals);
    free(c->input_set);
    free(c->in_ptrs);
    free(c->out_ptrs);
    free(c->gen);
    free(c->in_gen);
    free(c->step_gen);
    free(c->step_ready);
    free(c->ws_need);
    free(c->slot_kind);
    free(c->slot_off);
    free(c->slot_bytes);
    free(c->old_dims);
    free(c->inplace);
    free(c->share_in);
    free(c->params);
    free(c->ws);
    free(c->arena);
    free(c->prof);
    ert_scratch_release(&c->scratch);
    ert_threadpool_free(c->pool);
    free(c);
}

const char *ert_context_last_error(const ert_context *c)
{
    return c ? c->err.msg : "no context handle";
}

static const char *dim_name(const ert_graph *g, int64_t d, char *buf, size_t len)
{
    if (d <= -2 && (-2 - d) < g->n_syms)
        return g->syms[-2 - d];
    snprintf(buf, len, "%lld", (long long)d);
    return buf;
}

static bool same_shape(const ert_tensor *t, int rank, const int64_t *dims)
{
    if (t->rank != rank)
        return false;
    for (int i = 0; i < rank; i++)
        if (t->dims[i] != dims[i])
            return false;
    return true;
}

ert_status ert_context_set_input(ert_context *c, const char *name, ert_dtype dtype, int rank,
                                 const int64_t *dims, const void *data, size_t nbytes)
{
    if (!c)
        return ERT_ERR_INVALID_ARGUMENT;
    const ert_graph *g = c->m->g;
    if (!name)
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT, "set_input: name is NULL");
    int slot = -1;
    for (int i = 0; i < g->n_inputs; i++)
        if (strcmp(g->values[g->inputs[i]].name, name) == 0)
            slot = i;
    if (slot < 0) {
        char list[512] = "";
        size_t pos = 0;
        for (int i = 0; i < g->n_inputs && pos < sizeof list; i++) {
            int w = snprintf(list + pos, sizeof list - pos, "%s'%s'", i ? ", " : "",
                             g->values[g->inputs[i]].name);
            if (w > 0)
                pos += (size_t)w;
        }
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT,
                        "the model has no input named '%s' (inputs: %s)", name, list);
    }
    const ert_value *v = &g->values[g->inputs[slot]];
    if (v->t.kind != ERT_TENSOR_DENSE)
        return ert_errf(&c->err, ERT_ERR_UNSUPPORTED, "input '%s' is a sequence of %s tensors: "
                        "the public API takes tensors only", name, ert_dtype_name(v->t.dtype));
    if (dtype != v->t.dtype)
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT,
                        "input '%s' must be %s, got %s: convert the data first", name,
                        ert_dtype_name(v->t.dtype), ert_dtype_name(dtype));
    if (rank < 0 || rank > ERT_MAX_RANK || (rank > 0 && !dims))
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT, "input '%s': bad rank %d", name, rank);
    char sbuf[128];
    if (v->t.rank >= 0) {
        if (rank != v->t.rank)
            return ert_errf(&c->err, ERT_ERR_SHAPE, "input '%s' must have rank %d (shape %s), got "
                            "rank %d", name, v->t.rank, ert_shape_str(&v->t, g, sbuf, sizeof sbuf),
                            rank);
        for (int i = 0; i < rank; i++) {
            if (dims[i] < 0)
                return ert_errf(&c->err, ERT_ERR_SHAPE, "input '%s': dim %d is negative (%lld)",
                                name, i, (long long)dims[i]);
            if (v->t.dims[i] >= 0 && v->t.dims[i] != dims[i])
                return ert_errf(&c->err, ERT_ERR_SHAPE,
                                "input '%s' dim %d must be %lld (model shape %s), got %lld", name, i,
                                (long long)v->t.dims[i],
                                ert_shape_str(&v->t, g, sbuf, sizeof sbuf), (long long)dims[i]);
        }
    }
    ert_tensor *t = &c->vals[g->inputs[slot]];
    t->dtype = dtype;
    if (!same_shape(t, rank, dims))
        c->gen[g->inputs[slot]]++;
    ert_tensor_set_shape(t, rank, dims);
    int64_t numel = ert_tensor_numel(t);
    int64_t need;
    if (numel < 0 || !ert_mul_ok(numel, (int64_t)ert_dtype_size_(dtype), &need))
        return ert_errf(&c->err, ERT_ERR_NO_MEMORY, "input '%s': size overflows", name);
    if ((int64_t)nbytes != need)
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT,
                        "input '%s': %zu bytes given but shape and dtype need %lld", name, nbytes,
                        (long long)need);
    if (!data && nbytes)
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT, "input '%s': data is NULL", name);
    if (ert_tensor_alloc(t) != ERT_OK)
        return ert_errf(&c->err, ERT_ERR_NO_MEMORY, "input '%s': cannot allocate %lld bytes", name,
                        (long long)need);
    if (nbytes)
        memcpy(t->data, data, nbytes);
    c->input_set[slot] = true;
    c->state = ERT_CTX_READY;
    for (int i = 0; i < g->n_inputs; i++)
        if (!c->input_set[i])
            c->state = ERT_CTX_CREATED;
    return ERT_OK;
}

/* Symbolic dims shared by several inputs must agree (e.g. 'batch'). */
static ert_status check_symbols(ert_context *c)
{
    const ert_graph *g = c->m->g;
    for (int i = 0; i < g->n_inputs; i++) {
        const ert_value *a = &g->values[g->inputs[i]];
        if (a->t.kind != ERT_TENSOR_DENSE || !ert_tensor_is_dense(&c->vals[g->inputs[i]]))
            continue; /* a sequence's declared dims describe its elements */
        for (int d = 0; d < a->t.rank; d++) {
            if (a->t.dims[d] > -2)
                continue;
            for (int j = i; j < g->n_inputs; j++) {
                const ert_value *b = &g->values[g->inputs[j]];
                if (b->t.kind != ERT_TENSOR_DENSE || !ert_tensor_is_dense(&c->vals[g->inputs[j]]))
                    continue;
                for (int e = 0; e < b->t.rank; e++) {
                    if ((j == i && e <= d) || b->t.dims[e] != a->t.dims[d])
                        continue;
                    int64_t x = c->vals[g->inputs[i]].dims[d], y = c->vals[g->inputs[j]].dims[e];
                    char buf[32];
                    if (x != y)
                        return ert_errf(&c->err, ERT_ERR_SHAPE,
                                        "symbolic dim '%s' is %lld in input '%s' but %lld in "
                                        "input '%s': they must be equal",
                                        dim_name(g, a->t.dims[d], buf, sizeof buf), (long long)x,
                                        a->name, (long long)y, b->name);
                }
            }
        }
    }
    return ERT_OK;
}

/* ---- memory plan ---- */

typedef struct plan_item {
    int v;
    int first, last;  /* steps: producer .. last reader */
    size_t bytes;
} plan_item;

static int by_size_desc(const void *a, const void *b)
{
    const plan_item *x = a, *y = b;
    return x->bytes < y->bytes ? 1 : x->bytes > y->bytes ? -1 : x->v - y->v;
}

/* Best-fit offset for it among already placed items whose lifetimes overlap: the
 * smallest gap that holds it, else the end. Placed items are few enough (one per
 * intermediate) for the quadratic scan at reshape time. */
static size_t place(const plan_item *items, const size_t *off, int n_placed, const plan_item *it)
{
    size_t best = SIZE_MAX, best_gap = SIZE_MAX, pos = 0;
    for (;;) {
        size_t next_start = SIZE_MAX, next_end = 0;
        for (int j = 0; j < n_placed; j++) { /* the lowest overlapping block at >= pos */
            const plan_item *q = &items[j];
            if (q->last < it->first || q->first > it->last || off[j] + q->bytes <= pos)
                continue;
            if (off[j] < next_start || (off[j] == next_start && off[j] + q->bytes > next_end)) {
                next_start = off[j] > pos ? off[j] : pos;
                next_end = off[j] + q->bytes;
            }
        }
        if (next_start == SIZE_MAX)
            return best != SIZE_MAX ? best : pos;
        size_t gap = next_start - pos;
        if (gap >= it->bytes && gap < best_gap) {
            best = pos;
            best_gap = gap;
        }
        pos = next_end > pos ? next_end : pos;
    }
}

static size_t value_bytes(const ert_context *c, int v)
{
    /* from the shape: a discovery buffer may be freed already */
    int64_t numel = ert_tensor_numel(&c->vals[v]);
    return numel > 0 ? (size_t)numel * ert_dtype_size_(c->vals[v].dtype) : 0;
}

/* Can Concat step p write its inputs in place for the current shapes? Only when they are
 * contiguous chunks of the output (every dim before the axis is 1) starting at 64-byte
 * multiples (kernels may assume aligned rows). */
static bool concat_fits(const ert_context *c, int p)
{
    const ert_node *n = &c->m->g->nodes[c->m->steps[p].node];
    const ert_tensor *o = &c->vals[n->outputs[0]];
    int64_t axis = ert_attr_int(n, "axis", 0);
    if (!c->m->steps[p].concat_host || !ert_tensor_is_dense(o) || o->rank <= 0)
        return false;
    if (axis < 0)
        axis += o->rank;
    for (int d = 0; d < axis && d < o->rank; d++)
        if (o->dims[d] != 1)
            return false;
    for (int i = 0; i < n->n_inputs; i++)
        if (value_bytes(c, n->inputs[i]) % ERT_ARENA_ALIGN)
            return false;
    return true;
}

/* The input of step p whose arena slot output 0 takes for the current shapes (same
 * dtype and size, allowed by the step's reuse_mask), or -1. */
static int reuse_input(const ert_context *c, int p)
{
    const ert_step *s = &c->m->steps[p];
    const ert_node *n = &c->m->g->nodes[s->node];
    if (!s->reuse_mask)
        return -1;
    int out = n->outputs[0];
    size_t ob = value_bytes(c, out);
    for (int i = 0; i < n->n_inputs && i < 32; i++) {
        int v = n->inputs[i];
        if ((s->reuse_mask >> i & 1u) && ob > 0 && value_bytes(c, v) == ob &&
            c->vals[v].dtype == c->vals[out].dtype && ert_tensor_is_dense(&c->vals[v]))
            return v;
    }
    return -1;
}

/* Values that go into the arena: produced by a step that does not keep own outputs,
 * dense, not a view, not hosted by an in-place Concat (whose item covers its inputs'
 * lifetimes from the first producer on). An elementwise output that takes its input's
 * slot (share_in) extends that input's item instead of getting one; item_of maps a
 * value to its item before sorting. */
static int collect_items(ert_context *c, plan_item *items, int *item_of)
{
    const ert_model *m = c->m;
    const ert_graph *g = m->g;
    int n = 0;
    c->naive_bytes = 0;
    for (int v = 0; v < g->n_values; v++)
        item_of[v] = c->share_in[v] = -1;
    for (int p = 0; p < m->n_steps; p++)
        c->inplace[p] = concat_fits(c, p);
    for (int p = 0; p < m->n_steps; p++) {
        const ert_step *s = &m->steps[p];
        const ert_node *nd = &g->nodes[s->node];
        if (s->own_outputs || s->view)
            continue;
        for (int i = 0; i < nd->n_outputs; i++) {
            int v = nd->outputs[i];
            if (v < 0 || !ert_tensor_is_dense(&c->vals[v]))
                continue;
            int last = m->last_use[v] < p ? p : m->last_use[v], first = p;
            c->naive_bytes += align_up(value_bytes(c, v));
            if (last > p && c->inplace[last] && m->steps[last].concat_host &&
                g->nodes[m->steps[last].node].outputs[0] != v)
                continue; /* written straight into the Concat's output */
            int r = i == 0 ? reuse_input(c, p) : -1;
            if (r >= 0 && item_of[r] >= 0) {
                plan_item *it = &items[item_of[r]];
                it->last = last > it->last ? last : it->last;
                item_of[v] = item_of[r];
                c->share_in[v] = r;
                continue;
            }
            for (int j = 0; c->inplace[p] && j < nd->n_inputs; j++)
                if (m->producer_step[nd->inputs[j]] < first)
                    first = m->producer_step[nd->inputs[j]];
            size_t bytes = value_bytes(c, v);
            item_of[v] = n;
            items[n++] = (plan_item){v, first, last, align_up(bytes ? bytes : 1)};
        }
    }
    return n;
}

/* The inputs of in-place Concats get slots inside their output's; in-place elementwise
 * outputs the slot of their input (in step order: that input's slot is set). */
static void place_hosted(ert_context *c)
{
    const ert_model *m = c->m;
    for (int p = 0; p < m->n_steps; p++) {
        int out = m->g->nodes[m->steps[p].node].outputs[0], r = out >= 0 ? c->share_in[out] : -1;
        if (r >= 0) {
            ert_tensor_free_data(&c->vals[out]);
            c->slot_kind[out] = ERT_SLOT_ARENA;
            c->slot_off[out] = c->slot_off[r];
            c->slot_bytes[out] = c->slot_bytes[r];
        }
        if (!c->inplace[p])
            continue;
        const ert_node *n = &m->g->nodes[m->steps[p].node];
        size_t off = c->slot_off[n->outputs[0]];
        for (int i = 0; i < n->n_inputs; i++) {
            int v = n->inputs[i];
            ert_tensor_free_data(&c->vals[v]);
            c->slot_kind[v] = ERT_SLOT_ARENA;
            c->slot_off[v] = off;
            c->slot_bytes[v] = value_bytes(c, v);
            off += c->slot_bytes[v];
        }
    }
}

static ert_status plan_arena(ert_context *c)
{
    const ert_graph *g = c->m->g;
    plan_item *items = malloc(sizeof *items * (size_t)(g->n_values + 1));
    size_t *off = malloc(sizeof *off * (size_t)(g->n_values + 1));
    int *item_of = malloc(sizeof *item_of * (size_t)(g->n_values + 1));
    if (!items || !off || !item_of) {
        free(items);
        free(off);
        free(item_of);
        return ERT_ERR_NO_MEMORY;
    }
    int n = collect_items(c, items, item_of);
    free(item_of);
    qsort(items, (size_t)n, sizeof *items, by_size_desc);
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        off[i] = place(items, off, i, &items[i]);
        if (off[i] + items[i].bytes > total)
            total = off[i] + items[i].bytes;
    }
    ert_status st = ERT_OK;
    if (total > c->arena_bytes) {
        free(c->arena);
        c->arena = aligned_alloc(ERT_ARENA_ALIGN, total);
        c->arena_bytes = c->arena ? total : 0;
        if (!c->arena)
            st = ERT_ERR_NO_MEMORY;
    }
    for (int i = 0; i < n && st == ERT_OK; i++) {
        int v = items[i].v;
        ert_tensor_free_data(&c->vals[v]); /* its discovery buffer, if still held */
        c->slot_kind[v] = ERT_SLOT_ARENA;
        c->slot_off[v] = off[i];
        c->slot_bytes[v] = items[i].bytes;
    }
    if (st == ERT_OK)
        place_hosted(c);
    c->planned = st == ERT_OK;
    free(items);
    free(off);
    return st;
}

void ert_context_memory(const ert_context *c, size_t *arena_bytes, size_t *naive_bytes)
{
    *arena_bytes = c->planned ? c->arena_bytes : 0;
    *naive_bytes = c->planned ? c->naive_bytes : 0;
}

ert_status ert_context_memory_info(ert_context *c, ert_memory_info *out)
{
    if (!c || !out)
        return ERT_ERR_INVALID_ARGUMENT;
    memset(out, 0, sizeof *out);
    const ert_graph *g = c->m->g;
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].kind == ERT_VALUE_CONST && g->values[v].t.data)
            out->weight_bytes += g->values[v].t.nbytes;
    out->workspace_bytes = c->ws_cap;
    if (!c->planned)
        return ert_errf(&c->err, ERT_ERR_STATE, "no memory plan yet: the arena "
                        "is laid out by the second run with the same input shapes");
    out->arena_bytes = c->arena_bytes;
    out->naive_bytes = c->naive_bytes;
    return ERT_OK;
}

/* ---- the run loop ---- */

static void bind(ert_context *c, const ert_node *n)
{
    const ert_graph *g = c->m->g;
    for (int i = 0; i < c->m->max_io; i++) {
        int v = i < n->n_inputs ? n->inputs[i] : -1;
        if (v < 0)
            c->in_ptrs[i] = NULL;
        else if (g->values[v].kind == ERT_VALUE_CONST)
            c->in_ptrs[i] = (ert_tensor *)&g->values[v].t; /* kernels only read inputs */
        else
            c->in_ptrs[i] = &c->vals[v];
    }
    for (int i = 0; i < c->m->max_io; i++) {
        int v = i < n->n_outputs ? n->outputs[i] : -1;
        c->out_ptrs[i] = v >= 0 ? &c->vals[v] : NULL;
    }
}

static bool inputs_changed(const ert_context *c, const ert_step *s, const ert_node *n)
{
    const uint32_t *seen = c->step_gen + s->gen_off;
    for (int i = 0; i < n->n_inputs; i++)
        if (seen[i] != (n->inputs[i] >= 0 ? c->gen[n->inputs[i]] : 0))
            return true;
    return false;
}

static void remember_inputs(ert_context *c, const ert_step *s, const ert_node *n)
{
    uint32_t *seen = c->step_gen + s->gen_off;
    for (int i = 0; i < n->n_inputs; i++)
        seen[i] = n->inputs[i] >= 0 ? c->gen[n->inputs[i]] : 0;
}

/* Output i's storage after infer: its arena slot if it fits, else a grow-only buffer
 * of its own (and the plan is redone after this run). */
static ert_status place_output(ert_context *c, ert_kctx *k, int i)
{
    ert_tensor *o = k->out[i];
    int v = k->node->outputs[i];
    size_t bytes;
    ert_status st = ert_step_output_bytes(k, i, &bytes);
    if (st != ERT_OK)
        return st;
    int r = c->share_in[v];
    if (c->slot_kind[v] == ERT_SLOT_ARENA) {
        /* a slot shared with an input holds only while both keep the planned size (a
         * broadcast input must not sit under a larger output) */
        bool shared_ok = r < 0 || (value_bytes(c, r) == bytes && c->vals[r].data ==
                                   (unsigned char *)c->arena + c->slot_off[v]);
        if (bytes <= c->slot_bytes[v] && shared_ok) {
            o->data = (unsigned char *)c->arena + c->slot_off[v];
            o->nbytes = bytes;
            o->capacity = 0;
            return ERT_OK;
        }
        c->slot_kind[v] = ERT_SLOT_OWN;
        c->planned = false;
        o->data = NULL;
        o->capacity = 0;
    }
    if (ert_tensor_alloc(o) != ERT_OK)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate output %d (%zu bytes)", i,
                           bytes);
    return ERT_OK;
}

/* Saves the outputs' shapes, infers, and bumps the generation of each output whose shape
 * changed (its readers then infer again). */
static ert_status infer_outputs(ert_context *c, ert_kctx *k)
{
    const ert_node *n = k->node;
    for (int i = 0; i < n->n_outputs; i++) {
        int64_t *d = c->old_dims + (size_t)i * (ERT_MAX_RANK + 1);
        const ert_tensor *o = k->out[i];
        d[0] = o ? o->rank : -1;
        for (int j = 0; o && j < o->rank; j++)
            d[1 + j] = o->dims[j];
    }
    ert_status st = ert_step_infer(k, c->m->g);
    for (int i = 0; i < n->n_outputs && st == ERT_OK; i++) {
        const int64_t *d = c->old_dims + (size_t)i * (ERT_MAX_RANK + 1);
        const ert_tensor *o = k->out[i];
        if (o && (d[0] != o->rank || memcmp(d + 1, o->dims, sizeof(int64_t) * (size_t)(o->rank > 0 ? o->rank : 0)) != 0))
            c->gen[n->outputs[i]]++;
    }
    return st;
}

static ert_status reserve_workspace(ert_context *c, ert_kctx *k, size_t need)
{
    if (need <= c->ws_cap)
        return ERT_OK;
    void *p = aligned_alloc(ERT_ARENA_ALIGN, align_up(need));
    if (!p)
        return ert_op_fail(k, ERT_ERR_NO_MEMORY, "cannot allocate %zu bytes of workspace", need);
    free(c->ws);
    c->ws = p;
    c->ws_cap = align_up(need);
    return ERT_OK;
}

/* reshape for one step: infer, storage, kernel plan. */
static ert_status reshape_step(ert_context *c, int p, ert_kctx *k)
{
    const ert_step *s = &c->m->steps[p];
    c->step_ready[p] = false;
    ert_status st = infer_outputs(c, k);
    bool dynamic = (k->node->op->flags & ERT_OPF_DYNAMIC_OUTPUTS) != 0 || s->view;
    for (int i = 0; i < k->n_out && st == ERT_OK && !dynamic; i++)
        if (k->out[i] && ert_tensor_is_dense(k->out[i]))
            st = place_output(c, k, i);
    if (st == ERT_OK && s->kernel && s->kernel->plan) {
        size_t ws = 0;
        st = s->kernel->plan(k, &ws);
        c->ws_need[p] = ws;
        if (st == ERT_OK)
            st = reserve_workspace(c, k, ws);
    }
    if (st == ERT_OK) {
        remember_inputs(c, s, k->node);
        c->step_ready[p] = !s->reinfer;
    }
    return st;
}

/* Frees the discovery buffers of values whose last reader was step p; their producers
 * must place them again on the next run. */
static void release_dead(ert_context *c, int p, const ert_node *n)
{
    const ert_model *m = c->m;
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        if (v < 0 || m->last_use[v] != p || c->slot_kind[v] != ERT_SLOT_OWN)
            continue;
        int q = m->producer_step[v];
        if (q < 0 || m->steps[q].own_outputs)
            continue;
        ert_tensor_free_data(&c->vals[v]);
        c->step_ready[q] = false;
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void record_profile(ert_context *c, int p, const ert_kctx *k, uint64_t ns)
{
    ert_step_profile *e = &c->prof[p];
    const ert_tensor *o = k->out[0];
    e->out_rank = o ? o->rank : 0;
    for (int j = 0; o && j < o->rank; j++)
        e->out_dims[j] = o->dims[j];
    e->ns_last = ns;
    e->ns_total += ns;
    e->calls++;
}

/* A view's output is its input's buffer (pointers refreshed every run: the input may
 * have moved when the arena was laid out). */
static void view_output(ert_kctx *k, bool view)
{
    if (!view)
        return;
    ert_tensor *o = k->out[0];
    o->data = k->in[0]->data;
    o->nbytes = k->in[0]->nbytes;
    o->capacity = 0;
}

/* True if every input of an in-place Concat already sits at its place in the output. */
static bool hosted_in_place(const ert_kctx *k)
{
    const unsigned char *at = k->out[0]->data;
    for (int i = 0; i < k->n_in; i++) {
        if (k->in[i]->data != at)
            return false;
        at += k->in[i]->nbytes;
    }
    return true;
}

static ert_status run_step(ert_context *c, int p)
{
    const ert_step *s = &c->m->steps[p];
    const ert_node *n = &c->m->g->nodes[s->node];
    bind(c, n);
    ert_kctx k = {.node = n, .version = n->version, .n_in = n->n_inputs, .in = c->in_ptrs,
                  .n_out = n->n_outputs, .out = c->out_ptrs, .shapes_only = false,
                  .err = &c->err, .packed = s->packed,
                  .params = c->params + (size_t)p * ERT_STEP_PARAMS_BYTES, .pool = c->pool};
    ert_status st = ERT_OK;
    if (!c->step_ready[p] || inputs_changed(c, s, n))
        st = reshape_step(c, p, &k);
    else
        st = ert_exec_check_inputs(&k, c->m->g);
    if (st != ERT_OK)
        return st;
    k.ws = c->ws;
    k.ws_bytes = c->ws_cap;
    if (s->view || (c->inplace[p] && hosted_in_place(&k))) {
        view_output(&k, s->view);
        if (c->profiling)
            record_profile(c, p, &k, 0); /* its shape, for the per-layer table */
        return ERT_OK; /* nothing to compute: the data is where the readers look */
    }
    if (c->hooks.before && (st = c->hooks.before(c->hooks.user, p, &k)) != ERT_OK)
        return st;
    uint64_t t0 = c->profiling ? now_ns() : 0;
    if (!s->kernel && ert_scratch_reset(&c->scratch) != ERT_OK)
        return ert_op_fail(&k, ERT_ERR_NO_MEMORY, "cannot grow the scratch region");
    ert_scratch *prev = s->kernel ? NULL : ert_scratch_install(&c->scratch);
    st = ert_step_kernel(&k, s->kernel);
    if (!s->kernel)
        ert_scratch_install(prev);
    if (c->profiling)
        record_profile(c, p, &k, now_ns() - t0);
    if (c->hooks.after)
        c->hooks.after(c->hooks.user, p, &k, st);
    if (st == ERT_OK && !c->planned)
        release_dead(c, p, n);
    return st;
}

/* The arena is laid out when the last run completed and no input changed shape since:
 * then every value's size is what it will be. */
static ert_status maybe_plan(ert_context *c)
{
    const ert_graph *g = c->m->g;
    if (c->planned || !c->have_sizes)
        return ERT_OK;
    for (int i = 0; i < g->n_inputs; i++)
        if (c->in_gen[i] != c->gen[g->inputs[i]])
            return ERT_OK;
    ert_status st = plan_arena(c);
    if (st != ERT_OK)
        return ert_errf(&c->err, st, "cannot allocate the %zu-byte activation arena",
                        c->arena_bytes);
    for (int p = 0; p < c->m->n_steps; p++)
        c->step_ready[p] = false; /* outputs move into the arena: place them again */
    return ERT_OK;
}

static ert_status run_steps(ert_context *c);

/* Runs in the context's floating-point mode (util/fpmode.h), the caller's restored after,
 * with the pool held (its threads spin between layers). */
ert_status ert_context_run(ert_context *c)
{
    if (!c)
        return ERT_ERR_INVALID_ARGUMENT;
    ert_fpmode caller = ert_fpmode_get();
    if (!c->keep_denormals)
        ert_fpmode_set(ert_fpmode_flushing(caller));
    ert_threadpool_hold(c->pool, true);
    ert_status st = run_steps(c);
    ert_threadpool_hold(c->pool, false);
    ert_fpmode_set(caller);
    return st;
}

static ert_status run_steps(ert_context *c)
{
    const ert_model *m = c->m;
    const ert_graph *g = m->g;
    if (c->state == ERT_CTX_CREATED) {
        for (int i = 0; i < g->n_inputs; i++)
            if (!c->input_set[i])
                return ert_errf(&c->err, ERT_ERR_STATE,
                                "input '%s' has not been set: call ert_context_set_input for every "
                                "input before running", g->values[g->inputs[i]].name);
    }
    ert_status st = check_symbols(c);
    if (st == ERT_OK)
        st = maybe_plan(c);
    if (st != ERT_OK)
        return st;
    c->state = ERT_CTX_READY;
    c->have_sizes = false;
    for (int p = 0; p < m->n_steps; p++)
        if ((st = run_step(c, p)) != ERT_OK)
            return st;
    for (int i = 0; i < g->n_inputs; i++)
        c->in_gen[i] = c->gen[g->inputs[i]];
    c->have_sizes = true;
    c->state = ERT_CTX_DONE;
    return ERT_OK;
}

/* ---- profiling ---- */

void ert_context_set_profiling(ert_context *c, bool on)
{
    if (on && !c->prof) {
        const ert_model *m = c->m;
        c->prof = calloc((size_t)m->n_steps + 1, sizeof *c->prof);
        if (!c->prof)
            return;
        for (int p = 0; p < m->n_steps; p++) {
            const ert_node *n = &m->g->nodes[m->steps[p].node];
            c->prof[p].node = n->name;
            c->prof[p].op = n->op_type;
            c->prof[p].kernel = m->steps[p].kernel ? m->steps[p].kernel->name : "reference";
            c->prof[p].fused = ert_attr_string(n, "fused_ops", "");
            c->prof[p].tactics = m->steps[p].tactics ? m->steps[p].tactics : "";
            c->prof[p].node_index = m->steps[p].node;
        }
    }
    c->profiling = on && c->prof;
}

int ert_context_profile(const ert_context *c, const ert_step_profile **steps)
{
    *steps = c->prof;
    return c->prof ? c->m->n_steps : 0;
}

ert_status ert_context_get_output(ert_context *c, int index, ert_tensor_info *info,
                                  const void **data, size_t *nbytes)
{
    if (!c)
        return ERT_ERR_INVALID_ARGUMENT;
    const ert_graph *g = c->m->g;
    if (index < 0 || index >= g->n_outputs)
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT,
                        "output index %d out of range (model has %d outputs)", index, g->n_outputs);
    if (c->state != ERT_CTX_DONE)
        return ert_errf(&c->err, ERT_ERR_STATE, "outputs are valid only after a successful "
                        "ert_context_run");
    int v = g->outputs[index];
    const ert_value *val = &g->values[v];
    const ert_tensor *t = val->kind == ERT_VALUE_CONST ? &val->t : &c->vals[v];
    if (!ert_tensor_is_dense(t))
        return ert_errf(&c->err, ERT_ERR_UNSUPPORTED, "output '%s' is %s: the public API "
                        "returns tensors only", val->name, ert_tensor_kind_str(t));
    if (info) {
        memset(info, 0, sizeof *info);
        info->name = val->name;
        info->dtype = t->dtype;
        info->rank = t->rank;
        for (int i = 0; i < t->rank; i++)
            info->dims[i] = t->dims[i];
    }
    if (data)
        *data = t->data;
    if (nbytes)
        *nbytes = t->nbytes;
    return ERT_OK;
}

/* ---- internal: sequence and optional values (engine.h) ---- */

ert_status ert_context_set_value(ert_context *c, const char *name, const ert_tensor *t)
{
    if (!c || !t)
        return ERT_ERR_INVALID_ARGUMENT;
    if (ert_tensor_is_dense(t))
        return ert_context_set_input(c, name, t->dtype, t->rank, t->dims, t->data, t->nbytes);
    const ert_graph *g = c->m->g;
    int slot = -1;
    for (int i = 0; name && i < g->n_inputs; i++)
        if (strcmp(g->values[g->inputs[i]].name, name) == 0)
            slot = i;
    if (slot < 0)
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT, "the model has no input named '%s'",
                        name ? name : "(null)");
    const ert_value *v = &g->values[g->inputs[slot]];
    if (t->is_none && !v->t.is_optional)
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT, "input '%s' is not optional: it "
                        "needs a value", name);
    if (t->kind != v->t.kind)
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT, "input '%s' must be %s, got %s", name,
                        v->t.kind == ERT_TENSOR_SEQUENCE ? "a sequence" : "a tensor",
                        ert_tensor_kind_str(t));
    for (int64_t i = 0; i < t->seq_len; i++)
        if (t->seq[i].dtype != v->t.dtype || !ert_tensor_is_dense(&t->seq[i]))
            return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT, "input '%s' element %lld is %s "
                            "%s; the model wants %s tensors", name, (long long)i,
                            ert_dtype_name(t->seq[i].dtype), ert_tensor_kind_str(&t->seq[i]),
                            ert_dtype_name(v->t.dtype));
    ert_tensor *dst = &c->vals[g->inputs[slot]];
    c->gen[g->inputs[slot]]++; /* sequence consumers infer every run anyway */
    if (ert_tensor_copy(dst, t) != ERT_OK)
        return ert_errf(&c->err, ERT_ERR_NO_MEMORY, "input '%s': out of memory", name);
    dst->dtype = v->t.dtype; /* an empty sequence read from a file may not know it */
    c->input_set[slot] = true;
    c->state = ERT_CTX_READY;
    for (int i = 0; i < g->n_inputs; i++)
        if (!c->input_set[i])
            c->state = ERT_CTX_CREATED;
    return ERT_OK;
}

ert_status ert_context_get_value(ert_context *c, int index, const ert_tensor **t)
{
    if (!c || !t)
        return ERT_ERR_INVALID_ARGUMENT;
    const ert_graph *g = c->m->g;
    if (index < 0 || index >= g->n_outputs)
        return ert_errf(&c->err, ERT_ERR_INVALID_ARGUMENT,
                        "output index %d out of range (model has %d outputs)", index, g->n_outputs);
    if (c->state != ERT_CTX_DONE)
        return ert_errf(&c->err, ERT_ERR_STATE, "outputs are valid only after a successful "
                        "ert_context_run");
    int v = g->outputs[index];
    const ert_value *val = &g->values[v];
    *t = val->kind == ERT_VALUE_CONST ? &val->t : &c->vals[v];
    return ERT_OK;
}
