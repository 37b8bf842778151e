/*
 * pad.h - Pad's attribute and input readers (pad.c), shared by the reference kernel and
 * the pad.copy kernel (src/kernels/copy/pad.c).
 */
#ifndef ERT_OPS_PAD_H
#define ERT_OPS_PAD_H

#include "ops/op.h"

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

/* The node's mode (fails on an unknown one, or wrap before opset 19). */
ert_status ert_pad_mode(ert_kctx *k, int *mode);
/* Fills pads[0..2*rank) (begin values then end values, per dim). Returns ERT_OK with
 * *known = false when the pads are not known yet (shapes_only). */
ert_status ert_pad_read(ert_kctx *k, int rank, int64_t *pads, bool *known);
/* The fill value as raw bytes of the data dtype (value attribute before opset 11, else
 * constant_value, else 0). */
void ert_pad_fill(ert_kctx *k, unsigned char fill[16]);
/* Source index in [0, n) of cropped-relative position s for the mode (-1: the fill of
 * constant mode); n >= 1. */
int64_t ert_pad_map_index(int mode, int64_t s, int64_t n);

#endif /* ERT_OPS_PAD_H */
