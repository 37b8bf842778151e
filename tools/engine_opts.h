/*
 * engine_opts.h - the options that decide how a model is optimized, shared by
 * `edgert run` and `edgert bench`: tuning (--tune/--no-tune, --timing-cache,
 * --tuning-budget), the kernel ISA cap (--isa), the oracle modes (--reference,
 * --no-optimize) and the contexts' subnormal mode (--keep-denormals).
 */
#ifndef ERT_CLI_ENGINE_OPTS_H
#define ERT_CLI_ENGINE_OPTS_H

#include <getopt.h>
#include <stdbool.h>

#include "edgert.h"

enum {
    CLI_OPT_TUNE = 300, CLI_OPT_NO_TUNE, CLI_OPT_TIMING_CACHE, CLI_OPT_TUNING_BUDGET,
    CLI_OPT_ISA, CLI_OPT_REFERENCE, CLI_OPT_NO_OPTIMIZE, CLI_OPT_KEEP_DENORMALS
};

#define CLI_ENGINE_LONGOPTS                                                  \
    {"tune", no_argument, NULL, CLI_OPT_TUNE},                                \
    {"no-tune", no_argument, NULL, CLI_OPT_NO_TUNE},                          \
    {"timing-cache", required_argument, NULL, CLI_OPT_TIMING_CACHE},          \
    {"timingCacheFile", required_argument, NULL, CLI_OPT_TIMING_CACHE},       \
    {"tuning-budget", required_argument, NULL, CLI_OPT_TUNING_BUDGET},        \
    {"isa", required_argument, NULL, CLI_OPT_ISA},                            \
    {"reference", no_argument, NULL, CLI_OPT_REFERENCE},                      \
    {"no-optimize", no_argument, NULL, CLI_OPT_NO_OPTIMIZE},                  \
    {"keep-denormals", no_argument, NULL, CLI_OPT_KEEP_DENORMALS}

typedef struct cli_engine_args {
    int tune;                 /* -1: the command's default, 0 off, 1 on */
    const char *timing_cache;
    int budget_ms;            /* 0: unbounded */
    const char *isa;
    bool reference, no_optimize;
    bool keep_denormals;      /* the contexts compute with IEEE subnormals (no FTZ/DAZ) */
    char shapes[4096];        /* --shapes joined, given to the loader (input_shapes) */
} cli_engine_args;

/* Help lines for these options (two-space indented, like the commands' usage). */
extern const char cli_engine_usage[];

/* Handles option c if it is one of these: returns -1 (go on) or an exit code; -2 if c
 * is not an engine option. */
int cli_engine_option(const char *cmd, cli_engine_args *e, int c, const char *arg);

/* Fills the load options; tune_default applies when neither --tune nor --no-tune (or a
 * timing cache, which implies --tune) was given; threads: those the contexts use. */
void cli_engine_load_options(const cli_engine_args *e, bool tune_default, long threads,
                             ert_load_options *lo);

struct cli_input_args;

/* Loads the model (reporting failure like cli_load_model). When tuning, the model is
 * fixed, folded and tuned for the shapes that will run: those of --shapes and of each
 * --input .npy file (a model with a symbolic batch dim fed a 1x3x224x224 file is tuned
 * for 1x3x224x224; without this its layers kept symbolic shapes and went untuned). If
 * that load fails (a file of a shape the model refuses), the model is loaded without the
 * files' shapes, so the inputs' check reports the file. Returns an exit code. */
int cli_engine_load(const char *cmd, const char *path, cli_engine_args *e,
                    const struct cli_input_args *in, ert_load_options *lo, ert_model **out);

#endif /* ERT_CLI_ENGINE_OPTS_H */
