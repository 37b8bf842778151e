/*
 * ir.h - edgert's graph intermediate representation.
 *
 * A graph is a flat array of values (tensors) and a topologically sorted array of
 * nodes that refer to values by index. The importer fills it from ONNX; passes
 * (constant folding, later fusion and layout choice) rewrite it; the engine turns it
 * into an executable plan. Everything that later issues need is carried from day
 * one, even where this issue fills in only the simplest case:
 *   - every value has a dtype, a layout (plain row-major now; blocked layouts later)
 *     and optional quantization parameters;
 *   - every node has the op version it was imported at, its chosen backend and
 *     kernel (tactic) id.
 *
 * Dims: >= 0 is a known size; ERT_DIM_UNKNOWN (-1) is unknown; values <= -2 name a
 * symbolic dim: symbol k is stored as -2-k (graph->syms[k] holds its name). rank -1
 * means the rank itself is unknown (only during load-time shape inference).
 */
#ifndef ERT_IR_H
#define ERT_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "edgert.h"
#include "util/status.h"

/* Largest tensor edgert allocates (the fuzz build lowers it). */
#ifndef ERT_MAX_TENSOR_BYTES
#define ERT_MAX_TENSOR_BYTES ((int64_t)1 << 40)
#endif

#define ERT_DIM_UNKNOWN (-1)
#define ERT_DIM_SYM(k) (-2 - (int64_t)(k))
#define ERT_DIM_IS_KNOWN(d) ((d) >= 0)

/* Memory layout of a tensor. Stored in engine files as uint8: append only. */
typedef enum ert_layout {
    ERT_LAYOUT_PLAIN = 0, /* dense row-major, as ONNX defines the tensor */
    ERT_LAYOUT_NCHW8C = 1, /* reserved: channel-blocked by 8 (AVX2 FP32 kernels) */
    ERT_LAYOUT_NCHW16C = 2 /* reserved: channel-blocked by 16 (AVX-512) */
} ert_layout;

/* Quantization parameters (QDQ models, INT8 calibration). axis < 0: per-tensor. */
typedef struct ert_quant {
    int axis;
    int64_t count;      /* number of scales (1 for per-tensor) */
    float *scale;
    int32_t *zero_point;
} ert_quant;

/* What an ert_tensor holds. Stored in engine files as uint8: append only. */
typedef enum ert_tensor_kind {
    ERT_TENSOR_DENSE = 0,    /* a plain tensor: data/nbytes */
    ERT_TENSOR_SEQUENCE = 1  /* ONNX seq(tensor): seq[0..seq_len) owned dense elements */
} ert_tensor_kind;

/* A tensor: description plus (optionally) data. Used for graph constants, for run-time
 * tensors and, with data == NULL, for load-time shape inference.
 *
 * Sequences and optionals (ONNX seq(tensor), optional(tensor), optional(seq(tensor)))
 * use the same struct so the kernel interface stays one array of ert_tensor pointers:
 * kind says dense or sequence; for a sequence dtype is the element type and rank/dims
 * describe the elements' common shape where known (rank -1: elements may differ; run
 * time tensors leave it 0). is_none marks an optional without a value (run time);
 * is_optional marks a value declared optional(...) (descriptions). Only ops flagged
 * ERT_OPF_SEQUENCE_IO see anything but a dense, present tensor: the executors refuse
 * the rest before the kernel runs. Sequences are never graph constants (their ops are
 * not folded), so descriptions never own elements. */
typedef struct ert_tensor {
    ert_dtype dtype;
    int rank;                   /* -1: unknown (load time only) */
    int64_t dims[ERT_MAX_RANK];
    ert_layout layout;
    const ert_quant *quant;     /* NULL: not quantized */
    void *data;                 /* NULL: value not known */
    size_t nbytes;              /* bytes of valid data */
    size_t capacity;            /* bytes allocated at data (0: not owned) */
    ert_tensor_kind kind;       /* DENSE or SEQUENCE */
    bool is_optional;           /* declared optional(...) (descriptions only) */
    bool is_none;               /* an optional holding no value: nothing else is valid */
    int64_t seq_len;            /* SEQUENCE: elements in seq */
    int64_t seq_cap;            /* SEQUENCE: slots allocated at seq */
    struct ert_tensor *seq;     /* SEQUENCE: owned dense elements, all of dtype */
} ert_tensor;

/* Kind of a graph value. */
typedef enum ert_value_kind {
    ERT_VALUE_INTERMEDIATE = 0,
    ERT_VALUE_INPUT = 1,    /* graph input fed by the user */
    ERT_VALUE_CONST = 2     /* initializer, Constant node or folded result: t.data valid */
} ert_value_kind;

typedef struct ert_value {
    char *name;
    ert_value_kind kind;
    ert_tensor t;           /* dtype/shape as known at load time; data if CONST */
    int producer;           /* node index, -1 for inputs/constants */
    int n_consumers;        /* number of node input slots reading it */
    bool is_output;         /* a graph output */
    bool shape_from_model;  /* dims came from the model's declared type */
} ert_value;

typedef enum ert_attr_type {
    ERT_ATTR_UNDEFINED = 0, ERT_ATTR_FLOAT = 1, ERT_ATTR_INT = 2, ERT_ATTR_STRING = 3,
    ERT_ATTR_TENSOR = 4, ERT_ATTR_GRAPH = 5, ERT_ATTR_FLOATS = 6, ERT_ATTR_INTS = 7,
    ERT_ATTR_STRINGS = 8, ERT_ATTR_TENSORS = 9, ERT_ATTR_GRAPHS = 10,
    ERT_ATTR_SPARSE_TENSOR = 11, ERT_ATTR_SPARSE_TENSORS = 12, ERT_ATTR_TYPE_PROTO = 13,
    ERT_ATTR_TYPE_PROTOS = 14
} ert_attr_type;

typedef struct ert_attr {
    char *name;
    ert_attr_type type;
    float f;
    int64_t i;
    char *s;                 /* NUL-terminated copy (ONNX strings are bytes; s_len has length) */
    size_t s_len;
    ert_tensor *t;           /* ERT_ATTR_TENSOR: owned tensor with data */
    int64_t n;               /* count for list types */
    float *floats;
    int64_t *ints;
    char **strings;
    struct ert_graph *g;     /* ERT_ATTR_GRAPH: owned subgraph (If branches, Loop/Scan body) */
    struct ert_graph **graphs; /* ERT_ATTR_GRAPHS: n owned subgraphs */
} ert_attr;

struct ert_op_def;

typedef struct ert_node {
    char *name;              /* ONNX node name, or "<OpType>_<index>" if the model had none */
    char *op_type;
    char *domain;            /* "" for ai.onnx */
    int opset;               /* opset version imported for the node's domain */
    int version;             /* since_version of the op schema in effect (<= opset) */
    const struct ert_op_def *op;
    int n_inputs;
    int *inputs;             /* value indices; -1: optional input omitted */
    int n_captures;          /* the last n_captures inputs are implicit: outer-scope values
                              * that the node's subgraphs read (see ert_graph.captures);
                              * the ONNX inputs are the first n_inputs - n_captures */
    int n_outputs;
    int *outputs;            /* value indices; -1: optional output omitted */
    int n_attrs;
    ert_attr *attrs;
    int backend;             /* ERT_BACKEND_*: who runs it */
    int kernel;              /* tactic id within the backend (0: reference kernel) */
    bool dead;               /* removed by a pass (folded or unused) */
} ert_node;

/* Backends. The CPU reference backend is the only one today; a fast CPU backend and
 * CUDA plug in here with their own kernel tables. Stored in engine files: append only. */
enum { ERT_BACKEND_CPU_REF = 0, ERT_BACKEND_CPU = 1, ERT_BACKEND_CUDA = 2 };

typedef struct ert_graph {
    int n_values, cap_values;
    ert_value *values;
    int n_nodes, cap_nodes;
    ert_node *nodes;
    int n_inputs;
    int *inputs;             /* user-fed graph inputs (initializers excluded) */
    int n_outputs;
    int *outputs;
    int n_syms;
    char **syms;             /* names of symbolic dims */
    int ir_version;
    int opset_onnx;          /* ai.onnx opset import (default domain) */
    int opset_ml;            /* ai.onnx.ml, 0 if absent */
    char *producer;          /* producer_name + version, for inspect */
    char *base_dir;          /* folder of the model file (external data) */
    /* Subgraphs only (attribute of an If/Loop/Scan node): values the body reads from
     * enclosing scopes. captures[i] is a value of this graph (kind ERT_VALUE_INPUT, not
     * in inputs[]) that takes the owning node's input capture_slots[i] at run time; a
     * nested subgraph captures through its parent, which captures in turn. inputs[]
     * are the formal parameters (Loop: iteration_num, cond, carried; Scan: state, scan
     * slices; If: none). */
    int n_captures;
    int *captures;
    int *capture_slots;
    bool is_subgraph;
} ert_graph;

/* Graph building (ir.c). All return -1 / NULL on allocation failure. */
ert_graph *ert_graph_new(void);
void ert_graph_free(ert_graph *g);
int ert_graph_add_value(ert_graph *g, const char *name);
int ert_graph_find_value(const ert_graph *g, const char *name);
int ert_graph_add_node(ert_graph *g);
int ert_graph_symbol(ert_graph *g, const char *name); /* index; creates if new */
void ert_attr_clear(ert_attr *a);
/* The node's subgraph attribute `name` (ERT_ATTR_GRAPH), NULL if absent. */
const ert_graph *ert_node_subgraph(const ert_node *n, const char *name);
/* True if the node has any graph-typed attribute. */
bool ert_node_has_subgraphs(const ert_node *n);

/* Attribute lookup. Missing attribute -> default / NULL. */
const ert_attr *ert_node_attr(const ert_node *n, const char *name);
int64_t ert_attr_int(const ert_node *n, const char *name, int64_t def);
float ert_attr_float(const ert_node *n, const char *name, float def);
const char *ert_attr_string(const ert_node *n, const char *name, const char *def);
/* Returns count (-1 if absent) and sets *v to the array. */
int64_t ert_attr_ints(const ert_node *n, const char *name, const int64_t **v);
int64_t ert_attr_floats(const ert_node *n, const char *name, const float **v);

/* Tensor helpers (tensor.c). */
size_t ert_dtype_size_(ert_dtype t);
bool ert_dtype_is_float(ert_dtype t);
/* Element count; -1 if a dim is unknown, -2 on overflow. */
int64_t ert_tensor_numel(const ert_tensor *t);
bool ert_tensor_shape_known(const ert_tensor *t);
/* Sets dims; copies rank entries. */
void ert_tensor_set_shape(ert_tensor *t, int rank, const int64_t *dims);
/* Makes sure t->data holds at least numel*elemsize bytes for t's (known) shape and sets
 * nbytes. Reallocates only when it grows. Returns ERT_ERR_NO_MEMORY on overflow/failure. */
ert_status ert_tensor_alloc(ert_tensor *t);
/* Frees data and, for a sequence, its elements; t becomes an empty description. */
void ert_tensor_free_data(ert_tensor *t);
/* Deep copy (shape + data; a sequence's elements; is_none) into dst, allocating. */
ert_status ert_tensor_copy(ert_tensor *dst, const ert_tensor *src);

/* Sequences and optionals (tensor.c). */
static inline bool ert_tensor_is_dense(const ert_tensor *t)
{
    return t->kind == ERT_TENSOR_DENSE && !t->is_none;
}
/* "a sequence", "an empty optional" or "a tensor": for messages. */
const char *ert_tensor_kind_str(const ert_tensor *t);
/* Makes t hold `kind`, releasing storage of the other kind (a sequence's elements or
 * dense data) and clearing is_none. */
void ert_tensor_set_kind(ert_tensor *t, ert_tensor_kind kind);
/* Makes t an empty sequence of dtype elements (element shape unknown). */
void ert_seq_reset(ert_tensor *t, ert_dtype dtype);
/* Inserts a deep copy of dense elem at pos (0..seq_len). ERT_ERR_NO_MEMORY on failure. */
ert_status ert_seq_insert(ert_tensor *t, int64_t pos, const ert_tensor *elem);
/* Removes element pos (0..seq_len-1), freeing it. */
void ert_seq_erase(ert_tensor *t, int64_t pos);
/* Makes t an optional without value of the given kind/dtype. */
void ert_tensor_set_none(ert_tensor *t, ert_tensor_kind kind, ert_dtype dtype);
/* Reads element i of a numeric tensor as int64 / double (any integer or float dtype). */
int64_t ert_tensor_get_i64(const ert_tensor *t, int64_t i);
double ert_tensor_get_f64(const ert_tensor *t, int64_t i);
/* Formats a shape as "1x3x?x?" (symbols by name if g != NULL). */
const char *ert_shape_str(const ert_tensor *t, const ert_graph *g, char *buf, size_t len);
/* sep + a symbolic dim's name into buf (snprintf's result): a plain identifier as it is
 * ("batch"), any other name in braces ("{p2o.DynamicDimension.0}") so that "x" between
 * dims stays readable. */
int ert_sym_dim_str(char *buf, size_t len, const char *sep, const char *name);

/* float16 / bfloat16 conversions (round to nearest even). */
float ert_half_to_float(uint16_t h);
uint16_t ert_float_to_half(float f);
float ert_bf16_to_float(uint16_t h);
uint16_t ert_float_to_bf16(float f);

/* Checked size arithmetic: returns false on overflow. */
static inline bool ert_mul_ok(int64_t a, int64_t b, int64_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

#endif /* ERT_IR_H */
