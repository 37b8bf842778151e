/*
 * inputs.h - a model's inputs from the command line (--shapes, --input), shared by
 * `edgert run` and `edgert bench` so both resolve shapes, files and random data the
 * same way and say the same things about bad ones.
 *
 * Resolution, in this order, so each error names the input and the culprit:
 *   1. --shapes NAME:DIMS    checked against the model's fixed dims; binds symbols
 *   2. --input NAME=FILE.npy dtype must equal the model's (no silent conversion), rank
 *                            and fixed dims must match; binds symbols
 *   3. random inputs         (--input NAME=random[:SEED], or any input not given: seed 0)
 *                            symbolic dims from --shapes, else from a symbol of the same
 *                            name bound in 1-2, else an error naming input and dim.
 * Random data: splitmix64 (public domain, Steele et al. 2014), seeded with
 * SEED ^ fnv1a(input name) so two inputs with the same seed still differ and a value
 * does not depend on the order of --input flags. float: uniform [0,1); integers:
 * [0,10); bool: 0/1.
 */
#ifndef ERT_CLI_INPUTS_H
#define ERT_CLI_INPUTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "edgert.h"
#include "npy.h"

/* The raw options, in command-line order. */
typedef struct cli_input_args {
    const char **inputs;      /* "NAME=SPEC" */
    int n_inputs;
    const char **shapes;      /* "NAME:DIMS[,NAME:DIMS]" */
    int n_shapes;
} cli_input_args;

/* One model input, resolved. */
typedef struct cli_input {
    ert_tensor_info info;     /* the model's description */
    const char *file;         /* .npy path, or NULL for random */
    bool random_explicit;     /* random:SEED given on the command line */
    uint64_t seed;
    bool has_shape;           /* --shapes given */
    int shape_rank;
    int64_t shape_dims[ERT_MAX_RANK];
    int rank;                 /* resolved concrete shape */
    int64_t dims[ERT_MAX_RANK];
    npy_array arr;            /* file data */
    void *rdata;              /* random data (owned) */
    size_t nbytes;
} cli_input;

typedef struct cli_inputs {
    cli_input *in;
    int n;
} cli_inputs;

/* Room for up to max_opts --input and --shapes options each (argc is enough).
 * False if memory ran out. */
bool cli_input_args_init(cli_input_args *a, int max_opts);
void cli_input_args_free(cli_input_args *a);

/* Resolves the options against model m and produces every input's data. log: where the
 * "input NAME from/random ..." lines go (NULL: nowhere). Returns CLI_EXIT_OK or the exit
 * code of the first error, already reported as "edgert <cmd>: ...". out is always
 * initialized (free it with cli_inputs_free). */
int cli_inputs_prepare(const char *cmd, const ert_model *m, const cli_input_args *a, FILE *log,
                       cli_inputs *out);
/* Sets every input on c. Returns CLI_EXIT_OK, CLI_EXIT_INPUT or CLI_EXIT_RUN (reported). */
int cli_inputs_feed(const char *cmd, ert_context *c, const cli_inputs *in);
void cli_inputs_free(cli_inputs *in);

/* "1x3x224x224" ("scalar" for rank 0, "?" for unknown rank). */
const char *cli_dims_str(int rank, const int64_t *dims, char *buf, size_t len);

/* Loads path, reporting failure as "edgert <cmd>: ..."; *out is set either way (free it
 * with ert_model_free). Returns CLI_EXIT_OK or CLI_EXIT_LOAD. */
int cli_load_model(const char *cmd, const char *path, const ert_load_options *opt,
                   ert_model **out);

/* ert_context_create_ex with `threads` threads, reporting failure. Returns CLI_EXIT_OK or
 * CLI_EXIT_RUN; *ctx is set either way (free it with ert_context_free). */
int cli_create_context(const char *cmd, ert_model *model, int threads, bool keep_denormals,
                       ert_context **ctx);

#endif /* ERT_CLI_INPUTS_H */
