/*
 * threadpool.c - a persistent pthread pool (see threadpool.h).
 *
 * Workers are created once and wait for a job between calls. The generation counter
 * `gen` is odd while a job is open and even while none is: the caller writes the job's
 * fields, bumps `gen` to odd (release) and wakes the workers; it runs chunks itself, and
 * the workers that are awake claim chunks of indices too. Each finished chunk adds its
 * size to `done` (release); the caller returns once `done` == n (acquire), so every
 * task's writes happen-before ert_parallel_for returns, and closes the job (`gen` even)
 * first.
 *
 * Tasks are dealt out as one contiguous range per thread ([t n / T, (t+1) n / T)), each
 * with its own atomic cursor: thread t claims chunks of its own range first and then
 * steals chunks from the others' cursors, so a late or preempted thread's work is still
 * done by whoever is free. Kernels number tasks in memory order (output channels, rows),
 * so in consecutive layers thread t mostly reads what it wrote a moment ago and it is
 * still in its own L2. With one shared cursor the tasks landed on either core at random:
 * on an Intel Xeon, whose cores fetch each other's lines over the mesh, MobileNetV2 ran
 * 1.39x faster on 2 threads than on 1, 1.50x with the ranges (docs/ARCHITECTURE.md).
 *
 * The caller never waits for an idle worker: a worker that was asleep, or is not
 * scheduled (2 vCPUs shared with other processes), would otherwise cost a whole wake-up
 * or time slice per call, even when the caller had already done every task itself
 * (measured: 30-300 us per call under load, against ~1 us). Instead a worker enters a
 * job by incrementing `active`, then re-reads `gen` (both seq_cst): if the job it saw is
 * no longer open it leaves without touching the job's fields. The caller, before
 * writing the next job's fields, waits for `active` == 0; with the close (`gen` even) and
 * the entry both seq_cst, either the worker sees the close, or the caller sees it
 * active (Dekker), so no worker reads fields being rewritten. Only workers that are
 * inside the job (running, about to leave) are ever waited for.
 *
 * Waiting is a short bounded spin (layers follow each other within microseconds, and a
 * futex wake costs ~5-50 us) and then a condition variable, so idle workers cost no CPU.
 * While a run holds the pool (ert_threadpool_hold) the spin goes on much longer, yielding
 * now and then. The spins are bounded by iterations, not time: they read no clock.
 *
 * Workers compute in the floating-point mode of the thread that opened the job (MXCSR /
 * FPCR: subnormal flushing, util/fpmode.h), read by the caller with the job's fields.
 *
 * Nesting: a thread running a task of pool p that calls ert_parallel_for(p, ...) runs the
 * inner loop serially with its own tid (its workspace slice is free: it is this thread's).
 * Calls from different threads on one pool are serialized by a mutex (a context is used
 * by one thread at a time, so this is only a safety net).
 */
#define _GNU_SOURCE /* pthread_setaffinity_np, cpu_set_t; must precede every include */
#include "runtime/threadpool.h"

#include "util/fpmode.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/* ~2000 pause instructions: tens of microseconds on current x86 cores, about the gap
 * between two parallel layers; beyond that a sleeping worker is cheaper. */
#define ERT_POOL_SPIN 2000
/* While a run holds the pool (ert_threadpool_hold) waits spin up to ~2^24 pauses (0.15-2 s
 * by the pause latency) instead of sleeping: a sleeping worker's wake-up costs 5-50 us,
 * more in a VM, against layers of a few microseconds. */
#define ERT_POOL_HOLD_SPIN (1 << 24)
/* Chunks per thread: enough for dynamic load balance, few enough atomics on huge n. */
#define ERT_POOL_CHUNKS_PER_THREAD 8

struct ert_threadpool {
    int n;                       /* threads running tasks, caller included */
    int n_workers;               /* worker threads started (n - 1 once created) */
    pthread_t *workers;          /* n - 1 worker threads; tid = index + 1 */
    int *cpus;                   /* NULL, or n CPU ids (cpus[0]: the caller) */
    pthread_mutex_t call_mu;     /* serializes ert_parallel_for calls from distinct threads */
    pthread_t pinned_caller;     /* the caller thread last pinned to cpus[0] */
    bool caller_pinned;          /* pinned_caller is valid */
    pthread_mutex_t mu;          /* guards the sleeps on `wake` and `done` */
    pthread_cond_t wake;         /* workers: a new generation (or stop) was published */
    pthread_cond_t all_done;     /* caller: done reached n_tasks */
    atomic_uint_fast64_t gen;    /* odd: a job is open (bumped after its fields); even: none */
    atomic_bool stop;            /* workers exit at the next wake */
    atomic_bool hold;            /* a run is in progress: wait by spinning, not sleeping */
    atomic_int active;           /* workers inside a job (may read its fields) */
    struct pool_range *ranges;   /* n: each thread's share of the current job */
    atomic_int_fast64_t done;    /* tasks of the current job finished */
    /* The current job: written by the caller before the generation bump only. */
    ert_task_fn fn;
    void *arg;
    int64_t n_tasks;
    int64_t chunk;
    ert_fpmode fpmode;           /* the caller's floating-point mode (subnormal flushing) */
};

/* One thread's share of a job: [next, end) is unclaimed. Its thread claims from it first;
 * the others steal from it when theirs is empty. One cache line each. */
struct pool_range {
    _Alignas(64) atomic_int_fast64_t next;
    int64_t end;
};

/* The pool whose task this thread is running (workers: always their pool), and its tid. */
static _Thread_local const ert_threadpool *tls_pool;
static _Thread_local int tls_tid;

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void pin_self(int cpu)
{
#ifdef __linux__
    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return; /* not a CPU id this process can name: ignored like any pinning failure */
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set); /* failure ignored */
#else
    (void)cpu;
#endif
}

/* Claims and runs chunks of r until none is left; each finished chunk counts into `done`. */
static void run_range(ert_threadpool *p, struct pool_range *r, int tid)
{
    const int64_t n = p->n_tasks, chunk = p->chunk, last = r->end;
    for (;;) {
        int64_t i = atomic_fetch_add_explicit(&r->next, chunk, memory_order_relaxed);
        if (i >= last)
            return;
        int64_t end = last - i < chunk ? last : i + chunk;
        for (int64_t k = i; k < end; k++)
            p->fn(p->arg, k, tid);
        int64_t before = atomic_fetch_add_explicit(&p->done, end - i, memory_order_acq_rel);
        if (before + (end - i) == n && tid != 0) {
            pthread_mutex_lock(&p->mu); /* the caller may be asleep on all_done */
            pthread_cond_signal(&p->all_done);
            pthread_mutex_unlock(&p->mu);
        }
    }
}

/* This thread's own range, then the others' in turn. */
static void run_chunks(ert_threadpool *p, int tid)
{
    for (int k = 0; k < p->n; k++)
        run_range(p, &p->ranges[(tid + k) % p->n], tid);
}

/* Past the short spin: whether to go on spinning (a run holds the pool, up to a bound).
 * Every 256th turn yields the CPU, so a thread of another process or context that waits
 * for this core (more threads than cores) gets it. */
static inline bool spin_on(ert_threadpool *p, int64_t k)
{
    if (k >= ERT_POOL_HOLD_SPIN || !atomic_load_explicit(&p->hold, memory_order_relaxed))
        return false;
    if ((k & 255) == 0)
        sched_yield();
    return true;
}

/* Spins, then sleeps, until the generation differs from `seen` or stop is set. */
static uint64_t wait_generation(ert_threadpool *p, uint64_t seen)
{
    uint64_t g;
    for (int64_t k = 0; k < ERT_POOL_SPIN || spin_on(p, k); k++) {
        g = atomic_load_explicit(&p->gen, memory_order_acquire);
        if (g != seen || atomic_load_explicit(&p->stop, memory_order_acquire))
            return g;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    while ((g = atomic_load_explicit(&p->gen, memory_order_acquire)) == seen &&
           !atomic_load_explicit(&p->stop, memory_order_acquire))
        pthread_cond_wait(&p->wake, &p->mu);
    pthread_mutex_unlock(&p->mu);
    return g;
}

struct worker_start {
    ert_threadpool *pool;
    int tid;
};

static void *worker_main(void *v)
{
    struct worker_start *ws = v;
    ert_threadpool *p = ws->pool;
    int tid = ws->tid;
    free(ws);
    if (p->cpus)
        pin_self(p->cpus[tid]);
    tls_pool = p;
    tls_tid = tid;
    uint64_t seen = 0; /* workers start before the first job: generation 0, closed */
    for (;;) {
        seen = wait_generation(p, seen);
        if (atomic_load_explicit(&p->stop, memory_order_acquire))
            return NULL;
        if (!(seen & 1))
            continue; /* a close: wait for the next open */
        atomic_fetch_add_explicit(&p->active, 1, memory_order_seq_cst);
        if (atomic_load_explicit(&p->gen, memory_order_seq_cst) == seen) {
            /* still open: its fields are stable until active drops */
            if (ert_fpmode_get() != p->fpmode)
                ert_fpmode_set(p->fpmode); /* tasks compute as the caller does */
            run_chunks(p, tid);
        }
        atomic_fetch_sub_explicit(&p->active, 1, memory_order_release);
    }
}

/* Until every task of the current job has finished (the caller has run out of chunks). */
static void wait_done(ert_threadpool *p)
{
    const int64_t n = p->n_tasks;
    for (int64_t k = 0; k < ERT_POOL_SPIN || spin_on(p, k); k++) {
        if (atomic_load_explicit(&p->done, memory_order_acquire) == n)
            return;
        cpu_relax();
    }
    pthread_mutex_lock(&p->mu);
    while (atomic_load_explicit(&p->done, memory_order_acquire) != n)
        pthread_cond_wait(&p->all_done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}

/* Until no worker is inside a job. Such a worker is running (it entered a moment ago and
 * found nothing, or is leaving), so this is short; yield in case it was preempted. */
static void wait_inactive(ert_threadpool *p)
{
    for (int k = 0; atomic_load_explicit(&p->active, memory_order_seq_cst) != 0; k++) {
        if (k < ERT_POOL_SPIN)
            cpu_relax();
        else
            sched_yield();
    }
}

static void stop_workers(ert_threadpool *p)
{
    pthread_mutex_lock(&p->mu);
    atomic_store_explicit(&p->stop, true, memory_order_release);
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    for (int w = 0; w < p->n_workers; w++)
        pthread_join(p->workers[w], NULL);
    p->n_workers = 0;
}

static ert_status start_workers(ert_threadpool *p)
{
    for (int w = 0; w < p->n - 1; w++) {
        struct worker_start *ws = malloc(sizeof *ws);
        if (!ws)
            return ERT_ERR_NO_MEMORY;
        ws->pool = p;
        ws->tid = w + 1;
        if (pthread_create(&p->workers[w], NULL, worker_main, ws) != 0) {
            free(ws);
            return ERT_ERR_NO_MEMORY;
        }
        p->n_workers++;
    }
    return ERT_OK;
}

static ert_status init_sync(ert_threadpool *p)
{
    if (pthread_mutex_init(&p->call_mu, NULL) != 0)
        return ERT_ERR_NO_MEMORY;
    if (pthread_mutex_init(&p->mu, NULL) != 0)
        goto fail_mu;
    if (pthread_cond_init(&p->wake, NULL) != 0)
        goto fail_wake;
    if (pthread_cond_init(&p->all_done, NULL) != 0)
        goto fail_done;
    return ERT_OK;
fail_done:
    pthread_cond_destroy(&p->wake);
fail_wake:
    pthread_mutex_destroy(&p->mu);
fail_mu:
    pthread_mutex_destroy(&p->call_mu);
    return ERT_ERR_NO_MEMORY;
}

static void destroy_sync(ert_threadpool *p)
{
    pthread_cond_destroy(&p->all_done);
    pthread_cond_destroy(&p->wake);
    pthread_mutex_destroy(&p->mu);
    pthread_mutex_destroy(&p->call_mu);
}

static ert_status copy_cpus(ert_threadpool *p, const int *cpus)
{
    if (!cpus)
        return ERT_OK;
    p->cpus = malloc((size_t)p->n * sizeof *p->cpus);
    if (!p->cpus)
        return ERT_ERR_NO_MEMORY;
    for (int t = 0; t < p->n; t++)
        p->cpus[t] = cpus[t];
    return ERT_OK;
}

ert_status ert_threadpool_create(int n_threads, const int *cpus, ert_threadpool **out)
{
    *out = NULL;
    if (n_threads < 1)
        return ERT_ERR_INVALID_ARGUMENT;
    ert_threadpool *p = calloc(1, sizeof *p);
    if (!p)
        return ERT_ERR_NO_MEMORY;
    p->n = n_threads;
    atomic_init(&p->gen, 0);
    atomic_init(&p->stop, false);
    atomic_init(&p->hold, false);
    atomic_init(&p->active, 0);
    atomic_init(&p->done, 0);
    ert_status st = copy_cpus(p, cpus);
    if (st != ERT_OK)
        goto fail;
    if (n_threads > 1 && (!(p->workers = calloc((size_t)n_threads - 1, sizeof *p->workers)) ||
                          !(p->ranges = aligned_alloc(64, (size_t)n_threads * sizeof *p->ranges)))) {
        st = ERT_ERR_NO_MEMORY;
        goto fail;
    }
    if ((st = init_sync(p)) != ERT_OK)
        goto fail;
    if ((st = start_workers(p)) != ERT_OK) {
        stop_workers(p);
        destroy_sync(p);
        goto fail;
    }
    *out = p;
    return ERT_OK;
fail:
    free(p->workers);
    free(p->ranges);
    free(p->cpus);
    free(p);
    return st;
}

void ert_threadpool_free(ert_threadpool *p)
{
    if (!p)
        return;
    stop_workers(p);
    destroy_sync(p);
    free(p->workers);
    free(p->ranges);
    free(p->cpus);
    free(p);
}

void ert_threadpool_hold(ert_threadpool *p, bool on)
{
    if (p)
        atomic_store_explicit(&p->hold, on, memory_order_relaxed);
}

int ert_threadpool_size(const ert_threadpool *p)
{
    return p ? p->n : 1;
}

static void run_serial(int64_t n, ert_task_fn fn, void *arg, int tid)
{
    for (int64_t i = 0; i < n; i++)
        fn(arg, i, tid);
}

/* Pins the calling thread to cpus[0] the first time it drives this pool. Under call_mu. */
static void pin_caller(ert_threadpool *p)
{
    pthread_t self = pthread_self();
    if (p->caller_pinned && pthread_equal(p->pinned_caller, self))
        return;
    pin_self(p->cpus[0]);
    p->pinned_caller = self;
    p->caller_pinned = true;
}

/* Publishes the job, runs tasks on the caller (tid 0), waits until all are done, closes. */
static void run_parallel(ert_threadpool *p, int64_t n, ert_task_fn fn, void *arg)
{
    const int64_t t_n = p->n;
    int64_t chunk = n / (t_n * ERT_POOL_CHUNKS_PER_THREAD);
    wait_inactive(p); /* no worker may still read the previous job's fields */
    p->fn = fn;
    p->arg = arg;
    p->n_tasks = n;
    p->chunk = chunk > 0 ? chunk : 1;
    p->fpmode = ert_fpmode_get();
    for (int64_t t = 0; t < t_n; t++) {
        p->ranges[t].end = n / t_n * (t + 1) + (n % t_n) * (t + 1) / t_n;
        atomic_store_explicit(&p->ranges[t].next, n / t_n * t + (n % t_n) * t / t_n,
                              memory_order_relaxed);
    }
    atomic_store_explicit(&p->done, 0, memory_order_relaxed);
    pthread_mutex_lock(&p->mu);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_seq_cst); /* open (odd) */
    pthread_cond_broadcast(&p->wake);
    pthread_mutex_unlock(&p->mu);
    run_chunks(p, 0);
    wait_done(p);
    atomic_fetch_add_explicit(&p->gen, 1, memory_order_seq_cst); /* close (even) */
}

void ert_parallel_for(ert_threadpool *p, int64_t n, ert_task_fn fn, void *arg)
{
    if (n <= 0)
        return;
    if (!p || p->n == 1) {
        run_serial(n, fn, arg, 0);
        return;
    }
    if (tls_pool == p) { /* nested inside one of p's tasks */
        run_serial(n, fn, arg, tls_tid);
        return;
    }
    pthread_mutex_lock(&p->call_mu);
    if (p->cpus)
        pin_caller(p);
    const ert_threadpool *outer_pool = tls_pool;
    int outer_tid = tls_tid;
    tls_pool = p;
    tls_tid = 0;
    if (n == 1)
        fn(arg, 0, 0); /* one task: waking the workers would only add latency */
    else
        run_parallel(p, n, fn, arg);
    tls_pool = outer_pool;
    tls_tid = outer_tid;
    pthread_mutex_unlock(&p->call_mu);
}
