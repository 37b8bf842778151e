/*
 * act.c - activation names, the ISA dispatch of ert_act_f32, and the portable (scalar)
 * instantiation of act_body.inc.
 *
 * Measured max error against double-precision libm (tests/kernels/test_act.c sweeps
 * ~4M floats per function, bit patterns k*1031, at every ISA level; the test fails
 * above the bounds in brackets; docs/kernels.md keeps the table):
 *   exp        normal results: 1.3 ulp, relative 1.1e-7 [2 ulp]; subnormal results
 *              within 1 ulp of 2^-149; x > 88.72 -> +inf, x < -103.97 -> +0, NaN -> NaN
 *   sigmoid    relative 1.4e-7 (2.1 ulp) over [-104, 104]       [3e-7]
 *   tanh       relative 1.6e-7 (1.5 ulp) over [-20, 20]         [3e-7]
 *   Gelu (erf) relative 9.2e-7 over [-13, 13]; the worst is near x = -1.4, where
 *              1 + erf(u) cancels 6x                              [1e-6]
 *   Gelu tanh  relative 2.1e-6 for x >= -5; 1.3e-5 below (the rounding of the float
 *              cubic, times |2v| ~ 80, where the value is < 1e-30)  [2.5e-6 / 2e-5]
 *   Silu       relative 1.7e-7 while sigmoid(x) is a normal float (x > -87)
 * (the generic level computes without FMA: its figures are the larger ones above; the
 * FMA levels, AVX2, AVX-512 and NEON, give the same bits.)
 * Why polynomials instead of libm: expf/tanhf/erff are scalar calls (~20-40 cycles
 * each); these run 4 (NEON), 8 or 16 lanes with ~20 FMAs and no branches.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "kernels/act/act_isa.h"

static const char *const k_names[ERT_ACT_COUNT] = {
    [ERT_ACT_NONE] = "",
    [ERT_ACT_RELU] = "Relu",
    [ERT_ACT_CLIP] = "Clip",
    [ERT_ACT_LEAKY_RELU] = "LeakyRelu",
    [ERT_ACT_SIGMOID] = "Sigmoid",
    [ERT_ACT_SILU] = "Silu",
    [ERT_ACT_HARD_SIGMOID] = "HardSigmoid",
    [ERT_ACT_HARD_SWISH] = "HardSwish",
    [ERT_ACT_GELU] = "Gelu",
    [ERT_ACT_GELU_TANH] = "GeluTanh",
    [ERT_ACT_TANH] = "Tanh",
    [ERT_ACT_ELU] = "Elu",
    [ERT_ACT_PRELU] = "PRelu",
};

const char *ert_act_name(ert_act a)
{
    return (a >= 0 && a < ERT_ACT_COUNT) ? k_names[a] : "?";
}

bool ert_act_parse(const char *name, ert_act *out)
{
    if (!name)
        return false;
    for (int a = 0; a < ERT_ACT_COUNT; a++)
        if (strcmp(name, k_names[a]) == 0) {
            *out = (ert_act)a;
            return true;
        }
    return false;
}

void ert_act_f32_rows_isa(ert_isa isa, const ert_act_params *a, float *x, int64_t rows,
                          int64_t n, int64_t ld, int64_t ch0)
{
    if (a->kind == ERT_ACT_NONE || n <= 0 || rows <= 0)
        return;
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
    if (isa >= ERT_ISA_AVX512 && isa != ERT_ISA_NEON) {
        ert_act_f32_rows_avx512(a, x, rows, n, ld, ch0);
        return;
    }
    if (isa >= ERT_ISA_AVX2 && isa != ERT_ISA_NEON) {
        ert_act_f32_rows_avx2(a, x, rows, n, ld, ch0);
        return;
    }
#elif defined(__aarch64__)
    if (isa == ERT_ISA_NEON) {
        ert_act_f32_rows_neon(a, x, rows, n, ld, ch0);
        return;
    }
#else
    (void)isa;
#endif
    ert_act_f32_rows_ref(a, x, rows, n, ld, ch0);
}

void ert_act_f32_isa(ert_isa isa, const ert_act_params *a, float *x, int64_t n,
                     int64_t channel)
{
    ert_act_f32_rows_isa(isa, a, x, 1, n, n, channel);
}

void ert_act_exp_f32_isa(ert_isa isa, float *x, int64_t n)
{
    if (n <= 0)
        return;
#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
    if (isa >= ERT_ISA_AVX512 && isa != ERT_ISA_NEON) {
        ert_act_exp_f32_avx512(x, n);
        return;
    }
    if (isa >= ERT_ISA_AVX2 && isa != ERT_ISA_NEON) {
        ert_act_exp_f32_avx2(x, n);
        return;
    }
#elif defined(__aarch64__)
    if (isa == ERT_ISA_NEON) {
        ert_act_exp_f32_neon(x, n);
        return;
    }
#else
    (void)isa;
#endif
    ert_act_exp_f32_ref(x, n);
}

void ert_act_f32(const ert_act_params *a, float *x, int64_t n, int64_t channel)
{
    ert_act_f32_isa(ert_cpu_isa(), a, x, n, channel);
}

/* ---- scalar instantiation: one lane, plain C (the compiler may vectorise it) ---- */

static inline int32_t s_bits(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i;
}

static inline float s_pow2i(int32_t i)
{
    uint32_t u = (uint32_t)(i + 127) << 23;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* u*u exactly as hi + lo: the product of two floats is exact in double. */
#define S_MULHI_SQ(u, hi, lo)                  \
    do {                                       \
        double d_ = (double)(u) * (double)(u); \
        hi = (float)d_;                        \
        lo = (float)(d_ - (double)hi);         \
    } while (0)

#define VF float
#define VI int32_t
#define VM int
#define W 1
#define V_SET1(c) ((float)(c))
#define V_LOAD(p) (*(p))
#define V_STORE(p, v) (*(p) = (v))
#define V_ADD(a, b) ((a) + (b))
#define V_SUB(a, b) ((a) - (b))
#define V_MUL(a, b) ((a) * (b))
#define V_DIV(a, b) ((a) / (b))
#define V_FMA(a, b, c) ((a) * (b) + (c))
#define V_MAXN(c, x) ((c) > (x) ? (c) : (x))
#define V_MINN(c, x) ((c) < (x) ? (c) : (x))
#define V_ABS(x) fabsf(x)
#define V_COPYSIGN(m, s) copysignf(m, s)
#define V_LT(a, b) ((a) < (b))
#define V_SEL(m, t, f) ((m) ? (t) : (f))
#define V_BITS(f) s_bits(f)
#define V_I_SET1(c) ((int32_t)(c))
#define V_I_SUB(a, b) ((a) - (b))
#define V_I_SRA1(a) ((a) >> 1)
#define V_POW2I(i) s_pow2i(i)
#define V_MULHI_SQ(u, hi, lo) S_MULHI_SQ(u, hi, lo)
#define ACT_ENTRY ert_act_f32_ref
#define ACT_COPY_ENTRY ert_act_f32_copy_ref
#define ACT_ROWS_ENTRY ert_act_f32_rows_ref
#define ACT_EXP_ENTRY ert_act_exp_f32_ref
#include "kernels/act/act_body.inc"
