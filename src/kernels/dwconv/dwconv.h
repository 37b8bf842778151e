/*
 * dwconv.h - depthwise Conv / FusedConv (2-D NCHW float32, group == C_in == C_out,
 * weights [C, 1, KH, KW]) for the CPU kernel table (kernel.h):
 *   dwconv.<isa>   any kernel size, strides, dilations, pads (auto_pad included);
 *                  register-blocked rows for 3x3 and 5x5 at stride 1 and 2 (a runtime
 *                  kernel-size row otherwise; strides > 2 use the portable row); bias,
 *                  FusedConv's residual Z (before the activation) and activation fused.
 *   dwconv.cb.<isa> the same ops on blocks of 16 (AVX-512) or 8 (AVX2) channels in an
 *                  interleaved layout, for planes up to 28x28-ish (dwconv_cb.c)
 * <isa> is generic, avx2 or avx512 (x86-64), neon (AArch64; dwconv.cb has no NEON level).
 * A channel multiplier > 1 is declined here (gconv.<isa> below takes it).
 * Listed before the GEMM conv family in cpu_table.c: it declines everything else.
 */
#ifndef ERT_DWCONV_H
#define ERT_DWCONV_H

#include "kernels/act/act.h"
#include "kernels/kernel.h"

extern const ert_kernel *const ert_dwconv_kernels[];
/* gconv.<isa>: grouped convs with <= 16 input and output channels per group (not
 * depthwise) and output rows >= 16 wide, each output row accumulating one depthwise row per input channel of its
 * group; the same geometry, epilogue and levels as dwconv.<isa>. */
extern const ert_kernel *const ert_gconv_kernels[];

/* Family-internal: dwconv.<isa>'s support test (dwconv.c), which dwconv.cb.<isa>
 * (dwconv_cb.c: channel blocks in an interleaved layout, small planes) narrows. */
bool ert_dwconv_supports(const ert_node *n, const ert_graph *g);
bool ert_gconv_supports(const ert_node *n, const ert_graph *g);
/* Family-internal, both kernels' plan and run: FusedConv's activation into *act (zeroed
 * for a plain Conv; PRelu must have 1 or c slopes), and the step's bias, residual Z and
 * PRelu slopes S (NULL where absent). */
ert_status ert_dw_plan_act(ert_kctx *k, int64_t c, ert_act_params *act);
void ert_dw_step_inputs(ert_kctx *k, const float **b, const float **z, const float **s);
#if defined(__x86_64__) || defined(_M_X64)
extern const ert_kernel ert_dwconv_cb_avx512, ert_dwconv_cb_avx2;
#endif

#endif /* ERT_DWCONV_H */
