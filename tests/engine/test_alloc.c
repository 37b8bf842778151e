/*
 * test_alloc.c - proves that steady-state inference allocates nothing.
 *
 * The test binary interposes malloc/calloc/realloc/aligned_alloc/posix_memalign/free
 * (forwarding to glibc's __libc_* entry points) and counts calls while counting is on.
 * For each model: load, set inputs, run three times (sizing run, arena layout, steady
 * state), then count the allocations of set_input + run over several more runs. Any
 * allocation there fails the test; the arena and naive intermediate bytes are printed.
 *
 * usage: test_alloc [--threads N] MODEL.onnx[:NAME=DIMS[,NAME=DIMS]...]...
 */
#include <execinfo.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static _Atomic int g_counting;
static _Atomic long g_allocs;

static int g_trace; /* ERT_ALLOC_TRACE=1: print where each counted allocation comes from */

static void count(void)
{
    if (!atomic_load_explicit(&g_counting, memory_order_relaxed))
        return;
    atomic_fetch_add(&g_allocs, 1);
    if (g_trace) {
        atomic_store(&g_counting, 0); /* backtrace itself may allocate */
        void *pc[8];
        int n = backtrace(pc, 8);
        backtrace_symbols_fd(pc + 1, n - 1, 2);
        fprintf(stderr, "--\n");
        atomic_store(&g_counting, 1);
    }
}

void *malloc(size_t n)
{
    count();
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    count();
    return __libc_calloc(a, b);
}

void *realloc(void *p, size_t n)
{
    count();
    return __libc_realloc(p, n);
}

void *aligned_alloc(size_t al, size_t n)
{
    count();
    return __libc_memalign(al, n);
}

int posix_memalign(void **out, size_t al, size_t n)
{
    count();
    *out = __libc_memalign(al, n);
    return *out ? 0 : 12; /* ENOMEM */
}

void free(void *p)
{
    __libc_free(p);
}

typedef struct input_buf {
    char name[128];
    int rank;
    int64_t dims[ERT_MAX_RANK];
    float *data;
    size_t bytes;
} input_buf;

/* Dims of input `name` from "NAME=1x3x64x64,NAME2=..." (0: not given). */
static int shape_override(const char *spec, const char *name, int64_t *dims)
{
    size_t nl = strlen(name);
    for (const char *p = spec; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        if (strncmp(p, name, nl) != 0 || p[nl] != '=')
            continue;
        int r = 0;
        for (const char *q = p + nl + 1; *q && *q != ',' && r < ERT_MAX_RANK; r++) {
            char *end;
            dims[r] = strtoll(q, &end, 10);
            q = *end == 'x' ? end + 1 : end;
        }
        return r;
    }
    return 0;
}

static int make_inputs(ert_model *m, const char *spec, input_buf *in, int max)
{
    int n = ert_model_num_inputs(m);
    for (int i = 0; i < n && i < max; i++) {
        ert_tensor_info info;
        ert_model_input_info(m, i, &info);
        if (info.dtype != ERT_DTYPE_FLOAT32) {
            fprintf(stderr, "input '%s' is %s: this test feeds float32 only\n", info.name,
                    ert_dtype_name(info.dtype));
            return -1;
        }
        snprintf(in[i].name, sizeof in[i].name, "%s", info.name);
        in[i].rank = info.rank;
        int64_t numel = 1;
        for (int d = 0; d < info.rank; d++) {
            if (!shape_override(spec, info.name, in[i].dims))
                in[i].dims[d] = info.dims[d] >= 0 ? info.dims[d] : 1;
            numel *= in[i].dims[d];
        }
        in[i].bytes = (size_t)numel * sizeof(float);
        in[i].data = malloc(in[i].bytes);
        if (!in[i].data)
            return -1;
        for (int64_t e = 0; e < numel; e++) /* deterministic, image-like values */
            in[i].data[e] = (float)((e * 7919) % 1000) / 1000.0f;
    }
    return n;
}

static int set_all(ert_context *c, const input_buf *in, int n)
{
    for (int i = 0; i < n; i++)
        if (ert_context_set_input(c, in[i].name, ERT_DTYPE_FLOAT32, in[i].rank, in[i].dims,
                                  in[i].data, in[i].bytes) != ERT_OK) {
            fprintf(stderr, "set_input '%s': %s\n", in[i].name, ert_context_last_error(c));
            return -1;
        }
    return 0;
}

static int check_model(const char *arg, int threads)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", arg);
    char *colon = strstr(path, ".onnx:");
    const char *spec = "";
    if (colon) {
        colon[5] = '\0';
        spec = colon + 6;
    }
    ert_model *m = NULL;
    if (ert_model_load_file(path, NULL, &m) != ERT_OK) {
        fprintf(stderr, "FAIL %s: %s\n", path, ert_model_last_error(m));
        ert_model_free(m);
        return 1;
    }
    input_buf in[16];
    memset(in, 0, sizeof in);
    ert_context_options opt = {.num_threads = threads};
    ert_context *c = NULL;
    int n = make_inputs(m, spec, in, 16), rc = 1;
    if (n < 0 || ert_context_create_ex(m, &opt, &c) != ERT_OK)
        goto done;
    for (int r = 0; r < 3; r++)
        if (set_all(c, in, n) || ert_context_run(c) != ERT_OK) {
            fprintf(stderr, "FAIL %s: run: %s\n", path, ert_context_last_error(c));
            goto done;
        }
    atomic_store(&g_allocs, 0);
    atomic_store(&g_counting, 1);
    int ok = 1;
    for (int r = 0; r < 5 && ok; r++)
        ok = set_all(c, in, n) == 0 && ert_context_run(c) == ERT_OK;
    atomic_store(&g_counting, 0);
    long allocs = atomic_load(&g_allocs);
    size_t arena, naive;
    ert_context_memory(c, &arena, &naive);
    printf("%s %s: %ld allocations in 5 steady-state runs (%d thread%s); arena %.2f MB vs "
           "%.2f MB naive (%.0f%%)\n", allocs || !ok ? "FAIL" : "ok  ", path, allocs, threads,
           threads > 1 ? "s" : "", arena / 1e6, naive / 1e6, naive ? 100.0 * arena / naive : 0);
    rc = (allocs || !ok) ? 1 : 0;
done:
    for (int i = 0; i < 16; i++)
        free(in[i].data);
    ert_context_free(c);
    ert_model_free(m);
    return rc;
}

int main(int argc, char **argv)
{
    int threads = 1, failed = 0, passed = 0;
    g_trace = getenv("ERT_ALLOC_TRACE") && atoi(getenv("ERT_ALLOC_TRACE"));
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            threads = atoi(argv[++i]);
            continue;
        }
        if (check_model(argv[i], threads))
            failed++;
        else
            passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : (passed ? 0 : 2);
}
