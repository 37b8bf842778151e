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

bool cli_node_macs(const ert_graph *g, const ert_node *n, cli_macs *m)
{
    m->value = 1;
    m->is_min = false;
    m->known = false;
    const ert_tensor *x = cli_node_value(g, n, false, 0), *w = cli_node_value(g, n, false, 1);
    const ert_tensor *y = cli_node_value(g, n, true, 0);
    bool ok;
    if (is_op(n, "", "Conv") || is_op(n, "edgert", "FusedConv")) {
        ok = dims_prod(y, 0, m) && dims_prod(w, 1, m);
    } else if (is_op(n, "", "ConvTranspose")) {
        ok = dims_prod(x, 0, m) && dims_prod(w, 1, m);
    } else if (is_op(n, "", "Gemm")) {
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
