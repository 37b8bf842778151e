/*
 * threadpool.h - a persistent pthread pool owned by an execution context.
 *
 * ert_parallel_for splits [0, n) into tasks run by the pool's workers and the calling
 * thread together, and returns when all are done. Workers sleep (no spinning beyond a
 * short bounded spin) between calls. A pool of size 1, or a NULL pool, runs every task
 * on the calling thread: kernels call ert_parallel_for unconditionally.
 *
 * Policy against oversubscription (docs/ARCHITECTURE.md): each context owns its pool,
 * sized by the user (default 1); two contexts run concurrently use their own threads, so
 * the user sizes them to the cores they want each to have. Never nested: a task must
 * not call ert_parallel_for on the same pool (it runs the inner loop serially instead).
 */
#ifndef ERT_THREADPOOL_H
#define ERT_THREADPOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "edgert.h"

typedef struct ert_threadpool ert_threadpool;

/* fn(arg, i, tid) for each i in [0, n); tid in [0, threads) identifies the thread (its
 * per-thread workspace slice). */
typedef void (*ert_task_fn)(void *arg, int64_t i, int tid);

/* n_threads >= 1 (including the caller). cpus: NULL, or n_threads CPU ids to pin thread
 * t to cpus[t] (the caller is pinned too); pinning failure is not an error. */
ert_status ert_threadpool_create(int n_threads, const int *cpus, ert_threadpool **out);
void ert_threadpool_free(ert_threadpool *p);
/* Threads that run tasks (1 for NULL). */
int ert_threadpool_size(const ert_threadpool *p);
void ert_parallel_for(ert_threadpool *p, int64_t n, ert_task_fn fn, void *arg);
/* on: a run of many parallel layers starts; until it is turned off, threads waiting for
 * the next layer (or for the last tasks of one) spin instead of sleeping, so no layer pays
 * a wake-up. The caller turns it off when the run ends; waits then sleep after the short
 * spin again. */
void ert_threadpool_hold(ert_threadpool *p, bool on);

#endif /* ERT_THREADPOOL_H */
