/*
 * act.h - float32 activation functions applied in place, shared by the standalone
 * unary ops' fast kernels and the fused epilogues of Conv/Gemm kernels.
 *
 * One description (ert_act_params) is what the graph optimizer records on a fused node
 * (FusedConv's `activation` / `activation_params` attributes) and what the kernels take.
 * exp/sigmoid/tanh/erf use polynomial approximations whose max error is documented in
 * act.c and in docs/kernels.md; ERT_ACT_NONE is a no-op.
 */
#ifndef ERT_ACT_H
#define ERT_ACT_H

#include <stdbool.h>
#include <stdint.h>

#include "kernels/cpu.h"

typedef enum ert_act {
    ERT_ACT_NONE = 0,
    ERT_ACT_RELU,         /* max(x, 0) */
    ERT_ACT_CLIP,         /* min(max(x, alpha), beta)   (Relu6: alpha 0, beta 6) */
    ERT_ACT_LEAKY_RELU,   /* x < 0 ? alpha*x : x */
    ERT_ACT_SIGMOID,      /* 1 / (1 + exp(-x)) */
    ERT_ACT_SILU,         /* x * sigmoid(x)   (Swish with alpha 1) */
    ERT_ACT_HARD_SIGMOID, /* max(0, min(1, alpha*x + beta)) */
    ERT_ACT_HARD_SWISH,   /* x * max(0, min(1, x/6 + 1/2)) */
    ERT_ACT_GELU,         /* 0.5 x (1 + erf(x / sqrt 2)) */
    ERT_ACT_GELU_TANH,    /* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
    ERT_ACT_TANH,
    ERT_ACT_ELU,          /* x < 0 ? alpha*(exp(x)-1) : x */
    ERT_ACT_PRELU,        /* x < 0 ? slope[c]*x : x, one slope per channel (or one in all) */
    ERT_ACT_COUNT
} ert_act;

typedef struct ert_act_params {
    ert_act kind;
    float alpha, beta;
    const float *slope;   /* PRELU: slopes, n_slope of them (1: shared by every channel) */
    int64_t n_slope;
} ert_act_params;

/* The activation's name as FusedConv's `activation` attribute spells it ("Relu",
 * "Clip", "LeakyRelu", "Sigmoid", "Silu", "HardSigmoid", "HardSwish", "Gelu",
 * "GeluTanh", "Tanh", "Elu", "PRelu"; "" for NONE), and the reverse (false: unknown). */
const char *ert_act_name(ert_act a);
bool ert_act_parse(const char *name, ert_act *out);

/* x[0..n) = act(x) in place, for channel `channel` (selects the PRelu slope; ignored
 * otherwise). Uses the best ISA at or below ert_cpu_isa(). */
void ert_act_f32(const ert_act_params *a, float *x, int64_t n, int64_t channel);

/* The same with an explicit ISA level (tests compare the levels with each other and
 * with the scalar formulas). */
void ert_act_f32_isa(ert_isa isa, const ert_act_params *a, float *x, int64_t n,
                     int64_t channel);

/* rows x n floats, rows ld apart (a GEMM tile), in place; row r is channel ch0 + r. */
void ert_act_f32_rows_isa(ert_isa isa, const ert_act_params *a, float *x, int64_t rows,
                          int64_t n, int64_t ld, int64_t ch0);

#endif /* ERT_ACT_H */
