/*
 * fold_pad.c - a zero-value constant Pad on the spatial axes folded into the pads of
 * the Conv or AveragePool reading it: exporters (TF/Keras, Paddle's SAME emulation,
 * timm's "same" convs) put an explicit Pad before such layers, which costs a full copy
 * of the activation and hides the layer's real geometry from the kernels.
 *
 * Legal when: the Pad is mode "constant" with value 0 (attribute before opset 11, else
 * the optional constant_value input), its pads (attribute, or a constant input; opset
 * 18's axes a constant input too) are all >= 0 (negative pads crop) and 0 on the batch
 * and channel axes; its output feeds only this layer's data input; the layer uses
 * explicit pads (auto_pad NOTSET, or VALID: zero pads). AveragePool also needs
 * count_include_pad = 1 (the Pad's zeros count in every window) or, with no pads of its
 * own, becomes count_include_pad = 1; ceil_mode pools are left alone (their windows
 * past the end are clipped, which the Pad's zeros would not be). The Pad's begin pads
 * add to the layer's begin pads and its end pads to the end pads.
 */
#include <stdio.h>
#include <string.h>

#include "passes/pass_util.h"

#define KIND_CONV "Pad+Conv"
#define KIND_POOL "Pad+AveragePool"

/* Reads the integer constant of value v into out (at most max values); -1 if v is not
 * an integer constant of at most max elements. */
static int64_t const_ints(const ert_edit *e, int v, int64_t *out, int64_t max)
{
    const ert_tensor *t = pu_const(e, v);
    if (!t || (t->dtype != ERT_DTYPE_INT64 && t->dtype != ERT_DTYPE_INT32))
        return -1;
    int64_t n = ert_tensor_numel(t);
    if (n > max)
        return -1;
    for (int64_t i = 0; i < n; i++)
        out[i] = (int64_t)ert_tensor_get_f64(t, i);
    return n;
}

/* The Pad's pads per axis of a rank-`rank` input (begin values then end values) into
 * pads; NULL, or why they cannot be read. */
static const char *pad_amounts(const ert_edit *e, const ert_node *p, int rank, int64_t *pads)
{
    int64_t raw[2 * ERT_MAX_RANK], axes[ERT_MAX_RANK], n, na = rank;
    if (p->version < 11) {
        const int64_t *a;
        n = ert_attr_ints(p, "pads", &a);
        if (n < 0 || n > 2 * ERT_MAX_RANK)
            return "its pads attribute is missing";
        memcpy(raw, a, sizeof(int64_t) * (size_t)n);
    } else if ((n = const_ints(e, p->n_inputs > 1 ? p->inputs[1] : -1, raw, 2 * ERT_MAX_RANK)) < 0)
        return "its pads are not a constant";
    if (p->version >= 18 && p->n_inputs > 3 && p->inputs[3] >= 0) {
        if ((na = const_ints(e, p->inputs[3], axes, ERT_MAX_RANK)) < 0)
            return "its axes are not a constant";
    } else {
        for (int i = 0; i < rank; i++)
            axes[i] = i;
    }
    if (n != 2 * na)
        return "its pads do not match its axes";
    memset(pads, 0, sizeof(int64_t) * 2 * (size_t)rank);
    for (int64_t i = 0; i < na; i++) {
        int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
        if (a < 0 || a >= rank)
            return "an axis is out of range";
        pads[a] += raw[i];
        pads[a + rank] += raw[i + na];
    }
    return NULL;
}

/* Why Pad node pi cannot fold into its consumer of rank `rank` (NULL: it can). */
static const char *pad_refusal(const ert_edit *e, int pi, int rank, int64_t *pads)
{
    const ert_node *p = &e->g->nodes[pi];
    if (strcmp(ert_attr_string(p, "mode", "constant"), "constant") != 0)
        return "the Pad is not mode constant";
    double value = 0.0;
    if (p->version < 11)
        value = ert_attr_float(p, "value", 0.0f);
    else if (p->n_inputs > 2 && p->inputs[2] >= 0 && !pu_scalar(e, p->inputs[2], &value))
        return "the Pad value is not a constant";
    if (value != 0.0)
        return "the Pad value is not 0";
    const char *why = pad_amounts(e, p, rank, pads);
    if (why)
        return why;
    for (int i = 0; i < 2 * rank; i++)
        if (pads[i] < 0)
            return "the Pad crops (negative pads)";
    if (pads[0] || pads[1] || pads[rank] || pads[rank + 1])
        return "the Pad pads the batch or channel axis";
    return NULL;
}

/* Why layer ci (Conv / AveragePool) cannot take the pads (NULL: it can); own
 * gets its own pads (2 * nsp values) and *set_include whether AveragePool must switch to
 * count_include_pad = 1. */
static const char *layer_refusal(const ert_edit *e, int ci, int nsp, int64_t *own, bool *set_include)
{
    const ert_node *c = &e->g->nodes[ci];
    const char *ap = ert_attr_string(c, "auto_pad", "NOTSET");
    bool valid = strcmp(ap, "VALID") == 0;
    if (!valid && strcmp(ap, "NOTSET") != 0)
        return "the layer uses auto_pad SAME";
    const int64_t *cp;
    int64_t n = valid ? -1 : ert_attr_ints(c, "pads", &cp);
    if (n >= 0 && n != 2 * nsp)
        return "the layer's pads do not match its rank";
    bool any = false;
    for (int i = 0; i < 2 * nsp; i++) {
        own[i] = n > 0 ? cp[i] : 0;
        any |= own[i] != 0;
    }
    *set_include = false;
    if (c->op->id == ERT_OP_AVERAGE_POOL) {
        if (ert_attr_int(c, "ceil_mode", 0) != 0)
            return "the pool uses ceil_mode";
        if (ert_attr_int(c, "count_include_pad", 0) == 0) {
            if (any)
                return "the pool pads without counting its pads";
            *set_include = true;
        }
    }
    return NULL;
}

/* Adds the folded copy of layer ci reading x with pads `pads`. */
static ert_status fold_one(ert_edit *e, int pi, int ci, const int64_t *pads, bool set_include,
                           ert_err *err)
{
    const ert_node *c = &e->g->nodes[ci];
    int in[3] = {e->g->nodes[pi].inputs[0], c->n_inputs > 1 ? c->inputs[1] : -1,
                 c->n_inputs > 2 ? c->inputs[2] : -1};
    int nsp = e->g->values[in[0]].t.rank - 2, out = c->outputs[0];
    char name[256], ops[256];
    snprintf(name, sizeof name, "%s", c->name);
    snprintf(ops, sizeof ops, "Pad+%s", pu_fused_ops(e, ci));
    int ni = ert_edit_add_node(e, c->op_type, c->domain, name, c->n_inputs, in, 1, &out);
    if (ni < 0 || ert_edit_copy_attrs(e, ni, ci) != ERT_OK ||
        ert_edit_set_attr_string(e, ni, "auto_pad", "NOTSET") != ERT_OK ||
        ert_edit_set_attr_ints(e, ni, "pads", 2 * nsp, pads) != ERT_OK ||
        ert_edit_set_attr_string(e, ni, "fused_ops", ops) != ERT_OK ||
        (set_include && ert_edit_set_attr_int(e, ni, "count_include_pad", 1) != ERT_OK))
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory folding Pad into '%s'", name);
    ert_edit_replace_node(e, ci, ni);
    ert_edit_remove_node(e, pi);
    return ERT_OK;
}

/* Pad node pi feeding layer ci (input 0). */
static ert_status try_fold(ert_edit *e, int pi, int ci, ert_pass_notes *notes, ert_err *err)
{
    const char *kind = pu_is(e, ci, ERT_OP_CONV) ? KIND_CONV : KIND_POOL;
    const ert_node *c = &e->g->nodes[ci];
    int x = e->g->nodes[pi].inputs[0], rank = x >= 0 ? e->g->values[x].t.rank : 0;
    int64_t pads[2 * ERT_MAX_RANK], own[2 * ERT_MAX_RANK], merged[2 * ERT_MAX_RANK];
    bool set_include = false;
    const char *why = NULL;
    if (rank < 3 || rank > ERT_MAX_RANK)
        why = "the input rank is unknown or below 3";
    else if (ert_edit_sole_consumer(e, c->inputs[0]) != ci)
        why = "the Pad output has other consumers";
    if (!why)
        why = pad_refusal(e, pi, rank, pads);
    if (!why)
        why = layer_refusal(e, ci, rank - 2, own, &set_include);
    if (why) {
        ert_pass_note_skipped(notes, kind, "Pad '%s' not folded into '%s': %s", pu_nname(e, pi),
                              pu_nname(e, ci), why);
        return ERT_OK;
    }
    int nsp = rank - 2;
    for (int i = 0; i < nsp; i++) {
        merged[i] = own[i] + pads[2 + i];
        merged[nsp + i] = own[nsp + i] + pads[rank + 2 + i];
    }
    ert_status st = fold_one(e, pi, ci, merged, set_include, err);
    if (st == ERT_OK)
        ert_pass_note_applied(notes, kind);
    return st;
}

ert_status ert_opt_fold_pad(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes;
    for (int ci = 0; ci < nn; ci++) {
        if (!pu_is(e, ci, ERT_OP_CONV) && !pu_is(e, ci, ERT_OP_AVERAGE_POOL))
            continue;
        int x = e->g->nodes[ci].inputs[0];
        int pi = x >= 0 ? e->g->values[x].producer : -1;
        if (pi < 0 || !pu_is(e, pi, ERT_OP_PAD))
            continue;
        ert_status st = try_fold(e, pi, ci, notes, err);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}
