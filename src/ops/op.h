/*
 * op.h - the operator interface: shape inference + reference kernel per op.
 *
 * Every op in src/ops/ops.def has two functions with the same context type:
 *   infer(k): from the inputs' dtype/shape (and data, where known) set each output's
 *             dtype, rank and dims. Runs at load time (k->shapes_only: data may be NULL
 *             for non-constant inputs, dims may be symbolic or unknown, rank may be -1)
 *             and again at run time before every execution with concrete inputs.
 *             In shapes_only mode a missing fact is not an error: set what can be
 *             known (unknown dims = ERT_DIM_UNKNOWN, unknown rank = -1) and return OK.
 *             A fact that contradicts the model is an error in both modes.
 *   run(k):   compute outputs. The executor has already called infer and allocated
 *             every output (out[i]->data holds ert_tensor_numel * dtype size bytes).
 * Kernels read node attributes through ert_attr_* and the op version in k->version.
 * They must not keep state between calls: the same node runs in many contexts at once.
 */
#ifndef ERT_OP_H
#define ERT_OP_H

#include "ir/ir.h"

typedef struct ert_kctx {
    const ert_node *node;
    int version;                /* since_version of the op in effect (node->version) */
    int n_in;
    ert_tensor *const *in;      /* in[i] == NULL: optional input omitted */
    int n_out;
    ert_tensor *const *out;     /* out[i] == NULL: optional output omitted */
    bool shapes_only;           /* load-time inference: see the banner */
    ert_err *err;
    /* Fast kernels only (src/kernels/kernel.h); NULL/0 for reference kernels. */
    const void *packed;         /* model-owned constants of the step (packed weights) */
    void *params;               /* context-owned parameter block (ERT_STEP_PARAMS_BYTES) */
    void *ws;                   /* scratch workspace, valid during run() only */
    size_t ws_bytes;
    struct ert_threadpool *pool; /* the context's threads (NULL: the calling thread) */
} ert_kctx;

typedef ert_status (*ert_infer_fn)(ert_kctx *k);
typedef ert_status (*ert_run_fn)(ert_kctx *k);

/* Op flags. */
enum {
    /* run() reads only its inputs' shapes, never their data (Shape, Size): such a node
     * is folded at load time as soon as the input shape is fully known. */
    ERT_OPF_SHAPE_ONLY = 1u << 0,
    /* output depends on something besides the inputs (random ops): never fold. */
    ERT_OPF_NO_FOLD = 1u << 1,
    /* every output is optional (LSTM, GRU, RNN): output 0 may be omitted. For all other
     * ops the importer refuses a node whose first output is missing. */
    ERT_OPF_OPTIONAL_OUTPUTS = 1u << 2,
    /* output shapes are known only by running (If, Loop, Scan run a subgraph): infer
     * with concrete inputs validates but may leave outputs unresolved, and run() sets
     * each output's shape and calls ert_tensor_alloc itself. */
    ERT_OPF_DYNAMIC_OUTPUTS = 1u << 3,
    /* inputs may be sequences or empty optionals (sequence.c, Identity, If, Loop): the
     * executors refuse any other op an input that is not a dense, present tensor, so
     * dense kernels never read a sequence as data. Outputs such an op leaves non-dense
     * (kind SEQUENCE or is_none) are not allocated by the executor. */
    ERT_OPF_SEQUENCE_IO = 1u << 4
};

/* Kernel contexts always expose at least this many input/output slots (NULL past
 * n_in/n_out), so reading k->in[i] / k->out[i] for a small fixed i never overruns. */
#define ERT_KCTX_MIN_SLOTS 16

#define ERT_OP_MAX_VERSIONS 16

typedef struct ert_op_def {
    int id;                     /* ERT_OP_* */
    const char *domain;         /* "" = ai.onnx */
    const char *name;           /* ONNX op_type */
    ert_infer_fn infer;         /* shape/dtype inference */
    ert_run_fn run;             /* reference kernel */
    unsigned flags;             /* ERT_OPF_* */
    int versions[ERT_OP_MAX_VERSIONS]; /* since_versions edgert implements, ascending, 0-ended */
} ert_op_def;

enum {
#define OP(id, domain, name, infer, run, flags, ...) ERT_OP_##id,
#include "ops/ops.def"
#undef OP
    ERT_OP_COUNT
};

#define OP(id, domain, name, infer, run, flags, ...) \
    ert_status infer(ert_kctx *k);                   \
    ert_status run(ert_kctx *k);
#include "ops/ops.def"
#undef OP

/* Registry (registry.c). */
const ert_op_def *ert_op_find(const char *domain, const char *name);
const ert_op_def *ert_op_get(int id);
/* Newest ONNX (ai.onnx) opset whose op changes edgert knows about. */
#define ERT_MAX_ONNX_OPSET 28

/* ---- helpers for op implementations (op_util.c) ---- */

/* Fails with a message prefixed by "<OpType> node '<name>': ". Returns s. */
ert_status ert_op_fail(ert_kctx *k, ert_status s, const char *fmt, ...) ERT_PRINTF(3, 4);

/* Input i if present (in range and not omitted), else NULL. */
static inline ert_tensor *ert_in(ert_kctx *k, int i)
{
    return i < k->n_in ? k->in[i] : NULL;
}
static inline ert_tensor *ert_out(ert_kctx *k, int i)
{
    return i < k->n_out ? k->out[i] : NULL;
}

/* Checks n_in within [min, max] and that the first `required` inputs are present. */
ert_status ert_check_inputs(ert_kctx *k, int min_in, int max_in);

/* Normalises axis into [0, rank); fails (message names attr) if out of range. */
ert_status ert_norm_axis(ert_kctx *k, int64_t axis, int rank, const char *what, int *out);

/* Output dims of numpy-style multidirectional broadcasting of n tensors. Handles
 * symbolic/unknown dims in shapes_only mode; rank -1 in any input gives rank -1. */
ert_status ert_broadcast_shapes(ert_kctx *k, int n, const ert_tensor *const *ts, ert_tensor *out);

/* Row-major element strides of dims. */
void ert_strides(int rank, const int64_t *dims, int64_t *strides);
/* Strides of t when broadcast to an output of rank `rank`: 0 on broadcast dims. */
void ert_bcast_strides(const ert_tensor *t, int rank, const int64_t *out_dims, int64_t *strides);

/* Reads input i (a constant or run-time int tensor of any integer dtype) into buf.
 * Returns ERT_OK and *n = count; *n = -1 if the data is not known (shapes_only). */
ert_status ert_input_ints(ert_kctx *k, int i, int64_t *buf, int64_t max, int64_t *n);

/* Reduce*'s axes (reduce.c; attribute or input 1 by version, noop_with_empty_axes)
 * into mask[rank]. *noop: the output is the input unchanged. *known = false
 * (shapes_only): the axes input has no data yet. */
ert_status ert_reduce_axes(ert_kctx *k, int rank, bool *mask, bool *noop, bool *known);

/* dtype classes (tensor.c); ert_dtype_is_float is in ir.h. */
bool ert_dtype_is_int(ert_dtype t);      /* (u)int8..64, not bool */
bool ert_dtype_is_unsigned(ert_dtype t); /* uint8..64 and bool */
static inline bool ert_dtype_is_int_or_bool(ert_dtype t)
{
    return ert_dtype_is_int(t) || t == ERT_DTYPE_BOOL;
}

/* An int list given as attribute `attr` (op versions before `input_since`) or as input
 * `idx` (from then on), as Split/Squeeze/Unsqueeze/Reduce* axes moved. *n = -1: absent
 * (attribute missing / input omitted); *n = -2: input present but its data unknown
 * (shapes_only). */
ert_status ert_attr_or_input_ints(ert_kctx *k, const char *attr, int input_since, int idx,
                                  int64_t *buf, int64_t max, int64_t *n);

/* An ints attribute of exactly n values (one per spatial axis: kernel_shape, strides,
 * dilations, pads with 2n) within [lo, hi]; absent: def for each. */
ert_status ert_attr_ints_n(ert_kctx *k, const char *name, int n, int64_t def, int64_t lo,
                           int64_t hi, int64_t *out);

/* auto_pad SAME_UPPER / SAME_LOWER, the one rule for Conv, ConvInteger, QLinearConv,
 * ConvTranspose and the pools (docs/PADDING.md): the total padding `total` of one axis,
 * which may be negative (stride larger than the kernel), is split with floor division,
 * the odd unit at the end for SAME_UPPER and at the beginning for SAME_LOWER. A negative
 * pad crops: the first window starts -*pb inside the input. */
void ert_same_pad_split(int64_t total, bool upper, int64_t *pb, int64_t *pe);

/* Forward SAME padding (Conv family, pools): output ceil(in / stride) and total
 * (out - 1) * stride + dilated_kernel - in, not clamped; split by ert_same_pad_split.
 * Returns the output size. */
int64_t ert_same_pads(int64_t in, int64_t stride, int64_t dilated_kernel, bool upper,
                      int64_t *pb, int64_t *pe);

/* Copies dtype from in to out and sets shape. */
void ert_set_out(ert_tensor *out, ert_dtype dtype, int rank, const int64_t *dims);

/* Read/write element i of any numeric tensor as double (for generic, dtype-agnostic
 * reference kernels; fast paths may special-case float32). */
double ert_load_f64(ert_dtype t, const void *p, int64_t i);
void ert_store_f64(ert_dtype t, void *p, int64_t i, double v);
int64_t ert_load_i64(ert_dtype t, const void *p, int64_t i);
void ert_store_i64(ert_dtype t, void *p, int64_t i, int64_t v);

#endif /* ERT_OP_H */
