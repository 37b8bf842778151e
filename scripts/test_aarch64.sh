#!/usr/bin/env bash
# The ARM path on every change: cross-compiles edgert for AArch64 with Debian's
# gcc-aarch64-linux-gnu (cmake/aarch64-linux-gnu.cmake) and runs the conformance suite
# and the C unit/kernel tests under qemu-user. Installs what it needs (arm64 multiarch
# for libprotobuf-c). Usage: bash scripts/test_aarch64.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
B=${1:-build-aarch64}
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
if ! command -v aarch64-linux-gnu-gcc >/dev/null || ! command -v qemu-aarch64 >/dev/null ||
   [ ! -e /usr/lib/aarch64-linux-gnu/pkgconfig/libprotobuf-c.pc ]; then
  echo "test_aarch64: installing the cross toolchain, qemu-user and libprotobuf-c-dev:arm64"
  dpkg --print-foreign-architectures | grep -qx arm64 || $SUDO dpkg --add-architecture arm64
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends \
    gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libprotobuf-c-dev:arm64 >/dev/null
fi
cmake -S . -B "$B" -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake \
  -DCMAKE_BUILD_TYPE=Release -DERT_WERROR=ON >/dev/null
cmake --build "$B" -j"$(nproc)"
# the cross libc with the cross ld.so (cmake/aarch64-linux-gnu.cmake says why)
QEMU=(qemu-aarch64 -L /usr/aarch64-linux-gnu -E LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib)
"${QEMU[@]}" "$B/ert_conformance" --root ../shared/onnx-node-tests \
  --skip-list tests/conformance_skip.txt --no-table --runs 2
# C tests that need no Python/ONNX Runtime run through CMake's cross-compiling emulator.
ctest --test-dir "$B" --output-on-failure -L aarch64
