#!/usr/bin/env bash
# Builds llama.cpp's own tools from the sources that the llama-cpp-python source package (PyPI) carries under
# vendor/llama.cpp, as the reference for `headway bench llamacpp`, into the git-ignored folder .llamacpp/.
#
# Two builds, each with the same three tools at stable paths:
#   .llamacpp/native/bin/{llama-bench,llama-server,rpc-server}   -DGGML_NATIVE=ON  (every ISA extension of this host)
#   .llamacpp/avx2/bin/{llama-bench,llama-server,rpc-server}     -DGGML_NATIVE=OFF, AVX + AVX2 + FMA + F16C, no AVX-512
# `rpc-server` is a link to the RPC server target whichever name this llama.cpp version gives it (`rpc-server` or
# `ggml-rpc-server`). The llama.cpp version is the one in .llamacpp/VERSION (llama-cpp-python's version, and the
# vendored commit if the package records it).
#
# Usage: scripts/build-llamacpp.sh [native|avx2|all]     (default: all). Re-running skips finished builds.
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

build() {  # name, cmake flags...
    local name="$1"; shift
    local dir="$out/$name"
    if [ -x "$dir/bin/llama-bench" ] && [ -x "$dir/bin/llama-server" ] && [ -e "$dir/bin/rpc-server" ]; then
        echo "== $name: already built ($dir/bin)" >&2
        return
    fi
    echo "== $name: configuring" >&2
    cmake -S "$llama" -B "$dir/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=OFF \
        -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=ON \
        -DLLAMA_BUILD_SERVER=ON "$@" >"$dir.configure.log" 2>&1 || { tail -30 "$dir.configure.log" >&2; exit 1; }
    # The RPC server target was renamed across versions.
    local rpc=rpc-server
    local targets
    targets="$(ninja -C "$dir/build" -t targets all 2>/dev/null || true)"
    if grep -q '^ggml-rpc-server:' <<<"$targets"; then rpc=ggml-rpc-server; fi
    echo "== $name: building llama-bench llama-server $rpc with $jobs jobs" >&2
    ninja -C "$dir/build" -j "$jobs" llama-bench llama-server "$rpc" >"$dir.build.log" 2>&1 \
        || { tail -30 "$dir.build.log" >&2; exit 1; }
    mkdir -p "$dir/bin"
    cp "$dir/build/bin/llama-bench" "$dir/build/bin/llama-server" "$dir/bin/"
    cp "$dir/build/bin/$rpc" "$dir/bin/$rpc"
    [ "$rpc" = rpc-server ] || ln -sf "$rpc" "$dir/bin/rpc-server"
    echo "== $name: $dir/bin" >&2
}

case "$which_builds" in
    native|all) build native -DGGML_NATIVE=ON -DGGML_RPC=ON ;;&
    avx2|all) build avx2 -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON \
        -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF -DGGML_AVX512_BF16=OFF -DGGML_AVX_VNNI=OFF \
        -DGGML_RPC=ON ;;
    native|avx2|all) ;;
    *) echo "usage: $0 [native|avx2|all]" >&2; exit 2 ;;
esac
ls -l "$out"/*/bin/ 2>/dev/null | sed 's/^/  /' >&2
