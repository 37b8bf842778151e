/*
 * pad.c - pad.copy: Pad (every mode: constant, reflect, edge, wrap; negative pads crop)
 * as row copies, for any fixed-size dtype, with pads, constant_value and axes that are
 * constants (see copy.h).
 *
 * The dims after the last padded one are merged into the element (an NHWC map padded
 * on H and W moves C-long elements), so the output is rows of one padded dim over an
 * odometer of the outer ones. A row is the fill (an outer index in constant padding),
 * or: its begin pads (fill, or mapped elements for the other modes), one memcpy of the
 * kept part of the source row, its end pads. The reference kernel (ops/pad.c) maps
 * every element and allocates its index map per run; this one keeps the per-dim maps
 * in the workspace. Pads of all zeros are one copy (Swin-T pads its 56x56 maps by 0).
 */
#include <string.h>

#include "kernels/copy/copy.h"
#include "kernels/copy/copy_run.h"
#include "ops/pad.h"
#include "runtime/threadpool.h"

/* Bytes each task moves at least. */
#define PAD_TASK_BYTES 65536

typedef struct pad_plan {
    int mode;
    int rank;                     /* dims up to the last padded one (0: a plain copy) */
    int64_t xd[ERT_MAX_RANK], yd[ERT_MAX_RANK];
    int64_t pb[ERT_MAX_RANK], pe[ERT_MAX_RANK]; /* begin / end pads (negative: crop) */
    size_t elem;                  /* bytes of one element of the merged view */
    size_t es;                    /* bytes of one value (the fill pattern) */
    unsigned char fill[16];
    bool zero_fill;               /* the fill's bytes are all 0 (memset) */
    int64_t rows, rows_per_task;  /* output rows (outer positions) */
    size_t total;                 /* output bytes */
} pad_plan;

_Static_assert(sizeof(pad_plan) <= ERT_STEP_PARAMS_BYTES, "pad_plan exceeds the block");

static bool const_or_absent(const ert_node *n, const ert_graph *g, int i)
{
    int n_in = n->n_inputs - n->n_captures;
    return i >= n_in || n->inputs[i] < 0 || g->values[n->inputs[i]].kind == ERT_VALUE_CONST;
}

static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || n->op->id != ERT_OP_PAD || n->n_inputs < 1 || n->inputs[0] < 0 ||
        n->n_outputs < 1 || n->outputs[0] < 0)
        return false;
    const ert_tensor *x = &g->values[n->inputs[0]].t;
    size_t es = ert_dtype_size_(x->dtype);
    if (x->kind != ERT_TENSOR_DENSE || x->dtype == ERT_DTYPE_STRING || es == 0 || es > 16 ||
        x->rank < 1)
        return false;
    if (n->version >= 11 && (n->n_inputs < 2 || n->inputs[1] < 0))
        return false;
    return const_or_absent(n, g, 1) && const_or_absent(n, g, 2) && const_or_absent(n, g, 3);
}

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    pad_plan *pl = k->params;
    const ert_tensor *x = k->in[0], *y = k->out[0];
    int64_t pads[2 * ERT_MAX_RANK];
    bool known;
    memset(pl, 0, sizeof *pl);
    *ws_bytes = 0;
    ert_status s = ert_pad_mode(k, &pl->mode);
    if (!s)
        s = ert_pad_read(k, x->rank, pads, &known);
    if (s)
        return s;
    if (!known)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "pads unknown at plan (not a constant)");
    int r = x->rank, last = -1;
    for (int d = 0; d < r; d++)
        if (pads[d] != 0 || pads[d + r] != 0)
            last = d;
    pl->es = ert_dtype_size_(x->dtype);
    pl->elem = pl->es;
    for (int d = last + 1; d < r; d++)
        pl->elem *= (size_t)x->dims[d];
    pl->rank = last + 1;
    int64_t map_len = 0;
    pl->rows = 1;
    for (int d = 0; d < pl->rank; d++) {
        pl->xd[d] = x->dims[d];
        pl->yd[d] = y->dims[d];
        pl->pb[d] = pads[d];
        pl->pe[d] = pads[d + r];
        map_len += y->dims[d];
        if (d < pl->rank - 1)
            pl->rows *= y->dims[d];
    }
    ert_pad_fill(k, pl->fill);
    pl->zero_fill = true;
    for (size_t i = 0; i < pl->es; i++)
        pl->zero_fill &= pl->fill[i] == 0;
    pl->total = y->nbytes;
    size_t row = pl->rank > 0 ? (size_t)pl->yd[pl->rank - 1] * pl->elem : pl->total;
    pl->rows_per_task = row >= PAD_TASK_BYTES ? 1 : (int64_t)(PAD_TASK_BYTES / (row + 1)) + 1;
    *ws_bytes = (size_t)map_len * sizeof(int64_t);
    return ERT_OK;
}

typedef struct pad_job {
    const pad_plan *pl;
    const unsigned char *x;
    unsigned char *y;
    const int64_t *map[ERT_MAX_RANK]; /* per dim: output position -> source index, -1 */
    int64_t xs[ERT_MAX_RANK];         /* source strides in elements */
} pad_job;

/* n bytes of the fill pattern at d. */
static void fill_bytes(const pad_plan *pl, unsigned char *d, size_t n)
{
    if (pl->zero_fill || n == 0) {
        memset(d, 0, n);
        return;
    }
    size_t done = pl->es < n ? pl->es : n;
    memcpy(d, pl->fill, done);
    while (done < n) { /* doubling copies of what is already written */
        size_t c = done < n - done ? done : n - done;
        memcpy(d + done, d, c);
        done += c;
    }
}

/* Output positions [i0, i1) of the last dim: mapped elements or the fill. */
static void edge_elems(const pad_job *j, unsigned char *o, const unsigned char *src, int64_t i0,
                       int64_t i1)
{
    const pad_plan *pl = j->pl;
    const int64_t *m = j->map[pl->rank - 1];
    for (int64_t i = i0; i < i1; i++) {
        if (m[i] < 0)
            fill_bytes(pl, o + (size_t)i * pl->elem, pl->elem);
        else
            ert_copy_run(o + (size_t)i * pl->elem, src + (size_t)m[i] * pl->elem, pl->elem);
    }
}

/* One output row: src is the source row (NULL: a fill row). */
static void pad_row(const pad_job *j, unsigned char *o, const unsigned char *src)
{
    const pad_plan *pl = j->pl;
    int d = pl->rank - 1;
    int64_t w = pl->yd[d];
    if (!src) {
        fill_bytes(pl, o, (size_t)w * pl->elem);
        return;
    }
    int64_t lo = pl->pb[d] < 0 ? -pl->pb[d] : 0, b = pl->pb[d] > 0 ? pl->pb[d] : 0;
    int64_t keep = pl->xd[d] - lo - (pl->pe[d] < 0 ? -pl->pe[d] : 0);
    if (keep <= 0) {
        edge_elems(j, o, src, 0, w);
        return;
    }
    edge_elems(j, o, src, 0, b);
    ert_copy_run(o + (size_t)b * pl->elem, src + (size_t)lo * pl->elem, (size_t)keep * pl->elem);
    edge_elems(j, o, src, b + keep, w);
}

static void rows_task(void *arg, int64_t t, int tid)
{
    const pad_job *j = arg;
    const pad_plan *pl = j->pl;
    int64_t r0 = t * pl->rows_per_task;
    int64_t r1 = r0 + pl->rows_per_task < pl->rows ? r0 + pl->rows_per_task : pl->rows;
    int outer = pl->rank - 1;
    int64_t idx[ERT_MAX_RANK] = {0}, rem = r0;
    size_t row = (size_t)pl->yd[outer] * pl->elem;
    (void)tid;
    for (int d = outer - 1; d >= 0; d--) {
        idx[d] = rem % pl->yd[d];
        rem /= pl->yd[d];
    }
    for (int64_t r = r0; r < r1; r++) {
        int64_t base = 0;
        bool fill = false;
        for (int d = 0; d < outer; d++) {
            int64_t m = j->map[d][idx[d]];
            fill |= m < 0;
            base += m * j->xs[d];
        }
        pad_row(j, j->y + (size_t)r * row, fill ? NULL : j->x + (size_t)base * pl->elem);
        for (int d = outer - 1; d >= 0; d--) {
            if (++idx[d] < pl->yd[d])
                break;
            idx[d] = 0;
        }
    }
}

static ert_status run(ert_kctx *k)
{
    const pad_plan *pl = k->params;
    pad_job j = {.pl = pl, .x = k->in[0]->data, .y = k->out[0]->data};
    if (pl->total == 0)
        return ERT_OK;
    if (pl->rank == 0) { /* nothing padded: the output is the input */
        if (j.y != j.x)
            memcpy(j.y, j.x, pl->total);
        return ERT_OK;
    }
    int64_t *p = k->ws;
    for (int d = 0; d < pl->rank; d++) {
        int64_t lo = pl->pb[d] < 0 ? -pl->pb[d] : 0, b = pl->pb[d] > 0 ? pl->pb[d] : 0;
        int64_t keep = pl->xd[d] - lo - (pl->pe[d] < 0 ? -pl->pe[d] : 0);
        for (int64_t i = 0; i < pl->yd[d]; i++) {
            int64_t m = keep > 0 ? ert_pad_map_index(pl->mode, i - b, keep) : -1;
            p[i] = m < 0 ? -1 : m + lo;
        }
        j.map[d] = p;
        p += pl->yd[d];
    }
    j.xs[pl->rank - 1] = 1;
    for (int d = pl->rank - 2; d >= 0; d--)
        j.xs[d] = j.xs[d + 1] * pl->xd[d + 1];
    ert_parallel_for(k->pool, (pl->rows + pl->rows_per_task - 1) / pl->rows_per_task, rows_task,
                     &j);
    return ERT_OK;
}

static const ert_kernel k_pad = {"pad.copy", ERT_ISA_GENERIC, supports, NULL, NULL, plan, run};

const ert_kernel *const ert_pad_kernels[] = {&k_pad, NULL};
