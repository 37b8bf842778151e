/*
 * test_act_util.h - helpers shared by the fast-kernel tests (test_act, test_eltwise,
 * test_dwconv, test_pool): guard-page buffers, a deterministic RNG, float comparison
 * with a stated tolerance, and running an op's reference kernel through the registry.
 */
#ifndef ERT_TEST_ACT_UTIL_H
#define ERT_TEST_ACT_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int g_fail;

#define CHECK(cond, ...)                                      \
    do {                                                      \
        if (!(cond)) {                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                     \
            fputc('\n', stderr);                              \
            g_fail++;                                         \
        }                                                     \
    } while (0)

/* A buffer whose last byte is followed by a PROT_NONE page: any read or write past
 * n bytes faults at once. */
typedef struct gbuf {
    void *base;   /* mapping start */
    size_t len;   /* mapping length */
    void *data;   /* n bytes ending right at the guard page */
} gbuf;

static inline void *gbuf_alloc(gbuf *g, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (n + pg - 1) / pg;
    g->len = (data_pages + 1) * pg;
    g->base = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->base == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    char *guard = (char *)g->base + data_pages * pg;
    if (mprotect(guard, pg, PROT_NONE) != 0) {
        perror("mprotect");
        exit(2);
    }
    g->data = guard - n;
    return g->data;
}

static inline void gbuf_free(gbuf *g)
{
    if (g->base)
        munmap(g->base, g->len);
    g->base = g->data = NULL;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static inline uint32_t rng_u32(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 11);
}
/* uniform in [lo, hi) */
static inline float rng_f(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rng_u32() >> 8) * (1.0f / 16777216.0f);
}

/* |got - want| <= atol + rtol |want|, NaN matches NaN, inf matches the same inf. */
static inline int close_f(float got, float want, float atol, float rtol)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got))
        return got == want;
    return fabsf(got - want) <= atol + rtol * fabsf(want);
}

/* ---- one node, run by its reference kernel and by fast kernels ---- */

#include "kernels/cpu.h"
#include "kernels/kernel.h"
#include "runtime/threadpool.h"

#define TH_MAX_IN 8
#define TH_MAX_ATTR 12

typedef struct th_case {
    ert_graph g;
    ert_value vals[TH_MAX_IN + 3]; /* inputs, then up to 3 outputs (test_rnn) */
    ert_node node;
    int ins[TH_MAX_IN], outs[1];
    ert_attr attrs[TH_MAX_ATTR];
    int n_in;
    ert_tensor in[TH_MAX_IN]; /* data in guard buffers */
    gbuf gin[TH_MAX_IN];
    bool present[TH_MAX_IN];
    ert_tensor ref;           /* reference output (malloc) */
    char desc[200];           /* what the case is, for messages */
} th_case;

static inline void th_init(th_case *c, const char *domain, const char *op, int version)
{
    memset(c, 0, sizeof *c);
    c->node.op = ert_op_find(domain, op);
    if (!c->node.op) {
        fprintf(stderr, "op %s not in the registry\n", op);
        exit(2);
    }
    c->node.op_type = (char *)op;
    c->node.domain = (char *)domain;
    c->node.name = (char *)"test";
    c->node.version = version;
    c->node.opset = version;
    c->node.inputs = c->ins;
    c->node.outputs = c->outs;
    c->node.n_outputs = 1;
    c->node.attrs = c->attrs;
    c->g.values = c->vals;
    c->g.nodes = &c->node;
    c->g.n_nodes = 1;
}

static inline ert_attr *th_attr(th_case *c, const char *name, ert_attr_type t)
{
    ert_attr *a = &c->attrs[c->node.n_attrs++];
    a->name = (char *)name;
    a->type = t;
    return a;
}
static inline void th_attr_int(th_case *c, const char *name, int64_t v)
{
    th_attr(c, name, ERT_ATTR_INT)->i = v;
}
static inline void th_attr_float(th_case *c, const char *name, float v)
{
    th_attr(c, name, ERT_ATTR_FLOAT)->f = v;
}
static inline void th_attr_string(th_case *c, const char *name, const char *v)
{
    ert_attr *a = th_attr(c, name, ERT_ATTR_STRING);
    a->s = (char *)v;
    a->s_len = strlen(v);
}
/* v must outlive the case */
static inline void th_attr_ints(th_case *c, const char *name, int64_t *v, int n)
{
    ert_attr *a = th_attr(c, name, ERT_ATTR_INTS);
    a->ints = v;
    a->n = n;
}
static inline void th_attr_floats(th_case *c, const char *name, float *v, int n)
{
    ert_attr *a = th_attr(c, name, ERT_ATTR_FLOATS);
    a->floats = v;
    a->n = n;
}

/* Input slot i: float32 of the given shape, data copied (NULL: random in [lo, hi)),
 * a graph constant when is_const. Slots must be added in order; th_skip omits one. */
static inline float *th_input(th_case *c, int rank, const int64_t *dims, const float *data,
                              bool is_const, float lo, float hi)
{
    int i = c->n_in++;
    ert_tensor *t = &c->in[i];
    t->dtype = ERT_DTYPE_FLOAT32;
    ert_tensor_set_shape(t, rank, dims);
    int64_t n = ert_tensor_numel(t);
    float *d = gbuf_alloc(&c->gin[i], (size_t)n * sizeof(float));
    for (int64_t j = 0; j < n; j++)
        d[j] = data ? data[j] : rng_f(lo, hi);
    t->data = d;
    t->nbytes = (size_t)n * sizeof(float);
    c->present[i] = true;
    c->ins[i] = i;
    c->vals[i].t = *t;
    c->vals[i].kind = is_const ? ERT_VALUE_CONST : ERT_VALUE_INPUT;
    if (!is_const)
        c->vals[i].t.data = NULL;
    c->node.n_inputs = c->n_in;
    c->g.n_values = c->n_in + 1;
    return d;
}

/* Input slot i: an int64 vector of n values (axes, pads), a graph constant when is_const. */
static inline void th_input_i64(th_case *c, const int64_t *v, int n, bool is_const)
{
    int i = c->n_in++;
    ert_tensor *t = &c->in[i];
    int64_t d = n;
    t->dtype = ERT_DTYPE_INT64;
    ert_tensor_set_shape(t, 1, &d);
    int64_t *p = gbuf_alloc(&c->gin[i], (size_t)(n > 0 ? n : 1) * sizeof(int64_t));
    memcpy(p, v, sizeof(int64_t) * (size_t)n);
    t->data = p;
    t->nbytes = (size_t)n * sizeof(int64_t);
    c->present[i] = true;
    c->ins[i] = i;
    c->vals[i].t = *t;
    c->vals[i].kind = is_const ? ERT_VALUE_CONST : ERT_VALUE_INPUT;
    if (!is_const)
        c->vals[i].t.data = NULL;
    c->node.n_inputs = c->n_in;
    c->g.n_values = c->n_in + 1;
}

static inline void th_skip(th_case *c)
{
    int i = c->n_in++;
    c->ins[i] = -1;
    c->node.n_inputs = c->n_in;
}

static inline void th_kctx(th_case *c, ert_kctx *k, ert_tensor **in, ert_tensor **out,
                           ert_err *err)
{
    for (int i = 0; i < ERT_KCTX_MIN_SLOTS; i++)
        in[i] = out[i] = NULL;
    for (int i = 0; i < c->n_in; i++)
        in[i] = c->present[i] ? &c->in[i] : NULL;
    *k = (ert_kctx){.node = &c->node, .version = c->node.version, .n_in = c->n_in, .in = in,
                    .n_out = 1, .out = out, .err = err};
}

/* Infers and runs the reference kernel into c->ref; sets the output value's type. */
static inline int th_reference(th_case *c)
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_err err = {0};
    ert_kctx k;
    th_kctx(c, &k, in, out, &err);
    memset(&c->ref, 0, sizeof c->ref);
    out[0] = &c->ref;
    int oi = c->n_in;
    c->outs[0] = oi;
    if (c->node.op->infer(&k) != ERT_OK) {
        fprintf(stderr, "%s: infer failed: %s\n", c->desc, err.msg);
        return -1;
    }
    size_t nb = (size_t)ert_tensor_numel(&c->ref) * sizeof(float);
    c->ref.data = malloc(nb ? nb : 4);
    c->ref.nbytes = nb;
    if (c->node.op->run(&k) != ERT_OK) {
        fprintf(stderr, "%s: reference failed: %s\n", c->desc, err.msg);
        return -1;
    }
    c->vals[oi].t = c->ref;
    c->vals[oi].t.data = NULL;
    c->vals[oi].kind = ERT_VALUE_INTERMEDIATE;
    c->g.n_values = oi + 1;
    return 0;
}

static inline void th_free(th_case *c)
{
    for (int i = 0; i < c->n_in; i++)
        gbuf_free(&c->gin[i]);
    free(c->ref.data);
    c->ref.data = NULL;
}

/* Runs kernel kern on the case (pack, plan, run, in guard buffers, with pool) and
 * compares with the reference: |d| <= atol + rtol |ref|. inplace: the output buffer is
 * input 0's (the caller makes sure shapes agree). Returns the number of mismatches. */
static inline int th_check(th_case *c, const ert_kernel *kern, ert_threadpool *pool,
                           float atol, float rtol, bool inplace)
{
    ert_tensor *in[ERT_KCTX_MIN_SLOTS], *out[ERT_KCTX_MIN_SLOTS];
    ert_err err = {0};
    ert_kctx k;
    th_kctx(c, &k, in, out, &err);
    int64_t n = ert_tensor_numel(&c->ref);
    ert_tensor y = c->ref;
    gbuf gy = {0}, gws = {0};
    float *saved = NULL;
    if (inplace) {
        saved = malloc(c->in[0].nbytes + 4);
        memcpy(saved, c->in[0].data, c->in[0].nbytes);
        y.data = c->in[0].data;
    } else {
        y.data = gbuf_alloc(&gy, (size_t)n * sizeof(float));
        for (int64_t i = 0; i < n; i++)
            ((float *)y.data)[i] = NAN; /* unwritten outputs show */
    }
    out[0] = &y;
    void *packed = NULL;
    static _Alignas(64) unsigned char params[ERT_STEP_PARAMS_BYTES];
    memset(params, 0xA5, sizeof params);
    k.params = params;
    k.pool = pool;
    int bad = 0;
    if (kern->pack && kern->pack(&c->node, &c->g, &packed, &err) != ERT_OK) {
        fprintf(stderr, "%s [%s]: pack failed: %s\n", c->desc, kern->name, err.msg);
        bad = 1;
        goto done;
    }
    k.packed = packed;
    size_t ws = 0;
    if (kern->plan && kern->plan(&k, &ws) != ERT_OK) {
        fprintf(stderr, "%s [%s]: plan failed: %s\n", c->desc, kern->name, err.msg);
        bad = 1;
        goto done;
    }
    k.ws = ws ? gbuf_alloc(&gws, ws) : NULL;
    k.ws_bytes = ws;
    if (kern->run(&k) != ERT_OK) {
        fprintf(stderr, "%s [%s]: run failed: %s\n", c->desc, kern->name, err.msg);
        bad = 1;
        goto done;
    }
    /* twice: the second run finds the workspace (and, out of place, Y) full of garbage
     * left by "another step", so no state may survive between runs */
    for (int pass = 0; pass < 2 && !bad; pass++) {
        if (pass == 1) {
            if (inplace)
                memcpy(c->in[0].data, saved, c->in[0].nbytes);
            else
                memset(y.data, 0x7f, (size_t)n * sizeof(float));
            if (ws)
                memset(k.ws, 0x5a, ws);
            if (kern->run(&k) != ERT_OK) {
                fprintf(stderr, "%s [%s]: second run failed: %s\n", c->desc, kern->name,
                        err.msg);
                bad = 1;
                break;
            }
        }
        const float *got = y.data, *want = c->ref.data;
        for (int64_t i = 0; i < n; i++)
            if (!close_f(got[i], want[i], atol, rtol)) {
                if (bad < 3)
                    fprintf(stderr, "FAIL %s [%s] run %d: y[%lld] = %.9g, reference %.9g\n",
                            c->desc, kern->name, pass + 1, (long long)i, got[i], want[i]);
                bad++;
            }
    }
done:
    if (packed && kern->free_packed)
        kern->free_packed(packed);
    if (inplace) {
        memcpy(c->in[0].data, saved, c->in[0].nbytes);
        free(saved);
    }
    gbuf_free(&gy);
    gbuf_free(&gws);
    if (bad)
        g_fail++;
    return bad;
}

/* The kernels of family `prefix` ("binary.") the table offers for the case at isa;
 * returns how many (<= max). */
static inline int th_kernels(th_case *c, ert_isa isa, const char *prefix,
                             const ert_kernel **out, int max)
{
    const ert_kernel *all[32];
    int n = ert_cpu_kernels(&c->node, &c->g, isa, all, 32), m = 0;
    for (int i = 0; i < n && m < max; i++)
        if (strncmp(all[i]->name, prefix, strlen(prefix)) == 0)
            out[m++] = all[i];
    return m;
}

/* ISA levels whose own kernel a case expects (bit 1 << isa). */
#define TH_ALL 0x7u /* generic, avx2, avx512 */
#define TH_VEC 0x6u /* avx2, avx512: the generic level declines (the reference is as fast) */
#define TH_NEON (1u << ERT_ISA_NEON) /* added by the families that have a NEON level */

/* The top level of this build's architecture, for "every kernel declines" checks:
 * AVX-512 on x86 (its kernels are listed even where the CPU lacks it), NEON on AArch64. */
static inline ert_isa th_top_isa(void)
{
#if defined(__aarch64__)
    return ERT_ISA_NEON;
#else
    return ERT_ISA_AVX512;
#endif
}

/* Runs every offered kernel of the family at every ISA level up to the CPU's (those of
 * its architecture: NEON is numbered after the x86 levels, and a cap of the other
 * architecture means generic); checks that the level's own kernel is among them for the
 * levels in `expect` (TH_*), so "the AVX-512 path ran" is tested, not assumed. Returns
 * kernels run. */
static inline int th_all_isas(th_case *c, const char *prefix, ert_threadpool *pool,
                              float atol, float rtol, unsigned expect, bool inplace)
{
    static const char *const sfx[] = {"generic", "avx2", "avx512", "neon"};
    int ran = 0;
    ert_isa best = ert_cpu_get()->best;
    for (int isa = ERT_ISA_GENERIC; isa <= (int)best && isa <= ERT_ISA_NEON; isa++) {
        if (isa != ERT_ISA_GENERIC && (isa == ERT_ISA_NEON) != (best == ERT_ISA_NEON))
            continue;
        ert_cpu_set_isa_cap((ert_isa)isa);
        const ert_kernel *ks[8];
        int n = th_kernels(c, (ert_isa)isa, prefix, ks, 8);
        bool found = false;
        for (int i = 0; i < n; i++) {
            const char *dot = strrchr(ks[i]->name, '.');
            if (ks[i]->isa == (ert_isa)isa && dot && strcmp(dot + 1, sfx[isa]) == 0)
                found = true;
            th_check(c, ks[i], pool, atol, rtol, inplace);
            ran++;
        }
        if (expect & (1u << isa))
            CHECK(found, "%s: no %s*%s kernel offered", c->desc, prefix, sfx[isa]);
    }
    ert_cpu_set_isa_cap(best); /* no cap (an AVX-512 cap would mean generic on ARM) */
    return ran;
}

/* Whether this build runs level isa on this CPU: generic, the x86 levels up to the
 * CPU's, or NEON (numbered after AVX-512: an x86 cap on ARM would just mean generic). */
static inline bool th_isa_runs(int isa)
{
    ert_isa best = ert_cpu_get()->best;
    return isa <= (int)best &&
           (isa == ERT_ISA_GENERIC || (isa == ERT_ISA_NEON) == (best == ERT_ISA_NEON));
}

/* Threads of a test's pool: ERT_TEST_THREADS when set (1..64), else `dflt`. Under
 * qemu-user (tests/CMakeLists.txt sets 1 there) spinning workers on an emulated,
 * oversubscribed machine cost ~0.1 s a parallel_for (test_eltwise: 10+ min against 1 s
 * on one thread, where the tasks run inline). */
static inline int th_pool_threads(int dflt)
{
    const char *e = getenv("ERT_TEST_THREADS");
    int n = e ? atoi(e) : 0;
    return n >= 1 && n <= 64 ? n : dflt;
}

#endif /* ERT_TEST_ACT_UTIL_H */
