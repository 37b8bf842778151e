/*
 * matmul_add.c - MatMul(A, B) + C -> Gemm(A, B, C) when A is 2-D [M, K], B a constant
 * [K, N] and C a constant that broadcasts unidirectionally to [M, N] (scalar, [N],
 * [1, N], [M, 1] or [M, N]): one kernel with the bias in its epilogue instead of a
 * GEMM and a full pass over the result. Classifier heads of torch/paddle exports look
 * like this. Needs the MatMul output to feed only the Add, and Gemm-7 or later (C
 * broadcasting) at the model's opset.
 *
 * A of rank > 2 [d0, ..., M, K] (every Linear layer of a transformer export) becomes
 * Reshape(A, [-1, K]) -> Gemm -> Reshape(to the result's shape) when the bias is a row
 * (scalar, [N] or [1, ..., 1, N]: one value per column, the same for every row) and at
 * most one of the result's leading dims is unknown (it becomes the -1 of the second
 * Reshape). Both Reshapes are views of their input, not copies.
 */
#include <stdio.h>
#include <stdlib.h>

#include "passes/pass_util.h"

#define KIND "MatMul+Add"

/* Why C (value cv) cannot be Gemm's C for the MatMul result y (NULL: it can). */
static const char *bias_refusal(const ert_edit *e, int cv, int y)
{
    const ert_tensor *c = pu_const(e, cv), *yt = &e->g->values[y].t;
    if (!c)
        return "the other Add operand is not a constant";
    if (c->dtype != yt->dtype)
        return "the bias dtype differs";
    if (yt->rank > 2) { /* flattened to [rows, N]: the bias must be one row */
        if (c->rank > yt->rank)
            return "the bias has more dims than the MatMul result";
        for (int i = 0; i + 1 < c->rank; i++)
            if (c->dims[i] != 1)
                return "the bias varies along the rows of a batched MatMul";
        int64_t last = c->rank ? c->dims[c->rank - 1] : 1;
        if (last != 1 && last != yt->dims[yt->rank - 1])
            return "the bias does not broadcast to the MatMul result";
        return NULL;
    }
    if (c->rank > 2)
        return "the bias has rank > 2";
    for (int i = 0; i < c->rank; i++) {
        int64_t d = c->dims[c->rank - 1 - i], yd = yt->dims[1 - i];
        if (d != 1 && d != yd)
            return "the bias does not broadcast to the MatMul result";
    }
    /* every bias dim is 1 or equals the result's (known) dim, and the bias has no more
     * dims than the result, so the Add's output has exactly the MatMul's shape */
    return NULL;
}

/* Why MatMul node mi + Add node ai cannot become a Gemm (NULL: they can). */
static const char *refusal(const ert_edit *e, int mi, int ai)
{
    const ert_node *mm = &e->g->nodes[mi];
    int y = mm->outputs[0];
    const ert_tensor *a = &e->g->values[mm->inputs[0]].t, *b = pu_const(e, mm->inputs[1]);
    if (e->g->opset_onnx < 7)
        return "Gemm before opset 7 does not broadcast C";
    if (a->rank < 2 || !ert_dtype_is_float(a->dtype))
        return "A is not a float tensor of rank >= 2";
    if (!b || b->rank != 2 || b->dtype != a->dtype)
        return "B is not a 2-D constant of A's dtype";
    const ert_tensor *yt = &e->g->values[y].t;
    if (yt->rank != a->rank || yt->dims[yt->rank - 1] < 0)
        return "the result's column count is unknown";
    if (a->rank > 2) {
        int unknown = 0;
        for (int i = 0; i + 1 < yt->rank; i++)
            unknown += yt->dims[i] < 0;
        if (unknown > 1)
            return "more than one leading dim of the batched result is unknown";
    }
    if (ert_edit_sole_consumer(e, y) != ai)
        return "the MatMul output has other consumers";
    return bias_refusal(e, pu_other_input(e, ai, y), y);
}

/* The bias of a batched MatMul (a row, see bias_refusal) as Gemm's C: itself when its
 * rank is <= 2 (scalar, [N], [1, N]), else a 1-D copy of its values; -1 on failure. */
static int bias_as_row(ert_edit *e, int cv, const char *name)
{
    const ert_tensor *c = pu_const(e, cv);
    if (c->rank <= 2)
        return cv;
    int64_t n = ert_tensor_numel(c);
    double *v = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (!v)
        return -1;
    for (int64_t i = 0; i < n; i++)
        v[i] = ert_load_f64(c->dtype, c->data, i);
    int r = pu_new_const(e, name, c->dtype, 1, &n, v);
    free(v);
    return r;
}

/* Reshape(x, shape) -> a new value of rank r (dims, -1 unknown) named `name`; the node
 * index, -1 on failure. *y gets the value (or the given one when *y >= 0). */
static int add_reshape(ert_edit *e, int x, int r, const int64_t *dims, ert_dtype dt,
                       const char *name, int *y)
{
    double sv[ERT_MAX_RANK];
    for (int i = 0; i < r; i++)
        sv[i] = (double)(dims[i] < 0 ? -1 : dims[i]);
    int64_t rn = r;
    char sname[300];
    snprintf(sname, sizeof sname, "%s_shape", name);
    int sc = pu_new_const(e, sname, ERT_DTYPE_INT64, 1, &rn, sv);
    if (sc < 0)
        return -1;
    if (*y < 0) {
        ert_tensor d = {.dtype = dt};
        ert_tensor_set_shape(&d, r, dims);
        if ((*y = ert_edit_add_value(e, name, &d)) < 0)
            return -1;
    }
    int in[2] = {x, sc};
    return ert_edit_add_node(e, "Reshape", "", name, 2, in, 1, y);
}

/* Reshape(A, [-1, K]) -> Gemm -> Reshape(to y's shape) for a batched A; out is the Add's
 * output. ERT_OK or out of memory. */
static ert_status fuse_batched(ert_edit *e, int mi, int ai, int out, const char *name,
                               ert_err *err)
{
    const ert_node *mm = &e->g->nodes[mi];
    const ert_tensor *yt = &e->g->values[mm->outputs[0]].t;
    const ert_tensor *b = pu_const(e, mm->inputs[1]);
    int a = mm->inputs[0], bw = mm->inputs[1], r = yt->rank;
    int64_t ydims[ERT_MAX_RANK], rows = 1, n = yt->dims[r - 1];
    for (int i = 0; i < r; i++)
        ydims[i] = yt->dims[i];
    for (int i = 0; i + 1 < r; i++)
        rows = rows < 0 || ydims[i] < 0 ? -1 : rows * ydims[i];
    int64_t d2a[2] = {rows, b->dims[0]}, d2y[2] = {rows, n};
    char nm[300];
    int a2 = -1, g2 = -1, o = out;
    snprintf(nm, sizeof nm, "%s_rows", name);
    if (add_reshape(e, a, 2, d2a, yt->dtype, nm, &a2) < 0)
        goto oom;
    snprintf(nm, sizeof nm, "%s_bias", name);
    int bias = bias_as_row(e, pu_other_input(e, ai, mm->outputs[0]), nm);
    ert_tensor gd = {.dtype = yt->dtype};
    ert_tensor_set_shape(&gd, 2, d2y);
    snprintf(nm, sizeof nm, "%s_gemm", name);
    if (bias < 0 || (g2 = ert_edit_add_value(e, nm, &gd)) < 0)
        goto oom;
    int in[3] = {a2, bw, bias};
    int gi = ert_edit_add_node(e, "Gemm", "", name, 3, in, 1, &g2);
    if (gi < 0 || ert_edit_set_attr_string(e, gi, "fused_ops", KIND) != ERT_OK)
        goto oom;
    snprintf(nm, sizeof nm, "%s_out", name);
    int ri = add_reshape(e, g2, r, ydims, yt->dtype, nm, &o);
    if (ri < 0)
        goto oom;
    ert_edit_replace_node(e, ai, ri);
    ert_edit_remove_node(e, mi);
    return ERT_OK;
oom:
    return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
}

static ert_status fuse_one(ert_edit *e, int mi, int ai, ert_pass_notes *notes, ert_err *err)
{
    const char *why = refusal(e, mi, ai);
    if (why) {
        ert_pass_note_skipped(notes, KIND, "MatMul '%s' not fused with Add '%s': %s",
                              pu_nname(e, mi), pu_nname(e, ai), why);
        return ERT_OK;
    }
    const ert_node *mm = &e->g->nodes[mi];
    int out = e->g->nodes[ai].outputs[0];
    char name[256];
    snprintf(name, sizeof name, "%s", mm->name);
    if (e->g->values[mm->inputs[0]].t.rank > 2) {
        ert_status st = fuse_batched(e, mi, ai, out, name, err);
        if (st == ERT_OK)
            ert_pass_note_applied(notes, KIND);
        return st;
    }
    int in[3] = {mm->inputs[0], mm->inputs[1], pu_other_input(e, ai, mm->outputs[0])};
    int gi = ert_edit_add_node(e, "Gemm", "", name, 3, in, 1, &out);
    if (gi < 0 || ert_edit_set_attr_string(e, gi, "fused_ops", KIND) != ERT_OK)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    ert_edit_replace_node(e, ai, gi);
    ert_edit_remove_node(e, mi);
    ert_pass_note_applied(notes, KIND);
    return ERT_OK;
}

ert_status ert_opt_matmul_add(ert_edit *e, ert_pass_notes *notes, ert_err *err)
{
    int nn = e->g->n_nodes;
    for (int ai = 0; ai < nn; ai++) {
        if (!pu_is(e, ai, ERT_OP_ADD))
            continue;
        for (int j = 0; j < 2; j++) {
            int x = e->g->nodes[ai].inputs[j];
            int mi = x >= 0 ? e->g->values[x].producer : -1;
            if (mi < 0 || !pu_is(e, mi, ERT_OP_MATMUL))
                continue;
            ert_status st = fuse_one(e, mi, ai, notes, err);
            if (st != ERT_OK)
                return st;
            break;
        }
    }
    return ERT_OK;
}
