/*
 * test_gemm_guard.h - guard-page buffers for the GEMM/conv kernel tests: the data ends
 * exactly where a PROT_NONE page begins, so reading or writing one float past the end
 * faults (SIGSEGV fails the test). A length that is a multiple of 16 floats keeps the
 * start 64-byte aligned (packed panels, workspaces); other lengths give an unaligned
 * start, which the kernels must accept for A, B, C and R.
 */
#ifndef TEST_GEMM_GUARD_H
#define TEST_GEMM_GUARD_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct guard_buf {
    void *map;     /* mapping: data pages + one guard page */
    size_t bytes;  /* mapping size */
    float *data;   /* n floats ending at the guard page */
} guard_buf;

static float *guard_alloc(guard_buf *gb, size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t data = (n * sizeof(float) + page - 1) / page * page;
    gb->bytes = data + page;
    gb->map = mmap(NULL, gb->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (gb->map == MAP_FAILED || mprotect((char *)gb->map + data, page, PROT_NONE)) {
        perror("guard_alloc");
        exit(1);
    }
    gb->data = (float *)((char *)gb->map + data) - n;
    return gb->data;
}

static void guard_free(guard_buf *gb)
{
    if (gb->map)
        munmap(gb->map, gb->bytes);
    gb->map = NULL;
}

/* Deterministic values in [-1, 1). */
static float test_rand(unsigned *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return (float)((*seed >> 8) & 0xFFFFFF) / 8388608.0f - 1.0f;
}

#endif /* TEST_GEMM_GUARD_H */
