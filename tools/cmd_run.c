/*
 * cmd_run.c - `edgert run MODEL.onnx`: one inference through the public API.
 *
 * Uses only edgert.h for loading and running (it is the API's first user and its
 * smoke test); internal headers are used for nothing but half-float conversion.
 *
 * Inputs (--shapes, --input, random data) are resolved by tools/inputs.c, shared with
 * `edgert bench`; the rules are in tools/inputs.h.
 *
 * Timing (--warmup N, --repeat N): the same inputs run N warm-up times untimed, then
 * N timed times; "run time" is the median of the timed runs (the single run's time by
 * default, so scripts that parse it keep working) and a "latency ms:" line gives
 * median/min/p90/mean. Outputs shown and written are the last run's. Each run is timed
 * alone with CLOCK_MONOTONIC around ert_context_run (no input copy, no output read).
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "engine_opts.h"
#include "inputs.h"
#include "ir/ir.h"
#include "npy.h"
#include "timing.h"

#define CMD "run"
#define ERRLEN 1024
#define MAX_RUNS 1000000  /* upper bound of --warmup and --repeat: catches typos like 1e9 */

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: edgert run [OPTIONS] MODEL.onnx\n"
            "\n"
            "Runs the model once (or --repeat times) and prints, for each output, its dtype,\n"
            "shape, min/max/mean, and the run time.\n"
            "\n"
            "Options:\n"
            "  -i, --input NAME=FILE.npy      feed input NAME from a numpy .npy file; its dtype\n"
            "                                 must be the model's (no conversion) and its shape\n"
            "                                 must agree with the model's fixed dims\n"
            "  -i, --input NAME=random[:SEED] feed random data (float: uniform [0,1); ints:\n"
            "                                 [0,10); bool: 0/1). Inputs not given are random\n"
            "                                 with seed 0. (A file named 'random': ./random)\n"
            "  -s, --shapes NAME:DIMS[,NAME:DIMS...]\n"
            "                                 shape of an input, e.g. images:1x3x640x640;\n"
            "                                 needed for symbolic dims of random inputs (a dim\n"
            "                                 named like one already sized is reused)\n"
            "  -o, --output-dir DIR           write each output to DIR/NAME.npy (numpy 1.0,\n"
            "                                 little-endian, C order; DIR is created). Names\n"
            "                                 are made file-safe: characters outside\n"
            "                                 [A-Za-z0-9._-] become '_', collisions get _1, _2\n"
            "  -t, --threads N                threads that run the layers (default 1: the\n"
            "                                 calling thread only)\n"
            "  -w, --warmup N                 run N times untimed first (default 0)\n"
            "  -r, --repeat N                 time N runs with the same inputs (default 1);\n"
            "                                 'run time' is then their median and a line\n"
            "                                 'latency ms: median M min M p90 M mean M (N runs,\n"
            "                                 W warm-up)' follows. Outputs are the last run's\n"
            "      --print-times              also print every timed run: 'run times ms: T ...'\n"
            "      --lenient-attributes       load a model with attributes its ops do not define\n"
            "                                 (a broken exporter's file): they are ignored, with\n"
            "                                 a warning each, on every run\n"
            "  -h, --help                     show this help and exit\n"
            "Kernel selection (run uses the heuristics unless given --tune or a cache):\n"
            "%s"
            "\n"
            "Options may be repeated. Exit status: 0 ok, 1 usage error, 2 model load error,\n"
            "3 bad input data (.npy dtype/shape/format, unknown input, missing --shapes),\n"
            "4 run-time failure (including failure to write outputs).\n", cli_engine_usage);
}

static double load_f64(ert_dtype dt, const void *p, int64_t i)
{
    switch (dt) {
    case ERT_DTYPE_FLOAT32: return ((const float *)p)[i];
    case ERT_DTYPE_FLOAT64: return ((const double *)p)[i];
    case ERT_DTYPE_FLOAT16: return ert_half_to_float(((const uint16_t *)p)[i]);
    case ERT_DTYPE_BFLOAT16: return ert_bf16_to_float(((const uint16_t *)p)[i]);
    case ERT_DTYPE_BOOL: return ((const uint8_t *)p)[i] != 0;
    case ERT_DTYPE_UINT8: return ((const uint8_t *)p)[i];
    case ERT_DTYPE_INT8: return ((const int8_t *)p)[i];
    case ERT_DTYPE_UINT16: return ((const uint16_t *)p)[i];
    case ERT_DTYPE_INT16: return ((const int16_t *)p)[i];
    case ERT_DTYPE_UINT32: return ((const uint32_t *)p)[i];
    case ERT_DTYPE_INT32: return ((const int32_t *)p)[i];
    case ERT_DTYPE_UINT64: return (double)((const uint64_t *)p)[i];
    case ERT_DTYPE_INT64: return (double)((const int64_t *)p)[i];
    default: return NAN;
    }
}

static void print_stats(const ert_tensor_info *info, const void *data, size_t nbytes)
{
    char sh[256];
    size_t es = ert_dtype_size(info->dtype);
    int64_t n = es ? (int64_t)(nbytes / es) : 0;
    printf("  %-24s %-8s %-16s", info->name, ert_dtype_name(info->dtype),
           cli_dims_str(info->rank, info->dims, sh, sizeof sh));
    if (es == 0) {
        printf(" (no statistics for this dtype)\n");
        return;
    }
    double mn = INFINITY, mx = -INFINITY, sum = 0;
    int64_t n_nan = 0, n_inf = 0, counted = 0;
    for (int64_t i = 0; i < n; i++) {
        double v = load_f64(info->dtype, data, i);
        if (isnan(v)) {
            n_nan++;
            continue;
        }
        mn = v < mn ? v : mn;
        mx = v > mx ? v : mx;
        if (isinf(v)) {
            n_inf++;
            continue;
        }
        sum += v;
        counted++;
    }
    if (n == 0)
        printf(" (empty)");
    else if (n_nan == n)
        printf(" all NaN");
    else
        printf(" min %.6g  max %.6g  mean %.6g", mn, mx, counted ? sum / (double)counted : NAN);
    if (n_nan)
        printf("  [%lld NaN]", (long long)n_nan);
    if (n_inf)
        printf("  [%lld inf]", (long long)n_inf);
    printf("\n");
}

/* ---- output file names ---- */

static bool name_is_safe(const char *s)
{
    if (!*s || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '.' || *s == '_' || *s == '-'))
            return false;
    return true;
}

static void make_safe(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    for (; *s && n + 1 < len; s++) {
        bool ok = (*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
                  (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-';
        buf[n++] = ok ? *s : '_';
    }
    buf[n] = '\0';
    if (n == 0)
        snprintf(buf, len, "output");
    else if (strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
        for (size_t i = 0; i < n; i++)
            buf[i] = '_';
}

#define FNAME_MAX 200 /* bytes of a file name stem; keeps DIR/NAME.npy within NAME_MAX */

/* Chooses file stems: names already safe keep theirs (so a real "a_b" is not renamed
 * because "a/b" also maps to it); the others get the safe form, then _1, _2... */
static bool choose_file_names(int n, const ert_tensor_info *outs, char (*stems)[FNAME_MAX + 16])
{
    bool *done = calloc((size_t)n + 1, 1);
    if (!done)
        return false;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < n; i++) {
            if (done[i] || (pass == 0 && !name_is_safe(outs[i].name)))
                continue;
            char base[FNAME_MAX];
            make_safe(outs[i].name, base, sizeof base);
            snprintf(stems[i], FNAME_MAX + 16, "%s", base);
            for (int k = 1;; k++) {
                bool clash = false;
                for (int j = 0; j < n && !clash; j++)
                    clash = j != i && done[j] && strcmp(stems[j], stems[i]) == 0;
                if (!clash)
                    break;
                snprintf(stems[i], FNAME_MAX + 16, "%s_%d", base, k);
            }
            done[i] = true;
        }
    }
    free(done);
    return true;
}

/* mkdir -p: creates dir and any missing parents. False with errno set on failure. */
static bool mkdir_p(const char *dir)
{
    char *p = strdup(dir);
    if (!p)
        return false;
    for (char *q = p + 1; *q; q++) {
        if (*q != '/')
            continue;
        *q = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return false;
        }
        *q = '/';
    }
    bool ok = mkdir(p, 0777) == 0 || errno == EEXIST;
    free(p);
    if (ok) {
        struct stat st;
        if (stat(dir, &st) != 0)
            return false;
        if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            return false;
        }
    }
    return ok;
}

/* ---- the command ---- */

typedef struct run_args {
    const char *model;
    cli_input_args in;        /* --input / --shapes */
    const char *out_dir;
    long threads;             /* the context's threads (--threads; default 1) */
    long warmup;              /* untimed runs before the timed ones */
    long repeat;              /* timed runs (>= 1) */
    bool print_times;         /* print every timed run's latency */
    bool lenient;             /* --lenient-attributes: unknown attributes only warn */
    cli_engine_args eng;      /* tuning, ISA cap, oracle modes (tools/engine_opts.h) */
} run_args;

static int write_outputs(ert_context *ctx, int n_out, const char *dir)
{
    ert_tensor_info *infos = calloc((size_t)n_out + 1, sizeof *infos);
    char (*stems)[FNAME_MAX + 16] = calloc((size_t)n_out + 1, sizeof *stems);
    int rc = CLI_EXIT_OK;
    if (!infos || !stems) {
        cli_error(CMD, "out of memory");
        rc = CLI_EXIT_RUN;
        goto out;
    }
    for (int i = 0; i < n_out; i++) {
        const void *d;
        size_t nb;
        if (ert_context_get_output(ctx, i, &infos[i], &d, &nb) != ERT_OK) {
            cli_error(CMD, "output %d: %s", i, ert_context_last_error(ctx));
            rc = CLI_EXIT_RUN;
            goto out;
        }
    }
    if (!mkdir_p(dir)) {
        cli_error(CMD, "cannot create output directory '%s': %s", dir, strerror(errno));
        rc = CLI_EXIT_RUN;
        goto out;
    }
    if (!choose_file_names(n_out, infos, stems)) {
        cli_error(CMD, "out of memory");
        rc = CLI_EXIT_RUN;
        goto out;
    }
    for (int i = 0; i < n_out; i++) {
        ert_tensor_info info;
        const void *data;
        size_t nbytes;
        if (ert_context_get_output(ctx, i, &info, &data, &nbytes) != ERT_OK) {
            cli_error(CMD, "output %d: %s", i, ert_context_last_error(ctx));
            rc = CLI_EXIT_RUN;
            goto out;
        }
        size_t plen = strlen(dir) + strlen(stems[i]) + 8;
        char *path = malloc(plen);
        if (!path) {
            rc = CLI_EXIT_RUN;
            goto out;
        }
        snprintf(path, plen, "%s/%s.npy", dir, stems[i]);
        char err[ERRLEN];
        int wrc;
        float *conv = NULL;
        if (info.dtype == ERT_DTYPE_BFLOAT16) {
            /* numpy has no bfloat16: widen to float32 (exact). */
            size_t n = nbytes / 2;
            conv = malloc(n * sizeof *conv + 1);
            if (!conv) {
                free(path);
                rc = CLI_EXIT_RUN;
                goto out;
            }
            for (size_t k = 0; k < n; k++)
                conv[k] = ert_bf16_to_float(((const uint16_t *)data)[k]);
            wrc = npy_write(path, ERT_DTYPE_FLOAT32, info.rank, info.dims, conv,
                            n * sizeof *conv, err, sizeof err);
        } else {
            wrc = npy_write(path, info.dtype, info.rank, info.dims, data, nbytes, err,
                            sizeof err);
        }
        free(conv);
        if (wrc != 0) {
            cli_error(CMD, "output '%s': %s", info.name, err);
            rc = CLI_EXIT_RUN;
        } else {
            printf("wrote  %-24s -> %s%s\n", info.name, path,
                   info.dtype == ERT_DTYPE_BFLOAT16 ? " (bfloat16 widened to float32)" : "");
        }
        free(path);
    }
out:
    free(infos);
    free(stems);
    return rc;
}

/* One option of getopt_long's loop; returns -1 to go on, else the exit code. */
static int run_option(run_args *a, int c, char **argv)
{
    switch (c) {
    case 'h':
        usage(stdout);
        return CLI_EXIT_OK;
    case 'i':
        a->in.inputs[a->in.n_inputs++] = optarg;
        return -1;
    case 's':
        a->in.shapes[a->in.n_shapes++] = optarg;
        return -1;
    case 'o':
        if (a->out_dir)
            return cli_usage_error(CMD, "--output-dir given twice");
        a->out_dir = optarg;
        return -1;
    case 't':
        return cli_count_option(CMD, "threads", optarg, 1, CLI_MAX_THREADS, &a->threads);
    case 'w':
        return cli_count_option(CMD, "warmup", optarg, 0, MAX_RUNS, &a->warmup);
    case 'r':
        return cli_count_option(CMD, "repeat", optarg, 1, MAX_RUNS, &a->repeat);
    case 'T':
        a->print_times = true;
        return -1;
    case 'L':
        a->lenient = true;
        return -1;
    default: {
        int rc = cli_engine_option(CMD, &a->eng, c, optarg);
        return rc == -2 ? cli_getopt_error(CMD, c, argv) : rc;
    }
    }
}

/* Returns -1 when the command should go on, else the exit code. */
static int parse_run_args(int argc, char **argv, run_args *a)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"input", required_argument, NULL, 'i'},
        {"shapes", required_argument, NULL, 's'},
        {"output-dir", required_argument, NULL, 'o'},
        {"threads", required_argument, NULL, 't'},
        {"warmup", required_argument, NULL, 'w'},
        {"repeat", required_argument, NULL, 'r'},
        {"print-times", no_argument, NULL, 'T'},
        {"lenient-attributes", no_argument, NULL, 'L'},
        CLI_ENGINE_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":hi:s:o:t:w:r:", opts, NULL)) != -1) {
        int rc = run_option(a, c, argv);
        if (rc >= 0)
            return rc;
    }
    if (optind >= argc)
        return cli_usage_error(CMD, "missing MODEL.onnx");
    if (optind + 1 < argc)
        return cli_usage_error(CMD, "unexpected argument '%s' (inputs go in --input NAME=FILE)",
                               argv[optind + 1]);
    a->model = argv[optind];
    return -1;
}

/* Warm-up runs, then a->repeat timed ones into times[]. */
static int run_timed(ert_context *ctx, const run_args *a, double *times)
{
    long total = a->warmup + a->repeat;
    for (long r = 0; r < total; r++) {
        double t0 = cli_now_ms();
        ert_status st = ert_context_run(ctx);
        double t1 = cli_now_ms();
        if (st != ERT_OK) {
            if (total > 1)
                cli_error(CMD, "run %ld of %ld failed: %s (%s)", r + 1, total,
                          ert_context_last_error(ctx), ert_status_name(st));
            else
                cli_error(CMD, "run failed: %s (%s)", ert_context_last_error(ctx),
                          ert_status_name(st));
            return CLI_EXIT_RUN;
        }
        if (r >= a->warmup)
            times[r - a->warmup] = t1 - t0;
    }
    return CLI_EXIT_OK;
}

static int print_outputs(ert_context *ctx, int n_out)
{
    printf("outputs (%d):\n", n_out);
    for (int i = 0; i < n_out; i++) {
        ert_tensor_info info;
        const void *data;
        size_t nbytes;
        ert_status st = ert_context_get_output(ctx, i, &info, &data, &nbytes);
        if (st != ERT_OK) {
            cli_error(CMD, "output %d: %s (%s)", i, ert_context_last_error(ctx),
                      ert_status_name(st));
            return CLI_EXIT_RUN;
        }
        print_stats(&info, data, nbytes);
    }
    return CLI_EXIT_OK;
}

static void print_times(const run_args *a, double *times)
{
    if (a->print_times) {
        printf("run times ms:");
        for (long r = 0; r < a->repeat; r++)
            printf(" %.3f", times[r]);
        printf("\n");
    }
    cli_latency rs = cli_latency_stats(times, a->repeat);
    printf("run time: %.3f ms\n", rs.median);
    if (a->repeat > 1 || a->warmup > 0)
        printf("latency ms: median %.3f min %.3f p90 %.3f mean %.3f (%ld run%s, %ld warm-up)\n",
               rs.median, rs.min, rs.p90, rs.mean, a->repeat, a->repeat == 1 ? "" : "s",
               a->warmup);
}

int cli_cmd_run(int argc, char **argv)
{
    run_args a = {0};
    a.repeat = 1;
    a.threads = 1;
    a.eng.tune = -1;
    double *times = NULL;
    ert_model *model = NULL;
    ert_context *ctx = NULL;
    cli_inputs ins = {0};
    int rc;
    if (!cli_input_args_init(&a.in, argc)) {
        cli_error(CMD, "out of memory");
        rc = CLI_EXIT_RUN;
        goto out;
    }
    if ((rc = parse_run_args(argc, argv, &a)) >= 0)
        goto out;
    ert_load_options lo = {0};
    cli_engine_load_options(&a.eng, false, a.threads, &lo); /* run: heuristics unless told */
    lo.lenient_attributes = a.lenient;
    if (a.lenient)
        fprintf(stderr, "edgert %s: warning: --lenient-attributes: attributes the ops do not "
                "define are ignored; the results may be wrong\n", CMD);
    if ((rc = cli_engine_load(CMD, a.model, &a.eng, &a.in, &lo, &model)) != CLI_EXIT_OK)
        goto out; /* when tuning: for the shapes that will run */
    if ((rc = cli_inputs_prepare(CMD, model, &a.in, stdout, &ins)) != CLI_EXIT_OK)
        goto out;
    if ((rc = cli_create_context(CMD, model, (int)a.threads, a.eng.keep_denormals, &ctx)) != CLI_EXIT_OK)
        goto out;
    if ((rc = cli_inputs_feed(CMD, ctx, &ins)) != CLI_EXIT_OK)
        goto out;
    times = malloc((size_t)a.repeat * sizeof *times);
    if (!times) {
        cli_error(CMD, "out of memory for %ld run times", a.repeat);
        rc = CLI_EXIT_RUN;
        goto out;
    }
    if ((rc = run_timed(ctx, &a, times)) != CLI_EXIT_OK)
        goto out;
    int n_out = ert_model_num_outputs(model);
    if ((rc = print_outputs(ctx, n_out)) != CLI_EXIT_OK)
        goto out;
    print_times(&a, times);
    if (a.out_dir)
        rc = write_outputs(ctx, n_out, a.out_dir);
out:
    cli_inputs_free(&ins);
    free(times);
    ert_context_free(ctx);
    ert_model_free(model);
    cli_input_args_free(&a.in);
    return rc;
}
