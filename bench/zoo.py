#!/usr/bin/python3
"""Models outside the benchmark, for generality: export torchvision architectures (random
weights), then check edgert's outputs against ONNX Runtime and time both.

    /usr/bin/python3 bench/zoo.py export [--dir /tmp/zoo] [NAME ...]
    /usr/bin/python3 bench/zoo.py check  [--dir /tmp/zoo] [NAME ...]
    /usr/bin/python3 bench/zoo.py speed  [--dir /tmp/zoo] [--threads 1] [--rounds 2] [NAME ...]

export writes DIR/NAME.onnx (opset 17, input 'input', output 'out'; 4-350 MB each, not
committed) and a seeded random input DIR/NAME.in.npy. check runs both engines once
(`edgert run`, scripts/ort_run.js) and prints the largest absolute difference against the
largest |output| (random weights make some outputs tiny: read the relative figure).
speed alternates `edgert bench --json` and bench/ort_bench.js (5 timed runs after 2
warm-ups each) for --rounds rounds and prints the medians and their ratio (> 1: edgert is
slower), with each round's ratio: their spread is the machine's noise. A quick sweep, not
bench/bench_vs_ort.py's report (no peak, no RSS).
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _tv(name, **kw):
    def build():
        import torchvision.models as tvm
        return getattr(tvm, name)(weights=None, **kw)
    return build


def _seg(name, **kw):
    def build():
        import torchvision.models.segmentation as seg
        return getattr(seg, name)(weights=None, weights_backbone=None, **kw)
    return build


ZOO = {
    "shufflenet_v2": (_tv("shufflenet_v2_x1_0"), 224),
    "squeezenet": (_tv("squeezenet1_1"), 224),
    "densenet121": (_tv("densenet121"), 224),
    "regnet_y_400mf": (_tv("regnet_y_400mf"), 224),
    "mnasnet": (_tv("mnasnet1_0"), 224),
    "mobilenet_v3_large": (_tv("mobilenet_v3_large"), 224),
    "googlenet": (_tv("googlenet", aux_logits=False, init_weights=True), 224),
    "convnext_tiny": (_tv("convnext_tiny"), 224),
    "resnext50": (_tv("resnext50_32x4d"), 224),
    "efficientnet_v2_s": (_tv("efficientnet_v2_s"), 224),
    "swin_t": (_tv("swin_t"), 224),
    "vit_b_16": (_tv("vit_b_16"), 224),
    "lraspp": (_seg("lraspp_mobilenet_v3_large"), 320),
    "deeplabv3_mnv3": (_seg("deeplabv3_mobilenet_v3_large", aux_loss=False), 320),
    "fcn_resnet50": (_seg("fcn_resnet50", aux_loss=False), 256),
}


def paths(d, name):
    return os.path.join(d, name + ".onnx"), os.path.join(d, name + ".in.npy")


def export(d, names):
    import warnings
    import numpy as np
    import torch
    warnings.filterwarnings("ignore")
    os.makedirs(d, exist_ok=True)
    for n in names:
        model, inp = paths(d, n)
        build, size = ZOO[n]
        x = np.random.RandomState(0).standard_normal((1, 3, size, size)).astype(np.float32)
        np.save(inp, x)
        if os.path.exists(model):
            continue
        torch.manual_seed(0)
        m = build().eval()
        kw = dict(input_names=["input"], output_names=["out"], opset_version=17)
        try:
            torch.onnx.export(m, torch.from_numpy(x), model, dynamo=False, **kw)
        except TypeError:  # older torch: no dynamo argument
            torch.onnx.export(m, torch.from_numpy(x), model, **kw)
        print(f"{n}: {os.path.getsize(model) / 1e6:.0f} MB", flush=True)


def check(d, names, edgert):
    import numpy as np
    for n in names:
        model, inp = paths(d, n)
        outs = {e: os.path.join(d, "out_" + e) for e in ("edgert", "ort")}
        for o in outs.values():
            shutil.rmtree(o, ignore_errors=True)
            os.makedirs(o)
        subprocess.run(["node", os.path.join(ROOT, "scripts", "ort_run.js"), model, outs["ort"],
                        f"input={inp}"], capture_output=True, check=True)
        subprocess.run([edgert, "run", model, "--input", f"input={inp}", "--output-dir",
                        outs["edgert"]], capture_output=True, check=True)
        a = np.load(os.path.join(outs["edgert"], "out.npy"))
        b = np.load(os.path.join(outs["ort"], "out.npy"))
        diff, mag = float(np.abs(a - b).max()), float(np.abs(b).max())
        print(f"{n:20s} {str(a.shape):18s} max |diff| {diff:.3g}  max |ORT| {mag:.3g}  "
              f"relative {diff / max(mag, 1e-30):.2e}", flush=True)


def speed(d, names, edgert, threads, rounds):
    for n in names:
        model, inp = paths(d, n)
        et, ot = [], []
        for _ in range(rounds):
            c = subprocess.run([edgert, "bench", model, "--json", "--threads", str(threads),
                                "--input", f"input={inp}", "--warmup", "2", "--iters", "5"],
                               capture_output=True, text=True, check=True)
            et.append(json.loads(c.stdout.strip().splitlines()[-1])["median_ms"])
            c = subprocess.run(["node", os.path.join(ROOT, "bench", "ort_bench.js"), model,
                                f"input={inp}", "--warmup", "2", "--repeat", "5", "--threads",
                                str(threads)], capture_output=True, text=True, check=True)
            ot.append(statistics.median(json.loads(c.stdout.strip().splitlines()[-1])["times_ms"]))
        e, o = statistics.median(et), statistics.median(ot)
        per = ",".join(f"{a / b:.2f}" for a, b in zip(et, ot))
        print(f"{n:20s} edgert {e:8.2f} ms  ORT {o:8.2f} ms  edgert/ORT {e / o:5.2f}  ({per})",
              flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["export", "check", "speed"])
    ap.add_argument("names", nargs="*", metavar="NAME", help="default: all of " + ", ".join(ZOO))
    ap.add_argument("--dir", default="/tmp/zoo")
    ap.add_argument("--edgert", default=os.path.join(ROOT, "build", "edgert"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args(argv)
    names = args.names or list(ZOO)
    bad = [n for n in names if n not in ZOO]
    if bad:
        sys.exit(f"zoo.py: unknown model(s) {', '.join(bad)}; known: {', '.join(ZOO)}")
    if args.what == "export":
        export(args.dir, names)
    elif args.what == "check":
        check(args.dir, names, args.edgert)
    else:
        speed(args.dir, names, args.edgert, args.threads, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
