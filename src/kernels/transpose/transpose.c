/*
 * transpose.c - transpose.<isa> (see transpose.h): reduction of the permutation at plan
 * time, threaded run, the portable tiles.
 *
 * Reduced form: output axes of size 1 are dropped and an output axis whose input stride
 * times size equals the previous kept axis' input stride is merged into it (the two are
 * neighbours in memory). With od[] the reduced output dims and is[] their input strides:
 *   COPY  is[r-1] == 1: every run of od[r-1] elements is contiguous in both tensors.
 *   TILE  otherwise the input's innermost axis sits at some output axis ja (is[ja] == 1):
 *         per index of the other axes, out[a][b] = in[a + b * is[r-1]] over the
 *         od[ja] x od[r-1] plane (output strides os[ja], 1), in tiles.
 */
#include <string.h>

#include "kernels/copy/copy_run.h"
#include "kernels/transpose/transpose.h"
#include "kernels/transpose/transpose_isa.h"
#include "runtime/threadpool.h"

enum { TP_COPY = 0, TP_TILE = 1 };

/* Elements each task moves at least (fewer tasks than that cost more than they split). */
#define TP_TASK_ELEMS 16384
/* Rows of the plane (along ja) per TILE task. */
#define TP_ROWS_PER_TASK 32

typedef struct tp_plan {
    int r, mode, ja;
    size_t esize;
    int64_t od[ERT_MAX_RANK], is[ERT_MAX_RANK], os[ERT_MAX_RANK];
    int64_t n_outer;   /* COPY: runs; TILE: planes (index over the axes but ja, r-1) */
    int64_t per_task;  /* COPY: runs per task */
    int64_t a_tiles;   /* TILE: tasks per plane along ja */
    tp_tile_fn tile;   /* TILE: the plane-block mover of this level and element size */
} tp_plan;

_Static_assert(sizeof(tp_plan) <= ERT_STEP_PARAMS_BYTES, "tp_plan exceeds the block");

/* ---- portable tiles ---- */

#define TP_TILE_FN(NAME, T)                                                                  \
    static void NAME(void *out, const void *in, int64_t na, int64_t nb, int64_t os_a,        \
                     int64_t is_b)                                                           \
    {                                                                                        \
        enum { TB = 16 };                                                                    \
        T *o = out;                                                                          \
        const T *x = in;                                                                     \
        for (int64_t b0 = 0; b0 < nb; b0 += TB) {                                            \
            int64_t b1 = b0 + TB < nb ? b0 + TB : nb;                                        \
            for (int64_t a = 0; a < na; a++)                                                 \
                for (int64_t b = b0; b < b1; b++)                                            \
                    o[a * os_a + b] = x[a + b * is_b];                                       \
        }                                                                                    \
    }
TP_TILE_FN(tile_u8, uint8_t)
TP_TILE_FN(tile_u16, uint16_t)
TP_TILE_FN(tile_u32, uint32_t)
TP_TILE_FN(tile_u64, uint64_t)

static tp_tile_fn tile_generic(size_t esize)
{
    return esize == 1 ? tile_u8 : esize == 2 ? tile_u16 : esize == 4 ? tile_u32 : tile_u64;
}

/* ---- load time ---- */

static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || n->op->id != ERT_OP_TRANSPOSE || n->n_inputs < 1 || n->inputs[0] < 0)
        return false;
    ert_dtype t = g->values[n->inputs[0]].t.dtype;
    size_t es = ert_dtype_size_(t);
    return t != ERT_DTYPE_STRING && t != ERT_DTYPE_UNDEFINED &&
           (es == 1 || es == 2 || es == 4 || es == 8);
}

/* ---- reshape ---- */

/* The permutation of a rank-`rank` input (infer has validated the attribute). */
static void perm_of(const ert_node *n, int rank, int *perm)
{
    const int64_t *p;
    int64_t cnt = ert_attr_ints(n, "perm", &p);
    for (int i = 0; i < rank; i++)
        perm[i] = cnt == rank ? (int)p[i] : rank - 1 - i;
}

/* Reduced dims and input strides (see the top of the file); returns the rank (>= 1). */
static int reduce(int rank, const int64_t *xd, const int *perm, int64_t *od, int64_t *is)
{
    int64_t xs[ERT_MAX_RANK];
    int64_t s = 1;
    for (int d = rank - 1; d >= 0; d--) {
        xs[d] = s;
        s *= xd[d];
    }
    int r = 0;
    for (int i = 0; i < rank; i++) {
        int a = perm[i];
        if (xd[a] == 1)
            continue;
        if (r > 0 && is[r - 1] == xs[a] * xd[a]) {
            od[r - 1] *= xd[a];
            is[r - 1] = xs[a];
        } else {
            od[r] = xd[a];
            is[r] = xs[a];
            r++;
        }
    }
    if (r == 0) {
        od[0] = is[0] = 1;
        r = 1;
    }
    return r;
}

static ert_status plan_with(ert_kctx *k, size_t *ws_bytes, tp_tile_fn (*tile_of)(size_t))
{
    tp_plan *pl = k->params;
    const ert_tensor *x = k->in[0];
    memset(pl, 0, sizeof *pl);
    int perm[ERT_MAX_RANK];
    perm_of(k->node, x->rank, perm);
    pl->esize = ert_dtype_size_(x->dtype);
    pl->r = reduce(x->rank, x->dims, perm, pl->od, pl->is);
    int r = pl->r;
    int64_t s = 1;
    for (int d = r - 1; d >= 0; d--) {
        pl->os[d] = s;
        s *= pl->od[d];
    }
    pl->mode = pl->is[r - 1] == 1 ? TP_COPY : TP_TILE;
    if (pl->mode == TP_COPY) {
        pl->n_outer = r > 1 ? s / pl->od[r - 1] : 1;
        int64_t run = pl->od[r - 1];
        pl->per_task = run >= TP_TASK_ELEMS ? 1 : TP_TASK_ELEMS / (run > 0 ? run : 1);
    } else {
        pl->ja = -1;
        for (int d = 0; d < r - 1; d++)
            if (pl->is[d] == 1)
                pl->ja = d;
        if (pl->ja < 0) /* the input's innermost axis is always somewhere */
            return ert_op_fail(k, ERT_ERR_INTERNAL, "transpose: no contiguous input axis");
        int64_t plane = pl->od[pl->ja] * pl->od[r - 1];
        pl->n_outer = plane > 0 ? s / plane : 0;
        pl->a_tiles = (pl->od[pl->ja] + TP_ROWS_PER_TASK - 1) / TP_ROWS_PER_TASK;
        pl->tile = tile_of(pl->esize);
    }
    *ws_bytes = 0;
    return ERT_OK;
}

/* ---- run ---- */

typedef struct tp_job {
    const tp_plan *pl;
    const unsigned char *x;
    unsigned char *y;
} tp_job;

/* Input and output offsets (elements) of outer index o over the axes other than skip0
 * and skip1 (walked from the innermost). */
static void outer_offsets(const tp_plan *pl, int64_t o, int skip0, int skip1, int64_t *in,
                          int64_t *out)
{
    *in = *out = 0;
    for (int d = pl->r - 1; d >= 0; d--) {
        if (d == skip0 || d == skip1)
            continue;
        int64_t i = o % pl->od[d];
        o /= pl->od[d];
        *in += i * pl->is[d];
        *out += i * pl->os[d];
    }
}

static void copy_task(void *arg, int64_t t, int tid)
{
    (void)tid;
    const tp_job *j = arg;
    const tp_plan *pl = j->pl;
    int64_t o0 = t * pl->per_task, o1 = o0 + pl->per_task < pl->n_outer ? o0 + pl->per_task
                                                                          : pl->n_outer;
    size_t run = (size_t)pl->od[pl->r - 1] * pl->esize;
    int64_t in, out, idx[ERT_MAX_RANK] = {0}, rem = o0;
    outer_offsets(pl, o0, pl->r - 1, pl->r - 1, &in, &out);
    for (int d = pl->r - 2; d >= 0; d--) { /* the odometer at run o0 */
        idx[d] = rem % pl->od[d];
        rem /= pl->od[d];
    }
    /* runs of a few hundred bytes (attention's head splits: 32 floats): an odometer and
     * inline moves instead of four divisions and a memcpy call per run */
    for (int64_t o = o0; o < o1; o++) {
        ert_copy_run((unsigned char *)j->y + (size_t)out * pl->esize,
                     (const unsigned char *)j->x + (size_t)in * pl->esize, run);
        for (int d = pl->r - 2; d >= 0; d--) {
            in += pl->is[d];
            out += pl->os[d];
            if (++idx[d] < pl->od[d])
                break;
            in -= pl->is[d] * pl->od[d];
            out -= pl->os[d] * pl->od[d];
            idx[d] = 0;
        }
    }
}

static void tile_task(void *arg, int64_t t, int tid)
{
    (void)tid;
    const tp_job *j = arg;
    const tp_plan *pl = j->pl;
    int64_t o = t / pl->a_tiles, a0 = (t % pl->a_tiles) * TP_ROWS_PER_TASK;
    int64_t na = pl->od[pl->ja] - a0 < TP_ROWS_PER_TASK ? pl->od[pl->ja] - a0 : TP_ROWS_PER_TASK;
    int64_t in, out;
    outer_offsets(pl, o, pl->ja, pl->r - 1, &in, &out);
    in += a0; /* is[ja] == 1 */
    out += a0 * pl->os[pl->ja];
    pl->tile(j->y + (size_t)out * pl->esize, j->x + (size_t)in * pl->esize, na,
             pl->od[pl->r - 1], pl->os[pl->ja], pl->is[pl->r - 1]);
}

static ert_status run(ert_kctx *k)
{
    const tp_plan *pl = k->params;
    tp_job j = {pl, k->in[0]->data, k->out[0]->data};
    if (ert_tensor_numel(k->out[0]) <= 0)
        return ERT_OK;
    if (pl->mode == TP_COPY)
        ert_parallel_for(k->pool, (pl->n_outer + pl->per_task - 1) / pl->per_task, copy_task, &j);
    else
        ert_parallel_for(k->pool, pl->n_outer * pl->a_tiles, tile_task, &j);
    return ERT_OK;
}

/* ---- kernel entries ---- */

static ert_status plan_generic(ert_kctx *k, size_t *ws)
{
    return plan_with(k, ws, tile_generic);
}
static const ert_kernel k_generic = {"transpose.generic", ERT_ISA_GENERIC, supports, NULL, NULL,
                                     plan_generic, run};
#if defined(__x86_64__) || defined(_M_X64)
static tp_tile_fn tile_avx2(size_t esize)
{
    return esize == 4 ? ert_tp_tile_f32_avx2 : tile_generic(esize);
}
static ert_status plan_avx2(ert_kctx *k, size_t *ws)
{
    return plan_with(k, ws, tile_avx2);
}
static const ert_kernel k_avx2 = {"transpose.avx2", ERT_ISA_AVX2, supports, NULL, NULL,
                                  plan_avx2, run};
#endif

const ert_kernel *const ert_transpose_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx2,
#endif
    &k_generic, NULL};
