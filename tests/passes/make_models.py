#!/usr/bin/python3
"""make_models.py OUTDIR - small graphs for the graph optimizer's tests (test_passes.c).

Writes OUTDIR/*.onnx and OUTDIR/manifest.txt, one check a line:
  pair FUSED.onnx UNFUSED.onnx TOL   both loaded with no_optimize: same outputs (FusedConv's
                                     reference kernel against the unfused ONNX graph)
  opt MODEL.onnx TOL [Op=N ...] [note=TEXT]
                                     loaded with and without the optimizer: same outputs;
                                     the optimized graph has N live nodes of each Op, and a
                                     recorded note contains TEXT ('_' stands for a space)
Inputs are random (uniform [-2, 2), fixed seed) and made by test_passes.c.

Needs onnx and numpy (Debian python3-onnx 1.12 knows opsets <= 17): models using newer
ops (Gelu is opset 20) or the internal domain "edgert" skip the checker.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

RNG = np.random.default_rng(2024)
F = TensorProto.FLOAT
MANIFEST = []


def const(name, a):
    return numpy_helper.from_array(np.asarray(a, dtype=np.float32), name)


def rnd(*shape, scale=0.5):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def vi(name, shape):
    return helper.make_tensor_value_info(name, F, shape)


def save(out, fname, nodes, inputs, outputs, inits, opset=17, edgert=False):
    imports = [helper.make_opsetid("", opset)]
    if edgert:
        imports.append(helper.make_opsetid("edgert", 1))
    g = helper.make_graph(nodes, fname.replace(".onnx", ""), inputs, outputs, inits)
    m = helper.make_model(g, opset_imports=imports, producer_name="edgert-tests")
    m.ir_version = 8
    if opset <= 17 and not edgert:
        onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out, fname))


# ---- FusedConv reference vs the unfused graph --------------------------------------

# activation name -> (ONNX nodes computing out from inp, activation_params, opset)
def act_nodes(act, inp, out, m):
    """Unfused ONNX form of FusedConv's activation, plus its attribute values."""
    if act == "Relu":
        return [helper.make_node("Relu", [inp], [out])], [], [], 17
    if act == "Clip":
        inits = [const("clip_lo", -0.5), const("clip_hi", 0.75)]
        return [helper.make_node("Clip", [inp, "clip_lo", "clip_hi"], [out])], [-0.5, 0.75], inits, 17
    if act == "LeakyRelu":
        return [helper.make_node("LeakyRelu", [inp], [out], alpha=0.2)], [0.2], [], 17
    if act == "Sigmoid":
        return [helper.make_node("Sigmoid", [inp], [out])], [], [], 17
    if act == "Silu":
        return [helper.make_node("Sigmoid", [inp], ["sig"]),
                helper.make_node("Mul", [inp, "sig"], [out])], [], [], 17
    if act == "HardSigmoid":
        return [helper.make_node("HardSigmoid", [inp], [out], alpha=0.3, beta=0.4)], [0.3, 0.4], [], 17
    if act == "HardSwish":
        return [helper.make_node("HardSwish", [inp], [out])], [], [], 17
    if act == "Gelu":
        return [helper.make_node("Gelu", [inp], [out])], [], [], 20
    if act == "GeluTanh":
        return [helper.make_node("Gelu", [inp], [out], approximate="tanh")], [], [], 20
    if act == "Tanh":
        return [helper.make_node("Tanh", [inp], [out])], [], [], 17
    if act == "Elu":
        return [helper.make_node("Elu", [inp], [out], alpha=0.7)], [0.7], [], 17
    if act == "PRelu":
        slope = rnd(m, 1, 1)
        return [helper.make_node("PRelu", [inp, "slope"], [out])], [], [const("slope", slope)], 17
    raise ValueError(act)


ACTS = ["", "Relu", "Clip", "LeakyRelu", "Sigmoid", "Silu", "HardSigmoid", "HardSwish", "Gelu",
        "GeluTanh", "Tanh", "Elu", "PRelu"]


def fused_pair(out, act, residual, bias, group):
    c, m, h = 4, 6, 7
    conv_attrs = dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1], group=group)
    w, b = rnd(m, c // group, 3, 3), rnd(m)
    tag = "%s_z%d_b%d_g%d" % (act or "none", residual, bias, group)
    inputs = [vi("x", [1, c, h, h])] + ([vi("z", [1, m, h, h])] if residual else [])
    outputs = [vi("y", [1, m, h, h])]
    base = [const("w", w)] + ([const("b", b)] if bias else [])
    conv_in = ["x", "w"] + (["b"] if bias else [])
    # unfused: Conv -> [Add z] -> act
    cur, nodes = "c", [helper.make_node("Conv", conv_in, ["c"], **conv_attrs)]
    if residual:
        nodes.append(helper.make_node("Add", ["c", "z"], ["s"]))
        cur = "s"
    params, act_inits, opset = [], [], 17
    if act:
        an, params, act_inits, opset = act_nodes(act, cur, "y", m)
        nodes += an
    else:
        nodes.append(helper.make_node("Identity", [cur], ["y"]))
    save(out, "unfused_%s.onnx" % tag, nodes, inputs, outputs, base + act_inits, opset)
    # fused: one FusedConv(X, W, B, Z, S)
    fin = conv_in + [""] * (3 - len(conv_in)) + (["z"] if residual else [""])
    attrs = dict(conv_attrs, fused_ops="Conv" + ("+Add" if residual else "") + ("+" + act if act else ""))
    if act:
        attrs["activation"] = act
    if params:
        attrs["activation_params"] = params
    s_init = []
    if act == "PRelu":
        fin.append("s")
        s_init = [const("s", numpy_helper.to_array(act_inits[0]).reshape(-1))]
    while fin and fin[-1] == "":
        fin.pop()
    fnode = helper.make_node("FusedConv", fin, ["y"], domain="edgert", **attrs)
    save(out, "fused_%s.onnx" % tag, [fnode], inputs, outputs, base + s_init, opset, edgert=True)
    MANIFEST.append("pair fused_%s.onnx unfused_%s.onnx 1e-5" % (tag, tag))


def fused_conv_models(out):
    for act in ACTS:
        fused_pair(out, act, residual=1, bias=1, group=1)
    fused_pair(out, "Relu", residual=0, bias=1, group=1)
    fused_pair(out, "Relu", residual=0, bias=0, group=2)
    fused_pair(out, "", residual=1, bias=0, group=2)
    fused_pair(out, "Silu", residual=0, bias=1, group=2)


def main(out):
    os.makedirs(out, exist_ok=True)
    fused_conv_models(out)
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(MANIFEST) + "\n")
    print("wrote %d checks to %s" % (len(MANIFEST), out))


if __name__ == "__main__":
    main(sys.argv[1])
