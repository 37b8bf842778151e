/*
 * timing.c - see timing.h.
 */
#define _POSIX_C_SOURCE 200809L

#include "timing.h"

#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

bool cli_parse_count(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    if (*s < '0' || *s > '9')
        return false;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int cli_count_option(const char *cmd, const char *name, const char *arg, long lo, long hi,
                     long *out)
{
    if (cli_parse_count(arg, lo, hi, out))
        return -1;
    return cli_usage_error(cmd, "--%s '%s': expected an integer in [%ld, %ld]", name, arg, lo,
                           hi);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The ceil(pct/100 * n)-th smallest of sorted t (nearest rank), in integers. */
static double nearest_rank(const double *t, long n, long pct)
{
    long r = (pct * n + 99) / 100;
    return t[r < 1 ? 0 : r - 1];
}

double cli_median(double *t, long n)
{
    qsort(t, (size_t)n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

cli_latency cli_latency_stats(double *t, long n)
{
    cli_latency s;
    s.median = cli_median(t, n);
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += t[i];
    s.min = t[0];
    s.max = t[n - 1];
    s.p90 = nearest_rank(t, n, 90);
    s.p99 = nearest_rank(t, n, 99);
    s.mean = sum / (double)n;
    return s;
}
