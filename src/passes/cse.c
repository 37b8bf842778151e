/*
 * cse.c - common-subexpression elimination: two live nodes with the same op and version,
 * the same inputs (same values, same order) and the same attributes compute the same
 * outputs, so the later one's readers read the earlier one's outputs. Visiting nodes in
 * topological order lets chains collapse in one sweep (once two nodes merge, their
 * consumers see identical inputs). Random ops (NO_FOLD) and nodes with subgraphs are
 * never merged. A hash of (op, inputs) keeps it O(N) expected.
 */
#include <stdlib.h>
#include <string.h>

#include "passes/pass_util.h"

static uint64_t node_hash(const ert_node *n)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)n->op->id;
    for (int i = 0; i < n->n_inputs; i++)
        h = (h ^ (uint64_t)(n->inputs[i] + 2)) * 1099511628211ull;
    return h ^ ((uint64_t)n->n_outputs << 56);
}

static bool same_tensor(const ert_tensor *a, const ert_tensor *b)
{
    return a->dtype == b->dtype && a->rank == b->rank && a->nbytes == b->nbytes &&
           !memcmp(a->dims, b->dims, sizeof(int64_t) * (size_t)(a->rank > 0 ? a->rank : 0)) &&
           (!a->nbytes || !memcmp(a->data, b->data, a->nbytes));
}

static bool same_attr(const ert_attr *a, const ert_attr *b)
{
    if (a->type != b->type)
        return false;
    switch (a->type) {
    case ERT_ATTR_INT: return a->i == b->i;
    case ERT_ATTR_FLOAT: return !memcmp(&a->f, &b->f, sizeof a->f);
    case ERT_ATTR_STRING: return a->s_len == b->s_len && !memcmp(a->s, b->s, a->s_len);
    case ERT_ATTR_INTS:
        return a->n == b->n && !memcmp(a->ints, b->ints, sizeof(int64_t) * (size_t)a->n);
    case ERT_ATTR_FLOATS:
        return a->n == b->n && !memcmp(a->floats, b->floats, sizeof(float) * (size_t)a->n);
    case ERT_ATTR_STRINGS:
        if (a->n != b->n)
            return false;
        for (int64_t i = 0; i < a->n; i++)
            if (strcmp(a->strings[i], b->strings[i]))
                return false;
        return true;
    case ERT_ATTR_TENSOR: return a->t && b->t && same_tensor(a->t, b->t);
    default: return false; /* graphs, sparse tensors, type protos: never merged */
    }
}

static bool same_attrs(const ert_node *a, const ert_node *b)
{
    if (a->n_attrs != b->n_attrs)
        return false;
    for (int i = 0; i < a->n_attrs; i++) {
        const ert_attr *o = ert_node_attr(b, a->attrs[i].name);
        if (!o || !same_attr(&a->attrs[i], o))
            return false;
    }
    return true;
}

static bool same_node(const ert_node *a, const ert_node *b)
{
    if (a->op != b->op || a->version != b->version || a->n_inputs != b->n_inputs ||
        a->n_outputs != b->n_outputs)
        return false;
    if (memcmp(a->inputs, b->inputs, sizeof(int) * (size_t)a->n_inputs))
        return false;
    return same_attrs(a, b);
}

static bool mergeable(const ert_node *n)
{
    return !n->dead && n->op && !(n->op->flags & ERT_OPF_NO_FOLD) && !ert_node_has_subgraphs(n);
}

/* Redirects every output of node b to node a's; false (nothing changed) if an output of
 * b is a graph output that a's output cannot stand in for. */
static bool merge(ert_edit *e, int a, int b)
{
    const ert_node *na = &e->g->nodes[a], *nb = &e->g->nodes[b];
    for (int j = 0; j < nb->n_outputs; j++) {
        int vb = nb->outputs[j], va = na->outputs[j];
        if (vb >= 0 && (va < 0 || (e->g->values[vb].is_output && e->g->values[va].is_output)))
            return false;
    }
    for (int j = 0; j < nb->n_outputs; j++)
        if (nb->outputs[j] >= 0 && !ert_edit_replace_uses(e, nb->outputs[j], na->outputs[j]))
            return false;
    return true;
}

ert_status ert_opt_cse(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes, cap = 16;
    while (cap < 2 * nn)
        cap *= 2;
    int *table = malloc(sizeof(int) * (size_t)cap); /* open addressing, -1 empty */
    if (!table)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    for (int i = 0; i < cap; i++)
        table[i] = -1;
    for (int ni = 0; ni < nn; ni++) {
        const ert_node *n = &e->g->nodes[ni];
        if (!mergeable(n))
            continue;
        size_t h = (size_t)(node_hash(n) & (uint64_t)(cap - 1));
        while (table[h] >= 0 && !same_node(&e->g->nodes[table[h]], n))
            h = (h + 1) & (size_t)(cap - 1);
        if (table[h] < 0) {
            table[h] = ni;
            continue;
        }
        int first = table[h];
        if (merge(e, first, ni)) {
            ert_edit_remove_node(e, ni);
            ert_pass_note_applied(notes, "CSE");
        } else {
            ert_pass_note_skipped(notes, "CSE", "%s '%s' not merged with '%s': both outputs "
                                  "are graph outputs", n->op_type, n->name,
                                  e->g->nodes[first].name);
        }
    }
    free(table);
    return ERT_OK;
}
