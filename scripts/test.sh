#!/usr/bin/env bash
# edgert's test command (README). On a fresh Debian 12 machine it installs what it needs,
# then:
#   1. builds with -Werror and runs every test with ctest (ONNX conformance, API, CLI and
#      bad-input tests, parity with ONNX Runtime on real and exported models);
#   2. rebuilds with AddressSanitizer + UndefinedBehaviorSanitizer and runs them again;
#   3. fuzzes with libFuzzer for 60 s per target: the importer (seeded with the
#      conformance models), the .npy reader and the CLI's --shapes/--input parsing;
#   4. installs the library and builds + runs examples/hello_edgert.c against it.
# Environment: ERT_SKIP_ASAN=1 / ERT_SKIP_FUZZ=1 skip steps 2 / 3 (local iteration only).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
JOBS=$(nproc)
t0=$(date +%s)
step() { echo; echo "=== $* ($(( $(date +%s) - t0 )) s) ==="; }

step "setup"
bash scripts/setup.sh

# Release (-O3 -DNDEBUG) is what users build for deployment: warnings there fail CI too.
step "build (Release, -Werror)"
cmake -S . -B build -DERT_WERROR=ON -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j"$JOBS"
step "tests"
ctest --test-dir build --output-on-failure
# The same binary with its kernels capped at each lower x86 level (run-time dispatch):
# every fast kernel's generic and AVX2 paths run the conformance suite, the kernel tests
# and the real models too.
for isa in avx2 generic; do
  step "tests at ERT_ISA=$isa"
  ERT_ISA=$isa ctest --test-dir build --output-on-failure -L isa
done
step "main job (README): PP-OCRv4 det, edgert vs ONNX Runtime"
EDGERT_SKIP_APT=1 EDGERT_BUILD_DIR=build bash scripts/main_job.sh

# The thread pool's synchronization under ThreadSanitizer: the pool and its test alone,
# compiled directly (seconds, not a whole sanitized build). halt_on_error: any race fails.
step "thread pool under ThreadSanitizer"
tsan_cc=$(command -v clang || command -v gcc)
mkdir -p build-tsan
"$tsan_cc" -std=c11 -D_DEFAULT_SOURCE -O1 -g -fsanitize=thread -Wall -Wextra -Wno-unused-parameter \
  -Werror -Iinclude -Isrc tests/runtime/test_threadpool.c src/runtime/threadpool.c \
  src/util/fpmode.c -lpthread -o build-tsan/test_threadpool
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 build-tsan/test_threadpool
# Then the library under TSan, two contexts (own pools, 2 threads each) of one model at once:
# races between contexts, or inside the kernels that use the pool, fail here.
step "two contexts at once under ThreadSanitizer"
CC="$tsan_cc" cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null
cmake --build build-tsan -j"$JOBS" --target test_contexts
for m in build/test_models/api/small_cnn.onnx models/mobilenet_v2.onnx; do
  if [ -f "$m" ]; then TSAN_OPTIONS=halt_on_error=1 build-tsan/tests/test_contexts "$m" 2 3; fi
done

# AArch64 (NEON kernels, HWCAP detection) cross-compiled, run under qemu-user.
if [ "${ERT_SKIP_AARCH64:-0}" != 1 ]; then
  step "aarch64 under qemu: conformance and C tests"
  bash scripts/test_aarch64.sh build-aarch64
fi

if [ "${ERT_SKIP_ASAN:-0}" != 1 ]; then
  step "build (ASan + UBSan)"
  cmake -S . -B build-asan -DERT_WERROR=ON -DERT_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-asan -j"$JOBS"
  step "tests under ASan + UBSan"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure
fi

if [ "${ERT_SKIP_FUZZ:-0}" != 1 ]; then
  # A fixed seed makes the run a prefix of the same mutation sequence every time, so CI
  # repeats what was fuzzed (longer) during development instead of drawing new inputs.
  # Three targets, 60 s each: the importer (seeded with the conformance models), the
  # .npy reader and the CLI's --shapes/--input parsing (seeds in tests/fuzz/seeds/).
  # scripts/fuzz.sh runs them longer with random seeds (docs/fuzzing.md).
  step "fuzz (libFuzzer, 3 targets x 60 s)"
  CC=clang cmake -S . -B build-fuzz -DERT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build-fuzz -j"$JOBS" --target fuzz_import fuzz_npy fuzz_cli_inputs
  corpus=build-fuzz/corpus; seeds=build-fuzz/seeds
  rm -rf "$seeds"; mkdir -p "$corpus" "$seeds" build-fuzz/corpus_npy build-fuzz/corpus_cli
  i=0
  for f in ../shared/onnx-node-tests/node/*/model.onnx; do
    i=$((i + 1)); cp "$f" "$seeds/seed_$i.onnx"
  done
  fuzz_opts="-seed=1 -max_total_time=60 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1"
  (cd build-fuzz && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./fuzz_import $fuzz_opts \
      -max_len=16384 corpus seeds "$ROOT/tests/fuzz/findings" 2>&1 | tail -20)
  (cd build-fuzz && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./fuzz_npy $fuzz_opts \
      -max_len=4096 corpus_npy "$ROOT/tests/fuzz/seeds/npy" 2>&1 | tail -12)
  (cd build-fuzz && UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 ./fuzz_cli_inputs $fuzz_opts \
      -max_len=1024 -close_fd_mask=2 corpus_cli "$ROOT/tests/fuzz/seeds/cli_inputs" 2>&1 | tail -12)
  echo "fuzz: no crash, leak or timeout"
fi

step "install + example against the installed library"
rm -rf build/stage
cmake --install build --prefix "$ROOT/build/stage" >/dev/null
export PKG_CONFIG_PATH="$ROOT/build/stage/lib/pkgconfig:$ROOT/build/stage/lib/x86_64-linux-gnu/pkgconfig"
libdir=$(pkg-config --variable=libdir edgert)
cc -std=c11 -Wall -Wextra -Wpedantic -Werror examples/hello_edgert.c \
  $(pkg-config --cflags --libs edgert) -Wl,-rpath,"$libdir" -o build/hello_edgert
./build/hello_edgert build/test_models/api/small_cnn.onnx

step "all tests passed"
