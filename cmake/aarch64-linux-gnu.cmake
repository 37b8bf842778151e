# Cross-compiling edgert for AArch64 Linux with Debian's gcc-aarch64-linux-gnu; the
# binaries run under qemu-user (scripts/test.sh: "aarch64 under qemu").
# Needs: gcc-aarch64-linux-gnu libc6-dev-arm64-cross libprotobuf-c-dev:arm64 qemu-user.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /usr/lib/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)   # protoc-c runs on the build machine
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)     # protobuf-c headers are arch-independent
set(ENV{PKG_CONFIG_LIBDIR} /usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig)
# LD_LIBRARY_PATH: the cross libc, matching the cross ld.so. libprotobuf-c-dev:arm64 pulls
# in Debian's libc6:arm64, which can be a newer point release than libc6-arm64-cross (seen:
# 2.36-9+deb12u14 against 2.36-8cross1); qemu then paired the old ld.so with the new
# libc.so.6 from /lib/aarch64-linux-gnu and every program hung at startup.
set(CMAKE_CROSSCOMPILING_EMULATOR
    qemu-aarch64;-L;/usr/aarch64-linux-gnu;-E;LD_LIBRARY_PATH=/usr/aarch64-linux-gnu/lib)
