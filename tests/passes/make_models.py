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


# ---- optimizer passes: optimized vs not, plus expected node counts / notes ----------

def opt(out, fname, nodes, inputs, outputs, inits, expect, opset=17, tol=1e-4):
    save(out, fname, nodes, inputs, outputs, inits, opset)
    MANIFEST.append("opt %s %g %s" % (fname, tol, " ".join(expect)))


def node(op, ins, outs, **kw):
    return helper.make_node(op, ins, outs, name=outs[0] + "_node", **kw)


def conv(x, w, y, m, c, b=True, k=3, group=1, **kw):
    """Conv node reading x with new weights w (and bias) [m, c/group, k, k]."""
    inits = [const(w, rnd(m, c // group, k, k))]
    ins = [x, w]
    if b:
        inits.append(const(w + "_b", rnd(m)))
        ins.append(w + "_b")
    kw.setdefault("pads", [k // 2] * 4)
    return node("Conv", ins, [y], kernel_shape=[k, k], group=group, **kw), inits


def bn(x, y, m, name):
    """BatchNormalization with random constant statistics."""
    p = [const(name + "_s", rnd(m) + 1), const(name + "_b", rnd(m)),
         const(name + "_m", rnd(m)), const(name + "_v", np.abs(rnd(m)) + 0.5)]
    return node("BatchNormalization", [x] + [t.name for t in p], [y], epsilon=1e-3), p


def identity_models(out):
    X = [vi("x", [1, 3, 5, 5])]
    opt(out, "identity_chain.onnx",
        [node("Identity", ["x"], ["a"]), node("Relu", ["a"], ["r"]), node("Identity", ["r"], ["y"])],
        X, [vi("y", [1, 3, 5, 5])], [], ["Identity=0", "Relu=1"])
    opt(out, "identity_input_to_output.onnx", [node("Identity", ["x"], ["y"])],
        X, [vi("y", [1, 3, 5, 5])], [], ["Identity=1", "note=cannot_take_that_name"])
    opt(out, "dropout_inference.onnx",
        [node("Dropout", ["x", "ratio", "train"], ["d"]), node("Sigmoid", ["d"], ["y"])],
        X, [vi("y", [1, 3, 5, 5])],
        [const("ratio", 0.3), numpy_helper.from_array(np.array(False), "train")],
        ["Dropout=0", "Sigmoid=1"])
    # training mode with a constant ratio of 0 drops nothing (torchvision's Swin-T exports this)
    opt(out, "dropout_train_ratio0.onnx",
        [node("Dropout", ["x", "ratio", "train"], ["d"]), node("Sigmoid", ["d"], ["y"])],
        X, [vi("y", [1, 3, 5, 5])],
        [const("ratio", 0.0), numpy_helper.from_array(np.array(True), "train")],
        ["Dropout=0", "Sigmoid=1"])
    opt(out, "dropout_mask_used.onnx",
        [node("Dropout", ["x"], ["d", "mask"]), node("Cast", ["mask"], ["mf"], to=F),
         node("Add", ["d", "mf"], ["y"])],
        X, [vi("y", [1, 3, 5, 5])], [], ["Dropout=1", "note=mask_output_is_used"])


def cse_models(out):
    X = [vi("x", [2, 4])]
    opt(out, "cse_basic.onnx",
        [node("Sigmoid", ["x"], ["a"]), node("Sigmoid", ["x"], ["b"]),
         node("Exp", ["a"], ["ea"]), node("Exp", ["b"], ["eb"]), node("Mul", ["ea", "eb"], ["y"])],
        X, [vi("y", [2, 4])], [], ["Sigmoid=1", "Exp=1", "Mul=1"])
    opt(out, "cse_attrs_differ.onnx",
        [node("LeakyRelu", ["x"], ["a"], alpha=0.1), node("LeakyRelu", ["x"], ["b"], alpha=0.2),
         node("Sub", ["a", "b"], ["y"])],
        X, [vi("y", [2, 4])], [], ["LeakyRelu=2"])
    opt(out, "cse_two_outputs.onnx",
        [node("Relu", ["x"], ["y1"]), node("Relu", ["x"], ["y2"])],
        X, [vi("y1", [2, 4]), vi("y2", [2, 4])], [], ["Relu=2", "note=both_outputs"])


def bn_models(out):
    X = [vi("x", [2, 4, 6, 6])]
    for group, bias in ((1, True), (2, False), (4, True)):
        c, ci = conv("x", "w", "c", 8, 4, b=bias, group=group)
        b, bi = bn("c", "y", 8, "bn")
        opt(out, "bn_conv_g%d_b%d.onnx" % (group, bias), [c, b], X, [vi("y", [2, 8, 6, 6])],
            ci + bi, ["BatchNormalization=0", "Conv=1"])
    for group in (1, 2):
        w = const("wt", rnd(4, 6 // group, 3, 3))
        ct = node("ConvTranspose", ["x", "wt", "wt_b"], ["c"], kernel_shape=[3, 3], group=group,
                  strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1])
        b, bi = bn("c", "y", 6, "bn")
        opt(out, "bn_convtranspose_g%d.onnx" % group, [ct, b], X, [vi("y", [2, 6, 12, 12])],
            [w, const("wt_b", rnd(6))] + bi, ["BatchNormalization=0", "ConvTranspose=1"])
    # Paddle's decoder: ConvTranspose without bias -> Add(bias) -> BN (the Add folds first)
    ct = node("ConvTranspose", ["x", "wt"], ["c0"], kernel_shape=[2, 2], strides=[2, 2])
    b, bi = bn("c", "y", 6, "bn")
    opt(out, "bn_after_bias_add.onnx", [ct, node("Add", ["c0", "ab"], ["c"]), b], X,
        [vi("y", [2, 6, 12, 12])], [const("wt", rnd(4, 6, 2, 2)), const("ab", rnd(1, 6, 1, 1))] + bi,
        ["BatchNormalization=0", "Add=0", "ConvTranspose=1"])
    G = [vi("g", [3, 5])]
    for trans_b, cshape, beta in ((1, [7], 1.0), (0, [1, 7], 0.5), (0, [3, 7], 2.0), (1, None, 1.0)):
        wshape = [7, 5] if trans_b else [5, 7]
        ins = ["g", "gw"] + (["gc"] if cshape else [])
        inits = [const("gw", rnd(*wshape))] + ([const("gc", rnd(*cshape))] if cshape else [])
        gm = node("Gemm", ins, ["c"], transB=trans_b, beta=beta, alpha=0.7)
        b, bi = bn("c", "y", 7, "bn")
        opt(out, "bn_gemm_t%d_c%s.onnx" % (trans_b, "x".join(map(str, cshape or [0]))), [gm, b], G,
            [vi("y", [3, 7])], inits + bi, ["BatchNormalization=0", "Gemm=1"])
    c, ci = conv("x", "w", "c", 8, 4)
    b, bi = bn("c", "y", 8, "bn")
    opt(out, "bn_conv_shared.onnx", [c, b, node("Sigmoid", ["c"], ["y2"])], X,
        [vi("y", [2, 8, 6, 6]), vi("y2", [2, 8, 6, 6])], ci + bi,
        ["BatchNormalization=1", "note=other_consumers"])


def scale_models(out):
    X = [vi("x", [1, 4, 6, 6])]
    c, ci = conv("x", "w", "c", 6, 4)
    opt(out, "scale_mul_add.onnx",
        [c, node("Mul", ["c", "s"], ["m"]), node("Add", ["t", "m"], ["y"])], X,
        [vi("y", [1, 6, 6, 6])], ci + [const("s", rnd(6, 1, 1)), const("t", rnd(1, 6, 1, 1))],
        ["Mul=0", "Add=0", "Conv=1"])
    c, ci = conv("x", "w", "c", 6, 4, b=False)
    opt(out, "scale_scalar_nobias.onnx", [c, node("Mul", ["c", "s"], ["y"])], X,
        [vi("y", [1, 6, 6, 6])], ci + [const("s", [1.7])], ["Mul=0", "Conv=1"])
    ct = node("ConvTranspose", ["x", "wt"], ["c"], kernel_shape=[3, 3], group=2, strides=[2, 2])
    opt(out, "scale_convtranspose_mul.onnx", [ct, node("Mul", ["c", "s"], ["y"])], X,
        [vi("y", [1, 6, 13, 13])], [const("wt", rnd(4, 3, 3, 3)), const("s", rnd(1, 6, 1, 1))],
        ["Mul=0", "ConvTranspose=1"])
    opt(out, "scale_gemm_add_mul.onnx",
        [node("Gemm", ["g", "gw", "gc"], ["c"], transB=1),
         node("Add", ["c", "t"], ["d"]), node("Mul", ["d", "s"], ["y"])],
        [vi("g", [3, 5])], [vi("y", [3, 7])],
        [const("gw", rnd(7, 5)), const("gc", rnd(7)), const("t", rnd(7)), const("s", rnd(1, 7))],
        ["Mul=0", "Add=0", "Gemm=1"])
    c1 = node("Conv", ["x1", "w1", "b1"], ["c"], kernel_shape=[3], pads=[1, 1])
    opt(out, "fuse_conv1d_mul_relu.onnx",
        [c1, node("Mul", ["c", "s"], ["m"]), node("Relu", ["m"], ["y"])], [vi("x1", [2, 4, 9])],
        [vi("y", [2, 6, 9])], [const("w1", rnd(6, 4, 3)), const("b1", rnd(6)),
                               const("s", rnd(6, 1))], ["Mul=0", "Relu=0", "FusedConv=1"])
    c, ci = conv("x", "w", "c", 6, 4)
    opt(out, "scale_not_per_channel.onnx", [c, node("Mul", ["c", "s"], ["y"])], X,
        [vi("y", [1, 6, 6, 6])], ci + [const("s", rnd(6))], ["Mul=1", "note=not_per-channel"])


def fuse_models(out):
    X = [vi("x", [1, 4, 6, 6])]
    Y = [vi("y", [1, 6, 6, 6])]

    def single(tag, act_nodes, inits=(), expect=(), opset=17):
        c, ci = conv("x", "w", "c", 6, 4)
        opt(out, "fuse_%s.onnx" % tag, [c] + act_nodes, X, Y, ci + list(inits),
            ["FusedConv=1", "Conv=0"] + list(expect), opset)

    single("relu", [node("Relu", ["c"], ["y"])], expect=["Relu=0"])
    single("relu6", [node("Clip", ["c", "lo", "hi"], ["y"])], [const("lo", 0.0), const("hi", 6.0)],
           ["Clip=0"])
    single("clip6_opset6", [node("Clip", ["c"], ["y"], min=0.0, max=6.0)], opset=10)
    single("leaky", [node("LeakyRelu", ["c"], ["y"], alpha=0.1)])
    single("sigmoid", [node("Sigmoid", ["c"], ["y"])])
    single("silu", [node("Sigmoid", ["c"], ["s"]), node("Mul", ["s", "c"], ["y"])],
           expect=["Sigmoid=0", "Mul=0"])
    single("hardswish", [node("HardSwish", ["c"], ["y"])])
    single("hardsigmoid", [node("HardSigmoid", ["c"], ["y"], alpha=0.25, beta=0.45)])
    single("tanh", [node("Tanh", ["c"], ["y"])])
    single("elu", [node("Elu", ["c"], ["y"], alpha=0.8)])
    single("gelu_op", [node("Gelu", ["c"], ["y"])], opset=20)
    single("prelu", [node("PRelu", ["c", "sl"], ["y"])], [const("sl", rnd(6, 1, 1))])
    single("prelu_scalar", [node("PRelu", ["c", "sl"], ["y"])], [const("sl", [0.3])])
    gelu_head = [node("Div", ["c", "sq2"], ["d"]), node("Erf", ["d"], ["e"]),
                 node("Add", ["e", "one"], ["a"])]
    gk = [const("sq2", 1.4142135381698608), const("one", 1.0), const("half", 0.5)]
    single("gelu_erf_a", gelu_head + [node("Mul", ["c", "a"], ["m"]),
                                      node("Mul", ["m", "half"], ["y"])], gk, ["Erf=0", "Mul=0"])
    single("gelu_erf_b", gelu_head + [node("Mul", ["a", "half"], ["h"]),
                                      node("Mul", ["c", "h"], ["y"])], gk, ["Erf=0", "Mul=0"])
    single("gelu_erf_c", gelu_head + [node("Mul", ["c", "half"], ["h"]),
                                      node("Mul", ["h", "a"], ["y"])], gk, ["Erf=0", "Mul=0"])
    hk = [const("three", 3.0), const("zero", 0.0), const("six", 6.0), const("sixth", 1 / 6)]
    hs_head = [node("Add", ["c", "three"], ["a3"]), node("Clip", ["a3", "zero", "six"], ["r6"])]
    single("hardswish_dec_a", hs_head + [node("Mul", ["c", "r6"], ["m"]),
                                         node("Div", ["m", "six"], ["y"])], hk, ["Clip=0", "Mul=0"])
    single("hardswish_dec_b", hs_head + [node("Mul", ["r6", "sixth"], ["h"]),
                                         node("Mul", ["h", "c"], ["y"])], hk, ["Clip=0", "Mul=0"])
    # residual: z an input of Y's shape, then Relu
    c, ci = conv("x", "w", "c", 6, 4)
    opt(out, "fuse_residual_relu.onnx",
        [c, node("Add", ["z", "c"], ["s"]), node("Relu", ["s"], ["y"])], X + [vi("z", [1, 6, 6, 6])],
        Y, ci, ["FusedConv=1", "Add=0", "Relu=0"])
    # symbolic batch: the residual still has exactly Y's shape (same symbol)
    c, ci = conv("x", "w", "c", 6, 4)
    opt(out, "fuse_residual_symbolic.onnx",
        [c, node("Add", ["c", "z"], ["s"]), node("Relu", ["s"], ["y"])],
        [vi("x", ["N", 4, 6, 6]), vi("z", ["N", 6, 6, 6])], [vi("y", ["N", 6, 6, 6])], ci,
        ["FusedConv=1", "Add=0", "Relu=0"])
    # ResNet bottleneck end: conv+BN main path, downsample conv+BN, Add, Relu
    c1, i1 = conv("x", "w1", "c1", 6, 4, b=False)
    b1, j1 = bn("c1", "n1", 6, "bn1")
    c2, i2 = conv("x", "w2", "c2", 6, 4, k=1, b=False)
    b2, j2 = bn("c2", "n2", 6, "bn2")
    opt(out, "fuse_resnet_block.onnx",
        [c2, b2, c1, b1, node("Add", ["n1", "n2"], ["s"]), node("Relu", ["s"], ["y"])], X, Y,
        i1 + j1 + i2 + j2, ["FusedConv=1", "Conv=1", "BatchNormalization=0", "Add=0", "Relu=0"])
    # candidates that must not fuse
    c, ci = conv("x", "w", "c", 6, 4)
    opt(out, "fuse_two_consumers.onnx",
        [c, node("Relu", ["c"], ["y"]), node("Sigmoid", ["c"], ["y2"])], X,
        Y + [vi("y2", [1, 6, 6, 6])], ci,
        ["FusedConv=0", "Relu=1", "note=conv_output_has_2_consumers"])
    c, ci = conv("x", "w", "c", 6, 4)
    opt(out, "fuse_broadcast_add.onnx", [c, node("Add", ["c", "z"], ["y"])],
        X + [vi("z", [1, 6, 1, 1])], Y, ci,
        ["FusedConv=0", "Add=1", "note=not_have_exactly"])
    c, ci = conv("x", "w", "c", 6, 4)
    opt(out, "fuse_clip_dynamic.onnx", [c, node("Clip", ["c", "lo"], ["y"])],
        X + [vi("lo", [])], Y, ci, ["FusedConv=0", "note=bounds_are_not_constants"])


def matmul_models(out):
    A = [vi("a", [3, 8])]
    opt(out, "matmul_add.onnx",
        [node("MatMul", ["a", "mw"], ["m"]), node("Add", ["m", "mb"], ["y"])], A,
        [vi("y", [3, 5])], [const("mw", rnd(8, 5)), const("mb", rnd(5))],
        ["MatMul=0", "Add=0", "Gemm=1"])
    opt(out, "matmul_add_bn.onnx",
        [node("MatMul", ["a", "mw"], ["m"]), node("Add", ["mb", "m"], ["s"])] +
        [bn("s", "y", 5, "bn")[0]], A, [vi("y", [3, 5])],
        [const("mw", rnd(8, 5)), const("mb", rnd(1, 5))] + bn("s", "y", 5, "bn")[1],
        ["MatMul=0", "BatchNormalization=0", "Gemm=1"])
    # batched A (a transformer's Linear): Reshape -> Gemm -> Reshape, bias one row
    opt(out, "matmul_3d.onnx",
        [node("MatMul", ["a3", "mw"], ["m"]), node("Add", ["m", "mb"], ["y"])],
        [vi("a3", [2, 3, 8])], [vi("y", [2, 3, 5])], [const("mw", rnd(8, 5)), const("mb", rnd(5))],
        ["MatMul=0", "Add=0", "Gemm=1", "Reshape=2"])
    opt(out, "matmul_4d_row_bias.onnx",
        [node("MatMul", ["a4", "mw"], ["m"]), node("Add", ["mb3", "m"], ["y"])],
        [vi("a4", [2, 2, 3, 8])], [vi("y", [2, 2, 3, 5])],
        [const("mw", rnd(8, 5)), const("mb3", rnd(1, 1, 5))],
        ["MatMul=0", "Gemm=1", "Reshape=2"])
    opt(out, "matmul_3d_symbolic_batch.onnx",
        [node("MatMul", ["a3", "mw"], ["m"]), node("Add", ["m", "mb"], ["y"])],
        [vi("a3", ["N", 3, 8])], [vi("y", ["N", 3, 5])],
        [const("mw", rnd(8, 5)), const("mb", rnd(1))], ["MatMul=0", "Gemm=1", "Reshape=2"])
    # a bias that varies along the rows, and two unknown leading dims: not fused
    opt(out, "matmul_3d_matrix_bias.onnx",
        [node("MatMul", ["a3", "mw"], ["m"]), node("Add", ["m", "mb2"], ["y"])],
        [vi("a3", [2, 3, 8])], [vi("y", [2, 3, 5])],
        [const("mw", rnd(8, 5)), const("mb2", rnd(3, 5))],
        ["MatMul=1", "Gemm=0", "note=varies_along_the_rows"])
    opt(out, "matmul_3d_two_unknown.onnx",
        [node("MatMul", ["a3", "mw"], ["m"]), node("Add", ["m", "mb"], ["y"])],
        [vi("a3", ["N", "T", 8])], [vi("y", ["N", "T", 5])],
        [const("mw", rnd(8, 5)), const("mb", rnd(5))],
        ["MatMul=1", "Gemm=0", "note=more_than_one_leading_dim"])
    opt(out, "matmul_add_symbolic.onnx",
        [node("MatMul", ["a", "mw"], ["m"]), node("Add", ["m", "mb"], ["y"])], [vi("a", ["N", 8])],
        [vi("y", ["N", 5])], [const("mw", rnd(8, 5)), const("mb", rnd(5))],
        ["MatMul=0", "Gemm=1"])
    # rows unknown (a Reshape to [-1, 8] of a dynamic input): still a Gemm
    opt(out, "matmul_add_unknown_rows.onnx",
        [node("Reshape", ["a3", "shp"], ["a2"]), node("MatMul", ["a2", "mw"], ["m"]),
         node("Add", ["m", "mb"], ["y"])], [vi("a3", ["N", 2, 8])], [vi("y", [None, 5])],
        [const("mw", rnd(8, 5)), const("mb", rnd(5)),
         numpy_helper.from_array(np.array([-1, 8], dtype=np.int64), "shp")],
        ["MatMul=0", "Gemm=1"])


def gemm_act_pair(out, act, trans_b, bias):
    """FusedGemm's reference against Gemm -> activation (both run unoptimized)."""
    tag = "%s_t%d_b%d" % (act, trans_b, bias)
    w = rnd(5, 8) if trans_b else rnd(8, 5)
    inits = [const("gw", w)] + ([const("gb", rnd(5))] if bias else [])
    ins = ["a", "gw"] + (["gb"] if bias else [])
    attrs = dict(transB=trans_b, alpha=0.8, beta=1.2)
    an, params, act_inits, opset = act_nodes(act, "c", "y", 5)
    A, Y = [vi("a", [3, 8])], [vi("y", [3, 5])]
    save(out, "gemm_unfused_%s.onnx" % tag, [node("Gemm", ins, ["c"], **attrs)] + an, A, Y,
         inits + act_inits, opset)
    fa = dict(attrs, activation=act, fused_ops="Gemm+" + act)
    if params:
        fa["activation_params"] = params
    fnode = helper.make_node("FusedGemm", ins, ["y"], domain="edgert", **fa)
    save(out, "gemm_fused_%s.onnx" % tag, [fnode], A, Y, inits, opset, edgert=True)
    MANIFEST.append("pair gemm_fused_%s.onnx gemm_unfused_%s.onnx 1e-5" % (tag, tag))


def gemm_act_models(out):
    for i, act in enumerate(a for a in ACTS if a not in ("", "PRelu")):
        gemm_act_pair(out, act, i % 2, i % 3 != 0)
    # the optimizer: MatMul + Add (-> Gemm) -> act, 2-D and through the Reshape of a 3-D A
    A, Y = [vi("a", [3, 8])], [vi("y", [3, 5])]
    mw, mb = const("mw", rnd(8, 5)), const("mb", rnd(5))
    opt(out, "gemm_relu.onnx",
        [node("MatMul", ["a", "mw"], ["m"]), node("Add", ["m", "mb"], ["s"]),
         node("Relu", ["s"], ["y"])], A, Y, [mw, mb],
        ["MatMul=0", "Add=0", "Relu=0", "FusedGemm=1"])
    gelu = [node("Div", ["s", "sq2"], ["d"]), node("Erf", ["d"], ["e"]),
            node("Add", ["e", "one"], ["f"]), node("Mul", ["s", "f"], ["g"]),
            node("Mul", ["g", "half"], ["y"])]
    consts = [const("sq2", np.sqrt(2.0)), const("one", 1.0), const("half", 0.5)]
    opt(out, "gemm_3d_gelu.onnx",
        [node("MatMul", ["a3", "mw"], ["m"]), node("Add", ["m", "mb"], ["s"])] + gelu,
        [vi("a3", [2, 3, 8])], [vi("y", [2, 3, 5])], [mw, mb] + consts,
        ["MatMul=0", "Erf=0", "FusedGemm=1", "Reshape=2"])
    opt(out, "gemm_clip.onnx",
        [node("Gemm", ["a", "gw"], ["s"], transB=1), node("Clip", ["s", "lo", "hi"], ["y"])],
        A, Y, [const("gw", rnd(5, 8)), const("lo", -0.3), const("hi", 0.4)],
        ["Gemm=0", "Clip=0", "FusedGemm=1"])
    # not fused: PRelu (no slope input), a second reader, a Reshape output that is a
    # graph output, an activation that is a graph output read again
    opt(out, "gemm_prelu.onnx",
        [node("Gemm", ["a", "gw"], ["s"]), node("PRelu", ["s", "sl"], ["y"])], A, Y,
        [const("gw", rnd(8, 5)), const("sl", rnd(5))],
        ["Gemm=1", "FusedGemm=0", "note=PRelu"])
    opt(out, "gemm_two_readers.onnx",
        [node("Gemm", ["a", "gw"], ["s"]), node("Relu", ["s"], ["r"]),
         node("Add", ["r", "s"], ["y"])], A, Y, [const("gw", rnd(8, 5))],
        ["Gemm=1", "FusedGemm=0"])
    opt(out, "gemm_reshape_output.onnx",
        [node("MatMul", ["a3", "mw"], ["m"]), node("Add", ["m", "mb"], ["y"]),
         node("Sigmoid", ["y"], ["z"])],
        [vi("a3", [2, 3, 8])], [vi("y", [2, 3, 5]), vi("z", [2, 3, 5])], [mw, mb],
        ["FusedGemm=0", "Sigmoid=1"])


def transpose_models(out):
    X = [vi("x", [1, 3, 4, 5])]
    opt(out, "transpose_cancel.onnx",
        [node("Transpose", ["x"], ["t1"], perm=[0, 2, 3, 1]),
         node("Transpose", ["t1"], ["t2"], perm=[0, 3, 1, 2]), node("Relu", ["t2"], ["y"])],
        X, [vi("y", [1, 3, 4, 5])], [], ["Transpose=0"])
    opt(out, "transpose_merge.onnx",
        [node("Transpose", ["x"], ["t1"], perm=[0, 2, 3, 1]),
         node("Transpose", ["t1"], ["t2"], perm=[2, 0, 1, 3]), node("Relu", ["t2"], ["y"])],
        X, [vi("y", [5, 1, 4, 3])], [], ["Transpose=1"])
    opt(out, "transpose_cancel_to_output.onnx",
        [node("Transpose", ["x"], ["t1"]), node("Transpose", ["t1"], ["y"])],
        X, [vi("y", [1, 3, 4, 5])], [], ["Transpose=2", "note=cancel_but_not_removed"])


def i64(name, vals):
    return numpy_helper.from_array(np.array(vals, dtype=np.int64), name)


def pad_models(out):
    X, Y = [vi("x", [1, 3, 7, 6])], [vi("y", ["n", "c", "h", "w"])]
    c, ci = conv("p", "pw", "y", 4, 3)
    opt(out, "pad_conv.onnx", [node("Pad", ["x", "pp"], ["p"]), c], X, Y,
        [i64("pp", [0, 0, 1, 2, 0, 0, 2, 1])] + ci, ["Pad=0", "Conv=1"])
    c, ci = conv("p", "pw", "y", 4, 3, pads=[0, 0, 0, 0], strides=[2, 2])
    opt(out, "pad_conv_opset10.onnx",
        [node("Pad", ["x"], ["p"], pads=[0, 0, 2, 1, 0, 0, 1, 2], value=0.0), c], X, Y, ci,
        ["Pad=0", "Conv=1"], opset=10)
    c, ci = conv("p", "pw", "y", 4, 3, pads=None, auto_pad="VALID")
    opt(out, "pad_conv_axes.onnx", [node("Pad", ["x", "pp", "", "ax"], ["p"]), c], X, Y,
        [i64("pp", [1, 1, 1, 1]), i64("ax", [-1, 2])] + ci, ["Pad=0", "Conv=1"], opset=18)
    c, ci = conv("p", "pw", "y", 4, 3)
    opt(out, "pad_conv_value.onnx", [node("Pad", ["x", "pp", "pv"], ["p"]), c], X, Y,
        [i64("pp", [0, 0, 1, 1, 0, 0, 1, 1]), const("pv", 1.0)] + ci,
        ["Pad=1", "note=value_is_not_0"])
    c, ci = conv("p", "pw", "y", 4, 4)
    opt(out, "pad_conv_channels.onnx", [node("Pad", ["x", "pp"], ["p"]), c], X, Y,
        [i64("pp", [0, 1, 0, 0, 0, 0, 0, 0])] + ci, ["Pad=1", "note=batch_or_channel"])
    c, ci = conv("p", "pw", "y", 4, 3)
    opt(out, "pad_conv_reflect.onnx", [node("Pad", ["x", "pp"], ["p"], mode="reflect"), c], X, Y,
        [i64("pp", [0, 0, 1, 1, 0, 0, 1, 1])] + ci, ["Pad=1", "note=not_mode_constant"])
    c, ci = conv("p", "pw", "y", 4, 3)
    opt(out, "pad_conv_crop.onnx", [node("Pad", ["x", "pp"], ["p"]), c], X, Y,
        [i64("pp", [0, 0, -1, 1, 0, 0, 1, 1])] + ci, ["Pad=1", "note=crops"])
    c, ci = conv("p", "pw", "y", 4, 3)
    opt(out, "pad_conv_shared.onnx",
        [node("Pad", ["x", "pp"], ["p"]), c, node("Relu", ["p"], ["y2"])], X, Y + [vi("y2", [1, 3, 9, 8])],
        [i64("pp", [0, 0, 1, 1, 0, 0, 1, 1])] + ci, ["Pad=1", "note=other_consumers"])
    pp = [i64("pp", [0, 0, 1, 0, 0, 0, 2, 1])]
    opt(out, "pad_avgpool.onnx",
        [node("Pad", ["x", "pp"], ["p"]), node("AveragePool", ["p"], ["y"], kernel_shape=[3, 2])],
        X, Y, pp, ["Pad=0", "AveragePool=1"])
    opt(out, "pad_avgpool_include.onnx",
        [node("Pad", ["x", "pp"], ["p"]),
         node("AveragePool", ["p"], ["y"], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
              count_include_pad=1)], X, Y, pp, ["Pad=0", "AveragePool=1"])
    opt(out, "pad_avgpool_exclude.onnx",
        [node("Pad", ["x", "pp"], ["p"]),
         node("AveragePool", ["p"], ["y"], kernel_shape=[3, 3], pads=[1, 1, 1, 1])], X, Y, pp,
        ["Pad=1", "note=without_counting"])
    opt(out, "pad_maxpool.onnx",
        [node("Pad", ["x", "pp"], ["p"]), node("MaxPool", ["p"], ["y"], kernel_shape=[3, 3])],
        X, Y, pp, ["Pad=1", "MaxPool=1"])


def ln_nodes(x, y, tag, axes, eps=1e-5, square="pow", norm="div", gamma=None, beta=None,
             axes_input=False):
    """Decomposed LayerNorm over `axes` as PyTorch / paddle2onnx write it."""
    nodes, inits = [], []

    def rmean(i, o):
        if axes_input:
            inits.append(numpy_helper.from_array(np.array(axes, dtype=np.int64), o + "_axes"))
            return node("ReduceMean", [i, o + "_axes"], [o])
        return node("ReduceMean", [i], [o], axes=axes)

    p = tag + "_"
    nodes += [rmean(x, p + "m"), node("Sub", [x, p + "m"], [p + "d"])]
    if square == "pow":
        inits.append(const(p + "two", 2.0))
        nodes.append(node("Pow", [p + "d", p + "two"], [p + "sq"]))
    else:
        nodes.append(node("Mul", [p + "d", p + "d"], [p + "sq"]))
    inits.append(const(p + "eps", eps))
    nodes += [rmean(p + "sq", p + "v"), node("Add", [p + "eps", p + "v"], [p + "ve"]),
              node("Sqrt", [p + "ve"], [p + "s"])]
    last = y if gamma is None and beta is None else p + "n"
    if norm == "div":
        nodes.append(node("Div", [p + "d", p + "s"], [last]))
    else:
        nodes += [node("Reciprocal", [p + "s"], [p + "r"]), node("Mul", [p + "r", p + "d"], [last])]
    if gamma is not None:
        inits.append(const(p + "g", gamma))
        out = y if beta is None else p + "gn"
        nodes.append(node("Mul", [last, p + "g"], [out]))
        last = out
    if beta is not None:
        inits.append(const(p + "b", beta))
        nodes.append(node("Add", [p + "b", last], [y]))
    return nodes, inits


def layernorm_models(out):
    LN0 = ["LayerNormalization=1", "ReduceMean=0", "Sqrt=0", "Sub=0"]
    # PyTorch < opset 17 / paddle2onnx: over the last axis, gamma and beta
    for opset in (9, 13, 17):
        n, i = ln_nodes("x", "y", "ln", [-1], gamma=rnd(16) + 1, beta=rnd(16))
        opt(out, "ln_last_o%d.onnx" % opset, n, [vi("x", [2, 5, 16])], [vi("y", [2, 5, 16])], i,
            LN0 + ["Pow=0", "Div=0", "Mul=0", "Add=0"], opset)
    # Mul(d, d), Reciprocal * d, gamma with leading 1s, no beta, symbolic batch
    n, i = ln_nodes("x", "y", "ln", [2], square="mul", norm="recip", gamma=rnd(1, 1, 24) + 1)
    opt(out, "ln_mul_recip.onnx", n, [vi("x", ["N", 3, 24])], [vi("y", ["N", 3, 24])], i,
        LN0 + ["Mul=0", "Reciprocal=0"])
    # two trailing axes, ReduceMean axes as an input (opset 18), beta only
    n, i = ln_nodes("x", "y", "ln", [-1, 2], beta=rnd(4, 5), axes_input=True, eps=1e-3)
    opt(out, "ln_two_axes_o18.onnx", n, [vi("x", [2, 3, 4, 5])], [vi("y", [2, 3, 4, 5])], i,
        LN0 + ["Add=0"], 18)
    # no affine at all: a scale of ones is made
    n, i = ln_nodes("x", "y", "ln", [-1])
    opt(out, "ln_plain.onnx", n, [vi("x", [4, 33])], [vi("y", [4, 33])], i, LN0 + ["Div=0"])
    # gamma varies along a non-normalised axis: LayerNorm without it, the Mul stays
    n, i = ln_nodes("x", "y", "ln", [-1], gamma=rnd(5, 1) + 1, beta=rnd(16))
    opt(out, "ln_gamma_not_per_feature.onnx", n, [vi("x", [2, 5, 16])], [vi("y", [2, 5, 16])],
        i, ["LayerNormalization=1", "Mul=1", "Add=1", "ReduceMean=0"])
    # refused: X - mean also feeds an output; the axes are not trailing
    n, i = ln_nodes("x", "y", "ln", [-1], gamma=rnd(16), beta=rnd(16))
    opt(out, "ln_shared_diff.onnx", n, [vi("x", [2, 5, 16])],
        [vi("y", [2, 5, 16]), vi("ln_d", [2, 5, 16])], i,
        ["LayerNormalization=0", "ReduceMean=2", "note=X_-_mean_is_a_graph_output"])
    n, i = ln_nodes("x", "y", "ln", [1])
    opt(out, "ln_not_trailing.onnx", n, [vi("x", [2, 5, 16])], [vi("y", [2, 5, 16])], i,
        ["LayerNormalization=0", "ReduceMean=2", "note=does_not_reduce_trailing_axes"])


def act_models(out):
    """Decomposed activations outside a Conv (fuse_act.c): after a MatMul, one node."""
    X = [vi("x", [3, 8])]
    Y = [vi("y", [3, 5])]
    mm = node("MatMul", ["x", "w"], ["c"])
    wi = [const("w", rnd(8, 5))]

    def single(tag, act_nodes, inits, expect, outputs=Y):
        opt(out, "act_%s.onnx" % tag, [mm] + act_nodes, X, outputs, wi + list(inits), expect)

    single("silu", [node("Sigmoid", ["c"], ["s"]), node("Mul", ["c", "s"], ["y"])], [],
           ["Swish=1", "Sigmoid=0", "Mul=0", "MatMul=1"])
    gelu_head = [node("Mul", ["c", "isq2"], ["d"]), node("Erf", ["d"], ["e"]),
                 node("Add", ["one", "e"], ["a"])]
    gk = [const("isq2", 0.7071067690849304), const("one", 1.0), const("half", 0.5)]
    single("gelu_erf", gelu_head + [node("Mul", ["half", "c"], ["h"]),
                                    node("Mul", ["a", "h"], ["y"])], gk,
           ["Gelu=1", "Erf=0", "Mul=0", "Add=0"])
    hk = [const("three", 3.0), const("zero", 0.0), const("six", 6.0)]
    single("hardswish", [node("Add", ["c", "three"], ["a3"]),
                         node("Clip", ["a3", "zero", "six"], ["r6"]),
                         node("Mul", ["r6", "c"], ["m"]), node("Div", ["m", "six"], ["y"])],
           hk, ["HardSwish=1", "Clip=0", "Mul=0", "Div=0"])
    # x has another reader (a graph output): still one Swish, x stays
    single("silu_x_shared", [node("Sigmoid", ["c"], ["s"]), node("Mul", ["s", "c"], ["y"])], [],
           ["Swish=1", "Sigmoid=0"], outputs=Y + [vi("c", [3, 5])])
    # an intermediate is a graph output: nothing fused
    single("silu_mid_output", [node("Sigmoid", ["c"], ["s"]), node("Mul", ["s", "c"], ["y"])],
           [], ["Swish=0", "Sigmoid=1", "Mul=1"], outputs=Y + [vi("s", [3, 5])])
    # not SiLU: Mul by Sigmoid of another value
    opt(out, "act_not_silu.onnx",
        [mm, node("Sigmoid", ["x2"], ["s"]), node("Mul", ["c", "s"], ["y"])],
        X + [vi("x2", [3, 5])], Y, wi, ["Swish=0", "Sigmoid=1", "Mul=1"])


def main(out):
    os.makedirs(out, exist_ok=True)
    fused_conv_models(out)
    identity_models(out)
    cse_models(out)
    bn_models(out)
    scale_models(out)
    fuse_models(out)
    matmul_models(out)
    gemm_act_models(out)
    transpose_models(out)
    layernorm_models(out)
    pad_models(out)
    act_models(out)
    with open(os.path.join(out, "manifest.txt"), "w") as f:
        f.write("\n".join(MANIFEST) + "\n")
    print("wrote %d checks to %s" % (len(MANIFEST), out))


if __name__ == "__main__":
    main(sys.argv[1])
