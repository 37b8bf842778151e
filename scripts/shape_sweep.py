#!/usr/bin/python3
"""shape_sweep.py VALUES OUTDIR - variants of every ONNX node-test model with one input dim
changed, for the import fuzzer (docs/fuzzing.md, "shape sweep").

For each model under ../shared/onnx-node-tests/node/*/model.onnx, each graph input and
each fixed dim, writes OUTDIR/<test>_<input>_<dim>_<value>.onnx with that dim set to each
of VALUES (comma-separated; a negative -k means old + k - 1, so -2 is old + 1). Run the
variants once through the fuzz target, which loads each and runs it with zero inputs:
    build-fuzz/fuzz_import -runs=0 -timeout=10 -rss_limit_mb=2048 OUTDIR
It stops at the first crash or sanitizer report. Empty dims (0) and 1s found RoiAlign's
and GridSample's out-of-bounds reads on empty planes.
"""
import glob
import os
import sys

import onnx


def main(values, out):
    vals = [int(v) for v in values.split(",")]
    os.makedirs(out, exist_ok=True)
    here = os.path.dirname(os.path.abspath(__file__))
    pattern = os.path.join(here, "..", "..", "shared", "onnx-node-tests", "node", "*",
                           "model.onnx")
    k = 0
    for f in sorted(glob.glob(pattern)):
        try:
            m = onnx.load(f)
        except Exception:
            continue
        test = os.path.basename(os.path.dirname(f))
        for ii, inp in enumerate(m.graph.input):
            tt = inp.type.tensor_type
            if not tt.HasField("shape"):
                continue
            for di, d in enumerate(tt.shape.dim):
                if not d.HasField("dim_value"):
                    continue
                old = d.dim_value
                for v in vals:
                    nv = v if v >= 0 else old - v - 1
                    if nv == old:
                        continue
                    d.dim_value = nv
                    name = "%s_%d_%d_%d.onnx" % (test, ii, di, nv)
                    with open(os.path.join(out, name), "wb") as fh:
                        fh.write(m.SerializeToString())
                    k += 1
                d.dim_value = old
    print("wrote %d variants to %s" % (k, out))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
