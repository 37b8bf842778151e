#!/usr/bin/python3
"""Writes the control-flow model of the fault-injection test (tests/fault/test_fault.c).

    /usr/bin/python3 tests/fault/make_models.py OUTDIR

control_seq.onnx: x [2,3] float -> Loop (3 iterations; the body captures x, adds the
iteration number and appends to a sequence carried through the loop) ->
ConcatFromSequence -> If (ReduceSum(x) > 0: Relu, else Neg) -> y [6,3]; plus
SequenceLength of the sequence. Loaded with fold_constants = 0, every op runs at run
time, so the fail-N-th test reaches the subgraph executor and the sequence ops.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def body():
    i = helper.make_tensor_value_info("i", TensorProto.INT64, [])
    cond = helper.make_tensor_value_info("cond", TensorProto.BOOL, [])
    seq_in = helper.make_tensor_sequence_value_info("seq_in", TensorProto.FLOAT, [2, 3])
    cond_out = helper.make_tensor_value_info("cond_out", TensorProto.BOOL, [])
    seq_out = helper.make_tensor_sequence_value_info("seq_out", TensorProto.FLOAT, [2, 3])
    nodes = [
        helper.make_node("Identity", ["cond"], ["cond_out"]),
        helper.make_node("Cast", ["i"], ["fi"], to=TensorProto.FLOAT),
        helper.make_node("Add", ["x", "fi"], ["xi"]),
        helper.make_node("SequenceInsert", ["seq_in", "xi"], ["seq_out"]),
    ]
    return helper.make_graph(nodes, "body", [i, cond, seq_in], [cond_out, seq_out])


def branch(op, name):
    out = helper.make_tensor_value_info(name + "_y", TensorProto.FLOAT, [2, 3])
    return helper.make_graph([helper.make_node(op, ["cat"], [name + "_y"])], name, [], [out])


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    n = helper.make_tensor_value_info("n", TensorProto.INT64, [])
    inits = [numpy_helper.from_array(np.array(3, dtype=np.int64), "M"),
             numpy_helper.from_array(np.array(True), "c0"),
             numpy_helper.from_array(np.array(0.0, dtype=np.float32), "zero")]
    nodes = [
        helper.make_node("SequenceEmpty", [], ["s0"], dtype=TensorProto.FLOAT),
        helper.make_node("Loop", ["M", "c0", "s0"], ["s"], body=body()),
        helper.make_node("ConcatFromSequence", ["s"], ["cat"], axis=0),
        helper.make_node("SequenceLength", ["s"], ["n"]),
        helper.make_node("ReduceSum", ["x"], ["sx"], keepdims=0),
        helper.make_node("Greater", ["sx", "zero"], ["pos"]),
        helper.make_node("If", ["pos"], ["y"], then_branch=branch("Relu", "then"),
                         else_branch=branch("Neg", "else")),
    ]
    g = helper.make_graph(nodes, "control_seq", [x], [y, n], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, os.path.join(out_dir, "control_seq.onnx"))


if __name__ == "__main__":
    main()
