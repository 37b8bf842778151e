/*
 * test_threadpool.c - the thread pool (src/runtime/threadpool.c): every index runs exactly
 * once with a tid in range, sums, task writes visible after return, many back-to-back
 * calls, n = 0 / 1 / huge, pools of 1..4 threads and NULL, two pools driven concurrently
 * from two threads, nested calls (serial, same tid), workers taking tasks, each thread
 * dealt a contiguous range, held pools (spinning between calls), workers computing in the
 * caller's floating-point mode, pinning (valid and invalid CPU ids).
 * Built plainly by ctest and with -fsanitize=thread by scripts/test.sh, which checks that
 * the pool's synchronization makes every plain (non-atomic) access in here race-free.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/threadpool.h"
#include "util/fpmode.h"

static atomic_int g_pass, g_fail;

#define CHECK(cond, ...)                                  \
    do {                                                  \
        if (cond) {                                       \
            g_pass++;                                     \
        } else {                                          \
            g_fail++;                                     \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);   \
            printf(__VA_ARGS__);                          \
            printf("\n");                                 \
        }                                                 \
    } while (0)

#define MAX_THREADS 4
/* Per-tid slots padded to a cache line: plain writes, so a tid shared by two threads at
 * once is a data race TSan reports. */
typedef struct {
    int64_t v;
    char pad[56];
} slot;

typedef struct {
    atomic_int *hits;   /* times index i ran */
    int64_t *out;       /* plain writes: out[i] = 3 * i */
    slot sum[MAX_THREADS];
    int threads;
    atomic_int bad_tid;
} cover_job;

static void cover_task(void *arg, int64_t i, int tid)
{
    cover_job *j = arg;
    if (tid < 0 || tid >= j->threads) {
        atomic_fetch_add(&j->bad_tid, 1);
        return;
    }
    atomic_fetch_add_explicit(&j->hits[i], 1, memory_order_relaxed);
    j->out[i] = 3 * i;
    j->sum[tid].v += i;
}

static int64_t run_rounds(ert_threadpool *p, int rounds, int64_t n);

static void check_cover(ert_threadpool *p, int threads, int64_t n)
{
    cover_job j;
    memset(&j, 0, sizeof j);
    j.threads = threads;
    j.hits = calloc((size_t)(n > 0 ? n : 1), sizeof *j.hits);
    j.out = calloc((size_t)(n > 0 ? n : 1), sizeof *j.out);
    ert_parallel_for(p, n, cover_task, &j);
    int64_t wrong = 0, sum = 0;
    for (int64_t i = 0; i < n; i++)
        wrong += atomic_load(&j.hits[i]) != 1 || j.out[i] != 3 * i;
    for (int t = 0; t < MAX_THREADS; t++)
        sum += j.sum[t].v;
    CHECK(wrong == 0, "threads %d n %lld: %lld indices not run exactly once", threads,
          (long long)n, (long long)wrong);
    CHECK(sum == n * (n - 1) / 2, "threads %d n %lld: sum %lld", threads, (long long)n,
          (long long)sum);
    CHECK(j.bad_tid == 0, "threads %d: tid out of range", threads);
    free(j.hits);
    free(j.out);
}

static void test_cover(void)
{
    static const int64_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 31, 64, 1000, 100003};
    for (int t = 1; t <= MAX_THREADS; t++) {
        ert_threadpool *p;
        CHECK(ert_threadpool_create(t, NULL, &p) == ERT_OK, "create %d", t);
        CHECK(ert_threadpool_size(p) == t, "size %d", ert_threadpool_size(p));
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
            check_cover(p, t, sizes[k]);
        ert_threadpool_hold(p, true); /* a run: waits spin instead of sleeping */
        for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
            check_cover(p, t, sizes[k]);
        CHECK(run_rounds(p, 2000, 8) == 0, "held pool of %d: stale cells", t);
        ert_threadpool_hold(p, false);
        check_cover(p, t, 1000);
        ert_threadpool_free(p);
    }
    CHECK(ert_threadpool_size(NULL) == 1, "NULL pool size");
    check_cover(NULL, 1, 1000);
}

static void test_bad_create(void)
{
    ert_threadpool *p = (ert_threadpool *)&p;
    CHECK(ert_threadpool_create(0, NULL, &p) == ERT_ERR_INVALID_ARGUMENT && p == NULL,
          "0 threads must be refused");
    ert_threadpool_free(NULL);
}

/* Plain per-tid sums over a huge n: dynamic chunks must cover it all. */
typedef struct {
    slot sum[MAX_THREADS];
} huge_job;

static void huge_task(void *arg, int64_t i, int tid)
{
    huge_job *j = arg;
    j->sum[tid].v += i & 1;
}

static void test_huge(void)
{
    const int64_t n = 4000000;
    ert_threadpool *p;
    CHECK(ert_threadpool_create(3, NULL, &p) == ERT_OK, "create");
    huge_job j;
    memset(&j, 0, sizeof j);
    ert_parallel_for(p, n, huge_task, &j);
    int64_t s = 0;
    for (int t = 0; t < MAX_THREADS; t++)
        s += j.sum[t].v;
    CHECK(s == n / 2, "huge n: %lld odd indices, want %lld", (long long)s, (long long)(n / 2));
    ert_threadpool_free(p);
}

/* Back-to-back calls: each call's writes must be complete when it returns. */
typedef struct {
    int64_t *cells;
    int64_t round;
} round_job;

static void round_task(void *arg, int64_t i, int tid)
{
    round_job *j = arg;
    j->cells[i] = j->round + i;
}

static int64_t run_rounds(ert_threadpool *p, int rounds, int64_t n)
{
    int64_t cells[64], wrong = 0;
    round_job j = {cells, 0};
    for (int r = 0; r < rounds; r++) {
        j.round = r;
        ert_parallel_for(p, n, round_task, &j);
        for (int64_t i = 0; i < n; i++)
            wrong += cells[i] != r + i;
    }
    return wrong;
}

static void test_back_to_back(void)
{
    ert_threadpool *p;
    CHECK(ert_threadpool_create(4, NULL, &p) == ERT_OK, "create");
    CHECK(run_rounds(p, 20000, 8) == 0, "back-to-back calls saw stale cells");
    CHECK(run_rounds(p, 2000, 64) == 0, "back-to-back calls (n 64) saw stale cells");
    ert_threadpool_free(p);
}

/* Two pools, each driven by its own thread at the same time. */
static void *drive_pool(void *v)
{
    ert_threadpool *p;
    int64_t *wrong = v;
    if (ert_threadpool_create(2, NULL, &p) != ERT_OK) {
        *wrong = -1;
        return NULL;
    }
    *wrong = run_rounds(p, 3000, 16);
    ert_threadpool_free(p);
    return NULL;
}

static void test_two_pools(void)
{
    pthread_t th[2];
    int64_t wrong[2] = {0, 0};
    for (int k = 0; k < 2; k++)
        CHECK(pthread_create(&th[k], NULL, drive_pool, &wrong[k]) == 0, "pthread_create");
    for (int k = 0; k < 2; k++) {
        pthread_join(th[k], NULL);
        CHECK(wrong[k] == 0, "pool %d driven concurrently: %lld wrong cells", k,
              (long long)wrong[k]);
    }
}

/* Nested: the inner call runs serially on the outer task's thread, with its tid. */
typedef struct {
    ert_threadpool *pool;
    atomic_int inner_runs;
    atomic_int tid_mismatch;
    slot inner_sum[MAX_THREADS];
} nest_job;

typedef struct {
    nest_job *outer;
    int outer_tid;
} nest_inner;

static void inner_task(void *arg, int64_t i, int tid)
{
    nest_inner *in = arg;
    if (tid != in->outer_tid)
        atomic_fetch_add(&in->outer->tid_mismatch, 1);
    atomic_fetch_add(&in->outer->inner_runs, 1);
    in->outer->inner_sum[tid].v += i;
}

static void outer_task(void *arg, int64_t i, int tid)
{
    nest_job *j = arg;
    nest_inner in = {j, tid};
    ert_parallel_for(j->pool, 16, inner_task, &in);
}

static void test_nested(void)
{
    nest_job j;
    memset(&j, 0, sizeof j);
    CHECK(ert_threadpool_create(3, NULL, &j.pool) == ERT_OK, "create");
    ert_parallel_for(j.pool, 9, outer_task, &j);
    int64_t s = 0;
    for (int t = 0; t < MAX_THREADS; t++)
        s += j.inner_sum[t].v;
    CHECK(j.inner_runs == 9 * 16, "nested: %d inner tasks ran", (int)j.inner_runs);
    CHECK(j.tid_mismatch == 0, "nested: inner tid differs from the outer task's");
    CHECK(s == 9 * 120, "nested: inner sum %lld", (long long)s);
    ert_threadpool_free(j.pool);
}

/* Workers really take tasks: sleeping tasks leave the CPU to them, so within a few
 * calls some task must run on a tid other than the caller's 0. */
typedef struct {
    atomic_int on_worker;
} spread_job;

static void sleepy_task(void *arg, int64_t i, int tid)
{
    spread_job *j = arg;
    struct timespec ts = {0, 2000000}; /* 2 ms */
    nanosleep(&ts, NULL);
    if (tid != 0)
        atomic_fetch_add(&j->on_worker, 1);
}

static void test_workers_take_tasks(void)
{
    ert_threadpool *p;
    spread_job j;
    atomic_init(&j.on_worker, 0);
    CHECK(ert_threadpool_create(2, NULL, &p) == ERT_OK, "create");
    for (int k = 0; k < 20 && atomic_load(&j.on_worker) == 0; k++)
        ert_parallel_for(p, 8, sleepy_task, &j);
    CHECK(atomic_load(&j.on_worker) > 0, "no task ran on a worker thread in 20 calls");
    ert_threadpool_free(p);
}

/* Each thread is dealt a contiguous range: with tasks slow enough that both threads take
 * part, tasks [0, 8) run on the caller and [8, 16) on the worker (consecutive layers then
 * find their data in the core that wrote it). One call in 20 suffices (scheduling). */
typedef struct {
    int tid_of[16];
} range_job;

static void range_task(void *arg, int64_t i, int tid)
{
    range_job *j = arg;
    struct timespec ts = {0, 1000000}; /* 1 ms */
    nanosleep(&ts, NULL);
    j->tid_of[i] = tid;
}

static void test_ranges(void)
{
    ert_threadpool *p;
    CHECK(ert_threadpool_create(2, NULL, &p) == ERT_OK, "create");
    bool split = false;
    for (int k = 0; k < 20 && !split; k++) {
        range_job j;
        ert_parallel_for(p, 16, range_task, &j);
        split = true;
        for (int i = 0; i < 16; i++)
            split = split && j.tid_of[i] == (i >= 8);
    }
    CHECK(split, "no call in 20 gave tasks 0-7 to the caller and 8-15 to the worker");
    ert_threadpool_free(p);
}

/* Workers compute in the floating-point mode of the thread that opens the job. */
typedef struct {
    ert_fpmode mode[64];
} mode_job;

static void mode_task(void *arg, int64_t i, int tid)
{
    mode_job *j = arg;
    struct timespec ts = {0, 200000}; /* 0.2 ms: let the worker take some */
    nanosleep(&ts, NULL);
    j->mode[i] = ert_fpmode_get();
}

static void test_fpmode(void)
{
    ert_threadpool *p;
    CHECK(ert_threadpool_create(3, NULL, &p) == ERT_OK, "create");
    ert_fpmode caller = ert_fpmode_get();
    const ert_fpmode modes[3] = {ert_fpmode_flushing(caller), caller, ert_fpmode_flushing(caller)};
    for (int k = 0; k < 3; k++) {
        mode_job j;
        ert_fpmode_set(modes[k]);
        ert_parallel_for(p, 64, mode_task, &j);
        int wrong = 0;
        for (int i = 0; i < 64; i++)
            wrong += j.mode[i] != modes[k];
        CHECK(wrong == 0, "mode %d: %d tasks ran in another floating-point mode", k, wrong);
    }
    ert_fpmode_set(caller);
    ert_threadpool_free(p);
}

/* Pinning: valid and nonsense CPU ids both work (failure is ignored). Run on a thread
 * of its own, since the caller gets pinned too. */
static void *pinned_pools(void *v)
{
    static const int cpu0[3] = {0, 0, 0}, bogus[3] = {-1, 1 << 20, 99999};
    const int *sets[2] = {cpu0, bogus};
    for (int k = 0; k < 2; k++) {
        ert_threadpool *p;
        CHECK(ert_threadpool_create(3, sets[k], &p) == ERT_OK, "create pinned %d", k);
        check_cover(p, 3, 1000);
        ert_threadpool_free(p);
    }
    return v;
}

static void test_pinning(void)
{
    pthread_t th;
    CHECK(pthread_create(&th, NULL, pinned_pools, NULL) == 0, "pthread_create");
    pthread_join(th, NULL);
}

int main(void)
{
    test_bad_create();
    test_cover();
    test_huge();
    test_back_to_back();
    test_two_pools();
    test_nested();
    test_workers_take_tasks();
    test_ranges();
    test_fpmode();
    test_pinning();
    printf("threadpool: %d passed, %d failed\n", (int)g_pass, (int)g_fail);
    return g_fail ? 1 : 0;
}
