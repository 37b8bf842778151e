#!/usr/bin/python3
"""make_models.py OUTDIR - tiny ONNX models, .npy inputs and numpy reference outputs for
tests/cli/test_cli.sh. Generated at test time: no .onnx or .npy is committed.

Needs the onnx and numpy Python packages (Debian: python3-onnx, python3-numpy); opset 13
keeps it within what onnx 1.12 knows. Prints the Conv geometry used, so the shell test
computes the expected MACs itself from the textbook formula, not from this script.
"""
import os
import random
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13

# Conv geometry (also read by test_cli.sh from conv_geometry.txt).
N, C, H, W = 1, 3, 9, 9
M, K, PAD, STRIDE = 4, 3, 1, 2
HO = (H + 2 * PAD - K) // STRIDE + 1
WO = (W + 2 * PAD - K) // STRIDE + 1


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, path)


def conv_ref(x, w, b):
    """Direct convolution (NCHW, group 1) in numpy: the reference for the run test."""
    xp = np.pad(x, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)))
    y = np.zeros((N, M, HO, WO), dtype=np.float64)
    for m in range(M):
        for i in range(HO):
            for j in range(WO):
                patch = xp[:, :, i * STRIDE:i * STRIDE + K, j * STRIDE:j * STRIDE + K]
                y[:, m, i, j] = (patch * w[m]).sum(axis=(1, 2, 3)) + b[m]
    return y.astype(np.float32)


def main(out):
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(1234)

    # conv.onnx: x -> Conv -> Relu -> "y/out:0" (a name that is not file-safe) and
    # -> Sigmoid -> "y_out_0" (the safe name the first one maps to: collision).
    w = (rng.standard_normal((M, C, K, K)) * 0.5).astype(np.float32)
    b = rng.standard_normal(M).astype(np.float32)
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv0", kernel_shape=[K, K],
                         pads=[PAD] * 4, strides=[STRIDE] * 2),
        helper.make_node("Relu", ["c"], ["y/out:0"], name="relu0"),
        helper.make_node("Sigmoid", ["c"], ["y_out_0"], name="sig0"),
    ]
    g = helper.make_graph(
        nodes, "conv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [N, C, H, W])],
        [helper.make_tensor_value_info("y/out:0", TensorProto.FLOAT, [N, M, HO, WO]),
         helper.make_tensor_value_info("y_out_0", TensorProto.FLOAT, [N, M, HO, WO])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)],
                          producer_name="edgert-cli-test", producer_version="1.0")
    m.ir_version = 7
    save(m, f"{out}/conv.onnx")

    x = rng.random((N, C, H, W), dtype=np.float32)
    np.save(f"{out}/x.npy", x)
    c = conv_ref(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64))
    np.save(f"{out}/ref_relu.npy", np.maximum(c, 0).astype(np.float32))
    np.save(f"{out}/ref_sigmoid.npy", (1 / (1 + np.exp(-c.astype(np.float64)))).astype(np.float32))
    np.save(f"{out}/x_f64.npy", x.astype(np.float64))                  # wrong dtype
    np.save(f"{out}/x_shape.npy", rng.random((N, C, H - 1, W), dtype=np.float32))  # wrong shape
    np.save(f"{out}/x_rank.npy", rng.random((C, H, W), dtype=np.float32))  # wrong rank
    np.save(f"{out}/x_fortran.npy", np.asfortranarray(x))               # fortran_order True
    np.save(f"{out}/x_be.npy", x.astype(">f4"))                         # big-endian: accepted
    with open(f"{out}/x_v2.npy", "wb") as f:                            # header version 2.0
        np.lib.format.write_array(f, x, version=(2, 0))
    with open(f"{out}/x.npy", "rb") as f:
        data = f.read()
    with open(f"{out}/x_trunc.npy", "wb") as f:                         # 20 bytes short
        f.write(data[:-20])
    with open(f"{out}/x_trunc_header.npy", "wb") as f:                  # ends inside header
        f.write(data[:30])

    # Broken model files.
    with open(f"{out}/conv.onnx", "rb") as f:
        model_bytes = f.read()
    with open(f"{out}/truncated.onnx", "wb") as f:
        f.write(model_bytes[:len(model_bytes) * 6 // 10])
    r = random.Random(42)
    with open(f"{out}/garbage.onnx", "wb") as f:
        f.write(bytes(r.randrange(256) for _ in range(4096)))

    # dyn.onnx: symbolic batch: x [batch, 4] -> Relu -> y.
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")], "dyn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 7
    save(m, f"{out}/dyn.onnx")
    # dyn_dotted.onnx: an exporter's symbol name (paddle2onnx style) next to fixed dims.
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"], name="relu")], "dyn_dotted",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["p2o.DynamicDimension.0", 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["p2o.DynamicDimension.0", 3])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 7
    save(m, f"{out}/dyn_dotted.onnx")
    xd = (rng.random((3, 4), dtype=np.float32) - 0.5)
    np.save(f"{out}/xd.npy", xd)
    np.save(f"{out}/ref_dyn.npy", np.maximum(xd, 0))

    # ints.onnx: int64 a [2, 3] + constant -> y; bool mask -> Not -> z.
    k = np.arange(6, dtype=np.int64).reshape(2, 3) * 100
    g = helper.make_graph(
        [helper.make_node("Add", ["a", "k"], ["y"], name="add"),
         helper.make_node("Not", ["mask"], ["z"], name="not")], "ints",
        [helper.make_tensor_value_info("a", TensorProto.INT64, [2, 3]),
         helper.make_tensor_value_info("mask", TensorProto.BOOL, [5])],
        [helper.make_tensor_value_info("y", TensorProto.INT64, [2, 3]),
         helper.make_tensor_value_info("z", TensorProto.BOOL, [5])],
        [numpy_helper.from_array(k, "k")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 7
    save(m, f"{out}/ints.onnx")
    a = rng.integers(-50, 50, size=(2, 3), dtype=np.int64)
    mask = np.array([True, False, True, True, False])
    np.save(f"{out}/a.npy", a)
    np.save(f"{out}/mask.npy", mask)
    np.save(f"{out}/ref_y.npy", a + k)
    np.save(f"{out}/ref_z.npy", ~mask)

    # unsupported.onnx: a custom-domain op edgert cannot know, and Gelu at opset 13
    # (ai.onnx added Gelu in opset 20: an op edgert has, at a version it lacks).
    g = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["r"], name="relu"),
         helper.make_node("Gelu", ["r"], ["q"], name="old_gelu"),
         helper.make_node("FancyOp", ["q"], ["y"], name="my_fancy_node", domain="com.example")],
        "unsupported",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET),
                                            helper.make_opsetid("com.example", 1)])
    m.ir_version = 7
    onnx.save(m, f"{out}/unsupported.onnx")  # no checker: it does not know FancyOp

    # mlp.onnx: MACs of Gemm (transB) and MatMul: x [2, 8] -> Gemm(W [16, 8]) -> MatMul([16, 4]).
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], name="fc1", transB=1),
         helper.make_node("MatMul", ["h", "w2"], ["y"], name="mm2")], "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])],
        [numpy_helper.from_array(rng.random((16, 8), dtype=np.float32), "w1"),
         numpy_helper.from_array(rng.random(16, dtype=np.float32), "b1"),
         numpy_helper.from_array(rng.random((16, 4), dtype=np.float32), "w2")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 7
    save(m, f"{out}/mlp.onnx")

    # dynconv.onnx: Conv on [N, 3, H, W] (MACs are a flagged minimum) and a ConvTranspose.
    g = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["y"], name="conv", kernel_shape=[3, 3]),
         helper.make_node("ConvTranspose", ["t", "wt"], ["z"], name="deconv",
                          kernel_shape=[3, 3])], "dynconv",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, "H", "W"]),
         helper.make_tensor_value_info("t", TensorProto.FLOAT, [1, 4, 5, 5])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 8, "Ho", "Wo"]),
         helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 2, 7, 7])],
        [numpy_helper.from_array(rng.random((8, 3, 3, 3), dtype=np.float32), "w"),
         numpy_helper.from_array(rng.random((4, 2, 3, 3), dtype=np.float32), "wt")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 7
    save(m, f"{out}/dynconv.onnx")

    # dtypes.onnx: Identity of every dtype the .npy reader maps: round trip in -> out.
    dts = [("u8", TensorProto.UINT8, np.uint8), ("i8", TensorProto.INT8, np.int8),
           ("i32", TensorProto.INT32, np.int32), ("f16", TensorProto.FLOAT16, np.float16),
           ("f64", TensorProto.DOUBLE, np.float64)]
    g = helper.make_graph(
        [helper.make_node("Identity", [f"in_{n}"], [f"out_{n}"], name=f"id_{n}") for n, _, _ in dts],
        "dtypes",
        [helper.make_tensor_value_info(f"in_{n}", t, [3, 2]) for n, t, _ in dts],
        [helper.make_tensor_value_info(f"out_{n}", t, [3, 2]) for n, t, _ in dts])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 7
    save(m, f"{out}/dtypes.onnx")
    for n, _, npt in dts:
        np.save(f"{out}/in_{n}.npy", (rng.random((3, 2)) * 100 - 20).astype(npt))

    # share.onnx: two inputs with the same symbolic dim 'n': one sizes the other.
    g = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["y"], name="add")], "share",
        [helper.make_tensor_value_info("a", TensorProto.FLOAT, ["n", 2]),
         helper.make_tensor_value_info("b", TensorProto.FLOAT, ["n", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 2])])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 7
    save(m, f"{out}/share.onnx")
    np.save(f"{out}/a5.npy", rng.random((5, 2), dtype=np.float32))

    # gather.onnx: indices out of range are a run-time error (exit 4).
    g = helper.make_graph(
        [helper.make_node("Gather", ["data", "idx"], ["y"], name="gather", axis=0)], "gather",
        [helper.make_tensor_value_info("idx", TensorProto.INT64, [2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
        [numpy_helper.from_array(np.arange(6, dtype=np.float32).reshape(2, 3), "data")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)])
    m.ir_version = 7
    save(m, f"{out}/gather.onnx")
    np.save(f"{out}/idx_bad.npy", np.array([0, 7], dtype=np.int64))
    np.save(f"{out}/idx_ok.npy", np.array([1, 0], dtype=np.int64))

    with open(f"{out}/conv_geometry.txt", "w") as f:
        f.write(f"{N} {C} {H} {W} {M} {K} {PAD} {STRIDE}\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_models.py OUTDIR")
    main(sys.argv[1])
