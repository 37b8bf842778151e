/*
 * copy_run.h - one run of bytes moved, short runs without a libc call (shared by the
 * copy, pad and transpose kernels).
 */
#ifndef ERT_COPY_RUN_H
#define ERT_COPY_RUN_H

#include <stddef.h>
#include <string.h>

/* d[0, n) = s[0, n): fixed-size moves for short runs (one memcpy call costs more). */
static inline void ert_copy_run(unsigned char *restrict d, const unsigned char *restrict s, size_t n)
{
    if (n > 128) {
        memcpy(d, s, n);
        return;
    }
    for (; n >= 16; n -= 16, d += 16, s += 16)
        memcpy(d, s, 16);
    if (n >= 8) {
        memcpy(d, s, 8);
        d += 8, s += 8, n -= 8;
    }
    if (n >= 4) {
        memcpy(d, s, 4);
        d += 4, s += 4, n -= 4;
    }
    for (; n > 0; n--)
        *d++ = *s++;
}

#endif /* ERT_COPY_RUN_H */
