/*
 * engine_opts.c - see engine_opts.h.
 */
#include "engine_opts.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inputs.h"

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

int cli_engine_fix_shapes(const char *cmd, cli_engine_args *e, const struct cli_input_args *in,
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
