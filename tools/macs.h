/*
 * macs.h - multiply-accumulates of one node from its (inferred) shapes, shared by
 * `edgert inspect` (per op type) and `edgert bench --profile` (per layer, GFLOP/s).
 *
 * Textbook formulas; bias additions and fused activations are not counted:
 *   Conv, FusedConv  numel(Y) * C_in/group * prod(kernel)   = numel(Y) * prod(W.dims[1:])
 *   ConvTranspose    numel(X) * C_out/group * prod(kernel)  = numel(X) * prod(W.dims[1:])
 *   Gemm             M * N * K
 *   MatMul           numel(Y) * K                 (K = last dim of A; batch dims broadcast)
 * A symbolic or unknown dim is counted as 1 (the smallest size it can take) and the
 * figure is flagged as a minimum; a node whose needed rank is unknown gives "?".
 */
#ifndef ERT_CLI_MACS_H
#define ERT_CLI_MACS_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/ir.h"

typedef struct cli_macs {
    int64_t value;     /* computed count (symbolic dims taken as 1) */
    bool known;        /* false: could not be computed at all ("?") */
    bool is_min;       /* a symbolic/unknown dim was taken as 1 */
} cli_macs;

/* Input (out false) or output i of n, NULL if absent. */
const ert_tensor *cli_node_value(const ert_graph *g, const ert_node *n, bool out, int i);

/* True if n is of a type whose MACs are counted, with the count in *m. */
bool cli_node_macs(const ert_graph *g, const ert_node *n, cli_macs *m);

/* The same with output 0's shape replaced by rank/dims (a shape seen at run time). */
bool cli_node_macs_out(const ert_graph *g, const ert_node *n, int rank, const int64_t *dims,
                       cli_macs *m);

/* False for a dead node or one whose outputs were all folded into constants. */
bool cli_node_live(const ert_graph *g, const ert_node *n);

/* Sum over the live nodes (is_min if any term is a minimum or unknown; known false on
 * overflow). */
cli_macs cli_graph_macs(const ert_graph *g);

#endif /* ERT_CLI_MACS_H */
