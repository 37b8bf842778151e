/*
 * test_attr_check.c - the importer's attribute check (src/import/attr_check.c): what it
 * refuses, what its messages say, and lenient_attributes (unknown names become warnings
 * through the callback; everything else stays an error).
 *
 * Models are built with the protobuf-c structs of onnx.proto and packed, one node each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "import/onnx_import.h"
#include "onnx.pb-c.h"

static int g_fail;

typedef struct one_attr {
    const char *name;
    int type;       /* ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__* */
    int64_t i;
    float f;
    const char *s;
} one_attr;

/* Packs a model of one node `op` (input x, output y, opset 13) with attributes a[0..n). */
static uint8_t *pack_node(const char *op, const one_attr *a, int n, size_t *size)
{
    Onnx__AttributeProto attrs[4], *ap[4];
    int64_t ints[2];
    float floats[2];
    for (int k = 0; k < n; k++) {
        onnx__attribute_proto__init(&attrs[k]);
        ap[k] = &attrs[k];
        attrs[k].name = (char *)a[k].name;
        attrs[k].has_type = 1;
        attrs[k].type = a[k].type;
        attrs[k].has_i = 1, attrs[k].i = a[k].i;
        attrs[k].has_f = 1, attrs[k].f = a[k].f;
        ints[0] = ints[1] = a[k].i;
        floats[0] = floats[1] = a[k].f;
        if (a[k].type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS)
            attrs[k].n_ints = 2, attrs[k].ints = ints;
        if (a[k].type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS)
            attrs[k].n_floats = 2, attrs[k].floats = floats;
        if (a[k].s) {
            attrs[k].has_s = 1;
            attrs[k].s.data = (uint8_t *)a[k].s;
            attrs[k].s.len = strlen(a[k].s);
        }
    }
    char *in[] = {"x"}, *out[] = {"y"};
    Onnx__NodeProto node;
    onnx__node_proto__init(&node);
    node.op_type = (char *)op, node.name = "n0";
    node.n_input = 1, node.input = in, node.n_output = 1, node.output = out;
    node.n_attribute = (size_t)n, node.attribute = ap;
    Onnx__NodeProto *np[] = {&node};
    Onnx__TypeProto__Tensor tt;
    onnx__type_proto__tensor__init(&tt);
    tt.has_elem_type = 1, tt.elem_type = 1;
    Onnx__TypeProto tp;
    onnx__type_proto__init(&tp);
    tp.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, tp.tensor_type = &tt;
    Onnx__ValueInfoProto vin, vout;
    onnx__value_info_proto__init(&vin);
    onnx__value_info_proto__init(&vout);
    vin.name = "x", vin.type = &tp, vout.name = "y";
    Onnx__ValueInfoProto *vi[] = {&vin}, *vo[] = {&vout};
    Onnx__GraphProto g;
    onnx__graph_proto__init(&g);
    g.n_node = 1, g.node = np, g.n_input = 1, g.input = vi, g.n_output = 1, g.output = vo;
    Onnx__OperatorSetIdProto opset;
    onnx__operator_set_id_proto__init(&opset);
    opset.has_version = 1, opset.version = 13;
    Onnx__OperatorSetIdProto *ops[] = {&opset};
    Onnx__ModelProto m;
    onnx__model_proto__init(&m);
    m.has_ir_version = 1, m.ir_version = 8, m.graph = &g, m.n_opset_import = 1;
    m.opset_import = ops;
    *size = onnx__model_proto__get_packed_size(&m);
    uint8_t *buf = malloc(*size);
    onnx__model_proto__pack(&m, buf);
    return buf;
}

typedef struct warnings {
    int n;
    char last[1024];
} warnings;

static void on_warn(void *user, const char *msg)
{
    warnings *w = user;
    w->n++;
    snprintf(w->last, sizeof w->last, "%s", msg);
}

/* Imports the model; expect_ok or a message containing every needle (NULL-ended). */
static void expect(const char *what, const char *op, const one_attr *a, int n, bool lenient,
                   bool expect_ok, const char *const *needles)
{
    size_t size;
    uint8_t *buf = pack_node(op, a, n, &size);
    warnings w = {0};
    ert_import_options opt = {.lenient_attributes = lenient, .warn = on_warn, .warn_user = &w};
    ert_err err = {{0}};
    ert_graph *g = NULL;
    ert_status st = ert_import_onnx_memory(buf, size, NULL, &opt, &g, &err);
    const char *text = expect_ok ? w.last : err.msg;
    int ok = (st == ERT_OK) == expect_ok;
    for (int k = 0; ok && needles[k]; k++)
        ok = strstr(text, needles[k]) != NULL;
    printf("%s %s: %s\n", ok ? "ok  " : "FAIL", what, st == ERT_OK ? (w.n ? w.last : "loaded")
                                                                    : err.msg);
    g_fail += !ok;
    ert_graph_free(g);
    free(buf);
}

enum { T_FLOAT = 1, T_INT = 2, T_STRING = 3, T_FLOATS = 6, T_INTS = 7 };

int main(void)
{
    one_attr stk = {"stkides", T_INTS, 2, 0, NULL};
    expect("misspelled attribute", "Relu", &(one_attr){"alpah", T_FLOAT, 0, 0.1f, NULL}, 1,
           false, false, (const char *[]){"node 'n0'", "Relu version 13", "opset 13", "'alpah'",
                                          "valid: none", NULL});
    expect("did you mean", "MaxPool", (one_attr[]){{"kernel_shape", T_INTS, 2, 0, NULL}, stk}, 2,
           false, false, (const char *[]){"unknown attribute 'stkides'",
                                          "did you mean 'strides'?", "kernel_shape", NULL});
    expect("lenient: unknown attribute is a warning", "MaxPool",
           (one_attr[]){{"kernel_shape", T_INTS, 2, 0, NULL}, stk}, 2, true, true,
           (const char *[]){"unknown attribute 'stkides'", "did you mean 'strides'?", NULL});
    expect("wrong type (FLOATS for INTS)", "MaxPool",
           (one_attr[]){{"kernel_shape", T_INTS, 2, 0, NULL}, {"strides", T_FLOATS, 0, 2, NULL}},
           2, true, false, (const char *[]){"'strides'", "FLOATS", "requires INTS", NULL});
    expect("missing required attribute", "MaxPool", NULL, 0, true, false,
           (const char *[]){"required attribute 'kernel_shape' (INTS) is missing", NULL});
    expect("value outside the enumeration", "MaxPool",
           (one_attr[]){{"kernel_shape", T_INTS, 2, 0, NULL},
                        {"auto_pad", T_STRING, 0, 0, "SAME"}}, 2, false, false,
           (const char *[]){"'auto_pad' is 'SAME'", "NOTSET|SAME_UPPER|SAME_LOWER|VALID", NULL});
    expect("attribute given twice", "LeakyRelu",
           (one_attr[]){{"alpha", T_FLOAT, 0, 0.1f, NULL}, {"alpha", T_FLOAT, 0, 0.2f, NULL}}, 2,
           false, false, (const char *[]){"'alpha' is given twice", NULL});
    expect("valid attributes load", "LeakyRelu", &(one_attr){"alpha", T_FLOAT, 0, 0.1f, NULL}, 1,
           false, true, (const char *[]){NULL});
    printf("%d failed\n", g_fail);
    return g_fail ? 1 : 0;
}
