/*
 * copy.c - concat.copy and split.copy (see copy.h).
 *
 * Both see the tensor as outer rows (the dims before the axis) of one "whole" row, cut
 * into one part per input (Concat) or output (Split): part i's row is part_row[i] bytes,
 * at offset part_off[i] of the whole row. Shapes come from the op's inference (the split
 * sizes are the outputs' dims), so plan only reads the axis.
 */
#include <string.h>

#include "kernels/copy/copy.h"
#include "kernels/copy/copy_run.h"
#include "runtime/threadpool.h"

/* Parts a plan block holds; nodes with more run the reference kernel. */
#define CP_MAX_PARTS 60
/* Bytes each task moves at least. */
#define CP_TASK_BYTES 65536

typedef struct cp_plan {
    int n;                          /* parts */
    int64_t outer;                  /* rows */
    int64_t rows_per_task;
    size_t whole_row;               /* bytes of a row of the whole tensor */
    size_t part_row[CP_MAX_PARTS];  /* bytes of a row of each part */
    size_t part_off[CP_MAX_PARTS];  /* its offset in the whole row */
} cp_plan;

_Static_assert(sizeof(cp_plan) <= ERT_STEP_PARAMS_BYTES, "cp_plan exceeds the block");

/* ---- load time ---- */

static bool dense_fixed(const ert_graph *g, int v)
{
    const ert_tensor *t = &g->values[v].t;
    size_t es = ert_dtype_size_(t->dtype);
    return t->kind == ERT_TENSOR_DENSE && t->dtype != ERT_DTYPE_STRING &&
           (es == 1 || es == 2 || es == 4 || es == 8);
}

static bool supports_concat(const ert_node *n, const ert_graph *g)
{
    if (!n->op || n->op->id != ERT_OP_CONCAT || n->n_inputs < 1 ||
        n->n_inputs > CP_MAX_PARTS || n->n_outputs < 1)
        return false;
    for (int i = 0; i < n->n_inputs; i++)
        if (n->inputs[i] < 0 || !dense_fixed(g, n->inputs[i]))
            return false;
    return dense_fixed(g, n->outputs[0]);
}

static bool supports_split(const ert_node *n, const ert_graph *g)
{
    if (!n->op || n->op->id != ERT_OP_SPLIT || n->n_inputs < 1 || n->inputs[0] < 0 ||
        n->n_outputs < 1 || n->n_outputs > CP_MAX_PARTS)
        return false;
    for (int i = 0; i < n->n_outputs; i++) /* every output present: plan needs its size */
        if (n->outputs[i] < 0 || !dense_fixed(g, n->outputs[i]))
            return false;
    return dense_fixed(g, n->inputs[0]);
}

/* ---- reshape ---- */

/* Rows and parts of `whole` cut along the node's axis into parts[0..n) (NULL: omitted). */
static ert_status plan_parts(ert_kctx *k, const ert_tensor *whole, ert_tensor *const *parts,
                             int n, int64_t axis_default)
{
    cp_plan *pl = k->params;
    memset(pl, 0, sizeof *pl);
    int axis;
    ert_status s = ert_norm_axis(k, ert_attr_int(k->node, "axis", axis_default), whole->rank,
                                 "axis", &axis);
    if (s != ERT_OK)
        return s;
    size_t es = ert_dtype_size_(whole->dtype);
    int64_t outer = 1, inner = 1;
    for (int d = 0; d < axis; d++)
        outer *= whole->dims[d];
    for (int d = axis + 1; d < whole->rank; d++)
        inner *= whole->dims[d];
    size_t off = 0;
    pl->n = n;
    for (int i = 0; i < n; i++) {
        pl->part_off[i] = off;
        pl->part_row[i] = parts[i] ? (size_t)(parts[i]->dims[axis] * inner) * es : 0;
        off += pl->part_row[i];
    }
    pl->outer = outer;
    pl->whole_row = (size_t)(whole->dims[axis] * inner) * es;
    if (off != pl->whole_row)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "parts of %zu bytes in a %zu-byte row", off,
                           pl->whole_row);
    pl->rows_per_task = pl->whole_row >= CP_TASK_BYTES ? 1 : CP_TASK_BYTES / (pl->whole_row + 1) + 1;
    return ERT_OK;
}

static ert_status plan_concat(ert_kctx *k, size_t *ws_bytes)
{
    *ws_bytes = 0;
    return plan_parts(k, k->out[0], k->in, k->n_in, 0);
}

static ert_status plan_split(ert_kctx *k, size_t *ws_bytes)
{
    *ws_bytes = 0;
    return plan_parts(k, k->in[0], k->out, k->n_out, 0);
}

/* ---- run ---- */

typedef struct cp_job {
    const cp_plan *pl;
    unsigned char *whole;            /* Concat: written; Split: read */
    unsigned char *part[CP_MAX_PARTS];
    bool join;                       /* Concat */
} cp_job;

static void rows_task(void *arg, int64_t t, int tid)
{
    (void)tid;
    const cp_job *j = arg;
    const cp_plan *pl = j->pl;
    int64_t r0 = t * pl->rows_per_task;
    int64_t r1 = r0 + pl->rows_per_task < pl->outer ? r0 + pl->rows_per_task : pl->outer;
    for (int64_t r = r0; r < r1; r++) {
        unsigned char *w = j->whole + (size_t)r * pl->whole_row;
        for (int i = 0; i < pl->n; i++) {
            unsigned char *p = j->part[i] + (size_t)r * pl->part_row[i];
            unsigned char *wp = w + pl->part_off[i];
            if (p == wp || pl->part_row[i] == 0)
                continue; /* placed in the output by the arena plan (a hosted input) */
            if (j->join)
                ert_copy_run(wp, p, pl->part_row[i]);
            else
                ert_copy_run(p, wp, pl->part_row[i]);
        }
    }
}

static ert_status run_parts(ert_kctx *k, ert_tensor *whole, ert_tensor *const *parts, bool join)
{
    const cp_plan *pl = k->params;
    cp_job j = {.pl = pl, .whole = whole->data, .join = join};
    if (pl->outer <= 0 || pl->whole_row == 0)
        return ERT_OK;
    for (int i = 0; i < pl->n; i++)
        j.part[i] = parts[i]->data;
    ert_parallel_for(k->pool, (pl->outer + pl->rows_per_task - 1) / pl->rows_per_task,
                     rows_task, &j);
    return ERT_OK;
}

static ert_status run_concat(ert_kctx *k)
{
    return run_parts(k, k->out[0], k->in, true);
}

static ert_status run_split(ert_kctx *k)
{
    return run_parts(k, k->in[0], k->out, false);
}

/* ---- kernel entries ---- */

static const ert_kernel k_concat = {"concat.copy", ERT_ISA_GENERIC, supports_concat, NULL,
                                    NULL, plan_concat, run_concat};
static const ert_kernel k_split = {"split.copy", ERT_ISA_GENERIC, supports_split, NULL, NULL,
                                   plan_split, run_split};

const ert_kernel *const ert_concat_kernels[] = {&k_concat, NULL};
const ert_kernel *const ert_split_kernels[] = {&k_split, NULL};
