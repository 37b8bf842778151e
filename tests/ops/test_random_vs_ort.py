#!/usr/bin/python3
"""Randomized differential test of the vision-relevant ops: edgert vs ONNX Runtime.

    /usr/bin/python3 tests/ops/test_random_vs_ort.py [--seed S|random] [--cases N]
        [--ops LIST] [--edgert BIN] [--workdir DIR] [-j JOBS] [--only IDS] [-v]

For every op a generator draws N random single-node (or 2-3 node) cases with random but
valid attribute combinations, shapes and opsets (edge cases included: size-1 dims, odd
sizes, asymmetric pads, dilation > 1, stride > kernel, depthwise groups, auto_pad,
ceil_mode, negative axes/steps/pads, keepdims, broadcasting, empty dims). Cases are
deterministic per (seed, op). Without --seed (CI) every op family runs its own
SEEDS_PER_FAMILY fixed seeds (family_seeds: seed 1 and three derived from the family's
name), --cases split between them; --seed S runs seed S for all, --seed random draws
one and prints it. A failure prints the command that reruns it alone. Cases of one op
and opset are batched into one multi-output model (names prefixed s<seed>c<i>_) so each
engine starts once per batch; a batch that one engine refuses as a whole is re-run case
by case to find the culprit.

"Spec" cases (spec_cases) are fixed cases where ONNX Runtime departs from the spec:
their expectation is numpy code of the spec's formula, they run on edgert alone. A
failure a random seed finds becomes one of them when ORT is the one departing (and the
generator's exclusion is narrowed to exactly that case), else a fix in edgert.

Comparison: same shape and dtype; float max abs err <= 1e-4 * max|ORT| + 1e-5, NaN
where ORT has NaN; int/bool exact. A case ONNX Runtime refuses (load or run error) is a
skip, counted separately. ORT deviations from the ONNX spec are excluded in the
generators (see the comments marked "ORT deviation").

Prints one line per failing case and "N passed, M failed, K skipped (ORT refused)";
exit 1 on a failure, 2 on a setup error.
"""
import argparse
import concurrent.futures
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    from onnx import TensorProto, helper, numpy_helper
except ImportError:
    print("test_random_vs_ort.py: needs the onnx Python module")
    sys.exit(2)

F32 = np.float32
I64 = np.int64
NP2ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.float64): TensorProto.DOUBLE,
           np.dtype(np.int64): TensorProto.INT64, np.dtype(np.int32): TensorProto.INT32,
           np.dtype(np.int8): TensorProto.INT8, np.dtype(np.uint8): TensorProto.UINT8,
           np.dtype(np.bool_): TensorProto.BOOL, np.dtype(np.float16): TensorProto.FLOAT16}
BIG = 2 ** 62


class Case:
    """One test case: a few nodes with prefixed names, its feeds, initializers, outputs."""

    def __init__(self, op, opset, pfx):
        self.op, self.opset, self.p = op, opset, pfx
        self.nodes, self.feeds, self.inits, self.outs = [], {}, {}, []
        self.desc = {}
        self.n = 0
        self.expect = {}  # output name -> numpy expectation (spec cases: no ORT)
        self.seed = None

    def _name(self, tag):
        self.n += 1
        return "%s%s%d" % (self.p, tag, self.n)

    def inp(self, arr, const=False):
        """A graph input (const=False) or an initializer."""
        arr = np.ascontiguousarray(arr)
        nm = self._name("k" if const else "x")
        (self.inits if const else self.feeds)[nm] = arr
        self.desc.setdefault("shapes", []).append(list(arr.shape))
        return nm

    def node(self, op, ins, nout=1, **attrs):
        outs = [self._name("y") for _ in range(nout)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(helper.make_node(op, ins, outs, **attrs))
        if op == self.op or getattr(self, "key", None) == "Spec":
            self.desc.setdefault("attrs", {}).update(attrs)
        return outs

    def out(self, name, dtype=F32):
        self.outs.append((name, np.dtype(dtype)))

    def text(self):
        a = self.desc.get("attrs", {})
        ex = self.desc.get("extra", "")
        return "%s opset %d attrs %s shapes %s%s" % (
            self.op, self.opset, a, self.desc.get("shapes"), (" " + ex) if ex else "")


def rn(r, *shape, lo=None, hi=None):
    if lo is not None:
        return np.asarray(r.uniform(lo, hi, size=shape), F32)
    return np.asarray(r.standard_normal(shape), F32)


def pick(r, seq):
    return seq[r.randint(len(seq))]


def maybe(r, p=0.5):
    return r.random_sample() < p


# ---------------------------------------------------------------------------------------
# Generators: g(r, c) fills Case c (c.opset already drawn from OPS[op][1]).
# ---------------------------------------------------------------------------------------

def same_total(n, s, eff):
    """auto_pad SAME_*: the spec's total padding of one axis, (ceil(n/s) - 1)*s + eff - n;
    negative when the stride exceeds the dilated kernel (docs/PADDING.md)."""
    return (-(-n // s) - 1) * s + eff - n


def spec_same_begin(total, mode):
    """The spec's (and the ONNX reference's) begin pad: floor split, odd unit at the end
    for SAME_UPPER, at the beginning for SAME_LOWER."""
    return total // 2 if mode == "SAME_UPPER" else total - total // 2


def ort_pool_same_begin(total, mode):
    """ONNX Runtime's pools: the same formula in C, whose division truncates toward zero."""
    def cdiv2(v):
        return -((-v) // 2) if v < 0 else v // 2
    return cdiv2(total) if mode == "SAME_UPPER" else cdiv2(total + 1)


def _pool_geom(r, nd, allow_dil, pads_lt_kernel):
    k = [int(r.randint(1, 4)) for _ in range(nd)]
    s = [int(pick(r, [1, 1, 2, 3, 4])) for _ in range(nd)]
    d = [int(pick(r, [1, 1, 2, 3])) for _ in range(nd)] if allow_dil else [1] * nd
    return k, s, d


def _conv_like(r, c, transpose):
    nd = pick(r, [1, 2, 2, 2, 3])
    gkind = pick(r, ["1", "1", "g", "dw"])
    if gkind == "dw":
        g = int(r.randint(1, 6)); cpg = 1; mpg = pick(r, [1, 1, 2])
    elif gkind == "g":
        g = int(r.randint(2, 4)); cpg = int(r.randint(1, 4)); mpg = int(r.randint(1, 4))
    else:
        g = 1; cpg = int(r.randint(1, 5)); mpg = int(r.randint(1, 5))
    C, M = g * cpg, g * mpg
    k, s, d = _pool_geom(r, nd, True, False)
    sp = [int(r.randint(1, 9)) for _ in range(nd)]
    mode = pick(r, ["pads", "pads", "none", "SAME_UPPER", "SAME_LOWER", "VALID"])
    attrs = {}
    if maybe(r, 0.7):
        attrs["kernel_shape"] = k
    if s != [1] * nd or maybe(r):
        attrs["strides"] = s
    if d != [1] * nd or maybe(r):
        attrs["dilations"] = d
    if g != 1 or maybe(r, 0.2):
        attrs["group"] = g
    eff = [(k[i] - 1) * d[i] + 1 for i in range(nd)]
    pads = [0] * (2 * nd)
    if mode == "pads":
        pads = [int(r.randint(0, eff[i % nd] + (0 if transpose else 1))) for i in range(2 * nd)]
        if transpose:
            pads = [min(p, eff[i % nd] - 1) for i, p in enumerate(pads)]
        attrs["pads"] = pads
    elif mode != "none":
        attrs["auto_pad"] = mode
    if not transpose:
        for i in range(nd):
            need = eff[i] - (pads[i] + pads[i + nd] if mode in ("pads", "none") else 0)
            if mode in ("SAME_UPPER", "SAME_LOWER"):
                need = 1
            sp[i] = max(sp[i], need)
        if mode.startswith("SAME"):
            # ORT deviation: with a negative SAME total padding (stride > dilated kernel;
            # docs/PADDING.md) ORT's Conv places the windows elsewhere than the spec's
            # floor split (k=1 s=4 on width 8: ORT reads columns 1, 5 (SAME_UPPER) or 0, 4
            # (SAME_LOWER); the spec 2, 6 or 1, 5). It agrees only where the spec's begin
            # pad is 0 (SAME_LOWER, total -1). Elsewhere stride <= dilated kernel.
            for i in range(nd):
                tot = same_total(sp[i], s[i], eff[i])
                if tot < 0 and spec_same_begin(tot, mode) != 0:
                    s[i] = eff[i]
            attrs["strides"] = s
    N = int(r.randint(1, 3))
    x = c.inp(rn(r, N, C, *sp))
    wshape = (M, cpg) + tuple(k) if not transpose else (C, mpg) + tuple(k)
    w = c.inp(rn(r, *wshape), const=maybe(r, 0.8))
    ins = [x, w]
    if maybe(r, 0.6):
        ins.append(c.inp(rn(r, M), const=maybe(r, 0.8)))
    if transpose:
        if maybe(r, 0.4):
            attrs["output_padding"] = [int(r.randint(0, max(s[i], d[i]))) for i in range(nd)]
        with_os = maybe(r, 0.3)
        if mode.startswith("SAME") and not with_os:
            # ORT deviation: ConvTranspose auto_pad SAME_* clamps a negative total padding
            # (stride > dilated kernel + output_padding) to 0, giving s*(in-1)+op+kernel
            # outputs instead of the spec's in*stride. Exactly those axes get
            # stride = dilated kernel + output_padding (still > output_padding). (With
            # output_shape, drawn <= the full size below, the total is >= 0.)
            op_ = attrs.get("output_padding", [0] * nd)
            for i in range(nd):
                if s[i] > eff[i] + op_[i]:
                    s[i] = eff[i] + op_[i]
            attrs["strides"] = s
        if with_os:
            op_ = attrs.get("output_padding", [0] * nd)
            full = [s[i] * (sp[i] - 1) + op_[i] + eff[i] for i in range(nd)]
            attrs["output_shape"] = [int(max(1, full[i] - r.randint(0, 3))) for i in range(nd)]
            if maybe(r, 0.3):  # with N, C leading dims
                attrs["output_shape"] = [N, M] + attrs["output_shape"]
    y, = c.node("ConvTranspose" if transpose else "Conv", ins, **attrs)
    c.out(y)


def g_conv(r, c):
    _conv_like(r, c, False)


def g_convtranspose(r, c):
    _conv_like(r, c, True)


def _pool(r, c, op):
    nd = pick(r, [1, 2, 2, 2, 3])
    dil_ok = (op == "MaxPool" and c.opset >= 10) or (op == "AveragePool" and c.opset >= 19) or \
        (op == "LpPool" and c.opset >= 18)
    k, s, d = _pool_geom(r, nd, dil_ok, True)
    attrs = {"kernel_shape": k}
    if s != [1] * nd or maybe(r):
        attrs["strides"] = s
    if dil_ok and (d != [1] * nd or maybe(r, 0.2)):
        attrs["dilations"] = d
    eff = [(k[i] - 1) * d[i] + 1 for i in range(nd)]
    mode = pick(r, ["pads", "pads", "none", "SAME_UPPER", "SAME_LOWER", "VALID"])
    if mode.startswith("SAME") and "dilations" in attrs:
        # ORT deviation: MaxPool / AveragePool-19 auto_pad SAME_* computes the padding from the undilated
        # kernel (wrong output size / window placement when dilation > 1; spec: output
        # ceil(in/stride), pads from the dilated kernel). Not compared.
        del attrs["dilations"]
        d = [1] * nd
        eff = list(k)
    pads = [0] * (2 * nd)
    if mode == "pads":
        # ONNX Runtime refuses a pad >= the kernel ("Pad should be smaller than kernel");
        # the spec sets no such limit, so those cases would only be ORT skips
        pads = [int(r.randint(0, k[i % nd])) for i in range(2 * nd)]
        attrs["pads"] = pads
    elif mode != "none":
        attrs["auto_pad"] = mode
    # ORT deviation: AveragePool-19 applies ceil_mode to auto_pad=VALID (the spec's VALID
    # output size ceil((in - dilated_kernel + 1) / stride) has no ceil_mode). Not with VALID.
    if c.opset >= 10 and maybe(r, 0.4) and mode != "VALID" and (op != "LpPool" or c.opset >= 18):
        attrs["ceil_mode"] = 1
    if op == "AveragePool" and maybe(r, 0.5):
        attrs["count_include_pad"] = 1
    if op == "LpPool" and maybe(r, 0.7):
        attrs["p"] = int(pick(r, [1, 2, 3]))
    sp = [int(r.randint(1, 10)) for _ in range(nd)]
    for i in range(nd):
        need = 1 if mode.startswith("SAME") else eff[i] - (pads[i] + pads[i + nd])
        sp[i] = max(sp[i], need)
    if mode.startswith("SAME"):
        # A negative SAME total padding (stride > dilated kernel; docs/PADDING.md) crops:
        # the spec's floor split starts the first window -begin inside the input.
        # MaxPool and AveragePool < 19 in ORT refuse it ("padding values must be
        # non-negative": a skip). ORT deviation: AveragePool-19 and LpPool compute the
        # split with C division (truncation), which moves the odd unit to the other side
        # (k=1 s=4 on width 8, SAME_UPPER: ORT reads columns 1, 5, the spec 2, 6):
        # exactly the axes where the two begin pads differ get stride = dilated kernel.
        for i in range(nd):
            tot = same_total(sp[i], s[i], eff[i])
            if tot < 0 and spec_same_begin(tot, mode) != ort_pool_same_begin(tot, mode):
                s[i] = eff[i]
        attrs["strides"] = s
    x = c.inp(rn(r, int(r.randint(1, 3)), int(r.randint(1, 4)), *sp))
    nout = 1
    all_pad_window = d != [1] * nd and (any(pads) or attrs.get("ceil_mode"))
    # a window wholly in the padding (dilation > 1): ORT's Indices there are garbage
    # (-8), edgert's 0; undefined by the spec. No Indices output then.
    if op == "MaxPool" and maybe(r, 0.5) and not all_pad_window:
        nout = 2
        if maybe(r, 0.5):
            attrs["storage_order"] = int(r.randint(0, 2))
    ys = c.node(op, [x], nout, **attrs)
    c.out(ys[0])
    if nout == 2:
        c.out(ys[1], I64)


def g_maxpool(r, c):
    _pool(r, c, "MaxPool")


def g_averagepool(r, c):
    _pool(r, c, "AveragePool")


def g_lppool(r, c):
    _pool(r, c, "LpPool")


def g_globalpool(r, c):
    nd = pick(r, [0, 1, 2, 2, 3])
    x = c.inp(rn(r, int(r.randint(1, 3)), int(r.randint(1, 5)), *[int(r.randint(1, 7)) for _ in range(nd)]))
    op = pick(r, ["GlobalAveragePool", "GlobalMaxPool"])
    c.op = op
    y, = c.node(op, [x])
    c.out(y)


def g_batchnorm(r, c):
    rank = pick(r, [2, 3, 4, 4, 5])
    C = int(r.randint(1, 6))
    shape = [int(r.randint(1, 4)), C] + [int(r.randint(1, 6)) for _ in range(rank - 2)]
    cst = maybe(r, 0.7)
    ins = [c.inp(rn(r, *shape)), c.inp(rn(r, C), cst), c.inp(rn(r, C), cst),
           c.inp(rn(r, C), cst), c.inp(rn(r, C, lo=0.1, hi=3), cst)]
    attrs = {}
    if maybe(r):
        attrs["epsilon"] = float(pick(r, [1e-5, 1e-3, 0.1]))
    if maybe(r, 0.3):
        attrs["momentum"] = 0.8
    y, = c.node("BatchNormalization", ins, **attrs)
    c.out(y)


def g_instancenorm(r, c):
    rank = pick(r, [3, 4, 4, 5])
    C = int(r.randint(1, 5))
    shape = [int(r.randint(1, 3)), C] + [int(r.randint(1, 6)) for _ in range(rank - 2)]
    if int(np.prod(shape[2:])) == 1:
        # one value per instance: var = 0, so the output is B plus rounding noise of
        # x - mean amplified by 1/sqrt(epsilon) (both engines, ~1e-4): not a semantic case
        shape[-1] = 2
    x = rn(r, *shape) * 3 + 1
    y, = c.node("InstanceNormalization", [c.inp(x), c.inp(rn(r, C), True), c.inp(rn(r, C), True)],
                epsilon=float(pick(r, [1e-5, 1e-2])) if maybe(r) else None)
    c.out(y)


def g_layernorm(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 6)) for _ in range(rank)]
    axis = int(r.randint(-rank, rank))
    a = axis % rank
    sshape = shape[a:]
    if maybe(r, 0.3):  # broadcastable scale (leading 1s dropped / set to 1)
        sshape = [1 if (i == 0 and len(sshape) > 1) else v for i, v in enumerate(sshape)]
    ins = [c.inp(rn(r, *shape)), c.inp(rn(r, *sshape), True)]
    if maybe(r, 0.6):
        ins.append(c.inp(rn(r, *sshape), True))
    nout = pick(r, [1, 1, 3])
    ys = c.node("LayerNormalization", ins, nout, axis=axis if (axis != -1 or maybe(r)) else None,
                epsilon=float(pick(r, [1e-5, 1e-2])) if maybe(r) else None)
    for y in ys:
        c.out(y)


def g_gemm(r, c):
    M, K, N = (int(r.randint(1, 7)) for _ in range(3))
    tA, tB = int(r.randint(0, 2)), int(r.randint(0, 2))
    A = rn(r, *((K, M) if tA else (M, K)))
    B = rn(r, *((N, K) if tB else (K, N)))
    ins = [c.inp(A), c.inp(B, maybe(r, 0.6))]
    if c.opset < 11 or maybe(r, 0.8):
        cs = pick(r, [(), (1,), (N,), (1, N), (M, 1), (M, N), (1, 1)])
        ins.append(c.inp(rn(r, *cs), maybe(r)))
    attrs = {}
    if tA or maybe(r, 0.2):
        attrs["transA"] = tA
    if tB or maybe(r, 0.2):
        attrs["transB"] = tB
    if maybe(r):
        attrs["alpha"] = float(pick(r, [0.5, -1.25, 2.0, 0.0]))
    if maybe(r):
        attrs["beta"] = float(pick(r, [0.5, -1.0, 3.0, 0.0]))
    y, = c.node("Gemm", ins, **attrs)
    c.out(y)


def g_matmul(r, c):
    kind = pick(r, ["2d", "batched", "bcast", "1d_a", "1d_b", "1d_both"])
    M, K, N = (int(r.randint(1, 7)) for _ in range(3))
    if kind == "2d":
        a, b = (M, K), (K, N)
    elif kind == "batched":
        bs = tuple(int(r.randint(1, 4)) for _ in range(r.randint(1, 3)))
        a, b = bs + (M, K), bs + (K, N)
    elif kind == "bcast":
        bs = [int(r.randint(1, 4)) for _ in range(r.randint(1, 3))]
        ba = tuple(v if maybe(r) else 1 for v in bs)
        bb = tuple(v if maybe(r) else 1 for v in bs)
        if maybe(r, 0.3):
            bb = bb[1:]
        if maybe(r, 0.2):
            ba = ()
        a, b = ba + (M, K), bb + (K, N)
    elif kind == "1d_a":
        a, b = (K,), tuple(int(r.randint(1, 3)) for _ in range(r.randint(0, 2))) + (K, N)
    elif kind == "1d_b":
        a, b = tuple(int(r.randint(1, 3)) for _ in range(r.randint(0, 2))) + (M, K), (K,)
    else:
        a, b = (K,), (K,)
    y, = c.node("MatMul", [c.inp(rn(r, *a)), c.inp(rn(r, *b), maybe(r, 0.4))])
    c.out(y)


def g_softmax(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 6)) for _ in range(rank)]
    op = pick(r, ["Softmax", "LogSoftmax"])
    c.op = op
    axis = int(r.randint(-rank, rank))
    y, = c.node(op, [c.inp(rn(r, *shape) * 3)], axis=axis if maybe(r, 0.8) else None)
    c.out(y)


REDUCES = ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1",
           "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare"]


def g_reduce(r, c):
    op = pick(r, REDUCES)
    c.op = op
    rank = int(r.randint(1, 5))
    shape = [int(pick(r, [1, 2, 3, 4, 5])) for _ in range(rank)]
    attrs = {}
    if maybe(r, 0.6):
        attrs["keepdims"] = int(r.randint(0, 2))
    # ORT deviations on zero-sized inputs: with keepdims=0 ORT's output shape keeps some
    # reduced axes (ReduceMean axes=all of [5,4,0,4] -> [5]); ReduceMean of an empty set
    # gives 0 (the reference, numpy, gives NaN); ReduceSum axes=[-1] of [4,0] gives [4,0], not [4,1]: no zero-sized inputs.
    x = rn(r, *shape, lo=0.2, hi=1.5) if op in ("ReduceLogSum", "ReduceProd") else rn(r, *shape)
    axes = None
    if maybe(r, 0.75):
        n = int(r.randint(1, rank + 1))
        axes = [int(a) - (rank if maybe(r, 0.4) else 0) for a in r.permutation(rank)[:n]]
    as_input = (c.opset >= 18) or (op == "ReduceSum" and c.opset >= 13)
    ins = [c.inp(x)]
    if as_input:
        if axes is not None:
            ins.append(c.inp(np.array(axes, I64), True))
        elif maybe(r, 0.3):
            ins.append(c.inp(np.zeros(0, I64), True))
        if maybe(r, 0.3):
            # with empty axes the composite reductions (L1, L2, LogSum, LogSumExp,
            # SumSquare) still apply their element-wise steps (ONNX 1.19+; ORT agrees)
            attrs["noop_with_empty_axes"] = int(r.randint(0, 2))
    elif axes is not None:
        attrs["axes"] = axes
    if 0 in shape and op in ("ReduceMax", "ReduceMin", "ReduceLogSum", "ReduceLogSumExp"):
        # empty max/min/log reduce: -inf/inf/-inf ; fine to compare
        pass
    y, = c.node(op, ins, **attrs)
    c.out(y)


def g_argmax(r, c):
    op = pick(r, ["ArgMax", "ArgMin"])
    c.op = op
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 6)) for _ in range(rank)]
    x = r.randint(-2, 3, size=shape).astype(F32)  # ties
    attrs = {"axis": int(r.randint(-rank, rank))} if maybe(r, 0.85) else {}
    if maybe(r, 0.6):
        attrs["keepdims"] = int(r.randint(0, 2))
    if c.opset >= 12 and maybe(r, 0.6):
        attrs["select_last_index"] = int(r.randint(0, 2))
    y, = c.node(op, [c.inp(x)], **attrs)
    c.out(y, I64)


def g_topk(r, c):
    rank = int(r.randint(1, 4))
    shape = [int(r.randint(1, 7)) for _ in range(rank)]
    axis = int(r.randint(-rank, rank))
    n = shape[axis]
    k = int(r.randint(0 if maybe(r, 0.1) else 1, n + 1))
    # small-integer values: ties must resolve to the lower index first (spec)
    x = r.randint(-3, 4, size=shape).astype(F32) if maybe(r) else rn(r, *shape)
    attrs = {}
    if axis != -1 or maybe(r):
        attrs["axis"] = axis
    if c.opset >= 11:
        if maybe(r):
            attrs["largest"] = int(r.randint(0, 2))
        # sorted=0 leaves the order unspecified: not compared
    ys = c.node("TopK", [c.inp(x), c.inp(np.array([k], I64), True)], 2, **attrs)
    c.out(ys[0])
    c.out(ys[1], I64)


def g_resize(r, c):
    op = c.opset
    mode = pick(r, ["nearest", "linear", "cubic"])
    ctms = ["half_pixel", "asymmetric", "pytorch_half_pixel", "align_corners", "tf_crop_and_resize"]
    if op < 13 or mode == "nearest":
        ctms.append("tf_half_pixel_for_nn") if op < 18 else None
    if op >= 19:
        ctms.append("half_pixel_symmetric")
    ctm = pick(r, ctms)
    if mode == "nearest" and ctm == "tf_crop_and_resize":
        # ORT deviation: nearest + tf_crop_and_resize tests the rounded index, not the
        # input coordinate, against the input bounds (x = -0.38 reads pixel 0 instead of
        # extrapolation_value). Not compared.
        ctm = "asymmetric"
    rank = 4 if (mode != "nearest" or maybe(r, 0.7)) else pick(r, [2, 3, 5])
    shape = [int(r.randint(1, 3)), int(r.randint(1, 4))] + [int(r.randint(1, 7)) for _ in range(rank - 2)]
    if rank < 4:
        shape = [int(r.randint(1, 7)) for _ in range(rank)]
    attrs = {"mode": mode}
    if ctm != "half_pixel" or maybe(r):
        attrs["coordinate_transformation_mode"] = ctm
    if mode == "nearest" and maybe(r, 0.7):
        attrs["nearest_mode"] = pick(r, ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"])
    if mode == "cubic":
        if maybe(r):
            attrs["cubic_coeff_a"] = float(pick(r, [-0.5, -0.75]))
        if maybe(r, 0.4):
            attrs["exclude_outside"] = 1
    if ctm == "tf_crop_and_resize" and maybe(r):
        attrs["extrapolation_value"] = float(pick(r, [0.0, -1.0, 2.5]))
    # which dims resize: spatial only (N, C scale 1) for linear/cubic
    resized = list(range(rank)) if rank < 4 else [2, 3]
    if rank == 4 and mode == "nearest" and maybe(r, 0.2):
        resized = [0, 1, 2, 3]
    axes = None
    if op >= 18 and maybe(r, 0.3):
        axes = resized if maybe(r) else [a - rank for a in resized]
        attrs["axes"] = axes
    if op >= 18 and mode != "nearest" and maybe(r, 0.3):
        attrs["antialias"] = 1
    use_sizes = maybe(r, 0.45)
    if ctm in ("align_corners", "tf_crop_and_resize"):
        # ORT deviation: ORT's "length_resized" in these two transforms is the integer
        # output length; the ONNX reference (and the official conformance tests, e.g.
        # test_resize_downsample_scales_linear_align_corners) use scale * input_length.
        # They agree when the product is an integer: drive these modes through sizes.
        use_sizes = True
    scales = [1.0] * rank
    sizes = list(shape)
    for a in resized:
        if use_sizes and mode == "nearest":
            # nearest: only exactly representable scales; with 0.6 or 5/6 the input
            # coordinate lands within an ulp of a rounding boundary and the float32 (ORT)
            # vs double (edgert) evaluation of the same formula picks neighbouring pixels
            sizes[a] = shape[a] * int(pick(r, [1, 2, 3, 4])) if maybe(r, 0.8) else \
                max(1, shape[a] // 2) if shape[a] % 2 == 0 else shape[a]
        elif use_sizes:
            sizes[a] = int(r.randint(1, 13))
            if ctm == "tf_crop_and_resize" and sizes[a] == shape[a]:
                # ORT deviation: an axis whose size does not change is copied as is, the
                # roi crop ignored. Not compared.
                sizes[a] += 1
        else:
            scales[a] = float(pick(r, [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 0.25] if mode == "nearest"
                                   else [0.5, 0.6, 1.0, 1.5, 2.0, 2.7, 3.0, 0.34, 4.0]))
    # ORT deviation: keep_aspect_ratio_policy with negative 'axes' leaves the input
    # unchanged (ORT does not normalise the axes there); only non-negative axes here.
    if use_sizes and op >= 18 and maybe(r, 0.3) and len(resized) > 1 and \
            (axes is None or min(axes) >= 0) and ctm not in ("align_corners", "tf_crop_and_resize"):
        attrs["keep_aspect_ratio_policy"] = pick(r, ["not_larger", "not_smaller"])
    x = c.inp(rn(r, *shape))
    nsel = len(axes) if axes is not None else rank
    sel = axes if axes is not None else list(range(rank))
    roi = ""
    if ctm == "tf_crop_and_resize":
        st = [float(r.uniform(-0.2, 0.6)) if (a % rank) in resized else 0.0 for a in sel]
        en = [float(r.uniform(0.5, 1.2)) if (a % rank) in resized else 1.0 for a in sel]
        roi = c.inp(np.array(st + en, F32), True)
    elif op < 13:
        roi = c.inp(np.zeros(0, F32), True)
    if use_sizes:
        sc = c.inp(np.zeros(0, F32), True) if op < 13 else ""
        ins = [x, roi, sc, c.inp(np.array([sizes[a % rank] for a in sel], I64), True)]
    else:
        ins = [x, roi, c.inp(np.array([scales[a % rank] for a in sel], F32), True)]
    while ins and ins[-1] == "":
        ins.pop()
    _ = nsel
    y, = c.node("Resize", ins, **attrs)
    c.out(y)


def g_pad(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 6)) for _ in range(rank)]
    mode = pick(r, ["constant", "reflect", "edge"] + (["wrap"] if c.opset >= 19 else []))
    axes = None
    if c.opset >= 18 and maybe(r, 0.4):
        n = int(r.randint(1, rank + 1))
        axes = [int(a) - (rank if maybe(r) else 0) for a in r.permutation(rank)[:n]]
    sel = [a % rank for a in axes] if axes is not None else list(range(rank))
    pads = []
    for half in range(2):
        for a in sel:
            lim = shape[a] - 1 if mode == "reflect" else (shape[a] if mode == "wrap" else 4)
            p = int(r.randint(0, max(lim, 0) + 1))
            if mode == "constant" and maybe(r, 0.2):
                p = -int(r.randint(0, shape[a] // 2 + 1))  # negative pad = crop
            pads.append(p)
    if mode in ("reflect", "edge", "wrap") and maybe(r, 0.15):
        # crop with edge/reflect/wrap too (legal: result stays non-empty)
        i = int(r.randint(len(pads)))
        a = sel[i % len(sel)]
        pads[i] = -int(r.randint(0, shape[a] // 2 + 1))
    if mode == "wrap":
        # ORT deviation: wrap with a negative end pad and a begin pad longer than what the
        # crop leaves (begin > dim + end) writes 0 into the first begin - (dim + end)
        # outputs (x=[a,b], pads=[2,-1] -> [0,a,a]; crop then wrap gives [a,a,a]). All
        # other negative pads agree. Exactly there begin = dim + end.
        n = len(sel)
        for j, a in enumerate(sel):
            b, e = pads[j], pads[n + j]
            if b > 0 and e < 0 and b > shape[a] + e:
                pads[j] = shape[a] + e
    x = c.inp(rn(r, *shape))
    attrs = {"mode": mode} if (mode != "constant" or maybe(r)) else {}
    cv = float(pick(r, [0.0, 1.5, -2.0]))
    if c.opset < 11:
        attrs["pads"] = pads
        if mode == "constant" and maybe(r):
            attrs["value"] = cv
        y, = c.node("Pad", [x], **attrs)
    else:
        ins = [x, c.inp(np.array(pads, I64), True)]
        if maybe(r, 0.6) or axes is not None:
            ins.append(c.inp(np.array(cv, F32), True) if maybe(r, 0.8) else "")
        if axes is not None:
            ins.append(c.inp(np.array(axes, I64), True))
        y, = c.node("Pad", ins, **attrs)
    c.out(y)


def g_slice(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 7)) for _ in range(rank)]
    n = int(r.randint(1, rank + 1))
    axes = [int(a) for a in r.permutation(rank)[:n]]
    if c.opset >= 11:
        axes = [a - rank if maybe(r, 0.4) else a for a in axes]
    starts, ends, steps = [], [], []
    for a in axes:
        d = shape[a]
        st = int(pick(r, [1, 1, 1, 2, 3, -1, -2])) if c.opset >= 10 else 1
        def bound():
            return int(pick(r, [0, 1, d - 1, d, -1, -d, -d - 3, d + 5, BIG, -BIG,
                                2 ** 63 - 1, -2 ** 63, int(r.randint(-d, d + 1))]))
        b1 = bound()
        if st < 0 and b1 == 2 ** 63 - 1:
            # ORT deviation: with a negative step, end = INT64_MAX is taken as "to the
            # end" (ORT returns 1 element of x[-4:MAX:-2] on a dim of 4, 4 of x[3:MAX:-1]);
            # the spec clamps end to dim-1 (empty, as numpy). Not compared.
            b1 = BIG
        starts.append(bound()); ends.append(b1); steps.append(st)
    x = c.inp(rn(r, *shape))
    if c.opset < 10:
        y, = c.node("Slice", [x], starts=starts, ends=ends, axes=axes if maybe(r, 0.8) or axes != list(range(n)) else None)
    else:
        ins = [x, c.inp(np.array(starts, I64), True), c.inp(np.array(ends, I64), True)]
        if axes != list(range(n)) or maybe(r, 0.6) or steps != [1] * n:
            ins.append(c.inp(np.array(axes, I64), True))
            if steps != [1] * n or maybe(r):
                ins.append(c.inp(np.array(steps, I64), True))
        y, = c.node("Slice", ins)
    c.out(y)


def g_gather(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 6)) for _ in range(rank)]
    axis = int(r.randint(-rank, rank))
    d = shape[axis]
    ish = [int(r.randint(1, 4)) for _ in range(int(r.randint(0, 3)))]
    idx = r.randint(-d, d, size=ish).astype(pick(r, [I64, I64, np.int32]))
    x = rn(r, *shape) if maybe(r, 0.8) else r.randint(-50, 50, size=shape).astype(I64)
    y, = c.node("Gather", [c.inp(x), c.inp(idx, maybe(r))], axis=axis if (axis or maybe(r)) else None)
    c.out(y, x.dtype)


def g_gatherelements(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 6)) for _ in range(rank)]
    axis = int(r.randint(-rank, rank))
    ish = [int(r.randint(1, v + 1)) for v in shape]
    ish[axis] = int(r.randint(1, 6))
    d = shape[axis]
    idx = r.randint(-d, d, size=ish).astype(I64)
    y, = c.node("GatherElements", [c.inp(rn(r, *shape)), c.inp(idx, maybe(r))], axis=axis)
    c.out(y)


def g_gathernd(r, c):
    rank = int(r.randint(1, 5))
    b = int(r.randint(0, rank)) if c.opset >= 12 else 0
    shape = [int(r.randint(1, 5)) for _ in range(rank)]
    q = int(r.randint(1, rank - b + 1))
    ish = shape[:b] + [int(r.randint(1, 4)) for _ in range(int(r.randint(0, 2)))] + [q]
    idx = np.zeros(ish, I64)
    for j in range(q):
        d = shape[b + j]
        idx[..., j] = r.randint(-d, d, size=ish[:-1])
    y, = c.node("GatherND", [c.inp(rn(r, *shape)), c.inp(idx, maybe(r))],
                batch_dims=b if (b or maybe(r, 0.2)) and c.opset >= 12 else None)
    c.out(y)


def _reduction(r, c):
    reds = ["none"]
    if c.opset >= 16:
        reds += ["add", "mul"]
    if c.opset >= 18:
        reds += ["max", "min"]
    return pick(r, reds)


def g_scatterelements(r, c):
    rank = int(r.randint(1, 4))
    shape = [int(r.randint(1, 6)) for _ in range(rank)]
    axis = int(r.randint(-rank, rank))
    a = axis % rank
    red = _reduction(r, c)
    ish = [int(r.randint(1, v + 1)) for v in shape]
    d = shape[a]
    if red == "none":
        # unique targets along the axis (duplicates are unspecified for 'none')
        keys = r.random_sample(ish[:a] + [d] + ish[a + 1:])
        idx = np.argsort(keys, axis=a).take(range(ish[a]), axis=a).astype(I64)
        idx = np.where(r.random_sample(idx.shape) < 0.3, idx - d, idx)
    else:
        ish[a] = int(r.randint(1, 7))
        idx = r.randint(-d, d, size=ish).astype(I64)
    attrs = {"axis": axis} if (axis or maybe(r)) else {}
    if red != "none" or maybe(r, 0.2) and c.opset >= 16:
        attrs["reduction"] = red
    y, = c.node("ScatterElements", [c.inp(rn(r, *shape)), c.inp(idx, maybe(r)), c.inp(rn(r, *ish))], **attrs)
    c.out(y)


def g_scatternd(r, c):
    rank = int(r.randint(1, 4))
    shape = [int(r.randint(1, 5)) for _ in range(rank)]
    q = int(r.randint(1, rank + 1))
    red = _reduction(r, c)
    total = int(np.prod(shape[:q]))
    nidx = int(r.randint(1, total + 1)) if red == "none" else int(r.randint(1, 7))
    flat = r.permutation(total)[:nidx] if red == "none" else r.randint(0, total, size=nidx)
    tup = np.stack(np.unravel_index(flat, shape[:q]), axis=-1).astype(I64)
    neg = r.random_sample(tup.shape) < 0.3
    tup = np.where(neg, tup - np.array(shape[:q]), tup)
    if maybe(r, 0.3) and nidx % 2 == 0:
        tup = tup.reshape(2, nidx // 2, q)
    ush = list(tup.shape[:-1]) + shape[q:]
    attrs = {"reduction": red} if red != "none" else {}
    y, = c.node("ScatterND", [c.inp(rn(r, *shape)), c.inp(tup, maybe(r)), c.inp(rn(r, *ush))], **attrs)
    c.out(y)


def g_transpose(r, c):
    rank = int(r.randint(1, 6))
    shape = [int(r.randint(1, 5)) for _ in range(rank)]
    perm = [int(p) for p in r.permutation(rank)]
    x = rn(r, *shape) if maybe(r, 0.8) else r.randint(0, 9, size=shape).astype(I64)
    y, = c.node("Transpose", [c.inp(x)], perm=perm if maybe(r, 0.85) else None)
    c.out(y, x.dtype)


def g_concat(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 5)) for _ in range(rank)]
    axis = int(r.randint(-rank, rank)) if c.opset >= 11 else int(r.randint(0, rank))
    ins = []
    for _ in range(int(r.randint(1, 5))):
        s = list(shape)
        s[axis] = int(pick(r, [0, 1, 2, 3])) if maybe(r, 0.7) else shape[axis]
        ins.append(c.inp(rn(r, *s), maybe(r, 0.2)))
    y, = c.node("Concat", ins, axis=axis)
    c.out(y)


def g_split(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 8)) for _ in range(rank)]
    axis = int(r.randint(-rank, rank))
    d = shape[axis]
    kind = pick(r, ["equal", "split"] + (["num"] if c.opset >= 18 else []))
    x = c.inp(rn(r, *shape))
    attrs = {"axis": axis} if (axis or maybe(r)) else {}
    if kind == "equal":
        divs = [n for n in range(1, d + 1) if d % n == 0]
        n = pick(r, divs)
        if c.opset >= 18:
            attrs["num_outputs"] = n
        ys = c.node("Split", [x], n, **attrs)
    elif kind == "num":
        n = int(r.randint(1, d + 1))
        attrs["num_outputs"] = n
        ys = c.node("Split", [x], n, **attrs)
    else:
        n = int(r.randint(1, 5))
        cuts = sorted(r.randint(0, d + 1, size=n - 1).tolist())
        sp = [b - a for a, b in zip([0] + cuts, cuts + [d])]
        if c.opset >= 13:
            ys = c.node("Split", [x, c.inp(np.array(sp, I64), True)], n, **attrs)
        else:
            ys = c.node("Split", [x], n, split=sp, **attrs)
    for y in ys:
        c.out(y)


def g_tile(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 5)) for _ in range(rank)]
    reps = [int(pick(r, [0, 1, 1, 2, 3])) if maybe(r, 0.9) else 1 for _ in range(rank)]
    if 0 in reps and maybe(r, 0.7):
        reps = [max(v, 1) for v in reps]
    y, = c.node("Tile", [c.inp(rn(r, *shape)), c.inp(np.array(reps, I64), maybe(r, 0.8))])
    c.out(y)


def g_expand(r, c):
    rank = int(r.randint(0, 4))
    shape = [int(pick(r, [1, 1, 2, 3])) for _ in range(rank)]
    extra = [int(r.randint(1, 4)) for _ in range(int(r.randint(0, 3)))]
    tgt = []
    for v in shape:
        tgt.append(int(r.randint(1, 4)) if v == 1 and maybe(r) else (1 if maybe(r, 0.2) else v))
    tgt = extra + tgt
    if maybe(r, 0.2) and len(tgt) > 0:
        tgt = tgt[int(r.randint(1, len(tgt) + 1)):]  # shorter target (input rank wins)
        if len(tgt) > rank:
            tgt = tgt[-rank:] if rank else []
    y, = c.node("Expand", [c.inp(rn(r, *shape)), c.inp(np.array(tgt, I64), maybe(r, 0.8))])
    c.out(y)


def g_depthtospace(r, c):
    bs = int(r.randint(1, 4))
    if maybe(r):
        C = bs * bs * int(r.randint(1, 4))
        x = c.inp(rn(r, int(r.randint(1, 3)), C, int(r.randint(1, 5)), int(r.randint(1, 5))))
        attrs = {"blocksize": bs}
        if c.opset >= 11 and maybe(r, 0.7):
            attrs["mode"] = pick(r, ["DCR", "CRD"])
        c.op = "DepthToSpace"
        y, = c.node("DepthToSpace", [x], **attrs)
    else:
        x = c.inp(rn(r, int(r.randint(1, 3)), int(r.randint(1, 4)), bs * int(r.randint(1, 4)),
                     bs * int(r.randint(1, 4))))
        c.op = "SpaceToDepth"
        y, = c.node("SpaceToDepth", [x], blocksize=bs)
    c.out(y)


def g_clip(r, c):
    shape = [int(r.randint(1, 6)) for _ in range(int(r.randint(0, 4)))]
    x = c.inp(np.asarray(rn(r, *shape) * 3, F32))
    lo = float(pick(r, [-1.0, 0.0, -0.5, 2.0]))
    hi = float(pick(r, [1.0, 6.0, 0.5, -1.0]))
    which = pick(r, ["both", "min", "max", "none"])
    if c.opset < 11:
        attrs = {}
        if which in ("both", "min"):
            attrs["min"] = lo
        if which in ("both", "max"):
            attrs["max"] = hi
        y, = c.node("Clip", [x], **attrs)
    else:
        ins = [x, c.inp(np.array(lo, F32), maybe(r, 0.8)) if which in ("both", "min") else ""]
        if which in ("both", "max"):
            ins.append(c.inp(np.array(hi, F32), maybe(r, 0.8)))
        while ins[-1] == "":
            ins.pop()
        y, = c.node("Clip", ins)
    c.out(y)


def g_activation(r, c):
    ops = ["LeakyRelu", "HardSigmoid", "Elu", "Selu"]
    if c.opset >= 14:
        ops.append("HardSwish")
    if c.opset >= 20:
        ops.append("Gelu")
    op = pick(r, ops)
    c.op = op
    shape = [int(r.randint(1, 6)) for _ in range(int(r.randint(0, 4)))]
    attrs = {}
    if op == "LeakyRelu" and maybe(r, 0.7):
        attrs["alpha"] = float(pick(r, [0.1, 0.2, -0.5, 1.5]))
    if op == "HardSigmoid":
        if maybe(r, 0.7):
            attrs["alpha"] = float(pick(r, [0.2, 1 / 6, 0.5]))
        if maybe(r, 0.7):
            attrs["beta"] = float(pick(r, [0.5, 0.0, 0.3]))
    if op == "Elu" and maybe(r, 0.7):
        attrs["alpha"] = float(pick(r, [1.0, 0.5, 2.0]))
    if op == "Selu":
        if maybe(r):
            attrs["alpha"] = 1.5
        if maybe(r):
            attrs["gamma"] = 0.8
    if op == "Gelu" and maybe(r, 0.6):
        attrs["approximate"] = pick(r, ["none", "tanh"])
    y, = c.node(op, [c.inp(np.asarray(rn(r, *shape) * 3, F32))], **attrs)
    c.out(y)


def _bshapes(r):
    rank = int(r.randint(0, 4))
    full = [int(r.randint(1, 5)) for _ in range(rank)]
    outs = []
    for _ in range(3):
        s = [v if maybe(r, 0.6) else 1 for v in full]
        s = s[int(r.randint(0, rank + 1)):] if maybe(r, 0.3) else s
        outs.append(s)
    return outs


def g_where(r, c):
    s0, s1, s2 = _bshapes(r)
    cond = r.random_sample(s0) < 0.5
    dt = pick(r, [F32, F32, I64])
    a = rn(r, *s1).astype(dt) if dt == F32 else r.randint(-9, 9, size=s1).astype(I64)
    b = rn(r, *s2).astype(dt) if dt == F32 else r.randint(-9, 9, size=s2).astype(I64)
    y, = c.node("Where", [c.inp(np.array(cond)), c.inp(np.array(a, dt)), c.inp(np.array(b, dt))])
    c.out(y, dt)


CASTS = [(F32, I64), (F32, np.int32), (F32, np.int8), (F32, np.uint8), (F32, np.bool_),
         (F32, np.float64), (I64, F32), (np.int32, F32), (np.bool_, F32), (np.uint8, F32),
         (np.int8, I64), (F32, np.float16), (I64, np.int32), (np.float64, F32)]


def g_cast(r, c):
    src, dst = pick(r, CASTS)
    src, dst = np.dtype(src), np.dtype(dst)
    shape = [int(r.randint(1, 6)) for _ in range(int(r.randint(0, 4)))]
    if src.kind == "f":
        lo, hi = (0, 250) if dst == np.uint8 else ((-120, 120) if dst.kind in "iu" else (-1e4, 1e4))
        x = r.uniform(lo, hi, size=shape)
        if dst == np.bool_:
            x = np.where(r.random_sample(shape) < 0.3, 0.0, x)
        x = np.array(x, src)
    elif src == np.bool_:
        x = np.array(r.random_sample(shape) < 0.5)
    else:
        info = np.iinfo(src)
        x = np.array(r.randint(max(info.min, -1000), min(info.max, 1000) + 1, size=shape), src)
    y, = c.node("Cast", [c.inp(x)], to=NP2ONNX[dst])
    if dst == np.float16:  # no f16 .npy in ort_run.js: cast back to float
        y, = c.node("Cast", [y], to=TensorProto.FLOAT)
        dst = np.dtype(F32)
    c.desc["extra"] = "%s->%s" % (src, dst)
    c.out(y, dst)


def g_cumsum(r, c):
    rank = int(r.randint(1, 4))
    shape = [int(r.randint(1, 6)) for _ in range(rank)]
    axis = int(r.randint(-rank, rank))
    attrs = {}
    if maybe(r):
        attrs["exclusive"] = int(r.randint(0, 2))
    if maybe(r):
        attrs["reverse"] = int(r.randint(0, 2))
    ax = np.array(axis, I64) if maybe(r) else np.array([axis], I64)
    dt = pick(r, [F32, F32, I64])
    x = rn(r, *shape) if dt == F32 else r.randint(-9, 9, size=shape).astype(I64)
    y, = c.node("CumSum", [c.inp(x), c.inp(ax, maybe(r, 0.8))], **attrs)
    c.out(y, dt)


EINSUMS = [("ij,jk->ik", "ab,bc"), ("bij,bjk->bik", "xab,xbc"), ("ij->ji", "ab"), ("ij->", "ab"),
           ("i,i->", "a,a"), ("i,j->ij", "a,b"), ("bhqd,bhkd->bhqk", "wxab,wxcb"),
           ("...ij,...jk->...ik", "Pab,Pbc"), ("ijk->ikj", "abc"), ("ij,ij->ij", "ab,ab"),
           ("abc,cd->abd", "abc,cd"), ("ij,jk", "ab,bc"), ("ii->i", "aa"), ("ij->i", "ab"),
           ("bn,anm,bm->ba", "xn,anm,xm"), ("nchw,c->nhw", "nchw,c"), ("i,i", "a,a")]


def g_einsum(r, c):
    eq, spec = pick(r, EINSUMS)
    dims = {}
    arrs = []
    for term in spec.split(","):
        shp = []
        for ch in term:
            if ch == "P":
                shp += [int(r.randint(1, 3)) for _ in range(1)]
                continue
            if ch not in dims:
                dims[ch] = int(r.randint(1, 5))
            shp.append(dims[ch])
        arrs.append(shp)
    if "..." in eq and maybe(r):  # broadcast ellipsis
        arrs[1][0] = 1
    y, = c.node("Einsum", [c.inp(rn(r, *s)) for s in arrs], equation=eq)
    c.out(y)


def g_gridsample(r, c):
    op = c.opset
    nd = 3 if (op >= 20 and maybe(r, 0.3)) else 2
    modes = ["bilinear", "nearest", "bicubic"] if op < 20 else ["linear", "nearest", "cubic"]
    mode = pick(r, modes if nd == 2 else modes[:2])
    N, C = int(r.randint(1, 3)), int(r.randint(1, 4))
    sp = [int(r.randint(1, 7)) for _ in range(nd)]
    osp = [int(r.randint(1, 6)) for _ in range(nd)]
    grid = r.uniform(-1.3, 1.3, size=[N] + osp + [nd]).astype(F32)
    attrs = {}
    if mode != modes[0] or maybe(r):
        attrs["mode"] = mode
    if maybe(r, 0.7):
        attrs["padding_mode"] = pick(r, ["zeros", "border", "reflection"])
        if mode in ("bicubic", "cubic") and attrs["padding_mode"] == "border":
            # ORT deviation: cubic + border: ORT clamps each of the 4 taps (PyTorch) while
            # the ONNX reference clamps the out-of-range coordinate to the border first,
            # then takes the taps (edgert follows the reference). Not compared.
            attrs["padding_mode"] = "zeros"
    if maybe(r, 0.6):
        attrs["align_corners"] = int(r.randint(0, 2))
    y, = c.node("GridSample", [c.inp(rn(r, N, C, *sp)), c.inp(grid)], **attrs)
    c.out(y)


def g_roialign(r, c):
    N, C = int(r.randint(1, 3)), int(r.randint(1, 4))
    H, W = int(r.randint(2, 10)), int(r.randint(2, 10))
    R = int(r.randint(1, 5))
    scale = float(pick(r, [1.0, 0.5, 0.25]))
    x1 = r.uniform(-2, W / scale, size=R); y1 = r.uniform(-2, H / scale, size=R)
    x2 = x1 + r.uniform(0, W / scale, size=R); y2 = y1 + r.uniform(0, H / scale, size=R)
    rois = np.stack([x1, y1, x2, y2], 1).astype(F32)
    bi = r.randint(0, N, size=R).astype(I64)
    attrs = {}
    if maybe(r, 0.7):
        attrs["output_height"] = int(r.randint(1, 5))
    if maybe(r, 0.7):
        attrs["output_width"] = int(r.randint(1, 5))
    if maybe(r, 0.7):
        attrs["sampling_ratio"] = int(pick(r, [0, 1, 2, 3]))
    if scale != 1.0 or maybe(r):
        attrs["spatial_scale"] = scale
    if maybe(r, 0.4):
        attrs["mode"] = "max"
    if c.opset >= 16 and maybe(r, 0.7):
        attrs["coordinate_transformation_mode"] = pick(r, ["half_pixel", "output_half_pixel"])
    y, = c.node("RoiAlign", [c.inp(rn(r, N, C, H, W)), c.inp(rois), c.inp(bi)], **attrs)
    c.out(y)


def g_nms(r, c):
    B, Cc, n = int(r.randint(1, 3)), int(r.randint(1, 3)), int(r.randint(1, 12))
    cpb = int(r.randint(0, 2))
    xy = r.uniform(0, 10, size=(B, n, 2)); wh = r.uniform(0.5, 5, size=(B, n, 2))
    if cpb:
        boxes = np.concatenate([xy, wh], -1)
    else:
        boxes = np.concatenate([xy, xy + wh], -1)
        if maybe(r, 0.3):  # flipped corners
            boxes = boxes[..., [2, 3, 0, 1]]
    # distinct scores (ties have no specified order)
    scores = (r.permutation(B * Cc * n).reshape(B, Cc, n) / (B * Cc * n)).astype(F32)
    ins = [c.inp(boxes.astype(F32)), c.inp(scores)]
    if maybe(r, 0.9):
        ins.append(c.inp(np.array([int(r.randint(0, n + 2))], I64), True))
        if maybe(r, 0.8):
            ins.append(c.inp(np.array([float(pick(r, [0.0, 0.3, 0.5, 0.7, 1.0]))], F32), True))
            if maybe(r, 0.6):
                ins.append(c.inp(np.array([float(pick(r, [0.0, 0.2, 0.5]))], F32), True))
    y, = c.node("NonMaxSuppression", ins, center_point_box=cpb if (cpb or maybe(r)) else None)
    c.out(y, I64)


def g_quant(r, c):
    rank = int(r.randint(1, 5))
    shape = [int(r.randint(1, 6)) for _ in range(rank)]
    per_axis = c.opset >= 13 and maybe(r, 0.6)
    axis = int(r.randint(-rank, rank))
    zdt = pick(r, [np.uint8, np.int8])
    n = shape[axis] if per_axis else None
    sc = r.uniform(0.01, 0.5, size=n if per_axis else ()).astype(F32)
    info = np.iinfo(zdt)
    zp = r.randint(info.min // 2, info.max // 2 + 1, size=n if per_axis else ()).astype(zdt)
    attrs = {"axis": axis} if per_axis else {}
    if maybe(r):
        c.op = "QuantizeLinear"
        q = r.randint(-300, 300, size=shape).astype(F32)
        half = r.random_sample(shape) < 0.5  # exact .5 ties: round half to even
        bs = sc.reshape([-1 if i == axis % rank else 1 for i in range(rank)]) if per_axis else sc
        x = ((q + np.where(half, 0.5, r.uniform(-0.45, 0.45, size=shape))) * bs).astype(F32)
        ins = [c.inp(x), c.inp(sc, True)]
        if maybe(r, 0.85) or zdt == np.int8:
            ins.append(c.inp(zp, True))
        else:
            zdt = np.uint8
        y, = c.node("QuantizeLinear", ins, **attrs)
        c.out(y, zdt)
    else:
        c.op = "DequantizeLinear"
        xdt = pick(r, [zdt, zdt, np.int32]) if not per_axis else zdt
        xi = np.iinfo(xdt)
        x = r.randint(max(xi.min, -100000), min(xi.max, 100000) + 1, size=shape).astype(xdt)
        ins = [c.inp(x), c.inp(sc, True)]
        if xdt == np.int32:
            zp = np.zeros(() if n is None else n, np.int32)
        if maybe(r, 0.8):
            ins.append(c.inp(zp.astype(xdt), True))
        y, = c.node("DequantizeLinear", ins, **attrs)
        c.out(y)


def _rnn(r, c, op):
    S, Bt, I, H = (int(r.randint(1, 5)) for _ in range(4))
    direction = pick(r, ["forward", "reverse", "bidirectional"])
    D = 2 if direction == "bidirectional" else 1
    G = 4 if op == "LSTM" else 3
    layout = 0  # ORT refuses layout=1 ("Batchwise recurrent operations ... not supported")
    xs = (Bt, S, I) if layout else (S, Bt, I)
    ins = [c.inp(rn(r, *xs)), c.inp(rn(r, D, G * H, I) * 0.5, True), c.inp(rn(r, D, G * H, H) * 0.5, True)]
    opt = []
    opt.append(c.inp(rn(r, D, 2 * G * H) * 0.5, True) if maybe(r, 0.7) else "")
    opt.append(c.inp(r.randint(1, S + 1, size=Bt).astype(np.int32)) if maybe(r, 0.4) else "")
    hs = (Bt, D, H) if layout else (D, Bt, H)
    opt.append(c.inp(rn(r, *hs)) if maybe(r, 0.5) else "")
    if op == "LSTM":
        opt.append(c.inp(rn(r, *hs)) if maybe(r, 0.5) else "")
        opt.append(c.inp(rn(r, D, 3 * H) * 0.5, True) if maybe(r, 0.3) else "")
    while opt and opt[-1] == "":
        opt.pop()
    attrs = {"hidden_size": H}
    if direction != "forward" or maybe(r):
        attrs["direction"] = direction
    if layout:
        attrs["layout"] = 1
    if op == "GRU" and maybe(r, 0.6):
        attrs["linear_before_reset"] = int(r.randint(0, 2))
    if maybe(r, 0.2):
        attrs["clip"] = 1.5
    nout = 3 if op == "LSTM" else 2
    ys = c.node(op, ins + opt, nout, **attrs)
    for y in ys:
        c.out(y)


def g_lstm(r, c):
    _rnn(r, c, "LSTM")


def g_gru(r, c):
    _rnn(r, c, "GRU")


# ---------------------------------------------------------------------------------------
# Spec cases: fixed cases whose expectation is computed here with numpy from the ONNX
# formula (not from ONNX Runtime, which departs from the spec on each of them, and not
# from edgert). They run on edgert alone, every time (op key "Spec"). Every failure the
# randomized search finds where ORT is the one departing ends up here.
# ---------------------------------------------------------------------------------------

def np_conv(x, w, b, s, d, pb, out):
    """Conv, group 1: y[n,m,o] = b[m] + sum_{c,t} w[m,c,t] x[n,c,o*s + t*d - pb]."""
    nd = x.ndim - 2
    y = np.zeros((x.shape[0], w.shape[0]) + tuple(out))
    for o in np.ndindex(*out):
        for t in np.ndindex(*w.shape[2:]):
            pos = [o[i] * s[i] + t[i] * d[i] - pb[i] for i in range(nd)]
            if all(0 <= pos[i] < x.shape[2 + i] for i in range(nd)):
                xv = x[(slice(None), slice(None)) + tuple(pos)]          # [N, C]
                y[(slice(None), slice(None)) + o] += xv @ w[(slice(None), slice(None)) + t].T
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y.astype(F32)


def np_convt(x, w, b, s, d, pb, out):
    """ConvTranspose, group 1: y[n,m,i*s + t*d - pb] += sum_c x[n,c,i] w[c,m,t]."""
    nd = x.ndim - 2
    y = np.zeros((x.shape[0], w.shape[1]) + tuple(out))
    for i_ in np.ndindex(*x.shape[2:]):
        for t in np.ndindex(*w.shape[2:]):
            pos = [i_[i] * s[i] + t[i] * d[i] - pb[i] for i in range(nd)]
            if all(0 <= pos[i] < out[i] for i in range(nd)):
                xv = x[(slice(None), slice(None)) + i_]                  # [N, C]
                y[(slice(None), slice(None)) + tuple(pos)] += xv @ w[(slice(None), slice(None)) + t]
    if b is not None:
        y += b.reshape((1, -1) + (1,) * nd)
    return y.astype(F32)


def np_pool(x, kind, k, s, pb, pe, out, p=2, count_include_pad=0):
    """Max/Avg/Lp pool, windows [o*s - pb, +k) clipped to x; AveragePool divides by the
    taps inside x, or with count_include_pad by those inside [-pb, in + pe)."""
    nd = x.ndim - 2
    y = np.zeros(x.shape[:2] + tuple(out))
    for o in np.ndindex(*out):
        lo = [o[i] * s[i] - pb[i] for i in range(nd)]
        sl = tuple(slice(max(lo[i], 0), min(lo[i] + k[i], x.shape[2 + i])) for i in range(nd))
        win = x[(slice(None), slice(None)) + sl].reshape(x.shape[0], x.shape[1], -1).astype(np.float64)
        cnt = win.shape[2]
        if count_include_pad:
            cnt = int(np.prod([min(lo[i] + k[i], x.shape[2 + i] + pe[i]) - max(lo[i], -pb[i])
                               for i in range(nd)]))
        y[(slice(None), slice(None)) + o] = (win.max(2) if kind == "MaxPool" else
                                             win.sum(2) / cnt if kind == "AveragePool" else
                                             (np.abs(win) ** p).sum(2) ** (1.0 / p))
    return y.astype(F32)


def _same_geom(shape, k, s, mode):
    """Spec SAME geometry: out = ceil(in/s), begin and end pads of the unclamped floor
    split of the total."""
    out = [-(-n // st) for n, st in zip(shape, s)]
    tot = [same_total(n, st, kk) for n, st, kk in zip(shape, s, k)]
    pb = [spec_same_begin(t, mode) for t in tot]
    return out, pb, [t - b for t, b in zip(tot, pb)]


def spec_conv_same_neg(c, r, mode, sp, k, s, d):
    """Conv SAME with stride > dilated kernel (negative total padding, docs/PADDING.md);
    the 1-D k=1 s=4 width-8 case is the one --seed 6 found."""
    nd = len(sp)
    x = rn(r, 1, 2, *sp)
    w = rn(r, 3, 2, *k)
    b = rn(r, 3)
    eff = [(k[i] - 1) * d[i] + 1 for i in range(nd)]
    out, pb, _ = _same_geom(sp, eff, s, mode)
    y, = c.node("Conv", [c.inp(x), c.inp(w, True), c.inp(b, True)], auto_pad=mode, strides=s,
                dilations=d if d != [1] * nd else None)
    c.out(y)
    c.expect[y] = np_conv(x, w, b, s, d, pb, out)


def spec_int_conv_same_neg(c, r, op, mode, sp, k, s):
    """ConvInteger / QLinearConv (zero points 0, scales 1: the output is the integer
    convolution itself) under the same SAME rule as Conv."""
    nd = len(sp)
    x = r.randint(0, 4, size=(1, 2) + tuple(sp)).astype(np.uint8)
    w = r.randint(0, 4, size=(3, 2) + tuple(k)).astype(np.uint8)
    out, pb, _ = _same_geom(sp, k, s, mode)
    ref = np.rint(np_conv(x.astype(np.float64), w.astype(np.float64), None, s, [1] * nd, pb, out))
    if op == "ConvInteger":
        ins = [c.inp(x), c.inp(w, True)]
        dt = np.int32
    else:
        one, zu = np.array(1.0, F32), np.array(0, np.uint8)
        ins = [c.inp(x), c.inp(one, True), c.inp(zu, True), c.inp(w, True), c.inp(one, True),
               c.inp(zu, True), c.inp(one, True), c.inp(zu, True)]
        dt = np.uint8
    y, = c.node(op, ins, auto_pad=mode, strides=s)
    c.out(y, dt)
    c.expect[y] = ref.astype(dt)


def spec_convt_same_neg(c, r, mode, sp, k, s, opad):
    """ConvTranspose SAME with stride > kernel + output_padding: output in*stride, the
    negative total padding (floor split) shifts the full result right."""
    nd = len(sp)
    x = rn(r, 1, 2, *sp)
    w = rn(r, 2, 3, *k)
    total = [k[i] + opad[i] - s[i] for i in range(nd)]
    pb = [spec_same_begin(t, mode) for t in total]
    out = [sp[i] * s[i] for i in range(nd)]
    y, = c.node("ConvTranspose", [c.inp(x), c.inp(w, True)], auto_pad=mode, strides=s,
                output_padding=opad if any(opad) else None)
    c.out(y)
    c.expect[y] = np_convt(x, w, None, s, [1] * nd, pb, out)


def spec_pool_same_neg(c, r, op, mode, sp, k, s, **attrs):
    """MaxPool / AveragePool / LpPool SAME with stride > kernel on some axis (windows
    start inside the input there)."""
    x = rn(r, 2, 2, *sp)
    out, pb, pe = _same_geom(sp, k, s, mode)
    nout = 2 if op == "MaxPool" else 1
    ys = c.node(op, [c.inp(x)], nout, kernel_shape=k, strides=s, auto_pad=mode, **attrs)
    c.out(ys[0])
    c.expect[ys[0]] = np_pool(x, op, k, s, pb, pe, out, attrs.get("p", 2),
                              attrs.get("count_include_pad", 0))
    if nout == 2:  # Indices: row-major flat index of the window maximum
        c.out(ys[1], I64)
        idx = np.zeros(x.shape[:2] + tuple(out), I64)
        for nc in np.ndindex(*x.shape[:2]):
            for o in np.ndindex(*out):
                lo = [max(o[i] * s[i] - pb[i], 0) for i in range(len(sp))]
                sl = tuple(slice(lo[i], min(o[i] * s[i] - pb[i] + k[i], sp[i])) for i in range(len(sp)))
                win = x[nc + sl]
                loc = np.unravel_index(int(np.argmax(win)), win.shape)
                pos = [loc[i] + lo[i] for i in range(len(sp))]
                idx[nc + o] = np.ravel_multi_index(tuple(pos), x.shape[2:]) + \
                    (nc[0] * x.shape[1] + nc[1]) * int(np.prod(x.shape[2:]))
        c.expect[ys[1]] = idx


COMPOSITE = {"ReduceL1": np.abs, "ReduceL2": lambda v: np.sqrt(v * v), "ReduceLogSum": np.log,
             "ReduceLogSumExp": lambda v: np.log(np.exp(v)), "ReduceSumSquare": lambda v: v * v}


def spec_reduce_noop(c, r, op, how, keepdims):
    """noop_with_empty_axes=1, axes absent or empty: ONNX 1.19+ keeps the element-wise
    steps of the composite reductions (|x|, sqrt(x^2), log x, log(exp x), x^2)."""
    x = rn(r, 2, 3, 4, lo=0.2, hi=2.0) if op == "ReduceLogSum" else rn(r, 2, 3, 4)
    ins = [c.inp(x)]
    if how == "empty":
        ins.append(c.inp(np.zeros(0, I64), True))
    y, = c.node(op, ins, noop_with_empty_axes=1, keepdims=keepdims)
    c.out(y)
    c.expect[y] = COMPOSITE[op](x.astype(np.float64)).astype(F32)


def spec_pad_wrap_crop(c, r, shape, pads):
    """Pad wrap with a negative end pad and a begin pad longer than what is left: crop by
    the negative pads, then wrap (ORT writes 0s there)."""
    x = rn(r, *shape)
    nd = len(shape)
    y, = c.node("Pad", [c.inp(x), c.inp(np.array(pads, I64), True)], mode="wrap")
    c.out(y)
    crop = tuple(slice(max(-pads[i], 0), shape[i] - max(-pads[nd + i], 0)) for i in range(nd))
    c.expect[y] = np.pad(x[crop], [(max(pads[i], 0), max(pads[nd + i], 0)) for i in range(nd)],
                         mode="wrap")


def spec_cases():
    """(opset, builder) pairs; each builder fills a Case."""
    out = []
    for mode in ("SAME_UPPER", "SAME_LOWER"):
        out += [(13, lambda c, r, m=mode: spec_conv_same_neg(c, r, m, [8], [1], [4], [1])),
                (13, lambda c, r, m=mode: spec_conv_same_neg(c, r, m, [7, 9], [2, 1], [4, 5], [1, 1])),
                (13, lambda c, r, m=mode: spec_conv_same_neg(c, r, m, [10, 11], [2, 2], [5, 6], [1, 2])),
                (13, lambda c, r, m=mode: spec_conv_same_neg(c, r, m, [5, 6, 7], [1, 2, 1], [3, 4, 5], [1, 1, 1])),
                (13, lambda c, r, m=mode: spec_int_conv_same_neg(c, r, "ConvInteger", m, [8, 7], [1, 2], [4, 3])),
                (13, lambda c, r, m=mode: spec_int_conv_same_neg(c, r, "QLinearConv", m, [8, 7], [1, 2], [4, 3])),
                (13, lambda c, r, m=mode: spec_convt_same_neg(c, r, m, [3], [1], [4], [0])),
                (13, lambda c, r, m=mode: spec_convt_same_neg(c, r, m, [3, 2], [2, 1], [5, 3], [1, 0])),
                (13, lambda c, r, m=mode: spec_pool_same_neg(c, r, "MaxPool", m, [8, 9], [1, 2], [4, 5])),
                (13, lambda c, r, m=mode: spec_pool_same_neg(c, r, "AveragePool", m, [8, 13], [1, 2], [4, 5],
                                                             count_include_pad=1)),
                (19, lambda c, r, m=mode: spec_pool_same_neg(c, r, "AveragePool", m, [6, 11], [1, 1], [3, 6])),
                (18, lambda c, r, m=mode: spec_pool_same_neg(c, r, "LpPool", m, [13, 8], [2, 1], [5, 4], p=2)),
                # 3-D, negative total on the middle axis only, positive on the last (the
                # shape of --seed 5 AveragePool c34, where ORT's truncating split departs)
                (19, lambda c, r, m=mode: spec_pool_same_neg(c, r, "AveragePool", m, [4, 3, 2], [1, 2, 3],
                                                             [3, 3, 3])),
                (19, lambda c, r, m=mode: spec_pool_same_neg(c, r, "AveragePool", m, [4, 3, 2], [1, 2, 3],
                                                             [3, 3, 3], count_include_pad=1)),
                (12, lambda c, r, m=mode: spec_pool_same_neg(c, r, "MaxPool", m, [9, 3], [2, 2], [2, 4]))]
    for op in COMPOSITE:
        for how in ("absent", "empty"):
            out.append((18, lambda c, r, o=op, h=how: spec_reduce_noop(c, r, o, h, 1 if h == "empty" else 0)))
    out += [(19, lambda c, r: spec_pad_wrap_crop(c, r, [2], [2, -1])),
            (19, lambda c, r: spec_pad_wrap_crop(c, r, [3, 5], [0, 5, 1, -2])),
            (19, lambda c, r: spec_pad_wrap_crop(c, r, [4, 3], [4, -1, -3, 1]))]
    return out


def gen_spec_cases():
    cases = []
    for i, (opset, build) in enumerate(spec_cases()):
        c = Case("Spec", opset, "p%d_" % i)
        c.key = "Spec"
        build(c, np.random.RandomState(1000 + i), )
        c.op = c.nodes[-1].op_type
        cases.append(c)
    return cases


# op key -> (generator, opsets to draw from)
OPS = {
    "Conv": (g_conv, [9, 11, 13, 17]),
    "ConvTranspose": (g_convtranspose, [9, 11, 13, 17]),
    "MaxPool": (g_maxpool, [8, 10, 11, 12]),
    "AveragePool": (g_averagepool, [7, 10, 11, 19]),
    "LpPool": (g_lppool, [11, 18]),
    "GlobalPool": (g_globalpool, [9, 13]),
    "BatchNormalization": (g_batchnorm, [9, 14, 15]),
    "InstanceNormalization": (g_instancenorm, [9, 13]),
    "LayerNormalization": (g_layernorm, [17]),
    "Gemm": (g_gemm, [9, 11, 13]),
    "MatMul": (g_matmul, [9, 13]),
    "Softmax": (g_softmax, [9, 11, 13]),
    "Reduce": (g_reduce, [11, 13, 18]),
    "ArgMax": (g_argmax, [11, 12, 13]),
    "TopK": (g_topk, [10, 11]),
    "Resize": (g_resize, [11, 13, 18, 19]),
    "Pad": (g_pad, [2, 11, 13, 18, 19]),
    "Slice": (g_slice, [9, 10, 11, 13]),
    "Gather": (g_gather, [11, 13]),
    "GatherElements": (g_gatherelements, [11, 13]),
    "GatherND": (g_gathernd, [11, 12, 13]),
    "ScatterElements": (g_scatterelements, [11, 13, 16, 18]),
    "ScatterND": (g_scatternd, [11, 13, 16, 18]),
    "Transpose": (g_transpose, [9, 13]),
    "Concat": (g_concat, [9, 11, 13]),
    "Split": (g_split, [11, 13, 18]),
    "Tile": (g_tile, [9, 13]),
    "Expand": (g_expand, [9, 13]),
    "DepthToSpace": (g_depthtospace, [9, 11, 13]),
    "Clip": (g_clip, [9, 11, 12, 13]),
    "Activation": (g_activation, [9, 13, 14, 20]),
    "Where": (g_where, [9, 16]),
    "Cast": (g_cast, [9, 13]),
    "CumSum": (g_cumsum, [11, 14]),
    "Einsum": (g_einsum, [12, 13]),
    "GridSample": (g_gridsample, [16, 20]),
    "RoiAlign": (g_roialign, [10, 16]),
    "NonMaxSuppression": (g_nms, [10, 11]),
    "Quant": (g_quant, [10, 13]),
    "LSTM": (g_lstm, [9, 14]),
    "GRU": (g_gru, [9, 14]),
}


# ---------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------

def build_model(cases, opset):
    nodes, ginputs, inits, outs = [], [], [], []
    for c in cases:
        nodes += c.nodes
        for n, a in c.feeds.items():
            ginputs.append(helper.make_tensor_value_info(n, NP2ONNX[a.dtype], list(a.shape)))
        for n, a in c.inits.items():
            inits.append(numpy_helper.from_array(a, n))
        for n, dt in c.outs:
            outs.append(helper.make_tensor_value_info(n, NP2ONNX[dt], None))
    g = helper.make_graph(nodes, "rand", ginputs, outs, initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8 if opset <= 17 else 10
    return m.SerializeToString()


def run_engines(args, cases, opset, wd):
    """Returns (ort_ok, ort_msg, ert_ok, ert_msg) with outputs in wd/ort, wd/ert. Spec
    cases (numpy expectations) do not run ONNX Runtime."""
    os.makedirs(wd, exist_ok=True)
    mp = os.path.join(wd, "m.onnx")
    with open(mp, "wb") as f:
        f.write(build_model(cases, opset))
    specs = []
    for c in cases:
        for n, a in c.feeds.items():
            p = os.path.join(wd, n + ".npy")
            np.save(p, a)
            specs.append("%s=%s" % (n, p))
    od, ed = os.path.join(wd, "ort"), os.path.join(wd, "ert")
    for d in (od, ed):
        shutil.rmtree(d, ignore_errors=True)
    if all(c.expect for c in cases):
        pr = subprocess.CompletedProcess([], 0, "")
    else:
        pr = subprocess.run(["node", os.path.join(ROOT, "scripts", "ort_run.js"), mp, od] + specs,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    cmd = [args.edgert, "run", mp, "--output-dir", ed]
    for s in specs:
        cmd += ["--input", s]
    try:
        er = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
        ert_ok, ert_msg = er.returncode == 0, "exit %d: %s" % (er.returncode, er.stdout.strip()[-400:])
    except subprocess.TimeoutExpired:
        ert_ok, ert_msg = False, "timeout"
    return pr.returncode == 0, pr.stdout.strip()[-300:], ert_ok, ert_msg


def compare(c, wd):
    ref = "spec" if c.expect else "ORT"
    for n, dt in c.outs:
        try:
            o = c.expect[n] if c.expect else np.load(os.path.join(wd, "ort", n + ".npy"))
        except OSError:
            return "ORT output %s missing" % n
        try:
            e = np.load(os.path.join(wd, "ert", n + ".npy"))
        except OSError:
            return "edgert output %s missing" % n
        if o.shape != e.shape:
            return "output %s: shape %s, %s %s" % (n[len(c.p):], list(e.shape), ref, list(o.shape))
        if o.dtype != e.dtype:
            return "output %s: dtype %s, %s %s" % (n[len(c.p):], e.dtype, ref, o.dtype)
        if o.size == 0:
            continue
        if o.dtype.kind == "f":
            o64, e64 = o.astype(np.float64), e.astype(np.float64)
            on, en = np.isnan(o64), np.isnan(e64)
            if (on != en).any():
                return "output %s: NaN mismatch at %d places" % (n[len(c.p):], int((on != en).sum()))
            if c.op == "MaxPool":
                # a window lying wholly in the padding (dilation > 1): ORT returns
                # -FLT_MAX, edgert -inf; the spec leaves it undefined. Treated as equal.
                o64 = np.where(o64 == -np.finfo(np.float32).max, -np.inf, o64)
            fin = np.isfinite(o64) & ~on
            if (o64[~fin & ~on] != e64[~fin & ~on]).any():
                return "output %s: inf mismatch" % n[len(c.p):]
            if fin.any():
                err = np.abs(o64[fin] - e64[fin])
                tol = 1e-4 * np.abs(o64[fin]).max() + 1e-5
                if not np.isfinite(err).all() or err.max() > tol:
                    i = int(np.argmax(np.where(np.isfinite(err), err, np.inf)))
                    idx = np.unravel_index(np.flatnonzero(fin)[i], o.shape)
                    return "output %s: max abs err %.3g > %.3g at %s (edgert %r, %s %r)" % (
                        n[len(c.p):], err.max(), tol, list(map(int, idx)), float(e64[idx]), ref,
                        float(o64[idx]))
        else:
            if not np.array_equal(o, e):
                bad = np.argwhere(o != e)
                idx = tuple(bad[0])
                return "output %s: %d elements differ, first at %s (edgert %r, %s %r)" % (
                    n[len(c.p):], len(bad), list(map(int, idx)), e[idx].item(), ref, o[idx].item())
    return None


def run_batch(args, key, opset, cases, wd):
    """Returns a list of (case, status, msg): status pass/fail/skip."""
    res = []
    ook, omsg, eok, emsg = run_engines(args, cases, opset, wd)
    if ook and eok:
        for c in cases:
            m = compare(c, wd)
            res.append((c, "fail" if m else "pass", m))
        return res
    if len(cases) == 1:
        c = cases[0]
        if not ook:
            return [(c, "skip", omsg)]
        return [(c, "fail", "edgert failed: " + emsg)]
    # isolate
    for i, c in enumerate(cases):
        res += run_batch(args, key, opset, [c], os.path.join(wd, "s%d" % i))
    return res


# CI runs SEEDS_PER_FAMILY fixed seeds per op family, --cases split between them (same
# total, same time). Seed 1 is common to all; the others come from the family's name, so
# every family explores its own part of the space, and deterministically.
SEEDS_PER_FAMILY = 4


def family_seeds(op, n):
    h = zlib.crc32(op.encode())
    return [1] + [1000 * j + (h >> (5 * j)) % 1000 for j in range(1, n)]


def gen_cases(op, seed, n):
    g, opsets = OPS[op]
    r = np.random.RandomState((seed * 1000003 + zlib.crc32(op.encode())) % (2 ** 32))
    out = []
    for i in range(n):
        opset = int(pick(r, opsets))
        c = Case(op, opset, "s%dc%d_" % (seed, i))
        c.key, c.seed = op, seed
        g(r, c)
        out.append(c)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", default=None,
                    help="one seed for every op (an integer, or 'random': draws one and prints "
                         "it); default: the %d fixed seeds of each op family (family_seeds)"
                         % SEEDS_PER_FAMILY)
    ap.add_argument("--cases", type=int, default=100,
                    help="cases per op (split between the family's seeds without --seed)")
    ap.add_argument("--ops", default="", help="comma-separated op keys (default: all): " +
                    ",".join(list(OPS) + ["Spec"]))
    ap.add_argument("--edgert", default=os.path.join(ROOT, "build", "edgert"))
    ap.add_argument("--workdir", default=None)
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("--only", default="", help="comma-separated case ids (c3,c17 or s6c3) to run")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    if not os.path.exists(args.edgert):
        print("test_random_vs_ort.py: no edgert binary at %s" % args.edgert)
        return 2
    if shutil.which("node") is None:
        print("test_random_vs_ort.py: needs node + onnxruntime-node")
        return 2
    ops = [o for o in args.ops.split(",") if o] or list(OPS) + ["Spec"]
    for o in ops:
        if o not in OPS and o != "Spec":
            print("unknown op key %s (known: %s)" % (o, ",".join(list(OPS) + ["Spec"])))
            return 2
    if args.seed == "random":
        args.seed = str(int.from_bytes(os.urandom(4), "little") % 1000000)
        print("seed %s (drawn at random)" % args.seed, flush=True)
    if args.seed is not None and not args.seed.isdigit():
        print("--seed takes a non-negative integer or 'random'")
        return 2
    t0 = time.time()
    wd = args.workdir or tempfile.mkdtemp(prefix="ert_rand_")
    jobs = []
    seeds_run = {}
    only = [x for x in args.only.split(",") if x]
    for op in ops:
        if op == "Spec":
            cases = gen_spec_cases()
        elif args.seed is not None:
            seeds_run[op] = [int(args.seed)]
            cases = gen_cases(op, int(args.seed), args.cases)
        else:
            seeds_run[op] = family_seeds(op, SEEDS_PER_FAMILY)
            per = -(-args.cases // SEEDS_PER_FAMILY)
            cases = [c for sd in seeds_run[op] for c in gen_cases(op, sd, per)]
        if only:
            cases = [c for c in cases if c.p.rstrip("_") in only or
                     c.p.rstrip("_").split("c", 1)[-1] in [x.lstrip("c") for x in only]]
        by = {}
        for c in cases:
            by.setdefault(c.opset, []).append(c)
        for opset, cs in sorted(by.items()):
            jobs.append((op, opset, cs, os.path.join(wd, "%s_%d" % (op, opset))))
    counts = {}
    npass = nfail = nskip = 0
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as ex:
        futs = [ex.submit(run_batch, args, *j) for j in jobs]
        for f in futs:
            for c, st, msg in f.result():
                cnt = counts.setdefault(c.key, [0, 0, 0])
                if st == "pass":
                    npass += 1; cnt[0] += 1
                    if args.verbose:
                        print("ok   " + c.text())
                elif st == "fail":
                    nfail += 1; cnt[1] += 1
                    print("FAIL %s %s: %s" % (c.p.rstrip("_"), c.text(), msg))
                    if c.seed is not None:
                        n_ = args.cases if args.seed is not None else -(-args.cases // SEEDS_PER_FAMILY)
                        print("     rerun: --ops %s --seed %d --cases %d --only %s" % (
                            c.key, c.seed, n_, c.p.rstrip("_")))
                else:
                    nskip += 1; cnt[2] += 1
                    if args.verbose:
                        print("skip %s (ORT: %s)" % (c.text(), msg.splitlines()[-1] if msg else ""))
    if args.verbose or nfail:
        for k, (p, f_, s) in counts.items():
            print("  %-22s %3d passed %3d failed %3d skipped" % (k, p, f_, s))
    if not args.workdir:
        shutil.rmtree(wd, ignore_errors=True)
    if args.seed is not None:
        seeds_txt = "seed %s" % args.seed
    else:
        seeds_txt = "%d fixed seeds per op family (-v lists them)" % SEEDS_PER_FAMILY
        if args.verbose:
            for op, sds in seeds_run.items():
                print("  seeds %-22s %s" % (op, sds))
    print("%d passed, %d failed (%d skipped: ORT refused) in %.0fs, %s" % (
        npass, nfail, nskip, time.time() - t0, seeds_txt))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
