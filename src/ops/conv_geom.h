/*
 * conv_geom.h - Conv/ConvTranspose geometry (attributes + concrete sizes) as conv.c
 * computes it, shared with the fast conv kernels (src/kernels/conv/) so that padding,
 * auto_pad and validation have one implementation.
 */
#ifndef ERT_CONV_GEOM_H
#define ERT_CONV_GEOM_H

#include <stdbool.h>
#include <stdint.h>

#include "ops/op.h"

enum { PAD_NOTSET, PAD_SAME_UPPER, PAD_SAME_LOWER, PAD_VALID };

/* Geometry of one convolution, per spatial axis (nsp axes). For ConvTranspose `in` is
 * the (small) input and `out` the (large) output, pads apply to the output. */
typedef struct conv_geom {
    int nsp;                       /* number of spatial axes */
    int auto_pad;                  /* PAD_* */
    int64_t group;
    int64_t in[ERT_MAX_RANK];      /* input spatial sizes (-1 if unknown) */
    int64_t out[ERT_MAX_RANK];     /* output spatial sizes (-1 if unknown) */
    int64_t k[ERT_MAX_RANK];       /* kernel sizes (-1 if unknown) */
    int64_t s[ERT_MAX_RANK];       /* strides */
    int64_t d[ERT_MAX_RANK];       /* dilations */
    int64_t pb[ERT_MAX_RANK];      /* pad at the start (SAME with stride > kernel: may be < 0) */
    int64_t pe[ERT_MAX_RANK];      /* pad at the end */
    int64_t opad[ERT_MAX_RANK];    /* ConvTranspose output_padding */
    int64_t oshape[ERT_MAX_RANK];  /* ConvTranspose output_shape (-1: not given) */
} conv_geom;

/* Validates k's inputs (X, W, B: the first three; Conv, ConvTranspose, ConvInteger),
 * reads the node's attributes into g and sets k->out[0]'s dtype and shape (what Conv's
 * infer does). Works at load time (k->shapes_only, unknown dims -> -1) and run time. */
ert_status conv_infer_common(ert_kctx *k, conv_geom *g, bool transpose);

/* The geometry of a Conv or FusedConv step from its concrete inputs (X, W, B; FusedConv's
 * Z and S are not Conv's business), for the fast kernels' plan(): runs
 * conv_infer_common on a narrowed copy of k and puts the output shape in *y. */
ert_status conv_geom_of_step(ert_kctx *k, conv_geom *g, ert_tensor *y);
/* The same for a ConvTranspose step (src/kernels/deconv/): pads and output size as
 * ert_infer_conv_transpose derives them (output_shape, output_padding, auto_pad). */
ert_status convt_geom_of_step(ert_kctx *k, conv_geom *g, ert_tensor *y);

/* The geometry of Conv / FusedConv / ConvTranspose node n at load time, inferred through a
 * context over the graph's values (dims may be unknown: -1), for the fast kernels'
 * supports() and pack(); act (may be NULL) gets FusedConv's activation (zeroed for a
 * plain Conv). false when the node is malformed (the reference then reports it). */
struct ert_act_params;
/* Whether n is a Conv or FusedConv with X and W given, every input float32 (absent ones
 * aside) and W a constant of known shape and rank w_rank (0: any): what every fast conv
 * kernel's supports() asks first. */
bool conv_f32_const_w(const ert_node *n, const ert_graph *g, int w_rank);
bool conv_geom_at_load(const ert_node *n, const ert_graph *g, bool transpose, conv_geom *geo,
                       struct ert_act_params *act);

#endif /* ERT_CONV_GEOM_H */
