/*
 * kernel.h - the optimized CPU backend's kernel table: what a fast kernel provides and
 * how the engine finds the candidates for a node.
 *
 * Life cycle (the XNNPACK/MLAS create -> reshape -> run split):
 *   load:    supports(n, g) says whether the kernel can run the node as inferred at load
 *            time (dims may be symbolic); pack(n, g) prepares model-owned constants once
 *            (packed weights, folded parameters), shared read-only by every context.
 *   reshape: when the step's input shapes change, the engine runs the op's infer, then
 *            plan(k, &ws): concrete shapes -> the step's parameter block k->params
 *            (ERT_STEP_PARAMS_BYTES, context-owned, no allocation) and the scratch bytes
 *            the run needs (the context sizes one workspace for the largest step).
 *   run:     run(k) with k->packed, k->params, k->ws, k->pool set. No allocation, no
 *            attribute parsing by name, no shape inference.
 * Kernels stay stateless: everything mutable lives in k->params / k->ws of a context.
 */
#ifndef ERT_KERNEL_H
#define ERT_KERNEL_H

#include "kernels/cpu.h"
#include "ops/op.h"

/* n rounded up to a multiple of 16 (floats: keeps workspace slices 64-byte aligned). */
static inline size_t ert_round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Bytes of a step's parameter block (geometry, epilogue, tactic); 64-byte aligned. */
#define ERT_STEP_PARAMS_BYTES 1024

typedef struct ert_kernel {
    const char *name;   /* stable identifier, e.g. "conv.gemm.avx512": timing caches and
                         * engine files store it, never a table position */
    ert_isa isa;        /* level it needs */
    bool (*supports)(const ert_node *n, const ert_graph *g);
    ert_status (*pack)(const ert_node *n, const ert_graph *g, void **packed, ert_err *err);
    void (*free_packed)(void *packed);
    ert_status (*plan)(ert_kctx *k, size_t *ws_bytes);
    ert_status (*run)(ert_kctx *k);
} ert_kernel;

/* Candidate kernels for n whose isa <= `isa`, most promising first (the heuristic
 * order, used when nothing is timed); returns how many were written (<= max). */
#define ERT_MAX_CANDIDATES 32 /* room for every entry of a node's families at every level */
int ert_cpu_kernels(const ert_node *n, const ert_graph *g, ert_isa isa,
                    const ert_kernel **out, int max);

/* Inputs whose buffer k's output 0 may take when both have the same size (bit i: input
 * i): elementwise kernels that read each element before writing it (unary: X; binary:
 * A or B). 0 for every other kernel. The arena planner decides per shape. */
unsigned ert_cpu_kernel_inplace_inputs(const ert_kernel *k);

/* The kernel with this name, or NULL. */
const ert_kernel *ert_cpu_kernel_by_name(const char *name);

/* One family's entries, for the table in cpu_table.c: a NULL-name-terminated array. */
typedef struct ert_kernel_family {
    int op_id;                  /* ERT_OP_* this entry serves */
    const ert_kernel *const *kernels; /* candidates, most promising first, NULL-ended */
} ert_kernel_family;

#endif /* ERT_KERNEL_H */
