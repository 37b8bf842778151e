/*
 * engine_internal.h - the model and context objects behind the public handles.
 *
 * A model owns the optimized graph and the compiled plan (steps: node, kernel, packed
 * weights). It is immutable after load, so any number of contexts on any threads may
 * share it. A context owns every mutable thing of one inference stream: input copies,
 * the arena holding the intermediates, per-step parameter blocks, the workspace and the
 * thread pool (see context.c for the create -> reshape -> run life cycle).
 */
#ifndef ERT_ENGINE_INTERNAL_H
#define ERT_ENGINE_INTERNAL_H

#include "engine/engine.h"
#include "engine/step.h"
#include "ops/op.h"
#include "util/scratch.h"
#include "passes/passes.h"

/* One compiled step of the plan: a live node, the kernel chosen for it at load time and
 * that kernel's packed constants. Model-owned, read-only once loaded. */
typedef struct ert_step {
    int node;                  /* index into g->nodes */
    const ert_kernel *kernel;  /* fast kernel; NULL: the op's reference kernel */
    void *packed;              /* kernel->pack result (freed with kernel->free_packed) */
    char *tactics;             /* how the kernel was chosen (ert_tuner_pick's why), or NULL */
    bool reinfer;              /* output shapes may depend on input data: infer every run */
    bool own_outputs;          /* outputs stay outside the arena (sized by run(), sequences,
                                * data-dependent shapes) */
    bool view;                 /* Reshape/Flatten/Squeeze/Unsqueeze: output 0 is input 0's
                                * buffer with another shape (no copy, no kernel) */
    bool concat_host;          /* Concat whose inputs may be written in place into its
                                * output (decided per shape when the arena is laid out) */
    unsigned reuse_mask;       /* bit i: output 0 may take input i's arena slot (an
                                * elementwise kernel, input i read last here; decided per
                                * shape when the arena is laid out) */
    int gen_off;               /* first of its n_inputs slots in a context's step_gen */
} ert_step;

struct ert_model {
    ert_err err;          /* last error on this handle */
    ert_graph *g;         /* after passes; NULL if loading failed */
    int n_steps;
    ert_step *steps;      /* execution order */
    int n_gen_slots;      /* sum of the steps' input counts */
    int *last_use;        /* per value: last step reading it (n_steps: graph output; -1:
                           * never read) */
    int *producer_step;   /* per value: the step writing it, -1 for inputs/constants */
    int *alias_of;        /* per value: the value whose buffer a view reads, -1 if none;
                           * that value's last_use covers the view's readers */
    int max_io;           /* largest node input/output count (sizes the kctx arrays) */
    ert_pass_notes notes; /* graph optimizer: rewrites per kind, reasons for candidates left */
    ert_isa isa;          /* kernel ISA level in force for this model */
    int tuned, tune_cached; /* steps whose kernel was timed / taken from the timing cache */
};

typedef enum ert_ctx_state {
    ERT_CTX_CREATED = 0,  /* inputs not all set */
    ERT_CTX_READY = 1,    /* all inputs set */
    ERT_CTX_DONE = 2      /* ran successfully: outputs valid */
} ert_ctx_state;

/* Per value, where a context keeps its run-time storage. */
typedef enum ert_slot_kind {
    ERT_SLOT_NONE = 0,    /* constant, or not produced by a step */
    ERT_SLOT_OWN = 1,     /* a grow-only buffer of its own (inputs, own_outputs, discovery) */
    ERT_SLOT_ARENA = 2    /* at arena + offset */
} ert_slot_kind;

struct ert_context {
    ert_err err;
    ert_model *m;
    ert_tensor *vals;     /* per graph value: run-time tensor (unused for constants) */
    bool *input_set;      /* per graph input (index into g->inputs) */
    ert_tensor **in_ptrs; /* scratch for kernel contexts, max_io each */
    ert_tensor **out_ptrs;
    ert_ctx_state state;
    /* shape tracking: a value's generation changes whenever its shape does; a step infers
     * again only if an input's generation differs from the one it last saw */
    uint32_t *gen;        /* per value */
    uint32_t *step_gen;   /* per step input slot (model->n_gen_slots) */
    uint32_t *in_gen;     /* per graph input: its generation in the last completed run */
    int64_t *old_dims;    /* scratch: a step's output shapes before infer */
    bool have_sizes;      /* the last run completed: every value's size is known */
    bool *step_ready;     /* per step: inferred + planned for the generations in step_gen */
    unsigned char *params; /* per step ERT_STEP_PARAMS_BYTES, 64-byte aligned */
    size_t *ws_need;      /* per step: workspace bytes its plan asked for */
    void *ws;             /* one workspace, sized for the largest step */
    size_t ws_cap;
    /* memory plan: after a run with new shapes, every intermediate gets an offset in one
     * arena from its lifetime (best fit); later runs with those shapes allocate nothing */
    unsigned char *slot_kind; /* per value: ert_slot_kind */
    size_t *slot_off;     /* per value: arena offset (ERT_SLOT_ARENA) */
    size_t *slot_bytes;   /* per value: bytes reserved there */
    void *arena;
    size_t arena_bytes;
    size_t naive_bytes;   /* sum of the planned intermediates, for reports */
    bool planned;         /* the arena matches the shapes of the last run */
    bool *inplace;        /* per step: concat_host whose inputs sit in its output now */
    int *share_in;        /* per value: the input of its producer whose arena slot it
                           * took (elementwise in place), -1 if none */
    struct ert_threadpool *pool;
    bool keep_denormals;  /* ert_context_options.keep_denormals: no FTZ/DAZ around runs */
    bool profiling;
    ert_step_profile *prof; /* per step, while profiling */
    ert_step_hooks hooks;
    ert_scratch scratch;  /* reference kernels' temporary buffers (util/scratch.h) */
};

/* Memory plan of the last run (arena and naive bytes), for inspect and tests. */
void ert_context_memory(const ert_context *c, size_t *arena_bytes, size_t *naive_bytes);

#endif /* ERT_ENGINE_INTERNAL_H */
