#!/usr/bin/python3
"""Writes src/ops/attr_schema.def: the attributes of every op/version of src/ops/ops.def.

    /usr/bin/python3 scripts/gen_attr_schema.py > src/ops/attr_schema.def

Versions up to opset 17 come from Debian's python3-onnx (1.12: onnx.defs.get_schema);
later versions, the experimental ops ONNX dropped at opset 10 and edgert's own ops are
written out below from the operator spec (docs/Operators.md of the ONNX release that
added them). onnx.defs carries no enumerations, so the allowed values of STRING
attributes (ENUMS) are also taken from the spec text. tests/ops/test_attr_schema.py
compares the result with onnx.defs; tests/test_registry.c checks that every ops.def
op/version has an entry. Run this again after adding an op to ops.def (and add the
op's attributes below when onnx.defs does not know it).
"""
import re
import sys

import onnx.defs as defs

OPS_DEF = "src/ops/ops.def"
ONNX_MAX = 17  # newest opset Debian's onnx 1.12 knows

AUTO_PAD = "NOTSET|SAME_UPPER|SAME_LOWER|VALID"
ACTS = ("Relu|Tanh|Sigmoid|Affine|LeakyRelu|ThresholdedRelu|ScaledTanh|HardSigmoid|Elu|"
        "Softsign|Softplus")
# tf_half_pixel_for_nearest: the older spelling, written by exporters and accepted by ONNX
# Runtime; resize.c reads both.
CTM = "half_pixel|pytorch_half_pixel|align_corners|asymmetric|tf_half_pixel_for_nn|tf_half_pixel_for_nearest|tf_crop_and_resize"
RED5 = "none|add|mul|max|min"
# (op, attribute, first version or 0 for all) -> allowed values, '|'-separated
ENUMS = {
    ("*", "auto_pad", 0): AUTO_PAD,
    ("Pad", "mode", 0): "constant|reflect|edge",
    ("Pad", "mode", 19): "constant|reflect|edge|wrap",
    ("Resize", "mode", 0): "nearest|linear|cubic",
    ("Resize", "mode", 10): "nearest|linear",
    ("Resize", "mode", 11): "nearest|linear|cubic",
    ("Resize", "coordinate_transformation_mode", 0): CTM,
    ("Resize", "coordinate_transformation_mode", 19): CTM + "|half_pixel_symmetric",
    ("Resize", "nearest_mode", 0): "round_prefer_floor|round_prefer_ceil|floor|ceil",
    ("Resize", "keep_aspect_ratio_policy", 0): "stretch|not_larger|not_smaller",
    ("Upsample", "mode", 0): "nearest|linear|bilinear",
    ("GridSample", "mode", 16): "bilinear|nearest|bicubic",
    ("GridSample", "mode", 20): "linear|nearest|cubic",
    ("GridSample", "padding_mode", 0): "zeros|border|reflection",
    ("RoiAlign", "mode", 0): "avg|max",
    ("RoiAlign", "coordinate_transformation_mode", 0): "half_pixel|output_half_pixel",
    ("LSTM", "direction", 0): "forward|reverse|bidirectional",
    ("GRU", "direction", 0): "forward|reverse|bidirectional",
    ("RNN", "direction", 0): "forward|reverse|bidirectional",
    ("LSTM", "activations", 0): ACTS,
    ("GRU", "activations", 0): ACTS,
    ("RNN", "activations", 0): ACTS,
    ("ScatterND", "reduction", 16): "none|add|mul",
    ("ScatterND", "reduction", 18): RED5,
    ("ScatterElements", "reduction", 16): "none|add|mul",
    ("ScatterElements", "reduction", 18): RED5,
    ("NegativeLogLikelihoodLoss", "reduction", 0): "none|sum|mean",
    ("SoftmaxCrossEntropyLoss", "reduction", 0): "none|sum|mean",
    ("Gelu", "approximate", 0): "none|tanh",
    ("DepthToSpace", "mode", 0): "DCR|CRD",
    ("BitShift", "direction", 0): "LEFT|RIGHT",
    ("TensorScatter", "mode", 0): "linear|circular",
    ("Cast", "round_mode", 0): "up|down|nearest",
    ("CastLike", "round_mode", 0): "up|down|nearest",
    ("LinearAttention", "update_rule", 0): "linear|gated|delta|gated_delta",
    ("CausalConvWithState", "activation", 0): "none|silu|swish",
    ("FusedConv", "activation", 0): "Relu|Clip|LeakyRelu|Sigmoid|Silu|HardSigmoid|HardSwish|Gelu|GeluTanh|Tanh|Elu|PRelu",
}

# Attributes of op versions onnx 1.12 does not know: (name, type, required, default).
O, R = False, True
POOL = [("auto_pad", "STRING", O, "NOTSET"), ("ceil_mode", "INT", O, "0"),
        ("dilations", "INTS", O, None), ("kernel_shape", "INTS", R, None),
        ("pads", "INTS", O, None), ("strides", "INTS", O, None)]
REDUCE18 = [("keepdims", "INT", O, "1"), ("noop_with_empty_axes", "INT", O, "0")]
RESIZE18 = [("antialias", "INT", O, "0"), ("axes", "INTS", O, None),
            ("coordinate_transformation_mode", "STRING", O, "half_pixel"),
            ("cubic_coeff_a", "FLOAT", O, "-0.75"), ("exclude_outside", "INT", O, "0"),
            ("extrapolation_value", "FLOAT", O, "0"),
            ("keep_aspect_ratio_policy", "STRING", O, "stretch"),
            ("mode", "STRING", O, "nearest"), ("nearest_mode", "STRING", O, "round_prefer_floor")]
PAD18 = [("mode", "STRING", O, "constant")]
CAST19 = [("saturate", "INT", O, "1"), ("to", "INT", R, None)]
QUANT21 = [("axis", "INT", O, "1"), ("block_size", "INT", O, "0"), ("output_dtype", "INT", O, "0"),
           ("saturate", "INT", O, "1")]
DEQUANT21 = [("axis", "INT", O, "1"), ("block_size", "INT", O, "0")]
ATTN23 = [("is_causal", "INT", O, "0"), ("kv_num_heads", "INT", O, None),
          ("q_num_heads", "INT", O, None), ("qk_matmul_output_mode", "INT", O, "0"),
          ("scale", "FLOAT", O, None), ("softcap", "FLOAT", O, "0"),
          ("softmax_precision", "INT", O, None)]
CONV11 = [("auto_pad", "STRING", O, "NOTSET"), ("dilations", "INTS", O, None),
          ("group", "INT", O, "1"), ("kernel_shape", "INTS", O, None), ("pads", "INTS", O, None),
          ("strides", "INTS", O, None)]
HAND = {
    ("", "ThresholdedRelu", 1): [("alpha", "FLOAT", O, "1")],
    ("", "Gelu", 20): [("approximate", "STRING", O, "none")],
    ("", "Mish", 18): [],
    ("", "Swish", 24): [("alpha", "FLOAT", O, "1")],
    ("", "BitwiseNot", 18): [], ("", "BitwiseAnd", 18): [], ("", "BitwiseOr", 18): [],
    ("", "BitwiseXor", 18): [],
    ("", "SwiGLU", 28): [("alpha", "FLOAT", O, "1")],
    ("", "Equal", 19): [],
    ("", "DeformConv", 19): [("dilations", "INTS", O, None), ("group", "INT", O, "1"),
                             ("kernel_shape", "INTS", O, None), ("offset_group", "INT", O, "1"),
                             ("pads", "INTS", O, None), ("strides", "INTS", O, None)],
    ("", "AveragePool", 19): POOL + [("count_include_pad", "INT", O, "0")],
    ("", "LpPool", 18): POOL + [("p", "INT", O, "2")],
    ("", "RMSNormalization", 23): [("axis", "INT", O, "-1"), ("epsilon", "FLOAT", O, "1e-05"),
                                   ("stash_type", "INT", O, "1")],
    ("", "GroupNormalization", 18): [("epsilon", "FLOAT", O, "1e-05"),
                                     ("num_groups", "INT", R, None)],
    ("", "GroupNormalization", 21): [("epsilon", "FLOAT", O, "1e-05"),
                                     ("num_groups", "INT", R, None),
                                     ("stash_type", "INT", O, "1")],
    ("", "Split", 18): [("axis", "INT", O, "0"), ("num_outputs", "INT", O, None)],
    ("", "Reshape", 19): [("allowzero", "INT", O, "0")],
    ("", "CenterCropPad", 18): [("axes", "INTS", O, None)],
    ("", "ScatterND", 18): [("reduction", "STRING", O, "none")],
    ("", "ScatterElements", 18): [("axis", "INT", O, "0"), ("reduction", "STRING", O, "none")],
    ("", "Pad", 18): PAD18, ("", "Pad", 19): PAD18,
    ("", "Cast", 19): CAST19, ("", "Cast", 25): CAST19 + [("round_mode", "STRING", O, "up")],
    ("", "CastLike", 19): CAST19[:1],
    ("", "CastLike", 25): CAST19[:1] + [("round_mode", "STRING", O, "up")],
    ("", "ReduceMean", 18): REDUCE18, ("", "ReduceMax", 18): REDUCE18,
    ("", "ReduceMin", 18): REDUCE18, ("", "ReduceL1", 18): REDUCE18,
    ("", "ReduceL2", 18): REDUCE18, ("", "ReduceLogSum", 18): REDUCE18,
    ("", "ReduceLogSumExp", 18): REDUCE18, ("", "ReduceProd", 18): REDUCE18,
    ("", "ReduceSumSquare", 18): REDUCE18,
    ("", "Resize", 18): RESIZE18, ("", "Resize", 19): RESIZE18,
    ("", "QuantizeLinear", 19): [("axis", "INT", O, "1"), ("saturate", "INT", O, "1")],
    ("", "QuantizeLinear", 21): QUANT21,
    ("", "QuantizeLinear", 25): QUANT21 + [("precision", "INT", O, "0")],
    ("", "DequantizeLinear", 19): [("axis", "INT", O, "1")],
    ("", "DequantizeLinear", 21): DEQUANT21,
    ("", "DequantizeLinear", 23): DEQUANT21 + [("output_dtype", "INT", O, "0")],
    ("", "GridSample", 20): [("align_corners", "INT", O, "0"), ("mode", "STRING", O, "linear"),
                             ("padding_mode", "STRING", O, "zeros")],
    ("", "AffineGrid", 20): [("align_corners", "INT", O, "0")],
    ("", "Col2Im", 18): [("dilations", "INTS", O, None), ("pads", "INTS", O, None),
                         ("strides", "INTS", O, None)],
    ("", "CumProd", 26): [("exclusive", "INT", O, "0"), ("reverse", "INT", O, "0")],
    ("", "BitCast", 26): [("to", "INT", R, None)],
    ("", "QLinearMatMul", 21): [],
    ("", "DFT", 20): [("inverse", "INT", O, "0"), ("onesided", "INT", O, "0")],
    ("", "Attention", 23): ATTN23,
    ("", "RotaryEmbedding", 23): [("interleaved", "INT", O, "0"), ("num_heads", "INT", O, None),
                                  ("rotary_embedding_dim", "INT", O, "0")],
    ("", "TensorScatter", 24): [("axis", "INT", O, "-2"), ("mode", "STRING", O, "linear")],
    ("", "LinearAttention", 27): [("kv_num_heads", "INT", O, None),
                                  ("q_num_heads", "INT", O, None), ("scale", "FLOAT", O, None),
                                  ("update_rule", "STRING", O, "gated_delta")],
    ("", "CausalConvWithState", 27): [("activation", "STRING", O, "none")],
    # experimental ops ONNX removed at opset 10 (onnx/defs/experiments, ONNX 1.4)
    ("", "ImageScaler", 1): [("bias", "FLOATS", O, None), ("scale", "FLOAT", O, "1")],
    ("", "Crop", 1): [("border", "INTS", O, None), ("scale", "INTS", O, None)],
    ("", "Affine", 1): [("alpha", "FLOAT", O, "1"), ("beta", "FLOAT", O, "0")],
    ("", "ScaledTanh", 1): [("alpha", "FLOAT", O, None), ("beta", "FLOAT", O, None)],
    ("", "ParametricSoftplus", 1): [("alpha", "FLOAT", O, None), ("beta", "FLOAT", O, None)],
    ("", "Scale", 1): [("scale", "FLOAT", O, "1")],
    ("", "DynamicSlice", 1): [],
    ("", "MeanVarianceNormalization", 1): [("across_channels", "INT", O, "0"),
                                           ("normalize_variance", "INT", O, "1")],
    # edgert's own ops (optimizer fusions)
    ("edgert", "FusedConv", 1): CONV11 + [("activation", "STRING", O, None),
                                          ("activation_params", "FLOATS", O, None),
                                          ("fused_ops", "STRING", O, None)],
}
# Versions after opset 17 that only added types: same attributes as the version before.
SAME_AS_PREVIOUS = {
    "Round": [22], "Sin": [22], "Cos": [22], "Elu": [22], "Selu": [22], "HardSigmoid": [22],
    "HardSwish": [22], "Softplus": [22], "Tan": [22], "Asin": [22], "Acos": [22],
    "Atan": [22], "Sinh": [22], "Cosh": [22], "Asinh": [22], "Acosh": [22], "Atanh": [22],
    "Softsign": [22], "ThresholdedRelu": [22], "Mish": [22], "IsNaN": [20], "IsInf": [20],
    "Pad": [21, 23, 24, 25], "Cast": [21, 23, 24], "CastLike": [21, 23, 24],
    "EyeLike": [22], "ReduceMax": [20], "ReduceMin": [20], "NegativeLogLikelihoodLoss": [22],
    "Det": [22], "QuantizeLinear": [23, 24], "DequantizeLinear": [24, 25], "LSTM": [22],
    "GRU": [22], "RNN": [22], "GridSample": [22], "RoiAlign": [22], "Attention": [24],
    "MaxRoiPool": [22], "OptionalHasElement": [18], "OptionalGetElement": [18],
}

# Deliberate differences from onnx.defs (tests/ops/test_attr_schema.py lists them too):
# GRU-1's default direction is spelled "foward" in ONNX's schema, a typo for forward.
DEFAULT_FIXES = {("GRU", 1, "direction"): "forward"}

TYPE_NAMES = {1: "FLOAT", 2: "INT", 3: "STRING", 4: "TENSOR", 5: "GRAPH", 6: "FLOATS",
              7: "INTS", 8: "STRINGS", 9: "TENSORS", 10: "GRAPHS", 11: "SPARSE_TENSOR",
              12: "SPARSE_TENSORS", 13: "TYPE_PROTO", 14: "TYPE_PROTOS"}


def read_ops():
    ops = []
    pat = re.compile(r'OP\((\w+), "([^"]*)", "(\w+)", \w+, \w+, [^,]+, ([\d, ]+)\)')
    for line in open(OPS_DEF):
        m = pat.match(line.strip())
        if m:
            ops.append((m.group(1), m.group(2), m.group(3),
                        [int(x) for x in m.group(4).split(",")]))
    return ops


def onnx_default(a):
    d = a.default_value
    if not d.name and d.type == 0:
        return None
    t = TYPE_NAMES.get(d.type, "")
    if t == "INT":
        return str(d.i)
    if t == "FLOAT":
        return "%.9g" % d.f
    if t == "STRING":
        return d.s.decode()
    if t == "INTS":
        return ",".join(str(x) for x in d.ints)
    if t == "FLOATS":
        return ",".join("%.9g" % x for x in d.floats)
    if t == "STRINGS":
        return ",".join(x.decode() for x in d.strings)
    return None


def from_onnx(dom, name, v):
    try:
        s = defs.get_schema(name, v, dom)
    except Exception:
        return None
    if s.since_version != v:
        return None
    out = []
    for an, a in sorted(s.attributes.items()):
        d = DEFAULT_FIXES.get((name, v, an), onnx_default(a))
        out.append((an, TYPE_NAMES[int(a.type)], bool(a.required), d))
    return out


def allowed(name, attr, v):
    best, best_v = None, -1
    for (op, an, since), vals in ENUMS.items():
        if (op == name or op == "*") and an == attr and since <= v and since > best_v:
            best, best_v = vals, since
    return best


def c_str(s):
    return "NULL" if s is None else '"%s"' % s


def emit(oid, name, v, attrs):
    lines = ["SCHEMA(%s, %d," % (oid, v)]
    for an, t, req, d in sorted(attrs):
        lines.append('       A("%s", %s, %s, %s, %s),' % (an, t, "REQ" if req else "OPT", c_str(d),
                                                       c_str(allowed(name, an, v))))
    lines.append("       END)")
    return "\n".join(lines)


def main():
    print("/*\n * attr_schema.def - the attributes each op version of ops.def accepts (X-macro).\n"
          " * GENERATED by scripts/gen_attr_schema.py: edit the script, not this file.\n *\n"
          " * SCHEMA(ID, since_version, A(name, type, REQ|OPT, default or NULL,\n"
          " *        allowed values ('|'-separated, STRING/STRINGS only) or NULL)..., END)\n"
          " * One entry per (op, version) of ops.def, in ops.def order (the importer\n"
          " * binary-searches it; tests/test_registry.c checks order and completeness).\n */")
    for oid, dom, name, versions in read_ops():
        prev = None
        for v in versions:
            attrs = HAND.get((dom, name, v))
            if attrs is None and v <= ONNX_MAX:
                attrs = from_onnx(dom, name, v)
            if attrs is None and v in SAME_AS_PREVIOUS.get(name, []):
                attrs = prev
            if attrs is None:
                sys.exit("gen_attr_schema.py: no attribute schema for %s %s version %d: add it "
                         "to HAND" % (dom or "ai.onnx", name, v))
            print(emit(oid, name, v, attrs))
            prev = attrs


if __name__ == "__main__":
    main()
