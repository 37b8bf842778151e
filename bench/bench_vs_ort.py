#!/usr/bin/python3
"""Latency benchmark: edgert vs ONNX Runtime (CPU EP), same model, same input, one run.

    /usr/bin/python3 bench/bench_vs_ort.py [--models NAME ...] [--threads 1 2] [--repeat 10]
        [--warmup 2] [--rounds 3] [--edgert PATH] [--report bench/RESULTS.md]
        [--callgrind MODEL|none] [--profile] [--peak-gflops X] [--list]

For each model and each thread count (--threads, default 1 and 2), the two engines take
turns for --rounds rounds (edgert first in even rounds, ORT first in odd ones), so a
burst of load from another tenant lands on both rather than on one. In each round each
engine is a fresh process that loads the model, runs --warmup untimed inferences, then
--repeat timed ones:
    edgert:  edgert bench MODEL --json --threads T --input NAME=input.npy --warmup W --iters R
    ORT:     node bench/ort_bench.js MODEL NAME=input.npy --warmup W --repeat R --threads T
             (graph optimisation 'all', intraOpNumThreads T, interOpNumThreads 1)
All rounds' timed runs are pooled: median, min and p90 per engine, the ratio of the
medians (edgert / ORT, > 1 means edgert is slower) and the range of the per-round ratios
(how much the ratio moved between rounds). Each process's peak RSS is its own VmHWM
(/proc/self/status, reported in its JSON; ORT's includes Node.js itself); wait4()'s
ru_maxrss is only a fallback (Linux carries it across exec from this driver).

GFLOP/s = 2 x MACs / median, with MACs from edgert's JSON (Conv/ConvTranspose/Gemm/MatMul
on the shapes of the run, tools/macs.h). % of peak is against the FP32 FMA peak of T
threads that each edgert process measures at its start (src/kernels/peak: T threads of
FMA chains at once, widest ISA in force); the best of the rounds is used, since load
from others can only lower it. --peak-gflops X replaces it by X per core x T.
../shared/tools/peak_flops.c, where present, is also run once for the report's header
(one core, zmm and ymm).

--callgrind MODEL (off by default) counts the instructions (Ir) of one single-threaded
inference under valgrind --tool=callgrind, collecting only inside ert_context_run: unlike
wall time this does not move with the machine's load, so it is the figure to compare
across commits. --profile (off by default) samples edgert with `perf record` (whole
process, so load time is in it) and lists the hottest functions with their source file.

Inputs are the parity harness's (scripts/parity.py: rendered documents and text lines,
synthetic photos), saved under --workdir. The report (--report) is markdown; if the file
exists and holds the markers <!-- bench:begin --> and <!-- bench:end -->, only the text
between them is replaced, so hand-written notes around them survive a re-run.
Needs /usr/bin/python3 with numpy + PIL, node, `npm install --ignore-scripts`, and the
exported models (scripts/export_models.py models/).
"""
import argparse
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import parity  # noqa: E402  (the cases, input makers and model paths)

DEFAULT_MODELS = ["ppocr_det", "ppocr_rec", "ppocr_cls", "resnet50", "mobilenet_v2",
                  "efficientnet_b0", "yolov5n", "depth_unet"]
PEAK_SRC = os.path.join(os.path.dirname(ROOT), "shared", "tools", "peak_flops.c")
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def case_for(name):
    """The first parity case of a model: the shapes the brief names (det 640x640, ...)."""
    for c in parity.CASES:
        if c[0] == name:
            return c
    return None


def sh(cmd, timeout=None):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return p.returncode, p.stdout


def sh_rss(cmd, timeout):
    """Runs cmd; returns (rc, stdout, stderr, peak RSS in MiB of that child). wait4()
    reaps the child itself, so its own rusage (ru_maxrss, KiB on Linux) is read, not the
    running maximum over all children that RUSAGE_CHILDREN would give. But Linux carries
    ru_maxrss across exec, so a child of this (~111 MiB) process never reads below this
    process's own peak: both engines therefore report their VmHWM themselves (edgert's
    peak_rss_mb, ort_bench.js's vmhwm_mb) and this value is only the fallback."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    killed = []
    timer = threading.Timer(timeout, lambda: (killed.append(True), p.kill()))
    timer.start()
    err = []
    t = threading.Thread(target=lambda: err.append(p.stderr.read()))
    t.start()
    out = p.stdout.read()
    t.join()
    _, status, ru = os.wait4(p.pid, 0)
    timer.cancel()
    p.returncode = os.waitstatus_to_exitcode(status)
    if killed:
        raise subprocess.TimeoutExpired(cmd, timeout)
    return p.returncode, out, "".join(err), ru.ru_maxrss / 1024.0


def last_line(text):
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def cpu_steal():
    """(steal, total) jiffies from /proc/stat: time the hypervisor gave our vCPUs to others."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (v[7] if len(v) > 7 else 0), sum(v)


def cpu_info():
    info = {}
    with open("/proc/cpuinfo") as f:
        for line in f:
            if ":" not in line:
                if info:
                    break
                continue
            k, v = (s.strip() for s in line.split(":", 1))
            info.setdefault(k, v)
    flags = info.get("flags", "").split()
    simd = [x for x in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile") if x in flags]
    name = info.get("model name", "?")
    return (f"{name} (family {info.get('cpu family', '?')} model {info.get('model', '?')} "
            f"stepping {info.get('stepping', '?')}), {os.cpu_count()} logical CPUs "
            f"({info.get('cpu MHz', '?')} MHz as /proc/cpuinfo reports it), {' '.join(simd)}")


def git_state():
    rc, head = sh(["git", "-C", ROOT, "rev-parse", "--short=12", "HEAD"])
    head = head.strip() if rc == 0 else "?"
    rc, dirty = sh(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "include", "tools"])
    n = len([ln for ln in dirty.splitlines() if ln.strip()]) if rc == 0 else 0
    return head + (f" (+{n} uncommitted file(s) in src/include/tools of this checkout)" if n else "")


def stats(t):
    s = sorted(t)
    return dict(median=statistics.median(s), min=s[0], p90=s[max(0, -(-9 * len(s) // 10) - 1)], n=len(s))


def run_edgert(edgert, model, in_name, inp, warmup, repeat, threads, timeout):
    """One `edgert bench --json` process: its JSON (times_ms, macs, peak_gflops, isa, ...)
    plus the child's peak RSS."""
    cmd = [edgert, "bench", model, "--json", "--threads", str(threads), "--input", f"{in_name}={inp}",
           "--warmup", str(warmup), "--iters", str(repeat)]
    rc, out, err, rss = sh_rss(cmd, timeout)
    js = [ln for ln in out.splitlines() if ln.startswith("{")]
    if rc != 0 or not js:
        raise RuntimeError(f"edgert rc={rc}: {last_line(err) or last_line(out)}")
    d = json.loads(js[-1])
    d["rss_mb"] = d.get("peak_rss_mb") or rss  # edgert's own VmHWM (see sh_rss)
    return d


def run_ort(model, in_name, inp, warmup, repeat, threads, timeout):
    cmd = ["node", os.path.join(ROOT, "bench", "ort_bench.js"), model, f"{in_name}={inp}",
           "--warmup", str(warmup), "--repeat", str(repeat), "--threads", str(threads)]
    rc, out, err, rss = sh_rss(cmd, timeout)
    js = [ln for ln in out.splitlines() if ln.startswith("{")]
    if rc != 0 or not js:
        raise RuntimeError(f"ORT rc={rc}: {last_line(err) or last_line(out)}")
    d = json.loads(js[-1])
    d["rss_mb"] = d.get("vmhwm_mb") or rss  # Node's own VmHWM (see sh_rss)
    return d


def defining_file(func, cache={}):  # noqa: B006  (memo)
    """src/... file whose text defines func (a line starting a definition), or ''."""
    if func in cache:
        return cache[func]
    pat = re.compile(r"^[A-Za-z_].*\b" + re.escape(func) + r"\s*\(", re.M)
    found = ""
    for d, _, files in os.walk(os.path.join(ROOT, "src")):
        for fn in sorted(files):
            if fn.endswith(".c"):
                p = os.path.join(d, fn)
                with open(p, errors="replace") as f:
                    if pat.search(f.read()):
                        found = os.path.relpath(p, ROOT)
                        break
        if found:
            break
    cache[func] = found
    return found


def perf_profile(edgert, model, in_name, inp, repeat, threads, workdir, top=6):
    data = os.path.join(workdir, "perf.data")
    rc, out = sh(["perf", "record", "-q", "-F", "999", "-o", data, edgert, "run", model, "--input",
                  f"{in_name}={inp}", "--repeat", str(repeat), "--threads", str(threads)])
    if rc != 0:
        return f"perf failed: {last_line(out) or rc}"
    rc, rep = sh(["perf", "report", "-i", data, "--stdio", "--sort", "symbol"])
    items = []
    for ln in rep.splitlines():
        m = re.match(r"^\s*([0-9.]+)%\s+\[(.)\]\s+(\S+)", ln)
        if m and len(items) < top:
            pct, kind, sym = float(m.group(1)), m.group(2), m.group(3)
            where = "kernel" if kind == "k" else (os.path.basename(defining_file(sym)) or "libc/other")
            items.append(f"{sym} ({where}) {pct:.0f}%")
    return ", ".join(items)


def callgrind_ir(edgert, model, in_name, inp, workdir, top=5):
    """Ir of one single-threaded inference (collection only inside ert_context_run) and the
    top functions."""
    out_file = os.path.join(workdir, "callgrind.out")
    rc, out = sh(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}",
                  "--collect-atstart=no", "--toggle-collect=ert_context_run", edgert, "run", model,
                  "--input", f"{in_name}={inp}"])
    m = re.search(r"Collected\s*:\s*(\d+)", out)
    if rc != 0 or not m:
        return None, f"valgrind rc={rc}"
    rc, ann = sh(["callgrind_annotate", "--inclusive=no", out_file])
    items = []
    for ln in ann.splitlines():
        mm = re.match(r"^\s*([\d,]+)\s+\(\s*([0-9.]+)%\)\s+\S*?:(\S+)", ln)
        if mm and len(items) < top:
            f = defining_file(mm.group(3))
            items.append(f"{mm.group(3)} ({os.path.basename(f) or 'libc/other'}) {float(mm.group(2)):.0f}%")
    return int(m.group(1)), ", ".join(items)


def peak_flops_1core(workdir):
    """One core's FP32 FMA peak from ../shared/tools/peak_flops.c ({'avx512': x, 'avx2': y}),
    or None without the file, gcc or AVX-512 (it is built with -mavx512f)."""
    with open("/proc/cpuinfo") as f:
        if " avx512f" not in f.read():
            return None
    exe = os.path.join(workdir, "peak_flops")
    if not (os.path.exists(PEAK_SRC) and shutil.which("gcc")):
        return None
    rc, _ = sh(["gcc", "-O2", "-mavx512f", "-mfma", PEAK_SRC, "-o", exe])
    if rc != 0:
        return None
    rc, out = sh([exe])
    m = re.search(r"\{.*\}\s*\}", out, re.S)
    return json.loads(m.group(0))["fp32_fma_peak_gflops_1core"] if rc == 0 and m else None


def fmt(v, nd=1):
    return "-" if v is None else f"{v:.{nd}f}"


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", action="extend", metavar="NAME",
                    help=f"models (default: {' '.join(DEFAULT_MODELS)})")
    ap.add_argument("--threads", nargs="+", type=int, default=None, metavar="N",
                    help="thread counts, each a row per model (default: 1 2); both engines get N")
    ap.add_argument("--repeat", type=int, default=10, help="timed runs per engine per round (default 10)")
    ap.add_argument("--warmup", type=int, default=2, help="untimed runs per process before timing (default 2)")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds per model (default 3)")
    ap.add_argument("--edgert", default=os.path.join(ROOT, "build-bench", "edgert"),
                    help="edgert binary (default build-bench/edgert, a Release build)")
    ap.add_argument("--report", help="write the results as markdown here (e.g. bench/RESULTS.md)")
    ap.add_argument("--workdir", default=os.path.join(ROOT, "out", "bench"), help="inputs (default out/bench)")
    ap.add_argument("--models-dir", default=os.path.join(ROOT, "models"), help="exported models (default models/)")
    ap.add_argument("--callgrind", default="none", metavar="MODEL|none",
                    help="count one inference's instructions under callgrind (default none)")
    ap.add_argument("--profile", action="store_true", help="perf-sample edgert per model: hottest functions")
    ap.add_argument("--peak-gflops", type=float,
                    help="one core's FP32 peak in GFLOP/s, used x threads (default: the peak each "
                    "edgert bench process measures for its threads)")
    ap.add_argument("--timeout", type=int, default=1800, help="per-process timeout in seconds")
    ap.add_argument("--commit", help="what the edgert binary was built from, for the report (default: this "
                    "checkout's HEAD and its count of uncommitted files in src/include/tools)")
    ap.add_argument("--list", action="store_true", help="list the models and exit")
    args = ap.parse_args(argv)
    args.threads = args.threads or [1, 2]
    if any(t < 1 for t in args.threads) or args.rounds < 1 or args.repeat < 1 or args.warmup < 0:
        ap.error("--threads, --rounds and --repeat must be >= 1, --warmup >= 0")
    return args


def bench_pair(args, env, edgert, model, in_name, inp, threads):
    """--rounds alternating rounds of both engines at one thread count."""
    row = dict(threads=threads, e=[], o=[], ratios=[], cpw=[], peaks=[], e_rss=[], o_rss=[], macs=None,
               isa="?", note="", load=loadavg())
    try:
        for r in range(args.rounds):
            order = ("e", "o") if r % 2 == 0 else ("o", "e")
            got = {}
            for eng in order:
                if eng == "e":
                    d = run_edgert(edgert, model, in_name, inp, args.warmup, args.repeat, threads, args.timeout)
                    got["e"] = d["times_ms"]
                    row["peaks"].append(d["peak_gflops"])
                    row["e_rss"].append(d["rss_mb"])
                    row["macs"], row["isa"] = d.get("macs"), d.get("isa", "?")
                else:
                    d = run_ort(model, in_name, inp, args.warmup, args.repeat, threads, args.timeout)
                    got["o"], env["ort"] = d["times_ms"], d.get("ort_version", "?")
                    row["o_rss"].append(d["rss_mb"])
                    if d.get("cpu_per_wall") is not None:
                        row["cpw"].append(d["cpu_per_wall"])
            row["e"] += got["e"]
            row["o"] += got["o"]
            row["ratios"].append(statistics.median(got["e"]) / statistics.median(got["o"]))
            print(f"  {threads} thread(s), round {r + 1}: edgert median {statistics.median(got['e']):.2f} ms, "
                  f"ORT {statistics.median(got['o']):.2f} ms", flush=True)
    except (RuntimeError, subprocess.TimeoutExpired, ValueError, KeyError) as ex:
        row["note"] = str(ex)[:160]
        print("  " + row["note"], flush=True)
    if args.peak_gflops:
        row["peak"] = args.peak_gflops * threads
    else:
        row["peak"] = max(row["peaks"]) if row["peaks"] else None
    return row


def bench_model(args, env, edgert, name):
    _, _, _, in_name, shape, maker = case_for(name)
    shp = "x".join(map(str, shape))
    model = parity.model_path(case_for(name), args.models_dir)
    cdir = os.path.join(args.workdir, f"{name}_{shp}")
    os.makedirs(cdir, exist_ok=True)
    inp = os.path.join(cdir, "input.npy")
    np.save(inp, np.ascontiguousarray(maker(shape), dtype=np.float32))
    print(f"{name} {shp}: load {loadavg()}", flush=True)
    rows = []
    for t in args.threads:
        row = bench_pair(args, env, edgert, model, in_name, inp, t)
        row.update(name=name, shp=shp)
        rows.append(row)
    if args.profile and rows and rows[0]["e"]:
        rows[0]["profile"] = perf_profile(edgert, model, in_name, inp, max(3, args.repeat // 2),
                                          args.threads[0], cdir)
        print(f"  profile: {rows[0]['profile']}", flush=True)
    return rows


def run_callgrind(args, edgert):
    c = case_for(args.callgrind)
    if c is None:
        print(f"bench_vs_ort.py: --callgrind: unknown model {args.callgrind}", file=sys.stderr)
        return None
    if not shutil.which("valgrind"):
        print("bench_vs_ort.py: --callgrind: no valgrind", file=sys.stderr)
        return None
    shp = "x".join(map(str, c[4]))
    cdir = os.path.join(args.workdir, f"{c[0]}_{shp}")
    inp = os.path.join(cdir, "input.npy")
    if not os.path.exists(inp):
        os.makedirs(cdir, exist_ok=True)
        np.save(inp, np.ascontiguousarray(c[5](c[4]), dtype=np.float32))
    model = parity.model_path(c, args.models_dir)
    ir, top = callgrind_ir(edgert, model, c[3], inp, cdir)
    try:
        macs = run_edgert(edgert, model, c[3], inp, 1, 1, 1, args.timeout).get("macs")
    except (RuntimeError, subprocess.TimeoutExpired):
        macs = None
    print(f"callgrind {c[0]} {shp}: {ir} Ir per inference; {top}", flush=True)
    return dict(name=c[0], shp=shp, ir=ir, top=top, macs=macs)


HDR = ["model", "input", "threads", "GMACs", "edgert median ms", "edgert min / p90", "ORT median ms",
       "ORT min / p90", "edgert / ORT", "per-round ratio", "peak GFLOP/s", "edgert GFLOP/s", "edgert % peak",
       "ORT GFLOP/s", "ORT % peak", "edgert RSS MiB", "ORT RSS MiB", "ORT cores busy", "load (1/5/15)"]


def table_row(r):
    e = stats(r["e"]) if r["e"] else None
    o = stats(r["o"]) if r["o"] else None
    macs, peak = r["macs"], r["peak"]
    g = lambda s: 2 * macs / (s["median"] * 1e6) if s and macs else None  # noqa: E731
    pct = lambda x: fmt(100 * x / peak) + "%" if x and peak else "-"  # noqa: E731
    return [
        r["name"], r["shp"], str(r["threads"]), fmt(macs / 1e9 if macs else None, 3),
        fmt(e and e["median"], 2), f"{e['min']:.2f} / {e['p90']:.2f}" if e else "-",
        fmt(o and o["median"], 2), f"{o['min']:.2f} / {o['p90']:.2f}" if o else "-",
        fmt(e["median"] / o["median"], 2) + "x" if e and o else "-",
        f"{min(r['ratios']):.2f}-{max(r['ratios']):.2f}" if r["ratios"] else "-",
        fmt(peak), fmt(g(e)), pct(g(e)), fmt(g(o)), pct(g(o)),
        fmt(max(r["e_rss"]) if r["e_rss"] else None), fmt(max(r["o_rss"]) if r["o_rss"] else None),
        fmt(statistics.median(r["cpw"]), 2) if r["cpw"] else "-",
        r["load"] + (f" ({r['note']})" if r["note"] else "")]


def main(argv=None):
    args = parse_args(argv)
    if args.list:
        for n in DEFAULT_MODELS:
            c = case_for(n)
            print(f"{n:16s} {'x'.join(map(str, c[4])):14s} {c[1]}")
        return 0
    names = args.models or DEFAULT_MODELS
    bad = [n for n in names if case_for(n) is None]
    if bad:
        print(f"bench_vs_ort.py: unknown model(s) {bad}; known: {parity.MODEL_NAMES}", file=sys.stderr)
        return 2
    edgert = os.path.abspath(args.edgert)
    if not os.access(edgert, os.X_OK):
        print(f"bench_vs_ort.py: no edgert binary at {edgert} (cmake -S . -B build-bench "
              "-DCMAKE_BUILD_TYPE=Release && cmake --build build-bench -j2 --target edgert)", file=sys.stderr)
        return 2
    parity.ensure_exported(names, args.models_dir)

    env = dict(date=datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"), cpu=cpu_info(),
               commit=args.commit or git_state(), load_start=loadavg(), edgert=os.path.relpath(edgert, ROOT)
               if edgert.startswith(ROOT) else edgert, ort="?")
    os.makedirs(args.workdir, exist_ok=True)
    env["peak_1core"] = peak_flops_1core(args.workdir)
    if env["peak_1core"]:
        print(f"peak_flops.c, one core: {env['peak_1core']}", flush=True)
    steal0 = cpu_steal()
    t_start = time.time()
    rows = []
    for name in names:
        rows += bench_model(args, env, edgert, name)
    cg = run_callgrind(args, edgert) if args.callgrind != "none" else None
    steal1 = cpu_steal()
    env["load_end"] = loadavg()
    env["steal"] = 100.0 * (steal1[0] - steal0[0]) / max(1, steal1[1] - steal0[1])
    env["minutes"] = (time.time() - t_start) / 60
    env["isa"] = next((r["isa"] for r in rows if r["isa"] != "?"), "?")

    table = [table_row(r) for r in rows]
    widths = [max(len(h), *(len(t[i]) for t in table)) for i, h in enumerate(HDR)]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(HDR, widths)))
    for t in table:
        print("  ".join(c.ljust(w) for c, w in zip(t, widths)))
    print(f"\n{args.rounds * args.repeat} timed runs per engine per model and thread count ({args.rounds} rounds x "
          f"{args.repeat}, {args.warmup} warm-up per process); ORT {env['ort']}; edgert isa {env['isa']}; "
          f"load {env['load_start']} -> {env['load_end']}, steal {env['steal']:.1f}%, {env['minutes']:.1f} min")
    if args.report:
        write_report(args, env, rows, table, cg)
    return 0 if all(r["e"] and r["o"] for r in rows) else 1


def report_header(args, env):
    p1 = env.get("peak_1core")
    one = (f" `../shared/tools/peak_flops.c` on one core: {p1['avx512']:.1f} GFLOP/s zmm, {p1['avx2']:.1f} ymm."
           if p1 else "")
    peak = (f"--peak-gflops {args.peak_gflops} per core x threads" if args.peak_gflops else
            "measured by each edgert bench process for its thread count (src/kernels/peak, best of the rounds)")
    return (f"Measured {env['date']} on {env['cpu']}; commit {env['commit']}; edgert binary "
            f"`{env['edgert']}` (kernels: {env['isa']}); ONNX Runtime {env['ort']} (npm onnxruntime-node, CPU EP, "
            f"graph optimisation 'all', intra-op threads = the row's threads, inter-op 1). "
            f"{args.rounds} alternating rounds x {args.repeat} timed runs per engine per model and thread count, "
            f"{args.warmup} warm-up runs per process. Load average (1/5/15 min) {env['load_start']} at the "
            f"start, {env['load_end']} at the end; hypervisor steal {env['steal']:.1f}% of CPU time over the "
            f"run ({env['minutes']:.1f} min). Peak FP32: {peak}.{one}")


def write_report(args, env, rows, table, cg):
    md = [BEGIN, "", report_header(args, env), "",
          "| " + " | ".join(HDR) + " |", "|" + "---|" * len(HDR)]
    md += ["| " + " | ".join(t) + " |" for t in table]
    md.append("")
    md.append("GFLOP/s = 2 x MACs / median latency; % peak = GFLOP/s / the FP32 peak of the row's threads "
              "('peak GFLOP/s'). edgert / ORT is the ratio of the pooled medians; 'per-round ratio' is the range "
              "of the rounds' own ratios (their spread is the measurement's noise). RSS is each process's peak "
              "resident set (its own VmHWM, largest over the rounds); ORT's includes Node.js. 'ORT cores busy' "
              "= ORT's process CPU time / wall time over its timed runs.")
    if cg:
        md += ["", f"**Instruction count (callgrind, repeatable):** one `{cg['name']}` {cg['shp']} inference "
               f"(`ert_context_run` only, 1 thread) = **{cg['ir']:,} Ir**"
               + (f" ({cg['ir'] / cg['macs']:.2f} Ir per MAC)" if cg["ir"] and cg["macs"] else "")
               + f". Hottest functions (self Ir): {cg['top']}."] if cg["ir"] else []
    prof = [r for r in rows if r.get("profile")]
    if prof:
        md += ["", "**Where edgert's time goes** (perf samples of the whole process, self time; the "
               "file that defines each function):", ""]
        md += [f"- {r['name']}: {r['profile']}" for r in prof]
    md += ["", END]
    block = "\n".join(md)
    path = args.report
    old = open(path).read() if os.path.exists(path) else ""
    if BEGIN in old and END in old:
        new = old[:old.index(BEGIN)] + block + old[old.index(END) + len(END):]
    else:
        new = "# edgert vs ONNX Runtime: latency\n\n" + block + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(new)
    print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(main())
