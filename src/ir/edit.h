/*
 * edit.h - graph editing for passes: consumer lists that stay correct across edits,
 * adding values/nodes, rewiring uses, and the topological sort.
 *
 * A pass opens an ert_edit on a graph, which indexes every live node's input slots per
 * value (value -> (node, slot) pairs). Every edit made through this API keeps the index,
 * ert_value.n_consumers and ert_value.producer in agreement with the graph; editing
 * node inputs directly while an ert_edit is open is a bug. New nodes are appended at the
 * end of g->nodes (the order is no longer topological): ert_edit_sort restores it and
 * rebuilds the index, since node indices change. Removed nodes are marked dead (their
 * slots leave the index); dead_nodes.c later frees constants nobody reads.
 *
 * Node and value arrays may be reallocated by any add: hold indices, not pointers.
 */
#ifndef ERT_IR_EDIT_H
#define ERT_IR_EDIT_H

#include "ir/ir.h"

struct ert_op_def;

/* One reader of a value: input `slot` of node `node`. */
typedef struct ert_use {
    int node;
    int slot;
} ert_use;

typedef struct ert_use_list {
    int n, cap;
    ert_use *v;
} ert_use_list;

typedef struct ert_edit {
    ert_graph *g;
    int cap_values;        /* entries allocated in uses (grows with g->n_values) */
    ert_use_list *uses;    /* per value: live node input slots reading it */
} ert_edit;

/* Opens an edit session: indexes the uses of every value by live nodes. */
ert_status ert_edit_begin(ert_edit *e, ert_graph *g, ert_err *err);
void ert_edit_end(ert_edit *e);

/* Readers of value v among live nodes (graph outputs are not counted: see
 * ert_edit_n_readers). */
static inline int ert_edit_n_uses(const ert_edit *e, int v)
{
    return e->uses[v].n;
}
static inline const ert_use *ert_edit_uses(const ert_edit *e, int v)
{
    return e->uses[v].v;
}
/* Live node slots reading v, plus one if v is a graph output: "how many consumers". */
int ert_edit_n_readers(const ert_edit *e, int v);
/* The one live node reading v when v has exactly one reader (and is not a graph output),
 * else -1. */
int ert_edit_sole_consumer(const ert_edit *e, int v);

/* New intermediate value `name` (made unique with a suffix if taken) with t's dtype and
 * shape (no data). -1 on allocation failure. */
int ert_edit_add_value(ert_edit *e, const char *name, const ert_tensor *desc);
/* New constant taking ownership of t's data (t is left empty). -1 on failure (t's data
 * then freed). */
int ert_edit_add_const(ert_edit *e, const char *name, ert_tensor *t);

/* New node appended at the end: op found by (domain, op_type) and resolved at the
 * graph's opset (ai.onnx) or version 1 (other domains); inputs (-1: omitted) and outputs
 * given by value index (each output's producer becomes the new node). Attributes are
 * added with ert_edit_set_attr_*. Returns the node index, -1 on failure (unknown op,
 * no version at this opset, or out of memory). */
int ert_edit_add_node(ert_edit *e, const char *op_type, const char *domain, const char *name,
                      int n_in, const int *in, int n_out, const int *out);

/* Attributes of node ni (replacing one of the same name). ERT_ERR_NO_MEMORY on failure. */
ert_status ert_edit_set_attr_int(ert_edit *e, int ni, const char *name, int64_t v);
ert_status ert_edit_set_attr_float(ert_edit *e, int ni, const char *name, float v);
ert_status ert_edit_set_attr_string(ert_edit *e, int ni, const char *name, const char *s);
ert_status ert_edit_set_attr_ints(ert_edit *e, int ni, const char *name, int64_t n,
                                  const int64_t *v);
ert_status ert_edit_set_attr_floats(ert_edit *e, int ni, const char *name, int64_t n,
                                    const float *v);
/* Copies every attribute of node src onto node dst (plain types; graph attributes are
 * refused with ERT_ERR_UNSUPPORTED: subgraph nodes are never cloned). */
ert_status ert_edit_copy_attrs(ert_edit *e, int dst, int src);

/* Makes input `slot` of node ni read value v (-1: omit it). false: out of memory, the
 * slot unchanged. */
bool ert_edit_set_input(ert_edit *e, int ni, int slot, int v);

/* Every reader of old_v reads new_v instead. If old_v is a graph output, new_v takes its
 * place there and the two values swap names, so the model's output keeps its name. That
 * needs new_v to be an intermediate produced by a node and not itself a graph output:
 * otherwise nothing changes and false is returned (the caller keeps its node). */
bool ert_edit_replace_uses(ert_edit *e, int old_v, int new_v);

/* Marks node ni dead and drops its input slots from the index (its outputs' producer
 * becomes -1 when still set to ni). */
void ert_edit_remove_node(ert_edit *e, int ni);

/* Replaces node old_ni by the (already added) node new_ni: new_ni takes over old_ni's
 * outputs as they are (same value indices and names), old_ni is removed. Both must
 * have the same number of outputs. */
void ert_edit_replace_node(ert_edit *e, int old_ni, int new_ni);

/* Topological sort of the graph (Kahn's algorithm, stable: ready nodes keep their
 * relative order), then the index is rebuilt for the new node numbering. */
ert_status ert_edit_sort(ert_edit *e, ert_err *err);

/* The same sort on a graph without an edit session (the importer's). Fails with a
 * message naming a node on a cycle. */
ert_status ert_graph_topo_sort(ert_graph *g, ert_err *err);

#endif /* ERT_IR_EDIT_H */
