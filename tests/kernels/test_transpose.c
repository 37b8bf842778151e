/*
 * test_transpose.c - the transpose.<isa> kernels (src/kernels/transpose/) against the
 * reference Transpose (src/ops/slice.c), through supports -> plan -> run, at every ISA
 * level the CPU supports, with and without a thread pool.
 *
 * Matrix: ranks 1-6, random permutations (and the identity, the reversal, the default
 * perm without the attribute), sizes 1-37 with many 1s (dropped and merged axes), element
 * sizes 1, 2, 4 and 8 bytes; large planes for the tiled path's edges (not multiples of 8).
 * Input and output are guard-page buffers; the output is pre-filled with a pattern the
 * kernel must overwrite, and compared byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/cpu.h"
#include "kernels/kernel.h"
#include "kernels/transpose/transpose.h"
#include "ops/op.h"
#include "runtime/threadpool.h"
#include "test_gemm_guard.h"

static int g_fail, g_runs;

typedef struct tcase {
    int rank;
    int64_t dims[6];
    int perm[6];
    bool has_perm;
    ert_dtype dtype;
} tcase;

/* One-node graph X -> Transpose -> Y. */
typedef struct net {
    ert_graph g;
    ert_value v[2];
    ert_node node;
    int inputs[1], outputs[1];
    ert_attr attr;
    int64_t perm[6];
    guard_buf xb;
} net;

static void build(net *t, const tcase *c, unsigned seed)
{
    memset(t, 0, sizeof *t);
    ert_tensor *x = &t->v[0].t;
    x->dtype = c->dtype;
    x->rank = c->rank;
    memcpy(x->dims, c->dims, sizeof(int64_t) * (size_t)c->rank);
    size_t es = ert_dtype_size_(c->dtype), n = (size_t)ert_tensor_numel(x);
    x->nbytes = n * es;
    unsigned char *d = (unsigned char *)guard_alloc(&t->xb, (x->nbytes + 3) / 4);
    d += (x->nbytes + 3) / 4 * 4 - x->nbytes; /* end exactly at the guard page */
    for (size_t i = 0; i < x->nbytes; i++)
        d[i] = (unsigned char)((test_rand(&seed) + 1.0f) * 127.5f);
    x->data = d;
    t->v[0].kind = ERT_VALUE_INPUT;
    t->v[1].t.dtype = c->dtype;
    t->inputs[0] = 0;
    t->outputs[0] = 1;
    t->node.op = ert_op_find("", "Transpose");
    t->node.version = 13;
    t->node.n_inputs = 1;
    t->node.inputs = t->inputs;
    t->node.n_outputs = 1;
    t->node.outputs = t->outputs;
    t->node.name = "tp";
    if (c->has_perm) {
        for (int i = 0; i < c->rank; i++)
            t->perm[i] = c->perm[i];
        t->attr = (ert_attr){.name = "perm", .type = ERT_ATTR_INTS, .n = c->rank, .ints = t->perm};
        t->node.attrs = &t->attr;
        t->node.n_attrs = 1;
    }
    t->g.values = t->v;
    t->g.n_values = 2;
    t->g.nodes = &t->node;
    t->g.n_nodes = 1;
}

static ert_kctx make_ctx(net *t, ert_tensor **in, ert_tensor **out, ert_tensor *y, ert_err *err)
{
    for (int i = 0; i < ERT_KCTX_MIN_SLOTS; i++)
        in[i] = out[i] = NULL;
    in[0] = &t->v[0].t;
    out[0] = y;
    return (ert_kctx){.node = &t->node, .version = 13, .n_in = 1, .in = in, .n_out = 1,
                      .out = out, .err = err};
}

/* One kernel on one case against the reference output `want`. */
static void run_kernel(const ert_kernel *kn, net *t, const ert_tensor *want,
                       ert_threadpool *pool, const char *what)
{
    ert_err err = {{0}};
    ert_tensor y = *want, *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    guard_buf yb = {0};
    unsigned char *d = (unsigned char *)guard_alloc(&yb, (want->nbytes + 3) / 4);
    d += (want->nbytes + 3) / 4 * 4 - want->nbytes;
    memset(d, 0xA5, want->nbytes);
    y.data = d;
    y.capacity = 0;
    ert_kctx k = make_ctx(t, in, out, &y, &err);
    static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    size_t ws = 0;
    k.params = params;
    k.pool = pool;
    g_runs++;
    if (kn->plan(&k, &ws) || ws != 0 || kn->run(&k)) {
        g_fail++;
        fprintf(stderr, "FAIL %s %s: %s\n", kn->name, what, err.msg);
    } else if (memcmp(d, want->data, want->nbytes) != 0) {
        g_fail++;
        fprintf(stderr, "FAIL %s %s: output differs from the reference\n", kn->name, what);
    }
    guard_free(&yb);
}

static void run_case(const tcase *c, ert_threadpool *pool, unsigned seed)
{
    char what[256];
    int len = snprintf(what, sizeof what, "dtype %s dims", ert_dtype_name(c->dtype));
    for (int i = 0; i < c->rank; i++)
        len += snprintf(what + len, sizeof what - (size_t)len, "%s%lld", i ? "x" : " ",
                        (long long)c->dims[i]);
    len += snprintf(what + len, sizeof what - (size_t)len, " perm");
    for (int i = 0; i < c->rank && c->has_perm; i++)
        len += snprintf(what + len, sizeof what - (size_t)len, " %d", c->perm[i]);
    net t;
    build(&t, c, seed);
    ert_err err = {{0}};
    ert_tensor want = {0}, *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_kctx k = make_ctx(&t, in, out, &want, &err);
    if (ert_infer_transpose(&k) || ert_tensor_alloc(&want) || ert_run_transpose(&k)) {
        g_fail++;
        fprintf(stderr, "FAIL reference %s: %s\n", what, err.msg);
    } else {
        for (const ert_kernel *const *kp = ert_transpose_kernels; *kp; kp++) {
            if ((*kp)->isa > ert_cpu_get()->best)
                continue;
            if (!(*kp)->supports(&t.node, &t.g)) {
                g_fail++;
                fprintf(stderr, "FAIL %s declines %s\n", (*kp)->name, what);
                continue;
            }
            run_kernel(*kp, &t, &want, pool, what);
        }
    }
    ert_tensor_free_data(&want);
    guard_free(&t.xb);
}

static unsigned next(unsigned *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void random_case(unsigned *s, tcase *c)
{
    static const ert_dtype types[] = {ERT_DTYPE_UINT8, ERT_DTYPE_FLOAT16, ERT_DTYPE_FLOAT32,
                                      ERT_DTYPE_INT64, ERT_DTYPE_FLOAT32};
    memset(c, 0, sizeof *c);
    c->rank = 1 + (int)(next(s) % 6);
    c->dtype = types[next(s) % 5];
    int64_t budget = 60000;
    for (int i = 0; i < c->rank; i++) {
        int64_t d = next(s) % 3 == 0 ? 1 : 1 + (int64_t)(next(s) % 37);
        if (d > budget)
            d = 1;
        c->dims[i] = d;
        budget /= d;
        c->perm[i] = i;
    }
    for (int i = c->rank - 1; i > 0; i--) { /* Fisher-Yates */
        int j = (int)(next(s) % (unsigned)(i + 1)), tmp = c->perm[i];
        c->perm[i] = c->perm[j];
        c->perm[j] = tmp;
    }
    c->has_perm = next(s) % 8 != 0;
}

/* Planes with edges on every side of the 8x8 tiles, several tasks per plane, and the
 * shapes of real models (YOLO's detection head, attention heads, NCHW <-> NHWC). */
static void fixed_cases(ert_threadpool *pool)
{
    static const tcase cases[] = {
        {5, {1, 3, 85, 80, 80}, {0, 1, 3, 4, 2}, true, ERT_DTYPE_FLOAT32},
        {4, {1, 64, 56, 56}, {0, 2, 3, 1}, true, ERT_DTYPE_FLOAT32},
        {4, {1, 56, 56, 64}, {0, 3, 1, 2}, true, ERT_DTYPE_FLOAT32},
        {4, {2, 40, 8, 15}, {0, 2, 1, 3}, true, ERT_DTYPE_FLOAT32},
        {3, {1, 120, 40}, {0, 2, 1}, true, ERT_DTYPE_FLOAT32},
        {2, {67, 129}, {1, 0}, true, ERT_DTYPE_FLOAT32},
        {2, {8, 8}, {1, 0}, true, ERT_DTYPE_FLOAT32},
        {2, {7, 9}, {1, 0}, false, ERT_DTYPE_FLOAT32},
        {3, {33, 1, 17}, {2, 1, 0}, true, ERT_DTYPE_INT64},
        {4, {3, 5, 7, 9}, {3, 2, 1, 0}, true, ERT_DTYPE_UINT8},
        {3, {4, 1, 6}, {1, 0, 2}, true, ERT_DTYPE_FLOAT32},
        {1, {1000}, {0}, true, ERT_DTYPE_FLOAT32},
        {3, {1, 1, 1}, {2, 0, 1}, true, ERT_DTYPE_FLOAT32},
        {3, {2, 0, 3}, {2, 0, 1}, true, ERT_DTYPE_FLOAT32},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        run_case(&cases[i], i % 2 ? pool : NULL, 77u + (unsigned)i);
}

int main(void)
{
    ert_threadpool *pool = NULL;
    if (ert_threadpool_create(3, NULL, &pool)) {
        fprintf(stderr, "thread pool: out of memory\n");
        return 1;
    }
    fixed_cases(pool);
    unsigned seed = 4242u;
    for (int i = 0; i < 400; i++) {
        tcase c;
        random_case(&seed, &c);
        run_case(&c, i % 2 ? pool : NULL, 9000u + (unsigned)i);
    }
    ert_threadpool_free(pool);
    printf("%d kernel runs, %d failed\n", g_runs, g_fail);
    return g_fail ? 1 : 0;
}
