/*
 * test_fault.c - every allocation failure is handled: fail the N-th allocation of a
 * whole load (import, optimization passes, plan) + context creation + inference, for
 * every N (or a dense sample) from 1 to the number of allocations made.
 *
 *   test_fault [--budget K] [--only NAME] [--scratch DIR]
 *              NAME=MODEL.onnx[:nofold][:all][:shape=DIMS] ...
 *
 * For each N the sequence must either fail with a status and a non-empty message, or
 * succeed with outputs bit-identical to the fault-free run (a failure some code
 * handles by falling back); it must never crash, and every block allocated during the
 * sequence must be freed again (the wrappers count live blocks; the ASan build adds
 * LeakSanitizer). ":all" tests every N; otherwise N = 1..K/2 and K/2 more spread evenly
 * up to the total (K = --budget, default 400). ":nofold" loads with fold_constants = 0,
 * so a control-flow model's work happens at run time; ":shape=1x3x48x192" sizes the
 * first input (symbolic dims are 1 otherwise).
 * Then short reads (the file shrinks between the size check and the read) of a model
 * and of a .npy file, and writing a .npy to /dev/full (a full disk).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgert.h"
#include "fault_alloc.h"
#include "npy.h"

#define MAX_IO 16
#define MSG_LEN 1100

typedef struct fcase {
    char name[64];
    char path[1024];
    int fold;
    int all;
    int shape_rank;             /* > 0: ":shape=DIMS" fixes input 0's shape */
    int64_t shape[ERT_MAX_RANK];
    /* inputs, prepared before any N (the test's own allocations are not counted) */
    int n_in;
    char in_name[MAX_IO][256];
    ert_tensor_info in_info[MAX_IO];
    int64_t in_dims[MAX_IO][ERT_MAX_RANK];
    void *in_data[MAX_IO];
    size_t in_bytes[MAX_IO];
    /* outputs of the fault-free run */
    int n_out;
    void *ref[MAX_IO];
    size_t ref_bytes[MAX_IO];
} fcase;

typedef struct tally {
    int64_t total_allocs, tested, refused, recovered, failed;
} tally;

static int g_failures;

int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

static void fail(const fcase *c, int64_t n, const char *what, const char *msg)
{
    printf("FAIL %s N=%lld: %s%s%s\n", c->name, (long long)n, what, msg ? ": " : "",
           msg ? msg : "");
    g_failures++;
}

/* Deterministic input data: small values of the input's dtype. */
static void fill(void *data, ert_dtype dt, size_t numel)
{
    for (size_t i = 0; i < numel; i++) {
        double v = (double)((i * 7919) % 17) / 17.0;
        switch (dt) {
        case ERT_DTYPE_FLOAT32: ((float *)data)[i] = (float)v; break;
        case ERT_DTYPE_INT64: ((int64_t *)data)[i] = (int64_t)(i % 3); break;
        case ERT_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)(i % 3); break;
        case ERT_DTYPE_BOOL: ((uint8_t *)data)[i] = (uint8_t)(i & 1); break;
        default: memset((char *)data + i * ert_dtype_size(dt), 0, ert_dtype_size(dt)); break;
        }
    }
}

static ert_load_options load_opts(const fcase *c)
{
    ert_load_options o = {0};
    o.fold_constants = c->fold;
    return o;
}

/* Loads once (no fault) and prepares the inputs. */
static int prepare(fcase *c)
{
    ert_load_options o = load_opts(c);
    ert_model *m = NULL;
    if (ert_model_load_file(c->path, &o, &m) != ERT_OK) {
        printf("FAIL %s: cannot load: %s\n", c->name, ert_model_last_error(m));
        ert_model_free(m);
        return -1;
    }
    c->n_in = ert_model_num_inputs(m);
    for (int i = 0; i < c->n_in && i < MAX_IO; i++) {
        ert_tensor_info *info = &c->in_info[i];
        ert_model_input_info(m, i, info);
        snprintf(c->in_name[i], sizeof c->in_name[i], "%s", info->name);
        size_t numel = 1;
        for (int d = 0; d < info->rank; d++) {
            c->in_dims[i][d] = info->dims[d] >= 0 ? info->dims[d] : 1;
            if (i == 0 && c->shape_rank == info->rank)
                c->in_dims[i][d] = c->shape[d];
            numel *= (size_t)c->in_dims[i][d];
        }
        c->in_bytes[i] = numel * ert_dtype_size(info->dtype);
        c->in_data[i] = malloc(c->in_bytes[i] + 1);
        fill(c->in_data[i], info->dtype, numel);
    }
    ert_model_free(m);
    return 0;
}

/* Compares (or, when record, stores) output i. */
static int check_output(fcase *c, int i, const void *d, size_t nb, int record)
{
    if (record) {
        c->ref[i] = malloc(nb + 1);
        memcpy(c->ref[i], d, nb);
        c->ref_bytes[i] = nb;
        return 0;
    }
    return (nb == c->ref_bytes[i] && memcmp(d, c->ref[i], nb) == 0) ? 0 : -1;
}

/* One load + context + run + outputs. Returns the status; msg gets the message. */
static ert_status sequence(fcase *c, int record, int *mismatch, char *msg, size_t cap)
{
    ert_load_options o = load_opts(c);
    ert_model *m = NULL;
    ert_context *ctx = NULL;
    ert_status st = ert_model_load_file(c->path, &o, &m);
    const char *err = NULL;
    if (st != ERT_OK) {
        err = ert_model_last_error(m);
        goto out;
    }
    if ((st = ert_context_create(m, &ctx)) != ERT_OK) {
        err = ctx ? ert_context_last_error(ctx) : "(no context)";
        goto out;
    }
    for (int i = 0; i < c->n_in && st == ERT_OK; i++)
        st = ert_context_set_input(ctx, c->in_name[i], c->in_info[i].dtype, c->in_info[i].rank,
                                   c->in_dims[i], c->in_data[i], c->in_bytes[i]);
    if (st == ERT_OK)
        st = ert_context_run(ctx);
    c->n_out = ert_model_num_outputs(m);
    for (int i = 0; i < c->n_out && i < MAX_IO && st == ERT_OK; i++) {
        ert_tensor_info info;
        const void *d;
        size_t nb;
        if ((st = ert_context_get_output(ctx, i, &info, &d, &nb)) == ERT_OK &&
            check_output(c, i, d, nb, record) != 0)
            *mismatch = 1;
    }
    if (st != ERT_OK)
        err = ert_context_last_error(ctx);
out:
    snprintf(msg, cap, "%s", err ? err : "");
    ert_context_free(ctx);
    ert_model_free(m);
    return st;
}

static void try_n(fcase *c, int64_t n, tally *t)
{
    char msg[MSG_LEN];
    int mismatch = 0;
    int64_t live0 = fault_live_blocks();
    fault_fail_nth(n);
    ert_status st = sequence(c, 0, &mismatch, msg, sizeof msg);
    int fired = fault_fired();
    fault_fail_nth(0);
    t->tested++;
    if (fault_live_blocks() != live0) {
        char d[64];
        snprintf(d, sizeof d, "%lld blocks", (long long)(fault_live_blocks() - live0));
        fail(c, n, "leaked", d);
        t->failed++;
    }
    if (!fired) {
        fail(c, n, "the allocation count changed between runs", NULL);
        t->failed++;
    } else if (st == ERT_OK && mismatch) {
        fail(c, n, "succeeded with different outputs", NULL);
        t->failed++;
    } else if (st == ERT_OK) {
        t->recovered++;
    } else if (!msg[0]) {
        fail(c, n, "failed without a message", ert_status_name(st));
        t->failed++;
    } else {
        t->refused++;
    }
}

static void run_case(fcase *c, int64_t budget)
{
    tally t = {0};
    char msg[MSG_LEN];
    int mismatch = 0;
    if (prepare(c) != 0) {
        g_failures++;
        return;
    }
    fault_fail_nth(0);
    if (sequence(c, 1, &mismatch, msg, sizeof msg) != ERT_OK) {
        printf("FAIL %s: the fault-free run failed: %s\n", c->name, msg);
        g_failures++;
        return;
    }
    fault_reset_count();
    sequence(c, 0, &mismatch, msg, sizeof msg);
    t.total_allocs = fault_alloc_count();
    int64_t dense = c->all ? t.total_allocs : budget / 2;
    int64_t step = c->all || t.total_allocs <= budget ? 1 : (t.total_allocs - dense) / (budget / 2) + 1;
    for (int64_t n = 1; n <= t.total_allocs; n += n < dense ? 1 : step)
        try_n(c, n, &t);
    if (!c->all && t.total_allocs > dense)
        try_n(c, t.total_allocs, &t);
    if (__lsan_do_recoverable_leak_check && __lsan_do_recoverable_leak_check()) {
        printf("FAIL %s: LeakSanitizer found leaks (above)\n", c->name);
        g_failures++;
    }
    printf("%-12s allocations per load+run %lld; tested N %lld (%s): refused with a message "
           "%lld, recovered with identical outputs %lld, failed %lld\n", c->name,
           (long long)t.total_allocs, (long long)t.tested, c->all ? "every N" : "sampled",
           (long long)t.refused, (long long)t.recovered, (long long)t.failed);
    for (int i = 0; i < MAX_IO; i++) {
        free(c->in_data[i]);
        free(c->ref[i]);
    }
}

/* ---- short reads and a full disk ---- */

static void check(int ok, const char *what, const char *msg)
{
    printf("%s %s: %s\n", ok ? "ok  " : "FAIL", what, msg);
    g_failures += !ok;
}

static void io_faults(const char *model, const char *dir)
{
    ert_model *m = NULL;
    fault_short_read(0, 100);
    ert_status st = ert_model_load_file(model, NULL, &m);
    fault_short_read(0, -1);
    check(st == ERT_ERR_IO && strstr(ert_model_last_error(m), "short read"),
          "model file shrank before the read", ert_model_last_error(m));
    ert_model_free(m);

    char path[1200], err[512] = "";
    int64_t dims[2] = {4, 5};
    float data[20] = {0};
    snprintf(path, sizeof path, "%s/fault_short.npy", dir);
    int rc = npy_write(path, ERT_DTYPE_FLOAT32, 2, dims, data, sizeof data, err, sizeof err);
    check(rc == 0, "write a .npy", rc ? err : path);
    for (int skip = 0; skip < 3; skip++) { /* npy_read: magic, header, data */
        npy_array a = {0};
        err[0] = '\0';
        fault_short_read(skip, 3);
        rc = npy_read(path, &a, err, sizeof err);
        fault_short_read(0, -1);
        char what[64];
        snprintf(what, sizeof what, ".npy file shrank before read %d", skip + 1);
        check(rc != 0 && err[0], what, err[0] ? err : "(read succeeded)");
        npy_free(&a);
    }
    remove(path);
    err[0] = '\0';
    rc = npy_write("/dev/full", ERT_DTYPE_FLOAT32, 2, dims, data, sizeof data, err, sizeof err);
    check(rc != 0 && err[0], "write a .npy to a full disk (/dev/full)", err[0] ? err : "(no error)");
}

/* "1x3x48x192" -> rank (0 on bad syntax). */
static int parse_dims(const char *s, int64_t *dims)
{
    int rank = 0;
    for (char *end; *s && rank < ERT_MAX_RANK; s = *end ? end + 1 : end) {
        dims[rank++] = strtoll(s, &end, 10);
        if (end == s || (*end && *end != 'x'))
            return 0;
    }
    return rank;
}

static int parse_case(const char *arg, fcase *c)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq - arg >= (long)sizeof c->name)
        return -1;
    memset(c, 0, sizeof *c);
    memcpy(c->name, arg, (size_t)(eq - arg));
    snprintf(c->path, sizeof c->path, "%s", eq + 1);
    c->fold = 1;
    for (char *colon; (colon = strrchr(c->path, ':')) != NULL; *colon = '\0') {
        if (strcmp(colon, ":nofold") == 0)
            c->fold = 0;
        else if (strcmp(colon, ":all") == 0)
            c->all = 1;
        else if (strncmp(colon, ":shape=", 7) == 0)
            c->shape_rank = parse_dims(colon + 7, c->shape);
        else
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    int64_t budget = 400;
    const char *only = NULL, *scratch = ".";
    static fcase c;
    int n_cases = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc) {
            budget = atol(argv[++i]);
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (strcmp(argv[i], "--scratch") == 0 && i + 1 < argc) {
            scratch = argv[++i];
        } else if (parse_case(argv[i], &c) == 0) {
            n_cases++;
            if (!only || strcmp(only, c.name) == 0)
                run_case(&c, budget < 2 ? 2 : budget);
        } else {
            fprintf(stderr, "usage: test_fault [--budget K] [--only NAME] [--scratch DIR] "
                    "NAME=MODEL.onnx[:nofold][:all] ...\n");
            return 2;
        }
    }
    if (n_cases && !only)
        io_faults(c.path, scratch); /* the last model */
    printf("%d failed\n", g_failures);
    return g_failures ? 1 : 0;
}
