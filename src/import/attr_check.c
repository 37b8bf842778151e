/*
 * attr_check.c - load-time check of each node's attributes against its op's schema
 * (src/ops/attr_schema.def).
 *
 * Refused, with node, op, version and attribute named: an attribute the op version does
 * not define (the valid names are listed and the nearest one suggested), one stored with
 * another type, a required one missing, a STRING(S) value outside the spec's
 * enumeration, and the same attribute twice. ONNX Runtime refuses the first three at
 * load too; kernels used to read a misspelled or mistyped attribute as absent and ran
 * with the default, a silent wrong answer. With lenient_attributes an unknown name is
 * reported through the warning callback instead and ignored.
 */
#include <stdio.h>
#include <string.h>

#include "import/onnx_import.h"
#include "ops/attr_schema.h"
#include "ops/op.h"

/* Edit distance of two short names (only the first NAME_CAP bytes count). */
#define NAME_CAP 64
static int edit_distance(const char *a, const char *b)
{
    int la = (int)strnlen(a, NAME_CAP), lb = (int)strnlen(b, NAME_CAP);
    int row[NAME_CAP + 1];
    for (int j = 0; j <= lb; j++)
        row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int sub = diag + (a[i - 1] != b[j - 1]);
            int best = up + 1 < row[j - 1] + 1 ? up + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            diag = up;
        }
    }
    return row[lb];
}

/* The schema's attribute nearest to `name`, NULL if none is plausibly meant. */
static const char *nearest_name(const ert_attr_schema *s, const char *name)
{
    const char *best = NULL;
    int best_d = 1 << 30;
    for (int i = 0; i < s->n_attrs; i++) {
        int d = edit_distance(name, s->attrs[i].name);
        if (d < best_d) {
            best_d = d;
            best = s->attrs[i].name;
        }
    }
    int len = (int)strnlen(name, NAME_CAP);
    return (best && best_d <= (len > 6 ? len / 3 : 2)) ? best : NULL;
}

static void list_names(const ert_attr_schema *s, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < s->n_attrs && used < cap; i++)
        used += (size_t)snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", s->attrs[i].name);
    if (s->n_attrs == 0)
        snprintf(buf, cap, "none");
}

static ert_status unknown_attr(const ert_node *n, const ert_attr_schema *s, const ert_attr *a,
                               const ert_import_options *opt, ert_err *err)
{
    char names[512], msg[ERT_ERR_LEN];
    list_names(s, names, sizeof names);
    const char *near = nearest_name(s, a->name);
    char hint[NAME_CAP + 32] = "";
    if (near)
        snprintf(hint, sizeof hint, "; did you mean '%s'?", near);
    snprintf(msg, sizeof msg, "node '%s' (%s version %d, opset %d): unknown attribute '%.*s' (valid: %s)%s",
             n->name, n->op_type, n->version, n->opset, NAME_CAP, a->name, names, hint);
    if (!opt || !opt->lenient_attributes)
        return ert_errf(err, ERT_ERR_PARSE, "%s", msg);
    if (opt->warn)
        opt->warn(opt->warn_user, msg);
    else
        fprintf(stderr, "edgert: warning: %s: ignored (lenient attributes)\n", msg);
    return ERT_OK;
}

/* An attribute without a type field and without any value set is an empty list. */
static bool type_matches(ert_attr_type have, ert_attr_type want)
{
    if (have == want)
        return true;
    return have == ERT_ATTR_UNDEFINED &&
           (want == ERT_ATTR_INTS || want == ERT_ATTR_FLOATS || want == ERT_ATTR_STRINGS);
}

static ert_status check_value(const ert_node *n, const ert_attr_spec *sp, const ert_attr *a,
                              ert_err *err)
{
    const char *bad = NULL;
    if (a->type == ERT_ATTR_STRING && !ert_attr_value_allowed(sp, a->s ? a->s : ""))
        bad = a->s ? a->s : "";
    for (int64_t i = 0; !bad && a->type == ERT_ATTR_STRINGS && i < a->n; i++)
        if (!ert_attr_value_allowed(sp, a->strings[i]))
            bad = a->strings[i];
    if (!bad)
        return ERT_OK;
    return ert_errf(err, ERT_ERR_PARSE, "node '%s' (%s version %d, opset %d): attribute '%s' is "
                    "'%.*s', which the spec does not allow (allowed: %s)", n->name, n->op_type,
                    n->version, n->opset, sp->name, NAME_CAP, bad, sp->allowed);
}

static ert_status check_one(const ert_node *n, const ert_attr_schema *s, int idx,
                            const ert_import_options *opt, ert_err *err)
{
    const ert_attr *a = &n->attrs[idx];
    for (int j = 0; j < idx; j++)
        if (strcmp(n->attrs[j].name, a->name) == 0)
            return ert_errf(err, ERT_ERR_PARSE, "node '%s' (%s version %d, opset %d): attribute "
                            "'%.*s' is given twice", n->name, n->op_type, n->version, n->opset, NAME_CAP,
                            a->name);
    const ert_attr_spec *sp = ert_attr_schema_attr(s, a->name);
    if (!sp)
        return unknown_attr(n, s, a, opt, err);
    if (!type_matches(a->type, sp->type))
        return ert_errf(err, ERT_ERR_PARSE, "node '%s' (%s version %d, opset %d): attribute '%s' "
                        "has type %s; the spec requires %s", n->name, n->op_type, n->version, n->opset,
                        sp->name, ert_attr_type_name(a->type), ert_attr_type_name(sp->type));
    return check_value(n, sp, a, err);
}

ert_status ert_import_check_attrs(const ert_node *n, const ert_import_options *opt, ert_err *err)
{
    if (!n->op)
        return ERT_OK; /* unsupported node kept for inspect: nothing to check against */
    const ert_attr_schema *s = ert_attr_schema_find(n->op->id, n->version);
    if (!s)
        return ert_errf(err, ERT_ERR_INTERNAL, "node '%s' (%s version %d, opset %d): edgert has no "
                        "attribute schema for this op version", n->name, n->op_type, n->version, n->opset);
    for (int i = 0; i < n->n_attrs; i++) {
        ert_status st = check_one(n, s, i, opt, err);
        if (st != ERT_OK)
            return st;
    }
    for (int i = 0; i < s->n_attrs; i++)
        if (s->attrs[i].required && !ert_node_attr(n, s->attrs[i].name))
            return ert_errf(err, ERT_ERR_PARSE, "node '%s' (%s version %d, opset %d): required "
                            "attribute '%s' (%s) is missing", n->name, n->op_type, n->version, n->opset,
                            s->attrs[i].name, ert_attr_type_name(s->attrs[i].type));
    return ERT_OK;
}
