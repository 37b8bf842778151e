#!/usr/bin/python3
"""Per-layer times of edgert and ONNX Runtime side by side, grouped by module.

    /usr/bin/python3 bench/layer_cmp.py MODEL_NAME [--threads 1] [--repeat 20] [--depth N]
        [--edgert build/edgert] [--rounds 2] [--top 40]

MODEL_NAME is a benchmark model of bench/bench_vs_ort.py (its input and shape), or any
MODEL.onnx with --input NAME:DIMS (a seeded random normal input, e.g. input:1x3x224x224). Each
engine profiles the same input: `edgert bench --json --profile` (per-layer medians) and
`node bench/ort_bench.js --profile` (ORT's profiler, per-node medians), --rounds times
alternating; a node's time is the median over the rounds. The two graphs are fused
differently (ORT renames its fused nodes after the last node they swallowed, and adds
ReorderInput/ReorderOutput nodes of its NCHWc layout), so nodes are compared per group:
the first --depth components of the name's module path ('/a/b/c/Conv' at depth 2 is
'/a/b'); unnamed or layout nodes go to '(layout)'. Prints the groups where the two
differ most in absolute time, then the totals. Profiling costs both a little: the sums
are not the latency.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_vs_ort as bvo  # noqa: E402  (the cases, input makers, model paths)

ROOT = bvo.ROOT


def group_of(name, depth):
    if not name.startswith("/"):
        return "(layout)"
    parts = name.split("/")[1:-1]
    return "/" + "/".join(parts[:depth]) if parts else name


def edgert_layers(args, model, in_name, inp):
    cmd = [args.edgert, "bench", model, "--json", "--profile", "--threads", str(args.threads),
           "--input", f"{in_name}={inp}", "--iters", str(args.repeat)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    js = json.loads(out.strip().splitlines()[-1])
    return {l["name"]: (l["median_ms"] * 1e3, l["fused"] + " " + l["kernel"]) for l in js["layers"]}


def ort_layers(args, model, in_name, inp):
    cmd = ["node", os.path.join(ROOT, "bench", "ort_bench.js"), model, f"{in_name}={inp}",
           "--threads", str(args.threads), "--repeat", str(args.repeat), "--profile"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    nodes = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) >= 5 and f[0] == "ort-node" and not f[3].startswith("("):
            nodes[f[4]] = (float(f[1]), f[3])
    return nodes


def grouped(layers, depth):
    g = {}
    for name, (us, what) in layers.items():
        k = group_of(name, depth)
        t, w = g.get(k, (0.0, []))
        g[k] = (t + us, w + [what])
    return g


def median_rounds(rounds):
    keys = set().union(*rounds)
    return {k: (statistics.median(r[k][0] if k in r else 0.0 for r in rounds),
                next(r[k][1] for r in rounds if k in r)) for k in keys}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--depth", type=int, default=4)
    ap.add_argument("--top", type=int, default=40)
    ap.add_argument("--edgert", default=os.path.join(ROOT, "build", "edgert"))
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "models"))
    ap.add_argument("--workdir", default="/tmp/layer_cmp")
    ap.add_argument("--input", help="NAME:DIMS of MODEL.onnx's input (models outside the benchmark)")
    args = ap.parse_args(argv)
    os.makedirs(args.workdir, exist_ok=True)
    inp = os.path.join(args.workdir, os.path.basename(args.model) + ".npy")
    if args.model.endswith(".onnx"):
        if not args.input or ":" not in args.input:
            sys.exit("layer_cmp.py: MODEL.onnx needs --input NAME:DIMS (e.g. input:1x3x224x224)")
        in_name, dims = args.input.rsplit(":", 1)
        shape = tuple(int(d) for d in dims.split("x"))
        model = args.model
        x = bvo.np.random.RandomState(0).standard_normal(shape).astype(bvo.np.float32)
        bvo.np.save(inp, x)
    else:
        case = bvo.case_for(args.model)
        if case is None:
            sys.exit(f"layer_cmp.py: unknown model {args.model} (a benchmark name, or MODEL.onnx)")
        _, _, _, in_name, shape, maker = case
        model = bvo.parity.model_path(case, args.models_dir)
        bvo.np.save(inp, bvo.np.ascontiguousarray(maker(shape), dtype=bvo.np.float32))
    er, orr = [], []
    for _ in range(args.rounds):
        er.append(grouped(edgert_layers(args, model, in_name, inp), args.depth))
        orr.append(grouped(ort_layers(args, model, in_name, inp), args.depth))
    e, o = median_rounds(er), median_rounds(orr)
    keys = sorted(set(e) | set(o), key=lambda k: -abs(e.get(k, (0,))[0] - o.get(k, (0,))[0]))
    print(f"{'edgert us':>10} {'ORT us':>9} {'diff':>8}  group  [edgert layers | ORT ops]")
    for k in keys[:args.top]:
        et, ew = e.get(k, (0.0, []))
        ot, ow = o.get(k, (0.0, []))
        print(f"{et:10.0f} {ot:9.0f} {et - ot:+8.0f}  {k}  [{'; '.join(ew)} | {' '.join(ow)}]")
    te = sum(v[0] for v in e.values())
    to = sum(v[0] for v in o.values())
    print(f"{te:10.0f} {to:9.0f} {te - to:+8.0f}  (sums of per-layer medians, {args.threads} thread(s))")


if __name__ == "__main__":
    main()
