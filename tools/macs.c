/*
 * macs.c - see macs.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "macs.h"

#include <string.h>

const ert_tensor *cli_node_value(const ert_graph *g, const ert_node *n, bool out, int i)
{
    int nv = out ? n->n_outputs : n->n_inputs;
    if (i >= nv)
        return NULL;
    int v = out ? n->outputs[i] : n->inputs[i];
    return v >= 0 && v < g->n_values ? &g->values[v].t : NULL;
}

/* Multiplies m by the product of dims [from, rank); false if the rank is unknown. */
static bool dims_prod(const ert_tensor *t, int from, cli_macs *m)
{
    if (!t || t->rank < 0)
        return false;
    for (int i = from; i < t->rank; i++) {
        int64_t d = t->dims[i];
        if (d < 0) {
            m->is_min = true;
            d = 1;
        }
        if (!ert_mul_ok(m->value, d, &m->value))
            return false;
    }
    return true;
}

static bool dim_of(const ert_tensor *t, int i, cli_macs *m)
{
    if (!t || t->rank <= i || i < 0)
        return false;
    int64_t d = t->dims[i];
    if (d < 0) {
        m->is_min = true;
        d = 1;
    }
    return ert_mul_ok(m->value, d, &m->value);
}

static bool is_op(const ert_node *n, const char *domain, const char *op_type)
{
    const char *dom = n->domain ? n->domain : "";
    return strcmp(dom, domain) == 0 && strcmp(n->op_type, op_type) == 0;
}

/* y: output 0 as it is to be counted (the graph's, or a concrete run-time shape). */
static bool node_macs(const ert_graph *g, const ert_node *n, const ert_tensor *y, cli_macs *m)
{
    m->value = 1;
    m->is_min = false;
    m->known = false;
    const ert_tensor *x = cli_node_value(g, n, false, 0), *w = cli_node_value(g, n, false, 1);
    bool ok;
    if (is_op(n, "", "Conv") || is_op(n, "edgert", "FusedConv")) {
        ok = dims_prod(y, 0, m) && dims_prod(w, 1, m);
    } else if (is_op(n, "", "ConvTranspose")) {
        ok = dims_prod(x, 0, m) && dims_prod(w, 1, m);
    } else if (is_op(n, "", "Gemm") || is_op(n, "edgert", "FusedGemm")) {
        bool trans_a = ert_attr_int(n, "transA", 0) != 0;
        ok = x && x->rank == 2 && dims_prod(y, 0, m) && dim_of(x, trans_a ? 0 : 1, m);
    } else if (is_op(n, "", "MatMul")) {
        ok = x && x->rank >= 1 && dims_prod(y, 0, m) && dim_of(x, x->rank - 1, m);
    } else {
        return false;
    }
    m->known = ok;
    return true;
}

bool cli_node_macs(const ert_graph *g, const ert_node *n, cli_macs *m)
{
    return node_macs(g, n, cli_node_value(g, n, true, 0), m);
}

bool cli_node_macs_out(const ert_graph *g, const ert_node *n, int rank, const int64_t *dims,
                       cli_macs *m)
{
    const ert_tensor *y = cli_node_value(g, n, true, 0);
    if (!y || rank < 0 || rank > ERT_MAX_RANK)
        return node_macs(g, n, y, m);
    ert_tensor shaped = *y;
    shaped.rank = rank;
    for (int i = 0; i < rank; i++)
        shaped.dims[i] = dims[i];
    return node_macs(g, n, &shaped, m);
}

bool cli_node_live(const ert_graph *g, const ert_node *n)
{
    if (n->dead)
        return false;
    for (int i = 0; i < n->n_outputs; i++) {
        int v = n->outputs[i];
        if (v >= 0 && v < g->n_values && g->values[v].kind != ERT_VALUE_CONST)
            return true;
    }
    return n->n_outputs == 0;
}

cli_macs cli_graph_macs(const ert_graph *g)
{
    cli_macs total = {0, true, false};
    for (int i = 0; i < g->n_nodes; i++) {
        cli_macs m;
        if (!cli_node_live(g, &g->nodes[i]) || !cli_node_macs(g, &g->nodes[i], &m))
            continue;
        if (!m.known) {
            total.is_min = true; /* a "?" node: the total is at least the rest */
            continue;
        }
        total.is_min |= m.is_min;
        if (__builtin_add_overflow(total.value, m.value, &total.value))
            total.known = false;
    }
    return total;
}
