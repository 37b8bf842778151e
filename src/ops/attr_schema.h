/*
 * attr_schema.h - the attributes each op version accepts (table: attr_schema.def).
 *
 * The importer checks every node against its schema at load time: an attribute the op
 * does not have, one of the wrong type, a missing required one or a STRING value outside
 * the spec's enumeration is refused (ert_load_options.lenient_attributes turns unknown
 * names into warnings). Without this a misspelled 'stkides' silently ran with stride 1.
 */
#ifndef ERT_ATTR_SCHEMA_H
#define ERT_ATTR_SCHEMA_H

#include <stdbool.h>

#include "ir/ir.h"

typedef struct ert_attr_spec {
    const char *name;       /* attribute name; NULL ends a list */
    ert_attr_type type;     /* the one type the spec allows */
    bool required;          /* the node must carry it */
    const char *def;        /* the spec's default as text (lists comma-separated); NULL: none */
    const char *allowed;    /* STRING/STRINGS: '|'-separated values the spec enumerates; NULL: any */
} ert_attr_spec;

typedef struct ert_attr_schema {
    int op;                     /* ERT_OP_* */
    int version;                /* since_version (one of the op's ops.def versions) */
    const ert_attr_spec *attrs; /* n_attrs entries, sorted by name */
    int n_attrs;
} ert_attr_schema;

/* The schema of (op, since_version), NULL if the table has none (a bug test_registry catches). */
const ert_attr_schema *ert_attr_schema_find(int op, int version);
/* Entry i of the table (in ops.def order), NULL past the end; for tests and tools. */
const ert_attr_schema *ert_attr_schema_at(int i);
int ert_attr_schema_count(void);
/* The spec of attribute `name` in s, NULL if s has none. */
const ert_attr_spec *ert_attr_schema_attr(const ert_attr_schema *s, const char *name);
/* "INT", "FLOATS", ...: the ONNX name of an attribute type. */
const char *ert_attr_type_name(ert_attr_type t);
/* True if value v is one of spec->allowed (always true if the spec enumerates nothing). */
bool ert_attr_value_allowed(const ert_attr_spec *spec, const char *v);

#endif /* ERT_ATTR_SCHEMA_H */
