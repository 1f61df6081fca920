#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of every decoder of outside bytes: see Sources/HeadwayFuzzTargets.
#
#   scripts/fuzz.sh                      build, replay every kept corpus, fuzz each target for 20 s (what .ci/run does)
#   scripts/fuzz.sh --seconds 600 gguf   fuzz one target longer
#   scripts/fuzz.sh --runs 1000000       fuzz each target for a number of executions instead of a time
#   scripts/fuzz.sh --asan ...           build with AddressSanitizer as well (in .build-fuzz-asan)
#   scripts/fuzz.sh --update-corpus ...  afterwards merge what the run found into the kept corpus (set-cover
#                                        minimized, then sampled down to --corpus-budget-kb, default 64, per target)
#
# The kept corpora are Tests/Fixtures/fuzz/<target>/ (also replayed by `swift test`); a target without one starts
# from its seeds. New inputs of a run go to a scratch folder unless --update-corpus is given. A crash, a trap, a
# broken promise (the target's FuzzFailure), an allocation past --rss-limit-mb or an input taking longer than 10 s
# fails the script; libFuzzer saves the input as <scratch>/crash-*, timeout-* or oom-* and the script prints it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds=20
runs=""
update=false
rss_limit_mb=2048
corpus_budget_kb=64
asan=false
targets=()
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --runs) runs="$2"; shift 2 ;;
        --update-corpus) update=true; shift ;;
        --rss-limit-mb) rss_limit_mb="$2"; shift 2 ;;
        --corpus-budget-kb) corpus_budget_kb="$2"; shift 2 ;;
        --asan) asan=true; shift ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done

build_path=.build-fuzz
sanitizers=(--sanitize=fuzzer)
if $asan; then
    # AddressSanitizer as well: out-of-bounds reads through unsafe pointers become crashes too (slower, ~2-3x).
    build_path=.build-fuzz-asan
    sanitizers+=(--sanitize=address)
fi
echo "== fuzz: building headway-fuzz with ${sanitizers[*]} (in $build_path)"
if ! swift build -c release "${sanitizers[@]}" --product headway-fuzz --build-path "$build_path" > /tmp/headway-fuzz-build.log 2>&1; then
    grep -E "error" -A3 /tmp/headway-fuzz-build.log | head -40 >&2
    echo "fuzz.sh: build failed (log: /tmp/headway-fuzz-build.log)" >&2
    exit 1
fi
fuzzer="$(swift build -c release "${sanitizers[@]}" --product headway-fuzz --build-path "$build_path" --show-bin-path)/headway-fuzz"
[ -x "$fuzzer" ] || { echo "fuzz.sh: build failed, no $fuzzer" >&2; exit 1; }

if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(HEADWAY_FUZZ_TARGET=list "$fuzzer")
fi

scratch="$(mktemp -d /tmp/headway-fuzz.XXXXXX)"

# The Swift runtime's backtracer would take the crash signal first and end the process before libFuzzer saves the
# input; it is switched off for fuzzing and on again to show where a saved input fails.
fuzz() { SWIFT_BACKTRACE=enable=no HEADWAY_FUZZ_TARGET="$target" "$fuzzer" "$@"; }
explain() {
    local input
    for input in "${artifacts}"crash-* "${artifacts}"oom-* "${artifacts}"timeout-* "${artifacts}"slow-unit-*; do
        [ -f "$input" ] || continue
        echo "== fuzz $target: failing input $input ($(wc -c < "$input") bytes); where it fails:" >&2
        SWIFT_BACKTRACE=enable=yes,interactive=no HEADWAY_FUZZ_TARGET="$target" "$fuzzer" -timeout=10 \
            -rss_limit_mb="$rss_limit_mb" "$input" 2>&1 | grep -E "Fatal error|crashed|Swift runtime failure| at /" | head -25 >&2 || true
        return
    done
}
summary=()
status=0
for target in "${targets[@]}"; do
    corpus="Tests/Fixtures/fuzz/$target"
    if [ ! -d "$corpus" ] || [ -z "$(ls -A "$corpus")" ]; then
        mkdir -p "$corpus"
        HEADWAY_FUZZ_TARGET="$target" HEADWAY_FUZZ_WRITE_SEEDS="$corpus" "$fuzzer"
        echo "== fuzz $target: new corpus from the seeds in $corpus"
    fi
    # The seeds join every run (and merge), so a seed added to a target reaches a kept corpus.
    seeds="$scratch/$target-seeds"
    mkdir -p "$seeds"
    HEADWAY_FUZZ_TARGET="$target" HEADWAY_FUZZ_WRITE_SEEDS="$seeds" "$fuzzer"
    max_len="$(HEADWAY_FUZZ_TARGET="$target" HEADWAY_FUZZ_PRINT_MAX_LEN=1 "$fuzzer")"
    found="$scratch/$target-new"
    artifacts="$scratch/$target-"
    mkdir -p "$found"
    common=(-max_len="$max_len" -rss_limit_mb="$rss_limit_mb" -malloc_limit_mb="$rss_limit_mb" -timeout=10
            -artifact_prefix="$artifacts" -print_final_stats=1)

    echo "== fuzz $target: replaying $(ls "$corpus" | wc -l) kept inputs"
    if ! fuzz "${common[@]}" -runs=0 "$corpus" > "$scratch/$target-replay.log" 2>&1; then
        tail -15 "$scratch/$target-replay.log"
        explain
        echo "== fuzz $target: FAILED replaying the kept corpus" >&2
        status=1
        continue
    fi

    if [ -n "$runs" ]; then limit=(-runs="$runs"); what="$runs executions"; else limit=(-max_total_time="$seconds"); what="$seconds s"; fi
    echo "== fuzz $target: fuzzing for $what (max_len $max_len)"
    log="$scratch/$target-fuzz.log"
    if ! fuzz "${common[@]}" "${limit[@]}" "$found" "$corpus" "$seeds" > "$log" 2>&1; then
        tail -15 "$log"
        explain
        echo "== fuzz $target: FAILED" >&2
        status=1
        continue
    fi
    execs="$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')"
    rate="$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo '?')"
    cov="$(grep -Eo 'cov: [0-9]+' "$log" | tail -1 || true)"
    summary+=("$target: $execs executions, $rate/s, $cov, $(ls "$found" | wc -l) new inputs, no failures")

    if $update; then
        merged="$scratch/$target-merged"
        mkdir -p "$merged"
        # A minimal set of inputs covering every feature seen (libFuzzer's set-cover merge)...
        fuzz "${common[@]}" -set_cover_merge=1 "$merged" "$corpus" "$seeds" "$found" > "$scratch/$target-merge.log" 2>&1
        # ...cut to the budget so the repository stays small: the seeds, regression inputs (regression-*, saved from
        # failures that were fixed), then the merged inputs in name order (names are content hashes, so this is an
        # unbiased sample of small and large inputs) while they fit.
        kept="$scratch/$target-kept"
        mkdir -p "$kept"
        cp "$seeds"/* "$kept"/
        cp "$corpus"/regression-* "$kept"/ 2>/dev/null || true
        total="$(cat "$kept"/* | wc -c)"
        for f in $(ls "$merged" | sort); do
            size="$(wc -c < "$merged/$f")"
            if [ $((total + size)) -le $((corpus_budget_kb * 1024)) ]; then
                cp "$merged/$f" "$kept"/
                total=$((total + size))
            fi
        done
        rm -f "$corpus"/*
        cp "$kept"/* "$corpus"/
        echo "== fuzz $target: kept corpus now $(ls "$corpus" | wc -l) inputs, $(cat "$corpus"/* | wc -c) bytes"
    fi
done

printf '== fuzz summary\n'
printf '   %s\n' "${summary[@]}"
if [ "$status" -ne 0 ]; then
    echo "== fuzz FAILED (logs in $scratch)" >&2
    exit "$status"
fi
rm -rf "$scratch"
