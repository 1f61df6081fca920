#!/usr/bin/env bash
# The main job on a fresh machine: fetch the model if missing, build, simulate the embedded default scenario,
# then generate text with the engine, in one process and over three local worker processes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model="$(scripts/fetch-model.sh)"
swift build -c release --product headway
bin=.build/release/headway
echo "== headway simulate (embedded default scenario)"
"$bin" simulate
echo
echo "== headway generate"
"$bin" generate --model "$model" --max-tokens 48 "The capital of France is"
echo
echo "== headway generate over 3 local worker processes (loopback TCP), an attention block moved with its cache every 8 tokens"
"$bin" generate --model "$model" --max-tokens 48 --local-workers 3 --placement layers --force-migration-every 8 \
    --replan-every 16 "The capital of France is"
