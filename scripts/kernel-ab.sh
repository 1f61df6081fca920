#!/usr/bin/env bash
# A/B benchmark of the one-token (decode) matrix product between two git revisions of the C kernels
# (Sources/CHeadwayKernels): builds each revision's kernels as the package does (-O3, no FMA contraction) into one
# object with its global symbols prefixed a_ / b_, links both into Tests/CKernels/matmul_ab.c, and runs it: the two
# alternate call by call on the same inputs (SmolLM2-135M shapes, streamed from DRAM), medians, ratio, and how many
# outputs are bit-identical. For kernel work; the end-to-end reference stays `headway bench llamacpp`.
#
# Usage: scripts/kernel-ab.sh REV_A [REV_B [SET_A [SET_B [CALLS]]]]
#   REV_B "." (the default) is the working tree; sets default to avx2; e.g. scripts/kernel-ab.sh HEAD~1 . avx2
# Needs: clang (or CC), git, binutils (ld, nm, objcopy).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
[ $# -ge 1 ] || { sed -n '2,10p' "$0" >&2; exit 2; }
rev_a="$1" rev_b="${2:-.}" set_a="${3:-avx2}" set_b="${4:-${3:-avx2}}" calls="${5:-101}"
cc="${CC:-clang}"
command -v "$cc" >/dev/null || { echo "kernel-ab: $cc missing" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

kernels() {  # revision, prefix: the revision's kernels as $tmp/prefix.o with global symbols renamed prefix_*
    local rev="$1" prefix="$2" src="$tmp/$2-src"
    mkdir -p "$src"
    if [ "$rev" = . ]; then
        cp -r Sources/CHeadwayKernels "$src/"
    else
        git archive "$rev" Sources/CHeadwayKernels | tar -x -C "$src" --strip-components=1 \
            || { echo "kernel-ab: no kernels at revision $rev" >&2; exit 1; }
    fi
    local objs=()
    for f in "$src"/CHeadwayKernels/[a-z]*.c; do
        "$cc" -O3 -std=gnu11 -ffp-contract=off -I "$src/CHeadwayKernels/include" -c "$f" -o "$f.o"
        objs+=("$f.o")
    done
    ld -r "${objs[@]}" -o "$tmp/$prefix-all.o"
    nm --defined-only -g "$tmp/$prefix-all.o" | awk -v p="$prefix" '{ print $3, p "_" $3 }' >"$tmp/$prefix.syms"
    objcopy --redefine-syms="$tmp/$prefix.syms" "$tmp/$prefix-all.o" "$tmp/$prefix.o"
}
kernels "$rev_a" a
kernels "$rev_b" b
"$cc" -O2 -std=gnu11 -I Sources/CHeadwayKernels/include Tests/CKernels/matmul_ab.c "$tmp/a.o" "$tmp/b.o" -lm \
    -o "$tmp/matmul_ab"
echo "A: $rev_a ($(git rev-parse --short "$( [ "$rev_a" = . ] && echo HEAD || echo "$rev_a")")$( [ "$rev_a" = . ] && echo ', working tree')), B: $rev_b"
"$tmp/matmul_ab" "$set_a" "$set_b" "$calls"
