/*
 * pass_util.h - what the optimizer passes share: the pass entry points ert_pass_optimize
 * runs (one pass a file), pattern-matching helpers over an ert_edit session, and the
 * per-channel affine fold (y' = y * s + t folded into Conv / ConvTranspose / Gemm
 * weights) used by both BatchNorm folding and Mul/Add folding.
 */
#ifndef ERT_PASS_UTIL_H
#define ERT_PASS_UTIL_H

#include "ir/edit.h"
#include "ops/op.h"
#include "passes/passes.h"

/* The passes, in the order ert_pass_optimize runs them (optimize.c). */
ert_status ert_opt_remove_identity(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_cse(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_fuse_layernorm(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_fold_pad(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_matmul_add(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_fold_bn(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_fold_scale(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_transpose(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_fuse_act(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_fuse_conv(ert_edit *e, ert_pass_notes *notes, ert_err *err);
ert_status ert_opt_fuse_gemm(ert_edit *e, ert_pass_notes *notes, ert_err *err);

/* Live node ni has op id `op` (and a resolved op). */
bool pu_is(const ert_edit *e, int ni, int op);
/* Constant value v's tensor (data present), else NULL; v < 0 gives NULL. */
const ert_tensor *pu_const(const ert_edit *e, int v);
/* The value's name / the node's name, for notes. */
const char *pu_vname(const ert_edit *e, int v);
const char *pu_nname(const ert_edit *e, int ni);
/* True if values v and w provably have the same shape (same known sizes / symbols). */
bool pu_same_shape(const ert_edit *e, int v, int w);
/* The operand of binary node ni that is not value v (-1 if both or neither are v). */
int pu_other_input(const ert_edit *e, int ni, int v);
/* Scalar constant value v (any numeric dtype, one element) into *out. */
bool pu_scalar(const ert_edit *e, int v, double *out);

/* |v - want| within 1e-3 of want (exporters round sqrt(2), 1/6, ... differently). */
bool pu_near(double v, double want);
/* Node ni is binary op `op` (opset >= 7: numpy broadcasting) reading value x; *other =
 * its other input. */
bool pu_binary_with(const ert_edit *e, int ni, int op, int x, int *other);
/* Node ni is Mul(x, c) / Add(x, c) (either order) or Div(x, c) with scalar constant c
 * near want. */
bool pu_scaled_by(const ert_edit *e, int ni, int op, int x, double want);
/* Clip node n's bounds (attributes before opset 11, constant inputs after; missing:
 * -+FLT_MAX); false when a bound is not a scalar constant. */
bool pu_clip_bounds(const ert_edit *e, const ert_node *n, float *lo, float *hi);

/* A new constant of `dtype` and shape (rank, dims) holding vals (converted). -1 on
 * allocation failure. */
int pu_new_const(ert_edit *e, const char *name, ert_dtype dtype, int rank, const int64_t *dims,
                 const double *vals);

/* Number of output channels of a Conv / ConvTranspose / Gemm node (from its constant
 * weights; Gemm: columns of op(B)), or -1 if not foldable (weights not constant, dtype
 * not float, shapes unknown). *why explains a -1. */
int64_t pu_affine_channels(const ert_edit *e, int ni, const char **why);

/* Folds y' = y * s[c] + t[c] (per output channel c, m of them; s or t NULL: 1 / 0)
 * into node ni (Conv, ConvTranspose or Gemm with constant weights): adds a copy of ni
 * with new weight/bias constants whose output is value `out` (the pattern's result),
 * placed where node `last` was, and removes ni and last. `fused` is appended to the
 * node's fused_ops attribute ("Conv+BatchNormalization"). Returns the new node or -1
 * (out of memory: ERT_ERR_NO_MEMORY in err). */
int pu_fold_affine(ert_edit *e, int ni, int last, int out, int64_t m, const double *s,
                   const double *t, const char *fused, ert_err *err);

/* An activation node that a fused kernel takes in its epilogue, as FusedConv / FusedGemm
 * spell it ("Relu", "Clip", "LeakyRelu", "Sigmoid", "Silu", "HardSigmoid", "HardSwish",
 * "Gelu", "GeluTanh", "Tanh", "Elu", "PRelu"), with activation_params and, for PRelu,
 * the slope constant (value; -1 otherwise). */
typedef struct pu_act {
    const char *name;
    float params[2];
    int n_params;
    int slope;
} pu_act;

/* Node ni as an activation of x (its first input): true with *a filled; false with
 * *why when it is an activation that cannot be fused (Clip with non-constant bounds,
 * Swish alpha != 1, PRelu whose slope is not one constant per channel of a rank >= 3
 * x), false with *why NULL when it is not an activation at all. */
bool pu_act_of(const ert_edit *e, int ni, int x, pu_act *a, const char **why);

/* The fused_ops attribute of node ni, or its op type when it has none. */
const char *pu_fused_ops(const ert_edit *e, int ni);

#endif /* ERT_PASS_UTIL_H */
