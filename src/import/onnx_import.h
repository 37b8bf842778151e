/*
 * onnx_import.h - ONNX protobuf -> edgert IR.
 *
 * The only part of edgert that links protobuf-c. It resolves every node to an op of
 * ops.def (or refuses it), converts initializers (raw_data, typed fields, external
 * data), Constant-free attributes, declared input/output types with symbolic dims,
 * and value_info. It does no shape inference: that is the fold pass's job.
 */
#ifndef ERT_ONNX_IMPORT_H
#define ERT_ONNX_IMPORT_H

#include "ir/ir.h"

typedef struct ert_import_options {
    /* Keep nodes whose op/version edgert lacks (node->op == NULL) instead of failing:
     * for `edgert inspect`, which lists them. The graph then cannot be run. */
    bool allow_unsupported;
    /* An attribute the op's schema does not define becomes a warning (passed to warn,
     * or printed on stderr when warn is NULL) instead of a load error. Wrong types,
     * missing required attributes and values outside the enumeration stay errors. */
    bool lenient_attributes;
    void (*warn)(void *user, const char *msg);
    void *warn_user;
} ert_import_options;

/* Checks node n's attributes against the schema of its op version (attr_check.c);
 * nodes without an op (allow_unsupported) pass. */
ert_status ert_import_check_attrs(const ert_node *n, const ert_import_options *opt, ert_err *err);

ert_status ert_import_onnx_file(const char *path, const ert_import_options *opt, ert_graph **out,
                                ert_err *err);
/* base_dir: folder against which external data locations resolve (NULL: external
 * data refused). */
ert_status ert_import_onnx_memory(const void *data, size_t size, const char *base_dir,
                                  const ert_import_options *opt, ert_graph **out, ert_err *err);

/* Parses a serialized TensorProto (ONNX test data .pb files) into out (allocated data).
 * *name (may be NULL) receives a malloc'ed copy of the tensor's name. */
ert_status ert_import_tensor_proto(const void *data, size_t size, ert_tensor *out, char **name,
                                   ert_err *err);

/* Parses a serialized SequenceProto (a sequence of tensors) / OptionalProto (an optional
 * tensor or sequence; no value -> out->is_none) from ONNX test data into out (owned
 * elements/data; free with ert_tensor_free_data). An empty sequence's dtype may be
 * ERT_DTYPE_UNDEFINED: the model's declared type supplies it. *name as above. */
ert_status ert_import_sequence_proto(const void *data, size_t size, ert_tensor *out, char **name,
                                     ert_err *err);
ert_status ert_import_optional_proto(const void *data, size_t size, ert_tensor *out, char **name,
                                     ert_err *err);

/* Reads a whole file into memory (malloc). */
ert_status ert_read_file(const char *path, void **data, size_t *size, ert_err *err);

#endif /* ERT_ONNX_IMPORT_H */
