/*
 * test_copy.c - concat.copy and split.copy (src/kernels/copy/) against the reference
 * Concat and Split (src/ops/concat.c), through supports -> plan -> run, with and without
 * a thread pool.
 *
 * Matrix: ranks 1-5, every axis (given negative half of the time), 1-6 parts of random
 * sizes including 0, dims 1-37 with many 1s, element sizes 1, 2, 4 and 8 bytes; and the
 * shapes of YOLO's detection head (85-wide rows cut into 2 + 2 + 81) and of a CNN's
 * channel concat. Every buffer ends at a guard page; outputs are pre-filled with a
 * pattern the kernel must overwrite and compared byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/copy/copy.h"
#include "kernels/cpu.h"
#include "kernels/kernel.h"
#include "ops/op.h"
#include "runtime/threadpool.h"
#include "test_gemm_guard.h"

#define MAXP 6

static int g_fail, g_runs;

typedef struct tcase {
    int rank, axis, n_parts;
    int64_t dims[5];        /* the whole tensor's dims; dims[axis] = sum of sizes */
    int64_t sizes[MAXP];    /* each part's extent along the axis */
    ert_dtype dtype;
    bool neg_axis;
} tcase;

/* One node: Concat(parts) -> whole, or Split(whole) -> parts (opset 11, 'split' attr). */
typedef struct net {
    ert_graph g;
    ert_value v[MAXP + 1];  /* v[0]: whole, v[1 + i]: part i */
    ert_node node;
    int ins[MAXP], outs[MAXP], whole;
    ert_attr attrs[2];
    int64_t split[MAXP];
    guard_buf bufs[MAXP + 1];
} net;

/* Guard-page buffer of nbytes ending at the guard, filled with random bytes. */
static void *guarded(guard_buf *b, size_t nbytes, unsigned *seed)
{
    unsigned char *d = (unsigned char *)guard_alloc(b, (nbytes + 3) / 4 + 1);
    d += ((nbytes + 3) / 4 + 1) * 4 - nbytes;
    for (size_t i = 0; i < nbytes; i++)
        d[i] = (unsigned char)((test_rand(seed) + 1.0f) * 127.5f);
    return d;
}

static void set_tensor(ert_tensor *t, const tcase *c, int64_t axis_dim)
{
    t->dtype = c->dtype;
    t->rank = c->rank;
    memcpy(t->dims, c->dims, sizeof(int64_t) * (size_t)c->rank);
    t->dims[c->axis] = axis_dim;
    t->nbytes = (size_t)ert_tensor_numel(t) * ert_dtype_size_(c->dtype);
}

static void build(net *t, const tcase *c, bool concat, unsigned seed)
{
    memset(t, 0, sizeof *t);
    set_tensor(&t->v[0].t, c, c->dims[c->axis]);
    for (int i = 0; i < c->n_parts; i++) {
        set_tensor(&t->v[1 + i].t, c, c->sizes[i]);
        t->split[i] = c->sizes[i];
    }
    ert_node *n = &t->node;
    n->name = concat ? "cat" : "cut";
    n->op = ert_op_find("", concat ? "Concat" : "Split");
    n->version = concat ? 13 : 11;
    t->attrs[0] = (ert_attr){.name = "axis", .type = ERT_ATTR_INT,
                             .i = c->neg_axis ? c->axis - c->rank : c->axis};
    t->attrs[1] = (ert_attr){.name = "split", .type = ERT_ATTR_INTS, .n = c->n_parts,
                             .ints = t->split};
    n->attrs = t->attrs;
    n->n_attrs = concat ? 1 : 2;
    for (int i = 0; i < c->n_parts; i++)
        t->ins[i] = t->outs[i] = 1 + i;
    t->whole = 0;
    n->inputs = concat ? t->ins : &t->whole;
    n->n_inputs = concat ? c->n_parts : 1;
    n->outputs = concat ? &t->whole : t->outs;
    n->n_outputs = concat ? 1 : c->n_parts;
    /* sources get data now; node arrays are rebuilt by the caller's kctx */
    if (concat)
        for (int i = 0; i < c->n_parts; i++)
            t->v[1 + i].t.data = guarded(&t->bufs[1 + i], t->v[1 + i].t.nbytes, &seed);
    else
        t->v[0].t.data = guarded(&t->bufs[0], t->v[0].t.nbytes, &seed);
    t->g.values = t->v;
    t->g.n_values = 1 + c->n_parts;
    t->g.nodes = n;
    t->g.n_nodes = 1;
}

static void free_net(net *t)
{
    for (int i = 0; i <= MAXP; i++)
        guard_free(&t->bufs[i]);
}

/* Sink tensors like the node's outputs, pre-filled with 0xA5, ending at guard pages. */
static void sinks(const net *t, const tcase *c, bool concat, ert_tensor *y, guard_buf *b)
{
    int n = concat ? 1 : c->n_parts;
    for (int i = 0; i < n; i++) {
        y[i] = t->v[concat ? 0 : 1 + i].t;
        unsigned char *d = (unsigned char *)guard_alloc(&b[i], (y[i].nbytes + 3) / 4 + 1);
        d += ((y[i].nbytes + 3) / 4 + 1) * 4 - y[i].nbytes;
        memset(d, 0xA5, y[i].nbytes);
        y[i].data = d;
        y[i].capacity = 0;
    }
}

static ert_kctx make_ctx(net *t, const tcase *c, bool concat, ert_tensor **in, ert_tensor **out,
                         ert_tensor *y, ert_err *err)
{
    for (int i = 0; i < ERT_KCTX_MIN_SLOTS; i++)
        in[i] = out[i] = NULL;
    int n_in = concat ? c->n_parts : 1, n_out = concat ? 1 : c->n_parts;
    for (int i = 0; i < n_in; i++)
        in[i] = concat ? &t->v[1 + i].t : &t->v[0].t;
    for (int i = 0; i < n_out; i++)
        out[i] = &y[i];
    return (ert_kctx){.node = &t->node, .version = t->node.version, .n_in = n_in, .in = in,
                      .n_out = n_out, .out = out, .err = err};
}

static void describe(const tcase *c, bool concat, char *what, size_t cap)
{
    int len = snprintf(what, cap, "%s %s dims", concat ? "Concat" : "Split",
                       ert_dtype_name(c->dtype));
    for (int i = 0; i < c->rank; i++)
        len += snprintf(what + len, cap - (size_t)len, "%s%lld", i ? "x" : " ",
                        (long long)c->dims[i]);
    len += snprintf(what + len, cap - (size_t)len, " axis %d parts", c->axis);
    for (int i = 0; i < c->n_parts; i++)
        len += snprintf(what + len, cap - (size_t)len, " %lld", (long long)c->sizes[i]);
}

static void run_case(const tcase *c, bool concat, ert_threadpool *pool, unsigned seed)
{
    char what[256];
    describe(c, concat, what, sizeof what);
    net t;
    build(&t, c, concat, seed);
    int n_out = concat ? 1 : c->n_parts;
    ert_tensor want[MAXP], got[MAXP], *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    guard_buf wb[MAXP] = {{0}}, gb[MAXP] = {{0}};
    ert_err err = {{0}};
    sinks(&t, c, concat, want, wb);
    ert_kctx k = make_ctx(&t, c, concat, in, out, want, &err);
    ert_status st = concat ? ert_run_concat(&k) : ert_run_split(&k);
    const ert_kernel *const *list = concat ? ert_concat_kernels : ert_split_kernels;
    if (st != ERT_OK) {
        g_fail++;
        fprintf(stderr, "FAIL reference %s: %s\n", what, err.msg);
    } else if (!list[0]->supports(&t.node, &t.g)) {
        g_fail++;
        fprintf(stderr, "FAIL %s declines %s\n", list[0]->name, what);
    } else {
        sinks(&t, c, concat, got, gb);
        k = make_ctx(&t, c, concat, in, out, got, &err);
        static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
        size_t ws = 1;
        k.params = params;
        k.pool = pool;
        g_runs++;
        if (list[0]->plan(&k, &ws) || ws != 0 || list[0]->run(&k)) {
            g_fail++;
            fprintf(stderr, "FAIL %s %s: %s\n", list[0]->name, what, err.msg);
        } else {
            for (int i = 0; i < n_out; i++)
                if (memcmp(got[i].data, want[i].data, want[i].nbytes) != 0) {
                    g_fail++;
                    fprintf(stderr, "FAIL %s %s: output %d differs from the reference\n",
                            list[0]->name, what, i);
                }
        }
    }
    for (int i = 0; i < n_out; i++) {
        guard_free(&wb[i]);
        guard_free(&gb[i]);
    }
    free_net(&t);
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
    c->rank = 1 + (int)(next(s) % 5);
    c->dtype = types[next(s) % 5];
    c->axis = (int)(next(s) % (unsigned)c->rank);
    c->neg_axis = next(s) % 2;
    c->n_parts = 1 + (int)(next(s) % MAXP);
    int64_t budget = 40000;
    for (int i = 0; i < c->rank; i++) {
        int64_t d = next(s) % 3 == 0 ? 1 : 1 + (int64_t)(next(s) % 37);
        c->dims[i] = d > budget ? 1 : d;
        budget /= c->dims[i];
    }
    int64_t sum = 0;
    for (int i = 0; i < c->n_parts; i++) {
        c->sizes[i] = next(s) % 5 == 0 ? 0 : 1 + (int64_t)(next(s) % 9);
        sum += c->sizes[i];
    }
    c->dims[c->axis] = sum;
}

static void fixed_cases(ert_threadpool *pool)
{
    static const tcase cases[] = {
        {5, 4, 3, {1, 3, 80, 80, 85}, {2, 2, 81}, ERT_DTYPE_FLOAT32, true},
        {3, 1, 3, {1, 25200, 85}, {19200, 4800, 1200}, ERT_DTYPE_FLOAT32, false},
        {4, 1, 2, {1, 256, 40, 40}, {128, 128}, ERT_DTYPE_FLOAT32, false},
        {4, 1, 4, {2, 70, 9, 11}, {7, 21, 0, 42}, ERT_DTYPE_FLOAT32, false},
        {2, 1, 3, {5000, 37}, {1, 35, 1}, ERT_DTYPE_UINT8, true},
        {2, 0, 2, {10, 3}, {4, 6}, ERT_DTYPE_INT64, false},
        {1, 0, 3, {0}, {0, 0, 0}, ERT_DTYPE_FLOAT32, false},
        {3, 2, 2, {0, 4, 6}, {3, 3}, ERT_DTYPE_FLOAT32, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int concat = 0; concat < 2; concat++)
            run_case(&cases[i], concat, i % 2 ? pool : NULL, 77u + (unsigned)i);
}

int main(void)
{
    ert_threadpool *pool = NULL;
    if (ert_threadpool_create(3, NULL, &pool)) {
        fprintf(stderr, "thread pool: out of memory\n");
        return 1;
    }
    fixed_cases(pool);
    unsigned seed = 4243u;
    for (int i = 0; i < 400; i++) {
        tcase c;
        random_case(&seed, &c);
        run_case(&c, i % 2, i % 4 < 2 ? pool : NULL, 9000u + (unsigned)i);
    }
    ert_threadpool_free(pool);
    printf("%d kernel runs, %d failed\n", g_runs, g_fail);
    return g_fail ? 1 : 0;
}
