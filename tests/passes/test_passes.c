/*
 * test_passes.c - graph optimizer tests on small graphs (made by make_models.py).
 *
 * usage: test_passes MODELDIR   (reads MODELDIR/manifest.txt; format in make_models.py)
 *
 * Every check runs models on the same random inputs (uniform [-2, 2), so activations
 * see both signs; seeded by input name, so two models with equally named inputs get the
 * same data) and compares every output element: |a - b| <= tol * (1 + |b|). An "opt"
 * check also counts the optimized graph's live nodes per op and looks for a note.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine_internal.h"

static int g_pass, g_fail;
static const char *g_dir;

#define MAX_OUTS 16

static void fail(const char *what, const char *fmt, const char *a)
{
    g_fail++;
    printf("FAIL %s: ", what);
    printf(fmt, a);
    printf("\n");
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t name_seed(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static ert_model *load(const char *file, int no_optimize)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", g_dir, file);
    /* reference kernels both ways: these tests check the rewrites, not the fast kernels
     * (no_optimize implies reference kernels; tests/kernels compare those) */
    ert_load_options opt = {.fold_constants = 1, .no_optimize = no_optimize,
                            .reference_kernels = 1};
    ert_model *m = NULL;
    if (ert_model_load_file(path, &opt, &m) != ERT_OK) {
        fail(file, "load: %s", ert_model_last_error(m));
        ert_model_free(m);
        return NULL;
    }
    return m;
}

/* Sets every (float32) input to seeded random data; symbolic dims become 2. */
static int set_inputs(ert_model *m, ert_context *c, const char *file)
{
    for (int i = 0; i < ert_model_num_inputs(m); i++) {
        ert_tensor_info info;
        ert_model_input_info(m, i, &info);
        int64_t n = 1, dims[ERT_MAX_RANK];
        for (int d = 0; d < info.rank; d++) {
            dims[d] = info.dims[d] >= 0 ? info.dims[d] : 2;
            n *= dims[d];
        }
        if (info.dtype != ERT_DTYPE_FLOAT32) {
            fail(file, "input '%s' is not float32", info.name);
            return -1;
        }
        float *x = malloc(sizeof(float) * (size_t)(n ? n : 1));
        uint64_t s = name_seed(info.name);
        for (int64_t j = 0; j < n; j++)
            x[j] = (float)((double)(splitmix(&s) >> 11) / 9007199254740992.0 * 4.0 - 2.0);
        ert_status st = ert_context_set_input(c, info.name, info.dtype, info.rank, dims, x,
                                              sizeof(float) * (size_t)n);
        free(x);
        if (st != ERT_OK) {
            fail(file, "set input: %s", ert_context_last_error(c));
            return -1;
        }
    }
    return 0;
}

typedef struct outs {
    int n;
    ert_tensor_info info[MAX_OUTS];
    float *data[MAX_OUTS];
    int64_t numel[MAX_OUTS];
} outs;

static void outs_free(outs *o)
{
    for (int i = 0; i < o->n; i++)
        free(o->data[i]);
    o->n = 0;
}

/* Runs m once and copies its float32 outputs into o. */
static int run_model(ert_model *m, const char *file, outs *o)
{
    ert_context *c = NULL;
    o->n = 0;
    if (ert_context_create(m, &c) != ERT_OK || set_inputs(m, c, file) ||
        ert_context_run(c) != ERT_OK) {
        fail(file, "run: %s", c ? ert_context_last_error(c) : "no context");
        ert_context_free(c);
        return -1;
    }
    for (int i = 0; i < ert_model_num_outputs(m) && i < MAX_OUTS; i++) {
        const void *d;
        size_t nb;
        ert_context_get_output(c, i, &o->info[i], &d, &nb);
        o->data[i] = malloc(nb ? nb : 1);
        memcpy(o->data[i], d, nb);
        o->numel[i] = (int64_t)(nb / sizeof(float));
        o->n = i + 1;
    }
    ert_context_free(c);
    return 0;
}

static void compare(const char *file, const outs *a, const outs *b, double tol)
{
    if (a->n != b->n) {
        fail(file, "%s", "output counts differ");
        return;
    }
    for (int i = 0; i < a->n; i++) {
        if (a->numel[i] != b->numel[i] || a->info[i].rank != b->info[i].rank) {
            fail(file, "output '%s': shapes differ", a->info[i].name);
            continue;
        }
        double worst = 0.0;
        int64_t at = 0;
        for (int64_t j = 0; j < a->numel[i]; j++) {
            double x = a->data[i][j], y = b->data[i][j];
            double e = fabs(x - y) / (1.0 + fabs(y));
            if (!(e <= worst)) {
                worst = isnan(e) ? INFINITY : e;
                at = j;
            }
        }
        if (worst > tol) {
            char msg[256];
            snprintf(msg, sizeof msg, "output '%s' [%lld]: %g vs %g (rel err %g > %g)",
                     a->info[i].name, (long long)at, a->data[i][at], b->data[i][at], worst, tol);
            fail(file, "%s", msg);
        } else {
            g_pass++;
        }
    }
}

static void check_pair(const char *fused, const char *unfused, double tol)
{
    ert_model *a = load(fused, 1), *b = load(unfused, 1);
    outs oa = {0}, ob = {0};
    if (a && b && !run_model(a, fused, &oa) && !run_model(b, unfused, &ob))
        compare(fused, &oa, &ob, tol);
    outs_free(&oa);
    outs_free(&ob);
    ert_model_free(a);
    ert_model_free(b);
}

static int live_count(const ert_graph *g, const char *op)
{
    int n = 0;
    for (int i = 0; i < g->n_nodes; i++)
        n += !g->nodes[i].dead && !strcmp(g->nodes[i].op_type, op);
    return n;
}

static bool has_note(const ert_pass_notes *notes, const char *text)
{
    for (int i = 0; i < notes->n_notes; i++)
        if (strstr(notes->notes[i], text))
            return true;
    return false;
}

/* One expectation of an opt line: "Op=N" or "note=TEXT" ('_' = space). */
static void check_expect(const char *file, const ert_model *m, char *tok)
{
    char *eq = strchr(tok, '=');
    if (!eq) {
        fail(file, "bad expectation '%s'", tok);
        return;
    }
    *eq = '\0';
    if (!strcmp(tok, "note")) {
        for (char *p = eq + 1; *p; p++)
            if (*p == '_')
                *p = ' ';
        if (has_note(&m->notes, eq + 1)) {
            g_pass++;
            return;
        }
        fail(file, "no note contains '%s'", eq + 1);
        for (int i = 0; i < m->notes.n_notes; i++)
            printf("  note: %s\n", m->notes.notes[i]);
        return;
    }
    int want = atoi(eq + 1), got = live_count(m->g, tok);
    if (got == want) {
        g_pass++;
        return;
    }
    char msg[160];
    snprintf(msg, sizeof msg, "%s: %d live nodes, expected %d", tok, got, want);
    fail(file, "%s", msg);
}

static void check_opt(const char *file, double tol, char *rest)
{
    ert_model *a = load(file, 0), *b = load(file, 1);
    outs oa = {0}, ob = {0};
    if (a && b && !run_model(a, file, &oa) && !run_model(b, file, &ob))
        compare(file, &oa, &ob, tol);
    for (char *tok = strtok(rest, " \t\n"); a && tok; tok = strtok(NULL, " \t\n"))
        check_expect(file, a, tok);
    outs_free(&oa);
    outs_free(&ob);
    ert_model_free(a);
    ert_model_free(b);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_passes MODELDIR\n");
        return 2;
    }
    g_dir = argv[1];
    char path[1024], line[4096];
    snprintf(path, sizeof path, "%s/manifest.txt", g_dir);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "test_passes: cannot open %s\n", path);
        return 2;
    }
    while (fgets(line, sizeof line, f)) {
        char kind[16], a[256], b[256];
        int used = 0;
        if (sscanf(line, "%15s %255s %255s%n", kind, a, b, &used) != 3)
            continue;
        if (!strcmp(kind, "pair")) {
            double tol = atof(line + used);
            check_pair(a, b, tol);
        } else if (!strcmp(kind, "opt")) {
            check_opt(a, atof(b), line + used);
        }
    }
    fclose(f);
    printf("%d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
