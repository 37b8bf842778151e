/*
 * limits.h - what edgert accepts from a model file, before protobuf-c sees it.
 *
 * protobuf-c has no nesting limit (it recurses per nested message: a 100 MB file of
 * nested subgraphs overflows the stack) and allocates every repeated field's array up
 * front (10^7 two-byte empty nodes cost gigabytes of structs). wire_scan.c walks the
 * wire format once, without allocating, and refuses a file past any of these limits
 * with a message naming the limit; the import then only sees bounded models.
 * Each bound is far above real models (the largest exported LLM graphs have ~10^5
 * nodes and names of ~200 bytes).
 */
#ifndef ERT_IMPORT_LIMITS_H
#define ERT_IMPORT_LIMITS_H

#include <stddef.h>

#include "util/status.h"

/* Nested messages (ModelProto = 1). A subgraph level costs 3 (Node, Attribute, Graph):
 * the importer's 32 subgraph levels plus types need ~110. */
#define ERT_LIMIT_PROTO_DEPTH 128
/* Nodes in the model, subgraphs included. */
#define ERT_LIMIT_NODES 2000000
/* Values: node outputs, graph inputs and initializers, subgraphs included. */
#define ERT_LIMIT_VALUES 8000000
/* Initializers (dense + sparse), subgraphs included. */
#define ERT_LIMIT_INITIALIZERS 1000000
/* Dims of one shape or tensor (the IR holds ERT_MAX_RANK). */
#define ERT_LIMIT_RANK 8
/* Elements of one list attribute (ints, floats, strings, tensors, graphs). */
#define ERT_LIMIT_ATTR_ELEMS (1 << 22)
/* Bytes of one name (values, nodes, op types, domains, attribute names, ...). */
#define ERT_LIMIT_NAME_BYTES 65536
/* Bytes of one attribute string (s, or one element of strings). */
#define ERT_LIMIT_ATTR_STRING_BYTES (1 << 20)

/* Checks the serialized ModelProto against the limits above (and that every field is
 * well-formed: varints end, lengths stay inside their message). O(size), no allocation. */
ert_status ert_wire_scan_model(const void *data, size_t size, ert_err *err);

#endif /* ERT_IMPORT_LIMITS_H */
