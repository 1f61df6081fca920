#!/usr/bin/env bash
# Decode speed with the attention fan's activations in Q8 (the default) against F32 (--f32-activations), over three
# local workers whose links are shaped inside the worker (--link-mbps, --link-delay-ms), with every layer's K/V groups
# spread over the three (60 round trips per token, each carrying a layer input or head outputs). Runs alternate.
#
# Usage: scripts/activation-format.sh [MBPS] [DELAY_MS] [RUNS]     (defaults: 20 Mbit/s, 0.5 ms, 3 runs)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
headway="${HEADWAY:-$root/.build/release/headway}"
mbps="${1:-20}"; delay="${2:-0.5}"; runs="${3:-3}"
cd "$root"
dir="$(mktemp -d)"
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
for i in 1 2 3; do
    "$headway" worker --listen 127.0.0.1:0 --threads 1 --name "slow$i" --link-mbps "$mbps" --link-delay-ms "$delay" \
        >"$dir/w$i.out" 2>"$dir/w$i.err" &
    pids+=($!)
done
for i in 1 2 3; do
    for _ in $(seq 100); do grep -q "listening on" "$dir/w$i.out" && break; sleep 0.1; done
done
workers="$(for i in 1 2 3; do sed -n 's/^listening on //p' "$dir/w$i.out"; done | paste -sd,)"
echo "workers: $workers (links ${mbps} Mbit/s, ${delay} ms one way)"
for run in $(seq "$runs"); do
    for flag in "" "--f32-activations"; do
        "$headway" generate --workers "$workers" --placement spread --threads 1 --max-tokens 48 --ignore-eos \
            --format json $flag "The history of printing" 2>/dev/null |
            python3 -c "
import json, sys
d = json.load(sys.stdin)
print('run $run  %-18s %6.2f tok/s decode' % ('${flag:-q8 (default)}', d['decode_tokens_per_second']))"
    done
done
