#!/usr/bin/env bash
# arm64 (issue 10, part 2): cross-compiles the C kernels (Sources/CHeadwayKernels: portable and NEON sets) and their
# agreement test (Tests/CKernels/agreement.c) with Debian's aarch64 cross compiler, and runs the test under
# qemu-aarch64: the NEON set against the portable set and the test's double-precision references.
# Needs: gcc-aarch64-linux-gnu, libc6-dev-arm64-cross, qemu-user. The Swift engine itself is not built for arm64 here
# (no Swift toolchain for arm64 on these machines): see the README.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cc=aarch64-linux-gnu-gcc
command -v "$cc" >/dev/null || { echo "check-arm64: $cc missing (apt-get install gcc-aarch64-linux-gnu)" >&2; exit 1; }
command -v qemu-aarch64 >/dev/null || { echo "check-arm64: qemu-aarch64 missing (apt-get install qemu-user)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# The kernels as the package builds them (-O3; GCC contracts a * b + c into FMA unless told not to).
for f in Sources/CHeadwayKernels/*.c; do
    "$cc" -O3 -std=gnu11 -Wall -Werror -ffp-contract=off -I Sources/CHeadwayKernels/include -c "$f" -o "$tmp/$(basename "$f").o"
done
# The test itself without auto-vectorization (GCC 12 has an internal error vectorizing one of its reference loops).
"$cc" -O2 -fno-tree-vectorize -std=gnu11 -Wall -ffp-contract=off -I Sources/CHeadwayKernels/include \
    -c Tests/CKernels/agreement.c -o "$tmp/agreement.o"
"$cc" -static "$tmp"/*.o -lm -o "$tmp/agreement"
qemu-aarch64 "$tmp/agreement"
