/*
 * edgert.h - public C API of edgert, an edge inference optimizer and runtime.
 *
 * Model of use:
 *   ert_model *m;   ert_model_load_file("net.onnx", NULL, &m)   -> describe inputs/outputs
 *   ert_context *c; ert_context_create(m, &c)                   -> one per thread / stream
 *   ert_context_set_input(c, "x", ...) ; ert_context_run(c) ; ert_context_get_output(c, ...)
 *
 * Every call returns an ert_status. On failure the handle involved keeps a message
 * (ert_model_last_error / ert_context_last_error) that says what failed, where (node,
 * tensor, file offset) and what to do. Load calls hand back a model handle even on
 * failure (like sqlite3_open) so the message can be read; free it with ert_model_free.
 *
 * No global mutable state: models are immutable after load and may be shared by any
 * number of contexts on any threads; a context is used by one thread at a time.
 */
#ifndef EDGERT_H
#define EDGERT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ERT_VERSION_MAJOR 0
#define ERT_VERSION_MINOR 1
#define ERT_VERSION_PATCH 0
#define ERT_VERSION_STRING "0.1.0"

#if defined(_WIN32)
#define ERT_API
#else
#define ERT_API __attribute__((visibility("default")))
#endif

/* Status codes. Stable numbers: new values go at the end. */
typedef enum ert_status {
    ERT_OK = 0,
    ERT_ERR_INVALID_ARGUMENT = 1, /* bad argument to an API call (NULL, unknown name) */
    ERT_ERR_IO = 2,               /* file could not be opened/read */
    ERT_ERR_PARSE = 3,            /* malformed model or data file */
    ERT_ERR_UNSUPPORTED = 4,      /* op, op version, dtype or attribute edgert does not implement */
    ERT_ERR_SHAPE = 5,            /* shapes inconsistent with the model or each other */
    ERT_ERR_NO_MEMORY = 6,        /* allocation failed or a size computation overflowed */
    ERT_ERR_STATE = 7,            /* call made in the wrong state (e.g. run before inputs set) */
    ERT_ERR_INTERNAL = 8,         /* bug in edgert: please report */
    ERT_ERR_RUNTIME = 9           /* a kernel rejected its data at run time (e.g. bad index) */
} ert_status;

/* Element types, numbered as ONNX TensorProto.DataType. */
typedef enum ert_dtype {
    ERT_DTYPE_UNDEFINED = 0,
    ERT_DTYPE_FLOAT32 = 1,
    ERT_DTYPE_UINT8 = 2,
    ERT_DTYPE_INT8 = 3,
    ERT_DTYPE_UINT16 = 4,
    ERT_DTYPE_INT16 = 5,
    ERT_DTYPE_INT32 = 6,
    ERT_DTYPE_INT64 = 7,
    ERT_DTYPE_STRING = 8,
    ERT_DTYPE_BOOL = 9,
    ERT_DTYPE_FLOAT16 = 10,
    ERT_DTYPE_FLOAT64 = 11,
    ERT_DTYPE_UINT32 = 12,
    ERT_DTYPE_UINT64 = 13,
    ERT_DTYPE_BFLOAT16 = 16
} ert_dtype;

#define ERT_MAX_RANK 8

/* A dimension in a tensor description: >= 0 is a fixed size; < 0 is symbolic
 * (dim_names[i] then holds the model's name for it, or "" if anonymous). */
typedef struct ert_tensor_info {
    const char *name;
    ert_dtype dtype;
    int rank;                              /* -1 if unknown */
    int64_t dims[ERT_MAX_RANK];            /* < 0: symbolic / unknown */
    const char *dim_names[ERT_MAX_RANK];   /* symbol name for dims[i] < 0, else NULL */
} ert_tensor_info;

typedef struct ert_model ert_model;
typedef struct ert_context ert_context;

/* Load options; pass NULL for defaults. */
typedef struct ert_load_options {
    int fold_constants;      /* 1 (default): evaluate constant / static shape subgraphs at load */
    int no_optimize;         /* 1: skip the graph optimizer (fusions, BatchNorm folding, ...) */
    int reference_kernels;   /* 1: run every node with its reference kernel (the oracle) */
    int lenient_attributes;  /* 1: unknown attributes are warnings, not load errors */
    int tune;                /* 1: time the candidate kernels per layer (auto-tuning) */
    int tune_threads;        /* threads to tune with (those the contexts will use); 0: 1 */
    int tuning_budget_ms;    /* bound on the whole search (heuristics once spent); 0: none */
    const char *timing_cache; /* timing cache file, read and updated; NULL: none */
    const char *isa;         /* NULL: the best the CPU has (or ERT_ISA); "generic", "avx2",
                              * "avx512", "neon": cap this model's kernels at that level */
    const char *input_shapes; /* NULL, or "NAME:1x3x640x640[,NAME:DIMS]...": fixes those
                              * inputs' symbolic dims at load (the whole graph is then
                              * inferred, folded and tuned for them; other shapes are
                              * refused at run time) */
    int reserved[2];
} ert_load_options;

ERT_API const char *ert_version(void);
ERT_API const char *ert_status_name(ert_status s);
ERT_API size_t ert_dtype_size(ert_dtype t);      /* bytes per element; 0 if unknown */
ERT_API const char *ert_dtype_name(ert_dtype t);

/* Loading. *out is always set (NULL only if memory ran out); free with ert_model_free. */
ERT_API ert_status ert_model_load_file(const char *path, const ert_load_options *opt, ert_model **out);
ERT_API ert_status ert_model_load_memory(const void *data, size_t size, const char *base_dir,
                                         const ert_load_options *opt, ert_model **out);
ERT_API void ert_model_free(ert_model *m);
ERT_API const char *ert_model_last_error(const ert_model *m);

ERT_API int ert_model_num_inputs(const ert_model *m);
ERT_API int ert_model_num_outputs(const ert_model *m);
ERT_API ert_status ert_model_input_info(const ert_model *m, int index, ert_tensor_info *info);
ERT_API ert_status ert_model_output_info(const ert_model *m, int index, ert_tensor_info *info);

/* Execution contexts. */
ERT_API ert_status ert_context_create(ert_model *m, ert_context **out);

/* Context options; ert_context_create uses the defaults (one thread, no pinning). */
typedef struct ert_context_options {
    int num_threads;         /* threads that run this context's layers (0 or 1: the caller's) */
    const int *cpu_affinity; /* NULL, or num_threads CPU ids: thread t is pinned to entry t */
    int keep_denormals;      /* 0 (default): ert_context_run computes with subnormal floats
                              * flushed to zero (x86 MXCSR FTZ+DAZ, ARM FPCR.FZ; the caller's
                              * mode is restored on return), since they cost ~100x per
                              * operation on many CPUs; 1: IEEE subnormals */
    int reserved[5];
} ert_context_options;
ERT_API ert_status ert_context_create_ex(ert_model *m, const ert_context_options *opt,
                                         ert_context **out);
ERT_API void ert_context_free(ert_context *c);
ERT_API const char *ert_context_last_error(const ert_context *c);

/* Sets input `name`: data is copied (so the caller may reuse its buffer). dims gives the
 * concrete shape; it must agree with the model's fixed dims, symbolic dims take any size. */
ERT_API ert_status ert_context_set_input(ert_context *c, const char *name, ert_dtype dtype,
                                         int rank, const int64_t *dims, const void *data,
                                         size_t nbytes);
ERT_API ert_status ert_context_run(ert_context *c);

/* Output `index` after a run. *data stays valid until the next run or ert_context_free.
 * info->dims are concrete. */
ERT_API ert_status ert_context_get_output(ert_context *c, int index, ert_tensor_info *info,
                                          const void **data, size_t *nbytes);

/* Where a context's memory goes. The arena is laid out at the start of the second run
 * with the same input shapes (the first one measures every intermediate); before that
 * this returns ERT_ERR_STATE. */
typedef struct ert_memory_info {
    size_t arena_bytes;     /* one 64-byte aligned arena holding every planned intermediate */
    size_t naive_bytes;     /* the same intermediates, each in a buffer of its own */
    size_t workspace_bytes; /* kernels' scratch (packing buffers, im2col rows), one for all layers */
    size_t weight_bytes;    /* the model's constants after folding (shared by its contexts) */
    size_t reserved[4];
} ert_memory_info;
ERT_API ert_status ert_context_memory_info(ert_context *c, ert_memory_info *out);

#ifdef __cplusplus
}
#endif
#endif /* EDGERT_H */
