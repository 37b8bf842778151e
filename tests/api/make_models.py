#!/usr/bin/env python3
"""Builds the small ONNX models that tests/api/test_api.c uses, and their expected
outputs computed independently with numpy. Run with Debian's python3 (onnx, numpy).

usage: make_models.py OUTDIR
Writes OUTDIR/<name>.onnx and, for numeric checks, OUTDIR/<name>.in.bin /
OUTDIR/<name>.out.bin (raw float32, C order)."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, path)


def conv2d_nchw(x, w, b, pad):
    n, c, h, wd = x.shape
    oc, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = h + 2 * pad - kh + 1, wd + 2 * pad - kw + 1
    y = np.zeros((n, oc, oh, ow), dtype=np.float64)
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, :, i:i + oh, j:j + ow]  # n c oh ow
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j])
    return y + b.reshape(1, -1, 1, 1)


def small_cnn(out):
    rng = np.random.default_rng(1)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32) * 0.5
    b = rng.standard_normal(4).astype(np.float32)
    g = rng.standard_normal((5, 4)).astype(np.float32)
    gb = rng.standard_normal(5).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], name="conv0"),
        helper.make_node("Relu", ["c"], ["r"], name="relu0"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="gap"),
        helper.make_node("Flatten", ["p"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "g", "gb"], ["y"], transB=1, name="fc"),
    ]
    graph = helper.make_graph(
        nodes, "small_cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b"),
         numpy_helper.from_array(g, "g"), numpy_helper.from_array(gb, "gb")])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(out, "small_cnn.onnx"))
    x = (np.arange(2 * 3 * 8 * 8, dtype=np.float32).reshape(2, 3, 8, 8) / 100.0 - 1.5)
    c = conv2d_nchw(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64), 1)
    p = np.maximum(c, 0).mean(axis=(2, 3))
    y = p @ g.T.astype(np.float64) + gb
    x.tofile(os.path.join(out, "small_cnn.in.bin"))
    y.astype(np.float32).tofile(os.path.join(out, "small_cnn.out.bin"))


def simple(out, name, op_type, opset=13, domain="", inputs=("x",), extra_init=()):
    node = helper.make_node(op_type, list(inputs), ["y"], name="the_node", domain=domain)
    graph = helper.make_graph(
        [node], name,
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], list(extra_init))
    ops = [helper.make_opsetid("", opset)]
    if domain:
        ops.append(helper.make_opsetid(domain, 1))
    model = helper.make_model(graph, opset_imports=ops)
    onnx.save(model, os.path.join(out, name + ".onnx"))


def mul_tiny(out):
    """y = x * 1e-30 on x of any length: x = 1e-10 gives a subnormal 1e-40."""
    node = helper.make_node("Mul", ["x", "s"], ["y"], name="scale_down")
    graph = helper.make_graph(
        [node], "mul_tiny",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n"])],
        [numpy_helper.from_array(np.array(1e-30, np.float32), "s")])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(out, "mul_tiny.onnx"))


def external(out):
    """An Add whose constant lives in an external file; one copy points inside the
    folder, one points outside it."""
    c = np.arange(6, dtype=np.float32).reshape(2, 3)
    c.tofile(os.path.join(out, "ext_weights.bin"))
    for name, loc in (("ext_ok", "ext_weights.bin"), ("ext_escape", "../ext_weights.bin"),
                      ("ext_abs", "/etc/passwd")):
        t = onnx.TensorProto()
        t.name = "c"
        t.data_type = TensorProto.FLOAT
        t.dims.extend([2, 3])
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", loc), ("offset", "0"), ("length", "24")):
            e = t.external_data.add()
            e.key, e.value = k, v
        node = helper.make_node("Add", ["x", "c"], ["y"], name="add_ext")
        graph = helper.make_graph(
            [node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [t])
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
                  os.path.join(out, name + ".onnx"))


def huge(out):
    """ConstantOfShape with a shape whose element count overflows int64."""
    shape = numpy_helper.from_array(np.array([1 << 40, 1 << 40], dtype=np.int64), "s")
    node = helper.make_node("ConstantOfShape", ["s"], ["y"], name="huge_cos")
    graph = helper.make_graph([node], "huge", [],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [shape])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
              os.path.join(out, "huge.onnx"))


def shape_subgraph(out):
    """Flatten by Shape -> Gather -> Unsqueeze -> Concat -> Reshape with a symbolic batch:
    the batch part stays dynamic, the rest folds."""
    nodes = [
        helper.make_node("Shape", ["x"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "i0"], ["n"], axis=0, name="gather"),
        helper.make_node("Unsqueeze", ["n", "ax"], ["nu"], name="unsq"),
        helper.make_node("Concat", ["nu", "m1"], ["ns"], axis=0, name="concat"),
        helper.make_node("Reshape", ["x", "ns"], ["y"], name="reshape"),
    ]
    init = [numpy_helper.from_array(np.array(0, dtype=np.int64), "i0"),
            numpy_helper.from_array(np.array([0], dtype=np.int64), "ax"),
            numpy_helper.from_array(np.array([-1], dtype=np.int64), "m1")]
    graph = helper.make_graph(
        nodes, "shape_subgraph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 6])], init)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(out, "shape_subgraph.onnx"))


def inplace_chain(out):
    """Elementwise chain y = Tanh(Sigmoid(x) + b) * k, every dim symbolic: each step may
    write over its input's buffer (the test changes the broadcast direction between runs)."""
    sym = lambda p: [p + "0", p + "1", p + "2", p + "3"]
    nodes = [
        helper.make_node("Sigmoid", ["x"], ["s"], name="sig"),
        helper.make_node("Add", ["s", "b"], ["a"], name="add"),
        helper.make_node("Tanh", ["a"], ["t"], name="tanh"),
        helper.make_node("Mul", ["t", "k"], ["y"], name="mul"),
    ]
    init = [numpy_helper.from_array(np.array([1.5], dtype=np.float32), "k")]
    graph = helper.make_graph(
        nodes, "inplace_chain",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, sym("x")),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, sym("b"))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, sym("y"))], init)
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
         os.path.join(out, "inplace_chain.onnx"))


def reference_ops(out):
    """Ops that run on reference kernels with scratch buffers: a 3-D Conv, TopK, and a Pad
    whose pads are computed at run time (all zero: Expand of a data-dependent 0). The
    allocation test (test_alloc) checks their steady-state runs allocate nothing."""
    rng = np.random.default_rng(5)
    w = numpy_helper.from_array(rng.standard_normal((3, 2, 3, 3, 3)).astype(np.float32), "w")
    k = numpy_helper.from_array(np.array([7], dtype=np.int64), "k")
    big = numpy_helper.from_array(np.array(1e30, dtype=np.float32), "big")
    four = numpy_helper.from_array(np.array([4], dtype=np.int64), "four")
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], pads=[1] * 6),
        helper.make_node("Flatten", ["c"], ["f"], axis=1),
        helper.make_node("TopK", ["f", "k"], ["v", "i"]),
        helper.make_node("ReduceMax", ["f"], ["m"], keepdims=0),
        helper.make_node("Greater", ["m", "big"], ["gt"]),
        helper.make_node("Cast", ["gt"], ["z"], to=TensorProto.INT64),
        helper.make_node("Expand", ["z", "four"], ["pads"]),
        helper.make_node("Pad", ["v", "pads"], ["y"], mode="reflect"),
    ]
    g = helper.make_graph(
        nodes, "reference_ops", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 5, 6])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 7]),
         helper.make_tensor_value_info("i", TensorProto.INT64, [1, 7])], [w, k, big, four])
    save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]),
         os.path.join(out, "reference_ops.onnx"))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    small_cnn(out)
    simple(out, "relu", "Relu")
    simple(out, "unknown_op", "FrobnicateTensor")
    simple(out, "custom_domain", "MyOp", domain="com.example")
    simple(out, "missing_value", "Add", inputs=("x", "nowhere"))
    simple(out, "future_opset", "Relu", opset=40)
    external(out)
    huge(out)
    shape_subgraph(out)
    inplace_chain(out)
    mul_tiny(out)
    reference_ops(out)
    with open(os.path.join(out, "small_cnn.onnx"), "rb") as f:
        data = f.read()
    with open(os.path.join(out, "truncated.onnx"), "wb") as f:
        f.write(data[: len(data) // 2])
    rng = np.random.default_rng(7)
    with open(os.path.join(out, "garbage.onnx"), "wb") as f:
        f.write(rng.integers(0, 256, 4096, dtype=np.uint8).tobytes())


if __name__ == "__main__":
    main()
