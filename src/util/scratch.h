/*
 * scratch.h - temporary buffers for reference kernels without heap traffic in steady
 * state.
 *
 * A context gives each step a scratch region (ert_scratch, installed for the calling
 * thread around the kernel call). ert_tmp_alloc bumps through it; what does not fit
 * comes from malloc, and the region grows to the high-water mark before the next step,
 * so once every size has been seen a run allocates nothing. Outside a context's steps
 * (constant folding, tuning, control-flow bodies) no region is installed and the calls
 * are plain malloc/free. ert_tmp_free must be given every pointer: freeing the newest
 * region allocation gives its space back (alloc/free pairs in a loop reuse one slot),
 * any other region pointer waits for the next step. Single-threaded: reference kernels run on the step's thread.
 */
#ifndef ERT_SCRATCH_H
#define ERT_SCRATCH_H

#include <stddef.h>

#include "edgert.h"

#define ERT_SCRATCH_STACK 64

typedef struct ert_scratch {
    unsigned char *buf;
    size_t cap, used, high; /* high: most a step has asked for since the last growth */
    int depth;              /* allocations not yet freed, newest last: */
    void *ptr[ERT_SCRATCH_STACK];
    size_t before[ERT_SCRATCH_STACK]; /* `used` before each */
} ert_scratch;

void *ert_tmp_alloc(size_t n);
void *ert_tmp_calloc(size_t n, size_t size);
void ert_tmp_free(void *p);

/* Installs s for this thread (NULL: none) and returns the previous one. */
ert_scratch *ert_scratch_install(ert_scratch *s);
/* Before a step: empties the region, growing it to the high-water mark first. */
ert_status ert_scratch_reset(ert_scratch *s);
void ert_scratch_release(ert_scratch *s);

#endif /* ERT_SCRATCH_H */
