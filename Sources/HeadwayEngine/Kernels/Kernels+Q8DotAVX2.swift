#if arch(x86_64)
import _Builtin_intrinsics.intel

/// AVX2 versions of the quantized dot kernels, using the same instructions as llama.cpp's x86 path
/// (`vpmaddubsw` + `vpmaddwd`: 8 Int32 lanes of 4 consecutive products, one FMA per block, `hsum_float_8`).
/// They give bit-identical results to the portable kernels in `Kernels+Q8Dot.swift` (same lane grouping and
/// summation order) in about a third of the instructions. `Kernels+Q8DotVNNI.swift` has the AVX512-VNNI versions.
extension Kernels {
    @inline(__always)
    static func avx2Ones() -> __m256i { _mm256_set1_epi16(1) }

    /// The 32 weights of a Q4 block as unsigned bytes in element order (low nibbles, then high nibbles).
    @inline(__always)
    static func avx2Nibbles(_ packed: UnsafeRawPointer) -> __m256i {
        let x = packed.loadUnaligned(as: SIMD2<Int64>.self)
        let both = _mm256_set_m128i(_mm_srli_epi16(x, 4), x)
        return _mm256_and_si256(both, _mm256_set1_epi8(0x0F))
    }

    /// Σ of 4 consecutive `u · s` products per Int32 lane, as floats (`u` unsigned, `s` signed bytes).
    @inline(__always)
    static func avx2Dot(_ u: __m256i, _ s: __m256i) -> __m256 {
        _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(u, s), avx2Ones()))
    }

    /// Signed × signed bytes: |x| · sign(x)·y keeps the products exact for maddubs.
    @inline(__always)
    static func avx2DotSigned(_ x: __m256i, _ y: __m256i) -> __m256 {
        avx2Dot(_mm256_sign_epi8(x, x), _mm256_sign_epi8(y, x))
    }

    @inline(__always)
    static func avx2Activations(_ q: UnsafeRawPointer, _ b: Int) -> __m256i {
        q.loadUnaligned(fromByteOffset: 32 * b, as: SIMD4<Int64>.self)
    }

    static func dotQ4_1Q8AVX2x2(
        _ row0: UnsafeRawPointer, _ row1: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
        _ sums: UnsafePointer<Float>, blocks: Int
    ) -> (Float, Float) {
        var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps()
        var m0: Float = 0, m1: Float = 0
        var p0 = row0, p1 = row1
        for b in 0..<blocks {
            let y = avx2Activations(q, b)
            let sy = scales[b], my = sums[b]
            acc0 = _mm256_fmadd_ps(_mm256_set1_ps(Float(p0.loadUnaligned(as: Float16.self)) * sy),
                                   avx2Dot(avx2Nibbles(p0 + 4), y), acc0)
            acc1 = _mm256_fmadd_ps(_mm256_set1_ps(Float(p1.loadUnaligned(as: Float16.self)) * sy),
                                   avx2Dot(avx2Nibbles(p1 + 4), y), acc1)
            m0 += Float(p0.loadUnaligned(fromByteOffset: 2, as: Float16.self)) * my
            m1 += Float(p1.loadUnaligned(fromByteOffset: 2, as: Float16.self)) * my
            p0 += 20
            p1 += 20
        }
        return (Lanes.ggmlSum(acc0) + m0, Lanes.ggmlSum(acc1) + m1)
    }

    static func dotQ4_1Q8AVX2(
        _ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, _ sums: UnsafePointer<Float>,
        blocks: Int
    ) -> Float {
        var acc = _mm256_setzero_ps()
        var m: Float = 0
        var p = row
        for b in 0..<blocks {
            acc = _mm256_fmadd_ps(_mm256_set1_ps(Float(p.loadUnaligned(as: Float16.self)) * scales[b]),
                                  avx2Dot(avx2Nibbles(p + 4), avx2Activations(q, b)), acc)
            m += Float(p.loadUnaligned(fromByteOffset: 2, as: Float16.self)) * sums[b]
            p += 20
        }
        return Lanes.ggmlSum(acc) + m
    }

    static func dotQ4_0Q8AVX2(_ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = _mm256_setzero_ps()
        var p = row
        let eight = _mm256_set1_epi8(8)
        for b in 0..<blocks {
            let w = _mm256_sub_epi8(avx2Nibbles(p + 2), eight)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(Float(p.loadUnaligned(as: Float16.self)) * scales[b]),
                                  avx2DotSigned(w, avx2Activations(q, b)), acc)
            p += 18
        }
        return Lanes.ggmlSum(acc)
    }

    static func dotQ8_0Q8AVX2x2(
        _ row0: UnsafeRawPointer, _ row1: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>,
        blocks: Int
    ) -> (Float, Float) {
        var acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps()
        var p0 = row0, p1 = row1
        for b in 0..<blocks {
            let y = avx2Activations(q, b)
            let sy = scales[b]
            acc0 = _mm256_fmadd_ps(_mm256_set1_ps(Float(p0.loadUnaligned(as: Float16.self)) * sy),
                                   avx2DotSigned(p0.loadUnaligned(fromByteOffset: 2, as: SIMD4<Int64>.self), y), acc0)
            acc1 = _mm256_fmadd_ps(_mm256_set1_ps(Float(p1.loadUnaligned(as: Float16.self)) * sy),
                                   avx2DotSigned(p1.loadUnaligned(fromByteOffset: 2, as: SIMD4<Int64>.self), y), acc1)
            p0 += 34
            p1 += 34
        }
        return (Lanes.ggmlSum(acc0), Lanes.ggmlSum(acc1))
    }

    static func dotQ8_0Q8AVX2(_ row: UnsafeRawPointer, _ q: UnsafeRawPointer, _ scales: UnsafePointer<Float>, blocks: Int) -> Float {
        var acc = _mm256_setzero_ps()
        var p = row
        for b in 0..<blocks {
            acc = _mm256_fmadd_ps(_mm256_set1_ps(Float(p.loadUnaligned(as: Float16.self)) * scales[b]),
                                  avx2DotSigned(p.loadUnaligned(fromByteOffset: 2, as: SIMD4<Int64>.self), avx2Activations(q, b)),
                                  acc)
            p += 34
        }
        return Lanes.ggmlSum(acc)
    }
}
#endif
