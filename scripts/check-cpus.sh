#!/usr/bin/env bash
# Proves by running that one x86-64 build of `headway` runs on CPUs without AVX-512, without AVX and without SSSE3,
# and picks the right kernels there (issue 10, part 1). Needs Debian's qemu-user (qemu-x86_64 7.2 emulates AVX2 but
# no AVX-512) and the release binary (`swift build -c release --product headway`; `swift test -c release` builds it too).
#
#   1. Static: no AVX/AVX-512 (VEX/EVEX) instruction outside the dispatched kernel functions (*_avx2, *_avx512_vnni).
#   2. The C kernel agreement test (Tests/CKernels/agreement.c) on this CPU (every set it runs) and under
#      `qemu-x86_64 -cpu Haswell-v4` (AVX2 set on a CPU without AVX-512) and `-cpu Nehalem` (sse4 set, no AVX).
#   3. Under `qemu-x86_64 -cpu Haswell-v4` (AVX2 + FMA + F16C, no AVX-512), `-cpu Nehalem` (SSE4.2, no AVX) and
#      `-cpu qemu64` (the x86-64 baseline: SSE2 and SSE3, no SSSE3): `headway simulate` exits 0, and a short greedy
#      `headway generate --format json` reports the expected kernel set (avx2, sse4, portable) and gives the
#      llama.cpp fixture's first tokens.
# Usage: scripts/check-cpus.sh [BINARY]   (default .build/release/headway). Exit status 0 when all hold.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bin="${1:-.build/release/headway}"
model="models/SmolLM2-135M-Instruct.Q4_1.gguf"
fixture="Tests/Fixtures/smollm2/llamacpp-reference.json"
tokens="${CHECK_CPUS_TOKENS:-10}"
fail=0
command -v qemu-x86_64 >/dev/null || { echo "check-cpus: qemu-x86_64 missing (apt-get install qemu-user)" >&2; exit 1; }
[ -x "$bin" ] || { echo "check-cpus: $bin missing (swift build -c release --product headway)" >&2; exit 1; }

# 1. Static check of the instructions.
objdump_bin="$(command -v objdump || command -v llvm-objdump || true)"
if [ -n "$objdump_bin" ]; then
    outside="$("$objdump_bin" -d --no-show-raw-insn "$bin" | awk '
        /^[0-9a-f]+ <.*>:$/ { fn = $2; next }
        # BoringSSL (swift-crypto, the cluster key) carries assembly for several CPUs and picks it at run time from
        # CPUID itself (OPENSSL_ia32cap): its functions and their internal labels are dispatched code too.
        fn ~ /^<(CCryptoBoringSSL_|_aesni_|GFMUL>|[a-z_]+_4eced63f144beffcb0247f9c6f67d165>)/ { next }
        /:\tv[a-z]/ && fn !~ /_(avx2|avx512_vnni)(\.[a-z0-9.]+)?>:$/ { n[fn]++ }
        END { for (f in n) print n[f], f }')"
    if [ -n "$outside" ]; then
        echo "FAIL: AVX/AVX-512 instructions outside the dispatched kernels:" >&2
        echo "$outside" | head -20 >&2
        fail=1
    else
        echo "ok: no AVX/AVX-512 instruction outside the *_avx2 / *_avx512_vnni kernel functions (and BoringSSL's own dispatched assembly)"
    fi
else
    echo "skip: no objdump for the static instruction check" >&2
fi

# 2. C agreement test of the kernel sets.
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cc_bin="$(command -v clang || command -v cc)"
"$cc_bin" -O2 -std=gnu11 -ffp-contract=off -I Sources/CHeadwayKernels/include Sources/CHeadwayKernels/*.c \
    Tests/CKernels/agreement.c -lm -o "$tmp/agreement"
if "$tmp/agreement" >"$tmp/agree.txt"; then echo "ok: kernel agreement on this CPU: $(tail -1 "$tmp/agree.txt")"
else cat "$tmp/agree.txt" >&2; fail=1; fi
for cpu in Haswell-v4 Nehalem; do
    if qemu-x86_64 -cpu "$cpu" "$tmp/agreement" >"$tmp/agree-$cpu.txt" 2>/dev/null; then
        echo "ok: kernel agreement under qemu $cpu: $(tail -1 "$tmp/agree-$cpu.txt")"
    else cat "$tmp/agree-$cpu.txt" >&2; fail=1; fi
done

# 3. The binary on emulated CPUs.
expected="$(python3 -c "import json,sys; c=json.load(open(sys.argv[1]))['cases'][0]; print(c['prompt']); print(' '.join(map(str, c['greedy_first_10'][:int(sys.argv[2])])))" "$fixture" "$tokens")"
prompt="$(sed -n 1p <<<"$expected")"
want="$(sed -n 2p <<<"$expected")"
for spec in "Haswell-v4 avx2" "Nehalem sse4" "qemu64 portable"; do
    read -r cpu set <<<"$spec"
    if qemu-x86_64 -cpu "$cpu" "$bin" simulate >"$tmp/sim.txt" 2>"$tmp/sim.err"; then
        echo "ok: qemu -cpu $cpu: headway simulate exits 0"
    else
        echo "FAIL: qemu -cpu $cpu: headway simulate exited $?:" >&2
        grep -v "TCG doesn't support" "$tmp/sim.err" | tail -5 >&2
        fail=1
    fi
    start=$(date +%s)
    if qemu-x86_64 -cpu "$cpu" "$bin" generate "$prompt" --model "$model" --max-tokens "$tokens" --kv-cache f16 \
        --format json >"$tmp/gen.json" 2>"$tmp/gen.err"; then
        got="$(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['kernels']); print(' '.join(map(str, d['tokens'])))" "$tmp/gen.json")"
        kernels="$(sed -n 1p <<<"$got")"
        toks="$(sed -n 2p <<<"$got")"
        if [ "$kernels" = "$set" ] && [ "$toks" = "$want" ]; then
            echo "ok: qemu -cpu $cpu: generate used kernels '$kernels', $tokens greedy tokens equal llama.cpp's ($(( $(date +%s) - start )) s)"
        else
            echo "FAIL: qemu -cpu $cpu: kernels '$kernels' (expected '$set'), tokens [$toks] (llama.cpp: [$want])" >&2
            fail=1
        fi
    else
        echo "FAIL: qemu -cpu $cpu: headway generate failed:" >&2
        grep -v "TCG doesn't support" "$tmp/gen.err" | tail -5 >&2
        fail=1
    fi
done
exit $fail
