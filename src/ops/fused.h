/*
 * fused.h - helpers of the internal fused ops (fused.c) shared with their fast kernels.
 */
#ifndef ERT_OPS_FUSED_H
#define ERT_OPS_FUSED_H

#include "kernels/act/act.h"
#include "ops/op.h"

/* Input slots of FusedConv (domain "edgert"): X, W, optional B, Z (residual), S (slope). */
enum { ERT_FC_X = 0, ERT_FC_W = 1, ERT_FC_B = 2, ERT_FC_Z = 3, ERT_FC_S = 4 };

/* Reads a FusedConv or FusedGemm node's `activation` / `activation_params` (ONNX defaults
 * where absent) and its S input (FusedConv's slot 4; FusedGemm has none) into p; p->slope points at S's data only when S is float32
 * (n_slope is set either way). Fails on an unknown name, too many params, or S given
 * without PRelu (or PRelu without S). */
ert_status ert_fused_conv_act(ert_kctx *k, ert_act_params *p);

#endif /* ERT_OPS_FUSED_H */
