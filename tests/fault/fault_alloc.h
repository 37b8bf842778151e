/*
 * fault_alloc.h - fail-the-Nth-allocation and short-read hooks for tests (SQLite's and
 * ncnn's practice). Only the test binary links fault_alloc.c, with
 *   -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=aligned_alloc,--wrap=strdup,
 *   --wrap=free,--wrap=fread
 * so every allocation the edgert objects make (protobuf-c's too: the importer hands it
 * an allocator that calls malloc) goes through the counters below. The library itself
 * has no hook and no cost.
 */
#ifndef ERT_FAULT_ALLOC_H
#define ERT_FAULT_ALLOC_H

#include <stddef.h>
#include <stdint.h>

/* Fails the n-th allocation from now (1 = the next one) once, then allocates normally;
 * n = 0 disarms. */
void fault_fail_nth(int64_t n);
/* True once the armed failure has happened. */
int fault_fired(void);
/* Allocations since the last fault_fail_nth / fault_reset_count. */
int64_t fault_alloc_count(void);
void fault_reset_count(void);
/* Blocks allocated through the wrappers and not freed yet. */
int64_t fault_live_blocks(void);
/* After `skip` more freads, the next one returns at most max_bytes (a file that shrank
 * after its size was taken); max_bytes -1 disarms. */
void fault_short_read(int skip, long max_bytes);

#endif /* ERT_FAULT_ALLOC_H */
