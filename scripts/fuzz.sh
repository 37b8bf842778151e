#!/usr/bin/env bash
# Longer fuzzing campaign than CI's 60 s per target (scripts/test.sh): every libFuzzer
# target of tests/fuzz for MINUTES minutes each (default 10), one after another, with a
# random seed, growing a corpus per target and saving crashes, leaks, timeouts and OOMs
# to $BUILD/crashes/<target>/. Prints per target: executions, coverage (edges, features),
# corpus size and findings. Write the figures to docs/fuzzing.md after a campaign.
#   scripts/fuzz.sh [MINUTES]        env: ERT_FUZZ_BUILD (default build-fuzz),
#                                         ERT_FUZZ_TARGETS (default: all three),
#                                         ERT_TEST_DATA (default ../shared/onnx-node-tests)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
MIN=${1:-10}
BUILD=${ERT_FUZZ_BUILD:-build-fuzz}
TARGETS=${ERT_FUZZ_TARGETS:-"fuzz_import fuzz_npy fuzz_cli_inputs"}
BUILD=$(realpath -m "$BUILD")
CC=clang cmake -S . -B "$BUILD" -DERT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
# shellcheck disable=SC2086
cmake --build "$BUILD" -j"$(nproc)" --target $TARGETS
seeds_of() {
  case $1 in
    fuzz_import) echo "$BUILD/seeds_import" ;;
    fuzz_npy) echo "$ROOT/tests/fuzz/seeds/npy" ;;
    fuzz_cli_inputs) echo "$ROOT/tests/fuzz/seeds/cli_inputs" ;;
  esac
}
extra_of() { # the CLI target's own messages would flood the log (see its banner)
  case $1 in fuzz_cli_inputs) echo "-close_fd_mask=2" ;; *) echo "" ;; esac
}
maxlen_of() {
  case $1 in fuzz_import) echo 16384 ;; fuzz_npy) echo 4096 ;; *) echo 1024 ;; esac
}
mkdir -p "$BUILD/seeds_import"
if [ -z "$(ls -A "$BUILD/seeds_import")" ]; then
  i=0
  for f in "${ERT_TEST_DATA:-../shared/onnx-node-tests}"/node/*/model.onnx; do
    i=$((i + 1)); cp "$f" "$BUILD/seeds_import/seed_$i.onnx"
  done
fi
for t in $TARGETS; do
  corpus="$BUILD/corpus_$t"; crashes="$BUILD/crashes/$t"
  mkdir -p "$corpus" "$crashes"
  log="$BUILD/fuzz_$t.log"
  echo "=== $t: $MIN min, random seed ==="
  set +e
  (cd "$BUILD" && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 "./$t" -seed=0 \
      -max_total_time=$((MIN * 60)) -timeout=10 -rss_limit_mb=2048 -max_len="$(maxlen_of "$t")" \
      -print_final_stats=1 $(extra_of "$t") -artifact_prefix="$crashes/" "$corpus" "$(seeds_of "$t")") \
      > "$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' || true)
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' || true)
  seed=$(grep -o 'Seed: [0-9]*' "$log" | head -1 || true)
  found=$(ls "$crashes" | wc -l)
  echo "$t: rc $rc, $seed, executions $execs, $cov, $ft, corpus $(ls "$corpus" | wc -l) files, findings $found (log $log)"
done
