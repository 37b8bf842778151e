/*
 * attr_schema.c - the attribute schema table generated from attr_schema.def.
 *
 * Each SCHEMA(...) entry becomes a static array of ert_attr_spec (ended by END) and one
 * row of g_schemas, which is in ops.def order: sorted by (op id, version), so a lookup
 * is a binary search (O(log n) per node; import of 10^5 nodes stays linear).
 */
#include <string.h>

#include "ops/attr_schema.h"
#include "ops/op.h"

#define OPT false
#define REQ true
#define A(name_, type_, req_, def_, allowed_) \
    {.name = name_, .type = ERT_ATTR_##type_, .required = req_, .def = def_, .allowed = allowed_}
#define END {.name = NULL}

#define SCHEMA(id_, v_, ...) static const ert_attr_spec s_##id_##_##v_[] = {__VA_ARGS__};
#include "ops/attr_schema.def"
#undef SCHEMA

static const ert_attr_schema g_schemas[] = {
#define SCHEMA(id_, v_, ...) \
    {ERT_OP_##id_, v_, s_##id_##_##v_, (int)(sizeof s_##id_##_##v_ / sizeof(ert_attr_spec)) - 1},
#include "ops/attr_schema.def"
#undef SCHEMA
};

#define N_SCHEMAS ((int)(sizeof g_schemas / sizeof g_schemas[0]))

int ert_attr_schema_count(void)
{
    return N_SCHEMAS;
}

const ert_attr_schema *ert_attr_schema_at(int i)
{
    return (i >= 0 && i < N_SCHEMAS) ? &g_schemas[i] : NULL;
}

static int cmp_key(const ert_attr_schema *s, int op, int version)
{
    if (s->op != op)
        return s->op < op ? -1 : 1;
    return s->version < version ? -1 : s->version > version;
}

const ert_attr_schema *ert_attr_schema_find(int op, int version)
{
    int lo = 0, hi = N_SCHEMAS - 1;
    while (lo <= hi) {
        int mid = lo + (hi - lo) / 2;
        int c = cmp_key(&g_schemas[mid], op, version);
        if (c == 0)
            return &g_schemas[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

const ert_attr_spec *ert_attr_schema_attr(const ert_attr_schema *s, const char *name)
{
    for (int i = 0; s && i < s->n_attrs; i++)
        if (strcmp(s->attrs[i].name, name) == 0)
            return &s->attrs[i];
    return NULL;
}

const char *ert_attr_type_name(ert_attr_type t)
{
    static const char *const names[] = {
        "UNDEFINED", "FLOAT", "INT", "STRING", "TENSOR", "GRAPH", "FLOATS", "INTS", "STRINGS",
        "TENSORS", "GRAPHS", "SPARSE_TENSOR", "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"};
    return ((unsigned)t < sizeof names / sizeof names[0]) ? names[t] : "UNKNOWN";
}

bool ert_attr_value_allowed(const ert_attr_spec *spec, const char *v)
{
    if (!spec->allowed)
        return true;
    size_t n = strlen(v);
    for (const char *p = spec->allowed; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        if (!bar)
            break;
        p = bar + 1;
    }
    return false;
}
