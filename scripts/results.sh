#!/usr/bin/env bash
# Runs every command whose numbers the README quotes and writes their output into out/results/.
# Usage: scripts/results.sh   (release build; about 20-30 minutes on 2 cores). Set HEADWAY_LLAMACPP_PYTHON to a python
# with llama-cpp-python installed to have `bench engine` run llama.cpp in the same run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
model="$(scripts/fetch-model.sh)"
swift build -c release --product headway >&2
H=.build/release/headway
out=out/results
mkdir -p "$out"
run() { local name=$1; shift; echo "== $name: headway $*" >&2; "$H" "$@" > "$out/$name"; }
run bench-planner.json bench planner --json --exact --exact-instances 5
run simulate-default.txt simulate --quiet
run small-scale-decode.txt study small-scale
run small-scale-reference.txt study small-scale --cost-model reference
run small-scale-decode.json study small-scale --format json
run small-scale-decode-ra-rule.txt study small-scale --planners resource-aware,resource-aware-forced,resource-aware-forced-2T,resource-aware-forced-4T
run small-scale-reference-ra-rule.txt study small-scale --cost-model reference --planners resource-aware,resource-aware-forced,resource-aware-forced-2T,resource-aware-forced-4T
run medium-scale.txt study medium-scale --quiet
run medium-scale.json study medium-scale --quiet --format json
run medium-scale-serialized.txt study medium-scale --quiet --serialized-sends
run medium-scale-variants.txt study medium-scale --quiet --planner headway --planner galaxy-kvmax=galaxy:kv_tokens=3048 \
    --planner group-2=galaxy:kv_tokens=3048,max_group=2 --planner group-4=galaxy:kv_tokens=3048,max_group=4 \
    --planner group-8=galaxy:kv_tokens=3048,max_group=8 --planner columns-8=galaxy:kv_tokens=3048,column_group=8 \
    --planner columns-1024=galaxy:kv_tokens=3048,column_group=1024 --planner resource-aware \
    --planner forced=resource-aware:force_over_budget_moves=1 --planner forced-2T=resource-aware:force_over_budget_moves=1,budget_scale=2 \
    --planner forced-4T=resource-aware:force_over_budget_moves=1,budget_scale=4
run splitllm.txt study splitllm
run churn.txt study churn
run churn.json study churn --format json
run splitllm.json study splitllm --format json
run bench-engine-1.json bench engine --model "$model" --threads 1 --runs 3 --tokens 128 --json
run bench-engine-2.json bench engine --model "$model" --threads 2 --runs 3 --tokens 128 --json
run bench-engine-2-f16.json bench engine --model "$model" --threads 2 --runs 3 --tokens 128 --kv-cache f16 --json
run bench-engine-full-context.json bench engine --model "$model" --threads 2 --runs 1 --fill-context --no-llamacpp --json
run bench-engine-full-context-f16.json bench engine --model "$model" --threads 2 --runs 1 --fill-context --no-llamacpp --kv-cache f16 --json
run bench-engine-cache-quality.json bench engine --model "$model" --threads 2 --runs 1 --tokens 8 --cache-quality 1000 --json
run bench-engine-cache-quality-q8_0.json bench engine --model "$model" --threads 2 --runs 1 --tokens 8 --cache-quality 1000 --kv-cache q8_0 --no-llamacpp --json
run bench-engine-2-long.json bench engine --model "$model" --threads 2 --runs 3 --tokens 128 --prompt-tokens 1800 --json
run bench-engine-2-long-f16.json bench engine --model "$model" --threads 2 --runs 3 --tokens 128 --prompt-tokens 1800 --kv-cache f16 --json
echo "wrote $out" >&2
