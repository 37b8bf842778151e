/*
 * timing.h - wall-clock timing and latency statistics shared by `edgert run --repeat`
 * and `edgert bench`.
 */
#ifndef ERT_CLI_TIMING_H
#define ERT_CLI_TIMING_H

#include <stdbool.h>

/* CLOCK_MONOTONIC in milliseconds. */
double cli_now_ms(void);

/* Parses a decimal count in [lo, hi]; false on anything else (sign, suffix, overflow). */
bool cli_parse_count(const char *s, long lo, long hi, long *out);

/* An option's count (--threads, --iters, ...): -1 when arg parses in [lo, hi] (into
 * *out), else the usage error's exit code after "--NAME 'arg': expected an integer in
 * [lo, hi]". */
int cli_count_option(const char *cmd, const char *name, const char *arg, long lo, long hi,
                     long *out);

typedef struct cli_latency {
    double min, median, mean, p90, p99, max;
} cli_latency;

/* Sorts t[0..n) (n >= 1) in place and summarizes it. Percentiles are nearest rank (the
 * ceil(p n)-th smallest), so with fewer than 10 runs p90 is the maximum; the median of
 * an even count is the mean of the middle two. */
cli_latency cli_latency_stats(double *t, long n);

/* Median of t[0..n) (n >= 1), sorting it in place. */
double cli_median(double *t, long n);

#endif /* ERT_CLI_TIMING_H */
