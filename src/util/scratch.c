/*
 * scratch.c - see scratch.h.
 */
#include "util/scratch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SCRATCH_ALIGN 64

static _Thread_local ert_scratch *tls_scratch;

ert_scratch *ert_scratch_install(ert_scratch *s)
{
    ert_scratch *old = tls_scratch;
    tls_scratch = s;
    return old;
}

void *ert_tmp_alloc(size_t n)
{
    ert_scratch *s = tls_scratch;
    size_t need = (n + SCRATCH_ALIGN - 1) & ~(size_t)(SCRATCH_ALIGN - 1);
    if (!s || need < n)
        return malloc(n ? n : 1);
    /* from the region if it fits, else from malloc; either way `used` counts the demand
     * so the region grows to hold this step next time */
    void *p = s->used + need <= s->cap ? s->buf + s->used : malloc(n ? n : 1);
    if (p && s->depth < ERT_SCRATCH_STACK) {
        s->ptr[s->depth] = p;
        s->before[s->depth++] = s->used;
    }
    if (p)
        s->used += need;
    if (s->used > s->high)
        s->high = s->used;
    return p;
}

void *ert_tmp_calloc(size_t n, size_t size)
{
    if (size && n > (size_t)-1 / size)
        return NULL;
    void *p = ert_tmp_alloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void ert_tmp_free(void *p)
{
    ert_scratch *s = tls_scratch;
    unsigned char *c = p;
    bool in_region = s && s->buf && c >= s->buf && c < s->buf + s->cap;
    if (s && s->depth > 0 && s->ptr[s->depth - 1] == p)
        s->used = s->before[--s->depth]; /* the newest: its space is reused */
    if (!in_region)
        free(p); /* a region pointer otherwise waits for the next step */
}

ert_status ert_scratch_reset(ert_scratch *s)
{
    s->used = 0;
    s->depth = 0;
    if (s->high <= s->cap)
        return ERT_OK;
    size_t cap = (s->high + SCRATCH_ALIGN - 1) & ~(size_t)(SCRATCH_ALIGN - 1);
    void *b = aligned_alloc(SCRATCH_ALIGN, cap);
    if (!b)
        return ERT_ERR_NO_MEMORY;
    free(s->buf);
    s->buf = b;
    s->cap = cap;
    return ERT_OK;
}

void ert_scratch_release(ert_scratch *s)
{
    free(s->buf);
    memset(s, 0, sizeof *s);
}
