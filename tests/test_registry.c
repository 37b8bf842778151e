/*
 * test_registry.c - invariants of the op table generated from src/ops/ops.def:
 * every (domain, op) appears once, since-versions are ascending, positive and not above
 * the newest opset edgert knows, and every entry has both functions.
 * And of the attribute schema table (src/ops/attr_schema.def): every op version of
 * ops.def has exactly one schema, in ops.def order (the importer binary-searches it),
 * attribute names are unique and sorted, enumerations only on STRING(S) attributes.
 *
 *   test_registry            run the checks
 *   test_registry --dump     print the schema table as tab-separated lines (for
 *                            tests/ops/test_attr_schema.py): op domain version attr type
 *                            required default allowed
 */
#include <stdio.h>
#include <string.h>

#include "ops/attr_schema.h"
#include "ops/op.h"

static int check_op(int i)
{
    const ert_op_def *op = ert_op_get(i);
    int ok = op && op->id == i && op->name && op->name[0] && op->infer && op->run &&
             op->versions[0] > 0;
    for (int v = 1; ok && v < ERT_OP_MAX_VERSIONS && op->versions[v]; v++)
        ok = op->versions[v] > op->versions[v - 1];
    for (int v = 0; ok && v < ERT_OP_MAX_VERSIONS && op->versions[v]; v++)
        ok = op->versions[v] <= ERT_MAX_ONNX_OPSET || op->domain[0];
    if (ok)
        ok = ert_op_find(op->domain, op->name) == op; /* first match is this one: unique */
    for (int j = 0; ok && j < i; j++) {
        const ert_op_def *o = ert_op_get(j);
        ok = !(strcmp(o->name, op->name) == 0 && strcmp(o->domain, op->domain) == 0);
    }
    if (!ok)
        printf("FAIL op table entry %d (%s): duplicate, bad versions or missing function\n", i,
               op ? op->name : "?");
    return ok;
}

/* Every version of op i has a schema. */
static int check_op_schemas(int i)
{
    const ert_op_def *op = ert_op_get(i);
    int ok = 1;
    for (int v = 0; v < ERT_OP_MAX_VERSIONS && op->versions[v]; v++) {
        if (!ert_attr_schema_find(i, op->versions[v])) {
            printf("FAIL %s version %d has no attribute schema: add it to "
                   "scripts/gen_attr_schema.py and regenerate src/ops/attr_schema.def\n",
                   op->name, op->versions[v]);
            ok = 0;
        }
    }
    return ok;
}

static int version_listed(const ert_op_def *op, int version)
{
    for (int v = 0; v < ERT_OP_MAX_VERSIONS && op->versions[v]; v++)
        if (op->versions[v] == version)
            return 1;
    return 0;
}

/* The default (a comma-separated list for STRINGS) is one of the allowed values. */
static int default_allowed(const ert_attr_spec *sp)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", sp->def);
    if (sp->type == ERT_ATTR_STRING)
        return ert_attr_value_allowed(sp, buf);
    for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ","))
        if (!ert_attr_value_allowed(sp, tok))
            return 0;
    return 1;
}

static int check_schema(int i)
{
    const ert_attr_schema *s = ert_attr_schema_at(i), *prev = ert_attr_schema_at(i - 1);
    const ert_op_def *op = ert_op_get(s->op);
    int ok = op && version_listed(op, s->version);
    if (ok && prev)
        ok = prev->op < s->op || (prev->op == s->op && prev->version < s->version);
    for (int a = 0; ok && a < s->n_attrs; a++) {
        const ert_attr_spec *sp = &s->attrs[a];
        ok = sp->name && sp->name[0] && (a == 0 || strcmp(s->attrs[a - 1].name, sp->name) < 0);
        if (ok && sp->allowed)
            ok = sp->type == ERT_ATTR_STRING || sp->type == ERT_ATTR_STRINGS;
        if (ok && sp->allowed && sp->def)
            ok = default_allowed(sp);
    }
    if (!ok)
        printf("FAIL schema entry %d (%s version %d): not an ops.def version, out of order, or "
               "bad attribute list\n", i, op ? op->name : "?", s->version);
    return ok;
}

static void dump(void)
{
    for (int i = 0; i < ert_attr_schema_count(); i++) {
        const ert_attr_schema *s = ert_attr_schema_at(i);
        const ert_op_def *op = ert_op_get(s->op);
        if (s->n_attrs == 0)
            printf("%s\t%s\t%d\t-\t-\t-\t-\t-\n", op->name, op->domain, s->version);
        for (int a = 0; a < s->n_attrs; a++) {
            const ert_attr_spec *sp = &s->attrs[a];
            printf("%s\t%s\t%d\t%s\t%s\t%d\t%s\t%s\n", op->name, op->domain, s->version, sp->name,
                   ert_attr_type_name(sp->type), sp->required, sp->def ? sp->def : "-",
                   sp->allowed ? sp->allowed : "-");
        }
    }
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--dump") == 0) {
        dump();
        return 0;
    }
    int pass = 0, fail = 0;
    for (int i = 0; i < ERT_OP_COUNT; i++) {
        int ok = check_op(i) && check_op_schemas(i);
        pass += ok;
        fail += !ok;
    }
    for (int i = 0; i < ert_attr_schema_count(); i++) {
        int ok = check_schema(i);
        pass += ok;
        fail += !ok;
    }
    printf("%d ops, %d attribute schemas in the tables\n%d passed, %d failed\n", ERT_OP_COUNT,
           ert_attr_schema_count(), pass, fail);
    return fail ? 1 : 0;
}
