/* fpmode.c - see fpmode.h. */
#include "util/fpmode.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

#define MXCSR_DAZ 0x0040u /* denormals are zero (inputs) */
#define MXCSR_FTZ 0x8000u /* flush to zero (results) */
#define MXCSR_FLAGS 0x003fu /* sticky exception flags: status, not mode; left as they are */

ert_fpmode ert_fpmode_get(void) { return _mm_getcsr() & ~MXCSR_FLAGS; }
void ert_fpmode_set(ert_fpmode m)
{
    _mm_setcsr((_mm_getcsr() & MXCSR_FLAGS) | ((unsigned)m & ~MXCSR_FLAGS));
}
ert_fpmode ert_fpmode_flushing(ert_fpmode m) { return m | MXCSR_DAZ | MXCSR_FTZ; }

#elif defined(__aarch64__)

#define FPCR_FZ (1ull << 24) /* flush-to-zero: subnormal inputs and results */

ert_fpmode ert_fpmode_get(void)
{
    uint64_t v;
    __asm__ __volatile__("mrs %0, fpcr" : "=r"(v));
    return v;
}
void ert_fpmode_set(ert_fpmode m) { __asm__ __volatile__("msr fpcr, %0" : : "r"(m)); }
ert_fpmode ert_fpmode_flushing(ert_fpmode m) { return m | FPCR_FZ; }

#else

ert_fpmode ert_fpmode_get(void) { return 0; }
void ert_fpmode_set(ert_fpmode m) { (void)m; }
ert_fpmode ert_fpmode_flushing(ert_fpmode m) { return m; }

#endif
