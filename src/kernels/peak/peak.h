/*
 * peak.h - the machine's FP32 FMA peak, measured (never looked up): the denominator of
 * "% of peak" in `edgert bench --profile` and bench/RESULTS.md.
 *
 * The CPU under the CI and development machines changes from day to day
 * (../shared/machine-peak.md), so the peak is measured in the same run as the numbers it
 * is compared with: 12 independent FMA chains per thread (enough to cover the FMA
 * latency x throughput of current cores), best of a few ~10 ms trials.
 */
#ifndef ERT_PEAK_H
#define ERT_PEAK_H

#include "kernels/cpu.h"

/* FP32 GFLOP/s (an FMA counts 2) of `threads` threads (>= 1) running FMA chains at the
 * same time, each the best of its trials, summed; at the widest ISA in force
 * (ert_cpu_isa()). Takes ~70 ms of wall time. Returns 0 if a thread
 * could not be started. */
double ert_peak_gflops(int threads);

/* The same at one ISA level (reports of both widths); a level above ert_cpu_isa() is
 * lowered to it. */
double ert_peak_gflops_isa(ert_isa isa, int threads);

/* Per-ISA chain kernels (private to kernels/peak): run `iters` rounds of 12 FMA chains
 * and return a value derived from every chain (so no chain is dead code). Each round is
 * 12 * 2 * lanes flops: lanes 16 (avx512), 8 (avx2), 4 (generic scalar x4). */
float ert_peak_chains_avx512(long iters);
float ert_peak_chains_avx2(long iters);

#endif /* ERT_PEAK_H */
