/*
 * onnx_import.c - ONNX ModelProto -> ert_graph.
 *
 * Steps: unpack with protobuf-c; read opset imports; create values for graph inputs,
 * initializers (incl. sparse and external data) and declared value_info; convert nodes
 * (attributes, op lookup and version resolution); sort nodes topologically (some
 * exporters do not); mark graph outputs. Names resolve through a hash map, so import is
 * O(nodes + values) even for graphs with 10^5 nodes.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/limits.h"
#include "import/onnx_import.h"
#include "ir/edit.h"
#include "import/tensor_proto.h"
#include "onnx.pb-c.h"
#include "ops/op.h"

/* ---- name -> value index hash map (open addressing, FNV-1a) ---- */

typedef struct name_map {
    size_t cap;      /* power of two */
    size_t count;
    const char **keys;
    int *vals;
} name_map;

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int map_init(name_map *m, size_t hint)
{
    m->cap = 64;
    while (m->cap < hint * 2)
        m->cap *= 2;
    m->count = 0;
    m->keys = calloc(m->cap, sizeof(char *));
    m->vals = calloc(m->cap, sizeof(int));
    return (m->keys && m->vals) ? 0 : -1;
}

static void map_free(name_map *m)
{
    free(m->keys);
    free(m->vals);
}

static int map_get(const name_map *m, const char *key)
{
    size_t i = (size_t)fnv1a(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0)
            return m->vals[i];
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

/* key must outlive the map (we store value names owned by the graph). */
static int map_put(name_map *m, const char *key, int val)
{
    if ((m->count + 1) * 2 > m->cap) {
        name_map bigger;
        if (map_init(&bigger, m->cap) != 0)
            return -1;
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                map_put(&bigger, m->keys[i], m->vals[i]);
        map_free(m);
        *m = bigger;
    }
    size_t i = (size_t)fnv1a(key) & (m->cap - 1);
    while (m->keys[i]) {
        if (strcmp(m->keys[i], key) == 0) {
            m->vals[i] = val;
            return 0;
        }
        i = (i + 1) & (m->cap - 1);
    }
    m->keys[i] = key;
    m->vals[i] = val;
    m->count++;
    return 0;
}

/* ---- helpers ---- */

static char *dupstr(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static const char *nz(const char *s)
{
    return s ? s : "";
}

ert_status ert_read_file(const char *path, void **data, size_t *size, ert_err *err)
{
    *data = NULL;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ert_errf(err, ERT_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return ert_errf(err, ERT_ERR_IO, "cannot seek '%s': %s", path, strerror(errno));
    }
    long len = ftell(f);
    if (len < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return ert_errf(err, ERT_ERR_IO, "cannot read '%s' (is it a regular file?)", path);
    }
    void *buf = malloc(len ? (size_t)len : 1);
    if (!buf) {
        fclose(f);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory reading '%s' (%ld bytes)", path, len);
    }
    size_t got = fread(buf, 1, (size_t)len, f);
    fclose(f);
    if (got != (size_t)len) {
        free(buf);
        return ert_errf(err, ERT_ERR_IO, "short read on '%s': %zu of %ld bytes", path, got, len);
    }
    *data = buf;
    *size = (size_t)len;
    return ERT_OK;
}

/* ---- types ---- */

/* Sets t's dtype/shape from a tensor TypeProto. Symbolic dims are named in g. */
static ert_status tensor_type_desc(ert_graph *g, const Onnx__TypeProto__Tensor *tt, ert_tensor *t,
                                   bool *has_shape, const char *name, ert_err *err)
{
    if (!tt)
        return ERT_OK;
    if (tt->has_elem_type && tt->elem_type != 0)
        t->dtype = (ert_dtype)tt->elem_type;
    if (!tt->shape)
        return ERT_OK; /* rank unknown */
    if (tt->shape->n_dim > ERT_MAX_RANK)
        return ert_errf(err, ERT_ERR_UNSUPPORTED, "value '%s' has rank %zu; edgert supports up to %d",
                        name, tt->shape->n_dim, ERT_MAX_RANK);
    t->rank = (int)tt->shape->n_dim;
    for (size_t i = 0; i < tt->shape->n_dim; i++) {
        const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
        int64_t dim = ERT_DIM_UNKNOWN;
        if (d && d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE &&
            d->dim_value >= 0) {
            dim = d->dim_value;
        } else if (g && d &&
                   d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                   d->dim_param && d->dim_param[0]) {
            int s = ert_graph_symbol(g, d->dim_param);
            if (s < 0)
                return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
            dim = ERT_DIM_SYM(s);
        }
        t->dims[i] = dim;
    }
    *has_shape = true;
    return ERT_OK;
}

static const char *type_case_name(const Onnx__TypeProto *tp)
{
    switch (tp->value_case) {
    case ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE: return "tensor";
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: return "sequence";
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE: return "map";
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE: return "optional";
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: return "sparse tensor";
    default: return "unknown";
    }
}

/* Sets t's kind, optional marker, dtype and (for tensors, and the elements of a
 * sequence) shape from a TypeProto. Supported: tensor, seq(tensor), optional(tensor),
 * optional(seq(tensor)); everything else (maps, sparse, nested sequences) is refused. */
ert_status ert_import_type_desc(ert_graph *g, const Onnx__TypeProto *tp, ert_tensor *t,
                                bool *has_shape, const char *name, ert_err *err)
{
    if (!tp || tp->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
        return ERT_OK;
    const Onnx__TypeProto *inner = tp;
    if (tp->value_case == ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE) {
        t->is_optional = true;
        inner = tp->optional_type ? tp->optional_type->elem_type : NULL;
        if (!inner || inner->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
            return ERT_OK;
    }
    if (inner->value_case == ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE) {
        t->kind = ERT_TENSOR_SEQUENCE;
        const Onnx__TypeProto *e = inner->sequence_type ? inner->sequence_type->elem_type : NULL;
        if (!e || e->value_case == ONNX__TYPE_PROTO__VALUE__NOT_SET)
            return ERT_OK;
        if (e->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
            return ert_errf(err, ERT_ERR_UNSUPPORTED, "value '%s' is a sequence of %s values: "
                            "edgert supports sequences of tensors only", name,
                            type_case_name(e));
        bool shape = false; /* an element shape is a hint, never the value's own */
        return tensor_type_desc(g, e->tensor_type, t, &shape, name, err);
    }
    if (inner->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE)
        return ert_errf(err, ERT_ERR_UNSUPPORTED, "value '%s' has %s%s type: edgert supports "
                        "tensors, sequences of tensors and optionals of those only", name,
                        t->is_optional ? "optional " : "", type_case_name(inner));
    return tensor_type_desc(g, inner->tensor_type, t, has_shape, name, err);
}

/* Sets v's declared kind/dtype/shape from a ValueInfoProto. Symbolic dims are named in
 * g, the root graph (subgraphs share the model's one symbol table). */
static ert_status apply_value_info(ert_graph *g, ert_value *v, const Onnx__ValueInfoProto *vi,
                                   ert_err *err)
{
    bool has_shape = false;
    ert_status st = ert_import_type_desc(g, vi->type, &v->t, &has_shape, v->name, err);
    if (has_shape)
        v->shape_from_model = true;
    return st;
}

/* ---- attributes ---- */

static ert_status convert_attr(const Onnx__AttributeProto *ap, ert_attr *a, const char *base_dir,
                               const char *node_name, ert_err *err)
{
    memset(a, 0, sizeof *a);
    a->name = dupstr(ap->name);
    if (!a->name)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    a->type = ap->has_type ? (ert_attr_type)ap->type : ERT_ATTR_UNDEFINED;
    if (ap->ref_attr_name && ap->ref_attr_name[0])
        return ert_errf(err, ERT_ERR_UNSUPPORTED,
                        "node '%s': attribute '%s' refers to a function attribute '%s'; only "
                        "function bodies may do that", node_name, nz(ap->name), ap->ref_attr_name);
    /* Old models may omit 'type': infer it from the field that is set. */
    if (a->type == ERT_ATTR_UNDEFINED) {
        if (ap->n_floats) a->type = ERT_ATTR_FLOATS;
        else if (ap->n_ints) a->type = ERT_ATTR_INTS;
        else if (ap->n_strings) a->type = ERT_ATTR_STRINGS;
        else if (ap->t) a->type = ERT_ATTR_TENSOR;
        else if (ap->g) a->type = ERT_ATTR_GRAPH;
        else if (ap->has_s) a->type = ERT_ATTR_STRING;
        else if (ap->has_i) a->type = ERT_ATTR_INT;
        else if (ap->has_f) a->type = ERT_ATTR_FLOAT;
    }
    a->f = ap->f;
    a->i = ap->i;
    /* Keep i and f in agreement whatever the declared type, so a kernel that reads
     * attr->i directly and one that calls ert_attr_int see the same value even for a
     * mistyped attribute (a float 'axis' once made Concat's infer and run disagree). */
    if (a->type == ERT_ATTR_FLOAT) {
        if (!(a->f == a->f))
            a->i = 0;
        else if (a->f >= 9.2e18f)
            a->i = INT64_MAX;
        else if (a->f <= -9.2e18f)
            a->i = INT64_MIN;
        else
            a->i = (int64_t)a->f;
    } else if (a->type == ERT_ATTR_INT) {
        a->f = (float)a->i;
    }
    switch (a->type) {
    case ERT_ATTR_STRING:
        a->s = malloc(ap->s.len + 1);
        if (!a->s)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        if (ap->s.len)
            memcpy(a->s, ap->s.data, ap->s.len);
        a->s[ap->s.len] = '\0';
        a->s_len = ap->s.len;
        break;
    case ERT_ATTR_FLOATS:
        a->n = (int64_t)ap->n_floats;
        a->floats = malloc(sizeof(float) * (ap->n_floats ? ap->n_floats : 1));
        if (!a->floats)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        if (ap->n_floats)
            memcpy(a->floats, ap->floats, sizeof(float) * ap->n_floats);
        break;
    case ERT_ATTR_INTS:
        a->n = (int64_t)ap->n_ints;
        a->ints = malloc(sizeof(int64_t) * (ap->n_ints ? ap->n_ints : 1));
        if (!a->ints)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        if (ap->n_ints)
            memcpy(a->ints, ap->ints, sizeof(int64_t) * ap->n_ints);
        break;
    case ERT_ATTR_STRINGS:
        a->n = (int64_t)ap->n_strings;
        a->strings = calloc(ap->n_strings ? ap->n_strings : 1, sizeof(char *));
        if (!a->strings)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        for (size_t i = 0; i < ap->n_strings; i++) {
            a->strings[i] = malloc(ap->strings[i].len + 1);
            if (!a->strings[i])
                return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
            if (ap->strings[i].len)
                memcpy(a->strings[i], ap->strings[i].data, ap->strings[i].len);
            a->strings[i][ap->strings[i].len] = '\0';
        }
        break;
    case ERT_ATTR_TENSOR: {
        if (!ap->t)
            return ert_errf(err, ERT_ERR_PARSE, "node '%s': tensor attribute '%s' has no tensor",
                            node_name, a->name);
        a->t = calloc(1, sizeof(ert_tensor));
        if (!a->t)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        ert_status s = ert_tensor_from_proto(ap->t, base_dir, a->t, err);
        if (s != ERT_OK) {
            ert_err_prefix(err, "node '%s' attribute '%s': ", node_name, a->name);
            return s;
        }
        break;
    }
    case ERT_ATTR_SPARSE_TENSOR: {
        if (!ap->sparse_tensor)
            return ert_errf(err, ERT_ERR_PARSE, "node '%s': attribute '%s' has no sparse tensor",
                            node_name, a->name);
        a->t = calloc(1, sizeof(ert_tensor));
        if (!a->t)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        ert_status s = ert_tensor_from_sparse_proto(ap->sparse_tensor, base_dir, a->t, err);
        if (s != ERT_OK) {
            ert_err_prefix(err, "node '%s' attribute '%s': ", node_name, a->name);
            return s;
        }
        break;
    }
    case ERT_ATTR_TYPE_PROTO: {
        /* a->t describes the type (kind, optional marker, dtype; no data): Optional's
         * 'type' attribute */
        a->t = calloc(1, sizeof(ert_tensor));
        if (!a->t)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        a->t->rank = -1;
        bool shape = false;
        ert_status s = ert_import_type_desc(NULL, ap->tp, a->t, &shape, a->name, err);
        if (s != ERT_OK) {
            ert_err_prefix(err, "node '%s' attribute '%s': ", node_name, a->name);
            return s;
        }
        break;
    }
    default:
        /* graphs are imported later, by import_subgraphs (their outer-scope names must
         * all exist first); a list of type protos stays a typed marker. */
        break;
    }
    return ERT_OK;
}

/* ---- opsets ---- */

static int opset_for(const Onnx__ModelProto *mp, const char *domain)
{
    int onnx = (domain[0] == '\0' || strcmp(domain, "ai.onnx") == 0);
    for (size_t i = 0; i < mp->n_opset_import; i++) {
        const Onnx__OperatorSetIdProto *o = mp->opset_import[i];
        const char *d = nz(o->domain);
        int o_onnx = (d[0] == '\0' || strcmp(d, "ai.onnx") == 0);
        if ((onnx && o_onnx) || (!onnx && strcmp(d, domain) == 0))
            return o->has_version ? (int)o->version : 1;
    }
    /* IR version < 3 models have no opset_import: they are opset 1. */
    return (onnx && mp->n_opset_import == 0) ? 1 : -1;
}

/* Picks the schema version in effect for opset `opset`; 0 if none applies. */
static int resolve_version(const ert_op_def *op, int opset)
{
    int best = 0;
    for (int i = 0; i < ERT_OP_MAX_VERSIONS && op->versions[i]; i++)
        if (op->versions[i] <= opset)
            best = op->versions[i];
    return best;
}

/* ---- nodes ---- */

static ert_status convert_node(ert_graph *g, const Onnx__ModelProto *mp, const Onnx__NodeProto *np,
                               int index, name_map *names, const ert_import_options *opt,
                               ert_err *err)
{
    int ni = ert_graph_add_node(g);
    if (ni < 0)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    ert_node *n = &g->nodes[ni];
    char fallback[160];
    snprintf(fallback, sizeof fallback, "%s_%d", np->op_type ? np->op_type : "node", index);
    n->name = dupstr(np->name && np->name[0] ? np->name : fallback);
    n->op_type = dupstr(np->op_type);
    n->domain = dupstr(np->domain);
    if (!n->name || !n->op_type || !n->domain)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    if (!np->op_type || !np->op_type[0])
        return ert_errf(err, ERT_ERR_PARSE, "node %d ('%s') has no op_type", index, n->name);
    const char *dom = n->domain;
    n->opset = opset_for(mp, dom);
    n->backend = ERT_BACKEND_CPU_REF;
    n->kernel = 0;

    const ert_op_def *op = ert_op_find(dom, n->op_type);
    const char *dom_name = dom[0] ? dom : "ai.onnx";
    if (n->opset < 0) {
        if (!opt || !opt->allow_unsupported)
            return ert_errf(err, ERT_ERR_PARSE,
                            "node '%s' (%s) uses domain '%s' which the model does not import "
                            "(no opset_import entry)", n->name, n->op_type, dom_name);
    } else if (!op) {
        if (!opt || !opt->allow_unsupported)
            return ert_errf(err, ERT_ERR_UNSUPPORTED,
                            "unsupported op '%s' (domain '%s', opset %d) at node '%s': edgert has "
                            "no kernel for it; run 'edgert inspect' to list every unsupported node",
                            n->op_type, dom_name, n->opset, n->name);
    } else if (dom[0] == '\0' && n->opset > ERT_MAX_ONNX_OPSET) {
        if (!opt || !opt->allow_unsupported)
            return ert_errf(err, ERT_ERR_UNSUPPORTED,
                            "node '%s' (%s): model imports ai.onnx opset %d, newer than the newest "
                            "edgert knows (%d); re-export the model at opset <= %d",
                            n->name, n->op_type, n->opset, ERT_MAX_ONNX_OPSET, ERT_MAX_ONNX_OPSET);
    } else {
        int v = resolve_version(op, n->opset);
        if (v == 0) {
            if (!opt || !opt->allow_unsupported)
                return ert_errf(err, ERT_ERR_UNSUPPORTED,
                                "unsupported op version: '%s' (domain '%s') at opset %d in node "
                                "'%s'; edgert implements versions from %d on: re-export the model "
                                "with a newer opset", n->op_type, dom_name, n->opset, n->name,
                                op->versions[0]);
        } else {
            n->op = op;
            n->version = v;
        }
    }

    if (n->op && !(n->op->flags & ERT_OPF_OPTIONAL_OUTPUTS) &&
        (np->n_output == 0 || !np->output[0] || !np->output[0][0]))
        return ert_errf(err, ERT_ERR_PARSE, "node '%s' (%s) has no first output; every %s node "
                        "must name its output 0", n->name, n->op_type, n->op_type);

    /* attributes */
    if (np->n_attribute) {
        n->attrs = calloc(np->n_attribute, sizeof(ert_attr));
        if (!n->attrs)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        for (size_t i = 0; i < np->n_attribute; i++) {
            n->n_attrs = (int)i + 1;
            ert_status s = convert_attr(np->attribute[i], &n->attrs[i], g->base_dir, n->name, err);
            if (s != ERT_OK)
                return s;
        }
    }
    ert_status ast = ert_import_check_attrs(n, opt, err);
    if (ast != ERT_OK)
        return ast;

    /* inputs: resolved later (after all outputs exist) - store -2 - name position for now */
    n->n_inputs = (int)np->n_input;
    n->inputs = malloc(sizeof(int) * (np->n_input ? np->n_input : 1));
    n->n_outputs = (int)np->n_output;
    n->outputs = malloc(sizeof(int) * (np->n_output ? np->n_output : 1));
    if (!n->inputs || !n->outputs)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < np->n_output; i++) {
        const char *oname = nz(np->output[i]);
        if (!oname[0]) {
            n->outputs[i] = -1;
            continue;
        }
        int existing = map_get(names, oname);
        if (existing >= 0) {
            ert_value *ev = &g->values[existing];
            if (ev->kind != ERT_VALUE_INTERMEDIATE || ev->producer >= 0)
                return ert_errf(err, ERT_ERR_PARSE,
                                "node '%s' output '%s' is already defined (by %s); an ONNX graph "
                                "must assign each name once", n->name, oname,
                                ev->kind == ERT_VALUE_INPUT ? "a graph input"
                                : ev->kind == ERT_VALUE_CONST ? "an initializer"
                                                              : "another node");
            ev->producer = ni;
            n->outputs[i] = existing;
            continue;
        }
        int vi = ert_graph_add_value(g, oname);
        if (vi < 0 || map_put(names, g->values[vi].name, vi) != 0)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        g->values[vi].producer = ni;
        n->outputs[i] = vi;
    }
    return ERT_OK;
}

/* ---- scopes and subgraphs ---- */

/* One graph being imported and the scopes around it (If branches, Loop/Scan bodies
 * nest). A name a subgraph uses but does not define is an outer-scope capture. */
typedef struct scope {
    ert_graph *g;
    name_map *names;
    struct scope *parent;   /* NULL: the model's main graph */
    ert_graph *root;        /* main graph: owns the symbol table */
    int depth;              /* 0 for the main graph */
} scope;

/* Nesting limit for subgraphs: import, inference and execution recurse once per level,
 * so a hostile model must not be able to exhaust the stack. Real models nest 1-3 deep. */
#define MAX_SUBGRAPH_DEPTH 32

/* Value index of `name` in s. In a subgraph an unknown name is looked up in the
 * enclosing scopes (which may capture it in turn) and becomes a capture of s->g: a value
 * of kind INPUT with the outer value's dtype and shape. Until the owning node attaches
 * the captures (attach_captures), capture_slots[i] holds the outer value index.
 * Returns -1 if no scope defines the name, -2 on allocation failure. */
static int resolve_name(scope *s, const char *name)
{
    int v = map_get(s->names, name);
    if (v >= 0 || !s->parent)
        return v;
    int outer = resolve_name(s->parent, name);
    if (outer < 0)
        return outer;
    ert_graph *g = s->g;
    int *caps = realloc(g->captures, sizeof(int) * (size_t)(g->n_captures + 1));
    if (!caps)
        return -2;
    g->captures = caps;
    int *slots = realloc(g->capture_slots, sizeof(int) * (size_t)(g->n_captures + 1));
    if (!slots)
        return -2;
    g->capture_slots = slots;
    int vi = ert_graph_add_value(g, name);
    if (vi < 0 || map_put(s->names, g->values[vi].name, vi) != 0)
        return -2;
    const ert_tensor *ot = &s->parent->g->values[outer].t;
    ert_value *cv = &g->values[vi];
    cv->kind = ERT_VALUE_INPUT;
    cv->t.dtype = ot->dtype;
    if (ot->rank >= 0)
        ert_tensor_set_shape(&cv->t, ot->rank, ot->dims);
    g->captures[g->n_captures] = vi;
    g->capture_slots[g->n_captures] = outer;
    g->n_captures++;
    return vi;
}

/* Appends the captures of subgraph sg to node n of graph g as implicit inputs (once per
 * outer value, shared by the node's branches) and points sg->capture_slots at them. */
static ert_status attach_captures(ert_graph *g, ert_node *n, ert_graph *sg, ert_err *err)
{
    for (int i = 0; i < sg->n_captures; i++) {
        int outer = sg->capture_slots[i];
        int slot = -1;
        for (int j = n->n_inputs - n->n_captures; j < n->n_inputs; j++)
            if (n->inputs[j] == outer)
                slot = j;
        if (slot < 0) {
            if (n->n_inputs >= INT_MAX / 2)
                return ert_errf(err, ERT_ERR_UNSUPPORTED, "node '%s' captures too many values",
                                n->name);
            int *in = realloc(n->inputs, sizeof(int) * (size_t)(n->n_inputs + 1));
            if (!in)
                return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
            n->inputs = in;
            slot = n->n_inputs++;
            n->n_captures++;
            n->inputs[slot] = outer;
            g->values[outer].n_consumers++;
        }
        sg->capture_slots[i] = slot;
    }
    return ERT_OK;
}

static ert_status import_graph(const Onnx__ModelProto *mp, const Onnx__GraphProto *gp,
                               scope *sc, const ert_import_options *opt, ert_err *err);

/* Imports the graph attributes of node n (ONNX node np) of scope sc as subgraphs. */
static ert_status import_subgraphs(const Onnx__ModelProto *mp, const Onnx__NodeProto *np,
                                   ert_node *n, scope *sc, const ert_import_options *opt,
                                   ert_err *err)
{
    for (int a = 0; a < n->n_attrs && (size_t)a < np->n_attribute; a++) {
        ert_attr *at = &n->attrs[a];
        const Onnx__AttributeProto *ap = np->attribute[a];
        if (at->type == ERT_ATTR_GRAPHS)
            return ert_errf(err, ERT_ERR_UNSUPPORTED, "node '%s' (%s): attribute '%s' is a list "
                            "of graphs, which edgert does not support", n->name, n->op_type,
                            at->name);
        if (at->type != ERT_ATTR_GRAPH)
            continue;
        if (sc->depth >= MAX_SUBGRAPH_DEPTH)
            return ert_errf(err, ERT_ERR_UNSUPPORTED, "node '%s' (%s): subgraphs nest deeper than "
                            "%d levels", n->name, n->op_type, MAX_SUBGRAPH_DEPTH);
        if (!ap->g)
            return ert_errf(err, ERT_ERR_PARSE, "node '%s' (%s): graph attribute '%s' has no "
                            "graph", n->name, n->op_type, at->name);
        ert_graph *sg = ert_graph_new();
        if (!sg)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        at->g = sg;
        sg->is_subgraph = true;
        sg->ir_version = sc->g->ir_version;
        sg->opset_onnx = sc->g->opset_onnx;
        sg->opset_ml = sc->g->opset_ml;
        if (sc->g->base_dir && !(sg->base_dir = dupstr(sc->g->base_dir)))
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        name_map names;
        size_t hint = ap->g->n_input + ap->g->n_initializer + ap->g->n_node * 2 + 16;
        if (map_init(&names, hint) != 0) {
            map_free(&names);
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        }
        scope inner = {.g = sg, .names = &names, .parent = sc, .root = sc->root,
                       .depth = sc->depth + 1};
        ert_status st = import_graph(mp, ap->g, &inner, opt, err);
        map_free(&names);
        if (st != ERT_OK) {
            ert_err_prefix(err, "in subgraph '%s' of node '%s' (%s): ", at->name, n->name,
                           n->op_type);
            return st;
        }
        st = attach_captures(sc->g, n, sg, err);
        if (st != ERT_OK)
            return st;
    }
    return ERT_OK;
}

/* Imports GraphProto gp into sc->g: the main graph or (sc->parent != NULL) a subgraph,
 * whose inputs may lack a type and whose names may refer to enclosing scopes. */
static ert_status import_graph(const Onnx__ModelProto *mp, const Onnx__GraphProto *gp,
                               scope *sc, const ert_import_options *opt, ert_err *err)
{
    ert_graph *g = sc->g;
    name_map *names = sc->names;
    bool sub = sc->parent != NULL;
    ert_status st = ERT_OK;

    /* initializers (dense, then sparse) */
    for (size_t i = 0; i < gp->n_initializer + gp->n_sparse_initializer; i++) {
        const Onnx__TensorProto *tp = NULL;
        const Onnx__SparseTensorProto *sp = NULL;
        const char *name;
        if (i < gp->n_initializer) {
            tp = gp->initializer[i];
            name = nz(tp->name);
        } else {
            sp = gp->sparse_initializer[i - gp->n_initializer];
            name = sp->values ? nz(sp->values->name) : "";
        }
        if (!name[0])
            return ert_errf(err, ERT_ERR_PARSE, "initializer #%zu has no name", i);
        if (map_get(names, name) >= 0)
            return ert_errf(err, ERT_ERR_PARSE, "initializer '%s' is defined twice", name);
        int vi = ert_graph_add_value(g, name);
        if (vi < 0 || map_put(names, g->values[vi].name, vi) != 0)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        ert_value *v = &g->values[vi];
        v->kind = ERT_VALUE_CONST;
        st = tp ? ert_tensor_from_proto(tp, g->base_dir, &v->t, err)
                : ert_tensor_from_sparse_proto(sp, g->base_dir, &v->t, err);
        if (st != ERT_OK) {
            ert_err_prefix(err, "initializer '%s': ", name);
            return st;
        }
    }

    /* graph inputs (those that are also initializers stay constants: old exporters list
     * every weight as an input) */
    g->inputs = malloc(sizeof(int) * (gp->n_input ? gp->n_input : 1));
    if (!g->inputs)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < gp->n_input; i++) {
        const Onnx__ValueInfoProto *vi = gp->input[i];
        const char *name = nz(vi->name);
        if (!name[0])
            return ert_errf(err, ERT_ERR_PARSE, "graph input #%zu has no name", i);
        int existing = map_get(names, name);
        if (existing >= 0) {
            if (g->values[existing].kind == ERT_VALUE_CONST && !sub)
                continue;
            return ert_errf(err, ERT_ERR_PARSE, "graph input '%s' is listed twice%s", name,
                            sub ? " (or is also an initializer of the subgraph)" : "");
        }
        int idx = ert_graph_add_value(g, name);
        if (idx < 0 || map_put(names, g->values[idx].name, idx) != 0)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        ert_value *v = &g->values[idx];
        v->kind = ERT_VALUE_INPUT;
        st = apply_value_info(sc->root, v, vi, err);
        if (st != ERT_OK)
            return st;
        /* a subgraph's formal inputs may leave the type to the op (the Loop body's
         * carried values take the type of the node's inputs) */
        if (v->t.dtype == ERT_DTYPE_UNDEFINED && !sub)
            return ert_errf(err, ERT_ERR_PARSE, "graph input '%s' has no element type", name);
        if (v->t.dtype != ERT_DTYPE_UNDEFINED && ert_dtype_size_(v->t.dtype) == 0)
            return ert_errf(err, ERT_ERR_UNSUPPORTED, "graph input '%s' has dtype %d (%s), which "
                            "edgert does not support", name, (int)v->t.dtype,
                            ert_dtype_name(v->t.dtype));
        g->inputs[g->n_inputs++] = idx;
    }

    /* nodes: create outputs first, inputs resolved below */
    size_t first = (size_t)g->n_nodes;
    for (size_t i = 0; i < gp->n_node; i++) {
        st = convert_node(g, mp, gp->node[i], (int)i, names, opt, err);
        if (st != ERT_OK)
            return st;
    }
    /* inputs, then subgraphs: every name of this graph exists now, so a subgraph can
     * capture any of them whatever the node order */
    for (size_t i = 0; i < gp->n_node; i++) {
        const Onnx__NodeProto *np = gp->node[i];
        ert_node *n = &g->nodes[first + i];
        for (size_t j = 0; j < np->n_input; j++) {
            const char *in = nz(np->input[j]);
            if (!in[0]) {
                n->inputs[j] = -1;
                continue;
            }
            int v = resolve_name(sc, in);
            if (v == -2)
                return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
            if (v < 0)
                return ert_errf(err, ERT_ERR_PARSE,
                                "node '%s' (%s) input %zu '%s' is not a graph input, an "
                                "initializer or any node's output%s", n->name, n->op_type, j, in,
                                sub ? " in this or an enclosing graph" : "");
            n->inputs[j] = v;
            g->values[v].n_consumers++;
        }
        st = import_subgraphs(mp, np, n, sc, opt, err);
        if (st != ERT_OK)
            return st;
    }

    /* declared types of intermediate values and outputs */
    for (size_t i = 0; i < gp->n_value_info + gp->n_output; i++) {
        const Onnx__ValueInfoProto *vi =
            i < gp->n_value_info ? gp->value_info[i] : gp->output[i - gp->n_value_info];
        int v = map_get(names, nz(vi->name));
        if (v < 0 || g->values[v].kind != ERT_VALUE_INTERMEDIATE)
            continue;
        st = apply_value_info(sc->root, &g->values[v], vi, err);
        if (st != ERT_OK)
            return st;
    }

    g->outputs = malloc(sizeof(int) * (gp->n_output ? gp->n_output : 1));
    if (!g->outputs)
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    for (size_t i = 0; i < gp->n_output; i++) {
        const char *name = nz(gp->output[i]->name);
        int v = resolve_name(sc, name);
        if (v == -2)
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        if (v < 0)
            return ert_errf(err, ERT_ERR_PARSE, "graph output '%s' is not produced by any node, "
                            "input or initializer", name);
        g->values[v].is_output = true;
        g->outputs[g->n_outputs++] = v;
    }
    if (g->n_outputs == 0)
        return ert_errf(err, ERT_ERR_PARSE, "the graph has no outputs");
    return ert_graph_topo_sort(g, err); /* ir/edit.c: shared with the passes */
}

static ert_status import_model(const Onnx__ModelProto *mp, ert_graph *g,
                               const ert_import_options *opt, ert_err *err)
{
    const Onnx__GraphProto *gp = mp->graph;
    if (!gp)
        return ert_errf(err, ERT_ERR_PARSE, "the model has no graph (is this an ONNX model file?)");
    g->ir_version = mp->has_ir_version ? (int)mp->ir_version : 0;
    g->opset_onnx = opset_for(mp, "");
    g->opset_ml = opset_for(mp, "ai.onnx.ml");
    if (g->opset_ml < 0)
        g->opset_ml = 0;
    {
        char prod[256];
        snprintf(prod, sizeof prod, "%s %s", nz(mp->producer_name), nz(mp->producer_version));
        g->producer = dupstr(prod);
    }
    for (size_t i = 0; i < mp->n_functions; i++) {
        const Onnx__FunctionProto *fp = mp->functions[i];
        (void)fp; /* nodes using them are refused as unknown ops (message names the op) */
    }

    name_map names;
    size_t hint = gp->n_input + gp->n_initializer + gp->n_node * 2 + 16;
    if (map_init(&names, hint) != 0) {
        map_free(&names);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    }
    scope sc = {.g = g, .names = &names, .parent = NULL, .root = g};
    ert_status st = import_graph(mp, gp, &sc, opt, err);
    map_free(&names);
    return st;
}

/* protobuf-c allocates through these rather than its own malloc, so the allocation-
 * failure test (tests/fault, which wraps malloc in the edgert objects only) reaches the
 * parser's allocations too. */
static void *pb_alloc(void *user, size_t n)
{
    (void)user;
    return malloc(n);
}

static void pb_free(void *user, void *p)
{
    (void)user;
    free(p);
}

ert_status ert_import_onnx_memory(const void *data, size_t size, const char *base_dir,
                                  const ert_import_options *opt, ert_graph **out, ert_err *err)
{
    *out = NULL;
    if (!data || size == 0)
        return ert_errf(err, ERT_ERR_PARSE, "the model is empty (0 bytes)");
    ert_status scan = ert_wire_scan_model(data, size, err);
    if (scan != ERT_OK)
        return scan;
    ProtobufCAllocator pb = {.alloc = pb_alloc, .free = pb_free, .allocator_data = NULL};
    Onnx__ModelProto *mp = onnx__model_proto__unpack(&pb, size, data);
    if (!mp)
        return ert_errf(err, ERT_ERR_PARSE,
                        "not a valid ONNX model: protobuf parsing failed (%zu bytes; the file is "
                        "truncated, corrupt or not an .onnx file)", size);
    ert_graph *g = ert_graph_new();
    if (!g) {
        onnx__model_proto__free_unpacked(mp, &pb);
        return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
    }
    if (base_dir) {
        g->base_dir = dupstr(base_dir);
        if (!g->base_dir) {
            ert_graph_free(g);
            onnx__model_proto__free_unpacked(mp, &pb);
            return ert_errf(err, ERT_ERR_NO_MEMORY, "out of memory");
        }
    }
    ert_status st = import_model(mp, g, opt, err);
    onnx__model_proto__free_unpacked(mp, &pb);
    if (st != ERT_OK) {
        ert_graph_free(g);
        return st;
    }
    *out = g;
    return ERT_OK;
}

ert_status ert_import_onnx_file(const char *path, const ert_import_options *opt, ert_graph **out,
                                ert_err *err)
{
    void *buf;
    size_t size;
    *out = NULL;
    ert_status st = ert_read_file(path, &buf, &size, err);
    if (st != ERT_OK)
        return st;
    /* base dir = folder of the file */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *(slash == dir ? slash + 1 : slash) = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    st = ert_import_onnx_memory(buf, size, dir, opt, out, err);
    free(buf);
    if (st != ERT_OK)
        ert_err_prefix(err, "%s: ", path);
    return st;
}
