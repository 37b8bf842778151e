/*
 * peak.c - measuring the FP32 FMA peak (see peak.h): ISA dispatch, trials, threads.
 *
 * Why measure instead of a table of cores and clocks: the machines are VMs whose CPU
 * changes, turbo and SMT siblings are invisible from inside, and what a benchmark's
 * "% of peak" should mean is "of what this vCPU could do in this run".
 */
#include "kernels/peak/peak.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define PEAK_CHAINS 12        /* independent accumulators per kernel (see the kernels) */
#define PEAK_TRIAL_NS 10000000 /* ~10 ms per trial: long enough to reach full clocks */
#define PEAK_TRIALS 5         /* best of: a preempted trial is dropped */
#define PEAK_GENERIC_LANES 48 /* accumulators of the portable kernel (SSE: 12 x 4) */

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Portable kernel: the compiler vectorizes the inner loop to its baseline width. */
static float chains_generic(long iters)
{
    float a[PEAK_GENERIC_LANES];
    for (int j = 0; j < PEAK_GENERIC_LANES; j++)
        a[j] = 1.0f + 0.01f * (float)j;
    for (long i = 0; i < iters; i++)
        for (int j = 0; j < PEAK_GENERIC_LANES; j++)
            a[j] = a[j] * 0.999999f + 1e-7f;
    float s = 0;
    for (int j = 0; j < PEAK_GENERIC_LANES; j++)
        s += a[j];
    return s;
}

typedef float (*chains_fn)(long iters);

/* The kernel of an ISA level and the flops of one of its rounds. */
static chains_fn pick(ert_isa isa, double *flops_per_iter)
{
#if defined(__x86_64__) || defined(__i386__)
    if (isa == ERT_ISA_AVX512) {
        *flops_per_iter = PEAK_CHAINS * 2.0 * 16;
        return ert_peak_chains_avx512;
    }
    if (isa == ERT_ISA_AVX2) {
        *flops_per_iter = PEAK_CHAINS * 2.0 * 8;
        return ert_peak_chains_avx2;
    }
#else
    (void)isa;
#endif
    *flops_per_iter = PEAK_GENERIC_LANES * 2.0;
    return chains_generic;
}

typedef struct peak_job {
    ert_isa isa;
    double gflops;     /* out: best trial */
    volatile float sink; /* keeps the chains' result alive */
} peak_job;

/* One thread: grows the round count until a trial lasts PEAK_TRIAL_NS, then keeps the
 * best of PEAK_TRIALS trials. */
static void *measure(void *v)
{
    peak_job *j = v;
    double fpi;
    chains_fn fn = pick(j->isa, &fpi);
    long iters = 1 << 12;
    double best = 0;
    for (int t = 0; t < PEAK_TRIALS;) {
        double t0 = now_ns();
        j->sink = fn(iters);
        double dt = now_ns() - t0;
        if (dt < PEAK_TRIAL_NS && iters < (1L << 40)) {
            iters *= 2;
            continue;
        }
        double g = fpi * (double)iters / dt;
        best = g > best ? g : best;
        t++;
    }
    j->gflops = best;
    return NULL;
}

double ert_peak_gflops_isa(ert_isa isa, int threads)
{
    if (threads < 1)
        threads = 1;
    if (isa > ert_cpu_isa())
        isa = ert_cpu_isa(); /* never run instructions the CPU (or the cap) forbids */
    peak_job *jobs = calloc((size_t)threads, sizeof *jobs);
    pthread_t *th = calloc((size_t)threads, sizeof *th);
    double sum = 0;
    int started = 1;
    if (!jobs || !th)
        goto out;
    for (int t = 0; t < threads; t++)
        jobs[t].isa = isa;
    for (; started < threads; started++)
        if (pthread_create(&th[started], NULL, measure, &jobs[started]) != 0)
            break;
    measure(&jobs[0]);
    for (int t = 1; t < started; t++)
        pthread_join(th[t], NULL);
    for (int t = 0; t < threads && started == threads; t++)
        sum += jobs[t].gflops;
out:
    free(jobs);
    free(th);
    return sum;
}

double ert_peak_gflops(int threads)
{
    return ert_peak_gflops_isa(ert_cpu_isa(), threads);
}
