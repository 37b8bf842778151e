/*
 * test_act_util.h - helpers shared by the fast-kernel tests (test_act, test_eltwise,
 * test_dwconv, test_pool): guard-page buffers, a deterministic RNG, float comparison
 * with a stated tolerance, and running an op's reference kernel through the registry.
 */
#ifndef ERT_TEST_ACT_UTIL_H
#define ERT_TEST_ACT_UTIL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int g_fail;

#define CHECK(cond, ...)                                      \
    do {                                                      \
        if (!(cond)) {                                        \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
            fprintf(stderr, __VA_ARGS__);                     \
            fputc('\n', stderr);                              \
            g_fail++;                                         \
        }                                                     \
    } while (0)

/* A buffer whose last byte is followed by a PROT_NONE page: any read or write past
 * n bytes faults at once. */
typedef struct gbuf {
    void *base;   /* mapping start */
    size_t len;   /* mapping length */
    void *data;   /* n bytes ending right at the guard page */
} gbuf;

static inline void *gbuf_alloc(gbuf *g, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (n + pg - 1) / pg;
    g->len = (data_pages + 1) * pg;
    g->base = mmap(NULL, g->len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (g->base == MAP_FAILED) {
        perror("mmap");
        exit(2);
    }
    char *guard = (char *)g->base + data_pages * pg;
    if (mprotect(guard, pg, PROT_NONE) != 0) {
        perror("mprotect");
        exit(2);
    }
    g->data = guard - n;
    return g->data;
}

static inline void gbuf_free(gbuf *g)
{
    if (g->base)
        munmap(g->base, g->len);
    g->base = g->data = NULL;
}

static uint64_t g_rng = 0x9E3779B97F4A7C15ull;
static inline uint32_t rng_u32(void)
{
    g_rng ^= g_rng << 13;
    g_rng ^= g_rng >> 7;
    g_rng ^= g_rng << 17;
    return (uint32_t)(g_rng >> 11);
}
/* uniform in [lo, hi) */
static inline float rng_f(float lo, float hi)
{
    return lo + (hi - lo) * (float)(rng_u32() >> 8) * (1.0f / 16777216.0f);
}

/* |got - want| <= atol + rtol |want|, NaN matches NaN, inf matches the same inf. */
static inline int close_f(float got, float want, float atol, float rtol)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got))
        return got == want;
    return fabsf(got - want) <= atol + rtol * fabsf(want);
}

#endif /* ERT_TEST_ACT_UTIL_H */
