/*
 * fault_alloc.c - the --wrap'ed allocation functions behind fault_alloc.h.
 *
 * Single-threaded by design (the fault test runs contexts with one thread), so the
 * counters are plain variables. Live blocks are counted from the wrappers alone: a
 * block the C library allocates internally (fopen's buffer) is freed internally too,
 * never through __wrap_free.
 */
#include <stdlib.h>
#include <string.h>
#include <stdio.h>

#include "fault_alloc.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void *__real_aligned_alloc(size_t a, size_t n);
void __real_free(void *p);
size_t __real_fread(void *p, size_t sz, size_t n, FILE *f);

static int64_t g_countdown;   /* > 0: allocations until the failure */
static int g_fired;
static int64_t g_count;
static int64_t g_live;
static long g_short_read = -1; /* >= 0: cap of the fread after g_skip_reads more */
static int g_skip_reads;

void fault_fail_nth(int64_t n)
{
    g_countdown = n;
    g_fired = 0;
    g_count = 0;
}

int fault_fired(void)
{
    return g_fired;
}

int64_t fault_alloc_count(void)
{
    return g_count;
}

void fault_reset_count(void)
{
    g_count = 0;
}

int64_t fault_live_blocks(void)
{
    return g_live;
}

void fault_short_read(int skip, long max_bytes)
{
    g_skip_reads = skip;
    g_short_read = max_bytes;
}

/* True if this allocation must fail. */
static int should_fail(void)
{
    g_count++;
    if (g_countdown > 0 && --g_countdown == 0) {
        g_fired = 1;
        return 1;
    }
    return 0;
}

static void *track(void *p)
{
    if (p)
        g_live++;
    return p;
}

void *__wrap_malloc(size_t n)
{
    return should_fail() ? NULL : track(__real_malloc(n));
}

void *__wrap_calloc(size_t n, size_t m)
{
    return should_fail() ? NULL : track(__real_calloc(n, m));
}

void *__wrap_aligned_alloc(size_t a, size_t n)
{
    return should_fail() ? NULL : track(__real_aligned_alloc(a, n));
}

void *__wrap_realloc(void *p, size_t n)
{
    if (should_fail())
        return NULL;
    void *q = __real_realloc(p, n);
    if (q && !p)
        g_live++;
    return q;
}

char *__wrap_strdup(const char *s)
{
    if (should_fail())
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = __real_malloc(n);
    if (p)
        memcpy(p, s, n);
    return track(p);
}

void __wrap_free(void *p)
{
    if (p)
        g_live--;
    __real_free(p);
}

size_t __wrap_fread(void *p, size_t sz, size_t n, FILE *f)
{
    if (g_short_read >= 0 && sz > 0 && g_skip_reads-- <= 0) {
        size_t max = (size_t)g_short_read / sz;
        g_short_read = -1;
        if (n > max)
            n = max;
    }
    return __real_fread(p, sz, n, f);
}
