/*
 * edit.c - graph editing for passes (edit.h): the consumer index, adds, rewiring, and
 * the topological sort shared with the importer.
 *
 * The index is one growable (node, slot) array per value. Removing a use is a linear
 * scan of that value's list: lists are short (a value feeds a handful of nodes), so this
 * beats a doubly linked structure in both code and speed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/edit.h"
#include "ops/op.h"

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

/* ---- the index ---- */

static bool use_add(ert_use_list *l, int node, int slot)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 4;
        ert_use *v = realloc(l->v, sizeof(ert_use) * (size_t)cap);
        if (!v)
            return false;
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = (ert_use){node, slot};
    return true;
}

static void use_del(ert_use_list *l, int node, int slot)
{
    for (int i = 0; i < l->n; i++)
        if (l->v[i].node == node && l->v[i].slot == slot) {
            l->v[i] = l->v[--l->n];
            return;
        }
}

/* Makes room in the index for every value of the graph. */
static bool grow_index(ert_edit *e)
{
    int need = e->g->n_values;
    if (need <= e->cap_values)
        return true;
    int cap = e->cap_values ? e->cap_values : 64;
    while (cap < need)
        cap *= 2;
    ert_use_list *u = realloc(e->uses, sizeof(ert_use_list) * (size_t)cap);
    if (!u)
        return false;
    memset(u + e->cap_values, 0, sizeof(ert_use_list) * (size_t)(cap - e->cap_values));
    e->uses = u;
    e->cap_values = cap;
    return true;
}

static ert_status build_index(ert_edit *e, ert_err *err)
{
    ert_graph *g = e->g;
    for (int v = 0; v < e->cap_values; v++)
        e->uses[v].n = 0;
    if (!grow_index(e))
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    for (int v = 0; v < g->n_values; v++)
        g->values[v].n_consumers = 0;
    for (int ni = 0; ni < g->n_nodes; ni++) {
        const ert_node *n = &g->nodes[ni];
        if (n->dead)
            continue;
        for (int s = 0; s < n->n_inputs; s++) {
            int v = n->inputs[s];
            if (v < 0)
                continue;
            if (!use_add(&e->uses[v], ni, s))
                return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
            g->values[v].n_consumers++;
        }
    }
    return ERT_OK;
}

ert_status ert_edit_begin(ert_edit *e, ert_graph *g, ert_err *err)
{
    memset(e, 0, sizeof *e);
    e->g = g;
    ert_status st = build_index(e, err);
    if (st != ERT_OK)
        ert_edit_end(e);
    return st;
}

void ert_edit_end(ert_edit *e)
{
    for (int v = 0; v < e->cap_values; v++)
        free(e->uses[v].v);
    free(e->uses);
    e->uses = NULL;
    e->cap_values = 0;
}

int ert_edit_n_readers(const ert_edit *e, int v)
{
    return e->uses[v].n + (e->g->values[v].is_output ? 1 : 0);
}

int ert_edit_sole_consumer(const ert_edit *e, int v)
{
    if (e->g->values[v].is_output || e->uses[v].n != 1)
        return -1;
    return e->uses[v].v[0].node;
}

/* ---- values ---- */

int ert_edit_add_value(ert_edit *e, const char *name, const ert_tensor *desc)
{
    ert_graph *g = e->g;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", name);
    /* unique names: the API, inspect and profiles name values */
    for (int k = 1; ert_graph_find_value(g, buf) >= 0; k++)
        snprintf(buf, sizeof buf, "%s_%d", name, k);
    int v = ert_graph_add_value(g, buf);
    if (v < 0 || !grow_index(e))
        return -1;
    ert_value *val = &g->values[v];
    val->kind = ERT_VALUE_INTERMEDIATE;
    if (desc) {
        val->t.dtype = desc->dtype;
        ert_tensor_set_shape(&val->t, desc->rank, desc->dims);
    }
    return v;
}

int ert_edit_add_const(ert_edit *e, const char *name, ert_tensor *t)
{
    int v = ert_edit_add_value(e, name, NULL);
    if (v < 0) {
        ert_tensor_free_data(t);
        return -1;
    }
    ert_value *val = &e->g->values[v];
    val->kind = ERT_VALUE_CONST;
    val->t = *t;
    memset(t, 0, sizeof *t);
    return v;
}

/* ---- nodes ---- */

/* Largest schema version of op at or below opset (0: none). */
static int version_at(const ert_op_def *op, int opset)
{
    int best = 0;
    for (int i = 0; i < ERT_OP_MAX_VERSIONS && op->versions[i]; i++)
        if (op->versions[i] <= opset)
            best = op->versions[i];
    return best;
}

static int init_node(ert_edit *e, int ni, const ert_op_def *op, const char *name, int n_in,
                     const int *in, int n_out, const int *out)
{
    ert_graph *g = e->g;
    ert_node *n = &g->nodes[ni];
    bool onnx = op->domain[0] == '\0';
    n->op = op;
    n->opset = onnx ? g->opset_onnx : 1;
    n->version = onnx ? version_at(op, g->opset_onnx) : op->versions[0];
    n->name = dupstr(name);
    n->op_type = dupstr(op->name);
    n->domain = dupstr(op->domain);
    n->inputs = malloc(sizeof(int) * (size_t)(n_in ? n_in : 1));
    n->outputs = malloc(sizeof(int) * (size_t)(n_out ? n_out : 1));
    n->backend = ERT_BACKEND_CPU_REF;
    if (!n->name || !n->op_type || !n->domain || !n->inputs || !n->outputs || !n->version) {
        n->dead = true; /* keeps the graph consistent; freed with it */
        return -1;
    }
    n->n_outputs = n_out;
    for (int i = 0; i < n_out; i++) {
        n->outputs[i] = out[i];
        if (out[i] >= 0)
            g->values[out[i]].producer = ni;
    }
    n->n_inputs = n_in;
    for (int i = 0; i < n_in; i++)
        n->inputs[i] = -1;
    for (int i = 0; i < n_in; i++)
        if (!ert_edit_set_input(e, ni, i, in[i])) {
            ert_edit_remove_node(e, ni); /* drops the uses indexed so far */
            return -1;
        }
    return ni;
}

int ert_edit_add_node(ert_edit *e, const char *op_type, const char *domain, const char *name,
                      int n_in, const int *in, int n_out, const int *out)
{
    const ert_op_def *op = ert_op_find(domain, op_type);
    if (!op)
        return -1;
    int ni = ert_graph_add_node(e->g);
    if (ni < 0)
        return -1;
    return init_node(e, ni, op, name, n_in, in, n_out, out);
}

bool ert_edit_set_input(ert_edit *e, int ni, int slot, int v)
{
    ert_graph *g = e->g;
    ert_node *n = &g->nodes[ni];
    int old = n->inputs[slot];
    if (old == v)
        return true;
    /* index the new use first: if that fails the slot keeps its old value, so an
     * out-of-memory edit leaves a consistent (if unchanged) graph */
    if (v >= 0 && !n->dead) {
        if (!use_add(&e->uses[v], ni, slot))
            return false;
        g->values[v].n_consumers++;
    }
    if (old >= 0 && !n->dead) {
        use_del(&e->uses[old], ni, slot);
        g->values[old].n_consumers--;
    }
    n->inputs[slot] = v;
    return true;
}

bool ert_edit_replace_uses(ert_edit *e, int old_v, int new_v)
{
    ert_graph *g = e->g;
    ert_value *ov = &g->values[old_v], *nv = &g->values[new_v];
    if (ov->is_output) {
        if (nv->is_output || nv->kind != ERT_VALUE_INTERMEDIATE || nv->producer < 0)
            return false;
        for (int i = 0; i < g->n_outputs; i++)
            if (g->outputs[i] == old_v)
                g->outputs[i] = new_v;
        char *name = ov->name;
        ov->name = nv->name;
        nv->name = name;
        nv->is_output = true;
        ov->is_output = false;
    }
    /* set_input edits the list being walked: take the last entry each time */
    while (e->uses[old_v].n > 0) {
        ert_use u = e->uses[old_v].v[e->uses[old_v].n - 1];
        if (!ert_edit_set_input(e, u.node, u.slot, new_v))
            return false; /* out of memory: readers left still read the equal old_v */
    }
    return true;
}

void ert_edit_remove_node(ert_edit *e, int ni)
{
    ert_graph *g = e->g;
    ert_node *n = &g->nodes[ni];
    if (n->dead)
        return;
    for (int s = 0; s < n->n_inputs; s++)
        if (n->inputs[s] >= 0) {
            use_del(&e->uses[n->inputs[s]], ni, s);
            g->values[n->inputs[s]].n_consumers--;
        }
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0 && g->values[n->outputs[i]].producer == ni)
            g->values[n->outputs[i]].producer = -1;
    n->dead = true;
}

/* Renumbers node a's index entries and produced values to b (a's struct now at b). */
static void renumber(ert_edit *e, int a, int b)
{
    ert_graph *g = e->g;
    ert_node *n = &g->nodes[b];
    for (int s = 0; s < n->n_inputs; s++) {
        int v = n->inputs[s];
        if (v < 0 || n->dead)
            continue;
        for (int i = 0; i < e->uses[v].n; i++)
            if (e->uses[v].v[i].node == a && e->uses[v].v[i].slot == s)
                e->uses[v].v[i].node = b;
    }
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0 && g->values[n->outputs[i]].producer == a)
            g->values[n->outputs[i]].producer = b;
}

void ert_edit_replace_node(ert_edit *e, int old_ni, int new_ni)
{
    ert_graph *g = e->g;
    ert_edit_remove_node(e, old_ni);
    /* The new node takes the old one's place in the order: its inputs are values the
     * pattern read, all produced before the old (last) node, so the order stays
     * topological and the schedule (memory lifetimes) stays as the exporter made it. */
    ert_node tmp = g->nodes[old_ni];
    g->nodes[old_ni] = g->nodes[new_ni];
    g->nodes[new_ni] = tmp;
    renumber(e, new_ni, old_ni);
    ert_node *n = &g->nodes[old_ni];
    for (int i = 0; i < n->n_outputs; i++)
        if (n->outputs[i] >= 0)
            g->values[n->outputs[i]].producer = old_ni;
}

/* ---- attributes ---- */

static ert_attr *attr_slot(ert_edit *e, int ni, const char *name)
{
    ert_node *n = &e->g->nodes[ni];
    for (int i = 0; i < n->n_attrs; i++)
        if (!strcmp(n->attrs[i].name, name)) {
            ert_attr_clear(&n->attrs[i]);
            n->attrs[i].name = dupstr(name);
            return n->attrs[i].name ? &n->attrs[i] : NULL;
        }
    ert_attr *a = realloc(n->attrs, sizeof(ert_attr) * (size_t)(n->n_attrs + 1));
    if (!a)
        return NULL;
    n->attrs = a;
    memset(&a[n->n_attrs], 0, sizeof *a);
    a[n->n_attrs].name = dupstr(name);
    if (!a[n->n_attrs].name)
        return NULL;
    return &a[n->n_attrs++];
}

ert_status ert_edit_set_attr_int(ert_edit *e, int ni, const char *name, int64_t v)
{
    ert_attr *a = attr_slot(e, ni, name);
    if (!a)
        return ERT_ERR_NO_MEMORY;
    a->type = ERT_ATTR_INT;
    a->i = v;
    a->f = (float)v; /* the importer keeps both payloads in agreement */
    return ERT_OK;
}

ert_status ert_edit_set_attr_float(ert_edit *e, int ni, const char *name, float v)
{
    ert_attr *a = attr_slot(e, ni, name);
    if (!a)
        return ERT_ERR_NO_MEMORY;
    a->type = ERT_ATTR_FLOAT;
    a->f = v;
    a->i = (int64_t)v;
    return ERT_OK;
}

ert_status ert_edit_set_attr_string(ert_edit *e, int ni, const char *name, const char *s)
{
    ert_attr *a = attr_slot(e, ni, name);
    if (!a || !(a->s = dupstr(s)))
        return ERT_ERR_NO_MEMORY;
    a->type = ERT_ATTR_STRING;
    a->s_len = strlen(s);
    return ERT_OK;
}

ert_status ert_edit_set_attr_ints(ert_edit *e, int ni, const char *name, int64_t n,
                                  const int64_t *v)
{
    ert_attr *a = attr_slot(e, ni, name);
    if (!a || !(a->ints = malloc(sizeof(int64_t) * (size_t)(n ? n : 1))))
        return ERT_ERR_NO_MEMORY;
    a->type = ERT_ATTR_INTS;
    a->n = n;
    memcpy(a->ints, v, sizeof(int64_t) * (size_t)n);
    return ERT_OK;
}

ert_status ert_edit_set_attr_floats(ert_edit *e, int ni, const char *name, int64_t n,
                                    const float *v)
{
    ert_attr *a = attr_slot(e, ni, name);
    if (!a || !(a->floats = malloc(sizeof(float) * (size_t)(n ? n : 1))))
        return ERT_ERR_NO_MEMORY;
    a->type = ERT_ATTR_FLOATS;
    a->n = n;
    memcpy(a->floats, v, sizeof(float) * (size_t)n);
    return ERT_OK;
}

static ert_status copy_attr(ert_edit *e, int dst, const ert_attr *s)
{
    switch (s->type) {
    case ERT_ATTR_INT: return ert_edit_set_attr_int(e, dst, s->name, s->i);
    case ERT_ATTR_FLOAT: return ert_edit_set_attr_float(e, dst, s->name, s->f);
    case ERT_ATTR_STRING: return ert_edit_set_attr_string(e, dst, s->name, s->s ? s->s : "");
    case ERT_ATTR_INTS: return ert_edit_set_attr_ints(e, dst, s->name, s->n, s->ints);
    case ERT_ATTR_FLOATS: return ert_edit_set_attr_floats(e, dst, s->name, s->n, s->floats);
    default: return ERT_ERR_UNSUPPORTED;
    }
}

ert_status ert_edit_copy_attrs(ert_edit *e, int dst, int src)
{
    for (int i = 0; i < e->g->nodes[src].n_attrs; i++) {
        /* re-read each time: adding to dst may move nothing of src, but stay safe */
        ert_attr s = e->g->nodes[src].attrs[i];
        ert_status st = copy_attr(e, dst, &s);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}

/* ---- topological sort ---- */

/* Min-heap of node indices: Kahn's algorithm that always takes the lowest-numbered ready
 * node, so an already sorted graph keeps its order exactly (the exporter's schedule,
 * which keeps activations short-lived) and a node appended by a pass runs as early as
 * its inputs allow after the nodes before it. O((N + E) log N). */
static void heap_push(int *h, int *n, int x)
{
    int i = (*n)++;
    while (i > 0 && h[(i - 1) / 2] > x) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static int heap_pop(int *h, int *n)
{
    int top = h[0], x = h[--(*n)], i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= x)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n > 0)
        h[i] = x;
    return top;
}

/* Consumer CSR over values (node per input slot whose value has a producer). */
static bool build_csr(const ert_graph *g, int *indeg, int **cstart_out, int **cnode_out)
{
    int nv = g->n_values, total = 0;
    int *cstart = calloc((size_t)nv + 1, sizeof(int));
    if (!cstart)
        return false;
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_inputs; j++) {
            int v = g->nodes[i].inputs[j];
            if (v >= 0 && g->values[v].producer >= 0) {
                cstart[v + 1]++;
                indeg[i]++;
                total++;
            }
        }
    for (int v = 0; v < nv; v++)
        cstart[v + 1] += cstart[v];
    int *cnode = malloc(sizeof(int) * (size_t)(total ? total : 1));
    int *fill = calloc((size_t)nv + 1, sizeof(int));
    if (!cnode || !fill) {
        free(cstart);
        free(cnode);
        free(fill);
        return false;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int j = 0; j < g->nodes[i].n_inputs; j++) {
            int v = g->nodes[i].inputs[j];
            if (v >= 0 && g->values[v].producer >= 0)
                cnode[cstart[v] + fill[v]++] = i;
        }
    free(fill);
    *cstart_out = cstart;
    *cnode_out = cnode;
    return true;
}

/* Kahn over the CSR into order[]; returns the number of nodes placed. */
static int kahn(const ert_graph *g, int *indeg, const int *cstart, const int *cnode,
                int *heap, int *order)
{
    int nh = 0, no = 0;
    for (int i = 0; i < g->n_nodes; i++)
        if (indeg[i] == 0)
            heap_push(heap, &nh, i);
    while (nh > 0) {
        int i = heap_pop(heap, &nh);
        order[no++] = i;
        for (int j = 0; j < g->nodes[i].n_outputs; j++) {
            int v = g->nodes[i].outputs[j];
            if (v < 0 || g->values[v].producer != i)
                continue;
            for (int c = cstart[v]; c < cstart[v + 1]; c++)
                if (--indeg[cnode[c]] == 0)
                    heap_push(heap, &nh, cnode[c]);
        }
    }
    return no;
}

static ert_status permute(ert_graph *g, const int *order, ert_err *err)
{
    int nn = g->n_nodes;
    ert_node *sorted = malloc(sizeof(ert_node) * (size_t)g->cap_nodes);
    if (!sorted)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    int *where = malloc(sizeof(int) * (size_t)nn);
    if (!where) {
        free(sorted);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    }
    for (int i = 0; i < nn; i++) {
        sorted[i] = g->nodes[order[i]];
        where[order[i]] = i;
    }
    for (int v = 0; v < g->n_values; v++)
        if (g->values[v].producer >= 0)
            g->values[v].producer = where[g->values[v].producer];
    free(where);
    free(g->nodes);
    g->nodes = sorted;
    return ERT_OK;
}

ert_status ert_graph_topo_sort(ert_graph *g, ert_err *err)
{
    int nn = g->n_nodes;
    if (nn == 0)
        return ERT_OK;
    int *indeg = calloc((size_t)nn, sizeof(int));
    int *order = malloc(sizeof(int) * (size_t)nn);
    int *heap = malloc(sizeof(int) * (size_t)nn);
    int *cstart = NULL, *cnode = NULL;
    ert_status st = ERT_OK;
    if (!indeg || !order || !heap || !build_csr(g, indeg, &cstart, &cnode)) {
        st = ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        goto done;
    }
    if (kahn(g, indeg, cstart, cnode, heap, order) != nn) {
        int stuck = 0;
        while (stuck < nn && indeg[stuck] == 0)
            stuck++;
        st = ert_errf(err, ERT_ERR_PARSE,
                      "the graph has a cycle: node '%s' (%s) can never run because its inputs "
                      "depend on its own outputs", g->nodes[stuck].name, g->nodes[stuck].op_type);
        goto done;
    }
    st = permute(g, order, err);
done:
    free(indeg);
    free(order);
    free(heap);
    free(cstart);
    free(cnode);
    return st;
}

ert_status ert_edit_sort(ert_edit *e, ert_err *err)
{
    ert_status st = ert_graph_topo_sort(e->g, err);
    return st == ERT_OK ? build_index(e, err) : st;
}
