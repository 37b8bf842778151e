#!/usr/bin/python3
"""Models outside the benchmark, for generality: export torchvision and small built-in
architectures (random weights), then check edgert's outputs against ONNX Runtime and time both.

    /usr/bin/python3 bench/zoo.py export [--dir /tmp/zoo] [NAME ...]
    /usr/bin/python3 bench/zoo.py check  [--dir /tmp/zoo] [--tune] [NAME ...]
    /usr/bin/python3 bench/zoo.py speed  [--dir /tmp/zoo] [--threads 1] [--rounds 2] [NAME ...]

export writes DIR/NAME.onnx (opset 17, input 'input', output 'out'; 1-350 MB each, not
committed) and a seeded random input DIR/NAME.in.npy. check runs both engines once
(`edgert run`, scripts/ort_run.js) and prints the largest absolute difference against the
largest |output| (random weights make some outputs tiny: read the relative figure); with
--tune edgert runs the tactics the tuner picks (`edgert run --tune`, as bench does), not
the heuristic order's.
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


def _vid(name, **kw):
    def build():
        import torchvision.models.video as vid
        return getattr(vid, name)(weights=None, **kw)
    return build


def _mods():
    """Small architectures outside torchvision's classifiers: sequence models, decoders,
    normalisations and resampling a real model may use."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Encoder(nn.Module):  # a BERT-like encoder block stack on [1, 64, 256]
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(256, 4, 512, dropout=0.0, activation="gelu",
                                               batch_first=True, norm_first=True)
            self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
            self.head = nn.Linear(256, 10)

        def forward(self, x):
            return self.head(self.enc(x))

    class Rnn(nn.Module):  # CRNN-style recognizer head on [1, 40, 64]
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(64, 48, num_layers=2, bidirectional=True, batch_first=True)
            self.gru = nn.GRU(96, 32, batch_first=True)
            self.fc = nn.Linear(32, 20)

        def forward(self, x):
            return self.fc(self.gru(self.lstm(x)[0])[0]).log_softmax(-1)

    class Decoder(nn.Module):  # encoder-decoder with ConvTranspose, GroupNorm, resampling
        def __init__(self):
            super().__init__()
            self.e1 = nn.Sequential(nn.Conv2d(3, 24, 3, 2, 1), nn.GroupNorm(4, 24), nn.ReLU())
            self.e2 = nn.Sequential(nn.Conv2d(24, 40, 3, 2, 1, groups=2), nn.InstanceNorm2d(40),
                                    nn.LeakyReLU(0.1))
            self.d1 = nn.ConvTranspose2d(40, 24, 4, 2, 1)
            self.d2 = nn.ConvTranspose2d(48, 12, 3, 2, 1, output_padding=1, groups=3)
            self.ps = nn.Sequential(nn.Conv2d(12, 3 * 4, 3, 1, 1), nn.PixelShuffle(2))
            self.ln = nn.LayerNorm([3, 190, 190])

        def forward(self, x):
            a = self.e1(x)
            b = self.e2(a)
            c = torch.cat([self.d1(b), a], 1)
            d = self.d2(c)
            u = F.interpolate(d, scale_factor=0.5, mode="bilinear", align_corners=True)
            v = F.interpolate(u, size=(95, 95), mode="bicubic", align_corners=False)
            w = self.ps(v)
            return self.ln(w).sigmoid() + F.interpolate(x, size=(190, 190), mode="nearest")

    class Crnn(nn.Module):  # CRNN's recognizer: 2 bidirectional LSTMs, hidden 256, on [1, 80, 512]
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(512, 256, num_layers=2, bidirectional=True, batch_first=True)
            self.fc = nn.Linear(512, 97)

        def forward(self, x):
            return self.fc(self.lstm(x)[0])

    return {"encoder": Encoder, "rnn": Rnn, "decoder": Decoder, "crnn_lstm": Crnn}


def _mod(name):
    def build():
        return _mods()[name]()
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
    "r3d_18": (_vid("r3d_18"), (1, 3, 8, 112, 112)),
    "encoder": (_mod("encoder"), (1, 64, 256)),
    "rnn": (_mod("rnn"), (1, 40, 64)),
    "crnn_lstm": (_mod("crnn_lstm"), (1, 80, 512)),
    "decoder": (_mod("decoder"), (1, 3, 127, 127)),
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
        shape = size if isinstance(size, tuple) else (1, 3, size, size)
        x = np.random.RandomState(0).standard_normal(shape).astype(np.float32)
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


def check(d, names, edgert, tune=False):
    import numpy as np
    for n in names:
        model, inp = paths(d, n)
        outs = {e: os.path.join(d, "out_" + e) for e in ("edgert", "ort")}
        for o in outs.values():
            shutil.rmtree(o, ignore_errors=True)
            os.makedirs(o)
        runs = {"ort": ["node", os.path.join(ROOT, "scripts", "ort_run.js"), model, outs["ort"],
                        f"input={inp}"],
                "edgert": [edgert, "run", model, "--input", f"input={inp}", "--output-dir",
                           outs["edgert"]] + (["--tune"] if tune else [])}
        failed = False
        for e, cmd in runs.items():
            c = subprocess.run(cmd, capture_output=True, text=True)
            if c.returncode != 0:
                tail = (c.stderr.strip().splitlines() or ["(no message)"])[-1]
                print(f"{n:20s} {e} failed (exit {c.returncode}): {tail}", flush=True)
                failed = True
        if failed:
            continue
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
    ap.add_argument("--tune", action="store_true", help="check: edgert run --tune")
    args = ap.parse_args(argv)
    names = args.names or list(ZOO)
    bad = [n for n in names if n not in ZOO]
    if bad:
        sys.exit(f"zoo.py: unknown model(s) {', '.join(bad)}; known: {', '.join(ZOO)}")
    if args.what == "export":
        export(args.dir, names)
    elif args.what == "check":
        check(args.dir, names, args.edgert, args.tune)
    else:
        speed(args.dir, names, args.edgert, args.threads, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
