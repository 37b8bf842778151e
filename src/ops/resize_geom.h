/*
 * resize_geom.h - the one implementation of Resize's geometry (ONNX Resize-10..19, and
 * Upsample), in src/ops/resize.c: attributes, scales / sizes / roi / axes /
 * keep_aspect_ratio_policy -> per-axis output size and scale, and the coordinate
 * mapping of an output index. The reference kernel and the fast kernels
 * (src/kernels/resize/) both plan with it, so they cannot disagree on the spec.
 */
#ifndef ERT_RESIZE_GEOM_H
#define ERT_RESIZE_GEOM_H

#include "ops/op.h"

enum { RZ_NEAREST = 0, RZ_LINEAR = 1, RZ_CUBIC = 2 };
enum {
    CT_HALF_PIXEL, CT_HALF_PIXEL_SYMMETRIC, CT_PYTORCH_HALF_PIXEL, CT_ALIGN_CORNERS,
    CT_ASYMMETRIC, CT_TF_HALF_PIXEL_NEAREST, CT_TF_CROP_AND_RESIZE,
    CT_LEGACY /* Resize-10 / Upsample: asymmetric, nearest floor up / ceil down */
};
enum { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL };

typedef struct rz_plan {
    int rank;
    int64_t in[ERT_MAX_RANK];     /* input dims */
    int64_t out[ERT_MAX_RANK];    /* output dims (may be unknown at load time) */
    double scale[ERT_MAX_RANK];   /* per-axis scale used by the coordinate formulas */
    double roi_s[ERT_MAX_RANK];   /* tf_crop_and_resize region, normalised */
    double roi_e[ERT_MAX_RANK];
    int mode;                     /* RZ_* */
    int ctm;                      /* CT_* */
    int nearest;                  /* NM_* */
    double cubic_a;               /* cubic_coeff_a */
    bool exclude_outside;
    bool antialias;
    double extrapolation;         /* extrapolation_value */
    bool roi_known;               /* tf_crop_and_resize's roi read (true when not needed) */
} rz_plan;

/* Fills p from the node and its inputs. *known = false when some output dim or the
 * coordinates cannot be known yet (load time); p->out then holds ERT_DIM_UNKNOWN there.
 * p->rank = -1 when even the rank is unknown. Errors say what is wrong (ert_op_fail). */
ert_status ert_resize_plan(ert_kctx *k, rz_plan *p, bool *known);

/* Input coordinate of output index o on axis d; *outside = true: extrapolate
 * (tf_crop_and_resize outside its roi). */
double ert_resize_coord(const rz_plan *p, int d, int64_t o, bool *outside);

/* Nearest input index of output o on axis d (nearest_mode, clamped), -1: extrapolate. */
int64_t ert_resize_nearest_index(const rz_plan *p, int d, int64_t o);

#endif /* ERT_RESIZE_GEOM_H */
