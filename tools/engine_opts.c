/*
 * engine_opts.c - see engine_opts.h.
 */
#include "engine_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inputs.h"
#include "npy.h"

const char cli_engine_usage[] =
    "      --tune                  time the candidate kernels of each layer at load\n"
    "      --no-tune               take the kernels the heuristics rank first\n"
    "      --timing-cache FILE     read and update a timing cache (implies --tune; alias\n"
    "                              --timingCacheFile)\n"
    "      --tuning-budget SECONDS bound the whole search; heuristics decide after it\n"
    "      --isa LEVEL             cap the kernels at generic|avx2|avx512|neon (also\n"
    "                              the ERT_ISA environment variable)\n"
    "      --reference             run every layer with its reference kernel (oracle)\n"
    "      --no-optimize           skip the graph optimizer (fusions, folding of BN)\n"
    "      --keep-denormals        compute with IEEE subnormal floats (default: flushed\n"
    "                              to zero while the model runs; they are ~100x slower\n"
    "                              per operation on many CPUs)\n";

int cli_engine_option(const char *cmd, cli_engine_args *e, int c, const char *arg)
{
    switch (c) {
    case CLI_OPT_TUNE:
    case CLI_OPT_NO_TUNE:
        e->tune = c == CLI_OPT_TUNE;
        return -1;
    case CLI_OPT_TIMING_CACHE:
        e->timing_cache = arg;
        return -1;
    case CLI_OPT_TUNING_BUDGET: {
        char *end;
        double s = strtod(arg, &end);
        if (*arg == '\0' || *end != '\0' || !(s >= 0) || s > 86400)
            return cli_usage_error(cmd, "--tuning-budget '%s': expected seconds in [0, 86400]",
                                   arg);
        e->budget_ms = s > 0 && s < 0.001 ? 1 : (int)(s * 1000);
        return -1;
    }
    case CLI_OPT_ISA:
        if (strcmp(arg, "generic") && strcmp(arg, "avx2") && strcmp(arg, "avx512") &&
            strcmp(arg, "neon"))
            return cli_usage_error(cmd, "--isa '%s': expected generic, avx2, avx512 or neon",
                                   arg);
        e->isa = arg;
        return -1;
    case CLI_OPT_REFERENCE:
        e->reference = true;
        return -1;
    case CLI_OPT_NO_OPTIMIZE:
        e->no_optimize = true;
        return -1;
    case CLI_OPT_KEEP_DENORMALS:
        e->keep_denormals = true;
        return -1;
    default:
        return -2;
    }
}

void cli_engine_load_options(const cli_engine_args *e, bool tune_default, long threads,
                             ert_load_options *lo)
{
    lo->fold_constants = 1;
    lo->tune = e->tune >= 0 ? e->tune : (e->timing_cache ? 1 : tune_default);
    lo->tune_threads = (int)threads;
    lo->tuning_budget_ms = e->budget_ms;
    lo->timing_cache = e->timing_cache;
    lo->isa = e->isa;
    lo->reference_kernels = e->reference;
    lo->no_optimize = e->no_optimize;
}

/* Joins the --shapes lists into e->shapes and points lo->input_shapes at it. Returns an
 * exit code. */
static int fix_shapes(const char *cmd, cli_engine_args *e, const struct cli_input_args *in,
                      ert_load_options *lo)
{
    size_t pos = 0;
    e->shapes[0] = '\0';
    for (int k = 0; k < in->n_shapes; k++) {
        int w = snprintf(e->shapes + pos, sizeof e->shapes - pos, "%s%s", pos ? "," : "",
                         in->shapes[k]);
        if (w < 0 || (size_t)w >= sizeof e->shapes - pos)
            return cli_usage_error(cmd, "--shapes: the lists are too long (%zu bytes at most)",
                                   sizeof e->shapes - 1);
        pos += (size_t)w;
    }
    lo->input_shapes = pos ? e->shapes : NULL;
    return CLI_EXIT_OK;
}

/* Whether a --shapes entry names input `name` (len bytes). */
static bool shapes_name(const struct cli_input_args *in, const char *name, size_t len)
{
    for (int k = 0; k < in->n_shapes; k++)
        for (const char *s = in->shapes[k]; s; s = strchr(s, ',') ? strchr(s, ',') + 1 : NULL)
            if (strncmp(s, name, len) == 0 && s[len] == ':')
                return true;
    return false;
}

/* Appends "NAME:DIMS" for each --input NAME=FILE.npy not named by --shapes whose file
 * reads (a file that does not read is reported later, with the inputs). Returns how many. */
static int add_npy_shapes(cli_engine_args *e, const struct cli_input_args *in)
{
    int added = 0;
    for (int k = 0; k < in->n_inputs; k++) {
        const char *spec = in->inputs[k], *eq = strchr(spec, '=');
        if (!eq || eq == spec || strncmp(eq + 1, "random", 6) == 0 ||
            shapes_name(in, spec, (size_t)(eq - spec)))
            continue;
        npy_array arr;
        char err[256];
        if (npy_read(eq + 1, &arr, err, sizeof err) != 0)
            continue;
        size_t pos = strlen(e->shapes), cap = sizeof e->shapes;
        int w = snprintf(e->shapes + pos, cap - pos, "%s%.*s:", pos ? "," : "",
                         (int)(eq - spec), spec);
        for (int d = 0; w > 0 && (size_t)w < cap - pos && d < arr.rank; d++)
            w += snprintf(e->shapes + pos + w, cap - pos - (size_t)w, "%s%lld", d ? "x" : "",
                          (long long)arr.dims[d]);
        if (w < 0 || (size_t)w >= cap - pos || arr.rank == 0)
            e->shapes[pos] = '\0'; /* too long, or a scalar: left to run time */
        else
            added++;
        npy_free(&arr);
    }
    return added;
}

int cli_engine_load(const char *cmd, const char *path, cli_engine_args *e,
                    const struct cli_input_args *in, ert_load_options *lo, ert_model **out)
{
    *out = NULL;
    if (lo->tune) {
        int rc = fix_shapes(cmd, e, in, lo);
        if (rc != CLI_EXIT_OK)
            return rc;
        size_t given = strlen(e->shapes);
        if (add_npy_shapes(e, in) > 0) {
            lo->input_shapes = e->shapes;
            if (ert_model_load_file(path, lo, out) == ERT_OK)
                return CLI_EXIT_OK;
            ert_model_free(*out); /* e.g. a file of another shape: say so with the inputs */
            *out = NULL;
            e->shapes[given] = '\0';
            lo->input_shapes = given ? e->shapes : NULL;
        }
    }
    return cli_load_model(cmd, path, lo, out);
}
