#!/usr/bin/env bash
# test_cli.sh EDGERT_BINARY SCRATCH_DIR - end-to-end tests of the `edgert` CLI.
#
# Checks exit codes and messages of `edgert`, `edgert inspect`, `run` and `bench` on tiny
# models made at test time by make_models.py (needs /usr/bin/python3 with onnx and numpy;
# without them the script exits 77, ctest's SKIP_RETURN_CODE). Output .npy files are
# compared with numpy references; the Conv MACs are computed here with the textbook
# formula N*M*Ho*Wo*C*Kh*Kw, independently of edgert and of the model script.
# Prints one line per check and a final "N passed, M failed"; exits 1 on any failure.
set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 EDGERT_BINARY SCRATCH_DIR" >&2
    exit 2
fi
BIN=$1
DIR=$2
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
PASS=0
FAIL=0

ok()  { PASS=$((PASS + 1)); echo "PASS: $1"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL: $1"; shift; for l in "$@"; do echo "      $l"; done; }

# expect NAME RC PATTERN CMD...: runs CMD, checks its exit status and (if PATTERN is not
# empty) that its combined stdout+stderr matches the extended regex PATTERN.
OUT=""
expect() {
    local name=$1 want=$2 pat=$3
    shift 3
    OUT=$("$@" 2>&1)
    local got=$?
    if [ "$got" -ne "$want" ]; then
        bad "$name" "exit status $got, expected $want: $*" "output: $(echo "$OUT" | head -5)"
    elif [ -n "$pat" ] && ! echo "$OUT" | grep -Eq -- "$pat"; then
        bad "$name" "output does not match /$pat/: $*" "output: $(echo "$OUT" | head -8)"
    else
        ok "$name"
    fi
}

# close NAME FILE REF: FILE and REF .npy have equal dtype/shape and values within 1e-5.
close() {
    local msg
    if msg=$("$PY" - "$2" "$3" 2>&1 <<'PYEOF'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
if a.dtype != b.dtype or a.shape != b.shape:
    sys.exit(f"{a.dtype}{a.shape} vs reference {b.dtype}{b.shape}")
if not np.allclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-5, atol=1e-5):
    sys.exit(f"max abs diff {np.abs(a.astype(np.float64) - b.astype(np.float64)).max()}")
PYEOF
    ); then ok "$1"; else bad "$1" "$msg"; fi
}

if [ ! -x "$BIN" ]; then
    echo "FAIL: edgert binary '$BIN' not found or not executable"
    echo "0 passed, 1 failed"
    exit 1
fi
mkdir -p "$DIR" || exit 1
M="$DIR/models"
rm -rf "$M" && mkdir -p "$M"
if ! "$PY" -c "import onnx, numpy" 2>/dev/null; then
    echo "SKIP: $PY lacks the onnx or numpy package (apt-get install python3-onnx)"
    echo "0 passed, 0 failed"
    exit 77
fi
if "$PY" "$HERE/make_models.py" "$M" >"$DIR/make_models.log" 2>&1; then
    ok "make_models.py generated the test models"
else
    bad "make_models.py failed" "$(tail -5 "$DIR/make_models.log")"
    echo "$PASS passed, $FAIL failed"
    exit 1
fi

# ---- help, usage ----
expect "edgert --help lists commands and exit codes" 0 "Exit codes:" "$BIN" --help
expect "edgert --help documents exit code 3" 0 "3  bad input data" "$BIN" --help
expect "edgert --version" 0 "^edgert [0-9]+\.[0-9]+\.[0-9]+" "$BIN" --version
expect "edgert inspect --help" 0 "Usage: edgert inspect" "$BIN" inspect --help
expect "edgert run --help" 0 "Usage: edgert run" "$BIN" run --help
expect "edgert run --help documents --shapes" 0 "--shapes" "$BIN" run --help
expect "edgert help run" 0 "Usage: edgert run" "$BIN" help run
expect "no command: usage error" 1 "Usage: edgert" "$BIN"
expect "unknown command: usage error" 1 "unknown command 'frobnicate'" "$BIN" frobnicate
expect "unknown option: usage error" 1 "unknown option '--bogus'" "$BIN" run --bogus "$M/conv.onnx"
expect "missing option argument: usage error" 1 "needs an argument" "$BIN" run "$M/conv.onnx" --input
expect "run without model: usage error" 1 "missing MODEL" "$BIN" run
expect "inspect without model: usage error" 1 "missing MODEL" "$BIN" inspect
expect "--input without '=': usage error" 1 "expected NAME=FILE" "$BIN" run "$M/conv.onnx" --input x
expect "bad --shapes syntax: usage error" 1 "DIMS must be" "$BIN" run "$M/dyn.onnx" --shapes x:3by4
expect "bad random seed: usage error" 1 "SEED" "$BIN" run "$M/conv.onnx" --input x=random:abc

# ---- model load errors: exit 2 ----
expect "inspect missing model file" 2 "nonexistent\.onnx" "$BIN" inspect "$M/nonexistent.onnx"
expect "run missing model file" 2 "nonexistent\.onnx" "$BIN" run "$M/nonexistent.onnx"
expect "inspect garbage .onnx" 2 "garbage\.onnx" "$BIN" inspect "$M/garbage.onnx"
expect "run garbage .onnx" 2 "garbage\.onnx" "$BIN" run "$M/garbage.onnx"
expect "inspect truncated .onnx" 2 "truncated\.onnx" "$BIN" inspect "$M/truncated.onnx"
expect "run truncated .onnx" 2 "truncated\.onnx" "$BIN" run "$M/truncated.onnx"
expect "inspect unsupported op: exit 2" 2 "" "$BIN" inspect "$M/unsupported.onnx"
expect "inspect lists the unsupported node by name" 2 \
    "node 'my_fancy_node': com\.example:FancyOp" "$BIN" inspect "$M/unsupported.onnx"
expect "inspect names an op version edgert lacks" 2 "node 'old_gelu': Gelu at opset 13" \
    "$BIN" inspect "$M/unsupported.onnx"
expect "inspect counts the unsupported nodes" 2 "2 nodes are not supported" \
    "$BIN" inspect "$M/unsupported.onnx"
expect "run unsupported op: exit 2" 2 "unsupported" "$BIN" run "$M/unsupported.onnx"

# ---- inspect content ----
read -r N C H W MO K PAD S <"$M/conv_geometry.txt"
HO=$(((H + 2 * PAD - K) / S + 1))
WO=$(((W + 2 * PAD - K) / S + 1))
MACS=$((N * MO * HO * WO * C * K * K))
PARAMS=$((MO * C * K * K + MO))
expect "inspect conv.onnx: exit 0" 0 "Supported: +yes" "$BIN" inspect "$M/conv.onnx"
INSPECT=$OUT
chk() { if echo "$INSPECT" | grep -Eq -- "$2"; then ok "$1"; else bad "$1" "no /$2/ in:" "$INSPECT"; fi; }
chk "inspect: IR version" "^IR version: +7$"
chk "inspect: producer" "^Producer: +edgert-cli-test 1\.0$"
chk "inspect: opset" "^Opsets: +ai\.onnx 13$"
chk "inspect: input shape" "^  x +float32 +${N}x${C}x${H}x${W}$"
chk "inspect: output shape" "^  y/out:0 +float32 +${N}x${MO}x${HO}x${WO}$"
chk "inspect: histogram Conv 1" "^  Conv +1$"
chk "inspect: histogram Relu 1" "^  Relu +1$"
chk "inspect: histogram Sigmoid 1" "^  Sigmoid +1$"
chk "inspect: Conv MACs = N*M*Ho*Wo*C*K*K = $MACS" "^  Conv +$MACS( |$)"
chk "inspect: total MACs" "^  Total +$MACS( |$)"
chk "inspect: parameters $PARAMS in 2 initializers, $((PARAMS * 4)) bytes" \
    "^Parameters: +$PARAMS in 2 initializers \\+ 0 Constant nodes, $((PARAMS * 4)) bytes"
expect "inspect dyn.onnx shows the symbolic dim by name" 0 "^  x +float32 +batchx4$" \
    "$BIN" inspect "$M/dyn.onnx"
expect "inspect puts a symbol that is not an identifier in braces" 0 \
    "^  x +float32 +\\{p2o\\.DynamicDimension\\.0\\}x3$" "$BIN" inspect "$M/dyn_dotted.onnx"
expect "run names the dotted symbol in braces when its size is missing" 3 \
    "float32 \\{p2o\\.DynamicDimension\\.0\\}x3\\)" "$BIN" run "$M/dyn_dotted.onnx"
expect "inspect --optimized without the symbolic sizes says how to get the memory plan" 0 \
    "not measured: give every input's shape with --shapes" "$BIN" inspect --optimized "$M/dyn.onnx"
expect "inspect --optimized --shapes reports the arena against the naive sum" 0 \
    "^  arena +[0-9.]+ MiB +\\(intermediates each in a buffer of its own" \
    "$BIN" inspect --optimized "$M/dyn.onnx" --shapes x:3x4
expect "inspect mlp.onnx" 0 "" "$BIN" inspect "$M/mlp.onnx"
INSPECT=$OUT
chk "inspect: Gemm MACs = M*N*K = $((2 * 16 * 8))" "^  Gemm +$((2 * 16 * 8))( |$)"
chk "inspect: MatMul MACs = M*N*K = $((2 * 4 * 16))" "^  MatMul +$((2 * 4 * 16))( |$)"
chk "inspect: Gemm parameters" "^Parameters: +$((16 * 8 + 16 + 16 * 4)) in 3 initializers"
expect "inspect dynconv.onnx" 0 "" "$BIN" inspect "$M/dynconv.onnx"
INSPECT=$OUT
# Conv on [N,3,H,W], 3x3, no pad, 8 filters: symbolic N, H, W counted as 1 -> Ho = Wo = 1
# is impossible (H - 2); the flagged minimum takes each output dim as 1: 8 * 3*3*3.
chk "inspect: symbolic Conv MACs flagged as a minimum" "^  Conv +>= $((8 * 3 * 3 * 3))( |$)"
chk "inspect: ConvTranspose MACs = numel(X)*Cout*K*K = $((4 * 5 * 5 * 2 * 3 * 3))" \
    "^  ConvTranspose +$((4 * 5 * 5 * 2 * 3 * 3))( |$)"
chk "inspect: symbolic dims listed" "^Symbolic dims: N, H, W"
expect "inspect --shapes makes symbolic MACs exact" 0 "^  Conv +$((8 * 8 * 8 * 3 * 3 * 3)) " \
    "$BIN" inspect --shapes x:1x3x10x10 "$M/dynconv.onnx"
expect "inspect --shapes with an unknown input" 3 "no input named 'nope'" \
    "$BIN" inspect --shapes nope:1 "$M/dynconv.onnx"
expect "inspect --shapes contradicting a fixed dim" 3 "contradicts" \
    "$BIN" inspect --shapes x:1x4x10x10 "$M/dynconv.onnx"
expect "inspect --nodes lists nodes" 0 "Conv +conv0 " "$BIN" inspect --nodes "$M/conv.onnx"

# ---- inspect --optimized: the graph optimizer's report ----
expect "inspect --optimized: an unfused candidate with its reason" 0 \
    "Conv 'conv0' not fused with (Relu 'relu0'|Sigmoid 'sig0'): conv output has 2 consumers" \
    "$BIN" inspect --optimized "$M/conv.onnx"
INSPECT=$OUT
chk "inspect --optimized: candidates counted per kind" "^  Conv\+activation +0 applied, +1 left$"
chk "inspect --optimized: no fused layer" "^Fused layers \(0\):$"
# Conv -> BatchNormalization -> Relu becomes one FusedConv (made here: a 3-node graph)
"$PY" - "$M/convbn.onnx" <<'PYEOF'
import sys
import numpy as np
from onnx import TensorProto, helper, numpy_helper, save
r = np.random.default_rng(0)
f = lambda n, *s: numpy_helper.from_array(r.random(s, dtype=np.float32) + 0.5, n)
g = helper.make_graph(
    [helper.make_node("Conv", ["x", "w"], ["c"], name="conv1", kernel_shape=[3, 3], pads=[1] * 4),
     helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"], name="bn1"),
     helper.make_node("Relu", ["n"], ["y"], name="relu1")], "convbn",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
    [f("w", 4, 3, 3, 3), f("s", 4), f("b", 4), f("m", 4), f("v", 4)])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
m.ir_version = 7
save(m, sys.argv[1])
PYEOF
expect "inspect --optimized: Conv+BatchNormalization+Relu fused" 0 \
    "^  conv1 +FusedConv +Conv\+BatchNormalization\+Relu +\(activation Relu\)$" \
    "$BIN" inspect --optimized "$M/convbn.onnx"
INSPECT=$OUT
chk "inspect --optimized: the histogram is the optimized graph's" "^  edgert:FusedConv +1$"
chk "inspect --optimized: BatchNormalization fold counted" \
    "^  Conv\+BatchNormalization +1 applied, +0 left$"
chk "inspect --optimized: fusion counted" "^  Conv\+Relu +1 applied, +0 left$"
expect "run convbn.onnx (optimized: one FusedConv)" 0 "run time" "$BIN" run "$M/convbn.onnx"

# ---- run: success ----
O="$DIR/out"
rm -rf "$O"
expect "run conv.onnx with x.npy" 0 "run time: [0-9.]+ ms" \
    "$BIN" run "$M/conv.onnx" --input "x=$M/x.npy" --output-dir "$O"
RUN=$OUT
chk2() { if echo "$RUN" | grep -Eq -- "$2"; then ok "$1"; else bad "$1" "no /$2/ in:" "$RUN"; fi; }
chk2 "run prints output stats" "^  y/out:0 +float32 +${N}x${MO}x${HO}x${WO} +min [-0-9.e]+ +max [-0-9.e]+ +mean"
chk2 "run prints the name -> file mapping (unsafe name renamed)" "y/out:0 +-> .*/y_out_0_1\.npy$"
chk2 "run keeps a safe name, colliding unsafe one deduped" "y_out_0 +-> .*/y_out_0\.npy$"
close "relu output matches numpy reference" "$O/y_out_0_1.npy" "$M/ref_relu.npy"
close "sigmoid output matches numpy reference" "$O/y_out_0.npy" "$M/ref_sigmoid.npy"
if "$PY" - "$O/y_out_0.npy" <<'PYEOF'
import sys
b = open(sys.argv[1], "rb").read()
n = b[8] | b[9] << 8
assert b[:8] == b"\x93NUMPY\x01\x00" and (10 + n) % 64 == 0 and b[10 + n - 1] == 0x0A, b[:16]
PYEOF
then ok "written .npy is v1.0 with a 64-byte aligned header"; else bad "written .npy header"; fi
expect "run with a big-endian .npy" 0 "" \
    "$BIN" run "$M/conv.onnx" --input "x=$M/x_be.npy" --output-dir "$DIR/out_be"
close "big-endian input gives the same output" "$DIR/out_be/y_out_0_1.npy" "$M/ref_relu.npy"
expect "run with a v2.0 .npy header" 0 "" \
    "$BIN" run "$M/conv.onnx" --input "x=$M/x_v2.npy" --output-dir "$DIR/out_v2"
close "v2.0 input gives the same output" "$DIR/out_v2/y_out_0_1.npy" "$M/ref_relu.npy"
expect "run int64 + bool inputs" 0 "^  z +bool +5 " \
    "$BIN" run "$M/ints.onnx" -i "a=$M/a.npy" -i "mask=$M/mask.npy" -o "$DIR/out_int"
close "int64 output matches" "$DIR/out_int/y.npy" "$M/ref_y.npy"
close "bool output matches" "$DIR/out_int/z.npy" "$M/ref_z.npy"

ARGS=()
for t in u8 i8 i32 f16 f64; do ARGS+=(-i "in_$t=$M/in_$t.npy"); done
expect "run uint8/int8/int32/float16/float64 .npy inputs" 0 "out_f16 +float16 +3x2" \
    "$BIN" run "$M/dtypes.onnx" "${ARGS[@]}" -o "$DIR/out_dt"
for t in u8 i8 i32 f16 f64; do close "$t .npy round trip" "$DIR/out_dt/out_$t.npy" "$M/in_$t.npy"; done

rm -rf "$DIR/deep"
expect "--output-dir creates missing parents" 0 "-> .*deep/a/b/y\.npy" \
    "$BIN" run "$M/dyn.onnx" --shapes x:1x4 -o "$DIR/deep/a/b"
expect "--output-dir that is a file: run-time failure" 4 "cannot create output directory" \
    "$BIN" run "$M/dyn.onnx" --shapes x:1x4 -o "$M/x.npy"

# ---- random inputs ----
expect "inputs not given default to random seed 0" 0 "x .*random, seed 0 \(default" \
    "$BIN" run "$M/conv.onnx" -o "$DIR/r0"
expect "random:7 run 1" 0 "random, seed 7" "$BIN" run "$M/conv.onnx" -i x=random:7 -o "$DIR/r7a"
expect "random:7 run 2" 0 "" "$BIN" run "$M/conv.onnx" -i x=random:7 -o "$DIR/r7b"
if cmp -s "$DIR/r7a/y_out_0.npy" "$DIR/r7b/y_out_0.npy"; then ok "same seed, same output"
else bad "same seed, same output"; fi
if ! cmp -s "$DIR/r0/y_out_0.npy" "$DIR/r7a/y_out_0.npy"; then ok "different seed, different output"
else bad "different seed, different output"; fi
expect "random int64/bool inputs" 0 "a .*random.*int64 2x3" "$BIN" run "$M/ints.onnx"

# ---- bad input data: exit 3 ----
expect "wrong .npy dtype names expected and given" 3 "expects dtype float32 but .*float64" \
    "$BIN" run "$M/conv.onnx" --input "x=$M/x_f64.npy"
expect "wrong .npy shape" 3 "x_shape\.npy' has shape 1x3x8x9 but the model expects 1x3x9x9" \
    "$BIN" run "$M/conv.onnx" --input "x=$M/x_shape.npy"
expect "wrong .npy shape, tuning for the files' shapes" 3 \
    "x_shape\.npy' has shape 1x3x8x9 but the model expects 1x3x9x9" \
    "$BIN" run "$M/conv.onnx" --tune --input "x=$M/x_shape.npy"
expect "wrong .npy rank" 3 "rank 3.*rank 4" "$BIN" run "$M/conv.onnx" --input "x=$M/x_rank.npy"
expect "truncated .npy data names file and byte offset" 3 "x_trunc\.npy.*truncated.*byte offset [0-9]+" \
    "$BIN" run "$M/conv.onnx" --input "x=$M/x_trunc.npy"
expect "truncated .npy header" 3 "x_trunc_header\.npy.*truncated.*byte offset 30" \
    "$BIN" run "$M/conv.onnx" --input "x=$M/x_trunc_header.npy"
expect "fortran-order .npy refused" 3 "fortran_order" \
    "$BIN" run "$M/conv.onnx" --input "x=$M/x_fortran.npy"
expect "not a .npy file" 3 "not a \.npy file" "$BIN" run "$M/conv.onnx" --input "x=$M/conv.onnx"
expect "missing .npy file" 3 "cannot open .*nope\.npy" "$BIN" run "$M/conv.onnx" --input "x=$M/nope.npy"
expect "unknown input name" 3 "no input named 'nope'" "$BIN" run "$M/conv.onnx" --input "nope=$M/x.npy"
expect "unknown input name in --shapes" 3 "no input named 'nope'" "$BIN" run "$M/dyn.onnx" --shapes nope:1x4
expect "missing symbolic shape names input and dim" 3 "input 'x'.*dim 0 \('batch'\).*--shapes" \
    "$BIN" run "$M/dyn.onnx"
expect "--shapes contradicting a fixed dim" 3 "dim 1 must be 4, got 5" \
    "$BIN" run "$M/dyn.onnx" --shapes x:3x5
expect "--shapes contradicting the .npy shape" 3 "--shapes says 2x4 but file" \
    "$BIN" run "$M/dyn.onnx" --shapes x:2x4 --input "x=$M/xd.npy"

# ---- run-time failure: exit 4 ----
expect "valid gather indices" 0 "^  y +float32 +2x3 +min 0  max 5" \
    "$BIN" run "$M/gather.onnx" --input "idx=$M/idx_ok.npy"
expect "out-of-range gather index: run-time failure" 4 "run failed" \
    "$BIN" run "$M/gather.onnx" --input "idx=$M/idx_bad.npy"

# ---- symbolic dims resolved ----
expect "--shapes sizes a symbolic dim" 0 "^  y +float32 +3x4 " "$BIN" run "$M/dyn.onnx" --shapes x:3x4
expect ".npy sizes a symbolic dim" 0 "^  y +float32 +3x4 " \
    "$BIN" run "$M/dyn.onnx" --input "x=$M/xd.npy" -o "$DIR/out_dyn"
close "dyn output matches" "$DIR/out_dyn/y.npy" "$M/ref_dyn.npy"

expect "a symbolic dim sized by one input sizes another" 0 "b +dim 0 \('n'\) = 5 \(as in input 'a'\)" \
    "$BIN" run "$M/share.onnx" --input "a=$M/a5.npy"
expect "conflicting sizes of one symbolic dim" 3 "dims with one name must agree" \
    "$BIN" run "$M/share.onnx" --input "a=$M/a5.npy" --shapes b:4x2

# ---- run --threads ----
expect "run --threads 2" 0 "run time: [0-9.]+ ms" \
    "$BIN" run "$M/conv.onnx" --threads 2 --input "x=$M/x.npy" --output-dir "$DIR/out_t2"
close "2-thread output matches numpy reference" "$DIR/out_t2/y_out_0_1.npy" "$M/ref_relu.npy"
expect "run --threads 0: usage error" 1 "--threads '0'" "$BIN" run "$M/conv.onnx" --threads 0

# ---- bench ----
expect "edgert --help lists bench" 0 "bench +time a model" "$BIN" --help
expect "edgert bench --help" 0 "Usage: edgert bench" "$BIN" bench --help
expect "bench report: latency line" 0 "latency ms +min [0-9.]+ +median [0-9.]+ .*p99" \
    "$BIN" bench "$M/conv.onnx" --iters 5 --warmup 1
expect "bench --profile: per-layer table with the Conv's MACs" 0 \
    "Conv .* $(awk -v m="$MACS" 'BEGIN { printf "%.2f", m / 1e6 }') " \
    "$BIN" bench "$M/conv.onnx" --iters 3 --profile
expect "bench --tactics: the Conv's candidates with their timed medians" 0 \
    "timed: conv\.[a-z0-9.]+ [0-9.]+ (ms|us), conv\." "$BIN" bench "$M/conv.onnx" --iters 2 --tactics
expect "bench --tactics --no-tune: heuristic order, and why" 0 "heuristic order: tuning off" \
    "$BIN" bench "$M/conv.onnx" --iters 2 --tactics --no-tune
TCACHE="$DIR/tactics.cache"
rm -f "$TCACHE"
"$BIN" bench "$M/conv.onnx" --iters 1 --timing-cache "$TCACHE" > /dev/null 2>&1
expect "bench --tactics with a warm timing cache: the cached choice" 0 \
    "timing cache: conv\.[a-z0-9.]+ [0-9.]+ (ms|us)" \
    "$BIN" bench "$M/conv.onnx" --iters 2 --tactics --timing-cache "$TCACHE"
# JSON: stdout alone must be one line of JSON with sane fields (checked by python).
for prof in "" --profile; do
    if JS=$("$BIN" bench "$M/conv.onnx" --json --threads 2 --iters 7 --warmup 2 $prof 2>/dev/null) &&
       msg=$("$PY" - "$MACS" "$prof" "$JS" 2>&1 <<'PYEOF'
import json, sys
macs, prof, text = int(sys.argv[1]), sys.argv[2], sys.argv[3]
assert text.count("\n") == 0, "more than one line"
d = json.loads(text)
need = ["model", "isa", "threads", "iters", "warmup", "min_ms", "median_ms", "mean_ms", "p90_ms",
        "p99_ms", "max_ms", "throughput_ips", "macs", "gmacs", "gflops", "peak_gflops", "peak_pct",
        "peak_rss_mb", "load_ms"]
missing = [k for k in need if k not in d]
assert not missing, f"missing {missing}"
assert d["threads"] == 2 and d["iters"] == 7 and d["warmup"] == 2, d
assert d["isa"] in ("generic", "avx2", "avx512", "neon"), d["isa"]
assert 0 < d["min_ms"] <= d["median_ms"] <= d["p90_ms"] <= d["p99_ms"] <= d["max_ms"], d
assert d["min_ms"] <= d["mean_ms"] <= d["max_ms"], d
assert d["model"].endswith("conv.onnx") and d["peak_gflops"] > 0 and d["peak_rss_mb"] > 0, d
assert d["macs"] == macs and abs(d["gmacs"] * 1e9 - macs) < 1000, (d["macs"], d["gmacs"], macs)
assert not d["gmacs_is_min"], d
if prof:
    convs = [l for l in d["layers"] if "Conv" in l["op"]]
    assert len(convs) == 1 and convs[0]["macs"] == macs, d["layers"]
    assert all(l["median_ms"] >= 0 and l["shape"] for l in d["layers"]), d["layers"]
    assert convs[0]["tactics"].startswith("timed: "), convs[0]
PYEOF
       ); then ok "bench --json $prof: one line, fields present and sane"
    else bad "bench --json $prof: one line, fields present and sane" "$msg" "$JS"; fi
done
expect "bench --threads 0: usage error" 1 "--threads '0': expected an integer" \
    "$BIN" bench "$M/conv.onnx" --threads 0
expect "bench --iters abc: usage error" 1 "--iters 'abc'" "$BIN" bench "$M/conv.onnx" --iters abc
expect "bench --iters 0: usage error" 1 "--iters '0'" "$BIN" bench "$M/conv.onnx" --iters 0
expect "bench --warmup -1: usage error" 1 "--warmup '-1'" "$BIN" bench "$M/conv.onnx" --warmup -1
expect "bench unknown option: usage error" 1 "unknown option '--bogus'" \
    "$BIN" bench --bogus "$M/conv.onnx"
expect "bench without model: usage error" 1 "missing MODEL" "$BIN" bench
expect "bench missing model file" 2 "nonexistent\.onnx" "$BIN" bench "$M/nonexistent.onnx"
expect "bench symbolic dim without --shapes: bad input" 3 "dim 0 \('batch'\).*--shapes" \
    "$BIN" bench "$M/dyn.onnx"
expect "bench --shapes sizes a symbolic dim" 0 "latency ms" \
    "$BIN" bench "$M/dyn.onnx" --shapes x:3x4 --iters 2
"$PY" -c "import numpy as np; np.save('$DIR/x10.npy', np.ones((1, 3, 10, 10), np.float32))"
rm -f "$DIR/tc_npy"
expect "bench with a .npy input" 0 "" \
    "$BIN" bench "$M/dynconv.onnx" --input "x=$DIR/x10.npy" --timing-cache "$DIR/tc_npy" --iters 2
if grep -q "|Conv|float32:1x3x10x10;" "$DIR/tc_npy" 2>/dev/null; then
    ok "a symbolic model is tuned for its .npy input's shape"
else bad "a symbolic model is tuned for its .npy input's shape" "$(cat "$DIR/tc_npy" 2>&1)"; fi
expect "bench --no-tune is reported" 0 '"tune":false' "$BIN" bench "$M/conv.onnx" --no-tune --json --iters 2
expect "bench --tune (the default) is reported" 0 '"tune":true' "$BIN" bench "$M/conv.onnx" --json --iters 2

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
