/*
 * test_contexts.c - two contexts of one model, each with its own thread pool, driven at
 * the same time from two threads, must give the outputs of a plain one-thread context.
 *
 * usage: test_contexts MODEL.onnx [THREADS_PER_CONTEXT [RUNS]]
 *
 * The model is shared read-only (edgert.h); each context owns its pool, so this is the
 * case scripts/test.sh runs under ThreadSanitizer: any state the kernels or the pool
 * share by accident shows up as a race there, and as a wrong output here. Inputs are
 * deterministic pseudo-random floats (symbolic dims taken as 1). Float outputs may differ
 * from the reference by summation order when kernels split work across threads:
 * |a - b| <= 1e-4 * (1 + |b|); other dtypes must be equal.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "edgert.h"

#define MAX_IO 16

typedef struct io_set {
    int n;
    ert_tensor_info info[MAX_IO];
    void *data[MAX_IO];
    size_t nbytes[MAX_IO];
} io_set;

typedef struct worker {
    ert_model *model;
    const io_set *in;
    const io_set *ref;
    int threads, runs;
    int mismatches;
    char err[256];
} worker;

static int64_t numel_of(const ert_tensor_info *t)
{
    int64_t n = 1;
    for (int d = 0; d < t->rank; d++)
        n *= t->dims[d];
    return n;
}

/* Every input float32, symbolic dims 1, values from a fixed LCG. */
static int make_inputs(ert_model *m, io_set *in)
{
    uint32_t s = 12345;
    in->n = ert_model_num_inputs(m);
    if (in->n > MAX_IO)
        return 1;
    for (int i = 0; i < in->n; i++) {
        ert_tensor_info *t = &in->info[i];
        if (ert_model_input_info(m, i, t) != ERT_OK || t->dtype != ERT_DTYPE_FLOAT32 || t->rank < 0)
            return 1;
        for (int d = 0; d < t->rank; d++)
            t->dims[d] = t->dims[d] < 0 ? 1 : t->dims[d];
        int64_t n = numel_of(t);
        float *x = malloc((size_t)n * sizeof *x + 1);
        if (!x)
            return 1;
        for (int64_t k = 0; k < n; k++) {
            s = s * 1664525u + 1013904223u;
            x[k] = (float)(s >> 8) / 16777216.0f - 0.5f;
        }
        in->data[i] = x;
        in->nbytes[i] = (size_t)n * sizeof *x;
    }
    return 0;
}

static int feed(ert_context *c, const io_set *in)
{
    for (int i = 0; i < in->n; i++)
        if (ert_context_set_input(c, in->info[i].name, in->info[i].dtype, in->info[i].rank,
                                  in->info[i].dims, in->data[i], in->nbytes[i]) != ERT_OK)
            return 1;
    return 0;
}

/* Copies every output of the last run into out (owned). */
static int save_outputs(ert_context *c, int n_out, io_set *out)
{
    out->n = n_out;
    for (int i = 0; i < n_out && i < MAX_IO; i++) {
        const void *d;
        if (ert_context_get_output(c, i, &out->info[i], &d, &out->nbytes[i]) != ERT_OK)
            return 1;
        out->data[i] = malloc(out->nbytes[i] + 1);
        if (!out->data[i])
            return 1;
        memcpy(out->data[i], d, out->nbytes[i]);
    }
    return 0;
}

static int count_mismatches(ert_context *c, const io_set *ref)
{
    int bad = 0;
    for (int i = 0; i < ref->n; i++) {
        ert_tensor_info info;
        const void *d;
        size_t nb;
        if (ert_context_get_output(c, i, &info, &d, &nb) != ERT_OK || nb != ref->nbytes[i])
            return bad + 1;
        if (info.dtype != ERT_DTYPE_FLOAT32) {
            bad += memcmp(d, ref->data[i], nb) != 0;
            continue;
        }
        const float *a = d, *b = ref->data[i];
        for (size_t k = 0; k < nb / sizeof(float); k++)
            bad += !(fabsf(a[k] - b[k]) <= 1e-4f * (1.0f + fabsf(b[k])));
    }
    return bad;
}

static void *worker_main(void *v)
{
    worker *w = v;
    ert_context *c = NULL;
    ert_context_options opt;
    memset(&opt, 0, sizeof opt);
    opt.num_threads = w->threads;
    if (ert_context_create_ex(w->model, &opt, &c) != ERT_OK || feed(c, w->in) != 0) {
        snprintf(w->err, sizeof w->err, "context setup: %s", c ? ert_context_last_error(c) : "?");
        ert_context_free(c);
        return NULL;
    }
    for (int r = 0; r < w->runs && !w->err[0]; r++) {
        if (ert_context_run(c) != ERT_OK)
            snprintf(w->err, sizeof w->err, "run %d: %s", r, ert_context_last_error(c));
        else
            w->mismatches += count_mismatches(c, w->ref);
    }
    ert_context_free(c);
    return NULL;
}

static int reference(ert_model *m, const io_set *in, io_set *ref)
{
    ert_context *c = NULL;
    int rc = ert_context_create(m, &c) != ERT_OK || feed(c, in) != 0 || ert_context_run(c) != ERT_OK ||
             save_outputs(c, ert_model_num_outputs(m), ref) != 0;
    if (rc)
        fprintf(stderr, "test_contexts: reference run: %s\n", c ? ert_context_last_error(c) : "?");
    ert_context_free(c);
    return rc;
}

static void free_set(io_set *s)
{
    for (int i = 0; i < s->n && i < MAX_IO; i++)
        free(s->data[i]);
}

static int drive(ert_model *m, const io_set *in, const io_set *ref, int threads, int runs)
{
    worker w[2];
    pthread_t th[2];
    int fails = 0;
    for (int k = 0; k < 2; k++) {
        w[k] = (worker){m, in, ref, threads, runs, 0, ""};
        if (pthread_create(&th[k], NULL, worker_main, &w[k]) != 0)
            return 1;
    }
    for (int k = 0; k < 2; k++) {
        pthread_join(th[k], NULL);
        if (w[k].err[0] || w[k].mismatches) {
            printf("FAIL context %d (%d threads): %s%s%d mismatching values\n", k, threads, w[k].err,
                   w[k].err[0] ? "; " : "", w[k].mismatches);
            fails++;
        }
    }
    return fails;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: test_contexts MODEL.onnx [THREADS_PER_CONTEXT [RUNS]]\n");
        return 2;
    }
    int threads = argc > 2 ? atoi(argv[2]) : 2, runs = argc > 3 ? atoi(argv[3]) : 20;
    ert_model *m = NULL;
    io_set in = {0}, ref = {0};
    int fails = 1;
    if (ert_model_load_file(argv[1], NULL, &m) != ERT_OK) {
        fprintf(stderr, "test_contexts: %s\n", m ? ert_model_last_error(m) : "out of memory");
    } else if (make_inputs(m, &in) != 0) {
        fprintf(stderr, "test_contexts: inputs must be at most %d float32 tensors\n", MAX_IO);
    } else if (reference(m, &in, &ref) == 0) {
        fails = drive(m, &in, &ref, threads, runs);
        printf("contexts: 2 contexts x %d threads x %d runs on %s: %s\n", threads, runs, argv[1],
               fails ? "FAILED" : "outputs match the 1-thread reference");
    }
    free_set(&in);
    free_set(&ref);
    ert_model_free(m);
    return fails ? 1 : 0;
}
