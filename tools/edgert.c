/*
 * edgert.c - entry point of the `edgert` command-line tool: global options and
 * subcommand dispatch (inspect, run, bench). Each subcommand lives in tools/cmd_<name>.c and
 * parses its own options with getopt_long.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct cli_command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} cli_command;

static const cli_command commands[] = {
    {"inspect", cli_cmd_inspect, "describe a model: I/O, opsets, ops, parameters, MACs"},
    {"run", cli_cmd_run, "run a model once on .npy or random inputs, write outputs as .npy"},
    {"bench", cli_cmd_bench, "time a model (latency percentiles, GFLOP/s, % of peak; per layer)"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

void cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "edgert%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "edgert%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'edgert%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
    return CLI_EXIT_USAGE;
}

int cli_getopt_error(const char *cmd, int c, char **argv)
{
    const char *arg = optind > 0 ? argv[optind - 1] : "?";
    if (c == ':') {
        if (optopt && optopt < 128 && arg[0] == '-' && arg[1] == optopt)
            return cli_usage_error(cmd, "option '-%c' needs an argument", optopt);
        return cli_usage_error(cmd, "option '%s' needs an argument", arg);
    }
    if (optopt && optopt < 128)
        return cli_usage_error(cmd, "unknown option '-%c'", optopt);
    return cli_usage_error(cmd, "unknown option '%s'", arg);
}

const char *cli_human_paren(double v, bool bytes, char *buf, size_t len)
{
    static const char *const si[] = {"", "K", "M", "G", "T", "P", "E"};
    static const char *const bin[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    const double base = bytes ? 1024.0 : 1000.0;
    int i = 0;
    if (v < base) {
        buf[0] = '\0';
        return buf;
    }
    while (v >= base && i < 6) {
        v /= base;
        i++;
    }
    snprintf(buf, len, " (%.2f %s)", v, bytes ? bin[i] : si[i]);
    return buf;
}

bool cli_parse_dims(const char *s, int *rank, int64_t *dims)
{
    *rank = 0;
    if (!*s)
        return false;
    for (;;) {
        if (*s < '0' || *s > '9')
            return false;
        char *end;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || *rank >= ERT_MAX_RANK)
            return false;
        dims[(*rank)++] = v;
        if (*end == '\0')
            return true;
        if (*end != 'x' && *end != 'X')
            return false;
        s = end + 1;
    }
}

static void print_help(FILE *f)
{
    fprintf(f,
            "Usage: edgert [--help] [--version] COMMAND [ARGS...]\n"
            "\n"
            "edgert " ERT_VERSION_STRING ": ONNX inference optimizer and runtime.\n"
            "\n"
            "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Run 'edgert COMMAND --help' for the options of a command.\n"
            "\n"
            "Options:\n"
            "  -h, --help     show this help and exit\n"
            "  -V, --version  show the version and exit\n"
            "\n"
            "Exit codes:\n"
            "  %d  success\n"
            "  %d  usage error (bad option or argument)\n"
            "  %d  model load error (missing file, parse error, unsupported op or version)\n"
            "  %d  bad input data (.npy dtype/shape/format, unknown input, missing --shapes)\n"
            "  %d  run-time failure (the model loaded but running it failed)\n",
            CLI_EXIT_OK, CLI_EXIT_USAGE, CLI_EXIT_LOAD, CLI_EXIT_INPUT, CLI_EXIT_RUN);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    opterr = 0;
    int c;
    /* '+': stop at the first non-option, the subcommand; its options are its own. */
    while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            print_help(stdout);
            return CLI_EXIT_OK;
        case 'V':
            printf("edgert %s\n", ERT_VERSION_STRING);
            return CLI_EXIT_OK;
        default:
            return cli_getopt_error(NULL, c, argv);
        }
    }
    if (optind >= argc) {
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (strcmp(name, "help") == 0) {
        /* "edgert help run" == "edgert run --help" */
        if (optind + 1 < argc) {
            for (size_t i = 0; i < N_COMMANDS; i++)
                if (strcmp(argv[optind + 1], commands[i].name) == 0) {
                    char *sub[] = {(char *)commands[i].name, (char *)"--help", NULL};
                    optind = 0;
                    return commands[i].fn(2, sub);
                }
            return cli_usage_error(NULL, "unknown command '%s'", argv[optind + 1]);
        }
        print_help(stdout);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++) {
        if (strcmp(name, commands[i].name) == 0) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* glibc/musl: 0 re-initialises getopt for the subcommand's scan */
            return commands[i].fn(sub_argc, sub_argv);
        }
    }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}
