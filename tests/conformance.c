/*
 * conformance.c - runs the official ONNX backend node tests against edgert.
 *
 * For every case in MANIFEST.tsv whose ops (top-level and inside If/Loop/Scan subgraphs)
 * are all in edgert's op table and that uses no model-local functions: load
 * model.onnx, feed each test_data_set_N/input_K.pb, run, and compare with output_K.pb
 * using ONNX's tolerances (rtol 1e-3, atol 1e-7 for floats; exact for integers and
 * bool). Cases listed in the skip list (one "test_name<TAB>reason" a line) are reported
 * as skipped with their reason. Prints one line per failure (and per case with -v), a
 * per-op table and the totals; exits 1 if any case that should pass failed.
 *
 * The 'light' suite (model-zoo CNNs) has no input files: as ONNX's runner does, each
 * input is float32 arange(n)/n with unknown dims set to 1, compared with the suite's
 * per-model tolerances (rtol 1e-3, densenet121 2e-3).
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "edgert.h"
#include "engine/engine.h"
#include "import/onnx_import.h"
#include "ops/op.h"

#define MAX_CASES 4096

typedef struct skip_entry {
    char name[256];
    char reason[512];
} skip_entry;

typedef struct op_count {
    int run, passed, failed, skipped;
} op_count;

static skip_entry *g_skips;
static int g_n_skips;
/* Cases that use an op edgert lacks (conformance_unsupported.txt next to the skip list):
 * the runner checks that exactly these are the unsupported ones, so README's counts can
 * be checked case by case. g_unsup_seen[i]: entry i was met in this run. */
static skip_entry *g_unsup;
static int g_n_unsup;
static char *g_unsup_seen;
static op_count g_ops[ERT_OP_COUNT];
static int g_runs = 3; /* runs per data set (--runs) */
static int g_verbose;

static void load_list(const char *path, skip_entry **list, int *n_list)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\r\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        skip_entry *s = realloc(*list, sizeof(skip_entry) * (size_t)(*n_list + 1));
        if (!s)
            break;
        *list = s;
        snprintf(s[*n_list].name, sizeof s[0].name, "%s", line);
        snprintf(s[*n_list].reason, sizeof s[0].reason, "%s", tab + 1);
        (*n_list)++;
    }
    fclose(f);
}

/* Index of test in the unsupported list, -1 if absent. */
static int unsup_index(const char *test)
{
    for (int i = 0; i < g_n_unsup; i++)
        if (strcmp(g_unsup[i].name, test) == 0)
            return i;
    return -1;
}

static const char *skip_reason(const char *test)
{
    for (int i = 0; i < g_n_skips; i++)
        if (strcmp(g_skips[i].name, test) == 0)
            return g_skips[i].reason;
    return NULL;
}

/* Splits "A,B,C" and checks every op is known; collects op ids. On 0, missing (may be
 * NULL) names the first op edgert lacks. */
static int ops_supported(const char *ops, int *ids, int *n_ids, char *missing, size_t msz)
{
    char buf[2048];
    snprintf(buf, sizeof buf, "%s", ops);
    *n_ids = 0;
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
        const char *domain = "";
        char *colon = strrchr(tok, ':');
        if (colon) {
            *colon = '\0';
            domain = tok;
            tok = colon + 1;
        }
        const ert_op_def *op = ert_op_find(domain, tok);
        if (!op) {
            if (missing)
                snprintf(missing, msz, "%s%s%s", domain, *domain ? ":" : "", tok);
            return 0;
        }
        int dup = 0;
        for (int i = 0; i < *n_ids; i++)
            dup |= ids[i] == op->id;
        if (!dup && *n_ids < 64)
            ids[(*n_ids)++] = op->id;
    }
    return 1;
}

/* What a .pb file holds: the declared type of the value it feeds or checks. */
enum { PB_TENSOR = 0, PB_SEQUENCE = 1, PB_OPTIONAL = 2 };

static int pb_kind_of(const ert_tensor *declared)
{
    if (declared->is_optional)
        return PB_OPTIONAL;
    return declared->kind == ERT_TENSOR_SEQUENCE ? PB_SEQUENCE : PB_TENSOR;
}

static int read_pb_kind(const char *path, int kind, ert_tensor *t, char **name, char *msg,
                        size_t msglen)
{
    ert_err err = {{0}};
    void *buf;
    size_t size;
    memset(t, 0, sizeof *t);
    if (ert_read_file(path, &buf, &size, &err) != ERT_OK) {
        snprintf(msg, msglen, "%s", err.msg);
        return -1;
    }
    ert_status st = kind == PB_SEQUENCE   ? ert_import_sequence_proto(buf, size, t, name, &err)
                    : kind == PB_OPTIONAL ? ert_import_optional_proto(buf, size, t, name, &err)
                                          : ert_import_tensor_proto(buf, size, t, name, &err);
    free(buf);
    if (st != ERT_OK) {
        snprintf(msg, msglen, "%s: %s", path, err.msg);
        return -1;
    }
    return 0;
}

static int read_pb(const char *path, ert_tensor *t, char **name, char *msg, size_t msglen)
{
    return read_pb_kind(path, PB_TENSOR, t, name, msg, msglen);
}

static int file_exists(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0;
}

static int compare(const ert_tensor *exp, const ert_tensor_info *info, const void *data,
                   double rtol, double atol, char *msg, size_t msglen)
{
    if (info->dtype != exp->dtype) {
        snprintf(msg, msglen, "output '%s' dtype %s, expected %s", info->name,
                 ert_dtype_name(info->dtype), ert_dtype_name(exp->dtype));
        return -1;
    }
    if (info->rank != exp->rank) {
        snprintf(msg, msglen, "output '%s' rank %d, expected %d", info->name, info->rank, exp->rank);
        return -1;
    }
    for (int i = 0; i < exp->rank; i++)
        if (info->dims[i] != exp->dims[i]) {
            snprintf(msg, msglen, "output '%s' dim %d is %lld, expected %lld", info->name, i,
                     (long long)info->dims[i], (long long)exp->dims[i]);
            return -1;
        }
    int64_t n = ert_tensor_numel(exp);
    int is_float = ert_dtype_is_float(exp->dtype);
    int64_t bad = 0, first = -1;
    double worst = 0;
    for (int64_t i = 0; i < n; i++) {
        if (is_float) {
            double a = ert_load_f64(exp->dtype, data, i), e = ert_load_f64(exp->dtype, exp->data, i);
            if (isnan(e) && isnan(a))
                continue;
            if (isinf(e) && a == e)
                continue;
            double d = fabs(a - e);
            if (!(d <= atol + rtol * fabs(e))) {
                if (first < 0)
                    first = i;
                bad++;
                if (!(d <= worst))
                    worst = d;
            }
        } else {
            if (ert_load_i64(exp->dtype, data, i) != ert_load_i64(exp->dtype, exp->data, i)) {
                if (first < 0)
                    first = i;
                bad++;
            }
        }
    }
    if (bad) {
        if (is_float)
            snprintf(msg, msglen, "output '%s': %lld of %lld values differ (max abs err %g); first "
                     "at %lld: got %.9g expected %.9g", info->name, (long long)bad, (long long)n,
                     worst, (long long)first, ert_load_f64(exp->dtype, data, first),
                     ert_load_f64(exp->dtype, exp->data, first));
        else
            snprintf(msg, msglen, "output '%s': %lld of %lld values differ; first at %lld: got "
                     "%lld expected %lld", info->name, (long long)bad, (long long)n,
                     (long long)first, (long long)ert_load_i64(exp->dtype, data, first),
                     (long long)ert_load_i64(exp->dtype, exp->data, first));
        return -1;
    }
    return 0;
}

/* Compares a sequence / optional output (internal API) with the expected value. */
static int compare_value(const ert_tensor *exp, const ert_tensor *got, const char *name,
                         double rtol, double atol, char *msg, size_t msglen)
{
    if (exp->is_none != got->is_none || exp->kind != got->kind) {
        snprintf(msg, msglen, "output '%s' is %s, expected %s", name, ert_tensor_kind_str(got),
                 ert_tensor_kind_str(exp));
        return -1;
    }
    if (exp->is_none)
        return 0;
    if (exp->kind == ERT_TENSOR_DENSE) {
        ert_tensor_info info = {.name = name, .dtype = got->dtype, .rank = got->rank};
        for (int i = 0; i < got->rank; i++)
            info.dims[i] = got->dims[i];
        return compare(exp, &info, got->data, rtol, atol, msg, msglen);
    }
    if (exp->seq_len != got->seq_len) {
        snprintf(msg, msglen, "output '%s' has %lld elements, expected %lld", name,
                 (long long)got->seq_len, (long long)exp->seq_len);
        return -1;
    }
    for (int64_t i = 0; i < exp->seq_len; i++) {
        char ename[300];
        snprintf(ename, sizeof ename, "%s[%lld]", name, (long long)i);
        if (compare_value(&exp->seq[i], &got->seq[i], ename, rtol, atol, msg, msglen) != 0)
            return -1;
    }
    return 0;
}

/* Runs one data set. Returns 0 pass, -1 fail (msg set). */
static int run_dataset(ert_model *m, const char *dir, double rtol, double atol, char *msg,
                       size_t msglen)
{
    ert_context *c = NULL;
    int rc = -1;
    if (ert_context_create(m, &c) != ERT_OK) {
        snprintf(msg, msglen, "context create failed");
        return -1;
    }
    int nin = ert_model_num_inputs(m);
    char path[4096];
    for (int k = 0; k < nin; k++) {
        snprintf(path, sizeof path, "%s/input_%d.pb", dir, k);
        if (!file_exists(path))
            break;
        ert_tensor t;
        char *name = NULL;
        const ert_graph *g = ert_model_graph(m);
        int pbk = pb_kind_of(&g->values[g->inputs[k]].t);
        if (read_pb_kind(path, pbk, &t, &name, msg, msglen) != 0)
            goto done;
        ert_tensor_info info;
        ert_model_input_info(m, k, &info);
        const char *target = info.name;
        /* prefer the name stored in the file when it names an input */
        if (name && name[0])
            for (int j = 0; j < nin; j++) {
                ert_tensor_info o;
                ert_model_input_info(m, j, &o);
                if (strcmp(o.name, name) == 0)
                    target = o.name;
            }
        ert_status st = pbk == PB_TENSOR
                            ? ert_context_set_input(c, target, t.dtype, t.rank, t.dims, t.data,
                                                    t.nbytes)
                            : ert_context_set_value(c, target, &t);
        free(name);
        ert_tensor_free_data(&t);
        if (st != ERT_OK) {
            snprintf(msg, msglen, "set_input: %s", ert_context_last_error(c));
            goto done;
        }
    }
    /* run 1 sizes everything, run 2 lays out the arena, run 3+ are steady state: the
     * outputs of the last run are checked */
    for (int r = 0; r < g_runs; r++)
        if (ert_context_run(c) != ERT_OK) {
            snprintf(msg, msglen, "run %d: %s", r + 1, ert_context_last_error(c));
            goto done;
        }
    int nout = ert_model_num_outputs(m);
    for (int k = 0; k < nout; k++) {
        snprintf(path, sizeof path, "%s/output_%d.pb", dir, k);
        if (!file_exists(path))
            continue;
        ert_tensor exp;
        const ert_graph *g = ert_model_graph(m);
        const ert_value *ov = &g->values[g->outputs[k]];
        int pbk = pb_kind_of(&ov->t);
        if (read_pb_kind(path, pbk, &exp, NULL, msg, msglen) != 0)
            goto done;
        if (pbk != PB_TENSOR) {
            const ert_tensor *got;
            int r = -1;
            if (ert_context_get_value(c, k, &got) != ERT_OK)
                snprintf(msg, msglen, "get_value: %s", ert_context_last_error(c));
            else
                r = compare_value(&exp, got, ov->name, rtol, atol, msg, msglen);
            ert_tensor_free_data(&exp);
            if (r != 0)
                goto done;
            continue;
        }
        ert_tensor_info info;
        const void *data;
        size_t nbytes;
        if (ert_context_get_output(c, k, &info, &data, &nbytes) != ERT_OK) {
            snprintf(msg, msglen, "get_output: %s", ert_context_last_error(c));
            ert_tensor_free_data(&exp);
            goto done;
        }
        int r = compare(&exp, &info, data, rtol, atol, msg, msglen);
        ert_tensor_free_data(&exp);
        if (r != 0)
            goto done;
    }
    rc = 0;
done:
    ert_context_free(c);
    return rc;
}

/* light suite: arange(n)/n inputs, flat files. */
static int run_light(ert_model *m, const char *root, const char *test, double rtol, char *msg,
                     size_t msglen)
{
    ert_context *c = NULL;
    int rc = -1;
    if (ert_context_create(m, &c) != ERT_OK)
        return -1;
    for (int k = 0; k < ert_model_num_inputs(m); k++) {
        ert_tensor_info info;
        ert_model_input_info(m, k, &info);
        int64_t dims[ERT_MAX_RANK], n = 1;
        for (int d = 0; d < info.rank; d++) {
            dims[d] = info.dims[d] >= 0 ? info.dims[d] : 1;
            n *= dims[d];
        }
        float *x = malloc(sizeof(float) * (size_t)n);
        if (!x)
            goto done;
        for (int64_t i = 0; i < n; i++)
            x[i] = (float)((double)i / (double)n);
        ert_status st = ert_context_set_input(c, info.name, ERT_DTYPE_FLOAT32, info.rank, dims, x,
                                              sizeof(float) * (size_t)n);
        free(x);
        if (st != ERT_OK) {
            snprintf(msg, msglen, "set_input: %s", ert_context_last_error(c));
            goto done;
        }
    }
    if (ert_context_run(c) != ERT_OK) {
        snprintf(msg, msglen, "run: %s", ert_context_last_error(c));
        goto done;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/light/%s_output_0.pb", root, test);
    ert_tensor exp;
    if (read_pb(path, &exp, NULL, msg, msglen) != 0)
        goto done;
    ert_tensor_info info;
    const void *data;
    size_t nbytes;
    ert_context_get_output(c, 0, &info, &data, &nbytes);
    rc = compare(&exp, &info, data, rtol, 1e-7, msg, msglen);
    ert_tensor_free_data(&exp);
done:
    ert_context_free(c);
    return rc;
}

static void usage(void)
{
    printf("usage: ert_conformance [--root DIR] [--suites node,simple,...] [--filter SUBSTR]\n"
           "                       [--skip-list FILE] [--runs N] [-v] [--no-table]\n"
           "Runs the ONNX backend tests whose ops edgert supports.\n"
           "  --root DIR        onnx-node-tests folder (default ../shared/onnx-node-tests)\n"
           "  --suites LIST     comma list among node,simple,pytorch-operator,\n"
           "                    pytorch-converted,light (default: all of them)\n"
           "  --filter SUBSTR   only tests whose name contains SUBSTR\n"
           "  --skip-list FILE  test<TAB>reason lines (default tests/conformance_skip.txt);\n"
           "                    conformance_unsupported.txt next to it lists the cases that\n"
           "                    use an op edgert lacks (checked: a case missing from it, or\n"
           "                    listed but runnable, counts as a failure)\n"
           "  --runs N          runs per data set, outputs of the last checked (default 3:\n"
           "                    sizing run, arena layout, steady state)\n"
           "  -v                print every case\n"
           "Exit status: 0 all supported cases pass, 1 a case failed, 2 usage/setup error.\n");
}

int main(int argc, char **argv)
{
    const char *root = "../shared/onnx-node-tests";
    const char *suites = "node,simple,pytorch-operator,pytorch-converted,light";
    const char *filter = NULL;
    const char *skip_path = "tests/conformance_skip.txt";
    int table = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--root") && i + 1 < argc) root = argv[++i];
        else if (!strcmp(argv[i], "--suites") && i + 1 < argc) suites = argv[++i];
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc) filter = argv[++i];
        else if (!strcmp(argv[i], "--skip-list") && i + 1 < argc) skip_path = argv[++i];
        else if (!strcmp(argv[i], "-v")) g_verbose = 1;
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc) g_runs = atoi(argv[++i]) > 0 ? atoi(argv[i]) : 1;
        else if (!strcmp(argv[i], "--no-table")) table = 0;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(); return 0; }
        else { usage(); return 2; }
    }
    load_list(skip_path, &g_skips, &g_n_skips);
    {
        char upath[4096];
        const char *slash = strrchr(skip_path, '/');
        int dir = slash ? (int)(slash - skip_path) + 1 : 0;
        snprintf(upath, sizeof upath, "%.*sconformance_unsupported.txt", dir, skip_path);
        load_list(upath, &g_unsup, &g_n_unsup);
        g_unsup_seen = calloc((size_t)g_n_unsup + 1, 1);
        if (!g_unsup_seen)
            return 2;
    }
    int unlisted = 0, stale = 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/MANIFEST.tsv", root);
    FILE *mf = fopen(path, "r");
    if (!mf) {
        fprintf(stderr, "cannot open %s: pass --root\n", path);
        return 2;
    }
    static char line[65536];
    int total = 0, passed = 0, failed = 0, skipped = 0, unsupported = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (!fgets(line, sizeof line, mf)) { /* header */
        fclose(mf);
        return 2;
    }
    while (fgets(line, sizeof line, mf)) {
        line[strcspn(line, "\r\n")] = '\0';
        char *cols[8] = {0};
        int nc = 0;
        for (char *p = line; nc < 8;) {
            cols[nc++] = p;
            char *tab = strchr(p, '\t');
            if (!tab)
                break;
            *tab = '\0';
            p = tab + 1;
        }
        if (nc < 5)
            continue;
        const char *suite = cols[0], *test = cols[1], *ops = cols[2], *subops = cols[3],
                   *funcs = cols[4];
        char sfind[64];
        snprintf(sfind, sizeof sfind, "%s", suite);
        {
            /* suite must be in the comma list */
            const char *p = suites;
            int found = 0;
            size_t L = strlen(sfind);
            while (p && *p) {
                if (strncmp(p, sfind, L) == 0 && (p[L] == ',' || p[L] == '\0'))
                    found = 1;
                p = strchr(p, ',');
                if (p)
                    p++;
            }
            if (!found || !strcmp(suite, "real"))
                continue;
        }
        if (filter && !strstr(test, filter))
            continue;
        int ids[64], nids = 0;
        /* ops used inside subgraphs (If/Loop/Scan bodies) must be supported too; they
         * count in the per-op table like top-level ops */
        int sub_ids[64], n_sub = 0;
        char missing[256] = "";
        if (strcmp(funcs, "-") != 0 ||
            !ops_supported(ops, ids, &nids, missing, sizeof missing) ||
            (strcmp(subops, "-") != 0 &&
             !ops_supported(subops, sub_ids, &n_sub, missing, sizeof missing))) {
            unsupported++;
            int ui = unsup_index(test);
            if (ui >= 0)
                g_unsup_seen[ui] = 1;
            if (g_n_unsup > 0 && ui < 0) {
                unlisted++;
                printf("UNLISTED %s/%s: needs %s%s, not in conformance_unsupported.txt\n",
                       suite, test, *missing ? "op " : "model-local functions ",
                       *missing ? missing : funcs);
            } else if (g_verbose) {
                printf("UNSUPPORTED %s/%s: %s%s\n", suite, test,
                       *missing ? "op " : "model-local functions ", *missing ? missing : funcs);
            }
            continue;
        }
        for (int i = 0; i < n_sub; i++) {
            int dup = 0;
            for (int j = 0; j < nids; j++)
                dup |= ids[j] == sub_ids[i];
            if (!dup && nids < 64)
                ids[nids++] = sub_ids[i];
        }
        total++;
        const char *why = skip_reason(test);
        if (why) {
            skipped++;
            for (int i = 0; i < nids; i++)
                g_ops[ids[i]].skipped++;
            if (g_verbose)
                printf("SKIP %s/%s: %s\n", suite, test, why);
            continue;
        }
        char msg[2048] = "";
        int ok;
        ert_model *m = NULL;
        int is_light = !strcmp(suite, "light");
        if (is_light)
            snprintf(path, sizeof path, "%s/light/%s.onnx", root, test);
        else
            snprintf(path, sizeof path, "%s/%s/%s/model.onnx", root, suite, test);
        if (ert_model_load_file(path, NULL, &m) != ERT_OK) {
            snprintf(msg, sizeof msg, "load: %s", ert_model_last_error(m));
            ok = 0;
        } else if (is_light) {
            double rtol = strstr(test, "densenet121") ? 2e-3 : 1e-3;
            ok = run_light(m, root, test, rtol, msg, sizeof msg) == 0;
        } else {
            ok = 1;
            int ran = 0;
            for (int ds = 0; ok; ds++) {
                char dir[4096];
                snprintf(dir, sizeof dir, "%s/%s/%s/test_data_set_%d", root, suite, test, ds);
                if (!file_exists(dir))
                    break;
                ran++;
                if (run_dataset(m, dir, 1e-3, 1e-7, msg, sizeof msg) != 0)
                    ok = 0;
            }
            if (ok && !ran) {
                ok = 0;
                snprintf(msg, sizeof msg, "no test data sets");
            }
        }
        ert_model_free(m);
        for (int i = 0; i < nids; i++) {
            g_ops[ids[i]].run++;
            if (ok)
                g_ops[ids[i]].passed++;
            else
                g_ops[ids[i]].failed++;
        }
        if (ok) {
            passed++;
            if (g_verbose)
                printf("PASS %s/%s\n", suite, test);
        } else {
            failed++;
            printf("FAIL %s/%s: %s\n", suite, test, msg);
        }
        fflush(stdout);
    }
    fclose(mf);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (table) {
        printf("\n%-24s %6s %6s %6s %7s\n", "op", "cases", "pass", "fail", "skipped");
        for (int i = 0; i < ERT_OP_COUNT; i++) {
            const op_count *c = &g_ops[i];
            if (c->run + c->skipped == 0)
                continue;
            printf("%-24s %6d %6d %6d %7d\n", ert_op_get(i)->name, c->run + c->skipped, c->passed,
                   c->failed, c->skipped);
        }
        printf("\n");
    }
    printf("cases with every op supported: %d (ran %d, skipped by list %d); cases with an op "
           "edgert lacks: %d; %.1f s\n", total, total - skipped, skipped, unsupported,
           (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    /* a listed case that ran: the list is stale (only a full run can tell) */
    if (!filter && !strcmp(suites, "node,simple,pytorch-operator,pytorch-converted,light"))
        for (int i = 0; i < g_n_unsup; i++)
            if (!g_unsup_seen[i]) {
                stale++;
                printf("STALE %s: in conformance_unsupported.txt but every op it uses is "
                       "supported (or the case is gone)\n", g_unsup[i].name);
            }
    if (g_n_unsup > 0)
        printf("unsupported list: %d listed, %d unlisted, %d stale\n", g_n_unsup, unlisted,
               stale);
    printf("conformance: %d passed, %d failed, %d skipped\n", passed, failed + unlisted + stale,
           skipped);
    free(g_skips);
    free(g_unsup);
    free(g_unsup_seen);
    return failed || unlisted || stale ? 1 : 0;
}
