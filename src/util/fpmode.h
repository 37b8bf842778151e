/*
 * fpmode.h - the thread's floating-point mode for subnormal numbers.
 *
 * Subnormal (denormal) floats cost a microcode assist of ~100+ cycles per operation on
 * Intel cores (AMD's handle most in hardware). A trained network rarely needs them, yet
 * exact activations make them: sigmoid(-90) is 8e-40, and x * sigmoid(x) of a large
 * negative x then feeds subnormals into every following layer. On an Intel Xeon
 * EfficientNet-B0 ran 2.7x slower for it (29.3 vs 10.9 ms, one thread).
 *
 * ert_context_run therefore computes with subnormals flushed to zero unless the context
 * was created with keep_denormals: on x86-64 MXCSR.FTZ (results) and MXCSR.DAZ (inputs),
 * on AArch64 FPCR.FZ (both). The caller's mode is saved at entry and restored at exit;
 * the thread pool's workers take the mode of the thread that opened the job. Elsewhere
 * these calls do nothing (subnormals stay IEEE).
 */
#ifndef ERT_FPMODE_H
#define ERT_FPMODE_H

#include <stdint.h>

typedef uint64_t ert_fpmode;

/* The mode bits (rounding, exception masks, flushing), not the sticky exception flags:
 * ert_fpmode_set leaves the thread's flags as they are. */
ert_fpmode ert_fpmode_get(void);
void ert_fpmode_set(ert_fpmode m);
/* m with subnormal inputs and results flushed to zero. */
ert_fpmode ert_fpmode_flushing(ert_fpmode m);

#endif /* ERT_FPMODE_H */
