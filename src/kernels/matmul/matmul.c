/*
 * matmul.c - float32 MatMul and Gemm on the packed SGEMM (kernels/gemm/gemm.h).
 *
 * Orientation: Y[M,N] = op(A)[M,K] * op(B)[K,N], rows = M as in the model. The
 * activation A is packed per run into the workspace (alpha folded in; O(M*K), 1/N of
 * the FLOPs). A constant B (the weight; transposed or not) is packed once at load into
 * sgemm's strips (ert_sgemm_pack_b), so the micro-kernel streams contiguous memory:
 * 40x120x6625 in PP-OCRv4 rec went 0.49 -> 0.37 ms against B read in place at its
 * 26 KB row stride (each row a new page), while packing B per run instead cost +15%.
 * A run-time B is read in place as sgemm's plain B; a run-time transposed B (rare) is
 * gathered row by row through sgemm's generated-B callback. A constant 2-D A (MatMul
 * W*X, Gemm with constant A) is packed once at load. The transposed product Y^T = B^T A^T (weights
 * packed at load as sgemm's A) was rejected: its B (= A^T) is not row-major and its C
 * (= Y^T) has a column stride, which sgemm has no store for; packing A per run costs
 * less than either transpose.
 *
 * MatMul batches: when B has no batch (or broadcasts over all of it) and A is dense,
 * the batch folds into M (one GEMM of count*M rows: [1,40,120] x [120,360] is one
 * 40-row GEMM); otherwise one GEMM per broadcast batch, A packed once when A is the
 * broadcast side, batches spread over the threads when there are at least as many as
 * threads (attention's 8 heads of 40x40x15), else each GEMM threaded inside.
 * M = 1 (a row vector: batch-1 classifiers, decoders) runs the matrix-vector kernels of
 * gemv_isa.h instead: the 8-row tile would compute seven zero rows.
 *
 * Gemm's C term: a row vector (C of shape [N], [1,N], scalar) is the epilogue's
 * residual with ldr = 0; a column vector ([M,1]) its per-row bias; a full [M,N] C the
 * residual with ldr = N. beta != 1 scales a vector into the workspace; a full C with
 * beta != 1 is written to Y as beta*C first and added in place (sgemm's R == C mode).
 */
#include <stdlib.h>
#include <string.h>

#include "kernels/gemm/gemm.h"
#include "kernels/matmul/gemv_isa.h"
#include "kernels/matmul/matmul.h"
#include "ops/fused.h"
#include "runtime/threadpool.h"

/* Constants prepared at load for one ISA's tile. */
typedef struct mm_packed {
    ert_isa isa;
    float *a;          /* constant op(A) packed with alpha folded (64-byte aligned), or NULL */
    int64_t am, ak;    /* its M and K */
    float *bp;         /* constant op(B) packed by ert_sgemm_pack_b, or NULL; at the GENERIC
                        * level a row-major [K, N] copy of a transposed B instead */
    int64_t bk, bn;    /* its K and N */
    bool generic;      /* GENERIC level: the row-panel loops below, not sgemm */
} mm_packed;

/* How Gemm's C enters the epilogue. */
enum { C_NONE, C_ROW, C_COL, C_FULL };

/* One step's geometry and tactic, in k->params. */
typedef struct mm_plan {
    int64_t M, N, K;            /* of each GEMM (M includes a folded batch) */
    int64_t count;              /* GEMMs per run (broadcast batch) */
    int brank;                  /* batch rank of the odometer (0 when count == 1) */
    int64_t dims[ERT_MAX_RANK]; /* output batch dims */
    int64_t as[ERT_MAX_RANK];   /* A's element stride per batch dim (0: broadcast) */
    int64_t bs[ERT_MAX_RANK];   /* B's */
    int64_t a_rs, a_cs;         /* op(A)[i][k] = A[i * a_rs + k * a_cs] */
    int64_t b_ld;               /* plain B: op(B)[k][n] = B[k * b_ld + n] */
    bool b_gen;                 /* run-time transB: op(B)[k][n] = B[n * b_ld + k], gathered */
    bool b_packed;              /* B is the load-time packed copy (strips) */
    bool b_copy;                /* B is the load-time row-major copy (GENERIC, transB) */
    bool generic;               /* GENERIC level: row-panel loops instead of sgemm */
    bool a_packed;              /* A is the load-time packed copy */
    bool a_shared;              /* A identical for every batch: packed once per run */
    bool gemv;                  /* M == 1: matrix-vector kernels */
    bool batch_par;             /* batches spread over threads (one GEMM per task) */
    float alpha, beta;
    int cmode;                  /* C_* */
    int64_t c_sm, c_sn;         /* C's element strides along M and N (0: broadcast) */
    bool c_prep;                /* the C vector is scaled into the workspace */
    int threads;                /* pool size at plan time */
    size_t c_off;               /* workspace bytes: prepared C vector at c_off */
    size_t shared_off;          /* shared packed A */
    size_t slot_off, slot_bytes;/* per-thread slots: [packed A][sgemm workspace] */
    size_t slot_a_bytes;        /* packed A bytes inside a slot (0: not packed there) */
    size_t sg_bytes;            /* sgemm workspace bytes in a slot */
    size_t ws_bytes;            /* total reported by plan */
    ert_act_params act;         /* FusedGemm's activation (kind NONE: Gemm, MatMul) */
} mm_plan;

_Static_assert(sizeof(mm_plan) <= ERT_STEP_PARAMS_BYTES, "mm_plan exceeds the block");

#define MM_ALIGN 64
#define GEMV_MIN_COLS 128 /* columns per GEMV task: below it thread hand-off costs more */

static size_t align_up(size_t v)
{
    return (v + MM_ALIGN - 1) / MM_ALIGN * MM_ALIGN;
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return (a + b - 1) / b;
}

/* ---- packing ---- */

static bool is_f32(const ert_graph *g, int v)
{
    return v < 0 || g->values[v].t.dtype == ERT_DTYPE_FLOAT32;
}

static bool is_const(const ert_graph *g, int v)
{
    const ert_value *x = &g->values[v];
    return x->kind == ERT_VALUE_CONST && x->t.data && ert_tensor_shape_known(&x->t);
}

/* Gemm or FusedGemm (Gemm's inputs and attributes, and an activation) */
static bool is_gemm(const ert_node *n)
{
    return n->op->id == ERT_OP_GEMM || n->op->id == ERT_OP_FUSED_GEMM;
}

static bool supports(const ert_node *n, const ert_graph *g)
{
    if (!n->op || (n->op->id != ERT_OP_MATMUL && !is_gemm(n)))
        return false;
    bool gemm = is_gemm(n);
    int n_in = n->n_inputs - n->n_captures;
    if (n_in < 2 || n_in > (gemm ? 3 : 2) || n->inputs[0] < 0 || n->inputs[1] < 0)
        return false;
    for (int i = 0; i < n_in; i++)
        if (!is_f32(g, n->inputs[i]))
            return false;
    if (gemm)
        for (int i = 0; i < 2; i++) {
            int r = g->values[n->inputs[i]].t.rank;
            if (r >= 0 && r != 2)
                return false;
        }
    return true;
}

static ert_status pack_isa(ert_isa isa, const ert_node *n, const ert_graph *g, void **packed,
                           ert_err *err)
{
    bool gemm = is_gemm(n);
    mm_packed *p = calloc(1, sizeof *p);
    if (!p)
        goto oom;
    p->isa = isa;
    p->generic = ert_sgemm_isa(isa) == ERT_ISA_GENERIC;
    bool ta = gemm && ert_attr_int(n, "transA", 0) != 0;
    bool tb = gemm && ert_attr_int(n, "transB", 0) != 0;
    float alpha = gemm ? ert_attr_float(n, "alpha", 1.0f) : 1.0f;
    const ert_tensor *a = &g->values[n->inputs[0]].t, *b = &g->values[n->inputs[1]].t;
    if (is_const(g, n->inputs[0]) && a->rank == 2 && !p->generic) {
        p->am = a->dims[ta ? 1 : 0];
        p->ak = a->dims[ta ? 0 : 1];
        size_t bytes = ert_sgemm_packed_a_floats(isa, p->am, p->ak) * sizeof(float);
        p->a = aligned_alloc(MM_ALIGN, align_up(bytes > 0 ? bytes : MM_ALIGN));
        if (!p->a)
            goto oom;
        ert_sgemm_pack_a_scaled(isa, p->am, p->ak, a->data, ta ? 1 : p->ak, ta ? p->am : 1, alpha, p->a);
    }
    if (is_const(g, n->inputs[1]) && (b->rank == 2 || (b->rank == 1 && !gemm))) {
        p->bk = b->rank == 1 ? b->dims[0] : b->dims[tb ? 1 : 0];
        p->bn = b->rank == 1 ? 1 : b->dims[tb ? 0 : 1];
        size_t bytes = (p->generic ? (size_t)(p->bk * p->bn)
                                   : ert_sgemm_packed_b_floats(isa, p->bk, p->bn)) * sizeof(float);
        if (!p->generic || tb)
            p->bp = aligned_alloc(MM_ALIGN, align_up(bytes > 0 ? bytes : MM_ALIGN));
        if ((!p->generic || tb) && !p->bp)
            goto oom;
        const float *src = b->data;
        if (!p->generic)
            ert_sgemm_pack_b(isa, p->bk, p->bn, src, tb ? 1 : p->bn, tb ? p->bk : 1, p->bp);
        else if (tb)
            for (int64_t k = 0; k < p->bk; k++) /* load time only: a plain transpose */
                for (int64_t j = 0; j < p->bn; j++)
                    p->bp[k * p->bn + j] = src[j * p->bk + k];
    }
    *packed = p;
    return ERT_OK;
oom:
    if (p) {
        free(p->a);
        free(p);
    }
    return ert_errf(err, ERT_ERR_NO_MEMORY, "%s: out of memory preparing constants",
                    n->op->name);
}

static void free_packed(void *packed)
{
    mm_packed *p = packed;
    if (p) {
        free(p->a);
        free(p->bp);
    }
    free(p);
}

/* ---- reshape ---- */

/* MatMul: numpy shapes, batch strides, folding. */
static ert_status plan_matmul(ert_kctx *k, const mm_packed *p, mm_plan *pl)
{
    const ert_tensor *A = k->in[0], *B = k->in[1], *Y = k->out[0];
    if (A->rank < 1 || B->rank < 1)
        return ert_op_fail(k, ERT_ERR_SHAPE, "operands must have rank >= 1, got %d and %d",
                           A->rank, B->rank);
    int64_t M = A->rank >= 2 ? A->dims[A->rank - 2] : 1, K = A->dims[A->rank - 1];
    int64_t Kb = B->rank >= 2 ? B->dims[B->rank - 2] : B->dims[0];
    int64_t N = B->rank >= 2 ? B->dims[B->rank - 1] : 1;
    if (K != Kb)
        return ert_op_fail(k, ERT_ERR_SHAPE, "inner dimensions differ: %lld and %lld",
                           (long long)K, (long long)Kb);
    int brank = Y->rank - (A->rank >= 2) - (B->rank >= 2);
    int na = A->rank > 2 ? A->rank - 2 : 0, nb = B->rank > 2 ? B->rank - 2 : 0;
    if (brank < na || brank < nb)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "output rank %d does not fit the operands",
                           Y->rank);
    pl->brank = brank;
    pl->count = 1;
    const ert_tensor *ops[2] = {A, B};
    int nbs[2] = {na, nb};
    int64_t mats[2] = {M * K, K * N}, *strides[2] = {pl->as, pl->bs};
    for (int d = 0; d < brank; d++) {
        pl->dims[d] = Y->dims[d];
        pl->count *= Y->dims[d];
    }
    for (int o = 0; o < 2; o++) {
        int64_t st = mats[o];
        for (int d = brank - 1; d >= 0; d--) {
            int od = d - (brank - nbs[o]);
            int64_t dim = od >= 0 ? ops[o]->dims[od] : 1;
            if (dim != 1 && dim != pl->dims[d])
                return ert_op_fail(k, ERT_ERR_SHAPE, "batch dim %lld cannot broadcast to %lld",
                                   (long long)dim, (long long)pl->dims[d]);
            strides[o][d] = dim == 1 ? 0 : st;
            st *= dim;
        }
    }
    /* fold a batch over a shared B into M when A's batches are consecutive */
    bool b_bcast = true, a_dense = true, a_bcast = true;
    int64_t st = M * K;
    for (int d = brank - 1; d >= 0; d--) {
        if (pl->dims[d] == 1)
            continue;
        b_bcast &= pl->bs[d] == 0;
        a_bcast &= pl->as[d] == 0;
        a_dense &= pl->as[d] == st;
        st *= pl->dims[d];
    }
    if (pl->count > 1 && b_bcast && a_dense) {
        M *= pl->count;
        pl->count = 1;
    }
    if (pl->count <= 1)
        pl->brank = 0;
    pl->M = M, pl->N = N, pl->K = K;
    pl->a_rs = K, pl->a_cs = 1;
    pl->b_ld = N;
    pl->alpha = 1.0f;
    pl->a_shared = pl->count > 1 && a_bcast;
    if (p->bp) {
        if (p->bk != K || p->bn != N)
            return ert_op_fail(k, ERT_ERR_INTERNAL, "B changed shape since packing");
        pl->b_packed = !p->generic;
        pl->b_copy = p->generic;
    }
    if (p->a) {
        if (p->am != M || p->ak != K)
            return ert_op_fail(k, ERT_ERR_INTERNAL, "A changed shape since packing");
        pl->a_packed = true;
    }
    return ERT_OK;
}

/* Gemm: transposes, alpha/beta, how C enters. */
static ert_status plan_gemm(ert_kctx *k, const mm_packed *p, mm_plan *pl)
{
    const ert_tensor *A = k->in[0], *B = k->in[1], *C = ert_in(k, 2);
    if (A->rank != 2 || B->rank != 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "A and B must be 2-D, got rank %d and %d",
                           A->rank, B->rank);
    bool ta = ert_attr_int(k->node, "transA", 0) != 0;
    bool tb = ert_attr_int(k->node, "transB", 0) != 0;
    pl->alpha = ert_attr_float(k->node, "alpha", 1.0f);
    pl->beta = ert_attr_float(k->node, "beta", 1.0f);
    int64_t M = A->dims[ta ? 1 : 0], K = A->dims[ta ? 0 : 1];
    int64_t N = B->dims[tb ? 0 : 1];
    if (B->dims[tb ? 1 : 0] != K)
        return ert_op_fail(k, ERT_ERR_SHAPE, "inner dimensions differ: A gives K=%lld, B gives "
                           "K=%lld", (long long)K, (long long)B->dims[tb ? 1 : 0]);
    pl->M = M, pl->N = N, pl->K = K;
    pl->count = 1;
    pl->a_rs = ta ? 1 : K;
    pl->a_cs = ta ? M : 1;
    if (p->a) {
        if (p->am != M || p->ak != K)
            return ert_op_fail(k, ERT_ERR_INTERNAL, "A changed shape since packing");
        pl->a_packed = true;
    }
    if (p->bp) {
        if (p->bk != K || p->bn != N)
            return ert_op_fail(k, ERT_ERR_INTERNAL, "B changed shape since packing");
        pl->b_packed = !p->generic;
        pl->b_copy = p->generic;
        pl->b_ld = N;
    } else if (!tb) {
        pl->b_ld = N;
    } else {
        pl->b_gen = true;
        pl->b_ld = K;
    }
    pl->cmode = C_NONE;
    if (!C || pl->beta == 0.0f)
        return ERT_OK;
    if (C->rank > 2)
        return ert_op_fail(k, ERT_ERR_SHAPE, "C has rank %d, at most 2 allowed", C->rank);
    int64_t out[2] = {M, N}, cst[2] = {0, 0}, s = 1;
    for (int d = C->rank - 1; d >= 0; d--) {
        int od = 2 - C->rank + d;
        if (C->dims[d] != 1 && C->dims[d] != out[od])
            return ert_op_fail(k, ERT_ERR_SHAPE, "C dim %d is %lld, cannot broadcast to "
                               "output dim %lld", d, (long long)C->dims[d], (long long)out[od]);
        cst[od] = C->dims[d] == 1 ? 0 : s;
        s *= C->dims[d];
    }
    pl->c_sm = cst[0], pl->c_sn = cst[1];
    bool one = pl->beta == 1.0f;
    if (cst[0] == 0) { /* the same row for every i */
        pl->cmode = C_ROW;
        pl->c_prep = !one || (cst[1] == 0 && N > 1);
    } else if (cst[1] == 0) { /* one value per row */
        pl->cmode = C_COL;
        pl->c_prep = !one;
    } else {
        pl->cmode = C_FULL;
    }
    return ERT_OK;
}

static ert_status plan(ert_kctx *k, size_t *ws_bytes)
{
    const mm_packed *p = k->packed;
    mm_plan *pl = k->params;
    memset(pl, 0, sizeof *pl);
    for (int i = 0; i < k->n_in; i++)
        if (k->in[i] && k->in[i]->dtype != ERT_DTYPE_FLOAT32)
            return ert_op_fail(k, ERT_ERR_INTERNAL, "input %d is %s, kernel is float32", i,
                               ert_dtype_name(k->in[i]->dtype));
    bool gemm = is_gemm(k->node);
    ert_status st = gemm ? plan_gemm(k, p, pl) : plan_matmul(k, p, pl);
    if (st)
        return st;
    if (k->node->op->id == ERT_OP_FUSED_GEMM && (st = ert_fused_conv_act(k, &pl->act)))
        return st;
    pl->threads = ert_threadpool_size(k->pool);
    pl->generic = p->generic;
    pl->gemv = pl->M == 1 && !pl->b_gen;
    pl->batch_par = pl->count > 1 && pl->threads > 1 && pl->count >= pl->threads;
    size_t off = 0;
    pl->c_off = off;
    if (pl->c_prep)
        off += align_up(sizeof(float) * (size_t)(pl->cmode == C_ROW ? pl->N : pl->M));
    size_t pa = ert_sgemm_packed_a_floats(p->isa, pl->M, pl->K) * sizeof(float);
    bool pack_a = !pl->a_packed && !pl->gemv && !pl->generic;
    pl->shared_off = off;
    if (pack_a && pl->a_shared)
        off += align_up(pa);
    pl->slot_a_bytes = pack_a && !pl->a_shared ? align_up(pa) : 0;
    pl->sg_bytes = pl->gemv || pl->generic ? 0 : ert_sgemm_ws_bytes(p->isa, pl->M, pl->N, pl->K,
                                                        pl->batch_par ? 1 : pl->threads);
    pl->slot_bytes = pl->slot_a_bytes + align_up(pl->sg_bytes);
    pl->slot_off = off;
    off += pl->slot_bytes * (size_t)(pl->batch_par ? pl->threads : 1);
    pl->ws_bytes = off;
    *ws_bytes = off;
    return ERT_OK;
}

/* ---- run ---- */

/* Run-time transposed B: row k of op(B) over columns [n0, n0+nc). */
typedef struct gather_b {
    const float *b;
    int64_t ld;
} gather_b;

static const float *gather_row(const void *ctx, int64_t k, int64_t n0, int64_t nc, float *buf)
{
    const gather_b *g = ctx;
    const float *src = g->b + n0 * g->ld + k;
    for (int64_t j = 0; j < nc; j++)
        buf[j] = src[j * g->ld];
    return buf;
}

/* What one run shares between its GEMMs. */
typedef struct mm_job {
    const mm_plan *pl;
    const mm_packed *p;
    ert_gemv_fn gemv;
    const float *a, *b;   /* input base pointers */
    float *y;
    const float *pa;      /* packed A for every GEMM (load-time or shared), or NULL */
    const float *row;     /* C row vector (C_ROW), or NULL */
    const float *bias;    /* C column vector (C_COL), or NULL */
    const float *res;     /* full C as residual (C_FULL), or NULL */
    unsigned char *ws;
} mm_job;

/* ws + off, or NULL when the step planned no workspace (GEMV): no arithmetic on NULL. */
static unsigned char *ws_at(unsigned char *ws, size_t off)
{
    return ws ? ws + off : NULL;
}

/* One GEMV task: columns [j0, j0 + cols) of a matrix-vector product. */
typedef struct gemv_task {
    const mm_job *j;
    const float *x, *b;
    float *y;
    int64_t cols;
} gemv_task;

static void gemv_run(void *arg, int64_t t, int tid)
{
    (void)tid;
    const gemv_task *g = arg;
    const mm_plan *pl = g->j->pl;
    int64_t j0 = t * g->cols, n = pl->N - j0 < g->cols ? pl->N - j0 : g->cols;
    const float *row = g->j->row;
    if (!pl->b_packed) {
        g->j->gemv(pl->K, n, g->x, g->b + j0, pl->b_ld, pl->alpha, row ? row + j0 : NULL,
                   g->y + j0);
        return;
    }
    ert_sgemm_tile tl = ert_sgemm_tile_of(g->j->p->isa); /* j0 is a multiple of nr */
    for (int64_t c0 = j0; c0 < j0 + n; c0 += tl.nr) {
        int64_t w = j0 + n - c0 < tl.nr ? j0 + n - c0 : tl.nr;
        int64_t sw = ceil_div(w, tl.vec) * tl.vec;
        g->j->gemv(pl->K, w, g->x, g->b + (c0 / tl.nr) * pl->K * tl.nr, sw, pl->alpha,
                   row ? row + c0 : NULL, g->y + c0);
    }
}

/* One GEMM of the run: A, B, Y at this batch's offsets, slot = this thread's part. */
static void one_gemm(const mm_job *j, const float *a, const float *b, float *y,
                     unsigned char *slot, struct ert_threadpool *pool)
{
    const mm_plan *pl = j->pl;
    if (pl->gemv) {
        int threads = ert_threadpool_size(pool);
        int64_t cols = pl->N, unit = pl->b_packed ? ert_sgemm_tile_of(j->p->isa).nr : 16;
        if (threads > 1 && pl->N > GEMV_MIN_COLS) {
            cols = ceil_div(ceil_div(pl->N, threads), unit) * unit;
            cols = cols < GEMV_MIN_COLS ? ceil_div(GEMV_MIN_COLS, unit) * unit : cols;
        }
        gemv_task g = {j, a, b, y, cols > 0 ? cols : 1};
        ert_parallel_for(pool, ceil_div(pl->N, g.cols), gemv_run, &g);
        return;
    }
    const float *pa = j->pa;
    if (!pa) {
        float *dst = (float *)slot;
        ert_sgemm_pack_a_scaled(j->p->isa, pl->M, pl->K, a, pl->a_rs, pl->a_cs, pl->alpha, dst);
        pa = dst;
    }
    gather_b gb = {b, pl->b_ld};
    ert_sgemm_b bs = pl->b_packed ? (ert_sgemm_b){.packed = b}
                     : pl->b_gen  ? (ert_sgemm_b){.row = gather_row, .ctx = &gb}
                                  : (ert_sgemm_b){.data = b, .ld = pl->b_ld};
    ert_sgemm_epilogue ep = {.bias = j->bias, .act = pl->act};
    if (j->row)
        ep.residual = j->row, ep.ldr = 0;
    else if (j->res)
        ep.residual = j->res, ep.ldr = pl->N;
    ert_sgemm_packed(j->p->isa, pl->M, pl->N, pl->K, pa, &bs, y, pl->N, &ep,
                     slot + pl->slot_a_bytes, pl->sg_bytes, pool);
}

/* Element offsets of batch bi's A and B. */
static void batch_offsets(const mm_plan *pl, int64_t bi, int64_t *ao, int64_t *bo)
{
    *ao = *bo = 0;
    for (int d = pl->brank - 1; d >= 0; d--) {
        int64_t i = bi % pl->dims[d];
        bi /= pl->dims[d];
        *ao += i * pl->as[d];
        *bo += i * pl->bs[d];
    }
}

static void batch_task(void *arg, int64_t bi, int tid)
{
    const mm_job *j = arg;
    const mm_plan *pl = j->pl;
    int64_t ao, bo;
    batch_offsets(pl, bi, &ao, &bo);
    one_gemm(j, j->a + ao, j->b + bo, j->y + bi * pl->M * pl->N,
             ws_at(j->ws, pl->slot_off + (size_t)tid * pl->slot_bytes), NULL);
}

/* The C term alone (alpha == 0 or K == 0 in a GEMV-free path is not special: sgemm
 * handles K == 0): y = beta * C broadcast, or 0. */
static void c_term_only(const mm_plan *pl, const float *c, float *y)
{
    for (int64_t i = 0; i < pl->M; i++)
        for (int64_t n = 0; n < pl->N; n++)
            y[i * pl->N + n] = pl->cmode == C_NONE ? 0.0f
                                                   : pl->beta * c[i * pl->c_sm + n * pl->c_sn];
}

/* ---- GENERIC level ----
 * The packed SGEMM's portable 4x8 micro-kernel reaches half the reference's speed with
 * the baseline SSE2 (14 against 28 GFLOP/s, 40x120x360), so this level updates rows of
 * Y four at a time in i-k-j order over a column block of B read in place (long unit-
 * stride inner loops the compiler vectorises), the way ops/matmul.c does, but straight
 * from B (no panel copy, no allocation) and with threads over the column blocks. Y
 * holds the C term (or 0) first. */
#define GEN_NC 256 /* columns per block: 4 Y rows of them (4 KiB) stay in L1 */
#define GEN_KC 256 /* K block: a KC x NC block of B (256 KiB) stays in L2 */

#if defined(__GNUC__) && !defined(__clang__)
#define GEN_VECTORIZE __attribute__((optimize("vect-cost-model=dynamic")))
#else
#define GEN_VECTORIZE
#endif

/* Y[0:mr, 0:nc] += alpha * A[0:mr, 0:kc] * B[0:kc, 0:nc] (mr <= 4; B row stride ldb,
 * column stride b_cs: 1 except a run-time transposed B). */
GEN_VECTORIZE static void gen_rows(int mr, int64_t nc, int64_t kc, float alpha, const float *A,
                                   int64_t a_rs, int64_t a_cs, const float *B, int64_t ldb,
                                   int64_t b_cs, float *Y, int64_t ldy)
{
    float *restrict y0 = Y, *restrict y1 = Y + (mr > 1 ? ldy : 0);
    float *restrict y2 = Y + (mr > 2 ? 2 * ldy : 0), *restrict y3 = Y + (mr > 3 ? 3 * ldy : 0);
    for (int64_t k = 0; k < kc; k++) {
        const float *restrict b = B + k * ldb;
        float a0 = alpha * A[k * a_cs];
        if (mr == 4 && b_cs == 1) {
            float a1 = alpha * A[a_rs + k * a_cs], a2 = alpha * A[2 * a_rs + k * a_cs];
            float a3 = alpha * A[3 * a_rs + k * a_cs];
            for (int64_t j = 0; j < nc; j++) {
                float bj = b[j];
                y0[j] += a0 * bj;
                y1[j] += a1 * bj;
                y2[j] += a2 * bj;
                y3[j] += a3 * bj;
            }
            continue;
        }
        float *rows[4] = {y0, y1, y2, y3};
        for (int r = 0; r < mr; r++) {
            float ar = alpha * A[r * a_rs + k * a_cs];
            float *restrict yr = rows[r];
            if (b_cs == 1)
                for (int64_t j = 0; j < nc; j++)
                    yr[j] += ar * b[j];
            else
                for (int64_t j = 0; j < nc; j++)
                    yr[j] += ar * b[j * b_cs];
        }
    }
}

/* One GEMM's column block jb (a task). */
typedef struct gen_task {
    const mm_plan *pl;
    const float *a, *b;
    float *y;
} gen_task;

static void gen_block(void *arg, int64_t jb, int tid)
{
    (void)tid;
    const gen_task *t = arg;
    const mm_plan *pl = t->pl;
    /* op(B)[k][n]: plain B[k * ld + n]; a run-time transposed B[n * ld + k] */
    int64_t ldb = pl->b_gen ? 1 : pl->b_ld, b_cs = pl->b_gen ? pl->b_ld : 1;
    int64_t j0 = jb * GEN_NC, nc = pl->N - j0 < GEN_NC ? pl->N - j0 : GEN_NC;
    for (int64_t k0 = 0; k0 < pl->K; k0 += GEN_KC) {
        int64_t kc = pl->K - k0 < GEN_KC ? pl->K - k0 : GEN_KC;
        for (int64_t i = 0; i < pl->M; i += 4)
            gen_rows(pl->M - i < 4 ? (int)(pl->M - i) : 4, nc, kc, pl->alpha,
                     t->a + i * pl->a_rs + k0 * pl->a_cs, pl->a_rs, pl->a_cs,
                     t->b + k0 * ldb + j0 * b_cs, ldb, b_cs, t->y + i * pl->N + j0, pl->N);
    }
}

static void generic_gemms(const mm_job *j, const float *c, struct ert_threadpool *pool)
{
    const mm_plan *pl = j->pl;
    for (int64_t bi = 0; bi < pl->count; bi++) {
        int64_t ao, bo;
        batch_offsets(pl, bi, &ao, &bo);
        gen_task t = {pl, j->a + ao, j->b + bo, j->y + bi * pl->M * pl->N};
        c_term_only(pl, c, t.y); /* only Gemm has a C, and one batch */
        ert_parallel_for(pool, ceil_div(pl->N, GEN_NC), gen_block, &t);
    }
}

/* Whether the SGEMM's epilogue applies FusedGemm's activation (on each finished tile
 * row, in cache); the GEMV, GENERIC and C-only paths get it in one pass afterwards. */
static bool act_in_epilogue(const mm_plan *pl)
{
    return !pl->gemv && !pl->generic && pl->alpha != 0.0f;
}

static ert_status run_gemms(ert_kctx *k);

static ert_status run(ert_kctx *k)
{
    const mm_plan *pl = k->params;
    ert_status st = run_gemms(k);
    if (st == ERT_OK && pl->act.kind != ERT_ACT_NONE && !act_in_epilogue(pl))
        ert_act_f32_isa(((const mm_packed *)k->packed)->isa, &pl->act, k->out[0]->data,
                        pl->count * pl->M * pl->N, 0);
    return st;
}

static ert_status run_gemms(ert_kctx *k)
{
    const mm_packed *p = k->packed;
    const mm_plan *pl = k->params;
    if (k->ws_bytes < pl->ws_bytes)
        return ert_op_fail(k, ERT_ERR_INTERNAL, "workspace %zu bytes, plan needs %zu",
                           k->ws_bytes, pl->ws_bytes);
    float *y = k->out[0]->data;
    if (pl->M == 0 || pl->N == 0 || pl->count == 0)
        return ERT_OK;
    const ert_tensor *ct = ert_in(k, 2);
    const float *c = pl->cmode != C_NONE ? ct->data : NULL;
    if (pl->alpha == 0.0f) { /* as the reference: no product at all (0 * inf stays out) */
        c_term_only(pl, c, y);
        return ERT_OK;
    }
    mm_job j = {.pl = pl, .p = p, .gemv = ert_gemv_of(p->isa, pl->b_packed), .a = k->in[0]->data,
                .b = pl->b_packed || pl->b_copy ? p->bp : k->in[1]->data, .y = y, .ws = k->ws};
    if (pl->generic && !pl->gemv) {
        generic_gemms(&j, c, k->pool);
        return ERT_OK;
    }
    float *cv = (float *)ws_at(j.ws, pl->c_off);
    switch (pl->cmode) {
    case C_ROW:
        if (pl->c_prep)
            for (int64_t n = 0; n < pl->N; n++)
                cv[n] = pl->beta * c[n * pl->c_sn];
        j.row = pl->c_prep ? cv : c;
        break;
    case C_COL:
        if (pl->c_prep)
            for (int64_t i = 0; i < pl->M; i++)
                cv[i] = pl->beta * c[i * pl->c_sm];
        j.bias = pl->c_prep ? cv : c;
        break;
    case C_FULL:
        if (pl->beta != 1.0f) { /* Y = beta*C, then sgemm adds into Y in place */
            c_term_only(pl, c, y);
            j.res = y;
        } else {
            j.res = c;
        }
        break;
    default:
        break;
    }
    if (pl->a_packed)
        j.pa = p->a;
    else if (pl->a_shared && !pl->gemv) {
        float *dst = (float *)ws_at(j.ws, pl->shared_off);
        ert_sgemm_pack_a_scaled(p->isa, pl->M, pl->K, j.a, pl->a_rs, pl->a_cs, pl->alpha, dst);
        j.pa = dst;
    }
    if (pl->count == 1)
        one_gemm(&j, j.a, j.b, y, ws_at(j.ws, pl->slot_off), k->pool);
    else if (pl->batch_par)
        ert_parallel_for(k->pool, pl->count, batch_task, &j);
    else
        for (int64_t bi = 0; bi < pl->count; bi++) {
            int64_t ao, bo;
            batch_offsets(pl, bi, &ao, &bo);
            one_gemm(&j, j.a + ao, j.b + bo, y + bi * pl->M * pl->N, ws_at(j.ws, pl->slot_off),
                     k->pool);
        }
    return ERT_OK;
}

/* ---- kernel entries ---- */

#define MM_ISA_KERNEL(ISA, NAME)                                                         \
    static ert_status pack_##NAME(const ert_node *n, const ert_graph *g, void **packed,   \
                                  ert_err *err)                                          \
    {                                                                                    \
        return pack_isa(ISA, n, g, packed, err);                                         \
    }                                                                                    \
    static const ert_kernel k_##NAME = {"matmul.sgemm." #NAME, ISA, supports, pack_##NAME, \
                                        free_packed, plan, run};

MM_ISA_KERNEL(ERT_ISA_GENERIC, generic)
#if defined(__aarch64__)
MM_ISA_KERNEL(ERT_ISA_NEON, neon)
#endif
#if defined(__x86_64__) || defined(_M_X64)
MM_ISA_KERNEL(ERT_ISA_AVX2, avx2)
MM_ISA_KERNEL(ERT_ISA_AVX512, avx512)
#endif

const ert_kernel *const ert_matmul_kernels[] = {
#if defined(__x86_64__) || defined(_M_X64)
    &k_avx512, &k_avx2,
#endif
#if defined(__aarch64__)
    &k_neon,
#endif
    &k_generic, NULL};
