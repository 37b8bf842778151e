/*
 * cmd_bench.c - `edgert bench MODEL.onnx`: latency of a model, and per layer with
 * --profile, against the FP32 peak measured in the same process.
 *
 * Sequence: measure the FP32 FMA peak of `threads` threads (src/kernels/peak, ~50 ms),
 * load the model (timed), create a context with ert_context_create_ex(num_threads),
 * set the inputs once (tools/inputs.c: the same --shapes/--input rules as `run`), run
 * --warmup untimed, then --iters timed runs, each timed alone with CLOCK_MONOTONIC
 * around ert_context_run. Reports min/median/mean/p90/p99/max and throughput
 * (1000 / mean ms: back-to-back runs of one stream); --json prints all of it as ONE
 * line for scripts (bench/bench_vs_ort.py).
 *
 * GFLOP/s = 2 x MACs / time (tools/macs.h: convolutions and matrix products only, so
 * other layers show no rate). MACs are counted from the output shapes each layer had at
 * run time: the first warm-up run is profiled for that (with --warmup 0 and no
 * --profile the load-time shapes are used, a minimum, flagged, if dims are symbolic).
 * Profiling reads the clock around every layer (a few ns each), so with --profile the
 * timed runs are slightly slower than plain ones.
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#include "engine_opts.h"
#include "engine/engine.h"
#include "inputs.h"
#include "kernels/cpu.h"
#include "kernels/peak/peak.h"
#include "macs.h"
#include "timing.h"

#define CMD "bench"
#define MAX_ITERS 1000000 /* upper bound of --iters and --warmup: catches typos like 1e9 */
#define DEFAULT_ITERS 20
#define DEFAULT_WARMUP 3

static void usage(FILE *f)
{
    fprintf(f,
            "Usage: edgert bench [OPTIONS] MODEL.onnx\n"
            "\n"
            "Times the model: --warmup untimed runs, then --iters timed runs with the same\n"
            "inputs; prints min/median/mean/p90/p99/max latency, throughput, and GFLOP/s and\n"
            "%% of the FP32 peak of the threads used (the peak is measured first, ~50 ms).\n"
            "\n"
            "Options:\n"
            "  -t, --threads N                threads that run the layers (default 1)\n"
            "  -n, --iters N                  timed runs (default %d)\n"
            "  -w, --warmup N                 untimed runs first (default %d)\n"
            "  -s, --shapes NAME:DIMS[,NAME:DIMS...]\n"
            "                                 shape of an input (as in 'edgert run')\n"
            "  -i, --input NAME=FILE.npy|random[:SEED]\n"
            "                                 data of an input (as in 'edgert run'; inputs\n"
            "                                 not given are random with seed 0)\n"
            "  -j, --json                     print one JSON line instead of the report\n"
            "  -p, --profile                  per layer: fused ops, kernel, output shape,\n"
            "                                 MACs, median time, share, GFLOP/s, %% of peak\n"
            "      --tactics                  how each layer's kernel was chosen where it had\n"
            "                                 several: every candidate's timed median, the\n"
            "                                 timing cache, or the heuristic order and why\n"
            "  -h, --help                     show this help and exit\n"
            "Kernel selection (bench tunes by default, as trtexec does):\n"
            "%s"
            "\n"
            "JSON fields: model, cpu, isa, threads, iters, warmup, tune, load_ms, min_ms,\n"
            "median_ms, mean_ms, p90_ms, p99_ms, max_ms, throughput_ips, macs, gmacs,\n"
            "gmacs_is_min, gflops, peak_gflops, peak_pct, peak_rss_mb, profile, times_ms\n"
            "(every timed run, in order) and with --profile 'layers' (name, op, fused,\n"
            "kernel, tactics, shape, macs, median_ms, share_pct, gflops, peak_pct).\n"
            "\n"
            "Exit status: 0 ok, 1 usage error, 2 model load error, 3 bad input data,\n"
            "4 run-time failure.\n",
            DEFAULT_ITERS, DEFAULT_WARMUP, cli_engine_usage);
}

typedef struct bench_args {
    const char *model;
    cli_input_args in;    /* --input / --shapes */
    long threads;         /* the context's threads */
    long iters;           /* timed runs (>= 1) */
    long warmup;          /* untimed runs before them */
    bool json;            /* one JSON line on stdout, nothing else there */
    bool profile;         /* per-layer table */
    bool tactics;         /* how each layer's kernel was chosen */
    cli_engine_args eng;  /* tuning, ISA cap, oracle modes (tools/engine_opts.h) */
} bench_args;

/* One layer of the profile, summarized over the timed runs. */
typedef struct layer_row {
    const ert_step_profile *step;
    double median_ms;
    cli_macs macs;        /* from the step's run-time output shape */
    bool has_macs;
} layer_row;

typedef struct bench_state {
    ert_model *model;
    ert_context *ctx;
    cli_inputs ins;
    double peak_gflops;   /* of args.threads threads */
    double load_ms;
    double *times;        /* per timed run, ms */
    double *layer_ms;     /* --profile: [iter * n_layers + layer], ms */
    int n_layers;         /* profile entries */
    layer_row *rows;
    cli_latency lat;
    cli_macs gmacs;       /* whole model, load-time shapes */
    ert_memory_info mem;  /* after the runs (arena 0: no plan, e.g. one run only) */
} bench_state;

/* ---- options ---- */

static int bench_option(bench_args *a, int c, char **argv)
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
    case 't':
        return cli_count_option(CMD, "threads", optarg, 1, CLI_MAX_THREADS, &a->threads);
    case 'n':
        return cli_count_option(CMD, "iters", optarg, 1, MAX_ITERS, &a->iters);
    case 'w':
        return cli_count_option(CMD, "warmup", optarg, 0, MAX_ITERS, &a->warmup);
    case 'j':
        a->json = true;
        return -1;
    case 'p':
        a->profile = true;
        return -1;
    case 'T':
        a->tactics = true;
        return -1;
    default: {
        int rc = cli_engine_option(CMD, &a->eng, c, optarg);
        return rc == -2 ? cli_getopt_error(CMD, c, argv) : rc;
    }
    }
}

/* Returns -1 when the command should go on, else the exit code. */
static int parse_bench_args(int argc, char **argv, bench_args *a)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"input", required_argument, NULL, 'i'},
        {"shapes", required_argument, NULL, 's'},
        {"threads", required_argument, NULL, 't'},
        {"iters", required_argument, NULL, 'n'},
        {"warmup", required_argument, NULL, 'w'},
        {"json", no_argument, NULL, 'j'},
        {"profile", no_argument, NULL, 'p'},
        {"tactics", no_argument, NULL, 'T'},
        CLI_ENGINE_LONGOPTS,
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":hi:s:t:n:w:jp", opts, NULL)) != -1) {
        int rc = bench_option(a, c, argv);
        if (rc >= 0)
            return rc;
    }
    if (optind >= argc)
        return cli_usage_error(CMD, "missing MODEL.onnx");
    if (optind + 1 < argc)
        return cli_usage_error(CMD, "unexpected argument '%s'", argv[optind + 1]);
    a->model = argv[optind];
    return -1;
}

/* ---- running ---- */

static int setup(bench_args *a, bench_state *s)
{
    ert_load_options lo;
    memset(&lo, 0, sizeof lo);
    cli_engine_load_options(&a->eng, true, a->threads, &lo);
    double t0 = cli_now_ms();
    int rc = cli_engine_load(CMD, a->model, &a->eng, &a->in, &lo, &s->model);
    s->load_ms = cli_now_ms() - t0;
    if (rc != CLI_EXIT_OK)
        return rc;
    rc = cli_inputs_prepare(CMD, s->model, &a->in, a->json ? NULL : stdout, &s->ins);
    if (rc == CLI_EXIT_OK)
        rc = cli_create_context(CMD, s->model, (int)a->threads, a->eng.keep_denormals, &s->ctx);
    if (rc == CLI_EXIT_OK)
        rc = cli_inputs_feed(CMD, s->ctx, &s->ins);
    if (rc != CLI_EXIT_OK)
        return rc;
    s->times = malloc((size_t)a->iters * sizeof *s->times);
    if (!s->times) {
        cli_error(CMD, "out of memory for %ld run times", a->iters);
        return CLI_EXIT_RUN;
    }
    if (a->profile)
        ert_context_set_profiling(s->ctx, true);
    s->gmacs = cli_graph_macs(ert_model_graph(s->model));
    return CLI_EXIT_OK;
}

/* After timed run `it`: saves each layer's time of that run. */
static int record_layers(const bench_args *a, bench_state *s, long it)
{
    const ert_step_profile *steps;
    int n = ert_context_profile(s->ctx, &steps);
    if (!s->layer_ms) {
        s->n_layers = n;
        s->layer_ms = calloc((size_t)a->iters * (size_t)(n > 0 ? n : 1), sizeof *s->layer_ms);
        if (!s->layer_ms) {
            cli_error(CMD, "out of memory for the profile (%d layers x %ld runs)", n, a->iters);
            return CLI_EXIT_RUN;
        }
    }
    if (n != s->n_layers) {
        cli_error(CMD, "the profile changed from %d to %d layers between runs", s->n_layers, n);
        return CLI_EXIT_RUN;
    }
    for (int l = 0; l < n; l++)
        s->layer_ms[it * n + l] = (double)steps[l].ns_last / 1e6;
    return CLI_EXIT_OK;
}

/* Whole-model MACs from the output shapes of the run just profiled (exact where the
 * load-time shapes were symbolic). */
static void macs_from_profile(bench_state *s)
{
    const ert_step_profile *steps;
    int n = ert_context_profile(s->ctx, &steps);
    const ert_graph *g = ert_model_graph(s->model);
    if (n == 0)
        return; /* profiling unavailable: keep the load-time figure */
    cli_macs total = {0, true, false};
    for (int l = 0; l < n; l++) {
        cli_macs m;
        if (steps[l].node_index < 0 || steps[l].node_index >= g->n_nodes ||
            !cli_node_macs_out(g, &g->nodes[steps[l].node_index], steps[l].out_rank,
                               steps[l].out_dims, &m))
            continue;
        total.is_min |= !m.known || m.is_min;
        if (m.known && __builtin_add_overflow(total.value, m.value, &total.value))
            total.known = false;
    }
    s->gmacs = total;
}

/* The first run (a warm-up one when there is one) is profiled to learn every layer's
 * run-time shape; profiling then stays on only with --profile. */
static void probe_begin(const bench_args *a, bench_state *s, long r)
{
    if (r == 0 && !a->profile && a->warmup > 0)
        ert_context_set_profiling(s->ctx, true);
}

static void probe_end(const bench_args *a, bench_state *s, long r)
{
    if (r != 0 || (!a->profile && a->warmup == 0))
        return;
    macs_from_profile(s);
    if (!a->profile)
        ert_context_set_profiling(s->ctx, false);
}

static int run_all(const bench_args *a, bench_state *s)
{
    long total = a->warmup + a->iters;
    for (long r = 0; r < total; r++) {
        probe_begin(a, s, r);
        double t0 = cli_now_ms();
        ert_status st = ert_context_run(s->ctx);
        double t1 = cli_now_ms();
        if (st != ERT_OK) {
            cli_error(CMD, "run %ld of %ld failed: %s (%s)", r + 1, total,
                      ert_context_last_error(s->ctx), ert_status_name(st));
            return CLI_EXIT_RUN;
        }
        probe_end(a, s, r);
        if (r < a->warmup)
            continue;
        s->times[r - a->warmup] = t1 - t0;
        if (a->profile && record_layers(a, s, r - a->warmup) != CLI_EXIT_OK)
            return CLI_EXIT_RUN;
    }
    double *sorted = malloc((size_t)a->iters * sizeof *sorted);
    if (!sorted) {
        cli_error(CMD, "out of memory");
        return CLI_EXIT_RUN;
    }
    memcpy(sorted, s->times, (size_t)a->iters * sizeof *sorted); /* times[] keeps run order */
    s->lat = cli_latency_stats(sorted, a->iters);
    free(sorted);
    return CLI_EXIT_OK;
}

/* Per layer: median over the timed runs and MACs from the run-time output shape. */
static int summarize_layers(const bench_args *a, bench_state *s)
{
    const ert_step_profile *steps;
    int n = ert_context_profile(s->ctx, &steps);
    const ert_graph *g = ert_model_graph(s->model);
    double *col = malloc((size_t)a->iters * sizeof *col);
    s->rows = calloc((size_t)(n > 0 ? n : 1), sizeof *s->rows);
    if (!col || !s->rows) {
        free(col);
        cli_error(CMD, "out of memory");
        return CLI_EXIT_RUN;
    }
    for (int l = 0; l < n && l < s->n_layers; l++) {
        layer_row *row = &s->rows[l];
        for (long it = 0; it < a->iters; it++)
            col[it] = s->layer_ms[it * s->n_layers + l];
        row->step = &steps[l];
        row->median_ms = cli_median(col, a->iters);
        if (steps[l].node_index >= 0 && steps[l].node_index < g->n_nodes)
            row->has_macs = cli_node_macs_out(g, &g->nodes[steps[l].node_index],
                                              steps[l].out_rank, steps[l].out_dims,
                                              &row->macs) && row->macs.known;
    }
    free(col);
    return CLI_EXIT_OK;
}

/* ---- reporting ---- */

static double gflops_of(int64_t macs, double ms)
{
    return ms > 0 ? 2.0 * (double)macs / (ms * 1e6) : 0;
}

static double pct_of_peak(double gflops, double peak)
{
    return peak > 0 ? 100.0 * gflops / peak : 0;
}

/* Peak resident set of this process image: VmHWM of /proc/self/status where there is one.
 * getrusage's ru_maxrss is the fallback only: Linux carries it across exec, so a process
 * started by a large parent (the Python benchmark driver: 111 MiB) reported the parent's
 * peak, not its own. */
static double peak_rss_mb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) == 1)
            break;
    if (f)
        fclose(f);
    if (kb >= 0)
        return (double)kb / 1024.0;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

/* Writes s as a JSON string (quotes, backslashes and control characters escaped). */
static void json_str(const char *s)
{
    putchar('"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void json_layers(const bench_state *s)
{
    printf(",\"layers\":[");
    for (int l = 0; l < s->n_layers; l++) {
        const layer_row *r = &s->rows[l];
        char sh[256];
        double gf = r->has_macs ? gflops_of(r->macs.value, r->median_ms) : 0;
        printf("%s{\"name\":", l ? "," : "");
        json_str(r->step->node);
        printf(",\"op\":");
        json_str(r->step->op);
        printf(",\"fused\":");
        json_str(r->step->fused);
        printf(",\"kernel\":");
        json_str(r->step->kernel);
        printf(",\"tactics\":");
        json_str(r->step->tactics);
        printf(",\"shape\":");
        json_str(cli_dims_str(r->step->out_rank, r->step->out_dims, sh, sizeof sh));
        printf(",\"macs\":%lld,\"median_ms\":%.6f,\"share_pct\":%.2f,\"gflops\":%.2f,"
               "\"peak_pct\":%.2f}", (long long)(r->has_macs ? r->macs.value : 0), r->median_ms,
               s->lat.median > 0 ? 100.0 * r->median_ms / s->lat.median : 0, gf,
               pct_of_peak(gf, s->peak_gflops));
    }
    printf("]");
}

static double mib(size_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0);
}

static void print_json(const bench_args *a, const bench_state *s)
{
    double gmacs = (double)s->gmacs.value / 1e9;
    double gf = gflops_of(s->gmacs.value, s->lat.median);
    printf("{\"model\":");
    json_str(a->model);
    printf(",\"cpu\":");
    json_str(ert_cpu_get()->brand);
    printf(",\"isa\":\"%s\",\"threads\":%ld,\"iters\":%ld,\"warmup\":%ld,\"tune\":%s,"
           "\"load_ms\":%.3f", ert_isa_name(ert_cpu_isa()), a->threads, a->iters, a->warmup,
           a->eng.tune != 0 ? "true" : "false", s->load_ms);
    printf(",\"min_ms\":%.4f,\"median_ms\":%.4f,\"mean_ms\":%.4f,\"p90_ms\":%.4f,"
           "\"p99_ms\":%.4f,\"max_ms\":%.4f,\"throughput_ips\":%.3f", s->lat.min, s->lat.median,
           s->lat.mean, s->lat.p90, s->lat.p99, s->lat.max,
           s->lat.mean > 0 ? 1000.0 / s->lat.mean : 0);
    printf(",\"macs\":%lld,\"gmacs\":%.6f,\"gmacs_is_min\":%s,\"gflops\":%.3f,\"peak_gflops\":%.3f,"
           "\"peak_pct\":%.2f,\"peak_rss_mb\":%.1f,\"profile\":%s", (long long)s->gmacs.value, gmacs,
           s->gmacs.is_min ? "true" : "false", gf, s->peak_gflops,
           pct_of_peak(gf, s->peak_gflops), peak_rss_mb(), a->profile ? "true" : "false");
    printf(",\"arena_bytes\":%zu,\"naive_bytes\":%zu,\"workspace_bytes\":%zu,"
           "\"weight_bytes\":%zu", s->mem.arena_bytes, s->mem.naive_bytes,
           s->mem.workspace_bytes, s->mem.weight_bytes);
    printf(",\"times_ms\":[");
    for (long i = 0; i < a->iters; i++)
        printf("%s%.4f", i ? "," : "", s->times[i]);
    printf("]");
    if (a->profile)
        json_layers(s);
    printf("}\n");
}

static void print_summary(const bench_args *a, const bench_state *s)
{
    const cli_latency *l = &s->lat;
    double gf = gflops_of(s->gmacs.value, l->median);
    printf("model       %s (loaded in %.1f ms, tuning %s)\n", a->model, s->load_ms,
           a->eng.tune != 0 ? "on" : "off");
    printf("cpu         %s, isa %s, %ld thread%s, FP32 peak %.1f GFLOP/s (measured)\n",
           ert_cpu_get()->brand[0] ? ert_cpu_get()->brand : ert_cpu_get()->vendor,
           ert_isa_name(ert_cpu_isa()), a->threads, a->threads == 1 ? "" : "s", s->peak_gflops);
    printf("latency ms  min %.3f  median %.3f  mean %.3f  p90 %.3f  p99 %.3f  max %.3f  "
           "(%ld runs, %ld warm-up%s)\n", l->min, l->median, l->mean, l->p90, l->p99, l->max,
           a->iters, a->warmup, a->profile ? ", profiling on" : "");
    printf("throughput  %.2f inferences/s\n", l->mean > 0 ? 1000.0 / l->mean : 0);
    printf("compute     %s%.3f GMACs -> %.2f GFLOP/s at the median (%.1f%% of peak)\n",
           s->gmacs.is_min ? ">= " : "", (double)s->gmacs.value / 1e9, gf,
           pct_of_peak(gf, s->peak_gflops));
    printf("memory      peak RSS %.1f MiB; arena %.2f MiB (%.2f MiB without reuse), "
           "workspace %.2f MiB, weights %.2f MiB\n", peak_rss_mb(), mib(s->mem.arena_bytes),
           mib(s->mem.naive_bytes), mib(s->mem.workspace_bytes), mib(s->mem.weight_bytes));
}

#define NAME_COLS 28 /* width of the layer-name column */

/* The end of a long name: exporters put the distinguishing part last ("/conv/conv.1/Conv"). */
static const char *name_tail(const char *name, char *buf, size_t len)
{
    size_t n = name ? strlen(name) : 0;
    if (n <= NAME_COLS)
        return name ? name : "";
    snprintf(buf, len, "..%s", name + n - (NAME_COLS - 2));
    return buf;
}

static void print_layer(const bench_state *s, int i)
{
    const layer_row *r = &s->rows[i];
    const ert_step_profile *p = r->step;
    char sh[64], nm[NAME_COLS + 1], macs[32] = "-", gf[16] = "-", pk[16] = "-";
    if (r->has_macs) {
        double g = gflops_of(r->macs.value, r->median_ms);
        snprintf(macs, sizeof macs, "%.2f", (double)r->macs.value / 1e6);
        snprintf(gf, sizeof gf, "%.1f", g);
        snprintf(pk, sizeof pk, "%.1f", pct_of_peak(g, s->peak_gflops));
    }
    printf("%4d  %-28.28s %-34.34s %-22.22s %-16.16s %9s %9.4f %6.2f %7s %6s\n", i,
           name_tail(p->node, nm, sizeof nm),
           p->fused && p->fused[0] ? p->fused : p->op, p->kernel,
           cli_dims_str(p->out_rank, p->out_dims, sh, sizeof sh), macs, r->median_ms,
           s->lat.median > 0 ? 100.0 * r->median_ms / s->lat.median : 0, gf, pk);
}

static void print_profile(const bench_state *s)
{
    double sum = 0;
    printf("\nper layer (median over the timed runs; MACs from the run-time output shape):\n");
    printf("%4s  %-28s %-34s %-22s %-16s %9s %9s %6s %7s %6s\n", "#", "layer",
           "ops (fused)", "kernel", "output", "MMACs", "ms", "%", "GFLOP/s", "%peak");
    for (int i = 0; i < s->n_layers; i++) {
        print_layer(s, i);
        sum += s->rows[i].median_ms;
    }
    printf("sum of layer medians %.3f ms = %.1f%% of the median latency (the rest: the executor "
           "between layers; medians of parts need not add up to the median of the whole)\n", sum,
           s->lat.median > 0 ? 100.0 * sum / s->lat.median : 0);
}

/* --tactics: the layers that had several candidate kernels, with how one was chosen (the
 * tuner's record: tune.h). */
static void print_tactics(const bench_state *s)
{
    const ert_step_profile *steps;
    int n = ert_context_profile(s->ctx, &steps), shown = 0;
    printf("\nkernel choices (layers with several candidates; medians timed at load, one "
           "layer alone):\n");
    for (int i = 0; i < n; i++) {
        if (!steps[i].tactics || !steps[i].tactics[0])
            continue;
        printf("%4d  %s -> %s\n      %s\n", i, steps[i].node, steps[i].kernel, steps[i].tactics);
        shown++;
    }
    if (shown == 0)
        printf("      none\n");
}

static void free_state(bench_state *s)
{
    cli_inputs_free(&s->ins);
    free(s->times);
    free(s->layer_ms);
    free(s->rows);
    ert_context_free(s->ctx);
    ert_model_free(s->model);
}

int cli_cmd_bench(int argc, char **argv)
{
    bench_args a = {0};
    bench_state s = {0};
    a.threads = 1;
    a.iters = DEFAULT_ITERS;
    a.warmup = DEFAULT_WARMUP;
    a.eng.tune = -1; /* bench tunes unless told not to, as trtexec does */
    int rc;
    if (!cli_input_args_init(&a.in, argc)) {
        cli_error(CMD, "out of memory");
        rc = CLI_EXIT_RUN;
        goto out;
    }
    if ((rc = parse_bench_args(argc, argv, &a)) >= 0)
        goto out;
    s.peak_gflops = ert_peak_gflops((int)a.threads); /* before loading: a quiet process */
    if ((rc = setup(&a, &s)) != CLI_EXIT_OK || (rc = run_all(&a, &s)) != CLI_EXIT_OK)
        goto out;
    if (a.profile && (rc = summarize_layers(&a, &s)) != CLI_EXIT_OK)
        goto out;
    if (a.tactics && !a.profile) { /* the step entries, without timing another run */
        ert_context_set_profiling(s.ctx, true);
        ert_context_set_profiling(s.ctx, false);
    }
    (void)ert_context_memory_info(s.ctx, &s.mem);
    if (a.json) {
        print_json(&a, &s);
        goto out;
    }
    print_summary(&a, &s);
    if (a.profile)
        print_profile(&s);
    if (a.tactics)
        print_tactics(&s);
out:
    free_state(&s);
    cli_input_args_free(&a.in);
    return rc;
}
