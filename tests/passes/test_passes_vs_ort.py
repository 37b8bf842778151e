#!/usr/bin/python3
"""test_passes_vs_ort.py --edgert BIN --models DIR - the optimizer's small graphs
(tests/passes/make_models.py, the "opt" lines of DIR/manifest.txt) run by `edgert run` (graph
optimizer on, default kernels: FusedConv and folded weights as the engine runs them) and by
ONNX Runtime (scripts/ort_run.js), on the same random inputs; every output must agree within
1e-4 * max|ORT| + 1e-5. test_passes.c compares optimized vs unoptimized edgert with reference
kernels; this adds an independent oracle and the fast kernels.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def safe(name):
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def make_inputs(model, work, seed):
    """One .npy per graph input (float32, uniform [-2, 2), symbolic dims as 2)."""
    rng = np.random.default_rng(seed)
    inits = {i.name for i in model.graph.initializer}
    args = []
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        dims = [d.dim_value if d.HasField("dim_value") else 2
                for d in vi.type.tensor_type.shape.dim]
        path = os.path.join(work, safe(vi.name) + ".npy")
        np.save(path, rng.uniform(-2, 2, dims).astype(np.float32))
        args.append("%s=%s" % (vi.name, path))
    return args


def check(edgert, path, work, tol_scale):
    model = onnx.load(path)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    args = make_inputs(model, work, 7)
    d1, d2 = os.path.join(work, "edgert"), os.path.join(work, "ort")
    cmd = [edgert, "run", path, "--output-dir", d1]
    for a in args:
        cmd += ["--input", a]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        return "edgert failed: " + (r.stderr or r.stdout).strip()[-400:]
    r = subprocess.run(["node", os.path.join(ROOT, "scripts", "ort_run.js"), path, d2] + args,
                       capture_output=True, text=True, cwd=ROOT)
    if r.returncode:
        return "SKIP ORT: " + (r.stderr or r.stdout).strip().splitlines()[-1][:200]
    for vo in model.graph.output:
        a = np.load(os.path.join(d1, safe(vo.name) + ".npy"))
        b = np.load(os.path.join(d2, safe(vo.name) + ".npy"))
        if a.shape != b.shape:
            return "output %s: shape %s vs ORT %s" % (vo.name, a.shape, b.shape)
        err = float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0
        tol = tol_scale * float(np.max(np.abs(b))) if b.size else 0.0
        if not err <= tol + 1e-5:
            return "output %s: max abs err %g > %g" % (vo.name, err, tol + 1e-5)
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--edgert", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--workdir", default=None)
    a = ap.parse_args()
    work = a.workdir or os.path.join(a.models, "ort_work")
    if subprocess.run(["node", "-e", "require('onnxruntime-node')"], cwd=ROOT,
                      capture_output=True).returncode:
        print("SKIP: onnxruntime-node is not installed (npm install --ignore-scripts)")
        return 77
    passed = failed = skipped = 0
    for line in open(os.path.join(a.models, "manifest.txt")):
        f = line.split()
        if len(f) < 3 or f[0] != "opt":
            continue
        msg = check(a.edgert, os.path.join(a.models, f[1]), os.path.join(work, f[1]), 1e-4)
        if msg is None:
            passed += 1
        elif msg.startswith("SKIP"):
            skipped += 1
            print("%s: %s" % (f[1], msg))
        else:
            failed += 1
            print("FAIL %s: %s" % (f[1], msg))
    print("%d passed, %d failed, %d skipped (ORT could not run them)" % (passed, failed, skipped))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
