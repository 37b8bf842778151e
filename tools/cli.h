/*
 * cli.h - shared declarations of the `edgert` command-line tool (the files in tools/).
 *
 * The exit codes are part of the tool's interface (scripts test them), so they are
 * named here once and listed in `edgert --help`; never renumber them.
 */
#ifndef ERT_CLI_H
#define ERT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "edgert.h"

enum {
    CLI_EXIT_OK = 0,      /* success */
    CLI_EXIT_USAGE = 1,   /* bad command line: unknown option, missing argument */
    CLI_EXIT_LOAD = 2,    /* model could not be loaded: missing file, parse error, unsupported op */
    CLI_EXIT_INPUT = 3,   /* bad input data: .npy dtype/shape/format, unknown or unsized input */
    CLI_EXIT_RUN = 4      /* the model loaded but running it failed */
};

/* Subcommands: argv[0] is the subcommand name; return one of CLI_EXIT_*. */
int cli_cmd_inspect(int argc, char **argv);
int cli_cmd_run(int argc, char **argv);
int cli_cmd_bench(int argc, char **argv);

/* Upper bound of --threads: catches typos; far above any edge device's core count. */
#define CLI_MAX_THREADS 256

/* Prints "edgert <cmd>: <message>\n" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Reports a usage error ("Try 'edgert <cmd> --help'.") and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Handles getopt_long's '?' and ':' returns (optstring starting with ':'): prints which
 * option was unknown or lacks its argument. Returns CLI_EXIT_USAGE. */
int cli_getopt_error(const char *cmd, int c, char **argv);

/* Parses "1x3x640x640" (at most ERT_MAX_RANK sizes joined by 'x'); false on bad syntax. */
bool cli_parse_dims(const char *s, int *rank, int64_t *dims);

/* " (1.23 G)" for v >= 1000 (bytes: " (1.15 GiB)", powers of 1024), else "". */
const char *cli_human_paren(double v, bool bytes, char *buf, size_t len);

#endif /* ERT_CLI_H */
