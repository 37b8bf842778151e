/*
 * tune.h - tactic selection by timing (auto-tuning) and the timing cache.
 *
 * For a step with several candidate kernels whose input shapes are all known at load
 * time, the tuner runs each candidate on the real shapes (random inputs, the model's
 * constants), a few repetitions taken in turns (one run of each candidate per round, so
 * load bursts on a shared machine hit them all), and keeps the one with the lowest median, as
 * TensorRT's tactic selection does. Results go to a timing cache keyed by the layer's
 * signature (op, input shapes and dtypes, attributes), the ISA level, the thread count
 * and the CPU model, so a second build of the same or a similar model times nothing.
 * A budget bounds the whole search; once spent, the heuristic order decides.
 */
#ifndef ERT_TUNE_H
#define ERT_TUNE_H

#include "edgert.h"
#include "kernels/kernel.h"

typedef struct ert_tune_entry {
    char *key;
    char kernel[64];
    double ns;
} ert_tune_entry;

typedef struct ert_tuner {
    bool enabled;             /* time candidates (else: cache, then heuristic) */
    int threads;
    struct ert_threadpool *pool;
    uint64_t budget_ns;       /* 0: unbounded */
    uint64_t spent_ns;
    const char *cache_path;   /* NULL: no cache file */
    int n_entries, cap_entries;
    ert_tune_entry *entries;
    bool dirty;
    int n_timed, n_cached, n_heuristic; /* decisions, for reports */
} ert_tuner;

ert_status ert_tuner_init(ert_tuner *t, const ert_load_options *opt, ert_err *err);

/* Index into cand[0..nc) of the kernel to use for n. *why (may be NULL) gets how it was
 * chosen, for `edgert bench --tactics`: each candidate's median when timed ("timed:
 * conv.im2col.avx512 3.826 ms, conv.direct.avx512 4.311 ms"), "timing cache (... ms)",
 * or "heuristic order: " and why nothing was timed; "" with one candidate. */
int ert_tuner_pick(ert_tuner *t, const ert_graph *g, const ert_node *n, const ert_kernel **cand,
                   int nc, ert_isa isa, char *why, size_t why_len);

/* Writes the cache file if it changed; frees everything. */
ert_status ert_tuner_finish(ert_tuner *t, ert_err *err);

#endif /* ERT_TUNE_H */
