#!/usr/bin/env bash
# Builds llama.cpp's own tools from the sources that the llama-cpp-python source package (PyPI) carries under
# vendor/llama.cpp, as the reference for `headway bench llamacpp`, into the git-ignored folder .llamacpp/.
#
# Two builds, each with the same three tools at stable paths:
#   .llamacpp/native/bin/{llama-bench,llama-server,rpc-server}   -DGGML_NATIVE=ON  (every ISA extension of this host)
#   .llamacpp/avx2/bin/{llama-bench,llama-server,rpc-server}     -DGGML_NATIVE=OFF, AVX + AVX2 + FMA + F16C, no AVX-512
# and, on request, two for older CPUs (llama-bench and rpc-server): the references of our sse4 and portable kernel sets
#   .llamacpp/sse4/bin/{llama-bench,rpc-server}                  -DGGML_NATIVE=OFF, SSE4.2 (with SSSE3), no AVX
#   .llamacpp/baseline/bin/{llama-bench,rpc-server}              -DGGML_NATIVE=OFF, no x86 extension (SSE2 baseline)
# `rpc-server` is a link to the RPC server target whichever name this llama.cpp version gives it (`rpc-server` or
# `ggml-rpc-server`). The llama.cpp version is the one in .llamacpp/VERSION (llama-cpp-python's version, and the
# vendored commit if the package records it).
#
# Usage: scripts/build-llamacpp.sh [native|avx2|sse4|baseline|all]     (default: all = native and avx2). Re-running
# skips finished builds.
# Needs: a C/C++ compiler (gcc/g++), python3 with pip. Installs the `cmake`, `ninja` and `scikit-build-core` wheels
# (the last one only lets pip read the source package's metadata) into .llamacpp/tools.
# Takes ~10-20 minutes per build on 2 cores. Set JOBS to change the build parallelism (default: nproc).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="$root/.llamacpp"
which_builds="${1:-all}"
jobs="${JOBS:-$(nproc)}"
mkdir -p "$out"

# Build tools from PyPI (the Debian cmake may be missing or old).
if ! "$out/tools/bin/python" -c "import scikit_build_core" 2>/dev/null || [ ! -x "$out/tools/bin/cmake" ]; then
    python3 -m venv "$out/tools"
    "$out/tools/bin/python" -m pip install --quiet --disable-pip-version-check cmake ninja scikit-build-core
fi
export PATH="$out/tools/bin:$PATH"

# The source package, unpacked once.
src="$out/src"
if [ ! -f "$src/vendor/llama.cpp/CMakeLists.txt" ]; then
    dl="$out/download"
    rm -rf "$dl" "$src"
    mkdir -p "$dl"
    "$out/tools/bin/python" -m pip download --quiet --disable-pip-version-check --no-deps --no-binary llama-cpp-python \
        --no-build-isolation -d "$dl" llama-cpp-python
    archive="$(ls "$dl"/llama_cpp_python-*.tar.gz | head -n 1)"
    mkdir -p "$src"
    tar -xzf "$archive" -C "$src" --strip-components=1
    version="$(basename "$archive" .tar.gz | sed 's/^llama_cpp_python-//')"
    echo "llama-cpp-python $version (vendor/llama.cpp)" >"$out/VERSION"
fi
llama="$src/vendor/llama.cpp"

configure() {  # name, cmake flags...
    local name="$1"; shift
    local dir="$out/$name"
    mkdir -p "$dir/bin"
    [ -f "$dir/build/build.ninja" ] && return
    echo "== $name: configuring" >&2
    cmake -S "$llama" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
        -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON \
        -DLLAMA_BUILD_SERVER=ON "$@" >"$dir.configure.log" 2>&1 || { tail -30 "$dir.configure.log" >&2; exit 1; }
}

build() {  # name, targets... ("rpc-server" stands for the RPC server whatever this version calls it)
    local name="$1"; shift
    local dir="$out/$name" targets=() t
    # The RPC server target was renamed across versions.
    local rpc=rpc-server all
    all="$(ninja -C "$dir/build" -t targets all 2>/dev/null || true)"
    if grep -q '^ggml-rpc-server:' <<<"$all"; then rpc=ggml-rpc-server; fi
    for t in "$@"; do
        [ -x "$dir/bin/$t" ] && continue
        [ "$t" = rpc-server ] && targets+=("$rpc") || targets+=("$t")
    done
    [ "${#targets[@]}" -eq 0 ] && return
    echo "== $name: building ${targets[*]} with $jobs jobs" >&2
    ninja -C "$dir/build" -j "$jobs" "${targets[@]}" >>"$dir.build.log" 2>&1 || { tail -30 "$dir.build.log" >&2; exit 1; }
    for t in "${targets[@]}"; do cp "$dir/build/bin/$t" "$dir/bin/$t"; done
    if [ "$rpc" != rpc-server ] && [ -x "$dir/bin/$rpc" ]; then ln -sf "$rpc" "$dir/bin/rpc-server"; fi
    echo "== $name: $dir/bin" >&2
}

native_flags=(-DGGML_NATIVE=ON -DGGML_RPC=ON)
avx2_flags=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=OFF
    -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF -DGGML_RPC=ON)
sse4_flags=(-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=OFF -DGGML_AVX2=OFF -DGGML_FMA=OFF -DGGML_F16C=OFF
    -DGGML_BMI2=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF
    -DGGML_AVX_VNNI=OFF -DGGML_RPC=ON)
baseline_flags=("${sse4_flags[@]/-DGGML_SSE42=ON/-DGGML_SSE42=OFF}")
case "$which_builds" in
    native) builds=(native) ;;
    avx2) builds=(avx2) ;;
    sse4) builds=(sse4) ;;
    baseline) builds=(baseline) ;;
    all) builds=(native avx2) ;;
    *) echo "usage: $0 [native|avx2|sse4|baseline|all]" >&2; exit 2 ;;
esac
for b in "${builds[@]}"; do
    case "$b" in
        native) configure native "${native_flags[@]}" ;;
        avx2) configure avx2 "${avx2_flags[@]}" ;;
        sse4) configure sse4 "${sse4_flags[@]}" ;;
        baseline) configure baseline "${baseline_flags[@]}" ;;
    esac
done
# The benchmark first for every build, the server (the slowest to compile) last; the older CPUs' builds have none.
for b in "${builds[@]}"; do build "$b" llama-bench rpc-server; done
for b in "${builds[@]}"; do case "$b" in native|avx2) build "$b" llama-server ;; esac; done
ls -l "$out"/*/bin/ 2>/dev/null | sed 's/^/  /' >&2
