/*
 * reduce.c - reduce.<isa>: float32 ReduceMean and ReduceSum over one contiguous block of
 * axes (see pool.h), the common forms: global pooling written as ReduceMean over
 * [2, 3] (MnasNet, EfficientNet exports), the last axis (LayerNorm / RMSNorm written
 * out), the channel axis (spatial attention maps).
 *
 * The input is viewed as [O, R, I]: R the product of the reduced axes, O and I the
 * products of the axes before and after them. I == 1: each output is the sum of one
 * contiguous run of R floats (the pool family's vector reduction, four accumulators);
 * I > 1: each output row of I floats is the sum of R input rows (row adds, sequential).
 * Sums are in float32 (the reference accumulates in double): the error bound is that of
 * a pairwise-free float sum, |err| <= R * 2^-24 * sum |x| (a few ulps at ResNet's 49
 * pixels, ~1e-3 relative at a million elements of mixed sign). The reference kernel
 * runs everything else (other Reduce ops, other dtypes, axes not contiguous or only
 * known at run time).
 */
#include <string.h>

#include "kernels/pool/pool.h"
#include "kernels/pool/pool_isa.h"
#include "ops/op.h"
#include "runtime/threadpool.h"

typedef struct reduce_plan {
    int64_t o, r, i;    /* the [O, R, I] view */
    bool mean, noop;
    pool_reduce_fn sum; /* the level's sum of a contiguous run */
} reduce_plan;

_Static_assert(sizeof(reduce_plan) <= ERT_STEP_PARAMS_BYTES, "reduce_plan exceeds the block");

/* The reduction mask of k's node; false if the axes are not known (run-time axes). */
static bool axes_of(ert_kctx *k, int rank, bool *mask, bool *noop)
{
    bool known;
    return ert_reduce_axes(k, rank, mask, noop, &known) == ERT_OK && known;
}

/* Whether the reduced axes are one run [a0, a1) of consecutive axes (or none). */
static bool contiguous(const bool *mask, int rank, int *a0, int *a1)
{
    *a0 = *a1 = 0;
    int d = 0;
    while (d < rank && !mask[d])
        d++;
    *a0 = d;
    while (d < rank && mask[d])
        d++;
    *a1 = d;
    while (d < rank && !mask[d])
        d++;
    return d == rank;
}

static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || (n->op->id != ERT_OP_REDUCE_MEAN && n->op->id != ERT_OP_REDUCE_SUM))
        return false;
    int n_in = n->n_inputs - n->n_captures;
    if (n_in < 1 || n->inputs[0] < 0 || n->n_outputs < 1 || n->outputs[0] < 0)
        return false;
    ert_tensor *x = &((ert_graph *)g)->values[n->inputs[0]].t, *axes = NULL;
    if (x->dtype != ERT_DTYPE_FLOAT32 || x->rank < 1)
        return false;
    if (n_in > 1 && n->inputs[1] >= 0) {
        const ert_value *v = &g->values[n->inputs[1]];
        if (v->kind != ERT_VALUE_CONST) /* axes computed at run time */
            return false;
        axes = (ert_tensor *)&v->t;
    }
    ert_tensor *in[ERT_KCTX_MIN_SLOTS] = {x, axes};
    ert_tensor y = {0}, *out[ERT_KCTX_MIN_SLOTS] = {&y};
    ert_err err;
    ert_kctx k = {.node = n, .version = n->version, .n_in = axes ? 2 : 1, .in = in,
                  .n_out = 1, .out = out, .shapes_only = true, .err = &err};
    bool mask[ERT_MAX_RANK], noop;
    int a0, a1;
    return axes_of(&k, x->rank, mask, &noop) && (noop || contiguous(mask, x->rank, &a0, &a1));
}

static ert_status plan(ert_kctx *k, size_t *ws_bytes, pool_reduce_fn sum)
{
    reduce_plan *pl = k->params;
    const ert_tensor *x = k->in[0];
    bool mask[ERT_MAX_RANK];
    int a0, a1;
    memset(pl, 0, sizeof *pl);
    *ws_bytes = 0;
    if (!axes_of(k, x->rank, mask, &pl->noop) ||
        (!pl->noop && !contiguous(mask, x->rank, &a0, &a1)))
        return ert_op_fail(k, ERT_ERR_INTERNAL, "axes changed since the kernel was chosen");
    if (pl->noop)
        return ERT_OK;
    pl->o = pl->r = pl->i = 1;
    for (int d = 0; d < x->rank; d++)
        *(d < a0 ? &pl->o : d < a1 ? &pl->r : &pl->i) *= x->dims[d];
    pl->mean = k->node->op->id == ERT_OP_REDUCE_MEAN;
    pl->sum = sum;
    return ERT_OK;
}

typedef struct reduce_job {
    const reduce_plan *pl;
    const float *x;
    float *y;
} reduce_job;

/* Outputs per task of the I == 1 form, floats per task of the I > 1 form. */
#define RED_OUTS_PER_TASK 64
#define RED_COLS_PER_TASK 1024

static float finish(const reduce_plan *pl, float s)
{
    return pl->mean ? s / (float)pl->r : s; /* R = 0: the mean of nothing is NaN */
}

static void runs_task(void *arg, int64_t t, int tid)
{
    const reduce_job *j = arg;
    const reduce_plan *pl = j->pl;
    int64_t o1 = (t + 1) * RED_OUTS_PER_TASK < pl->o ? (t + 1) * RED_OUTS_PER_TASK : pl->o;
    (void)tid;
    for (int64_t o = t * RED_OUTS_PER_TASK; o < o1; o++)
        j->y[o] = finish(pl, pl->sum(j->x + o * pl->r, pl->r));
}

/* Task t: output row o = t / blocks, columns [c0, c0 + n) of it. */
static void rows_task(void *arg, int64_t t, int tid)
{
    const reduce_job *j = arg;
    const reduce_plan *pl = j->pl;
    int64_t blocks = (pl->i + RED_COLS_PER_TASK - 1) / RED_COLS_PER_TASK;
    int64_t o = t / blocks, c0 = t % blocks * RED_COLS_PER_TASK;
    int64_t n = pl->i - c0 < RED_COLS_PER_TASK ? pl->i - c0 : RED_COLS_PER_TASK;
    const float *x = j->x + o * pl->r * pl->i + c0;
    float *restrict y = j->y + o * pl->i + c0;
    (void)tid;
    for (int64_t c = 0; c < n; c++)
        y[c] = pl->r > 0 ? x[c] : 0.0f;
    for (int64_t r = 1; r < pl->r; r++) {
        const float *restrict xr = x + r * pl->i;
        for (int64_t c = 0; c < n; c++)
            y[c] += xr[c];
    }
    for (int64_t c = 0; pl->mean && c < n; c++)
        y[c] = finish(pl, y[c]);
}

static ert_status run(ert_kctx *k)
{
    const reduce_plan *pl = k->params;
    const ert_tensor *x = k->in[0];
    ert_tensor *y = k->out[0];
    if (pl->noop) {
        if (y->nbytes && y->data != x->data)
            memcpy(y->data, x->data, y->nbytes);
        return ERT_OK;
    }
    reduce_job j = {pl, x->data, y->data};
    if (pl->i == 1) {
        ert_parallel_for(k->pool, (pl->o + RED_OUTS_PER_TASK - 1) / RED_OUTS_PER_TASK,
                         runs_task, &j);
        return ERT_OK;
    }
    ert_parallel_for(k->pool, pl->o * ((pl->i + RED_COLS_PER_TASK - 1) / RED_COLS_PER_TASK),
                     rows_task, &j);
    return ERT_OK;
}

#define REDUCE_KERNEL(NAME, ISA, SUM)                                                    \
    static ert_status plan_##NAME(ert_kctx *k, size_t *ws) { return plan(k, ws, SUM); }   \
    static const ert_kernel k_##NAME = {"reduce." #NAME, ISA, supports, NULL, NULL,       \
                                        plan_##NAME, run};

REDUCE_KERNEL(generic, ERT_ISA_GENERIC, ert_pool_sum_ref)
#if defined(__x86_64__) || defined(_M_X64)
REDUCE_KERNEL(avx2, ERT_ISA_AVX2, ert_pool_sum_avx2)
REDUCE_KERNEL(avx512, ERT_ISA_AVX512, ert_pool_sum_avx512)
#endif
#if defined(__aarch64__)
REDUCE_KERNEL(neon, ERT_ISA_NEON, ert_pool_sum_neon)
#endif

const ert_kernel *const ert_reduce_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};
