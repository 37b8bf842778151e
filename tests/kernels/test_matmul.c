/*
 * test_matmul.c - the MatMul/Gemm kernels (src/kernels/matmul/) against matmul.c's
 * reference kernels, through the kernel-table life cycle (supports -> pack -> plan ->
 * run), at every ISA level the CPU supports, on one thread and on a pool of 3.
 *
 * Matrix: 2-D MatMul over every M, N, K in {1,2,3,7,8,15,16,17,33,64,100,257} with B
 * constant or not; batched and broadcast MatMuls ([2,3,M,K]x[K,N], [1,M,K]x[4,K,N],
 * [M,K]x[2,K,N], [2,1,M,K]x[3,K,N], 1-D operands on either side, M = 1 with batches,
 * batch counts below and above the thread count), constant A (packed at load); Gemm with
 * transA/transB, alpha, beta (0, 1, other), C absent or of every broadcast form
 * (scalar, [1], [N], [1,N], [M,1], [1,1], [M,N]), constant or run-time A, B, C; K = 0
 * and empty outputs; K of several K blocks; FusedGemm with every activation (in the
 * SGEMM's epilogue, after the GEMV, after alpha = 0). Inputs, outputs and workspaces are guard-page
 * buffers; the output
 * is pre-filled with NaN so an element the kernel skips fails. Also: non-float32 and
 * rank-3 Gemm operands are declined, and the table lists the kernels for both ops.
 *
 * Tolerance: |got - want| <= 1e-5 * (|alpha| sum_k |a||b| + |beta||c|) + 1e-6 |want|
 * + 1e-7, the magnitude computed by the same reference on absolute values (a different
 * summation order stays within K * eps of that sum; K <= 257 gives < 2e-5 worst case,
 * 1e-5 covers the blocked orders).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "kernels/kernel.h"
#include "kernels/matmul/matmul.h"
#include "ops/op.h"
#include "runtime/threadpool.h"
#include "test_gemm_guard.h"

static int g_fail, g_cases;

typedef struct mcase {
    bool gemm;
    int ra, rb, rc;              /* ranks (rc < 0: no C) */
    int64_t da[4], db[4], dc[2]; /* dims */
    bool ca, cb, cc;             /* constant A, B, C */
    int ta, tb;                  /* Gemm transA / transB */
    float alpha, beta;
    const char *act;             /* FusedGemm's activation (NULL: Gemm / MatMul) */
} mcase;

enum { VA, VB, VC, VY, NV };

typedef struct net {
    ert_graph g;
    ert_value v[NV];
    ert_node node;
    int inputs[3], outputs[1];
    ert_attr attrs[6];
    float act_params[2];
    guard_buf a, b, c, aa, ba, cabs;
} net;

static void set_tensor(ert_tensor *t, int rank, const int64_t *dims, float *data)
{
    memset(t, 0, sizeof *t);
    t->dtype = ERT_DTYPE_FLOAT32;
    t->rank = rank;
    memcpy(t->dims, dims, sizeof(int64_t) * (size_t)rank);
    t->data = data;
    t->nbytes = (size_t)ert_tensor_numel(t) * sizeof(float);
}

static float *rand_buf(guard_buf *gb, int64_t n, unsigned seed)
{
    float *p = guard_alloc(gb, (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++)
        p[i] = test_rand(&seed);
    return p;
}

static int64_t numel(int rank, const int64_t *d)
{
    int64_t n = 1;
    for (int i = 0; i < rank; i++)
        n *= d[i];
    return n;
}

static void set_attrs(net *t, const mcase *c, float alpha, float beta)
{
    ert_node *n = &t->node;
    n->n_attrs = 0;
    if (!c->gemm)
        return;
    t->attrs[0] = (ert_attr){.name = (char *)"transA", .type = ERT_ATTR_INT, .i = c->ta};
    t->attrs[1] = (ert_attr){.name = (char *)"transB", .type = ERT_ATTR_INT, .i = c->tb};
    t->attrs[2] = (ert_attr){.name = (char *)"alpha", .type = ERT_ATTR_FLOAT, .f = alpha};
    t->attrs[3] = (ert_attr){.name = (char *)"beta", .type = ERT_ATTR_FLOAT, .f = beta};
    n->attrs = t->attrs;
    n->n_attrs = 4;
    if (c->act) { /* Clip's bounds straddle zero; others take their defaults */
        t->attrs[4] = (ert_attr){.name = (char *)"activation", .type = ERT_ATTR_STRING,
                                 .s = (char *)c->act, .s_len = strlen(c->act)};
        t->act_params[0] = -0.6f, t->act_params[1] = 0.4f;
        t->attrs[5] = (ert_attr){.name = (char *)"activation_params", .type = ERT_ATTR_FLOATS,
                                 .n = 2, .floats = t->act_params};
        n->n_attrs = strcmp(c->act, "Clip") ? 5 : 6;
    }
}

static void build(net *t, const mcase *c, unsigned seed)
{
    memset(t, 0, sizeof *t);
    set_tensor(&t->v[VA].t, c->ra, c->da, rand_buf(&t->a, numel(c->ra, c->da), seed));
    set_tensor(&t->v[VB].t, c->rb, c->db, rand_buf(&t->b, numel(c->rb, c->db), seed + 1));
    t->v[VA].kind = c->ca ? ERT_VALUE_CONST : ERT_VALUE_INPUT;
    t->v[VB].kind = c->cb ? ERT_VALUE_CONST : ERT_VALUE_INPUT;
    if (c->rc >= 0) {
        set_tensor(&t->v[VC].t, c->rc, c->dc, rand_buf(&t->c, numel(c->rc, c->dc), seed + 2));
        t->v[VC].kind = c->cc ? ERT_VALUE_CONST : ERT_VALUE_INPUT;
    }
    for (int i = 0; i < NV; i++)
        t->v[i].name = (char *)"v";
    t->g.values = t->v;
    t->g.n_values = NV;
    ert_node *n = &t->node;
    n->name = (char *)"mm";
    n->op = c->act ? ert_op_find("edgert", "FusedGemm") : ert_op_find("", c->gemm ? "Gemm" : "MatMul");
    n->op_type = (char *)n->op->name;
    n->version = c->act ? 1 : 13;
    t->inputs[0] = VA, t->inputs[1] = VB, t->inputs[2] = VC;
    n->inputs = t->inputs;
    n->n_inputs = c->gemm && c->rc >= 0 ? 3 : 2;
    t->outputs[0] = VY;
    n->outputs = t->outputs;
    n->n_outputs = 1;
    set_attrs(t, c, c->alpha, c->beta);
}

static void free_net(net *t)
{
    guard_free(&t->a); guard_free(&t->b); guard_free(&t->c);
    guard_free(&t->aa); guard_free(&t->ba); guard_free(&t->cabs);
}

static ert_kctx make_ctx(net *t, ert_tensor **in, ert_tensor **out, ert_tensor *y, ert_err *err)
{
    for (int i = 0; i < ERT_KCTX_MIN_SLOTS; i++)
        in[i] = out[i] = NULL;
    for (int i = 0; i < t->node.n_inputs; i++)
        in[i] = &t->v[t->inputs[i]].t;
    out[0] = y;
    return (ert_kctx){.node = &t->node, .version = t->node.version, .n_in = t->node.n_inputs,
                      .in = in, .n_out = 1, .out = out, .err = err};
}

static bool run_ref(net *t, ert_tensor *y)
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_err err = {{0}};
    ert_kctx k = make_ctx(t, in, out, y, &err);
    ert_status st = t->node.op->infer(&k); /* MatMul, Gemm or FusedGemm's reference */
    if (!st)
        st = ert_tensor_alloc(y);
    if (!st)
        st = t->node.op->run(&k);
    if (st)
        fprintf(stderr, "reference failed: %s\n", err.msg);
    return !st;
}

static float *abs_copy(guard_buf *gb, const ert_tensor *x)
{
    int64_t n = ert_tensor_numel(x);
    float *p = guard_alloc(gb, (size_t)(n > 0 ? n : 1));
    for (int64_t i = 0; i < n; i++)
        p[i] = fabsf(((const float *)x->data)[i]);
    return p;
}

/* |alpha| |A| |B| + |beta| |C| by the reference. */
static bool magnitude(net *t, const mcase *c, ert_tensor *mag)
{
    net a = *t;
    a.v[VA].t.data = abs_copy(&t->aa, &t->v[VA].t);
    a.v[VB].t.data = abs_copy(&t->ba, &t->v[VB].t);
    if (c->rc >= 0)
        a.v[VC].t.data = abs_copy(&t->cabs, &t->v[VC].t);
    a.g.values = a.v;
    mcase plain = *c; /* the magnitude of the product: Gemm's, before any activation */
    plain.act = NULL;
    set_attrs(&a, &plain, fabsf(c->alpha), fabsf(c->beta));
    a.node.attrs = a.attrs;
    if (c->act) {
        a.node.op = ert_op_find("", "Gemm");
        a.node.version = 13;
    }
    return run_ref(&a, mag);
}

static int compare(const float *got, const ert_tensor *want, const ert_tensor *mag)
{
    int bad = 0;
    const float *w = want->data, *m = mag->data;
    for (int64_t i = 0; i < ert_tensor_numel(want); i++) {
        /* x 1.5: an activation's slope (HardSwish's reaches 1.5) scales the product's error */
    double tol = 1.5e-5 * m[i] + 1e-6 * fabs(w[i]) + 1e-7;
        if (!(fabs((double)got[i] - w[i]) <= tol)) {
            if (bad < 5)
                fprintf(stderr, "  y[%lld] = %.9g, want %.9g (tol %.3g)\n", (long long)i,
                        got[i], w[i], tol);
            bad++;
        }
    }
    return bad;
}

static const char *dims_str(int r, const int64_t *d, char *buf, size_t len)
{
    int o = snprintf(buf, len, "[");
    for (int i = 0; i < r; i++)
        o += snprintf(buf + o, len - (size_t)o, i ? ",%lld" : "%lld", (long long)d[i]);
    snprintf(buf + o, len - (size_t)o, "]");
    return buf;
}

static const char *describe(const mcase *c, char *buf, size_t len)
{
    char a[64], b[64], cc[64];
    int o = snprintf(buf, len, "%s A%s%s B%s%s", c->gemm ? "Gemm" : "MatMul",
                     dims_str(c->ra, c->da, a, sizeof a), c->ca ? "c" : "",
                     dims_str(c->rb, c->db, b, sizeof b), c->cb ? "c" : "");
    if (c->gemm)
        snprintf(buf + o, len - (size_t)o, " C%s%s tA%d tB%d alpha %g beta %g",
                 c->rc >= 0 ? dims_str(c->rc, c->dc, cc, sizeof cc) : "-", c->cc ? "c" : "",
                 c->ta, c->tb, (double)c->alpha, (double)c->beta);
    return buf;
}

/* pack -> plan -> run of one kernel; bad elements, -1 when a stage failed. */
static int run_kernel(const ert_kernel *kn, net *t, const ert_tensor *want, const ert_tensor *mag,
                      ert_threadpool *pool)
{
    void *packed = NULL;
    ert_err err = {{0}};
    if (kn->pack(&t->node, &t->g, &packed, &err)) {
        fprintf(stderr, "  pack: %s\n", err.msg);
        return -1;
    }
    ert_tensor y = {0}, *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_kctx k = make_ctx(t, in, out, &y, &err);
    guard_buf yb = {0}, wsb = {0};
    int64_t ny = ert_tensor_numel(want);
    y = *want;
    y.capacity = 0;
    y.data = guard_alloc(&yb, (size_t)(ny > 0 ? ny : 1));
    for (int64_t i = 0; i < ny; i++)
        ((float *)y.data)[i] = NAN;
    static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    size_t ws = 0;
    k.packed = packed;
    k.params = params;
    k.pool = pool;
    int bad = -1;
    if (kn->plan(&k, &ws)) {
        fprintf(stderr, "  plan: %s\n", err.msg);
        goto done;
    }
    /* a multiple of 16 floats keeps the start 64-byte aligned; the end is the guard */
    k.ws = guard_alloc(&wsb, (ws / sizeof(float) + 15) / 16 * 16 + 16);
    k.ws_bytes = ws;
    for (int rep = 0; rep < 2; rep++) { /* a second run reuses the plan */
        if (kn->run(&k)) {
            fprintf(stderr, "  run: %s\n", err.msg);
            goto done;
        }
        bad = compare(y.data, want, mag);
        if (bad)
            break;
        for (int64_t i = 0; i < ny; i++)
            ((float *)y.data)[i] = NAN;
    }
done:
    kn->free_packed(packed);
    guard_free(&yb);
    guard_free(&wsb);
    return bad;
}

static void run_case(const mcase *c, ert_threadpool *pool, unsigned seed)
{
    char d[256];
    net t;
    build(&t, c, seed);
    ert_tensor want = {0}, mag = {0};
    if (!run_ref(&t, &want) || !magnitude(&t, c, &mag)) {
        g_fail++;
        fprintf(stderr, "FAIL (reference) %s\n", describe(c, d, sizeof d));
        goto out;
    }
    for (const ert_kernel *const *kp = ert_matmul_kernels; *kp; kp++) {
        const ert_kernel *kn = *kp;
        if (kn->isa > ert_cpu_get()->best)
            continue;
        g_cases++;
        if (!kn->supports(&t.node, &t.g)) {
            g_fail++;
            fprintf(stderr, "FAIL %s declines %s\n", kn->name, describe(c, d, sizeof d));
            continue;
        }
        int bad = run_kernel(kn, &t, &want, &mag, pool);
        if (bad) {
            g_fail++;
            fprintf(stderr, "FAIL %s: %d bad: %s %s\n", kn->name, bad, describe(c, d, sizeof d),
                    pool ? "pool" : "1 thread");
        }
    }
out:
    ert_tensor_free_data(&want);
    ert_tensor_free_data(&mag);
    free_net(&t);
}

static const int64_t k_sizes[] = {1, 2, 3, 7, 8, 15, 16, 17, 33, 64, 100, 257};
#define N_SIZES ((int)(sizeof k_sizes / sizeof k_sizes[0]))

static int64_t pick(unsigned *seed, int64_t n)
{
    *seed = *seed * 1103515245u + 12345u;
    return (int64_t)((*seed >> 12) % (unsigned)n);
}

static mcase mm2(int64_t M, int64_t N, int64_t K, bool cb)
{
    return (mcase){.ra = 2, .rb = 2, .rc = -1, .da = {M, K}, .db = {K, N}, .cb = cb};
}

/* Every M, N, K of the set as a 2-D MatMul. */
static void matmul_2d(ert_threadpool *pool)
{
    int i = 0;
    for (int m = 0; m < N_SIZES; m++)
        for (int n = 0; n < N_SIZES; n++)
            for (int k = 0; k < N_SIZES; k++, i++) {
                mcase c = mm2(k_sizes[m], k_sizes[n], k_sizes[k], i % 2 == 0);
                run_case(&c, i % 3 == 0 ? pool : NULL, 10u + (unsigned)i);
            }
}

/* Batched and broadcast shapes, 1-D operands, constant A. */
static void matmul_batched(ert_threadpool *pool)
{
    unsigned seed = 777u;
    for (int i = 0; i < 160; i++) {
        int64_t M = k_sizes[pick(&seed, 10)], N = k_sizes[pick(&seed, 10)];
        int64_t K = k_sizes[pick(&seed, 10)];
        mcase c = {.rc = -1, .cb = pick(&seed, 2) != 0};
        switch (i % 16) {
        case 0: /* [2,3,M,K] x [K,N]: folds into one GEMM */
            c.ra = 4, c.rb = 2;
            memcpy(c.da, (int64_t[]){2, 3, M, K}, sizeof c.da);
            memcpy(c.db, (int64_t[]){K, N}, 2 * sizeof(int64_t));
            break;
        case 1: /* [1,M,K] x [4,K,N]: A broadcast over B's batch */
            c.ra = 3, c.rb = 3;
            memcpy(c.da, (int64_t[]){1, M, K}, 3 * sizeof(int64_t));
            memcpy(c.db, (int64_t[]){4, K, N}, 3 * sizeof(int64_t));
            break;
        case 2: /* 1-D x 2-D */
            c.ra = 1, c.rb = 2, c.da[0] = K;
            memcpy(c.db, (int64_t[]){K, N}, 2 * sizeof(int64_t));
            break;
        case 3: /* 2-D x 1-D */
            c.ra = 2, c.rb = 1, c.db[0] = K;
            memcpy(c.da, (int64_t[]){M, K}, 2 * sizeof(int64_t));
            break;
        case 4: /* 1-D x 1-D */
            c.ra = 1, c.rb = 1, c.da[0] = K, c.db[0] = K;
            break;
        case 5: /* [2,1,M,K] x [3,K,N] -> [2,3,M,N] */
            c.ra = 4, c.rb = 3;
            memcpy(c.da, (int64_t[]){2, 1, M, K}, sizeof c.da);
            memcpy(c.db, (int64_t[]){3, K, N}, 3 * sizeof(int64_t));
            break;
        case 6: /* [3,M,K] x [3,K,N]: batch == threads */
            c.ra = 3, c.rb = 3;
            memcpy(c.da, (int64_t[]){3, M, K}, 3 * sizeof(int64_t));
            memcpy(c.db, (int64_t[]){3, K, N}, 3 * sizeof(int64_t));
            break;
        case 7: /* [2,M,K] x [2,K,N]: fewer batches than threads */
            c.ra = 3, c.rb = 3;
            memcpy(c.da, (int64_t[]){2, M, K}, 3 * sizeof(int64_t));
            memcpy(c.db, (int64_t[]){2, K, N}, 3 * sizeof(int64_t));
            break;
        case 8: /* [M,K] x [2,K,N], A constant (packed at load) */
            c.ra = 2, c.rb = 3, c.ca = true;
            memcpy(c.da, (int64_t[]){M, K}, 2 * sizeof(int64_t));
            memcpy(c.db, (int64_t[]){2, K, N}, 3 * sizeof(int64_t));
            break;
        case 9: /* [5,1,K] x [K,N]: M = 1 rows fold to M = 5 */
            c.ra = 3, c.rb = 2;
            memcpy(c.da, (int64_t[]){5, 1, K}, 3 * sizeof(int64_t));
            memcpy(c.db, (int64_t[]){K, N}, 2 * sizeof(int64_t));
            break;
        case 10: /* [4,1,K] x [4,K,N]: batched matrix-vector */
            c.ra = 3, c.rb = 3;
            memcpy(c.da, (int64_t[]){4, 1, K}, 3 * sizeof(int64_t));
            memcpy(c.db, (int64_t[]){4, K, N}, 3 * sizeof(int64_t));
            break;
        case 11: /* [K] x [3,K,N]: 1-D A with a batched B */
            c.ra = 1, c.rb = 3, c.da[0] = K;
            memcpy(c.db, (int64_t[]){3, K, N}, 3 * sizeof(int64_t));
            break;
        case 12: /* [2,M,K] x [K]: batched A, 1-D B */
            c.ra = 3, c.rb = 1, c.db[0] = K;
            memcpy(c.da, (int64_t[]){2, M, K}, 3 * sizeof(int64_t));
            break;
        case 13: /* [2,3,M,K] x [3,K,N]: B broadcast over the leading dim (no fold) */
            c.ra = 4, c.rb = 3;
            memcpy(c.da, (int64_t[]){2, 3, M, K}, sizeof c.da);
            memcpy(c.db, (int64_t[]){3, K, N}, 3 * sizeof(int64_t));
            break;
        case 14: /* [M,K] x [K,N], A constant */
            c = mm2(M, N, K, c.cb);
            c.ca = true;
            break;
        default: /* attention: [1,8,M,K] x [1,8,K,N] */
            c.ra = 4, c.rb = 4;
            memcpy(c.da, (int64_t[]){1, 8, M, K}, sizeof c.da);
            memcpy(c.db, (int64_t[]){1, 8, K, N}, sizeof c.db);
            break;
        }
        run_case(&c, i % 2 ? pool : NULL, 5000u + (unsigned)i);
    }
}

/* C forms: rank, dims from (M, N). */
static void c_form(int f, int64_t M, int64_t N, mcase *c)
{
    c->rc = (int[]){-1, 0, 1, 1, 2, 2, 2, 2}[f];
    switch (f) {
    case 2: c->dc[0] = 1; break;
    case 3: c->dc[0] = N; break;
    case 4: c->dc[0] = 1, c->dc[1] = N; break;
    case 5: c->dc[0] = M, c->dc[1] = 1; break;
    case 6: c->dc[0] = 1, c->dc[1] = 1; break;
    case 7: c->dc[0] = M, c->dc[1] = N; break;
    default: break;
    }
}

static mcase gemm_case(int64_t M, int64_t N, int64_t K, int ta, int tb, int cf, float alpha,
                       float beta)
{
    mcase c = {.gemm = true, .ra = 2, .rb = 2, .ta = ta, .tb = tb, .alpha = alpha, .beta = beta};
    c.da[0] = ta ? K : M, c.da[1] = ta ? M : K;
    c.db[0] = tb ? N : K, c.db[1] = tb ? K : N;
    c_form(cf, M, N, &c);
    return c;
}

static void gemm_cases(ert_threadpool *pool)
{
    static const float alphas[] = {1.0f, 0.5f, -1.25f, 0.0f};
    static const float betas[] = {1.0f, 0.0f, 2.0f, -0.75f};
    /* every C form x trans flags on a fixed odd shape, and on M = 1 / N = 1 */
    const int64_t shapes[][3] = {{17, 33, 15}, {1, 100, 64}, {7, 1, 17}, {1, 1, 3}};
    int i = 0;
    for (int s = 0; s < 4; s++)
        for (int cf = 0; cf < 8; cf++)
            for (int tr = 0; tr < 4; tr++, i++) {
                mcase c = gemm_case(shapes[s][0], shapes[s][1], shapes[s][2], tr & 1, tr >> 1,
                                    cf, alphas[i % 3], betas[(i / 3) % 4]);
                c.cb = i % 2 == 0, c.cc = i % 3 == 0, c.ca = i % 5 == 0;
                run_case(&c, i % 2 ? pool : NULL, 20000u + (unsigned)i);
            }
    unsigned seed = 4242u;
    for (int r = 0; r < 300; r++) {
        int64_t M = k_sizes[pick(&seed, N_SIZES)], N = k_sizes[pick(&seed, N_SIZES)];
        int64_t K = k_sizes[pick(&seed, N_SIZES)];
        mcase c = gemm_case(M, N, K, (int)pick(&seed, 2), (int)pick(&seed, 2),
                            (int)pick(&seed, 8), alphas[pick(&seed, 4)], betas[pick(&seed, 4)]);
        c.ca = pick(&seed, 4) == 0, c.cb = pick(&seed, 3) != 0, c.cc = pick(&seed, 2) != 0;
        run_case(&c, r % 2 ? pool : NULL, 30000u + (unsigned)r);
    }
    /* K over several K blocks (sgemm's depth cap is 384) with a narrow last strip */
    for (int r = 0; r < 4; r++) {
        mcase d = gemm_case(r < 2 ? 17 : 1, 100, 777, 0, r & 1, 3, 1.0f, 1.0f);
        d.cb = true;
        run_case(&d, r % 2 ? pool : NULL, 40000u + (unsigned)r);
        mcase m = mm2(r < 2 ? 9 : 1, 52 + r, 1000, r % 2 == 0);
        run_case(&m, r % 2 ? NULL : pool, 41000u + (unsigned)r);
    }
    /* FusedGemm: every activation, through the SGEMM's epilogue (M > 1) and the GEMV and
     * alpha = 0 paths (applied afterwards), constant and run-time B */
    static const char *const acts[] = {"Relu", "Clip", "LeakyRelu", "Sigmoid", "Silu",
                                       "HardSigmoid", "HardSwish", "Gelu", "GeluTanh", "Tanh",
                                       "Elu"};
    for (int a = 0; a < 11; a++)
        for (int v = 0; v < 3; v++) {
            static const int64_t sh[3][3] = {{33, 100, 70}, {1, 64, 48}, {9, 17, 400}};
            mcase fg = gemm_case(sh[v][0], sh[v][1], sh[v][2], v == 2, a % 2, 3,
                                 v == 1 && a % 3 == 0 ? 0.0f : 0.9f, 1.1f);
            fg.act = acts[a];
            fg.cb = v != 2, fg.cc = true;
            run_case(&fg, a % 2 ? pool : NULL, 50000u + (unsigned)(a * 3 + v));
        }
    /* the classifier shape of ResNet-50 (transB, constant B, C [N]) */
    mcase fc = gemm_case(1, 1000, 2048, 0, 1, 3, 1.0f, 1.0f);
    fc.cb = fc.cc = true;
    run_case(&fc, NULL, 1u);
    run_case(&fc, pool, 2u);
}

/* K = 0 (Y is the C term or zero) and empty outputs. */
static void empty_cases(ert_threadpool *pool)
{
    mcase cs[] = {mm2(3, 5, 0, true), mm2(0, 5, 4, false), mm2(3, 0, 4, true),
                  gemm_case(4, 6, 0, 0, 1, 7, 1.0f, 0.5f), gemm_case(1, 9, 0, 1, 0, 3, 2.0f, 1.0f)};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        cs[i].cc = true;
        run_case(&cs[i], NULL, 900u + (unsigned)i);
        run_case(&cs[i], pool, 950u + (unsigned)i);
    }
}

/* Non-float32 and rank-3 Gemm operands are declined; the table lists the family. */
static void check_declines_and_table(void)
{
    net t;
    mcase c = mm2(4, 4, 4, true);
    build(&t, &c, 1);
    const ert_kernel *ks[16];
    int n = ert_cpu_kernels(&t.node, &t.g, ert_cpu_get()->best, ks, 16);
    bool found = false;
    for (int i = 0; i < n; i++)
        found |= strstr(ks[i]->name, "matmul.sgemm.") == ks[i]->name;
    g_cases++;
    if (!found || !ert_cpu_kernel_by_name("matmul.sgemm.generic")) {
        g_fail++;
        fprintf(stderr, "FAIL kernel table lacks the matmul kernels for MatMul\n");
    }
    t.v[VA].t.dtype = t.v[VB].t.dtype = ERT_DTYPE_INT32;
    for (const ert_kernel *const *kp = ert_matmul_kernels; *kp; kp++) {
        g_cases++;
        if ((*kp)->supports(&t.node, &t.g)) {
            g_fail++;
            fprintf(stderr, "FAIL %s claims an int32 MatMul\n", (*kp)->name);
        }
    }
    free_net(&t);
    mcase gc = gemm_case(4, 4, 4, 0, 0, 3, 1.0f, 1.0f);
    build(&t, &gc, 1);
    found = false;
    n = ert_cpu_kernels(&t.node, &t.g, ert_cpu_get()->best, ks, 16);
    for (int i = 0; i < n; i++)
        found |= strstr(ks[i]->name, "matmul.sgemm.") == ks[i]->name;
    g_cases++;
    if (!found) {
        g_fail++;
        fprintf(stderr, "FAIL kernel table lacks the matmul kernels for Gemm\n");
    }
    t.v[VA].t.rank = 3;
    t.v[VA].t.dims[2] = 1;
    for (const ert_kernel *const *kp = ert_matmul_kernels; *kp; kp++) {
        g_cases++;
        if ((*kp)->supports(&t.node, &t.g)) {
            g_fail++;
            fprintf(stderr, "FAIL %s claims a rank-3 Gemm\n", (*kp)->name);
        }
    }
    free_net(&t);
}

int main(void)
{
    ert_threadpool *pool = NULL;
    if (ert_threadpool_create(3, NULL, &pool)) {
        fprintf(stderr, "thread pool: out of memory\n");
        return 1;
    }
    check_declines_and_table();
    empty_cases(pool);
    gemm_cases(pool);
    matmul_batched(pool);
    matmul_2d(pool);
    ert_threadpool_free(pool);
    printf("%d kernel runs, %d failed\n", g_cases, g_fail);
    return g_fail ? 1 : 0;
}
