/*
 * threadpool.c - see threadpool.h. (Serial for now: every task runs on the calling
 * thread, which is the documented behaviour of a pool of one thread; the worker threads
 * follow in the next commit.)
 */
#include "runtime/threadpool.h"

#include <stdlib.h>

struct ert_threadpool {
    int n;
};

ert_status ert_threadpool_create(int n_threads, const int *cpus, ert_threadpool **out)
{
    (void)cpus;
    *out = calloc(1, sizeof **out);
    if (!*out)
        return ERT_ERR_NO_MEMORY;
    (*out)->n = 1;
    (void)n_threads;
    return ERT_OK;
}

void ert_threadpool_free(ert_threadpool *p)
{
    free(p);
}

int ert_threadpool_size(const ert_threadpool *p)
{
    return p ? p->n : 1;
}

void ert_parallel_for(ert_threadpool *p, int64_t n, ert_task_fn fn, void *arg)
{
    (void)p;
    for (int64_t i = 0; i < n; i++)
        fn(arg, i, 0);
}
