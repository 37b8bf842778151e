/*
 * tune.c - auto-tuning and the timing cache (see tune.h).
 *
 * Cache file: text, one decision a line, "KEY<TAB>KERNEL<TAB>MEDIAN_NS"; lines starting
 * with '#' are comments. KEY = "cpu=<brand> <family>.<model>|isa=<level>|threads=<n>|
 * <op>|<dtype:dims of each input, c: for constants>|attrs=<hash>".
 */
#include "engine/tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/threadpool.h"
#include "util/fpmode.h"

#define TUNE_REPS 5
#define TUNE_MAX_NS_PER_KERNEL 200000000ull /* stop repeating a slow candidate after 0.2 s */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static ert_status add_entry(ert_tuner *t, const char *key, const char *kernel, double ns)
{
    for (int i = 0; i < t->n_entries; i++)
        if (strcmp(t->entries[i].key, key) == 0) {
            snprintf(t->entries[i].kernel, sizeof t->entries[i].kernel, "%s", kernel);
            t->entries[i].ns = ns;
            return ERT_OK;
        }
    if (t->n_entries == t->cap_entries) {
        int cap = t->cap_entries ? 2 * t->cap_entries : 64;
        ert_tune_entry *e = realloc(t->entries, sizeof *e * (size_t)cap);
        if (!e)
            return ERT_ERR_NO_MEMORY;
        t->entries = e;
        t->cap_entries = cap;
    }
    ert_tune_entry *e = &t->entries[t->n_entries];
    e->key = strdup(key);
    if (!e->key)
        return ERT_ERR_NO_MEMORY;
    snprintf(e->kernel, sizeof e->kernel, "%s", kernel);
    e->ns = ns;
    t->n_entries++;
    return ERT_OK;
}

static ert_status read_cache(ert_tuner *t, ert_err *err)
{
    FILE *f = fopen(t->cache_path, "r");
    if (!f)
        return ERT_OK; /* a new cache */
    char line[2048];
    int ln = 0;
    ert_status st = ERT_OK;
    while (st == ERT_OK && fgets(line, sizeof line, f)) {
        ln++;
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char *k = strtok(line, "\t"), *kern = strtok(NULL, "\t"), *ns = strtok(NULL, "\t\n");
        if (!k || !kern || !ns) {
            st = ert_errf(err, ERT_ERR_PARSE, "timing cache '%s' line %d is malformed (want "
                          "KEY<TAB>KERNEL<TAB>NS): delete the file to rebuild it",
                          t->cache_path, ln);
            break;
        }
        st = add_entry(t, k, kern, atof(ns));
    }
    fclose(f);
    return st;
}

ert_status ert_tuner_init(ert_tuner *t, const ert_load_options *opt, ert_err *err)
{
    memset(t, 0, sizeof *t);
    t->enabled = opt && opt->tune;
    t->threads = opt && opt->tune_threads > 1 ? opt->tune_threads : 1;
    t->budget_ns = opt && opt->tuning_budget_ms > 0 ? (uint64_t)opt->tuning_budget_ms * 1000000u
                                                    : 0;
    t->cache_path = opt ? opt->timing_cache : NULL;
    if (t->enabled && t->threads > 1 &&
        ert_threadpool_create(t->threads, NULL, &t->pool) != ERT_OK)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "cannot start %d tuning threads", t->threads);
    return t->cache_path ? read_cache(t, err) : ERT_OK;
}

#define FNV_OFFSET 1469598103934665603ull /* FNV-1a's initial hash */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ull;
    return h;
}

static uint64_t attrs_hash(const ert_node *n)
{
    uint64_t h = FNV_OFFSET;
    for (int a = 0; a < n->n_attrs; a++) {
        const ert_attr *at = &n->attrs[a];
        h = fnv(h, at->name, strlen(at->name));
        h = fnv(h, &at->type, sizeof at->type);
        h = fnv(h, &at->i, sizeof at->i);
        h = fnv(h, &at->f, sizeof at->f);
        if (at->s)
            h = fnv(h, at->s, at->s_len);
        if (at->ints)
            h = fnv(h, at->ints, sizeof(int64_t) * (size_t)at->n);
        if (at->floats)
            h = fnv(h, at->floats, sizeof(float) * (size_t)at->n);
    }
    return h;
}

/* The layer signature; false if an input shape is not concrete (nothing to time). It ends
 * with a hash of the candidates' names: a build with another kernel set (a new tactic, a
 * removed one) times the layer again instead of keeping a winner chosen without it. */
static bool make_key(const ert_tuner *t, const ert_graph *g, const ert_node *n, ert_isa isa,
                     const ert_kernel **cand, int nc, char *buf, size_t len)
{
    const ert_cpu *cpu = ert_cpu_get();
    int pos = snprintf(buf, len, "cpu=%s %d.%d|isa=%s|threads=%d|%s|", cpu->brand, cpu->family,
                       cpu->model, ert_isa_name(isa), t->threads, n->op_type);
    for (int i = 0; i < n->n_inputs && pos < (int)len; i++) {
        int v = n->inputs[i];
        if (v < 0) {
            pos += snprintf(buf + pos, len - (size_t)pos, "-;");
            continue;
        }
        const ert_tensor *x = &g->values[v].t;
        if (!ert_tensor_shape_known(x) || x->kind != ERT_TENSOR_DENSE)
            return false;
        pos += snprintf(buf + pos, len - (size_t)pos, "%s%s:", g->values[v].kind ==
                        ERT_VALUE_CONST ? "c" : "", ert_dtype_name(x->dtype));
        for (int d = 0; d < x->rank && pos < (int)len; d++)
            pos += snprintf(buf + pos, len - (size_t)pos, "%s%lld", d ? "x" : "",
                            (long long)x->dims[d]);
        pos += snprintf(buf + pos, len - (size_t)pos, ";");
    }
    uint64_t ch = FNV_OFFSET;
    for (int i = 0; i < nc; i++)
        ch = fnv(ch, cand[i]->name, strlen(cand[i]->name) + 1);
    pos += snprintf(buf + pos, len - (size_t)pos, "|attrs=%016llx|cand=%016llx",
                    (unsigned long long)attrs_hash(n), (unsigned long long)ch);
    return pos < (int)len;
}

/* Tensors for timing one node: constants are the model's, the rest random. */
typedef struct bench_io {
    ert_tensor *own;           /* n_in + n_out temporaries */
    ert_tensor **in, **out;    /* ERT_KCTX_MIN_SLOTS or more slots each */
    int slots;
} bench_io;

static void bench_free(bench_io *b, int n)
{
    for (int i = 0; b->own && i < n; i++)
        ert_tensor_free_data(&b->own[i]);
    free(b->own);
    free(b->in);
    free(b->out);
    memset(b, 0, sizeof *b);
}

static void fill_random(ert_tensor *x)
{
    uint32_t s = 12345;
    int64_t n = ert_tensor_numel(x);
    float *p = x->data;
    for (int64_t i = 0; x->dtype == ERT_DTYPE_FLOAT32 && i < n; i++) {
        s = s * 1664525u + 1013904223u;
        p[i] = (float)(s >> 8) / (float)(1u << 24) - 0.5f;
    }
}

static ert_status bench_setup(bench_io *b, const ert_graph *g, const ert_node *n, ert_kctx *k,
                              ert_err *err)
{
    int tot = n->n_inputs + n->n_outputs;
    b->slots = n->n_inputs > n->n_outputs ? n->n_inputs : n->n_outputs;
    if (b->slots < ERT_KCTX_MIN_SLOTS)
        b->slots = ERT_KCTX_MIN_SLOTS;
    b->own = calloc((size_t)tot + 1, sizeof(ert_tensor));
    b->in = calloc((size_t)b->slots, sizeof(ert_tensor *));
    b->out = calloc((size_t)b->slots, sizeof(ert_tensor *));
    if (!b->own || !b->in || !b->out)
        return ERT_ERR_NO_MEMORY;
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        if (v < 0)
            continue;
        if (g->values[v].kind == ERT_VALUE_CONST) {
            b->in[i] = (ert_tensor *)&g->values[v].t;
            continue;
        }
        ert_tensor *x = &b->own[i];
        x->dtype = g->values[v].t.dtype;
        ert_tensor_set_shape(x, g->values[v].t.rank, g->values[v].t.dims);
        if (ert_tensor_alloc(x) != ERT_OK)
            return ERT_ERR_NO_MEMORY;
        fill_random(x);
        b->in[i] = x;
    }
    for (int i = 0; i < n->n_outputs; i++)
        b->out[i] = n->outputs[i] >= 0 ? &b->own[n->n_inputs + i] : NULL;
    *k = (ert_kctx){.node = n, .version = n->version, .n_in = n->n_inputs, .in = b->in,
                    .n_out = n->n_outputs, .out = b->out, .err = err};
    ert_status st = n->op->infer(k);
    for (int i = 0; i < n->n_outputs && st == ERT_OK; i++)
        if (b->out[i] && ert_tensor_alloc(b->out[i]) != ERT_OK)
            st = ERT_ERR_NO_MEMORY;
    return st;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* One candidate being timed: its own parameter block, packed weights and workspace, the
 * node's inputs and outputs shared with the other candidates. */
typedef struct cand_run {
    const ert_kernel *kern;
    ert_kctx k;
    ert_err err;
    void *params, *packed;
    uint64_t ns[TUNE_REPS], total;
    int reps;
    bool ok;
} cand_run;

static void cand_free(cand_run *c)
{
    if (c->packed && c->kern->free_packed)
        c->kern->free_packed(c->packed);
    free(c->params);
}

/* Pack and plan kern (its workspace bytes in c->k.ws_bytes); false if it cannot. */
static bool cand_prepare(ert_tuner *t, const ert_graph *g, const ert_node *n, const ert_kctx *k0,
                         const ert_kernel *kern, cand_run *c)
{
    c->kern = kern;
    c->k = *k0;
    c->k.err = &c->err;
    if (!(c->params = aligned_alloc(64, ERT_STEP_PARAMS_BYTES)))
        return false;
    memset(c->params, 0, ERT_STEP_PARAMS_BYTES);
    c->k.params = c->params;
    if (kern->pack && kern->pack(n, g, &c->packed, &c->err) != ERT_OK)
        return false;
    c->k.packed = c->packed;
    c->k.pool = t->pool;
    size_t ws = 0;
    if (kern->plan && kern->plan(&c->k, &ws) != ERT_OK)
        return false;
    c->k.ws_bytes = ws;
    return true;
}

/* One workspace for every candidate, as the model's steps share the context's: with one
 * each, every timed run wrote a workspace the other candidates' runs had evicted (cold
 * lines from L3 / DRAM), which the model's layers do not: Winograd F(4x4)'s 4 MiB V / M
 * blocks timed 1.79 ms on ResNet-50's 64-channel 56x56 layer, 0.9-1.3 ms in the model, and
 * lost to F(2x2) there (Intel Xeon). Then each candidate runs once untimed (caches, page
 * faults); false where the workspace cannot be had. */
static bool cand_share_ws(cand_run *c, int nc, void **ws)
{
    size_t most = 0;
    for (int i = 0; i < nc; i++)
        if (c[i].ok && c[i].k.ws_bytes > most)
            most = c[i].k.ws_bytes;
    if (most && !(*ws = aligned_alloc(64, (most + 63) & ~(size_t)63)))
        return false;
    for (int i = 0; i < nc; i++) {
        if (!c[i].ok)
            continue;
        c[i].k.ws = c[i].k.ws_bytes ? *ws : NULL;
        c[i].ok = c[i].kern->run(&c[i].k) == ERT_OK;
    }
    return true;
}

/* The candidates take turns, one timed run each per round, so a burst of load on a shared
 * machine (another tenant, hypervisor steal) falls on all of them instead of on whichever
 * was being timed: timed one after another, the pick for a layer changed from load to load
 * on a noisy Zen 4. Each candidate's median of up to TUNE_REPS runs; a slow one stops
 * after TUNE_MAX_NS_PER_KERNEL. Returns the fastest index and its median in *best_ns
 * (< 0: none could be timed). */
static int time_alternating(cand_run *c, int nc, double *best_ns)
{
    for (int rep = 0; rep < TUNE_REPS; rep++)
        for (int i = 0; i < nc; i++) {
            if (!c[i].ok || c[i].total >= TUNE_MAX_NS_PER_KERNEL)
                continue;
            uint64_t t0 = now_ns();
            c[i].ok = c[i].kern->run(&c[i].k) == ERT_OK;
            c[i].ns[c[i].reps] = now_ns() - t0;
            c[i].total += c[i].ns[c[i].reps++];
        }
    int best = 0;
    *best_ns = -1;
    for (int i = 0; i < nc; i++) {
        if (!c[i].ok || c[i].reps == 0)
            continue;
        qsort(c[i].ns, (size_t)c[i].reps, sizeof c[i].ns[0], cmp_u64);
        double med = (double)c[i].ns[c[i].reps / 2];
        if (*best_ns < 0 || med < *best_ns) {
            best = i;
            *best_ns = med;
        }
    }
    return best;
}

/* Times every candidate on n (random inputs, the model's constants); the fastest index,
 * 0 with *best_ns < 0 if none could be timed. */
/* A median for reports: "1.234 ms", or "12.3 us" below 0.1 ms. */
static void fmt_time(char *buf, size_t len, double ns)
{
    if (ns >= 1e5)
        snprintf(buf, len, "%.3f ms", ns / 1e6);
    else
        snprintf(buf, len, "%.1f us", ns / 1e3);
}

/* "timed: NAME 1.234 ms, NAME could not run, ..." into why, the candidates in table
 * order. */
static void describe_timings(const cand_run *c, int nc, char *why, size_t len)
{
    int pos = snprintf(why, len, "timed:");
    for (int i = 0; i < nc && pos >= 0 && (size_t)pos < len; i++) {
        const char *sep = i ? "," : "";
        char tm[32];
        if (c[i].ok && c[i].reps > 0) {
            fmt_time(tm, sizeof tm, (double)c[i].ns[c[i].reps / 2]);
            pos += snprintf(why + pos, len - (size_t)pos, "%s %s %s", sep, c[i].kern->name, tm);
        } else
            pos += snprintf(why + pos, len - (size_t)pos, "%s %s could not run", sep,
                            c[i].kern ? c[i].kern->name : "?");
    }
}

static int time_candidates(ert_tuner *t, const ert_graph *g, const ert_node *n,
                           const ert_kernel **cand, int nc, double *best_ns, char *why,
                           size_t why_len)
{
    ert_err err = {0};
    bench_io b = {0};
    ert_kctx k0;
    int best = 0;
    void *ws = NULL;
    *best_ns = -1;
    cand_run *c = calloc((size_t)nc, sizeof *c);
    if (!c || bench_setup(&b, g, n, &k0, &err) != ERT_OK)
        goto done;
    /* contexts run with subnormals flushed by default (util/fpmode.h): time it so */
    ert_fpmode caller = ert_fpmode_get();
    ert_fpmode_set(ert_fpmode_flushing(caller));
    for (int i = 0; i < nc; i++)
        c[i].ok = cand_prepare(t, g, n, &k0, cand[i], &c[i]);
    if (cand_share_ws(c, nc, &ws))
        best = time_alternating(c, nc, best_ns);
    ert_fpmode_set(caller);
    if (why)
        describe_timings(c, nc, why, why_len);
done:
    for (int i = 0; c && i < nc; i++)
        cand_free(&c[i]);
    free(c);
    free(ws);
    bench_free(&b, n->n_inputs + n->n_outputs);
    return best;
}

static bool all_float_inputs(const ert_graph *g, const ert_node *n)
{
    for (int i = 0; i < n->n_inputs; i++) {
        int v = n->inputs[i];
        if (v >= 0 && g->values[v].kind != ERT_VALUE_CONST &&
            g->values[v].t.dtype != ERT_DTYPE_FLOAT32)
            return false;
    }
    return true;
}

static int pick_by_name(const ert_kernel **cand, int nc, const char *name)
{
    for (int i = 0; i < nc; i++)
        if (strcmp(cand[i]->name, name) == 0)
            return i;
    return -1;
}

/* Why the heuristic order decides n (the tuner times nothing), or NULL: time it. */
static const char *untimed_reason(const ert_tuner *t, const ert_graph *g, const ert_node *n)
{
    if (!t->enabled)
        return "tuning off";
    if (!all_float_inputs(g, n))
        return "inputs not all float32 (not timed)";
    if (t->budget_ns && t->spent_ns >= t->budget_ns)
        return "tuning budget spent";
    return NULL;
}

int ert_tuner_pick(ert_tuner *t, const ert_graph *g, const ert_node *n, const ert_kernel **cand,
                   int nc, ert_isa isa, char *why, size_t why_len)
{
    char key[1024];
    if (why && why_len)
        why[0] = '\0';
    if (nc <= 1)
        return 0;
    if (!make_key(t, g, n, isa, cand, nc, key, sizeof key)) {
        if (why)
            snprintf(why, why_len, "heuristic order: input shapes not known at load");
        return 0;
    }
    for (int i = 0; i < t->n_entries; i++)
        if (strcmp(t->entries[i].key, key) == 0) {
            int j = pick_by_name(cand, nc, t->entries[i].kernel);
            if (j >= 0) {
                t->n_cached++;
                char tm[32];
                fmt_time(tm, sizeof tm, t->entries[i].ns);
                if (why)
                    snprintf(why, why_len, "timing cache: %s %s", t->entries[i].kernel, tm);
                return j;
            }
        }
    const char *untimed = untimed_reason(t, g, n);
    if (untimed) {
        t->n_heuristic++;
        if (why)
            snprintf(why, why_len, "heuristic order: %s", untimed);
        return 0;
    }
    uint64_t t0 = now_ns();
    double best_ns;
    int best = time_candidates(t, g, n, cand, nc, &best_ns, why, why_len);
    t->spent_ns += now_ns() - t0;
    t->n_timed++;
    if (best_ns >= 0 && add_entry(t, key, cand[best]->name, best_ns) == ERT_OK)
        t->dirty = true;
    return best;
}

ert_status ert_tuner_finish(ert_tuner *t, ert_err *err)
{
    ert_status st = ERT_OK;
    if (t->cache_path && t->dirty) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", t->cache_path);
        FILE *f = fopen(tmp, "w");
        bool ok = f != NULL;
        if (f) {
            ok = fprintf(f, "# edgert timing cache v1: KEY<TAB>KERNEL<TAB>MEDIAN_NS\n") > 0;
            for (int i = 0; i < t->n_entries && ok; i++)
                ok = fprintf(f, "%s\t%s\t%.0f\n", t->entries[i].key, t->entries[i].kernel,
                             t->entries[i].ns) > 0;
            ok = (fclose(f) == 0) && ok;
        }
        if (!ok || rename(tmp, t->cache_path) != 0) {
            remove(tmp);
            st = ert_errf(err, ERT_ERR_IO, "cannot write timing cache '%s': check the folder "
                          "exists and is writable", t->cache_path);
        }
    }
    for (int i = 0; i < t->n_entries; i++)
        free(t->entries[i].key);
    free(t->entries);
    ert_threadpool_free(t->pool);
    memset(t, 0, sizeof *t);
    return st;
}
